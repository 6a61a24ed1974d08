//! Batch imports of accounts and contacts from the ERP, upserted by external id: one transaction per
//! batch, a few set-wise statements whatever its size (batch lookups by key, bulk inserts and updates, audit
//! rows and events in multi-row inserts), and a refusal per row that cannot be written instead of a
//! failed batch.

use std::collections::HashMap;

use kam_proto::v1 as pb;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect, Value};
use uuid::Uuid;

use super::accounts::{account_field_names, account_from_row};
use super::contacts::{contact_field_names, contact_from_row, key_dates_of};
use super::{ACCOUNT, CONTACT};
use crate::accounts::rules::{self, Chain, MAX_CHAIN, walk_up};
use crate::{
    accounts::convert::{account_to_proto, contact_to_proto},
    accounts::model::{
        Account, AccountRecord, Attitude, BuyingRole, Contact, ContactFields, ContactRecord, Lifecycle, Man,
        RadStatus, RelationshipStage, Tier, code_after_text_change,
    },
    accounts::store::entity::{account, contact},
    platform::{
        audit,
        batch::{BatchOutcome, Refusal},
        bulk::{Columns, Kind, find_by_keys},
        db::{Db, Tx, now},
        error::{Error, Result},
        events::Payload,
        request::RequestContext,
    },
    segments::{model::SegmentKind, store::directory},
};

const NEW_ACCOUNTS: Columns = Columns {
    table: "accounts",
    columns: &[
        ("id", Kind::Uuid),
        ("external_id", Kind::NullableText),
        ("display_name", Kind::Text),
        ("legal_name", Kind::Text),
        ("industry", Kind::Text),
        ("region", Kind::Text),
        ("parent_account_id", Kind::NullableUuid),
        ("lifecycle", Kind::Text),
        ("tier", Kind::Text),
        ("relationship_stage", Kind::Text),
        ("rad_status", Kind::Text),
        ("create_time", Kind::Time),
        ("update_time", Kind::Time),
        ("revision", Kind::BigInt),
        ("industry_code", Kind::NullableText),
        ("region_code", Kind::NullableText),
    ],
};

/// What an import may change of a known account: the ERP's fields and the write stamps.
const CHANGED_ACCOUNTS: Columns = Columns {
    table: "accounts",
    columns: &[
        ("id", Kind::Uuid),
        ("display_name", Kind::Text),
        ("legal_name", Kind::Text),
        ("industry", Kind::Text),
        ("region", Kind::Text),
        ("parent_account_id", Kind::NullableUuid),
        ("lifecycle", Kind::Text),
        ("update_time", Kind::Time),
        ("revision", Kind::BigInt),
        ("industry_code", Kind::NullableText),
        ("region_code", Kind::NullableText),
    ],
};

/// How an import batch writes one kind of row: its tables' columns, a row's values, and how its changes
/// are announced.
struct ImportedKind<T: 'static, M: 'static> {
    new: &'static Columns,
    changed: &'static Columns,
    new_row: fn(&T) -> Vec<Value>,
    changed_row: fn(&T) -> Vec<Value>,
    /// The row's id, its account's, and the row as its events carry it.
    announced: fn(&T) -> (Uuid, Option<Uuid>, M),
    resource_type: &'static str,
    /// The creation's and the update's event.
    events: [fn(M) -> Payload; 2],
    all_fields: fn() -> Vec<String>,
    /// What must still hold of a stored row (`"table"`) for its new version (`v`) to replace it: that
    /// no one changed it since the batch read it. A batch run READ COMMITTED is not alone: a row
    /// changed meanwhile fails the batch as contention, and the retry reads it again.
    unchanged_since_read: &'static str,
}

const ACCOUNTS: ImportedKind<Account, pb::Account> = ImportedKind {
    new: &NEW_ACCOUNTS,
    changed: &CHANGED_ACCOUNTS,
    new_row: new_account_row,
    changed_row: changed_account_row,
    announced: |account| (account.id, Some(account.id), account_to_proto(account.clone())),
    resource_type: ACCOUNT,
    events: [Payload::AccountCreated, Payload::AccountUpdated],
    all_fields: account_field_names,
    unchanged_since_read: r#""accounts"."revision" = v."revision" - 1 AND "accounts"."delete_time" IS NULL"#,
};

