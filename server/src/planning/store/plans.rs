//! Account plans: create, read, list, update, the status moves (one ACTIVE plan per account), and the
//! scorecard.

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{ACCOUNT_PLAN, plan_change, revenue::account_revenue};
use crate::platform::wire::Update;
use crate::{
    accounts::store::require_live_account,
    identity::{
        Visibility,
        access::{hide_missing, require_visible_account, visible_accounts},
    },
    opportunities::store as opportunities,
    planning::store::entity::{account_plan as row_entity, plan_action},
    planning::{
        model::{AccountPlan, Competitor, PlanFields, PlanFilter, PlanPatch, Scorecard},
        rules::plans::{self, ActionCounts, ActionStatus, PlanStatus},
        rules::tiering::Period,
    },
    platform::{
        audit,
        db::{Db, now},
        error::{Error, Result},
        etag,
        events::Payload,
        id_scan::IdScan,
        idempotency::IdempotencyKey,
        money::Money,
        paging::{Cursor, Direction, Keyset, Page},
        request::RequestContext,
    },
};

fn subject(id: Uuid) -> String {
    format!("account_plans/{id}")
}

pub async fn create_plan(
    db: &Db,
    ctx: &RequestContext,
    account_id: Uuid,
    fields: PlanFields,
    key: Option<IdempotencyKey>,
) -> Result<AccountPlan> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        require_visible_account(txn, ctx.visibility(), account_id).await?;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return read_plan(txn, plan_row(txn, id).await?).await;
        }
        require_live_account(txn, account_id).await?;
        let mut fields = fields.clone();
        name_assessed_competitors(txn, &mut fields.competitors).await?;
        let at = now();
        let mut plan = AccountPlan {
            id: Uuid::now_v7(),
            account_id,
            fields,
            status: PlanStatus::Draft,
            create_time: at,
            update_time: at,
            activate_time: None,
            close_time: None,
            revision: 1,
        };
        row_entity::Entity::insert(active_model(&plan))
            .exec_without_returning(txn)
            .await?;
        if let Some(key) = key {
            key.remember(txn, plan.id).await?;
        }
        match_assessed_competitors(txn, std::slice::from_mut(&mut plan)).await?;
        let changed = ["account_id", "name", "period_start", "period_end", "vision"];
        audit::record(
            txn,
            ctx,
            plan_change(
                &plan,
                Payload::AccountPlanCreated,
                changed.map(str::to_owned).to_vec(),
            ),
        )
        .await?;
        Ok(plan)
    })
    .await
}

pub async fn get_plan(db: &Db, visibility: Visibility, id: Uuid) -> Result<AccountPlan> {
    let conn = db.conn();
    read_plan(conn, visible_plan_row(conn, visibility, id).await?).await
}

/// The plan row `id`, PERMISSION_DENIED to a caller who may not see its account (existing or not).
pub(super) async fn visible_plan_row(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
    id: Uuid,
) -> Result<row_entity::Model> {
    let row = hide_missing(visibility, plan_row(conn, id).await)?;
    require_visible_account(conn, visibility, row.account_id).await?;
    Ok(row)
}

async fn plan_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<row_entity::Model> {
    row_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(ACCOUNT_PLAN, id))
}

pub async fn list_plans(
    db: &Db,
    visibility: Visibility,
    filter: &PlanFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<AccountPlan>> {
    use row_entity::Column as C;
    let mut select = row_entity::Entity::find();
    if let Some(account) = filter.account_id {
        select = select.filter(C::AccountId.eq(account));
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
        sort: None,
        id: C::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    Ok(Page {
        items: read_plans(db.conn(), rows).await?,
        next,
    })
}

pub async fn update_plan(db: &Db, ctx: &RequestContext, update: Update<PlanPatch>) -> Result<AccountPlan> {
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
        let mut plan = plan_of(visible_plan_row(txn, ctx.visibility(), id).await?)?;
        etag::check(ACCOUNT_PLAN, id, plan.revision, sent_etag)?;
        refuse_closed(&plan)?;
        require_live_account(txn, plan.account_id).await?;
        patch.apply_to(&mut plan.fields);
        name_assessed_competitors(txn, &mut plan.fields.competitors).await?;
        if plan.fields.period_start > plan.fields.period_end {
            return Err(Error::invalid(
                "plan.period_end",
                "must not be before period_start",
            ));
        }
        plan.update_time = now();
        plan.revision += 1;
        row_entity::Entity::update(active_model(&plan)).exec(txn).await?;
        match_assessed_competitors(txn, std::slice::from_mut(&mut plan)).await?;
        audit::record(
            txn,
            ctx,
            plan_change(&plan, Payload::AccountPlanUpdated, changed_fields.clone()),
        )
        .await?;
        Ok(plan)
    })
    .await
}

