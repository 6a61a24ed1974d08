//! Throughput and latency of KAM's account RPCs over loopback, beside a bare tonic unary call.
//!
//! In one process this starts, on a Tokio runtime of their own (as a separate process would have):
//! - a **bare** tonic server that serves only `grpc.health.v1.Health` and a `ListAccounts` that
//!   answers one page of 50 accounts from memory (no database, no middleware), and
//! - the **real** KAM server (`kam_server::run`, with its whole middleware stack) on SQLite (a file in a
//!   temporary directory) and, when `KAM_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database
//!   `kam_bench_<uuid>` that is dropped afterwards.
//!
//! Clients, on another runtime, keep a fixed number of requests in flight over a few HTTP/2
//! connections for a fixed time, after a short warm-up. Scenarios:
//! - `Health/Check` against the bare server: the baseline. It is measured first and again last (drift
//!   during the run shows); the faster of the two is what "% of bare" compares with, except for
//!   `ListAccounts`, which is compared with the bare server's canned page of the same size: decoding
//!   50 accounts costs the client alone more than a whole health check;
//! - per backend, `Health/Check` against the KAM server (a diagnostic: KAM's middleware stack without
//!   any database work), `GetAccount` (random ids among 1000 accounts created first), `ListAccounts`
//!   (a page of 50, from a random account on, in id order) and `CreateAccount` (unique display
//!   names).
//!
//! It prints throughput and p50/p99 latency per scenario, the process's resident memory (clients and
//! servers: they share it) before the scenario and its peak during it, whether `GetAccount` and
//! `ListAccounts` reach the target of 50% of the bare call's throughput (40% on PostgreSQL), whether
//! `CreateAccount`'s p99 on SQLite stays under 30 ms, and (on Linux) the CPU time one request costs in the client, the
//! server, SQLite's threads and other processes (PostgreSQL): with every CPU busy, throughput is the
//! CPUs divided by that cost, so this is where the time goes.
//!
//! Run:
//!
//! ```text
//! cargo bench -p kam-tests --bench account_throughput
//! KAM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p kam-tests --bench account_throughput
//! ```
//!
//! Environment:
//! - `KAM_BENCH_CONCURRENCY`: requests in flight (default 32);
//! - `KAM_BENCH_SECONDS`: measured seconds per scenario (default 5);
//! - `KAM_BENCH_CONNECTIONS`: HTTP/2 connections the requests are spread over (default 4);
//! - `KAM_BENCH_DB_MAX_CONNECTIONS`: the server's database pool size (default: the server's default);
//! - `KAM_TEST_POSTGRES_URL`: a PostgreSQL URL whose user may create databases; unset skips PostgreSQL.

use std::{
    future::Future,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use kam_proto::v1::{self as pb, account_service_client::AccountServiceClient};
use kam_tests::{
    Authed, Bearer,
    bench::{
        BoxError, MemorySampler, RunningServer, TempPostgresDatabase, endpoint, env_or, health_check, millis,
        start_kam_server,
    },
};
use tokio::{
    runtime::{Handle, Runtime},
    task::JoinHandle,
};
use tonic::{
    Status,
    service::interceptor::InterceptedService,
    transport::{Channel, Server, server::TcpIncoming},
};
use tonic_health::pb::health_client::HealthClient;

/// Accounts created before `GetAccount` runs; it reads random ones among them.
const SEED_ACCOUNTS: usize = 1000;
/// Requests sent before measuring starts (connections, pools and caches warm up).
const WARM_UP: Duration = Duration::from_secs(1);
/// `GetAccount` and `ListAccounts` should reach at least this share of the bare call's throughput on
/// SQLite, and [`TARGET_SHARE_OF_BARE_POSTGRES`] on PostgreSQL, whose backend processes share the
/// machine's CPUs with the server and the clients.
const TARGET_SHARE_OF_BARE: f64 = 0.5;
const TARGET_SHARE_OF_BARE_POSTGRES: f64 = 0.4;
/// Reads whose share of the bare call is checked.
const READS: [&str; 2] = ["GetAccount", "ListAccounts"];
/// `CreateAccount`'s p99 on SQLite under the benchmark's load should stay below this.
const TARGET_CREATE_P99_SQLITE: Duration = Duration::from_millis(30);
/// Accounts per `ListAccounts` page.
const LIST_PAGE_SIZE: i32 = 50;
/// How long a server may take to answer its first health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The backend column of the bare baseline, which has none.
const BARE: &str = "-";
/// The bare calls: a health check, and a page of accounts answered from memory ([`CannedAccounts`]).
const BARE_HEALTH: &str = "bare Health/Check";
const BARE_LIST: &str = "bare ListAccounts";

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env()?;
    println!("{}", settings.describe());
    // Servers and clients get a runtime (and worker threads) each, as separate processes would: a
    // shared runtime would let client and server tasks share a worker or not, by chance, and results
    // would swing with that.
    let servers = runtime(SERVER_THREADS)?;
    let clients = runtime(CLIENT_THREADS)?;
    let rows = clients.block_on(bench(&settings, servers.handle()))?;
    report(&rows);
    Ok(())
}

