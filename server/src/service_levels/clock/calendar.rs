//! The business calendar and exact business-time arithmetic on it. The midnight and DST rules are
//! documented on the [parent module](super).

use std::collections::BTreeSet;
use std::fmt;
use std::ops::ControlFlow;

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

/// Minutes in a local day; a window end of `MINUTES_PER_DAY` is 24:00, the end of the day.
pub const MINUTES_PER_DAY: u16 = 1440;

/// How many local dates past the start a search for future working time scans before giving up
/// (20 years).
pub const SEARCH_HORIZON_DAYS: u64 = 7305;

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Lower-case English name of a weekday, as error messages show it.
fn day_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// A working window `[start, end)` of one weekday, in minutes since local midnight. As a value on its
/// own it is unchecked; [`BusinessCalendar::new`] validates the windows it is given (`start < end`,
/// `end <= 1440`, sorted, non-overlapping).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkingWindow {
    start_minute: u16,
    end_minute: u16,
}

impl WorkingWindow {
    pub const fn new(start_minute: u16, end_minute: u16) -> Self {
        Self {
            start_minute,
            end_minute,
        }
    }

    /// `"HH:MM-HH:MM"` with two-digit hours and minutes; `24:00` is allowed (as an end). `None` when
    /// malformed; the order of start and end is checked by the calendar.
    pub fn parse(text: &str) -> Option<Self> {
        let (start, end) = text.split_once('-')?;
        Some(Self::new(parse_hh_mm(start)?, parse_hh_mm(end)?))
    }

    pub const fn start_minute(self) -> u16 {
        self.start_minute
    }

    /// Minutes since local midnight; 1440 means 24:00, the end of the day.
    pub const fn end_minute(self) -> u16 {
        self.end_minute
    }

    /// Nominal length in minutes (the real length differs on DST switch days).
    pub const fn minutes(self) -> u16 {
        self.end_minute.saturating_sub(self.start_minute)
    }
}

fn parse_hh_mm(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    if hours.len() != 2
        || minutes.len() != 2
        || !(hours.bytes().chain(minutes.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= MINUTES_PER_DAY).then_some(total)
}

impl fmt::Display for WorkingWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, e) = (self.start_minute, self.end_minute);
        write!(f, "{:02}:{:02}-{:02}:{:02}", s / 60, s % 60, e / 60, e % 60)
    }
}

/// Why a calendar definition was rejected; every variant names the field or rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {name:?}: expected an IANA name such as Europe/Berlin")]
    UnknownTimeZone { name: String },
    #[error(
        "{} window {index} ({window}) ends past 24:00: minutes since midnight must be within 0..=1440",
        day_name(*weekday)
    )]
    WindowOutOfRange {
        weekday: Weekday,
        index: usize,
        window: WorkingWindow,
    },
    #[error("{} window {index} ({window}) is empty: its start must be before its end", day_name(*weekday))]
    WindowEmpty {
        weekday: Weekday,
        index: usize,
        window: WorkingWindow,
    },
    #[error(
        "{} windows {first} and {second} are out of order: a day's windows must be sorted by start",
        day_name(*weekday)
    )]
    WindowsOutOfOrder {
        weekday: Weekday,
        first: WorkingWindow,
        second: WorkingWindow,
    },
    #[error(
        "{} windows {first} and {second} overlap: windows may touch but not overlap",
        day_name(*weekday)
    )]
    WindowsOverlap {
        weekday: Weekday,
        first: WorkingWindow,
        second: WorkingWindow,
    },
    #[error("the calendar has no working time: give at least one window in the week, or make it 24x7")]
    NoWorkingTime,
}

/// Why business-time arithmetic has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BusinessTimeError {
    #[error("business time to add must not be negative")]
    Negative,
    #[error("not enough working time within {SEARCH_HORIZON_DAYS} days after {from}")]
    BeyondHorizon { from: DateTime<Utc> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Hours {
    AlwaysOpen,
    Weekly {
        /// Monday first.
        week: [Vec<WorkingWindow>; 7],
        holidays: BTreeSet<NaiveDate>,
    },
}

/// A validated business calendar (see the [module docs](super) for its rules).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusinessCalendar {
    time_zone: Tz,
    hours: Hours,
}

/// Where a scan for working intervals stops.
#[derive(Clone, Copy)]
enum Limit {
    /// No interval starting at or after this instant is needed.
    Until(DateTime<Utc>),
    /// Give up after [`SEARCH_HORIZON_DAYS`] local dates.
    Horizon,
}

/// Which instant an ambiguous local time resolves to.
#[derive(Clone, Copy)]
enum Pick {
    Earlier,
    Later,
}

