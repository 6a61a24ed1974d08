//! Accounts in the database: queries, and the transactions of every account mutation.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use kam_proto::v1 as pb;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, QueryTrait, Statement,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::ACCOUNT;
use crate::accounts::rules::{self, Chain, MAX_CHAIN, walk_up};
use crate::{
    accounts::convert::account_to_proto,
    accounts::model::{
        Account, AccountFields, AccountFilter, AccountOrder, AccountUpdate, KeyDate, Lifecycle, RadStatus,
        RelationshipChange, RelationshipStage, Tier, code_after_text_change,
    },
    accounts::store::entity::{account, relationship_change},
    identity::{
        Role, Visibility,
        access::{require_may_rekey, require_visible_account, visible_accounts},
    },
    platform::{
        audit::{self, Change},
        db::{Db, contains_ignoring_case, now, positional},
        error::{Error, Result},
        etag,
        events::Payload,
        id_scan::IdScan,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page, SortKey, time_key},
        request::RequestContext,
    },
    segments::{self, model::SegmentKind},
};

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
        let mut fields = fields.clone();
        for kind in SegmentKind::ALL.iter().copied() {
            let (text, code) = segment_parts(&mut fields, kind);
            resolve_segment(txn, kind, code, text).await?;
        }
        require_may_give_region(txn, ctx, None, fields.region_code.as_deref()).await?;
        let fields = &fields;
        let id = Uuid::now_v7();
        if let Some(parent) = fields.parent_account_id {
            require_visible_account(txn, ctx.visibility(), parent).await?;
            require_live_parent(txn, parent).await?;
            // A new account closes no cycle, but may make the hierarchy too deep.
            refuse_parent_cycle(txn, id, parent).await?;
        }
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
            key_dates: Set(key_dates_column(&fields.key_dates)),
            create_time: Set(time),
            update_time: Set(time),
            delete_time: Set(None),
            revision: Set(1),
            industry_code: Set(fields.industry_code.clone()),
            region_code: Set(fields.region_code.clone()),
        };
        // INSERT … RETURNING: reading the row back would add an index read that, under SERIALIZABLE,
        // conflicts with every concurrent insert on the same (UUIDv7: rightmost) index page.
        let created = account::Entity::insert(row)
            .exec_with_returning(txn)
            .await
            .map_err(|e| Error::unique_violation(e, ACCOUNT, "external_id", fields.external_id.as_deref()))?;
        let created = account_from_row(created)?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        audit::record(
            txn,
            ctx,
            account_change(&created, Payload::AccountCreated, created_field_names()),
        )
        .await?;
        Ok(created)
    })
    .await
}

pub async fn get_account(db: &Db, visibility: Visibility, id: Uuid) -> Result<Account> {
    require_visible_account(db.conn(), visibility, id).await?;
    let row = db.read_one(by_id(db.backend(), id)).await?;
    account_from_row(row.ok_or_else(|| Error::not_found(ACCOUNT, id))?)
}

