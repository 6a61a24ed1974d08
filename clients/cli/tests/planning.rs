//! `kamctl revenue` and `tiers` end to end: the real kamctl binary against a real server
//! (`kam_tests::TestServer`) on SQLite, and on PostgreSQL when `KAM_TEST_POSTGRES_URL` is set.
//!
//! Three accounts get revenue from a CSV file: 5999.50 EUR, 3000 EUR and 1000 EUR in 2026, so a ranking
//! as of 2026-12-01 (trailing year December 2025 to November 2026) makes the first STRATEGIC (nothing is
//! ranked above it), the second KEY (5999.50 of 9999.50 is above it: past half, below three quarters)
//! and the third STANDARD.

mod common;

use std::path::PathBuf;

use kam_tests::{TestServer, backend_tests, pb};
use serde_json::Value as Json;
use uuid::Uuid;

use common::{exits, fails, json, ok, text};

/// The ranking's instant: the trailing year is December 2025 to November 2026.
const AS_OF: &str = "2026-12-01T00:00:00Z";

/// The `field` of each item of the list `key` of a `--json` answer.
fn column(list: &Json, key: &str, field: &str) -> Vec<String> {
    list[key]
        .as_array()
        .map(|items| items.iter().map(|item| text(&item[field]).to_owned()).collect())
        .unwrap_or_default()
}

/// A CSV file under the temp directory, removed when dropped.
struct CsvFile(PathBuf);

