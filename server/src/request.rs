//! Who is calling and through which RPC: what every audit row and span records.

use tonic::{GrpcMethod, Request};
use uuid::Uuid;

/// The principal until authentication exists (the Identity issue fills it in).
pub const ANONYMOUS: &str = "anonymous";

#[derive(Clone, Debug)]
pub struct RequestContext {
    pub principal: String,
    /// The full gRPC method, e.g. `/kam.v1.AccountService/CreateAccount`.
    pub method: String,
    /// The client's idempotency key, when the call has one.
    pub request_id: Option<Uuid>,
}

impl RequestContext {
    pub fn from_request<T>(request: &Request<T>) -> Self {
        let method = request
            .extensions()
            .get::<GrpcMethod>()
            .map(|m| format!("/{}/{}", m.service(), m.method()))
            .unwrap_or_default();
        Self {
            principal: ANONYMOUS.to_owned(),
            method,
            request_id: None,
        }
    }

    pub fn with_request_id(mut self, request_id: Option<Uuid>) -> Self {
        self.request_id = request_id;
        self
    }
}
