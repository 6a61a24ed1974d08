//! An import of revenue records through the HTTP/JSON API (NDJSON, one record a line) beside the same
//! import through gRPC (a stream of 1000-record messages), in one run, on the real server.
//!
//! Per backend (SQLite in a temporary directory; PostgreSQL when `KAM_TEST_POSTGRES_URL` is set, on a
//! fresh database dropped afterwards) it starts `kam_server::run`, imports the accounts both imports
//! book to (over gRPC, not measured), then imports `KAM_BENCH_ROWS` records over gRPC and the same
//! number of other records (other accounts, so that neither import updates the other's rows) over
//! HTTP/1.1 as `POST /v1/revenueRecords:import`. The NDJSON text and the gRPC messages are built before
//! the clock starts. It prints rows/s of each and whether HTTP reaches half of gRPC's rate.
//!
//! Run:
//!
//! ```text
//! cargo bench -p kam-tests --bench rest_import
//! KAM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p kam-tests --bench rest_import
//! KAM_BENCH_ROWS=20000 cargo bench -p kam-tests --bench rest_import   # a quick look
//! ```

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use kam_proto::v1::{self as pb, integration_service_client::IntegrationServiceClient};
use kam_tests::{
    Bearer,
    bench::{BoxError, TempPostgresDatabase, describe_machine, endpoint, env_or, start_kam_server},
    http::HttpClient,
};
use tokio::runtime::{Handle, Runtime};
use tonic::service::interceptor::InterceptedService;

/// Records each import writes, by default.
const DEFAULT_ROWS: usize = 100_000;
/// Months each account gets: rows / months accounts per import.
const MONTHS: usize = 100;
/// Records per gRPC message, as kam-erp sends them.
const RECORDS_PER_MESSAGE: usize = 1000;
/// HTTP should reach at least this share of gRPC's rate.
const TARGET_SHARE: f64 = 0.5;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

fn main() -> Result<(), BoxError> {
    let rows: usize = env_or("KAM_BENCH_ROWS", DEFAULT_ROWS)?;
    println!("{}", describe_machine());
    println!("{rows} revenue records per import");
    let servers = runtime("kam-server")?;
    let clients = runtime("bench-client")?;
    clients.block_on(bench(rows, servers.handle()))
}

fn runtime(thread_name: &str) -> std::io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name(thread_name)
        .enable_all()
        .build()
}

async fn bench(rows: usize, servers: &Handle) -> Result<(), BoxError> {
    let sqlite_dir = tempfile::tempdir()?;
    let sqlite_url = format!("sqlite://{}/kam.db?mode=rwc", sqlite_dir.path().display());
    let mut results = vec![bench_backend(servers, "sqlite", &sqlite_url, rows).await?];
    drop(sqlite_dir);
    match std::env::var("KAM_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let database = TempPostgresDatabase::create(&admin_url).await?;
            let measured = bench_backend(servers, "postgres", &database.url, rows).await;
            database.drop_database().await?;
            results.push(measured?);
        }
        _ => println!(
            "PostgreSQL skipped: set KAM_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)"
        ),
    }
    report(&results);
    Ok(())
}

/// One backend's two imports.
struct Measured {
    backend: &'static str,
    rows: usize,
    grpc: Duration,
    http: Duration,
}

