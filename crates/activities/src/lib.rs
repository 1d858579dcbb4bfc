//! Events and awareness activities (axes 2 to 4 of the agreement). For now: the service runs,
//! serves health and reflection, joins the event stream and keeps a directory of registry
//! partners (future organisers); its domain comes with its own issue.
//!
//! Layout:
//! - [`store`]: the partner directory (sqlx).
//! - [`events`]: the consumer of `ess.registry.*`.
//! - [`grpc`]: `ess.activities.v1` handlers.
//! - [`config`], [`app`]: settings, and building/running the service.

pub mod app;
pub mod config;
pub mod events;
pub mod grpc;
pub mod store;

pub use app::App;
pub use config::Config;
