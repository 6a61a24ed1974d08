//! The TypeScript client (`clients/ts`) against the real server, on SQLite and on PostgreSQL (when
//! `KAM_TEST_POSTGRES_URL` is set), on Node with the client compiled from its sources, over gRPC-Web
//! through the server's one port: `clients/ts/test/e2e.mjs` (calls and refusals), and
//! `clients/ts/test/sync.test.mjs` (the offline sync module over better-sqlite3, run by `node --test`).
//!
//! It needs Node and the client's packages (`npm ci` in `clients`); without them it says so and
//! passes, unless `KAM_TEST_TYPESCRIPT=required` (CI sets it, after installing them).

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
    time::Duration,
};

use kam_server::{integration::retention, platform::db::Db};
use kam_tests::{TestServer, backend_tests};
use tokio::net::{TcpListener, TcpStream};

/// How long the outbox may take to be pruned: on PostgreSQL the pruner leaves alone the events of
/// transactions younger than the oldest one running anywhere in the cluster (other tests' included).
const PRUNE_PATIENCE: Duration = Duration::from_secs(60);

/// The cases `sync.test.mjs` holds: each must pass (none skipped, none missing).
const SYNC_CASES: usize = 8;

fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/ts")
}

/// The client compiled for Node (`npm run build:node` in clients/ts: `clients/ts/dist`, the sync
/// module's better-sqlite3 adapter included), built once per test run; `Err` with the reason when it
/// cannot be built here.
fn compiled_client() -> &'static Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = client_dir();
        // `npm ci` in clients/ installs the workspace's packages there, for clients/ts and clients/web.
        let tsc = dir.join("../node_modules/.bin/tsc");
        if !tsc.exists() {
            return Err(format!("{} is missing: run `npm ci` in clients", tsc.display()));
        }
        let built = Command::new(&tsc)
            .current_dir(&dir)
            .args(["-p", "tsconfig.node.json"])
            .status()
            .map_err(|e| format!("cannot run tsc: {e}"))?;
        assert!(built.success(), "tsc failed to compile clients/ts");
        Ok(dir.join("dist/index.js"))
    })
}

/// The compiled client, or `None` (after saying why) when this machine cannot run the test and it is
/// not required to.
fn client_or_skip(also_needs: &[&str]) -> Option<&'static PathBuf> {
    let missing = also_needs
        .iter()
        .map(|package| client_dir().join("../node_modules").join(package))
        .find(|path| !path.exists())
        .map(|path| format!("{} is missing: run `npm ci` in clients", path.display()));
    let ready = match (compiled_client(), missing) {
        (Ok(client), None) => Ok(client),
        (Ok(_), Some(reason)) => Err(reason),
        (Err(reason), _) => Err(reason.clone()),
    };
    match ready {
        Ok(client) => Some(client),
        Err(reason) if std::env::var("KAM_TEST_TYPESCRIPT").as_deref() == Ok("required") => {
            panic!("the TypeScript client test cannot run: {reason}")
        }
        Err(reason) => {
            eprintln!("skipped: {reason}");
            None
        }
    }
}

/// `node` in `clients/ts` with the client, the server's address and its ADMIN key in the environment.
fn node(client: &Path, server: &TestServer) -> Command {
    let mut node = Command::new("node");
    node.current_dir(client_dir())
        .env("KAM_CLIENT", client)
        .env("KAM_URL", format!("http://{}", server.addr))
        .env("KAM_KEY", &server.admin().secret);
    node
}

