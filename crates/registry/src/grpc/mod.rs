//! The registry's gRPC API: maps proto requests to domain commands, calls the store in one
//! transaction with the outbox, and maps results and errors back to proto and `Status`.

pub mod partners;
