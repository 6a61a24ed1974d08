//! The watcher as a background task: every `interval` it runs [`watch_once`] (the database side, with
//! the exactly-once claims, is in `store::watch`). Of several servers on one database, the one holding
//! the `watcher` lease watches ([`crate::platform::leases`]); were two to watch at once anyway (a
//! holder paused past its lease), each announcement's claim would still let only one of them make it.

use std::{sync::Arc, time::Duration};

use tokio::{sync::Notify, task::JoinHandle, time::MissedTickBehavior};

pub use super::store::watch_once;
use crate::{
    config::PlanningConfig,
    notifications::config::NotificationsConfig,
    platform::{
        db::{Db, now},
        leases::{Lease, Turns},
    },
};

/// The running watcher; [`Watcher::stop`] ends it.
pub struct Watcher {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Watcher {
    /// Starts watching at once and then every `config.watch_interval_seconds`, whenever this server
    /// holds `lease`. A watch that fails is logged and tried again at the next tick: what it did not
    /// claim is still news then.
    pub fn start(db: Db, planning: PlanningConfig, config: NotificationsConfig, lease: Lease) -> Self {
        let stop = Arc::new(Notify::new());
        let stopped = Arc::clone(&stop);
        let interval = Duration::from_secs(config.watch_interval_seconds);
        let task = tokio::spawn(async move {
            let mut turns = Turns::new(lease);
            let mut ticks = tokio::time::interval(interval);
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
                tokio::select! {
                    () = stopped.notified() => break,
                    watched = watch_once(&db, &planning, &config, now()) => match watched {
                        Ok(report) => tracing::debug!(
                            health_changes = report.health_changes,
                            key_dates = report.key_dates,
                            cadences = report.cadences,
                            overdue_actions = report.overdue_actions,
                            notifications = report.notifications,
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "watch"
                        ),
                        Err(err) => tracing::warn!(error = %err, "watch failed; retrying at the next tick"),
                    },
                }
            }
            turns.give_up(&db).await;
            tracing::info!("watcher stopped");
        });
        tracing::info!(interval_seconds = interval.as_secs(), "watcher started");
        Self { stop, task }
    }

    /// Stops the watcher and waits for it: a watch in progress is abandoned (its current transaction
    /// rolls back).
    pub async fn stop(self) {
        self.stop.notify_one();
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "watcher task ended abnormally");
        }
    }
}
