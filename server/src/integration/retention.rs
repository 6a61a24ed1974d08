//! Outbox retention: a background task that deletes outbox events older than
//! `integration.outbox_retention_days`, so the outbox does not grow forever. The audit trail
//! (`audit_entries`) is never pruned.
//!
//! What is deleted is always a prefix of the feed, in feed order (txid, id): each batch takes the
//! oldest events kept, up to the first one still inside the window, and only events of transactions
//! that have ended (on PostgreSQL, older than the snapshot's xmin, as the readers do), so no event can
//! later appear at or before a position already pruned. The batch's last position becomes the horizon
//! (`feed_horizon`, migration 000013) in the same transaction as the deletion, and the feed refuses
//! readers behind it (`feed::read_kept`) instead of resuming them with a gap. Outbox ids never come
//! back (a PostgreSQL sequence; SQLite `AUTOINCREMENT`), so new events always land after the horizon.
//!
//! Stopping at the first young event makes the prune conservative: an old event behind a younger one
//! in feed order (a long transaction's) waits for it. Each batch is one short transaction of at most
//! [`DEFAULT_BATCH`] rows, so writers never wait long. On PostgreSQL it runs READ COMMITTED rather than
//! the SERIALIZABLE of `Db::write`: it touches only settled rows, and serializable reads of the whole
//! prefix could make concurrent writers fail and retry. Pruners of several replicas take turns on the
//! horizon row's lock (SQLite: the write lock), so they share the work and never delete twice.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    AccessMode,
    ActiveValue::Set,
    ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, IsolationLevel, QueryFilter, QueryOrder,
    QuerySelect, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use tokio::{sync::Notify, task::JoinHandle, time::MissedTickBehavior};

use super::feed::{self, FeedPosition};
use crate::{
    integration::entity::feed_horizon,
    platform::{
        db::{Db, now},
        entity::outbox_event::{self, Column},
        error::Result,
        leases::{Lease, Turns},
    },
};

/// Events deleted per transaction.
pub const DEFAULT_BATCH: u64 = 10_000;

/// Events that occurred before this are pruned: `retention_days` before `now`. `None` when that is
/// before the calendar begins (nothing is old enough).
pub fn cutoff(now: DateTime<Utc>, retention_days: u32) -> Option<DateTime<Utc>> {
    now.checked_sub_signed(TimeDelta::try_days(i64::from(retention_days))?)
}

/// What one run of [`prune_once`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub pruned: u64,
    pub batches: u64,
    /// The new horizon, when events were pruned.
    pub through: Option<FeedPosition>,
}

/// Deletes the events that occurred before `cutoff`, oldest first in feed order, `batch` per
/// transaction, until the first event that did not (or the end of the settled feed).
pub async fn prune_once(db: &Db, cutoff: DateTime<Utc>, batch: u64) -> Result<PruneReport> {
    let batch = Ord::max(batch, 1);
    let mut report = PruneReport::default();
    while let Some(done) = prune_batch(db, cutoff, batch).await? {
        report.pruned += done.pruned;
        report.batches += 1;
        report.through = Some(done.through);
        if !done.more {
            break;
        }
        // Let the writers that queued behind this batch in before the next.
        tokio::task::yield_now().await;
    }
    Ok(report)
}

struct BatchDone {
    pruned: u64,
    through: FeedPosition,
    /// The whole batch was old enough: more may be.
    more: bool,
}

/// One transaction: the oldest `batch` settled events after the horizon, of which the old-enough
/// prefix is deleted and the horizon moved to its end. `None` when nothing was old enough.
async fn prune_batch(db: &Db, cutoff: DateTime<Utc>, batch: u64) -> Result<Option<BatchDone>> {
    let txn = begin(db).await?;
    // First a look without a lock. On PostgreSQL a row lock gives the transaction an id, and while a
    // transaction with an id runs it holds back the feeds of the whole cluster (their xmin): a pruner
    // with nothing to do takes none.
    let (pruned, exists) = read_horizon(&txn, false).await?;
    // The oldest transaction still running: what this batch deletes has settled, so nothing can still
    // be written at or before the new horizon.
    let xmin = feed::horizon(&txn).await?;
    let position = Expr::tuple([Expr::col(Column::Txid), Expr::col(Column::Id)]);
    let mut query = outbox_event::Entity::find()
        .select_only()
        .column(Column::Txid)
        .column(Column::Id)
        .column(Column::OccurredAt)
        .filter(
            position
                .clone()
                .gt(Expr::tuple([Expr::val(pruned.txid), Expr::val(pruned.id)])),
        )
        .order_by_asc(Column::Txid)
        .order_by_asc(Column::Id)
        .limit(batch);
    if let Some(xmin) = xmin {
        query = query.filter(Column::Txid.lt(xmin));
    }
    let candidates: Vec<(i64, i64, DateTime<Utc>)> = query.into_tuple().all(&txn).await?;
    let old = prunable(&candidates, cutoff);
    let Some(&(txid, id, _)) = old.last() else {
        txn.commit().await?;
        return Ok(None);
    };
    // Now the lock, so that concurrent pruners take turns (SQLite: the transaction has held the write
    // lock from its start). One that moved the horizon since the look may have deleted these events
    // already: look again.
    let (locked, _) = read_horizon(&txn, true).await?;
    if locked != pruned {
        txn.commit().await?;
        return Ok(Some(BatchDone {
            pruned: 0,
            through: locked,
            more: true,
        }));
    }
    // Exactly the events looked at: every event in the range has settled, so none was missing from the
    // look. A range of the (txid, id) index rather than a list of ids: one index range scan on
    // PostgreSQL (the rows before it are gone on SQLite, so its scan starts at the range too).
    let through = FeedPosition { txid, id };
    let end = Expr::tuple([Expr::val(through.txid), Expr::val(through.id)]);
    let deleted = outbox_event::Entity::delete_many()
        .filter(
            position
                .clone()
                .gt(Expr::tuple([Expr::val(pruned.txid), Expr::val(pruned.id)])),
        )
        .filter(position.lte(end))
        .exec(&txn)
        .await?
        .rows_affected;
    let row = feed_horizon::ActiveModel {
        id: Set(1),
        txid: Set(through.txid),
        event_id: Set(through.id),
        prune_time: Set(Some(now())),
    };
    match exists {
        true => feed_horizon::Entity::update(row).exec(&txn).await.map(drop)?,
        // Only if someone deleted the row migration 000013 wrote.
        false => feed_horizon::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map(drop)?,
    }
    txn.commit().await?;
    Ok(Some(BatchDone {
        pruned: deleted,
        through,
        more: old.len() == candidates.len() && candidates.len() as u64 == batch,
    }))
}

