//! What can stop a run, and how it is shown: the message on stderr and the exit code (2 for usage
//! errors such as a missing column, as clap does; 1 for everything else).

use std::fmt::{self, Display, Write as _};
use std::io;
use std::path::Path;
use std::process::ExitCode;

use tonic::{Code, Status};

#[derive(Debug)]
pub enum Error {
    /// Options or input files that cannot work: nothing was sent.
    Usage(String),
    /// A call the server (or the transport) failed, and retrying would not help or was not allowed.
    Call { what: String, status: Status },
    /// A transient failure outlasted every retry.
    GaveUp {
        what: String,
        attempts: u32,
        status: Status,
    },
    /// Reading or writing a local file failed.
    File { path: String, source: io::Error },
    /// Anything else that ends the run, e.g. a line of an export file that is not an event.
    Other(String),
}

impl Error {
    pub fn file(path: &Path, source: io::Error) -> Self {
        Error::File {
            path: path.display().to_string(),
            source,
        }
    }

    /// Prints the error to stderr and returns the exit code.
    pub fn report(self) -> ExitCode {
        eprintln!("error: {self}");
        match self {
            Error::Usage(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) | Error::Other(message) => f.write_str(message),
            Error::Call { what, status } => write!(f, "{what} failed: {}", describe_status(status)),
            Error::GaveUp {
                what,
                attempts,
                status,
            } => write!(
                f,
                "{what} failed {attempts} times, giving up: {}",
                describe_status(status)
            ),
            Error::File { path, source } => write!(f, "{path}: {source}"),
        }
    }
}

/// `CODE: message`, and a hint for the codes a user can do something about.
pub fn describe_status(status: &Status) -> String {
    let mut text = code_name(status.code()).to_owned();
    if !status.message().is_empty() {
        let _ = write!(text, ": {}", status.message());
    }
    let hint = match status.code() {
        Code::Unauthenticated => Some("set KAM_API_KEY or --api-key-file to a valid API key"),
        Code::PermissionDenied => Some("imports need an ADMIN or INTEGRATION key"),
        Code::Unimplemented => Some("the server is older than this connector and lacks this RPC"),
        Code::Cancelled | Code::DeadlineExceeded => {
            Some("a call may last at most the server's request_timeout (30 s by default): lower --call-rows")
        }
        _ => None,
    };
    if let Some(hint) = hint {
        let _ = write!(text, "\n  hint: {hint}");
    }
    text
}

pub use kam_proto::code_name;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_show_their_canonical_code_and_a_hint_where_one_helps() {
        assert_eq!(
            describe_status(&Status::invalid_argument(
                "records: at most 5000 rows per message"
            )),
            "INVALID_ARGUMENT: records: at most 5000 rows per message"
        );
        let text = describe_status(&Status::unauthenticated("missing credentials"));
        assert!(
            text.starts_with("UNAUTHENTICATED: missing credentials\n  hint: set KAM_API_KEY"),
            "{text}"
        );
        let text = describe_status(&Status::cancelled("Timeout expired"));
        assert!(text.contains("lower --call-rows"), "{text}");
    }

    #[test]
    fn usage_errors_exit_with_2_and_the_rest_with_1() {
        assert_eq!(Error::Usage("no file".into()).report(), ExitCode::from(2));
        assert_eq!(Error::Other("bad line".into()).report(), ExitCode::FAILURE);
    }
}
