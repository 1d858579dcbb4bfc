//! The `cress_memberships` and `affiliations` tables.

use chrono::NaiveDate;
use sqlx::{PgConnection, Row as _};
use uuid::Uuid;

use super::{StoreError, classify};
use crate::domain::{
    dates::Period,
    membership::{Affiliation, MembershipPeriod},
    partner::PartnerId,
};

/// The partner's periods, oldest first.
#[tracing::instrument(name = "registry.store.membership_periods", skip_all, fields(ess.partner.id = %partner.0))]
pub async fn periods(conn: &mut PgConnection, partner: PartnerId) -> Result<Vec<MembershipPeriod>, StoreError> {
    let rows = sqlx::query(
        "SELECT member_from, member_until, college, mandant FROM cress_memberships WHERE partner_id = $1 ORDER BY member_from",
    )
    .bind(partner.0)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let from: NaiveDate = r.try_get("member_from")?;
            let until: Option<NaiveDate> = r.try_get("member_until")?;
            Ok(MembershipPeriod {
                period: Period::new(from, until, "member_until").map_err(|_| StoreError::Corrupt {
                    table: "cress_memberships",
                    reason: "dates in the wrong order".into(),
                })?,
                college: r.try_get("college")?,
                mandant: r.try_get("mandant")?,
            })
        })
        .collect()
}

/// Opens a period (the unique index refuses a second open one, and the primary key a second
/// period starting the same day: both are `Conflict`).
pub async fn open(conn: &mut PgConnection, partner: PartnerId, p: &MembershipPeriod) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO cress_memberships (partner_id, member_from, college, mandant) VALUES ($1, $2, $3, $4)")
        .bind(partner.0)
        .bind(p.period.from())
        .bind(p.college.as_deref())
        .bind(p.mandant)
        .execute(conn)
        .await
        .map_err(classify)?;
    Ok(())
}

/// Closes the open period.
pub async fn close(conn: &mut PgConnection, partner: PartnerId, until: NaiveDate) -> Result<(), StoreError> {
    sqlx::query("UPDATE cress_memberships SET member_until = $2 WHERE partner_id = $1 AND member_until IS NULL")
        .bind(partner.0)
        .bind(until)
        .execute(conn)
        .await?;
    Ok(())
}

/// The partner's affiliations with the network's name, oldest first.
pub async fn affiliations(
    conn: &mut PgConnection,
    partner: PartnerId,
) -> Result<Vec<(Affiliation, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.id, a.network_id, a.valid_from, a.valid_until, n.name FROM affiliations a \
         JOIN partners n ON n.id = a.network_id WHERE a.partner_id = $1 ORDER BY a.valid_from, a.id",
    )
    .bind(partner.0)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let from: NaiveDate = r.try_get("valid_from")?;
            let until: Option<NaiveDate> = r.try_get("valid_until")?;
            let affiliation = Affiliation {
                id: r.try_get("id")?,
                network_id: r.try_get("network_id")?,
                period: Period::new(from, until, "until").map_err(|_| StoreError::Corrupt {
                    table: "affiliations",
                    reason: "dates in the wrong order".into(),
                })?,
            };
            Ok((affiliation, r.try_get("name")?))
        })
        .collect()
}

pub async fn insert_affiliation(
    conn: &mut PgConnection,
    partner: PartnerId,
    a: &Affiliation,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO affiliations (id, partner_id, network_id, valid_from, valid_until) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(a.id)
    .bind(partner.0)
    .bind(a.network_id)
    .bind(a.period.from())
    .bind(a.period.until())
    .execute(conn)
    .await
    .map_err(classify)?;
    Ok(())
}

pub async fn end_affiliation(conn: &mut PgConnection, id: Uuid, until: NaiveDate) -> Result<(), StoreError> {
    sqlx::query("UPDATE affiliations SET valid_until = $2 WHERE id = $1")
        .bind(id)
        .bind(until)
        .execute(conn)
        .await?;
    Ok(())
}
