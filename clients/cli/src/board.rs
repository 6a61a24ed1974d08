//! `kamctl sla board`: the SLA board, three columns of open service requests that need attention:
//!
//! - **DUE SOON**: a target still IN_PROGRESS (below the warning threshold) but due within `--within`
//!   (default 4 h);
//! - **AT RISK**: a target AT_RISK (past the policy's warning share, not yet due);
//! - **BREACHED**: a target BREACHED.
//!
//! Each column is one `ListServiceRequests` call (open requests, `sla_state`, and for due soon
//! `due_before` = now + window), so the server evaluates the states in SQL on its due-time indexes.
//! A request shows once, in the worst column one of its targets qualifies for (breached over at risk
//! over due soon: a request whose first response is at risk and whose resolution is due in 3 h is at
//! risk). Each card shows the priority,
//! title, account, assignee and the due time of the target that put it there (`FR` first response,
//! `RES` resolution), soonest first. Account and staff names are looked up once each; an id that
//! cannot be resolved is shown as is.
//!
//! The columns are side by side when the terminal is wide enough (`--width`, else `$COLUMNS`, else
//! 120 columns), one after the other otherwise.

use std::collections::HashMap;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use clap::{Args, Subcommand};
use kam_proto::pbjson_types::Timestamp;
use kam_proto::v1::sla_target::State;
use kam_proto::v1::{
    GetAccountRequest, GetStaffRequest, ListServiceRequestsRequest, Priority, ServiceRequest, SlaTarget,
};
use serde::Serialize;

use crate::Global;
use crate::client;
use crate::enums;
use crate::error::Error;
use crate::output::{self, Render};

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// Show the SLA board: open requests due soon, at risk and breached, in three columns.
    Board(BoardArgs),
}

#[derive(Debug, Args)]
pub struct BoardArgs {
    /// The "due soon" window: targets in progress due within it, e.g. 4h, 90m, 1d, 1h30m.
    #[arg(long, value_name = "DURATION", default_value = "4h", value_parser = parse_duration)]
    within: ChronoDuration,

    /// Only the requests of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only the requests this staff member works.
    #[arg(long, value_name = "STAFF_ID")]
    assignee: Option<String>,

    /// At most this many requests per column (1-1000).
    #[arg(long, value_name = "N", default_value = "50", value_parser = clap::value_parser!(i32).range(1..=1000))]
    limit: i32,

    /// Terminal width in columns [default: $COLUMNS, else 120]; below 90 the columns are stacked.
    #[arg(long, value_name = "COLUMNS", env = "COLUMNS")]
    width: Option<usize>,

    /// Show ids instead of looking up account and staff names.
    #[arg(long)]
    ids: bool,
}

/// The narrowest width at which the three columns go side by side.
const MIN_SIDE_BY_SIDE: usize = 90;
const DEFAULT_WIDTH: usize = 120;
const GAP: &str = " │ ";

/// One card of the board: a request in one column.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub id: String,
    pub title: String,
    pub priority: String,
    pub account: String,
    pub assignee: String,
    /// "FIRST_RESPONSE" or "RESOLUTION": the target that put the request in the column.
    pub target: String,
    pub due_time: String,
    #[serde(skip)]
    due: Option<DateTime<Utc>>,
}

/// The board as printed, and as `--json` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    pub now: String,
    pub within_minutes: i64,
    pub due_soon: Vec<Card>,
    pub at_risk: Vec<Card>,
    pub breached: Vec<Card>,
    #[serde(skip)]
    now_time: DateTime<Utc>,
    #[serde(skip)]
    width: usize,
}

pub async fn run(command: SlaCommand, global: &Global) -> Result<(), Error> {
    let SlaCommand::Board(args) = command;
    let now = Utc::now();
    let mut client = client::service_levels(global).await?;
    let base = ListServiceRequestsRequest {
        page_size: args.limit,
        account_id: args.account.clone().unwrap_or_default(),
        assignee_staff_id: args.assignee.clone().unwrap_or_default(),
        open_only: true,
        order_by: "resolution_due_time".to_owned(),
        ..Default::default()
    };
    let due_before = now + args.within;
    let mut columns = Vec::new();
    for (state, due_before) in [
        (State::InProgress, Some(Timestamp::from(due_before))),
        (State::AtRisk, None),
        (State::Breached, None),
    ] {
        let request = ListServiceRequestsRequest {
            sla_state: state as i32,
            due_before,
            ..base.clone()
        };
        let requests = client.list_service_requests(request).await?.into_inner();
        columns.push(requests.service_requests);
    }

    let mut names = Names::default();
    if !args.ids {
        names.resolve(global, columns.iter().flatten()).await?;
    }
    let [due_soon, at_risk, breached]: [Vec<ServiceRequest>; 3] = columns.try_into().expect("three columns");
    let breached = cards(&breached, State::Breached, None, &names);
    let at_risk = without(cards(&at_risk, State::AtRisk, None, &names), &[&breached]);
    let due_soon = without(
        cards(&due_soon, State::InProgress, Some(due_before), &names),
        &[&breached, &at_risk],
    );
    let board = Board {
        now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        within_minutes: args.within.num_minutes(),
        due_soon,
        at_risk,
        breached,
        now_time: now,
        width: args.width.unwrap_or(DEFAULT_WIDTH),
    };
    Ok(output::print(&board, global.json)?)
}

