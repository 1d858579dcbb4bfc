//! The partner registry: who is who in the regional social and solidarity economy. Owns partners
//! (and later CRESS membership, PTCEs, initiatives); publishes `ess.registry.*` events through its
//! outbox.
//!
//! Layout:
//! - [`domain`]: SIRET, names, locations — types that cannot hold invalid values.
//! - [`store`]: the `partners` table (sqlx).
//! - [`grpc`]: `ess.registry.v1` handlers.
//! - [`events`]: the events the registry publishes.
//! - [`config`], [`app`]: settings, and building/running the service.

pub mod app;
pub mod config;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod store;

pub use app::App;
pub use config::Config;
