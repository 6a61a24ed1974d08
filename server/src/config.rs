//! Server configuration, layered: built-in defaults → optional TOML file → `KAM_*` environment → CLI
//! flags. Each layer only overrides what it sets.

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};
use serde::Deserialize;

use crate::{
    accounts::model::Tier,
    planning::{rules::cadence::Cadence, rules::health::HealthConfig, rules::tiering::TierShares},
};

/// Everything the server needs to start. `Config::default()` is the newcomer's setup: listen on
/// 127.0.0.1:50051 and keep the data in `kam.db` in the working directory.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the gRPC (and gRPC-Web) listener binds to.
    pub listen_addr: SocketAddr,
    /// `sqlite://PATH?mode=rwc` (or a bare file path) for the embedded store, `postgres://…` for PostgreSQL.
    pub database_url: String,
    /// Run pending migrations at start.
    pub migrate: bool,
    /// Largest pool of database connections.
    pub db_max_connections: u32,
    pub log_format: LogFormat,
    /// A `tracing_subscriber::EnvFilter` directive; `RUST_LOG` wins when set.
    pub log_filter: String,
    /// Largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// A request still running after this is cancelled. A shorter client deadline wins.
    #[serde(with = "seconds")]
    pub request_timeout: Duration,
    /// Concurrent requests served per HTTP/2 connection; further requests queue.
    pub concurrency_per_connection: usize,
    /// How long shutdown waits for in-flight requests before it drops them.
    #[serde(with = "seconds")]
    pub drain_timeout: Duration,
    /// What an account of each tier needs on its team, keyed by tier name (`STRATEGIC`, `KEY`, …).
    /// A tier without an entry needs nothing. The file replaces the whole table when it sets one.
    pub coverage: BTreeMap<String, TierCoverage>,
    /// Where the first start writes the ADMIN key. Unset: `kam-admin.key` next to the SQLite database,
    /// or in the working directory for PostgreSQL.
    pub admin_key_file: Option<PathBuf>,
    /// Serve the web app from this directory (a build of `clients/web`, `npm run build`) instead of the
    /// build embedded in the binary: a newer app without a new server, or the app as just built.
    pub web_root: Option<PathBuf>,
    /// Bearer tokens from the company's SSO. Unset: only API keys authenticate.
    pub jwt: Option<JwtConfig>,
    /// The request budget of each principal.
    pub rate_limit: RateLimit,
    /// Failed authentications allowed per client address: past them, a credential that is not already
    /// known good is refused (RESOURCE_EXHAUSTED) before it costs a lookup. Set both keys.
    pub failed_auth_limit: RateLimit,
    /// The SLA breach monitor.
    pub sla: SlaConfig,
    /// The background jobs every replica runs, one replica at a time.
    pub jobs: JobsConfig,
    /// Revenue and tiering.
    pub planning: PlanningConfig,
    /// The integration API: the event stream, the change feed and how long the outbox keeps events.
    pub integration: IntegrationConfig,
    /// Delivering events to webhook subscriptions.
    pub webhooks: WebhooksConfig,
}

/// The integration API: the event stream, the change feed and the outbox's retention.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrationConfig {
    /// How long an open `WatchEvents` stream waits, once it has caught up, before it looks for new
    /// events again, in milliseconds: the stream's delay at most, and one small query per stream each
    /// time.
    pub watch_poll_millis: u64,
    /// How long a `ListChanges` sync token stays good, in days; an older one is refused with
    /// SYNC_TOKEN_EXPIRED and the client starts over with a full sync.
    pub sync_token_retention_days: u32,
    /// How long outbox events are kept, in days, before the pruner deletes them (the audit trail is
    /// kept). Unset: [`Self::sync_token_retention_days`] plus a day of grace; when set, it must be
    /// longer than that (see [`Self::outbox_retention`]).
    pub outbox_retention_days: Option<u32>,
    /// Seconds between two runs of the outbox pruner; at least 1.
    pub prune_interval_secs: u64,
    /// How many `WatchEvents` streams one principal may hold open at once; one more answers
    /// RESOURCE_EXHAUSTED (TOO_MANY_STREAMS). Each stream is a task and a database read per poll.
    pub max_streams_per_principal: usize,
    /// How far back, in days, the `open_time` of a service request that `ImportServiceRequests` opens
    /// may lie; an older one is a row error. Every read replays a ticket's SLA clock from its opening a
    /// day at a time, so this bounds what one imported ticket costs each read. At least 1.
    pub open_time_horizon_days: u32,
}

