//! A plain HTTP/1.1 client for the HTTP/JSON API, as an ERP integration would call it: one connection
//! per request (hyper's HTTP/1 client), JSON in and out.
//!
//! ```text
//! let api = server.http();
//! let created = api.post("/v1/accounts", json!({"name": "Acme"})).await;
//! assert_eq!(created.status, 200);
//! ```

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// An answer: status, headers, body.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpAnswer {
    /// The body as JSON; panics (naming the body) when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.details[]` entry of `@type` ending in `kind` (`ErrorInfo`, `BadRequest`, ...).
    pub fn error_detail(&self, kind: &str) -> Option<Value> {
        let json = self.json();
        json["error"]["details"]
            .as_array()?
            .iter()
            .find(|d| {
                d["@type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with(&format!(".{kind}")))
            })
            .cloned()
    }

    /// `error.details[ErrorInfo].reason`.
    pub fn reason(&self) -> Option<String> {
        self.error_detail("ErrorInfo")?["reason"]
            .as_str()
            .map(str::to_owned)
    }
}

/// Calls the server at `addr` with `Authorization: Bearer <credential>` when one is given.
#[derive(Clone)]
pub struct HttpClient {
    addr: SocketAddr,
    credential: Option<String>,
}

impl HttpClient {
    pub fn new(addr: SocketAddr, credential: Option<String>) -> Self {
        Self { addr, credential }
    }

    pub async fn get(&self, path: &str) -> HttpAnswer {
        self.send(Method::GET, path, &[], Bytes::new()).await
    }

    pub async fn delete(&self, path: &str) -> HttpAnswer {
        self.send(Method::DELETE, path, &[], Bytes::new()).await
    }

    pub async fn post(&self, path: &str, body: Value) -> HttpAnswer {
        self.json(Method::POST, path, body).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> HttpAnswer {
        self.json(Method::PATCH, path, body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> HttpAnswer {
        self.json(Method::PUT, path, body).await
    }

    /// A JSON body with `method`.
    pub async fn json(&self, method: Method, path: &str, body: Value) -> HttpAnswer {
        let headers = [("content-type", "application/json")];
        self.send(method, path, &headers, Bytes::from(body.to_string()))
            .await
    }

    /// Any request: extra headers and a raw body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> HttpAnswer {
        let response = self.open(method, path, headers, body).await;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the whole body").to_bytes();
        HttpAnswer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    /// `GET path` as Server-Sent Events: reads events until `count` of them carried data, then hangs
    /// up (as a client that loses its connection would).
    pub async fn events(&self, path: &str, headers: &[(&str, &str)], count: usize) -> Vec<SseEvent> {
        let mut all = vec![("accept", "text/event-stream")];
        all.extend_from_slice(headers);
        let response = self.open(Method::GET, path, &all, Bytes::new()).await;
        assert_eq!(response.status(), 200, "the stream opens");
        let mut body = response.into_body();
        let mut text = String::new();
        let mut events = Vec::new();
        while events.iter().filter(|e: &&SseEvent| e.data.is_some()).count() < count {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(20), body.frame())
                .await
                .expect("the next event within 20 s")
                .expect("the stream stays open")
                .expect("a readable frame");
            let Ok(data) = frame.into_data() else { continue };
            text.push_str(std::str::from_utf8(&data).expect("UTF-8 events"));
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                events.push(SseEvent::parse(&block));
            }
        }
        events
    }

    async fn open(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> http::Response<hyper::body::Incoming> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect to the server");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("HTTP/1.1 handshake");
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string());
        if let Some(credential) = &self.credential {
            request = request.header(header::AUTHORIZATION, format!("Bearer {credential}"));
        }
        for (name, value) in headers {
            request = request.header(*name, HeaderValue::from_str(value).expect("a valid header value"));
        }
        let request = request.body(Full::new(body)).expect("a valid request");
        sender.send_request(request).await.expect("an HTTP answer")
    }
}

/// One Server-Sent Event: its `id`, `event` name and `data` (JSON), as far as it has them.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Option<Value>,
}

impl SseEvent {
    fn parse(block: &str) -> SseEvent {
        let mut event = SseEvent {
            id: None,
            event: None,
            data: None,
        };
        for line in block.lines() {
            let Some((name, value)) = line.split_once(": ") else {
                continue;
            };
            match name {
                "id" => event.id = Some(value.to_owned()),
                "event" => event.event = Some(value.to_owned()),
                "data" => event.data = Some(serde_json::from_str(value).expect("JSON data")),
                _ => {}
            }
        }
        event
    }
}

/// Percent-encodes `raw` for a query string (page tokens, instants with `+`).
pub fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
