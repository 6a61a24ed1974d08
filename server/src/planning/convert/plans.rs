//! The wire edge of account plans and plan actions.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use kam_proto::{pbjson_types::FieldMask, v1 as pb};
use uuid::Uuid;

use crate::platform::wire::{PatchFields, Update};
use crate::segments::convert::segment_filter;
use crate::{
    planning::{
        model::{
            AccountPlan, ActionFields, ActionFilter, ActionPatch, Competitor, PlanAction, PlanFields,
            PlanFilter, PlanPatch, Scorecard, SwotItem, WhitespaceCell,
        },
        rules::plans::{self, ActionStatus, Objective, PlanStatus, SwotKind, ThreatLevel, WhitespaceStatus},
    },
    platform::{
        error::{FieldViolation, Result, Violations},
        etag,
        fields::{optional_id, required_id, text},
        money::Money,
        wire::{WireEnum, date, date_to_proto, required_enum, timestamp},
    },
};

crate::wire_enums!(
    PlanStatus => pb::account_plan::Status,
    ActionStatus => pb::plan_action::Status,
    SwotKind => pb::swot_item::Kind,
    ThreatLevel => pb::competitor_assessment::ThreatLevel,
    WhitespaceStatus => pb::whitespace_cell::Status,
);

const MAX_OBJECTIVES: usize = 50;
const MAX_SWOT: usize = 100;
const MAX_COMPETITORS: usize = 20;
const MAX_WHITESPACE: usize = 100;

const PLAN_OUTPUT_ONLY: &[&str] = &[
    "id",
    "status",
    "create_time",
    "update_time",
    "activate_time",
    "close_time",
    "etag",
];
const ACTION_OUTPUT_ONLY: &[&str] = &[
    "id",
    "account_id",
    "complete_time",
    "create_time",
    "update_time",
    "etag",
];

fn required<T>(field: &str, parsed: Result<Option<T>, FieldViolation>) -> Result<T, FieldViolation> {
    parsed?.ok_or_else(|| FieldViolation::new(field, "required"))
}

/// An amount in the reporting currency, or none.
fn target_money(
    field: &str,
    raw: Option<pb::Money>,
    currency: &str,
) -> Result<Option<Money>, FieldViolation> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let money = Money::non_negative(field, raw)?;
    if money.currency != currency {
        return Err(FieldViolation::new(
            format!("{field}.currency_code"),
            format!("must be the reporting currency {currency}"),
        ));
    }
    Ok(Some(money))
}

fn percent_0_100(field: &str, raw: i32) -> Result<i32, FieldViolation> {
    if (0..=100).contains(&raw) {
        Ok(raw)
    } else {
        Err(FieldViolation::new(field, "must be within 0..=100"))
    }
}

fn limited<T>(field: &str, items: Vec<T>, max: usize) -> Result<Vec<T>, FieldViolation> {
    if items.len() > max {
        return Err(FieldViolation::new(field, format!("at most {max} entries")));
    }
    Ok(items)
}

fn objectives(raw: Vec<pb::PlanObjective>, v: &mut Violations) -> Vec<Objective> {
    let raw = v
        .take(limited("plan.objectives", raw, MAX_OBJECTIVES))
        .unwrap_or_default();
    raw.into_iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let pb::PlanObjective {
                metric,
                target_value,
                current_value,
                due_date,
            } = o;
            let at = |name: &str| format!("plan.objectives[{i}].{name}");
            let metric = v.take(text(&at("metric"), &metric, 200, true));
            if target_value <= 0 {
                v.add(at("target_value"), "must be positive");
            }
            let due_date = v.take(date(&at("due_date"), due_date));
            Some(Objective {
                metric: metric?,
                target_value,
                current_value,
                due_date: due_date?,
            })
            .filter(|o| o.target_value > 0)
        })
        .collect()
}

fn swot(raw: Vec<pb::SwotItem>, v: &mut Violations) -> Vec<SwotItem> {
    let raw = v.take(limited("plan.swot", raw, MAX_SWOT)).unwrap_or_default();
    raw.into_iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let pb::SwotItem { kind, text: body } = item;
            let at = |name: &str| format!("plan.swot[{i}].{name}");
            let kind = v.take(required_enum(&at("kind"), SwotKind::from_wire(&at("kind"), kind)));
            let body = v.take(text(&at("text"), &body, 1000, true));
            Some(SwotItem {
                kind: kind?,
                text: body?,
            })
        })
        .collect()
}

