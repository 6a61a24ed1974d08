//! The gRPC side of a transcoded call: length-prefixed frames out, frames and the final status back.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::HeaderMap;
use http_body_util::BodyExt;
use tonic::{Code, Status, body::Body};

/// One uncompressed gRPC message frame: flag 0, the length (big-endian u32), the message.
pub fn frame(message: &[u8]) -> Bytes {
    let mut framed = BytesMut::with_capacity(5 + message.len());
    framed.put_u8(0);
    framed.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    framed.put_slice(message);
    framed.freeze()
}

/// Reads the messages of a gRPC response body as they arrive, then its status.
pub struct Frames {
    body: Body,
    buffer: BytesMut,
    /// The status once the trailers arrived (or the headers held it: a "trailers-only" answer).
    status: Option<Status>,
}

impl Frames {
    /// `headers` are the response's: a failed call answers with its status there and no body.
    pub fn new(headers: &HeaderMap, body: Body) -> Frames {
        Frames {
            body,
            buffer: BytesMut::new(),
            status: status_of(headers),
        }
    }

    /// The status already known from the headers, before any message.
    pub fn early_status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// The next message, `Ok(None)` at the end of a successful call, `Err` with the call's status.
    pub async fn next(&mut self) -> Result<Option<Bytes>, Status> {
        loop {
            if let Some(message) = self.take_message()? {
                return Ok(Some(message));
            }
            if let Some(status) = &self.status {
                return match status.code() {
                    Code::Ok => Ok(None),
                    _ => Err(status.clone()),
                };
            }
            match self.body.frame().await {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => self.buffer.extend_from_slice(&data),
                    Err(frame) => {
                        let trailers = frame.into_trailers().unwrap_or_default();
                        self.status = Some(status_of(&trailers).unwrap_or_else(|| Status::ok("")));
                    }
                },
                Some(Err(e)) => return Err(Status::from_error(e.into())),
                // A body that ends without trailers: the call was cut off.
                None => {
                    return Err(Status::unavailable("the call ended without a status; retry"));
                }
            }
        }
    }

    fn take_message(&mut self) -> Result<Option<Bytes>, Status> {
        if self.buffer.len() < 5 {
            return Ok(None);
        }
        if self.buffer[0] != 0 {
            return Err(Status::internal("a compressed response frame was not asked for"));
        }
        let length =
            u32::from_be_bytes([self.buffer[1], self.buffer[2], self.buffer[3], self.buffer[4]]) as usize;
        if self.buffer.len() < 5 + length {
            return Ok(None);
        }
        self.buffer.advance(5);
        Ok(Some(self.buffer.split_to(length).freeze()))
    }
}

fn status_of(headers: &HeaderMap) -> Option<Status> {
    headers
        .contains_key("grpc-status")
        .then(|| Status::from_header_map(headers))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_flag_length_message() {
        assert_eq!(&frame(b"abc")[..], &[0, 0, 0, 0, 3, b'a', b'b', b'c']);
    }
}
