//! Identity and access end to end: API keys, bearer tokens (JWT), roles, the audit trail, row-level
//! access of MEMBERs, output-only fields, the request budget and the first start, through real gRPC on
//! SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set).
//!
//! Tests that need their own server configuration (bearer tokens, the rate limit) run through
//! [`configured_tests!`], which starts one server per backend with the named configuration; all others
//! run through `backend_tests!` on the default configuration.

use std::{
    collections::BTreeSet,
    fmt::Debug,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kam_server::config::{JwtAlgorithm, JwtConfig, RateLimit, StaffClaim};
use kam_tests::{
    Caller, TestServer, assert_error, assert_failed_precondition, assert_invalid_argument, backend_tests,
    error_details,
    pb::{
        self, CredentialKind, Role, Tier, account_service_client::AccountServiceClient,
        identity_service_client::IdentityServiceClient,
    },
    pbjson_types::{FieldMask, Timestamp},
};
use prost::Message;
use sea_orm::{ConnectionTrait, Statement, Value, prelude::DateTimeUtc};
use serde_json::json;
use tonic::{Code, Request, Response, Status};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_request::MessageRequest,
    server_reflection_response::MessageResponse,
};
use tonic_types::StatusExt;
use uuid::Uuid;

type Accounts = AccountServiceClient<kam_tests::Authed>;

// ---------------------------------------------------------------------------------------------------
// Configured servers
// ---------------------------------------------------------------------------------------------------

/// Runs each `async fn name(server: &TestServer)` listed under a configuration function
/// (`fn(&mut kam_server::Config)`) once per backend, on a fresh server started with that configuration:
/// as `configured::sqlite::name` and `configured::postgres::name`.
///
/// ```text
/// configured_tests! {
///     rs256_by_email: [valid_tokens_authenticate, forged_tokens_are_unauthenticated];
/// }
/// ```
macro_rules! configured_tests {
    ($($configure:ident: [$($name:ident),* $(,)?];)*) => {
        mod configured {
            mod sqlite {
                configured_tests!(@backend Sqlite; $($configure: [$($name),*];)*);
            }
            mod postgres {
                configured_tests!(@backend Postgres; $($configure: [$($name),*];)*);
            }
        }
    };
    (@backend $backend:ident; $($configure:ident: [$($name:ident),*];)*) => {
        $($(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(server) = ::kam_tests::TestServer::start_with(
                    ::kam_tests::Backend::$backend,
                    super::super::$configure,
                )
                .await
                else {
                    return;
                };
                super::super::$name(&server).await;
                server.stop().await;
            }
        )*)*
    };
}

const ISSUER: &str = "https://sso.kam-tests.example";
const AUDIENCE: &str = "kam-tests";
/// The shared secret of the HS256 servers (≥ 32 bytes).
const HS256_SECRET: &str = "the HS256 secret of the KAM end-to-end tests";

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn rs256_jwt(claim: StaffClaim) -> JwtConfig {
    JwtConfig {
        issuer: ISSUER.to_owned(),
        audience: AUDIENCE.to_owned(),
        algorithm: JwtAlgorithm::Rs256,
        public_key_pem_file: Some(fixture("jwt-test-public.pem")),
        secret: None,
        staff_claim: claim,
        leeway_seconds: 30,
    }
}

/// Bearer tokens signed with the test RSA key, naming staff by `email`.
fn rs256_by_email(config: &mut kam_server::Config) {
    config.jwt = Some(rs256_jwt(StaffClaim::Email));
}

/// Bearer tokens signed with the test RSA key, naming staff by `sub` (their id).
fn rs256_by_sub(config: &mut kam_server::Config) {
    config.jwt = Some(rs256_jwt(StaffClaim::Sub));
}

/// Bearer tokens signed with [`HS256_SECRET`], naming staff by `email`.
fn hs256_by_email(config: &mut kam_server::Config) {
    config.jwt = Some(JwtConfig {
        issuer: ISSUER.to_owned(),
        audience: AUDIENCE.to_owned(),
        algorithm: JwtAlgorithm::Hs256,
        public_key_pem_file: None,
        secret: Some(HS256_SECRET.to_owned()),
        staff_claim: StaffClaim::Email,
        leeway_seconds: 30,
    });
}

/// A budget of 10 requests at once, refilled at 2 a second: room for the ADMIN's setup calls, and a
/// refill slow enough that a quick burst cannot hide behind it.
fn ten_at_once_two_per_second(config: &mut kam_server::Config) {
    config.rate_limit = RateLimit {
        requests_per_second: 2,
        burst: 10,
    };
}

/// Three failed authentications per client address, one more a second.
fn three_failures_per_address(config: &mut kam_server::Config) {
    config.failed_auth_limit = RateLimit {
        requests_per_second: 1,
        burst: 3,
    };
}

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

/// WhoAmI with exactly this `authorization` header (none when `None`).
async fn who_am_i_with_header(
    server: &TestServer,
    header: Option<String>,
) -> Result<pb::WhoAmIResponse, Status> {
    let mut client =
        IdentityServiceClient::with_interceptor(server.anonymous(), move |mut request: Request<()>| {
            if let Some(value) = &header {
                let value = value.parse().expect("an ASCII header value");
                request.metadata_mut().insert("authorization", value);
            }
            Ok(request)
        });
    client
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .map(Response::into_inner)
}

/// WhoAmI with `authorization: Bearer <credential>`.
async fn who_am_i(server: &TestServer, credential: &str) -> Result<pb::WhoAmIResponse, Status> {
    who_am_i_with_header(server, Some(format!("Bearer {credential}"))).await
}

/// Asserts `result` is UNAUTHENTICATED with KAM's error details; `what` names the case.
fn assert_unauthenticated<T: Debug>(result: Result<T, Status>, what: &str) {
    match result {
        Ok(answer) => panic!("{what}: expected UNAUTHENTICATED, got {answer:?}"),
        Err(status) => {
            assert_eq!(status.code(), Code::Unauthenticated, "{what}: {status:?}");
            assert_error(&status, Code::Unauthenticated);
        }
    }
}

fn assert_permission_denied<T: Debug>(result: Result<T, Status>, what: &str) {
    match result {
        Ok(answer) => panic!("{what}: expected PERMISSION_DENIED, got {answer:?}"),
        Err(status) => {
            assert_eq!(status.code(), Code::PermissionDenied, "{what}: {status:?}");
            assert_error(&status, Code::PermissionDenied);
        }
    }
}

/// UpdateStaff of one field, named by `path`, as `caller`.
async fn update_staff(caller: &Caller, id: &str, path: &str, fields: pb::Staff) -> Result<pb::Staff, Status> {
    caller
        .teams()
        .update_staff(pb::UpdateStaffRequest {
            staff: Some(pb::Staff {
                id: id.to_owned(),
                ..fields
            }),
            update_mask: Some(FieldMask {
                paths: vec![path.to_owned()],
            }),
        })
        .await
        .map(Response::into_inner)
}

async fn deactivate(caller: &Caller, id: &str) -> Result<pb::Staff, Status> {
    caller
        .teams()
        .deactivate_staff(pb::DeactivateStaffRequest {
            id: id.to_owned(),
            etag: String::new(),
        })
        .await
        .map(Response::into_inner)
}

async fn reactivate(caller: &Caller, id: &str) -> Result<pb::Staff, Status> {
    caller
        .teams()
        .reactivate_staff(pb::ReactivateStaffRequest {
            id: id.to_owned(),
            etag: String::new(),
        })
        .await
        .map(Response::into_inner)
}

fn roles_of(answer: &pb::WhoAmIResponse) -> BTreeSet<Role> {
    answer.roles().collect()
}

fn role_set(roles: &pb::StaffRoles) -> BTreeSet<Role> {
    roles.roles().collect()
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
}

/// A timestamp `offset_ms` milliseconds from now (negative: in the past).
fn timestamp_in(offset_ms: i64) -> Timestamp {
    let millis = i64::try_from(unix_now().as_millis()).expect("a sane clock") + offset_ms;
    Timestamp {
        seconds: millis.div_euclid(1000),
        nanos: i32::try_from(millis.rem_euclid(1000) * 1_000_000).expect("below a second"),
    }
}

fn time(t: &Option<Timestamp>) -> (i64, i32) {
    let t = t.as_ref().expect("timestamp is set");
    (t.seconds, t.nanos)
}

