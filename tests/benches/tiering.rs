//! `RecomputeTiers` over 100,000 accounts with 24 months of revenue each (2.4 million revenue
//! records), through the real server and its gRPC API.
//!
//! Per backend — SQLite (a file in a temporary directory) and, when `KAM_TEST_POSTGRES_URL` is set,
//! PostgreSQL (a fresh database `kam_bench_<uuid>`, dropped afterwards) — this:
//! 1. starts the real KAM server in-process (`kam_server::run`: it migrates and writes the first ADMIN
//!    key), and stops it;
//! 2. writes `KAM_BENCH_ACCOUNTS` accounts, all STANDARD, with `KAM_BENCH_MONTHS` monthly revenue
//!    records each ([`kam_tests::revenue_generator`]: Zipf-sized accounts, a trend per account, monthly
//!    noise), then runs `ANALYZE` (on PostgreSQL `VACUUM ANALYZE`);
//! 3. starts the server again and, as the ADMIN, one call at a time, times `RecomputeTiers` as of the
//!    month after the last one written:
//!    - the preview (`validate_only`, the first 1000 rows of the table returned): one warm-up and
//!      `KAM_BENCH_RUNS` calls; the first one's total revenue must equal the generator's sum of the
//!      trailing 12 months, to the cent;
//!    - the first apply, which stores every tier that changes (one history row and one `TierChanged`
//!      event each): once;
//!    - applying again, when nothing changes any more: `KAM_BENCH_RUNS` calls;
//! 4. stops it and times the trailing year's revenue sums alone
//!    (`kam_server::planning::store::revenue_by_account`, on a connection pool like the server's), the
//!    bulk of a ranking's reading: one of the two years it sums.
//!
//! It prints the generation time, the table sizes, the tiers the ranking arrived at (accounts and
//! share of revenue per tier: STRATEGIC should hold just over half of it), and one table per backend:
//! what was timed, the tier changes it found, median and max.
//!
//! Run (the full size takes a few minutes per backend on 2 cores; try a small one first):
//!
//! ```text
//! KAM_BENCH_ACCOUNTS=10000 cargo bench -p kam-tests --bench tiering
//! KAM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p kam-tests --bench tiering
//! ```
//!
//! Environment:
//! - `KAM_BENCH_ACCOUNTS`: accounts to generate (default 100000);
//! - `KAM_BENCH_MONTHS`: months of revenue per account (default 24: the trailing year and the one
//!   before, which the GROWTH rule compares);
//! - `KAM_BENCH_RUNS`: timed calls per variant, after one warm-up (default 5);
//! - `KAM_BENCH_SEED`: the generator's seed (default 1);
//! - `KAM_BENCH_BACKENDS`: which backends to run, comma-separated (default `sqlite,postgres`);
//! - `KAM_BENCH_KEEP=1`: keep the SQLite directory and the PostgreSQL database (their names are
//!   printed); by default both are removed at the end;
//! - `KAM_TEST_POSTGRES_URL`: a PostgreSQL URL whose user may create databases; unset skips PostgreSQL.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use kam_proto::v1::{
    self as pb, Tier, planning_service_client::PlanningServiceClient, recompute_tiers_response::TierSummary,
};
use kam_server::{
    planning::{rules::tiering::revenue_windows, store::revenue_by_account},
    platform::db::Db,
};
use kam_tests::{
    Bearer,
    bench::{
        Backend, BenchDatabase, BoxError, backends_from_env, connect_for_writing, describe_machine, endpoint,
        env_or, load_average, median, millis, on_fresh_database, start_kam_server,
    },
    pbjson_types::Timestamp,
    revenue_generator::{RevenueGenerated, RevenueGeneratorConfig, generate_revenue},
};
use sea_orm::ConnectionTrait;
use tokio::runtime::Handle;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

type Client = PlanningServiceClient<InterceptedService<Channel, Bearer>>;

/// How long a server may take to answer its first health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// The server's own limit per call, raised so that a slow ranking is measured rather than cut off.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// Rows of the ranked table each call returns (the server's default).
const ROW_LIMIT: i32 = 1000;

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env()?;
    println!("{}\n{}", describe_machine(), settings.describe());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let results = runtime.block_on(bench(&settings))?;
    report(&results);
    Ok(())
}

