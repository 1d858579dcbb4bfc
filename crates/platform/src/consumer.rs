//! Durable, idempotent event consumption. A [`Consumer`] reads one durable pull consumer of the
//! stream and, for the messages at hand (up to a batch), in one database transaction: records the
//! event ids in `processed_events` (`ON CONFLICT DO NOTHING`), applies the [`Handler`] to the new
//! ones; then commits, then acks. When a handler fails, the batch is rolled back and redone with a
//! savepoint per message, so that the failure stays with its message. Handlers must act on the
//! database only (the transaction they are given), since a batch may run twice that way.
//! A duplicate is acked without effect. A transient failure is retried with backoff; a message
//! that can never be applied (undecodable, or still failing after `max_attempts`) is copied to
//! `<prefix>.dlq.<consumer>` with the reason in a header, then terminated, and the stream moves on.
//! Once the cause is fixed, [`Replay`] applies a dead letter again through the same idempotent
//! step, in the service itself (see [`crate::dead_letters`]).

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context as _;
use async_nats::{
    HeaderMap,
    jetstream::{
        AckKind, Message,
        consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull},
        message::PublishMessage,
    },
};
use bytes::Bytes;
use futures::{FutureExt as _, StreamExt as _, future::BoxFuture};
use sqlx::{Acquire as _, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument as _, Span, field::Empty};
use uuid::Uuid;

use crate::{
    bus::{EventBus, headers},
    task::{backoff, sleep_or_cancel},
    telemetry::{self, NatsHeaderExtractor},
};

/// One event as handed to a [`Handler`].
#[derive(Debug, Clone)]
pub struct InboundEvent {
    /// The event id (from `Ess-Event-Id`, else `Nats-Msg-Id`).
    pub event_id: Uuid,
    /// Subject without the deployment prefix (`registry.partner.registered`).
    pub subject: String,
    /// `Ess-Event-Type`, the payload's protobuf message name (empty if the header is missing).
    pub event_type: String,
    /// The encoded payload.
    pub payload: Bytes,
}

/// Why a handler could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event can never be applied (undecodable, violates the contract): dead-letter it now.
    #[error("poisoned event: {0}")]
    Poison(String),
    /// Something that may work later (database hiccup): retry with backoff.
    #[error(transparent)]
    Transient(#[from] anyhow::Error),
}

impl From<sqlx::Error> for HandlerError {
    fn from(e: sqlx::Error) -> Self {
        Self::Transient(e.into())
    }
}

/// What a service does with one event, inside the consumer's transaction. Unknown event types
/// should be ignored (`Ok`): producers may add facts before every consumer knows them.
pub trait Handler: Send + Sync + 'static {
    /// Applies `event` using `tx`; the caller commits on `Ok` and rolls back on `Err`.
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a InboundEvent,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a;
}

/// Settings of one durable consumer.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Durable name, also the key in `processed_events` and the dead-letter subject's last token.
    pub durable: String,
    /// Subject filter without the prefix (`registry.>`). One per consumer: NATS 2.9 has no lists.
    pub filter: String,
    /// Deliveries before a still-failing message is dead-lettered.
    pub max_attempts: u64,
    /// First retry delay; doubles per attempt up to `retry_cap`.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_cap: Duration,
    /// How long the server waits for an ack before redelivering (a consumer that died mid-message).
    pub ack_wait: Duration,
    /// Messages already received that are applied in one transaction (one commit, one fsync).
    pub batch_size: usize,
}

impl ConsumerConfig {
    /// Defaults: 5 attempts, retries from 200 ms up to 10 s, 10 s ack wait (far above the time one
    /// message takes, short enough that a crashed consumer's messages come back quickly).
    pub fn new(durable: impl Into<String>, filter: impl Into<String>) -> Self {
        Self {
            durable: durable.into(),
            filter: filter.into(),
            max_attempts: 5,
            retry_base: Duration::from_millis(200),
            retry_cap: Duration::from_secs(10),
            ack_wait: Duration::from_secs(10),
            batch_size: 64,
        }
    }
}

