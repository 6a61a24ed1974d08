//! The SLA breach monitor and the service-request handover, end to end on SQLite and PostgreSQL (when
//! `KAM_TEST_POSTGRES_URL` is set).
//!
//! Requests are aged by rewriting the instants of their history in the database (as
//! `service_levels.rs` does) and marked due with `next_check_time`; the monitor is then run with
//! [`scan_once`] on its own connection, at a chosen instant, so each step is deterministic. The servers
//! of those tests run with their own monitor off; one test checks the server's monitor itself.

use std::{
    collections::HashSet,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use kam_server::{
    Config,
    platform::db::Db,
    service_levels::monitor::{ScanReport, scan_once},
};
use kam_tests::{
    Backend, TestServer, assert_failed_precondition,
    pb::{
        self, Priority, StaffLevel, TeamRole, escalation_step::Trigger,
        service_level_service_client::ServiceLevelServiceClient, service_request::Status,
    },
};
use sea_orm::{Value, prelude::DateTimeUtc};
use uuid::Uuid;

const ALWAYS_OPEN: &str = "00000000-0000-7000-8000-000000000300";
const CUSTOMER_SERVICE: &str = "00000000-0000-7000-8000-000000000003";

/// Targets of the test policy (24x7, every priority): first response 60 minutes, resolution 240,
/// warning at 80 % (48 and 192 minutes); the executive sponsor 30 minutes after a breach.
const FIRST_RESPONSE: i64 = 60;
const SPONSOR_DELAY: i64 = 30;

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

fn instant(seconds: i64) -> DateTimeUtc {
    DateTimeUtc::from_timestamp(seconds, 0).expect("a valid instant")
}

fn uuid(id: &str) -> Uuid {
    Uuid::parse_str(id).expect("an id")
}

/// Runs each `async fn name(server: &TestServer)` on both backends like `backend_tests!`, on a server
/// whose own monitor is off, so that only the test's scans record anything.
macro_rules! monitor_tests {
    ($(async fn $name:ident($server:ident : &TestServer) $body:block)*) => {
        $(async fn $name($server: &TestServer) $body)*
        mod sqlite { monitor_tests!(@backend Sqlite; $($name)*); }
        mod postgres { monitor_tests!(@backend Postgres; $($name)*); }
    };
    (@backend $backend:ident; $($name:ident)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(server) = kam_tests::TestServer::start_with(kam_tests::Backend::$backend, |config| {
                    config.sla.monitor_interval_seconds = 0;
                })
                .await
                else {
                    return;
                };
                super::$name(&server).await;
                server.stop().await;
            }
        )*
    };
}

/// The monitor's own connection to the server's database.
async fn monitor_db(server: &TestServer) -> Db {
    Db::connect(&Config {
        database_url: server.database_url().to_owned(),
        db_max_connections: 4,
        ..Config::default()
    })
    .await
    .expect("connect the monitor")
}

async fn scan(db: &Db, at: i64) -> ScanReport {
    scan_once(db, instant(at), 100).await.expect("scan")
}

/// An account with a team (account manager, CUSTOMER_SERVICE liaison, executive sponsor), an assignee,
/// and a 24x7 policy of its own escalating along the seeded ladder.
struct Desk<'a> {
    server: &'a TestServer,
    client: ServiceLevelServiceClient<kam_tests::Authed>,
    account_id: String,
    assignee: String,
    manager: String,
    liaison: String,
    sponsor: String,
}