struct Settings {
    accounts: usize,
    months: usize,
    runs: usize,
    seed: u64,
    backends: Vec<Backend>,
    keep: bool,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let settings = Self {
            accounts: env_or("KAM_BENCH_ACCOUNTS", 100_000)?,
            months: env_or("KAM_BENCH_MONTHS", 24)?,
            runs: env_or("KAM_BENCH_RUNS", 5)?,
            seed: env_or("KAM_BENCH_SEED", 1)?,
            backends: backends_from_env()?,
            keep: env_or("KAM_BENCH_KEEP", 0u8)? != 0,
        };
        if settings.accounts == 0 || settings.runs == 0 || !(12..=120).contains(&settings.months) {
            return Err(
                "KAM_BENCH_ACCOUNTS and KAM_BENCH_RUNS must be > 0, KAM_BENCH_MONTHS 12 to 120".into(),
            );
        }
        Ok(settings)
    }

    fn describe(&self) -> String {
        format!(
            "data: {} accounts × {} months of revenue (seed {}); {} timed calls per variant after 1 warm-up",
            self.accounts, self.months, self.seed, self.runs
        )
    }
}

/// One row of a result table.
struct Measurement {
    what: &'static str,
    /// The tier changes the call found (stored, for an apply), or for the sums the accounts summed.
    changes: i32,
    /// Sorted.
    times: Vec<Duration>,
}

/// What one backend took, left and measured.
struct BackendResult {
    backend: Backend,
    generated: RevenueGenerated,
    generation: Duration,
    analyze: Duration,
    /// The per-tier summary of the ranking after the first apply.
    tiers: Vec<TierSummary>,
    /// The machine's load average before and after measuring.
    load: (String, String),
    measurements: Vec<Measurement>,
}

async fn bench(settings: &Settings) -> Result<Vec<BackendResult>, BoxError> {
    let mut results = Vec::new();
    for &backend in &settings.backends {
        let run = async |database: &BenchDatabase| bench_backend(database, settings).await;
        if let Some(result) = on_fresh_database(backend, settings.keep, run).await? {
            results.push(result);
        }
    }
    Ok(results)
}

async fn bench_backend(database: &BenchDatabase, settings: &Settings) -> Result<BackendResult, BoxError> {
    let backend = database.backend;
    let key_file = database.dir.join("kam-admin.key");
    let runtime = Handle::current();
    let start_server = || {
        start_kam_server(
            &runtime,
            &database.url,
            &key_file,
            STARTUP_TIMEOUT,
            configure_server,
        )
    };
    eprintln!("{}: migrating…", backend.name());
    start_server().await?.stop().await?;

    let config = RevenueGeneratorConfig::new(settings.accounts, settings.months, settings.seed);
    let db = connect_for_writing(backend, &database.url).await?;
    eprintln!(
        "{}: generating {} accounts × {} months…",
        backend.name(),
        settings.accounts,
        settings.months
    );
    let started = Instant::now();
    let generated = generate_revenue(&db, &config).await?;
    let generation = started.elapsed();
    eprintln!(
        "{}: generated in {:.1} s: {generated:?}",
        backend.name(),
        generation.as_secs_f64()
    );
    let started = Instant::now();
    db.execute_unprepared(match backend {
        Backend::Sqlite => "ANALYZE",
        Backend::Postgres => "VACUUM ANALYZE",
    })
    .await?;
    let analyze = started.elapsed();
    if backend == Backend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    db.close().await?;

    let server = start_server().await?;
    let load_before = load_average();
    let measured = measure(server.addr, &key_file, &config, &generated, settings.runs).await;
    server.stop().await?;
    let (mut measurements, tiers) = measured?;
    measurements.push(measure_sums(&database.url, &config, settings.runs).await?);
    Ok(BackendResult {
        backend,
        generated,
        generation,
        analyze,
        tiers,
        load: (load_before, load_average()),
        measurements,
    })
}

