//! `GetAccountBrief` beside the separate calls it replaces, over a population of 1,000 accounts raised
//! through the real API.
//!
//! Per backend — SQLite (a file in a temporary directory) and, when `KAM_TEST_POSTGRES_URL` is set,
//! PostgreSQL (a fresh database `kam_bench_<uuid>`, dropped afterwards) — this:
//! 1. starts the real KAM server in-process (`kam_server::run`: it migrates and writes the first ADMIN
//!    key; SLA monitor off), on a runtime of its own;
//! 2. raises the population through the gRPC API as the ADMIN, `KAM_BENCH_CONCURRENCY` accounts at a
//!    time (each account's calls one after another), every random choice drawn from a generator seeded
//!    per account from `KAM_BENCH_SEED` (the server makes the ids and the creation times, so two runs
//!    hold the same shapes, not the same ids; a call the server answers ABORTED, a serialization race on
//!    PostgreSQL it gave up on after its own retries, is made again, and counted):
//!    - 40 staff: 4 executives (EXECUTIVE level, the sponsors), 12 account managers (SALES, MANAGER),
//!      8 sales specialists, 6 solution engineers, 6 service leads, 4 logistics coordinators, each
//!      with room for every account; an API key for each account manager (role MEMBER);
//!    - `KAM_BENCH_ACCOUNTS` accounts (85 % ACTIVE), 30 % with a founding anniversary, 35 % with a
//!      contract renewal in the coming year, 15 % with a customer event;
//!    - per account: a team of an account manager, an executive sponsor and one or two specialists of
//!      different roles (the technical, service and logistics ones as their department's liaison);
//!      5–10 contacts, the first a DECISION_MAKER, the second a CHAMPION 60 % of the time, 8 % no longer
//!      active, 10 % opposed, 40 % with a birthday and 20 % with a work anniversary; 3–8 opportunities
//!      in the default pipeline (35 % closed, 40 % of those won), stages LEAD to NEGOTIATION, EUR
//!      amounts (log-normal around 45,000); 0–4 service requests (half closed or cancelled, the open
//!      ones NEW, IN_PROGRESS with a first response, or WAITING_ON_CUSTOMER); one ACTIVE plan with
//!      objectives, SWOT, competitors and whitespace, and 3–6 actions due from 40 days ago to 90 days
//!      ahead (25 % done, 10 % in progress); 10–30 interactions over the last year (executive visits,
//!      sales visits, calls, …, 60 % rated); 24 months of EUR revenue (log-normal size around 250,000 a
//!      year, a yearly trend, monthly noise), one `UpsertRevenueRecords` call;
//!    - then `RecomputeTiers` (applied), so that STRATEGIC and KEY accounts have contact cadences, and
//!      on PostgreSQL `VACUUM ANALYZE` (what autovacuum does in time); SQLite is left without
//!      statistics, as the server leaves it (`KAM_BENCH_ANALYZE=1` runs `ANALYZE` there too);
//! 3. picks `KAM_BENCH_WARMUP` + `KAM_BENCH_SAMPLE` accounts at random, and for each, as the ADMIN and
//!    as the account's own account manager (a MEMBER, who sees only their teams' accounts), times:
//!    - one `GetAccountBrief` (horizon `KAM_BENCH_HORIZON_DAYS`);
//!    - the separate calls a client makes for the same content, one after another (as a phone does):
//!      `GetAccount`; `ListTeamMembers` then `GetStaff` per seat (the names); `ListContacts` (by name,
//!      page 1000); `ListUpcomingKeyDates` (the account, the horizon); `ListOpportunities` (the
//!      account, open, page 500); `ListServiceRequests` (the account, open, by resolution due, page 50);
//!      `GetAccountHealth`; `ListAccountPlans` (the account, ACTIVE); `ListPlanActions` (the account, by
//!      due date, page 1000, kept open and due within the horizon on the client); `ListInteractions`
//!      (the account, page 10); `ListOverdueCadence` (every page, kept the account's on the client);
//!      `GetMonthlyRevenue` (the 24 months the brief's trend covers);
//!    - the same separate calls all at once (the names still after the seats): the best case for a
//!      client.
//!
//!    One account at a time, both callers and the three ways in turn, each account starting with
//!    another. On the warm-up accounts the brief's parts are checked against the separate calls'
//!    answers (counts, health score, revenue to the cent);
//! 4. times, in-process on a connection pool like the server's (no gRPC, 20 runs each), the reads
//!    behind the health: `assess_accounts` for one account (as the ADMIN and as its manager) and for
//!    every account, `overdue_cadence`, and the grouped reads over all accounts the assessment makes
//!    that the server exposes (`revenue_by_account`, `breached_targets_by_account`,
//!    `key_contacts_at_risk`, `lost_since`, …), to show where the health's time goes.
//!
//! It prints, per backend as soon as it is done: the seeding time and what was written, the tiers, and
//! a table: median, p90, p99 and max milliseconds of each way (with the calls it takes and the bytes
//! it receives), each separate call's own latency within the calls made one after another, and the
//! health's reads in-process.
//!
//! Run (seeding takes one to three minutes per backend on 2 cores):
//!
//! ```text
//! cargo bench -p kam-tests --bench account_brief
//! KAM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p kam-tests --bench account_brief
//! KAM_BENCH_ACCOUNTS=200 KAM_BENCH_SAMPLE=50 cargo bench -p kam-tests --bench account_brief   # a quick look
//! ```
//!
//! Environment:
//! - `KAM_BENCH_ACCOUNTS`: accounts to raise (default 1000);
//! - `KAM_BENCH_SAMPLE`: accounts timed (default 200), after `KAM_BENCH_WARMUP` others (default 20);
//! - `KAM_BENCH_CONCURRENCY`: accounts raised at once (default 16);
//! - `KAM_BENCH_HORIZON_DAYS`: the brief's horizon, 1..=366 (default 30);
//! - `KAM_BENCH_SEED`: the seed of every random choice (default 1);
//! - `KAM_BENCH_ANALYZE=1`: run `ANALYZE` on SQLite too after seeding;
//! - `KAM_BENCH_BACKENDS`: which backends to run, comma-separated (default `sqlite,postgres`);
//! - `KAM_BENCH_KEEP=1`: keep the SQLite directory and the PostgreSQL database (their names are
//!   printed); by default both are removed at the end;
//! - `KAM_TEST_POSTGRES_URL`: a PostgreSQL URL whose user may create databases; unset skips PostgreSQL.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use futures::{StreamExt, future::try_join_all, stream};
use kam_proto::v1::{
    self as pb, account_service_client::AccountServiceClient, identity_service_client::IdentityServiceClient,
    opportunity_service_client::OpportunityServiceClient, planning_service_client::PlanningServiceClient,
    service_level_service_client::ServiceLevelServiceClient, team_service_client::TeamServiceClient,
};
use kam_tests::{
    Authed, Bearer,
    bench::{
        Backend, BenchDatabase, BoxError, backends_from_env, connect_for_writing, describe_machine, endpoint,
        env_or, load_average, median, millis, on_fresh_database, start_kam_server,
    },
    pbjson_types::{FieldMask, Timestamp},
};
use prost::Message;
use sea_orm::ConnectionTrait;
use tokio::runtime::{Handle, Runtime};
use tonic::{Code, Status, service::interceptor::InterceptedService, transport::Channel};

/// How long a server may take to answer its first health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the server may take to stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
/// The server's own limit per call, raised so that a slow call is measured rather than cut off.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The reporting currency (the server's default).
const CURRENCY: &str = "EUR";
/// Months of revenue per account, and the months `GetMonthlyRevenue` is asked for: the brief's trailing
/// year and the year before.
const MONTHS: i32 = 24;
/// A person's capacity: room for every account (the rules' upper bound).
const MAX_ACCOUNTS: i32 = 10_000;

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env()?;
    println!("{}\n{}", describe_machine(), settings.describe());
    let servers = runtime("kam-server")?;
    let clients = runtime("bench-client")?;
    clients.block_on(bench(&settings, servers.handle()))
}

fn runtime(thread_name: &str) -> std::io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name(thread_name)
        .enable_all()
        .build()
}

struct Settings {
    accounts: usize,
    sample: usize,
    warmup: usize,
    concurrency: usize,
    horizon_days: i32,
    seed: u64,
    analyze_sqlite: bool,
    backends: Vec<Backend>,
    keep: bool,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let settings = Self {
            accounts: env_or("KAM_BENCH_ACCOUNTS", 1000)?,
            sample: env_or("KAM_BENCH_SAMPLE", 200)?,
            warmup: env_or("KAM_BENCH_WARMUP", 20)?,
            concurrency: env_or("KAM_BENCH_CONCURRENCY", 16)?,
            horizon_days: env_or("KAM_BENCH_HORIZON_DAYS", 30)?,
            seed: env_or("KAM_BENCH_SEED", 1)?,
            analyze_sqlite: env_or("KAM_BENCH_ANALYZE", 0u8)? != 0,
            backends: backends_from_env()?,
            keep: env_or("KAM_BENCH_KEEP", 0u8)? != 0,
        };
        if settings.accounts == 0 || settings.sample == 0 || settings.concurrency == 0 {
            return Err("KAM_BENCH_ACCOUNTS, KAM_BENCH_SAMPLE and KAM_BENCH_CONCURRENCY must be > 0".into());
        }
        if !(1..=366).contains(&settings.horizon_days) {
            return Err("KAM_BENCH_HORIZON_DAYS must be 1..=366".into());
        }
        Ok(settings)
    }

    fn describe(&self) -> String {
        format!(
            "data: {} accounts raised through the API, {} at a time (seed {}); timed: {} accounts after {} \
             warm-up, horizon {} days",
            self.accounts, self.concurrency, self.seed, self.sample, self.warmup, self.horizon_days
        )
    }
}