/// DRAFT → ACTIVE (the account's only ACTIVE plan) or ACTIVE → CLOSED.
pub async fn change_plan_status(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    to: PlanStatus,
    sent_etag: Option<&str>,
) -> Result<AccountPlan> {
    db.write(|txn| async move {
        let txn = &*txn;
        let mut plan = plan_of(visible_plan_row(txn, ctx.visibility(), id).await?)?;
        etag::check(ACCOUNT_PLAN, id, plan.revision, sent_etag)?;
        if !plans::plan_transition_allowed(plan.status, to) {
            return Err(Error::rule(
                plans::PLAN_STATUS,
                subject(id),
                format!(
                    "a {} plan cannot become {}: plans move DRAFT → ACTIVE → CLOSED",
                    plan.status.as_str(),
                    to.as_str()
                ),
            ));
        }
        let at = now();
        if to == PlanStatus::Active {
            require_live_account(txn, plan.account_id).await?;
            let active = row_entity::Entity::find()
                .select_only()
                .column(row_entity::Column::Id)
                .filter(row_entity::Column::AccountId.eq(plan.account_id))
                .filter(row_entity::Column::Status.eq(PlanStatus::Active.as_str()))
                .into_tuple::<Uuid>()
                .one(txn)
                .await?;
            if let Some(other) = active {
                return Err(Error::rule(
                    plans::ONE_ACTIVE_PLAN,
                    subject(id),
                    format!("the account's plan {other} is ACTIVE; close it first"),
                ));
            }
            plan.activate_time = Some(at);
        } else {
            plan.close_time = Some(at);
        }
        plan.status = to;
        plan.update_time = at;
        plan.revision += 1;
        row_entity::Entity::update(active_model(&plan))
            .exec(txn)
            .await
            // A concurrent activation that slipped past the check: the retried transaction sees it.
            .map_err(Error::contention_on_unique)?;
        match_assessed_competitors(txn, std::slice::from_mut(&mut plan)).await?;
        let event = match to {
            PlanStatus::Active => Payload::AccountPlanActivated,
            _ => Payload::AccountPlanClosed,
        };
        audit::record(txn, ctx, plan_change(&plan, event, vec!["status".to_owned()])).await?;
        Ok(plan)
    })
    .await
}

pub(super) fn refuse_closed(plan: &AccountPlan) -> Result<()> {
    if plan.status == PlanStatus::Closed {
        return Err(Error::rule(
            plans::PLAN_STATUS,
            subject(plan.id),
            "the plan is CLOSED and is not changed any more",
        ));
    }
    Ok(())
}

/// The plan's actions, objectives and revenue over its period, read on one snapshot.
pub async fn scorecard(
    db: &Db,
    visibility: Visibility,
    id: Uuid,
    currency: &str,
    today: NaiveDate,
) -> Result<Scorecard> {
    let snapshot = db.snapshot().await?;
    let plan = read_plan(&snapshot, visible_plan_row(&snapshot, visibility, id).await?).await?;
    let actions: Vec<(String, NaiveDate)> = plan_action::Entity::find()
        .select_only()
        .column(plan_action::Column::Status)
        .column(plan_action::Column::DueDate)
        .filter(plan_action::Column::PlanId.eq(id))
        .into_tuple()
        .all(&snapshot)
        .await?;
    let actions = actions
        .into_iter()
        .map(|(status, due)| {
            ActionStatus::from_name(&status)
                .map(|s| (s, due))
                .ok_or_else(|| Error::unknown_stored_value("plan_actions.status", &status))
        })
        .collect::<Result<Vec<_>>>()?;
    let months = (
        period_of(plan.fields.period_start),
        period_of(plan.fields.period_end),
    );
    let revenue = account_revenue(&snapshot, plan.account_id, months, currency).await?;
    snapshot.commit().await?;
    Ok(Scorecard {
        actions: ActionCounts::of(&actions, today),
        today,
        revenue_actual: Money::saturating(currency, revenue),
        plan,
    })
}

fn period_of(date: NaiveDate) -> Period {
    date.year() * 100 + date.month() as i32
}

