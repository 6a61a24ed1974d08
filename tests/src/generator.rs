//! A generator of realistic opportunities, written straight into a migrated KAM database (no gRPC, no
//! audit rows): accounts, sales staff, opportunities and their stage history, at the scale of a large
//! installation (a million opportunities in about a minute and a half on SQLite, two and a half minutes
//! on PostgreSQL, on 2 cores), for benchmarks of the funnel analytics and anything else that needs a
//! big, believable funnel.
//!
//! ```text
//! use kam_tests::generator::{GeneratorConfig, generate};
//!
//! // The server (or `kam_server::platform::db::Db::migrate`) has migrated the database behind `db` already.
//! let config = GeneratorConfig::new(1_000_000, 42);
//! let generated = generate(&db, &config).await?;
//! println!("{} opportunities, {} stage changes", generated.opportunities, generated.stage_changes);
//! // Then ANALYZE, so that the planner knows the new tables.
//! ```
//!
//! Rows go in with multi-row `INSERT`s of [`GeneratorConfig::rows_per_statement`] rows (kept under
//! SQLite's 32,766 bound parameters), [`GeneratorConfig::opportunities_per_transaction`] opportunities
//! (with their history) per transaction. Everything random is drawn from a small SplitMix64 generator
//! seeded per row from [`GeneratorConfig::seed`], so the same seed, `now` and size write the same rows,
//! whatever the batch sizes. Run it once per seed and database: ids and staff e-mails derive from the
//! seed.
//!
//! # Distributions
//!
//! - **Accounts**: `ceil(opportunities / 50)` ([`GeneratorConfig::opportunities_per_account`]), tiers
//!   STRATEGIC / KEY / GROWTH / STANDARD with probability 5 / 15 / 30 / 50 %; lifecycle ACTIVE 80 %,
//!   PROSPECT 12 %, DORMANT 6 %, CHURNED 2 %; relationship stage from the tier (STRATEGIC_PARTNER,
//!   VALUE_ADDED, TRANSACTIONAL); created in the year before the first opportunity; none deleted.
//! - **Staff**: `ceil(opportunities / 400)` active sales people
//!   ([`GeneratorConfig::opportunities_per_owner`]) in the seeded SALES department, every tenth a
//!   MANAGER. Each account has a main owner (uniform); an opportunity's owner is its account's main
//!   owner 80 % of the time, anyone else otherwise. No stage owners (those must be stage specialists).
//! - **Which account**: a tier is drawn with weight (accounts in it) × 4 / 2 / 1 / 0.5 (STRATEGIC /
//!   KEY / GROWTH / STANDARD, so about 19 / 29 / 29 / 24 % of the deals), then an account of it, uniformly.
//! - **create_time**: over [`GeneratorConfig::history`] (2 years) before [`GeneratorConfig::now`], with
//!   a linearly growing rate (the last month has twice the deals of the first); the n-th opportunity is
//!   the n-th created, and ids are UUIDv7 of the creation millisecond, so rows go in in key order.
//! - **Funnel**: a deal starts in the first open stage (80 %), the second (15 %) or the third (5 %),
//!   then at each open stage it advances, is lost, or stays where it is for good (a stalled deal):
//!
//!   | open stage (default pipeline) | advance | lost | stays | mean days in the stage |
//!   |-------------------------------|---------|------|-------|------------------------|
//!   | 1st (LEAD)                    | 68 %    | 15 % | 17 %  | 6                      |
//!   | 2nd (CONTACTED)               | 74 %    | 13 % | 13 %  | 8                      |
//!   | 3rd (QUALIFIED)               | 76 %    | 12 % | 12 %  | 12                     |
//!   | 4th (PROPOSAL)                | 78 %    | 12 % | 10 %  | 10                     |
//!   | last (NEGOTIATION; advance = won) | 74 % | 16 % | 10 % | 9                      |
//!
//!   (pipelines with more open stages repeat the 4th row before the last). An advance skips a stage 7 %
//!   of the time (possibly straight to the won stage). The time in a stage is Erlang-2 with the mean
//!   above, at least an hour; a move that would happen after `now` does not, and the deal is still open
//!   where it is. 5 % of the closed deals are reopened (after 20 days on average, into the stage they
//!   were closed from, or one earlier 15 % of the time) and run through the funnel again (at most one
//!   reopening). Altogether about 25 % won, 35 % lost and 40 % open (the share open grows toward
//!   `now`); 3 % reopened; 3.3 history rows per deal.
//! - **History**: one row per change (the creation with no `from_stage`), change times increasing, made
//!   by the owner (85 %) or someone else; closes carry the close reason, reopenings a reason text. The
//!   funnel's read model is written with it, as the server keeps it: a stay row per change after the
//!   creation, and each deal's furthest stage.
//!   `stage_enter_time` is the last change, `close_time` the close; history ids are UUIDv7 of the
//!   deal's creation millisecond (in key order, like the deals).
//! - **Closed deals**: reason WON: PRODUCT_FIT / RELATIONSHIP / PRICE / TIMING (40 / 30 / 20 / 10 %);
//!   LOST: PRICE / COMPETITOR / NO_DECISION / TIMING / PRODUCT_FIT / BUDGET (25 / 25 / 20 / 12 / 10 /
//!   8 %); a note 30 % of the time; lost to one of the deal's competitors for 60 % of the LOST deals
//!   that have some.
//! - **Amounts**: 95 % have one: EUR 50 %, USD 35 %, CNY 15 %; log-normal (σ = 0.8) around a median of
//!   120,000 / 45,000 / 15,000 / 5,000 EUR by tier (× 1.1 in USD, × 7.8 in CNY), whole units; cents
//!   as nanos, and 10 % with arbitrary nanos.
//! - **Expected close date**: 90 % have one: 30 to 180 days after creation; for open deals whose date
//!   has passed, half are pushed to 1 to 150 days after `now`; closed deals: within ±30 days of the
//!   close (and after the creation).
//! - **Overrides** (open deals only: a stage change clears them): a probability override on 8 % (the
//!   stage's ± up to 25, a multiple of 5, within 5..=95), a forecast category override on 5 %.
//! - **MAN**: budget, authority and need all confirmed once a deal has reached the pipeline's
//!   qualification stage or a later one (as the server requires); before that, each 25 %.
//! - **Other columns**: an external id on 30 % (`G<seed>-<n>`), 0 to 3 distinct competitors, a source
//!   and a next step from short lists, `update_time` the last change (40 % of open deals edited since),
//!   `revision` one per write.

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement, TransactionTrait, Value,
    sea_query::value::prelude::{
        chrono::{DateTime, Duration, Utc},
        serde_json,
    },
};
use uuid::Uuid;