impl<'a> Desk<'a> {
    async fn new(server: &'a TestServer) -> Self {
        let account_id = server
            .accounts()
            .create_account(pb::CreateAccountRequest {
                account: Some(pb::Account {
                    display_name: format!("Monitored {}", Uuid::now_v7().simple()),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create an account")
            .into_inner()
            .id;
        let assignee = server.create_staff(StaffLevel::Staff).await.id;
        let manager = server.create_staff(StaffLevel::Manager).await.id;
        let sponsor = server.create_staff(StaffLevel::Executive).await.id;
        let liaison = server
            .teams()
            .create_staff(pb::CreateStaffRequest {
                staff: Some(pb::Staff {
                    full_name: "Service liaison".to_owned(),
                    email: format!("{}@example.com", Uuid::now_v7().simple()),
                    department_id: CUSTOMER_SERVICE.to_owned(),
                    level: StaffLevel::Staff as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create the liaison")
            .into_inner()
            .id;
        for (staff, role, liaison) in [
            (&manager, TeamRole::AccountManager, false),
            (&sponsor, TeamRole::ExecutiveSponsor, false),
            (&liaison, TeamRole::ServiceLead, true),
        ] {
            server
                .teams()
                .add_team_member(pb::AddTeamMemberRequest {
                    member: Some(pb::TeamMember {
                        account_id: account_id.clone(),
                        staff_id: staff.clone(),
                        role: role as i32,
                        is_department_liaison: liaison,
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("add a team member");
        }
        let step = |trigger: Trigger, delay: i64, assignee: bool, roles: &[TeamRole], liaisons: &[&str]| {
            pb::EscalationStep {
                trigger: trigger as i32,
                target: 0,
                delay_minutes: delay as i32,
                notify_assignee: assignee,
                roles: roles.iter().map(|r| *r as i32).collect(),
                liaison_department_codes: liaisons.iter().map(|c| (*c).to_owned()).collect(),
            }
        };
        let mut client = ServiceLevelServiceClient::new(server.channel());
        client
            .create_sla_policy(pb::CreateSlaPolicyRequest {
                policy: Some(pb::SlaPolicy {
                    display_name: format!("Monitored {}", Uuid::now_v7().simple()),
                    account_id: account_id.clone(),
                    calendar_id: ALWAYS_OPEN.to_owned(),
                    targets: [Priority::P1, Priority::P2, Priority::P3, Priority::P4]
                        .into_iter()
                        .map(|p| pb::PriorityTargets {
                            priority: p as i32,
                            first_response_minutes: FIRST_RESPONSE as i32,
                            resolution_minutes: 240,
                        })
                        .collect(),
                    escalation_steps: vec![
                        step(Trigger::AtRisk, 0, true, &[], &[]),
                        step(
                            Trigger::Breached,
                            0,
                            false,
                            &[TeamRole::AccountManager],
                            &["CUSTOMER_SERVICE"],
                        ),
                        step(
                            Trigger::Breached,
                            SPONSOR_DELAY,
                            false,
                            &[TeamRole::ExecutiveSponsor],
                            &[],
                        ),
                    ],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create the account's policy");
        Self {
            server,
            client,
            account_id,
            assignee,
            manager,
            liaison,
            sponsor,
        }
    }

    async fn create(&mut self, assignee: Option<&str>) -> pb::ServiceRequest {
        self.client
            .create_service_request(pb::CreateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    account_id: self.account_id.clone(),
                    title: format!("Broken {}", Uuid::now_v7().simple()),
                    assignee_staff_id: assignee.unwrap_or_default().to_owned(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a request")
            .into_inner()
    }

    async fn status(&mut self, id: &str, to: Status) {
        self.client
            .change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                id: id.to_owned(),
                status: to as i32,
                note: String::new(),
                etag: String::new(),
            })
            .await
            .expect("change the status");
    }

    /// Moves the request's whole life `minutes` into the past (every history entry, the creation and
    /// the fulfilments keep their distances) and marks it due for the monitor at `due_at`.
    async fn age(&self, id: &str, minutes: i64, due_at: i64) {
        let id = uuid(id);
        // Timestamps are shifted in Rust: interval arithmetic differs between the backends.
        let db = self.server.db().await;
        use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
        let backend = db.get_database_backend();
        let placeholders = |sql: &str| match backend {
            DatabaseBackend::Sqlite => sql.replace("$1", "?").replace("$2", "?"),
            _ => sql.to_owned(),
        };
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                placeholders("SELECT id, change_time FROM service_request_status_changes WHERE service_request_id = $1"),
                [Value::from(id)],
            ))
            .await
            .expect("read the history");
        let back = |t: DateTimeUtc| instant(t.timestamp() - minutes * 60);
        for row in rows {
            let change: Uuid = row.try_get("", "id").expect("id");
            let time: DateTimeUtc = row.try_get("", "change_time").expect("change_time");
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                placeholders("UPDATE service_request_status_changes SET change_time = $1 WHERE id = $2"),
                [Value::from(back(time)), Value::from(change)],
            ))
            .await
            .expect("age the history");
        }
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                placeholders(
                    "SELECT create_time, status_time, sla_apply_time, first_response_time, resolve_time \
                     FROM service_requests WHERE id = $1",
                ),
                [Value::from(id)],
            ))
            .await
            .expect("read the request")
            .expect("the request exists");
        let get = |column: &str| -> Option<DateTimeUtc> { row.try_get("", column).expect("a timestamp") };
        let sql = match backend {
            DatabaseBackend::Sqlite => {
                "UPDATE service_requests SET create_time = ?, status_time = ?, sla_apply_time = ?, \
                 first_response_time = ?, resolve_time = ?, next_check_time = ? WHERE id = ?"
            }
            _ => {
                "UPDATE service_requests SET create_time = $1, status_time = $2, sla_apply_time = $3, \
                 first_response_time = $4, resolve_time = $5, next_check_time = $6 WHERE id = $7"
            }
        };
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                Value::from(get("create_time").map(back)),
                Value::from(get("status_time").map(back)),
                Value::from(get("sla_apply_time").map(back)),
                Value::from(get("first_response_time").map(back)),
                Value::from(get("resolve_time").map(back)),
                Value::from(Some(instant(due_at))),
                Value::from(id),
            ],
        ))
        .await
        .expect("age the request");
        let _ = db.close().await;
    }

    async fn escalations(&mut self, id: &str) -> Vec<pb::Escalation> {
        self.client
            .list_escalations(pb::ListEscalationsRequest {
                service_request_id: id.to_owned(),
                ..Default::default()
            })
            .await
            .expect("list escalations")
            .into_inner()
            .escalations
    }

    /// Events of `event_type` about request `id`.
    async fn events(&self, event_type: &str, id: &str) -> i64 {
        if event_type == "SlaEscalated" {
            let rows = self
                .server
                .query_i64(
                    "SELECT count(*) FROM sla_escalations WHERE service_request_id = $1",
                    [Value::from(uuid(id))],
                )
                .await;
            let events = self.count_events(event_type, id).await;
            assert_eq!(rows, events, "one SlaEscalated event per escalation row");
        }
        self.count_events(event_type, id).await
    }

    async fn count_events(&self, event_type: &str, id: &str) -> i64 {
        self.server
            .query_i64(
                "SELECT count(*) FROM outbox_events WHERE event_type = $1 AND resource_id = $2",
                [Value::from(event_type.to_owned()), Value::from(id.to_owned())],
            )
            .await
    }

    async fn recorded(&self, id: &str) -> (String, String) {
        let db = self.server.db().await;
        use sea_orm::{ConnectionTrait, Statement};
        let backend = db.get_database_backend();
        let sql = match backend {
            sea_orm::DatabaseBackend::Sqlite => {
                "SELECT first_response_sla_state, resolution_sla_state FROM service_requests WHERE id = ?"
            }
            _ => "SELECT first_response_sla_state, resolution_sla_state FROM service_requests WHERE id = $1",
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [Value::from(uuid(id))],
            ))
            .await
            .expect("read")
            .expect("a row");
        let states = (
            row.try_get("", "first_response_sla_state").expect("a state"),
            row.try_get("", "resolution_sla_state").expect("a state"),
        );
        let _ = db.close().await;
        states
    }
}

fn recipients(escalation: &pb::Escalation) -> Vec<(String, String)> {
    escalation
        .recipients
        .iter()
        .map(|r| (r.staff_id.clone(), r.reason.clone()))
        .collect()
}

monitor_tests! {
    async fn each_transition_is_recorded_once_and_escalates_along_the_ladder(server: &TestServer) {
        let mut desk = Desk::new(server).await;
        let monitor = monitor_db(server).await;
        let assignee = desk.assignee.clone();
        let request = desk.create(Some(&assignee)).await;
        let now = now_secs();

        // 50 of 60 minutes gone: the first response is at risk; the assignee hears of it.
        desk.age(&request.id, 50, now).await;
        let first = scan(&monitor, now).await;
        assert_eq!(
            first,
            ScanReport { examined: 1, at_risk_recorded: 1, breached_recorded: 0, escalations: 1 }
        );
        assert_eq!(desk.recorded(&request.id).await, ("AT_RISK".to_owned(), "IN_PROGRESS".to_owned()));
        let listed = desk.escalations(&request.id).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].trigger, Trigger::AtRisk as i32);
        assert_eq!(listed[0].target, pb::SlaTargetKind::FirstResponse as i32);
        assert_eq!(listed[0].step_index, 0);
        assert_eq!(recipients(&listed[0]), [(assignee.clone(), "ASSIGNEE".to_owned())]);
        // The request is not due again before its first response is.
        assert_eq!(scan(&monitor, now).await, ScanReport::default());
        assert_eq!(scan(&monitor, now + 5 * 60).await, ScanReport::default());

        // 70 minutes gone: breached; the account manager and the service liaison hear of it.
        desk.age(&request.id, 20, now).await;
        let breached = scan(&monitor, now).await;
        assert_eq!(
            breached,
            ScanReport { examined: 1, at_risk_recorded: 0, breached_recorded: 1, escalations: 1 }
        );
        assert_eq!(desk.recorded(&request.id).await.0, "BREACHED");
        let listed = desk.escalations(&request.id).await;
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1].trigger, Trigger::Breached as i32);
        assert_eq!(listed[1].step_index, 1);
        assert_eq!(
            recipients(&listed[1]),
            [
                (desk.manager.clone(), "ACCOUNT_MANAGER".to_owned()),
                (desk.liaison.clone(), "LIAISON:CUSTOMER_SERVICE".to_owned()),
            ]
        );

        // The sponsor's step comes 30 business minutes after the due time (10 minutes ago): not yet,
        // and not twice.
        assert_eq!(scan(&monitor, now).await, ScanReport::default());
        assert_eq!(scan(&monitor, now + 19 * 60).await, ScanReport::default());
        let sponsor = scan(&monitor, now + 21 * 60).await;
        assert_eq!(sponsor, ScanReport { examined: 1, escalations: 1, ..Default::default() });
        assert_eq!(scan(&monitor, now + 22 * 60).await, ScanReport::default());
        let listed = desk.escalations(&request.id).await;
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[2].step_index, 2);
        assert_eq!(recipients(&listed[2]), [(desk.sponsor.clone(), "EXECUTIVE_SPONSOR".to_owned())]);

        // Each transition and escalation announced exactly once.
        assert_eq!(desk.events("SlaAtRisk", &request.id).await, 1);
        assert_eq!(desk.events("SlaBreached", &request.id).await, 1);
        assert_eq!(desk.events("SlaEscalated", &request.id).await, 3);
        // The audit trail names the monitor.
        let audited = server
            .query_i64(
                "SELECT count(*) FROM audit_entries WHERE resource_id = $1 AND method = 'sla-monitor'",
                [Value::from(request.id.clone())],
            )
            .await;
        assert_eq!(audited, 5);
        monitor.conn().clone().close().await.unwrap();
    }

    async fn a_target_that_jumps_to_breached_passes_at_risk_on_the_way(server: &TestServer) {
        let mut desk = Desk::new(server).await;
        let monitor = monitor_db(server).await;
        let request = desk.create(None).await;
        let now = now_secs();
        // 100 minutes: breached 40 minutes ago, the sponsor's step 10 minutes ago; the resolution
        // (192 minutes to at risk) still runs.
        desk.age(&request.id, 100, now).await;
        let report = scan(&monitor, now).await;
        assert_eq!(
            report,
            ScanReport { examined: 1, at_risk_recorded: 1, breached_recorded: 1, escalations: 3 }
        );
        let listed = desk.escalations(&request.id).await;
        let steps: Vec<i32> = listed.iter().map(|e| e.step_index).collect();
        assert_eq!(steps, [0, 1, 2]);
        assert!(listed[0].recipients.is_empty(), "nobody is assigned: the step ran, naming nobody");
        assert_eq!(desk.events("SlaAtRisk", &request.id).await, 1);
        assert_eq!(desk.events("SlaBreached", &request.id).await, 1);
        // Next: the resolution turns at risk at 192 minutes.
        assert_eq!(scan(&monitor, now + 91 * 60).await, ScanReport::default());
        let resolution = scan(&monitor, now + 93 * 60).await;
        assert_eq!(
            resolution,
            ScanReport { examined: 1, at_risk_recorded: 1, breached_recorded: 0, escalations: 1 }
        );
        assert_eq!(desk.recorded(&request.id).await, ("BREACHED".to_owned(), "AT_RISK".to_owned()));
        monitor.conn().clone().close().await.unwrap();
    }

    async fn paused_and_met_requests_are_looked_at_and_left_alone(server: &TestServer) {
        let mut desk = Desk::new(server).await;
        let monitor = monitor_db(server).await;
        let assignee = desk.assignee.clone();
        // Answered and waiting on the customer: first response met, resolution paused.
        let waiting = desk.create(Some(&assignee)).await;
        desk.client
            .record_first_response(pb::RecordFirstResponseRequest { id: waiting.id.clone(), etag: String::new() })
            .await
            .expect("respond");
        desk.status(&waiting.id, Status::WaitingOnCustomer).await;
        // Resolved at once: both met.
        let resolved = desk.create(Some(&assignee)).await;
        desk.status(&resolved.id, Status::Resolved).await;
        // Cancelled: nothing to record.
        let cancelled = desk.create(Some(&assignee)).await;
        desk.status(&cancelled.id, Status::Cancelled).await;
        let now = now_secs();
        for request in [&waiting, &resolved, &cancelled] {
            desk.age(&request.id, 600, now).await;
        }
        let report = scan(&monitor, now).await;
        assert_eq!(report, ScanReport { examined: 3, ..Default::default() });
        for request in [&waiting, &resolved, &cancelled] {
            assert_eq!(desk.recorded(&request.id).await, ("IN_PROGRESS".to_owned(), "IN_PROGRESS".to_owned()));
            assert!(desk.escalations(&request.id).await.is_empty());
            assert_eq!(desk.events("SlaAtRisk", &request.id).await, 0);
            assert_eq!(desk.events("SlaBreached", &request.id).await, 0);
        }
        // Only an event can change them now: none is due again.
        let due = server
            .query_i64(
                "SELECT count(*) FROM service_requests WHERE account_id = $1 AND next_check_time IS NOT NULL",
                [Value::from(uuid(&desk.account_id))],
            )
            .await;
        assert_eq!(due, 0);
        assert_eq!(scan(&monitor, now + 100_000).await, ScanReport::default());
        monitor.conn().clone().close().await.unwrap();
    }

    async fn open_requests_move_in_a_handover_and_block_deactivation(server: &TestServer) {
        let mut desk = Desk::new(server).await;
        let leaver = desk.assignee.clone();
        let successor = server.create_staff(StaffLevel::Staff).await.id;
        let open = desk.create(Some(&leaver)).await;
        let done = desk.create(Some(&leaver)).await;
        desk.status(&done.id, Status::Resolved).await;
        let mut other = Desk::new(server).await;
        other.assignee = leaver.clone();
        let elsewhere = other.create(Some(&leaver)).await;

        let workload = |staff: String| async move {
            server
                .teams()
                .get_workload(pb::GetWorkloadRequest { staff_ids: vec![staff.clone()] })
                .await
                .expect("workload")
                .into_inner()
                .workloads
                .into_iter()
                .find(|w| w.staff_id == staff)
                .and_then(|w| w.open_items.get("service_requests").copied())
                .unwrap_or_default()
        };
        assert_eq!(workload(leaver.clone()).await, 2, "the resolved request is not counted");
        let deactivate = || async {
            server
                .teams()
                .deactivate_staff(pb::DeactivateStaffRequest { id: leaver.clone(), etag: String::new() })
                .await
        };
        assert_failed_precondition(&deactivate().await.unwrap_err(), "HAS_RESPONSIBILITIES");

        let transfer = |accounts: Vec<String>, validate_only: bool| pb::TransferResponsibilitiesRequest {
            from_staff_id: leaver.clone(),
            to_staff_id: successor.clone(),
            account_ids: accounts,
            reason: "Leaves".to_owned(),
            validate_only,
        };
        let preview = server
            .teams()
            .transfer_responsibilities(transfer(vec![desk.account_id.clone()], true))
            .await
            .expect("validate the handover")
            .into_inner();
        assert_eq!(preview.moved.len(), 1);
        assert_eq!(preview.moved[0].item_id, open.id);
        let get = |id: String| {
            let mut client = desk.client.clone();
            async move {
                client
                    .get_service_request(pb::GetServiceRequestRequest { id })
                    .await
                    .expect("get")
                    .into_inner()
            }
        };
        assert_eq!(get(open.id.clone()).await.assignee_staff_id, leaver, "validate_only changes nothing");

        server
            .teams()
            .transfer_responsibilities(transfer(vec![desk.account_id.clone()], false))
            .await
            .expect("hand over one account");
        let moved = get(open.id.clone()).await;
        assert_eq!(moved.assignee_staff_id, successor);
        assert_ne!(moved.etag, open.etag, "a moved request has a new etag");
        assert_eq!(get(done.id.clone()).await.assignee_staff_id, leaver, "a resolved request stays");
        assert_eq!(get(elsewhere.id.clone()).await.assignee_staff_id, leaver, "another account's stays");
        assert_eq!((workload(leaver.clone()).await, workload(successor.clone()).await), (1, 1));

        server
            .teams()
            .transfer_responsibilities(transfer(Vec::new(), false))
            .await
            .expect("hand over the rest");
        assert_eq!(get(elsewhere.id.clone()).await.assignee_staff_id, successor);
        assert!(!deactivate().await.expect("deactivate").into_inner().active);
    }
}

/// Two monitors on one PostgreSQL database, scanning the same due requests at the same time in small
/// batches, as two server replicas would: every transition, event and escalation is recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_monitors_on_one_postgres_record_everything_exactly_once() {
    let Some(server) = TestServer::start_with(Backend::Postgres, |config| {
        config.sla.monitor_interval_seconds = 0;
    })
    .await
    else {
        eprintln!("skipping the two-monitor test: it needs PostgreSQL (KAM_TEST_POSTGRES_URL is not set)");
        return;
    };
    const REQUESTS: usize = 40;
    let mut desk = Desk::new(&server).await;
    let assignee = desk.assignee.clone();
    let mut ids = Vec::new();
    for _ in 0..REQUESTS {
        ids.push(desk.create(Some(&assignee)).await.id);
    }
    let now = now_secs();
    for id in &ids {
        // Breached 40 minutes ago, the sponsor due 10 minutes ago: three steps each.
        desk.age(id, 100, now).await;
    }

