//! The activities API against the real PostgreSQL and NATS, with the real registry in process
//! (organisers are validated there): one binary, a module per RPC group.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod activities;
mod authz;
mod cli;
mod helpers;
mod listings;
mod paging;
mod practices;
mod registrations;
mod registry_events;
mod traces;
