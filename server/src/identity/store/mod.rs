//! Identity in the database: finding the principal behind a credential, API keys, roles, the first
//! start's ADMIN key, and reading the audit trail.

mod entity;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use kam_proto::v1 as pb;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    api_key,
    convert::{api_key_to_proto, roles_to_proto},
    jwt::StaffRef,
    permissions,
    principal::{Credential, Principal, Role, effective_roles},
};
use crate::{
    identity::store::entity::{api_key as key_entity, staff_role},
    platform::{
        audit::{self, Change},
        db::{Db, now},
        entity::audit_entry,
        error::{Error, Result},
        events::Payload,
        paging::{Cursor, Direction, Keyset, Page},
        request::RequestContext,
    },
    teams,
};

const API_KEY: &str = "api_key";
const STAFF_ROLES: &str = "staff_roles";
/// The resource types of events about credentials, roles and webhook subscriptions (where events
/// go): the event stream shows them only to those who may read the audit trail.
pub const IDENTITY_RESOURCE_TYPES: &[&str] = &[API_KEY, STAFF_ROLES, "webhook_subscription"];

/// An API key as its owner and admins see it: never the secret, never its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub staff_id: Uuid,
    pub display_name: String,
    pub prefix: String,
    pub creator_id: Uuid,
    pub create_time: DateTime<Utc>,
    pub expire_time: Option<DateTime<Utc>>,
    pub revoke_time: Option<DateTime<Utc>>,
    pub last_use_time: Option<DateTime<Utc>>,
}

impl From<key_entity::Model> for ApiKey {
    fn from(row: key_entity::Model) -> Self {
        let key_entity::Model {
            id,
            prefix,
            secret_hash: _,
            staff_id,
            display_name,
            creator_id,
            create_time,
            expire_time,
            revoke_time,
            last_use_time,
        } = row;
        Self {
            id,
            staff_id,
            display_name,
            prefix,
            creator_id,
            create_time,
            expire_time,
            revoke_time,
            last_use_time,
        }
    }
}

/// The principal behind an API key, expiring with it, or `None` for an unknown, revoked or expired key
/// or an inactive owner. Records the key's use.
pub async fn principal_for_key(db: &Db, presented: &str) -> Result<Option<Principal>> {
    let Some(prefix) = api_key::prefix_of(presented) else {
        return Ok(None);
    };
    let Some(row) = key_entity::Entity::find()
        .filter(key_entity::Column::Prefix.eq(prefix))
        .one(db.conn())
        .await?
    else {
        return Ok(None);
    };
    let time = now();
    let usable = api_key::matches(presented, &row.secret_hash)
        && row.revoke_time.is_none()
        && row.expire_time.is_none_or(|expiry| expiry > time);
    if !usable {
        return Ok(None);
    }
    let credential = Credential::ApiKey(row.id);
    let Some(principal) = principal_for_staff(db.conn(), row.staff_id, credential, row.expire_time).await?
    else {
        return Ok(None);
    };
    // The caller caches principals, so this runs about once per cache lifetime, not on every call. A
    // failure to record the use must not fail the call the key authenticated.
    let touched = key_entity::Entity::update_many()
        .col_expr(
            key_entity::Column::LastUseTime,
            sea_orm::sea_query::Expr::value(time),
        )
        .filter(key_entity::Column::Id.eq(row.id))
        .exec(db.conn())
        .await;
    if let Err(error) = touched {
        tracing::warn!(%error, key = %row.id, "could not record the key's last use");
    }
    Ok(Some(principal))
}

/// The principal a valid bearer token names, expiring with the token, or `None` when no active staff
/// member matches.
pub async fn principal_for_token(
    db: &Db,
    staff: StaffRef,
    expire_time: DateTime<Utc>,
) -> Result<Option<Principal>> {
    let found = match staff {
        StaffRef::Id(id) => Some(id),
        StaffRef::Email(email) => teams::store::staff_id_by_email(db.conn(), &email).await?,
    };
    match found {
        Some(id) => principal_for_staff(db.conn(), id, Credential::BearerToken, Some(expire_time)).await,
        None => Ok(None),
    }
}

