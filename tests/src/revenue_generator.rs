//! A generator of revenue as an ERP feed leaves it, written straight into a migrated KAM database (no
//! gRPC, no audit or outbox rows): accounts and one revenue record per account and month, at the scale
//! of a large installation (100,000 accounts × 24 months), for the tiering benchmark.
//!
//! ```text
//! use kam_tests::revenue_generator::{RevenueGeneratorConfig, generate_revenue};
//!
//! // The server (or `kam_server::platform::db::Db::migrate`) has migrated the database behind `db` already.
//! let config = RevenueGeneratorConfig::new(100_000, 24, 42);
//! let generated = generate_revenue(&db, &config).await?;
//! // RecomputeTiers as of `config.as_of` ranks the last 12 of the months written.
//! ```
//!
//! # Distributions
//!
//! - **Accounts**: `accounts` accounts, none deleted, all STANDARD (as before a first ranking),
//!   lifecycle, industry and region as in [`crate::generator`], created a month before the first
//!   revenue month.
//! - **Size**: the accounts are put in a random order; the one at place p (from 1) sells
//!   `TOP_YEARLY_EUR × p^(-1/1.16)` a year, Zipf's law with the Pareto index of the 80/20 rule
//!   (α = 1.16). Then the top 5 % of 100,000 accounts hold about 57 % of the revenue and the top
//!   20 % about 75 %: the few large customers the tiering is for.
//! - **Trend**: each account's revenue changes by g a year, g normal with mean +3 % and deviation 15 %,
//!   clamped to -60 %..+150 %, so that about one account in twelve grows by 30 % or more.
//! - **Months**: the `months` months before [`RevenueGeneratorConfig::as_of`], one record each:
//!   a twelfth of the year's revenue on the account's trend (level at the middle of the last 12
//!   months), times uniform noise 0.7–1.3, in EUR cents (nanos a multiple of 10^7), at least 0.01.
//!   External id `RV<seed>-<account>-<yyyymm>`.
//!
//! Rows go in with multi-row `INSERT`s of [`RevenueGeneratorConfig::rows_per_statement`] rows,
//! [`RevenueGeneratorConfig::accounts_per_transaction`] accounts (with their records) per transaction.
//! Everything random is drawn from a SplitMix64 generator seeded per row: the same seed and sizes write
//! the same rows (ids also derive from `as_of`).

use sea_orm::{
    DatabaseConnection, DbErr, TransactionTrait, Value,
    sea_query::value::prelude::chrono::{DateTime, Datelike, TimeZone, Utc},
};
use uuid::Uuid;

use crate::generator::{ACCOUNT_COLUMNS, Inserter, Rng, plain_account_row, uuid_v7};

/// What the largest account sells in a year, in EUR.
pub const TOP_YEARLY_EUR: f64 = 50_000_000.0;
/// The exponent of Zipf's law: 1/α with α = 1.16.
const ZIPF_EXPONENT: f64 = 1.0 / 1.16;

/// Where STANDARD is in [`crate::generator`]'s tier table.
const STANDARD: usize = 3;

const STREAM_ORDER: u64 = 21;
const STREAM_ACCOUNT: u64 = 22;
const STREAM_MONTH: u64 = 23;

const REVENUE_COLUMNS: &[&str] = &[
    "id",
    "external_id",
    "account_id",
    "period",
    "amount_currency",
    "amount_units",
    "amount_nanos",
    "create_time",
    "update_time",
];

/// What to generate, and how to write it.
#[derive(Clone, Debug)]
pub struct RevenueGeneratorConfig {
    pub accounts: usize,
    /// Months of revenue per account, ending with the month before `as_of`.
    pub months: usize,
    pub seed: u64,
    /// The first instant of the month after the last one written: a ranking as of it sees the last
    /// 12 months as its trailing year.
    pub as_of: DateTime<Utc>,
    /// Rows per `INSERT` (default 500; fewer when the columns would exceed SQLite's bind limit).
    pub rows_per_statement: usize,
    /// Accounts (with their records) per transaction (default 10,000).
    pub accounts_per_transaction: usize,
}

