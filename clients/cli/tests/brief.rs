//! `kamctl brief` and the account key dates of `kamctl accounts` end to end: the real kamctl binary
//! against a real server (`kam_tests::TestServer`) on SQLite, and on PostgreSQL when
//! `KAM_TEST_POSTGRES_URL` is set.
//!
//! One account gets something in every part of its brief, mostly through kamctl itself (the account
//! and its key dates, a contact with a birthday, the team, a deal, a service request, a plan and its
//! actions) and through the API where kamctl has no command (an interaction, revenue).

mod common;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use kam_tests::{backend_tests, pb};
use serde_json::Value as Json;

use common::{exits, fails, json, ok, text};

fn in_days(days: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(days)
}

/// `YYYY-MM-DD`.
fn ymd(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// `MM-DD`, a date whose year is unknown.
fn md(day: NaiveDate) -> String {
    day.format("%m-%d").to_string()
}

/// The `field` of each item of the list `key` of a `--json` answer.
fn column(value: &Json, key: &str, field: &str) -> Vec<String> {
    value[key]
        .as_array()
        .map(|items| items.iter().map(|item| text(&item[field]).to_owned()).collect())
        .unwrap_or_default()
}

/// The section of a human brief under `== TITLE… ==`, up to the next heading.
fn section<'a>(brief: &'a str, title: &str) -> &'a str {
    let start = brief
        .find(&format!("== {title}"))
        .unwrap_or_else(|| panic!("no section {title}:\n{brief}"));
    let rest = &brief[start..];
    let end = rest[3..].find("\n== ").map_or(rest.len(), |end| end + 4);
    &rest[..end]
}

