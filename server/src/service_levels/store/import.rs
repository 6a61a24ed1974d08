//! Batch imports of service requests from the ERP, upserted by external id: one transaction per batch,
//! a few set-wise statements whatever its size, and a refusal per row that cannot be written. A new
//! request opens exactly as CreateServiceRequest opens one (the applicable policy's targets snapshotted,
//! a first status-history row, the SLA columns the monitor scans); a changed one has its SLA columns
//! derived again like every write.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, IntoActiveModel, TryIntoModel, Value};
use uuid::Uuid;

use super::{
    SERVICE_REQUEST,
    clock_calendars::{clock_calendar, load_calendars},
    evaluation::{clock_error, evaluate, histories, off_the_workers},
    policies::{candidate_policies, choose, snapshot},
    rows::{
        applied_of, field_columns, fields_of, recorded_of, request_from_row, snapshot_columns, status_of,
        stored_columns, subject,
    },
};
use crate::{
    accounts::{self, model::Tier, store::AccountRef},
    platform::{
        audit,
        batch::{BatchOutcome, Refusal},
        bulk::{Columns, Kind, find_by_keys},
        db::{Db, now},
        error::{Error, Result},
        events::Payload,
        request::RequestContext,
    },
    service_levels::clock::{BusinessCalendar, SlaEvaluation},
    service_levels::store::entity::service_request as row_entity,
    service_levels::{
        convert::request_to_proto,
        model::{Policy, RequestFields, RequestRecord, RequestStatus, SlaState},
        rules::{self, CONTACT_NOT_OF_ACCOUNT, STAFF_INACTIVE},
    },
    teams::store::staff_by_email,
};

const NEW_REQUESTS: Columns = Columns {
    table: "service_requests",
    columns: &[
        ("id", Kind::Uuid),
        ("external_id", Kind::NullableText),
        ("account_id", Kind::Uuid),
        ("contact_id", Kind::NullableUuid),
        ("title", Kind::Text),
        ("description", Kind::Text),
        ("category", Kind::Text),
        ("priority", Kind::Text),
        ("status", Kind::Text),
        ("assignee_staff_id", Kind::NullableUuid),
        ("policy_id", Kind::Uuid),
        ("policy_match", Kind::Text),
        ("calendar_id", Kind::Uuid),
        ("first_response_minutes", Kind::Int),
        ("resolution_minutes", Kind::Int),
        ("warning_percent", Kind::Int),
        ("pause_statuses", Kind::Json),
        ("sla_apply_time", Kind::Time),
        ("status_time", Kind::Time),
        ("first_response_due_time", Kind::Time),
        ("first_response_at_risk_time", Kind::Time),
        ("first_response_settled_state", Kind::NullableText),
        ("resolution_due_time", Kind::Time),
        ("resolution_at_risk_time", Kind::Time),
        ("resolution_settled_state", Kind::NullableText),
        ("first_response_business_minutes", Kind::NullableBigInt),
        ("resolution_business_minutes", Kind::NullableBigInt),
        ("first_response_sla_state", Kind::Text),
        ("resolution_sla_state", Kind::Text),
        ("next_check_time", Kind::NullableTime),
        ("create_time", Kind::Time),
        ("update_time", Kind::Time),
        ("revision", Kind::BigInt),
    ],
};

/// The first entry of each new request's status history.
const FIRST_STATUSES: Columns = Columns {
    table: "service_request_status_changes",
    columns: &[
        ("id", Kind::Uuid),
        ("service_request_id", Kind::Uuid),
        ("to_status", Kind::Text),
        ("change_time", Kind::Time),
        ("changed_by", Kind::Uuid),
        ("note", Kind::Text),
    ],
};

