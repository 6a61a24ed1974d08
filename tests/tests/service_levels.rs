//! ServiceLevelService end to end: business calendars, SLA policies and service requests with every rule
//! of `proto/kam/v1/service_levels.proto`, through real gRPC on SQLite and on PostgreSQL (when
//! `KAM_TEST_POSTGRES_URL` is set).
//!
//! The SLA clock runs on real time. To see a request an hour or a day into its life without waiting,
//! a test rewrites the instants of its status history in the database ([`Desk::rewrite_history`]) and
//! then makes any write to the request, which re-derives the stored SLA columns the list filters read.

use std::time::{SystemTime, UNIX_EPOCH};

use kam_tests::{
    Caller, TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    pb::{
        self, DayOfWeek, Priority, SlaPolicyMatch, SlaTargetKind, StaffLevel, Tier,
        escalation_step::Trigger,
        service_level_service_client::ServiceLevelServiceClient,
        service_request::{Category, Status},
        sla_target::State,
    },
    pbjson_types::{FieldMask, Timestamp},
};
use sea_orm::{Value, prelude::DateTimeUtc};
use tonic::{Code, Status as GrpcStatus};
use uuid::Uuid;

type Client = ServiceLevelServiceClient<kam_tests::Authed>;

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

const ALWAYS_OPEN: &str = "00000000-0000-7000-8000-000000000300";
const OFFICE_HOURS: &str = "00000000-0000-7000-8000-000000000301";
const DEFAULT_POLICY: &str = "00000000-0000-7000-8000-000000000310";
const STRATEGIC_POLICY: &str = "00000000-0000-7000-8000-000000000311";
const KEY_POLICY: &str = "00000000-0000-7000-8000-000000000312";

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn unique(prefix: &str) -> String {
    format!("{prefix} {}", Uuid::now_v7().simple())
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

fn secs(time: &Option<Timestamp>) -> i64 {
    time.as_ref().expect("the timestamp is set").seconds
}

fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

/// The UTC date of an instant, as a proto date.
fn utc_date(seconds: i64) -> pb::Date {
    let text = DateTimeUtc::from_timestamp(seconds, 0)
        .expect("a valid instant")
        .date_naive()
        .to_string();
    let parts: Vec<i32> = text.split('-').map(|p| p.parse().expect("a number")).collect();
    pb::Date {
        year: parts[0],
        month: parts[1],
        day: parts[2],
    }
}

fn window(day: DayOfWeek, start: &str, end: &str) -> pb::WorkingWindow {
    pb::WorkingWindow {
        day: day as i32,
        start_time: start.to_owned(),
        end_time: end.to_owned(),
    }
}

const WEEK: [DayOfWeek; 7] = [
    DayOfWeek::Monday,
    DayOfWeek::Tuesday,
    DayOfWeek::Wednesday,
    DayOfWeek::Thursday,
    DayOfWeek::Friday,
    DayOfWeek::Saturday,
    DayOfWeek::Sunday,
];

/// Every day 00:00–24:00 UTC: round the clock, but (unlike 24x7) with holidays.
fn every_day_calendar() -> pb::BusinessCalendar {
    pb::BusinessCalendar {
        display_name: unique("Every day"),
        time_zone: "UTC".to_owned(),
        windows: WEEK.iter().map(|d| window(*d, "00:00", "24:00")).collect(),
        ..Default::default()
    }
}

fn targets(pairs: [(i32, i32); 4]) -> Vec<pb::PriorityTargets> {
    [Priority::P1, Priority::P2, Priority::P3, Priority::P4]
        .into_iter()
        .zip(pairs)
        .map(|(priority, (first, resolution))| pb::PriorityTargets {
            priority: priority as i32,
            first_response_minutes: first,
            resolution_minutes: resolution,
        })
        .collect()
}

/// The same targets for every priority.
fn uniform(first: i32, resolution: i32) -> Vec<pb::PriorityTargets> {
    targets([(first, resolution); 4])
}

fn step(
    trigger: Trigger,
    delay: i32,
    assignee: bool,
    roles: &[pb::TeamRole],
    liaisons: &[&str],
) -> pb::EscalationStep {
    pb::EscalationStep {
        trigger: trigger as i32,
        target: 0,
        delay_minutes: delay,
        notify_assignee: assignee,
        roles: roles.iter().map(|r| *r as i32).collect(),
        liaison_department_codes: liaisons.iter().map(|c| (*c).to_owned()).collect(),
    }
}

/// A policy for `account_id` on `calendar_id` with the same targets for every priority.
fn account_policy(account_id: &str, calendar_id: &str, first: i32, resolution: i32) -> pb::SlaPolicy {
    pb::SlaPolicy {
        display_name: unique("Account policy"),
        account_id: account_id.to_owned(),
        calendar_id: calendar_id.to_owned(),
        targets: uniform(first, resolution),
        ..Default::default()
    }
}

fn state(target: &Option<pb::SlaTarget>) -> State {
    State::try_from(target.as_ref().expect("the target is set").state).expect("a known state")
}

fn target(target: &Option<pb::SlaTarget>) -> &pb::SlaTarget {
    target.as_ref().expect("the target is set")
}

fn status_of(request: &pb::ServiceRequest) -> Status {
    Status::try_from(request.status).expect("a known status")
}

/// The service desk as one caller.
struct Desk<'a> {
    server: &'a TestServer,
    client: Client,
}

