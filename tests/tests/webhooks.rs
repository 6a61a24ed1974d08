//! Webhooks end to end, on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set): a real HTTP
//! receiver in the test process, subscribed through `WebhookService`, gets the domain events as the
//! delivery contract in `proto/kam/v1/webhooks.proto` promises them:
//!
//! - one POST per event, its body the `Event`'s proto3 JSON, in feed order, signed per Standard
//!   Webhooks (checked here with an HMAC computed independently of the server's code);
//! - a failing receiver is retried with backoff until it acknowledges, each event acknowledged once,
//!   every attempt in the delivery log;
//! - a disabled subscription, or one FAILING after the retry period, waits and resumes where it
//!   stopped; a replay sends again from a cursor;
//! - an internal address is refused before any connection unless `webhooks.allowed_networks` lists it;
//!   a receiver that never answers is a timeout;
//! - only an ADMIN manages subscriptions, and bad input names its field;
//! - a server started again on the same database resumes without gaps or duplicates, and two servers
//!   on one PostgreSQL database deliver each event once.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use kam_server::{Config, WEBHOOK_DISPATCHER_JOB, platform::db::Db, platform::leases::Lease};
use kam_tests::{
    Authed, Backend, Bearer, POSTGRES_URL_VAR, TestServer, assert_error, assert_invalid_argument,
    pb::{self, webhook_service_client::WebhookServiceClient, webhook_subscription::State},
    pbjson_types::FieldMask,
};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use sha2::Sha256;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
    task::{JoinHandle, JoinSet},
};
use tonic::{Code, service::interceptor::InterceptedService, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// How long a test waits for something that must happen (a delivery, a retry, a state).
const PATIENCE: Duration = Duration::from_secs(20);

/// How long a test watches for something that must not happen (a delivery while disabled).
const QUIET: Duration = Duration::from_secs(1);

/// The receiver's path, so the tests see the server keeps the URL's path.
const HOOK_PATH: &str = "/hooks/kam?source=test";

// ----- the receiver -----

/// How the receiver answers one request.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// This status, at once.
    Status(u16),
    /// This status after a while: a latency to measure, or a delivery that takes time.
    Slowly(u16, Duration),
    /// Nothing: the connection stays open and unanswered.
    Never,
}

/// One request as the receiver read it.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    /// With the query.
    path: String,
    /// Names lower-cased.
    headers: HashMap<String, String>,
    body: String,
    /// The status it was answered with; `None` when it was left unanswered.
    status: Option<u16>,
    at: Instant,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    fn webhook_id(&self) -> &str {
        self.header("webhook-id")
    }

    fn acknowledged(&self) -> bool {
        self.status.is_some_and(|status| (200..300).contains(&status))
    }

    /// The body as JSON: the `Event`.
    fn event(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.body))
    }

    /// The id of the resource the event is about (an account's id for `AccountCreated`).
    fn resource_id(&self) -> String {
        self.event()["resourceId"].as_str().unwrap_or_default().to_owned()
    }
}

/// What the receiver and its connections share.
struct Log {
    /// The answers to the next requests, in turn.
    script: VecDeque<Answer>,
    /// The answer once the script is used up.
    then: Answer,
    requests: Vec<Received>,
    connections: usize,
}

