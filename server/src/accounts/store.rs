//! Accounts and contacts in the database: queries, and the transactions of every mutation (each with
//! its audit row and outbox event).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, Order,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr},
};
use uuid::Uuid;

use super::model::{
    Account, AccountFields, AccountFilter, AccountOrder, AccountPatch, Attitude, BuyingRole, Contact,
    ContactFields, ContactFilter, ContactOrder, ContactPatch, Direction, KeyDate, KeyDateKind, Lifecycle,
    Man, RadStatus, RelationshipStage, Tier, etag_of,
};
use crate::{
    audit::{self, Change},
    db::{Db, now},
    entity::{account, contact, contact_key_date},
    error::{Error, Result},
    idempotency::IdempotencyKey,
    paging::Cursor,
    request::RequestContext,
};

const ACCOUNT: &str = "account";
const CONTACT: &str = "contact";

/// Longest parent chain walked when checking for cycles; deeper hierarchies are refused.
const MAX_HIERARCHY_DEPTH: usize = 64;

/// One page of a list, and where the next one starts.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

// ----- accounts -----

pub async fn create_account(
    db: &Db,
    ctx: &RequestContext,
    fields: AccountFields,
    key: Option<IdempotencyKey>,
) -> Result<Account> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load_account(txn, id).await;
        }
        if let Some(parent) = fields.parent_account_id {
            require_live_parent(txn, parent).await?;
        }
        let id = Uuid::now_v7();
        let time = now();
        let row = account::ActiveModel {
            id: Set(id),
            external_id: Set(fields.external_id.clone()),
            display_name: Set(fields.display_name.clone()),
            legal_name: Set(fields.legal_name.clone()),
            industry: Set(fields.industry.clone()),
            region: Set(fields.region.clone()),
            parent_account_id: Set(fields.parent_account_id),
            lifecycle: Set(fields.lifecycle.as_str().to_owned()),
            tier: Set(Tier::Standard.as_str().to_owned()),
            relationship_stage: Set(fields.relationship_stage.as_str().to_owned()),
            rad_status: Set(fields.rad_status.as_str().to_owned()),
            create_time: Set(time),
            update_time: Set(time),
            delete_time: Set(None),
            revision: Set(1),
        };
        account::Entity::insert(row)
            .exec_without_returning(txn)
            .await
            .map_err(|e| unique_violation(e, ACCOUNT, "external_id", &fields.external_id))?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = load_account(txn, id).await?;
        audit::record(
            txn,
            ctx,
            Change {
                resource_type: ACCOUNT,
                resource_id: id,
                changed_fields: account_field_names(),
                event_type: "AccountCreated",
                payload: &created,
            },
        )
        .await?;
        Ok(created)
    })
    .await
}

pub async fn get_account(db: &Db, id: Uuid) -> Result<Account> {
    load_account(db.conn(), id).await
}

