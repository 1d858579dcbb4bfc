//! What the observatory consumes: projections of the other services' events.

pub mod registry;
