//! The server around the services: gRPC-Web with CORS, message-size limits, and graceful shutdown.
//! Each test runs once per backend the machine offers.

use std::time::{Duration, Instant};

use kam_tests::{Backend, TestServer, pb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// Sends one raw HTTP/1.1 request and returns the whole response as text (headers and body).
async fn http1(server: &TestServer, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .expect("the server answers and closes")
        .unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_web_over_http1_answers_with_readable_status_headers() {
    for backend in BACKENDS {
        let Some(server) = TestServer::start(backend).await else {
            continue;
        };
        // An empty HealthCheckRequest in one uncompressed gRPC frame: flag 0, length 0.
        let frame = [0u8, 0, 0, 0, 0];
        let mut request = format!(
            "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: {}\r\nOrigin: https://tools.example\r\n\
             Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            server.addr,
            frame.len()
        )
        .into_bytes();
        request.extend_from_slice(&frame);
        let response = http1(&server, &request).await;
        let lower = response.to_lowercase();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(
            lower.contains("content-type: application/grpc-web+proto"),
            "{response}"
        );
        assert!(
            lower.contains("access-control-allow-origin: https://tools.example"),
            "{response}"
        );
        let exposed = lower
            .lines()
            .find(|l| l.starts_with("access-control-expose-headers:"))
            .unwrap_or_else(|| panic!("no exposed headers in {response}"));
        for header in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
            assert!(exposed.contains(header), "{header} not exposed: {exposed}");
        }
        // gRPC-Web carries the trailers in the body.
        assert!(lower.contains("grpc-status:0"), "{response}");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_allows_grpc_web_from_a_browser() {
    for backend in BACKENDS {
        let Some(server) = TestServer::start(backend).await else {
            continue;
        };
        let request = format!(
            "OPTIONS /kam.v1.AccountService/ListAccounts HTTP/1.1\r\nHost: {}\r\n\
             Origin: https://tools.example\r\nAccess-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: content-type,x-grpc-web,authorization\r\n\
             Connection: close\r\n\r\n",
            server.addr
        );
        let response = http1(&server, request.as_bytes()).await.to_lowercase();
        assert!(response.starts_with("http/1.1 200"), "{response}");
        assert!(
            response.contains("access-control-allow-origin: https://tools.example"),
            "{response}"
        );
        assert!(response.contains("access-control-allow-methods:"), "{response}");
        assert!(response.contains("post"), "{response}");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_the_size_limit_are_refused_and_write_nothing() {
    for backend in BACKENDS {
        let Some(server) = TestServer::start_with(backend, |config| config.max_message_bytes = 1024).await
        else {
            continue;
        };
        let mut accounts = server.accounts();
        let oversized = pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: "Big".into(),
                industry: "x".repeat(2000),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let status = accounts.create_account(oversized).await.unwrap_err();
        // tonic answers OUT_OF_RANGE for a message beyond the decoding limit.
        assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
        let listed = accounts
            .list_accounts(pb::ListAccountsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(listed.accounts.is_empty());

        let small = pb::CreateAccountRequest {
            account: Some(pb::Account {
                display_name: "Small".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        accounts
            .create_account(small)
            .await
            .expect("a message under the limit passes");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_reports_not_serving_and_ends_within_the_drain_deadline() {
    for backend in BACKENDS {
        let drain = Duration::from_secs(2);
        let Some(server) = TestServer::start_with(backend, |config| config.drain_timeout = drain).await
        else {
            continue;
        };
        // An open server stream would hold the drain forever without the deadline.
        let mut watch = server
            .health()
            .watch(HealthCheckRequest {
                service: "kam.v1.AccountService".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let first = watch.next().await.unwrap().unwrap();
        assert_eq!(first.status(), ServingStatus::Serving);

        let started = Instant::now();
        let stopping = tokio::spawn(server.stop());
        let next = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .expect("health reports the shutdown")
            .unwrap()
            .unwrap();
        assert_eq!(next.status(), ServingStatus::NotServing);
        stopping.await.expect("the server stops cleanly");
        assert!(
            started.elapsed() < drain + Duration::from_secs(8),
            "shutdown took {:?} with a {drain:?} drain deadline",
            started.elapsed()
        );
    }
}