impl BusinessCalendar {
    /// A calendar of working windows per weekday (`week[0]` is Monday … `week[6]` Sunday) in
    /// `time_zone`, with `holidays` (local dates) on which nothing counts.
    pub fn new(
        time_zone: &str,
        week: [Vec<WorkingWindow>; 7],
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self, CalendarError> {
        let time_zone = parse_time_zone(time_zone)?;
        for (weekday, windows) in WEEK.into_iter().zip(&week) {
            for (index, &window) in windows.iter().enumerate() {
                if window.start_minute > MINUTES_PER_DAY || window.end_minute > MINUTES_PER_DAY {
                    return Err(CalendarError::WindowOutOfRange {
                        weekday,
                        index,
                        window,
                    });
                }
                if window.start_minute >= window.end_minute {
                    return Err(CalendarError::WindowEmpty {
                        weekday,
                        index,
                        window,
                    });
                }
            }
            for pair in windows.windows(2) {
                let (first, second) = (pair[0], pair[1]);
                if second.start_minute < first.start_minute {
                    return Err(CalendarError::WindowsOutOfOrder {
                        weekday,
                        first,
                        second,
                    });
                }
                if second.start_minute < first.end_minute {
                    return Err(CalendarError::WindowsOverlap {
                        weekday,
                        first,
                        second,
                    });
                }
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(CalendarError::NoWorkingTime);
        }
        Ok(Self {
            time_zone,
            hours: Hours::Weekly {
                week,
                holidays: holidays.into_iter().collect(),
            },
        })
    }

    /// A 24x7 calendar: every instant is working time; the time zone is kept for display only.
    pub fn always_open(time_zone: &str) -> Result<Self, CalendarError> {
        Ok(Self {
            time_zone: parse_time_zone(time_zone)?,
            hours: Hours::AlwaysOpen,
        })
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    pub fn is_always_open(&self) -> bool {
        matches!(self.hours, Hours::AlwaysOpen)
    }

    /// The windows of `weekday` as given (touching windows are not merged); empty for 24x7.
    pub fn windows(&self, weekday: Weekday) -> &[WorkingWindow] {
        match &self.hours {
            Hours::AlwaysOpen => &[],
            Hours::Weekly { week, .. } => &week[weekday.num_days_from_monday() as usize],
        }
    }

    /// The holidays, in date order; empty for 24x7 (which ignores holidays).
    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        let holidays = match &self.hours {
            Hours::AlwaysOpen => None,
            Hours::Weekly { holidays, .. } => Some(holidays.iter().copied()),
        };
        holidays.into_iter().flatten()
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        match &self.hours {
            Hours::AlwaysOpen => false,
            Hours::Weekly { holidays, .. } => holidays.contains(&date),
        }
    }

    /// Whether `t` lies in working time (windows are half-open: a window's end is not in it).
    pub fn is_working_time(&self, t: DateTime<Utc>) -> bool {
        match self.hours {
            Hours::AlwaysOpen => true,
            Hours::Weekly { .. } => self
                .scan(t, Limit::Until(t), |start, _| ControlFlow::Break(start == t))
                .unwrap_or(false),
        }
    }

    /// `t` itself when it lies in working time, otherwise the start of the next working window: the
    /// instant a clock started at `t` begins to run.
    pub fn next_working_instant(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, BusinessTimeError> {
        match self.hours {
            Hours::AlwaysOpen => Ok(t),
            Hours::Weekly { .. } => self
                .scan(t, Limit::Horizon, |start, _| ControlFlow::Break(start))
                .ok_or(BusinessTimeError::BeyondHorizon { from: t }),
        }
    }

    /// The earliest instant `u ≥ start` at which `d` of working time has elapsed since `start`;
    /// `add_business_time(start, 0) == start` (see the [module docs](super)).
    pub fn add_business_time(
        &self,
        start: DateTime<Utc>,
        d: Duration,
    ) -> Result<DateTime<Utc>, BusinessTimeError> {
        let beyond = BusinessTimeError::BeyondHorizon { from: start };
        if d < Duration::zero() {
            return Err(BusinessTimeError::Negative);
        }
        if d.is_zero() {
            return Ok(start);
        }
        match self.hours {
            Hours::AlwaysOpen => start.checked_add_signed(d).ok_or(beyond),
            Hours::Weekly { .. } => {
                let mut left = d;
                self.scan(start, Limit::Horizon, |from, to| {
                    let available = to - from;
                    if available >= left {
                        ControlFlow::Break(from + left)
                    } else {
                        left -= available;
                        ControlFlow::Continue(())
                    }
                })
                .ok_or(beyond)
            }
        }
    }

    /// [`Self::add_business_time`] in whole minutes.
    pub fn add_business_minutes(
        &self,
        start: DateTime<Utc>,
        minutes: i64,
    ) -> Result<DateTime<Utc>, BusinessTimeError> {
        if minutes < 0 {
            return Err(BusinessTimeError::Negative);
        }
        let d = Duration::try_minutes(minutes).ok_or(BusinessTimeError::BeyondHorizon { from: start })?;
        self.add_business_time(start, d)
    }

    /// Working time in `[a, b)`; zero when `b <= a`. Costs one step per local date in between (O(1)
    /// for 24x7).
    pub fn business_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b <= a {
            return Duration::zero();
        }
        match self.hours {
            Hours::AlwaysOpen => b - a,
            Hours::Weekly { .. } => {
                let mut total = Duration::zero();
                self.scan(a, Limit::Until(b), |from, to| {
                    if from >= b {
                        return ControlFlow::Break(());
                    }
                    total += to.min(b) - from;
                    ControlFlow::Continue(())
                });
                total
            }
        }
    }

    /// Whole minutes of working time in `[a, b)`, rounded down.
    pub fn business_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        self.business_time_between(a, b).num_minutes()
    }

    /// Feeds `visit` the working time at or after `from` as disjoint intervals `[start, end)` in time
    /// order (touching intervals are fed separately, overlapping ones once). `None` when the scan ends
    /// at its limit without `visit` breaking.
    fn scan<T>(
        &self,
        from: DateTime<Utc>,
        limit: Limit,
        mut visit: impl FnMut(DateTime<Utc>, DateTime<Utc>) -> ControlFlow<T>,
    ) -> Option<T> {
        let Hours::Weekly { week, holidays } = &self.hours else {
            return visit(from, DateTime::<Utc>::MAX_UTC).break_value();
        };
        // A window of the day before `from`'s local date may still reach past `from`.
        let first = from.with_timezone(&self.time_zone).date_naive();
        let first = first.pred_opt().unwrap_or(first);
        let last = first
            .checked_add_days(Days::new(SEARCH_HORIZON_DAYS))
            .unwrap_or(NaiveDate::MAX);
        let mut covered = from;
        let mut date = first;
        loop {
            match limit {
                // Every instant of a local date lies within a day of its midnight read as UTC.
                Limit::Until(until) if date_lower_bound(date) >= until => return None,
                Limit::Horizon if date > last => return None,
                _ => {}
            }
            if !holidays.contains(&date) {
                for &window in &week[date.weekday().num_days_from_monday() as usize] {
                    let Some((start, end)) = self.window_instants(date, window) else {
                        continue;
                    };
                    if end <= covered {
                        continue;
                    }
                    let start = start.max(covered);
                    covered = end;
                    if let ControlFlow::Break(value) = visit(start, end) {
                        return Some(value);
                    }
                }
            }
            date = date.succ_opt()?;
        }
    }

    /// The UTC interval of `window` on local `date` by the DST rule; `None` when it is empty (a window
    /// inside a spring-forward gap) or out of chrono's range.
    fn window_instants(
        &self,
        date: NaiveDate,
        window: WorkingWindow,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let start = self.resolve(local_time(date, window.start_minute)?, Pick::Earlier)?;
        let end = self.resolve(local_time(date, window.end_minute)?, Pick::Later)?;
        (start < end).then_some((start, end))
    }

    /// The instant of a local wall-clock time: the first instant after a gap for a time that does not
    /// exist, the `pick`ed one of two for an ambiguous time.
    fn resolve(&self, local: NaiveDateTime, pick: Pick) -> Option<DateTime<Utc>> {
        match self.time_zone.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                Some(match pick {
                    Pick::Earlier => a.min(b),
                    Pick::Later => a.max(b),
                })
            }
            LocalResult::None => self.first_instant_after_gap(local),
        }
    }

    /// For a local time inside a gap: the instant the clocks jump, i.e. the earliest instant of the first
    /// local second after `local` that exists (transitions fall on whole seconds).
    fn first_instant_after_gap(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let exists = |t: NaiveDateTime| !matches!(self.time_zone.from_local_datetime(&t), LocalResult::None);
        let mut missing = local;
        let mut step = Duration::minutes(30);
        let mut present = loop {
            let probe = local.checked_add_signed(step)?;
            if exists(probe) {
                break probe;
            }
            missing = probe;
            if step > Duration::days(2) {
                return None;
            }
            step = step * 2;
        };
        while (present - missing).num_seconds() > 1 {
            let middle = missing + Duration::seconds((present - missing).num_seconds() / 2);
            if exists(middle) {
                present = middle;
            } else {
                missing = middle;
            }
        }
        self.time_zone
            .from_local_datetime(&present)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }
}