pub async fn list_accounts(
    db: &Db,
    filter: &AccountFilter,
    order: AccountOrder,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Account>> {
    let mut select = account::Entity::find();
    if !filter.show_deleted {
        select = select.filter(account::Column::DeleteTime.is_null());
    }
    if let Some(query) = &filter.query {
        select = select.filter(
            Condition::any()
                .add(contains_ignoring_case(account::Column::DisplayName, query))
                .add(contains_ignoring_case(account::Column::LegalName, query)),
        );
    }
    if let Some(lifecycle) = filter.lifecycle {
        select = select.filter(account::Column::Lifecycle.eq(lifecycle.as_str()));
    }
    if let Some(tier) = filter.tier {
        select = select.filter(account::Column::Tier.eq(tier.as_str()));
    }
    if let Some(region) = &filter.region {
        select = select.filter(account::Column::Region.eq(region.as_str()));
    }
    if let Some(parent) = filter.parent_account_id {
        select = select.filter(account::Column::ParentAccountId.eq(parent));
    }
    let (sort, direction) = match order {
        AccountOrder::Id => (None, Direction::Ascending),
        AccountOrder::DisplayName(d) => (Some(SortKey::Text(account::Column::DisplayName)), d),
        AccountOrder::CreateTime(d) => (Some(SortKey::Time(account::Column::CreateTime)), d),
        AccountOrder::UpdateTime(d) => (Some(SortKey::Time(account::Column::UpdateTime)), d),
    };
    let keyset = Keyset {
        sort,
        id: account::Column::Id,
        direction,
    };
    if let Some(cursor) = &after {
        select = select.filter(keyset.after(cursor)?);
    }
    for (column, order) in keyset.order() {
        select = select.order_by(column, order);
    }
    let rows = select.limit(page_size + 1).all(db.conn()).await?;
    let (rows, next) = keyset.split_page(rows, page_size, |row| {
        let key = match order {
            AccountOrder::Id => None,
            AccountOrder::DisplayName(_) => Some(row.display_name.clone()),
            AccountOrder::CreateTime(_) => Some(time_key(row.create_time)),
            AccountOrder::UpdateTime(_) => Some(time_key(row.update_time)),
        };
        (row.id, key)
    });
    Ok(Page {
        items: rows.into_iter().map(account_from_row).collect::<Result<_>>()?,
        next,
    })
}

pub async fn update_account(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    etag: Option<&str>,
    patch: AccountPatch,
    changed_fields: Vec<String>,
) -> Result<Account> {
    let (patch, changed_fields) = (&patch, &changed_fields);
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_account(txn, id).await?;
        check_etag(ACCOUNT, id, &current.etag, etag)?;
        if current.delete_time.is_some() {
            return Err(account_deleted(id));
        }
        if let Some(Some(parent)) = patch.parent_account_id
            && Some(parent) != current.parent_account_id
        {
            require_live_parent(txn, parent).await?;
            refuse_parent_cycle(txn, id, parent).await?;
        }
        let mut fields = fields_of(&current);
        patch.apply_to(&mut fields);
        let mut row = account_row(txn, id).await?.into_active_model();
        row.external_id = Set(fields.external_id.clone());
        row.display_name = Set(fields.display_name);
        row.legal_name = Set(fields.legal_name);
        row.industry = Set(fields.industry);
        row.region = Set(fields.region);
        row.parent_account_id = Set(fields.parent_account_id);
        row.lifecycle = Set(fields.lifecycle.as_str().to_owned());
        row.relationship_stage = Set(fields.relationship_stage.as_str().to_owned());
        row.rad_status = Set(fields.rad_status.as_str().to_owned());
        save_account(txn, row, &fields.external_id).await?;
        let updated = load_account(txn, id).await?;
        audit::record(
            txn,
            ctx,
            Change {
                resource_type: ACCOUNT,
                resource_id: id,
                changed_fields: changed_fields.clone(),
                event_type: "AccountUpdated",
                payload: &updated,
            },
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// Soft delete (`deleted = true`) or undelete (`deleted = false`).
pub async fn set_account_deleted(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    etag: Option<&str>,
    deleted: bool,
) -> Result<Account> {
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_account(txn, id).await?;
        check_etag(ACCOUNT, id, &current.etag, etag)?;
        match (deleted, current.delete_time.is_some()) {
            (true, true) => return Err(account_deleted(id)),
            (false, false) => {
                return Err(Error::rule(
                    "ACCOUNT_NOT_DELETED",
                    format!("accounts/{id}"),
                    "the account is not deleted",
                ));
            }
            _ => {}
        }
        let mut row = account_row(txn, id).await?.into_active_model();
        row.delete_time = Set(deleted.then(now));
        save_account(txn, row, &current.external_id).await?;
        let changed = load_account(txn, id).await?;
        audit::record(
            txn,
            ctx,
            Change {
                resource_type: ACCOUNT,
                resource_id: id,
                changed_fields: vec!["delete_time".to_owned()],
                event_type: if deleted {
                    "AccountDeleted"
                } else {
                    "AccountUndeleted"
                },
                payload: &changed,
            },
        )
        .await?;
        Ok(changed)
    })
    .await
}

/// Writes `row` with a new revision and update time.
async fn save_account(
    txn: &DatabaseTransaction,
    mut row: account::ActiveModel,
    external_id: &Option<String>,
) -> Result<()> {
    let revision = *row.revision.as_ref();
    row.revision = Set(revision + 1);
    row.update_time = Set(now());
    account::Entity::update(row)
        .exec(txn)
        .await
        .map_err(|e| unique_violation(e, ACCOUNT, "external_id", external_id))?;
    Ok(())
}

async fn account_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<account::Model> {
    account::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(ACCOUNT, id))
}

