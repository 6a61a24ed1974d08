//! PlanningService end to end, on SQLite and PostgreSQL: revenue records (batch upsert by external id,
//! list, monthly totals), tiering by revenue share (ranking, applying, history, events), overrides, and
//! the tier driving SLA policy selection.

use kam_tests::{
    TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{
        self, planning_service_client::PlanningServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
    },
    pbjson_types::Timestamp,
};
use tonic::Code;

type Planning = PlanningServiceClient<kam_tests::Authed>;

fn planning(server: &TestServer) -> Planning {
    PlanningServiceClient::new(server.channel())
}

fn eur(units: i64) -> pb::Money {
    pb::Money {
        currency_code: "EUR".to_owned(),
        units,
        nanos: 0,
    }
}

fn record(external_id: &str, account_id: &str, year: i32, month: i32, units: i64) -> pb::RevenueRecord {
    pb::RevenueRecord {
        external_id: external_id.to_owned(),
        account_id: account_id.to_owned(),
        period: Some(pb::Month { year, month }),
        amount: Some(eur(units)),
        ..Default::default()
    }
}

async fn upsert(server: &TestServer, records: Vec<pb::RevenueRecord>) -> pb::UpsertRevenueRecordsResponse {
    planning(server)
        .upsert_revenue_records(pb::UpsertRevenueRecordsRequest { records })
        .await
        .expect("upsert revenue")
        .into_inner()
}

async fn tier_of(server: &TestServer, account_id: &str) -> pb::Tier {
    server
        .accounts()
        .get_account(pb::GetAccountRequest {
            id: account_id.to_owned(),
        })
        .await
        .expect("get the account")
        .into_inner()
        .tier()
}

/// 2026-12-01T00:00:00Z: the trailing year is December 2025 to November 2026.
fn as_of() -> Timestamp {
    Timestamp {
        seconds: 1_796_083_200,
        nanos: 0,
    }
}

async fn rank(server: &TestServer, validate_only: bool) -> pb::RecomputeTiersResponse {
    planning(server)
        .recompute_tiers(pb::RecomputeTiersRequest {
            as_of: Some(as_of()),
            validate_only,
            row_limit: 10_000,
            changed_only: false,
        })
        .await
        .expect("recompute tiers")
        .into_inner()
}

fn units(money: &Option<pb::Money>) -> i64 {
    money.as_ref().expect("an amount").units
}