fn parse_time_zone(name: &str) -> Result<Tz, CalendarError> {
    name.parse().map_err(|_| CalendarError::UnknownTimeZone {
        name: name.to_owned(),
    })
}

/// Local wall-clock time `minute` minutes after the midnight starting `date`; 1440 is the next date's
/// midnight.
fn local_time(date: NaiveDate, minute: u16) -> Option<NaiveDateTime> {
    if minute == MINUTES_PER_DAY {
        return Some(date.succ_opt()?.and_time(NaiveTime::MIN));
    }
    let time = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)?;
    Some(date.and_time(time))
}

/// An instant no later than any instant whose local date is `date`, in any zone (UTC offsets stay well
/// within a day).
fn date_lower_bound(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN).and_utc();
    midnight
        .checked_sub_signed(Duration::days(1))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
pub(super) mod tests {
    use proptest::prelude::*;

    use super::*;

    pub(in crate::service_levels::clock) fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn window(text: &str) -> WorkingWindow {
        WorkingWindow::parse(text).unwrap_or_else(|| panic!("bad window {text}"))
    }

    /// The same windows on each of `days`, nothing on the others.
    pub(in crate::service_levels::clock) fn week_of(
        days: &[Weekday],
        windows: &[&str],
    ) -> [Vec<WorkingWindow>; 7] {
        let mut week: [Vec<WorkingWindow>; 7] = Default::default();
        for day in days {
            week[day.num_days_from_monday() as usize] = windows.iter().map(|w| window(w)).collect();
        }
        week
    }

    const MON_TO_FRI: [Weekday; 5] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// Mon–Fri 08:00–12:00 and 13:00–17:00 in Berlin; Labour Day and Christmas 2024 off. Berlin is
    /// UTC+1 (CET) until 2024-03-31 and from 2024-10-27, UTC+2 (CEST) in between.
    pub(in crate::service_levels::clock) fn berlin_office() -> BusinessCalendar {
        BusinessCalendar::new(
            "Europe/Berlin",
            week_of(&MON_TO_FRI, &["08:00-12:00", "13:00-17:00"]),
            [date("2024-05-01"), date("2024-12-25"), date("2024-12-26")],
        )
        .unwrap()
    }

    fn sundays(zone: &str, windows: &[&str]) -> BusinessCalendar {
        BusinessCalendar::new(zone, week_of(&[Weekday::Sun], windows), []).unwrap()
    }

    fn add(calendar: &BusinessCalendar, start: &str, minutes: i64) -> DateTime<Utc> {
        calendar.add_business_minutes(at(start), minutes).unwrap()
    }

    fn minutes_between(calendar: &BusinessCalendar, a: &str, b: &str) -> i64 {
        calendar.business_minutes_between(at(a), at(b))
    }

    fn next(calendar: &BusinessCalendar, t: &str) -> DateTime<Utc> {
        calendar.next_working_instant(at(t)).unwrap()
    }

    // --- office hours, worked by hand (week of Monday 2024-03-04, CET = UTC+1) ---

    #[test]
    fn an_instant_inside_a_window_is_its_own_next_working_instant() {
        // Monday 09:30 local.
        assert_eq!(
            next(&berlin_office(), "2024-03-04T08:30:00Z"),
            at("2024-03-04T08:30:00Z")
        );
    }

    #[test]
    fn the_lunch_break_waits_for_1300() {
        // Monday 12:15 local → 13:00 local.
        assert_eq!(
            next(&berlin_office(), "2024-03-04T11:15:00Z"),
            at("2024-03-04T12:00:00Z")
        );
    }

    #[test]
    fn a_window_end_is_not_working_time() {
        let office = berlin_office();
        // Monday 12:00 local → 13:00; Monday 17:00 local → Tuesday 08:00.
        assert!(!office.is_working_time(at("2024-03-04T11:00:00Z")));
        assert!(office.is_working_time(at("2024-03-04T10:59:59Z")));
        assert!(office.is_working_time(at("2024-03-04T07:00:00Z")));
        assert_eq!(next(&office, "2024-03-04T11:00:00Z"), at("2024-03-04T12:00:00Z"));
        assert_eq!(next(&office, "2024-03-04T16:00:00Z"), at("2024-03-05T07:00:00Z"));
    }

    #[test]
    fn creation_on_friday_evening_or_the_weekend_starts_the_clock_on_monday_morning() {
        let office = berlin_office();
        // Friday 18:00 local, Saturday 10:00 local → Monday 2024-03-11 08:00 local.
        assert_eq!(next(&office, "2024-03-08T17:00:00Z"), at("2024-03-11T07:00:00Z"));
        assert_eq!(next(&office, "2024-03-09T09:00:00Z"), at("2024-03-11T07:00:00Z"));
        // An hour of work asked for on Saturday is done at Monday 09:00 local.
        assert_eq!(
            add(&office, "2024-03-09T09:00:00Z", 60),
            at("2024-03-11T08:00:00Z")
        );
    }

    #[test]
    fn creation_at_night_starts_the_clock_at_0800() {
        // Tuesday 02:00 local + 1 h → Tuesday 09:00 local.
        assert_eq!(
            add(&berlin_office(), "2024-03-05T01:00:00Z", 60),
            at("2024-03-05T08:00:00Z")
        );
    }

    #[test]
    fn adding_within_a_window() {
        // Monday 09:00 local + 1 h → 10:00 local.
        assert_eq!(
            add(&berlin_office(), "2024-03-04T08:00:00Z", 60),
            at("2024-03-04T09:00:00Z")
        );
    }

