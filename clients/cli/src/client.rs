//! Talking to the server: the connection, the per-call deadline and paging.

use std::time::Duration;

use clap::Args;
use kam_proto::v1::account_service_client::AccountServiceClient;
use kam_proto::v1::team_service_client::TeamServiceClient;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

use crate::Global;
use crate::error::{Error, error_chain};

/// A connection whose every call carries the `--timeout` deadline.
pub type Connection = InterceptedService<Channel, Deadline>;

/// The account service client every `accounts` and `contacts` command uses.
pub type AccountClient = AccountServiceClient<Connection>;

/// The team service client of the `departments`, `staff`, `team`, `coverage`, `workload` and `handover`
/// commands.
pub type TeamClient = TeamServiceClient<Connection>;

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
/// Connecting eagerly (rather than lazily on the first call) makes an unreachable server a clear
/// "cannot connect" error instead of an UNAVAILABLE status from whichever call came first.
pub async fn connect(global: &Global) -> Result<Connection, Error> {
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
    Ok(InterceptedService::new(channel, Deadline(global.timeout)))
}

/// Connects an account service client.
pub async fn accounts(global: &Global) -> Result<AccountClient, Error> {
    Ok(AccountServiceClient::new(connect(global).await?))
}

/// Connects a team service client.
pub async fn teams(global: &Global) -> Result<TeamClient, Error> {
    Ok(TeamServiceClient::new(connect(global).await?))
}

/// Sets the gRPC deadline (`grpc-timeout`) of every call.
///
/// Sending the deadline rather than only timing out locally lets the server give up on work nobody
/// waits for any more; tonic's channel also enforces the same deadline on the client side.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub Duration);

impl Interceptor for Deadline {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.set_timeout(self.0);
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
