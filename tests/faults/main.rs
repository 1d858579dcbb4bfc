//! Fault-injection suite: the real binaries under sustained writes while the broker, a consumer or
//! the database fails, plus injected duplicates and a three-node NATS cluster. After each
//! scenario, `settle_and_check` compares every projection with what clients were told and prints
//! the counts of events written, delivered, redelivered, deduplicated and dead-lettered.
//! Faults are timed by conditions (rows reached), never by sleeps; every wait has a deadline.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod cluster;
mod deployment;
mod scenarios;
