//! The observatory against the real PostgreSQL and NATS: registry events published on the test's
//! stream, projections read back through gRPC; datasets uploaded and queried through gRPC.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod dashboard;
mod datasets;
mod delivery_order;
mod helpers;
mod http;
mod indicators;
mod paging;
mod partner_projection;
mod projections;
mod reports;
mod reports_cli;
mod resources;
mod sirene;
