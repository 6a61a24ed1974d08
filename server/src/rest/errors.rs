//! Errors over HTTP (AIP-193): the HTTP status that corresponds to the gRPC code, and the body
//! `{"error": {"code", "message", "status", "details"}}` — `google.rpc.Status` as JSON, with the HTTP
//! status as `code`, the gRPC code's name as `status`, and the same typed details the gRPC call carries
//! (ErrorInfo, BadRequest, PreconditionFailure, RetryInfo). `Retry-After` goes with 429 and 503.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use prost::Message as _;
use prost_reflect::DynamicMessage;
use serde_json::{Value, json};
use tonic::{Code, Status, body::Body};
use tonic_types::{ErrorDetails, StatusExt};

use crate::platform::error::ERROR_DOMAIN;

/// The HTTP status of a gRPC code (google.rpc.Code's documented mapping).
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).expect("499 is a valid status"),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub use kam_proto::code_name;

/// A failed call as its HTTP answer.
pub fn from_status(status: &Status) -> Response<Body> {
    let http = http_status(status.code());
    let mut response = json_response(http, &error_json(status, http));
    let retry = status.get_details_retry_info().and_then(|info| info.retry_delay);
    if let Some(delay) = retry.filter(|_| matches!(http.as_u16(), 429 | 503)) {
        let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    }
    response
}

/// An error the HTTP layer finds itself (an unknown path, a body that is not JSON), shaped as the
/// server's own: ErrorInfo with a reason, and the offending field when there is one.
pub fn refusal(
    http: StatusCode,
    code: Code,
    reason: &str,
    field: Option<&str>,
    message: impl Into<String>,
) -> Response<Body> {
    let message = message.into();
    let mut details = ErrorDetails::new();
    details.set_error_info(reason, ERROR_DOMAIN, std::collections::HashMap::new());
    if let Some(field) = field {
        details.add_bad_request_violation(field, message.clone());
    }
    let status = Status::with_error_details(code, message, details);
    json_response(http, &error_json(&status, http))
}

/// `405`, naming the methods the path has.
pub fn wrong_method(allowed: &[http::Method]) -> Response<Body> {
    let names: Vec<&str> = allowed.iter().map(http::Method::as_str).collect();
    let mut response = refusal(
        StatusCode::METHOD_NOT_ALLOWED,
        Code::Unimplemented,
        "METHOD_NOT_ALLOWED",
        None,
        format!("this path answers {}", names.join(", ")),
    );
    if let Ok(allow) = HeaderValue::from_str(&names.join(", ")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

pub(super) fn error_json(status: &Status, http: StatusCode) -> Value {
    json!({
        "error": {
            "code": http.as_u16(),
            "message": status.message(),
            "status": code_name(status.code()),
            "details": details_json(status.details()),
        }
    })
}

/// The `details` of the encoded `google.rpc.Status` in `grpc-status-details-bin`, as proto3 JSON
/// (`{"@type": "type.googleapis.com/google.rpc.ErrorInfo", ...}`); a detail of a type the descriptor
/// set does not know is left out rather than failing the answer.
fn details_json(encoded: &[u8]) -> Value {
    if encoded.is_empty() {
        return Value::Array(Vec::new());
    }
    let Some(descriptor) = super::pool().get_message_by_name("google.rpc.Status") else {
        return Value::Array(Vec::new());
    };
    let Ok(decoded) = tonic_types::pb::Status::decode(encoded) else {
        return Value::Array(Vec::new());
    };
    let known: Vec<Value> = decoded
        .details
        .into_iter()
        .filter_map(|any| {
            let single = tonic_types::pb::Status {
                code: 0,
                message: String::new(),
                details: vec![any],
            };
            let message =
                DynamicMessage::decode(descriptor.clone(), single.encode_to_vec().as_slice()).ok()?;
            let json = super::json::to_value(&message).ok()?;
            json.get("details")?.get(0).cloned()
        })
        .collect();
    Value::Array(known)
}

/// A JSON answer.
pub fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::new(Full::new(Bytes::from(body.to_string()))));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_says_when_to_retry_in_whole_seconds() {
        let mut details = ErrorDetails::new();
        details.set_retry_info(Some(std::time::Duration::from_millis(1500)));
        let response = from_status(&Status::with_error_details(Code::Unavailable, "down", details));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");

        let without = from_status(&Status::invalid_argument("bad"));
        assert_eq!(without.status(), StatusCode::BAD_REQUEST);
        assert!(!without.headers().contains_key(header::RETRY_AFTER));
    }

    #[test]
    fn every_code_has_the_documented_status() {
        let expected = [
            (Code::InvalidArgument, 400),
            (Code::FailedPrecondition, 400),
            (Code::OutOfRange, 400),
            (Code::Unauthenticated, 401),
            (Code::PermissionDenied, 403),
            (Code::NotFound, 404),
            (Code::Aborted, 409),
            (Code::AlreadyExists, 409),
            (Code::ResourceExhausted, 429),
            (Code::Cancelled, 499),
            (Code::Internal, 500),
            (Code::Unimplemented, 501),
            (Code::Unavailable, 503),
            (Code::DeadlineExceeded, 504),
        ];
        for (code, http) in expected {
            assert_eq!(http_status(code).as_u16(), http, "{code:?}");
        }
    }
}
