//! Outbox retention end to end, on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set): the
//! pruner deletes the events older than `integration.outbox_retention_days` (here aged by hand) as a
//! prefix of the feed, batch by batch, and keeps the rest and the audit trail; readers behind the pruned
//! horizon are refused (WatchEvents CURSOR_EXPIRED at the call; ListChanges SYNC_TOKEN_EXPIRED) while
//! those at or after it go on, and a caught-up filtered stream moves its cursor on rather than falling
//! behind; a full sync still brings every resource; EARLIEST starts at the oldest event kept; and a
//! server whose outbox would not outlive its sync tokens does not start.

use std::time::Duration;

use kam_server::integration::retention;
use kam_tests::{
    Authed, Backend, TestServer, assert_failed_precondition,
    pb::{
        self, SyncResource, integration_service_client::IntegrationServiceClient, watch_events_request::Start,
    },
};
use tonic::Streaming;

type Events = Streaming<pb::WatchEventsResponse>;

/// How long a test waits for what must happen. On PostgreSQL the pruner, like the feeds, leaves alone
/// the events of transactions younger than the oldest one running anywhere in the cluster (other
/// tests' included), so it may take a few runs.
const PATIENCE: Duration = Duration::from_secs(60);

/// A server that prunes every second, with the default retention (31 days).
async fn start(backend: Backend) -> Option<TestServer> {
    TestServer::start_with(backend, |config| {
        config.integration.watch_poll_millis = 20;
        config.integration.prune_interval_secs = 1;
    })
    .await
}

fn client(channel: Authed) -> IntegrationServiceClient<Authed> {
    IntegrationServiceClient::new(channel)
}

async fn watch(server: &TestServer, request: pb::WatchEventsRequest) -> Result<Events, tonic::Status> {
    client(server.channel())
        .watch_events(request)
        .await
        .map(|response| response.into_inner())
}

fn after(cursor: &str) -> pb::WatchEventsRequest {
    pb::WatchEventsRequest {
        cursor: cursor.to_owned(),
        ..Default::default()
    }
}

/// Reads until at least `count` events have come (panics after [`PATIENCE`]).
async fn next_events(stream: &mut Events, count: usize) -> Vec<pb::Event> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut events = Vec::new();
    while events.len() < count {
        let response = tokio::time::timeout_at(deadline, stream.message())
            .await
            .unwrap_or_else(|_| panic!("only {} of {count} events came: {events:?}", events.len()))
            .expect("the stream")
            .expect("the stream goes on");
        events.extend(response.events);
    }
    events
}

/// (event type, resource id) of each event.
fn summary(events: &[pb::Event]) -> Vec<(&str, &str)> {
    events
        .iter()
        .map(|e| (e.event_type.as_str(), e.resource_id.as_str()))
        .collect()
}

async fn list_changes(
    server: &TestServer,
    resource: SyncResource,
    token: &str,
) -> Result<pb::ListChangesResponse, tonic::Status> {
    client(server.channel())
        .list_changes(pb::ListChangesRequest {
            resource_type: resource as i32,
            sync_token: token.to_owned(),
            page_size: 0,
        })
        .await
        .map(|response| response.into_inner())
}

/// The feed position (txid, id) a sync token `s1-<type>-<txid>-<id>-<issued>[-<scanned id>]` names.
fn token_position(token: &str) -> (i64, i64) {
    let parts: Vec<i64> = token
        .strip_prefix("s1-")
        .expect("a sync token")
        .split('-')
        .take(3)
        .map(|part| part.parse().expect("a number"))
        .collect();
    (parts[1], parts[2])
}

/// The position of the outbox event with `id`.
async fn position_of(server: &TestServer, id: i64) -> (i64, i64) {
    let txid = server
        .query_i64("SELECT txid FROM outbox_events WHERE id = $1", [id.into()])
        .await;
    (txid, id)
}

