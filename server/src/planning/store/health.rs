//! Account health: what each signal needs, gathered for many accounts at once in a few grouped
//! queries on one snapshot, then judged by the pure rules of `planning::rules::health`.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{
    contact_calendar::overdue_of,
    interactions::last_interaction_by_account,
    revenue::{revenue_by_account, revenue_of_accounts},
};
use crate::{
    accounts::{
        model::Tier,
        store::{self as accounts, AccountSummary},
    },
    config::PlanningConfig,
    feedback::store::latest_round_scores,
    identity::{Visibility, access::visible_account_ids},
    opportunities::store::lost_since,
    planning::store::entity::interaction,
    planning::{
        model::CadenceKind,
        rules::health::{self, Health, KeyPerson, LostDeal, Observations},
        rules::tiering::Period,
    },
    platform::{db::Db, error::Result},
    service_levels::store::breached_targets_by_account,
};

/// What health looks back on.
const SLA_DAYS: i64 = 90;
const LOST_DAYS: i64 = 180;
const SATISFACTION_DAYS: i64 = 180;
/// The latest feedback round on the team counts while its period ended at most this long ago.
const FEEDBACK_DAYS: i64 = 365;

/// Which accounts to assess.
pub struct HealthScope {
    pub account_id: Option<Uuid>,
    pub tier: Option<Tier>,
    pub visibility: Visibility,
}

/// The health of every live account in `scope` at `now`.
pub async fn assess_accounts(
    db: &Db,
    scope: &HealthScope,
    config: &PlanningConfig,
    now: DateTime<Utc>,
) -> Result<Vec<(AccountSummary, Health)>> {
    let snapshot = db.snapshot().await?;
    let tiers: Vec<Tier> = match scope.tier {
        Some(tier) => vec![tier],
        None => Tier::ALL.to_vec(),
    };
    let visible = visible_account_ids(&snapshot, scope.visibility).await?;
    let live: Vec<AccountSummary> = accounts::live_accounts_in_tiers(&snapshot, &tiers)
        .await?
        .into_iter()
        .filter(|a| scope.account_id.is_none_or(|id| id == a.id))
        .filter(|a| visible.as_ref().is_none_or(|ids| ids.contains(&a.id)))
        .collect();
    let seen = observe(&snapshot, &live, None, config, now).await?;
    snapshot.commit().await?;
    Ok(assessed(live, seen, config))
}

/// The health of `accounts` (live ones the caller may see: a group's members) at `now`, in their order;
/// the revenue and satisfaction it reads are read for them alone.
pub(super) async fn assess_among(
    db: &Db,
    accounts: Vec<AccountSummary>,
    config: &PlanningConfig,
    now: DateTime<Utc>,
) -> Result<Vec<(AccountSummary, Health)>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let snapshot = db.snapshot().await?;
    let ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
    let seen = observe(&snapshot, &accounts, Some(&ids), config, now).await?;
    snapshot.commit().await?;
    Ok(assessed(accounts, seen, config))
}

/// Each of `accounts` with the health its observations `seen` give (none seen: the observations of an
/// account with no history).
fn assessed(
    accounts: Vec<AccountSummary>,
    mut seen: HashMap<Uuid, Observations>,
    config: &PlanningConfig,
) -> Vec<(AccountSummary, Health)> {
    accounts
        .into_iter()
        .map(|account| {
            let observed = seen.remove(&account.id).unwrap_or_default();
            let health = health::assess(&observed, &config.health);
            (account, health)
        })
        .collect()
}

/// The last three full months before `now`'s month, and the same three a year before.
fn decline_windows(now: DateTime<Utc>) -> ((Period, Period), (Period, Period)) {
    let month = now.year() * 12 + now.month0() as i32;
    let period = |index: i32| index.div_euclid(12) * 100 + index.rem_euclid(12) + 1;
    (
        (period(month - 3), period(month - 1)),
        (period(month - 15), period(month - 13)),
    )
}