fn competitors(raw: Vec<pb::CompetitorAssessment>, v: &mut Violations) -> Vec<Competitor> {
    let raw = v
        .take(limited("plan.competitors", raw, MAX_COMPETITORS))
        .unwrap_or_default();
    raw.into_iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let pb::CompetitorAssessment {
                name,
                estimated_share_percent,
                strengths,
                weaknesses,
                threat_level,
                competitor_id,
            } = c;
            let at = |field: &str| format!("plan.competitors[{i}].{field}");
            let competitor_id = v.take(optional_id(&at("competitor_id"), &competitor_id));
            let named_by_id = matches!(competitor_id, Some(Some(_)));
            let name = v.take(text(&at("name"), &name, 200, !named_by_id));
            let share = v.take(percent_0_100(
                &at("estimated_share_percent"),
                estimated_share_percent,
            ));
            let strengths = v.take(text(&at("strengths"), &strengths, 1000, false));
            let weaknesses = v.take(text(&at("weaknesses"), &weaknesses, 1000, false));
            let threat = v.take(required_enum(
                &at("threat_level"),
                ThreatLevel::from_wire(&at("threat_level"), threat_level),
            ));
            Some(Competitor {
                name: name?,
                estimated_share_percent: share?,
                strengths: strengths?,
                weaknesses: weaknesses?,
                threat_level: threat?,
                competitor_id: competitor_id?,
            })
        })
        .collect()
}

fn whitespace(raw: Vec<pb::WhitespaceCell>, currency: &str, v: &mut Violations) -> Vec<WhitespaceCell> {
    let raw = v
        .take(limited("plan.whitespace", raw, MAX_WHITESPACE))
        .unwrap_or_default();
    let mut lines = HashSet::new();
    raw.into_iter()
        .enumerate()
        .filter_map(|(i, cell)| {
            let pb::WhitespaceCell {
                product_line,
                status,
                estimated_value,
            } = cell;
            let at = |field: &str| format!("plan.whitespace[{i}].{field}");
            let line = v.take(text(&at("product_line"), &product_line, 200, true));
            if let Some(line) = &line
                && !lines.insert(line.to_lowercase())
            {
                v.add(at("product_line"), format!("{line:?} appears twice"));
            }
            let status = v.take(required_enum(
                &at("status"),
                WhitespaceStatus::from_wire(&at("status"), status),
            ));
            let value = v.take(target_money(&at("estimated_value"), estimated_value, currency));
            Some(WhitespaceCell {
                product_line: line?,
                status: status?,
                estimated_value: value?,
            })
        })
        .collect()
}

/// A new plan: its account and what it says.
pub fn new_plan(raw: Option<pb::AccountPlan>, currency: &str) -> Result<(Uuid, PlanFields)> {
    let pb::AccountPlan {
        id: _,
        account_id,
        name,
        period_start,
        period_end,
        status: _,
        vision,
        revenue_target,
        share_of_wallet_target_percent,
        objectives: objectives_raw,
        swot: swot_raw,
        competitors: competitors_raw,
        whitespace: whitespace_raw,
        create_time: _,
        update_time: _,
        activate_time: _,
        close_time: _,
        etag: _,
    } = raw.unwrap_or_default();
    let mut v = Violations::default();
    let account_id = v.take(required_id("plan.account_id", &account_id));
    let name = v.take(text("plan.name", &name, 200, true));
    let start = v.take(required(
        "plan.period_start",
        date("plan.period_start", period_start),
    ));
    let end = v.take(required("plan.period_end", date("plan.period_end", period_end)));
    if let (Some(start), Some(end)) = (start, end)
        && start > end
    {
        v.add("plan.period_end", "must not be before period_start");
    }
    let vision = v.take(text("plan.vision", &vision, 5000, false));
    let revenue_target = v.take(target_money("plan.revenue_target", revenue_target, currency));
    let share = v.take(percent_0_100(
        "plan.share_of_wallet_target_percent",
        share_of_wallet_target_percent,
    ));
    let objectives = objectives(objectives_raw, &mut v);
    let swot = swot(swot_raw, &mut v);
    let competitors = competitors(competitors_raw, &mut v);
    let whitespace = whitespace(whitespace_raw, currency, &mut v);
    v.into_result()?;
    Ok((
        account_id.expect("checked above"),
        PlanFields {
            name: name.expect("checked above"),
            period_start: start.expect("checked above"),
            period_end: end.expect("checked above"),
            vision: vision.expect("checked above"),
            revenue_target: revenue_target.expect("checked above"),
            share_of_wallet_target_percent: share.expect("checked above"),
            objectives,
            swot,
            competitors,
            whitespace,
        },
    ))
}

