//! A mixed load for several KAM replicas while faults are made, and the checks that nothing was lost,
//! applied twice or delivered twice: shared by the fault test (`server/tests/replicas_under_faults.rs`)
//! and the fault run (`tests/benches/fault_run.rs`).
//!
//! The load is what clients of a scaled-out installation do at once, each as a client that retries:
//! - **creates**: `CreateAccount` with a `request_id`, the same one on every retry;
//! - **updates with etags**: two writers update the same few accounts (`legal_name`, a value no other
//!   update writes), each sending the etag it read; on ABORTED (an etag conflict, or its own earlier
//!   attempt that was applied but whose answer was lost) it reads again and, unless its value is there,
//!   writes a fresh value with the new etag;
//! - **status changes**: a service request created (with a `request_id`) and walked NEW → IN_PROGRESS →
//!   RESOLVED → CLOSED, each change with the etag of the last answer;
//! - **an import**: `ImportServiceRequests` batches (idempotent, upserted by external id), each request
//!   opened 57 s before, under an account whose policy has one-minute targets: the SLA monitor records
//!   each target's AT_RISK at once and its BREACHED 3 s later, so transitions fall all through the run;
//! - **consumers**: one follows `WatchEvents` from the oldest event, resuming from its last cursor after
//!   a break; one follows `ListChanges` of accounts and one of service requests, keeping each resource's
//!   etag as the feed delivers it.
//!
//! Every call goes to one of the [`Targets`] (replicas, or one load balancer): in turn, and after a
//! transport error or UNAVAILABLE again, on another one, with a capped backoff, for at most
//! [`GIVE_UP_AFTER`]. [`Journal`] keeps every failed attempt and every call, so that figures per fault
//! (calls failed before the retry, calls failed after it, time to recover) can be read afterwards.
//!
//! [`RunningLoad::finish`] stops the writers, waits for the SLA monitor and the consumers to catch up
//! with the database, and compares what the clients were told with what the database holds
//! ([`Checks`]).
//!
//! The test lives in the `kam-server` package (for its binary) and includes this file with `#[path]`,
//! so it names no item of this crate, only crates both packages depend on.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fmt::Write as _,
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use kam_proto::{
    pbjson_types::{FieldMask, Timestamp},
    v1::{
        self as pb, SyncResource, account_service_client::AccountServiceClient, escalation_step::Trigger,
        integration_service_client::IntegrationServiceClient, resource_change::Resource,
        service_level_service_client::ServiceLevelServiceClient, service_request::Status as RequestStatus,
        watch_events_request::Start,
    },
};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement, Value};
use tokio::task::JoinHandle;
use tonic::{
    Code, Request, Status,
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};
use tonic_types::StatusExt;

/// How long a client keeps retrying one call before it gives up on it.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
/// One attempt's deadline: a call stuck on a dead peer fails and is retried instead of hanging.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client leaves a target alone after it could not reach it.
const SHUN: Duration = Duration::from_secs(2);
/// How long [`RunningLoad::finish`] waits for the monitor and for each consumer to catch up.
const CATCH_UP: Duration = Duration::from_secs(60);

/// The calendar the migrations seed as "24x7": always open, UTC.
const ALWAYS_OPEN: &str = "00000000-0000-7000-8000-000000000300";
/// The external id of the account whose imported requests pass their SLA targets during the run.
const SLA_ACCOUNT: &str = "FAULT-SLA";
/// Both targets of its policy, first response and resolution, at risk at 90 %: 54 s and 60 s.
const TARGET_MINUTES: i32 = 1;
const WARNING_PERCENT: i32 = 90;
/// How long before its import an imported request was opened: at risk at once, breached 3 s later.
const OPENED_BEFORE_IMPORT: Duration = Duration::from_secs(57);
/// SLA events an imported request ends with: AT_RISK and BREACHED of each of its two targets.
const SLA_EVENTS_PER_REQUEST: i64 = 4;
/// The policy's ladder: one step on AT_RISK, one on BREACHED, each for either target.
const ESCALATIONS_PER_REQUEST: i64 = 4;
/// Accounts the update writers contend for.
const CONTENDED_ACCOUNTS: usize = 3;
/// The walk of a service request's status.
const WALK: [RequestStatus; 3] = [
    RequestStatus::InProgress,
    RequestStatus::Resolved,
    RequestStatus::Closed,
];

/// Name prefixes of what the load writes, to tell it from what the server seeded.
const CREATED_PREFIX: &str = "fault-load create";
const IMPORT_PREFIX: &str = "FAULT-IMPORT";

/// A channel to one target whose every call carries the credential.
pub type Line = InterceptedService<Channel, Credential>;

/// Adds `authorization: Bearer <key>` to every call.
#[derive(Clone)]
pub struct Credential(MetadataValue<Ascii>);

impl Credential {
    pub fn bearer(key: &str) -> Self {
        Self(
            format!("Bearer {}", key.trim())
                .parse()
                .expect("a key is a valid header value"),
        )
    }
}

impl Interceptor for Credential {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// How many of each kind of client run at once, and how often the importer imports.
#[derive(Clone, Copy, Debug)]
pub struct LoadShape {
    pub creators: usize,
    /// At least two, so that their etags conflict.
    pub updaters: usize,
    pub walkers: usize,
    pub import_every: Duration,
    pub import_batch: usize,
}

impl LoadShape {
    /// Enough to keep every kind of call in flight on a loaded 2-core machine without saturating it.
    pub const SMALL: Self = Self {
        creators: 2,
        updaters: 2,
        walkers: 2,
        import_every: Duration::from_millis(500),
        import_batch: 3,
    };
}

/// The addresses the clients call, in turn.
pub struct Targets {
    names: Vec<String>,
    lines: Vec<Line>,
    next: AtomicUsize,
    /// Until when each target is left alone after a transport error.
    shunned_until: Mutex<Vec<Option<Instant>>>,
}

impl Targets {
    /// Lazy channels to each `(name, http://host:port)`: a target that is down is only an error on use,
    /// and one that comes back on the same address is reconnected to.
    pub fn new(addresses: &[(String, String)], credential: Credential) -> Self {
        let lines = addresses
            .iter()
            .map(|(_, address)| {
                let channel = Endpoint::from_shared(address.clone())
                    .expect("a target address")
                    .connect_timeout(Duration::from_secs(2))
                    .timeout(ATTEMPT_TIMEOUT)
                    .http2_keep_alive_interval(Duration::from_secs(1))
                    .keep_alive_timeout(Duration::from_secs(2))
                    .connect_lazy();
                InterceptedService::new(channel, credential.clone())
            })
            .collect();
        Self {
            names: addresses.iter().map(|(name, _)| name.clone()).collect(),
            lines,
            next: AtomicUsize::new(0),
            shunned_until: Mutex::new(vec![None; addresses.len()]),
        }
    }

