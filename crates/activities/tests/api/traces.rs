//! The trace continues from activities into the registry: the registry's GetPartner server span
//! is a child of the activities' client span, in the CreateActivity trace. Registry and activities
//! run in this process, so their spans land in one in-memory exporter; nextest runs each test in
//! its own process, so the global subscriber installed here affects this test only.

use std::time::Duration;

use opentelemetry::{
    global,
    trace::{SpanKind, TracerProvider as _},
};
use opentelemetry_sdk::{
    propagation::TraceContextPropagator,
    trace::{InMemorySpanExporter, SdkTracerProvider, SpanData},
};
use platform::testing::poll_until;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::helpers::{spawn_app, valid_activity};

fn install_tracing() -> InMemorySpanExporter {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("activities-tests")));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test process");
    exporter
}

fn find<'a>(spans: &'a [SpanData], name: &str, kind: SpanKind) -> Option<&'a SpanData> {
    spans.iter().find(|s| s.name == name && s.span_kind == kind)
}

#[tokio::test]
async fn the_registry_validation_call_continues_the_create_activity_trace() {
    let exporter = install_tracing();
    let app = spawn_app().await;
    let organiser = app.partner("Coopérative organisatrice").await;
    app.create_activity(valid_activity(&organiser)).await.unwrap();

    let (server, client, registry) = poll_until(Duration::from_secs(5), "the three spans to be exported", || {
        let spans = exporter.get_finished_spans().unwrap();
        async move {
            let server = find(&spans, "ess.activities.v1.Activities/CreateActivity", SpanKind::Server)?.clone();
            let client = find(&spans, "ess.registry.v1.PartnerRegistry/GetPartner", SpanKind::Client)?.clone();
            let registry = find(&spans, "ess.registry.v1.PartnerRegistry/GetPartner", SpanKind::Server)?.clone();
            Some((server, client, registry))
        }
    })
    .await;
    let trace = server.span_context.trace_id();
    assert_eq!(
        client.span_context.trace_id(),
        trace,
        "the client span is in the CreateActivity trace"
    );
    assert_eq!(
        registry.span_context.trace_id(),
        trace,
        "the registry continues the same trace"
    );
    assert_eq!(
        registry.parent_span_id,
        client.span_context.span_id(),
        "child of the client span"
    );
}
