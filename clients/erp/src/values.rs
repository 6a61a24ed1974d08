//! The cell formats of ERP files other than amounts (`decimal`): months, yes/no flags and enum names.
//! Each parser takes a trimmed, non-empty cell and says in its error what it expected.

use kam_proto::v1::{Lifecycle, Month};

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
