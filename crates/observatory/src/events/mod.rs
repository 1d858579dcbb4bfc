//! What the observatory consumes: projections of the other services' events, and how to rebuild
//! them from the stream.

pub mod activities;
pub mod registry;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate};
use ess_proto::events::v1::EventMeta;
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

/// The UTC date of a protobuf timestamp (`None` if out of range).
pub fn date_of(t: &prost_types::Timestamp) -> Option<NaiveDate> {
    DateTime::from_timestamp(t.seconds, t.nanos.clamp(0, 999_999_999) as u32).map(|d| d.date_naive())
}

/// The UTC date an event happened, from its meta.
pub fn occurred_on(meta: Option<&EventMeta>) -> Option<NaiveDate> {
    meta.and_then(|m| m.occurred_at.as_ref()).and_then(date_of)
}

/// A `YYYY-MM-DD` date carried as text by an event; empty is `None`, anything else malformed is an
/// error naming the field.
pub fn text_date(raw: &str, field: &str) -> Result<Option<NaiveDate>, platform::consumer::HandlerError> {
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| platform::consumer::HandlerError::Poison(format!("{field} is not a YYYY-MM-DD date")))
}