    let mut scanners = Vec::new();
    for _ in 0..2 {
        let db = monitor_db(&server).await;
        scanners.push(tokio::spawn(async move {
            let mut total = ScanReport::default();
            for _ in 0..20 {
                let report = scan_once(&db, instant(now), 3).await.expect("scan");
                total.examined += report.examined;
                total.at_risk_recorded += report.at_risk_recorded;
                total.breached_recorded += report.breached_recorded;
                total.escalations += report.escalations;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            db.conn().clone().close().await.unwrap();
            total
        }));
    }
    let mut total = ScanReport::default();
    for scanner in scanners {
        let report = scanner.await.expect("a scanner");
        total.examined += report.examined;
        total.at_risk_recorded += report.at_risk_recorded;
        total.breached_recorded += report.breached_recorded;
        total.escalations += report.escalations;
    }
    let n = REQUESTS as u64;
    assert_eq!(
        total,
        ScanReport {
            examined: n,
            at_risk_recorded: n,
            breached_recorded: n,
            escalations: 3 * n
        }
    );
    let count = |sql: &'static str| server.query_i64(sql, []);
    assert_eq!(
        count("SELECT count(*) FROM outbox_events WHERE event_type = 'SlaAtRisk'").await,
        n as i64
    );
    assert_eq!(
        count("SELECT count(*) FROM outbox_events WHERE event_type = 'SlaBreached'").await,
        n as i64
    );
    assert_eq!(
        count("SELECT count(*) FROM outbox_events WHERE event_type = 'SlaEscalated'").await,
        3 * n as i64
    );
    assert_eq!(count("SELECT count(*) FROM sla_escalations").await, 3 * n as i64);
    assert_eq!(
        count("SELECT count(*) FROM (SELECT DISTINCT service_request_id, target, step_index FROM sla_escalations) d")
            .await,
        3 * n as i64
    );
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), REQUESTS);
    server.stop().await;
}

