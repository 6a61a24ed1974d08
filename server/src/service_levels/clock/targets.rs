//! The SLA clock: the state of a request's FIRST_RESPONSE and RESOLUTION targets, derived purely from its
//! status history on a [`BusinessCalendar`]. Nothing is accumulated between calls, so a new target (e.g.
//! from `RecalculateSla`) applies to the same history by calling again with it.
//!
//! # Rules
//!
//! - **History.** `(instant, status)` pairs in time order, the first being the creation with status NEW.
//!   Each status holds from its instant until the next entry's instant (the last one until now).
//! - **Now.** A `now` earlier than a recorded event (the last status change, the first response) is taken
//!   as that event's instant: what is recorded has happened.
//! - **FIRST_RESPONSE** runs from creation until the first response and is never paused. It is fulfilled
//!   at the first response (if that came no later than a cancellation).
//! - **RESOLUTION** runs from creation in every status except the *paused* ones: the policy's pause
//!   statuses ([`PauseStatuses`], by default WAITING_ON_CUSTOMER and WAITING_ON_THIRD_PARTY), and
//!   always RESOLVED, CLOSED and CANCELLED. A reopened request (RESOLVED → IN_PROGRESS) runs again. It is
//!   fulfilled at the last transition into RESOLVED (or straight into CLOSED) while the request is still
//!   RESOLVED or CLOSED; once reopened it is unfulfilled again.
//! - **Counting stops** at fulfillment, or at cancellation (the start of a final CANCELLED status), or at
//!   now: `elapsed` (running business time) and `paused` (paused business time) are measured from
//!   creation to that end, so together they are the business time from creation to it, and they no
//!   longer change once the target is fulfilled or the request cancelled.
//! - **Due time** is the instant at which running business time since creation reaches the target, i.e.
//!   creation + target + business time paused before that instant. Once the target has been reached it is
//!   that (past) instant. Otherwise the rest of the target is added from the end of counting: while the
//!   clock runs that is the real due time; **while paused it is the due time as if the clock resumed
//!   now**, so it moves forward as the pause lasts; for a fulfilled or cancelled target it is frozen.
//! - **At-risk time** is the instant at which elapsed reaches `warning_percent` % of the target, by the
//!   same rule (as if no further pause happens). A background monitor stores [`TargetStatus::next_check`].
//! - **State**, first match wins: CANCELLED (request cancelled before the target was fulfilled); MET
//!   (fulfilled at or before due); BREACHED (fulfilled after due, or unfulfilled and now strictly after
//!   due); PAUSED (resolution currently paused); AT_RISK (elapsed ≥ `warning_percent` % of the target);
//!   IN_PROGRESS. Due and breach compare *instants*: a target reached at 17:00 Friday and fulfilled at
//!   18:00 the same evening is BREACHED, although no further business time elapsed.

use chrono::{DateTime, Duration, Utc};

use super::calendar::{BusinessCalendar, BusinessTimeError};

crate::named_enum!(
    /// The lifecycle of a service request, by its proto name.
    RequestStatus {
        New = "NEW",
        InProgress = "IN_PROGRESS",
        WaitingOnCustomer = "WAITING_ON_CUSTOMER",
        WaitingOnThirdParty = "WAITING_ON_THIRD_PARTY",
        Resolved = "RESOLVED",
        Closed = "CLOSED",
        Cancelled = "CANCELLED",
    }
);

crate::named_enum!(
    /// The state of one SLA target (see the [module docs](self) for how it is chosen).
    SlaState {
        InProgress = "IN_PROGRESS",
        AtRisk = "AT_RISK",
        Paused = "PAUSED",
        Met = "MET",
        Breached = "BREACHED",
        Cancelled = "CANCELLED",
    }
);

crate::named_enum!(
    /// The two targets of a service-level agreement.
    TargetKind { FirstResponse = "FIRST_RESPONSE", Resolution = "RESOLUTION" }
);

impl RequestStatus {
    /// RESOLVED or CLOSED: the resolution target is fulfilled while the request stays here.
    pub fn is_resolved(self) -> bool {
        matches!(self, Self::Resolved | Self::Closed)
    }

    /// Whether a policy may list this status as pausing the resolution clock: only the waiting
    /// statuses (RESOLVED, CLOSED and CANCELLED pause it anyway).
    pub fn can_pause(self) -> bool {
        matches!(self, Self::WaitingOnCustomer | Self::WaitingOnThirdParty)
    }
}

/// Why an SLA cannot be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlaError {
    #[error("status history is empty: its first entry must be the creation with status NEW")]
    EmptyHistory,
    #[error("status history must start with NEW, not {}", found.as_str())]
    FirstStatusNotNew { found: RequestStatus },
    #[error("status history entry {index} is earlier than the entry before it")]
    HistoryOutOfOrder { index: usize },
    #[error("first response at {first_response} is before the request's creation at {created}")]
    FirstResponseBeforeCreation {
        first_response: DateTime<Utc>,
        created: DateTime<Utc>,
    },
    #[error(
        "target must be within 1..={} business minutes, not {minutes}",
        Target::MAX_MINUTES
    )]
    TargetOutOfRange { minutes: i64 },
    #[error("warning percent must be within 1..=100, not {percent}")]
    WarningPercentOutOfRange { percent: u8 },
    #[error("{} cannot be a pause status: only WAITING_ON_CUSTOMER and WAITING_ON_THIRD_PARTY can", status.as_str())]
    NotAPauseStatus { status: RequestStatus },
    #[error(transparent)]
    BusinessTime(#[from] BusinessTimeError),
}

/// The statuses a policy lets pause the resolution clock: a subset of the waiting statuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PauseStatuses {
    /// Sorted, without duplicates.
    statuses: Vec<RequestStatus>,
}

