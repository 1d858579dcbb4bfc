//! The observatory's database access (sqlx): projections written by the event handlers and the
//! queries the gRPC API answers from them.

pub mod partners;
