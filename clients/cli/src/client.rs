//! Talking to the server: the connection, the per-call deadline and credentials, and paging.

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use kam_proto::v1::account_service_client::AccountServiceClient;
use kam_proto::v1::audit_service_client::AuditServiceClient;
use kam_proto::v1::feedback_service_client::FeedbackServiceClient;
use kam_proto::v1::identity_service_client::IdentityServiceClient;
use kam_proto::v1::opportunity_service_client::OpportunityServiceClient;
use kam_proto::v1::planning_service_client::PlanningServiceClient;
use kam_proto::v1::service_level_service_client::ServiceLevelServiceClient;
use kam_proto::v1::team_service_client::TeamServiceClient;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::{Request, Status};

use crate::Global;
use crate::error::{Error, error_chain};
use crate::retry::{RetryPolicy, Retrying};

/// A connection whose every call carries the `--timeout` deadline and the credentials, if any, and
/// whose reads and creates are retried when the server is unavailable (`crate::retry`).
pub type Connection = InterceptedService<Retrying<Channel>, CallSettings>;

/// The account service client every `accounts` and `contacts` command uses.
pub type AccountClient = AccountServiceClient<Connection>;

/// The team service client of the `departments`, `staff`, `team`, `coverage`, `workload` and `handover`
/// commands.
pub type TeamClient = TeamServiceClient<Connection>;

/// The identity service client of the `whoami`, `keys` and `roles` commands.
pub type IdentityClient = IdentityServiceClient<Connection>;

/// The audit service client of the `audit` command.
pub type AuditClient = AuditServiceClient<Connection>;

/// The opportunity service client of the `pipelines`, `opps` and `funnel` commands.
pub type OpportunityClient = OpportunityServiceClient<Connection>;

/// The service level client of the `tickets`, `calendars`, `policies` and `sla` commands.
pub type ServiceLevelClient = ServiceLevelServiceClient<Connection>;

/// The planning service client of the `revenue`, `tiers`, `plan` and account `health` commands.
pub type PlanningClient = PlanningServiceClient<Connection>;

/// The feedback service client of the `feedback` commands.
pub type FeedbackClient = FeedbackServiceClient<Connection>;

/// The environment variable holding the API key itself. There is deliberately no flag for it: command
/// lines are visible to every user of the machine (`ps`), environments are not.
pub const API_KEY_ENV: &str = "KAM_API_KEY";

/// The ADMIN key the server writes next to its SQLite database on first start. With the default
/// database (`kam.db` in the server's working directory), running kamctl in that directory against a
/// local server just works.
pub const LOCAL_ADMIN_KEY_FILE: &str = "kam-admin.key";

/// Parses `--addr`. A bare `host:port` gets `http://`, since that is what people type.
pub fn parse_addr(addr: &str) -> Result<Endpoint, String> {
    let addr = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    Endpoint::from_shared(addr).map_err(|err| error_chain(&err))
}

/// Parses `--timeout` seconds; zero is refused because every call would fail at once.
pub fn parse_timeout(seconds: &str) -> Result<Duration, String> {
    let seconds: f64 = seconds
        .parse()
        .map_err(|_| format!("`{seconds}` is not a number of seconds"))?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(timeout) if !timeout.is_zero() => Ok(timeout),
        _ => Err("the timeout must be a positive number of seconds".to_owned()),
    }
}

/// Connects to `--addr`, giving up after `--timeout`.
///
/// The credentials are read first, so that a bad key file is reported as such even when the server is
/// down. Connecting eagerly (rather than lazily on the first call) makes an unreachable server a clear
/// "cannot connect" error instead of an UNAVAILABLE status from whichever call came first.
pub async fn connect(global: &Global) -> Result<Connection, Error> {
    let env_key = std::env::var(API_KEY_ENV).ok();
    let source = key_source(
        env_key.as_deref(),
        global.api_key_file.as_deref(),
        global.addr.uri(),
    );
    let settings = CallSettings {
        timeout: global.timeout,
        authorization: load_key(&source)?
            .map(|key| authorization(&key, &source))
            .transpose()?,
    };
    let channel = global
        .addr
        .clone()
        .connect_timeout(global.timeout)
        .connect()
        .await
        .map_err(|source| Error::Connect {
            addr: global.addr.uri().to_string(),
            source,
        })?;
    Ok(InterceptedService::new(
        Retrying::new(channel, RetryPolicy::default()),
        settings,
    ))
}

