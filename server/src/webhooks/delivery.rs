//! One webhook request, made safely: the URL a subscriber typed is untrusted input, and so is everything
//! its server sends back. This module turns "POST these bytes to that URL" into an [`Attempt`] record
//! and nothing else: no retries, no storage, no redirects. It
//!
//! - resolves the host once, refuses the request if any address is one [`AddressPolicy`] forbids, and
//!   connects to the address it checked (so DNS rebinding cannot swap in an internal one afterwards);
//! - bounds the time (a connect timeout and a total one) and the memory (only the start of the response
//!   body is read), so a slow or hostile receiver cannot tie up the dispatcher;
//! - never follows redirects (Standard Webhooks treats a 3xx as a failure, and following one would
//!   sidestep the address check);
//! - reports every failure as data in the [`Attempt`] instead of panicking or returning an error.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING, USER_AGENT};
use http::uri::PathAndQuery;
use http::{HeaderName, HeaderValue, Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::guard::AddressPolicy;

/// Sent with every request so receivers can tell webhooks from other traffic in their logs.
const USER_AGENT_VALUE: &str = "kam-webhooks";
/// hyper's read buffer ceiling (its default is about 400 KiB): response heads larger than this fail
/// the attempt, and no more than this is buffered per connection while the excerpt is read.
const MAX_READ_BUFFER: usize = 64 * 1024;

/// How long a delivery may take and how much of the answer it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// For the TCP connection to be established.
    pub connect_timeout: Duration,
    /// For everything: resolving, connecting, TLS, sending, and receiving the response head and excerpt.
    pub total_timeout: Duration,
    /// How much of the response body is read and kept; the rest is never read.
    pub max_excerpt_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_excerpt_bytes: 1024,
        }
    }
}

/// What happened when one request was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The response's status code, when a response arrived in time.
    pub status: Option<u16>,
    /// From the start of the attempt until it ended (excerpt read, or failure).
    pub latency: Duration,
    /// The first `max_excerpt_bytes` of the response body as lossy UTF-8 (a character cut off by the
    /// limit is dropped). Whatever arrived in time if the body was slow.
    pub excerpt: String,
    /// Why there is no status: a bad URL or header, a refused address, DNS failure, connect failure or
    /// timeout, TLS error, HTTP error, total timeout. `None` whenever `status` is `Some`.
    pub error: Option<String>,
}

impl Attempt {
    /// Whether the receiver took the webhook: a 2xx status, as Standard Webhooks defines success.
    pub fn acknowledged(&self) -> bool {
        self.status.is_some_and(|status| (200..300).contains(&status))
    }

    fn failed(started: Instant, error: String) -> Self {
        Self {
            status: None,
            latency: started.elapsed(),
            excerpt: String::new(),
            error: Some(error),
        }
    }
}

/// POSTs `body` to `url` with `headers` (plus `content-type: application/json` and
/// `user-agent: kam-webhooks` unless `headers` sets them, and `host`) and reports the outcome.
///
/// The URL must be `http` or `https` with a host and no credentials. Every address the host resolves to
/// must be permitted by `policy`, or nothing is sent. Headers that frame the request (`host`,
/// `content-length`, `transfer-encoding`, `connection`) cannot be given. Never panics.
pub async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: Bytes,
    policy: &AddressPolicy,
    limits: &Limits,
) -> Attempt {
    let started = Instant::now();
    let (response, _connection) =
        match timeout(limits.total_timeout, send(url, headers, body, policy, limits)).await {
            Ok(Ok(sent)) => sent,
            Ok(Err(error)) => return Attempt::failed(started, error),
            Err(_) => {
                return Attempt::failed(started, format!("no response within {:?}", limits.total_timeout));
            }
        };
    let status = response.status().as_u16();
    let mut excerpt = Vec::new();
    let remaining = limits.total_timeout.saturating_sub(started.elapsed());
    // A receiver that sent its status has answered; a body that then stalls only shortens the excerpt.
    let _ = timeout(
        remaining,
        read_excerpt(response.into_body(), limits.max_excerpt_bytes, &mut excerpt),
    )
    .await;
    Attempt {
        status: Some(status),
        latency: started.elapsed(),
        excerpt: lossy(excerpt),
        error: None,
    }
}

