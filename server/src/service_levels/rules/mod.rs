//! The service-level rules as pure functions over loaded facts: the status transition graph,
//! what calendars and policies must look like, which policy applies, and what a write stores so that SQL
//! can filter by SLA state without running the clock. The store loads, asks, then writes.
//!
//! # SLA state in SQL
//!
//! Every write evaluates the clock at its own instant `w` and stores per target ([`StoredTarget`]):
//! `due_time`, `at_risk_time` and the *settled* state — `None` while the state is IN_PROGRESS or
//! AT_RISK (the two that time alone moves on), otherwise the state itself (PAUSED, MET, BREACHED,
//! CANCELLED), which nothing but another write can change. Until the next write the state at any
//! `now ≥ w` is then ([`state_from_stored`], and the same conditions in SQL):
//!
//! | state | condition |
//! |---|---|
//! | IN_PROGRESS | `settled IS NULL AND at_risk_time > now` |
//! | AT_RISK | `settled IS NULL AND at_risk_time <= now AND due_time >= now` |
//! | BREACHED | `settled = 'BREACHED' OR (settled IS NULL AND due_time < now)` |
//! | PAUSED, MET, CANCELLED | `settled = <state>` |
//!
//! This is exactly the clock's answer, not an approximation: an unsettled target's clock runs, its due
//! and at-risk times do not move while no event happens (business-time addition is associative), and
//! it turns AT_RISK exactly when `now` reaches `at_risk_time` and BREACHED strictly after `due_time`;
//! a breached, paused, fulfilled or cancelled target keeps its state until an event (a paused target's
//! due time, which does move, is only ever later than `now`). The property test below checks it on random
//! histories. The one thing that moves the truth without a write to the request is a change of its
//! calendar: `UpdateBusinessCalendar` re-derives the stored columns of the open and resolved requests
//! that count on it.

pub mod escalation;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc, Weekday};

use super::model::{
    CalendarFields, DayWindow, Policy, PolicyFields, PolicyMatch, PolicyScope, Priority, RequestStatus,
    SlaState,
};
use crate::{
    accounts::model::Tier,
    platform::error::{FieldViolation, RuleViolation},
    service_levels::clock::{BusinessCalendar, CalendarError, SlaEvaluation, Target, TargetStatus},
};

pub const ILLEGAL_TRANSITION: &str = "ILLEGAL_TRANSITION";
pub const REQUEST_FINAL: &str = "REQUEST_FINAL";
pub const FIRST_RESPONSE_RECORDED: &str = "FIRST_RESPONSE_RECORDED";
pub const DEFAULT_POLICY: &str = "DEFAULT_POLICY";
pub const CONTACT_NOT_OF_ACCOUNT: &str = "CONTACT_NOT_OF_ACCOUNT";
pub const STAFF_INACTIVE: &str = "STAFF_INACTIVE";

/// At most this many windows per weekday, holidays per calendar, escalation steps per policy.
pub const MAX_WINDOWS_PER_DAY: usize = 24;
pub const MAX_HOLIDAYS: usize = 1000;
pub const MAX_ESCALATION_STEPS: usize = 20;

// ----- the transition graph -----

/// Where a request may go from `from` (the graph is also written in the proto):
///
/// ```text
/// NEW                    → IN_PROGRESS | WAITING_ON_CUSTOMER | WAITING_ON_THIRD_PARTY | RESOLVED | CANCELLED
/// IN_PROGRESS            → WAITING_ON_CUSTOMER | WAITING_ON_THIRD_PARTY | RESOLVED | CANCELLED
/// WAITING_ON_CUSTOMER    → IN_PROGRESS | RESOLVED | CANCELLED
/// WAITING_ON_THIRD_PARTY → IN_PROGRESS | RESOLVED | CANCELLED
/// RESOLVED               → CLOSED | IN_PROGRESS (reopen)
/// CLOSED, CANCELLED      final
/// ```
pub fn next_statuses(from: RequestStatus) -> &'static [RequestStatus] {
    use RequestStatus::*;
    match from {
        New => &[
            InProgress,
            WaitingOnCustomer,
            WaitingOnThirdParty,
            Resolved,
            Cancelled,
        ],
        InProgress => &[WaitingOnCustomer, WaitingOnThirdParty, Resolved, Cancelled],
        WaitingOnCustomer | WaitingOnThirdParty => &[InProgress, Resolved, Cancelled],
        Resolved => &[Closed, InProgress],
        Closed | Cancelled => &[],
    }
}

/// NEW, IN_PROGRESS and the waiting statuses.
pub fn is_open(status: RequestStatus) -> bool {
    !matches!(
        status,
        RequestStatus::Resolved | RequestStatus::Closed | RequestStatus::Cancelled
    )
}

/// CLOSED and CANCELLED: nothing leaves them.
pub fn is_final(status: RequestStatus) -> bool {
    next_statuses(status).is_empty()
}