/// The seeded default pipeline (migration 000005).
pub const DEFAULT_PIPELINE_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0100);
/// The seeded SALES department every generated staff member joins.
pub const SALES_DEPARTMENT_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);

/// SQLite refuses statements with more bound parameters than this.
pub(crate) const MAX_BIND_PARAMETERS: usize = 32_766;

/// What to generate, and how to write it.
#[derive(Clone, Debug)]
pub struct GeneratorConfig {
    /// How many opportunities to write.
    pub opportunities: usize,
    /// Seeds every random choice.
    pub seed: u64,
    /// When the data ends: no create, stage change or close is later.
    pub now: DateTime<Utc>,
    /// How far before `now` the first opportunity is created (default 730 days).
    pub history: Duration,
    /// One account per this many opportunities (default 50).
    pub opportunities_per_account: usize,
    /// One owner per this many opportunities (default 400).
    pub opportunities_per_owner: usize,
    /// The pipeline the deals run through (default: the seeded default pipeline).
    pub pipeline_id: Uuid,
    /// Rows per `INSERT` (default 500; fewer when the columns would exceed SQLite's bind limit).
    pub rows_per_statement: usize,
    /// Opportunities (with their history) per transaction (default 50,000).
    pub opportunities_per_transaction: usize,
}

impl GeneratorConfig {
    /// `opportunities` from `seed`, ending now (to the second), with the default proportions.
    pub fn new(opportunities: usize, seed: u64) -> Self {
        let now = Utc::now();
        Self {
            opportunities,
            seed,
            now: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
            history: Duration::days(730),
            opportunities_per_account: 50,
            opportunities_per_owner: 400,
            pipeline_id: DEFAULT_PIPELINE_ID,
            rows_per_statement: 500,
            opportunities_per_transaction: 50_000,
        }
    }

    /// How many accounts [`generate`] creates.
    pub fn accounts(&self) -> usize {
        self.opportunities
            .div_ceil(self.opportunities_per_account.max(1))
            .max(1)
    }

    /// How many staff members (owners) [`generate`] creates.
    pub fn staff(&self) -> usize {
        self.opportunities
            .div_ceil(self.opportunities_per_owner.max(1))
            .max(1)
    }
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self::new(10_000, 1)
    }
}

/// What [`generate`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generated {
    pub accounts: usize,
    pub staff: usize,
    pub opportunities: usize,
    /// History rows (one per creation, move, close and reopening).
    pub stage_changes: usize,
    pub won: usize,
    pub lost: usize,
    pub open: usize,
    /// Deals reopened once (whatever their state now).
    pub reopened: usize,
}

/// Writes `config.opportunities` opportunities with their accounts, owners and stage history into
/// `db`, whose schema must be migrated (the pipeline and the SALES department seeded).
pub async fn generate(db: &DatabaseConnection, config: &GeneratorConfig) -> Result<Generated, DbErr> {
    let ladder = Ladder::load(db, config.pipeline_id).await?;
    let world = World::new(config, ladder);
    let backend = db.get_database_backend();
    let mut generated = Generated {
        accounts: world.accounts.len(),
        staff: world.staff.len(),
        ..Default::default()
    };

    let txn = db.begin().await?;
    let mut staff = Inserter::new(backend, "staff", STAFF_COLUMNS, config.rows_per_statement);
    for (n, person) in world.staff.iter().enumerate() {
        staff.push(world.staff_row(n, person));
        staff.flush_full(&txn).await?;
    }
    staff.flush(&txn).await?;
    let mut accounts = Inserter::new(backend, "accounts", ACCOUNT_COLUMNS, config.rows_per_statement);
    for (n, account) in world.accounts.iter().enumerate() {
        accounts.push(world.account_row(n, account));
        accounts.flush_full(&txn).await?;
    }
    accounts.flush(&txn).await?;
    txn.commit().await?;

    let mut deals = Inserter::new(
        backend,
        "opportunities",
        OPPORTUNITY_COLUMNS,
        config.rows_per_statement,
    );
    let mut changes = Inserter::new(
        backend,
        "opportunity_stage_changes",
        STAGE_CHANGE_COLUMNS,
        config.rows_per_statement,
    );
    let mut stays = Inserter::new(
        backend,
        "opportunity_stays",
        STAY_COLUMNS,
        config.rows_per_statement,
    );
    let per_transaction = config.opportunities_per_transaction.max(1);
    let mut n = 0;
    while n < config.opportunities {
        let end = (n + per_transaction).min(config.opportunities);
        let txn = db.begin().await?;
        for index in n..end {
            let deal = world.deal(index);
            match deal.state {
                State::Open => generated.open += 1,
                State::Won => generated.won += 1,
                State::Lost => generated.lost += 1,
            }
            generated.reopened += usize::from(deal.reopened);
            generated.stage_changes += deal.changes.len();
            let change_rows: Vec<Vec<Value>> = deal
                .changes
                .iter()
                .enumerate()
                .map(|(k, change)| world.change_row(&deal, k, change))
                .collect();
            // Each change after the creation ends a stay: the read model's row takes the change's id.
            for (k, row) in change_rows.iter().enumerate().skip(1) {
                stays.push(world.stay_row(&deal, k, row[0].clone()));
            }
            change_rows.into_iter().for_each(|row| changes.push(row));
            deals.push(world.deal_row(deal));
            if deals.is_full() {
                // The history only after the deals it belongs to (a foreign key).
                deals.flush(&txn).await?;
                changes.flush_full(&txn).await?;
                stays.flush_full(&txn).await?;
            }
        }
        deals.flush(&txn).await?;
        changes.flush(&txn).await?;
        stays.flush(&txn).await?;
        txn.commit().await?;
        n = end;
    }
    generated.opportunities = config.opportunities;
    Ok(generated)
}

