//! Warnings that reach people, end to end on SQLite and PostgreSQL (when `KAM_TEST_POSTGRES_URL` is
//! set): the watcher's events (AccountHealthChanged, KeyDateUpcoming, CadenceOverdue,
//! PlanActionOverdue), each once per occurrence and naming the people to tell, and each person's
//! notifications through NotificationService.
//!
//! Most tests run the watcher with [`watch_once`] on its own connection at instants they choose (the
//! servers' own watchers are off, as the harness has them); one test checks a server's watcher on its
//! interval, and one two servers' watchers on one PostgreSQL database.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kam_server::{
    Config,
    config::{NotificationsConfig, PlanningConfig},
    notifications::{model::WatchReport, watcher::watch_once},
    platform::db::Db,
};
use kam_tests::{
    Backend, Caller, TestServer, assert_error, assert_invalid_argument, backend_tests,
    pb::{
        self, StaffLevel, TeamRole, notification::Payload,
        notification_service_client::NotificationServiceClient,
        planning_service_client::PlanningServiceClient, recipient::Reason,
    },
};
use tonic::Code;
use uuid::Uuid;

/// The watcher's own connection to the server's database.
async fn watcher_db(server: &TestServer) -> Db {
    Db::connect(&Config {
        database_url: server.database_url().to_owned(),
        db_max_connections: 4,
        ..Config::default()
    })
    .await
    .expect("connect the watcher")
}

async fn watch(db: &Db, planning: &PlanningConfig, at: DateTime<Utc>) -> WatchReport {
    watch_once(db, planning, &NotificationsConfig::default(), at)
        .await
        .expect("a watch")
}

fn on(day: NaiveDate) -> Option<pb::Date> {
    Some(pb::Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    })
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// An account with an account manager, an executive sponsor and a specialist (each calling with a key
/// of their own), an active plan, a KEY tier entered long ago (so both cadences are overdue), a
/// one-time contract renewal in 10 days and a contact whose birthday is in 20.
struct Account {
    id: String,
    manager: Caller,
    sponsor: Caller,
    specialist: Caller,
    plan_id: String,
}

