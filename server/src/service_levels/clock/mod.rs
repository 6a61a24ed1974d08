//! The business clock of service levels: a pure domain module (no database, no gRPC, no async).
//!
//! [`calendar`] holds the [`BusinessCalendar`] (when the clock may run) and the business-time arithmetic
//! on it; [`targets`] derives the state of a request's FIRST_RESPONSE and RESOLUTION targets from its
//! status history.
//!
//! # Business calendar
//!
//! A calendar is an IANA time zone plus either
//! - working *windows* per weekday, in local wall-clock time, as minutes since local midnight
//!   (`0..=1440`), several per day (a lunch break is the gap between two windows), and holidays as local
//!   dates on which nothing counts; or
//! - 24x7 ([`BusinessCalendar::always_open`]): every instant counts, there are no windows and holidays do
//!   not apply.
//!
//! Windows are half-open `[start, end)`. Within a day they must be sorted, non-empty and must not
//! overlap; windows that *touch* (08:00–12:00 and 12:00–13:00) are allowed, kept as given (not merged
//! in the calendar) and count as one continuous stretch of working time.
//!
//! **Midnight rule.** A window never crosses midnight. Its end may be 24:00 (`end_minute == 1440`), which
//! means "the end of that day", i.e. the next date's local midnight. A night shift 22:00–06:00 is written
//! as 22:00–24:00 on one day plus 00:00–06:00 on the next; the two touch at midnight and count as
//! continuous working time.
//!
//! **DST rule.** A window's local start and end are turned into UTC instants on its own date:
//! - a local time that does not exist (spring-forward gap) maps to the first instant after the gap (the
//!   instant the clocks jump);
//! - an ambiguous local time (fall-back fold) maps to its *earlier* instant when it starts a window and to
//!   its *later* instant when it ends one, so a window is the single interval from the first moment its
//!   start is shown to the last moment its end is shown;
//! - working time is the real time elapsed inside the union of these intervals. A window spanning the
//!   fall-back hour is one hour longer, one spanning the spring-forward gap one hour shorter, a window
//!   lying wholly inside the gap is empty, and touching windows whose shared boundary is ambiguous
//!   overlap in UTC and are counted once.
//!
//! # Business-time arithmetic
//!
//! Everything is exact (`chrono` instants and durations, down to the nanosecond); minutes are only a
//! façade. [`BusinessCalendar::add_business_time`]`(start, d)` is the *earliest* instant `u ≥ start` with
//! `business_time_between(start, u) == d`: the instant at which the `d`-th stretch of working time
//! completes. Consequently
//! - `add(start, 0) == start`, even outside working time (use
//!   [`BusinessCalendar::next_working_instant`] for "when does the clock start");
//! - a result that completes exactly at a window's end is that end (12:00), not the next window's start;
//! - `add(add(t, m), n) == add(t, m + n)` for every `m, n ≥ 0`, and
//!   `business_time_between(t, add(t, d)) == d`.
//!
//! Searches step per window and per day (24x7 is O(1)); a search for future working time gives up with
//! [`BusinessTimeError::BeyondHorizon`] after [`SEARCH_HORIZON_DAYS`] (about 20 years) of local dates,
//! so a calendar whose windows all fall on holidays cannot loop forever.
//!
//! # SLA clock
//!
//! See [`targets`] for the rules: which statuses pause which target, when a target is fulfilled, how the
//! due time, the at-risk time and the state are derived — all from the status history, never from
//! stored counters.

pub mod calendar;
pub mod targets;

pub use calendar::{
    BusinessCalendar, BusinessTimeError, CalendarError, MINUTES_PER_DAY, SEARCH_HORIZON_DAYS, WorkingWindow,
};
pub use targets::{
    PauseStatuses, RequestStatus, SlaClock, SlaError, SlaEvaluation, SlaState, SlaTargets, Target,
    TargetKind, TargetStatus,
};