/// Everything up to the response head. Checks the URL and headers before touching the network.
async fn send(
    url: &str,
    headers: &[(&str, String)],
    body: Bytes,
    policy: &AddressPolicy,
    limits: &Limits,
) -> Result<(Response<Incoming>, AbortOnDrop), String> {
    let target = Target::parse(url)?;
    let request = build_request(&target, headers, body)?;
    let addr = resolve(&target, policy).await?;
    let tcp = connect(addr, limits.connect_timeout).await?;
    if target.https {
        let tls = TlsConnector::from(tls_config()?)
            .connect(server_name(&target.host)?, tcp)
            .await
            .map_err(|e| format!("TLS handshake with {} failed: {e}", target.host))?;
        exchange(TokioIo::new(tls), request).await
    } else {
        exchange(TokioIo::new(tcp), request).await
    }
}

/// The parts of a webhook URL that delivery needs.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    https: bool,
    /// Without the brackets an IPv6 literal has in a URL.
    host: String,
    port: u16,
    /// `host[:port]` as written, for the `Host` header.
    authority: String,
    path_and_query: PathAndQuery,
}

impl Target {
    fn parse(url: &str) -> Result<Self, String> {
        let uri: Uri = url.parse().map_err(|e| format!("not a valid URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            Some(other) => return Err(format!("URL scheme {other:?} is not http or https")),
            None => return Err("URL has no scheme (http or https)".to_string()),
        };
        let authority = uri.authority().ok_or("URL has no host")?;
        // Credentials in the URL would be sent nowhere (we do not do basic auth) and usually mean a
        // mistake or an attempt to disguise the real host (`https://trusted.example@evil.example/`).
        if authority.as_str().contains('@') {
            return Err("URL must not contain credentials (user@host)".to_string());
        }
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            return Err("URL has no host".to_string());
        }
        let port = port(authority.as_str(), authority.host(), https)?;
        Ok(Self {
            https,
            host: host.to_string(),
            port,
            authority: authority.as_str().to_string(),
            path_and_query: uri
                .path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
        })
    }
}

/// The port written after `host` in `authority`, or the scheme's default. `http::Uri` accepts ports it
/// cannot represent (`:99999`) and reports them as absent, which would silently mean the default port.
fn port(authority: &str, host: &str, https: bool) -> Result<u16, String> {
    let default = if https { 443 } else { 80 };
    match authority
        .strip_prefix(host)
        .and_then(|rest| rest.strip_prefix(':'))
    {
        // RFC 3986: an empty port means the default one.
        None | Some("") => Ok(default),
        Some(digits) => digits
            .parse::<u16>()
            .ok()
            .filter(|port| *port != 0 && digits.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("URL port {digits:?} is not a port number")),
    }
}

fn build_request(
    target: &Target,
    headers: &[(&str, String)],
    body: Bytes,
) -> Result<Request<Full<Bytes>>, String> {
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = Method::POST;
    // Origin form (`/path?query`): we talk to the receiver itself, not to a proxy.
    *request.uri_mut() = Uri::from(target.path_and_query.clone());
    let map = request.headers_mut();
    for (name, value) in headers {
        let name = HeaderName::try_from(*name).map_err(|_| format!("{name:?} is not a valid header name"))?;
        // These frame the request; a wrong one would corrupt it or smuggle a second request inside it.
        if [HOST, CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION].contains(&name) {
            return Err(format!("header {name} is set by the delivery itself"));
        }
        let value = HeaderValue::try_from(value.as_str())
            .map_err(|_| format!("header {name} has an invalid value"))?;
        map.append(name, value);
    }
    map.entry(CONTENT_TYPE)
        .or_insert(HeaderValue::from_static("application/json"));
    map.entry(USER_AGENT)
        .or_insert(HeaderValue::from_static(USER_AGENT_VALUE));
    let host = HeaderValue::try_from(target.authority.as_str())
        .map_err(|_| "URL host is not a valid Host header")?;
    map.insert(HOST, host);
    Ok(request)
}