async fn staff_on_team(server: &TestServer, account_id: &str, role: TeamRole) -> Caller {
    let level = match role {
        TeamRole::ExecutiveSponsor => StaffLevel::Executive,
        _ => StaffLevel::Manager,
    };
    let staff = server.create_staff(level).await;
    server
        .teams()
        .add_team_member(pb::AddTeamMemberRequest {
            member: Some(pb::TeamMember {
                account_id: account_id.to_owned(),
                staff_id: staff.id.clone(),
                role: role as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a seat");
    let secret = server.key_for(&staff.id).await;
    server.caller(staff.id, secret)
}

impl Account {
    async fn new(server: &TestServer, name: &str) -> Self {
        let account = server
            .accounts()
            .create_account(pb::CreateAccountRequest {
                account: Some(pb::Account {
                    display_name: name.to_owned(),
                    key_dates: vec![pb::KeyDate {
                        kind: pb::KeyDateKind::ContractRenewal as i32,
                        label: "Frame contract".into(),
                        date: on(today() + chrono::Duration::days(10)),
                        one_time: true,
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("an account")
            .into_inner();
        let manager = staff_on_team(server, &account.id, TeamRole::AccountManager).await;
        let sponsor = staff_on_team(server, &account.id, TeamRole::ExecutiveSponsor).await;
        let specialist = staff_on_team(server, &account.id, TeamRole::SalesSpecialist).await;
        let birthday = today() + chrono::Duration::days(20);
        server
            .accounts()
            .create_contact(pb::CreateContactRequest {
                contact: Some(pb::Contact {
                    account_id: account.id.clone(),
                    full_name: "Li Wei".into(),
                    key_dates: vec![pb::KeyDate {
                        kind: pb::KeyDateKind::Birthday as i32,
                        label: String::new(),
                        // Year unknown: any day of the year is a valid one.
                        date: Some(pb::Date {
                            year: 0,
                            month: birthday.month() as i32,
                            day: birthday.day() as i32,
                        }),
                        one_time: false,
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("a contact");
        let mut planning = PlanningServiceClient::new(server.channel());
        planning
            .set_tier_override(pb::SetTierOverrideRequest {
                tier_override: Some(pb::TierOverride {
                    account_id: account.id.clone(),
                    tier: pb::Tier::Key as i32,
                    reason: "test".into(),
                    ..Default::default()
                }),
            })
            .await
            .expect("KEY");
        let long_ago: DateTime<Utc> = Utc::now() - chrono::Duration::days(400);
        server
            .execute(
                "UPDATE tier_changes SET change_time = $1 WHERE account_id = $2",
                [long_ago.into(), Uuid::parse_str(&account.id).unwrap().into()],
            )
            .await;
        let plan = planning
            .create_account_plan(pb::CreateAccountPlanRequest {
                plan: Some(pb::AccountPlan {
                    account_id: account.id.clone(),
                    name: "This year".into(),
                    period_start: on(today() - chrono::Duration::days(30)),
                    period_end: on(today() + chrono::Duration::days(300)),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("a plan")
            .into_inner();
        Self {
            id: account.id,
            manager,
            sponsor,
            specialist,
            plan_id: plan.id,
        }
    }

    /// An open action of the specialist's, due `days_ago` days ago.
    async fn action_due(&self, server: &TestServer, title: &str, days_ago: i64) -> pb::PlanAction {
        PlanningServiceClient::new(server.channel())
            .create_plan_action(pb::CreatePlanActionRequest {
                action: Some(pb::PlanAction {
                    plan_id: self.plan_id.clone(),
                    title: title.to_owned(),
                    owner_staff_id: self.specialist.staff_id.clone(),
                    due_date: on(today() - chrono::Duration::days(days_ago)),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("an action")
            .into_inner()
    }
}

async fn inbox(
    caller: &Caller,
    request: pb::ListNotificationsRequest,
) -> Result<pb::ListNotificationsResponse, tonic::Status> {
    NotificationServiceClient::new(caller.channel())
        .list_notifications(request)
        .await
        .map(tonic::Response::into_inner)
}

async fn mine(caller: &Caller) -> pb::ListNotificationsResponse {
    inbox(caller, pb::ListNotificationsRequest::default())
        .await
        .expect("my notifications")
}

/// Each notification as (event type, reason).
fn kinds(list: &pb::ListNotificationsResponse) -> Vec<(String, Reason)> {
    let mut kinds: Vec<(String, Reason)> = list
        .notifications
        .iter()
        .map(|n| (n.event_type.clone(), n.reason()))
        .collect();
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    kinds
}

async fn events(server: &TestServer, event_type: &str) -> i64 {
    server
        .query_i64(
            "SELECT COUNT(*) FROM outbox_events WHERE event_type = $1",
            [event_type.into()],
        )
        .await
}

backend_tests! {
    /// Each warning once per occurrence, to the people it names, with its typed payload; a later
    /// instant brings only what became news by then.
    async fn the_watcher_announces_each_occurrence_once_to_the_people_it_names(server: &TestServer) {
        let account = Account::new(server, "Watched Works").await;
        let overdue = account.action_due(server, "Send the offer", 3).await;
        account.action_due(server, "Not yet", -5).await;
        let db = watcher_db(server).await;
        let planning = PlanningConfig::default();

        let first = watch(&db, &planning, Utc::now()).await;
        assert_eq!(
            (first.health_changes, first.key_dates, first.cadences, first.overdue_actions),
            (0, 1, 2, 1),
            "HEALTHY stays quiet; the renewal (not the birthday, 20 days out with 7 days' notice), both \
             cadences, the one overdue action"
        );
        // renewal: manager + sponsor; visit: manager + sponsor; touch: manager; action: manager + owner.
        assert_eq!(first.notifications, 7);
        let again = watch(&db, &planning, Utc::now()).await;
        assert_eq!(again, WatchReport::default(), "nothing is announced twice");
        for (event, count) in [("KeyDateUpcoming", 1), ("CadenceOverdue", 2), ("PlanActionOverdue", 1), ("AccountHealthChanged", 0)] {
            assert_eq!(events(server, event).await, count, "{event}");
        }

        assert_eq!(
            kinds(&mine(&account.manager).await),
            vec![
                ("CadenceOverdue".to_owned(), Reason::AccountManager),
                ("CadenceOverdue".to_owned(), Reason::AccountManager),
                ("KeyDateUpcoming".to_owned(), Reason::AccountManager),
                ("PlanActionOverdue".to_owned(), Reason::AccountManager),
            ]
        );
        let sponsor = mine(&account.sponsor).await;
        assert_eq!(
            kinds(&sponsor),
            vec![
                ("CadenceOverdue".to_owned(), Reason::ExecutiveSponsor),
                ("KeyDateUpcoming".to_owned(), Reason::ExecutiveSponsor),
            ]
        );
        let Some(Payload::CadenceOverdue(visit)) = sponsor.notifications.iter().find(|n| n.event_type == "CadenceOverdue").and_then(|n| n.payload.clone()) else {
            panic!("a typed cadence payload");
        };
        assert_eq!(visit.overdue.unwrap().kind(), pb::CadenceKind::ExecutiveVisitDue, "a sponsor hears of the executive visit only");
        let owner = mine(&account.specialist).await;
        assert_eq!(kinds(&owner), vec![("PlanActionOverdue".to_owned(), Reason::ActionOwner)]);
        let note = &owner.notifications[0];
        assert_eq!((note.account_id.as_str(), note.account_display_name.as_str()), (account.id.as_str(), "Watched Works"));
        assert!(note.read_time.is_none() && note.create_time.is_some());
        let Some(Payload::PlanActionOverdue(late)) = note.payload.clone() else { panic!("a typed payload") };
        assert_eq!(late.action.unwrap().id, overdue.id);
        assert_eq!(late.days_overdue, 3);
        assert_eq!(
            late.recipients.iter().map(|r| (r.staff_id.clone(), r.reason())).collect::<Vec<_>>(),
            vec![
                (account.manager.staff_id.clone(), Reason::AccountManager),
                (account.specialist.staff_id.clone(), Reason::ActionOwner),
            ]
        );
        let renewal = mine(&account.manager).await.notifications.into_iter().find_map(|n| match n.payload {
            Some(Payload::KeyDateUpcoming(event)) => Some(event),
            _ => None,
        }).expect("the renewal");
        assert_eq!((renewal.notice_days, renewal.key_date.as_ref().unwrap().label.as_str()), (90, "Frame contract"));
        assert_eq!(renewal.key_date.unwrap().days_until, 10);

        // Two weeks on, the birthday is 6 days away (to the account manager only) and the action that
        // was due in 5 days is overdue (to the manager and its owner); the rest was said already.
        let later = watch(&db, &planning, Utc::now() + chrono::Duration::days(14)).await;
        assert_eq!((later.key_dates, later.cadences, later.overdue_actions, later.notifications), (1, 0, 1, 3));
        assert_eq!(mine(&account.manager).await.notifications.len(), 6);
        assert_eq!(mine(&account.sponsor).await.notifications.len(), 2);

        // Health: made AT_RISK by stricter thresholds it is news (it was remembered HEALTHY), and so is
        // its recovery.
        let strict = PlanningConfig {
            health: kam_server::planning::rules::health::HealthConfig { at_risk_below: 101, watch_below: 101, ..Default::default() },
            ..PlanningConfig::default()
        };
        let falls = watch(&db, &strict, Utc::now()).await;
        assert_eq!((falls.health_changes, falls.notifications), (1, 2), "to the manager and the sponsor");
        assert_eq!(watch(&db, &strict, Utc::now()).await.health_changes, 0);
        let recovers = watch(&db, &planning, Utc::now()).await;
        assert_eq!(recovers.health_changes, 1);
        assert_eq!(events(server, "AccountHealthChanged").await, 2);
        let changes: Vec<pb::AccountHealthChanged> = mine(&account.sponsor).await.notifications.into_iter().filter_map(|n| match n.payload {
            Some(Payload::AccountHealthChanged(event)) => Some(event),
            _ => None,
        }).collect();
        let levels: Vec<(i32, i32)> = changes.iter().map(|c| (c.old_level, c.health.as_ref().unwrap().level)).collect();
        use pb::account_health::Level;
        assert_eq!(levels, vec![(Level::AtRisk as i32, Level::Healthy as i32), (Level::Healthy as i32, Level::AtRisk as i32)], "newest first");
    }

    /// A person marks their own notifications read and unread again; unread counts and filters follow;
    /// another's notifications are neither readable (but by those who oversee people) nor markable.
    async fn people_read_and_mark_their_own_notifications(server: &TestServer) {
        let account = Account::new(server, "Inbox Works").await;
        for title in ["One", "Two", "Three"] {
            account.action_due(server, title, 2).await;
        }
        let db = watcher_db(server).await;
        watch(&db, &PlanningConfig::default(), Utc::now()).await;
        let owner = &account.specialist;
        let all = mine(owner).await;
        assert_eq!((all.notifications.len(), all.unread_count), (3, 3));
        let ids: Vec<String> = all.notifications.iter().map(|n| n.id.clone()).collect();

        let mut client = NotificationServiceClient::new(owner.channel());
        let mark = |ids: Vec<String>, unread: bool| pb::MarkNotificationsReadRequest { ids, unread };
        let changed = client.mark_notifications_read(mark(ids[..2].to_vec(), false)).await.unwrap().into_inner().changed;
        assert_eq!(changed, 2);
        assert_eq!(client.mark_notifications_read(mark(ids[..2].to_vec(), false)).await.unwrap().into_inner().changed, 0, "twice changes nothing");
        let unread = inbox(owner, pb::ListNotificationsRequest { unread_only: true, ..Default::default() }).await.unwrap();
        assert_eq!((unread.notifications.len(), unread.unread_count), (1, 1));
        assert_eq!(unread.notifications[0].id, ids[2]);
        assert!(mine(owner).await.notifications.iter().filter(|n| n.read_time.is_some()).count() == 2);
        assert_eq!(client.mark_notifications_read(mark(vec![ids[0].clone()], true)).await.unwrap().into_inner().changed, 1);
        assert_eq!(mine(owner).await.unread_count, 2);

        // Page by page, newest first, no repeats.
        let first = inbox(owner, pb::ListNotificationsRequest { page_size: 2, ..Default::default() }).await.unwrap();
        let second = inbox(owner, pb::ListNotificationsRequest { page_size: 2, page_token: first.next_page_token.clone(), ..Default::default() }).await.unwrap();
        let paged: Vec<String> = first.notifications.iter().chain(&second.notifications).map(|n| n.id.clone()).collect();
        assert_eq!(paged, ids);
        assert!(second.next_page_token.is_empty());

        // Another's: the manager may not mark the owner's, nor read them (a MEMBER); an ADMIN may read.
        let mut as_manager = NotificationServiceClient::new(account.manager.channel());
        let refused = as_manager.mark_notifications_read(mark(vec![ids[2].clone()], false)).await.unwrap_err();
        let unknown = as_manager.mark_notifications_read(mark(vec![Uuid::now_v7().to_string()], false)).await.unwrap_err();
        assert_eq!(assert_error(&refused, Code::PermissionDenied).reason, assert_error(&unknown, Code::PermissionDenied).reason);
        assert_eq!(mine(owner).await.unread_count, 2, "refused whole");
        let peeking = inbox(&account.manager, pb::ListNotificationsRequest { staff_id: owner.staff_id.clone(), ..Default::default() }).await.unwrap_err();
        assert_error(&peeking, Code::PermissionDenied);
        let by_admin = inbox(server.admin(), pb::ListNotificationsRequest { staff_id: owner.staff_id.clone(), ..Default::default() }).await.unwrap();
        assert_eq!(by_admin.notifications.len(), 3);
        assert!(mine(server.admin()).await.notifications.is_empty(), "an ADMIN's own list is its own");

        for bad in [vec![], vec!["nope".to_owned()], vec![ids[0].clone(); 1001]] {
            let status = client.mark_notifications_read(mark(bad, false)).await.unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument);
        }
        assert_invalid_argument(
            &inbox(owner, pb::ListNotificationsRequest { staff_id: "nope".into(), ..Default::default() }).await.unwrap_err(),
            "staff_id",
        );
    }
}

/// The server's own watcher, at a 1 s interval: an overdue action is announced without anyone calling,
/// and only once however many ticks follow.
async fn the_servers_watcher_runs_on_its_interval(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |config| {
        config.notifications.watch_interval_seconds = 1;
    })
    .await
    else {
        return;
    };
    let account = Account::new(&server, "Ticking Works").await;
    account.action_due(&server, "Late", 1).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while mine(&account.specialist).await.notifications.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the watcher did not announce the overdue action"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(mine(&account.specialist).await.notifications.len(), 1);
    assert_eq!(events(&server, "PlanActionOverdue").await, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_watcher_runs_on_its_interval_on_sqlite() {
    the_servers_watcher_runs_on_its_interval(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_watcher_runs_on_its_interval_on_postgres() {
    the_servers_watcher_runs_on_its_interval(Backend::Postgres).await;
}

/// Two servers on one PostgreSQL database, each with its watcher at a 1 s interval, and two more
/// watchers run by hand at the same time: every overdue action is announced once, whoever gets to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_announce_each_occurrence_once() {
    let Some(server) = TestServer::start_with(Backend::Postgres, |config| {
        config.notifications.watch_interval_seconds = 1;
    })
    .await
    else {
        eprintln!("skipping the two-server test: it needs PostgreSQL (KAM_TEST_POSTGRES_URL is not set)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("kam-second-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("a directory for the second server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = Config {
        listen_addr: listener.local_addr().expect("an address"),
        database_url: server.database_url().to_owned(),
        db_max_connections: 4,
        admin_key_file: Some(dir.join("kam-admin.key")),
        notifications: NotificationsConfig {
            watch_interval_seconds: 1,
            ..Default::default()
        },
        ..Config::default()
    };
    let (stop_second, stopped) = tokio::sync::oneshot::channel::<()>();
    let second = tokio::spawn(kam_server::run(config, listener, async move {
        let _ = stopped.await;
    }));

    const ACTIONS: i64 = 20;
    let account = Account::new(&server, "Contended Works").await;
    for i in 0..ACTIONS {
        account.action_due(&server, &format!("Late {i}"), 1 + i).await;
    }
    // Two watchers by hand, at once, besides the servers' own: the claims decide.
    let (a, b) = (watcher_db(&server).await, watcher_db(&server).await);
    let planning = PlanningConfig::default();
    let (one, two) = tokio::join!(watch(&a, &planning, Utc::now()), watch(&b, &planning, Utc::now()));
    assert!(one.overdue_actions + two.overdue_actions <= ACTIONS as usize);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while events(&server, "PlanActionOverdue").await < ACTIONS {
        assert!(
            std::time::Instant::now() < deadline,
            "the watchers did not announce every action in time"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(events(&server, "PlanActionOverdue").await, ACTIONS);
    assert_eq!(events(&server, "KeyDateUpcoming").await, 1);
    assert_eq!(events(&server, "CadenceOverdue").await, 2);
    assert_eq!(
        mine(&account.specialist).await.notifications.len() as i64,
        ACTIONS
    );
    let _ = stop_second.send(());
    second
        .await
        .expect("the second server's task")
        .expect("the second server stopped cleanly");
    server.stop().await;
}
