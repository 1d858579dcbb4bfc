//! Logs and traces: `tracing` with text or JSON logs on stderr, OpenTelemetry spans exported over
//! OTLP/gRPC when an endpoint is configured, and the W3C trace-context helpers that carry one trace
//! across gRPC metadata, outbox rows and NATS headers.

use std::collections::HashMap;

use anyhow::Context as _;
use opentelemetry::{
    global,
    propagation::{Extractor, Injector},
    trace::TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, layer::SubscriberExt as _, util::SubscriberInitExt as _};

use crate::config::{LogFormat, TelemetryArgs};

/// Spans that go to the trace exporter: ours and the RPC/messaging ones, not the chatter of the
/// HTTP/2 and SQL drivers (sqlx's events carry SQL text, which has no place in a trace).
const TRACE_EXPORT_FILTER: &str = "info,h2=off,hyper=off,hyper_util=off,tower=off,sqlx=off,async_nats=off,tonic=off";

/// Flushes and stops trace export when the process ends. Call [`TelemetryGuard::shutdown`] last.
#[must_use = "dropping the guard without shutdown loses the last spans"]
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl TelemetryGuard {
    /// Flushes pending spans and stops the exporter. Runs on a blocking thread: the SDK's shutdown
    /// blocks, and would hang inside a current-thread runtime.
    pub async fn shutdown(self) {
        let provider = self.provider;
        let result = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(e)) = result {
            eprintln!("telemetry shutdown: {e}");
        }
    }
}

/// Installs the global subscriber and propagator, once per process. Must run inside the Tokio
/// runtime (the OTLP exporter's channel lives on it).
pub fn init(args: &TelemetryArgs, default_service_name: &str) -> anyhow::Result<TelemetryGuard> {
    global::set_text_map_propagator(TraceContextPropagator::new());

    let service_name = args
        .service_name
        .clone()
        .unwrap_or_else(|| default_service_name.to_owned());
    let mut builder =
        SdkTracerProvider::builder().with_resource(Resource::builder().with_service_name(service_name.clone()).build());
    if let Some(endpoint) = &args.otlp_endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .with_context(|| format!("building the OTLP exporter for OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}"))?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    global::set_tracer_provider(provider.clone());

    let log_filter = EnvFilter::try_new(&args.log_filter)
        .with_context(|| format!("RUST_LOG is not a valid filter: {:?}", args.log_filter))?;
    let logs = match args.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(log_filter)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(log_filter)
            .boxed(),
    };
    let traces = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service_name))
        .with_filter(EnvFilter::new(TRACE_EXPORT_FILTER));
    tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init()
        .context("a global tracing subscriber is already installed")?;
    Ok(TelemetryGuard { provider })
}

/// W3C trace context as carried between processes (`traceparent`, `tracestate`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceHeaders {
    /// `00-<trace id>-<span id>-<flags>`, or `None` when there is no active trace.
    pub traceparent: Option<String>,
    /// Vendor-specific state, usually absent.
    pub tracestate: Option<String>,
}

impl TraceHeaders {
    /// The context of `span` (empty when OpenTelemetry is not installed or the span is disabled).
    pub fn of(span: &Span) -> Self {
        let mut map = HashMap::new();
        global::get_text_map_propagator(|p| p.inject_context(&span.context(), &mut MapInjector(&mut map)));
        Self {
            traceparent: map.remove("traceparent"),
            tracestate: map.remove("tracestate").filter(|s| !s.is_empty()),
        }
    }

    /// The context of the current span.
    pub fn current() -> Self {
        Self::of(&Span::current())
    }

    /// Makes `span` a child of this context (no-op when empty or malformed).
    pub fn set_as_parent_of(&self, span: &Span) {
        set_parent(span, self);
    }
}

impl Extractor for TraceHeaders {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => self.traceparent.as_deref(),
            "tracestate" => self.tracestate.as_deref(),
            _ => None,
        }
    }
    fn keys(&self) -> Vec<&str> {
        vec!["traceparent", "tracestate"]
    }
}

/// Makes `span` a child of the remote context found by `extractor`. A missing or malformed context
/// leaves the span a root: tracing is best-effort and never fails a request.
pub fn set_parent(span: &Span, extractor: &dyn Extractor) {
    let cx = global::get_text_map_propagator(|p| p.extract(extractor));
    // An error only means the span is disabled (filtered out); nothing to do.
    let _ = span.set_parent(cx);
}

/// Writes the context of `span` through `injector` (gRPC metadata, NATS headers).
pub fn inject(span: &Span, injector: &mut dyn Injector) {
    global::get_text_map_propagator(|p| p.inject_context(&span.context(), injector));
}

struct MapInjector<'a>(&'a mut HashMap<String, String>);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

/// Reads trace context from HTTP/2 (gRPC) request headers.
pub struct HttpHeaderExtractor<'a>(pub &'a http::HeaderMap);

impl Extractor for HttpHeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Reads trace context from NATS message headers.
pub struct NatsHeaderExtractor<'a>(pub &'a async_nats::HeaderMap);

impl Extractor for NatsHeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        vec!["traceparent", "tracestate"]
    }
}