/// What an import may change of a known request: the ERP's fields, the SLA columns every write derives
/// again, and the write stamps.
const CHANGED_REQUESTS: Columns = Columns {
    table: "service_requests",
    columns: &[
        ("id", Kind::Uuid),
        ("contact_id", Kind::NullableUuid),
        ("title", Kind::Text),
        ("description", Kind::Text),
        ("category", Kind::Text),
        ("assignee_staff_id", Kind::NullableUuid),
        ("first_response_due_time", Kind::Time),
        ("first_response_at_risk_time", Kind::Time),
        ("first_response_settled_state", Kind::NullableText),
        ("resolution_due_time", Kind::Time),
        ("resolution_at_risk_time", Kind::Time),
        ("resolution_settled_state", Kind::NullableText),
        ("first_response_business_minutes", Kind::NullableBigInt),
        ("resolution_business_minutes", Kind::NullableBigInt),
        ("next_check_time", Kind::NullableTime),
        ("update_time", Kind::Time),
        ("revision", Kind::BigInt),
    ],
};

/// What the batch reads before it sorts its records.
struct Lookups {
    accounts: HashMap<String, AccountRef>,
    /// By external id: the contact and its account.
    contacts: HashMap<String, (Uuid, Uuid)>,
    /// By email: the staff member and whether active.
    staff: HashMap<String, (Uuid, bool)>,
    stored: HashMap<String, row_entity::Model>,
    policies: Vec<Policy>,
    calendars: HashMap<Uuid, BusinessCalendar>,
    histories: HashMap<Uuid, Vec<(DateTime<Utc>, RequestStatus)>>,
}

/// A record sorted against what is stored.
enum Sorted {
    Unchanged,
    /// The row to insert, evaluated.
    Created(row_entity::Model, SlaEvaluation),
    /// The row as changed, evaluated, and the fields that changed.
    Changed(row_entity::Model, SlaEvaluation, Vec<String>),
}

/// Upserts a batch of service request records (each with the index it is reported by) in one
/// transaction. A new request's `open_time` may lie at most `horizon_days` back.
pub async fn import_requests(
    db: &Db,
    ctx: &RequestContext,
    records: &[(u64, RequestRecord)],
    horizon_days: u32,
) -> Result<BatchOutcome> {
    db.write(|txn| async move {
        let txn = &*txn;
        let time = now();
        let lookups = look_up(txn, records).await?;
        let mut outcome = BatchOutcome::default();
        let mut created = Vec::new();
        let mut changed = Vec::new();
        // Sorting evaluates the SLA clock of every record (up to a year of days each, thousands a
        // message): off the async workers.
        let batch = records.to_vec();
        let sorted = off_the_workers(move || {
            batch
                .iter()
                .map(|(index, record)| Ok((*index, sort_record(record, &lookups, time, horizon_days)?)))
                .collect::<Result<Vec<_>>>()
        })
        .await?;
        for (index, sorted) in sorted {
            match sorted {
                Err(refusal) => outcome.refused.push((index, refusal)),
                Ok(Sorted::Unchanged) => outcome.unchanged += 1,
                Ok(Sorted::Created(row, evaluation)) => created.push((row, evaluation)),
                Ok(Sorted::Changed(row, evaluation, fields)) => changed.push((row, evaluation, fields)),
            }
        }

        NEW_REQUESTS
            .insert(txn, created.iter().map(|(row, _)| new_row_values(row)).collect())
            .await
            // Two imports racing on one new external id: the loser retries and finds it stored.
            .map_err(Error::contention_on_unique)?;
        let first_statuses = created
            .iter()
            .map(|(row, _)| {
                vec![
                    Uuid::now_v7().into(),
                    row.id.into(),
                    RequestStatus::New.as_str().into(),
                    row.status_time.into(),
                    ctx.principal.staff_id.into(),
                    "".into(),
                ]
            })
            .collect();
        FIRST_STATUSES.insert(txn, first_statuses).await?;
        CHANGED_REQUESTS
            .update(
                txn,
                "id",
                changed
                    .iter()
                    .map(|(row, _, _)| changed_row_values(row))
                    .collect(),
            )
            .await?;

        let mut written = Vec::with_capacity(created.len() + changed.len());
        for (row, evaluation) in &created {
            written.push((request_from_row(row.clone(), evaluation)?, None));
        }
        for (row, evaluation, fields) in &changed {
            written.push((
                request_from_row(row.clone(), evaluation)?,
                Some(fields.as_slice()),
            ));
        }
        let written = written.into_iter().map(|(request, fields)| {
            let (id, account_id) = (request.id, Some(request.account_id));
            (id, account_id, request_to_proto(request), fields)
        });
        let changes = audit::imported(
            SERVICE_REQUEST,
            [Payload::ServiceRequestCreated, Payload::ServiceRequestUpdated],
            &CREATED_FIELDS,
            written,
        );
        audit::record_many(txn, ctx, changes).await?;
        outcome.created = created.len() as u64;
        outcome.updated = changed.len() as u64;
        Ok(outcome)
    })
    .await
}

