//! Leases for background jobs, so that of several replicas on one database one at a time runs each
//! job (the SLA monitor, the webhook dispatcher, the outbox pruner), and another takes over after the holder dies.
//!
//! A lease is a row of `job_leases` (migration 000015): its holder, when it expires, and a fencing
//! token. A replica takes the lease when it is free, renews it while it holds it, and lets it go when
//! it stops; one that dies stops renewing, and the lease is free again `period` after its last renewal.
//! Taking and renewing are one conditional upsert, so two replicas can never both succeed. The token
//! grows each time the lease changes hands: a holder that paused past its expiry sees it changed.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use uuid::Uuid;

use crate::platform::{
    db::{Db, now},
    error::Result,
};

/// One job's lease, as seen by one server process.
#[derive(Clone, Debug)]
pub struct Lease {
    job: &'static str,
    holder: String,
    period: Duration,
}

/// Proof of holding a lease: grows each time the lease passes to another holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FencingToken(pub i64);

impl Lease {
    /// The lease of `job` for `holder` (an id unique to this server process, see [`holder_id`]),
    /// held `period` past each renewal.
    pub fn new(job: &'static str, holder: impl Into<String>, period: Duration) -> Self {
        Self {
            job,
            holder: holder.into(),
            period,
        }
    }

    /// Takes the lease if it is free or expired, or renews it if this process holds it; `None` while
    /// another holder's lease runs.
    /// How long the lease lasts past a renewal.
    pub fn period(&self) -> Duration {
        self.period
    }

    pub async fn acquire(&self, db: &Db) -> Result<Option<FencingToken>> {
        self.acquire_at(db, now()).await
    }

    /// [`Lease::acquire`] as if the time were `at`.
    pub async fn acquire_at(&self, db: &Db, at: DateTime<Utc>) -> Result<Option<FencingToken>> {
        let backend = db.backend();
        let p = placeholder(backend);
        // Every SET expression reads the row as it was: the token grows only on a change of holder.
        let sql = format!(
            "INSERT INTO job_leases (job, holder, expire_time, fencing_token) VALUES ({p}1, {p}2, {p}3, 1) \
             ON CONFLICT (job) DO UPDATE SET \
             fencing_token = CASE WHEN job_leases.holder = excluded.holder \
             THEN job_leases.fencing_token ELSE job_leases.fencing_token + 1 END, \
             holder = excluded.holder, expire_time = excluded.expire_time \
             WHERE job_leases.holder = excluded.holder OR job_leases.expire_time < {p}4 \
             RETURNING fencing_token"
        );
        let values: [Value; 4] = [
            self.job.into(),
            self.holder.clone().into(),
            (at + self.period_delta()).into(),
            at.into(),
        ];
        let row = db
            .conn()
            .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(match row {
            Some(row) => Some(FencingToken(row.try_get_by_index(0)?)),
            None => None,
        })
    }

    /// Gives the lease up (on shutdown), so another replica need not wait for it to expire.
    pub async fn release(&self, db: &Db) -> Result<()> {
        let backend = db.backend();
        let p = placeholder(backend);
        let sql = format!("UPDATE job_leases SET expire_time = {p}1 WHERE job = {p}2 AND holder = {p}3");
        // Already past: the next replica to ask takes it.
        let expired = now() - TimeDelta::seconds(1);
        let values: [Value; 3] = [expired.into(), self.job.into(), self.holder.clone().into()];
        db.conn()
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    }

    /// The period as chrono counts it; configuration keeps it within a day (`jobs.lease_seconds`), and
    /// a day is what an unrepresentable one is cut to.
    fn period_delta(&self) -> TimeDelta {
        TimeDelta::from_std(self.period).unwrap_or(TimeDelta::days(1))
    }
}

/// A job's lease as its loop keeps it: asked for before each run, and given up when the loop ends.
#[derive(Debug)]
pub struct Turns {
    lease: Lease,
    held: Option<FencingToken>,
}

impl Turns {
    pub fn new(lease: Lease) -> Self {
        Self { lease, held: None }
    }

    /// Whether this process runs the job now: it holds (took or renewed) the lease. Says so in the log
    /// when the lease comes or goes; a database error counts as not holding it.
    pub async fn mine(&mut self, db: &Db) -> bool {
        let job = self.lease.job;
        let now_held = match self.lease.acquire(db).await {
            Ok(token) => token,
            Err(err) => {
                tracing::warn!(job, error = %err, "cannot renew the job's lease; skipping this run");
                None
            }
        };
        match (self.held, now_held) {
            (previous, Some(token)) if previous != Some(token) => {
                tracing::info!(job, fencing_token = token.0, "this replica now runs the job")
            }
            (Some(_), None) => tracing::info!(job, "another replica runs the job now"),
            _ => {}
        }
        self.held = now_held;
        now_held.is_some()
    }

    /// Lets the lease go if this process holds it (the loop is ending).
    pub async fn give_up(self, db: &Db) {
        if self.held.is_some()
            && let Err(err) = self.lease.release(db).await
        {
            tracing::warn!(job = self.lease.job, error = %err, "cannot release the job's lease; it expires by itself");
        }
    }
}

/// A fresh holder id for this server process: the process id, for people reading the table, and a
/// UUID, so restarts and replicas on other hosts never share one.
pub fn holder_id() -> String {
    format!("pid {} {}", std::process::id(), Uuid::now_v7())
}

/// Numbered parameters: `$1` on PostgreSQL, `?1` on SQLite (both let one number appear twice).
pub(crate) fn placeholder(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "$",
        _ => "?",
    }
}
