//! What other areas ask of the accounts area: an account's tier, the accounts and contacts an ERP's
//! rows name by their external ids, and which account a contact belongs to. Each answer is a small
//! value, never a row: the tables stay this area's own.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::entity::{account, contact};
use crate::{
    accounts::model::Tier,
    platform::{
        bulk::find_by_keys,
        error::{Error, Result},
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
    let row = account::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(super::ACCOUNT, id))?;
    Ok(Tier::from_name(&row.tier))
}

/// Of `external_ids`, the accounts that exist, by external id.
pub async fn accounts_by_external_id(
    conn: &impl ConnectionTrait,
    external_ids: &[&str],
) -> Result<HashMap<String, AccountRef>> {
    let rows = find_by_keys::<account::Entity>(conn, account::Column::ExternalId, external_ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let account = AccountRef {
                id: row.id,
                deleted: row.delete_time.is_some(),
                tier: Tier::from_name(&row.tier),
            };
            Some((row.external_id?, account))
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
