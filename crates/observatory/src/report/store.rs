//! Published reports (`published_reports`, `published_report_files`): immutable once written.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

use super::{Format, Kind, render::File};

/// A published report's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub id: Uuid,
    pub kind: Kind,
    pub title: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub format: Format,
    pub published_at: DateTime<Utc>,
}

/// Stores the report and its files in the caller's transaction.
pub async fn insert(conn: &mut PgConnection, p: &Published, files: &[File]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO published_reports (id, kind, title, period_from, period_to, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(p.id)
    .bind(p.kind.code())
    .bind(&p.title)
    .bind(p.period_from)
    .bind(p.period_to)
    .bind(p.published_at)
    .execute(&mut *conn)
    .await?;
    for f in files {
        sqlx::query(
            "INSERT INTO published_report_files (report_id, name, format, content_type, content) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(p.id)
        .bind(&f.name)
        .bind(p.format.code())
        .bind(f.content_type)
        .bind(&f.content)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn decode_err(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} in published_reports").into())
}

const SELECT: &str = "SELECT r.id, r.kind, r.title, r.period_from, r.period_to, r.published_at, \
     coalesce((SELECT min(f.format) FROM published_report_files f WHERE f.report_id = r.id), 'html') AS format \
     FROM published_reports r";

fn published(r: &sqlx::postgres::PgRow) -> Result<Published, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let format: String = r.try_get("format")?;
    Ok(Published {
        id: r.try_get("id")?,
        kind: Kind::from_code(&kind).ok_or_else(|| decode_err("kind"))?,
        title: r.try_get("title")?,
        period_from: r.try_get("period_from")?,
        period_to: r.try_get("period_to")?,
        format: Format::from_code(&format).ok_or_else(|| decode_err("format"))?,
        published_at: r.try_get("published_at")?,
    })
}

/// Published reports, newest first: at most `limit`, after the report `after` (reports are never
/// deleted, so its id finds its place).
pub async fn list(pool: &PgPool, after: Option<Uuid>, limit: i64) -> Result<Vec<Published>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE $1::uuid IS NULL \
           OR (r.published_at, r.id) < (SELECT c.published_at, c.id FROM published_reports c WHERE c.id = $1) \
         ORDER BY r.published_at DESC, r.id DESC LIMIT $2"
    )))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(published).collect()
}

/// One published report with its files (by name), if it exists.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<(Published, Vec<File>)>, sqlx::Error> {
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1")))
        .bind(id)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let p = published(&row)?;
    let files = sqlx::query("SELECT name, content FROM published_report_files WHERE report_id = $1 ORDER BY name")
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(File {
                name: r.try_get("name")?,
                content_type: p.format.content_type(),
                content: r.try_get("content")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some((p, files)))
}