impl CsvFile {
    fn new(contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!("kamctl-revenue-{}.csv", Uuid::now_v7().simple()));
        std::fs::write(&path, contents).expect("write the CSV file");
        CsvFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for CsvFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn create_account(server: &TestServer, name: &str) -> String {
    server
        .accounts()
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: name.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create an account")
        .into_inner()
        .id
}

async fn tier_of(server: &TestServer, id: &str) -> pb::Tier {
    server
        .accounts()
        .get_account(pb::GetAccountRequest { id: id.to_owned() })
        .await
        .expect("get the account")
        .into_inner()
        .tier()
}

backend_tests! {
    async fn revenue_import_and_tiers(server: &TestServer) {
        let big = create_account(server, "Big Pumps").await;
        let middle = create_account(server, "Middle Valves").await;
        let small = create_account(server, "Small Seals").await;

        // Import: amounts with their currency, and bare ones in --currency; a credit note.
        let csv = CsvFile::new(&format!(
            "external_id,account_id,period,amount\n\
             INV-1,{big},2026-01,3000.00 EUR\n\
             INV-2,{big},2026-02,2999.50 EUR\n\
             INV-3,{middle},2026-01,3000\n\
             \n\
             INV-4,{small},2026-03,1100.25\n\
             CN-1,{small},2026-03,-100.25 EUR\n"
        ));
        let imported = ok(server, &["revenue", "import", "--file", csv.path(), "--currency", "EUR"]).await;
        assert!(imported.starts_with("imported 5 records in 1 batch\n"), "{imported}");
        assert!(imported.contains("created:   5") && imported.contains("unchanged: 0"), "{imported}");
        let again = json(server, &["revenue", "import", "--file", csv.path(), "--currency", "eur"]).await;
        assert_eq!(again, serde_json::json!({"unchanged": 5}), "a second import changes nothing");

        // A bad line refuses the whole file, naming the line; nothing is sent.
        let bad = CsvFile::new(&format!(
            "external_id,account_id,period,amount\n\
             INV-5,{big},2026-04,10 EUR\n\
             INV-6,{big},2026-13,10 EUR\n"
        ));
        let refused = exits(server, 2, &["revenue", "import", "--file", bad.path()]).await;
        assert!(refused.contains("line 3: `2026-13` is not a month"), "{refused}");
        assert!(refused.contains("nothing was sent"), "{refused}");
        let bare = CsvFile::new(&format!("external_id,account_id,period,amount\nINV-5,{big},2026-04,10\n"));
        let refused = exits(server, 2, &["revenue", "import", "--file", bare.path()]).await;
        assert!(refused.contains("line 2: the amount `10` has no currency"), "{refused}");
        // What only the server knows (the reporting currency) is refused naming the line too.
        let dollars = CsvFile::new(&format!("external_id,account_id,period,amount\nINV-5,{big},2026-04,10 USD\n"));
        let refused = fails(server, &["revenue", "import", "--file", dollars.path()]).await;
        assert!(refused.contains("INVALID_ARGUMENT") && refused.contains("records[0].amount"), "{refused}");
        assert!(refused.contains("(line 2)"), "{refused}");

        // The list.
        let all = json(server, &["revenue", "list", "--order-by", "external_id", "--all"]).await;
        assert_eq!(column(&all, "records", "externalId"), ["CN-1", "INV-1", "INV-2", "INV-3", "INV-4"]);
        let listed = ok(server, &["revenue", "list", "--account", &big, "--order-by", "external_id"]).await;
        let rows: Vec<&str> = listed.lines().collect();
        assert_eq!(rows.len(), 3, "{listed}");
        assert!(rows[0].starts_with("EXTERNAL ID") && rows[0].ends_with("AMOUNT"), "{listed}");
        assert!(rows[1].starts_with("INV-1") && rows[1].contains("2026-01") && rows[1].ends_with("3000.00 EUR"), "{listed}");
        assert!(rows[2].contains(&big) && rows[2].ends_with("2999.50 EUR"), "{listed}");
        let march = json(server, &["revenue", "list", "--from", "2026-03", "--to", "2026-03", "--order-by", "external_id"]).await;
        assert_eq!(column(&march, "records", "externalId"), ["CN-1", "INV-4"]);

        // Monthly totals: every month of the range, the credit note subtracted.
        let monthly = ok(server, &["revenue", "monthly", "--account", &small, "--from", "2026-02", "--to", "2026-04"]).await;
        let rows: Vec<&str> = monthly.lines().collect();
        assert_eq!(rows[0], format!("account {small}"), "{monthly}");
        assert!(rows[3].starts_with("2026-02") && rows[3].ends_with("0.00 EUR"), "{monthly}");
        assert!(rows[4].starts_with("2026-03") && rows[4].contains("2  1000.00 EUR  █"), "{monthly}");
        assert!(rows[5].starts_with("2026-04"), "{monthly}");
        assert!(rows[7].starts_with("TOTAL") && rows[7].ends_with("1000.00 EUR"), "{monthly}");
        let months = json(server, &["revenue", "monthly", "--account", &big, "--from", "2026-01", "--to", "2026-12"]).await;
        assert_eq!(months["months"].as_array().map(Vec::len), Some(12));
        assert_eq!(months["total"]["units"], "5999");

        // The ranking: a preview stores nothing.
        let preview = ok(server, &["tiers", "--as-of", AS_OF]).await;
        assert!(preview.starts_with("as of 2026-12-01T00:00:00Z: 3 accounts ranked, total revenue 9999.50 EUR"), "{preview}");
        let first = preview.lines().nth(3).expect("the first row");
        assert!(
            first.contains("Big Pumps") && first.contains("59.99%") && first.contains("STANDARD → STRATEGIC"),
            "{preview}"
        );
        assert!(preview.contains("Middle Valves") && preview.contains("STANDARD → KEY"), "{preview}");
        assert!(preview.ends_with("preview: 2 tier changes; nothing stored; run with --apply to store\n"), "{preview}");
        assert_eq!(tier_of(server, &big).await, pb::Tier::Standard);

        let applied = ok(server, &["tiers", "--as-of", AS_OF, "--apply"]).await;
        assert!(applied.ends_with("applied: 2 tier changes stored, each with a history row\n"), "{applied}");
        assert_eq!(tier_of(server, &big).await, pb::Tier::Strategic);
        assert_eq!(tier_of(server, &middle).await, pb::Tier::Key);
        let ranking = json(server, &["tiers", "--as-of", AS_OF, "--limit", "1"]).await;
        assert_eq!(text(&ranking["rows"][0]["accountDisplayName"]), "Big Pumps");
        assert_eq!(text(&ranking["rows"][0]["newTier"]), "STRATEGIC");
        assert_eq!(ranking["truncated"], true);
        assert_eq!(ranking["changedCount"], Json::Null, "nothing changes any more");
        let history = ok(server, &["tiers", "history", "--account", &big]).await;
        let rows: Vec<&str> = history.lines().collect();
        assert_eq!(rows.len(), 2, "{history}");
        assert!(rows[1].contains("STANDARD → STRATEGIC") && rows[1].contains("RANKING") && rows[1].contains("5999.50 EUR"), "{history}");

        // An override applies at once and wins over the ranking until cleared.
        let set = json(
            server,
            &["tiers", "override", "set", "--account", &small, "--tier", "strategic", "--reason", "reference customer in a new market"],
        )
        .await;
        assert_eq!((text(&set["tier"]), &set["active"]), ("STRATEGIC", &Json::Bool(true)));
        assert_eq!(tier_of(server, &small).await, pb::Tier::Strategic);
        let overrides = ok(server, &["tiers", "override", "list"]).await;
        assert!(overrides.contains(&small) && overrides.contains("reference customer in a new market"), "{overrides}");
        let ranked = ok(server, &["tiers", "--as-of", AS_OF]).await;
        assert!(ranked.contains("OVERRIDE (ranked STANDARD)"), "{ranked}");
        let cleared = ok(server, &["tiers", "override", "clear", "--account", &small]).await;
        assert!(cleared.starts_with(&format!("cleared the tier override of account {small}")), "{cleared}");
        let overrides = json(server, &["tiers", "override", "list", "--expired"]).await;
        assert!(column(&overrides, "tierOverrides", "accountId").is_empty(), "{overrides}");
        let missing = fails(server, &["tiers", "override", "clear", "--account", &small]).await;
        assert!(missing.contains("NOT_FOUND"), "{missing}");
        let back = json(server, &["tiers", "--as-of", AS_OF, "--changed-only"]).await;
        assert_eq!(column(&back, "rows", "accountId"), [small.as_str()], "the next ranking goes by revenue");
    }
}
