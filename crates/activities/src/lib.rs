//! Events and awareness activities (axes 2 to 4 of the agreement): activities and their sessions,
//! organisers validated with the registry, registrations with capacity and waitlist, attendance,
//! outcome counts, good-practice sheets, an iCalendar feed; `ess.activities.*` events through the
//! outbox; a directory of registry partners kept from `ess.registry.*` events.
//!
//! Layout:
//! - [`domain`]: kinds, publics, axes, venues, sessions, lifecycle, registrations, outcomes.
//! - [`store`]: activities, registrations, practices, the partner directory (sqlx).
//! - [`grpc`]: `ess.activities.v1` handlers.
//! - [`registry`]: the registry client used to validate organisers.
//! - [`events`]: what the service publishes, and the consumer of `ess.registry.*`.
//! - [`access`]: who may call each method (the access table).
//! - [`config`], [`app`]: settings, and building/running the service.

pub mod access;
pub mod app;
pub mod config;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod registry;
pub mod store;

pub use app::App;
pub use config::Config;
