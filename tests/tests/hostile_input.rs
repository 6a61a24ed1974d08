//! Hostile and extreme input across services, on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL`
//! is set): every request is answered (INVALID_ARGUMENT naming the field for bad input), never with a
//! panic or INTERNAL, and extreme but valid input is answered the same on both backends.

use chrono::{DateTime, NaiveDate, Utc};
use kam_tests::{
    TestServer, assert_invalid_argument, backend_tests,
    pb::{
        self, integration_service_client::IntegrationServiceClient,
        opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
    },
    pbjson_types::Timestamp,
};

type Opportunities = OpportunityServiceClient<kam_tests::Authed>;

/// `kam.v1.Account` with `display_name` (tag 3) as bytes, so a test can send what is not UTF-8.
#[derive(Clone, PartialEq, prost::Message)]
struct RawAccount {
    #[prost(bytes = "vec", tag = "3")]
    display_name: Vec<u8>,
}

/// `kam.v1.CreateAccountRequest` carrying a [`RawAccount`].
#[derive(Clone, PartialEq, prost::Message)]
struct RawCreateAccountRequest {
    #[prost(message, optional, tag = "1")]
    account: Option<RawAccount>,
}

/// `kam.v1.AccountRecord` with `external_id` (1) and `display_name` (2) as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct RawAccountRecord {
    #[prost(bytes = "vec", tag = "1")]
    external_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    display_name: Vec<u8>,
}

/// `kam.v1.ImportAccountsRequest` carrying [`RawAccountRecord`]s.
#[derive(Clone, PartialEq, prost::Message)]
struct RawImportAccountsRequest {
    #[prost(message, repeated, tag = "1")]
    accounts: Vec<RawAccountRecord>,
}

/// Latin-1 "Müller": not UTF-8.
const NOT_UTF8: &[u8] = b"M\xfcller";

fn timestamp(time: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

fn at(text: &str) -> Timestamp {
    timestamp(text.parse().expect("an RFC 3339 instant"))
}

/// The first instant the API takes (0001-01-01T00:00:00Z) and its last (9999-12-31T23:59:59.999999999Z).
fn first_instant() -> Timestamp {
    at("0001-01-01T00:00:00Z")
}

fn last_instant() -> Timestamp {
    at("9999-12-31T23:59:59.999999999Z")
}

/// Instants chrono can hold but the API refuses: beyond its range on either side, down to chrono's own
/// limits (where a careless `± a day` panics).
fn instants_out_of_range() -> [Timestamp; 4] {
    [
        Timestamp {
            seconds: first_instant().seconds - 1,
            nanos: 999_999_999,
        },
        Timestamp {
            seconds: last_instant().seconds + 1,
            nanos: 0,
        },
        timestamp(DateTime::<Utc>::MIN_UTC),
        timestamp(DateTime::<Utc>::MAX_UTC),
    ]
}

/// The most items a list in a request may hold, unless its field says less (README, API conventions).
const MAX_LIST_ITEMS: usize = 1000;

/// The largest `Money.units` the API takes (common.proto).
const MAX_UNITS: i64 = 1_000_000_000_000_000;

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

fn euros(units: i64) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: "EUR".to_owned(),
        units,
        nanos: 0,
    })
}

/// An opportunity on a new account, with a new owner; `None` fields at their defaults.
async fn deal(server: &TestServer, fields: pb::Opportunity) -> Result<pb::Opportunity, tonic::Status> {
    let account = server.create_account("Hostile Input").await;
    let owner = server.create_staff(pb::StaffLevel::Staff).await;
    OpportunityServiceClient::new(server.channel())
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                account_id: account.id,
                owner_staff_id: owner.id,
                display_name: "Deal".to_owned(),
                ..fields
            }),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn forecast(
    client: &mut Opportunities,
    filter: pb::FunnelFilter,
) -> Result<pb::GetForecastResponse, tonic::Status> {
    client
        .get_forecast(pb::GetForecastRequest {
            filter: Some(filter),
            group_by: None,
        })
        .await
        .map(tonic::Response::into_inner)
}