/// The pruned horizon and whether its row exists, read with a row lock (`FOR UPDATE`, PostgreSQL) when
/// `lock` is set.
async fn read_horizon(txn: &DatabaseTransaction, lock: bool) -> Result<(FeedPosition, bool)> {
    let mut find = feed_horizon::Entity::find_by_id(1);
    if lock {
        find = find.lock_exclusive();
    }
    Ok(match find.one(txn).await? {
        Some(row) => (
            FeedPosition {
                txid: row.txid,
                id: row.event_id,
            },
            true,
        ),
        None => (FeedPosition::START, false),
    })
}

/// The events of `candidates` (in feed order) that may go: those before the first that occurred at or
/// after `cutoff`.
fn prunable(candidates: &[(i64, i64, DateTime<Utc>)], cutoff: DateTime<Utc>) -> &[(i64, i64, DateTime<Utc>)] {
    let old = candidates
        .iter()
        .take_while(|&&(_, _, occurred)| occurred < cutoff)
        .count();
    &candidates[..old]
}

async fn begin(db: &Db) -> Result<DatabaseTransaction> {
    let options = match db.backend() {
        DbBackend::Sqlite => TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        },
        _ => TransactionOptions {
            isolation_level: Some(IsolationLevel::ReadCommitted),
            access_mode: Some(AccessMode::ReadWrite),
            ..Default::default()
        },
    };
    Ok(db.conn().begin_with_options(options).await?)
}

/// The running pruner; [`Pruner::stop`] ends it.
pub struct Pruner {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Pruner {
    /// Prunes at once and then every `interval` (when this server holds `lease`), deleting events older
    /// than `retention_days`, `batch` per transaction. A run that fails is logged and tried again at
    /// the next tick.
    pub fn start(db: Db, interval: Duration, retention_days: u32, batch: u64, lease: Lease) -> Self {
        let stop = Arc::new(Notify::new());
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let mut turns = Turns::new(lease);
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stopped.notified() => break,
                    _ = ticks.tick() => {}
                }
                let Some(cutoff) = cutoff(now(), retention_days) else {
                    continue;
                };
                // One replica prunes at a time (they would only wait on each other's lock).
                if !turns.mine(&db).await {
                    continue;
                }
                let started = std::time::Instant::now();
                // Dropping a run midway (on stop) rolls back only the batch in progress.
                tokio::select! {
                    () = stopped.notified() => break,
                    pruned = prune_once(&db, cutoff, batch) => match pruned {
                        Ok(report) if report.pruned > 0 => tracing::info!(
                            pruned = report.pruned,
                            batches = report.batches,
                            through = %report.through.map(FeedPosition::to_cursor).unwrap_or_default(),
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "outbox pruned"
                        ),
                        Ok(_) => tracing::debug!("outbox pruner: nothing old enough"),
                        Err(err) => tracing::warn!(error = %err, "outbox pruning failed; retrying at the next tick"),
                    },
                }
            }
            turns.give_up(&db).await;
            tracing::info!("outbox pruner stopped");
        });
        tracing::info!(
            interval_seconds = interval.as_secs(),
            retention_days,
            batch,
            "outbox pruner started"
        );
        Self { stop, task }
    }

    /// Stops the pruner and waits for it: a batch in progress rolls back.
    pub async fn stop(self) {
        self.stop.notify_one();
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "outbox pruner task ended abnormally");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn the_cutoff_is_the_retention_window_before_now() {
        let now = at(1_796_000_000);
        assert_eq!(cutoff(now, 31), Some(at(1_796_000_000 - 31 * 86_400)));
        assert_eq!(cutoff(now, 0), Some(now));
        assert_eq!(
            cutoff(now, u32::MAX),
            None,
            "before the calendar: nothing is that old"
        );
    }

    #[test]
    fn only_the_old_prefix_of_the_feed_goes() {
        let cutoff = at(1_000);
        let feed = [
            (7, 1, at(10)),
            (7, 2, at(999)),
            // A transaction that wrote late: it holds back the old event after it.
            (8, 4, at(1_000)),
            (9, 3, at(20)),
        ];
        assert_eq!(prunable(&feed, cutoff), &feed[..2]);
        assert!(prunable(&feed[2..], cutoff).is_empty());
        assert_eq!(prunable(&feed[..2], cutoff).len(), 2);
        assert!(prunable(&[], cutoff).is_empty());
    }
}
