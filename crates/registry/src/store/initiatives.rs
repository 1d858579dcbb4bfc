//! The `initiatives`, `initiative_stages` and `initiative_supports` tables.

use sqlx::{PgConnection, Postgres, QueryBuilder, Row as _, postgres::PgRow};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{
    initiative::{Initiative, InitiativeKind, Stage, StageChange},
    partner::PartnerName,
};

fn corrupt(reason: &str) -> StoreError {
    StoreError::Corrupt {
        table: "initiatives",
        reason: reason.to_owned(),
    }
}

pub async fn insert(conn: &mut PgConnection, i: &Initiative) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO initiatives (id, name, kind, holder_id, territory, stage, version) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(i.id)
        .bind(i.name.as_str())
        .bind(i.kind.key())
        .bind(i.holder_id)
        .bind(&i.territory)
        .bind(i.stage().key())
        .bind(i.version)
        .execute(&mut *conn)
        .await?;
    for (seq, change) in i.history.iter().enumerate() {
        insert_stage(conn, i.id, seq as i32, change).await?;
    }
    for partner in &i.supports {
        sqlx::query(
            "INSERT INTO initiative_supports (initiative_id, partner_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(i.id)
        .bind(partner)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Appends the last history entry and writes the current stage and version.
pub async fn append_stage(conn: &mut PgConnection, i: &Initiative) -> Result<(), StoreError> {
    let Some(last) = i.history.last() else {
        return Err(corrupt("an initiative without a stage"));
    };
    insert_stage(conn, i.id, i.history.len() as i32 - 1, last).await?;
    sqlx::query("UPDATE initiatives SET stage = $2, version = $3 WHERE id = $1")
        .bind(i.id)
        .bind(i.stage().key())
        .bind(i.version)
        .execute(conn)
        .await?;
    Ok(())
}

async fn insert_stage(conn: &mut PgConnection, id: Uuid, seq: i32, c: &StageChange) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO initiative_stages (initiative_id, seq, stage, on_date, note) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(seq)
        .bind(c.stage.key())
        .bind(c.on)
        .bind(c.note.as_deref())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Initiative>, StoreError> {
    let sql = if lock {
        "SELECT id, name, kind, holder_id, territory, version FROM initiatives WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT id, name, kind, holder_id, territory, version FROM initiatives WHERE id = $1"
    };
    let Some(row) = sqlx::query(sql).bind(id).fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let mut i = from_row(&row)?;
    complete(conn, &mut i).await?;
    Ok(Some(i))
}

/// Newest first, at most `limit`.
pub async fn list(
    conn: &mut PgConnection,
    holder: Option<Uuid>,
    kind: Option<InitiativeKind>,
    stage: Option<Stage>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Initiative>, StoreError> {
    let mut b: QueryBuilder<Postgres> =
        QueryBuilder::new("SELECT id, name, kind, holder_id, territory, version FROM initiatives WHERE true");
    if let Some(h) = holder {
        b.push(" AND holder_id = ").push_bind(h);
    }
    if let Some(k) = kind {
        b.push(" AND kind = ").push_bind(k.key());
    }
    if let Some(s) = stage {
        b.push(" AND stage = ").push_bind(s.key());
    }
    if let Some(id) = before {
        b.push(" AND id < ").push_bind(id);
    }
    b.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    let rows = b.build().fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut i = from_row(row)?;
        complete(conn, &mut i).await?;
        out.push(i);
    }
    Ok(out)
}

async fn complete(conn: &mut PgConnection, i: &mut Initiative) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT stage, on_date, note FROM initiative_stages WHERE initiative_id = $1 ORDER BY seq")
        .bind(i.id)
        .fetch_all(&mut *conn)
        .await?;
    i.history = rows
        .iter()
        .map(|r| {
            let stage: String = r.try_get("stage")?;
            Ok(StageChange {
                stage: Stage::from_key(&stage).ok_or_else(|| corrupt("stage"))?,
                on: r.try_get("on_date")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    if i.history.is_empty() {
        return Err(corrupt("an initiative without a stage"));
    }
    i.supports =
        sqlx::query_scalar("SELECT partner_id FROM initiative_supports WHERE initiative_id = $1 ORDER BY partner_id")
            .bind(i.id)
            .fetch_all(conn)
            .await?;
    Ok(())
}

fn from_row(r: &PgRow) -> Result<Initiative, StoreError> {
    let name: String = r.try_get("name")?;
    let kind: String = r.try_get("kind")?;
    Ok(Initiative {
        id: r.try_get("id")?,
        name: PartnerName::parse(&name).map_err(|_| corrupt("name"))?,
        kind: InitiativeKind::from_key(&kind).ok_or_else(|| corrupt("kind"))?,
        holder_id: r.try_get("holder_id")?,
        territory: r.try_get("territory")?,
        history: Vec::new(),
        supports: Vec::new(),
        version: r.try_get("version")?,
    })
}

/// Which of `ids` are registered partners.
pub async fn existing_partners(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
    let found: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM partners WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(conn)
        .await?;
    Ok(found)
}
