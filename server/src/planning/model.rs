//! The planning area's domain values.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::tiering::{Period, TierRanking, TierReason};
use crate::{accounts::model::Tier, money::Money};

crate::named_enum!(
    /// What changed a tier: a ranking (RecomputeTiers) or a manual override.
    TierChangeSource { Ranking = "RANKING", Override = "OVERRIDE" }
);

/// A validated revenue record from the ERP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevenueFields {
    pub external_id: String,
    pub account_id: Uuid,
    pub period: Period,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevenueRecord {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: RevenueFields,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UpsertOutcome {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevenueFilter {
    pub account_id: Option<Uuid>,
    pub from_period: Option<Period>,
    pub to_period: Option<Period>,
}

/// One month of an account's revenue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthTotal {
    pub period: Period,
    pub amount: Money,
    pub record_count: i64,
}

/// One row of a ranking, with what a reader needs besides the numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedAccount {
    pub ranking: TierRanking,
    pub display_name: String,
}

/// A whole ranking: every live account, in rank order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierTable {
    pub as_of: DateTime<Utc>,
    pub applied: bool,
    pub currency: String,
    pub rows: Vec<RankedAccount>,
}

impl TierTable {
    pub fn total_revenue(&self) -> i128 {
        self.rows.iter().map(|r| r.ranking.revenue).sum()
    }

    pub fn changed_count(&self) -> usize {
        self.rows.iter().filter(|r| r.ranking.changed()).count()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TierChange {
    pub id: Uuid,
    pub account_id: Uuid,
    pub old_tier: Tier,
    pub new_tier: Tier,
    pub source: TierChangeSource,
    pub reason: TierReason,
    pub note: String,
    pub as_of: Option<DateTime<Utc>>,
    pub revenue: Option<Money>,
    pub cumulative_share_ppm: Option<i64>,
    pub change_time: DateTime<Utc>,
    pub changed_by: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TierOverrideRecord {
    pub account_id: Uuid,
    pub tier: Tier,
    pub reason: String,
    pub expire_time: Option<DateTime<Utc>>,
    pub set_by: Uuid,
    pub set_time: DateTime<Utc>,
}
