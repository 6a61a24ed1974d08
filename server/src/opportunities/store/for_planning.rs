//! What the planning area reads of the funnel per account: the open pipeline weighted by probability
//! (tiering: an account whose open weighted pipeline reaches its trailing revenue is
//! GROWTH) and the deals lost lately (account health).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use crate::platform::{error::Result, money};

/// Per account with open opportunities in `currency`, across every pipeline: the sum of amount ×
/// effective probability, in billionths of `currency`, rounded down to the billionth. Deals in other
/// currencies are left out: KAM converts no currencies.
pub async fn open_weighted_pipeline_by_account(
    conn: &impl ConnectionTrait,
    currency: &str,
) -> Result<HashMap<Uuid, i128>> {
    let backend = conn.get_database_backend();
    let placeholder = match backend {
        sea_orm::DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    // Summed as amount × percent (overflow-proof, see `money::sum_columns`), so the one division by
    // 100 happens in Rust.
    let sql = format!(
        "SELECT o.account_id, {} \
         FROM opportunities o \
         JOIN pipeline_stages s ON s.pipeline_id = o.pipeline_id AND s.key = o.stage \
         WHERE o.outcome IS NULL AND o.amount_currency = {placeholder} \
         GROUP BY o.account_id",
        money::sum_columns(
            "o.amount_units",
            "o.amount_nanos",
            "COALESCE(o.probability_override, s.probability)"
        )
        .join(", ")
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [currency.into()]))
        .await?;
    let mut weighted = HashMap::with_capacity(rows.len());
    for row in rows {
        let account: Uuid = row.try_get_by_index(0)?;
        let hundredths = money::total_of_sums(
            row.try_get_by_index(1)?,
            row.try_get_by_index(2)?,
            row.try_get_by_index(3)?,
        );
        weighted.insert(account, hundredths / 100);
    }
    Ok(weighted)
}

/// A deal lost since a given instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostOpportunity {
    pub account_id: Uuid,
    pub id: Uuid,
    pub display_name: String,
    pub lost_to_competitor: String,
}

/// The opportunities closed LOST at or after `since`, for account health.
pub async fn lost_since(
    conn: &impl ConnectionTrait,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<LostOpportunity>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    use crate::{opportunities::model::Outcome, opportunities::store::entity::opportunity};
    Ok(opportunity::Entity::find()
        .filter(opportunity::Column::Outcome.eq(Outcome::Lost.as_str()))
        .filter(opportunity::Column::CloseTime.gte(since))
        .order_by_asc(opportunity::Column::CloseTime)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| LostOpportunity {
            account_id: row.account_id,
            id: row.id,
            display_name: row.display_name,
            lost_to_competitor: row.lost_to_competitor,
        })
        .collect())
}

/// The open pipeline of some accounts in one currency: how many open opportunities, their amounts,
/// and their amounts weighted by effective probability (rounded down to the billionth, once, on the
/// sum), in billionths of `currency`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenPipeline {
    pub currency: String,
    pub count: i64,
    pub amount: i128,
    pub weighted: i128,
}

/// The open opportunities with an amount of `accounts` (a group's members), across every pipeline, per
/// currency, ordered by currency: one grouped query per 500 accounts.
pub async fn open_pipeline_of_accounts(
    conn: &impl ConnectionTrait,
    accounts: &[Uuid],
) -> Result<Vec<OpenPipeline>> {
    let backend = conn.get_database_backend();
    let mut totals: std::collections::BTreeMap<String, (i64, i128, i128)> = Default::default();
    for chunk in accounts.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len())
            .map(|i| match backend {
                sea_orm::DatabaseBackend::Postgres => format!("${i}"),
                _ => "?".to_owned(),
            })
            .collect();
        let sql = format!(
            "SELECT o.amount_currency, COUNT(*), {}, {} \
             FROM opportunities o \
             JOIN pipeline_stages s ON s.pipeline_id = o.pipeline_id AND s.key = o.stage \
             WHERE o.outcome IS NULL AND o.amount_currency IS NOT NULL AND o.account_id IN ({}) \
             GROUP BY o.amount_currency",
            money::sum_columns("o.amount_units", "o.amount_nanos", "1").join(", "),
            money::sum_columns(
                "o.amount_units",
                "o.amount_nanos",
                "COALESCE(o.probability_override, s.probability)"
            )
            .join(", "),
            placeholders.join(", ")
        );
        let values: Vec<sea_orm::Value> = chunk.iter().map(|id| (*id).into()).collect();
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        for row in rows {
            let currency: String = row.try_get_by_index(0)?;
            let count: i64 = row.try_get_by_index(1)?;
            let amount = money::total_of_sums(
                row.try_get_by_index(2)?,
                row.try_get_by_index(3)?,
                row.try_get_by_index(4)?,
            );
            let hundredths = money::total_of_sums(
                row.try_get_by_index(5)?,
                row.try_get_by_index(6)?,
                row.try_get_by_index(7)?,
            );
            let total = totals.entry(currency).or_default();
            total.0 += count;
            total.1 += amount;
            total.2 += hundredths;
        }
    }
    Ok(totals
        .into_iter()
        .map(|(currency, (count, amount, hundredths))| OpenPipeline {
            currency,
            count,
            amount,
            weighted: hundredths / 100,
        })
        .collect())
}
