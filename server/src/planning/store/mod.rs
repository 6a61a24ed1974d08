//! The planning area's database side: revenue records, tiers, account plans and plan actions. Other
//! areas reach this data only through these functions.

mod actions;
mod contact_calendar;
mod health;
mod interactions;
mod plans;
mod revenue;
mod tiers;

pub use actions::{PlanActionOwnership, create_action, get_action, list_actions, update_action};
pub use contact_calendar::{overdue_cadence, upcoming_key_dates};
pub use health::{HealthScope, assess_accounts};
pub use interactions::{get_interaction, list_interactions, log_interaction, update_interaction};
pub use plans::{change_plan_status, create_plan, get_plan, list_plans, scorecard, update_plan};
pub use revenue::{
    import_revenue, list_revenue, monthly_revenue, read_accounts_ahead, revenue_by_account, upsert_revenue,
};
pub use tiers::{clear_override, list_overrides, list_tier_changes, recompute_tiers, set_override};

use crate::accounts::store::require_live_accounts as live_accounts_among;

const REVENUE_RECORD: &str = "revenue_record";
/// Tier changes are audited on the account whose tier they change.
const ACCOUNT_TIER: &str = "account";
const TIER_OVERRIDE: &str = "tier_override";
const ACCOUNT_PLAN: &str = "account_plan";
const PLAN_ACTION: &str = "plan_action";
const INTERACTION: &str = "interaction";
