//! Service requests: creation with the applicable policy's targets snapshotted, changes, status moves
//! along the graph, the first response and RecalculateSla. The SLA is computed by the clock from the
//! request's status history on every read; every write also stores what SQL needs to filter by SLA
//! state and what the breach monitor scans (see `rules` for the derivation).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    SERVICE_REQUEST,
    clock_calendars::{clock_calendar, load_calendar},
    evaluation::{clock_error, evaluate, evaluated, histories, off_the_workers},
    policies::{applicable_policy, load_visible_policy, snapshot},
    refuse, request_change,
    rows::{
        applied_of, field_columns, fields_of, priority_of, recorded_of, request_from_row, request_row,
        snapshot_columns, status_of, stored_columns, subject, visible_row,
    },
};
use crate::platform::wire::Update;
use crate::{
    accounts,
    accounts::{model::Tier, store::require_live_account},
    identity::{
        Visibility,
        access::{require_may_rekey, require_visible_account, visible_accounts},
    },
    platform::{
        audit,
        db::{Db, contains_ignoring_case, now},
        error::{Error, Result, RuleViolation},
        etag,
        events::Payload,
        id_scan::IdScan,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page, SortKey, time_key},
        request::RequestContext,
    },
    service_levels::store::entity::{
        service_request as row_entity, service_request_status_change as change_entity,
    },
    service_levels::{
        model::{
            AppliedSla, NewRequest, PolicyMatch, Priority, RequestFields, RequestFilter, RequestOrder,
            RequestPatch, RequestStatus, ServiceRequest, SlaState, TargetKind,
        },
        rules::{self},
    },
    teams,
};

pub async fn create_request(
    db: &Db,
    ctx: &RequestContext,
    new: NewRequest,
    key: Option<IdempotencyKey>,
) -> Result<ServiceRequest> {
    let (new, key) = (&new, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        require_visible_account(txn, ctx.visibility(), new.account_id).await?;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load(txn, id, now()).await;
        }
        require_live_account(txn, new.account_id).await?;
        let id = Uuid::now_v7();
        let subject = subject(id);
        let breaks = check_people(txn, new.account_id, None, &new.fields).await?;
        if !breaks.is_empty() {
            return Err(refuse(breaks));
        }
        let tier = account_tier(txn, new.account_id).await?;
        let (policy, matched) = applicable_policy(txn, new.account_id, tier).await?;
        let time = now();
        let sla = snapshot(&policy, matched, new.priority, time)?;
        let calendar = clock_calendar(&load_calendar(txn, sla.calendar_id).await?)?;
        let history = vec![(time, RequestStatus::New)];
        let evaluation =
            evaluate(&calendar, &history, &sla, None, time).map_err(|e| clock_error(&subject, e))?;
        let stored = rules::stored_sla(
            &evaluation,
            (SlaState::InProgress, SlaState::InProgress),
            None,
            time,
        );
        let mut row = field_columns(&new.fields);
        row.id = Set(id);
        row.account_id = Set(new.account_id);
        row.priority = Set(new.priority.as_str().to_owned());
        row.status = Set(RequestStatus::New.as_str().to_owned());
        snapshot_columns(&mut row, &sla);
        row.first_response_time = Set(None);
        row.status_time = Set(time);
        row.resolve_time = Set(None);
        row.close_time = Set(None);
        stored_columns(&mut row, &stored);
        row.first_response_sla_state = Set(SlaState::InProgress.as_str().to_owned());
        row.resolution_sla_state = Set(SlaState::InProgress.as_str().to_owned());
        row.create_time = Set(time);
        row.update_time = Set(time);
        row.revision = Set(1);
        let inserted = row_entity::Entity::insert(row)
            .exec_with_returning(txn)
            .await
            .map_err(|e| {
                Error::unique_violation(
                    e,
                    SERVICE_REQUEST,
                    "external_id",
                    new.fields.external_id.as_deref(),
                )
            })?;
        record_status_change(txn, ctx, id, None, RequestStatus::New, time, "").await?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = request_from_row(inserted, &evaluation)?;
        let fields = [
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
        audit::record(
            txn,
            ctx,
            request_change(
                &created,
                Payload::ServiceRequestCreated,
                fields.map(str::to_owned).to_vec(),
            ),
        )
        .await?;
        Ok(created)
    })
    .await
}

