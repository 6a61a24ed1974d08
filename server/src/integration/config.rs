//! The integration area's settings (`[integration]`): the event stream, the change feed, the outbox's
//! retention and the imports' horizon.

use serde::Deserialize;

/// The integration API: the event stream, the change feed and the outbox's retention.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrationConfig {
    /// How long an open `WatchEvents` stream waits, once it has caught up, before it looks for new
    /// events again, in milliseconds: the stream's delay at most, and one small query per stream each
    /// time.
    pub watch_poll_millis: u64,
    /// How long a `ListChanges` sync token stays good, in days; an older one is refused with
    /// SYNC_TOKEN_EXPIRED and the client starts over with a full sync.
    pub sync_token_retention_days: u32,
    /// How long outbox events are kept, in days, before the pruner deletes them (the audit trail is
    /// kept). Unset: [`Self::sync_token_retention_days`] plus a day of grace; when set, it must be
    /// longer than that (see [`Self::outbox_retention`]).
    pub outbox_retention_days: Option<u32>,
    /// Seconds between two runs of the outbox pruner; at least 1.
    pub prune_interval_secs: u64,
    /// How many `WatchEvents` streams one principal may hold open at once; one more answers
    /// RESOURCE_EXHAUSTED (TOO_MANY_STREAMS). Each stream is a task and a database read per poll.
    pub max_streams_per_principal: usize,
    /// How far back, in days, the `open_time` of a service request that `ImportServiceRequests` opens
    /// may lie; an older one is a row error. Every read replays a ticket's SLA clock from its opening a
    /// day at a time, so this bounds what one imported ticket costs each read. At least 1.
    pub open_time_horizon_days: u32,
}

impl IntegrationConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.watch_poll_millis < 10 {
            return Err("integration.watch_poll_millis: at least 10".to_owned());
        }
        if self.sync_token_retention_days == 0 {
            return Err("integration.sync_token_retention_days: at least 1".to_owned());
        }
        let (outbox, tokens) = (self.outbox_retention(), self.sync_token_retention_days);
        if outbox <= tokens {
            return Err(format!(
                "integration.outbox_retention_days ({outbox}) must be greater than \
                 integration.sync_token_retention_days ({tokens}): a sync token that is still good must \
                 find the events after it (leave it unset for {tokens} + 1)"
            ));
        }
        if self.max_streams_per_principal == 0 {
            return Err("integration.max_streams_per_principal: at least 1".to_owned());
        }
        if self.prune_interval_secs == 0 {
            return Err("integration.prune_interval_secs: at least 1".to_owned());
        }
        if self.open_time_horizon_days == 0 {
            return Err("integration.open_time_horizon_days: at least 1".to_owned());
        }
        Ok(())
    }

    /// How many days outbox events are kept: `outbox_retention_days`, else a day longer than sync tokens
    /// live. The day of grace: a token issued at T names a feed position, and on PostgreSQL an event
    /// after that position may have been written (its `occurred_at`) a little before T, by a transaction
    /// that began before T and committed after. Pruning exactly at the tokens' lifetime could delete such
    /// an event while a good token still needs it.
    pub fn outbox_retention(&self) -> u32 {
        self.outbox_retention_days
            .unwrap_or_else(|| self.sync_token_retention_days.saturating_add(1))
    }
}

impl Default for IntegrationConfig {
    fn default() -> Self {
        Self {
            watch_poll_millis: 500,
            sync_token_retention_days: 30,
            outbox_retention_days: None,
            prune_interval_secs: 3600,
            max_streams_per_principal: 16,
            open_time_horizon_days: 365,
        }
    }
}
