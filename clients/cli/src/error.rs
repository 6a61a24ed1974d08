//! What can go wrong, and how it is shown to the user.

use std::fmt::{self, Display, Write as _};
use std::io;
use std::process::ExitCode;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

#[derive(Debug)]
pub enum Error {
    /// The server (or tonic on its behalf, e.g. when the deadline passes) answered with an error status.
    Status(Status),
    /// No connection to the server could be made.
    Connect {
        addr: String,
        source: tonic::transport::Error,
    },
    /// Arguments clap accepted but that make no sensible request, e.g. an update that changes nothing.
    Usage(String),
    /// The server broke the API contract, e.g. paging that does not advance.
    Protocol(String),
    /// Writing to stdout failed.
    Output(io::Error),
}

impl From<Status> for Error {
    fn from(status: Status) -> Self {
        Error::Status(status)
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::Output(err)
    }
}

impl Error {
    /// Prints the error to stderr and returns the exit code: 2 for usage errors (as clap does), else 1.
    ///
    /// A closed stdout (`kamctl accounts list | head`) is not an error worth reporting.
    pub fn report(self) -> ExitCode {
        match self {
            Error::Output(err) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Error::Usage(_) => {
                eprintln!("error: {self}");
                ExitCode::from(2)
            }
            _ => {
                eprintln!("error: {self}");
                ExitCode::FAILURE
            }
        }
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Status(status) => {
                f.write_str(&describe_status(status))?;
                if status.code() == Code::Unauthenticated {
                    write!(f, "\n  {CREDENTIALS_HINT}")?;
                }
                Ok(())
            }
            Error::Connect { addr, source } => {
                write!(f, "cannot connect to {addr}: {}", error_chain(source))
            }
            Error::Usage(message) | Error::Protocol(message) => f.write_str(message),
            Error::Output(err) => write!(f, "cannot write output: {err}"),
        }
    }
}

/// Shown under UNAUTHENTICATED: the server got no credentials, or ones it does not accept.
const CREDENTIALS_HINT: &str =
    "hint: set KAM_API_KEY or --api-key-file to an API key (`kam_...`) or SSO token";

/// `CODE: message`, then one indented line per field violation, precondition failure and the error
/// info that KAM attaches to its errors, so the user sees which field or rule was at fault.
pub fn describe_status(status: &Status) -> String {
    let mut text = code_name(status.code()).to_owned();
    if !status.message().is_empty() {
        text.push_str(": ");
        text.push_str(status.message());
    }
    for line in detail_lines(&status.get_error_details()) {
        text.push_str("\n  ");
        text.push_str(&line);
    }
    text
}

fn detail_lines(details: &ErrorDetails) -> Vec<String> {
    let mut lines = Vec::new();
    for violation in details.bad_request().map_or(&[][..], |b| &b.field_violations) {
        let mut line = format!("field {}: {}", violation.field, violation.description);
        if !violation.reason.is_empty() {
            let _ = write!(line, " ({})", violation.reason);
        }
        lines.push(line);
    }
    for violation in details.precondition_failure().map_or(&[][..], |p| &p.violations) {
        let mut line = format!("precondition {}", violation.r#type);
        if !violation.subject.is_empty() {
            let _ = write!(line, " on {}", violation.subject);
        }
        let _ = write!(line, ": {}", violation.description);
        lines.push(line);
    }
    if let Some(info) = details.error_info() {
        let mut line = format!("reason: {} (domain {})", info.reason, info.domain);
        // Sorted so that the output does not depend on hash order.
        let mut metadata: Vec<_> = info.metadata.iter().collect();
        metadata.sort();
        for (key, value) in metadata {
            let _ = write!(line, " {key}={value}");
        }
        lines.push(line);
    }
    lines
}

pub use kam_proto::code_name;

/// An error and its sources, joined by `: `; tonic's transport errors say little more than
/// "transport error" at the top level. A source worded like the error it caused (hyper and tonic both
/// say "tcp connect error") is shown once.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut previous = text.clone();
    let mut source = err.source();
    while let Some(err) = source {
        let message = err.to_string();
        if message != previous {
            let _ = write!(text, ": {message}");
        }
        previous = message;
        source = err.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic_types::{FieldViolation, PreconditionViolation};

    use super::*;

    #[test]
    fn plain_status_is_code_and_message() {
        assert_eq!(
            describe_status(&Status::not_found("account x not found")),
            "NOT_FOUND: account x not found"
        );
        assert_eq!(describe_status(&Status::new(Code::Internal, "")), "INTERNAL");
    }

    #[test]
    fn status_details_are_listed_under_the_message() {
        let mut details = ErrorDetails::with_bad_request(vec![FieldViolation::new(
            "account.display_name",
            "must not be empty",
        )]);
        details.set_precondition_failure(vec![PreconditionViolation::new(
            "PARENT_CYCLE",
            "accounts/a",
            "a would become its own ancestor",
        )]);
        details.set_error_info(
            "VALIDATION",
            "kam.v1",
            HashMap::from([("b".to_owned(), "2".to_owned()), ("a".to_owned(), "1".to_owned())]),
        );
        let status = Status::with_error_details(Code::InvalidArgument, "invalid account", details);
        assert_eq!(
            describe_status(&status),
            "INVALID_ARGUMENT: invalid account\n\
             \x20 field account.display_name: must not be empty\n\
             \x20 precondition PARENT_CYCLE on accounts/a: a would become its own ancestor\n\
             \x20 reason: VALIDATION (domain kam.v1) a=1 b=2"
        );
    }

    /// An error with a message and an optional source, to build chains.
    #[derive(Debug)]
    struct Link(&'static str, Option<Box<Link>>);

    impl Display for Link {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Link {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|link| link as _)
        }
    }

    #[test]
    fn error_chain_joins_sources_once_each() {
        let refused = Link("connection refused", None);
        let chain = Link(
            "transport error",
            Some(Box::new(Link(
                "tcp connect error",
                Some(Box::new(Link("tcp connect error", Some(Box::new(refused))))),
            ))),
        );
        assert_eq!(
            error_chain(&chain),
            "transport error: tcp connect error: connection refused"
        );
    }

    #[test]
    fn unauthenticated_hints_at_the_credential_settings() {
        let err = Error::Status(Status::unauthenticated("missing credentials"));
        assert_eq!(
            err.to_string(),
            "UNAUTHENTICATED: missing credentials\n\
             \x20 hint: set KAM_API_KEY or --api-key-file to an API key (`kam_...`) or SSO token"
        );
        let err = Error::Status(Status::permission_denied("ADMIN only"));
        assert!(!err.to_string().contains("hint"), "{err}");
    }

    #[test]
    fn usage_errors_exit_with_2() {
        assert_eq!(Error::Usage("nothing to do".into()).report(), ExitCode::from(2));
        assert_eq!(Error::Protocol("bad".into()).report(), ExitCode::FAILURE);
    }
}
