//! The per-principal request budget (`rate_limit`) and the failed-authentication budget
//! (`failed_auth_limit`) hold across the replicas serving one database: each of N live replicas grants
//! 1/N of each (the rate divided by N, the burst divided by N rounded up), N counted through
//! `server_replicas`, which every replica refreshes each `replicas.heartbeat_seconds`.
//!
//! - Two replicas on one database: a principal gets half its burst from each, so the two together
//!   grant it once; a client address gets half its failed authentications from each. After one replica
//!   stops, the other grants the whole burst again.
//! - A replica that dies (stops refreshing its row; here a row the test keeps fresh, then stops) is no
//!   longer counted once the TTL (three heartbeats) has passed since its last refresh.
//!
//! The budgets have a slow refill (1 a second for the fleet) so that a quick run of calls shows the
//! burst; each count allows for what the refill adds while it runs. Nothing sleeps for a fixed time to
//! let a replica notice a change: a replica counts the others before it refreshes its own row, so once
//! the test has seen that row refreshed twice after a change, that replica's count reflects it.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::{Duration, Instant},
};

use chrono::{DateTime, TimeDelta, Utc};
use kam_server::{Config, config::RateLimit};
use kam_tests::{Backend, Bearer, TestServer, pb, pb::identity_service_client::IdentityServiceClient};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};
use tokio::task::JoinHandle;
use tonic::{
    Code, Status,
    transport::{Channel, Endpoint},
};

/// The whole fleet's budget per principal: 40 calls at once, one more a second.
const BURST: u32 = 40;
const RATE: u32 = 1;
/// The whole fleet's failed authentications per client address: 10 at once, one more a second.
const FAILED_BURST: u32 = 10;
const FAILED_RATE: u32 = 1;
/// `replicas.heartbeat_seconds`: short, so that the replicas notice each other quickly.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// A replica is counted this long after its last heartbeat (three heartbeats).
const TTL: Duration = Duration::from_secs(3);
/// How long anything the test waits for may take on a busy machine before the test gives up.
const PATIENCE: Duration = Duration::from_secs(30);

/// Failed authentications come from this address, so that the principals' own first lookups (from
/// 127.0.0.1) never meet an exhausted failure budget.
const GUESSER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn budgets(config: &mut Config) {
    config.rate_limit = RateLimit {
        requests_per_second: RATE,
        burst: BURST,
    };
    config.failed_auth_limit = RateLimit {
        requests_per_second: FAILED_RATE,
        burst: FAILED_BURST,
    };
    config.replicas.heartbeat_seconds = HEARTBEAT.as_secs();
}

/// Two replicas on one database grant a principal its burst once between them, and a client address
/// its failed authentications once; when one stops, the other grants the whole budget again.
async fn two_replicas_grant_each_budget_once_between_them(backend: Backend) {
    let Some(first) = TestServer::start_with(backend, budgets).await else {
        return;
    };
    let db = first.db().await;
    let [(first_id, _)] = <[_; 1]>::try_from(replicas(&db).await).expect("the first replica's row alone");
    // The principals, created while the first replica is alone (the ADMIN's own budget is split too).
    let spread = principal(&first).await;
    let after_the_second_stops = principal(&first).await;

    let second = TestServer::start_beside(&first, budgets).await;
    assert_eq!(
        replicas(&db).await.len(),
        2,
        "a replica registers before it serves"
    );
    until_counted(&db, &first_id).await;

    // Half the burst from each (what a balancer spreading the principal's calls evenly would give),
    // the whole burst from both together.
    let from_second = served_until_exhausted(&second.anonymous(), &spread).await;
    assert_share(from_second, BURST.div_ceil(2), RATE, 2, "the second replica");
    let from_first = served_until_exhausted(&first.anonymous(), &spread).await;
    assert_share(from_first, BURST.div_ceil(2), RATE, 2, "the first replica");
    let together = from_first.0 + from_second.0;
    let refilled = refill(RATE, 2, from_first.1) + refill(RATE, 2, from_second.1);
    assert!(
        together <= BURST + refilled,
        "the two replicas together served {together}: the burst of {BURST}, plus up to {refilled} refilled"
    );

    // The same for failed authentications from one address.
    let guessing_first = failures_until_exhausted(&from_address(first.addr, GUESSER)).await;
    assert_share(
        guessing_first,
        FAILED_BURST.div_ceil(2),
        FAILED_RATE,
        2,
        "the first replica's failures",
    );
    let guessing_second = failures_until_exhausted(&from_address(second.addr, GUESSER)).await;
    assert_share(
        guessing_second,
        FAILED_BURST.div_ceil(2),
        FAILED_RATE,
        2,
        "the second replica's failures",
    );

    // A replica that stops deletes its row; the other counts itself alone at its next heartbeat.
    second.stop().await;
    assert_eq!(
        replicas(&db)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        std::slice::from_ref(&first_id),
        "the stopped replica deleted its row"
    );
    until_counted(&db, &first_id).await;
    let alone = served_until_exhausted(&first.anonymous(), &after_the_second_stops).await;
    assert_share(alone, BURST, RATE, 1, "the replica left alone");

    let _ = db.close().await;
    first.stop().await;
}

