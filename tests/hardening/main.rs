//! Issue 8, part 2: limits of the gRPC servers and imports, least privilege on NATS and
//! PostgreSQL, and no personal data or secret in logs, traces or error messages.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod leaks;
mod limits;
mod nats;
mod postgres;
mod secured_nats;
mod support;
