//! Parity of the HTTP/JSON API with gRPC, service by service, on both backends: the same operations
//! through REST (`google.api.http` paths, filters and `updateMask` in the query, `If-Match`,
//! `Idempotency-Key`, custom `:verb` methods, NDJSON) and through gRPC give
//!
//! - the same resources: a REST-made resource equals what gRPC reads of it, and equals the one gRPC
//!   made from the same input but for what must differ (ids, timestamps, etags);
//! - the same errors: HTTP status = the AIP-193 mapping of the gRPC code, `error.status` = the code's
//!   name, and the same message, ErrorInfo (reason, domain, metadata), BadRequest field violations and
//!   PreconditionFailure violations;
//! - the same audit rows: method (the gRPC method path), principal, credential, resource type and
//!   changed fields.
//!
//! Requests are built once as the gRPC message; the REST body is that message's proto3 JSON (pbjson),
//! so both paths are given the very same input.

use std::collections::HashMap;

use bytes::Bytes;
use http::Method;
use kam_tests::{
    Caller, SALES_DEPARTMENT, TestServer, assert_failed_precondition, assert_invalid_argument, backend_tests,
    error_details,
    http::{HttpAnswer, HttpClient},
    pb::{
        self, integration_service_client::IntegrationServiceClient,
        opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
        service_level_service_client::ServiceLevelServiceClient,
        webhook_service_client::WebhookServiceClient,
    },
    pbjson_types::{FieldMask, Timestamp},
};
use prost::Message as _;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use tonic::{Code, Status};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------------

/// The fields in which two resources made from the same input must differ.
const STAMPS: &[&str] = &["id", "createTime", "updateTime", "etag"];

/// `STAMPS` and more.
fn stamps_and(more: &[&'static str]) -> Vec<&'static str> {
    [STAMPS, more].concat()
}

/// A message's canonical proto3 JSON (pbjson): the REST body for the same input a gRPC call gets.
fn json_of<T: Serialize>(message: &T) -> Value {
    serde_json::to_value(message).expect("pbjson serializes every message")
}

/// The HTTP answer of a call that must succeed, read back as the gRPC response type (pbjson), so
/// equal messages compare equal whatever spelling of an instant either side chose.
#[track_caller]
fn ok<T: DeserializeOwned>(answer: &HttpAnswer) -> T {
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    let json = answer.json();
    serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{json} is not the message: {e}"))
}

/// `message` as JSON without the `differing` fields (lowerCamelCase; dotted paths go into nested
/// messages and through repeated ones).
fn without<T: Serialize>(message: &T, differing: &[&str]) -> Value {
    fn remove(json: &mut Value, path: &str) {
        match path.split_once('.') {
            None => {
                if let Value::Object(fields) = json {
                    fields.remove(path);
                }
            }
            Some((head, rest)) => match json.get_mut(head) {
                Some(Value::Array(items)) => items.iter_mut().for_each(|item| remove(item, rest)),
                Some(inner) => remove(inner, rest),
                None => {}
            },
        }
    }
    let mut json = json_of(message);
    for path in differing {
        remove(&mut json, path);
    }
    json
}

/// Two resources, one made over REST and one over gRPC from the same input, are equal but for the
/// `differing` fields; when they have ids, those differ (two resources, not one read twice).
#[track_caller]
fn assert_alike<T: Serialize>(rest: &T, grpc: &T, differing: &[&str]) {
    let (rest_json, grpc_json) = (json_of(rest), json_of(grpc));
    if let (Some(a), Some(b)) = (rest_json.get("id"), grpc_json.get("id")) {
        assert_ne!(a, b, "two resources were to be compared, not one");
    }
    let (rest, grpc) = (without(rest, differing), without(grpc, differing));
    assert!(
        rest == grpc,
        "REST and gRPC differ beyond {differing:?}\nREST: {rest:#}\ngRPC: {grpc:#}"
    );
}

/// `If-Match: "<etag>"` with an optional JSON body: a client guarding against lost updates.
async fn if_match(
    api: &HttpClient,
    method: Method,
    path: &str,
    etag: &str,
    body: Option<Value>,
) -> HttpAnswer {
    let etag = format!("\"{etag}\"");
    let mut headers = vec![("if-match", etag.as_str())];
    let body = match body {
        Some(body) => {
            headers.push(("content-type", "application/json"));
            Bytes::from(body.to_string())
        }
        None => Bytes::new(),
    };
    api.send(method, path, &headers, body).await
}

/// The HTTP/JSON API as `caller`.
fn http_as(server: &TestServer, caller: &Caller) -> HttpClient {
    HttpClient::new(server.addr, Some(caller.secret.clone()))
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

fn euros(units: i64) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: "EUR".to_owned(),
        units,
        nanos: 0,
    })
}

fn missing_id() -> String {
    Uuid::now_v7().to_string()
}

/// What AIP-193 answers over HTTP for a gRPC code: the HTTP status and `error.status`.
fn aip193(code: Code) -> (u16, &'static str) {
    match code {
        Code::Ok => (200, "OK"),
        Code::Cancelled => (499, "CANCELLED"),
        Code::Unknown => (500, "UNKNOWN"),
        Code::InvalidArgument => (400, "INVALID_ARGUMENT"),
        Code::DeadlineExceeded => (504, "DEADLINE_EXCEEDED"),
        Code::NotFound => (404, "NOT_FOUND"),
        Code::AlreadyExists => (409, "ALREADY_EXISTS"),
        Code::PermissionDenied => (403, "PERMISSION_DENIED"),
        Code::ResourceExhausted => (429, "RESOURCE_EXHAUSTED"),
        Code::FailedPrecondition => (400, "FAILED_PRECONDITION"),
        Code::Aborted => (409, "ABORTED"),
        Code::OutOfRange => (400, "OUT_OF_RANGE"),
        Code::Unimplemented => (501, "UNIMPLEMENTED"),
        Code::Internal => (500, "INTERNAL"),
        Code::Unavailable => (503, "UNAVAILABLE"),
        Code::DataLoss => (500, "DATA_LOSS"),
        Code::Unauthenticated => (401, "UNAUTHENTICATED"),
    }
}

