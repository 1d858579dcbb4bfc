//! `ess.platform.v1.DeadLetters`: every service lists and replays the dead letters of its own
//! durable consumers. Dead letters live in the stream on `<prefix>.dlq.<consumer>` (see
//! [`crate::consumer`]). A replay applies the dead letter again through its consumer's handler, in
//! the service (the idempotent step of a delivery: a consumer that had applied the event skips
//! it), then deletes it; one that still fails is kept and the answer says why. Nothing is
//! published: the event's subject belongs to the service that produced it, which a consuming
//! service may not publish on (least-privilege NATS users), and no other consumer sees it again.

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use async_nats::{
    HeaderMap,
    jetstream::consumer::{AckPolicy, DeliverPolicy, pull},
};
use ess_proto::platform::v1::{
    DeadLetter, ListDeadLettersRequest, ListDeadLettersResponse, ReplayDeadLettersRequest, ReplayDeadLettersResponse,
    dead_letters_server::DeadLetters,
};
use futures::StreamExt as _;
use tonic::{Request, Response, Status};
use tracing::Instrument as _;

use crate::{
    bus::{EventBus, headers},
    consumer::{HandlerError, Replay, parse_event},
    grpc::{FieldViolation, internal, invalid_argument},
    telemetry::{self, NatsHeaderExtractor},
};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// The service's dead-letter administration over `bus`, for the durable consumers it runs.
pub struct DeadLetterService {
    bus: EventBus,
    consumers: Vec<Arc<dyn Replay>>,
}

impl DeadLetterService {
    /// Administers the dead letters of `consumers` only.
    pub fn new(bus: EventBus, consumers: Vec<Arc<dyn Replay>>) -> Self {
        Self { bus, consumers }
    }

    fn chosen(&self, consumer: &str) -> Result<Vec<&dyn Replay>, Status> {
        if consumer.is_empty() {
            return Ok(self.consumers.iter().map(|c| &**c).collect());
        }
        match self.consumers.iter().find(|c| c.durable() == consumer) {
            Some(c) => Ok(vec![&**c]),
            None => Err(invalid_argument(vec![FieldViolation::new(
                "consumer",
                format!(
                    "is not a consumer of this service (known: {})",
                    self.consumers
                        .iter()
                        .map(|c| c.durable())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )])),
        }
    }

    /// The dead letters stored on `consumer`'s subject, oldest first, at most `limit`.
    async fn read(&self, consumer: &str, limit: usize) -> anyhow::Result<Vec<DeadLetter>> {
        let subject = self.bus.dead_letter_subject(consumer);
        let stream = self
            .bus
            .jetstream
            .get_stream(&self.bus.stream)
            .await
            .context("looking up the stream")?;
        // An ephemeral consumer without acks: reading does not disturb anything.
        let reader = stream
            .create_consumer(pull::Config {
                filter_subject: subject.clone(),
                deliver_policy: DeliverPolicy::All,
                ack_policy: AckPolicy::None,
                inactive_threshold: Duration::from_secs(30),
                ..Default::default()
            })
            .await
            .with_context(|| format!("reading {subject}"))?;
        let mut batch = reader
            .fetch()
            .max_messages(limit)
            .messages()
            .await
            .with_context(|| format!("fetching {subject}"))?;
        let mut found = Vec::new();
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| anyhow::anyhow!("reading a dead letter: {e}"))?;
            let info = message
                .info()
                .map_err(|e| anyhow::anyhow!("dead letter without info: {e}"))?;
            let empty = HeaderMap::new();
            let h = message.headers.as_ref().unwrap_or(&empty);
            let get = |name: &str| h.get(name).map(|v| v.as_str().to_owned()).unwrap_or_default();
            let published = info.published;
            found.push(DeadLetter {
                sequence: info.stream_sequence,
                consumer: consumer.to_owned(),
                original_subject: get(headers::DLQ_ORIGINAL_SUBJECT),
                original_sequence: get(headers::DLQ_ORIGINAL_SEQUENCE).parse().unwrap_or(0),
                event_id: get(headers::EVENT_ID),
                event_type: get(headers::EVENT_TYPE),
                reason: get(headers::DLQ_REASON),
                deliveries: get(headers::DLQ_DELIVERIES).parse().unwrap_or(0),
                dead_lettered_at: Some(prost_types::Timestamp {
                    seconds: published.unix_timestamp(),
                    nanos: published.nanosecond() as i32,
                }),
            });
        }
        Ok(found)
    }

    /// Applies the dead letter at `sequence` again through `consumer`, then deletes it. One that
    /// still fails is kept: FAILED_PRECONDITION with the reason.
    async fn replay_one(&self, consumer: &dyn Replay, sequence: u64) -> Result<(), Status> {
        let durable = consumer.durable();
        let subject = self.bus.dead_letter_subject(durable);
        let stream = self
            .bus
            .jetstream
            .get_stream(&self.bus.stream)
            .await
            .context("looking up the stream")
            .map_err(internal)?;
        let message = stream
            .get_raw_message(sequence)
            .await
            .with_context(|| format!("reading dead letter {sequence}"))
            .map_err(internal)?;
        if message.subject.as_str() != subject {
            return Err(invalid_argument(vec![FieldViolation::new(
                "sequences",
                format!("{sequence} is not a dead letter of {durable}"),
            )]));
        }
        let hdrs = &message.headers;
        let header = |name: &str| hdrs.get(name).map(|v| v.as_str().to_owned());
        let original = header(headers::DLQ_ORIGINAL_SUBJECT).unwrap_or_default();
        let span = tracing::info_span!(
            "consumer.replay",
            otel.name = %format!("{original} replay"),
            otel.kind = "consumer",
            messaging.system = "nats",
            messaging.operation.type = "process",
            messaging.destination.name = %original,
            messaging.consumer.group.name = %durable,
            messaging.nats.stream.sequence = sequence,
            ess.outcome = tracing::field::Empty,
        );
        telemetry::set_parent(&span, &NatsHeaderExtractor(hdrs));
        let outcome = match parse_event(&self.bus, &original, &header, message.payload.clone()) {
            Ok(event) => consumer.apply(&event).instrument(span.clone()).await,
            Err(reason) => Err(HandlerError::Poison(reason)),
        };
        let outcome = outcome.map_err(|e| {
            tracing::warn!(parent: &span, consumer = durable, sequence, error = %e, "platform.dead_letters.replay_failed");
            Status::failed_precondition(format!("dead letter {sequence} still fails and is kept: {e:#}"))
        })?;
        span.record("ess.outcome", outcome.as_str());
        stream
            .delete_message(sequence)
            .await
            .with_context(|| format!("removing replayed dead letter {sequence}"))
            .map_err(internal)?;
        tracing::info!(parent: &span, consumer = durable, sequence, original_subject = %original, "platform.dead_letters.replayed");
        Ok(())
    }
}

