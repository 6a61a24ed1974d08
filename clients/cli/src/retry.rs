//! Retrying the calls that are safe to repeat, when the server answers UNAVAILABLE (its database
//! restarts or fails over) or the connection breaks.
//!
//! Safe to repeat are reads (`Get…`, `List…`, `WhoAmI`, the health check) and calls marked
//! [`idempotent`]: the creates, which always carry a `request_id` (kamctl makes one up when the user
//! gave none), so a retry of a create whose answer was lost returns the first result instead of
//! creating twice; and `revenue import`'s batches, upserts by external id. Every other write (an
//! update, a move, a revocation) is sent once: whether a lost answer means "done" is for the user to
//! check.
//!
//! The retries happen below the generated clients, on the HTTP/2 requests, so that every command gets
//! them without wrapping each call: the request body of a retryable call is kept and sent again.
//! The schedule is kam-erp's (`clients/erp/src/retry.rs`): exponential backoff with "equal jitter", so
//! that many clients that lost the same database do not all come back in the same instant; a delay the
//! server asks for (`google.rpc.RetryInfo`) is waited at least. Unlike a long-running import, a person
//! waits for kamctl, so it gives up sooner: after 4 retries and at most 5 s of waiting.

use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use tonic::body::Body;
use tonic::codegen::http::{self, HeaderMap};
use tonic::codegen::{BoxFuture, Bytes, GrpcMethod, Service, StdError};
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use crate::error::code_name;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait before the first retry; each further retry doubles it.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
}

impl Default for RetryPolicy {
    /// 250 ms doubling to 2 s, 4 retries: at most 3.75 s of waiting, 5 s when the server asks for 1 s
    /// each time (a database restart).
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(2),
            max_retries: 4,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first): the capped exponential step, half of it
    /// fixed and half random (`jitter(n)` returns a number in `0..=n`), but no less than `at_least`.
    pub fn delay(&self, retry: u32, at_least: Duration, jitter: impl FnOnce(u64) -> u64) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        let step = self
            .initial
            .saturating_mul(1 << doublings)
            .min(self.max)
            .as_millis() as u64;
        let half = step / 2;
        Duration::from_millis(step - half + jitter(half).min(half)).max(at_least)
    }
}

/// The mark of a request that may be sent again: a create carrying a `request_id`.
#[derive(Debug, Clone, Copy)]
struct Idempotent;

/// `message` as a request that is retried like a read: for creates, which carry a `request_id`.
pub fn idempotent<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(Idempotent);
    request
}

/// A fresh `request_id` for a create the user gave none for, so that its retries are recognised as
/// the same request.
pub fn new_request_id(given: Option<String>) -> String {
    given.unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// Whether a method (by its name, e.g. `GetAccount`) only reads.
fn is_read(method: &str) -> bool {
    method.starts_with("Get") || method.starts_with("List") || matches!(method, "WhoAmI" | "Check")
}

/// Retries the safe calls through `inner` (the channel) per [`RetryPolicy`].
#[derive(Debug, Clone)]
pub struct Retrying<S> {
    inner: S,
    policy: RetryPolicy,
}

impl<S> Retrying<S> {
    pub fn new(inner: S, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }
}

impl<S> Service<http::Request<Body>> for Retrying<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<StdError>,
{
    type Response = http::Response<Body>;
    type Error = StdError;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The service that was polled ready takes this call; the clone waits for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let policy = self.policy;
        let method = request
            .extensions()
            .get::<GrpcMethod>()
            .map(|m| m.method().to_owned())
            .unwrap_or_else(|| {
                request
                    .uri()
                    .path()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            });
        let retryable = is_read(&method) || request.extensions().get::<Idempotent>().is_some();
        Box::pin(async move {
            if !retryable {
                return inner.call(request).await.map_err(Into::into);
            }
            let (parts, body) = request.into_parts();
            let body = body.collect().await.map_err(StdError::from)?.to_bytes();
            let mut retry = 0;
            loop {
                let attempt = rebuild(&parts, body.clone());
                std::future::poll_fn(|cx| inner.poll_ready(cx))
                    .await
                    .map_err(Into::into)?;
                let outcome = inner.call(attempt).await.map_err(Into::into);
                let Some(failure) = transient_failure(&outcome) else {
                    return outcome;
                };
                retry += 1;
                if retry > policy.max_retries {
                    return outcome;
                }
                let delay = policy.delay(retry, failure.retry_after, time_jitter);
                eprintln!(
                    "warning: {method} failed ({}); retry {retry} of {} in {:.1} s",
                    failure.what,
                    policy.max_retries,
                    delay.as_secs_f64()
                );
                tokio::time::sleep(delay).await;
            }
        })
    }
}

/// A failure worth another try, and the least wait the server asked for.
struct Failure {
    what: String,
    retry_after: Duration,
}

