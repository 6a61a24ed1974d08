//! OpportunityService end to end: pipelines, opportunities and every funnel rule of
//! `proto/kam/v1/opportunities.proto`, through real gRPC on SQLite and on PostgreSQL (when
//! `KAM_TEST_POSTGRES_URL` is set).
//!
//! Every rule is exercised on each write path it guards, and every refusal is checked to leave the
//! stored state (the opportunity, its stage history, the pipeline, the events) as it was.

use std::collections::BTreeSet;

use kam_server::opportunities::store::read_model as funnel_read_model;
use kam_tests::{
    Caller, TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{
        self, ForecastCategory, Outcome, Role, StaffLevel,
        opportunity_service_client::OpportunityServiceClient,
    },
    pbjson_types::{self, FieldMask},
};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use tonic::{Code, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

type Opportunities = OpportunityServiceClient<kam_tests::Authed>;

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

/// The seeded default pipeline.
const DEFAULT_PIPELINE: &str = "00000000-0000-7000-8000-000000000100";

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// A timestamp as `(seconds, nanos)`, for ordering.
fn instant(time: &Option<pbjson_types::Timestamp>) -> (i64, i32) {
    let time = time.as_ref().expect("the timestamp is set");
    (time.seconds, time.nanos)
}

fn unique(prefix: &str) -> String {
    format!("{prefix} {}", Uuid::now_v7().simple())
}

/// All three MAN flags confirmed.
fn man() -> Option<pb::Qualification> {
    Some(pb::Qualification {
        budget_confirmed: true,
        authority_confirmed: true,
        need_confirmed: true,
    })
}

/// Budget and authority, but no need.
fn no_need() -> Option<pb::Qualification> {
    Some(pb::Qualification {
        budget_confirmed: true,
        authority_confirmed: true,
        need_confirmed: false,
    })
}

fn money(currency: &str, units: i64) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: currency.to_owned(),
        units,
        nanos: 0,
    })
}

fn open_stage(key: &str, probability: i32, category: ForecastCategory) -> pb::PipelineStage {
    pb::PipelineStage {
        key: key.to_owned(),
        display_name: key.to_owned(),
        probability,
        forecast_category: category as i32,
        stall_after_days: 10,
        closed_won: false,
        closed_lost: false,
    }
}

fn won_stage(key: &str) -> pb::PipelineStage {
    pb::PipelineStage {
        closed_won: true,
        stall_after_days: 0,
        ..open_stage(key, 100, ForecastCategory::Closed)
    }
}

fn lost_stage(key: &str) -> pb::PipelineStage {
    pb::PipelineStage {
        closed_lost: true,
        stall_after_days: 0,
        ..open_stage(key, 0, ForecastCategory::Omitted)
    }
}

/// A well-formed custom pipeline: DISCOVERY 15, DEMO 35 (qualification), OFFER 70, then DONE / DROPPED.
fn custom_pipeline() -> pb::Pipeline {
    pb::Pipeline {
        display_name: unique("Projects"),
        stages: vec![
            open_stage("DISCOVERY", 15, ForecastCategory::Pipeline),
            open_stage("DEMO", 35, ForecastCategory::BestCase),
            open_stage("OFFER", 70, ForecastCategory::Commit),
            won_stage("DONE"),
            lost_stage("DROPPED"),
        ],
        qualification_stage_key: "DEMO".to_owned(),
        ..Default::default()
    }
}

fn stage_keys(pipeline: &pb::Pipeline) -> Vec<&str> {
    pipeline.stages.iter().map(|s| s.key.as_str()).collect()
}

/// `(from, to, reason)` of each change.
fn moves(history: &[pb::StageChange]) -> Vec<(&str, &str, &str)> {
    history
        .iter()
        .map(|c| (c.from_stage.as_str(), c.to_stage.as_str(), c.reason.as_str()))
        .collect()
}

/// The opportunity service as `caller`, with the account, owner and helpers most tests need.
struct Funnel<'a> {
    server: &'a TestServer,
    client: Opportunities,
    /// Who `client` calls as.
    caller_staff_id: String,
    account: pb::Account,
    owner: pb::Staff,
}

impl<'a> Funnel<'a> {
    /// As the first-start ADMIN, on a new account with a new owner.
    async fn new(server: &'a TestServer) -> Self {
        let account = create_account(server, "Funnel Account").await;
        let owner = server.create_staff(StaffLevel::Staff).await;
        Self {
            server,
            client: OpportunityServiceClient::new(server.channel()),
            caller_staff_id: server.admin().staff_id.clone(),
            account,
            owner,
        }
    }

