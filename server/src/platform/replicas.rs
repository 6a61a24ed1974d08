//! The replicas serving one database, counted, so that a budget each replica keeps in memory (the
//! request budget of each principal, the failed authentications of each client address) holds for all
//! of them together: each of N live replicas grants 1/N of it.
//!
//! A replica is a row of `server_replicas` (migration 000023): the id it holds job leases under, and
//! when it last said it was alive (`seen_at`, by its own clock, as job leases are). Every heartbeat
//! (`replicas.heartbeat_seconds`) each replica counts the other rows seen within the TTL
//! ([`TTL_HEARTBEATS`] heartbeats), keeps the count in memory, refreshes its own row and deletes rows
//! long dead. It registers before it serves and deletes its row as soon as shutdown begins. So the
//! others learn that a replica joined within one heartbeat, that one stopped within one heartbeat, and
//! that one died (stopped refreshing) within the TTL plus one heartbeat of its last refresh.
//!
//! The request path reads the count from an atomic ([`LiveReplicas`]), never from the database. When
//! the database cannot be reached the last count stands: a heartbeat error is logged, nothing waits on it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, Statement, Value};
use serde::Deserialize;
use tokio::{
    sync::{Notify, watch},
    task::JoinHandle,
    time::MissedTickBehavior,
};

use crate::platform::{
    db::{Db, now},
    error::Result,
    leases::placeholder,
};

/// Heartbeats a replica may miss before the others stop counting it: one late heartbeat (a slow
/// query, a pause) must not make the others grant it a share it is still using.
pub const TTL_HEARTBEATS: u32 = 3;
/// Rows not refreshed for this many TTLs are deleted. Counting already ignores them after one TTL;
/// they stay a little longer so that someone reading the table sees which replica went away.
const FORGET_AFTER_TTLS: u32 = 4;
/// Past a minute, the others would take over four minutes to notice that a replica died.
const MAX_HEARTBEAT_SECONDS: u64 = 60;
/// How long a stopping replica tries to delete its row; past it, the row ages out like a dead one's.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(5);

/// `[replicas]`: how replicas on one database keep count of each other.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicasConfig {
    /// Seconds between two refreshes of a replica's row (and counts of the others).
    pub heartbeat_seconds: u64,
}

impl Default for ReplicasConfig {
    fn default() -> Self {
        Self { heartbeat_seconds: 5 }
    }
}

impl ReplicasConfig {
    pub fn validate(&self) -> std::result::Result<(), String> {
        if !(1..=MAX_HEARTBEAT_SECONDS).contains(&self.heartbeat_seconds) {
            return Err(format!(
                "replicas.heartbeat_seconds must be 1..={MAX_HEARTBEAT_SECONDS}, not {}",
                self.heartbeat_seconds
            ));
        }
        Ok(())
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(self.heartbeat_seconds)
    }

    /// How long after its last heartbeat a replica is still counted.
    pub fn ttl(&self) -> Duration {
        self.heartbeat() * TTL_HEARTBEATS
    }
}

/// How many replicas are live on the database, this one included, as of the last heartbeat: at least 1.
/// Cloning shares the count.
#[derive(Clone, Debug)]
pub struct LiveReplicas(Arc<AtomicU32>);

impl LiveReplicas {
    /// This replica alone, until a heartbeat says otherwise.
    pub fn alone() -> Self {
        Self(Arc::new(AtomicU32::new(1)))
    }

    pub fn count(&self) -> u32 {
        self.0.load(Ordering::Relaxed).max(1)
    }

    /// What the heartbeat found (and what tests pretend).
    pub fn set(&self, count: u32) {
        self.0.store(count.max(1), Ordering::Relaxed);
    }
}

impl Default for LiveReplicas {
    fn default() -> Self {
        Self::alone()
    }
}

/// This replica's row in `server_replicas`, refreshed while the server runs.
pub struct Heartbeat {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Heartbeat {
    /// Registers this replica as `id` (the first heartbeat, awaited, so the others can count it before
    /// it serves), then beats every `config.heartbeat_seconds` into `live`, until `stopping` turns true
    /// (shutdown begins) or [`Heartbeat::stop`]; then deletes its row.
    pub async fn start(
        db: Db,
        config: ReplicasConfig,
        id: String,
        live: LiveReplicas,
        mut stopping: watch::Receiver<bool>,
    ) -> Self {
        let registry = Registry {
            db,
            id,
            ttl: delta(config.ttl()),
            forget_after: delta(config.ttl() * FORGET_AFTER_TTLS),
        };
        registry.beat(&live).await;
        let stop = Arc::new(Notify::new());
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let period = config.heartbeat();
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            // A closed channel (the server is gone) ends the loop as a `true` would.
            loop {
                tokio::select! {
                    () = stopped.notified() => break,
                    _ = stopping.wait_for(|stopping| *stopping) => break,
                    _ = ticks.tick() => {}
                }
                tokio::select! {
                    () = stopped.notified() => break,
                    _ = stopping.wait_for(|stopping| *stopping) => break,
                    () = registry.beat(&live) => {}
                }
            }
            registry.leave().await;
        });
        Self { stop, task }
    }

    /// Stops beating and waits until this replica's row is deleted (or could not be).
    pub async fn stop(self) {
        self.stop.notify_one();
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "replica heartbeat task ended abnormally");
        }
    }
}

