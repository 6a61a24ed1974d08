//! The visit brief (GetAccountBrief) end to end, on SQLite and PostgreSQL: one account with something in
//! every part, raised through the real API, and each part checked against what its own RPC answers or
//! what was written; who may read it; the horizon; a deleted account; the HTTP/JSON route.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use kam_tests::{
    TestServer, assert_error, assert_invalid_argument, backend_tests,
    pb::{
        self, StaffLevel, TeamRole, interaction::Type, opportunity_service_client::OpportunityServiceClient,
        planning_service_client::PlanningServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
    },
    pbjson_types::{FieldMask, Timestamp},
};

type Planning = PlanningServiceClient<kam_tests::Authed>;

fn planning(server: &TestServer) -> Planning {
    PlanningServiceClient::new(server.channel())
}

fn on(day: NaiveDate) -> Option<pb::Date> {
    Some(pb::Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    })
}

fn in_days(days: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(days)
}

fn days_ago(days: i64) -> Timestamp {
    Timestamp {
        seconds: (Utc::now() - Duration::days(days)).timestamp(),
        nanos: 0,
    }
}

fn eur(units: i64) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: "EUR".into(),
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

async fn brief(
    client: &mut Planning,
    account_id: &str,
    horizon_days: i32,
) -> Result<pb::AccountBrief, tonic::Status> {
    client
        .get_account_brief(pb::GetAccountBriefRequest {
            account_id: account_id.to_owned(),
            horizon_days,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn seat(server: &TestServer, account_id: &str, staff_id: &str, role: TeamRole) {
    server
        .teams()
        .add_team_member(pb::AddTeamMemberRequest {
            member: Some(pb::TeamMember {
                account_id: account_id.to_owned(),
                staff_id: staff_id.to_owned(),
                role: role as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a seat");
}

async fn contact(
    server: &TestServer,
    account_id: &str,
    name: &str,
    role: pb::BuyingRole,
    key_dates: Vec<pb::KeyDate>,
) -> pb::Contact {
    server
        .accounts()
        .create_contact(pb::CreateContactRequest {
            contact: Some(pb::Contact {
                account_id: account_id.to_owned(),
                full_name: name.to_owned(),
                buying_role: role as i32,
                key_dates,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a contact")
        .into_inner()
}

async fn deal(
    server: &TestServer,
    account_id: &str,
    owner: &str,
    name: &str,
    close: Option<pb::Date>,
) -> pb::Opportunity {
    OpportunityServiceClient::new(server.channel())
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                account_id: account_id.to_owned(),
                display_name: name.to_owned(),
                owner_staff_id: owner.to_owned(),
                expected_close_date: close,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a deal")
        .into_inner()
}

async fn request(server: &TestServer, account_id: &str, title: &str) -> pb::ServiceRequest {
    ServiceLevelServiceClient::new(server.channel())
        .create_service_request(pb::CreateServiceRequestRequest {
            service_request: Some(pb::ServiceRequest {
                account_id: account_id.to_owned(),
                title: title.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a request")
        .into_inner()
}

async fn action(
    client: &mut Planning,
    plan_id: &str,
    owner: &str,
    title: &str,
    due: NaiveDate,
) -> pb::PlanAction {
    client
        .create_plan_action(pb::CreatePlanActionRequest {
            action: Some(pb::PlanAction {
                plan_id: plan_id.to_owned(),
                title: title.to_owned(),
                owner_staff_id: owner.to_owned(),
                due_date: on(due),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("an action")
        .into_inner()
}

fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|item| name(item).to_owned()).collect()
}

backend_tests! {
    /// Every part of the brief holds what was written for the account, in the brief's order, and
    /// agrees with the RPC that answers that part alone.
    async fn a_brief_gathers_every_part_of_the_account(server: &TestServer) {
        let mut client = planning(server);
        let account = server
            .accounts()
            .create_account(pb::CreateAccountRequest {
                account: Some(pb::Account {
                    display_name: "Brief Works".into(),
                    key_dates: vec![pb::KeyDate {
                        kind: pb::KeyDateKind::ContractRenewal as i32,
                        label: "Frame contract".into(),
                        date: on(in_days(12)),
                        one_time: true,
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let other = server.create_account("Someone Else").await;

        // The team: names and roles.
        let manager = server.create_staff(StaffLevel::Manager).await;
        let sponsor = server.create_staff(StaffLevel::Executive).await;
        let specialist = server.create_staff(StaffLevel::Staff).await;
        seat(server, &account.id, &specialist.id, TeamRole::SalesSpecialist).await;
        seat(server, &account.id, &manager.id, TeamRole::AccountManager).await;
        seat(server, &account.id, &sponsor.id, TeamRole::ExecutiveSponsor).await;
        seat(server, &other.id, &manager.id, TeamRole::AccountManager).await;

        // Key people: the decision maker first whatever the alphabet says; one who left is not there.
        let birthday = pb::KeyDate { kind: pb::KeyDateKind::Birthday as i32, label: String::new(), date: on(in_days(3)), one_time: false };
        contact(server, &account.id, "Anna User", pb::BuyingRole::User, vec![]).await;
        contact(server, &account.id, "Zhou Decider", pb::BuyingRole::DecisionMaker, vec![birthday]).await;
        let far = pb::KeyDate { kind: pb::KeyDateKind::Birthday as i32, label: String::new(), date: on(in_days(45)), one_time: false };
        contact(server, &account.id, "Bo Champion", pb::BuyingRole::Champion, vec![far]).await;
        let gone = contact(server, &account.id, "Left Already", pb::BuyingRole::DecisionMaker, vec![]).await;
        server
            .accounts()
            .update_contact(pb::UpdateContactRequest {
                contact: Some(pb::Contact { id: gone.id.clone(), active: Some(false), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["active".into()] }),
            })
            .await
            .unwrap();
        contact(server, &other.id, "Not Theirs", pb::BuyingRole::DecisionMaker, vec![]).await;

        // Deals: open ones by the soonest close, undated last; a closed one is not there.
        deal(server, &account.id, &manager.id, "Undated", None).await;
        deal(server, &account.id, &manager.id, "Later", on(in_days(90))).await;
        deal(server, &account.id, &manager.id, "Sooner", on(in_days(20))).await;
        let lost = deal(server, &account.id, &manager.id, "Lost one", on(in_days(5))).await;
        OpportunityServiceClient::new(server.channel())
            .close_opportunity(pb::CloseOpportunityRequest {
                id: lost.id.clone(),
                outcome: pb::Outcome::Lost as i32,
                reason_code: "PRICE".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        deal(server, &other.id, &manager.id, "Elsewhere", on(in_days(1))).await;

        // Service requests: the open one with its SLA targets; a cancelled one is not there.
        let open = request(server, &account.id, "Pump 3 leaks").await;
        let cancelled = request(server, &account.id, "Wrong number").await;
        ServiceLevelServiceClient::new(server.channel())
            .change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                id: cancelled.id.clone(),
                status: pb::service_request::Status::Cancelled as i32,
                note: "a mistake".into(),
                etag: String::new(),
            })
            .await
            .unwrap();

        // Plans: the active one and its actions due; a draft plan is not there.
        let today = Utc::now().date_naive();
        let plan = |name: &str| pb::AccountPlan {
            account_id: account.id.clone(),
            name: name.to_owned(),
            period_start: on(today - Duration::days(30)),
            period_end: on(today + Duration::days(300)),
            objectives: vec![pb::PlanObjective { metric: "plants on the framework".into(), target_value: 3, current_value: 1, due_date: None }],
            ..Default::default()
        };
        let active = client
            .create_account_plan(pb::CreateAccountPlanRequest { plan: Some(plan("This year")), request_id: String::new() })
            .await
            .unwrap()
            .into_inner();
        client
            .change_account_plan_status(pb::ChangeAccountPlanStatusRequest {
                id: active.id.clone(),
                status: pb::account_plan::Status::Active as i32,
                etag: String::new(),
            })
            .await
            .unwrap();
        client
            .create_account_plan(pb::CreateAccountPlanRequest { plan: Some(plan("Next year")), request_id: String::new() })
            .await
            .unwrap();
        action(&mut client, &active.id, &manager.id, "In ten days", in_days(10)).await;
        action(&mut client, &active.id, &manager.id, "Overdue", in_days(-2)).await;
        action(&mut client, &active.id, &manager.id, "Beyond the horizon", in_days(60)).await;
        let done = action(&mut client, &active.id, &manager.id, "Done already", in_days(1)).await;
        client
            .update_plan_action(pb::UpdatePlanActionRequest {
                action: Some(pb::PlanAction { id: done.id.clone(), status: pb::plan_action::Status::Done as i32, ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["status".into()] }),
            })
            .await
            .unwrap();

        // Interactions: the ten newest of twelve.
        for days in 1..=12 {
            client
                .log_interaction(pb::LogInteractionRequest {
                    interaction: Some(pb::Interaction {
                        account_id: account.id.clone(),
                        r#type: Type::Call as i32,
                        occur_time: Some(days_ago(days)),
                        staff_ids: vec![manager.id.clone()],
                        summary: format!("call {days}"),
                        next_step: format!("follow up {days}"),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .unwrap();
        }

        // Revenue: 1 200 in the trailing year against 1 000 the year before.
        let records = [(1, 700, "r1"), (2, 500, "r2"), (13, 1_000, "r3"), (30, 9_999, "r4")]
            .map(|(back, units, key)| pb::RevenueRecord {
                external_id: key.into(),
                account_id: account.id.clone(),
                period: Some(month(back)),
                amount: eur(units),
                ..Default::default()
            })
            .to_vec();
        client.upsert_revenue_records(pb::UpsertRevenueRecordsRequest { records }).await.unwrap();

        let brief = brief(&mut client, &account.id, 0).await.expect("the brief");
        assert_eq!(brief.account.as_ref().map(|a| a.id.as_str()), Some(account.id.as_str()));
        assert_eq!(brief.horizon_days, 30, "0 means 30 days");
        assert!(brief.read_time.is_some());
        assert_eq!(
            brief.team.iter().map(|t| (t.member.as_ref().unwrap().role, t.full_name.clone())).collect::<Vec<_>>(),
            vec![
                (TeamRole::ExecutiveSponsor as i32, sponsor.full_name.clone()),
                (TeamRole::AccountManager as i32, manager.full_name.clone()),
                (TeamRole::SalesSpecialist as i32, specialist.full_name.clone()),
            ]
        );
        assert_eq!(names(&brief.key_people, |c| &c.full_name), ["Zhou Decider", "Bo Champion", "Anna User"]);
        assert_eq!(
            brief.key_dates.iter().map(|d| (d.label.clone(), d.contact_full_name.clone(), d.days_until)).collect::<Vec<_>>(),
            vec![(String::new(), "Zhou Decider".to_owned(), 3), ("Frame contract".to_owned(), String::new(), 12)],
            "the 45-day birthday is beyond the horizon"
        );
        assert_eq!(names(&brief.open_opportunities, |o| &o.display_name), ["Sooner", "Later", "Undated"]);
        assert_eq!(names(&brief.open_service_requests, |r| &r.id), vec![open.id.clone()]);
        assert!(brief.open_service_requests[0].resolution.is_some(), "with its SLA state");
        assert_eq!(names(&brief.active_plans, |p| &p.name), ["This year"]);
        assert_eq!(brief.active_plans[0].objectives.len(), 1);
        assert_eq!(names(&brief.actions_due, |a| &a.title), ["Overdue", "In ten days"]);
        assert_eq!(
            names(&brief.recent_interactions, |i| &i.next_step),
            (1..=10).map(|d| format!("follow up {d}")).collect::<Vec<_>>()
        );
        let revenue = brief.revenue.clone().expect("the revenue trend");
        assert_eq!(revenue.trailing_year, eur(1_200));
        assert_eq!(revenue.year_before, eur(1_000));
        assert_eq!(revenue.change_percent, Some(20));
        assert_eq!(revenue.to_period, Some(month(0)), "the trailing year runs to this month");
        assert!(brief.truncated.is_empty(), "{:?}", brief.truncated);

        // The same as the parts' own RPCs.
        let mut health = client
            .get_account_health(pb::GetAccountHealthRequest { account_id: account.id.clone() })
            .await
            .unwrap()
            .into_inner();
        let mut in_brief = brief.health.clone().expect("a live account's health");
        health.compute_time = None;
        in_brief.compute_time = None;
        assert_eq!(in_brief, health);
        let overdue: Vec<pb::OverdueCadence> = client
            .list_overdue_cadence(pb::ListOverdueCadenceRequest { page_size: 1000, ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .overdue
            .into_iter()
            .filter(|o| o.account_id == account.id)
            .collect();
        assert_eq!(brief.overdue_cadence, overdue);

        // A longer horizon reaches the later dates and actions.
        let wider = self::brief(&mut client, &account.id, 60).await.unwrap();
        assert_eq!(wider.key_dates.len(), 3);
        assert_eq!(names(&wider.actions_due, |a| &a.title), ["Overdue", "In ten days", "Beyond the horizon"]);

        // Over HTTP/JSON too, exact money as strings.
        let answer = server.http().get(&format!("/v1/accounts/{}/brief?horizonDays=60", account.id)).await;
        assert_eq!(answer.status, 200, "{:?}", answer.json());
        let json = answer.json();
        assert_eq!(json["revenue"]["trailingYear"]["units"], "1200");
        assert_eq!(json["keyPeople"][0]["fullName"], "Zhou Decider");
    }

    /// A MEMBER reads the brief of its own team's account only; a missing account is refused the same
    /// way; the horizon is checked; a deleted account's brief has no health.
    async fn a_brief_is_refused_like_the_account_and_checks_its_horizon(server: &TestServer) {
        let mine = server.create_account("Mine").await;
        let theirs = server.create_account("Theirs").await;
        let member = server.member_on_team(&mine.id).await;
        let mut as_member = PlanningServiceClient::new(member.channel());
        assert!(brief(&mut as_member, &mine.id, 0).await.is_ok());
        let hidden = brief(&mut as_member, &theirs.id, 0).await.unwrap_err();
        let missing = brief(&mut as_member, &uuid::Uuid::now_v7().to_string(), 0).await.unwrap_err();
        let (hidden_info, missing_info) = (
            assert_error(&hidden, tonic::Code::PermissionDenied),
            assert_error(&missing, tonic::Code::PermissionDenied),
        );
        assert_eq!(hidden_info.reason, missing_info.reason, "hidden and missing alike");

        let mut client = planning(server);
        for horizon in [-1, 367] {
            assert_invalid_argument(&brief(&mut client, &mine.id, horizon).await.unwrap_err(), "horizon_days");
        }
        assert_invalid_argument(&brief(&mut client, "not-a-uuid", 0).await.unwrap_err(), "account_id");

        server.accounts().delete_account(pb::DeleteAccountRequest { id: theirs.id.clone(), etag: String::new() }).await.unwrap();
        let deleted = brief(&mut client, &theirs.id, 0).await.expect("a deleted account's brief");
        assert!(deleted.account.unwrap().delete_time.is_some());
        assert!(deleted.health.is_none() && deleted.overdue_cadence.is_empty());
    }
}
