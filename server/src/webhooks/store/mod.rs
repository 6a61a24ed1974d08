//! Webhook subscriptions in the database: what an ADMIN manages (the subscription, its secret, its
//! place in the feed) and what the dispatcher records (each attempt, and where delivery stands).
//!
//! The dispatcher writes a subscription's delivery state only if the subscription is still the
//! revision it read: an ADMIN who disables, replays or edits it meanwhile wins, and the attempt in
//! flight is logged but changes nothing (its event is delivered again if it still should be).

mod entity;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{convert::subscription_to_proto, signature::WebhookSecret};
use crate::{
    integration::feed::{self, FeedPosition},
    platform::{
        audit::{self, Change},
        db::{Db, now},
        error::{Error, Result},
        etag,
        events::{self, Payload},
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page},
        request::RequestContext,
    },
    webhooks::store::entity::{webhook_delivery as delivery_entity, webhook_subscription as row_entity},
};

const SUBSCRIPTION: &str = "webhook_subscription";

/// The fields an ADMIN writes, as their paths.
const FIELD_PATHS: [&str; 6] = [
    "url",
    "description",
    "event_types",
    "resource_types",
    "account_id",
    "enabled",
];

/// The change of `subscription` (as it is now) announced as `event`.
fn subscription_change(
    subscription: &Subscription,
    event: fn(kam_proto::v1::WebhookSubscription) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let message = subscription_to_proto(subscription.clone());
    Change::new(
        SUBSCRIPTION,
        subscription.id,
        None,
        event(message),
        changed_fields,
    )
}

/// What an ADMIN sets of a subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionFields {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub resource_types: Vec<String>,
    pub account_id: Option<Uuid>,
    pub enabled: bool,
}

/// A subscription as the API shows it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: Uuid,
    pub fields: SubscriptionFields,
    /// Failed for longer than the retry period: paused until enabled again.
    pub failing: bool,
    /// After the last event acknowledged.
    pub cursor: FeedPosition,
    pub failed_attempts: i32,
    pub first_failure_time: Option<DateTime<Utc>>,
    pub next_attempt_time: Option<DateTime<Utc>>,
    pub owner_staff_id: Uuid,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

/// Creates a subscription owned by the caller, starting with the events that commit from now on;
/// answers it with its secret (the only time the secret leaves the server through the API).
pub async fn create_subscription(
    db: &Db,
    ctx: &RequestContext,
    fields: SubscriptionFields,
    key: Option<IdempotencyKey>,
) -> Result<(Subscription, WebhookSecret)> {
    let start = feed::current_position(db).await?;
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            let row = subscription_row(txn, id).await?;
            let secret = secret_of(&row)?;
            return Ok((subscription_of(row)?, secret));
        }
        let (id, at, secret) = (Uuid::now_v7(), now(), WebhookSecret::generate());
        row_entity::Entity::insert(row_entity::ActiveModel {
            id: Set(id),
            url: Set(fields.url.clone()),
            description: Set(fields.description.clone()),
            event_types: Set(serde_json::json!(fields.event_types)),
            resource_types: Set(serde_json::json!(fields.resource_types)),
            account_id: Set(fields.account_id),
            secret: Set(secret.as_text()),
            enabled: Set(fields.enabled),
            failing: Set(false),
            cursor_txid: Set(start.txid),
            cursor_event_id: Set(start.id),
            failed_attempts: Set(0),
            first_failure_time: Set(None),
            next_attempt_time: Set(None),
            owner_staff_id: Set(ctx.principal.staff_id),
            create_time: Set(at),
            update_time: Set(at),
            revision: Set(1),
        })
        .exec_without_returning(txn)
        .await?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = subscription_of(subscription_row(txn, id).await?)?;
        let fields = FIELD_PATHS.map(str::to_owned).to_vec();
        audit::record(
            txn,
            ctx,
            subscription_change(&created, Payload::WebhookSubscriptionCreated, fields),
        )
        .await?;
        Ok((created, secret))
    })
    .await
}

pub async fn get_subscription(db: &Db, id: Uuid) -> Result<Subscription> {
    subscription_of(subscription_row(db.conn(), id).await?)
}