fn runtime(thread_name: &str) -> std::io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name(thread_name)
        .enable_all()
        .build()
}

async fn bench(settings: &Settings, servers: &Handle) -> Result<Vec<Measurement>, BoxError> {
    // The bare call is measured first and again last, so that drift during the run shows.
    let bare = start_bare_server(servers).await?;
    let bare_clients = health_clients(bare.addr, settings.connections).await?;
    let bare_accounts = account_clients(connect(bare.addr, settings.connections).await?, "bare");
    let mut rows = vec![
        drive(BARE, BARE_HEALTH, &bare_clients, settings, health_call).await,
        drive(BARE, BARE_LIST, &bare_accounts, settings, |client, _seq| {
            list_accounts(client, String::new())
        })
        .await,
    ];

    let sqlite_dir = tempfile::tempdir()?;
    let sqlite_url = format!("sqlite://{}/kam.db?mode=rwc", sqlite_dir.path().display());
    rows.extend(bench_backend(servers, "sqlite", sqlite_url, settings).await?);
    drop(sqlite_dir);

    match std::env::var("KAM_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let database = TempPostgresDatabase::create(&admin_url).await?;
            let measured = bench_backend(servers, "postgres", database.url.clone(), settings).await;
            database.drop_database().await?;
            rows.extend(measured?);
        }
        _ => println!(
            "PostgreSQL skipped: set KAM_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)"
        ),
    }

    rows.push(drive(BARE, "bare, again", &bare_clients, settings, health_call).await);
    drop((bare_clients, bare_accounts));
    bare.stop().await?;
    Ok(rows)
}

/// How hard and how long to push, from the environment.
struct Settings {
    concurrency: usize,
    duration: Duration,
    connections: usize,
    db_max_connections: Option<u32>,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let settings = Self {
            concurrency: env_or("KAM_BENCH_CONCURRENCY", 32)?,
            duration: Duration::from_secs_f64(env_or("KAM_BENCH_SECONDS", 5.0)?),
            connections: env_or("KAM_BENCH_CONNECTIONS", 4)?,
            db_max_connections: Some(env_or::<u32>("KAM_BENCH_DB_MAX_CONNECTIONS", 0)?).filter(|&n| n > 0),
        };
        if settings.concurrency == 0 || settings.connections == 0 || settings.duration.is_zero() {
            return Err(
                "KAM_BENCH_CONCURRENCY, KAM_BENCH_CONNECTIONS and KAM_BENCH_SECONDS must be > 0".into(),
            );
        }
        Ok(settings)
    }

    fn describe(&self) -> String {
        let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
        let profile = if cfg!(debug_assertions) {
            "debug (unoptimized)"
        } else {
            "optimized (bench/release)"
        };
        let pool = self
            .db_max_connections
            .unwrap_or(kam_server::Config::default().db_max_connections);
        format!(
            "machine: {cpus} CPUs (nproc), {os}/{arch}; build: {profile}\n\
             load: {concurrency} requests in flight over {connections} connections; {secs:.1} s per scenario \
             after {warm:.1} s warm-up; servers and clients on separate {cpus}-worker Tokio runtimes; \
             database pool {pool}",
            os = std::env::consts::OS,
            arch = std::env::consts::ARCH,
            concurrency = self.concurrency,
            connections = self.connections,
            secs = self.duration.as_secs_f64(),
            warm = WARM_UP.as_secs_f64(),
        )
    }
}

