//! `kam.v1.WebhookService`: subscriptions as the ADMIN manages them (the method table in
//! `identity::permissions` lets no one else in), each handler validating, calling the store and
//! converting the answer.

use kam_proto::{
    pbjson_types::FieldMask,
    v1::{self as pb, webhook_service_server::WebhookService, webhook_subscription::State},
};
use tonic::{Request, Response, Status};

use super::{
    signature::WebhookSecret,
    store::{self, Delivery, Subscription, SubscriptionFields},
};
use crate::{
    integration::feed::FeedPosition,
    platform::{
        db::Db,
        error::{FieldViolation, Result, Violations},
        etag,
        fields::{optional_id, required_id, text, texts},
        idempotency::IdempotencyKey,
        paging::PageRequest,
        request::RequestContext,
        wire::{mask_paths, timestamp},
    },
};

pub struct WebhookApi {
    db: Db,
}

impl WebhookApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl WebhookService for WebhookApi {
    async fn create_webhook_subscription(
        &self,
        request: Request<pb::CreateWebhookSubscriptionRequest>,
    ) -> Reply<pb::CreateWebhookSubscriptionResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateWebhookSubscriptionRequest {
            subscription,
            request_id,
        } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, subscription.as_ref())?;
        let fields = new_subscription(subscription.unwrap_or_default())?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let (created, secret) = store::create_subscription(&self.db, &ctx, fields, key).await?;
        Ok(Response::new(pb::CreateWebhookSubscriptionResponse {
            subscription: Some(subscription_to_proto(created)),
            secret: secret.as_text(),
        }))
    }

    async fn get_webhook_subscription(
        &self,
        request: Request<pb::GetWebhookSubscriptionRequest>,
    ) -> Reply<pb::WebhookSubscription> {
        let id = required_id("id", &request.get_ref().id).map_err(crate::platform::error::Error::from)?;
        let found = store::get_subscription(&self.db, id).await?;
        Ok(Response::new(subscription_to_proto(found)))
    }

    async fn list_webhook_subscriptions(
        &self,
        request: Request<pb::ListWebhookSubscriptionsRequest>,
    ) -> Reply<pb::ListWebhookSubscriptionsResponse> {
        let request = request.into_inner();
        let page = PageRequest::parse(request.page_size, &request.page_token, "subscriptions".to_owned())?;
        let found = store::list_subscriptions(&self.db, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListWebhookSubscriptionsResponse {
            subscriptions: found.items.into_iter().map(subscription_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_webhook_subscription(
        &self,
        request: Request<pb::UpdateWebhookSubscriptionRequest>,
    ) -> Reply<pb::WebhookSubscription> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateWebhookSubscriptionRequest {
            subscription,
            update_mask,
        } = request.into_inner();
        let update = subscription_update(subscription.unwrap_or_default(), update_mask)?;
        let updated =
            store::update_subscription(&self.db, &ctx, update.id, update.etag.as_deref(), |fields| {
                update.apply(fields)
            })
            .await?;
        Ok(Response::new(subscription_to_proto(updated)))
    }

    async fn delete_webhook_subscription(
        &self,
        request: Request<pb::DeleteWebhookSubscriptionRequest>,
    ) -> Reply<pb::DeleteWebhookSubscriptionResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id).map_err(crate::platform::error::Error::from)?;
        store::delete_subscription(&self.db, &ctx, id).await?;
        Ok(Response::new(pb::DeleteWebhookSubscriptionResponse {}))
    }

    async fn rotate_webhook_secret(
        &self,
        request: Request<pb::RotateWebhookSecretRequest>,
    ) -> Reply<pb::RotateWebhookSecretResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id).map_err(crate::platform::error::Error::from)?;
        let (rotated, secret): (Subscription, WebhookSecret) =
            store::rotate_secret(&self.db, &ctx, id).await?;
        Ok(Response::new(pb::RotateWebhookSecretResponse {
            subscription: Some(subscription_to_proto(rotated)),
            secret: secret.as_text(),
        }))
    }

    async fn list_webhook_deliveries(
        &self,
        request: Request<pb::ListWebhookDeliveriesRequest>,
    ) -> Reply<pb::ListWebhookDeliveriesResponse> {
        let request = request.into_inner();
        let id = required_id("subscription_id", &request.subscription_id)
            .map_err(crate::platform::error::Error::from)?;
        let page = PageRequest::parse(request.page_size, &request.page_token, format!("deliveries {id}"))?;
        let found = store::list_deliveries(&self.db, id, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListWebhookDeliveriesResponse {
            deliveries: found.items.into_iter().map(delivery_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn replay_webhook_deliveries(
        &self,
        request: Request<pb::ReplayWebhookDeliveriesRequest>,
    ) -> Reply<pb::WebhookSubscription> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ReplayWebhookDeliveriesRequest { id, cursor } = request.into_inner();
        let mut v = Violations::default();
        let id = v.take(required_id("id", &id));
        let from = v.take(match cursor.is_empty() {
            true => Err(FieldViolation::new("cursor", "required")),
            false => FeedPosition::from_cursor(&cursor, "cursor")
                .map_err(|_| FieldViolation::new("cursor", "not a cursor this server issued")),
        });
        v.into_result()?;
        let (id, from) = (id.expect("checked above"), from.expect("checked above"));
        let replayed = store::replay(&self.db, &ctx, id, from).await?;
        Ok(Response::new(subscription_to_proto(replayed)))
    }
}

// ----- conversions -----

/// The longest URL accepted: longer ones are not endpoints anyone runs.
const MAX_URL: usize = 2000;
/// The most event or resource types one subscription filters on.
const MAX_TYPES: usize = 1000;

/// A URL a subscription may name: `https://` or `http://` with a host, no credentials in it. Whether
/// its host may be reached is decided at each delivery (DNS may change).
fn url(field: &str, raw: &str) -> Result<String, FieldViolation> {
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

fn type_names(field: &str, raw: &[String]) -> Result<Vec<String>, FieldViolation> {
    if raw.len() > MAX_TYPES {
        return Err(FieldViolation::new(field, format!("at most {MAX_TYPES}")));
    }
    texts(field, raw, 128)
}

/// The writable fields of `raw`, validated into `v`; `url` only when `check_url` (an update that does
/// not name it leaves it alone, however it arrived).
fn written_fields(raw: &pb::WebhookSubscription, check_url: bool, v: &mut Violations) -> SubscriptionFields {
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

fn new_subscription(raw: pb::WebhookSubscription) -> Result<SubscriptionFields> {
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
struct SubscriptionUpdate {
    id: uuid::Uuid,
    etag: Option<String>,
    paths: Vec<String>,
    values: SubscriptionFields,
}

impl SubscriptionUpdate {
    fn apply(&self, fields: &mut SubscriptionFields) {
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

fn subscription_update(raw: pb::WebhookSubscription, mask: Option<FieldMask>) -> Result<SubscriptionUpdate> {
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
fn populated_paths(raw: &pb::WebhookSubscription) -> Vec<&'static str> {
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

fn delivery_to_proto(delivery: Delivery) -> pb::WebhookDelivery {
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