const CONTACTS: ImportedKind<Contact, pb::Contact> = ImportedKind {
    new: &NEW_CONTACTS,
    changed: &CHANGED_CONTACTS,
    new_row: new_contact_row,
    changed_row: changed_contact_row,
    announced: |contact| {
        (
            contact.id,
            Some(contact.account_id),
            contact_to_proto(contact.clone()),
        )
    },
    resource_type: CONTACT,
    events: [Payload::ContactCreated, Payload::ContactUpdated],
    all_fields: contact_field_names,
    unchanged_since_read: r#""contacts"."revision" = v."revision" - 1"#,
};

/// Writes a batch's new and changed rows (each changed one with the fields that changed), and their
/// audit rows and events.
///
/// The audit rows and events are built on a thread of their own while the rows' statements run
/// (`audit::prepare_apart`): for thousands of rows, serializing the payloads takes as long as the
/// insert. Built on this task beside the insert, they held up its later statements: SQLite's insert is
/// a dozen statements of at most 512 rows, and only the first went out before the building began.
async fn write_imported<T: Send + 'static, M: 'static>(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    kind: &'static ImportedKind<T, M>,
    created: Vec<T>,
    changed: Vec<(T, Vec<String>)>,
) -> Result<()> {
    let new_rows = created.iter().map(kind.new_row).collect();
    let changed_rows = changed.iter().map(|(row, _)| (kind.changed_row)(row)).collect();
    let expected_updates = changed.len() as u64;
    let announcements = audit::prepare_apart(ctx, move || announced(kind, created, changed));
    kind.new
        .insert(txn, new_rows)
        .await
        // Two imports racing on one new external id: the loser retries and finds it stored.
        .map_err(Error::contention_on_unique)?;
    let updated = kind
        .changed
        .update_if(txn, "id", kind.unchanged_since_read, changed_rows)
        .await?;
    if updated != expected_updates {
        return Err(Error::Contention); // a row changed since it was read: run the batch again
    }
    audit::write_prepared(txn, announcements.await).await
}

/// The changes a batch records: its creations, then its updates.
fn announced<T, M>(
    kind: &ImportedKind<T, M>,
    created: Vec<T>,
    changed: Vec<(T, Vec<String>)>,
) -> Vec<audit::Change> {
    let created = created.iter().map(|row| {
        let (id, account_id, message) = (kind.announced)(row);
        (id, account_id, message, None)
    });
    let changed = changed.iter().map(|(row, fields)| {
        let (id, account_id, message) = (kind.announced)(row);
        (id, account_id, message, Some(fields.as_slice()))
    });
    let all_fields = (kind.all_fields)();
    audit::imported(
        kind.resource_type,
        kind.events,
        &all_fields,
        created.chain(changed),
    )
}

/// Upserts a batch of account records (each with the index it is reported by) in one transaction.
///
/// A parent is found among the accounts stored before and the records earlier in the batch. A record
/// is refused, and the rest still written, when its account or parent is deleted, its parent is unknown,
/// or its parent would close a loop (counting the parents the batch itself sets).
///
/// On PostgreSQL a batch naming a parent runs SERIALIZABLE: the loop and depth rules read chains of
/// rows that another transaction may be relinking. A batch without parents (an ERP's usual file) only
/// creates accounts and updates them with no parent, which can close no loop nor deepen a chain; its
/// other checks are the unique external id and [`ImportedKind::unchanged_since_read`], so it runs READ
/// COMMITTED ([`Db::write_rows`]) and may be written beside another batch. SERIALIZABLE, one at a time,
/// accounts imported at 29k rows/s.
pub async fn import_accounts(
    db: &Db,
    ctx: &RequestContext,
    records: &[(u64, AccountRecord)],
) -> Result<BatchOutcome> {
    let work = |txn: Tx| async move { write_accounts(&*txn, ctx, records).await };
    if names_parents(records.iter().map(|(_, record)| record)) {
        db.write(work).await
    } else {
        db.write_rows(work).await
    }
}

/// Whether any of `records` names a parent: a batch that does must run alone and SERIALIZABLE.
fn names_parents<'a>(mut records: impl Iterator<Item = &'a AccountRecord>) -> bool {
    records.any(|record| record.parent_external_id.is_some())
}