    #[test]
    fn adding_across_the_lunch_break_skips_it() {
        // Monday 11:30 local + 1 h: 30 min until 12:00, 30 min from 13:00 → 13:30 local.
        assert_eq!(
            add(&berlin_office(), "2024-03-04T10:30:00Z", 60),
            at("2024-03-04T12:30:00Z")
        );
    }

    #[test]
    fn work_completing_at_a_window_end_is_due_at_that_end() {
        let office = berlin_office();
        // Monday 11:00 local + 60 → 12:00 local (not 13:00); + 61 → 13:01 local.
        assert_eq!(
            add(&office, "2024-03-04T10:00:00Z", 60),
            at("2024-03-04T11:00:00Z")
        );
        assert_eq!(
            add(&office, "2024-03-04T10:00:00Z", 61),
            at("2024-03-04T12:01:00Z")
        );
    }

    #[test]
    fn adding_over_the_weekend() {
        // Friday 16:00 local + 2 h: 1 h on Friday, 1 h on Monday → Monday 2024-03-11 09:00 local.
        assert_eq!(
            add(&berlin_office(), "2024-03-08T15:00:00Z", 120),
            at("2024-03-11T08:00:00Z")
        );
    }

    #[test]
    fn adding_across_several_days() {
        // Monday 08:00 local + 3 × 480 + 30 minutes → Thursday 08:30 local.
        assert_eq!(
            add(&berlin_office(), "2024-03-04T07:00:00Z", 3 * 480 + 30),
            at("2024-03-07T07:30:00Z")
        );
    }

    #[test]
    fn a_holiday_has_no_working_time() {
        let office = berlin_office();
        // Wednesday 2024-05-01 (Labour Day) 10:00 CEST: the clock starts Thursday 08:00 CEST.
        assert!(office.is_holiday(date("2024-05-01")));
        assert!(!office.is_working_time(at("2024-05-01T08:00:00Z")));
        assert_eq!(next(&office, "2024-05-01T08:00:00Z"), at("2024-05-02T06:00:00Z"));
        assert_eq!(
            add(&office, "2024-05-01T08:00:00Z", 60),
            at("2024-05-02T07:00:00Z")
        );
        // Tuesday 16:00 CEST + 2 h: 1 h on Tuesday, none on the holiday, 1 h on Thursday → 09:00 CEST.
        assert_eq!(
            add(&office, "2024-04-30T14:00:00Z", 120),
            at("2024-05-02T07:00:00Z")
        );
        assert_eq!(
            minutes_between(&office, "2024-04-30T14:00:00Z", "2024-05-02T07:00:00Z"),
            120
        );
    }

    #[test]
    fn consecutive_holidays_are_skipped_together() {
        // Tuesday 2024-12-24 16:00 CET + 2 h: Christmas (Wed) and Boxing Day (Thu) off → Friday 09:00 CET.
        assert_eq!(
            add(&berlin_office(), "2024-12-24T15:00:00Z", 120),
            at("2024-12-27T08:00:00Z")
        );
    }

    #[test]
    fn business_time_between_counts_only_working_time() {
        let office = berlin_office();
        // Monday 07:00–19:00 local covers the whole working day.
        assert_eq!(
            minutes_between(&office, "2024-03-04T06:00:00Z", "2024-03-04T18:00:00Z"),
            480
        );
        // Friday 16:30 local to Monday 08:30 local.
        assert_eq!(
            minutes_between(&office, "2024-03-08T15:30:00Z", "2024-03-11T07:30:00Z"),
            60
        );
        // Inside the lunch break.
        assert_eq!(
            minutes_between(&office, "2024-03-04T11:05:00Z", "2024-03-04T11:55:00Z"),
            0
        );
        // A whole week, Monday 00:00 to Monday 00:00 local.
        assert_eq!(
            minutes_between(&office, "2024-03-03T23:00:00Z", "2024-03-10T23:00:00Z"),
            2400
        );
    }

    #[test]
    fn business_time_between_is_zero_when_the_end_is_not_after_the_start() {
        let office = berlin_office();
        assert_eq!(
            minutes_between(&office, "2024-03-04T10:00:00Z", "2024-03-04T08:00:00Z"),
            0
        );
        assert_eq!(
            minutes_between(&office, "2024-03-04T10:00:00Z", "2024-03-04T10:00:00Z"),
            0
        );
    }

    #[test]
    fn business_minutes_are_rounded_down_but_time_is_exact() {
        let office = berlin_office();
        let (a, b) = (at("2024-03-04T07:00:00Z"), at("2024-03-04T07:01:59.999Z"));
        assert_eq!(office.business_minutes_between(a, b), 1);
        assert_eq!(
            office.business_time_between(a, b),
            Duration::milliseconds(119_999)
        );
    }

    #[test]
    fn adding_zero_returns_the_start_even_outside_working_time() {
        let office = berlin_office();
        let saturday = at("2024-03-09T09:00:00Z");
        assert_eq!(office.add_business_time(saturday, Duration::zero()), Ok(saturday));
        assert_eq!(
            office.next_working_instant(saturday),
            Ok(at("2024-03-11T07:00:00Z"))
        );
    }

    #[test]
    fn adding_a_negative_duration_is_an_error() {
        let office = berlin_office();
        let t = at("2024-03-04T08:00:00Z");
        assert_eq!(
            office.add_business_minutes(t, -1),
            Err(BusinessTimeError::Negative)
        );
        assert_eq!(
            office.add_business_time(t, Duration::seconds(-1)),
            Err(BusinessTimeError::Negative)
        );
    }

    #[test]
    fn sub_minute_durations_are_exact() {
        // Monday 11:59:30 local + 45 s → 13:00:15 local.
        let office = berlin_office();
        let end = office.add_business_time(at("2024-03-04T10:59:30Z"), Duration::seconds(45));
        assert_eq!(end, Ok(at("2024-03-04T12:00:15Z")));
    }

    #[test]
    fn a_calendar_working_only_on_holidays_gives_up_at_the_horizon() {
        // Working time only on 2024-03-04 (a Monday), which is a holiday: nothing ever counts.
        let calendar = BusinessCalendar::new(
            "Europe/Berlin",
            week_of(&[Weekday::Mon], &["08:00-17:00"]),
            [date("2024-03-04")],
        )
        .unwrap();
        let t = at("2024-03-04T07:00:00Z");
        // The next Monday still counts …
        assert_eq!(calendar.next_working_instant(t), Ok(at("2024-03-11T07:00:00Z")));
        // … but more working time than 20 years hold is beyond the horizon.
        let twenty_one_years = 21 * 53 * 9 * 60;
        assert_eq!(
            calendar.add_business_minutes(t, twenty_one_years),
            Err(BusinessTimeError::BeyondHorizon { from: t })
        );
    }

