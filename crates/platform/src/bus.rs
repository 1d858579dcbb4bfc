//! The event bus: the NATS connection, the one JetStream stream that holds every event
//! (`ESS` over `<prefix>.>`), subject naming and the headers every event carries.

use anyhow::Context as _;
use async_nats::jetstream::{self, stream};

use crate::{
    config::NatsArgs,
    nats_auth::{NatsCredentials, redact_url},
};

/// Header names on every event message.
pub mod headers {
    /// The event id (UUIDv7); JetStream dedupes on it within the duplicate window.
    pub const MSG_ID: &str = "Nats-Msg-Id";
    /// The event id again: a dead letter gets a new `Nats-Msg-Id` but keeps this one, so its
    /// replay is still recognised.
    pub const EVENT_ID: &str = "Ess-Event-Id";
    /// Fully qualified protobuf message name of the payload.
    pub const EVENT_TYPE: &str = "Ess-Event-Type";
    /// Aggregate id and version, readable without decoding the payload.
    pub const AGGREGATE_ID: &str = "Ess-Aggregate-Id";
    /// See [`AGGREGATE_ID`].
    pub const AGGREGATE_VERSION: &str = "Ess-Aggregate-Version";
    /// Always `application/protobuf`.
    pub const CONTENT_TYPE: &str = "Content-Type";
    /// Protobuf payloads.
    pub const PROTOBUF: &str = "application/protobuf";
    /// On dead letters: why the message was given up.
    pub const DLQ_REASON: &str = "Ess-Dlq-Reason";
    /// On dead letters: the durable consumer that gave up.
    pub const DLQ_CONSUMER: &str = "Ess-Dlq-Consumer";
    /// On dead letters: the subject the message was first published on.
    pub const DLQ_ORIGINAL_SUBJECT: &str = "Ess-Dlq-Original-Subject";
    /// On dead letters: the stream sequence of the original message.
    pub const DLQ_ORIGINAL_SEQUENCE: &str = "Ess-Dlq-Original-Sequence";
    /// On dead letters: how many times it was delivered.
    pub const DLQ_DELIVERIES: &str = "Ess-Dlq-Deliveries";
}

/// A connected event bus for one service.
#[derive(Clone)]
pub struct EventBus {
    /// The core NATS client (health checks look at its connection state).
    pub client: async_nats::Client,
    /// JetStream context over `client`.
    pub jetstream: jetstream::Context,
    /// Name of the stream (`ESS` unless configured otherwise).
    pub stream: String,
    prefix: String,
}

impl EventBus {
    /// Connects to NATS. `NATS_URL` may list several servers of a cluster, comma-separated; the
    /// client fails over between them. Reconnection after a later outage is automatic; no server
    /// answering at start fails here, naming `NATS_URL`.
    pub async fn connect(args: &NatsArgs, client_name: &str) -> anyhow::Result<Self> {
        Self::connect_as(args, &NatsCredentials::default(), client_name).await
    }

    /// [`EventBus::connect`] as the user `credentials` names (none: anonymous). Messages name the
    /// URL without any credentials it embeds.
    pub async fn connect_as(args: &NatsArgs, credentials: &NatsCredentials, client_name: &str) -> anyhow::Result<Self> {
        let servers = args
            .url
            .split(',')
            .map(|s| s.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                anyhow::anyhow!(
                    "NATS_URL is not a comma-separated list of NATS URLs: {}",
                    redact_url(&args.url)
                )
            })?;
        let client = credentials
            .apply(async_nats::ConnectOptions::new().name(client_name))
            .connect(servers)
            .await
            .with_context(|| {
                format!(
                    "cannot connect to NATS at {} (NATS_URL, NATS_USER)",
                    redact_url(&args.url)
                )
            })?;
        Ok(Self {
            jetstream: jetstream::new(client.clone()),
            client,
            stream: args.stream.clone(),
            prefix: args.subject_prefix.clone(),
        })
    }

    /// Creates the stream, or updates it to this configuration: safe to run at every start, by
    /// every service. File storage, `<prefix>.>`, the configured duplicate window and replicas.
    pub async fn ensure_stream(&self, args: &NatsArgs) -> anyhow::Result<()> {
        let config = stream::Config {
            name: self.stream.clone(),
            subjects: vec![format!("{}.>", self.prefix)],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: args.duplicate_window,
            num_replicas: args.replicas,
            description: Some("Every event of the ESS platform".to_owned()),
            ..Default::default()
        };
        self.jetstream
            .create_or_update_stream(config)
            .await
            .with_context(|| format!("creating or updating the JetStream stream {}", self.stream))?;
        Ok(())
    }

    /// The full subject for `suffix` (`registry.partner.registered` → `ess.registry.partner.registered`).
    pub fn subject(&self, suffix: &str) -> String {
        format!("{}.{}", self.prefix, suffix)
    }

    /// The subject prefix (`ess`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `suffix` of a full subject, or `None` when it is not under this bus's prefix.
    pub fn strip_prefix<'a>(&self, subject: &'a str) -> Option<&'a str> {
        subject.strip_prefix(self.prefix.as_str())?.strip_prefix('.')
    }

    /// The dead-letter subject of a durable consumer: `<prefix>.dlq.<consumer>`.
    pub fn dead_letter_subject(&self, consumer: &str) -> String {
        self.subject(&format!("dlq.{consumer}"))
    }
}
