//! `kamctl brief <ACCOUNT_ID>`: everything to read before visiting an account, in one call
//! (kam.v1.PlanningService.GetAccountBrief): the team, the key people and the dates coming up, the deals
//! in play, the open service requests and their SLA clocks, the health and its signals, the active
//! plan and the actions due, the last interactions and their next steps, the cadences missed, and the
//! revenue trend. People read one section under a heading each; `--json` prints the brief as the
//! server sent it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use kam_proto::v1::{
    AccountBrief, AccountHealth, AccountPlan, Attitude, BuyingRole, CadenceKind, Contact, Date,
    GetAccountBriefRequest, KeyDateKind, Lifecycle, Month, PlanAction, Priority, RadStatus,
    RelationshipStage, RevenueTrend, SlaTarget, TeamRole, Tier, UpcomingKeyDate, account_health,
    account_plan, health_signal, interaction, plan_action, service_request, sla_target,
};

use crate::Global;
use crate::accounts::format_date;
use crate::client;
use crate::enums;
use crate::error::Error;
use crate::money::format_optional;
use crate::output::{self, Render, Table, key_values};

#[derive(Debug, Args)]
pub struct BriefArgs {
    /// The account id.
    #[arg(value_name = "ACCOUNT_ID")]
    id: String,

    /// How far ahead key dates and plan actions are shown, in days (1-366) [default: 30].
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(i32).range(1..=366))]
    horizon: Option<i32>,
}

pub async fn run(args: BriefArgs, global: &Global) -> Result<(), Error> {
    let request = GetAccountBriefRequest {
        account_id: args.id,
        horizon_days: args.horizon.unwrap_or_default(),
    };
    let brief = client::planning(global)
        .await?
        .get_account_brief(request)
        .await?
        .into_inner();
    Ok(output::print(&brief, global.json)?)
}

/// Free text in a table cell (titles, next steps) is cut to this many characters.
const CELL_WIDTH: usize = 60;

/// Free text on a line of its own (an interaction's summary, outcome, next step) is cut to this many.
const LINE_WIDTH: usize = 160;

impl Render for AccountBrief {
    fn human(&self) -> String {
        let names = staff_names(self);
        let today = self.read_time.as_ref().and_then(|time| {
            DateTime::<Utc>::try_from(*time)
                .ok()
                .map(|time| time.date_naive())
        });
        let mut text = header(self);
        let mut section = |title: String, body: String| {
            text.push('\n');
            text.push_str(&format!("== {title} ==\n"));
            text.push_str(&body);
        };
        section("Health".into(), health(self.health.as_ref()));
        section("Revenue".into(), revenue(self.revenue.as_ref()));
        section(counted("Team", self.team.len()), team(self));
        section(
            counted("Key people", self.key_people.len()),
            key_people(&self.key_people),
        );
        section(
            format!(
                "Key dates, next {} days ({})",
                self.horizon_days,
                self.key_dates.len()
            ),
            key_dates(&self.key_dates),
        );
        section(
            counted("Open opportunities", self.open_opportunities.len()),
            opportunities(self, &names),
        );
        section(
            counted("Open service requests", self.open_service_requests.len()),
            service_requests(self, &names),
        );
        section(
            counted("Active plan", self.active_plans.len()),
            plans(&self.active_plans),
        );
        section(
            format!(
                "Actions overdue or due within {} days ({})",
                self.horizon_days,
                self.actions_due.len()
            ),
            actions(&self.actions_due, &names, today),
        );
        section(
            counted("Recent interactions", self.recent_interactions.len()),
            interactions(self, &names),
        );
        section(
            counted("Cadence overdue", self.overdue_cadence.len()),
            cadence(self),
        );
        if !self.truncated.is_empty() {
            text.push_str(&format!(
                "\nmore than shown: {} (see the lists of their own commands)\n",
                self.truncated.join(", ")
            ));
        }
        text
    }
}