/// The address to connect to: the first one the host resolves to, provided none of them is refused.
/// Checking all of them means a name that resolves to both a public and an internal address is refused,
/// whichever one a later lookup would return first.
async fn resolve(target: &Target, policy: &AddressPolicy) -> Result<SocketAddr, String> {
    let host = target.host.as_str();
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, target.port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if let Some(refused) = addrs.iter().map(SocketAddr::ip).find(|ip| !policy.permits(*ip)) {
        return Err(if host.parse() == Ok(refused) {
            format!("refused: {host} is an address webhooks may not reach")
        } else {
            format!("refused: {host} resolves to {refused}, which webhooks may not reach")
        });
    }
    addrs
        .first()
        .copied()
        .ok_or_else(|| format!("cannot resolve {host}: no addresses"))
}

async fn connect(addr: SocketAddr, connect_timeout: Duration) -> Result<TcpStream, String> {
    match timeout(connect_timeout, TcpStream::connect(addr)).await {
        Ok(Ok(tcp)) => Ok(tcp),
        Ok(Err(e)) => Err(format!("connecting to {addr} failed: {e}")),
        Err(_) => Err(format!(
            "connecting to {addr} timed out after {connect_timeout:?}"
        )),
    }
}

/// Built once: the trust store is the Mozilla roots compiled in by webpki-roots, so delivery does not
/// depend on the host's CA bundle, and the crypto is ring, the provider the rest of the server uses.
static TLS_CONFIG: LazyLock<Result<Arc<ClientConfig>, String>> = LazyLock::new(|| {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(ring_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS is not available: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // We only speak HTTP/1.1; saying so keeps a server from choosing HTTP/2 via ALPN.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
});

/// rustls 0.23.48 deprecated ring's provider for lacking post-quantum key exchange, pointing at
/// aws-lc-rs; that one needs a C/CMake build this project avoids, and classical key exchange is what
/// webhook receivers negotiate today anyway.
#[allow(deprecated)]
fn ring_provider() -> CryptoProvider {
    tokio_rustls::rustls::crypto::ring::default_provider()
}

fn tls_config() -> Result<Arc<ClientConfig>, String> {
    TLS_CONFIG.clone()
}

/// What the certificate must be for: the host name, or for a URL with a bare IP, that IP.
fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    match host.parse::<IpAddr>() {
        Ok(ip) => Ok(ServerName::from(ip)),
        Err(_) => ServerName::try_from(host.to_string())
            .map_err(|_| format!("{host:?} is not a valid TLS server name")),
    }
}

/// Sends the request over an established connection and waits for the response head.
async fn exchange<T>(
    io: T,
    request: Request<Full<Bytes>>,
) -> Result<(Response<Incoming>, AbortOnDrop), String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(MAX_READ_BUFFER)
        .handshake::<_, Full<Bytes>>(io)
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    // The connection is driven by its own task; it ends when the attempt does (see `AbortOnDrop`).
    let connection = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("HTTP request failed: {}", chain(&e)))?;
    Ok((response, connection))
}

/// Stops the connection task when dropped, so an attempt that returns (or times out) leaves no socket
/// open behind it, even when the receiver is still sending a body we no longer read.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Appends the body's data to `excerpt` until it holds `max` bytes or the body ends (or fails), and
/// reads nothing more.
async fn read_excerpt(mut body: Incoming, max: usize, excerpt: &mut Vec<u8>) {
    while excerpt.len() < max {
        let Some(Ok(frame)) = body.frame().await else {
            return;
        };
        if let Ok(data) = frame.into_data() {
            let take = data.len().min(max - excerpt.len());
            excerpt.extend_from_slice(&data[..take]);
        }
    }
}