/// `count` deals on one new account, each of `amount` at 100 %, expected to close in 2027.
async fn deals_of(server: &TestServer, count: usize, amount: Option<pb::Money>) -> Vec<String> {
    let account = server.create_account("Big Spender").await;
    let owner = server.create_staff(pb::StaffLevel::Staff).await;
    let mut client = OpportunityServiceClient::new(server.channel());
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let created = client
            .create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    account_id: account.id.clone(),
                    owner_staff_id: owner.id.clone(),
                    display_name: format!("Deal {i}"),
                    amount: amount.clone(),
                    probability_override: Some(100),
                    expected_close_date: date(2027, 6, 30),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap_or_else(|e| panic!("create deal {i}: {e:?}"))
            .into_inner();
        ids.push(created.id);
    }
    ids
}

/// The EUR amount and weighted amount of the default pipeline's LEAD stage, as (units, nanos) pairs.
async fn lead_euros(server: &TestServer) -> ((i64, i32), (i64, i32)) {
    let summary = OpportunityServiceClient::new(server.channel())
        .get_funnel_summary(pb::GetFunnelSummaryRequest {
            filter: None,
            group_by: None,
        })
        .await
        .unwrap_or_else(|e| panic!("GetFunnelSummary: {e:?}"))
        .into_inner();
    let lead = summary
        .stages
        .iter()
        .find(|s| s.stage == "LEAD")
        .expect("the LEAD stage");
    let euros = |amounts: &[pb::CurrencyAmount]| {
        let amount = amounts
            .iter()
            .find(|a| a.currency_code == "EUR")
            .and_then(|a| a.amount.clone())
            .expect("a EUR sum");
        (amount.units, amount.nanos)
    };
    (euros(&lead.amounts), euros(&lead.weighted_amounts))
}

/// The pipeline total the forecast counts in EUR (0 when none).
fn pipeline_euros(forecast: &pb::GetForecastResponse) -> i64 {
    forecast
        .weighted_pipeline
        .iter()
        .filter(|a| a.currency_code == "EUR")
        .map(|a| a.count)
        .sum()
}