/// ILLEGAL_TRANSITION unless `to` follows `from` in the graph.
pub fn check_transition(subject: &str, from: RequestStatus, to: RequestStatus) -> Result<(), RuleViolation> {
    if next_statuses(from).contains(&to) {
        return Ok(());
    }
    let allowed = next_statuses(from)
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let description = if allowed.is_empty() {
        format!(
            "{} is final: the request cannot move to {}",
            from.as_str(),
            to.as_str()
        )
    } else {
        format!(
            "a request goes from {} to {allowed}, not to {}",
            from.as_str(),
            to.as_str()
        )
    };
    Err(RuleViolation {
        rule: ILLEGAL_TRANSITION,
        subject: subject.to_owned(),
        description,
    })
}

/// REQUEST_FINAL for a CLOSED or CANCELLED request.
pub fn check_not_final(subject: &str, status: RequestStatus) -> Result<(), RuleViolation> {
    if is_final(status) {
        Err(RuleViolation {
            rule: REQUEST_FINAL,
            subject: subject.to_owned(),
            description: format!("the request is {}: it is not changed any more", status.as_str()),
        })
    } else {
        Ok(())
    }
}

// ----- calendars -----

/// The proto name of a weekday, as field violations show it.
pub fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MONDAY",
        Weekday::Tue => "TUESDAY",
        Weekday::Wed => "WEDNESDAY",
        Weekday::Thu => "THURSDAY",
        Weekday::Fri => "FRIDAY",
        Weekday::Sat => "SATURDAY",
        Weekday::Sun => "SUNDAY",
    }
}

/// "HH:MM" of minutes since midnight (1440 is "24:00").
pub fn hh_mm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn describe(window: DayWindow) -> String {
    format!(
        "{} {}-{}",
        day_name(window.weekday),
        hh_mm(window.start_minute),
        hh_mm(window.end_minute)
    )
}

/// Every problem with a calendar's shape, as field violations of `calendar.*` naming windows and
/// holidays by their index in `fields` (the client's order).
pub fn check_calendar(fields: &CalendarFields) -> Vec<FieldViolation> {
    let mut problems = Vec::new();
    if BusinessCalendar::always_open(&fields.time_zone).is_err() {
        problems.push(FieldViolation::new(
            "calendar.time_zone",
            format!(
                "unknown time zone {:?}: expected an IANA name such as Europe/Berlin",
                fields.time_zone
            ),
        ));
    }
    if fields.always_open {
        if !fields.windows.is_empty() {
            problems.push(FieldViolation::new(
                "calendar.windows",
                "a 24x7 calendar has no windows",
            ));
        }
        if !fields.holidays.is_empty() {
            problems.push(FieldViolation::new(
                "calendar.holidays",
                "holidays do not apply to a 24x7 calendar",
            ));
        }
    } else if fields.windows.is_empty() {
        problems.push(FieldViolation::new(
            "calendar.windows",
            "needs at least one working window, or always_open",
        ));
    }
    for (i, window) in fields.windows.iter().enumerate() {
        if window.end_minute > 1440 || window.start_minute >= 1440 {
            problems.push(FieldViolation::new(
                format!("calendar.windows[{i}]"),
                "times must be within 00:00..=24:00, and a window cannot start at 24:00",
            ));
        } else if window.start_minute >= window.end_minute {
            problems.push(FieldViolation::new(
                format!("calendar.windows[{i}]"),
                format!(
                    "{}: the start must be before the end (a window never crosses midnight: split a \
                     night shift into two windows, the first ending at 24:00)",
                    describe(*window)
                ),
            ));
        }
    }
    let mut by_day: BTreeMap<u32, Vec<(usize, DayWindow)>> = BTreeMap::new();
    for (i, window) in fields.windows.iter().enumerate() {
        by_day
            .entry(window.weekday.num_days_from_monday())
            .or_default()
            .push((i, *window));
    }
    for windows in by_day.values_mut() {
        if windows.len() > MAX_WINDOWS_PER_DAY {
            problems.push(FieldViolation::new(
                "calendar.windows",
                format!(
                    "{} has {} windows; at most {MAX_WINDOWS_PER_DAY} a day",
                    day_name(windows[0].1.weekday),
                    windows.len()
                ),
            ));
        }
        windows.sort_by_key(|(i, w)| (w.start_minute, w.end_minute, *i));
        for pair in windows.windows(2) {
            let ((_, first), (j, second)) = (pair[0], pair[1]);
            if second.start_minute < first.end_minute {
                problems.push(FieldViolation::new(
                    format!("calendar.windows[{j}]"),
                    format!(
                        "{} overlaps {}: windows may touch but not overlap",
                        describe(second),
                        describe(first)
                    ),
                ));
            }
        }
    }
    if fields.holidays.len() > MAX_HOLIDAYS {
        problems.push(FieldViolation::new(
            "calendar.holidays",
            format!("at most {MAX_HOLIDAYS} holidays"),
        ));
    }
    let mut dates = HashSet::new();
    for (i, holiday) in fields.holidays.iter().enumerate() {
        if !dates.insert(holiday.date) {
            problems.push(FieldViolation::new(
                format!("calendar.holidays[{i}].date"),
                format!("{} appears twice", holiday.date),
            ));
        }
    }
    problems
}

