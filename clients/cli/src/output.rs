//! Printing results: canonical proto3 JSON with `--json`, otherwise aligned tables for lists and
//! `key: value` lines for single resources. Timestamps go out as RFC 3339 and are read back from flags
//! the same way.

use std::fmt::Display;
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use kam_proto::pbjson_types::Timestamp;
use serde::Serialize;

/// A result that can be printed both ways. The JSON form comes from the message's pbjson `Serialize`,
/// so it is the canonical proto3 JSON mapping that other gRPC tooling reads.
pub trait Render: Serialize {
    /// The text shown to a person, ending with a newline.
    fn human(&self) -> String;
}

/// Prints `value` to stdout in the chosen form.
///
/// Write errors are returned rather than panicking as `println!` does, so a closed pipe ends kamctl
/// quietly.
pub fn print<T: Render>(value: &T, json: bool) -> io::Result<()> {
    let text = if json {
        serde_json::to_string_pretty(value)? + "\n"
    } else {
        value.human()
    };
    io::stdout().lock().write_all(text.as_bytes())
}

/// Columns of text padded to the widest cell, two spaces apart, under upper-case headers.
#[derive(Debug)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Per column: whether its cells (header included) are right-aligned, as numbers read best.
    right_aligned: Vec<bool>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Table::with_headers(headers.iter().map(|h| (*h).to_owned()).collect())
    }

    /// A table whose columns are only known at run time, e.g. one per key of a map in the response.
    pub fn with_headers(headers: Vec<String>) -> Self {
        Table {
            right_aligned: vec![false; headers.len()],
            headers,
            rows: Vec::new(),
        }
    }

    /// Right-aligns the cells of the given columns (counts, amounts).
    pub fn align_right(&mut self, columns: &[usize]) {
        for &column in columns {
            self.right_aligned[column] = true;
        }
    }

    /// Adds a row; it must have one cell per header.
    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len(), "row does not match the headers");
        self.rows.push(row);
    }

    pub fn render(&self) -> String {
        let lines = || std::iter::once(&self.headers).chain(&self.rows);
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|column| lines().map(|row| width(&row[column])).max().unwrap_or(0))
            .collect();

        let mut text = String::new();
        for row in lines() {
            let mut line = String::new();
            for (column, cell) in row.iter().enumerate() {
                if column > 0 {
                    line.push_str("  ");
                }
                let padding = std::iter::repeat_n(' ', widths[column] - width(cell));
                if self.right_aligned[column] {
                    line.extend(padding);
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.extend(padding);
                }
            }
            // The last column is padded too; trimming the line is simpler than special-casing it.
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

/// `key: value` lines with the values aligned. Lines of a multi-line value after the first are indented
/// to the value column, so notes stay readable.
pub fn key_values(pairs: &[(&str, String)]) -> String {
    let key_width = pairs.iter().map(|(key, _)| width(key) + 1).max().unwrap_or(0);
    let mut text = String::new();
    for (key, value) in pairs {
        let label = format!("{key}:");
        let mut value_lines = value.lines();
        let first = value_lines.next().unwrap_or("");
        text.push_str(format!("{label:key_width$} {first}").trim_end());
        text.push('\n');
        for line in value_lines {
            text.push_str(format!("{:key_width$} {line}", "").trim_end());
            text.push('\n');
        }
    }
    text
}

/// RFC 3339 in UTC, with as many fraction digits as needed; empty when the timestamp is absent.
pub fn timestamp(timestamp: Option<&Timestamp>) -> String {
    let Some(&timestamp) = timestamp else {
        return String::new();
    };
    match DateTime::<Utc>::try_from(timestamp) {
        Ok(time) => time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        // Out of chrono's range: show the raw value rather than failing the whole command.
        Err(_) => format!("{}s+{}ns", timestamp.seconds, timestamp.nanos),
    }
}

/// Parses an RFC 3339 time flag (`2025-01-31T00:00:00Z`, `2025-01-31T08:00:00+08:00`).
pub fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| Timestamp::from(time.with_timezone(&Utc)))
        .map_err(|err| format!("`{text}` is not an RFC 3339 time such as 2025-01-31T08:00:00Z: {err}"))
}

/// Adds the `next page: TOKEN` line under a list when there is a next page.
pub fn next_page(text: &mut String, token: &str) {
    if !token.is_empty() {
        text.push_str(&format!("next page: {token}\n"));
    }
}

/// `1 responsibility`, `2 responsibilities`: a count and its noun.
pub fn count<N: Display + PartialEq + From<u8>>(n: N, one: &str, many: &str) -> String {
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
}

/// `yes` or `no`, for flags in tables.
pub fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

/// A bar of `█` for `value` when the longest bar, of `max`, is `width` long (see [`bar_len`]).
pub fn bar(value: i128, max: i128, width: usize) -> String {
    "█".repeat(bar_len(value, max, width))
}

