//! Tiers: the ranking (read, and applied with its history and events), manual overrides, and the tier
//! history. The accounts' `tier` column itself belongs to the accounts area and is written through it.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Statement,
    sea_query::ExprTrait,
};
use uuid::Uuid;

use std::collections::HashMap;

use super::{TIER_OVERRIDE, live_accounts_among, revenue_by_account, tier_changed};
use crate::{
    accounts::{model::Tier, store as accounts},
    config::PlanningConfig,
    identity::{
        Visibility,
        access::{require_visible_account, visible_accounts},
    },
    opportunities::store::open_weighted_pipeline_by_account,
    planning::store::entity::{tier_change as change_entity, tier_override as override_entity},
    planning::{
        config::{RankBy, SegmentBy},
        convert::override_to_proto,
        model::{RankedAccount, SegmentPlace, TierChange, TierChangeSource, TierOverrideRecord, TierTable},
        rules::tiering::{self, TierInput, TierOverride, TierReason},
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
    segments::{
        model::{SegmentFilter, SegmentGrouping, SegmentKind},
        store::directory as segments,
    },
};

/// Rows per multi-row insert of tier changes (thirteen columns).
const CHUNK: usize = 1000;

/// Ranks every live account (or, with `planning.tiering.rank_by = "group"`, every group) at `as_of`
/// and, when `apply`, stores each changed tier with its history row and a `TierChanged` event, in one
/// transaction (so two rankings never interleave). Read only, it works on one snapshot.
pub async fn recompute_tiers(
    db: &Db,
    ctx: &RequestContext,
    as_of: DateTime<Utc>,
    config: &PlanningConfig,
    apply: bool,
) -> Result<TierTable> {
    let currency = config.reporting_currency.as_str();
    let ranks_groups = config.tiering.rank_by == RankBy::Group;
    if !apply {
        let snapshot = db.snapshot().await?;
        let rows = rank_accounts(&snapshot, as_of, config).await?;
        snapshot.commit().await?;
        return Ok(TierTable {
            as_of,
            applied: false,
            currency: currency.to_owned(),
            rows,
            ranks_groups,
        });
    }
    db.write(|txn| async move {
        let txn = &*txn;
        let rows = rank_accounts(txn, as_of, config).await?;
        let at = now();
        // Each account whose tier changes: a row's own account, and a group's other members, each
        // recorded with the row's revenue and cumulative share (what its tier was ranked on).
        let mut history: Vec<TierChange> = Vec::new();
        for row in &rows {
            let ranking = &row.ranking;
            let change = |account_id, old_tier, new_tier, reason| TierChange {
                id: Uuid::now_v7(),
                account_id,
                old_tier,
                new_tier,
                source: TierChangeSource::Ranking,
                reason,
                note: String::new(),
                as_of: Some(as_of),
                revenue: Money::from_total_nanos(currency, ranking.revenue),
                cumulative_share_ppm: Some(ranking.cumulative_share_ppm),
                change_time: at,
                changed_by: ctx.principal.staff_id,
            };
            if ranking.changed() {
                history.push(change(
                    ranking.account_id,
                    ranking.old_tier,
                    ranking.new_tier,
                    ranking.reason,
                ));
            }
            for member in row.members.iter().filter(|m| m.changed()) {
                history.push(change(
                    member.account_id,
                    member.old_tier,
                    member.new_tier,
                    member.reason,
                ));
            }
        }
        let tiers: Vec<(Uuid, Tier)> = history.iter().map(|c| (c.account_id, c.new_tier)).collect();
        accounts::set_tiers(txn, &tiers, at).await?;
        insert_changes(txn, &history).await?;
        let events = history.iter().map(tier_changed).collect();
        audit::record_many(txn, ctx, events).await?;
        Ok(TierTable {
            as_of,
            applied: true,
            currency: currency.to_owned(),
            rows: rows.clone(),
            ranks_groups,
        })
    })
    .await
}

/// The ranked table from what is stored now: live accounts, their revenue in both years, their open
/// weighted pipeline, and their overrides; ranked as accounts or as groups, and within segments when
/// the configuration asks.
async fn rank_accounts(
    conn: &impl ConnectionTrait,
    as_of: DateTime<Utc>,
    config: &PlanningConfig,
) -> Result<Vec<RankedAccount>> {
    let (shares, currency) = (&config.tiers, config.reporting_currency.as_str());
    let windows = tiering::revenue_windows(as_of);
    let live = accounts::live_accounts_in_tiers(conn, Tier::ALL).await?;
    let trailing = revenue_by_account(conn, windows.trailing, currency).await?;
    let previous = revenue_by_account(conn, windows.previous, currency).await?;
    let pipeline = open_weighted_pipeline_by_account(conn, currency).await?;
    let overrides: HashMap<Uuid, TierOverride> = override_entity::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|row| Ok((row.account_id, override_of(&row)?.into())))
        .collect::<Result<_>>()?;
    let names: HashMap<Uuid, String> = live.iter().map(|a| (a.id, a.display_name.clone())).collect();
    let inputs: Vec<TierInput> = live
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
    let row = |ranking: tiering::TierRanking, members| RankedAccount {
        display_name: names.get(&ranking.account_id).cloned().unwrap_or_default(),
        ranking,
        members,
        segment: None,
    };
    let mut rows: Vec<RankedAccount> = match config.tiering.rank_by {
        RankBy::Account => tiering::rank(inputs, shares, as_of)
            .into_iter()
            .map(|ranking| row(ranking, Vec::new()))
            .collect(),
        RankBy::Group => {
            let top_of = accounts::live_top_accounts(conn).await?;
            tiering::rank_groups(inputs, &top_of, shares, as_of)
                .into_iter()
                .map(|group| row(group.ranking, group.members))
                .collect()
        }
    };
    let kind = match config.tiering.segment_by {
        SegmentBy::None => return Ok(rows),
        SegmentBy::Industry => SegmentKind::Industry,
        SegmentBy::Region => SegmentKind::Region,
    };
    let segment_of = top_level_segments(conn, kind).await?;
    let codes: Vec<String> = segment_of.values().filter(|c| !c.is_empty()).cloned().collect();
    let names = segments::names_of(conn, kind, &codes).await?;
    let inputs = rows
        .iter()
        .map(|row| {
            let r = &row.ranking;
            let code = segment_of.get(&r.account_id).cloned().unwrap_or_default();
            let input = TierInput {
                account_id: r.account_id,
                revenue: r.revenue,
                previous_revenue: r.previous_revenue,
                weighted_pipeline: r.weighted_pipeline,
                current_tier: r.old_tier,
                tier_override: None,
            };
            (code, input)
        })
        .collect();
    let mut places: HashMap<Uuid, SegmentPlace> = HashMap::new();
    for (code, ranked) in tiering::rank_within_segments(inputs, shares, as_of) {
        let name = names.get(&code).cloned().unwrap_or_default();
        for ranking in ranked {
            let place = SegmentPlace {
                code: code.clone(),
                name: name.clone(),
                tier: ranking.ranked_tier,
                share_ppm: ranking.share_ppm,
                cumulative_share_ppm: ranking.cumulative_share_ppm,
            };
            places.insert(ranking.account_id, place);
        }
    }
    for row in &mut rows {
        row.segment = places.remove(&row.ranking.account_id);
    }
    Ok(rows)
}

