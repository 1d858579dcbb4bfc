//! The activities service's database access (sqlx).

pub mod partner_directory;
