//! Known-answer tests of the funnel analytics of `kam.v1.OpportunityService` (GetFunnelSummary,
//! GetConversionReport, GetVelocityReport, GetForecast, ListStalledOpportunities), on SQLite and on
//! PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set).
//!
//! Every test builds the same small, hand-made funnel through the API, then pins every instant the API
//! does not let a client set (stage change times, create, stage enter and close times) to fixed values
//! days apart, so that each report has one exact answer. Every expected figure below was worked out by
//! hand from the tables in this comment and in the tests; none is computed by the logic under test.
//!
//! # The dataset
//!
//! Day `n` is 2025-01-01T00:00:00Z + n days (so day 31 = 2025-02-01, day 59 = 2025-03-01, day 74 =
//! 2025-03-16). Accounts: Acme (STRATEGIC), Beta (KEY), Gamma (STRATEGIC). Owners: S1 and S2.
//!
//! Default pipeline: LEAD 10 % (stall 30 d) → CONTACTED 20 % (21 d) → QUALIFIED 40 % (30 d) → PROPOSAL
//! 60 % (21 d) → NEGOTIATION 80 % (14 d) → WON 100 % / LOST 0 %.
//!
//! ```text
//! deal acct  owner  history (stage@day)                                          current stage
//! A    Acme  S1     LEAD@0 CONTACTED@2 QUALIFIED@5 PROPOSAL@10 NEGOTIATION@20    NEGOTIATION
//! B    Acme  S2     LEAD@1 PROPOSAL@4 (skips two stages)                         PROPOSAL
//! J    Gamma S1     QUALIFIED@2 (created there)                                  QUALIFIED
//! C    Beta  S1     LEAD@3 CONTACTED@6 QUALIFIED@9 NEGOTIATION@14 LOST@30        LOST
//! L    Gamma S2     LEAD@4 PROPOSAL@6 LOST@7, reopened: CONTACTED@9              CONTACTED
//! D    Beta  S2     LEAD@5 LOST@8                                                LOST
//! E    Gamma S1     LEAD@6 CONTACTED@7 QUALIFIED@12 LOST@15, reopened:           WON
//!                   PROPOSAL@18 NEGOTIATION@22 WON@40
//! F    Gamma S2     LEAD@8 CONTACTED@9.5                                         CONTACTED
//! G    Acme  S1     LEAD@10                                                      LEAD
//! K    Beta  S2     LEAD@11                                                      LEAD
//! H    Beta  S1     LEAD@12 CONTACTED@13 QUALIFIED@16 PROPOSAL@20                WON
//!                   NEGOTIATION@25 WON@35
//! I    Acme  S2     LEAD@40 QUALIFIED@45 (skips CONTACTED)                       QUALIFIED
//!
//! deal amount             eff. probability  eff. category      expected_close  in stage
//! A    EUR 1234.50        75 (override)     COMMIT             2025-03-15      20 d
//! B    USD 10000          60                COMMIT (override)  2025-03-10      35 d
//! J    USD 100.123456789  40                PIPELINE           2025-03-16      29 d
//! C    EUR 5000            0                OMITTED            2025-02-15      -
//! L    USD 20             20                PIPELINE           2025-06-30      10 d
//! D    USD 2000            0                OMITTED            -               -
//! E    CNY 88000.88      100                CLOSED             -               -
//! F    (no amount)        20                PIPELINE           2025-02-10      55 d
//! G    EUR 300.25         35 (override)     BEST_CASE (ovr.)   2025-02-06      50 d
//! K    EUR 49.75          10                PIPELINE           2025-02-28       5 d
//! H    USD 750.10        100                CLOSED             2025-02-20      -
//! I    EUR 999.99         40                OMITTED (ovr.)     2025-03-01      70 d
//! ```
//!
//! create_time = the first change, close_time = the closing change (E's first close, at day 15, was
//! undone by the reopen; so was L's at day 7). "In stage" is how long ago (as of the test run, plus
//! three hours) the open deals entered their current stage: ListStalledOpportunities works on "now".
//!
//! A second pipeline, Partner, reuses stage keys on purpose: LEAD 50 % (stall 7 d, PIPELINE) → PITCH
//! 70 % (stall 0, COMMIT) → LOST → WON (the lost stage before the won stage; WON and LOST stall 5 d).
//!
//! ```text
//! P1   Acme  S1  LEAD@0 PITCH@3 WON@9   WON   EUR 4000  100 %  CLOSED    -           entered WON 50 d ago
//! P2   Beta  S2  LEAD@2                 LEAD  USD 500    50 %  PIPELINE  2025-03-01  in stage 9 d
//! ```
//!
//! Its deals must never show in the default pipeline's answers: P1 and P2 would change LEAD, WON and
//! the forecast there if they leaked.

use std::{
    collections::BTreeMap,
    time::{SystemTime, UNIX_EPOCH},
};

use kam_server::opportunities::store::read_model;
use kam_tests::{
    TestServer, assert_error, assert_invalid_argument, backend_tests,
    pb::{self, ForecastCategory, opportunity_service_client::OpportunityServiceClient},
    pbjson_types::{FieldMask, Timestamp},
};
use sea_orm::{Value, prelude::DateTimeUtc};
use tonic::Code;
use uuid::Uuid;

type Opportunities = OpportunityServiceClient<kam_tests::Authed>;

/// The seeded default pipeline.
const DEFAULT_PIPELINE: &str = "00000000-0000-7000-8000-000000000100";

/// 2025-01-01T00:00:00Z, day 0 of the dataset.
const DAY_ZERO: i64 = 1_735_689_600;
const DAY: i64 = 86_400;

// ---------------------------------------------------------------------------------------------------
// Time and money helpers
// ---------------------------------------------------------------------------------------------------

/// Day `day` (whole or half days) in seconds since the epoch.
fn seconds(day: f64) -> i64 {
    DAY_ZERO + (day * DAY as f64) as i64
}

fn instant(day: f64) -> DateTimeUtc {
    DateTimeUtc::from_timestamp(seconds(day), 0).expect("a valid instant")
}

fn timestamp(day: f64) -> Timestamp {
    Timestamp {
        seconds: seconds(day),
        nanos: 0,
    }
}

fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after the epoch")
            .as_secs(),
    )
    .expect("fits")
}

