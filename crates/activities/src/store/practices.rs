//! The `practices` table (good-practice sheets).

use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;
use crate::domain::{activity::Axis, practice::NewPractice};

#[derive(Debug, Clone)]
pub struct Practice {
    pub id: Uuid,
    pub sheet: NewPractice,
    pub published: bool,
    pub version: i64,
}

type Row = (
    Uuid,
    String,
    String,
    String,
    Vec<Uuid>,
    Vec<Uuid>,
    i16,
    Vec<String>,
    String,
    i64,
);

fn parse(r: Row) -> Result<Practice, StoreError> {
    let axis = Axis::parse(i32::from(r.6)).map_err(|e| StoreError::Corrupt {
        table: "practices",
        reason: e.into(),
    })?;
    Ok(Practice {
        id: r.0,
        sheet: NewPractice {
            title: r.1,
            summary: r.2,
            body: r.3,
            activity_ids: r.4,
            partner_ids: r.5,
            axis,
            tags: r.7,
        },
        published: r.8 == "published",
        version: r.9,
    })
}

pub async fn insert(conn: &mut PgConnection, id: Uuid, p: &NewPractice) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO practices (id, title, summary, body, activity_ids, partner_ids, axis, tags, status, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', 1)",
    )
    .bind(id)
    .bind(&p.title)
    .bind(&p.summary)
    .bind(&p.body)
    .bind(&p.activity_ids)
    .bind(&p.partner_ids)
    .bind(i16::from(p.axis.get()))
    .bind(&p.tags)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Practice>, StoreError> {
    let q = if lock {
        "SELECT id, title, summary, body, activity_ids, partner_ids, axis, tags, status, version FROM practices WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT id, title, summary, body, activity_ids, partner_ids, axis, tags, status, version FROM practices WHERE id = $1"
    };
    let row: Option<Row> = sqlx::query_as(q).bind(id).fetch_optional(conn).await?;
    row.map(parse).transpose()
}

pub async fn publish(conn: &mut PgConnection, id: Uuid, version: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE practices SET status = 'published', version = $2 WHERE id = $1")
        .bind(id)
        .bind(version)
        .execute(conn)
        .await?;
    Ok(())
}

/// Newest first, at most `limit`, after the practice `after`.
pub async fn list(
    conn: &mut PgConnection,
    published_only: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Practice>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, title, summary, body, activity_ids, partner_ids, axis, tags, status, version FROM practices \
         WHERE (NOT $1 OR status = 'published') \
           AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM practices c WHERE c.id = $2 \
                AND (practices.created_at < c.created_at OR (practices.created_at = c.created_at AND practices.id > c.id)))) \
         ORDER BY created_at DESC, id LIMIT $3",
    )
    .bind(published_only)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(parse).collect()
}

/// Which of `ids` are activities we know.
pub async fn known_activities(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar("SELECT id FROM activities WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(conn)
        .await?)
}
