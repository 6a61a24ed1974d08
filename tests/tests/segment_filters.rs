//! The `segments` filter of the lists and reports that read accounts' data, on SQLite and PostgreSQL:
//! contacts, account plans, plan actions, interactions, upcoming key dates, revenue records, tier
//! changes, feedback rounds and the feedback report. For each: two accounts in different segments
//! with data on both; a filter by a parent industry (or region) returns exactly the items of the
//! account classified below it (paging through with page tokens where the RPC pages), an unknown code
//! is FAILED_PRECONDITION SEGMENT_NOT_FOUND and a malformed one INVALID_ARGUMENT on its field.

use std::future::Future;

use chrono::{Datelike, Duration, Utc};
use kam_tests::pbjson_types::Timestamp;
use kam_tests::{
    TestServer, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{
        self, StaffLevel, feedback_service_client::FeedbackServiceClient,
        planning_service_client::PlanningServiceClient, segment_service_client::SegmentServiceClient,
    },
};

type Planning = PlanningServiceClient<kam_tests::Authed>;
type Feedback = FeedbackServiceClient<kam_tests::Authed>;

fn planning(server: &TestServer) -> Planning {
    PlanningServiceClient::new(server.channel())
}

fn feedback(server: &TestServer) -> Feedback {
    FeedbackServiceClient::new(server.channel())
}

/// An item of a list: its own id (or a key that tells it apart) and its account's id.
type Item = (String, String);

/// The two accounts: `inside` is classified under industry C (two levels below it) and region EU (one
/// level below it); `outside` under industry F and no region.
struct Fixture {
    inside: String,
    outside: String,
}

async fn fixture(server: &TestServer) -> Fixture {
    let mut segments = SegmentServiceClient::new(server.channel());
    for (code, parent, name) in [("C13", "C", "Textiles"), ("C131", "C13", "Cotton spinning")] {
        segments
            .create_industry(pb::CreateIndustryRequest {
                industry: Some(pb::Industry {
                    code: code.to_owned(),
                    parent_code: parent.to_owned(),
                    name: name.to_owned(),
                    ..Default::default()
                }),
            })
            .await
            .expect("create an industry");
    }
    for (code, parent, name) in [("EU", "", "Europe"), ("DE", "EU", "Germany")] {
        segments
            .create_region(pb::CreateRegionRequest {
                region: Some(pb::Region {
                    code: code.to_owned(),
                    parent_code: parent.to_owned(),
                    name: name.to_owned(),
                    ..Default::default()
                }),
            })
            .await
            .expect("create a region");
    }
    let account = |name: &str, industry_code: &str, region_code: &str| pb::Account {
        display_name: name.to_owned(),
        industry_code: industry_code.to_owned(),
        region_code: region_code.to_owned(),
        ..Default::default()
    };
    let create = async |account: pb::Account| {
        server
            .accounts()
            .create_account(pb::CreateAccountRequest {
                account: Some(account),
                request_id: String::new(),
            })
            .await
            .expect("create an account")
            .into_inner()
            .id
    };
    let inside = create(account("Spinnerei Nord", "C131", "DE")).await;
    let outside = create(account("Bau AG", "F", "")).await;
    Fixture { inside, outside }
}

fn filter(industry_code: &str, region_code: &str) -> Option<pb::SegmentFilter> {
    Some(pb::SegmentFilter {
        industry_code: industry_code.to_owned(),
        region_code: region_code.to_owned(),
    })
}

fn sorted(mut items: Vec<Item>) -> Vec<Item> {
    items.sort();
    items
}