/// Connects an account service client.
pub async fn accounts(global: &Global) -> Result<AccountClient, Error> {
    Ok(AccountServiceClient::new(connect(global).await?))
}

/// Connects a team service client.
pub async fn teams(global: &Global) -> Result<TeamClient, Error> {
    Ok(TeamServiceClient::new(connect(global).await?))
}

/// Connects an identity service client.
pub async fn identity(global: &Global) -> Result<IdentityClient, Error> {
    Ok(IdentityServiceClient::new(connect(global).await?))
}

/// Connects an audit service client.
pub async fn audit(global: &Global) -> Result<AuditClient, Error> {
    Ok(AuditServiceClient::new(connect(global).await?))
}

/// Connects an opportunity service client.
pub async fn opportunities(global: &Global) -> Result<OpportunityClient, Error> {
    Ok(OpportunityServiceClient::new(connect(global).await?))
}

/// Connects a service level client.
pub async fn service_levels(global: &Global) -> Result<ServiceLevelClient, Error> {
    Ok(ServiceLevelServiceClient::new(connect(global).await?))
}

/// Connects a planning service client.
pub async fn planning(global: &Global) -> Result<PlanningClient, Error> {
    Ok(PlanningServiceClient::new(connect(global).await?))
}

/// Connects a feedback service client.
pub async fn feedback(global: &Global) -> Result<FeedbackClient, Error> {
    Ok(FeedbackServiceClient::new(connect(global).await?))
}

/// Where the API key of the calls comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `KAM_API_KEY`, trimmed.
    Env(String),
    /// `--api-key-file` (or `KAM_API_KEY_FILE`): the file must be readable and not empty.
    File(PathBuf),
    /// The server's ADMIN key in the working directory, used if the file exists.
    LocalAdminKey,
    /// No credentials: health checks work, every other call is UNAUTHENTICATED.
    None,
}

/// Chooses the key source: `KAM_API_KEY`, else `--api-key-file`, else, only for a server on this
/// machine, `./kam-admin.key`. An empty or blank `KAM_API_KEY` counts as unset.
///
/// The local admin key is never sent to another host: a kamctl started in the server's directory with
/// `--addr` pointing elsewhere would otherwise hand that host the keys to this one.
pub fn key_source(env_key: Option<&str>, key_file: Option<&Path>, addr: &Uri) -> KeySource {
    if let Some(key) = env_key.map(str::trim).filter(|key| !key.is_empty()) {
        return KeySource::Env(key.to_owned());
    }
    if let Some(path) = key_file {
        return KeySource::File(path.to_owned());
    }
    if addr.host().is_some_and(is_local_host) {
        return KeySource::LocalAdminKey;
    }
    KeySource::None
}

/// Whether `host` (as a URI spells it, IPv6 in brackets) is this machine: `localhost`, 127.0.0.0/8 or
/// `::1`.
fn is_local_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Reads the key `source` names, trimmed of surrounding whitespace (a trailing newline, typically).
///
/// A key file that was asked for but cannot be read or is empty is a usage error. The local admin key is
/// only a convenience: a missing one means no credentials, an unreadable one (a server run by another
/// user) a warning and no credentials, so health checks keep working.
pub fn load_key(source: &KeySource) -> Result<Option<String>, Error> {
    match source {
        KeySource::Env(key) => Ok(Some(key.clone())),
        KeySource::File(path) => {
            let key = std::fs::read_to_string(path).map_err(|err| {
                Error::Usage(format!("cannot read the API key file {}: {err}", path.display()))
            })?;
            let key = key.trim();
            if key.is_empty() {
                return Err(Error::Usage(format!(
                    "the API key file {} is empty",
                    path.display()
                )));
            }
            Ok(Some(key.to_owned()))
        }
        KeySource::LocalAdminKey => match std::fs::read_to_string(LOCAL_ADMIN_KEY_FILE) {
            Ok(key) => Ok(Some(key.trim().to_owned()).filter(|key| !key.is_empty())),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => {
                eprintln!("warning: not using ./{LOCAL_ADMIN_KEY_FILE}: {err}");
                Ok(None)
            }
        },
        KeySource::None => Ok(None),
    }
}

