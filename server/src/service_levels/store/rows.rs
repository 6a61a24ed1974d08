//! Service-request rows and the model: reading one row (as the caller may see it), and the mapping
//! between the table's columns and the area's types in both directions. No clock, no rule: the rest of
//! the store builds on these.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;
use uuid::Uuid;

use super::{SERVICE_REQUEST, entity::service_request as row_entity};
use crate::{
    identity::{
        Visibility,
        access::{hide_missing, require_visible_account},
    },
    platform::error::{Error, Result},
    service_levels::{
        clock::SlaEvaluation,
        model::{
            AppliedSla, Category, PolicyMatch, Priority, RequestFields, RequestStatus, ServiceRequest,
            SlaState, TargetView,
        },
        rules::StoredSla,
    },
};

/// How a request is named in rule violations and clock errors.
pub(super) fn subject(id: Uuid) -> String {
    format!("service_requests/{id}")
}

/// A request row the caller may see: to a MEMBER, one of another team's account and a missing one both
/// answer PERMISSION_DENIED.
pub(super) async fn visible_row(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
    id: Uuid,
) -> Result<row_entity::Model> {
    let row = hide_missing(visibility, request_row(conn, id).await)?;
    require_visible_account(conn, visibility, row.account_id).await?;
    Ok(row)
}

pub(super) async fn request_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<row_entity::Model> {
    row_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(SERVICE_REQUEST, id))
}

/// The columns a client sets, as an active model with only those set.
pub(super) fn field_columns(fields: &RequestFields) -> row_entity::ActiveModel {
    row_entity::ActiveModel {
        external_id: Set(fields.external_id.clone()),
        contact_id: Set(fields.contact_id),
        title: Set(fields.title.clone()),
        description: Set(fields.description.clone()),
        category: Set(fields.category.as_str().to_owned()),
        assignee_staff_id: Set(fields.assignee_staff_id),
        ..Default::default()
    }
}

pub(super) fn snapshot_columns(row: &mut row_entity::ActiveModel, sla: &AppliedSla) {
    row.policy_id = Set(sla.policy_id);
    row.policy_match = Set(sla.policy_match.as_str().to_owned());
    row.calendar_id = Set(sla.calendar_id);
    row.first_response_minutes = Set(sla.first_response_minutes);
    row.resolution_minutes = Set(sla.resolution_minutes);
    row.warning_percent = Set(i32::from(sla.warning_percent));
    row.pause_statuses = Set(json!(
        sla.pause_statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()
    ));
    row.sla_apply_time = Set(sla.apply_time);
}

pub(super) fn stored_columns(row: &mut row_entity::ActiveModel, stored: &StoredSla) {
    let settled = |state: Option<SlaState>| state.map(|s| s.as_str().to_owned());
    row.first_response_due_time = Set(stored.first_response.due_time);
    row.first_response_at_risk_time = Set(stored.first_response.at_risk_time);
    row.first_response_settled_state = Set(settled(stored.first_response.settled));
    row.first_response_business_minutes = Set(stored.first_response.business_minutes);
    row.resolution_due_time = Set(stored.resolution.due_time);
    row.resolution_at_risk_time = Set(stored.resolution.at_risk_time);
    row.resolution_settled_state = Set(settled(stored.resolution.settled));
    row.resolution_business_minutes = Set(stored.resolution.business_minutes);
    row.next_check_time = Set(stored.next_check_time);
}

fn stored_name<T>(column: &str, raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(raw).ok_or_else(|| Error::unknown_stored_value(column, raw))
}

pub(super) fn status_of(row: &row_entity::Model) -> Result<RequestStatus> {
    stored_name("status", &row.status, RequestStatus::from_name)
}

pub(super) fn priority_of(row: &row_entity::Model) -> Result<Priority> {
    stored_name("priority", &row.priority, Priority::from_name)
}

/// The states the monitor recorded: (first response, resolution).
pub(super) fn recorded_of(row: &row_entity::Model) -> Result<(SlaState, SlaState)> {
    Ok((
        stored_name(
            "first_response_sla_state",
            &row.first_response_sla_state,
            SlaState::from_name,
        )?,
        stored_name(
            "resolution_sla_state",
            &row.resolution_sla_state,
            SlaState::from_name,
        )?,
    ))
}

pub(super) fn fields_of(row: &row_entity::Model) -> Result<RequestFields> {
    Ok(RequestFields {
        external_id: row.external_id.clone(),
        contact_id: row.contact_id,
        title: row.title.clone(),
        description: row.description.clone(),
        category: stored_name("category", &row.category, Category::from_name)?,
        assignee_staff_id: row.assignee_staff_id,
    })
}

pub(super) fn applied_of(row: &row_entity::Model) -> Result<AppliedSla> {
    let names: Vec<String> = serde_json::from_value(row.pause_statuses.clone())
        .map_err(|_| Error::unknown_stored_value("pause_statuses", &row.pause_statuses.to_string()))?;
    let pause_statuses = names
        .iter()
        .map(|raw| stored_name("pause_statuses", raw, RequestStatus::from_name))
        .collect::<Result<Vec<_>>>()?;
    Ok(AppliedSla {
        policy_id: row.policy_id,
        policy_match: stored_name("policy_match", &row.policy_match, PolicyMatch::from_name)?,
        calendar_id: row.calendar_id,
        first_response_minutes: row.first_response_minutes,
        resolution_minutes: row.resolution_minutes,
        warning_percent: u8::try_from(row.warning_percent)
            .map_err(|_| Error::unknown_stored_value("warning_percent", &row.warning_percent.to_string()))?,
        pause_statuses,
        apply_time: row.sla_apply_time,
    })
}

pub(super) fn request_from_row(row: row_entity::Model, evaluation: &SlaEvaluation) -> Result<ServiceRequest> {
    let sla = applied_of(&row)?;
    Ok(ServiceRequest {
        id: row.id,
        account_id: row.account_id,
        priority: priority_of(&row)?,
        status: status_of(&row)?,
        fields: fields_of(&row)?,
        first_response: TargetView::new(&evaluation.first_response, sla.first_response_minutes),
        resolution: TargetView::new(&evaluation.resolution, sla.resolution_minutes),
        sla,
        first_response_time: row.first_response_time,
        status_time: row.status_time,
        resolve_time: row.resolve_time,
        close_time: row.close_time,
        create_time: row.create_time,
        update_time: row.update_time,
        revision: row.revision,
    })
}