/// Runs every scenario against a KAM server on `database_url`.
async fn bench_backend(
    servers: &Handle,
    backend: &str,
    database_url: String,
    settings: &Settings,
) -> Result<Vec<Measurement>, BoxError> {
    let key_dir = tempfile::tempdir()?;
    let key_file = key_dir.path().join("kam-admin.key");
    let server = start_kam_server(servers, &database_url, &key_file, STARTUP_TIMEOUT, |config| {
        if let Some(pool) = settings.db_max_connections {
            config.db_max_connections = pool;
        }
    })
    .await?;
    let admin_key = std::fs::read_to_string(&key_file)?;
    let channels = connect(server.addr, settings.connections).await?;
    let health: Vec<_> = channels.iter().cloned().map(HealthClient::new).collect();
    // Every call authenticates as the first-start ADMIN, as a real client would (a cached key lookup).
    let accounts = account_clients(channels, admin_key.trim());

    let ids: Arc<[String]> = seed_accounts(&accounts, settings.concurrency).await?.into();
    let pages: Arc<[String]> = page_tokens(&accounts[0]).await?.into();
    let rows = vec![
        drive(backend, "KAM Health/Check", &health, settings, health_call).await,
        drive(backend, "GetAccount", &accounts, settings, {
            let ids = Arc::clone(&ids);
            move |client, _seq| {
                let id = ids[fastrand::usize(..ids.len())].clone();
                get_account(client, id)
            }
        })
        .await,
        drive(
            backend,
            "ListAccounts",
            &accounts,
            settings,
            move |client, _seq| {
                let token = pages[fastrand::usize(..pages.len())].clone();
                list_accounts(client, token)
            },
        )
        .await,
        drive(backend, "CreateAccount", &accounts, settings, |client, seq| {
            create_account(client, format!("bench account {seq:x}"))
        })
        .await,
    ];
    drop((health, accounts));
    server.stop().await?;
    Ok(rows)
}

/// A health check as [`drive`] calls it, which passes a sequence number it has no use for.
async fn health_call(client: HealthClient<Channel>, _seq: u64) -> Result<(), Status> {
    health_check(client).await
}

async fn get_account(mut client: AccountServiceClient<Authed>, id: String) -> Result<(), Status> {
    client.get_account(pb::GetAccountRequest { id }).await.map(drop)
}

/// The page of accounts that `page_token` starts, in id order.
async fn list_accounts(mut client: AccountServiceClient<Authed>, page_token: String) -> Result<(), Status> {
    let page = client
        .list_accounts(pb::ListAccountsRequest {
            page_size: LIST_PAGE_SIZE,
            page_token,
            ..Default::default()
        })
        .await?
        .into_inner();
    if page.accounts.is_empty() {
        return Err(Status::internal("an empty page of accounts"));
    }
    Ok(())
}

/// The token of every page of accounts (the first page's is empty), so that `ListAccounts` reads all
/// of them in turn rather than the same 50 rows.
async fn page_tokens(client: &AccountServiceClient<Authed>) -> Result<Vec<String>, Status> {
    let mut client = client.clone();
    let mut tokens = vec![String::new()];
    loop {
        let request = pb::ListAccountsRequest {
            page_size: LIST_PAGE_SIZE,
            page_token: tokens.last().cloned().unwrap_or_default(),
            ..Default::default()
        };
        let next = client.list_accounts(request).await?.into_inner().next_page_token;
        if next.is_empty() {
            return Ok(tokens);
        }
        tokens.push(next);
    }
}

async fn create_account(
    mut client: AccountServiceClient<Authed>,
    display_name: String,
) -> Result<(), Status> {
    let account = pb::Account {
        display_name,
        industry: "Benchmarking".to_owned(),
        region: "Loopback".to_owned(),
        ..Default::default()
    };
    client
        .create_account(pb::CreateAccountRequest {
            account: Some(account),
            request_id: String::new(),
        })
        .await
        .map(drop)
}