backend_tests! {
    async fn instants_outside_years_1_to_9999_are_invalid_arguments(server: &TestServer) {
        let mut opportunities = OpportunityServiceClient::new(server.channel());
        let mut planning = PlanningServiceClient::new(server.channel());
        for bad in instants_out_of_range() {
            let status = forecast(
                &mut opportunities,
                pb::FunnelFilter { end_time: Some(bad), ..Default::default() },
            )
            .await
            .expect_err("an end time out of range is refused");
            assert_invalid_argument(&status, "filter.end_time");
            let status = forecast(
                &mut opportunities,
                pb::FunnelFilter { start_time: Some(bad), ..Default::default() },
            )
            .await
            .expect_err("a start time out of range is refused");
            assert_invalid_argument(&status, "filter.start_time");
            let status = planning
                .recompute_tiers(pb::RecomputeTiersRequest {
                    as_of: Some(bad),
                    validate_only: true,
                    row_limit: 10,
                    changed_only: false,
                })
                .await
                .expect_err("an as_of out of range is refused");
            assert_invalid_argument(&status, "as_of");
        }
    }

    async fn the_edges_of_the_instant_range_are_answered(server: &TestServer) {
        let mut planning = PlanningServiceClient::new(server.channel());
        for as_of in [first_instant(), last_instant()] {
            planning
                .recompute_tiers(pb::RecomputeTiersRequest {
                    as_of: Some(as_of),
                    validate_only: true,
                    row_limit: 10,
                    changed_only: false,
                })
                .await
                .unwrap_or_else(|e| panic!("RecomputeTiers as of {as_of:?}: {e:?}"));
        }
        let mut opportunities = OpportunityServiceClient::new(server.channel());
        for filter in [
            pb::FunnelFilter { start_time: Some(first_instant()), end_time: Some(last_instant()), ..Default::default() },
            pb::FunnelFilter { start_time: Some(last_instant()), ..Default::default() },
            pb::FunnelFilter { end_time: Some(first_instant()), ..Default::default() },
        ] {
            forecast(&mut opportunities, filter.clone())
                .await
                .unwrap_or_else(|e| panic!("GetForecast {filter:?}: {e:?}"));
            opportunities
                .get_funnel_summary(pb::GetFunnelSummaryRequest { filter: Some(filter.clone()), group_by: None })
                .await
                .unwrap_or_else(|e| panic!("GetFunnelSummary {filter:?}: {e:?}"));
        }
    }

    /// A range open to the API's last instant still finds a deal closing next year: on SQLite dates are
    /// text, and a bound past 9999-12-31 (`+10000-01-01`) would sort before every four-digit year.
    async fn a_forecast_to_the_last_instant_counts_every_deal(server: &TestServer) {
        deal(server, pb::Opportunity {
            amount: euros(1000),
            expected_close_date: date(2027, 6, 30),
            ..Default::default()
        })
        .await
        .expect("create the deal");
        let mut opportunities = OpportunityServiceClient::new(server.channel());
        for end in [last_instant(), at("9999-12-31T00:00:00Z"), at("2027-07-01T00:00:00Z")] {
            let answer = forecast(
                &mut opportunities,
                pb::FunnelFilter { start_time: Some(first_instant()), end_time: Some(end), ..Default::default() },
            )
            .await
            .unwrap_or_else(|e| panic!("GetForecast to {end:?}: {e:?}"));
            assert_eq!(pipeline_euros(&answer), 1, "the deal is in the forecast to {end:?}");
        }
        // The range is half-open: a deal closing on 30 June is not in a range ending at its midnight.
        let answer = forecast(
            &mut opportunities,
            pb::FunnelFilter { end_time: Some(at("2027-06-30T00:00:00Z")), ..Default::default() },
        )
        .await
        .unwrap();
        assert_eq!(pipeline_euros(&answer), 0);
    }

    async fn dates_outside_years_1_to_9999_are_invalid_arguments(server: &TestServer) {
        for (year, month, day) in [(262_142, 1, 1), (10_000, 1, 1), (0, 12, 31), (-1, 1, 1)] {
            let status = deal(server, pb::Opportunity {
                expected_close_date: date(year, month, day),
                ..Default::default()
            })
            .await
            .expect_err("a close date out of range is refused");
            assert_invalid_argument(&status, "opportunity.expected_close_date");
        }
        for (year, month, day) in [(1, 1, 1), (9999, 12, 31)] {
            let created = deal(server, pb::Opportunity {
                expected_close_date: date(year, month, day),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("a close date of {year}-{month}-{day}: {e:?}"));
            assert_eq!(created.expected_close_date, date(year, month, day));
        }
        assert!(NaiveDate::from_ymd_opt(262_142, 1, 1).is_some(), "chrono itself takes the year");
    }

    async fn money_beyond_the_bound_is_an_invalid_argument(server: &TestServer) {
        for units in [MAX_UNITS + 1, -MAX_UNITS - 1, i64::MAX, i64::MIN] {
            let status = deal(server, pb::Opportunity { amount: euros(units), ..Default::default() })
                .await
                .expect_err("an amount beyond the bound is refused");
            assert_invalid_argument(&status, "opportunity.amount.units");
        }
        let created = deal(server, pb::Opportunity { amount: euros(MAX_UNITS), ..Default::default() })
            .await
            .expect("the bound itself is taken");
        assert_eq!(created.amount, euros(MAX_UNITS));
    }

    /// A hundred deals at the bound, weighted at 100 %: 10¹⁷ units, whose weighted sum (units × percent)
    /// is beyond a BIGINT. The sums are exact on both backends.
    async fn analytics_sum_the_largest_amounts_exactly(server: &TestServer) {
        let amount = Some(pb::Money { currency_code: "EUR".to_owned(), units: MAX_UNITS, nanos: 999_999_999 });
        deals_of(server, 100, amount).await;
        let exact = (100 * MAX_UNITS + 99, 999_999_900);
        assert_eq!(lead_euros(server).await, (exact, exact));
        let mut opportunities = OpportunityServiceClient::new(server.channel());
        let answer = forecast(&mut opportunities, pb::FunnelFilter::default())
            .await
            .unwrap_or_else(|e| panic!("GetForecast: {e:?}"));
        let weighted = answer.weighted_pipeline.iter().find(|a| a.currency_code == "EUR").unwrap();
        let weighted = weighted.amount.as_ref().unwrap();
        assert_eq!((weighted.units, weighted.nanos), exact);
        // Tiering weighs every account's open pipeline (in the reporting currency, EUR) the same way.
        PlanningServiceClient::new(server.channel())
            .recompute_tiers(pb::RecomputeTiersRequest {
                as_of: None,
                validate_only: true,
                row_limit: 10,
                changed_only: false,
            })
            .await
            .unwrap_or_else(|e| panic!("RecomputeTiers: {e:?}"));
    }

    /// Amounts stored before the bound (here written straight to the table) still sum: beyond `i64`
    /// units the sum saturates instead of failing every caller's analytics.
    async fn amounts_stored_before_the_bound_do_not_break_analytics(server: &TestServer) {
        let ids = deals_of(server, 2, euros(1)).await;
        for id in &ids {
            let id = uuid::Uuid::parse_str(id).unwrap();
            server
                .execute(
                    "UPDATE opportunities SET amount_units = $1 WHERE id = $2",
                    [i64::MAX.into(), id.into()],
                )
                .await;
        }
        assert_eq!(lead_euros(server).await, ((i64::MAX, 0), (i64::MAX, 0)));
        let mut opportunities = OpportunityServiceClient::new(server.channel());
        forecast(&mut opportunities, pb::FunnelFilter::default())
            .await
            .unwrap_or_else(|e| panic!("GetForecast: {e:?}"));
    }

    /// Revenue stored before the bound sums the same way: the month and the total saturate, and the
    /// ranking (which sums in `i128`) still ranks.
    async fn revenue_stored_before_the_bound_does_not_break_reports(server: &TestServer) {
        let account = server.create_account("Huge Revenue").await;
        let mut planning = PlanningServiceClient::new(server.channel());
        let records = ["INV-1", "INV-2"]
            .map(|id| pb::RevenueRecord {
                external_id: id.to_owned(),
                account_id: account.id.clone(),
                period: Some(pb::Month { year: 2026, month: 4 }),
                amount: euros(1),
                ..Default::default()
            })
            .to_vec();
        planning
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest { records })
            .await
            .expect("upsert revenue");
        server
            .execute("UPDATE revenue_records SET amount_units = $1", [i64::MAX.into()])
            .await;
        let monthly = planning
            .get_monthly_revenue(pb::GetMonthlyRevenueRequest {
                account_id: account.id.clone(),
                from_period: Some(pb::Month { year: 2026, month: 4 }),
                to_period: Some(pb::Month { year: 2026, month: 4 }),
            })
            .await
            .unwrap_or_else(|e| panic!("GetMonthlyRevenue: {e:?}"))
            .into_inner();
        assert_eq!(monthly.months[0].amount.as_ref().map(|m| m.units), Some(i64::MAX));
        assert_eq!(monthly.total.as_ref().map(|m| m.units), Some(i64::MAX));
        planning
            .recompute_tiers(pb::RecomputeTiersRequest {
                as_of: Some(at("2026-05-01T00:00:00Z")),
                validate_only: true,
                row_limit: 10,
                changed_only: false,
            })
            .await
            .unwrap_or_else(|e| panic!("RecomputeTiers: {e:?}"));
    }

    /// Lists longer than a statement can bind (SQLite 32 766, PostgreSQL 65 535) were answered
    /// INTERNAL; every list in a request is bounded, and the bound itself is answered.
    async fn request_lists_longer_than_the_bound_are_invalid_arguments(server: &TestServer) {
        let ids = |n: usize| (0..n).map(|_| uuid::Uuid::now_v7().to_string()).collect::<Vec<_>>();
        let mut teams = server.teams();
        for n in [60_000, MAX_LIST_ITEMS + 1] {
            let status = teams
                .get_workload(pb::GetWorkloadRequest { staff_ids: ids(n) })
                .await
                .expect_err("too many staff ids");
            assert_invalid_argument(&status, "staff_ids");
        }
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        teams
            .get_workload(pb::GetWorkloadRequest { staff_ids: vec![staff.id; MAX_LIST_ITEMS] })
            .await
            .unwrap_or_else(|e| panic!("GetWorkload at the bound: {e:?}"));

        let tiers = |n: usize| vec![pb::Tier::Key as i32; n];
        let compliance = |tiers| pb::GetSlaComplianceReportRequest {
            start_time: Some(at("2026-01-01T00:00:00Z")),
            end_time: Some(at("2027-01-01T00:00:00Z")),
            tiers,
            account_id: String::new(),
            segments: None,
            group_by: None,
        };
        let mut service_levels = ServiceLevelServiceClient::new(server.channel());
        let status = service_levels
            .get_sla_compliance_report(compliance(tiers(40_000)))
            .await
            .expect_err("40 000 tiers");
        assert_invalid_argument(&status, "tiers");
        service_levels
            .get_sla_compliance_report(compliance(tiers(MAX_LIST_ITEMS)))
            .await
            .unwrap_or_else(|e| panic!("GetSlaComplianceReport at the bound: {e:?}"));

        let coverage = |tiers| pb::GetCoverageReportRequest { tiers, gaps_only: false, segments: None };
        let status = teams.get_coverage_report(coverage(tiers(40_000))).await.expect_err("40 000 tiers");
        assert_invalid_argument(&status, "tiers");
        teams
            .get_coverage_report(coverage(tiers(MAX_LIST_ITEMS)))
            .await
            .unwrap_or_else(|e| panic!("GetCoverageReport at the bound: {e:?}"));

        let names = |n: usize| (0..n).map(|i| format!("Type{i}")).collect::<Vec<_>>();
        let mut integration = IntegrationServiceClient::new(server.channel());
        for (event_types, resource_types, field) in [
            (names(40_000), Vec::new(), "event_types"),
            (Vec::new(), names(40_000), "resource_types"),
        ] {
            let status = integration
                .watch_events(pb::WatchEventsRequest { event_types, resource_types, ..Default::default() })
                .await
                .expect_err("40 000 types");
            assert_invalid_argument(&status, field);
        }

        let from = server.create_staff(pb::StaffLevel::Staff).await;
        let to = server.create_staff(pb::StaffLevel::Staff).await;
        let status = teams
            .transfer_responsibilities(pb::TransferResponsibilitiesRequest {
                from_staff_id: from.id,
                to_staff_id: to.id,
                account_ids: ids(40_000),
                reason: "Leaving".to_owned(),
                validate_only: true,
            })
            .await
            .expect_err("40 000 accounts");
        assert_invalid_argument(&status, "account_ids");
    }

    /// prost refuses a `string` field that is not UTF-8 while decoding, and tonic answers a decode
    /// error INTERNAL; the server answers INVALID_ARGUMENT naming the field, for a unary call and for a
    /// message of a stream.
    async fn a_string_that_is_not_utf8_is_an_invalid_argument(server: &TestServer) {
        let mut grpc = tonic::client::Grpc::new(server.channel());
        grpc.ready().await.expect("the channel is ready");
        let status = grpc
            .unary(
                tonic::Request::new(RawCreateAccountRequest {
                    account: Some(RawAccount { display_name: NOT_UTF8.to_vec() }),
                }),
                tonic::codegen::http::uri::PathAndQuery::from_static("/kam.v1.AccountService/CreateAccount"),
                tonic_prost::ProstCodec::<RawCreateAccountRequest, pb::Account>::default(),
            )
            .await
            .expect_err("not UTF-8");
        assert_invalid_argument(&status, "account.display_name");

        grpc.ready().await.expect("the channel is ready");
        let records = vec![RawAccountRecord { external_id: b"A1".to_vec(), display_name: NOT_UTF8.to_vec() }];
        let status = grpc
            .client_streaming(
                tonic::Request::new(tokio_stream::iter([RawImportAccountsRequest { accounts: records }])),
                tonic::codegen::http::uri::PathAndQuery::from_static("/kam.v1.IntegrationService/ImportAccounts"),
                tonic_prost::ProstCodec::<RawImportAccountsRequest, pb::ImportSummary>::default(),
            )
            .await
            .expect_err("not UTF-8");
        assert_invalid_argument(&status, "accounts.display_name");
        assert_eq!(server.query_i64("SELECT COUNT(*) FROM accounts", []).await, 0);
    }
}
