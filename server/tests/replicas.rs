//! Two real `kam-server` processes (two replicas) on one PostgreSQL database take turns at the SLA
//! monitor through its lease (`job_leases`, `jobs.lease_seconds`). The test proves that:
//!
//! - while both run, exactly one holds the monitor's lease (the first started), and the other never
//!   takes it: the fencing token does not move;
//! - after `kill -9` of the holder, the survivor takes the lease over within one lease period plus one
//!   monitor tick (and a margin), with a higher fencing token;
//! - the survivor's monitor records the SLA transitions that pass after the kill, also for requests
//!   whose earlier transition the dead replica had recorded;
//! - nothing is recorded twice: at most one SlaAtRisk and one SlaBreached event per request and target,
//!   one escalation row per request, target and step, and one SlaEscalated event per row.
//!
//! The requests are imported through the survivor's API (`ImportServiceRequests`) with an `open_time`
//! in the past, under a 24x7 policy with one-minute targets, so that their transitions fall at chosen
//! instants before and after the kill.
//!
//! Needs `KAM_TEST_POSTGRES_URL` (a database of its own is created there and dropped); without it the
//! test says so and passes.

use std::{
    future::Future,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, TimeDelta, Utc};
use kam_proto::v1::{
    self as pb, account_service_client::AccountServiceClient, escalation_step::Trigger,
    integration_service_client::IntegrationServiceClient,
    service_level_service_client::ServiceLevelServiceClient,
};
use kam_server::{SLA_MONITOR_JOB, platform::wire::timestamp};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement, Value};
use serde_json::Value as Json;
use tonic::{
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};

/// `jobs.lease_seconds` of both replicas: short, so that the takeover is quick.
const LEASE: Duration = Duration::from_secs(3);
/// `sla.monitor_interval_seconds`: the monitor renews its lease (and scans) once a tick.
const MONITOR_INTERVAL: Duration = Duration::from_secs(1);
/// Slack for process scheduling and database round trips on a busy machine.
const MARGIN: Duration = Duration::from_secs(1);

/// The calendar the migrations seed as "24x7": always open, UTC.
const ALWAYS_OPEN: &str = "00000000-0000-7000-8000-000000000300";
/// Both targets of the test policy, first response and resolution: the least a policy can set.
const TARGET_MINUTES: i32 = 1;
/// So each target turns AT_RISK 54 s after the request opened and BREACHED just after 60 s.
const WARNING_PERCENT: i32 = 90;
const AT_RISK_AFTER: TimeDelta = TimeDelta::seconds(54);
const DUE_AFTER: TimeDelta = TimeDelta::seconds(60);

/// Requests opened together, so that their transitions fall at the same instants.
#[derive(Clone, Copy, Debug)]
struct Group {
    /// Of the requests' external ids.
    prefix: &'static str,
    /// How long before the import the requests were opened (their `open_time`).
    opened_before_import: TimeDelta,
}

impl Group {
    fn at_risk(self, imported_at: DateTime<Utc>) -> DateTime<Utc> {
        imported_at - self.opened_before_import + AT_RISK_AFTER
    }

    fn due(self, imported_at: DateTime<Utc>) -> DateTime<Utc> {
        imported_at - self.opened_before_import + DUE_AFTER
    }

    /// For SQL `LIKE`.
    fn pattern(self) -> String {
        format!("{}-%", self.prefix)
    }
}

