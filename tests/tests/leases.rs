//! Background jobs take turns through leases (`job_leases`): one holder at a time, handed on when the
//! holder lets go or stops renewing, with a fencing token that grows at each change of holder; and the
//! server's SLA monitor waits for a lease another replica holds, then takes it over once it expires.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use kam_server::{
    Config, SLA_MONITOR_JOB,
    platform::db::{Db, now},
    platform::leases::{FencingToken, Lease},
    service_levels::monitor::Monitor,
};
use kam_tests::{Backend, TestServer, backend_tests};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

async fn connect(server: &TestServer) -> Db {
    Db::connect(&Config {
        database_url: server.database_url().to_owned(),
        db_max_connections: 2,
        ..Config::default()
    })
    .await
    .expect("connect to the server's database")
}

fn seconds(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

const PERIOD: Duration = Duration::from_secs(10);

backend_tests! {
    async fn a_stopping_monitor_lets_its_lease_go_at_once(server: &TestServer) {
        let db = connect(server).await;
        let job = "stopping_monitor";
        let monitor = Monitor::start(db.clone(), Duration::from_millis(100), 10, Lease::new(job, "this replica", PERIOD));
        // Its first tick is at once: it takes the free lease.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while lease_row(server, job).await.is_none() {
            assert!(std::time::Instant::now() < deadline, "the monitor never took its lease");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let next = Lease::new(job, "the next replica", PERIOD);
        assert_eq!(next.acquire(&db).await.unwrap(), None, "held by the running monitor");

        monitor.stop().await;
        assert_eq!(
            next.acquire(&db).await.unwrap(),
            Some(FencingToken(2)),
            "released on stop: the next replica takes it at once, not a lease period later"
        );
    }

    async fn a_lease_has_one_holder_until_it_lapses_and_the_token_grows_when_it_changes_hands(server: &TestServer) {
        let db = connect(server).await;
        let first = Lease::new("test_job", "replica one", PERIOD);
        let second = Lease::new("test_job", "replica two", PERIOD);
        let t0 = now();

        assert_eq!(first.acquire_at(&db, t0).await.unwrap(), Some(FencingToken(1)));
        assert_eq!(second.acquire_at(&db, t0).await.unwrap(), None, "held by the first");
        // Renewing keeps the token and moves the expiry on.
        assert_eq!(first.acquire_at(&db, t0 + seconds(5)).await.unwrap(), Some(FencingToken(1)));
        assert_eq!(
            second.acquire_at(&db, t0 + seconds(12)).await.unwrap(),
            None,
            "the renewal holds it until t0 + 15 s"
        );
        // The first stops renewing (it died): once the lease has lapsed the second takes it.
        assert_eq!(second.acquire_at(&db, t0 + seconds(16)).await.unwrap(), Some(FencingToken(2)));
        assert_eq!(
            first.acquire_at(&db, t0 + seconds(17)).await.unwrap(),
            None,
            "a holder back from a pause finds the lease gone"
        );
        // Releasing someone else's lease changes nothing; the holder's own release frees it at once.
        first.release(&db).await.unwrap();
        assert_eq!(first.acquire_at(&db, now()).await.unwrap(), None);
        second.release(&db).await.unwrap();
        assert_eq!(first.acquire_at(&db, now()).await.unwrap(), Some(FencingToken(3)));

        // Other jobs have leases of their own.
        let other = Lease::new("another_job", "replica two", PERIOD);
        assert_eq!(other.acquire_at(&db, now()).await.unwrap(), Some(FencingToken(1)));
    }

    async fn two_replicas_asking_at_once_never_both_hold_the_lease(server: &TestServer) {
        let db = connect(server).await;
        let at = now();
        for round in 0..20 {
            let job: &'static str = Box::leak(format!("race_{round}").into_boxed_str());
            let (first, second) = (Lease::new(job, "a", PERIOD), Lease::new(job, "b", PERIOD));
            let (a, b) = tokio::join!(first.acquire_at(&db, at), second.acquire_at(&db, at));
            let holders = [a.unwrap(), b.unwrap()].into_iter().flatten().count();
            assert_eq!(holders, 1, "round {round}");
        }
    }
}

/// Sets the monitor's lease as if another replica had just taken it and then died: held by `holder`
/// until `until`, with a new token.
async fn taken_by_a_dead_replica(server: &TestServer, holder: &str, until: DateTime<Utc>) {
    let db = server.db().await;
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE job_leases SET holder = $1, expire_time = $2, fencing_token = fencing_token + 1 WHERE job = $3"
        }
        _ => {
            "UPDATE job_leases SET holder = ?1, expire_time = ?2, fencing_token = fencing_token + 1 WHERE job = ?3"
        }
    };
    let values: [Value; 3] = [holder.into(), until.into(), SLA_MONITOR_JOB.into()];
    let done = db
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .expect("take the lease over");
    assert_eq!(done.rows_affected(), 1, "the monitor's lease row exists");
}

/// The holder and fencing token of `job`'s lease, if it was ever taken.
async fn lease_row(server: &TestServer, job: &str) -> Option<(String, i64)> {
    let db = server.db().await;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT holder, fencing_token FROM job_leases WHERE job = '{job}'"),
        ))
        .await
        .expect("read the lease")?;
    Some((row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap()))
}

async fn monitor_lease(server: &TestServer) -> (String, i64) {
    lease_row(server, SLA_MONITOR_JOB)
        .await
        .expect("the monitor's lease row")
}

/// Waits until the monitor's lease satisfies `done`, for at most `within`.
async fn lease_until(
    server: &TestServer,
    within: Duration,
    done: impl Fn(&(String, i64)) -> bool,
) -> (String, i64) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let lease = monitor_lease(server).await;
        if done(&lease) {
            return lease;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lease is still {lease:?} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn monitor_takeover(backend: Backend) {
    let lease_seconds = 3;
    let Some(server) = TestServer::start_with(backend, |config| {
        config.sla.monitor_interval_seconds = 1;
        config.jobs.lease_seconds = lease_seconds;
    })
    .await
    else {
        return;
    };
    // The server takes the free lease at its first scan.
    let (ours, token) = lease_until(&server, Duration::from_secs(10), |_| true).await;

    // Another replica takes it and dies at once: this server waits out the lease, then takes it back
    // with a new token, within one lease period and one scan interval.
    let dead_until = now() + seconds(lease_seconds as i64);
    taken_by_a_dead_replica(&server, "a replica that died", dead_until).await;
    let waited = std::time::Instant::now();
    let (holder, taken_token) =
        lease_until(&server, Duration::from_secs(lease_seconds + 3), |(holder, _)| {
            holder != "a replica that died"
        })
        .await;
    assert_eq!(holder, ours, "the same server took it back");
    assert_eq!(
        taken_token,
        token + 2,
        "one new token for the dead replica, one for the takeover"
    );
    assert!(
        waited.elapsed() >= Duration::from_millis(1500),
        "the lease was taken back only after it expired ({:?})",
        waited.elapsed()
    );

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_monitor_takes_over_a_lease_whose_holder_died() {
    monitor_takeover(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_monitor_takes_over_a_lease_whose_holder_died() {
    monitor_takeover(Backend::Postgres).await;
}