    #[test]
    fn touching_windows_are_kept_as_given_and_count_as_continuous() {
        let calendar = BusinessCalendar::new(
            "Europe/Berlin",
            week_of(&MON_TO_FRI, &["08:00-12:00", "12:00-13:00"]),
            [],
        )
        .unwrap();
        assert_eq!(
            calendar.windows(Weekday::Mon),
            [window("08:00-12:00"), window("12:00-13:00")]
        );
        // Monday 11:30 local + 1 h → 12:30 local; 12:00 itself is working time.
        assert_eq!(
            add(&calendar, "2024-03-04T10:30:00Z", 60),
            at("2024-03-04T11:30:00Z")
        );
        assert!(calendar.is_working_time(at("2024-03-04T11:00:00Z")));
        assert_eq!(
            minutes_between(&calendar, "2024-03-04T06:00:00Z", "2024-03-04T13:00:00Z"),
            300
        );
    }

    // --- 24x7 ---

    #[test]
    fn always_open_counts_every_instant_including_weekends_and_dst_nights() {
        let calendar = BusinessCalendar::always_open("Europe/Berlin").unwrap();
        assert!(calendar.is_always_open());
        assert!(calendar.windows(Weekday::Sat).is_empty());
        // Saturday 2024-03-30 23:00 local + 3 h of real time, across the spring-forward night.
        assert_eq!(
            add(&calendar, "2024-03-30T22:00:00Z", 180),
            at("2024-03-31T01:00:00Z")
        );
        assert_eq!(
            minutes_between(&calendar, "2024-03-30T22:00:00Z", "2024-03-31T01:00:00Z"),
            180
        );
        assert_eq!(
            next(&calendar, "2024-03-31T01:30:00Z"),
            at("2024-03-31T01:30:00Z")
        );
        assert!(calendar.is_working_time(at("2024-12-25T12:00:00Z")));
    }

    // --- midnight ---

    /// Night shift 22:00–06:00 from Monday night to Saturday morning, in Berlin (CET in early March).
    fn night_shift() -> BusinessCalendar {
        let mut week = week_of(&MON_TO_FRI, &["22:00-24:00"]);
        for day in [
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
        ] {
            week[day.num_days_from_monday() as usize].insert(0, window("00:00-06:00"));
        }
        BusinessCalendar::new("Europe/Berlin", week, []).unwrap()
    }

    #[test]
    fn a_night_shift_runs_continuously_across_midnight() {
        let shift = night_shift();
        assert_eq!(
            shift.windows(Weekday::Tue),
            [window("00:00-06:00"), window("22:00-24:00")]
        );
        // Monday 23:00 local + 2 h → Tuesday 01:00 local.
        assert_eq!(
            add(&shift, "2024-03-04T22:00:00Z", 120),
            at("2024-03-05T00:00:00Z")
        );
        // Midnight itself is working time (start of Tuesday's 00:00 window).
        assert!(shift.is_working_time(at("2024-03-04T23:00:00Z")));
        // Monday 21:00 to Tuesday 07:00 local: the whole 8-hour shift.
        assert_eq!(
            minutes_between(&shift, "2024-03-04T20:00:00Z", "2024-03-05T06:00:00Z"),
            480
        );
    }

    #[test]
    fn the_night_shift_resumes_on_monday_night_after_the_weekend() {
        // Saturday 06:00 local → Monday 22:00 local.
        assert_eq!(
            next(&night_shift(), "2024-03-09T05:00:00Z"),
            at("2024-03-11T21:00:00Z")
        );
    }

    #[test]
    fn a_midnight_dst_gap_still_joins_the_night_shift() {
        // America/Santiago moved from -04 to -03 at 2024-09-08 00:00 local (04:00Z): local
        // 00:00–01:00 does not exist. Saturday 22:00–24:00 is 02:00Z–04:00Z (24:00 maps to the end of
        // the gap), Sunday 00:00–06:00 is 04:00Z–09:00Z: 7 h of continuous work.
        let mut week = week_of(&[Weekday::Sat], &["22:00-24:00"]);
        week[6] = vec![window("00:00-06:00")];
        let shift = BusinessCalendar::new("America/Santiago", week, []).unwrap();
        assert_eq!(
            minutes_between(&shift, "2024-09-07T12:00:00Z", "2024-09-08T12:00:00Z"),
            420
        );
        assert_eq!(
            add(&shift, "2024-09-08T02:00:00Z", 120),
            at("2024-09-08T04:00:00Z")
        );
        assert_eq!(
            add(&shift, "2024-09-08T02:00:00Z", 121),
            at("2024-09-08T04:01:00Z")
        );
    }

    // --- DST: Europe/Berlin, spring forward on Sunday 2024-03-31 (02:00 CET → 03:00 CEST at 01:00Z) ---

    #[test]
    fn berlin_window_spanning_the_spring_forward_gap_is_an_hour_shorter() {
        // 01:00 CET = 00:00Z, 04:00 CEST = 02:00Z: 3 nominal hours, 2 real ones.
        let calendar = sundays("Europe/Berlin", &["01:00-04:00"]);
        assert_eq!(
            minutes_between(&calendar, "2024-03-30T12:00:00Z", "2024-04-01T00:00:00Z"),
            120
        );
        assert_eq!(
            next(&calendar, "2024-03-30T20:00:00Z"),
            at("2024-03-31T00:00:00Z")
        );
        // One hour of work from 01:00 CET ends at 03:00 CEST (01:00Z): 02:00 local never happened.
        assert_eq!(
            add(&calendar, "2024-03-31T00:00:00Z", 60),
            at("2024-03-31T01:00:00Z")
        );
        assert_eq!(
            add(&calendar, "2024-03-31T00:00:00Z", 90),
            at("2024-03-31T01:30:00Z")
        );
        // A week later the same window is 3 h long again: 01:00 CEST = 23:00Z … 04:00 CEST = 02:00Z.
        assert_eq!(
            minutes_between(&calendar, "2024-04-06T12:00:00Z", "2024-04-08T00:00:00Z"),
            180
        );
    }