async fn load_account(conn: &impl ConnectionTrait, id: Uuid) -> Result<Account> {
    account_from_row(account_row(conn, id).await?)
}

/// A live (not deleted) account, for resources that hang off it.
pub async fn require_live_account(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    let row = account_row(conn, id).await?;
    if row.delete_time.is_some() {
        return Err(account_deleted(id));
    }
    Ok(())
}

fn account_deleted(id: Uuid) -> Error {
    Error::rule(
        "ACCOUNT_DELETED",
        format!("accounts/{id}"),
        "the account is deleted",
    )
}

async fn require_live_parent(conn: &impl ConnectionTrait, parent: Uuid) -> Result<()> {
    let live = account::Entity::find_by_id(parent)
        .one(conn)
        .await?
        .is_some_and(|row| row.delete_time.is_none());
    if live {
        Ok(())
    } else {
        Err(Error::rule(
            "PARENT_NOT_FOUND",
            format!("accounts/{parent}"),
            "the parent account does not exist or is deleted",
        ))
    }
}

/// Walks up from `new_parent`: meeting `id` on the way means the new link would close a loop.
async fn refuse_parent_cycle(conn: &impl ConnectionTrait, id: Uuid, new_parent: Uuid) -> Result<()> {
    let cycle = || {
        Error::rule(
            "PARENT_CYCLE",
            format!("accounts/{id}"),
            "the account would become its own ancestor",
        )
    };
    let mut seen = HashSet::new();
    let mut cursor = Some(new_parent);
    while let Some(ancestor) = cursor {
        if ancestor == id || !seen.insert(ancestor) {
            return Err(cycle());
        }
        if seen.len() > MAX_HIERARCHY_DEPTH {
            return Err(Error::rule(
                "HIERARCHY_TOO_DEEP",
                format!("accounts/{id}"),
                format!("account hierarchies are at most {MAX_HIERARCHY_DEPTH} levels deep"),
            ));
        }
        cursor = account::Entity::find_by_id(ancestor)
            .select_only()
            .column(account::Column::ParentAccountId)
            .into_tuple::<Option<Uuid>>()
            .one(conn)
            .await?
            .flatten();
    }
    Ok(())
}

fn account_from_row(row: account::Model) -> Result<Account> {
    Ok(Account {
        id: row.id,
        external_id: row.external_id,
        display_name: row.display_name,
        legal_name: row.legal_name,
        industry: row.industry,
        region: row.region,
        parent_account_id: row.parent_account_id,
        lifecycle: stored(Lifecycle::from_name(&row.lifecycle), "lifecycle", &row.lifecycle)?,
        tier: stored(Tier::from_name(&row.tier), "tier", &row.tier)?,
        relationship_stage: stored(
            RelationshipStage::from_name(&row.relationship_stage),
            "relationship_stage",
            &row.relationship_stage,
        )?,
        rad_status: stored(
            RadStatus::from_name(&row.rad_status),
            "rad_status",
            &row.rad_status,
        )?,
        create_time: row.create_time,
        update_time: row.update_time,
        delete_time: row.delete_time,
        etag: etag_of(row.revision),
    })
}