pub async fn list_accounts(
    db: &Db,
    visibility: Visibility,
    filter: &AccountFilter,
    order: AccountOrder,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Account>> {
    let mut select = account::Entity::find();
    if let Some(visible) = visible_accounts(visibility, account::Column::Id) {
        select = select.filter(visible);
    }
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
    if let Some(industry) = &filter.industry {
        select = select.filter(account::Column::Industry.eq(industry.as_str()));
    }
    if let Some(parent) = filter.parent_account_id {
        select = select.filter(account::Column::ParentAccountId.eq(parent));
    }
    if let Some(in_segments) = super::directory::checked_in_segments(db.conn(), &filter.segments).await? {
        select = select.filter(account::Column::Id.in_subquery(in_segments));
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
    let (rows, next) = keyset
        .fetch_by_position(select, db, page_size, after.as_ref(), |row: &account::Model| {
            let key = match order {
                AccountOrder::Id => None,
                AccountOrder::DisplayName(_) => Some(row.display_name.clone()),
                AccountOrder::CreateTime(_) => Some(time_key(row.create_time)),
                AccountOrder::UpdateTime(_) => Some(time_key(row.update_time)),
            };
            (row.id, key)
        })
        .await?;
    Ok(Page {
        items: rows.into_iter().map(account_from_row).collect::<Result<_>>()?,
        next,
    })
}

/// Applies `update`. A change of relationship stage or RAD status needs a reason and is kept in the
/// relationship history, in the same transaction.
pub async fn update_account(db: &Db, ctx: &RequestContext, update: AccountUpdate) -> Result<Account> {
    let AccountUpdate {
        id,
        etag,
        patch,
        paths: changed_fields,
        change_reason,
    } = update;
    let (etag, patch, changed_fields, change_reason) =
        (etag.as_deref(), &patch, &changed_fields, change_reason.as_deref());
    db.write(|txn| async move {
        let txn = &*txn;
        require_visible_account(txn, ctx.visibility(), id).await?;
        let current = load_account(txn, id).await?;
        etag::check(ACCOUNT, id, current.revision, etag)?;
        if current.delete_time.is_some() {
            return Err(account_deleted(id));
        }
        if let Some(Some(parent)) = patch.parent_account_id
            && Some(parent) != current.parent_account_id
        {
            // Hidden answers as missing: a MEMBER cannot hang its account under one it cannot see.
            require_visible_account(txn, ctx.visibility(), parent).await?;
            require_live_parent(txn, parent).await?;
            refuse_parent_cycle(txn, id, parent).await?;
        }
        let mut fields = fields_of(&current);
        patch.apply_to(&mut fields);
        let mut changed_fields = changed_fields.clone();
        for kind in SegmentKind::ALL.iter().copied() {
            reclassify(txn, kind, &current, &mut fields, &mut changed_fields).await?;
        }
        require_may_give_region(
            txn,
            ctx,
            current.region_code.as_deref(),
            fields.region_code.as_deref(),
        )
        .await?;
        require_may_rekey(&ctx.principal, &current.external_id, &fields.external_id)?;
        record_relationship_change(txn, ctx, &current, &fields, change_reason).await?;
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
        row.key_dates = Set(key_dates_column(&fields.key_dates));
        row.industry_code = Set(fields.industry_code);
        row.region_code = Set(fields.region_code);
        let updated = save_account(txn, row, &fields.external_id).await?;
        audit::record(
            txn,
            ctx,
            account_change(&updated, Payload::AccountUpdated, changed_fields),
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// The history row of an update that moves the relationship stage or RAD status; INVALID_ARGUMENT
/// when such an update gives no reason.
async fn record_relationship_change(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    current: &Account,
    fields: &AccountFields,
    reason: Option<&str>,
) -> Result<()> {
    let moved =
        current.relationship_stage != fields.relationship_stage || current.rad_status != fields.rad_status;
    if !moved {
        return Ok(());
    }
    let Some(reason) = reason else {
        return Err(Error::invalid(
            "change_reason",
            "required when relationship_stage or rad_status changes",
        ));
    };
    relationship_change::Entity::insert(relationship_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(current.id),
        old_relationship_stage: Set(current.relationship_stage.as_str().to_owned()),
        new_relationship_stage: Set(fields.relationship_stage.as_str().to_owned()),
        old_rad_status: Set(current.rad_status.as_str().to_owned()),
        new_rad_status: Set(fields.rad_status.as_str().to_owned()),
        reason: Set(reason.to_owned()),
        change_time: Set(now()),
        changed_by: Set(ctx.principal.staff_id),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// An account's relationship history, newest first.
pub async fn list_relationship_changes(
    db: &Db,
    visibility: Visibility,
    account_id: Uuid,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<RelationshipChange>> {
    use relationship_change::Column as C;
    require_visible_account(db.conn(), visibility, account_id).await?;
    account_row(db.conn(), account_id).await?;
    let keyset = Keyset {
        sort: None,
        id: C::Id,
        direction: Direction::Descending,
    };
    let select = relationship_change::Entity::find().filter(C::AccountId.eq(account_id));
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    let stored = |column: &str, raw: &str| Error::unknown_stored_value(column, raw);
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(RelationshipChange {
                id: row.id,
                account_id: row.account_id,
                old_relationship_stage: RelationshipStage::from_name(&row.old_relationship_stage)
                    .ok_or_else(|| stored("old_relationship_stage", &row.old_relationship_stage))?,
                new_relationship_stage: RelationshipStage::from_name(&row.new_relationship_stage)
                    .ok_or_else(|| stored("new_relationship_stage", &row.new_relationship_stage))?,
                old_rad_status: RadStatus::from_name(&row.old_rad_status)
                    .ok_or_else(|| stored("old_rad_status", &row.old_rad_status))?,
                new_rad_status: RadStatus::from_name(&row.new_rad_status)
                    .ok_or_else(|| stored("new_rad_status", &row.new_rad_status))?,
                reason: row.reason,
                change_time: row.change_time,
                changed_by: row.changed_by,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Page { items, next })
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
        require_visible_account(txn, ctx.visibility(), id).await?;
        let current = load_account(txn, id).await?;
        etag::check(ACCOUNT, id, current.revision, etag)?;
        match (deleted, current.delete_time.is_some()) {
            (true, true) => return Err(account_deleted(id)),
            (false, false) => {
                return Err(Error::rule(
                    rules::ACCOUNT_NOT_DELETED,
                    format!("accounts/{id}"),
                    "the account is not deleted",
                ));
            }
            _ => {}
        }
        let mut row = account_row(txn, id).await?.into_active_model();
        row.delete_time = Set(deleted.then(now));
        let changed = save_account(txn, row, &current.external_id).await?;
        audit::record(
            txn,
            ctx,
            account_change(
                &changed,
                match deleted {
                    true => Payload::AccountDeleted,
                    false => Payload::AccountUndeleted,
                },
                vec!["delete_time".to_owned()],
            ),
        )
        .await?;
        Ok(changed)
    })
    .await
}

/// The change of `account` announced as `event`, which carries the account as GetAccount returns it.
fn account_change(
    account: &Account,
    event: fn(pb::Account) -> Payload,
    changed_fields: Vec<String>,
) -> Change {
    let message = account_to_proto(account.clone());
    Change::new(
        ACCOUNT,
        account.id,
        Some(account.id),
        event(message),
        changed_fields,
    )
}

/// Writes `row` with a new revision and update time, and returns the account as stored.
async fn save_account(
    txn: &DatabaseTransaction,
    mut row: account::ActiveModel,
    external_id: &Option<String>,
) -> Result<Account> {
    let revision = *row.revision.as_ref();
    row.revision = Set(revision + 1);
    row.update_time = Set(now());
    let saved = account::Entity::update(row)
        .exec(txn)
        .await
        .map_err(|e| Error::unique_violation(e, ACCOUNT, "external_id", external_id.as_deref()))?;
    account_from_row(saved)
}

pub(super) async fn account_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<account::Model> {
    positional::read_one(conn, by_id(conn.get_database_backend(), id))
        .await?
        .ok_or_else(|| Error::not_found(ACCOUNT, id))
}

/// The account with this id, every column in the model's order (see its `FromPositions`). The SQL is
/// rendered once per backend: sea-query rendering it on every `GetAccount` was 3–4 % of the call's
/// CPU (perf, account throughput bench).
fn by_id(backend: DatabaseBackend, id: Uuid) -> Statement {
    static SQLITE: OnceLock<String> = OnceLock::new();
    static POSTGRES: OnceLock<String> = OnceLock::new();
    let rendered = match backend {
        DatabaseBackend::Sqlite => &SQLITE,
        _ => &POSTGRES,
    };
    let sql = rendered.get_or_init(|| account::Entity::find_by_id(Uuid::nil()).build(backend).sql);
    Statement::from_sql_and_values(backend, sql.clone(), [id.into()])
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
        rules::ACCOUNT_DELETED,
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
            rules::PARENT_NOT_FOUND,
            format!("accounts/{parent}"),
            "the parent account does not exist or is deleted",
        ))
    }
}

/// Walks up from `new_parent`: meeting `id` on the way means the new link would close a loop.
async fn refuse_parent_cycle(conn: &impl ConnectionTrait, id: Uuid, new_parent: Uuid) -> Result<()> {
    let parent_of = |account: Uuid| async move {
        Ok(account::Entity::find_by_id(account)
            .select_only()
            .column(account::Column::ParentAccountId)
            .into_tuple::<Option<Uuid>>()
            .one(conn)
            .await?
            .flatten())
    };
    match walk_up(id, new_parent, parent_of).await? {
        Chain::Clear => Ok(()),
        Chain::ReachesSelf => Err(Error::rule(
            rules::PARENT_CYCLE,
            format!("accounts/{id}"),
            "the account would become its own ancestor",
        )),
        Chain::TooLong => Err(Error::rule(
            rules::HIERARCHY_TOO_DEEP,
            format!("accounts/{id}"),
            format!("account hierarchies are at most {MAX_CHAIN} levels deep"),
        )),
    }
}

pub(super) fn account_from_row(row: account::Model) -> Result<Account> {
    Ok(Account {
        id: row.id,
        external_id: row.external_id,
        display_name: row.display_name,
        legal_name: row.legal_name,
        industry: row.industry,
        region: row.region,
        parent_account_id: row.parent_account_id,
        lifecycle: Lifecycle::from_name(&row.lifecycle)
            .ok_or_else(|| Error::unknown_stored_value("lifecycle", &row.lifecycle))?,
        tier: Tier::from_name(&row.tier).ok_or_else(|| Error::unknown_stored_value("tier", &row.tier))?,
        relationship_stage: RelationshipStage::from_name(&row.relationship_stage)
            .ok_or_else(|| Error::unknown_stored_value("relationship_stage", &row.relationship_stage))?,
        rad_status: RadStatus::from_name(&row.rad_status)
            .ok_or_else(|| Error::unknown_stored_value("rad_status", &row.rad_status))?,
        create_time: row.create_time,
        update_time: row.update_time,
        delete_time: row.delete_time,
        key_dates: serde_json::from_value(row.key_dates)
            .map_err(|e| Error::unknown_stored_value("accounts.key_dates", &e.to_string()))?,
        revision: row.revision,
        industry_code: row.industry_code,
        region_code: row.region_code,
    })
}

fn key_dates_column(dates: &[KeyDate]) -> serde_json::Value {
    serde_json::to_value(dates).expect("key dates serialize")
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
        key_dates: account.key_dates.clone(),
        industry_code: account.industry_code.clone(),
        region_code: account.region_code.clone(),
    }
}

/// The longest free text of each kind (the columns' lengths): a segment's name that fills an empty
/// text is cut to it.
fn max_text(kind: SegmentKind) -> usize {
    match kind {
        SegmentKind::Industry => 200,
        SegmentKind::Region => 100,
    }
}

/// The free text and the code of `kind` in `fields`.
fn segment_parts(fields: &mut AccountFields, kind: SegmentKind) -> (&mut String, &mut Option<String>) {
    match kind {
        SegmentKind::Industry => (&mut fields.industry, &mut fields.industry_code),
        SegmentKind::Region => (&mut fields.region, &mut fields.region_code),
    }
}

/// An account's segment of `kind` as written: a code given must name a segment (FAILED_PRECONDITION
/// SEGMENT_NOT_FOUND) and fills an empty free text with the segment's name; without a code, the free
/// text is classified.
pub(super) async fn resolve_segment(
    conn: &impl ConnectionTrait,
    kind: SegmentKind,
    code: &mut Option<String>,
    text: &mut String,
) -> Result<()> {
    match code {
        Some(code) => {
            segments::store::directory::require_exists(conn, kind, code).await?;
            if text.is_empty() {
                let mut names =
                    segments::store::directory::names_of(conn, kind, std::slice::from_ref(code)).await?;
                *text = names
                    .remove(code.as_str())
                    .unwrap_or_default()
                    .chars()
                    .take(max_text(kind))
                    .collect();
            }
        }
        None if !text.is_empty() => {
            *code = segments::store::directory::classify(conn, kind, text).await?;
        }
        None => {}
    }
    Ok(())
}

/// The segment of `kind` of an account being updated from `current` to `fields`: resolved as written
/// when the update names the code; following the free text when only the text changed
/// (`model::code_after_text_change`). A field that changes this way joins `changed_fields`.
async fn reclassify(
    conn: &impl ConnectionTrait,
    kind: SegmentKind,
    current: &Account,
    fields: &mut AccountFields,
    changed_fields: &mut Vec<String>,
) -> Result<()> {
    let (text_path, code_path) = match kind {
        SegmentKind::Industry => ("industry", "industry_code"),
        SegmentKind::Region => ("region", "region_code"),
    };
    let (old_text, old_code) = match kind {
        SegmentKind::Industry => (&current.industry, &current.industry_code),
        SegmentKind::Region => (&current.region, &current.region_code),
    };
    let (text, code) = segment_parts(fields, kind);
    if changed_fields.iter().any(|path| path == code_path) {
        resolve_segment(conn, kind, code, text).await?;
    } else if text != old_text {
        let old_match = segments::store::directory::classify(conn, kind, old_text).await?;
        let new_match = segments::store::directory::classify(conn, kind, text).await?;
        *code = code_after_text_change(old_code.as_deref(), old_match.as_deref(), new_match.as_deref());
    }
    for (path, changed) in [(text_path, text != old_text), (code_path, code != old_code)] {
        if changed && !changed_fields.iter().any(|p| p == path) {
            changed_fields.push(path.to_owned());
        }
    }
    Ok(())
}

/// PERMISSION_DENIED when a REGIONAL_MANAGER, without a role that sees every account, gives an account
/// (`old` → `new`) a region it does not manage (`Region.manager_staff_ids`, or below one). Keeping the
/// region an account has, or clearing it, is always allowed.
async fn require_may_give_region(
    conn: &impl ConnectionTrait,
    ctx: &RequestContext,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<()> {
    let Some(new) = new else {
        return Ok(());
    };
    if old == Some(new) || ctx.visibility() == Visibility::All || !ctx.principal.has(Role::RegionalManager) {
        return Ok(());
    }
    if segments::store::directory::manages_region(conn, ctx.principal.staff_id, new).await? {
        return Ok(());
    }
    Err(Error::PermissionDenied(format!(
        "a REGIONAL_MANAGER may only give accounts regions it manages; it does not manage region {new:?}"
    )))
}

/// The fields a CreateAccount writes: an import's, and the key dates KAM keeps beside them.
fn created_field_names() -> Vec<String> {
    let mut names = account_field_names();
    names.push("key_dates".to_owned());
    names
}

/// The fields an import writes to a new account.
pub(super) fn account_field_names() -> Vec<String> {
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
        "industry_code",
        "region_code",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// What other areas need to know of an account to report on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSummary {
    pub id: Uuid,
    pub display_name: String,
    pub tier: Tier,
    pub create_time: DateTime<Utc>,
}

/// Every live account of `tiers`, in no particular order.
pub async fn live_accounts_in_tiers(
    conn: &impl ConnectionTrait,
    tiers: &[Tier],
) -> Result<Vec<AccountSummary>> {
    let rows: Vec<(Uuid, String, String, DateTime<Utc>)> = account::Entity::find()
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::DisplayName,
            account::Column::Tier,
            account::Column::CreateTime,
        ])
        .filter(account::Column::DeleteTime.is_null())
        .filter(account::Column::Tier.is_in(tiers.iter().map(|t| t.as_str())))
        .into_tuple()
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|(id, display_name, tier, create_time)| {
            let tier = Tier::from_name(&tier).ok_or_else(|| Error::unknown_stored_value("tier", &tier))?;
            Ok(AccountSummary {
                id,
                display_name,
                tier,
                create_time,
            })
        })
        .collect()
}

/// Rows per `UPDATE … WHERE id IN (…)`: well under SQLite's bind limit.
const TIER_UPDATE_CHUNK: usize = 500;

/// Stores new tiers (the planning area's ranking and overrides decide them), one statement per tier
/// and chunk of accounts; each account's revision moves, so etags held by clients go stale.
pub async fn set_tiers(conn: &impl ConnectionTrait, tiers: &[(Uuid, Tier)], at: DateTime<Utc>) -> Result<()> {
    for tier in Tier::ALL {
        let ids: Vec<Uuid> = tiers
            .iter()
            .filter(|(_, t)| t == tier)
            .map(|(id, _)| *id)
            .collect();
        for chunk in ids.chunks(TIER_UPDATE_CHUNK) {
            account::Entity::update_many()
                .col_expr(account::Column::Tier, Expr::value(tier.as_str()))
                .col_expr(account::Column::UpdateTime, Expr::value(at))
                .col_expr(
                    account::Column::Revision,
                    Expr::col(account::Column::Revision).add(1),
                )
                .filter(account::Column::Id.is_in(chunk.iter().copied()))
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

/// The tiers of `ids`, each of which must be a live account: NOT_FOUND for the first unknown id,
/// ACCOUNT_DELETED for the first deleted one. For writes that hang many rows off accounts at once.
/// Of `ids`, the accounts that exist, each with whether it is deleted: for callers that sort rows into
/// writable and not (imports) instead of refusing them all as [`require_live_accounts`] does.
pub async fn deletion_states(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, bool>> {
    let mut unique: Vec<Uuid> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut states = std::collections::HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(TIER_UPDATE_CHUNK) {
        let rows: Vec<(Uuid, Option<DateTime<Utc>>)> = account::Entity::find()
            .select_only()
            .columns([account::Column::Id, account::Column::DeleteTime])
            .filter(account::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        states.extend(rows.into_iter().map(|(id, deleted)| (id, deleted.is_some())));
    }
    Ok(states)
}

/// Of `external_ids`, the accounts that exist, each with its id and whether it is deleted: for imports
/// whose rows name accounts by the ERP's customer number.
pub async fn deletion_states_by_external_id(
    conn: &impl ConnectionTrait,
    external_ids: &[&str],
) -> Result<std::collections::HashMap<String, (Uuid, bool)>> {
    let found = super::accounts_by_external_id(conn, external_ids).await?;
    Ok(found
        .into_iter()
        .map(|(key, account)| (key, (account.id, account.deleted)))
        .collect())
}

pub async fn require_live_accounts(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Tier>> {
    let mut unique: Vec<Uuid> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut found = std::collections::HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(TIER_UPDATE_CHUNK) {
        let rows: Vec<(Uuid, String, Option<DateTime<Utc>>)> = account::Entity::find()
            .select_only()
            .columns([
                account::Column::Id,
                account::Column::Tier,
                account::Column::DeleteTime,
            ])
            .filter(account::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        for (id, tier, deleted) in rows {
            if deleted.is_some() {
                return Err(account_deleted(id));
            }
            let tier = Tier::from_name(&tier).ok_or_else(|| Error::unknown_stored_value("tier", &tier))?;
            found.insert(id, tier);
        }
    }
    if let Some(missing) = unique.iter().find(|id| !found.contains_key(id)) {
        return Err(Error::not_found(ACCOUNT, missing));
    }
    Ok(found)
}

/// The ids of accounts a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
/// A full sync leaves soft-deleted accounts out.
pub async fn account_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<account::Entity>(
        db.conn(),
        account::Column::Id,
        account::Column::Id,
        Condition::all().add(account::Column::DeleteTime.is_null()),
    )
    .await
}

/// Of `ids`, the accounts the caller may see (soft-deleted ones too), in one query.
pub async fn accounts_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<Account>> {
    let mut select = account::Entity::find().filter(account::Column::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, account::Column::Id) {
        select = select.filter(visible);
    }
    select
        .all(db.conn())
        .await?
        .into_iter()
        .map(account_from_row)
        .collect()
}