/// `fields` in stored order: windows by weekday (Monday first) and start, holidays by date.
pub fn normalize_calendar(mut fields: CalendarFields) -> CalendarFields {
    fields.windows.sort_by_key(|w| w.sort_key());
    fields.holidays.sort_by_key(|h| h.date);
    fields
}

/// The clock's calendar of checked `fields`.
pub fn business_calendar(fields: &CalendarFields) -> Result<BusinessCalendar, CalendarError> {
    if fields.always_open {
        return BusinessCalendar::always_open(&fields.time_zone);
    }
    let mut week: [Vec<crate::service_levels::clock::WorkingWindow>; 7] = Default::default();
    let mut windows = fields.windows.clone();
    windows.sort_by_key(|w| w.sort_key());
    for window in windows {
        week[window.weekday.num_days_from_monday() as usize].push(window.window());
    }
    BusinessCalendar::new(&fields.time_zone, week, fields.holidays.iter().map(|h| h.date))
}

// ----- policies -----

/// Every problem with a policy's shape, as field violations of `policy.*`. The scope and the calendar's
/// existence are the store's to check.
pub fn check_policy(fields: &PolicyFields) -> Vec<FieldViolation> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (i, target) in fields.targets.iter().enumerate() {
        let field = |name: &str| format!("policy.targets[{i}].{name}");
        if !seen.insert(target.priority) {
            problems.push(FieldViolation::new(
                field("priority"),
                format!("{} appears twice", target.priority.as_str()),
            ));
        }
        let max = Target::MAX_MINUTES;
        for (name, minutes) in [
            ("first_response_minutes", target.first_response_minutes),
            ("resolution_minutes", target.resolution_minutes),
        ] {
            if !(1..=max).contains(&i64::from(minutes)) {
                problems.push(FieldViolation::new(
                    field(name),
                    format!("must be within 1..={max}"),
                ));
            }
        }
        if target.first_response_minutes > target.resolution_minutes {
            problems.push(FieldViolation::new(
                field("first_response_minutes"),
                "the first response is due no later than the resolution",
            ));
        }
    }
    let missing: Vec<&str> = Priority::ALL
        .iter()
        .filter(|p| !seen.contains(*p))
        .map(|p| p.as_str())
        .collect();
    if !missing.is_empty() {
        problems.push(FieldViolation::new(
            "policy.targets",
            format!("needs targets for every priority; missing {}", missing.join(", ")),
        ));
    }
    if !(1..=100).contains(&fields.warning_percent) {
        problems.push(FieldViolation::new(
            "policy.warning_percent",
            "must be within 1..=100",
        ));
    }
    if let Some(status) = fields.pause_statuses.iter().find(|s| !s.can_pause()) {
        problems.push(FieldViolation::new(
            "policy.pause_statuses",
            format!(
                "{} cannot pause the clock: only WAITING_ON_CUSTOMER and WAITING_ON_THIRD_PARTY can",
                status.as_str()
            ),
        ));
    }
    if fields.escalation_steps.len() > MAX_ESCALATION_STEPS {
        problems.push(FieldViolation::new(
            "policy.escalation_steps",
            format!("at most {MAX_ESCALATION_STEPS} steps"),
        ));
    }
    for (i, step) in fields.escalation_steps.iter().enumerate() {
        let field = |name: &str| format!("policy.escalation_steps[{i}].{name}");
        if !(0..=Target::MAX_MINUTES).contains(&i64::from(step.delay_minutes)) {
            problems.push(FieldViolation::new(
                field("delay_minutes"),
                format!("must be within 0..={}", Target::MAX_MINUTES),
            ));
        }
        if !step.notify_assignee && step.roles.is_empty() && step.liaison_department_codes.is_empty() {
            problems.push(FieldViolation::new(
                format!("policy.escalation_steps[{i}]"),
                "names nobody: notify the assignee, team roles or department liaisons",
            ));
        }
        let roles: HashSet<_> = step.roles.iter().collect();
        if roles.len() != step.roles.len() {
            problems.push(FieldViolation::new(field("roles"), "a role appears twice"));
        }
        let codes: HashSet<_> = step.liaison_department_codes.iter().collect();
        if codes.len() != step.liaison_department_codes.len() {
            problems.push(FieldViolation::new(
                field("liaison_department_codes"),
                "a department appears twice",
            ));
        }
    }
    problems
}

/// `fields` in stored order: targets P1 first, pause statuses sorted.
pub fn normalize_policy(mut fields: PolicyFields) -> PolicyFields {
    fields.targets.sort_by_key(|t| t.priority);
    fields.pause_statuses.sort();
    fields.pause_statuses.dedup();
    fields
}

/// The scope named by its two parts: an account, a tier, or (neither) the default. Both at once is a
/// field violation.
pub fn scope_of(account_id: Option<uuid::Uuid>, tier: Option<Tier>) -> Result<PolicyScope, FieldViolation> {
    match (account_id, tier) {
        (Some(account), None) => Ok(PolicyScope::Account(account)),
        (None, Some(tier)) => Ok(PolicyScope::Tier(tier)),
        (None, None) => Ok(PolicyScope::Default),
        (Some(_), Some(_)) => Err(FieldViolation::new(
            "policy.tier",
            "a policy is for an account or a tier, not both",
        )),
    }
}

