//! The database handle: connecting (SQLite tuned for a server, or PostgreSQL), migrating, and running a
//! mutation as one transaction.

use std::{future::Future, sync::Arc, time::Duration};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use kam_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectOptions, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, IsolationLevel, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr},
    sqlx,
};

use self::{
    positional::FromPositions,
    sqlite_readers::{BoundRead, SqliteReaders},
    standby::Standby,
};
use crate::{
    config::Config,
    platform::error::{Error, Result},
};

/// How often a PostgreSQL transaction that lost a serialization race is retried before the client is
/// told to retry (`ABORTED`).
const MAX_SERIALIZATION_RETRIES: usize = 8;

/// When this process last found the database gone (see [`outage::record`]).
pub mod outage {
    use std::{
        sync::{
            OnceLock,
            atomic::{AtomicU64, Ordering},
        },
        time::{Duration, Instant},
    };

    /// How long after a failure the pool keeps testing the connections opened before it: long enough
    /// for every pooled connection to be handed out once at a low call rate, short enough that a
    /// healthy pool soon stops paying the round trip.
    const RECOVERY: Duration = Duration::from_secs(60);

    static EPOCH: OnceLock<Instant> = OnceLock::new();
    /// Milliseconds from [`EPOCH`] to the last failure, plus one; 0 for none.
    static LAST: AtomicU64 = AtomicU64::new(0);

    fn since_epoch() -> Duration {
        EPOCH.get_or_init(Instant::now).elapsed()
    }

    /// Notes that a connection broke or the server refused it (a restart, a failover). Every pooled
    /// connection opened before may be dead too: without a test, each would fail one call of its own.
    pub fn record() {
        let millis = u64::try_from(since_epoch().as_millis()).unwrap_or(u64::MAX - 1);
        LAST.store(millis + 1, Ordering::Relaxed);
    }

    /// Whether a pooled connection opened `age` ago predates a recent failure, so that it must be
    /// tested (a ping) before it is handed out.
    pub fn may_have_broken(age: Duration) -> bool {
        let last = LAST.load(Ordering::Relaxed);
        if last == 0 {
            return false;
        }
        let since_failure = since_epoch().saturating_sub(Duration::from_millis(last - 1));
        since_failure < RECOVERY && age >= since_failure
    }
}

pub mod positional;
mod sqlite_readers;
pub mod standby;

/// The transaction handed to [`Db::write`]'s work.
pub type Tx = Arc<DatabaseTransaction>;

#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    /// Where reports may read while it keeps up (`database_read_url`).
    standby: Option<Arc<Standby>>,
    /// SQLite's writers, in the order they came. SQLite has one writer at a time, and a transaction
    /// that finds the write lock taken waits in SQLite's busy handler, which sleeps and polls with
    /// growing pauses: whoever polls at the right moment goes first. Under 32 concurrent creates that
    /// put p99 at 245 ms for a median of 12 ms; queueing here first (a fair, first-come lock: p99
    /// 37–46 ms, docs/benchmarks.md) leaves the busy handler only other processes on the same file.
    writers: Option<Arc<tokio::sync::Mutex<()>>>,
    /// Read-only connections for the hot reads on a SQLite file (none in memory, none on PostgreSQL).
    sqlite_readers: Option<Arc<SqliteReaders>>,
}

