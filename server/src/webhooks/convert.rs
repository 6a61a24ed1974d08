//! Webhook subscriptions between the wire and the store: the fields a client may write, validated
//! (URLs, type filters, the update mask), and subscriptions and deliveries as the API shows them.

use kam_proto::{
    pbjson_types::FieldMask,
    v1::{self as pb, webhook_subscription::State},
};

use super::store::{Delivery, Subscription, SubscriptionFields};
use crate::platform::{
    error::{FieldViolation, Result, Violations},
    etag,
    fields::{optional_id, required_id, text, texts},
    wire::{mask_paths, timestamp},
};

/// The longest URL accepted: longer ones are not endpoints anyone runs.
const MAX_URL: usize = 2000;
/// The most event or resource types one subscription filters on.
const MAX_TYPES: usize = 1000;

/// A URL a subscription may name: `https://` or `http://` with a host, no credentials in it. Whether
/// its host may be reached is decided at each delivery (DNS may change).
pub(super) fn url(field: &str, raw: &str) -> Result<String, FieldViolation> {
    let url = text(field, raw, MAX_URL, true)?;
    let parsed: http::Uri = url
        .parse()
        .map_err(|_| FieldViolation::new(field, "must be an absolute http:// or https:// URL"))?;
    let scheme_ok = matches!(parsed.scheme_str(), Some("http" | "https"));
    let authority = parsed.authority().map(|a| a.as_str()).unwrap_or_default();
    if !scheme_ok || parsed.host().is_none_or(str::is_empty) {
        return Err(FieldViolation::new(
            field,
            "must be an absolute http:// or https:// URL",
        ));
    }
    if authority.contains('@') {
        return Err(FieldViolation::new(field, "must not carry credentials"));
    }
    Ok(url)
}

pub(super) fn type_names(field: &str, raw: &[String]) -> Result<Vec<String>, FieldViolation> {
    if raw.len() > MAX_TYPES {
        return Err(FieldViolation::new(field, format!("at most {MAX_TYPES}")));
    }
    texts(field, raw, 128)
}

/// The writable fields of `raw`, validated into `v`; `url` only when `check_url` (an update that does
/// not name it leaves it alone, however it arrived).
pub(super) fn written_fields(
    raw: &pb::WebhookSubscription,
    check_url: bool,
    v: &mut Violations,
) -> SubscriptionFields {
    SubscriptionFields {
        url: match check_url {
            true => v.take(url("subscription.url", &raw.url)).unwrap_or_default(),
            false => String::new(),
        },
        description: v
            .take(text("subscription.description", &raw.description, 500, false))
            .unwrap_or_default(),
        event_types: v
            .take(type_names("subscription.event_types", &raw.event_types))
            .unwrap_or_default(),
        resource_types: v
            .take(type_names("subscription.resource_types", &raw.resource_types))
            .unwrap_or_default(),
        account_id: v
            .take(optional_id("subscription.account_id", &raw.account_id))
            .flatten(),
        enabled: raw.enabled,
    }
}

pub(super) fn new_subscription(raw: pb::WebhookSubscription) -> Result<SubscriptionFields> {
    let mut v = Violations::default();
    let fields = SubscriptionFields {
        // A new subscription delivers unless asked not to; `enabled` is false only when set so on
        // purpose, which proto3 cannot tell from unset: creating a disabled one is an update away.
        enabled: true,
        ..written_fields(&raw, true, &mut v)
    };
    v.into_result()?;
    Ok(fields)
}

/// A validated update: which subscription, the etag to check, and the new values of the paths named.
pub(super) struct SubscriptionUpdate {
    pub id: uuid::Uuid,
    pub etag: Option<String>,
    paths: Vec<String>,
    values: SubscriptionFields,
}

impl SubscriptionUpdate {
    pub(super) fn apply(&self, fields: &mut SubscriptionFields) {
        for path in &self.paths {
            match path.as_str() {
                "url" => fields.url = self.values.url.clone(),
                "description" => fields.description = self.values.description.clone(),
                "event_types" => fields.event_types = self.values.event_types.clone(),
                "resource_types" => fields.resource_types = self.values.resource_types.clone(),
                "account_id" => fields.account_id = self.values.account_id,
                "enabled" => fields.enabled = self.values.enabled,
                _ => {}
            }
        }
    }
}

const UPDATABLE: &[&str] = &[
    "url",
    "description",
    "event_types",
    "resource_types",
    "account_id",
    "enabled",
];
const OUTPUT_ONLY: &[&str] = &[
    "id",
    "state",
    "cursor",
    "failed_attempts",
    "next_attempt_time",
    "owner_staff_id",
    "create_time",
    "update_time",
    "etag",
];

pub(super) fn subscription_update(
    raw: pb::WebhookSubscription,
    mask: Option<FieldMask>,
) -> Result<SubscriptionUpdate> {
    let mut v = Violations::default();
    let id = v.take(required_id("subscription.id", &raw.id));
    let populated = populated_paths(&raw);
    let paths = v
        .take(mask_paths(mask, populated, UPDATABLE, OUTPUT_ONLY, &[]))
        .unwrap_or_default();
    let values = written_fields(&raw, paths.iter().any(|p| p == "url"), &mut v);
    v.into_result()?;
    Ok(SubscriptionUpdate {
        id: id.expect("checked above"),
        etag: etag::sent(&raw.etag).map(str::to_owned),
        paths,
        values,
    })
}

/// The paths an update without a mask writes: those given a value.
pub(super) fn populated_paths(raw: &pb::WebhookSubscription) -> Vec<&'static str> {
    let mut paths = Vec::new();
    if !raw.url.is_empty() {
        paths.push("url");
    }
    if !raw.description.is_empty() {
        paths.push("description");
    }
    if !raw.event_types.is_empty() {
        paths.push("event_types");
    }
    if !raw.resource_types.is_empty() {
        paths.push("resource_types");
    }
    if !raw.account_id.is_empty() {
        paths.push("account_id");
    }
    paths
}

pub(super) fn subscription_to_proto(subscription: Subscription) -> pb::WebhookSubscription {
    let state = match (subscription.fields.enabled, subscription.failing) {
        (false, _) => State::Disabled,
        (true, true) => State::Failing,
        (true, false) => State::Active,
    };
    pb::WebhookSubscription {
        id: subscription.id.to_string(),
        url: subscription.fields.url,
        description: subscription.fields.description,
        event_types: subscription.fields.event_types,
        resource_types: subscription.fields.resource_types,
        account_id: subscription
            .fields
            .account_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        enabled: subscription.fields.enabled,
        state: state as i32,
        cursor: subscription.cursor.to_cursor(),
        failed_attempts: subscription.failed_attempts,
        next_attempt_time: subscription.next_attempt_time.map(timestamp),
        owner_staff_id: subscription.owner_staff_id.to_string(),
        create_time: Some(timestamp(subscription.create_time)),
        update_time: Some(timestamp(subscription.update_time)),
        etag: etag::of(subscription.revision),
    }
}

pub(super) fn delivery_to_proto(delivery: Delivery) -> pb::WebhookDelivery {
    pb::WebhookDelivery {
        id: delivery.id.to_string(),
        subscription_id: delivery.subscription_id.to_string(),
        event_cursor: delivery.event_cursor,
        event_type: delivery.event_type,
        attempt: delivery.attempt,
        attempt_time: Some(timestamp(delivery.attempt_time)),
        status_code: delivery.status_code,
        latency_millis: delivery.latency_millis,
        response_excerpt: delivery.response_excerpt,
        error: delivery.error,
        acknowledged: delivery.acknowledged,
    }
}
