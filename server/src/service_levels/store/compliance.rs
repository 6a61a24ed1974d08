//! The SLA compliance report (see `GetSlaComplianceReportResponse` in the proto for the definitions):
//! one aggregate query over the columns every write stores, grouped by the account's tier and the
//! request's priority; only one row per group comes back, and the clock never runs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use uuid::Uuid;

use crate::{
    accounts::{self, model::Tier},
    identity::{Visibility, access::visible_accounts_sql},
    platform::{
        db::Db,
        error::{Error, Result},
    },
    segments::{
        model::{SegmentFilter, SegmentGrouping, SegmentKind},
        store::directory as segments,
    },
    service_levels::model::Priority,
};

/// What the report looks at.
#[derive(Clone, Debug)]
pub struct ComplianceScope {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Empty: every tier.
    pub tiers: Vec<Tier>,
    pub account_id: Option<Uuid>,
    pub visibility: Visibility,
    /// The accounts' segments (each with everything below it).
    pub segments: SegmentFilter,
    /// Also break the report down by segment.
    pub group_by: Option<SegmentGrouping>,
}

/// Sums for one group; the means are derived.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Compliance {
    pub first_response_met: i64,
    pub first_response_breached: i64,
    pub resolution_met: i64,
    pub resolution_breached: i64,
    pub first_response_minutes: i64,
    pub first_responses: i64,
    pub resolution_minutes: i64,
    pub resolutions: i64,
}

impl Compliance {
    pub fn met(&self) -> i64 {
        self.first_response_met + self.resolution_met
    }

    pub fn breached(&self) -> i64 {
        self.first_response_breached + self.resolution_breached
    }

    /// 100 × met / (met + breached); 0 when nothing concluded.
    pub fn percent_met(&self) -> f64 {
        let concluded = self.met() + self.breached();
        if concluded == 0 {
            0.0
        } else {
            100.0 * self.met() as f64 / concluded as f64
        }
    }

    pub fn mean_first_response_minutes(&self) -> f64 {
        mean(self.first_response_minutes, self.first_responses)
    }

    pub fn mean_resolution_minutes(&self) -> f64 {
        mean(self.resolution_minutes, self.resolutions)
    }

    fn is_empty(&self) -> bool {
        self.met() + self.breached() + self.first_responses + self.resolutions == 0
    }

    fn add(&mut self, other: &Compliance) {
        self.first_response_met += other.first_response_met;
        self.first_response_breached += other.first_response_breached;
        self.resolution_met += other.resolution_met;
        self.resolution_breached += other.resolution_breached;
        self.first_response_minutes += other.first_response_minutes;
        self.first_responses += other.first_responses;
        self.resolution_minutes += other.resolution_minutes;
        self.resolutions += other.resolutions;
    }
}

fn mean(sum: i64, count: i64) -> f64 {
    if count == 0 {
        0.0
    } else {
        sum as f64 / count as f64
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ComplianceReport {
    /// Tier (STRATEGIC first), then priority (P1 first); groups with nothing counted are left out.
    pub rows: Vec<(Tier, Priority, Compliance)>,
    pub total: Compliance,
    /// With a grouping: per segment, ordered by code (the unclassified, empty code, first, among them
    /// by their free text); segments with nothing counted are left out. Their sum is `total`.
    pub segments: Vec<SegmentCompliance>,
}

/// A segment's compliance: its code and name, or for accounts classified under none an empty code
/// and their own free text.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentCompliance {
    pub code: String,
    pub name: String,
    pub compliance: Compliance,
}

/// Binds values and spells placeholders for the backend.
struct Binds {
    backend: DatabaseBackend,
    values: Vec<Value>,
}

impl Binds {
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }
}

/// A target concluded in the range: MET when fulfilled in it, BREACHED when due in it (fulfilled late,
/// or unfulfilled with the due time passed: the `rules` derivation of BREACHED at `now`).
fn concluded(prefix: &str, fulfilled: &str, start: &str, end: &str, now: &str) -> [String; 2] {
    let settled = format!("r.{prefix}_settled_state");
    let due = format!("r.{prefix}_due_time");
    [
        format!("{settled} = 'MET' AND r.{fulfilled} >= {start} AND r.{fulfilled} < {end}"),
        format!(
            "({settled} = 'BREACHED' OR ({settled} IS NULL AND {due} < {now})) \
             AND {due} >= {start} AND {due} < {end}"
        ),
    ]
}