impl Db {
    /// Connects to `config.database_url`. A URL without a scheme is taken as a SQLite file path.
    ///
    /// With `database_read_url` set, also to that standby, lazily: the server starts while the standby
    /// is down, and reports read from the primary until the standby is reached and keeps up.
    pub async fn connect(config: &Config) -> Result<Self, DbErr> {
        let url = normalize_url(&config.database_url);
        let file = sqlite_file(&url);
        if let Some(file) = &file {
            create_private(file).map_err(|e| {
                DbErr::Custom(format!("cannot create the SQLite file {}: {e}", file.display()))
            })?;
        }
        let conn = Database::connect(pool_options(url, config.db_max_connections)).await?;
        let standby = match &config.database_read_url {
            Some(read_url) => {
                let mut options = pool_options(read_url.clone(), config.db_max_connections);
                options.min_connections(0).connect_lazy(true);
                let standby = Arc::new(Standby::new(
                    Database::connect(options).await?,
                    config.database_read_max_lag,
                ));
                standby.start_probe(conn.clone());
                Some(standby)
            }
            None => None,
        };
        let writers = (conn.get_database_backend() == DatabaseBackend::Sqlite)
            .then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Self {
            conn,
            standby,
            writers,
            sqlite_readers: file.map(|file| Arc::new(SqliteReaders::new(file))),
        })
    }

    /// The handle reports read through: the standby's while it lags less than
    /// `database_read_max_lag`, else this one. Only for reads that may show the data as it was that
    /// long ago; never for a read that must see the caller's own writes, nor for a write.
    pub fn for_reports(&self) -> Db {
        let conn = self.standby.as_deref().and_then(Standby::if_fresh);
        match conn {
            Some(conn) => Db {
                conn: conn.clone(),
                standby: None,
                writers: None,
                sqlite_readers: None,
            },
            None => self.clone(),
        }
    }

    /// Closes the pools (and stops the standby's lag probe): what shutdown does last.
    pub async fn close(&self) -> Result<(), DbErr> {
        if let Some(standby) = &self.standby {
            standby.close().await?;
        }
        self.conn.clone().close().await
    }

    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    /// A read by key on a hot path: the first row of `statement`, decoded by position. On a SQLite
    /// file it runs on this thread, on a read-only connection of its own ([`SqliteReaders`]: no
    /// worker-thread hops); elsewhere through the pool.
    pub async fn read_one<T: FromPositions>(&self, statement: Statement) -> Result<Option<T>> {
        match self.on_sqlite_readers(statement) {
            Ok((readers, read)) => readers.read_one(&read),
            Err(statement) => positional::read_one(&self.conn, statement).await,
        }
    }

    /// A page of rows on a hot path, decoded by position. On a SQLite file it runs on a blocking
    /// thread, on a read-only connection of its own (one hop there and back, and no copy of every
    /// value as sqlx makes); elsewhere through the pool.
    pub async fn read_all<T: FromPositions + Send + 'static>(&self, statement: Statement) -> Result<Vec<T>> {
        match self.on_sqlite_readers(statement) {
            Ok((readers, read)) => {
                let stopped = |e: &dyn std::fmt::Display| {
                    Error::Database(DbErr::Custom(format!("a SQLite read stopped: {e}")))
                };
                let _turn = readers.page_turns.acquire().await.map_err(|e| stopped(&e))?;
                let reading = Arc::clone(&readers);
                tokio::task::spawn_blocking(move || reading.read_all(&read))
                    .await
                    .map_err(|e| stopped(&e))?
            }
            Err(statement) => positional::read_all(&self.conn, statement).await,
        }
    }

    /// `statement` bound for this database's [`SqliteReaders`], or back when there are none (an
    /// in-memory SQLite database, PostgreSQL) or it binds a kind of value they leave to sqlx.
    fn on_sqlite_readers(&self, statement: Statement) -> Result<(Arc<SqliteReaders>, BoundRead), Statement> {
        let Some(readers) = &self.sqlite_readers else {
            return Err(statement);
        };
        BoundRead::new(statement).map(|read| (Arc::clone(readers), read))
    }

    /// Runs `work` as one transaction and commits it, or rolls back on error (or if the caller's future
    /// is dropped, e.g. a cancelled client): a mutation is written whole or not at all.
    ///
    /// Writers are serialized so that rules spanning several rows (no parent cycle, one account manager
    /// per account) hold under concurrency: SQLite takes the write lock at `BEGIN IMMEDIATE`, each
    /// writer in its turn (`writers`);
    /// PostgreSQL runs SERIALIZABLE and `work` is run again when it loses a serialization race.
    ///
    /// `work` gets the transaction as a shared handle rather than a reference: a future borrowing a
    /// higher-ranked `&DatabaseTransaction` cannot be proven `Send`, which tonic needs.
    pub async fn write<T, Fut>(&self, work: impl Fn(Tx) -> Fut) -> Result<T>
    where
        Fut: Future<Output = Result<T>>,
    {
        self.write_at(IsolationLevel::Serializable, work).await
    }

    /// [`Db::write`] for a batch of rows that stand alone — an import's upsert by external id, whose
    /// every check is either a constraint (the unique key, the foreign keys) or a read whose later change
    /// cannot make the write wrong (an account soft-deleted meanwhile keeps its revenue) — run READ
    /// COMMITTED on PostgreSQL: no serialization failures between batches, so several can be in flight.
    pub async fn write_rows<T, Fut>(&self, work: impl Fn(Tx) -> Fut) -> Result<T>
    where
        Fut: Future<Output = Result<T>>,
    {
        self.write_at(IsolationLevel::ReadCommitted, work).await
    }

    async fn write_at<T, Fut>(&self, isolation: IsolationLevel, work: impl Fn(Tx) -> Fut) -> Result<T>
    where
        Fut: Future<Output = Result<T>>,
    {
        let _turn = match &self.writers {
            Some(writers) => Some(writers.lock().await),
            None => None,
        };
        for attempt in 0..=MAX_SERIALIZATION_RETRIES {
            let txn = Arc::new(
                self.conn
                    .begin_with_options(self.write_options(isolation))
                    .await?,
            );
            let outcome = work(Arc::clone(&txn)).await;
            let txn = Arc::into_inner(txn).expect("the work future has finished with the transaction");
            let outcome = match outcome {
                Ok(value) => txn.commit().await.map(|()| value).map_err(Error::from),
                Err(err) => {
                    txn.rollback().await?;
                    Err(err)
                }
            };
            match outcome {
                Err(err) if is_retryable(&err) => {
                    tracing::debug!(attempt, "write conflict, retrying the transaction");
                    tokio::time::sleep(Duration::from_millis(2u64 << attempt.min(6))).await;
                }
                other => return other,
            }
        }
        Err(Error::Contention)
    }

    /// A read-only transaction over one consistent snapshot, for reports that read several tables:
    /// REPEATABLE READ on PostgreSQL; on SQLite every read transaction already is one.
    pub async fn snapshot(&self) -> Result<DatabaseTransaction> {
        let options = match self.backend() {
            DatabaseBackend::Sqlite => TransactionOptions::default(),
            _ => TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(AccessMode::ReadOnly),
                ..Default::default()
            },
        };
        Ok(self.conn.begin_with_options(options).await?)
    }

    fn write_options(&self, isolation: IsolationLevel) -> TransactionOptions {
        match self.backend() {
            DatabaseBackend::Sqlite => TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            },
            _ => TransactionOptions {
                isolation_level: Some(isolation),
                access_mode: Some(AccessMode::ReadWrite),
                ..Default::default()
            },
        }
    }
}

