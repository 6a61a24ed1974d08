//! The visit brief on the wire: each part converted as its own RPC converts it.

use kam_proto::v1 as pb;

use super::{
    action_to_proto, health_to_proto, interaction_to_proto, overdue_to_proto, plan_to_proto,
    upcoming_to_proto,
};
use crate::{
    accounts::convert::{account_to_proto, contact_to_proto},
    opportunities::convert::opportunity_to_proto,
    planning::model::{AccountBrief, RevenueTrend},
    platform::{error::FieldViolation, money::Money, wire::timestamp},
    service_levels::convert::request_to_proto,
    teams::convert::member_to_proto,
};

/// `horizon_days` of GetAccountBrief: 1..=366, 0 for the default 30.
pub fn brief_horizon(days: i32) -> Result<u32, FieldViolation> {
    match days {
        0 => Ok(30),
        1..=366 => Ok(days as u32),
        _ => Err(FieldViolation::new(
            "horizon_days",
            "must be within 1..=366 (0: 30)",
        )),
    }
}

pub fn brief_to_proto(brief: AccountBrief, currency: &str) -> pb::AccountBrief {
    let AccountBrief {
        account,
        read_time,
        horizon_days,
        team,
        key_people,
        key_dates,
        open_opportunities,
        open_service_requests,
        health,
        active_plans,
        actions_due,
        recent_interactions,
        overdue_cadence,
        revenue,
        truncated,
    } = brief;
    pb::AccountBrief {
        account: Some(account_to_proto(account)),
        read_time: Some(timestamp(read_time)),
        horizon_days: horizon_days as i32,
        team: team
            .into_iter()
            .map(|(member, full_name)| pb::BriefTeamMember {
                member: Some(member_to_proto(member)),
                full_name,
            })
            .collect(),
        key_people: key_people.into_iter().map(contact_to_proto).collect(),
        key_dates: key_dates.into_iter().map(upcoming_to_proto).collect(),
        open_opportunities: open_opportunities.into_iter().map(opportunity_to_proto).collect(),
        open_service_requests: open_service_requests.into_iter().map(request_to_proto).collect(),
        health: health.map(|(summary, health)| health_to_proto(summary, health, read_time)),
        active_plans: active_plans.into_iter().map(plan_to_proto).collect(),
        actions_due: actions_due.into_iter().map(action_to_proto).collect(),
        recent_interactions: recent_interactions
            .into_iter()
            .map(interaction_to_proto)
            .collect(),
        overdue_cadence: overdue_cadence.into_iter().map(overdue_to_proto).collect(),
        revenue: Some(revenue_trend_to_proto(&revenue, currency)),
        truncated: truncated.into_iter().map(str::to_owned).collect(),
    }
}

fn revenue_trend_to_proto(trend: &RevenueTrend, currency: &str) -> pb::RevenueTrend {
    let month = |period: i32| pb::Month {
        year: period / 100,
        month: period % 100,
    };
    pb::RevenueTrend {
        from_period: Some(month(trend.from)),
        to_period: Some(month(trend.to)),
        trailing_year: Some(Money::saturating(currency, trend.trailing_year).to_proto()),
        year_before: Some(Money::saturating(currency, trend.year_before).to_proto()),
        change_percent: trend.change_percent(),
    }
}
