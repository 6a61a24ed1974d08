//! GetFeedbackReport: the ratings of a window of months, quarters or years, grouped by person or by
//! department in one SQL query (counts, sums and low scores per group and bucket), then put in order with
//! their trends by the pure rules. Rounds of deleted accounts still count: the feedback was given.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use uuid::Uuid;

use crate::{
    accounts,
    feedback::{
        model::{GroupBy, GroupReport, Mean, Report, ReportQuery, Stats},
        rules,
    },
    identity::{Visibility, access::visible_accounts_sql},
    platform::{db::Db, error::Result},
    segments::store::directory as segments,
    teams,
};

/// An SQL text and its values, with placeholders in the backend's spelling.
struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// Binds `value` and returns its placeholder.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }
}

/// 1 when `column` holds a score that `test` accepts, else 0.
fn counts(column: &str, test: &str) -> String {
    format!("(CASE WHEN g.{column} {test} THEN 1 ELSE 0 END)")
}

/// The grouped query: per group and bucket, the ratings, each dimension's sum and count of scores, and
/// the low scores. The window reaches one bucket back, for the first bucket's trend.
fn statement(backend: DatabaseBackend, query: &ReportQuery, visibility: Visibility) -> Statement {
    let months = rules::months_per(query.bucket);
    let group = match query.group_by {
        GroupBy::Person => "g.staff_id",
        GroupBy::Department => "g.department_id",
    };
    let mut sql = Sql {
        backend,
        text: String::new(),
        values: Vec::new(),
    };
    let low = ["responsiveness", "expertise", "follow_through"]
        .map(|column| counts(column, "BETWEEN 1 AND 2"))
        .join(" + ");
    let from = i32::try_from((query.first_bucket - 1) * months).unwrap_or(i32::MAX);
    let to = i32::try_from((query.last_bucket + 1) * months - 1).unwrap_or(i32::MAX);
    let (from, to) = (sql.bind(from), sql.bind(to));
    sql.text = format!(
        "SELECT {group}, CAST(r.end_month / {months} AS BIGINT), CAST(COUNT(*) AS BIGINT), \
         CAST(SUM(g.responsiveness) AS BIGINT), CAST(SUM({}) AS BIGINT), \
         CAST(SUM(g.expertise) AS BIGINT), CAST(SUM({}) AS BIGINT), \
         CAST(SUM(g.follow_through) AS BIGINT), CAST(SUM({}) AS BIGINT), \
         CAST(SUM({low}) AS BIGINT) \
         FROM feedback_ratings g JOIN feedback_rounds r ON r.id = g.round_id \
         WHERE r.end_month >= {from} AND r.end_month <= {to}",
        counts("responsiveness", "> 0"),
        counts("expertise", "> 0"),
        counts("follow_through", "> 0"),
    );
    if let Some(account) = query.account_id {
        let p = sql.bind(account);
        sql.text.push_str(&format!(" AND r.account_id = {p}"));
    }
    if let Some(department) = query.department_id {
        let p = sql.bind(department);
        sql.text.push_str(&format!(" AND g.department_id = {p}"));
    }
    if let Some(staff) = query.staff_id {
        let p = sql.bind(staff);
        sql.text.push_str(&format!(" AND g.staff_id = {p}"));
    }
    // The accounts in the segments, each with everything below it.
    if let Some(in_segments) =
        accounts::store::in_segments_sql(&query.segments, |code| sql.bind(code.to_owned()))
    {
        sql.text
            .push_str(&format!(" AND r.account_id IN ({in_segments})"));
    }
    if let Some(visible) = visible_accounts_sql(visibility, |staff| sql.bind(staff)) {
        sql.text.push_str(&format!(" AND r.account_id IN ({visible})"));
    }
    sql.text.push_str(" GROUP BY 1, 2");
    Statement::from_sql_and_values(backend, sql.text, sql.values)
}

