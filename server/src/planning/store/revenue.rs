//! Revenue records from the ERP: the batch upsert by external id, the list, and one account's months.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use kam_proto::v1 as pb;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Statement, Value,
};
use uuid::Uuid;

use super::{REVENUE_RECORD, live_accounts_among};
use crate::{
    accounts::store as accounts,
    identity::{
        Visibility,
        access::{require_visible_account, visible_accounts, visible_accounts_sql},
    },
    planning::store::entity::revenue_record as row_entity,
    planning::{
        model::{
            AccountKey, MonthTotal, RevenueFields, RevenueFilter, RevenueRecord, RevenueRow, UpsertOutcome,
        },
        rules::tiering::Period,
    },
    platform::{
        audit::{self, Change},
        batch::{BatchOutcome, Refusal},
        bulk::{Columns, Kind, find_columns_by_keys},
        db::{Db, now},
        error::{Error, Result},
        events::Payload,
        id_scan::IdScan,
        money::{self, Money},
        paging::{Cursor, Direction, Keyset, Page, SortKey},
        request::RequestContext,
    },
    segments::{
        model::{SegmentFilter, SegmentGrouping, SegmentKind},
        store::directory as segments,
    },
};

/// Creates the records whose external id is new, rewrites those whose account, period or amount
/// changed, and leaves the others alone, all in one transaction with one audit row and one
/// `RevenueRecordsUpserted` event for the batch. Every record's account must be live, or nothing is
/// written.
pub async fn upsert_revenue(
    db: &Db,
    ctx: &RequestContext,
    records: Vec<RevenueFields>,
) -> Result<UpsertOutcome> {
    let records = &records;
    db.write(|txn| async move {
        let txn = &*txn;
        let accounts: Vec<Uuid> = records.iter().map(|r| r.account_id).collect();
        live_accounts_among(txn, &accounts).await?;
        write_revenue(txn, ctx, records, false).await
    })
    .await
}

/// The import's upsert: like [`upsert_revenue`], but a record whose account is unknown or deleted is
/// refused on its own (by the index it came with) and the others are written. A row's account is the
/// one [`read_accounts_ahead`] found, else it is looked up in the writing transaction, which runs READ
/// COMMITTED ([`Db::write_rows`]). An account deleted before it was read is refused; one deleted after
/// keeps the revenue written, as any deleted account keeps its revenue. `expect_new`: whether most
/// records are likely new (see `write_revenue`).
pub async fn import_revenue(
    db: &Db,
    ctx: &RequestContext,
    rows: &[(u64, RevenueRow)],
    expect_new: bool,
) -> Result<BatchOutcome> {
    db.write_rows(|txn| async move {
        let txn = &*txn;
        let unread = rows.iter().filter(|(_, row)| row.account_state.is_none());
        let states = AccountStates::read(txn, unread.map(|(_, row)| row)).await?;
        let mut outcome = BatchOutcome::default();
        let mut writable = Vec::with_capacity(rows.len());
        for (index, row) in rows {
            let field = match row.account {
                AccountKey::Id(_) => "account_id",
                AccountKey::ExternalId(_) => "account_external_id",
            };
            match row.account_state.or_else(|| states.of(row)) {
                Some((account_id, false)) => writable.push(RevenueFields {
                    external_id: row.external_id.clone(),
                    account_id,
                    period: row.period,
                    amount: row.amount.clone(),
                }),
                Some((_, true)) => outcome.refused.push((
                    *index,
                    Refusal::rule("ACCOUNT_DELETED", field, "the account is deleted"),
                )),
                None => outcome
                    .refused
                    .push((*index, Refusal::not_found(field, "no such account"))),
            }
        }
        let written = write_revenue(txn, ctx, &writable, expect_new).await?;
        outcome.created = written.created.into();
        outcome.updated = written.updated.into();
        outcome.unchanged = written.unchanged.into();
        Ok(outcome)
    })
    .await
}

/// Reads the accounts `rows` name into their `account_state`, outside any transaction: an import
/// does this for a message while the message before it is written, so the writing transaction (on
/// SQLite, the one writer) does not wait for the lookup.
pub async fn read_accounts_ahead(db: &Db, rows: &mut [(u64, RevenueRow)]) -> Result<()> {
    let states = AccountStates::read(db.conn(), rows.iter().map(|(_, row)| row)).await?;
    for (_, row) in rows {
        row.account_state = states.of(row);
    }
    Ok(())
}

