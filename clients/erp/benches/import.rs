//! The ERP connector's import, end to end: `kam-erp import` of 100,000 accounts and 1,000,000 revenue
//! records from CSV files into the real server, beside the databases' own bulk loaders (`sqlite3
//! .import`, `psql \copy`) of the same files, in the same run.
//!
//! Per backend — SQLite (a file in a temporary directory) and, when `KAM_TEST_POSTGRES_URL` is set,
//! PostgreSQL (a fresh database `kam_bench_<uuid>`, dropped afterwards) — this:
//! 1. writes `accounts.csv` (`KAM_BENCH_ACCOUNTS` rows) and `revenue.csv` (`KAM_BENCH_REVENUE` rows,
//!    spread over the accounts and 24 months, amounts with cents) once, in the columns the connector's
//!    default mapping reads;
//! 2. starts the real KAM server in this process and runs the real `kam-erp` binary against it, as the
//!    ADMIN: the accounts, then the revenue, then the revenue again (every row `unchanged`); each import
//!    is checked (every row created, or unchanged, none failed) and the stored row counts compared;
//! 3. samples this process's resident memory (the server's: the connector is another process) every
//!    20 ms, and reports it at rest (before each import) and its peak above that: flat means the server
//!    streams the import rather than holding it;
//! 4. loads the same two files with the database's own bulk loader (`sqlite3 .import` into a fresh
//!    file; `psql \copy` into a fresh schema): into tables of text columns without any index (the
//!    ceiling), and into tables with the keys KAM's tables have (a unique external id; the revenue's
//!    account and period indexes). KAM does more per row than either: it checks every field, looks up
//!    the account and the stored record, keeps a primary key and a foreign key, and writes the audit
//!    row and event of each batch.
//!
//! It prints one table per backend: rows, seconds, rows/s, the server's memory at rest and its peak
//! growth, and how many times as fast each loader is as the import.
//!
//! Run (release build; the full size takes about a minute per backend on 2 cores):
//!
//! ```text
//! KAM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p kam-erp --bench import
//! KAM_BENCH_REVENUE=100000 KAM_BENCH_ACCOUNTS=10000 cargo bench -p kam-erp --bench import
//! ```
//!
//! Environment:
//! - `KAM_BENCH_ACCOUNTS`: accounts (default 100000);
//! - `KAM_BENCH_REVENUE`: revenue records (default 1000000); `KAM_BENCH_SKIP_REVENUE=1` imports only
//!   the accounts (the revenue file is still written, for the loaders);
//! - `KAM_BENCH_BACKENDS`: which backends to run, comma-separated (default `sqlite,postgres`);
//! - `KAM_BENCH_KEEP=1`: keep the SQLite directory and the PostgreSQL database;
//! - `KAM_TEST_POSTGRES_URL`: a PostgreSQL URL whose user may create databases; unset skips PostgreSQL.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use kam_tests::bench::{
    Backend, BenchDatabase, BoxError, MemorySampler, backends_from_env, describe_machine, env_or,
    load_average, on_fresh_database, start_kam_server,
};
use sea_orm::{ConnectionTrait, Database, Statement};
use tokio::runtime::Handle;

/// How long a server may take to answer its first health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// Months the revenue spreads over.
const MONTHS: usize = 24;

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env()?;
    println!("{}\n{}", describe_machine(), settings.describe());
    let files = tempfile::tempdir()?;
    let started = Instant::now();
    let data = write_files(files.path(), &settings)?;
    println!(
        "wrote {} ({:.1} MB) and {} ({:.1} MB) in {:.1} s",
        data.accounts.display(),
        megabytes(&data.accounts),
        data.revenue.display(),
        megabytes(&data.revenue),
        started.elapsed().as_secs_f64()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let results = runtime.block_on(bench(&settings, &data))?;
    for result in &results {
        report(result);
    }
    Ok(())
}

