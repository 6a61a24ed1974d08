//! `kam.v1.WebhookService`: subscriptions as the ADMIN manages them (the method table in
//! `identity::permissions` lets no one else in), each handler validating, calling the store and
//! converting the answer.

use kam_proto::v1::{self as pb, webhook_service_server::WebhookService};
use tonic::{Request, Response, Status};

use super::{
    convert::{delivery_to_proto, new_subscription, subscription_to_proto, subscription_update},
    signature::WebhookSecret,
    store::{self, Subscription},
};
use crate::{
    integration::feed::FeedPosition,
    platform::{
        db::Db,
        error::{FieldViolation, Result, Violations},
        fields::required_id,
        idempotency::IdempotencyKey,
        paging::PageRequest,
        request::RequestContext,
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
