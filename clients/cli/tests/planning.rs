//! `kamctl revenue`, `tiers`, `plan` and account `health` end to end: the real kamctl binary against a
//! real server (`kam_tests::TestServer`) on SQLite, and on PostgreSQL when `KAM_TEST_POSTGRES_URL` is
//! set.
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

/// A file under the temp directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(extension: &str, contents: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("kamctl-planning-{}.{extension}", Uuid::now_v7().simple()));
        std::fs::write(&path, contents).expect("write the file");
        TempFile(path)
    }

    /// A CSV file.
    fn csv(contents: &str) -> Self {
        Self::new("csv", contents)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn create_account(server: &TestServer, name: &str) -> String {
    server.create_account(name).await.id
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
        let csv = TempFile::csv(&format!(
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
        let bad = TempFile::csv(&format!(
            "external_id,account_id,period,amount\n\
             INV-5,{big},2026-04,10 EUR\n\
             INV-6,{big},2026-13,10 EUR\n"
        ));
        let refused = exits(server, 2, &["revenue", "import", "--file", bad.path()]).await;
        assert!(refused.contains("line 3: `2026-13` is not a month"), "{refused}");
        assert!(refused.contains("nothing was sent"), "{refused}");
        let bare = TempFile::csv(&format!("external_id,account_id,period,amount\nINV-5,{big},2026-04,10\n"));
        let refused = exits(server, 2, &["revenue", "import", "--file", bare.path()]).await;
        assert!(refused.contains("line 2: the amount `10` has no currency"), "{refused}");
        // What only the server knows (the reporting currency) is refused naming the line too.
        let dollars = TempFile::csv(&format!("external_id,account_id,period,amount\nINV-5,{big},2026-04,10 USD\n"));
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

    async fn plans_and_their_actions(server: &TestServer) {
        let account = create_account(server, "Sinopec Shanghai").await;
        let admin = server.admin().staff_id.clone();
        let colleague = server.create_staff(pb::StaffLevel::Staff).await.id;

        // A plan from flags starts as a DRAFT.
        let created = json(
            server,
            &[
                "plan", "create", "--account", &account, "--name", "Sinopec 2026", "--from", "2026-01-01", "--to",
                "2026-12-31", "--revenue-target", "1000 EUR", "--wallet-share-target", "40", "--objective",
                "plants on framework agreement=4@2026-03-31", "--objective", "service contracts=2",
            ],
        )
        .await;
        let plan = text(&created["id"]).to_owned();
        assert_eq!(text(&created["status"]), "DRAFT");
        assert_eq!(text(&created["revenueTarget"]["units"]), "1000");
        assert_eq!(created["objectives"].as_array().map(Vec::len), Some(2));

        // The sections are edited the way they are shown: `get` into a file, change it, `update --file`.
        let mut edited: Json = serde_json::from_str(&ok(server, &["--json", "plan", "get", &plan]).await).unwrap();
        edited["swot"] = serde_json::json!([{"kind": "THREAT", "text": "KSB offers 10 % below list"}]);
        edited["competitors"] = serde_json::json!([
            {"name": "KSB", "estimatedSharePercent": 35, "threatLevel": "HIGH", "strengths": "price"}
        ]);
        edited["whitespace"] = serde_json::json!([
            {"productLine": "Dosing pumps", "status": "POTENTIAL", "estimatedValue": {"currencyCode": "EUR", "units": "250"}}
        ]);
        let file = TempFile::new("json", &edited.to_string());
        let updated = ok(server, &["plan", "update", &plan, "--file", file.path()]).await;
        assert!(updated.contains("\nSWOT\nKIND    TEXT\nTHREAT  KSB offers 10 % below list\n"), "{updated}");
        assert!(updated.contains("\ncompetitors\nCOMPETITOR  SHARE  THREAT  STRENGTHS  WEAKNESSES\nKSB           35%  HIGH    price\n"), "{updated}");
        assert!(updated.contains("\nwhitespace\nPRODUCT LINE  STATUS     ESTIMATED VALUE\nDosing pumps  POTENTIAL       250.00 EUR\n"), "{updated}");
        // The file's etag is stale now: a second update with it would overwrite the first.
        let stale = fails(server, &["plan", "update", &plan, "--file", file.path()]).await;
        assert!(stale.contains("ABORTED"), "{stale}");

        // Progress on an objective, named in any case.
        let progressed = json(server, &["plan", "progress", &plan, "--metric", "Plants on Framework Agreement", "--value", "2"]).await;
        assert_eq!(text(&progressed["objectives"][0]["currentValue"]), "2");
        assert_eq!(progressed["swot"].as_array().map(Vec::len), Some(1), "the rest of the plan stays");
        let unknown = exits(server, 2, &["plan", "progress", &plan, "--metric", "pumps", "--value", "1"]).await;
        assert!(unknown.contains("its objectives are: plants on framework agreement, service contracts"), "{unknown}");

        // One ACTIVE plan per account.
        let activated = ok(server, &["plan", "activate", &plan]).await;
        assert!(activated.contains("status:                 ACTIVE\n"), "{activated}");
        let second = json(server, &["plan", "create", "--account", &account, "--name", "Sinopec H2", "--from", "2026-07-01", "--to", "2026-12-31"]).await;
        let refused = fails(server, &["plan", "activate", text(&second["id"])]).await;
        assert!(refused.contains("FAILED_PRECONDITION"), "{refused}");
        let listed = ok(server, &["plan", "list", "--account", &account, "--status", "active"]).await;
        let rows: Vec<&str> = listed.lines().collect();
        assert_eq!(rows.len(), 2, "{listed}");
        assert!(rows[1].starts_with(&plan) && rows[1].contains("Sinopec 2026  ACTIVE  2026-01-01 – 2026-12-31"), "{listed}");
        assert!(rows[1].ends_with("1000.00 EUR"), "{listed}");
        let both = json(server, &["plan", "list", "--account", &account, "--page-size", "1", "--all"]).await;
        assert_eq!(column(&both, "plans", "id").len(), 2);

        // Actions: in due-date order, the overdue ones marked; mine and overdue.
        let add = |title: &'static str, owner: String, due: &'static str| {
            let plan = plan.clone();
            async move {
                let added = json(server, &["plan", "action", "add", "--plan", &plan, "--title", title, "--owner", &owner, "--due", due]).await;
                text(&added["id"]).to_owned()
            }
        };
        let renewal = add("Service contract renewal", colleague.clone(), "2099-01-01").await;
        let visit = add("Visit the Jinshan plant", admin.clone(), "2026-01-15").await;
        let actions = ok(server, &["plan", "actions", "--plan", &plan]).await;
        let rows: Vec<&str> = actions.lines().collect();
        assert_eq!(rows.len(), 3, "{actions}");
        assert!(rows[1].starts_with(&visit) && rows[1].contains("2026-01-15  OPEN (overdue)  Visit the Jinshan plant"), "{actions}");
        assert!(rows[2].starts_with(&renewal) && rows[2].contains("2099-01-01  OPEN            Service contract renewal"), "{actions}");
        let mine = json(server, &["plan", "actions", "--mine"]).await;
        assert_eq!(column(&mine, "actions", "id"), [visit.as_str()]);
        let overdue = json(server, &["plan", "action", "list", "--overdue"]).await;
        assert_eq!(column(&overdue, "actions", "id"), [visit.as_str()]);
        let theirs = json(server, &["plan", "actions", "--owner", &colleague]).await;
        assert_eq!(column(&theirs, "actions", "id"), [renewal.as_str()]);

        let started = ok(server, &["plan", "action", "start", &renewal]).await;
        assert!(started.lines().any(|line| line.starts_with("status:") && line.ends_with(" IN_PROGRESS")), "{started}");
        let done = json(server, &["plan", "action", "done", &visit]).await;
        assert_eq!(text(&done["status"]), "DONE");
        assert!(done["completeTime"].is_string(), "{done}");
        let overdue = json(server, &["plan", "actions", "--overdue"]).await;
        assert!(column(&overdue, "actions", "id").is_empty(), "{overdue}");
        let moved = json(server, &["plan", "action", "update", &renewal, "--owner", &admin, "--due", "2099-02-01"]).await;
        assert_eq!((text(&moved["ownerStaffId"]), &moved["dueDate"]["month"]), (admin.as_str(), &Json::from(2)));
        let nothing = exits(server, 2, &["plan", "action", "update", &renewal]).await;
        assert!(nothing.contains("nothing to update"), "{nothing}");

        // The scorecard: one of two actions done; half of the plants, and that objective is overdue.
        let scorecard = ok(server, &["plan", "scorecard", &plan]).await;
        assert!(scorecard.starts_with(&format!("plan {plan} (ACTIVE) of account {account}\n\n")), "{scorecard}");
        assert!(scorecard.contains("actions     1 of 2 actions done; 1 open, 0 overdue, 0 cancelled  50%  ██████████\n"), "{scorecard}");
        let plants = scorecard.lines().find(|line| line.starts_with("plants on framework agreement")).expect("the plants objective");
        assert!(plants.contains(" 2       4       50%  ██████████") && plants.ends_with("  overdue"), "{scorecard}");
        assert!(scorecard.lines().any(|line| line.starts_with("revenue ") && line.contains(" of 1000.00 EUR")), "{scorecard}");

        let closed = json(server, &["plan", "close", &plan]).await;
        assert_eq!(text(&closed["status"]), "CLOSED");
        let again = fails(server, &["plan", "close", &plan]).await;
        assert!(again.contains("FAILED_PRECONDITION"), "{again}");
    }

    async fn account_health_and_the_accounts_at_risk(server: &TestServer) {
        // Quiet: a hundred days old and never contacted, its decision maker opposed. Calm: new.
        let quiet = create_account(server, "Quiet Pumps").await;
        let calm = create_account(server, "Calm Valves").await;
        let long_ago: sea_orm::Value = (chrono::Utc::now() - chrono::Duration::days(100)).into();
        let quiet_id = Uuid::parse_str(&quiet).unwrap();
        server.execute("UPDATE accounts SET create_time = $1 WHERE id = $2", [long_ago, quiet_id.into()]).await;
        let boss = server
            .accounts()
            .create_contact(pb::CreateContactRequest {
                contact: Some(pb::Contact {
                    account_id: quiet.clone(),
                    full_name: "Li Wei".into(),
                    buying_role: pb::BuyingRole::DecisionMaker as i32,
                    attitude: pb::Attitude::Opponent as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("the decision maker")
            .into_inner()
            .id;

        let health = ok(server, &["health", "account", &quiet]).await;
        let head = format!("account:      Quiet Pumps ({quiet})\ntier:         STANDARD\nscore:        70/100  WATCH  ██████████████\n");
        assert!(health.starts_with(&head), "{health}");
        let signal = |kind: &str| {
            health.lines().find(|line| line.starts_with(&format!("{kind} "))).unwrap_or_else(|| panic!("no {kind}: {health}")).to_owned()
        };
        assert!(signal("SILENCE").contains(" yes ") && signal("SILENCE").contains(" 15/15 "), "{health}");
        assert!(signal("KEY_PEOPLE_AT_RISK").contains(" 15/15 ") && signal("KEY_PEOPLE_AT_RISK").ends_with(&boss), "{health}");
        assert!(signal("REVENUE_DECLINE").contains(" no ") && signal("REVENUE_DECLINE").contains(" 0/25 "), "{health}");
        let as_json = json(server, &["health", "account", &quiet]).await;
        assert_eq!((&as_json["score"], text(&as_json["level"])), (&Json::from(70), "WATCH"));
        let triggered: Vec<&str> = as_json["signals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|signal| signal["triggered"] == true)
            .map(|signal| text(&signal["kind"]))
            .collect();
        assert_eq!(triggered, ["SILENCE", "KEY_PEOPLE_AT_RISK"]);

        // AT_RISK (below 60) by default: nobody; --below widens the net, worst first.
        assert_eq!(ok(server, &["health", "at-risk"]).await, "ACCOUNT  NAME  TIER  SCORE  LEVEL  SIGNALS\n");
        let watch = ok(server, &["health", "at-risk", "--below", "80"]).await;
        let rows: Vec<&str> = watch.lines().collect();
        assert_eq!(rows.len(), 2, "{watch}");
        assert!(rows[1].starts_with(&quiet) && rows[1].ends_with("70  WATCH  SILENCE, KEY_PEOPLE_AT_RISK"), "{watch}");
        let everyone = json(server, &["health", "at-risk", "--below", "101", "--page-size", "1", "--all"]).await;
        assert_eq!(column(&everyone, "accounts", "accountId"), [quiet.as_str(), calm.as_str()]);
        let strategic = json(server, &["health", "at-risk", "--below", "101", "--tier", "strategic"]).await;
        assert!(column(&strategic, "accounts", "accountId").is_empty(), "{strategic}");

        // `kamctl health` alone is still the server check.
        assert_eq!(ok(server, &["health"]).await, "SERVING\n");
    }
}
