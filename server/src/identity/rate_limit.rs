//! Token buckets held in memory: the request budget of each principal, and the failed
//! authentications of each client address. Of N replicas live on one database, each grants 1/N of a
//! budget (its rate divided by N, its burst divided by N rounded up), so that the replicas together
//! grant the configured budget to a client whose calls the balancer spreads evenly over them; a client
//! whose calls all reach one replica gets that replica's share. N comes from the replicas' heartbeat
//! ([`LiveReplicas`]), read from an atomic on each call.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::{config::RateLimit, platform::replicas::LiveReplicas};

/// Beyond this many buckets, those refilled to the brim are forgotten: they hold nothing a fresh one
/// would not, and a flood from many addresses must not grow the map without bound.
const MAX_BUCKETS: usize = 100_000;

pub struct RateLimiter<K = Uuid> {
    /// Tokens added per second over all replicas; 0 means no limit.
    rate: f64,
    /// Tokens a bucket holds at most over all replicas, at least 1.
    burst: u32,
    /// How many replicas split the budget.
    replicas: LiveReplicas,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

/// What one replica grants while `N` replicas are live.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Share {
    /// Tokens per second: the rate divided by N.
    rate: f64,
    /// The burst divided by N, rounded up (so never below 1): the replicas together may grant up to N − 1
    /// more than the burst at once, never less.
    burst: f64,
}

impl<K: Hash + Eq + Copy> RateLimiter<K> {
    /// A limiter granting `replicas`' share of `config`.
    pub fn new(config: RateLimit, replicas: LiveReplicas) -> Self {
        Self {
            rate: f64::from(config.requests_per_second),
            burst: config.burst.max(1),
            replicas,
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

    /// This replica's share of the budget now.
    fn share(&self) -> Share {
        let replicas = self.replicas.count();
        Share {
            rate: self.rate / f64::from(replicas),
            burst: f64::from(self.burst.div_ceil(replicas)),
        }
    }

    fn with_bucket(&self, key: K, now: Instant, spend: bool) -> Result<(), Duration> {
        if self.rate == 0.0 {
            return Ok(());
        }
        let share = self.share();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&key) {
            buckets.retain(|_, bucket| bucket.refilled(now, share) < share.burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: share.burst,
            refilled_at: now,
        });
        bucket.tokens = bucket.refilled(now, share);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            if spend {
                bucket.tokens -= 1.0;
            }
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / share.rate))
        }
    }
}

