//! The command line of the operator commands: `dlq list|replay`, `events tail`, `doctor`,
//! `seed demo` and `completions`. The NATS settings use the services' own names (`NATS_URL`,
//! `ESS_STREAM`, `ESS_SUBJECT_PREFIX`), so one environment serves both.

use clap::{Args, Subcommand};
use platform::config::NatsArgs;

use crate::failure::Service;

/// `essctl dlq …`: dead letters of the services' durable consumers (`ess.platform.v1.DeadLetters`).
#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead letters, oldest first: of one service, or of all three.
    List(DlqListArgs),
    /// Publish dead letters again on their original subject (after fixing the cause).
    Replay(DlqReplayArgs),
}

/// `essctl dlq list [--service S] [--consumer C] [--limit N]`.
#[derive(Debug, Clone, Args)]
pub struct DlqListArgs {
    /// The service to ask; all three when not given (and --consumer is not given either).
    #[arg(long, value_enum)]
    pub service: Option<Service>,
    /// One durable consumer (`observatory-registry`, `observatory-activities`,
    /// `activities-registry`); its service is the first word when --service is not given.
    #[arg(long)]
    pub consumer: Option<String>,
    /// At most this many per service (the service caps it at 1000).
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

/// `essctl dlq replay --consumer C (SEQUENCE... | --all)`.
#[derive(Debug, Clone, Args)]
pub struct DlqReplayArgs {
    /// The service that runs the consumer; by default the first word of --consumer.
    #[arg(long, value_enum)]
    pub service: Option<Service>,
    /// The durable consumer whose dead letters to replay.
    #[arg(long)]
    pub consumer: String,
    /// Stream sequences of the dead letters, as `dlq list` prints them.
    #[arg(value_name = "SEQUENCE", required_unless_present = "all", conflicts_with = "all")]
    pub sequences: Vec<u64>,
    /// Replay every dead letter of the consumer.
    #[arg(long)]
    pub all: bool,
}

/// `essctl events …`: the event stream itself, read from NATS.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print the events of the stream, decoded from protobuf to JSON (one per line).
    Tail(EventsTailArgs),
}

/// `essctl events tail [--subject-filter F] [--type T]... [--since S] [--follow]`.
#[derive(Debug, Clone, Args)]
pub struct EventsTailArgs {
    /// The NATS server and stream (same settings as the services).
    #[command(flatten)]
    pub nats: NatsArgs,
    /// NATS user and password when the server requires them (`NATS_USER`, `NATS_PASSWORD`; on
    /// a deployment with per-service users, the `admin` user).
    #[command(flatten)]
    pub nats_credentials: platform::nats_auth::NatsCredentials,
    /// Subjects to read, with NATS wildcards: `registry.>`, `activities.activity.*`; the subject
    /// prefix is added when missing. Default: every event (`<prefix>.>`).
    #[arg(long)]
    pub subject_filter: Option<String>,
    /// Only events of this type: `PartnerRegistered` or `ess.events.v1.PartnerRegistered`
    /// (case-insensitive; repeat for several).
    #[arg(long = "type", value_name = "TYPE")]
    pub event_types: Vec<String>,
    /// Start from this moment: a duration back from now (`10m`, `2h`) or an RFC 3339 instant
    /// (`2026-11-27T08:00:00Z`). Default: the start of the stream.
    #[arg(long)]
    pub since: Option<String>,
    /// Keep waiting for new events (Ctrl-C to stop); without it, stop at the end of the stream.
    #[arg(long)]
    pub follow: bool,
    /// Stop after this many events.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// `essctl doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// The NATS server and stream the services should be using.
    #[command(flatten)]
    pub nats: NatsArgs,
    /// NATS user and password when the server requires them (`NATS_USER`, `NATS_PASSWORD`).
    #[command(flatten)]
    pub nats_credentials: platform::nats_auth::NatsCredentials,
    /// A durable consumer with more pending messages than this is reported as lagging.
    #[arg(long, default_value_t = 1000)]
    pub max_pending: u64,
}

/// `essctl seed …`
#[derive(Debug, Subcommand)]
pub enum SeedCommand {
    /// Load the synthetic Basse-Normandie demo through the public APIs (idempotent).
    Demo(SeedDemoArgs),
}

/// `essctl seed demo [--seed N]`.
#[derive(Debug, Clone, Args)]
pub struct SeedDemoArgs {
    /// Same seed, same demo: names, SIRETs, communes and figures all follow from it.
    #[arg(long, env = "ESS_SEED", default_value_t = 2026)]
    pub seed: u64,
    /// How many demo partners (at least 25: one per archetype, so that every kind and family is present).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(25..=2000))]
    pub partners: u32,
    /// Whether to seed at all: `false` makes the command a no-op, so that the containers' and
    /// the local runner's first-start seeding can be switched off by the environment alone.
    #[arg(
        long,
        env = "ESS_SEED_DEMO",
        default_value = "true",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::Set,
        value_name = "true|false"
    )]
    pub enabled: bool,
}

/// `essctl completions bash|zsh|fish|…`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for (source its output in the shell's profile).
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