/// Each live account's segment of `kind` at the top level of the tree (its own code rolled up to depth
/// 1), empty for an account not classified under one: one query over the accounts' and the segments'
/// row sources.
async fn top_level_segments(conn: &impl ConnectionTrait, kind: SegmentKind) -> Result<HashMap<Uuid, String>> {
    let column = match kind {
        SegmentKind::Industry => "industry_code",
        SegmentKind::Region => "region_code",
    };
    let rollup = segments::rollup_sql(SegmentGrouping {
        kind,
        rollup_depth: 1,
    });
    let sql = format!(
        "SELECT a.id, r.group_code FROM ({account_rows}) a LEFT JOIN ({rollup}) r ON r.code = a.{column} \
         WHERE a.delete_time IS NULL",
        account_rows = accounts::REPORT_ROWS_SQL,
    );
    let backend = conn.get_database_backend();
    let rows = conn.query_all_raw(Statement::from_string(backend, sql)).await?;
    let mut codes = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get_by_index(0)?;
        let code: Option<String> = row.try_get_by_index(1)?;
        codes.insert(id, code.unwrap_or_default());
    }
    Ok(codes)
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
    segments: &SegmentFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<TierChange>> {
    use change_entity::Column as C;
    let mut select = change_entity::Entity::find();
    if let Some(account) = account_id {
        require_visible_account(db.conn(), visibility, account).await?;
        select = select.filter(C::AccountId.eq(account));
    }
    if let Some(in_segments) = crate::accounts::store::checked_in_segments(db.conn(), segments).await? {
        select = select.filter(C::AccountId.in_subquery(in_segments));
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