fn fields_of(account: &Account) -> AccountFields {
    AccountFields {
        external_id: account.external_id.clone(),
        display_name: account.display_name.clone(),
        legal_name: account.legal_name.clone(),
        industry: account.industry.clone(),
        region: account.region.clone(),
        parent_account_id: account.parent_account_id,
        lifecycle: account.lifecycle,
        relationship_stage: account.relationship_stage,
        rad_status: account.rad_status,
    }
}

fn account_field_names() -> Vec<String> {
    [
        "external_id",
        "display_name",
        "legal_name",
        "industry",
        "region",
        "parent_account_id",
        "lifecycle",
        "relationship_stage",
        "rad_status",
    ]
    .map(str::to_owned)
    .to_vec()
}

// ----- contacts -----

pub async fn create_contact(
    db: &Db,
    ctx: &RequestContext,
    account_id: Uuid,
    fields: ContactFields,
    key: Option<IdempotencyKey>,
) -> Result<Contact> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load_contact(txn, id).await;
        }
        require_live_account(txn, account_id).await?;
        let id = Uuid::now_v7();
        if let Some(manager) = fields.reports_to_contact_id {
            require_colleague(txn, account_id, manager).await?;
        }
        let time = now();
        let row = contact::ActiveModel {
            id: Set(id),
            account_id: Set(account_id),
            create_time: Set(time),
            update_time: Set(time),
            revision: Set(1),
            ..contact_columns(fields)
        };
        contact::Entity::insert(row)
            .exec_without_returning(txn)
            .await
            .map_err(|e| unique_violation(e, CONTACT, "external_id", &fields.external_id))?;
        replace_key_dates(txn, id, &fields.key_dates).await?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = load_contact(txn, id).await?;
        audit::record(
            txn,
            ctx,
            Change {
                resource_type: CONTACT,
                resource_id: id,
                changed_fields: contact_field_names(),
                event_type: "ContactCreated",
                payload: &created,
            },
        )
        .await?;
        Ok(created)
    })
    .await
}

pub async fn get_contact(db: &Db, id: Uuid) -> Result<Contact> {
    load_contact(db.conn(), id).await
}

pub async fn list_contacts(
    db: &Db,
    filter: &ContactFilter,
    order: ContactOrder,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Contact>> {
    let mut select = contact::Entity::find();
    if let Some(account_id) = filter.account_id {
        select = select.filter(contact::Column::AccountId.eq(account_id));
    }
    if let Some(query) = &filter.query {
        select = select.filter(contains_ignoring_case(contact::Column::FullName, query));
    }
    if let Some(role) = filter.buying_role {
        select = select.filter(contact::Column::BuyingRole.eq(role.as_str()));
    }
    if !filter.show_inactive {
        select = select.filter(contact::Column::Active.eq(true));
    }
    let (sort, direction) = match order {
        ContactOrder::Id => (None, Direction::Ascending),
        ContactOrder::FullName(d) => (Some(SortKey::Text(contact::Column::FullName)), d),
        ContactOrder::CreateTime(d) => (Some(SortKey::Time(contact::Column::CreateTime)), d),
    };
    let keyset = Keyset {
        sort,
        id: contact::Column::Id,
        direction,
    };
    if let Some(cursor) = &after {
        select = select.filter(keyset.after(cursor)?);
    }
    for (column, order) in keyset.order() {
        select = select.order_by(column, order);
    }
    let rows = select.limit(page_size + 1).all(db.conn()).await?;
    let (rows, next) = keyset.split_page(rows, page_size, |row| {
        let key = match order {
            ContactOrder::Id => None,
            ContactOrder::FullName(_) => Some(row.full_name.clone()),
            ContactOrder::CreateTime(_) => Some(time_key(row.create_time)),
        };
        (row.id, key)
    });
    let mut dates = key_dates_of(db.conn(), rows.iter().map(|r| r.id).collect()).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let key_dates = dates.remove(&row.id).unwrap_or_default();
            contact_from_row(row, key_dates)
        })
        .collect::<Result<_>>()?;
    Ok(Page { items, next })
}

