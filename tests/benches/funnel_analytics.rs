//! Latency of the funnel analytics RPCs over a million opportunities, beside the same SQL issued
//! straight to the database.
//!
//! Per backend — SQLite (a file in a temporary directory) and, when `KAM_TEST_POSTGRES_URL` is set,
//! PostgreSQL (a fresh database `kam_bench_<uuid>`, dropped afterwards) — this:
//! 1. starts the real KAM server in-process (`kam_server::run`: it migrates and writes the first ADMIN
//!    key), and stops it;
//! 2. writes `KAM_BENCH_OPPORTUNITIES` opportunities with accounts, owners and stage history
//!    ([`kam_tests::generator`]), then runs `ANALYZE` (on PostgreSQL `VACUUM ANALYZE`, the state
//!    autovacuum leaves a table in shortly after bulk inserts: index-only scans need it);
//! 3. starts the server again (its connections then plan with the fresh statistics) and, for each
//!    analytics RPC (GetFunnelSummary, GetConversionReport, GetVelocityReport, GetForecast,
//!    ListStalledOpportunities) over the default pipeline, unfiltered and filtered (the STRATEGIC tier,
//!    or with `KAM_BENCH_FILTER=owner` the busiest owner, and the year before now), makes one warm-up
//!    and `KAM_BENCH_RUNS` timed gRPC calls, one at a time, as the ADMIN;
//! 4. issues the very statements each RPC runs (`kam_server::opportunities::store::queries_by_rpc`,
//!    with the values written into the SQL) through the `sqlite3` CLI (`.timer on`) or `psql`
//!    (`\timing on`), as many times, one process per RPC and variant.
//!
//! It prints the generation time, the table sizes, and one table: per backend, RPC and variant the
//! rows the statements return, the RPC's median and max latency, the direct median (the statements
//! of one call summed), their ratio, and whether the targets hold: an RPC on PostgreSQL under 1 s, and
//! an RPC within 1.5 × the direct median. The direct time excludes what the RPC adds on purpose:
//! gRPC, authentication, loading the pipeline, decoding, and for ListStalledOpportunities the page's
//! opportunities, loaded after the statement. A last column, for diagnosis, times the same statements
//! through the server's driver (sqlx, values bound, a connection of the benchmark's own): it tells the
//! server's overhead (RPC vs driver) from the difference between the driver and the CLI (bound values
//! vs literals; on SQLite also the CLI's own SQLite library, which may be another version, built with
//! other options, than the one bundled into the server).
//!
//! Run (the full size takes a few minutes per backend; try a small one first):
//!
//! ```text
//! KAM_BENCH_OPPORTUNITIES=20000 cargo bench -p kam-tests --bench funnel_analytics
//! KAM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p kam-tests --bench funnel_analytics
//! ```
//!
//! Environment:
//! - `KAM_BENCH_OPPORTUNITIES`: opportunities to generate (default 1000000);
//! - `KAM_BENCH_RUNS`: timed calls per RPC and variant, after one warm-up (default 5);
//! - `KAM_BENCH_SEED`: the generator's seed (default 1);
//! - `KAM_BENCH_FILTER`: what the filtered variant narrows to besides the one-year range: `tier` (the
//!   STRATEGIC tier, the default) or `owner` (the owner with the most opportunities);
//! - `KAM_BENCH_BACKENDS`: which backends to run, comma-separated (default `sqlite,postgres`);
//! - `KAM_BENCH_SQLITE3`, `KAM_BENCH_PSQL`: the CLIs for the direct runs (default `sqlite3`, `psql`);
//! - `KAM_BENCH_EXPLAIN=1`: also print each statement's plan, as the driver gets it (bound values;
//!   `EXPLAIN QUERY PLAN`, or `EXPLAIN (ANALYZE, BUFFERS)`) and as the CLI does (inlined values);
//! - `KAM_BENCH_KEEP=1`: keep the SQLite directory and the PostgreSQL database (their names are
//!   printed) to look into afterwards; by default both are removed at the end;
//! - `KAM_TEST_POSTGRES_URL`: a PostgreSQL URL whose user may create databases; unset skips PostgreSQL.

