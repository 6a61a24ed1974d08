//! OpenTelemetry end to end: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, every RPC's span reaches an OTLP
//! collector, continuing the W3C trace context the caller sent, and nothing is lost at shutdown.
//! Telemetry is process-global, so this file holds one test.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use kam_tests::{Backend, TestServer, pb};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value,
    trace::v1::Span,
};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";
/// The trace of the HTTP/JSON call.
const HTTP_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

/// Keeps every span it is sent.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let spans = request
            .into_inner()
            .resource_spans
            .into_iter()
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans);
        self.spans.lock().unwrap().extend(spans);
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn start_collector() -> (SocketAddr, Collector) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let collector = Collector::default();
    let service = TraceServiceServer::new(collector.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (addr, collector)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn int_attribute(span: &Span, key: &str) -> Option<i64> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| match a.value.as_ref()?.value {
            Some(any_value::Value::IntValue(v)) => Some(v),
            _ => None,
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_spans_continue_the_callers_trace_and_reach_the_collector() {
    let (collector_addr, collector) = start_collector().await;
    // SAFETY: this test binary holds this one test, and no other thread reads the environment yet.
    unsafe { std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector_addr}")) };
    let telemetry = kam_server::platform::telemetry::init(kam_server::LogFormat::Json, "warn").unwrap();

    let server = TestServer::start(Backend::Sqlite).await.unwrap();
    let mut request = Request::new(pb::ListAccountsRequest::default());
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01").parse().unwrap(),
    );
    server.accounts().list_accounts(request).await.unwrap();
    let refused = server
        .accounts()
        .get_account(pb::GetAccountRequest {
            id: "not-a-uuid".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    // An HTTP/JSON call is the same RPC span, named by the method it was transcoded to.
    let traceparent = format!("00-{HTTP_TRACE_ID}-{PARENT_SPAN_ID}-01");
    let created = server
        .http()
        .send(
            http::Method::POST,
            "/v1/accounts",
            &[
                ("content-type", "application/json"),
                ("traceparent", traceparent.as_str()),
            ],
            bytes::Bytes::from(r#"{"displayName": "Traced"}"#),
        )
        .await;
    assert_eq!(created.status, 200);
    server.stop().await;

    // Flushing blocks until the exporter has sent everything it buffered.
    tokio::task::spawn_blocking(move || telemetry.shutdown())
        .await
        .unwrap();

    let spans = collector.spans.lock().unwrap().clone();
    let list = spans
        .iter()
        .find(|s| s.name == "/kam.v1.AccountService/ListAccounts")
        .unwrap_or_else(|| {
            panic!(
                "no ListAccounts span among {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        });
    assert_eq!(
        hex(&list.trace_id),
        TRACE_ID,
        "the span continues the caller's trace"
    );
    assert_eq!(hex(&list.parent_span_id), PARENT_SPAN_ID);
    assert_eq!(int_attribute(list, "rpc.grpc.status_code"), Some(0));

    let get = spans
        .iter()
        .find(|s| s.name == "/kam.v1.AccountService/GetAccount")
        .expect("a GetAccount span");
    assert_ne!(
        hex(&get.trace_id),
        TRACE_ID,
        "a call without traceparent starts its own trace"
    );
    assert_eq!(
        int_attribute(get, "rpc.grpc.status_code"),
        Some(tonic::Code::InvalidArgument as i64)
    );

    let over_http = spans
        .iter()
        .find(|s| s.name == "/kam.v1.AccountService/CreateAccount")
        .unwrap_or_else(|| {
            panic!(
                "no CreateAccount span for the HTTP call among {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        });
    assert_eq!(hex(&over_http.trace_id), HTTP_TRACE_ID);
    assert_eq!(int_attribute(over_http, "rpc.grpc.status_code"), Some(0));
}
