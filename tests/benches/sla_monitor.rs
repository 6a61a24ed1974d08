//! The SLA breach monitor's scan and the SLA-state filter of `ListServiceRequests` over a million
//! service requests, a tenth of them open.
//!
//! Per backend — SQLite (a file in a temporary directory) and, when `KAM_TEST_POSTGRES_URL` is set,
//! PostgreSQL (a fresh database `kam_bench_<uuid>`, dropped afterwards) — this:
//! 1. starts the real KAM server in-process (`kam_server::run`: it migrates and writes the first ADMIN
//!    key), and stops it;
//! 2. writes `KAM_BENCH_REQUESTS` service requests, `KAM_BENCH_OPEN` of them open, with accounts,
//!    agents and status history ([`kam_tests::sla_generator`]: the stored SLA columns are those the
//!    server's own rules derive, as if the monitor had been running all along), then runs `ANALYZE` (on
//!    PostgreSQL `VACUUM ANALYZE`);
//! 3. prints the plans (`EXPLAIN QUERY PLAN` / `EXPLAIN`) of the monitor's batch query (due requests by
//!    `next_check_time`) and of the AT_RISK and BREACHED open filters, to show
//!    `ix_service_requests_next_check` and the live requests' index (`ix_service_requests_live`) at work;
//! 4. starts the server again, SLA monitor off, and times `ListServiceRequests` filtered to
//!    `sla_state = AT_RISK` (first page, page_size 50 and 1000), the due-soon filter (IN_PROGRESS,
//!    open, due within 4 h) and BREACHED open (one warm-up and `KAM_BENCH_RUNS` calls each, one at a
//!    time, as the ADMIN); for each page of 50 also the page after it (the warm-up's `page_token`).
//!    Beside each it reports the process's peak resident memory (`VmRSS` of /proc/self/status, sampled
//!    every 20 ms on a thread while the calls run), and the resident memory at rest, once the server has
//!    started and before the first list call. The server runs in this process, so that is the server's
//!    memory (with its SQLite connections' page caches) plus the benchmark's small share and what the
//!    generation left allocated; PostgreSQL's own memory is in its backend processes, not counted;
//! 5. stops it and times the monitor's scan,
//!    `kam_server::service_levels::monitor::scan_once(&db, now + Δ, KAM_BENCH_BATCH)`, on a connection
//!    pool like the server's, for Δ = 1 min, 5 min, 15 min and 60 min in turn (each scan records the transitions that came due since the previous one, so
//!    `examined` is the requests coming due in that stretch: the scan's cost should follow it, not the
//!    table), and the scan's batch query alone at the same instants (before the scans, read only).
//!
//! It prints the generation time, where the open requests stand (breached, at risk, paused, due within
//! 4 h, in progress), the table sizes, the resident memory at rest, and one table per backend: what
//! was timed, the rows it returned or examined, median and max, and the peak resident memory (MiB)
//! during the list calls.
//!
//! Run (the full size takes several minutes per backend on 2 cores; try a small one first):
//!
//! ```text
//! KAM_BENCH_REQUESTS=20000 KAM_BENCH_OPEN=2000 cargo bench -p kam-tests --bench sla_monitor
//! KAM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p kam-tests --bench sla_monitor
//! ```
//!
//! Environment:
//! - `KAM_BENCH_REQUESTS`: service requests to generate (default 1000000);
//! - `KAM_BENCH_OPEN`: how many of them are open (default a tenth);
//! - `KAM_BENCH_RUNS`: timed calls per list variant, after one warm-up (default 5);
//! - `KAM_BENCH_BATCH`: the monitor's batch size (default 500, the server's default);
//! - `KAM_BENCH_SEED`: the generator's seed (default 1);
//! - `KAM_BENCH_BACKENDS`: which backends to run, comma-separated (default `sqlite,postgres`);
//! - `KAM_BENCH_KEEP=1`: keep the SQLite directory and the PostgreSQL database (their names are
//!   printed); by default both are removed at the end;
//! - `KAM_TEST_POSTGRES_URL`: a PostgreSQL URL whose user may create databases; unset skips PostgreSQL.

use std::{
    net::SocketAddr,
    path::Path,
    time::{Duration, Instant},
};

use kam_proto::v1::{self as pb, service_level_service_client::ServiceLevelServiceClient, sla_target::State};
use kam_server::{platform::db::Db, service_levels::monitor::scan_once};
use kam_tests::{
    Bearer,
    bench::{
        self, Backend, BenchDatabase, BoxError, MemorySampler, backends_from_env, connect_for_writing,
        describe_machine, endpoint, env_or, load_average, median, millis, on_fresh_database,
        start_kam_server,
    },
    sla_generator::{SlaGenerated, SlaGeneratorConfig, generate_requests},
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, Statement, Value,
    sea_query::value::prelude::chrono::{DateTime, Utc},
};
use tokio::runtime::Handle;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

