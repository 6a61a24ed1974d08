//! Who is calling and through which RPC: what every audit row and span records.

use tonic::Request;
use uuid::Uuid;

use crate::{
    identity::{Principal, Visibility},
    platform::error::{Error, Result},
};

/// The full gRPC method of a call (`/kam.v1.AccountService/CreateAccount`), put in the request by the
/// gate: tonic's own `GrpcMethod` exists only on the client side.
#[derive(Clone, Debug)]
pub struct RpcMethod(pub String);

#[derive(Clone, Debug)]
pub struct RequestContext {
    /// Put in the request by the gate, which every non-public call passes.
    pub principal: Principal,
    /// Which accounts the call may see and touch: the scope of the grant that allowed this method.
    pub visibility: Visibility,
    /// The full gRPC method, e.g. `/kam.v1.AccountService/CreateAccount`.
    pub method: String,
    /// The client's idempotency key, when the call has one.
    pub request_id: Option<Uuid>,
}

impl RequestContext {
    /// UNAUTHENTICATED when the request carries no principal: a handler reached without the gate.
    pub fn from_request<T>(request: &Request<T>) -> Result<Self> {
        let method = request
            .extensions()
            .get::<RpcMethod>()
            .map(|m| m.0.clone())
            .unwrap_or_default();
        let principal = request
            .extensions()
            .get::<Principal>()
            .cloned()
            .ok_or(Error::Unauthenticated("missing credentials"))?;
        // Put there with the principal; a call without it was not authorized, so it sees nothing.
        let visibility = request
            .extensions()
            .get::<Visibility>()
            .copied()
            .ok_or(Error::Unauthenticated("missing credentials"))?;
        Ok(Self {
            principal,
            visibility,
            method,
            request_id: None,
        })
    }

    pub fn with_request_id(mut self, request_id: Option<Uuid>) -> Self {
        self.request_id = request_id;
        self
    }

    /// Which accounts the call may see and touch.
    pub fn visibility(&self) -> Visibility {
        self.visibility
    }
}