impl IntegrationConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.watch_poll_millis < 10 {
            return Err("integration.watch_poll_millis: at least 10".to_owned());
        }
        if self.sync_token_retention_days == 0 {
            return Err("integration.sync_token_retention_days: at least 1".to_owned());
        }
        let (outbox, tokens) = (self.outbox_retention(), self.sync_token_retention_days);
        if outbox <= tokens {
            return Err(format!(
                "integration.outbox_retention_days ({outbox}) must be greater than \
                 integration.sync_token_retention_days ({tokens}): a sync token that is still good must \
                 find the events after it (leave it unset for {tokens} + 1)"
            ));
        }
        if self.max_streams_per_principal == 0 {
            return Err("integration.max_streams_per_principal: at least 1".to_owned());
        }
        if self.prune_interval_secs == 0 {
            return Err("integration.prune_interval_secs: at least 1".to_owned());
        }
        if self.open_time_horizon_days == 0 {
            return Err("integration.open_time_horizon_days: at least 1".to_owned());
        }
        Ok(())
    }

    /// How many days outbox events are kept: `outbox_retention_days`, else a day longer than sync tokens
    /// live. The day of grace: a token issued at T names a feed position, and on PostgreSQL an event
    /// after that position may have been written (its `occurred_at`) a little before T, by a transaction
    /// that began before T and committed after. Pruning exactly at the tokens' lifetime could delete such
    /// an event while a good token still needs it.
    pub fn outbox_retention(&self) -> u32 {
        self.outbox_retention_days
            .unwrap_or_else(|| self.sync_token_retention_days.saturating_add(1))
    }
}

impl Default for IntegrationConfig {
    fn default() -> Self {
        Self {
            watch_poll_millis: 500,
            sync_token_retention_days: 30,
            outbox_retention_days: None,
            prune_interval_secs: 3600,
            max_streams_per_principal: 16,
            open_time_horizon_days: 365,
        }
    }
}

/// Account planning: the one currency revenue is reported in, and the tier boundaries.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PlanningConfig {
    /// ISO 4217: revenue records in any other currency are refused (KAM converts no currencies).
    pub reporting_currency: String,
    pub tiers: TierShares,
    /// How often each tier wants an executive visit and an account-manager touch, keyed by tier name;
    /// a tier without an entry has no cadence. A file that sets it replaces the whole table.
    pub cadence: BTreeMap<String, Cadence>,
    /// Account health: signal weights and thresholds.
    pub health: HealthConfig,
}

impl Default for PlanningConfig {
    fn default() -> Self {
        Self {
            reporting_currency: "EUR".to_owned(),
            tiers: TierShares::default(),
            // A strategic account sees an executive every month and someone from its team every two
            // weeks; a key account half as often; the other tiers have no cadence.
            cadence: BTreeMap::from([
                (
                    "STRATEGIC".to_owned(),
                    Cadence {
                        executive_visit_days: 30,
                        touch_days: 14,
                    },
                ),
                (
                    "KEY".to_owned(),
                    Cadence {
                        executive_visit_days: 60,
                        touch_days: 30,
                    },
                ),
            ]),
            health: HealthConfig::default(),
        }
    }
}

