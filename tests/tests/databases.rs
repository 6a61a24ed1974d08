//! Failing and guarded databases: PostgreSQL restarting under load and under a full pool, PostgreSQL over
//! TLS, and a SQLite writer outwaiting the busy timeout.
//!
//! These tests put a PostgreSQL server through what the shared one on `KAM_TEST_POSTGRES_URL` must not
//! be put through (restarts, `ssl = on`), so each makes a throwaway cluster of its own
//! ([`ScratchPostgres`]); without the PostgreSQL server binaries they say so and pass.

use std::{
    path::Path,
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use kam_tests::{Backend, TestServer, pb, scratch_postgres::ScratchPostgres};
use sea_orm::{ConnectionTrait, Database};
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Writers creating accounts at once, and accounts each creates.
const WRITERS: usize = 4;
const CREATES_PER_WRITER: usize = 30;

/// How often one call is retried on UNAVAILABLE before the test gives up on it.
const MAX_RETRIES: u32 = 60;

/// What a writer saw: the accounts the server acknowledged, and every error it answered.
#[derive(Default)]
struct Seen {
    acknowledged: Vec<(String, String)>,
    errors: Vec<Status>,
}

/// Calls `call` until it succeeds, retrying on UNAVAILABLE with a capped exponential backoff, as the
/// clients do; records every error.
async fn with_retries<T, F, Fut>(seen: &Mutex<Seen>, what: &str, mut call: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Status>>,
{
    for retry in 0..=MAX_RETRIES {
        match call().await {
            Ok(value) => return value,
            Err(status) => {
                let code = status.code();
                seen.lock().unwrap().errors.push(status);
                if code != Code::Unavailable {
                    // Not retryable: the test reports it at the end, with everything else seen.
                    break;
                }
                let delay = Duration::from_millis(50 << retry.min(4));
                tokio::time::sleep(delay).await;
            }
        }
    }
    let errors: Vec<_> = seen
        .lock()
        .unwrap()
        .errors
        .iter()
        .map(|s| format!("{:?}: {}", s.code(), s.message()))
        .collect();
    panic!("{what} never succeeded; errors seen: {errors:#?}");
}

/// A client writes with retries while PostgreSQL restarts, first cleanly (every session is terminated
/// with 57P01), then as after a crash (connections just break). Every error the server answers is
/// UNAVAILABLE with a retry delay, never INTERNAL; afterwards every acknowledged create is there exactly
/// once, and no create is there twice (each carries a `request_id`, so a retry of a create whose answer
/// was lost returns the first result).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_under_load_answers_unavailable_and_loses_or_doubles_nothing() {
    let Some(cluster) = ScratchPostgres::create() else {
        return;
    };
    cluster.start(&[], "host all all 127.0.0.1/32 trust");
    cluster.create_database("kam");
    let server = TestServer::start_at(Backend::Postgres, cluster.url("kam", ""), |_| {}).await;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let progress = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let accounts = server.accounts();
            let seen = Arc::clone(&seen);
            let progress = Arc::clone(&progress);
            tokio::spawn(async move {
                for n in 0..CREATES_PER_WRITER {
                    let name = format!("writer {writer} account {n}");
                    let request = pb::CreateAccountRequest {
                        account: Some(pb::Account {
                            display_name: name.clone(),
                            ..Default::default()
                        }),
                        request_id: uuid::Uuid::now_v7().to_string(),
                    };
                    let created = with_retries(&seen, &name, || {
                        let mut accounts = accounts.clone();
                        let request = request.clone();
                        async move { accounts.create_account(request).await }
                    })
                    .await
                    .into_inner();
                    seen.lock()
                        .unwrap()
                        .acknowledged
                        .push((name.clone(), created.id.clone()));
                    // A read after each write: reads must fail the same way.
                    let id = created.id.clone();
                    with_retries(&seen, &name, || {
                        let mut accounts = accounts.clone();
                        let id = id.clone();
                        async move { accounts.get_account(pb::GetAccountRequest { id }).await }
                    })
                    .await;
                    progress.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect();

    let total = WRITERS * CREATES_PER_WRITER;
    let cluster = Arc::new(cluster);
    for (mode, after) in [("fast", total / 4), ("immediate", total / 2)] {
        let deadline = Instant::now() + Duration::from_secs(120);
        while progress.load(Ordering::SeqCst) < after {
            if writers.iter().any(|writer| writer.is_finished()) {
                break; // a writer failed: joining it below reports why
            }
            assert!(
                Instant::now() < deadline,
                "the writers stalled before the {mode} restart"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let cluster = Arc::clone(&cluster);
        tokio::task::spawn_blocking(move || cluster.restart(mode))
            .await
            .expect("restart PostgreSQL");
    }
    for writer in writers {
        tokio::time::timeout(Duration::from_secs(300), writer)
            .await
            .expect("the writers finish")
            .expect("a writer panicked");
    }

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let wrong: Vec<_> = seen
        .errors
        .iter()
        .filter(|status| {
            status.code() != Code::Unavailable || status.get_error_details().retry_info().is_none()
        })
        .map(|status| format!("{:?}: {}", status.code(), status.message()))
        .collect();
    assert!(
        wrong.is_empty(),
        "every error is UNAVAILABLE with a retry delay; also seen: {wrong:#?}"
    );
    eprintln!(
        "{} UNAVAILABLE answers over two restarts, all retried",
        seen.errors.len()
    );
    assert!(
        !seen.errors.is_empty(),
        "the restarts broke no call: the test proved nothing"
    );
    assert_eq!(seen.acknowledged.len(), total);
    let stored = server
        .query_i64(
            "SELECT count(*) FROM accounts WHERE display_name LIKE 'writer %'",
            [],
        )
        .await;
    assert_eq!(stored, total as i64, "no create is lost or doubled");
    for (name, id) in &seen.acknowledged {
        let id = uuid::Uuid::parse_str(id).expect("an account id is a UUID");
        let by_id = server
            .query_i64("SELECT count(*) FROM accounts WHERE id = $1", [id.into()])
            .await;
        let by_name = server
            .query_i64(
                "SELECT count(*) FROM accounts WHERE display_name = $1",
                [name.as_str().into()],
            )
            .await;
        assert_eq!((by_id, by_name), (1, 1), "{name} is there exactly once");
    }
    server.stop().await;
}

/// Sessions the server holds open on the scratch cluster's `kam` database.
async fn server_sessions(server: &TestServer) -> i64 {
    server
        .query_i64(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'kam' AND pid <> pg_backend_pid()",
            [],
        )
        .await
}

/// After a PostgreSQL restart every connection the pool held is dead. The first call that meets one
/// answers UNAVAILABLE; from then on the pool tests the connections it opened before that failure
/// before handing them out, so no second call fails. (Without that, each dead connection failed a
/// call of its own: as many UNAVAILABLE answers as the pool had connections.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_restart_one_call_meets_a_dead_connection_not_one_per_pooled_connection() {
    const POOL: u32 = 8;
    let Some(cluster) = ScratchPostgres::create() else {
        return;
    };
    cluster.start(&[], "host all all 127.0.0.1/32 trust");
    cluster.create_database("kam");
    let server = TestServer::start_at(Backend::Postgres, cluster.url("kam", ""), |config| {
        config.db_max_connections = POOL;
    })
    .await;
    let account = server.create_account("Pooled").await;
    let get = || {
        let mut accounts = server.accounts();
        let id = account.id.clone();
        async move { accounts.get_account(pb::GetAccountRequest { id }).await }
    };

    // Fill the pool: bursts of reads at once until the server holds most of its connections.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server_sessions(&server).await < i64::from(POOL) - 2 {
        assert!(Instant::now() < deadline, "the pool never grew");
        let burst: Vec<_> = (0..4 * POOL).map(|_| tokio::spawn(get())).collect();
        for call in burst {
            call.await
                .expect("a read task")
                .expect("a read before the restart");
        }
    }
    let pooled = server_sessions(&server).await;

    let _cluster = tokio::task::spawn_blocking(move || {
        cluster.restart("fast");
        cluster
    })
    .await
    .expect("restart PostgreSQL");

    let mut failed = Vec::new();
    for _ in 0..3 * POOL {
        if let Err(status) = get().await {
            failed.push(format!("{:?}: {}", status.code(), status.message()));
        }
    }
    assert!(
        failed.iter().all(|status| status.starts_with("Unavailable")),
        "only UNAVAILABLE: {failed:#?}"
    );
    assert!(
        failed.len() <= 1,
        "{} of {} reads after the restart failed with {pooled} pooled connections: {failed:#?}",
        failed.len(),
        3 * POOL
    );
    server.stop().await;
}

/// Writes a CA, a certificate for 127.0.0.1/localhost signed by it, and a second CA that signed nothing,
/// with the `openssl` command. `None` (after saying why) when it is not installed.
fn make_certificates(dir: &Path) -> Option<()> {
    if Command::new("openssl").arg("version").output().is_err() {
        return kam_tests::scratch_postgres::skip_or_fail("the openssl command is not installed");
    }
    // Arguments are split at spaces; none of them holds one.
    let openssl = |args: &str| {
        let output = Command::new("openssl")
            .args(args.split_whitespace())
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(
            output.status.success(),
            "openssl {args}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    const EC_KEY: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    for ca in ["ca", "other-ca"] {
        openssl(&format!(
            "req -x509 {EC_KEY} -keyout {ca}.key -out {ca}.pem -days 2 -subj /CN=kam-test-{ca} \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        ));
    }
    openssl(&format!(
        "req -new {EC_KEY} -keyout server.key -out server.csr -subj /CN=localhost"
    ));
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write the extensions");
    openssl(
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
         -extfile server.ext",
    );
    // PostgreSQL refuses a key others may read.
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir.join("server.key"), std::fs::Permissions::from_mode(0o600))
        .expect("chmod the key");
    Some(())
}

/// Production databases require TLS. A PostgreSQL server that accepts TCP connections over TLS only:
/// `sslmode=verify-full` with the CA that signed its certificate connects and serves calls,
/// `sslmode=require` encrypts without checking, verify-full refuses a certificate that does not name the
/// host (verify-ca takes it), and verify-full with another CA is refused when the server starts, with an
/// error that says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls_verifies_the_servers_certificate() {
    let Some(cluster) = ScratchPostgres::create() else {
        return;
    };
    let dir = cluster.dir().to_owned();
    if make_certificates(&dir).is_none() {
        return;
    }
    cluster.start(
        &[
            "ssl = on".to_owned(),
            format!("ssl_cert_file = '{}'", dir.join("server.crt").display()),
            format!("ssl_key_file = '{}'", dir.join("server.key").display()),
            // Also on an address its certificate does not name, for the host name check.
            "listen_addresses = '127.0.0.1,127.0.0.2'".to_owned(),
        ],
        "hostssl all all 127.0.0.0/8 trust",
    );
    cluster.create_database("kam");

    // Without TLS the server lets nobody in, so what follows is over TLS.
    let plain = Database::connect(cluster.url("kam", "sslmode=disable")).await;
    assert!(plain.is_err(), "a connection without TLS is refused");

    let verified = cluster.url(
        "kam",
        &format!("sslmode=verify-full&sslrootcert={}", dir.join("ca.pem").display()),
    );
    let server = TestServer::start_at(Backend::Postgres, verified.clone(), |_| {}).await;
    let account = server.create_account("Reached over TLS").await;
    let found = server
        .accounts()
        .get_account(pb::GetAccountRequest {
            id: account.id.clone(),
        })
        .await
        .expect("read it back")
        .into_inner();
    assert_eq!(found.display_name, "Reached over TLS");
    let db = Database::connect(verified.as_str()).await.expect("connect");
    let encrypted = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) FILTER (WHERE ssl) AS tls, count(*) AS every \
             FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = 'kam'",
        ))
        .await
        .expect("query pg_stat_ssl")
        .expect("a row");
    let (tls, every): (i64, i64) = (
        encrypted.try_get_by_index(0).unwrap(),
        encrypted.try_get_by_index(1).unwrap(),
    );
    assert!(every > 1 && tls == every, "{tls} of {every} sessions use TLS");
    let _ = db.close().await;
    server.stop().await;

    let unverified = Database::connect(cluster.url("kam", "sslmode=require"))
        .await
        .expect("sslmode=require connects without checking the certificate");
    let _ = unverified.close().await;

    // verify-full also checks that the certificate names the host connected to; verify-ca does not.
    let other_host = |mode: &str| {
        format!(
            "postgres://postgres@127.0.0.2:{}/kam?sslmode={mode}&sslrootcert={}",
            cluster.port(),
            dir.join("ca.pem").display()
        )
    };
    let misnamed = Database::connect(other_host("verify-full"))
        .await
        .expect_err("the certificate does not name 127.0.0.2")
        .to_string();
    assert!(misnamed.contains("not valid for name"), "{misnamed}");
    let ca_only = Database::connect(other_host("verify-ca"))
        .await
        .expect("verify-ca checks the CA, not the name");
    let _ = ca_only.close().await;

    let wrong_ca = cluster.url(
        "kam",
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            dir.join("other-ca.pem").display()
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = kam_server::Config {
        listen_addr: listener.local_addr().unwrap(),
        database_url: wrong_ca,
        admin_key_file: Some(dir.join("kam-admin.key")),
        ..kam_server::Config::default()
    };
    let started = tokio::time::timeout(
        Duration::from_secs(30),
        kam_server::run(config, listener, std::future::pending()),
    )
    .await
    .expect("a certificate the CA did not sign fails the start at once");
    let error = started.expect_err("the server must not start").to_string();
    assert!(
        error.contains("invalid peer certificate"),
        "the error says the certificate was refused: {error}"
    );
}

/// SQLite has one writer: a write that waits for the lock longer than the busy timeout (10 s) is
/// answered UNAVAILABLE with a retry delay, like a PostgreSQL pool that found no connection in time,
/// not INTERNAL; once the lock is free the retry succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_write_that_outwaits_the_busy_timeout_is_unavailable() {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait as _};
    let server = TestServer::start(Backend::Sqlite)
        .await
        .expect("SQLite always runs");
    let db = server.db().await;
    let holder = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .expect("take the write lock");
    let request = pb::CreateAccountRequest {
        account: Some(pb::Account {
            display_name: "Waited".to_owned(),
            ..Default::default()
        }),
        request_id: uuid::Uuid::now_v7().to_string(),
    };
    let status = server
        .accounts()
        .create_account(request.clone())
        .await
        .expect_err("the lock is held past the busy timeout");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.get_error_details().retry_info().is_some(), "{status:?}");
    holder.rollback().await.expect("release the lock");
    let _ = db.close().await;
    server
        .accounts()
        .create_account(request)
        .await
        .expect("the retry succeeds");
    server.stop().await;
}