async fn create_key(
    caller: &Caller,
    staff_id: &str,
    display_name: &str,
    expire_time: Option<Timestamp>,
) -> Result<pb::CreateApiKeyResponse, Status> {
    caller
        .identity()
        .create_api_key(pb::CreateApiKeyRequest {
            staff_id: staff_id.to_owned(),
            display_name: display_name.to_owned(),
            expire_time,
        })
        .await
        .map(Response::into_inner)
}

async fn list_keys(caller: &Caller, staff_id: &str, show_revoked: bool) -> Result<Vec<pb::ApiKey>, Status> {
    caller
        .identity()
        .list_api_keys(pb::ListApiKeysRequest {
            staff_id: staff_id.to_owned(),
            show_revoked,
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .map(|r| r.into_inner().api_keys)
}

async fn revoke(caller: &Caller, id: &str) -> Result<pb::ApiKey, Status> {
    caller
        .identity()
        .revoke_api_key(pb::RevokeApiKeyRequest { id: id.to_owned() })
        .await
        .map(Response::into_inner)
}

/// The id of the key `caller` calls with.
async fn key_id_of(server: &TestServer, caller: &Caller) -> String {
    let me = who_am_i(server, &caller.secret)
        .await
        .expect("the key authenticates");
    assert_eq!(me.credential(), CredentialKind::ApiKey);
    me.api_key_id
}

/// The stored `secret_hash` of the key with `prefix`.
async fn stored_secret_hash(server: &TestServer, prefix: &str) -> String {
    assert!(
        prefix.starts_with("kam_") && prefix[4..].bytes().all(|b| b.is_ascii_hexdigit()),
        "{prefix:?} is safe to inline"
    );
    let db = server.db().await;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT secret_hash FROM api_keys WHERE prefix = '{prefix}'"),
        ))
        .await
        .expect("query api_keys")
        .expect("the key is stored");
    let hash: String = row.try_get_by_index(0).expect("secret_hash is text");
    let _ = db.close().await;
    hash
}

async fn set_roles(server: &TestServer, staff_id: &str, roles: &[Role]) -> Result<pb::StaffRoles, Status> {
    server
        .identity()
        .set_staff_roles(pb::SetStaffRolesRequest {
            staff_id: staff_id.to_owned(),
            roles: roles.iter().map(|r| *r as i32).collect(),
        })
        .await
        .map(Response::into_inner)
}

async fn get_roles(server: &TestServer, staff_id: &str) -> pb::StaffRoles {
    server
        .identity()
        .get_staff_roles(pb::GetStaffRolesRequest {
            staff_id: staff_id.to_owned(),
        })
        .await
        .expect("get staff roles")
        .into_inner()
}

fn named(display_name: &str) -> pb::Account {
    pb::Account {
        display_name: display_name.to_owned(),
        ..Default::default()
    }
}

async fn create_account(client: &mut Accounts, display_name: &str) -> Result<pb::Account, Status> {
    client
        .create_account(pb::CreateAccountRequest {
            account: Some(named(display_name)),
            request_id: String::new(),
        })
        .await
        .map(Response::into_inner)
}

