//! Shared mechanisms of the ESS services: everything a service needs to run that is not a domain
//! rule. A service crate wires these together in its `app.rs`; none of them knows a French word.
//!
//! Layout:
//! - [`config`]: the settings every service shares (database, NATS, telemetry), from env or flags.
//! - [`secret`]: a string wrapper that never prints its value.
//! - [`auth`]: bearer tokens (Ed25519 JWT): verification into a `Principal`, issuing, key pairs.
//! - [`access`]: the per-method access tables and the tower layer that enforces them and audits.
//! - [`audit`]: the audit log of writes and `ess.platform.v1.Audit`, which serves it.
//! - [`telemetry`]: logs, OpenTelemetry export, and W3C trace-context propagation helpers.
//! - [`grpc`]: server bootstrap (trace layer, reflection), client trace injection, error mapping.
//! - [`limits`]: gRPC server limits: message sizes, deadlines, per-connection load shedding.
//! - [`host`]: the shape of every service: bind, serve, run tasks, shut down; and `main`.
//! - [`health`]: `grpc.health.v1` status driven by database and NATS reachability.
//! - [`db`]: the PostgreSQL pool and migrations (the platform's tables plus the service's own).
//! - [`bus`]: the NATS connection, the JetStream stream, subjects and event headers.
//! - [`nats_auth`]: the service's own NATS user and password; URLs printed without credentials.
//! - [`outbox`]: writing events in the caller's transaction, and the relay that publishes them.
//! - [`consumer`]: durable, idempotent event consumption with retries and dead letters.
//! - [`paging`]: bounded page sizes and opaque keyset page tokens for list RPCs.
//! - [`dead_letters`]: `ess.platform.v1.DeadLetters`, listing and replaying a service's dead letters.
//! - [`task`]: supervised long-lived tasks and ordered shutdown on SIGTERM/SIGINT.
//! - [`error`]: printing an error with its whole chain of causes.
//! - `testing` (feature `testing`): fresh databases, unique streams, throwaway NATS servers.
//! - [`backbone`]: what every service connects to at start (database, bus) and runs beside its API.
#![warn(missing_docs)]

pub mod access;
pub mod audit;
pub mod auth;
pub mod backbone;
pub mod bus;
pub mod config;
pub mod consumer;
pub mod db;
pub mod dead_letters;
pub mod error;
pub mod grpc;
pub mod health;
pub mod host;
pub mod limits;
pub mod nats_auth;
pub mod outbox;
pub mod paging;
pub mod secret;
pub mod task;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