/// The pipeline's stages as the walk sees them: the open stages in order, then won, then lost.
#[derive(Clone, Debug)]
struct Ladder {
    /// Stage keys: `open` open stages, then the won and the lost stage.
    keys: Vec<String>,
    probabilities: Vec<i32>,
    open: usize,
    /// The ladder position from which MAN must be confirmed (the won stage when none is set).
    qualification: usize,
}

impl Ladder {
    async fn load(db: &DatabaseConnection, pipeline_id: Uuid) -> Result<Self, DbErr> {
        let backend = db.get_database_backend();
        let p = placeholder(backend, 1);
        let stages = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT key, probability, closed_won, closed_lost FROM pipeline_stages \
                     WHERE pipeline_id = {p} ORDER BY position"
                ),
                [pipeline_id.into()],
            ))
            .await?;
        let qualification: Option<String> = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT qualification_stage_key FROM pipelines WHERE id = {p}"),
                [pipeline_id.into()],
            ))
            .await?
            .map(|row| row.try_get_by_index(0))
            .transpose()?;
        let (mut open, mut won, mut lost) = (Vec::new(), None, None);
        for row in stages {
            let key: String = row.try_get_by_index(0)?;
            let probability: i32 = row.try_get_by_index(1)?;
            let (closed_won, closed_lost): (bool, bool) =
                (row.try_get_by_index(2)?, row.try_get_by_index(3)?);
            match (closed_won, closed_lost) {
                (true, _) => won = Some((key, probability)),
                (_, true) => lost = Some((key, probability)),
                _ => open.push((key, probability)),
            }
        }
        let (Some(won), Some(lost), false) = (won, lost, open.is_empty()) else {
            return Err(DbErr::Custom(format!(
                "pipeline {pipeline_id} not found, or without open, won and lost stages"
            )));
        };
        let count = open.len();
        let qualification = qualification
            .and_then(|key| open.iter().position(|(k, _)| *k == key))
            .unwrap_or(count);
        let (keys, probabilities) = open.into_iter().chain([won, lost]).unzip();
        Ok(Self {
            keys,
            probabilities,
            open: count,
            qualification,
        })
    }

    fn won(&self) -> usize {
        self.open
    }

    fn lost(&self) -> usize {
        self.open + 1
    }

    /// The odds of the open stage at `position`.
    fn odds(&self, position: usize) -> &'static StageOdds {
        if position + 1 >= self.open {
            &FUNNEL[FUNNEL.len() - 1]
        } else {
            &FUNNEL[position.min(FUNNEL.len() - 2)]
        }
    }
}

/// What happens to a deal in an open stage: it advances, is lost, or (the rest) stays for good.
struct StageOdds {
    advance: f64,
    lost: f64,
    mean_days: f64,
}

/// By open stage; the last row is the last open stage's (advancing from it wins the deal).
const FUNNEL: &[StageOdds] = &[
    StageOdds {
        advance: 0.68,
        lost: 0.15,
        mean_days: 6.0,
    },
    StageOdds {
        advance: 0.74,
        lost: 0.13,
        mean_days: 8.0,
    },
    StageOdds {
        advance: 0.76,
        lost: 0.12,
        mean_days: 12.0,
    },
    StageOdds {
        advance: 0.78,
        lost: 0.12,
        mean_days: 10.0,
    },
    StageOdds {
        advance: 0.74,
        lost: 0.16,
        mean_days: 9.0,
    },
];
/// Where deals start: the first, second or third open stage.
const START_STAGE: &[(usize, f64)] = &[(0, 0.80), (1, 0.15), (2, 0.05)];
const SKIP_A_STAGE: f64 = 0.07;
const REOPEN: f64 = 0.05;
const REOPEN_MEAN_DAYS: f64 = 20.0;
const REOPEN_EARLIER: f64 = 0.15;
/// Deals per month grow linearly: the last month has `1 + GROWTH` times the deals of the first.
const GROWTH: f64 = 1.0;

