//! kamctl retries what is safe to repeat when the server answers UNAVAILABLE: reads, and creates (which
//! always carry a `request_id`, so a create whose answer was lost is not made twice). Other writes are
//! sent once.
//!
//! Between kamctl and a real server sits a relay of `kam.v1.AccountService` that plays a database
//! outage on cue: it refuses a call with UNAVAILABLE (as the server does when its database is gone, with
//! a RetryInfo), or forwards it and then loses the answer. One more test runs kamctl against a server
//! whose own PostgreSQL (a throwaway cluster) restarts.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::BodyExt as _;
use kam_tests::{TestServer, backend_tests};
use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service, http};
use tonic::server::NamedService;
use tonic::transport::{Channel, Server, server::TcpIncoming};
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

/// What the relay does to the next call of a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Answers UNAVAILABLE without passing the call on.
    Refuse,
    /// Passes the call on, lets the server finish it, and answers UNAVAILABLE instead.
    LoseAnswer,
    /// Answers nothing for 3 s, then UNAVAILABLE.
    Stall,
}

/// The relay: `kam.v1.AccountService` passed on to the real server, with faults on cue.
#[derive(Clone)]
struct FlakyAccounts {
    upstream: Channel,
    /// (method, fault), in the order they strike.
    faults: Arc<Mutex<VecDeque<(&'static str, Fault)>>>,
    /// Every method called through the relay, in order.
    calls: Arc<Mutex<Vec<String>>>,
}

impl NamedService for FlakyAccounts {
    const NAME: &'static str = "kam.v1.AccountService";
}

fn unavailable() -> http::Response<Body> {
    Status::with_error_details(
        Code::Unavailable,
        "the database is unavailable; retry",
        tonic_types::ErrorDetails::with_retry_info(Some(Duration::from_millis(100))),
    )
    .into_http()
}

impl Service<http::Request<Body>> for FlakyAccounts {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let method = request
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        self.calls.lock().unwrap().push(method.clone());
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            let position = faults.iter().position(|(m, _)| *m == method);
            position.and_then(|i| faults.remove(i)).map(|(_, fault)| fault)
        };
        let mut upstream = self.upstream.clone();
        Box::pin(async move {
            if fault == Some(Fault::Refuse) {
                return Ok(unavailable());
            }
            if fault == Some(Fault::Stall) {
                tokio::time::sleep(Duration::from_secs(3)).await;
                return Ok(unavailable());
            }
            let ready = std::future::poll_fn(|cx| upstream.poll_ready(cx)).await;
            if let Err(err) = ready {
                return Ok(Status::unavailable(err.to_string()).into_http());
            }
            let response = match upstream.call(request).await {
                Ok(response) => response,
                Err(err) => return Ok(Status::unavailable(err.to_string()).into_http()),
            };
            if fault == Some(Fault::LoseAnswer) {
                // The server has committed and answered; the answer goes nowhere.
                let _ = response.into_body().collect().await;
                return Ok(unavailable());
            }
            Ok(response)
        })
    }
}

/// Starts the relay in front of `server`; returns its address and the relay (to set faults on and
/// read the calls from).
async fn relay(server: &TestServer) -> (String, FlakyAccounts) {
    let flaky = FlakyAccounts {
        upstream: server.anonymous(),
        faults: Arc::default(),
        calls: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let service = flaky.clone();
    tokio::spawn(async move {
        Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpIncoming::from(listener))
            .await
    });
    (addr, flaky)
}

impl FlakyAccounts {
    fn fail(&self, method: &'static str, faults: &[Fault]) {
        let mut queue = self.faults.lock().unwrap();
        queue.extend(faults.iter().map(|fault| (method, *fault)));
    }

    fn calls_of(&self, method: &str) -> usize {
        self.calls.lock().unwrap().iter().filter(|m| *m == method).count()
    }
}