impl PauseStatuses {
    pub fn new(statuses: impl IntoIterator<Item = RequestStatus>) -> Result<Self, SlaError> {
        let mut statuses: Vec<_> = statuses.into_iter().collect();
        if let Some(&status) = statuses.iter().find(|s| !s.can_pause()) {
            return Err(SlaError::NotAPauseStatus { status });
        }
        statuses.sort_unstable();
        statuses.dedup();
        Ok(Self { statuses })
    }

    /// A policy under which only resolution (RESOLVED, CLOSED) and cancellation stop the clock.
    pub fn none() -> Self {
        Self { statuses: Vec::new() }
    }

    pub fn statuses(&self) -> &[RequestStatus] {
        &self.statuses
    }

    pub fn contains(&self, status: RequestStatus) -> bool {
        self.statuses.contains(&status)
    }
}

impl Default for PauseStatuses {
    /// WAITING_ON_CUSTOMER and WAITING_ON_THIRD_PARTY.
    fn default() -> Self {
        Self {
            statuses: vec![
                RequestStatus::WaitingOnCustomer,
                RequestStatus::WaitingOnThirdParty,
            ],
        }
    }
}

/// One target: business minutes to fulfil it in, and the percentage of them after which it is at risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    minutes: i64,
    warning_percent: u8,
}

impl Target {
    /// About 19 years of round-the-clock minutes; beyond any real agreement, far from overflow.
    pub const MAX_MINUTES: i64 = 10_000_000;

    pub fn new(minutes: i64, warning_percent: u8) -> Result<Self, SlaError> {
        if !(1..=Self::MAX_MINUTES).contains(&minutes) {
            return Err(SlaError::TargetOutOfRange { minutes });
        }
        if !(1..=100).contains(&warning_percent) {
            return Err(SlaError::WarningPercentOutOfRange {
                percent: warning_percent,
            });
        }
        Ok(Self {
            minutes,
            warning_percent,
        })
    }

    pub fn minutes(self) -> i64 {
        self.minutes
    }

    pub fn warning_percent(self) -> u8 {
        self.warning_percent
    }

    pub fn duration(self) -> Duration {
        Duration::minutes(self.minutes)
    }

    /// `warning_percent` % of the target, exactly (a minute's percent is 600 ms).
    pub fn warning_threshold(self) -> Duration {
        Duration::milliseconds(self.minutes * 600 * i64::from(self.warning_percent))
    }
}

/// The targets of one agreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlaTargets {
    pub first_response: Target,
    pub resolution: Target,
}

/// Where one target stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetStatus {
    pub state: SlaState,
    /// See the [module docs](self): while paused, the due time as if the clock resumed now.
    pub due_time: DateTime<Utc>,
    /// When elapsed reaches the warning threshold (as if no further pause happens).
    pub at_risk_time: DateTime<Utc>,
    /// Business time counted against the target so far.
    pub elapsed: Duration,
    /// Business time the target's clock was paused (always zero for FIRST_RESPONSE).
    pub paused: Duration,
    pub fulfilled_time: Option<DateTime<Utc>>,
}

impl TargetStatus {
    /// The instant after which re-evaluating with a later `now` (and the same history) can change the
    /// state by the passage of time alone; `None` when only an event can change it (PAUSED) or it is
    /// final (MET, BREACHED, CANCELLED).
    ///
    /// IN_PROGRESS turns AT_RISK at `at_risk_time` itself; AT_RISK turns BREACHED strictly after
    /// `due_time`, so a monitor re-evaluating exactly at `due_time` still sees AT_RISK and should check
    /// again later.
    pub fn next_check(&self) -> Option<DateTime<Utc>> {
        match self.state {
            SlaState::InProgress => Some(self.at_risk_time),
            SlaState::AtRisk => Some(self.due_time),
            SlaState::Paused | SlaState::Met | SlaState::Breached | SlaState::Cancelled => None,
        }
    }
}

/// Both targets of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlaEvaluation {
    pub first_response: TargetStatus,
    pub resolution: TargetStatus,
}

impl SlaEvaluation {
    pub fn get(&self, kind: TargetKind) -> &TargetStatus {
        match kind {
            TargetKind::FirstResponse => &self.first_response,
            TargetKind::Resolution => &self.resolution,
        }
    }
}

/// A request's validated status history on a calendar under a pause policy.
#[derive(Clone, Copy, Debug)]
pub struct SlaClock<'a> {
    calendar: &'a BusinessCalendar,
    history: &'a [(DateTime<Utc>, RequestStatus)],
    pause: &'a PauseStatuses,
}

/// A stretch of the history during which the resolution clock either ran or was paused.
struct Segment {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    running: bool,
}

impl<'a> SlaClock<'a> {
    /// Checks the history: non-empty, starting with NEW, in time order (equal instants allowed).
    pub fn new(
        calendar: &'a BusinessCalendar,
        history: &'a [(DateTime<Utc>, RequestStatus)],
        pause: &'a PauseStatuses,
    ) -> Result<Self, SlaError> {
        let (_, first) = history.first().ok_or(SlaError::EmptyHistory)?;
        if *first != RequestStatus::New {
            return Err(SlaError::FirstStatusNotNew { found: *first });
        }
        if let Some(index) = (1..history.len()).find(|&i| history[i].0 < history[i - 1].0) {
            return Err(SlaError::HistoryOutOfOrder { index });
        }
        Ok(Self {
            calendar,
            history,
            pause,
        })
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.history[0].0
    }

    pub fn current_status(&self) -> RequestStatus {
        self.history[self.history.len() - 1].1
    }

    /// The start of the final run of statuses matching `pred`, when the request is in one now.
    fn final_run_start(&self, pred: impl Fn(RequestStatus) -> bool) -> Option<DateTime<Utc>> {
        let run = self
            .history
            .iter()
            .rev()
            .take_while(|(_, status)| pred(*status))
            .last()?;
        Some(run.0)
    }