pub(crate) const TIERS: &[(&str, f64)] = &[
    ("STRATEGIC", 0.05),
    ("KEY", 0.15),
    ("GROWTH", 0.30),
    ("STANDARD", 0.50),
];
/// How much more often an account of each tier (in [`TIERS`] order) gets a deal.
const TIER_DEAL_WEIGHT: [f64; 4] = [4.0, 2.0, 1.0, 0.5];
/// The median deal by tier, in EUR.
const TIER_MEDIAN_AMOUNT: [f64; 4] = [120_000.0, 45_000.0, 15_000.0, 5_000.0];
pub(crate) const RELATIONSHIP_BY_TIER: [&str; 4] = [
    "STRATEGIC_PARTNER",
    "VALUE_ADDED",
    "TRANSACTIONAL",
    "TRANSACTIONAL",
];
pub(crate) const LIFECYCLES: &[(&str, f64)] = &[
    ("ACTIVE", 0.80),
    ("PROSPECT", 0.12),
    ("DORMANT", 0.06),
    ("CHURNED", 0.02),
];
/// Currency, share, units per EUR.
const CURRENCIES: &[(&str, f64, f64)] = &[("EUR", 0.50, 1.0), ("USD", 0.35, 1.1), ("CNY", 0.15, 7.8)];
const WON_REASONS: &[(&str, f64)] = &[
    ("PRODUCT_FIT", 0.40),
    ("RELATIONSHIP", 0.30),
    ("PRICE", 0.20),
    ("TIMING", 0.10),
];
const LOST_REASONS: &[(&str, f64)] = &[
    ("PRICE", 0.25),
    ("COMPETITOR", 0.25),
    ("NO_DECISION", 0.20),
    ("TIMING", 0.12),
    ("PRODUCT_FIT", 0.10),
    ("BUDGET", 0.08),
];
const FORECAST_CATEGORIES: &[&str] = &["PIPELINE", "BEST_CASE", "COMMIT", "OMITTED"];
const COMPETITORS: &[&str] = &[
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay Industries",
    "Stark Industries",
    "Wayne Enterprises",
];
const SOURCES: &[&str] = &[
    "Inbound",
    "Outbound",
    "Referral",
    "Partner",
    "Trade fair",
    "Existing customer",
];
const NEXT_STEPS: &[&str] = &[
    "Schedule a demo",
    "Send the proposal",
    "Follow-up call",
    "Meet the buying committee",
    "Clarify the budget",
    "",
];
const PRODUCTS: &[&str] = &[
    "Platform licence",
    "Renewal",
    "Upsell",
    "Implementation services",
    "Support upgrade",
    "Pilot",
    "Framework agreement",
];
const CLOSE_NOTES: &[&str] = &[
    "Decision taken by the board.",
    "See the meeting notes.",
    "Champion left the company.",
    "Procurement insisted on a tender.",
];
const REOPEN_REASONS: &[&str] = &[
    "Customer came back",
    "Closed by mistake",
    "Budget approved after all",
];
pub(crate) const NAME_PARTS: (&[&str], &[&str]) = (
    &[
        "Nordic", "Atlas", "Blue", "Summit", "Pacific", "Vertex", "Golden", "Iron", "Silver", "Crescent",
    ],
    &[
        "Logistics",
        "Foods",
        "Pharma",
        "Motors",
        "Energy",
        "Retail",
        "Systems",
        "Textiles",
        "Chemicals",
        "Bank",
    ],
);
pub(crate) const INDUSTRIES: &[&str] = &[
    "Manufacturing",
    "Retail",
    "Financial services",
    "Healthcare",
    "Energy",
    "Logistics",
    "Software",
];
pub(crate) const REGIONS: &[&str] = &[
    "DACH",
    "Nordics",
    "Western Europe",
    "North America",
    "Greater China",
    "APAC",
];
pub(crate) const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Chen", "Dana", "Emil", "Fatima", "Georg", "Hana", "Ivan", "Jun",
];
pub(crate) const LAST_NAMES: &[&str] = &[
    "Meier", "Smith", "Wang", "Novak", "Berg", "Rossi", "Tanaka", "Silva", "Kowalski", "Li",
];

/// Random streams, so that accounts, staff and deals draw independently of each other.
const STREAM_STAFF: u64 = 1;
const STREAM_ACCOUNT: u64 = 2;
const STREAM_DEAL: u64 = 3;
const STREAM_ACCOUNT_ROW: u64 = 4;
const STREAM_CHANGE_ROW: u64 = 5;

/// SplitMix64: tiny, fast, and good enough for test data.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// The generator of one row: independent of every other row's and of the order rows are made in.
    pub(crate) fn for_row(seed: u64, stream: u64, index: usize) -> Self {
        let mixed = mix(mix(seed ^ stream.rotate_left(56)) ^ index as u64);
        Self(mixed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub(crate) fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform in 0..n.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `items` by weight (the weights need not add up to 1).
    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, f64)]) -> T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut target = self.f64() * total;
        for (item, weight) in items {
            if target < *weight {
                return *item;
            }
            target -= weight;
        }
        items[items.len() - 1].0
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u = 1.0 - self.f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.f64()).cos()
    }

    /// Erlang-2 with mean `mean`.
    pub(crate) fn erlang2(&mut self, mean: f64) -> f64 {
        -mean / 2.0 * ((1.0 - self.f64()).ln() + (1.0 - self.f64()).ln())
    }
}

pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An `accounts` row (columns [`ACCOUNT_COLUMNS`]) of a live account in `TIERS[tier]`, no external id
/// or parent: industry, region and lifecycle drawn from `rng` in that order; legal name `<name> GmbH`.
pub(crate) fn plain_account_row(
    id: Uuid,
    name: &str,
    rng: &mut Rng,
    tier: usize,
    create_time: DateTime<Utc>,
) -> Vec<Value> {
    vec![
        id.into(),
        Option::<String>::None.into(),
        name.into(),
        format!("{name} GmbH").into(),
        (*rng.pick(INDUSTRIES)).into(),
        (*rng.pick(REGIONS)).into(),
        Option::<Uuid>::None.into(),
        rng.weighted(LIFECYCLES).into(),
        TIERS[tier].0.into(),
        RELATIONSHIP_BY_TIER[tier].into(),
        "RETAIN".into(),
        create_time.into(),
        create_time.into(),
        Option::<DateTime<Utc>>::None.into(),
        1i64.into(),
    ]
}

