//! The calendar side of keeping in touch, pure: when a recurring key date falls next, and
//! when a cadence falls due.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;

use crate::accounts::model::KeyDate;

/// How often an account of a tier wants an executive visit and an account-manager touch, in days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cadence {
    pub executive_visit_days: u32,
    pub touch_days: u32,
}

/// The day a date recurring every year on `month`/`day` falls on next, `today` included. A 29 February
/// falls on 28 February in years without one. `None` for a month and day that never exist.
pub fn next_occurrence(month: u32, day: u32, today: NaiveDate) -> Option<NaiveDate> {
    let in_year = |year: i32| {
        NaiveDate::from_ymd_opt(year, month, day).or_else(|| {
            (month == 2 && day == 29)
                .then(|| NaiveDate::from_ymd_opt(year, 2, 28))
                .flatten()
        })
    };
    let this_year = in_year(today.year())?;
    if this_year >= today {
        Some(this_year)
    } else {
        in_year(today.year() + 1)
    }
}

/// A key date within `days` days of `today` (today is day 0): when it falls and in how many days.
pub fn upcoming(month: u32, day: u32, today: NaiveDate, days: u32) -> Option<(NaiveDate, i64)> {
    let next = next_occurrence(month, day, today)?;
    let until = (next - today).num_days();
    (until < i64::from(days)).then_some((next, until))
}

/// A key date that falls within `days` days of `today`: the day, in how many days, and the years it
/// marks then (0 when its year is unknown, or when it falls once).
pub fn next_key_date(date: &KeyDate, today: NaiveDate, days: u32) -> Option<(NaiveDate, i64, i32)> {
    if date.one_time {
        let on = NaiveDate::from_ymd_opt(date.year, date.month, date.day)?;
        let until = (on - today).num_days();
        return (0..i64::from(days)).contains(&until).then_some((on, until, 0));
    }
    let (next, until) = upcoming(date.month, date.day, today, days)?;
    let years = if date.year > 0 { next.year() - date.year } else { 0 };
    Some((next, until, years))
}

/// When a cadence of `interval_days` falls due: that long after the last interaction that counted, or,
/// with none, after `since` (when the account entered its tier).
pub fn due_time(last: Option<DateTime<Utc>>, since: DateTime<Utc>, interval_days: u32) -> DateTime<Utc> {
    last.unwrap_or(since) + Duration::days(i64::from(interval_days))
}

/// Whole days from `due` to `now`, when `now` is past it.
pub fn days_overdue(due: DateTime<Utc>, now: DateTime<Utc>) -> Option<i64> {
    (now > due).then(|| (now - due).num_days())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_window_wraps_over_the_year_end() {
        let today = day("2026-12-29");
        assert_eq!(upcoming(1, 2, today, 7), Some((day("2027-01-02"), 4)));
        assert_eq!(upcoming(12, 29, today, 7), Some((today, 0)), "today counts");
        assert_eq!(
            upcoming(12, 28, today, 7),
            None,
            "yesterday comes round next year"
        );
        assert_eq!(upcoming(1, 5, today, 7), None, "day 7 is outside a 7-day window");
        assert_eq!(upcoming(1, 4, today, 7), Some((day("2027-01-04"), 6)));
    }

    #[test]
    fn the_29th_of_february_falls_on_the_28th_in_common_years() {
        assert_eq!(next_occurrence(2, 29, day("2027-02-01")), Some(day("2027-02-28")));
        assert_eq!(next_occurrence(2, 29, day("2028-02-01")), Some(day("2028-02-29")));
        // After the 28th of a common year, the next one is in a leap year.
        assert_eq!(next_occurrence(2, 29, day("2027-03-01")), Some(day("2028-02-29")));
        assert_eq!(next_occurrence(2, 30, day("2027-03-01")), None);
        assert_eq!(
            upcoming(2, 29, day("2027-02-27"), 2),
            Some((day("2027-02-28"), 1))
        );
    }

    #[test]
    fn a_one_time_date_falls_once_and_a_yearly_one_counts_its_years() {
        let date = |year, one_time| KeyDate {
            kind: crate::accounts::model::KeyDateKind::ContractRenewal,
            label: String::new(),
            year,
            month: 3,
            day: 31,
            one_time,
        };
        let today = day("2026-12-29");
        assert_eq!(
            next_key_date(&date(2027, true), today, 100),
            Some((day("2027-03-31"), 92, 0))
        );
        assert_eq!(
            next_key_date(&date(2028, true), today, 100),
            None,
            "a year too far"
        );
        assert_eq!(
            next_key_date(&date(2026, true), today, 366),
            None,
            "past, it never comes back"
        );
        assert_eq!(
            next_key_date(&date(2000, false), today, 100),
            Some((day("2027-03-31"), 92, 27))
        );
        assert_eq!(
            next_key_date(&date(0, false), today, 100),
            Some((day("2027-03-31"), 92, 0))
        );
    }

    #[test]
    fn a_cadence_is_due_an_interval_after_the_last_contact_or_the_tier_entry() {
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        let since = at("2026-01-01T00:00:00Z");
        assert_eq!(due_time(None, since, 30), at("2026-01-31T00:00:00Z"));
        assert_eq!(
            due_time(Some(at("2026-03-01T12:00:00Z")), since, 14),
            at("2026-03-15T12:00:00Z")
        );
        assert_eq!(
            days_overdue(at("2026-03-15T12:00:00Z"), at("2026-03-20T11:00:00Z")),
            Some(4)
        );
        assert_eq!(
            days_overdue(at("2026-03-15T12:00:00Z"), at("2026-03-15T12:00:00Z")),
            None
        );
    }

    proptest! {
        /// The next occurrence is never before today, at most a year (366 days) ahead, and on the
        /// recorded month and day (or the 28th for a 29 February).
        #[test]
        fn the_next_occurrence_is_within_a_year(offset in 0i64..40_000, month in 1u32..=12, day_of in 1u32..=31) {
            let today = day("1950-01-01") + Duration::days(offset);
            if let Some(next) = next_occurrence(month, day_of, today) {
                prop_assert!(next >= today);
                prop_assert!((next - today).num_days() <= 366);
                prop_assert_eq!(next.month(), month);
                prop_assert!(next.day() == day_of || (month == 2 && day_of == 29 && next.day() == 28));
            } else {
                prop_assert!(NaiveDate::from_ymd_opt(2024, month, day_of).is_none());
            }
        }
    }
}
