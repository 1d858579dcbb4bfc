//! The transactional outbox. A service never publishes from a request handler: it calls
//! [`enqueue`] inside the transaction that makes the change, so the change and its event commit
//! (or vanish) together. The [`Relay`] then publishes committed rows to JetStream and marks them.
//!
//! Delivery is at-least-once: a relay that dies after publishing but before marking re-sends the
//! batch, and JetStream drops the copies by `Nats-Msg-Id` within the duplicate window.
//!
//! Waking the relay: a writer commits with [`commit`], which wakes the relays of this process once
//! the transaction is durable; a relay also polls every `poll_interval`, which covers rows
//! committed by another process (a second replica whose relay is down, a manual insert). There is
//! no `NOTIFY`: PostgreSQL takes a database-wide lock on the notification queue at every commit
//! that notified, which serialised concurrent writers (2,025 against 7,374 transactions/s at 32
//! clients in a pgbench run of the same two inserts; see BENCHMARKS.md).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::{HeaderMap, jetstream::message::PublishMessage};
use bytes::Bytes;
use futures::future::try_join_all;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row as _, Transaction};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument as _, field::Empty};
use uuid::Uuid;

use crate::{
    bus::{EventBus, headers},
    task::{backoff, sleep_or_cancel},
    telemetry::TraceHeaders,
};

/// The head of every insert into the outbox (one column list for the three ways of writing it).
macro_rules! outbox_insert {
    () => {
        "INSERT INTO outbox (event_id, subject, event_type, payload, aggregate_id, aggregate_version, traceparent, tracestate)"
    };
}

/// Wakes every relay running in this process (each waits on it between rounds).
static RELAY_WAKE: Notify = Notify::const_new();

/// Commits a transaction that enqueued events, then wakes this process's relays so that they
/// publish at once instead of at their next poll.
pub async fn commit(tx: Transaction<'_, Postgres>) -> Result<(), sqlx::Error> {
    tx.commit().await?;
    wake_relays();
    Ok(())
}

/// Wakes this process's relays (for a writer that commits by other means than [`commit`]).
pub fn wake_relays() {
    RELAY_WAKE.notify_waiters();
}

/// An event ready to be written to the outbox.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// UUIDv7; must equal the id inside the payload's `EventMeta`.
    pub event_id: Uuid,
    /// Subject without the deployment prefix: `registry.partner.registered`.
    pub subject: &'static str,
    /// Fully qualified protobuf name of the payload: `ess.events.v1.PartnerRegistered`.
    pub event_type: &'static str,
    /// The aggregate the event is about.
    pub aggregate_id: String,
    /// Its version after the change.
    pub aggregate_version: i64,
    /// Encoded protobuf payload.
    pub payload: Vec<u8>,
}