struct Settings {
    accounts: usize,
    revenue: usize,
    backends: Vec<Backend>,
    keep: bool,
    /// Import only the accounts (`KAM_BENCH_SKIP_REVENUE=1`).
    skip_revenue: bool,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let settings = Self {
            accounts: env_or("KAM_BENCH_ACCOUNTS", 100_000)?,
            revenue: env_or("KAM_BENCH_REVENUE", 1_000_000)?,
            backends: backends_from_env()?,
            keep: env_or("KAM_BENCH_KEEP", 0u8)? != 0,
            skip_revenue: env_or("KAM_BENCH_SKIP_REVENUE", 0u8)? != 0,
        };
        if settings.accounts == 0 || settings.revenue == 0 {
            return Err("KAM_BENCH_ACCOUNTS and KAM_BENCH_REVENUE must be > 0".into());
        }
        Ok(settings)
    }

    fn describe(&self) -> String {
        format!(
            "data: {} accounts, {} revenue records over {MONTHS} months",
            self.accounts, self.revenue
        )
    }
}

/// The two input files.
struct DataFiles {
    accounts: PathBuf,
    revenue: PathBuf,
    accounts_rows: usize,
    revenue_rows: usize,
}

/// Writes the files in the connector's default column mapping.
fn write_files(dir: &Path, settings: &Settings) -> Result<DataFiles, BoxError> {
    const INDUSTRIES: [&str; 4] = ["Machinery", "Chemicals", "Automotive", "Food"];
    const REGIONS: [&str; 4] = ["EMEA", "APAC", "AMER", "CN-South"];
    let accounts = dir.join("accounts.csv");
    let mut out = BufWriter::new(File::create(&accounts)?);
    writeln!(
        out,
        "external_id,display_name,legal_name,industry,region,lifecycle"
    )?;
    for n in 0..settings.accounts {
        writeln!(
            out,
            "C{n:07},Customer {n},Customer {n} Co. Ltd,{},{},ACTIVE",
            INDUSTRIES[n % INDUSTRIES.len()],
            REGIONS[n / 7 % REGIONS.len()]
        )?;
    }
    out.flush()?;
    let revenue = dir.join("revenue.csv");
    let mut out = BufWriter::new(File::create(&revenue)?);
    writeln!(out, "external_id,account_external_id,period,amount,currency")?;
    for n in 0..settings.revenue {
        let account = n % settings.accounts;
        let month = n / settings.accounts % MONTHS;
        let (year, month) = (2025 + month / 12, month % 12 + 1);
        // Cents that vary, whole units by account: exact decimals, some credit notes.
        let units = 100 + (account * 7919 + month * 104_729) % 90_000;
        let sign = if n % 97 == 0 { "-" } else { "" };
        writeln!(
            out,
            "INV-{n:08},C{account:07},{year}-{month:02},{sign}{units}.{:02},EUR",
            n % 100
        )?;
    }
    out.flush()?;
    Ok(DataFiles {
        accounts,
        revenue,
        accounts_rows: settings.accounts,
        revenue_rows: settings.revenue,
    })
}

fn megabytes(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1e6)
}

/// One timed step.
struct Step {
    what: String,
    rows: usize,
    time: Duration,
    /// The server's resident memory before the step, and its peak above that, in MB; `None` for a
    /// loader.
    memory: Option<(f64, f64)>,
}

impl Step {
    fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.time.as_secs_f64()
    }
}

struct BackendResult {
    backend: Backend,
    imports: Vec<Step>,
    loaders: Vec<Step>,
    load: (String, String),
}

async fn bench(settings: &Settings, data: &DataFiles) -> Result<Vec<BackendResult>, BoxError> {
    let mut results = Vec::new();
    for &backend in &settings.backends {
        let run = async |database: &BenchDatabase| bench_backend(database, data, settings.skip_revenue).await;
        if let Some(result) = on_fresh_database(backend, settings.keep, run).await? {
            results.push(result);
        }
    }
    Ok(results)
}