async fn principal_for_staff(
    conn: &impl ConnectionTrait,
    staff_id: Uuid,
    credential: Credential,
    expire_time: Option<DateTime<Utc>>,
) -> Result<Option<Principal>> {
    let active = match teams::store::is_active_staff(conn, staff_id).await {
        Ok(active) => active,
        Err(Error::NotFound { .. }) => false,
        Err(error) => return Err(error),
    };
    if !active {
        return Ok(None);
    }
    Ok(Some(Principal {
        staff_id,
        roles: roles_of(conn, staff_id).await?,
        credential,
        expire_time,
    }))
}

/// A staff member's effective roles.
pub async fn roles_of(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<Vec<Role>> {
    let rows = staff_role::Entity::find()
        .filter(staff_role::Column::StaffId.eq(staff_id))
        .all(conn)
        .await?;
    let stored = rows
        .iter()
        .map(|row| Role::from_name(&row.role).ok_or_else(|| Error::unknown_stored_value("role", &row.role)))
        .collect::<Result<Vec<_>>>()?;
    Ok(effective_roles(stored))
}

pub async fn get_roles(db: &Db, staff_id: Uuid) -> Result<Vec<Role>> {
    require_staff(db.conn(), staff_id).await?;
    roles_of(db.conn(), staff_id).await
}

/// Replaces a staff member's roles. Refused when it would leave no active ADMIN.
pub async fn set_roles(
    db: &Db,
    ctx: &RequestContext,
    staff_id: Uuid,
    roles: BTreeSet<Role>,
) -> Result<Vec<Role>> {
    let roles = &roles;
    db.write(|txn| async move {
        let txn = &*txn;
        require_staff(txn, staff_id).await?;
        if !roles.contains(&Role::Admin) {
            require_another_admin(txn, staff_id).await?;
        }
        staff_role::Entity::delete_many()
            .filter(staff_role::Column::StaffId.eq(staff_id))
            .exec(txn)
            .await?;
        staff_role::Entity::insert_many(roles.iter().map(|role| staff_role::ActiveModel {
            staff_id: Set(staff_id),
            role: Set(role.as_str().to_owned()),
        }))
        .exec_without_returning(txn)
        .await?;
        let stored = roles_of(txn, staff_id).await?;
        audit::record(
            txn,
            ctx,
            Change::new(
                STAFF_ROLES,
                staff_id,
                None,
                Payload::StaffRolesChanged(pb::StaffRoles {
                    staff_id: staff_id.to_string(),
                    roles: roles_to_proto(&stored),
                }),
                vec!["roles".to_owned()],
            ),
        )
        .await?;
        Ok(stored)
    })
    .await
}

/// PERMISSION_DENIED unless the caller's roles grant everything `staff_id`'s roles grant, each as far:
/// whoever changes who a staff member is (whether they are active, their email) could otherwise act
/// as them, or lock out someone with more rights.
pub async fn require_covers(conn: &impl ConnectionTrait, caller: &Principal, staff_id: Uuid) -> Result<()> {
    let theirs = roles_of(conn, staff_id).await?;
    if permissions::covers(&caller.roles, &theirs) {
        return Ok(());
    }
    Err(Error::PermissionDenied(format!(
        "staff {staff_id} holds the roles {:?}, which grant more than yours: only someone holding as much \
         may change who they are",
        theirs.iter().map(|role| role.as_str()).collect::<Vec<_>>()
    )))
}

/// LAST_ADMIN when `staff_id` is the only active ADMIN: losing the role (or the person) would leave
/// nobody able to manage roles and keys.
pub async fn require_another_admin(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<()> {
    let is_admin = roles_of(conn, staff_id).await?.contains(&Role::Admin);
    if is_admin && other_active_admins(conn, staff_id).await? == 0 {
        return Err(Error::rule(
            "LAST_ADMIN",
            format!("staff/{staff_id}"),
            "the last active ADMIN keeps the role and stays active: make someone else ADMIN first",
        ));
    }
    Ok(())
}

async fn other_active_admins(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<u64> {
    let admins: Vec<Uuid> = staff_role::Entity::find()
        .filter(staff_role::Column::Role.eq(Role::Admin.as_str()))
        .filter(staff_role::Column::StaffId.ne(staff_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| row.staff_id)
        .collect();
    teams::store::count_active_staff(conn, admins).await
}

async fn require_staff(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<()> {
    teams::store::is_active_staff(conn, staff_id).await.map(|_| ())
}

/// Creates a key acting as `staff_id`; returns it with the secret, which is not kept.
pub async fn create_api_key(
    db: &Db,
    ctx: &RequestContext,
    staff_id: Uuid,
    display_name: String,
    expire_time: Option<DateTime<Utc>>,
) -> Result<(ApiKey, String)> {
    let display_name = &display_name;
    db.write(|txn| async move {
        let txn = &*txn;
        if !teams::store::is_active_staff(txn, staff_id).await? {
            return Err(Error::rule(
                "STAFF_INACTIVE",
                format!("staff/{staff_id}"),
                "inactive staff cannot get keys",
            ));
        }
        let (key, secret) = insert_key(
            txn,
            api_key::generate(),
            staff_id,
            ctx.principal.staff_id,
            display_name,
            expire_time,
        )
        .await?;
        audit::record(
            txn,
            ctx,
            Change::new(
                API_KEY,
                key.id,
                None,
                Payload::ApiKeyCreated(api_key_to_proto(key.clone())),
                vec!["staff_id".into(), "display_name".into(), "expire_time".into()],
            ),
        )
        .await?;
        Ok((key, secret))
    })
    .await
}

async fn insert_key(
    txn: &impl ConnectionTrait,
    new: api_key::NewKey,
    staff_id: Uuid,
    creator_id: Uuid,
    display_name: &str,
    expire_time: Option<DateTime<Utc>>,
) -> Result<(ApiKey, String)> {
    let row = key_entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        prefix: Set(new.prefix),
        secret_hash: Set(new.hash),
        staff_id: Set(staff_id),
        display_name: Set(display_name.to_owned()),
        creator_id: Set(creator_id),
        create_time: Set(now()),
        expire_time: Set(expire_time),
        revoke_time: Set(None),
        last_use_time: Set(None),
    };
    // Two keys sharing a random 32-bit prefix is rare; the retried transaction draws a new one.
    let created = key_entity::Entity::insert(row)
        .exec_with_returning(txn)
        .await
        .map_err(Error::contention_on_unique)?;
    Ok((created.into(), new.secret))
}

pub struct KeyFilter {
    pub staff_id: Uuid,
    pub show_revoked: bool,
}

pub async fn list_api_keys(
    db: &Db,
    filter: &KeyFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<ApiKey>> {
    let mut select = key_entity::Entity::find().filter(key_entity::Column::StaffId.eq(filter.staff_id));
    if !filter.show_revoked {
        select = select.filter(key_entity::Column::RevokeTime.is_null());
    }
    let keyset = Keyset {
        sort: None,
        id: key_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    Ok(Page {
        items: rows.into_iter().map(ApiKey::from).collect(),
        next,
    })
}

/// Revokes a key of the caller's (any key, for an ADMIN). Someone else's key answers as a missing one
/// would: PERMISSION_DENIED, so key ids reveal nothing.
pub async fn revoke_api_key(db: &Db, ctx: &RequestContext, id: Uuid) -> Result<ApiKey> {
    db.write(|txn| async move {
        let txn = &*txn;
        let row = key_entity::Entity::find_by_id(id).one(txn).await?;
        let mine = row
            .as_ref()
            .is_some_and(|row| row.staff_id == ctx.principal.staff_id);
        if !mine && !ctx.principal.is_admin() {
            return Err(Error::PermissionDenied(format!(
                "api key {id} is not one of yours"
            )));
        }
        let row = row.ok_or_else(|| Error::not_found(API_KEY, id))?;
        if row.revoke_time.is_some() {
            return Err(Error::rule(
                "KEY_REVOKED",
                format!("api_keys/{id}"),
                "the key is already revoked",
            ));
        }
        let revoked = key_entity::Entity::update(key_entity::ActiveModel {
            id: Set(id),
            revoke_time: Set(Some(now())),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        let revoked = ApiKey::from(revoked);
        audit::record(
            txn,
            ctx,
            Change::new(
                API_KEY,
                id,
                None,
                Payload::ApiKeyRevoked(api_key_to_proto(revoked.clone())),
                vec!["revoke_time".into()],
            ),
        )
        .await?;
        Ok(revoked)
    })
    .await
}

/// Whether any API key was ever created (revoked ones count: the first start happens once).
pub async fn any_api_key(db: &Db) -> Result<bool> {
    Ok(key_entity::Entity::find().count(db.conn()).await? > 0)
}

/// The first start: stores `key` as an ADMIN key of the technical staff member "KAM administrator"
/// (created if needed). `false` when another instance got there first.
pub async fn bootstrap_admin_key(db: &Db, key: api_key::NewKey) -> Result<bool> {
    const ADMIN_EMAIL: &str = "kam-admin@localhost";
    let key = &key;
    db.write(|txn| async move {
        let txn = &*txn;
        if key_entity::Entity::find().count(txn).await? > 0 {
            return Ok(false);
        }
        let admin_id = match teams::store::staff_id_by_email(txn, ADMIN_EMAIL).await? {
            Some(id) => id,
            // Serves no accounts: it exists to hold the first key.
            None => {
                teams::store::insert_technical_staff(
                    txn,
                    ADMIN_EMAIL,
                    "KAM administrator",
                    "Technical administrator",
                )
                .await?
            }
        };
        staff_role::Entity::insert(staff_role::ActiveModel {
            staff_id: Set(admin_id),
            role: Set(Role::Admin.as_str().to_owned()),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(txn)
        .await?;
        insert_key(
            txn,
            key.clone(),
            admin_id,
            admin_id,
            "first-start ADMIN key",
            None,
        )
        .await?;
        Ok(true)
    })
    .await
}

/// One row of the audit trail.
pub type AuditEntry = audit_entry::Model;

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub principal_id: Option<Uuid>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
}

/// Newest first; ids are UUIDv7, so id order is time order.
pub async fn list_audit_entries(
    db: &Db,
    filter: &AuditFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<AuditEntry>> {
    let mut condition = Condition::all();
    if let Some(resource_type) = &filter.resource_type {
        condition = condition.add(audit_entry::Column::ResourceType.eq(resource_type.as_str()));
    }
    if let Some(resource_id) = &filter.resource_id {
        condition = condition.add(audit_entry::Column::ResourceId.eq(resource_id.as_str()));
    }
    if let Some(principal) = filter.principal_id {
        condition = condition.add(audit_entry::Column::Principal.eq(principal.to_string()));
    }
    if let Some(start) = filter.start_time {
        condition = condition.add(audit_entry::Column::OccurredAt.gte(start));
    }
    if let Some(end) = filter.end_time {
        condition = condition.add(audit_entry::Column::OccurredAt.lt(end));
    }
    let keyset = Keyset {
        sort: None,
        id: audit_entry::Column::Id,
        direction: Direction::Descending,
    };
    let select = audit_entry::Entity::find().filter(condition);
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    Ok(Page { items: rows, next })
}
