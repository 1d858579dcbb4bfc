//! The partner registry: who is who in the regional social and solidarity economy. Owns partners
//! and their contact persons, CRESS membership and affiliations, PTCEs, initiatives; imports the
//! SIRENE stock; publishes `ess.registry.*` events through its outbox.
//!
//! Layout:
//! - [`domain`]: SIRET/SIREN, nomenclatures, ESS family mapping, locations, partners, contacts,
//!   memberships, PTCEs, initiatives, SIRENE rows, search folding — no I/O.
//! - [`store`]: one module per aggregate (sqlx), plus the SIRENE staging and merge.
//! - [`grpc`]: `ess.registry.v1` handlers, errors ⇄ `Status`, page tokens, the import stream.
//! - [`events`]: the events the registry publishes.
//! - [`access`]: who may call each method (the access table).
//! - [`config`], [`app`]: settings, and building/running the service.

pub mod access;
pub mod app;
pub mod config;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod store;

pub use app::App;
pub use config::Config;
