//! What the end-to-end tests share: running the real kam-erp binary against a test server, files in a
//! temporary directory, reading back what the server holds, and a TCP relay that can be started late
//! or cut, to play a server that is down or restarts.

#![allow(dead_code)] // each test file uses its own part of this

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use kam_tests::TestServer;
use kam_tests::pb::{
    self, integration_service_client::IntegrationServiceClient,
    opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
    service_level_service_client::ServiceLevelServiceClient,
};
use serde_json::Value as Json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The kam-erp command for `addr`, calling as the server's first-start ADMIN unless `args` name another
/// `--api-key-file`.
pub fn command(server: &TestServer, addr: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kam-erp"));
    command.arg("--addr").arg(addr);
    if !args.contains(&"--api-key-file") {
        command.arg("--api-key-file").arg(server.admin_key_path());
    }
    command
        .args(args)
        .env_remove("KAM_API_KEY")
        .env_remove("KAM_API_KEY_FILE")
        .env_remove("KAM_ADDR");
    command
}

/// Runs kam-erp against `server` to the end; the process runs off the async workers.
pub async fn kam_erp(server: &TestServer, args: &[&str]) -> Output {
    kam_erp_at(server, &server.addr.to_string(), args).await
}

/// Runs kam-erp against `addr` (a relay, a dead port) with the credentials of `server`.
pub async fn kam_erp_at(server: &TestServer, addr: &str, args: &[&str]) -> Output {
    let mut command = command(server, addr, args);
    tokio::task::spawn_blocking(move || command.output().expect("kam-erp runs"))
        .await
        .expect("the kam-erp task")
}

/// Starts kam-erp in the background, its output piped.
pub fn spawn(server: &TestServer, addr: &str, args: &[&str]) -> Child {
    command(server, addr, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kam-erp starts")
}

/// Waits for a background kam-erp to end.
pub async fn wait(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().expect("kam-erp ends"))
        .await
        .expect("the kam-erp task")
}

/// Runs kam-erp expecting success; returns stdout and stderr.
pub async fn ok(server: &TestServer, args: &[&str]) -> (String, String) {
    let output = kam_erp(server, args).await;
    let (stdout, stderr) = texts(&output);
    assert!(
        output.status.success(),
        "kam-erp {args:?} failed ({}): {stderr}",
        output.status
    );
    (stdout, stderr)
}

/// Runs an import with `--json`, expecting success; returns the summary and stderr.
pub async fn import_json(server: &TestServer, args: &[&str]) -> (Json, String) {
    let (stdout, stderr) = ok(server, &[args, &["--json"]].concat()).await;
    let summary = serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("no JSON ({err}): {stdout}"));
    (summary, stderr)
}

/// (created, updated, unchanged, failed) of an import summary.
pub fn counts(summary: &Json) -> (u64, u64, u64, u64) {
    let count = |key: &str| {
        summary[key]
            .as_u64()
            .unwrap_or_else(|| panic!("no {key} in {summary}"))
    };
    (
        count("created"),
        count("updated"),
        count("unchanged"),
        count("failed"),
    )
}

pub fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A temporary directory for a test's files.
pub struct Files(tempfile::TempDir);

impl Files {
    pub fn new() -> Self {
        Self(
            tempfile::Builder::new()
                .prefix("kam-erp-test-")
                .tempdir()
                .expect("a temp dir"),
        )
    }

    /// Writes `name` and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> String {
        let path = self.0.path().join(name);
        std::fs::write(&path, contents).expect("write the file");
        path.to_str().expect("a UTF-8 path").to_owned()
    }

    pub fn path(&self, name: &str) -> String {
        self.0
            .path()
            .join(name)
            .to_str()
            .expect("a UTF-8 path")
            .to_owned()
    }
}

/// The JSON lines of a file.
pub fn json_lines(path: impl AsRef<Path>) -> Vec<Json> {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|err| panic!("read {}: {err}", path.as_ref().display()))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}")))
        .collect()
}

/// One stored revenue record: (account id, "YYYY-MM", units, nanos).
pub type StoredRevenue = (String, String, i64, i32);