use std::{
    net::SocketAddr,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use kam_proto::v1::{self as pb, opportunity_service_client::OpportunityServiceClient};
use kam_server::{
    accounts::model::Tier,
    identity::Visibility,
    opportunities::store::{FunnelScope, pipeline_or_default, queries_by_rpc},
    platform::db::Db,
};
use kam_tests::{
    Bearer,
    bench::{
        Backend, BenchDatabase, BoxError, backends_from_env, connect_for_writing, describe_machine, endpoint,
        env_or, load_average, median, millis, on_fresh_database, start_kam_server,
    },
    generator::{GeneratorConfig, generate},
    pbjson_types::Timestamp,
};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value,
    sea_query::value::prelude::chrono::{DateTime, SecondsFormat, Utc},
};
use tokio::runtime::Handle;
use tonic::{service::interceptor::InterceptedService, transport::Channel};
use uuid::Uuid;

type Client = OpportunityServiceClient<InterceptedService<Channel, Bearer>>;

/// An analytics RPC on PostgreSQL should answer within this.
const TARGET_POSTGRES_RPC: Duration = Duration::from_secs(1);
/// An RPC should take at most this many times its statements run directly.
const TARGET_RATIO: f64 = 1.5;
/// How long a server may take to answer its first health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// The server's own limit per call, raised so that a slow query is measured rather than cut off.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
const RPCS: [&str; 5] = [
    "GetFunnelSummary",
    "GetConversionReport",
    "GetVelocityReport",
    "GetForecast",
    "ListStalledOpportunities",
];

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env()?;
    println!("{}", settings.describe());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (rows, setups) = runtime.block_on(bench(&settings))?;
    report(&rows, &setups);
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FilterKind {
    Tier,
    Owner,
}

struct Settings {
    opportunities: usize,
    runs: usize,
    seed: u64,
    filter: FilterKind,
    backends: Vec<Backend>,
    sqlite3: String,
    psql: String,
    explain: bool,
    keep: bool,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let filter = match env_or("KAM_BENCH_FILTER", "tier".to_owned())?.as_str() {
            "tier" => FilterKind::Tier,
            "owner" => FilterKind::Owner,
            other => return Err(format!("KAM_BENCH_FILTER={other:?}: expected tier or owner").into()),
        };
        let backends = backends_from_env()?;
        let settings = Self {
            opportunities: env_or("KAM_BENCH_OPPORTUNITIES", 1_000_000)?,
            runs: env_or("KAM_BENCH_RUNS", 5)?,
            seed: env_or("KAM_BENCH_SEED", 1)?,
            filter,
            backends,
            sqlite3: env_or("KAM_BENCH_SQLITE3", "sqlite3".to_owned())?,
            psql: env_or("KAM_BENCH_PSQL", "psql".to_owned())?,
            explain: env_or("KAM_BENCH_EXPLAIN", 0u8)? != 0,
            keep: env_or("KAM_BENCH_KEEP", 0u8)? != 0,
        };
        if settings.opportunities == 0 || settings.runs == 0 {
            return Err("KAM_BENCH_OPPORTUNITIES and KAM_BENCH_RUNS must be > 0".into());
        }
        Ok(settings)
    }

    fn describe(&self) -> String {
        format!(
            "{machine}\n\
             data: {n} opportunities (seed {seed}); {runs} timed calls per RPC and variant after 1 warm-up; \
             filtered variant: {filter} and the last 365 days",
            machine = describe_machine(),
            n = self.opportunities,
            seed = self.seed,
            runs = self.runs,
            filter = match self.filter {
                FilterKind::Tier => "tier STRATEGIC",
                FilterKind::Owner => "the busiest owner",
            },
        )
    }
}

