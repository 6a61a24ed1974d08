//! Contacts and their key dates in the database: queries, and the transactions of every contact
//! mutation.

use std::collections::HashMap;

use kam_proto::v1 as pb;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{CONTACT, accounts::require_live_account};
use crate::accounts::rules::{self, Chain, MAX_CHAIN, walk_up};
use crate::platform::wire::Update;
use crate::{
    accounts::convert::contact_to_proto,
    accounts::model::{
        Attitude, BuyingRole, Contact, ContactFields, ContactFilter, ContactOrder, ContactPatch, KeyDate,
        KeyDateKind, Man,
    },
    accounts::store::entity::{contact, contact_key_date},
    identity::{
        Visibility,
        access::{hide_missing, require_may_rekey, require_visible_account, visible_accounts},
    },
    platform::{
        audit::{self, Change},
        db::{Db, contains_ignoring_case, now},
        error::{Error, Result},
        etag,
        events::{self, Payload},
        id_scan::IdScan,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page, SortKey, time_key},
        request::RequestContext,
    },
};

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
        require_visible_account(txn, ctx.visibility(), account_id).await?;
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
        // INSERT … RETURNING, and the key dates as written: no read-back (see create_account).
        let created = contact::Entity::insert(row)
            .exec_with_returning(txn)
            .await
            .map_err(|e| Error::unique_violation(e, CONTACT, "external_id", fields.external_id.as_deref()))?;
        replace_key_dates(txn, id, &fields.key_dates).await?;
        let created = contact_from_row(created, fields.key_dates.clone())?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        audit::record(
            txn,
            ctx,
            contact_change(&created, Payload::ContactCreated, contact_field_names()),
        )
        .await?;
        Ok(created)
    })
    .await
}

pub async fn get_contact(db: &Db, visibility: Visibility, id: Uuid) -> Result<Contact> {
    load_visible_contact(db.conn(), visibility, id).await
}

/// A contact the caller may see: to a MEMBER, a contact of another team's account and a missing one
/// both answer PERMISSION_DENIED.
async fn load_visible_contact(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
    id: Uuid,
) -> Result<Contact> {
    let contact = hide_missing(visibility, load_contact(conn, id).await)?;
    require_visible_account(conn, visibility, contact.account_id).await?;
    Ok(contact)
}

pub async fn list_contacts(
    db: &Db,
    visibility: Visibility,
    filter: &ContactFilter,
    order: ContactOrder,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Contact>> {
    let mut select = contact::Entity::find();
    if let Some(visible) = visible_accounts(visibility, contact::Column::AccountId) {
        select = select.filter(visible);
    }
    if let Some(in_segments) = super::checked_in_segments(db.conn(), &filter.segments).await? {
        select = select.filter(contact::Column::AccountId.in_subquery(in_segments));
    }
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
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            let key = match order {
                ContactOrder::Id => None,
                ContactOrder::FullName(_) => Some(row.full_name.clone()),
                ContactOrder::CreateTime(_) => Some(time_key(row.create_time)),
            };
            (row.id, key)
        })
        .await?;
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

pub async fn update_contact(db: &Db, ctx: &RequestContext, update: Update<ContactPatch>) -> Result<Contact> {
    let Update {
        id,
        etag,
        patch,
        paths: changed_fields,
    } = update;
    let etag = etag.as_deref();
    let (patch, changed_fields) = (&patch, &changed_fields);
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_visible_contact(txn, ctx.visibility(), id).await?;
        etag::check(CONTACT, id, current.revision, etag)?;
        require_live_account(txn, current.account_id).await?;
        if let Some(Some(manager)) = patch.reports_to_contact_id
            && Some(manager) != current.fields.reports_to_contact_id
        {
            require_colleague(txn, current.account_id, manager).await?;
            refuse_reporting_cycle(txn, id, manager).await?;
        }
        let mut fields = current.fields.clone();
        patch.apply_to(&mut fields);
        require_may_rekey(&ctx.principal, &current.fields.external_id, &fields.external_id)?;
        let row = contact::ActiveModel {
            id: Set(id),
            update_time: Set(now()),
            revision: Set(current.revision + 1),
            ..contact_columns(&fields)
        };
        let updated = contact::Entity::update(row)
            .exec(txn)
            .await
            .map_err(|e| Error::unique_violation(e, CONTACT, "external_id", fields.external_id.as_deref()))?;
        if patch.key_dates.is_some() {
            replace_key_dates(txn, id, &fields.key_dates).await?;
        }
        let updated = contact_from_row(updated, fields.key_dates.clone())?;
        audit::record(
            txn,
            ctx,
            contact_change(&updated, Payload::ContactUpdated, changed_fields.clone()),
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
        let current = load_visible_contact(txn, ctx.visibility(), id).await?;
        etag::check(CONTACT, id, current.revision, etag)?;
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
            Change::new(
                CONTACT,
                id,
                Some(current.account_id),
                Payload::ContactDeleted(events::tombstone(id, Some(current.account_id), now())),
                Vec::new(),
            ),
        )
        .await
    })
    .await
}