async fn bench_backend(
    servers: &Handle,
    backend: &'static str,
    url: &str,
    rows: usize,
) -> Result<Measured, BoxError> {
    let key_dir = tempfile::tempdir()?;
    let key_file = key_dir.path().join("kam-admin.key");
    let server = start_kam_server(servers, url, &key_file, STARTUP_TIMEOUT, |_| {}).await?;
    let key = std::fs::read_to_string(&key_file)?.trim().to_owned();
    let channel = endpoint(server.addr)?.connect().await?;
    let mut grpc = IntegrationServiceClient::new(InterceptedService::new(channel, Bearer::new(&key)))
        .max_encoding_message_size(64 << 20);

    let accounts_per_import = rows.div_ceil(MONTHS);
    import_accounts(&mut grpc, accounts_per_import * 2).await?;

    let messages: Vec<pb::ImportRevenueRequest> = records("G", 0, rows)
        .chunks(RECORDS_PER_MESSAGE)
        .map(|chunk| pb::ImportRevenueRequest {
            records: chunk.to_vec(),
        })
        .collect();
    let started = Instant::now();
    let summary = grpc
        .import_revenue(tokio_stream::iter(messages))
        .await?
        .into_inner();
    let grpc_took = started.elapsed();
    check(&summary, rows, "gRPC")?;

    let ndjson: String = records("H", accounts_per_import, rows)
        .iter()
        .map(|record| format!("{}\n", serde_json::to_string(record).expect("pbjson serializes")))
        .collect();
    let http = HttpClient::new(server.addr, Some(key));
    let headers = [("content-type", "application/x-ndjson")];
    let started = Instant::now();
    let answer = http
        .send(
            Method::POST,
            "/v1/revenueRecords:import",
            &headers,
            Bytes::from(ndjson),
        )
        .await;
    let http_took = started.elapsed();
    if answer.status != 200 {
        return Err(format!(
            "HTTP import: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )
        .into());
    }
    let summary: pb::ImportSummary = serde_json::from_slice(&answer.body)?;
    check(&summary, rows, "HTTP")?;

    server.stop().await?;
    Ok(Measured {
        backend,
        rows,
        grpc: grpc_took,
        http: http_took,
    })
}

async fn import_accounts(
    grpc: &mut IntegrationServiceClient<InterceptedService<tonic::transport::Channel, Bearer>>,
    count: usize,
) -> Result<(), BoxError> {
    let accounts: Vec<pb::AccountRecord> = (0..count)
        .map(|i| pb::AccountRecord {
            external_id: account_external_id(i),
            display_name: format!("Bench account {i}"),
            ..Default::default()
        })
        .collect();
    let messages: Vec<_> = accounts
        .chunks(RECORDS_PER_MESSAGE)
        .map(|chunk| pb::ImportAccountsRequest {
            accounts: chunk.to_vec(),
        })
        .collect();
    let summary = grpc
        .import_accounts(tokio_stream::iter(messages))
        .await?
        .into_inner();
    check(&summary, count, "accounts")
}

fn account_external_id(i: usize) -> String {
    format!("BENCH-{i}")
}

/// `rows` records named `<prefix>-<n>`, `MONTHS` per account from account `first_account` on.
fn records(prefix: &str, first_account: usize, rows: usize) -> Vec<pb::RevenueRecord> {
    (0..rows)
        .map(|n| {
            let month = n % MONTHS;
            pb::RevenueRecord {
                external_id: format!("{prefix}-{n}"),
                account_external_id: account_external_id(first_account + n / MONTHS),
                period: Some(pb::Month {
                    year: 2010 + i32::try_from(month / 12).expect("small"),
                    month: i32::try_from(month % 12 + 1).expect("small"),
                }),
                amount: Some(pb::Money {
                    currency_code: "EUR".into(),
                    units: 1000 + i64::try_from(n % 997).expect("small"),
                    nanos: 500_000_000,
                }),
                ..Default::default()
            }
        })
        .collect()
}

fn check(summary: &pb::ImportSummary, expected: usize, what: &str) -> Result<(), BoxError> {
    let created = usize::try_from(summary.created).unwrap_or_default();
    if created != expected || summary.failed != 0 {
        return Err(format!(
            "{what} import created {created} of {expected}, {} failed: {:?}",
            summary.failed,
            summary.errors.first()
        )
        .into());
    }
    Ok(())
}

fn report(results: &[Measured]) {
    println!();
    println!(
        "{:<9} {:>8} {:>12} {:>12} {:>10}",
        "backend", "rows", "gRPC rows/s", "HTTP rows/s", "HTTP/gRPC"
    );
    for m in results {
        let grpc = m.rows as f64 / m.grpc.as_secs_f64();
        let http = m.rows as f64 / m.http.as_secs_f64();
        let share = http / grpc;
        let verdict = if share >= TARGET_SHARE { "meets" } else { "MISSES" };
        println!(
            "{:<9} {:>8} {:>12.0} {:>12.0} {:>9.0}%  {verdict} the target of {:.0}%",
            m.backend,
            m.rows,
            grpc,
            http,
            share * 100.0,
            TARGET_SHARE * 100.0
        );
    }
}