impl<'a> Desk<'a> {
    fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            client: ServiceLevelServiceClient::new(server.channel()),
        }
    }

    fn as_caller(&self, caller: &Caller) -> Desk<'a> {
        Desk {
            server: self.server,
            client: ServiceLevelServiceClient::new(caller.channel()),
        }
    }

    async fn account(&self, prefix: &str) -> pb::Account {
        self.server
            .accounts()
            .create_account(pb::CreateAccountRequest {
                account: Some(pb::Account {
                    display_name: unique(prefix),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create an account")
            .into_inner()
    }

    /// Tiers come from revenue ranking (not part of this service): set one directly.
    async fn set_tier(&self, account_id: &str, tier: &str) {
        let id = Uuid::parse_str(account_id).expect("an id");
        let changed = self
            .server
            .execute(
                "UPDATE accounts SET tier = $1 WHERE id = $2",
                [Value::from(tier.to_owned()), Value::from(id)],
            )
            .await;
        assert_eq!(changed, 1);
    }

    async fn try_create(&mut self, request: pb::ServiceRequest) -> Result<pb::ServiceRequest, GrpcStatus> {
        self.client
            .create_service_request(pb::CreateServiceRequestRequest {
                service_request: Some(request),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    fn new_request(account_id: &str, title: &str) -> pb::ServiceRequest {
        pb::ServiceRequest {
            account_id: account_id.to_owned(),
            title: title.to_owned(),
            ..Default::default()
        }
    }

    async fn create(&mut self, account_id: &str, title: &str) -> pb::ServiceRequest {
        self.try_create(Self::new_request(account_id, title))
            .await
            .unwrap_or_else(|status| panic!("create a service request: {status:?}"))
    }

    async fn try_get(&mut self, id: &str) -> Result<pb::ServiceRequest, GrpcStatus> {
        self.client
            .get_service_request(pb::GetServiceRequestRequest { id: id.to_owned() })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn get(&mut self, id: &str) -> pb::ServiceRequest {
        self.try_get(id)
            .await
            .unwrap_or_else(|status| panic!("get service request {id}: {status:?}"))
    }

    async fn try_status(
        &mut self,
        id: &str,
        to: Status,
        note: &str,
    ) -> Result<pb::ServiceRequest, GrpcStatus> {
        self.client
            .change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                id: id.to_owned(),
                status: to as i32,
                note: note.to_owned(),
                etag: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn status(&mut self, id: &str, to: Status) -> pb::ServiceRequest {
        self.try_status(id, to, "")
            .await
            .unwrap_or_else(|status| panic!("move {id} to {to:?}: {status:?}"))
    }

    async fn try_respond(&mut self, id: &str) -> Result<pb::ServiceRequest, GrpcStatus> {
        self.client
            .record_first_response(pb::RecordFirstResponseRequest {
                id: id.to_owned(),
                etag: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn try_update(
        &mut self,
        request: pb::ServiceRequest,
        paths: &[&str],
    ) -> Result<pb::ServiceRequest, GrpcStatus> {
        self.client
            .update_service_request(pb::UpdateServiceRequestRequest {
                service_request: Some(request),
                update_mask: mask(paths),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// A write that changes nothing that matters: the stored SLA columns are derived afresh.
    async fn touch(&mut self, id: &str) -> pb::ServiceRequest {
        self.try_update(
            pb::ServiceRequest {
                id: id.to_owned(),
                description: unique("Touched"),
                ..Default::default()
            },
            &["description"],
        )
        .await
        .unwrap_or_else(|status| panic!("touch {id}: {status:?}"))
    }

    async fn try_recalculate(
        &mut self,
        id: &str,
        policy_id: &str,
        priority: Priority,
    ) -> Result<pb::ServiceRequest, GrpcStatus> {
        self.client
            .recalculate_sla(pb::RecalculateSlaRequest {
                id: id.to_owned(),
                policy_id: policy_id.to_owned(),
                priority: priority as i32,
                etag: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn history(&mut self, id: &str) -> Vec<pb::StatusChange> {
        self.client
            .list_status_history(pb::ListStatusHistoryRequest {
                service_request_id: id.to_owned(),
                page_size: 1000,
                page_token: String::new(),
            })
            .await
            .unwrap_or_else(|status| panic!("list the status history of {id}: {status:?}"))
            .into_inner()
            .changes
    }

    async fn list(&mut self, request: pb::ListServiceRequestsRequest) -> Vec<pb::ServiceRequest> {
        self.client
            .list_service_requests(pb::ListServiceRequestsRequest {
                page_size: 1000,
                ..request
            })
            .await
            .unwrap_or_else(|status| panic!("list service requests: {status:?}"))
            .into_inner()
            .service_requests
    }

    /// The ids of every page of `request`, `page_size` a page, following the page tokens; checks that
    /// each page but the last is full and that no id comes twice.
    async fn all_pages(&mut self, request: pb::ListServiceRequestsRequest, page_size: i32) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .client
                .list_service_requests(pb::ListServiceRequestsRequest {
                    page_size,
                    page_token: token,
                    ..request.clone()
                })
                .await
                .unwrap_or_else(|status| panic!("a page of service requests: {status:?}"))
                .into_inner();
            for request in page.service_requests.iter() {
                assert!(!ids.contains(&request.id), "{} came twice", request.id);
            }
            let full = page.service_requests.len() == page_size as usize;
            ids.extend(page.service_requests.into_iter().map(|r| r.id));
            if page.next_page_token.is_empty() {
                return ids;
            }
            assert!(full, "a page before the last is full");
            token = page.next_page_token;
        }
    }

    /// The ids listed under `request`, among `of` (other tests' rows do not exist here, but keep
    /// assertions to the rows a test made).
    async fn listed(
        &mut self,
        request: pb::ListServiceRequestsRequest,
        of: &[&pb::ServiceRequest],
    ) -> Vec<String> {
        let listed = self.list(request).await;
        listed
            .into_iter()
            .filter(|r| of.iter().any(|o| o.id == r.id))
            .map(|r| r.id)
            .collect()
    }

    async fn try_create_calendar(
        &mut self,
        calendar: pb::BusinessCalendar,
    ) -> Result<pb::BusinessCalendar, GrpcStatus> {
        self.client
            .create_business_calendar(pb::CreateBusinessCalendarRequest {
                calendar: Some(calendar),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn create_calendar(&mut self, calendar: pb::BusinessCalendar) -> pb::BusinessCalendar {
        self.try_create_calendar(calendar)
            .await
            .unwrap_or_else(|status| panic!("create a calendar: {status:?}"))
    }

    async fn try_update_calendar(
        &mut self,
        calendar: pb::BusinessCalendar,
        paths: &[&str],
    ) -> Result<pb::BusinessCalendar, GrpcStatus> {
        self.client
            .update_business_calendar(pb::UpdateBusinessCalendarRequest {
                calendar: Some(calendar),
                update_mask: mask(paths),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn try_create_policy(&mut self, policy: pb::SlaPolicy) -> Result<pb::SlaPolicy, GrpcStatus> {
        self.client
            .create_sla_policy(pb::CreateSlaPolicyRequest {
                policy: Some(policy),
                request_id: String::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn create_policy(&mut self, policy: pb::SlaPolicy) -> pb::SlaPolicy {
        self.try_create_policy(policy)
            .await
            .unwrap_or_else(|status| panic!("create a policy: {status:?}"))
    }

    async fn try_update_policy(
        &mut self,
        policy: pb::SlaPolicy,
        paths: &[&str],
    ) -> Result<pb::SlaPolicy, GrpcStatus> {
        self.client
            .update_sla_policy(pb::UpdateSlaPolicyRequest {
                policy: Some(policy),
                update_mask: mask(paths),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn try_get_policy(&mut self, id: &str) -> Result<pb::SlaPolicy, GrpcStatus> {
        self.client
            .get_sla_policy(pb::GetSlaPolicyRequest { id: id.to_owned() })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn try_delete_policy(&mut self, id: &str, etag: &str) -> Result<(), GrpcStatus> {
        self.client
            .delete_sla_policy(pb::DeleteSlaPolicyRequest {
                id: id.to_owned(),
                etag: etag.to_owned(),
            })
            .await
            .map(|_| ())
    }

    async fn policies(&mut self, request: pb::ListSlaPoliciesRequest) -> Vec<pb::SlaPolicy> {
        self.client
            .list_sla_policies(pb::ListSlaPoliciesRequest {
                page_size: 1000,
                ..request
            })
            .await
            .expect("list policies")
            .into_inner()
            .policies
    }

    /// A new account with a policy of its own on `calendar_id`.
    async fn account_with_policy(
        &mut self,
        calendar_id: &str,
        first: i32,
        resolution: i32,
    ) -> (pb::Account, pb::SlaPolicy) {
        let account = self.account("Served").await;
        let policy = self
            .create_policy(account_policy(&account.id, calendar_id, first, resolution))
            .await;
        (account, policy)
    }

    /// Rewrites the request's life: its history entries (oldest first) to have happened at `now +
    /// offsets[i]` seconds, and its creation and current-status times to match.
    async fn rewrite_history(&mut self, id: &str, offsets: &[i64]) -> i64 {
        let history = self.history(id).await;
        assert_eq!(history.len(), offsets.len(), "one offset per history entry");
        let now = now_secs();
        let time =
            |offset: i64| Value::from(DateTimeUtc::from_timestamp(now + offset, 0).expect("an instant"));
        for (change, offset) in history.iter().zip(offsets) {
            let change_id = Uuid::parse_str(&change.id).expect("an id");
            self.server
                .execute(
                    "UPDATE service_request_status_changes SET change_time = $1 WHERE id = $2",
                    [time(*offset), Value::from(change_id)],
                )
                .await;
        }
        let request_id = Uuid::parse_str(id).expect("an id");
        self.server
            .execute(
                "UPDATE service_requests SET create_time = $1, status_time = $2, sla_apply_time = $1 \
                 WHERE id = $3",
                [
                    time(offsets[0]),
                    time(*offsets.last().expect("an entry")),
                    Value::from(request_id),
                ],
            )
            .await;
        now
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

// ---------------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------------

backend_tests! {
    // ----- calendars -----

    async fn the_seeded_calendars_are_24x7_and_office_hours(server: &TestServer) {
        let mut desk = Desk::new(server);
        let listed = desk
            .client
            .list_business_calendars(pb::ListBusinessCalendarsRequest::default())
            .await
            .expect("list calendars")
            .into_inner()
            .calendars;
        let ids: Vec<&str> = listed.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, [ALWAYS_OPEN, OFFICE_HOURS]);
        let always = &listed[0];
        assert!(always.always_open && always.windows.is_empty() && always.time_zone == "UTC");
        let office = &listed[1];
        assert!(!office.always_open);
        let windows: Vec<(i32, &str, &str)> = office
            .windows
            .iter()
            .map(|w| (w.day, w.start_time.as_str(), w.end_time.as_str()))
            .collect();
        let expected: Vec<(i32, &str, &str)> = WEEK[..5].iter().map(|d| (*d as i32, "08:00", "18:00")).collect();
        assert_eq!(windows, expected);
    }

    async fn a_calendar_is_stored_in_day_and_time_order(server: &TestServer) {
        let mut desk = Desk::new(server);
        let calendar = pb::BusinessCalendar {
            display_name: unique("Berlin plant"),
            time_zone: "Europe/Berlin".to_owned(),
            windows: vec![
                window(DayOfWeek::Tuesday, "13:00", "17:00"),
                window(DayOfWeek::Monday, "13:00", "17:00"),
                window(DayOfWeek::Monday, "08:00", "12:00"),
                window(DayOfWeek::Tuesday, "08:00", "12:00"),
                // A night shift: two windows touching at midnight.
                window(DayOfWeek::Friday, "22:00", "24:00"),
                window(DayOfWeek::Saturday, "00:00", "06:00"),
            ],
            holidays: vec![
                pb::Holiday {
                    date: Some(pb::Date { year: 2026, month: 12, day: 25 }),
                    display_name: "Christmas".to_owned(),
                },
                pb::Holiday {
                    date: Some(pb::Date { year: 2026, month: 5, day: 1 }),
                    display_name: "Labour Day".to_owned(),
                },
            ],
            ..Default::default()
        };
        let created = desk.create_calendar(calendar.clone()).await;
        assert!(Uuid::parse_str(&created.id).is_ok());
        let order: Vec<(i32, &str)> = created.windows.iter().map(|w| (w.day, w.start_time.as_str())).collect();
        use DayOfWeek::*;
        assert_eq!(
            order,
            [
                (Monday as i32, "08:00"),
                (Monday as i32, "13:00"),
                (Tuesday as i32, "08:00"),
                (Tuesday as i32, "13:00"),
                (Friday as i32, "22:00"),
                (Saturday as i32, "00:00"),
            ]
        );
        assert_eq!(created.windows[4].end_time, "24:00");
        assert_eq!(created.holidays[0].display_name, "Labour Day");
        assert!(!created.etag.is_empty());
        let fetched = desk
            .client
            .get_business_calendar(pb::GetBusinessCalendarRequest { id: created.id.clone() })
            .await
            .expect("get the calendar")
            .into_inner();
        assert_eq!(fetched, created);
        assert_eq!(desk.events("BusinessCalendarCreated").await, 1);

        let missing = desk
            .client
            .get_business_calendar(pb::GetBusinessCalendarRequest { id: Uuid::now_v7().to_string() })
            .await
            .unwrap_err();
        assert_error(&missing, Code::NotFound);
    }

    async fn malformed_calendars_are_refused_naming_the_window(server: &TestServer) {
        let mut desk = Desk::new(server);
        let base = || pb::BusinessCalendar {
            display_name: unique("Cal"),
            time_zone: "Asia/Shanghai".to_owned(),
            windows: vec![window(DayOfWeek::Monday, "08:00", "12:00")],
            ..Default::default()
        };
        let cases: Vec<(pb::BusinessCalendar, &str)> = vec![
            (
                pb::BusinessCalendar {
                    windows: vec![
                        window(DayOfWeek::Monday, "08:00", "12:00"),
                        window(DayOfWeek::Monday, "11:30", "14:00"),
                    ],
                    ..base()
                },
                "calendar.windows[1]",
            ),
            (
                pb::BusinessCalendar {
                    windows: vec![window(DayOfWeek::Monday, "22:00", "06:00")],
                    ..base()
                },
                "calendar.windows[0]",
            ),
            (
                pb::BusinessCalendar {
                    windows: vec![window(DayOfWeek::Monday, "08:00", "25:00")],
                    ..base()
                },
                "calendar.windows[0].end_time",
            ),
            (
                pb::BusinessCalendar {
                    windows: vec![window(DayOfWeek::Monday, "8:00", "12:00")],
                    ..base()
                },
                "calendar.windows[0].start_time",
            ),
            (
                pb::BusinessCalendar {
                    windows: vec![window(DayOfWeek::Unspecified, "08:00", "12:00")],
                    ..base()
                },
                "calendar.windows[0].day",
            ),
            (
                pb::BusinessCalendar {
                    time_zone: "Mars/Olympus_Mons".to_owned(),
                    ..base()
                },
                "calendar.time_zone",
            ),
            (pb::BusinessCalendar { time_zone: String::new(), ..base() }, "calendar.time_zone"),
            (pb::BusinessCalendar { display_name: String::new(), ..base() }, "calendar.display_name"),
            (pb::BusinessCalendar { windows: vec![], ..base() }, "calendar.windows"),
            (pb::BusinessCalendar { always_open: true, ..base() }, "calendar.windows"),
            (
                pb::BusinessCalendar {
                    holidays: vec![
                        pb::Holiday { date: Some(pb::Date { year: 2026, month: 1, day: 1 }), display_name: String::new() },
                        pb::Holiday { date: Some(pb::Date { year: 2026, month: 1, day: 1 }), display_name: String::new() },
                    ],
                    ..base()
                },
                "calendar.holidays[1].date",
            ),
            (
                pb::BusinessCalendar {
                    holidays: vec![pb::Holiday { date: Some(pb::Date { year: 2026, month: 2, day: 30 }), display_name: String::new() }],
                    ..base()
                },
                "calendar.holidays[0].date",
            ),
        ];
        for (calendar, field) in cases {
            let refused = desk.try_create_calendar(calendar).await.unwrap_err();
            assert_invalid_argument(&refused, field);
        }
        assert_eq!(desk.events("BusinessCalendarCreated").await, 0);
        // Touching windows are fine.
        desk.create_calendar(pb::BusinessCalendar {
            windows: vec![
                window(DayOfWeek::Monday, "08:00", "12:00"),
                window(DayOfWeek::Monday, "12:00", "13:00"),
            ],
            ..base()
        })
        .await;
    }

    async fn a_calendar_update_follows_its_mask_and_etag(server: &TestServer) {
        let mut desk = Desk::new(server);
        let created = desk.create_calendar(every_day_calendar()).await;
        let renamed = desk
            .try_update_calendar(
                pb::BusinessCalendar {
                    id: created.id.clone(),
                    display_name: "Renamed".to_owned(),
                    time_zone: "Europe/Paris".to_owned(),
                    etag: created.etag.clone(),
                    ..Default::default()
                },
                &["display_name"],
            )
            .await
            .expect("rename");
        assert_eq!(renamed.display_name, "Renamed");
        assert_eq!(renamed.time_zone, "UTC", "a field outside the mask stays");
        assert_ne!(renamed.etag, created.etag);

        let stale = desk
            .try_update_calendar(
                pb::BusinessCalendar {
                    id: created.id.clone(),
                    display_name: "Again".to_owned(),
                    etag: created.etag.clone(),
                    ..Default::default()
                },
                &["display_name"],
            )
            .await
            .unwrap_err();
        assert_error(&stale, Code::Aborted);

        // 24x7 keeps no windows: turning it on alone is refused, with the windows cleared it passes.
        let refused = desk
            .try_update_calendar(
                pb::BusinessCalendar { id: created.id.clone(), always_open: true, ..Default::default() },
                &["always_open"],
            )
            .await
            .unwrap_err();
        assert_invalid_argument(&refused, "calendar.windows");
        let always = desk
            .try_update_calendar(
                pb::BusinessCalendar { id: created.id.clone(), always_open: true, ..Default::default() },
                &["always_open", "windows"],
            )
            .await
            .expect("turn 24x7");
        assert!(always.always_open && always.windows.is_empty());
        let unknown = desk
            .try_update_calendar(
                pb::BusinessCalendar { id: created.id.clone(), ..Default::default() },
                &["colour"],
            )
            .await
            .unwrap_err();
        assert_invalid_argument(&unknown, "update_mask");
        assert_eq!(desk.events("BusinessCalendarUpdated").await, 2);
    }

    async fn a_calendar_change_moves_the_due_times_of_open_requests(server: &TestServer) {
        let mut desk = Desk::new(server);
        let calendar = desk.create_calendar(every_day_calendar()).await;
        let (account, _) = desk.account_with_policy(&calendar.id, 60, 600).await;
        let request = desk.create(&account.id, "Pump leaks").await;
        let created = secs(&request.create_time);
        assert_eq!(secs(&target(&request.first_response).due_time), created + 3600);
        let due_soon = pb::ListServiceRequestsRequest {
            account_id: account.id.clone(),
            due_before: at(created + 7200),
            sla_target: SlaTargetKind::FirstResponse as i32,
            ..Default::default()
        };
        assert_eq!(desk.listed(due_soon.clone(), &[&request]).await, [request.id.as_str()]);

        // The day of creation and the next become holidays: the clock starts the day after.
        let holidays = vec![
            pb::Holiday { date: Some(utc_date(created)), display_name: "Off".to_owned() },
            pb::Holiday { date: Some(utc_date(created + 86_400)), display_name: "Off".to_owned() },
        ];
        desk.try_update_calendar(
            pb::BusinessCalendar { id: calendar.id.clone(), holidays, ..Default::default() },
            &["holidays"],
        )
        .await
        .expect("add holidays");
        let moved = desk.get(&request.id).await;
        let day_after = (created / 86_400 + 2) * 86_400;
        assert_eq!(secs(&target(&moved.first_response).due_time), day_after + 3600);
        assert_eq!(moved.etag, request.etag, "re-deriving the SLA is not a change of the request");
        assert!(desk.listed(due_soon, &[&request]).await.is_empty(), "the stored due time moved too");
    }

    // ----- policies -----

    async fn the_seeded_policies_give_key_accounts_shorter_targets(server: &TestServer) {
        let mut desk = Desk::new(server);
        let policies = desk.policies(pb::ListSlaPoliciesRequest::default()).await;
        let ids: Vec<&str> = policies.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, [DEFAULT_POLICY, STRATEGIC_POLICY, KEY_POLICY]);
        let (default, strategic, key) = (&policies[0], &policies[1], &policies[2]);
        assert!(default.is_default && !strategic.is_default && !key.is_default);
        assert_eq!((strategic.tier, key.tier, default.tier), (Tier::Strategic as i32, Tier::Key as i32, 0));
        assert_eq!(default.calendar_id, OFFICE_HOURS);
        assert_eq!(strategic.calendar_id, ALWAYS_OPEN);
        assert_eq!(key.calendar_id, OFFICE_HOURS);
        let pairs = |p: &pb::SlaPolicy| -> Vec<(i32, i32)> {
            p.targets.iter().map(|t| (t.first_response_minutes, t.resolution_minutes)).collect()
        };
        assert_eq!(pairs(default), [(120, 960), (240, 1440), (480, 2880), (960, 4800)]);
        assert_eq!(pairs(key), [(60, 480), (120, 960), (240, 1440), (480, 2880)]);
        assert_eq!(pairs(strategic), [(30, 240), (60, 480), (120, 1440), (240, 2880)]);
        for policy in &policies {
            assert_eq!(policy.warning_percent, 80);
            let pause = &policy.pause_statuses.as_ref().expect("pause statuses").statuses;
            assert_eq!(pause, &[Status::WaitingOnCustomer as i32, Status::WaitingOnThirdParty as i32]);
            let ladder: Vec<(i32, bool, Vec<i32>, Vec<String>)> = policy
                .escalation_steps
                .iter()
                .map(|s| (s.trigger, s.notify_assignee, s.roles.clone(), s.liaison_department_codes.clone()))
                .collect();
            assert_eq!(
                ladder,
                [
                    (Trigger::AtRisk as i32, true, vec![], vec![]),
                    (
                        Trigger::Breached as i32,
                        false,
                        vec![pb::TeamRole::AccountManager as i32],
                        vec!["CUSTOMER_SERVICE".to_owned()]
                    ),
                    (Trigger::Breached as i32, false, vec![pb::TeamRole::ExecutiveSponsor as i32], vec![]),
                ]
            );
        }
        for (mine, default) in pairs(key).iter().zip(pairs(default)) {
            assert!(mine.0 < default.0 && mine.1 < default.1);
        }
        let tier_only = desk.policies(pb::ListSlaPoliciesRequest { tier: Tier::Key as i32, ..Default::default() }).await;
        assert_eq!(tier_only.len(), 1);
        assert_eq!(tier_only[0].id, KEY_POLICY);
    }

    async fn policies_are_created_validated_changed_and_deleted(server: &TestServer) {
        let mut desk = Desk::new(server);
        let growth = pb::SlaPolicy {
            display_name: unique("Growth"),
            tier: Tier::Growth as i32,
            calendar_id: OFFICE_HOURS.to_owned(),
            targets: targets([(60, 600), (120, 1200), (240, 2400), (480, 4800)]),
            escalation_steps: vec![step(Trigger::Breached, 0, false, &[pb::TeamRole::AccountManager], &[])],
            ..Default::default()
        };
        let created = desk.create_policy(growth.clone()).await;
        assert_eq!(created.warning_percent, 80, "the default warning");
        assert_eq!(
            created.pause_statuses.as_ref().unwrap().statuses,
            [Status::WaitingOnCustomer as i32, Status::WaitingOnThirdParty as i32],
            "both waiting statuses pause by default"
        );
        assert!(!created.is_default);
        assert_eq!(desk.try_get_policy(&created.id).await.unwrap(), created);

        let duplicate = desk.try_create_policy(growth.clone()).await.unwrap_err();
        assert_error(&duplicate, Code::AlreadyExists);

        // Shapes.
        let account = desk.account("Own policy").await;
        let cases: Vec<(pb::SlaPolicy, &str)> = vec![
            (pb::SlaPolicy { account_id: account.id.clone(), ..growth.clone() }, "policy.tier"),
            (pb::SlaPolicy { tier: 0, ..growth.clone() }, "policy.account_id"),
            (pb::SlaPolicy { targets: growth.targets[..3].to_vec(), ..growth.clone() }, "policy.targets"),
            (
                pb::SlaPolicy { targets: targets([(60, 600), (1300, 1200), (240, 2400), (480, 4800)]), ..growth.clone() },
                "policy.targets[1].first_response_minutes",
            ),
            (pb::SlaPolicy { targets: targets([(0, 600), (1, 1), (1, 1), (1, 1)]), ..growth.clone() }, "policy.targets[0].first_response_minutes"),
            (pb::SlaPolicy { warning_percent: 101, ..growth.clone() }, "policy.warning_percent"),
            (
                pb::SlaPolicy {
                    pause_statuses: Some(pb::PauseStatuses { statuses: vec![Status::Resolved as i32] }),
                    ..growth.clone()
                },
                "policy.pause_statuses",
            ),
            (
                pb::SlaPolicy { escalation_steps: vec![step(Trigger::AtRisk, 0, false, &[], &[])], ..growth.clone() },
                "policy.escalation_steps[0]",
            ),
            (
                pb::SlaPolicy { escalation_steps: vec![step(Trigger::AtRisk, 0, true, &[], &["customer service"])], ..growth.clone() },
                "policy.escalation_steps[0].liaison_department_codes[0]",
            ),
            (
                pb::SlaPolicy { escalation_steps: vec![step(Trigger::Unspecified, 0, true, &[], &[])], ..growth.clone() },
                "policy.escalation_steps[0].trigger",
            ),
            (pb::SlaPolicy { calendar_id: String::new(), ..growth.clone() }, "policy.calendar_id"),
        ];
        for (policy, field) in cases {
            let refused = desk.try_create_policy(policy).await.unwrap_err();
            assert_invalid_argument(&refused, field);
        }
        let no_calendar = desk
            .try_create_policy(pb::SlaPolicy { tier: Tier::Standard as i32, calendar_id: Uuid::now_v7().to_string(), ..growth.clone() })
            .await
            .unwrap_err();
        assert_error(&no_calendar, Code::NotFound);
        let no_account = desk
            .try_create_policy(account_policy(&Uuid::now_v7().to_string(), OFFICE_HOURS, 10, 100))
            .await
            .unwrap_err();
        assert_error(&no_account, Code::NotFound);

        // An explicit empty pause list: nothing pauses.
        let never_pausing = desk
            .create_policy(pb::SlaPolicy {
                pause_statuses: Some(pb::PauseStatuses { statuses: vec![] }),
                ..account_policy(&account.id, ALWAYS_OPEN, 10, 100)
            })
            .await;
        assert!(never_pausing.pause_statuses.unwrap().statuses.is_empty());

        // Update: the mask, the etag, the scope.
        let changed = desk
            .try_update_policy(
                pb::SlaPolicy {
                    id: created.id.clone(),
                    targets: uniform(30, 300),
                    warning_percent: 50,
                    display_name: "ignored".to_owned(),
                    etag: created.etag.clone(),
                    ..Default::default()
                },
                &["targets", "warning_percent"],
            )
            .await
            .expect("update the policy");
        assert_eq!(changed.targets, uniform(30, 300));
        assert_eq!(changed.warning_percent, 50);
        assert_eq!(changed.display_name, created.display_name);
        let stale = desk
            .try_update_policy(
                pb::SlaPolicy { id: created.id.clone(), warning_percent: 60, etag: created.etag.clone(), ..Default::default() },
                &["warning_percent"],
            )
            .await
            .unwrap_err();
        assert_error(&stale, Code::Aborted);
        let taken = desk
            .try_update_policy(pb::SlaPolicy { id: created.id.clone(), tier: Tier::Key as i32, ..Default::default() }, &["tier"])
            .await
            .unwrap_err();
        assert_error(&taken, Code::AlreadyExists);
        let both = desk
            .try_update_policy(
                pb::SlaPolicy { id: created.id.clone(), account_id: Uuid::now_v7().to_string(), ..Default::default() },
                &["account_id"],
            )
            .await
            .unwrap_err();
        assert_invalid_argument(&both, "policy.tier");
        let moved = desk
            .try_update_policy(
                pb::SlaPolicy { id: created.id.clone(), tier: Tier::Standard as i32, ..Default::default() },
                &["tier"],
            )
            .await
            .expect("move the policy to another tier");
        assert_eq!(moved.tier, Tier::Standard as i32);

        // DEFAULT_POLICY: exactly one default, never deleted.
        let cleared = desk
            .try_update_policy(pb::SlaPolicy { id: created.id.clone(), ..Default::default() }, &["tier"])
            .await
            .unwrap_err();
        assert_failed_precondition(&cleared, "DEFAULT_POLICY");
        let default_scoped = desk
            .try_update_policy(pb::SlaPolicy { id: DEFAULT_POLICY.to_owned(), tier: Tier::Growth as i32, ..Default::default() }, &["tier"])
            .await
            .unwrap_err();
        assert_failed_precondition(&default_scoped, "DEFAULT_POLICY");
        let undeletable = desk.try_delete_policy(DEFAULT_POLICY, "").await.unwrap_err();
        assert_failed_precondition(&undeletable, "DEFAULT_POLICY");
        let default = desk
            .try_update_policy(pb::SlaPolicy { id: DEFAULT_POLICY.to_owned(), targets: uniform(100, 1000), ..Default::default() }, &["targets"])
            .await
            .expect("the default's targets may change");
        assert!(default.is_default);

        let stale_delete = desk.try_delete_policy(&created.id, &created.etag).await.unwrap_err();
        assert_error(&stale_delete, Code::Aborted);
        desk.try_delete_policy(&created.id, "").await.expect("delete");
        assert_error(&desk.try_get_policy(&created.id).await.unwrap_err(), Code::NotFound);
        assert_eq!(desk.events("SlaPolicyCreated").await, 2);
        assert_eq!(desk.events("SlaPolicyUpdated").await, 3);
        assert_eq!(desk.events("SlaPolicyDeleted").await, 1);
    }

    async fn the_account_policy_beats_the_tier_policy_beats_the_default(server: &TestServer) {
        let mut desk = Desk::new(server);
        let standard = desk.account("Standard").await;
        let key = desk.account("Key").await;
        desk.set_tier(&key.id, "KEY").await;
        let strategic = desk.account("Strategic").await;
        desk.set_tier(&strategic.id, "STRATEGIC").await;
        let own = desk.account("Own").await;
        desk.set_tier(&own.id, "KEY").await;
        let own_policy = desk.create_policy(account_policy(&own.id, ALWAYS_OPEN, 15, 90)).await;

        let cases = [
            (&standard, DEFAULT_POLICY, SlaPolicyMatch::MatchedDefault, OFFICE_HOURS, (480, 2880)),
            (&key, KEY_POLICY, SlaPolicyMatch::MatchedTier, OFFICE_HOURS, (240, 1440)),
            (&strategic, STRATEGIC_POLICY, SlaPolicyMatch::MatchedTier, ALWAYS_OPEN, (120, 1440)),
            (&own, own_policy.id.as_str(), SlaPolicyMatch::MatchedAccount, ALWAYS_OPEN, (15, 90)),
        ];
        for (account, policy, matched, calendar, (first, resolution)) in cases {
            let request = desk.create(&account.id, "Which policy").await;
            assert_eq!(request.priority, Priority::P3 as i32, "P3 by default");
            let sla = request.sla.as_ref().expect("the snapshot");
            assert_eq!(sla.policy_id, policy, "{}", account.display_name);
            assert_eq!(sla.r#match, matched as i32);
            assert_eq!(sla.calendar_id, calendar);
            assert_eq!((sla.first_response_minutes, sla.resolution_minutes), (first, resolution));
            assert_eq!(target(&request.first_response).target_minutes, first);
            assert_eq!(target(&request.resolution).target_minutes, resolution);
        }
        // The priority picks the policy's row.
        let urgent = desk
            .try_create(pb::ServiceRequest { priority: Priority::P1 as i32, ..Desk::new_request(&strategic.id, "Plant down") })
            .await
            .expect("a P1");
        let sla = urgent.sla.unwrap();
        assert_eq!((sla.first_response_minutes, sla.resolution_minutes), (30, 240));
        // On a 24x7 calendar a P1 first response is due 30 minutes after creation.
        assert_eq!(
            secs(&target(&urgent.first_response).due_time),
            secs(&urgent.create_time) + 30 * 60
        );
    }

    async fn targets_are_snapshotted_and_recalculate_sla_reapplies_a_policy(server: &TestServer) {
        let mut desk = Desk::new(server);
        let account = desk.account("Growing").await;
        desk.set_tier(&account.id, "GROWTH").await;
        let policy = desk
            .create_policy(pb::SlaPolicy {
                display_name: unique("Growth"),
                tier: Tier::Growth as i32,
                calendar_id: ALWAYS_OPEN.to_owned(),
                targets: targets([(20, 200), (40, 400), (60, 600), (80, 800)]),
                ..Default::default()
            })
            .await;
        let request = desk.create(&account.id, "Snapshot").await;
        assert_eq!(request.sla.as_ref().unwrap().first_response_minutes, 60);

        desk.try_update_policy(
            pb::SlaPolicy { id: policy.id.clone(), targets: uniform(30, 300), ..Default::default() },
            &["targets"],
        )
        .await
        .expect("change the policy");
        let kept = desk.get(&request.id).await;
        assert_eq!(kept.sla, request.sla, "an open request keeps its snapshot");
        let newer = desk.create(&account.id, "After the change").await;
        assert_eq!(newer.sla.as_ref().unwrap().first_response_minutes, 30);

        // A pause before the recalculation is kept: waiting 1 h of the request's 2 h so far.
        desk.status(&request.id, Status::WaitingOnCustomer).await;
        desk.status(&request.id, Status::InProgress).await;
        desk.rewrite_history(&request.id, &[-7200, -5400, -1800]).await;
        let before = desk.get(&request.id).await;
        assert_eq!(target(&before.resolution).paused_business_minutes, 60);

        let recalculated = desk.try_recalculate(&request.id, "", Priority::Unspecified).await.expect("recalculate");
        let sla = recalculated.sla.as_ref().unwrap();
        assert_eq!((sla.first_response_minutes, sla.resolution_minutes), (30, 300));
        assert_eq!(sla.r#match, SlaPolicyMatch::MatchedTier as i32);
        assert!(secs(&sla.apply_time) >= secs(&before.sla.as_ref().unwrap().apply_time));
        let resolution = target(&recalculated.resolution);
        assert_eq!(resolution.paused_business_minutes, 60, "the pause is kept");
        assert_eq!(resolution.elapsed_business_minutes, 60);
        let created = secs(&recalculated.create_time);
        assert_eq!(secs(&resolution.due_time), created + (300 + 60) * 60, "due = creation + target + pause");
        // The first response was due 30 minutes in and has not come: breached under the new targets.
        assert_eq!(state(&recalculated.first_response), State::Breached);

        // A named policy, and a new priority.
        let explicit = desk.try_recalculate(&request.id, DEFAULT_POLICY, Priority::P1).await.expect("explicit");
        let sla = explicit.sla.as_ref().unwrap();
        assert_eq!(sla.policy_id, DEFAULT_POLICY);
        assert_eq!(sla.r#match, SlaPolicyMatch::MatchedExplicit as i32);
        assert_eq!(explicit.priority, Priority::P1 as i32);
        assert_eq!((sla.first_response_minutes, sla.resolution_minutes), (120, 960));
        assert_eq!(sla.calendar_id, OFFICE_HOURS);

        let missing = desk.try_recalculate(&request.id, &Uuid::now_v7().to_string(), Priority::Unspecified).await.unwrap_err();
        assert_error(&missing, Code::NotFound);
        assert_eq!(desk.events("ServiceRequestSlaRecalculated").await, 2);
        // The priority changes only this way.
        let immutable = desk
            .try_update(pb::ServiceRequest { id: request.id.clone(), priority: Priority::P2 as i32, ..Default::default() }, &["priority"])
            .await
            .unwrap_err();
        assert_invalid_argument(&immutable, "update_mask");
    }

    // ----- service requests -----

    async fn a_request_is_created_with_defaults_and_validated(server: &TestServer) {
        let mut desk = Desk::new(server);
        let account = desk.account("Customer").await;
        let other = desk.account("Other").await;
        let contact = server
            .accounts()
            .create_contact(pb::CreateContactRequest {
                contact: Some(pb::Contact { account_id: account.id.clone(), full_name: "Li Wei".to_owned(), ..Default::default() }),
                request_id: String::new(),
            })
            .await
            .expect("a contact")
            .into_inner();
        let stranger = server
            .accounts()
            .create_contact(pb::CreateContactRequest {
                contact: Some(pb::Contact { account_id: other.id.clone(), full_name: "Stranger".to_owned(), ..Default::default() }),
                request_id: String::new(),
            })
            .await
            .expect("a contact")
            .into_inner();
        let agent = server.create_staff(StaffLevel::Staff).await;
        let created = desk
            .try_create(pb::ServiceRequest {
                contact_id: contact.id.clone(),
                assignee_staff_id: agent.id.clone(),
                description: "Bearing noise on line 3".to_owned(),
                external_id: "HD-1".to_owned(),
                status: Status::Closed as i32,
                ..Desk::new_request(&account.id, "  Noisy pump  ")
            })
            .await
            .expect("create");
        assert!(Uuid::parse_str(&created.id).is_ok_and(|id| id.get_version_num() == 7));
        assert_eq!(created.title, "Noisy pump");
        assert_eq!(status_of(&created), Status::New, "the status is output only");
        assert_eq!(created.category, Category::Other as i32);
        assert_eq!(created.priority, Priority::P3 as i32);
        assert_eq!(created.contact_id, contact.id);
        assert_eq!(created.assignee_staff_id, agent.id);
        assert_eq!(state(&created.first_response), State::InProgress);
        assert_eq!(state(&created.resolution), State::InProgress);
        assert!(created.first_response_time.is_none() && created.resolve_time.is_none());
        assert_eq!(created.status_time, created.create_time);
        assert_eq!(desk.get(&created.id).await.etag, created.etag);
        let history = desk.history(&created.id).await;
        assert_eq!(history.len(), 1);
        assert_eq!((history[0].from_status, history[0].to_status), (0, Status::New as i32));
        assert_eq!(history[0].changed_by, server.admin().staff_id);
        assert_eq!(desk.events("ServiceRequestCreated").await, 1);

        let bad = [
            (Desk::new_request(&account.id, ""), "service_request.title"),
            (Desk::new_request("", "x"), "service_request.account_id"),
            (Desk::new_request("nope", "x"), "service_request.account_id"),
            (pb::ServiceRequest { contact_id: "nope".to_owned(), ..Desk::new_request(&account.id, "x") }, "service_request.contact_id"),
            (pb::ServiceRequest { category: 99, ..Desk::new_request(&account.id, "x") }, "service_request.category"),
            (pb::ServiceRequest { priority: 9, ..Desk::new_request(&account.id, "x") }, "service_request.priority"),
            (pb::ServiceRequest { title: "x".repeat(201), ..Desk::new_request(&account.id, "x") }, "service_request.title"),
        ];
        for (request, field) in bad {
            assert_invalid_argument(&desk.try_create(request).await.unwrap_err(), field);
        }
        let unknown_account = desk.try_create(Desk::new_request(&Uuid::now_v7().to_string(), "x")).await.unwrap_err();
        assert_error(&unknown_account, Code::NotFound);
        // An unknown contact and another account's answer alike, so hidden ones cannot be told apart.
        let unknown_contact = desk
            .try_create(pb::ServiceRequest { contact_id: Uuid::now_v7().to_string(), ..Desk::new_request(&account.id, "x") })
            .await
            .unwrap_err();
        assert_failed_precondition(&unknown_contact, "CONTACT_NOT_OF_ACCOUNT");
        let foreign_contact = desk
            .try_create(pb::ServiceRequest { contact_id: stranger.id.clone(), ..Desk::new_request(&account.id, "x") })
            .await
            .unwrap_err();
        assert_failed_precondition(&foreign_contact, "CONTACT_NOT_OF_ACCOUNT");
        assert_eq!(unknown_contact.message(), foreign_contact.message());
        let gone = server.create_staff(StaffLevel::Staff).await;
        server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest { id: gone.id.clone(), etag: String::new() })
            .await
            .expect("deactivate");
        let inactive = desk
            .try_create(pb::ServiceRequest { assignee_staff_id: gone.id.clone(), ..Desk::new_request(&account.id, "x") })
            .await
            .unwrap_err();
        assert_failed_precondition(&inactive, "STAFF_INACTIVE");
        let duplicate = desk
            .try_create(pb::ServiceRequest { external_id: "HD-1".to_owned(), ..Desk::new_request(&account.id, "x") })
            .await
            .unwrap_err();
        assert_error(&duplicate, Code::AlreadyExists);
        server
            .accounts()
            .delete_account(pb::DeleteAccountRequest { id: other.id.clone(), etag: String::new() })
            .await
            .expect("delete");
        let deleted = desk.try_create(Desk::new_request(&other.id, "x")).await.unwrap_err();
        assert_failed_precondition(&deleted, "ACCOUNT_DELETED");
        assert_eq!(server.query_i64("SELECT count(*) FROM service_requests", []).await, 1);
    }

    async fn a_request_update_follows_its_mask_and_etag(server: &TestServer) {
        let mut desk = Desk::new(server);
        let account = desk.account("Customer").await;
        let request = desk.create(&account.id, "Old title").await;
        let agent = server.create_staff(StaffLevel::Staff).await;
        let updated = desk
            .try_update(
                pb::ServiceRequest {
                    id: request.id.clone(),
                    title: "New title".to_owned(),
                    category: Category::Repair as i32,
                    assignee_staff_id: agent.id.clone(),
                    description: "not in the mask".to_owned(),
                    status: Status::Resolved as i32,
                    etag: request.etag.clone(),
                    ..Default::default()
                },
                &["title", "category", "assignee_staff_id", "status", "create_time"],
            )
            .await
            .expect("update");
        assert_eq!(updated.title, "New title");
        assert_eq!(updated.category, Category::Repair as i32);
        assert_eq!(updated.assignee_staff_id, agent.id);
        assert_eq!(updated.description, "");
        assert_eq!(status_of(&updated), Status::New, "output-only paths are ignored");
        assert_ne!(updated.etag, request.etag);
        let stale = desk
            .try_update(pb::ServiceRequest { id: request.id.clone(), title: "x".to_owned(), etag: request.etag.clone(), ..Default::default() }, &["title"])
            .await
            .unwrap_err();
        assert_error(&stale, Code::Aborted);
        let unassigned = desk
            .try_update(pb::ServiceRequest { id: request.id.clone(), ..Default::default() }, &["assignee_staff_id"])
            .await
            .expect("unassign");
        assert_eq!(unassigned.assignee_staff_id, "");
        let unknown = desk
            .try_update(pb::ServiceRequest { id: request.id.clone(), ..Default::default() }, &["mood"])
            .await
            .unwrap_err();
        assert_invalid_argument(&unknown, "update_mask");
        let account_path = desk
            .try_update(pb::ServiceRequest { id: request.id.clone(), account_id: Uuid::now_v7().to_string(), ..Default::default() }, &["account_id"])
            .await
            .unwrap_err();
        assert_invalid_argument(&account_path, "update_mask");
        assert_eq!(desk.events("ServiceRequestUpdated").await, 2);
    }

    async fn statuses_move_along_the_documented_graph_only(server: &TestServer) {
        let mut desk = Desk::new(server);
        let account = desk.account("Customer").await;
        let request = desk.create(&account.id, "Repair the valve").await;
        let id = request.id.clone();

        desk.status(&id, Status::InProgress).await;
        desk.status(&id, Status::WaitingOnCustomer).await;
        let sideways = desk.try_status(&id, Status::WaitingOnThirdParty, "").await.unwrap_err();
        assert_failed_precondition(&sideways, "ILLEGAL_TRANSITION");
        let back_to_new = desk.try_status(&id, Status::New, "").await.unwrap_err();
        assert_failed_precondition(&back_to_new, "ILLEGAL_TRANSITION");
        let same = desk.try_status(&id, Status::WaitingOnCustomer, "").await.unwrap_err();
        assert_failed_precondition(&same, "ILLEGAL_TRANSITION");
        let closed_early = desk.try_status(&id, Status::Closed, "").await.unwrap_err();
        assert_failed_precondition(&closed_early, "ILLEGAL_TRANSITION");
        assert_invalid_argument(&desk.try_status(&id, Status::Unspecified, "").await.unwrap_err(), "status");
        assert_invalid_argument(&desk.try_status(&id, Status::InProgress, &"n".repeat(2001)).await.unwrap_err(), "note");
        let stale = desk
            .client
            .change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                id: id.clone(),
                status: Status::InProgress as i32,
                note: String::new(),
                etag: request.etag.clone(),
            })
            .await
            .unwrap_err();
        assert_error(&stale, Code::Aborted);

        desk.status(&id, Status::InProgress).await;
        let resolved = desk.try_status(&id, Status::Resolved, "replaced the seal").await.expect("resolve");
        assert!(resolved.resolve_time.is_some());
        assert_eq!(resolved.first_response_time, resolved.resolve_time, "a resolution answers the customer");
        assert_eq!(state(&resolved.first_response), State::Met);
        assert_eq!(state(&resolved.resolution), State::Met);
        assert_eq!(secs(&target(&resolved.resolution).fulfilled_time), secs(&resolved.resolve_time));

        let reopened = desk.try_status(&id, Status::InProgress, "leaks again").await.expect("reopen");
        assert!(reopened.resolve_time.is_none(), "a reopen clears the resolution");
        assert_eq!(state(&reopened.resolution), State::InProgress);
        assert!(target(&reopened.resolution).fulfilled_time.is_none());
        assert_eq!(state(&reopened.first_response), State::Met, "the first response stays given");

        desk.status(&id, Status::Resolved).await;
        let closed = desk.status(&id, Status::Closed).await;
        assert!(closed.close_time.is_some() && closed.resolve_time.is_some());
        assert_eq!(state(&closed.resolution), State::Met);
        for to in [Status::InProgress, Status::Resolved, Status::Cancelled] {
            let refused = desk.try_status(&id, to, "").await.unwrap_err();
            assert_failed_precondition(&refused, "ILLEGAL_TRANSITION");
        }
        assert_failed_precondition(&desk.try_respond(&id).await.unwrap_err(), "REQUEST_FINAL");

        let history = desk.history(&id).await;
        let path: Vec<(i32, i32, &str)> = history.iter().map(|c| (c.from_status, c.to_status, c.note.as_str())).collect();
        use Status::*;
        assert_eq!(
            path,
            [
                (0, New as i32, ""),
                (New as i32, InProgress as i32, ""),
                (InProgress as i32, WaitingOnCustomer as i32, ""),
                (WaitingOnCustomer as i32, InProgress as i32, ""),
                (InProgress as i32, Resolved as i32, "replaced the seal"),
                (Resolved as i32, InProgress as i32, "leaks again"),
                (InProgress as i32, Resolved as i32, ""),
                (Resolved as i32, Closed as i32, ""),
            ]
        );
        assert_eq!(desk.events("ServiceRequestStatusChanged").await, 7);

        // Cancelled is final too, and cancels both targets.
        let other = desk.create(&account.id, "Never mind").await;
        let cancelled = desk.try_status(&other.id, Cancelled, "customer withdrew").await.expect("cancel");
        assert_eq!(state(&cancelled.first_response), State::Cancelled);
        assert_eq!(state(&cancelled.resolution), State::Cancelled);
        assert!(cancelled.close_time.is_some());
        assert_failed_precondition(&desk.try_status(&other.id, InProgress, "").await.unwrap_err(), "ILLEGAL_TRANSITION");
        assert_failed_precondition(&desk.try_respond(&other.id).await.unwrap_err(), "REQUEST_FINAL");
        assert_failed_precondition(
            &desk.try_recalculate(&other.id, "", Priority::P1).await.unwrap_err(),
            "REQUEST_FINAL",
        );
        let update = desk
            .try_update(pb::ServiceRequest { id: other.id.clone(), title: "x".to_owned(), ..Default::default() }, &["title"])
            .await
            .unwrap_err();
        assert_failed_precondition(&update, "REQUEST_FINAL");
        assert_eq!(desk.history(&other.id).await.len(), 2, "refusals leave the history alone");
    }

    async fn the_first_response_is_recorded_once(server: &TestServer) {
        let mut desk = Desk::new(server);
        let account = desk.account("Customer").await;
        let request = desk.create(&account.id, "Question").await;
        let stale = desk
            .client
            .record_first_response(pb::RecordFirstResponseRequest { id: request.id.clone(), etag: "r0".to_owned() })
            .await
            .unwrap_err();
        assert_error(&stale, Code::Aborted);
        let responded = desk.try_respond(&request.id).await.expect("respond");
        assert!(responded.first_response_time.is_some());
        let first = target(&responded.first_response);
        assert_eq!(state(&responded.first_response), State::Met);
        assert_eq!(first.fulfilled_time, responded.first_response_time);
        assert_eq!(status_of(&responded), Status::New, "responding does not move the status");
        let again = desk.try_respond(&request.id).await.unwrap_err();
        assert_failed_precondition(&again, "FIRST_RESPONSE_RECORDED");
        assert_eq!(desk.get(&request.id).await.first_response_time, responded.first_response_time);
        assert_eq!(desk.events("ServiceRequestFirstResponseRecorded").await, 1);
        let missing = desk.try_respond(&Uuid::now_v7().to_string()).await.unwrap_err();
        assert_error(&missing, Code::NotFound);
    }

    async fn the_sla_state_is_computed_on_every_read(server: &TestServer) {
        let mut desk = Desk::new(server);
        // 24x7: first response in 60 minutes, resolution in 240, at risk from 80 %.
        let (account, _) = desk.account_with_policy(ALWAYS_OPEN, 60, 240).await;

        // 50 minutes old: the first response is at risk (≥ 48), the resolution is not (< 192).
        let young = desk.create(&account.id, "Young").await;
        let now = desk.rewrite_history(&young.id, &[-50 * 60]).await;
        let read = desk.get(&young.id).await;
        assert_eq!(state(&read.first_response), State::AtRisk);
        assert_eq!(state(&read.resolution), State::InProgress);
        let first = target(&read.first_response);
        assert_eq!(secs(&first.due_time), now - 50 * 60 + 3600);
        assert_eq!(secs(&first.at_risk_time), now - 50 * 60 + 48 * 60);
        assert_eq!(first.elapsed_business_minutes, 50);
        assert_eq!(first.target_minutes, 60);

        // Two hours old: the first response is breached; responding late keeps it breached.
        let late = desk.create(&account.id, "Late").await;
        desk.rewrite_history(&late.id, &[-2 * 3600]).await;
        assert_eq!(state(&desk.get(&late.id).await.first_response), State::Breached);
        let responded = desk.try_respond(&late.id).await.expect("respond late");
        assert_eq!(state(&responded.first_response), State::Breached);
        assert_eq!(target(&responded.first_response).elapsed_business_minutes, 120);

        // Waiting on the customer pauses the resolution and pushes its due time out: created 5 h
        // ago, waiting from 4 h to 1 h ago: 2 h ran, 3 h paused, due at creation + 4 h + 3 h.
        let paused = desk.create(&account.id, "Paused").await;
        desk.status(&paused.id, Status::WaitingOnCustomer).await;
        desk.status(&paused.id, Status::InProgress).await;
        let now = desk.rewrite_history(&paused.id, &[-5 * 3600, -4 * 3600, -3600]).await;
        let read = desk.get(&paused.id).await;
        let resolution = target(&read.resolution);
        assert_eq!(resolution.elapsed_business_minutes, 120);
        assert_eq!(resolution.paused_business_minutes, 180);
        assert_eq!(secs(&resolution.due_time), now - 5 * 3600 + 7 * 3600);
        assert_eq!(state(&read.resolution), State::InProgress, "without the pause it would be breached");
        assert_eq!(state(&read.first_response), State::Breached, "the first response never pauses");

        // Waiting now: PAUSED, and the due time is as if the clock resumed now.
        let waiting = desk.create(&account.id, "Waiting").await;
        desk.status(&waiting.id, Status::WaitingOnThirdParty).await;
        let now = desk.rewrite_history(&waiting.id, &[-2 * 3600, -3600]).await;
        let read = desk.get(&waiting.id).await;
        assert_eq!(state(&read.resolution), State::Paused);
        let resolution = target(&read.resolution);
        assert_eq!(resolution.elapsed_business_minutes, 60);
        assert_eq!(resolution.paused_business_minutes, 60);
        let due = secs(&resolution.due_time);
        assert!((now + 3 * 3600..now + 3 * 3600 + 120).contains(&due), "due {due}, now {now}");

        // Office hours: created at a weekend's Saturday noon, the clock waits for Monday 08:00.
        let (office_account, _) = desk.account_with_policy(OFFICE_HOURS, 60, 600).await;
        let weekend = desk.create(&office_account.id, "Weekend").await;
        let now = now_secs();
        // The Saturday noon (UTC) before now: 1970-01-01 was a Thursday.
        let days = now.div_euclid(86_400);
        let saturday = days - (days - 2).rem_euclid(7) - 7;
        let created = saturday * 86_400 + 12 * 3600;
        let offset = created - now;
        let history = desk.history(&weekend.id).await;
        assert_eq!(history.len(), 1);
        let request_id = Uuid::parse_str(&weekend.id).unwrap();
        let change_id = Uuid::parse_str(&history[0].id).unwrap();
        let instant = Value::from(DateTimeUtc::from_timestamp(now + offset, 0).unwrap());
        server.execute("UPDATE service_request_status_changes SET change_time = $1 WHERE id = $2", [instant.clone(), Value::from(change_id)]).await;
        server.execute("UPDATE service_requests SET create_time = $1 WHERE id = $2", [instant, Value::from(request_id)]).await;
        let read = desk.get(&weekend.id).await;
        let monday = (saturday + 2) * 86_400;
        assert_eq!(secs(&target(&read.first_response).due_time), monday + 8 * 3600 + 3600);
    }

    async fn lists_filter_by_sla_state_due_time_and_fields(server: &TestServer) {
        let mut desk = Desk::new(server);
        let (account, _) = desk.account_with_policy(ALWAYS_OPEN, 60, 240).await;
        let other = desk.account("Other").await;
        let agent = server.create_staff(StaffLevel::Staff).await;

        let fresh = desk
            .try_create(pb::ServiceRequest {
                assignee_staff_id: agent.id.clone(),
                category: Category::Repair as i32,
                priority: Priority::P1 as i32,
                ..Desk::new_request(&account.id, "Fresh pump issue")
            })
            .await
            .unwrap();
        let at_risk = desk.create(&account.id, "At risk").await;
        desk.rewrite_history(&at_risk.id, &[-50 * 60]).await;
        desk.touch(&at_risk.id).await;
        let breached = desk.create(&account.id, "Breached").await;
        desk.rewrite_history(&breached.id, &[-210 * 60]).await;
        desk.touch(&breached.id).await;
        let waiting = desk.create(&account.id, "Waiting").await;
        desk.status(&waiting.id, Status::WaitingOnCustomer).await;
        let done = desk.create(&account.id, "Done").await;
        desk.status(&done.id, Status::Resolved).await;
        let elsewhere = desk.create(&other.id, "Elsewhere").await;
        let all = [&fresh, &at_risk, &breached, &waiting, &done, &elsewhere];

        let on = |state: State, kind: SlaTargetKind| pb::ListServiceRequestsRequest {
            account_id: account.id.clone(),
            sla_state: state as i32,
            sla_target: kind as i32,
            ..Default::default()
        };
        use SlaTargetKind::{FirstResponse, Resolution, Unspecified as Either};
        assert_eq!(desk.listed(on(State::AtRisk, FirstResponse), &all).await, [at_risk.id.as_str()]);
        assert_eq!(desk.listed(on(State::Breached, FirstResponse), &all).await, [breached.id.as_str()]);
        // 210 minutes in, the resolution (240 min, at risk from 192) is at risk too.
        assert_eq!(desk.listed(on(State::AtRisk, Resolution), &all).await, [breached.id.as_str()]);
        assert_eq!(
            desk.listed(on(State::AtRisk, Either), &all).await,
            [at_risk.id.clone(), breached.id.clone()]
        );
        assert_eq!(desk.listed(on(State::Paused, Either), &all).await, [waiting.id.as_str()]);
        assert_eq!(desk.listed(on(State::Met, Resolution), &all).await, [done.id.as_str()]);
        assert_eq!(
            desk.listed(on(State::InProgress, Resolution), &all).await,
            [fresh.id.clone(), at_risk.id.clone()]
        );
        // What the filter matched is what each row shows.
        for request in desk.list(on(State::AtRisk, Either)).await {
            assert!(state(&request.first_response) == State::AtRisk || state(&request.resolution) == State::AtRisk);
        }

        // Due before: unfulfilled targets only.
        let now = now_secs();
        let due_within_hour = pb::ListServiceRequestsRequest {
            account_id: account.id.clone(),
            // A minute of slack: `now` is whole seconds, creation times are not.
            due_before: at(now + 3600 + 60),
            ..Default::default()
        };
        let mut expected = vec![fresh.id.clone(), at_risk.id.clone(), breached.id.clone(), waiting.id.clone()];
        assert_eq!(desk.listed(due_within_hour.clone(), &all).await, expected);
        let resolution_due = pb::ListServiceRequestsRequest { sla_target: Resolution as i32, ..due_within_hour };
        assert_eq!(desk.listed(resolution_due, &all).await, [breached.id.as_str()]);

        // Plain fields.
        assert_eq!(
            desk.listed(pb::ListServiceRequestsRequest { assignee_staff_id: agent.id.clone(), ..Default::default() }, &all).await,
            [fresh.id.as_str()]
        );
        assert_eq!(
            desk.listed(pb::ListServiceRequestsRequest { priority: Priority::P1 as i32, ..Default::default() }, &all).await,
            [fresh.id.as_str()]
        );
        assert_eq!(
            desk.listed(pb::ListServiceRequestsRequest { category: Category::Repair as i32, ..Default::default() }, &all).await,
            [fresh.id.as_str()]
        );
        assert_eq!(
            desk.listed(pb::ListServiceRequestsRequest { status: Status::Resolved as i32, ..Default::default() }, &all).await,
            [done.id.as_str()]
        );
        assert_eq!(
            desk.listed(pb::ListServiceRequestsRequest { query: "PUMP".to_owned(), ..Default::default() }, &all).await,
            [fresh.id.as_str()]
        );
        assert_eq!(
            desk.listed(pb::ListServiceRequestsRequest { account_id: other.id.clone(), ..Default::default() }, &all).await,
            [elsewhere.id.as_str()]
        );
        expected.push(elsewhere.id.clone());
        assert_eq!(
            desk.listed(pb::ListServiceRequestsRequest { open_only: true, ..Default::default() }, &all).await,
            expected
        );

        // Keyset pages in due order, tokens bound to their query.
        let mut seen = Vec::new();
        let mut pages = 0;
        let mut token = String::new();
        loop {
            let page = desk
                .client
                .list_service_requests(pb::ListServiceRequestsRequest {
                    account_id: account.id.clone(),
                    order_by: "resolution_due_time".to_owned(),
                    page_size: 2,
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await
                .expect("a page")
                .into_inner();
            // A paused target sorts by its due time as of its last write, which a read shows later.
            seen.extend(
                page.service_requests
                    .iter()
                    .filter(|r| state(&r.resolution) != State::Paused)
                    .map(|r| secs(&target(&r.resolution).due_time)),
            );
            pages += 1;
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(pages, 3, "five requests, two a page");
        assert_eq!(seen.len(), 4, "all but the waiting one");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        let first = desk
            .client
            .list_service_requests(pb::ListServiceRequestsRequest { page_size: 1, ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        let misused = desk
            .client
            .list_service_requests(pb::ListServiceRequestsRequest {
                page_size: 1,
                page_token: first.next_page_token,
                priority: Priority::P1 as i32,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&misused, "page_token");
        for (request, field) in [
            (pb::ListServiceRequestsRequest { order_by: "title".to_owned(), ..Default::default() }, "order_by"),
            (pb::ListServiceRequestsRequest { page_size: -1, ..Default::default() }, "page_size"),
            (pb::ListServiceRequestsRequest { sla_state: 42, ..Default::default() }, "sla_state"),
            (pb::ListServiceRequestsRequest { account_id: "x".to_owned(), ..Default::default() }, "account_id"),
        ] {
            let refused = desk.client.list_service_requests(request).await.unwrap_err();
            assert_invalid_argument(&refused, field);
        }
    }

    async fn lists_by_sla_state_page_through_every_match_once(server: &TestServer) {
        let mut desk = Desk::new(server);
        // 24x7: first response in 60 minutes (at risk from 48), resolution in 240 (at risk from 192).
        let (account, _) = desk.account_with_policy(ALWAYS_OPEN, 60, 240).await;
        let mut requests = Vec::new();
        // 50 minutes old: the first response at risk; 210: it breached and the resolution is at risk.
        for (title, minutes_old) in [("At risk", 50), ("Breached", 210)] {
            for n in 0..3 {
                let request = desk.create(&account.id, &format!("{title} {n}")).await;
                desk.rewrite_history(&request.id, &[-minutes_old * 60]).await;
                requests.push(desk.touch(&request.id).await);
            }
        }
        requests.push(desk.create(&account.id, "Fresh").await);
        let waiting = desk.create(&account.id, "Waiting").await;
        requests.push(desk.status(&waiting.id, Status::WaitingOnCustomer).await);
        // Resolved 210 minutes in: the first response breached, the request no longer open.
        let late = desk.create(&account.id, "Resolved late").await;
        desk.rewrite_history(&late.id, &[-210 * 60]).await;
        requests.push(desk.status(&late.id, Status::Resolved).await);

        let in_state = |state: State, open_only: bool, order_by: &str| pb::ListServiceRequestsRequest {
            account_id: account.id.clone(),
            sla_state: state as i32,
            open_only,
            order_by: order_by.to_owned(),
            ..Default::default()
        };
        let matching = |wanted: State, open: bool| -> Vec<String> {
            let mut ids: Vec<String> = requests
                .iter()
                .filter(|r| !open || status_of(r) != Status::Resolved)
                .filter(|r| [&r.first_response, &r.resolution].iter().any(|t| state(t) == wanted))
                .map(|r| r.id.clone())
                .collect();
            ids.sort();
            ids
        };
        for (state, open_only, expected) in [
            (State::AtRisk, false, 6),
            (State::Breached, true, 3),
            (State::Breached, false, 4),
            (State::InProgress, true, 5),
        ] {
            let request = in_state(state, open_only, "");
            let paged = desk.all_pages(request.clone(), 2).await;
            let whole: Vec<String> = desk.list(request).await.into_iter().map(|r| r.id).collect();
            assert_eq!(paged.len(), expected, "{state:?}, open only {open_only}: {paged:?}");
            assert_eq!(paged, whole, "{state:?}, open only {open_only}: pages against one page");
            assert_eq!(paged, matching(state, open_only), "{state:?}, open only {open_only}");
        }
        // Newest first: the keyset is (create_time, id), several requests share a rewritten instant.
        let newest_first = in_state(State::AtRisk, false, "create_time desc");
        let paged = desk.all_pages(newest_first.clone(), 2).await;
        let whole: Vec<String> = desk.list(newest_first).await.into_iter().map(|r| r.id).collect();
        assert_eq!(paged, whole);
        let mut sorted = paged.clone();
        sorted.sort();
        assert_eq!(sorted, matching(State::AtRisk, false), "every at-risk request once");
    }

    async fn a_member_sees_and_works_only_the_requests_of_its_teams(server: &TestServer) {
        let mut admin = Desk::new(server);
        let mine = admin.account("Mine").await;
        let theirs = admin.account("Theirs").await;
        let member = server.member_on_team(&mine.id).await;
        let own = admin.create(&mine.id, "Mine").await;
        let foreign = admin.create(&theirs.id, "Theirs").await;
        let foreign_policy = admin.create_policy(account_policy(&theirs.id, OFFICE_HOURS, 10, 100)).await;
        let own_policy = admin.create_policy(account_policy(&mine.id, OFFICE_HOURS, 10, 100)).await;

        let mut desk = admin.as_caller(&member);
        let listed = desk.list(pb::ListServiceRequestsRequest::default()).await;
        let ids: Vec<&str> = listed.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, [own.id.as_str()]);
        desk.get(&own.id).await;
        assert_error(&desk.try_get(&foreign.id).await.unwrap_err(), Code::PermissionDenied);
        assert_error(&desk.try_get(&Uuid::now_v7().to_string()).await.unwrap_err(), Code::PermissionDenied);
        assert_error(
            &desk.try_create(Desk::new_request(&theirs.id, "Sneaky")).await.unwrap_err(),
            Code::PermissionDenied,
        );
        assert_error(&desk.try_status(&foreign.id, Status::InProgress, "").await.unwrap_err(), Code::PermissionDenied);
        assert_error(&desk.try_respond(&foreign.id).await.unwrap_err(), Code::PermissionDenied);
        let history = desk
            .client
            .list_status_history(pb::ListStatusHistoryRequest { service_request_id: foreign.id.clone(), ..Default::default() })
            .await
            .unwrap_err();
        assert_error(&history, Code::PermissionDenied);
        // A MEMBER works its own team's requests.
        let created = desk.create(&mine.id, "By the member").await;
        desk.status(&created.id, Status::InProgress).await;
        assert_eq!(desk.history(&created.id).await[1].changed_by, member.staff_id);
        // Policies of other teams' accounts are hidden too; tier and default policies are not.
        let policies: Vec<String> = desk.policies(pb::ListSlaPoliciesRequest::default()).await.into_iter().map(|p| p.id).collect();
        assert!(policies.contains(&own_policy.id) && policies.contains(&DEFAULT_POLICY.to_owned()));
        assert!(!policies.contains(&foreign_policy.id));
        assert_error(&desk.try_get_policy(&foreign_policy.id).await.unwrap_err(), Code::PermissionDenied);
        // The ADMIN sees everything.
        let everything = admin.list(pb::ListServiceRequestsRequest::default()).await;
        assert_eq!(everything.len(), 3);
    }

    async fn create_calls_with_a_request_id_are_idempotent(server: &TestServer) {
        let mut desk = Desk::new(server);
        let account = desk.account("Retry").await;
        let request_id = Uuid::now_v7().to_string();
        let create = |title: &str| pb::CreateServiceRequestRequest {
            service_request: Some(Desk::new_request(&account.id, title)),
            request_id: request_id.clone(),
        };
        let first = desk.client.create_service_request(create("Once")).await.unwrap().into_inner();
        let retry = desk.client.create_service_request(create("Once")).await.unwrap().into_inner();
        assert_eq!(retry.id, first.id);
        assert_eq!(server.query_i64("SELECT count(*) FROM service_requests", []).await, 1);
        assert_eq!(desk.history(&first.id).await.len(), 1);
        assert_eq!(desk.events("ServiceRequestCreated").await, 1);
        let reused = desk.client.create_service_request(create("Twice")).await.unwrap_err();
        assert_invalid_argument(&reused, "request_id");

        let calendar_request = pb::CreateBusinessCalendarRequest {
            calendar: Some(every_day_calendar()),
            request_id: Uuid::now_v7().to_string(),
        };
        let a = desk.client.create_business_calendar(calendar_request.clone()).await.unwrap().into_inner();
        let b = desk.client.create_business_calendar(calendar_request).await.unwrap().into_inner();
        assert_eq!(a.id, b.id);
        let policy_request = pb::CreateSlaPolicyRequest {
            policy: Some(account_policy(&account.id, &a.id, 10, 100)),
            request_id: Uuid::now_v7().to_string(),
        };
        let p = desk.client.create_sla_policy(policy_request.clone()).await.unwrap().into_inner();
        let q = desk.client.create_sla_policy(policy_request).await.unwrap().into_inner();
        assert_eq!(p.id, q.id);
        assert_eq!(desk.events("SlaPolicyCreated").await, 1);
        let malformed = desk
            .client
            .create_service_request(pb::CreateServiceRequestRequest {
                service_request: Some(Desk::new_request(&account.id, "x")),
                request_id: "not a uuid".to_owned(),
            })
            .await
            .unwrap_err();
        assert_invalid_argument(&malformed, "request_id");
    }

    async fn escalations_are_listed_oldest_first(server: &TestServer) {
        let mut desk = Desk::new(server);
        let account = desk.account("Escalated").await;
        let request = desk.create(&account.id, "Escalate me").await;
        let list = |id: &str| pb::ListEscalationsRequest { service_request_id: id.to_owned(), ..Default::default() };
        let none = desk.client.list_escalations(list(&request.id)).await.unwrap().into_inner();
        assert!(none.escalations.is_empty() && none.next_page_token.is_empty());
        // The breach monitor writes these; here one is put in place by hand.
        let manager = Uuid::now_v7();
        server
            .execute(
                "INSERT INTO sla_escalations (id, service_request_id, target, trigger, step_index, recipients, \
                 escalate_time) VALUES ($1, $2, 'RESOLUTION', 'BREACHED', 1, $3, $4)",
                [
                    Value::from(Uuid::now_v7()),
                    Value::from(Uuid::parse_str(&request.id).unwrap()),
                    Value::from(serde_json::json!([{ "staff_id": manager, "reason": "ACCOUNT_MANAGER" }])),
                    Value::from(DateTimeUtc::from_timestamp(now_secs(), 0).unwrap()),
                ],
            )
            .await;
        let listed = desk.client.list_escalations(list(&request.id)).await.unwrap().into_inner().escalations;
        assert_eq!(listed.len(), 1);
        let escalation = &listed[0];
        assert_eq!(escalation.target, SlaTargetKind::Resolution as i32);
        assert_eq!(escalation.trigger, Trigger::Breached as i32);
        assert_eq!(escalation.step_index, 1);
        assert_eq!(
            escalation.recipients,
            [pb::EscalationRecipient { staff_id: manager.to_string(), reason: "ACCOUNT_MANAGER".to_owned() }]
        );
        let missing = desk.client.list_escalations(list(&Uuid::now_v7().to_string())).await.unwrap_err();
        assert_error(&missing, Code::NotFound);
    }

    async fn the_compliance_report_counts_concluded_targets_per_tier_and_priority(server: &TestServer) {
        let mut desk = Desk::new(server);
        let (account, _) = desk.account_with_policy(ALWAYS_OPEN, 60, 240).await;
        // Met both at once.
        let quick = desk.create(&account.id, "Quick").await;
        desk.try_respond(&quick.id).await.unwrap();
        desk.status(&quick.id, Status::Resolved).await;
        // Created 2 h ago: the response comes late (breached), the resolution in time.
        let slow = desk.create(&account.id, "Slow").await;
        desk.rewrite_history(&slow.id, &[-2 * 3600]).await;
        desk.try_respond(&slow.id).await.unwrap();
        desk.status(&slow.id, Status::Resolved).await;
        // Cancelled requests do not count.
        let cancelled = desk.create(&account.id, "Cancelled").await;
        desk.status(&cancelled.id, Status::Cancelled).await;
        // Still running, not yet concluded.
        desk.create(&account.id, "Running").await;

        let now = now_secs();
        let report = |tiers: Vec<i32>| pb::GetSlaComplianceReportRequest {
            start_time: at(now - 86_400),
            end_time: at(now + 86_400),
            tiers,
            account_id: String::new(),
            segments: None,
            group_by: None,
        };
        let answer = desk.client.get_sla_compliance_report(report(vec![])).await.unwrap().into_inner();
        assert_eq!(answer.rows.len(), 1);
        let row = &answer.rows[0];
        assert_eq!((row.tier, row.priority), (Tier::Standard as i32, Priority::P3 as i32));
        let c = row.compliance.as_ref().unwrap();
        assert_eq!((c.first_response_met, c.first_response_breached), (1, 1));
        assert_eq!((c.resolution_met, c.resolution_breached), (2, 0));
        assert_eq!((c.met, c.breached), (3, 1));
        assert!((c.percent_met - 75.0).abs() < 1e-9);
        assert_eq!((c.first_responses, c.resolutions), (2, 2));
        assert!((c.mean_first_response_minutes - 60.0).abs() < 1e-9, "{c:?}");
        assert!((c.mean_resolution_minutes - 60.0).abs() < 1e-9, "{c:?}");
        assert_eq!(answer.total.as_ref(), Some(c));

        let key_only = desk.client.get_sla_compliance_report(report(vec![Tier::Key as i32])).await.unwrap().into_inner();
        assert!(key_only.rows.is_empty());
        assert_eq!(key_only.total.unwrap().met, 0);
        let outsider = server.member_on_team(&desk.account("Elsewhere").await.id).await;
        let hidden = desk.as_caller(&outsider).client.get_sla_compliance_report(report(vec![])).await.unwrap().into_inner();
        assert!(hidden.rows.is_empty(), "a MEMBER's report covers its teams' accounts only");

        let missing_start = pb::GetSlaComplianceReportRequest { start_time: None, ..report(vec![]) };
        assert_invalid_argument(&desk.client.get_sla_compliance_report(missing_start).await.unwrap_err(), "start_time");
        let backwards = pb::GetSlaComplianceReportRequest { start_time: at(now), end_time: at(now - 1), ..report(vec![]) };
        assert_invalid_argument(&desk.client.get_sla_compliance_report(backwards).await.unwrap_err(), "end_time");
    }

    async fn every_write_is_audited_with_its_event(server: &TestServer) {
        let mut desk = Desk::new(server);
        let account = desk.account("Audited").await;
        let request = desk.create(&account.id, "Audit me").await;
        desk.status(&request.id, Status::InProgress).await;
        let audited = server
            .query_i64(
                "SELECT count(*) FROM audit_entries WHERE resource_type = 'service_request' AND resource_id = $1",
                [Value::from(request.id.clone())],
            )
            .await;
        assert_eq!(audited, 2);
        let methods = server
            .query_i64(
                "SELECT count(*) FROM audit_entries WHERE method = '/kam.v1.ServiceLevelService/ChangeServiceRequestStatus'",
                [],
            )
            .await;
        assert_eq!(methods, 1);
        // The refusal wrote nothing.
        desk.try_status(&request.id, Status::New, "").await.unwrap_err();
        assert_eq!(desk.events("ServiceRequestStatusChanged").await, 1);
    }

    /// A ticket opened in year 1 (stored before imports had a horizon) makes every read of it replay
    /// seven hundred thousand business days. That work runs off the async workers: while reads of it
    /// keep the test server's CPUs busy, another caller is answered promptly and a caller's deadline is
    /// honoured by the server.
    async fn a_heavy_sla_read_neither_stalls_the_server_nor_outlives_its_deadline(server: &TestServer) {
        heavy_calls_leave_the_server_responsive(server, Heavy::Read).await;
    }

    /// Every write evaluates the clock again to store its SLA columns: the same holds for writes.
    async fn a_heavy_sla_write_neither_stalls_the_server_nor_outlives_its_deadline(server: &TestServer) {
        heavy_calls_leave_the_server_responsive(server, Heavy::Write).await;
    }
}

/// What [`heavy_calls_leave_the_server_responsive`] makes of a year-1 ticket.
#[derive(Clone, Copy, Debug)]
enum Heavy {
    Read,
    Write,
}

impl Heavy {
    /// The call on request `id`; with `deadline`, one of 500 ms as a header only: the client does not
    /// enforce it, the server must.
    async fn call(self, client: &mut Client, id: &str, deadline: bool) -> Result<(), GrpcStatus> {
        fn request<T>(message: T, deadline: bool) -> tonic::Request<T> {
            let mut request = tonic::Request::new(message);
            if deadline {
                request
                    .metadata_mut()
                    .insert("grpc-timeout", "500m".parse().unwrap());
            }
            request
        }
        match self {
            Self::Read => client
                .get_service_request(request(
                    pb::GetServiceRequestRequest { id: id.to_owned() },
                    deadline,
                ))
                .await
                .map(|_| ()),
            Self::Write => {
                let rename = pb::UpdateServiceRequestRequest {
                    service_request: Some(pb::ServiceRequest {
                        id: id.to_owned(),
                        title: format!("Renamed {}", Uuid::now_v7()),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["title".into()],
                    }),
                };
                client
                    .update_service_request(request(rename, deadline))
                    .await
                    .map(|_| ())
            }
        }
    }
}

/// Four `heavy` calls on a year-1 ticket at once (more than the test server's two workers), while a
/// client on a runtime of its own (so that only the server can be slow) times another caller's call and
/// a heavy call with a 500 ms deadline.
async fn heavy_calls_leave_the_server_responsive(server: &TestServer, heavy: Heavy) {
    use std::time::{Duration, Instant};
    let mut desk = Desk::new(server);
    let account = desk.account("Heavy").await;
    let ancient = desk.create(&account.id, "Ancient").await;
    let year_one = -62_135_596_800;
    desk.rewrite_history(&ancient.id, &[year_one - now_secs()]).await;

    // SQLite has one writer: heavy writes queue on its lock, one clock at a time, and four of them in a
    // row would outlast its busy timeout. One is all it can exercise.
    let concurrent = match (heavy, server.backend) {
        (Heavy::Write, kam_tests::Backend::Sqlite) => 1,
        _ => 4,
    };
    let calls: Vec<_> = (0..concurrent)
        .map(|_| {
            let mut client = desk.client.clone();
            let id = ancient.id.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let answer = heavy.call(&mut client, &id, false).await;
                (answer, started.elapsed())
            })
        })
        .collect();

    let (addr, admin, account_id, ancient_id) = (server.addr, server.admin().clone(), account.id, ancient.id);
    let measure = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect_lazy();
            let caller = kam_tests::Caller::new(channel, admin.staff_id, admin.secret);
            tokio::time::sleep(Duration::from_millis(300)).await;

            let started = Instant::now();
            caller
                .accounts()
                .get_account(pb::GetAccountRequest { id: account_id })
                .await
                .expect("another caller is answered");
            let prompt = started.elapsed();

            let started = Instant::now();
            let mut client = ServiceLevelServiceClient::new(caller.channel());
            let answer = heavy.call(&mut client, &ancient_id, true).await;
            (prompt, answer, started.elapsed())
        })
    });
    let (prompt, answer, late) = tokio::task::spawn_blocking(move || measure.join().unwrap())
        .await
        .unwrap();

    for call in calls {
        let (answer, took) = call.await.expect("the call's task");
        answer.unwrap_or_else(|e| panic!("the heavy {heavy:?} is answered: {e:?}"));
        assert!(
            took > Duration::from_millis(500),
            "the {heavy:?} is heavy: {took:?}"
        );
    }
    assert!(
        prompt < Duration::from_secs(1),
        "another caller waited {prompt:?}"
    );
    let status = answer.expect_err("the deadline passes before the call is done");
    assert!(
        matches!(status.code(), Code::Cancelled | Code::DeadlineExceeded),
        "unexpected status: {status:?}"
    );
    assert!(
        late < Duration::from_millis(1200),
        "the deadline answered after {late:?}"
    );
}