type Client = ServiceLevelServiceClient<InterceptedService<Channel, Bearer>>;

/// How long a server may take to answer its first health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// The server's own limit per call, raised so that a slow query is measured rather than cut off.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// How far after the generation's `now` each monitor scan runs.
const SCAN_OFFSETS_MINUTES: [i64; 4] = [1, 5, 15, 60];

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env()?;
    println!("{}", settings.describe());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let results = runtime.block_on(bench(&settings))?;
    report(&results);
    Ok(())
}

struct Settings {
    requests: usize,
    open: usize,
    runs: usize,
    batch: u64,
    seed: u64,
    backends: Vec<Backend>,
    keep: bool,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let backends = backends_from_env()?;
        let requests = env_or("KAM_BENCH_REQUESTS", 1_000_000)?;
        let settings = Self {
            requests,
            open: env_or("KAM_BENCH_OPEN", requests / 10)?,
            runs: env_or("KAM_BENCH_RUNS", 5)?,
            batch: env_or("KAM_BENCH_BATCH", 500)?,
            seed: env_or("KAM_BENCH_SEED", 1)?,
            backends,
            keep: env_or("KAM_BENCH_KEEP", 0u8)? != 0,
        };
        if settings.requests == 0 || settings.runs == 0 || settings.open > settings.requests {
            return Err(
                "KAM_BENCH_REQUESTS and KAM_BENCH_RUNS must be > 0, KAM_BENCH_OPEN at most the requests"
                    .into(),
            );
        }
        Ok(settings)
    }

    fn describe(&self) -> String {
        format!(
            "{machine}\n\
             data: {n} service requests, {open} open (seed {seed}); {runs} timed calls per list variant \
             after 1 warm-up; monitor batch {batch}",
            machine = describe_machine(),
            n = self.requests,
            open = self.open,
            seed = self.seed,
            runs = self.runs,
            batch = self.batch,
        )
    }
}

/// One row of a result table.
struct Measurement {
    what: String,
    /// Rows returned (lists, the batch query) or requests examined (scans).
    rows: u64,
    /// Sorted.
    times: Vec<Duration>,
    /// The process's peak resident memory while this was measured, in KiB (list calls only).
    peak_rss_kib: Option<u64>,
}

/// What one backend took, left and measured.
struct BackendResult {
    backend: Backend,
    generated: SlaGenerated,
    generation: Duration,
    analyze: Duration,
    /// (table, rows).
    sizes: Vec<(String, i64)>,
    /// The machine's load average before and after measuring.
    load: (String, String),
    /// The process's resident memory with the server started, before the list calls, in KiB.
    rest_rss_kib: Option<u64>,
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
    let (backend, url) = (database.backend, database.url.as_str());
    let key_file = database.dir.join("kam-admin.key");
    let runtime = Handle::current();
    let start_server = || start_kam_server(&runtime, url, &key_file, STARTUP_TIMEOUT, configure_server);
    eprintln!("{}: migrating…", backend.name());
    start_server().await?.stop().await?;

    let config = SlaGeneratorConfig::new(settings.requests, settings.open, settings.seed);
    let now = config.now;
    let db = connect_for_writing(backend, url).await?;
    eprintln!(
        "{}: generating {} service requests ({} open)…",
        backend.name(),
        settings.requests,
        settings.open
    );
    let started = Instant::now();
    let generated = generate_requests(&db, &config).await?;
    let generation = started.elapsed();
    eprintln!(
        "{}: generated in {:.1} s: {generated:?}",
        backend.name(),
        generation.as_secs_f64()
    );
    let started = Instant::now();
    let maintenance = match backend {
        Backend::Sqlite => "ANALYZE",
        Backend::Postgres => "VACUUM ANALYZE",
    };
    db.execute_unprepared(maintenance).await?;
    let analyze = started.elapsed();
    if backend == Backend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    let mut sizes = Vec::new();
    for table in ["service_requests", "service_request_status_changes"] {
        sizes.push((
            table.to_owned(),
            count(&db, &format!("SELECT COUNT(*) FROM {table}"), vec![]).await?,
        ));
    }
    print_plans(backend, &db, now, settings.batch).await?;
    let mut measurements = Vec::new();
    // The scan's batch query alone (read only), at each instant the scans below run at.
    for minutes in SCAN_OFFSETS_MINUTES {
        let at = now + chrono_minutes(minutes);
        let (sql, values) = scan_query(backend, at, settings.batch);
        let mut times = Vec::new();
        let mut rows = 0;
        for run in 0..=settings.runs {
            let started = Instant::now();
            let found = db
                .query_all_raw(Statement::from_sql_and_values(
                    db.get_database_backend(),
                    &sql,
                    values.clone(),
                ))
                .await?;
            if run > 0 {
                times.push(started.elapsed());
            }
            rows = found.len() as u64;
        }
        times.sort();
        measurements.push(Measurement {
            what: format!("scan batch query alone, now+{minutes}m"),
            rows,
            times,
            peak_rss_kib: None,
        });
    }
    db.close().await?;

