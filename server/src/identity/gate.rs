//! The one place every call passes: authenticate, authorize against the permission table, spend the
//! principal's request budget, then hand the principal and the scope of its grant to the handler in the
//! request extensions.
//! Health and reflection pass untouched.

use std::{
    net::IpAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use tonic::{Status, transport::server::TcpConnectInfo};
use tower::{Layer, Service};

use super::{
    authn::Authenticator,
    permissions,
    principal::{Principal, Visibility},
    rate_limit::RateLimiter,
};
use crate::platform::{
    error::{Error, Result},
    request::RpcMethod,
};

pub struct Gate {
    pub authenticator: Authenticator,
    limiter: RateLimiter,
}

impl Gate {
    pub fn new(authenticator: Authenticator, limiter: RateLimiter) -> Self {
        Self {
            authenticator,
            limiter,
        }
    }

    /// The principal and the scope its grant for `path` reaches.
    async fn admit(
        &self,
        headers: &http::HeaderMap,
        path: &str,
        peer: Option<IpAddr>,
    ) -> Result<(Principal, Visibility)> {
        let header = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let principal = self.authenticator.authenticate_from(header, peer).await?;
        tracing::Span::current().record("principal", principal.staff_id.to_string());
        let visibility = permissions::authorize(&principal, path)?;
        self.limiter
            .acquire(principal.staff_id, Instant::now())
            .map_err(|retry_after| Error::RateLimited { retry_after })?;
        Ok((principal, visibility))
    }
}

#[derive(Clone)]
pub struct GateLayer(pub Arc<Gate>);

impl<S> Layer<S> for GateLayer {
    type Service = GateService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GateService {
            inner,
            gate: Arc::clone(&self.0),
        }
    }
}

#[derive(Clone)]
pub struct GateService<S> {
    inner: S,
    gate: Arc<Gate>,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for GateService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        if permissions::is_public(request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        // The clone that was driven to readiness serves this call; the fresh clone waits for the next.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let gate = Arc::clone(&self.gate);
        let peer = request
            .extensions()
            .get::<TcpConnectInfo>()
            .and_then(TcpConnectInfo::remote_addr)
            .map(|address| address.ip());
        Box::pin(async move {
            match gate.admit(request.headers(), request.uri().path(), peer).await {
                Ok((principal, visibility)) => {
                    let method = RpcMethod(request.uri().path().to_owned());
                    request.extensions_mut().insert(principal);
                    request.extensions_mut().insert(visibility);
                    request.extensions_mut().insert(method);
                    inner.call(request).await
                }
                Err(refused) => Ok(Status::from(refused).into_http()),
            }
        })
    }
}
