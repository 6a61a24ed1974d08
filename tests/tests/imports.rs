//! The streaming imports end to end (`IntegrationService.ImportRevenue`), on SQLite and on PostgreSQL
//! (when `KAM_TEST_POSTGRES_URL` is set): rows that cannot be written are reported with their index in
//! the whole stream while the rows around them are written, and importing the same rows again changes
//! nothing.

use kam_tests::{
    TestServer, backend_tests,
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
}