/// GetSlaComplianceReport: one aggregate query grouped by tier and priority, and with a grouping also
/// by the segment each account is reported under (the segments' rollup joined on the account's code;
/// accounts classified under none by their free text); rows, segments and total are sums of its rows.
pub async fn compliance_report(db: &Db, scope: &ComplianceScope) -> Result<ComplianceReport> {
    segments::require_filter(db.conn(), &scope.segments).await?;
    let mut binds = Binds {
        backend: db.backend(),
        values: Vec::new(),
    };
    let (start, end, now) = (
        binds.bind(scope.start),
        binds.bind(scope.end),
        binds.bind(crate::platform::db::now()),
    );
    // With a grouping: the segment's code and the free text of the unclassified, after tier and
    // priority; the sums start after them.
    let (group, rollup) = match scope.group_by {
        Some(grouping) => {
            let (code, text) = match grouping.kind {
                SegmentKind::Industry => ("a.industry_code", "a.industry"),
                SegmentKind::Region => ("a.region_code", "a.region"),
            };
            (
                format!(
                    ", COALESCE(g.group_code, ''), \
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
    let first = if scope.group_by.is_some() { 4 } else { 2 };
    let mut text = format!(
        "SELECT a.tier, r.priority{group}, {sums} \
         FROM service_requests r JOIN ({account_rows}) a ON a.id = r.account_id{rollup} \
         WHERE r.create_time < {end}",
        sums = compliance_sums(&start, &end, &now),
        account_rows = accounts::store::REPORT_ROWS_SQL,
    );
    if let Some(account) = scope.account_id {
        text.push_str(&format!(" AND r.account_id = {}", binds.bind(account)));
    }
    if !scope.tiers.is_empty() {
        let tiers: Vec<String> = scope
            .tiers
            .iter()
            .map(|t| binds.bind(t.as_str().to_owned()))
            .collect();
        text.push_str(&format!(" AND a.tier IN ({})", tiers.join(", ")));
    }
    for (kind, code) in scope.segments.codes() {
        let column = match kind {
            SegmentKind::Industry => "a.industry_code",
            SegmentKind::Region => "a.region_code",
        };
        let code = binds.bind(code.to_owned());
        text.push_str(&format!(
            " AND {column} IN ({})",
            segments::subtree_sql(kind, &code)
        ));
    }
    if let Some(visible) = visible_accounts_sql(scope.visibility, |staff| binds.bind(staff)) {
        text.push_str(&format!(" AND r.account_id IN ({visible})"));
    }
    text.push_str(&format!(" GROUP BY a.tier, r.priority{group}"));
    let statement = Statement::from_sql_and_values(binds.backend, text, binds.values);
    let mut by_row: BTreeMap<(Tier, Priority), Compliance> = BTreeMap::new();
    let mut by_segment: BTreeMap<(String, String), Compliance> = BTreeMap::new();
    for row in db.conn().query_all_raw(statement).await? {
        let tier_name: String = row.try_get_by_index(0)?;
        let priority_name: String = row.try_get_by_index(1)?;
        let (Some(tier), Some(priority)) = (Tier::from_name(&tier_name), Priority::from_name(&priority_name))
        else {
            return Err(Error::unknown_stored_value(
                "tier or priority",
                &format!("{tier_name}/{priority_name}"),
            ));
        };
        let compliance = compliance_at(&row, first)?;
        if scope.group_by.is_some() {
            let key: (String, String) = (row.try_get_by_index(2)?, row.try_get_by_index(3)?);
            by_segment.entry(key).or_default().add(&compliance);
        }
        by_row.entry((tier, priority)).or_default().add(&compliance);
    }
    let rows: Vec<(Tier, Priority, Compliance)> = by_row
        .into_iter()
        .filter(|(_, compliance)| !compliance.is_empty())
        .map(|((tier, priority), compliance)| (tier, priority, compliance))
        .collect();
    let mut total = Compliance::default();
    for (_, _, compliance) in &rows {
        total.add(compliance);
    }
    let mut segment_rows = Vec::new();
    if let Some(grouping) = scope.group_by {
        let codes: Vec<String> = by_segment
            .keys()
            .map(|(code, _)| code.clone())
            .filter(|code| !code.is_empty())
            .collect();
        let names = segments::names_of(db.conn(), grouping.kind, &codes).await?;
        segment_rows = by_segment
            .into_iter()
            .filter(|(_, compliance)| !compliance.is_empty())
            .map(|((code, text), compliance)| SegmentCompliance {
                name: if code.is_empty() {
                    text
                } else {
                    names.get(&code).cloned().unwrap_or_else(|| code.clone())
                },
                code,
                compliance,
            })
            .collect();
    }
    Ok(ComplianceReport {
        rows,
        total,
        segments: segment_rows,
    })
}

/// Per account: how many SLA targets (first response and resolution counted apart) were breached with
/// their due time in `[start, end)`, by the compliance report's definition. For account health.
pub async fn breached_targets_by_account(
    conn: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<std::collections::HashMap<Uuid, i64>> {
    let backend = conn.get_database_backend();
    let mut binds = Binds {
        backend,
        values: Vec::new(),
    };
    let (start, end, now) = (
        binds.bind(start),
        binds.bind(end),
        binds.bind(crate::platform::db::now()),
    );
    let [_, first_breached] = concluded("first_response", "first_response_time", &start, &end, &now);
    let [_, resolution_breached] = concluded("resolution", "resolve_time", &start, &end, &now);
    let sql = format!(
        "SELECT r.account_id, \
         CAST(SUM((CASE WHEN {first_breached} THEN 1 ELSE 0 END) + (CASE WHEN {resolution_breached} THEN 1 ELSE 0 END)) AS BIGINT) \
         FROM service_requests r \
         WHERE ({first_breached}) OR ({resolution_breached}) \
         GROUP BY r.account_id"
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, binds.values))
        .await?;
    let mut counts = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        let account: Uuid = row.try_get_by_index(0)?;
        let breached: i64 = row.try_get_by_index(1)?;
        counts.insert(account, breached);
    }
    Ok(counts)
}

/// The eight sums a [`Compliance`] is read from ([`compliance_at`]), over the requests `r` whose clocks
/// concluded in `[start, end)`, `now` ending the clocks still running; the arguments are placeholders.
fn compliance_sums(start: &str, end: &str, now: &str) -> String {
    let count = |condition: &str| format!("CAST(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS BIGINT)");
    let sum = |condition: &str, column: &str| {
        format!("CAST(SUM(CASE WHEN {condition} THEN {column} ELSE 0 END) AS BIGINT)")
    };
    let [fr_met, fr_breached] = concluded("first_response", "first_response_time", start, end, now);
    let [res_met, res_breached] = concluded("resolution", "resolve_time", start, end, now);
    let responded = format!(
        "r.first_response_business_minutes IS NOT NULL AND r.first_response_time >= {start} \
         AND r.first_response_time < {end}"
    );
    let resolved = format!(
        "r.resolution_business_minutes IS NOT NULL AND r.resolve_time >= {start} AND r.resolve_time < {end}"
    );
    [
        count(&fr_met),
        count(&fr_breached),
        count(&res_met),
        count(&res_breached),
        sum(&responded, "r.first_response_business_minutes"),
        count(&responded),
        sum(&resolved, "r.resolution_business_minutes"),
        count(&resolved),
    ]
    .join(", ")
}

/// The [`Compliance`] in the columns [`compliance_sums`] selects, from column `first` on (a sum over
/// no row is NULL: 0).
fn compliance_at(row: &sea_orm::QueryResult, first: usize) -> Result<Compliance> {
    let number = |i: usize| -> Result<i64> {
        Ok(row
            .try_get_by_index::<Option<i64>>(first + i)?
            .unwrap_or_default())
    };
    Ok(Compliance {
        first_response_met: number(0)?,
        first_response_breached: number(1)?,
        resolution_met: number(2)?,
        resolution_breached: number(3)?,
        first_response_minutes: number(4)?,
        first_responses: number(5)?,
        resolution_minutes: number(6)?,
        resolutions: number(7)?,
    })
}

/// The compliance of the service requests of `accounts` (a group's members) over `[start, end)`, by
/// exactly the report's definitions (see [`compliance_report`]), all in one sum: one aggregate query per
/// 500 accounts. Visibility is the caller's to check.
pub async fn compliance_of_accounts(
    conn: &impl ConnectionTrait,
    accounts: &[Uuid],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Compliance> {
    let now = crate::platform::db::now();
    let mut total = Compliance::default();
    for chunk in accounts.chunks(500) {
        let mut binds = Binds {
            backend: conn.get_database_backend(),
            values: Vec::new(),
        };
        let (start, end, now) = (binds.bind(start), binds.bind(end), binds.bind(now));
        let ids: Vec<String> = chunk.iter().map(|id| binds.bind(*id)).collect();
        let text = format!(
            "SELECT {sums} FROM service_requests r WHERE r.create_time < {end} AND r.account_id IN ({ids})",
            sums = compliance_sums(&start, &end, &now),
            ids = ids.join(", "),
        );
        let statement = Statement::from_sql_and_values(binds.backend, text, binds.values);
        for row in conn.query_all_raw(statement).await? {
            total.add(&compliance_at(&row, 0)?);
        }
    }
    Ok(total)
}