fn describe(script: &Path, output: &Output) -> String {
    format!(
        "{} ({})\n{}\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The number after `# <name> ` in a TAP summary.
fn tap_count(stdout: &str, name: &str) -> Option<usize> {
    let prefix = format!("# {name} ");
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|count| count.trim().parse().ok())
}

backend_tests! {
    async fn the_typescript_client_calls_the_server_over_grpc_web(server: &TestServer) {
        let Some(client) = client_or_skip(&[]) else {
            return;
        };
        let script = client_dir().join("test/e2e.mjs");
        let mut node = node(client, server);
        node.arg(&script);
        // Off the runtime's workers: the server under test runs on them.
        let output = tokio::task::spawn_blocking(move || node.output())
            .await
            .expect("the node task")
            .expect("run node");
        assert!(output.status.success(), "{}", describe(&script, &output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.starts_with("ok: "), "{stdout}");
    }

    async fn the_offline_sync_module_keeps_a_local_replica(server: &TestServer) {
        let Some(client) = client_or_skip(&["better-sqlite3"]) else {
            return;
        };
        let script = client_dir().join("test/sync.test.mjs");
        // The script asks here (POST /prune-outbox) to have the server's outbox aged and pruned, the way
        // a phone's sync tokens expire after weeks offline.
        let hook = TcpListener::bind("127.0.0.1:0").await.expect("bind the test hook");
        let mut node = node(client, server);
        node.args(["--test", "--test-reporter=tap"])
            .arg(&script)
            .env("KAM_TEST_HOOK", format!("http://{}", hook.local_addr().expect("the hook's address")));
        let run = tokio::task::spawn_blocking(move || node.output());
        tokio::pin!(run);
        let output = loop {
            tokio::select! {
                finished = &mut run => break finished.expect("the node task").expect("run node"),
                accepted = hook.accept() => {
                    let (stream, _) = accepted.expect("accept a call of the test hook");
                    answer_hook(server, stream).await;
                }
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{}", describe(&script, &output));
        assert_eq!(
            (
                tap_count(&stdout, "pass"),
                tap_count(&stdout, "fail"),
                tap_count(&stdout, "skipped")
            ),
            (Some(SYNC_CASES), Some(0), Some(0)),
            "{}",
            describe(&script, &output)
        );
    }
}

/// Answers one HTTP request of the test script: `POST /prune-outbox` ages every outbox event past the
/// retention and prunes them, answering 200 once they are gone; anything else is a 404.
async fn answer_hook(server: &TestServer, stream: TcpStream) {
    let head = read_head(&stream).await;
    let (status, body) = if head.starts_with("POST /prune-outbox ") {
        match prune_outbox(server).await {
            Ok(pruned) => ("200 OK", format!("pruned {pruned} events")),
            Err(why) => ("500 Internal Server Error", why),
        }
    } else {
        (
            "404 Not Found",
            format!("no such hook: {}", head.lines().next().unwrap_or_default()),
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    write_all(&stream, response.as_bytes()).await;
}

/// Makes every event of the outbox 40 days old and prunes them as the server's pruner does (the
/// default retention keeps 31 days), so that every sync token issued so far is behind the pruned
/// horizon and ListChanges answers SYNC_TOKEN_EXPIRED, as it does to a phone offline for longer than
/// that. Returns how many events went.
async fn prune_outbox(server: &TestServer) -> Result<u64, String> {
    // Only the events there now: one the server writes meanwhile is young, and stays.
    let last = server
        .query_i64("SELECT COALESCE(MAX(id), 0) FROM outbox_events", [])
        .await;
    let aged = server
        .execute(
            "UPDATE outbox_events SET occurred_at = $1 WHERE id <= $2",
            [
                (chrono::Utc::now() - chrono::Duration::days(40)).into(),
                last.into(),
            ],
        )
        .await;
    let db = Db::connect(&kam_server::Config {
        database_url: server.database_url().to_owned(),
        db_max_connections: 2,
        ..kam_server::Config::default()
    })
    .await
    .map_err(|e| format!("connect to the server's database: {e}"))?;
    let retention_days = kam_server::Config::default().integration.outbox_retention();
    let cutoff = retention::cutoff(chrono::Utc::now(), retention_days).ok_or("no cutoff")?;
    let deadline = tokio::time::Instant::now() + PRUNE_PATIENCE;
    let mut pruned = 0;
    while server
        .query_i64("SELECT COUNT(*) FROM outbox_events WHERE id <= $1", [last.into()])
        .await
        > 0
    {
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "only {pruned} of {aged} events were pruned within {PRUNE_PATIENCE:?}"
            ));
        }
        let report = retention::prune_once(&db, cutoff, 500)
            .await
            .map_err(|e| format!("prune: {e}"))?;
        pruned += report.pruned;
        if report.pruned == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(pruned)
}

/// Reads an HTTP request up to the end of its head (the hook's requests have no body worth reading).
async fn read_head(stream: &TcpStream) -> String {
    let mut head = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < 64 * 1024 {
        stream.readable().await.expect("the hook's connection");
        match stream.try_read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("read the hook's request: {e}"),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

async fn write_all(stream: &TcpStream, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        stream.writable().await.expect("the hook's connection");
        match stream.try_write(bytes) {
            Ok(written) => bytes = &bytes[written..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("answer the hook's request: {e}"),
        }
    }
}
