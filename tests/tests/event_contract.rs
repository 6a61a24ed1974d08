//! The domain events are a public contract (docs/events.md, `kam.v1.Event` in
//! proto/kam/v1/integration.proto). This test holds the server to it, end to end, on SQLite and on
//! PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set):
//!
//! - every event type the proto declares is recorded by the real API (or, for the SLA transitions
//!   and escalations, by the breach monitor), at least once;
//! - every event `WatchEvents` delivers carries its typed payload in the variant its `event_type`
//!   names, and `payload_json` is exactly that message in canonical proto3 JSON;
//! - its `resource_type` is the one the catalogue gives its event type, and its `account_id` is the
//!   account of the resource it is about (empty for what belongs to no one account);
//! - the last event about a resource carries what the resource's `Get…` method returns.
//!
//! Nothing here matches on event variants: names and JSON come from the generated (pbjson) mapping, as
//! a consumer in another language would see them, so a new event type needs no change here beyond
//! making the server record it (the test fails, naming it, until then).

use std::{
    collections::{BTreeSet, HashMap},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use kam_server::{Config, platform::db::Db, service_levels::monitor::scan_once};
use kam_tests::{
    Authed, Backend, TestServer,
    catalogue::{declared_events, documented_events},
    pb::{
        self, Priority, Role, StaffLevel, TeamRole, Tier, feedback_service_client::FeedbackServiceClient,
        integration_service_client::IntegrationServiceClient,
        opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
        segment_service_client::SegmentServiceClient,
        service_level_service_client::ServiceLevelServiceClient, watch_events_request::Start,
        webhook_service_client::WebhookServiceClient,
    },
    pbjson_types::{FieldMask, Timestamp},
};
use sea_orm::prelude::DateTimeUtc;
use serde_json::Value;
use uuid::Uuid;

/// The seeded 24x7 calendar.
const ALWAYS_OPEN: &str = "00000000-0000-7000-8000-000000000300";

/// How long reading the whole outbox back may take.
const PATIENCE: Duration = Duration::from_secs(30);

/// The resource types whose events concern one account (docs/events.md: `account_id` is "the account
/// it concerns"). Staff, credentials, roles, departments, pipelines, calendars, SLA policies (even an
/// account's own: "policies … concern no one account", integration.proto) and revenue batches concern
/// none, and their events carry an empty `account_id`.
const ACCOUNT_BOUND: [&str; 10] = [
    "account",
    "contact",
    "team_member",
    "opportunity",
    "service_request",
    "tier_override",
    "account_plan",
    "plan_action",
    "interaction",
    "feedback_round",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_type_keeps_the_contract_on_sqlite() {
    every_event_type_keeps_the_contract(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_type_keeps_the_contract_on_postgres() {
    every_event_type_keeps_the_contract(Backend::Postgres).await;
}

async fn every_event_type_keeps_the_contract(backend: Backend) {
    // The server's own monitor stays off: the test runs it once, at a chosen instant, so the SLA events
    // come deterministically and without waiting (as tests/tests/sla_monitor.rs does).
    let Some(server) =
        TestServer::start_with(backend, |config| config.sla.monitor_interval_seconds = 0).await
    else {
        return;
    };
    let started = Instant::now();
    let catalogue = Catalogue::load();

    let mut script = Script::new(&server);
    let compared = script.record_every_event_type().await;
    let events = every_event_recorded(&server).await;

    let mut report = Vec::new();
    let broken: Vec<String> = events
        .iter()
        .flat_map(|event| catalogue.violations(event, &script.account_of))
        .collect();
    section(&mut report, "events that break the contract", broken);
    section(
        &mut report,
        "declared event types this test did not see recorded",
        catalogue.never_seen(&events),
    );
    section(
        &mut report,
        "resources whose last event differs from what Get returns",
        script
            .differences_from_get(&events, &compared, &catalogue.declared)
            .await,
    );
    assert!(
        report.is_empty(),
        "{}: {} events read back:\n{}",
        backend.name(),
        events.len(),
        report.join("\n")
    );
    eprintln!(
        "{}: {} events of {} types keep the contract ({:?})",
        backend.name(),
        events.len(),
        catalogue.declared.len(),
        started.elapsed()
    );
    server.stop().await;
}

fn section(report: &mut Vec<String>, title: &str, lines: Vec<String>) {
    if !lines.is_empty() {
        report.push(format!("{title} ({}):", lines.len()));
        report.extend(lines.into_iter().map(|line| format!("  - {line}")));
    }
}

// ---------------------------------------------------------------------------------------------------
// The contract of one event
// ---------------------------------------------------------------------------------------------------

/// What docs/events.md and the proto say about each event type.
struct Catalogue {
    /// Event type → its payload message, from the descriptor.
    declared: HashMap<String, String>,
    /// Event type → its resource type, from the catalogue's table.
    resource_types: HashMap<String, String>,
}

impl Catalogue {
    fn load() -> Self {
        Self {
            declared: declared_events().into_iter().collect(),
            resource_types: documented_events()
                .into_iter()
                .map(|row| (row.event_type, row.resource_type))
                .collect(),
        }
    }

    /// Everything wrong with `event`; `account_of` maps each account-bound resource the test made to
    /// its account.
    fn violations(&self, event: &pb::Event, account_of: &HashMap<String, String>) -> Vec<String> {
        let about = format!(
            "{} of {} {} (cursor {})",
            event.event_type, event.resource_type, event.resource_id, event.cursor
        );
        let wrong = |what: String| format!("{about}: {what}");
        let mut found = Vec::new();

        let Some((field, payload)) = typed_payload(event) else {
            return vec![wrong("no typed payload".to_owned())];
        };
        if field != json_name(&event.event_type) {
            found.push(wrong(format!(
                "the typed payload is `{field}`, not the event type's field"
            )));
        }
        match serde_json::from_str::<Value>(&event.payload_json) {
            Ok(json) if json == payload => {}
            Ok(json) => found.push(wrong(format!(
                "payload_json is not the typed payload's proto3 JSON: {}",
                differences(&json, &payload).join("; ")
            ))),
            Err(e) => found.push(wrong(format!(
                "payload_json is not JSON ({e}): {}",
                event.payload_json
            ))),
        }

        match self.resource_types.get(&event.event_type) {
            Some(documented) if *documented == event.resource_type => {}
            Some(documented) => found.push(wrong(format!("the catalogue's resource type is `{documented}`"))),
            None => found.push(wrong("the event type is not in docs/events.md".to_owned())),
        }

        let bound = ACCOUNT_BOUND.contains(&event.resource_type.as_str());
        let expected_account = if bound {
            match account_of.get(&event.resource_id) {
                Some(account) => account.as_str(),
                None => {
                    found.push(wrong("about a resource this test did not make".to_owned()));
                    event.account_id.as_str()
                }
            }
        } else {
            ""
        };
        if event.account_id != expected_account {
            found.push(wrong(format!(
                "account_id is {:?}, the resource's account is {expected_account:?}",
                event.account_id
            )));
        }
        // A payload that names an account (a contact's, a transition's, a tombstone's) names the same
        // one as the event, so a consumer may use either.
        if bound
            && let Some(named) = payload.get("accountId").and_then(Value::as_str)
            && named != event.account_id
        {
            found.push(wrong(format!(
                "the payload's accountId is {named:?}, the event's {:?}",
                event.account_id
            )));
        }
        // A payload that is the resource itself (`Contact` for `contact`), or its tombstone, carries
        // the resource's id.
        let message = self
            .declared
            .get(&event.event_type)
            .map(String::as_str)
            .unwrap_or_default();
        if (snake_case(message) == event.resource_type || message == "Tombstone")
            && let Some(id) = payload.get("id").and_then(Value::as_str)
            && id != event.resource_id
        {
            found.push(wrong(format!("the payload is about {id}")));
        }
        found
    }

    /// The declared event types no event in `events` has.
    fn never_seen(&self, events: &[pb::Event]) -> Vec<String> {
        let seen: BTreeSet<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        let declared: BTreeSet<&str> = self.declared.keys().map(String::as_str).collect();
        declared.difference(&seen).map(|t| (*t).to_owned()).collect()
    }
}

/// The JSON name of the `Event.payload` field `event` sets, and that message's proto3 JSON: pbjson
/// writes an `Event` with nothing but its payload set as exactly that one field, so no variant needs
/// naming here.
fn typed_payload(event: &pb::Event) -> Option<(String, Value)> {
    let only_payload = pb::Event {
        payload: Some(event.payload.clone()?),
        ..Default::default()
    };
    let Ok(Value::Object(fields)) = serde_json::to_value(&only_payload) else {
        panic!("an Event serializes to a JSON object");
    };
    assert_eq!(
        fields.len(),
        1,
        "an Event with only its payload set has one JSON field: {fields:?}"
    );
    fields.into_iter().next()
}

/// The JSON name of an event type's payload field: `AccountCreated` → `accountCreated`.
fn json_name(event_type: &str) -> String {
    let mut chars = event_type.chars();
    chars
        .next()
        .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `ServiceRequest` → `service_request`.
fn snake_case(message: &str) -> String {
    let mut out = String::new();
    for (i, c) in message.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Where two JSON values differ, as `path: left ≠ right`, for failure messages.
fn differences(left: &Value, right: &Value) -> Vec<String> {
    fn walk(path: &str, left: &Value, right: &Value, out: &mut Vec<String>) {
        match (left, right) {
            (Value::Object(l), Value::Object(r)) => {
                let keys: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
                for key in keys {
                    let (l, r) = (
                        l.get(key).unwrap_or(&Value::Null),
                        r.get(key).unwrap_or(&Value::Null),
                    );
                    walk(&format!("{path}.{key}"), l, r, out);
                }
            }
            (Value::Array(l), Value::Array(r)) if l.len() == r.len() => {
                for (i, (l, r)) in l.iter().zip(r).enumerate() {
                    walk(&format!("{path}[{i}]"), l, r, out);
                }
            }
            (l, r) if l != r => out.push(format!("{path}: {l} ≠ {r}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", left, right, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------------
// Reading the events back
// ---------------------------------------------------------------------------------------------------

/// Every event in the outbox, as the ADMIN's `WatchEvents` delivers them from EARLIEST (an ADMIN sees
/// the identity events too). On PostgreSQL a stream may say it has caught up while a transaction
/// anywhere in the cluster (another test's) holds newer events back, so it reads on until it has as
/// many events as the outbox holds.
async fn every_event_recorded(server: &TestServer) -> Vec<pb::Event> {
    let recorded = server.query_i64("SELECT count(*) FROM outbox_events", []).await;
    let mut stream = IntegrationServiceClient::new(server.channel())
        .watch_events(pb::WatchEventsRequest {
            start: Start::Earliest as i32,
            batch_size: 1000,
            ..Default::default()
        })
        .await
        .expect("watch events")
        .into_inner();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut events = Vec::new();
    loop {
        let response = tokio::time::timeout_at(deadline, stream.message())
            .await
            .unwrap_or_else(|_| panic!("not caught up within {PATIENCE:?} after {} events", events.len()))
            .expect("the stream")
            .expect("the stream goes on until it has caught up");
        events.extend(response.events);
        if response.caught_up && events.len() as i64 >= recorded {
            return events;
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Identical to Get: what is compared, and how
// ---------------------------------------------------------------------------------------------------

/// The proto3 JSON of a Get's answer (`Result<Response<M>, Status>`): kam_proto's messages serialize
/// with pbjson's proto3 JSON mapping.
macro_rules! proto_json {
    ($answer:expr $(,)?) => {
        $answer.map(|response| serde_json::to_value(response.into_inner()).expect("a message serializes"))
    };
}

/// A resource whose last event must carry what its `Get…` returns.
struct Compared {
    what: &'static str,
    resource_type: &'static str,
    id: String,
    /// Fields (JSON paths) that `Get…` computes as of the moment it is called, so that they may
    /// legitimately have moved on since the event: left out of the comparison.
    as_of_now: &'static [&'static str],
}

fn compared(what: &'static str, resource_type: &'static str, id: &str) -> Compared {
    Compared {
        what,
        resource_type,
        id: id.to_owned(),
        as_of_now: &[],
    }
}

/// A running SLA target's elapsed business minutes count up to "now" on every read (service_levels.proto:
/// "to fulfilment or cancellation, else to now"): an event and a Get a minute boundary apart differ
/// there and nowhere else. (Its due and at-risk times are fixed while it runs unpaused; a paused
/// target's due time moves with "now" too, which is why the running request is kept IN_PROGRESS.)
const RUNNING_SLA_CLOCK: &[&str] = &[
    "firstResponse.elapsedBusinessMinutes",
    "resolution.elapsedBusinessMinutes",
];

/// `value` without the fields at `paths` (dot-separated).
fn without(mut value: Value, paths: &[&str]) -> Value {
    for path in paths {
        let mut keys: Vec<&str> = path.split('.').collect();
        let last = keys.pop().expect("a path has a field");
        let parent = keys.iter().try_fold(&mut value, |v, key| v.get_mut(*key));
        if let Some(Value::Object(fields)) = parent {
            fields.remove(last);
        }
    }
    value
}

// ---------------------------------------------------------------------------------------------------
// Making the server record every event type
// ---------------------------------------------------------------------------------------------------

/// The calls that make the server record every event type, as the ADMIN.
struct Script<'a> {
    server: &'a TestServer,
    opportunities: OpportunityServiceClient<Authed>,
    service_levels: ServiceLevelServiceClient<Authed>,
    planning: PlanningServiceClient<Authed>,
    /// The account of each account-bound resource made (an account's is itself), by the resource's
    /// id: what every event about that resource must give as its `account_id`.
    account_of: HashMap<String, String>,
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
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

impl<'a> Script<'a> {
    fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            opportunities: OpportunityServiceClient::new(server.channel()),
            service_levels: ServiceLevelServiceClient::new(server.channel()),
            planning: PlanningServiceClient::new(server.channel()),
            account_of: HashMap::new(),
        }
    }

    /// Notes that resource `id` belongs to account `account_id`.
    fn belongs(&mut self, id: &str, account_id: &str) {
        self.account_of.insert(id.to_owned(), account_id.to_owned());
    }

    /// Makes the server record every event type, and returns the resources to hold against `Get…`.
    ///
    /// Accounts are kept apart so that each compared resource's last event is one that carries it. Two
    /// kinds of change alter a resource through an event that carries something else, and each gets
    /// resources of its own: a tier change (TierChanged carries a TierChange, yet the account's tier,
    /// etag and update time change) and the SLA monitor (its transitions carry an SlaTransition or an
    /// Escalation). The handover is compared like any other write: besides its summary
    /// (ResponsibilitiesTransferred), every item it moves is announced by an event carrying it.
    async fn record_every_event_type(&mut self) -> Vec<Compared> {
        let mut to_compare = Vec::new();
        let main = self.account("Acme Pumps").await;
        let owner = self.server.create_staff(StaffLevel::Manager).await;
        to_compare.push(self.account_lifecycle().await);
        to_compare.push(compared(
            "account (created; its contacts, team, deals, requests and plans changed since)",
            "account",
            &main,
        ));
        to_compare.extend(self.staff_lifecycle().await);
        self.department().await;
        self.webhook_subscription_lifecycle().await;
        self.team_seat_lifecycle(&main).await;
        let contact = self.contact_lifecycle(&main).await;
        to_compare.push(compared("contact", "contact", &contact));
        self.revenue_and_tiers().await;
        to_compare.extend(self.opportunity_lifecycle(&main, &owner).await);
        to_compare.extend(self.service_level_lifecycle(&main).await);
        to_compare.extend(self.plan_lifecycle(&main, &owner).await);
        to_compare.push(self.interaction_lifecycle(&main, &owner, &contact).await);
        to_compare.push(self.feedback_lifecycle(&main, &owner, &contact).await);
        to_compare.extend(self.segment_lifecycle(&owner).await);
        to_compare.push(self.competitor_lifecycle().await);
        to_compare.extend(self.handover().await);
        self.breach_an_sla(&main).await;
        self.raise_warnings().await;
        to_compare
    }

    async fn account(&mut self, name: &str) -> String {
        let id = self.server.create_account(name).await.id;
        self.belongs(&id, &id);
        id
    }

    /// AccountCreated, AccountUpdated, AccountDeleted, AccountUndeleted.
    async fn account_lifecycle(&mut self) -> Compared {
        let id = self.account("Short-lived Works").await;
        let mut accounts = self.server.accounts();
        accounts
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account {
                    id: id.clone(),
                    industry: "Water treatment".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["industry"]),
                change_reason: String::new(),
            })
            .await
            .expect("update the account");
        accounts
            .delete_account(pb::DeleteAccountRequest {
                id: id.clone(),
                etag: String::new(),
            })
            .await
            .expect("delete the account");
        accounts
            .undelete_account(pb::UndeleteAccountRequest {
                id: id.clone(),
                etag: String::new(),
            })
            .await
            .expect("undelete the account");
        compared("account (updated, deleted, undeleted)", "account", &id)
    }

    /// StaffCreated, StaffUpdated, StaffDeactivated, StaffReactivated, StaffRolesChanged, ApiKeyCreated,
    /// ApiKeyRevoked.
    async fn staff_lifecycle(&mut self) -> Vec<Compared> {
        let staff = self.server.create_staff(StaffLevel::Staff).await.id;
        let mut teams = self.server.teams();
        teams
            .update_staff(pb::UpdateStaffRequest {
                staff: Some(pb::Staff {
                    id: staff.clone(),
                    title: "Senior service agent".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["title"]),
            })
            .await
            .expect("update the staff member");
        teams
            .deactivate_staff(pb::DeactivateStaffRequest {
                id: staff.clone(),
                etag: String::new(),
            })
            .await
            .expect("deactivate");
        teams
            .reactivate_staff(pb::ReactivateStaffRequest {
                id: staff.clone(),
                etag: String::new(),
            })
            .await
            .expect("reactivate");
        let mut identity = self.server.identity();
        identity
            .set_staff_roles(pb::SetStaffRolesRequest {
                staff_id: staff.clone(),
                roles: vec![Role::ServiceAgent as i32],
            })
            .await
            .expect("set roles");
        let key = identity
            .create_api_key(pb::CreateApiKeyRequest {
                staff_id: staff.clone(),
                display_name: "Help desk bridge".to_owned(),
                expire_time: None,
            })
            .await
            .expect("create an API key")
            .into_inner()
            .api_key
            .expect("the key");
        identity
            .revoke_api_key(pb::RevokeApiKeyRequest { id: key.id })
            .await
            .expect("revoke the key");
        vec![
            compared(
                "staff member (updated, deactivated, reactivated)",
                "staff",
                &staff,
            ),
            compared("staff roles", "staff_roles", &staff),
        ]
    }

    /// DepartmentCreated.
    async fn department(&mut self) {
        self.server
            .teams()
            .create_department(pb::CreateDepartmentRequest {
                department: Some(pb::Department {
                    code: "FIELD_SERVICE".to_owned(),
                    display_name: "Field service".to_owned(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a department");
    }

    /// WebhookSubscriptionCreated, WebhookSubscriptionUpdated (an edit, a rotated secret, a replay),
    /// WebhookSubscriptionDeleted. Disabled at once: nothing is delivered to its made-up address.
    async fn webhook_subscription_lifecycle(&mut self) {
        let mut webhooks = WebhookServiceClient::new(self.server.channel());
        let created = webhooks
            .create_webhook_subscription(pb::CreateWebhookSubscriptionRequest {
                subscription: Some(pb::WebhookSubscription {
                    url: "https://erp.example.com/kam-events".to_owned(),
                    event_types: vec!["AccountCreated".to_owned()],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a webhook subscription")
            .into_inner()
            .subscription
            .expect("the subscription");
        webhooks
            .update_webhook_subscription(pb::UpdateWebhookSubscriptionRequest {
                subscription: Some(pb::WebhookSubscription {
                    id: created.id.clone(),
                    enabled: false,
                    ..Default::default()
                }),
                update_mask: mask(&["enabled"]),
            })
            .await
            .expect("disable the subscription");
        webhooks
            .rotate_webhook_secret(pb::RotateWebhookSecretRequest {
                id: created.id.clone(),
            })
            .await
            .expect("rotate its secret");
        webhooks
            .replay_webhook_deliveries(pb::ReplayWebhookDeliveriesRequest {
                id: created.id.clone(),
                cursor: created.cursor.clone(),
            })
            .await
            .expect("replay from where it started");
        webhooks
            .delete_webhook_subscription(pb::DeleteWebhookSubscriptionRequest { id: created.id })
            .await
            .expect("delete the subscription");
    }

    /// A seat on `account`'s team for a new staff member.
    async fn seat(&mut self, account: &str, staff: &str, role: TeamRole) -> pb::TeamMember {
        let seat = self
            .server
            .teams()
            .add_team_member(pb::AddTeamMemberRequest {
                member: Some(pb::TeamMember {
                    account_id: account.to_owned(),
                    staff_id: staff.to_owned(),
                    role: role as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("add a team member")
            .into_inner();
        self.belongs(&seat.id, account);
        seat
    }

    /// TeamMemberAdded, TeamMemberUpdated, TeamMemberRemoved.
    async fn team_seat_lifecycle(&mut self, account: &str) {
        let staff = self.server.create_staff(StaffLevel::Staff).await.id;
        let seat = self.seat(account, &staff, TeamRole::SalesSpecialist).await;
        let mut teams = self.server.teams();
        teams
            .update_team_member(pb::UpdateTeamMemberRequest {
                member: Some(pb::TeamMember {
                    id: seat.id.clone(),
                    role: TeamRole::SolutionEngineer as i32,
                    ..Default::default()
                }),
                update_mask: mask(&["role"]),
            })
            .await
            .expect("update the seat");
        teams
            .remove_team_member(pb::RemoveTeamMemberRequest {
                id: seat.id,
                etag: String::new(),
                reason: "moved to another region".to_owned(),
            })
            .await
            .expect("remove the seat");
    }

    async fn contact(&mut self, account: &str, name: &str) -> String {
        let id = self
            .server
            .accounts()
            .create_contact(pb::CreateContactRequest {
                contact: Some(pb::Contact {
                    account_id: account.to_owned(),
                    full_name: name.to_owned(),
                    email: format!("{}@acme.example", name.to_lowercase().replace(' ', ".")),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a contact")
            .into_inner()
            .id;
        self.belongs(&id, account);
        id
    }

    /// ContactCreated, ContactUpdated (the contact that stays, returned) and ContactDeleted (another).
    async fn contact_lifecycle(&mut self, account: &str) -> String {
        let kept = self.contact(account, "Li Wei").await;
        let mut accounts = self.server.accounts();
        accounts
            .update_contact(pb::UpdateContactRequest {
                contact: Some(pb::Contact {
                    id: kept.clone(),
                    title: "Head of maintenance".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["title"]),
            })
            .await
            .expect("update the contact");
        let gone = self.contact(account, "Temporary Buyer").await;
        accounts
            .delete_contact(pb::DeleteContactRequest {
                id: gone,
                etag: String::new(),
            })
            .await
            .expect("delete the contact");
        kept
    }

    /// RevenueRecordsUpserted, TierChanged (by the ranking and by an override), TierOverrideSet,
    /// TierOverrideCleared, all on an account of their own.
    async fn revenue_and_tiers(&mut self) {
        let ranked = self.account("Revenue Leader").await;
        self.planning
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: vec![pb::RevenueRecord {
                    external_id: "INV-2026-06".to_owned(),
                    account_id: ranked.clone(),
                    period: Some(pb::Month { year: 2026, month: 6 }),
                    amount: eur(120_000),
                    ..Default::default()
                }],
            })
            .await
            .expect("upsert revenue");
        // The only account with revenue brings all of it: it turns STRATEGIC, and nothing else moves
        // (no other account has revenue or an open pipeline with an amount), so the accounts compared
        // with GetAccount below keep their tier.
        let ranking = self
            .planning
            .recompute_tiers(pb::RecomputeTiersRequest {
                // 2026-12-01T00:00:00Z: the trailing year is December 2025 to November 2026.
                as_of: Some(Timestamp {
                    seconds: 1_796_083_200,
                    nanos: 0,
                }),
                validate_only: false,
                row_limit: 0,
                changed_only: true,
            })
            .await
            .expect("recompute tiers")
            .into_inner();
        let changed: Vec<(&str, Tier)> = ranking
            .rows
            .iter()
            .map(|r| (r.account_id.as_str(), r.new_tier()))
            .collect();
        assert_eq!(
            changed,
            [(ranked.as_str(), Tier::Strategic)],
            "what the ranking changed"
        );
        self.planning
            .set_tier_override(pb::SetTierOverrideRequest {
                tier_override: Some(pb::TierOverride {
                    account_id: ranked.clone(),
                    tier: Tier::Key as i32,
                    reason: "Kept KEY while the framework agreement is renegotiated".to_owned(),
                    ..Default::default()
                }),
            })
            .await
            .expect("set a tier override");
        self.planning
            .clear_tier_override(pb::ClearTierOverrideRequest { account_id: ranked })
            .await
            .expect("clear the override");
    }

    /// PipelineCreated, PipelineUpdated; OpportunityCreated, OpportunityUpdated,
    /// OpportunityStageChanged, OpportunityClosed, OpportunityReopened.
    async fn opportunity_lifecycle(&mut self, account: &str, owner: &pb::Staff) -> Vec<Compared> {
        let stage = |key: &str, probability: i32, won: bool, lost: bool| pb::PipelineStage {
            key: key.to_owned(),
            display_name: key.to_owned(),
            probability,
            forecast_category: match (won, lost) {
                (true, _) => pb::ForecastCategory::Closed as i32,
                (_, true) => pb::ForecastCategory::Omitted as i32,
                _ => pb::ForecastCategory::Pipeline as i32,
            },
            stall_after_days: 0,
            closed_won: won,
            closed_lost: lost,
        };
        let pipeline = self
            .opportunities
            .create_pipeline(pb::CreatePipelineRequest {
                pipeline: Some(pb::Pipeline {
                    display_name: "Retrofit projects".to_owned(),
                    stages: vec![
                        stage("DISCOVERY", 15, false, false),
                        stage("OFFER", 60, false, false),
                        stage("DONE", 100, true, false),
                        stage("DROPPED", 0, false, true),
                    ],
                    qualification_stage_key: "OFFER".to_owned(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a pipeline")
            .into_inner();
        self.opportunities
            .update_pipeline(pb::UpdatePipelineRequest {
                pipeline: Some(pb::Pipeline {
                    id: pipeline.id.clone(),
                    display_name: "Retrofit projects (EMEA)".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["display_name"]),
            })
            .await
            .expect("rename the pipeline");

        // In the default pipeline: LEAD → CONTACTED, closed LOST, reopened.
        let deal = self.opportunity(account, &owner.id, "Line 3 pump retrofit").await;
        self.opportunities
            .update_opportunity(pb::UpdateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    id: deal.clone(),
                    next_step: "Site survey".to_owned(),
                    competitors: vec!["KSB".to_owned()],
                    ..Default::default()
                }),
                update_mask: mask(&["next_step", "competitors"]),
            })
            .await
            .expect("update the opportunity");
        self.opportunities
            .move_opportunity_stage(pb::MoveOpportunityStageRequest {
                id: deal.clone(),
                stage: "CONTACTED".to_owned(),
                ..Default::default()
            })
            .await
            .expect("move the opportunity");
        self.opportunities
            .close_opportunity(pb::CloseOpportunityRequest {
                id: deal.clone(),
                outcome: pb::Outcome::Lost as i32,
                reason_code: "PRICE".to_owned(),
                note: "10 % above the competitor".to_owned(),
                lost_to_competitor: "KSB".to_owned(),
                etag: String::new(),
            })
            .await
            .expect("close the opportunity");
        self.opportunities
            .reopen_opportunity(pb::ReopenOpportunityRequest {
                id: deal.clone(),
                stage: String::new(),
                reason: "The competitor could not deliver".to_owned(),
                etag: String::new(),
            })
            .await
            .expect("reopen the opportunity");
        vec![
            compared("pipeline", "pipeline", &pipeline.id),
            compared(
                "opportunity (updated, moved, closed, reopened)",
                "opportunity",
                &deal,
            ),
        ]
    }

    /// A new opportunity on `account` (in the default pipeline) owned by `owner`.
    async fn opportunity(&mut self, account: &str, owner: &str, name: &str) -> String {
        let id = self
            .opportunities
            .create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    account_id: account.to_owned(),
                    display_name: name.to_owned(),
                    owner_staff_id: owner.to_owned(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create an opportunity")
            .into_inner()
            .id;
        self.belongs(&id, account);
        id
    }

    /// BusinessCalendarCreated, BusinessCalendarUpdated; SlaPolicyCreated, SlaPolicyUpdated,
    /// SlaPolicyDeleted; ServiceRequestCreated, ServiceRequestUpdated, ServiceRequestStatusChanged,
    /// ServiceRequestFirstResponseRecorded, ServiceRequestSlaRecalculated.
    async fn service_level_lifecycle(&mut self, account: &str) -> Vec<Compared> {
        let week = 1..=7;
        let calendar = self
            .service_levels
            .create_business_calendar(pb::CreateBusinessCalendarRequest {
                calendar: Some(pb::BusinessCalendar {
                    display_name: "Plant hours".to_owned(),
                    time_zone: "Europe/Berlin".to_owned(),
                    windows: week
                        .map(|day| pb::WorkingWindow {
                            day,
                            start_time: "06:00".to_owned(),
                            end_time: "22:00".to_owned(),
                        })
                        .collect(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a calendar")
            .into_inner()
            .id;
        self.service_levels
            .update_business_calendar(pb::UpdateBusinessCalendarRequest {
                calendar: Some(pb::BusinessCalendar {
                    id: calendar.clone(),
                    holidays: vec![pb::Holiday {
                        date: date(2027, 1, 1),
                        display_name: "New Year".to_owned(),
                    }],
                    ..Default::default()
                }),
                update_mask: mask(&["holidays"]),
            })
            .await
            .expect("update the calendar");

        let targets = |first: i32, resolution: i32| -> Vec<pb::PriorityTargets> {
            [Priority::P1, Priority::P2, Priority::P3, Priority::P4]
                .into_iter()
                .map(|priority| pb::PriorityTargets {
                    priority: priority as i32,
                    first_response_minutes: first,
                    resolution_minutes: resolution,
                })
                .collect()
        };
        let step =
            |trigger: pb::escalation_step::Trigger, assignee: bool, roles: &[TeamRole]| pb::EscalationStep {
                trigger: trigger as i32,
                notify_assignee: assignee,
                roles: roles.iter().map(|r| *r as i32).collect(),
                ..Default::default()
            };
        // The account's own policy, 24x7 with a one-hour first response, which `breach_an_sla` lets
        // lapse: its steps make the monitor record SlaEscalated.
        let policy = self
            .service_levels
            .create_sla_policy(pb::CreateSlaPolicyRequest {
                policy: Some(pb::SlaPolicy {
                    display_name: "Acme plant support".to_owned(),
                    account_id: account.to_owned(),
                    calendar_id: ALWAYS_OPEN.to_owned(),
                    targets: targets(60, 240),
                    escalation_steps: vec![
                        step(pb::escalation_step::Trigger::AtRisk, true, &[]),
                        step(
                            pb::escalation_step::Trigger::Breached,
                            false,
                            &[TeamRole::AccountManager],
                        ),
                    ],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create the account's policy")
            .into_inner()
            .id;
        self.service_levels
            .update_sla_policy(pb::UpdateSlaPolicyRequest {
                policy: Some(pb::SlaPolicy {
                    id: policy.clone(),
                    warning_percent: 75,
                    ..Default::default()
                }),
                update_mask: mask(&["warning_percent"]),
            })
            .await
            .expect("update the policy");
        let doomed = self
            .service_levels
            .create_sla_policy(pb::CreateSlaPolicyRequest {
                policy: Some(pb::SlaPolicy {
                    display_name: "Growth accounts".to_owned(),
                    tier: Tier::Growth as i32,
                    calendar_id: calendar.clone(),
                    targets: targets(120, 960),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a tier policy")
            .into_inner()
            .id;
        self.service_levels
            .delete_sla_policy(pb::DeleteSlaPolicyRequest {
                id: doomed,
                etag: String::new(),
            })
            .await
            .expect("delete the tier policy");

        let request = self.service_request(account, "Pump 3 leaks").await;
        self.service_levels
            .update_service_request(pb::UpdateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    id: request.clone(),
                    description: "Mechanical seal drips since the last restart".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["description"]),
            })
            .await
            .expect("update the request");
        self.change_status(&request, pb::service_request::Status::InProgress)
            .await;
        self.service_levels
            .record_first_response(pb::RecordFirstResponseRequest {
                id: request.clone(),
                etag: String::new(),
            })
            .await
            .expect("record the first response");
        self.service_levels
            .recalculate_sla(pb::RecalculateSlaRequest {
                id: request.clone(),
                policy_id: String::new(),
                priority: Priority::P2 as i32,
                etag: String::new(),
            })
            .await
            .expect("recalculate the SLA");
        // Resolved, both targets are fulfilled and the clock has stopped: GetServiceRequest no longer
        // depends on when it is called, so this request compares with its last event field for field.
        self.change_status(&request, pb::service_request::Status::Resolved)
            .await;
        // Another one stays open, its clock running: compared on everything but the elapsed minutes.
        let running = self.service_request(account, "Pump 7 vibrates").await;
        self.change_status(&running, pb::service_request::Status::InProgress)
            .await;
        vec![
            compared("business calendar", "business_calendar", &calendar),
            compared("SLA policy", "sla_policy", &policy),
            compared(
                "service request (updated, answered, recalculated, resolved)",
                "service_request",
                &request,
            ),
            Compared {
                as_of_now: RUNNING_SLA_CLOCK,
                ..compared(
                    "service request (open, its SLA clock running)",
                    "service_request",
                    &running,
                )
            },
        ]
    }

    async fn service_request(&mut self, account: &str, title: &str) -> String {
        self.assigned_request(account, title, "").await
    }

    /// A new service request on `account` assigned to `assignee` (to no one when empty).
    async fn assigned_request(&mut self, account: &str, title: &str, assignee: &str) -> String {
        let id = self
            .service_levels
            .create_service_request(pb::CreateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    account_id: account.to_owned(),
                    title: title.to_owned(),
                    assignee_staff_id: assignee.to_owned(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a service request")
            .into_inner()
            .id;
        self.belongs(&id, account);
        id
    }

    async fn change_status(&mut self, request: &str, status: pb::service_request::Status) {
        self.service_levels
            .change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                id: request.to_owned(),
                status: status as i32,
                note: String::new(),
                etag: String::new(),
            })
            .await
            .unwrap_or_else(|e| panic!("move the request to {status:?}: {e:?}"));
    }

    /// AccountPlanCreated, AccountPlanUpdated, AccountPlanActivated, AccountPlanClosed;
    /// PlanActionCreated, PlanActionUpdated.
    async fn plan_lifecycle(&mut self, account: &str, owner: &pb::Staff) -> Vec<Compared> {
        // The plan assesses a competitor by id: its events must carry the match a Get shows.
        let assessed = self
            .opportunities
            .create_competitor(pb::CreateCompetitorRequest {
                competitor: Some(pb::Competitor {
                    name: "Xylem".to_owned(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create the assessed competitor")
            .into_inner()
            .id;
        let plan = self
            .planning
            .create_account_plan(pb::CreateAccountPlanRequest {
                plan: Some(pb::AccountPlan {
                    account_id: account.to_owned(),
                    name: "Acme 2026".to_owned(),
                    period_start: date(2026, 1, 1),
                    period_end: date(2026, 12, 31),
                    revenue_target: eur(500_000),
                    objectives: vec![pb::PlanObjective {
                        metric: "plants on framework agreement".to_owned(),
                        target_value: 3,
                        current_value: 1,
                        due_date: date(2026, 9, 30),
                    }],
                    competitors: vec![pb::CompetitorAssessment {
                        competitor_id: assessed,
                        estimated_share_percent: 15,
                        threat_level: pb::competitor_assessment::ThreatLevel::Low as i32,
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a plan")
            .into_inner()
            .id;
        self.belongs(&plan, account);
        self.planning
            .update_account_plan(pb::UpdateAccountPlanRequest {
                plan: Some(pb::AccountPlan {
                    id: plan.clone(),
                    vision: "Preferred pump supplier for all three plants".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["vision"]),
            })
            .await
            .expect("update the plan");
        self.plan_status(&plan, pb::account_plan::Status::Active).await;
        let action = self
            .planning
            .create_plan_action(pb::CreatePlanActionRequest {
                action: Some(pb::PlanAction {
                    plan_id: plan.clone(),
                    title: "Present the retrofit business case".to_owned(),
                    owner_staff_id: owner.id.clone(),
                    due_date: date(2027, 1, 15),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a plan action")
            .into_inner()
            .id;
        self.belongs(&action, account);
        self.planning
            .update_plan_action(pb::UpdatePlanActionRequest {
                action: Some(pb::PlanAction {
                    id: action.clone(),
                    status: pb::plan_action::Status::InProgress as i32,
                    ..Default::default()
                }),
                update_mask: mask(&["status"]),
            })
            .await
            .expect("update the plan action");
        self.plan_status(&plan, pb::account_plan::Status::Closed).await;
        vec![
            compared("account plan (updated, activated, closed)", "account_plan", &plan),
            compared("plan action", "plan_action", &action),
        ]
    }

    /// AccountHealthChanged, KeyDateUpcoming, CadenceOverdue, PlanActionOverdue: an account with a
    /// contract renewal in ten days, an overdue action and a KEY tier, watched once with a KEY cadence
    /// due at once and thresholds that put every account AT_RISK.
    async fn raise_warnings(&mut self) {
        let account = self.account("Watched Works").await;
        let in_ten_days = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
        let mut renewal = pb::Account {
            id: account.clone(),
            key_dates: vec![pb::KeyDate {
                kind: pb::KeyDateKind::ContractRenewal as i32,
                label: "Frame contract".to_owned(),
                date: None,
                one_time: false,
            }],
            ..Default::default()
        };
        renewal.key_dates[0].date = Some(pb::Date {
            year: 0,
            month: chrono::Datelike::month(&in_ten_days) as i32,
            day: chrono::Datelike::day(&in_ten_days) as i32,
        });
        self.server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(renewal),
                update_mask: mask(&["key_dates"]),
                change_reason: String::new(),
            })
            .await
            .expect("a renewal to remember");
        self.planning
            .set_tier_override(pb::SetTierOverrideRequest {
                tier_override: Some(pb::TierOverride {
                    account_id: account.clone(),
                    tier: Tier::Key as i32,
                    reason: "watched".to_owned(),
                    ..Default::default()
                }),
            })
            .await
            .expect("KEY");
        let owner = self.server.create_staff(StaffLevel::Manager).await;
        let plan = self
            .planning
            .create_account_plan(pb::CreateAccountPlanRequest {
                plan: Some(pb::AccountPlan {
                    account_id: account.clone(),
                    name: "Watched".to_owned(),
                    period_start: date(2026, 1, 1),
                    period_end: date(2030, 12, 31),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("a plan")
            .into_inner()
            .id;
        self.belongs(&plan, &account);
        let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
        let action = self
            .planning
            .create_plan_action(pb::CreatePlanActionRequest {
                action: Some(pb::PlanAction {
                    plan_id: plan,
                    title: "Late already".to_owned(),
                    owner_staff_id: owner.id.clone(),
                    due_date: Some(pb::Date {
                        year: chrono::Datelike::year(&yesterday),
                        month: chrono::Datelike::month(&yesterday) as i32,
                        day: chrono::Datelike::day(&yesterday) as i32,
                    }),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("an overdue action")
            .into_inner()
            .id;
        self.belongs(&action, &account);

        let mut planning = kam_server::config::PlanningConfig::default();
        planning.cadence.insert(
            "KEY".to_owned(),
            kam_server::planning::rules::cadence::Cadence {
                executive_visit_days: 0,
                touch_days: 0,
            },
        );
        planning.health.at_risk_below = 101;
        planning.health.watch_below = 101;
        let watcher = Db::connect(&Config {
            database_url: self.server.database_url().to_owned(),
            db_max_connections: 2,
            ..Config::default()
        })
        .await
        .expect("connect the watcher");
        let report = kam_server::notifications::watcher::watch_once(
            &watcher,
            &planning,
            &kam_server::config::NotificationsConfig::default(),
            chrono::Utc::now(),
        )
        .await
        .expect("a watch");
        assert!(
            report.health_changes >= 1
                && report.key_dates >= 1
                && report.cadences >= 1
                && report.overdue_actions >= 1,
            "every kind of warning is raised: {report:?}"
        );
        watcher
            .conn()
            .clone()
            .close()
            .await
            .expect("close the watcher's connection");
    }

    async fn plan_status(&mut self, plan: &str, status: pb::account_plan::Status) {
        self.planning
            .change_account_plan_status(pb::ChangeAccountPlanStatusRequest {
                id: plan.to_owned(),
                status: status as i32,
                etag: String::new(),
            })
            .await
            .unwrap_or_else(|e| panic!("move the plan to {status:?}: {e:?}"));
    }

    /// InteractionLogged, InteractionUpdated.
    async fn interaction_lifecycle(&mut self, account: &str, owner: &pb::Staff, contact: &str) -> Compared {
        let interaction = self
            .planning
            .log_interaction(pb::LogInteractionRequest {
                interaction: Some(pb::Interaction {
                    account_id: account.to_owned(),
                    r#type: pb::interaction::Type::SalesVisit as i32,
                    occur_time: Some(Timestamp {
                        seconds: now_secs() - 86_400,
                        nanos: 0,
                    }),
                    staff_ids: vec![owner.id.clone()],
                    contact_ids: vec![contact.to_owned()],
                    summary: "Walked line 3 with maintenance".to_owned(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("log an interaction")
            .into_inner()
            .id;
        self.belongs(&interaction, account);
        self.planning
            .update_interaction(pb::UpdateInteractionRequest {
                interaction: Some(pb::Interaction {
                    id: interaction.clone(),
                    satisfaction: 4,
                    ..Default::default()
                }),
                update_mask: mask(&["satisfaction"]),
            })
            .await
            .expect("update the interaction");
        compared("interaction", "interaction", &interaction)
    }

    /// FeedbackRoundRecorded, FeedbackRoundUpdated, FeedbackRoundDeleted.
    async fn feedback_lifecycle(&mut self, account: &str, owner: &pb::Staff, contact: &str) -> Compared {
        let mut feedback = FeedbackServiceClient::new(self.server.channel());
        let round = |respondent: &str| pb::FeedbackRound {
            account_id: account.to_owned(),
            period_start: date(2026, 1, 1),
            period_end: date(2026, 3, 31),
            respondent_contact_id: respondent.to_owned(),
            ratings: vec![pb::StaffRating {
                staff_id: owner.id.clone(),
                responsiveness: 4,
                expertise: 5,
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut record = async |round: pb::FeedbackRound| {
            feedback
                .create_feedback_round(pb::CreateFeedbackRoundRequest {
                    feedback_round: Some(round),
                    request_id: String::new(),
                })
                .await
                .expect("record a feedback round")
                .into_inner()
                .id
        };
        let kept = record(round(contact)).await;
        let dropped = record(round("")).await;
        self.belongs(&kept, account);
        self.belongs(&dropped, account);
        feedback
            .update_feedback_round(pb::UpdateFeedbackRoundRequest {
                feedback_round: Some(pb::FeedbackRound {
                    id: kept.clone(),
                    comment: "Quick answers, thorough follow-up".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["comment"]),
            })
            .await
            .expect("update the feedback round");
        feedback
            .delete_feedback_round(pb::DeleteFeedbackRoundRequest {
                id: dropped,
                etag: String::new(),
            })
            .await
            .expect("delete a feedback round");
        compared("feedback round", "feedback_round", &kept)
    }

    /// CompetitorCreated, CompetitorUpdated, CompetitorDeleted. Named unlike any deal's competitor, so
    /// that no deal compared reads differently once it exists.
    async fn competitor_lifecycle(&mut self) -> Compared {
        let mut create = async |name: &str| {
            self.opportunities
                .create_competitor(pb::CreateCompetitorRequest {
                    competitor: Some(pb::Competitor {
                        name: name.to_owned(),
                        aliases: vec![format!("{name} Group")],
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("create a competitor")
                .into_inner()
                .id
        };
        let kept = create("Grundfos").await;
        let dropped = create("Wilo").await;
        self.opportunities
            .update_competitor(pb::UpdateCompetitorRequest {
                competitor: Some(pb::Competitor {
                    id: kept.clone(),
                    strengths: "Service network".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["strengths"]),
            })
            .await
            .expect("update the competitor");
        self.opportunities
            .delete_competitor(pb::DeleteCompetitorRequest {
                id: dropped,
                etag: String::new(),
            })
            .await
            .expect("delete a competitor");
        compared("competitor", "competitor", &kept)
    }

    /// IndustryCreated, IndustryUpdated, IndustryDeleted, RegionCreated, RegionUpdated, RegionDeleted.
    /// Named unlike any account's free text, so that no account compared is classified meanwhile.
    async fn segment_lifecycle(&mut self, owner: &pb::Staff) -> Vec<Compared> {
        let mut segments = SegmentServiceClient::new(self.server.channel());
        for code in ["C99", "C98"] {
            segments
                .create_industry(pb::CreateIndustryRequest {
                    industry: Some(pb::Industry {
                        code: code.to_owned(),
                        parent_code: "C".to_owned(),
                        name: format!("Contract test industry {code}"),
                        ..Default::default()
                    }),
                })
                .await
                .expect("create an industry");
        }
        segments
            .update_industry(pb::UpdateIndustryRequest {
                industry: Some(pb::Industry {
                    code: "C99".to_owned(),
                    name_zh: "测试行业".to_owned(),
                    ..Default::default()
                }),
                update_mask: mask(&["name_zh"]),
            })
            .await
            .expect("update the industry");
        segments
            .delete_industry(pb::DeleteIndustryRequest {
                code: "C98".to_owned(),
                etag: String::new(),
            })
            .await
            .expect("delete an industry");
        for code in ["NORD", "BALT"] {
            segments
                .create_region(pb::CreateRegionRequest {
                    region: Some(pb::Region {
                        code: code.to_owned(),
                        name: format!("Contract test region {code}"),
                        level: pb::RegionLevel::SalesRegion as i32,
                        ..Default::default()
                    }),
                })
                .await
                .expect("create a region");
        }
        segments
            .update_region(pb::UpdateRegionRequest {
                region: Some(pb::Region {
                    code: "NORD".to_owned(),
                    manager_staff_ids: vec![owner.id.clone()],
                    ..Default::default()
                }),
                update_mask: mask(&["manager_staff_ids"]),
            })
            .await
            .expect("update the region");
        segments
            .delete_region(pb::DeleteRegionRequest {
                code: "BALT".to_owned(),
                etag: String::new(),
            })
            .await
            .expect("delete a region");
        vec![
            compared("industry", "industry", "C99"),
            compared("region", "region", "NORD"),
        ]
    }

    /// ResponsibilitiesTransferred: what a leaver holds on an account of its own (a seat, a deal, a
    /// request and a plan action) handed to a successor. Each item moved is announced too, carrying it
    /// as it is after the move: the deal, request and action by their Updated event, the seat by
    /// TeamMemberRemoved (the leaver's, ended) and TeamMemberAdded (the successor's).
    async fn handover(&mut self) -> Vec<Compared> {
        let account = self.account("Handover Holdings").await;
        let leaver = self.server.create_staff(StaffLevel::Staff).await.id;
        let successor = self.server.create_staff(StaffLevel::Staff).await.id;
        self.seat(&account, &leaver, TeamRole::SalesSpecialist).await;
        let deal = self.opportunity(&account, &leaver, "Pump house refit").await;
        let request = self.assigned_request(&account, "Pump 9 overheats", &leaver).await;
        let plan = self
            .planning
            .create_account_plan(pb::CreateAccountPlanRequest {
                plan: Some(pb::AccountPlan {
                    account_id: account.clone(),
                    name: "Handover 2027".to_owned(),
                    period_start: date(2027, 1, 1),
                    period_end: date(2027, 12, 31),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a plan")
            .into_inner()
            .id;
        self.belongs(&plan, &account);
        let action = self
            .planning
            .create_plan_action(pb::CreatePlanActionRequest {
                action: Some(pb::PlanAction {
                    plan_id: plan,
                    title: "Introduce the successor".to_owned(),
                    owner_staff_id: leaver.clone(),
                    due_date: date(2027, 2, 1),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create a plan action")
            .into_inner()
            .id;
        self.belongs(&action, &account);
        let handover = self
            .server
            .teams()
            .transfer_responsibilities(pb::TransferResponsibilitiesRequest {
                from_staff_id: leaver,
                to_staff_id: successor,
                account_ids: Vec::new(),
                reason: "Leaves the company".to_owned(),
                validate_only: false,
            })
            .await
            .expect("hand over")
            .into_inner();
        let areas: BTreeSet<&str> = handover.moved.iter().map(|m| m.area.as_str()).collect();
        assert_eq!(
            areas,
            BTreeSet::from(["opportunities", "plan_actions", "service_requests", "team_roles"]),
            "the handover moved the seat, the deal, the request and the action: {handover:?}"
        );
        let mut to_compare = vec![
            compared("opportunity (handed over)", "opportunity", &deal),
            Compared {
                as_of_now: RUNNING_SLA_CLOCK,
                ..compared(
                    "service request (handed over, its SLA clock running)",
                    "service_request",
                    &request,
                )
            },
            compared("plan action (handed over)", "plan_action", &action),
        ];
        for moved in &handover.moved {
            self.belongs(&moved.item_id, &moved.account_id);
            if moved.area == "team_roles" {
                self.belongs(&moved.new_item_id, &moved.account_id);
                to_compare.push(compared(
                    "seat (ended by the handover)",
                    "team_member",
                    &moved.item_id,
                ));
                to_compare.push(compared("seat (taken over)", "team_member", &moved.new_item_id));
            }
        }
        to_compare
    }

    /// SlaAtRisk, SlaBreached, SlaEscalated: a new request on `account` (whose policy gives a
    /// 60-minute first response, 24x7) is aged 100 minutes in the database, then the monitor runs once.
    async fn breach_an_sla(&mut self, account: &str) {
        let request = self.service_request(account, "Seal worn").await;
        let now = now_secs();
        let opened = instant(now - 100 * 60);
        // The request was created a moment ago and has not changed since: its instants, and its one
        // history entry, all move to `opened`; it is due for the monitor now.
        self.server
            .execute(
                "UPDATE service_request_status_changes SET change_time = $1 WHERE service_request_id = $2",
                [opened.into(), uuid(&request).into()],
            )
            .await;
        let aged = self
            .server
            .execute(
                "UPDATE service_requests SET create_time = $1, status_time = $1, sla_apply_time = $1, \
                 next_check_time = $2 WHERE id = $3",
                [opened.into(), instant(now).into(), uuid(&request).into()],
            )
            .await;
        assert_eq!(aged, 1, "the request was aged");
        let monitor = Db::connect(&Config {
            database_url: self.server.database_url().to_owned(),
            db_max_connections: 2,
            ..Config::default()
        })
        .await
        .expect("connect the monitor");
        let report = scan_once(&monitor, instant(now), 100).await.expect("scan");
        assert!(
            report.at_risk_recorded >= 1 && report.breached_recorded >= 1 && report.escalations >= 1,
            "the lapsed first response is recorded at risk, breached and escalated: {report:?}"
        );
        monitor
            .conn()
            .clone()
            .close()
            .await
            .expect("close the monitor's connection");
    }

    // -----------------------------------------------------------------------------------------------
    // Identical to Get
    // -----------------------------------------------------------------------------------------------

    /// For each compared resource, whether the last event about it carries, in `payload_json`, what
    /// its `Get…` returns now. Read after everything was recorded: nothing may have changed a compared
    /// resource since its last event without recording another.
    async fn differences_from_get(
        &self,
        events: &[pb::Event],
        compared: &[Compared],
        carries: &HashMap<String, String>,
    ) -> Vec<String> {
        let mut found = Vec::new();
        for resource in compared {
            let about = format!("{} {} ({})", resource.resource_type, resource.id, resource.what);
            // The last event that carries the resource: a warning about an account (AccountHealthChanged)
            // or a tier change is about it without carrying it.
            let Some(last) = events.iter().rev().find(|e| {
                e.resource_type == resource.resource_type
                    && e.resource_id == resource.id
                    && carries
                        .get(&e.event_type)
                        .is_some_and(|message| snake_case(message) == e.resource_type)
            }) else {
                found.push(format!("{about}: no event at all"));
                continue;
            };
            let got = without(
                self.get(resource.resource_type, &resource.id).await,
                resource.as_of_now,
            );
            match serde_json::from_str::<Value>(&last.payload_json).map(|p| without(p, resource.as_of_now)) {
                Ok(payload) if payload == got => {}
                Ok(payload) => found.push(format!(
                    "{about}: its last event, {}, differs from Get: {}",
                    last.event_type,
                    differences(&payload, &got).join("; ")
                )),
                Err(e) => found.push(format!(
                    "{about}: payload_json of {} is not JSON: {e}",
                    last.event_type
                )),
            }
        }
        found
    }

    /// What the `Get…` of `resource_type` returns for `id`, in proto3 JSON.
    async fn get(&self, resource_type: &str, id: &str) -> Value {
        let id = id.to_owned();
        let (mut opportunities, mut service_levels, mut planning) = (
            self.opportunities.clone(),
            self.service_levels.clone(),
            self.planning.clone(),
        );
        let got = match resource_type {
            "account" => proto_json!(
                self.server
                    .accounts()
                    .get_account(pb::GetAccountRequest { id })
                    .await
            ),
            "contact" => proto_json!(
                self.server
                    .accounts()
                    .get_contact(pb::GetContactRequest { id })
                    .await
            ),
            "staff" => proto_json!(self.server.teams().get_staff(pb::GetStaffRequest { id }).await),
            "staff_roles" => proto_json!(
                self.server
                    .identity()
                    .get_staff_roles(pb::GetStaffRolesRequest { staff_id: id })
                    .await,
            ),
            "pipeline" => proto_json!(opportunities.get_pipeline(pb::GetPipelineRequest { id }).await),
            "opportunity" => proto_json!(
                opportunities
                    .get_opportunity(pb::GetOpportunityRequest { id })
                    .await
            ),
            "business_calendar" => proto_json!(
                service_levels
                    .get_business_calendar(pb::GetBusinessCalendarRequest { id })
                    .await,
            ),
            "sla_policy" => proto_json!(
                service_levels
                    .get_sla_policy(pb::GetSlaPolicyRequest { id })
                    .await
            ),
            "service_request" => proto_json!(
                service_levels
                    .get_service_request(pb::GetServiceRequestRequest { id })
                    .await,
            ),
            "account_plan" => proto_json!(planning.get_account_plan(pb::GetAccountPlanRequest { id }).await),
            "plan_action" => proto_json!(planning.get_plan_action(pb::GetPlanActionRequest { id }).await),
            "interaction" => proto_json!(planning.get_interaction(pb::GetInteractionRequest { id }).await),
            "feedback_round" => proto_json!(
                FeedbackServiceClient::new(self.server.channel())
                    .get_feedback_round(pb::GetFeedbackRoundRequest { id })
                    .await
            ),
            "competitor" => proto_json!(
                opportunities
                    .get_competitor(pb::GetCompetitorRequest { id })
                    .await
            ),
            "industry" => proto_json!(
                SegmentServiceClient::new(self.server.channel())
                    .get_industry(pb::GetIndustryRequest { code: id })
                    .await
            ),
            "region" => proto_json!(
                SegmentServiceClient::new(self.server.channel())
                    .get_region(pb::GetRegionRequest { code: id })
                    .await
            ),
            // No GetTeamMember: a seat is read as ListTeamMembers shows it, in its account's team with
            // the ended seats.
            "team_member" => self.listed_seat(&id).await,
            other => panic!("no Get for resource type {other}"),
        };
        got.unwrap_or_else(|status| panic!("get {resource_type}: {status:?}"))
    }

    /// Seat `id` as ListTeamMembers shows it, in proto3 JSON.
    async fn listed_seat(&self, id: &str) -> Result<Value, tonic::Status> {
        let account = self
            .account_of
            .get(id)
            .expect("the seat's account is known")
            .clone();
        let team = self
            .server
            .teams()
            .list_team_members(pb::ListTeamMembersRequest {
                account_id: account,
                include_history: true,
                page_size: 1000,
                ..Default::default()
            })
            .await?
            .into_inner();
        let seat = team
            .members
            .into_iter()
            .find(|m| m.id == id)
            .ok_or_else(|| tonic::Status::not_found(format!("seat {id} is not in its account's team")))?;
        Ok(serde_json::to_value(seat).expect("a message serializes"))
    }
}

#[test]
fn only_the_named_time_dependent_fields_are_left_out() {
    let request = serde_json::json!({
        "id": "r-1",
        "firstResponse": {"state": "IN_PROGRESS", "elapsedBusinessMinutes": "3"},
        "resolution": {"state": "IN_PROGRESS"},
    });
    assert_eq!(
        without(request, RUNNING_SLA_CLOCK),
        serde_json::json!({
            "id": "r-1",
            "firstResponse": {"state": "IN_PROGRESS"},
            "resolution": {"state": "IN_PROGRESS"},
        })
    );
    assert_eq!(
        differences(
            &serde_json::json!({"a": {"b": 1}, "c": [1]}),
            &serde_json::json!({"a": {"b": 2}, "c": [1]})
        ),
        [".a.b: 1 ≠ 2"]
    );
}
