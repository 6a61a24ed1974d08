//! The accounts of a segment filter, for the lists planning computes in memory over many accounts.

use std::collections::HashSet;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{accounts, platform::error::Result, segments::model::SegmentFilter};

/// The ids of the accounts in the segments `filter` names (each with everything below it), read once;
/// `None` when it names none. FAILED_PRECONDITION (rule SEGMENT_NOT_FOUND) for an unknown code.
pub async fn accounts_in_segments(
    conn: &impl ConnectionTrait,
    filter: &SegmentFilter,
) -> Result<Option<HashSet<Uuid>>> {
    let Some(query) = accounts::store::checked_in_segments(conn, filter).await? else {
        return Ok(None);
    };
    let backend = conn.get_database_backend();
    let mut ids = HashSet::new();
    for row in conn.query_all_raw(backend.build(&query)).await? {
        ids.insert(row.try_get_by_index::<Uuid>(0)?);
    }
    Ok(Some(ids))
}