pub fn plan_update(
    raw: Option<pb::AccountPlan>,
    mask: Option<FieldMask>,
    currency: &str,
) -> Result<Update<PlanPatch>> {
    let plan = raw.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("plan.id", &plan.id));
    let pb::AccountPlan {
        name,
        period_start,
        period_end,
        vision,
        revenue_target,
        share_of_wallet_target_percent,
        objectives: objectives_raw,
        swot: swot_raw,
        competitors: competitors_raw,
        whitespace: whitespace_raw,
        etag,
        ..
    } = plan;
    let (patch, paths) = PatchFields::new()
        .field("name", !name.is_empty(), |patch: &mut PlanPatch, v| {
            patch.name = v.take(text("plan.name", &name, 200, true))
        })
        .field("period_start", period_start.is_some(), |patch, v| {
            patch.period_start = v.take(required(
                "plan.period_start",
                date("plan.period_start", period_start),
            ))
        })
        .field("period_end", period_end.is_some(), |patch, v| {
            patch.period_end = v.take(required("plan.period_end", date("plan.period_end", period_end)))
        })
        .field("vision", !vision.is_empty(), |patch, v| {
            patch.vision = v.take(text("plan.vision", &vision, 5000, false))
        })
        .field("revenue_target", revenue_target.is_some(), |patch, v| {
            patch.revenue_target = v.take(target_money("plan.revenue_target", revenue_target, currency))
        })
        .field(
            "share_of_wallet_target_percent",
            share_of_wallet_target_percent != 0,
            |patch, v| {
                patch.share_of_wallet_target_percent = v.take(percent_0_100(
                    "plan.share_of_wallet_target_percent",
                    share_of_wallet_target_percent,
                ))
            },
        )
        .field("objectives", !objectives_raw.is_empty(), |patch, v| {
            patch.objectives = Some(objectives(objectives_raw, v))
        })
        .field("swot", !swot_raw.is_empty(), |patch, v| {
            patch.swot = Some(swot(swot_raw, v))
        })
        .field("competitors", !competitors_raw.is_empty(), |patch, v| {
            patch.competitors = Some(competitors(competitors_raw, v))
        })
        .field("whitespace", !whitespace_raw.is_empty(), |patch, v| {
            patch.whitespace = Some(whitespace(whitespace_raw, currency, v))
        })
        .read(mask, PLAN_OUTPUT_ONLY, &["account_id"], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&etag).map(str::to_owned),
        patch,
        paths,
    })
}

pub fn plan_filter(
    account_id: &str,
    status: i32,
    segments: Option<&pb::SegmentFilter>,
) -> Result<PlanFilter> {
    let mut v = Violations::default();
    let account_id = v.take(optional_id("account_id", account_id)).flatten();
    let status = v.take(PlanStatus::from_wire("status", status)).flatten();
    let segments = v.take(segment_filter("segments", segments)).unwrap_or_default();
    v.into_result()?;
    Ok(PlanFilter {
        account_id,
        status,
        segments,
    })
}

/// The status a ChangeAccountPlanStatus asks for: ACTIVE or CLOSED.
pub fn plan_status_target(raw: i32) -> Result<PlanStatus, FieldViolation> {
    match required_enum("status", PlanStatus::from_wire("status", raw))? {
        PlanStatus::Draft => Err(FieldViolation::new("status", "must be ACTIVE or CLOSED")),
        other => Ok(other),
    }
}