/// A UUIDv7 of `time`'s millisecond whose 74 random bits are `low`: ids made with increasing
/// `(time, low)` sort (and insert) in that order.
pub(crate) fn uuid_v7(time: DateTime<Utc>, low: u128) -> Uuid {
    let millis = (time.timestamp_millis().max(0) as u128) & ((1 << 48) - 1);
    let rand_a = (low >> 62) & 0xFFF;
    let rand_b = low & ((1 << 62) - 1);
    Uuid::from_u128(millis << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)
}

fn days(days: f64) -> Duration {
    Duration::microseconds((days * 86_400e6) as i64)
}

struct Person {
    id: Uuid,
    create_time: DateTime<Utc>,
    manager: bool,
}

struct Account {
    id: Uuid,
    tier: usize,
    owner: usize,
    create_time: DateTime<Utc>,
}

/// The accounts and staff, made up front: deals pick from them.
struct World<'a> {
    config: &'a GeneratorConfig,
    ladder: Ladder,
    staff: Vec<Person>,
    accounts: Vec<Account>,
    /// Account indices by tier, and the weight with which a deal goes to each tier.
    by_tier: Vec<Vec<usize>>,
    tier_weights: Vec<(usize, f64)>,
    start: DateTime<Utc>,
}

/// One stage change: from (None at creation), to (ladder positions), when, reason.
#[derive(Clone, Debug)]
struct Change {
    from: Option<usize>,
    to: usize,
    time: DateTime<Utc>,
    reason: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    Won,
    Lost,
}

/// One opportunity, before it becomes a row.
struct Deal {
    index: usize,
    id: Uuid,
    account: usize,
    owner: usize,
    state: State,
    changes: Vec<Change>,
    reopened: bool,
    qualified: bool,
    rng: Rng,
}

impl<'a> World<'a> {
    fn new(config: &'a GeneratorConfig, ladder: Ladder) -> Self {
        let start = config.now - config.history;
        let staff: Vec<Person> = (0..config.staff())
            .map(|n| {
                let mut rng = Rng::for_row(config.seed, STREAM_STAFF, n);
                let create_time = start - days(30.0 + 400.0 * rng.f64());
                Person {
                    id: uuid_v7(create_time, (n as u128) << 24 | u128::from(rng.next_u64() >> 40)),
                    create_time,
                    manager: n % 10 == 0,
                }
            })
            .collect();
        let accounts: Vec<Account> = (0..config.accounts())
            .map(|n| {
                let mut rng = Rng::for_row(config.seed, STREAM_ACCOUNT, n);
                let tier =
                    rng.weighted(&[(0, TIERS[0].1), (1, TIERS[1].1), (2, TIERS[2].1), (3, TIERS[3].1)]);
                let create_time = start - days(1.0 + 365.0 * rng.f64());
                Account {
                    id: uuid_v7(create_time, (n as u128) << 24 | u128::from(rng.next_u64() >> 40)),
                    tier,
                    owner: rng.below(staff.len()),
                    create_time,
                }
            })
            .collect();
        let by_tier: Vec<Vec<usize>> = (0..TIERS.len())
            .map(|tier| {
                (0..accounts.len())
                    .filter(|&n| accounts[n].tier == tier)
                    .collect()
            })
            .collect();
        let tier_weights = by_tier
            .iter()
            .enumerate()
            .map(|(tier, members)| (tier, members.len() as f64 * TIER_DEAL_WEIGHT[tier]))
            .collect();
        Self {
            config,
            ladder,
            staff,
            accounts,
            by_tier,
            tier_weights,
            start,
        }
    }

    /// The creation time of the `index`-th deal: increasing with `index`, over a linearly growing rate.
    fn create_time(&self, index: usize, jitter: f64) -> DateTime<Utc> {
        let u = (index as f64 + jitter) / self.config.opportunities.max(1) as f64;
        let x = ((1.0 + 2.0 * GROWTH * u * (1.0 + GROWTH / 2.0)).sqrt() - 1.0) / GROWTH;
        let span = self.config.history.num_microseconds().unwrap_or(i64::MAX) as f64;
        self.start + Duration::microseconds((x.clamp(0.0, 1.0) * span) as i64)
    }

