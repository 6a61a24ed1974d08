//! The group summary: a group company as one customer. The account asked for is checked for
//! visibility first; then its members (it and every live account below it) are read, and each area
//! answers for all of them at once, side by side: revenue, open pipeline, SLA compliance, health and
//! coverage. A group is served as one, so its members are all of it whoever asks.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{health::assess_among, revenue::revenue_of_accounts};
use crate::{
    accounts::{
        model::Tier,
        store::{self as accounts, AccountSummary, GroupMember},
    },
    config::PlanningConfig,
    identity::Visibility,
    opportunities::store as opportunities,
    planning::{
        model::{GroupMemberSummary, GroupSummary},
        rules::health::{self, Health},
        rules::tiering::revenue_windows,
    },
    platform::{db::Db, error::Result},
    service_levels::store as service_levels,
    teams::store::{self as teams, AccountCoverage, CoveragePolicy},
};

/// How far back SLA compliance looks.
const SLA_DAYS: i64 = 90;

/// The summary of the group below `account_id` at `now`.
pub async fn group_summary(
    db: &Db,
    visibility: Visibility,
    config: &PlanningConfig,
    coverage: &CoveragePolicy,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<GroupSummary> {
    // Visibility and existence first: PERMISSION_DENIED the same for a hidden and a missing account.
    let account = accounts::get_account(db, visibility, account_id).await?;
    let ((members, truncated), top_account_id) = tokio::try_join!(
        accounts::group_members(db.conn(), account_id),
        accounts::top_account_id(db.conn(), account_id),
    )?;
    let ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    let live: Vec<AccountSummary> = members
        .iter()
        .filter(|m| !m.deleted)
        .map(|m| AccountSummary {
            id: m.id,
            display_name: m.display_name.clone(),
            tier: m.tier,
            create_time: m.create_time,
        })
        .collect();
    let windows = revenue_windows(now);
    let currency = &config.reporting_currency;
    let (trailing, previous, pipeline, compliance, assessed, coverage) = tokio::try_join!(
        revenue_of_accounts(db.conn(), &ids, windows.trailing, currency),
        revenue_of_accounts(db.conn(), &ids, windows.previous, currency),
        opportunities::open_pipeline_of_accounts(db.conn(), &ids),
        service_levels::compliance_of_accounts(db.conn(), &ids, now - Duration::days(SLA_DAYS), now),
        assess_among(db, live.clone(), config, now),
        teams::coverage_of_accounts(db.conn(), coverage, live),
    )?;

    let names: Vec<(Uuid, &str, &Health)> = assessed
        .iter()
        .map(|(summary, health)| (summary.id, summary.display_name.as_str(), health))
        .collect();
    let group_health = health::roll_up(&names);
    let members_missing_coverage = coverage.iter().filter(|c| !c.missing_roles.is_empty()).count();
    let tiers = Tier::ALL
        .iter()
        .map(|&tier| (tier, members.iter().filter(|m| m.tier == tier).count()))
        .collect();
    let mut health_of: std::collections::HashMap<Uuid, Health> = assessed
        .into_iter()
        .map(|(summary, health)| (summary.id, health))
        .collect();
    let mut coverage_of: std::collections::HashMap<Uuid, AccountCoverage> =
        coverage.into_iter().map(|c| (c.account_id, c)).collect();
    let members = members
        .into_iter()
        .map(|member: GroupMember| {
            let gaps = coverage_of.remove(&member.id);
            GroupMemberSummary {
                revenue: trailing.get(&member.id).copied().unwrap_or(0),
                health: health_of.remove(&member.id),
                missing_roles: gaps.as_ref().map(|g| g.missing_roles.clone()).unwrap_or_default(),
                missing_liaisons: gaps.map(|g| g.missing_liaisons).unwrap_or_default(),
                member,
            }
        })
        .collect();
    Ok(GroupSummary {
        account_id,
        display_name: account.display_name,
        top_account_id,
        members,
        truncated,
        revenue: trailing.values().sum(),
        previous_revenue: previous.values().sum(),
        pipeline,
        compliance,
        health: group_health,
        members_missing_coverage,
        tiers,
        compute_time: now,
    })
}
