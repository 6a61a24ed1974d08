//! The domain-event stream (`IntegrationService.WatchEvents`) end to end, on SQLite and on PostgreSQL
//! (when `KAM_TEST_POSTGRES_URL` is set): resuming without gap or duplicate, filters, a MEMBER's view,
//! bad arguments, graceful shutdown, and — on PostgreSQL — two transactions that commit out of order.

use std::time::Duration;

use kam_tests::{
    Authed, Backend, TestServer, assert_invalid_argument,
    pb::{self, integration_service_client::IntegrationServiceClient, watch_events_request::Start},
};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use tonic::{Code, Streaming};

type Events = Streaming<pb::WatchEventsResponse>;

/// How long a test waits for events that must come.
const PATIENCE: Duration = Duration::from_secs(10);

/// A server whose streams look for new events every 20 ms.
async fn start(backend: Backend) -> Option<TestServer> {
    TestServer::start_with(backend, |config| config.integration.watch_poll_millis = 20).await
}

fn client(channel: Authed) -> IntegrationServiceClient<Authed> {
    IntegrationServiceClient::new(channel)
}

async fn watch(channel: Authed, request: pb::WatchEventsRequest) -> Events {
    client(channel)
        .watch_events(request)
        .await
        .expect("watch events")
        .into_inner()
}

fn from_now() -> pb::WatchEventsRequest {
    pb::WatchEventsRequest {
        start: Start::Now as i32,
        ..Default::default()
    }
}

fn after(cursor: &str) -> pb::WatchEventsRequest {
    pb::WatchEventsRequest {
        cursor: cursor.to_owned(),
        ..Default::default()
    }
}

/// Reads until at least `count` events have come (panics after [`PATIENCE`]); returns them and the
/// cursor of the last response.
async fn next_events(stream: &mut Events, count: usize) -> (Vec<pb::Event>, String) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let (mut events, mut cursor) = (Vec::new(), String::new());
    while events.len() < count {
        let response = tokio::time::timeout_at(deadline, stream.message())
            .await
            .unwrap_or_else(|_| panic!("only {} of {count} events came: {events:?}", events.len()))
            .expect("the stream")
            .expect("the stream goes on");
        cursor = response.cursor;
        events.extend(response.events);
    }
    (events, cursor)
}

/// The events that come within `wait`.
async fn events_within(stream: &mut Events, wait: Duration) -> Vec<pb::Event> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut events = Vec::new();
    while let Ok(message) = tokio::time::timeout_at(deadline, stream.message()).await {
        events.extend(message.expect("the stream").expect("the stream goes on").events);
    }
    events
}

/// (event type, resource id) of each event.
fn summary(events: &[pb::Event]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| (e.event_type.clone(), e.resource_id.clone()))
        .collect()
}

fn created(id: &str) -> (String, String) {
    ("AccountCreated".to_owned(), id.to_owned())
}

async fn rename(server: &TestServer, id: &str, name: &str) {
    server
        .accounts()
        .update_account(pb::UpdateAccountRequest {
            account: Some(pb::Account {
                id: id.to_owned(),
                display_name: name.to_owned(),
                ..Default::default()
            }),
            update_mask: Some(kam_tests::pbjson_types::FieldMask {
                paths: vec!["display_name".to_owned()],
            }),
            ..Default::default()
        })
        .await
        .expect("rename the account");
}

