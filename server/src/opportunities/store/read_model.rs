//! The funnel's read model: what the analytics would otherwise rebuild from the whole stage history on
//! every call (at a million opportunities, pairing 3 million history rows with a window function takes
//! seconds). Both parts are kept by every stage change, in the change's own transaction:
//! - `opportunity_stays`: one row per finished stay in a stage (entered at one change, left at the
//!   next; its id is the id of the change that ended it), with its length in whole seconds and the
//!   opportunity's pipeline and account, so GetVelocityReport reads one narrow, indexed table;
//! - `opportunities.furthest_stage`: the furthest stage by pipeline position (the lost stage left out)
//!   the history reached, so GetConversionReport groups opportunities instead of their history. A
//!   pipeline whose stages are replaced gets it recomputed from the history.
//!
//! [`rebuild`] derives both from the history again; migration 000006 backfilled them the same way.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use uuid::Uuid;

use crate::{
    opportunities::model::{Opportunity, Pipeline},
    platform::error::Result,
};

/// Records the stay of `current` in its stage, ended at `left` by the change `ending_change_id`.
pub(super) async fn record_stay(
    txn: &impl ConnectionTrait,
    current: &Opportunity,
    ending_change_id: Uuid,
    left: DateTime<Utc>,
) -> Result<()> {
    let backend = txn.get_database_backend();
    let sql = with_placeholders(
        backend,
        "INSERT INTO opportunity_stays \
         (id, opportunity_id, pipeline_id, account_id, stage, leave_time, seconds) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    );
    let values: [Value; 7] = [
        ending_change_id.into(),
        current.id.into(),
        current.pipeline_id.into(),
        current.account_id.into(),
        current.stage.clone().into(),
        left.into(),
        whole_seconds(current.stage_enter_time, left).into(),
    ];
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

/// Moves the furthest stage of `opportunity` up to `to` if `to` lies further down `pipeline` (the
/// lost stage never counts: a deal lost reached only what it passed before).
pub(super) async fn reach(
    txn: &impl ConnectionTrait,
    pipeline: &Pipeline,
    opportunity: Uuid,
    to: &str,
) -> Result<()> {
    let Some((position, stage)) = pipeline.stage(to) else {
        return Ok(());
    };
    if stage.closed_lost {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    let sql = with_placeholders(
        backend,
        "UPDATE opportunities SET furthest_stage = $1 WHERE id = $2 AND (furthest_stage IS NULL OR \
         furthest_stage NOT IN (SELECT key FROM pipeline_stages WHERE pipeline_id = $3 AND position >= $4))",
    );
    let values: [Value; 4] = [
        to.into(),
        opportunity.into(),
        pipeline.id.into(),
        (position as i32).into(),
    ];
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

/// Recomputes the furthest stage of every opportunity of `pipeline_id` from its history (after the
/// pipeline's stages were replaced, which may reorder them).
pub(super) async fn recompute_furthest(txn: &impl ConnectionTrait, pipeline_id: Uuid) -> Result<()> {
    let backend = txn.get_database_backend();
    let sql = with_placeholders(
        backend,
        &format!("{FURTHEST_FROM_HISTORY} WHERE pipeline_id = $1"),
    );
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, [pipeline_id.into()]))
        .await?;
    Ok(())
}

/// Derives the stays and the furthest stage of `opportunity` (of all, with `None`) from the stage
/// history again: for tools and tests that rewrite the history's times directly.
pub async fn rebuild(conn: &impl ConnectionTrait, opportunity: Option<Uuid>) -> Result<()> {
    let backend = conn.get_database_backend();
    let one = |sql: String| match opportunity {
        Some(id) => Statement::from_sql_and_values(backend, with_placeholders(backend, &sql), [id.into()]),
        None => Statement::from_string(backend, sql),
    };
    let (only_stays, only_history, only_opportunity) = match opportunity {
        Some(_) => (" WHERE opportunity_id = $1", " WHERE o.id = $1", " WHERE id = $1"),
        None => ("", "", ""),
    };
    conn.execute_raw(one(format!("DELETE FROM opportunity_stays{only_stays}")))
        .await?;
    let seconds = match backend {
        DatabaseBackend::Postgres => "CAST(ROUND(EXTRACT(EPOCH FROM (leave_time - enter_time))) AS BIGINT)",
        _ => "CAST(ROUND((julianday(leave_time) - julianday(enter_time)) * 86400.0) AS INTEGER)",
    };
    conn.execute_raw(one(format!(
        "INSERT INTO opportunity_stays \
         (id, opportunity_id, pipeline_id, account_id, stage, leave_time, seconds) \
         SELECT next_id, opportunity_id, pipeline_id, account_id, stage, leave_time, {seconds} \
         FROM (SELECT LEAD(c.id) OVER w AS next_id, c.opportunity_id, o.pipeline_id, o.account_id, \
         c.to_stage AS stage, c.change_time AS enter_time, LEAD(c.change_time) OVER w AS leave_time \
         FROM opportunity_stage_changes c JOIN opportunities o ON o.id = c.opportunity_id{only_history} \
         WINDOW w AS (PARTITION BY c.opportunity_id ORDER BY c.change_time, c.id)) stays \
         WHERE next_id IS NOT NULL"
    )))
    .await?;
    conn.execute_raw(one(format!("{FURTHEST_FROM_HISTORY}{only_opportunity}")))
        .await?;
    Ok(())
}

/// Sets each opportunity's furthest stage from its history (narrowed by a WHERE the caller appends).
const FURTHEST_FROM_HISTORY: &str = "UPDATE opportunities SET furthest_stage = \
     (SELECT hs.key FROM opportunity_stage_changes c \
     JOIN pipeline_stages hs ON hs.pipeline_id = opportunities.pipeline_id AND hs.key = c.to_stage \
     WHERE c.opportunity_id = opportunities.id AND hs.closed_lost = false \
     ORDER BY hs.position DESC LIMIT 1)";

/// The length of a stay in whole seconds, rounded to the nearest (as the SQL above rounds).
fn whole_seconds(entered: DateTime<Utc>, left: DateTime<Utc>) -> i64 {
    let millis = (left - entered).num_milliseconds().max(0);
    (millis + 500) / 1000
}

/// `$n` placeholders as the backend spells them (SQLite: `?n`).
fn with_placeholders(backend: DatabaseBackend, sql: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_round_to_the_nearest_second() {
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap();
        assert_eq!(whole_seconds(at(0), at(1_499)), 1);
        assert_eq!(whole_seconds(at(0), at(1_500)), 2);
        assert_eq!(whole_seconds(at(0), at(86_400_000)), 86_400);
        assert_eq!(
            whole_seconds(at(5_000), at(1_000)),
            0,
            "a clock step back is no negative stay"
        );
    }

    #[test]
    fn sqlite_placeholders_are_numbered_question_marks() {
        assert_eq!(
            with_placeholders(DatabaseBackend::Sqlite, "a = $1 AND b = $2"),
            "a = ?1 AND b = ?2"
        );
        assert_eq!(with_placeholders(DatabaseBackend::Postgres, "a = $1"), "a = $1");
    }
}