    #[test]
    fn berlin_window_starting_in_the_gap_starts_when_the_clocks_jump() {
        // 02:30 does not exist → 03:00 CEST = 01:00Z; 05:00 CEST = 03:00Z.
        let calendar = sundays("Europe/Berlin", &["02:30-05:00"]);
        assert_eq!(
            next(&calendar, "2024-03-31T00:00:00Z"),
            at("2024-03-31T01:00:00Z")
        );
        assert_eq!(
            minutes_between(&calendar, "2024-03-31T00:00:00Z", "2024-03-31T12:00:00Z"),
            120
        );
    }

    #[test]
    fn berlin_window_wholly_inside_the_gap_is_empty_that_day() {
        // 02:00–02:45 on 2024-03-31 never happens; on 2024-04-07 it is 02:00 CEST = 00:00Z.
        let calendar = sundays("Europe/Berlin", &["02:00-02:45"]);
        assert_eq!(
            next(&calendar, "2024-03-30T23:00:00Z"),
            at("2024-04-07T00:00:00Z")
        );
        assert_eq!(
            minutes_between(&calendar, "2024-03-30T12:00:00Z", "2024-04-01T00:00:00Z"),
            0
        );
    }

    // --- DST: Europe/Berlin, fall back on Sunday 2024-10-27 (03:00 CEST → 02:00 CET at 01:00Z) ---

    #[test]
    fn berlin_window_spanning_the_fall_back_hour_is_an_hour_longer() {
        // 01:00 CEST = 2024-10-26T23:00Z, 04:00 CET = 03:00Z: 3 nominal hours, 4 real ones.
        let calendar = sundays("Europe/Berlin", &["01:00-04:00"]);
        assert_eq!(
            minutes_between(&calendar, "2024-10-26T12:00:00Z", "2024-10-28T00:00:00Z"),
            240
        );
        assert_eq!(
            add(&calendar, "2024-10-26T23:00:00Z", 180),
            at("2024-10-27T02:00:00Z")
        );
    }

    #[test]
    fn berlin_ambiguous_start_takes_the_earlier_instant_and_ambiguous_end_the_later() {
        // 02:30 is shown twice: 00:30Z (CEST) and 01:30Z (CET).
        // 02:30–04:00 starts at the earlier 00:30Z and ends at 04:00 CET = 03:00Z: 150 minutes.
        let late = sundays("Europe/Berlin", &["02:30-04:00"]);
        assert_eq!(next(&late, "2024-10-26T20:00:00Z"), at("2024-10-27T00:30:00Z"));
        assert_eq!(
            minutes_between(&late, "2024-10-26T12:00:00Z", "2024-10-28T00:00:00Z"),
            150
        );
        // 01:00–02:30 starts at 01:00 CEST = 23:00Z and ends at the later 01:30Z: 150 minutes.
        let early = sundays("Europe/Berlin", &["01:00-02:30"]);
        assert_eq!(
            minutes_between(&early, "2024-10-26T12:00:00Z", "2024-10-28T00:00:00Z"),
            150
        );
        assert_eq!(
            add(&early, "2024-10-26T23:00:00Z", 150),
            at("2024-10-27T01:30:00Z")
        );
    }

    #[test]
    fn berlin_touching_windows_at_an_ambiguous_time_are_not_counted_twice() {
        // 01:00–02:30 (23:00Z–01:30Z) and 02:30–04:00 (00:30Z–03:00Z) overlap in UTC; together they are
        // 23:00Z–03:00Z, four real hours, the same as one window 01:00–04:00.
        let calendar = sundays("Europe/Berlin", &["01:00-02:30", "02:30-04:00"]);
        assert_eq!(
            minutes_between(&calendar, "2024-10-26T12:00:00Z", "2024-10-28T00:00:00Z"),
            240
        );
        assert_eq!(
            add(&calendar, "2024-10-26T23:00:00Z", 240),
            at("2024-10-27T03:00:00Z")
        );
        assert_eq!(
            add(&calendar, "2024-10-26T23:00:00Z", 150),
            at("2024-10-27T01:30:00Z")
        );
    }

    // --- DST: America/New_York ---

    #[test]
    fn new_york_spring_forward_shortens_a_sunday_night_window() {
        // 2024-03-10: 02:00 EST → 03:00 EDT at 07:00Z. 00:00 EST = 05:00Z, 06:00 EDT = 10:00Z: 5 h.
        let calendar = sundays("America/New_York", &["00:00-06:00"]);
        assert_eq!(
            minutes_between(&calendar, "2024-03-09T12:00:00Z", "2024-03-11T00:00:00Z"),
            300
        );
        // Two hours from 00:00 EST end at 03:00 EDT = 07:00Z.
        assert_eq!(
            add(&calendar, "2024-03-10T05:00:00Z", 120),
            at("2024-03-10T07:00:00Z")
        );
        // A window ending in the gap, 00:00–02:30, ends when the clocks jump: 05:00Z–07:00Z.
        let short = sundays("America/New_York", &["00:00-02:30"]);
        assert_eq!(
            minutes_between(&short, "2024-03-09T12:00:00Z", "2024-03-11T00:00:00Z"),
            120
        );
    }

    #[test]
    fn new_york_fall_back_lengthens_a_sunday_night_window() {
        // 2024-11-03: 02:00 EDT → 01:00 EST at 06:00Z. 00:00 EDT = 04:00Z, 06:00 EST = 11:00Z: 7 h.
        let calendar = sundays("America/New_York", &["00:00-06:00"]);
        assert_eq!(
            minutes_between(&calendar, "2024-11-02T12:00:00Z", "2024-11-04T00:00:00Z"),
            420
        );
        // 01:30–03:00 starts at the earlier 01:30 EDT = 05:30Z and ends at 03:00 EST = 08:00Z.
        let late = sundays("America/New_York", &["01:30-03:00"]);
        assert_eq!(next(&late, "2024-11-03T00:00:00Z"), at("2024-11-03T05:30:00Z"));
        assert_eq!(
            minutes_between(&late, "2024-11-02T12:00:00Z", "2024-11-04T00:00:00Z"),
            150
        );
        // 00:00–01:30 ends at the later 01:30 EST = 06:30Z.
        let early = sundays("America/New_York", &["00:00-01:30"]);
        assert_eq!(
            add(&early, "2024-11-03T04:00:00Z", 150),
            at("2024-11-03T06:30:00Z")
        );
    }

