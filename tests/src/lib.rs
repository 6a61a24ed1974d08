//! The end-to-end test harness: a real KAM server (`kam_server::run`) on a loopback port, over a fresh
//! database per test, on SQLite or PostgreSQL, with gRPC clients and assertions on error details.
//!
//! ```text
//! use kam_tests::{TestServer, backend_tests};
//!
//! backend_tests! {
//!     async fn creates_an_account(server: &TestServer) {
//!         let mut accounts = server.accounts();
//!         // ...
//!     }
//! }
//! ```
//!
//! PostgreSQL tests run when `KAM_TEST_POSTGRES_URL` names a database the tests may connect to and
//! create databases from (e.g. `postgres://postgres@127.0.0.1:5432/test`); without it they print why
//! and pass without doing anything. Each PostgreSQL test gets its own database `kam_test_<uuid>`,
//! dropped when the server stops or the [`TestServer`] is dropped.

pub mod bench;
pub mod catalogue;
pub mod changes;
pub mod fault_load;
pub mod generator;
pub mod hostile;
pub mod http;
pub mod raw;
pub mod revenue_generator;
pub mod scratch_postgres;
pub mod sla_generator;

use std::{net::SocketAddr, time::Duration};

use kam_proto::v1::{
    account_service_client::AccountServiceClient, audit_service_client::AuditServiceClient,
    identity_service_client::IdentityServiceClient, team_service_client::TeamServiceClient,
};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement, Value};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{
    Code, Request, Status,
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_types::{ErrorDetails, ErrorInfo, StatusExt};

pub use kam_proto::{self, pbjson_types, v1 as pb};

/// The environment variable naming the PostgreSQL server the tests may use.
pub const POSTGRES_URL_VAR: &str = "KAM_TEST_POSTGRES_URL";

/// The `ErrorInfo.domain` every KAM error carries.
pub const ERROR_DOMAIN: &str = "kam.v1";

/// How long a server may take to migrate and start answering before a test gives up.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `stop` waits for the server to drain and return.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The database a [`TestServer`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The department every staff member the harness creates joins (the seeded SALES department).
pub const SALES_DEPARTMENT: &str = "00000000-0000-7000-8000-000000000001";

/// A channel whose every call carries `authorization: Bearer <credential>`.
pub type Authed = InterceptedService<Channel, Bearer>;

/// Adds the credential to every call.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl Bearer {
    pub fn new(credential: &str) -> Self {
        Self(
            format!("Bearer {credential}")
                .parse()
                .expect("a credential is a valid header value"),
        )
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// Someone calling the server with one credential: every client built from it authenticates so.
#[derive(Clone)]
pub struct Caller {
    /// The staff member the credential identifies.
    pub staff_id: String,
    /// The credential (an API key or a bearer token).
    pub secret: String,
    channel: Authed,
}

impl Caller {
    pub fn new(channel: Channel, staff_id: impl Into<String>, secret: impl Into<String>) -> Self {
        let secret = secret.into();
        Self {
            staff_id: staff_id.into(),
            channel: InterceptedService::new(channel, Bearer::new(&secret)),
            secret,
        }
    }

    pub fn channel(&self) -> Authed {
        self.channel.clone()
    }

    pub fn accounts(&self) -> AccountServiceClient<Authed> {
        AccountServiceClient::new(self.channel())
    }

    pub fn teams(&self) -> TeamServiceClient<Authed> {
        TeamServiceClient::new(self.channel())
    }

    pub fn identity(&self) -> IdentityServiceClient<Authed> {
        IdentityServiceClient::new(self.channel())
    }

    pub fn audit(&self) -> AuditServiceClient<Authed> {
        AuditServiceClient::new(self.channel())
    }
}

/// A running KAM server on `127.0.0.1:<ephemeral port>` over its own fresh database.
pub struct TestServer {
    /// The address the server listens on.
    pub addr: SocketAddr,
    pub backend: Backend,
    database_url: String,
    channel: Channel,
    /// The ADMIN the server created on its first start; the default caller of every client below.
    admin: Option<Caller>,
    /// Holds the ADMIN key file (and, on SQLite, the database).
    dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), kam_server::StartupError>>>,
    /// The PostgreSQL database to drop at the end.
    postgres: Option<PostgresDatabase>,
}

impl TestServer {
    /// Starts a server on a fresh database of `backend`, migrated and answering health checks.
    ///
    /// Returns `None` (after saying why on stderr) when `backend` is PostgreSQL and
    /// `KAM_TEST_POSTGRES_URL` is not set.
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, |_| {}).await
    }

    /// Like [`TestServer::start`], with a chance to adjust the configuration (limits, timeouts) first.
    /// `listen_addr` and `database_url` are set by the harness.
    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut kam_server::Config),
    ) -> Option<Self> {
        let dir = tempfile::Builder::new()
            .prefix("kam-test-")
            .tempdir()
            .expect("create a temporary directory");
        let (database_url, postgres) = match backend {
            Backend::Sqlite => {
                let path = dir.path().join("kam.db");
                (format!("sqlite://{}?mode=rwc", path.display()), None)
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
                    eprintln!("skipping postgres: {POSTGRES_URL_VAR} is not set");
                    return None;
                };
                let database = PostgresDatabase::create(&admin_url).await;
                (database.url.clone(), Some(database))
            }
        };
        Some(Self::start_on(backend, database_url, postgres, dir, configure).await)
    }

    /// Starts a server on `database_url`, a database the caller made and owns (e.g. on a
    /// [`scratch_postgres::ScratchPostgres`]); it is neither created nor dropped here.
    pub async fn start_at(
        backend: Backend,
        database_url: String,
        configure: impl FnOnce(&mut kam_server::Config),
    ) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("kam-test-")
            .tempdir()
            .expect("create a temporary directory");
        Self::start_on(backend, database_url, None, dir, configure).await
    }

    /// Starts another replica on `first`'s database, as a second `kam-server` on the same database
    /// would run: it finds the schema and the ADMIN there, and its default caller is `first`'s ADMIN.
    /// The database stays `first`'s (dropped when `first` stops): stop this one first.
    pub async fn start_beside(first: &TestServer, configure: impl FnOnce(&mut kam_server::Config)) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("kam-test-")
            .tempdir()
            .expect("create a temporary directory");
        // Only a first start writes the ADMIN key; this replica's caller reads it where it would.
        std::fs::copy(first.admin_key_path(), dir.path().join("kam-admin.key"))
            .expect("copy the first replica's ADMIN key");
        Self::start_on(first.backend, first.database_url.clone(), None, dir, configure).await
    }

    async fn start_on(
        backend: Backend,
        database_url: String,
        postgres: Option<PostgresDatabase>,
        dir: tempfile::TempDir,
        configure: impl FnOnce(&mut kam_server::Config),
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("listener address");
        let mut config = kam_server::Config {
            listen_addr: addr,
            database_url: database_url.clone(),
            migrate: true,
            db_max_connections: 8,
            drain_timeout: Duration::from_secs(5),
            // Tests call fast and concurrently; the tests of the limit itself turn it on.
            rate_limit: kam_server::config::RateLimit {
                requests_per_second: 0,
                burst: 1,
            },
            // The watcher announces on its own, which would add events to the ones a test counts: the
            // tests of the watcher turn it on, or run it themselves at the instants they choose.
            notifications: kam_server::config::NotificationsConfig {
                watch_interval_seconds: 0,
                ..Default::default()
            },
            ..kam_server::Config::default()
        };
        configure(&mut config);
        config.listen_addr = addr;
        config.database_url = database_url.clone();
        config.admin_key_file = Some(dir.path().join("kam-admin.key"));

        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(kam_server::run(config, listener, async move {
            // A dropped sender (a panicking test) stops the server too.
            let _ = shutdown_rx.await;
        }));
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("a valid endpoint")
            .connect_timeout(Duration::from_secs(10))
            .connect_lazy();

        let mut server = Self {
            addr,
            backend,
            database_url,
            channel,
            admin: None,
            dir,
            shutdown: Some(shutdown),
            task: Some(task),
            postgres,
        };
        server.wait_until_serving().await;
        let secret =
            std::fs::read_to_string(server.admin_key_path()).expect("the first start wrote the ADMIN key");
        let mut identity = IdentityServiceClient::new(InterceptedService::new(
            server.channel.clone(),
            Bearer::new(secret.trim()),
        ));
        let me = identity
            .who_am_i(pb::WhoAmIRequest {})
            .await
            .expect("the ADMIN key authenticates")
            .into_inner();
        server.admin = Some(Caller::new(server.channel.clone(), me.staff_id, secret.trim()));
        server
    }

    /// Polls health until the server answers SERVING; panics with the server's own error when it
    /// stopped during startup.
    async fn wait_until_serving(&mut self) {
        let task = self.task.as_mut().expect("the server task is running");
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        let mut health = HealthClient::new(self.channel.clone());
        loop {
            let check = tokio::time::timeout(
                Duration::from_secs(5),
                health.check(HealthCheckRequest {
                    service: String::new(),
                }),
            );
            tokio::select! {
                finished = &mut *task => {
                    let outcome = finished.map_err(|e| format!("server task panicked: {e}"));
                    panic!("the server stopped during startup: {outcome:?}");
                }
                answer = check => {
                    if let Ok(Ok(response)) = answer
                        && response.get_ref().status == ServingStatus::Serving as i32
                    {
                        return;
                    }
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server did not become SERVING within {STARTUP_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The database the server runs on, for tests that check what a call wrote.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// A new connection to the server's database.
    pub async fn db(&self) -> DatabaseConnection {
        Database::connect(self.database_url.as_str())
            .await
            .expect("connect to the test database")
    }

    /// Runs a query whose first column of its single row is an integer (e.g. `SELECT count(*) ...`).
    /// Placeholders are `$1`, `$2`, ... on both backends.
    pub async fn query_i64(&self, sql: &str, values: impl IntoIterator<Item = Value>) -> i64 {
        let db = self.db().await;
        let backend = db.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Sqlite => sqlite_placeholders(sql),
            _ => sql.to_owned(),
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(backend, &sql, values))
            .await
            .unwrap_or_else(|e| panic!("query {sql:?}: {e}"))
            .unwrap_or_else(|| panic!("query {sql:?} returned no row"));
        let value: i64 = row
            .try_get_by_index(0)
            .unwrap_or_else(|e| panic!("query {sql:?}: {e}"));
        let _ = db.close().await;
        value
    }

    /// Runs a statement (e.g. an `UPDATE` a test needs that the API does not offer) and returns how many
    /// rows it touched. Placeholders are `$1`, `$2`, ... on both backends; bind ids of `uuid` columns as
    /// `uuid::Uuid` values.
    pub async fn execute(&self, sql: &str, values: impl IntoIterator<Item = Value>) -> u64 {
        let db = self.db().await;
        let backend = db.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Sqlite => sqlite_placeholders(sql),
            _ => sql.to_owned(),
        };
        let result = db
            .execute_raw(Statement::from_sql_and_values(backend, &sql, values))
            .await
            .unwrap_or_else(|e| panic!("execute {sql:?}: {e}"));
        let _ = db.close().await;
        result.rows_affected()
    }

    /// Where the server wrote its first-start ADMIN key.
    pub fn admin_key_path(&self) -> std::path::PathBuf {
        self.dir.path().join("kam-admin.key")
    }

    /// The ADMIN the server created on its first start.
    pub fn admin(&self) -> &Caller {
        self.admin.as_ref().expect("the server is started")
    }

    /// The HTTP/JSON API as the first-start ADMIN.
    pub fn http(&self) -> http::HttpClient {
        http::HttpClient::new(self.addr, Some(self.admin().secret.clone()))
    }

    /// The HTTP/JSON API without credentials.
    pub fn http_anonymous(&self) -> http::HttpClient {
        http::HttpClient::new(self.addr, None)
    }

    /// The connection without credentials, for health, reflection and UNAUTHENTICATED checks.
    pub fn anonymous(&self) -> Channel {
        self.channel.clone()
    }

    /// A channel calling as the first-start ADMIN; every client below shares it.
    pub fn channel(&self) -> Authed {
        self.admin().channel()
    }

    pub fn accounts(&self) -> AccountServiceClient<Authed> {
        self.admin().accounts()
    }

    pub fn teams(&self) -> TeamServiceClient<Authed> {
        self.admin().teams()
    }

    pub fn identity(&self) -> IdentityServiceClient<Authed> {
        self.admin().identity()
    }

    pub fn audit(&self) -> AuditServiceClient<Authed> {
        self.admin().audit()
    }

    pub fn health(&self) -> HealthClient<Channel> {
        HealthClient::new(self.anonymous())
    }

    pub fn reflection(&self) -> ServerReflectionClient<Channel> {
        ServerReflectionClient::new(self.anonymous())
    }

    /// Calls as `credential` (an API key or a bearer token) for staff member `staff_id`.
    pub fn caller(&self, staff_id: impl Into<String>, credential: impl Into<String>) -> Caller {
        Caller::new(self.anonymous(), staff_id, credential)
    }

    /// A new account named `name`, with every other field at its default, created by the ADMIN.
    pub async fn create_account(&self, name: &str) -> pb::Account {
        self.accounts()
            .create_account(pb::CreateAccountRequest {
                account: Some(pb::Account {
                    display_name: name.to_owned(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create an account")
            .into_inner()
    }

    /// A new staff member (in SALES, level `level`) created by the ADMIN.
    pub async fn create_staff(&self, level: pb::StaffLevel) -> pb::Staff {
        let name = uuid::Uuid::now_v7().simple().to_string();
        self.teams()
            .create_staff(pb::CreateStaffRequest {
                staff: Some(pb::Staff {
                    full_name: format!("Staff {name}"),
                    email: format!("{name}@example.com"),
                    department_id: SALES_DEPARTMENT.to_owned(),
                    level: level as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("create staff")
            .into_inner()
    }

    /// An API key for staff member `staff_id`, created by the ADMIN.
    pub async fn key_for(&self, staff_id: &str) -> String {
        self.identity()
            .create_api_key(pb::CreateApiKeyRequest {
                staff_id: staff_id.to_owned(),
                display_name: "test key".to_owned(),
                expire_time: None,
            })
            .await
            .expect("create an API key")
            .into_inner()
            .secret
    }

    /// A new staff member with exactly `roles`, calling with an API key of their own.
    pub async fn caller_with_roles(&self, roles: &[pb::Role]) -> Caller {
        let level = if roles.contains(&pb::Role::Executive) {
            pb::StaffLevel::Executive
        } else {
            pb::StaffLevel::Staff
        };
        let staff = self.create_staff(level).await;
        self.identity()
            .set_staff_roles(pb::SetStaffRolesRequest {
                staff_id: staff.id.clone(),
                roles: roles.iter().map(|r| *r as i32).collect(),
            })
            .await
            .expect("set roles");
        let secret = self.key_for(&staff.id).await;
        self.caller(staff.id, secret)
    }

    /// A MEMBER on the team of `account_id` (as a sales specialist).
    pub async fn member_on_team(&self, account_id: &str) -> Caller {
        self.caller_on_team(account_id, &[pb::Role::Member]).await
    }

    /// A caller holding `roles` on the team of `account_id` (as a sales specialist).
    pub async fn caller_on_team(&self, account_id: &str, roles: &[pb::Role]) -> Caller {
        let member = self.caller_with_roles(roles).await;
        self.teams()
            .add_team_member(pb::AddTeamMemberRequest {
                member: Some(pb::TeamMember {
                    account_id: account_id.to_owned(),
                    staff_id: member.staff_id.clone(),
                    role: pb::TeamRole::SalesSpecialist as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("add the member to the team");
        member
    }

    /// Shuts the server down gracefully, asserts it stopped cleanly, and drops its database.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let outcome = tokio::time::timeout(STOP_TIMEOUT, task)
                .await
                .unwrap_or_else(|_| panic!("the server did not stop within {STOP_TIMEOUT:?}"))
                .expect("the server task panicked");
            if let Err(error) = outcome {
                panic!("the server stopped with an error: {error}");
            }
        }
        if let Some(database) = self.postgres.take() {
            database.drop_now().await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Reached without `stop` only when a test failed: stop the server, then drop its database.
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(database) = self.postgres.take() {
            database.drop_blocking();
        }
    }
}

/// Rewrites `$1`, `$2`, ... to SQLite's `?1`, `?2`, ... (outside string literals).
fn sqlite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_string = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                in_string = !in_string;
                out.push(c);
            }
            '$' if !in_string => out.push('?'),
            _ => out.push(c),
        }
    }
    out
}

/// A database `kam_test_<uuid>` created for one test on the server named by `KAM_TEST_POSTGRES_URL`.
struct PostgresDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create(admin_url: &str) -> Self {
        let name = format!("kam_test_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("connect to {POSTGRES_URL_VAR}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("create database {name}: {e}"));
        let _ = admin.close().await;
        Self {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name).unwrap_or_else(|e| panic!("{e}")),
            name,
        }
    }

    async fn drop_now(self) {
        drop_database(&self.admin_url, &self.name).await;
    }

    /// For `Drop`, which may run inside or outside a runtime: a thread of its own with its own runtime.
    fn drop_blocking(self) {
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(runtime) = runtime {
                runtime.block_on(drop_database(&self.admin_url, &self.name));
            }
        });
        let _ = handle.join();
    }
}

/// Best effort: a database left behind is only litter.
async fn drop_database(admin_url: &str, name: &str) {
    let Ok(admin) = Database::connect(admin_url).await else {
        eprintln!("could not connect to drop database {name}");
        return;
    };
    if let Err(e) = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
    {
        eprintln!("could not drop database {name}: {e}");
    }
    let _ = admin.close().await;
}

/// `url` pointing at database `name` instead: `postgres://u@h:5432/test?x=y` → `postgres://u@h:5432/NAME?x=y`.
pub(crate) fn with_database(url: &str, name: &str) -> Result<String, &'static str> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = base
        .split_once("://")
        .ok_or("KAM_TEST_POSTGRES_URL must look like postgres://…")?;
    let authority = rest.split_once('/').map_or(rest, |(authority, _)| authority);
    Ok(match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    })
}

/// Runs each `async fn name(server: &TestServer) { ... }` once per backend, each time on a fresh server
/// over a fresh database: as `sqlite::name` and `postgres::name`.
///
/// ```text
/// backend_tests! {
///     async fn creates_an_account(server: &TestServer) { /* ... */ }
/// }
/// ```
/// Each named `async fn name(backend: Backend)` once per backend, as the tests `sqlite::name` and
/// `postgres::name`: for tests that start their servers themselves (several, or with settings of their
/// own), where [`backend_tests!`] hands each test one server it started.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await;
                }
            )*
        }
    };
}

