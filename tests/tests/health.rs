//! Account health end to end, on SQLite and PostgreSQL: an account with every warning sign, each one
//! raised through the real API (revenue, service requests, contacts, opportunities, interactions, its
//! tier), against a calm account; the at-risk list and its visibility.

use chrono::{Datelike, Duration, Utc};
use kam_tests::{
    TestServer, assert_failed_precondition, backend_tests,
    pb::{
        self, StaffLevel, health_signal::Kind, interaction::Type,
        opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
    },
    pbjson_types::Timestamp,
};
use uuid::Uuid;

fn planning(server: &TestServer) -> PlanningServiceClient<kam_tests::Authed> {
    PlanningServiceClient::new(server.channel())
}

fn days_ago(days: i64) -> Timestamp {
    Timestamp {
        seconds: (Utc::now() - Duration::days(days)).timestamp(),
        nanos: 0,
    }
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

/// Revenue of `recent` in each of the last three full months and `year_before` in the same months a
/// year before.
async fn revenue(server: &TestServer, account_id: &str, recent: i64, year_before: i64) {
    let mut records = Vec::new();
    for back in 1..=3 {
        for (offset, units) in [(0, recent), (12, year_before)] {
            records.push(pb::RevenueRecord {
                external_id: format!("{account_id}-{back}-{offset}"),
                account_id: account_id.to_owned(),
                period: Some(month(back + offset)),
                amount: Some(pb::Money {
                    currency_code: "EUR".into(),
                    units,
                    nanos: 0,
                }),
                ..Default::default()
            });
        }
    }
    planning(server)
        .upsert_revenue_records(pb::UpsertRevenueRecordsRequest { records })
        .await
        .expect("revenue");
}

async fn log(
    server: &TestServer,
    account_id: &str,
    kind: Type,
    when: Timestamp,
    staff: &str,
    satisfaction: i32,
) {
    planning(server)
        .log_interaction(pb::LogInteractionRequest {
            interaction: Some(pb::Interaction {
                account_id: account_id.to_owned(),
                r#type: kind as i32,
                occur_time: Some(when),
                staff_ids: vec![staff.to_owned()],
                summary: "Quarterly review".into(),
                satisfaction,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("log");
}

/// Every sign of trouble: revenue halved, two SLA targets breached, a KEY account unvisited for 100
/// days and silent for 50, its decision maker opposed, a deal lost to KSB, and an unhappy customer.
async fn troubled_account(server: &TestServer, staff: &str) -> (pb::Account, String, String) {
    let account = server.create_account("Troubled").await;
    let id = Uuid::parse_str(&account.id).unwrap();
    let long_ago: sea_orm::Value = (Utc::now() - Duration::days(100)).into();
    server
        .execute(
            "UPDATE accounts SET create_time = $1 WHERE id = $2",
            [long_ago.clone(), id.into()],
        )
        .await;
    revenue(server, &account.id, 50, 100).await;

    let request = ServiceLevelServiceClient::new(server.channel())
        .create_service_request(pb::CreateServiceRequestRequest {
            service_request: Some(pb::ServiceRequest {
                account_id: account.id.clone(),
                title: "Pump 3 leaks".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a request")
        .into_inner();
    // Both targets were due two days ago and neither was met.
    let due = (Utc::now() - Duration::days(2)).into();
    let request_id = Uuid::parse_str(&request.id).unwrap();
    server
        .execute(
            "UPDATE service_requests SET first_response_due_time = $1, resolution_due_time = $1 WHERE id = $2",
            [due, request_id.into()],
        )
        .await;

    planning(server)
        .set_tier_override(pb::SetTierOverrideRequest {
            tier_override: Some(pb::TierOverride {
                account_id: account.id.clone(),
                tier: pb::Tier::Key as i32,
                reason: "reference".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("KEY");
    server
        .execute(
            "UPDATE tier_changes SET change_time = $1 WHERE account_id = $2",
            [long_ago, id.into()],
        )
        .await;

    let boss = server
        .accounts()
        .create_contact(pb::CreateContactRequest {
            contact: Some(pb::Contact {
                account_id: account.id.clone(),
                full_name: "Li Wei".into(),
                buying_role: pb::BuyingRole::DecisionMaker as i32,
                attitude: pb::Attitude::Opponent as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("the decision maker")
        .into_inner();

    let mut opportunities = OpportunityServiceClient::new(server.channel());
    let deal = opportunities
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                account_id: account.id.clone(),
                display_name: "Pumps for line 3".into(),
                owner_staff_id: staff.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a deal")
        .into_inner();
    opportunities
        .close_opportunity(pb::CloseOpportunityRequest {
            id: deal.id.clone(),
            outcome: pb::Outcome::Lost as i32,
            reason_code: "PRICE".into(),
            lost_to_competitor: "KSB".into(),
            ..Default::default()
        })
        .await
        .expect("lost");

    log(server, &account.id, Type::Call, days_ago(50), staff, 1).await;
    (account, boss.id, deal.id)
}

backend_tests! {
    async fn every_warning_sign_shows_with_its_evidence_and_a_calm_account_is_healthy(server: &TestServer) {
        let staff = server.create_staff(StaffLevel::Staff).await;
        let (troubled, boss, deal) = troubled_account(server, &staff.id).await;
        let calm = server.create_account("Calm").await;
        revenue(server, &calm.id, 100, 100).await;
        log(server, &calm.id, Type::SalesVisit, days_ago(3), &staff.id, 5).await;

        let health = |id: String| async move {
            planning(server)
                .get_account_health(pb::GetAccountHealthRequest { account_id: id })
                .await
                .expect("health")
                .into_inner()
        };
        let sick = health(troubled.id.clone()).await;
        let triggered: Vec<Kind> = sick.signals.iter().filter(|s| s.triggered).map(|s| s.kind()).collect();
        assert_eq!(
            triggered,
            vec![
                Kind::RevenueDecline,
                Kind::SlaBreaches,
                Kind::ExecutiveVisitOverdue,
                Kind::Silence,
                Kind::KeyPeopleAtRisk,
                Kind::LostOpportunities,
                Kind::LowSatisfaction,
            ]
        );
        assert_eq!((sick.score, sick.level()), (0, pb::account_health::Level::AtRisk));
        let evidence = |kind: Kind| sick.signals.iter().find(|s| s.kind() == kind).unwrap().clone();
        assert!(evidence(Kind::RevenueDecline).evidence.contains("150 against 300 a year before (-50 %"), "{:?}", evidence(Kind::RevenueDecline));
        assert!(evidence(Kind::SlaBreaches).evidence.starts_with("2 SLA targets"), "{:?}", evidence(Kind::SlaBreaches));
        assert!(evidence(Kind::ExecutiveVisitOverdue).evidence.contains("40 days"));
        assert!(evidence(Kind::Silence).evidence.contains("50 days ago"));
        assert_eq!(evidence(Kind::KeyPeopleAtRisk).related_ids, vec![boss]);
        assert_eq!(evidence(Kind::LostOpportunities).related_ids, vec![deal]);
        assert!(evidence(Kind::LostOpportunities).evidence.contains("Pumps for line 3 (to KSB)"));
        assert!(evidence(Kind::LowSatisfaction).evidence.contains("mean satisfaction 1.0 of 1"));

        let fine = health(calm.id.clone()).await;
        assert_eq!((fine.score, fine.level()), (100, pb::account_health::Level::Healthy));
        assert!(fine.signals.iter().all(|s| !s.triggered && !s.evidence.is_empty()));

        let at_risk = |max_score: i32| async move {
            planning(server)
                .list_at_risk_accounts(pb::ListAtRiskAccountsRequest { max_score, ..Default::default() })
                .await
                .expect("at risk")
                .into_inner()
                .accounts
                .into_iter()
                .map(|a| (a.account_display_name, a.score))
                .collect::<Vec<_>>()
        };
        assert_eq!(at_risk(0).await, vec![("Troubled".to_owned(), 0)]);
        assert_eq!(at_risk(101).await, vec![("Troubled".to_owned(), 0), ("Calm".to_owned(), 100)], "worst first");

        // A MEMBER of the calm account's team sees that one only.
        let member = server.member_on_team(&calm.id).await;
        let seen = PlanningServiceClient::new(member.channel())
            .list_at_risk_accounts(pb::ListAtRiskAccountsRequest { max_score: 101, ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .accounts;
        assert_eq!(seen.iter().map(|a| a.account_id.as_str()).collect::<Vec<_>>(), vec![calm.id.as_str()]);

        // A deleted account has no health.
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: calm.id.clone(), etag: String::new() })
            .await
            .unwrap();
        let status = planning(server)
            .get_account_health(pb::GetAccountHealthRequest { account_id: calm.id.clone() })
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "ACCOUNT_DELETED");
    }
}
