//! `kam-erp import` end to end: the real binary against a real server (`kam_tests::TestServer`) on
//! SQLite, and on PostgreSQL when `KAM_TEST_POSTGRES_URL` is set.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use kam_tests::{TestServer, backend_tests, pb};
use serde_json::{Value as Json, json};

use common::{
    Files, accounts_by_external_id, contacts_by_external_id, counts, eventually, import_json, json_lines,
    kam_erp, ok, opportunities_by_external_id, rejects_of, revenue_by_external_id,
    service_requests_by_external_id, spawn, texts, wait,
};

/// (line, external id, code, field) of each line of a rejects file.
fn rejects(path: impl AsRef<Path>) -> Vec<(u64, String, String, String)> {
    json_lines(path)
        .iter()
        .map(|reject| {
            let text = |key: &str| {
                reject[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{key} in {reject}"))
                    .to_owned()
            };
            (
                reject["line"].as_u64().expect("a line"),
                text("external_id"),
                text("code"),
                text("field"),
            )
        })
        .collect()
}

fn reject(line: u64, external_id: &str, code: &str, field: &str) -> (u64, String, String, String) {
    (line, external_id.to_owned(), code.to_owned(), field.to_owned())
}

/// Imports accounts with the given ERP keys (no parents) and returns their KAM ids by key.
async fn erp_accounts(server: &TestServer, files: &Files, keys: &[&str]) -> Vec<String> {
    let mut csv = "external_id,display_name\n".to_owned();
    for key in keys {
        writeln!(csv, "{key},Customer {key}").unwrap();
    }
    let file = files.write("seed-accounts.csv", &csv);
    let (summary, _) = import_json(server, &["import", "accounts", &file]).await;
    assert_eq!(counts(&summary).3, 0, "{summary}");
    let accounts = accounts_by_external_id(server).await;
    keys.iter().map(|key| accounts[*key].id.clone()).collect()
}

backend_tests! {
    async fn revenue_from_csv_is_stored_exactly_and_a_second_import_changes_nothing(server: &TestServer) {
        let files = Files::new();
        let by_kam_id = server.create_account("Big Pumps").await.id;
        let by_erp_key = erp_accounts(server, &files, &["C-1"]).await.remove(0);
        // Both ways to name the account, credit notes, the smallest amount, a column KAM does not know.
        let file = files.write(
            "revenue.csv",
            &format!(
                "external_id,account_id,account_external_id,period,amount,currency,comment\n\
                 INV-1,{by_kam_id},,2026-01,1234.50,EUR,first\n\
                 INV-2,,C-1,2026-02,-20.125,eur,credit note\n\
                 INV-3,{by_kam_id},,2026-03,0.000000001,EUR,\n\
                 INV-4,,C-1,2026-3,+7,EUR,\n"
            ),
        );
        let (summary, _) = import_json(server, &["import", "revenue", &file]).await;
        assert_eq!(counts(&summary), (4, 0, 0, 0), "{summary}");
        assert_eq!(summary["rows"], 4);
        assert_eq!(summary["rejects_file"], Json::Null);
        assert!(!rejects_of(&file).exists(), "no rejects file without rejects");
        assert!(!Path::new(&format!("{file}.kam-erp-checkpoint")).exists(), "a finished run keeps no checkpoint");

        let stored = revenue_by_external_id(server).await;
        let expected = [
            ("INV-1", (by_kam_id.clone(), "2026-01", 1234, 500_000_000)),
            ("INV-2", (by_erp_key.clone(), "2026-02", -20, -125_000_000)),
            ("INV-3", (by_kam_id.clone(), "2026-03", 0, 1)),
            ("INV-4", (by_erp_key.clone(), "2026-03", 7, 0)),
        ];
        assert_eq!(stored.len(), expected.len(), "{stored:?}");
        for (key, (account, period, units, nanos)) in expected {
            assert_eq!(stored[key], (account, period.to_owned(), units, nanos), "{key}");
        }

        let (again, _) = import_json(server, &["import", "revenue", &file]).await;
        assert_eq!(counts(&again), (0, 0, 4, 0), "{again}");
        let (text, _) = ok(server, &["import", "revenue", &file]).await;
        assert!(
            text.starts_with(&format!(
                "imported 4 revenue rows from {file}: created 0, updated 0, unchanged 4, failed 0\nthis run: 4 rows in "
            )),
            "{text}"
        );
    }

    async fn revenue_from_json_lines_with_renamed_columns_and_a_default_currency(server: &TestServer) {
        let files = Files::new();
        let account = erp_accounts(server, &files, &["C-1"]).await.remove(0);
        let file = files.write(
            "revenue.ndjson",
            "{\"BELNR\": \"INV-10\", \"KUNNR\": \"C-1\", \"period\": \"2026-04\", \"amount\": \"99.99\", \"x\": {}}\n\
             {\"BELNR\": \"INV-11\", \"KUNNR\": \"C-1\", \"period\": \"2026-04\", \"amount\": 12}\n\
             {\"BELNR\": \"INV-12\", \"KUNNR\": \"C-1\", \"period\": \"2026-04\", \"amount\": 12.5}\n",
        );
        let (summary, _) = import_json(
            server,
            &["import", "revenue", &file, "--map", "BELNR=external_id", "--map", "kunnr=account_external_id",
              "--default", "currency=EUR"],
        )
        .await;
        assert_eq!(counts(&summary), (2, 0, 0, 1), "{summary}");
        assert_eq!(rejects(rejects_of(&file)), [reject(3, "INV-12", "INVALID_ARGUMENT", "amount")]);
        let stored = revenue_by_external_id(server).await;
        assert_eq!(stored["INV-10"], (account.clone(), "2026-04".to_owned(), 99, 990_000_000));
        assert_eq!(stored["INV-11"], (account, "2026-04".to_owned(), 12, 0));
    }

    async fn rows_that_cannot_be_written_are_listed_by_file_line_and_the_rows_around_them_are_written(
        server: &TestServer
    ) {
        let files = Files::new();
        erp_accounts(server, &files, &["C-1"]).await;
        // Calls of 4 rows in batches of 2: the server's row indexes restart with each call and count only
        // the rows sent, so the connector's line mapping is what puts each reject on its line.
        let file = files.write(
            "revenue.csv",
            "external_id,account_external_id,period,amount,currency\n\
             R-1,C-1,2026-01,10.00,EUR\n\
             R-2,C-1,2026-01,\"12,50\",EUR\n\
             R-3,C-404,2026-01,5,EUR\n\
             R-4,C-1,2026-13,5,EUR\n\
             \n\
             R-5,C-1,2026-02,5,EUR\n\
             R-5,C-1,2026-03,6,EUR\n\
             R-6,C-1,2026-02,1,USD\n\
             R-7,C-1,2026-02,1\n\
             R-8,C-1,2026-04,3,EUR\n",
        );
        let args = ["import", "revenue", &file, "--call-rows", "4", "--batch-rows", "2"];
        let output = kam_erp(server, &args).await;
        let (stdout, stderr) = texts(&output);
        assert!(output.status.success(), "rejected rows do not fail the run: {stderr}");
        assert!(stdout.contains("created 3, updated 0, unchanged 0, failed 6"), "{stdout}");
        let rejects_path = rejects_of(&file);
        assert!(
            stdout.contains(&format!("6 rows were not imported: see {}", rejects_path.display())),
            "{stdout}"
        );
        let expected = [
            reject(3, "R-2", "INVALID_ARGUMENT", "amount"),
            reject(4, "R-3", "NOT_FOUND", "account_external_id"),
            reject(5, "R-4", "INVALID_ARGUMENT", "period"),
            reject(8, "R-5", "INVALID_ARGUMENT", "external_id"),
            reject(9, "R-6", "INVALID_ARGUMENT", "amount.currency_code"),
            reject(10, "", "INVALID_ARGUMENT", ""),
        ];
        assert_eq!(rejects(&rejects_path), expected);
        let lines = json_lines(&rejects_path);
        assert!(lines[0]["description"].as_str().unwrap().contains("`12,50` is not a decimal amount"), "{}", lines[0]);
        assert!(lines[5]["description"].as_str().unwrap().contains("has 4 cells"), "{}", lines[5]);

        let stored = revenue_by_external_id(server).await;
        assert_eq!(stored.keys().collect::<Vec<_>>(), ["R-1", "R-5", "R-8"]);
        assert_eq!(stored["R-5"].1, "2026-02", "the first of two rows with one key in a message is written");

        // Again: the rejects file lists this run's rejects, not the last run's as well.
        let (summary, _) = import_json(server, &args).await;
        assert_eq!(counts(&summary), (0, 0, 3, 6), "{summary}");
        assert_eq!(rejects(&rejects_path), expected);
    }

    async fn a_killed_import_resumes_after_its_checkpoint_and_every_row_arrives_once(server: &TestServer) {
        const ROWS: usize = 30_000;
        let files = Files::new();
        let account = erp_accounts(server, &files, &["C-1"]).await.remove(0);
        let mut csv = "external_id,account_external_id,period,amount,currency\n".to_owned();
        for i in 0..ROWS {
            writeln!(csv, "R-{i},C-1,2026-{:02},{i}.{:02},EUR", i % 12 + 1, i % 100).unwrap();
        }
        let file = files.write("big.csv", &csv);
        let checkpoint = format!("{file}.kam-erp-checkpoint");
        let args = ["import", "revenue", &file, "--call-rows", "1000", "--batch-rows", "250"];

        let mut child = spawn(server, &server.addr.to_string(), &args);
        eventually("the first checkpoint is written", Duration::from_secs(60), || {
            Path::new(&checkpoint).exists()
        })
        .await;
        child.kill().expect("kill kam-erp");
        let killed = wait(child).await;
        assert!(!killed.status.success(), "kam-erp was killed before it finished: {}", texts(&killed).0);
        let saved: Json = serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
        let done = saved["totals"]["rows"].as_u64().unwrap();
        assert!(done > 0 && done < ROWS as u64 && done.is_multiple_of(1000), "{saved}");
        assert_eq!(saved["last_line"], done + 1, "row i is on line i + 1");

        let (summary, stderr) = import_json(server, &args).await;
        assert!(
            stderr.contains(&format!("resuming {file} after line {}: {done} rows were imported", done + 1)),
            "{stderr}"
        );
        assert_eq!(summary["rows"], ROWS, "the totals cover the whole file: {summary}");
        assert_eq!(summary["rows_this_run"], ROWS as u64 - done, "{summary}");
        assert_eq!(summary["resumed_after_line"], done + 1);
        let (created, updated, unchanged, failed) = counts(&summary);
        // Rows the killed run's last call wrote before it died come again as unchanged.
        assert_eq!((created + unchanged, updated, failed), (ROWS as u64, 0, 0), "{summary}");
        assert!(created >= ROWS as u64 - done - 1000 && created <= ROWS as u64, "{summary}");
        assert!(!Path::new(&checkpoint).exists());

        let stored = revenue_by_external_id(server).await;
        assert_eq!(stored.len(), ROWS);
        for i in 0..ROWS {
            let expected = (account.clone(), format!("2026-{:02}", i % 12 + 1), i as i64, (i % 100) as i32 * 10_000_000);
            assert_eq!(stored[&format!("R-{i}")], expected, "R-{i}");
        }
    }

    async fn accounts_import_with_group_parents_then_contacts(server: &TestServer) {
        let files = Files::new();
        // A parent must come before its children: C-2 names G-9, which comes later, and is refused.
        // Calls of 2 rows in batches of 1: a parent written by an earlier call or message counts too.
        let accounts = files.write(
            "accounts.csv",
            "external_id,display_name,legal_name,industry,region,parent_external_id,lifecycle,ERP_ONLY\n\
             G-1,Group One,Group One AG,Machinery,EMEA,,active,x\n\
             C-1,Child One,,,EMEA,G-1,Prospect,y\n\
             C-2,Child Two,,,APAC,G-9,,\n\
             G-9,Group Nine,,,APAC,,dormant,\n\
             C-3,Child Three,,,EMEA,G-1,sleeping,\n\
             C-4,,,,EMEA,,,\n",
        );
        let args = ["import", "accounts", &accounts, "--call-rows", "2", "--batch-rows", "1"];
        let (summary, _) = import_json(server, &args).await;
        assert_eq!(counts(&summary), (3, 0, 0, 3), "{summary}");
        assert_eq!(
            rejects(rejects_of(&accounts)),
            [
                reject(4, "C-2", "NOT_FOUND", "parent_external_id"),
                reject(6, "C-3", "INVALID_ARGUMENT", "lifecycle"),
                reject(7, "C-4", "INVALID_ARGUMENT", "display_name"),
            ]
        );
        let stored = accounts_by_external_id(server).await;
        assert_eq!(stored.keys().collect::<Vec<_>>(), ["C-1", "G-1", "G-9"]);
        let group = &stored["G-1"];
        assert_eq!(
            (group.display_name.as_str(), group.legal_name.as_str(), group.industry.as_str(), group.region.as_str()),
            ("Group One", "Group One AG", "Machinery", "EMEA")
        );
        assert_eq!(group.lifecycle(), pb::Lifecycle::Active);
        assert_eq!(stored["C-1"].parent_account_id, group.id);
        assert_eq!(stored["C-1"].lifecycle(), pb::Lifecycle::Prospect);
        assert_eq!(stored["G-9"].lifecycle(), pb::Lifecycle::Dormant);

        // The fixed export: the parent first. What did not change is left alone.
        let fixed = files.write(
            "accounts-fixed.csv",
            "external_id,display_name,region,parent_external_id,lifecycle\n\
             G-9,Group Nine,APAC,,dormant\n\
             C-2,Child Two,APAC,G-9,\n\
             C-1,Child One,EMEA,G-1,churned\n",
        );
        let (summary, _) = import_json(server, &["import", "accounts", &fixed]).await;
        assert_eq!(counts(&summary), (1, 1, 1, 0), "{summary}");
        let stored = accounts_by_external_id(server).await;
        assert_eq!(stored["C-2"].parent_account_id, stored["G-9"].id);
        assert_eq!(stored["C-1"].lifecycle(), pb::Lifecycle::Churned);

        // Contacts, from JSON lines: one names an account the ERP never sent.
        let contacts = files.write(
            "contacts.jsonl",
            &[
                json!({"external_id": "P-1", "account_external_id": "C-1", "full_name": "Li Wei",
                       "title": "Plant manager", "email": "li.wei@example.com", "inactive": false}),
                json!({"external_id": "P-2", "account_external_id": "C-404", "full_name": "Nobody"}),
                json!({"external_id": "P-3", "account_external_id": "G-1", "full_name": "Anna Berg",
                       "department": "Purchasing", "phone": "+49 30 1234", "inactive": "yes"}),
                json!({"external_id": "P-4", "account_external_id": "G-1", "full_name": "Bad Flag",
                       "inactive": "maybe"}),
            ]
            .iter()
            .map(|row| format!("{row}\n"))
            .collect::<String>(),
        );
        let (summary, _) = import_json(server, &["import", "contacts", &contacts]).await;
        assert_eq!(counts(&summary), (2, 0, 0, 2), "{summary}");
        assert_eq!(
            rejects(rejects_of(&contacts)),
            [
                reject(2, "P-2", "NOT_FOUND", "account_external_id"),
                reject(4, "P-4", "INVALID_ARGUMENT", "inactive"),
            ]
        );
        let stored_contacts = contacts_by_external_id(server).await;
        assert_eq!(stored_contacts.keys().collect::<Vec<_>>(), ["P-1", "P-3"]);
        let li = &stored_contacts["P-1"];
        assert_eq!((li.account_id.as_str(), li.title.as_str(), li.email.as_str()), (stored["C-1"].id.as_str(), "Plant manager", "li.wei@example.com"));
        assert_eq!(li.active, Some(true));
        let anna = &stored_contacts["P-3"];
        assert_eq!((anna.department.as_str(), anna.phone.as_str(), anna.active), ("Purchasing", "+49 30 1234", Some(false)));

        let (again, _) = import_json(server, &["import", "contacts", &contacts]).await;
        assert_eq!(counts(&again), (0, 0, 2, 2), "{again}");
    }

    async fn opportunities_from_csv_with_exact_amounts_and_their_owners(server: &TestServer) {
        let files = Files::new();
        let accounts = erp_accounts(server, &files, &["C-1", "C-2"]).await;
        let owner = server.create_staff(pb::StaffLevel::Manager).await;
        let email = &owner.email;
        // An unknown owner is the server's NOT_FOUND; a day not in the calendar the connector's own
        // reject, never sent. Stages and currencies in any case; no amount, no date.
        let file = files.write(
            "opportunities.csv",
            &format!(
                "external_id,account_external_id,display_name,amount,currency,expected_close_date,owner_email,stage,source,next_step\n\
                 O-1,C-1,Pumps for plant 2,1234.50,eur,2027-03-31,{email},,Trade fair,Send the quote\n\
                 O-2,C-2,Service contract,,,,{email},contacted,,\n\
                 O-3,C-1,Nobody's deal,10,EUR,2027-01-15,nobody@example.com,,,\n\
                 O-4,C-1,Bad date,10,EUR,2027-02-30,{email},,,\n\
                 O-5,C-1,\"Valves, spare parts\",0.000000001,USD,2027-3-1,{email},LEAD,,\n"
            ),
        );
        let (summary, _) = import_json(server, &["import", "opportunities", &file]).await;
        assert_eq!(counts(&summary), (3, 0, 0, 2), "{summary}");
        assert_eq!(
            rejects(rejects_of(&file)),
            [
                reject(4, "O-3", "NOT_FOUND", "owner_email"),
                reject(5, "O-4", "INVALID_ARGUMENT", "expected_close_date"),
            ]
        );
        let lines = json_lines(rejects_of(&file));
        assert!(lines[1]["description"].as_str().unwrap().contains("`2027-02-30` is not a date"), "{}", lines[1]);

        let stored = opportunities_by_external_id(server).await;
        assert_eq!(stored.keys().collect::<Vec<_>>(), ["O-1", "O-2", "O-5"]);
        let o1 = &stored["O-1"];
        assert_eq!((o1.account_id.as_str(), o1.display_name.as_str()), (accounts[0].as_str(), "Pumps for plant 2"));
        assert_eq!(o1.amount, Some(pb::Money { currency_code: "EUR".into(), units: 1234, nanos: 500_000_000 }));
        assert_eq!(o1.expected_close_date, Some(pb::Date { year: 2027, month: 3, day: 31 }));
        assert_eq!((o1.owner_staff_id.as_str(), o1.stage.as_str()), (owner.id.as_str(), "LEAD"));
        assert_eq!((o1.source.as_str(), o1.next_step.as_str()), ("Trade fair", "Send the quote"));
        let o2 = &stored["O-2"];
        assert_eq!((o2.account_id.as_str(), o2.stage.as_str()), (accounts[1].as_str(), "CONTACTED"));
        assert_eq!((o2.amount.as_ref(), o2.expected_close_date), (None, None));
        let o5 = &stored["O-5"];
        assert_eq!((o5.display_name.as_str(), o5.expected_close_date), ("Valves, spare parts", Some(pb::Date { year: 2027, month: 3, day: 1 })));
        assert_eq!(o5.amount, Some(pb::Money { currency_code: "USD".into(), units: 0, nanos: 1 }));

        let (again, _) = import_json(server, &["import", "opportunities", &file]).await;
        assert_eq!(counts(&again), (0, 0, 3, 2), "{again}");
        let (text, _) = ok(server, &["import", "opportunities", &file]).await;
        assert!(
            text.starts_with(&format!(
                "imported 5 opportunities rows from {file}: created 0, updated 0, unchanged 3, failed 2\n"
            )),
            "{text}"
        );
    }

    async fn service_requests_from_json_lines_with_categories_and_priorities(server: &TestServer) {
        let files = Files::new();
        let accounts = erp_accounts(server, &files, &["C-1", "C-2"]).await;
        let contacts = files.write("contacts.csv", "external_id,account_external_id,full_name\nP-1,C-1,Li Wei\n");
        let (summary, _) = import_json(server, &["import", "contacts", &contacts]).await;
        assert_eq!(counts(&summary), (1, 0, 0, 0), "{summary}");
        let agent = server.create_staff(pb::StaffLevel::Staff).await;
        let file = files.write(
            "service-requests.jsonl",
            &[
                json!({"external_id": "S-1", "account_external_id": "C-1", "contact_external_id": "P-1",
                       "title": "Pump leaks", "description": "Seal worn", "category": "repair",
                       "priority": "P2", "assignee_email": agent.email}),
                json!({"external_id": "S-2", "account_external_id": "C-2", "title": "How to calibrate?",
                       "category": null}),
                json!({"external_id": "S-3", "account_external_id": "C-1", "title": "Broken", "category": "broken"}),
                json!({"external_id": "S-4", "account_external_id": "C-1", "title": "Soon", "priority": "urgent"}),
                json!({"external_id": "S-5", "account_external_id": "C-1", "title": "Whose?",
                       "assignee_email": "nobody@example.com"}),
                json!({"external_id": "S-6", "account_external_id": "C-2", "contact_external_id": "P-1",
                       "title": "Wrong contact"}),
                json!({"external_id": "S-7", "account_external_id": "C-1", "title": "Operator course",
                       "category": "Training", "priority": "p4"}),
            ]
            .iter()
            .map(|row| format!("{row}\n"))
            .collect::<String>(),
        );
        let (summary, _) = import_json(server, &["import", "service-requests", &file]).await;
        assert_eq!(counts(&summary), (3, 0, 0, 4), "{summary}");
        assert_eq!(
            rejects(rejects_of(&file)),
            [
                reject(3, "S-3", "INVALID_ARGUMENT", "category"),
                reject(4, "S-4", "INVALID_ARGUMENT", "priority"),
                reject(5, "S-5", "NOT_FOUND", "assignee_email"),
                reject(6, "S-6", "FAILED_PRECONDITION", "contact_external_id"),
            ]
        );
        let lines = json_lines(rejects_of(&file));
        assert!(lines[0]["description"].as_str().unwrap().contains("`broken` is not a category"), "{}", lines[0]);

        let stored = service_requests_by_external_id(server).await;
        assert_eq!(stored.keys().collect::<Vec<_>>(), ["S-1", "S-2", "S-7"]);
        let s1 = &stored["S-1"];
        assert_eq!((s1.account_id.as_str(), s1.title.as_str(), s1.description.as_str()), (accounts[0].as_str(), "Pump leaks", "Seal worn"));
        assert_eq!(s1.contact_id, contacts_by_external_id(server).await["P-1"].id);
        assert_eq!(s1.assignee_staff_id, agent.id);
        assert_eq!((s1.category, s1.priority), (pb::service_request::Category::Repair as i32, pb::Priority::P2 as i32));
        assert_eq!(s1.status, pb::service_request::Status::New as i32);
        let s2 = &stored["S-2"];
        assert_eq!(s2.account_id, accounts[1]);
        assert_eq!((s2.category, s2.priority), (pb::service_request::Category::Other as i32, pb::Priority::P3 as i32));
        let s7 = &stored["S-7"];
        assert_eq!((s7.category, s7.priority), (pb::service_request::Category::Training as i32, pb::Priority::P4 as i32));

        let (again, _) = import_json(server, &["import", "service-requests", &file]).await;
        assert_eq!(counts(&again), (0, 0, 3, 4), "{again}");
    }

    async fn problems_with_the_file_or_the_key_stop_the_run_before_anything_is_written(server: &TestServer) {
        let files = Files::new();
        let no_amount = files.write("revenue.csv", "external_id,account_external_id,period\nR-1,C-1,2026-01\n");
        let output = kam_erp(server, &["import", "revenue", &no_amount]).await;
        let stderr = texts(&output).1;
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "{no_amount}: missing required columns: `amount`, `currency`; rename the ERP's column with --map"
            )),
            "{stderr}"
        );
        assert!(!rejects_of(&no_amount).exists(), "nothing was started");

        let output = kam_erp(server, &["import", "revenue", &no_amount, "--map", "period=month"]).await;
        assert_eq!(output.status.code(), Some(2));
        assert!(texts(&output).1.contains("`month` is not a field of these records"), "{}", texts(&output).1);

        let unknown_format = files.write("revenue.txt", "external_id\n");
        let output = kam_erp(server, &["import", "revenue", &unknown_format]).await;
        assert_eq!(output.status.code(), Some(2));
        assert!(texts(&output).1.contains("give --format csv or --format jsonl"), "{}", texts(&output).1);

        // A key the server does not know: the first call fails, at once, and nothing is retried.
        let mut csv = "external_id,account_external_id,period,amount,currency\n".to_owned();
        for i in 0..20_000 {
            writeln!(csv, "R-{i},C-1,2026-01,1,EUR").unwrap();
        }
        let file = files.write("many.csv", &csv);
        let bad_key = files.write("bad.key", "kam_00000000_not-a-key\n");
        let output = kam_erp(server, &["--api-key-file", &bad_key, "import", "revenue", &file]).await;
        let stderr = texts(&output).1;
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("UNAUTHENTICATED") && stderr.contains("hint: set KAM_API_KEY"), "{stderr}");
        assert!(!stderr.contains("retry"), "{stderr}");
        assert!(revenue_by_external_id(server).await.is_empty());
    }
}