/// [`import_accounts`]'s work, in its transaction.
async fn write_accounts(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    records: &[(u64, AccountRecord)],
) -> Result<BatchOutcome> {
    let mut wanted: Vec<&str> = records.iter().map(|(_, r)| r.external_id.as_str()).collect();
    wanted.extend(
        records
            .iter()
            .filter_map(|(_, r)| r.parent_external_id.as_deref()),
    );
    let stored = accounts_by_external_id(txn, &wanted).await?;
    let mut plan = AccountPlan::new(stored);
    for (index, record) in records {
        if let Err(refusal) = plan.take(txn, record).await? {
            plan.outcome.refused.push((*index, refusal));
        }
    }
    let AccountPlan {
        created,
        changed,
        mut outcome,
        ..
    } = plan;
    outcome.created = created.len() as u64;
    outcome.updated = changed.len() as u64;
    write_imported(txn, ctx, &ACCOUNTS, created, changed).await?;
    Ok(outcome)
}

/// The accounts among `external_ids`, by external id (deleted ones too).
async fn accounts_by_external_id(
    conn: &impl ConnectionTrait,
    external_ids: &[&str],
) -> Result<HashMap<String, Account>> {
    let mut found = HashMap::with_capacity(external_ids.len());
    for row in find_by_keys::<account::Entity>(conn, account::Column::ExternalId, external_ids).await? {
        let account = account_from_row(row)?;
        if let Some(external_id) = account.external_id.clone() {
            found.insert(external_id, account);
        }
    }
    Ok(found)
}

/// The batch as it is sorted, record by record: what to create, what to change, and the accounts as the
/// batch leaves them (so later records find the parents earlier ones create or move).
struct AccountPlan {
    /// By external id: the accounts stored, then as this batch creates or changes them.
    accounts: HashMap<String, Account>,
    /// Each account's parent as this batch sets it, for the loop check.
    parents_set: HashMap<Uuid, Option<Uuid>>,
    created: Vec<Account>,
    /// The changed accounts, each with the fields that changed.
    changed: Vec<(Account, Vec<String>)>,
    outcome: BatchOutcome,
    time: chrono::DateTime<chrono::Utc>,
    /// The segment each free text names, by kind and text, as asked so far.
    classified: HashMap<(SegmentKind, String), Option<String>>,
}

impl AccountPlan {
    fn new(stored: HashMap<String, Account>) -> Self {
        Self {
            accounts: stored,
            parents_set: HashMap::new(),
            created: Vec::new(),
            changed: Vec::new(),
            outcome: BatchOutcome::default(),
            time: now(),
            classified: HashMap::new(),
        }
    }

