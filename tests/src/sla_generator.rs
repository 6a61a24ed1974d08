//! A generator of realistic service requests, written straight into a migrated KAM database (no gRPC,
//! no audit or outbox rows): accounts, service agents, service requests with their status history, at
//! the scale of a large installation (a million requests, a tenth of them open), for benchmarks of the
//! SLA monitor and the SLA-state filters.
//!
//! ```text
//! use kam_tests::sla_generator::{SlaGeneratorConfig, generate_requests};
//!
//! // The server (or `kam_server::platform::db::Db::migrate`) has migrated the database behind `db` already.
//! let config = SlaGeneratorConfig::new(1_000_000, 100_000, 42);
//! let generated = generate_requests(&db, &config).await?;
//! println!("{} open, {} at risk", generated.open, generated.at_risk);
//! // Then ANALYZE, so that the planner knows the new tables.
//! ```
//!
//! The stored SLA columns (due and at-risk times, settled states, business minutes, next check) are
//! exactly what the server writes: each request's history is run through the real SLA clock
//! (`kam_server::service_levels::clock::SlaClock`, on the seeded calendars as `kam_server::service_levels::clock::BusinessCalendar`s) at
//! [`SlaGeneratorConfig::now`], and the columns come from `kam_server::service_levels::rules::stored_sla`,
//! the function every write of the server uses. The monitor's recorded states
//! (`*_sla_state`) are those it would have recorded had it been running all along: BREACHED for a
//! breached target, AT_RISK for one at risk or that passed its warning threshold before it was met,
//! paused or cancelled, IN_PROGRESS otherwise. So a monitor scan at `now` finds nothing due, and one a
//! little later exactly the requests that come due in between: the steady state. (No escalation rows
//! are written, and no delayed escalation step is pending.)
//!
//! Rows go in with multi-row `INSERT`s of [`SlaGeneratorConfig::rows_per_statement`] rows (kept under
//! SQLite's bind limit), [`SlaGeneratorConfig::requests_per_transaction`] requests (with their history)
//! per transaction. Everything random is drawn from a SplitMix64 generator seeded per row from
//! [`SlaGeneratorConfig::seed`]: the same seed, `now` and sizes write the same rows. Run it once per seed
//! and database (ids and e-mails derive from the seed).
//!
//! # Distributions
//!
//! - **Accounts**: `ceil(requests / 100)`, tiers STRATEGIC / KEY / GROWTH / STANDARD with probability
//!   5 / 15 / 30 / 50 %, lifecycle and the rest as in [`crate::generator`]; none deleted.
//! - **Service agents**: `ceil(requests / 2000)` active staff (every tenth a MANAGER) in the seeded
//!   SALES department. Each account has a main agent; a request is assigned to it 80 % of the time,
//!   to anyone else otherwise; 10 % of the open requests are unassigned.
//! - **Which account**: a tier is drawn with weight (accounts in it) × 4 / 2 / 1 / 0.5 (key accounts
//!   raise more requests: about 19 / 29 / 29 / 24 % of them), then an account of it, uniformly.
//! - **Policy**: the one the server would choose (no account policies): STRATEGIC → "Strategic
//!   accounts" (24x7), KEY → "Key accounts" (Office hours), others → the default (Office hours), with
//!   the seeded targets (see `SlaPolicy` in the proto); warning at 80 %, both WAITING_ON_* statuses
//!   pause. Below, "F" and "R" are the first-response and resolution targets in real time (business
//!   minutes, × 3.36 on Office hours, Monday–Friday 10 h of 168 h a week).
//! - **Priority** P1 / P2 / P3 / P4: 5 / 20 / 50 / 25 %. **Category** DELIVERY 20, INSTALLATION 10,
//!   REPAIR 25, TRAINING 5, COMPLAINT 10, TECHNICAL_QUESTION 20, OTHER 10 %. A title from the category
//!   and the request's number; an external id (`SR<seed>-<n>`) on 20 %; no contact.
//! - **Closed requests** (all but [`SlaGeneratorConfig::open`]): created evenly over
//!   [`SlaGeneratorConfig::history`] (2 years) up to 75 days before `now`, in index order. 4 % are
//!   cancelled (from NEW, or from IN_PROGRESS half the time, after ~F/2). The others: IN_PROGRESS with the
//!   first response after F × lognormal(median 0.5, σ 0.6) (about 12 % late); 30 % then wait on the
//!   customer (70 %) or a third party for Erlang-2 (mean 1 day) and resume; RESOLVED after R ×
//!   lognormal(median 0.55, σ 0.6) of running time (about 16 % late); 3 % are reopened (after ~2 days)
//!   and resolved again (~R × 0.3); then CLOSED after ~3 days (97 %) or left RESOLVED. Every step takes
//!   at least a minute and at most 10 days.
//! - **Open requests**: created so that they stand, at `now`, about (in real time): 52 % early in the
//!   resolution clock (0–75 % of R elapsed), 15 % near it (80–100 %), 7 % past it (100–400 %), 18 %
//!   waiting now (since a random instant after the first response; 10–90 % of R before), 8 % still NEW
//!   without a response (0–100 % of F elapsed). All but the NEW ones went IN_PROGRESS after F ×
//!   lognormal(median 0.5, σ 0.4) (capped at 30 % of their age), with the first response then on 95 %;
//!   30 % of them had an earlier pause. The clock decides the actual states (pauses, nights and weekends
//!   move due times; a late first response is a breach too); [`SlaGenerated`] counts them.
//! - **History**: one row per change (the creation with no `from_status`), made by the assignee (or the
//!   account's main agent), times increasing; ids UUIDv7 of the request's creation millisecond.
//! - **Other columns**: `status_time`, `update_time` the last change; `resolve_time` the last entry into
//!   RESOLVED while resolved or closed; `close_time` the close or cancellation; `revision` one per write
//!   (each change, plus the first response); the snapshot's `sla_apply_time` the creation.

