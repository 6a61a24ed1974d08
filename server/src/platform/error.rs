//! The one error type of the server and its one mapping to `tonic::Status`.
//!
//! Every status carries `google.rpc.ErrorInfo` (reason in UPPER_SNAKE_CASE, domain `kam.v1`). Bad input
//! carries `BadRequest` field violations, broken business rules a `PreconditionFailure` naming the rule.
//! Bad input is never INTERNAL.

use std::{collections::HashMap, fmt};

use sea_orm::DbErr;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every KAM error.
pub const ERROR_DOMAIN: &str = "kam.v1";

/// One invalid request field, named by its path in the request message (`account.display_name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// A business rule the request would break (refusals carry `PreconditionFailure`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleViolation {
    /// The rule's name in UPPER_SNAKE_CASE, e.g. `PARENT_CYCLE`.
    pub rule: &'static str,
    /// What the rule was checked on, e.g. `accounts/0192…`.
    pub subject: String,
    pub description: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid argument: {}", describe_fields(.0))]
    InvalidArgument(Vec<FieldViolation>),
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: String },
    #[error("{resource} with {field} {value:?} already exists")]
    AlreadyExists {
        resource: &'static str,
        field: &'static str,
        value: String,
    },
    #[error("{}", describe_rules(.0))]
    FailedPrecondition(Vec<RuleViolation>),
    #[error("{resource} {id} was changed by someone else: its etag no longer matches")]
    EtagMismatch { resource: &'static str, id: String },
    /// Concurrent writers kept conflicting after every retry.
    #[error("too much contention on the data; retry")]
    Contention,
    /// No credentials, or credentials that do not identify an active staff member. The reason stays
    /// vague on purpose: a caller probing keys learns nothing about which part was wrong.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The principal may not make this call, or may not see the resource it names.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The principal spent its request budget.
    #[error("rate limit exceeded; retry in {} ms", .retry_after.as_millis())]
    RateLimited { retry_after: std::time::Duration },
    /// The principal holds as many open streams as it may (`integration.max_streams_per_principal`).
    #[error("too many open streams: at most {limit} per principal; close one first")]
    TooManyStreams { limit: usize },
    #[error("the database is unavailable: {0}")]
    Unavailable(DbErr),
    #[error("database error: {0}")]
    Database(DbErr),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    pub fn rule(rule: &'static str, subject: impl Into<String>, description: impl Into<String>) -> Self {
        Self::FailedPrecondition(vec![RuleViolation {
            rule,
            subject: subject.into(),
            description: description.into(),
        }])
    }

    pub fn not_found(resource: &'static str, id: impl fmt::Display) -> Self {
        Self::NotFound {
            resource,
            id: id.to_string(),
        }
    }

    /// ALREADY_EXISTS when `err` is a unique-key violation (on `field`), else the database error.
    pub fn unique_violation(
        err: DbErr,
        resource: &'static str,
        field: &'static str,
        value: Option<&str>,
    ) -> Self {
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Self::AlreadyExists {
                resource,
                field,
                value: value.unwrap_or_default().to_owned(),
            },
            _ => err.into(),
        }
    }

    /// [`Error::Contention`] when `err` is a unique-key violation: a concurrent writer took the slot
    /// first, and the retried transaction will see it. Any other error passes through.
    pub fn contention_on_unique(err: DbErr) -> Self {
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Self::Contention,
            _ => err.into(),
        }
    }

    /// A stored enumeration name this build does not know: the data is newer than the code.
    pub fn unknown_stored_value(column: &str, raw: &str) -> Self {
        Self::Database(DbErr::Custom(format!("unknown stored {column} {raw:?}")))
    }

    /// The `ErrorInfo.reason`: stable, machine-readable, UPPER_SNAKE_CASE.
    fn reason(&self) -> String {
        match self {
            Self::InvalidArgument(_) => "INVALID_ARGUMENT".to_owned(),
            Self::NotFound { resource, .. } => format!("{}_NOT_FOUND", resource.to_uppercase()),
            Self::AlreadyExists { resource, .. } => {
                format!("{}_ALREADY_EXISTS", resource.to_uppercase())
            }
            // Several broken rules share the first one's reason; each is named in the details.
            Self::FailedPrecondition(violations) => violations
                .first()
                .map_or("FAILED_PRECONDITION", |v| v.rule)
                .to_owned(),
            Self::EtagMismatch { .. } => "ETAG_MISMATCH".to_owned(),
            Self::Contention => "CONTENTION".to_owned(),
            Self::Unauthenticated(_) => "UNAUTHENTICATED".to_owned(),
            Self::PermissionDenied(_) => "PERMISSION_DENIED".to_owned(),
            Self::RateLimited { .. } => "RATE_LIMITED".to_owned(),
            Self::TooManyStreams { .. } => "TOO_MANY_STREAMS".to_owned(),
            Self::Unavailable(_) => "DATABASE_UNAVAILABLE".to_owned(),
            Self::Database(_) => "INTERNAL".to_owned(),
        }
    }

    fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::AlreadyExists { .. } => Code::AlreadyExists,
            Self::FailedPrecondition(_) => Code::FailedPrecondition,
            Self::EtagMismatch { .. } | Self::Contention => Code::Aborted,
            Self::Unauthenticated(_) => Code::Unauthenticated,
            Self::PermissionDenied(_) => Code::PermissionDenied,
            Self::RateLimited { .. } | Self::TooManyStreams { .. } => Code::ResourceExhausted,
            Self::Unavailable(_) => Code::Unavailable,
            Self::Database(_) => Code::Internal,
        }
    }
}