/// The accounts some rows name: each one's id and whether it is deleted.
struct AccountStates {
    by_id: HashMap<Uuid, bool>,
    by_external_id: HashMap<String, (Uuid, bool)>,
}

impl AccountStates {
    async fn read(conn: &impl ConnectionTrait, rows: impl Iterator<Item = &RevenueRow>) -> Result<Self> {
        let mut ids = Vec::new();
        let mut external_ids = Vec::new();
        for row in rows {
            match &row.account {
                AccountKey::Id(id) => ids.push(*id),
                AccountKey::ExternalId(key) => external_ids.push(key.as_str()),
            }
        }
        Ok(Self {
            by_id: accounts::deletion_states(conn, &ids).await?,
            by_external_id: accounts::deletion_states_by_external_id(conn, &external_ids).await?,
        })
    }

    fn of(&self, row: &RevenueRow) -> Option<(Uuid, bool)> {
        match &row.account {
            AccountKey::Id(id) => self.by_id.get(id).map(|deleted| (*id, *deleted)),
            AccountKey::ExternalId(key) => self.by_external_id.get(key).copied(),
        }
    }
}

/// A stored record as an import compares it: external id, id, account, period, amount (currency,
/// units, nanos).
type StoredColumns = (String, Uuid, Uuid, i32, String, i64, i32);

const NEW_RECORDS: Columns = Columns {
    table: "revenue_records",
    columns: &[
        ("id", Kind::Uuid),
        ("external_id", Kind::Text),
        ("account_id", Kind::Uuid),
        ("period", Kind::Int),
        ("amount_currency", Kind::Text),
        ("amount_units", Kind::BigInt),
        ("amount_nanos", Kind::Int),
        ("create_time", Kind::Time),
        ("update_time", Kind::Time),
    ],
};

const CHANGED_RECORDS: Columns = Columns {
    table: "revenue_records",
    columns: &[
        ("id", Kind::Uuid),
        ("account_id", Kind::Uuid),
        ("period", Kind::Int),
        ("amount_currency", Kind::Text),
        ("amount_units", Kind::BigInt),
        ("amount_nanos", Kind::Int),
        ("update_time", Kind::Time),
    ],
};

/// Writes `records` (of live accounts) in bulk: the new ones in one insert, the changed ones in one
/// update, the equal ones not at all; one audit row and event for the batch when anything changed.
///
/// Where is a record stored, if at all? When most records are expected to be new (`expect_new`: a
/// first load, a new month), every record is first inserted and skipped where its external id is
/// stored, and only when some were skipped are the stored ones looked up; otherwise (a re-run) they are
/// looked up first and only the missing ones inserted. Either way is right; the guess saves a statement.
async fn write_revenue(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    records: &[RevenueFields],
    expect_new: bool,
) -> Result<UpsertOutcome> {
    let at = now();
    let mut outcome = UpsertOutcome::default();
    let mut inserted_first = Vec::new();
    if expect_new {
        inserted_first = records.iter().map(|_| Uuid::now_v7()).collect();
        let rows = records.iter().zip(&inserted_first);
        let inserted = NEW_RECORDS
            .insert_new(
                txn,
                "external_id",
                rows.map(|(r, id)| new_row(*id, r, at)).collect(),
            )
            .await?;
        outcome.created = u32::try_from(inserted).expect("a batch holds far fewer than 2^32 records");
        if inserted == records.len() as u64 {
            return announce(txn, ctx, records, outcome, Vec::new()).await;
        }
    }
    let stored = stored_records(txn, records).await?;
    let mut new_rows = Vec::new();
    let mut changed_rows = Vec::new();
    let mut moves = Vec::new();
    for (n, record) in records.iter().enumerate() {
        match stored.get(&record.external_id) {
            Some((id, _)) if inserted_first.get(n) == Some(id) => {} // counted above
            Some((_, fields)) if fields == record => outcome.unchanged += 1,
            Some((id, fields)) => {
                outcome.updated += 1;
                changed_rows.push(changed_row(*id, record, at));
                if fields.account_id != record.account_id {
                    moves.push(pb::RevenueRecordMove {
                        revenue_record_id: id.to_string(),
                        from_account_id: fields.account_id.to_string(),
                        to_account_id: record.account_id.to_string(),
                    });
                }
            }
            None => {
                outcome.created += 1;
                new_rows.push(new_row(Uuid::now_v7(), record, at));
            }
        }
    }
    NEW_RECORDS
        .insert(txn, new_rows)
        .await
        // Two batches racing on one new external id: the loser retries and finds it stored.
        .map_err(Error::contention_on_unique)?;
    CHANGED_RECORDS.update(txn, "id", changed_rows).await?;
    announce(txn, ctx, records, outcome, moves).await
}

