//! Group companies end to end, on SQLite and PostgreSQL: the group summary (GetGroupSummary) of a
//! hand-built three-level group, each number checked against what was written; who may read it; and
//! tier ranking by group and within segments, on servers started with those settings.

use chrono::{Datelike, Duration, Utc};
use kam_server::planning::config::{RankBy, SegmentBy};
use kam_tests::{
    Backend, TestServer, assert_error, assert_invalid_argument, backend_tests,
    pb::{
        self, health_signal::Kind, opportunity_service_client::OpportunityServiceClient,
        planning_service_client::PlanningServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
    },
};
use tonic::Code;
use uuid::Uuid;

type Planning = PlanningServiceClient<kam_tests::Authed>;

fn planning(server: &TestServer) -> Planning {
    PlanningServiceClient::new(server.channel())
}

fn money(currency: &str, units: i64) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: currency.into(),
        units,
        nanos: 0,
    })
}

/// The month `back` months before this one.
fn month(back: i32) -> pb::Month {
    let now = Utc::now();
    let index = now.year() * 12 + now.month0() as i32 - back;
    pb::Month {
        year: index.div_euclid(12),
        month: index.rem_euclid(12) + 1,
    }
}

fn units(money: &Option<pb::Money>) -> i64 {
    let money = money.as_ref().expect("an amount");
    assert_eq!(money.nanos, 0, "whole units expected: {money:?}");
    money.units
}

/// An account named `name` below `parent` (none: a top account).
async fn account(server: &TestServer, name: &str, parent: Option<&pb::Account>) -> pb::Account {
    server
        .accounts()
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: name.to_owned(),
                parent_account_id: parent.map(|p| p.id.clone()).unwrap_or_default(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("an account")
        .into_inner()
}

/// Revenue of `units` EUR in the month `back` months ago.
async fn revenue(server: &TestServer, account: &pb::Account, back: i32, units: i64) {
    planning(server)
        .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
            records: vec![pb::RevenueRecord {
                external_id: format!("{}-{back}", account.id),
                account_id: account.id.clone(),
                period: Some(month(back)),
                amount: money("EUR", units),
                ..Default::default()
            }],
        })
        .await
        .expect("revenue");
}

async fn deal(
    server: &TestServer,
    account: &pb::Account,
    owner: &str,
    currency: &str,
    amount: i64,
    probability: i32,
) -> pb::Opportunity {
    OpportunityServiceClient::new(server.channel())
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                account_id: account.id.clone(),
                display_name: format!("Deal of {}", account.display_name),
                owner_staff_id: owner.to_owned(),
                amount: money(currency, amount),
                probability_override: Some(probability),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a deal")
        .into_inner()
}