/// One row of the result table.
struct Measurement {
    backend: Backend,
    rpc: &'static str,
    variant: &'static str,
    /// Rows the RPC's statements return, summed.
    rows: usize,
    /// Latencies of the timed calls, sorted.
    rpc_times: Vec<Duration>,
    /// The statements' time per run through the CLI (summed over the statements of one call), sorted.
    direct_times: Vec<Duration>,
    /// The same through the server's driver (sqlx, bound values) on a connection of our own, sorted.
    driver_times: Vec<Duration>,
}

/// What setting a backend up took and left.
struct Setup {
    backend: Backend,
    generated: kam_tests::generator::Generated,
    generation: Duration,
    analyze: Duration,
    /// (table, data bytes, index bytes).
    sizes: Vec<(String, u64, u64)>,
    /// The database's size on disk.
    total_bytes: u64,
    /// The machine's load average (1, 5, 15 min) before and after measuring: other work on the machine
    /// slows the heavy queries down.
    load: (String, String),
}

async fn bench(settings: &Settings) -> Result<(Vec<Measurement>, Vec<Setup>), BoxError> {
    let mut rows = Vec::new();
    let mut setups = Vec::new();
    for &backend in &settings.backends {
        let run = async |target: &BenchDatabase| bench_backend(target, settings).await;
        if let Some((measured, setup)) = on_fresh_database(backend, settings.keep, run).await? {
            rows.extend(measured);
            setups.push(setup);
        }
    }
    Ok((rows, setups))
}

async fn bench_backend(
    target: &BenchDatabase,
    settings: &Settings,
) -> Result<(Vec<Measurement>, Setup), BoxError> {
    let backend = target.backend;
    let key_file = target.dir.join("kam-admin.key");
    let runtime = Handle::current();
    let start_server = || {
        start_kam_server(
            &runtime,
            &target.url,
            &key_file,
            STARTUP_TIMEOUT,
            configure_server,
        )
    };
    eprintln!("{}: migrating…", backend.name());
    start_server().await?.stop().await?;

    let config = GeneratorConfig::new(settings.opportunities, settings.seed);
    let now = config.now;
    let db = connect_for_writing(backend, &target.url).await?;
    eprintln!(
        "{}: generating {} opportunities…",
        backend.name(),
        settings.opportunities
    );
    let started = Instant::now();
    let generated = generate(&db, &config).await?;
    let generation = started.elapsed();
    eprintln!(
        "{}: generated in {:.1} s: {generated:?}",
        backend.name(),
        generation.as_secs_f64()
    );
    let started = Instant::now();
    // On PostgreSQL also VACUUM: a table that was only ever inserted into has no visibility map until
    // autovacuum's first pass, and without one the planner will not use index-only scans (velocity's
    // medians). A live database is in that state within minutes; the benchmark measures that state.
    let maintenance = match backend {
        Backend::Sqlite => "ANALYZE",
        Backend::Postgres => "VACUUM ANALYZE",
    };
    db.execute_unprepared(maintenance).await?;
    let analyze = started.elapsed();
    if backend == Backend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    let (sizes, total_bytes) = table_sizes(target, &settings.sqlite3, &db).await?;
    let busiest_owner = busiest_owner(&db).await?;
    db.close().await?;

    let server = start_server().await?;
    let load_before = load_average();
    let outcome = measure(target, settings, server.addr, &key_file, now, busiest_owner).await;
    let load = (load_before, load_average());
    server.stop().await?;
    let setup = Setup {
        backend,
        generated,
        generation,
        analyze,
        sizes,
        total_bytes,
        load,
    };
    Ok((outcome?, setup))
}