/// What the fast path of a batch gave.
enum Together {
    /// Every message applied or found a duplicate (or the commit failed: then all are to retry).
    Done(Vec<Result<Outcome, HandlerError>>),
    /// The handler failed on `items[index]`; the transaction was rolled back.
    Failed { index: usize, error: HandlerError },
    /// Nothing to apply together, or the database did not answer.
    NotTried,
}

/// One message of a batch, ready to apply.
struct Item {
    message: Message,
    delivered: u64,
    span: Span,
    parsed: Result<InboundEvent, String>,
}

/// What happened to one message (recorded on its span as `ess.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied and committed.
    Applied,
    /// Already processed before: nothing changed.
    Duplicate,
    /// Failed; will be redelivered.
    Retrying,
    /// Copied to the dead-letter subject and terminated.
    DeadLettered,
}

impl Outcome {
    /// The name recorded on spans (`ess.outcome`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Retrying => "retrying",
            Self::DeadLettered => "dead_lettered",
        }
    }
}

/// A running durable consumer.
pub struct Consumer<H> {
    pool: PgPool,
    bus: EventBus,
    config: ConsumerConfig,
    /// Shared with the consumer's [`Replay`].
    handler: Arc<H>,
}

const RECONNECT_BASE: Duration = Duration::from_millis(200);
const RECONNECT_CAP: Duration = Duration::from_secs(5);

impl<H: Handler> Consumer<H> {
    /// A consumer applying `handler` to the events matching `config.filter`.
    pub fn new(pool: PgPool, bus: EventBus, config: ConsumerConfig, handler: H) -> Self {
        Self {
            pool,
            bus,
            config,
            handler: Arc::new(handler),
        }
    }

    /// What replays this consumer's dead letters (for [`crate::dead_letters`]).
    pub fn replay(&self) -> Arc<dyn Replay> {
        Arc::new(Replayer {
            pool: self.pool.clone(),
            durable: self.config.durable.clone(),
            handler: self.handler.clone(),
        })
    }

    /// Creates the durable consumer on the stream if needed (idempotent).
    pub async fn ensure(&self) -> anyhow::Result<PullConsumer> {
        let stream = self
            .bus
            .jetstream
            .get_stream(&self.bus.stream)
            .await
            .with_context(|| format!("looking up stream {}", self.bus.stream))?;
        stream
            .get_or_create_consumer(
                &self.config.durable,
                pull::Config {
                    durable_name: Some(self.config.durable.clone()),
                    filter_subject: self.bus.subject(&self.config.filter),
                    ack_policy: AckPolicy::Explicit,
                    deliver_policy: DeliverPolicy::All,
                    ack_wait: self.config.ack_wait,
                    // Unlimited on the server: the attempt limit is ours, so that the last failure
                    // goes to the dead-letter subject instead of silently stopping redelivery.
                    max_deliver: -1,
                    ..Default::default()
                },
            )
            .await
            .with_context(|| format!("creating durable consumer {}", self.config.durable))
    }