/// Account and staff display names by id.
#[derive(Debug, Default)]
struct Names {
    accounts: HashMap<String, String>,
    staff: HashMap<String, String>,
}

impl Names {
    /// Looks up each account and assignee once; one that cannot be read keeps its id.
    async fn resolve<'a>(
        &mut self,
        global: &Global,
        requests: impl Iterator<Item = &'a ServiceRequest>,
    ) -> Result<(), Error> {
        let requests: Vec<&ServiceRequest> = requests.collect();
        if requests.is_empty() {
            return Ok(());
        }
        let mut accounts = client::accounts(global).await?;
        let mut teams = client::teams(global).await?;
        for request in requests {
            if !self.accounts.contains_key(&request.account_id) {
                let get = GetAccountRequest {
                    id: request.account_id.clone(),
                };
                if let Ok(account) = accounts.get_account(get).await {
                    self.accounts
                        .insert(request.account_id.clone(), account.into_inner().display_name);
                }
            }
            let assignee = &request.assignee_staff_id;
            if !assignee.is_empty() && !self.staff.contains_key(assignee) {
                let get = GetStaffRequest { id: assignee.clone() };
                if let Ok(staff) = teams.get_staff(get).await {
                    self.staff.insert(assignee.clone(), staff.into_inner().full_name);
                }
            }
        }
        Ok(())
    }

    fn account(&self, id: &str) -> String {
        self.accounts.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }

    fn staff(&self, id: &str) -> String {
        if id.is_empty() {
            return "unassigned".to_owned();
        }
        self.staff.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

fn time(timestamp: Option<&Timestamp>) -> Option<DateTime<Utc>> {
    timestamp.and_then(|&t| DateTime::<Utc>::try_from(t).ok())
}

/// The cards of one column: per request, the soonest-due target in `state` (and, for due soon, due
/// before `due_before`), ordered by that due time.
fn cards(
    requests: &[ServiceRequest],
    state: State,
    due_before: Option<DateTime<Utc>>,
    names: &Names,
) -> Vec<Card> {
    let mut cards: Vec<Card> = requests
        .iter()
        .filter_map(|request| {
            let targets: [(&str, Option<&SlaTarget>); 2] = [
                ("FIRST_RESPONSE", request.first_response.as_ref()),
                ("RESOLUTION", request.resolution.as_ref()),
            ];
            let (target, due) = targets
                .into_iter()
                .filter_map(|(kind, target)| {
                    let target = target?;
                    let due = time(target.due_time.as_ref());
                    let qualifies = target.state == state as i32
                        && due_before.is_none_or(|limit| due.is_some_and(|due| due < limit));
                    qualifies.then_some((kind, due))
                })
                .min_by_key(|(_, due)| *due)?;
            Some(Card {
                id: request.id.clone(),
                title: request.title.clone(),
                priority: enums::name::<Priority>(request.priority),
                account: names.account(&request.account_id),
                assignee: names.staff(&request.assignee_staff_id),
                target: target.to_owned(),
                due_time: due.map_or_else(String::new, |due| {
                    due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                }),
                due,
            })
        })
        .collect();
    cards.sort_by_key(|card| card.due);
    cards
}

/// `cards` without the requests already on one of the `worse` columns.
fn without(cards: Vec<Card>, worse: &[&[Card]]) -> Vec<Card> {
    cards
        .into_iter()
        .filter(|card| {
            !worse
                .iter()
                .any(|column| column.iter().any(|other| other.id == card.id))
        })
        .collect()
}

/// "in 1h05m", "3d2h ago".
fn relative(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let delta = due - now;
    let minutes = delta.num_minutes().abs();
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let span = if days > 0 {
        format!("{days}d{hours}h")
    } else if hours > 0 {
        format!("{hours}h{mins:02}m")
    } else {
        format!("{mins}m")
    };
    if delta < ChronoDuration::zero() {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

impl Card {
    /// The lines of the card: priority and title, account and assignee, due time.
    fn lines(&self, now: DateTime<Utc>) -> Vec<String> {
        let short = if self.target == "FIRST_RESPONSE" {
            "FR"
        } else {
            "RES"
        };
        let due = match self.due {
            Some(due) => format!("{short} {} · {}", due.format("%m-%d %H:%MZ"), relative(due, now)),
            None => format!("{short} ?"),
        };
        vec![
            format!("{} {}", self.priority, self.title),
            format!("   {} · {}", self.account, self.assignee),
            format!("   {due}"),
        ]
    }
}

/// Cuts `text` to `width` characters, ending in "…" when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

impl Board {
    fn columns(&self) -> [(String, &[Card]); 3] {
        let within = relative(
            self.now_time + ChronoDuration::minutes(self.within_minutes),
            self.now_time,
        );
        [
            (
                format!("DUE SOON ({}, {within})", self.due_soon.len()),
                &self.due_soon,
            ),
            (format!("AT RISK ({})", self.at_risk.len()), &self.at_risk),
            (format!("BREACHED ({})", self.breached.len()), &self.breached),
        ]
    }

    /// The lines of one column at `width`: header, rule, then the cards separated by blank lines.
    fn column_lines(&self, header: &str, cards: &[Card], width: usize) -> Vec<String> {
        let mut lines = vec![fit(header, width), "─".repeat(width)];
        if cards.is_empty() {
            lines.push("(none)".to_owned());
        }
        for (index, card) in cards.iter().enumerate() {
            if index > 0 {
                lines.push(String::new());
            }
            lines.extend(card.lines(self.now_time).iter().map(|line| fit(line, width)));
        }
        lines
    }
}

impl Render for Board {
    fn human(&self) -> String {
        let mut text = format!("SLA board at {}\n\n", self.now);
        if self.width < MIN_SIDE_BY_SIDE {
            let width = self.width.max(20);
            for (index, (header, cards)) in self.columns().into_iter().enumerate() {
                if index > 0 {
                    text.push('\n');
                }
                for line in self.column_lines(&header, cards, width) {
                    text.push_str(line.trim_end());
                    text.push('\n');
                }
            }
            return text;
        }
        let width = (self.width - 2 * GAP.chars().count()) / 3;
        let columns: Vec<Vec<String>> = self
            .columns()
            .into_iter()
            .map(|(header, cards)| self.column_lines(&header, cards, width))
            .collect();
        let height = columns.iter().map(Vec::len).max().unwrap_or(0);
        for row in 0..height {
            let cells: Vec<&str> = columns
                .iter()
                .map(|column| column.get(row).map_or("", String::as_str))
                .collect();
            // Columns that have ended leave no separator behind.
            let used = cells
                .iter()
                .rposition(|cell| !cell.is_empty())
                .map_or(0, |last| last + 1);
            let cells: Vec<String> = cells[..used].iter().map(|cell| pad(cell, width)).collect();
            text.push_str(cells.join(GAP).trim_end());
            text.push('\n');
        }
        text
    }
}

/// Parses a duration such as `4h`, `90m`, `1d`, `1h30m` (days, hours, minutes); a bare number is
/// minutes.
pub fn parse_duration(text: &str) -> Result<ChronoDuration, String> {
    let bad = || format!("`{text}` is not a duration such as 4h, 90m, 1d or 1h30m");
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(minutes) = text.parse::<u32>() {
        return Ok(ChronoDuration::minutes(minutes.into()));
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let value: i64 = number.parse().map_err(|_| bad())?;
        number.clear();
        let unit = match c {
            'd' => 1440,
            'h' => 60,
            'm' => 1,
            _ => return Err(bad()),
        };
        total = value
            .checked_mul(unit)
            .and_then(|minutes| total.checked_add(minutes))
            .filter(|&total| total <= 366 * 1440)
            .ok_or_else(bad)?;
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(ChronoDuration::minutes(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn card(title: &str, due: &str, target: &str) -> Card {
        Card {
            id: title.to_lowercase(),
            title: title.into(),
            priority: "P1".into(),
            account: "Acme".into(),
            assignee: "Wang Fang".into(),
            target: target.into(),
            due_time: due.into(),
            due: Some(at(due)),
        }
    }

    fn board(width: usize) -> Board {
        Board {
            now: "2026-11-23T12:00:00Z".into(),
            within_minutes: 240,
            due_soon: vec![card("Pump leaks", "2026-11-23T13:30:00Z", "RESOLUTION")],
            at_risk: vec![
                card("Valve stuck", "2026-11-23T12:20:00Z", "FIRST_RESPONSE"),
                card("Manual", "2026-11-23T12:45:00Z", "RESOLUTION"),
            ],
            breached: vec![],
            now_time: at("2026-11-23T12:00:00Z"),
            width,
        }
    }

    #[test]
    fn a_request_shows_only_in_its_worst_column() {
        let breached = vec![card("A", "2026-11-23T11:00:00Z", "RESOLUTION")];
        let at_risk = without(
            vec![
                card("A", "2026-11-23T12:10:00Z", "FIRST_RESPONSE"),
                card("B", "2026-11-23T12:10:00Z", "FIRST_RESPONSE"),
            ],
            &[&breached],
        );
        let ids: Vec<&str> = at_risk.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["b"]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("4h"), Ok(ChronoDuration::minutes(240)));
        assert_eq!(parse_duration("90m"), Ok(ChronoDuration::minutes(90)));
        assert_eq!(parse_duration("1d2h5m"), Ok(ChronoDuration::minutes(1565)));
        assert_eq!(parse_duration("30"), Ok(ChronoDuration::minutes(30)));
        for bad in ["", "h", "4x", "4h3", "0m", "999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn relative_times() {
        let now = at("2026-11-23T12:00:00Z");
        assert_eq!(relative(at("2026-11-23T13:05:00Z"), now), "in 1h05m");
        assert_eq!(relative(at("2026-11-23T11:50:00Z"), now), "10m ago");
        assert_eq!(relative(at("2026-11-20T10:00:00Z"), now), "3d2h ago");
    }

    #[test]
    fn wide_terminals_get_three_columns_side_by_side() {
        let text = board(96).human();
        assert_eq!(
            text,
            "SLA board at 2026-11-23T12:00:00Z\n\
             \n\
             DUE SOON (1, in 4h00m)         │ AT RISK (2)                    │ BREACHED (0)\n\
             ────────────────────────────── │ ────────────────────────────── │ ──────────────────────────────\n\
             P1 Pump leaks                  │ P1 Valve stuck                 │ (none)\n\
             \x20  Acme · Wang Fang            │    Acme · Wang Fang\n\
             \x20  RES 11-23 13:30Z · in 1h30m │    FR 11-23 12:20Z · in 20m\n\
             \n\
             \x20                              │ P1 Manual\n\
             \x20                              │    Acme · Wang Fang\n\
             \x20                              │    RES 11-23 12:45Z · in 45m\n"
        );
    }

    #[test]
    fn narrow_terminals_get_the_columns_stacked() {
        let text = board(60).human();
        assert!(
            text.contains(
                "DUE SOON (1, in 4h00m)\n\
                 ────────────────────────────────────────────────────────────\n\
                 P1 Pump leaks\n\
                 \x20  Acme · Wang Fang\n\
                 \x20  RES 11-23 13:30Z · in 1h30m\n\
                 \n\
                 AT RISK (2)\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with(
                "BREACHED (0)\n────────────────────────────────────────────────────────────\n(none)\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn cards_take_the_soonest_qualifying_target() {
        let ts = |text: &str| Some(Timestamp::from(at(text)));
        let request = ServiceRequest {
            id: "r1".into(),
            title: "T".into(),
            priority: Priority::P2 as i32,
            account_id: "a1".into(),
            first_response: Some(SlaTarget {
                state: State::InProgress as i32,
                due_time: ts("2026-11-23T18:00:00Z"),
                ..Default::default()
            }),
            resolution: Some(SlaTarget {
                state: State::InProgress as i32,
                due_time: ts("2026-11-23T13:00:00Z"),
                ..Default::default()
            }),
            ..Default::default()
        };
        let names = Names::default();
        let soon = cards(
            std::slice::from_ref(&request),
            State::InProgress,
            Some(at("2026-11-23T16:00:00Z")),
            &names,
        );
        assert_eq!(soon.len(), 1);
        assert_eq!(soon[0].target, "RESOLUTION");
        assert_eq!(soon[0].assignee, "unassigned");
        assert_eq!(soon[0].account, "a1");
        assert!(cards(&[request], State::AtRisk, None, &names).is_empty());
    }
}
