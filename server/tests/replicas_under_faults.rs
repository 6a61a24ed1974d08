//! Two real `kam-server` processes (two replicas) on one throwaway PostgreSQL cluster, under a mixed load
//! spread over both by the client, while one replica is killed with `kill -9` (and started again) and
//! PostgreSQL restarts. The test proves that:
//!
//! - every write a replica acknowledged is in the database (creates with `request_id`, updates with
//!   etags, status changes, imported service requests), and none was applied twice, although the
//!   clients retried every call the faults broke, on the other replica;
//! - no SLA transition (nor escalation step) was recorded more than once, while the SLA monitor's lease
//!   moved from the killed replica to the survivor and PostgreSQL went away under it;
//! - a `WatchEvents` consumer that resumes from its cursor received every event of the outbox exactly
//!   once, and `ListChanges` followers hold every account and service request as the database does;
//! - the faults did break calls (else the test proved nothing), and every failure was one a client
//!   retries (UNAVAILABLE, the transport's, ABORTED for contention): no other error answered any call,
//!   and no call failed after its retries.
//!
//! The load and the checks are `tests/src/fault_load.rs`, shared with the full fault run over HAProxy
//! and a failover (`tests/benches/fault_run.rs`, docs/deployment.md). This test lives in `kam-server`'s
//! package because it needs the real binary, which cargo builds fresh for this package's tests only
//! (`CARGO_BIN_EXE_kam-server`): `kam-tests` depends on the server's library, not its binary, and
//! `kam-server` cannot depend on `kam-tests`. So the shared module, and the throwaway cluster
//! (`tests/src/scratch_postgres.rs`), are compiled in here with `#[path]`, the same source as in the
//! `kam-tests` library.
//!
//! Without the PostgreSQL server binaries (`initdb`, `pg_ctl`) the test says so and passes; with
//! `KAM_TEST_SCRATCH_POSTGRES=required` (CI) it fails instead.

// The bench uses what this test does not.
#[allow(dead_code)]
#[path = "../../tests/src/fault_load.rs"]
mod fault_load;
#[allow(dead_code)]
#[path = "../../tests/src/scratch_postgres.rs"]
mod scratch_postgres;

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use fault_load::{Credential, FaultLoad, LoadShape, RunningLoad, Targets};
use scratch_postgres::ScratchPostgres;

/// `jobs.lease_seconds`: short, so that the survivor takes the SLA monitor over within the run.
const LEASE_SECONDS: u64 = 3;
/// When, after the load started, each fault is made.
const KILL_AFTER: Duration = Duration::from_secs(4);
const RESTART_REPLICA_AFTER: Duration = Duration::from_secs(10);
const RESTART_POSTGRES_AFTER: Duration = Duration::from_secs(16);
const LOAD_ENDS_AFTER: Duration = Duration::from_secs(22);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_lose_and_double_nothing_through_a_kill_9_and_a_postgres_restart() {
    let Some(cluster) = ScratchPostgres::create() else {
        return;
    };
    let test_started = Instant::now();
    cluster.start(&[], "host all all 127.0.0.1/32 trust");
    cluster.create_database("kam");
    let database_url = cluster.url("kam", "");
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());

    // A first (it migrates and writes the ADMIN key), then B; A is the monitor's first holder.
    let mut a = Replica::start("A", free_port(), dir.path(), &config, &database_url, true);
    let b = Replica::start("B", free_port(), dir.path(), &config, &database_url, false);
    let key = std::fs::read_to_string(dir.path().join("kam-admin.key")).expect("the ADMIN key");
    let targets = Targets::new(&[a.target(), b.target()], Credential::bearer(&key));
    let load = FaultLoad::prepare(targets, LoadShape::SMALL).await.start();

    at(&load, KILL_AFTER).await;
    load.fault("kill -9 replica A");
    a.kill_9();
    at(&load, RESTART_REPLICA_AFTER).await;
    load.fault("start replica A again");
    let a = tokio::task::spawn_blocking(move || {
        let mut a = a;
        a.start_again(false);
        a
    })
    .await
    .expect("start A again");
    at(&load, RESTART_POSTGRES_AFTER).await;
    load.fault("restart PostgreSQL (fast)");
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.restart("fast");
        cluster
    })
    .await
    .expect("restart PostgreSQL");
    at(&load, LOAD_ENDS_AFTER).await;

    let outcome = load.finish(&database_url).await;
    println!("{}", outcome.report());
    println!(
        "failed attempts by call and code: {:?}",
        outcome.failures_by_kind()
    );
    println!(
        "failed attempts other than UNAVAILABLE: {:#?}",
        outcome.other_failures()
    );
    println!("test ran {:.1} s", test_started.elapsed().as_secs_f64());

    let checks = &outcome.checks;
    assert!(
        outcome.unexpected.is_empty(),
        "unexpected answers: {:#?}",
        outcome.unexpected
    );
    assert!(
        checks.lost.is_empty(),
        "acknowledged writes lost: {:#?}",
        checks.lost
    );
    assert!(
        checks.applied_twice.is_empty(),
        "applied twice: {:#?}",
        checks.applied_twice
    );
    assert_eq!(
        checks.sla_recorded_twice, 0,
        "SLA transitions recorded more than once"
    );
    assert!(
        checks.sla_transitions > 0,
        "the SLA monitor recorded nothing: the test proved nothing of it"
    );
    assert_eq!(
        (checks.events_missed, checks.events_twice),
        (0, 0),
        "WatchEvents: events missed, received twice"
    );
    assert_eq!(checks.changes_stale, 0, "resources ListChanges left stale");
    assert!(
        outcome.lagging.is_empty(),
        "did not catch up with the database: {:?}",
        outcome.lagging
    );
    assert_eq!(outcome.gave_up(), 0, "calls failed after their retries");
    for fault in ["kill -9 replica A", "restart PostgreSQL (fast)"] {
        let figures = outcome
            .faults
            .iter()
            .find(|f| f.fault == fault)
            .expect("its figures");
        assert!(
            figures.failed_attempts > 0,
            "{fault} broke no call: the test proved nothing of it"
        );
    }
    assert!(checks.passed());
    drop((a, b));
    drop(cluster);
}