/// The account's name and id, its standing, and when the brief was read.
fn header(brief: &AccountBrief) -> String {
    let Some(account) = &brief.account else {
        return "Visit brief\n".to_owned();
    };
    let mut text = format!("Visit brief: {} ({})\n", account.display_name, account.id);
    let mut facts = vec![
        ("tier", enums::name::<Tier>(account.tier)),
        ("lifecycle", enums::name::<Lifecycle>(account.lifecycle)),
        (
            "relationship",
            enums::name::<RelationshipStage>(account.relationship_stage),
        ),
        ("rad_status", enums::name::<RadStatus>(account.rad_status)),
    ];
    for (key, value) in [
        ("legal_name", &account.legal_name),
        ("industry", &account.industry),
        ("region", &account.region),
    ] {
        if !value.is_empty() {
            facts.push((key, value.clone()));
        }
    }
    if account.delete_time.is_some() {
        facts.push(("deleted", output::timestamp(account.delete_time.as_ref())));
    }
    facts.push(("read_time", output::timestamp(brief.read_time.as_ref())));
    facts.push(("horizon", format!("{} days", brief.horizon_days)));
    text.push_str(&key_values(&facts));
    text
}

/// `Team (3)`.
fn counted(title: &str, count: usize) -> String {
    format!("{title} ({count})")
}

/// What an empty section says.
const NONE: &str = "(none)\n";

/// Staff names by id, from the team: owners, assignees and participants are shown by name when they
/// are on the team, by id otherwise.
fn staff_names(brief: &AccountBrief) -> HashMap<&str, &str> {
    brief
        .team
        .iter()
        .filter_map(|seat| {
            let member = seat.member.as_ref()?;
            (!seat.full_name.is_empty()).then_some((member.staff_id.as_str(), seat.full_name.as_str()))
        })
        .collect()
}

fn name_of(names: &HashMap<&str, &str>, staff_id: &str) -> String {
    names
        .get(staff_id)
        .map_or_else(|| staff_id.to_owned(), |name| (*name).to_owned())
}

/// The text on one line: runs of spaces and line breaks become one space.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`flat`], and at most `width` characters: a longer text ends in `…`.
fn one_line(text: &str, width: usize) -> String {
    let flat = flat(text);
    if flat.chars().count() <= width {
        return flat;
    }
    let cut: String = flat.chars().take(width - 1).collect();
    format!("{}…", cut.trim_end())
}

/// `2026-12-01 14:05Z`: a time to the minute, in UTC.
fn minute(time: Option<&kam_proto::pbjson_types::Timestamp>) -> String {
    let Some(&time) = time else {
        return String::new();
    };
    DateTime::<Utc>::try_from(time).map_or_else(
        |_| output::timestamp(Some(&time)),
        |time| time.format("%Y-%m-%d %H:%MZ").to_string(),
    )
}

fn date(date: Option<&Date>) -> String {
    date.map(format_date).unwrap_or_default()
}

fn month(month: Option<&Month>) -> String {
    month.map_or_else(String::new, |month| {
        format!("{:04}-{:02}", month.year, month.month)
    })
}

/// The date part of a timestamp, `YYYY-MM-DD` (UTC).
fn day_of(time: Option<&kam_proto::pbjson_types::Timestamp>) -> String {
    output::timestamp(time).chars().take(10).collect()
}

fn health(health: Option<&AccountHealth>) -> String {
    let Some(health) = health else {
        return "no health: the account is deleted\n".to_owned();
    };
    let mut text = key_values(&[
        (
            "score",
            format!(
                "{}/100  {}  {}",
                health.score,
                enums::name::<account_health::Level>(health.level),
                output::bar(i128::from(health.score), 100, 20)
            )
            .trim_end()
            .to_owned(),
        ),
        ("compute_time", output::timestamp(health.compute_time.as_ref())),
    ]);
    let mut table = Table::new(&["SIGNAL", "TRIGGERED", "PENALTY", "EVIDENCE"]);
    table.align_right(&[2]);
    // Those that trigger first, as they are what the visit is about.
    let mut signals: Vec<_> = health.signals.iter().collect();
    signals.sort_by_key(|signal| !signal.triggered);
    for signal in signals {
        table.push(vec![
            enums::name::<health_signal::Kind>(signal.kind),
            output::yes_no(signal.triggered),
            format!("{}/{}", signal.penalty, signal.weight),
            flat(&signal.evidence),
        ]);
    }
    text.push_str(&table.render());
    text
}

fn revenue(revenue: Option<&RevenueTrend>) -> String {
    let Some(revenue) = revenue else {
        return NONE.to_owned();
    };
    let change = match revenue.change_percent {
        Some(percent) => format!("{percent:+}%"),
        None => "none to compare: no revenue the year before".to_owned(),
    };
    key_values(&[
        (
            "trailing_year",
            format!(
                "{}  ({} to {})",
                format_optional(revenue.trailing_year.as_ref()),
                month(revenue.from_period.as_ref()),
                month(revenue.to_period.as_ref())
            ),
        ),
        ("year_before", format_optional(revenue.year_before.as_ref())),
        ("change", change),
    ])
}