/// Runs kamctl against `addr` as the server's ADMIN.
async fn kamctl_at(server: &TestServer, addr: &str, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kamctl"));
    command
        .arg("--addr")
        .arg(addr)
        .arg("--api-key-file")
        .arg(server.admin_key_path())
        .args(args)
        .env_remove("KAM_API_KEY")
        .env_remove("KAM_ADDR");
    tokio::task::spawn_blocking(move || command.output().expect("kamctl runs"))
        .await
        .expect("the kamctl task")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn accounts_named(server: &TestServer, name: &str) -> i64 {
    server
        .query_i64(
            "SELECT count(*) FROM accounts WHERE display_name = $1",
            [name.into()],
        )
        .await
}

backend_tests! {
    /// A create refused twice, then answered: kamctl waits and retries, says so, and the account is
    /// created once.
    async fn a_create_is_retried_while_the_server_is_unavailable(server: &TestServer) {
        let (addr, relay) = relay(server).await;
        relay.fail("CreateAccount", &[Fault::Refuse, Fault::Refuse]);
        let output = kamctl_at(server, &addr, &["--json", "accounts", "create", "--name", "Retried"]).await;
        let log = stderr(&output);
        assert!(output.status.success(), "{log}");
        assert!(log.contains("retry 1 of 4") && log.contains("retry 2 of 4"), "{log}");
        assert!(log.contains("UNAVAILABLE"), "{log}");
        assert_eq!(relay.calls_of("CreateAccount"), 3);
        assert_eq!(accounts_named(server, "Retried").await, 1);
    }

    /// The server created the account but its answer was lost: the retry carries the same request_id
    /// kamctl made up, so the server returns the account it created rather than a second one.
    async fn a_create_whose_answer_was_lost_is_not_made_twice(server: &TestServer) {
        let (addr, relay) = relay(server).await;
        relay.fail("CreateAccount", &[Fault::LoseAnswer]);
        let output = kamctl_at(server, &addr, &["--json", "accounts", "create", "--name", "Once"]).await;
        let log = stderr(&output);
        assert!(output.status.success(), "{log}");
        assert_eq!(relay.calls_of("CreateAccount"), 2, "{log}");
        assert_eq!(accounts_named(server, "Once").await, 1, "created exactly once");
        let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let id = printed["id"].as_str().unwrap();
        let stored = server
            .query_i64(
                "SELECT count(*) FROM accounts WHERE id = $1",
                [uuid::Uuid::parse_str(id).unwrap().into()],
            )
            .await;
        assert_eq!(stored, 1, "kamctl printed the account the first attempt created");
    }

    /// Reads are retried; an update is sent once and its UNAVAILABLE reported, since whether it was
    /// applied is for the user to check.
    async fn reads_are_retried_and_updates_are_not(server: &TestServer) {
        let account = server.create_account("Read and written").await;
        let (addr, relay) = relay(server).await;
        relay.fail("GetAccount", &[Fault::Refuse]);
        let output = kamctl_at(server, &addr, &["accounts", "get", &account.id]).await;
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(relay.calls_of("GetAccount"), 2);

        relay.fail("UpdateAccount", &[Fault::Refuse]);
        let output = kamctl_at(
            server,
            &addr,
            &["accounts", "update", &account.id, "--region", "EMEA"],
        )
        .await;
        let log = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{log}");
        assert!(log.contains("UNAVAILABLE") && !log.contains("retry 1"), "{log}");
        assert_eq!(relay.calls_of("UpdateAccount"), 1);
    }

    /// `--timeout` bounds the wait: a read that runs out of it is not sent again.
    async fn a_call_that_times_out_is_not_retried(server: &TestServer) {
        let account = server.create_account("Slow").await;
        let (addr, relay) = relay(server).await;
        relay.fail("GetAccount", &[Fault::Stall]);
        let output = kamctl_at(server, &addr, &["--timeout", "0.5", "accounts", "get", &account.id]).await;
        let log = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{log}");
        assert!(!log.contains("retry 1"), "{log}");
        assert_eq!(relay.calls_of("GetAccount"), 1, "{log}");
    }
}

/// The real thing: kamctl creating accounts, four at a time, while the PostgreSQL under the server
/// restarts cleanly and then as after a crash. Every kamctl run succeeds (the calls the restarts broke
/// were retried) and every account is there once. Runs on a throwaway cluster of its own; without the
/// PostgreSQL server binaries it says so and passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kamctl_creates_through_postgres_restarts() {
    use kam_tests::{Backend, scratch_postgres::ScratchPostgres};
    const WRITERS: usize = 4;
    const CREATES: usize = 15;
    let Some(cluster) = ScratchPostgres::create() else {
        return;
    };
    cluster.start(&[], "host all all 127.0.0.1/32 trust");
    cluster.create_database("kam");
    let server = TestServer::start_at(Backend::Postgres, cluster.url("kam", ""), |_| {}).await;
    let addr = server.addr.to_string();
    let key_file = server.admin_key_path();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (addr, key_file) = (addr.clone(), key_file.clone());
            tokio::task::spawn_blocking(move || {
                (0..CREATES)
                    .map(|n| {
                        std::process::Command::new(env!("CARGO_BIN_EXE_kamctl"))
                            .args(["--addr", &addr, "--api-key-file"])
                            .arg(&key_file)
                            .args(["accounts", "create", "--name", &format!("restart {writer}-{n}")])
                            .env_remove("KAM_API_KEY")
                            .env_remove("KAM_ADDR")
                            .output()
                            .expect("kamctl runs")
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let cluster = Arc::new(cluster);
    for (mode, after) in [("fast", 10), ("immediate", 30)] {
        while accounts_like(&server, "restart %").await < after
            && !writers.iter().all(|writer| writer.is_finished())
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let cluster = Arc::clone(&cluster);
        tokio::task::spawn_blocking(move || cluster.restart(mode))
            .await
            .expect("restart PostgreSQL");
    }
    let mut retries = 0;
    for writer in writers {
        for output in writer.await.expect("a writer") {
            let log = stderr(&output);
            assert!(output.status.success(), "a kamctl run failed: {log}");
            retries += log.matches("; retry ").count();
        }
    }
    eprintln!("{retries} retries announced");
    assert_eq!(
        accounts_like(&server, "restart %").await,
        (WRITERS * CREATES) as i64
    );
    let distinct = server
        .query_i64(
            "SELECT count(DISTINCT display_name) FROM accounts WHERE display_name LIKE 'restart %'",
            [],
        )
        .await;
    assert_eq!(distinct, (WRITERS * CREATES) as i64, "no account twice");
    server.stop().await;
}

async fn accounts_like(server: &TestServer, pattern: &str) -> i64 {
    server
        .query_i64(
            "SELECT count(*) FROM accounts WHERE display_name LIKE $1",
            [pattern.into()],
        )
        .await
}