/// A new record's row of [`NEW_RECORDS`].
fn new_row(id: Uuid, record: &RevenueFields, at: DateTime<Utc>) -> Vec<Value> {
    let mut row = vec![id.into(), record.external_id.clone().into()];
    row.extend(compared_values(record));
    row.extend([at.into(), at.into()]);
    row
}

/// A stored record's row of [`CHANGED_RECORDS`].
fn changed_row(id: Uuid, record: &RevenueFields, at: DateTime<Utc>) -> Vec<Value> {
    let mut row = vec![id.into()];
    row.extend(compared_values(record));
    row.push(at.into());
    row
}

/// What an import compares and may change of a record: account, period, amount.
fn compared_values(record: &RevenueFields) -> [Value; 5] {
    [
        record.account_id.into(),
        record.period.into(),
        record.amount.currency.clone().into(),
        record.amount.units.into(),
        record.amount.nanos.into(),
    ]
}

/// The batch's audit row and event, when anything changed; then its outcome.
async fn announce(
    txn: &impl ConnectionTrait,
    ctx: &RequestContext,
    records: &[RevenueFields],
    outcome: UpsertOutcome,
    moves: Vec<pb::RevenueRecordMove>,
) -> Result<UpsertOutcome> {
    if outcome.created + outcome.updated > 0 {
        let batch = Uuid::now_v7();
        let event = Payload::RevenueRecordsUpserted(pb::RevenueBatch {
            created: outcome.created.into(),
            updated: outcome.updated.into(),
            unchanged: outcome.unchanged.into(),
            external_ids: records.iter().map(|r| r.external_id.clone()).collect(),
            moves,
        });
        let fields = vec!["records".to_owned()];
        audit::record(txn, ctx, Change::new(REVENUE_RECORD, batch, None, event, fields)).await?;
    }
    Ok(outcome)
}

/// The stored records among `records`, by external id: their ids and what an import compares.
async fn stored_records(
    txn: &impl ConnectionTrait,
    records: &[RevenueFields],
) -> Result<HashMap<String, (Uuid, RevenueFields)>> {
    let keys: Vec<&str> = records.iter().map(|r| r.external_id.as_str()).collect();
    let columns = [
        "external_id",
        "id",
        "account_id",
        "period",
        "amount_currency",
        "amount_units",
        "amount_nanos",
    ];
    let rows: Vec<StoredColumns> =
        find_columns_by_keys(txn, "revenue_records", "external_id", &columns, &keys).await?;
    Ok(rows
        .into_iter()
        .map(|(external_id, id, account_id, period, currency, units, nanos)| {
            let fields = RevenueFields {
                external_id: external_id.clone(),
                account_id,
                period,
                amount: Money {
                    currency,
                    units,
                    nanos,
                },
            };
            (external_id, (id, fields))
        })
        .collect())
}

fn fields_of(row: &row_entity::Model) -> RevenueFields {
    RevenueFields {
        external_id: row.external_id.clone(),
        account_id: row.account_id,
        period: row.period,
        amount: Money {
            currency: row.amount_currency.clone(),
            units: row.amount_units,
            nanos: row.amount_nanos,
        },
    }
}

fn record_of(row: row_entity::Model) -> RevenueRecord {
    RevenueRecord {
        id: row.id,
        fields: fields_of(&row),
        create_time: row.create_time,
        update_time: row.update_time,
    }
}

/// The records of the visible accounts matching `filter`, in creation order (or by external id).
pub async fn list_revenue(
    db: &Db,
    visibility: Visibility,
    filter: &RevenueFilter,
    by_external_id: bool,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<RevenueRecord>> {
    use row_entity::Column as C;
    if let Some(account) = filter.account_id {
        require_visible_account(db.conn(), visibility, account).await?;
    }
    let mut select = row_entity::Entity::find();
    if let Some(account) = filter.account_id {
        select = select.filter(C::AccountId.eq(account));
    }
    if let Some(from) = filter.from_period {
        select = select.filter(C::Period.gte(from));
    }
    if let Some(to) = filter.to_period {
        select = select.filter(C::Period.lte(to));
    }
    if let Some(in_segments) =
        crate::accounts::store::checked_in_segments(db.conn(), &filter.segments).await?
    {
        select = select.filter(C::AccountId.in_subquery(in_segments));
    }
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    let keyset = Keyset {
        sort: by_external_id.then_some(SortKey::Text(C::ExternalId)),
        id: C::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            (row.id, by_external_id.then(|| row.external_id.clone()))
        })
        .await?;
    Ok(Page {
        items: rows.into_iter().map(record_of).collect(),
        next,
    })
}