    #[test]
    fn new_york_office_hours_keep_local_time_across_the_switch_weekend() {
        let office =
            BusinessCalendar::new("America/New_York", week_of(&MON_TO_FRI, &["09:00-17:00"]), []).unwrap();
        // Friday 2024-03-08 16:00 EST (21:00Z) + 2 h → Monday 10:00 EDT = 14:00Z.
        assert_eq!(
            add(&office, "2024-03-08T21:00:00Z", 120),
            at("2024-03-11T14:00:00Z")
        );
    }

    // --- validation ---

    #[test]
    fn an_unknown_time_zone_is_rejected() {
        let err = BusinessCalendar::new("Mars/Olympus_Mons", week_of(&MON_TO_FRI, &["08:00-17:00"]), [])
            .unwrap_err();
        assert_eq!(
            err,
            CalendarError::UnknownTimeZone {
                name: "Mars/Olympus_Mons".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "unknown time zone \"Mars/Olympus_Mons\": expected an IANA name such as Europe/Berlin"
        );
        assert!(BusinessCalendar::always_open("CET+1").is_err());
        assert!(BusinessCalendar::always_open("UTC").is_ok());
    }

    #[test]
    fn an_empty_or_reversed_window_is_rejected() {
        let empty = BusinessCalendar::new("UTC", week_of(&[Weekday::Wed], &["12:00-12:00"]), []).unwrap_err();
        assert_eq!(
            empty,
            CalendarError::WindowEmpty {
                weekday: Weekday::Wed,
                index: 0,
                window: window("12:00-12:00")
            }
        );
        assert_eq!(
            empty.to_string(),
            "wednesday window 0 (12:00-12:00) is empty: its start must be before its end"
        );
        let reversed = BusinessCalendar::new(
            "UTC",
            week_of(&[Weekday::Fri], &["08:00-09:00", "17:00-13:00"]),
            [],
        )
        .unwrap_err();
        assert!(matches!(
            reversed,
            CalendarError::WindowEmpty {
                weekday: Weekday::Fri,
                index: 1,
                ..
            }
        ));
    }

    #[test]
    fn a_window_past_2400_is_rejected() {
        let mut week: [Vec<WorkingWindow>; 7] = Default::default();
        week[6] = vec![WorkingWindow::new(1380, 1441)];
        let err = BusinessCalendar::new("UTC", week, []).unwrap_err();
        assert!(matches!(
            err,
            CalendarError::WindowOutOfRange {
                weekday: Weekday::Sun,
                index: 0,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "sunday window 0 (23:00-24:01) ends past 24:00: minutes since midnight must be within 0..=1440"
        );
    }

    #[test]
    fn overlapping_windows_are_rejected() {
        let err = BusinessCalendar::new(
            "UTC",
            week_of(&[Weekday::Tue], &["08:00-12:00", "11:00-13:00"]),
            [],
        )
        .unwrap_err();
        assert_eq!(
            err,
            CalendarError::WindowsOverlap {
                weekday: Weekday::Tue,
                first: window("08:00-12:00"),
                second: window("11:00-13:00"),
            }
        );
        assert_eq!(
            err.to_string(),
            "tuesday windows 08:00-12:00 and 11:00-13:00 overlap: windows may touch but not overlap"
        );
    }

    #[test]
    fn unsorted_windows_are_rejected() {
        let err = BusinessCalendar::new(
            "UTC",
            week_of(&[Weekday::Mon], &["13:00-17:00", "08:00-12:00"]),
            [],
        )
        .unwrap_err();
        assert!(matches!(
            err,
            CalendarError::WindowsOutOfOrder {
                weekday: Weekday::Mon,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "monday windows 13:00-17:00 and 08:00-12:00 are out of order: a day's windows must be sorted by start"
        );
    }

    #[test]
    fn a_week_without_windows_is_rejected_unless_24x7() {
        let err = BusinessCalendar::new("UTC", Default::default(), []).unwrap_err();
        assert_eq!(err, CalendarError::NoWorkingTime);
        assert_eq!(
            err.to_string(),
            "the calendar has no working time: give at least one window in the week, or make it 24x7"
        );
    }

    #[test]
    fn windows_ending_at_2400_and_touching_windows_are_accepted() {
        let week = week_of(&[Weekday::Sat], &["00:00-12:00", "12:00-24:00"]);
        let calendar = BusinessCalendar::new("UTC", week, [date("2024-12-25")]).unwrap();
        assert_eq!(calendar.windows(Weekday::Sat)[1].end_minute(), MINUTES_PER_DAY);
        assert_eq!(calendar.holidays().collect::<Vec<_>>(), [date("2024-12-25")]);
        // A whole Saturday.
        assert_eq!(
            minutes_between(&calendar, "2024-03-09T00:00:00Z", "2024-03-10T00:00:00Z"),
            1440
        );
    }

    #[test]
    fn windows_parse_and_display_as_hh_mm() {
        assert_eq!(
            WorkingWindow::parse("08:00-12:30"),
            Some(WorkingWindow::new(480, 750))
        );
        assert_eq!(
            WorkingWindow::parse("22:00-24:00"),
            Some(WorkingWindow::new(1320, 1440))
        );
        assert_eq!(WorkingWindow::new(1320, 1440).to_string(), "22:00-24:00");
        assert_eq!(WorkingWindow::new(480, 750).minutes(), 270);
        for bad in [
            "8:00-12:00",
            "08:00-24:01",
            "08:60-09:00",
            "08:00",
            "08:00-25:00",
            "ab:cd-12:00",
        ] {
            assert_eq!(WorkingWindow::parse(bad), None, "{bad}");
        }
    }

    // --- properties ---

    const ZONES: &[&str] = &[
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "America/Santiago",
        "America/Havana",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Chatham",
    ];

    /// A day cut at random points into segments, each of them working time or not: windows are
    /// sorted, often touching, often starting at 00:00 or ending at 24:00.
    fn arb_day() -> impl Strategy<Value = Vec<WorkingWindow>> {
        (
            prop::collection::btree_set(1u16..MINUTES_PER_DAY, 0..6),
            prop::collection::vec(any::<bool>(), 7),
        )
            .prop_map(|(cuts, working)| {
                let points: Vec<u16> = std::iter::once(0)
                    .chain(cuts)
                    .chain(std::iter::once(MINUTES_PER_DAY))
                    .collect();
                points
                    .windows(2)
                    .zip(working)
                    .filter(|(_, working)| *working)
                    .map(|(pair, _)| WorkingWindow::new(pair[0], pair[1]))
                    .collect()
            })
    }

    /// Random calendars in zones with DST, half-hour DST, midnight switches and fixed offsets; one in
    /// eight is 24x7.
    pub(in crate::service_levels::clock) fn arb_calendar() -> impl Strategy<Value = BusinessCalendar> {
        (
            prop::sample::select(ZONES),
            prop::array::uniform7(arb_day()),
            prop::collection::vec(0u64..4000, 0..5),
            0..8u8,
        )
            .prop_filter_map("a week without working time", |(zone, week, holidays, kind)| {
                if kind == 0 {
                    return BusinessCalendar::always_open(zone).ok();
                }
                let base = date("2020-01-01");
                BusinessCalendar::new(zone, week, holidays.into_iter().map(|d| base + Days::new(d))).ok()
            })
    }

    /// An instant between 2020 and 2030, to the millisecond.
    pub(in crate::service_levels::clock) fn arb_instant() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..10 * 365 * 86_400_000).prop_map(|ms| at("2020-01-01T00:00:00Z") + Duration::milliseconds(ms))
    }

    /// Nominal working minutes in a week (a week's worth of real minutes for 24x7).
    pub(in crate::service_levels::clock) fn weekly_minutes(calendar: &BusinessCalendar) -> i64 {
        if calendar.is_always_open() {
            return 7 * 1440;
        }
        WEEK.iter()
            .flat_map(|&day| calendar.windows(day))
            .map(|w| i64::from(w.minutes()))
            .sum()
    }

    proptest! {
        #[test]
        fn adding_twice_equals_adding_the_sum(
            calendar in arb_calendar(), t in arb_instant(), m in 0u32..100_000, n in 0u32..100_000
        ) {
            // Up to two weeks of working time each, including 0 and window boundaries.
            let scale = 2 * weekly_minutes(&calendar) + 1;
            let (m, n) = (i64::from(m) % scale, i64::from(n) % scale);
            let once = calendar.add_business_minutes(t, m + n).unwrap();
            let twice = calendar.add_business_minutes(calendar.add_business_minutes(t, m).unwrap(), n).unwrap();
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn minutes_between_a_start_and_its_sum_are_the_minutes_added(
            calendar in arb_calendar(), t in arb_instant(), m in 0u32..100_000
        ) {
            let m = i64::from(m) % (3 * weekly_minutes(&calendar) + 1);
            let end = calendar.add_business_minutes(t, m).unwrap();
            prop_assert!(end >= t);
            prop_assert_eq!(calendar.business_minutes_between(t, end), m);
            prop_assert_eq!(calendar.business_time_between(t, end), Duration::minutes(m));
        }

        #[test]
        fn exact_durations_round_trip(calendar in arb_calendar(), t in arb_instant(), ms in 0i64..5 * 86_400_000) {
            let d = Duration::milliseconds(ms % (2 * weekly_minutes(&calendar) * 60_000 + 1));
            let end = calendar.add_business_time(t, d).unwrap();
            prop_assert_eq!(calendar.business_time_between(t, end), d);
        }

        #[test]
        fn business_time_between_is_additive(
            calendar in arb_calendar(), a in arb_instant(), x in 0i64..30 * 86_400_000, y in 0i64..30 * 86_400_000
        ) {
            let b = a + Duration::milliseconds(x);
            let c = b + Duration::milliseconds(y);
            prop_assert_eq!(
                calendar.business_time_between(a, b) + calendar.business_time_between(b, c),
                calendar.business_time_between(a, c)
            );
            prop_assert!(calendar.business_time_between(a, c) <= c - a);
        }

        #[test]
        fn adding_is_monotone_in_minutes_and_in_start(
            calendar in arb_calendar(), t in arb_instant(), later in 0i64..7 * 86_400_000,
            m in 0u32..100_000, more in 0u32..100_000
        ) {
            let scale = 2 * weekly_minutes(&calendar) + 1;
            let (m, more) = (i64::from(m) % scale, i64::from(more) % scale);
            let add = |t, m| calendar.add_business_minutes(t, m).unwrap();
            prop_assert!(add(t, m) <= add(t, m + more));
            let t2 = t + Duration::milliseconds(later);
            prop_assert!(add(t, m) <= add(t2, m));
        }

        #[test]
        fn the_next_working_instant_is_where_the_clock_starts(
            calendar in arb_calendar(), t in arb_instant(), m in 1u32..100_000
        ) {
            let m = i64::from(m) % weekly_minutes(&calendar) + 1;
            let start = calendar.next_working_instant(t).unwrap();
            prop_assert!(start >= t);
            prop_assert!(calendar.is_working_time(start));
            prop_assert_eq!(calendar.business_time_between(t, start), Duration::zero());
            prop_assert_eq!(calendar.is_working_time(t), start == t);
            prop_assert_eq!(
                calendar.add_business_minutes(t, m).unwrap(),
                calendar.add_business_minutes(start, m).unwrap()
            );
        }
    }

    /// Working minutes counted one by one: the definition, for zones without DST (where every local
    /// time exists exactly once).
    fn count_minute_by_minute(calendar: &BusinessCalendar, start: DateTime<Utc>, minutes: i64) -> i64 {
        (0..minutes)
            .filter(|i| {
                let local = (start + Duration::minutes(*i))
                    .with_timezone(&calendar.time_zone())
                    .naive_local();
                let minute = (local.time() - NaiveTime::MIN).num_minutes() as u16;
                !calendar.is_holiday(local.date())
                    && calendar
                        .windows(local.weekday())
                        .iter()
                        .any(|w| (w.start_minute()..w.end_minute()).contains(&minute))
            })
            .count() as i64
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn business_minutes_match_counting_minute_by_minute_without_dst(
            week in prop::array::uniform7(arb_day()),
            zone in prop::sample::select(&["UTC", "Asia/Kolkata", "Asia/Tokyo"][..]),
            holidays in prop::collection::vec(0u64..4000, 0..5),
            minute in 0i64..10 * 365 * 1440,
            span in 0i64..4 * 1440,
        ) {
            let base = date("2020-01-01");
            let holidays: Vec<_> = holidays.into_iter().map(|d| base + Days::new(d)).collect();
            // A holiday near the start, so some spans cross one.
            let start = at("2020-01-01T00:00:00Z") + Duration::minutes(minute);
            let near = start.date_naive() + Days::new(1);
            let Ok(calendar) = BusinessCalendar::new(zone, week, holidays.into_iter().chain([near])) else {
                return Ok(());
            };
            let end = start + Duration::minutes(span);
            prop_assert_eq!(
                calendar.business_minutes_between(start, end),
                count_minute_by_minute(&calendar, start, span)
            );
        }
    }
}