pub fn plan_to_proto(plan: AccountPlan) -> pb::AccountPlan {
    let AccountPlan {
        id,
        account_id,
        fields,
        status,
        create_time,
        update_time,
        activate_time,
        close_time,
        revision,
    } = plan;
    pb::AccountPlan {
        id: id.to_string(),
        account_id: account_id.to_string(),
        name: fields.name,
        period_start: Some(date_to_proto(fields.period_start)),
        period_end: Some(date_to_proto(fields.period_end)),
        status: status.to_wire(),
        vision: fields.vision,
        revenue_target: fields.revenue_target.map(|m| m.to_proto()),
        share_of_wallet_target_percent: fields.share_of_wallet_target_percent,
        objectives: fields
            .objectives
            .into_iter()
            .map(|o| pb::PlanObjective {
                metric: o.metric,
                target_value: o.target_value,
                current_value: o.current_value,
                due_date: o.due_date.map(date_to_proto),
            })
            .collect(),
        swot: fields
            .swot
            .into_iter()
            .map(|s| pb::SwotItem {
                kind: s.kind.to_wire(),
                text: s.text,
            })
            .collect(),
        competitors: fields
            .competitors
            .into_iter()
            .map(|c| pb::CompetitorAssessment {
                name: c.name,
                estimated_share_percent: c.estimated_share_percent,
                strengths: c.strengths,
                weaknesses: c.weaknesses,
                threat_level: c.threat_level.to_wire(),
                competitor_id: c.competitor_id.map(|id| id.to_string()).unwrap_or_default(),
            })
            .collect(),
        whitespace: fields
            .whitespace
            .into_iter()
            .map(|w| pb::WhitespaceCell {
                product_line: w.product_line,
                status: w.status.to_wire(),
                estimated_value: w.estimated_value.map(|m| m.to_proto()),
            })
            .collect(),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        activate_time: activate_time.map(timestamp),
        close_time: close_time.map(timestamp),
        etag: etag::of(revision),
    }
}

pub fn scorecard_to_proto(card: Scorecard, currency: &str) -> pb::PlanScorecard {
    let Scorecard {
        plan,
        actions,
        today,
        revenue_actual,
    } = card;
    let target = plan.fields.revenue_target.clone();
    let attainment = target.as_ref().map_or(0, |t| {
        plans::percent(revenue_actual.total_nanos(), t.total_nanos())
    });
    pb::PlanScorecard {
        plan_id: plan.id.to_string(),
        account_id: plan.account_id.to_string(),
        status: plan.status.to_wire(),
        actions_total: actions.total,
        actions_done: actions.done,
        actions_open: actions.open,
        actions_overdue: actions.overdue,
        actions_cancelled: actions.cancelled,
        actions_done_percent: actions.done_percent(),
        objectives: plan
            .fields
            .objectives
            .iter()
            .map(|o| pb::plan_scorecard::ObjectiveProgress {
                metric: o.metric.clone(),
                target_value: o.target_value,
                current_value: o.current_value,
                progress_percent: o.progress_percent(),
                overdue: o.is_overdue(today),
            })
            .collect(),
        objectives_progress_percent: plans::mean_progress(&plan.fields.objectives),
        revenue_target: Some(target.unwrap_or_else(|| Money {
            currency: currency.to_owned(),
            units: 0,
            nanos: 0,
        }))
        .map(|m| m.to_proto()),
        revenue_actual: Some(revenue_actual.to_proto()),
        revenue_attainment_percent: attainment,
    }
}

/// A new action: its plan and what it says.
pub fn new_action(raw: Option<pb::PlanAction>) -> Result<(Uuid, ActionFields)> {
    let pb::PlanAction {
        id: _,
        plan_id,
        account_id: _,
        title,
        description,
        owner_staff_id,
        department_id,
        due_date,
        status,
        complete_time: _,
        create_time: _,
        update_time: _,
        etag: _,
    } = raw.unwrap_or_default();
    let mut v = Violations::default();
    let plan_id = v.take(required_id("action.plan_id", &plan_id));
    let title = v.take(text("action.title", &title, 200, true));
    let description = v.take(text("action.description", &description, 5000, false));
    let owner = v.take(required_id("action.owner_staff_id", &owner_staff_id));
    let department = v.take(optional_id("action.department_id", &department_id));
    let due_date = v.take(required("action.due_date", date("action.due_date", due_date)));
    let status = v.take(ActionStatus::from_wire("action.status", status));
    v.into_result()?;
    Ok((
        plan_id.expect("checked above"),
        ActionFields {
            title: title.expect("checked above"),
            description: description.expect("checked above"),
            owner_staff_id: owner.expect("checked above"),
            department_id: department.flatten(),
            due_date: due_date.expect("checked above"),
            status: status.flatten().unwrap_or(ActionStatus::Open),
        },
    ))
}

