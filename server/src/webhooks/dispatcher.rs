//! The webhook dispatcher: a background job that, on the replica holding its lease, walks every due
//! subscription through the outbox feed and POSTs its next events, one at a time and in order, until
//! the subscription is up to date or an attempt fails (then that event waits for its retry).
//!
//! Delivery is at least once: an event is acknowledged (the subscription's cursor moves past it) only
//! after its receiver answered 2xx, in a transaction of its own; a crash in between sends it again,
//! with the same `webhook-id`, so a receiver can drop the duplicate.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::{sync::Notify, task::JoinHandle};
use uuid::Uuid;

use super::{
    delivery::{self, Attempt, Limits},
    guard::AddressPolicy,
    signature,
    store::{self, Delivery, Due, Outcome},
};
use crate::{
    config::WebhooksConfig,
    identity::{
        Visibility,
        permissions::{Permission, scope_of},
        store::roles_of,
    },
    integration::feed::{self, EventFilter, FeedPosition, event_to_proto},
    platform::{
        db::{Db, now},
        entity::outbox_event,
        error::Result,
        leases::{Lease, Turns},
    },
};

/// The most events one subscription is sent in one round, so that one with a long backlog does not
/// hold the others back.
const EVENTS_PER_ROUND: usize = 100;

/// How long a failed event waits before its first retry; each further failure doubles it, up to
/// [`LONGEST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// The running dispatcher; [`Dispatcher::stop`] ends it.
pub struct Dispatcher {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

/// What every delivery of a dispatcher shares.
struct Settings {
    policy: AddressPolicy,
    limits: Limits,
    retry_period: chrono::Duration,
    poll: Duration,
}

impl Dispatcher {
    /// Starts delivering whenever this server holds `lease`. `config` has been validated.
    pub fn start(db: Db, config: &WebhooksConfig, lease: Lease) -> Result<Self, String> {
        // A delivery must end while the lease it started under still holds (see `renew_every`).
        let longest = Duration::from_secs(config.timeout_seconds).min(lease.period() * 2 / 3);
        let settings = Settings {
            policy: AddressPolicy::new(&config.allowed_networks)?,
            limits: Limits {
                total_timeout: longest,
                connect_timeout: Limits::default().connect_timeout.min(longest),
                ..Limits::default()
            },
            retry_period: chrono::Duration::seconds(config.retry_seconds as i64),
            poll: Duration::from_millis(config.poll_millis),
        };
        let stop = Arc::new(Notify::new());
        let stopped = Arc::clone(&stop);
        // Renewed three times a lease period during a round: a delivery started just before a renewal
        // ends before the lease could lapse (`timeout_seconds` is below two thirds of the lease).
        let renew_every = lease.period() / 3;
        let task = tokio::spawn(async move {
            let mut held = Held::new(Turns::new(lease), renew_every);
            loop {
                if held.renew(&db).await {
                    // Dropping a round midway (on stop) loses nothing: what was not acknowledged is
                    // sent again.
                    tokio::select! {
                        () = stopped.notified() => break,
                        round = round(&db, &settings, &mut held) => if let Err(err) = round {
                            tracing::warn!(error = %err, "webhook round failed; retrying");
                        },
                    }
                }
                tokio::select! {
                    () = stopped.notified() => break,
                    () = tokio::time::sleep(settings.poll) => {}
                }
            }
            held.turns.give_up(&db).await;
            tracing::info!("webhook dispatcher stopped");
        });
        Ok(Self { stop, task })
    }

    /// Stops the dispatcher and waits for it.
    pub async fn stop(self) {
        self.stop.notify_one();
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "webhook dispatcher task ended abnormally");
        }
    }
}

/// The dispatcher's lease, renewed during a round whenever a third of its period has passed since the
/// last renewal: a round longer than the lease must not go on once another replica may have taken it,
/// or both would send the same events.
struct Held {
    turns: Turns,
    renewed: Option<std::time::Instant>,
    every: Duration,
}

impl Held {
    fn new(turns: Turns, every: Duration) -> Self {
        Self {
            turns,
            renewed: None,
            every,
        }
    }

    /// Takes or renews the lease; whether this replica holds it.
    async fn renew(&mut self, db: &Db) -> bool {
        let mine = self.turns.mine(db).await;
        self.renewed = mine.then(std::time::Instant::now);
        mine
    }

    /// Whether this replica still holds the lease, renewing it when it is due.
    async fn still_mine(&mut self, db: &Db) -> bool {
        match self.renewed {
            Some(at) if at.elapsed() < self.every => true,
            _ => self.renew(db).await,
        }
    }
}

/// One pass over the due subscriptions, for as long as this replica holds the lease.
async fn round(db: &Db, settings: &Settings, held: &mut Held) -> Result<()> {
    for due in store::due_subscriptions(db, now()).await? {
        catch_up(db, settings, held, due).await?;
    }
    Ok(())
}

