//! The registry's gRPC API against the real PostgreSQL and NATS: one binary, a module per RPC group.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod health;
mod helpers;
mod partners;
