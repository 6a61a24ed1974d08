//! The planning area's database side: revenue records and tiers. Other areas reach this data only
//! through these functions.

mod revenue;
mod tiers;

pub use revenue::{list_revenue, monthly_revenue, upsert_revenue};
pub use tiers::{clear_override, list_overrides, list_tier_changes, recompute_tiers, set_override};

use crate::accounts::store::require_live_accounts as live_accounts_among;

const REVENUE_RECORD: &str = "revenue_record";
/// Tier changes are audited on the account whose tier they change.
const ACCOUNT_TIER: &str = "account";
const TIER_OVERRIDE: &str = "tier_override";
