//! `kamctl group` and `kamctl revenue report` end to end: the real kamctl binary against a real server
//! (`kam_tests::TestServer`) on SQLite, and on PostgreSQL when `KAM_TEST_POSTGRES_URL` is set.
//!
//! A group of three accounts (a parent, a subsidiary and its own subsidiary) gets revenue last month and
//! thirteen months ago, and an open deal; an account outside the group gets revenue too.

mod common;

use std::path::PathBuf;

use chrono::{Datelike, Months, Utc};
use kam_tests::{TestServer, backend_tests, pb};
use uuid::Uuid;

use common::{exits, fails, json, ok, text};

/// `YYYY-MM`, `months` before the current month (UTC).
fn month_ago(months: u32) -> String {
    let day = Utc::now().date_naive().with_day(1).expect("the first") - Months::new(months);
    day.format("%Y-%m").to_string()
}

/// A CSV file under the temp directory, removed when dropped.
struct TempCsv(PathBuf);

impl TempCsv {
    fn new(contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!("kamctl-groups-{}.csv", Uuid::now_v7().simple()));
        std::fs::write(&path, contents).expect("write the file");
        TempCsv(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for TempCsv {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn account(server: &TestServer, args: &[&str]) -> String {
    let created = json(server, &[&["accounts", "create"], args].concat()).await;
    text(&created["id"]).to_owned()
}

/// The group, its revenue and a deal; returns (parent, subsidiary, grandchild, outsider).
async fn group(server: &TestServer) -> (String, String, String, String) {
    let parent = account(
        server,
        &[
            "--name",
            "Sino Group",
            "--industry-code",
            "C",
            "--lifecycle",
            "active",
        ],
    )
    .await;
    let child = account(
        server,
        &[
            "--name",
            "Sino Shanghai",
            "--parent",
            &parent,
            "--industry-code",
            "C",
        ],
    )
    .await;
    let grandchild = account(
        server,
        &[
            "--name",
            "Sino Pudong",
            "--parent",
            &child,
            "--industry-code",
            "A",
        ],
    )
    .await;
    let outsider = account(server, &["--name", "Outside Farms", "--industry-code", "A"]).await;
    let (last, before) = (month_ago(1), month_ago(13));
    let csv = TempCsv::new(&format!(
        "external_id,account_id,period,amount\n\
         G-1,{parent},{last},1000.50 EUR\n\
         G-2,{child},{last},200.25 EUR\n\
         G-3,{grandchild},{last},50 EUR\n\
         G-4,{parent},{before},1000 EUR\n\
         G-5,{outsider},{last},300 EUR\n"
    ));
    ok(server, &["revenue", "import", "--file", csv.path()]).await;
    let owner = server.create_staff(pb::StaffLevel::Manager).await;
    ok(
        server,
        &[
            "opps",
            "create",
            "--account",
            &child,
            "--name",
            "Line 3",
            "--owner",
            &owner.id,
            "--amount",
            "125000.50 EUR",
            "--close-date",
            "2030-12-31",
        ],
    )
    .await;
    (parent, child, grandchild, outsider)
}

backend_tests! {
    async fn a_group_summary_as_a_tree_with_exact_totals(server: &TestServer) {
        let (parent, child, grandchild, _) = group(server).await;
        let summary = ok(server, &["group", &child]).await;
        assert!(summary.starts_with(&format!("Group of Sino Shanghai ({child})\n")), "{summary}");
        assert!(summary.contains(&format!("top of the hierarchy: {parent}\n")), "{summary}");
        let member = |name: &str| {
            summary
                .lines()
                .find(|line| line.trim_start().starts_with(name))
                .unwrap_or_else(|| panic!("no {name}:\n{summary}"))
                .to_owned()
        };
        // The account asked for first, its subsidiary indented below it.
        let (top, below) = (member("Sino Shanghai"), member("Sino Pudong"));
        assert!(top.starts_with("Sino Shanghai") && top.contains(&child) && top.contains("200.25 EUR"), "{summary}");
        assert!(below.starts_with("  Sino Pudong") && below.contains(&grandchild) && below.contains("50.00 EUR"), "{summary}");
        assert!(summary.contains("revenue:           250.25 EUR (previous 12 months 0.00 EUR)\n"), "{summary}");
        assert!(summary.contains("open_pipeline:     125000.50 EUR\n"), "{summary}");
        assert!(summary.contains("== Health signals =="), "{summary}");

        let whole = json(server, &["group", &parent]).await;
        assert_eq!(whole["members"].as_array().map(Vec::len), Some(3));
        assert_eq!(whole["revenue"]["units"], "1250");
        assert_eq!(whole["revenue"]["nanos"], 750_000_000);
        let text = ok(server, &["group", &parent]).await;
        assert!(
            text.contains("revenue:           1250.75 EUR (previous 12 months 1000.00 EUR, +25.1%)\n"),
            "{text}"
        );
        let refused = fails(server, &["group", "01a250e5-0000-7000-8000-000000000000"]).await;
        assert!(refused.contains("NOT_FOUND") || refused.contains("PERMISSION_DENIED"), "{refused}");
    }

    async fn revenue_by_industry(server: &TestServer) {
        group(server).await;
        let (from, to) = (month_ago(1), month_ago(0));
        let report = ok(server, &["revenue", "report", "--from", &from, "--to", &to, "--group-by", "industry", "--rollup", "1"]).await;
        assert!(report.contains(&format!("months:   {from} to {to}\n")), "{report}");
        assert!(report.contains("total:    1550.75 EUR\n"), "{report}");
        assert!(report.contains("accounts: 4\n"), "{report}");
        let row = |code: &str| {
            report
                .lines()
                .find(|line| line.starts_with(&format!("{code} ")))
                .unwrap_or_else(|| panic!("no {code}:\n{report}"))
                .split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .take(4)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(row("A")[1..], ["350.00 EUR", "2", "22.5697%"], "{report}");
        assert_eq!(row("C")[1..], ["1200.75 EUR", "2", "77.4302%"], "{report}");
        let only_a = ok(server, &["revenue", "report", "--from", &from, "--to", &to, "--industry", "A"]).await;
        assert!(only_a.contains("total:    350.00 EUR\n") && only_a.contains("accounts: 2\n"), "{only_a}");
        let usage = exits(server, 2, &["revenue", "report", "--rollup", "1"]).await;
        assert!(usage.contains("--group-by"), "{usage}");
    }
}
