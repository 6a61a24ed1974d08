//! TeamService end to end: departments, staff, account teams and their rules, the coverage and workload
//! reports and the handover, through real gRPC on SQLite and on PostgreSQL (when
//! `KAM_TEST_POSTGRES_URL` is set).
//!
//! Every team rule is exercised on a direct write and on an update (or, for the handover, on a
//! `validate_only` run and a real one), and every refusal is checked to leave the stored state as it was.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
    time::Duration,
};

use kam_tests::{
    Backend, TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{
        self, StaffLevel, TeamRole, Tier, account_service_client::AccountServiceClient, event::Payload,
        integration_service_client::IntegrationServiceClient,
        opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
        service_level_service_client::ServiceLevelServiceClient, team_service_client::TeamServiceClient,
        watch_events_request::Start,
    },
    pbjson_types::FieldMask,
};
use sea_orm::Value;
use tonic::{Code, Status};
use uuid::Uuid;

type Teams = TeamServiceClient<kam_tests::Authed>;
type Accounts = AccountServiceClient<kam_tests::Authed>;

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

/// The seeded departments, in code order.
const SEEDED_CODES: [&str; 9] = [
    "CUSTOMER_SERVICE",
    "EXECUTIVE",
    "FINANCE",
    "LOGISTICS",
    "MARKETING",
    "PRODUCTION",
    "RND",
    "SALES",
    "TECHNICAL",
];

const REASON: &str = "Frank moves to the Asia office";

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn uuid(id: &str) -> Value {
    Value::from(Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id:?} is not a uuid: {e}")))
}

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

fn is_uuid_v7(id: &str) -> bool {
    Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 7)
}

/// A person of `department_id` whose email derives from the name.
fn person(full_name: &str, department_id: &str) -> pb::Staff {
    pb::Staff {
        full_name: full_name.to_owned(),
        email: format!("{}@example.com", full_name.to_lowercase().replace(' ', ".")),
        department_id: department_id.to_owned(),
        ..Default::default()
    }
}

fn member(account_id: &str, staff_id: &str, role: TeamRole, liaison: bool) -> pb::TeamMember {
    pb::TeamMember {
        account_id: account_id.to_owned(),
        staff_id: staff_id.to_owned(),
        role: role as i32,
        is_department_liaison: liaison,
        ..Default::default()
    }
}

fn handover(from: &pb::Staff, to: &pb::Staff, accounts: &[&str]) -> pb::TransferResponsibilitiesRequest {
    pb::TransferResponsibilitiesRequest {
        from_staff_id: from.id.clone(),
        to_staff_id: to.id.clone(),
        account_ids: accounts.iter().map(|a| (*a).to_owned()).collect(),
        reason: REASON.to_owned(),
        validate_only: false,
    }
}

fn rules_of(response: &pb::TransferResponsibilitiesResponse) -> Vec<&str> {
    response.rule_breaks.iter().map(|b| b.rule.as_str()).collect()
}

fn roles(members: &[pb::TeamMember]) -> Vec<TeamRole> {
    members.iter().map(|m| m.role()).collect()
}

fn sorted(values: &[String]) -> Vec<String> {
    let mut values = values.to_vec();
    values.sort();
    values
}

/// Everything a refused call must leave as it was: the people, their memberships with history, the
/// accounts' teams with history, and the row counts of the membership, audit and outbox tables.
#[derive(Debug, PartialEq)]
struct Snapshot {
    staff: Vec<pb::Staff>,
    by_staff: Vec<Vec<pb::TeamMember>>,
    by_account: Vec<Vec<pb::TeamMember>>,
    member_rows: i64,
    active_member_rows: i64,
    audit_rows: i64,
    outbox_rows: i64,
}

/// A test's view of one server: clients and the department ids by code.
struct Org<'a> {
    server: &'a TestServer,
    teams: Teams,
    accounts: Accounts,
    departments: HashMap<String, String>,
}

impl<'a> Org<'a> {
    async fn new(server: &'a TestServer) -> Self {
        let mut teams = server.teams();
        let departments = teams
            .list_departments(pb::ListDepartmentsRequest {})
            .await
            .expect("list departments")
            .into_inner()
            .departments
            .into_iter()
            .map(|d| (d.code, d.id))
            .collect();
        Self {
            server,
            teams,
            accounts: server.accounts(),
            departments,
        }
    }

    fn department(&self, code: &str) -> String {
        self.departments
            .get(code)
            .unwrap_or_else(|| panic!("no department {code}"))
            .clone()
    }

    async fn account(&mut self, display_name: &str) -> String {
        self.accounts
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
            .id
    }

    /// An account of `tier`: the API has tiers output-only, so the test writes the column.
    async fn account_of_tier(&mut self, display_name: &str, tier: &str) -> String {
        let id = self.account(display_name).await;
        let touched = self
            .server
            .execute(
                "UPDATE accounts SET tier = $1 WHERE id = $2",
                [Value::from(tier.to_owned()), uuid(&id)],
            )
            .await;
        assert_eq!(touched, 1, "set the tier of {display_name}");
        id
    }

    async fn delete_account(&mut self, id: &str) {
        self.accounts
            .delete_account(pb::DeleteAccountRequest {
                id: id.to_owned(),
                etag: String::new(),
            })
            .await
            .expect("delete account");
    }