pub async fn get_request(db: &Db, visibility: Visibility, id: Uuid) -> Result<ServiceRequest> {
    let row = visible_row(db.conn(), visibility, id).await?;
    evaluated(db.conn(), vec![row], now())
        .await
        .map(|mut items| items.remove(0))
}

pub async fn list_requests(
    db: &Db,
    visibility: Visibility,
    filter: &RequestFilter,
    order: RequestOrder,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<ServiceRequest>> {
    // One instant for the filter and the states shown, so every row shown matches the filter.
    let time = now();
    let mut select = filtered_requests(visibility, filter, time);
    if let Some(in_segments) =
        crate::accounts::store::checked_in_segments(db.conn(), &filter.segments).await?
    {
        select = select.filter(row_entity::Column::AccountId.in_subquery(in_segments));
    }
    let (rows, next) = request_keyset(order)
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            let key = match order {
                RequestOrder::Id => None,
                RequestOrder::CreateTime(_) => Some(time_key(row.create_time)),
                RequestOrder::ResolutionDue => Some(time_key(row.resolution_due_time)),
                RequestOrder::FirstResponseDue => Some(time_key(row.first_response_due_time)),
            };
            (row.id, key)
        })
        .await?;
    Ok(Page {
        items: evaluated(db.conn(), rows, time).await?,
        next,
    })
}

/// The requests `visibility` shows that `filter` matches at `time`, but for its segments (which take
/// a query of their own to check).
fn filtered_requests(
    visibility: Visibility,
    filter: &RequestFilter,
    time: DateTime<Utc>,
) -> Select<row_entity::Entity> {
    use row_entity::Column as C;
    let mut select = row_entity::Entity::find();
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    if let Some(account) = filter.account_id {
        select = select.filter(C::AccountId.eq(account));
    }
    if let Some(assignee) = filter.assignee_staff_id {
        select = select.filter(C::AssigneeStaffId.eq(assignee));
    }
    if let Some(status) = filter.status {
        select = select.filter(C::Status.eq(status.as_str()));
    }
    if filter.open_only {
        let closed = [
            RequestStatus::Resolved,
            RequestStatus::Closed,
            RequestStatus::Cancelled,
        ];
        select = select.filter(C::Status.is_not_in(closed.map(|s| s.as_str())));
    }
    if let Some(priority) = filter.priority {
        select = select.filter(C::Priority.eq(priority.as_str()));
    }
    if let Some(category) = filter.category {
        select = select.filter(C::Category.eq(category.as_str()));
    }
    let targets: &[TargetKind] = match filter.sla_target {
        Some(TargetKind::FirstResponse) => &[TargetKind::FirstResponse],
        Some(TargetKind::Resolution) => &[TargetKind::Resolution],
        None => &[TargetKind::FirstResponse, TargetKind::Resolution],
    };
    if let Some(state) = filter.sla_state {
        let mut any = Condition::any();
        for target in targets {
            any = any.add(state_condition(*target, state, time));
        }
        select = select.filter(any);
    }
    if let Some(before) = filter.due_before {
        let mut any = Condition::any();
        for target in targets {
            any = any.add(due_before_condition(*target, before));
        }
        select = select.filter(any);
    }
    if let Some(query) = &filter.query {
        select = select.filter(contains_ignoring_case(C::Title, query));
    }
    if only_live_requests_match(filter) {
        select = select.filter(Expr::cust(LIVE_REQUEST));
    }
    select
}

/// The keyset a list in `order` pages by.
fn request_keyset(order: RequestOrder) -> Keyset<row_entity::Column> {
    use row_entity::Column as C;
    let (sort, direction) = match order {
        RequestOrder::Id => (None, Direction::Ascending),
        RequestOrder::CreateTime(d) => (Some(SortKey::Time(C::CreateTime)), d),
        RequestOrder::ResolutionDue => (Some(SortKey::Time(C::ResolutionDueTime)), Direction::Ascending),
        RequestOrder::FirstResponseDue => {
            (Some(SortKey::Time(C::FirstResponseDueTime)), Direction::Ascending)
        }
    };
    Keyset {
        sort,
        id: C::Id,
        direction,
    }
}

/// The predicate of the partial index `ix_service_requests_live` (migration 000025), spelled exactly as
/// there: a request open or with a target whose clock runs. SQLite uses a partial index only for a
/// query that contains its condition as written.
const LIVE_REQUEST: &str = "(first_response_settled_state IS NULL OR resolution_settled_state IS NULL \
                            OR status NOT IN ('RESOLVED', 'CLOSED', 'CANCELLED'))";