/// DEFAULT_POLICY when a change would leave no default or make a second one: the default keeps its
/// scope; no other policy takes it.
pub fn check_scope_change(
    subject: &str,
    before: PolicyScope,
    after: PolicyScope,
) -> Result<(), RuleViolation> {
    let violation = |description: &str| RuleViolation {
        rule: DEFAULT_POLICY,
        subject: subject.to_owned(),
        description: description.to_owned(),
    };
    match (before, after) {
        (PolicyScope::Default, PolicyScope::Default) => Ok(()),
        (PolicyScope::Default, _) => Err(violation(
            "the default policy keeps its scope: exactly one default exists",
        )),
        (_, PolicyScope::Default) => Err(violation(
            "there is exactly one default policy: give this policy an account or a tier",
        )),
        _ => Ok(()),
    }
}

/// DEFAULT_POLICY when deleting the default.
pub fn check_delete(subject: &str, policy: &Policy) -> Result<(), RuleViolation> {
    if policy.is_default() {
        Err(RuleViolation {
            rule: DEFAULT_POLICY,
            subject: subject.to_owned(),
            description: "the default policy cannot be deleted".to_owned(),
        })
    } else {
        Ok(())
    }
}

/// The policy that applies to an account (most specific first): its own, else its tier's, else the
/// default. `candidates` are the policies of those three scopes that exist.
pub fn choose_policy(
    candidates: &[Policy],
    account_id: uuid::Uuid,
    tier: Option<Tier>,
) -> Option<(&Policy, PolicyMatch)> {
    let with = |scope: PolicyScope| candidates.iter().find(|p| p.fields.scope == scope);
    with(PolicyScope::Account(account_id))
        .map(|p| (p, PolicyMatch::Account))
        .or_else(|| {
            tier.and_then(|tier| with(PolicyScope::Tier(tier)))
                .map(|p| (p, PolicyMatch::Tier))
        })
        .or_else(|| with(PolicyScope::Default).map(|p| (p, PolicyMatch::Default)))
}

// ----- what a write stores -----

/// What one target leaves in its request's row (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredTarget {
    pub due_time: DateTime<Utc>,
    pub at_risk_time: DateTime<Utc>,
    /// None while IN_PROGRESS or AT_RISK (time alone moves those on); else the state itself.
    pub settled: Option<SlaState>,
    /// Business minutes counted until fulfilment; None while unfulfilled.
    pub business_minutes: Option<i64>,
}

impl StoredTarget {
    pub fn new(status: &TargetStatus) -> Self {
        let settled = match status.state {
            SlaState::InProgress | SlaState::AtRisk => None,
            other => Some(other),
        };
        Self {
            due_time: status.due_time,
            at_risk_time: status.at_risk_time,
            settled,
            business_minutes: status.fulfilled_time.map(|_| status.elapsed.num_minutes()),
        }
    }
}

/// The state of a target at `now` from what the last write (at or before `now`) stored: the rule the
/// SQL filters implement.
pub fn state_from_stored(target: &StoredTarget, now: DateTime<Utc>) -> SlaState {
    match target.settled {
        Some(state) => state,
        None if now > target.due_time => SlaState::Breached,
        None if now >= target.at_risk_time => SlaState::AtRisk,
        None => SlaState::InProgress,
    }
}

/// How far a target has gone on the way the monitor records: IN_PROGRESS (0) → AT_RISK (1) → BREACHED
/// (2). Every other state ranks 0: nothing to record.
pub fn escalation_rank(state: SlaState) -> u8 {
    match state {
        SlaState::AtRisk => 1,
        SlaState::Breached => 2,
        _ => 0,
    }
}

/// The state the monitor records for a rank.
fn recorded_state(rank: u8) -> SlaState {
    match rank {
        0 => SlaState::InProgress,
        1 => SlaState::AtRisk,
        _ => SlaState::Breached,
    }
}

/// After RecalculateSla: the recorded state comes down to what the new targets say, so that a request
/// the new targets put back in progress is recorded (and escalated) again when it next turns; it never
/// goes up (that is the monitor's to record).
pub fn recorded_after_recalculation(recorded: SlaState, now: SlaState) -> SlaState {
    recorded_state(escalation_rank(recorded).min(escalation_rank(now)))
}

/// When the monitor must look at a target next: at once when its state has gone further than the
/// recorded one; at the at-risk time while in progress; just after the due time while at risk (it is
/// breached strictly after); never when only an event can change it.
fn target_check(status: &TargetStatus, recorded: SlaState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if escalation_rank(status.state) > escalation_rank(recorded) {
        return Some(now);
    }
    match status.state {
        SlaState::InProgress => Some(status.at_risk_time),
        SlaState::AtRisk => Some(status.due_time + Duration::microseconds(1)),
        SlaState::Paused | SlaState::Met | SlaState::Breached | SlaState::Cancelled => None,
    }
}

