//! The HTTP/JSON API through a plain HTTP/1.1 client, against the real server on both backends: the
//! transcoding (body, path, query, headers), the answers (canonical proto3 JSON equal to what gRPC
//! returns, `ETag`), the errors (HTTP status and `google.rpc.Status` details equal to gRPC's), NDJSON
//! imports and Server-Sent Events that resume from `Last-Event-ID`.

use bytes::Bytes;
use http::Method;
use kam_server::config::RateLimit;
use kam_tests::{Backend, TestServer, assert_error, backend_tests, error_details, http::HttpAnswer, pb};
use serde_json::{Value, json};
use tonic::Code;

/// The HTTP answer's JSON read back as the gRPC message type (pbjson): equal resources compare equal
/// whatever spelling of an instant either side chose (`Z` or `+00:00`).
fn as_message<T: serde::de::DeserializeOwned>(answer: &Value) -> T {
    serde_json::from_value(answer.clone()).unwrap_or_else(|e| panic!("{answer} is not the message: {e}"))
}

fn assert_error_body(answer: &HttpAnswer, status: u16, code_name: &str, reason: &str) {
    assert_eq!(answer.status, status, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let body = answer.json();
    assert_eq!(body["error"]["code"], status);
    assert_eq!(body["error"]["status"], code_name);
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(answer.reason().as_deref(), Some(reason), "{body}");
}

fn violated_field(answer: &HttpAnswer) -> String {
    let bad_request = answer.error_detail("BadRequest").expect("a BadRequest detail");
    bad_request["fieldViolations"][0]["field"]
        .as_str()
        .expect("a field")
        .to_owned()
}

backend_tests! {
    async fn an_account_created_over_http_is_the_one_grpc_reads(server: &TestServer) {
        let api = server.http();
        let created = api
            .post("/v1/accounts", json!({"displayName": "Acme Pumps", "industry": "Machinery"}))
            .await;
        assert_eq!(created.status, 200, "{}", String::from_utf8_lossy(&created.body));
        let body = created.json();
        let id = body["id"].as_str().expect("an id");

        let read = server
            .accounts()
            .get_account(pb::GetAccountRequest { id: id.to_owned() })
            .await
            .expect("gRPC reads it")
            .into_inner();
        assert_eq!(as_message::<pb::Account>(&body), read, "HTTP answers the resource gRPC returns");
        assert!(body["createTime"].as_str().is_some_and(|t| t.ends_with('Z')), "canonical instants: {body}");
        assert_eq!(created.header("etag"), Some(format!("\"{}\"", read.etag).as_str()));

        let fetched = api.get(&format!("/v1/accounts/{id}")).await;
        assert_eq!(fetched.status, 200);
        assert_eq!(fetched.json(), body);

        // The same audit as a gRPC call: the ADMIN created it, by the gRPC method's name.
        let audit = server
            .audit()
            .list_audit_entries(pb::ListAuditEntriesRequest {
                resource_id: id.to_owned(),
                ..Default::default()
            })
            .await
            .expect("audit")
            .into_inner();
        let entry = audit.audit_entries.first().expect("an audit entry");
        assert_eq!(entry.principal_id, server.admin().staff_id);
        assert_eq!(entry.method, "/kam.v1.AccountService/CreateAccount");
    }

    async fn an_update_takes_the_mask_from_the_query_and_the_etag_from_if_match(server: &TestServer) {
        let api = server.http();
        let account = server.create_account("Before").await;
        let stale = format!("\"{}\"", account.etag);
        let path = format!("/v1/accounts/{}?updateMask=displayName", account.id);

        let headers = [("content-type", "application/json"), ("if-match", stale.as_str())];
        let body = Bytes::from(json!({"displayName": "After", "industry": "ignored by the mask"}).to_string());
        let updated = api.send(Method::PATCH, &path, &headers, body.clone()).await;
        assert_eq!(updated.status, 200, "{}", String::from_utf8_lossy(&updated.body));
        assert_eq!(updated.json()["displayName"], "After");
        assert_eq!(updated.json().get("industry"), None, "the mask left industry alone");

        // The etag it was read at is no longer current: the write is refused as gRPC refuses it.
        let again = api.send(Method::PATCH, &path, &headers, body).await;
        assert_error_body(&again, 409, "ABORTED", "ETAG_MISMATCH");
        let grpc = server
            .accounts()
            .update_account(pb::UpdateAccountRequest {
                account: Some(pb::Account {
                    id: account.id.clone(),
                    display_name: "After".into(),
                    etag: account.etag.clone(),
                    ..Default::default()
                }),
                update_mask: Some(pbjson_types::FieldMask { paths: vec!["display_name".into()] }),
                change_reason: String::new(),
            })
            .await
            .expect_err("a stale etag");
        assert_eq!(assert_error(&grpc, Code::Aborted).reason, "ETAG_MISMATCH");

        // The mask's paths may also be the proto names; the current etag, from the last answer's ETag.
        let current = updated.header("etag").expect("ETag").to_owned();
        let snake = format!("/v1/accounts/{}?update_mask=display_name", account.id);
        let headers = [("content-type", "application/json"), ("if-match", current.as_str())];
        let body = Bytes::from(json!({"displayName": "Third"}).to_string());
        let third = api.send(Method::PATCH, &snake, &headers, body).await;
        assert_eq!(third.status, 200, "{}", String::from_utf8_lossy(&third.body));
        assert_eq!(third.json()["displayName"], "Third");

    }

    async fn the_path_wins_over_the_body_whatever_spelling_the_body_uses(server: &TestServer) {
        let account = server.create_account("Overridden").await;
        let elsewhere = server.create_account("Elsewhere").await;
        let body = json!({"accountId": elsewhere.id, "tier": "KEY", "reason": "Board decision"});
        let set = server
            .http()
            .put(&format!("/v1/accounts/{}/tierOverride", account.id), body)
            .await;
        assert_eq!(set.status, 200, "{}", String::from_utf8_lossy(&set.body));
        assert_eq!(set.json()["accountId"], account.id.as_str());
    }

    async fn an_idempotency_key_makes_a_create_happen_once(server: &TestServer) {
        let api = server.http();
        let key = uuid::Uuid::now_v7().to_string();
        let headers = [("content-type", "application/json"), ("idempotency-key", key.as_str())];
        let body = Bytes::from(json!({"displayName": "Once"}).to_string());
        let first = api.send(Method::POST, "/v1/accounts", &headers, body.clone()).await;
        let second = api.send(Method::POST, "/v1/accounts", &headers, body).await;
        assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
        assert_eq!(first.json(), second.json(), "the retry answers the first result");
        let listed = api.get("/v1/accounts?query=Once").await.json();
        assert_eq!(listed["accounts"].as_array().map(Vec::len), Some(1));
    }

    async fn query_parameters_filter_and_page(server: &TestServer) {
        let api = server.http();
        for name in ["Query One", "Query Two", "Query Three", "Other"] {
            server.create_account(name).await;
        }
        let first = api.get("/v1/accounts?query=Query&pageSize=2").await;
        assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
        let first = first.json();
        assert_eq!(first["accounts"].as_array().map(Vec::len), Some(2));
        let token = first["nextPageToken"].as_str().expect("a next page");
        let second = api
            .get(&format!("/v1/accounts?query=Query&page_size=2&pageToken={}", kam_tests::http::urlencode(token)))
            .await
            .json();
        assert_eq!(second["accounts"].as_array().map(Vec::len), Some(1));
        assert_eq!(second.get("nextPageToken"), None, "the last page");

        // Enums by name, proto or JSON field names.
        let strategic = api.get("/v1/accounts?tier=STRATEGIC&show_deleted=true").await;
        assert_eq!(strategic.status, 200);

        let unknown = api.get("/v1/accounts?colour=blue").await;
        assert_error_body(&unknown, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
        assert_eq!(violated_field(&unknown), "colour");
        let not_a_number = api.get("/v1/accounts?pageSize=lots").await;
        assert_error_body(&not_a_number, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
        assert_eq!(violated_field(&not_a_number), "pageSize");
        let not_an_instant = api.get("/v1/auditEntries?startTime=yesterday").await;
        assert_error_body(&not_an_instant, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
        assert_eq!(violated_field(&not_an_instant), "startTime");
        let not_a_tier = api.get("/v1/accounts?tier=GOLD").await;
        assert_eq!(violated_field(&not_a_tier), "tier");
        let negative = api.get("/v1/accounts?pageSize=-1").await;
        assert_error_body(&negative, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
        assert_eq!(violated_field(&negative), "page_size", "the server's own validation, as over gRPC");
    }

    async fn errors_carry_the_grpc_status_and_details(server: &TestServer) {
        let api = server.http();
        let missing = uuid::Uuid::now_v7().to_string();
        let over_http = api.get(&format!("/v1/accounts/{missing}")).await;
        let over_grpc = server
            .accounts()
            .get_account(pb::GetAccountRequest { id: missing.clone() })
            .await
            .expect_err("missing");
        let info = error_details(&over_grpc).error_info().expect("ErrorInfo").clone();
        assert_error_body(&over_http, 404, "NOT_FOUND", &info.reason);
        assert_eq!(over_http.json()["error"]["message"], over_grpc.message());
        assert_eq!(over_http.error_detail("ErrorInfo").unwrap()["domain"], "kam.v1");

        let malformed_id = api.get("/v1/accounts/not-a-uuid").await;
        assert_error_body(&malformed_id, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
        assert_eq!(violated_field(&malformed_id), "id");

        let anonymous = server.http_anonymous().get("/v1/accounts").await;
        assert_error_body(&anonymous, 401, "UNAUTHENTICATED", "UNAUTHENTICATED");
        let wrong_key = kam_tests::http::HttpClient::new(server.addr, Some("kam_not_a_key".into()))
            .get("/v1/accounts")
            .await;
        assert_eq!(wrong_key.status, 401);
    }

    async fn what_grpc_refuses_a_member_http_refuses_alike(server: &TestServer) {
        let hidden = server.create_account("Not my account").await;
        let member = server.caller_with_roles(&[pb::Role::Member]).await;
        let api = kam_tests::http::HttpClient::new(server.addr, Some(member.secret.clone()));
        let over_http = api.get(&format!("/v1/accounts/{}", hidden.id)).await;
        let over_grpc = member
            .accounts()
            .get_account(pb::GetAccountRequest { id: hidden.id.clone() })
            .await
            .expect_err("hidden");
        let info = assert_error(&over_grpc, Code::PermissionDenied);
        assert_error_body(&over_http, 403, "PERMISSION_DENIED", &info.reason);

        let admin_only = api.get("/v1/webhookSubscriptions").await;
        assert_error_body(&admin_only, 403, "PERMISSION_DENIED", "PERMISSION_DENIED");
    }

    async fn malformed_requests_get_a_json_error_never_a_500(server: &TestServer) {
        let api = server.http();
        let unknown_path = api.get("/v1/nothing/here").await;
        assert_error_body(&unknown_path, 404, "NOT_FOUND", "NO_SUCH_PATH");

        let wrong_method = api.send(Method::PUT, "/v1/accounts", &[], Bytes::new()).await;
        assert_error_body(&wrong_method, 405, "UNIMPLEMENTED", "METHOD_NOT_ALLOWED");
        let allow = wrong_method.header("allow").expect("Allow");
        assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");

        let headers = [("content-type", "application/json")];
        for body in ["{", "[1,2]", "\"text\"", "{\"displayName\": 5}", "{\"colour\": \"blue\"}"] {
            let answer = api.send(Method::POST, "/v1/accounts", &headers, Bytes::from(body)).await;
            assert_error_body(&answer, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
        }
        let huge_number = api.get("/v1/accounts?pageSize=99999999999").await;
        assert_error_body(&huge_number, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");

        let xml = [("content-type", "application/xml")];
        let answer = api.send(Method::POST, "/v1/accounts", &xml, Bytes::from("<account/>")).await;
        assert_error_body(&answer, 415, "INVALID_ARGUMENT", "UNSUPPORTED_MEDIA_TYPE");

        let escaped = api.get("/v1/accounts/%ZZ%00").await;
        assert_eq!(escaped.status, 400);
    }

    async fn an_ndjson_import_is_batched_like_a_grpc_stream(server: &TestServer) {
        let api = server.http();
        let lines: String = (0..2500)
            .map(|i| format!("{}\n", json!({"externalId": format!("ERP-{i}"), "displayName": format!("Imported {i}")})))
            .collect();
        let headers = [("content-type", "application/x-ndjson")];
        let summary = api.send(Method::POST, "/v1/accounts:import", &headers, Bytes::from(lines)).await;
        assert_eq!(summary.status, 200, "{}", String::from_utf8_lossy(&summary.body));
        assert_eq!(summary.json()["created"], "2500");
        let stored = server.query_i64("SELECT COUNT(*) FROM accounts", []).await;
        assert_eq!(stored, 2500);

        // A line that is not an account stops the stream there, naming the line.
        let broken = format!("{}\n{{\"displayName\": 7}}\n", json!({"externalId": "ERP-X", "displayName": "X"}));
        let refused = api.send(Method::POST, "/v1/accounts:import", &headers, Bytes::from(broken)).await;
        assert_error_body(&refused, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
        assert_eq!(violated_field(&refused), "line 2");

        let json_body = [("content-type", "application/json")];
        let wrong_type = api.send(Method::POST, "/v1/accounts:import", &json_body, Bytes::from("{}")).await;
        assert_eq!(wrong_type.status, 415);
    }

    async fn events_stream_as_server_sent_events_and_resume_from_the_last_id(server: &TestServer) {
        for i in 0..6 {
            server.create_account(&format!("Streamed {i}")).await;
        }
        let api = server.http();
        let path = "/v1/events:watch?start=EARLIEST&resourceTypes=account";
        let first = api.events(path, &[], 3).await;
        let first: Vec<_> = first.into_iter().filter(|e| e.data.is_some()).take(3).collect();
        for event in &first {
            let data = event.data.as_ref().unwrap();
            assert_eq!(event.id.as_deref(), data["cursor"].as_str(), "the id is the event's cursor");
            assert_eq!(data["eventType"], "AccountCreated");
        }

        // Reconnecting with the last id continues with the next event: no gap, no repeat.
        let last = first.last().unwrap().id.clone().unwrap();
        let rest = api.events(path, &[("last-event-id", last.as_str())], 3).await;
        let names: Vec<_> = first
            .iter()
            .chain(rest.iter().filter(|e| e.data.is_some()))
            .map(|e| e.data.as_ref().unwrap()["accountCreated"]["displayName"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<_> = (0..6).map(|i| format!("Streamed {i}")).collect();
        assert_eq!(names, expected);

        // A cursor that is not one is refused before the stream opens.
        let bad = api.get("/v1/events:watch?cursor=nonsense").await;
        assert_error_body(&bad, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
    }
}

/// Over the rate limit an HTTP caller gets 429 with `Retry-After`, from the same limiter as gRPC's.
async fn too_many_requests_answer_429_with_retry_after(backend: Backend) {
    let three_at_once = |config: &mut kam_server::Config| {
        config.rate_limit = RateLimit {
            requests_per_second: 1,
            burst: 3,
        };
    };
    let Some(server) = TestServer::start_with(backend, three_at_once).await else {
        return;
    };
    let api = server.http();
    let mut refused = None;
    for _ in 0..10 {
        let answer = api.get("/v1/accounts").await;
        if answer.status == 429 {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("a burst beyond the limit is refused");
    assert_error_body(&refused, 429, "RESOURCE_EXHAUSTED", "RATE_LIMITED");
    let wait: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("whole seconds");
    assert!((1..=2).contains(&wait), "{wait}");
    assert!(refused.error_detail("RetryInfo").is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_too_many_requests_answer_429_with_retry_after() {
    too_many_requests_answer_429_with_retry_after(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_too_many_requests_answer_429_with_retry_after() {
    too_many_requests_answer_429_with_retry_after(Backend::Postgres).await;
}

/// A JSON body beyond twice the message limit (`max_message_bytes`) is refused before it is read whole.
async fn a_body_beyond_the_limit_is_413(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |config| config.max_message_bytes = 4096).await else {
        return;
    };
    let api = server.http();
    let huge = api
        .post("/v1/accounts", json!({"displayName": "x".repeat(10_000)}))
        .await;
    assert_error_body(&huge, 413, "RESOURCE_EXHAUSTED", "BODY_TOO_LARGE");
    let fits = api.post("/v1/accounts", json!({"displayName": "Small"})).await;
    assert_eq!(fits.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_body_beyond_the_limit_is_413() {
    a_body_beyond_the_limit_is_413(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_body_beyond_the_limit_is_413() {
    a_body_beyond_the_limit_is_413(Backend::Postgres).await;
}
