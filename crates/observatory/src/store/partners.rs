//! `partner_projection`: registry partners as the observatory sees them.

use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

/// One partner's state as carried by a registry event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerFacts {
    pub partner_id: Uuid,
    pub departement_code: String,
    pub commune_code: Option<String>,
    pub version: i64,
}

/// Inserts or updates the partner, unless the projection already holds this version or a newer
/// one. Returns whether the row changed.
#[tracing::instrument(name = "observatory.store.upsert_partner", skip_all, fields(ess.partner.id = %facts.partner_id, ess.aggregate.version = facts.version))]
pub async fn upsert(conn: &mut PgConnection, facts: &PartnerFacts) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO partner_projection (partner_id, departement_code, commune_code, version) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (partner_id) DO UPDATE SET departement_code = EXCLUDED.departement_code, \
             commune_code = EXCLUDED.commune_code, version = EXCLUDED.version, updated_at = now() \
         WHERE partner_projection.version < EXCLUDED.version",
    )
    .bind(facts.partner_id)
    .bind(&facts.departement_code)
    .bind(&facts.commune_code)
    .bind(facts.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Partners per département, sorted by code.
#[tracing::instrument(name = "observatory.store.count_partners_by_departement", skip_all)]
pub async fn count_by_departement(pool: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT departement_code, count(*) AS partners FROM partner_projection GROUP BY departement_code ORDER BY departement_code",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("departement_code")?, r.try_get("partners")?)))
        .collect()
}
