//! AccountService end to end: every behaviour of the accounts and contacts API through real gRPC, on
//! SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set).

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use futures::{StreamExt, TryStreamExt, stream};
use kam_tests::{
    TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{self, account_service_client::AccountServiceClient},
    pbjson_types::{FieldMask, Timestamp},
};
use prost::Message;
use sea_orm::Value;
use tonic::{Code, Status};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_request::MessageRequest,
    server_reflection_response::MessageResponse,
};

type Accounts = AccountServiceClient<kam_tests::Authed>;

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

fn named(display_name: &str) -> pb::Account {
    pb::Account {
        display_name: display_name.to_owned(),
        ..Default::default()
    }
}

fn create_request(account: pb::Account) -> pb::CreateAccountRequest {
    pb::CreateAccountRequest {
        account: Some(account),
        request_id: String::new(),
    }
}

async fn create(client: &mut Accounts, account: pb::Account) -> pb::Account {
    client
        .create_account(create_request(account))
        .await
        .expect("create account")
        .into_inner()
}

async fn create_named(client: &mut Accounts, display_name: &str) -> pb::Account {
    create(client, named(display_name)).await
}

async fn get(client: &mut Accounts, id: &str) -> pb::Account {
    client
        .get_account(pb::GetAccountRequest { id: id.to_owned() })
        .await
        .expect("get account")
        .into_inner()
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

async fn update(client: &mut Accounts, account: pb::Account, paths: &[&str]) -> Result<pb::Account, Status> {
    client
        .update_account(pb::UpdateAccountRequest {
            account: Some(account),
            update_mask: mask(paths),
            change_reason: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn delete(client: &mut Accounts, id: &str) -> Result<pb::Account, Status> {
    client
        .delete_account(pb::DeleteAccountRequest {
            id: id.to_owned(),
            etag: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn undelete(client: &mut Accounts, id: &str) -> Result<pb::Account, Status> {
    client
        .undelete_account(pb::UndeleteAccountRequest {
            id: id.to_owned(),
            etag: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Every page of a list, in order, failing on a runaway walk.
async fn list_pages(
    client: &mut Accounts,
    request: pb::ListAccountsRequest,
) -> Vec<pb::ListAccountsResponse> {
    let mut pages = Vec::new();
    let mut request = request;
    loop {
        let page = client
            .list_accounts(request.clone())
            .await
            .expect("list accounts")
            .into_inner();
        let next = page.next_page_token.clone();
        pages.push(page);
        assert!(pages.len() <= 2_000, "the list never ends");
        if next.is_empty() {
            return pages;
        }
        request.page_token = next;
    }
}

async fn list_all(client: &mut Accounts, request: pb::ListAccountsRequest) -> Vec<pb::Account> {
    list_pages(client, request)
        .await
        .into_iter()
        .flat_map(|page| page.accounts)
        .collect()
}

/// Every account, deleted ones too: the whole visible state, to check that a refused call wrote nothing.
async fn snapshot(client: &mut Accounts) -> Vec<pb::Account> {
    list_all(
        client,
        pb::ListAccountsRequest {
            show_deleted: true,
            page_size: 1000,
            ..Default::default()
        },
    )
    .await
}

fn names(accounts: &[pb::Account]) -> Vec<&str> {
    accounts.iter().map(|a| a.display_name.as_str()).collect()
}

fn ids(accounts: &[pb::Account]) -> Vec<&str> {
    accounts.iter().map(|a| a.id.as_str()).collect()
}

fn time(t: &Option<Timestamp>) -> (i64, i32) {
    let t = t.as_ref().expect("timestamp is set");
    (t.seconds, t.nanos)
}

fn is_uuid_v7(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 7)
}

fn contact(account_id: &str, full_name: &str) -> pb::Contact {
    pb::Contact {
        account_id: account_id.to_owned(),
        full_name: full_name.to_owned(),
        ..Default::default()
    }
}

async fn create_contact(client: &mut Accounts, contact: pb::Contact) -> Result<pb::Contact, Status> {
    client
        .create_contact(pb::CreateContactRequest {
            contact: Some(contact),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn get_contact(client: &mut Accounts, id: &str) -> Result<pb::Contact, Status> {
    client
        .get_contact(pb::GetContactRequest { id: id.to_owned() })
        .await
        .map(tonic::Response::into_inner)
}

async fn update_contact(
    client: &mut Accounts,
    contact: pb::Contact,
    paths: &[&str],
) -> Result<pb::Contact, Status> {
    client
        .update_contact(pb::UpdateContactRequest {
            contact: Some(contact),
            update_mask: mask(paths),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn list_contacts(client: &mut Accounts, request: pb::ListContactsRequest) -> Vec<pb::Contact> {
    let mut request = request;
    let mut all = Vec::new();
    for _ in 0..2_000 {
        let page = client
            .list_contacts(request.clone())
            .await
            .expect("list contacts")
            .into_inner();
        all.extend(page.contacts);
        if page.next_page_token.is_empty() {
            return all;
        }
        request.page_token = page.next_page_token;
    }
    panic!("the contact list never ends");
}

fn contact_names(contacts: &[pb::Contact]) -> Vec<&str> {
    contacts.iter().map(|c| c.full_name.as_str()).collect()
}

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

fn key_date(kind: pb::KeyDateKind, label: &str, when: Option<pb::Date>) -> pb::KeyDate {
    pb::KeyDate {
        kind: kind as i32,
        label: label.to_owned(),
        date: when,
        one_time: false,
    }
}

/// Creates `count` accounts named by `name(i)`, `concurrency` at a time (1: strictly one after another,
/// so creation order is the order of the result).
async fn create_many(
    server: &TestServer,
    count: usize,
    concurrency: usize,
    name: impl Fn(usize) -> String,
) -> Vec<pb::Account> {
    let client = server.accounts();
    stream::iter(0..count)
        .map(|i| {
            let mut client = client.clone();
            let account = named(&name(i));
            async move {
                client
                    .create_account(create_request(account))
                    .await
                    .map(tonic::Response::into_inner)
            }
        })
        .buffered(concurrency)
        .try_collect()
        .await
        .expect("create accounts")
}

async fn audit_count(server: &TestServer, resource_id: &str) -> i64 {
    server
        .query_i64(
            "SELECT count(*) FROM audit_entries WHERE resource_id = $1",
            [Value::from(resource_id.to_owned())],
        )
        .await
}

async fn outbox_count(server: &TestServer, resource_id: &str) -> i64 {
    server
        .query_i64(
            "SELECT count(*) FROM outbox_events WHERE resource_id = $1",
            [Value::from(resource_id.to_owned())],
        )
        .await
}

/// Walks `request` with page size 7 while another task inserts 50 accounts named by `new_name`,
/// paced so that the inserts land between the pages. Returns the rows seen, in order.
async fn walk_while_inserting(
    server: &TestServer,
    request: pb::ListAccountsRequest,
    new_name: fn(usize) -> String,
) -> (Vec<pb::Account>, usize) {
    const INSERTS: usize = 50;
    let (progress_tx, mut progress) = tokio::sync::watch::channel(0usize);
    let inserter = {
        let mut client = server.accounts();
        tokio::spawn(async move {
            for i in 0..INSERTS {
                create(&mut client, named(&new_name(i))).await;
                progress_tx.send_replace(i + 1);
            }
        })
    };

    let mut client = server.accounts();
    let mut request = pb::ListAccountsRequest {
        page_size: 7,
        ..request
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_accounts(request.clone())
            .await
            .expect("list accounts")
            .into_inner();
        pages += 1;
        assert!(page.accounts.len() <= 7, "a page larger than page_size");
        seen.extend(page.accounts);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
        // Let the writer get ahead: at least 3 more rows between consecutive pages.
        let want = (pages * 3).min(INSERTS);
        tokio::time::timeout(Duration::from_secs(30), progress.wait_for(|n| *n >= want))
            .await
            .expect("the inserter made no progress")
            .expect("the inserter stopped");
        assert!(pages < 500, "the walk never ends");
    }
    inserter.await.expect("the inserter panicked");
    (seen, pages)
}

fn assert_each_seen_once(seen: &[pb::Account], existing: &[pb::Account]) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for account in seen {
        *counts.entry(account.id.as_str()).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "rows served more than once: {repeated:?}");
    let missing: Vec<_> = existing
        .iter()
        .filter(|a| !counts.contains_key(a.id.as_str()))
        .map(|a| a.display_name.as_str())
        .collect();
    assert!(missing.is_empty(), "pre-existing rows never served: {missing:?}");
}

// ---------------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------------

backend_tests! {
    async fn relationship_changes_need_a_reason_and_are_kept_in_a_history(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Relationship Works").await;
        let moved = pb::Account {
            id: account.id.clone(),
            relationship_stage: pb::RelationshipStage::ValueAdded as i32,
            ..Default::default()
        };
        let status = update(&mut client, moved.clone(), &["relationship_stage"])
            .await
            .expect_err("no reason");
        assert_invalid_argument(&status, "change_reason");
        assert_eq!(get(&mut client, &account.id).await.relationship_stage(), pb::RelationshipStage::Transactional);

        let with_reason = |account: pb::Account, paths: &[&str], reason: &str| pb::UpdateAccountRequest {
            account: Some(account),
            update_mask: mask(paths),
            change_reason: reason.to_owned(),
        };
        client
            .update_account(with_reason(moved, &["relationship_stage"], "joint roadmap signed"))
            .await
            .expect("move with a reason");
        // Both at once: one history row.
        client
            .update_account(with_reason(
                pb::Account {
                    id: account.id.clone(),
                    relationship_stage: pb::RelationshipStage::StrategicPartner as i32,
                    rad_status: pb::RadStatus::Retain as i32,
                    ..Default::default()
                },
                &["relationship_stage", "rad_status"],
                "framework agreement",
            ))
            .await
            .expect("move both");
        // Setting the same values again changes nothing and needs no reason.
        update(
            &mut client,
            pb::Account {
                id: account.id.clone(),
                rad_status: pb::RadStatus::Retain as i32,
                region: "APAC".into(),
                ..Default::default()
            },
            &["rad_status", "region"],
        )
        .await
        .expect("no relationship change");

        let changes = client
            .list_relationship_changes(pb::ListRelationshipChangesRequest {
                account_id: account.id.clone(),
                ..Default::default()
            })
            .await
            .expect("history")
            .into_inner()
            .changes;
        let seen: Vec<_> = changes
            .iter()
            .map(|c| {
                (
                    c.old_relationship_stage(),
                    c.new_relationship_stage(),
                    c.old_rad_status(),
                    c.new_rad_status(),
                    c.reason.as_str(),
                )
            })
            .collect();
        use pb::{RadStatus as R, RelationshipStage as S};
        assert_eq!(
            seen,
            vec![
                (S::ValueAdded, S::StrategicPartner, R::Acquire, R::Retain, "framework agreement"),
                (S::Transactional, S::ValueAdded, R::Acquire, R::Acquire, "joint roadmap signed"),
            ],
            "newest first"
        );
        assert_eq!(changes[0].changed_by_staff_id, server.admin().staff_id);
    }

    // ----- accounts: happy paths -----

    async fn create_account_stores_the_fields_and_fills_the_defaults(server: &TestServer) {
        let mut client = server.accounts();
        let created = create(
            &mut client,
            pb::Account {
                external_id: "ERP-1".into(),
                display_name: "Acme".into(),
                legal_name: "Acme Industrial GmbH".into(),
                industry: "Machinery".into(),
                region: "EMEA".into(),
                ..Default::default()
            },
        )
        .await;
        assert!(is_uuid_v7(&created.id), "id {:?} is not a UUIDv7", created.id);
        assert_eq!(created.external_id, "ERP-1");
        assert_eq!(created.display_name, "Acme");
        assert_eq!(created.legal_name, "Acme Industrial GmbH");
        assert_eq!(created.industry, "Machinery");
        assert_eq!(created.region, "EMEA");
        assert_eq!(created.parent_account_id, "");
        assert_eq!(created.lifecycle(), pb::Lifecycle::Prospect);
        assert_eq!(created.tier(), pb::Tier::Standard);
        assert_eq!(created.relationship_stage(), pb::RelationshipStage::Transactional);
        assert_eq!(created.rad_status(), pb::RadStatus::Acquire);
        assert!(created.create_time.is_some());
        assert_eq!(created.create_time, created.update_time);
        assert_eq!(created.delete_time, None);
        assert!(!created.etag.is_empty());

        let fetched = get(&mut client, &created.id).await;
        assert_eq!(fetched, created);
    }

    async fn every_column_reads_back_into_its_own_field(server: &TestServer) {
        // GetAccount and ListAccounts decode a row by column position, writes by column name: a
        // column decoded into its neighbour's field shows here, with every column set and distinct.
        let mut client = server.accounts();
        let parent = create_named(&mut client, "Parent").await;
        let written = create(
            &mut client,
            pb::Account {
                external_id: "ERP-ALL".into(),
                display_name: "All columns".into(),
                legal_name: "All Columns AG".into(),
                industry: "Chemicals".into(),
                region: "DACH".into(),
                parent_account_id: parent.id.clone(),
                lifecycle: pb::Lifecycle::Active as i32,
                relationship_stage: pb::RelationshipStage::ValueAdded as i32,
                rad_status: pb::RadStatus::Develop as i32,
                key_dates: vec![key_date(
                    pb::KeyDateKind::FoundingAnniversary,
                    "founded",
                    date(1950, 4, 1),
                )],
                industry_code: "J".into(),
                ..Default::default()
            },
        )
        .await;
        let deleted = delete(&mut client, &written.id).await.expect("delete");
        assert!(deleted.delete_time.is_some());
        assert_ne!(deleted.create_time, deleted.update_time);

        assert_eq!(get(&mut client, &written.id).await, deleted);
        let listed = list_all(
            &mut client,
            pb::ListAccountsRequest {
                show_deleted: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(listed, [parent, deleted]);
    }

    async fn create_account_keeps_explicit_enum_values(server: &TestServer) {
        let mut client = server.accounts();
        let created = create(
            &mut client,
            pb::Account {
                display_name: "Globex".into(),
                lifecycle: pb::Lifecycle::Active as i32,
                relationship_stage: pb::RelationshipStage::StrategicPartner as i32,
                rad_status: pb::RadStatus::Retain as i32,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(created.lifecycle(), pb::Lifecycle::Active);
        assert_eq!(created.relationship_stage(), pb::RelationshipStage::StrategicPartner);
        assert_eq!(created.rad_status(), pb::RadStatus::Retain);
        assert_eq!(get(&mut client, &created.id).await, created);
    }

    async fn create_account_ignores_output_only_fields(server: &TestServer) {
        let mut client = server.accounts();
        let sent_id = uuid::Uuid::now_v7().to_string();
        let old = Timestamp { seconds: 1_000_000, nanos: 0 };
        let created = create(
            &mut client,
            pb::Account {
                id: sent_id.clone(),
                display_name: "Initech".into(),
                tier: pb::Tier::Strategic as i32,
                create_time: Some(old),
                update_time: Some(old),
                delete_time: Some(old),
                ..Default::default()
            },
        )
        .await;
        assert_ne!(created.id, sent_id);
        assert_eq!(created.tier(), pb::Tier::Standard);
        assert_ne!(created.create_time, Some(old));
        assert_eq!(created.delete_time, None);
        let listed = list_all(&mut client, pb::ListAccountsRequest::default()).await;
        assert_eq!(ids(&listed), [created.id.as_str()]);
    }

    async fn create_accepts_a_200_character_name_counted_in_characters(server: &TestServer) {
        let mut client = server.accounts();
        let name = "é".repeat(200);
        let created = create_named(&mut client, &name).await;
        assert_eq!(get(&mut client, &created.id).await.display_name, name);
    }

    async fn update_account_writes_only_the_masked_fields(server: &TestServer) {
        let mut client = server.accounts();
        let created = create(
            &mut client,
            pb::Account {
                display_name: "Old".into(),
                legal_name: "Old Legal".into(),
                region: "EMEA".into(),
                ..Default::default()
            },
        )
        .await;
        let updated = update(
            &mut client,
            pb::Account {
                id: created.id.clone(),
                display_name: "New".into(),
                legal_name: "Not written".into(),
                region: "".into(),
                lifecycle: pb::Lifecycle::Active as i32,
                ..Default::default()
            },
            &["display_name", "lifecycle"],
        )
        .await
        .expect("update");
        assert_eq!(updated.display_name, "New");
        assert_eq!(updated.lifecycle(), pb::Lifecycle::Active);
        assert_eq!(updated.legal_name, "Old Legal");
        assert_eq!(updated.region, "EMEA");
        assert_eq!(updated.create_time, created.create_time);
        assert!(time(&updated.update_time) >= time(&created.update_time));
        assert_ne!(updated.etag, created.etag);
        assert_eq!(get(&mut client, &created.id).await, updated);
    }

    async fn update_account_mask_can_clear_a_field(server: &TestServer) {
        let mut client = server.accounts();
        let created = create(
            &mut client,
            pb::Account {
                display_name: "Acme".into(),
                region: "EMEA".into(),
                industry: "Steel".into(),
                ..Default::default()
            },
        )
        .await;
        let updated = update(
            &mut client,
            pb::Account {
                id: created.id.clone(),
                ..Default::default()
            },
            &["region"],
        )
        .await
        .expect("update");
        assert_eq!(updated.region, "");
        assert_eq!(updated.industry, "Steel");
        assert_eq!(updated.display_name, "Acme");
    }

    async fn update_account_with_empty_mask_writes_the_populated_fields(server: &TestServer) {
        let mut client = server.accounts();
        let created = create(
            &mut client,
            pb::Account {
                display_name: "Acme".into(),
                legal_name: "Acme Legal".into(),
                region: "EMEA".into(),
                ..Default::default()
            },
        )
        .await;
        let updated = update(
            &mut client,
            pb::Account {
                id: created.id.clone(),
                region: "APAC".into(),
                lifecycle: pb::Lifecycle::Active as i32,
                // Output only: ignored, not stored.
                tier: pb::Tier::Strategic as i32,
                ..Default::default()
            },
            &[],
        )
        .await
        .expect("update");
        assert_eq!(updated.region, "APAC");
        assert_eq!(updated.lifecycle(), pb::Lifecycle::Active);
        assert_eq!(updated.display_name, "Acme");
        assert_eq!(updated.legal_name, "Acme Legal");
        assert_eq!(updated.tier(), pb::Tier::Standard);
        assert_eq!(get(&mut client, &created.id).await, updated);
    }

    async fn update_account_sets_and_clears_the_parent(server: &TestServer) {
        let mut client = server.accounts();
        let group = create_named(&mut client, "Group").await;
        let child = create_named(&mut client, "Child").await;
        let linked = update(
            &mut client,
            pb::Account {
                id: child.id.clone(),
                parent_account_id: group.id.clone(),
                ..Default::default()
            },
            &["parent_account_id"],
        )
        .await
        .expect("set parent");
        assert_eq!(linked.parent_account_id, group.id);
        let unlinked = update(
            &mut client,
            pb::Account {
                id: child.id.clone(),
                ..Default::default()
            },
            &["parent_account_id"],
        )
        .await
        .expect("clear parent");
        assert_eq!(unlinked.parent_account_id, "");
        assert_eq!(get(&mut client, &child.id).await.parent_account_id, "");
    }

    async fn list_accounts_defaults_to_creation_order(server: &TestServer) {
        let mut client = server.accounts();
        let mut created = Vec::new();
        for name in ["Charlie", "Alpha", "Bravo"] {
            created.push(create_named(&mut client, name).await);
        }
        let listed = list_all(&mut client, pb::ListAccountsRequest::default()).await;
        assert_eq!(listed, created);
    }

    // ----- paging -----

    async fn paging_in_creation_order_serves_every_row_once_while_rows_are_inserted(server: &TestServer) {
        let existing = create_many(server, 120, 1, |i| format!("Row {i:03}")).await;
        let (seen, pages) = walk_while_inserting(
            server,
            pb::ListAccountsRequest::default(),
            |i| format!("New {i:03}"),
        )
        .await;
        assert!(pages >= 18, "120 rows at 7 a page need at least 18 pages, got {pages}");
        assert_each_seen_once(&seen, &existing);
        let times: Vec<_> = seen.iter().map(|a| time(&a.create_time)).collect();
        assert!(times.is_sorted(), "creation order broken across pages");
        // The pre-existing rows come in the order they were created (ids are UUIDv7).
        let existing_ids: HashSet<&str> = ids(&existing).into_iter().collect();
        let served_existing: Vec<&str> =
            ids(&seen).into_iter().filter(|id| existing_ids.contains(id)).collect();
        assert_eq!(served_existing, ids(&existing));
        assert_eq!(snapshot(&mut server.accounts()).await.len(), 170);
    }

    async fn paging_by_display_name_serves_every_row_once_while_rows_are_inserted(server: &TestServer) {
        // Pairs of rows share a name, so the order needs its tie-breaker; the new rows sort in between.
        let existing = create_many(server, 120, 8, |i| format!("Row {:03}", i / 2)).await;
        let (seen, _) = walk_while_inserting(
            server,
            pb::ListAccountsRequest {
                order_by: "display_name".into(),
                ..Default::default()
            },
            |i| format!("Row {:03}+", (i * 37) % 60),
        )
        .await;
        assert_each_seen_once(&seen, &existing);
        let served = names(&seen);
        assert!(served.is_sorted(), "display_name order broken across pages: {served:?}");
    }

    async fn paging_by_display_name_desc_walks_backwards(server: &TestServer) {
        create_many(server, 15, 4, |i| format!("Name {i:02}")).await;
        let mut client = server.accounts();
        let pages = list_pages(
            &mut client,
            pb::ListAccountsRequest {
                order_by: "display_name desc".into(),
                page_size: 4,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(pages.len(), 4);
        let served: Vec<String> = pages
            .iter()
            .flat_map(|p| p.accounts.iter().map(|a| a.display_name.clone()))
            .collect();
        let expected: Vec<String> = (0..15).rev().map(|i| format!("Name {i:02}")).collect();
        assert_eq!(served, expected);
    }

    async fn page_size_defaults_to_50_and_is_clamped_to_1000(server: &TestServer) {
        create_many(server, 1001, 8, |i| format!("Bulk {i:04}")).await;
        let mut client = server.accounts();

        let first = client
            .list_accounts(pb::ListAccountsRequest::default())
            .await
            .expect("list")
            .into_inner();
        assert_eq!(first.accounts.len(), 50);
        assert!(!first.next_page_token.is_empty());

        let clamped = client
            .list_accounts(pb::ListAccountsRequest {
                page_size: 5000,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        assert_eq!(clamped.accounts.len(), 1000);
        assert!(!clamped.next_page_token.is_empty());
        let rest = client
            .list_accounts(pb::ListAccountsRequest {
                page_size: 5000,
                page_token: clamped.next_page_token,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        assert_eq!(rest.accounts.len(), 1);
        assert_eq!(rest.next_page_token, "");
    }

    async fn next_page_token_is_empty_only_on_the_last_page(server: &TestServer) {
        create_many(server, 6, 1, |i| format!("A{i}")).await;
        let mut client = server.accounts();
        let pages = list_pages(
            &mut client,
            pb::ListAccountsRequest {
                page_size: 3,
                ..Default::default()
            },
        )
        .await;
        let sizes: Vec<usize> = pages.iter().map(|p| p.accounts.len()).collect();
        // An exact multiple may end with an empty last page, but never with a token on it.
        assert!(sizes == [3, 3] || sizes == [3, 3, 0], "page sizes {sizes:?}");
        assert_eq!(pages.last().unwrap().next_page_token, "");
    }

    async fn negative_page_size_is_invalid(server: &TestServer) {
        let mut client = server.accounts();
        let status = client
            .list_accounts(pb::ListAccountsRequest {
                page_size: -1,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "page_size");
        let status = client
            .list_contacts(pb::ListContactsRequest {
                page_size: -5,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "page_size");
    }

    async fn malformed_page_token_is_invalid(server: &TestServer) {
        let mut client = server.accounts();
        for token in ["not a token", "%%%", "AAAA"] {
            let status = client
                .list_accounts(pb::ListAccountsRequest {
                    page_token: token.into(),
                    ..Default::default()
                })
                .await
                .unwrap_err();
            assert_invalid_argument(&status, "page_token");
        }
        let status = client
            .list_contacts(pb::ListContactsRequest {
                page_token: "garbage!".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "page_token");
    }

    async fn page_token_is_bound_to_its_filter_and_order(server: &TestServer) {
        create_many(server, 5, 1, |i| format!("Acme {i}")).await;
        let mut client = server.accounts();
        let first = client
            .list_accounts(pb::ListAccountsRequest {
                page_size: 2,
                query: "acme".into(),
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        let token = first.next_page_token;
        assert!(!token.is_empty());

        // The same query with another page size continues.
        let next = client
            .list_accounts(pb::ListAccountsRequest {
                page_size: 3,
                page_token: token.clone(),
                query: "acme".into(),
                ..Default::default()
            })
            .await
            .expect("same query, other page size")
            .into_inner();
        assert_eq!(next.accounts.len(), 3);

        let other_filter = client
            .list_accounts(pb::ListAccountsRequest {
                page_size: 2,
                page_token: token.clone(),
                query: "other".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&other_filter, "page_token");
        let other_order = client
            .list_accounts(pb::ListAccountsRequest {
                page_size: 2,
                page_token: token.clone(),
                query: "acme".into(),
                order_by: "display_name".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&other_order, "page_token");
        let show_deleted = client
            .list_accounts(pb::ListAccountsRequest {
                page_size: 2,
                page_token: token,
                query: "acme".into(),
                show_deleted: true,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&show_deleted, "page_token");
    }

    // ----- etags -----

    async fn stale_etag_is_aborted_and_changes_nothing(server: &TestServer) {
        let mut client = server.accounts();
        let created = create_named(&mut client, "Acme").await;
        let first = update(
            &mut client,
            pb::Account {
                id: created.id.clone(),
                display_name: "Acme 2".into(),
                etag: created.etag.clone(),
                ..Default::default()
            },
            &["display_name"],
        )
        .await
        .expect("update with the current etag");
        assert_ne!(first.etag, created.etag, "a write must change the etag");

        let status = update(
            &mut client,
            pb::Account {
                id: created.id.clone(),
                display_name: "Lost update".into(),
                etag: created.etag.clone(),
                ..Default::default()
            },
            &["display_name"],
        )
        .await
        .unwrap_err();
        assert_error(&status, Code::Aborted);
        assert_eq!(get(&mut client, &created.id).await, first);

        let status = client
            .delete_account(pb::DeleteAccountRequest {
                id: created.id.clone(),
                etag: created.etag.clone(),
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::Aborted);
        assert_eq!(get(&mut client, &created.id).await, first);

        let deleted = client
            .delete_account(pb::DeleteAccountRequest {
                id: created.id.clone(),
                etag: first.etag.clone(),
            })
            .await
            .expect("delete with the current etag")
            .into_inner();
        assert!(deleted.delete_time.is_some());
        assert_ne!(deleted.etag, first.etag);

        let status = client
            .undelete_account(pb::UndeleteAccountRequest {
                id: created.id.clone(),
                etag: first.etag.clone(),
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::Aborted);
        assert!(get(&mut client, &created.id).await.delete_time.is_some());
    }

    async fn stale_contact_etag_is_aborted_and_changes_nothing(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let created = create_contact(&mut client, contact(&account.id, "Ada")).await.expect("create");
        let updated = update_contact(
            &mut client,
            pb::Contact {
                id: created.id.clone(),
                title: "CTO".into(),
                etag: created.etag.clone(),
                ..Default::default()
            },
            &["title"],
        )
        .await
        .expect("update with the current etag");
        assert_ne!(updated.etag, created.etag);
        let status = update_contact(
            &mut client,
            pb::Contact {
                id: created.id.clone(),
                title: "CEO".into(),
                etag: created.etag.clone(),
                ..Default::default()
            },
            &["title"],
        )
        .await
        .unwrap_err();
        assert_error(&status, Code::Aborted);
        let status = client
            .delete_contact(pb::DeleteContactRequest {
                id: created.id.clone(),
                etag: created.etag.clone(),
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::Aborted);
        assert_eq!(get_contact(&mut client, &created.id).await.expect("still there"), updated);
    }

    // ----- idempotent create -----

    async fn create_with_the_same_request_id_returns_the_first_account(server: &TestServer) {
        let mut client = server.accounts();
        let request_id = uuid::Uuid::now_v7().to_string();
        let request = pb::CreateAccountRequest {
            account: Some(named("Acme")),
            request_id: request_id.clone(),
        };
        let first = client.create_account(request.clone()).await.expect("first").into_inner();
        let retry = client.create_account(request).await.expect("retry").into_inner();
        assert_eq!(retry, first);
        assert_eq!(ids(&snapshot(&mut client).await), [first.id.as_str()]);

        // Another request id makes another account.
        let other = client
            .create_account(pb::CreateAccountRequest {
                account: Some(named("Acme")),
                request_id: uuid::Uuid::now_v7().to_string(),
            })
            .await
            .expect("other request id")
            .into_inner();
        assert_ne!(other.id, first.id);
        assert_eq!(snapshot(&mut client).await.len(), 2);
    }

    async fn concurrent_retries_with_one_request_id_create_one_account(server: &TestServer) {
        let request = pb::CreateAccountRequest {
            account: Some(named("Acme")),
            request_id: uuid::Uuid::now_v7().to_string(),
        };
        let results: Vec<Result<pb::Account, Status>> = stream::iter(0..6)
            .map(|_| {
                let mut client = server.accounts();
                let request = request.clone();
                async move { client.create_account(request).await.map(tonic::Response::into_inner) }
            })
            .buffer_unordered(6)
            .collect()
            .await;
        let accounts: Vec<pb::Account> = results
            .into_iter()
            .map(|r| r.expect("every retry answers with the account"))
            .collect();
        assert!(accounts.iter().all(|a| *a == accounts[0]), "retries answered different accounts");
        assert_eq!(ids(&snapshot(&mut server.accounts()).await), [accounts[0].id.as_str()]);
    }

    async fn create_with_a_reused_request_id_and_another_request_is_invalid(server: &TestServer) {
        let mut client = server.accounts();
        let request_id = uuid::Uuid::now_v7().to_string();
        let first = client
            .create_account(pb::CreateAccountRequest {
                account: Some(named("Acme")),
                request_id: request_id.clone(),
            })
            .await
            .expect("first")
            .into_inner();
        let status = client
            .create_account(pb::CreateAccountRequest {
                account: Some(named("Globex")),
                request_id,
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "request_id");
        assert_eq!(snapshot(&mut client).await, [first]);
    }

    async fn create_with_an_invalid_request_id_is_invalid(server: &TestServer) {
        let mut client = server.accounts();
        let status = client
            .create_account(pb::CreateAccountRequest {
                account: Some(named("Acme")),
                request_id: "not-a-uuid".into(),
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "request_id");
        assert!(snapshot(&mut client).await.is_empty());

        let account = create_named(&mut client, "Acme").await;
        let status = client
            .create_contact(pb::CreateContactRequest {
                contact: Some(contact(&account.id, "Ada")),
                request_id: "1234".into(),
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "request_id");
        assert!(list_contacts(&mut client, pb::ListContactsRequest::default()).await.is_empty());
    }

    async fn create_contact_with_the_same_request_id_creates_one_contact(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let request = pb::CreateContactRequest {
            contact: Some(contact(&account.id, "Ada")),
            request_id: uuid::Uuid::now_v7().to_string(),
        };
        let first = client.create_contact(request.clone()).await.expect("first").into_inner();
        let retry = client.create_contact(request).await.expect("retry").into_inner();
        assert_eq!(retry, first);
        let all = list_contacts(&mut client, pb::ListContactsRequest::default()).await;
        assert_eq!(contact_names(&all), ["Ada"]);
    }

    // ----- validation -----

    async fn invalid_account_fields_are_refused_and_nothing_is_written(server: &TestServer) {
        let mut client = server.accounts();
        let existing = create_named(&mut client, "Existing").await;
        let before = snapshot(&mut client).await;

        let cases: Vec<(pb::Account, &str)> = vec![
            (named(""), "account.display_name"),
            (named(&"x".repeat(201)), "account.display_name"),
            (
                pb::Account {
                    parent_account_id: "not-a-uuid".into(),
                    ..named("Child")
                },
                "account.parent_account_id",
            ),
            (
                pb::Account {
                    lifecycle: 99,
                    ..named("Odd")
                },
                "account.lifecycle",
            ),
            (
                pb::Account {
                    relationship_stage: 42,
                    ..named("Odd")
                },
                "account.relationship_stage",
            ),
            (
                pb::Account {
                    rad_status: -3,
                    ..named("Odd")
                },
                "account.rad_status",
            ),
            (
                pb::Account {
                    legal_name: "l".repeat(201),
                    ..named("Long legal")
                },
                "account.legal_name",
            ),
            (
                pb::Account {
                    region: "r".repeat(101),
                    ..named("Long region")
                },
                "account.region",
            ),
            (
                pb::Account {
                    external_id: "e".repeat(129),
                    ..named("Long external id")
                },
                "account.external_id",
            ),
        ];
        for (account, field) in cases {
            let status = client.create_account(create_request(account)).await.unwrap_err();
            assert_invalid_argument(&status, field);
        }
        assert_eq!(snapshot(&mut client).await, before);

        let update_cases: Vec<(pb::Account, Vec<&str>, &str)> = vec![
            (
                pb::Account {
                    id: existing.id.clone(),
                    ..Default::default()
                },
                vec!["display_name"],
                "account.display_name",
            ),
            (
                pb::Account {
                    id: existing.id.clone(),
                    display_name: "y".repeat(201),
                    ..Default::default()
                },
                vec![],
                "account.display_name",
            ),
            (
                pb::Account {
                    id: existing.id.clone(),
                    lifecycle: 99,
                    ..Default::default()
                },
                vec!["lifecycle"],
                "account.lifecycle",
            ),
            (
                pb::Account {
                    id: existing.id.clone(),
                    parent_account_id: "xyz".into(),
                    ..Default::default()
                },
                vec!["parent_account_id"],
                "account.parent_account_id",
            ),
            (
                pb::Account {
                    id: existing.id.clone(),
                    display_name: "Renamed".into(),
                    ..Default::default()
                },
                vec!["display_name", "no_such_field"],
                "update_mask",
            ),
        ];
        for (account, paths, field) in update_cases {
            let status = update(&mut client, account, &paths).await.unwrap_err();
            assert_invalid_argument(&status, field);
        }
        assert_eq!(snapshot(&mut client).await, before);
    }

    async fn invalid_ids_are_refused(server: &TestServer) {
        let mut client = server.accounts();
        let status = client
            .get_account(pb::GetAccountRequest { id: "nope".into() })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "id");
        let status = client
            .get_account(pb::GetAccountRequest { id: String::new() })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "id");
        assert_invalid_argument(&delete(&mut client, "12345").await.unwrap_err(), "id");
        assert_invalid_argument(&undelete(&mut client, "12345").await.unwrap_err(), "id");
        let status = client
            .get_contact(pb::GetContactRequest { id: "nope".into() })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "id");
        let status = client
            .delete_contact(pb::DeleteContactRequest {
                id: "nope".into(),
                etag: String::new(),
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "id");
        let status = client
            .list_accounts(pb::ListAccountsRequest {
                parent_account_id: "nope".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "parent_account_id");
        let status = client
            .list_contacts(pb::ListContactsRequest {
                account_id: "nope".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "account_id");
    }

    async fn unknown_list_filter_values_are_invalid(server: &TestServer) {
        let mut client = server.accounts();
        let status = client
            .list_accounts(pb::ListAccountsRequest {
                lifecycle: 99,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "lifecycle");
        let status = client
            .list_accounts(pb::ListAccountsRequest {
                tier: 77,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "tier");
        let status = client
            .list_contacts(pb::ListContactsRequest {
                buying_role: 42,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "buying_role");
    }

    async fn invalid_contact_fields_are_refused_and_nothing_is_written(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let existing = create_contact(&mut client, contact(&account.id, "Existing"))
            .await
            .expect("create");

        let cases: Vec<(pb::Contact, &str)> = vec![
            (contact(&account.id, ""), "contact.full_name"),
            (contact(&account.id, &"n".repeat(201)), "contact.full_name"),
            (contact("", "No account"), "contact.account_id"),
            (contact("not-a-uuid", "Bad account"), "contact.account_id"),
            (
                pb::Contact {
                    relationship_strength: 6,
                    ..contact(&account.id, "Too strong")
                },
                "contact.relationship_strength",
            ),
            (
                pb::Contact {
                    relationship_strength: -1,
                    ..contact(&account.id, "Too weak")
                },
                "contact.relationship_strength",
            ),
            (
                pb::Contact {
                    key_dates: vec![key_date(pb::KeyDateKind::Birthday, "", date(2023, 2, 30))],
                    ..contact(&account.id, "Bad date")
                },
                "contact.key_dates[0].date",
            ),
            (
                pb::Contact {
                    key_dates: vec![
                        key_date(pb::KeyDateKind::Birthday, "", date(0, 5, 17)),
                        key_date(pb::KeyDateKind::WorkAnniversary, "", date(2020, 13, 1)),
                    ],
                    ..contact(&account.id, "Bad month")
                },
                "contact.key_dates[1].date",
            ),
            (
                pb::Contact {
                    key_dates: vec![key_date(pb::KeyDateKind::Birthday, "", date(2020, 0, 10))],
                    ..contact(&account.id, "Month zero")
                },
                "contact.key_dates[0].date",
            ),
            (
                pb::Contact {
                    key_dates: vec![key_date(pb::KeyDateKind::Birthday, "", date(2023, 2, 29))],
                    ..contact(&account.id, "Not a leap year")
                },
                "contact.key_dates[0].date",
            ),
            (
                pb::Contact {
                    key_dates: vec![key_date(pb::KeyDateKind::Birthday, "", None)],
                    ..contact(&account.id, "No date")
                },
                "contact.key_dates[0].date",
            ),
            (
                pb::Contact {
                    key_dates: vec![key_date(pb::KeyDateKind::Other, "", date(2020, 1, 1))],
                    ..contact(&account.id, "Unlabelled")
                },
                "contact.key_dates[0].label",
            ),
            (
                pb::Contact {
                    key_dates: (1..=21)
                        .map(|day| key_date(pb::KeyDateKind::Other, "Visit", date(2024, 1, day)))
                        .collect(),
                    ..contact(&account.id, "Too many dates")
                },
                "contact.key_dates",
            ),
            (
                pb::Contact {
                    buying_role: 99,
                    ..contact(&account.id, "Odd role")
                },
                "contact.buying_role",
            ),
            (
                pb::Contact {
                    attitude: 99,
                    ..contact(&account.id, "Odd attitude")
                },
                "contact.attitude",
            ),
            (
                pb::Contact {
                    reports_to_contact_id: "boss".into(),
                    ..contact(&account.id, "Bad boss")
                },
                "contact.reports_to_contact_id",
            ),
        ];
        for (contact, field) in cases {
            let status = create_contact(&mut client, contact).await.unwrap_err();
            assert_invalid_argument(&status, field);
        }
        let all = list_contacts(
            &mut client,
            pb::ListContactsRequest {
                show_inactive: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(all, std::slice::from_ref(&existing));

        let update_cases: Vec<(pb::Contact, Vec<&str>, &str)> = vec![
            (
                pb::Contact {
                    id: existing.id.clone(),
                    relationship_strength: 9,
                    ..Default::default()
                },
                vec![],
                "contact.relationship_strength",
            ),
            (
                pb::Contact {
                    id: existing.id.clone(),
                    key_dates: vec![key_date(pb::KeyDateKind::Birthday, "", date(2021, 4, 31))],
                    ..Default::default()
                },
                vec!["key_dates"],
                "contact.key_dates[0].date",
            ),
            (
                pb::Contact {
                    id: existing.id.clone(),
                    ..Default::default()
                },
                vec!["full_name"],
                "contact.full_name",
            ),
            (
                pb::Contact {
                    id: existing.id.clone(),
                    title: "CTO".into(),
                    ..Default::default()
                },
                vec!["title", "bogus"],
                "update_mask",
            ),
            (
                pb::Contact {
                    id: existing.id.clone(),
                    ..Default::default()
                },
                vec!["account_id"],
                "update_mask",
            ),
        ];
        for (contact, paths, field) in update_cases {
            let status = update_contact(&mut client, contact, &paths).await.unwrap_err();
            assert_invalid_argument(&status, field);
        }
        assert_eq!(get_contact(&mut client, &existing.id).await.expect("get"), existing);
    }

    // ----- filters and order -----

    async fn list_query_matches_display_or_legal_name_case_insensitively(server: &TestServer) {
        let mut client = server.accounts();
        create(
            &mut client,
            pb::Account {
                legal_name: "Schmidt Holding AG".into(),
                ..named("Alpha")
            },
        )
        .await;
        create_named(&mut client, "HOLDING Beta").await;
        create_named(&mut client, "Gamma").await;
        let found = list_all(
            &mut client,
            pb::ListAccountsRequest {
                query: "hOlDiNg".into(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(names(&found), ["Alpha", "HOLDING Beta"]);
        let found = list_all(
            &mut client,
            pb::ListAccountsRequest {
                query: "amm".into(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(names(&found), ["Gamma"]);
        let found = list_all(
            &mut client,
            pb::ListAccountsRequest {
                query: "zzz".into(),
                ..Default::default()
            },
        )
        .await;
        assert!(found.is_empty());
    }

    async fn list_query_treats_like_wildcards_literally(server: &TestServer) {
        let mut client = server.accounts();
        create_named(&mut client, "100% Steel").await;
        create_named(&mut client, "1000 Steel").await;
        create_named(&mut client, "a_b").await;
        create_named(&mut client, "axb").await;
        let found = list_all(
            &mut client,
            pb::ListAccountsRequest {
                query: "0%".into(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(names(&found), ["100% Steel"]);
        let found = list_all(
            &mut client,
            pb::ListAccountsRequest {
                query: "a_b".into(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(names(&found), ["a_b"]);
    }

    async fn list_filters_by_lifecycle_region_industry_and_parent(server: &TestServer) {
        let mut client = server.accounts();
        let group = create(
            &mut client,
            pb::Account {
                region: "EMEA".into(),
                industry: "Chemicals".into(),
                lifecycle: pb::Lifecycle::Active as i32,
                ..named("Group")
            },
        )
        .await;
        create(
            &mut client,
            pb::Account {
                region: "EMEA".into(),
                parent_account_id: group.id.clone(),
                ..named("Sub EMEA")
            },
        )
        .await;
        create(
            &mut client,
            pb::Account {
                region: "APAC".into(),
                industry: "Chemicals".into(),
                parent_account_id: group.id.clone(),
                lifecycle: pb::Lifecycle::Active as i32,
                ..named("Sub APAC")
            },
        )
        .await;
        create(
            &mut client,
            pb::Account {
                region: "emea".into(),
                lifecycle: pb::Lifecycle::Churned as i32,
                ..named("Other")
            },
        )
        .await;

        let by = |request: pb::ListAccountsRequest| {
            let mut client = client.clone();
            async move { list_all(&mut client, request).await }
        };
        let active = by(pb::ListAccountsRequest {
            lifecycle: pb::Lifecycle::Active as i32,
            ..Default::default()
        })
        .await;
        assert_eq!(names(&active), ["Group", "Sub APAC"]);
        let emea = by(pb::ListAccountsRequest {
            region: "EMEA".into(),
            ..Default::default()
        })
        .await;
        assert_eq!(names(&emea), ["Group", "Sub EMEA"]);
        let chemicals = by(pb::ListAccountsRequest {
            industry: "Chemicals".into(),
            ..Default::default()
        })
        .await;
        assert_eq!(names(&chemicals), ["Group", "Sub APAC"]);
        let children = by(pb::ListAccountsRequest {
            parent_account_id: group.id.clone(),
            ..Default::default()
        })
        .await;
        assert_eq!(names(&children), ["Sub EMEA", "Sub APAC"]);
        let combined = by(pb::ListAccountsRequest {
            parent_account_id: group.id.clone(),
            lifecycle: pb::Lifecycle::Active as i32,
            region: "APAC".into(),
            ..Default::default()
        })
        .await;
        assert_eq!(names(&combined), ["Sub APAC"]);
        let churned = by(pb::ListAccountsRequest {
            lifecycle: pb::Lifecycle::Churned as i32,
            ..Default::default()
        })
        .await;
        assert_eq!(names(&churned), ["Other"]);
        let standard = by(pb::ListAccountsRequest {
            tier: pb::Tier::Standard as i32,
            ..Default::default()
        })
        .await;
        assert_eq!(standard.len(), 4, "new accounts are STANDARD");
        let strategic = by(pb::ListAccountsRequest {
            tier: pb::Tier::Strategic as i32,
            ..Default::default()
        })
        .await;
        assert!(strategic.is_empty());
    }

    async fn order_by_accepts_the_allow_list_and_refuses_anything_else(server: &TestServer) {
        let mut client = server.accounts();
        let mut created = Vec::new();
        for name in ["Bravo", "Charlie", "Alpha"] {
            created.push(create_named(&mut client, name).await);
        }
        // Touch "Bravo" last so update order differs from creation order.
        update(
            &mut client,
            pb::Account {
                id: created[0].id.clone(),
                industry: "Updated".into(),
                ..Default::default()
            },
            &["industry"],
        )
        .await
        .expect("update");

        let expect = [
            ("", vec!["Bravo", "Charlie", "Alpha"]),
            ("create_time", vec!["Bravo", "Charlie", "Alpha"]),
            ("create_time desc", vec!["Alpha", "Charlie", "Bravo"]),
            ("display_name", vec!["Alpha", "Bravo", "Charlie"]),
            ("display_name desc", vec!["Charlie", "Bravo", "Alpha"]),
            ("update_time", vec!["Charlie", "Alpha", "Bravo"]),
            ("update_time desc", vec!["Bravo", "Alpha", "Charlie"]),
        ];
        for (order_by, expected) in expect {
            let listed = list_all(
                &mut client,
                pb::ListAccountsRequest {
                    order_by: order_by.into(),
                    page_size: 2,
                    ..Default::default()
                },
            )
            .await;
            assert_eq!(names(&listed), expected, "order_by {order_by:?}");
        }
        for bad in ["bogus", "display_name asc desc", "legal_name", "id; DROP TABLE accounts"] {
            let status = client
                .list_accounts(pb::ListAccountsRequest {
                    order_by: bad.into(),
                    ..Default::default()
                })
                .await
                .unwrap_err();
            assert_invalid_argument(&status, "order_by");
        }
        let status = client
            .list_contacts(pb::ListContactsRequest {
                order_by: "display_name".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "order_by");
    }

    // ----- uniqueness and parents -----

    async fn duplicate_external_id_already_exists(server: &TestServer) {
        let mut client = server.accounts();
        let first = create(
            &mut client,
            pb::Account {
                external_id: "ERP-7".into(),
                ..named("First")
            },
        )
        .await;
        let status = client
            .create_account(create_request(pb::Account {
                external_id: "ERP-7".into(),
                ..named("Second")
            }))
            .await
            .unwrap_err();
        assert_error(&status, Code::AlreadyExists);

        let second = create(
            &mut client,
            pb::Account {
                external_id: "ERP-8".into(),
                ..named("Second")
            },
        )
        .await;
        let status = update(
            &mut client,
            pb::Account {
                id: second.id.clone(),
                external_id: "ERP-7".into(),
                ..Default::default()
            },
            &["external_id"],
        )
        .await
        .unwrap_err();
        assert_error(&status, Code::AlreadyExists);
        assert_eq!(get(&mut client, &second.id).await, second);

        // A soft-deleted account keeps its external id.
        delete(&mut client, &first.id).await.expect("delete");
        let status = client
            .create_account(create_request(pb::Account {
                external_id: "ERP-7".into(),
                ..named("Third")
            }))
            .await
            .unwrap_err();
        assert_error(&status, Code::AlreadyExists);
        assert_eq!(snapshot(&mut client).await.len(), 2);

        // Many accounts without an external id are fine.
        create_named(&mut client, "No ERP 1").await;
        create_named(&mut client, "No ERP 2").await;
    }

    async fn duplicate_contact_external_id_already_exists(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        create_contact(
            &mut client,
            pb::Contact {
                external_id: "C-1".into(),
                ..contact(&account.id, "Ada")
            },
        )
        .await
        .expect("create");
        let status = create_contact(
            &mut client,
            pb::Contact {
                external_id: "C-1".into(),
                ..contact(&account.id, "Bob")
            },
        )
        .await
        .unwrap_err();
        assert_error(&status, Code::AlreadyExists);
    }

    async fn parent_cycles_are_refused(server: &TestServer) {
        let mut client = server.accounts();
        let a = create_named(&mut client, "A").await;
        let b = create_named(&mut client, "B").await;
        let a = update(
            &mut client,
            pb::Account {
                id: a.id.clone(),
                parent_account_id: b.id.clone(),
                ..Default::default()
            },
            &["parent_account_id"],
        )
        .await
        .expect("A under B");
        let status = update(
            &mut client,
            pb::Account {
                id: b.id.clone(),
                parent_account_id: a.id.clone(),
                ..Default::default()
            },
            &["parent_account_id"],
        )
        .await
        .unwrap_err();
        assert_failed_precondition(&status, "PARENT_CYCLE");
        assert_eq!(get(&mut client, &b.id).await, b);

        // A longer loop: C under A (under B); B under C closes it.
        let c = create(
            &mut client,
            pb::Account {
                parent_account_id: a.id.clone(),
                ..named("C")
            },
        )
        .await;
        let status = update(
            &mut client,
            pb::Account {
                id: b.id.clone(),
                parent_account_id: c.id.clone(),
                ..Default::default()
            },
            &["parent_account_id"],
        )
        .await
        .unwrap_err();
        assert_failed_precondition(&status, "PARENT_CYCLE");

        let status = update(
            &mut client,
            pb::Account {
                id: c.id.clone(),
                parent_account_id: c.id.clone(),
                ..Default::default()
            },
            &["parent_account_id"],
        )
        .await
        .unwrap_err();
        assert_failed_precondition(&status, "PARENT_CYCLE");
        assert_eq!(get(&mut client, &c.id).await, c);
        assert_eq!(get(&mut client, &b.id).await, b);
    }

    /// A group hierarchy is at most 64 levels deep whichever call would deepen it: a new account under
    /// the deepest is refused like an existing one moved there.
    async fn hierarchies_are_bounded_on_create_as_on_update(server: &TestServer) {
        let mut client = server.accounts();
        let mut chain = vec![create_named(&mut client, "Level 1").await];
        let refused = loop {
            let parent = chain.last().unwrap().id.clone();
            let child = client
                .create_account(pb::CreateAccountRequest {
                    account: Some(pb::Account {
                        parent_account_id: parent,
                        ..named(&format!("Level {}", chain.len() + 1))
                    }),
                    request_id: String::new(),
                })
                .await;
            match child {
                Ok(child) => chain.push(child.into_inner()),
                Err(status) => break status,
            }
            assert!(chain.len() <= 70, "a hierarchy of {} levels was accepted", chain.len());
        };
        assert_failed_precondition(&refused, "HIERARCHY_TOO_DEEP");
        assert_eq!(chain.len(), 65, "the root and 64 levels below it");
        let loose = create_named(&mut client, "Loose").await;
        let moved = update(
            &mut client,
            pb::Account {
                id: loose.id.clone(),
                parent_account_id: chain.last().unwrap().id.clone(),
                ..Default::default()
            },
            &["parent_account_id"],
        )
        .await
        .unwrap_err();
        assert_failed_precondition(&moved, "HIERARCHY_TOO_DEEP");
    }

    async fn concurrent_parent_links_never_make_a_cycle(server: &TestServer) {
        for round in 0..8 {
            let mut client = server.accounts();
            let a = create_named(&mut client, &format!("A{round}")).await;
            let b = create_named(&mut client, &format!("B{round}")).await;
            let link = |child: &pb::Account, parent: &pb::Account| {
                let mut client = server.accounts();
                let account = pb::Account {
                    id: child.id.clone(),
                    parent_account_id: parent.id.clone(),
                    ..Default::default()
                };
                async move { update(&mut client, account, &["parent_account_id"]).await }
            };
            let (ab, ba) = tokio::join!(link(&a, &b), link(&b, &a));
            assert!(ab.is_ok() || ba.is_ok(), "one link must win: {ab:?} {ba:?}");
            for result in [&ab, &ba] {
                if let Err(status) = result {
                    if status.code() == Code::Aborted {
                        assert_error(status, Code::Aborted);
                    } else {
                        assert_failed_precondition(status, "PARENT_CYCLE");
                    }
                }
            }
            let a_now = get(&mut client, &a.id).await;
            let b_now = get(&mut client, &b.id).await;
            assert!(
                !(a_now.parent_account_id == b.id && b_now.parent_account_id == a.id),
                "round {round}: A and B are each other's parent"
            );
        }
    }

    async fn unknown_or_deleted_parent_is_refused(server: &TestServer) {
        let mut client = server.accounts();
        let before = snapshot(&mut client).await;
        let status = client
            .create_account(create_request(pb::Account {
                parent_account_id: uuid::Uuid::now_v7().to_string(),
                ..named("Orphan")
            }))
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "PARENT_NOT_FOUND");
        assert_eq!(snapshot(&mut client).await, before);

        let child = create_named(&mut client, "Child").await;
        let status = update(
            &mut client,
            pb::Account {
                id: child.id.clone(),
                parent_account_id: uuid::Uuid::now_v7().to_string(),
                ..Default::default()
            },
            &["parent_account_id"],
        )
        .await
        .unwrap_err();
        assert_failed_precondition(&status, "PARENT_NOT_FOUND");

        let gone = create_named(&mut client, "Gone").await;
        delete(&mut client, &gone.id).await.expect("delete");
        let status = client
            .create_account(create_request(pb::Account {
                parent_account_id: gone.id.clone(),
                ..named("Under deleted")
            }))
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "PARENT_NOT_FOUND");
        assert_eq!(get(&mut client, &child.id).await, child);
    }

    // ----- soft delete -----

    async fn deleted_accounts_are_hidden_unless_show_deleted(server: &TestServer) {
        let mut client = server.accounts();
        let kept = create_named(&mut client, "Kept").await;
        let gone = create(
            &mut client,
            pb::Account {
                external_id: "ERP-GONE".into(),
                ..named("Gone")
            },
        )
        .await;
        let deleted = delete(&mut client, &gone.id).await.expect("delete");
        assert_eq!(deleted.id, gone.id);
        assert_eq!(deleted.external_id, "ERP-GONE");
        assert!(deleted.delete_time.is_some());

        let listed = list_all(&mut client, pb::ListAccountsRequest::default()).await;
        assert_eq!(ids(&listed), [kept.id.as_str()]);
        let listed = list_all(
            &mut client,
            pb::ListAccountsRequest {
                show_deleted: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(ids(&listed), [kept.id.as_str(), gone.id.as_str()]);
        assert!(listed[1].delete_time.is_some());
        let listed = list_all(
            &mut client,
            pb::ListAccountsRequest {
                query: "gone".into(),
                ..Default::default()
            },
        )
        .await;
        assert!(listed.is_empty(), "filters must hide deleted rows too");

        let fetched = get(&mut client, &gone.id).await;
        assert_eq!(fetched, deleted);

        let restored = undelete(&mut client, &gone.id).await.expect("undelete");
        assert_eq!(restored.delete_time, None);
        assert_eq!(restored.external_id, "ERP-GONE");
        assert_ne!(restored.etag, deleted.etag);
        let listed = list_all(&mut client, pb::ListAccountsRequest::default()).await;
        assert_eq!(ids(&listed), [kept.id.as_str(), gone.id.as_str()]);
        assert_eq!(get(&mut client, &gone.id).await, restored);
    }

    async fn deleted_accounts_keep_their_contacts(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let ada = create_contact(&mut client, contact(&account.id, "Ada")).await.expect("create");
        delete(&mut client, &account.id).await.expect("delete");
        undelete(&mut client, &account.id).await.expect("undelete");
        assert_eq!(get_contact(&mut client, &ada.id).await.expect("contact kept"), ada);
    }

    async fn deleted_account_state_rules_are_enforced(server: &TestServer) {
        let mut client = server.accounts();
        let live = create_named(&mut client, "Live").await;
        let status = undelete(&mut client, &live.id).await.unwrap_err();
        assert_failed_precondition(&status, "ACCOUNT_NOT_DELETED");
        assert_eq!(get(&mut client, &live.id).await, live);

        let deleted = delete(&mut client, &live.id).await.expect("delete");
        let status = delete(&mut client, &live.id).await.unwrap_err();
        assert_failed_precondition(&status, "ACCOUNT_DELETED");

        let status = update(
            &mut client,
            pb::Account {
                id: live.id.clone(),
                display_name: "Zombie".into(),
                ..Default::default()
            },
            &["display_name"],
        )
        .await
        .unwrap_err();
        assert_failed_precondition(&status, "ACCOUNT_DELETED");

        let status = create_contact(&mut client, contact(&live.id, "Ghost")).await.unwrap_err();
        assert_failed_precondition(&status, "ACCOUNT_DELETED");
        assert!(list_contacts(&mut client, pb::ListContactsRequest::default()).await.is_empty());
        assert_eq!(get(&mut client, &live.id).await, deleted);
    }

    // ----- not found -----

    async fn unknown_ids_are_not_found(server: &TestServer) {
        let mut client = server.accounts();
        let unknown = uuid::Uuid::now_v7().to_string();
        let status = client
            .get_account(pb::GetAccountRequest { id: unknown.clone() })
            .await
            .unwrap_err();
        assert_error(&status, Code::NotFound);
        let status = update(
            &mut client,
            pb::Account {
                id: unknown.clone(),
                display_name: "X".into(),
                ..Default::default()
            },
            &["display_name"],
        )
        .await
        .unwrap_err();
        assert_error(&status, Code::NotFound);
        assert_error(&delete(&mut client, &unknown).await.unwrap_err(), Code::NotFound);
        assert_error(&undelete(&mut client, &unknown).await.unwrap_err(), Code::NotFound);

        assert_error(&get_contact(&mut client, &unknown).await.unwrap_err(), Code::NotFound);
        let status = update_contact(
            &mut client,
            pb::Contact {
                id: unknown.clone(),
                full_name: "X".into(),
                ..Default::default()
            },
            &["full_name"],
        )
        .await
        .unwrap_err();
        assert_error(&status, Code::NotFound);
        let status = client
            .delete_contact(pb::DeleteContactRequest {
                id: unknown.clone(),
                etag: String::new(),
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::NotFound);
        assert!(snapshot(&mut client).await.is_empty());
    }

    // ----- contacts -----

    async fn create_contact_stores_the_whole_dossier(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let sent = pb::Contact {
            account_id: account.id.clone(),
            external_id: "ERP-C-1".into(),
            full_name: "Ada Lovelace".into(),
            title: "Head of Engineering".into(),
            department: "R&D".into(),
            buying_role: pb::BuyingRole::DecisionMaker as i32,
            man: Some(pb::Man {
                has_money: true,
                has_authority: false,
                has_need: true,
            }),
            attitude: pb::Attitude::Supporter as i32,
            relationship_strength: 4,
            key_dates: vec![
                key_date(pb::KeyDateKind::Birthday, "", date(0, 12, 10)),
                key_date(pb::KeyDateKind::WorkAnniversary, "", date(2015, 3, 1)),
                key_date(pb::KeyDateKind::Other, "Daughter's wedding", date(2026, 6, 20)),
                key_date(pb::KeyDateKind::Birthday, "", date(2024, 2, 29)),
                // A recurring date (year unknown) may be the 29th of February.
                key_date(pb::KeyDateKind::Birthday, "", date(0, 2, 29)),
            ],
            email: "ada@example.com".into(),
            phone: "+44 20 7946 0000".into(),
            notes: "Prefers morning calls.".into(),
            ..Default::default()
        };
        let created = create_contact(&mut client, sent.clone()).await.expect("create");
        assert!(is_uuid_v7(&created.id));
        assert_eq!(created.account_id, account.id);
        assert_eq!(created.external_id, sent.external_id);
        assert_eq!(created.full_name, sent.full_name);
        assert_eq!(created.title, sent.title);
        assert_eq!(created.department, sent.department);
        assert_eq!(created.buying_role(), pb::BuyingRole::DecisionMaker);
        assert_eq!(created.man, sent.man);
        assert_eq!(created.attitude(), pb::Attitude::Supporter);
        assert_eq!(created.relationship_strength, 4);
        assert_eq!(created.key_dates, sent.key_dates);
        assert_eq!(created.email, sent.email);
        assert_eq!(created.phone, sent.phone);
        assert_eq!(created.notes, sent.notes);
        assert_eq!(created.active, Some(true), "active defaults to true");
        assert!(created.create_time.is_some() && created.update_time.is_some());
        assert!(!created.etag.is_empty());
        assert_eq!(get_contact(&mut client, &created.id).await.expect("get"), created);
    }

    async fn create_contact_may_start_inactive(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let created = create_contact(
            &mut client,
            pb::Contact {
                active: Some(false),
                ..contact(&account.id, "Retired")
            },
        )
        .await
        .expect("create");
        assert_eq!(created.active, Some(false));
    }

    async fn contacts_report_to_contacts_of_the_same_account(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let other_account = create_named(&mut client, "Globex").await;
        let boss = create_contact(&mut client, contact(&account.id, "Boss")).await.expect("boss");
        let worker = create_contact(
            &mut client,
            pb::Contact {
                reports_to_contact_id: boss.id.clone(),
                ..contact(&account.id, "Worker")
            },
        )
        .await
        .expect("worker");
        assert_eq!(worker.reports_to_contact_id, boss.id);

        let outsider = create_contact(&mut client, contact(&other_account.id, "Outsider"))
            .await
            .expect("outsider");
        let status = create_contact(
            &mut client,
            pb::Contact {
                reports_to_contact_id: outsider.id.clone(),
                ..contact(&account.id, "Confused")
            },
        )
        .await
        .unwrap_err();
        assert_failed_precondition(&status, "REPORTS_TO_NOT_FOUND");
        let status = create_contact(
            &mut client,
            pb::Contact {
                reports_to_contact_id: uuid::Uuid::now_v7().to_string(),
                ..contact(&account.id, "Lost")
            },
        )
        .await
        .unwrap_err();
        assert_failed_precondition(&status, "REPORTS_TO_NOT_FOUND");
        let status = update_contact(
            &mut client,
            pb::Contact {
                id: worker.id.clone(),
                reports_to_contact_id: outsider.id.clone(),
                ..Default::default()
            },
            &["reports_to_contact_id"],
        )
        .await
        .unwrap_err();
        assert_failed_precondition(&status, "REPORTS_TO_NOT_FOUND");
        assert_eq!(get_contact(&mut client, &worker.id).await.expect("get"), worker);
        let all = list_contacts(&mut client, pb::ListContactsRequest::default()).await;
        assert_eq!(contact_names(&all), ["Boss", "Worker", "Outsider"]);
    }

    async fn reports_to_cycles_are_refused(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let a = create_contact(&mut client, contact(&account.id, "A")).await.expect("a");
        let b = create_contact(
            &mut client,
            pb::Contact {
                reports_to_contact_id: a.id.clone(),
                ..contact(&account.id, "B")
            },
        )
        .await
        .expect("b");
        let c = create_contact(
            &mut client,
            pb::Contact {
                reports_to_contact_id: b.id.clone(),
                ..contact(&account.id, "C")
            },
        )
        .await
        .expect("c");
        for (id, boss) in [(&a.id, &b.id), (&a.id, &c.id), (&c.id, &c.id)] {
            let status = update_contact(
                &mut client,
                pb::Contact {
                    id: id.clone(),
                    reports_to_contact_id: boss.clone(),
                    ..Default::default()
                },
                &["reports_to_contact_id"],
            )
            .await
            .unwrap_err();
            assert_failed_precondition(&status, "REPORTS_TO_CYCLE");
        }
        assert_eq!(get_contact(&mut client, &a.id).await.expect("get"), a);
        assert_eq!(get_contact(&mut client, &c.id).await.expect("get"), c);
    }

    async fn update_contact_writes_masked_fields_and_replaces_key_dates(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let created = create_contact(
            &mut client,
            pb::Contact {
                title: "Buyer".into(),
                man: Some(pb::Man {
                    has_money: false,
                    has_authority: true,
                    has_need: true,
                }),
                key_dates: vec![
                    key_date(pb::KeyDateKind::Birthday, "", date(1980, 1, 2)),
                    key_date(pb::KeyDateKind::Other, "Joined the board", date(2019, 9, 9)),
                ],
                ..contact(&account.id, "Bob")
            },
        )
        .await
        .expect("create");

        // One MAN flag by its sub-path: the others stay.
        let updated = update_contact(
            &mut client,
            pb::Contact {
                id: created.id.clone(),
                man: Some(pb::Man {
                    has_money: true,
                    has_authority: false,
                    has_need: false,
                }),
                title: "Not written".into(),
                ..Default::default()
            },
            &["man.has_money"],
        )
        .await
        .expect("update man.has_money");
        assert_eq!(
            updated.man,
            Some(pb::Man {
                has_money: true,
                has_authority: true,
                has_need: true,
            })
        );
        assert_eq!(updated.title, "Buyer");
        assert_ne!(updated.etag, created.etag);

        // Key dates are replaced as a whole.
        let new_dates = vec![key_date(pb::KeyDateKind::WorkAnniversary, "", date(2010, 10, 10))];
        let updated = update_contact(
            &mut client,
            pb::Contact {
                id: created.id.clone(),
                key_dates: new_dates.clone(),
                relationship_strength: 5,
                attitude: pb::Attitude::Opponent as i32,
                active: Some(false),
                ..Default::default()
            },
            &["key_dates", "relationship_strength", "attitude", "active"],
        )
        .await
        .expect("update key dates");
        assert_eq!(updated.key_dates, new_dates);
        assert_eq!(updated.relationship_strength, 5);
        assert_eq!(updated.attitude(), pb::Attitude::Opponent);
        assert_eq!(updated.active, Some(false));
        assert_eq!(updated.full_name, "Bob");
        assert_eq!(updated.account_id, account.id);

        // An empty mask writes what is populated: clearing the key dates needs the path.
        let cleared = update_contact(
            &mut client,
            pb::Contact {
                id: created.id.clone(),
                ..Default::default()
            },
            &["key_dates"],
        )
        .await
        .expect("clear key dates");
        assert!(cleared.key_dates.is_empty());
        let renamed = update_contact(
            &mut client,
            pb::Contact {
                id: created.id.clone(),
                full_name: "Robert".into(),
                ..Default::default()
            },
            &[],
        )
        .await
        .expect("rename");
        assert_eq!(renamed.full_name, "Robert");
        assert_eq!(renamed.relationship_strength, 5);
        assert_eq!(renamed.title, "Buyer");
        assert_eq!(get_contact(&mut client, &created.id).await.expect("get"), renamed);
    }

    async fn list_contacts_filters_by_account_query_role_and_activity(server: &TestServer) {
        let mut client = server.accounts();
        let acme = create_named(&mut client, "Acme").await;
        let globex = create_named(&mut client, "Globex").await;
        for (account, name, role, active) in [
            (&acme, "Ada Smith", pb::BuyingRole::DecisionMaker, true),
            (&acme, "Bob Jones", pb::BuyingRole::Influencer, true),
            (&acme, "Cy SMITHERS", pb::BuyingRole::DecisionMaker, false),
            (&globex, "Dee Smith", pb::BuyingRole::User, true),
        ] {
            create_contact(
                &mut client,
                pb::Contact {
                    buying_role: role as i32,
                    active: Some(active),
                    ..contact(&account.id, name)
                },
            )
            .await
            .expect("create");
        }
        let list = |request: pb::ListContactsRequest| {
            let mut client = client.clone();
            async move { list_contacts(&mut client, request).await }
        };
        let all = list(pb::ListContactsRequest::default()).await;
        assert_eq!(contact_names(&all), ["Ada Smith", "Bob Jones", "Dee Smith"]);
        let all = list(pb::ListContactsRequest {
            show_inactive: true,
            page_size: 1,
            ..Default::default()
        })
        .await;
        assert_eq!(contact_names(&all), ["Ada Smith", "Bob Jones", "Cy SMITHERS", "Dee Smith"]);
        let of_acme = list(pb::ListContactsRequest {
            account_id: acme.id.clone(),
            show_inactive: true,
            ..Default::default()
        })
        .await;
        assert_eq!(contact_names(&of_acme), ["Ada Smith", "Bob Jones", "Cy SMITHERS"]);
        let smiths = list(pb::ListContactsRequest {
            query: "smith".into(),
            show_inactive: true,
            ..Default::default()
        })
        .await;
        assert_eq!(contact_names(&smiths), ["Ada Smith", "Cy SMITHERS", "Dee Smith"]);
        let deciders = list(pb::ListContactsRequest {
            buying_role: pb::BuyingRole::DecisionMaker as i32,
            ..Default::default()
        })
        .await;
        assert_eq!(contact_names(&deciders), ["Ada Smith"]);
        let by_name_desc = list(pb::ListContactsRequest {
            order_by: "full_name desc".into(),
            account_id: acme.id.clone(),
            page_size: 2,
            ..Default::default()
        })
        .await;
        assert_eq!(contact_names(&by_name_desc), ["Bob Jones", "Ada Smith"]);
    }

    async fn delete_contact_removes_it_and_unlinks_its_reports(server: &TestServer) {
        let mut client = server.accounts();
        let account = create_named(&mut client, "Acme").await;
        let boss = create_contact(&mut client, contact(&account.id, "Boss")).await.expect("boss");
        let worker = create_contact(
            &mut client,
            pb::Contact {
                reports_to_contact_id: boss.id.clone(),
                ..contact(&account.id, "Worker")
            },
        )
        .await
        .expect("worker");
        client
            .delete_contact(pb::DeleteContactRequest {
                id: boss.id.clone(),
                etag: boss.etag.clone(),
            })
            .await
            .expect("delete");
        assert_error(&get_contact(&mut client, &boss.id).await.unwrap_err(), Code::NotFound);
        let worker_now = get_contact(&mut client, &worker.id).await.expect("worker stays");
        assert_eq!(worker_now.reports_to_contact_id, "");
        let all = list_contacts(
            &mut client,
            pb::ListContactsRequest {
                show_inactive: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(contact_names(&all), ["Worker"]);
        let status = client
            .delete_contact(pb::DeleteContactRequest {
                id: boss.id.clone(),
                etag: String::new(),
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::NotFound);
    }

    // ----- audit and outbox -----

    async fn every_mutation_writes_one_audit_entry_and_one_outbox_event(server: &TestServer) {
        let mut client = server.accounts();
        let request_id = uuid::Uuid::now_v7();
        let created = client
            .create_account(pb::CreateAccountRequest {
                account: Some(named("Acme")),
                request_id: request_id.to_string(),
            })
            .await
            .expect("create")
            .into_inner();
        assert_eq!(audit_count(server, &created.id).await, 1);
        assert_eq!(outbox_count(server, &created.id).await, 1);
        let with_request_id = server
            .query_i64(
                "SELECT count(*) FROM audit_entries WHERE resource_id = $1 AND request_id = $2",
                [Value::from(created.id.clone()), Value::from(request_id)],
            )
            .await;
        assert_eq!(with_request_id, 1, "the audit entry records the request id");

        let updated = update(
            &mut client,
            pb::Account {
                id: created.id.clone(),
                region: "EMEA".into(),
                ..Default::default()
            },
            &["region"],
        )
        .await
        .expect("update");
        assert_eq!(audit_count(server, &created.id).await, 2);
        assert_eq!(outbox_count(server, &created.id).await, 2);

        // Refused calls and idempotent retries leave no trace.
        update(
            &mut client,
            pb::Account {
                id: created.id.clone(),
                region: "APAC".into(),
                etag: created.etag.clone(),
                ..Default::default()
            },
            &["region"],
        )
        .await
        .unwrap_err();
        client
            .create_account(pb::CreateAccountRequest {
                account: Some(named("Acme")),
                request_id: request_id.to_string(),
            })
            .await
            .expect("retry");
        assert_eq!(audit_count(server, &created.id).await, 2);
        assert_eq!(outbox_count(server, &created.id).await, 2);

        delete(&mut client, &updated.id).await.expect("delete");
        undelete(&mut client, &updated.id).await.expect("undelete");
        assert_eq!(audit_count(server, &created.id).await, 4);
        assert_eq!(outbox_count(server, &created.id).await, 4);

        let ada = create_contact(&mut client, contact(&created.id, "Ada")).await.expect("contact");
        update_contact(
            &mut client,
            pb::Contact {
                id: ada.id.clone(),
                title: "CFO".into(),
                ..Default::default()
            },
            &["title"],
        )
        .await
        .expect("update contact");
        client
            .delete_contact(pb::DeleteContactRequest {
                id: ada.id.clone(),
                etag: String::new(),
            })
            .await
            .expect("delete contact");
        assert_eq!(audit_count(server, &ada.id).await, 3);
        assert_eq!(outbox_count(server, &ada.id).await, 3);
        let total_audit = server.query_i64("SELECT count(*) FROM audit_entries", []).await;
        let total_outbox = server.query_i64("SELECT count(*) FROM outbox_events", []).await;
        assert_eq!((total_audit, total_outbox), (7, 7));
    }

    // ----- health and reflection -----

    async fn health_reports_serving(server: &TestServer) {
        let mut health = server.health();
        for service in ["", "kam.v1.AccountService"] {
            let status = health
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .expect("health check")
                .into_inner()
                .status;
            assert_eq!(status, ServingStatus::Serving as i32, "service {service:?}");
        }
        let unknown = health
            .check(HealthCheckRequest {
                service: "kam.v1.NoSuchService".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(unknown.code(), Code::NotFound);
    }

    async fn reflection_lists_the_services_and_serves_their_descriptors(server: &TestServer) {
        let mut reflection = server.reflection();
        let requests = vec![
            ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            },
            ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::FileContainingSymbol(
                    "kam.v1.AccountService".into(),
                )),
            },
        ];
        let mut responses = reflection
            .server_reflection_info(tokio_stream::iter(requests))
            .await
            .expect("reflection stream")
            .into_inner();

        let listed = responses.message().await.expect("list services").expect("a response");
        let Some(MessageResponse::ListServicesResponse(list)) = listed.message_response else {
            panic!("unexpected reflection answer {listed:?}");
        };
        let services: HashSet<String> = list.service.into_iter().map(|s| s.name).collect();
        for expected in ["kam.v1.AccountService", "grpc.health.v1.Health"] {
            assert!(services.contains(expected), "{expected} missing from {services:?}");
        }

        let found = responses.message().await.expect("file containing symbol").expect("a response");
        let Some(MessageResponse::FileDescriptorResponse(files)) = found.message_response else {
            panic!("unexpected reflection answer {found:?}");
        };
        let descriptors: Vec<prost_types::FileDescriptorProto> = files
            .file_descriptor_proto
            .iter()
            .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()).expect("a descriptor"))
            .collect();
        let declares_service = descriptors.iter().any(|file| {
            file.package() == "kam.v1" && file.service.iter().any(|s| s.name() == "AccountService")
        });
        assert!(declares_service, "no descriptor declares kam.v1.AccountService");
    }
}