    let server = start_server().await?;
    let load_before = load_average();
    let lists = measure_lists(server.addr, &key_file, now, settings.runs).await;
    server.stop().await?;
    let lists = lists?;
    measurements.extend(lists.measurements);

    // The monitor: scans at increasing instants, each recording what came due since the last.
    let server_db = Db::connect(&kam_server::Config {
        database_url: url.to_owned(),
        ..Default::default()
    })
    .await?;
    for minutes in SCAN_OFFSETS_MINUTES {
        let at = now + chrono_minutes(minutes);
        let started = Instant::now();
        let scanned = scan_once(&server_db, at, settings.batch).await?;
        let took = started.elapsed();
        eprintln!(
            "{}: scan at now+{minutes}m: {scanned:?} in {:.1} ms",
            backend.name(),
            millis(took)
        );
        measurements.push(Measurement {
            what: format!(
                "monitor scan_once, now+{minutes}m ({} at risk, {} breached recorded)",
                scanned.at_risk_recorded, scanned.breached_recorded
            ),
            rows: scanned.examined,
            times: vec![took],
            peak_rss_kib: None,
        });
    }
    // A scan with nothing due: the floor.
    let at = now + chrono_minutes(SCAN_OFFSETS_MINUTES[SCAN_OFFSETS_MINUTES.len() - 1]);
    let mut times = Vec::new();
    for _ in 0..settings.runs {
        let started = Instant::now();
        scan_once(&server_db, at, settings.batch).await?;
        times.push(started.elapsed());
    }
    times.sort();
    measurements.push(Measurement {
        what: "monitor scan_once, nothing due".to_owned(),
        rows: 0,
        times,
        peak_rss_kib: None,
    });
    server_db.conn().clone().close().await?;
    let load = (load_before, load_average());
    Ok(BackendResult {
        backend,
        generated,
        generation,
        analyze,
        sizes,
        load,
        rest_rss_kib: lists.rest_rss_kib,
        measurements,
    })
}

fn chrono_minutes(minutes: i64) -> sea_orm::sea_query::value::prelude::chrono::Duration {
    sea_orm::sea_query::value::prelude::chrono::Duration::minutes(minutes)
}

fn placeholder(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Postgres => format!("${n}"),
        Backend::Sqlite => "?".to_owned(),
    }
}

/// The monitor's batch query, as `scan_once` builds it.
fn scan_query(backend: Backend, at: DateTime<Utc>, batch: u64) -> (String, Vec<Value>) {
    let p = |n| placeholder(backend, n);
    (
        format!(
            "SELECT id, calendar_id, policy_id FROM service_requests \
             WHERE next_check_time IS NOT NULL AND next_check_time <= {} \
             ORDER BY next_check_time, id LIMIT {}",
            p(1),
            p(2)
        ),
        vec![at.into(), (batch as i64).into()],
    )
}

/// The AT_RISK filter of `ListServiceRequests` (either target), first page in id order, as the
/// server's `state_condition` builds it, with the live-request condition the server adds.
fn at_risk_query(backend: Backend, at: DateTime<Utc>, limit: i64) -> (String, Vec<Value>) {
    let p = |n| placeholder(backend, n);
    (
        format!(
            "SELECT id FROM service_requests WHERE \
             ((first_response_settled_state IS NULL AND first_response_at_risk_time <= {0} \
              AND first_response_due_time >= {0}) \
             OR (resolution_settled_state IS NULL AND resolution_at_risk_time <= {0} \
              AND resolution_due_time >= {0})) \
             AND {LIVE_REQUEST} ORDER BY id LIMIT {1}",
            p(1),
            p(2)
        ),
        vec![at.into(), limit.into()],
    )
}