/// Whether every row `filter` matches is live (see [`LIVE_REQUEST`]): open, or IN_PROGRESS or AT_RISK,
/// which only an unsettled target is. The list then says so, redundantly, for the planners: the
/// requests these filters match are the newest, and for a page in id order they read most of the table
/// (walking the primary key from the oldest request, or sorting every running one). At 1 M requests
/// (100,000 open), first page of 50, SQLite / PostgreSQL, one run on the loaded 2-core machine: AT_RISK
/// 36 / 461 ms, due within 4 h 245 / 81 ms, BREACHED and open 722 / 727 ms. Walking the live index
/// instead: 35 / 27, 22 / 45 and 5 / 4 ms (SQLite keeps its own plan for AT_RISK: the at-risk rows
/// through the due-time indexes, sorted).
fn only_live_requests_match(filter: &RequestFilter) -> bool {
    filter.open_only || matches!(filter.sla_state, Some(SlaState::InProgress | SlaState::AtRisk))
}

/// The rows whose `target` is in `state` at `now`, from the columns every write stores (the table in
/// `rules`' module docs).
fn state_condition(target: TargetKind, state: SlaState, now: DateTime<Utc>) -> Condition {
    use row_entity::Column as C;
    let (due, at_risk, settled) = match target {
        TargetKind::FirstResponse => (
            C::FirstResponseDueTime,
            C::FirstResponseAtRiskTime,
            C::FirstResponseSettledState,
        ),
        TargetKind::Resolution => (
            C::ResolutionDueTime,
            C::ResolutionAtRiskTime,
            C::ResolutionSettledState,
        ),
    };
    match state {
        SlaState::InProgress => Condition::all().add(settled.is_null()).add(at_risk.gt(now)),
        SlaState::AtRisk => Condition::all()
            .add(settled.is_null())
            .add(at_risk.lte(now))
            .add(due.gte(now)),
        SlaState::Breached => Condition::any()
            .add(settled.eq(SlaState::Breached.as_str()))
            .add(Condition::all().add(settled.is_null()).add(due.lt(now))),
        SlaState::Paused | SlaState::Met | SlaState::Cancelled => {
            Condition::all().add(settled.eq(state.as_str()))
        }
    }
}

/// The rows whose `target` is unfulfilled, not cancelled, and due before `before`.
fn due_before_condition(target: TargetKind, before: DateTime<Utc>) -> Condition {
    use row_entity::Column as C;
    let (fulfilled, due) = match target {
        TargetKind::FirstResponse => (C::FirstResponseTime, C::FirstResponseDueTime),
        TargetKind::Resolution => (C::ResolveTime, C::ResolutionDueTime),
    };
    Condition::all()
        .add(fulfilled.is_null())
        .add(C::Status.ne(RequestStatus::Cancelled.as_str()))
        .add(due.lt(before))
}

pub async fn update_request(
    db: &Db,
    ctx: &RequestContext,
    update: Update<RequestPatch>,
) -> Result<ServiceRequest> {
    let Update {
        id,
        etag,
        patch,
        paths: changed_fields,
    } = update;
    let sent_etag = etag.as_deref();
    let (patch, changed_fields) = (&patch, &changed_fields);
    db.write(|txn| async move {
        let txn = &*txn;
        let row = visible_row(txn, ctx.visibility(), id).await?;
        etag::check(SERVICE_REQUEST, id, row.revision, sent_etag)?;
        let status = status_of(&row)?;
        rules::check_not_final(&subject(id), status).map_err(|v| refuse(vec![v]))?;
        require_live_account(txn, row.account_id).await?;
        let before = fields_of(&row)?;
        let mut fields = before.clone();
        patch.apply_to(&mut fields);
        require_may_rekey(&ctx.principal, &before.external_id, &fields.external_id)?;
        let breaks = check_people(txn, row.account_id, Some(&before), &fields).await?;
        if !breaks.is_empty() {
            return Err(refuse(breaks));
        }
        let mut change = field_columns(&fields);
        let external_id = fields.external_id.clone();
        let saved = save(txn, row, None, &mut change, now())
            .await
            .map_err(|e| match e {
                Error::Database(db) => {
                    Error::unique_violation(db, SERVICE_REQUEST, "external_id", external_id.as_deref())
                }
                other => other,
            })?;
        audit::record(
            txn,
            ctx,
            request_change(&saved, Payload::ServiceRequestUpdated, changed_fields.clone()),
        )
        .await?;
        Ok(saved)
    })
    .await
}