/// Creates [`SEED_ACCOUNTS`] accounts, `concurrency` at a time, and returns their ids.
async fn seed_accounts(
    clients: &[AccountServiceClient<Authed>],
    concurrency: usize,
) -> Result<Vec<String>, BoxError> {
    let workers: Vec<JoinHandle<Result<Vec<String>, Status>>> = (0..concurrency)
        .map(|worker| {
            let mut client = clients[worker % clients.len()].clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in (worker..SEED_ACCOUNTS).step_by(concurrency) {
                    let account = pb::Account {
                        display_name: format!("seed account {n}"),
                        ..Default::default()
                    };
                    let request = pb::CreateAccountRequest {
                        account: Some(account),
                        request_id: String::new(),
                    };
                    ids.push(client.create_account(request).await?.into_inner().id);
                }
                Ok(ids)
            })
        })
        .collect();
    let mut ids = Vec::with_capacity(SEED_ACCOUNTS);
    for worker in workers {
        ids.extend(worker.await??);
    }
    Ok(ids)
}

/// What one scenario measured: successful requests and their latencies, sorted.
struct Measurement {
    backend: String,
    rpc: &'static str,
    concurrency: usize,
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<Status>,
    elapsed: Duration,
    /// CPU spent during the measured window, when the platform tells.
    cpu: Option<CpuTimes>,
    /// The process's resident memory before the scenario and its peak during it, in MB.
    memory_at_rest: f64,
    memory_peak: f64,
}

impl Measurement {
    fn requests(&self) -> usize {
        self.latencies.len()
    }

    fn throughput(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64()
    }

