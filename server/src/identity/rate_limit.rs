//! Token buckets held in memory (one server's share; several instances each grant the budget): the
//! request budget of each principal, and the failed authentications of each client address.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::config::RateLimit;

/// Beyond this many buckets, those refilled to the brim are forgotten: they hold nothing a fresh one
/// would not, and a flood from many addresses must not grow the map without bound.
const MAX_BUCKETS: usize = 100_000;

pub struct RateLimiter<K = Uuid> {
    /// Tokens added per second; 0 means no limit.
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl<K: Hash + Eq + Copy> RateLimiter<K> {
    pub fn new(config: RateLimit) -> Self {
        Self {
            rate: f64::from(config.requests_per_second),
            burst: f64::from(config.burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from `key`'s budget, or says how long until one is available.
    pub fn acquire(&self, key: K, now: Instant) -> Result<(), Duration> {
        self.with_bucket(key, now, true)
    }

    /// Whether `key` has a token left, without taking it; otherwise how long until it has one.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        self.with_bucket(key, now, false)
    }

    fn with_bucket(&self, key: K, now: Instant, spend: bool) -> Result<(), Duration> {
        if self.rate == 0.0 {
            return Ok(());
        }
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&key) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, bucket| bucket.refilled(now, rate, burst) < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            refilled_at: now,
        });
        bucket.tokens = bucket.refilled(now, self.rate, self.burst);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            if spend {
                bucket.tokens -= 1.0;
            }
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

impl Bucket {
    /// The tokens it holds at `now`.
    fn refilled(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.refilled_at).as_secs_f64();
        (self.tokens + elapsed * rate).min(burst)
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
    fn a_check_spends_nothing() {
        let limiter = limiter(1, 1);
        let (who, now) = (Uuid::now_v7(), Instant::now());
        for _ in 0..5 {
            assert!(limiter.check(who, now).is_ok());
        }
        assert!(limiter.acquire(who, now).is_ok());
        assert_eq!(limiter.check(who, now), Err(Duration::from_secs(1)));
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