/// Every revenue record the server holds, by external id.
pub async fn revenue_by_external_id(server: &TestServer) -> BTreeMap<String, StoredRevenue> {
    let mut planning = PlanningServiceClient::new(server.channel());
    let mut records = BTreeMap::new();
    let mut page_token = String::new();
    loop {
        let page = planning
            .list_revenue_records(pb::ListRevenueRecordsRequest {
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await
            .expect("list revenue records")
            .into_inner();
        for record in page.records {
            let period = record.period.expect("a period");
            let amount = record.amount.expect("an amount");
            let previous = records.insert(
                record.external_id.clone(),
                (
                    record.account_id,
                    format!("{:04}-{:02}", period.year, period.month),
                    amount.units,
                    amount.nanos,
                ),
            );
            assert!(previous.is_none(), "{} listed twice", record.external_id);
        }
        if page.next_page_token.is_empty() {
            return records;
        }
        page_token = page.next_page_token;
    }
}

/// Every account, by external id.
pub async fn accounts_by_external_id(server: &TestServer) -> BTreeMap<String, pb::Account> {
    let accounts = server
        .accounts()
        .list_accounts(pb::ListAccountsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list accounts")
        .into_inner()
        .accounts;
    accounts
        .into_iter()
        .filter(|account| !account.external_id.is_empty())
        .map(|account| (account.external_id.clone(), account))
        .collect()
}

/// Every contact, active or not, by external id.
pub async fn contacts_by_external_id(server: &TestServer) -> BTreeMap<String, pb::Contact> {
    let contacts = server
        .accounts()
        .list_contacts(pb::ListContactsRequest {
            page_size: 1000,
            show_inactive: true,
            ..Default::default()
        })
        .await
        .expect("list contacts")
        .into_inner()
        .contacts;
    contacts
        .into_iter()
        .map(|contact| (contact.external_id.clone(), contact))
        .collect()
}

/// Every opportunity, by external id.
pub async fn opportunities_by_external_id(server: &TestServer) -> BTreeMap<String, pb::Opportunity> {
    let opportunities = OpportunityServiceClient::new(server.channel())
        .list_opportunities(pb::ListOpportunitiesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list opportunities")
        .into_inner()
        .opportunities;
    opportunities
        .into_iter()
        .map(|opportunity| (opportunity.external_id.clone(), opportunity))
        .collect()
}

/// Every service request, by external id.
pub async fn service_requests_by_external_id(server: &TestServer) -> BTreeMap<String, pb::ServiceRequest> {
    let requests = ServiceLevelServiceClient::new(server.channel())
        .list_service_requests(pb::ListServiceRequestsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list service requests")
        .into_inner()
        .service_requests;
    requests
        .into_iter()
        .map(|request| (request.external_id.clone(), request))
        .collect()
}

/// The cursors of every event the server has, from the earliest, as WatchEvents delivers them.
pub async fn event_cursors(server: &TestServer) -> Vec<String> {
    let mut stream = IntegrationServiceClient::new(server.channel())
        .watch_events(pb::WatchEventsRequest {
            start: pb::watch_events_request::Start::Earliest as i32,
            batch_size: 1000,
            ..Default::default()
        })
        .await
        .expect("watch events")
        .into_inner();
    let mut cursors = Vec::new();
    loop {
        let response = tokio::time::timeout(Duration::from_secs(30), stream.message())
            .await
            .expect("a response in time")
            .expect("the stream goes on")
            .expect("the stream does not end");
        cursors.extend(response.events.into_iter().map(|event| event.cursor));
        if response.caught_up {
            return cursors;
        }
    }
}

/// The cursors of the server's events once there are at least `count` of them.
///
/// On PostgreSQL the feed delivers an event once every transaction older than its own has ended,
/// cluster-wide, so right after a change (with other tests' transactions running) a stream may catch up
/// short of it; the tests wait until the changes they made are in the feed before they compare.
pub async fn wait_for_events(server: &TestServer, count: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let cursors = event_cursors(server).await;
        if cursors.len() >= count {
            return cursors;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the feed holds {} events, not {count}",
            cursors.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `condition` every 10 ms for up to `limit`; panics with `what` when it never holds.
pub async fn eventually(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A port on the loopback interface that nothing listens on (bound, then released).
pub fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().expect("its address")
}

/// A TCP relay from a local port to the test server: started whenever the test likes (a server that
/// comes up late), and able to cut every connection it carries (a server that restarts).
pub struct Relay {
    addr: SocketAddr,
    accept: JoinHandle<()>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    /// Relays `listen` to `target`.
    pub async fn start(listen: SocketAddr, target: SocketAddr) -> Self {
        let listener = TcpListener::bind(listen).await.expect("bind the relay port");
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tracked = std::sync::Arc::clone(&connections);
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tracked.lock().unwrap().push(relay);
            }
        });
        Self {
            addr: listen,
            accept,
            connections,
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts every connection it carries; new ones are still accepted.
    pub fn cut(&self) {
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// Sends SIGTERM to a child process (as a service manager stopping it would).
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed");
}

/// The path of the rejects file kam-erp writes beside `file` by default.
pub fn rejects_of(file: &str) -> PathBuf {
    PathBuf::from(format!("{file}.rejects.jsonl"))
}
