//! Account plans and plan actions end to end, on SQLite and PostgreSQL: validation, the plan status
//! graph with one ACTIVE plan per account (also under a race), actions with their owners and overdue
//! lists, the scorecard, open actions as a handover area, and competitor assessments that reference
//! competitors.

use kam_tests::{
    TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{
        self, StaffLevel, account_plan::Status as PlanStatus,
        opportunity_service_client::OpportunityServiceClient, plan_action::Status as ActionStatus,
        planning_service_client::PlanningServiceClient,
    },
    pbjson_types::FieldMask,
};
use tonic::Code;

type Planning = PlanningServiceClient<kam_tests::Authed>;

fn planning(server: &TestServer) -> Planning {
    PlanningServiceClient::new(server.channel())
}

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

fn eur(units: i64) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: "EUR".to_owned(),
        units,
        nanos: 0,
    })
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// A plan for 2026 with a revenue target, objectives, SWOT, a competitor and whitespace.
fn full_plan(account_id: &str, name: &str) -> pb::AccountPlan {
    pb::AccountPlan {
        account_id: account_id.to_owned(),
        name: name.to_owned(),
        period_start: date(2026, 1, 1),
        period_end: date(2026, 12, 31),
        vision: "Preferred pump supplier for all three plants".to_owned(),
        revenue_target: eur(1_000),
        share_of_wallet_target_percent: 40,
        objectives: vec![
            pb::PlanObjective {
                metric: "plants on framework agreement".to_owned(),
                target_value: 3,
                current_value: 1,
                due_date: date(2026, 3, 31),
            },
            pb::PlanObjective {
                metric: "service contracts".to_owned(),
                target_value: 4,
                current_value: 4,
                due_date: None,
            },
        ],
        swot: vec![pb::SwotItem {
            kind: pb::swot_item::Kind::Threat as i32,
            text: "KSB offers 10 % below list".to_owned(),
        }],
        competitors: vec![pb::CompetitorAssessment {
            name: "KSB".to_owned(),
            estimated_share_percent: 35,
            strengths: "price".to_owned(),
            weaknesses: "service response".to_owned(),
            threat_level: pb::competitor_assessment::ThreatLevel::High as i32,
            competitor_id: String::new(),
        }],
        whitespace: vec![pb::WhitespaceCell {
            product_line: "Dosing pumps".to_owned(),
            status: pb::whitespace_cell::Status::Potential as i32,
            estimated_value: eur(250),
        }],
        ..Default::default()
    }
}

async fn create_plan(client: &mut Planning, plan: pb::AccountPlan) -> pb::AccountPlan {
    client
        .create_account_plan(pb::CreateAccountPlanRequest {
            plan: Some(plan),
            request_id: String::new(),
        })
        .await
        .expect("create a plan")
        .into_inner()
}

