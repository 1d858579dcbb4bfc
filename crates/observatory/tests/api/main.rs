//! The observatory against the real PostgreSQL and NATS: registry events published on the test's
//! stream, projections read back through gRPC.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod helpers;
mod partner_projection;
