//! Keyset pagination (AIP-158): page sizes and opaque page tokens.
//!
//! A token carries the sort key and id of the last row served, plus a fingerprint of the query that
//! produced it, so it cannot be replayed against another filter. Tokens are opaque to clients but not
//! secret: tampering can only move the cursor within what the caller may see anyway.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{error::FieldViolation, fingerprint::fingerprint};

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
