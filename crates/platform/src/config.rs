//! Settings shared by every service, read once in `main` from environment variables or the
//! equivalent `--flags` (clap `env`). A missing or malformed setting stops the binary at start with
//! a message naming it; nothing else in the code reads the environment.

use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::{limits::LimitsArgs, nats_auth::NatsCredentials, secret::Secret};

/// What every service needs: its database, the event bus and telemetry.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// PostgreSQL URL of this service's own database (postgres://user:password@host:port/db).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Secret,

    /// Maximum connections in the database pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,

    /// The event bus.
    #[command(flatten)]
    pub nats: NatsArgs,

    /// This service's own NATS user (least privilege: it may publish only its own subjects).
    #[command(flatten)]
    pub nats_credentials: NatsCredentials,

    /// Logs and traces.
    #[command(flatten)]
    pub telemetry: TelemetryArgs,

    /// Limits of the gRPC server (message sizes, deadlines, concurrency).
    #[command(flatten)]
    pub limits: LimitsArgs,
    /// How callers are authenticated.
    #[command(flatten)]
    pub auth: AuthArgs,
}

/// Bearer-token verification (always on). The services hold only the public key; the private key
/// that signs tokens stays with `essctl auth issue`.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// File holding the Ed25519 public key (PEM, `BEGIN PUBLIC KEY`) that verifies bearer tokens.
    #[arg(
        long = "auth-public-key-file",
        env = "ESS_AUTH_PUBLIC_KEY_FILE",
        value_name = "ESS_AUTH_PUBLIC_KEY_FILE",
        required_unless_present = "public_key"
    )]
    pub public_key_file: Option<std::path::PathBuf>,

    /// The same public key inline (PEM text), instead of a file.
    #[arg(
        long = "auth-public-key",
        env = "ESS_AUTH_PUBLIC_KEY",
        value_name = "ESS_AUTH_PUBLIC_KEY",
        conflicts_with = "public_key_file"
    )]
    pub public_key: Option<String>,

    /// Expected `iss` of every token.
    #[arg(long = "auth-issuer", env = "ESS_AUTH_ISSUER", default_value = "ess-auth")]
    pub issuer: String,

    /// Expected `aud` of every token.
    #[arg(long = "auth-audience", env = "ESS_AUTH_AUDIENCE", default_value = "ess")]
    pub audience: String,
}

/// The NATS connection and the JetStream stream that carries every event.
#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    /// NATS server URL, or several of a cluster separated by commas.
    #[arg(long = "nats-url", env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub url: String,

    /// Name of the JetStream stream holding every event of the platform.
    #[arg(long = "stream-name", env = "ESS_STREAM", default_value = "ESS")]
    pub stream: String,

    /// First token of every subject (`<prefix>.registry.partner.registered`); the stream covers
    /// `<prefix>.>`. Tests set a unique one; deployments keep `ess`.
    #[arg(long = "subject-prefix", env = "ESS_SUBJECT_PREFIX", default_value = "ess")]
    pub subject_prefix: String,

    /// Window in which JetStream drops a message whose Nats-Msg-Id it has already stored.
    #[arg(long = "stream-duplicate-window", env = "ESS_STREAM_DUPLICATE_WINDOW", default_value = "2m", value_parser = parse_duration)]
    pub duplicate_window: Duration,

    /// Replicas of the stream (1 for a single server, 3 on a three-node cluster).
    #[arg(long = "stream-replicas", env = "ESS_STREAM_REPLICAS", default_value_t = 1)]
    pub replicas: usize,
}

/// Logs and traces.
#[derive(Debug, Clone, Args)]
pub struct TelemetryArgs {
    /// OTLP/gRPC endpoint of a trace collector (http://host:4317). Unset: no trace export, but
    /// trace context still propagates so that logs and downstream services share the trace id.
    #[arg(long = "otlp-endpoint", env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// Service name reported on traces; defaults to the binary's name.
    #[arg(long = "otel-service-name", env = "OTEL_SERVICE_NAME")]
    pub service_name: Option<String>,

    /// Log filter in `tracing_subscriber::EnvFilter` syntax (e.g. `info,registry=debug`).
    #[arg(long = "log-filter", env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,

    /// Log format: human-readable text, or JSON lines for containers.
    #[arg(long = "log-format", env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// Parses `500ms`, `30s`, `2m` or `1h` (a bare number means seconds).
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("expected a duration such as 30s or 2m, got {raw:?}"))?;
    let d = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("unknown duration unit {unit:?} (use ms, s, m or h)")),
    };
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_their_units() {
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("2 weeks").is_err());
        assert!(parse_duration("").is_err());
    }
}