/// One account's revenue per month from `from` to `to` (inclusive), months without records as zero.
pub async fn monthly_revenue(
    db: &Db,
    visibility: Visibility,
    account_id: Uuid,
    months: &[Period],
    currency: &str,
) -> Result<Vec<MonthTotal>> {
    use row_entity::Column as C;
    // Visibility first, then existence (a deleted account's revenue stays readable).
    accounts::get_account(db, visibility, account_id).await?;
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(Vec::new());
    };
    let [high, low, nanos] = amount_sums();
    type Row = (i32, i64, Option<i64>, Option<i64>, Option<i64>);
    let rows: Vec<Row> = row_entity::Entity::find()
        .select_only()
        .column(C::Period)
        .column_as(C::Id.count(), "records")
        .column_as(high, "high")
        .column_as(low, "low")
        .column_as(nanos, "nanos")
        .filter(C::AccountId.eq(account_id))
        .filter(C::AmountCurrency.eq(currency))
        .filter(C::Period.gte(*first))
        .filter(C::Period.lte(*last))
        .group_by(C::Period)
        .into_tuple()
        .all(db.conn())
        .await?;
    let by_period: BTreeMap<i32, (i64, i128)> = rows
        .into_iter()
        .map(|(period, count, high, low, nanos)| (period, (count, total_of((high, low, nanos)))))
        .collect();
    Ok(months
        .iter()
        .map(|&period| {
            let (record_count, total) = by_period.get(&period).copied().unwrap_or_default();
            MonthTotal {
                period,
                amount: Money::saturating(currency, total),
                record_count,
            }
        })
        .collect())
}

/// The three overflow-proof sums of the records' amounts ([`money::sum_columns`]).
fn amount_sums() -> [sea_orm::sea_query::SimpleExpr; 3] {
    money::sum_columns("amount_units", "amount_nanos", "1").map(sea_orm::sea_query::Expr::cust)
}

/// The values of [`amount_sums`]; `None` when no record was summed.
type Sums = (Option<i64>, Option<i64>, Option<i64>);

/// The total of [`amount_sums`] in billionths; no records sum to 0.
fn total_of((high, low, nanos): Sums) -> i128 {
    money::total_of_sums(high.unwrap_or(0), low.unwrap_or(0), nanos.unwrap_or(0))
}

/// Revenue per account over an inclusive range of periods in `currency`, in billionths: the sums a
/// ranking reads (public for the tiering benchmark, which times them alone).
pub async fn revenue_by_account(
    conn: &impl ConnectionTrait,
    (first, last): (Period, Period),
    currency: &str,
) -> Result<HashMap<Uuid, i128>> {
    let backend = conn.get_database_backend();
    let (p1, p2, p3) = match backend {
        sea_orm::DatabaseBackend::Postgres => ("$1", "$2", "$3"),
        _ => ("?", "?", "?"),
    };
    let sql = format!(
        "SELECT account_id, {} \
         FROM revenue_records WHERE period >= {p1} AND period <= {p2} AND amount_currency = {p3} \
         GROUP BY account_id",
        money::sum_columns("amount_units", "amount_nanos", "1").join(", ")
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [first.into(), last.into(), currency.into()],
        ))
        .await?;
    let mut sums = HashMap::with_capacity(rows.len());
    for row in rows {
        let account: Uuid = row.try_get_by_index(0)?;
        let total = money::total_of_sums(
            row.try_get_by_index(1)?,
            row.try_get_by_index(2)?,
            row.try_get_by_index(3)?,
        );
        sums.insert(account, total);
    }
    Ok(sums)
}

