//! `kamctl competitors` end to end: the real kamctl binary against a real server
//! (`kam_tests::TestServer`) on SQLite, and on PostgreSQL when `KAM_TEST_POSTGRES_URL` is set.

mod common;

use chrono::{Duration, Utc};
use kam_tests::{TestServer, backend_tests, pb};
use serde_json::Value as Json;

use common::{exits, fails, json, ok, text};

/// `YYYY-MM-DD`, `days` from today (UTC).
fn day(days: i64) -> String {
    (Utc::now().date_naive() + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Creates an opportunity of `account` facing `competitors` and returns its id.
async fn deal(server: &TestServer, account: &str, owner: &str, amount: &str, competitors: &[&str]) -> String {
    let mut args = vec![
        "opps",
        "create",
        "--account",
        account,
        "--name",
        "Pumps",
        "--owner",
        owner,
        "--amount",
        amount,
        "--close-date",
        "2030-12-31",
        "--budget",
        "--authority",
        "--need",
    ];
    for competitor in competitors {
        args.extend(["--competitor", competitor]);
    }
    let created = json(server, &args).await;
    text(&created["id"]).to_owned()
}

backend_tests! {
    async fn competitors_are_managed_and_reported(server: &TestServer) {
        let created = json(
            server,
            &[
                "competitors", "create", "--name", "KSB", "--alias", "KSB SE", "--strengths", "price",
                "--website", "https://www.ksb.com",
            ],
        )
        .await;
        let ksb = text(&created["id"]).to_owned();
        assert_eq!(created["aliases"], serde_json::json!(["KSB SE"]));
        let other = json(server, &["competitors", "create", "--name", "Wilo"]).await;
        let wilo = text(&other["id"]).to_owned();

        let list = ok(server, &["competitors", "list"]).await;
        let lines: Vec<&str> = list.lines().collect();
        assert!(lines[0].starts_with("ID") && lines[0].contains("NAME  ALIASES"), "{list}");
        assert!(lines[1].starts_with(&ksb) && lines[1].contains("KSB   KSB SE") && lines[1].ends_with("https://www.ksb.com"), "{list}");
        assert!(lines[2].starts_with(&wilo), "{list}");
        let found = json(server, &["competitors", "list", "--query", "ksb se"]).await;
        assert_eq!(found["competitors"].as_array().map(Vec::len), Some(1));

        let shown = ok(server, &["competitors", "get", &ksb]).await;
        assert!(shown.contains("strengths:    price\n"), "{shown}");
        let updated = json(server, &["competitors", "update", &ksb, "--weaknesses", "delivery times", "--strengths", ""]).await;
        assert_eq!(text(&updated["weaknesses"]), "delivery times");
        assert_eq!(updated["strengths"], Json::Null, "cleared");
        assert_eq!(updated["aliases"], serde_json::json!(["KSB SE"]), "kept");
        let usage = exits(server, 2, &["competitors", "update", &ksb]).await;
        assert!(usage.contains("nothing to update"), "{usage}");
        let taken = fails(server, &["competitors", "create", "--name", "ksb se"]).await;
        assert!(taken.contains("ALREADY_EXISTS"), "{taken}");

        // Deals: one won against KSB (by its alias), one lost to it, one open facing a name no
        // competitor has.
        let owner = server.create_staff(pb::StaffLevel::Manager).await;
        let account = json(server, &["accounts", "create", "--name", "Competitive Pumps"]).await;
        let account = text(&account["id"]).to_owned();
        let won = deal(server, &account, &owner.id, "1000.50 EUR", &["KSB SE"]).await;
        let lost = deal(server, &account, &owner.id, "250 EUR", &["KSB", "Grundfos"]).await;
        deal(server, &account, &owner.id, "99.99 USD", &["Grundfos"]).await;
        ok(server, &["opps", "close", &won, "--won", "--reason", "price"]).await;
        ok(server, &["opps", "close", &lost, "--lost", "--reason", "price", "--lost-to", "ksb"]).await;
        let facing = json(server, &["opps", "list", "--competitor", &ksb]).await;
        assert_eq!(facing["opportunities"].as_array().map(Vec::len), Some(2));

        let report = ok(server, &["competitors", "report", "--from", &day(-1), "--to", &day(1)]).await;
        let ksb_row = report
            .lines()
            .find(|line| line.starts_with("KSB "))
            .unwrap_or_else(|| panic!("no KSB row:\n{report}"));
        let cells: Vec<&str> = ksb_row.split("  ").map(str::trim).filter(|cell| !cell.is_empty()).collect();
        // faced, won, lost to, others, open, win rate, faced / won / lost amounts.
        assert_eq!(
            cells,
            ["KSB", "2", "1", "1", "0", "0", "50.0%", "1250.50 EUR", "1000.50 EUR", "250.00 EUR"],
            "{report}"
        );
        assert!(report.contains(&format!("== KSB ({ksb}): top accounts ==")), "{report}");
        assert!(report.contains(&format!("Competitive Pumps  {account}")), "{report}");
        assert!(report.contains("== Names no competitor has =="), "{report}");
        let grundfos = report.lines().find(|line| line.starts_with("Grundfos")).unwrap_or_default();
        assert_eq!(grundfos.split_whitespace().collect::<Vec<_>>(), ["Grundfos", "2", "0"], "{report}");

        let only = json(server, &["competitors", "report", "--from", &day(-1), "--to", &day(1), "--competitor", &wilo]).await;
        assert_eq!(only["rows"], Json::Null, "Wilo faced nothing");
        let usage = exits(server, 2, &["competitors", "report", "--from", &day(1), "--to", &day(-1)]).await;
        assert!(usage.contains("before --from"), "{usage}");

        assert_eq!(ok(server, &["competitors", "delete", &wilo]).await, format!("deleted competitor {wilo}\n"));
        let gone = fails(server, &["competitors", "get", &wilo]).await;
        assert!(gone.contains("NOT_FOUND"), "{gone}");
    }
}
