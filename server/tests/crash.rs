//! `kill -9` of the `kam-server` process in the middle of a streaming import, on each backend: after a
//! restart the database is intact (SQLite: `PRAGMA integrity_check` is ok and no foreign key dangles;
//! both: no account twice), and running the whole import again leaves exactly the file's rows.
//!
//! The PostgreSQL run needs `KAM_TEST_POSTGRES_URL` (a database of its own is created and dropped
//! there); without it, it says so and passes.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use kam_proto::v1::{
    AccountRecord, ImportAccountsRequest, ImportSummary, integration_service_client::IntegrationServiceClient,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};

/// The import "file": this many messages of this many accounts.
const MESSAGES: usize = 40;
const PER_MESSAGE: usize = 500;
const ROWS: usize = MESSAGES * PER_MESSAGE;

/// A running `kam-server` process and the address it serves on.
struct ServerProcess {
    child: Child,
    addr: String,
}

impl ServerProcess {
    /// Starts kam-server on `database_url` in `dir` (where the ADMIN key is written), on a free port;
    /// returns once it serves.
    fn start(dir: &Path, database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kam-server"))
            .current_dir(dir)
            .env("KAM_LISTEN_ADDR", "127.0.0.1:0")
            .env("KAM_DATABASE_URL", database_url)
            .env("KAM_ADMIN_KEY_FILE", dir.join("kam-admin.key"))
            .env_remove("KAM_CONFIG")
            .env_remove("RUST_LOG")
            .args(["--log-format", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kam-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("kam-server never served (exit: {:?})", child.try_wait()));
            let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if event["message"] == "serving gRPC and gRPC-Web" {
                break event["addr"].as_str().expect("the address is logged").to_owned();
            }
        };
        // Keep draining the log so that the server never blocks on a full pipe.
        std::thread::spawn(move || while lines.recv().is_ok() {});
        Self { child, addr }
    }

    /// An integration client calling as the first-start ADMIN.
    async fn client(&self, dir: &Path) -> IntegrationServiceClient<InterceptedService<Channel, Bearer>> {
        let key = std::fs::read_to_string(dir.join("kam-admin.key")).expect("the ADMIN key");
        let bearer = format!("Bearer {}", key.trim()).parse().expect("a header value");
        let channel = Endpoint::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .expect("connect to kam-server");
        IntegrationServiceClient::with_interceptor(channel, Bearer(bearer))
    }

    /// SIGKILL: no drain, no rollback, no closing of the database.
    fn kill_hard(mut self) {
        self.child.kill().expect("kill -9 kam-server");
        self.child.wait().expect("reap kam-server");
    }

    /// SIGTERM, and the clean exit that follows.
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("send SIGTERM");
        assert!(status.success());
        let exit = self.child.wait().expect("wait for kam-server");
        assert!(exit.success(), "kam-server exited with {exit}");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Adds the `authorization` header to every call.
#[derive(Clone)]
struct Bearer(MetadataValue<Ascii>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// Message `n` of the import file.
fn message(n: usize) -> ImportAccountsRequest {
    ImportAccountsRequest {
        accounts: (0..PER_MESSAGE)
            .map(|i| {
                let row = n * PER_MESSAGE + i;
                AccountRecord {
                    external_id: format!("CRASH-{row:06}"),
                    display_name: format!("Crash test account {row}"),
                    region: "EMEA".to_owned(),
                    ..Default::default()
                }
            })
            .collect(),
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index(0).unwrap()
}

const IMPORTED: &str = "SELECT count(*) FROM accounts WHERE external_id LIKE 'CRASH-%'";
const DISTINCT: &str = "SELECT count(DISTINCT external_id) FROM accounts WHERE external_id LIKE 'CRASH-%'";

/// The crash, the checks and the second import, on `database_url`.
async fn kill_during_import_then_import_again(dir: &Path, database_url: &str) {
    let server = ServerProcess::start(dir, database_url);
    let mut client = server.client(dir).await;
    let (sender, receiver) = tokio::sync::mpsc::channel(1);
    let import = tokio::spawn(async move { client.import_accounts(ReceiverStream::new(receiver)).await });

    // Some messages are committed, then the next is sent and the server killed while it writes it,
    // with the stream still open.
    let db = Database::connect(database_url)
        .await
        .expect("connect to the database");
    let mut sent = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(&db, IMPORTED).await < (2 * PER_MESSAGE) as i64 {
        if sent < MESSAGES / 2 {
            sender.send(message(sent)).await.expect("the stream is open");
            sent += 1;
        }
        assert!(Instant::now() < deadline, "the import never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sender.send(message(sent)).await.expect("the stream is open");
    server.kill_hard();
    let _ = db.close().await;
    let outcome = import.await.expect("the import task");
    assert!(outcome.is_err(), "the import cannot have finished: {outcome:?}");
    drop(sender);

    // The restarted server opens the database (SQLite replays its WAL) and serves.
    let server = ServerProcess::start(dir, database_url);
    let db = Database::connect(database_url)
        .await
        .expect("connect to the database");
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        let row = db
            .query_one_raw(Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "PRAGMA integrity_check",
            ))
            .await
            .unwrap()
            .expect("a row");
        let verdict: String = row.try_get_by_index(0).unwrap();
        assert_eq!(verdict, "ok", "PRAGMA integrity_check");
        let dangling = db
            .query_all_raw(Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "PRAGMA foreign_key_check",
            ))
            .await
            .unwrap();
        assert!(dangling.is_empty(), "{} rows break a foreign key", dangling.len());
    }
    let survived = count(&db, IMPORTED).await;
    assert_eq!(count(&db, DISTINCT).await, survived, "no account twice");
    assert!(
        survived % PER_MESSAGE as i64 == 0 && survived <= ((sent + 1) * PER_MESSAGE) as i64,
        "whole messages only: {survived} rows after {sent} messages and a killed one"
    );

    eprintln!("{survived} of {ROWS} rows survived the kill, after {sent} messages and one in flight");

    // The whole file again: what survived is unchanged, the rest is created.
    let mut client = server.client(dir).await;
    let summary: ImportSummary = client
        .import_accounts(tokio_stream::iter((0..MESSAGES).map(message)))
        .await
        .expect("the second import")
        .into_inner();
    assert_eq!(summary.failed, 0, "{:?}", summary.errors);
    assert_eq!(summary.updated, 0);
    assert_eq!(summary.unchanged, survived);
    assert_eq!(summary.created + summary.unchanged, ROWS as i64);
    assert_eq!(count(&db, IMPORTED).await, ROWS as i64, "exactly the file's rows");
    assert_eq!(count(&db, DISTINCT).await, ROWS as i64);
    let _ = db.close().await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_kill_9_during_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("kam.db").display());
    kill_during_import_then_import_again(dir.path(), &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_kill_9_during_an_import() {
    let Ok(admin_url) = std::env::var("KAM_TEST_POSTGRES_URL") else {
        eprintln!("skipping postgres: KAM_TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("kam_test_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(admin_url.as_str()).await.expect("connect");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create the database");
    let base = admin_url.split('?').next().unwrap_or_default();
    let url = format!(
        "{}/{name}",
        base.rsplit_once('/').expect("a database in the URL").0
    );
    let dir = tempfile::tempdir().unwrap();
    kill_during_import_then_import_again(dir.path(), &url).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .expect("drop the database");
}
