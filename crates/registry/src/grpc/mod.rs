//! The registry's gRPC API: maps proto requests to domain commands, calls the store in one
//! transaction with the outbox, and maps results and errors back to proto and `Status`.

pub mod convert;
pub mod errors;
pub mod guard;
pub mod membership;
pub mod partners;
pub mod projects;
pub mod sirene;
