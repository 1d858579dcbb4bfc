//! Support for the cross-service tests in `e2e/` and the fault-injection suite in `faults/`: a
//! test OTLP trace receiver, the real service binaries as processes, a private PostgreSQL, and the
//! fault workload with its checker.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod binaries;
pub mod otlp;
pub mod postgres;
pub mod workload;