/// The bytes as text, replacing invalid UTF-8, but dropping a multi-byte character cut off at the end
/// (by the excerpt limit) rather than showing it as a replacement character.
fn lossy(mut bytes: Vec<u8>) -> String {
    if let Err(e) = std::str::from_utf8(&bytes)
        && e.error_len().is_none()
    {
        bytes.truncate(e.valid_up_to());
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// An error and its causes, since hyper's own message ("error sending request") hides the useful part.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    /// A request as the receiver saw it.
    #[derive(Debug)]
    struct Received {
        head: String,
        body: Vec<u8>,
    }

    impl Received {
        fn header(&self, name: &str) -> Option<&str> {
            self.head.lines().skip(1).find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name).then_some(value.trim())
            })
        }
    }

    /// What the receiver does once it has read a request.
    #[derive(Clone)]
    enum Reply {
        /// Write these bytes and close.
        Raw(&'static [u8]),
        /// Write these bytes and keep the connection open without writing more.
        ThenStall(Vec<u8>),
        /// Never answer.
        Silence,
    }

    /// A hand-written HTTP/1.1 receiver on 127.0.0.1 (hyper's server side is not a dependency): it
    /// records each request on the channel and answers with `reply`.
    async fn receiver(reply: Reply) -> (String, mpsc::UnboundedReceiver<Received>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let tx = tx.clone();
                let reply = reply.clone();
                tokio::spawn(async move {
                    let received = read_request(&mut socket).await;
                    let _ = tx.send(received);
                    match reply {
                        Reply::Raw(bytes) => {
                            let _ = socket.write_all(bytes).await;
                        }
                        Reply::ThenStall(bytes) => {
                            let _ = socket.write_all(&bytes).await;
                            std::future::pending::<()>().await;
                        }
                        Reply::Silence => std::future::pending::<()>().await,
                    }
                });
            }
        });
        (format!("http://{addr}"), rx)
    }

    async fn read_request(socket: &mut TcpStream) -> Received {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed inside the request head");
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
        let mut received = Received {
            head,
            body: Vec::new(),
        };
        let length: usize = received
            .header("content-length")
            .map_or(0, |v| v.parse().unwrap());
        while buffer.len() < head_end + length {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed inside the request body");
            buffer.extend_from_slice(&chunk[..n]);
        }
        received.body = buffer[head_end..head_end + length].to_vec();
        received
    }

    fn local() -> AddressPolicy {
        AddressPolicy::new(&["127.0.0.1/32".to_string()]).unwrap()
    }

    fn quick() -> Limits {
        Limits {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
            max_excerpt_bytes: 16,
        }
    }

    async fn post_to(url: &str, policy: &AddressPolicy, limits: &Limits) -> Attempt {
        post(url, &[], Bytes::from_static(b"{}"), policy, limits).await
    }

    #[tokio::test]
    async fn the_body_and_headers_arrive_and_a_204_is_acknowledged() {
        let (base, mut requests) = receiver(Reply::Raw(
            b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n",
        ))
        .await;
        let headers = [
            ("webhook-id", "msg_1".to_string()),
            ("webhook-signature", "v1,abc=".to_string()),
        ];
        let body = Bytes::from_static(br#"{"type":"account.created"}"#);
        let attempt = post(
            &format!("{base}/hooks/kam?x=1"),
            &headers,
            body,
            &local(),
            &quick(),
        )
        .await;

        assert_eq!(attempt.status, Some(204), "{attempt:?}");
        assert!(attempt.acknowledged());
        assert_eq!(attempt.error, None);
        assert_eq!(attempt.excerpt, "");
        let received = requests.recv().await.unwrap();
        assert!(
            received.head.starts_with("POST /hooks/kam?x=1 HTTP/1.1\r\n"),
            "{}",
            received.head
        );
        assert_eq!(received.body, br#"{"type":"account.created"}"#);
        assert_eq!(received.header("webhook-id"), Some("msg_1"));
        assert_eq!(received.header("webhook-signature"), Some("v1,abc="));
        assert_eq!(received.header("content-type"), Some("application/json"));
        assert_eq!(received.header("user-agent"), Some("kam-webhooks"));
        assert_eq!(received.header("host"), base.strip_prefix("http://"));
        assert_eq!(received.header("content-length"), Some("26"));
    }

    #[tokio::test]
    async fn a_500_is_not_acknowledged_and_its_excerpt_is_cut_at_the_limit() {
        let (base, _requests) = receiver(Reply::Raw(
            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 40\r\nconnection: close\r\n\r\n\
              database is down, please try again later",
        ))
        .await;
        let attempt = post_to(&base, &local(), &quick()).await;
        assert_eq!(attempt.status, Some(500));
        assert!(!attempt.acknowledged());
        assert_eq!(attempt.excerpt, "database is down");
        assert_eq!(attempt.error, None);
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        let (base, mut requests) = receiver(Reply::Raw(
            b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:1/elsewhere\r\ncontent-length: 0\r\n\r\n",
        ))
        .await;
        let attempt = post_to(&base, &local(), &quick()).await;
        assert_eq!(attempt.status, Some(302));
        assert!(!attempt.acknowledged());
        assert!(requests.recv().await.is_some());
        assert!(requests.try_recv().is_err(), "only one request was made");
    }

    #[tokio::test]
    async fn a_receiver_that_never_answers_hits_the_total_timeout() {
        let (base, _requests) = receiver(Reply::Silence).await;
        let limits = Limits {
            total_timeout: Duration::from_millis(300),
            ..quick()
        };
        let attempt = post_to(&base, &local(), &limits).await;
        assert_eq!(attempt.status, None);
        assert!(
            attempt.error.as_deref().unwrap().contains("no response within"),
            "{attempt:?}"
        );
        assert!(attempt.latency >= Duration::from_millis(300));
        assert!(attempt.latency < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn a_long_body_is_not_read_past_the_excerpt() {
        // The receiver promises 10 MB, sends 64 KiB and then nothing: waiting for the rest would run
        // into the total timeout, so returning quickly shows delivery stopped reading.
        let mut reply = b"HTTP/1.1 200 OK\r\ncontent-length: 10000000\r\n\r\n".to_vec();
        reply.extend(std::iter::repeat_n(b'a', 64 * 1024));
        let (base, _requests) = receiver(Reply::ThenStall(reply)).await;
        let attempt = post_to(&base, &local(), &quick()).await;
        assert_eq!(attempt.status, Some(200));
        assert!(attempt.acknowledged());
        assert_eq!(attempt.excerpt, "a".repeat(16));
        assert!(attempt.latency < Duration::from_secs(2), "{attempt:?}");
    }

    #[tokio::test]
    async fn a_body_that_stalls_keeps_the_status_and_what_arrived() {
        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nok so far".to_vec();
        let (base, _requests) = receiver(Reply::ThenStall(reply)).await;
        let limits = Limits {
            total_timeout: Duration::from_millis(300),
            ..quick()
        };
        let attempt = post_to(&base, &local(), &limits).await;
        assert_eq!(attempt.status, Some(200));
        assert_eq!(attempt.excerpt, "ok so far");
        assert_eq!(attempt.error, None);
    }

    #[tokio::test]
    async fn loopback_is_refused_without_connecting_unless_allowed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let attempt = post_to(&url, &AddressPolicy::default(), &quick()).await;
        assert_eq!(attempt.status, None);
        let error = attempt.error.unwrap();
        assert!(
            error.starts_with("refused: 127.0.0.1 is an address webhooks may not reach"),
            "{error}"
        );
        let accepted = timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "the listener saw a connection");
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused() {
        let attempt = post_to("http://localhost:9/", &AddressPolicy::default(), &quick()).await;
        assert!(
            attempt
                .error
                .unwrap()
                .starts_with("refused: localhost resolves to ")
        );
    }

    #[tokio::test]
    async fn bad_urls_are_refused_with_an_error() {
        for url in [
            "",
            "garbage",
            "not a url at all",
            "ftp://example.com/file",
            "file:///etc/passwd",
            "http://user:pw@example.com/",
            "https://trusted.example@127.0.0.1/",
            "/just/a/path",
            "http://",
            "http://[::1/",
            "http://example.com:99999/",
            "https://exa mple.com/",
            "\u{0}",
        ] {
            let attempt = post_to(url, &local(), &quick()).await;
            assert_eq!(attempt.status, None, "{url:?}");
            assert!(attempt.error.is_some(), "{url:?}");
        }
    }

    #[tokio::test]
    async fn bad_or_framing_headers_are_refused_before_connecting() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        for header in [
            ("bad header", "x".to_string()),
            ("x-ok", "line\r\nbreak".to_string()),
            ("host", "evil.example".to_string()),
            ("Content-Length", "1".to_string()),
            ("transfer-encoding", "chunked".to_string()),
        ] {
            let attempt = post(
                &url,
                std::slice::from_ref(&header),
                Bytes::new(),
                &local(),
                &quick(),
            )
            .await;
            assert!(attempt.error.is_some(), "{header:?}");
        }
        assert!(
            timeout(Duration::from_millis(200), listener.accept())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn given_headers_override_the_defaults() {
        let (base, mut requests) =
            receiver(Reply::Raw(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")).await;
        let headers = [("Content-Type", "application/cloudevents+json".to_string())];
        let attempt = post(&base, &headers, Bytes::new(), &local(), &quick()).await;
        assert!(attempt.acknowledged(), "{attempt:?}");
        let received = requests.recv().await.unwrap();
        assert_eq!(
            received.header("content-type"),
            Some("application/cloudevents+json")
        );
        assert_eq!(
            received.head.matches("content-type").count(),
            1,
            "{}",
            received.head
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let attempt = post_to(&url, &local(), &quick()).await;
        assert!(attempt.error.unwrap().starts_with("connecting to 127.0.0.1:"));
    }

    #[tokio::test]
    async fn https_to_a_server_that_does_not_speak_tls_is_a_tls_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let _ = socket
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        });
        let attempt = post_to(&url, &local(), &quick()).await;
        assert_eq!(attempt.status, None);
        assert!(
            attempt
                .error
                .unwrap()
                .starts_with("TLS handshake with 127.0.0.1 failed")
        );
    }

    #[test]
    fn urls_are_taken_apart() {
        let target = Target::parse("https://hooks.example.com/in?a=b").unwrap();
        assert!(target.https);
        assert_eq!((target.host.as_str(), target.port), ("hooks.example.com", 443));
        assert_eq!(target.authority, "hooks.example.com");
        assert_eq!(target.path_and_query.as_str(), "/in?a=b");

        let target = Target::parse("http://[::1]:8080").unwrap();
        assert!(!target.https);
        assert_eq!((target.host.as_str(), target.port), ("::1", 8080));
        assert_eq!(target.authority, "[::1]:8080");
        assert_eq!(target.path_and_query.as_str(), "/");

        assert_eq!(Target::parse("http://example.com").unwrap().port, 80);
        assert_eq!(Target::parse("http://example.com:/").unwrap().port, 80);
        assert_eq!(Target::parse("https://example.com:8443/").unwrap().port, 8443);
        for bad in [
            "http://example.com:99999/",
            "http://example.com:0/",
            "http://example.com:+80/",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tls_names_are_host_names_or_ip_addresses() {
        assert!(tls_config().is_ok());
        assert!(matches!(
            server_name("hooks.example.com"),
            Ok(ServerName::DnsName(_))
        ));
        assert!(matches!(server_name("192.0.2.1"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(server_name("2001:db8::1"), Ok(ServerName::IpAddress(_))));
        assert!(server_name("bad_name!").is_err());
    }

    #[test]
    fn excerpts_drop_a_character_cut_in_half() {
        assert_eq!(lossy("héllo".as_bytes()[..2].to_vec()), "h");
        assert_eq!(lossy(b"ok\xffok".to_vec()), "ok\u{fffd}ok");
        assert_eq!(lossy(Vec::new()), "");
    }

    #[test]
    fn only_2xx_is_acknowledged() {
        let attempt = |status| Attempt {
            status,
            latency: Duration::ZERO,
            excerpt: String::new(),
            error: None,
        };
        assert!(attempt(Some(200)).acknowledged());
        assert!(attempt(Some(299)).acknowledged());
        for status in [None, Some(199), Some(300), Some(302), Some(404), Some(500)] {
            assert!(!attempt(status).acknowledged(), "{status:?}");
        }
    }
}
