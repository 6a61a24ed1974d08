//! Tiers: the ranking (read, and applied with its history and events), manual overrides, and the tier
//! history. The accounts' `tier` column itself belongs to the accounts area and is written through it.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, sea_query::ExprTrait,
};
use uuid::Uuid;

use super::{TIER_OVERRIDE, live_accounts_among, revenue_by_account, tier_changed};
use crate::{
    accounts::{model::Tier, store as accounts},
    identity::{
        Visibility,
        access::{require_visible_account, visible_accounts},
    },
    opportunities::store::open_weighted_pipeline_by_account,
    planning::store::entity::{tier_change as change_entity, tier_override as override_entity},
    planning::{
        convert::override_to_proto,
        model::{RankedAccount, TierChange, TierChangeSource, TierOverrideRecord, TierTable},
        rules::tiering::{self, TierInput, TierOverride, TierReason, TierShares},
    },
    platform::{
        audit::{self, Change},
        db::{Db, now},
        error::{Error, Result},
        events::{self, Payload},
        id_scan::IdScan,
        money::Money,
        paging::{Cursor, Direction, Keyset, Page},
        request::RequestContext,
    },
};

/// Rows per multi-row insert of tier changes (thirteen columns).
const CHUNK: usize = 1000;

/// Ranks every live account at `as_of` and, when `apply`, stores each changed tier with its history
/// row and a `TierChanged` event, in one transaction (so two rankings never interleave). Read only,
/// it works on one snapshot.
pub async fn recompute_tiers(
    db: &Db,
    ctx: &RequestContext,
    as_of: DateTime<Utc>,
    shares: &TierShares,
    currency: &str,
    apply: bool,
) -> Result<TierTable> {
    if !apply {
        let snapshot = db.snapshot().await?;
        let rows = rank_accounts(&snapshot, as_of, shares, currency).await?;
        snapshot.commit().await?;
        return Ok(TierTable {
            as_of,
            applied: false,
            currency: currency.to_owned(),
            rows,
        });
    }
    db.write(|txn| async move {
        let txn = &*txn;
        let rows = rank_accounts(txn, as_of, shares, currency).await?;
        let at = now();
        let changed: Vec<&RankedAccount> = rows.iter().filter(|r| r.ranking.changed()).collect();
        let tiers: Vec<(Uuid, Tier)> = changed
            .iter()
            .map(|r| (r.ranking.account_id, r.ranking.new_tier))
            .collect();
        accounts::set_tiers(txn, &tiers, at).await?;
        let history: Vec<TierChange> = changed
            .iter()
            .map(|row| {
                let ranking = &row.ranking;
                TierChange {
                    id: Uuid::now_v7(),
                    account_id: ranking.account_id,
                    old_tier: ranking.old_tier,
                    new_tier: ranking.new_tier,
                    source: TierChangeSource::Ranking,
                    reason: ranking.reason,
                    note: String::new(),
                    as_of: Some(as_of),
                    revenue: Money::from_total_nanos(currency, ranking.revenue),
                    cumulative_share_ppm: Some(ranking.cumulative_share_ppm),
                    change_time: at,
                    changed_by: ctx.principal.staff_id,
                }
            })
            .collect();
        insert_changes(txn, &history).await?;
        let events = history.iter().map(tier_changed).collect();
        audit::record_many(txn, ctx, events).await?;
        Ok(TierTable {
            as_of,
            applied: true,
            currency: currency.to_owned(),
            rows: rows.clone(),
        })
    })
    .await
}