/// Moves a request along the transition graph. Resolving fulfils the first response too when none was
/// recorded (a resolution answers the customer); reopening clears the resolve time.
pub async fn change_status(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    to: RequestStatus,
    note: String,
    sent_etag: Option<&str>,
) -> Result<ServiceRequest> {
    let note = &note;
    db.write(|txn| async move {
        let txn = &*txn;
        let row = visible_row(txn, ctx.visibility(), id).await?;
        etag::check(SERVICE_REQUEST, id, row.revision, sent_etag)?;
        let from = status_of(&row)?;
        rules::check_transition(&subject(id), from, to).map_err(|v| refuse(vec![v]))?;
        let time = now();
        let mut change = row_entity::ActiveModel {
            status: Set(to.as_str().to_owned()),
            status_time: Set(time),
            ..Default::default()
        };
        let mut fields = vec!["status".to_owned(), "status_time".to_owned()];
        match to {
            RequestStatus::Resolved => {
                change.resolve_time = Set(Some(time));
                fields.push("resolve_time".to_owned());
                if row.first_response_time.is_none() {
                    change.first_response_time = Set(Some(time));
                    fields.push("first_response_time".to_owned());
                }
            }
            RequestStatus::Closed | RequestStatus::Cancelled => {
                change.close_time = Set(Some(time));
                fields.push("close_time".to_owned());
            }
            RequestStatus::InProgress if from == RequestStatus::Resolved => {
                change.resolve_time = Set(None);
                fields.push("resolve_time".to_owned());
            }
            _ => {}
        }
        record_status_change(txn, ctx, id, Some(from), to, time, note).await?;
        let saved = save(txn, row, None, &mut change, time).await?;
        audit::record(
            txn,
            ctx,
            request_change(&saved, Payload::ServiceRequestStatusChanged, fields),
        )
        .await?;
        Ok(saved)
    })
    .await
}

pub async fn record_first_response(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    sent_etag: Option<&str>,
) -> Result<ServiceRequest> {
    db.write(|txn| async move {
        let txn = &*txn;
        let row = visible_row(txn, ctx.visibility(), id).await?;
        etag::check(SERVICE_REQUEST, id, row.revision, sent_etag)?;
        rules::check_not_final(&subject(id), status_of(&row)?).map_err(|v| refuse(vec![v]))?;
        if let Some(recorded) = row.first_response_time {
            return Err(Error::rule(
                rules::FIRST_RESPONSE_RECORDED,
                subject(id),
                format!("the first response was recorded at {}", time_key(recorded)),
            ));
        }
        let time = now();
        let mut change = row_entity::ActiveModel {
            first_response_time: Set(Some(time)),
            ..Default::default()
        };
        let saved = save(txn, row, None, &mut change, time).await?;
        audit::record(
            txn,
            ctx,
            request_change(
                &saved,
                Payload::ServiceRequestFirstResponseRecorded,
                vec!["first_response_time".to_owned()],
            ),
        )
        .await?;
        Ok(saved)
    })
    .await
}

pub struct RecalculateRequest {
    pub policy_id: Option<Uuid>,
    pub priority: Option<Priority>,
}