backend_tests! {
    async fn account_key_dates_are_set_shown_and_cleared(server: &TestServer) {
        let renewal = in_days(40);
        let created = json(
            server,
            &[
                "accounts", "create", "--name", "Key Date Works",
                "--key-date", &format!("contract-renewal:{}:Framework:once", ymd(renewal)),
                "--key-date", "founding-anniversary:1960-03-01",
            ],
        )
        .await;
        let id = text(&created["id"]).to_owned();
        assert_eq!(column(&created, "keyDates", "kind"), ["CONTRACT_RENEWAL", "FOUNDING_ANNIVERSARY"]);
        assert_eq!(created["keyDates"][0]["oneTime"], true);
        assert_eq!(text(&created["keyDates"][0]["label"]), "Framework");
        assert_eq!(created["keyDates"][1]["oneTime"], Json::Null, "not one-time: the default, left out");

        let shown = ok(server, &["accounts", "get", &id]).await;
        assert!(
            shown.contains(&format!("key_dates:          CONTRACT_RENEWAL (Framework) {} once\n", ymd(renewal))),
            "{shown}"
        );
        assert!(shown.contains("\n                    FOUNDING_ANNIVERSARY 1960-03-01\n"), "{shown}");

        // A date whose year is unknown, with a label of colons.
        let updated = json(server, &["accounts", "update", &id, "--key-date", "customer-event:05-10:Forum: Shanghai"]).await;
        assert_eq!(column(&updated, "keyDates", "label"), ["Forum: Shanghai"], "replaced as a whole");
        assert_eq!(updated["keyDates"][0]["date"], serde_json::json!({"month": 5, "day": 10}));

        // The server's rules: a contact's kind is not an account's.
        let refused = fails(server, &["accounts", "update", &id, "--key-date", "birthday:1960-03-01"]).await;
        assert!(refused.contains("INVALID_ARGUMENT") && refused.contains("key_dates[0].kind"), "{refused}");
        // What makes no key date is refused before anything is sent.
        let usage = exits(server, 2, &["accounts", "update", &id, "--key-date", "renewal:2027-01-31"]).await;
        assert!(usage.contains("is not a key date kind"), "{usage}");
        let usage = exits(server, 2, &["accounts", "update", &id, "--key-date", "contract-renewal:2027-02-30"]).await;
        assert!(usage.contains("is not a date"), "{usage}");

        let cleared = json(server, &["accounts", "update", &id, "--key-date", ""]).await;
        assert_eq!(cleared["keyDates"], Json::Null, "no key dates left");
    }

    async fn a_brief_in_text_and_json(server: &TestServer) {
        let manager = server.create_staff(pb::StaffLevel::Manager).await;
        let renewal = in_days(12);
        let created = json(
            server,
            &[
                "accounts", "create", "--name", "Brief Pumps", "--region", "APAC", "--lifecycle", "active",
                "--key-date", &format!("contract-renewal:{}:Framework:once", ymd(renewal)),
            ],
        )
        .await;
        let account = text(&created["id"]).to_owned();
        ok(server, &["team", "add", "--account", &account, "--staff", &manager.id, "--role", "account-manager"]).await;
        let birthday = in_days(3);
        ok(
            server,
            &[
                "contacts", "create", "--account", &account, "--name", "Li Wei", "--title", "Plant manager",
                "--buying-role", "decision-maker", "--has-money", "--birthday", &md(birthday),
            ],
        )
        .await;
        ok(
            server,
            &[
                "opps", "create", "--account", &account, "--name", "Pumps for line 3", "--owner", &manager.id,
                "--amount", "125000.50 EUR", "--close-date", &ymd(in_days(60)),
            ],
        )
        .await;
        ok(server, &["tickets", "create", "--account", &account, "--title", "Pump 3 leaks", "--priority", "p1"]).await;
        let plan = json(
            server,
            &[
                "plan", "create", "--account", &account, "--name", "Brief plan", "--from", &ymd(in_days(-30)),
                "--to", &ymd(in_days(300)), "--objective", "plants on framework agreement=3",
            ],
        )
        .await;
        let plan = text(&plan["id"]).to_owned();
        ok(server, &["plan", "activate", &plan]).await;
        for (title, due) in [("Visit the plant", in_days(-2)), ("Send the offer", in_days(10)), ("Far away", in_days(60))] {
            ok(server, &["plan", "action", "add", "--plan", &plan, "--title", title, "--owner", &manager.id, "--due", &ymd(due)]).await;
        }
        let mut planning = pb::planning_service_client::PlanningServiceClient::new(server.channel());
        let yesterday = Utc::now() - Duration::days(1);
        planning
            .log_interaction(pb::LogInteractionRequest {
                interaction: Some(pb::Interaction {
                    account_id: account.clone(),
                    r#type: pb::interaction::Type::SalesVisit as i32,
                    occur_time: Some(kam_tests::pbjson_types::Timestamp { seconds: yesterday.timestamp(), nanos: 0 }),
                    staff_ids: vec![manager.id.clone()],
                    summary: "Walked line 3".into(),
                    next_step: "Quote by Friday".into(),
                    satisfaction: 4,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("an interaction");
        let now = Utc::now();
        planning
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: vec![pb::RevenueRecord {
                    external_id: "BRIEF-1".into(),
                    account_id: account.clone(),
                    period: Some(pb::Month { year: now.year(), month: now.month() as i32 }),
                    amount: Some(pb::Money { currency_code: "EUR".into(), units: 1200, nanos: 500_000_000 }),
                    ..Default::default()
                }],
            })
            .await
            .expect("revenue");

        // For people: a heading per section, names rather than ids, money exact.
        let brief = ok(server, &["brief", &account]).await;
        assert!(brief.starts_with(&format!("Visit brief: Brief Pumps ({account})\n")), "{brief}");
        assert!(brief.contains("region:       APAC\n") && brief.contains("horizon:      30 days\n"), "{brief}");
        assert!(section(&brief, "Health").contains("/100"), "{brief}");
        let revenue = section(&brief, "Revenue");
        assert!(revenue.contains("trailing_year: 1200.50 EUR") && revenue.contains("none to compare"), "{revenue}");
        let team = section(&brief, "Team (1)");
        assert!(team.contains("ACCOUNT_MANAGER") && team.contains(&manager.full_name), "{team}");
        let people = section(&brief, "Key people (1)");
        assert!(people.contains("Li Wei") && people.contains("DECISION_MAKER") && people.contains("M--"), "{people}");
        let dates = section(&brief, "Key dates, next 30 days (2)");
        let rows: Vec<&str> = dates.lines().collect();
        assert!(rows[2].starts_with(&ymd(birthday)) && rows[2].contains("in 3 days") && rows[2].contains("Li Wei"), "{dates}");
        assert!(
            rows[3].starts_with(&ymd(renewal)) && rows[3].contains("the account") && rows[3].contains("Framework")
                && rows[3].ends_with("once"),
            "{dates}"
        );
        let deals = section(&brief, "Open opportunities (1)");
        assert!(deals.contains("Pumps for line 3") && deals.contains("125000.50 EUR") && deals.contains(&manager.full_name), "{deals}");
        let tickets = section(&brief, "Open service requests (1)");
        assert!(tickets.contains("P1") && tickets.contains("Pump 3 leaks"), "{tickets}");
        let plans = section(&brief, "Active plan (1)");
        assert!(plans.contains("Brief plan") && plans.contains("plants on framework agreement"), "{plans}");
        let actions = section(&brief, "Actions overdue or due within 30 days (2)");
        let rows: Vec<&str> = actions.lines().collect();
        assert!(rows[2].contains("OVERDUE") && rows[2].contains("Visit the plant"), "{actions}");
        assert!(rows[3].contains("Send the offer") && !rows[3].contains("OVERDUE"), "{actions}");
        assert!(!actions.contains("Far away"), "beyond the horizon: {actions}");
        let interactions = section(&brief, "Recent interactions (1)");
        assert!(interactions.contains("SALES_VISIT") && interactions.contains("next step: Quote by Friday"), "{interactions}");
        assert!(brief.contains("== Cadence overdue"), "{brief}");

        // A longer horizon shows the action 60 days out; a shorter one loses the renewal.
        let wide = ok(server, &["brief", &account, "--horizon", "90"]).await;
        assert!(section(&wide, "Actions overdue or due within 90 days (3)").contains("Far away"), "{wide}");
        let narrow = json(server, &["brief", &account, "--horizon", "5"]).await;
        assert_eq!(narrow["horizonDays"], 5);
        assert_eq!(column(&narrow, "keyDates", "kind"), ["BIRTHDAY"]);

        // For scripts: the canonical JSON of AccountBrief.
        let brief = json(server, &["brief", &account]).await;
        assert_eq!(text(&brief["account"]["id"]), account);
        assert_eq!(brief["horizonDays"], 30);
        assert_eq!(column(&brief, "team", "fullName"), [manager.full_name.as_str()]);
        assert_eq!(column(&brief, "keyPeople", "fullName"), ["Li Wei"]);
        assert_eq!(column(&brief, "keyDates", "kind"), ["BIRTHDAY", "CONTRACT_RENEWAL"]);
        assert_eq!(column(&brief, "openOpportunities", "displayName"), ["Pumps for line 3"]);
        assert_eq!(column(&brief, "openServiceRequests", "title"), ["Pump 3 leaks"]);
        assert_eq!(column(&brief, "activePlans", "name"), ["Brief plan"]);
        assert_eq!(column(&brief, "actionsDue", "title"), ["Visit the plant", "Send the offer"]);
        assert_eq!(column(&brief, "recentInteractions", "nextStep"), ["Quote by Friday"]);
        assert_eq!(brief["revenue"]["trailingYear"], serde_json::json!({"currencyCode": "EUR", "units": "1200", "nanos": 500000000}));
        assert!(brief["health"]["score"].is_number(), "{brief}");

        // Refusals are the server's (the ADMIN sees every account, so a missing one is NOT_FOUND);
        // a horizon out of range never leaves kamctl.
        let missing = fails(server, &["brief", "0192f0c2-0000-7000-8000-000000000000"]).await;
        assert!(missing.contains("NOT_FOUND"), "{missing}");
        exits(server, 2, &["brief", &account, "--horizon", "400"]).await;
    }
}
