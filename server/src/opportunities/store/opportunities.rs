//! Opportunities: creation, changes, stage moves, closing and reopening. Each write checks the rules
//! on facts loaded inside its transaction, appends to the stage history when the stage changes, and
//! records its audit row and event.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    OPPORTUNITY,
    competitors::{self, lost_to_key, resolve, resolved, write_faced},
    opportunity_change,
    pipelines::load_pipeline,
    pipelines::load_pipeline_or_default,
    read_model, refuse,
};
use crate::platform::wire::Update;
use crate::{
    accounts::store::require_live_account,
    identity::{
        Visibility,
        access::{hide_missing, require_may_rekey, require_visible_account, visible_accounts},
    },
    opportunities::store::entity::{opportunity as row_entity, opportunity_stage_change as change_entity},
    opportunities::{
        model::{
            Closing, DealFields, DealPatch, ForecastCategory, NewOpportunity, Opportunity, OpportunityFilter,
            OpportunityOrder, Outcome, Pipeline, Qualification,
        },
        rules,
    },
    platform::{
        audit,
        db::{Db, contains_ignoring_case, now},
        error::{Error, Result, RuleViolation},
        etag,
        events::Payload,
        id_scan::IdScan,
        idempotency::IdempotencyKey,
        money::Money,
        paging::{Cursor, Direction, Keyset, Page, SortKey, time_key},
        request::RequestContext,
    },
    teams,
};

pub const STAGE_OWNER_NOT_SPECIALIST: &str = "STAGE_OWNER_NOT_SPECIALIST";
pub const STAFF_INACTIVE: &str = "STAFF_INACTIVE";

pub async fn create_opportunity(
    db: &Db,
    ctx: &RequestContext,
    new: NewOpportunity,
    key: Option<IdempotencyKey>,
) -> Result<Opportunity> {
    let (new, key) = (&new, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        require_visible_account(txn, ctx.visibility(), new.account_id).await?;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load_opportunity(txn, id).await;
        }
        require_live_account(txn, new.account_id).await?;
        let pipeline = load_pipeline_or_default(txn, new.pipeline_id).await?;
        let stage = new
            .stage
            .clone()
            .unwrap_or_else(|| pipeline.first_open_stage().key.clone());
        let mut breaks = rules::check_create(&pipeline, &stage, new.deal.qualification);
        breaks.extend(check_people(txn, &new.deal, &stage).await?);
        if !breaks.is_empty() {
            return Err(refuse(breaks));
        }
        let id = Uuid::now_v7();
        let time = now();
        let mut row = deal_columns(&new.deal);
        row.id = Set(id);
        row.account_id = Set(new.account_id);
        row.pipeline_id = Set(pipeline.id);
        row.stage = Set(stage.clone());
        row.outcome = Set(None);
        row.close_reason = Set(String::new());
        row.close_note = Set(String::new());
        row.lost_to_competitor = Set(String::new());
        row.close_time = Set(None);
        row.stage_enter_time = Set(time);
        row.create_time = Set(time);
        row.update_time = Set(time);
        row.revision = Set(1);
        let inserted = row_entity::Entity::insert(row)
            .exec_with_returning(txn)
            .await
            .map_err(|e| {
                Error::unique_violation(e, OPPORTUNITY, "external_id", new.deal.external_id.as_deref())
            })?;
        record_stage_change(txn, ctx, &pipeline, id, None, &stage, time, "").await?;
        write_faced(txn, id, &new.deal.competitors, false).await?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = resolved(txn, opportunity_from_row(inserted, &pipeline)?).await?;
        audit::record(
            txn,
            ctx,
            opportunity_change(&created, Payload::OpportunityCreated, deal_field_names()),
        )
        .await?;
        Ok(created)
    })
    .await
}

pub async fn get_opportunity(db: &Db, visibility: Visibility, id: Uuid) -> Result<Opportunity> {
    load_visible(db.conn(), visibility, id).await
}