// ----- clients -----

/// Every client of one caller, on one HTTP/2 connection.
#[derive(Clone)]
struct Clients {
    accounts: AccountServiceClient<Authed>,
    teams: TeamServiceClient<Authed>,
    identity: IdentityServiceClient<Authed>,
    opportunities: OpportunityServiceClient<Authed>,
    service_levels: ServiceLevelServiceClient<Authed>,
    planning: PlanningServiceClient<Authed>,
}

impl Clients {
    fn new(channel: Channel, credential: &str) -> Self {
        let authed = InterceptedService::new(channel, Bearer::new(credential));
        Self {
            accounts: AccountServiceClient::new(authed.clone()),
            teams: TeamServiceClient::new(authed.clone()),
            identity: IdentityServiceClient::new(authed.clone()),
            opportunities: OpportunityServiceClient::new(authed.clone()),
            service_levels: ServiceLevelServiceClient::new(authed.clone()),
            planning: PlanningServiceClient::new(authed),
        }
    }
}

/// Names the call that failed.
fn failed(what: &'static str) -> impl FnOnce(Status) -> BoxError {
    move |status| format!("{what}: {status}").into()
}

/// How often a seeding call is made again after ABORTED.
const MAX_RETRIES: u32 = 10;

/// The pause before the `attempt`-th retry: 10 ms doubling up to 640 ms, with a little jitter.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((10u64 << attempt.min(6)) + fastrand::u64(0..10))
}

/// `$client.$method($request)` for the seeding, in the function's `Result`: the answer's message, made
/// again while the server answers ABORTED (PostgreSQL: a serialization race the server gave up on after
/// its own retries; nothing was written). Counts the call, and each retry, in `$counts`.
macro_rules! seed_call {
    ($counts:expr, $client:expr, $method:ident($request:expr)) => {{
        let request = $request;
        let mut attempt = 0;
        loop {
            match $client.$method(request.clone()).await {
                Ok(response) => {
                    $counts.calls += 1;
                    break response.into_inner();
                }
                Err(status) if status.code() == Code::Aborted && attempt < MAX_RETRIES => {
                    attempt += 1;
                    $counts.retries += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(status) => return Err(failed(stringify!($method))(status)),
            }
        }
    }};
}

// ----- randomness and values -----

/// SplitMix64's finalizer: one account's seed, independent of the order accounts are raised in.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn rng_for(seed: u64, stream: u64, index: usize) -> fastrand::Rng {
    fastrand::Rng::with_seed(mix(mix(seed ^ stream.rotate_left(56)) ^ index as u64))
}

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

/// One of `items` by weight.
fn weighted<T: Copy>(rng: &mut fastrand::Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut target = rng.u32(..total);
    for (item, weight) in items {
        if target < *weight {
            return *item;
        }
        target -= weight;
    }
    items[items.len() - 1].0
}

/// Standard normal (Box–Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u = 1.0 - rng.f64();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * rng.f64()).cos()
}

fn date(day: NaiveDate) -> Option<pb::Date> {
    Some(pb::Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    })
}

/// A day of the year (the 1st to the 28th, so that it exists in every month).
fn day_of_year(rng: &mut fastrand::Rng, year: i32) -> Option<pb::Date> {
    Some(pb::Date {
        year,
        month: rng.i32(1..=12),
        day: rng.i32(1..=28),
    })
}

fn days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}

fn timestamp(time: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: time.timestamp(),
        nanos: 0,
    })
}

fn eur_cents(cents: i64) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: CURRENCY.to_owned(),
        units: cents / 100,
        nanos: (cents % 100) as i32 * 10_000_000,
    })
}

fn cents(money: Option<&pb::Money>) -> i64 {
    money.map_or(0, |m| m.units * 100 + i64::from(m.nanos / 10_000_000))
}

/// The month `back` months before `today`'s.
fn month(today: NaiveDate, back: i32) -> pb::Month {
    let index = today.year() * 12 + today.month0() as i32 - back;
    pb::Month {
        year: index.div_euclid(12),
        month: index.rem_euclid(12) + 1,
    }
}

const PLACES: &[&str] = &[
    "Shanghai",
    "Hamburg",
    "Ruhr",
    "Nordic",
    "Alpine",
    "Pacific",
    "Baltic",
    "Rhine",
    "Yangtze",
    "Great Lakes",
    "Bavarian",
    "Danube",
    "Pearl River",
    "Iberian",
    "Adriatic",
    "Silesian",
];
const TRADES: &[&str] = &[
    "Pump Works",
    "Steel",
    "Chemicals",
    "Packaging",
    "Machinery",
    "Foundry",
    "Paper Mills",
    "Glass",
    "Plastics",
    "Drive Systems",
    "Textiles",
    "Power",
    "Water Technology",
    "Compressors",
];
const FORMS: &[&str] = &["GmbH", "AG", "Ltd", "Co.", "Group", "SE"];
const INDUSTRIES: &[&str] = &[
    "Chemicals",
    "Automotive",
    "Food and beverage",
    "Mining",
    "Water utilities",
    "Pulp and paper",
    "Energy",
    "Pharmaceuticals",
];
const REGIONS: &[&str] = &[
    "DACH",
    "Nordics",
    "Western Europe",
    "North America",
    "Greater China",
    "APAC",
];
const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Chen", "Dana", "Emil", "Fatima", "Georg", "Hana", "Ivan", "Jun", "Karin", "Luis", "Mei",
    "Nils", "Olga", "Pedro", "Qing", "Rosa", "Sven", "Tomasz", "Ulla", "Wei", "Xenia", "Yusuf",
];
const LAST_NAMES: &[&str] = &[
    "Meier",
    "Smith",
    "Wang",
    "Novak",
    "Berg",
    "Rossi",
    "Tanaka",
    "Silva",
    "Kowalski",
    "Li",
    "Schulz",
    "Garcia",
    "Zhang",
    "Lindqvist",
    "Dubois",
    "Okafor",
    "Horvat",
    "Yilmaz",
];
const TITLES: &[&str] = &[
    "Head of Procurement",
    "Plant Manager",
    "CTO",
    "Maintenance Lead",
    "Purchasing Manager",
    "CFO",
    "Production Engineer",
    "Quality Manager",
    "COO",
    "Buyer",
    "Head of Engineering",
    "Site Director",
];
const CONTACT_DEPARTMENTS: &[&str] = &[
    "Procurement",
    "Engineering",
    "Production",
    "Maintenance",
    "Finance",
];
const COMPETITORS: &[&str] = &["Grundfos", "KSB", "Sulzer", "Xylem", "Wilo", "Flowserve", "Ebara"];
const SOURCES: &[&str] = &[
    "trade fair",
    "referral",
    "web inquiry",
    "existing customer",
    "tender",
];
const DEAL_NAMES: &[&str] = &[
    "Line upgrade",
    "Frame contract",
    "Spare parts",
    "Service agreement",
    "Retrofit",
    "New plant",
    "Pilot installation",
    "Energy audit",
];
const WON_REASONS: &[&str] = &["PRODUCT_FIT", "RELATIONSHIP", "PRICE", "TIMING"];
const LOST_REASONS: &[&str] = &["PRICE", "COMPETITOR", "NO_DECISION", "TIMING", "BUDGET"];
const REQUEST_TITLES: &[&str] = &[
    "Pump 3 leaks",
    "Delivery late",
    "Commissioning support",
    "Spare part wrong",
    "Vibration alarm",
    "Training for new shift",
    "Invoice question",
    "Seal replacement",
];
const OBJECTIVES: &[&str] = &[
    "installed pumps",
    "plants on the framework",
    "service contracts",
    "share of wallet %",
];
const PRODUCT_LINES: &[&str] = &[
    "pumps",
    "valves",
    "drives",
    "service",
    "spare parts",
    "monitoring",
];
const ACTION_TITLES: &[&str] = &[
    "Plan the executive visit",
    "Send the retrofit proposal",
    "Review the service contract",
    "Invite to the customer forum",
    "Run the energy audit",
    "Introduce the new service lead",
    "Prepare the annual review",
    "Map the procurement committee",
];
const INTERACTION_TYPES: &[(pb::interaction::Type, u32)] = &[
    (pb::interaction::Type::ExecutiveVisit, 8),
    (pb::interaction::Type::SalesVisit, 25),
    (pb::interaction::Type::Call, 38),
    (pb::interaction::Type::Training, 5),
    (pb::interaction::Type::TechnicalSupport, 12),
    (pb::interaction::Type::CustomerForum, 3),
    (pb::interaction::Type::ProductTrial, 4),
    (pb::interaction::Type::CrossDepartmentReview, 5),
];