#[macro_export]
macro_rules! backend_tests {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($server:ident : &TestServer) $body:block
    )*) => {
        $(
            $(#[$meta])*
            async fn $name($server: &$crate::TestServer) $body
        )*

        mod sqlite {
            $crate::backend_tests!(@backend Sqlite; $($name)*);
        }

        mod postgres {
            $crate::backend_tests!(@backend Postgres; $($name)*);
        }
    };
    (@backend $backend:ident; $($name:ident)*) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(server) = $crate::TestServer::start($crate::Backend::$backend).await else {
                    return;
                };
                super::$name(&server).await;
                server.stop().await;
            }
        )*
    };
}

/// The error details of `status`, after checking it carries `ErrorInfo` in domain `kam.v1` with an
/// UPPER_SNAKE_CASE reason.
pub fn error_details(status: &Status) -> ErrorDetails {
    let details = status.get_error_details();
    let info = error_info_of(&details, status);
    assert_eq!(info.domain, ERROR_DOMAIN, "ErrorInfo.domain of {status:?}");
    assert!(
        !info.reason.is_empty()
            && info
                .reason
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
        "ErrorInfo.reason {:?} is not UPPER_SNAKE_CASE in {status:?}",
        info.reason
    );
    details
}

fn error_info_of<'a>(details: &'a ErrorDetails, status: &Status) -> &'a ErrorInfo {
    details
        .error_info()
        .unwrap_or_else(|| panic!("no google.rpc.ErrorInfo in {status:?}"))
}