/// The fields a created request's audit row names, as CreateServiceRequest names them.
const CREATED_FIELDS: [&str; 9] = [
    "external_id",
    "account_id",
    "contact_id",
    "title",
    "description",
    "category",
    "priority",
    "assignee_staff_id",
    "sla",
];

/// Everything the batch's records name, in a handful of set-wise reads.
async fn look_up(conn: &impl ConnectionTrait, records: &[(u64, RequestRecord)]) -> Result<Lookups> {
    let account_keys: Vec<&str> = records
        .iter()
        .map(|(_, r)| r.account_external_id.as_str())
        .collect();
    let accounts = accounts::store::accounts_by_external_id(conn, &account_keys).await?;
    let contact_keys: Vec<&str> = records
        .iter()
        .filter_map(|(_, r)| r.contact_external_id.as_deref())
        .collect();
    let contacts = accounts::store::contacts_by_external_id(conn, &contact_keys).await?;
    let emails: Vec<&str> = records
        .iter()
        .filter_map(|(_, r)| r.assignee_email.as_deref())
        .collect();
    let staff = staff_by_email(conn, &emails).await?;
    let keys: Vec<&str> = records.iter().map(|(_, r)| r.external_id.as_str()).collect();
    let stored: HashMap<String, row_entity::Model> =
        find_by_keys::<row_entity::Entity>(conn, row_entity::Column::ExternalId, &keys)
            .await?
            .into_iter()
            .filter_map(|row| Some((row.external_id.clone()?, row)))
            .collect();
    let live: Vec<(Uuid, Option<Tier>)> = accounts.values().map(|a| (a.id, a.tier)).collect();
    let policies = candidate_policies(conn, &live).await?;
    let mut calendar_ids: Vec<Uuid> = policies
        .iter()
        .map(|p| p.fields.calendar_id)
        .chain(stored.values().map(|row| row.calendar_id))
        .collect();
    calendar_ids.sort_unstable();
    calendar_ids.dedup();
    let calendars = load_calendars(conn, &calendar_ids)
        .await?
        .values()
        .map(|calendar| clock_calendar(calendar).map(|clock| (calendar.id, clock)))
        .collect::<Result<_>>()?;
    let stored_ids: Vec<Uuid> = stored.values().map(|row| row.id).collect();
    let histories = histories(conn, &stored_ids).await?;
    Ok(Lookups {
        accounts,
        contacts,
        staff,
        stored,
        policies,
        calendars,
        histories,
    })
}

