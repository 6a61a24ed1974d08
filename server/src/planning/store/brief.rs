//! The visit brief: one account seen from every area at once. Each part is the read its own RPC makes
//! for the account (the same visibility, the same rules), run side by side once the account is known
//! to be visible, so the brief costs about its slowest part rather than their sum.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{
    actions::list_actions, contact_calendar::overdue_of, contact_calendar::upcoming_key_dates,
    health::HealthScope, health::assess_accounts, interactions::list_interactions, plans::list_plans,
    revenue::account_revenue,
};
use crate::{
    accounts::{
        model::{BuyingRole, Contact, ContactFilter, ContactOrder},
        store as accounts,
    },
    config::PlanningConfig,
    identity::Visibility,
    opportunities::{
        model::{Opportunity, OpportunityFilter, OpportunityOrder},
        store as opportunities,
    },
    planning::{
        model::{AccountBrief, ActionFilter, InteractionFilter, PlanFilter, RevenueTrend},
        rules::plans::PlanStatus,
        rules::tiering::{RevenueWindows, revenue_windows},
    },
    platform::{db::Db, error::Result, paging::Page},
    segments::model::SegmentFilter,
    service_levels::{
        model::{RequestFilter, RequestOrder},
        store as service_levels,
    },
    teams::{
        model::{MemberScope, TeamMember, TeamRole},
        store as teams,
    },
};

/// How many of each list a brief shows.
const KEY_PEOPLE: usize = 100;
/// Contacts read to choose the key people from: those who decide come first whatever their names.
const CONTACTS_READ: u64 = 1000;
const OPEN_OPPORTUNITIES: usize = 50;
/// Open opportunities read to choose the soonest closing from.
const OPPORTUNITIES_READ: u64 = 500;
const OPEN_REQUESTS: u64 = 50;
const ACTIONS_DUE: u64 = 50;
const RECENT_INTERACTIONS: u64 = 10;
const TEAM_SEATS: u64 = 200;
const ACTIVE_PLANS: u64 = 10;

/// The brief of `account_id` at `now`, looking `horizon_days` ahead.
pub async fn account_brief(
    db: &Db,
    visibility: Visibility,
    config: &PlanningConfig,
    account_id: Uuid,
    now: DateTime<Utc>,
    horizon_days: u32,
) -> Result<AccountBrief> {
    // Visibility and existence first: PERMISSION_DENIED the same for a hidden and a missing account.
    let account = accounts::get_account(db, visibility, account_id).await?;
    let live = account.delete_time.is_none();
    let today = now.date_naive();
    let horizon_end = today + Duration::days(i64::from(horizon_days));
    let mut truncated = Vec::new();

    let open_requests = RequestFilter {
        account_id: Some(account_id),
        open_only: true,
        ..RequestFilter::default()
    };
    let active_plans = PlanFilter {
        account_id: Some(account_id),
        status: Some(PlanStatus::Active),
        segments: SegmentFilter::default(),
    };
    let actions_due = ActionFilter {
        account_id: Some(account_id),
        // Open, and due by the horizon's last day (overdue ones included).
        overdue_on: Some(horizon_end + Duration::days(1)),
        by_due_date: true,
        ..ActionFilter::default()
    };
    let its_interactions = InteractionFilter {
        account_id: Some(account_id),
        ..InteractionFilter::default()
    };
    let all_segments = SegmentFilter::default();
    let (team, people, key_dates, deals, requests, health, plans, actions, interactions, revenue) = tokio::try_join!(
        team_of(db, visibility, account_id),
        key_people_of(db, visibility, account_id),
        upcoming_key_dates(
            db,
            visibility,
            Some(account_id),
            &all_segments,
            today,
            horizon_days
        ),
        open_opportunities_of(db, visibility, account_id),
        service_levels::list_requests(
            db,
            visibility,
            &open_requests,
            RequestOrder::ResolutionDue,
            OPEN_REQUESTS,
            None
        ),
        health_of(db, visibility, config, account_id, live, now),
        list_plans(db, visibility, &active_plans, ACTIVE_PLANS, None),
        list_actions(db, visibility, &actions_due, ACTIONS_DUE, None),
        list_interactions(db, visibility, &its_interactions, RECENT_INTERACTIONS, None),
        revenue_trend(db, config, account_id, now),
    )?;

    let (key_people, more_people) = people;
    let (open_opportunities, more_deals) = deals;
    let (health, overdue_cadence) = health;
    for (more, name) in [
        (more_people, "key_people"),
        (more_deals, "open_opportunities"),
        (requests.next.is_some(), "open_service_requests"),
        (actions.next.is_some(), "actions_due"),
    ] {
        if more {
            truncated.push(name);
        }
    }
    Ok(AccountBrief {
        account,
        read_time: now,
        horizon_days,
        team,
        key_people,
        key_dates,
        open_opportunities,
        open_service_requests: requests.items,
        health,
        active_plans: plans.items,
        actions_due: actions.items,
        recent_interactions: interactions.items,
        overdue_cadence,
        revenue,
        truncated,
    })
}