    /// The same account and owner, calling as `caller`.
    fn as_caller(&self, caller: &Caller) -> Funnel<'a> {
        Funnel {
            server: self.server,
            client: OpportunityServiceClient::new(caller.channel()),
            caller_staff_id: caller.staff_id.clone(),
            account: self.account.clone(),
            owner: self.owner.clone(),
        }
    }

    /// A new opportunity's fields on the account, owned by the owner.
    fn deal(&self, name: &str) -> pb::Opportunity {
        pb::Opportunity {
            account_id: self.account.id.clone(),
            display_name: name.to_owned(),
            owner_staff_id: self.owner.id.clone(),
            ..Default::default()
        }
    }

    async fn try_create(&mut self, opportunity: pb::Opportunity) -> Result<pb::Opportunity, Status> {
        self.client
            .create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(opportunity),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn create(&mut self, opportunity: pb::Opportunity) -> pb::Opportunity {
        self.try_create(opportunity)
            .await
            .unwrap_or_else(|status| panic!("create an opportunity: {status:?}"))
    }

    /// A new opportunity in `stage`, MAN-qualified.
    async fn create_in(&mut self, stage: &str, name: &str) -> pb::Opportunity {
        self.create(pb::Opportunity {
            stage: stage.to_owned(),
            qualification: man(),
            ..self.deal(name)
        })
        .await
    }

    async fn try_get(&mut self, id: &str) -> Result<pb::Opportunity, Status> {
        self.client
            .get_opportunity(pb::GetOpportunityRequest { id: id.to_owned() })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn get(&mut self, id: &str) -> pb::Opportunity {
        self.try_get(id)
            .await
            .unwrap_or_else(|status| panic!("get opportunity {id}: {status:?}"))
    }

    async fn try_history(&mut self, id: &str) -> Result<Vec<pb::StageChange>, Status> {
        self.client
            .list_stage_history(pb::ListStageHistoryRequest {
                opportunity_id: id.to_owned(),
                page_size: 1000,
                page_token: String::new(),
            })
            .await
            .map(|r| r.into_inner().changes)
    }

    async fn history(&mut self, id: &str) -> Vec<pb::StageChange> {
        self.try_history(id)
            .await
            .unwrap_or_else(|status| panic!("list the stage history of {id}: {status:?}"))
    }

    /// What a refused call must leave as it was: the opportunity and its history.
    async fn snapshot(&mut self, id: &str) -> (pb::Opportunity, Vec<pb::StageChange>) {
        (self.get(id).await, self.history(id).await)
    }

    async fn assert_unchanged(&mut self, before: &(pb::Opportunity, Vec<pb::StageChange>), what: &str) {
        let after = self.snapshot(&before.0.id).await;
        assert_eq!(&after, before, "{what} changed the opportunity or its history");
    }

    async fn try_move(
        &mut self,
        id: &str,
        stage: &str,
        stage_owner: &str,
    ) -> Result<pb::Opportunity, Status> {
        self.client
            .move_opportunity_stage(pb::MoveOpportunityStageRequest {
                id: id.to_owned(),
                stage: stage.to_owned(),
                stage_owner_staff_id: stage_owner.to_owned(),
                etag: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn move_to(&mut self, id: &str, stage: &str) -> pb::Opportunity {
        self.try_move(id, stage, "")
            .await
            .unwrap_or_else(|status| panic!("move {id} to {stage}: {status:?}"))
    }

    async fn try_update(
        &mut self,
        opportunity: pb::Opportunity,
        paths: &[&str],
    ) -> Result<pb::Opportunity, Status> {
        self.client
            .update_opportunity(pb::UpdateOpportunityRequest {
                opportunity: Some(opportunity),
                update_mask: mask(paths),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn try_close(
        &mut self,
        id: &str,
        outcome: Outcome,
        reason_code: &str,
        lost_to: &str,
    ) -> Result<pb::Opportunity, Status> {
        self.client
            .close_opportunity(pb::CloseOpportunityRequest {
                id: id.to_owned(),
                outcome: outcome as i32,
                reason_code: reason_code.to_owned(),
                note: String::new(),
                lost_to_competitor: lost_to.to_owned(),
                etag: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn close(&mut self, id: &str, outcome: Outcome, reason_code: &str) -> pb::Opportunity {
        self.try_close(id, outcome, reason_code, "")
            .await
            .unwrap_or_else(|status| panic!("close {id} as {outcome:?}: {status:?}"))
    }

    async fn try_reopen(&mut self, id: &str, stage: &str, reason: &str) -> Result<pb::Opportunity, Status> {
        self.client
            .reopen_opportunity(pb::ReopenOpportunityRequest {
                id: id.to_owned(),
                stage: stage.to_owned(),
                reason: reason.to_owned(),
                etag: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn list(&mut self, request: pb::ListOpportunitiesRequest) -> Vec<pb::Opportunity> {
        self.client
            .list_opportunities(pb::ListOpportunitiesRequest {
                page_size: 1000,
                ..request
            })
            .await
            .unwrap_or_else(|status| panic!("list opportunities: {status:?}"))
            .into_inner()
            .opportunities
    }

    async fn list_ids(&mut self, request: pb::ListOpportunitiesRequest) -> Vec<String> {
        self.list(request).await.into_iter().map(|o| o.id).collect()
    }

    async fn get_pipeline(&mut self, id: &str) -> pb::Pipeline {
        self.client
            .get_pipeline(pb::GetPipelineRequest { id: id.to_owned() })
            .await
            .unwrap_or_else(|status| panic!("get pipeline {id}: {status:?}"))
            .into_inner()
    }

    async fn try_create_pipeline(&mut self, pipeline: pb::Pipeline) -> Result<pb::Pipeline, Status> {
        self.client
            .create_pipeline(pb::CreatePipelineRequest {
                pipeline: Some(pipeline),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn try_update_pipeline(
        &mut self,
        pipeline: pb::Pipeline,
        paths: &[&str],
    ) -> Result<pb::Pipeline, Status> {
        self.client
            .update_pipeline(pb::UpdatePipelineRequest {
                pipeline: Some(pipeline),
                update_mask: mask(paths),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn count(&self, sql: &str) -> i64 {
        self.server.query_i64(sql, []).await
    }

    async fn opportunity_rows(&self) -> i64 {
        self.count("SELECT count(*) FROM opportunities").await
    }

    async fn events(&self, event_type: &str) -> i64 {
        self.server
            .query_i64(
                "SELECT count(*) FROM outbox_events WHERE event_type = $1",
                [Value::from(event_type.to_owned())],
            )
            .await
    }
}

/// The funnel's read model of `id`, as stored: its stays `(ending change id, stage, seconds)` in order,
/// and its furthest stage.
async fn read_model(server: &TestServer, id: &str) -> (Vec<(String, String, i64)>, Option<String>) {
    let db = server.db().await;
    let backend = db.get_database_backend();
    let p = if backend == DatabaseBackend::Postgres {
        "$1"
    } else {
        "?1"
    };
    let id = Uuid::parse_str(id).expect("an opportunity id");
    let stays = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT id, stage, seconds FROM opportunity_stays WHERE opportunity_id = {p} ORDER BY leave_time"),
            [id.into()],
        ))
        .await
        .expect("read the stays")
        .iter()
        .map(|row| {
            let change: Uuid = row.try_get_by_index(0).expect("id");
            (change.to_string(), row.try_get_by_index(1).expect("stage"), row.try_get_by_index(2).expect("seconds"))
        })
        .collect();
    let furthest = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT furthest_stage FROM opportunities WHERE id = {p}"),
            [id.into()],
        ))
        .await
        .expect("read the furthest stage")
        .expect("the opportunity exists")
        .try_get_by_index(0)
        .expect("furthest_stage");
    let _ = db.close().await;
    (stays, furthest)
}

/// Milliseconds since the epoch.
fn millis(time: &Option<pbjson_types::Timestamp>) -> i64 {
    let (seconds, nanos) = instant(time);
    seconds * 1000 + i64::from(nanos) / 1_000_000
}

async fn create_account(server: &TestServer, prefix: &str) -> pb::Account {
    server.create_account(&unique(prefix)).await
}

/// A new staff member specialising in `stages`.
async fn specialist(server: &TestServer, stages: &[&str]) -> pb::Staff {
    let name = Uuid::now_v7().simple().to_string();
    server
        .teams()
        .create_staff(pb::CreateStaffRequest {
            staff: Some(pb::Staff {
                full_name: format!("Specialist {name}"),
                email: format!("{name}@example.com"),
                department_id: kam_tests::SALES_DEPARTMENT.to_owned(),
                level: StaffLevel::Staff as i32,
                stage_specialties: stages.iter().map(|s| (*s).to_owned()).collect(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a specialist")
        .into_inner()
}

async fn deactivate(server: &TestServer, staff_id: &str) -> Result<pb::Staff, Status> {
    server
        .teams()
        .deactivate_staff(pb::DeactivateStaffRequest {
            id: staff_id.to_owned(),
            etag: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn get_staff(server: &TestServer, staff_id: &str) -> pb::Staff {
    server
        .teams()
        .get_staff(pb::GetStaffRequest {
            id: staff_id.to_owned(),
        })
        .await
        .expect("get staff")
        .into_inner()
}

// ---------------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------------

backend_tests! {
    // ----- pipelines -----

    async fn the_default_pipeline_is_seeded(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let default = f.get_pipeline(DEFAULT_PIPELINE).await;
        assert_eq!(default.id, DEFAULT_PIPELINE);
        assert!(default.is_default);
        assert!(!default.display_name.is_empty());
        assert_eq!(default.qualification_stage_key, "QUALIFIED");
        assert!(!default.etag.is_empty());
        assert!(default.create_time.is_some() && default.update_time.is_some());
        let stages: Vec<(&str, i32, i32, bool, bool)> = default
            .stages
            .iter()
            .map(|s| (s.key.as_str(), s.probability, s.forecast_category, s.closed_won, s.closed_lost))
            .collect();
        use ForecastCategory::{BestCase, Closed, Commit, Omitted, Pipeline};
        assert_eq!(
            stages,
            [
                ("LEAD", 10, Pipeline as i32, false, false),
                ("CONTACTED", 20, Pipeline as i32, false, false),
                ("QUALIFIED", 40, Pipeline as i32, false, false),
                ("PROPOSAL", 60, BestCase as i32, false, false),
                ("NEGOTIATION", 80, Commit as i32, false, false),
                ("WON", 100, Closed as i32, true, false),
                ("LOST", 0, Omitted as i32, false, true),
            ]
        );
        assert!(default.stages.iter().all(|s| !s.display_name.is_empty()));

        let listed = f
            .client
            .list_pipelines(pb::ListPipelinesRequest::default())
            .await
            .expect("list pipelines")
            .into_inner()
            .pipelines;
        assert_eq!(listed, std::slice::from_ref(&default), "a fresh database has the default pipeline only");

        let status = f
            .client
            .get_pipeline(pb::GetPipelineRequest { id: Uuid::now_v7().to_string() })
            .await
            .unwrap_err();
        assert_error(&status, Code::NotFound);
    }

    async fn a_custom_pipeline_is_created_and_used(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let fields = custom_pipeline();
        let created = f.try_create_pipeline(fields.clone()).await.expect("create a pipeline");
        assert!(Uuid::parse_str(&created.id).is_ok_and(|id| id.get_version_num() == 7));
        assert!(!created.is_default, "only the seeded pipeline is the default");
        assert_eq!(created.display_name, fields.display_name);
        assert_eq!(created.stages, fields.stages);
        assert_eq!(created.qualification_stage_key, "DEMO");
        assert!(!created.etag.is_empty());
        assert_eq!(f.get_pipeline(&created.id).await, created);
        assert!(f.get_pipeline(DEFAULT_PIPELINE).await.is_default, "the default stays the default");

        let listed = f
            .client
            .list_pipelines(pb::ListPipelinesRequest::default())
            .await
            .expect("list pipelines")
            .into_inner()
            .pipelines;
        let ids: Vec<&str> = listed.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, [DEFAULT_PIPELINE, created.id.as_str()]);

        // A retried create with the same request_id answers the same pipeline.
        let retried = pb::CreatePipelineRequest {
            pipeline: Some(custom_pipeline()),
            request_id: Uuid::now_v7().to_string(),
        };
        let first = f.client.create_pipeline(retried.clone()).await.unwrap().into_inner();
        let again = f.client.create_pipeline(retried).await.unwrap().into_inner();
        assert_eq!(first, again);
        assert_eq!(f.count("SELECT count(*) FROM pipelines").await, 3);

        // An opportunity in it starts in its first stage, with that stage's probability and category.
        let deal = f
            .create(pb::Opportunity {
                pipeline_id: created.id.clone(),
                ..f.deal("Custom deal")
            })
            .await;
        assert_eq!(deal.pipeline_id, created.id);
        assert_eq!(deal.stage, "DISCOVERY");
        assert_eq!(deal.probability, 15);
        assert_eq!(deal.forecast_category, ForecastCategory::Pipeline as i32);
        // Its own qualification stage guards it: DEMO needs MAN, the default pipeline's keys are unknown.
        let before = f.snapshot(&deal.id).await;
        let status = f.try_move(&deal.id, "DEMO", "").await.unwrap_err();
        assert_failed_precondition(&status, "MAN_REQUIRED");
        let status = f.try_move(&deal.id, "PROPOSAL", "").await.unwrap_err();
        assert_failed_precondition(&status, "STAGE_NOT_IN_PIPELINE");
        f.assert_unchanged(&before, "a refused move").await;
        let status = f
            .try_create(pb::Opportunity {
                pipeline_id: created.id.clone(),
                stage: "LEAD".to_owned(),
                ..f.deal("Wrong stage")
            })
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "STAGE_NOT_IN_PIPELINE");
        // An unknown pipeline is not found.
        let status = f
            .try_create(pb::Opportunity {
                pipeline_id: Uuid::now_v7().to_string(),
                ..f.deal("Nowhere")
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::NotFound);
        assert_eq!(f.opportunity_rows().await, 1);
    }

    async fn malformed_pipelines_are_refused_naming_the_field(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let with_stages = |stages: Vec<pb::PipelineStage>| pb::Pipeline {
            stages,
            ..custom_pipeline()
        };
        let base = custom_pipeline().stages;
        let cases: Vec<(&str, pb::Pipeline, &str)> = vec![
            (
                "a duplicate key",
                with_stages(vec![
                    base[0].clone(),
                    open_stage("DISCOVERY", 30, ForecastCategory::Pipeline),
                    base[3].clone(),
                    base[4].clone(),
                ]),
                "pipeline.stages[1].key",
            ),
            (
                "probability 140",
                with_stages(vec![
                    base[0].clone(),
                    open_stage("DEMO", 140, ForecastCategory::Pipeline),
                    base[3].clone(),
                    base[4].clone(),
                ]),
                "pipeline.stages[1].probability",
            ),
            (
                "no won stage",
                with_stages(vec![base[0].clone(), base[1].clone(), base[4].clone()]),
                "pipeline.stages",
            ),
            (
                "an open stage after the won stage",
                with_stages(vec![
                    base[0].clone(),
                    base[3].clone(),
                    base[1].clone(),
                    base[4].clone(),
                ]),
                "pipeline.stages",
            ),
            (
                "CLOSED on an open stage",
                with_stages(vec![
                    base[0].clone(),
                    open_stage("DEMO", 35, ForecastCategory::Closed),
                    base[3].clone(),
                    base[4].clone(),
                ]),
                "pipeline.stages[1].forecast_category",
            ),
            (
                "a qualification key that is the won stage",
                pb::Pipeline {
                    qualification_stage_key: "DONE".to_owned(),
                    ..custom_pipeline()
                },
                "pipeline.qualification_stage_key",
            ),
            (
                "a qualification key that is no stage",
                pb::Pipeline {
                    qualification_stage_key: "NOPE".to_owned(),
                    ..custom_pipeline()
                },
                "pipeline.qualification_stage_key",
            ),
            (
                "no display name",
                pb::Pipeline {
                    display_name: String::new(),
                    ..custom_pipeline()
                },
                "pipeline.display_name",
            ),
        ];
        let pipelines = f.count("SELECT count(*) FROM pipelines").await;
        let stages = f.count("SELECT count(*) FROM pipeline_stages").await;
        for (what, pipeline, field) in cases {
            let status = f
                .try_create_pipeline(pipeline)
                .await
                .expect_err(what);
            assert_invalid_argument(&status, field);
        }
        assert_eq!(f.count("SELECT count(*) FROM pipelines").await, pipelines);
        assert_eq!(f.count("SELECT count(*) FROM pipeline_stages").await, stages);
        assert_eq!(f.events("PipelineCreated").await, 0);
    }

    // ----- the funnel's read model -----

    async fn every_stage_change_keeps_the_funnel_read_model(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create_in("LEAD", "Read model").await;
        assert_eq!(read_model(server, &deal.id).await, (vec![], Some("LEAD".to_owned())));

        f.move_to(&deal.id, "PROPOSAL").await;
        f.close(&deal.id, Outcome::Lost, "PRICE").await;
        let (_, furthest) = read_model(server, &deal.id).await;
        assert_eq!(furthest.as_deref(), Some("PROPOSAL"), "a lost deal got as far as it passed");
        f.try_reopen(&deal.id, "CONTACTED", "Budget found").await.expect("reopen");
        let (_, furthest) = read_model(server, &deal.id).await;
        assert_eq!(furthest.as_deref(), Some("PROPOSAL"), "going back does not undo what was reached");
        f.move_to(&deal.id, "NEGOTIATION").await;

        // One stay per change after the creation, ended by that change, as long as the time between.
        let history = f.history(&deal.id).await;
        let expected: Vec<(String, String, i64)> = history
            .windows(2)
            .map(|pair| {
                let length = millis(&pair[1].change_time) - millis(&pair[0].change_time);
                (pair[1].id.clone(), pair[0].to_stage.clone(), (length + 500) / 1000)
            })
            .collect();
        let stages: Vec<&str> = expected.iter().map(|(_, stage, _)| stage.as_str()).collect();
        assert_eq!(stages, ["LEAD", "PROPOSAL", "LOST", "CONTACTED"]);
        let (stays, furthest) = read_model(server, &deal.id).await;
        assert_eq!(stays, expected);
        assert_eq!(furthest.as_deref(), Some("NEGOTIATION"));

        // Derived again from the history, it is the same (the lengths up to the rounding of the
        // databases' own time arithmetic).
        let db = server.db().await;
        funnel_read_model::rebuild(&db, Some(Uuid::parse_str(&deal.id).unwrap()))
            .await
            .expect("rebuild");
        let _ = db.close().await;
        let (rebuilt, furthest_rebuilt) = read_model(server, &deal.id).await;
        assert_eq!(furthest_rebuilt, furthest);
        assert_eq!(rebuilt.len(), stays.len());
        for (again, kept) in rebuilt.iter().zip(&stays) {
            assert_eq!((&again.0, &again.1), (&kept.0, &kept.1));
            assert!((again.2 - kept.2).abs() <= 1, "{again:?} vs {kept:?}");
        }
    }

    async fn reordering_stages_recomputes_the_furthest_stage(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let pipeline = f.try_create_pipeline(custom_pipeline()).await.unwrap();
        let deal = f
            .create(pb::Opportunity {
                pipeline_id: pipeline.id.clone(),
                qualification: man(),
                ..f.deal("Reordered")
            })
            .await;
        f.move_to(&deal.id, "OFFER").await;
        f.move_to(&deal.id, "DEMO").await;
        assert_eq!(read_model(server, &deal.id).await.1.as_deref(), Some("OFFER"));

        // DEMO now comes after OFFER: the furthest stage the history reached is DEMO.
        let mut stages = pipeline.stages.clone();
        stages.swap(1, 2);
        let updated = f
            .try_update_pipeline(
                pb::Pipeline {
                    id: pipeline.id.clone(),
                    stages,
                    etag: pipeline.etag.clone(),
                    ..Default::default()
                },
                &["stages"],
            )
            .await
            .expect("reorder the stages");
        assert_eq!(stage_keys(&updated), ["DISCOVERY", "OFFER", "DEMO", "DONE", "DROPPED"]);
        assert_eq!(read_model(server, &deal.id).await.1.as_deref(), Some("DEMO"));
    }

    async fn update_pipeline_renames_adds_and_removes_unused_stages(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let created = f.try_create_pipeline(custom_pipeline()).await.unwrap();

        // Rename the pipeline and a stage, and add a stage.
        let mut stages = created.stages.clone();
        stages[1].display_name = "Live demo".to_owned();
        stages.insert(2, open_stage("TRIAL", 50, ForecastCategory::BestCase));
        let updated = f
            .try_update_pipeline(
                pb::Pipeline {
                    id: created.id.clone(),
                    display_name: "Projects (renamed)".to_owned(),
                    stages: stages.clone(),
                    etag: created.etag.clone(),
                    ..Default::default()
                },
                &["display_name", "stages"],
            )
            .await
            .expect("rename and add a stage");
        assert_eq!(updated.display_name, "Projects (renamed)");
        assert_eq!(updated.stages, stages);
        assert_eq!(stage_keys(&updated), ["DISCOVERY", "DEMO", "TRIAL", "OFFER", "DONE", "DROPPED"]);
        assert_eq!(updated.qualification_stage_key, "DEMO", "not in the mask: kept");
        assert_ne!(updated.etag, created.etag);
        assert_eq!(f.get_pipeline(&created.id).await, updated);

        // Remove the unused stage again.
        let mut fewer = updated.stages.clone();
        fewer.retain(|s| s.key != "TRIAL");
        let trimmed = f
            .try_update_pipeline(
                pb::Pipeline {
                    id: created.id.clone(),
                    stages: fewer,
                    ..Default::default()
                },
                &["stages"],
            )
            .await
            .expect("remove an unused stage");
        assert_eq!(stage_keys(&trimmed), ["DISCOVERY", "DEMO", "OFFER", "DONE", "DROPPED"]);
        assert_eq!(trimmed.display_name, "Projects (renamed)");

        // A stale etag is refused.
        let status = f
            .try_update_pipeline(
                pb::Pipeline {
                    id: created.id.clone(),
                    display_name: "Stale".to_owned(),
                    etag: created.etag.clone(),
                    ..Default::default()
                },
                &["display_name"],
            )
            .await
            .unwrap_err();
        assert_error(&status, Code::Aborted);
        // A malformed replacement names the field.
        let mut bad = trimmed.stages.clone();
        bad[0].probability = 140;
        let status = f
            .try_update_pipeline(
                pb::Pipeline {
                    id: created.id.clone(),
                    stages: bad,
                    ..Default::default()
                },
                &["stages"],
            )
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "pipeline.stages[0].probability");
        assert_eq!(f.get_pipeline(&created.id).await, trimmed, "refusals change nothing");
    }

    async fn a_pipeline_keeps_every_stage_an_opportunity_is_in(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let created = f.try_create_pipeline(custom_pipeline()).await.unwrap();
        let deal = f
            .create(pb::Opportunity {
                pipeline_id: created.id.clone(),
                ..f.deal("Discovery deal")
            })
            .await;
        assert_eq!(deal.stage, "DISCOVERY");

        let without = |key: &str| {
            let mut stages = created.stages.clone();
            stages.retain(|s| s.key != key);
            pb::Pipeline {
                id: created.id.clone(),
                stages,
                ..Default::default()
            }
        };
        let status = f.try_update_pipeline(without("DISCOVERY"), &["stages"]).await.unwrap_err();
        assert_failed_precondition(&status, "STAGE_IN_USE");
        assert_eq!(f.get_pipeline(&created.id).await, created, "a refused update changes nothing");
        assert_eq!(f.get(&deal.id).await.stage, "DISCOVERY");

        // A closed opportunity holds its closed stage too.
        let lost = f
            .create(pb::Opportunity {
                pipeline_id: created.id.clone(),
                ..f.deal("Dropped deal")
            })
            .await;
        f.close(&lost.id, Outcome::Lost, "PRICE").await;
        let mut renamed_lost = created.stages.clone();
        renamed_lost[4] = lost_stage("GONE");
        let status = f
            .try_update_pipeline(
                pb::Pipeline {
                    id: created.id.clone(),
                    stages: renamed_lost,
                    ..Default::default()
                },
                &["stages"],
            )
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "STAGE_IN_USE");
        assert_eq!(f.get_pipeline(&created.id).await, created);

        // Stages nobody is in may go; a kept stage may change, and its opportunities follow.
        let mut changed = without("OFFER");
        changed.stages[0].probability = 25;
        changed.stages[0].forecast_category = ForecastCategory::BestCase as i32;
        let updated = f.try_update_pipeline(changed, &["stages"]).await.expect("drop OFFER");
        assert_eq!(stage_keys(&updated), ["DISCOVERY", "DEMO", "DONE", "DROPPED"]);
        let in_discovery = f.get(&deal.id).await;
        assert_eq!(in_discovery.probability, 25);
        assert_eq!(in_discovery.forecast_category, ForecastCategory::BestCase as i32);
        // So may the one in use, once the opportunity moved on (MAN first: DEMO needs it).
        let mut qualified = f.get(&deal.id).await;
        qualified.qualification = man();
        f.try_update(qualified, &["qualification"]).await.expect("qualify");
        f.move_to(&deal.id, "DEMO").await;
        let mut stages = updated.stages.clone();
        stages.retain(|s| s.key != "DISCOVERY");
        let last = f
            .try_update_pipeline(
                pb::Pipeline {
                    id: created.id.clone(),
                    stages,
                    ..Default::default()
                },
                &["stages"],
            )
            .await
            .expect("drop the stage nobody is in any more");
        assert_eq!(stage_keys(&last), ["DEMO", "DONE", "DROPPED"]);
    }

    // ----- create -----

    async fn a_new_opportunity_gets_the_defaults_and_one_history_row(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let created = f.create(f.deal("Pumps for plant 2")).await;
        assert!(Uuid::parse_str(&created.id).is_ok_and(|id| id.get_version_num() == 7));
        assert_eq!(created.account_id, f.account.id);
        assert_eq!(created.pipeline_id, DEFAULT_PIPELINE);
        assert_eq!(created.stage, "LEAD");
        assert_eq!(created.display_name, "Pumps for plant 2");
        assert_eq!(created.owner_staff_id, f.owner.id);
        assert_eq!(created.probability, 10);
        assert_eq!(created.probability_override, None);
        assert_eq!(created.forecast_category, ForecastCategory::Pipeline as i32);
        assert_eq!(created.forecast_category_override, ForecastCategory::Unspecified as i32);
        assert_eq!(created.outcome, Outcome::Unspecified as i32);
        assert!(created.close_time.is_none());
        assert!(created.close_reason.is_empty());
        assert!(created.stage_enter_time.is_some());
        assert!(created.create_time.is_some() && created.update_time.is_some());
        assert!(!created.etag.is_empty());
        assert_eq!(f.get(&created.id).await, created);

        let history = f.history(&created.id).await;
        assert_eq!(moves(&history), [("", "LEAD", "")]);
        assert_eq!(history[0].opportunity_id, created.id);
        assert_eq!(history[0].changed_by, f.caller_staff_id);
        assert!(history[0].change_time.is_some());
    }

    async fn creating_in_a_qualified_stage_needs_man(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        for stage in ["QUALIFIED", "PROPOSAL", "NEGOTIATION"] {
            for qualification in [None, no_need()] {
                let status = f
                    .try_create(pb::Opportunity {
                        stage: stage.to_owned(),
                        qualification,
                        ..f.deal("Unqualified")
                    })
                    .await
                    .unwrap_err();
                assert_failed_precondition(&status, "MAN_REQUIRED");
            }
        }
        assert_eq!(f.opportunity_rows().await, 0);
        // Before the qualification stage MAN is not needed.
        let contacted = f
            .create(pb::Opportunity {
                stage: "CONTACTED".to_owned(),
                ..f.deal("Early")
            })
            .await;
        assert_eq!((contacted.stage.as_str(), contacted.probability), ("CONTACTED", 20));
        let qualified = f.create_in("QUALIFIED", "Qualified").await;
        assert_eq!(qualified.stage, "QUALIFIED");
        assert_eq!(qualified.probability, 40);
        assert_eq!(qualified.qualification, man());
        assert_eq!(moves(&f.history(&qualified.id).await), [("", "QUALIFIED", "")]);
        assert_eq!(f.opportunity_rows().await, 2);
    }

    async fn creating_needs_an_open_stage_of_the_pipeline(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        for (stage, rule) in [
            ("WON", "CLOSE_THROUGH_CLOSE"),
            ("LOST", "CLOSE_THROUGH_CLOSE"),
            ("NOPE", "STAGE_NOT_IN_PIPELINE"),
        ] {
            let status = f
                .try_create(pb::Opportunity {
                    stage: stage.to_owned(),
                    qualification: man(),
                    ..f.deal("Closed at birth")
                })
                .await
                .unwrap_err();
            assert_failed_precondition(&status, rule);
        }
        let status = f
            .try_create(pb::Opportunity {
                stage: "proposal".to_owned(),
                ..f.deal("Lower case")
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "opportunity.stage");
        assert_eq!(f.opportunity_rows().await, 0);
        assert_eq!(f.count("SELECT count(*) FROM opportunity_stage_changes").await, 0);
    }

    async fn opportunities_belong_to_a_live_account_and_active_owners(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deleted = create_account(server, "Deleted Account").await;
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest {
                id: deleted.id.clone(),
                etag: String::new(),
            })
            .await
            .expect("delete the account");
        let status = f
            .try_create(pb::Opportunity {
                account_id: deleted.id.clone(),
                ..f.deal("On a deleted account")
            })
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "ACCOUNT_DELETED");

        let status = f
            .try_create(pb::Opportunity {
                account_id: Uuid::now_v7().to_string(),
                ..f.deal("On no account")
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::NotFound);

        let leaver = server.create_staff(StaffLevel::Staff).await;
        deactivate(server, &leaver.id).await.expect("deactivate a person without responsibilities");
        let status = f
            .try_create(pb::Opportunity {
                owner_staff_id: leaver.id.clone(),
                ..f.deal("Owned by a leaver")
            })
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "STAFF_INACTIVE");

        // Required fields.
        for (opportunity, field) in [
            (pb::Opportunity { account_id: String::new(), ..f.deal("No account") }, "opportunity.account_id"),
            (pb::Opportunity { owner_staff_id: String::new(), ..f.deal("No owner") }, "opportunity.owner_staff_id"),
            (f.deal(""), "opportunity.display_name"),
        ] {
            let status = f.try_create(opportunity).await.unwrap_err();
            assert_invalid_argument(&status, field);
        }
        assert_eq!(f.opportunity_rows().await, 0);

        // An active owner on a live account is fine; and a changed owner must be active too.
        let deal = f.create(f.deal("Fine")).await;
        let before = f.snapshot(&deal.id).await;
        let status = f
            .try_update(
                pb::Opportunity {
                    id: deal.id.clone(),
                    owner_staff_id: leaver.id.clone(),
                    ..Default::default()
                },
                &["owner_staff_id"],
            )
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "STAFF_INACTIVE");
        f.assert_unchanged(&before, "a refused owner change").await;
    }

    async fn the_stage_owner_specialises_in_the_stage(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let lead_specialist = specialist(server, &["LEAD"]).await;
        let proposal_specialist = specialist(server, &["PROPOSAL", "NEGOTIATION"]).await;
        let generalist = server.create_staff(StaffLevel::Staff).await;
        for person in [&proposal_specialist, &generalist] {
            let status = f
                .try_create(pb::Opportunity {
                    stage_owner_staff_id: person.id.clone(),
                    ..f.deal("Wrong stage owner")
                })
                .await
                .unwrap_err();
            assert_failed_precondition(&status, "STAGE_OWNER_NOT_SPECIALIST");
        }
        assert_eq!(f.opportunity_rows().await, 0);
        let created = f
            .create(pb::Opportunity {
                stage_owner_staff_id: lead_specialist.id.clone(),
                ..f.deal("Right stage owner")
            })
            .await;
        assert_eq!(created.stage_owner_staff_id, lead_specialist.id);
        let in_proposal = f
            .create(pb::Opportunity {
                stage: "PROPOSAL".to_owned(),
                qualification: man(),
                stage_owner_staff_id: proposal_specialist.id.clone(),
                ..f.deal("Proposal owner")
            })
            .await;
        assert_eq!(in_proposal.stage_owner_staff_id, proposal_specialist.id);

        // The same rule on update.
        let before = f.snapshot(&created.id).await;
        let status = f
            .try_update(
                pb::Opportunity {
                    id: created.id.clone(),
                    stage_owner_staff_id: generalist.id.clone(),
                    ..Default::default()
                },
                &["stage_owner_staff_id"],
            )
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "STAGE_OWNER_NOT_SPECIALIST");
        f.assert_unchanged(&before, "a refused stage owner").await;
    }

    async fn malformed_deals_are_invalid_arguments(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let cases = [
            (
                pb::Opportunity { amount: money("eur", 100), ..f.deal("Lower-case currency") },
                "opportunity.amount.currency_code",
            ),
            (
                pb::Opportunity { amount: money("", 100), ..f.deal("No currency") },
                "opportunity.amount.currency_code",
            ),
            (
                pb::Opportunity { amount: money("EUR", -5), ..f.deal("Negative") },
                "opportunity.amount",
            ),
            (
                pb::Opportunity { probability_override: Some(101), ..f.deal("Too likely") },
                "opportunity.probability_override",
            ),
            (
                pb::Opportunity { probability_override: Some(-1), ..f.deal("Less than never") },
                "opportunity.probability_override",
            ),
            (
                pb::Opportunity {
                    forecast_category_override: ForecastCategory::Closed as i32,
                    ..f.deal("Closed by override")
                },
                "opportunity.forecast_category_override",
            ),
        ];
        for (opportunity, field) in cases {
            let status = f.try_create(opportunity).await.unwrap_err();
            assert_invalid_argument(&status, field);
        }
        assert_eq!(f.opportunity_rows().await, 0);

        let priced = f
            .create(pb::Opportunity {
                amount: Some(pb::Money {
                    currency_code: "EUR".to_owned(),
                    units: 125_000,
                    nanos: 500_000_000,
                }),
                expected_close_date: Some(pb::Date { year: 2027, month: 3, day: 31 }),
                competitors: vec!["Acme".to_owned(), "Globex".to_owned()],
                source: "Trade fair".to_owned(),
                next_step: "Send the offer".to_owned(),
                external_id: "ERP-1".to_owned(),
                ..f.deal("Priced")
            })
            .await;
        assert_eq!(
            priced.amount,
            Some(pb::Money { currency_code: "EUR".to_owned(), units: 125_000, nanos: 500_000_000 })
        );
        assert_eq!(priced.expected_close_date, Some(pb::Date { year: 2027, month: 3, day: 31 }));
        assert_eq!(priced.competitors, ["Acme", "Globex"]);
        assert_eq!(f.get(&priced.id).await, priced);

        // The same validation on update.
        let before = f.snapshot(&priced.id).await;
        let status = f
            .try_update(
                pb::Opportunity { id: priced.id.clone(), amount: money("EUR", -1), ..Default::default() },
                &["amount"],
            )
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "opportunity.amount");
        let status = f
            .try_update(
                pb::Opportunity {
                    id: priced.id.clone(),
                    forecast_category_override: ForecastCategory::Closed as i32,
                    ..Default::default()
                },
                &["forecast_category_override"],
            )
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "opportunity.forecast_category_override");
        f.assert_unchanged(&before, "a refused update").await;
    }

    async fn request_id_makes_create_idempotent_and_external_ids_are_unique(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let request = pb::CreateOpportunityRequest {
            opportunity: Some(f.deal("Retried")),
            request_id: Uuid::now_v7().to_string(),
        };
        let first = f.client.create_opportunity(request.clone()).await.unwrap().into_inner();
        let second = f.client.create_opportunity(request.clone()).await.unwrap().into_inner();
        assert_eq!(first.id, second.id, "a retried create answers the first opportunity");
        assert_eq!(f.opportunity_rows().await, 1);
        assert_eq!(f.history(&first.id).await.len(), 1);
        // The same request_id with another request is refused.
        let status = f
            .client
            .create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(f.deal("Something else")),
                ..request
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "request_id");

        let erp = f
            .create(pb::Opportunity { external_id: "ERP-42".to_owned(), ..f.deal("From the ERP") })
            .await;
        assert_eq!(erp.external_id, "ERP-42");
        let status = f
            .try_create(pb::Opportunity { external_id: "ERP-42".to_owned(), ..f.deal("Duplicate") })
            .await
            .unwrap_err();
        assert_error(&status, Code::AlreadyExists);
        // Also when an update would take it.
        let before = f.snapshot(&first.id).await;
        let status = f
            .try_update(
                pb::Opportunity { id: first.id.clone(), external_id: "ERP-42".to_owned(), ..Default::default() },
                &["external_id"],
            )
            .await
            .unwrap_err();
        assert_error(&status, Code::AlreadyExists);
        f.assert_unchanged(&before, "a refused external_id").await;
        assert_eq!(f.opportunity_rows().await, 2);
    }

    // ----- probability and forecast category -----

    async fn overrides_win_until_the_next_stage_change(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let created = f
            .create(pb::Opportunity {
                probability_override: Some(55),
                forecast_category_override: ForecastCategory::Commit as i32,
                ..f.deal("Hot lead")
            })
            .await;
        assert_eq!(created.stage, "LEAD");
        assert_eq!(created.probability, 55, "the override wins over LEAD's 10");
        assert_eq!(created.probability_override, Some(55));
        assert_eq!(created.forecast_category, ForecastCategory::Commit as i32);
        assert_eq!(created.forecast_category_override, ForecastCategory::Commit as i32);

        // An override of 0 is an override too.
        let updated = f
            .try_update(
                pb::Opportunity {
                    id: created.id.clone(),
                    probability_override: Some(0),
                    forecast_category_override: ForecastCategory::Omitted as i32,
                    ..Default::default()
                },
                &["probability_override", "forecast_category_override"],
            )
            .await
            .expect("change the overrides");
        assert_eq!(updated.probability, 0);
        assert_eq!(updated.forecast_category, ForecastCategory::Omitted as i32);

        // A stage change ends the overrides: the new stage's defaults apply.
        let moved = f.move_to(&created.id, "CONTACTED").await;
        assert_eq!(moved.probability, 20);
        assert_eq!(moved.probability_override, None);
        assert_eq!(moved.forecast_category, ForecastCategory::Pipeline as i32);
        assert_eq!(moved.forecast_category_override, ForecastCategory::Unspecified as i32);
        assert_eq!(f.get(&created.id).await, moved);

        // Clearing the override through the mask falls back to the stage's.
        let overridden = f
            .try_update(
                pb::Opportunity { id: created.id.clone(), probability_override: Some(90), ..Default::default() },
                &["probability_override"],
            )
            .await
            .unwrap();
        assert_eq!(overridden.probability, 90);
        let cleared = f
            .try_update(
                pb::Opportunity { id: created.id.clone(), ..Default::default() },
                &["probability_override"],
            )
            .await
            .unwrap();
        assert_eq!(cleared.probability_override, None);
        assert_eq!(cleared.probability, 20);
    }

    // ----- moves -----

    async fn moves_go_forward_back_and_skip_and_are_recorded(server: &TestServer) {
        let mut admin = Funnel::new(server).await;
        let deal = admin.create(pb::Opportunity { qualification: man(), ..admin.deal("Moving deal") }).await;
        let manager = server.caller_with_roles(&[Role::Manager]).await;
        let mut f = admin.as_caller(&manager);
        let mut last_enter = instant(&deal.stage_enter_time);
        let mut etag = deal.etag.clone();
        for (to, probability) in [("CONTACTED", 20), ("NEGOTIATION", 80), ("QUALIFIED", 40), ("PROPOSAL", 60)] {
            let moved = f.move_to(&deal.id, to).await;
            assert_eq!(moved.stage, to);
            assert_eq!(moved.probability, probability);
            assert!(instant(&moved.stage_enter_time) >= last_enter, "the stage enter time moves on");
            assert_ne!(moved.etag, etag);
            last_enter = instant(&moved.stage_enter_time);
            etag = moved.etag.clone();
        }
        let history = f.history(&deal.id).await;
        assert_eq!(
            moves(&history),
            [
                ("", "LEAD", ""),
                ("LEAD", "CONTACTED", ""),
                ("CONTACTED", "NEGOTIATION", ""),
                ("NEGOTIATION", "QUALIFIED", ""),
                ("QUALIFIED", "PROPOSAL", ""),
            ]
        );
        assert_eq!(history[0].changed_by, admin.caller_staff_id);
        assert!(history[1..].iter().all(|c| c.changed_by == manager.staff_id), "{history:?}");
        assert!(history.windows(2).all(|w| instant(&w[0].change_time) <= instant(&w[1].change_time)));
        assert_eq!(f.events("OpportunityStageChanged").await, 4);

        // Moving with a stale etag is refused; the current one works.
        let before = f.snapshot(&deal.id).await;
        let status = f
            .client
            .move_opportunity_stage(pb::MoveOpportunityStageRequest {
                id: deal.id.clone(),
                stage: "NEGOTIATION".to_owned(),
                stage_owner_staff_id: String::new(),
                etag: deal.etag.clone(),
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::Aborted);
        f.assert_unchanged(&before, "a stale move").await;
        f.client
            .move_opportunity_stage(pb::MoveOpportunityStageRequest {
                id: deal.id.clone(),
                stage: "NEGOTIATION".to_owned(),
                stage_owner_staff_id: String::new(),
                etag,
            })
            .await
            .expect("move with the current etag");
        assert_eq!(f.events("OpportunityStageChanged").await, 5);
    }

    async fn moving_into_a_qualified_stage_needs_man(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create(pb::Opportunity { qualification: no_need(), ..f.deal("Half qualified") }).await;
        let before = f.snapshot(&deal.id).await;
        for stage in ["QUALIFIED", "PROPOSAL", "NEGOTIATION"] {
            let status = f.try_move(&deal.id, stage, "").await.unwrap_err();
            assert_failed_precondition(&status, "MAN_REQUIRED");
        }
        f.assert_unchanged(&before, "a refused move").await;
        assert_eq!(f.events("OpportunityStageChanged").await, 0);
        f.move_to(&deal.id, "CONTACTED").await;
        // Confirm the need, then the move goes through.
        f.try_update(
            pb::Opportunity { id: deal.id.clone(), qualification: man(), ..Default::default() },
            &["qualification"],
        )
        .await
        .expect("confirm the need");
        assert_eq!(f.move_to(&deal.id, "QUALIFIED").await.stage, "QUALIFIED");
    }

    async fn won_and_lost_are_reached_only_by_closing(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create_in("NEGOTIATION", "Almost there").await;
        let before = f.snapshot(&deal.id).await;
        for stage in ["WON", "LOST"] {
            let status = f.try_move(&deal.id, stage, "").await.unwrap_err();
            assert_failed_precondition(&status, "CLOSE_THROUGH_CLOSE");
        }
        let status = f.try_move(&deal.id, "SIGNED", "").await.unwrap_err();
        assert_failed_precondition(&status, "STAGE_NOT_IN_PIPELINE");
        let status = f.try_move(&deal.id, "", "").await.unwrap_err();
        assert_invalid_argument(&status, "stage");
        f.assert_unchanged(&before, "a refused move").await;
        assert_eq!(f.events("OpportunityStageChanged").await, 0);
    }

    async fn the_stage_owner_follows_the_specialty_on_moves(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let early = specialist(server, &["LEAD", "CONTACTED"]).await;
        let closer = specialist(server, &["PROPOSAL", "NEGOTIATION"]).await;
        let deal = f
            .create(pb::Opportunity {
                qualification: man(),
                stage_owner_staff_id: early.id.clone(),
                ..f.deal("Handed along")
            })
            .await;
        // Kept: the stage owner also specialises in CONTACTED.
        let moved = f.move_to(&deal.id, "CONTACTED").await;
        assert_eq!(moved.stage_owner_staff_id, early.id);
        // Cleared: nobody named and the stage owner does not specialise in QUALIFIED.
        let moved = f.move_to(&deal.id, "QUALIFIED").await;
        assert_eq!(moved.stage_owner_staff_id, "");
        // Naming someone who does not specialise in the new stage is refused.
        let before = f.snapshot(&deal.id).await;
        let status = f.try_move(&deal.id, "PROPOSAL", &early.id).await.unwrap_err();
        assert_failed_precondition(&status, "STAGE_OWNER_NOT_SPECIALIST");
        f.assert_unchanged(&before, "a move naming a non-specialist").await;
        // Naming a specialist of the new stage sets them.
        let moved = f.try_move(&deal.id, "PROPOSAL", &closer.id).await.expect("move with a specialist");
        assert_eq!(moved.stage_owner_staff_id, closer.id);
        let moved = f.move_to(&deal.id, "NEGOTIATION").await;
        assert_eq!(moved.stage_owner_staff_id, closer.id, "kept: also a NEGOTIATION specialist");
        // Naming a specialist replaces one who would have been kept.
        let other_closer = specialist(server, &["PROPOSAL"]).await;
        let moved = f.try_move(&deal.id, "PROPOSAL", &other_closer.id).await.unwrap();
        assert_eq!(moved.stage_owner_staff_id, other_closer.id);
        assert_eq!(f.get(&deal.id).await.stage_owner_staff_id, other_closer.id);
    }

    // ----- update -----

    async fn updates_keep_man_and_the_stage_out_of_reach(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create_in("PROPOSAL", "Proposal out").await;

        // Clearing any MAN flag while in PROPOSAL is refused.
        let before = f.snapshot(&deal.id).await;
        for qualification in [
            pb::Qualification { budget_confirmed: false, ..man().unwrap() },
            pb::Qualification { authority_confirmed: false, ..man().unwrap() },
            pb::Qualification { need_confirmed: false, ..man().unwrap() },
        ] {
            let status = f
                .try_update(
                    pb::Opportunity {
                        id: deal.id.clone(),
                        qualification: Some(qualification),
                        ..Default::default()
                    },
                    &["qualification"],
                )
                .await
                .unwrap_err();
            assert_failed_precondition(&status, "MAN_REQUIRED");
        }
        f.assert_unchanged(&before, "clearing a MAN flag").await;

        // Output-only fields in the mask are ignored; the rest is applied.
        let updated = f
            .try_update(
                pb::Opportunity {
                    id: deal.id.clone(),
                    stage: "LEAD".to_owned(),
                    probability: 99,
                    outcome: Outcome::Won as i32,
                    close_reason: "PRICE".to_owned(),
                    next_step: "Call the buyer".to_owned(),
                    ..Default::default()
                },
                &["stage", "probability", "outcome", "close_reason", "next_step"],
            )
            .await
            .expect("update with output-only paths");
        assert_eq!(updated.next_step, "Call the buyer");
        assert_eq!(updated.stage, "PROPOSAL");
        assert_eq!(updated.probability, 60);
        assert_eq!(updated.outcome, Outcome::Unspecified as i32);
        assert!(updated.close_reason.is_empty());
        assert_eq!(updated.display_name, deal.display_name, "outside the mask: kept");
        assert_eq!(updated.qualification, man());
        assert_ne!(updated.etag, deal.etag);
        assert_eq!(f.history(&deal.id).await.len(), 1, "an update is no stage change");

        // account_id (and pipeline_id) are immutable.
        let before = f.snapshot(&deal.id).await;
        let other = create_account(server, "Other Account").await;
        let status = f
            .try_update(
                pb::Opportunity { id: deal.id.clone(), account_id: other.id.clone(), ..Default::default() },
                &["account_id"],
            )
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "update_mask");
        let status = f
            .try_update(
                pb::Opportunity {
                    id: deal.id.clone(),
                    pipeline_id: DEFAULT_PIPELINE.to_owned(),
                    ..Default::default()
                },
                &["pipeline_id"],
            )
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "update_mask");
        // A stale etag is refused.
        let status = f
            .try_update(
                pb::Opportunity {
                    id: deal.id.clone(),
                    next_step: "Stale".to_owned(),
                    etag: deal.etag.clone(),
                    ..Default::default()
                },
                &["next_step"],
            )
            .await
            .unwrap_err();
        assert_error(&status, Code::Aborted);
        f.assert_unchanged(&before, "a refused update").await;
        assert_eq!(f.get(&deal.id).await.account_id, f.account.id);
    }

    // ----- close -----

    async fn closing_as_won_needs_man_and_lost_works_from_anywhere(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let lead = f.create(f.deal("Unqualified lead")).await;
        let before = f.snapshot(&lead.id).await;
        let status = f.try_close(&lead.id, Outcome::Won, "PRICE", "").await.unwrap_err();
        assert_failed_precondition(&status, "MAN_REQUIRED");
        f.assert_unchanged(&before, "a refused win").await;
        assert_eq!(f.events("OpportunityClosed").await, 0);

        // LOST from LEAD, without MAN, with a competitor.
        let lost = f.try_close(&lead.id, Outcome::Lost, "PRICE", "Acme").await.expect("lose");
        assert_eq!(lost.stage, "LOST");
        assert_eq!(lost.outcome, Outcome::Lost as i32);
        assert_eq!(lost.close_reason, "PRICE");
        assert_eq!(lost.lost_to_competitor, "Acme");
        assert_eq!(lost.probability, 0);
        assert_eq!(lost.forecast_category, ForecastCategory::Omitted as i32);
        assert!(lost.close_time.is_some());
        assert_eq!(f.get(&lead.id).await, lost);
        assert_eq!(f.events("OpportunityClosed").await, 1);
        let history = f.history(&lead.id).await;
        assert_eq!(moves(&history), [("", "LEAD", ""), ("LEAD", "LOST", "PRICE")]);

        // WON from NEGOTIATION, with MAN; the overrides end with the close.
        let deal = f.create_in("NEGOTIATION", "Big win").await;
        let overridden = f
            .try_update(
                pb::Opportunity {
                    id: deal.id.clone(),
                    probability_override: Some(70),
                    forecast_category_override: ForecastCategory::BestCase as i32,
                    ..Default::default()
                },
                &["probability_override", "forecast_category_override"],
            )
            .await
            .unwrap();
        assert_eq!(overridden.probability, 70);
        let won = f
            .client
            .close_opportunity(pb::CloseOpportunityRequest {
                id: deal.id.clone(),
                outcome: Outcome::Won as i32,
                reason_code: "PRODUCT_FIT".to_owned(),
                note: "Signed on site".to_owned(),
                lost_to_competitor: String::new(),
                etag: overridden.etag.clone(),
            })
            .await
            .expect("win")
            .into_inner();
        assert_eq!(won.stage, "WON");
        assert_eq!(won.outcome, Outcome::Won as i32);
        assert_eq!(won.close_reason, "PRODUCT_FIT");
        assert_eq!(won.close_note, "Signed on site");
        assert_eq!(won.lost_to_competitor, "");
        assert_eq!(won.probability, 100);
        assert_eq!(won.forecast_category, ForecastCategory::Closed as i32);
        assert!(won.close_time.is_some());
        assert_eq!(f.get(&deal.id).await, won);
        assert_eq!(f.events("OpportunityClosed").await, 2);
        assert_eq!(
            moves(&f.history(&deal.id).await),
            [("", "NEGOTIATION", ""), ("NEGOTIATION", "WON", "PRODUCT_FIT")]
        );
        // Closing is no move.
        assert_eq!(f.events("OpportunityStageChanged").await, 0);
    }

    async fn close_requests_are_validated(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create_in("PROPOSAL", "To close").await;
        f.try_update(
            pb::Opportunity { id: deal.id.clone(), next_step: "Call".to_owned(), ..Default::default() },
            &["next_step"],
        )
        .await
        .expect("change the deal, so its first etag is stale");
        let before = f.snapshot(&deal.id).await;
        let status = f.try_close(&deal.id, Outcome::Unspecified, "PRICE", "").await.unwrap_err();
        assert_invalid_argument(&status, "outcome");
        let status = f.try_close(&deal.id, Outcome::Lost, "", "").await.unwrap_err();
        assert_invalid_argument(&status, "reason_code");
        let status = f.try_close(&deal.id, Outcome::Lost, "too expensive", "").await.unwrap_err();
        assert_invalid_argument(&status, "reason_code");
        let status = f.try_close(&deal.id, Outcome::Won, "PRICE", "Acme").await.unwrap_err();
        assert_invalid_argument(&status, "lost_to_competitor");
        let status = f
            .client
            .close_opportunity(pb::CloseOpportunityRequest {
                id: deal.id.clone(),
                outcome: Outcome::Lost as i32,
                reason_code: "PRICE".to_owned(),
                etag: deal.etag.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_error(&status, Code::Aborted);
        f.assert_unchanged(&before, "a refused close").await;
        assert_eq!(f.events("OpportunityClosed").await, 0);
    }

    async fn a_closed_opportunity_is_frozen_until_reopened(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create_in("PROPOSAL", "Frozen").await;
        f.close(&deal.id, Outcome::Won, "RELATIONSHIP").await;
        let closed = f.snapshot(&deal.id).await;
        for outcome in [Outcome::Won, Outcome::Lost] {
            let status = f.try_close(&deal.id, outcome, "PRICE", "").await.unwrap_err();
            assert_failed_precondition(&status, "OPPORTUNITY_CLOSED");
        }
        let status = f.try_move(&deal.id, "NEGOTIATION", "").await.unwrap_err();
        assert_failed_precondition(&status, "OPPORTUNITY_CLOSED");
        let status = f
            .try_update(
                pb::Opportunity { id: deal.id.clone(), next_step: "Upsell".to_owned(), ..Default::default() },
                &["next_step"],
            )
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "OPPORTUNITY_CLOSED");
        f.assert_unchanged(&closed, "a change to a closed opportunity").await;
        assert_eq!(f.events("OpportunityClosed").await, 1);
        assert_eq!(f.events("OpportunityStageChanged").await, 0);
    }

    // ----- reopen -----

    async fn reopening_puts_a_closed_opportunity_back(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create_in("PROPOSAL", "Second chance").await;

        // Only a closed opportunity is reopened.
        let before = f.snapshot(&deal.id).await;
        let status = f.try_reopen(&deal.id, "", "Back again").await.unwrap_err();
        assert_failed_precondition(&status, "OPPORTUNITY_OPEN");
        f.assert_unchanged(&before, "reopening an open opportunity").await;

        f.client
            .close_opportunity(pb::CloseOpportunityRequest {
                id: deal.id.clone(),
                outcome: Outcome::Lost as i32,
                reason_code: "TIMING".to_owned(),
                note: "Budget frozen".to_owned(),
                lost_to_competitor: "Acme".to_owned(),
                etag: String::new(),
            })
            .await
            .expect("lose");
        let closed = f.snapshot(&deal.id).await;
        let status = f.try_reopen(&deal.id, "", "").await.unwrap_err();
        assert_invalid_argument(&status, "reason");
        let status = f.try_reopen(&deal.id, "WON", "Won after all").await.unwrap_err();
        assert_failed_precondition(&status, "CLOSE_THROUGH_CLOSE");
        let status = f.try_reopen(&deal.id, "NOPE", "Somewhere").await.unwrap_err();
        assert_failed_precondition(&status, "STAGE_NOT_IN_PIPELINE");
        f.assert_unchanged(&closed, "a refused reopen").await;

        // By default back into the stage it was closed from.
        let reopened = f
            .try_reopen(&deal.id, "", "Budget released")
            .await
            .expect("reopen");
        assert_eq!(reopened.stage, "PROPOSAL");
        assert_eq!(reopened.outcome, Outcome::Unspecified as i32);
        assert!(reopened.close_time.is_none());
        assert_eq!(reopened.close_reason, "");
        assert_eq!(reopened.close_note, "");
        assert_eq!(reopened.lost_to_competitor, "");
        assert_eq!(reopened.probability, 60);
        assert_eq!(reopened.forecast_category, ForecastCategory::BestCase as i32);
        assert_eq!(reopened.qualification, man());
        assert_eq!(f.get(&deal.id).await, reopened);
        assert_eq!(
            moves(&f.history(&deal.id).await),
            [
                ("", "PROPOSAL", ""),
                ("PROPOSAL", "LOST", "TIMING"),
                ("LOST", "PROPOSAL", "Budget released"),
            ]
        );
        let history = f.history(&deal.id).await;
        assert!(history.iter().all(|c| c.changed_by == f.caller_staff_id), "{history:?}");
        // The history pages, oldest first.
        let first_page = f
            .client
            .list_stage_history(pb::ListStageHistoryRequest {
                opportunity_id: deal.id.clone(),
                page_size: 2,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first_page.changes, history[..2]);
        let second_page = f
            .client
            .list_stage_history(pb::ListStageHistoryRequest {
                opportunity_id: deal.id.clone(),
                page_size: 2,
                page_token: first_page.next_page_token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(second_page.changes, history[2..]);
        assert!(second_page.next_page_token.is_empty());
        // It is open again: it moves, and closes again.
        assert_eq!(f.move_to(&deal.id, "CONTACTED").await.stage, "CONTACTED");
        f.close(&deal.id, Outcome::Lost, "PRICE").await;
        // Into an explicit stage, and by default into the stage of the latest close.
        let reopened = f.try_reopen(&deal.id, "QUALIFIED", "New buyer").await.unwrap();
        assert_eq!((reopened.stage.as_str(), reopened.probability), ("QUALIFIED", 40));
        f.close(&deal.id, Outcome::Lost, "TIMING").await;
        let reopened = f.try_reopen(&deal.id, "", "Try again").await.unwrap();
        assert_eq!(reopened.stage, "QUALIFIED");
    }

    async fn a_won_deal_reopens_keeping_its_man(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create_in("NEGOTIATION", "Won then disputed").await;
        f.close(&deal.id, Outcome::Won, "PRODUCT_FIT").await;
        let reopened = f
            .try_reopen(&deal.id, "PROPOSAL", "Contract not signed")
            .await
            .expect("reopen a won deal into PROPOSAL");
        assert_eq!(reopened.stage, "PROPOSAL");
        assert_eq!(reopened.qualification, man());
        assert_eq!(reopened.outcome, Outcome::Unspecified as i32);
        assert_eq!(reopened.probability, 60);
        assert_eq!(
            moves(&f.history(&deal.id).await),
            [
                ("", "NEGOTIATION", ""),
                ("NEGOTIATION", "WON", "PRODUCT_FIT"),
                ("WON", "PROPOSAL", "Contract not signed"),
            ]
        );

        // Lost from LEAD without MAN: it does not come back into a stage that needs it.
        let lead = f.create(f.deal("Never qualified")).await;
        f.close(&lead.id, Outcome::Lost, "PRICE").await;
        let before = f.snapshot(&lead.id).await;
        let status = f.try_reopen(&lead.id, "PROPOSAL", "Maybe").await.unwrap_err();
        assert_failed_precondition(&status, "MAN_REQUIRED");
        f.assert_unchanged(&before, "a refused reopen").await;
        assert_eq!(f.try_reopen(&lead.id, "CONTACTED", "Maybe").await.unwrap().stage, "CONTACTED");
    }

    // ----- list -----

    async fn lists_filter_page_and_order(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let other_account = create_account(server, "Second Account").await;
        let other_owner = server.create_staff(StaffLevel::Staff).await;
        let custom = f.try_create_pipeline(custom_pipeline()).await.unwrap();

        let a = f.create(f.deal("Alpha pumps")).await;
        let b = f.create_in("PROPOSAL", "Beta valves").await;
        let c = f
            .create(pb::Opportunity {
                account_id: other_account.id.clone(),
                ..f.deal("Gamma PUMPS")
            })
            .await;
        let d = f
            .create(pb::Opportunity {
                owner_staff_id: other_owner.id.clone(),
                ..f.deal("Delta seals")
            })
            .await;
        let e = f
            .create(pb::Opportunity {
                pipeline_id: custom.id.clone(),
                ..f.deal("Epsilon project")
            })
            .await;
        let lost = f.create(f.deal("Zeta pumps lost")).await;
        f.close(&lost.id, Outcome::Lost, "PRICE").await;
        let all = [&a, &b, &c, &d, &e, &lost].map(|o| o.id.clone()).to_vec();

        let request = pb::ListOpportunitiesRequest::default;
        assert_eq!(f.list_ids(request()).await, all, "creation order by default");
        let ids = |list: &[&pb::Opportunity]| list.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { account_id: other_account.id.clone(), ..request() }).await,
            ids(&[&c])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { account_id: f.account.id.clone(), ..request() }).await,
            ids(&[&a, &b, &d, &e, &lost])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { pipeline_id: custom.id.clone(), ..request() }).await,
            ids(&[&e])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { pipeline_id: DEFAULT_PIPELINE.to_owned(), ..request() })
                .await,
            ids(&[&a, &b, &c, &d, &lost])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { owner_staff_id: other_owner.id.clone(), ..request() })
                .await,
            ids(&[&d])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { stage: "PROPOSAL".to_owned(), ..request() }).await,
            ids(&[&b])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { stage: "LEAD".to_owned(), ..request() }).await,
            ids(&[&a, &c, &d])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { stage: "LOST".to_owned(), ..request() }).await,
            ids(&[&lost])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest {
                stage: "DISCOVERY".to_owned(),
                pipeline_id: custom.id.clone(),
                ..request()
            })
            .await,
            ids(&[&e])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { open_only: true, ..request() }).await,
            ids(&[&a, &b, &c, &d, &e])
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { query: "pumps".to_owned(), ..request() }).await,
            ids(&[&a, &c, &lost]),
            "the query is a case-insensitive substring of the name"
        );
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest {
                query: "PUMPS".to_owned(),
                open_only: true,
                account_id: f.account.id.clone(),
                ..request()
            })
            .await,
            ids(&[&a])
        );

        // Pages of two walk everything once.
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = f
                .client
                .list_opportunities(pb::ListOpportunitiesRequest {
                    page_size: 2,
                    page_token: token.clone(),
                    ..request()
                })
                .await
                .expect("list a page")
                .into_inner();
            assert!(page.opportunities.len() <= 2);
            seen.extend(page.opportunities.into_iter().map(|o| o.id));
            pages += 1;
            assert!(pages <= 10, "paging does not end");
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, all);
        assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), all.len(), "no repeats");

        // Newest first, paged too.
        let mut newest_first = all.clone();
        newest_first.reverse();
        let desc = || pb::ListOpportunitiesRequest { order_by: "create_time desc".to_owned(), ..request() };
        assert_eq!(f.list_ids(desc()).await, newest_first);
        let first = f
            .client
            .list_opportunities(pb::ListOpportunitiesRequest { page_size: 4, ..desc() })
            .await
            .unwrap()
            .into_inner();
        let second = f
            .client
            .list_opportunities(pb::ListOpportunitiesRequest {
                page_size: 4,
                page_token: first.next_page_token.clone(),
                ..desc()
            })
            .await
            .unwrap()
            .into_inner();
        let walked: Vec<String> =
            first.opportunities.iter().chain(&second.opportunities).map(|o| o.id.clone()).collect();
        assert_eq!(walked, newest_first);
        assert!(second.next_page_token.is_empty());
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { order_by: "create_time".to_owned(), ..request() }).await,
            all
        );

        let status = f
            .client
            .list_opportunities(pb::ListOpportunitiesRequest { order_by: "display_name".to_owned(), ..request() })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "order_by");
    }

    // ----- MEMBER row-level access -----

    async fn a_member_works_only_the_opportunities_of_its_teams(server: &TestServer) {
        let admin = Funnel::new(server).await;
        let on_team = server.member_on_team(&admin.account.id).await;
        let elsewhere = create_account(server, "Elsewhere").await;
        let off_team = server.member_on_team(&elsewhere.id).await;

        // The MEMBER on the team creates, reads and moves an opportunity of its account.
        let mut member = admin.as_caller(&on_team);
        let created = member
            .create(pb::Opportunity {
                owner_staff_id: on_team.staff_id.clone(),
                ..member.deal("Member deal")
            })
            .await;
        assert_eq!(member.get(&created.id).await, created);
        let moved = member.move_to(&created.id, "CONTACTED").await;
        assert_eq!(moved.stage, "CONTACTED");
        let history = member.history(&created.id).await;
        assert_eq!(moves(&history), [("", "LEAD", ""), ("LEAD", "CONTACTED", "")]);
        assert!(history.iter().all(|c| c.changed_by == on_team.staff_id));
        assert_eq!(member.list_ids(pb::ListOpportunitiesRequest::default()).await, std::slice::from_ref(&created.id));

        // The MEMBER off the team is refused everything about it, as it is for an id that does not exist.
        let mut outsider = admin.as_caller(&off_team);
        let before = member.snapshot(&created.id).await;
        let denied = |status: Status, what: &str| {
            assert_eq!(status.code(), Code::PermissionDenied, "{what}: {status:?}");
            assert_error(&status, Code::PermissionDenied);
        };
        denied(outsider.try_get(&created.id).await.unwrap_err(), "get");
        denied(outsider.try_get(&Uuid::now_v7().to_string()).await.unwrap_err(), "get a random id");
        denied(outsider.try_history(&created.id).await.unwrap_err(), "history");
        denied(
            outsider.try_history(&Uuid::now_v7().to_string()).await.unwrap_err(),
            "history of a random id",
        );
        denied(
            outsider
                .try_update(
                    pb::Opportunity { id: created.id.clone(), next_step: "Steal".to_owned(), ..Default::default() },
                    &["next_step"],
                )
                .await
                .unwrap_err(),
            "update",
        );
        denied(outsider.try_move(&created.id, "LEAD", "").await.unwrap_err(), "move");
        denied(
            outsider.try_close(&created.id, Outcome::Lost, "PRICE", "").await.unwrap_err(),
            "close",
        );
        denied(
            outsider
                .try_create(pb::Opportunity {
                    owner_staff_id: off_team.staff_id.clone(),
                    ..outsider.deal("Not my account")
                })
                .await
                .unwrap_err(),
            "create",
        );
        assert!(outsider.list_ids(pb::ListOpportunitiesRequest::default()).await.is_empty());
        assert!(
            outsider
                .list_ids(pb::ListOpportunitiesRequest { account_id: admin.account.id.clone(), ..Default::default() })
                .await
                .is_empty()
        );
        member.assert_unchanged(&before, "a refused outsider").await;
        assert_eq!(member.opportunity_rows().await, 1);

        // Closed, the outsider cannot reopen it either.
        member.close(&created.id, Outcome::Lost, "PRICE").await;
        denied(outsider.try_reopen(&created.id, "", "Mine now").await.unwrap_err(), "reopen");
        assert_eq!(member.get(&created.id).await.outcome, Outcome::Lost as i32);
    }

    // ----- the handover -----

    async fn workload_counts_open_opportunities(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let workload = |staff_id: String| async move {
            server
                .teams()
                .get_workload(pb::GetWorkloadRequest { staff_ids: vec![staff_id] })
                .await
                .expect("get the workload")
                .into_inner()
                .workloads
                .into_iter()
                .next()
                .expect("one workload")
        };
        let open = |w: &pb::Workload| w.open_items.get("opportunities").copied().unwrap_or_default();
        assert_eq!(open(&workload(f.owner.id.clone()).await), 0);
        let first = f.create(f.deal("One")).await;
        f.create_in("PROPOSAL", "Two").await;
        let third = f.create(f.deal("Three")).await;
        let w = workload(f.owner.id.clone()).await;
        assert_eq!(w.staff_id, f.owner.id);
        assert_eq!(open(&w), 3);
        f.close(&first.id, Outcome::Lost, "PRICE").await;
        assert_eq!(open(&workload(f.owner.id.clone()).await), 2, "a closed deal is no open item");
        f.try_reopen(&first.id, "", "Back").await.unwrap();
        assert_eq!(open(&workload(f.owner.id.clone()).await), 3);
        // Working a deal's stage is holding it too: the stage owner must hand it over before leaving.
        let helper = specialist(server, &["LEAD"]).await;
        f.try_update(
            pb::Opportunity { id: third.id.clone(), stage_owner_staff_id: helper.id.clone(), ..Default::default() },
            &["stage_owner_staff_id"],
        )
        .await
        .unwrap();
        assert_eq!(open(&workload(helper.id.clone()).await), 1);
        assert_eq!(open(&workload(f.owner.id.clone()).await), 3, "the owner still holds all three");
    }

    async fn a_handover_moves_the_open_opportunities_of_the_accounts(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let second = create_account(server, "Kept Account").await;
        let successor = server.create_staff(StaffLevel::Staff).await;
        let open = f.create(f.deal("Open on the first")).await;
        let closed = f.create(f.deal("Closed on the first")).await;
        f.close(&closed.id, Outcome::Lost, "PRICE").await;
        let elsewhere = f
            .create(pb::Opportunity { account_id: second.id.clone(), ..f.deal("Open on the second") })
            .await;
        let closed_before = f.get(&closed.id).await;

        let request = pb::TransferResponsibilitiesRequest {
            from_staff_id: f.owner.id.clone(),
            to_staff_id: successor.id.clone(),
            account_ids: vec![f.account.id.clone()],
            reason: "Moves to the Asia office".to_owned(),
            validate_only: true,
        };
        // A dry run says what would move and moves nothing.
        let dry = server
            .teams()
            .transfer_responsibilities(request.clone())
            .await
            .expect("validate the handover")
            .into_inner();
        let planned: Vec<(&str, &str)> =
            dry.moved.iter().map(|m| (m.area.as_str(), m.item_id.as_str())).collect();
        assert_eq!(planned, [("opportunities", open.id.as_str())]);
        assert!(dry.rule_breaks.is_empty());
        assert_eq!(f.get(&open.id).await.owner_staff_id, f.owner.id);

        let done = server
            .teams()
            .transfer_responsibilities(pb::TransferResponsibilitiesRequest { validate_only: false, ..request })
            .await
            .expect("hand over")
            .into_inner();
        assert_eq!(done.moved.len(), 1);
        assert_eq!(done.moved[0].account_id, f.account.id);
        assert_eq!(f.get(&open.id).await.owner_staff_id, successor.id);
        assert_eq!(f.get(&closed.id).await, closed_before, "a closed deal stays with its owner");
        assert_eq!(f.get(&elsewhere.id).await.owner_staff_id, f.owner.id, "another account's deal stays");
        let workloads = server
            .teams()
            .get_workload(pb::GetWorkloadRequest { staff_ids: vec![f.owner.id.clone(), successor.id.clone()] })
            .await
            .unwrap()
            .into_inner()
            .workloads;
        let open_deals = |id: &str| {
            workloads
                .iter()
                .find(|w| w.staff_id == id)
                .and_then(|w| w.open_items.get("opportunities").copied())
                .unwrap_or_default()
        };
        assert_eq!((open_deals(&f.owner.id), open_deals(&successor.id)), (1, 1));

        // Everything else: the rest moves, then the person can leave.
        let status = deactivate(server, &f.owner.id).await.unwrap_err();
        assert_failed_precondition(&status, "HAS_RESPONSIBILITIES");
        server
            .teams()
            .transfer_responsibilities(pb::TransferResponsibilitiesRequest {
                from_staff_id: f.owner.id.clone(),
                to_staff_id: successor.id.clone(),
                account_ids: Vec::new(),
                reason: "Leaves".to_owned(),
                validate_only: false,
            })
            .await
            .expect("hand over the rest");
        assert_eq!(f.get(&elsewhere.id).await.owner_staff_id, successor.id);
        assert!(!deactivate(server, &f.owner.id).await.expect("deactivate").active);
    }

    async fn owning_an_open_opportunity_blocks_deactivation(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create(f.deal("Keeps them here")).await;
        let status = deactivate(server, &f.owner.id).await.unwrap_err();
        assert_failed_precondition(&status, "HAS_RESPONSIBILITIES");
        assert!(get_staff(server, &f.owner.id).await.active, "a refused deactivation changes nothing");
        assert_eq!(f.get(&deal.id).await.owner_staff_id, f.owner.id);
        // Once the deal is closed, the person may go; the closed deal keeps its owner.
        f.close(&deal.id, Outcome::Lost, "TIMING").await;
        let gone = deactivate(server, &f.owner.id).await.expect("deactivate");
        assert!(!gone.active);
        assert_eq!(f.get(&deal.id).await.owner_staff_id, f.owner.id);
        // New opportunities cannot name them any more.
        let status = f.try_create(f.deal("For a leaver")).await.unwrap_err();
        assert_failed_precondition(&status, "STAFF_INACTIVE");
    }

    async fn writes_to_an_opportunity_of_a_deleted_account_are_refused(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let open = f.create_in("PROPOSAL", "Open on a doomed account").await;
        let closed = f.create(f.deal("Closed on a doomed account")).await;
        f.close(&closed.id, Outcome::Lost, "PRICE").await;
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: f.account.id.clone(), etag: String::new() })
            .await
            .expect("delete the account");
        let open_before = f.snapshot(&open.id).await;
        let closed_before = f.snapshot(&closed.id).await;

        // Opportunities belong to a live account, on every write path.
        let mut refusals = Vec::new();
        let update = f
            .try_update(
                pb::Opportunity { id: open.id.clone(), next_step: "Call".to_owned(), ..Default::default() },
                &["next_step"],
            )
            .await;
        refusals.push(("UpdateOpportunity", update));
        refusals.push(("MoveOpportunityStage", f.try_move(&open.id, "NEGOTIATION", "").await));
        refusals.push(("CloseOpportunity", f.try_close(&open.id, Outcome::Won, "PRICE", "").await));
        refusals.push(("ReopenOpportunity", f.try_reopen(&closed.id, "", "Back").await));
        // Every answer is collected first, so one failure reports them all.
        let after = (f.snapshot(&open.id).await, f.snapshot(&closed.id).await);
        let wrong: Vec<String> = refusals
            .into_iter()
            .filter_map(|(rpc, outcome)| match outcome {
                Ok(_) => Some(format!("{rpc} succeeded")),
                Err(status)
                    if status.code() == Code::FailedPrecondition
                        && status
                            .get_error_details()
                            .precondition_failure()
                            .is_some_and(|f| f.violations.iter().any(|v| v.r#type == "ACCOUNT_DELETED")) =>
                {
                    assert_failed_precondition(&status, "ACCOUNT_DELETED");
                    None
                }
                Err(status) => Some(format!("{rpc} answered {:?}: {}", status.code(), status.message())),
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "writes to an opportunity of a deleted account must be refused with ACCOUNT_DELETED:\n{}",
            wrong.join("\n")
        );
        assert_eq!(after, (open_before, closed_before), "refusals change nothing");
        // It stays readable.
        assert_eq!(
            f.list_ids(pb::ListOpportunitiesRequest { account_id: f.account.id.clone(), ..Default::default() })
                .await,
            [open.id.clone(), closed.id.clone()]
        );

        // Undeleted, the account's opportunities are worked again.
        server
            .accounts()
            .undelete_account(pb::UndeleteAccountRequest { id: f.account.id.clone(), etag: String::new() })
            .await
            .expect("undelete the account");
        assert_eq!(f.move_to(&open.id, "NEGOTIATION").await.stage, "NEGOTIATION");
    }

    async fn a_pipeline_without_a_qualification_stage_needs_no_man(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let pipeline = f
            .try_create_pipeline(pb::Pipeline { qualification_stage_key: String::new(), ..custom_pipeline() })
            .await
            .expect("create a pipeline without a qualification stage");
        assert_eq!(pipeline.qualification_stage_key, "");
        let deal = f
            .create(pb::Opportunity {
                pipeline_id: pipeline.id.clone(),
                stage: "OFFER".to_owned(),
                ..f.deal("No questions asked")
            })
            .await;
        assert_eq!(deal.qualification, Some(pb::Qualification::default()));
        let won = f.close(&deal.id, Outcome::Won, "PRICE").await;
        assert_eq!((won.stage.as_str(), won.probability), ("DONE", 100));

        // Clearing the default pipeline's qualification stage lifts the rule there too.
        let default = f.get_pipeline(DEFAULT_PIPELINE).await;
        let updated = f
            .try_update_pipeline(
                pb::Pipeline { id: default.id.clone(), etag: default.etag.clone(), ..Default::default() },
                &["qualification_stage_key"],
            )
            .await
            .expect("clear the qualification stage");
        assert_eq!(updated.qualification_stage_key, "");
        assert_eq!(updated.stages, default.stages);
        assert_eq!(f.create(pb::Opportunity { stage: "NEGOTIATION".to_owned(), ..f.deal("Late") }).await.stage, "NEGOTIATION");
    }

    async fn a_move_goes_to_another_stage(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create(f.deal("Standing still")).await;
        let before = f.snapshot(&deal.id).await;
        let status = f.try_move(&deal.id, "LEAD", "").await.unwrap_err();
        assert_failed_precondition(&status, "ALREADY_IN_STAGE");
        f.assert_unchanged(&before, "a move to the current stage").await;
    }

    async fn an_earlier_qualification_stage_may_not_strand_unqualified_deals(server: &TestServer) {
        let mut f = Funnel::new(server).await;
        let deal = f.create(f.deal("Early bird")).await;
        f.move_to(&deal.id, "CONTACTED").await;
        let default = f.get_pipeline(DEFAULT_PIPELINE).await;
        let earlier = pb::Pipeline {
            id: default.id.clone(),
            qualification_stage_key: "CONTACTED".to_owned(),
            ..Default::default()
        };
        let status = f.try_update_pipeline(earlier.clone(), &["qualification_stage_key"]).await.unwrap_err();
        assert_failed_precondition(&status, "MAN_REQUIRED");
        assert_eq!(f.get_pipeline(DEFAULT_PIPELINE).await, default, "the pipeline is unchanged");

        // Once the deal is qualified, the stage may move.
        f.try_update(
            pb::Opportunity {
                id: deal.id.clone(),
                qualification: Some(pb::Qualification {
                    budget_confirmed: true,
                    authority_confirmed: true,
                    need_confirmed: true,
                }),
                ..Default::default()
            },
            &["qualification"],
        )
        .await
        .expect("qualify");
        let moved = f.try_update_pipeline(earlier, &["qualification_stage_key"]).await.expect("now allowed");
        assert_eq!(moved.qualification_stage_key, "CONTACTED");
    }
}
