//! What other areas ask of the feedback area: each account's latest round, as account health weighs it.
//! The answer is a small value, never a row: the tables stay this area's own.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use uuid::Uuid;

use crate::{
    feedback::model::{Mean, PersonScores, RoundScores},
    platform::error::Result,
    teams::store::staff_refs,
};

/// Per account, its latest round whose period ends on or after `since` (the one that ends last; of two
/// ending the same day, the one recorded last), with every rated dimension of every person added up and
/// each person's own scores. Accounts without such a round are absent.
pub async fn latest_round_scores(
    conn: &impl ConnectionTrait,
    since: NaiveDate,
) -> Result<HashMap<Uuid, RoundScores>> {
    let backend = conn.get_database_backend();
    let placeholder = match backend {
        DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    let rated = |column: &str| format!("(CASE WHEN g.{column} > 0 THEN 1 ELSE 0 END)");
    let sql = format!(
        "SELECT r.account_id, r.id, r.period_start, r.period_end, g.staff_id, \
         CAST(g.responsiveness + g.expertise + g.follow_through AS BIGINT), \
         CAST({} + {} + {} AS BIGINT) \
         FROM feedback_rounds r JOIN feedback_ratings g ON g.round_id = r.id \
         WHERE r.period_end >= {placeholder} AND NOT EXISTS (\
           SELECT 1 FROM feedback_rounds n WHERE n.account_id = r.account_id \
           AND (n.period_end > r.period_end OR (n.period_end = r.period_end AND n.id > r.id))) \
         ORDER BY r.account_id, g.position",
        rated("responsiveness"),
        rated("expertise"),
        rated("follow_through"),
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [since.into()]))
        .await?;
    let mut latest: HashMap<Uuid, RoundScores> = HashMap::new();
    for row in rows {
        let account: Uuid = row.try_get_by_index(0)?;
        let round_id: Uuid = row.try_get_by_index(1)?;
        let period_start: NaiveDate = row.try_get_by_index(2)?;
        let period_end: NaiveDate = row.try_get_by_index(3)?;
        let staff_id: Uuid = row.try_get_by_index(4)?;
        let score = Mean {
            sum: row.try_get_by_index(5)?,
            count: row.try_get_by_index(6)?,
        };
        let round = latest.entry(account).or_insert_with(|| RoundScores {
            round_id,
            period_start,
            period_end,
            score: Mean::default(),
            people: Vec::new(),
        });
        round.score = round.score + score;
        round.people.push(PersonScores {
            staff_id,
            full_name: String::new(),
            score,
        });
    }
    let people: Vec<Uuid> = latest
        .values()
        .flat_map(|round| round.people.iter().map(|p| p.staff_id))
        .collect();
    let names = staff_refs(conn, &people).await?;
    for person in latest.values_mut().flat_map(|round| round.people.iter_mut()) {
        if let Some(found) = names.get(&person.staff_id) {
            person.full_name.clone_from(&found.full_name);
        }
    }
    Ok(latest)
}
