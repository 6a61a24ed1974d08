//! The cadence report and the key-date calendar: computed in memory from a handful of grouped
//! queries, so their cost follows the number of accounts and contacts, not of interactions.

use std::{cmp::Reverse, collections::HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::interactions::{last_interaction_by_account, last_interaction_by_account_and_staff};
use crate::{
    accounts::{model::Tier, store as accounts},
    config::PlanningConfig,
    identity::{Visibility, access::visible_account_ids},
    planning::store::entity::tier_change,
    planning::{
        model::{CadenceKind, InteractionType, OverdueCadence, UpcomingKeyDate},
        rules::cadence,
    },
    platform::{db::Db, error::Result},
    segments::{model::SegmentFilter, store::directory::require_filter},
    teams::{model::TeamRole, store::holders_of_role},
};

/// Every overdue cadence of the visible accounts at `now`, most overdue first (then account, kind).
pub async fn overdue_cadence(
    db: &Db,
    visibility: Visibility,
    config: &PlanningConfig,
    now: DateTime<Utc>,
    tier: Option<Tier>,
    kind: Option<CadenceKind>,
) -> Result<Vec<OverdueCadence>> {
    let snapshot = db.snapshot().await?;
    let tiers: Vec<Tier> = Tier::ALL
        .iter()
        .copied()
        .filter(|t| config.cadence_of(*t).is_some() && tier.is_none_or(|wanted| wanted == *t))
        .collect();
    let visible = visible_account_ids(&snapshot, visibility).await?;
    let live: Vec<accounts::AccountSummary> = accounts::live_accounts_in_tiers(&snapshot, &tiers)
        .await?
        .into_iter()
        .filter(|a| visible.as_ref().is_none_or(|ids| ids.contains(&a.id)))
        .collect();
    let mut overdue = overdue_of(&snapshot, &live, config, now).await?;
    snapshot.commit().await?;
    overdue.retain(|o| kind.is_none_or(|wanted| wanted == o.kind));
    overdue.sort_by_key(|o| (Reverse(o.days_overdue), o.account_id, o.kind));
    Ok(overdue)
}

/// The overdue cadences of `live` accounts at `now`, in no particular order.
pub(super) async fn overdue_of(
    conn: &impl ConnectionTrait,
    live: &[accounts::AccountSummary],
    config: &PlanningConfig,
    now: DateTime<Utc>,
) -> Result<Vec<OverdueCadence>> {
    let visits = last_interaction_by_account(conn, Some(InteractionType::ExecutiveVisit), now).await?;
    let touches = last_interaction_by_account_and_staff(conn, now).await?;
    let managers = holders_of_role(conn, TeamRole::AccountManager).await?;
    // When each account entered its tier: its last tier change, else its creation.
    let entered: HashMap<Uuid, DateTime<Utc>> = tier_change::Entity::find()
        .select_only()
        .column(tier_change::Column::AccountId)
        .column_as(tier_change::Column::ChangeTime.max(), "entered")
        .filter(tier_change::Column::ChangeTime.lte(now))
        .group_by(tier_change::Column::AccountId)
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();

    let mut overdue = Vec::new();
    for account in live {
        let Some(policy) = config.cadence_of(account.tier) else {
            continue;
        };
        let since = entered.get(&account.id).copied().unwrap_or(account.create_time);
        let manager = managers.get(&account.id).copied();
        let checks = [
            (
                CadenceKind::ExecutiveVisitDue,
                policy.executive_visit_days,
                visits.get(&account.id).copied(),
            ),
            (
                CadenceKind::AccountManagerTouchDue,
                policy.touch_days,
                manager.and_then(|m| touches.get(&(account.id, m)).copied()),
            ),
        ];
        for (check, interval, last) in checks {
            let due = cadence::due_time(last, since, interval);
            if let Some(days) = cadence::days_overdue(due, now) {
                overdue.push(OverdueCadence {
                    account_id: account.id,
                    account_display_name: account.display_name.clone(),
                    tier: account.tier,
                    kind: check,
                    interval_days: interval,
                    last_time: last,
                    due_time: due,
                    days_overdue: days,
                    account_manager: (check == CadenceKind::AccountManagerTouchDue)
                        .then_some(manager)
                        .flatten(),
                });
            }
        }
    }
    Ok(overdue)
}

/// The key dates of the visible live accounts and of their active contacts falling in the `days` days
/// from `today`, soonest first.
pub async fn upcoming_key_dates(
    db: &Db,
    visibility: Visibility,
    account_id: Option<Uuid>,
    segments: &SegmentFilter,
    today: NaiveDate,
    days: u32,
) -> Result<Vec<UpcomingKeyDate>> {
    // The segments (each with everything below it): SEGMENT_NOT_FOUND for an unknown code.
    require_filter(db.conn(), segments).await?;
    let dates = accounts::key_dates(db.conn(), visibility, account_id, segments).await?;
    let mut upcoming: Vec<UpcomingKeyDate> = dates
        .into_iter()
        .filter_map(|date| {
            let (next, until, years) = cadence::next_key_date(&date.key_date, today, days)?;
            Some(UpcomingKeyDate {
                date,
                next_occurrence: next,
                days_until: until,
                years,
            })
        })
        .collect();
    // The account's own dates before its people's on the same day.
    upcoming.sort_by(|a, b| {
        let key = |u: &UpcomingKeyDate| {
            (
                u.days_until,
                u.date.account_display_name.clone(),
                u.date.contact.as_ref().map(|(_, name)| name.clone()),
            )
        };
        key(a).cmp(&key(b))
    });
    Ok(upcoming)
}
