//! Retrying what a server restart or a network hiccup breaks: which failures are worth another try,
//! and how long to wait before it (exponential backoff, capped, with jitter so that many connectors
//! that lost the same server do not all come back in the same instant), and never sooner than the
//! server asked (its `RetryInfo`).

use std::error::Error as _;
use std::io::IsTerminal as _;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use crate::error::{Error, code_name};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait before the first retry; each further retry doubles it.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Retries after the first attempt; `None` retries for as long as it takes (a follow export).
    pub max_retries: Option<u32>,
}

/// 200 ms doubling to 10 s; the default 8 retries give up after 16 to 33 s of waiting.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_RETRIES: u32 = 8;

impl RetryPolicy {
    pub fn new(max_retries: Option<u32>) -> Self {
        Self {
            initial: INITIAL_BACKOFF,
            max: MAX_BACKOFF,
            max_retries,
        }
    }

    /// The wait before retry number `retry` (1 for the first): the capped exponential step, of which
    /// `jitter` keeps a random part. `jitter(n)` returns a number in `0..=n`.
    ///
    /// "Equal jitter": half the step is fixed, the other half random, so a retry never comes sooner
    /// than half the schedule and retrying clients spread out.
    pub fn delay(&self, retry: u32, jitter: impl FnOnce(u64) -> u64) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        let step = self
            .initial
            .saturating_mul(1 << doublings)
            .min(self.max)
            .as_millis() as u64;
        let half = step / 2;
        Duration::from_millis(step - half + jitter(half).min(half))
    }

    /// Whether retry number `retry` (1 for the first) is allowed.
    pub fn allows(&self, retry: u32) -> bool {
        self.max_retries.is_none_or(|max| retry <= max)
    }
}

/// Whether a failed call may succeed when made again: the server said UNAVAILABLE (it is shutting
/// down, or overloaded), or the failure happened in the transport (no connection, a connection that
/// broke mid-call).
///
/// A status the server sent is decoded from its trailers and has no `source`; one that tonic made from
/// a transport error keeps that error as its source. So UNKNOWN, INTERNAL or CANCELLED with a source
/// is a broken connection (e.g. the server process died), while the same codes without one are the
/// server's answer, which a retry would only repeat.
pub fn is_transient(status: &Status) -> bool {
    match status.code() {
        Code::Unavailable => true,
        Code::Unknown | Code::Internal | Code::Cancelled => status.source().is_some(),
        _ => false,
    }
}

/// How long the server asked the client to wait (`google.rpc.RetryInfo`, e.g. 1 s while its database
/// restarts); zero when it did not say. The backoff never retries sooner.
pub fn retry_after(status: &Status) -> Duration {
    status
        .get_error_details()
        .retry_info()
        .and_then(|info| info.retry_delay)
        .unwrap_or_default()
}

/// Counts the failures of one piece of work since it last made progress, and waits before each retry.
#[derive(Debug)]
pub struct Retrier {
    policy: RetryPolicy,
    failures: u32,
}

impl Retrier {
    pub fn new(policy: RetryPolicy) -> Self {
        Self { policy, failures: 0 }
    }

    /// The work made progress: the next failure starts the schedule over.
    pub fn progressed(&mut self) {
        self.failures = 0;
    }

    /// Decides on a failure of `what`: for a transient one with retries left, says so on stderr and
    /// waits out the backoff; otherwise returns the error that ends the run.
    pub async fn after_failure(&mut self, what: &str, status: Status) -> Result<(), Error> {
        if !is_transient(&status) {
            return Err(Error::Call {
                what: what.to_owned(),
                status,
            });
        }
        self.failures += 1;
        if !self.policy.allows(self.failures) {
            return Err(Error::GaveUp {
                what: what.to_owned(),
                attempts: self.failures,
                status,
            });
        }
        let delay = self
            .policy
            .delay(self.failures, random_jitter)
            .max(retry_after(&status));
        let of = self
            .policy
            .max_retries
            .map_or_else(String::new, |max| format!(" of {max}"));
        // On a terminal, first clear the progress line the warning would otherwise continue.
        let clear = if std::io::stderr().is_terminal() {
            "\r\x1b[K"
        } else {
            ""
        };
        eprintln!(
            "{clear}warning: {what} failed ({}: {}); retry {}{of} in {:.1} s",
            code_name(status.code()),
            status.message(),
            self.failures,
            delay.as_secs_f64()
        );
        tokio::time::sleep(delay).await;
        Ok(())
    }
}

/// The random part of a backoff step, `0..=max`.
pub fn random_jitter(max: u64) -> u64 {
    fastrand::u64(0..=max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(policy: &RetryPolicy, retry: u32, jitter: u64) -> u64 {
        policy.delay(retry, |_| jitter).as_millis() as u64
    }

    #[test]
    fn the_schedule_doubles_from_200_ms_and_is_capped_at_10_s() {
        let policy = RetryPolicy::new(Some(8));
        let full: Vec<u64> = (1..=9).map(|retry| millis(&policy, retry, u64::MAX)).collect();
        assert_eq!(full, [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
        // With no luck at all, half of each step.
        let least: Vec<u64> = (1..=8).map(|retry| millis(&policy, retry, 0)).collect();
        assert_eq!(least, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        // Far retries neither overflow nor pass the cap.
        assert_eq!(millis(&policy, u32::MAX, 7), 5007);
    }

    #[test]
    fn jitter_is_asked_for_half_the_step() {
        let policy = RetryPolicy::new(None);
        let mut asked = 0;
        let delay = policy.delay(3, |max| {
            asked = max;
            max / 2
        });
        assert_eq!(asked, 400);
        assert_eq!(delay, Duration::from_millis(600));
        for _ in 0..100 {
            let delay = policy.delay(2, random_jitter);
            assert!((200..=400).contains(&(delay.as_millis() as u64)), "{delay:?}");
        }
    }

    #[test]
    fn retries_stop_at_the_maximum_unless_unlimited() {
        let policy = RetryPolicy::new(Some(2));
        assert!(policy.allows(1) && policy.allows(2) && !policy.allows(3));
        assert!(!RetryPolicy::new(Some(0)).allows(1));
        assert!(RetryPolicy::new(None).allows(u32::MAX));
    }

    #[test]
    fn unavailable_and_transport_failures_are_transient() {
        assert!(is_transient(&Status::unavailable("the server is shutting down")));
        let broken = Status::from_error(Box::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        )));
        assert!(is_transient(&broken), "{broken:?}");
    }

    #[test]
    fn the_servers_retry_info_is_a_floor_for_the_backoff() {
        let status = Status::with_error_details(
            Code::Unavailable,
            "the database is unavailable; retry",
            tonic_types::ErrorDetails::with_retry_info(Some(Duration::from_secs(1))),
        );
        assert!(is_transient(&status));
        assert_eq!(retry_after(&status), Duration::from_secs(1));
        assert_eq!(retry_after(&Status::unavailable("shutting down")), Duration::ZERO);
    }

    #[test]
    fn the_servers_own_answers_are_not_retried() {
        for status in [
            Status::invalid_argument("records: at most 5000 rows per message"),
            Status::unauthenticated("bad key"),
            Status::permission_denied("not an importer"),
            Status::unimplemented(""),
            Status::internal("database failed"),
            Status::unknown("?"),
            Status::cancelled("Timeout expired"),
            Status::deadline_exceeded(""),
        ] {
            assert!(!is_transient(&status), "{status:?}");
        }
    }
}