    /// The nearest-rank percentile, `q` in 0..=1.
    fn percentile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

/// What one worker saw in the measured window.
#[derive(Default)]
struct WorkerLog {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<Status>,
    finished: Option<Instant>,
}

/// Keeps `settings.concurrency` calls in flight: each worker sends its next request as soon as the
/// previous one answers, until the deadline. Calls sent during the warm-up are not recorded. `seq` is
/// unique per call within a scenario.
async fn drive<C, F, Fut>(
    backend: &str,
    rpc: &'static str,
    clients: &[C],
    settings: &Settings,
    call: F,
) -> Measurement
where
    C: Clone + Send + 'static,
    F: Fn(C, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), Status>> + Send,
{
    eprintln!("measuring {backend} {rpc}…");
    let memory = MemorySampler::start();
    let measure_from = Instant::now() + WARM_UP;
    let deadline = measure_from + settings.duration;
    let workers: Vec<JoinHandle<WorkerLog>> = (0..settings.concurrency)
        .map(|worker| {
            let client = clients[worker % clients.len()].clone();
            let call = call.clone();
            tokio::spawn(async move {
                let mut log = WorkerLog::default();
                let mut seq = (worker as u64) << 32;
                loop {
                    let sent = Instant::now();
                    if sent >= deadline {
                        break;
                    }
                    let outcome = call(client.clone(), seq).await;
                    let latency = sent.elapsed();
                    seq += 1;
                    if sent < measure_from {
                        continue;
                    }
                    match outcome {
                        Ok(()) => log.latencies.push(latency),
                        Err(status) => {
                            log.errors += 1;
                            log.first_error.get_or_insert(status);
                        }
                    }
                }
                log.finished = Some(Instant::now());
                log
            })
        })
        .collect();

    let mut measured = Measurement {
        backend: backend.to_owned(),
        rpc,
        concurrency: settings.concurrency,
        latencies: Vec::new(),
        errors: 0,
        first_error: None,
        elapsed: settings.duration,
        cpu: None,
        memory_at_rest: memory.at_rest_megabytes(),
        memory_peak: 0.0,
    };
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_at_start = CpuTimes::sample();
    let mut last_finish = deadline;
    for worker in workers {
        let log = worker.await.expect("a benchmark worker panicked");
        measured.latencies.extend(log.latencies);
        measured.errors += log.errors;
        measured.first_error = measured.first_error.or(log.first_error);
        last_finish = last_finish.max(log.finished.unwrap_or(deadline));
    }
    // The window closes when the last request sent before the deadline has answered.
    measured.elapsed = last_finish.saturating_duration_since(measure_from);
    measured.cpu = cpu_at_start
        .zip(CpuTimes::sample())
        .map(|(start, end)| end.since(&start));
    measured.memory_peak = memory.peak_megabytes();
    measured.latencies.sort_unstable();
    measured
}

/// The bare call a scenario is compared with: the canned page for `ListAccounts`, the health check
/// (the faster of its two runs: the stricter comparison) for everything else.
fn baseline(rows: &[Measurement], rpc: &str) -> f64 {
    let reference = |row: &&Measurement| match rpc {
        "ListAccounts" | BARE_LIST => row.rpc == BARE_LIST,
        _ => row.backend == BARE && row.rpc != BARE_LIST,
    };
    rows.iter()
        .filter(reference)
        .map(Measurement::throughput)
        .max_by(f64::total_cmp)
        .unwrap_or(f64::NAN)
}

fn report(rows: &[Measurement]) {
    println!();
    println!(
        "{:<8} | {:<17} | {:>11} | {:>8} | {:>6} | {:>18} | {:>8} | {:>8} | {:>9} | {:>11} | {:>11}",
        "backend",
        "rpc",
        "concurrency",
        "requests",
        "errors",
        "throughput (req/s)",
        "p50 (ms)",
        "p99 (ms)",
        "% of bare",
        "RSS before",
        "RSS peak"
    );
    println!(
        "{:-<8}-|-{:-<17}-|-{:-<11}-|-{:-<8}-|-{:-<6}-|-{:-<18}-|-{:-<8}-|-{:-<8}-|-{:-<9}-|-{:-<11}-|-{:-<11}",
        "", "", "", "", "", "", "", "", "", "", ""
    );
    for row in rows {
        println!(
            "{:<8} | {:<17} | {:>11} | {:>8} | {:>6} | {:>18.0} | {:>8.3} | {:>8.3} | {:>8.1}% | {:>8.1} MB | {:>8.1} MB",
            row.backend,
            row.rpc,
            row.concurrency,
            row.requests(),
            row.errors,
            row.throughput(),
            millis(row.percentile(0.50)),
            millis(row.percentile(0.99)),
            100.0 * row.throughput() / baseline(rows, row.rpc),
            row.memory_at_rest,
            row.memory_peak,
        );
    }
    println!(
        "RSS: this process's resident memory (the servers and the clients share it), before the scenario and its peak during it"
    );
    println!();
    for row in rows.iter().filter(|row| row.errors > 0) {
        if let Some(status) = &row.first_error {
            println!(
                "{} {}: {} errors, first: {:?} {}",
                row.backend,
                row.rpc,
                row.errors,
                status.code(),
                status.message()
            );
        }
    }
    for read in rows.iter().filter(|row| READS.contains(&row.rpc)) {
        let share = read.throughput() / baseline(rows, read.rpc);
        let target = match read.backend.as_str() {
            "postgres" => TARGET_SHARE_OF_BARE_POSTGRES,
            _ => TARGET_SHARE_OF_BARE,
        };
        println!(
            "{}: {} on {} reaches {:.1}% of its bare call's throughput (target >= {:.0}%)",
            verdict(share >= target),
            read.rpc,
            read.backend,
            100.0 * share,
            100.0 * target
        );
    }
    for create in rows
        .iter()
        .filter(|row| row.rpc == "CreateAccount" && row.backend == "sqlite")
    {
        let p99 = create.percentile(0.99);
        println!(
            "{}: CreateAccount on sqlite has p99 {:.1} ms under {} callers (target < {:.0} ms)",
            verdict(p99 < TARGET_CREATE_P99_SQLITE),
            millis(p99),
            create.concurrency,
            millis(TARGET_CREATE_P99_SQLITE)
        );
    }
    report_cpu(rows);
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

/// At saturation throughput is the CPUs divided by the CPU time one request costs, so this table says
/// where the time goes: the client, the server, SQLite's threads, or other processes (PostgreSQL).
fn report_cpu(rows: &[Measurement]) {
    if rows.iter().all(|row| row.cpu.is_none()) {
        println!("(no CPU accounting on this platform)");
        return;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!();
    println!("CPU time per request (µs), measured window only:");
    println!(
        "{:<8} | {:<17} | {:>8} | {:>8} | {:>8} | {:>15} | {:>8} | {:>12}",
        "backend", "rpc", "client", "server", "sqlite", "other processes", "total", "machine busy"
    );
    println!(
        "{:-<8}-|-{:-<17}-|-{:-<8}-|-{:-<8}-|-{:-<8}-|-{:-<15}-|-{:-<8}-|-{:-<12}",
        "", "", "", "", "", "", "", ""
    );
    for row in rows {
        let Some(cpu) = &row.cpu else { continue };
        let calls = (row.requests() + row.errors).max(1) as f64;
        let per_call = |time: Duration| time.as_secs_f64() * 1e6 / calls;
        let busy = cpu.machine_busy.as_secs_f64() / (row.elapsed.as_secs_f64() * cpus as f64);
        println!(
            "{:<8} | {:<17} | {:>8.1} | {:>8.1} | {:>8.1} | {:>15.1} | {:>8.1} | {:>11.0}%",
            row.backend,
            row.rpc,
            per_call(cpu.client),
            per_call(cpu.server),
            per_call(cpu.sqlite),
            per_call(cpu.other_processes()),
            per_call(cpu.machine_busy),
            100.0 * busy,
        );
    }
    println!(
        "client/server: the benchmark's and the servers' Tokio workers; sqlite: sqlx's SQLite worker threads; \
         other processes: the rest of the machine's busy time (PostgreSQL's backends, and any noise)"
    );
}

/// CPU time (user + system) by consumer, read from Linux's `/proc` in clock ticks (USER_HZ = 100).
#[derive(Clone, Debug, Default)]
struct CpuTimes {
    /// This process's threads driving the requests.
    client: Duration,
    /// The servers' Tokio workers (tonic, the handlers, sea-orm, sqlx's PostgreSQL driver).
    server: Duration,
    /// sqlx's SQLite worker threads (one per pooled connection).
    sqlite: Duration,
    /// This process's other threads.
    rest_of_process: Duration,
    /// Every CPU of the machine, not idle.
    machine_busy: Duration,
}

/// The thread name prefixes of the two runtimes, as `/proc` shows them (at most 15 bytes).
const CLIENT_THREADS: &str = "bench-client";
const SERVER_THREADS: &str = "kam-server";
const SQLITE_THREADS: &str = "sqlx-sqlite";

impl CpuTimes {
    const TICK: Duration = Duration::from_millis(10);

    fn sample() -> Option<Self> {
        let mut times = Self::default();
        for task in std::fs::read_dir("/proc/self/task").ok()? {
            let Ok(stat) = std::fs::read_to_string(task.ok()?.path().join("stat")) else {
                continue; // the thread has just exited
            };
            let (name, ticks) = parse_thread_stat(&stat)?;
            let consumer = match name {
                n if n.starts_with(CLIENT_THREADS) => &mut times.client,
                n if n.starts_with(SERVER_THREADS) => &mut times.server,
                n if n.starts_with(SQLITE_THREADS) => &mut times.sqlite,
                _ => &mut times.rest_of_process,
            };
            *consumer += Self::TICK * ticks;
        }
        let machine = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u32> = machine
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .map(|field| field.parse().unwrap_or(0))
            .collect();
        // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
        let busy: u32 = [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| fields.get(i)).sum();
        times.machine_busy = Self::TICK * busy;
        Some(times)
    }

    fn since(&self, earlier: &Self) -> Self {
        Self {
            client: self.client.saturating_sub(earlier.client),
            server: self.server.saturating_sub(earlier.server),
            sqlite: self.sqlite.saturating_sub(earlier.sqlite),
            rest_of_process: self.rest_of_process.saturating_sub(earlier.rest_of_process),
            machine_busy: self.machine_busy.saturating_sub(earlier.machine_busy),
        }
    }

    /// Busy time outside this process.
    fn other_processes(&self) -> Duration {
        self.machine_busy
            .saturating_sub(self.client + self.server + self.sqlite + self.rest_of_process)
    }
}

/// The name and user + system ticks of a thread from its `/proc/…/stat` line.
fn parse_thread_stat(stat: &str) -> Option<(&str, u32)> {
    let (head, tail) = stat.rsplit_once(')')?;
    let name = head.split_once('(')?.1;
    // After the name: state (field 3), …, utime (14), stime (15).
    let mut fields = tail.split_whitespace().skip(11);
    let user: u32 = fields.next()?.parse().ok()?;
    let system: u32 = fields.next()?.parse().ok()?;
    Some((name, user + system))
}

/// The baseline: tonic serving only the standard health service, nothing else.
async fn start_bare_server(servers: &Handle) -> Result<RunningServer, BoxError> {
    RunningServer::start(servers, STARTUP_TIMEOUT, |listener, stopped| async move {
        // The reporter starts with "" (the whole server) SERVING.
        let (_reporter, health) = tonic_health::server::health_reporter();
        // As the KAM server's: a response of several segments must not wait for Nagle's algorithm.
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        Server::builder()
            .add_service(health)
            .add_service(CannedAccounts::new())
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            })
            .await
            .map_err(BoxError::from)
    })
    .await
}

/// The bare server's `AccountService`: `ListAccounts` answers the same page of accounts from memory,
/// as big as the real server's (the seeded accounts' fields), with nothing behind it. A page of 50
/// costs the client far more to decode than a health check: this, not the health check, is what
/// `ListAccounts` is compared with.
#[derive(Clone)]
struct CannedAccounts {
    page: Arc<pb::ListAccountsResponse>,
}

impl CannedAccounts {
    fn new() -> Self {
        let time = Some(pbjson_types::Timestamp {
            seconds: 1_796_000_000,
            nanos: 123_456_000,
        });
        let accounts = (0..LIST_PAGE_SIZE)
            .map(|n| pb::Account {
                id: uuid::Uuid::now_v7().to_string(),
                display_name: format!("seed account {n}"),
                lifecycle: pb::Lifecycle::Prospect as i32,
                tier: pb::Tier::Standard as i32,
                relationship_stage: pb::RelationshipStage::Transactional as i32,
                rad_status: pb::RadStatus::Acquire as i32,
                create_time: time,
                update_time: time,
                etag: "\"1\"".to_owned(),
                ..Default::default()
            })
            .collect();
        let page = pb::ListAccountsResponse {
            accounts,
            next_page_token: "eyJrIjpudWxsLCJpIjoiMDE5YWY0YzEtN2RmYy03YmUyLWE1ZjMtNjI2YjY2ZjE2ZDFjIn0"
                .to_owned(),
        };
        Self { page: Arc::new(page) }
    }
}

impl tonic::server::NamedService for CannedAccounts {
    const NAME: &'static str = "kam.v1.AccountService";
}

impl tonic::server::UnaryService<pb::ListAccountsRequest> for CannedAccounts {
    type Response = pb::ListAccountsResponse;
    type Future = std::future::Ready<Result<tonic::Response<Self::Response>, Status>>;

