//! The streaming standby that reports may read from (`database_read_url`), and how far it lags behind
//! the primary.
//!
//! A report read from the standby sees the primary as it was some moments ago. That is fine for a
//! funnel or a compliance figure, as long as "some moments" stays under `database_read_max_lag`; past
//! that, or while the lag is unknown, reports read from the primary. Everything else always does.
//!
//! The lag is measured on WAL positions, not on timestamps: a replay timestamp stands still while the
//! primary is idle, and would call an up-to-date standby late. A probe samples the primary's current
//! position, then the standby's replayed position; the standby holds every commit the primary had made
//! at the newest sample its replay has passed, so its view is at most as old as that sample.

use std::{
    collections::VecDeque,
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use tokio::task::AbortHandle;

/// Primary positions kept while waiting for the standby to replay past them: at the fastest probe
/// (every 100 ms) about seven minutes' worth. A standby further behind than the oldest is simply
/// not used.
const MAX_SAMPLES: usize = 4096;

/// The fastest and the slowest probe: a few probes per `max_lag`, so the lag is known to a fraction of
/// the bound, but no faster than the round trips are worth.
const FASTEST_PROBE: Duration = Duration::from_millis(100);
const SLOWEST_PROBE: Duration = Duration::from_secs(1);

const PRIMARY_POSITION: &str = "SELECT pg_is_in_recovery() AS recovering, \
     (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS position";
/// `pg_last_wal_replay_lsn()` is NULL on a server that is not a standby (one promoted since, or a
/// primary named by mistake).
const STANDBY_POSITION: &str = "SELECT pg_is_in_recovery() AS recovering, \
     (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS position";

#[derive(Debug)]
pub struct Standby {
    conn: DatabaseConnection,
    max_lag: Duration,
    meter: Mutex<LagMeter>,
    probe: OnceLock<AbortHandle>,
}

impl Standby {
    pub fn new(conn: DatabaseConnection, max_lag: Duration) -> Self {
        Self {
            conn,
            max_lag,
            meter: Mutex::new(LagMeter::default()),
            probe: OnceLock::new(),
        }
    }

    /// The standby's connection when its view is younger than `max_lag`; `None` when it is older or
    /// not known.
    pub fn if_fresh(&self) -> Option<&DatabaseConnection> {
        let lag = self.meter().lag(Instant::now())?;
        (lag <= self.max_lag).then_some(&self.conn)
    }

    /// Starts probing the lag against `primary` in the background, until [`Standby::close`].
    pub fn start_probe(self: &std::sync::Arc<Self>, primary: DatabaseConnection) {
        let standby = std::sync::Arc::downgrade(self);
        let interval = (self.max_lag / 4).clamp(FASTEST_PROBE, SLOWEST_PROBE);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut was_fresh = false;
            loop {
                ticks.tick().await;
                let Some(standby) = standby.upgrade() else {
                    break;
                };
                standby.probe_once(&primary).await;
                let fresh = standby.if_fresh().is_some();
                match (was_fresh, fresh) {
                    (false, true) => tracing::info!("reports read from the standby"),
                    (true, false) => tracing::warn!(
                        max_lag_ms = standby.max_lag.as_millis() as u64,
                        "the standby lags more than database_read_max_lag, or cannot be reached: \
                         reports read from the primary"
                    ),
                    _ => {}
                }
                was_fresh = fresh;
            }
        });
        let _ = self.probe.set(task.abort_handle());
    }

    async fn probe_once(&self, primary: &DatabaseConnection) {
        let sampled_at = Instant::now();
        match position(primary, PRIMARY_POSITION).await {
            Ok((false, Some(position))) => self.meter().primary_at(sampled_at, position),
            // Without a fresh sample the standby's view ages, and falls past the bound in time.
            Ok(_) => tracing::debug!("lag probe: database_url is in recovery"),
            Err(err) => tracing::debug!(error = %err, "lag probe: the primary did not answer"),
        }
        match position(&self.conn, STANDBY_POSITION).await {
            Ok((true, Some(replayed))) => self.meter().standby_replayed(replayed),
            Ok(_) => {
                tracing::debug!("lag probe: database_read_url is not a standby in recovery");
                self.meter().lost();
            }
            Err(err) => {
                tracing::debug!(error = %err, "lag probe: the standby did not answer");
                self.meter().lost();
            }
        }
    }

    /// Stops the probe and closes the standby's pool.
    pub async fn close(&self) -> Result<(), DbErr> {
        if let Some(probe) = self.probe.get() {
            probe.abort();
        }
        self.conn.clone().close().await
    }

    fn meter(&self) -> std::sync::MutexGuard<'_, LagMeter> {
        self.meter.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether the server is in recovery (a standby), and the WAL position `sql` reads, in bytes.