/// Writes `event` in the caller's transaction, with the current span's trace context. Commit with
/// [`commit`] so that the relay publishes it at once.
pub async fn enqueue(conn: &mut PgConnection, event: &NewEvent) -> Result<(), sqlx::Error> {
    let trace = TraceHeaders::current();
    sqlx::query(concat!(outbox_insert!(), " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
        .bind(event.event_id)
        .bind(event.subject)
        .bind(event.event_type)
        .bind(&event.payload)
        .bind(&event.aggregate_id)
        .bind(event.aggregate_version)
        .bind(trace.traceparent)
        .bind(trace.tracestate)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Appends to `statement` an `INSERT INTO outbox … SELECT … WHERE EXISTS (SELECT FROM {source})`
/// that enqueues `event` (with the current span's trace context) when `source`, a common table
/// expression defined earlier in the statement (`WITH change AS (INSERT … RETURNING id)`),
/// returned a row. The change and its event are then one statement: outside a transaction, one
/// round trip and one implicit transaction instead of four (begin, change, enqueue, commit).
/// `rows_affected()` is 1 when the event was enqueued. Call [`wake_relays`] after it succeeds.
pub fn push_enqueue(statement: &mut QueryBuilder<Postgres>, event: &NewEvent, source: &str) {
    let trace = TraceHeaders::current();
    statement.push(concat!(" ", outbox_insert!(), " SELECT "));
    let mut values = statement.separated(", ");
    values.push_bind(event.event_id);
    values.push_bind(event.subject);
    values.push_bind(event.event_type);
    values.push_bind(event.payload.as_slice());
    values.push_bind(event.aggregate_id.as_str());
    values.push_bind(event.aggregate_version);
    values.push_bind(trace.traceparent);
    values.push_bind(trace.tracestate);
    statement.push(format_args!(" WHERE EXISTS (SELECT FROM {source})"));
}

/// Writes many events in one statement (a bulk change, such as an import), in their order, with
/// the current span's trace context: one round trip instead of one per event.
pub async fn enqueue_many(conn: &mut PgConnection, events: &[NewEvent]) -> Result<(), sqlx::Error> {
    let trace = TraceHeaders::current();
    insert_many(conn, events.iter().map(|e| (e, &trace))).await
}

/// Writes many events in one statement, in their order, each with its own trace context: for a
/// writer that commits the changes of several requests together (each event continues the trace
/// of the request that caused it).
pub async fn enqueue_traced(conn: &mut PgConnection, events: &[(NewEvent, TraceHeaders)]) -> Result<(), sqlx::Error> {
    insert_many(conn, events.iter().map(|(e, t)| (e, t))).await
}

async fn insert_many<'a>(
    conn: &mut PgConnection,
    events: impl ExactSizeIterator<Item = (&'a NewEvent, &'a TraceHeaders)>,
) -> Result<(), sqlx::Error> {
    if events.len() == 0 {
        return Ok(());
    }
    let n = events.len();
    let (mut ids, mut subjects, mut types, mut payloads, mut aggregates, mut versions, mut parents, mut states) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (e, t) in events {
        ids.push(e.event_id);
        subjects.push(e.subject);
        types.push(e.event_type);
        payloads.push(e.payload.as_slice());
        aggregates.push(e.aggregate_id.as_str());
        versions.push(e.aggregate_version);
        parents.push(t.traceparent.as_deref());
        states.push(t.tracestate.as_deref());
    }
    sqlx::query(concat!(
        outbox_insert!(),
        " SELECT e.id, e.subject, e.type, e.payload, e.aggregate, e.version, e.traceparent, e.tracestate \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::int8[], $7::text[], $8::text[]) \
             WITH ORDINALITY AS e (id, subject, type, payload, aggregate, version, traceparent, tracestate, ord) \
         ORDER BY e.ord"
    ))
    .bind(ids)
    .bind(subjects)
    .bind(types)
    .bind(payloads)
    .bind(aggregates)
    .bind(versions)
    .bind(parents)
    .bind(states)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Settings of the relay.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Rows claimed and published per round trip (publishes are pipelined, acks awaited together).
    pub batch_size: i64,
    /// Poll for rows no wake-up announced (committed by another process, or while NATS was down).
    pub poll_interval: Duration,
    /// How long a publish may wait for its JetStream ack.
    pub ack_timeout: Duration,
    /// Published rows older than this are deleted (they are in the stream by then).
    pub retention: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            batch_size: 256,
            poll_interval: Duration::from_millis(500),
            ack_timeout: Duration::from_secs(5),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Publishes committed outbox rows to JetStream.
pub struct Relay {
    pool: PgPool,
    bus: EventBus,
    config: RelayConfig,
}

/// Backoff after a failed round (NATS or the database down): 100 ms doubling up to 5 s.
const RETRY_BASE: Duration = Duration::from_millis(100);
const RETRY_CAP: Duration = Duration::from_secs(5);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

impl Relay {
    /// A relay over this service's database and bus.
    pub fn new(pool: PgPool, bus: EventBus, config: RelayConfig) -> Self {
        Self { pool, bus, config }
    }

    /// Runs until `token` is cancelled: drains the outbox, then sleeps until a wake-up or the poll
    /// interval. Failures (NATS down, database down) are logged and retried with backoff; a batch
    /// in hand is finished (or rolled back) before returning.
    pub async fn run(self, token: CancellationToken) -> anyhow::Result<()> {
        let mut failures = 0u32;
        let mut last_prune = Instant::now();
        loop {
            // Registered before draining, so a commit that lands during the drain still wakes us.
            let woken = RELAY_WAKE.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            // Drain: keep publishing while batches come back full.
            loop {
                if token.is_cancelled() {
                    return Ok(());
                }
                match self.publish_batch().await {
                    Ok(n) => {
                        failures = 0;
                        if n < self.config.batch_size as usize {
                            break;
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        let delay = backoff(failures, RETRY_BASE, RETRY_CAP);
                        tracing::warn!(error = ?e, attempt = failures, retry_in_ms = delay.as_millis() as u64, "platform.outbox.publish_failed");
                        if !sleep_or_cancel(delay, &token).await {
                            return Ok(());
                        }
                    }
                }
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                if let Err(e) = self.prune().await {
                    tracing::warn!(error = ?e, "platform.outbox.prune_failed");
                }
            }
            tokio::select! {
                _ = token.cancelled() => return Ok(()),
                _ = &mut woken => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }

    /// Claims up to `batch_size` unpublished rows (SKIP LOCKED, so two relays never share a row),
    /// publishes them all, awaits every ack, marks them published and commits. Returns how many.
    pub async fn publish_batch(&self) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await.context("begin outbox batch")?;
        let rows = sqlx::query(
            "SELECT event_id, subject, event_type, payload, aggregate_id, aggregate_version, traceparent, tracestate \
             FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(self.config.batch_size)
        .fetch_all(&mut *tx)
        .await
        .context("claiming outbox rows")?;
        if rows.is_empty() {
            return Ok(0);
        }

        let mut ids = Vec::with_capacity(rows.len());
        let mut pending = Vec::with_capacity(rows.len());
        for row in &rows {
            let event_id: Uuid = row.try_get("event_id")?;
            let suffix: String = row.try_get("subject")?;
            let event_type: String = row.try_get("event_type")?;
            let payload: Vec<u8> = row.try_get("payload")?;
            let aggregate_id: String = row.try_get("aggregate_id")?;
            let aggregate_version: i64 = row.try_get("aggregate_version")?;
            let stored = TraceHeaders {
                traceparent: row.try_get("traceparent")?,
                tracestate: row.try_get("tracestate")?,
            };
            let subject = self.bus.subject(&suffix);

            let span = tracing::info_span!(
                "outbox.publish",
                otel.name = %format!("{subject} publish"),
                otel.kind = "producer",
                messaging.system = "nats",
                messaging.operation.type = "send",
                messaging.destination.name = %subject,
                messaging.message.id = %event_id,
                ess.event.type = %event_type,
                ess.aggregate.id = %aggregate_id,
                ess.aggregate.version = aggregate_version,
                messaging.nats.stream.sequence = Empty,
            );
            stored.set_as_parent_of(&span);
            // The consumer should descend from this producer span; without OpenTelemetry
            // installed the span has no context, so pass the stored one through unchanged.
            let mut trace = TraceHeaders::of(&span);
            if trace.traceparent.is_none() {
                trace = stored;
            }
            let mut headers = HeaderMap::new();
            headers.insert(headers::EVENT_ID, event_id.to_string().as_str());
            headers.insert(headers::EVENT_TYPE, event_type.as_str());
            headers.insert(headers::AGGREGATE_ID, aggregate_id.as_str());
            headers.insert(headers::AGGREGATE_VERSION, aggregate_version.to_string().as_str());
            headers.insert(headers::CONTENT_TYPE, headers::PROTOBUF);
            if let Some(tp) = &trace.traceparent {
                headers.insert("traceparent", tp.as_str());
            }
            if let Some(ts) = &trace.tracestate {
                headers.insert("tracestate", ts.as_str());
            }
            let message = PublishMessage::build()
                .payload(Bytes::from(payload))
                .headers(headers)
                .message_id(event_id.to_string());
            let ack = self
                .bus
                .jetstream
                .send_publish(subject.clone(), message)
                .instrument(span.clone())
                .await
                .with_context(|| format!("publishing event {event_id} on {subject}"))?;
            ids.push(event_id);
            pending.push(async move {
                let ack = ack
                    .await
                    .with_context(|| format!("JetStream ack for event {event_id}"))?;
                span.record("messaging.nats.stream.sequence", ack.sequence);
                anyhow::Ok(())
            });
        }
        tokio::time::timeout(self.config.ack_timeout, try_join_all(pending))
            .await
            .context("waiting for JetStream acks")??;

        sqlx::query("UPDATE outbox SET published_at = now() WHERE event_id = ANY($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await
            .context("marking outbox rows published")?;
        tx.commit().await.context("commit outbox batch")?;
        tracing::debug!(count = ids.len(), "platform.outbox.published");
        Ok(ids.len())
    }

    async fn prune(&self) -> anyhow::Result<()> {
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(self.config.retention).context("outbox retention out of range")?;
        let done = sqlx::query("DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await
            .context("pruning published outbox rows")?;
        tracing::info!(deleted = done.rows_affected(), "platform.outbox.pruned");
        Ok(())
    }
}