/// Sorts one record: `Ok(Err(_))` when it is refused, `Err(_)` only when the stored data is broken.
fn sort_record(
    record: &RequestRecord,
    lookups: &Lookups,
    time: DateTime<Utc>,
    horizon_days: u32,
) -> Result<Result<Sorted, Refusal>> {
    let account = match lookups.accounts.get(&record.account_external_id) {
        None => {
            return Ok(Err(Refusal::not_found(
                "account_external_id",
                format!("no account has external id {:?}", record.account_external_id),
            )));
        }
        Some(account) if account.deleted => {
            return Ok(Err(Refusal::rule(
                "ACCOUNT_DELETED",
                "account_external_id",
                "the account is deleted",
            )));
        }
        Some(account) => *account,
    };
    let contact_id = match &record.contact_external_id {
        None => None,
        Some(key) => match lookups.contacts.get(key) {
            None => {
                return Ok(Err(Refusal::not_found(
                    "contact_external_id",
                    format!("no contact has external id {key:?}"),
                )));
            }
            Some((_, of)) if *of != account.id => {
                return Ok(Err(Refusal::rule(
                    CONTACT_NOT_OF_ACCOUNT,
                    "contact_external_id",
                    "the contact belongs to another account",
                )));
            }
            Some((id, _)) => Some(*id),
        },
    };
    let assignee = match &record.assignee_email {
        None => None,
        Some(email) => match lookups.staff.get(email) {
            None => {
                return Ok(Err(Refusal::not_found(
                    "assignee_email",
                    format!("no staff member has email {email:?}"),
                )));
            }
            Some(found) => Some(*found),
        },
    };
    let fields = RequestFields {
        external_id: Some(record.external_id.clone()),
        contact_id,
        title: record.title.clone(),
        description: record.description.clone(),
        category: record.category,
        assignee_staff_id: assignee.map(|(id, _)| id),
    };
    let inactive_assignee = || {
        Refusal::rule(
            STAFF_INACTIVE,
            "assignee_email",
            "inactive staff cannot be assigned requests",
        )
    };
    let Some(row) = lookups.stored.get(&record.external_id) else {
        if assignee.is_some_and(|(_, active)| !active) {
            return Ok(Err(inactive_assignee()));
        }
        return new_request(record, account, fields, lookups, time, horizon_days);
    };
    if row.account_id != account.id {
        return Ok(Err(Refusal::rule(
            "SERVICE_REQUEST_ACCOUNT_IMMUTABLE",
            "account_external_id",
            "a service request stays with its account; the ERP record names another",
        )));
    }
    let before = fields_of(row)?;
    let names = changed_fields(&before, &fields);
    if names.is_empty() {
        return Ok(Ok(Sorted::Unchanged));
    }
    if let Err(broken) = rules::check_not_final(&subject(row.id), status_of(row)?) {
        return Ok(Err(Refusal::rule(broken.rule, "", &broken.description)));
    }
    if before.assignee_staff_id != fields.assignee_staff_id && assignee.is_some_and(|(_, active)| !active) {
        return Ok(Err(inactive_assignee()));
    }
    // Every write derives the stored SLA columns again from the clock.
    let sla = applied_of(row)?;
    let history = lookups.histories.get(&row.id).cloned().unwrap_or_default();
    let evaluation = match evaluate(
        calendar(lookups, sla.calendar_id)?,
        &history,
        &sla,
        row.first_response_time,
        time,
    ) {
        Ok(evaluation) => evaluation,
        Err(err) => return refused_by_clock(row.id, err),
    };
    let stored = rules::stored_sla(&evaluation, recorded_of(row)?, row.next_check_time, time);
    let mut change = row.clone().into_active_model();
    let columns = field_columns(&fields);
    change.contact_id = columns.contact_id;
    change.title = columns.title;
    change.description = columns.description;
    change.category = columns.category;
    change.assignee_staff_id = columns.assignee_staff_id;
    stored_columns(&mut change, &stored);
    change.update_time = Set(time);
    change.revision = Set(row.revision + 1);
    Ok(Ok(Sorted::Changed(change.try_into_model()?, evaluation, names)))
}

/// A new request as CreateServiceRequest makes it, opened when the ERP opened it (else now, `time`):
/// its SLA clock runs from then, and is evaluated as of now. The opening lies at most `horizon_days`
/// back: every read replays the clock from it a day at a time.
fn new_request(
    record: &RequestRecord,
    account: AccountRef,
    fields: RequestFields,
    lookups: &Lookups,
    time: DateTime<Utc>,
    horizon_days: u32,
) -> Result<Result<Sorted, Refusal>> {
    let opened = record.open_time.unwrap_or(time);
    if opened > time {
        return Ok(Err(Refusal::invalid("open_time", "is in the future")));
    }
    if (time - opened).num_days() >= i64::from(horizon_days) {
        return Ok(Err(Refusal::invalid(
            "open_time",
            format!("is {horizon_days} days or more ago (integration.open_time_horizon_days)"),
        )));
    }
    let id = Uuid::now_v7();
    let (policy, matched) = choose(&lookups.policies, account.id, account.tier)?;
    let sla = snapshot(policy, matched, record.priority, opened)?;
    let history = [(opened, RequestStatus::New)];
    let evaluation = match evaluate(calendar(lookups, sla.calendar_id)?, &history, &sla, None, time) {
        Ok(evaluation) => evaluation,
        Err(err) => return refused_by_clock(id, err),
    };
    let stored = rules::stored_sla(
        &evaluation,
        (SlaState::InProgress, SlaState::InProgress),
        None,
        time,
    );
    let mut row = field_columns(&fields);
    row.id = Set(id);
    row.account_id = Set(account.id);
    row.priority = Set(record.priority.as_str().to_owned());
    row.status = Set(RequestStatus::New.as_str().to_owned());
    snapshot_columns(&mut row, &sla);
    row.first_response_time = Set(None);
    row.status_time = Set(opened);
    row.resolve_time = Set(None);
    row.close_time = Set(None);
    stored_columns(&mut row, &stored);
    row.first_response_sla_state = Set(SlaState::InProgress.as_str().to_owned());
    row.resolution_sla_state = Set(SlaState::InProgress.as_str().to_owned());
    row.create_time = Set(opened);
    row.update_time = Set(time);
    row.revision = Set(1);
    Ok(Ok(Sorted::Created(row.try_into_model()?, evaluation)))
}