/// What a write stores for both targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredSla {
    pub first_response: StoredTarget,
    pub resolution: StoredTarget,
    pub next_check_time: Option<DateTime<Utc>>,
}

/// The stored columns of an evaluation made at `now`. `recorded` are the states the monitor recorded
/// (first response, resolution); `previous_check` is the stored next check. A write only ever brings
/// the next check forward, never postpones or clears it: only the monitor, which knows what it has
/// recorded and which escalation steps (with their delays) are still due, moves it later.
pub fn stored_sla(
    evaluation: &SlaEvaluation,
    recorded: (SlaState, SlaState),
    previous_check: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StoredSla {
    let checks = [
        target_check(&evaluation.first_response, recorded.0, now),
        target_check(&evaluation.resolution, recorded.1, now),
        previous_check,
    ];
    StoredSla {
        first_response: StoredTarget::new(&evaluation.first_response),
        resolution: StoredTarget::new(&evaluation.resolution),
        next_check_time: checks.into_iter().flatten().min(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::{
        service_levels::clock::{PauseStatuses, SlaClock, SlaTargets, WorkingWindow},
        service_levels::model::{EscalationStep, Holiday, PriorityTargets, Trigger},
        teams::model::TeamRole,
    };

    use RequestStatus::*;

    const ALL_STATUSES: [RequestStatus; 7] = [
        New,
        InProgress,
        WaitingOnCustomer,
        WaitingOnThirdParty,
        Resolved,
        Closed,
        Cancelled,
    ];

    #[test]
    fn the_transition_graph_is_exactly_the_documented_one() {
        // Every (from, to) pair: 'x' allowed, '.' refused. Columns in ALL_STATUSES order.
        let table = [
            (New, ".xxxx.x"),
            (InProgress, "..xxx.x"),
            (WaitingOnCustomer, ".x..x.x"),
            (WaitingOnThirdParty, ".x..x.x"),
            (Resolved, ".x...x."),
            (Closed, "......."),
            (Cancelled, "......."),
        ];
        for (from, row) in table {
            for (to, cell) in ALL_STATUSES.iter().zip(row.chars()) {
                let allowed = check_transition("r", from, *to).is_ok();
                assert_eq!(allowed, cell == 'x', "{} → {}", from.as_str(), to.as_str());
                assert_eq!(next_statuses(from).contains(to), allowed);
            }
        }
    }

    #[test]
    fn an_illegal_transition_names_the_rule_and_the_way_out() {
        let refused =
            check_transition("service_requests/x", WaitingOnCustomer, WaitingOnThirdParty).unwrap_err();
        assert_eq!(refused.rule, ILLEGAL_TRANSITION);
        assert_eq!(refused.subject, "service_requests/x");
        assert!(refused.description.contains("IN_PROGRESS, RESOLVED, CANCELLED"));
        let from_final = check_transition("r", Closed, InProgress).unwrap_err();
        assert!(from_final.description.contains("CLOSED is final"));
    }

    #[test]
    fn nothing_goes_back_to_new_or_stays_put() {
        for from in ALL_STATUSES {
            assert!(check_transition("r", from, New).is_err());
            assert!(check_transition("r", from, from).is_err());
        }
    }

    #[test]
    fn open_resolved_and_final_statuses() {
        let open: Vec<_> = ALL_STATUSES.into_iter().filter(|s| is_open(*s)).collect();
        assert_eq!(open, [New, InProgress, WaitingOnCustomer, WaitingOnThirdParty]);
        let finals: Vec<_> = ALL_STATUSES.into_iter().filter(|s| is_final(*s)).collect();
        assert_eq!(finals, [Closed, Cancelled]);
        assert_eq!(check_not_final("r", Cancelled).unwrap_err().rule, REQUEST_FINAL);
        assert!(check_not_final("r", Resolved).is_ok());
    }

    fn window(day: Weekday, start: &str, end: &str) -> DayWindow {
        let w = WorkingWindow::parse(&format!("{start}-{end}")).unwrap();
        DayWindow {
            weekday: day,
            start_minute: w.start_minute(),
            end_minute: w.end_minute(),
        }
    }

    fn calendar(windows: Vec<DayWindow>) -> CalendarFields {
        CalendarFields {
            display_name: "Cal".into(),
            time_zone: "Europe/Berlin".into(),
            always_open: false,
            windows,
            holidays: vec![],
        }
    }

    fn fields_of(problems: &[FieldViolation]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_well_formed_calendar_passes_in_any_order() {
        let fields = calendar(vec![
            window(Weekday::Tue, "13:00", "17:00"),
            window(Weekday::Mon, "08:00", "12:00"),
            window(Weekday::Mon, "12:00", "13:00"),
            window(Weekday::Tue, "08:00", "12:00"),
            window(Weekday::Sat, "22:00", "24:00"),
            window(Weekday::Sun, "00:00", "06:00"),
        ]);
        assert_eq!(check_calendar(&fields), []);
        let calendar = business_calendar(&fields).unwrap();
        assert_eq!(calendar.windows(Weekday::Tue).len(), 2);
        let normalized = normalize_calendar(fields);
        assert_eq!(normalized.windows[0], window(Weekday::Mon, "08:00", "12:00"));
        assert_eq!(normalized.windows[5], window(Weekday::Sun, "00:00", "06:00"));
    }

    #[test]
    fn overlapping_and_backwards_windows_are_named_by_index() {
        let fields = calendar(vec![
            window(Weekday::Mon, "08:00", "12:00"),
            window(Weekday::Mon, "11:00", "14:00"),
            window(Weekday::Tue, "18:00", "06:00"),
            window(Weekday::Wed, "09:00", "09:00"),
        ]);
        let problems = check_calendar(&fields);
        assert_eq!(
            fields_of(&problems),
            [
                "calendar.windows[2]",
                "calendar.windows[3]",
                "calendar.windows[1]"
            ]
        );
        assert!(problems[0].description.contains("never crosses midnight"));
        assert!(
            problems[2]
                .description
                .contains("MONDAY 11:00-14:00 overlaps MONDAY 08:00-12:00")
        );
    }

    #[test]
    fn time_zones_are_iana_names() {
        let mut fields = calendar(vec![window(Weekday::Mon, "08:00", "12:00")]);
        fields.time_zone = "Mars/Olympus".into();
        assert_eq!(fields_of(&check_calendar(&fields)), ["calendar.time_zone"]);
        fields.time_zone = "UTC".into();
        assert_eq!(check_calendar(&fields), []);
    }

    #[test]
    fn always_open_has_no_windows_or_holidays_and_others_need_one_window() {
        let mut fields = calendar(vec![window(Weekday::Mon, "08:00", "12:00")]);
        fields.always_open = true;
        fields.holidays = vec![Holiday {
            date: NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
            display_name: "Christmas".into(),
        }];
        assert_eq!(
            fields_of(&check_calendar(&fields)),
            ["calendar.windows", "calendar.holidays"]
        );
        fields.windows.clear();
        fields.holidays.clear();
        assert_eq!(check_calendar(&fields), []);
        assert!(business_calendar(&fields).unwrap().is_always_open());
        fields.always_open = false;
        assert_eq!(fields_of(&check_calendar(&fields)), ["calendar.windows"]);
    }

    #[test]
    fn holidays_are_distinct() {
        let christmas = Holiday {
            date: NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
            display_name: "Christmas".into(),
        };
        let mut fields = calendar(vec![window(Weekday::Mon, "08:00", "12:00")]);
        fields.holidays = vec![christmas.clone(), christmas];
        assert_eq!(fields_of(&check_calendar(&fields)), ["calendar.holidays[1].date"]);
    }

    #[test]
    fn at_most_24_windows_a_day() {
        let windows = (0..25u16)
            .map(|h| DayWindow {
                weekday: Weekday::Fri,
                start_minute: h * 50,
                end_minute: h * 50 + 10,
            })
            .collect();
        assert_eq!(
            fields_of(&check_calendar(&calendar(windows))),
            ["calendar.windows"]
        );
    }

    fn targets(first: [(i32, i32); 4]) -> Vec<PriorityTargets> {
        Priority::ALL
            .iter()
            .zip(first)
            .map(|(p, (f, r))| PriorityTargets {
                priority: *p,
                first_response_minutes: f,
                resolution_minutes: r,
            })
            .collect()
    }

    fn policy_fields() -> PolicyFields {
        PolicyFields {
            display_name: "P".into(),
            scope: PolicyScope::Tier(Tier::Key),
            calendar_id: Uuid::nil(),
            targets: targets([(30, 240), (60, 480), (120, 960), (240, 1920)]),
            warning_percent: 80,
            pause_statuses: vec![WaitingOnCustomer],
            escalation_steps: vec![EscalationStep {
                trigger: Trigger::Breached,
                target: None,
                delay_minutes: 0,
                notify_assignee: false,
                roles: vec![TeamRole::AccountManager],
                liaison_department_codes: vec!["CUSTOMER_SERVICE".into()],
            }],
        }
    }

    #[test]
    fn a_well_formed_policy_passes() {
        assert_eq!(check_policy(&policy_fields()), []);
    }

    #[test]
    fn every_priority_once_and_response_within_resolution() {
        let mut fields = policy_fields();
        fields.targets = targets([(30, 240), (600, 480), (0, 960), (240, 1920)]);
        fields.targets[3].priority = Priority::P1;
        let problems = check_policy(&fields);
        assert_eq!(
            fields_of(&problems),
            [
                "policy.targets[1].first_response_minutes",
                "policy.targets[2].first_response_minutes",
                "policy.targets[3].priority",
                "policy.targets"
            ]
        );
        assert!(problems[3].description.contains("missing P4"));
    }

    #[test]
    fn warning_percent_pause_statuses_and_steps_are_checked() {
        let mut fields = policy_fields();
        fields.warning_percent = 0;
        fields.pause_statuses = vec![Resolved];
        fields.escalation_steps[0].roles = vec![];
        fields.escalation_steps[0].liaison_department_codes = vec![];
        fields.escalation_steps.push(EscalationStep {
            trigger: Trigger::AtRisk,
            target: None,
            delay_minutes: -1,
            notify_assignee: true,
            roles: vec![TeamRole::AccountManager, TeamRole::AccountManager],
            liaison_department_codes: vec![],
        });
        assert_eq!(
            fields_of(&check_policy(&fields)),
            [
                "policy.warning_percent",
                "policy.pause_statuses",
                "policy.escalation_steps[0]",
                "policy.escalation_steps[1].delay_minutes",
                "policy.escalation_steps[1].roles",
            ]
        );
    }

    #[test]
    fn the_default_keeps_its_scope_and_is_never_deleted() {
        use PolicyScope::*;
        let account = Account(Uuid::nil());
        assert!(check_scope_change("p", Default, Default).is_ok());
        assert!(check_scope_change("p", account, Tier(crate::accounts::model::Tier::Key)).is_ok());
        assert_eq!(
            check_scope_change("p", Default, account).unwrap_err().rule,
            DEFAULT_POLICY
        );
        assert_eq!(
            check_scope_change("p", account, Default).unwrap_err().rule,
            DEFAULT_POLICY
        );
        let default = Policy {
            id: Uuid::nil(),
            fields: PolicyFields {
                scope: Default,
                ..policy_fields()
            },
            create_time: Utc::now(),
            update_time: Utc::now(),
            revision: 1,
        };
        assert_eq!(check_delete("p", &default).unwrap_err().rule, DEFAULT_POLICY);
        assert!(scope_of(Some(Uuid::nil()), Some(crate::accounts::model::Tier::Key)).is_err());
        assert_eq!(scope_of(None, None), Ok(Default));
    }

    #[test]
    fn the_account_policy_beats_the_tier_policy_beats_the_default() {
        let account_id = Uuid::now_v7();
        let policy = |scope| Policy {
            id: Uuid::now_v7(),
            fields: PolicyFields {
                scope,
                ..policy_fields()
            },
            create_time: Utc::now(),
            update_time: Utc::now(),
            revision: 1,
        };
        let own = policy(PolicyScope::Account(account_id));
        let tier = policy(PolicyScope::Tier(Tier::Key));
        let default = policy(PolicyScope::Default);
        let all = [default.clone(), tier.clone(), own.clone()];
        let pick =
            |candidates: &[Policy], tier| choose_policy(candidates, account_id, tier).map(|(p, m)| (p.id, m));
        assert_eq!(pick(&all, Some(Tier::Key)), Some((own.id, PolicyMatch::Account)));
        let no_own = [default.clone(), tier.clone()];
        assert_eq!(pick(&no_own, Some(Tier::Key)), Some((tier.id, PolicyMatch::Tier)));
        assert_eq!(
            pick(&no_own, Some(Tier::Standard)),
            Some((default.id, PolicyMatch::Default))
        );
        assert_eq!(pick(&no_own, None), Some((default.id, PolicyMatch::Default)));
        assert_eq!(pick(&[], None), None);
    }

    #[test]
    fn recalculation_lowers_the_recorded_state_but_never_raises_it() {
        use SlaState::*;
        assert_eq!(recorded_after_recalculation(Breached, InProgress), InProgress);
        assert_eq!(recorded_after_recalculation(Breached, AtRisk), AtRisk);
        assert_eq!(recorded_after_recalculation(AtRisk, Breached), AtRisk);
        assert_eq!(recorded_after_recalculation(InProgress, Breached), InProgress);
        assert_eq!(recorded_after_recalculation(Breached, Met), InProgress);
    }

    // ----- the stored columns against the clock -----

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    /// Mon–Fri 08:00–12:00 and 13:00–17:00 in Berlin.
    fn berlin() -> BusinessCalendar {
        let mut fields = calendar(vec![]);
        for day in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ] {
            fields.windows.push(window(day, "08:00", "12:00"));
            fields.windows.push(window(day, "13:00", "17:00"));
        }
        business_calendar(&fields).unwrap()
    }

    fn sla_targets(first: i64, resolution: i64) -> SlaTargets {
        SlaTargets {
            first_response: Target::new(first, 75).unwrap(),
            resolution: Target::new(resolution, 75).unwrap(),
        }
    }

    #[test]
    fn a_new_request_is_checked_at_its_first_at_risk_time() {
        let calendar = berlin();
        // Monday 09:00 Berlin.
        let created = at("2024-03-04T08:00:00Z");
        let history = [(created, New)];
        let pause = PauseStatuses::default();
        let clock = SlaClock::new(&calendar, &history, &pause).unwrap();
        let evaluation = clock.evaluate(sla_targets(60, 240), None, created).unwrap();
        let stored = stored_sla(
            &evaluation,
            (SlaState::InProgress, SlaState::InProgress),
            None,
            created,
        );
        // 45 of 60 minutes: 09:45 Berlin.
        assert_eq!(stored.next_check_time, Some(at("2024-03-04T08:45:00Z")));
        assert_eq!(stored.first_response.settled, None);
        assert_eq!(stored.first_response.due_time, at("2024-03-04T09:00:00Z"));
        assert_eq!(stored.resolution.business_minutes, None);
    }

    #[test]
    fn an_unrecorded_breach_asks_for_a_check_at_once_and_a_write_never_postpones_one() {
        let calendar = berlin();
        let created = at("2024-03-04T08:00:00Z");
        let history = [(created, New)];
        let pause = PauseStatuses::default();
        let clock = SlaClock::new(&calendar, &history, &pause).unwrap();
        let now = at("2024-03-04T10:00:00Z");
        let evaluation = clock.evaluate(sla_targets(60, 240), None, now).unwrap();
        assert_eq!(evaluation.first_response.state, SlaState::Breached);
        let unrecorded = stored_sla(&evaluation, (SlaState::AtRisk, SlaState::InProgress), None, now);
        assert_eq!(unrecorded.next_check_time, Some(now));
        assert_eq!(unrecorded.first_response.settled, Some(SlaState::Breached));
        let recorded = stored_sla(&evaluation, (SlaState::Breached, SlaState::InProgress), None, now);
        // The resolution (2 of 4 hours gone) turns at risk at 12:00 Berlin.
        assert_eq!(recorded.next_check_time, Some(at("2024-03-04T11:00:00Z")));
        // At risk: checked again just after its 14:00 Berlin due time.
        let later = at("2024-03-04T11:30:00Z");
        let at_risk = clock.evaluate(sla_targets(60, 240), None, later).unwrap();
        assert_eq!(at_risk.resolution.state, SlaState::AtRisk);
        let recorded = stored_sla(&at_risk, (SlaState::Breached, SlaState::AtRisk), None, later);
        assert_eq!(
            recorded.next_check_time,
            Some(at("2024-03-04T13:00:00Z") + Duration::microseconds(1))
        );
        let earlier = at("2024-03-04T09:30:00Z");
        let kept = stored_sla(
            &evaluation,
            (SlaState::Breached, SlaState::InProgress),
            Some(earlier),
            now,
        );
        assert_eq!(kept.next_check_time, Some(earlier));
    }

    /// A random history: created at some instant of a fortnight, then up to six changes along the graph
    /// at increasing instants, and a first response perhaps.
    /// A status history and perhaps a first response.
    type Story = (Vec<(DateTime<Utc>, RequestStatus)>, Option<DateTime<Utc>>);

    fn arb_history() -> impl Strategy<Value = Story> {
        let start = at("2024-03-01T00:00:00Z");
        (
            0i64..14 * 24 * 60,
            proptest::collection::vec((0i64..3000, 0usize..5), 0..6),
            proptest::option::of(0i64..5000),
        )
            .prop_map(move |(created, steps, response)| {
                let mut time = start + Duration::minutes(created);
                let mut history = vec![(time, New)];
                let mut status = New;
                for (gap, choice) in steps {
                    let next = next_statuses(status);
                    if next.is_empty() {
                        break;
                    }
                    time += Duration::minutes(gap);
                    status = next[choice % next.len()];
                    history.push((time, status));
                }
                let created = history[0].0;
                (history, response.map(|m| created + Duration::minutes(m)))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// What SQL derives from the stored columns is what the clock says, at any later instant.
        #[test]
        fn stored_columns_give_the_clocks_state_until_the_next_write(
            (history, response) in arb_history(),
            first in 1i64..600,
            extra in 0i64..3000,
            always_open in any::<bool>(),
            write_delay in 0i64..2000,
            later in proptest::collection::vec(0i64..20_000, 1..6),
            pause_customer in any::<bool>(),
        ) {
            let calendar = if always_open {
                BusinessCalendar::always_open("Europe/Berlin").unwrap()
            } else {
                berlin()
            };
            let pause = if pause_customer {
                PauseStatuses::default()
            } else {
                PauseStatuses::new([WaitingOnThirdParty]).unwrap()
            };
            let targets = sla_targets(first, first + extra);
            let last_event = history.last().unwrap().0.max(response.unwrap_or(history[0].0));
            let write = last_event + Duration::minutes(write_delay);
            let clock = SlaClock::new(&calendar, &history, &pause).unwrap();
            let at_write = clock.evaluate(targets, response, write).unwrap();
            let stored = stored_sla(&at_write, (SlaState::InProgress, SlaState::InProgress), None, write);
            for minutes in later {
                let now = write + Duration::minutes(minutes) + Duration::milliseconds(minutes % 7 * 100);
                let truth = clock.evaluate(targets, response, now).unwrap();
                prop_assert_eq!(
                    state_from_stored(&stored.first_response, now),
                    truth.first_response.state,
                    "first response at {}", now
                );
                prop_assert_eq!(
                    state_from_stored(&stored.resolution, now),
                    truth.resolution.state,
                    "resolution at {}", now
                );
                if truth.resolution.state != SlaState::Paused {
                    prop_assert_eq!(stored.resolution.due_time, truth.resolution.due_time);
                }
                prop_assert_eq!(stored.first_response.due_time, truth.first_response.due_time);
            }
        }
    }
}