/// [`revenue_by_account`] for some accounts only (a group's members): one grouped query per 500.
pub(super) async fn revenue_of_accounts(
    conn: &impl ConnectionTrait,
    accounts: &[Uuid],
    (first, last): (Period, Period),
    currency: &str,
) -> Result<HashMap<Uuid, i128>> {
    use row_entity::Column as C;
    let [high, low, nanos] = amount_sums();
    let mut sums = HashMap::with_capacity(accounts.len());
    for chunk in accounts.chunks(500) {
        type Row = (Uuid, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<Row> = row_entity::Entity::find()
            .select_only()
            .column(C::AccountId)
            .column_as(high.clone(), "high")
            .column_as(low.clone(), "low")
            .column_as(nanos.clone(), "nanos")
            .filter(C::AccountId.is_in(chunk.iter().copied()))
            .filter(C::AmountCurrency.eq(currency))
            .filter(C::Period.gte(first))
            .filter(C::Period.lte(last))
            .group_by(C::AccountId)
            .into_tuple()
            .all(conn)
            .await?;
        sums.extend(
            rows.into_iter()
                .map(|(account, high, low, nanos)| (account, total_of((high, low, nanos)))),
        );
    }
    Ok(sums)
}

/// One account's revenue over an inclusive range of periods in `currency`, in billionths.
pub(super) async fn account_revenue(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    (first, last): (Period, Period),
    currency: &str,
) -> Result<i128> {
    use row_entity::Column as C;
    let [high, low, nanos] = amount_sums();
    let sums: Option<Sums> = row_entity::Entity::find()
        .select_only()
        .column_as(high, "high")
        .column_as(low, "low")
        .column_as(nanos, "nanos")
        .filter(C::AccountId.eq(account_id))
        .filter(C::AmountCurrency.eq(currency))
        .filter(C::Period.gte(first))
        .filter(C::Period.lte(last))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(total_of(sums.unwrap_or_default()))
}

/// The ids of revenue records a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
pub async fn revenue_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<row_entity::Entity>(
        db.conn(),
        row_entity::Column::Id,
        row_entity::Column::AccountId,
        Condition::all(),
    )
    .await
}

