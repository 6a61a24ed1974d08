//! `kamctl tickets`, `calendars`, `policies` and `sla board` end to end: the real kamctl binary against
//! a real server (`kam_tests::TestServer`) on SQLite, and on PostgreSQL when `KAM_TEST_POSTGRES_URL` is
//! set.
//!
//! The requests are at a STRATEGIC account, whose seeded policy counts on the 24x7 calendar (P1: first
//! response 30 min, resolution 240 min, at risk at 80 %), so the states do not depend on the time of
//! day the test runs. To put a request 26 or 40 minutes into its life, the test moves its creation back
//! in the database and then changes it through kamctl, which re-derives the stored SLA columns the
//! list filters read.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use kam_tests::{TestServer, backend_tests, pb};
use sea_orm::Value;
use sea_orm::prelude::DateTimeUtc;
use serde_json::Value as Json;
use uuid::Uuid;

use common::{fails, json, ok, text};

/// The ids of the requests of a `tickets list --json`.
fn ids(list: &Json) -> Vec<String> {
    list["serviceRequests"]
        .as_array()
        .map(|requests| requests.iter().map(|r| text(&r["id"]).to_owned()).collect())
        .unwrap_or_default()
}

/// The titles of one board column of `sla board --json`.
fn titles(board: &Json, column: &str) -> Vec<String> {
    board[column]
        .as_array()
        .unwrap_or_else(|| panic!("no column {column}: {board}"))
        .iter()
        .map(|card| text(&card["title"]).to_owned())
        .collect()
}

/// Moves the request's creation (and its first history entry) `minutes` into the past.
async fn age(server: &TestServer, id: &str, minutes: i64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let created = Value::from(DateTimeUtc::from_timestamp(now - minutes * 60, 0).expect("an instant"));
    let id = Value::from(Uuid::parse_str(id).expect("an id"));
    server
        .execute(
            "UPDATE service_request_status_changes SET change_time = $1 WHERE service_request_id = $2",
            [created.clone(), id.clone()],
        )
        .await;
    let changed = server
        .execute(
            "UPDATE service_requests SET create_time = $1, status_time = $1, sla_apply_time = $1 \
             WHERE id = $2",
            [created, id],
        )
        .await;
    assert_eq!(changed, 1);
}

