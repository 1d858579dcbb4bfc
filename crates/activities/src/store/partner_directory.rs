//! `partner_directory`: registry partners' names, for showing organisers.

use sqlx::PgConnection;
use uuid::Uuid;

/// Records the partner's name unless this version or a newer one is already there.
#[tracing::instrument(name = "activities.store.upsert_partner", skip_all, fields(ess.partner.id = %partner_id, ess.aggregate.version = version))]
pub async fn upsert(conn: &mut PgConnection, partner_id: Uuid, name: &str, version: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO partner_directory (partner_id, name, version) VALUES ($1, $2, $3) \
         ON CONFLICT (partner_id) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version, updated_at = now() \
         WHERE partner_directory.version < EXCLUDED.version",
    )
    .bind(partner_id)
    .bind(name)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every known partner, by name.
#[tracing::instrument(name = "activities.store.list_partners", skip_all)]
///
/// By (name, id), at most `limit`, after the (name, id) `after`.
pub async fn list(
    pool: &sqlx::PgPool,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<(Uuid, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT partner_id, name, version FROM partner_directory \
         WHERE $1::text IS NULL OR (name, partner_id) > ($1, $2) ORDER BY name, partner_id LIMIT $3",
    )
    .bind(after.as_ref().map(|(n, _)| n.clone()))
    .bind(after.as_ref().map(|(_, id)| *id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Names of the given partners that the directory knows.
pub async fn names(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, sqlx::Error> {
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT partner_id, name FROM partner_directory WHERE partner_id = ANY($1)")
            .bind(ids)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Marks a partner archived (it stays in the directory for the history of its activities).
pub async fn mark_archived(conn: &mut PgConnection, partner_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE partner_directory SET archived = true, updated_at = now() WHERE partner_id = $1")
        .bind(partner_id)
        .execute(conn)
        .await?;
    Ok(())
}
