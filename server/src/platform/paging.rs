//! Keyset pagination (AIP-158): page sizes and opaque page tokens.
//!
//! A token carries the sort key and id of the last row served, plus a fingerprint of the query that
//! produced it, so it cannot be replayed against another filter. Tokens are opaque to clients but not
//! secret: tampering can only move the cursor within what the caller may see anyway.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};

use crate::platform::{
    db::{Db, positional::FromPositions},
    error::{Error, FieldViolation},
    fingerprint::fingerprint,
};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// `page_size` as AIP-158 wants it: 0 means the default, larger than the maximum is clamped, negative
/// is an error.
pub fn page_size(raw: i32) -> Result<u64, FieldViolation> {
    match raw {
        n if n < 0 => Err(FieldViolation::new("page_size", "must not be negative")),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok((n as u64).min(MAX_PAGE_SIZE)),
    }
}

/// Where the previous page ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort key of the last row (a string, a timestamp in RFC 3339, or null for id order).
    #[serde(rename = "k")]
    pub key: Option<String>,
    #[serde(rename = "i")]
    pub id: Uuid,
}

#[derive(Serialize, Deserialize)]
struct Token {
    #[serde(rename = "q")]
    query: String,
    #[serde(rename = "c")]
    cursor: Cursor,
}

/// Identifies a query (its filters and order, not its page size) so a token only continues it.
pub fn query_fingerprint(canonical_query: &str) -> String {
    fingerprint(canonical_query.as_bytes())
}

pub fn encode_token(query_fingerprint: &str, cursor: Cursor) -> String {
    let token = Token {
        query: query_fingerprint.to_owned(),
        cursor,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).expect("a token always serializes"))
}

/// `Ok(None)` for the first page (an empty token).
pub fn decode_token(raw: &str, query_fingerprint: &str) -> Result<Option<Cursor>, FieldViolation> {
    if raw.is_empty() {
        return Ok(None);
    }
    let malformed = || FieldViolation::new("page_token", "malformed page token");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| malformed())?;
    let token: Token = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    if token.query != query_fingerprint {
        return Err(FieldViolation::new(
            "page_token",
            "the page token belongs to a different query: keep the filters and order_by of the first page",
        ));
    }
    Ok(Some(token.cursor))
}

/// A list request's page size, where it resumes, and the query its page tokens are bound to.
pub struct PageRequest {
    pub size: u64,
    pub after: Option<Cursor>,
    fingerprint: String,
}

impl PageRequest {
    /// `canonical_query` describes the filters and order (not the page size) unambiguously.
    pub fn parse(
        page_size: i32,
        page_token: &str,
        canonical_query: String,
    ) -> Result<Self, crate::platform::error::Error> {
        let fingerprint = query_fingerprint(&canonical_query);
        let mut v = crate::platform::error::Violations::default();
        let size = v.take(self::page_size(page_size));
        let after = v.take(decode_token(page_token, &fingerprint));
        v.into_result()?;
        Ok(Self {
            size: size.expect("checked above"),
            after: after.flatten(),
            fingerprint,
        })
    }