/// The `authorization: Bearer <key>` header value, marked sensitive so that it never shows in debug
/// output. A key that is not a run of visible ASCII characters is refused; the message names where it
/// came from but never shows it.
pub fn authorization(key: &str, source: &KeySource) -> Result<MetadataValue<Ascii>, Error> {
    let invalid = || {
        let origin = match source {
            KeySource::Env(_) => API_KEY_ENV.to_owned(),
            KeySource::File(path) => format!("the API key file {}", path.display()),
            KeySource::LocalAdminKey | KeySource::None => format!("./{LOCAL_ADMIN_KEY_FILE}"),
        };
        Error::Usage(format!(
            "the API key in {origin} is not valid: it must be one word of visible ASCII characters \
             (`kam_...` or an SSO token)"
        ))
    };
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid());
    }
    let mut value = MetadataValue::try_from(format!("Bearer {key}")).map_err(|_| invalid())?;
    value.set_sensitive(true);
    Ok(value)
}

/// Sets on every call the gRPC deadline (`grpc-timeout`) and, when there are credentials, the
/// `authorization` header.
///
/// Sending the deadline rather than only timing out locally lets the server give up on work nobody
/// waits for any more; tonic's channel also enforces the same deadline on the client side.
#[derive(Debug, Clone)]
pub struct CallSettings {
    pub timeout: Duration,
    pub authorization: Option<MetadataValue<Ascii>>,
}

impl Interceptor for CallSettings {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.set_timeout(self.timeout);
        if let Some(authorization) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", authorization.clone());
        }
        Ok(request)
    }
}

/// The paging flags of every list command.
#[derive(Debug, Args)]
pub struct PageArgs {
    /// Items per page; the server defaults to 50 and allows up to 1000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(0..))]
    pub page_size: Option<i32>,

    /// Start at this page, the `next page` token a previous list printed.
    #[arg(long, value_name = "TOKEN")]
    pub page_token: Option<String>,

    /// Follow the page tokens to the last page and print everything as one list.
    #[arg(long)]
    pub all: bool,
}

/// A list response that `--all` can stitch together from its pages.
pub trait Page: Sized {
    fn next_page_token(&self) -> &str;

    /// Appends the items of the following page and takes over its `next_page_token`.
    fn append(&mut self, next: Self);
}

/// Implements [`Page`] for a list response whose items are in its field `$items`:
/// `client::impl_page!(ListAccountsResponse, accounts);`.
macro_rules! impl_page {
    ($response:ty, $items:ident) => {
        impl $crate::client::Page for $response {
            fn next_page_token(&self) -> &str {
                &self.next_page_token
            }

            fn append(&mut self, next: Self) {
                self.$items.extend(next.$items);
                self.next_page_token = next.next_page_token;
            }
        }
    };
}

pub(crate) use impl_page;

impl PageArgs {
    /// Fetches the page `--page-token` names (the first without it) with `--page-size` items, and with
    /// `--all` every page after it, merged as [`fetch_pages`] does. `fetch` gets the page size and the
    /// page token of each call.
    pub async fn fetch<P: Page>(
        self,
        mut fetch: impl AsyncFnMut(i32, String) -> Result<P, Status>,
    ) -> Result<P, Error> {
        let page_size = self.page_size.unwrap_or_default();
        let fetch_page = async |page_token| fetch(page_size, page_token).await;
        fetch_pages(self.page_token.unwrap_or_default(), self.all, fetch_page).await
    }
}