pub fn action_update(raw: Option<pb::PlanAction>, mask: Option<FieldMask>) -> Result<Update<ActionPatch>> {
    let action = raw.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("action.id", &action.id));
    let (patch, paths) = PatchFields::new()
        .field("title", !action.title.is_empty(), |patch: &mut ActionPatch, v| {
            patch.title = v.take(text("action.title", &action.title, 200, true))
        })
        .field("description", !action.description.is_empty(), |patch, v| {
            patch.description = v.take(text("action.description", &action.description, 5000, false))
        })
        .field("owner_staff_id", !action.owner_staff_id.is_empty(), |patch, v| {
            patch.owner_staff_id = v.take(required_id("action.owner_staff_id", &action.owner_staff_id))
        })
        .field("department_id", !action.department_id.is_empty(), |patch, v| {
            patch.department_id = v.take(required_id("action.department_id", &action.department_id))
        })
        .field("due_date", action.due_date.is_some(), |patch, v| {
            patch.due_date = v.take(required(
                "action.due_date",
                date("action.due_date", action.due_date),
            ))
        })
        .field("status", action.status != 0, |patch, v| {
            patch.status = v.take(required_enum(
                "action.status",
                ActionStatus::from_wire("action.status", action.status),
            ))
        })
        .read(mask, ACTION_OUTPUT_ONLY, &["plan_id"], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked above"),
        etag: etag::sent(&action.etag).map(str::to_owned),
        patch,
        paths,
    })
}

/// The filter of a ListPlanActions; `mine` names the caller.
pub fn action_filter(
    request: &pb::ListPlanActionsRequest,
    caller: Uuid,
    today: NaiveDate,
) -> Result<ActionFilter> {
    let mut v = Violations::default();
    let plan_id = v.take(optional_id("plan_id", &request.plan_id)).flatten();
    let account_id = v.take(optional_id("account_id", &request.account_id)).flatten();
    let mut owner = v
        .take(optional_id("owner_staff_id", &request.owner_staff_id))
        .flatten();
    if request.mine {
        if owner.is_some() {
            v.add("mine", "give either mine or owner_staff_id");
        }
        owner = Some(caller);
    }
    let status = v
        .take(ActionStatus::from_wire("status", request.status))
        .flatten();
    let segments = v
        .take(segment_filter("segments", request.segments.as_ref()))
        .unwrap_or_default();
    let by_due_date = match request.order_by.as_str() {
        "" => false,
        "due_date" => true,
        other => {
            v.add(
                "order_by",
                format!("unknown order {other:?}; use \"\" or \"due_date\""),
            );
            false
        }
    };
    v.into_result()?;
    Ok(ActionFilter {
        plan_id,
        account_id,
        owner_staff_id: owner,
        overdue_on: request.overdue.then_some(today),
        status,
        by_due_date,
        segments,
    })
}

pub fn action_to_proto(action: PlanAction) -> pb::PlanAction {
    let PlanAction {
        id,
        plan_id,
        account_id,
        title,
        description,
        owner_staff_id,
        department_id,
        due_date,
        status,
        complete_time,
        create_time,
        update_time,
        revision,
    } = action;
    pb::PlanAction {
        id: id.to_string(),
        plan_id: plan_id.to_string(),
        account_id: account_id.to_string(),
        title,
        description,
        owner_staff_id: owner_staff_id.to_string(),
        department_id: department_id.to_string(),
        due_date: Some(date_to_proto(due_date)),
        status: status.to_wire(),
        complete_time: complete_time.map(timestamp),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

/// Today in UTC, the day overdue is counted against.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive()
}