/// The feed position (txid, id) a cursor `e1-<txid>-<id>` names.
fn cursor_position(cursor: &str) -> (i64, i64) {
    let parts: Vec<i64> = cursor
        .strip_prefix("e1-")
        .expect("an event cursor")
        .split('-')
        .map(|part| part.parse().expect("a number"))
        .collect();
    (parts[0], parts[1])
}

fn cursor((txid, id): (i64, i64)) -> String {
    format!("e1-{txid}-{id}")
}

async fn last_event_id(server: &TestServer) -> i64 {
    server.query_i64("SELECT MAX(id) FROM outbox_events", []).await
}

/// Panics with `what` once [`PATIENCE`] from `start` has passed.
fn patience(start: tokio::time::Instant, what: &str) {
    assert!(start.elapsed() < PATIENCE, "never happened: {what}");
}

async fn prunes_old_events_and_refuses_readers_behind_them(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    // The old part of the feed: the first start's own events, then A, a contact of A, B and C.
    let a = server.create_account("Alpha").await.id;
    let a_position = position_of(&server, last_event_id(&server).await).await;
    server
        .accounts()
        .create_contact(pb::CreateContactRequest {
            contact: Some(pb::Contact {
                account_id: a.clone(),
                full_name: "Li Wei".to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a contact");
    server.create_account("Beta").await;
    // An accounts token from here lies behind the horizon once C's event is pruned.
    let behind = list_changes(&server, SyncResource::Accounts, "")
        .await
        .expect("a full sync of accounts")
        .next_sync_token;
    server.create_account("Gamma").await;
    let old_last = last_event_id(&server).await;
    let horizon = position_of(&server, old_last).await;

    // A contacts token that reached the end of the feed moves past the accounts' events after the
    // contact's too: no contact changed since, and pruning them must not send the client back to a full
    // sync.
    let (mut contacts, waiting) = (String::new(), tokio::time::Instant::now());
    loop {
        contacts = list_changes(&server, SyncResource::Contacts, &contacts)
            .await
            .expect("a sync of contacts")
            .next_sync_token;
        if token_position(&contacts) >= horizon {
            break;
        }
        patience(waiting, "the contacts token passes C's event");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A stream of contact events, which has taken the contact's and waits for more. Caught up, it moves
    // its cursor on past the accounts' events it does not want, so pruning them does not leave it
    // behind the horizon: it goes on.
    let contact_events = pb::WatchEventsRequest {
        cursor: cursor(a_position),
        resource_types: vec!["contact".to_owned()],
        ..Default::default()
    };
    let mut left_behind = watch(&server, contact_events)
        .await
        .expect("a stream of contact events");
    assert_eq!(next_events(&mut left_behind, 1).await.len(), 1);

    // The kept part: D, E, and the event F that is old but comes after a young one.
    let d = server.create_account("Delta").await.id;
    let d_event = last_event_id(&server).await;
    let e = server.create_account("Epsilon").await.id;
    let e_event = last_event_id(&server).await;
    let f = server.create_account("Phi").await.id;
    let f_event = last_event_id(&server).await;
    let audit = server.query_i64("SELECT COUNT(*) FROM audit_entries", []).await;
    assert!(audit >= 7, "every create was audited: {audit}");

    let aged = server
        .execute(
            "UPDATE outbox_events SET occurred_at = $1 WHERE id <= $2 OR id = $3",
            [
                (chrono::Utc::now() - chrono::Duration::days(40)).into(),
                old_last.into(),
                f_event.into(),
            ],
        )
        .await;
    assert!(
        aged >= 5,
        "the first start's events, A, the contact, B, C and F: {aged}"
    );
    // As old as the events they go with: the audit trail is kept however old.
    server
        .execute(
            "UPDATE audit_entries SET occurred_at = $1",
            [(chrono::Utc::now() - chrono::Duration::days(400)).into()],
        )
        .await;
    let waiting = tokio::time::Instant::now();
    let old_count = || {
        server.query_i64(
            "SELECT COUNT(*) FROM outbox_events WHERE id <= $1",
            [old_last.into()],
        )
    };
    while old_count().await > 0 {
        patience(waiting, "the old events are pruned");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Recent events stay, and so does an old one behind a young one (the prune is a prefix of the feed).
    let kept = server
        .query_i64(
            "SELECT COUNT(*) FROM outbox_events WHERE id IN ($1, $2, $3)",
            [d_event.into(), e_event.into(), f_event.into()],
        )
        .await;
    assert_eq!(kept, 3, "D, E and F's events are kept");
    assert_eq!(
        server.query_i64("SELECT COUNT(*) FROM audit_entries", []).await,
        audit,
        "the audit trail is never pruned"
    );
    let stored = (
        server.query_i64("SELECT txid FROM feed_horizon", []).await,
        server.query_i64("SELECT event_id FROM feed_horizon", []).await,
    );
    assert_eq!(stored, horizon, "the horizon is C's event, the last one pruned");
    assert_eq!(
        server
            .query_i64(
                "SELECT COUNT(*) FROM feed_horizon WHERE prune_time IS NOT NULL",
                []
            )
            .await,
        1
    );

    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, left_behind.message()).await {
            Ok(Ok(Some(response))) => {
                assert!(response.events.is_empty(), "{response:?}");
                if cursor_position(&response.cursor) > horizon {
                    break;
                }
            }
            Ok(Err(status)) => panic!("the caught-up contact stream ended: {status:?}"),
            Ok(Ok(None)) => panic!("the stream ended without a status"),
            Err(_) => panic!("the contact stream's cursor never passed the horizon"),
        }
    }

    // WatchEvents: a cursor behind the horizon is refused; at it or after it, the stream goes on.
    let expired = watch(&server, after(&cursor(a_position)))
        .await
        .expect_err("a cursor behind the horizon");
    assert_failed_precondition(&expired, "CURSOR_EXPIRED");
    let mut at_horizon = watch(&server, after(&cursor(horizon)))
        .await
        .expect("the horizon's cursor");
    let events = next_events(&mut at_horizon, 3).await;
    assert_eq!(
        summary(&events),
        [
            ("AccountCreated", d.as_str()),
            ("AccountCreated", e.as_str()),
            ("AccountCreated", f.as_str())
        ]
    );
    let d_cursor = events[0].cursor.clone();
    let mut later = watch(&server, after(&d_cursor))
        .await
        .expect("a cursor after the horizon");
    let events = next_events(&mut later, 2).await;
    assert_eq!(
        summary(&events),
        [("AccountCreated", e.as_str()), ("AccountCreated", f.as_str())]
    );
    let earliest = pb::WatchEventsRequest {
        start: Start::Earliest as i32,
        ..Default::default()
    };
    let mut from_the_start = watch(&server, earliest).await.expect("EARLIEST");
    let events = next_events(&mut from_the_start, 1).await;
    assert_eq!(
        summary(&events[..1]),
        [("AccountCreated", d.as_str())],
        "EARLIEST starts at the oldest event kept"
    );

    // ListChanges: a token behind the horizon is refused; the contacts token that moved on is not.
    let expired = list_changes(&server, SyncResource::Accounts, &behind)
        .await
        .expect_err("a token behind the horizon");
    assert_failed_precondition(&expired, "SYNC_TOKEN_EXPIRED");
    let quiet = list_changes(&server, SyncResource::Contacts, &contacts)
        .await
        .expect("the contacts token is still good");
    assert!(quiet.changes.is_empty(), "{:?}", quiet.changes);

    // A full sync after pruning still brings every account, also one whose events are all gone: it
    // scans the table, then hands over to the feed.
    let full = list_changes(&server, SyncResource::Accounts, "")
        .await
        .expect("a full sync after pruning");
    let scanned: Vec<&str> = full.changes.iter().map(|change| change.id.as_str()).collect();
    assert!(
        scanned.contains(&a.as_str()),
        "A, unchanged for 400 days: {scanned:?}"
    );
    assert!(full.more, "the feed's changes since the scan began follow");
    // The token goes on with the changes after it.
    let mut token = full.next_sync_token;
    let g = server.create_account("Gimel").await.id;
    let (mut seen, waiting) = (Vec::new(), tokio::time::Instant::now());
    while !seen.contains(&g) {
        patience(waiting, "G's creation comes");
        let page = list_changes(&server, SyncResource::Accounts, &token)
            .await
            .expect("a delta after pruning");
        token = page.next_sync_token;
        seen.extend(page.changes.into_iter().map(|change| change.id));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!seen.contains(&a), "A did not change: {seen:?}");
    server.stop().await;
}

/// The pruner's run itself, called on the server's database: it goes batch by batch until the first
/// young event, moving the horizon with each, and a run with nothing old enough changes nothing.
async fn prunes_in_batches(backend: Backend) {
    // The server's own pruner runs once at its start, before anything is old.
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    for n in 0..6 {
        server.create_account(&format!("Old {n}")).await;
    }
    let old_last = last_event_id(&server).await;
    let young = server.create_account("Young").await.id;
    let old = server
        .execute(
            "UPDATE outbox_events SET occurred_at = $1 WHERE id <= $2",
            [
                (chrono::Utc::now() - chrono::Duration::days(40)).into(),
                old_last.into(),
            ],
        )
        .await;
    assert!(old >= 6, "{old}");

    let db = kam_server::platform::db::Db::connect(&kam_server::Config {
        database_url: server.database_url().to_owned(),
        db_max_connections: 2,
        ..kam_server::Config::default()
    })
    .await
    .expect("connect to the server's database");
    let cutoff = retention::cutoff(chrono::Utc::now(), 31).expect("a cutoff");
    let (mut pruned, mut runs, waiting) = (0, Vec::new(), tokio::time::Instant::now());
    // On PostgreSQL a transaction running elsewhere in the cluster may hold some back for a while.
    while pruned < old {
        patience(waiting, "every old event is pruned");
        let report = retention::prune_once(&db, cutoff, 2)
            .await
            .expect("a pruning run");
        pruned += report.pruned;
        runs.push(report);
    }
    assert_eq!(pruned, old, "{runs:?}");
    if backend == Backend::Sqlite {
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0].batches, old.div_ceil(2), "two events a batch: {runs:?}");
    }
    let horizon = runs.last().and_then(|run| run.through).expect("a horizon");
    assert_eq!(horizon.id, old_last, "{runs:?}");
    assert_eq!(
        server.query_i64("SELECT event_id FROM feed_horizon", []).await,
        old_last
    );

    let again = retention::prune_once(&db, cutoff, 2).await.expect("another run");
    assert_eq!(
        again,
        retention::PruneReport::default(),
        "nothing left that is old enough"
    );
    assert_eq!(
        server
            .query_i64(
                "SELECT COUNT(*) FROM outbox_events WHERE resource_id = $1",
                [young.into()]
            )
            .await,
        1,
        "the young event is kept"
    );
    db.conn().clone().close().await.expect("close");
    server.stop().await;
}

kam_tests::on_both_backends!(
    prunes_old_events_and_refuses_readers_behind_them,
    prunes_in_batches
);

/// The outbox must outlive the sync tokens: the server refuses to start otherwise, before it touches the
/// database.
#[tokio::test]
async fn an_outbox_kept_no_longer_than_sync_tokens_refuses_to_start() {
    let dir = std::env::temp_dir().join(format!("kam-retention-{}", uuid::Uuid::now_v7()));
    let mut config = kam_server::Config {
        database_url: format!("sqlite://{}/kam.db?mode=rwc", dir.display()),
        ..kam_server::Config::default()
    };
    config.integration.sync_token_retention_days = 30;
    config.integration.outbox_retention_days = Some(30);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let outcome = kam_server::run(config, listener, std::future::pending()).await;
    let err = outcome.expect_err("the server must not start").to_string();
    assert!(
        err.contains("integration.outbox_retention_days (30) must be greater than")
            && err.contains("integration.sync_token_retention_days (30)"),
        "{err}"
    );
    assert!(!dir.exists(), "no database was created");
}
