//! The `ptces` and `ptce_members` tables.

use chrono::NaiveDate;
use sqlx::{PgConnection, Row as _, postgres::PgRow};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{
    dates::Period,
    partner::PartnerName,
    ptce::{Ptce, PtceMember, PtceStatus},
};

fn corrupt(reason: &str) -> StoreError {
    StoreError::Corrupt {
        table: "ptces",
        reason: reason.to_owned(),
    }
}

pub async fn insert(conn: &mut PgConnection, p: &Ptce) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ptces (id, name, territory, lead_partner_id, themes, status, version) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(p.id)
    .bind(p.name.as_str())
    .bind(&p.territory)
    .bind(p.lead_partner_id)
    .bind(&p.themes)
    .bind(p.status.key())
    .bind(p.version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes status and version.
pub async fn save(conn: &mut PgConnection, p: &Ptce) -> Result<(), StoreError> {
    sqlx::query("UPDATE ptces SET status = $2, version = $3 WHERE id = $1")
        .bind(p.id)
        .bind(p.status.key())
        .bind(p.version)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn join(conn: &mut PgConnection, ptce: Uuid, m: &PtceMember) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO ptce_members (ptce_id, partner_id, joined_on) VALUES ($1, $2, $3)")
        .bind(ptce)
        .bind(m.partner_id)
        .bind(m.period.from())
        .execute(conn)
        .await
        .map_err(super::classify)?;
    Ok(())
}

pub async fn leave(conn: &mut PgConnection, ptce: Uuid, partner: Uuid, on: NaiveDate) -> Result<(), StoreError> {
    sqlx::query("UPDATE ptce_members SET left_on = $3 WHERE ptce_id = $1 AND partner_id = $2 AND left_on IS NULL")
        .bind(ptce)
        .bind(partner)
        .bind(on)
        .execute(conn)
        .await?;
    Ok(())
}

/// One PTCE with its members (locked with `FOR UPDATE` when `lock`).
pub async fn get(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Ptce>, StoreError> {
    let sql = if lock {
        "SELECT id, name, territory, lead_partner_id, themes, status, version FROM ptces WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT id, name, territory, lead_partner_id, themes, status, version FROM ptces WHERE id = $1"
    };
    let Some(row) = sqlx::query(sql).bind(id).fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let mut ptce = from_row(&row)?;
    ptce.members = members(conn, id).await?;
    Ok(Some(ptce))
}

/// Every PTCE by name, with members.
pub async fn list(conn: &mut PgConnection, after: Option<(String, Uuid)>, limit: i64) -> Result<Vec<Ptce>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, territory, lead_partner_id, themes, status, version FROM ptces \
         WHERE $1::text IS NULL OR (name, id) > ($1, $2) ORDER BY name, id LIMIT $3",
    )
    .bind(after.as_ref().map(|(k, _)| k.clone()))
    .bind(after.as_ref().map(|(_, id)| *id))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut p = from_row(row)?;
        p.members = members(conn, p.id).await?;
        out.push(p);
    }
    Ok(out)
}

/// Names of the partners involved, for answers.
pub async fn partner_names(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, StoreError> {
    let rows = sqlx::query("SELECT id, name FROM partners WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

async fn members(conn: &mut PgConnection, id: Uuid) -> Result<Vec<PtceMember>, StoreError> {
    let rows = sqlx::query(
        "SELECT partner_id, joined_on, left_on FROM ptce_members WHERE ptce_id = $1 ORDER BY joined_on, partner_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PtceMember {
                partner_id: r.try_get("partner_id")?,
                period: Period::new(r.try_get("joined_on")?, r.try_get("left_on")?, "left_on")
                    .map_err(|_| corrupt("member dates in the wrong order"))?,
            })
        })
        .collect()
}

fn from_row(r: &PgRow) -> Result<Ptce, StoreError> {
    let name: String = r.try_get("name")?;
    let status: String = r.try_get("status")?;
    Ok(Ptce {
        id: r.try_get("id")?,
        name: PartnerName::parse(&name).map_err(|_| corrupt("name"))?,
        territory: r.try_get("territory")?,
        lead_partner_id: r.try_get("lead_partner_id")?,
        themes: r.try_get("themes")?,
        status: PtceStatus::from_key(&status).ok_or_else(|| corrupt("status"))?,
        members: Vec::new(),
        version: r.try_get("version")?,
    })
}