use kam_server::{
    service_levels::clock::{
        BusinessCalendar, PauseStatuses, RequestStatus, SlaClock, SlaEvaluation, SlaState, SlaTargets,
        Target, TargetStatus, WorkingWindow,
    },
    service_levels::{
        model::{
            ALWAYS_OPEN_CALENDAR_ID, DEFAULT_POLICY_ID, KEY_POLICY_ID, OFFICE_HOURS_CALENDAR_ID,
            STRATEGIC_POLICY_ID,
        },
        rules,
    },
};
use sea_orm::{
    DatabaseConnection, DbErr, TransactionTrait, Value,
    sea_query::value::prelude::{
        chrono::{DateTime, Duration, Utc},
        serde_json,
    },
};
use uuid::Uuid;

use crate::generator::{
    ACCOUNT_COLUMNS, FIRST_NAMES, Inserter, LAST_NAMES, NAME_PARTS, Rng, SALES_DEPARTMENT_ID, STAFF_COLUMNS,
    TIERS, plain_account_row, uuid_v7,
};

/// What to generate, and how to write it.
#[derive(Clone, Debug)]
pub struct SlaGeneratorConfig {
    /// How many service requests to write.
    pub requests: usize,
    /// How many of them are open (NEW, IN_PROGRESS, WAITING_ON_*) at `now`.
    pub open: usize,
    pub seed: u64,
    /// When the data ends and the SLA columns are evaluated.
    pub now: DateTime<Utc>,
    /// How far before `now` the first request is created (default 730 days).
    pub history: Duration,
    /// One account per this many requests (default 100).
    pub requests_per_account: usize,
    /// One agent per this many requests (default 2000).
    pub requests_per_agent: usize,
    /// Rows per `INSERT` (default 400; fewer when the columns would exceed SQLite's bind limit).
    pub rows_per_statement: usize,
    /// Requests (with their history) per transaction (default 50,000).
    pub requests_per_transaction: usize,
}