pub async fn list_opportunities(
    db: &Db,
    visibility: Visibility,
    filter: &OpportunityFilter,
    order: OpportunityOrder,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Opportunity>> {
    let mut select = row_entity::Entity::find();
    if let Some(visible) = visible_accounts(visibility, row_entity::Column::AccountId) {
        select = select.filter(visible);
    }
    if let Some(account) = filter.account_id {
        select = select.filter(row_entity::Column::AccountId.eq(account));
    }
    if let Some(pipeline) = filter.pipeline_id {
        select = select.filter(row_entity::Column::PipelineId.eq(pipeline));
    }
    if let Some(owner) = filter.owner_staff_id {
        select = select.filter(row_entity::Column::OwnerStaffId.eq(owner));
    }
    if let Some(stage) = &filter.stage {
        select = select.filter(row_entity::Column::Stage.eq(stage.as_str()));
    }
    if filter.open_only {
        select = select.filter(row_entity::Column::Outcome.is_null());
    }
    if let Some(query) = &filter.query {
        select = select.filter(contains_ignoring_case(row_entity::Column::DisplayName, query));
    }
    if let Some(competitor) = filter.competitor_id {
        select = select.filter(row_entity::Column::Id.in_subquery(competitors::facing(competitor)));
    }
    if let Some(in_segments) =
        crate::accounts::store::checked_in_segments(db.conn(), &filter.segments).await?
    {
        select = select.filter(row_entity::Column::AccountId.in_subquery(in_segments));
    }
    let (sort, direction) = match order {
        OpportunityOrder::Id => (None, Direction::Ascending),
        OpportunityOrder::CreateTime(d) => (Some(SortKey::Time(row_entity::Column::CreateTime)), d),
    };
    let keyset = Keyset {
        sort,
        id: row_entity::Column::Id,
        direction,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            let key = match order {
                OpportunityOrder::Id => None,
                OpportunityOrder::CreateTime(_) => Some(time_key(row.create_time)),
            };
            (row.id, key)
        })
        .await?;
    Ok(Page {
        items: with_pipelines(db.conn(), rows).await?,
        next,
    })
}

/// Rows as opportunities, loading each pipeline they use once.
pub(super) async fn with_pipelines(
    conn: &impl ConnectionTrait,
    rows: Vec<row_entity::Model>,
) -> Result<Vec<Opportunity>> {
    let mut pipelines: HashMap<Uuid, Pipeline> = HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let pipeline = match pipelines.entry(row.pipeline_id) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(load_pipeline(conn, row.pipeline_id).await?)
            }
        };
        items.push(opportunity_from_row(row, pipeline)?);
    }
    resolve(conn, &mut items).await?;
    Ok(items)
}

