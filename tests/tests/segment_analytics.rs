//! Known-answer tests of the reports broken down by segment: GetFunnelSummary and GetForecast
//! (`group_by`, `filter.segments`), GetSlaComplianceReport (`group_by`, `segments`) and GetRevenueReport,
//! on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set).
//!
//! # The dataset
//!
//! Industries: the seeded section C "Manufacturing" (depth 1) and K; below C, created here, C10
//! "Machinery" (depth 2) with C10.1 "Robots" (depth 3) below it, and C20 "Chemicals" (depth 2).
//!
//! ```text
//! account  industry_code  free text   depth 0 group        depth 1   depth 2
//! Acme     C10.1          -           C10.1 Robots         C         C10
//! Beta     C20            -           C20 Chemicals        C         C20
//! Gamma    C              -           C Manufacturing      C         C
//! Delta    -              "Shipping"  "" Shipping          ""        ""
//! Echo     -              ""          "" ""                ""        ""
//! ```
//!
//! Deals (default pipeline, LEAD 10 % PIPELINE, PROPOSAL 60 % BEST_CASE, no expected close date):
//!
//! ```text
//! Acme  A1 EUR 100.00 LEAD   A2 EUR 50.50 PROPOSAL
//! Beta  B1 USD 200.00 LEAD
//! Gamma G1 EUR  10.00 LEAD
//! Delta D1 EUR   1.00 LEAD
//! Echo  E1 EUR   5.00 LEAD
//! ```
//!
//! Revenue (EUR, the reporting currency), 2026-01..2026-02: Acme 1000 + 500 (and 999 in 2025-12, out of
//! range), Beta 300, Gamma 200, Delta 100; Echo none. Total 2100.
//!
//! Service requests (first-response targets concluded in the range, pinned in SQL): Acme one MET (30
//! business minutes) and one BREACHED (90), Beta one MET (10), Delta one BREACHED (50).

use std::time::{SystemTime, UNIX_EPOCH};

use kam_tests::{
    TestServer, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{
        self, opportunity_service_client::OpportunityServiceClient,
        planning_service_client::PlanningServiceClient, segment_grouping::Kind,
        segment_service_client::SegmentServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
    },
    pbjson_types::Timestamp,
};
use sea_orm::Value;
use uuid::Uuid;

struct Dataset {
    acme: String,
}

fn unique(prefix: &str) -> String {
    format!("{prefix} {}", Uuid::now_v7().simple())
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

fn money(currency: &str, units: i64, nanos: i32) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: currency.to_owned(),
        units,
        nanos,
    })
}

fn grouping(kind: Kind, rollup_depth: i32) -> Option<pb::SegmentGrouping> {
    Some(pb::SegmentGrouping {
        kind: kind as i32,
        rollup_depth,
    })
}

fn industry_filter(code: &str) -> Option<pb::SegmentFilter> {
    Some(pb::SegmentFilter {
        industry_code: code.to_owned(),
        region_code: String::new(),
    })
}

