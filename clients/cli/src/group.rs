//! `kamctl group <ACCOUNT_ID>`: a group company as one customer (kam.v1.PlanningService.GetGroupSummary):
//! its members as a tree with tier, revenue and health, then the group's totals: revenue against the
//! year before, open pipeline per currency, SLA compliance, the health of its weakest member with the
//! signals (each naming the member it comes from), coverage gaps and tier counts.

use clap::Args;
use kam_proto::v1::{
    GetGroupSummaryRequest, GroupSummary, Lifecycle, Money, TeamRole, Tier, account_health, health_signal,
};

use crate::Global;
use crate::client;
use crate::enums;
use crate::error::Error;
use crate::money::{self, format_optional};
use crate::output::{self, Render, Table, key_values};

#[derive(Debug, Args)]
pub struct GroupArgs {
    /// An account of the group; the summary covers it and every live account below it.
    #[arg(value_name = "ACCOUNT_ID")]
    id: String,
}

pub async fn run(args: GroupArgs, global: &Global) -> Result<(), Error> {
    let request = GetGroupSummaryRequest { account_id: args.id };
    let summary = client::planning(global)
        .await?
        .get_group_summary(request)
        .await?
        .into_inner();
    Ok(output::print(&summary, global.json)?)
}

/// `+12.5%`: the change from `previous` to `current` in percent, to a tenth, exact (integer arithmetic,
/// rounded half away from zero); `None` when the amounts are in different currencies or there was
/// nothing before.
pub fn change_percent(current: &Money, previous: &Money) -> Option<String> {
    let (now, before) = (money::total_nanos(current), money::total_nanos(previous));
    if before == 0 || (current.currency_code != previous.currency_code && now != 0) {
        return None;
    }
    // Tenths of a percent.
    let scaled = (now - before).checked_mul(1000)?;
    let magnitude = (scaled.abs() + before.abs() / 2) / before.abs();
    let sign = if (scaled < 0) != (before < 0) && magnitude != 0 {
        "-"
    } else {
        "+"
    };
    Some(format!("{sign}{}.{}%", magnitude / 10, magnitude % 10))
}

fn health_cell(score: i32, level: i32) -> String {
    if level == 0 && score == 0 {
        return String::new();
    }
    format!("{score} {}", enums::name::<account_health::Level>(level))
}

fn members(summary: &GroupSummary) -> String {
    let mut table = Table::new(&[
        "ACCOUNT",
        "ID",
        "TIER",
        "LIFECYCLE",
        "REVENUE",
        "HEALTH",
        "MISSING",
    ]);
    table.align_right(&[4]);
    for member in &summary.members {
        let indent = "  ".repeat(usize::try_from(member.depth).unwrap_or(0));
        let mut missing: Vec<String> = member
            .missing_roles
            .iter()
            .map(|&role| enums::name::<TeamRole>(role))
            .collect();
        missing.extend(
            member
                .missing_liaisons
                .iter()
                .map(|code| format!("liaison {code}")),
        );
        table.push(vec![
            format!("{indent}{}", member.display_name),
            member.account_id.clone(),
            enums::name::<Tier>(member.tier),
            enums::name::<Lifecycle>(member.lifecycle),
            format_optional(member.revenue.as_ref()),
            health_cell(member.health_score, member.health_level),
            missing.join(", "),
        ]);
    }
    let mut text = table.render();
    if summary.truncated {
        text.push_str(&format!(
            "(more members than shown: the first {})\n",
            summary.members.len()
        ));
    }
    text
}

fn amounts(list: &[kam_proto::v1::CurrencyAmount]) -> String {
    let lines = money::format_amounts(list);
    if lines.is_empty() {
        "none".to_owned()
    } else {
        lines.join("\n")
    }
}

fn totals(summary: &GroupSummary) -> String {
    let revenue = format_optional(summary.revenue.as_ref());
    let previous = format_optional(summary.previous_revenue.as_ref());
    let change = match (&summary.revenue, &summary.previous_revenue) {
        (Some(now), Some(before)) => change_percent(now, before),
        _ => None,
    };
    let revenue_line = match change {
        Some(change) => format!("{revenue} (previous 12 months {previous}, {change})"),
        None => format!("{revenue} (previous 12 months {previous})"),
    };
    let sla = summary.sla_compliance.as_ref().map_or_else(
        || "none".to_owned(),
        |sla| {
            if sla.met + sla.breached == 0 {
                "no targets due in the last 90 days".to_owned()
            } else {
                format!(
                    "{:.1}% met ({} met, {} breached) in the last 90 days",
                    sla.percent_met, sla.met, sla.breached
                )
            }
        },
    );
    let tiers = summary
        .tiers
        .iter()
        .map(|count| format!("{} {}", enums::name::<Tier>(count.tier), count.account_count))
        .collect::<Vec<_>>()
        .join(", ");
    key_values(&[
        ("revenue", revenue_line),
        ("open_pipeline", amounts(&summary.open_pipeline)),
        ("weighted_pipeline", amounts(&summary.weighted_pipeline)),
        ("sla_compliance", sla),
        ("health", health_cell(summary.health_score, summary.health_level)),
        (
            "coverage_gaps",
            output::count(summary.members_missing_coverage, "member", "members"),
        ),
        ("tiers", tiers),
        ("compute_time", output::timestamp(summary.compute_time.as_ref())),
    ])
}