pub async fn update_opportunity(
    db: &Db,
    ctx: &RequestContext,
    update: Update<DealPatch>,
) -> Result<Opportunity> {
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
        let current = load_visible(txn, ctx.visibility(), id).await?;
        etag::check(OPPORTUNITY, id, current.revision, sent_etag)?;
        require_live_account(txn, current.account_id).await?;
        let pipeline = load_pipeline(txn, current.pipeline_id).await?;
        let mut deal = current.deal.clone();
        patch.apply_to(&mut deal);
        require_may_rekey(&ctx.principal, &current.deal.external_id, &deal.external_id)?;
        let mut breaks = rules::check_update(&pipeline, &current, deal.qualification);
        if breaks.is_empty() {
            breaks.extend(check_changed_people(txn, &current.deal, &deal, &current.stage).await?);
        }
        if !breaks.is_empty() {
            return Err(refuse(breaks));
        }
        let mut row = deal_columns(&deal);
        row.id = Set(id);
        row.update_time = Set(now());
        row.revision = Set(current.revision + 1);
        let saved = row_entity::Entity::update(row).exec(txn).await.map_err(|e| {
            Error::unique_violation(e, OPPORTUNITY, "external_id", deal.external_id.as_deref())
        })?;
        if patch.competitors.is_some() {
            write_faced(txn, id, &deal.competitors, true).await?;
        }
        let updated = resolved(txn, opportunity_from_row(saved, &pipeline)?).await?;
        audit::record(
            txn,
            ctx,
            opportunity_change(&updated, Payload::OpportunityUpdated, changed_fields.clone()),
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// Moves an open opportunity to another open stage. The overrides of probability and category end
/// with the stage; the stage owner stays only if they also specialise in the new stage.
pub async fn move_stage(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    to: String,
    stage_owner: Option<Uuid>,
    sent_etag: Option<&str>,
) -> Result<Opportunity> {
    let (to, stage_owner) = (&to, &stage_owner);
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_visible(txn, ctx.visibility(), id).await?;
        etag::check(OPPORTUNITY, id, current.revision, sent_etag)?;
        require_live_account(txn, current.account_id).await?;
        let pipeline = load_pipeline(txn, current.pipeline_id).await?;
        let mut breaks = rules::check_move(&pipeline, &current, to);
        let next_owner = match stage_owner {
            Some(named) => {
                breaks.extend(check_stage_owner(txn, *named, to).await?);
                Some(*named)
            }
            None => match current.deal.stage_owner_staff_id {
                Some(kept) if teams::store::stage_specialties(txn, kept).await?.contains(to) => Some(kept),
                _ => None,
            },
        };
        if !breaks.is_empty() {
            return Err(refuse(breaks));
        }
        let time = now();
        let moved = save_stage(txn, &current, &pipeline, to, time, |row| {
            row.stage_owner_staff_id = Set(next_owner);
        })
        .await?;
        record_stage_change(txn, ctx, &pipeline, id, Some(&current), to, time, "").await?;
        let mut fields = vec!["stage".to_owned(), "stage_enter_time".to_owned()];
        if next_owner != current.deal.stage_owner_staff_id {
            fields.push("stage_owner_staff_id".to_owned());
        }
        audit::record(
            txn,
            ctx,
            opportunity_change(&moved, Payload::OpportunityStageChanged, fields),
        )
        .await?;
        Ok(moved)
    })
    .await
}

pub struct CloseRequest {
    pub outcome: Outcome,
    pub reason: String,
    pub note: String,
    pub lost_to_competitor: String,
}

pub async fn close_opportunity(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    close: CloseRequest,
    sent_etag: Option<&str>,
) -> Result<Opportunity> {
    let close = &close;
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_visible(txn, ctx.visibility(), id).await?;
        etag::check(OPPORTUNITY, id, current.revision, sent_etag)?;
        require_live_account(txn, current.account_id).await?;
        let pipeline = load_pipeline(txn, current.pipeline_id).await?;
        let breaks = rules::check_close(&pipeline, &current, close.outcome);
        if !breaks.is_empty() {
            return Err(refuse(breaks));
        }
        let to = match close.outcome {
            Outcome::Won => pipeline.won_stage().key.clone(),
            Outcome::Lost => pipeline.lost_stage().key.clone(),
        };
        let time = now();
        let closed = save_stage(txn, &current, &pipeline, &to, time, |row| {
            row.stage_owner_staff_id = Set(None);
            row.outcome = Set(Some(close.outcome.as_str().to_owned()));
            row.close_reason = Set(close.reason.clone());
            row.close_note = Set(close.note.clone());
            row.lost_to_competitor = Set(close.lost_to_competitor.clone());
            row.lost_to_competitor_key = Set(lost_to_key(&close.lost_to_competitor));
            row.close_time = Set(Some(time));
        })
        .await?;
        record_stage_change(txn, ctx, &pipeline, id, Some(&current), &to, time, &close.reason).await?;
        let fields = [
            "stage",
            "outcome",
            "close_reason",
            "close_note",
            "lost_to_competitor",
            "close_time",
        ];
        audit::record(
            txn,
            ctx,
            opportunity_change(
                &closed,
                Payload::OpportunityClosed,
                fields.iter().map(|f| (*f).to_owned()).collect(),
            ),
        )
        .await?;
        Ok(closed)
    })
    .await
}