/// A replica that stops refreshing its row (it died) is counted while it refreshes it, and no longer once
/// the TTL has passed since its last heartbeat: then the survivor grants the whole budget again.
async fn a_replica_that_died_is_no_longer_counted_once_the_ttl_passes(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, budgets).await else {
        return;
    };
    let db = server.db().await;
    let [(survivor_id, _)] = <[_; 1]>::try_from(replicas(&db).await).expect("the server's row alone");
    let while_both_live = principal(&server).await;
    let after_the_ttl = principal(&server).await;

    // The test plays a second replica: it refreshes a row of its own, then stops, as a killed replica would.
    let doomed = DoomedReplica::start(server.database_url()).await;
    until_counted(&db, &survivor_id).await;
    let shared = served_until_exhausted(&server.anonymous(), &while_both_live).await;
    assert_share(
        shared,
        BURST.div_ceil(2),
        RATE,
        2,
        "a replica counting a second one",
    );

    let last_seen = doomed.die().await;
    let counted_until = last_seen + TimeDelta::from_std(TTL).expect("a few seconds");
    if let Ok(left) = (counted_until - Utc::now()).to_std() {
        tokio::time::sleep(left).await;
    }
    until_counted(&db, &survivor_id).await;
    let alone = served_until_exhausted(&server.anonymous(), &after_the_ttl).await;
    assert_share(alone, BURST, RATE, 1, "the survivor");

    let _ = db.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

/// A new staff member's API key, made by the ADMIN.
async fn principal(server: &TestServer) -> String {
    let staff = server.create_staff(pb::StaffLevel::Staff).await;
    server.key_for(&staff.id).await
}

async fn who_am_i(channel: &Channel, credential: &str) -> Result<(), Status> {
    IdentityServiceClient::with_interceptor(channel.clone(), Bearer::new(credential))
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .map(drop)
}

/// Calls as `credential` until RESOURCE_EXHAUSTED: how many calls were served, and in what time (the
/// refill allows a little more than the burst in it).
async fn served_until_exhausted(channel: &Channel, credential: &str) -> (u32, Duration) {
    let started = Instant::now();
    let mut served = 0;
    loop {
        match who_am_i(channel, credential).await {
            Ok(()) => served += 1,
            Err(status) if status.code() == Code::ResourceExhausted => return (served, started.elapsed()),
            Err(status) => panic!("call {} failed otherwise: {status:?}", served + 1),
        }
        assert!(served <= 4 * BURST, "{served} calls and never refused");
    }
}

/// Presents bad API keys until RESOURCE_EXHAUSTED: how many were looked up (and found bad), and in
/// what time.
async fn failures_until_exhausted(channel: &Channel) -> (u32, Duration) {
    let started = Instant::now();
    let mut failed = 0;
    loop {
        let guess = format!("kam_{}", uuid::Uuid::now_v7().simple());
        match who_am_i(channel, &guess).await {
            Err(status) if status.code() == Code::Unauthenticated => failed += 1,
            Err(status) if status.code() == Code::ResourceExhausted => return (failed, started.elapsed()),
            other => panic!("guess {} answered {other:?}", failed + 1),
        }
        assert!(failed <= 4 * FAILED_BURST, "{failed} bad keys and never refused");
    }
}