/// Re-applies a policy (the one that applies now, or the one named) for the request's priority (or a
/// new one), and snapshots its targets anew. The history stays, and with it the pause accumulated: the
/// clock derives both targets afresh from creation.
pub async fn recalculate_sla(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    recalculate: RecalculateRequest,
    sent_etag: Option<&str>,
) -> Result<ServiceRequest> {
    let recalculate = &recalculate;
    db.write(|txn| async move {
        let txn = &*txn;
        let row = visible_row(txn, ctx.visibility(), id).await?;
        etag::check(SERVICE_REQUEST, id, row.revision, sent_etag)?;
        rules::check_not_final(&subject(id), status_of(&row)?).map_err(|v| refuse(vec![v]))?;
        let (policy, matched) = match recalculate.policy_id {
            Some(policy_id) => (
                load_visible_policy(txn, ctx.visibility(), policy_id).await?,
                PolicyMatch::Explicit,
            ),
            None => {
                let tier = account_tier(txn, row.account_id).await?;
                applicable_policy(txn, row.account_id, tier).await?
            }
        };
        let priority = match recalculate.priority {
            Some(priority) => priority,
            None => priority_of(&row)?,
        };
        let time = now();
        let sla = snapshot(&policy, matched, priority, time)?;
        let mut change = row_entity::ActiveModel {
            priority: Set(priority.as_str().to_owned()),
            ..Default::default()
        };
        snapshot_columns(&mut change, &sla);
        let saved = save(txn, row, Some(&sla), &mut change, time).await?;
        audit::record(
            txn,
            ctx,
            request_change(
                &saved,
                Payload::ServiceRequestSlaRecalculated,
                vec!["priority".to_owned(), "sla".to_owned()],
            ),
        )
        .await?;
        Ok(saved)
    })
    .await
}

/// Writes `change` to `row` together with everything derived: the SLA evaluated at `time` on the
/// history as it now stands (with `new_sla` if the snapshot changes), its stored columns, the update
/// time and the revision. Returns the request as saved.
async fn save(
    txn: &impl ConnectionTrait,
    row: row_entity::Model,
    new_sla: Option<&AppliedSla>,
    change: &mut row_entity::ActiveModel,
    time: DateTime<Utc>,
) -> Result<ServiceRequest> {
    let id = row.id;
    let sla = match new_sla {
        Some(sla) => sla.clone(),
        None => applied_of(&row)?,
    };
    let first_response_time = match &change.first_response_time {
        sea_orm::ActiveValue::Set(value) => *value,
        _ => row.first_response_time,
    };
    let history = histories(txn, &[id]).await?.remove(&id).unwrap_or_default();
    let calendar = clock_calendar(&load_calendar(txn, sla.calendar_id).await?)?;
    let evaluation = off_the_workers(move || {
        evaluate(&calendar, &history, &sla, first_response_time, time)
            .map_err(|e| clock_error(&subject(id), e))
    })
    .await?;
    let mut recorded = recorded_of(&row)?;
    if new_sla.is_some() {
        recorded = (
            rules::recorded_after_recalculation(recorded.0, evaluation.first_response.state),
            rules::recorded_after_recalculation(recorded.1, evaluation.resolution.state),
        );
        change.first_response_sla_state = Set(recorded.0.as_str().to_owned());
        change.resolution_sla_state = Set(recorded.1.as_str().to_owned());
    }
    let stored = rules::stored_sla(&evaluation, recorded, row.next_check_time, time);
    stored_columns(change, &stored);
    change.id = Set(id);
    change.update_time = Set(time);
    change.revision = Set(row.revision + 1);
    let saved = row_entity::Entity::update(change.clone()).exec(txn).await?;
    request_from_row(saved, &evaluation)
}

/// The account's tier (None for a tier this build does not know, which then matches no tier policy).
async fn account_tier(conn: &impl ConnectionTrait, account_id: Uuid) -> Result<Option<Tier>> {
    accounts::store::tier_of(conn, account_id).await
}

/// The contact belongs to the account, the assignee is active staff: checked for what is new in
/// `after` (a person who left while assigned blocks no unrelated change; the handover moves them).
async fn check_people(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    before: Option<&RequestFields>,
    after: &RequestFields,
) -> Result<Vec<RuleViolation>> {
    let mut breaks = Vec::new();
    if let Some(contact_id) = after.contact_id
        && before.is_none_or(|b| b.contact_id != after.contact_id)
    {
        // Unknown and another account's answer alike: a caller cannot tell a contact it may not see
        // from one that does not exist.
        let found = accounts::store::account_of_contact(conn, contact_id).await?;
        if found != Some(account_id) {
            breaks.push(RuleViolation {
                rule: rules::CONTACT_NOT_OF_ACCOUNT,
                subject: format!("contacts/{contact_id}"),
                description: "not a contact of the account".to_owned(),
            });
        }
    }
    if let Some(staff_id) = after.assignee_staff_id
        && before.is_none_or(|b| b.assignee_staff_id != after.assignee_staff_id)
        && !teams::store::is_active_staff(conn, staff_id).await?
    {
        breaks.push(RuleViolation {
            rule: rules::STAFF_INACTIVE,
            subject: format!("staff/{staff_id}"),
            description: "inactive staff cannot be assigned requests".to_owned(),
        });
    }
    Ok(breaks)
}