fn describe_rules(violations: &[RuleViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.rule, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_fields(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<FieldViolation> for Error {
    fn from(violation: FieldViolation) -> Self {
        Self::InvalidArgument(vec![violation])
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            crate::platform::db::outage::record();
            Self::Unavailable(err)
        } else if is_lost_race(&err) {
            Self::Contention
        } else {
            Self::Database(err)
        }
    }
}

/// Whether `err` is PostgreSQL's "could not serialize access" (40001) or a deadlock (40P01): a race
/// lost to another transaction, safe to run again from the start. A write runs itself again; a read
/// meets it on a standby, whose replay cancels a report reading rows it must remove ("conflict with
/// recovery", also 40001), and the client is told to retry (ABORTED), not that the server failed.
fn is_lost_race(err: &DbErr) -> bool {
    matches!(
        sqlx_error(err),
        Some(sea_orm::sqlx::Error::Database(db)) if matches!(db.code().as_deref(), Some("40001" | "40P01"))
    )
}

/// The sqlx error behind a statement that failed. sea-orm wraps the same sqlx error as `Exec` or
/// `Query` depending on where it struck (a connection dropped mid-transaction surfaces from whichever
/// statement was running), so the sqlx error itself tells what happened.
fn sqlx_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    use sea_orm::RuntimeErr;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// How long a client is told to wait before retrying a call the database could not serve: about what a
/// PostgreSQL restart or failover takes.
pub const UNAVAILABLE_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether `err` says the database could not be reached rather than that the statement was wrong: the
/// pool found no connection in time or is closed, or the connection broke before or during the
/// statement (a PostgreSQL restart, failover or network cut). Such a call may succeed when made again,
/// so the client is told UNAVAILABLE, never INTERNAL.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx;
    if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
        return true;
    }
    let Some(sqlx_err) = sqlx_error(err) else {
        return false;
    };
    match sqlx_err {
        // The socket broke (reset, refused, EOF), the TLS session over it broke, or the server stopped
        // mid-message ("connection closed", "unexpected end of stream").
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| is_unavailable_sqlstate(&code) || is_sqlite_busy(&code)),
        _ => false,
    }
}

/// SQLite's SQLITE_BUSY (5) and its extended codes (`5 | n << 8`): another writer held the database for
/// longer than the busy timeout (10 s), which is a full pool's answer, not a wrong statement. sqlx gives
/// SQLite's extended result code as a decimal string; PostgreSQL's SQLSTATEs are always five
/// characters, so the two cannot be confused.
fn is_sqlite_busy(code: &str) -> bool {
    code.len() < 5 && code.parse::<u32>().is_ok_and(|code| code & 0xff == 5)
}

/// PostgreSQL SQLSTATEs that mean "not now" rather than "not this": class 08 (connection exception),
/// 57P01 admin shutdown (a restart terminates every session), 57P02 crash shutdown, 57P03 cannot
/// connect now (still starting, or in recovery after a failover), 53300 too many connections, and
/// 25006 read-only transaction (a write reached a standby that has not yet been promoted).
fn is_unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300" | "25006")
}

