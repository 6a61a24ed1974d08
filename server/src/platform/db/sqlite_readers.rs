//! Hot reads on a SQLite file without sqlx's worker threads.
//!
//! sqlx runs every SQLite connection on a thread of its own: each statement is a message to that
//! thread and a reply back, two thread wake-ups and context switches, and every value of every row
//! is copied (`sqlite3_value_dup`) to cross over. For a read by primary key, which SQLite answers from
//! its page cache in a few microseconds, the hops were most of the cost: `GetAccount` spent ~90 µs
//! of CPU on sqlx's worker threads alone; for a page of 50 accounts the copies were (malloc and free
//! made a quarter of the profile). See docs/benchmarks.md, account throughput, for the figures.
//!
//! These connections are read-only, opened on the same file (WAL mode lets readers run beside the
//! writer and see what it committed), and run their statement on the calling thread: a point read
//! ([`SqliteReaders::read_one`]) runs there on the async worker; a page of rows
//! ([`SqliteReaders::read_all`]), whose filter may scan, is run on a blocking thread by the caller.

use std::{
    path::PathBuf,
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags};
use sea_orm::{Statement, Value};

use super::positional::{FromPositions, sqlite_error};
use crate::platform::error::Result;

/// Pages of rows read at once on blocking threads; more wait their turn (`SqliteReaders::page_turns`).
const PAGES_AT_ONCE: usize = 16;
/// Idle connections kept for reuse: enough for the pages read at once and the point reads of every
/// async worker, so that a connection (and its prepared statements, and the schema it parsed) is
/// not opened again under load. Opening one per read cost more than the read.
const MAX_IDLE: usize = PAGES_AT_ONCE + 16;
/// Statements kept prepared per connection.
const PREPARED_PER_CONNECTION: usize = 32;

#[derive(Debug)]
pub struct SqliteReaders {
    file: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Turns to read a page on a blocking thread: without a bound, 32 lists at once held 32
    /// threads and as many connections.
    pub(super) page_turns: tokio::sync::Semaphore,
}

impl SqliteReaders {
    pub fn new(file: PathBuf) -> Self {
        Self {
            file,
            idle: Mutex::new(Vec::new()),
            page_turns: tokio::sync::Semaphore::new(PAGES_AT_ONCE),
        }
    }

    /// The first row of `read`, decoded by position, read on this thread.
    pub fn read_one<T: FromPositions>(&self, read: &BoundRead) -> Result<Option<T>> {
        self.query(read, |mut rows| match rows.next().map_err(sqlite_error)? {
            Some(row) => T::from_positions(row).map(Some),
            None => Ok(None),
        })
    }

    /// Every row of `read`, decoded by position, read on this thread.
    pub fn read_all<T: FromPositions>(&self, read: &BoundRead) -> Result<Vec<T>> {
        self.query(read, |mut rows| {
            let mut decoded = Vec::new();
            while let Some(row) = rows.next().map_err(sqlite_error)? {
                decoded.push(T::from_positions(row)?);
            }
            Ok(decoded)
        })
    }

    /// Runs `read` on a connection of its own, its statement prepared once per connection, and hands
    /// the rows to `collect`.
    fn query<T>(&self, read: &BoundRead, collect: impl FnOnce(rusqlite::Rows<'_>) -> Result<T>) -> Result<T> {
        self.with_connection(|conn| {
            let mut prepared = conn.prepare_cached(&read.sql).map_err(sqlite_error)?;
            let rows = prepared
                .query(rusqlite::params_from_iter(&read.parameters))
                .map_err(sqlite_error)?;
            collect(rows)
        })
    }

    fn with_connection<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self.lock().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let outcome = read(&conn);
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        outcome
    }