/// Asserts `status` has `code` and carries `ErrorInfo` in domain `kam.v1`; returns the `ErrorInfo`.
pub fn assert_error(status: &Status, code: Code) -> ErrorInfo {
    assert_eq!(status.code(), code, "unexpected status: {status:?}");
    let details = error_details(status);
    error_info_of(&details, status).clone()
}

/// Asserts INVALID_ARGUMENT with a `BadRequest` field violation naming `field` (a request-relative path
/// such as `account.display_name`).
pub fn assert_invalid_argument(status: &Status, field: &str) {
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "unexpected status: {status:?}"
    );
    let details = error_details(status);
    let bad_request = details
        .bad_request()
        .unwrap_or_else(|| panic!("no google.rpc.BadRequest in {status:?}"));
    let fields: Vec<&str> = bad_request
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert!(
        fields.contains(&field),
        "expected a field violation on {field:?}, got {fields:?} in {status:?}"
    );
}

/// Asserts FAILED_PRECONDITION with a `PreconditionFailure` violation whose `type` is `rule`.
pub fn assert_failed_precondition(status: &Status, rule: &str) {
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "unexpected status: {status:?}"
    );
    let details = error_details(status);
    let failure = details
        .precondition_failure()
        .unwrap_or_else(|| panic!("no google.rpc.PreconditionFailure in {status:?}"));
    let rules: Vec<&str> = failure.violations.iter().map(|v| v.r#type.as_str()).collect();
    assert!(
        rules.contains(&rule),
        "expected rule {rule:?}, got {rules:?} in {status:?}"
    );
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic_types::ErrorDetails;

    use super::*;

    fn status(code: Code, details: ErrorDetails) -> Status {
        Status::with_error_details(code, "test", details)
    }

    fn info(details: &mut ErrorDetails, domain: &str) {
        details.set_error_info("SOME_REASON", domain, HashMap::new());
    }

    fn bad_request(field: &str, domain: &str) -> Status {
        let mut details = ErrorDetails::new();
        details.add_bad_request_violation(field, "wrong");
        info(&mut details, domain);
        status(Code::InvalidArgument, details)
    }

    fn precondition(rule: &str) -> Status {
        let mut details = ErrorDetails::new();
        details.add_precondition_failure_violation(rule, "accounts/x", "broken");
        info(&mut details, ERROR_DOMAIN);
        status(Code::FailedPrecondition, details)
    }

    #[test]
    fn invalid_argument_matches_the_named_field() {
        assert_invalid_argument(
            &bad_request("account.display_name", ERROR_DOMAIN),
            "account.display_name",
        );
    }

    #[test]
    #[should_panic(expected = "expected a field violation")]
    fn invalid_argument_refuses_another_field() {
        assert_invalid_argument(
            &bad_request("account.legal_name", ERROR_DOMAIN),
            "account.display_name",
        );
    }

    #[test]
    #[should_panic(expected = "ErrorInfo.domain")]
    fn errors_need_the_kam_domain() {
        assert_invalid_argument(&bad_request("id", "other.v1"), "id");
    }

    #[test]
    #[should_panic(expected = "no google.rpc.ErrorInfo")]
    fn errors_need_error_info() {
        let mut details = ErrorDetails::new();
        details.add_bad_request_violation("id", "wrong");
        assert_invalid_argument(&status(Code::InvalidArgument, details), "id");
    }

    #[test]
    #[should_panic(expected = "unexpected status")]
    fn invalid_argument_needs_the_code() {
        let mut details = ErrorDetails::new();
        details.add_bad_request_violation("id", "wrong");
        info(&mut details, ERROR_DOMAIN);
        assert_invalid_argument(&status(Code::FailedPrecondition, details), "id");
    }

    #[test]
    fn failed_precondition_matches_the_rule() {
        assert_failed_precondition(&precondition("PARENT_CYCLE"), "PARENT_CYCLE");
    }

    #[test]
    #[should_panic(expected = "expected rule")]
    fn failed_precondition_refuses_another_rule() {
        assert_failed_precondition(&precondition("PARENT_NOT_FOUND"), "PARENT_CYCLE");
    }

    #[test]
    fn dropping_a_sqlite_server_removes_its_directory() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let path = runtime.block_on(async {
            let server = TestServer::start(Backend::Sqlite).await.unwrap();
            let path = server.dir.path().to_owned();
            assert!(path.join("kam.db").exists());
            drop(server);
            path
        });
        assert!(!path.exists());
    }

    /// A failing test never reaches `stop`: its database must go all the same.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropping_a_postgres_server_drops_its_database() {
        let Some(server) = TestServer::start(Backend::Postgres).await else {
            return;
        };
        let name = server.database_url().rsplit('/').next().unwrap().to_owned();
        let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap();
        let exists = || async {
            let admin = Database::connect(admin_url.as_str()).await.unwrap();
            let row = admin
                .query_one_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT count(*) FROM pg_database WHERE datname = $1",
                    [Value::from(name.clone())],
                ))
                .await
                .unwrap()
                .unwrap();
            let n: i64 = row.try_get_by_index(0).unwrap();
            admin.close().await.unwrap();
            n == 1
        };
        assert!(exists().await);
        drop(server);
        assert!(!exists().await);
    }

    #[test]
    fn postgres_url_gets_the_test_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "kam_test_x").as_deref(),
            Ok("postgres://postgres@127.0.0.1:5432/kam_test_x")
        );
        assert_eq!(
            with_database("postgres://u:p@db/test?sslmode=disable", "k").as_deref(),
            Ok("postgres://u:p@db/k?sslmode=disable")
        );
        assert_eq!(
            with_database("postgres://db:5432", "k").as_deref(),
            Ok("postgres://db:5432/k")
        );
        assert!(with_database("db:5432/test", "k").is_err());
    }

    #[test]
    fn sqlite_placeholders_are_numbered_question_marks() {
        assert_eq!(
            sqlite_placeholders("SELECT count(*) FROM t WHERE a = $1 AND b = '$2' AND c = $2"),
            "SELECT count(*) FROM t WHERE a = ?1 AND b = '$2' AND c = ?2"
        );
    }
}
