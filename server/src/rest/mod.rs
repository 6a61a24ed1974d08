//! The HTTP/JSON API: every RPC at the path its `google.api.http` annotation gives, transcoded by the
//! descriptor set into a gRPC call through the same stack (authentication, permissions, rate limit,
//! deadline, message size, span, audit) and answered as canonical proto3 JSON. Client-streaming imports
//! read NDJSON; server streams answer as Server-Sent Events.
//!
//! The layer sits outermost: a request for `/v1/…` that is not gRPC is turned into the gRPC request
//! the route names and handed to the rest of the stack, exactly as a gRPC client's would be.

pub mod docs;
mod errors;
mod grpc;
mod json;
pub mod openapi;
mod request;
pub mod routes;
mod streams;

use std::{
    sync::{Arc, LazyLock},
    task::{Context, Poll},
};

use bytes::Bytes;
use futures::future::BoxFuture;
use http::{HeaderValue, Method, Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Full, Limited};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage};
use serde_json::Value;
use tonic::{Code, body::Body};
use tower::{Layer, Service};

use self::{
    request::Parts,
    routes::{BodyBinding, Found, Route, RouteTable},
};

/// The API's descriptors: kam.v1, its imports (google.api, google.protobuf) and the error model (google.rpc).
pub fn pool() -> &'static DescriptorPool {
    static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
        DescriptorPool::decode(kam_proto::FILE_DESCRIPTOR_SET).expect("the build's descriptor set decodes")
    });
    &POOL
}

/// Where the HTTP/JSON API lives; everything else passes by.
const API_PREFIX: &str = "/v1/";

/// The routes of the descriptor set, read once.
fn route_table() -> Result<&'static RouteTable, String> {
    static TABLE: LazyLock<Result<RouteTable, String>> = LazyLock::new(|| RouteTable::from_pool(pool()));
    TABLE.as_ref().map_err(Clone::clone)
}

/// The gRPC method (`/kam.v1.AccountService/CreateAccount`) an HTTP/JSON request is transcoded to: its
/// span is named by it from the start, as a gRPC call's is.
pub fn grpc_method_of<B>(request: &Request<B>) -> Option<String> {
    if !is_rest(request) {
        return None;
    }
    match route_table().ok()?.find(request.method(), request.uri().path()) {
        Found::Route(route, _) => Some(route.grpc_path()),
        _ => None,
    }
}

/// What the layer serves: the route table, the limits it applies before the gRPC stack does, and the
/// API's description (`/openapi.json`, the reference page at `/docs`).
pub struct RestApi {
    routes: &'static RouteTable,
    /// The largest message the gRPC services take; a JSON body may be twice that (JSON is wordier).
    max_message_bytes: usize,
    openapi: Bytes,
    docs_page: Bytes,
}

impl RestApi {
    pub fn new(max_message_bytes: usize) -> Result<RestApi, String> {
        let routes = route_table()?;
        let document = openapi::document(routes);
        Ok(RestApi {
            openapi: Bytes::from(openapi::to_text(&document)),
            docs_page: Bytes::from(docs::page(&document)),
            routes,
            max_message_bytes,
        })
    }

    /// `/openapi.json`, `/docs` and its stylesheet; `None` for any other request.
    fn description(&self, request: &Request<Body>) -> Option<Response<Body>> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return None;
        }
        let (body, media_type, policy) = match request.uri().path() {
            "/openapi.json" => (self.openapi.clone(), "application/json", None),
            "/docs" | "/docs/" => (
                self.docs_page.clone(),
                "text/html; charset=utf-8",
                Some(docs::CONTENT_SECURITY_POLICY),
            ),
            docs::STYLESHEET_PATH => (
                Bytes::from_static(docs::STYLESHEET.as_bytes()),
                "text/css; charset=utf-8",
                None,
            ),
            _ => return None,
        };
        let body = match request.method() {
            &Method::HEAD => Bytes::new(),
            _ => body,
        };
        let mut response = Response::new(Body::new(Full::new(body)));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if let Some(policy) = policy {
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
        }
        Some(response)
    }
}

#[derive(Clone)]
pub struct RestLayer(Arc<RestApi>);

impl RestLayer {
    pub fn new(api: RestApi) -> Self {
        Self(Arc::new(api))
    }
}

impl<S> Layer<S> for RestLayer {
    type Service = RestService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RestService {
            inner,
            api: Arc::clone(&self.0),
        }
    }
}

#[derive(Clone)]
pub struct RestService<S> {
    inner: S,
    api: Arc<RestApi>,
}

impl<S> Service<Request<Body>> for RestService<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if let Some(page) = self.api.description(&request) {
            return Box::pin(std::future::ready(Ok(page)));
        }
        if !is_rest(&request) {
            return Box::pin(self.inner.call(request));
        }
        // The ready service answers this request; the clone waits for the next one.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let api = Arc::clone(&self.api);
        Box::pin(async move { api.answer(inner, request).await })
    }
}

/// A request for the HTTP/JSON API: under `/v1/` and not gRPC (whose paths are `/kam.v1.X/Y` anyway).
fn is_rest<B>(request: &Request<B>) -> bool {
    let grpc = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/grpc"));
    !grpc && request.uri().path().starts_with(API_PREFIX)
}

