//! The consumer: each event applied once whatever the redeliveries and duplicates; failures
//! retried; poison and exhausted messages dead-lettered without blocking the stream.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use platform::{
    bus::headers,
    consumer::{Consumer, ConsumerConfig},
    testing::{nats_url, poll_until},
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::helpers::{CountingHandler, Harness, QUICK};

const DURABLE: &str = "test-consumer";

fn config() -> ConsumerConfig {
    ConsumerConfig {
        max_attempts: 3,
        retry_base: Duration::from_millis(50),
        retry_cap: Duration::from_millis(200),
        ..ConsumerConfig::new(DURABLE, "test.>")
    }
}

async fn start(h: &Harness, handler: CountingHandler) -> CancellationToken {
    let token = CancellationToken::new();
    let consumer = Consumer::new(h.pool.clone(), h.bus.clone(), config(), handler);
    tokio::spawn(consumer.run(token.clone()));
    token
}

/// A counter of `consumer_stats` for this test's consumer (0 when no row yet).
async fn stat(h: &Harness, column: &str) -> i64 {
    let sql = match column {
        "duplicates" => "SELECT duplicates FROM consumer_stats WHERE consumer = $1",
        "retried" => "SELECT retried FROM consumer_stats WHERE consumer = $1",
        "dead_lettered" => "SELECT dead_lettered FROM consumer_stats WHERE consumer = $1",
        other => panic!("no counter {other}"),
    };
    sqlx::query_scalar(sql)
        .bind(DURABLE)
        .fetch_optional(&h.pool)
        .await
        .unwrap()
        .unwrap_or(0)
}

async fn processed(h: &Harness) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&h.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_duplicate_publish_with_a_new_message_id_is_applied_once() {
    let h = Harness::new(&nats_url()).await;
    let stop = start(&h, CountingHandler::default()).await;
    let id = Uuid::now_v7();
    // Same event id, two message ids: JetStream keeps both, the consumer must dedupe.
    h.publish_raw("test.thing.happened", id, "copy-1", b"ok").await;
    h.publish_raw("test.thing.happened", id, "copy-2", b"ok").await;
    h.publish_raw("test.thing.happened", Uuid::now_v7(), "other", b"ok")
        .await;

    poll_until(QUICK, "both distinct events processed and the copy counted", || async {
        (processed(&h).await == 2 && stat(&h, "duplicates").await == 1).then_some(())
    })
    .await;
    assert_eq!(h.applied_count().await, 2);
    stop.cancel();
}