    /// Sorts one record into created, changed or unchanged; `Ok(Err(_))` when it is refused.
    async fn take(
        &mut self,
        conn: &impl ConnectionTrait,
        record: &AccountRecord,
    ) -> Result<Result<(), Refusal>> {
        let parent = match self.parent_of(record) {
            Ok(parent) => parent,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let Some(current) = self.accounts.get(&record.external_id).cloned() else {
            self.create(conn, record, parent).await?;
            return Ok(Ok(()));
        };
        if current.delete_time.is_some() {
            return Ok(Err(Refusal::rule(
                rules::ACCOUNT_DELETED,
                "external_id",
                "the account is deleted",
            )));
        }
        if let Some(parent) = parent
            && Some(parent) != current.parent_account_id
            && let Err(refusal) = self.refuse_loop(conn, current.id, parent).await?
        {
            return Ok(Err(refusal));
        }
        let mut updated = current.clone();
        updated.display_name = record.display_name.clone();
        updated.legal_name = record.legal_name.clone();
        updated.industry = record.industry.clone();
        updated.region = record.region.clone();
        updated.parent_account_id = parent;
        updated.lifecycle = record.lifecycle.unwrap_or(current.lifecycle);
        if updated.industry != current.industry {
            let (old, new) = (
                self.classify(conn, SegmentKind::Industry, &current.industry)
                    .await?,
                self.classify(conn, SegmentKind::Industry, &updated.industry)
                    .await?,
            );
            updated.industry_code =
                code_after_text_change(current.industry_code.as_deref(), old.as_deref(), new.as_deref());
        }
        if updated.region != current.region {
            let (old, new) = (
                self.classify(conn, SegmentKind::Region, &current.region).await?,
                self.classify(conn, SegmentKind::Region, &updated.region).await?,
            );
            updated.region_code =
                code_after_text_change(current.region_code.as_deref(), old.as_deref(), new.as_deref());
        }
        let fields = changed_fields(&current, &updated);
        if fields.is_empty() {
            self.outcome.unchanged += 1;
            return Ok(Ok(()));
        }
        updated.update_time = self.time;
        updated.revision += 1;
        self.parents_set.insert(updated.id, parent);
        self.accounts.insert(record.external_id.clone(), updated.clone());
        self.changed.push((updated, fields));
        Ok(Ok(()))
    }

    fn parent_of(&self, record: &AccountRecord) -> Result<Option<Uuid>, Refusal> {
        let Some(parent_external_id) = &record.parent_external_id else {
            return Ok(None);
        };
        if *parent_external_id == record.external_id {
            return Err(Refusal::rule(
                rules::PARENT_CYCLE,
                "parent_external_id",
                "the account would become its own ancestor",
            ));
        }
        match self.accounts.get(parent_external_id) {
            None => Err(Refusal::not_found(
                "parent_external_id",
                format!("no account has external id {parent_external_id:?}"),
            )),
            Some(parent) if parent.delete_time.is_some() => Err(Refusal::rule(
                rules::PARENT_NOT_FOUND,
                "parent_external_id",
                "the parent account is deleted",
            )),
            Some(parent) => Ok(Some(parent.id)),
        }
    }

    /// The code of the segment of `kind` that `text` names, asked once per text and kind in a batch.
    async fn classify(
        &mut self,
        conn: &impl ConnectionTrait,
        kind: SegmentKind,
        text: &str,
    ) -> Result<Option<String>> {
        if text.is_empty() {
            return Ok(None);
        }
        let key = (kind, text.to_owned());
        if let Some(found) = self.classified.get(&key) {
            return Ok(found.clone());
        }
        let found = directory::classify(conn, kind, text).await?;
        self.classified.insert(key, found.clone());
        Ok(found)
    }

    async fn create(
        &mut self,
        conn: &impl ConnectionTrait,
        record: &AccountRecord,
        parent: Option<Uuid>,
    ) -> Result<()> {
        let industry_code = self
            .classify(conn, SegmentKind::Industry, &record.industry)
            .await?;
        let region_code = self.classify(conn, SegmentKind::Region, &record.region).await?;
        let account = Account {
            id: Uuid::now_v7(),
            external_id: Some(record.external_id.clone()),
            display_name: record.display_name.clone(),
            legal_name: record.legal_name.clone(),
            industry: record.industry.clone(),
            region: record.region.clone(),
            parent_account_id: parent,
            lifecycle: record.lifecycle.unwrap_or(Lifecycle::Prospect),
            tier: Tier::Standard,
            relationship_stage: RelationshipStage::Transactional,
            rad_status: RadStatus::Acquire,
            create_time: self.time,
            update_time: self.time,
            delete_time: None,
            key_dates: Vec::new(),
            revision: 1,
            industry_code,
            region_code,
        };
        self.parents_set.insert(account.id, parent);
        self.accounts.insert(record.external_id.clone(), account.clone());
        self.created.push(account);
        Ok(())
    }

    /// Walks up from `parent` through the parents this batch sets, else those stored: meeting `id`
    /// means the new link would close a loop.
    async fn refuse_loop(
        &self,
        conn: &impl ConnectionTrait,
        id: Uuid,
        parent: Uuid,
    ) -> Result<Result<(), Refusal>> {
        let parent_of = |node: Uuid| async move {
            if let Some(set) = self.parents_set.get(&node) {
                return Ok(*set);
            }
            Ok(account::Entity::find_by_id(node)
                .select_only()
                .column(account::Column::ParentAccountId)
                .into_tuple::<Option<Uuid>>()
                .one(conn)
                .await?
                .flatten())
        };
        Ok(match walk_up(id, parent, parent_of).await? {
            Chain::Clear => Ok(()),
            Chain::ReachesSelf => Err(Refusal::rule(
                rules::PARENT_CYCLE,
                "parent_external_id",
                "the account would become its own ancestor",
            )),
            Chain::TooLong => Err(Refusal::rule(
                rules::HIERARCHY_TOO_DEEP,
                "parent_external_id",
                &format!("account hierarchies are at most {MAX_CHAIN} levels deep"),
            )),
        })
    }
}

/// The ERP's fields that differ between two states of an account.
fn changed_fields(before: &Account, after: &Account) -> Vec<String> {
    [
        (before.display_name != after.display_name, "display_name"),
        (before.legal_name != after.legal_name, "legal_name"),
        (before.industry != after.industry, "industry"),
        (before.region != after.region, "region"),
        (
            before.parent_account_id != after.parent_account_id,
            "parent_account_id",
        ),
        (before.lifecycle != after.lifecycle, "lifecycle"),
        (before.industry_code != after.industry_code, "industry_code"),
        (before.region_code != after.region_code, "region_code"),
    ]
    .into_iter()
    .filter(|(differs, _)| *differs)
    .map(|(_, name)| name.to_owned())
    .collect()
}

fn new_account_row(account: &Account) -> Vec<Value> {
    vec![
        account.id.into(),
        account.external_id.clone().into(),
        account.display_name.clone().into(),
        account.legal_name.clone().into(),
        account.industry.clone().into(),
        account.region.clone().into(),
        account.parent_account_id.into(),
        account.lifecycle.as_str().into(),
        account.tier.as_str().into(),
        account.relationship_stage.as_str().into(),
        account.rad_status.as_str().into(),
        account.create_time.into(),
        account.update_time.into(),
        account.revision.into(),
        account.industry_code.clone().into(),
        account.region_code.clone().into(),
    ]
}

fn changed_account_row(account: &Account) -> Vec<Value> {
    vec![
        account.id.into(),
        account.display_name.clone().into(),
        account.legal_name.clone().into(),
        account.industry.clone().into(),
        account.region.clone().into(),
        account.parent_account_id.into(),
        account.lifecycle.as_str().into(),
        account.update_time.into(),
        account.revision.into(),
        account.industry_code.clone().into(),
        account.region_code.clone().into(),
    ]
}

const NEW_CONTACTS: Columns = Columns {
    table: "contacts",
    columns: &[
        ("id", Kind::Uuid),
        ("account_id", Kind::Uuid),
        ("external_id", Kind::NullableText),
        ("full_name", Kind::Text),
        ("title", Kind::Text),
        ("department", Kind::Text),
        ("buying_role", Kind::Text),
        ("has_money", Kind::Bool),
        ("has_authority", Kind::Bool),
        ("has_need", Kind::Bool),
        ("attitude", Kind::Text),
        ("relationship_strength", Kind::SmallInt),
        ("email", Kind::Text),
        ("phone", Kind::Text),
        ("notes", Kind::Text),
        ("active", Kind::Bool),
        ("create_time", Kind::Time),
        ("update_time", Kind::Time),
        ("revision", Kind::BigInt),
    ],
};

/// What an import may change of a known contact: the ERP's fields and the write stamps.
const CHANGED_CONTACTS: Columns = Columns {
    table: "contacts",
    columns: &[
        ("id", Kind::Uuid),
        ("full_name", Kind::Text),
        ("title", Kind::Text),
        ("department", Kind::Text),
        ("email", Kind::Text),
        ("phone", Kind::Text),
        ("active", Kind::Bool),
        ("update_time", Kind::Time),
        ("revision", Kind::BigInt),
    ],
};

/// Upserts a batch of contact records (each with the index it is reported by) in one transaction. A
/// record is refused, and the rest still written, when its account is unknown or deleted, or it names
/// another account than the one its contact belongs to.
pub async fn import_contacts(
    db: &Db,
    ctx: &RequestContext,
    records: &[(u64, ContactRecord)],
) -> Result<BatchOutcome> {
    db.write(|txn| async move {
        let txn = &*txn;
        let account_ids: Vec<&str> = records
            .iter()
            .map(|(_, r)| r.account_external_id.as_str())
            .collect();
        let accounts = accounts_by_external_id(txn, &account_ids).await?;
        let external_ids: Vec<&str> = records.iter().map(|(_, r)| r.external_id.as_str()).collect();
        let stored = contacts_by_external_id(txn, &external_ids).await?;
        let time = now();
        let mut outcome = BatchOutcome::default();
        let mut created = Vec::new();
        let mut changed = Vec::new();
        for (index, record) in records {
            let account = match accounts.get(&record.account_external_id) {
                None => Err(Refusal::not_found(
                    "account_external_id",
                    format!("no account has external id {:?}", record.account_external_id),
                )),
                Some(account) if account.delete_time.is_some() => Err(Refusal::rule(
                    rules::ACCOUNT_DELETED,
                    "account_external_id",
                    "the account is deleted",
                )),
                Some(account) => Ok(account.id),
            };
            let account_id = match account {
                Ok(id) => id,
                Err(refusal) => {
                    outcome.refused.push((*index, refusal));
                    continue;
                }
            };
            match stored.get(&record.external_id) {
                None => created.push(new_contact(record, account_id, time)),
                Some(current) if current.account_id != account_id => outcome.refused.push((
                    *index,
                    Refusal::rule(
                        rules::CONTACT_ACCOUNT_IMMUTABLE,
                        "account_external_id",
                        "a contact stays with its account; the ERP record names another",
                    ),
                )),
                Some(current) => {
                    let mut updated = current.clone();
                    let fields = &mut updated.fields;
                    fields.full_name = record.full_name.clone();
                    fields.title = record.title.clone();
                    fields.department = record.department.clone();
                    fields.email = record.email.clone();
                    fields.phone = record.phone.clone();
                    fields.active = record.active;
                    let names = changed_contact_fields(&current.fields, &updated.fields);
                    if names.is_empty() {
                        outcome.unchanged += 1;
                    } else {
                        updated.update_time = time;
                        updated.revision += 1;
                        changed.push((updated, names));
                    }
                }
            }
        }
        outcome.created = created.len() as u64;
        outcome.updated = changed.len() as u64;
        write_imported(txn, ctx, &CONTACTS, created, changed).await?;
        Ok(outcome)
    })
    .await
}

/// The contacts among `external_ids`, by external id, with their key dates (an event carries the whole
/// contact).
async fn contacts_by_external_id(
    conn: &impl ConnectionTrait,
    external_ids: &[&str],
) -> Result<HashMap<String, Contact>> {
    let rows = find_by_keys::<contact::Entity>(conn, contact::Column::ExternalId, external_ids).await?;
    let mut key_dates = key_dates_of(conn, rows.iter().map(|row| row.id).collect()).await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let dates = key_dates.remove(&row.id).unwrap_or_default();
        let contact = contact_from_row(row, dates)?;
        if let Some(external_id) = contact.fields.external_id.clone() {
            found.insert(external_id, contact);
        }
    }
    Ok(found)
}