    /// The `index`-th deal: its account, owner, and its walk through the funnel.
    fn deal(&self, index: usize) -> Deal {
        let mut rng = Rng::for_row(self.config.seed, STREAM_DEAL, index);
        let created = self.create_time(index, rng.f64());
        let tier = rng.weighted(&self.tier_weights);
        let account = *rng.pick(&self.by_tier[tier]);
        let owner = if rng.chance(0.8) {
            self.accounts[account].owner
        } else {
            rng.below(self.staff.len())
        };
        let ladder = &self.ladder;
        let now = self.config.now;

        let mut position = rng.weighted(START_STAGE).min(ladder.open - 1);
        let mut changes = vec![Change {
            from: None,
            to: position,
            time: created,
            reason: "",
        }];
        let mut state = State::Open;
        let mut reopened = false;
        let mut furthest = position;
        loop {
            let odds = ladder.odds(position);
            let roll = rng.f64();
            let advance = roll < odds.advance;
            if !advance && roll >= odds.advance + odds.lost {
                break; // stays in this stage for good
            }
            let time = changes[changes.len() - 1].time + days(rng.erlang2(odds.mean_days) + 1.0 / 24.0);
            if time > now {
                break; // would move after `now`: still in this stage
            }
            let to = if advance {
                let step = if rng.chance(SKIP_A_STAGE) { 2 } else { 1 };
                (position + step).min(ladder.won())
            } else {
                ladder.lost()
            };
            let reason = match to {
                to if to == ladder.won() => rng.weighted(WON_REASONS),
                to if to == ladder.lost() => rng.weighted(LOST_REASONS),
                _ => "",
            };
            changes.push(Change {
                from: Some(position),
                to,
                time,
                reason,
            });
            if to < ladder.open {
                position = to;
                furthest = furthest.max(to);
                continue;
            }
            state = if to == ladder.won() {
                furthest = ladder.won();
                State::Won
            } else {
                State::Lost
            };
            if reopened || !rng.chance(REOPEN) {
                break;
            }
            let time = time + days(rng.erlang2(REOPEN_MEAN_DAYS) + 1.0 / 24.0);
            if time > now {
                break;
            }
            let back = if rng.chance(REOPEN_EARLIER) {
                position.saturating_sub(1)
            } else {
                position
            };
            let reason = *rng.pick(REOPEN_REASONS);
            changes.push(Change {
                from: Some(to),
                to: back,
                time,
                reason,
            });
            reopened = true;
            state = State::Open;
            position = back;
        }
        Deal {
            index,
            id: uuid_v7(created, (index as u128) << 24 | u128::from(rng.next_u64() >> 40)),
            account,
            owner,
            state,
            changes,
            reopened,
            qualified: furthest >= ladder.qualification,
            rng,
        }
    }