/// Every subscription, oldest first.
pub async fn list_subscriptions(
    db: &Db,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Subscription>> {
    let keyset = Keyset {
        sort: None,
        id: row_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(
            row_entity::Entity::find(),
            db.conn(),
            page_size,
            after.as_ref(),
            |row| (row.id, None),
        )
        .await?;
    Ok(Page {
        items: rows.into_iter().map(subscription_of).collect::<Result<_>>()?,
        next,
    })
}

/// Writes `fields` (those named by the mask, already merged by the caller). Enabling a failing
/// subscription clears its failure: delivery resumes with the event that failed.
pub async fn update_subscription(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    sent_etag: Option<&str>,
    change: impl Fn(&mut SubscriptionFields) + Send + Sync,
) -> Result<Subscription> {
    let change = &change;
    db.write(|txn| async move {
        let txn = &*txn;
        let row = subscription_row(txn, id).await?;
        etag::check(SUBSCRIPTION, id, row.revision, sent_etag)?;
        let current = subscription_of(row.clone())?;
        let mut fields = current.fields.clone();
        change(&mut fields);
        let changed_fields = changed_paths(&current.fields, &fields);
        let resumed = fields.enabled && (!current.fields.enabled || current.failing);
        let mut updated = row.into_active_model();
        updated.url = Set(fields.url.clone());
        updated.description = Set(fields.description.clone());
        updated.event_types = Set(serde_json::json!(fields.event_types));
        updated.resource_types = Set(serde_json::json!(fields.resource_types));
        updated.account_id = Set(fields.account_id);
        updated.enabled = Set(fields.enabled);
        if resumed {
            updated.failing = Set(false);
            updated.failed_attempts = Set(0);
            updated.first_failure_time = Set(None);
            updated.next_attempt_time = Set(None);
        }
        updated.update_time = Set(now());
        updated.revision = Set(current.revision + 1);
        row_entity::Entity::update(updated).exec(txn).await?;
        let saved = subscription_of(subscription_row(txn, id).await?)?;
        let change = subscription_change(&saved, Payload::WebhookSubscriptionUpdated, changed_fields);
        audit::record(txn, ctx, change).await?;
        Ok(saved)
    })
    .await
}

/// The paths whose values differ between `before` and `after`.
fn changed_paths(before: &SubscriptionFields, after: &SubscriptionFields) -> Vec<String> {
    let differs = [
        before.url != after.url,
        before.description != after.description,
        before.event_types != after.event_types,
        before.resource_types != after.resource_types,
        before.account_id != after.account_id,
        before.enabled != after.enabled,
    ];
    FIELD_PATHS
        .iter()
        .zip(differs)
        .filter(|(_, differs)| *differs)
        .map(|(path, _)| (*path).to_owned())
        .collect()
}

/// Deletes a subscription and its delivery log.
pub async fn delete_subscription(db: &Db, ctx: &RequestContext, id: Uuid) -> Result<()> {
    db.write(|txn| async move {
        let txn = &*txn;
        subscription_row(txn, id).await?;
        delivery_entity::Entity::delete_many()
            .filter(delivery_entity::Column::SubscriptionId.eq(id))
            .exec(txn)
            .await?;
        row_entity::Entity::delete_by_id(id).exec(txn).await?;
        let gone = Payload::WebhookSubscriptionDeleted(events::tombstone(id, None, now()));
        audit::record(txn, ctx, Change::new(SUBSCRIPTION, id, None, gone, Vec::new())).await
    })
    .await
}

/// A new secret for the subscription; the old one signs nothing from now on.
pub async fn rotate_secret(db: &Db, ctx: &RequestContext, id: Uuid) -> Result<(Subscription, WebhookSecret)> {
    db.write(|txn| async move {
        let txn = &*txn;
        let row = subscription_row(txn, id).await?;
        let secret = WebhookSecret::generate();
        let revision = row.revision;
        let mut updated = row.into_active_model();
        updated.secret = Set(secret.as_text());
        updated.update_time = Set(now());
        updated.revision = Set(revision + 1);
        row_entity::Entity::update(updated).exec(txn).await?;
        let rotated = subscription_of(subscription_row(txn, id).await?)?;
        let fields = vec!["secret".to_owned()];
        audit::record(
            txn,
            ctx,
            subscription_change(&rotated, Payload::WebhookSubscriptionUpdated, fields),
        )
        .await?;
        Ok((rotated, secret))
    })
    .await
}

/// Moves the subscription back to `from`: every event after it is delivered again, in order. Clears a
/// failure in progress (the events are sent again from the start anyway).
pub async fn replay(db: &Db, ctx: &RequestContext, id: Uuid, from: FeedPosition) -> Result<Subscription> {
    db.write(|txn| async move {
        let txn = &*txn;
        let from = feed::require_kept(txn, from).await?;
        let row = subscription_row(txn, id).await?;
        let revision = row.revision;
        let mut updated = row.into_active_model();
        updated.cursor_txid = Set(from.txid);
        updated.cursor_event_id = Set(from.id);
        updated.failing = Set(false);
        updated.failed_attempts = Set(0);
        updated.first_failure_time = Set(None);
        updated.next_attempt_time = Set(None);
        updated.update_time = Set(now());
        updated.revision = Set(revision + 1);
        row_entity::Entity::update(updated).exec(txn).await?;
        let replayed = subscription_of(subscription_row(txn, id).await?)?;
        let fields = vec!["cursor".to_owned()];
        audit::record(
            txn,
            ctx,
            subscription_change(&replayed, Payload::WebhookSubscriptionUpdated, fields),
        )
        .await?;
        Ok(replayed)
    })
    .await
}

/// One attempt as the log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub event_cursor: String,
    pub event_type: String,
    pub attempt: i32,
    pub attempt_time: DateTime<Utc>,
    /// 0: no answer.
    pub status_code: i32,
    pub latency_millis: i32,
    pub response_excerpt: String,
    pub error: String,
    pub acknowledged: bool,
}

/// A subscription's attempts, newest first.
pub async fn list_deliveries(
    db: &Db,
    subscription_id: Uuid,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Delivery>> {
    subscription_row(db.conn(), subscription_id).await?;
    let keyset = Keyset {
        sort: None,
        id: delivery_entity::Column::Id,
        direction: Direction::Descending,
    };
    let select =
        delivery_entity::Entity::find().filter(delivery_entity::Column::SubscriptionId.eq(subscription_id));
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    Ok(Page {
        items: rows.into_iter().map(delivery_of).collect(),
        next,
    })
}

// ----- the dispatcher's side -----

/// A subscription the dispatcher may deliver to now, with its secret.
pub struct Due {
    pub subscription: Subscription,
    pub secret: WebhookSecret,
}

/// The enabled, not failing subscriptions whose next attempt (if one failed) is due at `at`.
pub async fn due_subscriptions(db: &Db, at: DateTime<Utc>) -> Result<Vec<Due>> {
    use row_entity::Column as C;
    let rows = row_entity::Entity::find()
        .filter(C::Enabled.eq(true))
        .filter(C::Failing.eq(false))
        .filter(C::NextAttemptTime.is_null().or(C::NextAttemptTime.lte(at)))
        .order_by_asc(C::Id)
        .all(db.conn())
        .await?;
    rows.into_iter()
        .map(|row| {
            let secret = secret_of(&row)?;
            Ok(Due {
                subscription: subscription_of(row)?,
                secret,
            })
        })
        .collect()
}

/// Whether `subscription` is still as the dispatcher read it (no ADMIN disabled, replayed or edited it
/// since): checked before each delivery, so that a round started before a change does not send on.
pub async fn unchanged(db: &Db, subscription: &Subscription) -> Result<bool> {
    let stored = row_entity::Entity::find_by_id(subscription.id)
        .one(db.conn())
        .await?;
    Ok(stored.is_some_and(|row| row.revision == subscription.revision))
}

/// Where a subscription's delivery goes after an attempt.
pub enum Outcome {
    /// Acknowledged (or nothing to deliver up to `to`): the subscription moves on past it.
    Advanced { to: FeedPosition },
    /// Failed: try the same event again at `retry_at`, or pause (`failing`) when it has failed for
    /// too long.
    Failed {
        first_failure_time: DateTime<Utc>,
        retry_at: DateTime<Utc>,
        failing: bool,
    },
}

/// Records where `subscription`'s delivery stands after an attempt (and the attempt itself, when one
/// was made), unless an ADMIN changed the subscription since it was read: then only the attempt is
/// logged. Answers whether the outcome was applied.
pub async fn record_outcome(
    db: &Db,
    subscription: &Subscription,
    outcome: Outcome,
    attempt: Option<Delivery>,
) -> Result<bool> {
    let (outcome, attempt) = (&outcome, &attempt);
    db.write(|txn| async move {
        let txn = &*txn;
        use row_entity::Column as C;
        let mut update = row_entity::Entity::update_many()
            .filter(C::Id.eq(subscription.id))
            .filter(C::Revision.eq(subscription.revision));
        update = match *outcome {
            // Only forward: a dispatcher that lost its lease mid-round must not move the cursor back
            // over what the new holder has delivered since.
            Outcome::Advanced { to } => update
                .filter(
                    C::CursorTxid
                        .lt(to.txid)
                        .or(C::CursorTxid.eq(to.txid).and(C::CursorEventId.lt(to.id))),
                )
                .col_expr(C::CursorTxid, Expr::value(to.txid))
                .col_expr(C::CursorEventId, Expr::value(to.id))
                .col_expr(C::FailedAttempts, Expr::value(0))
                .col_expr(C::FirstFailureTime, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(C::NextAttemptTime, Expr::value(Option::<DateTime<Utc>>::None)),
            Outcome::Failed {
                first_failure_time,
                retry_at,
                failing,
            } => update
                .col_expr(
                    C::FailedAttempts,
                    Expr::value(subscription.failed_attempts.saturating_add(1)),
                )
                .col_expr(C::FirstFailureTime, Expr::value(Some(first_failure_time)))
                .col_expr(C::NextAttemptTime, Expr::value(Some(retry_at)))
                .col_expr(C::Failing, Expr::value(failing)),
        };
        // The dispatcher's own bookkeeping does not count as a revision an ADMIN's etag must match:
        // it would make every edit of a busy subscription race the deliveries.
        let applied = update.exec(txn).await?.rows_affected == 1;
        if let Some(attempt) = attempt {
            delivery_entity::Entity::insert(delivery_row(attempt))
                .exec_without_returning(txn)
                .await?;
        }
        Ok(applied)
    })
    .await
}

// ----- rows -----

async fn subscription_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<row_entity::Model> {
    row_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(SUBSCRIPTION, id))
}

fn secret_of(row: &row_entity::Model) -> Result<WebhookSecret> {
    WebhookSecret::parse(&row.secret)
        .ok_or_else(|| Error::unknown_stored_value("webhook_subscriptions.secret", "(not shown)"))
}

fn texts(column: &str, value: serde_json::Value) -> Result<Vec<String>> {
    serde_json::from_value(value.clone()).map_err(|_| Error::unknown_stored_value(column, &value.to_string()))
}

fn subscription_of(row: row_entity::Model) -> Result<Subscription> {
    Ok(Subscription {
        id: row.id,
        fields: SubscriptionFields {
            url: row.url,
            description: row.description,
            event_types: texts("webhook_subscriptions.event_types", row.event_types)?,
            resource_types: texts("webhook_subscriptions.resource_types", row.resource_types)?,
            account_id: row.account_id,
            enabled: row.enabled,
        },
        failing: row.failing,
        cursor: FeedPosition {
            txid: row.cursor_txid,
            id: row.cursor_event_id,
        },
        failed_attempts: row.failed_attempts,
        first_failure_time: row.first_failure_time,
        next_attempt_time: row.next_attempt_time,
        owner_staff_id: row.owner_staff_id,
        create_time: row.create_time,
        update_time: row.update_time,
        revision: row.revision,
    })
}

fn delivery_row(attempt: &Delivery) -> delivery_entity::ActiveModel {
    delivery_entity::ActiveModel {
        id: Set(attempt.id),
        subscription_id: Set(attempt.subscription_id),
        event_cursor: Set(attempt.event_cursor.clone()),
        event_type: Set(attempt.event_type.clone()),
        attempt: Set(attempt.attempt),
        attempt_time: Set(attempt.attempt_time),
        status_code: Set(attempt.status_code),
        latency_millis: Set(attempt.latency_millis),
        response_excerpt: Set(attempt.response_excerpt.clone()),
        error: Set(attempt.error.clone()),
        acknowledged: Set(attempt.acknowledged),
    }
}

fn delivery_of(row: delivery_entity::Model) -> Delivery {
    Delivery {
        id: row.id,
        subscription_id: row.subscription_id,
        event_cursor: row.event_cursor,
        event_type: row.event_type,
        attempt: row.attempt,
        attempt_time: row.attempt_time,
        status_code: row.status_code,
        latency_millis: row.latency_millis,
        response_excerpt: row.response_excerpt,
        error: row.error,
        acknowledged: row.acknowledged,
    }
}
