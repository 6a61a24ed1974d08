//! The status history and the escalations of one request.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::rows::visible_row;
use crate::{
    identity::Visibility,
    platform::{
        db::Db,
        error::{Error, Result},
        paging::{Cursor, Direction, Keyset, Page},
    },
    service_levels::model::{Escalation, Recipient, RequestStatus, StatusChange, TargetKind, Trigger},
    service_levels::store::entity::{
        service_request_status_change as change_entity, sla_escalation as escalation_entity,
    },
};

/// Oldest first (change ids are UUIDv7, so id order is the order of the changes).
pub async fn list_status_history(
    db: &Db,
    visibility: Visibility,
    request_id: Uuid,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<StatusChange>> {
    visible_row(db.conn(), visibility, request_id).await?;
    let select = change_entity::Entity::find().filter(change_entity::Column::ServiceRequestId.eq(request_id));
    let keyset = Keyset {
        sort: None,
        id: change_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    let status =
        |raw: &str| RequestStatus::from_name(raw).ok_or_else(|| Error::unknown_stored_value("status", raw));
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(StatusChange {
                id: row.id,
                service_request_id: row.service_request_id,
                from_status: row.from_status.as_deref().map(status).transpose()?,
                to_status: status(&row.to_status)?,
                change_time: row.change_time,
                changed_by: row.changed_by,
                note: row.note,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Page { items, next })
}

/// Oldest first (escalation ids are UUIDv7).
pub async fn list_escalations(
    db: &Db,
    visibility: Visibility,
    request_id: Uuid,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Escalation>> {
    visible_row(db.conn(), visibility, request_id).await?;
    let select =
        escalation_entity::Entity::find().filter(escalation_entity::Column::ServiceRequestId.eq(request_id));
    let keyset = Keyset {
        sort: None,
        id: escalation_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let stored = |column: &str, raw: &str| Error::unknown_stored_value(column, raw);
            let recipients: Vec<Recipient> = serde_json::from_value(row.recipients.clone())
                .map_err(|_| stored("recipients", &row.recipients.to_string()))?;
            Ok(Escalation {
                id: row.id,
                service_request_id: row.service_request_id,
                target: TargetKind::from_name(&row.target).ok_or_else(|| stored("target", &row.target))?,
                trigger: Trigger::from_name(&row.trigger).ok_or_else(|| stored("trigger", &row.trigger))?,
                step_index: row.step_index,
                recipients,
                escalate_time: row.escalate_time,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Page { items, next })
}
