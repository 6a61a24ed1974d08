//! Customer feedback on the team end to end, on SQLite and PostgreSQL: feedback rounds recorded, read,
//! listed, corrected and deleted with their etags, idempotent creates, every validation and rule, a
//! MEMBER's reach, the import, the report per person and per department with exact means, the events,
//! and the account-health signal the latest round feeds.

use chrono::{Duration, NaiveDate, Utc};
use kam_tests::{
    Caller, SALES_DEPARTMENT, TestServer, assert_error, assert_failed_precondition, assert_invalid_argument,
    backend_tests,
    pb::{
        self, StaffLevel,
        feedback_service_client::FeedbackServiceClient,
        feedback_trend::Direction,
        get_feedback_report_request::{Bucket, GroupBy},
        planning_service_client::PlanningServiceClient,
    },
    pbjson_types::FieldMask,
};
use tonic::Code;
use uuid::Uuid;

type Feedback = FeedbackServiceClient<kam_tests::Authed>;

/// The seeded TECHNICAL department.
const TECHNICAL_DEPARTMENT: &str = "00000000-0000-7000-8000-000000000004";

fn feedback(server: &TestServer) -> Feedback {
    FeedbackServiceClient::new(server.channel())
}

fn feedback_as(caller: &Caller) -> Feedback {
    FeedbackServiceClient::new(caller.channel())
}

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

fn wire(day: NaiveDate) -> Option<pb::Date> {
    use chrono::Datelike;
    date(day.year(), day.month() as i32, day.day() as i32)
}

