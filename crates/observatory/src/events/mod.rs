//! What the observatory consumes: projections of the other services' events, and how to rebuild
//! them from the stream.

pub mod activities;
pub mod registry;

use anyhow::Context as _;
use platform::bus::EventBus;
use sqlx::PgPool;

use crate::store;

/// Every durable consumer whose projections a rebuild resets.
pub const DURABLES: [&str; 2] = [registry::DURABLE, activities::DURABLE];

/// Rebuild: in one transaction (exclusive lock, so no consumer transaction interleaves) empty the
/// projections and forget the processed events of [`DURABLES`]; then delete those durable
/// consumers. Their running tasks see the deletion, reconnect, and recreate them with
/// `DeliverPolicy::All`: the stream replays from its start and the projections are rebuilt. An
/// event a consumer had already pulled before the deletion is applied once either way (the dedupe
/// table and the version guards absorb the replayed copy).
#[tracing::instrument(name = "observatory.events.rebuild", skip_all)]
pub async fn rebuild(pool: &PgPool, bus: &EventBus) -> anyhow::Result<Vec<String>> {
    let mut tx = pool.begin().await.context("begin reset")?;
    store::reset_projections(&mut tx, &DURABLES)
        .await
        .context("resetting the projections")?;
    tx.commit().await.context("commit reset")?;
    let stream = bus
        .jetstream
        .get_stream(&bus.stream)
        .await
        .with_context(|| format!("looking up stream {}", bus.stream))?;
    for durable in DURABLES {
        // Absent already (never started): nothing to delete, it will start from the beginning.
        if let Err(e) = stream.delete_consumer(durable).await {
            tracing::warn!(consumer = durable, error = %e, "observatory.rebuild.delete_consumer_failed");
        }
    }
    tracing::info!("observatory.projections.rebuild_started");
    Ok(DURABLES.iter().map(|d| d.to_string()).collect())
}
