//! The outbox: an event commits with its change or not at all, and reaches the stream once,
//! even across a NATS outage.

use std::time::Duration;

use platform::{
    bus::headers,
    outbox::{self, Relay, RelayConfig},
    testing::{NatsServer, nats_url, poll_until},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{Harness, QUICK, test_event};

#[tokio::test]
async fn a_committed_event_is_published_once_with_its_headers() {
    let h = Harness::new(&nats_url()).await;
    let event = test_event(1);
    let mut tx = h.pool.begin().await.unwrap();
    outbox::enqueue(&mut tx, &event).await.unwrap();
    tx.commit().await.unwrap();

    let relay = Relay::new(h.pool.clone(), h.bus.clone(), RelayConfig::default());
    assert_eq!(relay.publish_batch().await.unwrap(), 1);
    assert_eq!(
        relay.publish_batch().await.unwrap(),
        0,
        "a published row is not sent again"
    );

    let stream = h.bus.jetstream.get_stream(&h.bus.stream).await.unwrap();
    let msg = stream
        .get_last_raw_message_by_subject(&h.bus.subject(event.subject))
        .await
        .unwrap();
    let header = |n: &str| msg.headers.get(n).map(|v| v.as_str().to_owned());
    assert_eq!(header(headers::MSG_ID), Some(event.event_id.to_string()));
    assert_eq!(header(headers::EVENT_ID), Some(event.event_id.to_string()));
    assert_eq!(header(headers::EVENT_TYPE).as_deref(), Some("test.Event"));
    assert_eq!(header(headers::AGGREGATE_VERSION).as_deref(), Some("1"));
    assert_eq!(header(headers::CONTENT_TYPE).as_deref(), Some("application/protobuf"));
    assert_eq!(msg.payload.as_ref(), b"ok");
}

#[tokio::test]
async fn a_rolled_back_change_leaves_no_event() {
    let h = Harness::new(&nats_url()).await;
    let mut tx = h.pool.begin().await.unwrap();
    outbox::enqueue(&mut tx, &test_event(1)).await.unwrap();
    tx.rollback().await.unwrap();

    let relay = Relay::new(h.pool.clone(), h.bus.clone(), RelayConfig::default());
    assert_eq!(relay.publish_batch().await.unwrap(), 0);
    assert_eq!(h.messages_on("test.>").await, 0);
}

#[tokio::test]
async fn a_batch_sent_twice_is_stored_once() {
    // A relay that crashed after publishing but before marking its rows re-sends them:
    // JetStream drops the copies by Nats-Msg-Id.
    let h = Harness::new(&nats_url()).await;
    let mut tx = h.pool.begin().await.unwrap();
    for n in 0..3 {
        outbox::enqueue(&mut tx, &test_event(n)).await.unwrap();
    }
    tx.commit().await.unwrap();
    let relay = Relay::new(h.pool.clone(), h.bus.clone(), RelayConfig::default());
    assert_eq!(relay.publish_batch().await.unwrap(), 3);
    sqlx::query("UPDATE outbox SET published_at = NULL")
        .execute(&h.pool)
        .await
        .unwrap();
    assert_eq!(relay.publish_batch().await.unwrap(), 3);
    assert_eq!(h.messages_on("test.>").await, 3);
}

#[tokio::test]
async fn writes_succeed_while_nats_is_down_and_their_events_leave_once_it_is_back() {
    let mut nats = NatsServer::start().await;
    let h = Harness::new(&nats.url()).await;
    let token = CancellationToken::new();
    let config = RelayConfig {
        poll_interval: Duration::from_millis(200),
        ack_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let relay = tokio::spawn(Relay::new(h.pool.clone(), h.bus.clone(), config).run(token.clone()));

    nats.kill();
    for n in 0..20 {
        let mut tx = h.pool.begin().await.unwrap();
        outbox::enqueue(&mut tx, &test_event(n)).await.unwrap();
        tx.commit().await.expect("a write does not need NATS");
    }
    assert_eq!(h.unpublished().await, 20, "events wait in the outbox");

    nats.restart().await;
    poll_until(
        Duration::from_secs(30),
        "the outbox to drain after NATS came back",
        || async { (h.unpublished().await == 0).then_some(()) },
    )
    .await;
    assert_eq!(h.messages_on("test.>").await, 20, "every event stored exactly once");

    token.cancel();
    relay.await.unwrap().unwrap();
    let _ = QUICK;
}

#[tokio::test]
async fn events_written_together_are_published_once_each_in_their_order() {
    let h = Harness::new(&nats_url()).await;
    let events: Vec<_> = (0..5).map(test_event).collect();
    let mut tx = h.pool.begin().await.unwrap();
    outbox::enqueue_many(&mut tx, &events).await.unwrap();
    outbox::enqueue_many(&mut tx, &[]).await.unwrap();
    tx.commit().await.unwrap();

    let stored: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT event_id FROM outbox ORDER BY seq")
        .fetch_all(&h.pool)
        .await
        .unwrap();
    let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(stored, ids, "the outbox keeps the order they were given in");
    let relay = Relay::new(h.pool.clone(), h.bus.clone(), RelayConfig::default());
    assert_eq!(relay.publish_batch().await.unwrap(), 5);
    assert_eq!(relay.publish_batch().await.unwrap(), 0);
    assert_eq!(h.messages_on("test.>").await, 5);
}