async fn bench_backend(
    database: &BenchDatabase,
    data: &DataFiles,
    skip_revenue: bool,
) -> Result<BackendResult, BoxError> {
    let backend = database.backend;
    let key_file = database.dir.join("kam-admin.key");
    let server = start_kam_server(
        &Handle::current(),
        &database.url,
        &key_file,
        STARTUP_TIMEOUT,
        configure_server,
    )
    .await?;
    let key = std::fs::read_to_string(&key_file)?.trim().to_owned();
    let addr = format!("http://{}", server.addr);
    let load_before = load_average();
    let memory = MemorySampler::start();
    let mut imports = Vec::new();
    let steps = [
        ("import accounts", "accounts", &data.accounts, data.accounts_rows),
        ("import revenue", "revenue", &data.revenue, data.revenue_rows),
        (
            "import revenue again (unchanged)",
            "revenue",
            &data.revenue,
            data.revenue_rows,
        ),
    ];
    let steps = if skip_revenue { &steps[..1] } else { &steps[..] };
    for &(what, resource, file, rows) in steps {
        eprintln!("{}: {what}…", backend.name());
        memory.reset();
        let started = Instant::now();
        let output = tokio::task::spawn_blocking({
            let (addr, key, file) = (addr.clone(), key.clone(), file.clone());
            move || connector_import(&addr, &key, resource, &file)
        })
        .await??;
        let time = started.elapsed();
        eprintln!(
            "{}: {what}: {:.1} s; {}",
            backend.name(),
            time.as_secs_f64(),
            output.trim()
        );
        imports.push(Step {
            what: what.to_owned(),
            rows,
            time,
            memory: Some((memory.at_rest_megabytes(), memory.growth_megabytes())),
        });
    }
    drop(memory);
    server.stop().await?;
    check_counts(database, data, skip_revenue).await?;
    let load_after = load_average();

    let loaders = match backend {
        Backend::Sqlite => sqlite_import(&database.dir, data)?,
        Backend::Postgres => psql_copy(&database.cli_target, data)?,
    };
    Ok(BackendResult {
        backend,
        imports,
        loaders,
        load: (load_before, load_after),
    })
}

/// A call streams up to 100,000 rows (the connector's default): the server's per-call limit is raised so
/// that a slow one is measured rather than cut off; the breach monitor stays out of the timings.
fn configure_server(config: &mut kam_server::Config) {
    config.request_timeout = Duration::from_secs(600);
    config.sla.monitor_interval_seconds = 0;
}

/// Runs `kam-erp import <resource> <file>`; fails unless it exits cleanly having written every row.
fn connector_import(addr: &str, key: &str, resource: &str, file: &Path) -> Result<String, BoxError> {
    let output = Command::new(env!("CARGO_BIN_EXE_kam-erp"))
        .args(["--addr", addr, "import", resource])
        .arg(file)
        .arg("--restart")
        .env("KAM_API_KEY", key)
        .stdin(Stdio::null())
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "kam-erp import {resource} failed: {}\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(stdout)
}

/// Every row of the files imported is stored once.
async fn check_counts(
    database: &BenchDatabase,
    data: &DataFiles,
    skip_revenue: bool,
) -> Result<(), BoxError> {
    let db = Database::connect(&database.url).await?;
    let revenue_rows = if skip_revenue { 0 } else { data.revenue_rows };
    for (table, expected) in [
        ("accounts", data.accounts_rows),
        ("revenue_records", revenue_rows),
    ] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await?
            .ok_or("no count")?;
        let stored: i64 = row.try_get("", "n")?;
        if stored != expected as i64 {
            return Err(format!("{table}: {stored} rows stored, {expected} in the file").into());
        }
    }
    db.close().await?;
    Ok(())
}

/// `sqlite3 .import` of both files into a fresh database file: into tables of text columns without
/// indexes (the ceiling), then into tables with the keys KAM's tables have (a unique external id; the
/// revenue's account and period indexes).
fn sqlite_import(dir: &Path, data: &DataFiles) -> Result<Vec<Step>, BoxError> {
    let file = dir.join("loader.db");
    let run = |script: String| -> Result<Duration, BoxError> {
        let started = Instant::now();
        let mut child = Command::new("sqlite3")
            .arg(&file)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        child
            .stdin
            .take()
            .ok_or("no stdin")?
            .write_all(script.as_bytes())?;
        let status = child.wait()?;
        if !status.success() {
            return Err(format!("sqlite3 failed: {status}").into());
        }
        Ok(started.elapsed())
    };
    run(format!("PRAGMA journal_mode=WAL;\n{}", loader_tables(";\n")))?;
    let mut steps = Vec::new();
    for (table, path, rows) in loads(data) {
        let time = run(format!(".import --csv --skip 1 {} {table}\n", path.display()))?;
        steps.push(Step {
            what: format!("sqlite3 .import {table}"),
            rows,
            time,
            memory: None,
        });
    }
    Ok(steps)
}

