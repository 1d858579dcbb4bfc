//! The `partners` table.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row as _, postgres::PgRow};
use uuid::Uuid;

use super::{StoreError, classify};
use crate::domain::{
    location::Location,
    partner::{Partner, PartnerId, PartnerName},
    siret::Siret,
};

/// Name of the constraint that keeps SIRETs unique.
pub const SIRET_UNIQUE: &str = "partners_siret_key";

#[tracing::instrument(name = "registry.store.insert_partner", skip_all, fields(ess.partner.id = %partner.id.0))]
pub async fn insert(conn: &mut PgConnection, partner: &Partner) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO partners (id, name, siret, commune_code, postal_code, departement_code, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(partner.id.0)
    .bind(partner.name.as_str())
    .bind(partner.siret.as_str())
    .bind(partner.location.commune().map(|c| c.code.as_str()))
    .bind(partner.location.postal_code().map(|p| p.as_str()))
    .bind(partner.location.departement().as_str())
    .bind(partner.version)
    .bind(partner.created_at)
    .execute(conn)
    .await
    .map_err(classify)?;
    Ok(())
}

#[tracing::instrument(name = "registry.store.get_partner", skip_all, fields(ess.partner.id = %id.0))]
pub async fn get(conn: &mut PgConnection, id: PartnerId) -> Result<Option<Partner>, StoreError> {
    let row = sqlx::query(
        "SELECT id, name, siret, commune_code, postal_code, version, created_at FROM partners WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    row.map(|r| from_row(&r)).transpose()
}

/// Rows go back through the domain parsers: a row that fails them is corrupt, never a panic.
fn from_row(row: &PgRow) -> Result<Partner, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        table: "partners",
        reason,
    };
    let id: Uuid = row.try_get("id")?;
    let name: String = row.try_get("name")?;
    let siret: String = row.try_get("siret")?;
    let commune: Option<String> = row.try_get("commune_code")?;
    let postal: Option<String> = row.try_get("postal_code")?;
    let version: i64 = row.try_get("version")?;
    let created_at: DateTime<Utc> = row.try_get("created_at")?;
    Ok(Partner {
        id: PartnerId(id),
        name: PartnerName::parse(&name).map_err(|r| corrupt(format!("name {r}")))?,
        siret: Siret::parse(&siret).map_err(|e| corrupt(format!("siret {e}")))?,
        location: Location::parse(commune.as_deref().unwrap_or(""), postal.as_deref().unwrap_or(""))
            .map_err(|v| corrupt(format!("location: {v:?}")))?,
        version,
        created_at,
    })
}