pub async fn update_contact(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    etag: Option<&str>,
    patch: ContactPatch,
    changed_fields: Vec<String>,
) -> Result<Contact> {
    let (patch, changed_fields) = (&patch, &changed_fields);
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_contact(txn, id).await?;
        check_etag(CONTACT, id, &current.etag, etag)?;
        require_live_account(txn, current.account_id).await?;
        if let Some(Some(manager)) = patch.reports_to_contact_id
            && Some(manager) != current.fields.reports_to_contact_id
        {
            require_colleague(txn, current.account_id, manager).await?;
            refuse_reporting_cycle(txn, id, manager).await?;
        }
        let mut fields = current.fields.clone();
        patch.apply_to(&mut fields);
        let row = contact::ActiveModel {
            id: Set(id),
            update_time: Set(now()),
            revision: Set(revision_of(&current.etag) + 1),
            ..contact_columns(&fields)
        };
        contact::Entity::update(row)
            .exec(txn)
            .await
            .map_err(|e| unique_violation(e, CONTACT, "external_id", &fields.external_id))?;
        if patch.key_dates.is_some() {
            replace_key_dates(txn, id, &fields.key_dates).await?;
        }
        let updated = load_contact(txn, id).await?;
        audit::record(
            txn,
            ctx,
            Change {
                resource_type: CONTACT,
                resource_id: id,
                changed_fields: changed_fields.clone(),
                event_type: "ContactUpdated",
                payload: &updated,
            },
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// Hard delete: contacts are personal data. Those who reported to the person lose the link (and their
/// etag changes with it).
pub async fn delete_contact(db: &Db, ctx: &RequestContext, id: Uuid, etag: Option<&str>) -> Result<()> {
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_contact(txn, id).await?;
        check_etag(CONTACT, id, &current.etag, etag)?;
        contact::Entity::update_many()
            .col_expr(
                contact::Column::ReportsToContactId,
                Expr::value(Option::<Uuid>::None),
            )
            .col_expr(
                contact::Column::Revision,
                Expr::col(contact::Column::Revision).add(1),
            )
            .col_expr(contact::Column::UpdateTime, Expr::value(now()))
            .filter(contact::Column::ReportsToContactId.eq(id))
            .exec(txn)
            .await?;
        contact_key_date::Entity::delete_many()
            .filter(contact_key_date::Column::ContactId.eq(id))
            .exec(txn)
            .await?;
        contact::Entity::delete_by_id(id).exec(txn).await?;
        audit::record(
            txn,
            ctx,
            Change {
                resource_type: CONTACT,
                resource_id: id,
                changed_fields: Vec::new(),
                event_type: "ContactDeleted",
                payload: &serde_json::json!({ "id": id, "account_id": current.account_id }),
            },
        )
        .await
    })
    .await
}

