//! The funnel analytics, each one aggregate query in the database: rows are grouped and
//! summed there, and only one row per stage (and currency) comes back. The SQL is written out rather
//! than built, so what runs is what is read here; the few functions whose spelling differs between
//! SQLite and PostgreSQL (time differences in days) come from [`Dialect`].

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};
use uuid::Uuid;

use super::opportunities::with_pipelines;
use crate::{
    accounts::{self, model::Tier},
    identity::{Visibility, access::visible_accounts_sql},
    opportunities::store::entity::opportunity as row_entity,
    opportunities::{
        model::{ForecastCategory, Opportunity, Pipeline},
        rules,
    },
    platform::{
        db::Db,
        error::{Error, Result},
        money::{self, Money},
        paging::{Cursor, time_key},
    },
    segments::{
        model::{SegmentFilter, SegmentGrouping, SegmentKind},
        store::directory as segments,
    },
};

/// What an analytics call looks at: one pipeline, narrowed by owner, account, tier, the caller's
/// visibility, and a time range whose meaning each report defines.
#[derive(Clone, Debug)]
pub struct FunnelScope {
    pub pipeline: Pipeline,
    pub owner_staff_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub tier: Option<Tier>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub visibility: Visibility,
    /// The accounts' segments (each with everything below it).
    pub segments: SegmentFilter,
}

/// Amounts per currency: (count, sum).
pub type Amounts = BTreeMap<String, (i64, Money)>;

