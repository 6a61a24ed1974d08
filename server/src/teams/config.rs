//! The teams area's settings (`[coverage]`): what an account of each tier needs on its team.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The team an account of one tier must have: the roles it needs filled and the departments it needs a
/// liaison from.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TierCoverage {
    /// Team roles that need an active holder, e.g. `ACCOUNT_MANAGER`.
    pub roles: Vec<String>,
    /// Department codes that need an active liaison, e.g. `CUSTOMER_SERVICE`.
    pub liaisons: Vec<String>,
}

/// What strategic and key accounts need by default: an account manager and an executive sponsor, and
/// liaisons from customer service (and for strategic accounts, the technical department).
pub fn default_coverage() -> BTreeMap<String, TierCoverage> {
    let tier = |roles: &[&str], liaisons: &[&str]| TierCoverage {
        roles: roles.iter().map(|r| r.to_string()).collect(),
        liaisons: liaisons.iter().map(|l| l.to_string()).collect(),
    };
    BTreeMap::from([
        (
            "STRATEGIC".to_owned(),
            tier(
                &["ACCOUNT_MANAGER", "EXECUTIVE_SPONSOR"],
                &["CUSTOMER_SERVICE", "TECHNICAL"],
            ),
        ),
        (
            "KEY".to_owned(),
            tier(&["ACCOUNT_MANAGER", "EXECUTIVE_SPONSOR"], &["CUSTOMER_SERVICE"]),
        ),
    ])
}
