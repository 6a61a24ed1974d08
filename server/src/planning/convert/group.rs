//! The group summary on the wire.

use kam_proto::v1 as pb;
use uuid::Uuid;

use crate::{
    planning::{
        model::{GroupMemberSummary, GroupSummary},
        rules::health::Health,
    },
    platform::{money::Money, wire::WireEnum, wire::timestamp},
    service_levels::store::Compliance,
};

pub fn group_summary_to_proto(summary: GroupSummary, currency: &str) -> pb::GroupSummary {
    let GroupSummary {
        account_id,
        display_name,
        top_account_id,
        members,
        truncated,
        revenue,
        previous_revenue,
        pipeline,
        compliance,
        health,
        members_missing_coverage,
        tiers,
        compute_time,
    } = summary;
    let money = |nanos: i128| Some(Money::saturating(currency, nanos).to_proto());
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let (health_score, health_level, health_signals) = match health {
        Some(Health {
            score,
            level,
            signals,
        }) => (
            score as i32,
            level.to_wire(),
            signals.into_iter().map(super::signal_to_proto).collect(),
        ),
        None => (0, 0, Vec::new()),
    };
    pb::GroupSummary {
        account_id: account_id.to_string(),
        account_display_name: display_name,
        top_account_id: top_account_id.to_string(),
        members: members
            .into_iter()
            .map(|m| member_to_proto(m, currency))
            .collect(),
        truncated,
        revenue: money(revenue),
        previous_revenue: money(previous_revenue),
        open_pipeline: pipeline
            .iter()
            .map(|p| pb::CurrencyAmount {
                currency_code: p.currency.clone(),
                count: p.count,
                amount: Some(Money::saturating(&p.currency, p.amount).to_proto()),
            })
            .collect(),
        weighted_pipeline: pipeline
            .iter()
            .map(|p| pb::CurrencyAmount {
                currency_code: p.currency.clone(),
                count: p.count,
                amount: Some(Money::saturating(&p.currency, p.weighted).to_proto()),
            })
            .collect(),
        sla_compliance: Some(compliance_to_proto(&compliance)),
        health_score,
        health_level,
        health_signals,
        members_missing_coverage: count(members_missing_coverage),
        tiers: tiers
            .into_iter()
            .map(|(tier, n)| pb::group_summary::TierCount {
                tier: tier.to_wire(),
                account_count: count(n),
            })
            .collect(),
        compute_time: Some(timestamp(compute_time)),
    }
}

fn member_to_proto(summary: GroupMemberSummary, currency: &str) -> pb::group_summary::Member {
    let GroupMemberSummary {
        member,
        revenue,
        health,
        missing_roles,
        missing_liaisons,
    } = summary;
    pb::group_summary::Member {
        account_id: member.id.to_string(),
        display_name: member.display_name,
        parent_account_id: member.parent.as_ref().map(Uuid::to_string).unwrap_or_default(),
        depth: i32::try_from(member.depth).unwrap_or(i32::MAX),
        tier: member.tier.to_wire(),
        lifecycle: member.lifecycle.to_wire(),
        industry_code: member.industry_code.unwrap_or_default(),
        region_code: member.region_code.unwrap_or_default(),
        revenue: Some(Money::saturating(currency, revenue).to_proto()),
        health_score: health.as_ref().map_or(0, |h| h.score as i32),
        health_level: health.as_ref().map_or(0, |h| h.level.to_wire()),
        missing_roles: missing_roles.into_iter().map(|r| r.to_wire()).collect(),
        missing_liaisons,
    }
}

fn compliance_to_proto(c: &Compliance) -> pb::SlaCompliance {
    pb::SlaCompliance {
        met: c.met(),
        breached: c.breached(),
        percent_met: c.percent_met(),
        first_response_met: c.first_response_met,
        first_response_breached: c.first_response_breached,
        resolution_met: c.resolution_met,
        resolution_breached: c.resolution_breached,
        mean_first_response_minutes: c.mean_first_response_minutes(),
        first_responses: c.first_responses,
        mean_resolution_minutes: c.mean_resolution_minutes(),
        resolutions: c.resolutions,
    }
}