    /// Consumes until `token` is cancelled; the message in hand is finished first. Lost
    /// connections are re-established with backoff.
    pub async fn run(self, token: CancellationToken) -> anyhow::Result<()> {
        let mut failures = 0u32;
        loop {
            if token.is_cancelled() {
                return Ok(());
            }
            match self.consume(&token, &mut failures).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    failures += 1;
                    let delay = backoff(failures, RECONNECT_BASE, RECONNECT_CAP);
                    tracing::warn!(consumer = %self.config.durable, error = ?e, retry_in_ms = delay.as_millis() as u64, "platform.consumer.stream_failed");
                    if !sleep_or_cancel(delay, &token).await {
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn consume(&self, token: &CancellationToken, failures: &mut u32) -> anyhow::Result<()> {
        let consumer = self.ensure().await?;
        let mut messages = consumer.messages().await.context("opening the message stream")?;
        loop {
            let next = tokio::select! {
                _ = token.cancelled() => return Ok(()),
                next = messages.next() => next,
            };
            let mut batch = vec![match next {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(anyhow::Error::new(e).context("receiving from the consumer")),
                None => anyhow::bail!("the message stream ended"),
            }];
            // Whatever else has already arrived joins the batch: one commit for all of them.
            let mut interrupted = None;
            while batch.len() < self.config.batch_size {
                match messages.next().now_or_never() {
                    Some(Some(Ok(m))) => batch.push(m),
                    Some(Some(Err(e))) => {
                        interrupted = Some(anyhow::Error::new(e).context("receiving from the consumer"));
                        break;
                    }
                    Some(None) => {
                        interrupted = Some(anyhow::anyhow!("the message stream ended"));
                        break;
                    }
                    None => break,
                }
            }
            *failures = 0;
            self.process_batch(batch).await?;
            if let Some(e) = interrupted {
                return Err(e);
            }
        }
    }

    /// Applies a batch, commits, then settles each message: ack, retry later, or dead-letter.
    /// Errors only when a message could not even be settled, which the caller treats as a lost
    /// connection.
    async fn process_batch(&self, messages: Vec<Message>) -> anyhow::Result<()> {
        let mut items = Vec::with_capacity(messages.len());
        for message in messages {
            items.push(self.prepare(message)?);
        }
        let results = match self.apply_together(&items).await {
            Together::Done(results) => results,
            Together::Failed { index, error } => self.apply_one_by_one(&items, Some((index, error))).await,
            Together::NotTried => self.apply_one_by_one(&items, None).await,
        };
        for (item, result) in items.into_iter().zip(results) {
            let span = item.span.clone();
            self.settle(item, result).instrument(span).await?;
        }
        Ok(())
    }

    /// The fast path: the whole batch in one transaction without savepoints. One statement
    /// records every event id and returns the new ones; each new event's handler then runs; the
    /// duplicates are counted in one statement. A few round trips per batch instead of three more
    /// per message. When a handler fails (or the database does not answer) everything is rolled
    /// back and the caller redoes the batch one savepoint per message, which confines the failure
    /// to its message; the failed message keeps its error and is not handled a second time.
    async fn apply_together(&self, items: &[Item]) -> Together {
        let ids: Vec<Uuid> = items
            .iter()
            .filter_map(|i| i.parsed.as_ref().ok().map(|e| e.event_id))
            .collect();
        if ids.is_empty() {
            return Together::NotTried;
        }
        let Ok(mut tx) = self.pool.begin().await else {
            return Together::NotTried;
        };
        let fresh: Result<Vec<Uuid>, _> = sqlx::query_scalar(
            "INSERT INTO processed_events (consumer, event_id) SELECT $1, id FROM UNNEST($2::uuid[]) AS id \
             ON CONFLICT DO NOTHING RETURNING event_id",
        )
        .bind(&self.config.durable)
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await;
        let Ok(fresh) = fresh else {
            return Together::NotTried;
        };
        // An id redelivered within the batch is applied once: the first copy takes it.
        let mut fresh: std::collections::HashSet<Uuid> = fresh.into_iter().collect();
        let mut results = Vec::with_capacity(items.len());
        let mut duplicates = 0;
        for (index, item) in items.iter().enumerate() {
            let result = match &item.parsed {
                Err(reason) => Err(HandlerError::Poison(reason.clone())),
                Ok(event) if fresh.remove(&event.event_id) => {
                    let handled = self.handler.handle(&mut tx, event).instrument(item.span.clone()).await;
                    if let Err(error) = handled {
                        return Together::Failed { index, error };
                    }
                    Ok(Outcome::Applied)
                }
                Ok(_) => {
                    duplicates += 1;
                    Ok(Outcome::Duplicate)
                }
            };
            results.push(result);
        }
        if duplicates > 0
            && count_outcome(&mut tx, &self.config.durable, Outcome::Duplicate, duplicates)
                .await
                .is_err()
        {
            return Together::NotTried;
        }
        commit_batch(tx, &mut results).await;
        Together::Done(results)
    }

    /// The careful path: one transaction with a savepoint per message, so that one failure does
    /// not undo the others. `known_failure` is the message the fast path saw fail, with its error.
    async fn apply_one_by_one(
        &self,
        items: &[Item],
        mut known_failure: Option<(usize, HandlerError)>,
    ) -> Vec<Result<Outcome, HandlerError>> {
        let mut results: Vec<Result<Outcome, HandlerError>> = Vec::with_capacity(items.len());
        match self.pool.begin().await {
            Err(e) => {
                let e = anyhow::Error::new(e).context("begin consumer batch");
                results.extend(
                    items
                        .iter()
                        .map(|_| Err(HandlerError::Transient(anyhow::anyhow!("{e:#}")))),
                );
            }
            Ok(mut tx) => {
                for (index, item) in items.iter().enumerate() {
                    let seen_failing = known_failure.take_if(|(i, _)| *i == index);
                    let result = match (&item.parsed, seen_failing) {
                        (Err(reason), _) => Err(HandlerError::Poison(reason.clone())),
                        (Ok(_), Some((_, error))) => Err(error),
                        (Ok(event), None) => {
                            apply_once(&mut tx, &self.config.durable, &*self.handler, event)
                                .instrument(item.span.clone())
                                .await
                        }
                    };
                    results.push(result);
                }
                commit_batch(tx, &mut results).await;
            }
        }
        results
    }

    /// Reads what the consumer needs from a message and opens its span (a child of the producer's
    /// trace context).
    fn prepare(&self, message: Message) -> anyhow::Result<Item> {
        let info = message
            .info()
            .map_err(|e| anyhow::anyhow!("message without JetStream info: {e}"))?;
        let (delivered, stream_sequence) = (info.delivered.max(1) as u64, info.stream_sequence);
        let empty = HeaderMap::new();
        let hdrs = message.headers.as_ref().unwrap_or(&empty);
        let header = |name: &str| hdrs.get(name).map(|v| v.as_str().to_owned());
        let subject = message.subject.to_string();

        let span = tracing::info_span!(
            "consumer.process",
            otel.name = %format!("{subject} process"),
            otel.kind = "consumer",
            otel.status_code = Empty,
            messaging.system = "nats",
            messaging.operation.type = "process",
            messaging.destination.name = %subject,
            messaging.consumer.group.name = %self.config.durable,
            messaging.message.id = Empty,
            messaging.nats.stream.sequence = stream_sequence,
            messaging.nats.delivery_count = delivered,
            ess.event.type = Empty,
            ess.aggregate.id = Empty,
            ess.aggregate.version = Empty,
            ess.outcome = Empty,
        );
        telemetry::set_parent(&span, &NatsHeaderExtractor(hdrs));
        for (field, name) in [
            ("ess.event.type", headers::EVENT_TYPE),
            ("ess.aggregate.id", headers::AGGREGATE_ID),
            ("ess.aggregate.version", headers::AGGREGATE_VERSION),
        ] {
            if let Some(v) = header(name) {
                span.record(field, v.as_str());
            }
        }
        let parsed = parse_event(&self.bus, &subject, &header, message.payload.clone());
        if let Ok(event) = &parsed {
            span.record("messaging.message.id", event.event_id.to_string().as_str());
        }
        Ok(Item {
            message,
            delivered,
            span,
            parsed,
        })
    }

    /// Acks, retries or dead-letters one message according to what applying it gave.
    async fn settle(&self, item: Item, result: Result<Outcome, HandlerError>) -> anyhow::Result<()> {
        let Item { message, delivered, .. } = item;
        let outcome = match result {
            Ok(o) => {
                message.ack().await.map_err(|e| anyhow::anyhow!("ack: {e}"))?;
                o
            }
            Err(HandlerError::Poison(reason)) => self.dead_letter(&message, &reason, delivered).await?,
            Err(HandlerError::Transient(e)) if delivered >= self.config.max_attempts => {
                let reason = format!("failed {delivered} times; last error: {e:#}");
                self.dead_letter(&message, &reason, delivered).await?
            }
            Err(HandlerError::Transient(e)) => {
                let delay = backoff(delivered as u32, self.config.retry_base, self.config.retry_cap);
                tracing::warn!(error = ?e, attempt = delivered, retry_in_ms = delay.as_millis() as u64, "platform.consumer.retrying");
                message
                    .ack_with(AckKind::Nak(Some(delay)))
                    .await
                    .map_err(|e| anyhow::anyhow!("nak: {e}"))?;
                Outcome::Retrying
            }
        };
        if matches!(outcome, Outcome::Retrying | Outcome::DeadLettered) {
            // Best effort: the count must not decide the fate of the message.
            let counted = match self.pool.acquire().await {
                Ok(mut conn) => count_outcome(&mut conn, &self.config.durable, outcome, 1).await,
                Err(e) => Err(e),
            };
            if let Err(e) = counted {
                tracing::warn!(error = ?e, "platform.consumer.stats_not_recorded");
            }
        }
        let span = Span::current();
        span.record("ess.outcome", outcome.as_str());
        if outcome == Outcome::DeadLettered {
            span.record("otel.status_code", "ERROR");
        }
        tracing::debug!(outcome = outcome.as_str(), "platform.consumer.processed");
        Ok(())
    }

    /// Copies the message to the dead-letter subject (awaiting the ack), then terminates it.
    async fn dead_letter(&self, message: &Message, reason: &str, delivered: u64) -> anyhow::Result<Outcome> {
        let info = message.info().map_err(|e| anyhow::anyhow!("message info: {e}"))?;
        let mut hdrs = message.headers.clone().unwrap_or_default();
        hdrs.insert(headers::DLQ_REASON, sanitize_header(reason).as_str());
        hdrs.insert(headers::DLQ_CONSUMER, self.config.durable.as_str());
        hdrs.insert(headers::DLQ_ORIGINAL_SUBJECT, message.subject.as_str());
        hdrs.insert(
            headers::DLQ_ORIGINAL_SEQUENCE,
            info.stream_sequence.to_string().as_str(),
        );
        hdrs.insert(headers::DLQ_DELIVERIES, delivered.to_string().as_str());
        // Its own message id: the original's would be dropped as a duplicate within the window.
        let dlq_id = format!("dlq.{}.{}", self.config.durable, info.stream_sequence);
        hdrs.insert(headers::MSG_ID, dlq_id.as_str());
        let subject = self.bus.dead_letter_subject(&self.config.durable);
        let ack = self
            .bus
            .jetstream
            .send_publish(
                subject.clone(),
                PublishMessage::build().payload(message.payload.clone()).headers(hdrs),
            )
            .await
            .with_context(|| format!("publishing dead letter on {subject}"))?;
        ack.await.with_context(|| format!("ack of dead letter on {subject}"))?;
        message
            .ack_with(AckKind::Term)
            .await
            .map_err(|e| anyhow::anyhow!("terminating a dead-lettered message: {e}"))?;
        tracing::error!(consumer = %self.config.durable, dead_letter_subject = %subject, reason, "platform.consumer.dead_lettered");
        Ok(Outcome::DeadLettered)
    }
}

/// The idempotent step: mark the event processed by `durable`, apply it. In a savepoint when
/// `conn` is in a transaction (a batch: the failure stays with its event, the batch's commit makes
/// it durable), else in a transaction of its own (a replay).
async fn apply_once<H: Handler>(
    conn: &mut PgConnection,
    durable: &str,
    handler: &H,
    event: &InboundEvent,
) -> Result<Outcome, HandlerError> {
    let mut step = conn.begin().await?;
    let inserted =
        sqlx::query("INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(durable)
            .bind(event.event_id)
            .execute(&mut *step)
            .await?;
    if inserted.rows_affected() == 0 {
        count_outcome(&mut step, durable, Outcome::Duplicate, 1).await?;
        step.commit().await?;
        return Ok(Outcome::Duplicate);
    }
    // On error the step is dropped, which rolls it back.
    handler.handle(&mut step, event).await?;
    step.commit().await?;
    Ok(Outcome::Applied)
}

/// Applies a dead letter of one consumer again, once its cause is fixed: the same idempotent step
/// as a delivery, in the service's own database. Nothing is published, so a replay needs no right
/// on the event's subject (which belongs to the producing service) and reaches no other consumer.
pub trait Replay: Send + Sync {
    /// The durable consumer whose dead letters these are.
    fn durable(&self) -> &str;

    /// Applies `event` (read from a dead letter) in a transaction of its own.
    fn apply<'a>(&'a self, event: &'a InboundEvent) -> BoxFuture<'a, Result<Outcome, HandlerError>>;
}

struct Replayer<H> {
    pool: PgPool,
    durable: String,
    handler: Arc<H>,
}

impl<H: Handler> Replay for Replayer<H> {
    fn durable(&self) -> &str {
        &self.durable
    }

    fn apply<'a>(&'a self, event: &'a InboundEvent) -> BoxFuture<'a, Result<Outcome, HandlerError>> {
        Box::pin(async move {
            let mut conn = self.pool.acquire().await?;
            apply_once(&mut conn, &self.durable, &*self.handler, event).await
        })
    }
}

/// Commits a batch's transaction. If the commit fails, nothing of the batch is kept: every message
/// that was applied becomes a transient failure, to be retried.
async fn commit_batch(tx: sqlx::Transaction<'_, sqlx::Postgres>, results: &mut [Result<Outcome, HandlerError>]) {
    if let Err(e) = crate::outbox::commit(tx).await {
        let e = anyhow::Error::new(e).context("commit consumer batch");
        for r in results.iter_mut().filter(|r| r.is_ok()) {
            *r = Err(HandlerError::Transient(anyhow::anyhow!("{e:#}")));
        }
    }
}

/// Adds `n` to the consumer's counter for a rare outcome (applied events are counted by
/// `processed_events` itself).
async fn count_outcome(conn: &mut PgConnection, consumer: &str, outcome: Outcome, n: i64) -> Result<(), sqlx::Error> {
    let sql = match outcome {
        Outcome::Duplicate => {
            "INSERT INTO consumer_stats (consumer, duplicates) VALUES ($1, $2) \
             ON CONFLICT (consumer) DO UPDATE SET duplicates = consumer_stats.duplicates + EXCLUDED.duplicates"
        }
        Outcome::Retrying => {
            "INSERT INTO consumer_stats (consumer, retried) VALUES ($1, $2) \
             ON CONFLICT (consumer) DO UPDATE SET retried = consumer_stats.retried + EXCLUDED.retried"
        }
        Outcome::DeadLettered => {
            "INSERT INTO consumer_stats (consumer, dead_lettered) VALUES ($1, $2) \
             ON CONFLICT (consumer) DO UPDATE SET dead_lettered = consumer_stats.dead_lettered + EXCLUDED.dead_lettered"
        }
        Outcome::Applied => return Ok(()),
    };
    sqlx::query(sql).bind(consumer).bind(n).execute(conn).await?;
    Ok(())
}

/// Reads the platform headers; an error string means the message can never be processed.
pub(crate) fn parse_event(
    bus: &EventBus,
    subject: &str,
    header: &dyn Fn(&str) -> Option<String>,
    payload: Bytes,
) -> Result<InboundEvent, String> {
    let raw_id = header(headers::EVENT_ID)
        .or_else(|| header(headers::MSG_ID))
        .ok_or_else(|| "no Ess-Event-Id or Nats-Msg-Id header".to_owned())?;
    let event_id = Uuid::parse_str(&raw_id).map_err(|_| "the event id header is not a UUID".to_owned())?;
    let suffix = bus
        .strip_prefix(subject)
        .ok_or_else(|| "subject outside this deployment's prefix".to_owned())?;
    Ok(InboundEvent {
        event_id,
        subject: suffix.to_owned(),
        event_type: header(headers::EVENT_TYPE).unwrap_or_default(),
        payload,
    })
}

/// Header values must be one line of visible ASCII; error chains are neither.
fn sanitize_header(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { ' ' })
        .collect();
    cleaned.chars().take(512).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letter_reasons_fit_in_a_header() {
        let r = sanitize_header("failed 5 times;\nlast error: é\r\n");
        assert!(r.chars().all(|c| c.is_ascii_graphic() || c == ' '));
        assert!(r.starts_with("failed 5 times;"));
        assert_eq!(sanitize_header(&"x".repeat(2000)).len(), 512);
    }
}