/// The ranked table from what is stored now: live accounts, their revenue in both years, their open
/// weighted pipeline, and their overrides.
async fn rank_accounts(
    conn: &impl ConnectionTrait,
    as_of: DateTime<Utc>,
    shares: &TierShares,
    currency: &str,
) -> Result<Vec<RankedAccount>> {
    let windows = tiering::revenue_windows(as_of);
    let live = accounts::live_accounts_in_tiers(conn, Tier::ALL).await?;
    let trailing = revenue_by_account(conn, windows.trailing, currency).await?;
    let previous = revenue_by_account(conn, windows.previous, currency).await?;
    let pipeline = open_weighted_pipeline_by_account(conn, currency).await?;
    let overrides: std::collections::HashMap<Uuid, TierOverride> = override_entity::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|row| Ok((row.account_id, override_of(&row)?.into())))
        .collect::<Result<_>>()?;
    let names: std::collections::HashMap<Uuid, String> =
        live.iter().map(|a| (a.id, a.display_name.clone())).collect();
    let inputs = live
        .iter()
        .map(|account| TierInput {
            account_id: account.id,
            revenue: trailing.get(&account.id).copied().unwrap_or(0),
            previous_revenue: previous.get(&account.id).copied().unwrap_or(0),
            weighted_pipeline: pipeline.get(&account.id).copied().unwrap_or(0),
            current_tier: account.tier,
            tier_override: overrides.get(&account.id).copied(),
        })
        .collect();
    Ok(tiering::rank(inputs, shares, as_of)
        .into_iter()
        .map(|ranking| RankedAccount {
            display_name: names.get(&ranking.account_id).cloned().unwrap_or_default(),
            ranking,
        })
        .collect())
}

impl From<TierOverrideRecord> for TierOverride {
    fn from(record: TierOverrideRecord) -> Self {
        TierOverride {
            tier: record.tier,
            expire_time: record.expire_time,
        }
    }
}