/// The change of `contact` announced as `event`, which carries the contact as GetContact returns it.
fn contact_change(
    contact: &Contact,
    event: fn(pb::Contact) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let message = contact_to_proto(contact.clone());
    Change::new(
        CONTACT,
        contact.id,
        Some(contact.account_id),
        event(message),
        changed_fields,
    )
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
            rules::REPORTS_TO_NOT_FOUND,
            format!("contacts/{manager}"),
            "reports_to_contact_id must be a contact of the same account",
        ))
    }
}

async fn refuse_reporting_cycle(conn: &impl ConnectionTrait, id: Uuid, new_manager: Uuid) -> Result<()> {
    let manager_of = |contact: Uuid| async move {
        Ok(contact::Entity::find_by_id(contact)
            .select_only()
            .column(contact::Column::ReportsToContactId)
            .into_tuple::<Option<Uuid>>()
            .one(conn)
            .await?
            .flatten())
    };
    match walk_up(id, new_manager, manager_of).await? {
        Chain::Clear => Ok(()),
        Chain::ReachesSelf => Err(Error::rule(
            rules::REPORTS_TO_CYCLE,
            format!("contacts/{id}"),
            "the contact would report to themselves through the chain",
        )),
        Chain::TooLong => Err(Error::rule(
            rules::REPORTS_TO_TOO_DEEP,
            format!("contacts/{id}"),
            format!("reporting lines are at most {MAX_CHAIN} levels deep"),
        )),
    }
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
            one_time: Set(date.one_time),
        });
    contact_key_date::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Ids per `IN (…)` of a lookup by a set the request does not bound.
const IN_CHUNK: usize = 500;

pub(super) async fn key_dates_of(
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
            kind: KeyDateKind::from_name(&row.kind)
                .ok_or_else(|| Error::unknown_stored_value("key date kind", &row.kind))?,
            label: row.label,
            year: row.year,
            month: row.month as u32,
            day: row.day as u32,
            one_time: row.one_time,
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

pub(super) fn contact_from_row(row: contact::Model, key_dates: Vec<KeyDate>) -> Result<Contact> {
    Ok(Contact {
        id: row.id,
        account_id: row.account_id,
        fields: ContactFields {
            external_id: row.external_id,
            full_name: row.full_name,
            title: row.title,
            department: row.department,
            buying_role: BuyingRole::from_name(&row.buying_role)
                .ok_or_else(|| Error::unknown_stored_value("buying_role", &row.buying_role))?,
            man: Man {
                has_money: row.has_money,
                has_authority: row.has_authority,
                has_need: row.has_need,
            },
            attitude: Attitude::from_name(&row.attitude)
                .ok_or_else(|| Error::unknown_stored_value("attitude", &row.attitude))?,
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
        revision: row.revision,
    })
}

pub(super) fn contact_field_names() -> Vec<String> {
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

/// Every one of `ids` must be a contact of `account_id`: CONTACT_NOT_OF_ACCOUNT otherwise, alike for an
/// unknown one and another account's, so that a caller cannot tell a contact it may not see from one
/// that does not exist. For resources that name the customer's people.
pub async fn require_contacts_of_account(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    ids: &[Uuid],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found: HashMap<Uuid, Uuid> = contact::Entity::find()
        .select_only()
        .columns([contact::Column::Id, contact::Column::AccountId])
        .filter(contact::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<(Uuid, Uuid)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    match ids.iter().find(|id| found.get(id) != Some(&account_id)) {
        Some(id) => Err(Error::rule(
            rules::CONTACT_NOT_OF_ACCOUNT,
            format!("contacts/{id}"),
            "not a contact of the account",
        )),
        None => Ok(()),
    }
}

/// A key date of a live account or of one of its active contacts, with the names a reader needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedKeyDate {
    pub account_id: Uuid,
    pub account_display_name: String,
    /// The contact whose date it is (id, full name); `None` for the account's own.
    pub contact: Option<(Uuid, String)>,
    pub key_date: KeyDate,
}

/// The key dates of live accounts and of their active contacts (one account's, or all the caller may
/// see), accounts' first, in no particular order within.
pub async fn key_dates(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
    account_id: Option<Uuid>,
    segments: &crate::segments::model::SegmentFilter,
) -> Result<Vec<OwnedKeyDate>> {
    use crate::accounts::store::entity::account;
    let mut accounts = account::Entity::find().filter(account::Column::DeleteTime.is_null());
    if let Some(account) = account_id {
        accounts = accounts.filter(account::Column::Id.eq(account));
    }
    if let Some(in_segments) = super::in_segments(segments) {
        accounts = accounts.filter(account::Column::Id.in_subquery(in_segments));
    }
    if let Some(visible) = visible_accounts(visibility, account::Column::Id) {
        accounts = accounts.filter(visible);
    }
    let accounts: Vec<(Uuid, String, serde_json::Value)> = accounts
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::DisplayName,
            account::Column::KeyDates,
        ])
        .into_tuple()
        .all(conn)
        .await?;
    let mut dates = Vec::new();
    let mut names: HashMap<Uuid, String> = HashMap::with_capacity(accounts.len());
    for (id, display_name, stored) in accounts {
        let own: Vec<KeyDate> = serde_json::from_value(stored)
            .map_err(|e| Error::unknown_stored_value("accounts.key_dates", &e.to_string()))?;
        dates.extend(own.into_iter().map(|key_date| OwnedKeyDate {
            account_id: id,
            account_display_name: display_name.clone(),
            contact: None,
            key_date,
        }));
        names.insert(id, display_name);
    }
    let mut contacts = contact::Entity::find()
        .filter(contact::Column::Active.eq(true))
        .filter(
            contact::Column::AccountId.in_subquery(sea_orm::QueryTrait::into_query(
                account::Entity::find()
                    .select_only()
                    .column(account::Column::Id)
                    .filter(account::Column::DeleteTime.is_null()),
            )),
        );
    if let Some(account) = account_id {
        contacts = contacts.filter(contact::Column::AccountId.eq(account));
    }
    if let Some(in_segments) = super::in_segments(segments) {
        contacts = contacts.filter(contact::Column::AccountId.in_subquery(in_segments));
    }
    if let Some(visible) = visible_accounts(visibility, contact::Column::AccountId) {
        contacts = contacts.filter(visible);
    }
    let contacts: HashMap<Uuid, (Uuid, String)> = contacts
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.account_id, c.full_name)))
        .collect();
    // Chunked: an all-seeing caller reads every active contact, far more than a statement binds
    // (SQLite 32 766 parameters, PostgreSQL 65 535).
    let ids: Vec<Uuid> = contacts.keys().copied().collect();
    for chunk in ids.chunks(IN_CHUNK) {
        for (contact_id, key_date) in key_dates_of(conn, chunk.to_vec())
            .await?
            .into_iter()
            .flat_map(|(contact_id, dates)| dates.into_iter().map(move |date| (contact_id, date)))
        {
            let (account_id, full_name) = &contacts[&contact_id];
            dates.push(OwnedKeyDate {
                account_id: *account_id,
                account_display_name: names.get(account_id).cloned().unwrap_or_default(),
                contact: Some((contact_id, full_name.clone())),
                key_date,
            });
        }
    }
    Ok(dates)
}

