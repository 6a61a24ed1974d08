//! The harness the benchmarks (`tests/benches/`) share: a server running in the benchmark's own process
//! (the real KAM server, or any tonic server) on a loopback port, and a throwaway PostgreSQL database.
//!
//! Unlike [`crate::TestServer`], failures are errors rather than panics: a benchmark reports why it
//! stopped and still drops its database.

use std::{
    fmt::Display,
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, sqlx};
use tokio::{net::TcpListener, runtime::Handle, sync::oneshot, task::JoinHandle};
use tonic::{
    Status,
    transport::{Channel, Endpoint},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

pub use crate::Backend;
use crate::{POSTGRES_URL_VAR, with_database};

/// Any error: a benchmark only reports why it stopped.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A server running in this process, stopped by [`RunningServer::stop`].
pub struct RunningServer {
    /// The loopback address it listens on.
    pub addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<Result<(), BoxError>>,
}

impl RunningServer {
    /// Binds a loopback port and runs `serve` on it in `runtime` until [`Self::stop`]; returns once the
    /// server answers health checks, or fails if it does not within `startup_timeout`.
    pub async fn start<F, Fut>(
        runtime: &Handle,
        startup_timeout: Duration,
        serve: F,
    ) -> Result<Self, BoxError>
    where
        F: FnOnce(TcpListener, oneshot::Receiver<()>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel();
        // The listener joins the reactor of the runtime it is converted in: the one serving it.
        let task = runtime.spawn(async move { serve(TcpListener::from_std(listener)?, stopped).await });
        let server = Self { addr, shutdown, task };
        server.wait_until_serving(startup_timeout).await?;
        Ok(server)
    }

    /// Shuts the server down gracefully and returns how it ended.
    pub async fn stop(self) -> Result<(), BoxError> {
        // The server may already have stopped on its own; its task then reports why.
        let _ = self.shutdown.send(());
        self.task.await?
    }

    /// Waits until the server answers a health check, or fails if it stopped (e.g. no database).
    async fn wait_until_serving(&self, startup_timeout: Duration) -> Result<(), BoxError> {
        let give_up = Instant::now() + startup_timeout;
        let endpoint = endpoint(self.addr)?;
        loop {
            if self.task.is_finished() {
                return Err("the server stopped during startup".into());
            }
            if Instant::now() >= give_up {
                return Err(format!("the server at {} did not become ready", self.addr).into());
            }
            if let Ok(channel) = endpoint.connect().await {
                let check = health_check(HealthClient::new(channel));
                if let Ok(Ok(())) = tokio::time::timeout(Duration::from_millis(500), check).await {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The real KAM server, as `kam-server` runs it, in `runtime` on `database_url`: it migrates and writes
/// the first ADMIN key to `admin_key_file`. `configure` adjusts the rest of the configuration (the
/// request timeout, the pool, the SLA monitor, …); the listening address is the harness's.
pub async fn start_kam_server(
    runtime: &Handle,
    database_url: &str,
    admin_key_file: &Path,
    startup_timeout: Duration,
    configure: impl FnOnce(&mut kam_server::Config),
) -> Result<RunningServer, BoxError> {
    let mut config = kam_server::Config {
        database_url: database_url.to_owned(),
        drain_timeout: Duration::from_secs(2),
        admin_key_file: Some(admin_key_file.to_owned()),
        // One principal (the ADMIN) makes every call: its request budget would cap what is measured.
        rate_limit: kam_server::config::RateLimit {
            requests_per_second: 0,
            burst: 1,
        },
        ..kam_server::Config::default()
    };
    configure(&mut config);
    RunningServer::start(runtime, startup_timeout, move |listener, stopped| async move {
        config.listen_addr = listener.local_addr()?;
        kam_server::run(config, listener, async {
            let _ = stopped.await;
        })
        .await
        .map_err(BoxError::from)
    })
    .await
}

/// One `grpc.health.v1.Health/Check` of the whole server: `Ok` when it answers SERVING.
pub async fn health_check(mut client: HealthClient<Channel>) -> Result<(), Status> {
    let response = client
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await?;
    match response.into_inner().status() {
        ServingStatus::Serving => Ok(()),
        other => Err(Status::unavailable(format!("health status {other:?}"))),
    }
}

/// The plaintext HTTP/2 endpoint of a server listening on `addr`.
pub fn endpoint(addr: SocketAddr) -> Result<Endpoint, BoxError> {
    Ok(Endpoint::from_shared(format!("http://{addr}"))?)
}

/// A fresh PostgreSQL database `kam_bench_<uuid>` for one run, created on the server
/// `KAM_TEST_POSTGRES_URL` names; [`TempPostgresDatabase::drop_database`] removes it.
pub struct TempPostgresDatabase {
    admin_url: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

impl TempPostgresDatabase {
    /// Creates the database through `admin_url`, whose user may create databases.
    pub async fn create(admin_url: &str) -> Result<Self, BoxError> {
        let name = format!("kam_bench_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        admin.close().await?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name)?,
            name,
        })
    }

    pub async fn drop_database(self) -> Result<(), BoxError> {
        let admin = Database::connect(&self.admin_url).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name))
            .await?;
        admin.close().await?;
        Ok(())
    }
}

/// Where one benchmark run's data lives: a fresh database, and a scratch directory (for the ADMIN key).
pub struct BenchDatabase {
    pub backend: Backend,
    /// The server's database URL.
    pub url: String,
    /// What `sqlite3` or `psql` opens: the SQLite file, or the PostgreSQL URL.
    pub cli_target: String,
    pub dir: PathBuf,
}

/// Runs `bench` on a fresh database of `backend`: a SQLite file in a temporary directory, or a new
/// PostgreSQL database on the server [`POSTGRES_URL_VAR`] names (without it, says so and returns
/// `None`). The database is removed afterwards, whatever `bench` returned, unless `keep`: then where it
/// is gets printed.
pub async fn on_fresh_database<T>(
    backend: Backend,
    keep: bool,
    bench: impl AsyncFnOnce(&BenchDatabase) -> Result<T, BoxError>,
) -> Result<Option<T>, BoxError> {
    let dir = tempfile::tempdir()?;
    match backend {
        Backend::Sqlite => {
            let file = dir.path().join("kam.db");
            let database = BenchDatabase {
                backend,
                url: format!("sqlite://{}?mode=rwc", file.display()),
                cli_target: file.display().to_string(),
                dir: dir.path().to_owned(),
            };
            let outcome = bench(&database).await;
            if keep {
                println!("kept the SQLite database {}", dir.keep().join("kam.db").display());
            }
            outcome.map(Some)
        }
        Backend::Postgres => match std::env::var(POSTGRES_URL_VAR) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let created = TempPostgresDatabase::create(&admin_url).await?;
                let database = BenchDatabase {
                    backend,
                    url: created.url.clone(),
                    cli_target: created.url.clone(),
                    dir: dir.path().to_owned(),
                };
                let outcome = bench(&database).await;
                if keep {
                    println!("kept the PostgreSQL database {}", created.url);
                } else {
                    created.drop_database().await?;
                }
                outcome.map(Some)
            }
            _ => {
                println!(
                    "PostgreSQL skipped: set {POSTGRES_URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/test)"
                );
                Ok(None)
            }
        },
    }
}

/// A single connection for bulk writes; on SQLite in WAL mode with a large page cache, as the server
/// runs it.
pub async fn connect_for_writing(backend: Backend, url: &str) -> Result<DatabaseConnection, BoxError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    if backend == Backend::Sqlite {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .pragma("cache_size", "-262144")
        });
    }
    Ok(Database::connect(options).await?)
}