fn team(brief: &AccountBrief) -> String {
    if brief.team.is_empty() {
        return NONE.to_owned();
    }
    let mut table = Table::new(&["ROLE", "NAME", "LIAISON", "SINCE", "STAFF"]);
    for seat in &brief.team {
        let member = seat.member.clone().unwrap_or_default();
        table.push(vec![
            enums::name::<TeamRole>(member.role),
            seat.full_name.clone(),
            if member.is_department_liaison {
                member.department_id.clone()
            } else {
                String::new()
            },
            day_of(member.start_time.as_ref()),
            member.staff_id,
        ]);
    }
    table.render()
}

/// `MA-`: which of Money, Authority and Need the person holds.
fn man(contact: &Contact) -> String {
    let man = contact.man.unwrap_or_default();
    [
        (man.has_money, 'M'),
        (man.has_authority, 'A'),
        (man.has_need, 'N'),
    ]
    .iter()
    .map(|&(held, letter)| if held { letter } else { '-' })
    .collect()
}

fn key_people(contacts: &[Contact]) -> String {
    if contacts.is_empty() {
        return NONE.to_owned();
    }
    let mut table = Table::new(&["NAME", "TITLE", "BUYING ROLE", "MAN", "ATTITUDE", "STRENGTH"]);
    for contact in contacts {
        table.push(vec![
            contact.full_name.clone(),
            contact.title.clone(),
            optional_name::<BuyingRole>(contact.buying_role),
            man(contact),
            optional_name::<Attitude>(contact.attitude),
            if contact.relationship_strength == 0 {
                String::new()
            } else {
                format!("{}/5", contact.relationship_strength)
            },
        ]);
    }
    let mut text = table.render();
    text.push_str("(MAN: Money, Authority, Need held; - not)\n");
    text
}

/// An enum's name, or "" for UNSPECIFIED (not assessed).
fn optional_name<E: enums::ProtoEnum>(value: i32) -> String {
    if value == 0 {
        String::new()
    } else {
        enums::name::<E>(value)
    }
}

/// `today`, `tomorrow`, `in 12 days`.
fn days_until(days: i32) -> String {
    match days {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        days => format!("in {days} days"),
    }
}

fn key_dates(key_dates: &[UpcomingKeyDate]) -> String {
    if key_dates.is_empty() {
        return NONE.to_owned();
    }
    let mut table = Table::new(&["DATE", "WHEN", "WHOSE", "KIND", "LABEL", "MARKS"]);
    for key_date in key_dates {
        let whose = if key_date.contact_id.is_empty() {
            "the account".to_owned()
        } else {
            key_date.contact_full_name.clone()
        };
        let marks = if key_date.one_time {
            "once".to_owned()
        } else if key_date.years > 0 {
            format!("{} years", key_date.years)
        } else {
            String::new()
        };
        table.push(vec![
            date(key_date.next_occurrence.as_ref()),
            days_until(key_date.days_until),
            whose,
            enums::name::<KeyDateKind>(key_date.kind),
            key_date.label.clone(),
            marks,
        ]);
    }
    table.render()
}

fn opportunities(brief: &AccountBrief, names: &HashMap<&str, &str>) -> String {
    if brief.open_opportunities.is_empty() {
        return NONE.to_owned();
    }
    let mut table = Table::new(&["NAME", "STAGE", "AMOUNT", "PROB", "CLOSE", "OWNER", "NEXT STEP"]);
    table.align_right(&[2, 3]);
    for opportunity in &brief.open_opportunities {
        let probability = opportunity
            .probability_override
            .unwrap_or(opportunity.probability);
        table.push(vec![
            opportunity.display_name.clone(),
            opportunity.stage.clone(),
            format_optional(opportunity.amount.as_ref()),
            format!("{probability}%"),
            date(opportunity.expected_close_date.as_ref()),
            name_of(names, &opportunity.owner_staff_id),
            one_line(&opportunity.next_step, CELL_WIDTH),
        ]);
    }
    table.render()
}