impl RevenueGeneratorConfig {
    /// `accounts` accounts with `months` months each from `seed`, up to the start of this month (UTC).
    pub fn new(accounts: usize, months: usize, seed: u64) -> Self {
        let now = Utc::now();
        let as_of = Utc
            .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .single()
            .unwrap_or(now);
        Self {
            accounts,
            months,
            seed,
            as_of,
            rows_per_statement: 500,
            accounts_per_transaction: 10_000,
        }
    }

    /// The month `back` months before `as_of`'s, as `year * 100 + month` (the stored period).
    pub fn period(&self, back: usize) -> i32 {
        let index = self.as_of.year() * 12 + self.as_of.month0() as i32 - back as i32;
        index.div_euclid(12) * 100 + index.rem_euclid(12) + 1
    }
}

/// What [`generate_revenue`] wrote, with the sums a ranking as of `as_of` must arrive at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevenueGenerated {
    pub accounts: usize,
    pub records: usize,
    /// The revenue of the last 12 months written, in EUR cents.
    pub trailing_year_cents: i128,
    /// The revenue of the 12 months before those, in EUR cents (0 with fewer than 24 months).
    pub previous_year_cents: i128,
}

/// Writes `config.accounts` accounts and `config.months` revenue records for each into `db`, whose
/// schema must be migrated.
pub async fn generate_revenue(
    db: &DatabaseConnection,
    config: &RevenueGeneratorConfig,
) -> Result<RevenueGenerated, DbErr> {
    let backend = db.get_database_backend();
    let places = shuffled_places(config);
    let created = month_start(config.period(config.months + 1));
    let mut generated = RevenueGenerated {
        accounts: config.accounts,
        ..Default::default()
    };
    let per_transaction = config.accounts_per_transaction.max(1);
    for first in (0..config.accounts).step_by(per_transaction) {
        let chunk = first..(first + per_transaction).min(config.accounts);
        let txn = db.begin().await?;
        // The accounts of the chunk first: their records refer to them.
        let mut accounts = Inserter::new(backend, "accounts", ACCOUNT_COLUMNS, config.rows_per_statement);
        let mut trends = Vec::with_capacity(chunk.len());
        for n in chunk.clone() {
            let mut rng = Rng::for_row(config.seed, STREAM_ACCOUNT, n);
            let id = uuid_v7(created, (n as u128) << 24 | u128::from(config.seed & 0xFF_FFFF));
            let name = format!("Revenue Account {n}");
            accounts.push(plain_account_row(id, &name, &mut rng, STANDARD, created));
            accounts.flush_full(&txn).await?;
            let growth = (0.03 + 0.15 * rng.normal()).clamp(-0.6, 1.5);
            trends.push((id, growth));
        }
        accounts.flush(&txn).await?;

        let mut records = Inserter::new(
            backend,
            "revenue_records",
            REVENUE_COLUMNS,
            config.rows_per_statement,
        );
        for (n, (id, growth)) in chunk.zip(trends) {
            let yearly = TOP_YEARLY_EUR * (places[n] as f64).powf(-ZIPF_EXPONENT);
            for back in (1..=config.months).rev() {
                let cents = month_cents(config, n, back, yearly, growth);
                match back {
                    1..=12 => generated.trailing_year_cents += i128::from(cents),
                    13..=24 => generated.previous_year_cents += i128::from(cents),
                    _ => {}
                }
                records.push(record_row(config, n, id, back, cents));
                records.flush_full(&txn).await?;
                generated.records += 1;
            }
        }
        records.flush(&txn).await?;
        txn.commit().await?;
    }
    Ok(generated)
}

/// The first instant (UTC) of the month `period` (`year * 100 + month`).
fn month_start(period: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(period / 100, (period % 100) as u32, 1, 0, 0, 0)
        .single()
        .expect("a valid month")
}

