//! Logs and traces: `tracing` with an env filter, human or JSON lines, and OpenTelemetry OTLP export
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Each RPC gets a span whose parent is the W3C trace context
//! the caller sent in its metadata.

use opentelemetry::{global, propagation::Extractor, trace::TracerProvider as _};
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing::{Level, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, filter::Targets, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::LogFormat;

/// Keeps the trace exporter alive; [`TelemetryGuard::shutdown`] flushes what is still buffered.
#[must_use = "dropping the guard loses buffered spans; call shutdown() at exit"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(err) = provider.shutdown()
        {
            eprintln!("failed to flush traces: {err}");
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid log filter: {0}")]
    Filter(#[from] tracing_subscriber::filter::ParseError),
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    #[error("a global subscriber is already installed: {0}")]
    Install(#[from] tracing_subscriber::util::TryInitError),
}

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `filter`.
pub fn init(format: LogFormat, filter: &str) -> Result<TelemetryGuard, TelemetryError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(from_env) if !from_env.is_empty() => EnvFilter::try_new(from_env)?,
        _ => EnvFilter::try_new(filter)?,
    };
    let fmt = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer().boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .boxed(),
    };
    global::set_text_map_propagator(TraceContextPropagator::new());
    let provider = match std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => {
            // The exporter reads the endpoint (and OTEL_EXPORTER_OTLP_* settings) from the environment.
            let exporter = opentelemetry_otlp::SpanExporter::builder().with_tonic().build()?;
            Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(Resource::builder().with_service_name("kam-server").build())
                    .build(),
            )
        }
        _ => None,
    };
    // Traces keep KAM's own spans whatever the log filter says: quiet logs must not mean no traces.
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("kam-server"))
            .with_filter(Targets::new().with_target("kam_server", Level::INFO))
    });
    tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .try_init()?;
    Ok(TelemetryGuard { provider })
}

/// The span of one RPC, continuing the caller's trace when it sent `traceparent`.
pub fn rpc_span(request: &http::Request<()>) -> Span {
    // An HTTP/JSON call is named by the RPC it is transcoded to, like the gRPC call it becomes.
    let transcoded = crate::rest::grpc_method_of(request);
    let method = transcoded.as_deref().unwrap_or(request.uri().path());
    let span = tracing::info_span!(
        "rpc",
        otel.name = method,
        rpc.system = "grpc",
        rpc.method = method,
        // Filled in by the gate once the caller is authenticated.
        principal = tracing::field::Empty,
        rpc.grpc.status_code = tracing::field::Empty,
    );
    let parent =
        global::get_text_map_propagator(|propagator| propagator.extract(&HeaderExtractor(request.headers())));
    // Fails only when no OpenTelemetry layer is installed; then there is nothing to link to.
    let _ = span.set_parent(parent);
    span
}

/// Records the gRPC status of a finished call on its span. Failed unary calls answer "trailers-only",
/// with `grpc-status` in the headers; a response without it succeeded (or streams its status later).
pub fn record_status<B>(response: http::Response<B>) -> http::Response<B> {
    let status = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    Span::current().record("rpc.grpc.status_code", status);
    if status != 0 {
        tracing::debug!(grpc.status = status, "rpc failed");
    }
    response
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TraceContextExt;

    use super::*;

    #[test]
    fn w3c_trace_context_is_read_from_metadata() {
        let propagator = TraceContextPropagator::new();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        let cx =
            opentelemetry::propagation::TextMapPropagator::extract(&propagator, &HeaderExtractor(&headers));
        let remote = cx.span().span_context().clone();
        assert!(remote.is_remote());
        assert_eq!(remote.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }
}
