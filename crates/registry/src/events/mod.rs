//! What the registry publishes: builders that turn a domain change into an outbox event.

pub mod partners;
pub mod projects;
