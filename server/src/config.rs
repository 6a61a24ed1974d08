//! Server configuration, layered: built-in defaults → optional TOML file → `KAM_*` environment → CLI
//! flags. Each layer only overrides what it sets.

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};
use serde::Deserialize;

// Each section is defined by the area it configures, next to the code that reads it.
pub use crate::{
    identity::config::{JwtAlgorithm, JwtConfig, RateLimit, StaffClaim},
    integration::config::IntegrationConfig,
    notifications::config::{KeyDateNotice, NotificationsConfig},
    planning::config::PlanningConfig,
    service_levels::config::SlaConfig,
    teams::config::{TierCoverage, default_coverage},
    webhooks::config::WebhooksConfig,
};
// The platform's: how replicas on one database count each other.
pub use crate::platform::replicas::ReplicasConfig;

/// Everything the server needs to start. `Config::default()` is the newcomer's setup: listen on
/// 127.0.0.1:50051 and keep the data in `kam.db` in the working directory.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the gRPC (and gRPC-Web) listener binds to.
    pub listen_addr: SocketAddr,
    /// `sqlite://PATH?mode=rwc` (or a bare file path) for the embedded store, `postgres://…` for PostgreSQL.
    pub database_url: String,
    /// A PostgreSQL streaming standby of `database_url` that reports may read from while it lags less
    /// than `database_read_max_lag` (see `Db::for_reports`). Unset: everything reads the primary.
    pub database_read_url: Option<String>,
    /// How far behind the primary the standby may be for reports to read from it.
    #[serde(with = "seconds")]
    pub database_read_max_lag: Duration,
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
    /// How replicas on one database count each other, to split the request and failed-authentication
    /// budgets among them.
    pub replicas: ReplicasConfig,
    /// Revenue and tiering.
    pub planning: PlanningConfig,
    /// The integration API: the event stream, the change feed and how long the outbox keeps events.
    pub integration: IntegrationConfig,
    /// Delivering events to webhook subscriptions.
    pub webhooks: WebhooksConfig,
    /// The watcher that raises warnings and files each person's notifications.
    pub notifications: NotificationsConfig,
}

/// Background jobs (the SLA monitor, the webhook dispatcher, the outbox pruner) run on every replica, but only the one holding a
/// job's lease runs that job; the holder renews it at each run.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// How long a lease lasts past its last renewal: after a holder dies, another replica takes the
    /// job over within this period plus that job's interval. Longer than the SLA monitor's interval,
    /// or the lease lapses between two scans (harmless, but the job may hop between replicas).
    pub lease_seconds: u64,
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

impl Default for Config {
    fn default() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            database_url: "sqlite://kam.db?mode=rwc".to_owned(),
            database_read_url: None,
            database_read_max_lag: Duration::from_secs(5),
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
            replicas: ReplicasConfig::default(),
            planning: PlanningConfig::default(),
            integration: IntegrationConfig::default(),
            webhooks: WebhooksConfig::default(),
            notifications: NotificationsConfig::default(),
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
    /// `postgres://user@standby/db`: a streaming standby that reports may read from.
    #[arg(long, env = "KAM_DATABASE_READ_URL")]
    pub database_read_url: Option<String>,
    /// Seconds.
    #[arg(long, env = "KAM_DATABASE_READ_MAX_LAG")]
    pub database_read_max_lag: Option<u64>,
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
            database_read_url,
            database_read_max_lag,
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
        if let Some(v) = database_read_url {
            self.database_read_url = Some(v);
        }
        if let Some(v) = database_read_max_lag {
            self.database_read_max_lag = Duration::from_secs(v);
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

    /// The standby's URL with any password replaced, safe to log.
    pub fn redacted_database_read_url(&self) -> Option<String> {
        self.database_read_url.as_deref().map(redact_password)
    }

    /// A standby only stands beside a PostgreSQL primary, and is used only while it lags less than an
    /// hour: a report that old is no report.
    pub fn validate_databases(&self) -> Result<(), String> {
        let Some(read_url) = &self.database_read_url else {
            return Ok(());
        };
        let is_postgres = |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        if !is_postgres(read_url) || !is_postgres(&self.database_url) {
            return Err(
                "database_read_url must be a postgres:// URL, beside a postgres:// database_url".to_owned(),
            );
        }
        let max_lag = self.database_read_max_lag;
        if max_lag < Duration::from_secs(1) || max_lag > MAX_READ_LAG {
            return Err(format!(
                "database_read_max_lag must be 1..={} seconds, not {}",
                MAX_READ_LAG.as_secs(),
                max_lag.as_secs()
            ));
        }
        Ok(())
    }
}

/// The most a standby may lag for reports to read from it (`database_read_max_lag`).
const MAX_READ_LAG: Duration = Duration::from_secs(3600);

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
    fn a_standby_stands_beside_a_postgres_primary_and_may_lag_a_second_to_an_hour() {
        let with = |primary: &str, standby: &str, max_lag: u64| Config {
            database_url: primary.to_owned(),
            database_read_url: Some(standby.to_owned()),
            database_read_max_lag: Duration::from_secs(max_lag),
            ..Config::default()
        };
        assert_eq!(Config::default().validate_databases(), Ok(()), "no standby");
        assert_eq!(
            with("postgres://p/kam", "postgresql://s/kam", 5).validate_databases(),
            Ok(())
        );
        assert_eq!(
            with("postgres://p/kam", "postgres://s/kam", 3600).validate_databases(),
            Ok(())
        );
        for (primary, standby, max_lag) in [
            ("sqlite://kam.db?mode=rwc", "postgres://s/kam", 5),
            ("postgres://p/kam", "sqlite://copy.db", 5),
            ("postgres://p/kam", "postgres://s/kam", 0),
            ("postgres://p/kam", "postgres://s/kam", 3601),
        ] {
            let refused = with(primary, standby, max_lag).validate_databases().unwrap_err();
            assert!(refused.starts_with("database_read"), "{refused}");
        }
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
