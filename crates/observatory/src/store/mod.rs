//! The observatory's database access (sqlx): imported datasets and their facts, projections
//! written by the event handlers, and the queries the gRPC API answers from them.

pub mod activities;
pub mod cube;
pub mod datasets;
pub mod partners;
pub mod projects;
pub mod sirene;

use sqlx::PgConnection;

/// Empties every projection and forgets which events `consumers` processed, under an exclusive
/// lock (in-flight consumer transactions finish first, new ones wait), so that replaying the
/// stream from its start rebuilds them. The caller then recreates the durable consumers.
#[tracing::instrument(name = "observatory.store.reset_projections", skip_all)]
pub async fn reset_projections(conn: &mut PgConnection, consumers: &[&str]) -> Result<(), sqlx::Error> {
    sqlx::query("LOCK TABLE partner_projection, processed_events IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM partner_projection")
        .execute(&mut *conn)
        .await?;
    // Activities (their counts by public cascade) and the projections of issue 6.
    for table in ["activity_projection"].into_iter().chain(projects::TABLES) {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM processed_events WHERE consumer = ANY($1)")
        .bind(consumers)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