/// The BREACHED filter of `ListServiceRequests` with `open_only` (either target), first page in id
/// order, as the server builds it.
fn breached_open_query(backend: Backend, at: DateTime<Utc>, limit: i64) -> (String, Vec<Value>) {
    let p = |n| placeholder(backend, n);
    (
        format!(
            "SELECT id FROM service_requests WHERE \
             status NOT IN ({2}, {3}, {4}) \
             AND (first_response_settled_state = {5} \
              OR (first_response_settled_state IS NULL AND first_response_due_time < {0}) \
              OR resolution_settled_state = {5} \
              OR (resolution_settled_state IS NULL AND resolution_due_time < {0})) \
             AND {LIVE_REQUEST} ORDER BY id LIMIT {1}",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6)
        ),
        vec![
            at.into(),
            limit.into(),
            "RESOLVED".into(),
            "CLOSED".into(),
            "CANCELLED".into(),
            "BREACHED".into(),
        ],
    )
}

/// The condition the server adds to the filters only live requests match (`LIVE_REQUEST` in
/// `service_levels::store::requests`): the predicate of `ix_service_requests_live`.
const LIVE_REQUEST: &str = "(first_response_settled_state IS NULL OR resolution_settled_state IS NULL \
                            OR status NOT IN ('RESOLVED', 'CLOSED', 'CANCELLED'))";

async fn print_plans(
    backend: Backend,
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<(), BoxError> {
    let explain = match backend {
        Backend::Sqlite => "EXPLAIN QUERY PLAN",
        Backend::Postgres => "EXPLAIN",
    };
    let at = now + chrono_minutes(15);
    for (what, (sql, values)) in [
        ("monitor batch query (now+15m)", scan_query(backend, at, batch)),
        (
            "AT_RISK filter, first page of 50",
            at_risk_query(backend, now, 50),
        ),
        (
            "BREACHED open filter, first page of 50",
            breached_open_query(backend, now, 50),
        ),
    ] {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                format!("{explain} {sql}"),
                values,
            ))
            .await?;
        println!("{}: plan of the {what}:", backend.name());
        for row in rows {
            let line: String = match backend {
                Backend::Sqlite => row.try_get_by_index(3)?,
                Backend::Postgres => row.try_get_by_index(0)?,
            };
            println!("    {line}");
        }
    }
    Ok(())
}

async fn count(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Result<i64, BoxError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .ok_or("no row")?;
    Ok(row.try_get_by_index(0)?)
}

/// What the list calls measured, and the server's resident memory before them.
struct ListMeasurements {
    measurements: Vec<Measurement>,
    /// The process's resident memory after the server started and before the first list call, in KiB.
    rest_rss_kib: Option<u64>,
}

/// `ListServiceRequests` through the real server: AT_RISK (page 50 and 1000), the due-soon filter and
/// BREACHED open, each first page and, for the pages of 50, the page after it (its page_token), with
/// the process's peak resident memory during each.
async fn measure_lists(
    addr: SocketAddr,
    key_file: &Path,
    now: DateTime<Utc>,
    runs: usize,
) -> Result<ListMeasurements, BoxError> {
    let key = std::fs::read_to_string(key_file)?;
    let channel = endpoint(addr)?.connect().await?;
    let client: Client = ServiceLevelServiceClient::with_interceptor(channel, Bearer::new(key.trim()))
        .max_decoding_message_size(64 * 1024 * 1024);
    // The server runs in this process: this is its memory, with its SQLite connections' page caches.
    let rest_rss_kib = Some(bench::resident_kib()).filter(|&kib| kib > 0);
    let mut measurements = Vec::new();
    for (what, request) in list_variants(now) {
        let first = measure_list(
            &client,
            &format!("{what}, page {}", request.page_size),
            &request,
            runs,
        )
        .await?;
        let next_page_token = first.next_page_token.clone();
        measurements.push(first.measurement);
        if request.page_size == 50 && !next_page_token.is_empty() {
            let next = pb::ListServiceRequestsRequest {
                page_token: next_page_token,
                ..request.clone()
            };
            let what = format!("{what}, page 50 after the first");
            measurements.push(measure_list(&client, &what, &next, runs).await?.measurement);
        }
    }
    Ok(ListMeasurements {
        measurements,
        rest_rss_kib,
    })
}