    async fn try_create_staff(&mut self, staff: pb::Staff) -> Result<pb::Staff, Status> {
        self.teams
            .create_staff(pb::CreateStaffRequest {
                staff: Some(staff),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn create_staff(&mut self, staff: pb::Staff) -> pb::Staff {
        self.try_create_staff(staff).await.expect("create staff")
    }

    /// A person of level STAFF in the department with `code`.
    async fn staff(&mut self, full_name: &str, code: &str) -> pb::Staff {
        let department = self.department(code);
        self.create_staff(person(full_name, &department)).await
    }

    async fn staff_of_level(&mut self, full_name: &str, code: &str, level: StaffLevel) -> pb::Staff {
        let department = self.department(code);
        self.create_staff(pb::Staff {
            level: level as i32,
            ..person(full_name, &department)
        })
        .await
    }

    async fn staff_with_capacity(&mut self, full_name: &str, code: &str, max_accounts: i32) -> pb::Staff {
        let department = self.department(code);
        self.create_staff(pb::Staff {
            max_accounts,
            ..person(full_name, &department)
        })
        .await
    }

    /// A person of level EXECUTIVE in the EXECUTIVE department.
    async fn executive(&mut self, full_name: &str) -> pb::Staff {
        self.staff_of_level(full_name, "EXECUTIVE", StaffLevel::Executive)
            .await
    }

    async fn get_staff(&mut self, id: &str) -> Result<pb::Staff, Status> {
        self.teams
            .get_staff(pb::GetStaffRequest { id: id.to_owned() })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn update_staff(&mut self, staff: pb::Staff, paths: &[&str]) -> Result<pb::Staff, Status> {
        self.teams
            .update_staff(pb::UpdateStaffRequest {
                staff: Some(staff),
                update_mask: mask(paths),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn deactivate(&mut self, id: &str) -> Result<pb::Staff, Status> {
        self.teams
            .deactivate_staff(pb::DeactivateStaffRequest {
                id: id.to_owned(),
                etag: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn list_staff(&mut self, request: pb::ListStaffRequest) -> Vec<pb::Staff> {
        let mut request = request;
        let mut all = Vec::new();
        loop {
            let page = self
                .teams
                .list_staff(request.clone())
                .await
                .expect("list staff")
                .into_inner();
            // The first-start administrator is staff too, but no part of these tests' organisation.
            let admin = &self.server.admin().staff_id;
            all.extend(page.staff.into_iter().filter(|s| &s.id != admin));
            if page.next_page_token.is_empty() {
                return all;
            }
            assert!(all.len() < 10_000, "the staff list never ends");
            request.page_token = page.next_page_token;
        }
    }

    async fn try_add(&mut self, member: pb::TeamMember) -> Result<pb::TeamMember, Status> {
        self.teams
            .add_team_member(pb::AddTeamMemberRequest {
                member: Some(member),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn add(&mut self, account: &str, staff: &pb::Staff, role: TeamRole) -> pb::TeamMember {
        self.try_add(member(account, &staff.id, role, false))
            .await
            .expect("add team member")
    }

    async fn add_liaison(&mut self, account: &str, staff: &pb::Staff, role: TeamRole) -> pb::TeamMember {
        self.try_add(member(account, &staff.id, role, true))
            .await
            .expect("add liaison")
    }

    async fn update_member(
        &mut self,
        member: pb::TeamMember,
        paths: &[&str],
    ) -> Result<pb::TeamMember, Status> {
        self.teams
            .update_team_member(pb::UpdateTeamMemberRequest {
                member: Some(member),
                update_mask: mask(paths),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn set_role(&mut self, id: &str, role: TeamRole) -> Result<pb::TeamMember, Status> {
        self.update_member(
            pb::TeamMember {
                id: id.to_owned(),
                role: role as i32,
                ..Default::default()
            },
            &["role"],
        )
        .await
    }

    async fn set_liaison(&mut self, id: &str, liaison: bool) -> Result<pb::TeamMember, Status> {
        self.update_member(
            pb::TeamMember {
                id: id.to_owned(),
                is_department_liaison: liaison,
                ..Default::default()
            },
            &["is_department_liaison"],
        )
        .await
    }

    async fn remove(&mut self, id: &str, reason: &str) -> Result<pb::TeamMember, Status> {
        self.teams
            .remove_team_member(pb::RemoveTeamMemberRequest {
                id: id.to_owned(),
                etag: String::new(),
                reason: reason.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn list_members(&mut self, request: pb::ListTeamMembersRequest) -> Vec<pb::TeamMember> {
        let mut request = request;
        let mut all = Vec::new();
        loop {
            let page = self
                .teams
                .list_team_members(request.clone())
                .await
                .expect("list team members")
                .into_inner();
            all.extend(page.members);
            if page.next_page_token.is_empty() {
                return all;
            }
            assert!(all.len() < 10_000, "the member list never ends");
            request.page_token = page.next_page_token;
        }
    }

    async fn team_of(&mut self, account: &str, include_history: bool) -> Vec<pb::TeamMember> {
        self.list_members(pb::ListTeamMembersRequest {
            account_id: account.to_owned(),
            include_history,
            ..Default::default()
        })
        .await
    }

    async fn seats_of(&mut self, staff: &pb::Staff, include_history: bool) -> Vec<pb::TeamMember> {
        self.list_members(pb::ListTeamMembersRequest {
            staff_id: staff.id.clone(),
            include_history,
            ..Default::default()
        })
        .await
    }

    async fn coverage(&mut self, tiers: &[Tier], gaps_only: bool) -> pb::GetCoverageReportResponse {
        self.teams
            .get_coverage_report(pb::GetCoverageReportRequest {
                tiers: tiers.iter().map(|t| *t as i32).collect(),
                gaps_only,
                segments: None,
            })
            .await
            .expect("coverage report")
            .into_inner()
    }

    async fn workload(&mut self, staff: &[&pb::Staff]) -> Vec<pb::Workload> {
        let admin = &self.server.admin().staff_id;
        let mut workloads = self
            .teams
            .get_workload(pb::GetWorkloadRequest {
                staff_ids: staff.iter().map(|s| s.id.clone()).collect(),
            })
            .await
            .expect("workload")
            .into_inner()
            .workloads;
        workloads.retain(|w| &w.staff_id != admin);
        workloads
    }

    async fn transfer(
        &mut self,
        request: pb::TransferResponsibilitiesRequest,
    ) -> Result<pb::TransferResponsibilitiesResponse, Status> {
        self.teams
            .transfer_responsibilities(request)
            .await
            .map(tonic::Response::into_inner)
    }

    async fn snapshot(&mut self, staff: &[&pb::Staff], accounts: &[&str]) -> Snapshot {
        let mut people = Vec::new();
        let mut by_staff = Vec::new();
        for s in staff {
            people.push(self.get_staff(&s.id).await.expect("get staff"));
            by_staff.push(self.seats_of(s, true).await);
        }
        let mut by_account = Vec::new();
        for a in accounts {
            by_account.push(self.team_of(a, true).await);
        }
        let server = self.server;
        let count = |sql: &'static str| server.query_i64(sql, []);
        Snapshot {
            staff: people,
            by_staff,
            by_account,
            member_rows: count("SELECT count(*) FROM team_members").await,
            active_member_rows: count("SELECT count(*) FROM team_members WHERE end_time IS NULL").await,
            audit_rows: count("SELECT count(*) FROM audit_entries").await,
            outbox_rows: count("SELECT count(*) FROM outbox_events").await,
        }
    }

    /// Runs `request` with `validate_only` (which must list `rule`) and for real (which must answer
    /// FAILED_PRECONDITION naming `rule`), and checks that neither changed anything.
    async fn assert_handover_refused(
        &mut self,
        request: pb::TransferResponsibilitiesRequest,
        rule: &str,
        staff: &[&pb::Staff],
        accounts: &[&str],
    ) -> pb::TransferResponsibilitiesResponse {
        let before = self.snapshot(staff, accounts).await;
        let report = self
            .transfer(pb::TransferResponsibilitiesRequest {
                validate_only: true,
                ..request.clone()
            })
            .await
            .expect("validate_only reports rule breaks instead of failing");
        assert!(
            rules_of(&report).contains(&rule),
            "expected {rule} among the rule breaks, got {report:?}"
        );
        assert!(
            report.moved.iter().all(|m| m.new_item_id.is_empty()),
            "validate_only creates no membership: {report:?}"
        );
        assert_eq!(
            self.snapshot(staff, accounts).await,
            before,
            "validate_only changed something"
        );

        let status = self
            .transfer(pb::TransferResponsibilitiesRequest {
                validate_only: false,
                ..request
            })
            .await
            .expect_err("a handover that breaks a rule is refused");
        assert_failed_precondition(&status, rule);
        assert_eq!(
            self.snapshot(staff, accounts).await,
            before,
            "a refused handover changed something"
        );
        assert_eq!(transferred_events(self.server).await, 0);
        report
    }
}

async fn audit_rows_of_staff(server: &TestServer, staff: &pb::Staff) -> i64 {
    server
        .query_i64(
            "SELECT count(*) FROM audit_entries WHERE resource_type = 'staff' AND resource_id = $1",
            [Value::from(staff.id.clone())],
        )
        .await
}

async fn transferred_events(server: &TestServer) -> i64 {
    server
        .query_i64(
            "SELECT count(*) FROM outbox_events WHERE event_type = 'ResponsibilitiesTransferred'",
            [],
        )
        .await
}

/// The events recorded after `cursor` (from the earliest one when it is empty), as the ADMIN's
/// `WatchEvents` delivers them, up to the first one `last` picks. The test waits for an event it knows
/// will come rather than for the stream to catch up: on PostgreSQL the stream holds back the events of
/// transactions newer than one still running anywhere on the server (another test's, say), so it may
/// say it has caught up without them.
async fn events_until(
    server: &TestServer,
    cursor: &str,
    last: impl Fn(&pb::Event) -> bool,
) -> Vec<pb::Event> {
    let mut stream = IntegrationServiceClient::new(server.channel())
        .watch_events(pb::WatchEventsRequest {
            cursor: cursor.to_owned(),
            start: Start::Earliest as i32,
            batch_size: 1000,
            ..Default::default()
        })
        .await
        .expect("watch events")
        .into_inner();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut events = Vec::new();
    loop {
        let response = tokio::time::timeout_at(deadline, stream.message())
            .await
            .unwrap_or_else(|_| panic!("the awaited event did not come within 10 s, only {events:?}"))
            .expect("the stream")
            .expect("the stream goes on");
        for event in response.events {
            let done = last(&event);
            events.push(event);
            if done {
                return events;
            }
        }
    }
}

/// The person an event about a handed-over item names as its holder (for the summary, the receiver).
fn holder_named(event: &pb::Event) -> &str {
    match event.payload.as_ref() {
        Some(Payload::OpportunityUpdated(deal)) => &deal.owner_staff_id,
        Some(Payload::ServiceRequestUpdated(request)) => &request.assignee_staff_id,
        Some(Payload::PlanActionUpdated(action)) => &action.owner_staff_id,
        Some(Payload::TeamMemberAdded(seat) | Payload::TeamMemberRemoved(seat)) => &seat.staff_id,
        Some(Payload::ResponsibilitiesTransferred(summary)) => &summary.to_staff_id,
        other => panic!("not an event of a handover: {other:?}"),
    }
}

/// One open item of every handover area held by `staff` on `account` (besides a team seat): an
/// opportunity they own, a service request assigned to them and an action of a plan they own. Returns
/// their ids.
async fn hold_one_of_each(server: &TestServer, account: &str, staff: &pb::Staff) -> [String; 3] {
    let deal = OpportunityServiceClient::new(server.channel())
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                account_id: account.to_owned(),
                display_name: "Line 3 pump retrofit".to_owned(),
                owner_staff_id: staff.id.clone(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create an opportunity")
        .into_inner();
    let request = ServiceLevelServiceClient::new(server.channel())
        .create_service_request(pb::CreateServiceRequestRequest {
            service_request: Some(pb::ServiceRequest {
                account_id: account.to_owned(),
                title: "Pump 3 leaks".to_owned(),
                assignee_staff_id: staff.id.clone(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a service request")
        .into_inner();
    let mut planning = PlanningServiceClient::new(server.channel());
    let plan = planning
        .create_account_plan(pb::CreateAccountPlanRequest {
            plan: Some(pb::AccountPlan {
                account_id: account.to_owned(),
                name: "FY2026".to_owned(),
                period_start: date(2026, 1, 1),
                period_end: date(2026, 12, 31),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a plan")
        .into_inner();
    let action = planning
        .create_plan_action(pb::CreatePlanActionRequest {
            action: Some(pb::PlanAction {
                plan_id: plan.id,
                title: "Present the business case".to_owned(),
                owner_staff_id: staff.id.clone(),
                due_date: date(2026, 9, 30),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a plan action")
        .into_inner();
    [deal.id, request.id, action.id]
}

/// Starts both `members` at once, each on its own client and task, and returns both outcomes.
async fn add_concurrently(
    server: &TestServer,
    members: [pb::TeamMember; 2],
) -> [Result<pb::TeamMember, Status>; 2] {
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let tasks = members.map(|member| {
        let mut client = server.teams();
        let barrier = Arc::clone(&barrier);
        tokio::spawn(async move {
            barrier.wait().await;
            client
                .add_team_member(pb::AddTeamMemberRequest {
                    member: Some(member),
                    request_id: String::new(),
                })
                .await
                .map(tonic::Response::into_inner)
        })
    });
    let [first, second] = tasks;
    let (first, second) = tokio::join!(first, second);
    [first.expect("task"), second.expect("task")]
}

fn assert_exactly_one_wins(outcomes: &[Result<pb::TeamMember, Status>; 2], rule: &str, round: usize) {
    let wins = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(
        wins, 1,
        "round {round}: exactly one add must succeed: {outcomes:?}"
    );
    for outcome in outcomes {
        if let Err(status) = outcome {
            assert_failed_precondition(status, rule);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------------

backend_tests! {
    // ----- departments -----

    async fn seeded_departments_are_listed_in_code_order(server: &TestServer) {
        let mut teams = server.teams();
        let departments = teams
            .list_departments(pb::ListDepartmentsRequest {})
            .await
            .expect("list")
            .into_inner()
            .departments;
        let codes: Vec<&str> = departments.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, SEEDED_CODES);
        for department in &departments {
            assert!(Uuid::parse_str(&department.id).is_ok(), "{department:?}");
            assert!(!department.display_name.is_empty(), "{department:?}");
            assert!(department.create_time.is_some(), "{department:?}");
        }
    }

    async fn create_department_adds_it_in_code_order(server: &TestServer) {
        let mut teams = server.teams();
        let created = teams
            .create_department(pb::CreateDepartmentRequest {
                department: Some(pb::Department {
                    id: "ignored".into(),
                    code: "QUALITY".into(),
                    display_name: "Quality assurance".into(),
                    create_time: None,
                }),
                request_id: String::new(),
            })
            .await
            .expect("create department")
            .into_inner();
        assert!(is_uuid_v7(&created.id), "{created:?}");
        assert_eq!(created.code, "QUALITY");
        assert_eq!(created.display_name, "Quality assurance");
        assert!(created.create_time.is_some());

        let listed = teams
            .list_departments(pb::ListDepartmentsRequest {})
            .await
            .expect("list")
            .into_inner()
            .departments;
        let codes: Vec<&str> = listed.iter().map(|d| d.code.as_str()).collect();
        let mut expected: Vec<&str> = SEEDED_CODES.to_vec();
        expected.push("QUALITY");
        expected.sort_unstable();
        assert_eq!(codes, expected);
        assert!(listed.contains(&created));

        // A person can now belong to it.
        let mut org = Org::new(server).await;
        let quinn = org.staff("Quinn", "QUALITY").await;
        assert_eq!(quinn.department_id, created.id);
    }

    async fn department_codes_must_be_upper_snake_case(server: &TestServer) {
        let mut teams = server.teams();
        for code in ["", "quality", "Quality", "QUALITY-OPS", "_QUALITY", "QUALITY OPS"] {
            let status = teams
                .create_department(pb::CreateDepartmentRequest {
                    department: Some(pb::Department {
                        code: code.into(),
                        display_name: "Quality".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect_err(code);
            assert_invalid_argument(&status, "department.code");
        }
        let listed = teams
            .list_departments(pb::ListDepartmentsRequest {})
            .await
            .expect("list")
            .into_inner()
            .departments;
        assert_eq!(listed.len(), SEEDED_CODES.len(), "nothing was created");
    }

    async fn duplicate_department_code_already_exists(server: &TestServer) {
        let mut teams = server.teams();
        let create = |code: &str| pb::CreateDepartmentRequest {
            department: Some(pb::Department {
                code: code.into(),
                display_name: "Some department".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let status = teams
            .create_department(create("SALES"))
            .await
            .expect_err("seeded code");
        assert_error(&status, Code::AlreadyExists);
        teams.create_department(create("LEGAL")).await.expect("new code");
        let status = teams
            .create_department(create("LEGAL"))
            .await
            .expect_err("second LEGAL");
        assert_error(&status, Code::AlreadyExists);
        let listed = teams
            .list_departments(pb::ListDepartmentsRequest {})
            .await
            .expect("list")
            .into_inner()
            .departments;
        assert_eq!(listed.iter().filter(|d| d.code == "LEGAL").count(), 1);
        assert_eq!(listed.iter().filter(|d| d.code == "SALES").count(), 1);
    }

    // ----- staff -----

    async fn create_staff_fills_the_defaults_and_lowercases_the_email(server: &TestServer) {
        let mut org = Org::new(server).await;
        let sales = org.department("SALES");
        let created = org
            .create_staff(pb::Staff {
                id: "ignored".into(),
                full_name: "Ada Lovelace".into(),
                email: "Ada.Lovelace@Example.COM".into(),
                department_id: sales.clone(),
                title: "Key account manager".into(),
                active: false,
                ..Default::default()
            })
            .await;
        assert!(is_uuid_v7(&created.id), "{created:?}");
        assert_eq!(created.full_name, "Ada Lovelace");
        assert_eq!(created.email, "ada.lovelace@example.com");
        assert_eq!(created.department_id, sales);
        assert_eq!(created.level(), StaffLevel::Staff);
        assert_eq!(created.title, "Key account manager");
        assert!(created.active, "new staff are active whatever the client sends");
        assert_eq!(created.max_accounts, 25);
        assert!(created.stage_specialties.is_empty());
        assert!(created.create_time.is_some() && created.update_time.is_some());
        assert!(!created.etag.is_empty());
        assert_eq!(org.get_staff(&created.id).await.expect("get"), created);
    }

    async fn create_staff_keeps_level_capacity_and_stage_specialties(server: &TestServer) {
        let mut org = Org::new(server).await;
        let technical = org.department("TECHNICAL");
        let created = org
            .create_staff(pb::Staff {
                level: StaffLevel::Manager as i32,
                max_accounts: 3,
                stage_specialties: vec!["QUALIFICATION".into(), "PROPOSAL".into()],
                ..person("Grace Hopper", &technical)
            })
            .await;
        assert_eq!(created.level(), StaffLevel::Manager);
        assert_eq!(created.max_accounts, 3);
        assert_eq!(sorted(&created.stage_specialties), ["PROPOSAL", "QUALIFICATION"]);
        let fetched = org.get_staff(&created.id).await.expect("get");
        assert_eq!(fetched, created);
    }

    async fn create_staff_with_the_same_request_id_creates_one_person(server: &TestServer) {
        let mut org = Org::new(server).await;
        let request = pb::CreateStaffRequest {
            staff: Some(person("Ada", &org.department("SALES"))),
            request_id: Uuid::now_v7().to_string(),
        };
        let first = org
            .teams
            .create_staff(request.clone())
            .await
            .expect("first")
            .into_inner();
        let retry = org.teams.create_staff(request).await.expect("retry").into_inner();
        assert_eq!(retry, first);
        let listed = org.list_staff(pb::ListStaffRequest::default()).await;
        assert_eq!(listed, [first]);
    }

    async fn staff_email_is_unique_ignoring_case(server: &TestServer) {
        let mut org = Org::new(server).await;
        let sales = org.department("SALES");
        let ada = org
            .create_staff(pb::Staff {
                email: "ada@example.com".into(),
                ..person("Ada", &sales)
            })
            .await;
        let status = org
            .try_create_staff(pb::Staff {
                email: "ADA@Example.com".into(),
                ..person("Another Ada", &sales)
            })
            .await
            .expect_err("same email in other case");
        assert_error(&status, Code::AlreadyExists);

        let bea = org.staff("Bea", "SALES").await;
        let status = org
            .update_staff(
                pb::Staff {
                    id: bea.id.clone(),
                    email: "Ada@EXAMPLE.com".into(),
                    ..Default::default()
                },
                &["email"],
            )
            .await
            .expect_err("update to a taken email");
        assert_error(&status, Code::AlreadyExists);
        assert_eq!(org.get_staff(&bea.id).await.expect("get"), bea);
        let listed = org.list_staff(pb::ListStaffRequest::default()).await;
        assert_eq!(listed, [ada, bea]);
    }

    async fn create_staff_in_an_unknown_department_is_refused(server: &TestServer) {
        let mut org = Org::new(server).await;
        let status = org
            .try_create_staff(person("Ada", &Uuid::now_v7().to_string()))
            .await
            .expect_err("unknown department");
        assert_failed_precondition(&status, "DEPARTMENT_NOT_FOUND");
        assert!(
            org.list_staff(pb::ListStaffRequest {
                show_inactive: true,
                ..Default::default()
            })
            .await
            .is_empty()
        );
    }

    async fn invalid_staff_fields_are_refused_and_nothing_is_written(server: &TestServer) {
        let mut org = Org::new(server).await;
        let sales = org.department("SALES");
        let cases: Vec<(pb::Staff, &str)> = vec![
            (
                pb::Staff {
                    full_name: String::new(),
                    ..person("Ada", &sales)
                },
                "staff.full_name",
            ),
            (
                pb::Staff {
                    email: String::new(),
                    ..person("Ada", &sales)
                },
                "staff.email",
            ),
            (
                pb::Staff {
                    department_id: String::new(),
                    ..person("Ada", &sales)
                },
                "staff.department_id",
            ),
            (
                pb::Staff {
                    department_id: "sales".into(),
                    ..person("Ada", &sales)
                },
                "staff.department_id",
            ),
            (
                pb::Staff {
                    max_accounts: -1,
                    ..person("Ada", &sales)
                },
                "staff.max_accounts",
            ),
            (
                pb::Staff {
                    stage_specialties: vec!["qualification".into()],
                    ..person("Ada", &sales)
                },
                "staff.stage_specialties[0]",
            ),
            (
                pb::Staff {
                    stage_specialties: vec!["PROPOSAL".into(), "Closing Deal".into()],
                    ..person("Ada", &sales)
                },
                "staff.stage_specialties[1]",
            ),
        ];
        for (staff, field) in cases {
            let status = org.try_create_staff(staff).await.expect_err(field);
            assert_invalid_argument(&status, field);
        }
        let listed = org
            .list_staff(pb::ListStaffRequest {
                show_inactive: true,
                ..Default::default()
            })
            .await;
        assert!(listed.is_empty(), "nothing was created: {listed:?}");
        // Only the first-start administrator.
        let rows = server.query_i64("SELECT count(*) FROM staff", []).await;
        assert_eq!(rows, 1);
    }

    async fn zero_max_accounts_on_create_means_the_default(server: &TestServer) {
        let mut org = Org::new(server).await;
        let created = org.staff_with_capacity("Ada", "SALES", 0).await;
        assert_eq!(created.max_accounts, 25);
        let one = org.staff_with_capacity("Bea", "SALES", 1).await;
        assert_eq!(one.max_accounts, 1);
    }

    async fn more_than_two_stage_specialties_are_refused_on_create_and_update(server: &TestServer) {
        let mut org = Org::new(server).await;
        let sales = org.department("SALES");
        let three = vec![
            "PROSPECTING".to_owned(),
            "QUALIFICATION".to_owned(),
            "PROPOSAL".to_owned(),
        ];
        let status = org
            .try_create_staff(pb::Staff {
                stage_specialties: three.clone(),
                ..person("Ada", &sales)
            })
            .await
            .expect_err("three stages");
        assert_failed_precondition(&status, "MAX_TWO_STAGES");
        // Only the first-start administrator.
        assert_eq!(server.query_i64("SELECT count(*) FROM staff", []).await, 1);

        let ada = org
            .create_staff(pb::Staff {
                stage_specialties: three[..2].to_vec(),
                ..person("Ada", &sales)
            })
            .await;
        assert_eq!(sorted(&ada.stage_specialties), sorted(&three[..2]));
        let status = org
            .update_staff(
                pb::Staff {
                    id: ada.id.clone(),
                    stage_specialties: three.clone(),
                    ..Default::default()
                },
                &["stage_specialties"],
            )
            .await
            .expect_err("update to three stages");
        assert_failed_precondition(&status, "MAX_TWO_STAGES");
        assert_eq!(org.get_staff(&ada.id).await.expect("get"), ada);

        let updated = org
            .update_staff(
                pb::Staff {
                    id: ada.id.clone(),
                    stage_specialties: vec!["NEGOTIATION".into()],
                    ..Default::default()
                },
                &["stage_specialties"],
            )
            .await
            .expect("one stage");
        assert_eq!(updated.stage_specialties, ["NEGOTIATION"]);
        let status = org
            .update_staff(
                pb::Staff {
                    id: ada.id.clone(),
                    stage_specialties: vec!["negotiation".into()],
                    ..Default::default()
                },
                &["stage_specialties"],
            )
            .await
            .expect_err("lower-case stage");
        assert_invalid_argument(&status, "staff.stage_specialties[0]");
    }

    async fn get_staff_of_an_unknown_or_malformed_id_is_refused(server: &TestServer) {
        let mut org = Org::new(server).await;
        let status = org
            .get_staff(&Uuid::now_v7().to_string())
            .await
            .expect_err("unknown");
        assert_error(&status, Code::NotFound);
        let status = org.get_staff("not-a-uuid").await.expect_err("malformed");
        assert_invalid_argument(&status, "id");
    }

    async fn list_staff_filters_by_department_level_query_and_activity(server: &TestServer) {
        let mut org = Org::new(server).await;
        let cleo = org
            .staff_of_level("Cleo Sales", "SALES", StaffLevel::Manager)
            .await;
        let ada = org.staff("Ada Sales", "SALES").await;
        let eve = org.staff("Eve Technical", "TECHNICAL").await;
        let bob = org.executive("Bob Boss").await;
        let dan = org.staff("Dan Gone", "SALES").await;
        let dan = org.deactivate(&dan.id).await.expect("deactivate");

        let names = |staff: &[pb::Staff]| staff.iter().map(|s| s.full_name.clone()).collect::<Vec<_>>();
        let all = org
            .list_staff(pb::ListStaffRequest {
                page_size: 2,
                ..Default::default()
            })
            .await;
        assert_eq!(
            names(&all),
            ["Ada Sales", "Bob Boss", "Cleo Sales", "Eve Technical"]
        );
        assert_eq!(all, [ada.clone(), bob.clone(), cleo.clone(), eve.clone()]);

        let with_inactive = org
            .list_staff(pb::ListStaffRequest {
                show_inactive: true,
                page_size: 1,
                ..Default::default()
            })
            .await;
        assert_eq!(
            names(&with_inactive),
            ["Ada Sales", "Bob Boss", "Cleo Sales", "Dan Gone", "Eve Technical"]
        );
        assert!(with_inactive.contains(&dan));

        let sales = org
            .list_staff(pb::ListStaffRequest {
                department_id: org.department("SALES"),
                ..Default::default()
            })
            .await;
        assert_eq!(names(&sales), ["Ada Sales", "Cleo Sales"]);

        let managers = org
            .list_staff(pb::ListStaffRequest {
                level: StaffLevel::Manager as i32,
                ..Default::default()
            })
            .await;
        assert_eq!(names(&managers), ["Cleo Sales"]);

        let by_name = org
            .list_staff(pb::ListStaffRequest {
                query: "SALES".into(),
                ..Default::default()
            })
            .await;
        assert_eq!(names(&by_name), ["Ada Sales", "Cleo Sales"]);
        let by_email = org
            .list_staff(pb::ListStaffRequest {
                query: "bob.boss@".into(),
                ..Default::default()
            })
            .await;
        assert_eq!(names(&by_email), ["Bob Boss"]);

        let status = org
            .teams
            .list_staff(pb::ListStaffRequest {
                page_size: -1,
                ..Default::default()
            })
            .await
            .expect_err("negative page size");
        assert_invalid_argument(&status, "page_size");
    }

    async fn update_staff_writes_only_the_masked_fields(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let updated = org
            .update_staff(
                pb::Staff {
                    id: ada.id.clone(),
                    full_name: "Not written".into(),
                    title: "Head of key accounts".into(),
                    email: "Ada.New@Example.com".into(),
                    department_id: org.department("MARKETING"),
                    level: StaffLevel::Manager as i32,
                    max_accounts: 10,
                    ..Default::default()
                },
                &["title", "email", "department_id", "level", "max_accounts"],
            )
            .await
            .expect("update");
        assert_eq!(updated.full_name, "Ada");
        assert_eq!(updated.title, "Head of key accounts");
        assert_eq!(updated.email, "ada.new@example.com");
        assert_eq!(updated.department_id, org.department("MARKETING"));
        assert_eq!(updated.level(), StaffLevel::Manager);
        assert_eq!(updated.max_accounts, 10);
        assert_ne!(updated.etag, ada.etag);
        assert_eq!(updated.create_time, ada.create_time);
        assert_eq!(org.get_staff(&ada.id).await.expect("get"), updated);

        // A stale etag is ABORTED and writes nothing.
        let status = org
            .update_staff(
                pb::Staff {
                    id: ada.id.clone(),
                    title: "Stale".into(),
                    etag: ada.etag.clone(),
                    ..Default::default()
                },
                &["title"],
            )
            .await
            .expect_err("stale etag");
        assert_error(&status, Code::Aborted);
        assert_eq!(org.get_staff(&ada.id).await.expect("get"), updated);

        // Invalid values are refused.
        for (staff, paths, field) in [
            (
                pb::Staff {
                    max_accounts: -1,
                    ..Default::default()
                },
                ["max_accounts"],
                "staff.max_accounts",
            ),
            (
                pb::Staff {
                    department_id: "x".into(),
                    ..Default::default()
                },
                ["department_id"],
                "staff.department_id",
            ),
            (
                pb::Staff {
                    full_name: String::new(),
                    ..Default::default()
                },
                ["full_name"],
                "staff.full_name",
            ),
        ] {
            let status = org
                .update_staff(
                    pb::Staff {
                        id: ada.id.clone(),
                        ..staff
                    },
                    &paths,
                )
                .await
                .expect_err(field);
            assert_invalid_argument(&status, field);
        }
        let status = org
            .update_staff(
                pb::Staff {
                    id: ada.id.clone(),
                    department_id: Uuid::now_v7().to_string(),
                    ..Default::default()
                },
                &["department_id"],
            )
            .await
            .expect_err("unknown department");
        assert_failed_precondition(&status, "DEPARTMENT_NOT_FOUND");
        assert_eq!(org.get_staff(&ada.id).await.expect("get"), updated);

        let status = org
            .update_staff(
                pb::Staff {
                    id: Uuid::now_v7().to_string(),
                    title: "x".into(),
                    ..Default::default()
                },
                &["title"],
            )
            .await
            .expect_err("unknown person");
        assert_error(&status, Code::NotFound);
    }

    async fn lowering_max_accounts_below_the_active_accounts_exceeds_capacity(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let first = org.account("First").await;
        let second = org.account("Second").await;
        let third = org.account("Third").await;
        org.add(&first, &ada, TeamRole::SalesSpecialist).await;
        org.add(&second, &ada, TeamRole::SalesSpecialist).await;
        let ended = org.add(&third, &ada, TeamRole::SalesSpecialist).await;
        org.remove(&ended.id, "").await.expect("remove");

        let lower = |max_accounts| pb::Staff {
            id: ada.id.clone(),
            max_accounts,
            ..Default::default()
        };
        let status = org
            .update_staff(lower(1), &["max_accounts"])
            .await
            .expect_err("below 2");
        assert_failed_precondition(&status, "CAPACITY_EXCEEDED");
        assert_eq!(org.get_staff(&ada.id).await.expect("get"), ada);

        // Ended memberships do not count: two active accounts fit a capacity of two.
        let updated = org
            .update_staff(lower(2), &["max_accounts"])
            .await
            .expect("exactly 2");
        assert_eq!(updated.max_accounts, 2);
    }

    async fn an_active_executive_sponsor_must_stay_executive(server: &TestServer) {
        let mut org = Org::new(server).await;
        let boss = org.executive("Boss").await;
        let account = org.account("Acme").await;
        let sponsor = org.add(&account, &boss, TeamRole::ExecutiveSponsor).await;

        let demote = pb::Staff {
            id: boss.id.clone(),
            level: StaffLevel::Manager as i32,
            ..Default::default()
        };
        let status = org
            .update_staff(demote.clone(), &["level"])
            .await
            .expect_err("demote a sponsor");
        assert_failed_precondition(&status, "SPONSOR_MUST_BE_EXECUTIVE");
        assert_eq!(org.get_staff(&boss.id).await.expect("get"), boss);

        org.remove(&sponsor.id, "").await.expect("remove");
        let demoted = org
            .update_staff(demote, &["level"])
            .await
            .expect("no longer a sponsor");
        assert_eq!(demoted.level(), StaffLevel::Manager);
    }

    // ----- deactivation -----

    async fn deactivate_staff_marks_inactive_and_refuses_twice(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let deactivated = org.deactivate(&ada.id).await.expect("deactivate");
        assert!(!deactivated.active);
        assert_ne!(deactivated.etag, ada.etag);
        assert_eq!(org.get_staff(&ada.id).await.expect("get"), deactivated);

        let status = org.deactivate(&ada.id).await.expect_err("again");
        assert_failed_precondition(&status, "STAFF_INACTIVE");
        assert_eq!(org.get_staff(&ada.id).await.expect("get"), deactivated);

        let status = org
            .deactivate(&Uuid::now_v7().to_string())
            .await
            .expect_err("unknown");
        assert_error(&status, Code::NotFound);
    }

    async fn inactive_staff_cannot_join_a_team(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        org.deactivate(&ada.id).await.expect("deactivate");
        let account = org.account("Acme").await;
        let status = org
            .try_add(member(&account, &ada.id, TeamRole::SalesSpecialist, false))
            .await
            .expect_err("inactive");
        assert_failed_precondition(&status, "STAFF_INACTIVE");
        assert!(org.team_of(&account, true).await.is_empty());
    }

    async fn deactivation_is_refused_until_every_responsibility_is_handed_over(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.staff("Frank", "SALES").await;
        let tina = org.staff("Tina", "SALES").await;
        let first = org.account("First").await;
        let second = org.account("Second").await;
        org.add(&first, &frank, TeamRole::AccountManager).await;
        org.add(&second, &frank, TeamRole::SalesSpecialist).await;

        let status = org.deactivate(&frank.id).await.expect_err("holds two seats");
        assert_failed_precondition(&status, "HAS_RESPONSIBILITIES");
        assert!(org.get_staff(&frank.id).await.expect("get").active);

        org.transfer(handover(&frank, &tina, &[&first]))
            .await
            .expect("hand over the first");
        let status = org.deactivate(&frank.id).await.expect_err("still holds one seat");
        assert_failed_precondition(&status, "HAS_RESPONSIBILITIES");
        assert!(org.get_staff(&frank.id).await.expect("get").active);

        org.transfer(handover(&frank, &tina, &[]))
            .await
            .expect("hand over the rest");
        let deactivated = org.deactivate(&frank.id).await.expect("nothing left");
        assert!(!deactivated.active);
        let status = org.deactivate(&frank.id).await.expect_err("twice");
        assert_failed_precondition(&status, "STAFF_INACTIVE");
    }

    // ----- team members: happy paths -----

    async fn add_team_member_records_the_department_and_start_time(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "CUSTOMER_SERVICE").await;
        let account = org.account("Acme").await;
        let added = org
            .try_add(pb::TeamMember {
                id: "ignored".into(),
                department_id: org.department("SALES"),
                end_reason: "ignored".into(),
                ..member(&account, &ada.id, TeamRole::ServiceLead, true)
            })
            .await
            .expect("add");
        assert!(is_uuid_v7(&added.id), "{added:?}");
        assert_eq!(added.account_id, account);
        assert_eq!(added.staff_id, ada.id);
        assert_eq!(added.role(), TeamRole::ServiceLead);
        assert!(added.is_department_liaison);
        assert_eq!(
            added.department_id,
            org.department("CUSTOMER_SERVICE"),
            "the staff's department"
        );
        assert!(added.start_time.is_some());
        assert!(added.end_time.is_none());
        assert!(added.end_reason.is_empty());
        assert!(!added.etag.is_empty());

        assert_eq!(org.team_of(&account, false).await, std::slice::from_ref(&added));
        assert_eq!(org.seats_of(&ada, false).await, [added]);
    }

    async fn add_team_member_with_the_same_request_id_adds_once(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let account = org.account("Acme").await;
        let request = pb::AddTeamMemberRequest {
            member: Some(member(&account, &ada.id, TeamRole::AccountManager, false)),
            request_id: Uuid::now_v7().to_string(),
        };
        let first = org
            .teams
            .add_team_member(request.clone())
            .await
            .expect("first")
            .into_inner();
        let retry = org
            .teams
            .add_team_member(request)
            .await
            .expect("retry")
            .into_inner();
        assert_eq!(retry, first);
        assert_eq!(org.team_of(&account, true).await, [first]);
    }

    async fn update_team_member_changes_role_and_liaison(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "TECHNICAL").await;
        let account = org.account("Acme").await;
        let added = org.add(&account, &ada, TeamRole::SalesSpecialist).await;

        let updated = org
            .update_member(
                pb::TeamMember {
                    id: added.id.clone(),
                    role: TeamRole::SolutionEngineer as i32,
                    is_department_liaison: true,
                    etag: added.etag.clone(),
                    ..Default::default()
                },
                &["role", "is_department_liaison"],
            )
            .await
            .expect("update");
        assert_eq!(updated.role(), TeamRole::SolutionEngineer);
        assert!(updated.is_department_liaison);
        assert_ne!(updated.etag, added.etag);
        assert_eq!(
            (
                &updated.account_id,
                &updated.staff_id,
                &updated.department_id,
                &updated.start_time
            ),
            (
                &added.account_id,
                &added.staff_id,
                &added.department_id,
                &added.start_time
            )
        );

        let cleared = org
            .set_liaison(&added.id, false)
            .await
            .expect("clear the liaison flag");
        assert!(!cleared.is_department_liaison);
        assert_eq!(
            cleared.role(),
            TeamRole::SolutionEngineer,
            "the role is not in the mask"
        );
        assert_eq!(org.team_of(&account, false).await, [cleared]);

        // A stale etag is ABORTED.
        let status = org
            .update_member(
                pb::TeamMember {
                    id: added.id.clone(),
                    role: TeamRole::ServiceLead as i32,
                    etag: added.etag.clone(),
                    ..Default::default()
                },
                &["role"],
            )
            .await
            .expect_err("stale etag");
        assert_error(&status, Code::Aborted);

        // An unspecified role is invalid, an unknown membership not found.
        let status = org
            .set_role(&added.id, TeamRole::Unspecified)
            .await
            .expect_err("unspecified");
        assert_invalid_argument(&status, "member.role");
        let status = org
            .set_role(&Uuid::now_v7().to_string(), TeamRole::ServiceLead)
            .await
            .expect_err("unknown membership");
        assert_error(&status, Code::NotFound);
        assert_eq!(
            org.team_of(&account, false).await[0].role(),
            TeamRole::SolutionEngineer
        );
    }

    async fn remove_team_member_end_dates_and_keeps_the_history(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let bea = org.staff("Bea", "SALES").await;
        let account = org.account("Acme").await;
        let first = org.add(&account, &ada, TeamRole::AccountManager).await;
        let second = org.add(&account, &bea, TeamRole::SalesSpecialist).await;

        let removed = org.remove(&first.id, "").await.expect("remove");
        assert!(removed.end_time.is_some());
        assert_eq!(removed.end_reason, "removed");
        assert_eq!(removed.role(), TeamRole::AccountManager);
        let removed_with_reason = org
            .remove(&second.id, "moved to another region")
            .await
            .expect("remove");
        assert_eq!(removed_with_reason.end_reason, "moved to another region");

        assert!(org.team_of(&account, false).await.is_empty());
        assert_eq!(
            org.team_of(&account, true).await,
            [removed.clone(), removed_with_reason.clone()]
        );
        assert!(org.seats_of(&ada, false).await.is_empty());
        assert_eq!(org.seats_of(&ada, true).await, std::slice::from_ref(&removed));

        // The person can join again; the old membership stays as history.
        let again = org.add(&account, &ada, TeamRole::AccountManager).await;
        assert_ne!(again.id, first.id);
        assert_eq!(org.seats_of(&ada, true).await, [removed, again.clone()]);
        assert_eq!(org.team_of(&account, false).await, [again]);

        let status = org
            .remove(&Uuid::now_v7().to_string(), "")
            .await
            .expect_err("unknown");
        assert_error(&status, Code::NotFound);
        let status = org
            .remove(&first.id, &"x".repeat(501))
            .await
            .expect_err("reason too long");
        assert_invalid_argument(&status, "reason");
    }

    async fn ended_memberships_cannot_be_updated_or_removed(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let account = org.account("Acme").await;
        let added = org.add(&account, &ada, TeamRole::SalesSpecialist).await;
        let removed = org.remove(&added.id, "").await.expect("remove");

        let status = org.remove(&added.id, "").await.expect_err("remove again");
        assert_failed_precondition(&status, "MEMBERSHIP_ENDED");
        let status = org
            .set_role(&added.id, TeamRole::AccountManager)
            .await
            .expect_err("update ended");
        assert_failed_precondition(&status, "MEMBERSHIP_ENDED");
        let status = org.set_liaison(&added.id, true).await.expect_err("update ended");
        assert_failed_precondition(&status, "MEMBERSHIP_ENDED");
        assert_eq!(org.team_of(&account, true).await, [removed]);
    }

    async fn list_team_members_pages_in_start_order(server: &TestServer) {
        let mut org = Org::new(server).await;
        let account = org.account("Acme").await;
        let mut added = Vec::new();
        for (i, role) in [
            TeamRole::AccountManager,
            TeamRole::SalesSpecialist,
            TeamRole::ServiceLead,
            TeamRole::RndPartner,
        ]
        .into_iter()
        .enumerate()
        {
            let person = org.staff(&format!("Person {i}"), "SALES").await;
            added.push(org.add(&account, &person, role).await);
        }
        let first_page = org
            .teams
            .list_team_members(pb::ListTeamMembersRequest {
                account_id: account.clone(),
                page_size: 3,
                ..Default::default()
            })
            .await
            .expect("page")
            .into_inner();
        assert_eq!(first_page.members, added[..3]);
        assert!(!first_page.next_page_token.is_empty());
        let all = org
            .list_members(pb::ListTeamMembersRequest {
                account_id: account.clone(),
                page_size: 1,
                ..Default::default()
            })
            .await;
        assert_eq!(all, added);
        assert_eq!(
            roles(&all),
            [
                TeamRole::AccountManager,
                TeamRole::SalesSpecialist,
                TeamRole::ServiceLead,
                TeamRole::RndPartner
            ]
        );
    }

    async fn list_team_members_needs_exactly_one_of_account_and_staff(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let account = org.account("Acme").await;
        for (account_id, staff_id) in [(String::new(), String::new()), (account.clone(), ada.id.clone())] {
            let status = org
                .teams
                .list_team_members(pb::ListTeamMembersRequest {
                    account_id,
                    staff_id,
                    ..Default::default()
                })
                .await
                .expect_err("not exactly one");
            assert_invalid_argument(&status, "account_id");
        }
    }

    // ----- team members: validation and the rules on AddTeamMember and UpdateTeamMember -----

    async fn add_team_member_validates_its_fields(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let account = org.account("Acme").await;
        let cases = [
            (
                member("", &ada.id, TeamRole::AccountManager, false),
                "member.account_id",
            ),
            (
                member("acme", &ada.id, TeamRole::AccountManager, false),
                "member.account_id",
            ),
            (
                member(&account, "", TeamRole::AccountManager, false),
                "member.staff_id",
            ),
            (
                member(&account, "ada", TeamRole::AccountManager, false),
                "member.staff_id",
            ),
            (
                member(&account, &ada.id, TeamRole::Unspecified, false),
                "member.role",
            ),
            (
                pb::TeamMember {
                    role: 99,
                    ..member(&account, &ada.id, TeamRole::Unspecified, false)
                },
                "member.role",
            ),
        ];
        for (member, field) in cases {
            let status = org.try_add(member).await.expect_err(field);
            assert_invalid_argument(&status, field);
        }
        assert!(org.team_of(&account, true).await.is_empty());
    }

    async fn add_team_member_with_unknown_account_or_staff_is_not_found(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let account = org.account("Acme").await;
        let unknown = Uuid::now_v7().to_string();
        let status = org
            .try_add(member(&unknown, &ada.id, TeamRole::AccountManager, false))
            .await
            .expect_err("unknown account");
        assert_error(&status, Code::NotFound);
        let status = org
            .try_add(member(&account, &unknown, TeamRole::AccountManager, false))
            .await
            .expect_err("unknown staff");
        assert_error(&status, Code::NotFound);
        assert!(org.team_of(&account, true).await.is_empty());
        assert_eq!(server.query_i64("SELECT count(*) FROM team_members", []).await, 0);
    }

    async fn deleted_accounts_take_no_team_members(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let account = org.account("Acme").await;
        org.delete_account(&account).await;
        let status = org
            .try_add(member(&account, &ada.id, TeamRole::AccountManager, false))
            .await
            .expect_err("deleted account");
        assert_failed_precondition(&status, "ACCOUNT_DELETED");
        assert_eq!(server.query_i64("SELECT count(*) FROM team_members", []).await, 0);
    }

    async fn one_account_manager_per_account_on_add_and_update(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let bea = org.staff("Bea", "SALES").await;
        let account = org.account("Acme").await;
        let other = org.account("Other").await;
        let manager = org.add(&account, &ada, TeamRole::AccountManager).await;

        let status = org
            .try_add(member(&account, &bea.id, TeamRole::AccountManager, false))
            .await
            .expect_err("second manager");
        assert_failed_precondition(&status, "ONE_ACCOUNT_MANAGER");
        // Another account may have its own manager.
        org.add(&other, &bea, TeamRole::AccountManager).await;

        let specialist = org.add(&account, &bea, TeamRole::SalesSpecialist).await;
        let status = org
            .set_role(&specialist.id, TeamRole::AccountManager)
            .await
            .expect_err("promote to a second manager");
        assert_failed_precondition(&status, "ONE_ACCOUNT_MANAGER");
        let team = org.team_of(&account, false).await;
        assert_eq!(team, [manager.clone(), specialist.clone()], "nothing changed");

        // Updating the manager's own membership does not collide with itself.
        org.set_liaison(&manager.id, true)
            .await
            .expect("the manager's own seat");
        // Once the manager leaves, the specialist can take over.
        org.remove(&manager.id, "").await.expect("remove");
        let promoted = org
            .set_role(&specialist.id, TeamRole::AccountManager)
            .await
            .expect("promote");
        assert_eq!(promoted.role(), TeamRole::AccountManager);
    }

    async fn executive_sponsor_must_be_an_executive_on_add_and_update(server: &TestServer) {
        let mut org = Org::new(server).await;
        let boss = org.executive("Boss").await;
        let manager = org.staff_of_level("Manny", "SALES", StaffLevel::Manager).await;
        let account = org.account("Acme").await;

        let status = org
            .try_add(member(&account, &manager.id, TeamRole::ExecutiveSponsor, false))
            .await
            .expect_err("a manager as sponsor");
        assert_failed_precondition(&status, "SPONSOR_MUST_BE_EXECUTIVE");
        assert!(org.team_of(&account, true).await.is_empty());

        let sponsor = org.add(&account, &boss, TeamRole::ExecutiveSponsor).await;
        assert_eq!(sponsor.role(), TeamRole::ExecutiveSponsor);

        let seat = org.add(&account, &manager, TeamRole::SalesSpecialist).await;
        let status = org
            .set_role(&seat.id, TeamRole::ExecutiveSponsor)
            .await
            .expect_err("promote a manager to sponsor");
        assert_failed_precondition(&status, "SPONSOR_MUST_BE_EXECUTIVE");
        assert_eq!(org.team_of(&account, false).await, [sponsor, seat]);
    }

    async fn one_liaison_per_department_on_add_and_update(server: &TestServer) {
        let mut org = Org::new(server).await;
        let cora = org.staff("Cora", "CUSTOMER_SERVICE").await;
        let cody = org.staff("Cody", "CUSTOMER_SERVICE").await;
        let tess = org.staff("Tess", "TECHNICAL").await;
        let account = org.account("Acme").await;
        let other = org.account("Other").await;
        let liaison = org.add_liaison(&account, &cora, TeamRole::ServiceLead).await;

        let status = org
            .try_add(member(&account, &cody.id, TeamRole::ServiceLead, true))
            .await
            .expect_err("second customer-service liaison");
        assert_failed_precondition(&status, "ONE_LIAISON_PER_DEPARTMENT");
        // Another department, or another account, has a liaison seat of its own.
        org.add_liaison(&account, &tess, TeamRole::SolutionEngineer).await;
        org.add_liaison(&other, &cody, TeamRole::ServiceLead).await;

        let plain = org.add(&account, &cody, TeamRole::ServiceLead).await;
        assert!(!plain.is_department_liaison);
        let status = org
            .set_liaison(&plain.id, true)
            .await
            .expect_err("make a second liaison");
        assert_failed_precondition(&status, "ONE_LIAISON_PER_DEPARTMENT");
        assert!(
            !org.team_of(&account, false)
                .await
                .iter()
                .any(|m| m.id == plain.id && m.is_department_liaison)
        );

        org.remove(&liaison.id, "").await.expect("remove the liaison");
        let now_liaison = org.set_liaison(&plain.id, true).await.expect("the seat is free");
        assert!(now_liaison.is_department_liaison);
    }

    async fn capacity_is_enforced_on_add(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff_with_capacity("Ada", "SALES", 2).await;
        let first = org.account("First").await;
        let second = org.account("Second").await;
        let third = org.account("Third").await;
        org.add(&first, &ada, TeamRole::SalesSpecialist).await;
        let seat = org.add(&second, &ada, TeamRole::SalesSpecialist).await;

        let status = org
            .try_add(member(&third, &ada.id, TeamRole::SalesSpecialist, false))
            .await
            .expect_err("a third account");
        assert_failed_precondition(&status, "CAPACITY_EXCEEDED");
        assert!(org.team_of(&third, true).await.is_empty());

        // At capacity, changing a seat on an account already served is fine.
        org.set_role(&seat.id, TeamRole::AccountManager)
            .await
            .expect("same account");
        // Raising the capacity, or ending a seat, makes room.
        org.remove(&seat.id, "").await.expect("remove");
        org.add(&third, &ada, TeamRole::SalesSpecialist).await;
        let status = org
            .try_add(member(&second, &ada.id, TeamRole::SalesSpecialist, false))
            .await
            .expect_err("full again");
        assert_failed_precondition(&status, "CAPACITY_EXCEEDED");
        org.update_staff(
            pb::Staff {
                id: ada.id.clone(),
                max_accounts: 3,
                ..Default::default()
            },
            &["max_accounts"],
        )
        .await
        .expect("raise capacity");
        org.add(&second, &ada, TeamRole::SalesSpecialist).await;
        assert_eq!(org.seats_of(&ada, false).await.len(), 3);
    }

    async fn a_person_holds_one_seat_per_account(server: &TestServer) {
        let mut org = Org::new(server).await;
        let ada = org.staff("Ada", "SALES").await;
        let account = org.account("Acme").await;
        let seat = org.add(&account, &ada, TeamRole::AccountManager).await;
        let status = org
            .try_add(member(&account, &ada.id, TeamRole::SalesSpecialist, true))
            .await
            .expect_err("second seat");
        assert_failed_precondition(&status, "ALREADY_ON_TEAM");
        assert_eq!(org.team_of(&account, true).await, [seat]);
    }

    // ----- coverage -----

    async fn coverage_report_on_a_small_known_organisation(server: &TestServer) {
        let mut org = Org::new(server).await;
        let manager = org.staff("Manny", "SALES").await;
        let boss = org.executive("Boss").await;
        let other_boss = org.executive("Other Boss").await;
        let service = org.staff("Cora", "CUSTOMER_SERVICE").await;
        let service_too = org.staff("Cody", "CUSTOMER_SERVICE").await;
        let engineer = org.staff("Tess", "TECHNICAL").await;

        // STRATEGIC, fully covered.
        let atlas = org.account_of_tier("Atlas", "STRATEGIC").await;
        org.add(&atlas, &manager, TeamRole::AccountManager).await;
        org.add(&atlas, &boss, TeamRole::ExecutiveSponsor).await;
        org.add_liaison(&atlas, &service, TeamRole::ServiceLead).await;
        org.add_liaison(&atlas, &engineer, TeamRole::SolutionEngineer)
            .await;
        // STRATEGIC with a manager only: a customer-service member who is no liaison and a sponsor who
        // left do not count.
        let borealis = org.account_of_tier("Borealis", "STRATEGIC").await;
        org.add(&borealis, &manager, TeamRole::AccountManager).await;
        org.add(&borealis, &service, TeamRole::ServiceLead).await;
        let left = org.add(&borealis, &boss, TeamRole::ExecutiveSponsor).await;
        org.remove(&left.id, "").await.expect("remove");
        // KEY, fully covered (a TECHNICAL liaison is not required there).
        let aardvark = org.account_of_tier("Aardvark", "KEY").await;
        org.add(&aardvark, &manager, TeamRole::AccountManager).await;
        org.add(&aardvark, &other_boss, TeamRole::ExecutiveSponsor).await;
        org.add_liaison(&aardvark, &service_too, TeamRole::ServiceLead)
            .await;
        // KEY without a manager.
        let cobalt = org.account_of_tier("Cobalt", "KEY").await;
        org.add(&cobalt, &boss, TeamRole::ExecutiveSponsor).await;
        org.add_liaison(&cobalt, &service, TeamRole::ServiceLead).await;
        org.add_liaison(&cobalt, &engineer, TeamRole::SolutionEngineer)
            .await;
        // KEY with nobody.
        let delta = org.account_of_tier("Delta", "KEY").await;
        // Tiers without requirements, and a deleted STRATEGIC account.
        let echo = org.account_of_tier("Echo", "GROWTH").await;
        org.account("Foxtrot").await;
        let zulu = org.account_of_tier("Zulu", "STRATEGIC").await;
        org.delete_account(&zulu).await;

        let coverage =
            |id: &str, name: &str, tier: Tier, roles: &[TeamRole], liaisons: &[&str]| pb::AccountCoverage {
                account_id: id.to_owned(),
                account_display_name: name.to_owned(),
                tier: tier as i32,
                missing_roles: roles.iter().map(|r| *r as i32).collect(),
                missing_liaisons: liaisons.iter().map(|l| (*l).to_owned()).collect(),
            };
        let atlas_row = coverage(&atlas, "Atlas", Tier::Strategic, &[], &[]);
        let borealis_row = coverage(
            &borealis,
            "Borealis",
            Tier::Strategic,
            &[TeamRole::ExecutiveSponsor],
            &["CUSTOMER_SERVICE", "TECHNICAL"],
        );
        let aardvark_row = coverage(&aardvark, "Aardvark", Tier::Key, &[], &[]);
        let cobalt_row = coverage(&cobalt, "Cobalt", Tier::Key, &[TeamRole::AccountManager], &[]);
        let delta_row = coverage(
            &delta,
            "Delta",
            Tier::Key,
            &[TeamRole::AccountManager, TeamRole::ExecutiveSponsor],
            &["CUSTOMER_SERVICE"],
        );

        let report = org.coverage(&[], false).await;
        assert_eq!(
            report.accounts,
            [
                atlas_row.clone(),
                borealis_row.clone(),
                aardvark_row.clone(),
                cobalt_row.clone(),
                delta_row.clone()
            ]
        );
        assert_eq!(report.covered_count, 2);

        let gaps = org.coverage(&[], true).await;
        assert_eq!(
            gaps.accounts,
            [borealis_row.clone(), cobalt_row.clone(), delta_row.clone()]
        );
        assert_eq!(gaps.covered_count, 0);

        let key = org.coverage(&[Tier::Key], false).await;
        assert_eq!(
            key.accounts,
            [aardvark_row.clone(), cobalt_row.clone(), delta_row.clone()]
        );
        assert_eq!(key.covered_count, 1);

        // Asked in any order, the report is ordered by tier.
        let both = org.coverage(&[Tier::Key, Tier::Strategic], true).await;
        assert_eq!(both.accounts, [borealis_row, cobalt_row, delta_row]);

        // A tier without requirements lists its accounts with nothing missing.
        let growth = org.coverage(&[Tier::Growth], false).await;
        assert_eq!(growth.accounts, [coverage(&echo, "Echo", Tier::Growth, &[], &[])]);
        assert_eq!(growth.covered_count, 1);
        let growth_gaps = org.coverage(&[Tier::Growth], true).await;
        assert!(growth_gaps.accounts.is_empty());
        assert_eq!(growth_gaps.covered_count, 0);

        // Filling a gap shows at once.
        org.add_liaison(&delta, &service_too, TeamRole::ServiceLead).await;
        org.add(&delta, &boss, TeamRole::ExecutiveSponsor).await;
        let key = org.coverage(&[Tier::Key], true).await;
        assert_eq!(
            key.accounts,
            [
                coverage(&cobalt, "Cobalt", Tier::Key, &[TeamRole::AccountManager], &[]),
                coverage(&delta, "Delta", Tier::Key, &[TeamRole::AccountManager], &[]),
            ]
        );

        let status = org
            .teams
            .get_coverage_report(pb::GetCoverageReportRequest {
                tiers: vec![99],
                gaps_only: false,
                segments: None,
            })
            .await
            .expect_err("unknown tier");
        assert_error(&status, Code::InvalidArgument);
    }

    // ----- workload -----

    async fn workload_counts_the_active_accounts_of_every_active_person(server: &TestServer) {
        let mut org = Org::new(server).await;
        let bea = org.staff_with_capacity("Bea", "SALES", 5).await;
        let ada = org.staff("Ada", "CUSTOMER_SERVICE").await;
        let cy = org.staff("Cy", "SALES").await;
        let gone = org.staff("Gone", "SALES").await;
        org.deactivate(&gone.id).await.expect("deactivate");
        let first = org.account("First").await;
        let second = org.account("Second").await;
        let third = org.account("Third").await;
        org.add(&first, &ada, TeamRole::AccountManager).await;
        org.add_liaison(&second, &ada, TeamRole::ServiceLead).await;
        let ended = org.add(&third, &ada, TeamRole::ServiceLead).await;
        org.remove(&ended.id, "").await.expect("remove");
        org.add(&first, &bea, TeamRole::SalesSpecialist).await;

        let everyone = org.workload(&[]).await;
        let summary: Vec<(&str, &str, i32, i32)> = everyone
            .iter()
            .map(|w| {
                (
                    w.staff_id.as_str(),
                    w.full_name.as_str(),
                    w.active_accounts,
                    w.max_accounts,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (ada.id.as_str(), "Ada", 2, 25),
                (bea.id.as_str(), "Bea", 1, 5),
                (cy.id.as_str(), "Cy", 0, 25),
            ]
        );

        let some = org.workload(&[&cy, &bea]).await;
        let names: Vec<&str> = some.iter().map(|w| w.full_name.as_str()).collect();
        assert_eq!(names, ["Bea", "Cy"]);
        assert_eq!(some[0].active_accounts, 1);
    }

    // ----- handover -----

    async fn handover_moves_every_role_and_then_allows_deactivation(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.staff_of_level("Frank", "SALES", StaffLevel::Executive).await;
        let tina = org
            .staff_of_level("Tina", "MARKETING", StaffLevel::Executive)
            .await;
        let bob = org.staff("Bob", "SALES").await;
        let first = org.account("First").await;
        let second = org.account("Second").await;
        let third = org.account("Third").await;
        let managed = org.add_liaison(&first, &frank, TeamRole::AccountManager).await;
        let bystander = org.add(&first, &bob, TeamRole::SalesSpecialist).await;
        let sponsored = org.add(&second, &frank, TeamRole::ExecutiveSponsor).await;
        let selling = org.add(&third, &frank, TeamRole::SalesSpecialist).await;
        let audit_before = audit_rows_of_staff(server, &frank).await;

        let status = org.deactivate(&frank.id).await.expect_err("still responsible");
        assert_failed_precondition(&status, "HAS_RESPONSIBILITIES");

        let expected: BTreeSet<(String, String, String)> = [
            (&first, &managed, "ACCOUNT_MANAGER"),
            (&second, &sponsored, "EXECUTIVE_SPONSOR"),
            (&third, &selling, "SALES_SPECIALIST"),
        ]
        .into_iter()
        .map(|(account, seat, role)| (account.clone(), seat.id.clone(), role.to_owned()))
        .collect();
        let moved_set =
            |response: &pb::TransferResponsibilitiesResponse| -> BTreeSet<(String, String, String)> {
                response
                    .moved
                    .iter()
                    .map(|m| {
                        assert_eq!(m.area, "team_roles", "{m:?}");
                        (m.account_id.clone(), m.item_id.clone(), m.description.clone())
                    })
                    .collect()
            };

        // validate_only says what would move and changes nothing.
        let before = org
            .snapshot(&[&frank, &tina, &bob], &[&first, &second, &third])
            .await;
        let preview = org
            .transfer(pb::TransferResponsibilitiesRequest {
                validate_only: true,
                ..handover(&frank, &tina, &[])
            })
            .await
            .expect("validate only");
        assert!(preview.rule_breaks.is_empty(), "{preview:?}");
        assert_eq!(preview.moved.len(), 3, "{preview:?}");
        assert_eq!(moved_set(&preview), expected);
        assert!(
            preview.moved.iter().all(|m| m.new_item_id.is_empty()),
            "{preview:?}"
        );
        assert_eq!(
            org.snapshot(&[&frank, &tina, &bob], &[&first, &second, &third])
                .await,
            before
        );
        assert_eq!(transferred_events(server).await, 0);

        let done = org
            .transfer(handover(&frank, &tina, &[]))
            .await
            .expect("transfer");
        assert!(done.rule_breaks.is_empty(), "{done:?}");
        assert_eq!(done.moved.len(), 3, "{done:?}");
        assert_eq!(moved_set(&done), expected);

        // Frank's seats ended with the reason; Tina holds the same roles and liaison duty, for her
        // department.
        let franks = org.seats_of(&frank, true).await;
        assert_eq!(franks.len(), 3);
        for seat in &franks {
            assert!(seat.end_time.is_some(), "{seat:?}");
            assert_eq!(seat.end_reason, REASON);
        }
        assert!(org.seats_of(&frank, false).await.is_empty());
        let tinas = org.seats_of(&tina, false).await;
        assert_eq!(tinas.len(), 3);
        for moved in &done.moved {
            let new = tinas
                .iter()
                .find(|m| m.id == moved.new_item_id)
                .unwrap_or_else(|| panic!("no active membership {moved:?} for Tina: {tinas:?}"));
            let old = franks
                .iter()
                .find(|m| m.id == moved.item_id)
                .expect("the old membership");
            assert_eq!(new.account_id, moved.account_id);
            assert_eq!(new.account_id, old.account_id);
            assert_eq!(new.role, old.role);
            assert_eq!(new.is_department_liaison, old.is_department_liaison);
            assert_eq!(new.department_id, org.department("MARKETING"));
            assert!(new.end_time.is_none() && new.start_time.is_some());
        }
        let first_team = org.team_of(&first, false).await;
        assert!(first_team.contains(&bystander), "the bystander is untouched");
        assert_eq!(first_team.len(), 2);

        assert_eq!(audit_rows_of_staff(server, &frank).await, audit_before + 1);
        assert_eq!(transferred_events(server).await, 1);

        let workloads = org.workload(&[&frank, &tina]).await;
        let counts: Vec<(&str, i32)> = workloads
            .iter()
            .map(|w| (w.full_name.as_str(), w.active_accounts))
            .collect();
        assert_eq!(counts, [("Frank", 0), ("Tina", 3)]);

        let deactivated = org
            .deactivate(&frank.id)
            .await
            .expect("nothing left to hand over");
        assert!(!deactivated.active);
        let status = org.deactivate(&frank.id).await.expect_err("twice");
        assert_failed_precondition(&status, "STAFF_INACTIVE");
    }

    async fn handover_of_chosen_accounts_moves_only_those(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.staff("Frank", "SALES").await;
        let tina = org.staff("Tina", "SALES").await;
        let first = org.account("First").await;
        let second = org.account("Second").await;
        let kept = org.add(&first, &frank, TeamRole::AccountManager).await;
        let moving = org.add(&second, &frank, TeamRole::AccountManager).await;

        let done = org
            .transfer(handover(&frank, &tina, &[&second]))
            .await
            .expect("transfer");
        assert_eq!(done.moved.len(), 1);
        let moved = &done.moved[0];
        assert_eq!(
            (
                moved.area.as_str(),
                moved.account_id.as_str(),
                moved.item_id.as_str(),
                moved.description.as_str()
            ),
            (
                "team_roles",
                second.as_str(),
                moving.id.as_str(),
                "ACCOUNT_MANAGER"
            )
        );
        assert_eq!(org.seats_of(&frank, false).await, [kept]);
        let tinas = org.seats_of(&tina, false).await;
        assert_eq!(tinas.len(), 1);
        assert_eq!(tinas[0].id, moved.new_item_id);
        assert_eq!(tinas[0].account_id, second);
        assert_eq!(tinas[0].role(), TeamRole::AccountManager);
        let ended = org.team_of(&second, true).await;
        assert_eq!(ended.len(), 2);
        assert_eq!(
            ended.iter().find(|m| m.id == moving.id).expect("old").end_reason,
            REASON
        );
    }

    async fn handover_announces_every_item_it_moves(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.staff("Frank", "SALES").await;
        let tina = org.staff("Tina", "SALES").await;
        let account = org.account("Moving").await;
        let seat = org.add(&account, &frank, TeamRole::AccountManager).await;
        let [deal, request, action] = hold_one_of_each(server, &account, &frank).await;
        let held = events_until(server, "", |e| e.resource_id == action).await;
        let before = &held.last().expect("the action's creation").cursor;

        // A dry run records nothing: an event of it would come before the handover's, below.
        org.transfer(pb::TransferResponsibilitiesRequest {
            validate_only: true,
            ..handover(&frank, &tina, &[])
        })
        .await
        .expect("validate only");
        let done = org
            .transfer(handover(&frank, &tina, &[]))
            .await
            .expect("transfer");
        assert_eq!(done.moved.len(), 4, "{done:?}");
        let new_seat = &done
            .moved
            .iter()
            .find(|m| m.area == "team_roles")
            .expect("the seat moved")
            .new_item_id;

        // One event per item moved, carrying it with its new holder (the ended seat: its old one),
        // and the summary, recorded last in the same transaction.
        let events = events_until(server, before, |e| e.event_type == "ResponsibilitiesTransferred").await;
        let mut seen: Vec<(&str, &str, &str, Vec<&str>)> = events
            .iter()
            .map(|e| {
                (
                    e.event_type.as_str(),
                    e.resource_id.as_str(),
                    holder_named(e),
                    e.changed_fields.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        seen.sort();
        let mut expected: Vec<(&str, &str, &str, Vec<&str>)> = vec![
            ("OpportunityUpdated", &deal, &tina.id, vec!["owner_staff_id"]),
            ("ServiceRequestUpdated", &request, &tina.id, vec!["assignee_staff_id"]),
            ("PlanActionUpdated", &action, &tina.id, vec!["owner_staff_id"]),
            ("TeamMemberRemoved", &seat.id, &frank.id, vec!["end_time", "end_reason"]),
            (
                "TeamMemberAdded",
                new_seat,
                &tina.id,
                vec!["account_id", "staff_id", "role", "is_department_liaison"],
            ),
            ("ResponsibilitiesTransferred", &frank.id, &tina.id, vec!["responsibilities"]),
        ];
        expected.sort();
        assert_eq!(seen, expected);
        let ended = events
            .iter()
            .find_map(|e| match &e.payload {
                Some(Payload::TeamMemberRemoved(seat)) => Some(seat),
                _ => None,
            })
            .expect("the ended seat");
        assert!(ended.end_time.is_some(), "{ended:?}");
        assert_eq!(ended.end_reason, REASON);
        assert!(
            events.iter().all(|e| e.account_id == account || e.event_type == "ResponsibilitiesTransferred"),
            "each item's event concerns its account: {events:?}"
        );

        // Each comes with its audit row, written as the handover's caller's change.
        let audited = server
            .query_i64(
                "SELECT count(*) FROM audit_entries WHERE method = $1 AND principal = $2",
                [
                    Value::from("/kam.v1.TeamService/TransferResponsibilities"),
                    Value::from(server.admin().staff_id.clone()),
                ],
            )
            .await;
        assert_eq!(audited, 6);
    }

    async fn handover_that_breaks_capacity_part_way_changes_nothing(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.staff("Frank", "SALES").await;
        let tina = org.staff_with_capacity("Tina", "SALES", 2).await;
        let first = org.account("First").await;
        let second = org.account("Second").await;
        let hers = org.account("Hers").await;
        org.add(&first, &frank, TeamRole::AccountManager).await;
        org.add_liaison(&second, &frank, TeamRole::SalesSpecialist).await;
        org.add(&hers, &tina, TeamRole::SalesSpecialist).await;

        // The first account fits Tina's capacity of two; the second would be her third.
        let report = org
            .assert_handover_refused(
                handover(&frank, &tina, &[&first, &second]),
                "CAPACITY_EXCEEDED",
                &[&frank, &tina],
                &[&first, &second, &hers],
            )
            .await;
        assert_eq!(report.rule_breaks.len(), 1, "{report:?}");
        assert_eq!(report.rule_breaks[0].rule, "CAPACITY_EXCEEDED");
        assert_eq!(
            report.rule_breaks[0].account_id, second,
            "the account where capacity runs out"
        );
        assert_eq!(report.moved.len(), 2, "{report:?}");
        assert_eq!(org.seats_of(&frank, false).await.len(), 2);
        assert_eq!(org.seats_of(&tina, false).await.len(), 1);
        assert_eq!(
            server
                .query_i64(
                    "SELECT count(*) FROM team_members WHERE staff_id = $1",
                    [uuid(&tina.id)]
                )
                .await,
            1
        );
        assert_eq!(
            server
                .query_i64(
                    "SELECT count(*) FROM team_members WHERE staff_id = $1 AND end_time IS NULL",
                    [uuid(&frank.id)],
                )
                .await,
            2
        );

        // With room for both, the same handover goes through.
        org.update_staff(
            pb::Staff {
                id: tina.id.clone(),
                max_accounts: 3,
                ..Default::default()
            },
            &["max_accounts"],
        )
        .await
        .expect("raise capacity");
        org.transfer(handover(&frank, &tina, &[&first, &second]))
            .await
            .expect("now it fits");
        assert_eq!(org.seats_of(&tina, false).await.len(), 3);
    }

    async fn handover_to_inactive_staff_is_refused(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.staff("Frank", "SALES").await;
        let tina = org.staff("Tina", "SALES").await;
        org.deactivate(&tina.id).await.expect("deactivate");
        let account = org.account("Acme").await;
        org.add(&account, &frank, TeamRole::AccountManager).await;
        org.assert_handover_refused(
            handover(&frank, &tina, &[]),
            "STAFF_INACTIVE",
            &[&frank, &tina],
            &[&account],
        )
        .await;
    }

    async fn handover_of_a_sponsorship_to_a_non_executive_is_refused(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.executive("Frank").await;
        let tina = org.staff_of_level("Tina", "SALES", StaffLevel::Manager).await;
        let account = org.account("Acme").await;
        org.add(&account, &frank, TeamRole::ExecutiveSponsor).await;
        org.assert_handover_refused(
            handover(&frank, &tina, &[]),
            "SPONSOR_MUST_BE_EXECUTIVE",
            &[&frank, &tina],
            &[&account],
        )
        .await;
    }

    async fn handover_to_someone_already_on_the_team_is_refused(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.staff("Frank", "SALES").await;
        let tina = org.staff("Tina", "SALES").await;
        let account = org.account("Acme").await;
        org.add(&account, &frank, TeamRole::AccountManager).await;
        org.add(&account, &tina, TeamRole::SalesSpecialist).await;
        org.assert_handover_refused(
            handover(&frank, &tina, &[]),
            "ALREADY_ON_TEAM",
            &[&frank, &tina],
            &[&account],
        )
        .await;
    }

    async fn handover_of_a_liaison_clashing_in_the_receivers_department_is_refused(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.staff("Frank", "CUSTOMER_SERVICE").await;
        let tina = org.staff("Tina", "TECHNICAL").await;
        let tess = org.staff("Tess", "TECHNICAL").await;
        let account = org.account("Acme").await;
        org.add_liaison(&account, &frank, TeamRole::ServiceLead).await;
        org.add_liaison(&account, &tess, TeamRole::SolutionEngineer).await;
        org.assert_handover_refused(
            handover(&frank, &tina, &[]),
            "ONE_LIAISON_PER_DEPARTMENT",
            &[&frank, &tina, &tess],
            &[&account],
        )
        .await;
    }

    async fn handover_requests_are_validated(server: &TestServer) {
        let mut org = Org::new(server).await;
        let frank = org.staff("Frank", "SALES").await;
        let tina = org.staff("Tina", "SALES").await;
        let served = org.account("Served").await;
        let not_served = org.account("Not served").await;
        org.add(&served, &frank, TeamRole::AccountManager).await;
        let before = org.snapshot(&[&frank, &tina], &[&served, &not_served]).await;

        let cases = [
            (
                pb::TransferResponsibilitiesRequest {
                    reason: String::new(),
                    ..handover(&frank, &tina, &[])
                },
                "reason",
            ),
            (
                pb::TransferResponsibilitiesRequest {
                    reason: "x".repeat(501),
                    ..handover(&frank, &tina, &[])
                },
                "reason",
            ),
            (handover(&frank, &frank, &[]), "to_staff_id"),
            (
                pb::TransferResponsibilitiesRequest {
                    from_staff_id: "frank".into(),
                    ..handover(&frank, &tina, &[])
                },
                "from_staff_id",
            ),
            (
                pb::TransferResponsibilitiesRequest {
                    to_staff_id: String::new(),
                    ..handover(&frank, &tina, &[])
                },
                "to_staff_id",
            ),
            (handover(&frank, &tina, &[&served, &not_served]), "account_ids[1]"),
            (handover(&frank, &tina, &[&not_served]), "account_ids[0]"),
            (handover(&frank, &tina, &["not-a-uuid"]), "account_ids[0]"),
        ];
        for (request, field) in cases {
            for validate_only in [false, true] {
                let status = org
                    .transfer(pb::TransferResponsibilitiesRequest {
                        validate_only,
                        ..request.clone()
                    })
                    .await
                    .expect_err(field);
                assert_invalid_argument(&status, field);
            }
        }

        let unknown = pb::Staff {
            id: Uuid::now_v7().to_string(),
            ..Default::default()
        };
        for request in [handover(&unknown, &tina, &[]), handover(&frank, &unknown, &[])] {
            let status = org.transfer(request).await.expect_err("unknown staff");
            assert_error(&status, Code::NotFound);
        }
        assert_eq!(
            org.snapshot(&[&frank, &tina], &[&served, &not_served]).await,
            before
        );
    }

    // ----- concurrency -----

    async fn concurrent_account_managers_end_with_exactly_one(server: &TestServer) {
        let mut org = Org::new(server).await;
        for round in 0..5 {
            let account = org.account(&format!("Race {round}")).await;
            let ann = org.staff(&format!("Ann {round}"), "SALES").await;
            let ben = org.staff(&format!("Ben {round}"), "SALES").await;
            let outcomes = add_concurrently(
                server,
                [
                    member(&account, &ann.id, TeamRole::AccountManager, false),
                    member(&account, &ben.id, TeamRole::AccountManager, false),
                ],
            )
            .await;
            assert_exactly_one_wins(&outcomes, "ONE_ACCOUNT_MANAGER", round);
            let team = org.team_of(&account, true).await;
            assert_eq!(
                roles(&team),
                [TeamRole::AccountManager],
                "round {round}: {team:?}"
            );
        }
    }

    async fn concurrent_adds_never_exceed_capacity(server: &TestServer) {
        let mut org = Org::new(server).await;
        for round in 0..5 {
            let ann = org.staff_with_capacity(&format!("Ann {round}"), "SALES", 1).await;
            let first = org.account(&format!("First {round}")).await;
            let second = org.account(&format!("Second {round}")).await;
            let outcomes = add_concurrently(
                server,
                [
                    member(&first, &ann.id, TeamRole::SalesSpecialist, false),
                    member(&second, &ann.id, TeamRole::SalesSpecialist, false),
                ],
            )
            .await;
            assert_exactly_one_wins(&outcomes, "CAPACITY_EXCEEDED", round);
            let seats = org.seats_of(&ann, true).await;
            assert_eq!(seats.len(), 1, "round {round}: {seats:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Configured coverage: a server of its own per backend
// ---------------------------------------------------------------------------------------------------

/// With STANDARD accounts configured to need an account manager and a SALES liaison, the report lists
/// STANDARD accounts (besides the default STRATEGIC and KEY ones) with exactly those gaps.
async fn coverage_follows_the_configured_requirements(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |config| {
        config.coverage.insert(
            "STANDARD".into(),
            kam_server::config::TierCoverage {
                roles: vec!["ACCOUNT_MANAGER".into()],
                liaisons: vec!["SALES".into()],
            },
        );
    })
    .await
    else {
        return;
    };
    {
        let mut org = Org::new(&server).await;
        let manny = org.staff("Manny", "SALES").await;
        let sam = org.staff("Sam", "SALES").await;
        // New accounts are STANDARD.
        let alpha = org.account("Alpha").await;
        org.add(&alpha, &manny, TeamRole::AccountManager).await;
        org.add_liaison(&alpha, &sam, TeamRole::SalesSpecialist).await;
        let beta = org.account("Beta").await;
        org.add(&beta, &sam, TeamRole::SalesSpecialist).await;
        let gamma = org.account_of_tier("Gamma", "GROWTH").await;
        let key = org.account_of_tier("Keystone", "KEY").await;

        let report = org.coverage(&[], false).await;
        let rows: Vec<(&str, Tier, Vec<TeamRole>, Vec<&str>)> = report
            .accounts
            .iter()
            .map(|a| {
                (
                    a.account_id.as_str(),
                    a.tier(),
                    a.missing_roles().collect(),
                    a.missing_liaisons.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    key.as_str(),
                    Tier::Key,
                    vec![TeamRole::AccountManager, TeamRole::ExecutiveSponsor],
                    vec!["CUSTOMER_SERVICE"],
                ),
                (alpha.as_str(), Tier::Standard, vec![], vec![]),
                (
                    beta.as_str(),
                    Tier::Standard,
                    vec![TeamRole::AccountManager],
                    vec!["SALES"]
                ),
            ]
        );
        assert_eq!(report.covered_count, 1);
        assert!(!report.accounts.iter().any(|a| a.account_id == gamma));

        let standard_gaps = org.coverage(&[Tier::Standard], true).await;
        let ids: Vec<&str> = standard_gaps
            .accounts
            .iter()
            .map(|a| a.account_id.as_str())
            .collect();
        assert_eq!(ids, [beta.as_str()]);
    }
    server.stop().await;
}

/// Without configuration, STANDARD accounts need nothing and are left out of the default report.
async fn default_coverage_leaves_out_tiers_without_requirements(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    {
        let mut org = Org::new(&server).await;
        org.account("Plain").await;
        org.account_of_tier("Growing", "GROWTH").await;
        let report = org.coverage(&[], false).await;
        assert!(report.accounts.is_empty(), "{report:?}");
        assert_eq!(report.covered_count, 0);
    }
    server.stop().await;
}

mod configured_coverage {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_follows_the_configured_requirements() {
        coverage_follows_the_configured_requirements(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_follows_the_configured_requirements() {
        coverage_follows_the_configured_requirements(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_default_leaves_out_tiers_without_requirements() {
        default_coverage_leaves_out_tiers_without_requirements(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_default_leaves_out_tiers_without_requirements() {
        default_coverage_leaves_out_tiers_without_requirements(Backend::Postgres).await;
    }
}