/// Everything passed long ago: the holder records it all before the kill.
const EARLY: Group = Group {
    prefix: "EARLY",
    opened_before_import: TimeDelta::minutes(10),
};
/// At risk a second before the import (recorded by the holder before the kill), breached 5 s after it,
/// once the holder is dead: recorded by the survivor.
const STRADDLING: Group = Group {
    prefix: "STRADDLING",
    opened_before_import: TimeDelta::seconds(55),
};
/// At risk 5 s and breached 11 s after the import: both after the kill.
const LATE: Group = Group {
    prefix: "LATE",
    opened_before_import: TimeDelta::seconds(49),
};
const GROUPS: [Group; 3] = [EARLY, STRADDLING, LATE];
const REQUESTS_PER_GROUP: i64 = 5;
/// A request has two targets, and each passes AT_RISK and BREACHED.
const TARGETS: i64 = 2;
/// SlaAtRisk (or SlaBreached) events about one group: one per request and target.
const EVENTS_PER_GROUP: i64 = REQUESTS_PER_GROUP * TARGETS;
/// The policy's ladder: one step on AT_RISK, one on BREACHED, each for either target.
const ESCALATIONS_PER_REQUEST: i64 = 2 * TARGETS;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survivor_takes_the_sla_monitor_over_from_a_killed_replica_and_nothing_is_recorded_twice() {
    let Ok(admin_url) = std::env::var("KAM_TEST_POSTGRES_URL") else {
        eprintln!("skipping the two-replica test: it needs PostgreSQL (KAM_TEST_POSTGRES_URL is not set)");
        return;
    };
    let test_started = Instant::now();
    // Declared before the replicas: dropped after them, when they no longer use it.
    let database = ScratchDatabase::create(&admin_url).await;
    let db = Database::connect(database.url.as_str())
        .await
        .expect("connect to the test database");
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());

    // A first, and B only once A holds the monitor's lease: A is the holder, B the one that waits.
    let mut a = Replica::start("A", &dir.path().join("a"), &config, &database.url);
    let (held_by_a, _) = wait_for_holder(&db, &a, Duration::from_secs(15)).await;
    let b = Replica::start("B", &dir.path().join("b"), &config, &database.url);
    let b_started = Instant::now();

    // Everything goes through B, the replica that survives. The first start (A's) wrote the ADMIN key.
    let mut api = Api::connect(&b, &dir.path().join("a").join("kam-admin.key")).await;
    let account = api.create_account_with_a_one_minute_policy().await;

    // Exactly one holder: B has asked for the lease at every tick for a whole lease period and more,
    // yet A still holds it with the token it took (a change of holder would have grown the token).
    tokio::time::sleep_until((b_started + LEASE + MONITOR_INTERVAL).into()).await;
    let lease = sla_monitor_lease(&db).await.expect("the lease row");
    assert_eq!(
        lease.holder_and_token(),
        held_by_a.holder_and_token(),
        "A keeps the lease"
    );
    assert!(lease.expire_time > Utc::now(), "and renews it: {lease:?}");
    b.never_ran_the_monitor();
    println!(
        "A ({}) holds the sla monitor lease, fencing token {}; B ({}) waits",
        a.holder, held_by_a.fencing_token, b.holder
    );

    let imported_at = Utc::now();
    api.import_requests(&account, imported_at).await;
    // A records what has passed by now: all of EARLY, and STRADDLING's at-risk.
    wait_until(
        "A records the transitions that passed before the kill",
        Duration::from_secs(15),
        || async {
            count_events(&db, EARLY, "SlaAtRisk").await == EVENTS_PER_GROUP
                && count_events(&db, EARLY, "SlaBreached").await == EVENTS_PER_GROUP
                && count_events(&db, STRADDLING, "SlaAtRisk").await == EVENTS_PER_GROUP
        },
    )
    .await;
    assert_eq!(
        count_events(&db, STRADDLING, "SlaBreached").await,
        0,
        "not due yet"
    );
    assert_eq!(count_events(&db, LATE, "SlaAtRisk").await, 0, "not due yet");

    // kill -9 of the holder: no release of its lease, which B must wait out.
    let lease = sla_monitor_lease(&db).await.expect("the lease row");
    assert_eq!(
        lease.holder_and_token(),
        held_by_a.holder_and_token(),
        "A holds the lease at the kill"
    );
    a.kill_9();
    let killed_at = Utc::now();
    let first_after_kill = STRADDLING.due(imported_at).min(LATE.at_risk(imported_at));
    assert!(
        killed_at < first_after_kill,
        "the setup was too slow: the kill ({killed_at}) came after the transitions meant to pass after it \
         ({first_after_kill})"
    );

    let takeover_limit = LEASE + MONITOR_INTERVAL + MARGIN;
    let (held_by_b, takeover) = wait_for_holder(&db, &b, takeover_limit).await;
    println!(
        "B took the lease over {:.2} s after the kill (limit {:.0} s), fencing token {} -> {}",
        takeover.as_secs_f64(),
        takeover_limit.as_secs_f64(),
        held_by_a.fencing_token,
        held_by_b.fencing_token
    );
    assert_eq!(
        held_by_b.fencing_token,
        held_by_a.fencing_token + 1,
        "the token grows once per change of holder"
    );

    // The survivor's monitor records what passes after the kill.
    let everything_due = LATE.due(imported_at) + TimeDelta::seconds(10);
    let wait = (everything_due - Utc::now()).to_std().unwrap_or_default();
    wait_until(
        "B records the transitions that passed after the kill",
        wait,
        || async {
            count_events(&db, STRADDLING, "SlaBreached").await == EVENTS_PER_GROUP
                && count_events(&db, LATE, "SlaAtRisk").await == EVENTS_PER_GROUP
                && count_events(&db, LATE, "SlaBreached").await == EVENTS_PER_GROUP
        },
    )
    .await;
    let after_kill = |group, event_type| count_events_since(&db, group, event_type, killed_at);
    assert_eq!(
        after_kill(STRADDLING, "SlaAtRisk").await,
        0,
        "recorded by A, before the kill"
    );
    for (group, event_type) in [
        (STRADDLING, "SlaBreached"),
        (LATE, "SlaAtRisk"),
        (LATE, "SlaBreached"),
    ] {
        assert_eq!(
            after_kill(group, event_type).await,
            EVENTS_PER_GROUP,
            "{group:?} {event_type}: recorded by B, after the kill"
        );
    }

    // B keeps scanning a few more ticks: nothing changes, and nothing is recorded twice.
    tokio::time::sleep(3 * MONITOR_INTERVAL).await;
    for group in GROUPS {
        for event_type in ["SlaAtRisk", "SlaBreached"] {
            assert_eq!(
                count_events(&db, group, event_type).await,
                EVENTS_PER_GROUP,
                "{group:?} {event_type}: one per request and target"
            );
        }
        assert_eq!(
            count_escalations(&db, group).await,
            REQUESTS_PER_GROUP * ESCALATIONS_PER_REQUEST,
            "{group:?}: every step of the ladder ran once for each target"
        );
    }
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(DISTINCT payload->>'target') FROM outbox_events \
             WHERE event_type IN ('SlaAtRisk', 'SlaBreached')",
            [],
        )
        .await,
        TARGETS,
        "the events name their target, which the check below keys on"
    );
    assert_eq!(
        duplicated_transitions(&db).await,
        0,
        "a transition recorded twice"
    );
    assert_eq!(
        duplicated_escalations(&db).await,
        0,
        "an escalation step run twice"
    );
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM outbox_events WHERE event_type = 'SlaEscalated'",
            []
        )
        .await,
        query_i64(&db, "SELECT count(*) FROM sla_escalations", []).await,
        "one SlaEscalated event per escalation row"
    );
    let lease = sla_monitor_lease(&db).await.expect("the lease row");
    assert_eq!(
        lease.holder_and_token(),
        held_by_b.holder_and_token(),
        "B keeps the lease"
    );

    println!(
        "test ran {:.1} s: kill {:.1} s after the import, B's last transition {:.1} s after the kill",
        test_started.elapsed().as_secs_f64(),
        (killed_at - imported_at).as_seconds_f64(),
        (LATE.due(imported_at) - killed_at).as_seconds_f64()
    );
    drop(b);
    let _ = db.close().await;
}