backend_tests! {
    async fn tickets_and_the_sla_board(server: &TestServer) {
        let name = format!("Shanghai Pump Works {}", Uuid::now_v7().simple());
        let account = json(server, &["accounts", "create", "--name", &name]).await;
        let account = text(&account["id"]).to_owned();
        let changed = server
            .execute(
                "UPDATE accounts SET tier = 'STRATEGIC' WHERE id = $1",
                [Value::from(Uuid::parse_str(&account).expect("an id"))],
            )
            .await;
        assert_eq!(changed, 1);
        let agent = server.create_staff(pb::StaffLevel::Staff).await;

        // Calendars and policies.
        let calendars = ok(server, &["calendars", "list"]).await;
        assert!(calendars.contains("24x7") && calendars.contains("Office hours"), "{calendars}");
        let office = ok(server, &["calendars", "get", "00000000-0000-7000-8000-000000000301"]).await;
        assert!(office.contains("MONDAY 08:00-18:00"), "{office}");
        let policies = ok(server, &["policies", "list", "--tier", "strategic"]).await;
        assert!(policies.contains("tier STRATEGIC") && policies.contains("30/240"), "{policies}");
        let default = ok(server, &["policies", "get", "00000000-0000-7000-8000-000000000310"]).await;
        assert!(default.contains("scope:") && default.contains("default"), "{default}");

        // Three P1 requests: one fresh, one 26 minutes old (first response at risk), one 40 minutes old
        // (first response breached).
        let mut created = Vec::new();
        for title in ["Pump 3 leaks", "Valve stuck", "Motor overheats"] {
            let request = json(
                server,
                &[
                    "tickets", "create", "--account", &account, "--title", title, "--priority", "p1",
                    "--category", "repair", "--assignee", &agent.id,
                ],
            )
            .await;
            assert_eq!(text(&request["status"]), "NEW");
            assert_eq!(text(&request["sla"]["match"]), "MATCHED_TIER");
            created.push(text(&request["id"]).to_owned());
        }
        let [fresh, at_risk, breached] = [&created[0], &created[1], &created[2]];
        for (id, minutes) in [(at_risk, 26), (breached, 40)] {
            age(server, id, minutes).await;
            ok(server, &["tickets", "update", id, "--description", "re-derive the SLA columns"]).await;
        }

        let shown = ok(server, &["tickets", "get", at_risk]).await;
        assert!(shown.contains("first_response:") && shown.contains("AT_RISK due"), "{shown}");

        // The list filters.
        let list = json(server, &["tickets", "list", "--account", &account, "--sla-state", "at-risk"]).await;
        assert_eq!(ids(&list), [at_risk.as_str()]);
        let list = json(
            server,
            &["tickets", "list", "--account", &account, "--sla-state", "breached", "--sla-target", "first-response"],
        )
        .await;
        assert_eq!(ids(&list), [breached.as_str()]);
        let list = json(server, &["tickets", "list", "--assignee", &agent.id, "--priority", "p1", "--status", "new"]).await;
        assert_eq!(ids(&list).len(), 3);
        let soon = ok(server, &["tickets", "list", "--account", &account, "--due-before", "2000-01-01T00:00:00Z"]).await;
        assert_eq!(soon.lines().count(), 1, "only the header: {soon}");

        // The board: each request in its worst column.
        let board = json(server, &["sla", "board", "--account", &account]).await;
        assert_eq!(titles(&board, "dueSoon"), ["Pump 3 leaks"]);
        assert_eq!(titles(&board, "atRisk"), ["Valve stuck"]);
        assert_eq!(titles(&board, "breached"), ["Motor overheats"]);
        assert_eq!(board["withinMinutes"], 240);
        let board_text = ok(server, &["sla", "board", "--account", &account, "--width", "150"]).await;
        let header = board_text.lines().nth(2).expect("a header line");
        assert!(
            header.starts_with("DUE SOON (1, in 4h00m)") && header.contains("│ AT RISK (1)") && header.contains("│ BREACHED (1)"),
            "{board_text}"
        );
        assert!(board_text.contains(&name[..20]) && board_text.contains("FR "), "{board_text}");
        let stacked = ok(server, &["sla", "board", "--account", &account, "--width", "60", "--ids"]).await;
        let order: Vec<&str> = stacked
            .lines()
            .filter(|line| line.starts_with("DUE SOON") || line.starts_with("AT RISK") || line.starts_with("BREACHED") || line.starts_with("P1 "))
            .collect();
        assert_eq!(
            order,
            ["DUE SOON (1, in 4h00m)", "P1 Pump 3 leaks", "AT RISK (1)", "P1 Valve stuck", "BREACHED (1)", "P1 Motor overheats"],
            "{stacked}"
        );
        let narrow = json(server, &["sla", "board", "--account", &account, "--within", "10m"]).await;
        assert!(titles(&narrow, "dueSoon").is_empty(), "nothing due within 10 minutes but at risk");

        // First response, status changes, recalculation, history and escalations.
        let responded = json(server, &["tickets", "respond", fresh]).await;
        assert_eq!(text(&responded["firstResponse"]["state"]), "MET");
        let again = fails(server, &["tickets", "respond", fresh]).await;
        assert!(again.contains("FIRST_RESPONSE_RECORDED"), "{again}");
        let moved = json(server, &["tickets", "status", fresh, "in-progress", "--note", "on site"]).await;
        assert_eq!(text(&moved["status"]), "IN_PROGRESS");
        let illegal = fails(server, &["tickets", "status", fresh, "closed"]).await;
        assert!(illegal.contains("ILLEGAL_TRANSITION"), "{illegal}");
        let recalculated = json(server, &["tickets", "recalc", fresh, "--priority", "p2"]).await;
        assert_eq!(text(&recalculated["priority"]), "P2");
        assert_eq!(recalculated["sla"]["resolutionMinutes"], 480);
        let history = ok(server, &["tickets", "history", fresh]).await;
        let rows: Vec<&str> = history.lines().collect();
        assert_eq!(rows.len(), 3, "{history}");
        assert!(rows[1].contains("(created)") && rows[2].contains("IN_PROGRESS") && rows[2].contains("on site"), "{history}");
        let escalations = ok(server, &["tickets", "escalations", fresh]).await;
        assert!(escalations.starts_with("TIME"), "{escalations}");
        let missing = fails(server, &["tickets", "get", &Uuid::now_v7().to_string()]).await;
        assert!(missing.contains("NOT_FOUND") || missing.contains("not found"), "{missing}");
    }
}