    fn call(&mut self, _request: tonic::Request<pb::ListAccountsRequest>) -> Self::Future {
        std::future::ready(Ok(tonic::Response::new(pb::ListAccountsResponse::clone(
            &self.page,
        ))))
    }
}

impl tonic::codegen::Service<http::Request<tonic::body::Body>> for CannedAccounts {
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let canned = self.clone();
        Box::pin(async move {
            if request.uri().path() != "/kam.v1.AccountService/ListAccounts" {
                return Ok(Status::unimplemented("the bare server lists accounts only").into_http());
            }
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
            Ok(grpc.unary(canned, request).await)
        })
    }
}

/// `count` separate HTTP/2 connections to `addr`.
async fn connect(addr: SocketAddr, count: usize) -> Result<Vec<Channel>, BoxError> {
    let endpoint = endpoint(addr)?;
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        channels.push(endpoint.connect().await?);
    }
    Ok(channels)
}

/// Account clients over `channels`, each call carrying `credential`.
fn account_clients(channels: Vec<Channel>, credential: &str) -> Vec<AccountServiceClient<Authed>> {
    channels
        .into_iter()
        .map(|channel| AccountServiceClient::new(InterceptedService::new(channel, Bearer::new(credential))))
        .collect()
}

async fn health_clients(addr: SocketAddr, count: usize) -> Result<Vec<HealthClient<Channel>>, BoxError> {
    Ok(connect(addr, count)
        .await?
        .into_iter()
        .map(HealthClient::new)
        .collect())
}