pub async fn report(db: &Db, visibility: Visibility, query: &ReportQuery) -> Result<Report> {
    let snapshot = db.snapshot().await?;
    // The segments (each with everything below it): SEGMENT_NOT_FOUND for an unknown code.
    segments::require_filter(&snapshot, &query.segments).await?;
    let rows = snapshot
        .query_all_raw(statement(db.backend(), query, visibility))
        .await?;
    let mut by_group: HashMap<Uuid, BTreeMap<i64, Stats>> = HashMap::new();
    for row in rows {
        let group: Uuid = row.try_get_by_index(0)?;
        let bucket: i64 = row.try_get_by_index(1)?;
        let value = |i: usize| {
            row.try_get_by_index::<Option<i64>>(i)
                .map(Option::unwrap_or_default)
        };
        let mean = |sum: usize| -> Result<Mean> {
            Ok(Mean {
                sum: value(sum)?,
                count: value(sum + 1)?,
            })
        };
        let stats = Stats {
            ratings: value(2)?,
            responsiveness: mean(3)?,
            expertise: mean(5)?,
            follow_through: mean(7)?,
            low_scores: value(9)?,
        };
        by_group.entry(group).or_default().insert(bucket, stats);
    }
    let ids: Vec<Uuid> = by_group.keys().copied().collect();
    // Who each group is: the people, or the departments, by id.
    let names: HashMap<Uuid, (String, Option<Uuid>)> = match query.group_by {
        GroupBy::Person => teams::store::staff_refs(&snapshot, &ids)
            .await?
            .into_iter()
            .map(|(id, person)| (id, (person.full_name, Some(person.department_id))))
            .collect(),
        GroupBy::Department => teams::store::department_names(&snapshot)
            .await?
            .into_iter()
            .map(|(id, name)| (id, (name, Some(id))))
            .collect(),
    };
    snapshot.commit().await?;

    let mut groups: Vec<GroupReport> = by_group
        .into_iter()
        .filter_map(|(id, stats)| {
            let (total, buckets) = rules::group_buckets(&stats, query.first_bucket, query.last_bucket);
            if buckets.is_empty() {
                return None; // only the bucket before the window
            }
            let (display_name, department_id) = names.get(&id).cloned().unwrap_or_default();
            Some(GroupReport {
                staff_id: (query.group_by == GroupBy::Person).then_some(id),
                department_id,
                display_name,
                total,
                buckets,
            })
        })
        .collect();
    groups.sort_by(|a, b| {
        (a.display_name.as_str(), a.staff_id.or(a.department_id))
            .cmp(&(b.display_name.as_str(), b.staff_id.or(b.department_id)))
    });
    let total = groups
        .iter()
        .fold(Stats::default(), |total, group| total + group.total);
    Ok(Report {
        query: query.clone(),
        groups,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feedback::model::Bucket;

    #[test]
    fn the_query_reads_one_bucket_back_and_binds_every_filter() {
        let query = ReportQuery {
            group_by: GroupBy::Department,
            bucket: Bucket::Quarter,
            first_bucket: 8100,
            last_bucket: 8103,
            account_id: Some(Uuid::nil()),
            department_id: None,
            staff_id: Some(Uuid::nil()),
            segments: Default::default(),
        };
        let statement = statement(
            DatabaseBackend::Postgres,
            &query,
            Visibility::TeamsOf(Uuid::nil()),
        );
        assert!(
            statement
                .sql
                .starts_with("SELECT g.department_id, CAST(r.end_month / 3 AS BIGINT)")
        );
        assert!(statement.sql.contains("r.end_month >= $1 AND r.end_month <= $2"));
        assert!(
            statement
                .sql
                .contains("r.account_id = $3 AND g.staff_id = $4 AND r.account_id IN (")
        );
        assert!(statement.sql.ends_with(" GROUP BY 1, 2"));
        let values = statement.values.unwrap().0;
        assert_eq!(values[0], Value::from(8099 * 3));
        assert_eq!(values[1], Value::from(8104 * 3 - 1));
    }

    #[test]
    fn segments_keep_the_rounds_of_the_accounts_below_each_code() {
        let query = ReportQuery {
            group_by: GroupBy::Person,
            bucket: Bucket::Year,
            first_bucket: 2026,
            last_bucket: 2026,
            account_id: None,
            department_id: None,
            staff_id: None,
            segments: crate::segments::model::SegmentFilter {
                industry: Some("C".to_owned()),
                region: Some("EU".to_owned()),
            },
        };
        let statement = statement(DatabaseBackend::Sqlite, &query, Visibility::All);
        // The bucket range binds ?1 and ?2; the segment codes come next.
        let mut placeholder = 2;
        let in_segments = accounts::store::in_segments_sql(&query.segments, |_| {
            placeholder += 1;
            format!("?{placeholder}")
        })
        .expect("two codes");
        assert!(
            statement
                .sql
                .contains(&format!(" AND r.account_id IN ({in_segments})"))
        );
        let values = statement.values.unwrap().0;
        assert_eq!(values[2], Value::from("C".to_owned()));
        assert_eq!(values[3], Value::from("EU".to_owned()));
    }
}
