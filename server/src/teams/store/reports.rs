//! The coverage report (which accounts lack the team their tier requires) and the workload report.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{departments::list_departments, members::active_seat_counts, seats_of_accounts};
use crate::{
    accounts::{
        model::Tier,
        store::{AccountSummary, live_accounts_in_tiers},
    },
    config::TierCoverage,
    platform::{
        db::Db,
        error::{Error, Result},
    },
    teams::store::entity::staff as staff_entity,
    teams::{
        handover::Responsibilities,
        model::TeamRole,
        rules::{Requirement, coverage_gaps},
    },
};

/// What each tier requires, checked once at startup. Liaisons are department codes, resolved at
/// report time so a department created later can be required.
#[derive(Clone, Debug, Default)]
pub struct CoveragePolicy {
    tiers: BTreeMap<Tier, (Vec<TeamRole>, Vec<String>)>,
}

impl CoveragePolicy {
    pub fn from_config(config: &BTreeMap<String, TierCoverage>) -> Result<Self, String> {
        let mut tiers = BTreeMap::new();
        for (tier_name, coverage) in config {
            let tier =
                Tier::from_name(tier_name).ok_or_else(|| format!("coverage: unknown tier {tier_name:?}"))?;
            let roles = coverage
                .roles
                .iter()
                .map(|r| {
                    TeamRole::from_name(r).ok_or_else(|| format!("coverage.{tier_name}: unknown role {r:?}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            tiers.insert(tier, (roles, coverage.liaisons.clone()));
        }
        Ok(Self { tiers })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountCoverage {
    pub account_id: Uuid,
    pub display_name: String,
    pub tier: Tier,
    pub missing_roles: Vec<TeamRole>,
    /// Department codes.
    pub missing_liaisons: Vec<String>,
}

impl AccountCoverage {
    pub fn is_covered(&self) -> bool {
        self.missing_roles.is_empty() && self.missing_liaisons.is_empty()
    }
}

/// Every live account of `tiers` (empty: every tier with requirements) in `segments` (each with
/// everything below it; SEGMENT_NOT_FOUND for an unknown code), ordered by tier and name.
pub async fn coverage_report(
    db: &Db,
    policy: &CoveragePolicy,
    tiers: &[Tier],
    segments: &crate::segments::model::SegmentFilter,
    gaps_only: bool,
) -> Result<Vec<AccountCoverage>> {
    let tiers: Vec<Tier> = if tiers.is_empty() {
        policy.tiers.keys().copied().collect()
    } else {
        tiers.to_vec()
    };
    // One snapshot: the accounts and their teams as of the same moment.
    let txn = db.snapshot().await?;
    let conn = &txn;
    let mut accounts = live_accounts_in_tiers(conn, &tiers).await?;
    if let Some(in_segments) = crate::accounts::store::checked_in_segments(conn, segments).await? {
        let backend = conn.get_database_backend();
        let mut ids = std::collections::HashSet::new();
        for row in conn.query_all_raw(backend.build(&in_segments)).await? {
            ids.insert(row.try_get_by_index::<Uuid>(0)?);
        }
        accounts.retain(|account| ids.contains(&account.id));
    }
    accounts.sort_by(|a, b| (a.tier, &a.display_name, a.id).cmp(&(b.tier, &b.display_name, b.id)));
    let report = coverage_of_accounts(conn, policy, accounts)
        .await?
        .into_iter()
        .filter(|coverage| !(gaps_only && coverage.is_covered()))
        .collect();
    txn.commit().await?;
    Ok(report)
}

/// The coverage of `accounts` (the report's, or a group's members) by the requirements of each one's
/// tier, in their order.
pub async fn coverage_of_accounts(
    conn: &impl ConnectionTrait,
    policy: &CoveragePolicy,
    accounts: Vec<AccountSummary>,
) -> Result<Vec<AccountCoverage>> {
    let mut department_ids: HashMap<String, Uuid> = list_departments(conn)
        .await?
        .into_iter()
        .map(|d| (d.code, d.id))
        .collect();
    let requirements: BTreeMap<Tier, (Requirement, HashMap<Uuid, String>)> = Tier::ALL
        .iter()
        .map(|tier| {
            let (roles, codes) = policy.tiers.get(tier).cloned().unwrap_or_default();
            let mut code_of = HashMap::new();
            let liaison_departments = codes
                .into_iter()
                .map(|code| {
                    // A code naming no department can never be covered: it gets an id no seat has.
                    let id = *department_ids.entry(code.clone()).or_insert_with(Uuid::now_v7);
                    code_of.insert(id, code);
                    id
                })
                .collect();
            (
                *tier,
                (
                    Requirement {
                        roles,
                        liaison_departments,
                    },
                    code_of,
                ),
            )
        })
        .collect();
    let ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
    let teams = seats_of_accounts(conn, &ids).await?;
    let mut report = Vec::with_capacity(accounts.len());
    for account in accounts {
        let (requirement, code_of) = &requirements[&account.tier];
        let team = teams.get(&account.id).map(Vec::as_slice).unwrap_or_default();
        let (missing_roles, missing_departments) = coverage_gaps(requirement, team);
        report.push(AccountCoverage {
            account_id: account.id,
            display_name: account.display_name,
            tier: account.tier,
            missing_roles,
            missing_liaisons: missing_departments.iter().map(|id| code_of[id].clone()).collect(),
        });
    }
    Ok(report)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub staff_id: Uuid,
    pub full_name: String,
    pub active_accounts: i64,
    pub max_accounts: i32,
    pub open_items: BTreeMap<&'static str, i64>,
}

/// `staff` (empty: every active person), ordered by name.
pub async fn workload(db: &Db, responsibilities: &Responsibilities, staff: &[Uuid]) -> Result<Vec<Workload>> {
    let mut select = staff_entity::Entity::find();
    select = if staff.is_empty() {
        select.filter(staff_entity::Column::Active.eq(true))
    } else {
        select.filter(staff_entity::Column::Id.is_in(staff.iter().copied()))
    };
    let people = select
        .order_by_asc(staff_entity::Column::FullName)
        .order_by_asc(staff_entity::Column::Id)
        .all(db.conn())
        .await?;
    if let Some(unknown) = staff.iter().find(|id| !people.iter().any(|p| p.id == **id)) {
        return Err(Error::not_found("staff", unknown));
    }
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    // One snapshot, so every area counts the same moment.
    let txn = db.snapshot().await?;
    let seats: HashMap<Uuid, i64> = active_seat_counts(&txn, &ids).await?.into_iter().collect();
    let mut open = responsibilities.open_items(&txn, &ids).await?;
    txn.commit().await?;
    Ok(people
        .into_iter()
        .map(|p| Workload {
            staff_id: p.id,
            active_accounts: seats.get(&p.id).copied().unwrap_or(0),
            max_accounts: p.max_accounts,
            open_items: open.remove(&p.id).unwrap_or_default(),
            full_name: p.full_name,
        })
        .collect())
}