/// The TOML both replicas read (`--config`): the short lease and the fast monitor.
fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("kam.toml");
    let toml = format!(
        "db_max_connections = 4\n\n[jobs]\nlease_seconds = {}\n\n[sla]\nmonitor_interval_seconds = {}\n",
        LEASE.as_secs(),
        MONITOR_INTERVAL.as_secs()
    );
    std::fs::write(&path, toml).expect("write the config file");
    path
}

/// A `kam-server` process with the lines of its JSON log. Killed (and reaped) when dropped, so that a
/// failed assertion leaves no server behind.
struct Replica {
    name: &'static str,
    child: Child,
    addr: String,
    /// Its holder id in `job_leases`, from its log.
    holder: String,
    log: Arc<Mutex<Vec<Json>>>,
}

impl Replica {
    /// Starts kam-server with `config` on `database_url`, working in `dir` (its ADMIN key file, if it
    /// writes one) and on a free port; returns once it serves.
    fn start(name: &'static str, dir: &Path, config: &Path, database_url: &str) -> Self {
        std::fs::create_dir_all(dir).expect("the replica's directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_kam-server"))
            .current_dir(dir)
            .arg("--config")
            .arg(config)
            .args(["--log-format", "json"])
            .env("KAM_LISTEN_ADDR", "127.0.0.1:0")
            .env("KAM_DATABASE_URL", database_url)
            .env("KAM_ADMIN_KEY_FILE", dir.join("kam-admin.key"))
            .env_remove("KAM_CONFIG")
            .env_remove("KAM_SLA_MONITOR_INTERVAL_SECONDS")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kam-server");
        // Read the log on a thread of its own, all along: the server never blocks on a full pipe.
        let log = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let event = serde_json::from_str(&line).unwrap_or(Json::String(line));
                lines.lock().unwrap().push(event);
            }
        });
        let mut replica = Self {
            name,
            child,
            addr: String::new(),
            holder: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while replica.addr.is_empty() {
            if let Some(exit) = replica.child.try_wait().unwrap() {
                panic!(
                    "replica {name} exited with {exit}: {:#?}",
                    replica.log.lock().unwrap()
                );
            }
            assert!(Instant::now() < deadline, "replica {name} never served");
            std::thread::sleep(Duration::from_millis(20));
            if let Some(served) = replica.logged("serving gRPC and gRPC-Web").first() {
                replica.addr = served["addr"].as_str().expect("the address is logged").to_owned();
            }
        }
        let holder = replica.logged("background jobs hold their leases as this replica");
        replica.holder = holder[0]["holder"]
            .as_str()
            .expect("the holder is logged")
            .to_owned();
        // Holder ids are made per process (leases::holder_id): its pid and a fresh UUID.
        assert!(
            replica
                .holder
                .starts_with(&format!("pid {} ", replica.child.id())),
            "replica {name}'s holder {} names its process",
            replica.holder
        );
        replica
    }

    /// The log events whose message is `message`.
    fn logged(&self, message: &str) -> Vec<Json> {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|event| event["message"] == message)
            .cloned()
            .collect()
    }

    /// Its log never said that it took the SLA monitor's lease (the outbox pruner's may come and go:
    /// it renews it only once an hour).
    fn never_ran_the_monitor(&self) {
        let took = self.logged("this replica now runs the job");
        let monitor: Vec<_> = took
            .iter()
            .filter(|event| event["job"] == SLA_MONITOR_JOB)
            .collect();
        assert!(
            monitor.is_empty(),
            "replica {} ran the monitor: {monitor:#?}",
            self.name
        );
    }

    /// SIGKILL: no drain, no release of its leases, no closing of its connections.
    fn kill_9(&mut self) {
        self.child.kill().expect("kill -9 kam-server");
        self.child.wait().expect("reap kam-server");
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The clients of one replica, calling as the first-start ADMIN.
struct Api {
    accounts: AccountServiceClient<InterceptedService<Channel, Bearer>>,
    service_levels: ServiceLevelServiceClient<InterceptedService<Channel, Bearer>>,
    integration: IntegrationServiceClient<InterceptedService<Channel, Bearer>>,
}

impl Api {
    async fn connect(replica: &Replica, key_file: &Path) -> Self {
        let key = std::fs::read_to_string(key_file).expect("the ADMIN key");
        let bearer = Bearer(format!("Bearer {}", key.trim()).parse().expect("a header value"));
        let channel = Endpoint::from_shared(format!("http://{}", replica.addr))
            .unwrap()
            .connect()
            .await
            .expect("connect to kam-server");
        Self {
            accounts: AccountServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            service_levels: ServiceLevelServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            integration: IntegrationServiceClient::with_interceptor(channel, bearer),
        }
    }

    /// An account with a 24x7 policy of its own: one-minute targets at every priority, at risk at 90 %,
    /// one escalation step on AT_RISK and one on BREACHED. Returns the account's external id.
    async fn create_account_with_a_one_minute_policy(&mut self) -> String {
        const EXTERNAL_ID: &str = "REPLICA-ACCOUNT";
        let account = self
            .accounts
            .create_account(pb::CreateAccountRequest {
                account: Some(pb::Account {
                    external_id: EXTERNAL_ID.to_owned(),
                    display_name: "Replicated account".to_owned(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create the account")
            .into_inner();
        let step = |trigger: Trigger| pb::EscalationStep {
            trigger: trigger as i32,
            notify_assignee: true,
            ..Default::default()
        };
        self.service_levels
            .create_sla_policy(pb::CreateSlaPolicyRequest {
                policy: Some(pb::SlaPolicy {
                    display_name: "One minute".to_owned(),
                    account_id: account.id,
                    calendar_id: ALWAYS_OPEN.to_owned(),
                    targets: [
                        pb::Priority::P1,
                        pb::Priority::P2,
                        pb::Priority::P3,
                        pb::Priority::P4,
                    ]
                    .into_iter()
                    .map(|priority| pb::PriorityTargets {
                        priority: priority as i32,
                        first_response_minutes: TARGET_MINUTES,
                        resolution_minutes: TARGET_MINUTES,
                    })
                    .collect(),
                    warning_percent: WARNING_PERCENT,
                    escalation_steps: vec![step(Trigger::AtRisk), step(Trigger::Breached)],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create the account's policy");
        EXTERNAL_ID.to_owned()
    }

    /// Imports every group's requests for `account`, each opened its group's time before `imported_at`.
    async fn import_requests(&mut self, account: &str, imported_at: DateTime<Utc>) {
        let records = GROUPS
            .into_iter()
            .flat_map(|group| {
                (0..REQUESTS_PER_GROUP).map(move |i| pb::ServiceRequestRecord {
                    external_id: format!("{}-{i}", group.prefix),
                    account_external_id: account.to_owned(),
                    title: format!("{} request {i}", group.prefix),
                    open_time: Some(timestamp(imported_at - group.opened_before_import)),
                    ..Default::default()
                })
            })
            .collect();
        let summary = self
            .integration
            .import_service_requests(tokio_stream::iter([pb::ImportServiceRequestsRequest {
                service_requests: records,
            }]))
            .await
            .expect("import the service requests")
            .into_inner();
        assert_eq!(summary.failed, 0, "{:?}", summary.errors);
        assert_eq!(summary.created, GROUPS.len() as i64 * REQUESTS_PER_GROUP);
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

/// The SLA monitor's row of `job_leases`.
#[derive(Clone, Debug, PartialEq)]
struct LeaseRow {
    holder: String,
    fencing_token: i64,
    expire_time: DateTime<Utc>,
}

impl LeaseRow {
    /// What stays the same while one holder renews the lease (the expiry moves on).
    fn holder_and_token(&self) -> (&str, i64) {
        (&self.holder, self.fencing_token)
    }
}

async fn sla_monitor_lease(db: &DatabaseConnection) -> Option<LeaseRow> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT holder, fencing_token, expire_time FROM job_leases WHERE job = $1",
            [Value::from(SLA_MONITOR_JOB)],
        ))
        .await
        .expect("read job_leases")?;
    Some(LeaseRow {
        holder: row.try_get("", "holder").unwrap(),
        fencing_token: row.try_get("", "fencing_token").unwrap(),
        expire_time: row.try_get("", "expire_time").unwrap(),
    })
}

/// Waits (at most `limit`) until `replica` holds the SLA monitor's lease; returns the lease and how
/// long it took.
async fn wait_for_holder(
    db: &DatabaseConnection,
    replica: &Replica,
    limit: Duration,
) -> (LeaseRow, Duration) {
    let started = Instant::now();
    loop {
        let lease = sla_monitor_lease(db).await;
        if let Some(lease) = lease.as_ref().filter(|lease| lease.holder == replica.holder) {
            return (lease.clone(), started.elapsed());
        }
        assert!(
            started.elapsed() < limit,
            "replica {} did not take the sla monitor's lease within {limit:?}: {lease:?}",
            replica.name
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `done` until it holds; fails after `limit`.
async fn wait_until<F, Fut>(what: &str, limit: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out after {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn query_i64(db: &DatabaseConnection, sql: &str, values: impl IntoIterator<Item = Value>) -> i64 {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index(0).unwrap()
}

/// Events of `event_type` about the requests of `group`.
async fn count_events(db: &DatabaseConnection, group: Group, event_type: &str) -> i64 {
    let long_ago = DateTime::<Utc>::UNIX_EPOCH;
    count_events_since(db, group, event_type, long_ago).await
}

/// Events of `event_type` about the requests of `group`, written after `since`.
async fn count_events_since(
    db: &DatabaseConnection,
    group: Group,
    event_type: &str,
    since: DateTime<Utc>,
) -> i64 {
    query_i64(
        db,
        "SELECT count(*) FROM outbox_events e JOIN service_requests r ON e.resource_id = r.id::text \
         WHERE r.external_id LIKE $1 AND e.event_type = $2 AND e.occurred_at > $3",
        [group.pattern().into(), event_type.into(), since.into()],
    )
    .await
}

async fn count_escalations(db: &DatabaseConnection, group: Group) -> i64 {
    query_i64(
        db,
        "SELECT count(*) FROM sla_escalations x JOIN service_requests r ON x.service_request_id = r.id \
         WHERE r.external_id LIKE $1",
        [group.pattern().into()],
    )
    .await
}

/// (request, event type, target) keys with more than one SlaAtRisk or SlaBreached event. The target is
/// in the payload (the SlaTransition message); an event without one would slip through, so it counts.
async fn duplicated_transitions(db: &DatabaseConnection) -> i64 {
    query_i64(
        db,
        "SELECT count(*) FROM (SELECT resource_id, event_type, payload->>'target' AS target \
         FROM outbox_events WHERE event_type IN ('SlaAtRisk', 'SlaBreached') \
         GROUP BY 1, 2, 3 HAVING count(*) > 1 OR payload->>'target' IS NULL) AS twice",
        [],
    )
    .await
}

/// (request, target, step) keys with more than one escalation row; the policy was applied once.
async fn duplicated_escalations(db: &DatabaseConnection) -> i64 {
    query_i64(
        db,
        "SELECT count(*) FROM (SELECT service_request_id, target, step_index FROM sla_escalations \
         GROUP BY 1, 2, 3 HAVING count(*) > 1) AS twice",
        [],
    )
    .await
}

/// A database of the test's own on the `KAM_TEST_POSTGRES_URL` server, dropped (with whatever still
/// connects to it) when the test ends, also by a panic.
struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    async fn create(admin_url: &str) -> Self {
        let name = format!("kam_test_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(admin_url).await.expect("connect to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the database");
        let _ = admin.close().await;
        let base = admin_url.split('?').next().unwrap_or_default();
        let url = format!(
            "{}/{name}",
            base.rsplit_once('/').expect("a database in the URL").0
        );
        Self {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        // Drop runs outside any async context it could borrow: a thread with a runtime of its own.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let admin = Database::connect(admin_url.as_str()).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}: {dropped:?}", self.name);
        }
    }
}