impl From<FieldViolation> for Status {
    fn from(violation: FieldViolation) -> Self {
        Error::from(violation).into()
    }
}

/// How much of an error reaches the client, in bytes of UTF-8. Messages and details often quote the
/// request, and they travel in HTTP/2 trailers, the message percent-encoded (a byte can become three)
/// and the details again inside `grpc-status-details-bin`: a request of a 1 MiB string or 40,000 bad
/// items must not get trailers larger than clients accept, which breaks the connection instead of
/// saying what was wrong.
const MAX_MESSAGE_BYTES: usize = 1000;
const MAX_DETAIL_BYTES: usize = 200;
const MAX_VIOLATIONS: usize = 20;

/// `text` cut to at most `max` bytes, on a character boundary, marked as cut.
fn clipped(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let end = (0..=max).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    format!("{}…", &text[..end])
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let code = err.code();
        let mut metadata = HashMap::new();
        let mut details = ErrorDetails::new();
        let detail = |text: &str| clipped(text, MAX_DETAIL_BYTES);
        // Internal details stay in the log; the client learns only that it was our fault.
        let message = match &err {
            Error::Database(db) => {
                tracing::error!(error = %db, "database error");
                "internal error".to_owned()
            }
            Error::Unavailable(db) => {
                tracing::warn!(error = %db, "database unavailable");
                "the database is unavailable; retry".to_owned()
            }
            other => clipped(&other.to_string(), MAX_MESSAGE_BYTES),
        };
        match &err {
            Error::InvalidArgument(violations) => {
                for violation in violations.iter().take(MAX_VIOLATIONS) {
                    details
                        .add_bad_request_violation(detail(&violation.field), detail(&violation.description));
                }
            }
            Error::FailedPrecondition(violations) => {
                for violation in violations.iter().take(MAX_VIOLATIONS) {
                    details.add_precondition_failure_violation(
                        violation.rule,
                        detail(&violation.subject),
                        detail(&violation.description),
                    );
                }
            }
            Error::NotFound { resource, id } => {
                metadata.insert("resource".to_owned(), (*resource).to_owned());
                metadata.insert("id".to_owned(), detail(id));
            }
            Error::AlreadyExists {
                resource,
                field,
                value,
            } => {
                metadata.insert("resource".to_owned(), (*resource).to_owned());
                metadata.insert("field".to_owned(), (*field).to_owned());
                metadata.insert("value".to_owned(), detail(value));
            }
            Error::EtagMismatch { resource, id } => {
                metadata.insert("resource".to_owned(), (*resource).to_owned());
                metadata.insert("id".to_owned(), detail(id));
            }
            Error::RateLimited { retry_after } => {
                details.set_retry_info(Some(*retry_after));
            }
            Error::Unavailable(_) => {
                details.set_retry_info(Some(UNAVAILABLE_RETRY_AFTER));
            }
            Error::Contention
            | Error::TooManyStreams { .. }
            | Error::Unauthenticated(_)
            | Error::PermissionDenied(_)
            | Error::Database(_) => {}
        }
        details.set_error_info(err.reason(), ERROR_DOMAIN, metadata);
        Status::with_error_details(code, message, details)
    }
}

