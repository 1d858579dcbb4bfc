//! One user action is one trace: `essctl partner create` → registry `CreatePartner` → outbox →
//! relay → NATS → observatory consumer, received by a test OTLP collector from separate
//! processes, each under its own service name.

use std::{collections::HashMap, time::Duration};

use ess_e2e::{
    binaries::{RunningService, binary},
    otlp::{OtlpReceiver, ReceivedSpan, ancestry},
};
use platform::testing::{TestDatabase, TestStream, nats_url, poll_until};

const SERVER: i32 = 2;
const CONSUMER: i32 = 5;

fn env_for(db: &TestDatabase, stream: &TestStream, otlp: &OtlpReceiver) -> HashMap<&'static str, String> {
    HashMap::from([
        ("DATABASE_URL", db.url.clone()),
        ("NATS_URL", stream.nats.url.clone()),
        ("ESS_STREAM", stream.nats.stream.clone()),
        ("ESS_SUBJECT_PREFIX", stream.nats.subject_prefix.clone()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint()),
        // Export every 100 ms instead of 5 s, so the test does not wait.
        ("OTEL_BSP_SCHEDULE_DELAY", "100".into()),
        ("RUST_LOG", "warn".into()),
    ])
}

#[tokio::test]
async fn creating_a_partner_with_essctl_is_one_trace_down_to_the_observatory_projection() {
    let otlp = OtlpReceiver::start().await;
    let stream = TestStream::new(&nats_url());
    let (reg_db, obs_db) = (
        TestDatabase::create("registry").await,
        TestDatabase::create("observatory").await,
    );
    let registry = RunningService::start("registry", &env_for(&reg_db, &stream, &otlp)).await;
    let observatory = RunningService::start("observatory", &env_for(&obs_db, &stream, &otlp)).await;

    let out = tokio::process::Command::new(binary("essctl"))
        .env_clear()
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint())
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env(
            "ESS_TOKEN",
            platform::testing::token(platform::auth::Access::Staff).expose(),
        )
        .args([
            "--registry-url",
            &registry.url(),
            "partner",
            "create",
            "--name",
            "Fondation d'essai",
            "--siret",
            "73282932000074",
            "--commune",
            "14118",
        ])
        .output()
        .await
        .expect("run essctl");
    assert!(
        out.status.success(),
        "essctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let is_consumer = |s: &ReceivedSpan| {
        s.service == "observatory" && s.kind == CONSUMER && s.name.ends_with("registry.partner.registered process")
    };
    let is_create = |s: &ReceivedSpan| {
        s.service == "registry" && s.kind == SERVER && s.name == "ess.registry.v1.PartnerRegistry/CreatePartner"
    };
    // Services export on their own schedules: wait until the whole chain has arrived.
    let spans = poll_until(
        Duration::from_secs(20),
        "the consumer span and its ancestors up to essctl",
        || async {
            let spans = otlp.spans();
            let consumer = spans.iter().find(|s| is_consumer(s))?;
            let chain = ancestry(consumer, &spans);
            (chain.iter().any(|s| is_create(s)) && chain.last()?.service == "essctl").then_some(())?;
            Some(spans)
        },
    )
    .await;
    let consumer = spans.iter().find(|s| is_consumer(s)).expect("consumer span");
    assert_eq!(
        consumer.attributes.get("messaging.system").map(String::as_str),
        Some("nats")
    );
    assert_eq!(
        consumer
            .attributes
            .get("messaging.consumer.group.name")
            .map(String::as_str),
        Some("observatory-registry")
    );
    assert_eq!(
        consumer.attributes.get("ess.outcome").map(String::as_str),
        Some("applied")
    );

    let chain = ancestry(consumer, &spans);
    let path: Vec<String> = chain.iter().map(|s| format!("{}:{}", s.service, s.name)).collect();
    let create = chain
        .iter()
        .find(|s| is_create(s))
        .expect("the consumer descends from CreatePartner");
    eprintln!("trace path (consumer to root): {path:?}");
    assert_eq!(
        create.attributes.get("rpc.grpc.status_code").map(String::as_str),
        Some("0")
    );
    assert!(
        chain
            .iter()
            .any(|s| s.service == "registry" && s.name.ends_with("registry.partner.registered publish")),
        "relay producer span in {path:?}"
    );
    let root = chain.last().expect("a root");
    assert_eq!(root.service, "essctl", "the trace starts in the CLI: {path:?}");
    assert!(
        chain.iter().all(|s| s.trace_id == consumer.trace_id),
        "one trace id along {path:?}"
    );

    assert!(
        observatory.stop().await.success(),
        "the observatory stops cleanly on SIGTERM"
    );
    assert!(registry.stop().await.success(), "the registry stops cleanly on SIGTERM");
}
