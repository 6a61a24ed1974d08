//! Row-level access (OWASP API1, broken object-level authorization): which accounts a principal may
//! see, as SQL the list queries add and as a check the single-object calls run first. Everything that
//! hangs off an account (contacts, team seats, later plans and opportunities) goes through here.

use sea_orm::{ColumnTrait, ConnectionTrait, sea_query::IntoCondition};
use uuid::Uuid;

use super::{
    Principal,
    permissions::{self, Permission},
    principal::Visibility,
};
use crate::{
    platform::error::{Error, Result},
    teams,
};

/// The condition that keeps a list to the visible accounts: `account_column` is the column holding the
/// account id (`accounts.id`, `contacts.account_id`, …). `None` when everything is visible.
pub fn visible_accounts(
    visibility: Visibility,
    account_column: impl ColumnTrait,
) -> Option<impl IntoCondition> {
    match visibility {
        Visibility::All => None,
        Visibility::TeamsOf(staff_id) => {
            Some(account_column.in_subquery(teams::store::accounts_served_by(staff_id)))
        }
    }
}

/// PERMISSION_DENIED unless the principal may see `account_id`. Checked before existence: to a
/// MEMBER, an account of another team and an id that does not exist look the same.
pub async fn require_visible_account(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
    account_id: Uuid,
) -> Result<()> {
    let Visibility::TeamsOf(staff_id) = visibility else {
        return Ok(());
    };
    let on_team = teams::store::serves_account(conn, staff_id, account_id).await?;
    if on_team { Ok(()) } else { Err(hidden()) }
}

/// For a restricted principal, "not found" of something that hangs off an account becomes
/// PERMISSION_DENIED too, so ids cannot be probed.
pub fn hide_missing<T>(visibility: Visibility, found: Result<T>) -> Result<T> {
    match (visibility, found) {
        (Visibility::TeamsOf(_), Err(Error::NotFound { .. })) => Err(hidden()),
        (_, found) => found,
    }
}

/// The one refusal of whatever a restricted principal may not see, word for word the same for a missing
/// object: naming the id asked for, or the account of a contact asked for by its own id, would tell
/// the two apart (and give away which account the contact belongs to).
fn hidden() -> Error {
    Error::PermissionDenied("not on your account teams, or not there at all".to_owned())
}

/// The ids of the accounts a restricted principal may see; `None` when it sees everything. For reports
/// computed in memory over many accounts.
pub async fn visible_account_ids(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
) -> Result<Option<std::collections::HashSet<Uuid>>> {
    let Visibility::TeamsOf(staff_id) = visibility else {
        return Ok(None);
    };
    let ids = teams::store::served_account_ids(conn, staff_id).await?;
    Ok(Some(ids.into_iter().collect()))
}

/// PERMISSION_DENIED when a write would change a record's external id and the caller does not feed the
/// ERP's data (ADMIN, INTEGRATION): the external id is the ERP's key for the record, and whoever
/// rewrites it redirects the ERP's next import to another record.
pub fn require_may_rekey(
    principal: &Principal,
    current: &Option<String>,
    new: &Option<String>,
) -> Result<()> {
    if current == new || permissions::scope_of(&principal.roles, Permission::ImportFromErp).is_some() {
        return Ok(());
    }
    Err(Error::PermissionDenied(
        "only ADMIN and INTEGRATION change external_id, the ERP's key of the record".to_owned(),
    ))
}