impl SlaGeneratorConfig {
    /// `requests` from `seed`, `open` of them open, ending now (to the second).
    pub fn new(requests: usize, open: usize, seed: u64) -> Self {
        let now = Utc::now();
        Self {
            requests,
            open: open.min(requests),
            seed,
            now: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
            history: Duration::days(730),
            requests_per_account: 100,
            requests_per_agent: 2000,
            rows_per_statement: 400,
            requests_per_transaction: 50_000,
        }
    }

    pub fn accounts(&self) -> usize {
        self.requests.div_ceil(self.requests_per_account.max(1)).max(1)
    }

    pub fn staff(&self) -> usize {
        self.requests.div_ceil(self.requests_per_agent.max(1)).max(1)
    }
}

/// What [`generate_requests`] wrote, and where the open requests stand at `now` (each counted once,
/// in its worst state: breached, at risk, paused, in progress).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlaGenerated {
    pub accounts: usize,
    pub staff: usize,
    pub requests: usize,
    pub status_changes: usize,
    pub open: usize,
    /// Open, a target breached.
    pub breached: usize,
    /// Open, a target at risk (none breached).
    pub at_risk: usize,
    /// Open, the resolution clock paused (nothing at risk or breached).
    pub paused: usize,
    /// Open, running, a target due within 4 hours (nothing at risk or breached).
    pub due_soon_4h: usize,
    /// Open, running, nothing due within 4 hours.
    pub in_progress: usize,
}

const STREAM_STAFF: u64 = 11;
const STREAM_ACCOUNT: u64 = 12;
const STREAM_REQUEST: u64 = 13;

const PRIORITIES: &[(usize, f64)] = &[(0, 0.05), (1, 0.20), (2, 0.50), (3, 0.25)];
const PRIORITY_NAMES: [&str; 4] = ["P1", "P2", "P3", "P4"];
const CATEGORIES: &[(&str, f64)] = &[
    ("DELIVERY", 0.20),
    ("INSTALLATION", 0.10),
    ("REPAIR", 0.25),
    ("TRAINING", 0.05),
    ("COMPLAINT", 0.10),
    ("TECHNICAL_QUESTION", 0.20),
    ("OTHER", 0.10),
];
const TIER_REQUEST_WEIGHT: [f64; 4] = [4.0, 2.0, 1.0, 0.5];
/// Real time per business minute on the Office hours calendar (168 h a week, 50 of them working).
const OFFICE_FACTOR: f64 = 168.0 / 50.0;
const WARNING_PERCENT: u8 = 80;

/// The seeded policies the tiers get: (id, match, 24x7?, (first response, resolution) per priority).
struct PolicyTargets {
    id: Uuid,
    policy_match: &'static str,
    always_open: bool,
    targets: [(i32, i32); 4],
}

const STRATEGIC: PolicyTargets = PolicyTargets {
    id: STRATEGIC_POLICY_ID,
    policy_match: "MATCHED_TIER",
    always_open: true,
    targets: [(30, 240), (60, 480), (120, 1440), (240, 2880)],
};
const KEY: PolicyTargets = PolicyTargets {
    id: KEY_POLICY_ID,
    policy_match: "MATCHED_TIER",
    always_open: false,
    targets: [(60, 480), (120, 960), (240, 1440), (480, 2880)],
};
const DEFAULT: PolicyTargets = PolicyTargets {
    id: DEFAULT_POLICY_ID,
    policy_match: "MATCHED_DEFAULT",
    always_open: false,
    targets: [(120, 960), (240, 1440), (480, 2880), (960, 4800)],
};

fn policy_of_tier(tier: usize) -> &'static PolicyTargets {
    match tier {
        0 => &STRATEGIC,
        1 => &KEY,
        _ => &DEFAULT,
    }
}

const REQUEST_COLUMNS: &[&str] = &[
    "id",
    "external_id",
    "account_id",
    "contact_id",
    "title",
    "description",
    "category",
    "priority",
    "status",
    "assignee_staff_id",
    "policy_id",
    "policy_match",
    "calendar_id",
    "first_response_minutes",
    "resolution_minutes",
    "warning_percent",
    "pause_statuses",
    "sla_apply_time",
    "first_response_time",
    "status_time",
    "resolve_time",
    "close_time",
    "first_response_due_time",
    "first_response_at_risk_time",
    "first_response_settled_state",
    "resolution_due_time",
    "resolution_at_risk_time",
    "resolution_settled_state",
    "first_response_business_minutes",
    "resolution_business_minutes",
    "first_response_sla_state",
    "resolution_sla_state",
    "next_check_time",
    "create_time",
    "update_time",
    "revision",
];