/// The call failed in the transport (no connection, one that broke mid-call), or the server answered
/// UNAVAILABLE. A gRPC error arrives as a response whose headers hold the status (trailers-only).
///
/// A call that ran out of its `--timeout` is not retried: the user bounded the wait, and each retry
/// would wait as long again.
fn transient_failure(outcome: &Result<http::Response<Body>, StdError>) -> Option<Failure> {
    match outcome {
        Err(err) if timed_out(err.as_ref()) => None,
        Err(err) => Some(Failure {
            what: format!("connection: {err}"),
            retry_after: Duration::ZERO,
        }),
        Ok(response) => unavailable(response.headers()),
    }
}

/// Whether the channel gave up on the call at its deadline (`grpc-timeout`), anywhere in the error's
/// chain.
fn timed_out(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<tonic::TimeoutExpired>() {
            return true;
        }
        current = err.source();
    }
    false
}

fn unavailable(headers: &HeaderMap) -> Option<Failure> {
    let status = Status::from_header_map(headers)?;
    if status.code() != Code::Unavailable {
        return None;
    }
    let retry_after = status
        .get_error_details()
        .retry_info()
        .and_then(|info| info.retry_delay)
        .unwrap_or_default();
    Some(Failure {
        what: format!("{}: {}", code_name(status.code()), status.message()),
        retry_after,
    })
}

/// The request again, with the body that was sent the first time.
fn rebuild(parts: &http::request::Parts, body: Bytes) -> http::Request<Body> {
    let mut request = http::Request::new(Body::new(Full::new(body)));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    *request.extensions_mut() = parts.extensions.clone();
    request
}

/// The random part of a backoff step, `0..=max`, from the clock's nanoseconds: spread enough for
/// people retrying by hand, without a random number generator for one number a run.
fn time_jitter(max: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| u64::from(since.subsec_nanos()));
    nanos % (max + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_doubles_from_250_ms_is_capped_and_honours_the_server() {
        let policy = RetryPolicy::default();
        let full: Vec<u64> = (1..=5)
            .map(|retry| policy.delay(retry, Duration::ZERO, |max| max).as_millis() as u64)
            .collect();
        assert_eq!(full, [250, 500, 1000, 2000, 2000]);
        let least: Vec<u64> = (1..=4)
            .map(|retry| policy.delay(retry, Duration::ZERO, |_| 0).as_millis() as u64)
            .collect();
        assert_eq!(least, [125, 250, 500, 1000]);
        assert_eq!(
            policy.delay(1, Duration::from_secs(1), |_| 0),
            Duration::from_secs(1),
            "the server's RetryInfo is a floor"
        );
        for _ in 0..50 {
            let delay = policy.delay(2, Duration::ZERO, time_jitter).as_millis();
            assert!((250..=500).contains(&delay), "{delay}");
        }
    }

    #[test]
    fn reads_are_retried_and_other_writes_are_not() {
        for read in [
            "GetAccount",
            "ListAccounts",
            "GetFunnelSummary",
            "WhoAmI",
            "Check",
        ] {
            assert!(is_read(read), "{read}");
        }
        for write in [
            "CreateAccount",
            "UpdateAccount",
            "MoveOpportunityStage",
            "RevokeApiKey",
        ] {
            assert!(!is_read(write), "{write}");
        }
    }

    /// The headers of a trailers-only response carrying `status`.
    fn headers(status: &Status) -> HeaderMap {
        let mut headers = HeaderMap::new();
        status.add_header(&mut headers).unwrap();
        headers
    }

    #[test]
    fn only_unavailable_is_transient_and_its_retry_info_is_kept() {
        let status = tonic::Status::with_error_details(
            Code::Unavailable,
            "the database is unavailable; retry",
            tonic_types::ErrorDetails::with_retry_info(Some(Duration::from_secs(1))),
        );
        let failure = unavailable(&headers(&status)).expect("transient");
        assert_eq!(failure.retry_after, Duration::from_secs(1));
        assert!(failure.what.contains("UNAVAILABLE"), "{}", failure.what);

        let internal = Status::internal("internal error");
        assert!(unavailable(&headers(&internal)).is_none());
        assert!(unavailable(&HeaderMap::new()).is_none(), "no status: a success");
    }

    #[test]
    fn a_broken_connection_is_retried_and_a_timeout_is_not() {
        let broken: StdError = Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(transient_failure(&Err(broken)).is_some());
        let timeout: StdError = Box::new(tonic::TimeoutExpired(()));
        assert!(transient_failure(&Err(timeout)).is_none());
        /// An error wrapping another, as the transport wraps the channel's.
        #[derive(Debug)]
        struct Wrapped(tonic::TimeoutExpired);
        impl std::fmt::Display for Wrapped {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("transport error")
            }
        }
        impl std::error::Error for Wrapped {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let wrapped: StdError = Box::new(Wrapped(tonic::TimeoutExpired(())));
        assert!(transient_failure(&Err(wrapped)).is_none());
    }

    #[test]
    fn a_create_keeps_the_users_request_id_or_gets_a_fresh_one() {
        assert_eq!(new_request_id(Some("r1".into())), "r1");
        let made = new_request_id(None);
        assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");
        assert_ne!(made, new_request_id(None));
    }
}