fn uuid(id: &str) -> Value {
    Value::from(Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id:?} is not a uuid: {e}")))
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn money(currency: &str, units: i64, nanos: i32) -> pb::Money {
    pb::Money {
        currency_code: currency.to_owned(),
        units,
        nanos,
    }
}

/// A CurrencyAmount: `count` opportunities summing to `units`.`nanos` of `currency`.
fn sum(currency: &str, count: i64, units: i64, nanos: i32) -> pb::CurrencyAmount {
    pb::CurrencyAmount {
        currency_code: currency.to_owned(),
        count,
        amount: Some(money(currency, units, nanos)),
    }
}

/// Currency order is not part of the contract: compare sorted by currency code.
fn by_currency(mut amounts: Vec<pb::CurrencyAmount>) -> Vec<pb::CurrencyAmount> {
    amounts.sort_by(|a, b| a.currency_code.cmp(&b.currency_code));
    amounts
}

fn filter() -> pb::FunnelFilter {
    pb::FunnelFilter::default()
}

/// `[start_day, end_day)`.
fn range(start_day: f64, end_day: f64) -> pb::FunnelFilter {
    pb::FunnelFilter {
        start_time: Some(timestamp(start_day)),
        end_time: Some(timestamp(end_day)),
        ..filter()
    }
}

// ---------------------------------------------------------------------------------------------------
// The dataset
// ---------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Step {
    /// Created in this stage.
    Create(&'static str),
    Move(&'static str),
    Won,
    Lost,
    Reopen(&'static str),
}

impl Step {
    /// The stage the change goes to.
    fn to_stage(self) -> &'static str {
        match self {
            Step::Create(stage) | Step::Move(stage) | Step::Reopen(stage) => stage,
            Step::Won => "WON",
            Step::Lost => "LOST",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Acct {
    Acme,
    Beta,
    Gamma,
}

struct Spec {
    name: &'static str,
    account: Acct,
    /// 1 or 2.
    owner: u8,
    partner: bool,
    amount: Option<pb::Money>,
    expected_close: Option<(i32, i32, i32)>,
    /// Every stage change with its day; the first creates the opportunity.
    history: &'static [(Step, f64)],
    probability_override: Option<i32>,
    category_override: Option<ForecastCategory>,
    /// Days (plus three hours) before now that the deal entered its current stage.
    days_in_stage: Option<i64>,
}

fn deal(name: &'static str, account: Acct, owner: u8, history: &'static [(Step, f64)]) -> Spec {
    Spec {
        name,
        account,
        owner,
        partner: false,
        amount: None,
        expected_close: None,
        history,
        probability_override: None,
        category_override: None,
        days_in_stage: None,
    }
}

impl Spec {
    fn amount(mut self, currency: &str, units: i64, nanos: i32) -> Self {
        self.amount = Some(money(currency, units, nanos));
        self
    }

    fn closes(mut self, year: i32, month: i32, day: i32) -> Self {
        self.expected_close = Some((year, month, day));
        self
    }

    fn probability(mut self, percent: i32) -> Self {
        self.probability_override = Some(percent);
        self
    }

    fn category(mut self, category: ForecastCategory) -> Self {
        self.category_override = Some(category);
        self
    }

    fn in_stage_for(mut self, days: i64) -> Self {
        self.days_in_stage = Some(days);
        self
    }

    fn partner(mut self) -> Self {
        self.partner = true;
        self
    }
}

/// The table of the module comment.
fn specs() -> Vec<Spec> {
    use Acct::*;
    use Step::*;
    vec![
        deal(
            "A",
            Acme,
            1,
            &[
                (Create("LEAD"), 0.0),
                (Move("CONTACTED"), 2.0),
                (Move("QUALIFIED"), 5.0),
                (Move("PROPOSAL"), 10.0),
                (Move("NEGOTIATION"), 20.0),
            ],
        )
        .amount("EUR", 1234, 500_000_000)
        .closes(2025, 3, 15)
        .probability(75)
        .in_stage_for(20),
        deal("B", Acme, 2, &[(Create("LEAD"), 1.0), (Move("PROPOSAL"), 4.0)])
            .amount("USD", 10_000, 0)
            .closes(2025, 3, 10)
            .category(ForecastCategory::Commit)
            .in_stage_for(35),
        deal("J", Gamma, 1, &[(Create("QUALIFIED"), 2.0)])
            .amount("USD", 100, 123_456_789)
            .closes(2025, 3, 16)
            .in_stage_for(29),
        deal(
            "C",
            Beta,
            1,
            &[
                (Create("LEAD"), 3.0),
                (Move("CONTACTED"), 6.0),
                (Move("QUALIFIED"), 9.0),
                (Move("NEGOTIATION"), 14.0),
                (Lost, 30.0),
            ],
        )
        .amount("EUR", 5000, 0)
        .closes(2025, 2, 15),
        deal(
            "L",
            Gamma,
            2,
            &[
                (Create("LEAD"), 4.0),
                (Move("PROPOSAL"), 6.0),
                (Lost, 7.0),
                (Reopen("CONTACTED"), 9.0),
            ],
        )
        .amount("USD", 20, 0)
        .closes(2025, 6, 30)
        .in_stage_for(10),
        deal("D", Beta, 2, &[(Create("LEAD"), 5.0), (Lost, 8.0)]).amount("USD", 2000, 0),
        deal(
            "E",
            Gamma,
            1,
            &[
                (Create("LEAD"), 6.0),
                (Move("CONTACTED"), 7.0),
                (Move("QUALIFIED"), 12.0),
                (Lost, 15.0),
                (Reopen("PROPOSAL"), 18.0),
                (Move("NEGOTIATION"), 22.0),
                (Won, 40.0),
            ],
        )
        .amount("CNY", 88_000, 880_000_000),
        deal("F", Gamma, 2, &[(Create("LEAD"), 8.0), (Move("CONTACTED"), 9.5)])
            .closes(2025, 2, 10)
            .in_stage_for(55),
        deal("G", Acme, 1, &[(Create("LEAD"), 10.0)])
            .amount("EUR", 300, 250_000_000)
            .closes(2025, 2, 6)
            .probability(35)
            .category(ForecastCategory::BestCase)
            .in_stage_for(50),
        deal("K", Beta, 2, &[(Create("LEAD"), 11.0)])
            .amount("EUR", 49, 750_000_000)
            .closes(2025, 2, 28)
            .in_stage_for(5),
        deal(
            "H",
            Beta,
            1,
            &[
                (Create("LEAD"), 12.0),
                (Move("CONTACTED"), 13.0),
                (Move("QUALIFIED"), 16.0),
                (Move("PROPOSAL"), 20.0),
                (Move("NEGOTIATION"), 25.0),
                (Won, 35.0),
            ],
        )
        .amount("USD", 750, 100_000_000)
        .closes(2025, 2, 20),
        deal("I", Acme, 2, &[(Create("LEAD"), 40.0), (Move("QUALIFIED"), 45.0)])
            .amount("EUR", 999, 990_000_000)
            .closes(2025, 3, 1)
            .category(ForecastCategory::Omitted)
            .in_stage_for(70),
        deal(
            "P1",
            Acme,
            1,
            &[(Create("LEAD"), 0.0), (Move("PITCH"), 3.0), (Won, 9.0)],
        )
        .partner()
        .amount("EUR", 4000, 0)
        .in_stage_for(50),
        deal("P2", Beta, 2, &[(Create("LEAD"), 2.0)])
            .partner()
            .amount("USD", 500, 0)
            .closes(2025, 3, 1)
            .in_stage_for(9),
    ]
}

/// The built dataset: ids by name.
struct Funnel {
    acme: String,
    beta: String,
    s1: String,
    s2: String,
    partner: String,
    ids: BTreeMap<&'static str, String>,
}

impl Funnel {
    /// The deal name of an opportunity id.
    fn name(&self, id: &str) -> &'static str {
        self.ids
            .iter()
            .find(|(_, known)| known.as_str() == id)
            .map(|(name, _)| *name)
            .unwrap_or_else(|| panic!("opportunity {id} is not in the dataset"))
    }
}

fn stage_def(
    key: &str,
    probability: i32,
    category: ForecastCategory,
    stall_after_days: i32,
    closed_won: bool,
    closed_lost: bool,
) -> pb::PipelineStage {
    pb::PipelineStage {
        key: key.to_owned(),
        display_name: key.to_lowercase(),
        probability,
        forecast_category: category as i32,
        stall_after_days,
        closed_won,
        closed_lost,
    }
}

async fn account_of_tier(server: &TestServer, display_name: &str, tier: &str) -> String {
    let id = server
        .accounts()
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: display_name.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create account")
        .into_inner()
        .id;
    let touched = server
        .execute(
            "UPDATE accounts SET tier = $1 WHERE id = $2",
            [Value::from(tier.to_owned()), uuid(&id)],
        )
        .await;
    assert_eq!(touched, 1, "set the tier of {display_name}");
    id
}

/// Builds the dataset of the module comment through the API, then pins its times.
async fn build(server: &TestServer) -> Funnel {
    let acme = account_of_tier(server, "Acme", "STRATEGIC").await;
    let beta = account_of_tier(server, "Beta", "KEY").await;
    let gamma = account_of_tier(server, "Gamma", "STRATEGIC").await;
    let s1 = server.create_staff(pb::StaffLevel::Staff).await.id;
    let s2 = server.create_staff(pb::StaffLevel::Staff).await.id;
    let mut client = Opportunities::new(server.channel());

    use ForecastCategory::*;
    let partner = client
        .create_pipeline(pb::CreatePipelineRequest {
            pipeline: Some(pb::Pipeline {
                display_name: "Partner".to_owned(),
                stages: vec![
                    stage_def("LEAD", 50, Pipeline, 7, false, false),
                    stage_def("PITCH", 70, Commit, 0, false, false),
                    stage_def("LOST", 0, Omitted, 5, false, true),
                    stage_def("WON", 100, Closed, 5, true, false),
                ],
                qualification_stage_key: String::new(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create the Partner pipeline")
        .into_inner()
        .id;

    let now = unix_now();
    let mut ids = BTreeMap::new();
    for spec in specs() {
        let account = match spec.account {
            Acct::Acme => &acme,
            Acct::Beta => &beta,
            Acct::Gamma => &gamma,
        };
        let owner = if spec.owner == 1 { &s1 } else { &s2 };
        let Step::Create(first_stage) = spec.history[0].0 else {
            panic!("{}: the history starts with the creation", spec.name);
        };
        let created = client
            .create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    account_id: account.clone(),
                    pipeline_id: if spec.partner {
                        partner.clone()
                    } else {
                        String::new()
                    },
                    stage: first_stage.to_owned(),
                    display_name: format!("Deal {}", spec.name),
                    amount: spec.amount.clone(),
                    expected_close_date: spec.expected_close.map(|(year, month, day)| pb::Date {
                        year,
                        month,
                        day,
                    }),
                    owner_staff_id: owner.clone(),
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
            .unwrap_or_else(|e| panic!("create {}: {e:?}", spec.name))
            .into_inner();
        let id = created.id;
        for (step, _) in &spec.history[1..] {
            let outcome = match step {
                Step::Create(_) => panic!("{}: only the first step creates", spec.name),
                Step::Move(stage) => client
                    .move_opportunity_stage(pb::MoveOpportunityStageRequest {
                        id: id.clone(),
                        stage: (*stage).to_owned(),
                        ..Default::default()
                    })
                    .await
                    .map(drop),
                Step::Won | Step::Lost => client
                    .close_opportunity(pb::CloseOpportunityRequest {
                        id: id.clone(),
                        outcome: if matches!(step, Step::Won) {
                            pb::Outcome::Won
                        } else {
                            pb::Outcome::Lost
                        } as i32,
                        reason_code: "PRICE".to_owned(),
                        ..Default::default()
                    })
                    .await
                    .map(drop),
                Step::Reopen(stage) => client
                    .reopen_opportunity(pb::ReopenOpportunityRequest {
                        id: id.clone(),
                        stage: (*stage).to_owned(),
                        reason: "The buyer came back".to_owned(),
                        etag: String::new(),
                    })
                    .await
                    .map(drop),
            };
            outcome.unwrap_or_else(|e| panic!("{} {step:?}: {e:?}", spec.name));
        }
        // Overrides last: a stage change clears them.
        let mut paths = Vec::new();
        let mut update = pb::Opportunity {
            id: id.clone(),
            ..Default::default()
        };
        if let Some(percent) = spec.probability_override {
            update.probability_override = Some(percent);
            paths.push("probability_override");
        }
        if let Some(category) = spec.category_override {
            update.forecast_category_override = category as i32;
            paths.push("forecast_category_override");
        }
        if !paths.is_empty() {
            client
                .update_opportunity(pb::UpdateOpportunityRequest {
                    opportunity: Some(update),
                    update_mask: mask(&paths),
                })
                .await
                .unwrap_or_else(|e| panic!("override on {}: {e:?}", spec.name));
        }

        pin_times(server, &mut client, &spec, &id, now).await;
        ids.insert(spec.name, id);
    }
    Funnel {
        acme,
        beta,
        s1,
        s2,
        partner,
        ids,
    }
}

/// Rewrites the change times of `id`'s history, its create, stage enter and close times to the days
/// of `spec`.
async fn pin_times(server: &TestServer, client: &mut Opportunities, spec: &Spec, id: &str, now: i64) {
    let changes = client
        .list_stage_history(pb::ListStageHistoryRequest {
            opportunity_id: id.to_owned(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .expect("list the stage history")
        .into_inner()
        .changes;
    let recorded: Vec<&str> = changes.iter().map(|c| c.to_stage.as_str()).collect();
    let planned: Vec<&str> = spec.history.iter().map(|(step, _)| step.to_stage()).collect();
    assert_eq!(recorded, planned, "the stage history of {}", spec.name);
    for (change, (_, day)) in changes.iter().zip(spec.history) {
        let touched = server
            .execute(
                "UPDATE opportunity_stage_changes SET change_time = $1 WHERE id = $2",
                [Value::from(instant(*day)), uuid(&change.id)],
            )
            .await;
        assert_eq!(touched, 1);
    }
    let (first, last) = (spec.history[0], spec.history[spec.history.len() - 1]);
    let entered = match spec.days_in_stage {
        Some(days) => DateTimeUtc::from_timestamp(now - days * DAY - 3 * 3600, 0).expect("valid"),
        None => instant(last.1),
    };
    let touched = server
        .execute(
            "UPDATE opportunities SET create_time = $1, stage_enter_time = $2 WHERE id = $3",
            [Value::from(instant(first.1)), Value::from(entered), uuid(id)],
        )
        .await;
    assert_eq!(touched, 1);
    if matches!(last.0, Step::Won | Step::Lost) {
        let touched = server
            .execute(
                "UPDATE opportunities SET close_time = $1 WHERE id = $2",
                [Value::from(instant(last.1)), uuid(id)],
            )
            .await;
        assert_eq!(touched, 1);
    }
    // The stays and the furthest stage follow the history the server wrote; rewritten change times
    // must reach them too, as an operator's repair would.
    let db = server.db().await;
    let id = Uuid::parse_str(id).expect("an opportunity id");
    read_model::rebuild(&db, Some(id))
        .await
        .expect("rebuild the funnel's read model");
    let _ = db.close().await;
}

// ---------------------------------------------------------------------------------------------------
// Calls and expectations
// ---------------------------------------------------------------------------------------------------

fn stage(
    key: &str,
    count: i64,
    amounts: Vec<pb::CurrencyAmount>,
    weighted_amounts: Vec<pb::CurrencyAmount>,
) -> pb::StageSummary {
    pb::StageSummary {
        stage: key.to_owned(),
        count,
        amounts,
        weighted_amounts,
    }
}

fn empty(key: &str) -> pb::StageSummary {
    stage(key, 0, vec![], vec![])
}

async fn summary(client: &mut Opportunities, filter: pb::FunnelFilter) -> pb::GetFunnelSummaryResponse {
    let mut answer = client
        .get_funnel_summary(pb::GetFunnelSummaryRequest {
            filter: Some(filter.clone()),
            group_by: None,
        })
        .await
        .unwrap_or_else(|e| panic!("GetFunnelSummary {filter:?}: {e:?}"))
        .into_inner();
    for stage in &mut answer.stages {
        stage.amounts = by_currency(std::mem::take(&mut stage.amounts));
        stage.weighted_amounts = by_currency(std::mem::take(&mut stage.weighted_amounts));
    }
    answer
}

fn summary_of(pipeline_id: &str, stages: Vec<pb::StageSummary>) -> pb::GetFunnelSummaryResponse {
    pb::GetFunnelSummaryResponse {
        pipeline_id: pipeline_id.to_owned(),
        stages,
        segments: Vec::new(),
    }
}

fn conversion(stage: &str, reached: i64, reached_next: i64, conversion_rate: f64) -> pb::StageConversion {
    pb::StageConversion {
        stage: stage.to_owned(),
        reached,
        reached_next,
        conversion_rate,
    }
}

async fn conversion_report(
    client: &mut Opportunities,
    filter: pb::FunnelFilter,
) -> pb::GetConversionReportResponse {
    client
        .get_conversion_report(pb::GetConversionReportRequest {
            filter: Some(filter.clone()),
        })
        .await
        .unwrap_or_else(|e| panic!("GetConversionReport {filter:?}: {e:?}"))
        .into_inner()
}

fn velocity(stage: &str, stays: i64, mean_days: f64, median_days: f64) -> pb::StageVelocity {
    pb::StageVelocity {
        stage: stage.to_owned(),
        stays,
        mean_days,
        median_days,
    }
}

async fn velocity_report(
    client: &mut Opportunities,
    filter: pb::FunnelFilter,
) -> pb::GetVelocityReportResponse {
    client
        .get_velocity_report(pb::GetVelocityReportRequest {
            filter: Some(filter.clone()),
        })
        .await
        .unwrap_or_else(|e| panic!("GetVelocityReport {filter:?}: {e:?}"))
        .into_inner()
}

fn category(category: ForecastCategory, amounts: Vec<pb::CurrencyAmount>) -> pb::ForecastCategorySum {
    pb::ForecastCategorySum {
        category: category as i32,
        amounts,
    }
}

async fn forecast(client: &mut Opportunities, filter: pb::FunnelFilter) -> pb::GetForecastResponse {
    let mut answer = client
        .get_forecast(pb::GetForecastRequest {
            filter: Some(filter.clone()),
            group_by: None,
        })
        .await
        .unwrap_or_else(|e| panic!("GetForecast {filter:?}: {e:?}"))
        .into_inner();
    for sum in &mut answer.categories {
        sum.amounts = by_currency(std::mem::take(&mut sum.amounts));
    }
    answer.weighted_pipeline = by_currency(std::mem::take(&mut answer.weighted_pipeline));
    answer.closed_won = by_currency(std::mem::take(&mut answer.closed_won));
    answer
}

/// Every stalled deal, `page_size` at a time: (deal, stage, days_in_stage, stall_after_days) per page.
async fn stalled_pages(
    client: &mut Opportunities,
    funnel: &Funnel,
    filter: pb::FunnelFilter,
    page_size: i32,
) -> Vec<Vec<(&'static str, String, i64, i32)>> {
    let mut pages = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_stalled_opportunities(pb::ListStalledOpportunitiesRequest {
                filter: Some(filter.clone()),
                page_size,
                page_token: page_token.clone(),
            })
            .await
            .unwrap_or_else(|e| panic!("ListStalledOpportunities {filter:?}: {e:?}"))
            .into_inner();
        pages.push(
            page.opportunities
                .into_iter()
                .map(|s| {
                    let opportunity = s.opportunity.expect("a stalled entry carries its opportunity");
                    (
                        funnel.name(&opportunity.id),
                        opportunity.stage,
                        s.days_in_stage,
                        s.stall_after_days,
                    )
                })
                .collect(),
        );
        if page.next_page_token.is_empty() {
            return pages;
        }
        assert!(pages.len() < 20, "ListStalledOpportunities does not end");
        page_token = page.next_page_token;
    }
}

fn stalled(
    name: &'static str,
    stage: &str,
    days: i64,
    stall_after_days: i32,
) -> (&'static str, String, i64, i32) {
    (name, stage.to_owned(), days, stall_after_days)
}

// ---------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------

backend_tests! {
    async fn funnel_summary_counts_and_sums_every_stage(server: &TestServer) {
        let funnel = build(server).await;
        let mut client = Opportunities::new(server.channel());

        // No filter: the default pipeline, every deal by its current stage.
        //   LEAD        G, K   EUR 300.25 + 49.75 = 350.00
        //                      weighted 300.25 × 35 % = 105.0875 (override) + 49.75 × 10 % = 4.975 → 110.0625
        //   CONTACTED   F, L   F has no amount: USD 20 (L) only; weighted 20 × 20 % = 4
        //   QUALIFIED   J, I   EUR 999.99 → × 40 % = 399.996; USD 100.123456789 → × 40 % = 40.0493827156
        //                      → 40.049382716 (to the nano)
        //   PROPOSAL    B      USD 10000 → × 60 % = 6000
        //   NEGOTIATION A      EUR 1234.50 → × 75 % (override) = 925.875
        //   WON         E, H   CNY 88000.88, USD 750.10 (× 100 %)
        //   LOST        C, D   EUR 5000, USD 2000; weighted × 0 % = 0 each
        // P1 (EUR 4000, WON) and P2 (USD 500, LEAD) of the Partner pipeline stay out.
        assert_eq!(
            summary(&mut client, filter()).await,
            summary_of(
                DEFAULT_PIPELINE,
                vec![
                    stage("LEAD", 2, vec![sum("EUR", 2, 350, 0)], vec![sum("EUR", 2, 110, 62_500_000)]),
                    stage("CONTACTED", 2, vec![sum("USD", 1, 20, 0)], vec![sum("USD", 1, 4, 0)]),
                    stage(
                        "QUALIFIED",
                        2,
                        vec![sum("EUR", 1, 999, 990_000_000), sum("USD", 1, 100, 123_456_789)],
                        vec![sum("EUR", 1, 399, 996_000_000), sum("USD", 1, 40, 49_382_716)],
                    ),
                    stage("PROPOSAL", 1, vec![sum("USD", 1, 10_000, 0)], vec![sum("USD", 1, 6000, 0)]),
                    stage(
                        "NEGOTIATION",
                        1,
                        vec![sum("EUR", 1, 1234, 500_000_000)],
                        vec![sum("EUR", 1, 925, 875_000_000)],
                    ),
                    stage(
                        "WON",
                        2,
                        vec![sum("CNY", 1, 88_000, 880_000_000), sum("USD", 1, 750, 100_000_000)],
                        vec![sum("CNY", 1, 88_000, 880_000_000), sum("USD", 1, 750, 100_000_000)],
                    ),
                    stage(
                        "LOST",
                        2,
                        vec![sum("EUR", 1, 5000, 0), sum("USD", 1, 2000, 0)],
                        vec![sum("EUR", 1, 0, 0), sum("USD", 1, 0, 0)],
                    ),
                ],
            ),
            "the whole default pipeline"
        );

        // create_time in [day 0, day 10): A@0 B@1 J@2 C@3 L@4 D@5 E@6 F@8; G (day 10: the end is
        // exclusive), K@11, H@12, I@40 are out. LEAD is left with no deal.
        assert_eq!(
            summary(&mut client, range(0.0, 10.0)).await,
            summary_of(
                DEFAULT_PIPELINE,
                vec![
                    empty("LEAD"),
                    stage("CONTACTED", 2, vec![sum("USD", 1, 20, 0)], vec![sum("USD", 1, 4, 0)]),
                    stage(
                        "QUALIFIED",
                        1,
                        vec![sum("USD", 1, 100, 123_456_789)],
                        vec![sum("USD", 1, 40, 49_382_716)],
                    ),
                    stage("PROPOSAL", 1, vec![sum("USD", 1, 10_000, 0)], vec![sum("USD", 1, 6000, 0)]),
                    stage(
                        "NEGOTIATION",
                        1,
                        vec![sum("EUR", 1, 1234, 500_000_000)],
                        vec![sum("EUR", 1, 925, 875_000_000)],
                    ),
                    stage(
                        "WON",
                        1,
                        vec![sum("CNY", 1, 88_000, 880_000_000)],
                        vec![sum("CNY", 1, 88_000, 880_000_000)],
                    ),
                    stage(
                        "LOST",
                        2,
                        vec![sum("EUR", 1, 5000, 0), sum("USD", 1, 2000, 0)],
                        vec![sum("EUR", 1, 0, 0), sum("USD", 1, 0, 0)],
                    ),
                ],
            ),
            "created in [day 0, day 10)"
        );

        // Owner S1: A (NEGOTIATION), C (LOST), E (WON), G (LEAD), H (WON), J (QUALIFIED).
        assert_eq!(
            summary(
                &mut client,
                pb::FunnelFilter {
                    owner_staff_id: funnel.s1.clone(),
                    ..filter()
                }
            )
            .await,
            summary_of(
                DEFAULT_PIPELINE,
                vec![
                    stage(
                        "LEAD",
                        1,
                        vec![sum("EUR", 1, 300, 250_000_000)],
                        vec![sum("EUR", 1, 105, 87_500_000)],
                    ),
                    empty("CONTACTED"),
                    stage(
                        "QUALIFIED",
                        1,
                        vec![sum("USD", 1, 100, 123_456_789)],
                        vec![sum("USD", 1, 40, 49_382_716)],
                    ),
                    empty("PROPOSAL"),
                    stage(
                        "NEGOTIATION",
                        1,
                        vec![sum("EUR", 1, 1234, 500_000_000)],
                        vec![sum("EUR", 1, 925, 875_000_000)],
                    ),
                    stage(
                        "WON",
                        2,
                        vec![sum("CNY", 1, 88_000, 880_000_000), sum("USD", 1, 750, 100_000_000)],
                        vec![sum("CNY", 1, 88_000, 880_000_000), sum("USD", 1, 750, 100_000_000)],
                    ),
                    stage("LOST", 1, vec![sum("EUR", 1, 5000, 0)], vec![sum("EUR", 1, 0, 0)]),
                ],
            ),
            "owner S1"
        );

        // Account Beta: C (LOST EUR 5000), D (LOST USD 2000), H (WON USD 750.10), K (LEAD EUR 49.75 →
        // × 10 % = 4.975).
        assert_eq!(
            summary(
                &mut client,
                pb::FunnelFilter {
                    account_id: funnel.beta.clone(),
                    ..filter()
                }
            )
            .await,
            summary_of(
                DEFAULT_PIPELINE,
                vec![
                    stage(
                        "LEAD",
                        1,
                        vec![sum("EUR", 1, 49, 750_000_000)],
                        vec![sum("EUR", 1, 4, 975_000_000)],
                    ),
                    empty("CONTACTED"),
                    empty("QUALIFIED"),
                    empty("PROPOSAL"),
                    empty("NEGOTIATION"),
                    stage(
                        "WON",
                        1,
                        vec![sum("USD", 1, 750, 100_000_000)],
                        vec![sum("USD", 1, 750, 100_000_000)],
                    ),
                    stage(
                        "LOST",
                        2,
                        vec![sum("EUR", 1, 5000, 0), sum("USD", 1, 2000, 0)],
                        vec![sum("EUR", 1, 0, 0), sum("USD", 1, 0, 0)],
                    ),
                ],
            ),
            "account Beta"
        );

        // Tier STRATEGIC: Acme (A, B, G, I) and Gamma (E, F, J, L); Beta's deals (KEY) are out.
        assert_eq!(
            summary(
                &mut client,
                pb::FunnelFilter {
                    tier: pb::Tier::Strategic as i32,
                    ..filter()
                }
            )
            .await,
            summary_of(
                DEFAULT_PIPELINE,
                vec![
                    stage(
                        "LEAD",
                        1,
                        vec![sum("EUR", 1, 300, 250_000_000)],
                        vec![sum("EUR", 1, 105, 87_500_000)],
                    ),
                    stage("CONTACTED", 2, vec![sum("USD", 1, 20, 0)], vec![sum("USD", 1, 4, 0)]),
                    stage(
                        "QUALIFIED",
                        2,
                        vec![sum("EUR", 1, 999, 990_000_000), sum("USD", 1, 100, 123_456_789)],
                        vec![sum("EUR", 1, 399, 996_000_000), sum("USD", 1, 40, 49_382_716)],
                    ),
                    stage("PROPOSAL", 1, vec![sum("USD", 1, 10_000, 0)], vec![sum("USD", 1, 6000, 0)]),
                    stage(
                        "NEGOTIATION",
                        1,
                        vec![sum("EUR", 1, 1234, 500_000_000)],
                        vec![sum("EUR", 1, 925, 875_000_000)],
                    ),
                    stage(
                        "WON",
                        1,
                        vec![sum("CNY", 1, 88_000, 880_000_000)],
                        vec![sum("CNY", 1, 88_000, 880_000_000)],
                    ),
                    empty("LOST"),
                ],
            ),
            "tier STRATEGIC"
        );

        // Tier GROWTH: no account has it, every stage is empty.
        assert_eq!(
            summary(
                &mut client,
                pb::FunnelFilter {
                    tier: pb::Tier::Growth as i32,
                    ..filter()
                }
            )
            .await,
            summary_of(
                DEFAULT_PIPELINE,
                ["LEAD", "CONTACTED", "QUALIFIED", "PROPOSAL", "NEGOTIATION", "WON", "LOST"]
                    .into_iter()
                    .map(empty)
                    .collect(),
            ),
            "tier GROWTH"
        );

        // The Partner pipeline, its stages in its own order (LOST before WON): P2 in LEAD (USD 500 ×
        // 50 % = 250), P1 won (EUR 4000). None of the default pipeline's LEAD/WON/LOST deals leak in.
        assert_eq!(
            summary(
                &mut client,
                pb::FunnelFilter {
                    pipeline_id: funnel.partner.clone(),
                    ..filter()
                }
            )
            .await,
            summary_of(
                &funnel.partner,
                vec![
                    stage("LEAD", 1, vec![sum("USD", 1, 500, 0)], vec![sum("USD", 1, 250, 0)]),
                    empty("PITCH"),
                    empty("LOST"),
                    stage("WON", 1, vec![sum("EUR", 1, 4000, 0)], vec![sum("EUR", 1, 4000, 0)]),
                ],
            ),
            "the Partner pipeline"
        );
    }

    async fn conversion_report_counts_every_stage_reached(server: &TestServer) {
        let funnel = build(server).await;
        let mut client = Opportunities::new(server.channel());

        // Furthest stage each deal's history reached, the LOST stage not counted:
        //   A NEGOTIATION   B PROPOSAL (skipped CONTACTED, QUALIFIED)   J QUALIFIED (created there)
        //   C NEGOTIATION (then lost: not WON; skipped PROPOSAL)   L PROPOSAL (lost, reopened back in
        //   CONTACTED: still reached PROPOSAL)   D LEAD (lost from LEAD)   E WON (lost, reopened, won)
        //   F CONTACTED   G LEAD   K LEAD   H WON   I QUALIFIED (skipped CONTACTED)
        // Whole cohort (12 deals):
        //   reached(LEAD)        = 12  all
        //   reached(CONTACTED)   =  9  A B J C L E F H I
        //   reached(QUALIFIED)   =  8  A B J C L E H I
        //   reached(PROPOSAL)    =  6  A B C L E H
        //   reached(NEGOTIATION) =  4  A C E H
        //   reached(WON)         =  2  E H
        // Closed: won E, H; lost C, D (L and E's losses were undone by the reopen) → 2 / 4 = 0.5.
        assert_eq!(
            conversion_report(&mut client, filter()).await,
            pb::GetConversionReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    conversion("LEAD", 12, 9, 0.75),
                    conversion("CONTACTED", 9, 8, 8.0 / 9.0),
                    conversion("QUALIFIED", 8, 6, 0.75),
                    conversion("PROPOSAL", 6, 4, 4.0 / 6.0),
                    conversion("NEGOTIATION", 4, 2, 0.5),
                    conversion("WON", 2, 0, 0.0),
                ],
                won: 2,
                lost: 2,
                win_rate: 0.5,
            },
            "the whole cohort"
        );

        // Cohort created in [day 0, day 10): A B J C L D E F (8).
        //   reached(LEAD) 8; CONTACTED 7 (not D); QUALIFIED 6 (not D, F); PROPOSAL 5 (A B C L E);
        //   NEGOTIATION 3 (A C E); WON 1 (E).
        // Closed in [day 0, day 10): D lost at day 8 (L's loss at day 7 was reopened) → 0 won, 1 lost, 0.
        assert_eq!(
            conversion_report(&mut client, range(0.0, 10.0)).await,
            pb::GetConversionReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    conversion("LEAD", 8, 7, 0.875),
                    conversion("CONTACTED", 7, 6, 6.0 / 7.0),
                    conversion("QUALIFIED", 6, 5, 5.0 / 6.0),
                    conversion("PROPOSAL", 5, 3, 0.6),
                    conversion("NEGOTIATION", 3, 1, 1.0 / 3.0),
                    conversion("WON", 1, 0, 0.0),
                ],
                won: 0,
                lost: 1,
                win_rate: 0.0,
            },
            "the cohort created in [day 0, day 10)"
        );

        // Cohort created in [day 10, day 36): G@10, K@11 (both LEAD only), H@12 (won).
        //   reached(LEAD) 3; every later stage 1 (H).
        // Closed in [day 10, day 36): C lost at 30, H won at 35 (E's loss at 15 was reopened; E's win at
        // 40 is out) → 1 won, 1 lost, 0.5.
        assert_eq!(
            conversion_report(&mut client, range(10.0, 36.0)).await,
            pb::GetConversionReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    conversion("LEAD", 3, 1, 1.0 / 3.0),
                    conversion("CONTACTED", 1, 1, 1.0),
                    conversion("QUALIFIED", 1, 1, 1.0),
                    conversion("PROPOSAL", 1, 1, 1.0),
                    conversion("NEGOTIATION", 1, 1, 1.0),
                    conversion("WON", 1, 0, 0.0),
                ],
                won: 1,
                lost: 1,
                win_rate: 0.5,
            },
            "the cohort created in [day 10, day 36)"
        );

        // Owner S1: A (NEGOTIATION), J (QUALIFIED), C (NEGOTIATION, lost), E (WON), G (LEAD), H (WON).
        //   reached LEAD 6; CONTACTED 5 (not G); QUALIFIED 5; PROPOSAL 4 (A C E H); NEGOTIATION 4;
        //   WON 2 (E H). Closed: E, H won; C lost → 2 / 3.
        assert_eq!(
            conversion_report(
                &mut client,
                pb::FunnelFilter {
                    owner_staff_id: funnel.s1.clone(),
                    ..filter()
                }
            )
            .await,
            pb::GetConversionReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    conversion("LEAD", 6, 5, 5.0 / 6.0),
                    conversion("CONTACTED", 5, 5, 1.0),
                    conversion("QUALIFIED", 5, 4, 0.8),
                    conversion("PROPOSAL", 4, 4, 1.0),
                    conversion("NEGOTIATION", 4, 2, 0.5),
                    conversion("WON", 2, 0, 0.0),
                ],
                won: 2,
                lost: 1,
                win_rate: 2.0 / 3.0,
            },
            "owner S1"
        );

        // The Partner pipeline (LEAD, PITCH, then LOST before WON): P1 reached LEAD, PITCH and WON; P2
        // LEAD only. The open stages, then the won stage:
        //   reached(LEAD) 2, reached(PITCH) 1, reached(WON) 1. Closed: P1 won → 1 / 1.
        assert_eq!(
            conversion_report(
                &mut client,
                pb::FunnelFilter {
                    pipeline_id: funnel.partner.clone(),
                    ..filter()
                }
            )
            .await,
            pb::GetConversionReportResponse {
                pipeline_id: funnel.partner.clone(),
                stages: vec![
                    conversion("LEAD", 2, 1, 0.5),
                    conversion("PITCH", 1, 1, 1.0),
                    conversion("WON", 1, 0, 0.0),
                ],
                won: 1,
                lost: 0,
                win_rate: 1.0,
            },
            "the Partner pipeline"
        );
    }

    async fn velocity_report_measures_completed_stays(server: &TestServer) {
        let funnel = build(server).await;
        let mut client = Opportunities::new(server.channel());

        // Completed stays (entered → left = days), open stages only (L's and E's LOST stays, and every
        // deal's current stage, do not count):
        //   LEAD        A 0→2 = 2   B 1→4 = 3   C 3→6 = 3   L 4→6 = 2   D 5→8 = 3   E 6→7 = 1
        //               F 8→9.5 = 1.5   H 12→13 = 1   I 40→45 = 5
        //   CONTACTED   A 2→5 = 3   C 6→9 = 3   E 7→12 = 5   H 13→16 = 3
        //   QUALIFIED   A 5→10 = 5  C 9→14 = 5  E 12→15 = 3  H 16→20 = 4
        //   PROPOSAL    A 10→20 = 10  L 6→7 = 1  E 18→22 = 4  H 20→25 = 5
        //   NEGOTIATION C 14→30 = 16  E 22→40 = 18  H 25→35 = 10
        // Won: E created 6, won 40 → 34 days; H created 12, won 35 → 23 days.
        //
        // No range:
        //   LEAD        9 stays, sorted 1 1 1.5 2 2 3 3 3 5: sum 21.5, mean 21.5/9, median (5th) 2
        //   CONTACTED   4 stays, 3 3 3 5: mean 14/4 = 3.5, median (3+3)/2 = 3
        //   QUALIFIED   4 stays, 3 4 5 5: mean 17/4 = 4.25, median (4+5)/2 = 4.5
        //   PROPOSAL    4 stays, 1 4 5 10: mean 20/4 = 5, median (4+5)/2 = 4.5
        //   NEGOTIATION 3 stays, 10 16 18: mean 44/3, median 16
        //   cycle: 2 won, (34 + 23) / 2 = 28.5
        assert_eq!(
            velocity_report(&mut client, filter()).await,
            pb::GetVelocityReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    velocity("LEAD", 9, 21.5 / 9.0, 2.0),
                    velocity("CONTACTED", 4, 3.5, 3.0),
                    velocity("QUALIFIED", 4, 4.25, 4.5),
                    velocity("PROPOSAL", 4, 5.0, 4.5),
                    velocity("NEGOTIATION", 3, 44.0 / 3.0, 16.0),
                ],
                won: 2,
                mean_cycle_days: 28.5,
            },
            "no range"
        );

        // Stays that ended in [day 5, day 20):
        //   LEAD        C(left 6) 3, L(6) 2, D(8) 3, E(7) 1, F(9.5) 1.5, H(13) 1 — A(2), B(4), I(45) out
        //               6 stays, sorted 1 1 1.5 2 3 3: mean 11.5/6, median (1.5+2)/2 = 1.75
        //   CONTACTED   A(5, the start is inclusive) 3, C(9) 3, E(12) 5, H(16) 3: mean 3.5, median 3
        //   QUALIFIED   A(10) 5, C(14) 5, E(15) 3 — H(20, the end is exclusive) out: mean 13/3, median 5
        //   PROPOSAL    L(7) 1 — A(20), E(22), H(25) out: mean 1, median 1
        //   NEGOTIATION none (left at 30, 35, 40)
        //   cycle: nothing won in [5, 20) → 0, 0
        assert_eq!(
            velocity_report(&mut client, range(5.0, 20.0)).await,
            pb::GetVelocityReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    velocity("LEAD", 6, 11.5 / 6.0, 1.75),
                    velocity("CONTACTED", 4, 3.5, 3.0),
                    velocity("QUALIFIED", 3, 13.0 / 3.0, 5.0),
                    velocity("PROPOSAL", 1, 1.0, 1.0),
                    velocity("NEGOTIATION", 0, 0.0, 0.0),
                ],
                won: 0,
                mean_cycle_days: 0.0,
            },
            "stays that ended in [day 5, day 20)"
        );

        // Stays that ended in [day 20, day 41):
        //   LEAD none (I left at 45); CONTACTED none
        //   QUALIFIED   H(20) 4: mean 4, median 4
        //   PROPOSAL    A(20) 10, E(22) 4, H(25) 5: mean 19/3, median 5
        //   NEGOTIATION C(30) 16, E(40) 18, H(35) 10: mean 44/3, median 16
        //   cycle: E (won 40) 34, H (won 35) 23 → 2, 28.5
        assert_eq!(
            velocity_report(&mut client, range(20.0, 41.0)).await,
            pb::GetVelocityReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    velocity("LEAD", 0, 0.0, 0.0),
                    velocity("CONTACTED", 0, 0.0, 0.0),
                    velocity("QUALIFIED", 1, 4.0, 4.0),
                    velocity("PROPOSAL", 3, 19.0 / 3.0, 5.0),
                    velocity("NEGOTIATION", 3, 44.0 / 3.0, 16.0),
                ],
                won: 2,
                mean_cycle_days: 28.5,
            },
            "stays that ended in [day 20, day 41)"
        );

        // [day 36, day 50): LEAD I(45) 5; NEGOTIATION E(40) 18; won: E only (H won at 35) → 1, 34.
        assert_eq!(
            velocity_report(&mut client, range(36.0, 50.0)).await,
            pb::GetVelocityReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    velocity("LEAD", 1, 5.0, 5.0),
                    velocity("CONTACTED", 0, 0.0, 0.0),
                    velocity("QUALIFIED", 0, 0.0, 0.0),
                    velocity("PROPOSAL", 0, 0.0, 0.0),
                    velocity("NEGOTIATION", 1, 18.0, 18.0),
                ],
                won: 1,
                mean_cycle_days: 34.0,
            },
            "[day 36, day 50)"
        );

        // Account Beta: C, D, H (K has no completed stay).
        //   LEAD C 3, D 3, H 1 → mean 7/3, median 3; CONTACTED C 3, H 3 → 3, 3; QUALIFIED C 5, H 4 →
        //   4.5, 4.5; PROPOSAL H 5; NEGOTIATION C 16, H 10 → 13, 13. Won: H, 23 days.
        assert_eq!(
            velocity_report(
                &mut client,
                pb::FunnelFilter {
                    account_id: funnel.beta.clone(),
                    ..filter()
                }
            )
            .await,
            pb::GetVelocityReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    velocity("LEAD", 3, 7.0 / 3.0, 3.0),
                    velocity("CONTACTED", 2, 3.0, 3.0),
                    velocity("QUALIFIED", 2, 4.5, 4.5),
                    velocity("PROPOSAL", 1, 5.0, 5.0),
                    velocity("NEGOTIATION", 2, 13.0, 13.0),
                ],
                won: 1,
                mean_cycle_days: 23.0,
            },
            "account Beta"
        );

        // The Partner pipeline: P1 LEAD 0→3 = 3, PITCH 3→9 = 6, won after 9 days.
        assert_eq!(
            velocity_report(
                &mut client,
                pb::FunnelFilter {
                    pipeline_id: funnel.partner.clone(),
                    ..filter()
                }
            )
            .await,
            pb::GetVelocityReportResponse {
                pipeline_id: funnel.partner.clone(),
                stages: vec![velocity("LEAD", 1, 3.0, 3.0), velocity("PITCH", 1, 6.0, 6.0)],
                won: 1,
                mean_cycle_days: 9.0,
            },
            "the Partner pipeline"
        );
    }

    async fn forecast_sums_open_deals_by_category(server: &TestServer) {
        let funnel = build(server).await;
        let mut client = Opportunities::new(server.channel());

        // Range [2025-02-06 (day 36), 2025-03-16 (day 74)): expected_close_date 2025-02-06 ..= 2025-03-15.
        //   open, in range:  A 03-15 (last day) COMMIT EUR 1234.50 @75   B 03-10 COMMIT (override) USD
        //                    10000 @60   F 02-10 PIPELINE no amount   G 02-06 (first day) BEST_CASE
        //                    (override) EUR 300.25 @35   I 03-01 OMITTED (override) EUR 999.99
        //                    K 02-28 PIPELINE EUR 49.75 @10
        //   out:             J 03-16 (first day out)   L 06-30   C (02-15) and H (02-20) are closed
        //                    P2 (03-01) is in the Partner pipeline
        //   PIPELINE   EUR 49.75 (K)
        //   BEST_CASE  EUR 300.25 (G)
        //   COMMIT     EUR 1234.50 (A), USD 10000 (B)
        //   OMITTED    EUR 999.99 (I)
        //   weighted, OMITTED left out: EUR 4.975 + 105.0875 + 925.875 = 1035.9375 (3 deals),
        //                               USD 6000 (1)
        //   closed_won: close_time in range: E (day 40) CNY 88000.88; H (day 35) is out
        assert_eq!(
            forecast(&mut client, range(36.0, 74.0)).await,
            pb::GetForecastResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                categories: vec![
                    category(ForecastCategory::Pipeline, vec![sum("EUR", 1, 49, 750_000_000)]),
                    category(ForecastCategory::BestCase, vec![sum("EUR", 1, 300, 250_000_000)]),
                    category(
                        ForecastCategory::Commit,
                        vec![sum("EUR", 1, 1234, 500_000_000), sum("USD", 1, 10_000, 0)],
                    ),
                    category(ForecastCategory::Omitted, vec![sum("EUR", 1, 999, 990_000_000)]),
                ],
                weighted_pipeline: vec![sum("EUR", 3, 1035, 937_500_000), sum("USD", 1, 6000, 0)],
                closed_won: vec![sum("CNY", 1, 88_000, 880_000_000)],
                segments: Vec::new(),
            },
            "[2025-02-06, 2025-03-16)"
        );

        // Range [2025-03-01 (day 59), 2025-03-16): A 03-15, B 03-10, I 03-01 (first day); G 02-06 and
        // K 02-28 are before it. Nothing won in March.
        //   weighted: EUR 925.875 (A), USD 6000 (B)
        assert_eq!(
            forecast(&mut client, range(59.0, 74.0)).await,
            pb::GetForecastResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                categories: vec![
                    category(ForecastCategory::Pipeline, vec![]),
                    category(ForecastCategory::BestCase, vec![]),
                    category(
                        ForecastCategory::Commit,
                        vec![sum("EUR", 1, 1234, 500_000_000), sum("USD", 1, 10_000, 0)],
                    ),
                    category(ForecastCategory::Omitted, vec![sum("EUR", 1, 999, 990_000_000)]),
                ],
                weighted_pipeline: vec![sum("EUR", 1, 925, 875_000_000), sum("USD", 1, 6000, 0)],
                closed_won: vec![],
                segments: Vec::new(),
            },
            "[2025-03-01, 2025-03-16)"
        );

        // Owner S2 in [day 36, day 74): B (COMMIT USD 10000), F (no amount), I (OMITTED EUR 999.99),
        // K (PIPELINE EUR 49.75); no S2 deal was won.
        assert_eq!(
            forecast(
                &mut client,
                pb::FunnelFilter {
                    owner_staff_id: funnel.s2.clone(),
                    ..range(36.0, 74.0)
                }
            )
            .await,
            pb::GetForecastResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                categories: vec![
                    category(ForecastCategory::Pipeline, vec![sum("EUR", 1, 49, 750_000_000)]),
                    category(ForecastCategory::BestCase, vec![]),
                    category(ForecastCategory::Commit, vec![sum("USD", 1, 10_000, 0)]),
                    category(ForecastCategory::Omitted, vec![sum("EUR", 1, 999, 990_000_000)]),
                ],
                weighted_pipeline: vec![sum("EUR", 1, 4, 975_000_000), sum("USD", 1, 6000, 0)],
                closed_won: vec![],
                segments: Vec::new(),
            },
            "owner S2 in [2025-02-06, 2025-03-16)"
        );

        // The Partner pipeline in [day 36, day 74): P2 (03-01, LEAD, PIPELINE) USD 500 @50 → 250; P1
        // was won on day 9, before the range.
        assert_eq!(
            forecast(
                &mut client,
                pb::FunnelFilter {
                    pipeline_id: funnel.partner.clone(),
                    ..range(36.0, 74.0)
                }
            )
            .await,
            pb::GetForecastResponse {
                pipeline_id: funnel.partner.clone(),
                categories: vec![
                    category(ForecastCategory::Pipeline, vec![sum("USD", 1, 500, 0)]),
                    category(ForecastCategory::BestCase, vec![]),
                    category(ForecastCategory::Commit, vec![]),
                    category(ForecastCategory::Omitted, vec![]),
                ],
                weighted_pipeline: vec![sum("USD", 1, 250, 0)],
                closed_won: vec![],
                segments: Vec::new(),
            },
            "the Partner pipeline"
        );
    }

    async fn stalled_opportunities_are_the_open_deals_past_their_stage_limit(server: &TestServer) {
        let funnel = build(server).await;
        let mut client = Opportunities::new(server.channel());

        // Open deals of the default pipeline, days in stage (+3 h) against the stage's stall_after_days:
        //   I QUALIFIED 70 > 30 stalled   F CONTACTED 55 > 21 stalled   G LEAD 50 > 30 stalled
        //   B PROPOSAL 35 > 21 stalled    J QUALIFIED 29 ≤ 30           A NEGOTIATION 20 > 14 stalled
        //   L CONTACTED 10 ≤ 21           K LEAD 5 ≤ 30
        // Longest in stage first: I 70, F 55, G 50, B 35, A 20 (also the order of days past the limit:
        // 40, 34, 20, 14, 6). Closed deals never stall; P2 is in the Partner pipeline.
        let expected = vec![
            stalled("I", "QUALIFIED", 70, 30),
            stalled("F", "CONTACTED", 55, 21),
            stalled("G", "LEAD", 50, 30),
            stalled("B", "PROPOSAL", 35, 21),
            stalled("A", "NEGOTIATION", 20, 14),
        ];
        let one_page = stalled_pages(&mut client, &funnel, filter(), 0).await;
        assert_eq!(one_page, vec![expected.clone()], "the default page size");

        // One at a time: five pages of one, the last without a next token.
        let pages = stalled_pages(&mut client, &funnel, filter(), 1).await;
        assert_eq!(
            pages,
            expected.iter().map(|s| vec![s.clone()]).collect::<Vec<_>>(),
            "pages of one"
        );

        // The range is ignored: stalled means now.
        let ranged = stalled_pages(&mut client, &funnel, range(0.0, 1.0), 0).await;
        assert_eq!(ranged, vec![expected.clone()], "a range changes nothing");

        // Owner S1: G and A (J is not stalled).
        let owned = stalled_pages(
            &mut client,
            &funnel,
            pb::FunnelFilter {
                owner_staff_id: funnel.s1.clone(),
                ..filter()
            },
            0,
        )
        .await;
        assert_eq!(
            owned,
            vec![vec![stalled("G", "LEAD", 50, 30), stalled("A", "NEGOTIATION", 20, 14)]],
            "owner S1"
        );

        // The Partner pipeline: P2 in LEAD for 9 days > 7. P1 entered WON (stall 5) 50 days ago but is
        // closed.
        let partner = stalled_pages(
            &mut client,
            &funnel,
            pb::FunnelFilter {
                pipeline_id: funnel.partner.clone(),
                ..filter()
            },
            0,
        )
        .await;
        assert_eq!(partner, vec![vec![stalled("P2", "LEAD", 9, 7)]], "the Partner pipeline");
    }

    async fn a_member_sees_analytics_of_their_accounts_only(server: &TestServer) {
        let funnel = build(server).await;
        let member = server.member_on_team(&funnel.acme).await;
        let mut client = Opportunities::new(member.channel());

        // Acme's deals only: A (NEGOTIATION), B (PROPOSAL), G (LEAD), I (QUALIFIED); P1 is in Partner.
        assert_eq!(
            summary(&mut client, filter()).await,
            summary_of(
                DEFAULT_PIPELINE,
                vec![
                    stage(
                        "LEAD",
                        1,
                        vec![sum("EUR", 1, 300, 250_000_000)],
                        vec![sum("EUR", 1, 105, 87_500_000)],
                    ),
                    empty("CONTACTED"),
                    stage(
                        "QUALIFIED",
                        1,
                        vec![sum("EUR", 1, 999, 990_000_000)],
                        vec![sum("EUR", 1, 399, 996_000_000)],
                    ),
                    stage("PROPOSAL", 1, vec![sum("USD", 1, 10_000, 0)], vec![sum("USD", 1, 6000, 0)]),
                    stage(
                        "NEGOTIATION",
                        1,
                        vec![sum("EUR", 1, 1234, 500_000_000)],
                        vec![sum("EUR", 1, 925, 875_000_000)],
                    ),
                    empty("WON"),
                    empty("LOST"),
                ],
            ),
            "a MEMBER's funnel summary"
        );

        // Furthest: A NEGOTIATION, B PROPOSAL, G LEAD, I QUALIFIED.
        //   reached LEAD 4, CONTACTED 3 (A B I), QUALIFIED 3, PROPOSAL 2 (A B), NEGOTIATION 1 (A), WON 0.
        //   Nothing closed → 0, 0, 0.
        assert_eq!(
            conversion_report(&mut client, filter()).await,
            pb::GetConversionReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    conversion("LEAD", 4, 3, 0.75),
                    conversion("CONTACTED", 3, 3, 1.0),
                    conversion("QUALIFIED", 3, 2, 2.0 / 3.0),
                    conversion("PROPOSAL", 2, 1, 0.5),
                    conversion("NEGOTIATION", 1, 0, 0.0),
                    conversion("WON", 0, 0, 0.0),
                ],
                won: 0,
                lost: 0,
                win_rate: 0.0,
            },
            "a MEMBER's conversion report"
        );

        // Stays: A LEAD 2, CONTACTED 3, QUALIFIED 5, PROPOSAL 10; B LEAD 3; I LEAD 5.
        //   LEAD 2 3 5 → mean 10/3, median 3. Nothing won.
        assert_eq!(
            velocity_report(&mut client, filter()).await,
            pb::GetVelocityReportResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                stages: vec![
                    velocity("LEAD", 3, 10.0 / 3.0, 3.0),
                    velocity("CONTACTED", 1, 3.0, 3.0),
                    velocity("QUALIFIED", 1, 5.0, 5.0),
                    velocity("PROPOSAL", 1, 10.0, 10.0),
                    velocity("NEGOTIATION", 0, 0.0, 0.0),
                ],
                won: 0,
                mean_cycle_days: 0.0,
            },
            "a MEMBER's velocity report"
        );

        // [2025-02-06, 2025-03-16): G BEST_CASE EUR 300.25, A COMMIT EUR 1234.50, B COMMIT USD 10000,
        // I OMITTED EUR 999.99. Weighted: EUR 105.0875 + 925.875 = 1030.9625 (2), USD 6000 (1).
        assert_eq!(
            forecast(&mut client, range(36.0, 74.0)).await,
            pb::GetForecastResponse {
                pipeline_id: DEFAULT_PIPELINE.to_owned(),
                categories: vec![
                    category(ForecastCategory::Pipeline, vec![]),
                    category(ForecastCategory::BestCase, vec![sum("EUR", 1, 300, 250_000_000)]),
                    category(
                        ForecastCategory::Commit,
                        vec![sum("EUR", 1, 1234, 500_000_000), sum("USD", 1, 10_000, 0)],
                    ),
                    category(ForecastCategory::Omitted, vec![sum("EUR", 1, 999, 990_000_000)]),
                ],
                weighted_pipeline: vec![sum("EUR", 2, 1030, 962_500_000), sum("USD", 1, 6000, 0)],
                closed_won: vec![],
                segments: Vec::new(),
            },
            "a MEMBER's forecast"
        );

        // Stalled: I 70, G 50, B 35, A 20 (F is Gamma's).
        assert_eq!(
            stalled_pages(&mut client, &funnel, filter(), 0).await,
            vec![vec![
                stalled("I", "QUALIFIED", 70, 30),
                stalled("G", "LEAD", 50, 30),
                stalled("B", "PROPOSAL", 35, 21),
                stalled("A", "NEGOTIATION", 20, 14),
            ]],
            "a MEMBER's stalled opportunities"
        );
    }

    async fn analytics_refuse_a_reversed_range_and_an_unknown_pipeline(server: &TestServer) {
        let mut client = Opportunities::new(server.channel());
        let reversed = range(10.0, 5.0);
        let unknown = pb::FunnelFilter {
            pipeline_id: Uuid::now_v7().to_string(),
            ..filter()
        };
        for (filter, check) in [
            (reversed, None),
            (unknown, Some(Code::NotFound)),
        ] {
            let answers = [
                client
                    .get_funnel_summary(pb::GetFunnelSummaryRequest {
                        filter: Some(filter.clone()),
                        group_by: None,
                    })
                    .await
                    .map(drop),
                client
                    .get_conversion_report(pb::GetConversionReportRequest {
                        filter: Some(filter.clone()),
                    })
                    .await
                    .map(drop),
                client
                    .get_velocity_report(pb::GetVelocityReportRequest {
                        filter: Some(filter.clone()),
                    })
                    .await
                    .map(drop),
                client
                    .get_forecast(pb::GetForecastRequest {
                        filter: Some(filter.clone()),
                        group_by: None,
                    })
                    .await
                    .map(drop),
                client
                    .list_stalled_opportunities(pb::ListStalledOpportunitiesRequest {
                        filter: Some(filter.clone()),
                        ..Default::default()
                    })
                    .await
                    .map(drop),
            ];
            let rpcs = [
                "GetFunnelSummary",
                "GetConversionReport",
                "GetVelocityReport",
                "GetForecast",
                "ListStalledOpportunities",
            ];
            for (rpc, answer) in rpcs.into_iter().zip(answers) {
                let status = answer.expect_err(rpc);
                match check {
                    None => assert_invalid_argument(&status, "filter.end_time"),
                    Some(code) => {
                        assert_error(&status, code);
                    }
                }
            }
        }
    }
}