/// What each signal needs for `live`; `only`: the planning area's own grouped reads (revenue,
/// satisfaction) are read for these accounts alone.
async fn observe(
    conn: &impl ConnectionTrait,
    live: &[AccountSummary],
    only: Option<&[Uuid]>,
    config: &PlanningConfig,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Observations>> {
    let currency = &config.reporting_currency;
    let (recent_months, year_before_months) = decline_windows(now);
    let (recent, year_before) = match only {
        Some(ids) => (
            revenue_of_accounts(conn, ids, recent_months, currency).await?,
            revenue_of_accounts(conn, ids, year_before_months, currency).await?,
        ),
        None => (
            revenue_by_account(conn, recent_months, currency).await?,
            revenue_by_account(conn, year_before_months, currency).await?,
        ),
    };
    let breaches = breached_targets_by_account(conn, now - Duration::days(SLA_DAYS), now).await?;
    let visits_overdue: HashMap<Uuid, i64> = overdue_of(conn, live, config, now)
        .await?
        .into_iter()
        .filter(|o| o.kind == CadenceKind::ExecutiveVisitDue)
        .map(|o| (o.account_id, o.days_overdue))
        .collect();
    let last_contact = last_interaction_by_account(conn, None, now).await?;
    let mut key_people: HashMap<Uuid, Vec<KeyPerson>> = HashMap::new();
    for person in accounts::key_contacts_at_risk(conn).await? {
        key_people.entry(person.account_id).or_default().push(KeyPerson {
            contact_id: person.contact_id,
            full_name: person.full_name,
            buying_role: person.buying_role.as_str().to_owned(),
            inactive: person.inactive,
            opposed: person.opposed,
        });
    }
    let mut lost: HashMap<Uuid, Vec<LostDeal>> = HashMap::new();
    for deal in lost_since(conn, now - Duration::days(LOST_DAYS)).await? {
        lost.entry(deal.account_id).or_default().push(LostDeal {
            opportunity_id: deal.id,
            display_name: deal.display_name,
            lost_to: deal.lost_to_competitor,
        });
    }
    let satisfaction =
        satisfaction_by_account(conn, only, now - Duration::days(SATISFACTION_DAYS), now).await?;
    let mut team_feedback =
        latest_round_scores(conn, (now - Duration::days(FEEDBACK_DAYS)).date_naive()).await?;

    Ok(live
        .iter()
        .map(|account| {
            let last = last_contact.get(&account.id).copied();
            let (satisfaction_sum, satisfaction_count) =
                satisfaction.get(&account.id).copied().unwrap_or_default();
            let observed = Observations {
                revenue_recent: recent.get(&account.id).copied().unwrap_or(0),
                revenue_year_before: year_before.get(&account.id).copied().unwrap_or(0),
                sla_breaches: breaches.get(&account.id).copied().unwrap_or(0),
                executive_visit_days_overdue: visits_overdue.get(&account.id).copied(),
                days_silent: (now - last.unwrap_or(account.create_time)).num_days(),
                had_interaction: last.is_some(),
                key_people: key_people.remove(&account.id).unwrap_or_default(),
                lost_deals: lost.remove(&account.id).unwrap_or_default(),
                satisfaction_sum,
                satisfaction_count,
                team_feedback: team_feedback.remove(&account.id),
            };
            (account.id, observed)
        })
        .collect())
}

/// Per account: the sum and count of the satisfaction ratings given in `[since, now]`.
async fn satisfaction_by_account(
    conn: &impl ConnectionTrait,
    only: Option<&[Uuid]>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, (i64, i64)>> {
    use interaction::Column as C;
    let mut select = interaction::Entity::find();
    if let Some(ids) = only {
        select = select.filter(C::AccountId.is_in(ids.iter().copied()));
    }
    let rows: Vec<(Uuid, Option<i64>, i64)> = select
        .select_only()
        .column(C::AccountId)
        .column_as(
            sea_orm::sea_query::Expr::cust("CAST(SUM(satisfaction) AS BIGINT)"),
            "total",
        )
        .column_as(C::Id.count(), "ratings")
        .filter(C::Satisfaction.gt(0))
        .filter(C::OccurTime.gte(since))
        .filter(C::OccurTime.lte(now))
        .group_by(C::AccountId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(account, total, count)| (account, (total.unwrap_or(0), count)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decline_compares_the_last_three_full_months_with_a_year_before() {
        let now: DateTime<Utc> = "2026-02-10T00:00:00Z".parse().unwrap();
        assert_eq!(decline_windows(now), ((202511, 202601), (202411, 202501)));
    }
}