fn calendar(lookups: &Lookups, id: Uuid) -> Result<&BusinessCalendar> {
    lookups
        .calendars
        .get(&id)
        .ok_or_else(|| Error::not_found(super::CALENDAR, id))
}

/// A target the clock cannot place is the row's refusal, as it would be the request's alone.
fn refused_by_clock(
    id: Uuid,
    err: crate::service_levels::clock::SlaError,
) -> Result<Result<Sorted, Refusal>> {
    match clock_error(&subject(id), err) {
        Error::FailedPrecondition(broken) => {
            let first = &broken[0];
            Ok(Err(Refusal::rule(first.rule, "", &first.description)))
        }
        other => Err(other),
    }
}

/// The ERP's fields that differ, named as UpdateServiceRequest names them.
fn changed_fields(before: &RequestFields, after: &RequestFields) -> Vec<String> {
    [
        (before.contact_id != after.contact_id, "contact_id"),
        (before.title != after.title, "title"),
        (before.description != after.description, "description"),
        (before.category != after.category, "category"),
        (
            before.assignee_staff_id != after.assignee_staff_id,
            "assignee_staff_id",
        ),
    ]
    .into_iter()
    .filter(|(differs, _)| *differs)
    .map(|(_, name)| name.to_owned())
    .collect()
}

fn new_row_values(row: &row_entity::Model) -> Vec<Value> {
    vec![
        row.id.into(),
        row.external_id.clone().into(),
        row.account_id.into(),
        row.contact_id.into(),
        row.title.clone().into(),
        row.description.clone().into(),
        row.category.clone().into(),
        row.priority.clone().into(),
        row.status.clone().into(),
        row.assignee_staff_id.into(),
        row.policy_id.into(),
        row.policy_match.clone().into(),
        row.calendar_id.into(),
        row.first_response_minutes.into(),
        row.resolution_minutes.into(),
        row.warning_percent.into(),
        row.pause_statuses.clone().into(),
        row.sla_apply_time.into(),
        row.status_time.into(),
        row.first_response_due_time.into(),
        row.first_response_at_risk_time.into(),
        row.first_response_settled_state.clone().into(),
        row.resolution_due_time.into(),
        row.resolution_at_risk_time.into(),
        row.resolution_settled_state.clone().into(),
        row.first_response_business_minutes.into(),
        row.resolution_business_minutes.into(),
        row.first_response_sla_state.clone().into(),
        row.resolution_sla_state.clone().into(),
        row.next_check_time.into(),
        row.create_time.into(),
        row.update_time.into(),
        row.revision.into(),
    ]
}

fn changed_row_values(row: &row_entity::Model) -> Vec<Value> {
    vec![
        row.id.into(),
        row.contact_id.into(),
        row.title.clone().into(),
        row.description.clone().into(),
        row.category.clone().into(),
        row.assignee_staff_id.into(),
        row.first_response_due_time.into(),
        row.first_response_at_risk_time.into(),
        row.first_response_settled_state.clone().into(),
        row.resolution_due_time.into(),
        row.resolution_at_risk_time.into(),
        row.resolution_settled_state.clone().into(),
        row.first_response_business_minutes.into(),
        row.resolution_business_minutes.into(),
        row.next_check_time.into(),
        row.update_time.into(),
        row.revision.into(),
    ]
}