/// Each account's place (from 1) in a random order of all accounts: the rank its size follows.
fn shuffled_places(config: &RevenueGeneratorConfig) -> Vec<usize> {
    let mut order: Vec<(u64, usize)> = (0..config.accounts)
        .map(|n| (Rng::for_row(config.seed, STREAM_ORDER, n).next_u64(), n))
        .collect();
    order.sort_unstable();
    let mut places = vec![0; config.accounts];
    for (place, (_, n)) in order.into_iter().enumerate() {
        places[n] = place + 1;
    }
    places
}

/// The revenue of account `n` in the month `back` months before `as_of`, in cents.
fn month_cents(config: &RevenueGeneratorConfig, n: usize, back: usize, yearly: f64, growth: f64) -> i64 {
    let mut rng = Rng::for_row(config.seed, STREAM_MONTH, n << 8 | back);
    // Years from the middle of the trailing year (6.5 months back) to this month.
    let years = (6.5 - back as f64) / 12.0;
    let trend = (1.0 + growth).powf(years);
    let noise = 0.7 + 0.6 * rng.f64();
    ((yearly / 12.0 * trend * noise * 100.0).round() as i64).max(1)
}

fn record_row(
    config: &RevenueGeneratorConfig,
    n: usize,
    account_id: Uuid,
    back: usize,
    cents: i64,
) -> Vec<Value> {
    let period = config.period(back);
    // Booked when the month closed: the first instant of the next month.
    let booked = month_start(config.period(back - 1));
    let id = uuid_v7(booked, (n as u128) << 16 | back as u128);
    vec![
        id.into(),
        format!("RV{}-{n}-{period}", config.seed).into(),
        account_id.into(),
        period.into(),
        "EUR".into(),
        (cents / 100).into(),
        ((cents % 100) as i32 * 10_000_000).into(),
        booked.into(),
        booked.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(accounts: usize) -> RevenueGeneratorConfig {
        RevenueGeneratorConfig {
            as_of: Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap(),
            ..RevenueGeneratorConfig::new(accounts, 24, 7)
        }
    }

    #[test]
    fn periods_count_back_over_the_year_end() {
        let config = config(1);
        assert_eq!(config.period(1), 202701);
        assert_eq!(config.period(2), 202612);
        assert_eq!(config.period(13), 202601);
        assert_eq!(config.period(24), 202502);
        assert_eq!(config.period(0), 202702);
        assert_eq!(
            month_start(202612),
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn places_are_a_permutation() {
        let mut places = shuffled_places(&config(1000));
        assert_ne!(places[..10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "shuffled");
        places.sort_unstable();
        assert_eq!(places, (1..=1000).collect::<Vec<_>>());
    }

    #[test]
    fn the_largest_twentieth_holds_about_half_or_more() {
        let config = config(100_000);
        let mut yearly: Vec<f64> = (1..=config.accounts)
            .map(|place| TOP_YEARLY_EUR * (place as f64).powf(-ZIPF_EXPONENT))
            .collect();
        yearly.sort_by(|a, b| b.total_cmp(a));
        let total: f64 = yearly.iter().sum();
        let top: f64 = yearly[..5_000].iter().sum();
        let share = top / total;
        assert!((0.5..0.65).contains(&share), "the top 5 % hold {share}");
    }

    #[test]
    fn months_follow_the_trend_within_the_noise() {
        let config = config(1);
        let yearly = 1_200_000.0;
        for back in 1..=24 {
            let cents = month_cents(&config, 0, back, yearly, 0.0);
            assert!((7_000_000..=13_000_000).contains(&cents), "{back}: {cents}");
        }
        // Growing 50 % a year: the trailing year is well above the one before.
        let sum = |months: std::ops::RangeInclusive<usize>| -> i64 {
            months
                .map(|back| month_cents(&config, 0, back, yearly, 0.5))
                .sum()
        };
        assert!(sum(1..=12) * 10 > sum(13..=24) * 13);
    }
}
