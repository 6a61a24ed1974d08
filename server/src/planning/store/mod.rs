//! The planning area's database side: revenue records, tiers, account plans and plan actions. Other
//! areas reach this data only through these functions.

mod actions;
mod brief;
mod contact_calendar;
mod entity;
mod group;
mod health;
mod in_segments;
mod interactions;
mod plans;
mod revenue;
mod tiers;

pub use actions::{
    PlanActionOwnership, action_ids, actions_by_ids, create_action, get_action, list_actions, update_action,
};
pub use brief::account_brief;
pub use contact_calendar::{overdue_cadence, upcoming_key_dates};
pub use group::group_summary;
pub use health::{HealthScope, assess_accounts};
pub use in_segments::accounts_in_segments;
pub use interactions::{
    get_interaction, interaction_ids, interactions_by_ids, list_interactions, log_interaction,
    update_interaction,
};
pub use plans::{
    change_plan_status, create_plan, get_plan, list_plans, plan_ids, plans_by_ids, scorecard, update_plan,
};
pub use revenue::{RevenueReport, RevenueReportQuery, SegmentRevenue, revenue_report, revenue_report_query};
pub use revenue::{
    import_revenue, list_revenue, monthly_revenue, read_accounts_ahead, revenue_by_account, revenue_by_ids,
    revenue_ids, revenue_ids_by_external_ids, upsert_revenue,
};
pub use tiers::{
    clear_override, list_overrides, list_tier_changes, recompute_tiers, set_override, tier_change_ids,
    tier_changes_by_ids,
};

use kam_proto::v1 as pb;

use super::{
    convert::{action_to_proto, interaction_to_proto, plan_to_proto, tier_change_to_proto},
    model::{AccountPlan, Interaction, PlanAction, TierChange},
};
use crate::{
    accounts::store::require_live_accounts as live_accounts_among,
    platform::{audit::Change, events::Payload},
};

const REVENUE_RECORD: &str = "revenue_record";
/// Tier changes are audited on the account whose tier they change.
const ACCOUNT_TIER: &str = "account";
const TIER_OVERRIDE: &str = "tier_override";
const ACCOUNT_PLAN: &str = "account_plan";
const PLAN_ACTION: &str = "plan_action";
const INTERACTION: &str = "interaction";

/// The change of `plan` announced as `event`, which carries the plan as GetAccountPlan returns it.
fn plan_change(
    plan: &AccountPlan,
    event: fn(pb::AccountPlan) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let message = plan_to_proto(plan.clone());
    Change::new(
        ACCOUNT_PLAN,
        plan.id,
        Some(plan.account_id),
        event(message),
        changed_fields,
    )
}

/// The change of `action` announced as `event`, which carries the action as GetPlanAction returns it.
fn action_change(
    action: &PlanAction,
    event: fn(pb::PlanAction) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let message = action_to_proto(action.clone());
    Change::new(
        PLAN_ACTION,
        action.id,
        Some(action.account_id),
        event(message),
        changed_fields,
    )
}

/// The change of `interaction` announced as `event`, which carries it as GetInteraction returns it.
fn interaction_change(
    interaction: &Interaction,
    event: fn(pb::Interaction) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let (id, account_id) = (interaction.id, Some(interaction.account_id));
    let message = interaction_to_proto(interaction.clone());
    Change::new(INTERACTION, id, account_id, event(message), changed_fields)
}

/// The event of an account's tier change (the resource is the account).
fn tier_changed(change: &TierChange) -> Change {
    let message = tier_change_to_proto(change.clone());
    let account_id = change.account_id;
    Change::new(
        ACCOUNT_TIER,
        account_id,
        Some(account_id),
        Payload::TierChanged(message),
        vec!["tier".to_owned()],
    )
}
