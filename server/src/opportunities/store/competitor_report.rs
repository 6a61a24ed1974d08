//! GetCompetitorReport: how deals against each competitor went, computed in the database in a handful
//! of grouped queries (per competitor and currency; per competitor and account, the top ones ranked
//! there; per competitor and segment; the unmatched names), never loading the deals.
//!
//! A deal *faces* a name when it names it among its competitors or was lost to it; the name is a
//! competitor when one of the competitor's names or aliases has its match key. A deal counts when it
//! was alive in the range: created before its end, and open or closed at or after its start.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryResult};
use uuid::Uuid;

use super::{Amounts, analytics::Sql};
use crate::{
    accounts,
    identity::{Visibility, access},
    opportunities::{model::CompetitorReportQuery, rules, store::entity::competitor as competitor_entity},
    platform::{
        db::Db,
        error::Result,
        money::{self, Money},
    },
    segments::{
        model::{SegmentGrouping, SegmentKind},
        store::directory as segments,
    },
};

/// How deals against one competitor (or name) went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcomes {
    pub faced: i64,
    pub won: i64,
    pub lost_to: i64,
    pub lost_to_others: i64,
    pub open: i64,
    pub faced_amounts: Amounts,
    pub won_amounts: Amounts,
    pub lost_amounts: Amounts,
}

