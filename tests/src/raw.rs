//! Calling any RPC of this build with an encoded request, whatever its types: what the authorization
//! matrix and the hostile-input suite go through to reach every RPC the descriptors list.

use prost::{
    Message,
    bytes::{Buf, BufMut},
};
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http::uri::PathAndQuery,
    transport::Channel,
};

use crate::Caller;

/// One RPC of this build, as its descriptor tells it.
pub struct Rpc {
    /// `/kam.v1.Service/Method`.
    pub path: String,
    /// The request message's name, without its package (`GetAccountRequest`).
    pub input: String,
    /// Whether the client sends a stream; [`call`] then sends the request as its one message.
    pub client_streaming: bool,
    /// Whether the server answers with a stream; [`call`] then returns its first message.
    pub server_streaming: bool,
}

pub fn rpcs_of_this_build() -> Vec<Rpc> {
    let set = prost_types::FileDescriptorSet::decode(kam_proto::FILE_DESCRIPTOR_SET)
        .expect("kam_proto::FILE_DESCRIPTOR_SET decodes");
    let rpcs: Vec<Rpc> = set
        .file
        .iter()
        .filter(|file| file.package() == "kam.v1")
        .flat_map(|file| {
            file.service.iter().flat_map(move |service| {
                service.method.iter().map(move |method| Rpc {
                    path: format!("/{}.{}/{}", file.package(), service.name(), method.name()),
                    input: short_name(method.input_type(), '.').to_owned(),
                    client_streaming: method.client_streaming(),
                    server_streaming: method.server_streaming(),
                })
            })
        })
        .collect();
    // An empty list would make whatever goes through every RPC pass vacuously.
    assert!(!rpcs.is_empty(), "the descriptor set lists no kam.v1 RPC");
    rpcs
}

/// The last segment of a qualified name (`.kam.v1.GetAccountRequest`, `kam_proto::v1::Account`).
pub fn short_name(qualified: &str, separator: char) -> &str {
    qualified.rsplit(separator).next().unwrap_or(qualified)
}

/// Passes encoded messages through as they are, so one call serves every RPC whatever its types.
#[derive(Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

/// Calls `rpc` with an encoded request (for a client stream, as its one message), as `caller` or
/// (`None`) without credentials; returns the encoded response, or for a server stream its first message
/// (the stream is then dropped).
pub async fn call(
    channel: Channel,
    rpc: &Rpc,
    caller: Option<&Caller>,
    request: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let rpc_path = rpc.path.as_str();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("the channel is not ready: {e}")))?;
    let mut request = tonic::Request::new(request);
    if let Some(caller) = caller {
        let header = format!("Bearer {}", caller.secret)
            .parse()
            .expect("a credential is a valid header value");
        request.metadata_mut().insert("authorization", header);
    }
    let path = PathAndQuery::try_from(rpc_path).unwrap_or_else(|e| panic!("{rpc_path} is not a path: {e}"));
    if rpc.client_streaming {
        let (metadata, extensions, message) = request.into_parts();
        let stream = tonic::Request::from_parts(metadata, extensions, tokio_stream::iter([message]));
        return grpc
            .client_streaming(stream, path, RawCodec)
            .await
            .map(tonic::Response::into_inner);
    }
    if !rpc.server_streaming {
        return grpc
            .unary(request, path, RawCodec)
            .await
            .map(tonic::Response::into_inner);
    }
    let mut stream = grpc.server_streaming(request, path, RawCodec).await?.into_inner();
    stream
        .message()
        .await?
        .ok_or_else(|| Status::internal(format!("{rpc_path} ended without a message")))
}