struct Registry {
    db: Db,
    id: String,
    ttl: TimeDelta,
    forget_after: TimeDelta,
}

impl Registry {
    /// Counts, then refreshes: a count stored before the refresh that follows it, so that whoever sees
    /// this row refreshed twice since a change knows the count in memory reflects it.
    async fn beat(&self, live: &LiveReplicas) {
        if let Err(err) = self.try_beat(live).await {
            tracing::warn!(
                error = %err,
                replicas = live.count(),
                "cannot refresh this replica's row in server_replicas; budgets stay split by the last count"
            );
        }
    }

    async fn try_beat(&self, live: &LiveReplicas) -> Result<()> {
        let at = now();
        let others = self.count_others(at).await?;
        let count = others.saturating_add(1);
        let before = live.count();
        live.set(count);
        if count != before {
            tracing::info!(
                replicas = count,
                "replicas live on this database changed: this one grants 1/{count} of each request \
                 and failed-authentication budget"
            );
        }
        self.refresh(at).await?;
        self.forget_dead(at).await
    }

    /// The other replicas seen within the TTL.
    async fn count_others(&self, at: DateTime<Utc>) -> Result<u32> {
        let backend = self.db.backend();
        let p = placeholder(backend);
        let sql = format!("SELECT COUNT(*) FROM server_replicas WHERE id <> {p}1 AND seen_at >= {p}2");
        let values: [Value; 2] = [self.id.clone().into(), (at - self.ttl).into()];
        let row = self
            .db
            .conn()
            .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        let count: i64 = match row {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        };
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn refresh(&self, at: DateTime<Utc>) -> Result<()> {
        let backend = self.db.backend();
        let p = placeholder(backend);
        let sql = format!(
            "INSERT INTO server_replicas (id, seen_at) VALUES ({p}1, {p}2) \
             ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at"
        );
        let values: [Value; 2] = [self.id.clone().into(), at.into()];
        self.db
            .conn()
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    }

    async fn forget_dead(&self, at: DateTime<Utc>) -> Result<()> {
        let backend = self.db.backend();
        let p = placeholder(backend);
        let sql = format!("DELETE FROM server_replicas WHERE seen_at < {p}1");
        let values: [Value; 1] = [(at - self.forget_after).into()];
        self.db
            .conn()
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    }

    /// Deletes this replica's row: the others count one fewer at their next heartbeat.
    async fn leave(&self) {
        let backend = self.db.backend();
        let p = placeholder(backend);
        let sql = format!("DELETE FROM server_replicas WHERE id = {p}1");
        let values: [Value; 1] = [self.id.clone().into()];
        let delete = self
            .db
            .conn()
            .execute_raw(Statement::from_sql_and_values(backend, sql, values));
        match tokio::time::timeout(LEAVE_TIMEOUT, delete).await {
            Ok(Ok(_)) => tracing::info!("this replica left server_replicas"),
            Ok(Err(err)) => tracing::warn!(error = %err, "cannot delete this replica's row; it ages out"),
            Err(_) => tracing::warn!("deleting this replica's row timed out; it ages out"),
        }
    }
}

/// `duration` as chrono counts it; configuration keeps it within minutes.
fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ttl_is_three_heartbeats() {
        let config = ReplicasConfig::default();
        assert_eq!(config.heartbeat(), Duration::from_secs(5));
        assert_eq!(config.ttl(), Duration::from_secs(15));
    }

    #[test]
    fn the_heartbeat_is_one_second_to_a_minute() {
        for seconds in [0, MAX_HEARTBEAT_SECONDS + 1] {
            let refused = ReplicasConfig {
                heartbeat_seconds: seconds,
            }
            .validate()
            .unwrap_err();
            assert!(refused.contains("replicas.heartbeat_seconds"), "{refused}");
        }
        for seconds in [1, MAX_HEARTBEAT_SECONDS] {
            assert!(
                ReplicasConfig {
                    heartbeat_seconds: seconds
                }
                .validate()
                .is_ok()
            );
        }
    }

    #[test]
    fn the_count_is_shared_and_never_below_one() {
        let live = LiveReplicas::alone();
        let seen_by_the_limiter = live.clone();
        assert_eq!(seen_by_the_limiter.count(), 1);
        live.set(3);
        assert_eq!(seen_by_the_limiter.count(), 3);
        live.set(0);
        assert_eq!(seen_by_the_limiter.count(), 1);
    }
}
