//! What the activities service publishes (builders turning a domain change into an outbox event)
//! and consumes (registry events).

pub mod activities;
pub mod registry;