/// Fetches the page at `page_token` and, when `all` is set, every page after it, merged into one
/// response whose `next_page_token` is empty.
pub async fn fetch_pages<P: Page>(
    page_token: String,
    all: bool,
    mut fetch: impl AsyncFnMut(String) -> Result<P, Status>,
) -> Result<P, Error> {
    let mut merged = fetch(page_token).await?;
    while all && !merged.next_page_token().is_empty() {
        let token = merged.next_page_token().to_owned();
        let next = fetch(token.clone()).await?;
        // A server bug that hands out the same token again would otherwise loop forever.
        if next.next_page_token() == token {
            return Err(Error::Protocol(format!(
                "the server returned page token `{token}` twice"
            )));
        }
        merged.append(next);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_host_and_port_get_a_scheme() {
        assert_eq!(
            parse_addr("localhost:50051").unwrap().uri().to_string(),
            "http://localhost:50051/"
        );
        assert_eq!(
            parse_addr("http://10.0.0.1:1").unwrap().uri().to_string(),
            "http://10.0.0.1:1/"
        );
    }

    fn uri(addr: &str) -> Uri {
        parse_addr(addr).unwrap().uri().clone()
    }

    #[test]
    fn the_environment_key_comes_first_then_the_key_file() {
        let file = Path::new("/etc/kam/key");
        let remote = uri("kam.example.com:443");
        assert_eq!(
            key_source(Some(" kam_0123abcd_s3cret\n"), Some(file), &remote),
            KeySource::Env("kam_0123abcd_s3cret".into())
        );
        assert_eq!(
            key_source(None, Some(file), &remote),
            KeySource::File(file.into())
        );
        assert_eq!(
            key_source(Some(""), Some(file), &remote),
            KeySource::File(file.into())
        );
        assert_eq!(key_source(Some("  "), None, &remote), KeySource::None);
        assert_eq!(key_source(None, None, &remote), KeySource::None);
        // Explicit sources win over the local admin key.
        let local = uri("127.0.0.1:50051");
        assert_eq!(key_source(None, Some(file), &local), KeySource::File(file.into()));
        assert_eq!(key_source(Some("k"), None, &local), KeySource::Env("k".into()));
    }

    #[test]
    fn the_local_admin_key_is_only_sent_to_this_machine() {
        for addr in [
            "http://127.0.0.1:50051",
            "127.0.0.1:50051",
            "127.1.2.3:1",
            "localhost:50051",
            "https://LOCALHOST",
            "http://[::1]:50051",
        ] {
            assert_eq!(
                key_source(None, None, &uri(addr)),
                KeySource::LocalAdminKey,
                "{addr}"
            );
        }
        for addr in [
            "kam.example.com:50051",
            "10.0.0.1:50051",
            "0.0.0.0:50051",
            "[::2]:50051",
            "localhost.example.com:1",
            "128.0.0.1:1",
        ] {
            assert_eq!(key_source(None, None, &uri(addr)), KeySource::None, "{addr}");
        }
    }

    /// A file under the temp directory, unique to the test and the process, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, contents: &str) -> Self {
            let path = std::env::temp_dir().join(format!("kamctl-{}-{name}", std::process::id()));
            std::fs::write(&path, contents).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn key_files_are_read_and_trimmed() {
        let file = TempFile::new("key", "kam_0123abcd_s3cret\n");
        let key = load_key(&KeySource::File(file.0.clone())).unwrap();
        assert_eq!(key.as_deref(), Some("kam_0123abcd_s3cret"));

        let empty = TempFile::new("empty-key", " \n");
        let err = load_key(&KeySource::File(empty.0.clone())).unwrap_err();
        assert!(
            matches!(err, Error::Usage(ref m) if m.contains("is empty")),
            "{err:?}"
        );

        let missing = std::env::temp_dir().join(format!("kamctl-{}-missing", std::process::id()));
        let err = load_key(&KeySource::File(missing)).unwrap_err();
        assert!(
            matches!(err, Error::Usage(ref m) if m.contains("cannot read")),
            "{err:?}"
        );

        assert_eq!(
            load_key(&KeySource::Env("k".into())).unwrap().as_deref(),
            Some("k")
        );
        assert_eq!(load_key(&KeySource::None).unwrap(), None);
    }

    #[test]
    fn the_key_becomes_a_sensitive_bearer_header() {
        let source = KeySource::Env("kam_0123abcd_s3cret".into());
        let value = authorization("kam_0123abcd_s3cret", &source).unwrap();
        assert_eq!(value.to_str().unwrap(), "Bearer kam_0123abcd_s3cret");
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("s3cret"));
    }

    #[test]
    fn keys_with_characters_invalid_in_a_header_are_usage_errors() {
        let source = KeySource::File("/etc/kam/key".into());
        for key in ["two words", "line\nbreak", "caf\u{e9}", "tab\there", ""] {
            let err = authorization(key, &source).unwrap_err();
            let Error::Usage(message) = err else {
                panic!("not a usage error: {err:?}");
            };
            assert!(message.contains("/etc/kam/key"), "{message}");
            assert!(
                key.is_empty() || !message.contains(key),
                "the key is not shown: {message}"
            );
        }
    }

    #[test]
    fn every_call_carries_the_deadline_and_the_credentials() {
        let source = KeySource::Env("k".into());
        let mut settings = CallSettings {
            timeout: Duration::from_secs(3),
            authorization: Some(authorization("k", &source).unwrap()),
        };
        let request = settings.call(Request::new(())).unwrap();
        assert_eq!(request.metadata().get("authorization").unwrap(), "Bearer k");
        assert_eq!(request.metadata().get("grpc-timeout").unwrap(), "3000000u");

        let mut anonymous = CallSettings {
            authorization: None,
            ..settings
        };
        let request = anonymous.call(Request::new(())).unwrap();
        assert!(request.metadata().get("authorization").is_none());
    }

    #[test]
    fn timeout_must_be_positive_seconds() {
        assert_eq!(parse_timeout("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_timeout("0.25").unwrap(), Duration::from_millis(250));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("soon").is_err());
    }

    /// A page of numbers, standing in for a list response.
    #[derive(Debug)]
    struct Numbers(Vec<u32>, String);

    impl Page for Numbers {
        fn next_page_token(&self) -> &str {
            &self.1
        }
        fn append(&mut self, next: Self) {
            self.0.extend(next.0);
            self.1 = next.1;
        }
    }

    /// Serves the pages `[1, 2]`, `[3]`, `[4]` under the tokens "", "a", "b".
    async fn serve(token: String) -> Result<Numbers, Status> {
        Ok(match token.as_str() {
            "" => Numbers(vec![1, 2], "a".into()),
            "a" => Numbers(vec![3], "b".into()),
            "b" => Numbers(vec![4], String::new()),
            _ => return Err(Status::invalid_argument("bad token")),
        })
    }

    #[tokio::test]
    async fn all_follows_the_tokens_to_the_end() {
        let pages = fetch_pages(String::new(), true, async |t| serve(t).await)
            .await
            .unwrap();
        assert_eq!(pages.0, [1, 2, 3, 4]);
        assert_eq!(pages.1, "");
    }

    #[tokio::test]
    async fn without_all_one_page_is_fetched() {
        let page = fetch_pages("a".into(), false, async |t| serve(t).await)
            .await
            .unwrap();
        assert_eq!(page.0, [3]);
        assert_eq!(page.1, "b");
    }

    #[tokio::test]
    async fn a_repeated_token_is_an_error() {
        let stuck = async |_| Ok(Numbers(vec![1], "same".into()));
        let err = fetch_pages("same".into(), true, stuck).await.unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    }
}