async fn service_request(server: &TestServer, account: &pb::Account) -> pb::ServiceRequest {
    ServiceLevelServiceClient::new(server.channel())
        .create_service_request(pb::CreateServiceRequestRequest {
            service_request: Some(pb::ServiceRequest {
                account_id: account.id.clone(),
                title: "Pump leaks".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a request")
        .into_inner()
}

async fn set_override(server: &TestServer, account: &pb::Account, tier: pb::Tier) {
    planning(server)
        .set_tier_override(pb::SetTierOverrideRequest {
            tier_override: Some(pb::TierOverride {
                account_id: account.id.clone(),
                tier: tier as i32,
                reason: "by hand".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("an override");
}

async fn summary(client: &mut Planning, account_id: &str) -> Result<pb::GroupSummary, tonic::Status> {
    client
        .get_group_summary(pb::GetGroupSummaryRequest {
            account_id: account_id.to_owned(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn tier_of(server: &TestServer, account: &pb::Account) -> pb::Tier {
    server
        .accounts()
        .get_account(pb::GetAccountRequest {
            id: account.id.clone(),
        })
        .await
        .expect("the account")
        .into_inner()
        .tier()
}

/// Holding ─┬─ North ── Plant N1
///          ├─ South ── Closed (deleted)
/// and an Outsider beside them.
struct Group {
    holding: pb::Account,
    north: pb::Account,
    plant: pb::Account,
    south: pb::Account,
    closed: pb::Account,
    outsider: pb::Account,
}

async fn group(server: &TestServer) -> Group {
    let holding = account(server, "Holding", None).await;
    let north = account(server, "North", Some(&holding)).await;
    let south = account(server, "South", Some(&holding)).await;
    let plant = account(server, "Plant N1", Some(&north)).await;
    let closed = account(server, "Closed", Some(&south)).await;
    let outsider = account(server, "Outsider", None).await;
    Group {
        holding,
        north,
        plant,
        south,
        closed,
        outsider,
    }
}

backend_tests! {
    /// Every number of the summary is what was written for the members, and only for them.
    async fn a_group_summary_rolls_up_every_member(server: &TestServer) {
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        let g = group(server).await;
        // Trailing year (last month) and the year before (13 months ago).
        revenue(server, &g.holding, 1, 100).await;
        revenue(server, &g.holding, 13, 10).await;
        revenue(server, &g.north, 1, 50).await;
        revenue(server, &g.plant, 1, 30).await;
        revenue(server, &g.south, 1, 20).await;
        revenue(server, &g.closed, 1, 1000).await;
        revenue(server, &g.outsider, 1, 500).await;

        deal(server, &g.plant, &staff.id, "EUR", 1000, 40).await;
        deal(server, &g.north, &staff.id, "EUR", 500, 10).await;
        deal(server, &g.south, &staff.id, "USD", 200, 50).await;
        deal(server, &g.outsider, &staff.id, "EUR", 99_999, 90).await;
        // A deal South lost, for its health.
        let lost = deal(server, &g.south, &staff.id, "EUR", 7, 10).await;
        OpportunityServiceClient::new(server.channel())
            .close_opportunity(pb::CloseOpportunityRequest {
                id: lost.id.clone(),
                outcome: pb::Outcome::Lost as i32,
                reason_code: "PRICE".into(),
                lost_to_competitor: "KSB".into(),
                ..Default::default()
            })
            .await
            .expect("lost");

        // South: both targets of a request were due two days ago and neither was met.
        let late = service_request(server, &g.south).await;
        let due: sea_orm::Value = (Utc::now() - Duration::days(2)).into();
        server
            .execute(
                "UPDATE service_requests SET first_response_due_time = $1, resolution_due_time = $1 WHERE id = $2",
                [due, Uuid::parse_str(&late.id).unwrap().into()],
            )
            .await;
        // Plant N1: a first response in time.
        let answered = service_request(server, &g.plant).await;
        ServiceLevelServiceClient::new(server.channel())
            .record_first_response(pb::RecordFirstResponseRequest {
                id: answered.id.clone(),
                etag: String::new(),
            })
            .await
            .expect("a first response");
        // The Outsider's breaches are not the group's.
        let elsewhere = service_request(server, &g.outsider).await;
        let due: sea_orm::Value = (Utc::now() - Duration::days(2)).into();
        server
            .execute(
                "UPDATE service_requests SET first_response_due_time = $1 WHERE id = $2",
                [due, Uuid::parse_str(&elsewhere.id).unwrap().into()],
            )
            .await;

        // The Holding is STRATEGIC with an account manager only; the rest STANDARD (no requirements).
        set_override(server, &g.holding, pb::Tier::Strategic).await;
        server
            .teams()
            .add_team_member(pb::AddTeamMemberRequest {
                member: Some(pb::TeamMember {
                    account_id: g.holding.id.clone(),
                    staff_id: staff.id.clone(),
                    role: pb::TeamRole::AccountManager as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("a seat");
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest {
                id: g.closed.id.clone(),
                etag: String::new(),
            })
            .await
            .expect("deleted");

        let mut client = planning(server);
        let group = summary(&mut client, &g.holding.id).await.expect("the summary");
        assert_eq!(group.account_id, g.holding.id);
        assert_eq!(group.account_display_name, "Holding");
        assert_eq!(group.top_account_id, g.holding.id);
        assert!(!group.truncated);

        // The account, then by depth, each level by name; the deleted one is no member.
        let members: Vec<(&str, i32, &str)> = group
            .members
            .iter()
            .map(|m| (m.display_name.as_str(), m.depth, m.parent_account_id.as_str()))
            .collect();
        assert_eq!(
            members,
            vec![
                ("Holding", 0, ""),
                ("North", 1, g.holding.id.as_str()),
                ("South", 1, g.holding.id.as_str()),
                ("Plant N1", 2, g.north.id.as_str()),
            ]
        );
        let member = |name: &str| group.members.iter().find(|m| m.display_name == name).unwrap();
        assert_eq!(units(&member("Holding").revenue), 100);
        assert_eq!(units(&member("Plant N1").revenue), 30);
        assert_eq!(member("Holding").tier(), pb::Tier::Strategic);
        assert_eq!(member("North").lifecycle(), pb::Lifecycle::Prospect);

        // Revenue: 100 + 50 + 30 + 20, and the Holding's 10 the year before.
        assert_eq!(units(&group.revenue), 200);
        assert_eq!(units(&group.previous_revenue), 10);

        // Open pipeline per currency (the lost deal is not open): EUR 1000 × 40 % + 500 × 10 %.
        let pipeline = |amounts: &[pb::CurrencyAmount]| -> Vec<(String, i64, i64)> {
            amounts
                .iter()
                .map(|a| (a.currency_code.clone(), a.count, units(&a.amount)))
                .collect()
        };
        assert_eq!(
            pipeline(&group.open_pipeline),
            vec![("EUR".into(), 2, 1500), ("USD".into(), 1, 200)]
        );
        assert_eq!(
            pipeline(&group.weighted_pipeline),
            vec![("EUR".into(), 2, 450), ("USD".into(), 1, 100)]
        );

        // SLA compliance of the last 90 days: South's two breaches, Plant N1's response in time.
        let sla = group.sla_compliance.as_ref().expect("compliance");
        assert_eq!((sla.met, sla.breached), (1, 2));
        assert_eq!((sla.first_response_met, sla.first_response_breached), (1, 1));
        assert_eq!((sla.resolution_met, sla.resolution_breached), (0, 1));
        assert_eq!(sla.first_responses, 1);
        assert!((sla.percent_met - 100.0 / 3.0).abs() < 1e-9);

        // Health: South loses 15 (SLA) + 10 (a lost deal) and is the weakest; the group is as well as
        // South, and its signals name South.
        let south = member("South");
        assert_eq!((south.health_score, south.health_level()), (75, pb::account_health::Level::Watch));
        assert_eq!(member("North").health_score, 100);
        assert_eq!((group.health_score, group.health_level()), (75, pb::account_health::Level::Watch));
        assert_eq!(group.health_signals.len(), 8);
        let signal = |kind: Kind| group.health_signals.iter().find(|s| s.kind() == kind).unwrap();
        let sla_signal = signal(Kind::SlaBreaches);
        assert!(sla_signal.triggered);
        assert!(sla_signal.evidence.starts_with("South: 2 SLA targets breached"), "{}", sla_signal.evidence);
        assert_eq!(sla_signal.related_ids, vec![g.south.id.clone()]);
        let lost_signal = signal(Kind::LostOpportunities);
        assert!(lost_signal.triggered);
        assert!(lost_signal.evidence.starts_with("South: "));
        assert_eq!(lost_signal.related_ids, vec![lost.id.clone(), g.south.id.clone()]);
        assert!(!signal(Kind::Silence).triggered);

        // Coverage: the STRATEGIC Holding lacks its executive sponsor and both liaisons.
        let holding = member("Holding");
        assert_eq!(holding.missing_roles().collect::<Vec<_>>(), vec![pb::TeamRole::ExecutiveSponsor]);
        assert_eq!(holding.missing_liaisons, vec!["CUSTOMER_SERVICE".to_owned(), "TECHNICAL".to_owned()]);
        assert!(member("North").missing_roles.is_empty());
        assert_eq!(group.members_missing_coverage, 1);

        // Tiers: every tier, STRATEGIC first.
        let tiers: Vec<(pb::Tier, i32)> = group.tiers.iter().map(|t| (t.tier(), t.account_count)).collect();
        assert_eq!(
            tiers,
            vec![
                (pb::Tier::Strategic, 1),
                (pb::Tier::Key, 0),
                (pb::Tier::Growth, 0),
                (pb::Tier::Standard, 3),
            ]
        );
        assert!(group.compute_time.is_some());

        // Asked below the top: North and its plant, with the Holding as top.
        let north = summary(&mut client, &g.north.id).await.expect("North's summary");
        assert_eq!(north.top_account_id, g.holding.id);
        assert_eq!(
            north.members.iter().map(|m| m.account_id.clone()).collect::<Vec<_>>(),
            vec![g.north.id.clone(), g.plant.id.clone()]
        );
        assert_eq!(units(&north.revenue), 80);
        assert_eq!(north.health_score, 100);
        let plant = summary(&mut client, &g.plant.id).await.expect("the plant's summary");
        assert_eq!(plant.top_account_id, g.holding.id);
        assert_eq!(plant.members.len(), 1);

        // Over HTTP/JSON too.
        let answer = server
            .http()
            .get(&format!("/v1/accounts/{}/groupSummary", g.holding.id))
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.json());
        let body = answer.json();
        assert_eq!(body["members"].as_array().map(Vec::len), Some(4));
        assert_eq!(body["healthScore"], 75);
    }

    /// A MEMBER reads the group of its teams' account, all of it, and nothing above it: another
    /// account answers PERMISSION_DENIED whether it exists or not.
    async fn a_member_reads_the_group_of_its_teams_account_only(server: &TestServer) {
        let g = group(server).await;
        let member = server.member_on_team(&g.north.id).await;
        let mut client = PlanningServiceClient::new(member.channel());
        let north = summary(&mut client, &g.north.id).await.expect("its team's account");
        assert_eq!(north.members.len(), 2, "the plant is part of the group it serves");
        assert_eq!(north.top_account_id, g.holding.id);
        let denied = summary(&mut client, &g.holding.id).await.unwrap_err();
        assert_error(&denied, Code::PermissionDenied);
        let missing = summary(&mut client, &Uuid::now_v7().to_string()).await.unwrap_err();
        assert_error(&missing, Code::PermissionDenied);
        assert_eq!(denied.message(), missing.message(), "hidden and missing look the same");

        let mut admin = planning(server);
        let unknown = summary(&mut admin, &Uuid::now_v7().to_string()).await.unwrap_err();
        assert_error(&unknown, Code::NotFound);
        let bad = summary(&mut admin, "not-a-uuid").await.unwrap_err();
        assert_invalid_argument(&bad, "account_id");
    }
}

/// Holding (10) ─ Sub A (30) ─ Sub B (20, overridden GROWTH); X (30) and Y (10) alone. Holding and X
/// in industry C (manufacturing), Sub A in F (trade), Y unclassified.
async fn tiering_by_group_and_industry(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |config| {
        config.planning.tiering.rank_by = RankBy::Group;
        config.planning.tiering.segment_by = SegmentBy::Industry;
    })
    .await
    else {
        return;
    };
    let holding = account(&server, "Holding", None).await;
    let a = account(&server, "Sub A", Some(&holding)).await;
    let b = account(&server, "Sub B", Some(&a)).await;
    let x = account(&server, "X", None).await;
    let y = account(&server, "Y", None).await;
    for (who, units) in [(&holding, 10), (&a, 30), (&b, 20), (&x, 30), (&y, 10)] {
        revenue(&server, who, 1, units).await;
    }
    for (who, code) in [(&holding, "C"), (&x, "C"), (&a, "F")] {
        server
            .execute(
                "UPDATE accounts SET industry_code = $1 WHERE id = $2",
                [code.into(), Uuid::parse_str(&who.id).unwrap().into()],
            )
            .await;
    }
    set_override(&server, &b, pb::Tier::Growth).await;

    let rank = |validate_only: bool| {
        let mut client = planning(&server);
        async move {
            client
                .recompute_tiers(pb::RecomputeTiersRequest {
                    validate_only,
                    ..Default::default()
                })
                .await
                .expect("a ranking")
                .into_inner()
        }
    };
    let preview = rank(true).await;
    assert!(preview.ranks_groups && !preview.applied);
    assert_eq!(
        tier_of(&server, &a).await,
        pb::Tier::Standard,
        "a preview stores nothing"
    );

    let ranking = rank(false).await;
    assert!(ranking.applied && ranking.ranks_groups);
    // Accounts, not groups; Holding, Sub A and X change (Sub B was GROWTH already).
    assert_eq!(ranking.account_count, 5);
    assert_eq!(ranking.changed_count, 3);
    assert_eq!(units(&ranking.total_revenue), 100);
    // The group brings 60 of 100 (before 0: STRATEGIC), X 30 (before 60 < 75: KEY), Y 10.
    let rows: Vec<(String, i64, pb::Tier)> = ranking
        .rows
        .iter()
        .map(|r| (r.account_id.clone(), units(&r.revenue), r.new_tier()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (holding.id.clone(), 60, pb::Tier::Strategic),
            (x.id.clone(), 30, pb::Tier::Key),
            (y.id.clone(), 10, pb::Tier::Standard),
        ]
    );
    let top = &ranking.rows[0];
    assert_eq!(top.member_account_ids, vec![a.id.clone(), b.id.clone()]);
    assert_eq!(
        top.member_revenue
            .iter()
            .map(|m| units(&Some(m.clone())))
            .collect::<Vec<_>>(),
        vec![30, 20]
    );
    assert_eq!(top.cumulative_share_ppm, 600_000);
    assert!(ranking.rows[1].member_account_ids.is_empty());

    // Stored per account: the members share the group's tier, the override still wins.
    assert_eq!(tier_of(&server, &holding).await, pb::Tier::Strategic);
    assert_eq!(tier_of(&server, &a).await, pb::Tier::Strategic);
    assert_eq!(tier_of(&server, &b).await, pb::Tier::Growth);
    assert_eq!(tier_of(&server, &x).await, pb::Tier::Key);
    assert_eq!(tier_of(&server, &y).await, pb::Tier::Standard);
    let changes = planning(&server)
        .list_tier_changes(pb::ListTierChangesRequest {
            account_id: a.id.clone(),
            ..Default::default()
        })
        .await
        .expect("Sub A's changes")
        .into_inner()
        .tier_changes;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].source, "RANKING");
    assert_eq!(changes[0].reason(), pb::TierReason::RevenueShareStrategic);
    assert_eq!(
        units(&changes[0].revenue),
        60,
        "recorded with the group's revenue"
    );
    assert_eq!(changes[0].cumulative_share_ppm, 600_000);

    // Within industries (the group by its top account's): C holds the group (60) and X (30), the
    // unclassified Y alone; each ranked against its own total.
    let segment = |row: &pb::TierRankingRow| row.segment.clone().unwrap_or_default().code;
    assert_eq!(
        ranking.rows.iter().map(segment).collect::<Vec<_>>(),
        vec!["C", "C", ""]
    );
    let by_segment: Vec<(pb::Tier, i64, i64)> = ranking
        .rows
        .iter()
        .map(|r| {
            (
                r.segment_tier(),
                r.segment_share_ppm,
                r.segment_cumulative_share_ppm,
            )
        })
        .collect();
    assert_eq!(
        by_segment,
        vec![
            (pb::Tier::Strategic, 666_666, 666_666),
            (pb::Tier::Key, 333_333, 1_000_000),
            (pb::Tier::Strategic, 1_000_000, 1_000_000),
        ]
    );
    let segments: Vec<(String, String, i64)> = ranking
        .segments
        .iter()
        .map(|s| {
            let key = s.segment.clone().unwrap_or_default();
            (key.code, key.name, units(&s.revenue))
        })
        .collect();
    assert_eq!(
        segments,
        vec![
            (String::new(), String::new(), 10),
            ("C".into(), "Manufacturing".into(), 90),
        ]
    );
    let c_tiers: Vec<(pb::Tier, i32)> = ranking.segments[1]
        .tiers
        .iter()
        .map(|t| (t.tier(), t.account_count))
        .collect();
    assert_eq!(
        c_tiers,
        vec![
            (pb::Tier::Strategic, 1),
            (pb::Tier::Key, 1),
            (pb::Tier::Growth, 0),
            (pb::Tier::Standard, 0),
        ]
    );
    // Never stored: X keeps the company-wide KEY.
    assert_eq!(tier_of(&server, &x).await, pb::Tier::Key);

    // A second ranking changes nothing.
    let again = rank(false).await;
    assert_eq!(again.changed_count, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiering_ranks_groups_and_segments_on_sqlite() {
    tiering_by_group_and_industry(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiering_ranks_groups_and_segments_on_postgres() {
    tiering_by_group_and_industry(Backend::Postgres).await;
}

/// Per account (the default) with regions: every account is its own row and segments come by region.
async fn tiering_by_account_and_region(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |config| {
        config.planning.tiering.segment_by = SegmentBy::Region;
    })
    .await
    else {
        return;
    };
    let holding = account(&server, "Holding", None).await;
    let sub = account(&server, "Sub", Some(&holding)).await;
    revenue(&server, &holding, 1, 40).await;
    revenue(&server, &sub, 1, 60).await;
    let ranking = planning(&server)
        .recompute_tiers(pb::RecomputeTiersRequest::default())
        .await
        .expect("a ranking")
        .into_inner();
    assert!(!ranking.ranks_groups);
    assert_eq!(ranking.rows.len(), 2);
    assert!(ranking.rows.iter().all(|r| r.member_account_ids.is_empty()));
    // No regions yet: one unclassified segment, ranked as the whole.
    assert_eq!(ranking.segments.len(), 1);
    for row in &ranking.rows {
        assert_eq!(row.segment.clone().unwrap_or_default().code, "");
        assert_eq!(row.segment_tier(), row.ranked_tier());
        assert_eq!(row.segment_share_ppm, row.share_ppm);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiering_by_account_with_regions_on_sqlite() {
    tiering_by_account_and_region(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiering_by_account_with_regions_on_postgres() {
    tiering_by_account_and_region(Backend::Postgres).await;
}