/// Sends `due`'s next events until it is up to date, an attempt fails, it had its share, or the lease
/// is gone.
async fn catch_up(db: &Db, settings: &Settings, held: &mut Held, mut due: Due) -> Result<()> {
    let Some((visibility, identity_events)) = owner_sees(db, due.subscription.owner_staff_id).await? else {
        return Ok(()); // The owner may no longer read anything: the events wait.
    };
    let filter = EventFilter {
        event_types: due.subscription.fields.event_types.iter().cloned().collect(),
        resource_types: due.subscription.fields.resource_types.iter().cloned().collect(),
        identity_events,
    };
    for _ in 0..EVENTS_PER_ROUND {
        let batch = feed::read_after(db, due.subscription.cursor, 1, &filter, visibility).await?;
        let wanted = batch.events.into_iter().find(|event| {
            due.subscription
                .fields
                .account_id
                .is_none_or(|account| event.account_id == Some(account))
        });
        let Some(event) = wanted else {
            if batch.next > due.subscription.cursor {
                // Past events the filters or visibility leave out.
                advance(db, &mut due, batch.next).await?;
                if batch.full {
                    continue;
                }
            }
            return Ok(());
        };
        let position = FeedPosition {
            txid: event.txid,
            id: event.id,
        };
        if !held.still_mine(db).await || !store::unchanged(db, &due.subscription).await? {
            return Ok(());
        }
        let attempt = send(&due, event, settings).await;
        if attempt.1.acknowledged() {
            let log = delivery_log(&due, &attempt.0, &attempt.1);
            if !store::record_outcome(
                db,
                &due.subscription,
                Outcome::Advanced { to: position },
                Some(log),
            )
            .await?
            {
                return Ok(()); // Changed by an ADMIN meanwhile: read it again next round.
            }
            due.subscription.cursor = position;
            due.subscription.failed_attempts = 0;
            due.subscription.first_failure_time = None;
        } else {
            let failed = failure(&due, settings, now());
            let log = delivery_log(&due, &attempt.0, &attempt.1);
            store::record_outcome(db, &due.subscription, failed, Some(log)).await?;
            return Ok(());
        }
    }
    Ok(())
}

/// Moves `due` past events it is not sent.
async fn advance(db: &Db, due: &mut Due, to: FeedPosition) -> Result<()> {
    if store::record_outcome(db, &due.subscription, Outcome::Advanced { to }, None).await? {
        due.subscription.cursor = to;
    }
    Ok(())
}

/// The event the subscription is sent, and what its receiver answered.
struct Sent {
    cursor: String,
    event_type: String,
}

/// POSTs `event` to `due`'s URL, signed.
async fn send(due: &Due, event: outbox_event::Model, settings: &Settings) -> (Sent, Attempt) {
    let mut message = event_to_proto(event);
    // The typed payload carries it already; twice would double every body.
    message.payload_json.clear();
    let sent = Sent {
        cursor: message.cursor.clone(),
        event_type: message.event_type.clone(),
    };
    let body = Bytes::from(serde_json::to_vec(&message).unwrap_or_default());
    let timestamp = now().timestamp();
    let signature = signature::sign(&due.secret, &sent.cursor, timestamp, &body);
    let headers = [
        ("webhook-id", sent.cursor.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ];
    let attempt = delivery::post(
        &due.subscription.fields.url,
        &headers,
        body,
        &settings.policy,
        &settings.limits,
    )
    .await;
    (sent, attempt)
}

/// What a failed attempt at `due`'s next event makes of the subscription: a retry after a wait that
/// doubles with each failure (with jitter, so that many subscriptions failing together do not retry
/// together), or, once the event has failed for longer than the retry period, a pause.
fn failure(due: &Due, settings: &Settings, at: DateTime<Utc>) -> Outcome {
    let first_failure_time = due.subscription.first_failure_time.unwrap_or(at);
    let failing = at - first_failure_time >= settings.retry_period;
    Outcome::Failed {
        first_failure_time,
        retry_at: at + backoff(due.subscription.failed_attempts, jitter()),
        failing,
    }
}

/// The wait before retry number `failed + 1`: [`FIRST_WAIT`] doubled per earlier failure, at most
/// [`LONGEST_WAIT`], scaled by `jitter` (0.5..=1.0).
fn backoff(failed: i32, jitter: f64) -> chrono::Duration {
    let doublings = failed.clamp(0, 20) as u32;
    let wait = FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT);
    chrono::Duration::from_std(wait.mul_f64(jitter.clamp(0.5, 1.0))).unwrap_or(chrono::Duration::MAX)
}

/// A random factor in 0.5..=1.0.
fn jitter() -> f64 {
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    0.5 + f64::from(byte[0]) / 510.0
}

fn delivery_log(due: &Due, sent: &Sent, attempt: &Attempt) -> Delivery {
    Delivery {
        id: Uuid::now_v7(),
        subscription_id: due.subscription.id,
        event_cursor: sent.cursor.clone(),
        event_type: sent.event_type.clone(),
        attempt: due.subscription.failed_attempts.saturating_add(1),
        attempt_time: now(),
        status_code: attempt.status.map_or(0, i32::from),
        latency_millis: i32::try_from(attempt.latency.as_millis()).unwrap_or(i32::MAX),
        response_excerpt: attempt.excerpt.clone(),
        error: attempt.error.clone().unwrap_or_default(),
        acknowledged: attempt.acknowledged(),
    }
}

/// What the subscription's owner may watch now: which accounts, and whether identity events. `None`
/// when the owner may not watch events at all (no longer has a role that reads accounts).
async fn owner_sees(db: &Db, owner: Uuid) -> Result<Option<(Visibility, bool)>> {
    let roles = roles_of(db.conn(), owner).await?;
    let visibility = match scope_of(&roles, Permission::ReadAccounts) {
        None => return Ok(None),
        Some(scope) => scope.visibility(owner),
    };
    Ok(Some((
        visibility,
        scope_of(&roles, Permission::ReadAudit).is_some(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        let waits: Vec<i64> = (0..4).map(|failed| backoff(failed, 1.0).num_seconds()).collect();
        assert_eq!(waits, [1, 2, 4, 8]);
        assert_eq!(backoff(30, 1.0).num_seconds(), 3600);
        assert_eq!(backoff(-3, 1.0).num_seconds(), 1);
        assert_eq!(
            backoff(3, 0.5).num_seconds(),
            4,
            "jitter shortens the wait by at most half"
        );
        for _ in 0..100 {
            assert!((0.5..=1.0).contains(&jitter()));
        }
    }
}