    /// The token of the page after this one, empty at the end.
    pub fn next_token(&self, next: Option<Cursor>) -> String {
        next.map(|cursor| encode_token(&self.fingerprint, cursor))
            .unwrap_or_default()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// One page of a list, and where the next one starts.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

/// The column a page is sorted by, besides the id that breaks ties.
#[derive(Clone, Copy)]
pub enum SortKey<C> {
    Text(C),
    Time(C),
    /// A calendar date, keyed as `YYYY-MM-DD`.
    Date(C),
}

/// Keyset pagination over `(sort key, id)`: a page starts strictly after the last row of the previous
/// one, so concurrent inserts never make a row repeat or vanish.
pub struct Keyset<C> {
    pub sort: Option<SortKey<C>>,
    pub id: C,
    pub direction: Direction,
}

impl<C: ColumnTrait> Keyset<C> {
    /// One page of `select` in this order, starting strictly after `after`. One row more than the page
    /// is fetched to learn whether another page follows; `cursor_of` names a row's id and sort key.
    pub async fn fetch<E>(
        &self,
        select: Select<E>,
        conn: &impl ConnectionTrait,
        page_size: u64,
        after: Option<&Cursor>,
        cursor_of: impl Fn(&E::Model) -> (Uuid, Option<String>),
    ) -> Result<(Vec<E::Model>, Option<Cursor>), Error>
    where
        E: EntityTrait<Column = C>,
    {
        let rows = self.page_select(select, page_size, after)?.all(conn).await?;
        Ok(self.split_page(rows, page_size, cursor_of))
    }

    /// [`Self::fetch`] for a hot list: the rows are decoded by position into `T` (the select's columns
    /// in the model's order), not by name into the model, and read through [`Db::read_all`].
    pub async fn fetch_by_position<E, T>(
        &self,
        select: Select<E>,
        db: &Db,
        page_size: u64,
        after: Option<&Cursor>,
        cursor_of: impl Fn(&T) -> (Uuid, Option<String>),
    ) -> Result<(Vec<T>, Option<Cursor>), Error>
    where
        E: EntityTrait<Column = C>,
        T: FromPositions + Send + 'static,
    {
        let statement = self.page_select(select, page_size, after)?.build(db.backend());
        let rows = db.read_all(statement).await?;
        Ok(self.split_page(rows, page_size, cursor_of))
    }

    /// `select` limited to one page in this order after `after`, and one row more, to learn whether
    /// another page follows.
    fn page_select<E>(
        &self,
        select: Select<E>,
        page_size: u64,
        after: Option<&Cursor>,
    ) -> Result<Select<E>, Error>
    where
        E: EntityTrait<Column = C>,
    {
        let mut select = select;
        if let Some(cursor) = after {
            select = select.filter(self.after(cursor)?);
        }
        for (column, order) in self.order() {
            select = select.order_by(column, order);
        }
        Ok(select.limit(page_size + 1))
    }

    fn order(&self) -> Vec<(C, Order)> {
        let order = match self.direction {
            Direction::Ascending => Order::Asc,
            Direction::Descending => Order::Desc,
        };
        let mut columns = Vec::new();
        if let Some(SortKey::Text(c) | SortKey::Time(c) | SortKey::Date(c)) = self.sort {
            columns.push((c, order.clone()));
        }
        columns.push((self.id, order));
        columns
    }

    /// The rows strictly after `cursor` in this order.
    fn after(&self, cursor: &Cursor) -> Result<Condition, FieldViolation> {
        let past = |column: C, value: sea_orm::Value| match self.direction {
            Direction::Ascending => column.gt(value),
            Direction::Descending => column.lt(value),
        };
        let Some(sort) = self.sort else {
            return Ok(Condition::all().add(past(self.id, cursor.id.into())));
        };
        let malformed = || FieldViolation::new("page_token", "malformed page token");
        let raw = cursor.key.as_deref().ok_or_else(malformed)?;
        let (column, value): (C, sea_orm::Value) = match sort {
            SortKey::Text(c) => (c, raw.to_owned().into()),
            SortKey::Time(c) => {
                let time = DateTime::parse_from_rfc3339(raw).map_err(|_| malformed())?;
                (c, time.with_timezone(&Utc).into())
            }
            SortKey::Date(c) => {
                let date = raw.parse::<chrono::NaiveDate>().map_err(|_| malformed())?;
                (c, date.into())
            }
        };
        Ok(Condition::any().add(past(column, value.clone())).add(
            Condition::all()
                .add(column.eq(value))
                .add(past(self.id, cursor.id.into())),
        ))
    }

    /// Cuts the `page_size + 1` rows fetched into the page and the cursor of the next one.
    fn split_page<R>(
        &self,
        mut rows: Vec<R>,
        page_size: u64,
        cursor_of: impl Fn(&R) -> (Uuid, Option<String>),
    ) -> (Vec<R>, Option<Cursor>) {
        if rows.len() as u64 <= page_size {
            return (rows, None);
        }
        rows.truncate(page_size as usize);
        let next = rows.last().map(|row| {
            let (id, key) = cursor_of(row);
            Cursor { key, id }
        });
        (rows, next)
    }
}

/// A timestamp as a cursor key: RFC 3339 at the microsecond precision the databases keep.
pub fn time_key(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn page_size_defaults_clamps_and_refuses_negative() {
        assert_eq!(page_size(0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(5000), Ok(MAX_PAGE_SIZE));
        assert_eq!(page_size(-1).unwrap_err().field, "page_size");
    }

    #[test]
    fn empty_token_is_the_first_page() {
        assert_eq!(decode_token("", "q"), Ok(None));
    }

    #[test]
    fn token_is_bound_to_its_query() {
        let cursor = Cursor {
            key: Some("Acme".into()),
            id: Uuid::now_v7(),
        };
        let token = encode_token(&query_fingerprint("region=EU"), cursor.clone());
        assert_eq!(
            decode_token(&token, &query_fingerprint("region=EU")),
            Ok(Some(cursor))
        );
        assert!(decode_token(&token, &query_fingerprint("region=US")).is_err());
    }

    #[test]
    fn garbage_is_malformed() {
        for raw in ["%%%", "bm90IGpzb24", "e30"] {
            assert_eq!(decode_token(raw, "q").unwrap_err().field, "page_token");
        }
    }

    proptest! {
        #[test]
        fn any_cursor_round_trips(key in proptest::option::of(".{0,40}"), id in any::<u128>()) {
            let cursor = Cursor { key, id: Uuid::from_u128(id) };
            let fingerprint = query_fingerprint("q");
            let token = encode_token(&fingerprint, cursor.clone());
            prop_assert_eq!(decode_token(&token, &fingerprint), Ok(Some(cursor)));
        }
    }
}