impl PlanningConfig {
    /// Refuses a currency that is not three upper-case letters, and shares out of order.
    pub fn validate(&self) -> Result<(), String> {
        let currency = &self.reporting_currency;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "planning.reporting_currency must be an ISO 4217 code (three upper-case letters), got {currency:?}"
            ));
        }
        if let Some(unknown) = self.cadence.keys().find(|tier| Tier::from_name(tier).is_none()) {
            return Err(format!("planning.cadence: unknown tier {unknown:?}"));
        }
        if let Some((tier, _)) = self
            .cadence
            .iter()
            .find(|(_, c)| c.executive_visit_days == 0 || c.touch_days == 0)
        {
            return Err(format!(
                "planning.cadence.{tier}: intervals must be at least one day"
            ));
        }
        self.health.validate()?;
        self.tiers.validate()
    }

    /// The cadence of `tier`, if it has one.
    pub fn cadence_of(&self, tier: Tier) -> Option<Cadence> {
        self.cadence.get(tier.as_str()).copied()
    }
}

/// The breach monitor: how often it looks for requests coming due.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SlaConfig {
    /// Seconds between two scans; 0 turns the monitor off on this replica. Of several replicas on one
    /// database, the one holding the monitor's lease scans (`jobs.lease_seconds`).
    pub monitor_interval_seconds: u64,
    /// Due requests fetched per batch query of a scan.
    pub monitor_batch_size: u64,
}

impl Default for SlaConfig {
    fn default() -> Self {
        Self {
            monitor_interval_seconds: 30,
            monitor_batch_size: 500,
        }
    }
}

/// Background jobs (the SLA monitor, the outbox pruner) run on every replica, but only the one holding a
/// job's lease runs that job; the holder renews it at each run.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// How long a lease lasts past its last renewal: after a holder dies, another replica takes the
    /// job over within this period plus that job's interval. Longer than the SLA monitor's interval,
    /// or the lease lapses between two scans (harmless, but the job may hop between replicas).
    pub lease_seconds: u64,
}

/// Delivering events to webhook subscriptions (`WebhookService`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// How long the dispatcher waits, once every subscription is up to date or waiting for a retry,
    /// before it looks again.
    pub poll_millis: u64,
    /// The longest one delivery may take, connecting included; longer is a failed attempt.
    pub timeout_seconds: u64,
    /// How long a subscription keeps retrying the event that fails before it turns FAILING and pauses.
    pub retry_seconds: u64,
    /// Networks (`10.0.0.0/8`, `127.0.0.1/32`, `::1/128`) that webhook URLs may reach although they are
    /// internal (loopback, private, link-local …): on-premise receivers. Empty: public addresses only.
    pub allowed_networks: Vec<String>,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            poll_millis: 500,
            timeout_seconds: 10,
            retry_seconds: 86_400,
            allowed_networks: Vec::new(),
        }
    }
}

/// Thirty days: an endpoint down for longer is gone, and the outbox may not keep its events anyway.
const MAX_RETRY_SECONDS: u64 = 30 * 86_400;

impl WebhooksConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.poll_millis < 10 {
            return Err("webhooks.poll_millis: at least 10".to_owned());
        }
        if !(1..=300).contains(&self.timeout_seconds) {
            return Err("webhooks.timeout_seconds: 1 to 300".to_owned());
        }
        if !(1..=MAX_RETRY_SECONDS).contains(&self.retry_seconds) {
            return Err(format!(
                "webhooks.retry_seconds: 1 to {MAX_RETRY_SECONDS} (30 days)"
            ));
        }
        crate::webhooks::guard::AddressPolicy::new(&self.allowed_networks)
            .map(|_| ())
            .map_err(|bad| format!("webhooks.allowed_networks: {bad}"))
    }
}

/// A day: a lease longer than that only delays taking over from a dead replica.
const MAX_LEASE_SECONDS: u64 = 86_400;

impl Default for JobsConfig {
    fn default() -> Self {
        Self { lease_seconds: 60 }
    }
}