    fn open(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.file, flags).map_err(sqlite_error)?;
        // A checkpoint or the WAL's recovery may hold a lock for a moment; wait like the pool does.
        conn.busy_timeout(Duration::from_secs(10)).map_err(sqlite_error)?;
        conn.set_prepared_statement_cache_capacity(PREPARED_PER_CONNECTION);
        Ok(conn)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A statement with its values as these connections bind them.
pub struct BoundRead {
    sql: String,
    parameters: Vec<rusqlite::types::Value>,
}

impl BoundRead {
    /// `statement` ready to run here, or back when it binds a kind of value these reads leave to
    /// sqlx.
    pub fn new(statement: Statement) -> Result<Self, Statement> {
        let values = statement.values.as_ref().map_or(&[][..], |values| &values.0[..]);
        match values.iter().map(parameter).collect::<Option<Vec<_>>>() {
            Some(parameters) => Ok(Self {
                sql: statement.sql,
                parameters,
            }),
            None => Err(statement),
        }
    }
}

/// A value bound as sqlx binds it on SQLite (a UUID as its 16 bytes, a timestamp as RFC 3339 text:
/// SQLite compares the text), or `None` for the kinds these reads leave to sqlx.
fn parameter(value: &Value) -> Option<rusqlite::types::Value> {
    use rusqlite::types::Value as Sqlite;
    Some(match value {
        Value::Uuid(Some(id)) => Sqlite::Blob(id.as_bytes().to_vec()),
        Value::ChronoDateTimeUtc(Some(time)) => {
            Sqlite::Text(time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
        }
        Value::String(Some(text)) => Sqlite::Text(text.clone()),
        Value::BigInt(Some(n)) => Sqlite::Integer(*n),
        Value::Int(Some(n)) => Sqlite::Integer(i64::from(*n)),
        Value::Unsigned(Some(n)) => Sqlite::Integer(i64::from(*n)),
        // A LIMIT or OFFSET; sqlx binds it as i64 too, and refuses one past i64::MAX.
        Value::BigUnsigned(Some(n)) => Sqlite::Integer(i64::try_from(*n).ok()?),
        Value::Bool(Some(b)) => Sqlite::Integer(i64::from(*b)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use sea_orm::{DatabaseBackend, Values};
    use uuid::Uuid;

    use super::*;
    use crate::platform::db::positional::PositionalRow;

    #[derive(Debug, PartialEq)]
    struct Visit {
        id: Uuid,
        place: Option<String>,
        time: DateTime<Utc>,
    }

    impl FromPositions for Visit {
        fn from_positions(row: &impl PositionalRow) -> Result<Self> {
            Ok(Self {
                id: row.uuid(0)?,
                place: row.optional_text(1)?,
                time: row.time(2)?,
            })
        }
    }

    fn statement(sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, Values(values))
    }

    #[test]
    fn reads_what_sqlx_wrote_binding_values_as_sqlx_does() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("visits.db");
        let writer = Connection::open(&file).unwrap();
        writer
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE visits (id BLOB, place TEXT, time TEXT)")
            .unwrap();
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        let morning: DateTime<Utc> = "2026-12-07T09:00:00.250Z".parse().unwrap();
        let noon: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        for (id, place, time) in [(first, Some("Plant 1"), morning), (second, None, noon)] {
            // As sqlx writes them: a UUID as its bytes, a time as RFC 3339 with an offset.
            let time = time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
            writer
                .execute(
                    "INSERT INTO visits VALUES (?, ?, ?)",
                    rusqlite::params![&id.as_bytes()[..], place, time],
                )
                .unwrap();
        }

        let readers = SqliteReaders::new(file);
        let by_id = statement(
            "SELECT id, place, time FROM visits WHERE id = ?",
            vec![second.into()],
        );
        let found: Option<Visit> = readers.read_one(&BoundRead::new(by_id).ok().unwrap()).unwrap();
        assert_eq!(
            found,
            Some(Visit {
                id: second,
                place: None,
                time: noon
            })
        );

        // A time compares as the text sqlx would have bound; a limit binds as an integer.
        let after = statement(
            "SELECT id, place, time FROM visits WHERE time > ? ORDER BY time LIMIT ?",
            vec![morning.into(), Value::BigUnsigned(Some(5))],
        );
        let later: Vec<Visit> = readers.read_all(&BoundRead::new(after).ok().unwrap()).unwrap();
        assert_eq!(later.iter().map(|visit| visit.id).collect::<Vec<_>>(), [second]);
    }

    #[test]
    fn a_value_these_reads_do_not_bind_leaves_the_statement_to_sqlx() {
        let sql = "SELECT id FROM visits WHERE score > ?";
        let refused = BoundRead::new(statement(sql, vec![Value::Double(Some(0.5))]));
        assert_eq!(refused.err().map(|statement| statement.sql), Some(sql.to_owned()));
        let too_big = BoundRead::new(statement(sql, vec![Value::BigUnsigned(Some(u64::MAX))]));
        assert!(too_big.is_err(), "sqlx refuses a limit past i64::MAX too");
    }
}
