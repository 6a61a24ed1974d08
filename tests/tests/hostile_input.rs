//! Hostile and extreme input across services, on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL`
//! is set): every request is answered (INVALID_ARGUMENT naming the field for bad input), never with a
//! panic or INTERNAL, and extreme but valid input is answered the same on both backends.

use chrono::{DateTime, NaiveDate, Utc};
use kam_tests::{
    TestServer, assert_invalid_argument, backend_tests,
    pb::{
        self, opportunity_service_client::OpportunityServiceClient,
        planning_service_client::PlanningServiceClient,
    },
    pbjson_types::Timestamp,
};

type Opportunities = OpportunityServiceClient<kam_tests::Authed>;

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
        .get_forecast(pb::GetForecastRequest { filter: Some(filter) })
        .await
        .map(tonic::Response::into_inner)
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
                .get_funnel_summary(pb::GetFunnelSummaryRequest { filter: Some(filter.clone()) })
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
}