/// Checks a list's `segments` against the fixture: unfiltered it holds items of both accounts; by the
/// parent industry, the parent region, or both, exactly those of `inside`; an unknown code is
/// SEGMENT_NOT_FOUND and a malformed one INVALID_ARGUMENT on `segments.industry_code` /
/// `segments.region_code`.
async fn check<F, Fut>(fixture: &Fixture, list: F)
where
    F: Fn(Option<pb::SegmentFilter>) -> Fut,
    Fut: Future<Output = Result<Vec<Item>, tonic::Status>>,
{
    let all = sorted(list(None).await.expect("the unfiltered list"));
    assert!(
        all.iter().any(|(_, account)| *account == fixture.inside)
            && all.iter().any(|(_, account)| *account == fixture.outside),
        "the unfiltered list holds items of both accounts: {all:?}"
    );
    let inside: Vec<Item> = all
        .iter()
        .filter(|(_, account)| *account == fixture.inside)
        .cloned()
        .collect();
    for segments in [filter("C", ""), filter("", "EU"), filter("C13", "EU")] {
        let found = sorted(list(segments.clone()).await.expect("the filtered list"));
        assert_eq!(found, inside, "filtered by {segments:?}");
    }
    // A segment that holds neither account (the seeded industry A) lists nothing.
    assert_eq!(
        list(filter("A", "")).await.expect("the filtered list"),
        Vec::<Item>::new()
    );

    let status = list(filter("NOPE", "")).await.expect_err("an unknown industry");
    assert_failed_precondition(&status, "SEGMENT_NOT_FOUND");
    let status = list(filter("", "NOPE")).await.expect_err("an unknown region");
    assert_failed_precondition(&status, "SEGMENT_NOT_FOUND");
    let status = list(filter("a b", ""))
        .await
        .expect_err("a malformed industry code");
    assert_invalid_argument(&status, "segments.industry_code");
    let status = list(filter("", "a b"))
        .await
        .expect_err("a malformed region code");
    assert_invalid_argument(&status, "segments.region_code");
}

/// Pages through a list one item at a time; `page` answers (items, next page token) for a token.
async fn every_page<P, Fut>(page: P) -> Result<Vec<Item>, tonic::Status>
where
    P: Fn(String) -> Fut,
    Fut: Future<Output = Result<(Vec<Item>, String), tonic::Status>>,
{
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let (found, next) = page(token).await?;
        items.extend(found);
        if next.is_empty() {
            return Ok(items);
        }
        token = next;
    }
}

fn date(day: chrono::NaiveDate) -> Option<pb::Date> {
    Some(pb::Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    })
}

async fn staff(server: &TestServer) -> String {
    server.create_staff(StaffLevel::Staff).await.id
}

