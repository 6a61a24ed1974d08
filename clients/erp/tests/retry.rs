//! Retries end to end: a server that is not up yet, a connection that breaks under a follow export,
//! and giving up. A relay (`common::Relay`) plays the server's address, started late or cut.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use kam_tests::backend_tests;

use common::{
    Files, Relay, eventually, free_port, json_lines, revenue_by_external_id, spawn, terminate, texts, wait,
    wait_for_events,
};

/// Complete lines in a file that may be being written.
fn complete_lines(path: &str) -> usize {
    std::fs::read(path).map_or(0, |bytes| bytes.iter().filter(|&&b| b == b'\n').count())
}

#[test]
fn an_unreachable_server_is_retried_max_retries_times_then_given_up_with_the_reason() {
    let files = Files::new();
    let file = files.write(
        "revenue.csv",
        "external_id,account_id,period,amount,currency\nR-1,x,2026-01,1,EUR\n",
    );
    let dead = free_port();
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_kam-erp"))
        .args([
            "--addr",
            &dead.to_string(),
            "--max-retries",
            "2",
            "import",
            "revenue",
            &file,
        ])
        .env("KAM_API_KEY", "kam_00000000_unused")
        .env_remove("KAM_ADDR")
        .env_remove("KAM_API_KEY_FILE")
        .output()
        .expect("kam-erp runs");
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // 0.1-0.2 s and 0.2-0.4 s of backoff.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains("retry 1 of 2 in") && stderr.contains("retry 2 of 2 in"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "error: the revenue import call at the start of the file failed 3 times, giving up: UNAVAILABLE"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("retry 3"), "{stderr}");
}

backend_tests! {
    async fn an_import_waits_for_a_server_that_comes_up_late(server: &TestServer) {
        let files = Files::new();
        let account = server.create_account("Alpha").await.id;
        let file = files.write(
            "revenue.csv",
            &format!("external_id,account_id,period,amount,currency\nR-1,{account},2026-01,1.50,EUR\n"),
        );
        let port = free_port();
        let child = spawn(server, &port.to_string(), &["import", "revenue", &file]);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let _relay = Relay::start(port, server.addr).await;
        let output = wait(child).await;
        let (stdout, stderr) = texts(&output);
        assert!(output.status.success(), "{stderr}");
        assert!(stderr.contains("failed (UNAVAILABLE: ") && stderr.contains("retry 1 of 8"), "{stderr}");
        assert!(stdout.contains("created 1"), "{stdout}");
        assert_eq!(revenue_by_external_id(server).await["R-1"].2, 1);
    }

    async fn a_follow_export_reconnects_when_its_connection_breaks(server: &TestServer) {
        server.create_account("Alpha").await;
        wait_for_events(server, 1).await;
        let relay = Relay::start(free_port(), server.addr).await;
        let files = Files::new();
        let out = files.path("events.jsonl");
        let relay_addr = relay.addr().to_string();
        let child = spawn(server, &relay_addr, &["export", "events", &out, "--follow"]);
        eventually("the first event is written", Duration::from_secs(30), || complete_lines(&out) >= 1).await;

        relay.cut();
        for name in ["Beta", "Gamma"] {
            server.create_account(name).await;
        }
        let expected = wait_for_events(server, 3).await;
        eventually("the new events are written", Duration::from_secs(30), || complete_lines(&out) >= expected.len())
            .await;
        terminate(&child);
        let output = wait(child).await;
        let (_, stderr) = texts(&output);
        assert!(output.status.success(), "{stderr}");
        assert!(stderr.contains("WatchEvents failed") && stderr.contains("retry 1 in"), "{stderr}");
        let exported: Vec<String> = json_lines(&out)
            .iter()
            .map(|line| line["cursor"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(exported, expected, "every event once, in order, across the reconnect");
    }

    async fn an_import_call_cut_off_midway_is_sent_again_and_counts_its_rows_once(server: &TestServer) {
        const ROWS: usize = 50_000;
        let files = Files::new();
        let account = server.create_account("Alpha").await.id;
        let mut csv = "external_id,account_id,period,amount,currency\n".to_owned();
        for i in 0..ROWS {
            csv += &format!("R-{i},{account},2026-01,{i},EUR\n");
        }
        let file = files.write("revenue.csv", &csv);
        let relay = Relay::start(free_port(), server.addr).await;
        let relay_addr = relay.addr().to_string();
        // One call of many batches: it is cut once its first batches are written.
        let args = ["import", "revenue", &file, "--call-rows", "100000", "--batch-rows", "500", "--json"];
        let child = spawn(server, &relay_addr, &args);
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.query_i64("SELECT count(*) FROM revenue_records", []).await == 0 {
            assert!(Instant::now() < deadline, "no batch was written in time");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        relay.cut();
        let output = wait(child).await;
        let (stdout, stderr) = texts(&output);
        assert!(output.status.success(), "{stderr}");
        assert!(stderr.contains("the revenue import call at the start of the file failed") && stderr.contains("retry 1 of 8"), "{stderr}");
        let summary: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON summary");
        assert_eq!((summary["rows"].as_u64(), summary["failed"].as_u64()), (Some(ROWS as u64), Some(0)), "{summary}");
        let created = summary["created"].as_u64().unwrap();
        let unchanged = summary["unchanged"].as_u64().unwrap();
        assert_eq!(created + unchanged, ROWS as u64, "{summary}");
        assert!(unchanged > 0, "the batches the cut call wrote come back unchanged: {summary}");
        assert_eq!(revenue_by_external_id(server).await.len(), ROWS);
    }
}
