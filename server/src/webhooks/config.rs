//! The webhook area's settings (`[webhooks]`): how the dispatcher polls, times out, retries, and which
//! internal networks receivers may live in.

use serde::Deserialize;

/// Delivering events to webhook subscriptions (`WebhookService`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// How long the dispatcher waits, once every subscription is up to date or waiting for a retry,
    /// before it looks again.
    pub poll_millis: u64,
    /// The longest one delivery may take, connecting included; longer is a failed attempt.
    pub timeout_seconds: u64,
    /// How long a subscription keeps retrying the event that fails before it turns FAILING and pauses.
    pub retry_seconds: u64,
    /// Networks (`10.0.0.0/8`, `127.0.0.1/32`, `::1/128`) that webhook URLs may reach although they are
    /// internal (loopback, private, link-local …): on-premise receivers. Empty: public addresses only.
    pub allowed_networks: Vec<String>,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            poll_millis: 500,
            timeout_seconds: 10,
            retry_seconds: 86_400,
            allowed_networks: Vec::new(),
        }
    }
}

/// Thirty days: an endpoint down for longer is gone, and the outbox may not keep its events anyway.
const MAX_RETRY_SECONDS: u64 = 30 * 86_400;

impl WebhooksConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.poll_millis < 10 {
            return Err("webhooks.poll_millis: at least 10".to_owned());
        }
        if !(1..=300).contains(&self.timeout_seconds) {
            return Err("webhooks.timeout_seconds: 1 to 300".to_owned());
        }
        if !(1..=MAX_RETRY_SECONDS).contains(&self.retry_seconds) {
            return Err(format!(
                "webhooks.retry_seconds: 1 to {MAX_RETRY_SECONDS} (30 days)"
            ));
        }
        crate::webhooks::guard::AddressPolicy::new(&self.allowed_networks)
            .map(|_| ())
            .map_err(|bad| format!("webhooks.allowed_networks: {bad}"))
    }
}