/// The backends `KAM_BENCH_BACKENDS` names, comma-separated (default `sqlite,postgres`).
pub fn backends_from_env() -> Result<Vec<Backend>, BoxError> {
    env_or("KAM_BENCH_BACKENDS", "sqlite,postgres".to_owned())?
        .split(',')
        .map(|name| match name.trim() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" => Ok(Backend::Postgres),
            other => Err(format!("KAM_BENCH_BACKENDS: unknown backend {other:?}").into()),
        })
        .collect()
}

/// The environment variable `name` parsed, or `default` when it is unset or blank.
pub fn env_or<T>(name: &str, default: T) -> Result<T, BoxError>
where
    T: FromStr,
    T::Err: Display,
{
    match std::env::var(name) {
        Ok(raw) if !raw.trim().is_empty() => raw
            .trim()
            .parse()
            .map_err(|err| format!("{name}={raw:?}: {err}").into()),
        _ => Ok(default),
    }
}

/// The machine's load average over 1, 5 and 15 minutes, or `?` where there is no `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_owned())
}

/// The median of sorted durations (zero for none).
pub fn median(sorted: &[Duration]) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// "optimized (bench/release)" or "debug (unoptimized)", and the machine's CPUs, OS and architecture:
/// the first line of every benchmark's report.
pub fn describe_machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "debug (unoptimized)"
    } else {
        "optimized (bench/release)"
    };
    format!(
        "machine: {cpus} CPUs, {os}/{arch}; build: {profile}",
        os = std::env::consts::OS,
        arch = std::env::consts::ARCH,
    )
}

/// The resident memory of this process (where a benchmark's in-process server lives), sampled every
/// 20 ms on a thread of its own: the level at rest and the peak since the last [`Self::reset`].
pub struct MemorySampler {
    at_rest: Arc<AtomicU64>,
    peak: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
}

impl MemorySampler {
    pub fn start() -> Self {
        let now = resident_kib();
        let sampler = Self {
            at_rest: Arc::new(AtomicU64::new(now)),
            peak: Arc::new(AtomicU64::new(now)),
            running: Arc::new(AtomicBool::new(true)),
        };
        let (peak, running) = (Arc::clone(&sampler.peak), Arc::clone(&sampler.running));
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                peak.fetch_max(resident_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        sampler
    }

    /// Takes the level now as the one at rest, and starts the peak over from it.
    pub fn reset(&self) {
        let now = resident_kib();
        self.at_rest.store(now, Ordering::Relaxed);
        self.peak.store(now, Ordering::Relaxed);
    }

    /// The resident memory at the last reset, in KiB (0 where there is no `/proc`).
    pub fn at_rest_kib(&self) -> u64 {
        self.at_rest.load(Ordering::Relaxed)
    }

    /// The highest resident memory sampled since the last reset (and now), in KiB.
    pub fn peak_kib(&self) -> u64 {
        self.peak
            .fetch_max(resident_kib(), Ordering::Relaxed)
            .max(resident_kib())
    }

    /// [`Self::at_rest_kib`] in MB.
    pub fn at_rest_megabytes(&self) -> f64 {
        self.at_rest_kib() as f64 / 1024.0
    }

    /// [`Self::peak_kib`] in MB.
    pub fn peak_megabytes(&self) -> f64 {
        self.peak_kib() as f64 / 1024.0
    }

    /// How far the peak rose above the level at rest, in MB.
    pub fn growth_megabytes(&self) -> f64 {
        (self.peak_megabytes() - self.at_rest_megabytes()).max(0.0)
    }
}

impl Drop for MemorySampler {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
    }
}

/// `VmRSS` of this process, in KiB (0 where there is no `/proc`).
pub fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}