backend_tests! {
    async fn revenue_records_are_upserted_by_external_id_and_bad_batches_write_nothing(server: &TestServer) {
        let account = server.create_account("Revenue Works").await;
        let id = account.id.as_str();
        let batch = vec![
            record("INV-1", id, 2026, 1, 100),
            record("INV-2", id, 2026, 1, 50),
            record("INV-3", id, 2026, 3, -20),
        ];
        let first = upsert(server, batch.clone()).await;
        assert_eq!((first.created, first.updated, first.unchanged), (3, 0, 0));
        let retried = upsert(server, batch).await;
        assert_eq!((retried.created, retried.updated, retried.unchanged), (0, 0, 3), "a retry changes nothing");
        let corrected = upsert(server, vec![record("INV-2", id, 2026, 2, 70), record("INV-4", id, 2026, 3, 5)]).await;
        assert_eq!((corrected.created, corrected.updated, corrected.unchanged), (1, 1, 0));
        let events = server
            .query_i64("SELECT COUNT(*) FROM outbox_events WHERE event_type = 'RevenueRecordsUpserted'", [])
            .await;
        assert_eq!(events, 2, "one event per batch that wrote something");

        let stored = || server.query_i64("SELECT COUNT(*) FROM revenue_records", []);
        let mut client = planning(server);
        // One bad record anywhere refuses the whole batch, naming every bad field.
        let status = client
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: vec![
                    record("INV-5", id, 2026, 4, 1),
                    pb::RevenueRecord {
                        amount: Some(pb::Money { currency_code: "USD".into(), units: 1, nanos: 0 }),
                        ..record("INV-6", id, 2026, 4, 1)
                    },
                    record("INV-7", id, 2026, 13, 1),
                    record("INV-5", id, 2026, 5, 1),
                ],
            })
            .await
            .expect_err("a USD record in an EUR deployment");
        assert_invalid_argument(&status, "records[1].amount.currency_code");
        assert_invalid_argument(&status, "records[2].period.month");
        assert_invalid_argument(&status, "records[3].external_id");
        assert_eq!(stored().await, 4);

        let status = client
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: vec![
                    record("INV-8", id, 2026, 4, 1),
                    record("INV-9", &uuid::Uuid::now_v7().to_string(), 2026, 4, 1),
                ],
            })
            .await
            .expect_err("an unknown account");
        assert_error(&status, Code::NotFound);
        assert_eq!(stored().await, 4);

        let gone = server.create_account("Gone").await;
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: gone.id.clone(), etag: String::new() })
            .await
            .expect("delete");
        let status = client
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: vec![record("INV-10", &gone.id, 2026, 4, 1)],
            })
            .await
            .expect_err("a deleted account");
        assert_failed_precondition(&status, "ACCOUNT_DELETED");
        let status = client
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest { records: vec![] })
            .await
            .expect_err("an empty batch");
        assert_invalid_argument(&status, "records");

        // The list: filters, order and pages.
        let page = client
            .list_revenue_records(pb::ListRevenueRecordsRequest {
                account_id: id.to_owned(),
                from_period: Some(pb::Month { year: 2026, month: 2 }),
                order_by: "external_id".to_owned(),
                page_size: 2,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        let ids: Vec<&str> = page.records.iter().map(|r| r.external_id.as_str()).collect();
        assert_eq!(ids, vec!["INV-2", "INV-3"]);
        let rest = client
            .list_revenue_records(pb::ListRevenueRecordsRequest {
                account_id: id.to_owned(),
                from_period: Some(pb::Month { year: 2026, month: 2 }),
                order_by: "external_id".to_owned(),
                page_size: 2,
                page_token: page.next_page_token.clone(),
                ..Default::default()
            })
            .await
            .expect("the next page")
            .into_inner();
        let ids: Vec<&str> = rest.records.iter().map(|r| r.external_id.as_str()).collect();
        assert_eq!((ids, rest.next_page_token.as_str()), (vec!["INV-4"], ""));
        let status = client
            .list_revenue_records(pb::ListRevenueRecordsRequest {
                page_token: page.next_page_token,
                ..Default::default()
            })
            .await
            .expect_err("a token of another query");
        assert_invalid_argument(&status, "page_token");

        // Monthly totals, months without revenue as zero, credit notes subtracted.
        let monthly = client
            .get_monthly_revenue(pb::GetMonthlyRevenueRequest {
                account_id: id.to_owned(),
                from_period: Some(pb::Month { year: 2025, month: 12 }),
                to_period: Some(pb::Month { year: 2026, month: 4 }),
            })
            .await
            .expect("monthly revenue")
            .into_inner();
        let months: Vec<(i32, i32, i64, i32)> = monthly
            .months
            .iter()
            .map(|m| {
                let period = m.period.unwrap();
                (period.year, period.month, units(&m.amount), m.record_count)
            })
            .collect();
        assert_eq!(
            months,
            vec![(2025, 12, 0, 0), (2026, 1, 100, 1), (2026, 2, 70, 1), (2026, 3, -15, 2), (2026, 4, 0, 0)]
        );
        assert_eq!(units(&monthly.total), 155);
    }

    async fn ranking_makes_the_accounts_before_half_of_revenue_strategic(server: &TestServer) {
        // 40 accounts with revenue falling off like a power law, spread over the trailing year, plus
        // one that grew 50 % over the previous year and one with no revenue at all.
        let mut accounts = Vec::new();
        let mut records = Vec::new();
        for n in 0..40 {
            let account = server.create_account(&format!("Pareto {n:02}")).await;
            let yearly = 1_200_000 / (n + 1);
            for month in 1..=12 {
                let (year, month) = if month == 12 { (2025, 12) } else { (2026, month) };
                records.push(record(&format!("P{n}-{month}"), &account.id, year, month, i64::from(yearly / 12)));
            }
            accounts.push(account);
        }
        let grower = server.create_account("Grower").await;
        records.push(record("G-prev", &grower.id, 2025, 1, 2_000));
        records.push(record("G-now", &grower.id, 2026, 6, 3_000));
        let silent = server.create_account("Silent").await;
        upsert(server, records).await;

        // A preview stores nothing.
        let preview = rank(server, true).await;
        assert!(!preview.applied);
        assert_eq!(preview.account_count, 42);
        assert_eq!(tier_of(server, &accounts[0].id).await, pb::Tier::Standard);
        assert_eq!(server.query_i64("SELECT COUNT(*) FROM tier_changes", []).await, 0);

        let applied = rank(server, false).await;
        assert!(applied.applied);
        assert_eq!(applied.rows, preview.rows, "the preview showed what was applied");
        let total = units(&applied.total_revenue);
        let strategic: Vec<&pb::TierRankingRow> =
            applied.rows.iter().filter(|r| r.new_tier() == pb::Tier::Strategic).collect();
        let held: i64 = strategic.iter().map(|r| units(&r.revenue)).sum();
        let last = units(&strategic.last().expect("some STRATEGIC accounts").revenue);
        assert!(held * 2 >= total && (held - last) * 2 < total, "{held} of {total}: just over half");
        assert!(strategic.len() < 10, "a few accounts bring half of revenue: {}", strategic.len());
        assert_eq!(strategic[0].account_id, accounts[0].id, "ranked by revenue");
        assert_eq!(strategic[0].rank, 1);
        let summary = applied
            .tiers
            .iter()
            .find(|t| t.tier() == pb::Tier::Strategic)
            .expect("a STRATEGIC summary");
        assert_eq!(summary.account_count as usize, strategic.len());
        assert!(summary.share_ppm >= 500_000);

        let row_of = |id: &str| applied.rows.iter().find(|r| r.account_id == id).expect("ranked");
        assert_eq!(
            (row_of(&grower.id).new_tier(), row_of(&grower.id).reason()),
            (pb::Tier::Growth, pb::TierReason::RevenueGrowth)
        );
        assert_eq!(row_of(&silent.id).new_tier(), pb::Tier::Standard);
        assert_eq!(row_of(&silent.id).rank, 42);

        // Stored: each account's tier, one history row and one TierChanged event per change.
        assert_eq!(tier_of(server, &accounts[0].id).await, pb::Tier::Strategic);
        assert_eq!(tier_of(server, &grower.id).await, pb::Tier::Growth);
        let changed = i64::from(applied.changed_count);
        assert!(changed > 0);
        assert_eq!(server.query_i64("SELECT COUNT(*) FROM tier_changes", []).await, changed);
        assert_eq!(
            server.query_i64("SELECT COUNT(*) FROM outbox_events WHERE event_type = 'TierChanged'", []).await,
            changed
        );
        let history = planning(server)
            .list_tier_changes(pb::ListTierChangesRequest {
                account_id: accounts[0].id.clone(),
                ..Default::default()
            })
            .await
            .expect("tier history")
            .into_inner()
            .tier_changes;
        assert_eq!(history.len(), 1);
        assert_eq!((history[0].old_tier(), history[0].new_tier()), (pb::Tier::Standard, pb::Tier::Strategic));
        assert_eq!((history[0].source.as_str(), history[0].reason()), ("RANKING", pb::TierReason::RevenueShareStrategic));
        assert_eq!(units(&history[0].revenue), 1_200_000);

        // Nothing moved: nothing changes.
        let again = rank(server, false).await;
        assert_eq!(again.changed_count, 0);
        assert_eq!(server.query_i64("SELECT COUNT(*) FROM tier_changes", []).await, changed);

        // Rows can be cut and filtered without changing what is computed.
        let cut = planning(server)
            .recompute_tiers(pb::RecomputeTiersRequest {
                as_of: Some(as_of()),
                validate_only: true,
                row_limit: 3,
                changed_only: false,
            })
            .await
            .expect("a cut table")
            .into_inner();
        assert_eq!((cut.rows.len(), cut.truncated, cut.account_count), (3, true, 42));
    }

    async fn an_override_wins_until_it_expires_and_the_tier_picks_the_sla_policy(server: &TestServer) {
        let big = server.create_account("Big").await;
        let small = server.create_account("Small").await;
        upsert(server, vec![record("B-1", &big.id, 2026, 1, 1_000_000), record("S-1", &small.id, 2026, 1, 10)]).await;
        let mut client = planning(server);

        for (bad, field) in [
            (pb::TierOverride { tier: pb::Tier::Strategic as i32, ..Default::default() }, "tier_override.reason"),
            (
                pb::TierOverride { reason: "x".into(), tier: 0, account_id: small.id.clone(), ..Default::default() },
                "tier_override.tier",
            ),
            (
                pb::TierOverride {
                    account_id: small.id.clone(),
                    tier: pb::Tier::Strategic as i32,
                    reason: "too late".into(),
                    expire_time: Some(Timestamp { seconds: 1_000_000_000, nanos: 0 }),
                    ..Default::default()
                },
                "tier_override.expire_time",
            ),
        ] {
            let status = client
                .set_tier_override(pb::SetTierOverrideRequest { tier_override: Some(bad) })
                .await
                .expect_err(field);
            assert_invalid_argument(&status, field);
        }

        // Until 2030: it applies at once, and rankings before then keep it.
        let until = Timestamp { seconds: 1_893_456_000, nanos: 0 };
        let set = client
            .set_tier_override(pb::SetTierOverrideRequest {
                tier_override: Some(pb::TierOverride {
                    account_id: small.id.clone(),
                    tier: pb::Tier::Strategic as i32,
                    reason: "reference customer in a new market".into(),
                    expire_time: Some(until),
                    ..Default::default()
                }),
            })
            .await
            .expect("set an override")
            .into_inner();
        assert!(set.active);
        assert_eq!(tier_of(server, &small.id).await, pb::Tier::Strategic);
        let ranked = rank(server, false).await;
        let row = ranked.rows.iter().find(|r| r.account_id == small.id).unwrap();
        assert_eq!((row.ranked_tier(), row.new_tier(), row.reason()), (pb::Tier::Standard, pb::Tier::Strategic, pb::TierReason::Override));
        let history = client
            .list_tier_changes(pb::ListTierChangesRequest { account_id: small.id.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .tier_changes;
        assert_eq!(history.len(), 1, "the ranking kept the override's tier");
        assert_eq!((history[0].source.as_str(), history[0].note.as_str()), ("OVERRIDE", "reference customer in a new market"));

        // The tier picks the SLA policy: a STRATEGIC account gets the seeded strategic policy.
        let request = ServiceLevelServiceClient::new(server.channel())
            .create_service_request(pb::CreateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    account_id: small.id.clone(),
                    title: "Pump 3 leaks".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("open a request")
            .into_inner();
        assert_eq!(request.sla.unwrap().policy_id, "00000000-0000-7000-8000-000000000311");

        // A ranking after the expiry goes by revenue again.
        let later = client
            .recompute_tiers(pb::RecomputeTiersRequest {
                as_of: Some(Timestamp { seconds: until.seconds + 1, nanos: 0 }),
                validate_only: true,
                row_limit: 0,
                changed_only: true,
            })
            .await
            .unwrap()
            .into_inner();
        let row = later.rows.iter().find(|r| r.account_id == small.id).expect("small changes tier");
        assert_eq!((row.new_tier(), row.reason()), (pb::Tier::Standard, pb::TierReason::Other));

        let listed = client
            .list_tier_overrides(pb::ListTierOverridesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .tier_overrides;
        assert_eq!(listed.len(), 1);
        client
            .clear_tier_override(pb::ClearTierOverrideRequest { account_id: small.id.clone() })
            .await
            .expect("clear");
        let status = client
            .clear_tier_override(pb::ClearTierOverrideRequest { account_id: small.id.clone() })
            .await
            .expect_err("nothing left to clear");
        assert_error(&status, Code::NotFound);
        assert_eq!(tier_of(server, &small.id).await, pb::Tier::Strategic, "kept until the next ranking");
        rank(server, false).await;
        assert_eq!(tier_of(server, &small.id).await, pb::Tier::Standard);
    }

    async fn a_member_sees_the_revenue_of_its_teams_accounts_only(server: &TestServer) {
        let mine = server.create_account("Mine").await;
        let theirs = server.create_account("Theirs").await;
        upsert(server, vec![record("M-1", &mine.id, 2026, 1, 10), record("T-1", &theirs.id, 2026, 1, 20)]).await;
        let member = server.member_on_team(&mine.id).await;
        let mut client = PlanningServiceClient::new(member.channel());
        let listed = client
            .list_revenue_records(pb::ListRevenueRecordsRequest::default())
            .await
            .expect("list")
            .into_inner()
            .records;
        let ids: Vec<&str> = listed.iter().map(|r| r.external_id.as_str()).collect();
        assert_eq!(ids, vec!["M-1"]);
        let status = client
            .get_monthly_revenue(pb::GetMonthlyRevenueRequest { account_id: theirs.id.clone(), ..Default::default() })
            .await
            .expect_err("another team's account");
        assert_error(&status, Code::PermissionDenied);
        let status = client
            .recompute_tiers(pb::RecomputeTiersRequest { validate_only: true, ..Default::default() })
            .await
            .expect_err("members do not rank");
        assert_error(&status, Code::PermissionDenied);
    }
}