async fn load_contact(conn: &impl ConnectionTrait, id: Uuid) -> Result<Contact> {
    let row = contact::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(CONTACT, id))?;
    let key_dates = key_dates_of(conn, vec![id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    contact_from_row(row, key_dates)
}

/// A reporting line stays inside one account.
async fn require_colleague(conn: &impl ConnectionTrait, account_id: Uuid, manager: Uuid) -> Result<()> {
    let same_account = contact::Entity::find_by_id(manager)
        .one(conn)
        .await?
        .is_some_and(|row| row.account_id == account_id);
    if same_account {
        Ok(())
    } else {
        Err(Error::rule(
            "REPORTS_TO_NOT_FOUND",
            format!("contacts/{manager}"),
            "reports_to_contact_id must be a contact of the same account",
        ))
    }
}

async fn refuse_reporting_cycle(conn: &impl ConnectionTrait, id: Uuid, new_manager: Uuid) -> Result<()> {
    let mut seen = HashSet::new();
    let mut cursor = Some(new_manager);
    while let Some(manager) = cursor {
        if manager == id || !seen.insert(manager) {
            return Err(Error::rule(
                "REPORTS_TO_CYCLE",
                format!("contacts/{id}"),
                "the contact would report to themselves through the chain",
            ));
        }
        cursor = contact::Entity::find_by_id(manager)
            .select_only()
            .column(contact::Column::ReportsToContactId)
            .into_tuple::<Option<Uuid>>()
            .one(conn)
            .await?
            .flatten();
    }
    Ok(())
}

async fn replace_key_dates(txn: &DatabaseTransaction, contact_id: Uuid, dates: &[KeyDate]) -> Result<()> {
    contact_key_date::Entity::delete_many()
        .filter(contact_key_date::Column::ContactId.eq(contact_id))
        .exec(txn)
        .await?;
    if dates.is_empty() {
        return Ok(());
    }
    let rows = dates
        .iter()
        .enumerate()
        .map(|(position, date)| contact_key_date::ActiveModel {
            contact_id: Set(contact_id),
            position: Set(position as i16),
            kind: Set(date.kind.as_str().to_owned()),
            label: Set(date.label.clone()),
            year: Set(date.year),
            month: Set(date.month as i16),
            day: Set(date.day as i16),
        });
    contact_key_date::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

async fn key_dates_of(
    conn: &impl ConnectionTrait,
    contacts: Vec<Uuid>,
) -> Result<HashMap<Uuid, Vec<KeyDate>>> {
    let mut by_contact: HashMap<Uuid, Vec<KeyDate>> = HashMap::new();
    if contacts.is_empty() {
        return Ok(by_contact);
    }
    let rows = contact_key_date::Entity::find()
        .filter(contact_key_date::Column::ContactId.is_in(contacts))
        .order_by_asc(contact_key_date::Column::ContactId)
        .order_by_asc(contact_key_date::Column::Position)
        .all(conn)
        .await?;
    for row in rows {
        let date = KeyDate {
            kind: stored(KeyDateKind::from_name(&row.kind), "key date kind", &row.kind)?,
            label: row.label,
            year: row.year,
            month: row.month as u32,
            day: row.day as u32,
        };
        by_contact.entry(row.contact_id).or_default().push(date);
    }
    Ok(by_contact)
}

/// Every column a contact's fields fill (the rest stays `NotSet`).
fn contact_columns(fields: &ContactFields) -> contact::ActiveModel {
    contact::ActiveModel {
        external_id: Set(fields.external_id.clone()),
        full_name: Set(fields.full_name.clone()),
        title: Set(fields.title.clone()),
        department: Set(fields.department.clone()),
        buying_role: Set(fields.buying_role.as_str().to_owned()),
        has_money: Set(fields.man.has_money),
        has_authority: Set(fields.man.has_authority),
        has_need: Set(fields.man.has_need),
        attitude: Set(fields.attitude.as_str().to_owned()),
        relationship_strength: Set(fields.relationship_strength),
        reports_to_contact_id: Set(fields.reports_to_contact_id),
        email: Set(fields.email.clone()),
        phone: Set(fields.phone.clone()),
        notes: Set(fields.notes.clone()),
        active: Set(fields.active),
        ..Default::default()
    }
}

fn contact_from_row(row: contact::Model, key_dates: Vec<KeyDate>) -> Result<Contact> {
    Ok(Contact {
        id: row.id,
        account_id: row.account_id,
        fields: ContactFields {
            external_id: row.external_id,
            full_name: row.full_name,
            title: row.title,
            department: row.department,
            buying_role: stored(
                BuyingRole::from_name(&row.buying_role),
                "buying_role",
                &row.buying_role,
            )?,
            man: Man {
                has_money: row.has_money,
                has_authority: row.has_authority,
                has_need: row.has_need,
            },
            attitude: stored(Attitude::from_name(&row.attitude), "attitude", &row.attitude)?,
            relationship_strength: row.relationship_strength,
            reports_to_contact_id: row.reports_to_contact_id,
            key_dates,
            email: row.email,
            phone: row.phone,
            notes: row.notes,
            active: row.active,
        },
        create_time: row.create_time,
        update_time: row.update_time,
        etag: etag_of(row.revision),
    })
}

fn contact_field_names() -> Vec<String> {
    [
        "external_id",
        "full_name",
        "title",
        "department",
        "buying_role",
        "man",
        "attitude",
        "relationship_strength",
        "reports_to_contact_id",
        "key_dates",
        "email",
        "phone",
        "notes",
        "active",
    ]
    .map(str::to_owned)
    .to_vec()
}

// ----- shared helpers -----

fn check_etag(resource: &'static str, id: Uuid, current: &str, sent: Option<&str>) -> Result<()> {
    match sent {
        Some(sent) if sent != current => Err(Error::EtagMismatch {
            resource,
            id: id.to_string(),
        }),
        _ => Ok(()),
    }
}

fn revision_of(etag: &str) -> i64 {
    etag.trim_start_matches('r').parse().unwrap_or(0)
}

/// A stored enumeration name this build does not know: the data is newer than the code.
fn stored<T>(parsed: Option<T>, what: &str, raw: &str) -> Result<T> {
    parsed.ok_or_else(|| Error::Database(sea_orm::DbErr::Custom(format!("unknown stored {what} {raw:?}"))))
}

fn unique_violation(
    err: sea_orm::DbErr,
    resource: &'static str,
    field: &'static str,
    value: &Option<String>,
) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::AlreadyExists {
            resource,
            field,
            value: value.clone().unwrap_or_default(),
        },
        _ => err.into(),
    }
}