    fn staff_row(&self, n: usize, person: &Person) -> Vec<Value> {
        let mut rng = Rng::for_row(self.config.seed, STREAM_STAFF, n);
        rng.next_u64();
        let full_name = format!("{} {} {n}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
        let (level, title) = if person.manager {
            ("MANAGER", "Sales manager")
        } else {
            ("STAFF", "Account executive")
        };
        vec![
            person.id.into(),
            full_name.into(),
            format!("gen-{:x}-{n}@example.com", self.config.seed).into(),
            SALES_DEPARTMENT_ID.into(),
            level.into(),
            title.into(),
            true.into(),
            30i32.into(),
            person.create_time.into(),
            person.create_time.into(),
            1i64.into(),
        ]
    }

    fn account_row(&self, n: usize, account: &Account) -> Vec<Value> {
        let mut rng = Rng::for_row(self.config.seed, STREAM_ACCOUNT_ROW, n);
        let name = format!("{} {} {n}", rng.pick(NAME_PARTS.0), rng.pick(NAME_PARTS.1));
        let legal = format!(
            "{name} {}",
            rng.pick(&["GmbH", "Ltd.", "AB", "Co., Ltd.", "Inc.", "S.p.A."])
        );
        let lifecycle = rng.weighted(LIFECYCLES);
        let rad = match lifecycle {
            "PROSPECT" => "ACQUIRE",
            _ if rng.chance(0.5) => "DEVELOP",
            _ => "RETAIN",
        };
        vec![
            account.id.into(),
            Option::<String>::None.into(),
            name.into(),
            legal.into(),
            (*rng.pick(INDUSTRIES)).into(),
            (*rng.pick(REGIONS)).into(),
            Option::<Uuid>::None.into(),
            lifecycle.into(),
            TIERS[account.tier].0.into(),
            RELATIONSHIP_BY_TIER[account.tier].into(),
            rad.into(),
            account.create_time.into(),
            account.create_time.into(),
            Option::<DateTime<Utc>>::None.into(),
            1i64.into(),
        ]
    }

    fn change_row(&self, deal: &Deal, k: usize, change: &Change) -> Vec<Value> {
        let created = deal.changes[0].time;
        // Who made the change: the owner mostly; derived from the deal and k, not from its generator.
        let mut rng = Rng::for_row(self.config.seed, STREAM_CHANGE_ROW, deal.index << 8 | k);
        let by = if rng.chance(0.85) {
            deal.owner
        } else {
            rng.below(self.staff.len())
        };
        vec![
            uuid_v7(
                created,
                (deal.index as u128) << 24 | (k as u128) << 16 | u128::from(rng.next_u64() >> 48),
            )
            .into(),
            deal.id.into(),
            change.from.map(|p| self.ladder.keys[p].clone()).into(),
            self.ladder.keys[change.to].clone().into(),
            change.time.into(),
            self.staff[by].id.into(),
            change.reason.into(),
        ]
    }

    /// The read model's stay ended by change `k` (whose id is `ending_change_id`): the stage entered by
    /// change `k - 1`, its length rounded to the nearest second, as the server records it.
    fn stay_row(&self, deal: &Deal, k: usize, ending_change_id: Value) -> Vec<Value> {
        let (entered, left) = (&deal.changes[k - 1], &deal.changes[k]);
        let millis = (left.time - entered.time).num_milliseconds().max(0);
        vec![
            ending_change_id,
            deal.id.into(),
            self.config.pipeline_id.into(),
            self.accounts[deal.account].id.into(),
            self.ladder.keys[entered.to].clone().into(),
            left.time.into(),
            ((millis + 500) / 1000).into(),
        ]
    }

    fn deal_row(&self, mut deal: Deal) -> Vec<Value> {
        let ladder = &self.ladder;
        let now = self.config.now;
        let rng = &mut deal.rng;
        let account = &self.accounts[deal.account];
        let first = &deal.changes[0];
        let last = &deal.changes[deal.changes.len() - 1];
        let (created, entered) = (first.time, last.time);
        let open = deal.state == State::Open;
        // The read model's furthest stage: the ladder lists the open stages and the won stage in
        // pipeline order, and the lost stage never counts.
        let furthest = deal
            .changes
            .iter()
            .map(|c| c.to)
            .filter(|to| *to != ladder.lost())
            .max()
            .map(|to| ladder.keys[to].clone());

        let external_id = rng
            .chance(0.3)
            .then(|| format!("G{:x}-{:08}", self.config.seed, deal.index));
        let display_name = format!(
            "{} {} {}",
            rng.pick(PRODUCTS),
            created.format("%Y-%m"),
            deal.index
        );
        let amount = rng.chance(0.95).then(|| {
            let currency = rng.weighted(&[(0, CURRENCIES[0].1), (1, CURRENCIES[1].1), (2, CURRENCIES[2].1)]);
            let (currency, _, rate) = CURRENCIES[currency];
            let median = TIER_MEDIAN_AMOUNT[account.tier] * rate;
            let units = (median * (0.8 * rng.normal()).exp()).round().max(1.0) as i64;
            let nanos = if rng.chance(0.1) {
                rng.below(1_000_000_000) as i32
            } else {
                rng.below(100) as i32 * 10_000_000
            };
            (currency, units, nanos)
        });
        let expected_close = rng.chance(0.9).then(|| {
            let date = match deal.state {
                State::Open => {
                    let planned = created + days(30.0 + 150.0 * rng.f64());
                    if planned < now && rng.chance(0.5) {
                        now + days(1.0 + 149.0 * rng.f64())
                    } else {
                        planned
                    }
                }
                _ => entered + days(60.0 * rng.f64() - 30.0),
            };
            date.max(created + days(1.0)).date_naive()
        });
        let stage_probability = ladder.probabilities[last.to];
        let probability_override = (open && rng.chance(0.08)).then(|| {
            let shift = (rng.below(11) as i32 - 5) * 5;
            (stage_probability + shift).clamp(5, 95) / 5 * 5
        });
        let category_override = (open && rng.chance(0.05)).then(|| *rng.pick(FORECAST_CATEGORIES));
        let mut competitors: Vec<&str> = Vec::new();
        for _ in 0..rng.below(4) {
            let competitor = *rng.pick(COMPETITORS);
            if !competitors.contains(&competitor) {
                competitors.push(competitor);
            }
        }
        let source = *rng.pick(SOURCES);
        let next_step = if open { *rng.pick(NEXT_STEPS) } else { "" };
        let qualification = if deal.qualified {
            [true; 3]
        } else {
            [rng.chance(0.25), rng.chance(0.25), rng.chance(0.25)]
        };
        let (outcome, close_reason, close_note, lost_to, close_time) = match deal.state {
            State::Open => (None, "", "", "", None),
            State::Won | State::Lost => {
                let note = if rng.chance(0.3) {
                    *rng.pick(CLOSE_NOTES)
                } else {
                    ""
                };
                let lost_to = match deal.state {
                    State::Lost if !competitors.is_empty() && rng.chance(0.6) => *rng.pick(&competitors),
                    _ => "",
                };
                let outcome = if deal.state == State::Won { "WON" } else { "LOST" };
                (Some(outcome), last.reason, note, lost_to, Some(entered))
            }
        };
        let edited = open && rng.chance(0.4) && entered < now;
        let update_time = if edited {
            entered
                + Duration::microseconds(
                    ((now - entered).num_microseconds().unwrap_or(0) as f64 * rng.f64()) as i64,
                )
        } else {
            entered
        };
        let revision = deal.changes.len() as i64 + i64::from(edited);
        let competitors = serde_json::Value::Array(
            competitors
                .into_iter()
                .map(|c| serde_json::Value::String(c.to_owned()))
                .collect(),
        );
        vec![
            deal.id.into(),
            external_id.into(),
            account.id.into(),
            self.config.pipeline_id.into(),
            ladder.keys[last.to].clone().into(),
            display_name.into(),
            amount.map(|(c, _, _)| c.to_owned()).into(),
            amount.map(|(_, u, _)| u).into(),
            amount.map(|(_, _, n)| n).into(),
            expected_close.into(),
            probability_override.into(),
            category_override.map(str::to_owned).into(),
            self.staff[deal.owner].id.into(),
            Option::<Uuid>::None.into(),
            competitors.into(),
            source.into(),
            next_step.into(),
            qualification[0].into(),
            qualification[1].into(),
            qualification[2].into(),
            outcome.map(str::to_owned).into(),
            close_reason.into(),
            close_note.into(),
            lost_to.into(),
            close_time.into(),
            entered.into(),
            created.into(),
            update_time.into(),
            revision.into(),
            furthest.into(),
        ]
    }
}

pub(crate) const STAFF_COLUMNS: &[&str] = &[
    "id",
    "full_name",
    "email",
    "department_id",
    "level",
    "title",
    "active",
    "max_accounts",
    "create_time",
    "update_time",
    "revision",
];
pub(crate) const ACCOUNT_COLUMNS: &[&str] = &[
    "id",
    "external_id",
    "display_name",
    "legal_name",
    "industry",
    "region",
    "parent_account_id",
    "lifecycle",
    "tier",
    "relationship_stage",
    "rad_status",
    "create_time",
    "update_time",
    "delete_time",
    "revision",
];
const OPPORTUNITY_COLUMNS: &[&str] = &[
    "id",
    "external_id",
    "account_id",
    "pipeline_id",
    "stage",
    "display_name",
    "amount_currency",
    "amount_units",
    "amount_nanos",
    "expected_close_date",
    "probability_override",
    "forecast_category_override",
    "owner_staff_id",
    "stage_owner_staff_id",
    "competitors",
    "source",
    "next_step",
    "budget_confirmed",
    "authority_confirmed",
    "need_confirmed",
    "outcome",
    "close_reason",
    "close_note",
    "lost_to_competitor",
    "close_time",
    "stage_enter_time",
    "create_time",
    "update_time",
    "revision",
    "furthest_stage",
];
const STAGE_CHANGE_COLUMNS: &[&str] = &[
    "id",
    "opportunity_id",
    "from_stage",
    "to_stage",
    "change_time",
    "changed_by",
    "reason",
];
const STAY_COLUMNS: &[&str] = &[
    "id",
    "opportunity_id",
    "pipeline_id",
    "account_id",
    "stage",
    "leave_time",
    "seconds",
];

fn placeholder(backend: DatabaseBackend, n: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Collects rows of one table and writes them with multi-row `INSERT`s of up to `rows` rows.
pub(crate) struct Inserter {
    backend: DatabaseBackend,
    table: &'static str,
    columns: &'static [&'static str],
    rows: usize,
    pending: Vec<Value>,
    /// The SQL of a full statement, made once (the driver then reuses its prepared statement).
    full_sql: Option<String>,
}

impl Inserter {
    pub(crate) fn new(
        backend: DatabaseBackend,
        table: &'static str,
        columns: &'static [&'static str],
        rows: usize,
    ) -> Self {
        let rows = rows.clamp(1, MAX_BIND_PARAMETERS / columns.len());
        Self {
            backend,
            table,
            columns,
            rows,
            pending: Vec::with_capacity(rows * columns.len()),
            full_sql: None,
        }
    }