async fn set_status(
    client: &mut Planning,
    id: &str,
    status: PlanStatus,
) -> Result<pb::AccountPlan, tonic::Status> {
    client
        .change_account_plan_status(pb::ChangeAccountPlanStatusRequest {
            id: id.to_owned(),
            status: status as i32,
            etag: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn action(plan_id: &str, owner: &str, title: &str, due: Option<pb::Date>) -> pb::PlanAction {
    pb::PlanAction {
        plan_id: plan_id.to_owned(),
        title: title.to_owned(),
        owner_staff_id: owner.to_owned(),
        due_date: due,
        ..Default::default()
    }
}

async fn create_action(
    client: &mut Planning,
    action: pb::PlanAction,
) -> Result<pb::PlanAction, tonic::Status> {
    client
        .create_plan_action(pb::CreatePlanActionRequest {
            action: Some(action),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn set_action_status(
    client: &mut Planning,
    id: &str,
    status: ActionStatus,
) -> Result<pb::PlanAction, tonic::Status> {
    client
        .update_plan_action(pb::UpdatePlanActionRequest {
            action: Some(pb::PlanAction {
                id: id.to_owned(),
                status: status as i32,
                ..Default::default()
            }),
            update_mask: mask(&["status"]),
        })
        .await
        .map(tonic::Response::into_inner)
}

backend_tests! {
    async fn a_plan_is_validated_moves_draft_active_closed_and_one_is_active_per_account(server: &TestServer) {
        let account = server.create_account("Plan Works").await;
        let mut client = planning(server);

        let mut bad = full_plan(&account.id, "Bad");
        bad.period_end = date(2025, 12, 31);
        bad.revenue_target = Some(pb::Money { currency_code: "USD".into(), units: 1, nanos: 0 });
        bad.swot[0].kind = 0;
        bad.whitespace.push(bad.whitespace[0].clone());
        bad.objectives[0].target_value = 0;
        let status = client
            .create_account_plan(pb::CreateAccountPlanRequest { plan: Some(bad), request_id: String::new() })
            .await
            .expect_err("a plan full of mistakes");
        for field in [
            "plan.period_end",
            "plan.revenue_target.currency_code",
            "plan.swot[0].kind",
            "plan.whitespace[1].product_line",
            "plan.objectives[0].target_value",
        ] {
            assert_invalid_argument(&status, field);
        }
        assert_eq!(server.query_i64("SELECT COUNT(*) FROM account_plans", []).await, 0);

        let plan = create_plan(&mut client, full_plan(&account.id, "FY2026")).await;
        assert_eq!(plan.status(), PlanStatus::Draft);
        assert_eq!(plan.competitors[0].name, "KSB");
        assert_eq!(plan.whitespace[0].estimated_value, eur(250));

        // Objectives are replaced as a whole; a stale etag is refused.
        let updated = client
            .update_account_plan(pb::UpdateAccountPlanRequest {
                plan: Some(pb::AccountPlan {
                    id: plan.id.clone(),
                    etag: plan.etag.clone(),
                    objectives: vec![pb::PlanObjective {
                        metric: "reference visits".into(),
                        target_value: 2,
                        current_value: 0,
                        due_date: None,
                    }],
                    ..Default::default()
                }),
                update_mask: mask(&["objectives"]),
            })
            .await
            .expect("update")
            .into_inner();
        assert_eq!(updated.objectives.len(), 1);
        assert_eq!(updated.swot, plan.swot, "not named, not touched");
        let status = client
            .update_account_plan(pb::UpdateAccountPlanRequest {
                plan: Some(pb::AccountPlan { id: plan.id.clone(), etag: plan.etag.clone(), vision: "x".into(), ..Default::default() }),
                update_mask: mask(&["vision"]),
            })
            .await
            .expect_err("stale etag");
        assert_error(&status, Code::Aborted);

        assert_failed_precondition(&set_status(&mut client, &plan.id, PlanStatus::Closed).await.unwrap_err(), "PLAN_STATUS");
        let status = set_status(&mut client, &plan.id, PlanStatus::Draft).await.unwrap_err();
        assert_invalid_argument(&status, "status");
        let active = set_status(&mut client, &plan.id, PlanStatus::Active).await.expect("activate");
        assert!(active.activate_time.is_some());

        let next = create_plan(&mut client, full_plan(&account.id, "FY2027")).await;
        assert_failed_precondition(&set_status(&mut client, &next.id, PlanStatus::Active).await.unwrap_err(), "ONE_ACTIVE_PLAN");
        let closed = set_status(&mut client, &plan.id, PlanStatus::Closed).await.expect("close");
        assert!(closed.close_time.is_some());
        set_status(&mut client, &next.id, PlanStatus::Active).await.expect("the next plan takes over");
        let status = client
            .update_account_plan(pb::UpdateAccountPlanRequest {
                plan: Some(pb::AccountPlan { id: plan.id.clone(), vision: "too late".into(), ..Default::default() }),
                update_mask: mask(&["vision"]),
            })
            .await
            .expect_err("a closed plan");
        assert_failed_precondition(&status, "PLAN_STATUS");

        let listed = client
            .list_account_plans(pb::ListAccountPlansRequest {
                account_id: account.id.clone(),
                status: PlanStatus::Active as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .plans;
        assert_eq!(listed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), vec![next.id.as_str()]);
    }

    async fn two_plans_activated_at_once_leave_exactly_one_active(server: &TestServer) {
        let account = server.create_account("Race").await;
        let mut client = planning(server);
        for _round in 0..3 {
            let a = create_plan(&mut client, full_plan(&account.id, "A")).await;
            let b = create_plan(&mut client, full_plan(&account.id, "B")).await;
            let (mut one, mut two) = (client.clone(), client.clone());
            let (first, second) = tokio::join!(
                set_status(&mut one, &a.id, PlanStatus::Active),
                set_status(&mut two, &b.id, PlanStatus::Active)
            );
            let won = [&first, &second].iter().filter(|r| r.is_ok()).count();
            assert_eq!(won, 1, "{first:?} / {second:?}");
            let lost = first.err().or(second.err()).expect("one lost");
            assert_failed_precondition(&lost, "ONE_ACTIVE_PLAN");
            let active = server
                .query_i64("SELECT COUNT(*) FROM account_plans WHERE status = 'ACTIVE'", [])
                .await;
            assert_eq!(active, 1);
            // Close it for the next round.
            let winner = if set_status(&mut client, &a.id, PlanStatus::Closed).await.is_ok() { a } else { b };
            set_status(&mut client, &winner.id, PlanStatus::Closed).await.ok();
        }
    }

    async fn actions_have_active_owners_and_show_up_as_mine_and_overdue(server: &TestServer) {
        let account = server.create_account("Actions").await;
        let mut client = planning(server);
        let plan = create_plan(&mut client, full_plan(&account.id, "FY2026")).await;
        let member = server.member_on_team(&account.id).await;
        let colleague = server.create_staff(StaffLevel::Staff).await;

        let status = create_action(&mut client, action(&plan.id, &member.staff_id, "", None))
            .await
            .expect_err("no title, no due date");
        assert_invalid_argument(&status, "action.title");
        assert_invalid_argument(&status, "action.due_date");

        let leaver = server.create_staff(StaffLevel::Staff).await;
        server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest { id: leaver.id.clone(), etag: String::new() })
            .await
            .expect("deactivate");
        let status = create_action(&mut client, action(&plan.id, &leaver.id, "Call", date(2026, 6, 1)))
            .await
            .expect_err("an inactive owner");
        assert_failed_precondition(&status, "STAFF_INACTIVE");

        // The MEMBER on the account's team works its plan too.
        let mut own = PlanningServiceClient::new(member.channel());
        let late = create_action(&mut own, action(&plan.id, &member.staff_id, "Reference visit", date(2020, 1, 15)))
            .await
            .expect("a member creates an action");
        assert_eq!(late.account_id, account.id);
        assert_eq!(late.status(), ActionStatus::Open);
        assert_eq!(late.department_id, kam_tests::SALES_DEPARTMENT, "the owner's department by default");
        let future = create_action(&mut own, action(&plan.id, &member.staff_id, "Trial", date(2999, 1, 1)))
            .await
            .unwrap();
        create_action(&mut client, action(&plan.id, &colleague.id, "Quote", date(2020, 1, 1))).await.unwrap();

        let reader = own.clone();
        let list = |mine: bool, overdue: bool| {
            let mut own = reader.clone();
            async move {
                own.list_plan_actions(pb::ListPlanActionsRequest { mine, overdue, order_by: "due_date".into(), ..Default::default() })
                    .await
                    .expect("list")
                    .into_inner()
                    .actions
                    .into_iter()
                    .map(|a| a.title)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(list(true, false).await, vec!["Reference visit", "Trial"]);
        assert_eq!(list(true, true).await, vec!["Reference visit"]);
        assert_eq!(list(false, true).await, vec!["Quote", "Reference visit"], "the team's overdue actions");

        let done = set_action_status(&mut own, &late.id, ActionStatus::Done).await.expect("tick off");
        assert!(done.complete_time.is_some());
        assert!(list(true, true).await.is_empty());
        let reopened = set_action_status(&mut own, &late.id, ActionStatus::InProgress).await.unwrap();
        assert!(reopened.complete_time.is_none());

        // On a closed plan, only the status still moves.
        set_status(&mut client, &plan.id, PlanStatus::Active).await.unwrap();
        set_status(&mut client, &plan.id, PlanStatus::Closed).await.unwrap();
        set_action_status(&mut own, &future.id, ActionStatus::Done).await.expect("late work is ticked off");
        let status = own
            .update_plan_action(pb::UpdatePlanActionRequest {
                action: Some(pb::PlanAction { id: future.id.clone(), title: "Renamed".into(), ..Default::default() }),
                update_mask: mask(&["title"]),
            })
            .await
            .expect_err("a closed plan's action");
        assert_failed_precondition(&status, "PLAN_STATUS");
        let status = create_action(&mut client, action(&plan.id, &colleague.id, "More", date(2026, 1, 1)))
            .await
            .expect_err("no new actions on a closed plan");
        assert_failed_precondition(&status, "PLAN_STATUS");
    }

    async fn the_scorecard_counts_actions_objectives_and_revenue_against_target(server: &TestServer) {
        let account = server.create_account("Scorecard").await;
        let mut client = planning(server);
        let plan = create_plan(&mut client, full_plan(&account.id, "FY2026")).await;
        let owner = server.create_staff(StaffLevel::Staff).await;
        let done = create_action(&mut client, action(&plan.id, &owner.id, "Done", date(2026, 2, 1))).await.unwrap();
        set_action_status(&mut client, &done.id, ActionStatus::Done).await.unwrap();
        create_action(&mut client, action(&plan.id, &owner.id, "Late", date(2020, 2, 1))).await.unwrap();
        create_action(&mut client, action(&plan.id, &owner.id, "Later", date(2999, 2, 1))).await.unwrap();
        let dropped = create_action(&mut client, action(&plan.id, &owner.id, "Dropped", date(2020, 2, 1))).await.unwrap();
        set_action_status(&mut client, &dropped.id, ActionStatus::Cancelled).await.unwrap();
        client
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: vec![
                    pb::RevenueRecord { external_id: "S-1".into(), account_id: account.id.clone(), period: Some(pb::Month { year: 2026, month: 3 }), amount: eur(300), ..Default::default() },
                    pb::RevenueRecord { external_id: "S-2".into(), account_id: account.id.clone(), period: Some(pb::Month { year: 2026, month: 12 }), amount: eur(150), ..Default::default() },
                    // Outside the plan's period.
                    pb::RevenueRecord { external_id: "S-3".into(), account_id: account.id.clone(), period: Some(pb::Month { year: 2025, month: 12 }), amount: eur(999), ..Default::default() },
                ],
            })
            .await
            .expect("revenue");

        let card = client
            .get_plan_scorecard(pb::GetPlanScorecardRequest { plan_id: plan.id.clone() })
            .await
            .expect("scorecard")
            .into_inner();
        assert_eq!(
            (card.actions_total, card.actions_done, card.actions_open, card.actions_overdue, card.actions_cancelled),
            (4, 1, 2, 1, 1)
        );
        assert_eq!(card.actions_done_percent, 33);
        let progress: Vec<(i32, bool)> = card.objectives.iter().map(|o| (o.progress_percent, o.overdue)).collect();
        assert_eq!(progress, vec![(33, true), (100, false)]);
        assert_eq!(card.objectives_progress_percent, 66);
        assert_eq!((card.revenue_target, card.revenue_actual.clone()), (eur(1_000), eur(450)));
        assert_eq!(card.revenue_attainment_percent, 45);
    }

    async fn open_actions_move_in_a_handover_and_block_deactivation(server: &TestServer) {
        let account = server.create_account("Handover").await;
        let mut client = planning(server);
        let plan = create_plan(&mut client, full_plan(&account.id, "FY2026")).await;
        let leaver = server.create_staff(StaffLevel::Staff).await;
        let successor = server.create_staff(StaffLevel::Staff).await;
        let open = create_action(&mut client, action(&plan.id, &leaver.id, "Open", date(2026, 5, 1))).await.unwrap();
        let done = create_action(&mut client, action(&plan.id, &leaver.id, "Done", date(2026, 5, 1))).await.unwrap();
        set_action_status(&mut client, &done.id, ActionStatus::Done).await.unwrap();

        let open_items = |staff: String| async move {
            server
                .teams()
                .get_workload(pb::GetWorkloadRequest { staff_ids: vec![staff.clone()] })
                .await
                .expect("workload")
                .into_inner()
                .workloads
                .into_iter()
                .find(|w| w.staff_id == staff)
                .and_then(|w| w.open_items.get("plan_actions").copied())
                .unwrap_or_default()
        };
        assert_eq!(open_items(leaver.id.clone()).await, 1);
        let deactivate = server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest { id: leaver.id.clone(), etag: String::new() })
            .await
            .expect_err("still owns an open action");
        assert_failed_precondition(&deactivate, "HAS_RESPONSIBILITIES");

        let handover = server
            .teams()
            .transfer_responsibilities(pb::TransferResponsibilitiesRequest {
                from_staff_id: leaver.id.clone(),
                to_staff_id: successor.id.clone(),
                account_ids: vec![],
                reason: "Leaves".into(),
                validate_only: false,
            })
            .await
            .expect("hand over")
            .into_inner();
        assert!(handover.moved.iter().any(|m| m.item_id == open.id && m.area == "plan_actions"));
        let moved = client.get_plan_action(pb::GetPlanActionRequest { id: open.id.clone() }).await.unwrap().into_inner();
        assert_eq!(moved.owner_staff_id, successor.id);
        assert_ne!(moved.etag, open.etag);
        let kept = client.get_plan_action(pb::GetPlanActionRequest { id: done.id.clone() }).await.unwrap().into_inner();
        assert_eq!(kept.owner_staff_id, leaver.id, "done work keeps its owner");
        assert_eq!((open_items(leaver.id.clone()).await, open_items(successor.id.clone()).await), (0, 1));
        server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest { id: leaver.id.clone(), etag: String::new() })
            .await
            .expect("nothing open any more");
    }
}

fn assessment(competitor_id: &str, name: &str) -> pb::CompetitorAssessment {
    pb::CompetitorAssessment {
        name: name.to_owned(),
        competitor_id: competitor_id.to_owned(),
        estimated_share_percent: 20,
        threat_level: pb::competitor_assessment::ThreatLevel::Medium as i32,
        ..Default::default()
    }
}

async fn create_competitor(server: &TestServer, name: &str, aliases: &[&str]) -> pb::Competitor {
    OpportunityServiceClient::new(server.channel())
        .create_competitor(pb::CreateCompetitorRequest {
            competitor: Some(pb::Competitor {
                name: name.to_owned(),
                aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a competitor")
        .into_inner()
}

/// The (name, competitor_id) of each assessment of plan `id`, as GetAccountPlan returns them.
async fn assessed(client: &mut Planning, id: &str) -> Vec<(String, String)> {
    client
        .get_account_plan(pb::GetAccountPlanRequest { id: id.to_owned() })
        .await
        .expect("get the plan")
        .into_inner()
        .competitors
        .into_iter()
        .map(|c| (c.name, c.competitor_id))
        .collect()
}

/// Competitor assessments that reference competitors, in a module of their own beside the tests above.
mod competitor_assessments {
    use super::*;

    backend_tests! {
        async fn assessments_name_competitors_by_id_or_by_any_of_their_names(server: &TestServer) {
            let account = server.create_account("Assessed Works").await;
            let ksb = create_competitor(server, "KSB", &["KSB SE"]).await;
            let mut client = planning(server);

            // By id alone the plan records the competitor's name; by id with an alias, the alias; by a name
            // only, the competitor whose name (ignoring case) it is; a name no competitor has, none.
            let mut plan = full_plan(&account.id, "FY2026");
            plan.competitors = vec![
                assessment(&ksb.id, ""),
                assessment(&ksb.id, "ksb se"),
                assessment("", "  KSB "),
                assessment("", "Local Workshop"),
            ];
            let created = create_plan(&mut client, plan).await;
            let expected = vec![
                ("KSB".to_owned(), ksb.id.clone()),
                ("ksb se".to_owned(), ksb.id.clone()),
                ("KSB".to_owned(), ksb.id.clone()),
                ("Local Workshop".to_owned(), String::new()),
            ];
            let seen: Vec<_> = created.competitors.iter().map(|c| (c.name.clone(), c.competitor_id.clone())).collect();
            assert_eq!(seen, expected, "the created plan");
            assert_eq!(assessed(&mut client, &created.id).await, expected, "the plan read back");
            let listed = client
                .list_account_plans(pb::ListAccountPlansRequest { account_id: account.id.clone(), ..Default::default() })
                .await
                .expect("list plans")
                .into_inner()
                .plans;
            assert_eq!(listed[0].competitors[3].competitor_id, "", "a name no competitor has");
            assert_eq!(listed[0].competitors[0].competitor_id, ksb.id);

            // Matching happens on read: a competitor recorded later claims the plan's name, one deleted
            // releases it, and the plan's names stay as written.
            let workshop = create_competitor(server, "Local Workshop", &[]).await;
            assert_eq!(assessed(&mut client, &created.id).await[3].1, workshop.id);
            OpportunityServiceClient::new(server.channel())
                .delete_competitor(pb::DeleteCompetitorRequest { id: ksb.id.clone(), etag: String::new() })
                .await
                .expect("delete KSB");
            let after_delete = assessed(&mut client, &created.id).await;
            assert_eq!(after_delete[0], ("KSB".to_owned(), String::new()));
            assert_eq!(after_delete[3].1, workshop.id);

            // An update names competitors by id as a create does, and its answer carries the match.
            let updated = client
                .update_account_plan(pb::UpdateAccountPlanRequest {
                    plan: Some(pb::AccountPlan {
                        id: created.id.clone(),
                        competitors: vec![assessment(&workshop.id, "")],
                        ..Default::default()
                    }),
                    update_mask: mask(&["competitors"]),
                })
                .await
                .expect("update the assessments")
                .into_inner();
            assert_eq!(updated.competitors[0].name, "Local Workshop");
            assert_eq!(updated.competitors[0].competitor_id, workshop.id);
            let activated = set_status(&mut client, &created.id, PlanStatus::Active).await.expect("activate");
            assert_eq!(activated.competitors[0].competitor_id, workshop.id, "a status change answers with the match");
        }

        async fn an_assessment_names_an_existing_competitor_by_one_of_its_names(server: &TestServer) {
            let account = server.create_account("Wrongly Assessed").await;
            let wilo = create_competitor(server, "Wilo", &["Wilo SE"]).await;
            let mut client = planning(server);
            let attempt = |competitors: Vec<pb::CompetitorAssessment>| {
                let mut plan = full_plan(&account.id, "FY2026");
                plan.competitors = competitors;
                let mut client = client.clone();
                async move {
                    client
                        .create_account_plan(pb::CreateAccountPlanRequest { plan: Some(plan), request_id: String::new() })
                        .await
                        .expect_err("refused")
                }
            };

            let unknown = attempt(vec![assessment(&uuid_v7_like(), "")]).await;
            assert_failed_precondition(&unknown, "COMPETITOR_NOT_FOUND");
            let mismatch = attempt(vec![assessment(&wilo.id, "Grundfos")]).await;
            assert_failed_precondition(&mismatch, "COMPETITOR_NAME_MISMATCH");
            let malformed = attempt(vec![assessment("not-a-uuid", "Wilo")]).await;
            assert_invalid_argument(&malformed, "plan.competitors[0].competitor_id");
            let nameless = attempt(vec![assessment(&wilo.id, ""), assessment("", "  ")]).await;
            assert_invalid_argument(&nameless, "plan.competitors[1].name");
            assert_eq!(nameless.message().matches("plan.competitors[0]").count(), 0, "an id stands for the name");
            assert_eq!(server.query_i64("SELECT COUNT(*) FROM account_plans", []).await, 0, "nothing written");

            let mut plan = full_plan(&account.id, "FY2026");
            plan.competitors = vec![assessment(&wilo.id, "WILO se")];
            let created = create_plan(&mut client, plan).await;
            assert_eq!(created.competitors[0].competitor_id, wilo.id);
        }
    }
}

/// A well-formed id no competitor has.
fn uuid_v7_like() -> String {
    "01900000-0000-7000-8000-000000000000".to_owned()
}