async fn create_contact(server: &TestServer, account_id: &str) -> pb::Contact {
    server
        .accounts()
        .create_contact(pb::CreateContactRequest {
            contact: Some(pb::Contact {
                account_id: account_id.to_owned(),
                full_name: "Li Wei".to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a contact")
        .into_inner()
}

async fn resumes_without_gap_or_duplicate(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let mut first = watch(server.channel(), from_now()).await;
    let a = server.create_account("Alpha").await.id;
    let b = server.create_account("Beta").await.id;
    let (events, _) = next_events(&mut first, 2).await;
    assert_eq!(summary(&events), [created(&a), created(&b)]);
    assert_eq!(events[0].account_id, a);
    assert!(
        events[0].payload_json.contains("\"Alpha\""),
        "{}",
        events[0].payload_json
    );
    let after_a = events[0].cursor.clone();
    drop(first);

    // While nobody listens: a rename and a new account. Resuming after A's creation brings B again
    // (it came after that cursor), then what happened since, each once.
    rename(&server, &a, "Alpha Pumps").await;
    let c = server.create_account("Gamma").await.id;
    let mut second = watch(server.channel(), after(&after_a)).await;
    let (events, cursor) = next_events(&mut second, 3).await;
    assert_eq!(
        summary(&events),
        [created(&b), ("AccountUpdated".to_owned(), a.clone()), created(&c)]
    );
    let d = server.create_account("Delta").await.id;
    let (events, _) = next_events(&mut second, 1).await;
    assert_eq!(summary(&events), [created(&d)], "nothing twice");
    drop(second);

    // A response's cursor resumes after everything that response carried.
    let mut third = watch(server.channel(), after(&cursor)).await;
    let (events, _) = next_events(&mut third, 1).await;
    assert_eq!(summary(&events), [created(&d)]);

    // From the start: every account's creation, in order.
    let mut earliest = watch(
        server.channel(),
        pb::WatchEventsRequest {
            start: Start::Earliest as i32,
            resource_types: vec!["account".to_owned()],
            ..Default::default()
        },
    )
    .await;
    let (events, _) = next_events(&mut earliest, 5).await;
    let creations: Vec<_> = summary(&events)
        .into_iter()
        .filter(|(t, _)| t == "AccountCreated")
        .collect();
    assert_eq!(creations, [created(&a), created(&b), created(&c), created(&d)]);
    drop(earliest);
    server.stop().await;
}

async fn filters_keep_the_types_asked_for(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let mut updates = watch(
        server.channel(),
        pb::WatchEventsRequest {
            event_types: vec!["AccountUpdated".to_owned()],
            ..from_now()
        },
    )
    .await;
    let mut contacts = watch(
        server.channel(),
        pb::WatchEventsRequest {
            resource_types: vec!["contact".to_owned()],
            batch_size: 1,
            ..from_now()
        },
    )
    .await;
    let account = server.create_account("Filtered").await.id;
    rename(&server, &account, "Filtered Works").await;
    let first = create_contact(&server, &account).await.id;
    let second = create_contact(&server, &account).await.id;

    let (events, _) = next_events(&mut updates, 1).await;
    assert_eq!(summary(&events), [("AccountUpdated".to_owned(), account.clone())]);
    let (events, _) = next_events(&mut contacts, 2).await;
    assert_eq!(
        summary(&events),
        [
            ("ContactCreated".to_owned(), first),
            ("ContactCreated".to_owned(), second)
        ]
    );
    assert!(events.iter().all(|e| e.account_id == account));
    drop((updates, contacts));
    server.stop().await;
}

async fn a_member_sees_its_teams_events_only(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let ours = server.create_account("Ours").await.id;
    let theirs = server.create_account("Theirs").await.id;
    let member = server.member_on_team(&ours).await;
    let mut stream = watch(
        member.channel(),
        pb::WatchEventsRequest {
            start: Start::Earliest as i32,
            ..Default::default()
        },
    )
    .await;
    let contact = create_contact(&server, &ours).await.id;
    create_contact(&server, &theirs).await;
    rename(&server, &theirs, "Theirs, renamed").await;
    rename(&server, &ours, "Ours, renamed").await;

    let (events, _) = next_events(&mut stream, 4).await;
    assert!(
        events.iter().all(|e| e.account_id == ours),
        "{:?}",
        summary(&events)
    );
    assert_eq!(
        summary(&events),
        [
            created(&ours),
            // The MEMBER's seat on the team.
            ("TeamMemberAdded".to_owned(), events[1].resource_id.clone()),
            ("ContactCreated".to_owned(), contact),
            ("AccountUpdated".to_owned(), ours.clone()),
        ]
    );
    // Nothing of the other account, nor of staff (which concern no one account).
    assert!(
        events_within(&mut stream, Duration::from_millis(300))
            .await
            .is_empty()
    );

    let bad = client(server.channel())
        .watch_events(after("e1-0"))
        .await
        .expect_err("a cursor this server did not issue");
    assert_invalid_argument(&bad, "cursor");
    let bad = client(server.channel())
        .watch_events(pb::WatchEventsRequest {
            batch_size: 1001,
            ..from_now()
        })
        .await
        .expect_err("too large a batch");
    assert_invalid_argument(&bad, "batch_size");
    drop(stream);
    server.stop().await;
}

async fn shutdown_ends_the_stream(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let mut stream = watch(server.channel(), from_now()).await;
    let stopping = tokio::spawn(server.stop());
    let ended = tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.message().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("the stream ended without saying why"),
                Err(status) => return status,
            }
        }
    })
    .await
    .expect("the stream ends when the server shuts down");
    assert_eq!(ended.code(), Code::Unavailable, "{ended:?}");
    assert!(
        ended.message().contains("shutting down; resume with cursor e1-"),
        "{ended:?}"
    );
    stopping.await.expect("the server stops");
}

/// Two transactions write an event each; the one that wrote first commits last. The stream must hold
/// the second back until the first commits, then deliver both, in the order they were written.
async fn out_of_order_commits_are_not_skipped(server: &TestServer) {
    let mut stream = watch(
        server.channel(),
        pb::WatchEventsRequest {
            event_types: vec!["InterleavedWrite".to_owned()],
            ..from_now()
        },
    )
    .await;
    let db = server.db().await;
    let write = |name: &str| {
        Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO outbox_events (occurred_at, event_type, resource_type, resource_id, payload) \
             VALUES (now(), 'InterleavedWrite', 'test', $1, '{}') RETURNING id",
            [name.into()],
        )
    };
    let early = db.begin().await.expect("the first transaction");
    let early_id: i64 = early
        .query_one_raw(write("early"))
        .await
        .expect("the first write")
        .expect("its id")
        .try_get_by_index(0)
        .unwrap();
    let late = db.begin().await.expect("the second transaction");
    let late_id: i64 = late
        .query_one_raw(write("late"))
        .await
        .expect("the second write")
        .expect("its id")
        .try_get_by_index(0)
        .unwrap();
    late.commit().await.expect("the second commits first");
    assert!(early_id < late_id, "the first write took the lower id");

    // A reader that took "late" now would move past "early"'s id and never see it.
    let held_back = events_within(&mut stream, Duration::from_millis(500)).await;
    assert!(
        held_back.is_empty(),
        "delivered before an older transaction ended: {held_back:?}"
    );
    early.commit().await.expect("the first commits last");

    let (events, _) = next_events(&mut stream, 2).await;
    let ids: Vec<&str> = events.iter().map(|e| e.resource_id.as_str()).collect();
    assert_eq!(ids, ["early", "late"]);
    assert!(
        events_within(&mut stream, Duration::from_millis(200))
            .await
            .is_empty()
    );
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(kam_tests::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(kam_tests::Backend::Postgres).await;
                }
            )*
        }
    };
}

on_both_backends!(
    resumes_without_gap_or_duplicate,
    filters_keep_the_types_asked_for,
    a_member_sees_its_teams_events_only,
    shutdown_ends_the_stream,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_out_of_order_commits_are_not_skipped() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    out_of_order_commits_are_not_skipped(&server).await;
    server.stop().await;
}
