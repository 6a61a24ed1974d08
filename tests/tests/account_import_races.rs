//! `ImportAccounts` under concurrency, on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set).
//! A message naming no parent runs READ COMMITTED on PostgreSQL, beside the message after it; one naming
//! a parent runs SERIALIZABLE and alone. These tests fail if that split lets a rule break: a parent loop
//! built by two imports at once, an update lost between an import and a user, or a child written before
//! the message that creates its parent.

use kam_tests::{
    TestServer, backend_tests,
    pb::{self, integration_service_client::IntegrationServiceClient},
    pbjson_types::FieldMask,
};
use tonic::Code;

fn account(external_id: &str, name: &str, parent: &str) -> pb::AccountRecord {
    pb::AccountRecord {
        external_id: external_id.to_owned(),
        display_name: name.to_owned(),
        parent_external_id: parent.to_owned(),
        ..Default::default()
    }
}

/// Imports `messages` as one stream; an import that lost its races to the end answers ABORTED.
async fn try_import(
    server: &TestServer,
    messages: Vec<Vec<pb::AccountRecord>>,
) -> Result<pb::ImportSummary, tonic::Status> {
    let stream = tokio_stream::iter(
        messages
            .into_iter()
            .map(|accounts| pb::ImportAccountsRequest { accounts }),
    );
    IntegrationServiceClient::new(server.channel())
        .import_accounts(stream)
        .await
        .map(tonic::Response::into_inner)
}

async fn import(server: &TestServer, messages: Vec<Vec<pb::AccountRecord>>) -> pb::ImportSummary {
    try_import(server, messages).await.expect("import accounts")
}

/// Whether the call wrote its rows or lost its races (ABORTED, worth a retry); nothing else.
fn written_or_aborted(outcome: Result<pb::ImportSummary, tonic::Status>) -> Option<pb::ImportSummary> {
    match outcome {
        Ok(summary) => Some(summary),
        Err(status) if status.code() == Code::Aborted => None,
        Err(status) => panic!("the import failed: {status:?}"),
    }
}

/// The id and the parent's id (empty for none) of the account with `external_id`, found among those
/// whose name holds `name`.
async fn id_and_parent(server: &TestServer, external_id: &str, name: &str) -> (String, String) {
    let account = server
        .accounts()
        .list_accounts(pb::ListAccountsRequest {
            page_size: 100,
            query: name.to_owned(),
            ..Default::default()
        })
        .await
        .expect("list accounts")
        .into_inner()
        .accounts
        .into_iter()
        .find(|account| account.external_id == external_id)
        .expect("the account is stored");
    (account.id, account.parent_account_id)
}

backend_tests! {
    async fn two_imports_at_once_cannot_build_a_parent_loop(server: &TestServer) {
        let unlinked = || vec![vec![account("A", "Alpha", ""), account("B", "Beta", "")]];
        import(server, unlinked()).await;
        let (a, _) = id_and_parent(server, "A", "Alpha").await;
        let (b, _) = id_and_parent(server, "B", "Beta").await;
        for round in 0..8 {
            // A under B and B under A, at the same time: one of them must be refused.
            let (first, second) = tokio::join!(
                try_import(server, vec![vec![account("A", "Alpha", "B")]]),
                try_import(server, vec![vec![account("B", "Beta", "A")]]),
            );
            let linked: u64 = [first, second]
                .into_iter()
                .filter_map(written_or_aborted)
                .map(|summary| u64::try_from(summary.updated).unwrap())
                .sum();
            let (_, a_parent) = id_and_parent(server, "A", "Alpha").await;
            let (_, b_parent) = id_and_parent(server, "B", "Beta").await;
            assert!(
                !(a_parent == b && b_parent == a),
                "round {round}: A and B are each other's parent"
            );
            assert!(linked <= 1, "round {round}: both links were written");
            // Unlinked again by a message without parents (READ COMMITTED on PostgreSQL), raced by a
            // message linking them: either order leaves no loop.
            let (unlink, relink) = tokio::join!(
                try_import(server, unlinked()),
                try_import(server, vec![vec![account("A", "Alpha", "B")]]),
            );
            written_or_aborted(unlink);
            written_or_aborted(relink);
            let (_, a_parent) = id_and_parent(server, "A", "Alpha").await;
            let (_, b_parent) = id_and_parent(server, "B", "Beta").await;
            assert!(!(a_parent == b && b_parent == a), "round {round}: a loop after unlinking");
            import(server, unlinked()).await;
        }
    }

    async fn an_import_beside_a_user_loses_no_update(server: &TestServer) {
        import(server, vec![vec![account("A", "Alpha", "")]]).await;
        let (id, _) = id_and_parent(server, "A", "Alpha").await;
        let mut accounts = server.accounts();
        for round in 0..10 {
            let rename = accounts.update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account {
                    id: id.clone(),
                    display_name: format!("Alpha in KAM {round}"),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask { paths: vec!["display_name".to_owned()] }),
                change_reason: String::new(),
            });
            let imported = try_import(server, vec![vec![account("A", &format!("Alpha from the ERP {round}"), "")]]);
            let (renamed, imported) = tokio::join!(rename, imported);
            renamed.expect("rename in KAM");
            written_or_aborted(imported);
        }
        // Every write moved the revision once and left one audit row: none overwrote another unseen.
        let revision = server
            .query_i64("SELECT revision FROM accounts WHERE external_id = $1", ["A".into()])
            .await;
        let audited = server
            .query_i64("SELECT COUNT(*) FROM audit_entries WHERE resource_id = $1", [id.clone().into()])
            .await;
        assert_eq!(revision, audited, "one revision per audited write");
        assert!(revision > 10, "the renames were written: revision {revision}");
    }

    async fn a_child_waits_for_the_message_creating_its_parent(server: &TestServer) {
        // The first message names no parent: on PostgreSQL it may be written beside the next one,
        // unless that one names a parent, as here, a parent the first message creates.
        let parents: Vec<_> = (0..3000)
            .map(|n| account(&format!("P{n:04}"), &format!("Parent {n:04}"), ""))
            .collect();
        let children = vec![account("C1", "Child One", "P2999"), account("C2", "Child Two", "P0000")];
        let unrelated = vec![account("U1", "Unrelated", "")];
        let summary = import(server, vec![parents, children, unrelated]).await;
        assert_eq!(
            (summary.created, summary.updated, summary.unchanged, summary.failed),
            (3003, 0, 0, 0),
            "{:?}",
            summary.errors
        );
        let (p2999, _) = id_and_parent(server, "P2999", "Parent 2999").await;
        assert_eq!(id_and_parent(server, "C1", "Child One").await.1, p2999);
        let events = server
            .query_i64("SELECT COUNT(*) FROM outbox_events WHERE event_type = 'AccountCreated'", [])
            .await;
        assert_eq!(events, 3003, "one event per account");
    }
}
