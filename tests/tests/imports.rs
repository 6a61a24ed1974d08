//! The streaming imports end to end (`IntegrationService.ImportRevenue`, `ImportAccounts`,
//! `ImportContacts`), on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set): rows that cannot
//! be written are reported with their index in the whole stream while the rows around them are written,
//! importing the same rows again changes nothing, and what an import writes is announced like any other
//! change.

use std::collections::HashMap;

use kam_tests::{
    TestServer, backend_tests,
    pbjson_types::FieldMask,
    pb::{
        self, integration_service_client::IntegrationServiceClient,
        planning_service_client::PlanningServiceClient,
    },
};

fn record(external_id: &str, account_id: &str, month: i32, currency: &str, units: i64) -> pb::RevenueRecord {
    pb::RevenueRecord {
        external_id: external_id.to_owned(),
        account_id: account_id.to_owned(),
        period: Some(pb::Month { year: 2026, month }),
        amount: Some(pb::Money {
            currency_code: currency.to_owned(),
            units,
            nanos: 0,
        }),
        ..Default::default()
    }
}

fn account(external_id: &str, name: &str, parent: &str) -> pb::AccountRecord {
    pb::AccountRecord {
        external_id: external_id.to_owned(),
        display_name: name.to_owned(),
        legal_name: format!("{name} GmbH"),
        industry: "Machinery".to_owned(),
        region: "EMEA".to_owned(),
        parent_external_id: parent.to_owned(),
        lifecycle: 0,
    }
}

fn contact(external_id: &str, account: &str, name: &str) -> pb::ContactRecord {
    pb::ContactRecord {
        external_id: external_id.to_owned(),
        account_external_id: account.to_owned(),
        full_name: name.to_owned(),
        title: "Buyer".to_owned(),
        email: format!("{}@example.com", external_id.to_lowercase()),
        ..Default::default()
    }
}

async fn import_accounts(server: &TestServer, messages: Vec<Vec<pb::AccountRecord>>) -> pb::ImportSummary {
    let stream = tokio_stream::iter(
        messages
            .into_iter()
            .map(|accounts| pb::ImportAccountsRequest { accounts }),
    );
    IntegrationServiceClient::new(server.channel())
        .import_accounts(stream)
        .await
        .expect("import accounts")
        .into_inner()
}