/// The loaders' tables, their statements ended by `end`: plain ones, and `keyed_*` ones with KAM's keys.
fn loader_tables(end: &str) -> String {
    let accounts = "(external_id text, display_name text, legal_name text, industry text, region text, \
                    lifecycle text)";
    let revenue = "(external_id text, account_external_id text, period text, amount text, currency text)";
    [
        format!("CREATE TABLE accounts {accounts}"),
        format!("CREATE TABLE revenue {revenue}"),
        format!("CREATE TABLE keyed_accounts {accounts}"),
        "CREATE UNIQUE INDEX ux_keyed_accounts ON keyed_accounts (external_id)".to_owned(),
        format!("CREATE TABLE keyed_revenue {revenue}"),
        "CREATE UNIQUE INDEX ux_keyed_revenue ON keyed_revenue (external_id)".to_owned(),
        "CREATE INDEX ix_keyed_revenue_account ON keyed_revenue (account_external_id, period)".to_owned(),
        "CREATE INDEX ix_keyed_revenue_period ON keyed_revenue (period, account_external_id)".to_owned(),
    ]
    .map(|statement| statement + end)
    .concat()
}

/// (table, file, rows) of every load, plain tables first.
fn loads(data: &DataFiles) -> [(&'static str, &PathBuf, usize); 4] {
    [
        ("accounts", &data.accounts, data.accounts_rows),
        ("revenue", &data.revenue, data.revenue_rows),
        ("keyed_accounts", &data.accounts, data.accounts_rows),
        ("keyed_revenue", &data.revenue, data.revenue_rows),
    ]
}

/// `psql \copy` of both files into a fresh schema, into the same tables as [`sqlite_import`].
fn psql_copy(url: &str, data: &DataFiles) -> Result<Vec<Step>, BoxError> {
    let run = |command: String| -> Result<Duration, BoxError> {
        let started = Instant::now();
        let output = Command::new("psql")
            .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", &command])
            .output()?;
        if !output.status.success() {
            return Err(format!("psql failed: {}", String::from_utf8_lossy(&output.stderr)).into());
        }
        Ok(started.elapsed())
    };
    run(format!(
        "CREATE SCHEMA loader; SET search_path = loader; {}",
        loader_tables("; ")
    ))?;
    let mut steps = Vec::new();
    for (table, path, rows) in loads(data) {
        let time = run(format!(
            "\\copy loader.{table} FROM '{}' WITH (FORMAT csv, HEADER true)",
            path.display()
        ))?;
        steps.push(Step {
            what: format!("psql \\copy {table}"),
            rows,
            time,
            memory: None,
        });
    }
    Ok(steps)
}

fn report(result: &BackendResult) {
    println!(
        "\n{} (load average before {}, after {})",
        result.backend.name(),
        result.load.0,
        result.load.1
    );
    println!(
        "{:<36} {:>10} {:>9} {:>11} {:>14} {:>11}",
        "step", "rows", "seconds", "rows/s", "server rest MB", "server +MB"
    );
    for step in result.imports.iter().chain(&result.loaders) {
        let (rest, growth) = match step.memory {
            Some((rest, growth)) => (format!("{rest:.0}"), format!("{growth:.0}")),
            None => ("-".to_owned(), "-".to_owned()),
        };
        println!(
            "{:<36} {:>10} {:>9.2} {:>11.0} {:>14} {:>11}",
            step.what,
            step.rows,
            step.time.as_secs_f64(),
            step.rows_per_second(),
            rest,
            growth
        );
    }
    let imported = [
        (result.imports.first(), "accounts"),
        (result.imports.get(1), "revenue"),
    ];
    for (import, table) in imported
        .into_iter()
        .filter_map(|(import, table)| Some((import?, table)))
    {
        let ratio = |loaded: &str| {
            result
                .loaders
                .iter()
                .find(|step| step.what.ends_with(&format!(" {loaded}")))
                .map_or(f64::NAN, |loader| {
                    loader.rows_per_second() / import.rows_per_second()
                })
        };
        println!(
            "{}: the loader is {:.1}× as fast into a plain table, {:.1}× into a keyed one",
            import.what,
            ratio(table),
            ratio(&format!("keyed_{table}"))
        );
    }
}