/// `AT_RISK 2026-12-01 10:00Z`: a target's state and when it is due.
fn target(target: Option<&SlaTarget>) -> String {
    let Some(target) = target else {
        return String::new();
    };
    if target.state == 0 {
        return String::new();
    }
    format!(
        "{} {}",
        enums::name::<sla_target::State>(target.state),
        minute(target.due_time.as_ref())
    )
    .trim_end()
    .to_owned()
}

fn service_requests(brief: &AccountBrief, names: &HashMap<&str, &str>) -> String {
    if brief.open_service_requests.is_empty() {
        return NONE.to_owned();
    }
    let mut table = Table::new(&[
        "PRIORITY",
        "TITLE",
        "STATUS",
        "ASSIGNEE",
        "FIRST RESPONSE",
        "RESOLUTION",
    ]);
    for request in &brief.open_service_requests {
        table.push(vec![
            enums::name::<Priority>(request.priority),
            one_line(&request.title, CELL_WIDTH),
            enums::name::<service_request::Status>(request.status),
            if request.assignee_staff_id.is_empty() {
                String::new()
            } else {
                name_of(names, &request.assignee_staff_id)
            },
            target(request.first_response.as_ref()),
            target(request.resolution.as_ref()),
        ]);
    }
    table.render()
}

fn plans(plans: &[AccountPlan]) -> String {
    if plans.is_empty() {
        return "no ACTIVE plan\n".to_owned();
    }
    let mut text = String::new();
    for plan in plans {
        let mut facts = vec![
            ("plan", format!("{} ({})", plan.name, plan.id)),
            ("status", enums::name::<account_plan::Status>(plan.status)),
            (
                "period",
                format!(
                    "{} to {}",
                    date(plan.period_start.as_ref()),
                    date(plan.period_end.as_ref())
                ),
            ),
        ];
        if plan.revenue_target.is_some() {
            facts.push(("revenue_target", format_optional(plan.revenue_target.as_ref())));
        }
        if !plan.vision.is_empty() {
            facts.push(("vision", plan.vision.clone()));
        }
        text.push_str(&key_values(&facts));
        if plan.objectives.is_empty() {
            continue;
        }
        let mut table = Table::new(&["OBJECTIVE", "CURRENT", "TARGET", "DUE"]);
        table.align_right(&[1, 2]);
        for objective in &plan.objectives {
            table.push(vec![
                objective.metric.clone(),
                objective.current_value.to_string(),
                objective.target_value.to_string(),
                date(objective.due_date.as_ref()),
            ]);
        }
        text.push_str(&table.render());
    }
    text
}

fn actions(actions: &[PlanAction], names: &HashMap<&str, &str>, today: Option<NaiveDate>) -> String {
    if actions.is_empty() {
        return NONE.to_owned();
    }
    let mut table = Table::new(&["DUE", "", "TITLE", "STATUS", "OWNER"]);
    for action in actions {
        let due = action.due_date.as_ref().and_then(|due| {
            NaiveDate::from_ymd_opt(due.year, due.month.try_into().ok()?, due.day.try_into().ok()?)
        });
        let overdue = matches!((due, today), (Some(due), Some(today)) if due < today);
        table.push(vec![
            date(action.due_date.as_ref()),
            if overdue { "OVERDUE" } else { "" }.to_owned(),
            one_line(&action.title, CELL_WIDTH),
            enums::name::<plan_action::Status>(action.status),
            if action.owner_staff_id.is_empty() {
                String::new()
            } else {
                name_of(names, &action.owner_staff_id)
            },
        ]);
    }
    table.render()
}

/// The name of an interaction type (kamctl has no flag taking one).
fn interaction_type(value: i32) -> String {
    interaction::Type::try_from(value)
        .map_or_else(|_| value.to_string(), |kind| kind.as_str_name().to_owned())
}

