//! The resource centre: studies, analyses, statistical notes, common positions and guides, each
//! with one attached file kept in PostgreSQL, published through `ess.observatory.v1.Resources`
//! and listed on the public dashboard.
//!
//! Layout: [`domain`] (kinds, territories, content checks), [`store`] (tables), [`events`]
//! (`observatory.resource.published`), [`grpc`] (the service).

pub mod domain;
pub mod events;
pub mod grpc;
pub mod store;