async fn import_contacts(server: &TestServer, messages: Vec<Vec<pb::ContactRecord>>) -> pb::ImportSummary {
    let stream = tokio_stream::iter(
        messages
            .into_iter()
            .map(|contacts| pb::ImportContactsRequest { contacts }),
    );
    IntegrationServiceClient::new(server.channel())
        .import_contacts(stream)
        .await
        .expect("import contacts")
        .into_inner()
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// (created, updated, unchanged, failed).
fn counts(summary: &pb::ImportSummary) -> (i64, i64, i64, i64) {
    (summary.created, summary.updated, summary.unchanged, summary.failed)
}

/// Every account, live and deleted, by external id.
async fn accounts_by_external_id(server: &TestServer) -> HashMap<String, pb::Account> {
    server
        .accounts()
        .list_accounts(pb::ListAccountsRequest {
            page_size: 1000,
            show_deleted: true,
            ..Default::default()
        })
        .await
        .expect("list accounts")
        .into_inner()
        .accounts
        .into_iter()
        .map(|account| (account.external_id.clone(), account))
        .collect()
}

async fn contacts_of(server: &TestServer, account_id: &str) -> Vec<pb::Contact> {
    server
        .accounts()
        .list_contacts(pb::ListContactsRequest {
            account_id: account_id.to_owned(),
            page_size: 1000,
            show_inactive: true,
            ..Default::default()
        })
        .await
        .expect("list contacts")
        .into_inner()
        .contacts
}

async fn events_of_type(server: &TestServer, event_type: &str) -> i64 {
    server
        .query_i64(
            "SELECT COUNT(*) FROM outbox_events WHERE event_type = $1",
            [event_type.into()],
        )
        .await
}

async fn import(server: &TestServer, messages: Vec<Vec<pb::RevenueRecord>>) -> pb::ImportSummary {
    let stream = tokio_stream::iter(
        messages
            .into_iter()
            .map(|records| pb::ImportRevenueRequest { records }),
    );
    IntegrationServiceClient::new(server.channel())
        .import_revenue(stream)
        .await
        .expect("import revenue")
        .into_inner()
}

/// (index, external id, code, field) of each failed row.
fn failures(summary: &pb::ImportSummary) -> Vec<(i64, &str, &str, &str)> {
    summary
        .errors
        .iter()
        .map(|e| (e.index, e.external_id.as_str(), e.code.as_str(), e.field.as_str()))
        .collect()
}

async fn stored_external_ids(server: &TestServer) -> Vec<String> {
    let mut ids: Vec<String> = PlanningServiceClient::new(server.channel())
        .list_revenue_records(pb::ListRevenueRecordsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list revenue")
        .into_inner()
        .records
        .into_iter()
        .map(|r| r.external_id)
        .collect();
    ids.sort();
    ids
}

backend_tests! {
    async fn failed_rows_are_reported_and_the_others_written(server: &TestServer) {
        let live = server.create_account("Live").await.id;
        let gone = server.create_account("Gone").await.id;
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: gone.clone(), etag: String::new() })
            .await
            .expect("delete an account");
        let unknown = uuid::Uuid::now_v7().to_string();
        let messages = vec![
            vec![
                record("R1", &live, 1, "EUR", 100),
                record("R2", &live, 13, "EUR", 100),
                record("R3", &live, 2, "USD", 100),
                record("R4", &unknown, 2, "EUR", 100),
                record("R5", &live, 3, "EUR", -20),
            ],
            vec![
                record("R6", &gone, 1, "EUR", 100),
                record("R7", &live, 4, "EUR", 100),
                record("R7", &live, 5, "EUR", 100),
                record("R8", &live, 6, "EUR", 100),
            ],
        ];
        let first = import(server, messages.clone()).await;
        assert_eq!((first.created, first.updated, first.unchanged, first.failed), (4, 0, 0, 5));
        assert_eq!(
            failures(&first),
            [
                (1, "R2", "INVALID_ARGUMENT", "period.month"),
                (2, "R3", "INVALID_ARGUMENT", "amount.currency_code"),
                (3, "R4", "NOT_FOUND", "account_id"),
                (5, "R6", "FAILED_PRECONDITION", "account_id"),
                (7, "R7", "INVALID_ARGUMENT", "external_id"),
            ]
        );
        assert!(first.errors[1].description.contains("EUR"), "{:?}", first.errors[1]);
        assert_eq!(stored_external_ids(server).await, ["R1", "R5", "R7", "R8"]);

        // The same stream again: nothing changes, the same rows fail.
        let again = import(server, messages).await;
        assert_eq!((again.created, again.updated, again.unchanged, again.failed), (0, 0, 4, 5));
        assert_eq!(failures(&again), failures(&first));

        // A correction is an update; an empty stream does nothing.
        let corrected = import(server, vec![vec![record("R1", &live, 1, "EUR", 150)]]).await;
        assert_eq!((corrected.created, corrected.updated, corrected.unchanged, corrected.failed), (0, 1, 0, 0));
        let nothing = import(server, vec![]).await;
        assert_eq!(nothing, pb::ImportSummary::default());
    }

    async fn a_message_too_large_fails_the_call(server: &TestServer) {
        let live = server.create_account("Live").await.id;
        let rows: Vec<_> = (0..5001).map(|n| record(&format!("B{n}"), &live, 1, "EUR", 1)).collect();
        let stream = tokio_stream::iter([pb::ImportRevenueRequest { records: rows }]);
        let refused = IntegrationServiceClient::new(server.channel())
            .max_encoding_message_size(64 * 1024 * 1024)
            .import_revenue(stream)
            .await
            .expect_err("5001 rows in one message");
        kam_tests::assert_invalid_argument(&refused, "records");
        assert!(stored_external_ids(server).await.is_empty());
    }

    async fn accounts_are_upserted_by_external_id_with_their_group_hierarchy(server: &TestServer) {
        let messages = vec![
            vec![
                account("A1", "Alpha", ""),
                // Its parent comes earlier in the same message.
                account("A2", "Alpha Sub", "A1"),
                account("A3", "Orphan", "NOPE"),
                account("A4", "", ""),
                account("A1", "Alpha again", ""),
                account("A6", "Self", "A6"),
            ],
            // Its parent came in the message before.
            vec![account("A5", "Alpha Sub Sub", "A2")],
        ];
        let first = import_accounts(server, messages.clone()).await;
        assert_eq!(counts(&first), (3, 0, 0, 4));
        assert_eq!(
            failures(&first),
            [
                (2, "A3", "NOT_FOUND", "parent_external_id"),
                (3, "A4", "INVALID_ARGUMENT", "display_name"),
                (4, "A1", "INVALID_ARGUMENT", "external_id"),
                (5, "A6", "FAILED_PRECONDITION", "parent_external_id"),
            ]
        );
        assert!(first.errors[3].description.starts_with("PARENT_CYCLE"), "{:?}", first.errors[3]);
        let stored = accounts_by_external_id(server).await;
        let (a1, a2, a5) = (&stored["A1"], &stored["A2"], &stored["A5"]);
        assert_eq!(stored.len(), 3);
        assert_eq!((a1.parent_account_id.as_str(), a2.parent_account_id.as_str()), ("", a1.id.as_str()));
        assert_eq!(a5.parent_account_id, a2.id);
        assert_eq!(a1.display_name, "Alpha");
        assert_eq!(a1.legal_name, "Alpha GmbH");
        assert_eq!(a1.lifecycle, pb::Lifecycle::Prospect as i32, "the default of a new account");
        assert_eq!(a1.tier, pb::Tier::Standard as i32);
        assert_eq!(events_of_type(server, "AccountCreated").await, 3);

        // The same stream again writes nothing and announces nothing.
        let again = import_accounts(server, messages).await;
        assert_eq!(counts(&again), (0, 0, 3, 4));
        assert_eq!(failures(&again), failures(&first));
        assert_eq!(accounts_by_external_id(server).await, stored);
        assert_eq!(events_of_type(server, "AccountUpdated").await, 0);

        // KAM's own fields survive an update from the ERP; an unspecified lifecycle is left as it is.
        server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account {
                    id: a2.id.clone(),
                    relationship_stage: pb::RelationshipStage::ValueAdded as i32,
                    lifecycle: pb::Lifecycle::Active as i32,
                    ..Default::default()
                }),
                update_mask: mask(&["relationship_stage", "lifecycle"]),
                change_reason: "first joint project".into(),
            })
            .await
            .expect("update A2 in KAM");
        let renamed = import_accounts(server, vec![vec![account("A2", "Alpha Subsidiary", "A1")]]).await;
        assert_eq!(counts(&renamed), (0, 1, 0, 0));
        let a2_now = &accounts_by_external_id(server).await["A2"];
        assert_eq!(a2_now.display_name, "Alpha Subsidiary");
        assert_eq!(a2_now.relationship_stage, pb::RelationshipStage::ValueAdded as i32);
        assert_eq!(a2_now.lifecycle, pb::Lifecycle::Active as i32);
        assert_ne!(a2_now.etag, a2.etag, "an update moves the etag");
        let audited = server
            .query_i64(
                "SELECT COUNT(*) FROM audit_entries WHERE resource_id = $1 AND method LIKE '%ImportAccounts'",
                [a2.id.clone().into()],
            )
            .await;
        assert_eq!(audited, 2, "the import's audit rows: the creation and the rename");

        // Loops are refused, also through a parent the same message creates; deleted accounts too.
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: a5.id.clone(), etag: String::new() })
            .await
            .expect("delete A5");
        let refused = import_accounts(
            server,
            vec![vec![
                account("A1", "Alpha", "A2"),
                account("X1", "New", "A1"),
                account("A1", "Alpha", "X1"),
                account("A5", "Alpha Sub Sub", "A2"),
                account("A7", "Under a deleted one", "A5"),
            ]],
        )
        .await;
        assert_eq!(counts(&refused), (1, 0, 0, 4));
        assert_eq!(
            failures(&refused),
            [
                (0, "A1", "FAILED_PRECONDITION", "parent_external_id"),
                (2, "A1", "INVALID_ARGUMENT", "external_id"),
                (3, "A5", "FAILED_PRECONDITION", "external_id"),
                (4, "A7", "FAILED_PRECONDITION", "parent_external_id"),
            ]
        );
        let cycle = import_accounts(server, vec![vec![account("A1", "Alpha", "X1")]]).await;
        assert_eq!(failures(&cycle), [(0, "A1", "FAILED_PRECONDITION", "parent_external_id")]);
        assert!(cycle.errors[0].description.starts_with("PARENT_CYCLE"), "{:?}", cycle.errors[0]);
        assert_eq!(accounts_by_external_id(server).await["A1"].parent_account_id, "");
    }

    async fn contacts_are_upserted_and_keep_what_kam_knows_of_them(server: &TestServer) {
        import_accounts(
            server,
            vec![vec![account("A1", "Alpha", ""), account("A2", "Beta", ""), account("A3", "Gamma", "")]],
        )
        .await;
        let accounts = accounts_by_external_id(server).await;
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: accounts["A3"].id.clone(), etag: String::new() })
            .await
            .expect("delete A3");
        let mut bad_email = contact("C4", "A1", "Dora");
        bad_email.email = "not an address".into();
        let messages = vec![vec![
            contact("C1", "A1", "Anna"),
            contact("C2", "NOPE", "Ben"),
            contact("C3", "A3", "Cem"),
            bad_email,
            contact("C5", "A2", "Eve"),
        ]];
        let first = import_contacts(server, messages.clone()).await;
        assert_eq!(counts(&first), (2, 0, 0, 3));
        assert_eq!(
            failures(&first),
            [
                (1, "C2", "NOT_FOUND", "account_external_id"),
                (2, "C3", "FAILED_PRECONDITION", "account_external_id"),
                (3, "C4", "INVALID_ARGUMENT", "email"),
            ]
        );
        let anna = contacts_of(server, &accounts["A1"].id).await.remove(0);
        assert_eq!((anna.full_name.as_str(), anna.title.as_str(), anna.active), ("Anna", "Buyer", Some(true)));
        assert_eq!(events_of_type(server, "ContactCreated").await, 2);

        let again = import_contacts(server, messages).await;
        assert_eq!(counts(&again), (0, 0, 2, 3));

        // KAM's assessment survives; the ERP's fields and the person leaving are taken.
        server
            .accounts()
            .update_contact(pb::UpdateContactRequest {
                contact: Some(pb::Contact {
                    id: anna.id.clone(),
                    buying_role: pb::BuyingRole::DecisionMaker as i32,
                    notes: "prefers calls".into(),
                    ..Default::default()
                }),
                update_mask: mask(&["buying_role", "notes"]),
            })
            .await
            .expect("assess Anna in KAM");
        let mut left = contact("C1", "A1", "Anna");
        left.title = "Head of Purchasing".into();
        left.inactive = true;
        let moved = contact("C5", "A1", "Eve");
        let update = import_contacts(server, vec![vec![left, moved]]).await;
        assert_eq!(counts(&update), (0, 1, 0, 1));
        assert_eq!(failures(&update), [(1, "C5", "FAILED_PRECONDITION", "account_external_id")]);
        assert!(update.errors[0].description.starts_with("CONTACT_ACCOUNT_IMMUTABLE"));
        let anna_now = contacts_of(server, &accounts["A1"].id).await.remove(0);
        assert_eq!(anna_now.title, "Head of Purchasing");
        assert_eq!(anna_now.active, Some(false));
        assert_eq!(anna_now.buying_role, pb::BuyingRole::DecisionMaker as i32);
        assert_eq!(anna_now.notes, "prefers calls");
        assert_eq!(events_of_type(server, "ContactUpdated").await, 2, "the assessment and the import");
    }

    async fn revenue_names_its_account_by_the_erp_customer_number(server: &TestServer) {
        import_accounts(server, vec![vec![account("CUST-1", "Alpha", "")]]).await;
        let alpha = accounts_by_external_id(server).await.remove("CUST-1").unwrap();
        let by_number = |external_id: &str, customer: &str| pb::RevenueRecord {
            account_id: String::new(),
            account_external_id: customer.to_owned(),
            ..record(external_id, "", 1, "EUR", 100)
        };
        let summary = import(
            server,
            vec![vec![by_number("R1", "CUST-1"), by_number("R2", "CUST-9"), record("R3", "", 1, "EUR", 1)]],
        )
        .await;
        assert_eq!(counts(&summary), (1, 0, 0, 2));
        assert_eq!(
            failures(&summary),
            [
                (1, "R2", "NOT_FOUND", "account_external_id"),
                (2, "R3", "INVALID_ARGUMENT", "account_id"),
            ]
        );
        let stored = PlanningServiceClient::new(server.channel())
            .list_revenue_records(pb::ListRevenueRecordsRequest { page_size: 10, ..Default::default() })
            .await
            .expect("list revenue")
            .into_inner()
            .records;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].account_id, alpha.id);
    }
}