    /// When the request was cancelled, if it is CANCELLED now.
    pub fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.final_run_start(|status| status == RequestStatus::Cancelled)
    }

    /// The last transition into RESOLVED (or straight into CLOSED), if the request is RESOLVED or CLOSED
    /// now: the instant the resolution target was fulfilled.
    pub fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.final_run_start(RequestStatus::is_resolved)
    }

    fn resolution_paused_in(&self, status: RequestStatus) -> bool {
        status.is_resolved() || status == RequestStatus::Cancelled || self.pause.contains(status)
    }

    /// `now`, but no earlier than the last recorded status change.
    fn effective_now(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.max(self.history[self.history.len() - 1].0)
    }

    /// Where the resolution clock stops counting: fulfillment, cancellation, or now.
    fn resolution_end(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.resolved_at()
            .or_else(|| self.cancelled_at())
            .unwrap_or_else(|| self.effective_now(now))
    }

    /// The running and paused stretches from creation to `end`.
    fn segments(&self, end: DateTime<Utc>) -> Vec<Segment> {
        let mut segments = Vec::with_capacity(self.history.len());
        for (i, &(from, status)) in self.history.iter().enumerate() {
            if from >= end {
                break;
            }
            let to = self.history.get(i + 1).map_or(end, |next| next.0.min(end));
            segments.push(Segment {
                from,
                to,
                running: !self.resolution_paused_in(status),
            });
        }
        segments
    }

    /// The instant at which running business time reaches `amount`, running again from `resume_at`
    /// once the segments are exhausted.
    fn when_running_reaches(
        &self,
        segments: &[Segment],
        amount: Duration,
        resume_at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, BusinessTimeError> {
        let mut left = amount;
        for segment in segments.iter().filter(|s| s.running) {
            let available = self.calendar.business_time_between(segment.from, segment.to);
            if available >= left {
                return self.calendar.add_business_time(segment.from, left);
            }
            left -= available;
        }
        self.calendar.add_business_time(resume_at, left)
    }

    /// Business time the resolution clock has been paused from creation to the end of counting:
    /// what a recalculated target keeps.
    pub fn pause_so_far(&self, now: DateTime<Utc>) -> Duration {
        self.segments(self.resolution_end(now))
            .iter()
            .filter(|s| !s.running)
            .map(|s| self.calendar.business_time_between(s.from, s.to))
            .sum()
    }

    /// The RESOLUTION target at `now`.
    pub fn resolution(&self, target: Target, now: DateTime<Utc>) -> Result<TargetStatus, SlaError> {
        let now = self.effective_now(now);
        let end = self.resolution_end(now);
        let segments = self.segments(end);
        let (mut elapsed, mut paused) = (Duration::zero(), Duration::zero());
        for segment in &segments {
            let time = self.calendar.business_time_between(segment.from, segment.to);
            if segment.running {
                elapsed += time;
            } else {
                paused += time;
            }
        }
        let due_time = self.when_running_reaches(&segments, target.duration(), end)?;
        let at_risk_time = self.when_running_reaches(&segments, target.warning_threshold(), end)?;
        let fulfilled_time = self.resolved_at();
        let state = if self.cancelled_at().is_some() {
            SlaState::Cancelled
        } else if let Some(fulfilled) = fulfilled_time {
            met_or_breached(fulfilled, due_time)
        } else if now > due_time {
            SlaState::Breached
        } else if self.resolution_paused_in(self.current_status()) {
            SlaState::Paused
        } else if elapsed >= target.warning_threshold() {
            SlaState::AtRisk
        } else {
            SlaState::InProgress
        };
        Ok(TargetStatus {
            state,
            due_time,
            at_risk_time,
            elapsed,
            paused,
            fulfilled_time,
        })
    }

    /// The FIRST_RESPONSE target at `now`, the first response (if any) having been recorded at
    /// `first_response_at`.
    pub fn first_response(
        &self,
        target: Target,
        first_response_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<TargetStatus, SlaError> {
        let created = self.created_at();
        if let Some(first_response) = first_response_at.filter(|&at| at < created) {
            return Err(SlaError::FirstResponseBeforeCreation {
                first_response,
                created,
            });
        }
        let now = self.effective_now(now).max(first_response_at.unwrap_or(now));
        let cancelled_at = self.cancelled_at();
        let fulfilled_time =
            first_response_at.filter(|&at| cancelled_at.is_none_or(|cancelled| at <= cancelled));
        let end = fulfilled_time.or(cancelled_at).unwrap_or(now);
        let elapsed = self.calendar.business_time_between(created, end);
        let due_time = self.calendar.add_business_time(created, target.duration())?;
        let at_risk_time = self
            .calendar
            .add_business_time(created, target.warning_threshold())?;
        let state = if let Some(fulfilled) = fulfilled_time {
            met_or_breached(fulfilled, due_time)
        } else if cancelled_at.is_some() {
            SlaState::Cancelled
        } else if now > due_time {
            SlaState::Breached
        } else if elapsed >= target.warning_threshold() {
            SlaState::AtRisk
        } else {
            SlaState::InProgress
        };
        Ok(TargetStatus {
            state,
            due_time,
            at_risk_time,
            elapsed,
            paused: Duration::zero(),
            fulfilled_time,
        })
    }

    /// Both targets at `now`.
    pub fn evaluate(
        &self,
        targets: SlaTargets,
        first_response_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<SlaEvaluation, SlaError> {
        Ok(SlaEvaluation {
            first_response: self.first_response(targets.first_response, first_response_at, now)?,
            resolution: self.resolution(targets.resolution, now)?,
        })
    }
}

fn met_or_breached(fulfilled: DateTime<Utc>, due: DateTime<Utc>) -> SlaState {
    if fulfilled <= due {
        SlaState::Met
    } else {
        SlaState::Breached
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::calendar::tests::{arb_calendar, arb_instant, at, berlin_office, weekly_minutes};
    use super::RequestStatus::*;
    use super::*;

    // Berlin office hours (Mon–Fri 08:00–12:00, 13:00–17:00), week of Monday 2024-03-04 (CET = UTC+1):
    // local 09:00 is 08:00Z. First response within 1 h, resolution within 4 h, at risk from 75 %.

    fn first_response_target() -> Target {
        Target::new(60, 75).unwrap()
    }

    fn resolution_target() -> Target {
        Target::new(240, 75).unwrap()
    }

    fn history(entries: &[(&str, RequestStatus)]) -> Vec<(DateTime<Utc>, RequestStatus)> {
        entries.iter().map(|&(t, status)| (at(t), status)).collect()
    }

    fn resolution(entries: &[(&str, RequestStatus)], now: &str) -> TargetStatus {
        resolution_with(&PauseStatuses::default(), resolution_target(), entries, now)
    }

    fn resolution_with(
        pause: &PauseStatuses,
        target: Target,
        entries: &[(&str, RequestStatus)],
        now: &str,
    ) -> TargetStatus {
        let office = berlin_office();
        let history = history(entries);
        SlaClock::new(&office, &history, pause)
            .unwrap()
            .resolution(target, at(now))
            .unwrap()
    }

    fn first_response(entries: &[(&str, RequestStatus)], responded: Option<&str>, now: &str) -> TargetStatus {
        let office = berlin_office();
        let history = history(entries);
        let pause = PauseStatuses::default();
        SlaClock::new(&office, &history, &pause)
            .unwrap()
            .first_response(first_response_target(), responded.map(at), at(now))
            .unwrap()
    }

    fn minutes(n: i64) -> Duration {
        Duration::minutes(n)
    }

    /// Created Monday 09:00 local.
    const CREATED: (&str, RequestStatus) = ("2024-03-04T08:00:00Z", New);

    #[test]
    fn without_pauses_resolution_is_due_after_the_target_in_business_time() {
        // Monday 10:00 local: 1 h elapsed; 4 h from 09:00 skipping lunch → 14:00 local; at risk (3 h)
        // at 12:00 local.
        let status = resolution(&[CREATED], "2024-03-04T09:00:00Z");
        assert_eq!(
            status,
            TargetStatus {
                state: SlaState::InProgress,
                due_time: at("2024-03-04T13:00:00Z"),
                at_risk_time: at("2024-03-04T11:00:00Z"),
                elapsed: minutes(60),
                paused: Duration::zero(),
                fulfilled_time: None,
            }
        );
        assert_eq!(status.next_check(), Some(at("2024-03-04T11:00:00Z")));
    }

    #[test]
    fn the_target_turns_at_risk_at_the_warning_percentage() {
        // 11:59 local: 179 min < 180; 12:00 local: 180 min = 75 % of 240.
        assert_eq!(
            resolution(&[CREATED], "2024-03-04T10:59:00Z").state,
            SlaState::InProgress
        );
        let at_risk = resolution(&[CREATED], "2024-03-04T11:00:00Z");
        assert_eq!(at_risk.state, SlaState::AtRisk);
        assert_eq!(at_risk.next_check(), Some(at("2024-03-04T13:00:00Z")));
        // Still at risk over lunch: no business time passes.
        let lunch = resolution(&[CREATED], "2024-03-04T11:30:00Z");
        assert_eq!((lunch.state, lunch.elapsed), (SlaState::AtRisk, minutes(180)));
    }

    #[test]
    fn an_unfulfilled_target_is_breached_strictly_after_its_due_time() {
        let at_due = resolution(&[CREATED], "2024-03-04T13:00:00Z");
        assert_eq!((at_due.state, at_due.elapsed), (SlaState::AtRisk, minutes(240)));
        let after = resolution(&[CREATED], "2024-03-04T13:00:01Z");
        assert_eq!(after.state, SlaState::Breached);
        assert_eq!(after.due_time, at("2024-03-04T13:00:00Z"));
        assert_eq!(after.elapsed, minutes(240) + Duration::seconds(1));
        assert_eq!(after.next_check(), None);
    }

    #[test]
    fn a_request_created_on_the_weekend_starts_its_clocks_on_monday() {
        // Saturday 2024-03-09 10:00 local; now Sunday.
        let created = [("2024-03-09T09:00:00Z", New)];
        let response = first_response(&created, None, "2024-03-10T12:00:00Z");
        assert_eq!(response.state, SlaState::InProgress);
        assert_eq!(response.elapsed, Duration::zero());
        // Monday 09:00 local.
        assert_eq!(response.due_time, at("2024-03-11T08:00:00Z"));
        // 4 h from Monday 08:00 local end with the morning window, at 12:00 local.
        assert_eq!(
            resolution(&created, "2024-03-10T12:00:00Z").due_time,
            at("2024-03-11T11:00:00Z")
        );
    }

    #[test]
    fn waiting_on_the_customer_pauses_resolution_and_extends_its_due_time() {
        // Waiting 10:00–15:00 local: paused 10–12 and 13–15 = 4 h; running 09–10 and 15:00–15:30.
        let entries = [
            CREATED,
            ("2024-03-04T09:00:00Z", WaitingOnCustomer),
            ("2024-03-04T14:00:00Z", InProgress),
        ];
        let status = resolution(&entries, "2024-03-04T14:30:00Z");
        assert_eq!(status.state, SlaState::InProgress);
        assert_eq!((status.elapsed, status.paused), (minutes(90), minutes(240)));
        // 150 min left from 15:30 local: 90 on Monday, 60 on Tuesday → Tuesday 09:00 local, which is
        // also creation + 240 + 240 business minutes.
        assert_eq!(status.due_time, at("2024-03-05T08:00:00Z"));
        let office = berlin_office();
        assert_eq!(
            office.add_business_minutes(at(CREATED.0), 480),
            Ok(status.due_time)
        );
    }

    #[test]
    fn while_paused_the_due_time_is_as_if_the_clock_resumed_now() {
        let entries = [CREATED, ("2024-03-04T09:00:00Z", WaitingOnThirdParty)];
        // Monday 11:00 local: 3 h left from now → 15:00 local.
        let early = resolution(&entries, "2024-03-04T10:00:00Z");
        assert_eq!(early.state, SlaState::Paused);
        assert_eq!((early.elapsed, early.paused), (minutes(60), minutes(60)));
        assert_eq!(early.due_time, at("2024-03-04T14:00:00Z"));
        assert_eq!(early.next_check(), None);
        // Monday 13:00 local: paused 10–12, and the due time moved on to 16:00 local.
        let later = resolution(&entries, "2024-03-04T12:00:00Z");
        assert_eq!((later.elapsed, later.paused), (minutes(60), minutes(120)));
        assert_eq!(later.due_time, at("2024-03-04T15:00:00Z"));
    }

    #[test]
    fn only_the_policys_pause_statuses_pause() {
        let entries = [CREATED, ("2024-03-04T09:00:00Z", WaitingOnCustomer)];
        let never = resolution_with(
            &PauseStatuses::none(),
            resolution_target(),
            &entries,
            "2024-03-04T10:00:00Z",
        );
        assert_eq!(
            (never.state, never.elapsed, never.paused),
            (SlaState::InProgress, minutes(120), Duration::zero())
        );
        assert_eq!(never.due_time, at("2024-03-04T13:00:00Z"));
        let third_party_only = PauseStatuses::new([WaitingOnThirdParty]).unwrap();
        let status = resolution_with(
            &third_party_only,
            resolution_target(),
            &entries,
            "2024-03-04T10:00:00Z",
        );
        assert_eq!(status.state, SlaState::InProgress);
    }

    #[test]
    fn a_breach_is_not_hidden_by_a_later_pause() {
        // Waiting from 15:00 local, after the 14:00 local due time.
        let entries = [CREATED, ("2024-03-04T14:00:00Z", WaitingOnCustomer)];
        let status = resolution(&entries, "2024-03-04T15:00:00Z");
        assert_eq!(status.state, SlaState::Breached);
        assert_eq!(status.due_time, at("2024-03-04T13:00:00Z"));
        assert_eq!((status.elapsed, status.paused), (minutes(300), minutes(60)));
    }

    #[test]
    fn resolving_fulfils_the_resolution_target_and_freezes_its_clock() {
        // Resolved at 10:00 local; evaluated a day later.
        let entries = [CREATED, ("2024-03-04T09:00:00Z", Resolved)];
        let status = resolution(&entries, "2024-03-05T12:00:00Z");
        assert_eq!(
            status,
            TargetStatus {
                state: SlaState::Met,
                // 3 h left from 10:00 local: 10–12 and 13–14; 2 h to the 3-hour threshold: 12:00.
                due_time: at("2024-03-04T13:00:00Z"),
                at_risk_time: at("2024-03-04T11:00:00Z"),
                elapsed: minutes(60),
                paused: Duration::zero(),
                fulfilled_time: Some(at("2024-03-04T09:00:00Z")),
            }
        );
        assert_eq!(status.next_check(), None);
    }

    #[test]
    fn closing_a_resolved_request_keeps_the_resolution_time() {
        let entries = [
            CREATED,
            ("2024-03-04T09:00:00Z", Resolved),
            ("2024-03-05T09:00:00Z", Closed),
        ];
        let status = resolution(&entries, "2024-03-06T12:00:00Z");
        assert_eq!(status.fulfilled_time, Some(at("2024-03-04T09:00:00Z")));
        assert_eq!(status.state, SlaState::Met);
        // Closing straight from IN_PROGRESS fulfils at the closing.
        let closed = resolution(
            &[CREATED, ("2024-03-04T10:00:00Z", Closed)],
            "2024-03-06T12:00:00Z",
        );
        assert_eq!(closed.fulfilled_time, Some(at("2024-03-04T10:00:00Z")));
        assert_eq!(closed.elapsed, minutes(120));
    }

    #[test]
    fn a_reopened_request_resumes_its_resolution_clock_and_is_unfulfilled_again() {
        // Resolved 10:00 local, reopened 14:00 local, now 15:00 local: ran 09–10 and 14–15, paused
        // 10–12 and 13–14; 2 h left from 15:00 → 17:00 local.
        let entries = [
            CREATED,
            ("2024-03-04T09:00:00Z", Resolved),
            ("2024-03-04T13:00:00Z", InProgress),
        ];
        let status = resolution(&entries, "2024-03-04T14:00:00Z");
        assert_eq!(status.state, SlaState::InProgress);
        assert_eq!(status.fulfilled_time, None);
        assert_eq!((status.elapsed, status.paused), (minutes(120), minutes(180)));
        assert_eq!(status.due_time, at("2024-03-04T16:00:00Z"));
    }

    #[test]
    fn a_request_resolved_again_is_fulfilled_at_the_last_resolution() {
        // … and resolved again at 16:00 local: ran 14–16, 1 h was left → due 17:00 local.
        let entries = [
            CREATED,
            ("2024-03-04T09:00:00Z", Resolved),
            ("2024-03-04T13:00:00Z", InProgress),
            ("2024-03-04T15:00:00Z", Resolved),
        ];
        let status = resolution(&entries, "2024-03-05T09:00:00Z");
        assert_eq!(status.state, SlaState::Met);
        assert_eq!(status.fulfilled_time, Some(at("2024-03-04T15:00:00Z")));
        assert_eq!((status.elapsed, status.paused), (minutes(180), minutes(180)));
        assert_eq!(status.due_time, at("2024-03-04T16:00:00Z"));
    }

    #[test]
    fn resolving_after_the_due_time_is_breached() {
        // Resolved Tuesday 10:00 local; due Monday 14:00 local. Ran Monday 7 h and Tuesday 2 h.
        let entries = [CREATED, ("2024-03-05T09:00:00Z", Resolved)];
        let status = resolution(&entries, "2024-03-05T12:00:00Z");
        assert_eq!(status.state, SlaState::Breached);
        assert_eq!(status.due_time, at("2024-03-04T13:00:00Z"));
        assert_eq!(status.elapsed, minutes(540));
        assert_eq!(status.fulfilled_time, Some(at("2024-03-05T09:00:00Z")));
    }

    #[test]
    fn resolving_exactly_at_the_due_time_is_met() {
        let entries = [CREATED, ("2024-03-04T13:00:00Z", Resolved)];
        let status = resolution(&entries, "2024-03-05T12:00:00Z");
        assert_eq!((status.state, status.elapsed), (SlaState::Met, minutes(240)));
    }

    #[test]
    fn resolving_after_the_due_instant_is_breached_even_without_more_business_time() {
        // Created 13:00 local, due 17:00 local; resolved 18:00 local the same evening.
        let entries = [("2024-03-04T12:00:00Z", New), ("2024-03-04T17:00:00Z", Resolved)];
        let status = resolution(&entries, "2024-03-04T18:00:00Z");
        assert_eq!(status.due_time, at("2024-03-04T16:00:00Z"));
        assert_eq!(status.elapsed, minutes(240));
        assert_eq!(status.state, SlaState::Breached);
    }

    #[test]
    fn cancelling_stops_both_clocks() {
        let entries = [
            CREATED,
            ("2024-03-04T08:10:00Z", InProgress),
            ("2024-03-04T09:00:00Z", Cancelled),
        ];
        let status = resolution(&entries, "2024-03-06T12:00:00Z");
        assert_eq!(status.state, SlaState::Cancelled);
        assert_eq!((status.elapsed, status.fulfilled_time), (minutes(60), None));
        assert_eq!(status.next_check(), None);
        let response = first_response(&entries, None, "2024-03-06T12:00:00Z");
        assert_eq!(
            (response.state, response.elapsed),
            (SlaState::Cancelled, minutes(60))
        );
        // A response before the cancellation still counts.
        let responded = first_response(&entries, Some("2024-03-04T08:20:00Z"), "2024-03-06T12:00:00Z");
        assert_eq!(responded.state, SlaState::Met);
    }

    #[test]
    fn cancelling_an_overdue_request_is_cancelled_not_breached() {
        let entries = [CREATED, ("2024-03-05T09:00:00Z", Cancelled)];
        assert_eq!(
            resolution(&entries, "2024-03-06T12:00:00Z").state,
            SlaState::Cancelled
        );
        assert_eq!(
            first_response(&entries, None, "2024-03-06T12:00:00Z").state,
            SlaState::Cancelled
        );
    }

    #[test]
    fn a_first_response_in_time_is_met() {
        let status = first_response(&[CREATED], Some("2024-03-04T08:45:00Z"), "2024-03-05T12:00:00Z");
        assert_eq!(
            status,
            TargetStatus {
                state: SlaState::Met,
                due_time: at("2024-03-04T09:00:00Z"),
                at_risk_time: at("2024-03-04T08:45:00Z"),
                elapsed: minutes(45),
                paused: Duration::zero(),
                fulfilled_time: Some(at("2024-03-04T08:45:00Z")),
            }
        );
        let exactly = first_response(&[CREATED], Some("2024-03-04T09:00:00Z"), "2024-03-05T12:00:00Z");
        assert_eq!(exactly.state, SlaState::Met);
    }

    #[test]
    fn a_late_first_response_is_breached() {
        let status = first_response(&[CREATED], Some("2024-03-04T09:15:00Z"), "2024-03-05T12:00:00Z");
        assert_eq!((status.state, status.elapsed), (SlaState::Breached, minutes(75)));
    }

    #[test]
    fn the_first_response_clock_is_never_paused() {
        // Waiting on the customer from 09:30 local, no response by 10:30 local.
        let entries = [CREATED, ("2024-03-04T08:30:00Z", WaitingOnCustomer)];
        let response = first_response(&entries, None, "2024-03-04T09:30:00Z");
        assert_eq!(
            (response.state, response.elapsed),
            (SlaState::Breached, minutes(90))
        );
        assert_eq!(response.paused, Duration::zero());
        assert_eq!(
            resolution(&entries, "2024-03-04T09:30:00Z").state,
            SlaState::Paused
        );
    }

    #[test]
    fn the_first_response_turns_at_risk_and_breaches_by_the_same_rules() {
        // 45 min (75 % of 60) at 09:45 local.
        assert_eq!(
            first_response(&[CREATED], None, "2024-03-04T08:44:00Z").state,
            SlaState::InProgress
        );
        assert_eq!(
            first_response(&[CREATED], None, "2024-03-04T08:45:00Z").state,
            SlaState::AtRisk
        );
        assert_eq!(
            first_response(&[CREATED], None, "2024-03-04T09:00:00Z").state,
            SlaState::AtRisk
        );
        assert_eq!(
            first_response(&[CREATED], None, "2024-03-04T09:00:01Z").state,
            SlaState::Breached
        );
    }

    #[test]
    fn a_new_target_applies_to_the_same_history_and_keeps_the_pause() {
        let entries = [
            CREATED,
            ("2024-03-04T09:00:00Z", WaitingOnCustomer),
            ("2024-03-04T14:00:00Z", InProgress),
        ];
        let office = berlin_office();
        let history = history(&entries);
        let pause = PauseStatuses::default();
        let clock = SlaClock::new(&office, &history, &pause).unwrap();
        let now = at("2024-03-04T14:30:00Z");
        assert_eq!(clock.pause_so_far(now), minutes(240));
        let eight_hours = clock.resolution(Target::new(480, 75).unwrap(), now).unwrap();
        assert_eq!(eight_hours.paused, minutes(240));
        // creation + 480 + 240: Monday 7 h, Tuesday 08–12 and 13–14 → Tuesday 14:00 local.
        assert_eq!(eight_hours.due_time, at("2024-03-05T13:00:00Z"));
    }

    #[test]
    fn always_open_agreements_count_wall_clock_time() {
        let always = BusinessCalendar::always_open("UTC").unwrap();
        let history = history(&[
            ("2024-03-09T10:00:00Z", New),
            ("2024-03-09T11:00:00Z", WaitingOnCustomer),
            ("2024-03-09T13:00:00Z", InProgress),
        ]);
        let pause = PauseStatuses::default();
        let clock = SlaClock::new(&always, &history, &pause).unwrap();
        let status = clock
            .resolution(resolution_target(), at("2024-03-09T14:00:00Z"))
            .unwrap();
        assert_eq!((status.elapsed, status.paused), (minutes(120), minutes(120)));
        assert_eq!(status.due_time, at("2024-03-09T16:00:00Z"));
    }

    #[test]
    fn a_now_before_the_last_recorded_event_is_taken_as_that_event() {
        let entries = [CREATED, ("2024-03-04T09:00:00Z", InProgress)];
        assert_eq!(resolution(&entries, "2024-03-04T08:30:00Z").elapsed, minutes(60));
    }

    #[test]
    fn evaluate_reports_both_targets() {
        let office = berlin_office();
        let history = history(&[CREATED]);
        let pause = PauseStatuses::default();
        let clock = SlaClock::new(&office, &history, &pause).unwrap();
        let targets = SlaTargets {
            first_response: first_response_target(),
            resolution: resolution_target(),
        };
        let report = clock
            .evaluate(
                targets,
                Some(at("2024-03-04T08:30:00Z")),
                at("2024-03-04T09:00:00Z"),
            )
            .unwrap();
        assert_eq!(report.get(TargetKind::FirstResponse).state, SlaState::Met);
        assert_eq!(report.get(TargetKind::Resolution).state, SlaState::InProgress);
        assert_eq!(clock.created_at(), at(CREATED.0));
        assert_eq!(clock.current_status(), New);
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in RequestStatus::ALL {
            assert_eq!(RequestStatus::from_name(status.as_str()), Some(*status));
        }
        assert_eq!(
            RequestStatus::from_name("WAITING_ON_CUSTOMER"),
            Some(WaitingOnCustomer)
        );
        assert_eq!(RequestStatus::from_name("waiting_on_customer"), None);
        assert_eq!(SlaState::AtRisk.as_str(), "AT_RISK");
        assert_eq!(TargetKind::FirstResponse.as_str(), "FIRST_RESPONSE");
    }

    #[test]
    fn malformed_histories_are_rejected() {
        let office = berlin_office();
        let pause = PauseStatuses::default();
        let clock =
            |entries: &[(&str, RequestStatus)]| SlaClock::new(&office, &history(entries), &pause).map(|_| ());
        assert_eq!(clock(&[]), Err(SlaError::EmptyHistory));
        assert_eq!(
            clock(&[("2024-03-04T08:00:00Z", InProgress)]),
            Err(SlaError::FirstStatusNotNew { found: InProgress })
        );
        let unordered = [
            CREATED,
            ("2024-03-04T10:00:00Z", InProgress),
            ("2024-03-04T09:00:00Z", Resolved),
        ];
        let err = clock(&unordered).unwrap_err();
        assert_eq!(err, SlaError::HistoryOutOfOrder { index: 2 });
        assert_eq!(
            err.to_string(),
            "status history entry 2 is earlier than the entry before it"
        );
        assert_eq!(
            SlaError::FirstStatusNotNew { found: Closed }.to_string(),
            "status history must start with NEW, not CLOSED"
        );
        // Equal instants are fine.
        assert_eq!(clock(&[CREATED, (CREATED.0, InProgress)]), Ok(()));
    }

    #[test]
    fn a_first_response_before_creation_is_rejected() {
        let office = berlin_office();
        let history = history(&[CREATED]);
        let pause = PauseStatuses::default();
        let clock = SlaClock::new(&office, &history, &pause).unwrap();
        let err = clock
            .first_response(
                first_response_target(),
                Some(at("2024-03-04T07:59:00Z")),
                at("2024-03-04T09:00:00Z"),
            )
            .unwrap_err();
        assert!(matches!(err, SlaError::FirstResponseBeforeCreation { .. }));
    }

    #[test]
    fn targets_and_pause_statuses_are_validated() {
        assert_eq!(Target::new(0, 75), Err(SlaError::TargetOutOfRange { minutes: 0 }));
        assert_eq!(
            Target::new(Target::MAX_MINUTES + 1, 75),
            Err(SlaError::TargetOutOfRange {
                minutes: Target::MAX_MINUTES + 1
            })
        );
        assert_eq!(
            Target::new(60, 0),
            Err(SlaError::WarningPercentOutOfRange { percent: 0 })
        );
        assert_eq!(
            Target::new(60, 101),
            Err(SlaError::WarningPercentOutOfRange { percent: 101 })
        );
        assert_eq!(
            SlaError::WarningPercentOutOfRange { percent: 0 }.to_string(),
            "warning percent must be within 1..=100, not 0"
        );
        assert_eq!(
            Target::new(1, 1).unwrap().warning_threshold(),
            Duration::milliseconds(600)
        );
        let err = PauseStatuses::new([WaitingOnCustomer, InProgress]).unwrap_err();
        assert_eq!(err, SlaError::NotAPauseStatus { status: InProgress });
        assert_eq!(
            err.to_string(),
            "IN_PROGRESS cannot be a pause status: only WAITING_ON_CUSTOMER and WAITING_ON_THIRD_PARTY can"
        );
        let pause =
            PauseStatuses::new([WaitingOnThirdParty, WaitingOnCustomer, WaitingOnThirdParty]).unwrap();
        assert_eq!(pause, PauseStatuses::default());
        assert_eq!(pause.statuses(), [WaitingOnCustomer, WaitingOnThirdParty]);
    }

    // --- properties ---

    const MIDDLE_STATUSES: [RequestStatus; 4] =
        [InProgress, WaitingOnCustomer, WaitingOnThirdParty, Resolved];

    /// Status changes after creation: gaps of up to two days, statuses that may pause, resolve and
    /// reopen (never cancel).
    fn arb_changes() -> impl Strategy<Value = Vec<(i64, RequestStatus)>> {
        prop::collection::vec(
            (0i64..2 * 86_400_000, prop::sample::select(&MIDDLE_STATUSES[..])),
            0..6,
        )
    }

    fn build_history(
        created: DateTime<Utc>,
        changes: &[(i64, RequestStatus)],
    ) -> Vec<(DateTime<Utc>, RequestStatus)> {
        let mut t = created;
        let mut history = vec![(created, New)];
        for &(gap, status) in changes {
            t += Duration::milliseconds(gap);
            history.push((t, status));
        }
        history
    }

    proptest! {
        #[test]
        fn without_pauses_the_due_time_is_the_target_in_business_minutes_after_creation(
            calendar in arb_calendar(), created in arb_instant(), started in 0i64..86_400_000,
            target in 1u32..100_000, later in 0i64..30 * 86_400_000,
        ) {
            let target = Target::new(i64::from(target) % (2 * weekly_minutes(&calendar)) + 1, 80).unwrap();
            let history = [(created, New), (created + Duration::milliseconds(started), InProgress)];
            let pause = PauseStatuses::default();
            let clock = SlaClock::new(&calendar, &history, &pause).unwrap();
            let now = created + Duration::milliseconds(later);
            let status = clock.resolution(target, now).unwrap();
            prop_assert_eq!(calendar.business_minutes_between(created, status.due_time), target.minutes());
            prop_assert_eq!(calendar.business_time_between(created, status.due_time), target.duration());
            prop_assert_eq!(status.paused, Duration::zero());
            let response = clock.first_response(target, None, now).unwrap();
            prop_assert_eq!(response.due_time, status.due_time);
        }

        #[test]
        fn elapsed_and_paused_add_up_and_the_due_time_adds_the_pause(
            calendar in arb_calendar(), created in arb_instant(), changes in arb_changes(),
            target in 1u32..100_000, after in 0i64..2 * 86_400_000,
        ) {
            let target = Target::new(i64::from(target) % (2 * weekly_minutes(&calendar)) + 1, 50).unwrap();
            let history = build_history(created, &changes);
            let pause = PauseStatuses::default();
            let clock = SlaClock::new(&calendar, &history, &pause).unwrap();
            let now = history.last().unwrap().0 + Duration::milliseconds(after);
            let status = clock.resolution(target, now).unwrap();
            let end = status.fulfilled_time.unwrap_or(now);
            prop_assert_eq!(status.elapsed + status.paused, calendar.business_time_between(created, end));
            prop_assert_eq!(status.paused, clock.pause_so_far(now));
            if status.elapsed < target.duration() {
                // Not yet reached: due = creation + target + business time paused.
                let due = calendar.add_business_time(created, target.duration() + status.paused).unwrap();
                prop_assert_eq!(status.due_time, due);
                prop_assert!(status.due_time >= end);
            } else {
                prop_assert!(status.due_time <= end);
            }
            prop_assert!(status.at_risk_time <= status.due_time);
            let breached = match status.fulfilled_time {
                Some(fulfilled) => fulfilled > status.due_time,
                None => now > status.due_time,
            };
            prop_assert_eq!(status.state == SlaState::Breached, breached);
        }

        #[test]
        fn the_pause_does_not_depend_on_the_target(
            calendar in arb_calendar(), created in arb_instant(), changes in arb_changes(),
            a in 1i64..5000, b in 1i64..5000,
        ) {
            let history = build_history(created, &changes);
            let pause = PauseStatuses::default();
            let clock = SlaClock::new(&calendar, &history, &pause).unwrap();
            let now = history.last().unwrap().0;
            let first = clock.resolution(Target::new(a, 75).unwrap(), now).unwrap();
            let second = clock.resolution(Target::new(b, 75).unwrap(), now).unwrap();
            prop_assert_eq!((first.elapsed, first.paused), (second.elapsed, second.paused));
            if a <= b {
                prop_assert!(first.due_time <= second.due_time);
                prop_assert!(first.at_risk_time <= second.at_risk_time);
            }
        }
    }

    proptest! {
        // Each case may scan the calendar's whole 20-year horizon: fewer cases than the default.
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any instant the API takes (years 1..=9999, up to the last nanosecond), any calendar, the
        /// largest targets: the clock answers or reports an error, and never panics stepping past
        /// either end of the range.
        #[test]
        fn no_instant_of_the_api_range_panics(
            calendar in arb_calendar(),
            seconds in prop_oneof![
                Just(-62_135_596_800i64),
                Just(253_402_300_799i64),
                253_402_300_799i64 - 30 * 86_400..=253_402_300_799,
                -62_135_596_800i64..=253_402_300_799,
            ],
            later in 0i64..3 * 86_400_000,
            target in 1i64..=Target::MAX_MINUTES,
            changes in arb_changes(),
        ) {
            let created = DateTime::from_timestamp(seconds, 999_999_999).unwrap();
            let history = build_history(created, &changes);
            let pause = PauseStatuses::default();
            let clock = SlaClock::new(&calendar, &history, &pause).unwrap();
            let target = Target::new(target, 80).unwrap();
            let targets = SlaTargets { first_response: target, resolution: target };
            let last = history.last().map_or(created, |(t, _)| *t);
            let now = last.checked_add_signed(Duration::milliseconds(later)).unwrap_or(last);
            let _ = clock.evaluate(targets, None, now);
            let _ = calendar.next_working_instant(now);
            let _ = calendar.add_business_minutes(now, target.minutes());
        }
    }
}