    pub(crate) fn push(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len(), "a row of {}", self.table);
        self.pending.extend(row);
    }

    pub(crate) fn pending_rows(&self) -> usize {
        self.pending.len() / self.columns.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.pending_rows() >= self.rows
    }

    /// Writes full statements while there are enough rows for one.
    pub(crate) async fn flush_full(&mut self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        while self.is_full() {
            let rest = self.pending.split_off(self.rows * self.columns.len());
            let values = std::mem::replace(&mut self.pending, rest);
            let sql = match &self.full_sql {
                Some(sql) => sql.clone(),
                None => self.full_sql.insert(self.sql(self.rows)).clone(),
            };
            conn.execute_raw(Statement::from_sql_and_values(self.backend, sql, values))
                .await?;
        }
        Ok(())
    }

    /// Writes every pending row.
    pub(crate) async fn flush(&mut self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        self.flush_full(conn).await?;
        let rows = self.pending_rows();
        if rows > 0 {
            let values = std::mem::take(&mut self.pending);
            conn.execute_raw(Statement::from_sql_and_values(
                self.backend,
                self.sql(rows),
                values,
            ))
            .await?;
        }
        Ok(())
    }

    pub(crate) fn sql(&self, rows: usize) -> String {
        let width = self.columns.len();
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", self.table, self.columns.join(", "));
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for column in 0..width {
                if column > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&placeholder(self.backend, row * width + column + 1));
            }
            sql.push(')');
        }
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ladder() -> Ladder {
        let keys = [
            "LEAD",
            "CONTACTED",
            "QUALIFIED",
            "PROPOSAL",
            "NEGOTIATION",
            "WON",
            "LOST",
        ];
        Ladder {
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            probabilities: vec![10, 20, 40, 60, 80, 100, 0],
            open: 5,
            qualification: 2,
        }
    }

    #[test]
    fn deals_are_deterministic_and_consistent() {
        let mut config = GeneratorConfig::new(20_000, 7);
        config.now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let world = World::new(&config, ladder());
        let again = World::new(&config, ladder());
        let (mut won, mut lost, mut open) = (0, 0, 0);
        let mut previous_id = Uuid::nil();
        for index in 0..config.opportunities {
            let deal = world.deal(index);
            let twin = again.deal(index);
            assert_eq!(
                (deal.id, deal.state, deal.changes.len()),
                (twin.id, twin.state, twin.changes.len())
            );
            assert!(deal.id > previous_id, "ids increase with the index");
            previous_id = deal.id;
            assert!(deal.changes.windows(2).all(|w| w[0].time < w[1].time));
            assert!(deal.changes.last().unwrap().time <= config.now);
            assert!(deal.changes[0].time >= config.now - config.history);
            let last = deal.changes.last().unwrap().to;
            match deal.state {
                State::Won => won += 1,
                State::Lost => lost += 1,
                State::Open => open += 1,
            }
            if last >= 2 && last != 6 {
                assert!(deal.qualified, "at or after QUALIFIED, or won: MAN confirmed");
            }
        }
        let share = |n: usize| n as f64 / config.opportunities as f64;
        assert!((0.20..0.32).contains(&share(won)), "won {}", share(won));
        assert!((0.28..0.42).contains(&share(lost)), "lost {}", share(lost));
        assert!((0.32..0.48).contains(&share(open)), "open {}", share(open));
    }

    #[test]
    fn statements_stay_under_the_sqlite_bind_limit() {
        let inserter = Inserter::new(
            DatabaseBackend::Sqlite,
            "opportunities",
            OPPORTUNITY_COLUMNS,
            5_000,
        );
        assert!(inserter.rows * OPPORTUNITY_COLUMNS.len() <= MAX_BIND_PARAMETERS);
        let sql = Inserter::new(DatabaseBackend::Postgres, "t", &["a", "b"], 2).sql(2);
        assert_eq!(sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
    }
}
