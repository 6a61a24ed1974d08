//! The planning area's settings (`[planning]`): the reporting currency, the tier boundaries, the
//! contact cadence per tier and account health.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::rules::{cadence::Cadence, health::HealthConfig, tiering::TierShares};
use crate::accounts::model::Tier;

/// Account planning: the one currency revenue is reported in, and the tier boundaries.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PlanningConfig {
    /// ISO 4217: revenue records in any other currency are refused (KAM converts no currencies).
    pub reporting_currency: String,
    pub tiers: TierShares,
    /// What the tier ranking ranks: accounts or group companies, and within which segments.
    pub tiering: TieringConfig,
    /// How often each tier wants an executive visit and an account-manager touch, keyed by tier name;
    /// a tier without an entry has no cadence. A file that sets it replaces the whole table.
    pub cadence: BTreeMap<String, Cadence>,
    /// Account health: signal weights and thresholds.
    pub health: HealthConfig,
}

impl Default for PlanningConfig {
    fn default() -> Self {
        Self {
            reporting_currency: "EUR".to_owned(),
            tiers: TierShares::default(),
            tiering: TieringConfig::default(),
            // A strategic account sees an executive every month and someone from its team every two
            // weeks; a key account half as often; the other tiers have no cadence.
            cadence: BTreeMap::from([
                (
                    "STRATEGIC".to_owned(),
                    Cadence {
                        executive_visit_days: 30,
                        touch_days: 14,
                    },
                ),
                (
                    "KEY".to_owned(),
                    Cadence {
                        executive_visit_days: 60,
                        touch_days: 30,
                    },
                ),
            ]),
            health: HealthConfig::default(),
        }
    }
}

/// `[planning.tiering]`: what a ranking ranks.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TieringConfig {
    /// `"account"`: each live account on its own; `"group"`: each group company as one, its revenue and
    /// pipeline those of every live account in its hierarchy, every member sharing its tier.
    pub rank_by: RankBy,
    /// `""`: the ranking alone; `"industry"` or `"region"`: each row also ranked within its segment
    /// (the top level of the segment tree), shown but never stored.
    pub segment_by: SegmentBy,
}

/// What the ranking's rows are.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum RankBy {
    #[default]
    #[serde(rename = "account")]
    Account,
    #[serde(rename = "group")]
    Group,
}

/// Which segments a ranking also ranks within.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum SegmentBy {
    #[default]
    #[serde(rename = "")]
    None,
    #[serde(rename = "industry")]
    Industry,
    #[serde(rename = "region")]
    Region,
}

impl PlanningConfig {
    /// Refuses a currency that is not three upper-case letters, and shares out of order.
    pub fn validate(&self) -> Result<(), String> {
        let currency = &self.reporting_currency;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "planning.reporting_currency must be an ISO 4217 code (three upper-case letters), got {currency:?}"
            ));
        }
        if let Some(unknown) = self.cadence.keys().find(|tier| Tier::from_name(tier).is_none()) {
            return Err(format!("planning.cadence: unknown tier {unknown:?}"));
        }
        if let Some((tier, _)) = self
            .cadence
            .iter()
            .find(|(_, c)| c.executive_visit_days == 0 || c.touch_days == 0)
        {
            return Err(format!(
                "planning.cadence.{tier}: intervals must be at least one day"
            ));
        }
        self.health.validate()?;
        self.tiers.validate()
    }

    /// The cadence of `tier`, if it has one.
    pub fn cadence_of(&self, tier: Tier) -> Option<Cadence> {
        self.cadence.get(tier.as_str()).copied()
    }
}