/// A decision maker or champion who left (inactive) or is opposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyContactAtRisk {
    pub account_id: Uuid,
    pub contact_id: Uuid,
    pub full_name: String,
    pub buying_role: BuyingRole,
    pub inactive: bool,
    pub opposed: bool,
}

/// Every decision maker and champion who is inactive or opposed, for account health.
pub async fn key_contacts_at_risk(conn: &impl ConnectionTrait) -> Result<Vec<KeyContactAtRisk>> {
    use sea_orm::Condition;
    let roles = [BuyingRole::DecisionMaker.as_str(), BuyingRole::Champion.as_str()];
    contact::Entity::find()
        .filter(contact::Column::BuyingRole.is_in(roles))
        .filter(
            Condition::any()
                .add(contact::Column::Active.eq(false))
                .add(contact::Column::Attitude.eq(Attitude::Opponent.as_str())),
        )
        .order_by_asc(contact::Column::FullName)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| {
            Ok(KeyContactAtRisk {
                account_id: row.account_id,
                contact_id: row.id,
                buying_role: BuyingRole::from_name(&row.buying_role)
                    .ok_or_else(|| Error::unknown_stored_value("contacts.buying_role", &row.buying_role))?,
                inactive: !row.active,
                opposed: row.attitude == Attitude::Opponent.as_str(),
                full_name: row.full_name,
            })
        })
        .collect()
}

/// The ids of contacts a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
pub async fn contact_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<contact::Entity>(
        db.conn(),
        contact::Column::Id,
        contact::Column::AccountId,
        Condition::all(),
    )
    .await
}

/// Of `ids`, the contacts of the accounts the caller may see, in one query (and one for key dates).
pub async fn contacts_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<Contact>> {
    let mut select = contact::Entity::find().filter(contact::Column::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, contact::Column::AccountId) {
        select = select.filter(visible);
    }
    let rows = select.all(db.conn()).await?;
    let mut key_dates = key_dates_of(db.conn(), rows.iter().map(|row| row.id).collect()).await?;
    rows.into_iter()
        .map(|row| {
            let dates = key_dates.remove(&row.id).unwrap_or_default();
            contact_from_row(row, dates)
        })
        .collect()
}