/// Times the preview, the first apply and the applies after it; returns the measurements and the
/// tiers the first apply stored.
async fn measure(
    addr: std::net::SocketAddr,
    key_file: &Path,
    config: &RevenueGeneratorConfig,
    generated: &RevenueGenerated,
    runs: usize,
) -> Result<(Vec<Measurement>, Vec<TierSummary>), BoxError> {
    let key = std::fs::read_to_string(key_file)?;
    let channel = endpoint(addr)?.connect().await?;
    let mut client: Client = PlanningServiceClient::with_interceptor(channel, Bearer::new(key.trim()))
        .max_decoding_message_size(64 * 1024 * 1024);
    let request = |validate_only| pb::RecomputeTiersRequest {
        as_of: Some(Timestamp::from(config.as_of)),
        validate_only,
        row_limit: ROW_LIMIT,
        changed_only: false,
    };

    let preview = client.recompute_tiers(request(true)).await?.into_inner();
    let total = preview.total_revenue.as_ref().ok_or("the preview has no total")?;
    let total_cents = i128::from(total.units) * 100 + i128::from(total.nanos / 10_000_000);
    if total_cents != generated.trailing_year_cents || preview.account_count as usize != generated.accounts {
        return Err(format!(
            "the ranking saw {} accounts and {total_cents} cents; the generator wrote {} accounts and {} cents \
             in the trailing year",
            preview.account_count, generated.accounts, generated.trailing_year_cents
        )
        .into());
    }
    let mut measurements = vec![
        timed("RecomputeTiers preview (validate_only)", runs, async || {
            Ok(client
                .recompute_tiers(request(true))
                .await?
                .into_inner()
                .changed_count)
        })
        .await?,
    ];

    let started = Instant::now();
    let applied = client.recompute_tiers(request(false)).await?.into_inner();
    measurements.push(Measurement {
        what: "RecomputeTiers apply, first (stores the changes)",
        changes: applied.changed_count,
        times: vec![started.elapsed()],
    });
    measurements.push(
        timed("RecomputeTiers apply again (nothing changes)", runs, async || {
            Ok(client
                .recompute_tiers(request(false))
                .await?
                .into_inner()
                .changed_count)
        })
        .await?,
    );
    Ok((measurements, applied.tiers))
}

/// Times the trailing year's sums per account, as a ranking reads them, straight on the database.
async fn measure_sums(
    url: &str,
    config: &RevenueGeneratorConfig,
    runs: usize,
) -> Result<Measurement, BoxError> {
    let db = Db::connect(&kam_server::Config {
        database_url: url.to_owned(),
        ..Default::default()
    })
    .await?;
    let trailing = revenue_windows(config.as_of).trailing;
    let measurement = timed(
        "the trailing year's sums alone (revenue_by_account)",
        runs,
        async || {
            let sums = revenue_by_account(db.conn(), trailing, "EUR").await?;
            Ok(i32::try_from(sums.len())?)
        },
    )
    .await;
    db.conn().clone().close().await?;
    measurement
}

/// Calls `call` once to warm up, then `runs` times, timing each.
async fn timed(
    what: &'static str,
    runs: usize,
    mut call: impl AsyncFnMut() -> Result<i32, BoxError>,
) -> Result<Measurement, BoxError> {
    let mut changes = call().await?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        changes = call().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(Measurement { what, changes, times })
}

/// Parts per million as a percentage with two decimals.
fn percent(ppm: i64) -> String {
    format!("{}.{:02} %", ppm / 10_000, ppm % 10_000 / 100)
}

fn report(results: &[BackendResult]) {
    for result in results {
        let name = result.backend.name();
        let g = &result.generated;
        println!();
        println!(
            "{name}: generated {} accounts and {} revenue records in {:.1} s ({:.0} records/s); {} {:.1} s",
            g.accounts,
            g.records,
            result.generation.as_secs_f64(),
            g.records as f64 / result.generation.as_secs_f64(),
            match result.backend {
                Backend::Sqlite => "ANALYZE",
                Backend::Postgres => "VACUUM ANALYZE",
            },
            result.analyze.as_secs_f64()
        );
        println!(
            "{name}: trailing year {} EUR, the year before {} EUR; load average before/after: {} / {}",
            g.trailing_year_cents / 100,
            g.previous_year_cents / 100,
            result.load.0,
            result.load.1
        );
        for tier in &result.tiers {
            let tier_name = Tier::try_from(tier.tier).map_or("?", |t| t.as_str_name());
            println!(
                "{name}: {tier_name:<9} {:>7} accounts ({:>6}), {:>9} of revenue",
                tier.account_count,
                percent(i64::from(tier.account_count) * 1_000_000 / g.accounts.max(1) as i64),
                percent(tier.share_ppm)
            );
        }
        println!(
            "{:<10} {:<52} {:>8} {:>11} {:>11}",
            "backend", "what", "count", "median ms", "max ms"
        );
        for m in &result.measurements {
            println!(
                "{:<10} {:<52} {:>8} {:>11.1} {:>11.1}",
                name,
                m.what,
                m.changes,
                millis(median(&m.times)),
                millis(m.times.last().copied().unwrap_or_default())
            );
        }
    }
}

fn configure_server(config: &mut kam_server::Config) {
    config.request_timeout = REQUEST_TIMEOUT;
    config.sla.monitor_interval_seconds = 0;
}
