//! `kam-erp export events` end to end, on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is
//! set): every event once and in the server's order, across runs, after a kill between writing and
//! saving the cursor, and while following.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use kam_tests::{TestServer, backend_tests, pb};
use serde_json::Value as Json;

use common::{
    Files, event_cursors, eventually, json_lines, kam_erp, ok, spawn, terminate, texts, wait, wait_for_events,
};

fn cursors(lines: &[Json]) -> Vec<String> {
    lines
        .iter()
        .map(|line| line["cursor"].as_str().expect("a cursor").to_owned())
        .collect()
}

/// Complete lines in a file that may be being written.
fn complete_lines(path: &str) -> usize {
    std::fs::read(path).map_or(0, |bytes| bytes.iter().filter(|&&b| b == b'\n').count())
}

/// The file holds every event of the server once, in the server's order.
async fn assert_every_event_once(server: &TestServer, out: &str) {
    let exported = cursors(&json_lines(out));
    let unique: HashSet<&String> = exported.iter().collect();
    assert_eq!(unique.len(), exported.len(), "no event twice");
    assert_eq!(exported, event_cursors(server).await);
}

backend_tests! {
    async fn an_export_run_twice_holds_every_event_once_in_order(server: &TestServer) {
        let first_account = server.create_account("Alpha Pumps").await;
        server.create_account("Beta Valves").await;
        wait_for_events(server, 2).await;
        let files = Files::new();
        let out = files.path("events.jsonl");

        let (stdout, stderr) = ok(server, &["export", "events", &out]).await;
        assert!(stderr.contains("exporting from the earliest event"), "{stderr}");
        let first = json_lines(&out);
        assert!(stdout.starts_with(&format!("caught up: {} events written to {out}", first.len())), "{stdout}");
        let created = first
            .iter()
            .find(|line| line["resource_id"] == first_account.id.as_str())
            .expect("the account's event");
        assert_eq!(created["event_type"], "AccountCreated");
        assert_eq!(created["resource_type"], "account");
        assert_eq!(created["account_id"], first_account.id.as_str());
        assert!(created["payload"].is_object(), "the payload is an object, not a string: {created}");
        assert_eq!(created["payload"]["displayName"], "Alpha Pumps", "the public proto3 JSON: {created}");
        assert!(created["changed_fields"].as_array().is_some_and(|fields| !fields.is_empty()), "{created}");
        let time = created["occur_time"].as_str().unwrap();
        assert!(time.len() >= 20 && time.as_bytes()[10] == b'T' && time.ends_with('Z'), "RFC 3339: {time}");
        assert_every_event_once(server, &out).await;

        server.create_account("Gamma Seals").await;
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: first_account.id.clone(), ..Default::default() })
            .await
            .expect("delete an account");
        wait_for_events(server, first.len() + 2).await;
        let (stdout, stderr) = ok(server, &["export", "events", &out]).await;
        assert!(stderr.contains("resuming the export"), "{stderr}");
        let all = json_lines(&out);
        assert!(all.len() >= first.len() + 2, "{} then {}", first.len(), all.len());
        assert!(stdout.starts_with(&format!("caught up: {} events written", all.len() - first.len())), "{stdout}");
        assert_every_event_once(server, &out).await;

        // Nothing new: nothing written.
        let (stdout, _) = ok(server, &["export", "events", &out]).await;
        assert!(stdout.starts_with("caught up: 0 events written"), "{stdout}");
        assert_eq!(json_lines(&out).len(), all.len());
    }

    async fn an_export_killed_between_writing_and_saving_writes_nothing_twice(server: &TestServer) {
        for name in ["Alpha", "Beta", "Gamma"] {
            server.create_account(name).await;
        }
        wait_for_events(server, 3).await;
        let files = Files::new();
        let out = files.path("events.jsonl");
        let state = files.path("events.state");
        ok(server, &["export", "events", &out, "--state", &state]).await;
        let text = std::fs::read_to_string(&out).unwrap();
        let first_line = text.lines().next().unwrap();
        let first_cursor = json_lines(&out)[0]["cursor"].as_str().unwrap().to_owned();

        // As a run killed at the worst moments leaves things: the state saved after the first line, the
        // lines after it written, and a line cut short.
        let saved = serde_json::json!({
            "version": 1,
            "cursor": first_cursor,
            "out_bytes": first_line.len() + 1,
            "filters": {"event_types": [], "resource_types": []},
        });
        std::fs::write(&state, saved.to_string()).unwrap();
        std::fs::write(&out, format!("{text}{{\"cursor\":\"e1-")).unwrap();
        server.create_account("Delta").await;
        wait_for_events(server, 4).await;

        let (_, stderr) = ok(server, &["export", "events", &out, "--state", &state]).await;
        assert!(stderr.contains("removed an incomplete last line"), "{stderr}");
        assert!(stderr.contains("holds events past the saved cursor"), "{stderr}");
        assert_every_event_once(server, &out).await;
    }

    async fn a_follow_export_writes_events_as_they_happen_until_sigterm(server: &TestServer) {
        server.create_account("Alpha").await;
        wait_for_events(server, 1).await;
        let files = Files::new();
        let out = files.path("events.jsonl");
        let child = spawn(server, &server.addr.to_string(), &["export", "events", &out, "--follow"]);
        eventually("the first event is written", Duration::from_secs(30), || complete_lines(&out) >= 1).await;

        for name in ["Beta", "Gamma"] {
            server.create_account(name).await;
        }
        let expected = wait_for_events(server, 3).await.len();
        eventually("the new events are written", Duration::from_secs(30), || complete_lines(&out) >= expected).await;
        terminate(&child);
        let output = wait(child).await;
        let (stdout, stderr) = texts(&output);
        assert!(output.status.success(), "SIGTERM ends a follow export cleanly: {stderr}");
        assert!(stdout.starts_with(&format!("stopped: {expected} events written")), "{stdout}");
        assert_every_event_once(server, &out).await;
    }

    async fn filters_select_events_and_a_state_keeps_its_filters(server: &TestServer) {
        server.create_account("Alpha").await;
        server.create_staff(pb::StaffLevel::Staff).await;
        wait_for_events(server, 2).await;
        let files = Files::new();
        let out = files.path("accounts.jsonl");
        ok(server, &["export", "events", &out, "--resource-type", "account", "--event-type", "AccountCreated"]).await;
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["event_type"], "AccountCreated");

        let output = kam_erp(server, &["export", "events", &out, "--resource-type", "staff"]).await;
        let stderr = texts(&output).1;
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("was saved by an export with other filters"), "{stderr}");
    }
}