/// Collects every invalid field of a request, so the client learns all of them at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Keeps the value when it parsed; records the violation otherwise.
    pub fn take<T>(&mut self, parsed: Result<T, FieldViolation>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(violation) => {
                self.0.push(violation);
                None
            }
        }
    }

    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidArgument(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(status: &Status) -> ErrorDetails {
        status.get_error_details()
    }

    #[test]
    fn validation_errors_carry_field_violations_and_error_info() {
        let status = Status::from(Error::InvalidArgument(vec![
            FieldViolation::new("account.display_name", "must not be empty"),
            FieldViolation::new("page_size", "must not be negative"),
        ]));
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = details(&status);
        let fields: Vec<_> = details
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["account.display_name", "page_size"]);
        let info = details.error_info().unwrap();
        assert_eq!(info.domain, ERROR_DOMAIN);
        assert_eq!(info.reason, "INVALID_ARGUMENT");
    }

    #[test]
    fn rule_refusals_name_the_rule() {
        let status = Status::from(Error::rule("PARENT_CYCLE", "accounts/a", "a cycle"));
        assert_eq!(status.code(), Code::FailedPrecondition);
        let details = details(&status);
        let violation = &details.precondition_failure().unwrap().violations[0];
        assert_eq!(violation.r#type, "PARENT_CYCLE");
        assert_eq!(details.error_info().unwrap().reason, "PARENT_CYCLE");
    }

    #[test]
    fn every_variant_maps_to_its_code_with_error_info() {
        let cases = [
            (
                Error::not_found("account", "x"),
                Code::NotFound,
                "ACCOUNT_NOT_FOUND",
            ),
            (
                Error::AlreadyExists {
                    resource: "account",
                    field: "external_id",
                    value: "E1".into(),
                },
                Code::AlreadyExists,
                "ACCOUNT_ALREADY_EXISTS",
            ),
            (
                Error::EtagMismatch {
                    resource: "account",
                    id: "x".into(),
                },
                Code::Aborted,
                "ETAG_MISMATCH",
            ),
            (Error::Contention, Code::Aborted, "CONTENTION"),
            (
                Error::Unauthenticated("missing credentials"),
                Code::Unauthenticated,
                "UNAUTHENTICATED",
            ),
            (
                Error::PermissionDenied("x".into()),
                Code::PermissionDenied,
                "PERMISSION_DENIED",
            ),
            (
                Error::TooManyStreams { limit: 16 },
                Code::ResourceExhausted,
                "TOO_MANY_STREAMS",
            ),
            (
                Error::from(DbErr::Custom("boom".into())),
                Code::Internal,
                "INTERNAL",
            ),
        ];
        for (error, code, reason) in cases {
            let status = Status::from(error);
            assert_eq!(status.code(), code);
            let details = details(&status);
            let info = details.error_info().unwrap();
            assert_eq!(
                (info.reason.as_str(), info.domain.as_str()),
                (reason, ERROR_DOMAIN)
            );
        }
    }

    #[test]
    fn rate_limits_say_when_to_retry() {
        let retry_after = std::time::Duration::from_millis(250);
        let status = Status::from(Error::RateLimited { retry_after });
        assert_eq!(status.code(), Code::ResourceExhausted);
        let details = details(&status);
        assert_eq!(details.retry_info().unwrap().retry_delay, Some(retry_after));
    }

    /// A PostgreSQL error as sqlx reports it: a message and a SQLSTATE.
    #[derive(Debug)]
    struct PgError(&'static str);

    impl fmt::Display for PgError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "error {}", self.0)
        }
    }

    impl std::error::Error for PgError {}

    impl sea_orm::sqlx::error::DatabaseError for PgError {
        fn message(&self) -> &str {
            "error"
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sea_orm::sqlx::error::ErrorKind {
            sea_orm::sqlx::error::ErrorKind::Other
        }
    }

    fn wrapped(make: fn(sea_orm::RuntimeErr) -> DbErr, err: sea_orm::sqlx::Error) -> DbErr {
        make(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(err)))
    }

    /// Every shape a lost PostgreSQL connection, restart, failover or exhausted pool takes, wherever in
    /// a call it struck: UNAVAILABLE with a retry delay, never INTERNAL.
    #[test]
    fn a_lost_database_is_unavailable_with_a_retry_delay() {
        use sea_orm::{ConnAcquireErr, sqlx::Error as Sqlx};
        let broken = || {
            [
                Sqlx::Io(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset by peer",
                )),
                Sqlx::Io(std::io::ErrorKind::UnexpectedEof.into()),
                Sqlx::Io(std::io::ErrorKind::ConnectionRefused.into()),
                Sqlx::Protocol("connection closed".into()),
                Sqlx::Tls("peer closed connection without sending TLS close_notify".into()),
                Sqlx::PoolTimedOut,
                Sqlx::PoolClosed,
                Sqlx::WorkerCrashed,
                Sqlx::Database(Box::new(PgError("57P01"))),
                Sqlx::Database(Box::new(PgError("57P02"))),
                Sqlx::Database(Box::new(PgError("57P03"))),
                Sqlx::Database(Box::new(PgError("08006"))),
                Sqlx::Database(Box::new(PgError("08003"))),
                Sqlx::Database(Box::new(PgError("53300"))),
                Sqlx::Database(Box::new(PgError("25006"))),
                // SQLite: SQLITE_BUSY, SQLITE_BUSY_TIMEOUT.
                Sqlx::Database(Box::new(PgError("5"))),
                Sqlx::Database(Box::new(PgError("773"))),
            ]
        };
        let mut cases = vec![
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        ];
        for make in [DbErr::Conn, DbErr::Exec, DbErr::Query] {
            cases.extend(broken().into_iter().map(|err| wrapped(make, err)));
        }
        for err in cases {
            let shown = err.to_string();
            let error = Error::from(err);
            assert!(matches!(error, Error::Unavailable(_)), "{shown}: {error:?}");
            let status = Status::from(error);
            assert_eq!(status.code(), Code::Unavailable, "{shown}");
            let details = details(&status);
            assert_eq!(
                details.error_info().unwrap().reason,
                "DATABASE_UNAVAILABLE",
                "{shown}"
            );
            assert_eq!(
                details.retry_info().unwrap().retry_delay,
                Some(UNAVAILABLE_RETRY_AFTER),
                "{shown}"
            );
            assert!(!status.message().contains("reset"), "{shown}");
        }
    }

    /// A serialization failure or deadlock, and a report on a standby cancelled by its replay, are a
    /// lost race: ABORTED, which clients retry, not INTERNAL.
    #[test]
    fn a_lost_race_is_aborted() {
        use sea_orm::sqlx::Error as Sqlx;
        for code in ["40001", "40P01"] {
            for make in [DbErr::Exec, DbErr::Query] {
                let error = Error::from(wrapped(make, Sqlx::Database(Box::new(PgError(code)))));
                assert!(matches!(error, Error::Contention), "{code}: {error:?}");
                assert_eq!(Status::from(error).code(), Code::Aborted, "{code}");
            }
        }
    }

    /// What a retry would only repeat stays INTERNAL.
    #[test]
    fn statement_errors_stay_internal() {
        use sea_orm::sqlx::Error as Sqlx;
        for err in [
            wrapped(DbErr::Exec, Sqlx::Database(Box::new(PgError("42P01")))),
            wrapped(DbErr::Query, Sqlx::Database(Box::new(PgError("23503")))),
            // SQLite: SQLITE_CONSTRAINT_UNIQUE, SQLITE_ERROR; a SQLSTATE of digits only.
            wrapped(DbErr::Exec, Sqlx::Database(Box::new(PgError("2067")))),
            wrapped(DbErr::Exec, Sqlx::Database(Box::new(PgError("1")))),
            wrapped(DbErr::Exec, Sqlx::Database(Box::new(PgError("23505")))),
            wrapped(DbErr::Query, Sqlx::RowNotFound),
            wrapped(DbErr::Query, Sqlx::ColumnNotFound("x".into())),
            DbErr::Custom("boom".into()),
            DbErr::Type("bad".into()),
        ] {
            let shown = err.to_string();
            assert_eq!(Status::from(Error::from(err)).code(), Code::Internal, "{shown}");
        }
    }

    #[test]
    fn what_quotes_a_huge_request_reaches_the_client_clipped() {
        let huge = "é".repeat(5000);
        let violations = (0..1000)
            .map(|i| FieldViolation::new(format!("ids[{i}]"), format!("{huge} is not a UUID")))
            .collect();
        let status = Status::from(Error::InvalidArgument(violations));
        assert!(
            status.message().len() <= MAX_MESSAGE_BYTES + '…'.len_utf8(),
            "{}",
            status.message().len()
        );
        assert!(status.message().ends_with('…'));
        let details = details(&status);
        let bad_request = details.bad_request().unwrap();
        assert_eq!(bad_request.field_violations.len(), MAX_VIOLATIONS);
        assert_eq!(bad_request.field_violations[0].field, "ids[0]");
        assert!(bad_request.field_violations[0].description.len() <= MAX_DETAIL_BYTES + '…'.len_utf8());
        assert_eq!(clipped("short", 10), "short");
        assert_eq!(clipped("éééé", 5), "éé…", "never inside a character");
    }

    #[test]
    fn internal_errors_do_not_leak_database_text() {
        let status = Status::from(Error::from(DbErr::Custom("secret table xyz".into())));
        assert!(!status.message().contains("xyz"));
    }
}
