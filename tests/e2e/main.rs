//! Cross-service tests: registry, observatory (and activities) together on the real PostgreSQL
//! and NATS. In-process where one process is enough; real binaries where separate processes
//! matter (traces per service, configuration errors at start).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod activity_trace;
mod authz;
mod cluster;
mod compose;
mod config;
mod dashboard_browser;
mod essctl_resource;
mod helpers;
mod operator;
mod outage;
mod partner_flow;
mod traces;