impl RestApi {
    async fn answer<S>(&self, inner: S, request: Request<Body>) -> Result<Response<Body>, S::Error>
    where
        S: Service<Request<Body>, Response = Response<Body>>,
    {
        let path = request.uri().path().to_owned();
        let (route, path_values) = match self.routes.find(request.method(), &path) {
            Found::Route(route, values) => (route, values),
            Found::WrongMethod(allowed) => return Ok(errors::wrong_method(&allowed)),
            Found::NotFound => {
                return Ok(errors::refusal(
                    StatusCode::NOT_FOUND,
                    Code::NotFound,
                    "NO_SUCH_PATH",
                    None,
                    format!("no API method at {path}"),
                ));
            }
        };
        let grpc_path = route.grpc_path();

        let (parts, body) = request.into_parts();
        let fields = Parts {
            route,
            path_values: &path_values,
            query: parts.uri.query(),
            headers: &parts.headers,
        };
        let grpc_body = match route.rpc.is_client_streaming() {
            true => match streams::ndjson_messages(&fields, &parts.headers, body, self.max_message_bytes) {
                Ok(stream) => stream,
                Err(refused) => return Ok(refused),
            },
            false => match self.unary_message(&fields, &parts.headers, body).await {
                Ok(message) => Body::new(Full::new(grpc::frame(&message.encode_to_vec()))),
                Err(refused) => return Ok(refused),
            },
        };
        let mut call = Request::from_parts(parts, grpc_body);
        as_grpc_call(&mut call, &grpc_path);

        let mut inner = inner;
        let answer = inner.call(call).await?;
        Ok(match route.rpc.is_server_streaming() {
            true => streams::server_sent_events(route, answer).await,
            false => unary_answer(route, answer).await,
        })
    }

    /// The request message of a unary or server-streaming call, or the refusal to send.
    async fn unary_message(
        &self,
        fields: &Parts<'_>,
        headers: &http::HeaderMap,
        body: Body,
    ) -> Result<DynamicMessage, Response<Body>> {
        let json = match fields.route.body {
            BodyBinding::None => None,
            _ => self.json_body(headers, body).await?,
        };
        fields
            .message(json)
            .map_err(|e| errors::from_status(&tonic::Status::from(e)))
    }

    /// The JSON body; `None` when there is none.
    async fn json_body(
        &self,
        headers: &http::HeaderMap,
        body: Body,
    ) -> Result<Option<Value>, Response<Body>> {
        let limit = self.max_message_bytes.saturating_mul(2);
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => {
                return Err(errors::refusal(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Code::ResourceExhausted,
                    "BODY_TOO_LARGE",
                    None,
                    format!("the body is larger than {limit} bytes"),
                ));
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !media_type_is(headers, &["application/json"]) {
            return Err(unsupported_media_type("application/json"));
        }
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            errors::from_status(&tonic::Status::from(request::violation(
                "body",
                &format!("is not JSON: {e}"),
            )))
        })
    }
}

/// The transcoded request as the gRPC services expect it: POST to the method's path, HTTP/2, a gRPC
/// body with no compression. Everything else (credentials, trace context, the connection's address)
/// stays as the client sent it.
fn as_grpc_call(call: &mut Request<Body>, grpc_path: &str) {
    *call.method_mut() = Method::POST;
    *call.version_mut() = Version::HTTP_2;
    *call.uri_mut() = grpc_path.parse().expect("a method path is a valid URI");
    let headers = call.headers_mut();
    for name in [
        header::CONTENT_LENGTH,
        header::CONTENT_TYPE,
        header::TRANSFER_ENCODING,
        header::ACCEPT_ENCODING,
    ] {
        headers.remove(name);
    }
    headers.remove("grpc-encoding");
    headers.remove("grpc-accept-encoding");
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
}

/// The answer of a unary call: its message as JSON (or the route's response field), with the
/// resource's etag as `ETag`; or the error.
async fn unary_answer(route: &Route, answer: Response<Body>) -> Response<Body> {
    let (parts, body) = answer.into_parts();
    let mut frames = grpc::Frames::new(&parts.headers, body);
    let message = match frames.next().await {
        Ok(Some(message)) => message,
        Ok(None) => return errors::from_status(&tonic::Status::internal("the call answered no message")),
        Err(status) => return errors::from_status(&status),
    };
    if let Err(status) = frames.next().await {
        return errors::from_status(&status);
    }
    match answer_json(route, &message) {
        Ok((json, etag)) => {
            let mut response = errors::json_response(StatusCode::OK, &json);
            if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(&format!("\"{e}\"")).ok()) {
                response.headers_mut().insert(header::ETAG, etag);
            }
            response
        }
        Err(status) => errors::from_status(&status),
    }
}

/// The response message as the JSON the route sends, and the etag it carries.
fn answer_json(route: &Route, message: &Bytes) -> Result<(Value, Option<String>), tonic::Status> {
    let decoded = DynamicMessage::decode(route.rpc.output(), message.clone())
        .map_err(|e| tonic::Status::internal(format!("the answer does not decode: {e}")))?;
    let json = json::to_value(&decoded)
        .map_err(|e| tonic::Status::internal(format!("the answer has no JSON form: {e}")))?;
    let etag = json
        .get("etag")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    let json = match &route.response_body {
        Some(field) => json.get(field.json_name()).cloned().unwrap_or(Value::Null),
        None => json,
    };
    Ok((json, etag))
}

/// Whether the body's `Content-Type` is one of `accepted` (parameters such as charset aside); a body
/// without one is taken as the first.
fn media_type_is(headers: &http::HeaderMap, accepted: &[&str]) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let media = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim();
    accepted.iter().any(|a| media.eq_ignore_ascii_case(a))
}

fn unsupported_media_type(expected: &str) -> Response<Body> {
    errors::refusal(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Code::InvalidArgument,
        "UNSUPPORTED_MEDIA_TYPE",
        None,
        format!("send the body as {expected}"),
    )
}
