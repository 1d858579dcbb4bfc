//! The event backbone on its own, against the real PostgreSQL and NATS: the outbox relay and the
//! idempotent consumer (and the database pool under them), with a generic test event and a tiny
//! projection table. One binary, one module per mechanism.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod consumer;
mod helpers;
mod outbox;
mod pool;