fn interactions(brief: &AccountBrief, names: &HashMap<&str, &str>) -> String {
    if brief.recent_interactions.is_empty() {
        return NONE.to_owned();
    }
    let mut text = String::new();
    for interaction in &brief.recent_interactions {
        let people: Vec<String> = interaction
            .staff_ids
            .iter()
            .map(|id| name_of(names, id))
            .collect();
        let mut line = format!(
            "{}  {}",
            day_of(interaction.occur_time.as_ref()),
            interaction_type(interaction.r#type)
        );
        if interaction.satisfaction > 0 {
            line.push_str(&format!("  satisfaction {}/5", interaction.satisfaction));
        }
        if !people.is_empty() {
            line.push_str(&format!("  with {}", people.join(", ")));
        }
        text.push_str(&line);
        text.push('\n');
        for (label, value) in [
            ("summary", &interaction.summary),
            ("outcome", &interaction.outcome),
            ("next step", &interaction.next_step),
        ] {
            if !value.trim().is_empty() {
                text.push_str(&format!("    {label}: {}\n", one_line(value, LINE_WIDTH)));
            }
        }
    }
    text
}

fn cadence_kind(value: i32) -> String {
    CadenceKind::try_from(value).map_or_else(|_| value.to_string(), |kind| kind.as_str_name().to_owned())
}

fn cadence(brief: &AccountBrief) -> String {
    if brief.overdue_cadence.is_empty() {
        return NONE.to_owned();
    }
    let mut table = Table::new(&["KIND", "EVERY", "DUE", "OVERDUE", "LAST"]);
    table.align_right(&[1, 3]);
    for overdue in &brief.overdue_cadence {
        table.push(vec![
            cadence_kind(overdue.kind),
            format!("{} days", overdue.interval_days),
            day_of(overdue.due_time.as_ref()),
            output::count(overdue.days_overdue, "day", "days"),
            if overdue.last_time.is_some() {
                day_of(overdue.last_time.as_ref())
            } else {
                "never".to_owned()
            },
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::pbjson_types::Timestamp;
    use kam_proto::v1::{
        Account, BriefTeamMember, HealthSignal, Interaction, Man, Money, Opportunity, OverdueCadence,
        PlanObjective, ServiceRequest, TeamMember,
    };

    use super::*;
    use crate::{Cli, Command};

    fn parse(args: &[&str]) -> Result<BriefArgs, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "brief"], args].concat())?;
        match cli.command {
            Command::Brief(args) => Ok(args),
            other => panic!("not a brief: {other:?}"),
        }
    }

    /// 2026-12-01T00:00:00Z.
    fn december_first() -> Timestamp {
        Timestamp {
            seconds: 1_796_083_200,
            nanos: 0,
        }
    }

    fn on(year: i32, month: i32, day: i32) -> Option<Date> {
        Some(Date { year, month, day })
    }

    fn eur(units: i64, nanos: i32) -> Option<Money> {
        Some(Money {
            currency_code: "EUR".into(),
            units,
            nanos,
        })
    }

    fn empty_brief() -> AccountBrief {
        AccountBrief {
            account: Some(Account {
                id: "a1".into(),
                display_name: "Sinopec".into(),
                tier: Tier::Strategic as i32,
                lifecycle: Lifecycle::Active as i32,
                relationship_stage: RelationshipStage::ValueAdded as i32,
                rad_status: RadStatus::Retain as i32,
                region: "APAC".into(),
                ..Default::default()
            }),
            read_time: Some(december_first()),
            horizon_days: 30,
            ..Default::default()
        }
    }

    fn full_brief() -> AccountBrief {
        let mut brief = empty_brief();
        brief.team = vec![BriefTeamMember {
            member: Some(TeamMember {
                staff_id: "s1".into(),
                role: TeamRole::AccountManager as i32,
                start_time: Some(december_first()),
                ..Default::default()
            }),
            full_name: "Wang Fang".into(),
        }];
        brief.key_people = vec![Contact {
            full_name: "Li Wei".into(),
            title: "Plant manager".into(),
            buying_role: BuyingRole::DecisionMaker as i32,
            man: Some(Man {
                has_money: true,
                has_authority: false,
                has_need: true,
            }),
            attitude: Attitude::Supporter as i32,
            relationship_strength: 4,
            ..Default::default()
        }];
        brief.key_dates = vec![
            UpcomingKeyDate {
                contact_id: "c1".into(),
                contact_full_name: "Li Wei".into(),
                kind: KeyDateKind::Birthday as i32,
                next_occurrence: on(2026, 12, 1),
                days_until: 0,
                years: 51,
                ..Default::default()
            },
            UpcomingKeyDate {
                kind: KeyDateKind::ContractRenewal as i32,
                label: "Framework".into(),
                next_occurrence: on(2026, 12, 13),
                days_until: 12,
                one_time: true,
                ..Default::default()
            },
        ];
        brief.open_opportunities = vec![Opportunity {
            display_name: "Pumps for line 3".into(),
            stage: "proposal".into(),
            amount: eur(125_000, 500_000_000),
            probability: 40,
            probability_override: Some(35),
            expected_close_date: on(2026, 12, 31),
            owner_staff_id: "s1".into(),
            next_step: "Send\nthe quote".into(),
            ..Default::default()
        }];
        brief.open_service_requests = vec![ServiceRequest {
            title: "Pump 3 leaks".into(),
            priority: Priority::P1 as i32,
            status: service_request::Status::InProgress as i32,
            assignee_staff_id: "s9".into(),
            first_response: Some(SlaTarget {
                state: sla_target::State::Met as i32,
                ..Default::default()
            }),
            resolution: Some(SlaTarget {
                state: sla_target::State::AtRisk as i32,
                due_time: Some(december_first()),
                ..Default::default()
            }),
            ..Default::default()
        }];
        brief.health = Some(AccountHealth {
            score: 55,
            level: account_health::Level::AtRisk as i32,
            signals: vec![
                HealthSignal {
                    kind: health_signal::Kind::SlaBreaches as i32,
                    weight: 15,
                    evidence: "1 breach in 90 days".into(),
                    ..Default::default()
                },
                HealthSignal {
                    kind: health_signal::Kind::RevenueDecline as i32,
                    triggered: true,
                    weight: 25,
                    penalty: 25,
                    evidence: "down 30%".into(),
                    ..Default::default()
                },
            ],
            compute_time: Some(december_first()),
            ..Default::default()
        });
        brief.active_plans = vec![AccountPlan {
            id: "p1".into(),
            name: "Sinopec 2026".into(),
            status: account_plan::Status::Active as i32,
            period_start: on(2026, 1, 1),
            period_end: on(2026, 12, 31),
            revenue_target: eur(1_000_000, 0),
            objectives: vec![PlanObjective {
                metric: "plants on framework".into(),
                target_value: 4,
                current_value: 2,
                due_date: on(2026, 3, 31),
            }],
            ..Default::default()
        }];
        brief.actions_due = vec![
            PlanAction {
                title: "Visit Jinshan".into(),
                owner_staff_id: "s1".into(),
                due_date: on(2026, 11, 20),
                status: plan_action::Status::Open as i32,
                ..Default::default()
            },
            PlanAction {
                title: "Quarterly review".into(),
                owner_staff_id: "s1".into(),
                due_date: on(2026, 12, 10),
                status: plan_action::Status::InProgress as i32,
                ..Default::default()
            },
        ];
        brief.recent_interactions = vec![Interaction {
            r#type: interaction::Type::SalesVisit as i32,
            occur_time: Some(december_first()),
            staff_ids: vec!["s1".into(), "s7".into()],
            summary: "Walked line 3".into(),
            next_step: "Quote by Friday".into(),
            satisfaction: 4,
            ..Default::default()
        }];
        brief.overdue_cadence = vec![OverdueCadence {
            kind: CadenceKind::ExecutiveVisitDue as i32,
            interval_days: 30,
            due_time: Some(december_first()),
            days_overdue: 1,
            ..Default::default()
        }];
        brief.revenue = Some(RevenueTrend {
            from_period: Some(Month {
                year: 2025,
                month: 12,
            }),
            to_period: Some(Month {
                year: 2026,
                month: 11,
            }),
            trailing_year: eur(5999, 500_000_000),
            year_before: eur(8000, 0),
            change_percent: Some(-25),
        });
        brief.truncated = vec!["key_people".into()];
        brief
    }

    #[test]
    fn the_account_and_the_horizon_are_parsed() {
        let args = parse(&["a1", "--horizon", "90"]).unwrap();
        assert_eq!((args.id.as_str(), args.horizon), ("a1", Some(90)));
        assert_eq!(parse(&["a1"]).unwrap().horizon, None, "the server's default");
        assert!(parse(&["a1", "--horizon", "0"]).is_err());
        assert!(parse(&["a1", "--horizon", "367"]).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn an_empty_brief_says_so_in_every_section() {
        let text = empty_brief().human();
        assert!(
            text.starts_with(
                "Visit brief: Sinopec (a1)\n\
                 tier:         STRATEGIC\n\
                 lifecycle:    ACTIVE\n\
                 relationship: VALUE_ADDED\n\
                 rad_status:   RETAIN\n\
                 region:       APAC\n\
                 read_time:    2026-12-01T00:00:00Z\n\
                 horizon:      30 days\n\
                 \n\
                 == Health ==\n\
                 no health: the account is deleted\n\
                 \n\
                 == Revenue ==\n\
                 (none)\n\
                 \n\
                 == Team (0) ==\n\
                 (none)\n"
            ),
            "{text}"
        );
        assert!(text.contains("== Active plan (0) ==\nno ACTIVE plan\n"), "{text}");
        assert!(text.ends_with("== Cadence overdue (0) ==\n(none)\n"), "{text}");
        assert!(!text.contains("more than shown"), "{text}");
    }

    #[test]
    fn a_full_brief_shows_every_section() {
        let text = full_brief().human();
        let expected_sections = [
            "== Health ==\n\
             score:        55/100  AT_RISK  ███████████\n\
             compute_time: 2026-12-01T00:00:00Z\n\
             SIGNAL           TRIGGERED  PENALTY  EVIDENCE\n\
             REVENUE_DECLINE  yes          25/25  down 30%\n\
             SLA_BREACHES     no            0/15  1 breach in 90 days\n",
            "== Revenue ==\n\
             trailing_year: 5999.50 EUR  (2025-12 to 2026-11)\n\
             year_before:   8000.00 EUR\n\
             change:        -25%\n",
            "== Team (1) ==\n\
             ROLE             NAME       LIAISON  SINCE       STAFF\n\
             ACCOUNT_MANAGER  Wang Fang           2026-12-01  s1\n",
            "== Key people (1) ==\n\
             NAME    TITLE          BUYING ROLE     MAN  ATTITUDE   STRENGTH\n\
             Li Wei  Plant manager  DECISION_MAKER  M-N  SUPPORTER  4/5\n\
             (MAN: Money, Authority, Need held; - not)\n",
            "== Key dates, next 30 days (2) ==\n\
             DATE        WHEN        WHOSE        KIND              LABEL      MARKS\n\
             2026-12-01  today       Li Wei       BIRTHDAY                     51 years\n\
             2026-12-13  in 12 days  the account  CONTRACT_RENEWAL  Framework  once\n",
            "== Open opportunities (1) ==\n\
             NAME              STAGE            AMOUNT  PROB  CLOSE       OWNER      NEXT STEP\n\
             Pumps for line 3  proposal  125000.50 EUR   35%  2026-12-31  Wang Fang  Send the quote\n",
            "== Open service requests (1) ==\n\
             PRIORITY  TITLE         STATUS       ASSIGNEE  FIRST RESPONSE  RESOLUTION\n\
             P1        Pump 3 leaks  IN_PROGRESS  s9        MET             AT_RISK 2026-12-01 00:00Z\n",
            "== Active plan (1) ==\n\
             plan:           Sinopec 2026 (p1)\n\
             status:         ACTIVE\n\
             period:         2026-01-01 to 2026-12-31\n\
             revenue_target: 1000000.00 EUR\n\
             OBJECTIVE            CURRENT  TARGET  DUE\n\
             plants on framework        2       4  2026-03-31\n",
            "== Actions overdue or due within 30 days (2) ==\n\
             DUE                  TITLE             STATUS       OWNER\n\
             2026-11-20  OVERDUE  Visit Jinshan     OPEN         Wang Fang\n\
             2026-12-10           Quarterly review  IN_PROGRESS  Wang Fang\n",
            "== Recent interactions (1) ==\n\
             2026-12-01  SALES_VISIT  satisfaction 4/5  with Wang Fang, s7\n\
             \x20   summary: Walked line 3\n\
             \x20   next step: Quote by Friday\n",
            "== Cadence overdue (1) ==\n\
             KIND                   EVERY  DUE         OVERDUE  LAST\n\
             EXECUTIVE_VISIT_DUE  30 days  2026-12-01    1 day  never\n",
            "\nmore than shown: key_people (see the lists of their own commands)\n",
        ];
        let mut rest = text.as_str();
        for section in expected_sections {
            let at = rest
                .find(section)
                .unwrap_or_else(|| panic!("missing, or out of order:\n{section}\nin:\n{text}"));
            rest = &rest[at + section.len()..];
        }
        assert!(rest.is_empty(), "after the last section: {rest:?}");
    }

    #[test]
    fn long_text_is_cut_to_one_line() {
        assert_eq!(one_line("a\nb  c", CELL_WIDTH), "a b c");
        let long = "x".repeat(100);
        let cut = one_line(&long, CELL_WIDTH);
        assert_eq!(cut.chars().count(), CELL_WIDTH);
        assert!(cut.ends_with('…'));
        assert_eq!(days_until(1), "tomorrow");
    }
}
