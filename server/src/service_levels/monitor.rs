//! The breach monitor as a background task: every `interval` it runs [`scan_once`] (the database side,
//! with the exactly-once rules, is in `store::monitor`). Of several servers on one database, the one
//! holding the `sla_monitor` lease scans ([`crate::platform::leases`]); were two to scan at once anyway (a holder
//! paused past its lease), the compare-and-set writes would still record each event once.

use std::{sync::Arc, time::Duration};

use tokio::{sync::Notify, task::JoinHandle, time::MissedTickBehavior};

pub use super::store::{ScanReport, scan_once};
use crate::platform::{
    db::{Db, now},
    leases::{Lease, Turns},
};

/// How many due requests one batch query of a scan fetches.
pub const DEFAULT_BATCH: u64 = 500;

/// The running monitor; [`Monitor::stop`] ends it.
pub struct Monitor {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Monitor {
    /// Starts scanning at once and then every `interval`, whenever this server holds `lease`. A scan
    /// that fails is logged and retried at the next tick: the requests it did not finish stay due.
    pub fn start(db: Db, interval: Duration, batch: u64, lease: Lease) -> Self {
        let stop = Arc::new(Notify::new());
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let mut turns = Turns::new(lease);
            let mut ticks = tokio::time::interval(interval);
            // After a slow scan, one scan catches up with everything due; a burst would find nothing.
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stopped.notified() => break,
                    _ = ticks.tick() => {}
                }
                if !turns.mine(&db).await {
                    continue;
                }
                let started = std::time::Instant::now();
                // Dropping a scan midway (on stop) rolls back only the request being handled.
                tokio::select! {
                    () = stopped.notified() => break,
                    scanned = scan_once(&db, now(), batch) => match scanned {
                        Ok(report) => tracing::debug!(
                            examined = report.examined,
                            at_risk = report.at_risk_recorded,
                            breached = report.breached_recorded,
                            escalations = report.escalations,
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "sla monitor scan"
                        ),
                        Err(err) => tracing::warn!(error = %err, "sla monitor scan failed; retrying at the next tick"),
                    },
                }
            }
            turns.give_up(&db).await;
            tracing::info!("sla monitor stopped");
        });
        tracing::info!(
            interval_seconds = interval.as_secs(),
            batch,
            "sla monitor started"
        );
        Self { stop, task }
    }

    /// Stops the monitor and waits for it: a scan in progress is abandoned (its current transaction
    /// rolls back).
    pub async fn stop(self) {
        self.stop.notify_one();
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "sla monitor task ended abnormally");
        }
    }
}
