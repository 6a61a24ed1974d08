//! Plan actions: their own resource so that a phone can tick one off, and a handover
//! area: a leaver's open actions move, count in their workload and keep them from being deactivated.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{
    PLAN_ACTION, action_change,
    plans::{plan_of, refuse_closed, visible_plan_row},
};
use crate::platform::wire::Update;
use crate::{
    accounts::store::require_live_account,
    identity::{
        Visibility,
        access::{hide_missing, require_visible_account, visible_accounts},
    },
    planning::store::entity::plan_action as row_entity,
    planning::{
        model::{ActionFields, ActionFilter, ActionPatch, PlanAction},
        rules::plans::ActionStatus,
    },
    platform::{
        audit,
        db::{Db, now},
        error::{Error, Result},
        etag,
        events::Payload,
        id_scan::IdScan,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page, SortKey},
        request::RequestContext,
    },
    teams::{
        handover::{AreaHandover, HandoverScope, Moved, ResponsibilityArea},
        store::require_active_staff,
    },
};

pub async fn create_action(
    db: &Db,
    ctx: &RequestContext,
    plan_id: Uuid,
    fields: ActionFields,
    key: Option<IdempotencyKey>,
) -> Result<PlanAction> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        let plan = plan_of(visible_plan_row(txn, ctx.visibility(), plan_id).await?)?;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return action_of(action_row(txn, id).await?);
        }
        refuse_closed(&plan)?;
        require_live_account(txn, plan.account_id).await?;
        let department_id = require_active_staff(txn, fields.owner_staff_id, fields.department_id).await?;
        let at = now();
        let action = PlanAction {
            id: Uuid::now_v7(),
            plan_id,
            account_id: plan.account_id,
            title: fields.title.clone(),
            description: fields.description.clone(),
            owner_staff_id: fields.owner_staff_id,
            department_id,
            due_date: fields.due_date,
            status: fields.status,
            complete_time: (fields.status == ActionStatus::Done).then_some(at),
            create_time: at,
            update_time: at,
            revision: 1,
        };
        row_entity::Entity::insert(active_model(&action))
            .exec_without_returning(txn)
            .await?;
        if let Some(key) = key {
            key.remember(txn, action.id).await?;
        }
        let changed = [
            "plan_id",
            "title",
            "description",
            "owner_staff_id",
            "department_id",
            "due_date",
            "status",
        ];
        audit::record(
            txn,
            ctx,
            action_change(
                &action,
                Payload::PlanActionCreated,
                changed.map(str::to_owned).to_vec(),
            ),
        )
        .await?;
        Ok(action)
    })
    .await
}

pub async fn get_action(db: &Db, visibility: Visibility, id: Uuid) -> Result<PlanAction> {
    action_of(visible_action_row(db.conn(), visibility, id).await?)
}

async fn visible_action_row(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
    id: Uuid,
) -> Result<row_entity::Model> {
    let row = hide_missing(visibility, action_row(conn, id).await)?;
    require_visible_account(conn, visibility, row.account_id).await?;
    Ok(row)
}

async fn action_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<row_entity::Model> {
    row_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(PLAN_ACTION, id))
}

fn open_statuses() -> [&'static str; 2] {
    [ActionStatus::Open.as_str(), ActionStatus::InProgress.as_str()]
}

pub async fn list_actions(
    db: &Db,
    visibility: Visibility,
    filter: &ActionFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<PlanAction>> {
    use row_entity::Column as C;
    let mut select = row_entity::Entity::find();
    if let Some(plan) = filter.plan_id {
        select = select.filter(C::PlanId.eq(plan));
    }
    if let Some(account) = filter.account_id {
        select = select.filter(C::AccountId.eq(account));
    }
    if let Some(owner) = filter.owner_staff_id {
        select = select.filter(C::OwnerStaffId.eq(owner));
    }
    if let Some(today) = filter.overdue_on {
        select = select
            .filter(C::Status.is_in(open_statuses()))
            .filter(C::DueDate.lt(today));
    }
    if let Some(status) = filter.status {
        select = select.filter(C::Status.eq(status.as_str()));
    }
    if let Some(in_segments) =
        crate::accounts::store::checked_in_segments(db.conn(), &filter.segments).await?
    {
        select = select.filter(C::AccountId.in_subquery(in_segments));
    }
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    let keyset = Keyset {
        sort: filter.by_due_date.then_some(SortKey::Date(C::DueDate)),
        id: C::Id,
        direction: Direction::Ascending,
    };
    let by_due = filter.by_due_date;
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            (row.id, by_due.then(|| row.due_date.to_string()))
        })
        .await?;
    Ok(Page {
        items: rows.into_iter().map(action_of).collect::<Result<_>>()?,
        next,
    })
}