/// The list requests timed: (what, request).
fn list_variants(now: DateTime<Utc>) -> [(&'static str, pb::ListServiceRequestsRequest); 4] {
    let at_risk = pb::ListServiceRequestsRequest {
        sla_state: State::AtRisk as i32,
        ..Default::default()
    };
    [
        (
            "ListServiceRequests AT_RISK",
            pb::ListServiceRequestsRequest {
                page_size: 50,
                ..at_risk.clone()
            },
        ),
        (
            "ListServiceRequests AT_RISK",
            pb::ListServiceRequestsRequest {
                page_size: 1000,
                ..at_risk
            },
        ),
        (
            "ListServiceRequests due soon (4 h)",
            pb::ListServiceRequestsRequest {
                sla_state: State::InProgress as i32,
                open_only: true,
                due_before: Some((now + chrono_minutes(240)).into()),
                page_size: 50,
                ..Default::default()
            },
        ),
        (
            "ListServiceRequests BREACHED open",
            pb::ListServiceRequestsRequest {
                sla_state: State::Breached as i32,
                open_only: true,
                page_size: 50,
                ..Default::default()
            },
        ),
    ]
}

/// One list request's timings and peak memory, and the next page's token of its first answer.
struct ListMeasurement {
    measurement: Measurement,
    next_page_token: String,
}

/// One warm-up and `runs` timed calls of `request`, one at a time, sampling the resident memory
/// throughout. Checks that the first request answered has a target in the state asked for.
async fn measure_list(
    client: &Client,
    what: &str,
    request: &pb::ListServiceRequestsRequest,
    runs: usize,
) -> Result<ListMeasurement, BoxError> {
    let sampler = MemorySampler::start();
    let mut times = Vec::new();
    let mut rows = 0;
    let mut next_page_token = String::new();
    for run in 0..=runs {
        let mut client = client.clone();
        let started = Instant::now();
        let response = client.list_service_requests(request.clone()).await?.into_inner();
        if run > 0 {
            times.push(started.elapsed());
        }
        rows = response.service_requests.len() as u64;
        if run == 0 {
            next_page_token = response.next_page_token.clone();
            if let Some(first) = response.service_requests.first() {
                let states = [first.first_response.as_ref(), first.resolution.as_ref()];
                assert!(
                    states.iter().flatten().any(|t| t.state == request.sla_state),
                    "{what}: the first request has no target in the state asked for"
                );
            }
        }
    }
    times.sort();
    Ok(ListMeasurement {
        measurement: Measurement {
            what: what.to_owned(),
            rows,
            times,
            peak_rss_kib: Some(sampler.peak_kib()).filter(|&kib| kib > 0),
        },
        next_page_token,
    })
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// For writing: one connection; SQLite with a big page cache.
fn report(results: &[BackendResult]) {
    for result in results {
        let g = &result.generated;
        println!();
        println!(
            "{}: generated {} requests ({} status changes, {} accounts, {} agents) in {:.1} s; {} {:.1} s",
            result.backend.name(),
            g.requests,
            g.status_changes,
            g.accounts,
            g.staff,
            result.generation.as_secs_f64(),
            match result.backend {
                Backend::Sqlite => "ANALYZE",
                Backend::Postgres => "VACUUM ANALYZE",
            },
            result.analyze.as_secs_f64()
        );
        println!(
            "{}: open {}: breached {}, at risk {}, paused {}, due within 4 h {}, in progress {}",
            result.backend.name(),
            g.open,
            g.breached,
            g.at_risk,
            g.paused,
            g.due_soon_4h,
            g.in_progress
        );
        let sizes: Vec<String> = result.sizes.iter().map(|(t, n)| format!("{t} {n}")).collect();
        println!(
            "{}: rows: {}; load average before/after: {} / {}",
            result.backend.name(),
            sizes.join(", "),
            result.load.0,
            result.load.1
        );
        println!(
            "{}: resident memory (RSS) with the server started, before the list calls: {}",
            result.backend.name(),
            result
                .rest_rss_kib
                .map_or("?".to_owned(), |kib| format!("{:.1} MiB", mib(kib)))
        );
        println!(
            "{:<10} {:<66} {:>8} {:>11} {:>11} {:>13}",
            "backend", "what", "rows", "median ms", "max ms", "peak RSS MiB"
        );
        for m in &result.measurements {
            println!(
                "{:<10} {:<66} {:>8} {:>11.2} {:>11.2} {:>13}",
                result.backend.name(),
                m.what,
                m.rows,
                millis(median(&m.times)),
                millis(m.times.last().copied().unwrap_or_default()),
                m.peak_rss_kib
                    .map_or("-".to_owned(), |kib| format!("{:.1}", mib(kib)))
            );
        }
    }
}

/// What this benchmark changes in the server's configuration, besides what the harness sets.
fn configure_server(config: &mut kam_server::Config) {
    config.request_timeout = REQUEST_TIMEOUT;
    // The benchmark runs the scans itself, at chosen instants.
    config.sla.monitor_interval_seconds = 0;
}