/// Who serves the accounts: how many, their department, level, and the team role they take.
const ROSTER: &[(usize, &str, pb::StaffLevel, pb::TeamRole)] = &[
    (
        4,
        "EXECUTIVE",
        pb::StaffLevel::Executive,
        pb::TeamRole::ExecutiveSponsor,
    ),
    (12, "SALES", pb::StaffLevel::Manager, pb::TeamRole::AccountManager),
    (8, "SALES", pb::StaffLevel::Staff, pb::TeamRole::SalesSpecialist),
    (
        6,
        "TECHNICAL",
        pb::StaffLevel::Staff,
        pb::TeamRole::SolutionEngineer,
    ),
    (
        6,
        "CUSTOMER_SERVICE",
        pb::StaffLevel::Staff,
        pb::TeamRole::ServiceLead,
    ),
    (
        4,
        "LOGISTICS",
        pb::StaffLevel::Staff,
        pb::TeamRole::LogisticsCoordinator,
    ),
];

/// The staff, by the team role they take.
struct Staffing {
    by_role: Vec<(pb::TeamRole, Vec<String>)>,
    count: usize,
}

impl Staffing {
    fn holders(&self, role: pb::TeamRole) -> &[String] {
        self.by_role
            .iter()
            .find(|(r, _)| *r == role)
            .map_or(&[], |(_, ids)| ids.as_slice())
    }

    /// The specialists' roles: every role but the sponsor and the account manager.
    fn specialist_roles(&self) -> Vec<pb::TeamRole> {
        self.by_role
            .iter()
            .map(|(role, _)| *role)
            .filter(|r| !matches!(r, pb::TeamRole::ExecutiveSponsor | pb::TeamRole::AccountManager))
            .collect()
    }
}

/// What the seeding wrote (calls counts every RPC made).
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    calls: u64,
    /// Calls made again after ABORTED.
    retries: u64,
    seats: u64,
    account_key_dates: u64,
    contacts: u64,
    contact_key_dates: u64,
    opportunities: u64,
    opportunities_closed: u64,
    requests: u64,
    requests_open: u64,
    plans: u64,
    actions: u64,
    actions_overdue: u64,
    interactions: u64,
    revenue_records: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.calls += o.calls;
        self.retries += o.retries;
        self.seats += o.seats;
        self.account_key_dates += o.account_key_dates;
        self.contacts += o.contacts;
        self.contact_key_dates += o.contact_key_dates;
        self.opportunities += o.opportunities;
        self.opportunities_closed += o.opportunities_closed;
        self.requests += o.requests;
        self.requests_open += o.requests_open;
        self.plans += o.plans;
        self.actions += o.actions;
        self.actions_overdue += o.actions_overdue;
        self.interactions += o.interactions;
        self.revenue_records += o.revenue_records;
    }
}

/// One account raised: its id, and its account manager (who calls for it as a MEMBER).
struct Seeded {
    id: String,
    manager: String,
    counts: Counts,
}

// ----- the run -----