impl Outcomes {
    /// won / (won + lost_to); 0 when both are 0.
    pub fn win_rate(&self) -> f64 {
        rules::rate(self.won, self.won + self.lost_to)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SegmentOutcomes {
    /// Empty for accounts not classified; `name` is then their free text.
    pub code: String,
    pub name: String,
    pub outcomes: Outcomes,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccountPresence {
    pub account_id: Uuid,
    pub display_name: String,
    pub faced: i64,
    pub won: i64,
    pub lost_to: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompetitorReportRow {
    pub competitor_id: Uuid,
    pub competitor_name: String,
    pub outcomes: Outcomes,
    pub by_industry: Vec<SegmentOutcomes>,
    pub by_region: Vec<SegmentOutcomes>,
    pub top_accounts: Vec<AccountPresence>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UnmatchedName {
    pub name: String,
    pub faced: i64,
    pub lost_to: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompetitorReport {
    pub rows: Vec<CompetitorReportRow>,
    pub unmatched: Vec<UnmatchedName>,
}

/// The most unmatched names reported.
const MAX_UNMATCHED: i64 = 100;

/// The names each deal faces: those it names, and the one it was lost to when it does not name it.
const FACED_SQL: &str = "SELECT f.opportunity_id, f.name_key, f.name FROM opportunity_competitors f \
     UNION ALL \
     SELECT z.id, z.lost_to_competitor_key, z.lost_to_competitor FROM opportunities z \
     WHERE z.lost_to_competitor_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM opportunity_competitors g \
     WHERE g.opportunity_id = z.id AND g.name_key = z.lost_to_competitor_key)";

/// Whether the faced names are those of competitors (and which) or those of none.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Names {
    Matched,
    Unmatched,
}

/// The report's query under construction: the range's placeholders bound first.
struct ReportSql {
    sql: Sql,
    start: String,
    end: String,
}

impl ReportSql {
    fn new(db: &Db, query: &CompetitorReportQuery) -> Self {
        let mut sql = Sql::new(db.backend());
        let start = sql.bind(query.start);
        let end = sql.bind(query.end);
        Self { sql, start, end }
    }

    fn closed_in_range(&self, outcome: &str) -> String {
        format!(
            "o.outcome = '{outcome}' AND o.close_time >= {} AND o.close_time < {}",
            self.start, self.end
        )
    }

    /// The conditions of the outcome columns: won, lost to the name's competitor (or the name), lost
    /// to another or to no one named, and open.
    fn conditions(&self, names: Names) -> [String; 4] {
        let (lost_to_it, lost_to_another) = match names {
            Names::Matched => (
                "l.competitor_id = n.competitor_id",
                "(l.competitor_id IS NULL OR l.competitor_id <> n.competitor_id)",
            ),
            Names::Unmatched => (
                "o.lost_to_competitor_key = x.name_key",
                "(o.lost_to_competitor_key IS NULL OR o.lost_to_competitor_key <> x.name_key)",
            ),
        };
        let lost = self.closed_in_range("LOST");
        [
            self.closed_in_range("WON"),
            format!("{lost} AND {lost_to_it}"),
            format!("{lost} AND {lost_to_another}"),
            "o.outcome IS NULL".to_owned(),
        ]
    }

    /// `COUNT(*)`, the four outcome counts, and the three money sums (faced, won, lost to it) of
    /// [`money::sum_columns`].
    fn outcome_columns(&self, names: Names) -> String {
        let [won, lost_to, lost_others, open] = self.conditions(names);
        let flag = |condition: &str| format!("CASE WHEN {condition} THEN 1 ELSE 0 END");
        let count = |condition: &str| format!("CAST(SUM({}) AS BIGINT)", flag(condition));
        let sums = |factor: &str| money::sum_columns("o.amount_units", "o.amount_nanos", factor).join(", ");
        format!(
            "COUNT(*), {}, {}, {}, {}, {}, {}, {}",
            count(&won),
            count(&lost_to),
            count(&lost_others),
            count(&open),
            sums("1"),
            sums(&flag(&won)),
            sums(&flag(&lost_to)),
        )
    }

    /// The row source and the scope: the faced names of the deals alive in the range of the visible
    /// live accounts, narrowed to the query's segments and competitor.
    fn from(&mut self, query: &CompetitorReportQuery, visibility: Visibility, names: Names, more: &str) {
        // Matched: one row per deal and competitor it faces, however many of its names the deal
        // carries. Unmatched: one row per deal and name no competitor has.
        let faced = match names {
            Names::Matched => format!(
                "(SELECT DISTINCT f.opportunity_id AS opportunity_id, m.competitor_id AS competitor_id \
                 FROM ({FACED_SQL}) f JOIN competitor_names m ON m.name_key = f.name_key) n \
                 JOIN opportunities o ON o.id = n.opportunity_id"
            ),
            Names::Unmatched => format!(
                "({FACED_SQL}) x \
                 JOIN opportunities o ON o.id = x.opportunity_id \
                 LEFT JOIN competitor_names n ON n.name_key = x.name_key"
            ),
        };
        let (start, end) = (self.start.clone(), self.end.clone());
        self.sql.push(&format!(
            " FROM {faced} \
             JOIN ({}) a ON a.id = o.account_id \
             LEFT JOIN competitor_names l ON l.name_key = o.lost_to_competitor_key \
             {more} \
             WHERE a.delete_time IS NULL AND o.create_time < {end} \
             AND (o.close_time IS NULL OR o.close_time >= {start})",
            accounts::store::REPORT_ROWS_SQL
        ));
        if names == Names::Unmatched {
            self.sql.push(" AND n.name_key IS NULL");
        }
        if let Some(competitor) = query.competitor_id {
            let p = self.sql.bind(competitor);
            self.sql.push(&format!(" AND n.competitor_id = {p}"));
        }
        for (kind, code) in query.segments.codes() {
            let p = self.sql.bind(code.to_owned());
            let column = match kind {
                SegmentKind::Industry => "a.industry_code",
                SegmentKind::Region => "a.region_code",
            };
            self.sql
                .push(&format!(" AND {column} IN ({})", segments::subtree_sql(kind, &p)));
        }
        let sql = &mut self.sql;
        if let Some(visible) = access::visible_accounts_sql(visibility, |staff| sql.bind(staff)) {
            self.sql.push(&format!(" AND o.account_id IN ({visible})"));
        }
    }
}

/// Adds the outcome columns read from `row` at `first` (currency at `first - 1`) to `outcomes`.
fn add_outcomes(outcomes: &mut Outcomes, row: &QueryResult, first: usize) -> Result<()> {
    let currency: Option<String> = row.try_get_by_index(first - 1)?;
    let count = |at: usize| -> Result<i64> { Ok(row.try_get_by_index::<Option<i64>>(at)?.unwrap_or(0)) };
    let (faced, won, lost_to) = (count(first)?, count(first + 1)?, count(first + 2)?);
    outcomes.faced += faced;
    outcomes.won += won;
    outcomes.lost_to += lost_to;
    outcomes.lost_to_others += count(first + 3)?;
    outcomes.open += count(first + 4)?;
    let Some(currency) = currency else {
        return Ok(());
    };
    let total = |at: usize| -> Result<i128> {
        let part = |i: usize| -> Result<i64> { Ok(row.try_get_by_index::<Option<i64>>(i)?.unwrap_or(0)) };
        Ok(money::total_of_sums(part(at)?, part(at + 1)?, part(at + 2)?))
    };
    let sums = first + 5;
    for (amounts, n, at) in [
        (&mut outcomes.faced_amounts, faced, sums),
        (&mut outcomes.won_amounts, won, sums + 3),
        (&mut outcomes.lost_amounts, lost_to, sums + 6),
    ] {
        if n > 0 {
            add(amounts, &currency, n, total(at)?);
        }
    }
    Ok(())
}

fn add(amounts: &mut Amounts, currency: &str, count: i64, nanos: i128) {
    let entry = amounts
        .entry(currency.to_owned())
        .or_insert_with(|| (0, Money::saturating(currency, 0)));
    entry.0 += count;
    entry.1 = Money::saturating(currency, entry.1.total_nanos() + nanos);
}

/// GetCompetitorReport over the deals `visibility` lets the caller see.
pub async fn competitor_report(
    db: &Db,
    visibility: Visibility,
    query: &CompetitorReportQuery,
) -> Result<CompetitorReport> {
    let conn = db.conn();
    segments::require_filter(conn, &query.segments).await?;

    // Per competitor and currency.
    let mut report = ReportSql::new(db, query);
    let columns = report.outcome_columns(Names::Matched);
    report
        .sql
        .push(&format!("SELECT n.competitor_id, o.amount_currency, {columns}"));
    report.from(query, visibility, Names::Matched, "");
    report.sql.push(" GROUP BY n.competitor_id, o.amount_currency");
    let mut outcomes: HashMap<Uuid, Outcomes> = HashMap::new();
    for row in conn.query_all_raw(report.sql.statement()).await? {
        let competitor: Uuid = row.try_get_by_index(0)?;
        add_outcomes(outcomes.entry(competitor).or_default(), &row, 2)?;
    }
    if outcomes.is_empty() && query.competitor_id.is_some() {
        return Ok(CompetitorReport {
            rows: Vec::new(),
            unmatched: Vec::new(),
        });
    }

    let ids: Vec<Uuid> = outcomes.keys().copied().collect();
    let names: HashMap<Uuid, String> = competitor_entity::Entity::find()
        .filter(competitor_entity::Column::Id.is_in(ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut top = top_accounts(db, visibility, query).await?;
    let mut by_industry = by_segment(db, visibility, query, SegmentKind::Industry).await?;
    let mut by_region = by_segment(db, visibility, query, SegmentKind::Region).await?;
    let mut rows: Vec<CompetitorReportRow> = outcomes
        .into_iter()
        .map(|(id, outcomes)| CompetitorReportRow {
            competitor_id: id,
            competitor_name: names.get(&id).cloned().unwrap_or_default(),
            outcomes,
            by_industry: by_industry.remove(&id).unwrap_or_default(),
            by_region: by_region.remove(&id).unwrap_or_default(),
            top_accounts: top.remove(&id).unwrap_or_default(),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.outcomes
            .faced
            .cmp(&a.outcomes.faced)
            .then_with(|| a.competitor_name.cmp(&b.competitor_name))
            .then_with(|| a.competitor_id.cmp(&b.competitor_id))
    });
    let unmatched = if query.competitor_id.is_some() {
        Vec::new()
    } else {
        unmatched_names(db, visibility, query).await?
    };
    Ok(CompetitorReport { rows, unmatched })
}

/// Per competitor, the accounts with the most deals facing it (ranked in the database), named.
async fn top_accounts(
    db: &Db,
    visibility: Visibility,
    query: &CompetitorReportQuery,
) -> Result<HashMap<Uuid, Vec<AccountPresence>>> {
    let mut report = ReportSql::new(db, query);
    let [won, lost_to, _, _] = report.conditions(Names::Matched);
    report.sql.push(&format!(
        "SELECT competitor_id, account_id, faced, won, lost_to FROM (\
         SELECT n.competitor_id AS competitor_id, o.account_id AS account_id, COUNT(*) AS faced, \
         CAST(SUM(CASE WHEN {won} THEN 1 ELSE 0 END) AS BIGINT) AS won, \
         CAST(SUM(CASE WHEN {lost_to} THEN 1 ELSE 0 END) AS BIGINT) AS lost_to, \
         ROW_NUMBER() OVER (PARTITION BY n.competitor_id ORDER BY COUNT(*) DESC, o.account_id) AS place"
    ));
    report.from(query, visibility, Names::Matched, "");
    report.sql.push(&format!(
        " GROUP BY n.competitor_id, o.account_id) t WHERE place <= {} ORDER BY competitor_id, place",
        query.top_accounts
    ));
    let mut found: HashMap<Uuid, Vec<AccountPresence>> = HashMap::new();
    let mut account_ids = Vec::new();
    for row in db.conn().query_all_raw(report.sql.statement()).await? {
        let competitor: Uuid = row.try_get_by_index(0)?;
        let account_id: Uuid = row.try_get_by_index(1)?;
        account_ids.push(account_id);
        found.entry(competitor).or_default().push(AccountPresence {
            account_id,
            display_name: String::new(),
            faced: row.try_get_by_index(2)?,
            won: row.try_get_by_index::<Option<i64>>(3)?.unwrap_or(0),
            lost_to: row.try_get_by_index::<Option<i64>>(4)?.unwrap_or(0),
        });
    }
    account_ids.sort();
    account_ids.dedup();
    let names: HashMap<Uuid, String> = accounts::store::accounts_by_ids(db, visibility, &account_ids)
        .await?
        .into_iter()
        .map(|account| (account.id, account.display_name))
        .collect();
    for presences in found.values_mut() {
        for presence in presences {
            presence.display_name = names.get(&presence.account_id).cloned().unwrap_or_default();
        }
    }
    Ok(found)
}

/// Per competitor, the outcomes per segment of `kind` (rolled up to the query's depth), ordered by
/// code, the unclassified (empty code, under their free text) first.
async fn by_segment(
    db: &Db,
    visibility: Visibility,
    query: &CompetitorReportQuery,
    kind: SegmentKind,
) -> Result<HashMap<Uuid, Vec<SegmentOutcomes>>> {
    let (code_column, text_column) = match kind {
        SegmentKind::Industry => ("a.industry_code", "a.industry"),
        SegmentKind::Region => ("a.region_code", "a.region"),
    };
    let grouping = SegmentGrouping {
        kind,
        rollup_depth: query.rollup_depth,
    };
    let mut report = ReportSql::new(db, query);
    let columns = report.outcome_columns(Names::Matched);
    let code = "COALESCE(g.group_code, '')";
    let text = format!("CASE WHEN g.group_code IS NULL THEN COALESCE({text_column}, '') ELSE '' END");
    report.sql.push(&format!(
        "SELECT n.competitor_id, {code}, {text}, o.amount_currency, {columns}"
    ));
    let join = format!(
        "LEFT JOIN ({}) g ON g.code = {code_column}",
        segments::rollup_sql(grouping)
    );
    report.from(query, visibility, Names::Matched, &join);
    report.sql.push(&format!(
        " GROUP BY n.competitor_id, {code}, {text}, o.amount_currency"
    ));
    let mut grouped: HashMap<Uuid, BTreeMap<(String, String), Outcomes>> = HashMap::new();
    for row in db.conn().query_all_raw(report.sql.statement()).await? {
        let competitor: Uuid = row.try_get_by_index(0)?;
        let code: String = row.try_get_by_index(1)?;
        let text: String = row.try_get_by_index(2)?;
        let outcomes = grouped
            .entry(competitor)
            .or_default()
            .entry((code, text))
            .or_default();
        add_outcomes(outcomes, &row, 4)?;
    }
    let mut codes: Vec<String> = grouped
        .values()
        .flat_map(|segments| segments.keys().map(|(code, _)| code.clone()))
        .filter(|code| !code.is_empty())
        .collect();
    codes.sort();
    codes.dedup();
    let names = segments::names_of(db.conn(), kind, &codes).await?;
    Ok(grouped
        .into_iter()
        .map(|(competitor, segments)| {
            let segments = segments
                .into_iter()
                .map(|((code, text), outcomes)| SegmentOutcomes {
                    name: if code.is_empty() {
                        text
                    } else {
                        names.get(&code).cloned().unwrap_or_default()
                    },
                    code,
                    outcomes,
                })
                .collect();
            (competitor, segments)
        })
        .collect())
}

/// The names no competitor has, most faced first (ties by key), spelled as the most recent deal
/// facing them spells them.
async fn unmatched_names(
    db: &Db,
    visibility: Visibility,
    query: &CompetitorReportQuery,
) -> Result<Vec<UnmatchedName>> {
    let mut report = ReportSql::new(db, query);
    let [_, lost_to, _, _] = report.conditions(Names::Unmatched);
    report.sql.push(&format!(
        "SELECT name_key, name, faced, lost_to FROM (\
         SELECT x.name_key AS name_key, x.name AS name, \
         COUNT(*) OVER (PARTITION BY x.name_key) AS faced, \
         SUM(CASE WHEN {lost_to} THEN 1 ELSE 0 END) OVER (PARTITION BY x.name_key) AS lost_to, \
         ROW_NUMBER() OVER (PARTITION BY x.name_key ORDER BY o.create_time DESC, o.id DESC) AS latest"
    ));
    report.from(query, visibility, Names::Unmatched, "");
    report.sql.push(&format!(
        ") t WHERE latest = 1 ORDER BY faced DESC, name_key LIMIT {MAX_UNMATCHED}"
    ));
    let mut unmatched = Vec::new();
    for row in db.conn().query_all_raw(report.sql.statement()).await? {
        unmatched.push(UnmatchedName {
            name: row.try_get_by_index(1)?,
            faced: row.try_get_by_index(2)?,
            lost_to: row.try_get_by_index::<Option<i64>>(3)?.unwrap_or(0),
        });
    }
    Ok(unmatched)
}