async fn position(conn: &DatabaseConnection, sql: &str) -> Result<(bool, Option<i64>), DbErr> {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::Custom("the lag probe read no row".to_owned()))?;
    Ok((
        row.try_get::<bool>("", "recovering")?,
        row.try_get::<Option<i64>>("", "position")?,
    ))
}

/// The standby's lag, from the primary's positions sampled over time and the standby's replay.
#[derive(Debug, Default)]
struct LagMeter {
    /// The primary's WAL position at each sample, oldest first, none older than [`LagMeter::caught_up_to`].
    samples: VecDeque<(Instant, i64)>,
    /// The newest sample the standby has replayed past: its view holds every commit made before then.
    caught_up_to: Option<Instant>,
}

impl LagMeter {
    fn primary_at(&mut self, at: Instant, position: i64) {
        if self.samples.len() == MAX_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back((at, position));
    }

    fn standby_replayed(&mut self, replayed: i64) {
        let passed = self
            .samples
            .partition_point(|&(_, position)| position <= replayed);
        if passed == 0 {
            return;
        }
        let (at, _) = self.samples[passed - 1];
        self.caught_up_to = Some(self.caught_up_to.map_or(at, |before| before.max(at)));
        // The samples before it can tell nothing newer any more.
        self.samples.drain(..passed - 1);
    }

    /// The standby could not be asked, or is no standby: its lag is not known.
    fn lost(&mut self) {
        self.caught_up_to = None;
    }

    /// How old the standby's view is at most, at `now`; `None` while not known.
    fn lag(&self, now: Instant) -> Option<Duration> {
        self.caught_up_to.map(|at| now.saturating_duration_since(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(start: Instant, millis: u64) -> Instant {
        start + Duration::from_millis(millis)
    }

    #[test]
    fn the_lag_is_unknown_until_the_standby_has_replayed_a_sample() {
        let start = Instant::now();
        let mut meter = LagMeter::default();
        assert_eq!(meter.lag(start), None);
        meter.standby_replayed(100);
        assert_eq!(meter.lag(start), None, "no primary sample yet");
        meter.primary_at(start, 200);
        meter.standby_replayed(150);
        assert_eq!(meter.lag(after(start, 10)), None, "behind the only sample");
        meter.standby_replayed(200);
        assert_eq!(meter.lag(after(start, 10)), Some(Duration::from_millis(10)));
    }

    #[test]
    fn an_idle_primary_keeps_a_caught_up_standby_fresh() {
        let start = Instant::now();
        let mut meter = LagMeter::default();
        for tick in 0..10 {
            meter.primary_at(after(start, tick * 250), 500);
            meter.standby_replayed(500);
        }
        assert_eq!(
            meter.lag(after(start, 9 * 250 + 5)),
            Some(Duration::from_millis(5)),
            "the last sample, not the first time the position was seen"
        );
    }

    #[test]
    fn a_standby_that_stops_replaying_ages_from_the_last_position_it_passed() {
        let start = Instant::now();
        let mut meter = LagMeter::default();
        meter.primary_at(start, 100);
        meter.standby_replayed(100);
        // Replay paused at 100 while the primary writes on.
        for tick in 1..=8 {
            meter.primary_at(after(start, tick * 250), 100 + tick as i64);
            meter.standby_replayed(100);
        }
        assert_eq!(meter.lag(after(start, 2000)), Some(Duration::from_secs(2)));
        // Replay resumes half way: it is as fresh as the newest sample it passed.
        meter.standby_replayed(104);
        assert_eq!(meter.lag(after(start, 2000)), Some(Duration::from_secs(1)));
    }

    #[test]
    fn a_lost_standby_has_no_known_lag_until_probed_again() {
        let start = Instant::now();
        let mut meter = LagMeter::default();
        meter.primary_at(start, 7);
        meter.standby_replayed(7);
        meter.lost();
        assert_eq!(meter.lag(after(start, 1)), None);
        meter.primary_at(after(start, 100), 7);
        meter.standby_replayed(7);
        assert_eq!(meter.lag(after(start, 101)), Some(Duration::from_millis(1)));
    }

    #[test]
    fn the_samples_stay_bounded_while_the_standby_never_catches_up() {
        let start = Instant::now();
        let mut meter = LagMeter::default();
        for tick in 0..(MAX_SAMPLES as u64 * 2) {
            meter.primary_at(after(start, tick), 10 + tick as i64);
            meter.standby_replayed(0);
        }
        assert_eq!(meter.samples.len(), MAX_SAMPLES);
        assert_eq!(meter.lag(after(start, 1)), None);
    }
}