async fn create_industry(server: &TestServer, code: &str, parent: &str, name: &str) {
    SegmentServiceClient::new(server.channel())
        .create_industry(pb::CreateIndustryRequest {
            industry: Some(pb::Industry {
                code: code.to_owned(),
                parent_code: parent.to_owned(),
                name: name.to_owned(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_or_else(|e| panic!("create industry {code}: {e:?}"));
}

async fn account(server: &TestServer, name: &str, industry_code: &str, industry: &str) -> String {
    let created = server
        .accounts()
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: unique(name),
                industry_code: industry_code.to_owned(),
                industry: industry.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("create account {name}: {e:?}"))
        .into_inner();
    assert_eq!(created.industry_code, industry_code, "{name}'s industry_code");
    created.id
}

async fn deal(server: &TestServer, owner: &str, account_id: &str, amount: Option<pb::Money>, stage: &str) {
    let mut client = OpportunityServiceClient::new(server.channel());
    let created = client
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                account_id: account_id.to_owned(),
                stage: "LEAD".to_owned(),
                display_name: unique("Deal"),
                amount,
                owner_staff_id: owner.to_owned(),
                qualification: Some(pb::Qualification {
                    budget_confirmed: true,
                    authority_confirmed: true,
                    need_confirmed: true,
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("create a deal: {e:?}"))
        .into_inner();
    if stage != "LEAD" {
        client
            .move_opportunity_stage(pb::MoveOpportunityStageRequest {
                id: created.id,
                stage: stage.to_owned(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("move to {stage}: {e:?}"));
    }
}

async fn revenue(server: &TestServer, account_id: &str, (year, month): (i32, i32), units: i64) {
    PlanningServiceClient::new(server.channel())
        .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
            records: vec![pb::RevenueRecord {
                external_id: unique("R"),
                account_id: account_id.to_owned(),
                period: Some(pb::Month { year, month }),
                amount: money("EUR", units, 0),
                ..Default::default()
            }],
        })
        .await
        .unwrap_or_else(|e| panic!("revenue: {e:?}"));
}

/// A service request of `account_id` whose first response concluded an hour ago, MET or BREACHED,
/// after `minutes` business minutes; its resolution is due long after the report's range.
async fn concluded_request(server: &TestServer, account_id: &str, met: bool, minutes: i64) {
    let created = ServiceLevelServiceClient::new(server.channel())
        .create_service_request(pb::CreateServiceRequestRequest {
            service_request: Some(pb::ServiceRequest {
                account_id: account_id.to_owned(),
                title: unique("Request"),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("create a service request: {e:?}"))
        .into_inner();
    let now = now_secs();
    let instant =
        |seconds: i64| Value::from(chrono::DateTime::from_timestamp(seconds, 0).expect("an instant"));
    let (responded, due) = if met {
        (now - 3600, now)
    } else {
        (now - 3600, now - 7200)
    };
    let changed = server
        .execute(
            "UPDATE service_requests SET first_response_settled_state = $1, first_response_time = $2, \
             first_response_due_time = $3, first_response_business_minutes = $4, \
             resolution_settled_state = NULL, resolve_time = NULL, resolution_due_time = $5, \
             resolution_business_minutes = NULL WHERE id = $6",
            [
                Value::from(if met { "MET" } else { "BREACHED" }.to_owned()),
                instant(responded),
                instant(due),
                Value::from(minutes),
                instant(now + 10 * 86_400),
                Value::from(Uuid::parse_str(&created.id).expect("an id")),
            ],
        )
        .await;
    assert_eq!(changed, 1);
}

async fn dataset(server: &TestServer) -> Dataset {
    create_industry(server, "C10", "C", "Machinery").await;
    create_industry(server, "C10.1", "C10", "Robots").await;
    create_industry(server, "C20", "C", "Chemicals").await;
    let acme = account(server, "Acme", "C10.1", "").await;
    let beta = account(server, "Beta", "C20", "").await;
    let gamma = account(server, "Gamma", "C", "").await;
    let delta = account(server, "Delta", "", "Shipping").await;
    let echo = account(server, "Echo", "", "").await;

    let owner = server.create_staff(pb::StaffLevel::Staff).await.id;
    deal(server, &owner, &acme, money("EUR", 100, 0), "LEAD").await;
    deal(server, &owner, &acme, money("EUR", 50, 500_000_000), "PROPOSAL").await;
    deal(server, &owner, &beta, money("USD", 200, 0), "LEAD").await;
    deal(server, &owner, &gamma, money("EUR", 10, 0), "LEAD").await;
    deal(server, &owner, &delta, money("EUR", 1, 0), "LEAD").await;
    deal(server, &owner, &echo, money("EUR", 5, 0), "LEAD").await;

    revenue(server, &acme, (2026, 1), 1000).await;
    revenue(server, &acme, (2026, 2), 500).await;
    revenue(server, &acme, (2025, 12), 999).await;
    revenue(server, &beta, (2026, 1), 300).await;
    revenue(server, &gamma, (2026, 2), 200).await;
    revenue(server, &delta, (2026, 1), 100).await;

    concluded_request(server, &acme, true, 30).await;
    concluded_request(server, &acme, false, 90).await;
    concluded_request(server, &beta, true, 10).await;
    concluded_request(server, &delta, false, 50).await;
    Dataset { acme }
}

fn key(segment: &Option<pb::SegmentKey>) -> (&str, &str) {
    let segment = segment.as_ref().expect("a segment key");
    (segment.code.as_str(), segment.name.as_str())
}

/// A list of currency amounts as (currency, count, units, nanos).
fn amounts(list: &[pb::CurrencyAmount]) -> Vec<(&str, i64, i64, i32)> {
    list.iter()
        .map(|a| {
            let m = a.amount.as_ref().expect("an amount");
            (a.currency_code.as_str(), a.count, m.units, m.nanos)
        })
        .collect()
}

/// A forecast category as (category, [(currency, count, units, nanos)]).
type Category = (i32, Vec<(String, i64, i64, i32)>);

/// A stage summary as (stage, count, amounts, weighted amounts).
type Stage<'a> = (
    &'a str,
    i64,
    Vec<(&'a str, i64, i64, i32)>,
    Vec<(&'a str, i64, i64, i32)>,
);

fn stages(list: &[pb::StageSummary]) -> Vec<Stage<'_>> {
    list.iter()
        .filter(|s| s.count > 0)
        .map(|s| {
            (
                s.stage.as_str(),
                s.count,
                amounts(&s.amounts),
                amounts(&s.weighted_amounts),
            )
        })
        .collect()
}

async fn summary(
    server: &TestServer,
    filter: Option<pb::SegmentFilter>,
    group_by: Option<pb::SegmentGrouping>,
) -> Result<pb::GetFunnelSummaryResponse, tonic::Status> {
    OpportunityServiceClient::new(server.channel())
        .get_funnel_summary(pb::GetFunnelSummaryRequest {
            filter: Some(pb::FunnelFilter {
                segments: filter,
                ..Default::default()
            }),
            group_by,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn forecast(
    server: &TestServer,
    filter: Option<pb::SegmentFilter>,
    group_by: Option<pb::SegmentGrouping>,
) -> Result<pb::GetForecastResponse, tonic::Status> {
    OpportunityServiceClient::new(server.channel())
        .get_forecast(pb::GetForecastRequest {
            filter: Some(pb::FunnelFilter {
                segments: filter,
                ..Default::default()
            }),
            group_by,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn compliance(
    server: &TestServer,
    segments: Option<pb::SegmentFilter>,
    group_by: Option<pb::SegmentGrouping>,
) -> Result<pb::GetSlaComplianceReportResponse, tonic::Status> {
    let now = now_secs();
    ServiceLevelServiceClient::new(server.channel())
        .get_sla_compliance_report(pb::GetSlaComplianceReportRequest {
            start_time: at(now - 86_400),
            end_time: at(now + 86_400),
            tiers: Vec::new(),
            account_id: String::new(),
            segments,
            group_by,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn revenue_report(
    server: &TestServer,
    segments: Option<pb::SegmentFilter>,
    tier: pb::Tier,
    group_by: Option<pb::SegmentGrouping>,
) -> Result<pb::GetRevenueReportResponse, tonic::Status> {
    PlanningServiceClient::new(server.channel())
        .get_revenue_report(pb::GetRevenueReportRequest {
            from_period: Some(pb::Month { year: 2026, month: 1 }),
            to_period: Some(pb::Month { year: 2026, month: 2 }),
            segments,
            tier: tier as i32,
            group_by,
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Sums the stage summaries of every segment, per stage, as the total's stages would show them.
fn summed_stages(response: &pb::GetFunnelSummaryResponse) -> Vec<(String, i64)> {
    response
        .stages
        .iter()
        .map(|stage| {
            let count = response
                .segments
                .iter()
                .flat_map(|s| &s.stages)
                .filter(|s| s.stage == stage.stage)
                .map(|s| s.count)
                .sum();
            (stage.stage.clone(), count)
        })
        .collect()
}

backend_tests! {
    async fn the_funnel_summary_breaks_down_by_industry(server: &TestServer) {
        dataset(server).await;
        let ungrouped = summary(server, None, None).await.unwrap();
        assert!(ungrouped.segments.is_empty());
        let eur_lead = ("EUR", 4, 116, 0);
        let lead = ("LEAD", 5, vec![eur_lead, ("USD", 1, 200, 0)], vec![("EUR", 4, 11, 600_000_000), ("USD", 1, 20, 0)]);
        let proposal = ("PROPOSAL", 1, vec![("EUR", 1, 50, 500_000_000)], vec![("EUR", 1, 30, 300_000_000)]);
        assert_eq!(stages(&ungrouped.stages), vec![lead.clone(), proposal.clone()]);

        let own = summary(server, None, grouping(Kind::Industry, 0)).await.unwrap();
        assert_eq!(own.stages, ungrouped.stages, "the totals equal the ungrouped call");
        let groups: Vec<_> = own.segments.iter().map(|s| (key(&s.segment), stages(&s.stages))).collect();
        let eur_lead = |units: i64, weighted: (i64, i32)| {
            ("LEAD", 1, vec![("EUR", 1, units, 0)], vec![("EUR", 1, weighted.0, weighted.1)])
        };
        assert_eq!(
            groups,
            vec![
                (("", ""), vec![eur_lead(5, (0, 500_000_000))]),
                (("", "Shipping"), vec![eur_lead(1, (0, 100_000_000))]),
                (("C", "Manufacturing"), vec![eur_lead(10, (1, 0))]),
                (("C10.1", "Robots"), vec![eur_lead(100, (10, 0)), proposal.clone()]),
                (("C20", "Chemicals"), vec![("LEAD", 1, vec![("USD", 1, 200, 0)], vec![("USD", 1, 20, 0)])]),
            ]
        );
        // Each segment lists only its stages that hold deals, in pipeline order.
        assert!(own.segments.iter().all(|s| s.stages.iter().all(|st| st.count > 0)));
        assert_eq!(summed_stages(&own), ungrouped.stages.iter().map(|s| (s.stage.clone(), s.count)).collect::<Vec<_>>());

        let top = summary(server, None, grouping(Kind::Industry, 1)).await.unwrap();
        assert_eq!(top.stages, ungrouped.stages);
        let groups: Vec<_> = top.segments.iter().map(|s| (key(&s.segment), stages(&s.stages))).collect();
        assert_eq!(
            groups,
            vec![
                (("", ""), vec![eur_lead(5, (0, 500_000_000))]),
                (("", "Shipping"), vec![eur_lead(1, (0, 100_000_000))]),
                (
                    ("C", "Manufacturing"),
                    vec![
                        ("LEAD", 3, vec![("EUR", 2, 110, 0), ("USD", 1, 200, 0)], vec![("EUR", 2, 11, 0), ("USD", 1, 20, 0)]),
                        proposal.clone(),
                    ]
                ),
            ]
        );

        // Depth 2: Gamma's C lies above it and stays itself; Robots rolls up to Machinery.
        let second = summary(server, None, grouping(Kind::Industry, 2)).await.unwrap();
        let keys: Vec<_> = second.segments.iter().map(|s| key(&s.segment)).collect();
        assert_eq!(keys, vec![("", ""), ("", "Shipping"), ("C", "Manufacturing"), ("C10", "Machinery"), ("C20", "Chemicals")]);

        // Filters take the segment with everything below it.
        let manufacturing = summary(server, industry_filter("C"), None).await.unwrap();
        assert_eq!(
            stages(&manufacturing.stages),
            vec![
                ("LEAD", 3, vec![("EUR", 2, 110, 0), ("USD", 1, 200, 0)], vec![("EUR", 2, 11, 0), ("USD", 1, 20, 0)]),
                proposal.clone(),
            ]
        );
        let machinery = summary(server, industry_filter("C10"), grouping(Kind::Industry, 0)).await.unwrap();
        let groups: Vec<_> = machinery.segments.iter().map(|s| key(&s.segment)).collect();
        assert_eq!(groups, vec![("C10.1", "Robots")]);
        assert_eq!(stages(&machinery.stages), vec![eur_lead(100, (10, 0)), proposal]);
    }

    async fn the_forecast_breaks_down_by_industry(server: &TestServer) {
        dataset(server).await;
        let ungrouped = forecast(server, None, None).await.unwrap();
        let categories = |list: &[pb::ForecastCategorySum]| -> Vec<Category> {
            list.iter()
                .map(|c| {
                    let amounts = amounts(&c.amounts).into_iter().map(|(cur, n, u, x)| (cur.to_owned(), n, u, x)).collect();
                    (c.category, amounts)
                })
                .collect()
        };
        let eur = |n: i64, units: i64, nanos: i32| ("EUR".to_owned(), n, units, nanos);
        let usd = |n: i64, units: i64, nanos: i32| ("USD".to_owned(), n, units, nanos);
        use pb::ForecastCategory as F;
        assert_eq!(
            categories(&ungrouped.categories),
            vec![
                (F::Pipeline as i32, vec![eur(4, 116, 0), usd(1, 200, 0)]),
                (F::BestCase as i32, vec![eur(1, 50, 500_000_000)]),
                (F::Commit as i32, vec![]),
                (F::Omitted as i32, vec![]),
            ]
        );
        assert_eq!(amounts(&ungrouped.weighted_pipeline), vec![("EUR", 5, 41, 900_000_000), ("USD", 1, 20, 0)]);
        assert!(ungrouped.closed_won.is_empty());
        assert!(ungrouped.segments.is_empty());

        let top = forecast(server, None, grouping(Kind::Industry, 1)).await.unwrap();
        assert_eq!((&top.categories, &top.weighted_pipeline, &top.closed_won), (&ungrouped.categories, &ungrouped.weighted_pipeline, &ungrouped.closed_won));
        let keys: Vec<_> = top.segments.iter().map(|s| key(&s.segment)).collect();
        assert_eq!(keys, vec![("", ""), ("", "Shipping"), ("C", "Manufacturing")]);
        let c = &top.segments[2];
        assert_eq!(
            categories(&c.categories),
            vec![
                (F::Pipeline as i32, vec![eur(2, 110, 0), usd(1, 200, 0)]),
                (F::BestCase as i32, vec![eur(1, 50, 500_000_000)]),
            ],
            "only the categories with deals"
        );
        assert_eq!(amounts(&c.weighted_pipeline), vec![("EUR", 3, 41, 300_000_000), ("USD", 1, 20, 0)]);
        let shipping = &top.segments[1];
        assert_eq!(categories(&shipping.categories), vec![(F::Pipeline as i32, vec![eur(1, 1, 0)])]);
        assert_eq!(amounts(&shipping.weighted_pipeline), vec![("EUR", 1, 0, 100_000_000)]);

        let own = forecast(server, None, grouping(Kind::Industry, 0)).await.unwrap();
        assert_eq!(own.weighted_pipeline, ungrouped.weighted_pipeline);
        let keys: Vec<_> = own.segments.iter().map(|s| key(&s.segment)).collect();
        assert_eq!(keys, vec![("", ""), ("", "Shipping"), ("C", "Manufacturing"), ("C10.1", "Robots"), ("C20", "Chemicals")]);
        let robots = &own.segments[3];
        assert_eq!(amounts(&robots.weighted_pipeline), vec![("EUR", 2, 40, 300_000_000)]);

        let machinery = forecast(server, industry_filter("C10"), None).await.unwrap();
        assert_eq!(amounts(&machinery.weighted_pipeline), vec![("EUR", 2, 40, 300_000_000)]);
    }

    async fn compliance_breaks_down_by_industry(server: &TestServer) {
        dataset(server).await;
        let ungrouped = compliance(server, None, None).await.unwrap();
        let total = ungrouped.total.unwrap();
        assert_eq!((total.first_response_met, total.first_response_breached, total.first_responses), (2, 2, 4));
        assert!((total.mean_first_response_minutes - 45.0).abs() < 1e-9, "{total:?}");
        assert!(ungrouped.segments.is_empty());

        let counts = |c: &Option<pb::SlaCompliance>| {
            let c = c.as_ref().expect("compliance");
            (c.met, c.breached, c.first_responses)
        };
        let own = compliance(server, None, grouping(Kind::Industry, 0)).await.unwrap();
        assert_eq!(own.total, ungrouped.total);
        assert_eq!(own.rows, ungrouped.rows);
        let groups: Vec<_> = own.segments.iter().map(|s| (key(&s.segment), counts(&s.compliance))).collect();
        assert_eq!(
            groups,
            vec![
                (("", "Shipping"), (0, 1, 1)),
                (("C10.1", "Robots"), (1, 1, 2)),
                (("C20", "Chemicals"), (1, 0, 1)),
            ]
        );

        let top = compliance(server, None, grouping(Kind::Industry, 1)).await.unwrap();
        assert_eq!(top.total, ungrouped.total);
        let groups: Vec<_> = top.segments.iter().map(|s| (key(&s.segment), counts(&s.compliance))).collect();
        assert_eq!(groups, vec![(("", "Shipping"), (0, 1, 1)), (("C", "Manufacturing"), (2, 1, 3))]);
        let c = top.segments[1].compliance.as_ref().unwrap();
        assert!((c.mean_first_response_minutes - 130.0 / 3.0).abs() < 1e-9, "{c:?}");

        let machinery = compliance(server, industry_filter("C10"), None).await.unwrap();
        assert_eq!(counts(&machinery.total), (1, 1, 2));
    }

    async fn revenue_breaks_down_by_industry(server: &TestServer) {
        let data = dataset(server).await;
        let eur = |units: i64| money("EUR", units, 0);
        let ungrouped = revenue_report(server, None, pb::Tier::Unspecified, None).await.unwrap();
        assert_eq!((ungrouped.total.clone(), ungrouped.account_count), (eur(2100), 4));
        assert_eq!(ungrouped.from_period, Some(pb::Month { year: 2026, month: 1 }));
        assert_eq!(ungrouped.to_period, Some(pb::Month { year: 2026, month: 2 }));
        assert!(ungrouped.segments.is_empty());

        let rows = |r: &pb::GetRevenueReportResponse| -> Vec<((String, String), i64, i32, i64)> {
            r.segments
                .iter()
                .map(|s| {
                    let (code, name) = key(&s.segment);
                    ((code.to_owned(), name.to_owned()), s.revenue.as_ref().unwrap().units, s.account_count, s.share_ppm)
                })
                .collect()
        };
        let k = |code: &str, name: &str| (code.to_owned(), name.to_owned());
        let own = revenue_report(server, None, pb::Tier::Unspecified, grouping(Kind::Industry, 0)).await.unwrap();
        assert_eq!((own.total.clone(), own.account_count), (eur(2100), 4));
        assert_eq!(
            rows(&own),
            vec![
                (k("", "Shipping"), 100, 1, 47_619),
                (k("C", "Manufacturing"), 200, 1, 95_238),
                (k("C10.1", "Robots"), 1500, 1, 714_285),
                (k("C20", "Chemicals"), 300, 1, 142_857),
            ]
        );
        let top = revenue_report(server, None, pb::Tier::Unspecified, grouping(Kind::Industry, 1)).await.unwrap();
        assert_eq!((top.total.clone(), top.account_count), (eur(2100), 4));
        assert_eq!(rows(&top), vec![(k("", "Shipping"), 100, 1, 47_619), (k("C", "Manufacturing"), 2000, 3, 952_380)]);

        let machinery = revenue_report(server, industry_filter("C10"), pb::Tier::Unspecified, None).await.unwrap();
        assert_eq!((machinery.total, machinery.account_count), (eur(1500), 1));

        let acme = Uuid::parse_str(&data.acme).unwrap();
        server
            .execute("UPDATE accounts SET tier = $1 WHERE id = $2", [Value::from("STRATEGIC".to_owned()), Value::from(acme)])
            .await;
        let strategic = revenue_report(server, None, pb::Tier::Strategic, grouping(Kind::Industry, 1)).await.unwrap();
        assert_eq!((strategic.total.clone(), strategic.account_count), (eur(1500), 1));
        assert_eq!(rows(&strategic), vec![(k("C", "Manufacturing"), 1500, 1, 1_000_000)]);
    }

    async fn unknown_segments_and_bad_groupings_are_refused(server: &TestServer) {
        let unknown = industry_filter("ZZ9");
        assert_failed_precondition(&summary(server, unknown.clone(), None).await.unwrap_err(), "SEGMENT_NOT_FOUND");
        assert_failed_precondition(&forecast(server, unknown.clone(), None).await.unwrap_err(), "SEGMENT_NOT_FOUND");
        assert_failed_precondition(&compliance(server, unknown.clone(), None).await.unwrap_err(), "SEGMENT_NOT_FOUND");
        assert_failed_precondition(
            &revenue_report(server, unknown, pb::Tier::Unspecified, None).await.unwrap_err(),
            "SEGMENT_NOT_FOUND",
        );
        let unknown_region = Some(pb::SegmentFilter { industry_code: String::new(), region_code: "NOWHERE".to_owned() });
        assert_failed_precondition(&summary(server, unknown_region, None).await.unwrap_err(), "SEGMENT_NOT_FOUND");

        for depth in [-1, 9] {
            let bad = grouping(Kind::Industry, depth);
            assert_invalid_argument(&summary(server, None, bad).await.unwrap_err(), "group_by.rollup_depth");
            assert_invalid_argument(&forecast(server, None, bad).await.unwrap_err(), "group_by.rollup_depth");
            assert_invalid_argument(&compliance(server, None, bad).await.unwrap_err(), "group_by.rollup_depth");
            assert_invalid_argument(
                &revenue_report(server, None, pb::Tier::Unspecified, bad).await.unwrap_err(),
                "group_by.rollup_depth",
            );
        }
        let unknown_kind = Some(pb::SegmentGrouping { kind: 7, rollup_depth: 0 });
        assert_invalid_argument(&summary(server, None, unknown_kind).await.unwrap_err(), "group_by.kind");
        // Depth 8 is the deepest allowed; grouping by region works the same way (nothing classified).
        let regions = summary(server, None, grouping(Kind::Region, 8)).await.unwrap();
        assert!(regions.segments.is_empty());
    }
}
