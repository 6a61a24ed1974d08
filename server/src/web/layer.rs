//! Puts the web app in front of the gRPC services: GET and HEAD are the app's, everything else is
//! theirs.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use futures::future::{Either, Ready, ready};
use http::{Method, Request, Response};
use http_body_util::Full;
use tonic::body::Body;
use tower::{Layer, Service};

use super::WebApp;

#[derive(Clone)]
pub struct WebAppLayer(Arc<WebApp>);

impl WebAppLayer {
    pub fn new(app: WebApp) -> Self {
        Self(Arc::new(app))
    }
}

impl<S> Layer<S> for WebAppLayer {
    type Service = WebAppService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WebAppService {
            inner,
            app: Arc::clone(&self.0),
        }
    }
}

#[derive(Clone)]
pub struct WebAppService<S> {
    inner: S,
    app: Arc<WebApp>,
}

impl<S, ReqBody> Service<Request<ReqBody>> for WebAppService<S>
where
    S: Service<Request<ReqBody>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response<Body>, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let method = request.method();
        if method != Method::GET && method != Method::HEAD {
            return Either::Right(self.inner.call(request));
        }
        let answer = self
            .app
            .answer(method, request.uri().path(), request.headers())
            .map(|bytes| Body::new(Full::new(bytes)));
        Either::Left(ready(Ok(answer)))
    }
}