impl JobsConfig {
    pub fn lease_period(&self) -> Duration {
        Duration::from_secs(self.lease_seconds)
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_LEASE_SECONDS).contains(&self.lease_seconds) {
            return Err(format!(
                "jobs.lease_seconds must be 1..={MAX_LEASE_SECONDS}, not {}",
                self.lease_seconds
            ));
        }
        Ok(())
    }
}

/// How bearer tokens are checked: one issuer, one audience, one pinned algorithm.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    pub issuer: String,
    pub audience: String,
    pub algorithm: JwtAlgorithm,
    /// The SSO's RSA public key (RS256).
    pub public_key_pem_file: Option<PathBuf>,
    /// The shared secret (HS256), at least 32 bytes; better set through `KAM_JWT_SECRET`.
    pub secret: Option<String>,
    /// Which claim names the staff member.
    pub staff_claim: StaffClaim,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum JwtAlgorithm {
    #[default]
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "HS256")]
    Hs256,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StaffClaim {
    /// `email`: the staff member with that email (case-insensitive).
    #[default]
    Email,
    /// `sub`: the staff member with that id.
    Sub,
}

/// A token bucket per principal: `burst` requests at once, refilled at `requests_per_second`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimit {
    /// 0 turns the limit off.
    pub requests_per_second: u32,
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests_per_second: 100,
            burst: 200,
        }
    }
}

/// The team an account of one tier must have: the roles it needs filled and the departments it needs a
/// liaison from.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TierCoverage {
    /// Team roles that need an active holder, e.g. `ACCOUNT_MANAGER`.
    pub roles: Vec<String>,
    /// Department codes that need an active liaison, e.g. `CUSTOMER_SERVICE`.
    pub liaisons: Vec<String>,
}

fn default_coverage() -> BTreeMap<String, TierCoverage> {
    let tier = |roles: &[&str], liaisons: &[&str]| TierCoverage {
        roles: roles.iter().map(|r| r.to_string()).collect(),
        liaisons: liaisons.iter().map(|l| l.to_string()).collect(),
    };
    BTreeMap::from([
        (
            "STRATEGIC".to_owned(),
            tier(
                &["ACCOUNT_MANAGER", "EXECUTIVE_SPONSOR"],
                &["CUSTOMER_SERVICE", "TECHNICAL"],
            ),
        ),
        (
            "KEY".to_owned(),
            tier(&["ACCOUNT_MANAGER", "EXECUTIVE_SPONSOR"], &["CUSTOMER_SERVICE"]),
        ),
    ])
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            database_url: "sqlite://kam.db?mode=rwc".to_owned(),
            migrate: true,
            db_max_connections: 16,
            log_format: LogFormat::Text,
            log_filter: "info".to_owned(),
            max_message_bytes: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            concurrency_per_connection: 64,
            drain_timeout: Duration::from_secs(15),
            coverage: default_coverage(),
            admin_key_file: None,
            web_root: None,
            jwt: None,
            rate_limit: RateLimit::default(),
            failed_auth_limit: RateLimit {
                requests_per_second: 1,
                burst: 20,
            },
            sla: SlaConfig::default(),
            jobs: JobsConfig::default(),
            planning: PlanningConfig::default(),
            integration: IntegrationConfig::default(),
            webhooks: WebhooksConfig::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Command-line flags; each also reads its `KAM_*` environment variable when the flag is absent.
#[derive(Debug, Default, Parser)]
#[command(
    name = "kam-server",
    version,
    about = "KAM key-account-management gRPC server"
)]
pub struct Flags {
    /// TOML file with any of the settings below (snake_case keys).
    #[arg(long, env = "KAM_CONFIG")]
    pub config: Option<PathBuf>,
    #[arg(long, env = "KAM_LISTEN_ADDR")]
    pub listen_addr: Option<SocketAddr>,
    /// `sqlite://kam.db?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, env = "KAM_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Do not run migrations at start (the schema must already be current).
    #[arg(long, env = "KAM_NO_MIGRATE")]
    pub no_migrate: bool,
    #[arg(long, env = "KAM_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    #[arg(long, env = "KAM_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    #[arg(long, env = "KAM_LOG_FILTER")]
    pub log_filter: Option<String>,
    #[arg(long, env = "KAM_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Seconds.
    #[arg(long, env = "KAM_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    #[arg(long, env = "KAM_CONCURRENCY_PER_CONNECTION")]
    pub concurrency_per_connection: Option<usize>,
    /// Seconds.
    #[arg(long, env = "KAM_DRAIN_TIMEOUT")]
    pub drain_timeout: Option<u64>,
    /// Where the first start writes the ADMIN key.
    #[arg(long, env = "KAM_ADMIN_KEY_FILE")]
    pub admin_key_file: Option<PathBuf>,
    /// Serve the web app from this directory instead of the build embedded in the binary.
    #[arg(long, env = "KAM_WEB_ROOT")]
    pub web_root: Option<PathBuf>,
    /// The HS256 secret of bearer tokens (the rest of `[jwt]` comes from the config file). An
    /// environment variable only: a flag would show the secret in `ps`.
    #[arg(skip)]
    pub jwt_secret: Option<String>,
    /// Seconds between two scans of the SLA breach monitor; 0 turns it off.
    #[arg(long, env = "KAM_SLA_MONITOR_INTERVAL_SECONDS")]
    pub sla_monitor_interval_seconds: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid config file {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
}

impl Config {
    /// Builds the configuration from every layer. The file named by `--config`/`KAM_CONFIG` is optional.
    pub fn load(flags: Flags) -> Result<Self, ConfigError> {
        let base = match &flags.config {
            Some(path) => Self::from_toml_file(path)?,
            None => Self::default(),
        };
        Ok(base.overridden_by(flags))
    }