async fn get_account(client: &mut Accounts, id: &str) -> Result<pb::Account, Status> {
    client
        .get_account(pb::GetAccountRequest { id: id.to_owned() })
        .await
        .map(Response::into_inner)
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

async fn update_account(
    client: &mut Accounts,
    account: pb::Account,
    paths: &[&str],
) -> Result<pb::Account, Status> {
    client
        .update_account(pb::UpdateAccountRequest {
            account: Some(account),
            update_mask: mask(paths),
            change_reason: String::new(),
        })
        .await
        .map(Response::into_inner)
}

async fn list_account_ids(client: &mut Accounts) -> Vec<String> {
    client
        .list_accounts(pb::ListAccountsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list accounts")
        .into_inner()
        .accounts
        .into_iter()
        .map(|a| a.id)
        .collect()
}

async fn create_contact(client: &mut Accounts, account_id: &str, full_name: &str) -> pb::Contact {
    client
        .create_contact(pb::CreateContactRequest {
            contact: Some(pb::Contact {
                account_id: account_id.to_owned(),
                full_name: full_name.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create contact")
        .into_inner()
}

async fn list_contact_ids(client: &mut Accounts, account_id: &str) -> Result<Vec<String>, Status> {
    client
        .list_contacts(pb::ListContactsRequest {
            page_size: 1000,
            account_id: account_id.to_owned(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().contacts.into_iter().map(|c| c.id).collect())
}

async fn get_contact(client: &mut Accounts, id: &str) -> Result<pb::Contact, Status> {
    client
        .get_contact(pb::GetContactRequest { id: id.to_owned() })
        .await
        .map(Response::into_inner)
}

/// Every audit entry `request` selects, walking the pages of `request.page_size`.
async fn audit_entries(server: &TestServer, request: pb::ListAuditEntriesRequest) -> Vec<pb::AuditEntry> {
    let mut request = request;
    let mut entries = Vec::new();
    for _ in 0..10_000 {
        let page = server
            .audit()
            .list_audit_entries(request.clone())
            .await
            .expect("list audit entries")
            .into_inner();
        if request.page_size > 0 {
            assert!(
                page.audit_entries.len() <= usize::try_from(request.page_size).unwrap(),
                "a page larger than page_size"
            );
        }
        entries.extend(page.audit_entries);
        if page.next_page_token.is_empty() {
            return entries;
        }
        request.page_token = page.next_page_token;
    }
    panic!("the audit trail never ends");
}

fn all_audit(page_size: i32) -> pb::ListAuditEntriesRequest {
    pb::ListAuditEntriesRequest {
        page_size,
        ..Default::default()
    }
}

fn audit_ids(entries: &[pb::AuditEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.id.as_str()).collect()
}

/// `(method, resource_type, resource_id)` of each entry.
fn audit_summary(entries: &[pb::AuditEntry]) -> Vec<(&str, &str, &str)> {
    entries
        .iter()
        .map(|e| {
            (
                e.method.as_str(),
                e.resource_type.as_str(),
                e.resource_id.as_str(),
            )
        })
        .collect()
}

/// Signs `claims` with the test RSA private key.
fn rs256_token(claims: &serde_json::Value) -> String {
    let pem = std::fs::read(fixture("jwt-test-private.pem")).expect("read the test private key");
    let key = EncodingKey::from_rsa_pem(&pem).expect("the test private key is an RSA PEM");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("sign RS256")
}

fn hs256_token(secret: &[u8], claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("sign HS256")
}

/// Valid claims (issuer, audience, an hour to live) plus `extra`.
fn claims(extra: serde_json::Value) -> serde_json::Value {
    let mut claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": unix_now().as_secs(),
        "exp": unix_now().as_secs() + 3600,
    });
    for (name, value) in extra.as_object().expect("extra claims are an object") {
        claims[name] = value.clone();
    }
    claims
}

fn b64(json: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}

/// `token` with the character at `index` of its signature replaced by another base64url character.
fn with_flipped_signature_char(token: &str, index: usize) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("a JWT has three parts");
    let mut signature: Vec<char> = signature.chars().collect();
    signature[index] = if signature[index] == 'A' { 'B' } else { 'A' };
    format!("{signed}.{}", signature.into_iter().collect::<String>())
}

/// Asserts `token` authenticates as `staff` (a MEMBER), as a bearer token.
async fn assert_token_authenticates(server: &TestServer, token: &str, staff: &pb::Staff, what: &str) {
    let me = who_am_i(server, token)
        .await
        .unwrap_or_else(|status| panic!("{what}: {status:?}"));
    assert_eq!(me.staff_id, staff.id, "{what}");
    assert_eq!(me.email, staff.email, "{what}");
    assert_eq!(me.credential(), CredentialKind::BearerToken, "{what}");
    assert_eq!(me.api_key_id, "", "{what}");
    assert_eq!(roles_of(&me), BTreeSet::from([Role::Member]), "{what}");
}

// ---------------------------------------------------------------------------------------------------
// Bearer tokens
// ---------------------------------------------------------------------------------------------------

configured_tests! {
    rs256_by_email: [
        rs256_token_naming_a_staff_email_authenticates_as_a_bearer_token,
        rs256_server_refuses_expired_misaddressed_forged_and_unknown_tokens,
        bearer_token_mutations_are_audited_as_bearer,
        a_key_minted_with_a_token_expires_with_it,
    ];
    rs256_by_sub: [rs256_token_by_sub_names_the_staff_id_and_ignores_email];
    hs256_by_email: [hs256_server_accepts_its_secret_and_refuses_rs256_tokens];
    ten_at_once_two_per_second: [
        requests_over_the_budget_are_exhausted_with_a_retry_delay,
    ];
    three_failures_per_address: [an_address_that_keeps_failing_gets_no_more_lookups];
}

async fn rs256_token_naming_a_staff_email_authenticates_as_a_bearer_token(server: &TestServer) {
    let staff = server.create_staff(pb::StaffLevel::Staff).await;
    let token = rs256_token(&claims(json!({ "email": staff.email, "sub": "sso|12345" })));
    assert_token_authenticates(server, &token, &staff, "email claim").await;

    // Staff emails are stored lower-cased; an SSO may send them otherwise.
    let shouted = rs256_token(&claims(json!({ "email": staff.email.to_uppercase() })));
    assert_token_authenticates(server, &shouted, &staff, "upper-case email claim").await;

    // API keys still work next to tokens.
    let me = who_am_i(server, &server.admin().secret)
        .await
        .expect("the ADMIN key");
    assert_eq!(me.credential(), CredentialKind::ApiKey);
}

async fn rs256_server_refuses_expired_misaddressed_forged_and_unknown_tokens(server: &TestServer) {
    let staff = server.create_staff(pb::StaffLevel::Staff).await;
    let victim = server.create_staff(pb::StaffLevel::Staff).await;
    let valid = rs256_token(&claims(json!({ "email": staff.email })));
    // The control: the refusals below are about what was changed, not about the setup.
    assert_token_authenticates(server, &valid, &staff, "the valid token").await;

    let now = unix_now().as_secs();
    let public_pem = std::fs::read(fixture("jwt-test-public.pem")).expect("read the test public key");
    let (header, payload, _) = {
        let mut parts = valid.split('.');
        (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        )
    };
    let signature_len = valid.rsplit('.').next().unwrap().len();
    let victim_payload = b64(&claims(json!({ "email": victim.email })));
    let refused = [
        (
            "expired beyond the leeway",
            rs256_token(&claims(
                json!({ "email": staff.email, "exp": now - 300, "iat": now - 900 }),
            )),
        ),
        (
            "not yet valid (nbf beyond the leeway)",
            rs256_token(&claims(json!({ "email": staff.email, "nbf": now + 600 }))),
        ),
        (
            "wrong audience",
            rs256_token(&claims(json!({ "email": staff.email, "aud": "another-service" }))),
        ),
        (
            "wrong issuer",
            rs256_token(&claims(
                json!({ "email": staff.email, "iss": "https://evil.example" }),
            )),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({ "alg": "none", "typ": "JWT" })),
                b64(&claims(json!({ "email": staff.email })))
            ),
        ),
        (
            "HS256 signed with the RSA public key PEM (algorithm confusion)",
            hs256_token(&public_pem, &claims(json!({ "email": staff.email }))),
        ),
        (
            "a character in the middle of the signature changed",
            with_flipped_signature_char(&valid, signature_len / 2),
        ),
        (
            "the first character of the signature changed",
            with_flipped_signature_char(&valid, 0),
        ),
        (
            "the payload swapped for another staff member's (signature kept)",
            format!("{header}.{victim_payload}.{}", valid.rsplit('.').next().unwrap()),
        ),
        ("the signature removed", format!("{header}.{payload}.")),
        (
            "an unknown email",
            rs256_token(&claims(json!({ "email": "nobody-at-all@example.com" }))),
        ),
        ("no email claim", rs256_token(&claims(json!({ "sub": staff.id })))),
        (
            "no exp claim",
            rs256_token(&json!({ "iss": ISSUER, "aud": AUDIENCE, "email": staff.email })),
        ),
        ("not a JWT at all", "eyJhbGciOi.not.a-token".to_owned()),
    ];
    for (what, token) in refused {
        assert_unauthenticated(who_am_i(server, &token).await, what);
    }

    // A deactivated person's tokens stop working (within the credential cache's lifetime).
    server
        .teams()
        .deactivate_staff(pb::DeactivateStaffRequest {
            id: staff.id.clone(),
            etag: String::new(),
        })
        .await
        .expect("deactivate staff");
    let fresh = rs256_token(&claims(json!({ "email": staff.email, "jti": "after" })));
    assert_unauthenticated(
        who_am_i(server, &fresh).await,
        "a deactivated staff member's token",
    );
}

async fn bearer_token_mutations_are_audited_as_bearer(server: &TestServer) {
    let manager = server.caller_with_roles(&[Role::Manager]).await;
    let email = who_am_i(server, &manager.secret).await.expect("the key").email;
    let token = rs256_token(&claims(json!({ "email": email })));
    let mut accounts = server.caller(manager.staff_id.clone(), token).accounts();
    let account = create_account(&mut accounts, "Bearer Ltd")
        .await
        .expect("create as a bearer");
    let entries = audit_entries(
        server,
        pb::ListAuditEntriesRequest {
            resource_id: account.id.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].principal_id, manager.staff_id);
    assert_eq!(entries[0].credential, "bearer");
}

async fn a_key_minted_with_a_token_expires_with_it(server: &TestServer) {
    let staff = server.create_staff(pb::StaffLevel::Staff).await;
    let claims = claims(json!({ "email": staff.email }));
    let token = rs256_token(&claims);
    let with_token = server.caller(staff.id.clone(), token);
    let key = create_key(&with_token, "", "minted with a token", None)
        .await
        .expect("a key minted with a bearer token")
        .api_key
        .expect("the key");
    let expiry = claims["exp"].as_u64().expect("exp is a number");
    assert_eq!(
        key.expire_time.map(|t| t.seconds),
        Some(i64::try_from(expiry).expect("a sane exp")),
        "the key expires when the token does"
    );
}

/// Past three bad credentials an address gets RESOURCE_EXHAUSTED before any lookup, except with a
/// credential recently found good; a second later it may try once more.
async fn an_address_that_keeps_failing_gets_no_more_lookups(server: &TestServer) {
    who_am_i(server, &server.admin().secret)
        .await
        .expect("the ADMIN key is good");
    let unknown = |n: u8| format!("kam_deadbee{n}_{}", URL_SAFE_NO_PAD.encode([n; 32]));
    for n in 0..3 {
        assert_unauthenticated(who_am_i(server, &unknown(n)).await, "a bad key within the budget");
    }
    let refused = who_am_i(server, &unknown(3)).await.unwrap_err();
    assert_error(&refused, Code::ResourceExhausted);
    assert!(
        refused.get_error_details().retry_info().is_some(),
        "says when to try again: {refused:?}"
    );
    let never_used = server
        .key_for(&server.create_staff(pb::StaffLevel::Staff).await.id)
        .await;
    assert_error(
        &who_am_i(server, &never_used).await.unwrap_err(),
        Code::ResourceExhausted,
    );
    who_am_i(server, &server.admin().secret)
        .await
        .expect("a credential found good a moment ago still works from the address");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    who_am_i(server, &never_used)
        .await
        .expect("a second later the address may look up a credential again");
}

async fn rs256_token_by_sub_names_the_staff_id_and_ignores_email(server: &TestServer) {
    let staff = server.create_staff(pb::StaffLevel::Staff).await;
    let other = server.create_staff(pb::StaffLevel::Staff).await;
    // `sub` decides; an `email` of someone else changes nothing.
    let token = rs256_token(&claims(json!({ "sub": staff.id, "email": other.email })));
    assert_token_authenticates(server, &token, &staff, "sub claim").await;

    let refused = [
        (
            "only an email claim",
            rs256_token(&claims(json!({ "email": staff.email }))),
        ),
        (
            "an unknown staff id",
            rs256_token(&claims(json!({ "sub": Uuid::now_v7().to_string() }))),
        ),
        (
            "a sub that is not a staff id",
            rs256_token(&claims(json!({ "sub": "sso|12345" }))),
        ),
        (
            "expired",
            rs256_token(&claims(
                json!({ "sub": staff.id, "exp": unix_now().as_secs() - 300 }),
            )),
        ),
    ];
    for (what, token) in refused {
        assert_unauthenticated(who_am_i(server, &token).await, what);
    }
}

async fn hs256_server_accepts_its_secret_and_refuses_rs256_tokens(server: &TestServer) {
    let staff = server.create_staff(pb::StaffLevel::Staff).await;
    let valid = hs256_token(HS256_SECRET.as_bytes(), &claims(json!({ "email": staff.email })));
    assert_token_authenticates(server, &valid, &staff, "HS256 with the secret").await;

    let refused = [
        (
            "RS256, correctly signed with the RSA key",
            rs256_token(&claims(json!({ "email": staff.email }))),
        ),
        (
            "HS256 with another secret",
            hs256_token(
                b"another secret of at least thirty-two bytes!!",
                &claims(json!({ "email": staff.email })),
            ),
        ),
        (
            "HS256 with the wrong audience",
            hs256_token(
                HS256_SECRET.as_bytes(),
                &claims(json!({ "email": staff.email, "aud": "another-service" })),
            ),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({ "alg": "none", "typ": "JWT" })),
                b64(&claims(json!({ "email": staff.email })))
            ),
        ),
    ];
    for (what, token) in refused {
        assert_unauthenticated(who_am_i(server, &token).await, what);
    }
}

// ---------------------------------------------------------------------------------------------------
// The request budget
// ---------------------------------------------------------------------------------------------------

async fn requests_over_the_budget_are_exhausted_with_a_retry_delay(server: &TestServer) {
    // Setup as the ADMIN: 4 calls, well within its burst (the harness spent one on WhoAmI).
    let first = server.create_staff(pb::StaffLevel::Staff).await;
    let first_key = server.key_for(&first.id).await;
    let second = server.create_staff(pb::StaffLevel::Staff).await;
    let second_key = server.key_for(&second.id).await;

    for call in 1..=10 {
        who_am_i(server, &first_key)
            .await
            .unwrap_or_else(|status| panic!("call {call} of the burst: {status:?}"));
    }
    let status = who_am_i(server, &first_key)
        .await
        .expect_err("the 11th call of the burst is over the budget");
    assert_error(&status, Code::ResourceExhausted);
    let delay = error_details(&status)
        .retry_info()
        .unwrap_or_else(|| panic!("no google.rpc.RetryInfo in {status:?}"))
        .retry_delay
        .unwrap_or_else(|| panic!("RetryInfo without retry_delay in {status:?}"));
    assert!(
        delay > Duration::ZERO && delay <= Duration::from_millis(500),
        "retry_delay {delay:?} is not in (0, 500ms], the time one token takes at 2 a second"
    );

    // Someone else's budget is their own.
    let other = who_am_i(server, &second_key)
        .await
        .expect("another principal is not limited by the first one's burst");
    assert_eq!(other.staff_id, second.id);

    tokio::time::sleep(delay + Duration::from_millis(50)).await;
    let again = who_am_i(server, &first_key)
        .await
        .expect("after the retry delay the call is served");
    assert_eq!(again.staff_id, first.id);
}

// ---------------------------------------------------------------------------------------------------
// Everything on the default configuration
// ---------------------------------------------------------------------------------------------------

backend_tests! {
    // ----- API keys -----

    async fn created_key_is_a_random_kam_secret_kept_only_as_a_hash(server: &TestServer) {
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        let created = create_key(server.admin(), &staff.id, "ERP nightly import", None)
            .await
            .expect("create an API key");
        let key = created.api_key.clone().expect("the key");
        let secret = created.secret.clone();

        // `kam_<8 hex>_<at least 32 random bytes, base64url>`.
        assert!(secret.starts_with("kam_"), "{secret}");
        assert_eq!(key.prefix.len(), 12, "{key:?}");
        assert!(key.prefix[4..].bytes().all(|b| b.is_ascii_hexdigit()), "{key:?}");
        let random = secret
            .strip_prefix(&format!("{}_", key.prefix))
            .unwrap_or_else(|| panic!("{secret} does not start with the prefix {}_", key.prefix));
        let random = URL_SAFE_NO_PAD
            .decode(random)
            .unwrap_or_else(|e| panic!("the random part of {secret} is not base64url: {e}"));
        assert!(random.len() >= 32, "only {} random bytes", random.len());
        assert_eq!(key.staff_id, staff.id);
        assert_eq!(key.display_name, "ERP nightly import");
        assert!(key.revoke_time.is_none() && key.expire_time.is_none() && key.last_use_time.is_none());

        // Another key shares nothing with it.
        let another = server.key_for(&staff.id).await;
        assert_ne!(another, secret);
        assert_ne!(&another[..12], key.prefix);

        // It authenticates as its staff member.
        let me = who_am_i(server, &secret).await.expect("the new key authenticates");
        assert_eq!(me.staff_id, staff.id);
        assert_eq!(me.email, staff.email);
        assert_eq!(roles_of(&me), BTreeSet::from([Role::Member]));
        assert_eq!(me.credential(), CredentialKind::ApiKey);
        assert_eq!(me.api_key_id, key.id);

        // Only a hash is stored.
        let hash = stored_secret_hash(server, &key.prefix).await;
        assert!(!hash.is_empty());
        assert!(!hash.contains(&secret), "the stored hash contains the secret");
        let random_text = &secret[13..];
        assert!(!hash.contains(random_text), "the stored hash contains the random part");
        assert_eq!(
            server
                .query_i64(
                    "SELECT count(*) FROM api_keys WHERE secret_hash = $1 OR display_name = $1",
                    [Value::from(secret.clone())],
                )
                .await,
            0
        );

        // Lists show the key, without any secret, and when it was last used.
        let listed = list_keys(&server.caller(staff.id.clone(), secret.clone()), "", false)
            .await
            .expect("list own keys");
        let mine = listed
            .iter()
            .find(|k| k.id == key.id)
            .unwrap_or_else(|| panic!("{} not in {listed:?}", key.id));
        assert_eq!(mine.prefix, key.prefix);
        assert_eq!(mine.display_name, "ERP nightly import");
        assert_eq!(mine.creator_id, server.admin().staff_id);
        let last_use = time(&mine.last_use_time);
        assert!(last_use >= time(&key.create_time), "{mine:?}");
        let wire = pb::ListApiKeysResponse {
            api_keys: listed.clone(),
            next_page_token: String::new(),
        }
        .encode_to_vec();
        assert!(
            !wire.windows(random_text.len()).any(|w| w == random_text.as_bytes()),
            "a listed key carries its secret"
        );
        let descriptor = prost_types::FileDescriptorSet::decode(kam_tests::kam_proto::FILE_DESCRIPTOR_SET)
            .expect("the descriptor set");
        let api_key = descriptor
            .file
            .iter()
            .flat_map(|f| f.message_type.iter())
            .find(|m| m.name() == "ApiKey")
            .expect("the ApiKey message");
        let fields: Vec<&str> = api_key.field.iter().map(|f| f.name()).collect();
        assert!(
            fields.iter().all(|f| !f.contains("secret") && !f.contains("hash")),
            "ApiKey has a field for the secret: {fields:?}"
        );
    }

    async fn revoked_key_is_unauthenticated_at_once_and_cannot_be_revoked_again(server: &TestServer) {
        let member = server.caller_with_roles(&[Role::Member]).await;
        let spare = server.key_for(&member.staff_id).await;
        let key_id = key_id_of(server, &member).await; // also caches the principal
        who_am_i(server, &member.secret).await.expect("works before the revocation");

        // The owner revokes their own key, with that very key.
        let revoked = revoke(&member, &key_id).await.expect("revoke own key");
        assert_eq!(revoked.id, key_id);
        assert!(revoked.revoke_time.is_some(), "{revoked:?}");
        assert_unauthenticated(who_am_i(server, &member.secret).await, "a revoked key, right after");
        assert_unauthenticated(
            member.accounts().list_accounts(pb::ListAccountsRequest::default()).await,
            "a revoked key on another service",
        );

        // Revoking again is a broken precondition, for the owner (with another key) and the ADMIN.
        let spare_caller = server.caller(member.staff_id.clone(), spare.clone());
        assert_failed_precondition(&revoke(&spare_caller, &key_id).await.unwrap_err(), "KEY_REVOKED");
        assert_failed_precondition(&revoke(server.admin(), &key_id).await.unwrap_err(), "KEY_REVOKED");

        // Lists hide revoked keys unless asked.
        let active = list_keys(&spare_caller, "", false).await.expect("list");
        assert!(active.iter().all(|k| k.id != key_id), "{active:?}");
        let all = list_keys(&spare_caller, "", true).await.expect("list with revoked");
        let listed = all.iter().find(|k| k.id == key_id).expect("the revoked key is listed");
        assert_eq!(listed.revoke_time, revoked.revoke_time);

        who_am_i(server, &spare).await.expect("the other key still works");
    }

    async fn only_an_admin_lists_or_revokes_the_keys_of_others(server: &TestServer) {
        let owner = server.caller_with_roles(&[Role::Member]).await;
        let owner_key = key_id_of(server, &owner).await;
        // A MANAGER is no ADMIN either.
        let stranger = server.caller_with_roles(&[Role::Manager]).await;

        assert_permission_denied(
            list_keys(&stranger, &owner.staff_id, false).await,
            "a non-ADMIN listing someone else's keys",
        );
        assert_permission_denied(revoke(&stranger, &owner_key).await, "a non-ADMIN revoking someone else's key");
        // An unknown id answers the same: key ids reveal nothing.
        assert_permission_denied(
            revoke(&stranger, &Uuid::now_v7().to_string()).await,
            "a non-ADMIN revoking an unknown key",
        );
        assert_permission_denied(
            create_key(&stranger, &owner.staff_id, "not mine", None).await,
            "a non-ADMIN creating a key for someone else",
        );
        who_am_i(server, &owner.secret).await.expect("the refused revocation changed nothing");

        let listed = list_keys(server.admin(), &owner.staff_id, false)
            .await
            .expect("an ADMIN lists anyone's keys");
        assert_eq!(listed.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(), [owner_key.as_str()]);
        let revoked = revoke(server.admin(), &owner_key).await.expect("an ADMIN revokes anyone's key");
        assert!(revoked.revoke_time.is_some());
        assert_unauthenticated(who_am_i(server, &owner.secret).await, "a key an ADMIN revoked");
        assert_error(
            &revoke(server.admin(), &Uuid::now_v7().to_string()).await.unwrap_err(),
            Code::NotFound,
        );
    }

    async fn key_with_a_past_expiry_is_invalid(server: &TestServer) {
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        let status = create_key(server.admin(), &staff.id, "too late", Some(timestamp_in(-60_000)))
            .await
            .unwrap_err();
        assert_invalid_argument(&status, "expire_time");
        assert!(
            list_keys(server.admin(), &staff.id, true).await.expect("list").is_empty(),
            "the refused key was stored"
        );
    }

    async fn key_stops_authenticating_when_it_expires(server: &TestServer) {
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        let expiry = timestamp_in(1_000);
        let created = create_key(server.admin(), &staff.id, "short-lived", Some(expiry))
            .await
            .expect("create a key that expires in 1 s");
        assert_eq!(created.api_key.as_ref().unwrap().expire_time, Some(expiry));
        // Used while valid, as any busy client does: the expiry must hold all the same.
        who_am_i(server, &created.secret).await.expect("the key works before it expires");

        let expiry_at = UNIX_EPOCH
            + Duration::new(expiry.seconds.try_into().unwrap(), expiry.nanos.try_into().unwrap());
        let wait = expiry_at
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            + Duration::from_millis(200);
        tokio::time::sleep(wait).await;
        assert_unauthenticated(
            who_am_i(server, &created.secret).await,
            "a key used just before its expire_time, called again just after it",
        );
    }

    async fn expired_key_never_used_before_is_unauthenticated(server: &TestServer) {
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        let created = create_key(server.admin(), &staff.id, "expires", Some(timestamp_in(3_600_000)))
            .await
            .expect("create a key");
        let id = Uuid::parse_str(&created.api_key.unwrap().id).unwrap();
        let past = DateTimeUtc::from_timestamp(
            i64::try_from(unix_now().as_secs()).unwrap() - 60,
            0,
        )
        .unwrap();
        let touched = server
            .execute(
                "UPDATE api_keys SET expire_time = $1 WHERE id = $2",
                [Value::from(past), Value::from(id)],
            )
            .await;
        assert_eq!(touched, 1);
        assert_unauthenticated(who_am_i(server, &created.secret).await, "a key whose expire_time passed");
    }

    async fn unknown_malformed_and_missing_credentials_are_unauthenticated(server: &TestServer) {
        let admin_key = server.admin().secret.clone();
        // The control: the same header shape with the real key works.
        who_am_i(server, &admin_key).await.expect("the ADMIN key");

        let mut tampered = admin_key.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        let unknown = format!("kam_deadbeef_{}", URL_SAFE_NO_PAD.encode([7u8; 32]));
        let cases = [
            ("an unknown, well-formed key", Some(format!("Bearer {unknown}"))),
            ("a real prefix with another secret", Some(format!("Bearer {tampered}"))),
            ("a real key, truncated", Some(format!("Bearer {}", &admin_key[..admin_key.len() - 1]))),
            ("garbage", Some("Bearer not-a-key-at-all".to_owned())),
            ("an empty credential", Some("Bearer ".to_owned())),
            ("the Basic scheme", Some(format!("Basic {}", URL_SAFE_NO_PAD.encode("admin:secret")))),
            ("the real key under the Basic scheme", Some(format!("Basic {admin_key}"))),
            ("the real key without a scheme", Some(admin_key.clone())),
            ("no authorization header", None),
        ];
        for (what, header) in cases {
            assert_unauthenticated(who_am_i_with_header(server, header).await, what);
        }
        assert_unauthenticated(
            AccountServiceClient::new(server.anonymous())
                .list_accounts(pb::ListAccountsRequest::default())
                .await,
            "AccountService without credentials",
        );
    }

    async fn deactivated_staff_key_is_unauthenticated(server: &TestServer) {
        let person = server.caller_with_roles(&[Role::Member]).await;
        who_am_i(server, &person.secret).await.expect("works while active");
        server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest {
                id: person.staff_id.clone(),
                etag: String::new(),
            })
            .await
            .expect("deactivate staff");
        // Deactivation may take the credential cache's lifetime (5 s) to apply.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(7);
        loop {
            match who_am_i(server, &person.secret).await {
                Err(status) => {
                    assert_error(&status, Code::Unauthenticated);
                    break;
                }
                Ok(_) => assert!(
                    tokio::time::Instant::now() < deadline,
                    "a deactivated staff member's key still authenticates after 7 s"
                ),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_failed_precondition(
            &create_key(server.admin(), &person.staff_id, "for the departed", None)
                .await
                .unwrap_err(),
            "STAFF_INACTIVE",
        );
    }

    async fn health_and_reflection_need_no_credentials(server: &TestServer) {
        let health = server
            .health()
            .check(HealthCheckRequest { service: String::new() })
            .await
            .expect("health without credentials")
            .into_inner();
        assert_eq!(health.status(), ServingStatus::Serving);

        let mut responses = server
            .reflection()
            .server_reflection_info(tokio_stream::iter([ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            }]))
            .await
            .expect("reflection without credentials")
            .into_inner();
        let listed = responses.message().await.expect("list services").expect("a response");
        let Some(MessageResponse::ListServicesResponse(list)) = listed.message_response else {
            panic!("unexpected reflection answer {listed:?}");
        };
        let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
        assert!(names.contains(&"kam.v1.IdentityService"), "{names:?}");

        // The same anonymous channel gets nowhere else.
        assert_unauthenticated(
            IdentityServiceClient::new(server.anonymous()).who_am_i(pb::WhoAmIRequest {}).await,
            "WhoAmI on the anonymous channel",
        );
    }

    async fn api_key_creator_is_the_caller_and_prefix_is_the_servers(server: &TestServer) {
        let member = server.caller_with_roles(&[Role::Member]).await;
        let by_admin = create_key(server.admin(), &member.staff_id, "made by the ADMIN", None)
            .await
            .expect("an ADMIN creates a key for someone")
            .api_key
            .unwrap();
        assert_eq!(by_admin.staff_id, member.staff_id);
        assert_eq!(by_admin.creator_id, server.admin().staff_id);

        let own = create_key(&member, "", "my laptop", None).await.expect("a key for oneself");
        let key = own.api_key.unwrap();
        assert_eq!(key.staff_id, member.staff_id, "an empty staff_id means the caller");
        assert_eq!(key.creator_id, member.staff_id);
        assert_eq!(key.prefix, own.secret[..12]);
        let me = who_am_i(server, &own.secret).await.expect("the own key");
        assert_eq!(me.staff_id, member.staff_id);
        assert_eq!(me.api_key_id, key.id);
    }

    async fn first_start_writes_a_private_admin_key_file(server: &TestServer) {
        use std::os::unix::fs::PermissionsExt;

        let path = server.admin_key_path();
        let metadata = std::fs::metadata(&path).expect("the ADMIN key file exists");
        assert_eq!(
            metadata.permissions().mode() & 0o777,
            0o600,
            "{} is readable by others",
            path.display()
        );
        let secret = std::fs::read_to_string(&path).expect("read the key file");
        let secret = secret.trim();
        assert!(secret.starts_with("kam_"), "the file holds {secret:?}");
        let me = who_am_i(server, secret).await.expect("the key of the file authenticates");
        assert!(roles_of(&me).contains(&Role::Admin), "{me:?}");
        assert_eq!(me.credential(), CredentialKind::ApiKey);
        let keys = list_keys(server.admin(), "", false).await.expect("the ADMIN's keys");
        assert_eq!(keys.len(), 1, "{keys:?}");
        assert_eq!(keys[0].id, me.api_key_id);
        assert_eq!(keys[0].prefix, secret[..12]);
    }

    // ----- roles -----

    async fn staff_roles_round_trip(server: &TestServer) {
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        assert_eq!(
            role_set(&get_roles(server, &staff.id).await),
            BTreeSet::from([Role::Member]),
            "no stored role acts as MEMBER"
        );
        let set = set_roles(server, &staff.id, &[Role::Manager, Role::ServiceAgent, Role::Manager])
            .await
            .expect("set roles");
        assert_eq!(set.staff_id, staff.id);
        assert_eq!(set.roles.len(), 2, "duplicates are ignored: {set:?}");
        assert_eq!(role_set(&set), BTreeSet::from([Role::Manager, Role::ServiceAgent]));
        assert_eq!(get_roles(server, &staff.id).await, set);

        let replaced = set_roles(server, &staff.id, &[Role::Integration]).await.expect("replace roles");
        assert_eq!(role_set(&replaced), BTreeSet::from([Role::Integration]));
        assert_eq!(get_roles(server, &staff.id).await, replaced);

        let key = server.key_for(&staff.id).await;
        let me = who_am_i(server, &key).await.expect("the key");
        assert_eq!(roles_of(&me), BTreeSet::from([Role::Integration]));
    }

    async fn set_staff_roles_needs_at_least_one_known_role(server: &TestServer) {
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        set_roles(server, &staff.id, &[Role::Executive]).await.expect("set roles");
        assert_invalid_argument(&set_roles(server, &staff.id, &[]).await.unwrap_err(), "roles");
        assert_invalid_argument(
            &set_roles(server, &staff.id, &[Role::Unspecified]).await.unwrap_err(),
            "roles[0]",
        );
        assert_eq!(
            role_set(&get_roles(server, &staff.id).await),
            BTreeSet::from([Role::Executive]),
            "a refused change changed the roles"
        );
        assert_error(
            &set_roles(server, &Uuid::now_v7().to_string(), &[Role::Manager]).await.unwrap_err(),
            Code::NotFound,
        );
    }

    async fn the_last_admin_keeps_the_role(server: &TestServer) {
        let admin_id = server.admin().staff_id.clone();
        let status = set_roles(server, &admin_id, &[Role::Manager]).await.unwrap_err();
        assert_failed_precondition(&status, "LAST_ADMIN");
        assert_eq!(
            role_set(&get_roles(server, &admin_id).await),
            BTreeSet::from([Role::Admin])
        );

        // Once someone else is ADMIN, the first one may step down.
        let second = server.caller_with_roles(&[Role::Admin]).await;
        let stepped_down = set_roles(server, &admin_id, &[Role::Manager])
            .await
            .expect("with another ADMIN the first may lose the role");
        assert_eq!(role_set(&stepped_down), BTreeSet::from([Role::Manager]));
        // And now the second is the last one.
        let status = second
            .identity()
            .set_staff_roles(pb::SetStaffRolesRequest {
                staff_id: second.staff_id.clone(),
                roles: vec![Role::Executive as i32],
            })
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "LAST_ADMIN");
    }

    async fn the_last_admin_cannot_be_deactivated(server: &TestServer) {
        let admin_id = server.admin().staff_id.clone();
        let status = server
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest {
                id: admin_id.clone(),
                etag: String::new(),
            })
            .await
            .unwrap_err();
        assert_failed_precondition(&status, "LAST_ADMIN");
        who_am_i(server, &server.admin().secret)
            .await
            .expect("the refused deactivation left the ADMIN active");

        // With a second ADMIN, the first may leave.
        let second = server.caller_with_roles(&[Role::Admin]).await;
        let gone = second
            .teams()
            .deactivate_staff(pb::DeactivateStaffRequest {
                id: admin_id,
                etag: String::new(),
            })
            .await
            .expect("another ADMIN remains")
            .into_inner();
        assert!(!gone.active);
    }

    async fn role_changes_apply_to_the_next_call(server: &TestServer) {
        let person = server.caller_with_roles(&[Role::Member]).await;
        let mut accounts = person.accounts();
        assert_permission_denied(create_account(&mut accounts, "Too early").await, "a MEMBER creating");

        set_roles(server, &person.staff_id, &[Role::Manager]).await.expect("promote");
        let me = who_am_i(server, &person.secret).await.expect("the key");
        assert_eq!(roles_of(&me), BTreeSet::from([Role::Manager]));
        create_account(&mut accounts, "Right on time")
            .await
            .expect("a MANAGER creates accounts right after the promotion");

        set_roles(server, &person.staff_id, &[Role::Member]).await.expect("demote");
        assert_permission_denied(
            create_account(&mut accounts, "Too late").await,
            "a MEMBER creating right after the demotion",
        );
    }

    // ----- audit -----

    async fn audit_trail_filters_by_principal_resource_and_time_newest_first(server: &TestServer) {
        let first = server.caller_with_roles(&[Role::Manager]).await;
        let second = server.caller_with_roles(&[Role::Manager]).await;
        let first_key = key_id_of(server, &first).await;
        let second_key = key_id_of(server, &second).await;

        let mut first_accounts = first.accounts();
        let a1 = create_account(&mut first_accounts, "Audited One").await.expect("create");
        let renamed = update_account(
            &mut first_accounts,
            pb::Account {
                id: a1.id.clone(),
                display_name: "Audited One renamed".into(),
                ..Default::default()
            },
            &["display_name"],
        )
        .await
        .expect("update");
        assert_eq!(renamed.display_name, "Audited One renamed");
        let a2 = create_account(&mut second.accounts(), "Audited Two").await.expect("create");

        const CREATE: &str = "/kam.v1.AccountService/CreateAccount";
        const UPDATE: &str = "/kam.v1.AccountService/UpdateAccount";

        // By principal: only that caller's rows, newest first.
        let by_first = audit_entries(
            server,
            pb::ListAuditEntriesRequest {
                principal_id: first.staff_id.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            audit_summary(&by_first),
            [(UPDATE, "account", a1.id.as_str()), (CREATE, "account", a1.id.as_str())]
        );
        for entry in &by_first {
            assert_eq!(entry.principal_id, first.staff_id, "{entry:?}");
            assert_eq!(entry.credential, format!("api_key/{first_key}"), "{entry:?}");
        }
        assert_eq!(by_first[0].changed_fields, ["display_name"]);
        let by_second = audit_entries(
            server,
            pb::ListAuditEntriesRequest {
                principal_id: second.staff_id.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(audit_summary(&by_second), [(CREATE, "account", a2.id.as_str())]);
        assert_eq!(by_second[0].principal_id, second.staff_id);
        assert_eq!(by_second[0].credential, format!("api_key/{second_key}"));

        // By resource.
        let by_resource = audit_entries(
            server,
            pb::ListAuditEntriesRequest {
                resource_id: a1.id.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(audit_ids(&by_resource), audit_ids(&by_first));
        let by_type_and_resource = audit_entries(
            server,
            pb::ListAuditEntriesRequest {
                resource_type: "account".into(),
                resource_id: a2.id.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(audit_ids(&by_type_and_resource), audit_ids(&by_second));

        // Everything, newest first: the ADMIN's setup (staff, roles, keys) came before.
        let all = audit_entries(server, all_audit(1000)).await;
        assert!(all.len() > 3, "{all:?}");
        assert_eq!(all[0].id, by_second[0].id, "the newest entry comes first");
        for pair in all.windows(2) {
            let (newer, older) = (&pair[0], &pair[1]);
            assert!(
                Uuid::parse_str(&newer.id).unwrap() > Uuid::parse_str(&older.id).unwrap(),
                "not newest first: {newer:?} before {older:?}"
            );
            assert!(time(&newer.occur_time) >= time(&older.occur_time), "{newer:?} / {older:?}");
        }
        assert!(all.iter().any(|e| e.principal_id == server.admin().staff_id));

        // A time window [start, end): from the first caller's create to the second caller's.
        let start = by_first[1].occur_time;
        let end = by_second[0].occur_time;
        let window = audit_entries(
            server,
            pb::ListAuditEntriesRequest {
                start_time: start,
                end_time: end,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(audit_ids(&window), audit_ids(&by_first));
        let from_start = audit_entries(
            server,
            pb::ListAuditEntriesRequest {
                start_time: start,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(audit_ids(&from_start), audit_ids(&all[..3]));
        let before_start = audit_entries(
            server,
            pb::ListAuditEntriesRequest {
                end_time: start,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(audit_ids(&before_start), audit_ids(&all[3..]));

        // Paging one by one walks the same trail.
        let one_by_one = audit_entries(server, all_audit(1)).await;
        assert_eq!(audit_ids(&one_by_one), audit_ids(&all));
    }

    async fn only_an_admin_reads_the_audit_trail(server: &TestServer) {
        for role in [Role::Manager, Role::Executive, Role::Member, Role::Integration] {
            let caller = server.caller_with_roles(&[role]).await;
            assert_permission_denied(
                caller.audit().list_audit_entries(all_audit(10)).await,
                &format!("{role:?} reading the audit trail"),
            );
        }
        assert!(
            !server
                .audit()
                .list_audit_entries(all_audit(10))
                .await
                .expect("the ADMIN reads the audit trail")
                .into_inner()
                .audit_entries
                .is_empty()
        );
    }

    async fn key_changes_are_audited_with_their_credential(server: &TestServer) {
        let member = server.caller_with_roles(&[Role::Member]).await;
        let member_key = key_id_of(server, &member).await;
        let created = create_key(&member, "", "second key", None).await.expect("own key");
        let new_id = created.api_key.unwrap().id;
        revoke(&member, &new_id).await.expect("revoke own key");
        let entries = audit_entries(
            server,
            pb::ListAuditEntriesRequest {
                resource_id: new_id.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            audit_summary(&entries),
            [
                ("/kam.v1.IdentityService/RevokeApiKey", "api_key", new_id.as_str()),
                ("/kam.v1.IdentityService/CreateApiKey", "api_key", new_id.as_str()),
            ]
        );
        for entry in &entries {
            assert_eq!(entry.principal_id, member.staff_id);
            assert_eq!(entry.credential, format!("api_key/{member_key}"));
        }
    }

    // ----- row-level access of MEMBERs -----

    async fn member_sees_and_edits_only_the_accounts_of_their_teams(server: &TestServer) {
        let mut admin = server.accounts();
        let a = create_account(&mut admin, "Team Account").await.expect("create A");
        let b = create_account(&mut admin, "Other Account").await.expect("create B");
        let contact_a = create_contact(&mut admin, &a.id, "Alice on A").await;
        let contact_b = create_contact(&mut admin, &b.id, "Bob on B").await;
        let member = server.member_on_team(&a.id).await;
        let mut accounts = member.accounts();

        assert_eq!(list_account_ids(&mut accounts).await, vec![a.id.clone()]);
        get_account(&mut accounts, &a.id).await.expect("the member reads A");
        assert_permission_denied(get_account(&mut accounts, &b.id).await, "GetAccount of another team");
        assert_permission_denied(
            get_account(&mut accounts, &Uuid::now_v7().to_string()).await,
            "GetAccount of an id that does not exist",
        );
        // The control: to someone who sees everything, that id does not exist.
        assert_error(
            &get_account(&mut admin, &Uuid::now_v7().to_string()).await.unwrap_err(),
            Code::NotFound,
        );

        let updated = update_account(
            &mut accounts,
            pb::Account {
                id: a.id.clone(),
                region: "EMEA".into(),
                ..Default::default()
            },
            &["region"],
        )
        .await
        .expect("the member edits A");
        assert_eq!(updated.region, "EMEA");
        assert_permission_denied(
            update_account(
                &mut accounts,
                pb::Account {
                    id: b.id.clone(),
                    region: "EMEA".into(),
                    ..Default::default()
                },
                &["region"],
            )
            .await,
            "UpdateAccount of another team",
        );
        assert_eq!(get_account(&mut admin, &b.id).await.unwrap().region, "");

        assert_eq!(
            list_contact_ids(&mut accounts, "").await.expect("list contacts"),
            vec![contact_a.id.clone()]
        );
        match list_contact_ids(&mut accounts, &b.id).await {
            Ok(ids) => assert!(ids.is_empty(), "B's contacts listed to a member of A: {ids:?}"),
            Err(status) => {
                assert_error(&status, Code::PermissionDenied);
            }
        }
        get_contact(&mut accounts, &contact_a.id).await.expect("A's contact");
        assert_permission_denied(get_contact(&mut accounts, &contact_b.id).await, "GetContact of B's contact");
        assert_permission_denied(
            get_contact(&mut accounts, &Uuid::now_v7().to_string()).await,
            "GetContact of an id that does not exist",
        );

        // Off the team, off the account.
        let seat = server
            .teams()
            .list_team_members(pb::ListTeamMembersRequest {
                account_id: a.id.clone(),
                ..Default::default()
            })
            .await
            .expect("list team members")
            .into_inner()
            .members
            .into_iter()
            .find(|m| m.staff_id == member.staff_id)
            .expect("the member's seat");
        server
            .teams()
            .remove_team_member(pb::RemoveTeamMemberRequest {
                id: seat.id,
                etag: String::new(),
                reason: "moved on".into(),
            })
            .await
            .expect("remove the member");
        assert!(list_account_ids(&mut accounts).await.is_empty());
        assert_permission_denied(get_account(&mut accounts, &a.id).await, "GetAccount after leaving the team");
        assert!(list_contact_ids(&mut accounts, "").await.expect("list contacts").is_empty());
        assert_permission_denied(
            get_contact(&mut accounts, &contact_a.id).await,
            "GetContact after leaving the team",
        );
    }

    // ----- output-only fields (mass assignment) -----

    async fn update_account_ignores_output_only_fields_in_the_mask(server: &TestServer) {
        let created = create_account(&mut server.accounts(), "Before").await.expect("create");
        assert_eq!(created.tier(), Tier::Standard);
        let manager = server.caller_with_roles(&[Role::Manager]).await;
        let mut accounts = manager.accounts();
        let forged_time = Some(Timestamp {
            seconds: 1_000_000_000,
            nanos: 0,
        });
        let updated = update_account(
            &mut accounts,
            pb::Account {
                id: created.id.clone(),
                display_name: "After".into(),
                tier: Tier::Strategic as i32,
                create_time: forged_time,
                etag: created.etag.clone(),
                ..Default::default()
            },
            &["display_name", "tier", "create_time", "id", "etag"],
        )
        .await
        .expect("output-only paths in the mask are ignored");
        assert_eq!(updated.id, created.id);
        assert_eq!(updated.display_name, "After");
        assert_eq!(updated.tier(), Tier::Standard);
        assert_eq!(updated.create_time, created.create_time);
        assert_eq!(get_account(&mut accounts, &created.id).await.unwrap(), updated);

        // With an empty mask the populated fields are written, output-only ones ignored.
        let again = update_account(
            &mut accounts,
            pb::Account {
                id: created.id.clone(),
                display_name: "After again".into(),
                tier: Tier::Strategic as i32,
                create_time: forged_time,
                ..Default::default()
            },
            &[],
        )
        .await
        .expect("empty mask");
        assert_eq!(again.display_name, "After again");
        assert_eq!(again.tier(), Tier::Standard);
        assert_eq!(again.create_time, created.create_time);
        assert_eq!(get_account(&mut accounts, &created.id).await.unwrap(), again);
    }

    // ----- who a staff member is -----

    async fn only_an_admin_changes_an_email(server: &TestServer) {
        let manager = server.caller_with_roles(&[Role::Manager]).await;
        let person = server.create_staff(pb::StaffLevel::Staff).await;
        let admin_id = server.admin().staff_id.clone();
        for target in [&person.id, &admin_id] {
            assert_permission_denied(
                update_staff(&manager, target, "email", pb::Staff {
                    email: format!("taken-over-{}@example.com", Uuid::now_v7().simple()),
                    ..Default::default()
                })
                .await,
                "a MANAGER changing an email",
            );
        }
        let renamed = update_staff(&manager, &person.id, "title", pb::Staff {
            title: "Plant liaison".to_owned(),
            ..Default::default()
        })
        .await
        .expect("a MANAGER changes what does not say who someone is");
        assert_eq!(renamed.email, person.email);
        let moved = update_staff(server.admin(), &person.id, "email", pb::Staff {
            email: format!("moved-{}@example.com", Uuid::now_v7().simple()),
            ..Default::default()
        })
        .await
        .expect("an ADMIN changes emails");
        assert_ne!(moved.email, person.email);
    }

    async fn nobody_deactivates_or_reactivates_someone_holding_more(server: &TestServer) {
        let manager = server.caller_with_roles(&[Role::Manager]).await;
        let other_admin = server.caller_with_roles(&[Role::Admin]).await;
        let importer = server.caller_with_roles(&[Role::Integration]).await;
        for (target, what) in [(&other_admin, "an ADMIN"), (&importer, "the INTEGRATION account")] {
            assert_permission_denied(
                deactivate(&manager, &target.staff_id).await,
                &format!("a MANAGER deactivating {what}"),
            );
            who_am_i(server, &target.secret).await.expect("still active");
        }

        // Someone the MANAGER holds as much as: out and back in.
        let agent = server.caller_with_roles(&[Role::Member, Role::ServiceAgent]).await;
        let gone = deactivate(&manager, &agent.staff_id).await.expect("deactivate an agent");
        assert!(!gone.active);
        let back = reactivate(&manager, &agent.staff_id).await.expect("reactivate the agent");
        assert!(back.active);
        assert_ne!(back.etag, gone.etag, "a new revision");
        who_am_i(server, &agent.secret).await.expect("the agent's key works again");
        assert_failed_precondition(
            &reactivate(&manager, &agent.staff_id).await.unwrap_err(),
            "STAFF_ACTIVE",
        );

        // An ADMIN deactivated by an ADMIN stays out until an ADMIN lets them back.
        deactivate(server.admin(), &other_admin.staff_id)
            .await
            .expect("an ADMIN deactivates another");
        assert_permission_denied(
            reactivate(&manager, &other_admin.staff_id).await,
            "a MANAGER reactivating an ADMIN",
        );
        reactivate(server.admin(), &other_admin.staff_id)
            .await
            .expect("an ADMIN reactivates an ADMIN");
        let entries = audit_entries(
            server,
            pb::ListAuditEntriesRequest {
                resource_id: other_admin.staff_id.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(entries[0].method, "/kam.v1.TeamService/ReactivateStaff", "{entries:?}");
    }

    async fn a_key_minted_by_an_expiring_key_expires_no_later(server: &TestServer) {
        let staff = server.create_staff(pb::StaffLevel::Staff).await;
        let expiry = timestamp_in(3_600_000);
        let parent = create_key(server.admin(), &staff.id, "for an hour", Some(expiry))
            .await
            .expect("an expiring key");
        let with_parent = server.caller(staff.id.clone(), parent.secret);
        let child = create_key(&with_parent, "", "minted by it", None)
            .await
            .expect("a key minted by an expiring key")
            .api_key
            .expect("the key");
        assert_eq!(child.expire_time, Some(expiry), "it expires with the key that made it");
        let later = create_key(&with_parent, "", "outliving it", Some(timestamp_in(7_200_000)))
            .await
            .unwrap_err();
        assert_invalid_argument(&later, "expire_time");
        let sooner = timestamp_in(1_800_000);
        let child = create_key(&with_parent, "", "sooner", Some(sooner))
            .await
            .expect("a key that expires before its maker");
        assert_eq!(child.api_key.expect("the key").expire_time, Some(sooner));
    }

    // ----- what a caller may learn or change of what it cannot see -----

    async fn a_request_id_is_the_callers_own(server: &TestServer) {
        let first = server.caller_with_roles(&[Role::Manager]).await;
        let second = server.caller_with_roles(&[Role::Manager]).await;
        let request_id = Uuid::now_v7().to_string();
        let create = |caller: &Caller, name: &str| {
            let mut accounts = caller.accounts();
            let request = pb::CreateAccountRequest {
                account: Some(pb::Account {
                    display_name: name.to_owned(),
                    ..Default::default()
                }),
                request_id: request_id.clone(),
            };
            async move { accounts.create_account(request).await.map(Response::into_inner) }
        };
        let mine = create(&first, "Mine").await.expect("create");
        let again = create(&first, "Mine").await.expect("the retry");
        assert_eq!(again.id, mine.id, "a retry answers with the first result");
        let theirs = create(&second, "Mine").await.expect("the same id, sent by someone else");
        assert_ne!(theirs.id, mine.id, "another caller's request id is another key");
        let reused = create(&second, "Something else")
            .await
            .expect_err("the second caller's own key, reused for another request");
        assert_invalid_argument(&reused, "request_id");
    }

    async fn a_hidden_parent_or_contact_answers_as_a_missing_one(server: &TestServer) {
        let mut admin = server.accounts();
        let ours = create_account(&mut admin, "Ours").await.unwrap();
        let theirs = create_account(&mut admin, "Theirs").await.unwrap();
        let hidden_contact = create_contact(&mut admin, &theirs.id, "Zhang San").await;
        let member = server.member_on_team(&ours.id).await;
        let mut accounts = member.accounts();

        let refusals = async |id: &str| {
            let as_parent = update_account(
                &mut member.accounts(),
                pb::Account {
                    id: ours.id.clone(),
                    parent_account_id: id.to_owned(),
                    ..Default::default()
                },
                &["parent_account_id"],
            )
            .await
            .unwrap_err();
            let as_contact = get_contact(&mut member.accounts(), id).await.unwrap_err();
            (as_parent, as_contact)
        };
        let missing = Uuid::now_v7().to_string();
        let (hidden_parent, _) = refusals(&theirs.id).await;
        let (missing_parent, missing_contact) = refusals(&missing).await;
        let hidden_contact = get_contact(&mut accounts, &hidden_contact.id).await.unwrap_err();
        for status in [&hidden_parent, &missing_parent, &missing_contact, &hidden_contact] {
            assert_error(status, Code::PermissionDenied);
        }
        assert_eq!(hidden_parent.message(), missing_parent.message());
        assert_eq!(hidden_contact.message(), missing_contact.message());
        assert!(
            !hidden_contact.message().contains(&theirs.id),
            "the refusal names the hidden contact's account: {hidden_contact:?}"
        );
        let unchanged = get_account(&mut accounts, &ours.id).await.unwrap();
        assert!(unchanged.parent_account_id.is_empty(), "{unchanged:?}");
    }

    async fn only_admins_and_the_erp_rewrite_external_ids(server: &TestServer) {
        let mut admin = server.accounts();
        let account = create_account(&mut admin, "Keyed").await.unwrap();
        let rekeyed = |external_id: &str| pb::Account {
            id: account.id.clone(),
            external_id: external_id.to_owned(),
            ..Default::default()
        };
        let member = server.member_on_team(&account.id).await;
        let manager = server.caller_with_roles(&[Role::Manager]).await;
        for (caller, what) in [(&member, "a MEMBER on the team"), (&manager, "a MANAGER")] {
            assert_permission_denied(
                update_account(&mut caller.accounts(), rekeyed("ERP-STOLEN"), &["external_id"]).await,
                &format!("{what} rewriting the ERP's key"),
            );
        }
        let contact = create_contact(&mut admin, &account.id, "Li Wei").await;
        assert_permission_denied(
            member
                .accounts()
                .update_contact(pb::UpdateContactRequest {
                    contact: Some(pb::Contact {
                        id: contact.id.clone(),
                        external_id: "ERP-C-STOLEN".to_owned(),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["external_id".to_owned()],
                    }),
                })
                .await,
            "a MEMBER rewriting a contact's ERP key",
        );
        let importer = server.caller_with_roles(&[Role::Integration]).await;
        let moved = update_account(&mut importer.accounts(), rekeyed("ERP-9"), &["external_id"])
            .await
            .expect("the INTEGRATION account rewrites it");
        assert_eq!(moved.external_id, "ERP-9");
        // Sending the key unchanged is no rewrite.
        let renamed = update_account(
            &mut member.accounts(),
            pb::Account {
                display_name: "Renamed".to_owned(),
                ..rekeyed("ERP-9")
            },
            &["display_name", "external_id"],
        )
        .await
        .expect("a MEMBER sending the key as it is");
        assert_eq!(renamed.external_id, "ERP-9");
    }
}
