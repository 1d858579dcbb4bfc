//! A throwaway "service": a fresh database with the platform tables and a tiny projection
//! (`applied`), a unique stream, and events to publish.

use std::time::Duration;

use async_nats::{HeaderMap, jetstream::message::PublishMessage};
use bytes::Bytes;
use platform::{
    bus::{EventBus, headers},
    consumer::{Handler, HandlerError, InboundEvent},
    db,
    outbox::NewEvent,
    testing::{TestDatabase, TestStream, init_test_logging},
};
use sqlx::{PgConnection, PgPool, migrate::Migrator};
use uuid::Uuid;

pub struct Harness {
    pub pool: PgPool,
    pub bus: EventBus,
    // The stream and the database go away with the harness.
    _stream: TestStream,
    _db: TestDatabase,
}

impl Harness {
    pub async fn new(nats_url: &str) -> Self {
        init_test_logging();
        let database = TestDatabase::create("platform").await;
        let stream = TestStream::new(nats_url);
        let pool = db::connect(&platform::secret::Secret::new(database.url.clone()), 8)
            .await
            .expect("pool");
        db::migrate(&pool, &Migrator::with_migrations(vec![]))
            .await
            .expect("platform migrations");
        sqlx::raw_sql("CREATE TABLE applied (event_id UUID PRIMARY KEY, times INT NOT NULL DEFAULT 1)")
            .execute(&pool)
            .await
            .expect("projection table");
        let bus = EventBus::connect(&stream.nats, "platform-test").await.expect("bus");
        bus.ensure_stream(&stream.nats).await.expect("stream");
        Self {
            pool,
            bus,
            _stream: stream,
            _db: database,
        }
    }

    /// Messages stored on `suffix` in this test's stream.
    pub async fn messages_on(&self, suffix: &str) -> u64 {
        let mut stream = self.bus.jetstream.get_stream(&self.bus.stream).await.expect("stream");
        let subject = self.bus.subject(suffix);
        let info = stream.info().await.expect("stream info");
        if info.state.messages == 0 {
            return 0;
        }
        stream
            .info_with_subjects(subject.clone())
            .await
            .expect("subjects")
            .next()
            .await
            .map(|r| r.expect("subject count").1 as u64)
            .unwrap_or(0)
    }

    pub async fn applied_count(&self) -> i64 {
        sqlx::query_scalar("SELECT coalesce(sum(times), 0)::bigint FROM applied")
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }

    pub async fn unpublished(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }

    /// Publishes a raw event message the way the relay would, with a chosen message id.
    pub async fn publish_raw(&self, suffix: &str, event_id: Uuid, msg_id: &str, payload: &'static [u8]) {
        let mut h = HeaderMap::new();
        h.insert(headers::EVENT_ID, event_id.to_string().as_str());
        h.insert(headers::EVENT_TYPE, "test.Event");
        let ack = self
            .bus
            .jetstream
            .send_publish(
                self.bus.subject(suffix),
                PublishMessage::build()
                    .payload(Bytes::from_static(payload))
                    .headers(h)
                    .message_id(msg_id),
            )
            .await
            .expect("publish");
        ack.await.expect("ack");
    }
}

use futures::StreamExt as _;

pub fn test_event(n: i64) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        subject: "test.thing.happened",
        event_type: "test.Event",
        aggregate_id: format!("thing-{n}"),
        aggregate_version: 1,
        payload: b"ok".to_vec(),
    }
}

/// Projection used by the consumer tests: counts applications per event. Payload `poison` is
/// undecodable, `fail` always fails transiently, `fail-once` fails on its first attempt only.
#[derive(Default)]
pub struct CountingHandler {
    pub attempts: std::sync::Arc<std::sync::atomic::AtomicU32>,
    /// When set, the first attempt signals it and then never finishes (a consumer that hangs or
    /// is about to be killed while holding the message).
    pub hang_on_first: Option<std::sync::Arc<tokio::sync::Notify>>,
}

impl Handler for CountingHandler {
    async fn handle(&self, tx: &mut PgConnection, event: &InboundEvent) -> Result<(), HandlerError> {
        let attempt = self.attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if let (1, Some(entered)) = (attempt, &self.hang_on_first) {
            entered.notify_one();
            std::future::pending::<()>().await;
        }
        match event.payload.as_ref() {
            b"poison" => return Err(HandlerError::Poison("test payload cannot be decoded".into())),
            b"fail" => return Err(HandlerError::Transient(anyhow::anyhow!("simulated outage"))),
            b"fail-once" if attempt == 1 => {
                return Err(HandlerError::Transient(anyhow::anyhow!("first attempt fails")));
            }
            _ => {}
        }
        sqlx::query(
            "INSERT INTO applied (event_id) VALUES ($1) ON CONFLICT (event_id) DO UPDATE SET times = applied.times + 1",
        )
        .bind(event.event_id)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

pub const QUICK: Duration = Duration::from_secs(10);
