//! `kamctl calendars ...` and `kamctl policies ...`: the business calendars SLA clocks count in and the
//! SLA policies (targets per priority, pauses, escalation ladder), through kam.v1.ServiceLevelService.
//! Read only: calendars and policies are set up rarely, through the API.

use clap::{Args, Subcommand};
use kam_proto::v1::service_request::Status;
use kam_proto::v1::{
    BusinessCalendar, DayOfWeek, EscalationStep, GetBusinessCalendarRequest, GetSlaPolicyRequest,
    ListBusinessCalendarsRequest, ListBusinessCalendarsResponse, ListSlaPoliciesRequest,
    ListSlaPoliciesResponse, Priority, SlaPolicy, SlaTargetKind, TeamRole, Tier, escalation_step::Trigger,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::output::{self, Render, Table, key_values};

#[derive(Debug, Subcommand)]
pub enum CalendarsCommand {
    /// List the business calendars, in creation order.
    List(PageOnly),
    /// Show one calendar: time zone, working windows and holidays.
    Get(IdArgs),
}

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// List the SLA policies, the seeded ones first.
    List(PolicyListArgs),
    /// Show one policy: scope, calendar, targets per priority, pauses and escalation steps.
    Get(IdArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    id: String,
}

#[derive(Debug, Args)]
pub struct PageOnly {
    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct PolicyListArgs {
    /// Only the policy of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only the policy of this tier.
    #[arg(long, value_name = "TIER", value_parser = enums::parser::<Tier>())]
    tier: Option<i32>,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run_calendars(command: CalendarsCommand, global: &Global) -> Result<(), Error> {
    let mut client = client::service_levels(global).await?;
    match command {
        CalendarsCommand::Get(IdArgs { id }) => {
            let calendar = client
                .get_business_calendar(GetBusinessCalendarRequest { id })
                .await?;
            Ok(output::print(&calendar.into_inner(), global.json)?)
        }
        CalendarsCommand::List(PageOnly { paging }) => {
            let fetch = async |page_token| {
                let request = ListBusinessCalendarsRequest {
                    page_size: paging.page_size.unwrap_or_default(),
                    page_token,
                };
                Ok(client.list_business_calendars(request).await?.into_inner())
            };
            let calendars =
                client::fetch_pages(paging.page_token.clone().unwrap_or_default(), paging.all, fetch).await?;
            Ok(output::print(&calendars, global.json)?)
        }
    }
}

pub async fn run_policies(command: PoliciesCommand, global: &Global) -> Result<(), Error> {
    let mut client = client::service_levels(global).await?;
    match command {
        PoliciesCommand::Get(IdArgs { id }) => {
            let policy = client.get_sla_policy(GetSlaPolicyRequest { id }).await?;
            Ok(output::print(&policy.into_inner(), global.json)?)
        }
        PoliciesCommand::List(args) => {
            let paging = args.paging;
            let fetch = async |page_token| {
                let request = ListSlaPoliciesRequest {
                    page_size: paging.page_size.unwrap_or_default(),
                    page_token,
                    account_id: args.account.clone().unwrap_or_default(),
                    tier: args.tier.unwrap_or_default(),
                };
                Ok(client.list_sla_policies(request).await?.into_inner())
            };
            let policies =
                client::fetch_pages(paging.page_token.clone().unwrap_or_default(), paging.all, fetch).await?;
            Ok(output::print(&policies, global.json)?)
        }
    }
}

/// "MONDAY 08:00-12:00, 13:00-17:00; TUESDAY ..." grouped by day; "24x7" for an always-open calendar.
fn hours(calendar: &BusinessCalendar) -> String {
    if calendar.always_open {
        return "24x7".to_owned();
    }
    let mut days: Vec<(i32, Vec<String>)> = Vec::new();
    for window in &calendar.windows {
        let span = format!("{}-{}", window.start_time, window.end_time);
        match days.last_mut() {
            Some((day, spans)) if *day == window.day => spans.push(span),
            _ => days.push((window.day, vec![span])),
        }
    }
    days.iter()
        .map(|(day, spans)| format!("{} {}", enums::name::<DayOfWeek>(*day), spans.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Render for BusinessCalendar {
    fn human(&self) -> String {
        let holidays: Vec<String> = self
            .holidays
            .iter()
            .map(|holiday| {
                let date = holiday.date.unwrap_or_default();
                format!(
                    "{:04}-{:02}-{:02} {}",
                    date.year, date.month, date.day, holiday.display_name
                )
                .trim_end()
                .to_owned()
            })
            .collect();
        key_values(&[
            ("id", self.id.clone()),
            ("display_name", self.display_name.clone()),
            ("time_zone", self.time_zone.clone()),
            ("hours", hours(self)),
            ("holidays", holidays.join("\n")),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ])
    }
}

impl Render for ListBusinessCalendarsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ID", "NAME", "TIME ZONE", "WINDOWS", "HOLIDAYS"]);
        table.align_right(&[3, 4]);
        for calendar in &self.calendars {
            table.push(vec![
                calendar.id.clone(),
                calendar.display_name.clone(),
                calendar.time_zone.clone(),
                if calendar.always_open {
                    "24x7".to_owned()
                } else {
                    calendar.windows.len().to_string()
                },
                calendar.holidays.len().to_string(),
            ]);
        }
        let mut text = table.render();
        if !self.next_page_token.is_empty() {
            text.push_str(&format!("next page: {}\n", self.next_page_token));
        }
        text
    }
}

client::impl_page!(ListBusinessCalendarsResponse, calendars);

/// "default", "tier KEY" or "account <ID>".
fn scope(policy: &SlaPolicy) -> String {
    if policy.is_default {
        "default".to_owned()
    } else if !policy.account_id.is_empty() {
        format!("account {}", policy.account_id)
    } else {
        format!("tier {}", enums::name::<Tier>(policy.tier))
    }
}

fn step(step: &EscalationStep) -> String {
    let mut who: Vec<String> = Vec::new();
    if step.notify_assignee {
        who.push("assignee".to_owned());
    }
    who.extend(step.roles.iter().map(|&role| enums::name::<TeamRole>(role)));
    who.extend(
        step.liaison_department_codes
            .iter()
            .map(|code| format!("liaison {code}")),
    );
    let target = match step.target {
        0 => "either target".to_owned(),
        target => enums::name::<SlaTargetKind>(target),
    };
    format!(
        "{} ({target}) +{} min → {}",
        enums::name::<Trigger>(step.trigger),
        step.delay_minutes,
        who.join(", ")
    )
}

impl Render for SlaPolicy {
    fn human(&self) -> String {
        let pauses: Vec<String> = self
            .pause_statuses
            .iter()
            .flat_map(|p| &p.statuses)
            .map(|&status| enums::name::<Status>(status))
            .collect();
        let steps: Vec<String> = self.escalation_steps.iter().map(step).collect();
        let mut text = key_values(&[
            ("id", self.id.clone()),
            ("display_name", self.display_name.clone()),
            ("scope", scope(self)),
            ("calendar_id", self.calendar_id.clone()),
            ("warning_percent", self.warning_percent.to_string()),
            ("pause_statuses", pauses.join(", ")),
            ("escalation_steps", steps.join("\n")),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ]);
        text.push('\n');
        let mut table = Table::new(&["PRIORITY", "FIRST RESPONSE MIN", "RESOLUTION MIN"]);
        table.align_right(&[1, 2]);
        for targets in &self.targets {
            table.push(vec![
                enums::name::<Priority>(targets.priority),
                targets.first_response_minutes.to_string(),
                targets.resolution_minutes.to_string(),
            ]);
        }
        text.push_str(&table.render());
        text
    }
}

impl Render for ListSlaPoliciesResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ID", "NAME", "SCOPE", "CALENDAR", "P1", "P2", "P3", "P4"]);
        for policy in &self.policies {
            let mut row = vec![
                policy.id.clone(),
                policy.display_name.clone(),
                scope(policy),
                policy.calendar_id.clone(),
            ];
            for priority in [Priority::P1, Priority::P2, Priority::P3, Priority::P4] {
                row.push(
                    policy
                        .targets
                        .iter()
                        .find(|t| t.priority == priority as i32)
                        .map(|t| format!("{}/{}", t.first_response_minutes, t.resolution_minutes))
                        .unwrap_or_default(),
                );
            }
            table.push(row);
        }
        let mut text = table.render();
        if !self.next_page_token.is_empty() {
            text.push_str(&format!("next page: {}\n", self.next_page_token));
        }
        text
    }
}

client::impl_page!(ListSlaPoliciesResponse, policies);

#[cfg(test)]
mod tests {
    use kam_proto::v1::{PriorityTargets, WorkingWindow};

    use super::*;

    #[test]
    fn calendar_hours_are_grouped_by_day() {
        let window = |day: DayOfWeek, start: &str, end: &str| WorkingWindow {
            day: day as i32,
            start_time: start.into(),
            end_time: end.into(),
        };
        let calendar = BusinessCalendar {
            windows: vec![
                window(DayOfWeek::Monday, "08:00", "12:00"),
                window(DayOfWeek::Monday, "13:00", "17:00"),
                window(DayOfWeek::Tuesday, "22:00", "24:00"),
            ],
            ..Default::default()
        };
        assert_eq!(
            hours(&calendar),
            "MONDAY 08:00-12:00, 13:00-17:00\nTUESDAY 22:00-24:00"
        );
        let always = BusinessCalendar {
            always_open: true,
            ..Default::default()
        };
        assert_eq!(hours(&always), "24x7");
    }

    #[test]
    fn policy_list_shows_scope_and_targets_per_priority() {
        let response = ListSlaPoliciesResponse {
            policies: vec![SlaPolicy {
                id: "p1".into(),
                display_name: "Key".into(),
                tier: Tier::Key as i32,
                calendar_id: "c1".into(),
                targets: vec![PriorityTargets {
                    priority: Priority::P1 as i32,
                    first_response_minutes: 60,
                    resolution_minutes: 480,
                }],
                ..Default::default()
            }],
            next_page_token: String::new(),
        };
        assert_eq!(
            response.human(),
            "ID  NAME  SCOPE     CALENDAR  P1      P2  P3  P4\n\
             p1  Key   tier KEY  c1        60/480\n"
        );
    }
}
