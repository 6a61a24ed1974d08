//! `request_id` idempotency for create RPCs (AIP-155): a retry with the same id returns the first result
//! and creates nothing; the same id with a different request is refused. Keys are the caller's own: the
//! same id sent by someone else is another key.

use chrono::Utc;
use prost::Message;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::platform::{
    entity::idempotency_key,
    error::{Error, FieldViolation, Result},
    fingerprint::fingerprint,
    request::RequestContext,
};

/// A create call's idempotency key and the request it stands for.
pub struct IdempotencyKey {
    /// The staff member who sent it.
    pub staff_id: Uuid,
    pub method: String,
    pub request_id: Uuid,
    pub fingerprint: String,
}

impl IdempotencyKey {
    /// `None` when the client sent no request id. `request` is the message being created; its encoding
    /// is what a retry must repeat.
    pub fn parse<M: Message>(
        ctx: &RequestContext,
        raw_request_id: &str,
        request: Option<&M>,
    ) -> Result<Option<Self>, FieldViolation> {
        if raw_request_id.is_empty() {
            return Ok(None);
        }
        let request_id = Uuid::parse_str(raw_request_id)
            .map_err(|_| FieldViolation::new("request_id", "must be a UUID"))?;
        Ok(Some(Self {
            staff_id: ctx.principal.staff_id,
            method: ctx.method.clone(),
            request_id,
            fingerprint: fingerprint(&request.map(Message::encode_to_vec).unwrap_or_default()),
        }))
    }

    /// The id of the resource a previous call with this key created, if any.
    pub async fn previous_result(&self, txn: &impl ConnectionTrait) -> Result<Option<Uuid>> {
        let Some(row) =
            idempotency_key::Entity::find_by_id((self.staff_id, self.method.clone(), self.request_id))
                .one(txn)
                .await?
        else {
            return Ok(None);
        };
        if row.fingerprint != self.fingerprint {
            return Err(Error::invalid(
                "request_id",
                "this request_id was already used for a different request",
            ));
        }
        let id = Uuid::parse_str(&row.resource_id)
            .map_err(|e| Error::Database(sea_orm::DbErr::Custom(e.to_string())))?;
        Ok(Some(id))
    }

    /// Remembers that this key created `resource_id`. A concurrent call with the same key that got here
    /// first makes this one retry, and the retry then finds that call's result.
    pub async fn remember(&self, txn: &impl ConnectionTrait, resource_id: Uuid) -> Result<()> {
        let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            staff_id: Set(self.staff_id),
            method: Set(self.method.clone()),
            request_id: Set(self.request_id),
            fingerprint: Set(self.fingerprint.clone()),
            resource_id: Set(resource_id.to_string()),
            create_time: Set(Utc::now()),
        })
        .exec_without_returning(txn)
        .await;
        inserted.map(|_| ()).map_err(Error::contention_on_unique)
    }
}