    /// The next target in turn that is not shunned (any, if all are), other than `not` when possible.
    fn pick(&self, not: Option<usize>) -> usize {
        let count = self.lines.len();
        let shunned = self.shunned_until.lock().unwrap().clone();
        let now = Instant::now();
        let usable = |i: usize| Some(i) != not && shunned[i].is_none_or(|until| until <= now);
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..count)
            .map(|offset| (start + offset) % count)
            .find(|&i| usable(i))
            .unwrap_or(start % count)
    }

    fn shun(&self, target: usize) {
        if self.lines.len() > 1 {
            self.shunned_until.lock().unwrap()[target] = Some(Instant::now() + SHUN);
        }
    }

    /// Calls `attempt` until it is answered, retrying on another target after an error that broke the
    /// call (transport, UNAVAILABLE), with a capped backoff, for at most [`GIVE_UP_AFTER`]. An answer
    /// that is an error of the call itself (ABORTED, NOT_FOUND, …) is returned as it is.
    pub async fn call<T, F, Fut>(
        &self,
        journal: &Journal,
        rpc: &'static str,
        mut attempt: F,
    ) -> Result<T, Status>
    where
        F: FnMut(Line) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let started = Instant::now();
        let mut target = self.pick(None);
        let mut failures = Vec::new();
        let mut tries = 0;
        loop {
            let outcome = attempt(self.lines[target].clone()).await;
            match outcome {
                Err(status) if broke_the_call(&status) => {
                    tries += 1;
                    // Contention is the load's own doing, not a fault's: counted apart.
                    if is_contention(&status) {
                        journal.contended();
                    } else {
                        failures.push(journal.failed_attempt(rpc, &self.names[target], &status));
                    }
                    if started.elapsed() >= GIVE_UP_AFTER {
                        journal.call(rpc, started, &failures, true);
                        return Err(status);
                    }
                    if lost_the_target(&status) {
                        self.shun(target);
                    }
                    tokio::time::sleep(backoff(tries)).await;
                    target = self.pick(Some(target));
                }
                answered => {
                    journal.call(rpc, started, &failures, false);
                    return answered.map(tonic::Response::into_inner);
                }
            }
        }
    }
}

/// An error that says nothing about the call, only that it did not get through: UNAVAILABLE, what a
/// broken connection or a deadline makes, and ABORTED for contention (the server gave up retrying a
/// serialization conflict). Retried; ABORTED for a stale etag is an answer, not one of these.
pub fn broke_the_call(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable | Code::Unknown | Code::Cancelled | Code::DeadlineExceeded
    ) || is_contention(status)
}

fn is_contention(status: &Status) -> bool {
    status.code() == Code::Aborted
        && status
            .get_error_details()
            .error_info()
            .is_some_and(|info| info.reason == "CONTENTION")
}

/// The target could not be reached, or its connection broke: another target is likelier to answer.
/// Not so for UNAVAILABLE answered by a server (its database is away, and the others' with it) nor
/// for contention.
fn lost_the_target(status: &Status) -> bool {
    match status.code() {
        Code::Unavailable => is_transport(status),
        Code::Aborted => false,
        _ => true,
    }
}

/// The code and message of `status`, for a report.
fn describe(status: &Status) -> String {
    format!("{:?}: {}", status.code(), status.message())
}

/// UNAVAILABLE made by the client's transport (refused, reset), not answered by a server.
fn is_transport(status: &Status) -> bool {
    std::error::Error::source(status).is_some()
}

/// 50 ms, doubling to at most 800 ms.
fn backoff(failures: usize) -> Duration {
    Duration::from_millis(50 << failures.saturating_sub(1).min(4))
}

/// One attempt that failed.
#[derive(Clone, Debug)]
pub struct FailedAttempt {
    pub at: Instant,
    pub rpc: &'static str,
    pub target: String,
    pub code: Code,
    pub message: String,
}

/// One call, however many attempts it took.
#[derive(Clone, Debug)]
pub struct CallRecord {
    pub rpc: &'static str,
    pub started: Instant,
    pub ended: Instant,
    /// When its first attempt failed, if one did.
    pub first_failure: Option<Instant>,
    pub failed_attempts: usize,
    /// It failed even after its retries.
    pub gave_up: bool,
}

/// Everything the clients saw, and when the faults were made.
#[derive(Default)]
pub struct Journal {
    attempts: Mutex<Vec<FailedAttempt>>,
    calls: Mutex<Vec<CallRecord>>,
    faults: Mutex<Vec<(String, Instant)>>,
    /// Attempts answered ABORTED for contention, retried.
    contended: AtomicUsize,
}

impl Journal {
    fn failed_attempt(&self, rpc: &'static str, target: &str, status: &Status) -> Instant {
        let at = Instant::now();
        self.attempts.lock().unwrap().push(FailedAttempt {
            at,
            rpc,
            target: target.to_owned(),
            code: status.code(),
            message: status.message().to_owned(),
        });
        at
    }

    fn call(&self, rpc: &'static str, started: Instant, failures: &[Instant], gave_up: bool) {
        self.calls.lock().unwrap().push(CallRecord {
            rpc,
            started,
            ended: Instant::now(),
            first_failure: failures.first().copied(),
            failed_attempts: failures.len(),
            gave_up,
        });
    }