/// Puts a closed opportunity back into `to`, by default the stage it was closed from.
pub async fn reopen_opportunity(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    to: Option<String>,
    reason: String,
    sent_etag: Option<&str>,
) -> Result<Opportunity> {
    let (to, reason) = (&to, &reason);
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_visible(txn, ctx.visibility(), id).await?;
        etag::check(OPPORTUNITY, id, current.revision, sent_etag)?;
        require_live_account(txn, current.account_id).await?;
        let pipeline = load_pipeline(txn, current.pipeline_id).await?;
        let to = match to {
            Some(stage) => stage.clone(),
            None => stage_closed_from(txn, &current).await?,
        };
        let breaks = rules::check_reopen(&pipeline, &current, &to);
        if !breaks.is_empty() {
            return Err(refuse(breaks));
        }
        let time = now();
        let reopened = save_stage(txn, &current, &pipeline, &to, time, |row| {
            row.outcome = Set(None);
            row.close_reason = Set(String::new());
            row.close_note = Set(String::new());
            row.lost_to_competitor = Set(String::new());
            row.lost_to_competitor_key = Set(None);
            row.close_time = Set(None);
        })
        .await?;
        record_stage_change(txn, ctx, &pipeline, id, Some(&current), &to, time, reason).await?;
        audit::record(
            txn,
            ctx,
            opportunity_change(
                &reopened,
                Payload::OpportunityReopened,
                vec!["stage".into(), "outcome".into(), "close_time".into()],
            ),
        )
        .await?;
        Ok(reopened)
    })
    .await
}

/// The stage the close of `current` left: the `from` of the latest change into its closed stage.
async fn stage_closed_from(conn: &impl ConnectionTrait, current: &Opportunity) -> Result<String> {
    let last = change_entity::Entity::find()
        .filter(change_entity::Column::OpportunityId.eq(current.id))
        .order_by_desc(change_entity::Column::ChangeTime)
        .order_by_desc(change_entity::Column::Id)
        .one(conn)
        .await?;
    Ok(last
        .and_then(|change| change.from_stage)
        .unwrap_or_else(|| current.stage.clone()))
}

/// Writes a stage change: the new stage and its enter time, overrides cleared, plus `more`.
async fn save_stage(
    txn: &impl ConnectionTrait,
    current: &Opportunity,
    pipeline: &Pipeline,
    to: &str,
    time: DateTime<Utc>,
    more: impl FnOnce(&mut row_entity::ActiveModel),
) -> Result<Opportunity> {
    let mut row = row_entity::ActiveModel {
        id: Set(current.id),
        stage: Set(to.to_owned()),
        stage_enter_time: Set(time),
        probability_override: Set(None),
        forecast_category_override: Set(None),
        update_time: Set(time),
        revision: Set(current.revision + 1),
        ..Default::default()
    };
    more(&mut row);
    let saved = row_entity::Entity::update(row).exec(txn).await?;
    resolved(txn, opportunity_from_row(saved, pipeline)?).await
}

/// Appends a change from `previous` (none at creation) to `to` to the history, and keeps the read
/// model: the stay `previous` ends, and the furthest stage reached.
#[allow(clippy::too_many_arguments)]
async fn record_stage_change(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    pipeline: &Pipeline,
    opportunity_id: Uuid,
    previous: Option<&Opportunity>,
    to: &str,
    time: DateTime<Utc>,
    reason: &str,
) -> Result<()> {
    let change_id = Uuid::now_v7();
    change_entity::Entity::insert(change_entity::ActiveModel {
        id: Set(change_id),
        opportunity_id: Set(opportunity_id),
        from_stage: Set(previous.map(|p| p.stage.clone())),
        to_stage: Set(to.to_owned()),
        change_time: Set(time),
        changed_by: Set(ctx.principal.staff_id),
        reason: Set(reason.to_owned()),
    })
    .exec_without_returning(txn)
    .await?;
    if let Some(previous) = previous {
        read_model::record_stay(txn, previous, change_id, time).await?;
    }
    read_model::reach(txn, pipeline, opportunity_id, to).await
}