    fn from_toml_file(path: &PathBuf) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.clone(),
            source,
        })
    }

    fn overridden_by(mut self, flags: Flags) -> Self {
        let Flags {
            config: _,
            listen_addr,
            database_url,
            no_migrate,
            db_max_connections,
            log_format,
            log_filter,
            max_message_bytes,
            request_timeout,
            concurrency_per_connection,
            drain_timeout,
            admin_key_file,
            web_root,
            jwt_secret,
            sla_monitor_interval_seconds,
        } = flags;
        if let Some(v) = listen_addr {
            self.listen_addr = v;
        }
        if let Some(v) = database_url {
            self.database_url = v;
        }
        if no_migrate {
            self.migrate = false;
        }
        if let Some(v) = db_max_connections {
            self.db_max_connections = v;
        }
        if let Some(v) = log_format {
            self.log_format = v;
        }
        if let Some(v) = log_filter {
            self.log_filter = v;
        }
        if let Some(v) = max_message_bytes {
            self.max_message_bytes = v;
        }
        if let Some(v) = request_timeout {
            self.request_timeout = Duration::from_secs(v);
        }
        if let Some(v) = concurrency_per_connection {
            self.concurrency_per_connection = v;
        }
        if let Some(v) = drain_timeout {
            self.drain_timeout = Duration::from_secs(v);
        }
        if let Some(v) = admin_key_file {
            self.admin_key_file = Some(v);
        }
        if let Some(v) = web_root {
            self.web_root = Some(v);
        }
        if let Some(v) = sla_monitor_interval_seconds {
            self.sla.monitor_interval_seconds = v;
        }
        let jwt_secret = jwt_secret.or_else(|| std::env::var("KAM_JWT_SECRET").ok());
        if let (Some(jwt), Some(secret)) = (self.jwt.as_mut(), jwt_secret) {
            jwt.secret = Some(secret);
        }
        self
    }

    /// Where the first start writes the ADMIN key: the configured file, else `kam-admin.key` next to
    /// the SQLite database, else (PostgreSQL) in the working directory.
    pub fn admin_key_path(&self) -> PathBuf {
        const FILE_NAME: &str = "kam-admin.key";
        if let Some(path) = &self.admin_key_file {
            return path.clone();
        }
        let sqlite_file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| (!self.database_url.contains("://")).then_some(self.database_url.as_str()))
            .map(|rest| rest.split('?').next().unwrap_or_default());
        match sqlite_file
            .map(std::path::Path::new)
            .and_then(|file| file.parent())
        {
            Some(dir) => dir.join(FILE_NAME),
            None => PathBuf::from(FILE_NAME),
        }
    }

    /// The database URL with any password replaced, safe to log.
    pub fn redacted_database_url(&self) -> String {
        redact_password(&self.database_url)
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_newcomer_setup() {
        let config = Config::load(Flags::default()).unwrap();
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:50051");
        assert_eq!(config.database_url, "sqlite://kam.db?mode=rwc");
        assert!(config.migrate);
        assert_eq!(
            config.coverage["STRATEGIC"].liaisons,
            ["CUSTOMER_SERVICE", "TECHNICAL"]
        );
        assert!(!config.coverage.contains_key("STANDARD"));
    }

    #[test]
    fn a_job_lease_lasts_a_second_to_a_day() {
        assert_eq!(Config::default().jobs.lease_period(), Duration::from_secs(60));
        for good in [1, 60, 86_400] {
            assert_eq!(JobsConfig { lease_seconds: good }.validate(), Ok(()), "{good}");
        }
        for bad in [0, 86_401, u64::MAX] {
            let refused = JobsConfig { lease_seconds: bad }.validate().unwrap_err();
            assert!(refused.contains("jobs.lease_seconds"), "{refused}");
        }
        let config: Config = toml::from_str("[jobs]\nlease_seconds = 15\n").unwrap();
        assert_eq!(config.jobs.lease_seconds, 15);
    }

    #[test]
    fn the_sla_monitor_runs_every_30_seconds_unless_configured() {
        assert_eq!(Config::default().sla.monitor_interval_seconds, 30);
        let config: Config = toml::from_str("[sla]\nmonitor_interval_seconds = 5\n").unwrap();
        assert_eq!(config.sla.monitor_interval_seconds, 5);
        assert_eq!(config.sla.monitor_batch_size, 500);
        let flags = Flags {
            sla_monitor_interval_seconds: Some(0),
            ..Flags::default()
        };
        assert_eq!(config.overridden_by(flags).sla.monitor_interval_seconds, 0);
    }

    #[test]
    fn the_outbox_outlives_sync_tokens_by_a_day_unless_configured() {
        let defaults = IntegrationConfig::default();
        assert_eq!(defaults.outbox_retention(), 31);
        assert_eq!(defaults.prune_interval_secs, 3600);
        assert_eq!(defaults.validate(), Ok(()));

        let config: Config =
            toml::from_str("[integration]\nsync_token_retention_days = 7\nprune_interval_secs = 60\n")
                .unwrap();
        assert_eq!(
            config.integration.outbox_retention(),
            8,
            "follows the tokens' lifetime"
        );
        assert_eq!(config.integration.prune_interval_secs, 60);
        let config: Config = toml::from_str("[integration]\noutbox_retention_days = 90\n").unwrap();
        assert_eq!(config.integration.outbox_retention(), 90);
        assert_eq!(config.integration.validate(), Ok(()));
    }

    #[test]
    fn an_outbox_kept_no_longer_than_sync_tokens_live_is_refused() {
        let with = |outbox: Option<u32>, tokens: u32| IntegrationConfig {
            outbox_retention_days: outbox,
            sync_token_retention_days: tokens,
            ..IntegrationConfig::default()
        };
        for (outbox, tokens) in [(30, 30), (29, 30), (0, 1)] {
            let err = with(Some(outbox), tokens).validate().unwrap_err();
            assert!(
                err.starts_with("integration.outbox_retention_days") && err.contains("greater than"),
                "{err}"
            );
        }
        assert_eq!(with(Some(31), 30).validate(), Ok(()));
        // Tokens that live forever leave no room for a longer outbox.
        assert!(with(None, u32::MAX).validate().is_err());
        let never = IntegrationConfig {
            prune_interval_secs: 0,
            ..IntegrationConfig::default()
        };
        assert_eq!(
            never.validate(),
            Err("integration.prune_interval_secs: at least 1".to_owned())
        );
    }

    #[test]
    fn coverage_requirements_come_from_the_file() {
        let config: Config =
            toml::from_str("[coverage.STANDARD]\nroles = [\"ACCOUNT_MANAGER\"]\nliaisons = [\"SALES\"]\n")
                .unwrap();
        assert_eq!(config.coverage.len(), 1);
        assert_eq!(config.coverage["STANDARD"].roles, ["ACCOUNT_MANAGER"]);
    }

    #[test]
    fn file_overrides_defaults_and_flags_override_file() {
        let dir = std::env::temp_dir().join(format!("kam-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kam.toml");
        std::fs::write(
            &path,
            "listen_addr = \"0.0.0.0:6000\"\nrequest_timeout = 5\nlog_format = \"json\"\n",
        )
        .unwrap();
        let flags = Flags {
            config: Some(path),
            listen_addr: Some("127.0.0.1:7000".parse().unwrap()),
            no_migrate: true,
            ..Flags::default()
        };
        let config = Config::load(flags).unwrap();
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:7000");
        assert_eq!(config.request_timeout, Duration::from_secs(5));
        assert_eq!(config.log_format, LogFormat::Json);
        assert!(!config.migrate);
        assert_eq!(config.max_message_bytes, Config::default().max_message_bytes);
    }

    #[test]
    fn the_admin_key_lands_next_to_the_sqlite_database() {
        let with_url = |url: &str| Config {
            database_url: url.to_owned(),
            ..Config::default()
        };
        assert_eq!(Config::default().admin_key_path(), PathBuf::from("kam-admin.key"));
        assert_eq!(
            with_url("sqlite:///var/lib/kam/kam.db?mode=rwc").admin_key_path(),
            PathBuf::from("/var/lib/kam/kam-admin.key")
        );
        assert_eq!(
            with_url("data/kam.db").admin_key_path(),
            PathBuf::from("data/kam-admin.key")
        );
        assert_eq!(
            with_url("postgres://kam@db/kam").admin_key_path(),
            PathBuf::from("kam-admin.key")
        );
        let chosen = Config {
            admin_key_file: Some("/etc/kam/admin.key".into()),
            ..Config::default()
        };
        assert_eq!(chosen.admin_key_path(), PathBuf::from("/etc/kam/admin.key"));
    }

    #[test]
    fn jwt_settings_come_from_the_file() {
        let config: Config = toml::from_str(
            "[jwt]\nissuer = \"https://sso\"\naudience = \"kam\"\nalgorithm = \"HS256\"\nstaff_claim = \"sub\"\n",
        )
        .unwrap();
        let jwt = config.jwt.unwrap();
        assert_eq!(jwt.algorithm, JwtAlgorithm::Hs256);
        assert_eq!(jwt.staff_claim, StaffClaim::Sub);
        assert!(toml::from_str::<Config>("[jwt]\nalgorithm = \"none\"\n").is_err());
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let parsed: Result<Config, _> = toml::from_str("listen = \"x\"");
        assert!(parsed.is_err());
    }

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact_password("postgres://kam:secret@db:5432/kam"),
            "postgres://kam:***@db:5432/kam"
        );
        assert_eq!(redact_password("postgres://kam@db/kam"), "postgres://kam@db/kam");
        assert_eq!(
            redact_password("sqlite://kam.db?mode=rwc"),
            "sqlite://kam.db?mode=rwc"
        );
    }
}
