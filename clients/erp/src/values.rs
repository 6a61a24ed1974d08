//! The cell formats of ERP files other than amounts (`decimal`): months, dates, instants, yes/no flags
//! and enum names. Each parser takes a trimmed, non-empty cell and says in its error what it expected.

use chrono::{DateTime, NaiveDate};
use kam_proto::{
    pbjson_types::Timestamp,
    v1::{Date, Lifecycle, Month, Priority, service_request::Category},
};

/// `YYYY-MM`, e.g. `2026-03` (also `2026-3`). The year range is the server's to judge.
pub fn parse_month(text: &str) -> Result<Month, String> {
    let invalid = || format!("`{text}` is not a month: expected YYYY-MM, e.g. 2026-03");
    let (year, month) = text.split_once('-').ok_or_else(invalid)?;
    let digits = |part: &str, max_len: usize| {
        !part.is_empty() && part.len() <= max_len && part.bytes().all(|b| b.is_ascii_digit())
    };
    if year.len() != 4 || !digits(year, 4) || !digits(month, 2) {
        return Err(invalid());
    }
    let year: i32 = year.parse().map_err(|_| invalid())?;
    let month: i32 = month.parse().map_err(|_| invalid())?;
    if !(1..=12).contains(&month) {
        return Err(format!("`{text}` is not a month: the month must be 01 to 12"));
    }
    Ok(Month { year, month })
}

/// `YYYY-MM-DD`, e.g. `2027-03-31` (also `2027-3-1`): a calendar date, so `2027-02-30` is refused.
/// The year range is the server's to judge.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let invalid = || format!("`{text}` is not a date: expected YYYY-MM-DD, e.g. 2027-03-31");
    let mut parts = text.split('-');
    let (Some(year), Some(month), Some(day), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let digits = |part: &str, max_len: usize| {
        !part.is_empty() && part.len() <= max_len && part.bytes().all(|b| b.is_ascii_digit())
    };
    if year.len() != 4 || !digits(year, 4) || !digits(month, 2) || !digits(day, 2) {
        return Err(invalid());
    }
    let year: i32 = year.parse().map_err(|_| invalid())?;
    let month: u32 = month.parse().map_err(|_| invalid())?;
    let day: u32 = day.parse().map_err(|_| invalid())?;
    if NaiveDate::from_ymd_opt(year, month, day).is_none() {
        return Err(format!(
            "`{text}` is not a date: there is no such day in the calendar"
        ));
    }
    Ok(Date {
        year,
        month: month as i32,
        day: day as i32,
    })
}

/// An RFC 3339 instant with its offset, e.g. `2027-03-31T08:15:00Z` or `2027-03-31T10:15:00+02:00`: a
/// local time without an offset would be a guess of the ERP's time zone.
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    let instant = DateTime::parse_from_rfc3339(text).map_err(|_| {
        format!("`{text}` is not an instant: expected RFC 3339 with an offset, e.g. 2027-03-31T08:15:00Z")
    })?;
    Ok(Timestamp {
        seconds: instant.timestamp(),
        nanos: instant.timestamp_subsec_nanos() as i32,
    })
}

/// `true`/`false`, also `yes`/`no` and `1`/`0`, in any case: what ERP exports write for a flag.
pub fn parse_flag(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        _ => Err(format!("`{text}` is not true or false")),
    }
}

/// An account lifecycle by name, in any case: PROSPECT, ACTIVE, DORMANT or CHURNED.
pub fn parse_lifecycle(text: &str) -> Result<Lifecycle, String> {
    match Lifecycle::from_str_name(&text.to_ascii_uppercase()) {
        Some(Lifecycle::Unspecified) | None => Err(format!(
            "`{text}` is not a lifecycle: expected PROSPECT, ACTIVE, DORMANT or CHURNED"
        )),
        Some(lifecycle) => Ok(lifecycle),
    }
}

/// A service request category by name, in any case: DELIVERY, INSTALLATION, REPAIR, TRAINING,
/// COMPLAINT, TECHNICAL_QUESTION or OTHER.
pub fn parse_category(text: &str) -> Result<Category, String> {
    match Category::from_str_name(&text.to_ascii_uppercase()) {
        Some(Category::Unspecified) | None => Err(format!(
            "`{text}` is not a category: expected DELIVERY, INSTALLATION, REPAIR, TRAINING, COMPLAINT, \
             TECHNICAL_QUESTION or OTHER"
        )),
        Some(category) => Ok(category),
    }
}

