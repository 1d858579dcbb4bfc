//! The partner projection: counted once, per département, whatever the order and duplicates.

use std::time::Duration;

use platform::{bus::headers, testing::poll_until};
use uuid::Uuid;

use crate::helpers::{Registered, spawn_app};

const DEADLINE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn registered_partners_are_counted_per_departement_with_french_names() {
    let app = spawn_app().await;
    for dep in ["14", "14", "61", "50"] {
        app.publish_registered(&Registered::new(dep)).await;
    }
    let counts = poll_until(DEADLINE, "four partners projected", || async {
        let c = app.counts().await;
        (c.total == 4).then_some(c)
    })
    .await;
    let rows: Vec<_> = counts
        .departements
        .iter()
        .map(|d| (d.departement_code.as_str(), d.departement_name.as_str(), d.partners))
        .collect();
    assert_eq!(rows, [("14", "Calvados", 2), ("50", "Manche", 1), ("61", "Orne", 1)]);
}

#[tokio::test]
async fn the_same_event_published_twice_is_counted_once() {
    let app = spawn_app().await;
    let e = Registered::new("14");
    // A second copy under another message id gets past JetStream's dedupe on purpose.
    app.publish(e.event_id, "first-copy", "ess.events.v1.PartnerRegistered", e.payload())
        .await;
    app.publish(
        e.event_id,
        "second-copy",
        "ess.events.v1.PartnerRegistered",
        e.payload(),
    )
    .await;
    app.publish_registered(&Registered::new("50")).await;

    poll_until(DEADLINE, "three messages settled", || async {
        (app.processed().await == 2).then_some(())
    })
    .await;
    poll_until(DEADLINE, "the last partner counted", || async {
        (app.counts().await.total == 2).then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_older_version_never_overwrites_a_newer_one() {
    let app = spawn_app().await;
    let partner = Uuid::now_v7();
    let newer = Registered {
        partner_id: partner,
        version: 2,
        ..Registered::new("61")
    };
    let older = Registered {
        partner_id: partner,
        version: 1,
        ..Registered::new("14")
    };
    app.publish_registered(&newer).await;
    app.publish_registered(&older).await;

    poll_until(DEADLINE, "both events processed", || async {
        (app.processed().await == 2).then_some(())
    })
    .await;
    let counts = app.counts().await;
    assert_eq!(counts.total, 1);
    assert_eq!(counts.departements[0].departement_code, "61", "version 2 stays");
}

#[tokio::test]
async fn an_undecodable_event_is_dead_lettered_and_the_next_ones_still_apply() {
    let app = spawn_app().await;
    app.publish(
        Uuid::now_v7(),
        "garbage",
        "ess.events.v1.PartnerRegistered",
        b"\xff\xfe not protobuf".to_vec(),
    )
    .await;
    app.publish_registered(&Registered::new("14")).await;

    poll_until(DEADLINE, "the partner after the poison counted", || async {
        (app.counts().await.total == 1).then_some(())
    })
    .await;
    let stream = app.jetstream.get_stream(&app.stream.nats.stream).await.unwrap();
    let dlq = app.stream.subject("dlq.observatory-registry");
    let dead = poll_until(DEADLINE, "the dead letter", || async {
        stream.get_last_raw_message_by_subject(&dlq).await.ok()
    })
    .await;
    let reason = dead
        .headers
        .get(headers::DLQ_REASON)
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default();
    assert!(reason.contains("undecodable PartnerRegistered"), "reason: {reason}");
}

#[tokio::test]
async fn events_of_unknown_types_are_acknowledged_and_ignored() {
    let app = spawn_app().await;
    app.publish(
        Uuid::now_v7(),
        "future",
        "ess.events.v1.PartnerRenamedInTheFuture",
        vec![1, 2, 3],
    )
    .await;
    app.publish_registered(&Registered::new("50")).await;
    poll_until(DEADLINE, "both processed", || async {
        (app.processed().await == 2).then_some(())
    })
    .await;
    assert_eq!(app.counts().await.total, 1);
}
