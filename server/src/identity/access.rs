//! Row-level access (OWASP API1, broken object-level authorization): which accounts a principal may
//! see, as SQL the list queries add and as a check the single-object calls run first. Everything that
//! hangs off an account (contacts, team seats, later plans and opportunities) goes through here.

use sea_orm::{
    ColumnTrait, ConnectionTrait,
    sea_query::{Expr, ExprTrait, IntoCondition, Query, SelectStatement, UnionType},
};
use uuid::Uuid;

use super::{
    Principal,
    permissions::{self, Permission},
    principal::Visibility,
};
use crate::{
    accounts,
    platform::error::{Error, Result},
    teams,
};

/// The ids of the accounts `visibility` reaches, as a subquery; `None` when it reaches every account.
/// The one definition of each restricted visibility that the condition, the check and the ids below
/// are made of ([`visible_accounts_sql`] is the same in SQL text).
pub fn visible_account_query(visibility: Visibility) -> Option<SelectStatement> {
    match visibility {
        Visibility::All => None,
        Visibility::TeamsOf(staff_id) => Some(teams::store::accounts_served_by(staff_id)),
        Visibility::RegionsOf(staff_id) => Some(
            teams::store::accounts_served_by(staff_id)
                .union(
                    UnionType::Distinct,
                    accounts::store::in_regions_managed_by(staff_id),
                )
                .to_owned(),
        ),
    }
}

/// [`visible_account_query`] in SQL text for hand-written queries, to use as `account_id IN (…)`:
/// `bind` binds the staff id and answers its placeholder (`$3`, `?`); it is called once for each place
/// the id appears, so positional placeholders line up. `None` when every account is visible.
pub fn visible_accounts_sql(visibility: Visibility, mut bind: impl FnMut(Uuid) -> String) -> Option<String> {
    match visibility {
        Visibility::All => None,
        Visibility::TeamsOf(staff_id) => Some(teams::store::accounts_served_by_sql(&bind(staff_id))),
        Visibility::RegionsOf(staff_id) => {
            let teams = teams::store::accounts_served_by_sql(&bind(staff_id));
            let regions = accounts::store::in_regions_managed_by_sql(&bind(staff_id));
            Some(format!("{teams} UNION {regions}"))
        }
    }
}

/// The condition that keeps a list to the visible accounts: `account_column` is the column holding the
/// account id (`accounts.id`, `contacts.account_id`, …). `None` when everything is visible.
pub fn visible_accounts(
    visibility: Visibility,
    account_column: impl ColumnTrait,
) -> Option<impl IntoCondition> {
    visible_account_query(visibility).map(|accounts| account_column.in_subquery(accounts))
}

/// PERMISSION_DENIED unless the principal may see `account_id`. Checked before existence: to a
/// MEMBER, an account of another team and an id that does not exist look the same.
pub async fn require_visible_account(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
    account_id: Uuid,
) -> Result<()> {
    let Some(accounts) = visible_account_query(visibility) else {
        return Ok(());
    };
    let probe = Query::select()
        .expr(Expr::val(1))
        .and_where(Expr::val(account_id).in_subquery(accounts))
        .to_owned();
    let backend = conn.get_database_backend();
    let visible = conn.query_one_raw(backend.build(&probe)).await?.is_some();
    if visible { Ok(()) } else { Err(hidden()) }
}

/// For a restricted principal, "not found" of something that hangs off an account becomes
/// PERMISSION_DENIED too, so ids cannot be probed.
pub fn hide_missing<T>(visibility: Visibility, found: Result<T>) -> Result<T> {
    let restricted = match visibility {
        Visibility::All => false,
        Visibility::TeamsOf(_) | Visibility::RegionsOf(_) => true,
    };
    match found {
        Err(Error::NotFound { .. }) if restricted => Err(hidden()),
        found => found,
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
    let Some(accounts) = visible_account_query(visibility) else {
        return Ok(None);
    };
    let backend = conn.get_database_backend();
    let mut ids = std::collections::HashSet::new();
    for row in conn.query_all_raw(backend.build(&accounts)).await? {
        ids.insert(row.try_get_by_index::<Uuid>(0)?);
    }
    Ok(Some(ids))
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