async fn create_plan(server: &TestServer, account_id: &str) -> pb::AccountPlan {
    let today = Utc::now().date_naive();
    planning(server)
        .create_account_plan(pb::CreateAccountPlanRequest {
            plan: Some(pb::AccountPlan {
                account_id: account_id.to_owned(),
                name: "Grow the account".to_owned(),
                period_start: date(today - Duration::days(30)),
                period_end: date(today + Duration::days(300)),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a plan")
        .into_inner()
}

backend_tests! {
    async fn list_contacts_filters_by_segment(server: &TestServer) {
        let fx = fixture(server).await;
        for account in [&fx.inside, &fx.outside, &fx.inside] {
            server
                .accounts()
                .create_contact(pb::CreateContactRequest {
                    contact: Some(pb::Contact {
                        account_id: account.clone(),
                        full_name: "Jo Doe".to_owned(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("create a contact");
        }
        check(&fx, |segments| {
            every_page(move |page_token| {
                let segments = segments.clone();
                async move {
                    let found = server
                        .accounts()
                        .list_contacts(pb::ListContactsRequest {
                            page_size: 1,
                            page_token,
                            segments,
                            ..Default::default()
                        })
                        .await?
                        .into_inner();
                    Ok::<_, tonic::Status>((
                        found.contacts.into_iter().map(|c| (c.id, c.account_id)).collect(),
                        found.next_page_token,
                    ))
                }
            })
        })
        .await;
    }

    async fn list_account_plans_filters_by_segment(server: &TestServer) {
        let fx = fixture(server).await;
        create_plan(server, &fx.inside).await;
        create_plan(server, &fx.outside).await;
        create_plan(server, &fx.inside).await;
        check(&fx, |segments| {
            every_page(move |page_token| {
                let segments = segments.clone();
                async move {
                    let found = planning(server)
                        .list_account_plans(pb::ListAccountPlansRequest {
                            page_size: 1,
                            page_token,
                            segments,
                            ..Default::default()
                        })
                        .await?
                        .into_inner();
                    Ok::<_, tonic::Status>((
                        found.plans.into_iter().map(|p| (p.id, p.account_id)).collect(),
                        found.next_page_token,
                    ))
                }
            })
        })
        .await;
    }

    async fn list_plan_actions_filters_by_segment(server: &TestServer) {
        let fx = fixture(server).await;
        let owner = staff(server).await;
        let due = Utc::now().date_naive() + Duration::days(7);
        for account in [&fx.inside, &fx.outside] {
            let plan = create_plan(server, account).await;
            for title in ["Call the buyer", "Send the offer"] {
                planning(server)
                    .create_plan_action(pb::CreatePlanActionRequest {
                        action: Some(pb::PlanAction {
                            plan_id: plan.id.clone(),
                            title: title.to_owned(),
                            owner_staff_id: owner.clone(),
                            due_date: date(due),
                            ..Default::default()
                        }),
                        request_id: String::new(),
                    })
                    .await
                    .expect("create an action");
            }
        }
        check(&fx, |segments| {
            every_page(move |page_token| {
                let segments = segments.clone();
                async move {
                    let found = planning(server)
                        .list_plan_actions(pb::ListPlanActionsRequest {
                            page_size: 1,
                            page_token,
                            order_by: "due_date".to_owned(),
                            segments,
                            ..Default::default()
                        })
                        .await?
                        .into_inner();
                    Ok::<_, tonic::Status>((
                        found.actions.into_iter().map(|a| (a.id, a.account_id)).collect(),
                        found.next_page_token,
                    ))
                }
            })
        })
        .await;
    }

    async fn list_interactions_filters_by_segment(server: &TestServer) {
        let fx = fixture(server).await;
        let person = staff(server).await;
        for (account, hours_ago) in [(&fx.inside, 1), (&fx.outside, 2), (&fx.inside, 3)] {
            let at = Utc::now() - Duration::hours(hours_ago);
            planning(server)
                .log_interaction(pb::LogInteractionRequest {
                    interaction: Some(pb::Interaction {
                        account_id: account.clone(),
                        r#type: pb::interaction::Type::Call as i32,
                        occur_time: Some(Timestamp {
                            seconds: at.timestamp(),
                            nanos: 0,
                        }),
                        staff_ids: vec![person.clone()],
                        summary: "Discussed the retrofit".to_owned(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("log an interaction");
        }
        check(&fx, |segments| {
            every_page(move |page_token| {
                let segments = segments.clone();
                async move {
                    let found = planning(server)
                        .list_interactions(pb::ListInteractionsRequest {
                            page_size: 1,
                            page_token,
                            segments,
                            ..Default::default()
                        })
                        .await?
                        .into_inner();
                    Ok::<_, tonic::Status>((
                        found
                            .interactions
                            .into_iter()
                            .map(|i| (i.id, i.account_id))
                            .collect(),
                        found.next_page_token,
                    ))
                }
            })
        })
        .await;
    }

    async fn list_upcoming_key_dates_filters_by_segment(server: &TestServer) {
        let fx = fixture(server).await;
        let soon = Utc::now().date_naive() + Duration::days(10);
        for account in [&fx.inside, &fx.outside] {
            server
                .accounts()
                .update_account(pb::UpdateAccountRequest {
                    account: Some(pb::Account {
                        id: account.clone(),
                        key_dates: vec![pb::KeyDate {
                            kind: pb::KeyDateKind::ContractRenewal as i32,
                            date: date(soon),
                            one_time: true,
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    update_mask: Some(kam_tests::pbjson_types::FieldMask {
                        paths: vec!["key_dates".to_owned()],
                    }),
                    ..Default::default()
                })
                .await
                .expect("give the account a key date");
            server
                .accounts()
                .create_contact(pb::CreateContactRequest {
                    contact: Some(pb::Contact {
                        account_id: account.clone(),
                        full_name: "Jo Doe".to_owned(),
                        key_dates: vec![pb::KeyDate {
                            kind: pb::KeyDateKind::Birthday as i32,
                            date: Some(pb::Date {
                                year: 0,
                                month: soon.month() as i32,
                                day: soon.day() as i32,
                            }),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("create a contact with a birthday");
        }
        let list = |segments| async move {
            let found = planning(server)
                .list_upcoming_key_dates(pb::ListUpcomingKeyDatesRequest {
                    days: 30,
                    segments,
                    ..Default::default()
                })
                .await?
                .into_inner();
            assert!(!found.truncated);
            Ok::<Vec<Item>, tonic::Status>(found
                .key_dates
                .into_iter()
                .map(|d| (format!("{}/{}", d.contact_id, d.kind), d.account_id))
                .collect())
        };
        check(&fx, list).await;
        // The account's own date and its contact's.
        let own = list(filter("C", "")).await.expect("the filtered list");
        assert_eq!(own.len(), 2, "{own:?}");
    }

    async fn list_revenue_records_filters_by_segment(server: &TestServer) {
        let fx = fixture(server).await;
        let record = |external_id: &str, account_id: &str| pb::RevenueRecord {
            external_id: external_id.to_owned(),
            account_id: account_id.to_owned(),
            period: Some(pb::Month { year: 2026, month: 3 }),
            amount: Some(pb::Money {
                currency_code: "EUR".to_owned(),
                units: 100,
                nanos: 0,
            }),
            ..Default::default()
        };
        planning(server)
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: vec![
                    record("INV-1", &fx.inside),
                    record("INV-2", &fx.outside),
                    record("INV-3", &fx.inside),
                ],
            })
            .await
            .expect("upsert revenue");
        check(&fx, |segments| {
            every_page(move |page_token| {
                let segments = segments.clone();
                async move {
                    let found = planning(server)
                        .list_revenue_records(pb::ListRevenueRecordsRequest {
                            page_size: 1,
                            page_token,
                            order_by: "external_id".to_owned(),
                            segments,
                            ..Default::default()
                        })
                        .await?
                        .into_inner();
                    Ok::<_, tonic::Status>((
                        found
                            .records
                            .into_iter()
                            .map(|r| (r.external_id, r.account_id))
                            .collect(),
                        found.next_page_token,
                    ))
                }
            })
        })
        .await;
    }

    async fn list_tier_changes_filters_by_segment(server: &TestServer) {
        let fx = fixture(server).await;
        for (account, tier) in [
            (&fx.inside, pb::Tier::Strategic),
            (&fx.outside, pb::Tier::Strategic),
            (&fx.inside, pb::Tier::Key),
        ] {
            planning(server)
                .set_tier_override(pb::SetTierOverrideRequest {
                    tier_override: Some(pb::TierOverride {
                        account_id: account.clone(),
                        tier: tier as i32,
                        reason: "test".to_owned(),
                        ..Default::default()
                    }),
                })
                .await
                .expect("set the tier");
        }
        check(&fx, |segments| {
            every_page(move |page_token| {
                let segments = segments.clone();
                async move {
                    let found = planning(server)
                        .list_tier_changes(pb::ListTierChangesRequest {
                            page_size: 1,
                            page_token,
                            segments,
                            ..Default::default()
                        })
                        .await?
                        .into_inner();
                    Ok::<_, tonic::Status>((
                        found
                            .tier_changes
                            .into_iter()
                            .map(|c| (format!("{}/{}", c.new_tier, c.account_id), c.account_id))
                            .collect(),
                        found.next_page_token,
                    ))
                }
            })
        })
        .await;
    }

    async fn list_feedback_rounds_filters_by_segment(server: &TestServer) {
        let fx = fixture(server).await;
        let person = staff(server).await;
        for (account, month) in [(&fx.inside, 1), (&fx.outside, 2), (&fx.inside, 3)] {
            feedback(server)
                .create_feedback_round(pb::CreateFeedbackRoundRequest {
                    feedback_round: Some(round(account, &person, month)),
                    request_id: String::new(),
                })
                .await
                .expect("create a round");
        }
        check(&fx, |segments| {
            every_page(move |page_token| {
                let segments = segments.clone();
                async move {
                    let found = feedback(server)
                        .list_feedback_rounds(pb::ListFeedbackRoundsRequest {
                            page_size: 1,
                            page_token,
                            segments,
                            ..Default::default()
                        })
                        .await?
                        .into_inner();
                    Ok::<_, tonic::Status>((
                        found
                            .feedback_rounds
                            .into_iter()
                            .map(|r| (r.id, r.account_id))
                            .collect(),
                        found.next_page_token,
                    ))
                }
            })
        })
        .await;
    }

    async fn get_feedback_report_filters_by_segment(server: &TestServer) {
        let fx = fixture(server).await;
        // One person rated on both accounts, another only on `outside`: filtered, only the first
        // person's ratings of `inside` count.
        let both = staff(server).await;
        let only_outside = staff(server).await;
        let rated = |staff_id: &str, score: i32| pb::StaffRating {
            staff_id: staff_id.to_owned(),
            responsiveness: score,
            expertise: score,
            follow_through: score,
            ..Default::default()
        };
        let rounds = [
            (&fx.inside, vec![rated(&both, 5)]),
            (&fx.outside, vec![rated(&both, 1), rated(&only_outside, 2)]),
        ];
        for (account, ratings) in rounds {
            feedback(server)
                .create_feedback_round(pb::CreateFeedbackRoundRequest {
                    feedback_round: Some(pb::FeedbackRound {
                        ratings,
                        ..round(account, &both, 1)
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("create a round");
        }
        let report = |segments| async move {
            feedback(server)
                .get_feedback_report(pb::GetFeedbackReportRequest {
                    group_by: pb::get_feedback_report_request::GroupBy::Person as i32,
                    bucket: pb::get_feedback_report_request::Bucket::Year as i32,
                    start_date: Some(pb::Date { year: 2026, month: 1, day: 1 }),
                    end_date: Some(pb::Date { year: 2026, month: 12, day: 31 }),
                    segments,
                    ..Default::default()
                })
                .await
                .map(tonic::Response::into_inner)
        };
        // (person, ratings, sum of responsiveness) per group.
        let groups = |report: &pb::FeedbackReport| -> Vec<(String, i64, i64)> {
            let mut groups: Vec<_> = report
                .groups
                .iter()
                .map(|g| {
                    let total = g.total.clone().unwrap_or_default();
                    (
                        g.staff_id.clone(),
                        total.rating_count,
                        total.responsiveness.unwrap_or_default().sum,
                    )
                })
                .collect();
            groups.sort();
            groups
        };
        let all = report(None).await.expect("the unfiltered report");
        let mut expected = vec![(both.clone(), 2, 6), (only_outside.clone(), 1, 2)];
        expected.sort();
        assert_eq!(groups(&all), expected);
        for segments in [filter("C", ""), filter("", "EU"), filter("C13", "EU")] {
            let found = report(segments.clone()).await.expect("the filtered report");
            assert_eq!(groups(&found), vec![(both.clone(), 1, 5)], "filtered by {segments:?}");
            assert_eq!(found.total.unwrap_or_default().rating_count, 1);
        }
        let none = report(filter("A", "")).await.expect("the filtered report");
        assert!(none.groups.is_empty(), "{none:?}");

        let status = report(filter("NOPE", "")).await.expect_err("an unknown industry");
        assert_failed_precondition(&status, "SEGMENT_NOT_FOUND");
        let status = report(filter("", "NOPE")).await.expect_err("an unknown region");
        assert_failed_precondition(&status, "SEGMENT_NOT_FOUND");
        let status = report(filter("a b", "")).await.expect_err("a malformed industry code");
        assert_invalid_argument(&status, "segments.industry_code");
        let status = report(filter("", "a b")).await.expect_err("a malformed region code");
        assert_invalid_argument(&status, "segments.region_code");
    }
}

/// A round of `account_id` rated by `staff_id`, for `month` of 2026.
fn round(account_id: &str, staff_id: &str, month: u32) -> pb::FeedbackRound {
    let start = chrono::NaiveDate::from_ymd_opt(2026, month, 1).expect("a month of 2026");
    pb::FeedbackRound {
        account_id: account_id.to_owned(),
        period_start: date(start),
        period_end: date(start + Duration::days(20)),
        ratings: vec![pb::StaffRating {
            staff_id: staff_id.to_owned(),
            responsiveness: 4,
            ..Default::default()
        }],
        ..Default::default()
    }
}
