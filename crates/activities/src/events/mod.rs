//! What the activities service consumes (and, later, publishes).

pub mod registry;