/// Whole tokens one of `replicas` replicas refills in `elapsed` at the fleet's `rate`.
fn refill(rate: u32, replicas: u32, elapsed: Duration) -> u32 {
    (f64::from(rate) / f64::from(replicas) * elapsed.as_secs_f64()).floor() as u32
}

/// `served` over `elapsed` is the `share` of one of `replicas` replicas: that burst, and no more than
/// what its share of `rate` refilled meanwhile on top.
fn assert_share((served, elapsed): (u32, Duration), share: u32, rate: u32, replicas: u32, what: &str) {
    let refilled = refill(rate, replicas, elapsed);
    assert!(
        (share..=share + refilled).contains(&served),
        "{what} served {served}; its share is {share} at once, plus up to {refilled} refilled in {elapsed:?}"
    );
}

/// A channel to `addr` whose connections come from `source`.
fn from_address(addr: SocketAddr, source: IpAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("an endpoint")
        .local_address(Some(source))
        .connect_lazy()
}

/// Every row of `server_replicas`: the replica's id and when it was last seen, as text.
async fn replicas(db: &DatabaseConnection) -> Vec<(String, String)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, CAST(seen_at AS TEXT) FROM server_replicas ORDER BY id",
        ))
        .await
        .expect("read server_replicas");
    rows.iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("an id"),
                row.try_get_by_index(1).expect("a time"),
            )
        })
        .collect()
}

/// When replica `id` last refreshed its row.
async fn seen_at(db: &DatabaseConnection, id: &str) -> Option<String> {
    replicas(db)
        .await
        .into_iter()
        .find_map(|(replica, seen)| (replica == id).then_some(seen))
}

/// Waits until replica `id` has refreshed its row twice after now. It counts the live replicas before
/// each refresh, so the second refresh follows a count made after the first one, itself after every
/// change the test made before calling: the replica's count reflects them.
async fn until_counted(db: &DatabaseConnection, id: &str) {
    let mut seen = seen_at(db, id).await;
    for refresh in ["first", "second"] {
        let before = seen.clone();
        seen = Some(
            eventually(&format!("the {refresh} refresh of {id}"), async || {
                seen_at(db, id).await.filter(|now| Some(now) != before.as_ref())
            })
            .await,
        );
    }
}

/// Polls `check` until it gives something, for at most [`PATIENCE`].
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "{what}: not within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A row of `server_replicas` the test keeps fresh, as a live replica does, until it "dies".
struct DoomedReplica {
    db: DatabaseConnection,
    beating: JoinHandle<()>,
}

const DOOMED_ID: &str = "a replica the test plays";

impl DoomedReplica {
    /// Registers the row, then refreshes it twice a heartbeat.
    async fn start(database_url: &str) -> Self {
        let db = sea_orm::Database::connect(database_url)
            .await
            .expect("connect to the test database");
        refresh_doomed(&db).await.expect("register the row");
        let beating = {
            let db = db.clone();
            tokio::spawn(async move {
                // Ends with the database (a test that failed dropped it).
                loop {
                    tokio::time::sleep(HEARTBEAT / 2).await;
                    if refresh_doomed(&db).await.is_err() {
                        break;
                    }
                }
            })
        };
        Self { db, beating }
    }

    /// Stops refreshing the row: when it was last refreshed.
    async fn die(self) -> DateTime<Utc> {
        self.beating.abort();
        let _ = self.beating.await;
        let backend = self.db.get_database_backend();
        let sql = format!(
            "SELECT seen_at FROM server_replicas WHERE id = {}",
            placeholder(backend, 1)
        );
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, [DOOMED_ID.into()]))
            .await
            .expect("read the row")
            .expect("the row is there");
        let last_seen = row.try_get_by_index(0).expect("a time");
        let _ = self.db.close().await;
        last_seen
    }
}

async fn refresh_doomed(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "INSERT INTO server_replicas (id, seen_at) VALUES ({}, {}) \
         ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        placeholder(backend, 1),
        placeholder(backend, 2)
    );
    // To the microsecond, as the servers write it.
    let values: [Value; 2] = [DOOMED_ID.into(), kam_server::platform::db::now().into()];
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map(drop)
}

fn placeholder(backend: DatabaseBackend, n: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}

kam_tests::on_both_backends!(
    two_replicas_grant_each_budget_once_between_them,
    a_replica_that_died_is_no_longer_counted_once_the_ttl_passes,
);