/// Of `ids`, the revenue records of the accounts the caller may see, in one query.
pub async fn revenue_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<RevenueRecord>> {
    use row_entity::Column as C;
    let mut select = row_entity::Entity::find().filter(C::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    Ok(select.all(db.conn()).await?.into_iter().map(record_of).collect())
}

/// The ids and accounts of the records stored under `external_ids`, in one query (the change feed's
/// way from a batch's event to its records).
pub async fn revenue_ids_by_external_ids(db: &Db, external_ids: &[String]) -> Result<Vec<(Uuid, Uuid)>> {
    use row_entity::Column as C;
    Ok(row_entity::Entity::find()
        .select_only()
        .columns([C::Id, C::AccountId])
        .filter(C::ExternalId.is_in(external_ids.iter().cloned()))
        .into_tuple()
        .all(db.conn())
        .await?)
}

/// What GetRevenueReport sums: the records of an inclusive range of periods in the reporting currency,
/// of the live accounts the caller may see, narrowed by tier and segments, and perhaps grouped.
#[derive(Clone, Debug)]
pub struct RevenueReportQuery {
    pub first: Period,
    pub last: Period,
    pub currency: String,
    pub tier: Option<crate::accounts::model::Tier>,
    pub segments: SegmentFilter,
    pub group_by: Option<SegmentGrouping>,
}

/// One segment's revenue: its code and name, or for accounts classified under none an empty code and
/// their own free text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentRevenue {
    pub code: String,
    pub name: String,
    /// In billionths of the reporting currency.
    pub revenue: i128,
    /// Accounts with records in the range.
    pub account_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevenueReport {
    /// In billionths of the reporting currency: the sum of the segments' when grouped.
    pub total: i128,
    pub account_count: i64,
    /// With a grouping: ordered by code (the unclassified, empty code, first; among them by text).
    pub segments: Vec<SegmentRevenue>,
}

/// The statement of [`revenue_report`]: one aggregate query, grouped (with a grouping) by the segment
/// each account is reported under (the rollup row source joined on its code; accounts classified under
/// none by their free text). Columns: [code, text,] accounts, the three sums of
/// [`money::sum_columns`].
pub fn revenue_report_query(
    backend: sea_orm::DatabaseBackend,
    visibility: Visibility,
    query: &RevenueReportQuery,
) -> Statement {
    let mut values: Vec<Value> = Vec::new();
    let mut bind = |value: Value| {
        values.push(value);
        match backend {
            sea_orm::DatabaseBackend::Postgres => format!("${}", values.len()),
            _ => format!("?{}", values.len()),
        }
    };
    let (group, rollup) = match query.group_by {
        Some(grouping) => {
            let (code, text) = match grouping.kind {
                SegmentKind::Industry => ("a.industry_code", "a.industry"),
                SegmentKind::Region => ("a.region_code", "a.region"),
            };
            (
                format!(
                    "COALESCE(g.group_code, ''), \
                     CASE WHEN g.group_code IS NULL THEN COALESCE({text}, '') ELSE '' END"
                ),
                format!(
                    " LEFT JOIN ({}) g ON g.code = {code}",
                    segments::rollup_sql(grouping)
                ),
            )
        }
        None => (String::new(), String::new()),
    };
    let (first, last, currency) = (
        bind(query.first.into()),
        bind(query.last.into()),
        bind(query.currency.clone().into()),
    );
    // Each account's records are summed first, so the accounts are counted by COUNT(*) and the join
    // and grouping see one row per account: at 20,000 accounts × 12 months on PostgreSQL, grouping
    // the records themselves needed COUNT(DISTINCT), which sorted them all (1.8× the ungrouped query;
    // see docs/benchmarks.md).
    let [high, low, nanos] = money::sum_columns("amount_units", "amount_nanos", "1");
    let mut text = format!(
        "SELECT {group}{comma}COUNT(*), CAST(SUM(r.high) AS BIGINT), CAST(SUM(r.low) AS BIGINT), \
         CAST(SUM(r.nanos) AS BIGINT) \
         FROM (SELECT account_id, {high} AS high, {low} AS low, {nanos} AS nanos FROM revenue_records \
         WHERE period >= {first} AND period <= {last} AND amount_currency = {currency} \
         GROUP BY account_id) r \
         JOIN ({account_rows}) a ON a.id = r.account_id{rollup} \
         WHERE a.delete_time IS NULL",
        comma = if group.is_empty() { "" } else { ", " },
        account_rows = accounts::REPORT_ROWS_SQL,
    );
    if let Some(tier) = query.tier {
        let p = bind(tier.as_str().into());
        text.push_str(&format!(" AND a.tier = {p}"));
    }
    for (kind, code) in query.segments.codes() {
        let column = match kind {
            SegmentKind::Industry => "a.industry_code",
            SegmentKind::Region => "a.region_code",
        };
        let p = bind(code.to_owned().into());
        text.push_str(&format!(" AND {column} IN ({})", segments::subtree_sql(kind, &p)));
    }
    if let Some(visible) = visible_accounts_sql(visibility, |staff| bind(staff.into())) {
        text.push_str(&format!(" AND r.account_id IN ({visible})"));
    }
    if !group.is_empty() {
        text.push_str(&format!(" GROUP BY {group}"));
    }
    Statement::from_sql_and_values(backend, text, values)
}

/// GetRevenueReport: the revenue of the live accounts `visibility` lets the caller see over a range of
/// months, in one aggregate query; with a grouping, per segment, the total their sum.
pub async fn revenue_report(
    db: &Db,
    visibility: Visibility,
    query: &RevenueReportQuery,
) -> Result<RevenueReport> {
    segments::require_filter(db.conn(), &query.segments).await?;
    let statement = revenue_report_query(db.backend(), visibility, query);
    let first = if query.group_by.is_some() { 2 } else { 0 };
    let mut grouped: BTreeMap<(String, String), (i128, i64)> = BTreeMap::new();
    let (mut total, mut account_count) = (0i128, 0i64);
    for row in db.conn().query_all_raw(statement).await? {
        let accounts: i64 = row.try_get_by_index(first)?;
        let part =
            |at: usize| -> Result<i64> { Ok(row.try_get_by_index::<Option<i64>>(first + at)?.unwrap_or(0)) };
        let revenue = money::total_of_sums(part(1)?, part(2)?, part(3)?);
        total += revenue;
        account_count += accounts;
        if query.group_by.is_some() && accounts > 0 {
            let key: (String, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let entry = grouped.entry(key).or_default();
            entry.0 += revenue;
            entry.1 += accounts;
        }
    }
    let mut segment_rows = Vec::with_capacity(grouped.len());
    if let Some(grouping) = query.group_by {
        let codes: Vec<String> = grouped
            .keys()
            .map(|(code, _)| code.clone())
            .filter(|code| !code.is_empty())
            .collect();
        let names = segments::names_of(db.conn(), grouping.kind, &codes).await?;
        segment_rows = grouped
            .into_iter()
            .map(|((code, text), (revenue, account_count))| SegmentRevenue {
                name: if code.is_empty() {
                    text
                } else {
                    names.get(&code).cloned().unwrap_or_else(|| code.clone())
                },
                code,
                revenue,
                account_count,
            })
            .collect();
    }
    Ok(RevenueReport {
        total,
        account_count,
        segments: segment_rows,
    })
}