/// What one backend took, left and measured.
struct BackendResult {
    backend: Backend,
    staff: usize,
    accounts: usize,
    counts: Counts,
    seeding: Duration,
    tiering: Duration,
    tiers: Vec<pb::recompute_tiers_response::TierSummary>,
    /// `ANALYZE` / `VACUUM ANALYZE` and how long it took, if run.
    analyze: Option<(&'static str, Duration)>,
    load: (String, String),
    callers: [CallerTimings; 2],
    /// The health's reads in-process: what, rows, times.
    health_parts: Vec<(&'static str, usize, Vec<Duration>)>,
}

/// Runs each backend in turn, printing its figures as soon as it is done.
async fn bench(settings: &Settings, servers: &Handle) -> Result<(), BoxError> {
    for &backend in &settings.backends {
        let run = async |database: &BenchDatabase| bench_backend(database, settings, servers).await;
        if let Some(result) = on_fresh_database(backend, settings.keep, run).await? {
            report(settings, &result);
        }
    }
    Ok(())
}

async fn bench_backend(
    database: &BenchDatabase,
    settings: &Settings,
    servers: &Handle,
) -> Result<BackendResult, BoxError> {
    let backend = database.backend;
    let key_file = database.dir.join("kam-admin.key");
    eprintln!("{}: starting the server…", backend.name());
    let server = start_kam_server(
        servers,
        &database.url,
        &key_file,
        STARTUP_TIMEOUT,
        configure_server,
    )
    .await?;
    let outcome = seed_and_measure(database, settings, server.addr, &key_file).await;
    if let Err(err) = &outcome {
        eprintln!("{}: stopped: {err}", backend.name());
    }
    tokio::time::timeout(STOP_TIMEOUT, server.stop())
        .await
        .map_err(|_| {
            format!(
                "{}: the server did not stop within {STOP_TIMEOUT:?}",
                backend.name()
            )
        })??;
    outcome
}

async fn seed_and_measure(
    database: &BenchDatabase,
    settings: &Settings,
    addr: std::net::SocketAddr,
    key_file: &std::path::Path,
) -> Result<BackendResult, BoxError> {
    let backend = database.backend;
    let name = backend.name();
    let admin_key = std::fs::read_to_string(key_file)?.trim().to_owned();
    let channel = endpoint(addr)?.connect().await?;
    let admin = Clients::new(channel.clone(), &admin_key);
    let now = Utc::now();
    let today = now.date_naive();

    eprintln!("{name}: seeding {} accounts…", settings.accounts);
    let started = Instant::now();
    let staffing = create_staff(&admin, settings).await?;
    let mut counts = Counts {
        calls: staffing.count as u64 + 1,
        ..Counts::default()
    };
    let mut seeded: Vec<(usize, Seeded)> = Vec::with_capacity(settings.accounts);
    {
        let staffing = &staffing;
        let admin = &admin;
        let mut raising = stream::iter(0..settings.accounts)
            .map(|index| async move {
                seed_account(admin.clone(), staffing, settings.seed, index, now)
                    .await
                    .map(|account| (index, account))
                    .map_err(|err| BoxError::from(format!("account {index}: {err}")))
            })
            .buffer_unordered(settings.concurrency);
        while let Some(account) = raising.next().await {
            let (index, account) = account?;
            counts.add(&account.counts);
            seeded.push((index, account));
            if seeded.len().is_multiple_of(100) {
                eprintln!(
                    "{name}: {} accounts in {:.1} s",
                    seeded.len(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    seeded.sort_by_key(|(index, _)| *index);
    let seeded: Vec<Seeded> = seeded.into_iter().map(|(_, account)| account).collect();
    let seeding = started.elapsed();
    eprintln!("{name}: seeded in {:.1} s: {counts:?}", seeding.as_secs_f64());

    let started = Instant::now();
    let ranked = admin
        .planning
        .clone()
        .recompute_tiers(pb::RecomputeTiersRequest {
            as_of: None,
            validate_only: false,
            row_limit: 1,
            changed_only: true,
        })
        .await
        .map_err(failed("RecomputeTiers"))?
        .into_inner();
    let tiering = started.elapsed();

    let analyze = match (backend, settings.analyze_sqlite) {
        (Backend::Postgres, _) => Some("VACUUM ANALYZE"),
        (Backend::Sqlite, true) => Some("ANALYZE"),
        (Backend::Sqlite, false) => None,
    };
    let analyze = match analyze {
        Some(statement) => {
            let db = connect_for_writing(backend, &database.url).await?;
            let started = Instant::now();
            db.execute_unprepared(statement).await?;
            let took = started.elapsed();
            db.close().await?;
            Some((statement, took))
        }
        None => None,
    };

    // Each account manager calls for their own accounts, with a key of their own (role MEMBER).
    let mut managers: HashMap<String, Clients> = HashMap::new();
    for manager in staffing.holders(pb::TeamRole::AccountManager) {
        let secret = admin
            .identity
            .clone()
            .create_api_key(pb::CreateApiKeyRequest {
                staff_id: manager.clone(),
                display_name: "account_brief bench".to_owned(),
                expire_time: None,
            })
            .await
            .map_err(failed("CreateApiKey"))?
            .into_inner()
            .secret;
        managers.insert(manager.clone(), Clients::new(channel.clone(), &secret));
    }

    let mut order: Vec<usize> = (0..seeded.len()).collect();
    rng_for(settings.seed, 99, 0).shuffle(&mut order);
    let chosen = |i: usize| &seeded[order[i % order.len()]];
    let warmup: Vec<&Seeded> = (0..settings.warmup).map(chosen).collect();
    let sample: Vec<&Seeded> = (settings.warmup..settings.warmup + settings.sample)
        .map(chosen)
        .collect();

    let load_before = load_average();
    let clients_of = |caller: Caller, account: &Seeded| match caller {
        Caller::Admin => admin.clone(),
        Caller::AccountManager => managers[&account.manager].clone(),
    };
    let mut callers = [
        CallerTimings::new(Caller::Admin),
        CallerTimings::new(Caller::AccountManager),
    ];
    eprintln!("{name}: warming up, checking the brief against the separate calls…");
    for account in &warmup {
        for caller in [Caller::Admin, Caller::AccountManager] {
            let clients = clients_of(caller, account);
            let brief = call_brief(&clients, &account.id, settings.horizon_days).await?;
            let separate = call_separate(&clients, &account.id, settings.horizon_days, today, false).await?;
            call_separate(&clients, &account.id, settings.horizon_days, today, true).await?;
            check_parts(&brief.answer, &separate)
                .map_err(|err| format!("{name}, {}: {err}", caller.label()))?;
        }
    }
    eprintln!("{name}: timing…");
    for (k, account) in sample.iter().enumerate() {
        // Both callers and the three ways in turn, each account starting with another.
        for c in 0..2 {
            let timings = &mut callers[(k + c) % 2];
            let clients = clients_of(timings.caller, account);
            for step in 0..3 {
                match (k + step) % 3 {
                    0 => {
                        let started = Instant::now();
                        let brief = call_brief(&clients, &account.id, settings.horizon_days).await?;
                        timings.brief.record(started.elapsed(), 1, brief.bytes);
                    }
                    1 => {
                        let started = Instant::now();
                        let parts =
                            call_separate(&clients, &account.id, settings.horizon_days, today, false).await?;
                        timings.sequential.record(
                            started.elapsed(),
                            parts.iter().map(|p| p.calls).sum(),
                            parts.iter().map(|p| p.bytes).sum(),
                        );
                        for (times, part) in timings.parts.iter_mut().zip(&parts) {
                            times.push(part.took);
                        }
                    }
                    _ => {
                        let started = Instant::now();
                        let parts =
                            call_separate(&clients, &account.id, settings.horizon_days, today, true).await?;
                        timings.concurrent.record(
                            started.elapsed(),
                            parts.iter().map(|p| p.calls).sum(),
                            parts.iter().map(|p| p.bytes).sum(),
                        );
                    }
                }
            }
        }
        if (k + 1) % 50 == 0 {
            let so_far = |way: &Way| {
                let mut sorted = way.times.clone();
                sorted.sort();
                millis(median(&sorted))
            };
            for timings in &callers {
                eprintln!(
                    "{name}: {}: {} of {} accounts timed; medians so far: brief {:.1} ms, one after another \
                     {:.1} ms, all at once {:.1} ms",
                    timings.caller.label(),
                    k + 1,
                    sample.len(),
                    so_far(&timings.brief),
                    so_far(&timings.sequential),
                    so_far(&timings.concurrent)
                );
            }
        }
    }
    let load = (load_before, load_average());
    eprintln!("{name}: timing the health's reads in-process…");
    let first = sample.first().ok_or("no account sampled")?;
    let health_parts = measure_health_parts(&database.url, &first.id, &first.manager).await?;
    Ok(BackendResult {
        backend,
        staff: staffing.count,
        accounts: seeded.len(),
        counts,
        seeding,
        tiering,
        tiers: ranked.tiers,
        analyze,
        load,
        callers,
        health_parts,
    })
}

// ----- seeding -----

async fn create_staff(admin: &Clients, settings: &Settings) -> Result<Staffing, BoxError> {
    let departments: HashMap<String, String> = admin
        .teams
        .clone()
        .list_departments(pb::ListDepartmentsRequest {})
        .await
        .map_err(failed("ListDepartments"))?
        .into_inner()
        .departments
        .into_iter()
        .map(|d| (d.code, d.id))
        .collect();
    let mut rng = rng_for(settings.seed, 1, 0);
    let mut by_role = Vec::new();
    let mut count = 0;
    for &(how_many, department, level, role) in ROSTER {
        let department_id = departments
            .get(department)
            .ok_or_else(|| format!("no department {department}"))?;
        let mut ids = Vec::new();
        for _ in 0..how_many {
            let (first, last) = (*pick(&mut rng, FIRST_NAMES), *pick(&mut rng, LAST_NAMES));
            let staff = admin
                .teams
                .clone()
                .create_staff(pb::CreateStaffRequest {
                    staff: Some(pb::Staff {
                        full_name: format!("{first} {last}"),
                        email: format!(
                            "{}.{}.{count}@kam-bench.example",
                            first.to_lowercase(),
                            last.to_lowercase()
                        ),
                        department_id: department_id.clone(),
                        level: level as i32,
                        title: role.as_str_name().replace('_', " ").to_lowercase(),
                        max_accounts: MAX_ACCOUNTS,
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .map_err(failed("CreateStaff"))?
                .into_inner();
            ids.push(staff.id);
            count += 1;
        }
        by_role.push((role, ids));
    }
    Ok(Staffing { by_role, count })
}

/// Raises one account and everything around it, one call after another.
async fn seed_account(
    mut c: Clients,
    staffing: &Staffing,
    seed: u64,
    index: usize,
    now: DateTime<Utc>,
) -> Result<Seeded, BoxError> {
    let mut rng = rng_for(seed, 2, index);
    let today = now.date_naive();
    let mut n = Counts::default();

    // The account, with its own key dates on some.
    let mut key_dates = Vec::new();
    if rng.f64() < 0.30 {
        key_dates.push(pb::KeyDate {
            kind: pb::KeyDateKind::FoundingAnniversary as i32,
            label: String::new(),
            date: {
                let year = rng.i32(1890..=2015);
                day_of_year(&mut rng, year)
            },
            one_time: false,
        });
    }
    if rng.f64() < 0.35 {
        key_dates.push(pb::KeyDate {
            kind: pb::KeyDateKind::ContractRenewal as i32,
            label: "Frame contract renewal".to_owned(),
            date: date(today + days(rng.i64(0..365))),
            one_time: true,
        });
    }
    if rng.f64() < 0.15 {
        key_dates.push(pb::KeyDate {
            kind: pb::KeyDateKind::CustomerEvent as i32,
            label: "Supplier day".to_owned(),
            date: day_of_year(&mut rng, 0),
            one_time: false,
        });
    }
    n.account_key_dates = key_dates.len() as u64;
    let display_name = format!(
        "{} {} {}",
        pick(&mut rng, PLACES),
        pick(&mut rng, TRADES),
        pick(&mut rng, FORMS)
    );
    let account = seed_call!(
        n,
        c.accounts,
        create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                external_id: format!("BENCH-{index:06}"),
                legal_name: display_name.clone(),
                display_name,
                industry: (*pick(&mut rng, INDUSTRIES)).to_owned(),
                region: (*pick(&mut rng, REGIONS)).to_owned(),
                lifecycle: weighted(
                    &mut rng,
                    &[
                        (pb::Lifecycle::Active, 85),
                        (pb::Lifecycle::Prospect, 10),
                        (pb::Lifecycle::Dormant, 5),
                    ],
                ) as i32,
                relationship_stage: weighted(
                    &mut rng,
                    &[
                        (pb::RelationshipStage::Transactional, 50),
                        (pb::RelationshipStage::ValueAdded, 35),
                        (pb::RelationshipStage::StrategicPartner, 15),
                    ],
                ) as i32,
                rad_status: weighted(
                    &mut rng,
                    &[
                        (pb::RadStatus::Retain, 60),
                        (pb::RadStatus::Develop, 30),
                        (pb::RadStatus::Acquire, 10),
                    ],
                ) as i32,
                key_dates,
                ..Default::default()
            }),
            request_id: String::new(),
        })
    );
    let account_id = account.id;

    // The team: an account manager, an executive sponsor, one or two specialists of different roles.
    let manager = pick(&mut rng, staffing.holders(pb::TeamRole::AccountManager)).clone();
    let sponsor = pick(&mut rng, staffing.holders(pb::TeamRole::ExecutiveSponsor)).clone();
    let mut seats = vec![
        (manager.clone(), pb::TeamRole::AccountManager, false),
        (sponsor.clone(), pb::TeamRole::ExecutiveSponsor, false),
    ];
    let mut roles = staffing.specialist_roles();
    rng.shuffle(&mut roles);
    let mut specialists = Vec::new();
    for role in roles.into_iter().take(rng.usize(1..=2)) {
        let person = pick(&mut rng, staffing.holders(role)).clone();
        specialists.push((person.clone(), role));
        seats.push((person, role, role != pb::TeamRole::SalesSpecialist));
    }
    for (staff_id, role, liaison) in seats {
        seed_call!(
            n,
            c.teams,
            add_team_member(pb::AddTeamMemberRequest {
                member: Some(pb::TeamMember {
                    account_id: account_id.clone(),
                    staff_id,
                    role: role as i32,
                    is_department_liaison: liaison,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
        );
        n.seats += 1;
    }
    let specialist_or_manager = |rng: &mut fastrand::Rng| {
        if rng.bool() {
            pick(rng, &specialists).0.clone()
        } else {
            manager.clone()
        }
    };

    // Contacts: the decision maker first, often a champion; some gone, some opposed.
    let mut contacts = Vec::new();
    let company = format!("customer{index}.example");
    for k in 0..rng.usize(5..=10) {
        let buying_role = match k {
            0 => pb::BuyingRole::DecisionMaker,
            1 if rng.f64() < 0.6 => pb::BuyingRole::Champion,
            _ => weighted(
                &mut rng,
                &[
                    (pb::BuyingRole::Influencer, 30),
                    (pb::BuyingRole::User, 30),
                    (pb::BuyingRole::Gatekeeper, 15),
                    (pb::BuyingRole::Unspecified, 25),
                ],
            ),
        };
        let mut key_dates = Vec::new();
        if rng.f64() < 0.4 {
            let year = if rng.bool() { rng.i32(1960..=2000) } else { 0 };
            key_dates.push(pb::KeyDate {
                kind: pb::KeyDateKind::Birthday as i32,
                label: String::new(),
                date: day_of_year(&mut rng, year),
                one_time: false,
            });
        }
        if rng.f64() < 0.2 {
            key_dates.push(pb::KeyDate {
                kind: pb::KeyDateKind::WorkAnniversary as i32,
                label: String::new(),
                date: {
                    let year = rng.i32(1990..=2024);
                    day_of_year(&mut rng, year)
                },
                one_time: false,
            });
        }
        n.contact_key_dates += key_dates.len() as u64;
        let active = rng.f64() >= 0.08;
        let (first, last) = (*pick(&mut rng, FIRST_NAMES), *pick(&mut rng, LAST_NAMES));
        let contact = seed_call!(
            n,
            c.accounts,
            create_contact(pb::CreateContactRequest {
                contact: Some(pb::Contact {
                    account_id: account_id.clone(),
                    full_name: format!("{first} {last}"),
                    title: (*pick(&mut rng, TITLES)).to_owned(),
                    department: (*pick(&mut rng, CONTACT_DEPARTMENTS)).to_owned(),
                    buying_role: buying_role as i32,
                    man: Some(pb::Man {
                        has_money: rng.f64() < 0.4,
                        has_authority: k == 0 || rng.f64() < 0.2,
                        has_need: rng.f64() < 0.6,
                    }),
                    attitude: weighted(
                        &mut rng,
                        &[
                            (pb::Attitude::Supporter, 45),
                            (pb::Attitude::Neutral, 35),
                            (pb::Attitude::Opponent, 10),
                            (pb::Attitude::Unspecified, 10),
                        ],
                    ) as i32,
                    relationship_strength: rng.i32(0..=5),
                    key_dates,
                    email: format!("{}.{}.{k}@{company}", first.to_lowercase(), last.to_lowercase()),
                    phone: format!("+49 40 {:07}", rng.u32(0..10_000_000)),
                    active: Some(active),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
        );
        n.contacts += 1;
        if active {
            contacts.push(contact.id);
        }
    }

    // Opportunities in the default pipeline; some closed, won or lost.
    const STAGES: [(&str, u32); 5] = [
        ("LEAD", 30),
        ("CONTACTED", 25),
        ("QUALIFIED", 20),
        ("PROPOSAL", 15),
        ("NEGOTIATION", 10),
    ];
    for _ in 0..rng.usize(3..=8) {
        let closed = rng.f64() < 0.35;
        let won = closed && rng.f64() < 0.4;
        let stage = if won {
            STAGES.len() - 1
        } else {
            weighted(&mut rng, &[(0, 30), (1, 25), (2, 20), (3, 15), (4, 10)])
        };
        // From QUALIFIED on (and to be won), budget, authority and need are confirmed.
        let qualified = stage >= 2 || won;
        let qualification = pb::Qualification {
            budget_confirmed: qualified || rng.f64() < 0.25,
            authority_confirmed: qualified || rng.f64() < 0.25,
            need_confirmed: qualified || rng.f64() < 0.25,
        };
        let mut competitors: Vec<String> = Vec::new();
        for _ in 0..rng.usize(0..=2) {
            let name = (*pick(&mut rng, COMPETITORS)).to_owned();
            if !competitors.contains(&name) {
                competitors.push(name);
            }
        }
        let amount = (45_000.0 * (0.9 * normal(&mut rng)).exp()).round() as i64 / 100 * 100;
        let expected_close = if rng.f64() < 0.9 {
            let offset = if closed {
                rng.i64(-60..=30)
            } else {
                rng.i64(7..=180)
            };
            date(today + days(offset))
        } else {
            None
        };
        let owner = if rng.f64() < 0.8 {
            manager.clone()
        } else {
            specialist_or_manager(&mut rng)
        };
        let deal = seed_call!(
            n,
            c.opportunities,
            create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(pb::Opportunity {
                    account_id: account_id.clone(),
                    stage: STAGES[stage].0.to_owned(),
                    display_name: format!("{} {}", pick(&mut rng, DEAL_NAMES), today.year()),
                    amount: eur_cents(amount * 100),
                    expected_close_date: expected_close,
                    owner_staff_id: owner,
                    competitors: competitors.clone(),
                    source: (*pick(&mut rng, SOURCES)).to_owned(),
                    next_step: "Call the buyer about the offer".to_owned(),
                    qualification: Some(qualification),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
        );
        n.opportunities += 1;
        if closed {
            let (outcome, reason) = if won {
                (pb::Outcome::Won, *pick(&mut rng, WON_REASONS))
            } else {
                (pb::Outcome::Lost, *pick(&mut rng, LOST_REASONS))
            };
            let lost_to = match competitors.first() {
                Some(name) if !won && rng.f64() < 0.6 => name.clone(),
                _ => String::new(),
            };
            seed_call!(
                n,
                c.opportunities,
                close_opportunity(pb::CloseOpportunityRequest {
                    id: deal.id,
                    outcome: outcome as i32,
                    reason_code: reason.to_owned(),
                    note: String::new(),
                    lost_to_competitor: lost_to,
                    etag: String::new(),
                })
            );
            n.opportunities_closed += 1;
        }
    }

    // Service requests: half of them closed or cancelled.
    let service_lead = specialists
        .iter()
        .find(|(_, role)| *role == pb::TeamRole::ServiceLead)
        .map(|(id, _)| id.clone());
    for _ in 0..rng.usize(0..=4) {
        let request = seed_call!(
            n,
            c.service_levels,
            create_service_request(pb::CreateServiceRequestRequest {
                service_request: Some(pb::ServiceRequest {
                    account_id: account_id.clone(),
                    contact_id: if contacts.is_empty() {
                        String::new()
                    } else {
                        pick(&mut rng, &contacts).clone()
                    },
                    title: (*pick(&mut rng, REQUEST_TITLES)).to_owned(),
                    description: "Reported by phone; see the attached photos.".to_owned(),
                    category: rng.i32(1..=7),
                    priority: weighted(
                        &mut rng,
                        &[
                            (pb::Priority::P1, 5),
                            (pb::Priority::P2, 20),
                            (pb::Priority::P3, 55),
                            (pb::Priority::P4, 20),
                        ],
                    ) as i32,
                    assignee_staff_id: service_lead.clone().unwrap_or_else(|| manager.clone()),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
        );
        n.requests += 1;
        use pb::service_request::Status as S;
        let path: &[S] = if rng.bool() {
            if rng.f64() < 0.15 {
                &[S::Cancelled]
            } else {
                &[S::Resolved, S::Closed]
            }
        } else {
            n.requests_open += 1;
            weighted(
                &mut rng,
                &[
                    (&[][..], 40),
                    (&[S::InProgress][..], 40),
                    (&[S::WaitingOnCustomer][..], 20),
                ],
            )
        };
        if path == [S::InProgress] {
            seed_call!(
                n,
                c.service_levels,
                record_first_response(pb::RecordFirstResponseRequest {
                    id: request.id.clone(),
                    etag: String::new(),
                })
            );
        }
        for status in path {
            seed_call!(
                n,
                c.service_levels,
                change_service_request_status(pb::ChangeServiceRequestStatusRequest {
                    id: request.id.clone(),
                    status: *status as i32,
                    note: String::new(),
                    etag: String::new(),
                })
            );
        }
    }

    // Revenue: 24 months, a size per account, a yearly trend, monthly noise.
    let annual = 250_000.0 * (1.3 * normal(&mut rng)).exp();
    let growth = (0.04 + 0.25 * normal(&mut rng)).clamp(-0.6, 1.0);
    let records: Vec<pb::RevenueRecord> = (0..MONTHS)
        .map(|back| {
            let trend = (1.0 + growth).powf(-f64::from(back) / 12.0);
            let noise = (1.0 + 0.15 * normal(&mut rng)).max(0.05);
            let period = month(today, back);
            pb::RevenueRecord {
                external_id: format!("BENCH-{index:06}-{}{:02}", period.year, period.month),
                account_id: account_id.clone(),
                period: Some(period),
                amount: eur_cents((annual / 12.0 * trend * noise * 100.0).round() as i64),
                ..Default::default()
            }
        })
        .collect();
    n.revenue_records = records.len() as u64;
    seed_call!(
        n,
        c.planning,
        upsert_revenue_records(pb::UpsertRevenueRecordsRequest { records })
    );

    // One active plan with its actions: some overdue, some done.
    let mut product_lines = PRODUCT_LINES.to_vec();
    rng.shuffle(&mut product_lines);
    let plan = seed_call!(
        n,
        c.planning,
        create_account_plan(pb::CreateAccountPlanRequest {
            plan: Some(pb::AccountPlan {
                account_id: account_id.clone(),
                name: format!("Account plan {}", today.year()),
                period_start: date(today - days(90)),
                period_end: date(today + days(275)),
                vision: "Become the preferred supplier for every plant of the group.".to_owned(),
                revenue_target: eur_cents((annual * 1.1 * 100.0).round() as i64),
                share_of_wallet_target_percent: rng.i32(20..=60),
                objectives: (0..rng.usize(1..=3))
                    .map(|k| {
                        let target = rng.i64(2..=20);
                        pb::PlanObjective {
                            metric: OBJECTIVES[k].to_owned(),
                            target_value: target,
                            current_value: rng.i64(0..=target),
                            due_date: date(today + days(rng.i64(30..=270))),
                        }
                    })
                    .collect(),
                swot: (0..rng.usize(2..=4))
                    .map(|k| pb::SwotItem {
                        kind: (k % 4 + 1) as i32,
                        text: "Installed base in three plants; procurement pushes for a second source."
                            .to_owned(),
                    })
                    .collect(),
                competitors: COMPETITORS[..rng.usize(0..=2)]
                    .iter()
                    .map(|name| pb::CompetitorAssessment {
                        name: (*name).to_owned(),
                        estimated_share_percent: rng.i32(5..=40),
                        strengths: "price".to_owned(),
                        weaknesses: "service coverage".to_owned(),
                        threat_level: rng.i32(1..=3),
                        competitor_id: String::new(),
                    })
                    .collect(),
                whitespace: product_lines[..rng.usize(2..=4)]
                    .iter()
                    .map(|line| pb::WhitespaceCell {
                        product_line: (*line).to_owned(),
                        status: rng.i32(1..=3),
                        estimated_value: eur_cents(rng.i64(10_000..=500_000) * 100),
                    })
                    .collect(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
    );
    seed_call!(
        n,
        c.planning,
        change_account_plan_status(pb::ChangeAccountPlanStatusRequest {
            id: plan.id.clone(),
            status: pb::account_plan::Status::Active as i32,
            etag: String::new(),
        })
    );
    n.plans += 1;
    for _ in 0..rng.usize(3..=6) {
        let due = today + days(rng.i64(-40..=90));
        let action = seed_call!(
            n,
            c.planning,
            create_plan_action(pb::CreatePlanActionRequest {
                action: Some(pb::PlanAction {
                    plan_id: plan.id.clone(),
                    title: (*pick(&mut rng, ACTION_TITLES)).to_owned(),
                    owner_staff_id: specialist_or_manager(&mut rng),
                    due_date: date(due),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
        );
        n.actions += 1;
        let status = match rng.f64() {
            x if x < 0.25 => Some(pb::plan_action::Status::Done),
            x if x < 0.35 => Some(pb::plan_action::Status::InProgress),
            _ => None,
        };
        if let Some(status) = status {
            seed_call!(
                n,
                c.planning,
                update_plan_action(pb::UpdatePlanActionRequest {
                    action: Some(pb::PlanAction {
                        id: action.id,
                        status: status as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["status".to_owned()],
                    }),
                })
            );
        }
        if due < today && status != Some(pb::plan_action::Status::Done) {
            n.actions_overdue += 1;
        }
    }

    // Interactions over the last year.
    for _ in 0..rng.usize(10..=30) {
        let kind = weighted(&mut rng, INTERACTION_TYPES);
        use pb::interaction::Type as T;
        let staff_ids = match kind {
            T::ExecutiveVisit => vec![sponsor.clone(), manager.clone()],
            T::TechnicalSupport | T::Training | T::ProductTrial => {
                let who = specialist_or_manager(&mut rng);
                vec![who]
            }
            _ if rng.f64() < 0.75 => vec![manager.clone()],
            _ => {
                let who = specialist_or_manager(&mut rng);
                vec![who]
            }
        };
        let mut contact_ids: Vec<String> = Vec::new();
        for _ in 0..rng.usize(0..=2).min(contacts.len()) {
            let id = pick(&mut rng, &contacts).clone();
            if !contact_ids.contains(&id) {
                contact_ids.push(id);
            }
        }
        let occur = now - chrono::Duration::seconds(rng.i64(3_600..365 * 86_400));
        let satisfaction = if rng.f64() < 0.6 {
            weighted(&mut rng, &[(1, 2), (2, 5), (3, 15), (4, 45), (5, 33)])
        } else {
            0
        };
        seed_call!(
            n,
            c.planning,
            log_interaction(pb::LogInteractionRequest {
                interaction: Some(pb::Interaction {
                    account_id: account_id.clone(),
                    r#type: kind as i32,
                    occur_time: timestamp(occur),
                    staff_ids,
                    contact_ids,
                    summary: "Went through the open points and the installed base.".to_owned(),
                    outcome: "They want an offer for the retrofit.".to_owned(),
                    next_step: "Send the offer by the end of the month.".to_owned(),
                    satisfaction,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
        );
        n.interactions += 1;
    }

    Ok(Seeded {
        id: account_id,
        manager,
        counts: n,
    })
}

// ----- measuring -----

#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    Admin,
    AccountManager,
}

impl Caller {
    fn label(self) -> &'static str {
        match self {
            Self::Admin => "ADMIN",
            Self::AccountManager => "manager",
        }
    }
}

/// One way of reading the brief's content: per account, how long, how many calls, how many bytes.
#[derive(Default)]
struct Way {
    times: Vec<Duration>,
    calls: usize,
    bytes: usize,
}

impl Way {
    fn record(&mut self, took: Duration, calls: usize, bytes: usize) {
        self.times.push(took);
        self.calls += calls;
        self.bytes += bytes;
    }
}

struct CallerTimings {
    caller: Caller,
    brief: Way,
    sequential: Way,
    concurrent: Way,
    /// Each separate call's own time within the calls made one after another, in [`PARTS`] order.
    parts: Vec<Vec<Duration>>,
}

impl CallerTimings {
    fn new(caller: Caller) -> Self {
        Self {
            caller,
            brief: Way::default(),
            sequential: Way::default(),
            concurrent: Way::default(),
            parts: vec![Vec::new(); PARTS.len()],
        }
    }
}

/// What the brief answers, part by part, in [`PARTS`] order: the counts of each list, the health
/// score, and the revenue of both years in cents.
type PartValues = [i64; 12];

struct BriefAnswer {
    answer: PartValues,
    bytes: usize,
}

async fn call_brief(c: &Clients, account_id: &str, horizon_days: i32) -> Result<BriefAnswer, BoxError> {
    let brief = c
        .planning
        .clone()
        .get_account_brief(pb::GetAccountBriefRequest {
            account_id: account_id.to_owned(),
            horizon_days,
        })
        .await
        .map_err(failed("GetAccountBrief"))?
        .into_inner();
    let count = |n: usize| n as i64;
    let revenue = brief.revenue.as_ref();
    let answer = [
        i64::from(brief.account.as_ref().is_some_and(|a| a.id == account_id)),
        count(brief.team.len()),
        count(brief.key_people.len()),
        count(brief.key_dates.len()),
        count(brief.open_opportunities.len()),
        count(brief.open_service_requests.len()),
        brief.health.as_ref().map_or(-1, |h| i64::from(h.score)),
        count(brief.active_plans.len()),
        count(brief.actions_due.len()),
        count(brief.recent_interactions.len()),
        count(brief.overdue_cadence.len()),
        cents(revenue.and_then(|r| r.trailing_year.as_ref()))
            + cents(revenue.and_then(|r| r.year_before.as_ref())),
    ];
    Ok(BriefAnswer {
        answer,
        bytes: brief.encoded_len(),
    })
}

/// The separate calls that make up a brief.
#[derive(Clone, Copy)]
enum Part {
    Account,
    Team,
    Contacts,
    KeyDates,
    Opportunities,
    Requests,
    Health,
    Plans,
    Actions,
    Interactions,
    OverdueCadence,
    Revenue,
}

const PARTS: [Part; 12] = [
    Part::Account,
    Part::Team,
    Part::Contacts,
    Part::KeyDates,
    Part::Opportunities,
    Part::Requests,
    Part::Health,
    Part::Plans,
    Part::Actions,
    Part::Interactions,
    Part::OverdueCadence,
    Part::Revenue,
];

/// One separate call's answer: its value (as in [`PartValues`]), how many RPCs it took, the bytes
/// received and how long it took.
struct PartAnswer {
    value: i64,
    calls: usize,
    bytes: usize,
    took: Duration,
}

impl Part {
    fn label(self) -> &'static str {
        match self {
            Self::Account => "GetAccount",
            Self::Team => "ListTeamMembers + GetStaff per seat",
            Self::Contacts => "ListContacts",
            Self::KeyDates => "ListUpcomingKeyDates",
            Self::Opportunities => "ListOpportunities (open)",
            Self::Requests => "ListServiceRequests (open)",
            Self::Health => "GetAccountHealth",
            Self::Plans => "ListAccountPlans (ACTIVE)",
            Self::Actions => "ListPlanActions (by due date)",
            Self::Interactions => "ListInteractions (page 10)",
            Self::OverdueCadence => "ListOverdueCadence (every page)",
            Self::Revenue => "GetMonthlyRevenue (24 months)",
        }
    }

    /// Makes this part's calls; the staff names one after another, or all at once when `concurrent`.
    async fn call(
        self,
        c: &Clients,
        account_id: &str,
        horizon_days: i32,
        today: NaiveDate,
        concurrent: bool,
    ) -> Result<PartAnswer, BoxError> {
        let started = Instant::now();
        let id = account_id.to_owned();
        let count = |n: usize| n as i64;
        let (value, calls, bytes) = match self {
            Self::Account => {
                let account = c
                    .accounts
                    .clone()
                    .get_account(pb::GetAccountRequest { id: id.clone() })
                    .await
                    .map_err(failed("GetAccount"))?
                    .into_inner();
                (i64::from(account.id == id), 1, account.encoded_len())
            }
            Self::Team => {
                let seats = c
                    .teams
                    .clone()
                    .list_team_members(pb::ListTeamMembersRequest {
                        account_id: id,
                        page_size: 200,
                        ..Default::default()
                    })
                    .await
                    .map_err(failed("ListTeamMembers"))?
                    .into_inner();
                let mut people: Vec<&str> = Vec::new();
                let mut seen = HashSet::new();
                for seat in &seats.members {
                    if seen.insert(seat.staff_id.as_str()) {
                        people.push(&seat.staff_id);
                    }
                }
                let get = |staff_id: &str| {
                    let mut teams = c.teams.clone();
                    let request = pb::GetStaffRequest {
                        id: staff_id.to_owned(),
                    };
                    async move {
                        teams
                            .get_staff(request)
                            .await
                            .map(|r| r.into_inner().encoded_len())
                            .map_err(failed("GetStaff"))
                    }
                };
                let mut bytes = seats.encoded_len();
                if concurrent {
                    bytes += try_join_all(people.iter().map(|p| get(p)))
                        .await?
                        .iter()
                        .sum::<usize>();
                } else {
                    for person in &people {
                        bytes += get(person).await?;
                    }
                }
                (count(seats.members.len()), 1 + people.len(), bytes)
            }
            Self::Contacts => {
                let page = c
                    .accounts
                    .clone()
                    .list_contacts(pb::ListContactsRequest {
                        page_size: 1000,
                        account_id: id,
                        order_by: "full_name".to_owned(),
                        ..Default::default()
                    })
                    .await
                    .map_err(failed("ListContacts"))?
                    .into_inner();
                (count(page.contacts.len()), 1, page.encoded_len())
            }
            Self::KeyDates => {
                let page = c
                    .planning
                    .clone()
                    .list_upcoming_key_dates(pb::ListUpcomingKeyDatesRequest {
                        days: horizon_days,
                        account_id: id,
                        segments: None,
                    })
                    .await
                    .map_err(failed("ListUpcomingKeyDates"))?
                    .into_inner();
                (count(page.key_dates.len()), 1, page.encoded_len())
            }
            Self::Opportunities => {
                let page = c
                    .opportunities
                    .clone()
                    .list_opportunities(pb::ListOpportunitiesRequest {
                        page_size: 500,
                        account_id: id,
                        open_only: true,
                        ..Default::default()
                    })
                    .await
                    .map_err(failed("ListOpportunities"))?
                    .into_inner();
                (count(page.opportunities.len()), 1, page.encoded_len())
            }
            Self::Requests => {
                let page = c
                    .service_levels
                    .clone()
                    .list_service_requests(pb::ListServiceRequestsRequest {
                        page_size: 50,
                        account_id: id,
                        open_only: true,
                        order_by: "resolution_due_time".to_owned(),
                        ..Default::default()
                    })
                    .await
                    .map_err(failed("ListServiceRequests"))?
                    .into_inner();
                (count(page.service_requests.len()), 1, page.encoded_len())
            }
            Self::Health => {
                let health = c
                    .planning
                    .clone()
                    .get_account_health(pb::GetAccountHealthRequest { account_id: id })
                    .await
                    .map_err(failed("GetAccountHealth"))?
                    .into_inner();
                (i64::from(health.score), 1, health.encoded_len())
            }
            Self::Plans => {
                let page = c
                    .planning
                    .clone()
                    .list_account_plans(pb::ListAccountPlansRequest {
                        page_size: 10,
                        account_id: id,
                        status: pb::account_plan::Status::Active as i32,
                        ..Default::default()
                    })
                    .await
                    .map_err(failed("ListAccountPlans"))?
                    .into_inner();
                (count(page.plans.len()), 1, page.encoded_len())
            }
            Self::Actions => {
                let page = c
                    .planning
                    .clone()
                    .list_plan_actions(pb::ListPlanActionsRequest {
                        page_size: 1000,
                        account_id: id,
                        order_by: "due_date".to_owned(),
                        ..Default::default()
                    })
                    .await
                    .map_err(failed("ListPlanActions"))?
                    .into_inner();
                // The brief's: open, and due by the horizon's last day (overdue ones included).
                let last_day = date(today + days(i64::from(horizon_days)));
                let last_day = last_day.map(|d| (d.year, d.month, d.day));
                let due = page
                    .actions
                    .iter()
                    .filter(|a| {
                        let open = matches!(
                            pb::plan_action::Status::try_from(a.status),
                            Ok(pb::plan_action::Status::Open | pb::plan_action::Status::InProgress)
                        );
                        open && a.due_date.as_ref().map(|d| (d.year, d.month, d.day)) <= last_day
                    })
                    .count();
                (count(due), 1, page.encoded_len())
            }
            Self::Interactions => {
                let page = c
                    .planning
                    .clone()
                    .list_interactions(pb::ListInteractionsRequest {
                        page_size: 10,
                        account_id: id,
                        ..Default::default()
                    })
                    .await
                    .map_err(failed("ListInteractions"))?
                    .into_inner();
                (count(page.interactions.len()), 1, page.encoded_len())
            }
            Self::OverdueCadence => {
                let (mut found, mut calls, mut bytes) = (0, 0, 0);
                let mut page_token = String::new();
                loop {
                    let page = c
                        .planning
                        .clone()
                        .list_overdue_cadence(pb::ListOverdueCadenceRequest {
                            page_size: 1000,
                            page_token,
                            ..Default::default()
                        })
                        .await
                        .map_err(failed("ListOverdueCadence"))?
                        .into_inner();
                    calls += 1;
                    bytes += page.encoded_len();
                    found += page.overdue.iter().filter(|o| o.account_id == id).count();
                    if page.next_page_token.is_empty() {
                        break;
                    }
                    page_token = page.next_page_token;
                }
                (count(found), calls, bytes)
            }
            Self::Revenue => {
                let months = c
                    .planning
                    .clone()
                    .get_monthly_revenue(pb::GetMonthlyRevenueRequest {
                        account_id: id,
                        from_period: Some(month(today, MONTHS - 1)),
                        to_period: Some(month(today, 0)),
                    })
                    .await
                    .map_err(failed("GetMonthlyRevenue"))?
                    .into_inner();
                (cents(months.total.as_ref()), 1, months.encoded_len())
            }
        };
        Ok(PartAnswer {
            value,
            calls,
            bytes,
            took: started.elapsed(),
        })
    }
}

/// The separate calls for one account's brief, one after another or all at once.
async fn call_separate(
    c: &Clients,
    account_id: &str,
    horizon_days: i32,
    today: NaiveDate,
    concurrent: bool,
) -> Result<Vec<PartAnswer>, BoxError> {
    let call = |part: &Part| part.call(c, account_id, horizon_days, today, concurrent);
    if concurrent {
        try_join_all(PARTS.iter().map(call)).await
    } else {
        let mut answers = Vec::with_capacity(PARTS.len());
        for part in &PARTS {
            answers.push(call(part).await?);
        }
        Ok(answers)
    }
}

/// The brief holds what the separate calls answer: the same counts, health score and revenue.
fn check_parts(brief: &PartValues, separate: &[PartAnswer]) -> Result<(), BoxError> {
    let differ: Vec<String> = PARTS
        .iter()
        .zip(brief.iter().zip(separate))
        .filter(|(_, (b, s))| **b != s.value)
        .map(|(part, (b, s))| format!("{}: brief {b}, separate {}", part.label(), s.value))
        .collect();
    if differ.is_empty() {
        Ok(())
    } else {
        Err(format!("the brief and the separate calls disagree: {}", differ.join("; ")).into())
    }
}

/// How often each of the health's reads is timed in-process, after one warm-up.
const HEALTH_RUNS: usize = 20;

/// One in-process read: what, the rows it returned, its times.
type Read = (&'static str, usize, Vec<Duration>);

/// The reads behind `GetAccountHealth` (and so the brief's health part), in-process on a connection
/// pool like the server's, without gRPC: assessing one account beside assessing every account, the
/// cadence report, and each grouped read over all accounts the assessment makes that the server
/// exposes (the interactions' grouped reads it makes are not).
async fn measure_health_parts(url: &str, account_id: &str, manager: &str) -> Result<Vec<Read>, BoxError> {
    use kam_server::{
        accounts::{model::Tier, store as accounts},
        feedback::store::latest_round_scores,
        identity::Visibility,
        opportunities::store::lost_since,
        planning::store::{HealthScope, assess_accounts, overdue_cadence, revenue_by_account},
        platform::db::Db,
        service_levels::store::breached_targets_by_account,
        teams::{model::TeamRole, store as teams},
    };
    let config = kam_server::Config {
        database_url: url.to_owned(),
        ..Default::default()
    };
    let db = Db::connect(&config).await?;
    let planning = &config.planning;
    let account = uuid::Uuid::parse_str(account_id)?;
    let manager = uuid::Uuid::parse_str(manager)?;
    let now = Utc::now();
    let today = now.date_naive();
    let scope = |account_id, visibility| HealthScope {
        account_id,
        tier: None,
        visibility,
    };
    let period = |back| {
        let m = month(today, back);
        m.year * 100 + m.month
    };
    let conn = db.conn();
    let reads = vec![
        time_read("assess_accounts: one account (GetAccountHealth)", async || {
            Ok(
                assess_accounts(&db, &scope(Some(account), Visibility::All), planning, now)
                    .await?
                    .len(),
            )
        })
        .await?,
        time_read("assess_accounts: one account, as its manager", async || {
            let visibility = Visibility::TeamsOf(manager);
            Ok(
                assess_accounts(&db, &scope(Some(account), visibility), planning, now)
                    .await?
                    .len(),
            )
        })
        .await?,
        time_read("assess_accounts: every account", async || {
            Ok(assess_accounts(&db, &scope(None, Visibility::All), planning, now)
                .await?
                .len())
        })
        .await?,
        time_read("overdue_cadence: every account", async || {
            Ok(overdue_cadence(&db, Visibility::All, planning, now, None, None)
                .await?
                .len())
        })
        .await?,
        time_read("live_accounts_in_tiers: every tier", async || {
            Ok(accounts::live_accounts_in_tiers(conn, Tier::ALL).await?.len())
        })
        .await?,
        time_read("revenue_by_account: 3 months", async || {
            Ok(revenue_by_account(conn, (period(3), period(1)), CURRENCY)
                .await?
                .len())
        })
        .await?,
        time_read("breached_targets_by_account: 90 days", async || {
            Ok(breached_targets_by_account(conn, now - days(90), now)
                .await?
                .len())
        })
        .await?,
        time_read("key_contacts_at_risk", async || {
            Ok(accounts::key_contacts_at_risk(conn).await?.len())
        })
        .await?,
        time_read("lost_since: 180 days", async || {
            Ok(lost_since(conn, now - days(180)).await?.len())
        })
        .await?,
        time_read("latest_round_scores: 365 days", async || {
            Ok(latest_round_scores(conn, today - days(365)).await?.len())
        })
        .await?,
        time_read("holders_of_role: ACCOUNT_MANAGER", async || {
            Ok(teams::holders_of_role(conn, TeamRole::AccountManager)
                .await?
                .len())
        })
        .await?,
        time_read("served_account_ids: the manager's accounts", async || {
            Ok(teams::served_account_ids(conn, manager).await?.len())
        })
        .await?,
    ];
    db.conn().clone().close().await?;
    Ok(reads)
}

/// Calls `read` once to warm up, then [`HEALTH_RUNS`] times, timing each.
async fn time_read(
    what: &'static str,
    mut read: impl AsyncFnMut() -> Result<usize, BoxError>,
) -> Result<Read, BoxError> {
    let rows = read().await?;
    let mut times = Vec::with_capacity(HEALTH_RUNS);
    for _ in 0..HEALTH_RUNS {
        let started = Instant::now();
        read().await?;
        times.push(started.elapsed());
    }
    Ok((what, rows, times))
}

// ----- the report -----

/// The nearest-rank percentile `q` (0..=1) of sorted durations.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn figures(times: &[Duration]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort();
    format!(
        "{:>9.2} {:>8.2} {:>8.2} {:>8.2}",
        millis(median(&sorted)),
        millis(percentile(&sorted, 0.90)),
        millis(percentile(&sorted, 0.99)),
        millis(sorted.last().copied().unwrap_or_default())
    )
}

fn report(settings: &Settings, result: &BackendResult) {
    let name = result.backend.name();
    let n = &result.counts;
    println!();
    println!(
        "{name}: seeded in {:.1} s through the API ({} calls, {:.0} calls/s, {} accounts at a time; {} \
         calls made again after ABORTED)",
        result.seeding.as_secs_f64(),
        n.calls,
        n.calls as f64 / result.seeding.as_secs_f64(),
        settings.concurrency,
        n.retries
    );
    println!(
        "{name}: {} staff, {} accounts ({} key dates), {} team seats, {} contacts ({} key dates), {} \
         opportunities ({} closed), {} service requests ({} open), {} active plans with {} actions ({} \
         overdue), {} interactions, {} revenue records",
        result.staff,
        result.accounts,
        n.account_key_dates,
        n.seats,
        n.contacts,
        n.contact_key_dates,
        n.opportunities,
        n.opportunities_closed,
        n.requests,
        n.requests_open,
        n.plans,
        n.actions,
        n.actions_overdue,
        n.interactions,
        n.revenue_records
    );
    let tiers: Vec<String> = result
        .tiers
        .iter()
        .map(|t| {
            let tier = pb::Tier::try_from(t.tier).map_or("?", |t| t.as_str_name());
            format!("{tier} {}", t.account_count)
        })
        .collect();
    println!(
        "{name}: RecomputeTiers {:.2} s: {}; {}",
        result.tiering.as_secs_f64(),
        tiers.join(", "),
        match result.analyze {
            Some((statement, took)) => format!("{statement} {:.1} s", took.as_secs_f64()),
            None => "no ANALYZE (as the server runs SQLite)".to_owned(),
        }
    );
    println!(
        "{name}: {} accounts timed after {} warm-up, horizon {} days; load average before/after: {} / {}",
        settings.sample, settings.warmup, settings.horizon_days, result.load.0, result.load.1
    );
    println!(
        "{:<9} {:<8} {:<48} {:>6} {:>7} {:>9} {:>8} {:>8} {:>8}",
        "backend", "caller", "what", "calls", "KiB", "median ms", "p90 ms", "p99 ms", "max ms"
    );
    for timings in &result.callers {
        for (what, way) in [
            ("GetAccountBrief", &timings.brief),
            ("separate calls, one after another", &timings.sequential),
            ("separate calls, all at once", &timings.concurrent),
        ] {
            let samples = way.times.len().max(1) as f64;
            println!(
                "{:<9} {:<8} {:<48} {:>6.1} {:>7.1} {}",
                name,
                timings.caller.label(),
                what,
                way.calls as f64 / samples,
                way.bytes as f64 / samples / 1024.0,
                figures(&way.times)
            );
        }
    }
    println!("{name}: each separate call, within the calls made one after another:");
    for timings in &result.callers {
        for (part, times) in PARTS.iter().zip(&timings.parts) {
            println!(
                "{:<9} {:<8} {:<48} {:>6} {:>7} {}",
                name,
                timings.caller.label(),
                part.label(),
                "",
                "",
                figures(times)
            );
        }
    }
    println!(
        "{name}: the health's reads in-process (no gRPC), {HEALTH_RUNS} runs after a warm-up; the \
         calls column holds the rows read:"
    );
    for (what, rows, times) in &result.health_parts {
        println!(
            "{:<9} {:<8} {:<48} {:>6} {:>7} {}",
            name,
            "-",
            what,
            rows,
            "",
            figures(times)
        );
    }
}

/// What this benchmark changes in the server's configuration, besides what the harness sets.
fn configure_server(config: &mut kam_server::Config) {
    config.request_timeout = REQUEST_TIMEOUT;
    // Nothing but the calls measured runs in the server.
    config.sla.monitor_interval_seconds = 0;
}