/// The variants: unfiltered, and narrowed to a tier or an owner over the year before `now`.
fn variants(
    filter: FilterKind,
    now: DateTime<Utc>,
    owner: Uuid,
) -> [(&'static str, pb::FunnelFilter, ScopeParts); 2] {
    let start = now - sea_orm::sea_query::value::prelude::chrono::Duration::days(365);
    let timestamp = |t: DateTime<Utc>| Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    };
    let (tier, owner) = match filter {
        FilterKind::Tier => (Some(Tier::Strategic), None),
        FilterKind::Owner => (None, Some(owner)),
    };
    let filtered = pb::FunnelFilter {
        tier: if tier.is_some() {
            pb::Tier::Strategic as i32
        } else {
            0
        },
        owner_staff_id: owner.map(|id| id.to_string()).unwrap_or_default(),
        start_time: Some(timestamp(start)),
        end_time: Some(timestamp(now)),
        ..Default::default()
    };
    let seconds = |t: DateTime<Utc>| DateTime::from_timestamp(t.timestamp(), 0).expect("in range");
    [
        ("all", pb::FunnelFilter::default(), ScopeParts::default()),
        (
            match filter {
                FilterKind::Tier => "STRATEGIC, 1 year",
                FilterKind::Owner => "1 owner, 1 year",
            },
            filtered,
            ScopeParts {
                tier,
                owner,
                start: Some(seconds(start)),
                end: Some(seconds(now)),
            },
        ),
    ]
}

