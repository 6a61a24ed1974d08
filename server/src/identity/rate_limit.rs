//! The per-principal request budget: a token bucket per staff member, held in memory (one server's
//! share; several instances each grant the budget).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::config::RateLimit;

pub struct RateLimiter {
    /// Tokens added per second; 0 means no limit.
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<Uuid, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimiter {
    pub fn new(config: RateLimit) -> Self {
        Self {
            rate: f64::from(config.requests_per_second),
            burst: f64::from(config.burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `principal`'s budget, or says how long until one is available.
    pub fn acquire(&self, principal: Uuid, now: Instant) -> Result<(), Duration> {
        if self.rate == 0.0 {
            return Ok(());
        }
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(principal).or_insert(Bucket {
            tokens: self.burst,
            refilled_at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled_at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn limiter(requests_per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter::new(RateLimit {
            requests_per_second,
            burst,
        })
    }

    #[test]
    fn a_burst_is_served_then_refused_with_the_wait() {
        let limiter = limiter(10, 3);
        let (who, start) = (Uuid::now_v7(), Instant::now());
        for _ in 0..3 {
            assert!(limiter.acquire(who, start).is_ok());
        }
        let wait = limiter.acquire(who, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        assert!(limiter.acquire(who, start + Duration::from_millis(99)).is_err());
        assert!(limiter.acquire(who, start + Duration::from_millis(200)).is_ok());
    }

    #[test]
    fn principals_have_budgets_of_their_own() {
        let limiter = limiter(1, 1);
        let now = Instant::now();
        assert!(limiter.acquire(Uuid::now_v7(), now).is_ok());
        assert!(limiter.acquire(Uuid::now_v7(), now).is_ok());
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = limiter(0, 1);
        let (who, now) = (Uuid::now_v7(), Instant::now());
        for _ in 0..10_000 {
            assert!(limiter.acquire(who, now).is_ok());
        }
    }

    proptest! {
        /// Over any window, a principal is served at most `burst + rate × window` requests.
        #[test]
        fn never_serves_more_than_burst_plus_refill(
            rate in 1u32..50,
            burst in 1u32..50,
            gaps_ms in prop::collection::vec(0u64..200, 1..300),
        ) {
            let limiter = limiter(rate, burst);
            let (who, start) = (Uuid::nil(), Instant::now());
            let mut now = start;
            let mut served = 0u32;
            for gap in gaps_ms {
                now += Duration::from_millis(gap);
                if limiter.acquire(who, now).is_ok() {
                    served += 1;
                }
            }
            let window = now.duration_since(start).as_secs_f64();
            prop_assert!(f64::from(served) <= f64::from(burst) + f64::from(rate) * window + 1e-9);
        }
    }
}