/// The same refusal both ways: gRPC answered `code` with ErrorInfo `reason`, and the HTTP answer is its
/// AIP-193 form: the mapped status, `error.code`, `error.status`, the same message, the same details
/// (every `@type`, in order) and in them the same ErrorInfo, BadRequest and PreconditionFailure.
#[track_caller]
fn assert_same_error(http: &HttpAnswer, grpc: &Status, code: Code, reason: &str) {
    assert_eq!(grpc.code(), code, "gRPC answered {grpc:?}");
    let details = error_details(grpc);
    let info = details.error_info().expect("checked by error_details");
    assert_eq!(info.reason, reason, "gRPC answered {grpc:?}");

    let body = http.json();
    let (status, name) = aip193(code);
    assert_eq!(http.status, status, "HTTP answered {body}");
    assert_eq!(http.header("content-type"), Some("application/json"));
    assert_eq!(body["error"]["code"], status, "{body}");
    assert_eq!(body["error"]["status"], name, "{body}");
    assert_eq!(body["error"]["message"], grpc.message(), "{body}");

    // Every detail gRPC sent, and nothing else, in the same order.
    let grpc_types: Vec<String> = tonic_types::pb::Status::decode(grpc.details())
        .expect("grpc-status-details-bin is a google.rpc.Status")
        .details
        .into_iter()
        .map(|any| any.type_url)
        .collect();
    let http_types: Vec<String> = body["error"]["details"]
        .as_array()
        .unwrap_or_else(|| panic!("no details in {body}"))
        .iter()
        .map(|detail| detail["@type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(http_types, grpc_types, "{body}");

    let http_info = http
        .error_detail("ErrorInfo")
        .unwrap_or_else(|| panic!("no ErrorInfo in {body}"));
    assert_eq!(http_info["reason"], info.reason, "{body}");
    assert_eq!(http_info["domain"], info.domain, "{body}");
    let metadata: HashMap<String, String> =
        serde_json::from_value(http_info.get("metadata").cloned().unwrap_or_else(|| json!({})))
            .expect("ErrorInfo.metadata is a map of strings");
    assert_eq!(metadata, info.metadata, "{body}");

    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let http_list = |kind: &str, list: &str, keys: [&str; 3]| -> Vec<[String; 3]> {
        http.error_detail(kind)
            .and_then(|detail| detail[list].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|item| keys.map(|key| text(&item[key])))
            .collect()
    };
    let grpc_fields: Vec<[String; 3]> = details
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| [v.field.clone(), v.description.clone(), String::new()])
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        http_list("BadRequest", "fieldViolations", ["field", "description", "-"]),
        grpc_fields,
        "BadRequest of {body}"
    );
    let grpc_rules: Vec<[String; 3]> = details
        .precondition_failure()
        .map(|failure| {
            failure
                .violations
                .iter()
                .map(|v| [v.r#type.clone(), v.subject.clone(), v.description.clone()])
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        http_list(
            "PreconditionFailure",
            "violations",
            ["type", "subject", "description"]
        ),
        grpc_rules,
        "PreconditionFailure of {body}"
    );
}

/// The audit entries of one resource, oldest first.
async fn audit_of(server: &TestServer, resource_id: &str) -> Vec<pb::AuditEntry> {
    let mut entries = server
        .audit()
        .list_audit_entries(pb::ListAuditEntriesRequest {
            resource_id: resource_id.to_owned(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list the audit entries")
        .into_inner()
        .audit_entries;
    entries.reverse();
    entries
}

/// The audit trail of the REST-made resource records the same calls as the gRPC-made one's: the
/// `methods` of `service` in order, each with the same principal (the ADMIN), credential, resource type
/// and changed fields.
async fn assert_same_audit(
    server: &TestServer,
    rest_id: &str,
    grpc_id: &str,
    service: &str,
    methods: &[&str],
) {
    let (rest, grpc) = (audit_of(server, rest_id).await, audit_of(server, grpc_id).await);
    let trail = |entries: &[pb::AuditEntry]| -> Vec<(String, String, String, String, Vec<String>)> {
        entries
            .iter()
            .map(|e| {
                (
                    e.method.clone(),
                    e.principal_id.clone(),
                    e.credential.clone(),
                    e.resource_type.clone(),
                    e.changed_fields.clone(),
                )
            })
            .collect()
    };
    let expected: Vec<String> = methods.iter().map(|m| format!("/kam.v1.{service}/{m}")).collect();
    let written: Vec<String> = rest.iter().map(|e| e.method.clone()).collect();
    assert_eq!(written, expected, "the audit trail of {rest_id}: {rest:#?}");
    assert_eq!(
        trail(&rest),
        trail(&grpc),
        "the audit trails of {rest_id} (REST) and {grpc_id} (gRPC)"
    );
    for entry in &rest {
        assert_eq!(entry.principal_id, server.admin().staff_id, "{entry:?}");
        assert_eq!(entry.resource_id, rest_id, "{entry:?}");
    }
}

// ---------------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------------

fn parity_account() -> pb::Account {
    pb::Account {
        display_name: "Parity Pumps".to_owned(),
        legal_name: "Parity Pumps GmbH".to_owned(),
        industry: "Machinery".to_owned(),
        region: "EMEA".to_owned(),
        lifecycle: pb::Lifecycle::Active as i32,
        ..Default::default()
    }
}

fn parity_contact(account_id: &str) -> pb::Contact {
    pb::Contact {
        account_id: account_id.to_owned(),
        full_name: "Dana Parity".to_owned(),
        title: "Head of Purchasing".to_owned(),
        buying_role: pb::BuyingRole::DecisionMaker as i32,
        man: Some(pb::Man {
            has_money: true,
            has_authority: true,
            has_need: false,
        }),
        attitude: pb::Attitude::Supporter as i32,
        relationship_strength: 4,
        key_dates: vec![pb::KeyDate {
            kind: pb::KeyDateKind::Birthday as i32,
            label: String::new(),
            date: date(0, 3, 14),
            one_time: false,
        }],
        email: "dana@example.com".to_owned(),
        ..Default::default()
    }
}

/// A staff member whose email (unique) carries `tag`, so a list can find both made by a test.
fn parity_staff(tag: &str, path: &str) -> pb::Staff {
    pb::Staff {
        full_name: "Sam Parity".to_owned(),
        email: format!("{tag}-{path}@example.com"),
        department_id: SALES_DEPARTMENT.to_owned(),
        level: pb::StaffLevel::Staff as i32,
        title: "Engineer".to_owned(),
        max_accounts: 10,
        stage_specialties: vec!["LEAD".to_owned()],
        ..Default::default()
    }
}

fn parity_pipeline() -> pb::Pipeline {
    let stage = |key: &str, probability: i32, category: pb::ForecastCategory| pb::PipelineStage {
        key: key.to_owned(),
        display_name: key.to_owned(),
        probability,
        forecast_category: category as i32,
        stall_after_days: 30,
        closed_won: false,
        closed_lost: false,
    };
    use pb::ForecastCategory::{BestCase, Closed, Omitted, Pipeline};
    pb::Pipeline {
        display_name: "Parity pipeline".to_owned(),
        stages: vec![
            stage("OPEN", 20, Pipeline),
            stage("QUALIFIED", 50, BestCase),
            pb::PipelineStage {
                closed_won: true,
                stall_after_days: 0,
                ..stage("WON", 100, Closed)
            },
            pb::PipelineStage {
                closed_lost: true,
                stall_after_days: 0,
                ..stage("LOST", 0, Omitted)
            },
        ],
        qualification_stage_key: "QUALIFIED".to_owned(),
        ..Default::default()
    }
}

fn parity_opportunity(account_id: &str, owner_staff_id: &str) -> pb::Opportunity {
    pb::Opportunity {
        account_id: account_id.to_owned(),
        display_name: "Parity deal".to_owned(),
        owner_staff_id: owner_staff_id.to_owned(),
        amount: euros(50_000),
        expected_close_date: date(2027, 6, 30),
        competitors: vec!["Rival AG".to_owned()],
        source: "Trade fair".to_owned(),
        ..Default::default()
    }
}

/// A weekday three days after today (UTC).
fn weekday_three_days_on() -> pb::DayOfWeek {
    use chrono::Datelike;
    let today = chrono::Utc::now().weekday().number_from_monday() as i32;
    pb::DayOfWeek::try_from((today + 2) % 7 + 1).expect("1..=7 is a day of the week")
}

/// Working time ten minutes a week, on `day` (03:00–03:10 UTC): an SLA clock that starts at the next
/// working minute whenever a request is made. With `day` days away, two requests made seconds apart
/// have the same due times, and nothing elapses while a test runs.
fn parity_calendar(day: pb::DayOfWeek) -> pb::BusinessCalendar {
    pb::BusinessCalendar {
        display_name: "Parity calendar".to_owned(),
        time_zone: "UTC".to_owned(),
        windows: vec![pb::WorkingWindow {
            day: day as i32,
            start_time: "03:00".to_owned(),
            end_time: "03:10".to_owned(),
        }],
        holidays: vec![pb::Holiday {
            date: date(2031, 1, 5),
            display_name: "Parity Day".to_owned(),
        }],
        ..Default::default()
    }
}

fn parity_policy(account_id: &str, calendar_id: &str) -> pb::SlaPolicy {
    use pb::Priority::{P1, P2, P3, P4};
    pb::SlaPolicy {
        display_name: "Parity policy".to_owned(),
        account_id: account_id.to_owned(),
        calendar_id: calendar_id.to_owned(),
        targets: [P1, P2, P3, P4]
            .into_iter()
            .map(|priority| pb::PriorityTargets {
                priority: priority as i32,
                first_response_minutes: 30,
                resolution_minutes: 240,
            })
            .collect(),
        warning_percent: 75,
        escalation_steps: vec![pb::EscalationStep {
            trigger: pb::escalation_step::Trigger::Breached as i32,
            target: pb::SlaTargetKind::Resolution as i32,
            delay_minutes: 10,
            notify_assignee: true,
            roles: vec![pb::TeamRole::AccountManager as i32],
            liaison_department_codes: vec![],
        }],
        ..Default::default()
    }
}

fn parity_request(account_id: &str) -> pb::ServiceRequest {
    pb::ServiceRequest {
        account_id: account_id.to_owned(),
        title: "Pump P-7 leaks".to_owned(),
        description: "Seal worn".to_owned(),
        category: pb::service_request::Category::Repair as i32,
        priority: pb::Priority::P2 as i32,
        ..Default::default()
    }
}

fn parity_plan(account_id: &str) -> pb::AccountPlan {
    pb::AccountPlan {
        account_id: account_id.to_owned(),
        name: "Parity plan 2026".to_owned(),
        period_start: date(2026, 1, 1),
        period_end: date(2026, 12, 31),
        vision: "Preferred supplier".to_owned(),
        revenue_target: euros(120_000),
        share_of_wallet_target_percent: 30,
        objectives: vec![pb::PlanObjective {
            metric: "installed pumps".to_owned(),
            target_value: 40,
            current_value: 10,
            due_date: date(2026, 12, 31),
        }],
        swot: vec![pb::SwotItem {
            kind: pb::swot_item::Kind::Strength as i32,
            text: "Service network".to_owned(),
        }],
        ..Default::default()
    }
}

fn revenue(account_id: &str, external_id: &str, month: i32, units: i64) -> pb::RevenueRecord {
    pb::RevenueRecord {
        external_id: external_id.to_owned(),
        account_id: account_id.to_owned(),
        period: Some(pb::Month { year: 2026, month }),
        amount: euros(units),
        ..Default::default()
    }
}

fn parity_subscription() -> pb::WebhookSubscription {
    // A documentation address (TEST-NET-1), and an event type this test never causes: the dispatcher
    // has nothing to deliver, and moves only the cursor.
    pb::WebhookSubscription {
        url: "https://192.0.2.1/kam-events".to_owned(),
        description: "Parity hook".to_owned(),
        event_types: vec!["AccountUndeleted".to_owned()],
        resource_types: vec!["account".to_owned()],
        ..Default::default()
    }
}

backend_tests! {
    async fn accounts_and_contacts_are_made_changed_refused_and_audited_alike(server: &TestServer) {
        let api = server.http();
        let mut accounts = server.accounts();

        // Create, each with an idempotency key (a header over REST, `request_id` over gRPC).
        let rest_key = Uuid::now_v7().to_string();
        let headers = [
            ("content-type", "application/json"),
            ("idempotency-key", rest_key.as_str()),
        ];
        let body = Bytes::from(json_of(&parity_account()).to_string());
        let rest: pb::Account = ok(&api.send(Method::POST, "/v1/accounts", &headers, body).await);
        let grpc_key = Uuid::now_v7().to_string();
        let grpc = accounts
            .create_account(pb::CreateAccountRequest {
                account: Some(parity_account()),
                request_id: grpc_key.clone(),
            })
            .await
            .expect("create over gRPC")
            .into_inner();
        assert_alike(&rest, &grpc, STAMPS);
        let created_etag = rest.etag.clone();

        // One idempotency key across both paths: a retry over the other path answers the first call's
        // account, and the key with another request is refused alike.
        let retried = accounts
            .create_account(pb::CreateAccountRequest {
                account: Some(parity_account()),
                request_id: rest_key.clone(),
            })
            .await
            .expect("a gRPC retry of the REST call")
            .into_inner();
        assert_eq!(retried, rest);
        let headers = [
            ("content-type", "application/json"),
            ("idempotency-key", grpc_key.as_str()),
        ];
        let body = Bytes::from(json_of(&parity_account()).to_string());
        assert_eq!(
            ok::<pb::Account>(&api.send(Method::POST, "/v1/accounts", &headers, body).await),
            grpc
        );
        let other = pb::Account {
            display_name: "Someone Else".into(),
            ..Default::default()
        };
        let headers = [
            ("content-type", "application/json"),
            ("idempotency-key", rest_key.as_str()),
        ];
        let http = api
            .send(
                Method::POST,
                "/v1/accounts",
                &headers,
                Bytes::from(json_of(&other).to_string()),
            )
            .await;
        let status = accounts
            .create_account(pb::CreateAccountRequest {
                account: Some(other),
                request_id: rest_key.clone(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "request_id");

        // Get: the REST answer is what gRPC reads, and what REST reads.
        let read = accounts
            .get_account(pb::GetAccountRequest { id: rest.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest, read);
        assert_eq!(
            ok::<pb::Account>(&api.get(&format!("/v1/accounts/{}", rest.id)).await),
            read
        );

        // List with filters in the query.
        let listed: pb::ListAccountsResponse = ok(&api
            .get("/v1/accounts?query=parity&region=EMEA&lifecycle=ACTIVE&order_by=create_time&pageSize=10")
            .await);
        let grpc_listed = accounts
            .list_accounts(pb::ListAccountsRequest {
                query: "parity".into(),
                region: "EMEA".into(),
                lifecycle: pb::Lifecycle::Active as i32,
                order_by: "create_time".into(),
                page_size: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        let ids: Vec<&str> = listed.accounts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, [rest.id.as_str(), grpc.id.as_str()]);

        // Update: the mask from the query, the etag from If-Match; `region` is outside the mask.
        let change = pb::Account {
            display_name: "Parity Pumps Group".into(),
            industry: "Pumps".into(),
            region: "ignored".into(),
            ..Default::default()
        };
        let path = format!("/v1/accounts/{}?updateMask=displayName,industry", rest.id);
        let rest: pb::Account =
            ok(&if_match(&api, Method::PATCH, &path, &rest.etag, Some(json_of(&change))).await);
        let grpc = accounts
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account {
                    id: grpc.id.clone(),
                    etag: grpc.etag.clone(),
                    ..change.clone()
                }),
                update_mask: mask(&["display_name", "industry"]),
                change_reason: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest, &grpc, STAMPS);
        assert_eq!(
            (rest.display_name.as_str(), rest.region.as_str()),
            ("Parity Pumps Group", "EMEA")
        );

        // Delete (soft), then the custom method `:undelete`.
        let rest: pb::Account = ok(&if_match(
            &api,
            Method::DELETE,
            &format!("/v1/accounts/{}", rest.id),
            &rest.etag,
            None,
        )
        .await);
        let grpc = accounts
            .delete_account(pb::DeleteAccountRequest {
                id: grpc.id.clone(),
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(rest.delete_time.is_some());
        assert_alike(&rest, &grpc, &stamps_and(&["deleteTime"]));
        let path = format!("/v1/accounts/{}:undelete", rest.id);
        let rest: pb::Account = ok(&if_match(&api, Method::POST, &path, &rest.etag, Some(json!({}))).await);
        let grpc = accounts
            .undelete_account(pb::UndeleteAccountRequest {
                id: grpc.id.clone(),
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest.delete_time, None);
        assert_alike(&rest, &grpc, STAMPS);

        // Contacts: create, list through the account's binding, delete (for good).
        let rest_contact: pb::Contact =
            ok(&api.post("/v1/contacts", json_of(&parity_contact(&rest.id))).await);
        let grpc_contact = accounts
            .create_contact(pb::CreateContactRequest {
                contact: Some(parity_contact(&grpc.id)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_contact, &grpc_contact, &stamps_and(&["accountId"]));
        let listed: pb::ListContactsResponse = ok(&api
            .get(&format!(
                "/v1/accounts/{}/contacts?query=dana&buyingRole=DECISION_MAKER",
                rest.id
            ))
            .await);
        let grpc_listed = accounts
            .list_contacts(pb::ListContactsRequest {
                account_id: rest.id.clone(),
                query: "dana".into(),
                buying_role: pb::BuyingRole::DecisionMaker as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        assert_eq!(listed.contacts, std::slice::from_ref(&rest_contact));
        let path = format!("/v1/contacts/{}", rest_contact.id);
        let deleted: pb::DeleteContactResponse =
            ok(&if_match(&api, Method::DELETE, &path, &rest_contact.etag, None).await);
        let grpc_deleted = accounts
            .delete_contact(pb::DeleteContactRequest {
                id: grpc_contact.id.clone(),
                etag: grpc_contact.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(deleted, grpc_deleted);

        // The same refusals both ways (each provoked on the same target, which a refusal leaves as it was).
        let missing = missing_id();
        let http = api.get(&format!("/v1/accounts/{missing}")).await;
        let status = accounts
            .get_account(pb::GetAccountRequest { id: missing })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::NotFound, "ACCOUNT_NOT_FOUND");

        let nameless = pb::Account {
            industry: "Machinery".into(),
            ..Default::default()
        };
        let http = api.post("/v1/accounts", json_of(&nameless)).await;
        let status = accounts
            .create_account(pb::CreateAccountRequest {
                account: Some(nameless),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "account.display_name");

        // A taken ERP key, quoted in the message: non-ASCII survives gRPC's percent-encoded message.
        let taken = pb::Account {
            external_id: "ERP-Müller-1".into(),
            ..parity_account()
        };
        accounts
            .create_account(pb::CreateAccountRequest {
                account: Some(taken.clone()),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let http = api.post("/v1/accounts", json_of(&taken)).await;
        let status = accounts
            .create_account(pb::CreateAccountRequest {
                account: Some(taken),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::AlreadyExists, "ACCOUNT_ALREADY_EXISTS");
        assert!(status.message().contains("Müller"), "{status:?}");

        let orphan = pb::Account {
            parent_account_id: missing_id(),
            ..Default::default()
        };
        let path = format!("/v1/accounts/{}?updateMask=parentAccountId", rest.id);
        let http = api.patch(&path, json_of(&orphan)).await;
        let status = accounts
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account {
                    id: rest.id.clone(),
                    ..orphan
                }),
                update_mask: mask(&["parent_account_id"]),
                change_reason: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::FailedPrecondition, "PARENT_NOT_FOUND");

        let path = format!("/v1/accounts/{}?updateMask=industry", rest.id);
        let http = if_match(
            &api,
            Method::PATCH,
            &path,
            &created_etag,
            Some(json!({"industry": "Stale"})),
        )
        .await;
        let status = accounts
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account {
                    id: rest.id.clone(),
                    industry: "Stale".into(),
                    etag: created_etag.clone(),
                    ..Default::default()
                }),
                update_mask: mask(&["industry"]),
                change_reason: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::Aborted, "ETAG_MISMATCH");

        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let http = http_as(server, &member)
            .delete(&format!("/v1/accounts/{}", rest.id))
            .await;
        let status = member
            .accounts()
            .delete_account(pb::DeleteAccountRequest {
                id: rest.id.clone(),
                etag: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::PermissionDenied, "PERMISSION_DENIED");

        // The same audit rows; each create keeps its own idempotency key.
        let methods = [
            "CreateAccount",
            "UpdateAccount",
            "DeleteAccount",
            "UndeleteAccount",
        ];
        assert_same_audit(server, &rest.id, &grpc.id, "AccountService", &methods).await;
        assert_same_audit(
            server,
            &rest_contact.id,
            &grpc_contact.id,
            "AccountService",
            &["CreateContact", "DeleteContact"],
        )
        .await;
        assert_eq!(audit_of(server, &rest.id).await[0].request_id, rest_key);
        assert_eq!(audit_of(server, &grpc.id).await[0].request_id, grpc_key);
    }

    async fn staff_and_team_seats_are_made_changed_refused_and_audited_alike(server: &TestServer) {
        let api = server.http();
        let mut teams = server.teams();
        let tag = Uuid::now_v7().simple().to_string();

        // Staff: create, get, list by a filter in the query, update, deactivate and reactivate.
        let rest: pb::Staff = ok(&api.post("/v1/staff", json_of(&parity_staff(&tag, "rest"))).await);
        let grpc = teams
            .create_staff(pb::CreateStaffRequest {
                staff: Some(parity_staff(&tag, "grpc")),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest, &grpc, &stamps_and(&["email"]));
        let created_etag = rest.etag.clone();
        let read = teams
            .get_staff(pb::GetStaffRequest { id: rest.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest, read);
        assert_eq!(
            ok::<pb::Staff>(&api.get(&format!("/v1/staff/{}", rest.id)).await),
            read
        );

        let listed: pb::ListStaffResponse = ok(&api
            .get(&format!(
                "/v1/staff?query={tag}&level=STAFF&departmentId={SALES_DEPARTMENT}"
            ))
            .await);
        let grpc_listed = teams
            .list_staff(pb::ListStaffRequest {
                query: tag.clone(),
                level: pb::StaffLevel::Staff as i32,
                department_id: SALES_DEPARTMENT.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        assert_eq!(listed.staff.len(), 2);

        let change = pb::Staff {
            title: "Senior Engineer".into(),
            max_accounts: 12,
            ..Default::default()
        };
        let path = format!("/v1/staff/{}?updateMask=title,maxAccounts", rest.id);
        let rest: pb::Staff =
            ok(&if_match(&api, Method::PATCH, &path, &rest.etag, Some(json_of(&change))).await);
        let grpc = teams
            .update_staff(pb::UpdateStaffRequest {
                staff: Some(pb::Staff {
                    id: grpc.id.clone(),
                    etag: grpc.etag.clone(),
                    ..change
                }),
                update_mask: mask(&["title", "max_accounts"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest, &grpc, &stamps_and(&["email"]));

        // Team seats: add, list with history, change the role, remove (its reason in the query).
        let account = server.create_account("Parity Team Account").await;
        let seat = |staff_id: &str| pb::TeamMember {
            account_id: account.id.clone(),
            staff_id: staff_id.to_owned(),
            role: pb::TeamRole::SolutionEngineer as i32,
            ..Default::default()
        };
        let rest_seat: pb::TeamMember = ok(&api.post("/v1/teamMembers", json_of(&seat(&rest.id))).await);
        let grpc_seat = teams
            .add_team_member(pb::AddTeamMemberRequest {
                member: Some(seat(&grpc.id)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let seat_differs = ["id", "staffId", "startTime", "endTime", "etag"];
        assert_alike(&rest_seat, &grpc_seat, &seat_differs);

        let role = pb::TeamMember {
            role: pb::TeamRole::ServiceLead as i32,
            ..Default::default()
        };
        let path = format!("/v1/teamMembers/{}?updateMask=role", rest_seat.id);
        let rest_seat: pb::TeamMember =
            ok(&if_match(&api, Method::PATCH, &path, &rest_seat.etag, Some(json_of(&role))).await);
        let grpc_seat = teams
            .update_team_member(pb::UpdateTeamMemberRequest {
                member: Some(pb::TeamMember {
                    id: grpc_seat.id.clone(),
                    etag: grpc_seat.etag.clone(),
                    ..role
                }),
                update_mask: mask(&["role"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_seat, &grpc_seat, &seat_differs);

        // Reports, with a repeated field given by repeating its query parameter (in either spelling).
        let path = format!("/v1/staff:workload?staffIds={}&staff_ids={}", rest.id, grpc.id);
        let workload: pb::GetWorkloadResponse = ok(&api.get(&path).await);
        let grpc_workload = teams
            .get_workload(pb::GetWorkloadRequest {
                staff_ids: vec![rest.id.clone(), grpc.id.clone()],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(workload, grpc_workload);
        let active: Vec<i32> = workload.workloads.iter().map(|w| w.active_accounts).collect();
        assert_eq!(active, [1, 1]);
        let coverage: pb::GetCoverageReportResponse = ok(&api
            .get("/v1/accounts:coverageReport?tiers=STANDARD&tiers=KEY&gapsOnly=false")
            .await);
        let grpc_coverage = teams
            .get_coverage_report(pb::GetCoverageReportRequest {
                tiers: vec![pb::Tier::Standard as i32, pb::Tier::Key as i32],
                gaps_only: false,
                segments: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(coverage, grpc_coverage);

        // Holding a seat, the staff member cannot be deactivated: the same refusal both ways.
        let http = api
            .post(&format!("/v1/staff/{}:deactivate", rest.id), json!({}))
            .await;
        let status = teams
            .deactivate_staff(pb::DeactivateStaffRequest {
                id: rest.id.clone(),
                etag: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::FailedPrecondition, "HAS_RESPONSIBILITIES");
        assert_failed_precondition(&status, "HAS_RESPONSIBILITIES");

        let path = format!("/v1/teamMembers/{}?reason=moved%20on", rest_seat.id);
        let rest_seat: pb::TeamMember =
            ok(&if_match(&api, Method::DELETE, &path, &rest_seat.etag, None).await);
        let grpc_seat = teams
            .remove_team_member(pb::RemoveTeamMemberRequest {
                id: grpc_seat.id.clone(),
                etag: grpc_seat.etag.clone(),
                reason: "moved on".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest_seat.end_reason, "moved on");
        assert_alike(&rest_seat, &grpc_seat, &seat_differs);
        let history: pb::ListTeamMembersResponse = ok(&api
            .get(&format!(
                "/v1/accounts/{}/teamMembers?includeHistory=true",
                account.id
            ))
            .await);
        let grpc_history = teams
            .list_team_members(pb::ListTeamMembersRequest {
                account_id: account.id.clone(),
                include_history: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(history, grpc_history);
        assert_eq!(history.members, [rest_seat.clone(), grpc_seat.clone()]);

        // The custom methods `:deactivate` and `:reactivate`.
        let path = format!("/v1/staff/{}:deactivate", rest.id);
        let rest: pb::Staff = ok(&if_match(&api, Method::POST, &path, &rest.etag, Some(json!({}))).await);
        let grpc = teams
            .deactivate_staff(pb::DeactivateStaffRequest {
                id: grpc.id.clone(),
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(!rest.active);
        assert_alike(&rest, &grpc, &stamps_and(&["email"]));
        let path = format!("/v1/staff/{}:reactivate", rest.id);
        let rest: pb::Staff = ok(&if_match(&api, Method::POST, &path, &rest.etag, Some(json!({}))).await);
        let grpc = teams
            .reactivate_staff(pb::ReactivateStaffRequest {
                id: grpc.id.clone(),
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(rest.active);
        assert_alike(&rest, &grpc, &stamps_and(&["email"]));

        // Refusals.
        let missing = missing_id();
        let http = api.get(&format!("/v1/staff/{missing}")).await;
        let status = teams
            .get_staff(pb::GetStaffRequest { id: missing })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::NotFound, "STAFF_NOT_FOUND");

        let no_email = pb::Staff {
            email: String::new(),
            ..parity_staff(&tag, "none")
        };
        let http = api.post("/v1/staff", json_of(&no_email)).await;
        let status = teams
            .create_staff(pb::CreateStaffRequest {
                staff: Some(no_email),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "staff.email");

        let path = format!("/v1/staff/{}?updateMask=title", rest.id);
        let http = if_match(
            &api,
            Method::PATCH,
            &path,
            &created_etag,
            Some(json!({"title": "Stale"})),
        )
        .await;
        let status = teams
            .update_staff(pb::UpdateStaffRequest {
                staff: Some(pb::Staff {
                    id: rest.id.clone(),
                    title: "Stale".into(),
                    etag: created_etag.clone(),
                    ..Default::default()
                }),
                update_mask: mask(&["title"]),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::Aborted, "ETAG_MISMATCH");

        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let http = http_as(server, &member)
            .post("/v1/staff", json_of(&parity_staff(&tag, "member")))
            .await;
        let status = member
            .teams()
            .create_staff(pb::CreateStaffRequest {
                staff: Some(parity_staff(&tag, "member")),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::PermissionDenied, "PERMISSION_DENIED");

        // Audit.
        let methods = ["CreateStaff", "UpdateStaff", "DeactivateStaff", "ReactivateStaff"];
        assert_same_audit(server, &rest.id, &grpc.id, "TeamService", &methods).await;
        let methods = ["AddTeamMember", "UpdateTeamMember", "RemoveTeamMember"];
        assert_same_audit(server, &rest_seat.id, &grpc_seat.id, "TeamService", &methods).await;
    }

    async fn keys_and_roles_are_made_revoked_refused_and_audited_alike(server: &TestServer) {
        let api = server.http();
        let mut identity = server.identity();
        let rest_staff = server.create_staff(pb::StaffLevel::Staff).await;
        let grpc_staff = server.create_staff(pb::StaffLevel::Staff).await;

        // Who am I: the same answer for the same credential.
        let me: pb::WhoAmIResponse = ok(&api.get("/v1/me").await);
        assert_eq!(
            me,
            identity
                .who_am_i(pb::WhoAmIRequest {})
                .await
                .unwrap()
                .into_inner()
        );

        // Roles: replace (PUT), then read.
        let roles = json!({"roles": ["ROLE_SERVICE_AGENT", "ROLE_MEMBER"]});
        let rest_roles: pb::StaffRoles = ok(&api
            .put(&format!("/v1/staff/{}/roles", rest_staff.id), roles)
            .await);
        let grpc_roles = identity
            .set_staff_roles(pb::SetStaffRolesRequest {
                staff_id: grpc_staff.id.clone(),
                roles: vec![pb::Role::ServiceAgent as i32, pb::Role::Member as i32],
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_roles, &grpc_roles, &["staffId"]);
        let read = identity
            .get_staff_roles(pb::GetStaffRolesRequest {
                staff_id: rest_staff.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            ok::<pb::StaffRoles>(&api.get(&format!("/v1/staff/{}/roles", rest_staff.id)).await),
            read
        );
        assert_eq!(rest_roles, read);

        // API keys: create (for someone else, as the ADMIN may), use, list by a filter, revoke.
        let expire_time = Some(Timestamp {
            seconds: 4_102_444_800,
            nanos: 0,
        });
        let key_for = |staff_id: &str| pb::CreateApiKeyRequest {
            staff_id: staff_id.to_owned(),
            display_name: "Parity key".to_owned(),
            expire_time,
        };
        let rest: pb::CreateApiKeyResponse =
            ok(&api.post("/v1/apiKeys", json_of(&key_for(&rest_staff.id))).await);
        let grpc = identity
            .create_api_key(key_for(&grpc_staff.id))
            .await
            .unwrap()
            .into_inner();
        let key_differs = [
            "apiKey.id",
            "apiKey.staffId",
            "apiKey.prefix",
            "apiKey.createTime",
            "secret",
        ];
        assert_alike(&rest, &grpc, &key_differs);
        let (rest_key, grpc_key) = (rest.api_key.clone().unwrap(), grpc.api_key.clone().unwrap());

        let rest_me: pb::WhoAmIResponse = ok(&HttpClient::new(server.addr, Some(rest.secret.clone()))
            .get("/v1/me")
            .await);
        let grpc_me = server
            .caller(grpc_staff.id.clone(), grpc.secret.clone())
            .identity()
            .who_am_i(pb::WhoAmIRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_me, &grpc_me, &["staffId", "fullName", "email", "apiKeyId"]);
        assert_eq!(rest_me.api_key_id, rest_key.id);

        let path = format!("/v1/apiKeys?staffId={}&showRevoked=true", rest_staff.id);
        let listed: pb::ListApiKeysResponse = ok(&api.get(&path).await);
        let grpc_listed = identity
            .list_api_keys(pb::ListApiKeysRequest {
                staff_id: rest_staff.id.clone(),
                show_revoked: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        assert_eq!(listed.api_keys.len(), 1);

        let revoked: pb::ApiKey = ok(&api
            .post(&format!("/v1/apiKeys/{}:revoke", rest_key.id), json!({}))
            .await);
        let grpc_revoked = identity
            .revoke_api_key(pb::RevokeApiKeyRequest {
                id: grpc_key.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(revoked.revoke_time.is_some());
        assert_alike(
            &revoked,
            &grpc_revoked,
            &[
                "id",
                "staffId",
                "prefix",
                "createTime",
                "revokeTime",
                "lastUseTime",
            ],
        );
        let listed: pb::ListApiKeysResponse = ok(&api
            .get(&format!("/v1/staff/{}/apiKeys?showRevoked=true", rest_staff.id))
            .await);
        assert_eq!(listed.api_keys, std::slice::from_ref(&revoked));

        // Refusals (identity has no etags, hence no ABORTED).
        let missing = missing_id();
        let http = api
            .post(&format!("/v1/apiKeys/{missing}:revoke"), json!({}))
            .await;
        let status = identity
            .revoke_api_key(pb::RevokeApiKeyRequest { id: missing })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::NotFound, "API_KEY_NOT_FOUND");

        let unnamed = pb::CreateApiKeyRequest {
            display_name: String::new(),
            ..key_for(&rest_staff.id)
        };
        let http = api.post("/v1/apiKeys", json_of(&unnamed)).await;
        let status = identity.create_api_key(unnamed).await.unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "display_name");

        let http = api
            .post(&format!("/v1/apiKeys/{}:revoke", rest_key.id), json!({}))
            .await;
        let status = identity
            .revoke_api_key(pb::RevokeApiKeyRequest {
                id: rest_key.id.clone(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::FailedPrecondition, "KEY_REVOKED");

        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let roles = json!({"roles": ["ROLE_ADMIN"]});
        let http = http_as(server, &member)
            .put(&format!("/v1/staff/{}/roles", member.staff_id), roles)
            .await;
        let status = member
            .identity()
            .set_staff_roles(pb::SetStaffRolesRequest {
                staff_id: member.staff_id.clone(),
                roles: vec![pb::Role::Admin as i32],
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::PermissionDenied, "PERMISSION_DENIED");

        // Audit.
        assert_same_audit(
            server,
            &rest_key.id,
            &grpc_key.id,
            "IdentityService",
            &["CreateApiKey", "RevokeApiKey"],
        )
        .await;
        let rest_trail = audit_of(server, &rest_staff.id).await;
        assert_eq!(
            rest_trail.iter().map(|e| e.method.as_str()).collect::<Vec<_>>(),
            [
                "/kam.v1.TeamService/CreateStaff",
                "/kam.v1.IdentityService/SetStaffRoles"
            ]
        );
        let grpc_trail = audit_of(server, &grpc_staff.id).await;
        let fields = |trail: &[pb::AuditEntry]| -> Vec<(String, String, Vec<String>)> {
            trail
                .iter()
                .map(|e| {
                    (
                        e.method.clone(),
                        e.resource_type.clone(),
                        e.changed_fields.clone(),
                    )
                })
                .collect()
        };
        assert_eq!(fields(&rest_trail), fields(&grpc_trail));
    }

    async fn audit_entries_list_and_page_alike_with_filters_in_the_query(server: &TestServer) {
        let api = server.http();
        let mut audit = server.audit();
        let first = server.create_account("Audited One").await;
        let second: pb::Account = ok(&api
            .post("/v1/accounts", json!({"displayName": "Audited Two"}))
            .await);
        let third = server.create_account("Audited Three").await;
        let start = first.create_time.expect("a create time");
        let start_text = json_of(&start)
            .as_str()
            .expect("a Timestamp is a JSON string")
            .to_owned();
        let admin = server.admin().staff_id.clone();

        // Page by two through both paths; each path continues with the other's page token.
        let request = |page_token: String| pb::ListAuditEntriesRequest {
            page_size: 2,
            page_token,
            resource_type: "account".into(),
            principal_id: admin.clone(),
            start_time: Some(start),
            ..Default::default()
        };
        let mut token = String::new();
        let mut entries = Vec::new();
        for page in 0.. {
            let path = format!(
                "/v1/auditEntries?pageSize=2&resourceType=account&principalId={admin}\
                 &startTime={}&pageToken={}",
                kam_tests::http::urlencode(&start_text),
                kam_tests::http::urlencode(&token)
            );
            let rest: pb::ListAuditEntriesResponse = ok(&api.get(&path).await);
            let grpc = audit
                .list_audit_entries(request(token.clone()))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(rest.audit_entries, grpc.audit_entries, "page {page}");
            assert_eq!(
                rest.next_page_token.is_empty(),
                grpc.next_page_token.is_empty(),
                "page {page}"
            );
            entries.extend(rest.audit_entries);
            token = if page % 2 == 0 {
                rest.next_page_token
            } else {
                grpc.next_page_token
            };
            if token.is_empty() {
                break;
            }
        }
        let methods: Vec<&str> = entries.iter().map(|e| e.method.as_str()).collect();
        assert_eq!(
            methods, ["/kam.v1.AccountService/CreateAccount"; 3],
            "{entries:#?}"
        );
        let audited: Vec<&str> = entries.iter().map(|e| e.resource_id.as_str()).collect();
        assert_eq!(
            audited,
            [third.id.as_str(), second.id.as_str(), first.id.as_str()],
            "newest first"
        );

        // Refusals (nothing to find or to guard by etag here: no NOT_FOUND, FAILED_PRECONDITION, ABORTED).
        let http = api.get("/v1/auditEntries?pageSize=-1").await;
        let status = audit
            .list_audit_entries(pb::ListAuditEntriesRequest {
                page_size: -1,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "page_size");

        let other_filter = audit
            .list_audit_entries(request(String::new()))
            .await
            .unwrap()
            .into_inner()
            .next_page_token;
        let http = api
            .get(&format!(
                "/v1/auditEntries?resourceType=staff&pageToken={}",
                kam_tests::http::urlencode(&other_filter)
            ))
            .await;
        let status = audit
            .list_audit_entries(pb::ListAuditEntriesRequest {
                resource_type: "staff".into(),
                page_token: other_filter,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "page_token");

        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let http = http_as(server, &member).get("/v1/auditEntries").await;
        let status = member
            .audit()
            .list_audit_entries(pb::ListAuditEntriesRequest::default())
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::PermissionDenied, "PERMISSION_DENIED");
    }

    async fn pipelines_and_opportunities_move_close_reopen_and_refuse_alike(server: &TestServer) {
        let api = server.http();
        let mut deals = OpportunityServiceClient::new(server.channel());
        let account = server.create_account("Parity Deals").await;
        let owner = server.create_staff(pb::StaffLevel::Staff).await;

        // Pipelines: create, get, list, update.
        let rest_pipeline: pb::Pipeline = ok(&api.post("/v1/pipelines", json_of(&parity_pipeline())).await);
        let grpc_pipeline = deals
            .create_pipeline(pb::CreatePipelineRequest {
                pipeline: Some(parity_pipeline()),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_pipeline, &grpc_pipeline, STAMPS);
        let read = deals
            .get_pipeline(pb::GetPipelineRequest {
                id: rest_pipeline.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            ok::<pb::Pipeline>(&api.get(&format!("/v1/pipelines/{}", rest_pipeline.id)).await),
            read
        );
        assert_eq!(rest_pipeline, read);
        let listed: pb::ListPipelinesResponse = ok(&api.get("/v1/pipelines?pageSize=100").await);
        let grpc_listed = deals
            .list_pipelines(pb::ListPipelinesRequest {
                page_size: 100,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        let renamed = pb::Pipeline {
            display_name: "Parity pipeline v2".into(),
            ..Default::default()
        };
        let path = format!("/v1/pipelines/{}?updateMask=displayName", rest_pipeline.id);
        let rest_pipeline: pb::Pipeline = ok(&if_match(
            &api,
            Method::PATCH,
            &path,
            &rest_pipeline.etag,
            Some(json_of(&renamed)),
        )
        .await);
        let grpc_pipeline = deals
            .update_pipeline(pb::UpdatePipelineRequest {
                pipeline: Some(pb::Pipeline {
                    id: grpc_pipeline.id.clone(),
                    etag: grpc_pipeline.etag.clone(),
                    ..renamed
                }),
                update_mask: mask(&["display_name"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_pipeline, &grpc_pipeline, STAMPS);

        // Opportunities: create, get, list by filters, update, and the custom methods.
        let input = parity_opportunity(&account.id, &owner.id);
        let rest: pb::Opportunity = ok(&api.post("/v1/opportunities", json_of(&input)).await);
        let grpc = deals
            .create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(input),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let deal_differs = stamps_and(&["stageEnterTime", "closeTime"]);
        assert_alike(&rest, &grpc, &deal_differs);
        let created_etag = rest.etag.clone();
        let read = deals
            .get_opportunity(pb::GetOpportunityRequest { id: rest.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            ok::<pb::Opportunity>(&api.get(&format!("/v1/opportunities/{}", rest.id)).await),
            read
        );
        assert_eq!(rest, read);

        let path = format!(
            "/v1/accounts/{}/opportunities?stage=LEAD&openOnly=true&query=parity",
            account.id
        );
        let listed: pb::ListOpportunitiesResponse = ok(&api.get(&path).await);
        let grpc_listed = deals
            .list_opportunities(pb::ListOpportunitiesRequest {
                account_id: account.id.clone(),
                stage: "LEAD".into(),
                open_only: true,
                query: "parity".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        assert_eq!(listed.opportunities.len(), 2);

        let qualified = pb::Opportunity {
            next_step: "Send the offer".into(),
            qualification: Some(pb::Qualification {
                budget_confirmed: true,
                authority_confirmed: true,
                need_confirmed: true,
            }),
            ..Default::default()
        };
        let path = format!("/v1/opportunities/{}?updateMask=nextStep,qualification", rest.id);
        let rest: pb::Opportunity =
            ok(&if_match(&api, Method::PATCH, &path, &rest.etag, Some(json_of(&qualified))).await);
        let grpc = deals
            .update_opportunity(pb::UpdateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    id: grpc.id.clone(),
                    etag: grpc.etag.clone(),
                    ..qualified
                }),
                update_mask: mask(&["next_step", "qualification"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest, &grpc, &deal_differs);

        let path = format!("/v1/opportunities/{}:moveStage", rest.id);
        let rest: pb::Opportunity = ok(&if_match(
            &api,
            Method::POST,
            &path,
            &rest.etag,
            Some(json!({"stage": "QUALIFIED"})),
        )
        .await);
        let grpc = deals
            .move_opportunity_stage(pb::MoveOpportunityStageRequest {
                id: grpc.id.clone(),
                stage: "QUALIFIED".into(),
                stage_owner_staff_id: String::new(),
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest.stage, "QUALIFIED");
        assert_alike(&rest, &grpc, &deal_differs);

        let close = json!({
            "outcome": "LOST",
            "reasonCode": "PRICE",
            "note": "Too dear",
            "lostToCompetitor": "Rival AG",
        });
        let path = format!("/v1/opportunities/{}:close", rest.id);
        let rest: pb::Opportunity = ok(&if_match(&api, Method::POST, &path, &rest.etag, Some(close)).await);
        let grpc = deals
            .close_opportunity(pb::CloseOpportunityRequest {
                id: grpc.id.clone(),
                outcome: pb::Outcome::Lost as i32,
                reason_code: "PRICE".into(),
                note: "Too dear".into(),
                lost_to_competitor: "Rival AG".into(),
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest.outcome, pb::Outcome::Lost as i32);
        assert_alike(&rest, &grpc, &deal_differs);

        let path = format!("/v1/opportunities/{}:reopen", rest.id);
        let rest: pb::Opportunity = ok(&if_match(
            &api,
            Method::POST,
            &path,
            &rest.etag,
            Some(json!({"reason": "They called back"})),
        )
        .await);
        let grpc = deals
            .reopen_opportunity(pb::ReopenOpportunityRequest {
                id: grpc.id.clone(),
                stage: String::new(),
                reason: "They called back".into(),
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest, &grpc, &deal_differs);

        let history: pb::ListStageHistoryResponse = ok(&api
            .get(&format!("/v1/opportunities/{}/stageHistory", rest.id))
            .await);
        let grpc_history = deals
            .list_stage_history(pb::ListStageHistoryRequest {
                opportunity_id: grpc.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(history.changes.len(), 4, "{history:#?}");
        assert_alike(
            &history,
            &grpc_history,
            &["changes.id", "changes.opportunityId", "changes.changeTime"],
        );

        // Analytics narrowed by a nested filter in the query (`filter.accountId`, `filter.startTime`).
        let filter = pb::FunnelFilter {
            account_id: account.id.clone(),
            start_time: Some(Timestamp {
                seconds: 1_577_836_800,
                nanos: 0,
            }),
            ..Default::default()
        };
        let query = format!(
            "filter.accountId={}&filter.startTime=2020-01-01T00:00:00Z",
            account.id
        );
        let summary: pb::GetFunnelSummaryResponse =
            ok(&api.get(&format!("/v1/opportunities:funnelSummary?{query}")).await);
        let grpc_summary = deals
            .get_funnel_summary(pb::GetFunnelSummaryRequest {
                filter: Some(filter.clone()),
                group_by: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(summary, grpc_summary);
        let counted: i64 = summary.stages.iter().map(|s| s.count).sum();
        assert_eq!(counted, 2, "{summary:#?}");
        let conversion: pb::GetConversionReportResponse = ok(&api
            .get(&format!("/v1/opportunities:conversionReport?{query}"))
            .await);
        let grpc_conversion = deals
            .get_conversion_report(pb::GetConversionReportRequest { filter: Some(filter) })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(conversion, grpc_conversion);

        // Refusals.
        let missing = missing_id();
        let http = api.get(&format!("/v1/opportunities/{missing}")).await;
        let status = deals
            .get_opportunity(pb::GetOpportunityRequest { id: missing })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::NotFound, "OPPORTUNITY_NOT_FOUND");

        let nameless = pb::Opportunity {
            display_name: String::new(),
            ..parity_opportunity(&account.id, &owner.id)
        };
        let http = api.post("/v1/opportunities", json_of(&nameless)).await;
        let status = deals
            .create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(nameless),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "opportunity.display_name");

        let unqualified = deals
            .create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(parity_opportunity(&account.id, &owner.id)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let http = api
            .post(
                &format!("/v1/opportunities/{}:moveStage", unqualified.id),
                json!({"stage": "QUALIFIED"}),
            )
            .await;
        let status = deals
            .move_opportunity_stage(pb::MoveOpportunityStageRequest {
                id: unqualified.id.clone(),
                stage: "QUALIFIED".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::FailedPrecondition, "MAN_REQUIRED");

        let path = format!("/v1/opportunities/{}:moveStage", rest.id);
        let http = if_match(
            &api,
            Method::POST,
            &path,
            &created_etag,
            Some(json!({"stage": "PROPOSAL"})),
        )
        .await;
        let status = deals
            .move_opportunity_stage(pb::MoveOpportunityStageRequest {
                id: rest.id.clone(),
                stage: "PROPOSAL".into(),
                stage_owner_staff_id: String::new(),
                etag: created_etag.clone(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::Aborted, "ETAG_MISMATCH");

        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let http = http_as(server, &member)
            .get(&format!("/v1/opportunities/{}", rest.id))
            .await;
        let status = OpportunityServiceClient::new(member.channel())
            .get_opportunity(pb::GetOpportunityRequest { id: rest.id.clone() })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::PermissionDenied, "PERMISSION_DENIED");

        // Audit.
        let service = "OpportunityService";
        assert_same_audit(
            server,
            &rest_pipeline.id,
            &grpc_pipeline.id,
            service,
            &["CreatePipeline", "UpdatePipeline"],
        )
        .await;
        let methods = [
            "CreateOpportunity",
            "UpdateOpportunity",
            "MoveOpportunityStage",
            "CloseOpportunity",
            "ReopenOpportunity",
        ];
        assert_same_audit(server, &rest.id, &grpc.id, service, &methods).await;
    }

    async fn calendars_policies_and_service_requests_are_worked_and_refused_alike(server: &TestServer) {
        let api = server.http();
        let mut levels = ServiceLevelServiceClient::new(server.channel());
        let rest_account = server.create_account("Parity Service A").await;
        let grpc_account = server.create_account("Parity Service B").await;
        let day = weekday_three_days_on();

        // Business calendars: create, get, list, update.
        let rest_calendar: pb::BusinessCalendar = ok(&api
            .post("/v1/businessCalendars", json_of(&parity_calendar(day)))
            .await);
        let grpc_calendar = levels
            .create_business_calendar(pb::CreateBusinessCalendarRequest {
                calendar: Some(parity_calendar(day)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_calendar, &grpc_calendar, STAMPS);
        let read = levels
            .get_business_calendar(pb::GetBusinessCalendarRequest {
                id: rest_calendar.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            ok::<pb::BusinessCalendar>(
                &api.get(&format!("/v1/businessCalendars/{}", rest_calendar.id))
                    .await
            ),
            read
        );
        let listed: pb::ListBusinessCalendarsResponse =
            ok(&api.get("/v1/businessCalendars?pageSize=100").await);
        let grpc_listed = levels
            .list_business_calendars(pb::ListBusinessCalendarsRequest {
                page_size: 100,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        let renamed = pb::BusinessCalendar {
            display_name: "Parity calendar v2".into(),
            ..Default::default()
        };
        let path = format!(
            "/v1/businessCalendars/{}?updateMask=displayName",
            rest_calendar.id
        );
        let rest_calendar: pb::BusinessCalendar = ok(&if_match(
            &api,
            Method::PATCH,
            &path,
            &rest_calendar.etag,
            Some(json_of(&renamed)),
        )
        .await);
        let grpc_calendar = levels
            .update_business_calendar(pb::UpdateBusinessCalendarRequest {
                calendar: Some(pb::BusinessCalendar {
                    id: grpc_calendar.id.clone(),
                    etag: grpc_calendar.etag.clone(),
                    ..renamed
                }),
                update_mask: mask(&["display_name"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_calendar, &grpc_calendar, STAMPS);

        // SLA policies, one per account, both on the sparse calendar: create, list by account, update.
        let calendar = rest_calendar.id.clone();
        let rest_policy: pb::SlaPolicy = ok(&api
            .post(
                "/v1/slaPolicies",
                json_of(&parity_policy(&rest_account.id, &calendar)),
            )
            .await);
        let grpc_policy = levels
            .create_sla_policy(pb::CreateSlaPolicyRequest {
                policy: Some(parity_policy(&grpc_account.id, &calendar)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let policy_differs = stamps_and(&["accountId"]);
        assert_alike(&rest_policy, &grpc_policy, &policy_differs);
        let listed: pb::ListSlaPoliciesResponse = ok(&api
            .get(&format!("/v1/slaPolicies?accountId={}", rest_account.id))
            .await);
        let grpc_listed = levels
            .list_sla_policies(pb::ListSlaPoliciesRequest {
                account_id: rest_account.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        assert_eq!(listed.policies, std::slice::from_ref(&rest_policy));
        let warning = pb::SlaPolicy {
            warning_percent: 90,
            display_name: "Parity policy v2".into(),
            ..Default::default()
        };
        let path = format!(
            "/v1/slaPolicies/{}?updateMask=warningPercent,displayName",
            rest_policy.id
        );
        let rest_policy: pb::SlaPolicy = ok(&if_match(
            &api,
            Method::PATCH,
            &path,
            &rest_policy.etag,
            Some(json_of(&warning)),
        )
        .await);
        let grpc_policy = levels
            .update_sla_policy(pb::UpdateSlaPolicyRequest {
                policy: Some(pb::SlaPolicy {
                    id: grpc_policy.id.clone(),
                    etag: grpc_policy.etag.clone(),
                    ..warning
                }),
                update_mask: mask(&["warning_percent", "display_name"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_policy, &grpc_policy, &policy_differs);

        // Service requests, each getting its account's policy: create, get, list, update, status, response.
        let request_differs = stamps_and(&[
            "accountId",
            "sla.policyId",
            "sla.applyTime",
            "statusTime",
            "firstResponseTime",
            "firstResponse.fulfilledTime",
        ]);
        let rest: pb::ServiceRequest = ok(&api
            .post("/v1/serviceRequests", json_of(&parity_request(&rest_account.id)))
            .await);
        let grpc = levels
            .create_service_request(pb::CreateServiceRequestRequest {
                service_request: Some(parity_request(&grpc_account.id)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            rest.sla.as_ref().map(|s| s.policy_id.as_str()),
            Some(rest_policy.id.as_str())
        );
        assert_alike(&rest, &grpc, &request_differs);
        let created_etag = rest.etag.clone();
        let read = levels
            .get_service_request(pb::GetServiceRequestRequest { id: rest.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            ok::<pb::ServiceRequest>(&api.get(&format!("/v1/serviceRequests/{}", rest.id)).await),
            read
        );
        assert_eq!(rest, read);

        let path = format!(
            "/v1/serviceRequests?accountId={}&openOnly=true&priority=P2&category=REPAIR&slaTarget=RESOLUTION\
             &dueBefore=2100-01-01T00:00:00Z",
            rest_account.id
        );
        let listed: pb::ListServiceRequestsResponse = ok(&api.get(&path).await);
        let grpc_listed = levels
            .list_service_requests(pb::ListServiceRequestsRequest {
                account_id: rest_account.id.clone(),
                open_only: true,
                priority: pb::Priority::P2 as i32,
                category: pb::service_request::Category::Repair as i32,
                sla_target: pb::SlaTargetKind::Resolution as i32,
                due_before: Some(Timestamp {
                    seconds: 4_102_444_800,
                    nanos: 0,
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        assert_eq!(listed.service_requests, [read]);

        let described = pb::ServiceRequest {
            description: "Seal and bearing worn".into(),
            category: pb::service_request::Category::Installation as i32,
            ..Default::default()
        };
        let path = format!("/v1/serviceRequests/{}?updateMask=description,category", rest.id);
        let rest: pb::ServiceRequest =
            ok(&if_match(&api, Method::PATCH, &path, &rest.etag, Some(json_of(&described))).await);
        let grpc = levels
            .update_service_request(pb::UpdateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    id: grpc.id.clone(),
                    etag: grpc.etag.clone(),
                    ..described
                }),
                update_mask: mask(&["description", "category"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest, &grpc, &request_differs);

        let path = format!("/v1/serviceRequests/{}:changeStatus", rest.id);
        let status = json!({"status": "IN_PROGRESS", "note": "On it"});
        let rest: pb::ServiceRequest =
            ok(&if_match(&api, Method::POST, &path, &rest.etag, Some(status)).await);
        let grpc = levels
            .change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                id: grpc.id.clone(),
                status: pb::service_request::Status::InProgress as i32,
                note: "On it".into(),
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest.status, pb::service_request::Status::InProgress as i32);
        assert_alike(&rest, &grpc, &request_differs);

        let path = format!("/v1/serviceRequests/{}:recordFirstResponse", rest.id);
        let rest: pb::ServiceRequest =
            ok(&if_match(&api, Method::POST, &path, &rest.etag, Some(json!({}))).await);
        let grpc = levels
            .record_first_response(pb::RecordFirstResponseRequest {
                id: grpc.id.clone(),
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(rest.first_response_time.is_some());
        assert_alike(&rest, &grpc, &request_differs);

        let history: pb::ListStatusHistoryResponse = ok(&api
            .get(&format!("/v1/serviceRequests/{}/statusHistory", rest.id))
            .await);
        let grpc_history = levels
            .list_status_history(pb::ListStatusHistoryRequest {
                service_request_id: grpc.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(history.changes.len(), 2);
        assert_alike(
            &history,
            &grpc_history,
            &["changes.id", "changes.serviceRequestId", "changes.changeTime"],
        );

        // The compliance report: instants and a repeated enum in the query.
        let path = "/v1/serviceRequests:complianceReport?startTime=2020-01-01T00:00:00Z\
                    &endTime=2100-01-01T00:00:00Z&tiers=STANDARD&tiers=STRATEGIC";
        let report: pb::GetSlaComplianceReportResponse = ok(&api.get(path).await);
        let grpc_report = levels
            .get_sla_compliance_report(pb::GetSlaComplianceReportRequest {
                start_time: Some(Timestamp {
                    seconds: 1_577_836_800,
                    nanos: 0,
                }),
                end_time: Some(Timestamp {
                    seconds: 4_102_444_800,
                    nanos: 0,
                }),
                tiers: vec![pb::Tier::Standard as i32, pb::Tier::Strategic as i32],
                account_id: String::new(),
                segments: None,
                group_by: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(report, grpc_report);

        // Refusals.
        let missing = missing_id();
        let http = api.get(&format!("/v1/serviceRequests/{missing}")).await;
        let status = levels
            .get_service_request(pb::GetServiceRequestRequest { id: missing })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::NotFound, "SERVICE_REQUEST_NOT_FOUND");

        let martian = pb::BusinessCalendar {
            time_zone: "Mars/Olympus_Mons".into(),
            ..parity_calendar(day)
        };
        let http = api.post("/v1/businessCalendars", json_of(&martian)).await;
        let status = levels
            .create_business_calendar(pb::CreateBusinessCalendarRequest {
                calendar: Some(martian),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "calendar.time_zone");

        let http = api
            .post(
                "/v1/slaPolicies",
                json_of(&parity_policy(&rest_account.id, &calendar)),
            )
            .await;
        let status = levels
            .create_sla_policy(pb::CreateSlaPolicyRequest {
                policy: Some(parity_policy(&rest_account.id, &calendar)),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::AlreadyExists, "SLA_POLICY_ALREADY_EXISTS");

        // IN_PROGRESS → CLOSED is not in the transition graph.
        let path = format!("/v1/serviceRequests/{}:changeStatus", rest.id);
        let http = api.post(&path, json!({"status": "CLOSED"})).await;
        let status = levels
            .change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                id: rest.id.clone(),
                status: pb::service_request::Status::Closed as i32,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::FailedPrecondition, "ILLEGAL_TRANSITION");

        let http = if_match(
            &api,
            Method::POST,
            &path,
            &created_etag,
            Some(json!({"status": "RESOLVED"})),
        )
        .await;
        let status = levels
            .change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                id: rest.id.clone(),
                status: pb::service_request::Status::Resolved as i32,
                note: String::new(),
                etag: created_etag.clone(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::Aborted, "ETAG_MISMATCH");

        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let http = http_as(server, &member)
            .post("/v1/businessCalendars", json_of(&parity_calendar(day)))
            .await;
        let status = ServiceLevelServiceClient::new(member.channel())
            .create_business_calendar(pb::CreateBusinessCalendarRequest {
                calendar: Some(parity_calendar(day)),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::PermissionDenied, "PERMISSION_DENIED");

        // Delete the policies, last: the requests keep their snapshots.
        let deleted: pb::DeleteSlaPolicyResponse = ok(&if_match(
            &api,
            Method::DELETE,
            &format!("/v1/slaPolicies/{}", rest_policy.id),
            &rest_policy.etag,
            None,
        )
        .await);
        let grpc_deleted = levels
            .delete_sla_policy(pb::DeleteSlaPolicyRequest {
                id: grpc_policy.id.clone(),
                etag: grpc_policy.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(deleted, grpc_deleted);

        // Audit.
        let service = "ServiceLevelService";
        let methods = ["CreateBusinessCalendar", "UpdateBusinessCalendar"];
        assert_same_audit(server, &rest_calendar.id, &grpc_calendar.id, service, &methods).await;
        let methods = ["CreateSlaPolicy", "UpdateSlaPolicy", "DeleteSlaPolicy"];
        assert_same_audit(server, &rest_policy.id, &grpc_policy.id, service, &methods).await;
        let methods = [
            "CreateServiceRequest",
            "UpdateServiceRequest",
            "ChangeServiceRequestStatus",
            "RecordFirstResponse",
        ];
        assert_same_audit(server, &rest.id, &grpc.id, service, &methods).await;
    }

    async fn revenue_tiers_plans_actions_and_interactions_are_worked_and_refused_alike(server: &TestServer) {
        let api = server.http();
        let mut planning = PlanningServiceClient::new(server.channel());
        let rest_account = server.create_account("Parity Plan A").await;
        let grpc_account = server.create_account("Parity Plan B").await;
        let owner = server.create_staff(pb::StaffLevel::Staff).await;

        // Revenue: upsert, list with nested filters in the query (`fromPeriod.month`), monthly totals.
        let records = |account: &pb::Account, prefix: &str| {
            vec![
                revenue(&account.id, &format!("{prefix}-1"), 1, 1000),
                revenue(&account.id, &format!("{prefix}-2"), 2, 2500),
                revenue(&account.id, &format!("{prefix}-3"), 3, 500),
            ]
        };
        let upserted: pb::UpsertRevenueRecordsResponse = ok(&api
            .post(
                "/v1/revenueRecords:upsert",
                json!({"records": json_of(&records(&rest_account, "REST"))}),
            )
            .await);
        let grpc_upserted = planning
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: records(&grpc_account, "GRPC"),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(upserted, grpc_upserted);
        assert_eq!(upserted.created, 3);

        let path = format!(
            "/v1/revenueRecords?accountId={}&fromPeriod.year=2026&fromPeriod.month=2\
             &to_period.year=2026&to_period.month=3&orderBy=external_id",
            rest_account.id
        );
        let listed: pb::ListRevenueRecordsResponse = ok(&api.get(&path).await);
        let grpc_listed = planning
            .list_revenue_records(pb::ListRevenueRecordsRequest {
                account_id: rest_account.id.clone(),
                from_period: Some(pb::Month { year: 2026, month: 2 }),
                to_period: Some(pb::Month { year: 2026, month: 3 }),
                order_by: "external_id".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        let external_ids: Vec<&str> = listed.records.iter().map(|r| r.external_id.as_str()).collect();
        assert_eq!(external_ids, ["REST-2", "REST-3"]);

        let query = "fromPeriod.year=2026&fromPeriod.month=1&toPeriod.year=2026&toPeriod.month=4";
        let monthly: pb::MonthlyRevenue = ok(&api
            .get(&format!(
                "/v1/accounts/{}/monthlyRevenue?{query}",
                rest_account.id
            ))
            .await);
        let grpc_monthly = planning
            .get_monthly_revenue(pb::GetMonthlyRevenueRequest {
                account_id: grpc_account.id.clone(),
                from_period: Some(pb::Month { year: 2026, month: 1 }),
                to_period: Some(pb::Month { year: 2026, month: 4 }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(monthly.months.len(), 4);
        assert_alike(&monthly, &grpc_monthly, &["accountId"]);

        // Tier overrides: set (PUT), list, clear (DELETE).
        let tier = |account_id: &str| pb::TierOverride {
            account_id: account_id.to_owned(),
            tier: pb::Tier::Key as i32,
            reason: "Reference customer".to_owned(),
            ..Default::default()
        };
        let path = format!("/v1/accounts/{}/tierOverride", rest_account.id);
        let set: pb::TierOverride = ok(&api.put(&path, json_of(&tier(""))).await);
        let grpc_set = planning
            .set_tier_override(pb::SetTierOverrideRequest {
                tier_override: Some(tier(&grpc_account.id)),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(set.account_id, rest_account.id);
        assert_alike(&set, &grpc_set, &["accountId", "setTime"]);
        let listed: pb::ListTierOverridesResponse = ok(&api.get("/v1/tierOverrides?showExpired=true").await);
        let grpc_listed = planning
            .list_tier_overrides(pb::ListTierOverridesRequest {
                show_expired: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        assert_eq!(listed.tier_overrides.len(), 2);
        let cleared: pb::ClearTierOverrideResponse = ok(&api.delete(&path).await);
        let grpc_cleared = planning
            .clear_tier_override(pb::ClearTierOverrideRequest {
                account_id: grpc_account.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(cleared, grpc_cleared);

        // A ranking that stores nothing (`:recompute` with validateOnly), as of one instant: equal tables.
        let body = json!({"asOf": "2026-04-01T00:00:00Z", "validateOnly": true, "rowLimit": 10});
        let ranking: pb::RecomputeTiersResponse = ok(&api.post("/v1/tiers:recompute", body).await);
        let grpc_ranking = planning
            .recompute_tiers(pb::RecomputeTiersRequest {
                as_of: Some(Timestamp {
                    seconds: 1_775_001_600,
                    nanos: 0,
                }),
                validate_only: true,
                row_limit: 10,
                changed_only: false,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(ranking, grpc_ranking);
        assert!(!ranking.applied);
        assert_eq!(ranking.account_count, 2);

        // Account plans: create, get, list by filters, update, activate (`:changeStatus`), scorecard.
        let plan_differs = stamps_and(&["accountId", "activateTime"]);
        let rest: pb::AccountPlan = ok(&api
            .post("/v1/accountPlans", json_of(&parity_plan(&rest_account.id)))
            .await);
        let grpc = planning
            .create_account_plan(pb::CreateAccountPlanRequest {
                plan: Some(parity_plan(&grpc_account.id)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest, &grpc, &plan_differs);
        let created_etag = rest.etag.clone();
        let read = planning
            .get_account_plan(pb::GetAccountPlanRequest { id: rest.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            ok::<pb::AccountPlan>(&api.get(&format!("/v1/accountPlans/{}", rest.id)).await),
            read
        );
        assert_eq!(rest, read);
        let path = format!("/v1/accounts/{}/accountPlans?status=DRAFT", rest_account.id);
        let listed: pb::ListAccountPlansResponse = ok(&api.get(&path).await);
        let grpc_listed = planning
            .list_account_plans(pb::ListAccountPlansRequest {
                account_id: rest_account.id.clone(),
                status: pb::account_plan::Status::Draft as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed, grpc_listed);
        assert_eq!(listed.plans, [read]);

        let sharper = pb::AccountPlan {
            vision: "Sole supplier".into(),
            share_of_wallet_target_percent: 45,
            ..Default::default()
        };
        let path = format!(
            "/v1/accountPlans/{}?updateMask=vision,shareOfWalletTargetPercent",
            rest.id
        );
        let rest: pb::AccountPlan =
            ok(&if_match(&api, Method::PATCH, &path, &rest.etag, Some(json_of(&sharper))).await);
        let grpc = planning
            .update_account_plan(pb::UpdateAccountPlanRequest {
                plan: Some(pb::AccountPlan {
                    id: grpc.id.clone(),
                    etag: grpc.etag.clone(),
                    ..sharper
                }),
                update_mask: mask(&["vision", "share_of_wallet_target_percent"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest, &grpc, &plan_differs);

        let path = format!("/v1/accountPlans/{}:changeStatus", rest.id);
        let rest: pb::AccountPlan = ok(&if_match(
            &api,
            Method::POST,
            &path,
            &rest.etag,
            Some(json!({"status": "ACTIVE"})),
        )
        .await);
        let grpc = planning
            .change_account_plan_status(pb::ChangeAccountPlanStatusRequest {
                id: grpc.id.clone(),
                status: pb::account_plan::Status::Active as i32,
                etag: grpc.etag.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest.status, pb::account_plan::Status::Active as i32);
        assert_alike(&rest, &grpc, &plan_differs);

        // Plan actions: create, update the status.
        let action = |plan_id: &str| pb::PlanAction {
            plan_id: plan_id.to_owned(),
            title: "Workshop with purchasing".to_owned(),
            owner_staff_id: owner.id.clone(),
            due_date: date(2026, 6, 30),
            ..Default::default()
        };
        let action_differs = stamps_and(&["planId", "accountId", "completeTime"]);
        let rest_action: pb::PlanAction = ok(&api.post("/v1/planActions", json_of(&action(&rest.id))).await);
        let grpc_action = planning
            .create_plan_action(pb::CreatePlanActionRequest {
                action: Some(action(&grpc.id)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_action, &grpc_action, &action_differs);
        let done = pb::PlanAction {
            status: pb::plan_action::Status::Done as i32,
            ..Default::default()
        };
        let path = format!("/v1/planActions/{}?updateMask=status", rest_action.id);
        let rest_action: pb::PlanAction = ok(&if_match(
            &api,
            Method::PATCH,
            &path,
            &rest_action.etag,
            Some(json_of(&done)),
        )
        .await);
        let grpc_action = planning
            .update_plan_action(pb::UpdatePlanActionRequest {
                action: Some(pb::PlanAction {
                    id: grpc_action.id.clone(),
                    etag: grpc_action.etag.clone(),
                    ..done
                }),
                update_mask: mask(&["status"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(rest_action.complete_time.is_some());
        assert_alike(&rest_action, &grpc_action, &action_differs);

        let scorecard: pb::PlanScorecard =
            ok(&api.get(&format!("/v1/accountPlans/{}/scorecard", rest.id)).await);
        let grpc_scorecard = planning
            .get_plan_scorecard(pb::GetPlanScorecardRequest {
                plan_id: grpc.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(scorecard.actions_done, 1);
        assert_alike(&scorecard, &grpc_scorecard, &["planId", "accountId"]);

        // Interactions: log, update.
        let call = |account_id: &str| pb::Interaction {
            account_id: account_id.to_owned(),
            r#type: pb::interaction::Type::Call as i32,
            occur_time: Some(Timestamp {
                seconds: 1_767_225_600,
                nanos: 0,
            }),
            staff_ids: vec![owner.id.clone()],
            summary: "Quarterly call".to_owned(),
            satisfaction: 4,
            ..Default::default()
        };
        let interaction_differs = stamps_and(&["accountId"]);
        let rest_call: pb::Interaction = ok(&api
            .post("/v1/interactions", json_of(&call(&rest_account.id)))
            .await);
        let grpc_call = planning
            .log_interaction(pb::LogInteractionRequest {
                interaction: Some(call(&grpc_account.id)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_call, &grpc_call, &interaction_differs);
        let outcome = pb::Interaction {
            outcome: "Order expected".into(),
            ..Default::default()
        };
        let path = format!("/v1/interactions/{}?updateMask=outcome", rest_call.id);
        let rest_call: pb::Interaction = ok(&if_match(
            &api,
            Method::PATCH,
            &path,
            &rest_call.etag,
            Some(json_of(&outcome)),
        )
        .await);
        let grpc_call = planning
            .update_interaction(pb::UpdateInteractionRequest {
                interaction: Some(pb::Interaction {
                    id: grpc_call.id.clone(),
                    etag: grpc_call.etag.clone(),
                    ..outcome
                }),
                update_mask: mask(&["outcome"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&rest_call, &grpc_call, &interaction_differs);

        // Refusals.
        let missing = missing_id();
        let http = api.get(&format!("/v1/accountPlans/{missing}")).await;
        let status = planning
            .get_account_plan(pb::GetAccountPlanRequest { id: missing })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::NotFound, "ACCOUNT_PLAN_NOT_FOUND");

        let mut dollars = revenue(&rest_account.id, "REST-USD", 4, 10);
        dollars.amount = Some(pb::Money {
            currency_code: "USD".into(),
            units: 10,
            nanos: 0,
        });
        let http = api
            .post(
                "/v1/revenueRecords:upsert",
                json!({"records": [json_of(&dollars)]}),
            )
            .await;
        let status = planning
            .upsert_revenue_records(pb::UpsertRevenueRecordsRequest {
                records: vec![dollars],
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "records[0].amount.currency_code");

        let second = planning
            .create_account_plan(pb::CreateAccountPlanRequest {
                plan: Some(parity_plan(&rest_account.id)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let http = api
            .post(
                &format!("/v1/accountPlans/{}:changeStatus", second.id),
                json!({"status": "ACTIVE"}),
            )
            .await;
        let status = planning
            .change_account_plan_status(pb::ChangeAccountPlanStatusRequest {
                id: second.id.clone(),
                status: pb::account_plan::Status::Active as i32,
                etag: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::FailedPrecondition, "ONE_ACTIVE_PLAN");

        let path = format!("/v1/accountPlans/{}?updateMask=vision", rest.id);
        let http = if_match(
            &api,
            Method::PATCH,
            &path,
            &created_etag,
            Some(json!({"vision": "Stale"})),
        )
        .await;
        let status = planning
            .update_account_plan(pb::UpdateAccountPlanRequest {
                plan: Some(pb::AccountPlan {
                    id: rest.id.clone(),
                    vision: "Stale".into(),
                    etag: created_etag.clone(),
                    ..Default::default()
                }),
                update_mask: mask(&["vision"]),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::Aborted, "ETAG_MISMATCH");

        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let path = format!("/v1/accounts/{}/tierOverride", rest_account.id);
        let http = http_as(server, &member).put(&path, json_of(&tier(""))).await;
        let status = PlanningServiceClient::new(member.channel())
            .set_tier_override(pb::SetTierOverrideRequest {
                tier_override: Some(tier(&rest_account.id)),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::PermissionDenied, "PERMISSION_DENIED");

        // Audit.
        let service = "PlanningService";
        let methods = [
            "CreateAccountPlan",
            "UpdateAccountPlan",
            "ChangeAccountPlanStatus",
        ];
        assert_same_audit(server, &rest.id, &grpc.id, service, &methods).await;
        assert_same_audit(
            server,
            &rest_action.id,
            &grpc_action.id,
            service,
            &["CreatePlanAction", "UpdatePlanAction"],
        )
        .await;
        assert_same_audit(
            server,
            &rest_call.id,
            &grpc_call.id,
            service,
            &["LogInteraction", "UpdateInteraction"],
        )
        .await;
    }

    async fn change_feed_pages_and_ndjson_imports_answer_alike(server: &TestServer) {
        let api = server.http();
        let mut integration = IntegrationServiceClient::new(server.channel());
        let imported = integration
            .import_accounts(tokio_stream::iter([pb::ImportAccountsRequest {
                accounts: ["ACC-1", "ACC-2", "ACC-3", "ACC-4", "ACC-5"]
                    .into_iter()
                    .map(|external_id| pb::AccountRecord {
                        external_id: external_id.to_owned(),
                        display_name: format!("Feed {external_id}"),
                        ..Default::default()
                    })
                    .collect(),
            }]))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(imported.created, 5);

        // A full sync of the accounts, two a page: the same pages both ways, each path continuing with
        // the other's sync token.
        let mut token = String::new();
        let mut synced = Vec::new();
        for page in 0.. {
            let path = format!(
                "/v1/changes?resourceType=SYNC_RESOURCE_ACCOUNTS&pageSize=2&syncToken={}",
                kam_tests::http::urlencode(&token)
            );
            let rest: pb::ListChangesResponse = ok(&api.get(&path).await);
            let grpc = integration
                .list_changes(pb::ListChangesRequest {
                    resource_type: pb::SyncResource::Accounts as i32,
                    sync_token: token.clone(),
                    page_size: 2,
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(rest.changes, grpc.changes, "page {page}");
            assert_eq!(rest.more, grpc.more, "page {page}");
            synced.extend(rest.changes.iter().map(|c| c.id.clone()));
            token = if page % 2 == 0 {
                rest.next_sync_token
            } else {
                grpc.next_sync_token
            };
            if !rest.more {
                break;
            }
        }
        let accounts = server
            .accounts()
            .list_accounts(pb::ListAccountsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .accounts;
        let mut expected: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
        expected.sort();
        synced.sort();
        synced.dedup();
        assert_eq!(synced, expected);

        // The events as Server-Sent Events and as a gRPC stream: the same events, cursors included.
        let path =
            "/v1/events:watch?start=EARLIEST&resourceTypes=account&eventTypes=AccountCreated&batchSize=2";
        let sse = api.events(path, &[], 5).await;
        let rest_events: Vec<pb::Event> = sse
            .iter()
            .filter_map(|event| event.data.clone())
            .map(|data| serde_json::from_value(data).expect("an Event"))
            .take(5)
            .collect();
        let mut stream = integration
            .watch_events(pb::WatchEventsRequest {
                start: pb::watch_events_request::Start::Earliest as i32,
                resource_types: vec!["account".into()],
                event_types: vec!["AccountCreated".into()],
                batch_size: 2,
                cursor: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut grpc_events = Vec::new();
        while grpc_events.len() < 5 {
            let next = tokio::time::timeout(std::time::Duration::from_secs(20), stream.message()).await;
            grpc_events.extend(
                next.expect("events within 20 s")
                    .unwrap()
                    .expect("the stream stays open")
                    .events,
            );
        }
        drop(stream);
        grpc_events.truncate(5);
        assert_eq!(rest_events, grpc_events);
        let cursors: Vec<Option<&str>> = sse
            .iter()
            .filter(|e| e.data.is_some())
            .take(5)
            .map(|e| e.id.as_deref())
            .collect();
        let expected: Vec<Option<&str>> = grpc_events.iter().map(|e| Some(e.cursor.as_str())).collect();
        assert_eq!(cursors, expected, "each event's SSE id is its cursor");

        // Contacts imported as NDJSON over REST (sent on as gRPC messages of 1000 lines) and as one
        // message over gRPC: the same summary, failed rows on either side of the batch boundary included.
        let records = |prefix: &str| -> Vec<pb::ContactRecord> {
            (0..1050)
                .map(|n| pb::ContactRecord {
                    external_id: format!("{prefix}-{n}"),
                    account_external_id: match n {
                        0 | 2 => "ACC-1",
                        1 | 1020 => "NOPE",
                        _ => "ACC-3",
                    }
                    .to_owned(),
                    full_name: format!("Imported {n}"),
                    title: "Buyer".to_owned(),
                    email: match n {
                        2 => "not an address".to_owned(),
                        _ => format!("c{n}@example.com"),
                    },
                    ..Default::default()
                })
                .collect()
        };
        let lines: String = records("REST")
            .iter()
            .map(|r| format!("{}\n", json_of(r)))
            .collect();
        let ndjson = [("content-type", "application/x-ndjson")];
        let summary: pb::ImportSummary = ok(&api
            .send(Method::POST, "/v1/contacts:import", &ndjson, Bytes::from(lines))
            .await);
        let grpc_summary = integration
            .import_contacts(tokio_stream::iter([pb::ImportContactsRequest {
                contacts: records("GRPC"),
            }]))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((summary.created, summary.failed), (1047, 3), "{summary:#?}");
        let failed: Vec<(i64, &str)> = summary
            .errors
            .iter()
            .map(|e| (e.index, e.external_id.as_str()))
            .collect();
        assert_eq!(failed, [(1, "REST-1"), (2, "REST-2"), (1020, "REST-1020")]);
        assert_alike(&summary, &grpc_summary, &["errors.externalId"]);

        let account_1 = &accounts
            .iter()
            .find(|a| a.external_id == "ACC-1")
            .expect("ACC-1")
            .id;
        let contacts = server
            .accounts()
            .list_contacts(pb::ListContactsRequest {
                account_id: account_1.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .contacts;
        let by_external_id = |id: &str| {
            contacts
                .iter()
                .find(|c| c.external_id == id)
                .expect("imported")
                .clone()
        };
        let (rest_contact, grpc_contact) = (by_external_id("REST-0"), by_external_id("GRPC-0"));
        assert_alike(&rest_contact, &grpc_contact, &stamps_and(&["externalId"]));

        // Refusals (the feed finds nothing by id and guards nothing by etag: no NOT_FOUND, no ABORTED).
        let http = api.get("/v1/changes").await;
        let status = integration
            .list_changes(pb::ListChangesRequest::default())
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "resource_type");

        // A token this server issued in 2001: older than any retention.
        let ancient = "s1-1-0-0-1000000000";
        let http = api
            .get(&format!(
                "/v1/changes?resourceType=SYNC_RESOURCE_ACCOUNTS&syncToken={ancient}"
            ))
            .await;
        let status = integration
            .list_changes(pb::ListChangesRequest {
                resource_type: pb::SyncResource::Accounts as i32,
                sync_token: ancient.into(),
                page_size: 0,
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::FailedPrecondition, "SYNC_TOKEN_EXPIRED");

        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let few = || records("MEMBER")[..3].to_vec();
        let lines: String = few().iter().map(|r| format!("{}\n", json_of(r))).collect();
        let http = http_as(server, &member)
            .send(Method::POST, "/v1/contacts:import", &ndjson, Bytes::from(lines))
            .await;
        let status = IntegrationServiceClient::new(member.channel())
            .import_contacts(tokio_stream::iter([pb::ImportContactsRequest {
                contacts: few(),
            }]))
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::PermissionDenied, "PERMISSION_DENIED");

        // Audit: each imported contact by the import method.
        assert_same_audit(
            server,
            &rest_contact.id,
            &grpc_contact.id,
            "IntegrationService",
            &["ImportContacts"],
        )
        .await;
    }

    async fn webhook_subscriptions_are_managed_refused_and_audited_alike(server: &TestServer) {
        let api = server.http();
        let mut hooks = WebhookServiceClient::new(server.channel());

        // Create; the dispatcher may move a new subscription's cursor on its own, until it is disabled.
        let key = Uuid::now_v7().to_string();
        let headers = [
            ("content-type", "application/json"),
            ("idempotency-key", key.as_str()),
        ];
        let body = Bytes::from(json_of(&parity_subscription()).to_string());
        let created: pb::CreateWebhookSubscriptionResponse = ok(&api
            .send(Method::POST, "/v1/webhookSubscriptions", &headers, body)
            .await);
        let grpc_created = hooks
            .create_webhook_subscription(pb::CreateWebhookSubscriptionRequest {
                subscription: Some(parity_subscription()),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let created_differs = [
            "subscription.id",
            "subscription.cursor",
            "subscription.createTime",
            "subscription.updateTime",
            "subscription.etag",
            "secret",
        ];
        assert_alike(&created, &grpc_created, &created_differs);
        assert!(created.secret.starts_with("whsec_"));
        // A gRPC retry with the REST call's idempotency key answers that subscription, secret included.
        let retried = hooks
            .create_webhook_subscription(pb::CreateWebhookSubscriptionRequest {
                subscription: Some(parity_subscription()),
                request_id: key.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            without(&retried, &["subscription.cursor"]),
            without(&created, &["subscription.cursor"])
        );
        let (rest, grpc) = (created.subscription.unwrap(), grpc_created.subscription.unwrap());
        let created_etag = rest.etag.clone();
        let hook_differs = stamps_and(&["cursor"]);

        // Update: disable it, with the mask in the query.
        let disabled = pb::WebhookSubscription {
            description: "Parity hook, paused".into(),
            enabled: false,
            ..Default::default()
        };
        let path = format!(
            "/v1/webhookSubscriptions/{}?updateMask=description,enabled",
            rest.id
        );
        let rest: pb::WebhookSubscription =
            ok(&if_match(&api, Method::PATCH, &path, &rest.etag, Some(json_of(&disabled))).await);
        let grpc = hooks
            .update_webhook_subscription(pb::UpdateWebhookSubscriptionRequest {
                subscription: Some(pb::WebhookSubscription {
                    id: grpc.id.clone(),
                    etag: grpc.etag.clone(),
                    ..disabled
                }),
                update_mask: mask(&["description", "enabled"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest.state, pb::webhook_subscription::State::Disabled as i32);
        assert_alike(&rest, &grpc, &hook_differs);

        // Get (now that nothing moves it) and list, a page at a time, each path continuing with the
        // other's page token.
        let read = hooks
            .get_webhook_subscription(pb::GetWebhookSubscriptionRequest { id: rest.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            ok::<pb::WebhookSubscription>(&api.get(&format!("/v1/webhookSubscriptions/{}", rest.id)).await),
            read
        );
        let mut token = String::new();
        let mut listed = Vec::new();
        for page in 0.. {
            let rest_page: pb::ListWebhookSubscriptionsResponse = ok(&api
                .get(&format!(
                    "/v1/webhookSubscriptions?pageSize=1&pageToken={}",
                    kam_tests::http::urlencode(&token)
                ))
                .await);
            let grpc_page = hooks
                .list_webhook_subscriptions(pb::ListWebhookSubscriptionsRequest {
                    page_size: 1,
                    page_token: token.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(rest_page.subscriptions, grpc_page.subscriptions, "page {page}");
            listed.extend(rest_page.subscriptions);
            token = if page % 2 == 0 {
                rest_page.next_page_token
            } else {
                grpc_page.next_page_token
            };
            if token.is_empty() {
                break;
            }
        }
        let ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, [rest.id.as_str(), grpc.id.as_str()]);

        // The custom methods `:rotateSecret` and `:replay`; the (empty) delivery log.
        let rotated: pb::RotateWebhookSecretResponse = ok(&api
            .post(
                &format!("/v1/webhookSubscriptions/{}:rotateSecret", rest.id),
                json!({}),
            )
            .await);
        let grpc_rotated = hooks
            .rotate_webhook_secret(pb::RotateWebhookSecretRequest { id: grpc.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_ne!(rotated.secret, created.secret);
        assert_alike(&rotated, &grpc_rotated, &created_differs);
        let path = format!("/v1/webhookSubscriptions/{}:replay", rest.id);
        let replayed: pb::WebhookSubscription = ok(&api.post(&path, json!({"cursor": rest.cursor})).await);
        let grpc_replayed = hooks
            .replay_webhook_deliveries(pb::ReplayWebhookDeliveriesRequest {
                id: grpc.id.clone(),
                cursor: grpc.cursor.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_alike(&replayed, &grpc_replayed, &hook_differs);
        let deliveries: pb::ListWebhookDeliveriesResponse = ok(&api
            .get(&format!(
                "/v1/webhookSubscriptions/{}/deliveries?pageSize=10",
                rest.id
            ))
            .await);
        let grpc_deliveries = hooks
            .list_webhook_deliveries(pb::ListWebhookDeliveriesRequest {
                subscription_id: rest.id.clone(),
                page_size: 10,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(deliveries, grpc_deliveries);

        // Refusals, on the REST-made subscription.
        let ftp = pb::WebhookSubscription {
            url: "ftp://192.0.2.1/kam".into(),
            ..parity_subscription()
        };
        let http = api.post("/v1/webhookSubscriptions", json_of(&ftp)).await;
        let status = hooks
            .create_webhook_subscription(pb::CreateWebhookSubscriptionRequest {
                subscription: Some(ftp),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_invalid_argument(&status, "subscription.url");

        let path = format!("/v1/webhookSubscriptions/{}?updateMask=description", rest.id);
        let http = if_match(
            &api,
            Method::PATCH,
            &path,
            &created_etag,
            Some(json!({"description": "Stale"})),
        )
        .await;
        let status = hooks
            .update_webhook_subscription(pb::UpdateWebhookSubscriptionRequest {
                subscription: Some(pb::WebhookSubscription {
                    id: rest.id.clone(),
                    description: "Stale".into(),
                    etag: created_etag.clone(),
                    ..Default::default()
                }),
                update_mask: mask(&["description"]),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::Aborted, "ETAG_MISMATCH");

        // Events through (0, 2) pruned: a replay from before them would miss some.
        server
            .execute("UPDATE feed_horizon SET txid = 0, event_id = 2 WHERE id = 1", [])
            .await;
        let pruned = "e1-0-1";
        let http = api
            .post(
                &format!("/v1/webhookSubscriptions/{}:replay", rest.id),
                json!({"cursor": pruned}),
            )
            .await;
        let status = hooks
            .replay_webhook_deliveries(pb::ReplayWebhookDeliveriesRequest {
                id: rest.id.clone(),
                cursor: pruned.into(),
            })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::FailedPrecondition, "CURSOR_EXPIRED");

        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let http = http_as(server, &member)
            .get(&format!("/v1/webhookSubscriptions/{}", rest.id))
            .await;
        let status = WebhookServiceClient::new(member.channel())
            .get_webhook_subscription(pb::GetWebhookSubscriptionRequest { id: rest.id.clone() })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::PermissionDenied, "PERMISSION_DENIED");

        // Delete; then the subscription is not found, both ways.
        let deleted: pb::DeleteWebhookSubscriptionResponse =
            ok(&api.delete(&format!("/v1/webhookSubscriptions/{}", rest.id)).await);
        let grpc_deleted = hooks
            .delete_webhook_subscription(pb::DeleteWebhookSubscriptionRequest { id: grpc.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(deleted, grpc_deleted);
        let http = api.get(&format!("/v1/webhookSubscriptions/{}", rest.id)).await;
        let status = hooks
            .get_webhook_subscription(pb::GetWebhookSubscriptionRequest { id: rest.id.clone() })
            .await
            .unwrap_err();
        assert_same_error(&http, &status, Code::NotFound, "WEBHOOK_SUBSCRIPTION_NOT_FOUND");

        // Audit.
        let methods = [
            "CreateWebhookSubscription",
            "UpdateWebhookSubscription",
            "RotateWebhookSecret",
            "ReplayWebhookDeliveries",
            "DeleteWebhookSubscription",
        ];
        assert_same_audit(server, &rest.id, &grpc.id, "WebhookService", &methods).await;
    }
}