fn new_contact(record: &ContactRecord, account_id: Uuid, time: chrono::DateTime<chrono::Utc>) -> Contact {
    Contact {
        id: Uuid::now_v7(),
        account_id,
        fields: ContactFields {
            external_id: Some(record.external_id.clone()),
            full_name: record.full_name.clone(),
            title: record.title.clone(),
            department: record.department.clone(),
            buying_role: BuyingRole::Unassessed,
            man: Man::default(),
            attitude: Attitude::Unassessed,
            relationship_strength: 0,
            reports_to_contact_id: None,
            key_dates: Vec::new(),
            email: record.email.clone(),
            phone: record.phone.clone(),
            notes: String::new(),
            active: record.active,
        },
        create_time: time,
        update_time: time,
        revision: 1,
    }
}

/// The ERP's fields that differ between two states of a contact.
fn changed_contact_fields(before: &ContactFields, after: &ContactFields) -> Vec<String> {
    [
        (before.full_name != after.full_name, "full_name"),
        (before.title != after.title, "title"),
        (before.department != after.department, "department"),
        (before.email != after.email, "email"),
        (before.phone != after.phone, "phone"),
        (before.active != after.active, "active"),
    ]
    .into_iter()
    .filter(|(differs, _)| *differs)
    .map(|(_, name)| name.to_owned())
    .collect()
}

fn new_contact_row(contact: &Contact) -> Vec<Value> {
    let fields = &contact.fields;
    vec![
        contact.id.into(),
        contact.account_id.into(),
        fields.external_id.clone().into(),
        fields.full_name.clone().into(),
        fields.title.clone().into(),
        fields.department.clone().into(),
        fields.buying_role.as_str().into(),
        fields.man.has_money.into(),
        fields.man.has_authority.into(),
        fields.man.has_need.into(),
        fields.attitude.as_str().into(),
        fields.relationship_strength.into(),
        fields.email.clone().into(),
        fields.phone.clone().into(),
        fields.notes.clone().into(),
        fields.active.into(),
        contact.create_time.into(),
        contact.update_time.into(),
        contact.revision.into(),
    ]
}

fn changed_contact_row(contact: &Contact) -> Vec<Value> {
    let fields = &contact.fields;
    vec![
        contact.id.into(),
        fields.full_name.clone().into(),
        fields.title.clone().into(),
        fields.department.clone().into(),
        fields.email.clone().into(),
        fields.phone.clone().into(),
        fields.active.into(),
        contact.update_time.into(),
        contact.revision.into(),
    ]
}