/// The pool settings of the primary and of the standby.
fn pool_options(url: String, max_connections: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Pinging every connection before each use doubled the round trips of a simple read; only a
        // connection idle long enough to have been dropped by a proxy or restart is tested.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .map_sqlx_postgres_before_acquire(|conn, connection| {
            Box::pin(async move {
                if outage::may_have_broken(connection.age) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // A batch lookup returns thousands of rows; the worker thread hands them over in
                // chunks this large instead of stopping every 50 for the task to catch up.
                .row_buffer_size(4096)
        });
    options
}

/// The current time at the precision both backends keep (microseconds), so what is read back equals
/// what was written.
pub fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::microseconds(1))
        .expect("microseconds always divide a timestamp")
}

/// `LOWER(column) LIKE '%needle%'`, with the needle's own wildcards escaped. Works the same on SQLite
/// and PostgreSQL (whose LIKE is case-sensitive).
pub fn contains_ignoring_case(column: impl ColumnTrait, needle: &str) -> SimpleExpr {
    let escaped = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

fn normalize_url(url: &str) -> String {
    if url.contains("://") || url.starts_with("sqlite:") {
        url.to_owned()
    } else {
        format!("sqlite://{url}?mode=rwc")
    }
}

/// The file a SQLite URL names, or `None` for PostgreSQL and in-memory databases.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr as _;
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

/// Creates the SQLite file, if missing, readable and writable by its owner only (0600), and takes any
/// other access away from an existing one and its WAL files: API key hashes and personal data live
/// there. SQLite gives the `-wal` and `-shm` files it creates the mode of the database file, whatever
/// the umask, so a private database file keeps them private too.
#[cfg(unix)]
fn create_private(file: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(file)?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let path = std::path::Path::new(&name);
        match std::fs::metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn create_private(_file: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}

/// A lost race that is safe to run again from the start: PostgreSQL's "could not serialize access"
/// (40001) and deadlock (40P01), which the error mapping makes [`Error::Contention`], or that error
/// raised by the work itself.
fn is_retryable(err: &Error) -> bool {
    matches!(err, Error::Contention)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_path_means_a_sqlite_file() {
        assert_eq!(normalize_url("data/kam.db"), "sqlite://data/kam.db?mode=rwc");
        assert_eq!(
            normalize_url("sqlite://kam.db?mode=rwc"),
            "sqlite://kam.db?mode=rwc"
        );
        assert_eq!(normalize_url("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    #[cfg(unix)]
    fn the_sqlite_files_are_private_whatever_the_umask_left_them() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kam.db");
        let mode = |name: &str| {
            std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        create_private(&file).unwrap();
        assert_eq!(mode("kam.db"), 0o600, "a new file");

        // An existing database from before, world-readable, with its WAL.
        for name in ["kam.db", "kam.db-wal"] {
            let path = dir.path().join(name);
            std::fs::write(&path, "").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        create_private(&file).unwrap();
        assert_eq!((mode("kam.db"), mode("kam.db-wal")), (0o600, 0o600));
        assert!(!dir.path().join("kam.db-shm").exists(), "nothing else is created");
    }

    #[test]
    fn only_sqlite_files_are_created_ahead() {
        assert_eq!(
            sqlite_file("sqlite://data/kam.db?mode=rwc").as_deref(),
            Some(std::path::Path::new("data/kam.db"))
        );
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://?mode=memory"), None);
    }
}