/// The length of the bar of `value` when the longest bar, of `max`, is `width` long: proportional,
/// rounded, and at least 1 for any value above 0 so that nothing there looks empty. Nothing, zero
/// and negative values get no bar. Integer arithmetic, exact for counts and amounts in nanos alike.
pub fn bar_len(value: i128, max: i128, width: usize) -> usize {
    if value <= 0 || max <= 0 || width == 0 {
        return 0;
    }
    let (value, max, width) = (value.min(max) as u128, max as u128, width as u128);
    let len = match value.checked_mul(width) {
        Some(scaled) => (scaled + max / 2) / max,
        // Only for values near the top of i128, where a unit of the bar is a huge number anyway.
        None => value / (max / width),
    };
    (len as usize).clamp(1, width as usize)
}

/// Terminal columns a cell takes, counting characters: right for the Latin, Cyrillic, Greek... names
/// KAM holds, and no dependency for full Unicode width tables.
fn width(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_are_aligned_without_trailing_spaces() {
        let mut table = Table::new(&["ID", "NAME", "REGION"]);
        table.push(vec!["1".into(), "Acme Corporation".into(), "".into()]);
        table.push(vec!["12345".into(), "Zürich AG".into(), "EMEA".into()]);
        assert_eq!(
            table.render(),
            "ID     NAME              REGION\n\
             1      Acme Corporation\n\
             12345  Zürich AG         EMEA\n"
        );
    }

    #[test]
    fn right_aligned_columns_pad_on_the_left() {
        let mut table = Table::new(&["STAGE", "COUNT", "AMOUNT"]);
        table.align_right(&[1, 2]);
        table.push(vec!["LEAD".into(), "12".into(), "1500.00 EUR".into()]);
        table.push(vec!["PROPOSAL".into(), "3".into(), "".into()]);
        assert_eq!(
            table.render(),
            "STAGE     COUNT       AMOUNT\n\
             LEAD         12  1500.00 EUR\n\
             PROPOSAL      3\n"
        );
    }

    #[test]
    fn bars_scale_to_the_largest_value() {
        assert_eq!(bar_len(12, 12, 40), 40);
        assert_eq!(bar_len(6, 12, 40), 20);
        assert_eq!(bar_len(1, 3, 40), 13); // 13.33
        assert_eq!(bar_len(2, 3, 40), 27); // 26.67
        assert_eq!(bar_len(0, 12, 40), 0);
        assert_eq!(bar_len(0, 0, 40), 0);
        assert_eq!(bar_len(-5, 12, 40), 0);
        assert_eq!(bar_len(5, 12, 0), 0);
        // Never invisible, never longer than the width.
        assert_eq!(bar_len(1, 1_000_000, 40), 1);
        assert_eq!(bar_len(i128::from(i64::MAX), i128::from(i64::MAX), 40), 40);
        assert_eq!(bar_len(i128::MAX, i128::MAX, 40), 40);
        assert_eq!(bar_len(i128::MAX / 2, i128::MAX, 40), 20);
        assert_eq!(bar_len(50, 10, 40), 40);
        assert_eq!(bar(3, 6, 40), "█".repeat(20));
    }

    #[test]
    fn next_page_is_said_only_when_there_is_one() {
        let mut text = String::new();
        next_page(&mut text, "");
        assert_eq!(text, "");
        next_page(&mut text, "t2");
        assert_eq!(text, "next page: t2\n");
        assert_eq!((yes_no(true), yes_no(false)), ("yes".to_owned(), "no".to_owned()));
        assert_eq!(count(1_usize, "batch", "batches"), "1 batch");
        assert_eq!(count(0_i32, "batch", "batches"), "0 batches");
        assert_eq!(count(5000_usize, "record", "records"), "5000 records");
    }

    #[test]
    fn empty_table_is_the_header() {
        assert_eq!(Table::new(&["ID", "NAME"]).render(), "ID  NAME\n");
    }

    #[test]
    fn key_values_align_values_and_indent_continuation_lines() {
        let text = key_values(&[
            ("id", "a1".into()),
            ("display_name", "Acme".into()),
            ("notes", "first\nsecond".into()),
            ("region", String::new()),
        ]);
        assert_eq!(
            text,
            "id:           a1\n\
             display_name: Acme\n\
             notes:        first\n\
             \x20             second\n\
             region:\n"
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let whole = Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        };
        let fraction = Timestamp {
            seconds: 1_700_000_000,
            nanos: 250_000_000,
        };
        assert_eq!(timestamp(Some(&whole)), "2023-11-14T22:13:20Z");
        assert_eq!(timestamp(Some(&fraction)), "2023-11-14T22:13:20.250Z");
        assert_eq!(timestamp(None), "");
    }

    #[test]
    fn time_flags_are_rfc3339_in_any_offset() {
        let utc = parse_timestamp("2023-11-14T22:13:20Z").unwrap();
        assert_eq!((utc.seconds, utc.nanos), (1_700_000_000, 0));
        let shanghai = parse_timestamp("2023-11-15T06:13:20.5+08:00").unwrap();
        assert_eq!((shanghai.seconds, shanghai.nanos), (1_700_000_000, 500_000_000));
        assert!(parse_timestamp("2023-11-14").is_err());
        assert!(parse_timestamp("yesterday").is_err());
    }
}
