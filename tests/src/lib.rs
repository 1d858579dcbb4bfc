//! Support for the cross-service tests in `e2e/`: a test OTLP trace receiver and a way to run
//! the real service binaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod binaries;
pub mod otlp;