const CHANGE_COLUMNS: &[&str] = &[
    "id",
    "service_request_id",
    "from_status",
    "to_status",
    "change_time",
    "changed_by",
    "note",
];

struct Account {
    id: Uuid,
    tier: usize,
    agent: usize,
    create_time: DateTime<Utc>,
}

/// The seeded calendars as the clock sees them (migration 000007).
struct Calendars {
    always_open: BusinessCalendar,
    office_hours: BusinessCalendar,
}

impl Calendars {
    fn new() -> Result<Self, DbErr> {
        let err =
            |e: kam_server::service_levels::clock::CalendarError| DbErr::Custom(format!("calendar: {e}"));
        let day = || vec![WorkingWindow::new(8 * 60, 18 * 60)];
        let week = [day(), day(), day(), day(), day(), Vec::new(), Vec::new()];
        Ok(Self {
            always_open: BusinessCalendar::always_open("UTC").map_err(err)?,
            office_hours: BusinessCalendar::new("UTC", week, []).map_err(err)?,
        })
    }
}

/// Writes `config.requests` service requests with their accounts, agents and status history into `db`,
/// whose schema must be migrated (calendars, policies and the SALES department seeded).
pub async fn generate_requests(
    db: &DatabaseConnection,
    config: &SlaGeneratorConfig,
) -> Result<SlaGenerated, DbErr> {
    let backend = db.get_database_backend();
    let calendars = Calendars::new()?;
    let staff: Vec<(Uuid, DateTime<Utc>)> = (0..config.staff())
        .map(|n| {
            let created = config.now - config.history - Duration::days(30);
            (
                uuid_v7(created, (n as u128) << 24 | u128::from(config.seed & 0xFF_FFFF)),
                created,
            )
        })
        .collect();
    let accounts: Vec<Account> = (0..config.accounts())
        .map(|n| {
            let mut rng = Rng::for_row(config.seed, STREAM_ACCOUNT, n);
            let tier = rng.weighted(&[(0, TIERS[0].1), (1, TIERS[1].1), (2, TIERS[2].1), (3, TIERS[3].1)]);
            let created = config.now - config.history - Duration::days(20);
            Account {
                id: uuid_v7(created, (n as u128) << 24 | u128::from(rng.next_u64() >> 40)),
                tier,
                agent: rng.below(staff.len()),
                create_time: created,
            }
        })
        .collect();
    let mut by_tier: [Vec<usize>; 4] = Default::default();
    for (n, account) in accounts.iter().enumerate() {
        by_tier[account.tier].push(n);
    }
    let tier_weights: Vec<(usize, f64)> = (0..4)
        .filter(|&t| !by_tier[t].is_empty())
        .map(|t| (t, by_tier[t].len() as f64 * TIER_REQUEST_WEIGHT[t]))
        .collect();

    let mut generated = SlaGenerated {
        accounts: accounts.len(),
        staff: staff.len(),
        ..Default::default()
    };

    let txn = db.begin().await?;
    let mut inserter = Inserter::new(backend, "staff", STAFF_COLUMNS, config.rows_per_statement);
    for (n, (id, created)) in staff.iter().enumerate() {
        let mut rng = Rng::for_row(config.seed, STREAM_STAFF, n);
        let (level, title) = if n % 10 == 0 {
            ("MANAGER", "Service manager")
        } else {
            ("STAFF", "Service engineer")
        };
        inserter.push(vec![
            (*id).into(),
            format!("{} {} {n}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES)).into(),
            format!("sla-gen-{:x}-{n}@example.com", config.seed).into(),
            SALES_DEPARTMENT_ID.into(),
            level.into(),
            title.into(),
            true.into(),
            30i32.into(),
            (*created).into(),
            (*created).into(),
            1i64.into(),
        ]);
        inserter.flush_full(&txn).await?;
    }
    inserter.flush(&txn).await?;
    let mut inserter = Inserter::new(backend, "accounts", ACCOUNT_COLUMNS, config.rows_per_statement);
    for (n, account) in accounts.iter().enumerate() {
        let mut rng = Rng::for_row(config.seed, STREAM_ACCOUNT, n);
        rng.next_u64();
        let name = format!(
            "{} {} Service {n}",
            rng.pick(NAME_PARTS.0),
            rng.pick(NAME_PARTS.1)
        );
        inserter.push(plain_account_row(
            account.id,
            &name,
            &mut rng,
            account.tier,
            account.create_time,
        ));
        inserter.flush_full(&txn).await?;
    }
    inserter.flush(&txn).await?;
    txn.commit().await?;

    let world = World {
        config,
        calendars: &calendars,
        accounts: &accounts,
        by_tier: &by_tier,
        tier_weights: &tier_weights,
        staff: &staff,
    };
    let mut requests = Inserter::new(
        backend,
        "service_requests",
        REQUEST_COLUMNS,
        config.rows_per_statement,
    );
    let mut changes = Inserter::new(
        backend,
        "service_request_status_changes",
        CHANGE_COLUMNS,
        config.rows_per_statement,
    );
    let per_transaction = config.requests_per_transaction.max(1);
    let mut n = 0;
    while n < config.requests {
        let end = (n + per_transaction).min(config.requests);
        let txn = db.begin().await?;
        for index in n..end {
            let GeneratedRequest {
                row,
                changes: change_rows,
                outcome,
            } = world.request(index)?;
            generated.status_changes += change_rows.len();
            generated.count(outcome);
            requests.push(row);
            change_rows.into_iter().for_each(|row| changes.push(row));
            if requests.is_full() {
                // The history only after the requests it belongs to (a foreign key).
                requests.flush(&txn).await?;
                changes.flush_full(&txn).await?;
            }
        }
        requests.flush(&txn).await?;
        changes.flush(&txn).await?;
        txn.commit().await?;
        n = end;
    }
    generated.requests = config.requests;
    Ok(generated)
}

/// Where an open request stands, for [`SlaGenerated`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Closed,
    Breached,
    AtRisk,
    Paused,
    DueSoon,
    InProgress,
}

