//! Rows decoded by position, for the reads on hot paths.
//!
//! sea-orm decodes a model by column name: for every column of every row it formats the name and
//! looks it up among the result's columns. A hot read that knows the order of its columns (a model's
//! `Entity::find()` selects them in the order the model declares them) decodes by position instead:
//! [`FromPositions`] says how, [`PositionalRow`] is a row of either backend, read that way.

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{ConnectionTrait, QueryResult, Statement, TryGetable};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::platform::error::{Error, Result};

/// A value built from a row whose columns come in a known order.
pub trait FromPositions: Sized {
    fn from_positions(row: &impl PositionalRow) -> Result<Self>;
}

/// One row of a result, read by column position (0 is the first selected column).
pub trait PositionalRow {
    fn uuid(&self, at: usize) -> Result<Uuid>;
    fn optional_uuid(&self, at: usize) -> Result<Option<Uuid>>;
    fn text(&self, at: usize) -> Result<String>;
    fn optional_text(&self, at: usize) -> Result<Option<String>>;
    fn integer(&self, at: usize) -> Result<i64>;
    fn time(&self, at: usize) -> Result<DateTime<Utc>>;
    fn optional_time(&self, at: usize) -> Result<Option<DateTime<Utc>>>;
    /// A JSON column, straight into the type it holds.
    fn json<T: DeserializeOwned>(&self, at: usize) -> Result<T>;
}

/// Every row `statement` returns, decoded by position, through sea-orm's connection (and so its
/// pool, its transaction if `conn` is one, and its error mapping).
pub async fn read_all<T: FromPositions>(conn: &impl ConnectionTrait, statement: Statement) -> Result<Vec<T>> {
    conn.query_all_raw(statement)
        .await?
        .iter()
        .map(T::from_positions)
        .collect()
}

/// The first row `statement` returns, if any, decoded by position.
pub async fn read_one<T: FromPositions>(
    conn: &impl ConnectionTrait,
    statement: Statement,
) -> Result<Option<T>> {
    conn.query_one_raw(statement)
        .await?
        .as_ref()
        .map(T::from_positions)
        .transpose()
}

impl PositionalRow for QueryResult {
    fn uuid(&self, at: usize) -> Result<Uuid> {
        by_index(self, at)
    }

    fn optional_uuid(&self, at: usize) -> Result<Option<Uuid>> {
        by_index(self, at)
    }

    fn text(&self, at: usize) -> Result<String> {
        by_index(self, at)
    }

    fn optional_text(&self, at: usize) -> Result<Option<String>> {
        by_index(self, at)
    }

    fn integer(&self, at: usize) -> Result<i64> {
        by_index(self, at)
    }

    fn time(&self, at: usize) -> Result<DateTime<Utc>> {
        by_index(self, at)
    }

    fn optional_time(&self, at: usize) -> Result<Option<DateTime<Utc>>> {
        by_index(self, at)
    }

    fn json<T: DeserializeOwned>(&self, at: usize) -> Result<T> {
        let value: serde_json::Value = by_index(self, at)?;
        serde_json::from_value(value).map_err(|e| bad_column(at, &e.to_string()))
    }
}

fn by_index<T: TryGetable>(row: &QueryResult, at: usize) -> Result<T> {
    Ok(row.try_get_by_index(at)?)
}

impl PositionalRow for rusqlite::Row<'_> {
    fn uuid(&self, at: usize) -> Result<Uuid> {
        self.optional_uuid(at)?.ok_or_else(|| bad_column(at, "NULL"))
    }

    /// sqlx stores a UUID as its 16 bytes; rows written by hand may hold its text.
    fn optional_uuid(&self, at: usize) -> Result<Option<Uuid>> {
        use rusqlite::types::ValueRef;
        match self.get_ref(at).map_err(sqlite_error)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(bytes) => Uuid::from_slice(bytes)
                .map(Some)
                .map_err(|_| bad_column(at, "a blob that is not a UUID")),
            ValueRef::Text(text) => std::str::from_utf8(text)
                .ok()
                .and_then(|text| Uuid::parse_str(text).ok())
                .map(Some)
                .ok_or_else(|| bad_column(at, "a text that is not a UUID")),
            _ => Err(bad_column(at, "a number where a UUID belongs")),
        }
    }

    fn text(&self, at: usize) -> Result<String> {
        self.get(at).map_err(sqlite_error)
    }

    fn optional_text(&self, at: usize) -> Result<Option<String>> {
        self.get(at).map_err(sqlite_error)
    }

    fn integer(&self, at: usize) -> Result<i64> {
        self.get(at).map_err(sqlite_error)
    }

    fn time(&self, at: usize) -> Result<DateTime<Utc>> {
        self.optional_time(at)?.ok_or_else(|| bad_column(at, "NULL"))
    }

    fn optional_time(&self, at: usize) -> Result<Option<DateTime<Utc>>> {
        let text: Option<String> = self.get(at).map_err(sqlite_error)?;
        text.map(|text| sqlite_time(&text).ok_or_else(|| bad_column(at, &text)))
            .transpose()
    }

    fn json<T: DeserializeOwned>(&self, at: usize) -> Result<T> {
        use rusqlite::types::ValueRef;
        let text = match self.get_ref(at).map_err(sqlite_error)? {
            ValueRef::Text(text) | ValueRef::Blob(text) => text,
            _ => return Err(bad_column(at, "not a JSON text")),
        };
        serde_json::from_slice(text).map_err(|e| bad_column(at, &e.to_string()))
    }
}

/// A timestamp as SQLite holds it: RFC 3339, as sqlx writes it, or SQLite's own `CURRENT_TIMESTAMP`
/// form (UTC without a zone), as a column default writes it.
fn sqlite_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    ["%F %T%.f", "%FT%T%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

pub(super) fn sqlite_error(err: rusqlite::Error) -> Error {
    Error::Database(sea_orm::DbErr::Custom(format!("SQLite read: {err}")))
}

fn bad_column(at: usize, found: &str) -> Error {
    Error::unknown_stored_value(&format!("column {at}"), found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_times_read_in_every_form_the_server_or_sqlite_writes() {
        let expected = "2026-12-07T10:11:12.345678Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(sqlite_time("2026-12-07T10:11:12.345678+00:00"), Some(expected));
        assert_eq!(sqlite_time("2026-12-07T10:11:12.345678Z"), Some(expected));
        assert_eq!(sqlite_time("2026-12-07 10:11:12.345678"), Some(expected));
        assert_eq!(
            sqlite_time("2026-12-07 10:11:12"),
            Some("2026-12-07T10:11:12Z".parse().unwrap())
        );
        assert_eq!(sqlite_time("yesterday"), None);
    }
}