fn signals(summary: &GroupSummary) -> String {
    if summary.health_signals.is_empty() {
        return "(none)\n".to_owned();
    }
    let mut table = Table::new(&["SIGNAL", "TRIGGERED", "PENALTY", "EVIDENCE"]);
    table.align_right(&[2]);
    let mut list: Vec<_> = summary.health_signals.iter().collect();
    list.sort_by_key(|signal| !signal.triggered);
    for signal in list {
        table.push(vec![
            enums::name::<health_signal::Kind>(signal.kind),
            output::yes_no(signal.triggered),
            signal.penalty.to_string(),
            signal.evidence.split_whitespace().collect::<Vec<_>>().join(" "),
        ]);
    }
    table.render()
}

impl Render for GroupSummary {
    fn human(&self) -> String {
        let mut text = format!("Group of {} ({})\n", self.account_display_name, self.account_id);
        if !self.top_account_id.is_empty() && self.top_account_id != self.account_id {
            text.push_str(&format!("top of the hierarchy: {}\n", self.top_account_id));
        }
        text.push_str(&format!("\n== Members ({}) ==\n", self.members.len()));
        text.push_str(&members(self));
        text.push_str("\n== Totals ==\n");
        text.push_str(&totals(self));
        text.push_str("\n== Health signals ==\n");
        text.push_str(&signals(self));
        text
    }
}

#[cfg(test)]
mod tests {
    use kam_proto::v1::{CurrencyAmount, HealthSignal, SlaCompliance, group_summary};

    use super::*;

    fn eur(units: i64, nanos: i32) -> Money {
        Money {
            currency_code: "EUR".into(),
            units,
            nanos,
        }
    }

    #[test]
    fn change_is_exact_to_a_tenth_of_a_percent() {
        assert_eq!(
            change_percent(&eur(1125, 0), &eur(1000, 0)).as_deref(),
            Some("+12.5%")
        );
        assert_eq!(
            change_percent(&eur(900, 0), &eur(1000, 0)).as_deref(),
            Some("-10.0%")
        );
        assert_eq!(
            change_percent(&eur(1000, 0), &eur(1000, 0)).as_deref(),
            Some("+0.0%")
        );
        assert_eq!(change_percent(&eur(2, 0), &eur(3, 0)).as_deref(), Some("-33.3%"));
        assert_eq!(change_percent(&eur(1, 0), &eur(0, 0)), None);
    }

    #[test]
    fn members_are_a_tree_and_totals_exact() {
        let summary = GroupSummary {
            account_id: "a1".into(),
            account_display_name: "Sinopec".into(),
            top_account_id: "a1".into(),
            members: vec![
                group_summary::Member {
                    account_id: "a1".into(),
                    display_name: "Sinopec".into(),
                    depth: 0,
                    tier: Tier::Strategic as i32,
                    revenue: Some(eur(1000, 500_000_000)),
                    health_score: 55,
                    health_level: account_health::Level::AtRisk as i32,
                    missing_roles: vec![TeamRole::ExecutiveSponsor as i32],
                    ..Default::default()
                },
                group_summary::Member {
                    account_id: "a2".into(),
                    display_name: "Sinopec Shanghai".into(),
                    parent_account_id: "a1".into(),
                    depth: 1,
                    tier: Tier::Key as i32,
                    revenue: Some(eur(20, 0)),
                    health_score: 90,
                    health_level: account_health::Level::Healthy as i32,
                    ..Default::default()
                },
            ],
            revenue: Some(eur(1020, 500_000_000)),
            previous_revenue: Some(eur(1000, 0)),
            open_pipeline: vec![CurrencyAmount {
                count: 1,
                currency_code: "EUR".into(),
                amount: Some(eur(125_000, 500_000_000)),
            }],
            sla_compliance: Some(SlaCompliance {
                met: 3,
                breached: 1,
                percent_met: 75.0,
                ..Default::default()
            }),
            health_score: 55,
            health_level: account_health::Level::AtRisk as i32,
            health_signals: vec![HealthSignal {
                kind: health_signal::Kind::SlaBreaches as i32,
                triggered: true,
                penalty: 20,
                evidence: "Sinopec: 1 breach".into(),
                ..Default::default()
            }],
            members_missing_coverage: 1,
            tiers: vec![group_summary::TierCount {
                tier: Tier::Strategic as i32,
                account_count: 1,
            }],
            ..Default::default()
        };
        let text = summary.human();
        assert!(text.contains("\n  Sinopec Shanghai  a2  KEY"), "{text}");
        assert!(
            text.contains("1000.50 EUR  55 AT_RISK  EXECUTIVE_SPONSOR"),
            "{text}"
        );
        assert!(
            text.contains("1020.50 EUR (previous 12 months 1000.00 EUR, +2.1%)"),
            "{text}"
        );
        assert!(text.contains("open_pipeline:     125000.50 EUR"), "{text}");
        assert!(text.contains("75.0% met (3 met, 1 breached)"), "{text}");
        assert!(text.contains("coverage_gaps:     1 member\n"), "{text}");
        assert!(
            text.contains("SLA_BREACHES  yes             20  Sinopec: 1 breach"),
            "{text}"
        );
    }
}