/// Applies `patch`. On a CLOSED plan only the status may still change (work done late is ticked off).
pub async fn update_action(db: &Db, ctx: &RequestContext, update: Update<ActionPatch>) -> Result<PlanAction> {
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
        let mut action = action_of(visible_action_row(txn, ctx.visibility(), id).await?)?;
        etag::check(PLAN_ACTION, id, action.revision, sent_etag)?;
        let plan = plan_of(visible_plan_row(txn, ctx.visibility(), action.plan_id).await?)?;
        let only_status = changed_fields.iter().all(|f| f == "status");
        if !only_status {
            refuse_closed(&plan)?;
        }
        require_live_account(txn, action.account_id).await?;
        let ActionPatch {
            title,
            description,
            owner_staff_id,
            department_id,
            due_date,
            status,
        } = patch.clone();
        if owner_staff_id.is_some() || department_id.is_some() {
            let owner = owner_staff_id.unwrap_or(action.owner_staff_id);
            // A new owner brings their department unless one is named.
            let department = department_id.or(owner_staff_id.is_none().then_some(action.department_id));
            action.department_id = require_active_staff(txn, owner, department).await?;
            action.owner_staff_id = owner;
        }
        if let Some(v) = title {
            action.title = v;
        }
        if let Some(v) = description {
            action.description = v;
        }
        if let Some(v) = due_date {
            action.due_date = v;
        }
        let at = now();
        if let Some(v) = status
            && v != action.status
        {
            action.complete_time = (v == ActionStatus::Done).then_some(at);
            action.status = v;
        }
        action.update_time = at;
        action.revision += 1;
        row_entity::Entity::update(active_model(&action))
            .exec(txn)
            .await?;
        audit::record(
            txn,
            ctx,
            action_change(&action, Payload::PlanActionUpdated, changed_fields.clone()),
        )
        .await?;
        Ok(action)
    })
    .await
}

fn active_model(action: &PlanAction) -> row_entity::ActiveModel {
    row_entity::ActiveModel {
        id: Set(action.id),
        plan_id: Set(action.plan_id),
        account_id: Set(action.account_id),
        title: Set(action.title.clone()),
        description: Set(action.description.clone()),
        owner_staff_id: Set(action.owner_staff_id),
        department_id: Set(action.department_id),
        due_date: Set(action.due_date),
        status: Set(action.status.as_str().to_owned()),
        complete_time: Set(action.complete_time),
        create_time: Set(action.create_time),
        update_time: Set(action.update_time),
        revision: Set(action.revision),
    }
}

fn action_of(row: row_entity::Model) -> Result<PlanAction> {
    Ok(PlanAction {
        id: row.id,
        plan_id: row.plan_id,
        account_id: row.account_id,
        title: row.title,
        description: row.description,
        owner_staff_id: row.owner_staff_id,
        department_id: row.department_id,
        due_date: row.due_date,
        status: ActionStatus::from_name(&row.status)
            .ok_or_else(|| Error::unknown_stored_value("plan_actions.status", &row.status))?,
        complete_time: row.complete_time,
        create_time: row.create_time,
        update_time: row.update_time,
        revision: row.revision,
    })
}

/// Open plan actions as a handover area: a person who leaves hands their open actions over.
pub struct PlanActionOwnership;

/// The open actions `staff` owns.
fn open_owned_by(staff: Uuid) -> Condition {
    Condition::all()
        .add(row_entity::Column::OwnerStaffId.eq(staff))
        .add(row_entity::Column::Status.is_in(open_statuses()))
}

/// The open actions a handover moves.
fn handed_over(scope: &HandoverScope) -> Condition {
    open_owned_by(scope.from).add(row_entity::Column::AccountId.is_in(scope.accounts.iter().copied()))
}