fn days_ago(days: i64) -> NaiveDate {
    Utc::now().date_naive() - Duration::days(days)
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn rating(staff_id: &str, scores: [i32; 3]) -> pb::StaffRating {
    pb::StaffRating {
        staff_id: staff_id.to_owned(),
        responsiveness: scores[0],
        expertise: scores[1],
        follow_through: scores[2],
        ..Default::default()
    }
}

/// A round of `account_id` for `start..=end` with `ratings`.
fn round(
    account_id: &str,
    start: Option<pb::Date>,
    end: Option<pb::Date>,
    ratings: Vec<pb::StaffRating>,
) -> pb::FeedbackRound {
    pb::FeedbackRound {
        account_id: account_id.to_owned(),
        period_start: start,
        period_end: end,
        ratings,
        ..Default::default()
    }
}

/// A round of the first quarter of 2026.
fn q1(account_id: &str, ratings: Vec<pb::StaffRating>) -> pb::FeedbackRound {
    round(account_id, date(2026, 1, 1), date(2026, 3, 31), ratings)
}

async fn create(client: &mut Feedback, round: pb::FeedbackRound) -> Result<pb::FeedbackRound, tonic::Status> {
    client
        .create_feedback_round(pb::CreateFeedbackRoundRequest {
            feedback_round: Some(round),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn update(
    client: &mut Feedback,
    round: pb::FeedbackRound,
    paths: &[&str],
) -> Result<pb::FeedbackRound, tonic::Status> {
    client
        .update_feedback_round(pb::UpdateFeedbackRoundRequest {
            feedback_round: Some(round),
            update_mask: mask(paths),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn list(client: &mut Feedback, request: pb::ListFeedbackRoundsRequest) -> Vec<String> {
    client
        .list_feedback_rounds(request)
        .await
        .expect("list")
        .into_inner()
        .feedback_rounds
        .into_iter()
        .map(|r| r.id)
        .collect()
}

async fn contact(server: &TestServer, account_id: &str, name: &str, external_id: &str) -> pb::Contact {
    server
        .accounts()
        .create_contact(pb::CreateContactRequest {
            contact: Some(pb::Contact {
                account_id: account_id.to_owned(),
                full_name: name.to_owned(),
                external_id: external_id.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a contact")
        .into_inner()
}

async fn account_with_key(server: &TestServer, name: &str, external_id: &str) -> pb::Account {
    server
        .accounts()
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: name.to_owned(),
                external_id: external_id.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create an account")
        .into_inner()
}

async fn staff_in(server: &TestServer, name: &str, department_id: &str) -> pb::Staff {
    let key = Uuid::now_v7().simple().to_string();
    server
        .teams()
        .create_staff(pb::CreateStaffRequest {
            staff: Some(pb::Staff {
                full_name: name.to_owned(),
                email: format!("{key}@example.com"),
                department_id: department_id.to_owned(),
                level: StaffLevel::Staff as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create staff")
        .into_inner()
}

async fn delete_account(server: &TestServer, id: &str) {
    server
        .accounts()
        .delete_account(pb::DeleteAccountRequest {
            id: id.to_owned(),
            etag: String::new(),
        })
        .await
        .expect("delete the account");
}

async fn count(server: &TestServer, table_sql: &str) -> i64 {
    server.query_i64(table_sql, []).await
}

async fn events(server: &TestServer, event_type: &str, resource_id: &str) -> i64 {
    server
        .query_i64(
            "SELECT COUNT(*) FROM outbox_events WHERE event_type = $1 AND resource_id = $2 \
             AND resource_type = 'feedback_round'",
            [event_type.into(), resource_id.into()],
        )
        .await
}

async fn report(client: &mut Feedback, request: pb::GetFeedbackReportRequest) -> pb::FeedbackReport {
    client
        .get_feedback_report(request)
        .await
        .expect("report")
        .into_inner()
}

/// A mean as the report writes it: (sum, count, value).
fn mean(mean: &Option<pb::FeedbackMean>) -> (i64, i64, String) {
    let mean = mean.as_ref().expect("a mean");
    (mean.sum, mean.count, mean.value.clone())
}

/// A bucket of a group as the department report test reads it: label, ratings, overall mean, trend.
type BucketRow = (String, i64, (i64, i64, String), i32);

fn m(sum: i64, count: i64, value: &str) -> (i64, i64, String) {
    (sum, count, value.to_owned())
}

backend_tests! {
    async fn rounds_are_recorded_read_listed_corrected_and_deleted(server: &TestServer) {
        let account = server.create_account("Shanghai Pump Works").await;
        let other = server.create_account("Ningbo Valves").await;
        let manager = server.create_staff(StaffLevel::Manager).await;
        let engineer = staff_in(server, "Engineer", TECHNICAL_DEPARTMENT).await;
        let buyer = contact(server, &account.id, "Li Wei", "").await;
        let mut client = feedback(server);

        let mut first = q1(&account.id, vec![rating(&manager.id, [4, 5, 3]), rating(&engineer.id, [2, 0, 0])]);
        first.respondent_contact_id = buyer.id.clone();
        first.respondent_name = "Li Wei, purchasing".to_owned();
        first.comment = "Good service, slow quotes".to_owned();
        let recorded = create(&mut client, first).await.expect("record");
        assert_eq!(recorded.source(), pb::feedback_round::Source::Entered);
        assert_eq!(recorded.recorded_by_staff_id, server.admin().staff_id);
        assert_eq!(recorded.etag, "r1");
        assert_eq!(
            recorded.ratings.iter().map(|r| (r.staff_id.clone(), r.department_id.clone())).collect::<Vec<_>>(),
            vec![
                (manager.id.clone(), SALES_DEPARTMENT.to_owned()),
                (engineer.id.clone(), TECHNICAL_DEPARTMENT.to_owned())
            ],
            "in the order given, each in its person's department"
        );
        let got = client
            .get_feedback_round(pb::GetFeedbackRoundRequest { id: recorded.id.clone() })
            .await
            .expect("get")
            .into_inner();
        assert_eq!(got, recorded);

        // A later period, an earlier one, and another account's: newest period first.
        let later = create(&mut client, round(&account.id, date(2026, 4, 1), date(2026, 6, 30), vec![rating(&manager.id, [5, 5, 5])]))
            .await
            .unwrap();
        let earlier = create(&mut client, round(&account.id, date(2025, 10, 1), date(2025, 12, 31), vec![rating(&engineer.id, [3, 3, 3])]))
            .await
            .unwrap();
        let elsewhere = create(&mut client, q1(&other.id, vec![rating(&engineer.id, [4, 4, 4])])).await.unwrap();
        let of_account = pb::ListFeedbackRoundsRequest { account_id: account.id.clone(), ..Default::default() };
        assert_eq!(
            list(&mut client, of_account.clone()).await,
            vec![later.id.clone(), recorded.id.clone(), earlier.id.clone()]
        );
        assert_eq!(
            list(&mut client, pb::ListFeedbackRoundsRequest { staff_id: engineer.id.clone(), ..Default::default() }).await,
            vec![elsewhere.id.clone(), recorded.id.clone(), earlier.id.clone()],
            "the rounds that rate the engineer; of two ending the same day, the one recorded last first"
        );
        assert_eq!(
            list(
                &mut client,
                pb::ListFeedbackRoundsRequest {
                    account_id: account.id.clone(),
                    period_end_from: date(2026, 1, 1),
                    period_end_to: date(2026, 3, 31),
                    ..Default::default()
                }
            )
            .await,
            vec![recorded.id.clone()]
        );
        // Page by page, every round once.
        let mut token = String::new();
        let mut paged = Vec::new();
        loop {
            let page = client
                .list_feedback_rounds(pb::ListFeedbackRoundsRequest { page_size: 1, page_token: token, ..of_account.clone() })
                .await
                .unwrap()
                .into_inner();
            paged.extend(page.feedback_rounds.into_iter().map(|r| r.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(paged, vec![later.id.clone(), recorded.id.clone(), earlier.id.clone()]);
        // Over HTTP, the account's own binding.
        let answer = server.http().get(&format!("/v1/accounts/{}/feedbackRounds", account.id)).await;
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        assert_eq!(answer.json()["feedbackRounds"].as_array().unwrap().len(), 3);

        // The engineer moves to SALES; the ratings are replaced as a whole, and the engineer's keeps
        // TECHNICAL, the department it was counted in.
        server
            .teams()
            .update_staff(pb::UpdateStaffRequest {
                staff: Some(pb::Staff { id: engineer.id.clone(), department_id: SALES_DEPARTMENT.to_owned(), ..Default::default() }),
                update_mask: mask(&["department_id"]),
            })
            .await
            .expect("move the engineer");
        let newcomer = staff_in(server, "Newcomer", TECHNICAL_DEPARTMENT).await;
        let corrected = update(
            &mut client,
            pb::FeedbackRound {
                id: recorded.id.clone(),
                etag: recorded.etag.clone(),
                ratings: vec![rating(&engineer.id, [1, 2, 0]), rating(&newcomer.id, [0, 0, 4])],
                comment: "Quotes take two weeks".to_owned(),
                ..Default::default()
            },
            &["ratings", "comment"],
        )
        .await
        .expect("correct");
        assert_eq!(corrected.etag, "r2");
        assert_eq!(corrected.respondent_contact_id, buyer.id, "not named, kept");
        assert_eq!(
            corrected.ratings.iter().map(|r| (r.staff_id.clone(), r.department_id.clone(), r.responsiveness)).collect::<Vec<_>>(),
            vec![
                (engineer.id.clone(), TECHNICAL_DEPARTMENT.to_owned(), 1),
                (newcomer.id.clone(), TECHNICAL_DEPARTMENT.to_owned(), 0)
            ]
        );
        // Clearing through the mask.
        let cleared = update(
            &mut client,
            pb::FeedbackRound { id: recorded.id.clone(), ..Default::default() },
            &["respondent_contact_id", "respondent_name"],
        )
        .await
        .expect("clear the respondent");
        assert_eq!((cleared.respondent_contact_id.as_str(), cleared.respondent_name.as_str()), ("", ""));
        assert_eq!(cleared.ratings, corrected.ratings);

        // Stale etags are refused, and change nothing.
        let stale = update(
            &mut client,
            pb::FeedbackRound { id: recorded.id.clone(), etag: recorded.etag.clone(), comment: "x".into(), ..Default::default() },
            &["comment"],
        )
        .await
        .expect_err("stale etag");
        assert_error(&stale, Code::Aborted);
        let stale = client
            .delete_feedback_round(pb::DeleteFeedbackRoundRequest { id: recorded.id.clone(), etag: "r2".into() })
            .await
            .expect_err("stale etag");
        assert_error(&stale, Code::Aborted);
        client
            .delete_feedback_round(pb::DeleteFeedbackRoundRequest { id: recorded.id.clone(), etag: cleared.etag.clone() })
            .await
            .expect("delete");
        let gone = client
            .get_feedback_round(pb::GetFeedbackRoundRequest { id: recorded.id.clone() })
            .await
            .expect_err("deleted");
        assert_error(&gone, Code::NotFound);
        assert_eq!(
            server
                .query_i64("SELECT COUNT(*) FROM feedback_ratings WHERE round_id = $1", [Uuid::parse_str(&recorded.id).unwrap().into()])
                .await,
            0,
            "its ratings are gone with it"
        );

        // Every write recorded its event and its audit row.
        assert_eq!(events(server, "FeedbackRoundRecorded", &recorded.id).await, 1);
        assert_eq!(events(server, "FeedbackRoundUpdated", &recorded.id).await, 2);
        assert_eq!(events(server, "FeedbackRoundDeleted", &recorded.id).await, 1);
        assert_eq!(
            server
                .query_i64(
                    "SELECT COUNT(*) FROM audit_entries WHERE resource_type = 'feedback_round' AND resource_id = $1",
                    [recorded.id.clone().into()],
                )
                .await,
            4
        );
        let deleted_event = server
            .query_i64(
                "SELECT COUNT(*) FROM outbox_events WHERE event_type = 'FeedbackRoundDeleted' AND account_id = $1",
                [Uuid::parse_str(&account.id).unwrap().into()],
            )
            .await;
        assert_eq!(deleted_event, 1, "the tombstone names the account");
    }

    async fn a_create_with_a_request_id_is_made_once(server: &TestServer) {
        let account = server.create_account("Retried").await;
        let staff = server.create_staff(StaffLevel::Staff).await;
        let mut client = feedback(server);
        let request_id = Uuid::now_v7().to_string();
        let send = |comment: &str| pb::CreateFeedbackRoundRequest {
            feedback_round: Some(pb::FeedbackRound { comment: comment.to_owned(), ..q1(&account.id, vec![rating(&staff.id, [4, 4, 4])]) }),
            request_id: request_id.clone(),
        };
        let first = client.create_feedback_round(send("Fine")).await.unwrap().into_inner();
        let again = client.create_feedback_round(send("Fine")).await.unwrap().into_inner();
        assert_eq!(first, again, "the retry answers the first result");
        let other = client.create_feedback_round(send("Different")).await.expect_err("another request, same id");
        assert_invalid_argument(&other, "request_id");
        assert_eq!(count(server, "SELECT COUNT(*) FROM feedback_rounds").await, 1);
        assert_eq!(events(server, "FeedbackRoundRecorded", &first.id).await, 1);
    }

    async fn every_field_is_validated_and_nothing_is_written(server: &TestServer) {
        let account = server.create_account("Validated").await;
        let staff = server.create_staff(StaffLevel::Staff).await;
        let mut client = feedback(server);
        let tomorrow = Utc::now().date_naive() + Duration::days(1);

        let mut bad = q1("not an id", vec![rating(&staff.id, [6, 0, 0]), rating(&staff.id, [0, 0, 0]), rating("", [3, 3, 3])]);
        bad.period_end = date(2025, 12, 31);
        bad.respondent_name = "x".repeat(201);
        bad.comment = "y".repeat(10_001);
        bad.ratings[0].comment = "z".repeat(2001);
        let status = create(&mut client, bad).await.expect_err("every field wrong");
        for field in [
            "feedback_round.account_id",
            "feedback_round.period_end",
            "feedback_round.respondent_name",
            "feedback_round.comment",
            "feedback_round.ratings[0].responsiveness",
            "feedback_round.ratings[1].staff_id",
            "feedback_round.ratings[1]",
            "feedback_round.ratings[2].staff_id",
        ] {
            assert_invalid_argument(&status, field);
        }
        let ahead = round(&account.id, wire(tomorrow), wire(tomorrow + Duration::days(30)), vec![rating(&staff.id, [3, 3, 3])]);
        assert_invalid_argument(&create(&mut client, ahead).await.unwrap_err(), "feedback_round.period_start");
        let none = q1(&account.id, vec![]);
        assert_invalid_argument(&create(&mut client, none).await.unwrap_err(), "feedback_round.ratings");
        let crowd: Vec<_> = (0..101).map(|_| rating(&Uuid::now_v7().to_string(), [3, 3, 3])).collect();
        assert_invalid_argument(&create(&mut client, q1(&account.id, crowd)).await.unwrap_err(), "feedback_round.ratings");
        let mut dates = q1(&account.id, vec![rating(&staff.id, [3, 3, 3])]);
        dates.period_start = date(2026, 2, 30);
        dates.period_end = None;
        let status = create(&mut client, dates).await.unwrap_err();
        assert_invalid_argument(&status, "feedback_round.period_start");
        assert_invalid_argument(&status, "feedback_round.period_end");
        let mut key = q1(&account.id, vec![rating(&staff.id, [3, 3, 3])]);
        key.external_id = "k".repeat(129);
        assert_invalid_argument(&create(&mut client, key).await.unwrap_err(), "feedback_round.external_id");
        assert_eq!(count(server, "SELECT COUNT(*) FROM feedback_rounds").await, 0);

        // Updates: the same checks, the mask's, and the period as patched.
        let kept = create(&mut client, q1(&account.id, vec![rating(&staff.id, [3, 3, 3])])).await.unwrap();
        let immutable = update(&mut client, pb::FeedbackRound { id: kept.id.clone(), account_id: account.id.clone(), ..Default::default() }, &["account_id"])
            .await
            .unwrap_err();
        assert_invalid_argument(&immutable, "update_mask");
        let unknown = update(&mut client, pb::FeedbackRound { id: kept.id.clone(), ..Default::default() }, &["mood"]).await.unwrap_err();
        assert_invalid_argument(&unknown, "update_mask");
        let emptied = update(&mut client, pb::FeedbackRound { id: kept.id.clone(), ..Default::default() }, &["ratings"]).await.unwrap_err();
        assert_invalid_argument(&emptied, "feedback_round.ratings");
        let backwards = update(&mut client, pb::FeedbackRound { id: kept.id.clone(), period_end: date(2025, 6, 30), ..Default::default() }, &["period_end"])
            .await
            .unwrap_err();
        assert_invalid_argument(&backwards, "feedback_round.period_end");
        let scores = update(
            &mut client,
            pb::FeedbackRound { id: kept.id.clone(), ratings: vec![rating(&staff.id, [0, -1, 0])], ..Default::default() },
            &["ratings"],
        )
        .await
        .unwrap_err();
        assert_invalid_argument(&scores, "feedback_round.ratings[0].expertise");
        let now = client.get_feedback_round(pb::GetFeedbackRoundRequest { id: kept.id.clone() }).await.unwrap().into_inner();
        assert_eq!(now, kept, "refused updates change nothing");

        // The report's question.
        let status = client.get_feedback_report(pb::GetFeedbackReportRequest::default()).await.unwrap_err();
        assert_invalid_argument(&status, "group_by");
        let status = client
            .get_feedback_report(pb::GetFeedbackReportRequest {
                group_by: GroupBy::Person as i32,
                start_date: date(2026, 7, 1),
                end_date: date(2026, 3, 31),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "start_date");
        let status = client
            .get_feedback_report(pb::GetFeedbackReportRequest {
                group_by: GroupBy::Person as i32,
                bucket: Bucket::Month as i32,
                start_date: date(2020, 1, 1),
                end_date: date(2026, 3, 31),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "start_date");
    }

    async fn the_rules_refuse_and_leave_the_rounds_as_they_were(server: &TestServer) {
        let account = server.create_account("Ruled").await;
        let other = server.create_account("Other").await;
        let staff = server.create_staff(StaffLevel::Staff).await;
        let buyer = contact(server, &account.id, "Li Wei", "").await;
        let stranger = contact(server, &other.id, "Stranger", "").await;
        let mut client = feedback(server);
        let with_respondent = |contact_id: &str| pb::FeedbackRound {
            respondent_contact_id: contact_id.to_owned(),
            ..q1(&account.id, vec![rating(&staff.id, [4, 4, 4])])
        };

        // CONTACT_NOT_OF_ACCOUNT: another account's contact and an unknown one answer alike.
        let foreign = create(&mut client, with_respondent(&stranger.id)).await.unwrap_err();
        assert_failed_precondition(&foreign, "CONTACT_NOT_OF_ACCOUNT");
        let unknown = create(&mut client, with_respondent(&Uuid::now_v7().to_string())).await.unwrap_err();
        assert_failed_precondition(&unknown, "CONTACT_NOT_OF_ACCOUNT");
        assert_eq!(unknown.message(), foreign.message());

        // DUPLICATE_FEEDBACK_ROUND: the same respondent and period once per account; without a
        // respondent contact, rounds never collide.
        let first = create(&mut client, with_respondent(&buyer.id)).await.expect("first");
        let twice = create(&mut client, with_respondent(&buyer.id)).await.unwrap_err();
        assert_failed_precondition(&twice, "DUPLICATE_FEEDBACK_ROUND");
        assert!(twice.message().contains(&first.id), "{}", twice.message());
        let anonymous = create(&mut client, with_respondent("")).await.expect("no respondent");
        create(&mut client, with_respondent("")).await.expect("no respondent again");
        let moved_in = update(&mut client, pb::FeedbackRound { id: anonymous.id.clone(), respondent_contact_id: buyer.id.clone(), ..Default::default() }, &["respondent_contact_id"])
            .await
            .unwrap_err();
        assert_failed_precondition(&moved_in, "DUPLICATE_FEEDBACK_ROUND");
        // Correcting the round itself is no duplicate of itself.
        update(&mut client, pb::FeedbackRound { id: first.id.clone(), comment: "Again".into(), ..Default::default() }, &["comment"])
            .await
            .expect("correct the round holding the period");

        // A rated person must exist; one who has left may still be rated.
        let nobody = create(&mut client, q1(&account.id, vec![rating(&Uuid::now_v7().to_string(), [3, 3, 3])])).await.unwrap_err();
        let info = assert_error(&nobody, Code::NotFound);
        assert_eq!(info.reason, "STAFF_NOT_FOUND");
        let leaver = server.create_staff(StaffLevel::Staff).await;
        server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest { id: leaver.id.clone(), etag: String::new() })
            .await
            .expect("deactivate");
        create(&mut client, q1(&account.id, vec![rating(&leaver.id, [2, 2, 2])])).await.expect("a former member is rated");

        // External ids are unique; only ADMIN and INTEGRATION change them.
        let keyed = create(&mut client, pb::FeedbackRound { external_id: "SURVEY-1".into(), ..q1(&other.id, vec![rating(&staff.id, [3, 3, 3])]) })
            .await
            .expect("keyed");
        let taken = create(&mut client, pb::FeedbackRound { external_id: "SURVEY-1".into(), ..q1(&account.id, vec![rating(&staff.id, [3, 3, 3])]) })
            .await
            .unwrap_err();
        assert_eq!(assert_error(&taken, Code::AlreadyExists).reason, "FEEDBACK_ROUND_ALREADY_EXISTS");
        let manager = server.caller_with_roles(&[pb::Role::Manager]).await;
        let rekey = update(&mut feedback_as(&manager), pb::FeedbackRound { id: keyed.id.clone(), external_id: "SURVEY-2".into(), ..Default::default() }, &["external_id"])
            .await
            .unwrap_err();
        assert_error(&rekey, Code::PermissionDenied);
        let retaken = update(&mut client, pb::FeedbackRound { id: first.id.clone(), external_id: "SURVEY-1".into(), ..Default::default() }, &["external_id"])
            .await
            .unwrap_err();
        assert_error(&retaken, Code::AlreadyExists);

        // ACCOUNT_DELETED: no new round and no change for a deleted account; deleting is still allowed.
        delete_account(server, &account.id).await;
        let status = create(&mut client, q1(&account.id, vec![rating(&staff.id, [3, 3, 3])])).await.unwrap_err();
        assert_failed_precondition(&status, "ACCOUNT_DELETED");
        let status = update(&mut client, pb::FeedbackRound { id: first.id.clone(), comment: "Late".into(), ..Default::default() }, &["comment"])
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "ACCOUNT_DELETED");
        let unchanged = client.get_feedback_round(pb::GetFeedbackRoundRequest { id: first.id.clone() }).await.unwrap().into_inner();
        assert_eq!((unchanged.comment.as_str(), unchanged.etag.as_str(), unchanged.external_id.as_str()), ("Again", "r2", ""));
        client
            .delete_feedback_round(pb::DeleteFeedbackRoundRequest { id: first.id.clone(), etag: String::new() })
            .await
            .expect("a deleted account's round may be deleted");
        assert_eq!(count(server, "SELECT COUNT(*) FROM feedback_rounds").await, 4);
    }

    async fn a_member_works_only_the_rounds_of_its_teams_accounts(server: &TestServer) {
        let mine = server.create_account("Mine").await;
        let theirs = server.create_account("Theirs").await;
        let staff = server.create_staff(StaffLevel::Staff).await;
        let member = server.member_on_team(&mine.id).await;
        let mut as_member = feedback_as(&member);
        let mut as_admin = feedback(server);
        let own = create(&mut as_member, q1(&mine.id, vec![rating(&staff.id, [4, 4, 4])])).await.expect("the account manager enters it");
        assert_eq!(own.recorded_by_staff_id, member.staff_id);
        let hidden = create(&mut as_admin, q1(&theirs.id, vec![rating(&staff.id, [4, 4, 4])])).await.unwrap();

        let refused = create(&mut as_member, q1(&theirs.id, vec![rating(&staff.id, [4, 4, 4])])).await.unwrap_err();
        assert_error(&refused, Code::PermissionDenied);
        let of_another_team = as_member
            .get_feedback_round(pb::GetFeedbackRoundRequest { id: hidden.id.clone() })
            .await
            .unwrap_err();
        let missing = as_member
            .get_feedback_round(pb::GetFeedbackRoundRequest { id: Uuid::now_v7().to_string() })
            .await
            .unwrap_err();
        assert_error(&of_another_team, Code::PermissionDenied);
        assert_eq!(of_another_team.message(), missing.message(), "hidden and missing look the same");
        let status = update(&mut as_member, pb::FeedbackRound { id: hidden.id.clone(), comment: "x".into(), ..Default::default() }, &["comment"])
            .await
            .unwrap_err();
        assert_error(&status, Code::PermissionDenied);
        let status = as_member
            .delete_feedback_round(pb::DeleteFeedbackRoundRequest { id: hidden.id.clone(), etag: String::new() })
            .await
            .unwrap_err();
        assert_error(&status, Code::PermissionDenied);
        assert_eq!(list(&mut as_member, pb::ListFeedbackRoundsRequest::default()).await, vec![own.id.clone()]);
        assert_eq!(list(&mut as_admin, pb::ListFeedbackRoundsRequest::default()).await.len(), 2);
        update(&mut as_member, pb::FeedbackRound { id: own.id.clone(), comment: "Corrected".into(), ..Default::default() }, &["comment"])
            .await
            .expect("its own account's round");
        // The report across people is for those who read reports; imports for the ERP's roles.
        let status = as_member
            .get_feedback_report(pb::GetFeedbackReportRequest { group_by: GroupBy::Person as i32, ..Default::default() })
            .await
            .unwrap_err();
        assert_error(&status, Code::PermissionDenied);
        let status = as_member
            .import_feedback_rounds(pb::ImportFeedbackRoundsRequest::default())
            .await
            .unwrap_err();
        assert_error(&status, Code::PermissionDenied);
        as_member
            .delete_feedback_round(pb::DeleteFeedbackRoundRequest { id: own.id.clone(), etag: String::new() })
            .await
            .expect("its own account's round");
    }

    async fn imports_upsert_by_external_id_and_report_each_record_that_cannot_be_written(server: &TestServer) {
        let account = account_with_key(server, "Imported", "ERP-1").await;
        let other = account_with_key(server, "Other", "ERP-2").await;
        let gone = account_with_key(server, "Gone", "ERP-3").await;
        delete_account(server, &gone.id).await;
        let buyer = contact(server, &account.id, "Li Wei", "C-1").await;
        let manager = server.create_staff(StaffLevel::Manager).await;
        let engineer = staff_in(server, "Engineer", TECHNICAL_DEPARTMENT).await;
        let mut client = feedback(server);

        let by_id = pb::FeedbackRoundRecord {
            external_id: "S-1".into(),
            account_id: account.id.clone(),
            period_start: date(2026, 1, 1),
            period_end: date(2026, 3, 31),
            ratings: vec![pb::FeedbackRatingRecord { staff_id: manager.id.clone(), responsiveness: 4, expertise: 4, follow_through: 4, ..Default::default() }],
            comment: "Fine".into(),
            ..Default::default()
        };
        let by_key = pb::FeedbackRoundRecord {
            external_id: "S-2".into(),
            account_external_id: "ERP-1".into(),
            respondent_contact_external_id: "C-1".into(),
            respondent_name: "Li Wei".into(),
            period_start: date(2026, 4, 1),
            period_end: date(2026, 6, 30),
            ratings: vec![
                pb::FeedbackRatingRecord { staff_email: engineer.email.to_uppercase(), expertise: 2, comment: "Late on site".into(), ..Default::default() },
                pb::FeedbackRatingRecord { staff_id: manager.id.clone(), responsiveness: 5, ..Default::default() },
            ],
            ..Default::default()
        };
        let unknown_account = pb::FeedbackRoundRecord { external_id: "S-3".into(), account_id: String::new(), account_external_id: "ERP-404".into(), ..by_id.clone() };
        let deleted_account = pb::FeedbackRoundRecord { external_id: "S-4".into(), account_id: gone.id.clone(), ..by_id.clone() };
        let mut bad_score = pb::FeedbackRoundRecord { external_id: "S-5".into(), ..by_id.clone() };
        bad_score.ratings[0].expertise = 9;
        let twice = pb::FeedbackRoundRecord { comment: "Again".into(), ..by_id.clone() };
        let mut unknown_person = pb::FeedbackRoundRecord { external_id: "S-6".into(), ..by_id.clone() };
        unknown_person.ratings[0] = pb::FeedbackRatingRecord { staff_email: "nobody@example.com".into(), expertise: 3, ..Default::default() };
        let mut foreign_contact = pb::FeedbackRoundRecord { external_id: "S-7".into(), account_id: other.id.clone(), ..by_key.clone() };
        foreign_contact.account_external_id = String::new();

        let answer = client
            .import_feedback_rounds(pb::ImportFeedbackRoundsRequest {
                feedback_rounds: vec![by_id.clone(), by_key.clone(), unknown_account, deleted_account, bad_score, twice, unknown_person, foreign_contact],
            })
            .await
            .expect("import")
            .into_inner();
        assert_eq!((answer.created, answer.updated, answer.unchanged, answer.failed), (2, 0, 0, 6));
        let errors: Vec<(i64, &str, &str, &str)> = answer
            .errors
            .iter()
            .map(|e| (e.index, e.external_id.as_str(), e.code.as_str(), e.field.as_str()))
            .collect();
        assert_eq!(
            errors,
            vec![
                (2, "S-3", "NOT_FOUND", "account_external_id"),
                (3, "S-4", "FAILED_PRECONDITION", "account_id"),
                (4, "S-5", "INVALID_ARGUMENT", "ratings[0].expertise"),
                (5, "S-1", "INVALID_ARGUMENT", "external_id"),
                (6, "S-6", "NOT_FOUND", "ratings[0].staff_email"),
                (7, "S-7", "FAILED_PRECONDITION", "respondent_contact_external_id"),
            ]
        );
        assert!(answer.errors[1].description.starts_with("ACCOUNT_DELETED"), "{:?}", answer.errors[1]);
        assert!(answer.errors[5].description.starts_with("CONTACT_NOT_OF_ACCOUNT"), "{:?}", answer.errors[5]);

        let rounds = client
            .list_feedback_rounds(pb::ListFeedbackRoundsRequest { account_id: account.id.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .feedback_rounds;
        assert_eq!(rounds.iter().map(|r| r.external_id.as_str()).collect::<Vec<_>>(), ["S-2", "S-1"]);
        let s2 = &rounds[0];
        assert_eq!(s2.source(), pb::feedback_round::Source::Imported);
        assert_eq!(s2.respondent_contact_id, buyer.id);
        assert_eq!(s2.ratings[0].staff_id, engineer.id, "found by email, whatever its case");
        assert_eq!(s2.ratings[0].department_id, TECHNICAL_DEPARTMENT);
        assert_eq!(events(server, "FeedbackRoundRecorded", &s2.id).await, 1);

        // The same rows again change nothing.
        let again = client
            .import_feedback_rounds(pb::ImportFeedbackRoundsRequest { feedback_rounds: vec![by_id.clone(), by_key.clone()] })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((again.created, again.updated, again.unchanged, again.failed), (0, 0, 2, 0));
        let s1 = rounds[1].clone();
        let still = client.get_feedback_round(pb::GetFeedbackRoundRequest { id: s1.id.clone() }).await.unwrap().into_inner();
        assert_eq!(still, s1);

        // A changed record updates its round, naming what changed; a duplicate of a hand-entered round
        // and a round moving to another account are refused.
        let mut changed = by_key.clone();
        changed.ratings[0].expertise = 3;
        let mut entered = q1(&account.id, vec![rating(&manager.id, [5, 5, 5])]);
        entered.respondent_contact_id = buyer.id.clone();
        create(&mut client, entered).await.expect("entered by hand");
        let duplicate = pb::FeedbackRoundRecord {
            external_id: "S-8".into(),
            respondent_contact_id: buyer.id.clone(),
            ..by_id.clone()
        };
        let moving = pb::FeedbackRoundRecord { account_id: other.id.clone(), ..by_id.clone() };
        let answer = client
            .import_feedback_rounds(pb::ImportFeedbackRoundsRequest { feedback_rounds: vec![changed, duplicate, moving] })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((answer.created, answer.updated, answer.unchanged, answer.failed), (0, 1, 0, 2));
        assert!(answer.errors[0].description.starts_with("DUPLICATE_FEEDBACK_ROUND"), "{:?}", answer.errors);
        assert!(answer.errors[1].description.starts_with("FEEDBACK_ROUND_ACCOUNT_IMMUTABLE"), "{:?}", answer.errors);
        assert_eq!(events(server, "FeedbackRoundUpdated", &s2.id).await, 1);
        let changed_fields = server
            .query_i64(
                "SELECT COUNT(*) FROM outbox_events WHERE event_type = 'FeedbackRoundUpdated' AND resource_id = $1 \
                 AND changed_fields = '[\"ratings\"]'",
                [s2.id.clone().into()],
            )
            .await;
        assert_eq!(changed_fields, 1, "the update names the ratings only");
        let updated = client.get_feedback_round(pb::GetFeedbackRoundRequest { id: s2.id.clone() }).await.unwrap().into_inner();
        assert_eq!((updated.ratings[0].expertise, updated.etag.as_str()), (3, "r2"));

        // More than a thousand records is the whole call's error.
        let status = client
            .import_feedback_rounds(pb::ImportFeedbackRoundsRequest { feedback_rounds: vec![by_id.clone(); 1001] })
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "feedback_rounds");
        // Over HTTP, the custom method.
        let answer = server
            .http()
            .post("/v1/feedbackRounds:import", serde_json::json!({"feedbackRounds": [serde_json::to_value(&by_id).unwrap()]}))
            .await;
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        assert_eq!(answer.json()["unchanged"], "1");
    }

    async fn the_report_gives_exact_means_per_person_and_department_over_buckets(server: &TestServer) {
        let north = server.create_account("North").await;
        let south = server.create_account("South").await;
        let anna = staff_in(server, "Anna", SALES_DEPARTMENT).await;
        let bo = staff_in(server, "Bo", TECHNICAL_DEPARTMENT).await;
        let mut client = feedback(server);
        let q4 = |account: &str, ratings| round(account, date(2025, 10, 1), date(2025, 12, 31), ratings);
        // Q4 2025: Anna 4 4 5, Bo 2 3 -.
        create(&mut client, q4(&north.id, vec![rating(&anna.id, [4, 4, 5]), rating(&bo.id, [2, 3, 0])])).await.unwrap();
        // Q1 2026: Anna 5 4 - and (South) 3 - -; Bo 1 2 2.
        create(&mut client, q1(&north.id, vec![rating(&anna.id, [5, 4, 0]), rating(&bo.id, [1, 2, 2])])).await.unwrap();
        create(&mut client, q1(&south.id, vec![rating(&anna.id, [3, 0, 0])])).await.unwrap();
        // Anna moves to TECHNICAL, then is rated in Q2 2026 (4 4 4): that counts in TECHNICAL.
        server
            .teams()
            .update_staff(pb::UpdateStaffRequest {
                staff: Some(pb::Staff { id: anna.id.clone(), department_id: TECHNICAL_DEPARTMENT.to_owned(), ..Default::default() }),
                update_mask: mask(&["department_id"]),
            })
            .await
            .unwrap();
        create(&mut client, round(&south.id, date(2026, 4, 1), date(2026, 6, 30), vec![rating(&anna.id, [4, 4, 4])])).await.unwrap();

        // Per person, the first quarter of 2026: compared with Q4 2025, read for the trend.
        let by_person = report(
            &mut client,
            pb::GetFeedbackReportRequest {
                group_by: GroupBy::Person as i32,
                bucket: Bucket::Quarter as i32,
                start_date: date(2026, 2, 15),
                end_date: date(2026, 3, 1),
                ..Default::default()
            },
        )
        .await;
        assert_eq!((by_person.start_date, by_person.end_date), (date(2026, 1, 1), date(2026, 3, 31)), "whole quarters");
        let names: Vec<&str> = by_person.groups.iter().map(|g| g.display_name.as_str()).collect();
        assert_eq!(names, ["Anna", "Bo"]);
        let anna_q1 = &by_person.groups[0];
        assert_eq!((anna_q1.staff_id.as_str(), anna_q1.department_id.as_str()), (anna.id.as_str(), TECHNICAL_DEPARTMENT));
        assert_eq!(anna_q1.buckets.len(), 1);
        let bucket = &anna_q1.buckets[0];
        assert_eq!((bucket.label.as_str(), bucket.start_date), ("2026-Q1", date(2026, 1, 1)));
        let stats = bucket.stats.as_ref().unwrap();
        assert_eq!(stats.rating_count, 2);
        assert_eq!(mean(&stats.responsiveness), m(8, 2, "4.00"));
        assert_eq!(mean(&stats.expertise), m(4, 1, "4.00"));
        assert_eq!(mean(&stats.follow_through), m(0, 0, ""));
        assert_eq!(mean(&stats.overall), m(12, 3, "4.00"));
        assert_eq!(stats.low_score_count, 0);
        let trend = bucket.trend.as_ref().unwrap();
        // 12/3 against 13/3: down by a third.
        assert_eq!((trend.direction(), trend.delta.as_str()), (Direction::Down, "-0.33"));
        assert_eq!(mean(&trend.previous), m(13, 3, "4.33"));
        let bo_q1 = by_person.groups[1].buckets[0].stats.as_ref().unwrap();
        assert_eq!(mean(&bo_q1.overall), m(5, 3, "1.67"));
        assert_eq!(bo_q1.low_score_count, 3);
        let bo_trend = by_person.groups[1].buckets[0].trend.as_ref().unwrap();
        // 5/3 against 5/2: 1.6667 − 2.5 = −0.8333.
        assert_eq!((bo_trend.direction(), bo_trend.delta.as_str()), (Direction::Down, "-0.83"));
        let total = by_person.total.as_ref().unwrap();
        assert_eq!((total.rating_count, mean(&total.overall)), (3, m(17, 6, "2.83")));

        // Per department over the year: Anna's Q1 ratings stay in SALES, her Q2 one is TECHNICAL's.
        let by_department = report(
            &mut client,
            pb::GetFeedbackReportRequest {
                group_by: GroupBy::Department as i32,
                bucket: Bucket::Quarter as i32,
                start_date: date(2025, 10, 1),
                end_date: date(2026, 6, 30),
                ..Default::default()
            },
        )
        .await;
        let summary: Vec<(String, Vec<BucketRow>)> = by_department
            .groups
            .iter()
            .map(|g| {
                let buckets = g
                    .buckets
                    .iter()
                    .map(|b| {
                        let stats = b.stats.as_ref().unwrap();
                        (b.label.clone(), stats.rating_count, mean(&stats.overall), b.trend.as_ref().unwrap().direction)
                    })
                    .collect();
                (g.display_name.clone(), buckets)
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "Sales".to_owned(),
                    vec![
                        ("2025-Q4".to_owned(), 1, m(13, 3, "4.33"), Direction::NoPrevious as i32),
                        ("2026-Q1".to_owned(), 2, m(12, 3, "4.00"), Direction::Down as i32),
                    ]
                ),
                (
                    "Technical".to_owned(),
                    vec![
                        ("2025-Q4".to_owned(), 1, m(5, 2, "2.50"), Direction::NoPrevious as i32),
                        ("2026-Q1".to_owned(), 1, m(5, 3, "1.67"), Direction::Down as i32),
                        ("2026-Q2".to_owned(), 1, m(12, 3, "4.00"), Direction::Up as i32),
                    ]
                ),
            ]
        );
        assert_eq!(by_department.groups[0].staff_id, "");
        assert_eq!(by_department.groups[0].department_id, SALES_DEPARTMENT);
        let technical_total = by_department.groups[1].total.as_ref().unwrap();
        assert_eq!((technical_total.rating_count, mean(&technical_total.overall)), (3, m(22, 8, "2.75")));

        // Per year, per month, and the filters.
        let yearly = report(
            &mut client,
            pb::GetFeedbackReportRequest {
                group_by: GroupBy::Person as i32,
                bucket: Bucket::Year as i32,
                start_date: date(2025, 1, 1),
                staff_id: anna.id.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(yearly.groups.len(), 1);
        let years: Vec<(String, (i64, i64, String))> = yearly.groups[0]
            .buckets
            .iter()
            .map(|b| (b.label.clone(), mean(&b.stats.as_ref().unwrap().overall)))
            .collect();
        // 2026: 5 4 - and 3 - - (SALES), 4 4 4 (TECHNICAL): 24/6.
        assert_eq!(years, vec![("2025".to_owned(), m(13, 3, "4.33")), ("2026".to_owned(), m(24, 6, "4.00"))]);
        let trend = yearly.groups[0].buckets[1].trend.as_ref().unwrap();
        assert_eq!((trend.direction(), trend.delta.as_str()), (Direction::Down, "-0.33"));
        let monthly = report(
            &mut client,
            pb::GetFeedbackReportRequest {
                group_by: GroupBy::Person as i32,
                bucket: Bucket::Month as i32,
                start_date: date(2026, 3, 1),
                end_date: date(2026, 3, 31),
                account_id: south.id.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(monthly.groups.len(), 1, "only Anna was rated at South");
        let march = &monthly.groups[0].buckets[0];
        assert_eq!((march.label.as_str(), march.stats.as_ref().unwrap().rating_count), ("2026-03", 1));
        assert_eq!(march.trend.as_ref().unwrap().direction(), Direction::NoPrevious, "nothing in February");
        let technical = report(
            &mut client,
            pb::GetFeedbackReportRequest {
                group_by: GroupBy::Person as i32,
                bucket: Bucket::Year as i32,
                start_date: date(2026, 1, 1),
                end_date: date(2026, 12, 31),
                department_id: TECHNICAL_DEPARTMENT.to_owned(),
                ..Default::default()
            },
        )
        .await;
        let counted: Vec<(&str, i64)> = technical
            .groups
            .iter()
            .map(|g| (g.display_name.as_str(), g.total.as_ref().unwrap().rating_count))
            .collect();
        assert_eq!(counted, [("Anna", 1), ("Bo", 1)], "ratings counted in TECHNICAL only");

        // Over HTTP.
        let answer = server
            .http()
            .get("/v1/feedbackRounds:report?groupBy=DEPARTMENT&bucket=YEAR&startDate.year=2026&startDate.month=1&startDate.day=1")
            .await;
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        assert_eq!(answer.json()["groups"].as_array().unwrap().len(), 2);
    }

    async fn low_feedback_on_the_team_counts_against_the_account_health(server: &TestServer) {
        let troubled = server.create_account("Troubled").await;
        let recovered = server.create_account("Recovered").await;
        let happy = server.create_account("Happy").await;
        let long_ago = server.create_account("Long ago").await;
        let wang = staff_in(server, "Wang Fang", SALES_DEPARTMENT).await;
        let li = staff_in(server, "Li Wei", TECHNICAL_DEPARTMENT).await;
        let mut client = feedback(server);
        let recent = |account: &str, ratings| round(account, wire(days_ago(120)), wire(days_ago(30)), ratings);

        // Mean (2+2+1 + 4+3+3) / 6 = 15/6 = 2.50: below 3.
        let low = create(&mut client, recent(&troubled.id, vec![rating(&wang.id, [2, 2, 1]), rating(&li.id, [4, 3, 3])])).await.unwrap();
        // A low round, then a later good one: the latest counts.
        create(&mut client, round(&recovered.id, wire(days_ago(200)), wire(days_ago(100)), vec![rating(&wang.id, [1, 1, 1])])).await.unwrap();
        create(&mut client, recent(&recovered.id, vec![rating(&wang.id, [4, 4, 3])])).await.unwrap();
        // Exactly 3 is not below 3.
        create(&mut client, recent(&happy.id, vec![rating(&wang.id, [3, 3, 3])])).await.unwrap();
        // A low round whose period ended more than 365 days ago no longer counts.
        create(&mut client, round(&long_ago.id, wire(days_ago(500)), wire(days_ago(400)), vec![rating(&li.id, [1, 1, 1])])).await.unwrap();

        let signal = |account: String| async move {
            let health = PlanningServiceClient::new(server.channel())
                .get_account_health(pb::GetAccountHealthRequest { account_id: account })
                .await
                .expect("health")
                .into_inner();
            health
                .signals
                .into_iter()
                .find(|s| s.kind() == pb::health_signal::Kind::LowTeamFeedback)
                .expect("the signal is always there")
        };
        let sick = signal(troubled.id.clone()).await;
        assert!(sick.triggered, "{sick:?}");
        assert_eq!((sick.weight, sick.penalty), (10, 10));
        assert!(sick.evidence.contains(&low.id), "{}", sick.evidence);
        assert!(sick.evidence.contains("mean 2.50 over 6 scores (alarm below 3)"), "{}", sick.evidence);
        assert!(sick.evidence.contains("lowest rated: Wang Fang 1.67, Li Wei 3.33"), "{}", sick.evidence);
        assert_eq!(sick.related_ids, vec![low.id.clone(), wang.id.clone(), li.id.clone()]);
        for account in [&recovered.id, &happy.id, &long_ago.id] {
            let calm = signal(account.clone()).await;
            assert!(!calm.triggered && calm.penalty == 0, "{calm:?}");
        }
        assert!(signal(long_ago.id.clone()).await.evidence.contains("no feedback round"));

        // The at-risk list sees it too: nothing else is wrong with the troubled account but its silence.
        let listed = PlanningServiceClient::new(server.channel())
            .list_at_risk_accounts(pb::ListAtRiskAccountsRequest { max_score: 101, ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .accounts;
        let troubled_health = listed.iter().find(|a| a.account_id == troubled.id).unwrap();
        assert!(troubled_health.signals.iter().any(|s| s.kind() == pb::health_signal::Kind::LowTeamFeedback && s.triggered));
        let recovered_health = listed.iter().find(|a| a.account_id == recovered.id).unwrap();
        assert_eq!(troubled_health.score + 10, recovered_health.score, "the same but for the feedback");
    }
}
