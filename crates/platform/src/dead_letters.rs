//! `ess.platform.v1.DeadLetters`: every service lists and replays the dead letters of its own
//! durable consumers. Dead letters live in the stream on `<prefix>.dlq.<consumer>` (see
//! [`crate::consumer`]); a replay publishes the original payload and headers again on the original
//! subject under a new `Nats-Msg-Id` (the event id is kept, so consumers that already applied it
//! skip it), then deletes the dead letter.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::{
    HeaderMap,
    jetstream::{
        consumer::{AckPolicy, DeliverPolicy, pull},
        message::PublishMessage,
    },
};
use ess_proto::platform::v1::{
    DeadLetter, ListDeadLettersRequest, ListDeadLettersResponse, ReplayDeadLettersRequest, ReplayDeadLettersResponse,
    dead_letters_server::DeadLetters,
};
use futures::StreamExt as _;
use tonic::{Request, Response, Status};

use crate::{
    bus::{EventBus, headers},
    grpc::{FieldViolation, internal, invalid_argument},
};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// The service's dead-letter administration over `bus`, for the durable consumers it runs.
pub struct DeadLetterService {
    bus: EventBus,
    consumers: Vec<&'static str>,
}

impl DeadLetterService {
    /// Administers the dead letters of `consumers` (durable names) only.
    pub fn new(bus: EventBus, consumers: Vec<&'static str>) -> Self {
        Self { bus, consumers }
    }

    fn chosen(&self, consumer: &str) -> Result<Vec<&'static str>, Status> {
        if consumer.is_empty() {
            return Ok(self.consumers.clone());
        }
        match self.consumers.iter().find(|c| **c == consumer) {
            Some(c) => Ok(vec![*c]),
            None => Err(invalid_argument(vec![FieldViolation::new(
                "consumer",
                format!(
                    "is not a consumer of this service (known: {})",
                    self.consumers.join(", ")
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

    /// Publishes the dead letter at `sequence` again on its original subject, then deletes it.
    async fn replay_one(&self, consumer: &str, sequence: u64) -> anyhow::Result<()> {
        let subject = self.bus.dead_letter_subject(consumer);
        let stream = self
            .bus
            .jetstream
            .get_stream(&self.bus.stream)
            .await
            .context("looking up the stream")?;
        let message = stream
            .get_raw_message(sequence)
            .await
            .with_context(|| format!("reading dead letter {sequence}"))?;
        anyhow::ensure!(
            message.subject.as_str() == subject,
            "sequence {sequence} is not a dead letter of {consumer}"
        );
        let original = message
            .headers
            .get(headers::DLQ_ORIGINAL_SUBJECT)
            .map(|v| v.as_str().to_owned())
            .context("dead letter without its original subject")?;
        let mut replay = HeaderMap::new();
        for (name, values) in message.headers.iter() {
            let name: &str = name.as_ref();
            if name.starts_with("Ess-Dlq-") || name == headers::MSG_ID {
                continue;
            }
            for value in values {
                replay.append(name, value.as_str());
            }
        }
        let ack = self
            .bus
            .jetstream
            .send_publish(
                original.clone(),
                PublishMessage::build()
                    .payload(message.payload.clone())
                    .headers(replay)
                    .message_id(format!("replay.{consumer}.{sequence}")),
            )
            .await
            .with_context(|| format!("replaying {sequence} on {original}"))?;
        ack.await.with_context(|| format!("ack of the replay of {sequence}"))?;
        stream
            .delete_message(sequence)
            .await
            .with_context(|| format!("removing replayed dead letter {sequence}"))?;
        tracing::info!(consumer, sequence, original_subject = %original, "platform.dead_letters.replayed");
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
            dead_letters.extend(self.read(consumer, remaining).await.map_err(internal)?);
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
            self.read(consumer, MAX_LIMIT)
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
                    internal(e)
                } else {
                    internal(e.context(format!("after replaying {replayed:?}")))
                }
            })?;
            replayed.push(sequence);
        }
        Ok(Response::new(ReplayDeadLettersResponse { replayed }))
    }
}