    fn contended(&self) {
        self.contended.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks the moment a fault is made: the figures of what follows, until the next fault, are its.
    pub fn fault(&self, name: &str) {
        self.faults
            .lock()
            .unwrap()
            .push((name.to_owned(), Instant::now()));
    }

    pub fn failed_attempts(&self) -> Vec<FailedAttempt> {
        self.attempts.lock().unwrap().clone()
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.lock().unwrap().clone()
    }
}

/// What the servers acknowledged, and what the clients could not tell.
#[derive(Default)]
struct Ledger {
    /// (display name, id) of each acknowledged create.
    created: Vec<(String, String)>,
    /// (account id, legal name) of each acknowledged update.
    updated: Vec<(String, String)>,
    /// Updates refused for a stale etag, then read again.
    etag_conflicts: usize,
    /// The acknowledged status changes of each walked request, in order.
    walked: BTreeMap<String, Vec<RequestStatus>>,
    /// External ids of acknowledged imported requests.
    imported: Vec<String>,
    /// Answers no client of this load should get (not a broken call, not an etag conflict).
    unexpected: Vec<String>,
}

/// The ids the setup made (the SLA account is named by its external id, as the imports name it).
struct Setup {
    tickets_account: String,
    contended: Vec<String>,
}

/// What the consumers received so far.
#[derive(Default)]
struct Received {
    /// Outbox ids of the WatchEvents events, in order of arrival (a duplicate stays a duplicate).
    events: Vec<i64>,
    /// id → etag as the ListChanges followers last received it, per resource type.
    accounts: HashMap<String, String>,
    service_requests: HashMap<String, String>,
}

/// What every task shares.
struct Shared {
    targets: Targets,
    journal: Journal,
    ledger: Mutex<Ledger>,
    received: Mutex<Received>,
    setup: Setup,
    shape: LoadShape,
    /// Set when the writers must stop.
    stop_writing: AtomicBool,
    /// Set when the consumers must stop.
    stop_consuming: AtomicBool,
}

impl Shared {
    fn writing(&self) -> bool {
        !self.stop_writing.load(Ordering::Relaxed)
    }

    fn consuming(&self) -> bool {
        !self.stop_consuming.load(Ordering::Relaxed)
    }

    fn unexpected(&self, what: String) {
        self.ledger.lock().unwrap().unexpected.push(what);
    }

    fn accounts(line: Line) -> AccountServiceClient<Line> {
        AccountServiceClient::new(line)
    }

    fn service_levels(line: Line) -> ServiceLevelServiceClient<Line> {
        ServiceLevelServiceClient::new(line)
    }