/// A service request priority by name, in any case: P1, P2, P3 or P4.
pub fn parse_priority(text: &str) -> Result<Priority, String> {
    match Priority::from_str_name(&text.to_ascii_uppercase()) {
        Some(Priority::Unspecified) | None => {
            Err(format!("`{text}` is not a priority: expected P1, P2, P3 or P4"))
        }
        Some(priority) => Ok(priority),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_year_dash_month() {
        assert_eq!(parse_month("2026-03"), Ok(Month { year: 2026, month: 3 }));
        assert_eq!(parse_month("2026-3"), Ok(Month { year: 2026, month: 3 }));
        assert_eq!(
            parse_month("1999-12"),
            Ok(Month {
                year: 1999,
                month: 12
            })
        );
        for text in [
            "2026",
            "2026-",
            "26-03",
            "2026-003",
            "2026/03",
            "03-2026",
            "2026-03-01",
            "２０２６-03",
        ] {
            let err = parse_month(text).unwrap_err();
            assert!(err.contains("expected YYYY-MM"), "{text}: {err}");
        }
        for text in ["2026-00", "2026-13"] {
            let err = parse_month(text).unwrap_err();
            assert!(err.contains("01 to 12"), "{text}: {err}");
        }
    }

    #[test]
    fn dates_are_year_dash_month_dash_day_in_the_calendar() {
        let date = |year, month, day| Ok(Date { year, month, day });
        assert_eq!(parse_date("2027-03-31"), date(2027, 3, 31));
        assert_eq!(parse_date("2027-3-1"), date(2027, 3, 1));
        assert_eq!(parse_date("2028-02-29"), date(2028, 2, 29), "a leap year");
        assert_eq!(parse_date("1999-12-01"), date(1999, 12, 1));
        for text in [
            "2027",
            "2027-03",
            "2027-03-",
            "27-03-31",
            "2027-003-01",
            "2027-03-031",
            "2027/03/31",
            "31.03.2027",
            "31-03-2027",
            "2027-03-31T00:00:00",
            "2027-03-31-1",
            "+2027-03-31",
            "２０２７-03-31",
        ] {
            let err = parse_date(text).unwrap_err();
            assert!(err.contains("expected YYYY-MM-DD"), "{text}: {err}");
        }
        for text in [
            "2027-02-29",
            "2027-02-30",
            "2027-04-31",
            "2027-13-01",
            "2027-00-10",
            "2027-01-00",
        ] {
            let err = parse_date(text).unwrap_err();
            assert!(err.contains("no such day"), "{text}: {err}");
        }
    }

    #[test]
    fn categories_are_named_in_any_case() {
        assert_eq!(parse_category("DELIVERY"), Ok(Category::Delivery));
        assert_eq!(parse_category("installation"), Ok(Category::Installation));
        assert_eq!(parse_category("Repair"), Ok(Category::Repair));
        assert_eq!(parse_category("training"), Ok(Category::Training));
        assert_eq!(parse_category("COMPLAINT"), Ok(Category::Complaint));
        assert_eq!(
            parse_category("technical_question"),
            Ok(Category::TechnicalQuestion)
        );
        assert_eq!(parse_category("other"), Ok(Category::Other));
        for text in ["CATEGORY_UNSPECIFIED", "technical question", "broken", "3"] {
            assert!(
                parse_category(text)
                    .unwrap_err()
                    .contains("DELIVERY, INSTALLATION"),
                "{text}"
            );
        }
    }

    #[test]
    fn priorities_are_p1_to_p4_in_any_case() {
        assert_eq!(parse_priority("P1"), Ok(Priority::P1));
        assert_eq!(parse_priority("p2"), Ok(Priority::P2));
        assert_eq!(parse_priority("P3"), Ok(Priority::P3));
        assert_eq!(parse_priority("p4"), Ok(Priority::P4));
        for text in ["PRIORITY_UNSPECIFIED", "P0", "P5", "1", "high"] {
            assert!(
                parse_priority(text).unwrap_err().contains("P1, P2, P3 or P4"),
                "{text}"
            );
        }
    }

    #[test]
    fn instants_are_rfc_3339_with_an_offset() {
        let utc = parse_instant("2027-03-31T08:15:00Z").unwrap();
        assert_eq!(parse_instant("2027-03-31T10:15:00+02:00"), Ok(utc));
        assert_eq!(utc.seconds, 1_806_480_900);
        assert_eq!(
            parse_instant("2027-03-31T08:15:00.5Z").unwrap().nanos,
            500_000_000
        );
        for local in [
            "2027-03-31T08:15:00",
            "2027-03-31",
            "31.03.2027 08:15",
            "2027-02-30T08:00:00Z",
        ] {
            let err = parse_instant(local).unwrap_err();
            assert!(err.contains("is not an instant"), "{local}: {err}");
        }
    }

    #[test]
    fn flags_accept_the_usual_spellings() {
        for text in ["true", "TRUE", "Yes", "y", "1"] {
            assert_eq!(parse_flag(text), Ok(true), "{text}");
        }
        for text in ["false", "False", "NO", "n", "0"] {
            assert_eq!(parse_flag(text), Ok(false), "{text}");
        }
        assert!(parse_flag("maybe").unwrap_err().contains("not true or false"));
    }

    #[test]
    fn lifecycles_are_named_in_any_case() {
        assert_eq!(parse_lifecycle("ACTIVE"), Ok(Lifecycle::Active));
        assert_eq!(parse_lifecycle("churned"), Ok(Lifecycle::Churned));
        assert_eq!(parse_lifecycle("Prospect"), Ok(Lifecycle::Prospect));
        assert_eq!(parse_lifecycle("dormant"), Ok(Lifecycle::Dormant));
        for text in ["LIFECYCLE_UNSPECIFIED", "lost", "2"] {
            assert!(
                parse_lifecycle(text).unwrap_err().contains("PROSPECT, ACTIVE"),
                "{text}"
            );
        }
    }
}