/// Sleeps until `offset` after the load started.
async fn at(load: &RunningLoad, offset: Duration) {
    tokio::time::sleep_until((load.started() + offset).into()).await;
}

/// The TOML both replicas read: a small pool, no rate limit (one principal drives all the load), the
/// short lease and a monitor that scans every second.
fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("kam.toml");
    let toml = format!(
        "db_max_connections = 4\n\n[rate_limit]\nrequests_per_second = 0\n\n\
         [jobs]\nlease_seconds = {LEASE_SECONDS}\n\n[sla]\nmonitor_interval_seconds = 1\n"
    );
    std::fs::write(&path, toml).expect("write the config file");
    path
}

/// A port nobody listens on now; a replica keeps its port across a restart.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

/// A `kam-server` process; killed (and reaped) when dropped, so that a failed assertion leaves no server
/// behind.
struct Replica {
    name: &'static str,
    port: u16,
    dir: PathBuf,
    config: PathBuf,
    database_url: String,
    child: Option<Child>,
}

impl Replica {
    /// Starts kam-server on `port`, working in `dir` (where the first start writes the ADMIN key);
    /// returns once it serves.
    fn start(
        name: &'static str,
        port: u16,
        dir: &Path,
        config: &Path,
        database_url: &str,
        migrate: bool,
    ) -> Self {
        let mut replica = Self {
            name,
            port,
            dir: dir.to_owned(),
            config: config.to_owned(),
            database_url: database_url.to_owned(),
            child: None,
        };
        replica.start_again(migrate);
        replica
    }

    fn target(&self) -> (String, String) {
        (self.name.to_owned(), format!("http://127.0.0.1:{}", self.port))
    }

    /// Starts the process (again, after [`Replica::kill_9`]) and waits until it logs that it serves.
    fn start_again(&mut self, migrate: bool) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kam-server"));
        command
            .current_dir(&self.dir)
            .arg("--config")
            .arg(&self.config)
            .args(["--log-format", "json"])
            .env("KAM_LISTEN_ADDR", format!("127.0.0.1:{}", self.port))
            .env("KAM_DATABASE_URL", &self.database_url)
            .env("KAM_ADMIN_KEY_FILE", self.dir.join("kam-admin.key"))
            .env_remove("KAM_CONFIG")
            .env_remove("KAM_SLA_MONITOR_INTERVAL_SECONDS")
            .env_remove("KAM_NO_MIGRATE")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if !migrate {
            command.arg("--no-migrate");
        }
        let mut child = command.spawn().expect("start kam-server");
        let serving = Arc::new(AtomicBool::new(false));
        // Read the log on a thread of its own, all along: the server never blocks on a full pipe.
        let stdout = child.stdout.take().expect("piped stdout");
        let seen = Arc::clone(&serving);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("serving gRPC and gRPC-Web") {
                    seen.store(true, Ordering::SeqCst);
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        while !serving.load(Ordering::SeqCst) {
            if let Some(exit) = child.try_wait().expect("poll kam-server") {
                panic!("replica {} exited with {exit}", self.name);
            }
            assert!(Instant::now() < deadline, "replica {} never served", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    /// SIGKILL: no drain, no release of its lease, no closing of its connections.
    fn kill_9(&mut self) {
        let mut child = self.child.take().expect("the replica runs");
        child.kill().expect("kill -9 kam-server");
        child.wait().expect("reap kam-server");
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