/// `LOWER(column) LIKE '%needle%'`, with the needle's own wildcards escaped. Works the same on SQLite
/// and PostgreSQL (whose LIKE is case-sensitive).
fn contains_ignoring_case(column: impl ColumnTrait, needle: &str) -> SimpleExpr {
    let escaped = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// The column a page is sorted by, besides the id that breaks ties.
#[derive(Clone, Copy)]
enum SortKey<C> {
    Text(C),
    Time(C),
}

/// Keyset pagination over `(sort key, id)`: a page starts strictly after the last row of the previous
/// one, so concurrent inserts never make a row repeat or vanish.
struct Keyset<C> {
    sort: Option<SortKey<C>>,
    id: C,
    direction: Direction,
}

impl<C: ColumnTrait> Keyset<C> {
    fn order(&self) -> Vec<(C, Order)> {
        let order = match self.direction {
            Direction::Ascending => Order::Asc,
            Direction::Descending => Order::Desc,
        };
        let mut columns = Vec::new();
        if let Some(SortKey::Text(c) | SortKey::Time(c)) = self.sort {
            columns.push((c, order.clone()));
        }
        columns.push((self.id, order));
        columns
    }

    fn after(&self, cursor: &Cursor) -> Result<Condition> {
        let past = |column: C, value: sea_orm::Value| match self.direction {
            Direction::Ascending => column.gt(value),
            Direction::Descending => column.lt(value),
        };
        let Some(sort) = self.sort else {
            return Ok(Condition::all().add(past(self.id, cursor.id.into())));
        };
        let malformed = || Error::invalid("page_token", "malformed page token");
        let raw = cursor.key.as_deref().ok_or_else(malformed)?;
        let (column, value): (C, sea_orm::Value) = match sort {
            SortKey::Text(c) => (c, raw.to_owned().into()),
            SortKey::Time(c) => {
                let time = DateTime::parse_from_rfc3339(raw).map_err(|_| malformed())?;
                (c, time.with_timezone(&Utc).into())
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

fn time_key(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