/// The filter as the server reads it.
#[derive(Clone, Copy, Default)]
struct ScopeParts {
    tier: Option<Tier>,
    owner: Option<Uuid>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

async fn measure(
    target: &BenchDatabase,
    settings: &Settings,
    addr: SocketAddr,
    key_file: &Path,
    now: DateTime<Utc>,
    busiest_owner: Uuid,
) -> Result<Vec<Measurement>, BoxError> {
    let admin_key = std::fs::read_to_string(key_file)?;
    let channel = endpoint(addr)?.connect().await?;
    let client =
        OpportunityServiceClient::new(InterceptedService::new(channel, Bearer::new(admin_key.trim())))
            .max_decoding_message_size(64 << 20);
    let db = Db::connect(&kam_server::Config {
        database_url: target.url.clone(),
        db_max_connections: 2,
        ..Default::default()
    })
    .await?;
    let pipeline = pipeline_or_default(&db, None).await?;

    let mut measured = Vec::new();
    for (variant, filter, parts) in variants(settings.filter, now, busiest_owner) {
        let scope = FunnelScope {
            pipeline: pipeline.clone(),
            owner_staff_id: parts.owner,
            account_id: None,
            tier: parts.tier,
            start: parts.start,
            end: parts.end,
            visibility: Visibility::All,
            segments: Default::default(),
        };
        for rpc in RPCS {
            eprintln!("{}: {rpc} ({variant})…", target.backend.name());
            let mut latencies = Vec::with_capacity(settings.runs);
            for run in 0..=settings.runs {
                let started = Instant::now();
                call(client.clone(), rpc, filter.clone()).await?;
                if run > 0 {
                    latencies.push(started.elapsed());
                }
            }
            latencies.sort_unstable();

            let statements = statements_of(&db, &scope, rpc).await?;
            let mut rows = 0;
            let mut driver_times = Vec::with_capacity(settings.runs);
            for run in 0..=settings.runs {
                let started = Instant::now();
                for statement in &statements {
                    let returned = db.conn().query_all_raw(statement.clone()).await?.len();
                    if run == 0 {
                        rows += returned;
                    }
                }
                if run > 0 {
                    driver_times.push(started.elapsed());
                }
            }
            driver_times.sort_unstable();
            let sql = statements.iter().map(inline).collect::<Result<Vec<_>, _>>()?;
            let mut direct = run_direct(target, settings, &sql, rpc).await?;
            direct.sort_unstable();
            if settings.explain {
                for (statement, sql) in statements.iter().zip(&sql) {
                    println!("=== {} {rpc} ({variant})\n{sql}", target.backend.name());
                    println!("--- driver:\n{}", explain_driver(&db, statement).await?);
                    println!("--- CLI:\n{}", explain_cli(target, settings, sql)?);
                }
            }
            measured.push(Measurement {
                backend: target.backend,
                rpc,
                variant,
                rows,
                rpc_times: latencies,
                direct_times: direct,
                driver_times,
            });
        }
    }
    db.conn().clone().close().await?;
    Ok(measured)
}

/// The statements `rpc` runs for `scope`, as the server builds them (the stalled query as of now).
async fn statements_of(db: &Db, scope: &FunnelScope, rpc: &str) -> Result<Vec<Statement>, BoxError> {
    let now = Utc::now();
    let now = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    queries_by_rpc(db, scope, now)
        .await?
        .into_iter()
        .find(|(name, _)| *name == rpc)
        .map(|(_, statements)| statements)
        .ok_or_else(|| format!("queries_by_rpc has no {rpc}").into())
}

async fn call(mut client: Client, rpc: &str, filter: pb::FunnelFilter) -> Result<(), tonic::Status> {
    let filter = Some(filter);
    match rpc {
        "GetFunnelSummary" => client
            .get_funnel_summary(pb::GetFunnelSummaryRequest {
                filter,
                group_by: None,
            })
            .await
            .map(drop),
        "GetConversionReport" => client
            .get_conversion_report(pb::GetConversionReportRequest { filter })
            .await
            .map(drop),
        "GetVelocityReport" => client
            .get_velocity_report(pb::GetVelocityReportRequest { filter })
            .await
            .map(drop),
        "GetForecast" => client
            .get_forecast(pb::GetForecastRequest {
                filter,
                group_by: None,
            })
            .await
            .map(drop),
        "ListStalledOpportunities" => client
            .list_stalled_opportunities(pb::ListStalledOpportunitiesRequest {
                filter,
                page_size: 0,
                page_token: String::new(),
            })
            .await
            .map(drop),
        other => Err(tonic::Status::unimplemented(other.to_owned())),
    }
}

/// Runs `statements` once to warm up, then `settings.runs` times, in one CLI process; returns each
/// run's time, the statements summed.
async fn run_direct(
    target: &BenchDatabase,
    settings: &Settings,
    statements: &[String],
    rpc: &str,
) -> Result<Vec<Duration>, BoxError> {
    let mut script = match target.backend {
        Backend::Sqlite => ".bail on\n.timer on\n.output /dev/null\n".to_owned(),
        Backend::Postgres => "\\set ON_ERROR_STOP on\n\\timing on\n\\o /dev/null\n".to_owned(),
    };
    for _ in 0..=settings.runs {
        for statement in statements {
            script.push_str(statement);
            script.push_str(";\n");
        }
    }
    let script_file = target.dir.join(format!("{rpc}.sql"));
    std::fs::write(&script_file, &script)?;
    let mut command = match target.backend {
        Backend::Sqlite => {
            let mut command = Command::new(&settings.sqlite3);
            command.arg("-bail").arg(&target.cli_target);
            command
        }
        Backend::Postgres => {
            let mut command = Command::new(&settings.psql);
            command
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
                .arg(&target.cli_target);
            command
        }
    };
    command
        .stdin(std::fs::File::open(&script_file)?)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let backend = target.backend;
    let output = tokio::task::spawn_blocking(move || command.output()).await??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !output.stderr.is_empty() {
        return Err(format!(
            "{} failed on {rpc} ({}): {}",
            backend.name(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let times: Vec<Duration> = stdout
        .lines()
        .filter_map(|line| parse_time(backend, line))
        .collect();
    let expected = (settings.runs + 1) * statements.len();
    if times.len() != expected {
        return Err(format!(
            "{rpc}: expected {expected} timings from the {} CLI, got {}:\n{stdout}",
            backend.name(),
            times.len()
        )
        .into());
    }
    Ok(times
        .chunks(statements.len())
        .skip(1)
        .map(|run| run.iter().sum())
        .collect())
}

/// The plan of `statement` through the driver, with its values bound.
async fn explain_driver(db: &Db, statement: &Statement) -> Result<String, BoxError> {
    let backend = statement.db_backend;
    let prefix = match backend {
        DatabaseBackend::Postgres => "EXPLAIN (ANALYZE, BUFFERS) ",
        _ => "EXPLAIN QUERY PLAN ",
    };
    let explain = Statement {
        sql: format!("{prefix}{}", statement.sql),
        ..statement.clone()
    };
    let rows = db.conn().query_all_raw(explain).await?;
    let mut out = String::new();
    if backend == DatabaseBackend::Postgres {
        for row in rows {
            let line: String = row.try_get_by_index(0)?;
            out.push_str(&line);
            out.push('\n');
        }
        return Ok(out);
    }
    // (id, parent, notused, detail): indent each node under its parent.
    let mut depth_of: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for row in rows {
        let (id, parent): (i64, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        let detail: String = row.try_get_by_index(3)?;
        let depth = depth_of.get(&parent).map_or(0, |d| d + 1);
        depth_of.insert(id, depth);
        out.push_str(&format!("{}{detail}\n", "  ".repeat(depth)));
    }
    Ok(out)
}

/// The plan of `sql` (values inlined) through the CLI.
fn explain_cli(target: &BenchDatabase, settings: &Settings, sql: &str) -> Result<String, BoxError> {
    let output = match target.backend {
        Backend::Sqlite => Command::new(&settings.sqlite3)
            .args([
                "-readonly",
                &target.cli_target,
                &format!("EXPLAIN QUERY PLAN {sql};"),
            ])
            .output()?,
        Backend::Postgres => Command::new(&settings.psql)
            .args(["-X", "-q", &target.cli_target, "-c"])
            .arg(format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"))
            .output()?,
    };
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// `Run Time: real 0.123 user … sys …` (sqlite3) or `Time: 12.345 ms` (psql, with ` (00:01.234)` from
/// a second on).
fn parse_time(backend: Backend, line: &str) -> Option<Duration> {
    match backend {
        Backend::Sqlite => {
            let seconds: f64 = line
                .strip_prefix("Run Time: real ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some(Duration::from_secs_f64(seconds))
        }
        Backend::Postgres => {
            let millis: f64 = line
                .strip_prefix("Time: ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some(Duration::from_secs_f64(millis / 1e3))
        }
    }
}

/// `statement` with its values written into the SQL, as the CLIs take it: on SQLite uuids as the BLOBs
/// they are stored as (`X'…'`) and instants as the text sqlx writes; on PostgreSQL typed literals.
fn inline(statement: &Statement) -> Result<String, BoxError> {
    let backend = statement.db_backend;
    let values = statement.values.as_ref().map_or(&[][..], |values| &values.0[..]);
    let sql = &statement.sql;
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 32 * values.len());
    let (mut copied, mut i, mut next_plain) = (0, 0, 0);
    let mut in_string = false;
    while i < bytes.len() {
        let byte = bytes[i];
        if in_string {
            in_string = byte != b'\'';
            i += 1;
            continue;
        }
        let is_placeholder = match backend {
            DatabaseBackend::Postgres => byte == b'$',
            _ => byte == b'?',
        };
        if byte == b'\'' {
            in_string = true;
        }
        if !is_placeholder {
            i += 1;
            continue;
        }
        let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        let index = if digits > 0 {
            sql[i + 1..i + 1 + digits].parse::<usize>()? - 1
        } else if backend == DatabaseBackend::Postgres {
            i += 1;
            continue;
        } else {
            next_plain += 1;
            next_plain - 1
        };
        let value = values
            .get(index)
            .ok_or_else(|| format!("placeholder {} has no value in {sql}", index + 1))?;
        out.push_str(&sql[copied..i]);
        out.push_str(&literal(backend, value)?);
        i += 1 + digits;
        copied = i;
    }
    out.push_str(&sql[copied..]);
    Ok(out)
}

fn literal(backend: DatabaseBackend, value: &Value) -> Result<String, BoxError> {
    let postgres = backend == DatabaseBackend::Postgres;
    let quoted = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let typed = |text: &str, pg_type: &str| {
        if postgres {
            format!("{}::{pg_type}", quoted(text))
        } else {
            quoted(text)
        }
    };
    Ok(match value {
        Value::Bool(Some(b)) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Value::TinyInt(Some(n)) => n.to_string(),
        Value::SmallInt(Some(n)) => n.to_string(),
        Value::Int(Some(n)) => n.to_string(),
        Value::BigInt(Some(n)) => n.to_string(),
        Value::TinyUnsigned(Some(n)) => n.to_string(),
        Value::SmallUnsigned(Some(n)) => n.to_string(),
        Value::Unsigned(Some(n)) => n.to_string(),
        Value::BigUnsigned(Some(n)) => n.to_string(),
        Value::Double(Some(x)) => format!("{x:?}"),
        Value::String(Some(s)) => quoted(s),
        Value::Uuid(Some(id)) if postgres => typed(&id.hyphenated().to_string(), "uuid"),
        Value::Uuid(Some(id)) => format!("X'{}'", id.simple()),
        // What sqlx stores on SQLite (RFC 3339, `+00:00`); PostgreSQL parses it as well.
        Value::ChronoDateTimeUtc(Some(t)) => {
            typed(&t.to_rfc3339_opts(SecondsFormat::AutoSi, false), "timestamptz")
        }
        Value::ChronoDate(Some(d)) => typed(&d.format("%F").to_string(), "date"),
        Value::Bool(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::String(None)
        | Value::Uuid(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::ChronoDate(None) => "NULL".to_owned(),
        other => return Err(format!("no SQL literal for {other:?}").into()),
    })
}

/// For writing: SQLite with a big page cache (the indexes stay in memory while rows go in).
/// The staff member owning the most opportunities (the owner-filtered variant's).
async fn busiest_owner(db: &DatabaseConnection) -> Result<Uuid, BoxError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT owner_staff_id, COUNT(*) AS n FROM opportunities GROUP BY owner_staff_id \
             ORDER BY n DESC LIMIT 1",
        ))
        .await?
        .ok_or("no opportunities")?;
    Ok(row.try_get_by_index(0)?)
}

const TABLES: [&str; 4] = ["opportunities", "opportunity_stage_changes", "accounts", "staff"];

/// (table, data bytes, index bytes) of the generated tables, and the database's size.
async fn table_sizes(
    target: &BenchDatabase,
    sqlite3: &str,
    db: &DatabaseConnection,
) -> Result<(Vec<(String, u64, u64)>, u64), BoxError> {
    match target.backend {
        Backend::Sqlite => {
            // dbstat is compiled into the sqlite3 CLI, not necessarily into the driver's SQLite.
            let query = "SELECT m.tbl_name, SUM(CASE WHEN m.type = 'table' THEN s.pgsize ELSE 0 END), \
                 SUM(CASE WHEN m.type = 'index' THEN s.pgsize ELSE 0 END) \
                 FROM dbstat s JOIN sqlite_schema m ON m.name = s.name GROUP BY m.tbl_name;";
            let output = Command::new(sqlite3)
                .args(["-readonly", &target.cli_target, query])
                .output()?;
            let text = String::from_utf8_lossy(&output.stdout);
            let sizes = text
                .lines()
                .filter_map(|line| {
                    let mut fields = line.split('|');
                    let (table, data, index) = (fields.next()?, fields.next()?, fields.next()?);
                    TABLES
                        .contains(&table)
                        .then(|| Some((table.to_owned(), data.parse().ok()?, index.parse().ok()?)))?
                })
                .collect();
            let total = std::fs::metadata(&target.cli_target)?.len();
            Ok((sizes, total))
        }
        Backend::Postgres => {
            let mut sizes = Vec::new();
            for table in TABLES {
                let row = db
                    .query_one_raw(Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        "SELECT pg_table_size($1::regclass), pg_indexes_size($1::regclass)",
                        [table.into()],
                    ))
                    .await?
                    .ok_or("no size")?;
                let (data, index): (i64, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
                sizes.push((table.to_owned(), data as u64, index as u64));
            }
            let total: i64 = db
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Postgres,
                    "SELECT pg_database_size(current_database())",
                ))
                .await?
                .ok_or("no size")?
                .try_get_by_index(0)?;
            Ok((sizes, total as u64))
        }
    }
}

/// The 1, 5 and 15 minute load averages (Linux), or `?`.
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn report(rows: &[Measurement], setups: &[Setup]) {
    println!();
    for setup in setups {
        let g = &setup.generated;
        let share = |n: usize| 100.0 * n as f64 / g.opportunities.max(1) as f64;
        println!(
            "{}: generated {} opportunities ({:.1}% won, {:.1}% lost, {:.1}% open, {:.1}% reopened), \
             {} stage changes, {} accounts, {} staff in {:.1} s ({:.0} opportunities/s); (VACUUM) ANALYZE {:.1} s",
            setup.backend.name(),
            g.opportunities,
            share(g.won),
            share(g.lost),
            share(g.open),
            share(g.reopened),
            g.stage_changes,
            g.accounts,
            g.staff,
            setup.generation.as_secs_f64(),
            g.opportunities as f64 / setup.generation.as_secs_f64(),
            setup.analyze.as_secs_f64(),
        );
        for (table, data, index) in &setup.sizes {
            println!(
                "  {table:<26} data {:>9.1} MiB, indexes {:>9.1} MiB",
                mib(*data),
                mib(*index)
            );
        }
        println!(
            "  {:<26} {:>14.1} MiB",
            "database in total",
            mib(setup.total_bytes)
        );
        println!(
            "  load average while measuring: {} before, {} after",
            setup.load.0, setup.load.1
        );
    }
    println!();
    println!(
        "{:<8} | {:<24} | {:<17} | {:>6} | {:>10} | {:>10} | {:>13} | {:>10} | {:>13} | targets",
        "backend",
        "rpc",
        "variant",
        "rows",
        "RPC med ms",
        "RPC max ms",
        "direct med ms",
        "RPC/direct",
        "driver med ms",
    );
    println!(
        "{:-<8}-|-{:-<24}-|-{:-<17}-|-{:-<6}-|-{:-<10}-|-{:-<10}-|-{:-<13}-|-{:-<10}-|-{:-<13}-|-{:-<26}",
        "", "", "", "", "", "", "", "", "", ""
    );
    let mut missed = 0;
    for row in rows {
        let (rpc, direct) = (median(&row.rpc_times), median(&row.direct_times));
        let ratio = rpc.as_secs_f64() / direct.as_secs_f64().max(1e-6);
        let max = row.rpc_times.last().copied().unwrap_or_default();
        let mut verdicts = Vec::new();
        if row.backend == Backend::Postgres {
            verdicts.push(if rpc < TARGET_POSTGRES_RPC {
                "<1s ok"
            } else {
                "<1s MISSED"
            });
        }
        verdicts.push(if ratio <= TARGET_RATIO {
            "≤1.5× ok"
        } else {
            "≤1.5× MISSED"
        });
        missed += verdicts.iter().filter(|v| v.ends_with("MISSED")).count();
        println!(
            "{:<8} | {:<24} | {:<17} | {:>6} | {:>10.1} | {:>10.1} | {:>13.1} | {:>10.2} | {:>13.1} | {}",
            row.backend.name(),
            row.rpc,
            row.variant,
            row.rows,
            millis(rpc),
            millis(max),
            millis(direct),
            ratio,
            millis(median(&row.driver_times)),
            verdicts.join(", "),
        );
    }
    println!();
    println!(
        "targets: an RPC on PostgreSQL answers in < {} s (median); an RPC takes ≤ {TARGET_RATIO} × its \
         statements run directly (sqlite3 / psql, median); {missed} missed. driver: the same statements \
         through the server's driver (sqlx, values bound), no gRPC",
        TARGET_POSTGRES_RPC.as_secs()
    );
}

/// What this benchmark changes in the server's configuration, besides what the harness sets.
fn configure_server(config: &mut kam_server::Config) {
    config.request_timeout = REQUEST_TIMEOUT;
}
