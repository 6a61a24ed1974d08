//! The integration feeds end to end, on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set):
//! the domain-event stream (`WatchEvents`: resuming without gap or duplicate, filters, a MEMBER's view,
//! bad arguments, graceful shutdown) and the change feed (`ListChanges`: full sync and deltas,
//! tombstones, a MEMBER's view, expired and foreign tokens), and — on PostgreSQL — transactions that
//! commit out of order, for both. Also what bounds a stream: the credential it was opened with, a few
//! streams per principal, identity events for ADMINs only.

use std::time::Duration;

use kam_tests::{
    Authed, Backend, TestServer, assert_error, assert_failed_precondition, assert_invalid_argument,
    changes::{applied, has, ids, sync_all, sync_until, tombstone},
    pb::{
        self, Role, SyncResource, integration_service_client::IntegrationServiceClient,
        opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
        resource_change::Resource, service_level_service_client::ServiceLevelServiceClient,
        watch_events_request::Start,
    },
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
    // Nothing of the other account, nor of staff (which concern no one account): after one more change
    // of each, a change of ours is the next event, and events come in commit order.
    rename(&server, &theirs, "Theirs, again").await;
    server.create_staff(pb::StaffLevel::Staff).await;
    rename(&server, &ours, "Ours, marked").await;
    let (next, _) = next_events(&mut stream, 1).await;
    assert_eq!(summary(&next), [("AccountUpdated".to_owned(), ours.clone())]);

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

fn account_name(change: &pb::ResourceChange) -> &str {
    match &change.resource {
        Some(Resource::Account(account)) => &account.display_name,
        other => panic!("not an account: {other:?}"),
    }
}

async fn a_full_sync_then_deltas_with_tombstones(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let a = server.create_account("Alpha").await.id;
    let b = server.create_account("Beta").await.id;
    let contact = create_contact(&server, &a).await.id;

    let (full, token) = sync_until(server.channel(), SyncResource::Accounts, "", 0, has(&b)).await;
    assert_eq!(applied(&full), [(a.clone(), false), (b.clone(), false)]);
    assert_eq!(account_name(&full[0]), "Alpha");

    // A renamed twice, B deleted, C created: within one page each once, at its last change; B as a
    // tombstone that still shows what it was.
    rename(&server, &a, "Alpha Pumps").await;
    server
        .accounts()
        .delete_account(pb::DeleteAccountRequest {
            id: b.clone(),
            etag: String::new(),
        })
        .await
        .expect("delete B");
    let c = server.create_account("Gamma").await.id;
    rename(&server, &a, "Alpha Pumps AG").await;
    // Each change is shown as the resource is when served, so A's first rename may already show the
    // second name while the later changes of B and C are still held back (on PostgreSQL, by another
    // transaction anywhere in the cluster): wait for the last change itself.
    let renamed_again = |changes: &[pb::ResourceChange]| {
        let last = applied(changes);
        last.last() == Some(&(a.clone(), false))
            && has(&b)(changes)
            && has(&c)(changes)
            && changes
                .iter()
                .any(|change| change.id == a && account_name(change) == "Alpha Pumps AG")
    };
    let (delta, _) = sync_until(server.channel(), SyncResource::Accounts, &token, 0, renamed_again).await;
    assert_eq!(
        applied(&delta),
        [(b.clone(), true), (c.clone(), false), (a.clone(), false)]
    );
    let tombstone = delta.iter().find(|change| change.id == b).unwrap();
    assert_eq!(
        account_name(tombstone),
        "Beta",
        "a deleted account keeps its last state"
    );
    // Page by page a resource may come again; applied in order, the result is the same.
    let (paged, _) = sync_until(server.channel(), SyncResource::Accounts, &token, 1, renamed_again).await;
    assert_eq!(applied(&paged), applied(&delta));

    // Contacts: a deleted one is a bare tombstone.
    let (contacts, token) = sync_until(server.channel(), SyncResource::Contacts, "", 0, has(&contact)).await;
    assert_eq!(applied(&contacts), [(contact.clone(), false)]);
    server
        .accounts()
        .delete_contact(pb::DeleteContactRequest {
            id: contact.clone(),
            etag: String::new(),
        })
        .await
        .expect("delete the contact");
    let deleted = |changes: &[pb::ResourceChange]| {
        changes
            .iter()
            .rev()
            .find(|change| change.id == contact)
            .is_some_and(|change| change.deleted)
    };
    let (gone, _) = sync_until(server.channel(), SyncResource::Contacts, &token, 0, deleted).await;
    assert_eq!(applied(&gone), [(contact.clone(), true)]);
    let tombstone = gone.iter().rev().find(|change| change.id == contact).unwrap();
    assert!(tombstone.resource.is_none(), "a bare tombstone: {tombstone:?}");
    server.stop().await;
}

/// The name of each change's resource, whatever its type.
fn resource_name(change: &pb::ResourceChange) -> &str {
    match &change.resource {
        Some(Resource::Opportunity(deal)) => &deal.display_name,
        Some(Resource::ServiceRequest(ticket)) => &ticket.title,
        Some(Resource::PlanAction(action)) => &action.title,
        other => panic!("not a deal, ticket or action: {other:?}"),
    }
}

/// A full sync, then a delta after a rename, for one resource type: each comes as it is now.
async fn syncs_as_it_is_now(
    server: &TestServer,
    resource: SyncResource,
    id: &str,
    rename: impl std::future::Future<Output = ()>,
    new_name: &str,
) {
    let (full, token) = sync_until(server.channel(), resource, "", 0, has(id)).await;
    assert_eq!(applied(&full), [(id.to_owned(), false)], "{resource:?}");
    rename.await;
    let renamed = |changes: &[pb::ResourceChange]| changes.iter().any(|c| resource_name(c) == new_name);
    let (delta, _) = sync_until(server.channel(), resource, &token, 0, renamed).await;
    assert_eq!(applied(&delta), [(id.to_owned(), false)], "{resource:?}");
}

async fn deals_tickets_and_plan_actions_sync_like_accounts(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let account = server.create_account("Alpha").await.id;
    let owner = server.create_staff(pb::StaffLevel::Manager).await.id;
    let mut deals = OpportunityServiceClient::new(server.channel());
    let deal = deals
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                account_id: account.clone(),
                display_name: "Pumps 2027".into(),
                owner_staff_id: owner.clone(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a deal")
        .into_inner();
    let rename_deal = async {
        deals
            .update_opportunity(pb::UpdateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    id: deal.id.clone(),
                    display_name: "Pumps 2027, three plants".into(),
                    ..Default::default()
                }),
                update_mask: Some(kam_tests::pbjson_types::FieldMask {
                    paths: vec!["display_name".to_owned()],
                }),
            })
            .await
            .expect("rename the deal");
    };
    syncs_as_it_is_now(
        &server,
        SyncResource::Opportunities,
        &deal.id,
        rename_deal,
        "Pumps 2027, three plants",
    )
    .await;

    let mut service = ServiceLevelServiceClient::new(server.channel());
    let ticket = service
        .create_service_request(pb::CreateServiceRequestRequest {
            service_request: Some(pb::ServiceRequest {
                account_id: account.clone(),
                title: "Seal leaks".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("open a ticket")
        .into_inner();
    let rename_ticket = async {
        service
            .update_service_request(pb::UpdateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    id: ticket.id.clone(),
                    title: "Seal leaks on P-7".into(),
                    ..Default::default()
                }),
                update_mask: Some(kam_tests::pbjson_types::FieldMask {
                    paths: vec!["title".to_owned()],
                }),
            })
            .await
            .expect("retitle the ticket");
    };
    syncs_as_it_is_now(
        &server,
        SyncResource::ServiceRequests,
        &ticket.id,
        rename_ticket,
        "Seal leaks on P-7",
    )
    .await;

    let mut planning = PlanningServiceClient::new(server.channel());
    let plan = planning
        .create_account_plan(pb::CreateAccountPlanRequest {
            plan: Some(pb::AccountPlan {
                account_id: account.clone(),
                name: "Plan 2027".into(),
                period_start: Some(pb::Date {
                    year: 2027,
                    month: 1,
                    day: 1,
                }),
                period_end: Some(pb::Date {
                    year: 2027,
                    month: 12,
                    day: 31,
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a plan")
        .into_inner();
    let action = planning
        .create_plan_action(pb::CreatePlanActionRequest {
            action: Some(pb::PlanAction {
                plan_id: plan.id.clone(),
                title: "Visit the plant".into(),
                owner_staff_id: owner.clone(),
                due_date: Some(pb::Date {
                    year: 2027,
                    month: 3,
                    day: 31,
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create an action")
        .into_inner();
    let rename_action = async {
        planning
            .update_plan_action(pb::UpdatePlanActionRequest {
                action: Some(pb::PlanAction {
                    id: action.id.clone(),
                    title: "Visit the Shenzhen plant".into(),
                    ..Default::default()
                }),
                update_mask: Some(kam_tests::pbjson_types::FieldMask {
                    paths: vec!["title".to_owned()],
                }),
            })
            .await
            .expect("retitle the action");
    };
    syncs_as_it_is_now(
        &server,
        SyncResource::PlanActions,
        &action.id,
        rename_action,
        "Visit the Shenzhen plant",
    )
    .await;
    server.stop().await;
}

/// A client's copy of the accounts after applying `changes` to `held`: id → name; tombstones remove.
fn apply(held: &mut std::collections::HashMap<String, String>, changes: &[pb::ResourceChange]) {
    for change in changes {
        if change.deleted {
            held.remove(&change.id);
        } else {
            held.insert(change.id.clone(), account_name(change).to_owned());
        }
    }
}

/// Writers create, rename and delete accounts on several connections while a client syncs page by page
/// all along: once they are done, the client's copy converges to exactly the server's accounts, each
/// as it is (nothing skipped, nothing deleted left behind).
async fn the_change_feed_misses_nothing_under_concurrent_writes(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    for n in 0..5 {
        server.create_account(&format!("Before {n}")).await;
    }
    let mut held = std::collections::HashMap::new();
    let (full, mut token) = sync_all(server.channel(), SyncResource::Accounts, "", 3).await;
    apply(&mut held, &full);

    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let mut accounts = server.accounts();
            tokio::spawn(async move {
                for n in 0..12 {
                    let created = accounts
                        .create_account(pb::CreateAccountRequest {
                            account: Some(pb::Account {
                                display_name: format!("W{writer} #{n}"),
                                ..Default::default()
                            }),
                            request_id: String::new(),
                        })
                        .await
                        .expect("create")
                        .into_inner();
                    if n % 3 == 1 {
                        accounts
                            .update_account(pb::UpdateAccountRequest {
                                account: Some(pb::Account {
                                    id: created.id.clone(),
                                    display_name: format!("W{writer} #{n}, renamed"),
                                    ..Default::default()
                                }),
                                update_mask: Some(kam_tests::pbjson_types::FieldMask {
                                    paths: vec!["display_name".to_owned()],
                                }),
                                ..Default::default()
                            })
                            .await
                            .expect("rename");
                    }
                    if n % 4 == 2 {
                        accounts
                            .delete_account(pb::DeleteAccountRequest {
                                id: created.id,
                                etag: String::new(),
                            })
                            .await
                            .expect("delete");
                    }
                }
            })
        })
        .collect();
    while !writers.iter().all(|writer| writer.is_finished()) {
        let (changes, next) = sync_all(server.channel(), SyncResource::Accounts, &token, 7).await;
        apply(&mut held, &changes);
        token = next;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for writer in writers {
        writer.await.expect("a writer");
    }

    let expected: std::collections::HashMap<String, String> = server
        .accounts()
        .list_accounts(pb::ListAccountsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list accounts")
        .into_inner()
        .accounts
        .into_iter()
        .map(|account| (account.id, account.display_name))
        .collect();
    assert_eq!(
        expected.len(),
        5 + 4 * 9,
        "12 created by each writer, 3 of them deleted"
    );
    // On PostgreSQL the last changes may be held back a little longer (see `sync_until`).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while held != expected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the copy never converged: {} held, {} expected",
            held.len(),
            expected.len()
        );
        let (changes, next) = sync_all(server.channel(), SyncResource::Accounts, &token, 7).await;
        apply(&mut held, &changes);
        token = next;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await;
}

async fn a_member_syncs_its_teams_resources_only(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let ours = server.create_account("Ours").await.id;
    let theirs = server.create_account("Theirs").await.id;
    let member = server.member_on_team(&ours).await;
    let mine = create_contact(&server, &ours).await.id;
    let other = create_contact(&server, &theirs).await.id;

    let (contacts, token) = sync_until(member.channel(), SyncResource::Contacts, "", 0, has(&mine)).await;
    assert_eq!(applied(&contacts), [(mine.clone(), false)]);
    let (accounts, _) = sync_until(member.channel(), SyncResource::Accounts, "", 0, has(&ours)).await;
    assert_eq!(applied(&accounts), [(ours.clone(), false)]);
    server
        .accounts()
        .delete_contact(pb::DeleteContactRequest {
            id: other.clone(),
            etag: String::new(),
        })
        .await
        .expect("delete the other team's contact");
    // Written after the deletion: once it has come, the deletion has been read too.
    let marker = create_contact(&server, &ours).await.id;
    let (delta, _) = sync_until(member.channel(), SyncResource::Contacts, &token, 0, has(&marker)).await;
    // The full sync handed over to the feed where it began, which on PostgreSQL may lie before `mine`
    // (another transaction of the cluster still running): it may come again, as an upsert.
    let held = applied(&delta);
    assert!(held.contains(&(marker, false)), "{held:?}");
    assert!(
        held.iter().all(|(id, _)| *id != other),
        "not even the tombstone of another team's contact: {held:?}"
    );

    // Bad requests.
    let channel = server.channel();
    let list = async |request: pb::ListChangesRequest| client(channel.clone()).list_changes(request).await;
    let missing = list(pb::ListChangesRequest::default())
        .await
        .expect_err("no resource type");
    assert_invalid_argument(&missing, "resource_type");
    let foreign = list(pb::ListChangesRequest {
        resource_type: SyncResource::Accounts as i32,
        sync_token: token.clone(),
        page_size: 0,
    })
    .await
    .expect_err("a contacts token for accounts");
    assert_invalid_argument(&foreign, "sync_token");
    // A token issued 31 days ago (the format is `s1-<type>-<txid>-<id>-<issued, unix seconds>`).
    let month_ago = chrono::Utc::now().timestamp() - 31 * 86_400;
    let expired = list(pb::ListChangesRequest {
        resource_type: SyncResource::Contacts as i32,
        sync_token: format!("s1-2-0-0-{month_ago}"),
        page_size: 0,
    })
    .await
    .expect_err("an expired token");
    assert_failed_precondition(&expired, "SYNC_TOKEN_EXPIRED");
    let too_many = list(pb::ListChangesRequest {
        resource_type: SyncResource::Contacts as i32,
        sync_token: String::new(),
        page_size: 501,
    })
    .await
    .expect_err("too large a page");
    assert_invalid_argument(&too_many, "page_size");
    server.stop().await;
}

async fn a_members_full_sync_reads_only_its_teams_rows(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let theirs = server.create_account("Theirs").await.id;
    for _ in 0..3 {
        create_contact(&server, &theirs).await;
    }
    let ours = server.create_account("Ours").await.id;
    let member = server.member_on_team(&ours).await;
    let mine = create_contact(&server, &ours).await.id;
    // One row a page, and three rows of another team come first by id: the scan skips them in the
    // query, so the first page is already the member's contact.
    let page = client(member.channel())
        .list_changes(pb::ListChangesRequest {
            resource_type: SyncResource::Contacts as i32,
            sync_token: String::new(),
            page_size: 1,
        })
        .await
        .expect("list changes")
        .into_inner();
    assert_eq!(ids(&page.changes), [(mine, false)]);
    assert!(page.more);
    server.stop().await;
}

/// Two transactions each record a change of an account; the one that wrote first commits last. The
/// sync that runs in between must not move past the first one's change.
async fn out_of_order_changes_are_not_skipped(server: &TestServer) {
    let early_account = server.create_account("Early").await.id;
    let late_account = server.create_account("Late").await.id;
    let (_, token) = sync_until(
        server.channel(),
        SyncResource::Accounts,
        "",
        0,
        has(&late_account),
    )
    .await;

    let db = server.db().await;
    let write = |account: &str| {
        Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO outbox_events (occurred_at, event_type, resource_type, resource_id, payload) \
             VALUES (now(), 'AccountUpdated', 'account', $1, '{}')",
            [account.into()],
        )
    };
    let early = db.begin().await.expect("the first transaction");
    early
        .execute_raw(write(&early_account))
        .await
        .expect("the first write");
    let late = db.begin().await.expect("the second transaction");
    late.execute_raw(write(&late_account))
        .await
        .expect("the second write");
    late.commit().await.expect("the second commits first");

    let (between, token) = sync_all(server.channel(), SyncResource::Accounts, &token, 0).await;
    assert!(
        between.is_empty(),
        "synced before an older transaction ended: {between:?}"
    );
    early.commit().await.expect("the first commits last");
    let (after, _) = sync_until(
        server.channel(),
        SyncResource::Accounts,
        &token,
        0,
        has(&late_account),
    )
    .await;
    assert_eq!(applied(&after), [(early_account, false), (late_account, false)]);
}

/// Reads responses until one says the stream has caught up; returns the events and that response.
async fn until_caught_up(stream: &mut Events) -> (Vec<pb::Event>, Vec<bool>) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let (mut events, mut flags) = (Vec::new(), Vec::new());
    while flags.last() != Some(&true) {
        let response = tokio::time::timeout_at(deadline, stream.message())
            .await
            .expect("the stream catches up")
            .expect("the stream")
            .expect("the stream goes on");
        events.extend(response.events);
        flags.push(response.caught_up);
    }
    (events, flags)
}

async fn the_stream_says_when_it_has_caught_up(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    for n in 0..5 {
        server.create_account(&format!("Caught {n}")).await;
    }
    let kept = server.query_i64("SELECT COUNT(*) FROM outbox_events", []).await;
    let earliest = pb::WatchEventsRequest {
        start: Start::Earliest as i32,
        batch_size: 2,
        ..Default::default()
    };
    let mut stream = watch(server.channel(), earliest).await;
    // On PostgreSQL a transaction still open anywhere in the cluster (another test's) holds events back,
    // so the stream may catch up more than once before it has them all.
    let mut events = Vec::new();
    while (events.len() as i64) < kept {
        let (batch, flags) = until_caught_up(&mut stream).await;
        assert!(flags[..flags.len() - 1].iter().all(|flag| !flag), "{flags:?}");
        events.extend(batch);
    }
    assert_eq!(events.len() as i64, kept, "every event kept, each once");

    // New events after catching up come with the flag again.
    let late = server.create_account("Late").await.id;
    let mut more = Vec::new();
    while more.is_empty() {
        more = until_caught_up(&mut stream).await.0;
    }
    assert_eq!(summary(&more), [created(&late)]);

    // A stream that starts at the end says so at once, with no events.
    let mut quiet = watch(server.channel(), from_now()).await;
    let (none, flags) = until_caught_up(&mut quiet).await;
    assert!(none.is_empty() && flags == [true], "{none:?} {flags:?}");
    server.stop().await;
}

// ----- what bounds a stream -----

/// Reads until the stream ends with a status (panics when it ends without one, or not within `within`).
async fn ended_with(stream: &mut Events, within: Duration) -> tonic::Status {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.message()).await {
            Err(_) => panic!("the stream still runs after {within:?}"),
            Ok(Ok(Some(_))) => {}
            Ok(Ok(None)) => panic!("the stream ended without a status"),
            Ok(Err(status)) => return status,
        }
    }
}

async fn key_id_of(channel: Authed) -> String {
    kam_tests::pb::identity_service_client::IdentityServiceClient::new(channel)
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .expect("who am i")
        .into_inner()
        .api_key_id
}

async fn a_stream_ends_soon_after_its_credential(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    // Revoked.
    let reader = server.caller_with_roles(&[Role::Executive]).await;
    let mut stream = watch(reader.channel(), from_now()).await;
    let id = key_id_of(reader.channel()).await;
    server
        .identity()
        .revoke_api_key(pb::RevokeApiKeyRequest { id })
        .await
        .expect("revoke the reader's key");
    let ended = ended_with(&mut stream, Duration::from_secs(5)).await;
    assert_error(&ended, Code::Unauthenticated);

    // Expired: a key good for two seconds.
    let staff = server.create_staff(pb::StaffLevel::Staff).await;
    let expiry = std::time::SystemTime::now() + Duration::from_secs(2);
    let seconds = expiry
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let secret = server
        .identity()
        .create_api_key(pb::CreateApiKeyRequest {
            staff_id: staff.id.clone(),
            display_name: "for two seconds".to_owned(),
            expire_time: Some(kam_tests::pbjson_types::Timestamp {
                seconds: i64::try_from(seconds).expect("a sane clock") + 1,
                nanos: 0,
            }),
        })
        .await
        .expect("an expiring key")
        .into_inner()
        .secret;
    let mut stream = watch(server.caller(staff.id.clone(), secret).channel(), from_now()).await;
    let ended = ended_with(&mut stream, Duration::from_secs(6)).await;
    assert_error(&ended, Code::Unauthenticated);

    // Its holder deactivated (the credential cache may take its five seconds).
    let leaver = server.caller_with_roles(&[Role::Executive]).await;
    let mut stream = watch(leaver.channel(), from_now()).await;
    server
        .teams()
        .deactivate_staff(pb::DeactivateStaffRequest {
            id: leaver.staff_id.clone(),
            etag: String::new(),
        })
        .await
        .expect("deactivate the reader");
    let ended = ended_with(&mut stream, Duration::from_secs(8)).await;
    assert_error(&ended, Code::Unauthenticated);

    // Its holder's roles changed: what the stream shows was decided by the old ones.
    let demoted = server.caller_with_roles(&[Role::Executive]).await;
    let mut stream = watch(demoted.channel(), from_now()).await;
    server
        .identity()
        .set_staff_roles(pb::SetStaffRolesRequest {
            staff_id: demoted.staff_id.clone(),
            roles: vec![Role::Member as i32],
        })
        .await
        .expect("demote the reader");
    let ended = ended_with(&mut stream, Duration::from_secs(5)).await;
    assert_error(&ended, Code::PermissionDenied);
    server.stop().await;
}

async fn a_principal_holds_a_few_streams_at_most(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |config| {
        config.integration.watch_poll_millis = 20;
        config.integration.max_streams_per_principal = 2;
    })
    .await
    else {
        return;
    };
    let reader = server.caller_with_roles(&[Role::Executive]).await;
    let first = watch(reader.channel(), from_now()).await;
    let _second = watch(reader.channel(), from_now()).await;
    let refused = client(reader.channel())
        .watch_events(from_now())
        .await
        .expect_err("a third stream");
    let info = assert_error(&refused, Code::ResourceExhausted);
    assert_eq!(info.reason, "TOO_MANY_STREAMS");
    let _someone_else = watch(server.channel(), from_now()).await;

    // A stream the client closes gives its slot back.
    drop(first);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match client(reader.channel()).watch_events(from_now()).await {
            Ok(_) => break,
            Err(status) => {
                assert_error(&status, Code::ResourceExhausted);
                assert!(tokio::time::Instant::now() < deadline, "the slot never came back");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    server.stop().await;
}

/// Reads until an event about `resource_id` has come; returns every event read.
async fn events_until(stream: &mut Events, resource_id: &str) -> Vec<pb::Event> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut events = Vec::new();
    while !events.iter().any(|e: &pb::Event| e.resource_id == resource_id) {
        let response = tokio::time::timeout_at(deadline, stream.message())
            .await
            .unwrap_or_else(|_| panic!("no event about {resource_id} came: {events:?}"))
            .expect("the stream")
            .expect("the stream goes on");
        events.extend(response.events);
    }
    events
}

async fn identity_events_reach_admins_only(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    // Making it creates a staff member, sets its roles and gives it a key.
    let executive = server.caller_with_roles(&[Role::Executive]).await;
    let asking_for_them = pb::WatchEventsRequest {
        start: Start::Earliest as i32,
        resource_types: ["api_key", "staff_roles", "staff", "account"]
            .map(str::to_owned)
            .to_vec(),
        ..Default::default()
    };
    let mut theirs = watch(executive.channel(), asking_for_them.clone()).await;
    let mut admins = watch(server.channel(), asking_for_them).await;
    let marker = server.create_account("Marker").await.id;

    let types = |events: &[pb::Event]| -> std::collections::BTreeSet<String> {
        events.iter().map(|e| e.resource_type.clone()).collect()
    };
    let seen = types(&events_until(&mut theirs, &marker).await);
    assert!(
        !seen.contains("api_key") && !seen.contains("staff_roles"),
        "an EXECUTIVE sees key and role events: {seen:?}"
    );
    assert!(
        seen.contains("staff"),
        "the staff directory is everyone's: {seen:?}"
    );
    let seen = types(&events_until(&mut admins, &marker).await);
    assert!(
        seen.contains("api_key") && seen.contains("staff_roles"),
        "the ADMIN sees them: {seen:?}"
    );
    server.stop().await;
}

/// The id of `staff_id`'s active seat on `account_id`'s team.
async fn seat_of(server: &TestServer, account_id: &str, staff_id: &str) -> String {
    server
        .teams()
        .list_team_members(pb::ListTeamMembersRequest {
            account_id: account_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("list the team")
        .into_inner()
        .members
        .into_iter()
        .find(|seat| seat.staff_id == staff_id)
        .expect("the seat")
        .id
}

/// A MEMBER's phone must drop what it may no longer hold: contacts deleted from its accounts, and every
/// resource of an account whose team it leaves; and get them back when it joins again.
async fn a_member_is_told_what_it_may_no_longer_hold(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let ours = server.create_account("Ours").await.id;
    let member = server.member_on_team(&ours).await;
    let kept = create_contact(&server, &ours).await.id;
    let doomed = create_contact(&server, &ours).await.id;
    let (_, contacts) = sync_until(member.channel(), SyncResource::Contacts, "", 0, |changes| {
        has(&kept)(changes) && has(&doomed)(changes)
    })
    .await;
    let (_, accounts) = sync_until(member.channel(), SyncResource::Accounts, "", 0, has(&ours)).await;

    server
        .accounts()
        .delete_contact(pb::DeleteContactRequest {
            id: doomed.clone(),
            etag: String::new(),
        })
        .await
        .expect("delete a contact of the member's account");
    let (_, contacts) = sync_until(
        member.channel(),
        SyncResource::Contacts,
        &contacts,
        0,
        tombstone(&doomed),
    )
    .await;

    let seat = seat_of(&server, &ours, &member.staff_id).await;
    server
        .teams()
        .remove_team_member(pb::RemoveTeamMemberRequest {
            id: seat,
            ..Default::default()
        })
        .await
        .expect("the member leaves the team");
    let (_, contacts) = sync_until(
        member.channel(),
        SyncResource::Contacts,
        &contacts,
        0,
        tombstone(&kept),
    )
    .await;
    sync_until(
        member.channel(),
        SyncResource::Accounts,
        &accounts,
        0,
        tombstone(&ours),
    )
    .await;

    server
        .teams()
        .add_team_member(pb::AddTeamMemberRequest {
            member: Some(pb::TeamMember {
                account_id: ours.clone(),
                staff_id: member.staff_id.clone(),
                role: pb::TeamRole::SalesSpecialist as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("the member joins again");
    sync_until(
        member.channel(),
        SyncResource::Contacts,
        &contacts,
        0,
        |changes| applied(changes).contains(&(kept.clone(), false)),
    )
    .await;
    server.stop().await;
}

/// An event an older server stored (its payload the server's own serialization, `payload_version` 0,
/// no changed fields) comes typed like a new one, converted to the message its type declares.
async fn events_stored_before_the_contract_come_typed(backend: Backend) {
    let Some(server) = start(backend).await else {
        return;
    };
    let account = server.create_account("Before").await;
    let legacy = serde_json::json!({
        "id": account.id,
        "external_id": null,
        "display_name": "Before, renamed",
        "legal_name": "",
        "industry": "Machinery",
        "region": "East",
        "parent_account_id": null,
        "lifecycle": "ACTIVE",
        "tier": "KEY",
        "relationship_stage": "VALUE_ADDED",
        "rad_status": "RETAIN",
        "create_time": "2026-03-14T09:26:53.589Z",
        "update_time": "2026-03-15T10:00:00Z",
        "delete_time": null,
        "revision": 3
    });
    server
        .execute(
            "INSERT INTO outbox_events (occurred_at, event_type, resource_type, resource_id, payload, \
             account_id) VALUES ($1, 'AccountUpdated', 'account', $2, $3, $4)",
            [
                chrono::Utc::now().into(),
                account.id.clone().into(),
                legacy.into(),
                account.id.parse::<uuid::Uuid>().unwrap().into(),
            ],
        )
        .await;
    let mut stream = watch(
        server.channel(),
        pb::WatchEventsRequest {
            start: Start::Earliest as i32,
            event_types: vec!["AccountUpdated".to_owned()],
            ..Default::default()
        },
    )
    .await;
    let (events, _) = next_events(&mut stream, 1).await;
    let Some(pb::event::Payload::AccountUpdated(converted)) = &events[0].payload else {
        panic!("not typed: {:?}", events[0]);
    };
    assert_eq!(
        (
            converted.id.as_str(),
            converted.display_name.as_str(),
            converted.region.as_str()
        ),
        (account.id.as_str(), "Before, renamed", "East")
    );
    assert_eq!(converted.lifecycle, pb::Lifecycle::Active as i32);
    assert_eq!(converted.etag, "r3", "the revision became the etag Get shows");
    let json: serde_json::Value = serde_json::from_str(&events[0].payload_json).unwrap();
    assert_eq!(json["displayName"], "Before, renamed", "{json}");
    assert!(
        json.get("display_name").is_none(),
        "served in the public JSON: {json}"
    );
    server.stop().await;
}

kam_tests::on_both_backends!(
    events_stored_before_the_contract_come_typed,
    resumes_without_gap_or_duplicate,
    filters_keep_the_types_asked_for,
    a_member_sees_its_teams_events_only,
    shutdown_ends_the_stream,
    a_full_sync_then_deltas_with_tombstones,
    a_member_syncs_its_teams_resources_only,
    a_members_full_sync_reads_only_its_teams_rows,
    the_stream_says_when_it_has_caught_up,
    deals_tickets_and_plan_actions_sync_like_accounts,
    the_change_feed_misses_nothing_under_concurrent_writes,
    a_stream_ends_soon_after_its_credential,
    a_principal_holds_a_few_streams_at_most,
    identity_events_reach_admins_only,
    a_member_is_told_what_it_may_no_longer_hold,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_out_of_order_commits_are_not_skipped() {
    let Some(server) = start(Backend::Postgres).await else {
        return;
    };
    out_of_order_commits_are_not_skipped(&server).await;
    out_of_order_changes_are_not_skipped(&server).await;
    server.stop().await;
}
