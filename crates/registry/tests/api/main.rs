//! The registry's gRPC API against the real PostgreSQL and NATS: one binary, a module per RPC group.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod authz;
mod changes;
mod contacts;
mod health;
mod helpers;
mod listing;
mod membership;
mod paging;
mod partners;
mod projects;
mod sirene;