/// The owner is active staff; the stage owner, when set, an active specialist of `stage`.
async fn check_people(
    conn: &impl ConnectionTrait,
    deal: &DealFields,
    stage: &str,
) -> Result<Vec<RuleViolation>> {
    let mut breaks = Vec::new();
    breaks.extend(check_active(conn, deal.owner_staff_id).await?);
    if let Some(stage_owner) = deal.stage_owner_staff_id {
        breaks.extend(check_stage_owner(conn, stage_owner, stage).await?);
    }
    Ok(breaks)
}

/// Like [`check_people`], for the people an update names anew: someone who left while holding the deal
/// blocks no unrelated change (the handover moves their deals).
async fn check_changed_people(
    conn: &impl ConnectionTrait,
    before: &DealFields,
    after: &DealFields,
    stage: &str,
) -> Result<Vec<RuleViolation>> {
    let mut breaks = Vec::new();
    if after.owner_staff_id != before.owner_staff_id {
        breaks.extend(check_active(conn, after.owner_staff_id).await?);
    }
    if let Some(stage_owner) = after.stage_owner_staff_id
        && after.stage_owner_staff_id != before.stage_owner_staff_id
    {
        breaks.extend(check_stage_owner(conn, stage_owner, stage).await?);
    }
    Ok(breaks)
}

async fn check_active(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<Option<RuleViolation>> {
    let active = teams::store::is_active_staff(conn, staff_id).await?;
    Ok((!active).then(|| RuleViolation {
        rule: STAFF_INACTIVE,
        subject: format!("staff/{staff_id}"),
        description: "inactive staff cannot own opportunities".to_owned(),
    }))
}

async fn check_stage_owner(
    conn: &impl ConnectionTrait,
    staff_id: Uuid,
    stage: &str,
) -> Result<Vec<RuleViolation>> {
    let mut breaks: Vec<RuleViolation> = check_active(conn, staff_id).await?.into_iter().collect();
    if !teams::store::stage_specialties(conn, staff_id)
        .await?
        .contains(stage)
    {
        breaks.push(RuleViolation {
            rule: STAGE_OWNER_NOT_SPECIALIST,
            subject: format!("staff/{staff_id}"),
            description: format!("the stage owner does not specialise in {stage}"),
        });
    }
    Ok(breaks)
}

/// An opportunity the caller may see: to a MEMBER, one of another team's account and a missing one
/// both answer PERMISSION_DENIED.
async fn load_visible(conn: &impl ConnectionTrait, visibility: Visibility, id: Uuid) -> Result<Opportunity> {
    let row = hide_missing(visibility, opportunity_row(conn, id).await)?;
    require_visible_account(conn, visibility, row.account_id).await?;
    let pipeline = load_pipeline(conn, row.pipeline_id).await?;
    resolved(conn, opportunity_from_row(row, &pipeline)?).await
}

pub(super) async fn opportunity_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<row_entity::Model> {
    row_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(OPPORTUNITY, id))
}

async fn load_opportunity(conn: &impl ConnectionTrait, id: Uuid) -> Result<Opportunity> {
    let row = opportunity_row(conn, id).await?;
    let pipeline = load_pipeline(conn, row.pipeline_id).await?;
    resolved(conn, opportunity_from_row(row, &pipeline)?).await
}

/// The columns a client sets, as an active model with only those set.
fn deal_columns(deal: &DealFields) -> row_entity::ActiveModel {
    let amount = deal.amount.as_ref();
    row_entity::ActiveModel {
        external_id: Set(deal.external_id.clone()),
        display_name: Set(deal.display_name.clone()),
        amount_currency: Set(amount.map(|m| m.currency.clone())),
        amount_units: Set(amount.map(|m| m.units)),
        amount_nanos: Set(amount.map(|m| m.nanos)),
        expected_close_date: Set(deal.expected_close_date),
        probability_override: Set(deal.probability_override),
        forecast_category_override: Set(deal.forecast_category_override.map(|c| c.as_str().to_owned())),
        owner_staff_id: Set(deal.owner_staff_id),
        stage_owner_staff_id: Set(deal.stage_owner_staff_id),
        competitors: Set(json!(deal.competitors)),
        source: Set(deal.source.clone()),
        next_step: Set(deal.next_step.clone()),
        budget_confirmed: Set(deal.qualification.budget),
        authority_confirmed: Set(deal.qualification.authority),
        need_confirmed: Set(deal.qualification.need),
        ..Default::default()
    }
}