async fn insert_changes(conn: &impl ConnectionTrait, changes: &[TierChange]) -> Result<()> {
    for chunk in changes.chunks(CHUNK) {
        let rows = chunk.iter().map(|c| change_entity::ActiveModel {
            id: Set(c.id),
            account_id: Set(c.account_id),
            old_tier: Set(c.old_tier.as_str().to_owned()),
            new_tier: Set(c.new_tier.as_str().to_owned()),
            source: Set(c.source.as_str().to_owned()),
            reason: Set(c.reason.as_str().to_owned()),
            note: Set(c.note.clone()),
            as_of: Set(c.as_of),
            revenue_currency: Set(c.revenue.as_ref().map(|m| m.currency.clone())),
            revenue_units: Set(c.revenue.as_ref().map(|m| m.units)),
            revenue_nanos: Set(c.revenue.as_ref().map(|m| m.nanos)),
            cumulative_share_ppm: Set(c.cumulative_share_ppm),
            change_time: Set(c.change_time),
            changed_by: Set(c.changed_by),
        });
        change_entity::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Sets (or replaces) the account's override; its tier applies at once, with a history row when it
/// changes the account's tier.
pub async fn set_override(
    db: &Db,
    ctx: &RequestContext,
    account_id: Uuid,
    tier: Tier,
    reason: &str,
    expire_time: Option<DateTime<Utc>>,
) -> Result<TierOverrideRecord> {
    db.write(|txn| async move {
        let txn = &*txn;
        let current = live_accounts_among(txn, &[account_id]).await?;
        let old_tier = current.get(&account_id).copied().unwrap_or(Tier::Standard);
        let at = now();
        let record = TierOverrideRecord {
            account_id,
            tier,
            reason: reason.to_owned(),
            expire_time,
            set_by: ctx.principal.staff_id,
            set_time: at,
        };
        override_entity::Entity::delete_by_id(account_id)
            .exec(txn)
            .await?;
        override_entity::Entity::insert(override_entity::ActiveModel {
            account_id: Set(account_id),
            tier: Set(tier.as_str().to_owned()),
            reason: Set(record.reason.clone()),
            expire_time: Set(expire_time),
            set_by: Set(record.set_by),
            set_time: Set(at),
        })
        .exec_without_returning(txn)
        .await?;
        let change = (old_tier != tier).then(|| TierChange {
            id: Uuid::now_v7(),
            account_id,
            old_tier,
            new_tier: tier,
            source: TierChangeSource::Override,
            reason: TierReason::Override,
            note: record.reason.clone(),
            as_of: None,
            revenue: None,
            cumulative_share_ppm: None,
            change_time: at,
            changed_by: ctx.principal.staff_id,
        });
        if let Some(change) = &change {
            accounts::set_tiers(txn, &[(account_id, tier)], at).await?;
            insert_changes(txn, std::slice::from_ref(change)).await?;
            audit::record(txn, ctx, tier_changed(change)).await?;
        }
        let fields = ["tier", "reason", "expire_time"].map(str::to_owned).to_vec();
        let set = Payload::TierOverrideSet(override_to_proto(record.clone(), at));
        audit::record(
            txn,
            ctx,
            Change::new(TIER_OVERRIDE, account_id, Some(account_id), set, fields),
        )
        .await?;
        Ok(record.clone())
    })
    .await
}

/// Removes the account's override; NOT_FOUND when it has none. The tier stays until the next ranking.
pub async fn clear_override(db: &Db, ctx: &RequestContext, account_id: Uuid) -> Result<()> {
    db.write(|txn| async move {
        let txn = &*txn;
        if override_entity::Entity::find_by_id(account_id)
            .one(txn)
            .await?
            .is_none()
        {
            return Err(Error::not_found(TIER_OVERRIDE, account_id));
        }
        override_entity::Entity::delete_by_id(account_id)
            .exec(txn)
            .await?;
        let cleared = Payload::TierOverrideCleared(events::tombstone(account_id, Some(account_id), now()));
        audit::record(
            txn,
            ctx,
            Change::new(TIER_OVERRIDE, account_id, Some(account_id), cleared, vec![]),
        )
        .await?;
        Ok(())
    })
    .await
}

/// The overrides of the visible accounts, by account id; expired ones only when asked.
pub async fn list_overrides(
    db: &Db,
    visibility: Visibility,
    show_expired: bool,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<TierOverrideRecord>> {
    use override_entity::Column as C;
    let mut select = override_entity::Entity::find();
    if !show_expired {
        select = select.filter(C::ExpireTime.is_null().or(C::ExpireTime.gt(now())));
    }
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    let keyset = Keyset {
        sort: None,
        id: C::AccountId,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            (row.account_id, None)
        })
        .await?;
    Ok(Page {
        items: rows.iter().map(override_of).collect::<Result<_>>()?,
        next,
    })
}

/// Tier changes, newest first: of one account, or of every visible account.
pub async fn list_tier_changes(
    db: &Db,
    visibility: Visibility,
    account_id: Option<Uuid>,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<TierChange>> {
    use change_entity::Column as C;
    let mut select = change_entity::Entity::find();
    if let Some(account) = account_id {
        require_visible_account(db.conn(), visibility, account).await?;
        select = select.filter(C::AccountId.eq(account));
    }
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    // UUIDv7 ids follow the change time.
    let keyset = Keyset {
        sort: None,
        id: C::Id,
        direction: Direction::Descending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    Ok(Page {
        items: rows.into_iter().map(change_of).collect::<Result<_>>()?,
        next,
    })
}

fn stored<T>(column: &str, raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(raw).ok_or_else(|| Error::unknown_stored_value(column, raw))
}

fn override_of(row: &override_entity::Model) -> Result<TierOverrideRecord> {
    Ok(TierOverrideRecord {
        account_id: row.account_id,
        tier: stored("tier_overrides.tier", &row.tier, Tier::from_name)?,
        reason: row.reason.clone(),
        expire_time: row.expire_time,
        set_by: row.set_by,
        set_time: row.set_time,
    })
}

fn change_of(row: change_entity::Model) -> Result<TierChange> {
    let revenue = match (row.revenue_currency, row.revenue_units, row.revenue_nanos) {
        (Some(currency), Some(units), Some(nanos)) => Some(Money {
            currency,
            units,
            nanos,
        }),
        _ => None,
    };
    Ok(TierChange {
        id: row.id,
        account_id: row.account_id,
        old_tier: stored("tier_changes.old_tier", &row.old_tier, Tier::from_name)?,
        new_tier: stored("tier_changes.new_tier", &row.new_tier, Tier::from_name)?,
        source: stored("tier_changes.source", &row.source, TierChangeSource::from_name)?,
        reason: stored("tier_changes.reason", &row.reason, TierReason::from_name)?,
        note: row.note,
        as_of: row.as_of,
        revenue,
        cumulative_share_ppm: row.cumulative_share_ppm,
        change_time: row.change_time,
        changed_by: row.changed_by,
    })
}

/// The ids of tier changes a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
pub async fn tier_change_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<change_entity::Entity>(
        db.conn(),
        change_entity::Column::Id,
        change_entity::Column::AccountId,
        Condition::all(),
    )
    .await
}

/// Of `ids`, the tier changes of the accounts the caller may see, in one query.
pub async fn tier_changes_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<TierChange>> {
    use change_entity::Column as C;
    let mut select = change_entity::Entity::find().filter(C::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    select.all(db.conn()).await?.into_iter().map(change_of).collect()
}