impl SlaGenerated {
    fn count(&mut self, outcome: Outcome) {
        if outcome == Outcome::Closed {
            return;
        }
        self.open += 1;
        match outcome {
            Outcome::Breached => self.breached += 1,
            Outcome::AtRisk => self.at_risk += 1,
            Outcome::Paused => self.paused += 1,
            Outcome::DueSoon => self.due_soon_4h += 1,
            Outcome::InProgress => self.in_progress += 1,
            Outcome::Closed => {}
        }
    }
}

struct World<'a> {
    config: &'a SlaGeneratorConfig,
    calendars: &'a Calendars,
    accounts: &'a [Account],
    by_tier: &'a [Vec<usize>; 4],
    tier_weights: &'a [(usize, f64)],
    staff: &'a [(Uuid, DateTime<Utc>)],
}

/// Real time of `minutes` (fractional) minutes.
fn minutes(minutes: f64) -> Duration {
    Duration::milliseconds((minutes * 60_000.0) as i64)
}

/// A step of at least a minute and at most 10 days.
fn step(real_minutes: f64) -> Duration {
    minutes(real_minutes.clamp(1.0, 10.0 * 1440.0))
}

fn lognormal(rng: &mut Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * rng.normal()).exp()
}

/// One generated request: its row, its history rows, and where it stands.
struct GeneratedRequest {
    row: Vec<Value>,
    changes: Vec<Vec<Value>>,
    outcome: Outcome,
}