#[tonic::async_trait]
impl DeadLetters for DeadLetterService {
    async fn list_dead_letters(
        &self,
        request: Request<ListDeadLettersRequest>,
    ) -> Result<Response<ListDeadLettersResponse>, Status> {
        let req = request.into_inner();
        let limit = match req.limit as usize {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let mut dead_letters = Vec::new();
        for consumer in self.chosen(&req.consumer)? {
            let remaining = limit - dead_letters.len();
            if remaining == 0 {
                break;
            }
            dead_letters.extend(self.read(consumer.durable(), remaining).await.map_err(internal)?);
        }
        Ok(Response::new(ListDeadLettersResponse { dead_letters }))
    }

    async fn replay_dead_letters(
        &self,
        request: Request<ReplayDeadLettersRequest>,
    ) -> Result<Response<ReplayDeadLettersResponse>, Status> {
        let req = request.into_inner();
        if req.consumer.is_empty() {
            return Err(invalid_argument(vec![FieldViolation::new("consumer", "is required")]));
        }
        let consumer = self.chosen(&req.consumer)?[0];
        let sequences = if req.all {
            self.read(consumer.durable(), MAX_LIMIT)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|d| d.sequence)
                .collect()
        } else if req.sequences.is_empty() {
            return Err(invalid_argument(vec![FieldViolation::new(
                "sequences",
                "name at least one, or set all",
            )]));
        } else {
            req.sequences
        };
        let mut replayed = Vec::new();
        for sequence in sequences {
            self.replay_one(consumer, sequence).await.map_err(|e| {
                if replayed.is_empty() {
                    e
                } else {
                    Status::new(e.code(), format!("{} (after replaying {replayed:?})", e.message()))
                }
            })?;
            replayed.push(sequence);
        }
        Ok(Response::new(ReplayDeadLettersResponse { replayed }))
    }
}