/// The server's own monitor, at a 1 s interval: an aged request is recorded without anyone calling.
async fn the_servers_monitor_runs_on_its_interval(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |config| {
        config.sla.monitor_interval_seconds = 1;
    })
    .await
    else {
        return;
    };
    let mut desk = Desk::new(&server).await;
    let assignee = desk.assignee.clone();
    let request = desk.create(Some(&assignee)).await;
    desk.age(&request.id, 70, now_secs()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while desk.events("SlaBreached", &request.id).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the monitor did not record the breach"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few more ticks change nothing.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(desk.events("SlaAtRisk", &request.id).await, 1);
    assert_eq!(desk.events("SlaBreached", &request.id).await, 1);
    assert_eq!(desk.escalations(&request.id).await.len(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_monitor_runs_on_its_interval_on_sqlite() {
    the_servers_monitor_runs_on_its_interval(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_monitor_runs_on_its_interval_on_postgres() {
    the_servers_monitor_runs_on_its_interval(Backend::Postgres).await;
}

/// Two server instances on one PostgreSQL database, each with its own monitor at a 1 s interval: the
/// due requests are recorded and escalated once, whichever server gets to each.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_monitor_without_double_recording() {
    let Some(server) = TestServer::start_with(Backend::Postgres, |config| {
        config.sla.monitor_interval_seconds = 1;
    })
    .await
    else {
        eprintln!("skipping the two-server test: it needs PostgreSQL (KAM_TEST_POSTGRES_URL is not set)");
        return;
    };
    // The second server: same database, its own listener, key file and monitor.
    let dir = std::env::temp_dir().join(format!("kam-second-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("a directory for the second server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = Config {
        listen_addr: listener.local_addr().expect("an address"),
        database_url: server.database_url().to_owned(),
        db_max_connections: 4,
        admin_key_file: Some(dir.join("kam-admin.key")),
        sla: kam_server::config::SlaConfig {
            monitor_interval_seconds: 1,
            monitor_batch_size: 4,
        },
        ..Config::default()
    };
    let (stop_second, stopped) = tokio::sync::oneshot::channel::<()>();
    let second = tokio::spawn(kam_server::run(config, listener, async move {
        let _ = stopped.await;
    }));

    const REQUESTS: usize = 30;
    let mut desk = Desk::new(&server).await;
    let assignee = desk.assignee.clone();
    let mut ids = Vec::new();
    for _ in 0..REQUESTS {
        ids.push(desk.create(Some(&assignee)).await.id);
    }
    let now = now_secs();
    for id in &ids {
        desk.age(id, 100, now).await;
    }
    let n = REQUESTS as i64;
    let count = |sql: &'static str| server.query_i64(sql, []);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while count("SELECT count(*) FROM sla_escalations").await < 3 * n {
        assert!(
            std::time::Instant::now() < deadline,
            "the monitors did not escalate every request in time"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Both keep ticking for a while: nothing more is recorded.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        count("SELECT count(*) FROM outbox_events WHERE event_type = 'SlaAtRisk'").await,
        n
    );
    assert_eq!(
        count("SELECT count(*) FROM outbox_events WHERE event_type = 'SlaBreached'").await,
        n
    );
    assert_eq!(
        count("SELECT count(*) FROM outbox_events WHERE event_type = 'SlaEscalated'").await,
        3 * n
    );
    assert_eq!(count("SELECT count(*) FROM sla_escalations").await, 3 * n);
    assert_eq!(
        count("SELECT count(*) FROM service_requests WHERE first_response_sla_state = 'BREACHED'").await,
        n
    );
    let _ = stop_second.send(());
    second
        .await
        .expect("the second server's task")
        .expect("the second server stopped cleanly");
    let _ = std::fs::remove_dir_all(&dir);
    server.stop().await;
}