    fn integration(line: Line) -> IntegrationServiceClient<Line> {
        IntegrationServiceClient::new(line)
    }
}

/// The load, prepared and not yet started.
pub struct FaultLoad {
    shared: Arc<Shared>,
}

impl FaultLoad {
    /// Writes what the load needs through `targets`: the SLA account with its one-minute policy, an
    /// account for the walked requests, and the contended accounts.
    pub async fn prepare(targets: Targets, shape: LoadShape) -> Self {
        assert!(shape.updaters >= 2, "etags conflict only between two writers");
        let journal = Journal::default();
        let sla_account = create_account(&targets, &journal, SLA_ACCOUNT, "Fault load: SLA").await;
        create_one_minute_policy(&targets, &journal, &sla_account).await;
        let tickets_account = create_account(&targets, &journal, "", "Fault load: tickets").await;
        let mut contended = Vec::new();
        for i in 0..CONTENDED_ACCOUNTS {
            contended
                .push(create_account(&targets, &journal, "", &format!("Fault load: contended {i}")).await);
        }
        let shared = Shared {
            targets,
            journal,
            ledger: Mutex::default(),
            received: Mutex::default(),
            setup: Setup {
                tickets_account,
                contended,
            },
            shape,
            stop_writing: AtomicBool::new(false),
            stop_consuming: AtomicBool::new(false),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Starts every writer and consumer.
    pub fn start(self) -> RunningLoad {
        let shared = self.shared;
        let shape = shared.shape;
        let mut writers = Vec::new();
        for worker in 0..shape.creators {
            writers.push(tokio::spawn(create_accounts(Arc::clone(&shared), worker)));
        }
        for worker in 0..shape.updaters {
            writers.push(tokio::spawn(update_contended_accounts(
                Arc::clone(&shared),
                worker,
            )));
        }
        for worker in 0..shape.walkers {
            writers.push(tokio::spawn(walk_service_requests(Arc::clone(&shared), worker)));
        }
        writers.push(tokio::spawn(import_service_requests(Arc::clone(&shared))));
        let consumers = vec![
            tokio::spawn(watch_events(Arc::clone(&shared))),
            tokio::spawn(follow_changes(Arc::clone(&shared), SyncResource::Accounts)),
            tokio::spawn(follow_changes(Arc::clone(&shared), SyncResource::ServiceRequests)),
        ];
        RunningLoad {
            shared,
            started: Instant::now(),
            writers,
            consumers,
        }
    }
}

/// The load while it runs.
pub struct RunningLoad {
    shared: Arc<Shared>,
    started: Instant,
    writers: Vec<JoinHandle<()>>,
    consumers: Vec<JoinHandle<()>>,
}

impl RunningLoad {
    pub fn journal(&self) -> &Journal {
        &self.shared.journal
    }

    /// When the load started: the faults are timed from here.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Marks the moment a fault is made.
    pub fn fault(&self, name: &str) {
        println!("{:>6.1} s  {name}", self.started.elapsed().as_secs_f64());
        self.shared.journal.fault(name);
    }

    /// Stops the writers; waits (at most [`CATCH_UP`] each) until the SLA monitor has recorded every
    /// imported request's transitions and the consumers have received everything the database holds;
    /// stops the consumers and checks, over a fresh connection to `database_url`.
    pub async fn finish(self, database_url: &str) -> Outcome {
        let shared = self.shared;
        shared.stop_writing.store(true, Ordering::Relaxed);
        let load_ended = Instant::now();
        for writer in self.writers {
            writer.await.expect("a writer panicked");
        }
        let db = connect(database_url).await;
        let imported = shared.ledger.lock().unwrap().imported.clone();
        let sla_settled = wait_for(CATCH_UP, || sla_settled(&db, &imported)).await;
        let events_delivered = wait_for(CATCH_UP, || events_delivered(&db, &shared)).await;
        let changes_delivered = wait_for(CATCH_UP, || changes_delivered(&db, &shared)).await;
        shared.stop_consuming.store(true, Ordering::Relaxed);
        for consumer in self.consumers {
            consumer.await.expect("a consumer panicked");
        }
        let checks = Checks::run(&db, &shared).await;
        let _ = db.close().await;
        let ledger = shared.ledger.lock().unwrap();
        Outcome {
            faults: fault_figures(&shared.journal, self.started, load_ended),
            load_started: self.started,
            load_duration: load_ended - self.started,
            calls: shared.journal.calls(),
            failed_attempts: shared.journal.failed_attempts(),
            acknowledged_writes: ledger.acknowledged(),
            etag_conflicts: ledger.etag_conflicts,
            contention_retries: shared.journal.contended.load(Ordering::Relaxed),
            unexpected: ledger.unexpected.clone(),
            lagging: [
                ("the SLA monitor", sla_settled),
                ("WatchEvents", events_delivered),
                ("ListChanges", changes_delivered),
            ]
            .into_iter()
            .filter_map(|(who, caught_up)| (!caught_up).then_some(who))
            .collect(),
            checks,
        }
    }
}

impl Ledger {
    fn acknowledged(&self) -> usize {
        self.created.len()
            + self.updated.len()
            + self.walked.values().map(|walk| walk.len() + 1).sum::<usize>()
            + self.imported.len()
    }
}

// ----- setup -----

/// Creates an account (retried, with a `request_id`); returns its id.
async fn create_account(targets: &Targets, journal: &Journal, external_id: &str, name: &str) -> String {
    let request = pb::CreateAccountRequest {
        account: Some(pb::Account {
            external_id: external_id.to_owned(),
            display_name: name.to_owned(),
            ..Default::default()
        }),
        request_id: uuid::Uuid::now_v7().to_string(),
    };
    targets
        .call(journal, "CreateAccount", |line| {
            let request = request.clone();
            async move { Shared::accounts(line).create_account(request).await }
        })
        .await
        .unwrap_or_else(|status| panic!("create {name}: {status:?}"))
        .id
}

/// A 24x7 policy for `account_id`: one-minute targets at every priority, at risk at 90 %, one escalation
/// step on AT_RISK and one on BREACHED.
async fn create_one_minute_policy(targets: &Targets, journal: &Journal, account_id: &str) {
    let step = |trigger: Trigger| pb::EscalationStep {
        trigger: trigger as i32,
        notify_assignee: true,
        ..Default::default()
    };
    let priorities = [
        pb::Priority::P1,
        pb::Priority::P2,
        pb::Priority::P3,
        pb::Priority::P4,
    ];
    let request = pb::CreateSlaPolicyRequest {
        policy: Some(pb::SlaPolicy {
            display_name: "Fault load: one minute".to_owned(),
            account_id: account_id.to_owned(),
            calendar_id: ALWAYS_OPEN.to_owned(),
            targets: priorities
                .into_iter()
                .map(|priority| pb::PriorityTargets {
                    priority: priority as i32,
                    first_response_minutes: TARGET_MINUTES,
                    resolution_minutes: TARGET_MINUTES,
                })
                .collect(),
            warning_percent: WARNING_PERCENT,
            escalation_steps: vec![step(Trigger::AtRisk), step(Trigger::Breached)],
            ..Default::default()
        }),
        request_id: uuid::Uuid::now_v7().to_string(),
    };
    targets
        .call(journal, "CreateSlaPolicy", |line| {
            let request = request.clone();
            async move { Shared::service_levels(line).create_sla_policy(request).await }
        })
        .await
        .expect("create the one-minute policy");
}

// ----- writers -----

/// Creates accounts one after the other, each with a `request_id` kept across its retries.
async fn create_accounts(shared: Arc<Shared>, worker: usize) {
    let mut n = 0;
    while shared.writing() {
        let name = format!("{CREATED_PREFIX} {worker}-{n}");
        n += 1;
        let request = pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: name.clone(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::now_v7().to_string(),
        };
        let created = shared
            .targets
            .call(&shared.journal, "CreateAccount", |line| {
                let request = request.clone();
                async move { Shared::accounts(line).create_account(request).await }
            })
            .await;
        match created {
            Ok(account) => shared.ledger.lock().unwrap().created.push((name, account.id)),
            Err(status) => shared.unexpected(format!("CreateAccount {name}: {}", describe(&status))),
        }
    }
}

/// Updates the contended accounts in turn, with etags, as one of several writers.
async fn update_contended_accounts(shared: Arc<Shared>, worker: usize) {
    let mut n = 0;
    while shared.writing() {
        let id = shared.setup.contended[(n + worker) % CONTENDED_ACCOUNTS].clone();
        update_with_etag(&shared, &id, &format!("update {worker}-{n}")).await;
        n += 1;
    }
}

/// Reads the account and writes a fresh `legal_name` with its etag until one is acknowledged (or
/// found applied on a read after ABORTED).
async fn update_with_etag(shared: &Shared, id: &str, label: &str) {
    for round in 0.. {
        let Some(account) = get_account(shared, id).await else {
            return;
        };
        let value = format!("{label}.{round}");
        let request = pb::UpdateAccountRequest {
            account: Some(pb::Account {
                id: id.to_owned(),
                legal_name: value.clone(),
                etag: account.etag,
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["legal_name".to_owned()],
            }),
            change_reason: String::new(),
        };
        let updated = shared
            .targets
            .call(&shared.journal, "UpdateAccount", |line| {
                let request = request.clone();
                async move { Shared::accounts(line).update_account(request).await }
            })
            .await;
        match updated {
            Ok(_) => return shared.ledger.lock().unwrap().updated.push((id.to_owned(), value)),
            Err(status) if status.code() == Code::Aborted => {
                // A conflict, or an earlier attempt of this very call was applied and its answer lost.
                let Some(now) = get_account(shared, id).await else {
                    return;
                };
                if now.legal_name == value {
                    return shared.ledger.lock().unwrap().updated.push((id.to_owned(), value));
                }
                shared.ledger.lock().unwrap().etag_conflicts += 1;
            }
            Err(status) => return shared.unexpected(format!("UpdateAccount {id}: {}", describe(&status))),
        }
    }
}

async fn get_account(shared: &Shared, id: &str) -> Option<pb::Account> {
    let request = pb::GetAccountRequest { id: id.to_owned() };
    let read = shared
        .targets
        .call(&shared.journal, "GetAccount", |line| {
            let request = request.clone();
            async move { Shared::accounts(line).get_account(request).await }
        })
        .await;
    read.map_err(|status| shared.unexpected(format!("GetAccount {id}: {}", describe(&status))))
        .ok()
}

/// Creates service requests and walks each to CLOSED, one after the other.
async fn walk_service_requests(shared: Arc<Shared>, worker: usize) {
    let mut n = 0;
    while shared.writing() {
        let request = pb::CreateServiceRequestRequest {
            service_request: Some(pb::ServiceRequest {
                account_id: shared.setup.tickets_account.clone(),
                title: format!("fault-load walk {worker}-{n}"),
                ..Default::default()
            }),
            request_id: uuid::Uuid::now_v7().to_string(),
        };
        n += 1;
        let created = shared
            .targets
            .call(&shared.journal, "CreateServiceRequest", |line| {
                let request = request.clone();
                async move { Shared::service_levels(line).create_service_request(request).await }
            })
            .await;
        let Ok(mut current) = created
            .map_err(|status| shared.unexpected(format!("CreateServiceRequest: {}", describe(&status))))
        else {
            continue;
        };
        shared
            .ledger
            .lock()
            .unwrap()
            .walked
            .insert(current.id.clone(), Vec::new());
        for status in WALK {
            match change_status(&shared, &current, status).await {
                Some(changed) => current = changed,
                None => break,
            }
            let mut ledger = shared.ledger.lock().unwrap();
            ledger
                .walked
                .get_mut(&current.id)
                .expect("recorded at its creation")
                .push(status);
        }
    }
}

/// Moves `request` to `status` with its etag; after ABORTED or ILLEGAL_TRANSITION reads it again: the
/// status may be there already (an earlier attempt was applied and its answer lost).
async fn change_status(
    shared: &Shared,
    request: &pb::ServiceRequest,
    status: RequestStatus,
) -> Option<pb::ServiceRequest> {
    let mut etag = request.etag.clone();
    loop {
        let change = pb::ChangeServiceRequestStatusRequest {
            id: request.id.clone(),
            status: status as i32,
            note: String::new(),
            etag: etag.clone(),
        };
        let changed = shared
            .targets
            .call(&shared.journal, "ChangeServiceRequestStatus", |line| {
                let change = change.clone();
                async move {
                    Shared::service_levels(line)
                        .change_service_request_status(change)
                        .await
                }
            })
            .await;
        match changed {
            Ok(changed) => return Some(changed),
            Err(refused) if matches!(refused.code(), Code::Aborted | Code::FailedPrecondition) => {
                let now = get_service_request(shared, &request.id).await?;
                if now.status == status as i32 {
                    return Some(now);
                }
                if refused.code() == Code::FailedPrecondition {
                    shared.unexpected(format!(
                        "ChangeServiceRequestStatus to {status:?}: {}",
                        describe(&refused)
                    ));
                    return None;
                }
                etag = now.etag;
            }
            Err(refused) => {
                shared.unexpected(format!(
                    "ChangeServiceRequestStatus to {status:?}: {}",
                    describe(&refused)
                ));
                return None;
            }
        }
    }
}

async fn get_service_request(shared: &Shared, id: &str) -> Option<pb::ServiceRequest> {
    let request = pb::GetServiceRequestRequest { id: id.to_owned() };
    let read = shared
        .targets
        .call(&shared.journal, "GetServiceRequest", |line| {
            let request = request.clone();
            async move { Shared::service_levels(line).get_service_request(request).await }
        })
        .await;
    read.map_err(|status| shared.unexpected(format!("GetServiceRequest {id}: {}", describe(&status))))
        .ok()
}

/// Imports a batch of new requests under the SLA account every `import_every`; a batch is sent again
/// whole when its call broke (the import upserts by external id, so nothing is created twice).
async fn import_service_requests(shared: Arc<Shared>) {
    let mut n = 0;
    while shared.writing() {
        let open_time = timestamp(SystemTime::now() - OPENED_BEFORE_IMPORT);
        let records: Vec<_> = (0..shared.shape.import_batch)
            .map(|i| pb::ServiceRequestRecord {
                external_id: format!("{IMPORT_PREFIX}-{n}-{i}"),
                account_external_id: SLA_ACCOUNT.to_owned(),
                title: format!("fault-load import {n}-{i}"),
                open_time: Some(open_time),
                ..Default::default()
            })
            .collect();
        n += 1;
        let imported = shared
            .targets
            .call(&shared.journal, "ImportServiceRequests", |line| {
                let batch = pb::ImportServiceRequestsRequest {
                    service_requests: records.clone(),
                };
                async move {
                    Shared::integration(line)
                        .import_service_requests(tokio_stream::iter([batch]))
                        .await
                }
            })
            .await;
        match imported {
            Ok(summary) if summary.failed == 0 => {
                let mut ledger = shared.ledger.lock().unwrap();
                ledger
                    .imported
                    .extend(records.into_iter().map(|record| record.external_id));
            }
            Ok(summary) => shared.unexpected(format!("ImportServiceRequests: {:?}", summary.errors)),
            Err(status) => shared.unexpected(format!("ImportServiceRequests: {}", describe(&status))),
        }
        tokio::time::sleep(shared.shape.import_every).await;
    }
}

fn timestamp(time: SystemTime) -> Timestamp {
    let since_epoch = time.duration_since(UNIX_EPOCH).expect("after 1970");
    Timestamp {
        seconds: since_epoch.as_secs() as i64,
        nanos: since_epoch.subsec_nanos() as i32,
    }
}

// ----- consumers -----

/// Follows WatchEvents from the oldest event for as long as the consumers run, resuming from the last
/// response's cursor (on another target) whenever the stream breaks.
async fn watch_events(shared: Arc<Shared>) {
    let mut cursor = String::new();
    while shared.consuming() {
        let request = pb::WatchEventsRequest {
            cursor: cursor.clone(),
            start: Start::Earliest as i32,
            batch_size: 500,
            ..Default::default()
        };
        let opened = shared
            .targets
            .call(&shared.journal, "WatchEvents", |line| {
                let request = request.clone();
                async move { Shared::integration(line).watch_events(request).await }
            })
            .await;
        let mut stream = match opened {
            Ok(stream) => stream,
            Err(status) => {
                shared.unexpected(format!("WatchEvents: {}", describe(&status)));
                // Reported; not a reason to spin.
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while shared.consuming() {
            let next = tokio::time::timeout(Duration::from_millis(200), stream.message()).await;
            match next {
                Err(_quiet) => continue,
                Ok(Ok(Some(response))) => {
                    let ids = response.events.iter().map(|event| outbox_id(&event.cursor));
                    shared.received.lock().unwrap().events.extend(ids);
                    cursor = response.cursor;
                }
                Ok(Ok(None)) => break,
                Ok(Err(status)) => {
                    // The stream broke: a failed attempt of the watch, resumed from the cursor.
                    shared
                        .journal
                        .failed_attempt("WatchEvents", "its open stream", &status);
                    tokio::time::sleep(backoff(1)).await;
                    break;
                }
            }
        }
    }
}

/// The outbox id in an event's cursor, `e1-<txid>-<id>`.
fn outbox_id(cursor: &str) -> i64 {
    cursor
        .rsplit('-')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not an event cursor: {cursor}"))
}

/// Follows ListChanges of `resource` from a full sync, again and again, keeping each resource's etag
/// as it last came; a failed call is retried with the same token.
async fn follow_changes(shared: Arc<Shared>, resource: SyncResource) {
    let mut token = String::new();
    while shared.consuming() {
        let request = pb::ListChangesRequest {
            resource_type: resource as i32,
            sync_token: token.clone(),
            page_size: 500,
        };
        let page = shared
            .targets
            .call(&shared.journal, "ListChanges", |line| {
                let request = request.clone();
                async move { Shared::integration(line).list_changes(request).await }
            })
            .await;
        let page = match page {
            Ok(page) => page,
            Err(status) => {
                shared.unexpected(format!("ListChanges: {}", describe(&status)));
                // Reported; not a reason to spin.
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        hold(&mut shared.received.lock().unwrap(), page.changes);
        token = page.next_sync_token;
        if !page.more {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Applies changes as upserts by id: the etag each resource has now.
fn hold(received: &mut Received, changes: Vec<pb::ResourceChange>) {
    for change in changes {
        let (held, etag) = match change.resource {
            Some(Resource::Account(account)) => (&mut received.accounts, account.etag),
            Some(Resource::ServiceRequest(request)) => (&mut received.service_requests, request.etag),
            _ => continue,
        };
        held.insert(change.id, etag);
    }
}

// ----- catching up -----

async fn connect(database_url: &str) -> DatabaseConnection {
    let deadline = Instant::now() + CATCH_UP;
    loop {
        match Database::connect(database_url).await {
            Ok(db) => return db,
            Err(error) if Instant::now() < deadline => {
                eprintln!("connect to the database for the checks: {error}; again");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => panic!("connect to the database for the checks: {error}"),
        }
    }
}

/// Polls `done` until it holds or `limit` passes; whether it held.
async fn wait_for<F, Fut>(limit: Duration, mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if done().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every imported request has its four SLA transitions.
async fn sla_settled(db: &DatabaseConnection, imported: &[String]) -> bool {
    let recorded = query_i64(
        db,
        "SELECT count(*) FROM outbox_events e JOIN service_requests r ON e.resource_id = r.id::text \
         WHERE r.external_id LIKE $1 AND e.event_type IN ('SlaAtRisk', 'SlaBreached')",
        [format!("{IMPORT_PREFIX}-%").into()],
    )
    .await;
    recorded >= imported.len() as i64 * SLA_EVENTS_PER_REQUEST
}

/// The watcher has received every event in the outbox now.
async fn events_delivered(db: &DatabaseConnection, shared: &Shared) -> bool {
    let stored = outbox_ids(db).await;
    let seen: BTreeSet<i64> = shared.received.lock().unwrap().events.iter().copied().collect();
    stored.is_subset(&seen)
}

/// The followers hold every account and service request at its stored etag.
async fn changes_delivered(db: &DatabaseConnection, shared: &Shared) -> bool {
    let (accounts, requests) = (
        stored_etags(db, "accounts").await,
        stored_etags(db, "service_requests").await,
    );
    let received = shared.received.lock().unwrap();
    accounts
        .iter()
        .all(|(id, etag)| received.accounts.get(id) == Some(etag))
        && requests
            .iter()
            .all(|(id, etag)| received.service_requests.get(id) == Some(etag))
}

// ----- checks -----

/// What the database holds against what the clients were told; every count must be 0.
#[derive(Clone, Debug, Default)]
pub struct Checks {
    /// Acknowledged writes the database does not hold.
    pub lost: Vec<String>,
    /// Writes the database holds twice: a create, an update's value, a status change, an import.
    pub applied_twice: Vec<String>,
    /// SLA transitions (request, type, target) or escalation steps recorded more than once.
    pub sla_recorded_twice: i64,
    /// SlaAtRisk and SlaBreached events recorded: more than 0, or the monitor proved nothing.
    pub sla_transitions: i64,
    /// Outbox events the WatchEvents consumer never received.
    pub events_missed: usize,
    /// Events it received more than once.
    pub events_twice: usize,
    /// Events received, distinct, against events stored.
    pub events_received: usize,
    pub events_stored: usize,
    /// Accounts and service requests the ListChanges followers do not hold at their stored etag.
    pub changes_stale: usize,
}

impl Checks {
    async fn run(db: &DatabaseConnection, shared: &Shared) -> Self {
        let (created, updated, walked, imported) = {
            let ledger = shared.ledger.lock().unwrap();
            let (created, updated) = (ledger.created.clone(), ledger.updated.clone());
            (created, updated, ledger.walked.clone(), ledger.imported.clone())
        };
        let mut checks = Self::default();
        check_creates(db, &created, &mut checks).await;
        check_updates(db, &updated, &mut checks).await;
        check_walks(db, &walked, &mut checks).await;
        check_imports(db, &imported, &mut checks).await;
        checks.sla_recorded_twice = duplicated_transitions(db).await + duplicated_escalations(db).await;
        checks.sla_transitions = query_i64(
            db,
            "SELECT count(*) FROM outbox_events WHERE event_type IN ('SlaAtRisk', 'SlaBreached')",
            [],
        )
        .await;
        check_events(db, shared, &mut checks).await;
        check_changes(db, shared, &mut checks).await;
        checks
    }

    /// Whether every count that must be 0 is.
    pub fn passed(&self) -> bool {
        self.lost.is_empty()
            && self.applied_twice.is_empty()
            && self.sla_recorded_twice == 0
            && self.events_missed == 0
            && self.events_twice == 0
            && self.changes_stale == 0
    }
}

/// Every acknowledged create is there under its id; no name of the load is there twice.
async fn check_creates(db: &DatabaseConnection, created: &[(String, String)], checks: &mut Checks) {
    let stored = name_counts(db).await;
    for (name, id) in created {
        let by_id = query_i64(
            db,
            "SELECT count(*) FROM accounts WHERE id::text = $1 AND display_name = $2",
            [id.as_str().into(), name.as_str().into()],
        )
        .await;
        if by_id != 1 {
            checks.lost.push(format!("account {name} ({id})"));
        }
    }
    let twice = stored.into_iter().filter(|(_, count)| *count > 1);
    checks
        .applied_twice
        .extend(twice.map(|(name, count)| format!("account {name} created {count} times")));
}

async fn name_counts(db: &DatabaseConnection) -> Vec<(String, i64)> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT display_name, count(*) FROM accounts WHERE display_name LIKE $1 GROUP BY 1",
            [format!("{CREATED_PREFIX}%").into()],
        ))
        .await
        .expect("count the created accounts");
    rows.iter()
        .map(|row| (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap()))
        .collect()
}

/// Every acknowledged update's value came in exactly one AccountUpdated event; no value in two.
async fn check_updates(db: &DatabaseConnection, updated: &[(String, String)], checks: &mut Checks) {
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT resource_id, payload->>'legalName', count(*) FROM outbox_events \
             WHERE event_type = 'AccountUpdated' AND payload->>'legalName' LIKE 'update %' GROUP BY 1, 2",
        ))
        .await
        .expect("read the updates");
    let stored: HashMap<(String, String), i64> = rows
        .iter()
        .map(|row| {
            let key = (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
            (key, row.try_get_by_index(2).unwrap())
        })
        .collect();
    for key in updated {
        if !stored.contains_key(key) {
            checks
                .lost
                .push(format!("update of account {} to {:?}", key.0, key.1));
        }
    }
    let twice = stored.iter().filter(|(_, count)| **count > 1);
    checks
        .applied_twice
        .extend(twice.map(|((id, value), count)| format!("update of {id} to {value:?} {count} times")));
}

/// Each walked request's history is its creation and the acknowledged changes, each once: a change
/// lost is missing there, one applied twice is there twice (the walk never comes back to a status).
async fn check_walks(
    db: &DatabaseConnection,
    walked: &BTreeMap<String, Vec<RequestStatus>>,
    checks: &mut Checks,
) {
    for (id, changes) in walked {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT to_status, count(*) FROM service_request_status_changes \
                 WHERE service_request_id::text = $1 GROUP BY 1",
                [id.as_str().into()],
            ))
            .await
            .expect("read a status history");
        let history: HashMap<String, i64> = rows
            .iter()
            .map(|row| (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap()))
            .collect();
        if history.is_empty() {
            checks.lost.push(format!("service request {id}"));
        }
        for status in changes {
            if !history.contains_key(status.as_str_name()) {
                checks
                    .lost
                    .push(format!("status {} of service request {id}", status.as_str_name()));
            }
        }
        let twice = history.iter().filter(|(_, count)| **count > 1);
        checks
            .applied_twice
            .extend(twice.map(|(status, count)| format!("status {status} of {id} {count} times")));
    }
}

/// Every acknowledged imported request is there, created once (one ServiceRequestCreated).
async fn check_imports(db: &DatabaseConnection, imported: &[String], checks: &mut Checks) {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT r.external_id, count(e.id) FROM service_requests r LEFT JOIN outbox_events e \
             ON e.resource_id = r.id::text AND e.event_type = 'ServiceRequestCreated' \
             WHERE r.external_id LIKE $1 GROUP BY 1",
            [format!("{IMPORT_PREFIX}-%").into()],
        ))
        .await
        .expect("read the imported requests");
    let stored: HashMap<String, i64> = rows
        .iter()
        .map(|row| (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap()))
        .collect();
    for external_id in imported {
        if !stored.contains_key(external_id) {
            checks.lost.push(format!("imported request {external_id}"));
        }
    }
    let twice = stored.iter().filter(|(_, count)| **count > 1);
    checks
        .applied_twice
        .extend(twice.map(|(id, count)| format!("imported request {id} created {count} times")));
}

/// (request, event type, target) keys with more than one SlaAtRisk or SlaBreached event; an event
/// without a target counts too, as it would slip through.
async fn duplicated_transitions(db: &DatabaseConnection) -> i64 {
    query_i64(
        db,
        "SELECT count(*) FROM (SELECT resource_id, event_type, payload->>'target' AS target \
         FROM outbox_events WHERE event_type IN ('SlaAtRisk', 'SlaBreached') \
         GROUP BY 1, 2, 3 HAVING count(*) > 1 OR payload->>'target' IS NULL) AS twice",
        [],
    )
    .await
}

/// (request, target, step) keys with more than one escalation row, and requests with more rows than
/// the ladder has steps.
async fn duplicated_escalations(db: &DatabaseConnection) -> i64 {
    query_i64(
        db,
        "SELECT count(*) FROM (SELECT service_request_id, target, step_index FROM sla_escalations \
         GROUP BY 1, 2, 3 HAVING count(*) > 1) AS twice",
        [],
    )
    .await
        + query_i64(
            db,
            "SELECT count(*) FROM (SELECT service_request_id FROM sla_escalations \
             GROUP BY 1 HAVING count(*) > $1) AS over",
            [ESCALATIONS_PER_REQUEST.into()],
        )
        .await
}

/// The WatchEvents consumer received each stored event once, and nothing the outbox does not hold.
async fn check_events(db: &DatabaseConnection, shared: &Shared, checks: &mut Checks) {
    let stored = outbox_ids(db).await;
    let received = shared.received.lock().unwrap().events.clone();
    let distinct: BTreeSet<i64> = received.iter().copied().collect();
    checks.events_twice = received.len() - distinct.len();
    checks.events_missed = stored.difference(&distinct).count();
    checks.events_received = distinct.len();
    checks.events_stored = stored.len();
    let unknown = distinct.difference(&stored).count();
    if unknown > 0 {
        checks
            .applied_twice
            .push(format!("{unknown} events received that the outbox does not hold"));
    }
}

/// The ListChanges followers hold every account and service request at the etag stored.
async fn check_changes(db: &DatabaseConnection, shared: &Shared, checks: &mut Checks) {
    let (accounts, requests) = (
        stored_etags(db, "accounts").await,
        stored_etags(db, "service_requests").await,
    );
    let received = shared.received.lock().unwrap();
    let stale = |stored: &HashMap<String, String>, held: &HashMap<String, String>| {
        stored
            .iter()
            .filter(|(id, etag)| held.get(*id) != Some(*etag))
            .count()
    };
    checks.changes_stale =
        stale(&accounts, &received.accounts) + stale(&requests, &received.service_requests);
}

async fn outbox_ids(db: &DatabaseConnection) -> BTreeSet<i64> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT id FROM outbox_events",
        ))
        .await
        .expect("read the outbox");
    rows.iter().map(|row| row.try_get_by_index(0).unwrap()).collect()
}

/// id → etag (`r<revision>`) of every row of `table`.
async fn stored_etags(db: &DatabaseConnection, table: &str) -> HashMap<String, String> {
    let sql = format!("SELECT id::text, 'r' || revision FROM {table}");
    let rows = db
        .query_all_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await
        .unwrap_or_else(|e| panic!("read the etags of {table}: {e}"));
    rows.iter()
        .map(|row| (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap()))
        .collect()
}

async fn query_i64(db: &DatabaseConnection, sql: &str, values: impl IntoIterator<Item = Value>) -> i64 {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index(0).unwrap()
}

// ----- figures -----

/// What one fault did to the clients, from its moment to the next fault's (or the load's end).
#[derive(Clone, Debug)]
pub struct FaultFigures {
    pub fault: String,
    /// Calls whose first failed attempt fell in the window: they failed before their retry.
    pub failed_before_retry: usize,
    /// Of those, the calls that failed after every retry too.
    pub failed_after_retry: usize,
    /// Failed attempts (a call may fail several before it gets through).
    pub failed_attempts: usize,
    /// From the fault to the end of the last failed attempt in its window; zero when none failed.
    pub recovery: Duration,
    /// Calls answered (successfully or not) in the window, per second.
    pub calls_per_second: f64,
}

fn fault_figures(journal: &Journal, started: Instant, ended: Instant) -> Vec<FaultFigures> {
    let mut faults = vec![("before any fault".to_owned(), started)];
    faults.extend(journal.faults.lock().unwrap().iter().cloned());
    let calls = journal.calls();
    let attempts = journal.failed_attempts();
    let windows = faults.iter().enumerate().map(|(i, (fault, from))| {
        let until = faults.get(i + 1).map_or(ended, |(_, next)| *next);
        (fault.clone(), *from, until)
    });
    windows
        .map(|(fault, from, until)| {
            let within = |at: Instant| from <= at && at < until;
            let failed: Vec<_> = calls
                .iter()
                .filter(|call| call.first_failure.is_some_and(within))
                .collect();
            let failed_here: Vec<_> = attempts.iter().filter(|attempt| within(attempt.at)).collect();
            let answered = calls.iter().filter(|call| within(call.ended)).count();
            FaultFigures {
                failed_before_retry: failed.len(),
                failed_after_retry: failed.iter().filter(|call| call.gave_up).count(),
                failed_attempts: failed_here.len(),
                recovery: failed_here
                    .last()
                    .map_or(Duration::ZERO, |attempt| attempt.at - from),
                calls_per_second: answered as f64 / (until - from).as_secs_f64().max(0.001),
                fault,
            }
        })
        .collect()
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    pub faults: Vec<FaultFigures>,
    pub load_started: Instant,
    pub load_duration: Duration,
    pub calls: Vec<CallRecord>,
    pub failed_attempts: Vec<FailedAttempt>,
    pub acknowledged_writes: usize,
    pub etag_conflicts: usize,
    /// Attempts answered ABORTED for contention, and retried.
    pub contention_retries: usize,
    /// Answers that were neither success, a broken call nor an etag conflict.
    pub unexpected: Vec<String>,
    /// Who did not catch up with the database within [`CATCH_UP`] after the load: the SLA monitor,
    /// WatchEvents, ListChanges. Empty when all did.
    pub lagging: Vec<&'static str>,
    pub checks: Checks,
}

impl Outcome {
    /// Calls answered per second of load, and acknowledged writes per second.
    pub fn throughput(&self) -> (f64, f64) {
        let seconds = self.load_duration.as_secs_f64();
        (
            self.calls.len() as f64 / seconds,
            self.acknowledged_writes as f64 / seconds,
        )
    }