#[tokio::test]
async fn a_batch_with_a_poisoned_message_and_a_copy_applies_the_others_once_each() {
    // Published before the consumer starts, so that they arrive as one batch: the fast path
    // (no savepoints) meets the poison, rolls back, and the batch is redone one by one.
    let h = Harness::new(&nats_url()).await;
    let handler = CountingHandler::default();
    let attempts = handler.attempts.clone();
    let (first, last) = (Uuid::now_v7(), Uuid::now_v7());
    h.publish_raw("test.thing.happened", first, "first", b"ok").await;
    h.publish_raw("test.thing.happened", Uuid::now_v7(), "bad", b"poison")
        .await;
    h.publish_raw("test.thing.happened", first, "first-copy", b"ok").await;
    h.publish_raw("test.thing.happened", last, "last", b"ok").await;
    let stop = start(&h, handler).await;

    poll_until(QUICK, "the good events applied and the copy counted", || async {
        (h.applied_count().await == 2 && stat(&h, "duplicates").await == 1 && stat(&h, "dead_lettered").await == 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        processed(&h).await,
        2,
        "the poisoned event is not recorded as processed"
    );
    let times: Vec<i32> = sqlx::query_scalar("SELECT times FROM applied ORDER BY event_id")
        .fetch_all(&h.pool)
        .await
        .unwrap();
    assert_eq!(times, vec![1, 1], "each good event applied once");
    // The poison was handled once (not again when the batch was redone); the first event at
    // most twice (its first application was rolled back with the batch); the copy never.
    let calls = attempts.load(Ordering::SeqCst);
    assert!((3..=4).contains(&calls), "handler calls: {calls}");
    stop.cancel();
}

#[tokio::test]
async fn an_event_already_committed_but_never_acked_changes_nothing_when_redelivered() {
    // State left by a consumer killed between its commit and its ack: the event is recorded
    // as processed and its effect applied, but the server still holds it unacked.
    let h = Harness::new(&nats_url()).await;
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)")
        .bind(DURABLE)
        .bind(id)
        .execute(&h.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO applied (event_id) VALUES ($1)")
        .bind(id)
        .execute(&h.pool)
        .await
        .unwrap();
    h.publish_raw("test.thing.happened", id, &id.to_string(), b"ok").await;
    h.publish_raw("test.thing.happened", Uuid::now_v7(), "next", b"ok")
        .await;

    let stop = start(&h, CountingHandler::default()).await;
    poll_until(QUICK, "the next event processed", || async {
        (processed(&h).await == 2).then_some(())
    })
    .await;
    let times: i32 = sqlx::query_scalar("SELECT times FROM applied WHERE event_id = $1")
        .bind(id)
        .fetch_one(&h.pool)
        .await
        .unwrap();
    assert_eq!(times, 1, "the redelivered event was not applied again");
    stop.cancel();
}

#[tokio::test]
async fn an_event_in_hand_when_its_consumer_dies_is_redelivered_and_applied_once() {
    let h = Harness::new(&nats_url()).await;
    let config = ConsumerConfig {
        ack_wait: Duration::from_secs(1),
        ..config()
    };
    let entered = Arc::new(Notify::new());
    let dying = CountingHandler {
        hang_on_first: Some(entered.clone()),
        ..Default::default()
    };
    let first =
        tokio::spawn(Consumer::new(h.pool.clone(), h.bus.clone(), config.clone(), dying).run(CancellationToken::new()));
    h.publish_raw("test.thing.happened", Uuid::now_v7(), "m1", b"ok").await;
    tokio::time::timeout(QUICK, entered.notified())
        .await
        .expect("the first consumer took the message");
    // Killed mid-message: its transaction is dropped (rolled back) and nothing is acked.
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    assert_eq!(processed(&h).await, 0);

    let stop = CancellationToken::new();
    tokio::spawn(Consumer::new(h.pool.clone(), h.bus.clone(), config, CountingHandler::default()).run(stop.clone()));
    poll_until(
        QUICK,
        "the redelivered event applied by the restarted consumer",
        || async { (h.applied_count().await == 1).then_some(()) },
    )
    .await;
    assert_eq!(processed(&h).await, 1);
    stop.cancel();
}

#[tokio::test]
async fn a_transient_failure_is_retried_and_applied_once() {
    let h = Harness::new(&nats_url()).await;
    let handler = CountingHandler::default();
    let attempts = handler.attempts.clone();
    let stop = start(&h, handler).await;
    h.publish_raw("test.thing.happened", Uuid::now_v7(), "m1", b"fail-once")
        .await;

    poll_until(QUICK, "the retried event applied", || async {
        (h.applied_count().await == 1).then_some(())
    })
    .await;
    assert_eq!(attempts.load(Ordering::SeqCst), 2, "one failure, one success");
    assert_eq!(processed(&h).await, 1);
    stop.cancel();
}

#[tokio::test]
async fn an_undecodable_message_is_dead_lettered_at_once_and_the_stream_moves_on() {
    let h = Harness::new(&nats_url()).await;
    let handler = CountingHandler::default();
    let attempts = handler.attempts.clone();
    let stop = start(&h, handler).await;
    h.publish_raw("test.thing.happened", Uuid::now_v7(), "bad", b"poison")
        .await;
    let good = Uuid::now_v7();
    h.publish_raw("test.thing.happened", good, "good", b"ok").await;

    poll_until(QUICK, "the event after the poison applied", || async {
        (h.applied_count().await == 1).then_some(())
    })
    .await;
    let dlq = h.bus.dead_letter_subject(DURABLE);
    let stream = h.bus.jetstream.get_stream(&h.bus.stream).await.unwrap();
    let dead = poll_until(QUICK, "the dead letter", || async {
        stream.get_last_raw_message_by_subject(&dlq).await.ok()
    })
    .await;
    let reason = dead
        .headers
        .get(headers::DLQ_REASON)
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default();
    assert!(reason.contains("cannot be decoded"), "reason header: {reason:?}");
    assert_eq!(dead.payload.as_ref(), b"poison");
    assert_eq!(
        dead.headers.get(headers::DLQ_DELIVERIES).map(|v| v.as_str()),
        Some("1"),
        "poison is not retried"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    stop.cancel();
}

#[tokio::test]
async fn a_message_that_keeps_failing_is_dead_lettered_after_the_last_attempt() {
    let h = Harness::new(&nats_url()).await;
    let stop = start(&h, CountingHandler::default()).await;
    h.publish_raw("test.thing.happened", Uuid::now_v7(), "always-fails", b"fail")
        .await;
    h.publish_raw("test.thing.happened", Uuid::now_v7(), "fine", b"ok")
        .await;

    let dlq = h.bus.dead_letter_subject(DURABLE);
    let stream = h.bus.jetstream.get_stream(&h.bus.stream).await.unwrap();
    let dead = poll_until(QUICK, "the dead letter", || async {
        stream.get_last_raw_message_by_subject(&dlq).await.ok()
    })
    .await;
    assert_eq!(dead.headers.get(headers::DLQ_DELIVERIES).map(|v| v.as_str()), Some("3"));
    assert!(
        dead.headers
            .get(headers::DLQ_REASON)
            .map(|v| v.as_str())
            .unwrap_or_default()
            .contains("simulated outage")
    );
    poll_until(QUICK, "the healthy event applied", || async {
        (h.applied_count().await == 1).then_some(())
    })
    .await;
    assert_eq!(
        processed(&h).await,
        1,
        "the failed event was never recorded as processed"
    );
    poll_until(QUICK, "the outcomes counted", || async {
        (stat(&h, "retried").await == 2 && stat(&h, "dead_lettered").await == 1).then_some(())
    })
    .await;
    stop.cancel();
}

#[tokio::test]
async fn a_message_without_an_event_id_is_dead_lettered() {
    let h = Harness::new(&nats_url()).await;
    let stop = start(&h, CountingHandler::default()).await;
    h.bus
        .client
        .publish(h.bus.subject("test.thing.happened"), "no headers".into())
        .await
        .unwrap();
    h.bus.client.flush().await.unwrap();
    let dlq = h.bus.dead_letter_subject(DURABLE);
    let stream = h.bus.jetstream.get_stream(&h.bus.stream).await.unwrap();
    let dead = poll_until(QUICK, "the dead letter", || async {
        stream.get_last_raw_message_by_subject(&dlq).await.ok()
    })
    .await;
    assert!(
        dead.headers
            .get(headers::DLQ_REASON)
            .map(|v| v.as_str())
            .unwrap_or_default()
            .contains("Nats-Msg-Id")
    );
    stop.cancel();
}