/// Gives the open actions a handover moves their new owner, records a PlanActionUpdated for each, and
/// returns them as moved, in id order: one statement moves them all and answers them as written, and
/// the events are written in bulk, however many a leaver held.
async fn reassign(
    txn: &DatabaseTransaction,
    ctx: &RequestContext,
    scope: &HandoverScope,
) -> Result<Vec<row_entity::Model>> {
    let mut moved = row_entity::Entity::update_many()
        .col_expr(row_entity::Column::OwnerStaffId, Expr::value(scope.to))
        .col_expr(row_entity::Column::UpdateTime, Expr::value(now()))
        .col_expr(
            row_entity::Column::Revision,
            Expr::col(row_entity::Column::Revision).add(1),
        )
        .filter(handed_over(scope))
        .exec_with_returning(txn)
        .await?;
    moved.sort_by_key(|action| action.id);
    let changes = moved
        .iter()
        .map(|row| {
            let action = action_of(row.clone())?;
            Ok(action_change(
                &action,
                Payload::PlanActionUpdated,
                vec!["owner_staff_id".to_owned()],
            ))
        })
        .collect::<Result<_>>()?;
    audit::record_many(txn, ctx, changes).await?;
    Ok(moved)
}

#[async_trait::async_trait]
impl ResponsibilityArea for PlanActionOwnership {
    fn name(&self) -> &'static str {
        "plan_actions"
    }

    async fn accounts_of(&self, txn: &DatabaseTransaction, staff: Uuid) -> Result<BTreeSet<Uuid>> {
        let accounts: Vec<Uuid> = row_entity::Entity::find()
            .select_only()
            .column(row_entity::Column::AccountId)
            .filter(open_owned_by(staff))
            .distinct()
            .into_tuple()
            .all(txn)
            .await?;
        Ok(accounts.into_iter().collect())
    }

    async fn open_items(&self, txn: &DatabaseTransaction, staff: &[Uuid]) -> Result<HashMap<Uuid, i64>> {
        let counts: Vec<(Uuid, i64)> = row_entity::Entity::find()
            .select_only()
            .column(row_entity::Column::OwnerStaffId)
            .column_as(row_entity::Column::Id.count(), "open")
            .filter(row_entity::Column::OwnerStaffId.is_in(staff.iter().copied()))
            .filter(row_entity::Column::Status.is_in(open_statuses()))
            .group_by(row_entity::Column::OwnerStaffId)
            .into_tuple()
            .all(txn)
            .await?;
        Ok(counts.into_iter().collect())
    }

    /// Every open action `from` owns on the handed-over accounts gets `to` as owner, in one statement;
    /// the department stays (the work is still that department's). Each action moved is announced as
    /// PlanActionUpdated.
    async fn hand_over(
        &self,
        txn: &DatabaseTransaction,
        ctx: &RequestContext,
        scope: &HandoverScope,
    ) -> Result<AreaHandover> {
        let actions = if scope.dry_run {
            row_entity::Entity::find()
                .filter(handed_over(scope))
                .order_by_asc(row_entity::Column::Id)
                .all(txn)
                .await?
        } else {
            reassign(txn, ctx, scope).await?
        };
        let moves = actions
            .into_iter()
            .map(|action| Moved {
                area: self.name(),
                account_id: action.account_id,
                item_id: action.id,
                description: format!(
                    "{} (due {}, {}): owner",
                    action.title, action.due_date, action.status
                ),
                new_item_id: None,
            })
            .collect();
        Ok(AreaHandover {
            moves,
            breaks: Vec::new(),
        })
    }
}

/// The ids of plan actions a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
pub async fn action_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<row_entity::Entity>(
        db.conn(),
        row_entity::Column::Id,
        row_entity::Column::AccountId,
        Condition::all(),
    )
    .await
}

/// Of `ids`, the plan actions of the accounts the caller may see, in one query.
pub async fn actions_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<PlanAction>> {
    use row_entity::Column as C;
    let mut select = row_entity::Entity::find().filter(C::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    select.all(db.conn()).await?.into_iter().map(action_of).collect()
}