    /// Calls that failed even after their retries.
    pub fn gave_up(&self) -> usize {
        self.calls.iter().filter(|call| call.gave_up).count()
    }

    /// The figures as a report: one line per fault, then the totals and the checks.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| fault | calls failed before retry | failed after retry | failed attempts | time to recover \
             | calls/s |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for fault in &self.faults {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.1} s | {:.0} |",
                fault.fault,
                fault.failed_before_retry,
                fault.failed_after_retry,
                fault.failed_attempts,
                fault.recovery.as_secs_f64(),
                fault.calls_per_second
            );
        }
        let (calls, writes) = self.throughput();
        let checks = &self.checks;
        let _ = writeln!(
            out,
            "\n{:.1} s of load: {} calls ({calls:.0}/s), {} acknowledged writes ({writes:.0}/s), \
             {} etag conflicts re-read and retried, {} attempts retried after ABORTED for contention",
            self.load_duration.as_secs_f64(),
            self.calls.len(),
            self.acknowledged_writes,
            self.etag_conflicts,
            self.contention_retries
        );
        let _ = writeln!(
            out,
            "acknowledged writes lost: {}\nwrites applied twice: {}\n\
             SLA transitions recorded more than once: {} (of {} recorded)\n\
             events missed: {}, received twice: {} ({} received, {} stored)\n\
             resources the change feed left stale: {}\ncalls failed after retry: {}\n\
             unexpected answers: {}\ndid not catch up after the load: {:?}",
            checks.lost.len(),
            checks.applied_twice.len(),
            checks.sla_recorded_twice,
            checks.sla_transitions,
            checks.events_missed,
            checks.events_twice,
            checks.events_received,
            checks.events_stored,
            checks.changes_stale,
            self.gave_up(),
            self.unexpected.len(),
            self.lagging
        );
        out
    }

    /// The failed attempts other than UNAVAILABLE, each with when (from the load's start), where and
    /// why: what a broken connection or stream made of the faults.
    pub fn other_failures(&self) -> Vec<String> {
        let others = self
            .failed_attempts
            .iter()
            .filter(|attempt| attempt.code != Code::Unavailable);
        others
            .map(|attempt| {
                format!(
                    "{:.1} s {} on {}: {:?} {}",
                    (attempt.at - self.load_started).as_secs_f64(),
                    attempt.rpc,
                    attempt.target,
                    attempt.code,
                    attempt.message
                )
            })
            .collect()
    }

    /// Failed attempts by (rpc, code), for the report.
    pub fn failures_by_kind(&self) -> BTreeMap<(String, String), usize> {
        let mut kinds = BTreeMap::new();
        for attempt in &self.failed_attempts {
            let key = (attempt.rpc.to_owned(), format!("{:?}", attempt.code));
            *kinds.entry(key).or_default() += 1;
        }
        kinds
    }
}