/// An HTTP/1.1 endpoint on 127.0.0.1 speaking just enough of the protocol by hand (one request per
/// connection, a `content-length` body, `connection: close`), recording every request and answering
/// as the test scripted.
struct Receiver {
    url: String,
    log: Arc<Mutex<Log>>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Answers the first requests with `first`, in turn, and every later one with `then`.
    async fn start(first: &[Answer], then: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
        let addr = listener.local_addr().expect("the receiver's address");
        let log = Arc::new(Mutex::new(Log {
            script: first.iter().copied().collect(),
            then,
            requests: Vec::new(),
            connections: 0,
        }));
        let shared = Arc::clone(&log);
        let task = tokio::spawn(async move {
            // Owned by this task: aborting it (on drop) closes every connection, unanswered ones too.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                shared.lock().unwrap().connections += 1;
                connections.spawn(answer(stream, Arc::clone(&shared)));
                while connections.try_join_next().is_some() {}
            }
        });
        Self {
            url: format!("http://{addr}{HOOK_PATH}"),
            log,
            task,
        }
    }

    /// Answers every request with `answer`.
    async fn answering(answer: Answer) -> Self {
        Self::start(&[], answer).await
    }

    /// Answers every request from now on with `answer`.
    fn answer_from_now_on(&self, answer: Answer) {
        let mut log = self.log.lock().unwrap();
        log.script.clear();
        log.then = answer;
    }

    fn requests(&self) -> Vec<Received> {
        self.log.lock().unwrap().requests.clone()
    }

    fn acknowledged(&self) -> Vec<Received> {
        self.requests()
            .into_iter()
            .filter(Received::acknowledged)
            .collect()
    }

    /// Connections accepted, whether or not a request came over them.
    fn connections(&self) -> usize {
        self.log.lock().unwrap().connections
    }

    /// Waits until `count` requests have been acknowledged; returns them.
    async fn until_acknowledged(&self, count: usize) -> Vec<Received> {
        eventually(&format!("{count} requests are acknowledged"), async || {
            let acknowledged = self.acknowledged();
            (acknowledged.len() >= count).then_some(acknowledged)
        })
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request from `stream`, records it and answers it as scripted.
async fn answer(mut stream: TcpStream, log: Arc<Mutex<Log>>) {
    let Some(mut request) = read_request(&mut stream).await else {
        return; // The client went away first.
    };
    let answer = {
        let mut log = log.lock().unwrap();
        let answer = log.script.pop_front().unwrap_or(log.then);
        request.status = match answer {
            Answer::Status(status) | Answer::Slowly(status, _) => Some(status),
            Answer::Never => None,
        };
        log.requests.push(request);
        answer
    };
    let status = match answer {
        Answer::Status(status) => status,
        Answer::Slowly(status, delay) => {
            tokio::time::sleep(delay).await;
            status
        }
        Answer::Never => return std::future::pending().await,
    };
    // A 204 has no body; any other answer carries one, for the delivery log's excerpt.
    let response = match status {
        204 => "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n".to_owned(),
        status => {
            let body = format!("scripted {status}");
            format!(
                "HTTP/1.1 {status} Scripted\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            )
        }
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request head (up to the blank line) and a `content-length` body.
async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (request_line.next()?.to_owned(), request_line.next()?.to_owned());
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .map_or(0, |n| n.parse().unwrap_or(0));
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&chunk[..read]);
    }
    Some(Received {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        status: None,
        at: Instant::now(),
    })
}

// ----- signatures -----

/// The `webhook-signature` a receiver holding `secret` (`whsec_<base64 key>`) expects for `request`:
/// `v1,` and the base64 HMAC-SHA256, keyed with the key's bytes, of `{id}.{timestamp}.{body}`.
fn expected_signature(secret: &str, request: &Received) -> String {
    let key = secret
        .strip_prefix("whsec_")
        .expect("a secret starts with whsec_");
    let key = STANDARD.decode(key).expect("a secret's key is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key");
    let timestamp = request.header("webhook-timestamp");
    mac.update(format!("{}.{timestamp}.{}", request.webhook_id(), request.body).as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether one of the request's signatures (the header may hold several, space-separated) is
/// `secret`'s.
fn signed_with(secret: &str, request: &Received) -> bool {
    let expected = expected_signature(secret, request);
    request
        .header("webhook-signature")
        .split(' ')
        .any(|signature| signature == expected)
}

// ----- the server side -----

/// Lets webhooks reach the receiver on 127.0.0.1 and has the dispatcher look for work every 20 ms.
fn deliver_to_the_receiver(config: &mut Config) {
    config.webhooks.allowed_networks = vec!["127.0.0.1/32".into()];
    config.webhooks.poll_millis = 20;
}

/// A server that delivers to the receiver, with `configure` applied after.
async fn start(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestServer> {
    TestServer::start_with(backend, |config| {
        deliver_to_the_receiver(config);
        configure(config);
    })
    .await
}

fn webhooks(channel: &Authed) -> WebhookServiceClient<Authed> {
    WebhookServiceClient::new(channel.clone())
}

/// Subscribes `url` to the events of `event_types` (all when empty).
async fn subscribe(
    channel: &Authed,
    url: &str,
    event_types: &[&str],
) -> pb::CreateWebhookSubscriptionResponse {
    webhooks(channel)
        .create_webhook_subscription(pb::CreateWebhookSubscriptionRequest {
            subscription: Some(pb::WebhookSubscription {
                url: url.to_owned(),
                description: "the test's receiver".to_owned(),
                event_types: event_types.iter().map(|t| (*t).to_owned()).collect(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create a webhook subscription")
        .into_inner()
}

/// Subscribes `url` to account creations; returns the subscription and its secret.
async fn subscribe_to_account_creations(channel: &Authed, url: &str) -> (pb::WebhookSubscription, String) {
    let created = subscribe(channel, url, &["AccountCreated"]).await;
    (created.subscription.expect("the subscription"), created.secret)
}

async fn get(channel: &Authed, id: &str) -> pb::WebhookSubscription {
    webhooks(channel)
        .get_webhook_subscription(pb::GetWebhookSubscriptionRequest { id: id.to_owned() })
        .await
        .expect("get the subscription")
        .into_inner()
}

fn state_of(subscription: &pb::WebhookSubscription) -> State {
    State::try_from(subscription.state).unwrap_or(State::Unspecified)
}

/// Enables or disables the subscription (an update of `enabled` only).
async fn set_enabled(channel: &Authed, id: &str, enabled: bool) -> pb::WebhookSubscription {
    webhooks(channel)
        .update_webhook_subscription(pb::UpdateWebhookSubscriptionRequest {
            subscription: Some(pb::WebhookSubscription {
                id: id.to_owned(),
                enabled,
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["enabled".to_owned()],
            }),
        })
        .await
        .expect("update enabled")
        .into_inner()
}

/// The subscription's attempts, newest first.
async fn deliveries(channel: &Authed, id: &str) -> Vec<pb::WebhookDelivery> {
    webhooks(channel)
        .list_webhook_deliveries(pb::ListWebhookDeliveriesRequest {
            subscription_id: id.to_owned(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .expect("list the deliveries")
        .into_inner()
        .deliveries
}

/// Waits until the subscription's cursor is `cursor`: the event with that `webhook-id` is acknowledged
/// in the database, not only answered by the receiver, and nothing is in flight.
async fn until_caught_up(channel: &Authed, id: &str, cursor: &str) {
    eventually(&format!("the subscription's cursor is {cursor}"), async || {
        (get(channel, id).await.cursor == cursor).then_some(())
    })
    .await
}

async fn create_account(channel: &Authed, name: &str) -> pb::Account {
    pb::account_service_client::AccountServiceClient::new(channel.clone())
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: name.to_owned(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create an account")
        .into_inner()
}

/// The `webhook-id`s of `requests`, in the order they came.
fn ids(requests: &[Received]) -> Vec<&str> {
    requests.iter().map(Received::webhook_id).collect()
}

/// The resources (account ids) `requests` were about, in the order they came.
fn resources(requests: &[Received]) -> Vec<String> {
    requests.iter().map(Received::resource_id).collect()
}

/// The `webhook-id` of each request with when it came, in milliseconds after the first: for failure
/// messages about timing.
fn arrivals(requests: &[Received]) -> Vec<(&str, u128)> {
    let Some(first) = requests.first() else {
        return Vec::new();
    };
    requests
        .iter()
        .map(|r| (r.webhook_id(), (r.at - first.at).as_millis()))
        .collect()
}

/// Polls `probe` every 20 ms until it answers `Some`; panics after [`PATIENCE`] naming `what`.
async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "gave up after {PATIENCE:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ----- the tests -----

async fn signed_events_arrive_in_order(backend: Backend) {
    let Some(server) = start(backend, |_| {}).await else {
        return;
    };
    let admin = server.channel();
    let receiver = Receiver::answering(Answer::Status(204)).await;
    let (subscription, secret) = subscribe_to_account_creations(&admin, &receiver.url).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(state_of(&subscription), State::Active);

    let names = ["Webhook One GmbH", "Webhook Two AG", "Webhook Three SE"];
    let mut accounts = Vec::new();
    for name in names {
        accounts.push(create_account(&admin, name).await);
    }
    let received = receiver.until_acknowledged(3).await;
    until_caught_up(&admin, &subscription.id, received[2].webhook_id()).await;

    let received = receiver.requests();
    assert_eq!(received.len(), 3, "one POST per event: {received:#?}");
    let now = chrono::Utc::now().timestamp();
    for ((request, account), name) in received.iter().zip(&accounts).zip(names) {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, HOOK_PATH, "the URL's path and query, as subscribed");
        assert_eq!(request.header("content-type"), "application/json");
        let event = request.event();
        assert_eq!(event["eventType"], "AccountCreated", "{event}");
        assert_eq!(
            event["resourceId"],
            account.id.as_str(),
            "in creation order: {event}"
        );
        assert_eq!(event["accountCreated"]["displayName"], name, "{event}");
        assert_eq!(
            request.webhook_id(),
            event["cursor"].as_str().unwrap_or_default(),
            "webhook-id is the event's cursor"
        );
        let timestamp: i64 = request.header("webhook-timestamp").parse().expect("unix seconds");
        assert!(
            (timestamp - now).abs() < 60,
            "webhook-timestamp {timestamp} is not about now ({now})"
        );
        assert!(
            signed_with(&secret, request),
            "the signature {:?} is not {:?}",
            request.header("webhook-signature"),
            expected_signature(&secret, request)
        );
    }
    // Sanity: the check above can fail: another key does not make the same signature.
    let other_secret = format!("whsec_{}", STANDARD.encode([7u8; 32]));
    assert!(!signed_with(&other_secret, &received[0]));
    assert_eq!(get(&admin, &subscription.id).await.failed_attempts, 0);
    server.stop().await;
}

async fn a_failing_receiver_gets_every_event_once_in_order_after_retries(backend: Backend) {
    let Some(server) = start(backend, |_| {}).await else {
        return;
    };
    let admin = server.channel();
    // The acknowledgements take a moment, so their latency is something to see in the log.
    let slow_ok = Duration::from_millis(50);
    let receiver = Receiver::start(
        &[Answer::Status(500), Answer::Status(500)],
        Answer::Slowly(204, slow_ok),
    )
    .await;
    let (subscription, secret) = subscribe_to_account_creations(&admin, &receiver.url).await;
    let first = create_account(&admin, "Retried First KG").await;
    let second = create_account(&admin, "Retried Second KG").await;

    let acknowledged = receiver.until_acknowledged(2).await;
    until_caught_up(&admin, &subscription.id, acknowledged[1].webhook_id()).await;
    let received = receiver.requests();
    let statuses: Vec<Option<u16>> = received.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Some(500), Some(500), Some(204), Some(204)],
        "{received:#?}"
    );
    let acknowledged = receiver.acknowledged();
    assert_eq!(
        resources(&acknowledged),
        [first.id.clone(), second.id.clone()],
        "each event once, in order"
    );
    // The failed attempts were at the first event, each with its id: the second waited its turn.
    let first_id = acknowledged[0].webhook_id();
    assert_eq!(
        ids(&received),
        [first_id, first_id, first_id, acknowledged[1].webhook_id()]
    );
    assert!(
        received.iter().all(|r| signed_with(&secret, r)),
        "every attempt is signed"
    );
    // Backoff: the first retry waits 1 s, the second 2 s, each cut by jitter to no less than half.
    let waits = [received[1].at - received[0].at, received[2].at - received[1].at];
    assert!(
        waits[0] >= Duration::from_millis(500),
        "first retry after {:?}",
        waits[0]
    );
    assert!(
        waits[1] >= Duration::from_millis(1000),
        "second retry after {:?}",
        waits[1]
    );
    assert!(
        waits[1] < Duration::from_millis(3500),
        "second retry after {:?}",
        waits[1]
    );

    let log = deliveries(&admin, &subscription.id).await;
    let summary: Vec<(&str, i32, i32, bool)> = log
        .iter()
        .map(|d| (d.event_cursor.as_str(), d.attempt, d.status_code, d.acknowledged))
        .collect();
    assert_eq!(
        summary,
        [
            (acknowledged[1].webhook_id(), 1, 204, true),
            (first_id, 3, 204, true),
            (first_id, 2, 500, false),
            (first_id, 1, 500, false),
        ],
        "the attempts, newest first"
    );
    for delivery in &log {
        assert_eq!(delivery.subscription_id, subscription.id);
        assert_eq!(delivery.event_type, "AccountCreated");
        assert!(delivery.attempt_time.is_some());
        assert!(
            delivery.error.is_empty(),
            "an answered attempt has no error: {delivery:?}"
        );
        assert!((0..10_000).contains(&delivery.latency_millis), "{delivery:?}");
        if delivery.acknowledged {
            assert!(
                delivery.latency_millis >= 50,
                "the receiver took 50 ms to answer: {delivery:?}"
            );
        } else {
            assert_eq!(delivery.response_excerpt, "scripted 500");
        }
    }
    let caught_up = get(&admin, &subscription.id).await;
    assert_eq!(
        (state_of(&caught_up), caught_up.failed_attempts),
        (State::Active, 0)
    );
    assert_eq!(caught_up.next_attempt_time, None);
    server.stop().await;
}

async fn a_disabled_subscription_waits_and_resumes_where_it_stopped(backend: Backend) {
    let Some(server) = start(backend, |_| {}).await else {
        return;
    };
    let admin = server.channel();
    let receiver = Receiver::answering(Answer::Status(204)).await;
    let (subscription, _) = subscribe_to_account_creations(&admin, &receiver.url).await;
    let before = create_account(&admin, "Before The Pause Ltd").await;
    let delivered = receiver.until_acknowledged(1).await;
    until_caught_up(&admin, &subscription.id, delivered[0].webhook_id()).await;

    let disabled = set_enabled(&admin, &subscription.id, false).await;
    assert_eq!((state_of(&disabled), disabled.enabled), (State::Disabled, false));
    assert_eq!(state_of(&get(&admin, &subscription.id).await), State::Disabled);
    let during = create_account(&admin, "During The Pause Ltd").await;
    tokio::time::sleep(QUIET).await;
    assert_eq!(receiver.requests().len(), 1, "nothing is sent while disabled");

    let enabled = set_enabled(&admin, &subscription.id, true).await;
    assert_eq!((state_of(&enabled), enabled.enabled), (State::Active, true));
    let delivered = receiver.until_acknowledged(2).await;
    assert_eq!(
        resources(&delivered),
        [before.id, during.id],
        "the waiting event, and not the one before again"
    );
    until_caught_up(&admin, &subscription.id, delivered[1].webhook_id()).await;
    assert_eq!(state_of(&get(&admin, &subscription.id).await), State::Active);
    server.stop().await;
}

async fn failing_for_too_long_pauses_until_enabled(backend: Backend) {
    let retry_period = Duration::from_secs(2);
    let Some(server) = start(backend, |config| {
        config.webhooks.retry_seconds = retry_period.as_secs()
    })
    .await
    else {
        return;
    };
    let admin = server.channel();
    let receiver = Receiver::answering(Answer::Status(503)).await;
    let (subscription, _) = subscribe_to_account_creations(&admin, &receiver.url).await;
    let account = create_account(&admin, "Unreachable Receiver GmbH").await;

    let failing = eventually("the subscription is FAILING", async || {
        let now = get(&admin, &subscription.id).await;
        (state_of(&now) == State::Failing).then_some(now)
    })
    .await;
    let attempts = receiver.requests();
    assert!(attempts.len() >= 2, "retried before giving up: {attempts:#?}");
    assert!(attempts.iter().all(|r| r.status == Some(503)));
    assert!(
        attempts
            .iter()
            .all(|r| r.webhook_id() == attempts[0].webhook_id()),
        "the same event"
    );
    let tried_for = attempts[attempts.len() - 1].at - attempts[0].at;
    assert!(
        tried_for >= retry_period,
        "FAILING after {tried_for:?} of retries, before the retry period"
    );
    assert!(
        failing.enabled,
        "FAILING is not disabled: an ADMIN did not turn it off"
    );
    assert_eq!(failing.failed_attempts as usize, attempts.len());

    // Paused: past the moment the next retry would have been due, nothing more is sent.
    let next_retry = failing
        .next_attempt_time
        .map_or(0, |t| t.seconds * 1000 + i64::from(t.nanos) / 1_000_000);
    // At most 8 s: with a 2 s retry period it turns FAILING at the 3rd or 4th attempt, whose wait
    // would be 4 s or 8 s at most.
    let until_then = (next_retry - chrono::Utc::now().timestamp_millis()).clamp(0, 8_000) as u64;
    tokio::time::sleep(Duration::from_millis(until_then) + QUIET / 2).await;
    assert_eq!(
        receiver.requests().len(),
        attempts.len(),
        "a FAILING subscription is not retried"
    );
    assert_eq!(state_of(&get(&admin, &subscription.id).await), State::Failing);

    receiver.answer_from_now_on(Answer::Status(204));
    let resumed = set_enabled(&admin, &subscription.id, true).await;
    assert_eq!((state_of(&resumed), resumed.failed_attempts), (State::Active, 0));
    let delivered = receiver.until_acknowledged(1).await;
    assert_eq!(
        resources(&delivered),
        [account.id],
        "the event that failed, delivered at last"
    );
    assert_eq!(delivered[0].webhook_id(), attempts[0].webhook_id());
    until_caught_up(&admin, &subscription.id, delivered[0].webhook_id()).await;
    assert_eq!(state_of(&get(&admin, &subscription.id).await), State::Active);
    let log = deliveries(&admin, &subscription.id).await;
    assert_eq!(log.len(), attempts.len() + 1, "{log:#?}");
    assert!(log[0].acknowledged && log[0].status_code == 204, "{:?}", log[0]);
    server.stop().await;
}

async fn loopback_is_refused_without_the_allow_list(backend: Backend) {
    // Not `start`: this server keeps the default, public addresses only.
    let Some(server) = TestServer::start_with(backend, |config| config.webhooks.poll_millis = 20).await
    else {
        return;
    };
    let admin = server.channel();
    let receiver = Receiver::answering(Answer::Status(204)).await;
    let (subscription, _) = subscribe_to_account_creations(&admin, &receiver.url).await;
    create_account(&admin, "Internal Address Corp").await;

    let log = eventually("an attempt is logged", async || {
        let log = deliveries(&admin, &subscription.id).await;
        (!log.is_empty()).then_some(log)
    })
    .await;
    let attempt = &log[log.len() - 1];
    assert_eq!(
        (attempt.attempt, attempt.status_code, attempt.acknowledged),
        (1, 0, false),
        "{attempt:?}"
    );
    assert!(!attempt.error.is_empty(), "the log says why: {attempt:?}");
    assert_eq!(receiver.connections(), 0, "refused before connecting");
    let retrying = get(&admin, &subscription.id).await;
    assert_eq!(
        state_of(&retrying),
        State::Active,
        "still within the retry period"
    );
    assert!(
        retrying.failed_attempts >= 1 && retrying.next_attempt_time.is_some(),
        "{retrying:?}"
    );
    server.stop().await;
}

async fn a_receiver_that_never_answers_times_out(backend: Backend) {
    let Some(server) = start(backend, |config| config.webhooks.timeout_seconds = 1).await else {
        return;
    };
    let admin = server.channel();
    let receiver = Receiver::answering(Answer::Never).await;
    let (subscription, _) = subscribe_to_account_creations(&admin, &receiver.url).await;
    create_account(&admin, "Silent Receiver Inc").await;

    let log = eventually("an attempt is logged", async || {
        let log = deliveries(&admin, &subscription.id).await;
        (!log.is_empty()).then_some(log)
    })
    .await;
    let attempt = &log[log.len() - 1];
    assert_eq!(
        (attempt.status_code, attempt.acknowledged),
        (0, false),
        "{attempt:?}"
    );
    assert!(!attempt.error.is_empty(), "{attempt:?}");
    assert!(
        (1000..5000).contains(&attempt.latency_millis),
        "gave up after the timeout: {attempt:?}"
    );
    assert!(!receiver.requests().is_empty(), "the request was sent");
    server.stop().await;
}

async fn only_an_admin_manages_subscriptions(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let manager = server.caller_with_roles(&[pb::Role::Manager]).await.channel();
    let request = |url: &str| pb::CreateWebhookSubscriptionRequest {
        subscription: Some(pb::WebhookSubscription {
            url: url.to_owned(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let refused = webhooks(&manager)
        .create_webhook_subscription(request("https://erp.example.com/hooks"))
        .await
        .expect_err("a MANAGER may not subscribe");
    assert_error(&refused, Code::PermissionDenied);
    let refused = webhooks(&manager)
        .list_webhook_subscriptions(pb::ListWebhookSubscriptionsRequest::default())
        .await
        .expect_err("a MANAGER may not list subscriptions");
    assert_error(&refused, Code::PermissionDenied);

    let admin = server.channel();
    for url in ["ftp://x", "not a url", "", "http://user:pw@host/"] {
        let refused = webhooks(&admin)
            .create_webhook_subscription(request(url))
            .await
            .expect_err(&format!("url {url:?} is refused"));
        assert_invalid_argument(&refused, "subscription.url");
    }
    let mut not_a_uuid = request("https://erp.example.com/hooks");
    not_a_uuid.subscription.as_mut().unwrap().account_id = "not-a-uuid".to_owned();
    let refused = webhooks(&admin)
        .create_webhook_subscription(not_a_uuid)
        .await
        .unwrap_err();
    assert_invalid_argument(&refused, "subscription.account_id");
    let mut too_many = request("https://erp.example.com/hooks");
    too_many.subscription.as_mut().unwrap().event_types = (0..1001).map(|i| format!("Type{i}")).collect();
    let refused = webhooks(&admin)
        .create_webhook_subscription(too_many)
        .await
        .unwrap_err();
    assert_invalid_argument(&refused, "subscription.event_types");

    let listed = webhooks(&admin)
        .list_webhook_subscriptions(pb::ListWebhookSubscriptionsRequest::default())
        .await
        .expect("the ADMIN lists")
        .into_inner();
    assert!(
        listed.subscriptions.is_empty(),
        "nothing refused was created: {listed:?}"
    );
    server.stop().await;
}

async fn replay_sends_again_from_a_cursor(backend: Backend) {
    let Some(server) = start(backend, |_| {}).await else {
        return;
    };
    let admin = server.channel();
    let receiver = Receiver::answering(Answer::Status(204)).await;
    let (subscription, secret) = subscribe_to_account_creations(&admin, &receiver.url).await;
    let first = create_account(&admin, "Replayed First Oy").await;
    let second = create_account(&admin, "Replayed Second Oy").await;
    let delivered = receiver.until_acknowledged(2).await;
    until_caught_up(&admin, &subscription.id, delivered[1].webhook_id()).await;

    let replayed = webhooks(&admin)
        .replay_webhook_deliveries(pb::ReplayWebhookDeliveriesRequest {
            id: subscription.id.clone(),
            cursor: subscription.cursor.clone(),
        })
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(replayed.cursor, subscription.cursor, "back where it started");

    let delivered = receiver.until_acknowledged(4).await;
    until_caught_up(&admin, &subscription.id, delivered[3].webhook_id()).await;
    let received = receiver.requests();
    let (first, second) = (first.id, second.id);
    assert_eq!(
        resources(&received),
        [&first, &second, &first, &second].map(String::clone),
        "{received:#?}"
    );
    assert_eq!(
        ids(&received[2..]),
        ids(&received[..2]),
        "the same webhook-ids again"
    );
    assert!(received.iter().all(|r| signed_with(&secret, r)));

    let refused = webhooks(&admin)
        .replay_webhook_deliveries(pb::ReplayWebhookDeliveriesRequest {
            id: subscription.id.clone(),
            cursor: "not a cursor".to_owned(),
        })
        .await
        .unwrap_err();
    assert_invalid_argument(&refused, "cursor");
    server.stop().await;
}

// ----- servers that come and go on one database -----

/// A database that outlives the servers on it: a SQLite file in a directory of the test's own, or a
/// PostgreSQL database the test creates on `KAM_TEST_POSTGRES_URL` and drops at the end.
/// ([`TestServer`] owns its database and drops it with the server, so it cannot be restarted.)
struct KeptDatabase {
    url: String,
    /// Holds the SQLite file and the ADMIN key the first server writes.
    dir: tempfile::TempDir,
    /// The server URL and name of the PostgreSQL database, to drop it.
    postgres: Option<(String, String)>,
}

impl KeptDatabase {
    /// `None` (after saying why) on PostgreSQL without `KAM_TEST_POSTGRES_URL`.
    async fn create(backend: Backend) -> Option<Self> {
        let dir = tempfile::Builder::new()
            .prefix("kam-webhooks-")
            .tempdir()
            .expect("a temporary directory");
        if backend == Backend::Sqlite {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("kam.db").display());
            return Some(Self {
                url,
                dir,
                postgres: None,
            });
        }
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!("skipping postgres: {POSTGRES_URL_VAR} is not set");
            return None;
        };
        let name = format!("kam_test_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(admin_url.as_str())
            .await
            .expect("connect to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the database");
        let _ = admin.close().await;
        // postgres://user@host:port/test?options → postgres://user@host:port/<name>?options
        let (base, query) = admin_url
            .split_once('?')
            .map_or((admin_url.as_str(), None), |(b, q)| (b, Some(q)));
        let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
        let url = match query {
            Some(query) => format!("{server}/{name}?{query}"),
            None => format!("{server}/{name}"),
        };
        Some(Self {
            url,
            dir,
            postgres: Some((admin_url, name)),
        })
    }

    /// A connection of the test's own, as the server's code makes them.
    async fn connect(&self) -> Db {
        Db::connect(&Config {
            database_url: self.url.clone(),
            db_max_connections: 2,
            ..Config::default()
        })
        .await
        .expect("connect to the database")
    }

    async fn drop_now(mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            drop_postgres(&admin_url, &name).await;
        }
    }
}

impl Drop for KeptDatabase {
    /// Reached with the database still there only when a test failed.
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            // A runtime of its own: this may run inside the test's.
            let _ = std::thread::spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    runtime.block_on(drop_postgres(&admin_url, &name));
                }
            })
            .join();
        }
    }
}

async fn drop_postgres(admin_url: &str, name: &str) {
    if let Ok(admin) = Database::connect(admin_url).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
        let _ = admin.close().await;
    }
}

/// A KAM server the test runs itself on a [`KeptDatabase`], delivering to the receiver.
struct Replica {
    /// Calls as the ADMIN the first server on the database created.
    admin: Authed,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<Result<(), kam_server::StartupError>>,
}

impl Replica {
    async fn start(database: &KeptDatabase, configure: impl FnOnce(&mut Config)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("the server's address");
        let key_file = database.dir.path().join("kam-admin.key");
        let mut config = Config {
            listen_addr: addr,
            database_url: database.url.clone(),
            migrate: true,
            db_max_connections: 8,
            drain_timeout: Duration::from_secs(5),
            // As the harness: tests call fast.
            rate_limit: kam_server::config::RateLimit {
                requests_per_second: 0,
                burst: 1,
            },
            // The first server writes it; the next ones find a key in the database and leave it be.
            admin_key_file: Some(key_file.clone()),
            ..Config::default()
        };
        deliver_to_the_receiver(&mut config);
        configure(&mut config);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(kam_server::run(config, listener, async move {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("an endpoint")
            .connect_lazy();
        let mut health = HealthClient::new(channel.clone());
        eventually("the server is SERVING", async || {
            assert!(!task.is_finished(), "the server stopped during startup");
            let check = health.check(HealthCheckRequest::default()).await;
            check
                .is_ok_and(|answer| answer.get_ref().status == ServingStatus::Serving as i32)
                .then_some(())
        })
        .await;
        let key = std::fs::read_to_string(&key_file).expect("the first server wrote the ADMIN key");
        Self {
            admin: InterceptedService::new(channel, Bearer::new(key.trim())),
            shutdown,
            task,
        }
    }

    /// Stops the server gracefully (its dispatcher lets its lease go) and checks it stopped cleanly.
    async fn stop(self) {
        let _ = self.shutdown.send(());
        let outcome = tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the server stops within 30 s")
            .expect("the server task did not panic");
        outcome.expect("the server stopped cleanly");
    }
}

async fn a_restarted_server_resumes_without_gaps(backend: Backend) {
    let Some(database) = KeptDatabase::create(backend).await else {
        return;
    };
    let receiver = Receiver::answering(Answer::Status(204)).await;
    let first_life = Replica::start(&database, |_| {}).await;
    let (subscription, _) = subscribe_to_account_creations(&first_life.admin, &receiver.url).await;
    let before = create_account(&first_life.admin, "Before The Restart BV").await;
    let delivered = receiver.until_acknowledged(1).await;
    until_caught_up(&first_life.admin, &subscription.id, delivered[0].webhook_id()).await;
    first_life.stop().await;

    // No server writes while none runs, so the outage is a server that serves the API but may not
    // deliver yet: the dispatcher's lease is still held by the server that went down, as a crash leaves
    // it until it lapses. (A graceful stop let it go: taking it here proves that too.)
    let db = database.connect().await;
    let gone = Lease::new(
        WEBHOOK_DISPATCHER_JOB,
        "the server that went down",
        Duration::from_secs(300),
    );
    assert!(
        gone.acquire(&db).await.expect("take the lease").is_some(),
        "the stopped server let it go"
    );
    let second_life = Replica::start(&database, |_| {}).await;
    let admin = &second_life.admin;
    let during = [
        create_account(admin, "During The Outage One BV").await,
        create_account(admin, "During The Outage Two BV").await,
    ];
    tokio::time::sleep(QUIET).await;
    assert_eq!(
        receiver.requests().len(),
        1,
        "nothing is delivered while no dispatcher runs"
    );

    gone.release(&db).await.expect("the lease lapses");
    let after = create_account(admin, "After The Restart BV").await;
    let delivered = receiver.until_acknowledged(4).await;
    until_caught_up(admin, &subscription.id, delivered[3].webhook_id()).await;
    let received = receiver.requests();
    assert_eq!(
        resources(&received),
        [&before.id, &during[0].id, &during[1].id, &after.id].map(String::clone),
        "every event once, in order: {received:#?}"
    );
    assert_eq!(get(admin, &subscription.id).await.failed_attempts, 0);
    second_life.stop().await;
    database.drop_now().await;
}

/// PostgreSQL only: two replicas on one database, the dispatcher's lease short (1 s) and each delivery
/// slow (300 ms), so that delivering the backlog takes longer than the lease lasts — as a receiver
/// answering in a second does to a backlog of a hundred events under the default 60 s lease. Whichever
/// replica holds the lease, and however it changes hands, each event goes out once.
async fn two_servers_on_one_database_deliver_each_event_once(backend: Backend) {
    let Some(database) = KeptDatabase::create(backend).await else {
        return;
    };
    let short_lease = |config: &mut Config| config.jobs.lease_seconds = 1;
    let receiver = Receiver::answering(Answer::Slowly(204, Duration::from_millis(300))).await;
    // One after the other: the first migrates the new database and writes the ADMIN key.
    let replicas = [
        Replica::start(&database, short_lease).await,
        Replica::start(&database, short_lease).await,
    ];
    let (subscription, secret) = subscribe_to_account_creations(&replicas[0].admin, &receiver.url).await;
    let mut accounts = Vec::new();
    for i in 0..5 {
        let replica = &replicas[i % 2];
        accounts.push(create_account(&replica.admin, &format!("Replicated {i} Sp. z o.o.")).await);
    }

    let delivered = eventually("every event is acknowledged", async || {
        let acknowledged = receiver.acknowledged();
        let last = acknowledged.iter().find(|r| r.resource_id() == accounts[4].id)?;
        Some(last.webhook_id().to_owned())
    })
    .await;
    until_caught_up(&replicas[1].admin, &subscription.id, &delivered).await;
    // A duplicate still in flight would land now.
    tokio::time::sleep(QUIET).await;

    let received = receiver.requests();
    let expected: Vec<&String> = accounts.iter().map(|a| &a.id).collect();
    assert_eq!(
        resources(&received).iter().collect::<Vec<_>>(),
        expected,
        "each event exactly once, in order, whichever server delivered it; arrivals (webhook-id, ms): {:?}",
        arrivals(&received)
    );
    assert!(received.iter().all(|r| signed_with(&secret, r)));
    for replica in replicas {
        replica.stop().await;
    }
    database.drop_now().await;
}

kam_tests::on_both_backends!(
    signed_events_arrive_in_order,
    a_failing_receiver_gets_every_event_once_in_order_after_retries,
    a_disabled_subscription_waits_and_resumes_where_it_stopped,
    failing_for_too_long_pauses_until_enabled,
    loopback_is_refused_without_the_allow_list,
    a_receiver_that_never_answers_times_out,
    only_an_admin_manages_subscriptions,
    replay_sends_again_from_a_cursor,
    a_restarted_server_resumes_without_gaps,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_servers_on_one_database_deliver_each_event_once() {
    two_servers_on_one_database_deliver_each_event_once(Backend::Postgres).await;
}
