//! Interactions, the contact cadence and the key-date calendar end to end, on SQLite and PostgreSQL.

use chrono::{Datelike, Duration, Utc};
use kam_tests::{
    TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{self, StaffLevel, interaction::Type, planning_service_client::PlanningServiceClient},
    pbjson_types::{FieldMask, Timestamp},
};
use tonic::Code;
use uuid::Uuid;

type Planning = PlanningServiceClient<kam_tests::Authed>;

fn planning(server: &TestServer) -> Planning {
    PlanningServiceClient::new(server.channel())
}

fn days_ago(days: i64) -> Timestamp {
    let at = Utc::now() - Duration::days(days);
    Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

async fn create_contact(
    server: &TestServer,
    account_id: &str,
    name: &str,
    key_dates: Vec<pb::KeyDate>,
) -> pb::Contact {
    server
        .accounts()
        .create_contact(pb::CreateContactRequest {
            contact: Some(pb::Contact {
                account_id: account_id.to_owned(),
                full_name: name.to_owned(),
                key_dates,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a contact")
        .into_inner()
}

fn interaction(account_id: &str, kind: Type, when: Timestamp, staff: &[&str]) -> pb::Interaction {
    pb::Interaction {
        account_id: account_id.to_owned(),
        r#type: kind as i32,
        occur_time: Some(when),
        staff_ids: staff.iter().map(|s| (*s).to_owned()).collect(),
        summary: "Discussed the line 3 retrofit".to_owned(),
        ..Default::default()
    }
}

async fn log(client: &mut Planning, interaction: pb::Interaction) -> Result<pb::Interaction, tonic::Status> {
    client
        .log_interaction(pb::LogInteractionRequest {
            interaction: Some(interaction),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Makes `account_id` a `tier` account by hand, as if it had entered that tier `days` days ago.
async fn make_tier(server: &TestServer, account_id: &str, tier: pb::Tier, days: i64) {
    planning(server)
        .set_tier_override(pb::SetTierOverrideRequest {
            tier_override: Some(pb::TierOverride {
                account_id: account_id.to_owned(),
                tier: tier as i32,
                reason: "test".to_owned(),
                ..Default::default()
            }),
        })
        .await
        .expect("set the tier");
    let since = Utc::now() - Duration::days(days);
    let id = Uuid::parse_str(account_id).unwrap();
    server
        .execute(
            "UPDATE tier_changes SET change_time = $1 WHERE account_id = $2",
            [since.into(), id.into()],
        )
        .await;
}

async fn seat(server: &TestServer, account_id: &str, staff_id: &str, role: pb::TeamRole) {
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
        .expect("seat");
}

backend_tests! {
    async fn interactions_are_validated_listed_and_corrected(server: &TestServer) {
        let account = server.create_account("Visited").await;
        let other = server.create_account("Other").await;
        let engineer = server.create_staff(StaffLevel::Staff).await;
        let buyer = create_contact(server, &account.id, "Li Wei", vec![]).await;
        let stranger = create_contact(server, &other.id, "Stranger", vec![]).await;
        let mut client = planning(server);

        let mut bad = interaction(&account.id, Type::SalesVisit, days_ago(1), &[]);
        bad.satisfaction = 6;
        bad.summary.clear();
        let status = log(&mut client, bad).await.expect_err("no staff, no summary, satisfaction 6");
        for field in ["interaction.staff_ids", "interaction.summary", "interaction.satisfaction"] {
            assert_invalid_argument(&status, field);
        }
        let status = log(&mut client, interaction(&account.id, Type::Call, days_ago(-3), &[&engineer.id]))
            .await
            .expect_err("three days ahead");
        assert_invalid_argument(&status, "interaction.occur_time");
        let mut foreign = interaction(&account.id, Type::Call, days_ago(1), &[&engineer.id]);
        foreign.contact_ids = vec![stranger.id.clone()];
        let foreign = log(&mut client, foreign).await.unwrap_err();
        assert_failed_precondition(&foreign, "CONTACT_NOT_OF_ACCOUNT");
        // An unknown contact answers as another account's does: hidden ones cannot be told apart.
        let mut unknown = interaction(&account.id, Type::Call, days_ago(1), &[&engineer.id]);
        unknown.contact_ids = vec![Uuid::now_v7().to_string()];
        let unknown = log(&mut client, unknown).await.unwrap_err();
        assert_failed_precondition(&unknown, "CONTACT_NOT_OF_ACCOUNT");
        assert_eq!(unknown.message(), foreign.message());
        let status = log(&mut client, interaction(&account.id, Type::Call, days_ago(1), &[&Uuid::now_v7().to_string()]))
            .await
            .expect_err("unknown staff");
        assert_error(&status, Code::NotFound);
        assert_eq!(server.query_i64("SELECT COUNT(*) FROM interactions", []).await, 0);

        let mut visit = interaction(&account.id, Type::TechnicalSupport, days_ago(5), &[&engineer.id]);
        visit.contact_ids = vec![buyer.id.clone()];
        visit.satisfaction = 2;
        visit.outcome = "Seal replaced".to_owned();
        let logged = log(&mut client, visit).await.expect("log");
        assert_eq!(logged.logged_by_staff_id, server.admin().staff_id);
        assert_eq!(logged.contact_ids, vec![buyer.id.clone()]);
        let call = log(&mut client, interaction(&account.id, Type::Call, days_ago(1), &[&server.admin().staff_id])).await.unwrap();
        log(&mut client, interaction(&other.id, Type::Call, days_ago(2), &[&engineer.id])).await.unwrap();

        let list = |request: pb::ListInteractionsRequest| {
            let mut client = client.clone();
            async move {
                client
                    .list_interactions(request)
                    .await
                    .expect("list")
                    .into_inner()
                    .interactions
                    .into_iter()
                    .map(|i| i.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            list(pb::ListInteractionsRequest { account_id: account.id.clone(), ..Default::default() }).await,
            vec![call.id.clone(), logged.id.clone()],
            "newest first"
        );
        let engineers = list(pb::ListInteractionsRequest { staff_id: engineer.id.clone(), ..Default::default() }).await;
        assert_eq!(engineers.len(), 2);
        assert_eq!(
            list(pb::ListInteractionsRequest { r#type: Type::TechnicalSupport as i32, ..Default::default() }).await,
            vec![logged.id.clone()]
        );
        assert_eq!(
            list(pb::ListInteractionsRequest { since: Some(days_ago(3)), account_id: account.id.clone(), ..Default::default() }).await,
            vec![call.id.clone()]
        );

        // Participants are replaced as a whole; a stale etag is refused.
        let corrected = client
            .update_interaction(pb::UpdateInteractionRequest {
                interaction: Some(pb::Interaction {
                    id: logged.id.clone(),
                    etag: logged.etag.clone(),
                    staff_ids: vec![engineer.id.clone(), server.admin().staff_id.clone()],
                    satisfaction: 4,
                    ..Default::default()
                }),
                update_mask: Some(FieldMask { paths: vec!["staff_ids".into(), "satisfaction".into()] }),
            })
            .await
            .expect("correct")
            .into_inner();
        assert_eq!(corrected.staff_ids.len(), 2);
        assert_eq!(corrected.satisfaction, 4);
        assert_eq!(corrected.contact_ids, vec![buyer.id.clone()], "not named, kept");
        let status = client
            .update_interaction(pb::UpdateInteractionRequest {
                interaction: Some(pb::Interaction { id: logged.id.clone(), etag: logged.etag.clone(), satisfaction: 5, ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["satisfaction".into()] }),
            })
            .await
            .expect_err("stale etag");
        assert_error(&status, Code::Aborted);

        // A contact is personal data: deleting it takes it out of the interactions it was in.
        server
            .accounts()
            .delete_contact(pb::DeleteContactRequest { id: buyer.id.clone(), etag: String::new() })
            .await
            .expect("delete the contact");
        let after = client.get_interaction(pb::GetInteractionRequest { id: logged.id.clone() }).await.unwrap().into_inner();
        assert!(after.contact_ids.is_empty());
    }

    async fn the_cadence_names_accounts_without_recent_visits_and_touches(server: &TestServer) {
        let key = server.create_account("Key, visited").await;
        let strategic = server.create_account("Strategic, no manager").await;
        let standard = server.create_account("Standard").await;
        let manager = server.create_staff(StaffLevel::Manager).await;
        let executive = server.create_staff(StaffLevel::Executive).await;
        seat(server, &key.id, &manager.id, pb::TeamRole::AccountManager).await;
        // KEY: visit every 60 days, touch every 30; in the tier for 100 days.
        make_tier(server, &key.id, pb::Tier::Key, 100).await;
        make_tier(server, &strategic.id, pb::Tier::Strategic, 20).await;
        let _ = standard;

        let overdue = |kind: pb::CadenceKind| {
            let mut client = planning(server);
            async move {
                client
                    .list_overdue_cadence(pb::ListOverdueCadenceRequest { kind: kind as i32, ..Default::default() })
                    .await
                    .expect("overdue cadence")
                    .into_inner()
                    .overdue
                    .into_iter()
                    .map(|o| (o.account_id, o.days_overdue, o.account_manager_staff_id))
                    .collect::<Vec<_>>()
            }
        };
        let all = |client: &mut Planning, page_token: String| {
            let mut client = client.clone();
            async move {
                client
                    .list_overdue_cadence(pb::ListOverdueCadenceRequest { page_size: 1, page_token, ..Default::default() })
                    .await
                    .expect("a page")
                    .into_inner()
            }
        };
        // Nothing logged: the KEY account is 40 days past its visit and 70 past its touch; the
        // STRATEGIC one (in the tier for 20 days) 6 past its touch, with no account manager to do it.
        assert_eq!(overdue(pb::CadenceKind::ExecutiveVisitDue).await, vec![(key.id.clone(), 40, String::new())]);
        assert_eq!(
            overdue(pb::CadenceKind::AccountManagerTouchDue).await,
            vec![(key.id.clone(), 70, manager.id.clone()), (strategic.id.clone(), 6, String::new())]
        );
        // Page by page, every row once, most overdue first.
        let mut client = planning(server);
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = all(&mut client, token).await;
            seen.extend(page.overdue.iter().map(|o| (o.account_id.clone(), o.kind())));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(
            seen,
            vec![
                (key.id.clone(), pb::CadenceKind::AccountManagerTouchDue),
                (key.id.clone(), pb::CadenceKind::ExecutiveVisitDue),
                (strategic.id.clone(), pb::CadenceKind::AccountManagerTouchDue),
            ]
        );

        // An executive visit with the account manager along settles both for the KEY account; a call
        // without the account manager would not have counted as a touch.
        log(&mut client, interaction(&key.id, Type::Call, days_ago(2), &[&executive.id])).await.unwrap();
        assert!(overdue(pb::CadenceKind::AccountManagerTouchDue).await.iter().any(|o| o.0 == key.id));
        log(&mut client, interaction(&key.id, Type::ExecutiveVisit, days_ago(10), &[&executive.id, &manager.id])).await.unwrap();
        assert!(overdue(pb::CadenceKind::ExecutiveVisitDue).await.is_empty());
        assert_eq!(
            overdue(pb::CadenceKind::AccountManagerTouchDue).await,
            vec![(strategic.id.clone(), 6, String::new())]
        );

        // A MEMBER sees its own accounts only.
        let member = server.member_on_team(&strategic.id).await;
        let mine = PlanningServiceClient::new(member.channel())
            .list_overdue_cadence(pb::ListOverdueCadenceRequest::default())
            .await
            .unwrap()
            .into_inner()
            .overdue;
        assert!(mine.iter().all(|o| o.account_id == strategic.id) && !mine.is_empty());
    }

    async fn upcoming_key_dates_come_soonest_first_with_the_years_they_mark(server: &TestServer) {
        let account = server.create_account("Birthdays").await;
        let today = Utc::now().date_naive();
        let in_days = |days: i64| today + Duration::days(days);
        let date = |year: i32, day: chrono::NaiveDate| Some(pb::Date { year, month: day.month() as i32, day: day.day() as i32 });
        let soon = in_days(3);
        let later = in_days(40);
        let li = create_contact(
            server,
            &account.id,
            "Li Wei",
            vec![pb::KeyDate { kind: pb::KeyDateKind::Birthday as i32, label: String::new(), date: date(1975, soon), one_time: false }],
        )
        .await;
        create_contact(
            server,
            &account.id,
            "Zhang Min",
            vec![
                pb::KeyDate { kind: pb::KeyDateKind::WorkAnniversary as i32, label: String::new(), date: date(0, later), one_time: false },
                pb::KeyDate { kind: pb::KeyDateKind::Other as i32, label: "Plant opening".into(), date: date(2001, today), one_time: false },
            ],
        )
        .await;
        let gone = create_contact(
            server,
            &account.id,
            "Left",
            vec![pb::KeyDate { kind: pb::KeyDateKind::Birthday as i32, label: String::new(), date: date(1980, soon), one_time: false }],
        )
        .await;
        server
            .accounts()
            .update_contact(pb::UpdateContactRequest {
                contact: Some(pb::Contact { id: gone.id.clone(), active: Some(false), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["active".into()] }),
            })
            .await
            .expect("the contact left");

        let upcoming = |days: i32| {
            let mut client = planning(server);
            async move {
                client
                    .list_upcoming_key_dates(pb::ListUpcomingKeyDatesRequest { days, account_id: String::new(), segments: None })
                    .await
                    .map(|r| r.into_inner().key_dates)
            }
        };
        let within_30: Vec<(String, i32, i32)> = upcoming(30)
            .await
            .expect("30 days")
            .into_iter()
            .map(|d| (d.contact_full_name, d.days_until, d.years))
            .collect();
        assert_eq!(
            within_30,
            vec![
                ("Zhang Min".to_owned(), 0, today.year() - 2001),
                ("Li Wei".to_owned(), 3, soon.year() - 1975),
            ]
        );
        let within_41 = upcoming(41).await.unwrap();
        assert_eq!(within_41.len(), 3);
        assert_eq!((within_41[2].days_until, within_41[2].years), (40, 0), "a year-less date marks no years");
        assert_eq!(within_41[1].contact_id, li.id);
        for days in [0, 367] {
            assert_invalid_argument(&upcoming(days).await.unwrap_err(), "days");
        }
    }

    /// Accounts keep their own key dates (a founding anniversary, a contract renewal, the customer's
    /// events), checked by kind, replaced as a whole, and listed beside their people's; a one-time date
    /// falls once.
    async fn accounts_key_dates_are_kept_checked_and_come_up_beside_their_peoples(server: &TestServer) {
        let today = Utc::now().date_naive();
        let on = |year: i32, day: chrono::NaiveDate| Some(pb::Date { year, month: day.month() as i32, day: day.day() as i32 });
        let key_date = |kind: pb::KeyDateKind, label: &str, date: Option<pb::Date>, one_time: bool| pb::KeyDate {
            kind: kind as i32,
            label: label.to_owned(),
            date,
            one_time,
        };
        let renewal_day = today + Duration::days(5);
        let founded_day = today + Duration::days(2);
        let renewed = today - Duration::days(360);
        let dates = vec![
            key_date(pb::KeyDateKind::FoundingAnniversary, "", on(1990, founded_day), false),
            key_date(pb::KeyDateKind::ContractRenewal, "Frame contract", on(renewal_day.year(), renewal_day), true),
            // Renewed last year: a one-time date that has passed never comes up again.
            key_date(pb::KeyDateKind::ContractRenewal, "Old contract", on(renewed.year(), renewed), true),
            key_date(pb::KeyDateKind::CustomerEvent, "Supplier forum", on(0, today + Duration::days(20)), false),
        ];
        let account = server
            .accounts()
            .create_account(pb::CreateAccountRequest {
                account: Some(pb::Account { display_name: "Dated Works".into(), key_dates: dates.clone(), ..Default::default() }),
                request_id: String::new(),
            })
            .await
            .expect("an account with key dates")
            .into_inner();
        assert_eq!(account.key_dates, dates, "kept as given, in order");
        let read = server.accounts().get_account(pb::GetAccountRequest { id: account.id.clone() }).await.unwrap().into_inner();
        assert_eq!(read.key_dates, dates);
        create_contact(
            server,
            &account.id,
            "Wang Fang",
            vec![key_date(pb::KeyDateKind::Birthday, "", on(1970, founded_day), false)],
        )
        .await;

        let upcoming = |days: i32, account_id: &str| {
            let mut client = planning(server);
            let account_id = account_id.to_owned();
            async move {
                client
                    .list_upcoming_key_dates(pb::ListUpcomingKeyDatesRequest { days, account_id, segments: None })
                    .await
                    .map(|r| r.into_inner().key_dates)
            }
        };
        let listed: Vec<(String, i32, i32, i32, bool)> = upcoming(30, &account.id)
            .await
            .expect("upcoming")
            .into_iter()
            .map(|d| (d.contact_full_name, d.kind, d.days_until, d.years, d.one_time))
            .collect();
        let founded_years = founded_day.year() - 1990;
        assert_eq!(
            listed,
            vec![
                // The account's own date before its people's on the same day.
                (String::new(), pb::KeyDateKind::FoundingAnniversary as i32, 2, founded_years, false),
                ("Wang Fang".to_owned(), pb::KeyDateKind::Birthday as i32, 2, founded_day.year() - 1970, false),
                (String::new(), pb::KeyDateKind::ContractRenewal as i32, 5, 0, true),
                (String::new(), pb::KeyDateKind::CustomerEvent as i32, 20, 0, false),
            ]
        );
        let all = upcoming(30, "").await.unwrap();
        let renewal = all.iter().find(|d| d.label == "Frame contract").expect("the renewal, unfiltered too");
        assert_eq!((renewal.account_id.as_str(), renewal.contact_id.as_str()), (account.id.as_str(), ""));

        // Replaced as a whole.
        let updated = server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account { id: account.id.clone(), key_dates: dates[..1].to_vec(), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["key_dates".into()] }),
                change_reason: String::new(),
            })
            .await
            .expect("replace the key dates")
            .into_inner();
        assert_eq!(updated.key_dates, dates[..1].to_vec());
        let cleared = server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account { id: account.id.clone(), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["key_dates".into()] }),
                change_reason: String::new(),
            })
            .await
            .expect("clear the key dates")
            .into_inner();
        assert!(cleared.key_dates.is_empty());
        assert_eq!(upcoming(30, &account.id).await.unwrap().len(), 1, "only Wang Fang's birthday is left");

        // Each fault names its field.
        let refused = |dates: Vec<pb::KeyDate>| {
            let mut accounts = server.accounts();
            async move {
                accounts
                    .create_account(pb::CreateAccountRequest {
                        account: Some(pb::Account { display_name: "Refused".into(), key_dates: dates, ..Default::default() }),
                        request_id: String::new(),
                    })
                    .await
                    .expect_err("refused")
            }
        };
        let birthday = key_date(pb::KeyDateKind::Birthday, "", on(1990, today), false);
        assert_invalid_argument(&refused(vec![birthday]).await, "account.key_dates[0].kind");
        let yearless_once = key_date(pb::KeyDateKind::ContractRenewal, "", on(0, today), true);
        assert_invalid_argument(&refused(vec![dates[0].clone(), yearless_once]).await, "account.key_dates[1].date");
        let unnamed_event = key_date(pb::KeyDateKind::CustomerEvent, " ", on(0, today), false);
        assert_invalid_argument(&refused(vec![unnamed_event]).await, "account.key_dates[0].label");
        assert_invalid_argument(&refused(vec![dates[0].clone(); 21]).await, "account.key_dates");
        let renewal_for_a_person = server
            .accounts()
            .create_contact(pb::CreateContactRequest {
                contact: Some(pb::Contact {
                    account_id: account.id.clone(),
                    full_name: "Not a contract".into(),
                    key_dates: vec![dates[1].clone()],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect_err("a person has no contract renewal");
        assert_invalid_argument(&renewal_for_a_person, "contact.key_dates[0].kind");

        // A deleted account's dates no longer come up.
        server.accounts().delete_account(pb::DeleteAccountRequest { id: account.id.clone(), etag: String::new() }).await.unwrap();
        assert!(upcoming(30, "").await.unwrap().iter().all(|d| d.account_id != account.id));
    }

    /// An all-seeing caller's upcoming key dates span every active contact: more than a statement can
    /// bind one by one on SQLite (32 766) or PostgreSQL (65 535). The contacts beyond the first are
    /// copies of it written straight to the table.
    async fn upcoming_key_dates_span_more_contacts_than_a_statement_binds(server: &TestServer) {
        let account = server.create_account("Many Contacts").await;
        let soon = Utc::now().date_naive() + Duration::days(3);
        let birthday = pb::Date { year: 1975, month: soon.month() as i32, day: soon.day() as i32 };
        create_contact(
            server,
            &account.id,
            "Li Wei",
            vec![pb::KeyDate { kind: pb::KeyDateKind::Birthday as i32, label: String::new(), date: Some(birthday), one_time: false }],
        )
        .await;
        let new_id = match server.backend {
            kam_tests::Backend::Sqlite => "randomblob(16)",
            kam_tests::Backend::Postgres => "gen_random_uuid()",
        };
        let copies = 66_000;
        let inserted = server
            .execute(
                &format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {copies}) \
                     INSERT INTO contacts (id, account_id, external_id, full_name, title, department, buying_role, \
                     has_money, has_authority, has_need, attitude, relationship_strength, reports_to_contact_id, \
                     email, phone, notes, active, create_time, update_time, revision) \
                     SELECT {new_id}, c.account_id, NULL, c.full_name, c.title, c.department, c.buying_role, \
                     c.has_money, c.has_authority, c.has_need, c.attitude, c.relationship_strength, NULL, \
                     '', c.phone, c.notes, c.active, c.create_time, c.update_time, c.revision \
                     FROM contacts c CROSS JOIN n"
                ),
                [],
            )
            .await;
        assert_eq!(inserted, copies);
        let key_dates = planning(server)
            .list_upcoming_key_dates(pb::ListUpcomingKeyDatesRequest { days: 30, account_id: String::new(), segments: None })
            .await
            .unwrap_or_else(|e| panic!("ListUpcomingKeyDates: {e:?}"))
            .into_inner()
            .key_dates;
        let names: Vec<&str> = key_dates.iter().map(|d| d.contact_full_name.as_str()).collect();
        assert_eq!(names, ["Li Wei"]);
    }
}