/// The active seats by role (sponsor, account manager, …), then name, with their people's names.
async fn team_of(db: &Db, visibility: Visibility, account_id: Uuid) -> Result<Vec<(TeamMember, String)>> {
    let Page { items: seats, .. } = teams::list_members(
        db,
        visibility,
        MemberScope::Account(account_id),
        false,
        TEAM_SEATS,
        None,
    )
    .await?;
    let ids: Vec<Uuid> = seats.iter().map(|seat| seat.staff_id).collect();
    let names = teams::staff_refs(db.conn(), &ids).await?;
    let mut team: Vec<(TeamMember, String)> = seats
        .into_iter()
        .map(|seat| {
            let name = names
                .get(&seat.staff_id)
                .map(|s| s.full_name.clone())
                .unwrap_or_default();
            (seat, name)
        })
        .collect();
    let rank = |role: TeamRole| TeamRole::ALL.iter().position(|r| *r == role);
    team.sort_by(|(a, a_name), (b, b_name)| (rank(a.role), a_name).cmp(&(rank(b.role), b_name)));
    Ok(team)
}

/// Whose word counts most, for ordering the key people.
fn buying_role_rank(role: BuyingRole) -> u8 {
    match role {
        BuyingRole::DecisionMaker => 0,
        BuyingRole::Champion => 1,
        BuyingRole::Influencer => 2,
        BuyingRole::Gatekeeper => 3,
        BuyingRole::User => 4,
        BuyingRole::Unassessed => 5,
    }
}

/// The active contacts, those who decide first, then by name; and whether there were more.
async fn key_people_of(db: &Db, visibility: Visibility, account_id: Uuid) -> Result<(Vec<Contact>, bool)> {
    let Page {
        items: mut people,
        next,
    } = accounts::list_contacts(
        db,
        visibility,
        &ContactFilter {
            account_id: Some(account_id),
            ..ContactFilter::default()
        },
        ContactOrder::FullName(crate::platform::paging::Direction::Ascending),
        CONTACTS_READ,
        None,
    )
    .await?;
    // Stable: names stay in order within a role.
    people.sort_by_key(|c| buying_role_rank(c.fields.buying_role));
    let more = next.is_some() || people.len() > KEY_PEOPLE;
    people.truncate(KEY_PEOPLE);
    Ok((people, more))
}

/// The open opportunities, soonest expected close first (those without a date last); and whether
/// there were more.
async fn open_opportunities_of(
    db: &Db,
    visibility: Visibility,
    account_id: Uuid,
) -> Result<(Vec<Opportunity>, bool)> {
    let Page {
        items: mut deals,
        next,
    } = opportunities::list_opportunities(
        db,
        visibility,
        &OpportunityFilter {
            account_id: Some(account_id),
            open_only: true,
            ..OpportunityFilter::default()
        },
        OpportunityOrder::Id,
        OPPORTUNITIES_READ,
        None,
    )
    .await?;
    deals.sort_by_key(|deal| {
        (
            deal.deal.expected_close_date.is_none(),
            deal.deal.expected_close_date,
        )
    });
    let more = next.is_some() || deals.len() > OPEN_OPPORTUNITIES;
    deals.truncate(OPEN_OPPORTUNITIES);
    Ok((deals, more))
}

type HealthPart = (
    Option<(accounts::AccountSummary, crate::planning::rules::health::Health)>,
    Vec<crate::planning::model::OverdueCadence>,
);

/// The account's health and its overdue cadences; neither for a deleted account.
async fn health_of(
    db: &Db,
    visibility: Visibility,
    config: &PlanningConfig,
    account_id: Uuid,
    live: bool,
    now: DateTime<Utc>,
) -> Result<HealthPart> {
    if !live {
        return Ok((None, Vec::new()));
    }
    let scope = HealthScope {
        account_id: Some(account_id),
        tier: None,
        visibility,
    };
    let Some((summary, health)) = assess_accounts(db, &scope, config, now).await?.pop() else {
        // Deleted between the two reads.
        return Ok((None, Vec::new()));
    };
    let mut overdue = overdue_of(db.conn(), std::slice::from_ref(&summary), config, now).await?;
    overdue.sort_by_key(|o| (std::cmp::Reverse(o.days_overdue), o.kind));
    Ok((Some((summary, health)), overdue))
}

/// Revenue of the trailing year as the tier ranking counts it, against the year before.
async fn revenue_trend(
    db: &Db,
    config: &PlanningConfig,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<RevenueTrend> {
    let RevenueWindows { trailing, previous } = revenue_windows(now);
    let currency = &config.reporting_currency;
    let (trailing_year, year_before) = tokio::try_join!(
        account_revenue(db.conn(), account_id, trailing, currency),
        account_revenue(db.conn(), account_id, previous, currency),
    )?;
    Ok(RevenueTrend {
        from: trailing.0,
        to: trailing.1,
        trailing_year,
        year_before,
    })
}