pub(super) fn deal_field_names() -> Vec<String> {
    [
        "external_id",
        "account_id",
        "pipeline_id",
        "stage",
        "display_name",
        "amount",
        "expected_close_date",
        "probability_override",
        "forecast_category_override",
        "owner_staff_id",
        "stage_owner_staff_id",
        "competitors",
        "source",
        "next_step",
        "qualification",
    ]
    .iter()
    .map(|f| (*f).to_owned())
    .collect()
}

pub(super) fn opportunity_from_row(row: row_entity::Model, pipeline: &Pipeline) -> Result<Opportunity> {
    let stored = |column: &str, raw: &str| Error::unknown_stored_value(column, raw);
    let amount = match (row.amount_currency, row.amount_units, row.amount_nanos) {
        (Some(currency), Some(units), Some(nanos)) => Some(Money {
            currency,
            units,
            nanos,
        }),
        _ => None,
    };
    let override_category = row
        .forecast_category_override
        .as_deref()
        .map(|raw| ForecastCategory::from_name(raw).ok_or_else(|| stored("forecast_category_override", raw)))
        .transpose()?;
    let outcome = row
        .outcome
        .as_deref()
        .map(|raw| Outcome::from_name(raw).ok_or_else(|| stored("outcome", raw)))
        .transpose()?;
    let stage = pipeline.stage(&row.stage).map(|(_, stage)| stage);
    let probability = row
        .probability_override
        .or(stage.map(|s| s.probability))
        .unwrap_or_default();
    let forecast_category = match outcome {
        Some(Outcome::Won) => ForecastCategory::Closed,
        Some(Outcome::Lost) => ForecastCategory::Omitted,
        None => override_category
            .or(stage.map(|s| s.forecast_category))
            .unwrap_or(ForecastCategory::Pipeline),
    };
    let competitors: Vec<String> = serde_json::from_value(row.competitors).unwrap_or_default();
    let closing = match (outcome, row.close_time) {
        (Some(outcome), Some(time)) => Some(Closing {
            outcome,
            reason: row.close_reason,
            note: row.close_note,
            lost_to_competitor: row.lost_to_competitor,
            time,
        }),
        _ => None,
    };
    Ok(Opportunity {
        id: row.id,
        account_id: row.account_id,
        pipeline_id: row.pipeline_id,
        stage: row.stage,
        deal: DealFields {
            external_id: row.external_id,
            display_name: row.display_name,
            amount,
            expected_close_date: row.expected_close_date,
            probability_override: row.probability_override,
            forecast_category_override: override_category,
            owner_staff_id: row.owner_staff_id,
            stage_owner_staff_id: row.stage_owner_staff_id,
            competitors,
            source: row.source,
            next_step: row.next_step,
            qualification: Qualification {
                budget: row.budget_confirmed,
                authority: row.authority_confirmed,
                need: row.need_confirmed,
            },
        },
        probability,
        forecast_category,
        closing,
        stage_enter_time: row.stage_enter_time,
        create_time: row.create_time,
        update_time: row.update_time,
        revision: row.revision,
        competitor_ids: Vec::new(),
        lost_to_competitor_id: None,
    })
}

/// The ids of opportunities a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
pub async fn opportunity_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<row_entity::Entity>(
        db.conn(),
        row_entity::Column::Id,
        row_entity::Column::AccountId,
        Condition::all(),
    )
    .await
}

/// Of `ids`, the opportunities of the accounts the caller may see, in one query (and one per pipeline).
pub async fn opportunities_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<Opportunity>> {
    let mut select = row_entity::Entity::find().filter(row_entity::Column::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, row_entity::Column::AccountId) {
        select = select.filter(visible);
    }
    with_pipelines(db.conn(), select.all(db.conn()).await?).await
}