impl Bucket {
    /// The tokens it holds at `now`. Capped by the share: when a replica joins, a bucket filled under
    /// the larger share keeps no more than the new one (the replicas never grant more than the budget
    /// for it); when one leaves, a bucket refills at the larger rate to the larger burst rather than
    /// growing at once (what the principal spent on the replica that left is not known here).
    fn refilled(&self, now: Instant, share: Share) -> f64 {
        let elapsed = now.saturating_duration_since(self.refilled_at).as_secs_f64();
        (self.tokens + elapsed * share.rate).min(share.burst)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn limiter(requests_per_second: u32, burst: u32) -> RateLimiter {
        shared_limiter(requests_per_second, burst, &LiveReplicas::alone())
    }

    /// A limiter of one replica among `replicas`.
    fn shared_limiter(requests_per_second: u32, burst: u32, replicas: &LiveReplicas) -> RateLimiter {
        RateLimiter::new(
            RateLimit {
                requests_per_second,
                burst,
            },
            replicas.clone(),
        )
    }

    /// Calls granted to `who` at `now`, until the first refusal.
    fn granted(limiter: &RateLimiter, who: Uuid, now: Instant) -> u32 {
        let mut granted = 0;
        while limiter.acquire(who, now).is_ok() {
            granted += 1;
        }
        granted
    }

    fn limits(replicas: u32, requests_per_second: u32, burst: u32) -> Share {
        let live = LiveReplicas::alone();
        live.set(replicas);
        shared_limiter(requests_per_second, burst, &live).share()
    }

    #[test]
    fn each_of_n_replicas_grants_the_rate_and_the_burst_divided_by_n() {
        let replicas = LiveReplicas::alone();
        replicas.set(2);
        let limiter = shared_limiter(10, 6, &replicas);
        let (who, start) = (Uuid::now_v7(), Instant::now());
        assert_eq!(granted(&limiter, who, start), 3, "half the burst");
        assert_eq!(
            limiter.acquire(who, start),
            Err(Duration::from_millis(200)),
            "a token every 200 ms: half of 10 a second"
        );
        assert!(limiter.acquire(who, start + Duration::from_millis(199)).is_err());
        assert!(limiter.acquire(who, start + Duration::from_millis(200)).is_ok());
    }

    #[test]
    fn a_share_of_the_burst_is_rounded_up_and_never_below_one() {
        assert_eq!(
            limits(1, 10, 5),
            Share {
                rate: 10.0,
                burst: 5.0
            }
        );
        assert_eq!(
            limits(2, 10, 5),
            Share {
                rate: 5.0,
                burst: 3.0
            }
        );
        assert_eq!(
            limits(3, 10, 5),
            Share {
                rate: 10.0 / 3.0,
                burst: 2.0
            }
        );
        assert_eq!(
            limits(4, 1, 1),
            Share {
                rate: 0.25,
                burst: 1.0
            }
        );
        assert_eq!(
            limits(4, 1, 0),
            Share {
                rate: 0.25,
                burst: 1.0
            },
            "a burst of 0 counts as 1"
        );
        assert_eq!(limits(7, 100, 200).burst, 29.0);
    }

    #[test]
    fn a_failed_authentication_budget_per_address_is_split_too() {
        let replicas = LiveReplicas::alone();
        replicas.set(4);
        let failures: RateLimiter<std::net::IpAddr> = RateLimiter::new(
            RateLimit {
                requests_per_second: 1,
                burst: 20,
            },
            replicas,
        );
        let (address, now) = (std::net::IpAddr::from([192, 0, 2, 1]), Instant::now());
        for _ in 0..5 {
            assert!(failures.acquire(address, now).is_ok());
        }
        assert_eq!(failures.check(address, now), Err(Duration::from_secs(4)));
    }

    #[test]
    fn a_bucket_keeps_no_more_than_the_new_share_when_a_replica_joins() {
        let replicas = LiveReplicas::alone();
        let limiter = shared_limiter(1, 10, &replicas);
        let (who, now) = (Uuid::now_v7(), Instant::now());
        assert!(limiter.acquire(who, now).is_ok());
        replicas.set(2);
        assert_eq!(
            granted(&limiter, who, now),
            5,
            "9 tokens left, capped at the new share"
        );
    }

    #[test]
    fn with_one_replica_again_the_whole_budget_returns() {
        let replicas = LiveReplicas::alone();
        replicas.set(2);
        let limiter = shared_limiter(2, 10, &replicas);
        let (who, start) = (Uuid::now_v7(), Instant::now());
        assert_eq!(granted(&limiter, who, start), 5);
        replicas.set(1);
        // Refilled at the whole rate, 2 a second, up to the whole burst.
        let later = start + Duration::from_secs(2);
        assert_eq!(granted(&limiter, who, later), 4);
        let much_later = later + Duration::from_secs(60);
        assert_eq!(granted(&limiter, who, much_later), 10);
        assert_eq!(
            granted(&limiter, Uuid::now_v7(), much_later),
            10,
            "a new principal too"
        );
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

    /// Calls for one principal spaced by `gaps_ms`: how many were served, over how many seconds.
    fn served_over(limiter: &RateLimiter, gaps_ms: &[u64]) -> (u32, f64) {
        let (who, start) = (Uuid::nil(), Instant::now());
        let mut now = start;
        let mut served = 0u32;
        for gap in gaps_ms {
            now += Duration::from_millis(*gap);
            if limiter.acquire(who, now).is_ok() {
                served += 1;
            }
        }
        (served, now.duration_since(start).as_secs_f64())
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
            let (served, window) = served_over(&limiter, &gaps_ms);
            prop_assert!(f64::from(served) <= f64::from(burst) + f64::from(rate) * window + 1e-9);
        }

        /// One replica of N serves a principal at most its share: `⌈burst / N⌉ + rate / N × window`.
        #[test]
        fn one_of_n_replicas_never_serves_more_than_its_share(
            rate in 1u32..50,
            burst in 1u32..50,
            replicas in 1u32..6,
            gaps_ms in prop::collection::vec(0u64..200, 1..300),
        ) {
            let live = LiveReplicas::alone();
            live.set(replicas);
            let limiter = shared_limiter(rate, burst, &live);
            let (served, window) = served_over(&limiter, &gaps_ms);
            let share = f64::from(burst.div_ceil(replicas)) + f64::from(rate) / f64::from(replicas) * window;
            prop_assert!(f64::from(served) <= share + 1e-9);
        }

        /// However the count of replicas changes, one replica never serves more than the whole budget.
        #[test]
        fn a_changing_count_never_lets_one_replica_exceed_the_budget(
            rate in 1u32..50,
            burst in 1u32..50,
            steps in prop::collection::vec((0u64..200, 1u32..6), 1..300),
        ) {
            let live = LiveReplicas::alone();
            let limiter = shared_limiter(rate, burst, &live);
            let (who, start) = (Uuid::nil(), Instant::now());
            let mut now = start;
            let mut served = 0u32;
            for (gap, replicas) in steps {
                now += Duration::from_millis(gap);
                live.set(replicas);
                if limiter.acquire(who, now).is_ok() {
                    served += 1;
                }
            }
            let window = now.duration_since(start).as_secs_f64();
            prop_assert!(f64::from(served) <= f64::from(burst) + f64::from(rate) * window + 1e-9);
        }
    }
}