async fn record_status_change(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    request_id: Uuid,
    from: Option<RequestStatus>,
    to: RequestStatus,
    time: DateTime<Utc>,
    note: &str,
) -> Result<()> {
    change_entity::Entity::insert(change_entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        service_request_id: Set(request_id),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        change_time: Set(time),
        changed_by: Set(ctx.principal.staff_id),
        note: Set(note.to_owned()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

async fn load(conn: &impl ConnectionTrait, id: Uuid, time: DateTime<Utc>) -> Result<ServiceRequest> {
    let row = request_row(conn, id).await?;
    evaluated(conn, vec![row], time)
        .await
        .map(|mut items| items.remove(0))
}

/// The ids of service requests a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
pub async fn request_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<row_entity::Entity>(
        db.conn(),
        row_entity::Column::Id,
        row_entity::Column::AccountId,
        Condition::all(),
    )
    .await
}

/// Of `ids`, the service requests of the accounts the caller may see, with their SLA clocks now, in
/// one query (and the few the clocks read).
pub async fn requests_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<ServiceRequest>> {
    let mut select = row_entity::Entity::find().filter(row_entity::Column::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, row_entity::Column::AccountId) {
        select = select.filter(visible);
    }
    evaluated(db.conn(), select.all(db.conn()).await?, now()).await
}

#[cfg(test)]
mod tests {
    use kam_migrations::{Migrator, MigratorTrait};
    use sea_orm::{
        ConnectOptions, Database, DatabaseConnection, DbBackend, QueryOrder, QuerySelect, QueryTrait,
        Statement,
    };

    use super::*;

    async fn migrated_sqlite() -> DatabaseConnection {
        let mut options = ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).sqlx_logging(false);
        let db = Database::connect(options).await.expect("an in-memory SQLite");
        Migrator::up(&db, None).await.expect("the migrations run");
        db
    }

    /// SQLite's plan (`EXPLAIN QUERY PLAN`) of the first page of `filter` in id order.
    async fn first_page_plan(db: &DatabaseConnection, filter: &RequestFilter) -> String {
        let page = filtered_requests(Visibility::All, filter, now())
            .order_by_asc(row_entity::Column::Id)
            .limit(51)
            .build(DbBackend::Sqlite);
        let explain = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("EXPLAIN QUERY PLAN {}", page.sql),
            page.values.map(|values| values.0).unwrap_or_default(),
        );
        let rows = db.query_all_raw(explain).await.expect("a plan");
        let lines: Vec<String> = rows
            .iter()
            .map(|row| row.try_get_by_index(3).expect("a plan line"))
            .collect();
        lines.join("\n")
    }

    /// The list spells `LIVE_REQUEST` as the migration does, or SQLite ignores the index.
    #[tokio::test]
    async fn the_filters_only_live_requests_match_walk_the_live_index() {
        let db = migrated_sqlite().await;
        let filters = [
            RequestFilter {
                sla_state: Some(SlaState::AtRisk),
                ..Default::default()
            },
            RequestFilter {
                sla_state: Some(SlaState::InProgress),
                sla_target: Some(TargetKind::Resolution),
                ..Default::default()
            },
            RequestFilter {
                sla_state: Some(SlaState::Breached),
                open_only: true,
                ..Default::default()
            },
        ];
        for filter in filters {
            let plan = first_page_plan(&db, &filter).await;
            assert!(plan.contains("ix_service_requests_live"), "{filter:?}:\n{plan}");
        }
    }

    #[test]
    fn only_filters_that_imply_a_live_request_say_so() {
        let in_state = |state| RequestFilter {
            sla_state: Some(state),
            ..Default::default()
        };
        assert!(only_live_requests_match(&in_state(SlaState::AtRisk)));
        assert!(only_live_requests_match(&in_state(SlaState::InProgress)));
        for settled in [
            SlaState::Breached,
            SlaState::Paused,
            SlaState::Met,
            SlaState::Cancelled,
        ] {
            assert!(!only_live_requests_match(&in_state(settled)), "{settled:?}");
        }
        let open = RequestFilter {
            open_only: true,
            ..in_state(SlaState::Met)
        };
        assert!(only_live_requests_match(&open));
        assert!(!only_live_requests_match(&RequestFilter::default()));
    }
}
