//! The streaming imports end to end (`IntegrationService.ImportRevenue`, `ImportAccounts`,
//! `ImportContacts`), on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set): rows that cannot
//! be written are reported with their index in the whole stream while the rows around them are written,
//! importing the same rows again changes nothing, and what an import writes is announced like any other
//! change.

use std::collections::HashMap;

use kam_tests::{
    TestServer, backend_tests,
    pb::{
        self, integration_service_client::IntegrationServiceClient,
        opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
    },
    pbjson_types::FieldMask,
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

fn opportunity(external_id: &str, account: &str, owner_email: &str, stage: &str) -> pb::OpportunityRecord {
    pb::OpportunityRecord {
        external_id: external_id.to_owned(),
        account_external_id: account.to_owned(),
        display_name: format!("Deal {external_id}"),
        amount: Some(pb::Money {
            currency_code: "EUR".to_owned(),
            units: 1000,
            nanos: 500_000_000,
        }),
        expected_close_date: Some(pb::Date {
            year: 2027,
            month: 3,
            day: 31,
        }),
        owner_email: owner_email.to_owned(),
        stage: stage.to_owned(),
        source: "ERP".to_owned(),
        next_step: String::new(),
    }
}

async fn import_opportunities(
    server: &TestServer,
    messages: Vec<Vec<pb::OpportunityRecord>>,
) -> pb::ImportSummary {
    let stream = tokio_stream::iter(
        messages
            .into_iter()
            .map(|opportunities| pb::ImportOpportunitiesRequest { opportunities }),
    );
    IntegrationServiceClient::new(server.channel())
        .import_opportunities(stream)
        .await
        .expect("import opportunities")
        .into_inner()
}

/// Every opportunity, by external id.
async fn opportunities_by_external_id(server: &TestServer) -> HashMap<String, pb::Opportunity> {
    OpportunityServiceClient::new(server.channel())
        .list_opportunities(pb::ListOpportunitiesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list opportunities")
        .into_inner()
        .opportunities
        .into_iter()
        .map(|opportunity| (opportunity.external_id.clone(), opportunity))
        .collect()
}

fn ticket(external_id: &str, account: &str, contact: &str, assignee: &str) -> pb::ServiceRequestRecord {
    pb::ServiceRequestRecord {
        external_id: external_id.to_owned(),
        account_external_id: account.to_owned(),
        contact_external_id: contact.to_owned(),
        title: format!("Pump {external_id} leaks"),
        description: "Seal worn".to_owned(),
        category: pb::service_request::Category::Repair as i32,
        priority: pb::Priority::P2 as i32,
        assignee_email: assignee.to_owned(),
        open_time: None,
    }
}

async fn import_tickets(
    server: &TestServer,
    messages: Vec<Vec<pb::ServiceRequestRecord>>,
) -> pb::ImportSummary {
    let stream = tokio_stream::iter(
        messages
            .into_iter()
            .map(|service_requests| pb::ImportServiceRequestsRequest { service_requests }),
    );
    IntegrationServiceClient::new(server.channel())
        .import_service_requests(stream)
        .await
        .expect("import service requests")
        .into_inner()
}

async fn status_history(server: &TestServer, request_id: &str) -> Vec<pb::StatusChange> {
    ServiceLevelServiceClient::new(server.channel())
        .list_status_history(pb::ListStatusHistoryRequest {
            service_request_id: request_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("status history")
        .into_inner()
        .changes
}

/// Every service request, by external id.
async fn tickets_by_external_id(server: &TestServer) -> HashMap<String, pb::ServiceRequest> {
    ServiceLevelServiceClient::new(server.channel())
        .list_service_requests(pb::ListServiceRequestsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list service requests")
        .into_inner()
        .service_requests
        .into_iter()
        .map(|request| (request.external_id.clone(), request))
        .collect()
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
    (
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.failed,
    )
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

        // A correction is an update, beside a new record in the same message (inserted first, the
        // correction then found stored); an empty stream does nothing.
        let corrected = import(
            server,
            vec![vec![record("R1", &live, 1, "EUR", 150), record("R9", &live, 7, "EUR", 1)]],
        )
        .await;
        assert_eq!((corrected.created, corrected.updated, corrected.unchanged, corrected.failed), (1, 1, 0, 0));
        assert_eq!(stored_external_ids(server).await, ["R1", "R5", "R7", "R8", "R9"]);
        let nothing = import(server, vec![]).await;
        assert_eq!(nothing, pb::ImportSummary::default());
    }

    async fn messages_in_flight_together_keep_the_order_of_one_records_versions(server: &TestServer) {
        // On PostgreSQL two revenue messages are written at once. A large message and a small one that
        // changes a record of it again must still land in stream order: the small one waits.
        let live = server.create_account("Live").await.id;
        let version = |units: i64| -> Vec<pb::RevenueRecord> {
            (0..5000).map(|n| record(&format!("V{n:04}"), &live, 1, "EUR", units)).collect()
        };
        assert_eq!(counts(&import(server, vec![version(1)]).await), (5000, 0, 0, 0));
        let last_word = vec![record("V0000", &live, 1, "EUR", 3), record("W1", "", 1, "EUR", 1)];
        let disjoint = vec![record("W2", &live, 1, "EUR", 1), record("W3", "", 1, "EUR", 1)];
        let summary = import(server, vec![version(2), last_word, disjoint]).await;
        assert_eq!(counts(&summary), (1, 5001, 0, 2));
        let failed: Vec<i64> = summary.errors.iter().map(|e| e.index).collect();
        assert_eq!(failed, [5001, 5003], "failures are listed in stream order");
        let monthly = |account_id: String| pb::GetMonthlyRevenueRequest {
            account_id,
            from_period: Some(pb::Month { year: 2026, month: 1 }),
            to_period: Some(pb::Month { year: 2026, month: 1 }),
        };
        let month = PlanningServiceClient::new(server.channel())
            .get_monthly_revenue(monthly(live))
            .await
            .expect("monthly revenue")
            .into_inner()
            .months
            .remove(0);
        // 4999 records at 2, the one changed last at 3, and W2 at 1.
        assert_eq!(month.amount.map(|a| a.units), Some(4999 * 2 + 3 + 1));
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

    async fn opportunities_are_upserted_and_enter_the_funnel_like_created_ones(server: &TestServer) {
        import_accounts(server, vec![vec![account("A1", "Alpha", ""), account("A2", "Beta", "")]]).await;
        let owner = server.create_staff(pb::StaffLevel::Manager).await;
        let leaver = server.create_staff(pb::StaffLevel::Manager).await;
        server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest { id: leaver.id.clone(), etag: String::new() })
            .await
            .expect("deactivate the leaver");
        let messages = vec![vec![
            opportunity("O1", "A1", &owner.email, ""),
            opportunity("O2", "A1", &owner.email, "CONTACTED"),
            opportunity("O3", "A1", &owner.email, "PROPOSAL"),
            opportunity("O4", "A1", "nobody@example.com", ""),
            opportunity("O5", "A1", &leaver.email, ""),
            opportunity("O6", "NOPE", &owner.email, ""),
            opportunity("O7", "A2", &owner.email, "WON"),
        ]];
        let first = import_opportunities(server, messages.clone()).await;
        assert_eq!(counts(&first), (2, 0, 0, 5));
        assert_eq!(
            failures(&first),
            [
                (2, "O3", "FAILED_PRECONDITION", "stage"),
                (3, "O4", "NOT_FOUND", "owner_email"),
                (4, "O5", "FAILED_PRECONDITION", "owner_email"),
                (5, "O6", "NOT_FOUND", "account_external_id"),
                (6, "O7", "FAILED_PRECONDITION", "stage"),
            ]
        );
        assert!(first.errors[0].description.starts_with("MAN_REQUIRED"), "{:?}", first.errors[0]);
        assert!(first.errors[2].description.starts_with("STAFF_INACTIVE"), "{:?}", first.errors[2]);
        let stored = opportunities_by_external_id(server).await;
        let (o1, o2) = (&stored["O1"], &stored["O2"]);
        assert_eq!((o1.stage.as_str(), o2.stage.as_str()), ("LEAD", "CONTACTED"));
        assert_eq!(o1.owner_staff_id, owner.id);
        assert_eq!(o1.amount, opportunity("O1", "A1", "", "").amount);
        assert_eq!(o1.expected_close_date, Some(pb::Date { year: 2027, month: 3, day: 31 }));
        assert_eq!(o1.probability, 10, "the stage's probability");
        // Like a created opportunity: a first stage-history entry and the funnel's furthest stage.
        let history = OpportunityServiceClient::new(server.channel())
            .list_stage_history(pb::ListStageHistoryRequest { opportunity_id: o2.id.clone(), ..Default::default() })
            .await
            .expect("stage history")
            .into_inner();
        assert_eq!(history.changes.len(), 1);
        assert_eq!(history.changes[0].to_stage, "CONTACTED");
        let furthest = server
            .query_i64("SELECT COUNT(*) FROM opportunities WHERE furthest_stage = stage", [])
            .await;
        assert_eq!(furthest, 2);
        assert_eq!(events_of_type(server, "OpportunityCreated").await, 2);

        let again = import_opportunities(server, messages).await;
        assert_eq!(counts(&again), (0, 0, 2, 5));

        // The commercial fields are taken; the stage is KAM's and a record's stage is ignored.
        let mut repriced = opportunity("O1", "A1", &owner.email, "NEGOTIATION");
        repriced.amount = Some(pb::Money { currency_code: "EUR".into(), units: 2000, nanos: 0 });
        repriced.next_step = "Send the revised quote".into();
        let moved = opportunity("O2", "A2", &owner.email, "");
        let update = import_opportunities(server, vec![vec![repriced.clone(), moved]]).await;
        assert_eq!(counts(&update), (0, 1, 0, 1));
        assert_eq!(failures(&update), [(1, "O2", "FAILED_PRECONDITION", "account_external_id")]);
        let o1_now = &opportunities_by_external_id(server).await["O1"];
        assert_eq!((o1_now.stage.as_str(), o1_now.next_step.as_str()), ("LEAD", "Send the revised quote"));
        assert_eq!(o1_now.amount, repriced.amount);
        assert_ne!(o1_now.etag, o1.etag);

        // A closed deal only changes after it is reopened; the same record is still unchanged.
        OpportunityServiceClient::new(server.channel())
            .close_opportunity(pb::CloseOpportunityRequest {
                id: o2.id.clone(),
                outcome: pb::Outcome::Lost as i32,
                reason_code: "PRICE".into(),
                ..Default::default()
            })
            .await
            .expect("lose O2");
        let mut renamed = opportunity("O2", "A1", &owner.email, "CONTACTED");
        let same = import_opportunities(server, vec![vec![renamed.clone()]]).await;
        assert_eq!(counts(&same), (0, 0, 1, 0));
        renamed.display_name = "Renamed".into();
        let refused = import_opportunities(server, vec![vec![renamed]]).await;
        assert_eq!(failures(&refused), [(0, "O2", "FAILED_PRECONDITION", "")]);
        assert!(refused.errors[0].description.starts_with("OPPORTUNITY_CLOSED"));
    }

    async fn a_ticket_the_erp_opened_earlier_is_as_late_in_kam_as_it_is(server: &TestServer) {
        import_accounts(server, vec![vec![account("A1", "Alpha", "")]]).await;
        let at = |time: chrono::DateTime<chrono::Utc>| kam_tests::pbjson_types::Timestamp {
            seconds: time.timestamp(),
            nanos: 0,
        };
        let month_ago = chrono::Utc::now() - chrono::Duration::days(30);
        let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
        let opened = |external_id: &str, time| pb::ServiceRequestRecord {
            open_time: Some(at(time)),
            ..ticket(external_id, "A1", "", "")
        };
        let summary = import_tickets(
            server,
            vec![vec![opened("OLD", month_ago), ticket("NOW", "A1", "", ""), opened("SOON", tomorrow)]],
        )
        .await;
        assert_eq!(counts(&summary), (2, 0, 0, 1));
        assert_eq!(failures(&summary), [(2, "SOON", "INVALID_ARGUMENT", "open_time")]);
        let stored = tickets_by_external_id(server).await;
        let (old, new) = (&stored["OLD"], &stored["NOW"]);
        // A month is past any first-response target: the old ticket is breached from the start, and
        // the breach monitor takes it up at once; the one opened now is not.
        let state = |request: &pb::ServiceRequest| request.first_response.unwrap().state;
        assert_eq!(state(old), pb::sla_target::State::Breached as i32);
        assert_eq!(state(new), pb::sla_target::State::InProgress as i32);
        assert_eq!(old.create_time, Some(at(month_ago)));
        assert_eq!(old.status_time, Some(at(month_ago)));
        let history = status_history(server, &old.id).await;
        assert_eq!(history[0].change_time, Some(at(month_ago)));
        let due_now = server
            .query_i64(
                "SELECT COUNT(*) FROM service_requests WHERE external_id = 'OLD' AND next_check_time <= update_time",
                [],
            )
            .await;
        assert_eq!(due_now, 1, "the monitor's next look is the import itself");

        // A known ticket keeps its opening: the ERP's open time is only read for a new one.
        let later = opened("OLD", chrono::Utc::now() - chrono::Duration::days(1));
        let again = import_tickets(server, vec![vec![later]]).await;
        assert_eq!(counts(&again), (0, 0, 1, 0));
        assert_eq!(tickets_by_external_id(server).await["OLD"].create_time, Some(at(month_ago)));
    }

    /// Every read replays a ticket's SLA clock from its opening, a day at a time: an `open_time` older
    /// than `integration.open_time_horizon_days` (365 by default) is refused, so that no imported
    /// ticket can make its account's reads take seconds.
    async fn a_ticket_opened_before_the_horizon_is_a_row_error(server: &TestServer) {
        import_accounts(server, vec![vec![account("A1", "Alpha", "")]]).await;
        let at = |time: chrono::DateTime<chrono::Utc>| kam_tests::pbjson_types::Timestamp {
            seconds: time.timestamp(),
            nanos: 0,
        };
        let days_ago = |days| chrono::Utc::now() - chrono::Duration::days(days);
        let opened = |external_id: &str, time| pb::ServiceRequestRecord {
            open_time: Some(at(time)),
            ..ticket(external_id, "A1", "", "")
        };
        let first_instant = "0001-01-01T00:00:00Z".parse().unwrap();
        // Read once: the stored time is compared with it below, seconds later on a busy machine.
        let recent = days_ago(364);
        let summary = import_tickets(
            server,
            vec![vec![
                opened("ANCIENT", first_instant),
                opened("OLD", days_ago(366)),
                opened("RECENT", recent),
            ]],
        )
        .await;
        assert_eq!(
            failures(&summary),
            [
                (0, "ANCIENT", "INVALID_ARGUMENT", "open_time"),
                (1, "OLD", "INVALID_ARGUMENT", "open_time")
            ]
        );
        assert_eq!(counts(&summary), (1, 0, 0, 2));
        let stored = tickets_by_external_id(server).await;
        assert_eq!(stored.keys().collect::<Vec<_>>(), ["RECENT"]);
        assert_eq!(stored["RECENT"].create_time, Some(at(recent)));
    }

    async fn service_requests_open_like_created_ones_and_keep_their_sla(server: &TestServer) {
        import_accounts(
            server,
            vec![vec![account("A1", "Alpha", ""), account("A2", "Beta", ""), account("A3", "Gamma", "")]],
        )
        .await;
        let accounts = accounts_by_external_id(server).await;
        import_contacts(server, vec![vec![contact("C1", "A1", "Anna"), contact("C2", "A2", "Ben")]]).await;
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: accounts["A3"].id.clone(), etag: String::new() })
            .await
            .expect("delete A3");
        let agent = server.create_staff(pb::StaffLevel::Staff).await;
        let leaver = server.create_staff(pb::StaffLevel::Staff).await;
        server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest { id: leaver.id.clone(), etag: String::new() })
            .await
            .expect("deactivate the leaver");
        let mut plain = ticket("S2", "A1", "", "");
        plain.priority = 0;
        plain.category = 0;
        let messages = vec![vec![
            ticket("S1", "A1", "C1", &agent.email),
            plain,
            ticket("S3", "A1", "C2", ""),
            ticket("S4", "A1", "", "nobody@example.com"),
            ticket("S5", "A1", "", &leaver.email),
            ticket("S6", "A3", "", ""),
            ticket("S7", "A1", "C9", ""),
        ]];
        let first = import_tickets(server, messages.clone()).await;
        assert_eq!(counts(&first), (2, 0, 0, 5));
        assert_eq!(
            failures(&first),
            [
                (2, "S3", "FAILED_PRECONDITION", "contact_external_id"),
                (3, "S4", "NOT_FOUND", "assignee_email"),
                (4, "S5", "FAILED_PRECONDITION", "assignee_email"),
                (5, "S6", "FAILED_PRECONDITION", "account_external_id"),
                (6, "S7", "NOT_FOUND", "contact_external_id"),
            ]
        );
        assert!(first.errors[0].description.starts_with("CONTACT_NOT_OF_ACCOUNT"), "{:?}", first.errors[0]);
        let stored = tickets_by_external_id(server).await;
        let (s1, s2) = (&stored["S1"], &stored["S2"]);
        assert_eq!(s1.status, pb::service_request::Status::New as i32);
        assert_eq!(s1.priority, pb::Priority::P2 as i32);
        assert_eq!(s1.assignee_staff_id, agent.id);
        assert_eq!(s1.contact_id, contacts_of(server, &accounts["A1"].id).await[0].id);
        assert_eq!((s2.priority, s2.category), (pb::Priority::P3 as i32, pb::service_request::Category::Other as i32));

        // The same SLA as a request created through the API on the same account with the same priority.
        let created = ServiceLevelServiceClient::new(server.channel())
            .create_service_request(pb::CreateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    account_id: accounts["A1"].id.clone(),
                    title: "Made by hand".into(),
                    priority: pb::Priority::P2 as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a request")
            .into_inner();
        let (imported_sla, created_sla) = (s1.sla.clone().unwrap(), created.sla.clone().unwrap());
        assert_eq!(
            (imported_sla.policy_id.as_str(), imported_sla.first_response_minutes, imported_sla.resolution_minutes),
            (created_sla.policy_id.as_str(), created_sla.first_response_minutes, created_sla.resolution_minutes)
        );
        let target = |request: &pb::ServiceRequest| request.first_response.unwrap();
        assert_eq!(target(s1).state, pb::sla_target::State::InProgress as i32);
        assert!(target(s1).due_time.is_some());
        let history = status_history(server, &s1.id).await;
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].to_status, pb::service_request::Status::New as i32);
        let due_scanned = server
            .query_i64(
                "SELECT COUNT(*) FROM service_requests WHERE next_check_time IS NOT NULL AND external_id IN ('S1', 'S2')",
                [],
            )
            .await;
        assert_eq!(due_scanned, 2, "the breach monitor will look at both");
        assert_eq!(events_of_type(server, "ServiceRequestCreated").await, 3);

        let again = import_tickets(server, messages).await;
        assert_eq!(counts(&again), (0, 0, 2, 5));

        // The content is taken; the priority is KAM's once the request exists.
        let mut retitled = ticket("S1", "A1", "C1", &agent.email);
        retitled.title = "Pump P-7 leaks at the seal".into();
        retitled.priority = pb::Priority::P1 as i32;
        let moved = ticket("S2", "A2", "", "");
        let update = import_tickets(server, vec![vec![retitled, moved]]).await;
        assert_eq!(counts(&update), (0, 1, 0, 1));
        assert_eq!(failures(&update), [(1, "S2", "FAILED_PRECONDITION", "account_external_id")]);
        let s1_now = &tickets_by_external_id(server).await["S1"];
        assert_eq!(s1_now.title, "Pump P-7 leaks at the seal");
        assert_eq!(s1_now.priority, pb::Priority::P2 as i32);
        assert_eq!(s1_now.sla, s1.sla, "the snapshot stays");
        assert_ne!(s1_now.etag, s1.etag);

        // A cancelled request is final.
        ServiceLevelServiceClient::new(server.channel())
            .change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                id: s2.id.clone(),
                status: pb::service_request::Status::Cancelled as i32,
                note: "duplicate".into(),
                etag: String::new(),
            })
            .await
            .expect("cancel S2");
        let mut reworded = ticket("S2", "A1", "", "");
        reworded.priority = 0;
        reworded.category = 0;
        let same = import_tickets(server, vec![vec![reworded.clone()]]).await;
        assert_eq!(counts(&same), (0, 0, 1, 0));
        reworded.description = "More detail".into();
        let refused = import_tickets(server, vec![vec![reworded]]).await;
        assert_eq!(failures(&refused), [(0, "S2", "FAILED_PRECONDITION", "")]);
        assert!(refused.errors[0].description.starts_with("REQUEST_FINAL"), "{:?}", refused.errors[0]);
    }
}
