//! Issue 4's trace: one `essctl activity create` is one trace through the activities service, its
//! organiser check with the registry (`GetPartner`), the outbox relay and the observatory's
//! consumption of the event, received by a test OTLP collector from four processes.

use std::time::Duration;

use ess_e2e::otlp::{OtlpReceiver, ReceivedSpan, ancestry};
use platform::testing::poll_until;

use crate::cluster::Cluster;

const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const PRODUCER: i32 = 4;
const CONSUMER: i32 = 5;

#[tokio::test]
async fn creating_an_activity_with_essctl_is_one_trace_through_the_registry_check_and_the_observatory() {
    let otlp = OtlpReceiver::start().await;
    let cluster = Cluster::start(Some(&otlp)).await;
    let partner = cluster
        .essctl_json(&[
            "partner",
            "create",
            "--name",
            "Coopérative organisatrice (démo)",
            "--siret",
            "73282932000074",
            "--commune",
            "14118",
        ])
        .await;
    let organiser = partner["id"].as_str().expect("partner id").to_owned();

    let activity = cluster
        .essctl_json(&[
            "activity",
            "create",
            "--title",
            "Découvrir l'ESS (démo)",
            "--kind",
            "sensibilisation",
            "--axis",
            "4",
            "--public",
            "scolaires",
            "--organiser",
            &organiser,
            "--commune",
            "14118",
            "--address",
            "1 rue de la Paix, Caen",
            "--session",
            "2027-03-10T09:00/2027-03-10T11:00/30",
        ])
        .await;
    let activity_id = activity["id"].as_str().expect("activity id").to_owned();

    let is_create = |s: &ReceivedSpan| {
        s.service == "activities" && s.kind == SERVER && s.name == "ess.activities.v1.Activities/CreateActivity"
    };
    let is_consumer = |s: &ReceivedSpan| {
        s.service == "observatory"
            && s.kind == CONSUMER
            && s.name.ends_with("activities.activity.created process")
            && s.attributes.get("ess.aggregate.id") == Some(&activity_id)
    };
    let is_check = |s: &ReceivedSpan| {
        s.service == "registry" && s.kind == SERVER && s.name == "ess.registry.v1.PartnerRegistry/GetPartner"
    };
    // Each process exports on its own schedule: wait until the whole trace has arrived.
    let spans = poll_until(
        Duration::from_secs(30),
        "the observatory's consumer span and the registry's GetPartner in the CreateActivity trace",
        || async {
            let spans = otlp.spans();
            let consumer = spans.iter().find(|s| is_consumer(s))?;
            let chain = ancestry(consumer, &spans);
            let create = chain.iter().find(|s| is_create(s))?;
            (chain.last()?.service == "essctl").then_some(())?;
            spans
                .iter()
                .filter(|s| is_check(s))
                .any(|s| ancestry(s, &spans).iter().any(|a| a.span_id == create.span_id))
                .then_some(())?;
            Some(spans)
        },
    )
    .await;

    let consumer = spans.iter().find(|s| is_consumer(s)).expect("consumer span");
    let chain = ancestry(consumer, &spans);
    let path: Vec<String> = chain.iter().map(|s| format!("{}:{}", s.service, s.name)).collect();
    eprintln!("trace path (consumer to root): {path:?}");
    assert!(
        chain.iter().all(|s| s.trace_id == consumer.trace_id),
        "one trace id: {path:?}"
    );
    assert!(
        chain.iter().any(|s| s.service == "activities"
            && s.kind == PRODUCER
            && s.name.ends_with("activities.activity.created publish")),
        "the relay's producer span sits between the RPC and the consumer: {path:?}"
    );
    assert_eq!(
        consumer
            .attributes
            .get("messaging.consumer.group.name")
            .map(String::as_str),
        Some("observatory-activities")
    );
    assert_eq!(
        consumer.attributes.get("ess.outcome").map(String::as_str),
        Some("applied")
    );

    let create = chain
        .iter()
        .find(|s| is_create(s))
        .expect("CreateActivity in the chain");
    let check = spans
        .iter()
        .filter(|s| is_check(s))
        .find(|s| ancestry(s, &spans).iter().any(|a| a.span_id == create.span_id))
        .expect("the organiser check");
    let check_chain = ancestry(check, &spans);
    assert!(
        check_chain.iter().any(|s| s.service == "activities"
            && s.kind == CLIENT
            && s.attributes.get("rpc.method").map(String::as_str) == Some("GetPartner")),
        "activities calls the registry under a client span: {:?}",
        check_chain
            .iter()
            .map(|s| format!("{}:{}", s.service, s.name))
            .collect::<Vec<_>>()
    );
    assert_eq!(check.trace_id, consumer.trace_id, "the check is in the same trace");
    assert_eq!(
        check.attributes.get("rpc.grpc.status_code").map(String::as_str),
        Some("0")
    );
}
