//! The regional ESS observatory (ORESS): figures on the ESS built from the other services'
//! events and from imported statistics, published under statistical confidentiality.
//!
//! Layout:
//! - [`domain`]: territories, ESS families, datasets, secret statistique (no I/O).
//! - [`import`]: streamed, checked reading of dataset files (URSSAF layouts).
//! - [`store`]: datasets, facts, projections and the queries over them (sqlx).
//! - [`events`]: the consumers that build the projections from `ess.registry.*`.
//! - [`grpc`]: `ess.observatory.v1` handlers.
//! - [`access`]: who may call each method (the access table).
//! - [`resources`]: the resource centre (`ess.observatory.v1.Resources`, files in PostgreSQL).
//! - [`web`]: the public dashboard over HTTP (server-rendered French pages).
//! - [`plan`]: the agreement's action plan and its progress (`ActionPlan` service).
//! - [`report`]: the partnership's reports, rendered and published (`Reports` service).
//! - [`charts`]: inline SVG charts, for the dashboard and the reports.
//! - [`cube_cache`]: indicator tables already computed, per dataset import.
//! - [`config`], [`app`]: settings, and building/running the service.

pub mod access;
pub mod app;
pub mod charts;
pub mod config;
pub mod cube_cache;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod import;
pub mod plan;
pub mod report;
pub mod resources;
pub mod store;
pub mod web;

pub use app::App;
pub use config::Config;
