//! What other areas ask of the accounts area: an account's tier, the accounts and contacts an ERP's
//! rows name by their external ids, and which account a contact belongs to. Each answer is a small
//! value, never a row: the tables stay this area's own.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::entity::contact;
use crate::{
    accounts::model::Tier,
    platform::{
        bulk::{find_by_keys, find_columns_by_keys},
        error::Result,
    },
};

/// An account as another area's import needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountRef {
    pub id: Uuid,
    pub deleted: bool,
    /// `None` for a tier this build does not know.
    pub tier: Option<Tier>,
}

/// The tier of account `id`, deleted or not (`None` for a tier this build does not know): NOT_FOUND
/// for an id that is no account.
pub async fn tier_of(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Tier>> {
    Ok(Tier::from_name(
        &super::accounts::account_row(conn, id).await?.tier,
    ))
}

/// The columns an external-id lookup reads: the key, the id, the deletion time and the tier.
type KeyedAccountRow = (Option<String>, Uuid, Option<DateTime<Utc>>, String);

/// Of `external_ids`, the accounts that exist, by external id.
pub async fn accounts_by_external_id(
    conn: &impl ConnectionTrait,
    external_ids: &[&str],
) -> Result<HashMap<String, AccountRef>> {
    let mut unique = external_ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let columns = ["external_id", "id", "delete_time", "tier"];
    let rows: Vec<KeyedAccountRow> =
        find_columns_by_keys(conn, "accounts", "external_id", &columns, &unique).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(key, id, deleted, tier)| {
            let account = AccountRef {
                id,
                deleted: deleted.is_some(),
                tier: Tier::from_name(&tier),
            };
            Some((key?, account))
        })
        .collect())
}

/// Of `external_ids`, the contacts that exist, by external id: each one's id and its account's.
pub async fn contacts_by_external_id(
    conn: &impl ConnectionTrait,
    external_ids: &[&str],
) -> Result<HashMap<String, (Uuid, Uuid)>> {
    let rows = find_by_keys::<contact::Entity>(conn, contact::Column::ExternalId, external_ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.external_id?, (row.id, row.account_id))))
        .collect())
}

/// The account contact `id` belongs to, if there is such a contact.
pub async fn account_of_contact(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Uuid>> {
    Ok(contact::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|row| row.account_id))
}

/// The accounts as other areas' hand-written report queries read them (`JOIN (…) a ON a.id = …`): id,
/// tier and deletion time, the columns those reports group and filter by. A row source rather than the
/// table's name, so the table stays this area's to change.
pub const REPORT_ROWS_SQL: &str = "SELECT id, tier, delete_time FROM accounts";