impl World<'_> {
    fn request(&self, index: usize) -> Result<GeneratedRequest, DbErr> {
        let config = self.config;
        let now = config.now;
        let mut rng = Rng::for_row(config.seed, STREAM_REQUEST, index);
        let tier = rng.weighted(self.tier_weights);
        let account = &self.accounts[*rng.pick(&self.by_tier[tier])];
        let policy = policy_of_tier(tier);
        let priority = rng.weighted(PRIORITIES);
        let category = rng.weighted(CATEGORIES);
        let (fr_minutes, res_minutes) = policy.targets[priority];
        let factor = if policy.always_open { 1.0 } else { OFFICE_FACTOR };
        let (fr_real, res_real) = (f64::from(fr_minutes) * factor, f64::from(res_minutes) * factor);
        let agent = if rng.chance(0.8) {
            account.agent
        } else {
            rng.below(self.staff.len())
        };
        let closed_count = config.requests - config.open;
        let is_open = index >= closed_count;

        use RequestStatus::*;
        let mut history: Vec<(DateTime<Utc>, RequestStatus)> = Vec::with_capacity(6);
        let mut first_response: Option<DateTime<Utc>> = None;
        if is_open {
            let class = rng.f64();
            let created = if class < 0.08 {
                now - minutes(rng.f64() * fr_real + 1.0)
            } else {
                let f = if class < 0.60 {
                    rng.f64() * 0.75
                } else if class < 0.75 {
                    0.8 + rng.f64() * 0.2
                } else if class < 0.82 {
                    1.0 + rng.f64() * 3.0
                } else {
                    0.1 + rng.f64() * 0.8
                };
                now - minutes(f * res_real + 2.0)
            };
            history.push((created, New));
            if class >= 0.08 {
                let age = (now - created).num_milliseconds() as f64 / 60_000.0;
                let start =
                    created + minutes(lognormal(&mut rng, 0.5 * fr_real, 0.4).min(age * 0.3).max(0.1));
                history.push((start, InProgress));
                if rng.chance(0.95) {
                    first_response = Some(start);
                }
                let left = (now - start).num_milliseconds() as f64 / 60_000.0;
                if rng.chance(0.3) && left > 4.0 {
                    let wait = start + minutes(left * (0.1 + 0.3 * rng.f64()));
                    let resume = wait + minutes(left * 0.2 * rng.f64() + 0.5);
                    history.push((
                        wait,
                        if rng.chance(0.7) {
                            WaitingOnCustomer
                        } else {
                            WaitingOnThirdParty
                        },
                    ));
                    history.push((resume, InProgress));
                }
                if class >= 0.82 {
                    let last = history.last().map_or(start, |(t, _)| *t);
                    let left = (now - last).num_milliseconds() as f64 / 60_000.0;
                    let wait = last + minutes(left * rng.f64() * 0.9 + 0.01);
                    history.push((
                        wait,
                        if rng.chance(0.7) {
                            WaitingOnCustomer
                        } else {
                            WaitingOnThirdParty
                        },
                    ));
                }
            }
        } else {
            let span = (config.history - Duration::days(75)).num_minutes().max(1) as f64;
            let position = (index as f64 + rng.f64()) / closed_count.max(1) as f64;
            let created = now - config.history + minutes(position * span);
            history.push((created, New));
            let mut t = created;
            if rng.chance(0.04) {
                if rng.chance(0.5) {
                    t += step(rng.erlang2(0.5 * fr_real));
                    history.push((t, InProgress));
                    first_response = Some(t);
                }
                t += step(rng.erlang2(0.5 * fr_real));
                history.push((t, Cancelled));
            } else {
                t += step(lognormal(&mut rng, 0.5 * fr_real, 0.6));
                history.push((t, InProgress));
                first_response = Some(t);
                let running = lognormal(&mut rng, 0.55 * res_real, 0.6);
                let mut paused = Duration::zero();
                if rng.chance(0.3) {
                    let wait = t + step(running * (0.1 + 0.3 * rng.f64()));
                    let pause = step(rng.erlang2(1440.0));
                    history.push((
                        wait,
                        if rng.chance(0.7) {
                            WaitingOnCustomer
                        } else {
                            WaitingOnThirdParty
                        },
                    ));
                    history.push((wait + pause, InProgress));
                    paused = pause;
                    t = wait + pause;
                }
                let resolved = (created + step(running) + paused).max(t + minutes(1.0));
                t = resolved;
                history.push((t, Resolved));
                if rng.chance(0.03) {
                    t += step(rng.erlang2(2.0 * 1440.0));
                    history.push((t, InProgress));
                    t += step(rng.erlang2(0.3 * res_real));
                    history.push((t, Resolved));
                }
                if rng.chance(0.97) {
                    t += step(rng.erlang2(3.0 * 1440.0));
                    history.push((t, Closed));
                }
            }
        }
        let created = history[0].0;
        let (last_time, status) = *history.last().expect("a creation");

        // The SLA as the server evaluates it on every write, at `now`.
        let calendar = if policy.always_open {
            &self.calendars.always_open
        } else {
            &self.calendars.office_hours
        };
        let clock_err =
            |e: kam_server::service_levels::clock::SlaError| DbErr::Custom(format!("request {index}: {e}"));
        let pause = PauseStatuses::new([WaitingOnCustomer, WaitingOnThirdParty]).map_err(clock_err)?;
        let targets = SlaTargets {
            first_response: Target::new(i64::from(fr_minutes), WARNING_PERCENT).map_err(clock_err)?,
            resolution: Target::new(i64::from(res_minutes), WARNING_PERCENT).map_err(clock_err)?,
        };
        let evaluation: SlaEvaluation = SlaClock::new(calendar, &history, &pause)
            .map_err(clock_err)?
            .evaluate(targets, first_response, now)
            .map_err(clock_err)?;
        let recorded = (
            recorded(&evaluation.first_response, fr_minutes),
            recorded(&evaluation.resolution, res_minutes),
        );
        let stored = rules::stored_sla(&evaluation, recorded, None, now);

        let outcome = if !is_open {
            Outcome::Closed
        } else {
            let states = [evaluation.first_response.state, evaluation.resolution.state];
            let running_due = [&evaluation.first_response, &evaluation.resolution]
                .iter()
                .filter(|t| t.state == SlaState::InProgress)
                .map(|t| t.due_time)
                .min();
            if states.contains(&SlaState::Breached) {
                Outcome::Breached
            } else if states.contains(&SlaState::AtRisk) {
                Outcome::AtRisk
            } else if states.contains(&SlaState::Paused) {
                Outcome::Paused
            } else if running_due.is_some_and(|due| due < now + Duration::hours(4)) {
                Outcome::DueSoon
            } else {
                Outcome::InProgress
            }
        };

        let resolve_time = match status {
            Resolved | Closed => history
                .iter()
                .rev()
                .find(|(_, s)| *s == Resolved)
                .map(|(t, _)| *t),
            _ => None,
        };
        let close_time = matches!(status, Closed | Cancelled).then_some(last_time);
        let assignee = (!is_open || rng.chance(0.9)).then_some(self.staff[agent].0);
        let changed_by = self.staff[agent].0;
        let id = uuid_v7(created, (index as u128) << 24 | u128::from(rng.next_u64() >> 40));
        let external_id = rng.chance(0.2).then(|| format!("SR{}-{index}", config.seed));
        let title = format!("{} request {index}", title_of(category));
        let settled = |state: Option<SlaState>| state.map(|s| s.as_str().to_owned());
        let revision = history.len() as i64 + i64::from(first_response.is_some());
        let row = vec![
            id.into(),
            external_id.into(),
            account.id.into(),
            Option::<Uuid>::None.into(),
            title.into(),
            "Generated for the SLA benchmark.".into(),
            category.into(),
            PRIORITY_NAMES[priority].into(),
            status.as_str().into(),
            assignee.into(),
            policy.id.into(),
            policy.policy_match.into(),
            if policy.always_open {
                ALWAYS_OPEN_CALENDAR_ID
            } else {
                OFFICE_HOURS_CALENDAR_ID
            }
            .into(),
            fr_minutes.into(),
            res_minutes.into(),
            i32::from(WARNING_PERCENT).into(),
            serde_json::json!(["WAITING_ON_CUSTOMER", "WAITING_ON_THIRD_PARTY"]).into(),
            created.into(),
            first_response.into(),
            last_time.into(),
            resolve_time.into(),
            close_time.into(),
            stored.first_response.due_time.into(),
            stored.first_response.at_risk_time.into(),
            settled(stored.first_response.settled).into(),
            stored.resolution.due_time.into(),
            stored.resolution.at_risk_time.into(),
            settled(stored.resolution.settled).into(),
            stored.first_response.business_minutes.into(),
            stored.resolution.business_minutes.into(),
            recorded.0.as_str().into(),
            recorded.1.as_str().into(),
            stored.next_check_time.into(),
            created.into(),
            last_time.max(first_response.unwrap_or(created)).into(),
            revision.into(),
        ];
        let changes = history
            .iter()
            .enumerate()
            .map(|(k, (time, to))| {
                let from = (k > 0).then(|| history[k - 1].1.as_str().to_owned());
                vec![
                    uuid_v7(created, (index as u128) << 24 | (k as u128) << 16 | 0xC0DE).into(),
                    id.into(),
                    from.into(),
                    to.as_str().into(),
                    (*time).into(),
                    changed_by.into(),
                    "".into(),
                ]
            })
            .collect();
        Ok(GeneratedRequest {
            row,
            changes,
            outcome,
        })
    }
}