fn active_model(plan: &AccountPlan) -> row_entity::ActiveModel {
    let f = &plan.fields;
    row_entity::ActiveModel {
        id: Set(plan.id),
        account_id: Set(plan.account_id),
        name: Set(f.name.clone()),
        period_start: Set(f.period_start),
        period_end: Set(f.period_end),
        status: Set(plan.status.as_str().to_owned()),
        vision: Set(f.vision.clone()),
        revenue_target_currency: Set(f.revenue_target.as_ref().map(|m| m.currency.clone())),
        revenue_target_units: Set(f.revenue_target.as_ref().map(|m| m.units)),
        revenue_target_nanos: Set(f.revenue_target.as_ref().map(|m| m.nanos)),
        share_of_wallet_target_percent: Set(f.share_of_wallet_target_percent),
        objectives: Set(serde_json::to_value(&f.objectives).expect("objectives serialize")),
        swot: Set(serde_json::to_value(&f.swot).expect("SWOT items serialize")),
        competitors: Set(serde_json::to_value(&f.competitors).expect("competitors serialize")),
        whitespace: Set(serde_json::to_value(&f.whitespace).expect("whitespace serializes")),
        create_time: Set(plan.create_time),
        update_time: Set(plan.update_time),
        activate_time: Set(plan.activate_time),
        close_time: Set(plan.close_time),
        revision: Set(plan.revision),
    }
}

fn stored_json<T: serde::de::DeserializeOwned>(column: &str, value: serde_json::Value) -> Result<T> {
    serde_json::from_value(value.clone()).map_err(|_| Error::unknown_stored_value(column, &value.to_string()))
}

pub(super) fn plan_of(row: row_entity::Model) -> Result<AccountPlan> {
    let revenue_target = match (
        row.revenue_target_currency,
        row.revenue_target_units,
        row.revenue_target_nanos,
    ) {
        (Some(currency), Some(units), Some(nanos)) => Some(Money {
            currency,
            units,
            nanos,
        }),
        _ => None,
    };
    Ok(AccountPlan {
        id: row.id,
        account_id: row.account_id,
        status: PlanStatus::from_name(&row.status)
            .ok_or_else(|| Error::unknown_stored_value("account_plans.status", &row.status))?,
        fields: PlanFields {
            name: row.name,
            period_start: row.period_start,
            period_end: row.period_end,
            vision: row.vision,
            revenue_target,
            share_of_wallet_target_percent: row.share_of_wallet_target_percent,
            objectives: stored_json("account_plans.objectives", row.objectives)?,
            swot: stored_json("account_plans.swot", row.swot)?,
            competitors: stored_json("account_plans.competitors", row.competitors)?,
            whitespace: stored_json("account_plans.whitespace", row.whitespace)?,
        },
        create_time: row.create_time,
        update_time: row.update_time,
        activate_time: row.activate_time,
        close_time: row.close_time,
        revision: row.revision,
    })
}

/// The ids of account plans a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
pub async fn plan_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<row_entity::Entity>(
        db.conn(),
        row_entity::Column::Id,
        row_entity::Column::AccountId,
        Condition::all(),
    )
    .await
}

/// Of `ids`, the account plans the caller may see, in one query.
pub async fn plans_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<AccountPlan>> {
    use row_entity::Column as C;
    let mut select = row_entity::Entity::find().filter(C::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    let rows = select.all(db.conn()).await?;
    read_plans(db.conn(), rows).await
}

/// The plan in `row` as it is read: its assessments matched to competitors.
async fn read_plan(conn: &impl ConnectionTrait, row: row_entity::Model) -> Result<AccountPlan> {
    let mut plan = [plan_of(row)?];
    match_assessed_competitors(conn, &mut plan).await?;
    let [plan] = plan;
    Ok(plan)
}

/// [`read_plan`] for many rows, matching all their assessments in one query.
async fn read_plans(conn: &impl ConnectionTrait, rows: Vec<row_entity::Model>) -> Result<Vec<AccountPlan>> {
    let mut plans = rows.into_iter().map(plan_of).collect::<Result<Vec<_>>>()?;
    match_assessed_competitors(conn, &mut plans).await?;
    Ok(plans)
}

/// Records, for each assessment a caller tied to a competitor by id, a name of that competitor: the
/// plan keeps names, as deals do, so the id is found again by name on every read.
async fn name_assessed_competitors(conn: &impl ConnectionTrait, assessed: &mut [Competitor]) -> Result<()> {
    for assessment in assessed {
        if let Some(id) = assessment.competitor_id {
            assessment.name = opportunities::competitor_name_for(conn, id, &assessment.name).await?;
        }
    }
    Ok(())
}

/// Sets each assessment's `competitor_id` to the competitor its name is (by name or alias, ignoring
/// case) now, or none: renaming, aliasing or deleting a competitor moves plans as it moves deals.
async fn match_assessed_competitors(conn: &impl ConnectionTrait, plans: &mut [AccountPlan]) -> Result<()> {
    let names: Vec<String> = plans
        .iter()
        .flat_map(|plan| plan.fields.competitors.iter().map(|c| c.name.clone()))
        .collect();
    let ids = opportunities::ids_by_names(conn, &names).await?;
    for assessment in plans
        .iter_mut()
        .flat_map(|plan| plan.fields.competitors.iter_mut())
    {
        assessment.competitor_id = ids.get(&assessment.name).copied();
    }
    Ok(())
}