#[derive(Clone, Debug, PartialEq)]
pub struct StageSummary {
    pub stage: String,
    pub count: i64,
    pub amounts: Amounts,
    pub weighted: Amounts,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageConversion {
    pub stage: String,
    pub reached: i64,
    pub reached_next: i64,
    pub rate: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConversionReport {
    pub stages: Vec<StageConversion>,
    pub won: i64,
    pub lost: i64,
    pub win_rate: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageVelocity {
    pub stage: String,
    pub stays: i64,
    pub mean_days: f64,
    pub median_days: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VelocityReport {
    pub stages: Vec<StageVelocity>,
    pub won: i64,
    pub mean_cycle_days: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Forecast {
    /// PIPELINE, BEST_CASE, COMMIT, OMITTED, each present (in a segment's, only those with deals).
    pub categories: Vec<(ForecastCategory, Amounts)>,
    pub weighted_pipeline: Amounts,
    pub closed_won: Amounts,
    /// With a grouping: the same per segment, each with only its categories that hold deals (and no
    /// segments of its own).
    pub segments: Vec<SegmentRow<Forecast>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stalled {
    pub opportunity: Opportunity,
    pub days_in_stage: i64,
    pub stall_after_days: i32,
}

/// An SQL text and its values, with placeholders in the backend's spelling.
pub(super) struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(super) fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Binds `value` and returns its placeholder.
    pub(super) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    pub(super) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub(super) fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }

    /// Days from `from` to `to` (SQL expressions), as a double.
    fn days_between(&self, from: &str, to: &str) -> String {
        match self.backend {
            DatabaseBackend::Postgres => {
                format!("(CAST(EXTRACT(EPOCH FROM ({to} - {from})) AS DOUBLE PRECISION) / 86400.0)")
            }
            _ => format!("(julianday({to}) - julianday({from}))"),
        }
    }

    /// `FROM opportunities o JOIN <the accounts' report rows> a JOIN pipeline_stages s WHERE …` narrowed
    /// to `scope`, with the time range (if any) applied to `range_column`.
    fn scoped_from(&mut self, scope: &FunnelScope, range_column: Option<&str>) {
        self.scoped_from_grouped(scope, range_column, None);
    }

    /// [`Self::scoped_from`], with the rollup row source of `grouping` (if any) joined as `g` on the
    /// account's segment code (see [`group_columns`]).
    fn scoped_from_grouped(
        &mut self,
        scope: &FunnelScope,
        range_column: Option<&str>,
        grouping: Option<SegmentGrouping>,
    ) {
        let rollup = grouping.map(rollup_join).unwrap_or_default();
        self.push(&format!(
            " FROM opportunities o \
             JOIN ({}) a ON a.id = o.account_id \
             JOIN pipeline_stages s ON s.pipeline_id = o.pipeline_id AND s.key = o.stage{rollup} \
             WHERE a.delete_time IS NULL AND o.pipeline_id = ",
            accounts::store::REPORT_ROWS_SQL
        ));
        let pipeline = self.bind(scope.pipeline.id);
        self.push(&pipeline);
        if let Some(owner) = scope.owner_staff_id {
            let p = self.bind(owner);
            self.push(&format!(" AND o.owner_staff_id = {p}"));
        }
        if let Some(account) = scope.account_id {
            let p = self.bind(account);
            self.push(&format!(" AND o.account_id = {p}"));
        }
        if let Some(tier) = scope.tier {
            let p = self.bind(tier.as_str());
            self.push(&format!(" AND a.tier = {p}"));
        }
        self.in_segments(&scope.segments, "a");
        if let Some(visible) = visible_accounts_sql(scope.visibility, |staff| self.bind(staff)) {
            self.push(&format!(" AND o.account_id IN ({visible})"));
        }
        if let Some(column) = range_column {
            self.range(column, scope.start, scope.end);
        }
    }

    /// `FROM opportunity_stays x WHERE …` narrowed to `scope`, the range applied to the stays' end.
    /// The narrowing is written as `IN` subqueries on the stays' own columns (no join), so that the
    /// velocity index can still deliver the stays of a stage in length order.
    fn stays_from(&mut self, scope: &FunnelScope) {
        self.push(" FROM opportunity_stays x WHERE x.pipeline_id = ");
        let pipeline = self.bind(scope.pipeline.id);
        self.push(&pipeline);
        self.push(&format!(
            " AND x.account_id NOT IN (SELECT d.id FROM ({}) d WHERE d.delete_time IS NOT NULL)",
            accounts::store::REPORT_ROWS_SQL
        ));
        if let Some(owner) = scope.owner_staff_id {
            let p = self.bind(owner);
            self.push(&format!(
                " AND x.opportunity_id IN (SELECT o.id FROM opportunities o WHERE o.owner_staff_id = {p})"
            ));
        }
        if let Some(account) = scope.account_id {
            let p = self.bind(account);
            self.push(&format!(" AND x.account_id = {p}"));
        }
        if let Some(tier) = scope.tier {
            let p = self.bind(tier.as_str());
            self.push(&format!(
                " AND x.account_id IN (SELECT a.id FROM ({}) a WHERE a.tier = {p})",
                accounts::store::REPORT_ROWS_SQL
            ));
        }
        if !scope.segments.is_empty() {
            self.push(&format!(
                " AND x.account_id IN (SELECT sa.id FROM ({}) sa WHERE 1 = 1",
                accounts::store::REPORT_ROWS_SQL
            ));
            self.in_segments(&scope.segments, "sa");
            self.push(")");
        }
        if let Some(visible) = visible_accounts_sql(scope.visibility, |staff| self.bind(staff)) {
            self.push(&format!(" AND x.account_id IN ({visible})"));
        }
        self.range("x.leave_time", scope.start, scope.end);
    }

    /// ` AND <accounts>.industry_code IN (…) AND …`: the accounts (rows of `REPORT_ROWS_SQL` named
    /// `accounts`) in the segments `filter` names, each with everything below it.
    fn in_segments(&mut self, filter: &SegmentFilter, accounts: &str) {
        for (kind, code) in filter.codes() {
            let p = self.bind(code.to_owned());
            let column = match kind {
                SegmentKind::Industry => "industry_code",
                SegmentKind::Region => "region_code",
            };
            self.push(&format!(
                " AND {accounts}.{column} IN ({})",
                segments::subtree_sql(kind, &p)
            ));
        }
    }

    fn range(&mut self, column: &str, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) {
        if let Some(start) = start {
            let p = self.bind(start);
            self.push(&format!(" AND {column} >= {p}"));
        }
        if let Some(end) = end {
            let p = self.bind(end);
            self.push(&format!(" AND {column} < {p}"));
        }
    }
}

/// The aggregate columns of amounts: currency, count, the sum of the amounts and the same weighted by
/// the effective probability (summed as amount × percent, so the division happens once, exactly), each
/// as the three overflow-proof sums of [`money::sum_columns`].
fn amount_columns() -> String {
    let probability = "COALESCE(o.probability_override, s.probability)";
    format!(
        "o.amount_currency, COUNT(*), {}, {}",
        money::sum_columns("o.amount_units", "o.amount_nanos", "1").join(", "),
        money::sum_columns("o.amount_units", "o.amount_nanos", probability).join(", "),
    )
}

/// Exact sums of one currency, not yet rounded: how many deals, their amounts in billionths, and
/// their weighted amounts in hundredths of billionths (amount × percent). Groups add these up, so a
/// total is rounded once, on its sum, whatever it is the sum of.
#[derive(Clone, Copy, Debug, Default)]
struct RawSum {
    count: i64,
    nanos: i128,
    hundredths: i128,
}

/// [`RawSum`]s per currency.
type RawAmounts = BTreeMap<String, RawSum>;

/// Reads the [`amount_columns`] starting at column `first`: the currency (None for deals without an
/// amount) and the sums.
fn read_raw(row: &QueryResult, first: usize) -> Result<(Option<String>, RawSum)> {
    let currency: Option<String> = row.try_get_by_index(first)?;
    let count: i64 = row.try_get_by_index(first + 1)?;
    if currency.is_none() {
        return Ok((
            None,
            RawSum {
                count,
                ..RawSum::default()
            },
        ));
    }
    let total = |at: usize| -> Result<i128> {
        Ok(money::total_of_sums(
            row.try_get_by_index(at)?,
            row.try_get_by_index(at + 1)?,
            row.try_get_by_index(at + 2)?,
        ))
    };
    let sum = RawSum {
        count,
        nanos: total(first + 2)?,
        hundredths: total(first + 5)?,
    };
    Ok((currency, sum))
}

fn add_raw(amounts: &mut RawAmounts, currency: &str, sum: RawSum) {
    let entry = amounts.entry(currency.to_owned()).or_default();
    entry.count += sum.count;
    entry.nanos += sum.nanos;
    entry.hundredths += sum.hundredths;
}

/// The amounts of `raw`, per currency.
fn amounts_of(raw: &RawAmounts) -> Amounts {
    raw.iter()
        .map(|(currency, sum)| {
            (
                currency.clone(),
                (sum.count, Money::saturating(currency, sum.nanos)),
            )
        })
        .collect()
}

/// The weighted amounts of `raw`, per currency, each rounded once.
fn weighted_of(raw: &RawAmounts) -> Amounts {
    raw.iter()
        .map(|(currency, sum)| {
            (
                currency.clone(),
                (sum.count, Money::weighted(currency, sum.hundredths)),
            )
        })
        .collect()
}

/// A group of a report broken down by segment: the segment's code and name, or for accounts not
/// classified under one, an empty code and their own free text as the name.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentRow<T> {
    pub code: String,
    pub name: String,
    pub value: T,
}

/// A group's key as the grouped queries return it: (code, free text), see [`group_columns`]. Ordered
/// as the reports list their segments: by code, the unclassified (empty code) first, among them by
/// text.
type GroupKey = (String, String);

/// The rollup row source of `grouping`, joined as `g` on the account's code of its kind.
fn rollup_join(grouping: SegmentGrouping) -> String {
    let code = match grouping.kind {
        SegmentKind::Industry => "a.industry_code",
        SegmentKind::Region => "a.region_code",
    };
    format!(
        " LEFT JOIN ({}) g ON g.code = {code}",
        segments::rollup_sql(grouping)
    )
}

/// The two columns a grouped query groups by (after [`rollup_join`]): the code of the segment the
/// account is reported under ('' for accounts classified under none) and, for those, their free
/// text of the grouping's kind ('' for the others).
fn group_columns(kind: SegmentKind) -> String {
    let text = match kind {
        SegmentKind::Industry => "a.industry",
        SegmentKind::Region => "a.region",
    };
    format!(
        "COALESCE(g.group_code, ''), CASE WHEN g.group_code IS NULL THEN COALESCE({text}, '') ELSE '' END"
    )
}

/// Reads a [`GroupKey`] at columns `at` and `at + 1`.
fn read_group(row: &QueryResult, at: usize) -> Result<GroupKey> {
    Ok((row.try_get_by_index(at)?, row.try_get_by_index(at + 1)?))
}

/// The groups in order with their names (the segments' names; the free text for the unclassified).
async fn named<T, U>(
    db: &Db,
    kind: SegmentKind,
    groups: BTreeMap<GroupKey, T>,
    mut finish: impl FnMut(T) -> Option<U>,
) -> Result<Vec<SegmentRow<U>>> {
    let codes: Vec<String> = groups
        .keys()
        .map(|(code, _)| code)
        .filter(|code| !code.is_empty())
        .cloned()
        .collect();
    let names = segments::names_of(db.conn(), kind, &codes).await?;
    Ok(groups
        .into_iter()
        .filter_map(|((code, text), value)| {
            let value = finish(value)?;
            let name = if code.is_empty() {
                text
            } else {
                names.get(&code).cloned().unwrap_or_else(|| code.clone())
            };
            Some(SegmentRow { code, name, value })
        })
        .collect())
}

/// One stage's deals, not yet rounded: how many (with or without an amount) and their sums.
#[derive(Clone, Debug, Default)]
struct RawStage {
    count: i64,
    amounts: RawAmounts,
}

impl RawStage {
    fn add(&mut self, currency: Option<&str>, sum: RawSum) {
        self.count += sum.count;
        if let Some(currency) = currency {
            add_raw(&mut self.amounts, currency, sum);
        }
    }

    fn finish(self, stage: &str) -> StageSummary {
        StageSummary {
            stage: stage.to_owned(),
            count: self.count,
            amounts: amounts_of(&self.amounts),
            weighted: weighted_of(&self.amounts),
        }
    }
}

fn summary_query(
    backend: DatabaseBackend,
    scope: &FunnelScope,
    group_by: Option<SegmentGrouping>,
) -> Statement {
    let mut sql = Sql::new(backend);
    let group = group_by.map(|g| group_columns(g.kind));
    match &group {
        Some(group) => sql.push(&format!("SELECT o.stage, {group}, {}", amount_columns())),
        None => sql.push(&format!("SELECT o.stage, {}", amount_columns())),
    };
    sql.scoped_from_grouped(scope, Some("o.create_time"), group_by);
    sql.push(" GROUP BY o.stage, o.amount_currency");
    if let Some(group) = &group {
        sql.push(&format!(", {group}"));
    }
    sql.statement()
}

/// GetFunnelSummary: every stage of the pipeline in order, and with `group_by` each segment's stages
/// that hold deals.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelSummary {
    pub stages: Vec<StageSummary>,
    pub segments: Vec<SegmentRow<Vec<StageSummary>>>,
}

/// GetFunnelSummary: per stage, the opportunities now in it (created in the range): count, amount and
/// weighted amount per currency; with `group_by`, the same per segment in the same query, the totals
/// their sum.
pub async fn funnel_summary(
    db: &Db,
    scope: &FunnelScope,
    group_by: Option<SegmentGrouping>,
) -> Result<FunnelSummary> {
    segments::require_filter(db.conn(), &scope.segments).await?;
    let rows = db
        .conn()
        .query_all_raw(summary_query(db.backend(), scope, group_by))
        .await?;
    let mut total: BTreeMap<String, RawStage> = BTreeMap::new();
    let mut grouped: BTreeMap<GroupKey, BTreeMap<String, RawStage>> = BTreeMap::new();
    for row in rows {
        let stage: String = row.try_get_by_index(0)?;
        let first = if group_by.is_some() { 3 } else { 1 };
        let (currency, sum) = read_raw(&row, first)?;
        if group_by.is_some() {
            grouped
                .entry(read_group(&row, 1)?)
                .or_default()
                .entry(stage.clone())
                .or_default()
                .add(currency.as_deref(), sum);
        }
        total.entry(stage).or_default().add(currency.as_deref(), sum);
    }
    let stages = scope.pipeline.stages();
    let segments = match group_by {
        Some(grouping) => {
            named(db, grouping.kind, grouped, |mut by_stage| {
                let held: Vec<StageSummary> = stages
                    .iter()
                    .filter_map(|stage| Some(by_stage.remove(&stage.key)?.finish(&stage.key)))
                    .filter(|summary| summary.count > 0)
                    .collect();
                (!held.is_empty()).then_some(held)
            })
            .await?
        }
        None => Vec::new(),
    };
    Ok(FunnelSummary {
        stages: stages
            .iter()
            .map(|stage| total.remove(&stage.key).unwrap_or_default().finish(&stage.key))
            .collect(),
        segments,
    })
}

/// How many of the cohort got furthest to each stage (kept by the read model: the lost stage never
/// counts, a deal lost got as far as the stages it passed).
fn furthest_query(backend: DatabaseBackend, scope: &FunnelScope) -> Statement {
    let mut sql = Sql::new(backend);
    sql.push("SELECT o.furthest_stage, COUNT(*)");
    sql.scoped_from(scope, Some("o.create_time"));
    sql.push(" AND o.furthest_stage IS NOT NULL GROUP BY o.furthest_stage");
    sql.statement()
}

/// Won and lost among the deals closed in the range.
fn outcomes_query(backend: DatabaseBackend, scope: &FunnelScope) -> Statement {
    let mut sql = Sql::new(backend);
    sql.push("SELECT o.outcome, COUNT(*)");
    sql.scoped_from(scope, Some("o.close_time"));
    sql.push(" AND o.outcome IS NOT NULL GROUP BY o.outcome");
    sql.statement()
}

/// GetConversionReport: reached(k) over the cohort created in the range, from each opportunity's
/// furthest stage in its history (the lost stage left out), and the win rate of those closed in the
/// range.
pub async fn conversion_report(db: &Db, scope: &FunnelScope) -> Result<ConversionReport> {
    segments::require_filter(db.conn(), &scope.segments).await?;
    let rows = db
        .conn()
        .query_all_raw(furthest_query(db.backend(), scope))
        .await?;
    // The ladder: the open stages, then the won stage; the lost stage is no rung, wherever the pipeline
    // puts it.
    let ladder: Vec<&str> = scope
        .pipeline
        .stages()
        .iter()
        .filter(|s| !s.closed_lost)
        .map(|s| s.key.as_str())
        .collect();
    let mut furthest = vec![0i64; ladder.len()];
    for row in rows {
        let stage: String = row.try_get_by_index(0)?;
        let count: i64 = row.try_get_by_index(1)?;
        // A furthest stage the pipeline no longer has (its stages were replaced) is no rung: such deals
        // reached nothing the pipeline still names.
        if let Some(rung) = ladder.iter().position(|key| *key == stage) {
            furthest[rung] += count;
        }
    }
    let reached = rules::reached_counts(&furthest);
    let stages = ladder
        .iter()
        .enumerate()
        .map(|(k, stage)| {
            let reached_next = reached.get(k + 1).copied().unwrap_or(0);
            StageConversion {
                stage: (*stage).to_owned(),
                reached: reached[k],
                reached_next,
                rate: rules::rate(reached_next, reached[k]),
            }
        })
        .collect();

    let (mut won, mut lost) = (0, 0);
    for row in db
        .conn()
        .query_all_raw(outcomes_query(db.backend(), scope))
        .await?
    {
        let outcome: String = row.try_get_by_index(0)?;
        let count: i64 = row.try_get_by_index(1)?;
        match outcome.as_str() {
            "WON" => won += count,
            _ => lost += count,
        }
    }
    Ok(ConversionReport {
        stages,
        won,
        lost,
        win_rate: rules::rate(won, won + lost),
    })
}

/// Per stage: how many stays ended in the range and their total length in seconds.
fn stay_totals_query(backend: DatabaseBackend, scope: &FunnelScope) -> Statement {
    let mut sql = Sql::new(backend);
    sql.push("SELECT x.stage, COUNT(*), CAST(SUM(x.seconds) AS BIGINT)");
    sql.stays_from(scope);
    sql.push(" GROUP BY x.stage");
    sql.statement()
}

/// The middle one (odd `stays`) or two (even) of the lengths in seconds of the `stays` stays in
/// `stage` that ended in the range: the median found by its rank, which the velocity index serves in
/// length order, where a percentile aggregate would sort every stay.
fn stay_median_query(backend: DatabaseBackend, scope: &FunnelScope, stage: &str, stays: i64) -> Statement {
    let mut sql = Sql::new(backend);
    sql.push("SELECT x.seconds");
    sql.stays_from(scope);
    let p = sql.bind(stage);
    sql.push(&format!(
        " AND x.stage = {p} ORDER BY x.seconds LIMIT {} OFFSET {}",
        2 - stays % 2,
        (stays - 1) / 2
    ));
    sql.statement()
}

const SECONDS_PER_DAY: f64 = 86_400.0;

/// GetVelocityReport: per open stage, the mean and median length of the stays that ended in the range
/// (a stay ends at the next stage change of the same opportunity), and the mean cycle of the deals won
/// in the range. One snapshot, so the medians' ranks match the counts.
pub async fn velocity_report(db: &Db, scope: &FunnelScope) -> Result<VelocityReport> {
    segments::require_filter(db.conn(), &scope.segments).await?;
    let snapshot = db.snapshot().await?;
    let backend = db.backend();
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for row in snapshot.query_all_raw(stay_totals_query(backend, scope)).await? {
        let stage: String = row.try_get_by_index(0)?;
        totals.insert(stage, (row.try_get_by_index(1)?, row.try_get_by_index(2)?));
    }
    let mut stages = Vec::new();
    for stage in scope.pipeline.stages().iter().filter(|s| s.is_open()) {
        let (stays, seconds) = totals.get(&stage.key).copied().unwrap_or((0, 0));
        let median_days = if stays == 0 {
            0.0
        } else {
            let middle = snapshot
                .query_all_raw(stay_median_query(backend, scope, &stage.key, stays))
                .await?
                .iter()
                .map(|row| row.try_get_by_index::<i64>(0))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            middle.iter().sum::<i64>() as f64 / middle.len().max(1) as f64 / SECONDS_PER_DAY
        };
        stages.push(StageVelocity {
            stage: stage.key.clone(),
            stays,
            mean_days: if stays == 0 {
                0.0
            } else {
                seconds as f64 / stays as f64 / SECONDS_PER_DAY
            },
            median_days,
        });
    }

    let row = snapshot
        .query_one_raw(cycle_query(backend, scope))
        .await?
        .expect("an aggregate without GROUP BY returns one row");
    let won: i64 = row.try_get_by_index(0)?;
    let mean_cycle_days: Option<f64> = row.try_get_by_index(1)?;
    snapshot.commit().await?;
    Ok(VelocityReport {
        stages,
        won,
        mean_cycle_days: mean_cycle_days.unwrap_or(0.0),
    })
}

/// How many deals were won in the range, and their mean days from creation to close.
fn cycle_query(backend: DatabaseBackend, scope: &FunnelScope) -> Statement {
    let mut sql = Sql::new(backend);
    let cycle = sql.days_between("o.create_time", "o.close_time");
    sql.push(&format!("SELECT COUNT(*), AVG({cycle})"));
    sql.scoped_from(scope, Some("o.close_time"));
    sql.push(" AND o.outcome = 'WON'");
    sql.statement()
}

/// The forecast's categories in the order it lists them.
const FORECAST_ORDER: [ForecastCategory; 4] = [
    ForecastCategory::Pipeline,
    ForecastCategory::BestCase,
    ForecastCategory::Commit,
    ForecastCategory::Omitted,
];

/// A forecast's sums, not yet rounded.
#[derive(Clone, Debug, Default)]
struct RawForecast {
    /// By position in [`FORECAST_ORDER`].
    categories: [RawAmounts; 4],
    weighted_pipeline: RawAmounts,
    closed_won: RawAmounts,
}

impl RawForecast {
    fn add_open(&mut self, category: ForecastCategory, currency: &str, sum: RawSum) {
        if let Some(at) = FORECAST_ORDER.iter().position(|c| *c == category) {
            add_raw(&mut self.categories[at], currency, sum);
        }
        if category != ForecastCategory::Omitted {
            add_raw(&mut self.weighted_pipeline, currency, sum);
        }
    }

    /// Every category when `all`, else only those with deals.
    fn finish(&self, all: bool) -> Forecast {
        Forecast {
            categories: FORECAST_ORDER
                .iter()
                .zip(&self.categories)
                .filter(|(_, raw)| all || !raw.is_empty())
                .map(|(category, raw)| (*category, amounts_of(raw)))
                .collect(),
            weighted_pipeline: weighted_of(&self.weighted_pipeline),
            closed_won: amounts_of(&self.closed_won),
            segments: Vec::new(),
        }
    }
}

/// GetForecast: open deals expected to close in the range by effective category, their weighted sum
/// (OMITTED left out), and the deals won in the range; with `group_by`, the same per segment from the
/// same queries, the totals their sum.
pub async fn forecast(db: &Db, scope: &FunnelScope, group_by: Option<SegmentGrouping>) -> Result<Forecast> {
    segments::require_filter(db.conn(), &scope.segments).await?;
    let first = if group_by.is_some() { 3 } else { 1 };
    let mut total = RawForecast::default();
    let mut grouped: BTreeMap<GroupKey, RawForecast> = BTreeMap::new();
    for row in db
        .conn()
        .query_all_raw(forecast_query(db.backend(), scope, group_by))
        .await?
    {
        let raw: String = row.try_get_by_index(0)?;
        let category = ForecastCategory::from_name(&raw)
            .ok_or_else(|| Error::unknown_stored_value("forecast_category", &raw))?;
        let (Some(currency), sum) = read_raw(&row, first)? else {
            continue;
        };
        if group_by.is_some() {
            grouped
                .entry(read_group(&row, 1)?)
                .or_default()
                .add_open(category, &currency, sum);
        }
        total.add_open(category, &currency, sum);
    }
    for row in db
        .conn()
        .query_all_raw(closed_won_query(db.backend(), scope, group_by))
        .await?
    {
        let (Some(currency), sum) = read_raw(&row, first - 1)? else {
            continue;
        };
        if group_by.is_some() {
            add_raw(
                &mut grouped.entry(read_group(&row, 0)?).or_default().closed_won,
                &currency,
                sum,
            );
        }
        add_raw(&mut total.closed_won, &currency, sum);
    }
    let mut forecast = total.finish(true);
    if let Some(grouping) = group_by {
        forecast.segments = named(db, grouping.kind, grouped, |raw| Some(raw.finish(false))).await?;
    }
    Ok(forecast)
}

/// Open deals expected to close in the range, by effective category and currency (and group).
fn forecast_query(
    backend: DatabaseBackend,
    scope: &FunnelScope,
    group_by: Option<SegmentGrouping>,
) -> Statement {
    let mut sql = Sql::new(backend);
    let category = "COALESCE(o.forecast_category_override, s.forecast_category)";
    let group = group_by
        .map(|g| format!(", {}", group_columns(g.kind)))
        .unwrap_or_default();
    sql.push(&format!("SELECT {category}{group}, {}", amount_columns()));
    sql.scoped_from_grouped(scope, None, group_by);
    sql.push(" AND o.outcome IS NULL");
    let (start, end) = (scope.start.map(first_day), scope.end.map(last_day));
    if let Some(start) = start {
        let p = sql.bind(start);
        sql.push(&format!(" AND o.expected_close_date >= {p}"));
    }
    if let Some(end) = end {
        let p = sql.bind(end);
        sql.push(&format!(" AND o.expected_close_date <= {p}"));
    }
    if start.is_some() || end.is_some() {
        sql.push(" AND o.expected_close_date IS NOT NULL");
    }
    sql.push(&format!(" GROUP BY {category}, o.amount_currency{group}"));
    sql.statement()
}

/// Deals won in the range, by currency (and group: then the group's columns come first).
fn closed_won_query(
    backend: DatabaseBackend,
    scope: &FunnelScope,
    group_by: Option<SegmentGrouping>,
) -> Statement {
    let mut sql = Sql::new(backend);
    match group_by {
        Some(g) => sql.push(&format!("SELECT {}, {}", group_columns(g.kind), amount_columns())),
        None => sql.push(&format!("SELECT {}", amount_columns())),
    };
    sql.scoped_from_grouped(scope, None, group_by);
    sql.push(" AND o.outcome = 'WON'");
    sql.range("o.close_time", scope.start, scope.end);
    sql.push(" GROUP BY o.amount_currency");
    if let Some(g) = group_by {
        sql.push(&format!(", {}", group_columns(g.kind)));
    }
    sql.statement()
}

/// The first whole day at or after `time` (a range starting mid-day starts with that day).
fn first_day(time: DateTime<Utc>) -> NaiveDate {
    time.date_naive()
}

/// The last day in a range ending at `time` (exclusive): the day of the instant just before it. The
/// bound is inclusive so that a range ending at the API's last instant needs no day past 9999-12-31,
/// which would overflow near chrono's limit and, as text on SQLite (`+10000-01-01`), sort before every
/// date.
fn last_day(time: DateTime<Utc>) -> NaiveDate {
    time.checked_sub_signed(Duration::nanoseconds(1))
        .unwrap_or(time)
        .date_naive()
}

/// One page of stalled deals: id, stage enter time, days in stage, the stage's stall days.
fn stalled_query(
    backend: DatabaseBackend,
    scope: &FunnelScope,
    now: DateTime<Utc>,
    page_size: u64,
    after: Option<&Cursor>,
) -> Result<Statement> {
    let mut sql = Sql::new(backend);
    let at = sql.bind(now);
    let days = sql.days_between("o.stage_enter_time", &at);
    sql.push(&format!(
        "SELECT o.id, o.stage_enter_time, {days}, s.stall_after_days"
    ));
    sql.scoped_from(scope, None);
    sql.push(&format!(
        " AND o.outcome IS NULL AND s.stall_after_days > 0 AND {days} > s.stall_after_days"
    ));
    if let Some(cursor) = after {
        let entered = cursor
            .key
            .as_deref()
            .and_then(|k| DateTime::parse_from_rfc3339(k).ok())
            .ok_or_else(|| Error::invalid("page_token", "malformed page token"))?
            .with_timezone(&Utc);
        let (t, id) = (sql.bind(entered), sql.bind(cursor.id));
        sql.push(&format!(
            " AND (o.stage_enter_time > {t} OR (o.stage_enter_time = {t} AND o.id > {id}))"
        ));
    }
    sql.push(&format!(
        " ORDER BY o.stage_enter_time, o.id LIMIT {}",
        page_size + 1
    ));
    Ok(sql.statement())
}

/// ListStalledOpportunities: open deals longer in their stage than the stage's `stall_after_days`,
/// longest in their stage first; one page after `after`.
pub async fn stalled_opportunities(
    db: &Db,
    scope: &FunnelScope,
    now: DateTime<Utc>,
    page_size: u64,
    after: Option<&Cursor>,
) -> Result<(Vec<Stalled>, Option<Cursor>)> {
    segments::require_filter(db.conn(), &scope.segments).await?;
    let statement = stalled_query(db.backend(), scope, now, page_size, after)?;
    let rows = db.conn().query_all_raw(statement).await?;
    let mut found: Vec<(Uuid, DateTime<Utc>, f64, i32)> = Vec::with_capacity(rows.len());
    for row in rows {
        found.push((
            row.try_get_by_index(0)?,
            row.try_get_by_index(1)?,
            row.try_get_by_index(2)?,
            row.try_get_by_index(3)?,
        ));
    }
    let next = (found.len() as u64 > page_size).then(|| {
        let (id, entered, _, _) = found[page_size as usize - 1];
        Cursor {
            key: Some(time_key(entered)),
            id,
        }
    });
    found.truncate(page_size as usize);
    let ids: Vec<Uuid> = found.iter().map(|(id, ..)| *id).collect();
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = row_entity::Entity::find()
        .filter(row_entity::Column::Id.is_in(ids))
        .all(db.conn())
        .await?;
    let mut by_id: BTreeMap<Uuid, Opportunity> = with_pipelines(db.conn(), rows)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let stalled = found
        .into_iter()
        .filter_map(|(id, _, days, stall_after_days)| {
            by_id.remove(&id).map(|opportunity| Stalled {
                opportunity,
                days_in_stage: days.floor() as i64,
                stall_after_days,
            })
        })
        .collect();
    Ok((stalled, next))
}

/// Every statement each analytics RPC runs for `scope`, keyed by RPC name: what the benchmark issues
/// directly to the database to compare with the RPC. GetVelocityReport's median statements depend on
/// the stay counts, so those are read from `db` first, as the RPC does.
pub async fn queries_by_rpc(
    db: &Db,
    scope: &FunnelScope,
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, Vec<Statement>)>> {
    let backend = db.backend();
    let mut velocity = vec![stay_totals_query(backend, scope)];
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for row in db.conn().query_all_raw(stay_totals_query(backend, scope)).await? {
        counts.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    }
    for stage in scope.pipeline.stages().iter().filter(|s| s.is_open()) {
        if let Some(stays) = counts.get(&stage.key).filter(|n| **n > 0) {
            velocity.push(stay_median_query(backend, scope, &stage.key, *stays));
        }
    }
    velocity.push(cycle_query(backend, scope));
    Ok(vec![
        ("GetFunnelSummary", vec![summary_query(backend, scope, None)]),
        (
            "GetConversionReport",
            vec![furthest_query(backend, scope), outcomes_query(backend, scope)],
        ),
        ("GetVelocityReport", velocity),
        (
            "GetForecast",
            vec![
                forecast_query(backend, scope, None),
                closed_won_query(backend, scope, None),
            ],
        ),
        (
            "ListStalledOpportunities",
            vec![stalled_query(
                backend,
                scope,
                now,
                crate::platform::paging::DEFAULT_PAGE_SIZE,
                None,
            )?],
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forecast_ranges_become_whole_days() {
        let midnight = "2026-03-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let noon = "2026-03-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(last_day(midnight), NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        assert_eq!(last_day(noon), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(first_day(noon), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        // The API's last instant ends with its last day; nothing past 9999 is ever bound.
        let last = "9999-12-31T23:59:59.999999999Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(last_day(last), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap());
    }

    #[test]
    fn placeholders_follow_the_backend() {
        let mut pg = Sql::new(DatabaseBackend::Postgres);
        assert_eq!((pg.bind(1), pg.bind(2)), ("$1".to_owned(), "$2".to_owned()));
        let mut lite = Sql::new(DatabaseBackend::Sqlite);
        assert_eq!((lite.bind(1), lite.bind(2)), ("?1".to_owned(), "?2".to_owned()));
    }
}