/// What the monitor would have recorded for a target by `now`, had it been running all along.
fn recorded(status: &TargetStatus, target_minutes: i32) -> SlaState {
    let threshold = i64::from(target_minutes) * i64::from(WARNING_PERCENT) / 100;
    match status.state {
        SlaState::Breached => SlaState::Breached,
        SlaState::AtRisk => SlaState::AtRisk,
        _ if status.elapsed.num_minutes() >= threshold => SlaState::AtRisk,
        _ => SlaState::InProgress,
    }
}

fn title_of(category: &str) -> &'static str {
    match category {
        "DELIVERY" => "Late delivery",
        "INSTALLATION" => "Installation",
        "REPAIR" => "Repair",
        "TRAINING" => "Training",
        "COMPLAINT" => "Complaint",
        "TECHNICAL_QUESTION" => "Technical question",
        _ => "Service",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_deterministic_consistent_and_mostly_as_described() {
        let config = SlaGeneratorConfig::new(4000, 2000, 7);
        let staff = vec![(Uuid::now_v7(), config.now - Duration::days(800))];
        let accounts: Vec<Account> = (0..4)
            .map(|tier| Account {
                id: Uuid::now_v7(),
                tier,
                agent: 0,
                create_time: config.now - Duration::days(800),
            })
            .collect();
        let by_tier = [vec![0], vec![1], vec![2], vec![3]];
        let calendars = Calendars::new().unwrap();
        let weights: Vec<(usize, f64)> = (0..4).map(|t| (t, TIER_REQUEST_WEIGHT[t])).collect();
        let world = World {
            config: &config,
            calendars: &calendars,
            accounts: &accounts,
            by_tier: &by_tier,
            tier_weights: &weights,
            staff: &staff,
        };
        let mut counts = SlaGenerated::default();
        for index in 0..config.requests {
            let GeneratedRequest {
                row,
                changes,
                outcome,
            } = world.request(index).unwrap();
            assert_eq!(row.len(), REQUEST_COLUMNS.len());
            assert!(changes.iter().all(|c| c.len() == CHANGE_COLUMNS.len()));
            assert_eq!(row, world.request(index).unwrap().row, "deterministic");
            counts.count(outcome);
        }
        assert_eq!(counts.open, 2000);
        for (what, n) in [
            ("breached", counts.breached),
            ("at risk", counts.at_risk),
            ("paused", counts.paused),
            ("in progress", counts.in_progress + counts.due_soon_4h),
        ] {
            assert!(n > 100, "{what}: {n} of 2000 open ({counts:?})");
        }
    }
}
