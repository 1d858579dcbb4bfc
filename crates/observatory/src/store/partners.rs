//! `partner_projection`: registry partners as the observatory sees them. Three version guards, one
//! per kind of fact: description (`version`), archiving (`status_version`), CRESS membership
//! (`membership_version`); an older event never overwrites a newer one, and any delivery order
//! gives the same row.

use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

/// One partner's state as carried by `PartnerRegistered` / `PartnerUpdated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerFacts {
    pub partner_id: Uuid,
    pub departement_code: String,
    pub commune_code: Option<String>,
    /// `None` when the event predates the full partner model (no `facts`).
    pub kind: Option<String>,
    pub ess_family: Option<String>,
    pub cress_member: Option<bool>,
    pub archived: bool,
    pub version: i64,
}

/// Applies a `PartnerRegistered` / `PartnerUpdated`: its description (guard `version`), its
/// status (guard `status_version`) and, when the event carries facts, its membership (guard
/// `membership_version`); each part only if it is newer than what the row holds. Returns whether
/// the row changed.
#[tracing::instrument(name = "observatory.store.upsert_partner", skip_all, fields(ess.partner.id = %facts.partner_id, ess.aggregate.version = facts.version))]
pub async fn upsert(conn: &mut PgConnection, facts: &PartnerFacts) -> Result<bool, sqlx::Error> {
    let membership_version = if facts.cress_member.is_some() { facts.version } else { 0 };
    let done = sqlx::query(
        "INSERT INTO partner_projection AS p (partner_id, departement_code, commune_code, kind, ess_family, archived, \
             version, status_version, cress_member, membership_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) \
         ON CONFLICT (partner_id) DO UPDATE SET \
             departement_code = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.departement_code ELSE p.departement_code END, \
             commune_code = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.commune_code ELSE p.commune_code END, \
             kind = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.kind ELSE p.kind END, \
             ess_family = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.ess_family ELSE p.ess_family END, \
             version = GREATEST(p.version, EXCLUDED.version), \
             archived = CASE WHEN p.status_version < EXCLUDED.status_version THEN EXCLUDED.archived ELSE p.archived END, \
             status_version = GREATEST(p.status_version, EXCLUDED.status_version), \
             cress_member = CASE WHEN p.membership_version < EXCLUDED.membership_version THEN EXCLUDED.cress_member ELSE p.cress_member END, \
             membership_version = GREATEST(p.membership_version, EXCLUDED.membership_version), \
             updated_at = now() \
         WHERE p.version < EXCLUDED.version OR p.status_version < EXCLUDED.status_version \
             OR p.membership_version < EXCLUDED.membership_version",
    )
    .bind(facts.partner_id)
    .bind(&facts.departement_code)
    .bind(&facts.commune_code)
    .bind(&facts.kind)
    .bind(&facts.ess_family)
    .bind(facts.archived)
    .bind(facts.version)
    .bind(facts.cress_member.unwrap_or(false))
    .bind(membership_version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the partner archived at `version` (guard `status_version`; a placeholder row, without
/// description, if its registration is not known yet).
#[tracing::instrument(name = "observatory.store.archive_partner", skip_all, fields(ess.partner.id = %partner_id, ess.aggregate.version = version))]
pub async fn archive(conn: &mut PgConnection, partner_id: Uuid, version: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO partner_projection AS p (partner_id, archived, version, status_version) VALUES ($1, true, 0, $2) \
         ON CONFLICT (partner_id) DO UPDATE SET archived = true, status_version = EXCLUDED.status_version, updated_at = now() \
         WHERE p.status_version < EXCLUDED.status_version",
    )
    .bind(partner_id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the partner's CRESS membership at `version` (its own guard).
#[tracing::instrument(name = "observatory.store.partner_membership", skip_all, fields(ess.partner.id = %partner_id, ess.aggregate.version = version))]
pub async fn set_membership(
    conn: &mut PgConnection,
    partner_id: Uuid,
    member: bool,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO partner_projection AS p (partner_id, version, status_version, cress_member, membership_version) \
         VALUES ($1, 0, 0, $2, $3) \
         ON CONFLICT (partner_id) DO UPDATE SET cress_member = EXCLUDED.cress_member, \
             membership_version = EXCLUDED.membership_version, updated_at = now() \
         WHERE p.membership_version < EXCLUDED.membership_version",
    )
    .bind(partner_id)
    .bind(member)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Active partners (registered, not archived) per département, sorted by code.
#[tracing::instrument(name = "observatory.store.count_partners_by_departement", skip_all)]
pub async fn count_by_departement(pool: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    count_by(pool, "departement_code").await
}

/// Active partners grouped by `column` (a fixed name from this module), sorted by value; a missing
/// value is reported as an empty code.
async fn count_by(pool: &PgPool, column: &'static str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT coalesce({column}, '') AS code, count(*) AS n FROM partner_projection \
         WHERE NOT archived AND departement_code IS NOT NULL GROUP BY 1 ORDER BY 1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
    rows.iter().map(|r| Ok((r.try_get("code")?, r.try_get("n")?))).collect()
}

/// The partner projections: counts of active partners by kind, family and département, and how
/// many are CRESS members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerCounts {
    pub total: i64,
    pub by_kind: Vec<(String, i64)>,
    pub by_family: Vec<(String, i64)>,
    pub by_departement: Vec<(String, i64)>,
    pub cress_members: i64,
}

/// Reads every partner projection.
#[tracing::instrument(name = "observatory.store.partner_counts", skip_all)]
pub async fn counts(pool: &PgPool) -> Result<PartnerCounts, sqlx::Error> {
    let by_departement = count_by(pool, "departement_code").await?;
    let members: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM partner_projection WHERE NOT archived AND departement_code IS NOT NULL AND cress_member",
    )
    .fetch_one(pool)
    .await?;
    Ok(PartnerCounts {
        total: by_departement.iter().map(|(_, n)| n).sum(),
        by_kind: count_by(pool, "kind").await?,
        by_family: count_by(pool, "ess_family").await?,
        by_departement,
        cress_members: members,
    })
}
