//! The resource centre's tables (`resources`, `resource_files`): insert with the file in the
//! caller's transaction, list with filters, read one, read one's bytes. Rows read back go through
//! the domain's parsers; a row that fails them is corrupt data (an error, never a panic).

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Row as _, postgres::PgRow};
use uuid::Uuid;

use super::domain::{ContentType, NewResource, ResourceKind, fold, level_code, level_from_code};
use crate::domain::territory::TerritoryLevel;

/// A published resource as stored (without its bytes).
#[derive(Debug, Clone)]
pub struct ResourceRow {
    pub id: Uuid,
    pub kind: ResourceKind,
    pub title: String,
    pub summary: String,
    pub axis: i16,
    pub themes: Vec<String>,
    pub territory_level: TerritoryLevel,
    pub territory_code: String,
    pub published_on: NaiveDate,
    pub authors: Vec<String>,
    pub signing_partner_ids: Vec<Uuid>,
    pub file_name: String,
    pub content_type: ContentType,
    pub size_bytes: i64,
    pub created_at: DateTime<Utc>,
}

/// What to list. Text filters are folded here, so callers pass what the user typed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<ResourceKind>,
    pub axis: Option<i16>,
    pub theme: Option<String>,
    pub territory: Option<(TerritoryLevel, String)>,
    pub text: Option<String>,
    pub limit: i64,
    /// Start after this resource (resources are never deleted, so its id finds its place).
    pub after: Option<Uuid>,
}

const COLUMNS: &str = "id, kind, title, summary, axis, themes, territory_level, territory_code, published_on, authors, \
                       signing_partner_ids, file_name, content_type, size_bytes, created_at";

/// Inserts the resource and its file; returns the creation time. Runs in the caller's
/// transaction, beside the outbox row.
#[tracing::instrument(name = "observatory.store.insert_resource", skip_all, fields(ess.resource.id = %id))]
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    r: &NewResource,
    bytes: &[u8],
) -> Result<DateTime<Utc>, sqlx::Error> {
    let themes_folded: Vec<String> = r.themes.iter().map(|t| fold(t)).collect();
    let created_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO resources (id, kind, title, summary, axis, themes, themes_folded, territory_level, territory_code, \
             published_on, authors, signing_partner_ids, file_name, content_type, size_bytes, search_text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING created_at",
    )
    .bind(id)
    .bind(r.kind.code())
    .bind(&r.title)
    .bind(&r.summary)
    .bind(i16::from(r.axis.get()))
    .bind(&r.themes)
    .bind(&themes_folded)
    .bind(level_code(r.territory.level()))
    .bind(r.territory.code())
    .bind(r.date)
    .bind(&r.authors)
    .bind(&r.signing_partner_ids)
    .bind(r.file_name.as_str())
    .bind(r.content_type.mime())
    .bind(bytes.len() as i64)
    .bind(r.search_text())
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO resource_files (resource_id, content) VALUES ($1, $2)")
        .bind(id)
        .bind(bytes)
        .execute(&mut *conn)
        .await?;
    Ok(created_at)
}

/// `%` and `_` are LIKE wildcards: a user's word matches literally.
fn like_pattern(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Resources matching `f`, newest first, at most `f.limit`. One query.
#[tracing::instrument(name = "observatory.store.list_resources", skip_all)]
pub async fn list(pool: &PgPool, f: &Filter) -> anyhow::Result<Vec<ResourceRow>> {
    let words: Vec<String> = f
        .text
        .as_deref()
        .map(fold)
        .unwrap_or_default()
        .split_whitespace()
        .map(like_pattern)
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM resources \
         WHERE ($1::text IS NULL OR kind = $1) \
           AND ($2::smallint IS NULL OR axis = $2) \
           AND ($3::text IS NULL OR $3 = ANY (themes_folded)) \
           AND ($4::text IS NULL OR (territory_level = $4 AND territory_code = $5)) \
           AND search_text LIKE ALL ($6::text[]) \
           AND ($8::uuid IS NULL OR EXISTS (SELECT 1 FROM resources c WHERE c.id = $8 \
                AND (c.published_on, c.created_at, resources.id) > (resources.published_on, resources.created_at, c.id))) \
         ORDER BY published_on DESC, created_at DESC, id LIMIT $7"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(f.kind.map(ResourceKind::code))
        .bind(f.axis)
        .bind(f.theme.as_deref().map(fold).filter(|t| !t.is_empty()))
        .bind(f.territory.as_ref().map(|(l, _)| level_code(*l)))
        .bind(f.territory.as_ref().map(|(_, c)| c.as_str()))
        .bind(&words)
        .bind(f.limit)
        .bind(f.after)
        .fetch_all(pool)
        .await
        .context("listing resources")?;
    rows.iter().map(row).collect()
}

/// One resource, if it exists.
#[tracing::instrument(name = "observatory.store.get_resource", skip_all, fields(ess.resource.id = %id))]
pub async fn get(pool: &PgPool, id: Uuid) -> anyhow::Result<Option<ResourceRow>> {
    let sql = format!("SELECT {COLUMNS} FROM resources WHERE id = $1");
    let found = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
        .context("reading a resource")?;
    found.as_ref().map(row).transpose()
}

/// One resource and its bytes, if it exists. One query.
#[tracing::instrument(name = "observatory.store.resource_file", skip_all, fields(ess.resource.id = %id))]
pub async fn file(pool: &PgPool, id: Uuid) -> anyhow::Result<Option<(ResourceRow, Vec<u8>)>> {
    let sql = format!(
        "SELECT {COLUMNS}, f.content FROM resources r JOIN resource_files f ON f.resource_id = r.id WHERE r.id = $1"
    );
    let found = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
        .context("reading a resource's file")?;
    match found {
        Some(r) => {
            let bytes: Vec<u8> = r.try_get("content").context("resource file content")?;
            Ok(Some((row(&r)?, bytes)))
        }
        None => Ok(None),
    }
}

fn row(r: &PgRow) -> anyhow::Result<ResourceRow> {
    let kind: String = r.try_get("kind")?;
    let level: String = r.try_get("territory_level")?;
    let content_type: String = r.try_get("content_type")?;
    Ok(ResourceRow {
        id: r.try_get("id")?,
        kind: ResourceKind::from_code(&kind).context("corrupt resource row: kind")?,
        title: r.try_get("title")?,
        summary: r.try_get("summary")?,
        axis: r.try_get("axis")?,
        themes: r.try_get("themes")?,
        territory_level: level_from_code(&level).context("corrupt resource row: territory_level")?,
        territory_code: r.try_get("territory_code")?,
        published_on: r.try_get("published_on")?,
        authors: r.try_get("authors")?,
        signing_partner_ids: r.try_get("signing_partner_ids")?,
        file_name: r.try_get("file_name")?,
        content_type: ContentType::parse(&content_type).context("corrupt resource row: content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        created_at: r.try_get("created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_word_match_literally() {
        assert_eq!(like_pattern("50%"), "%50\\%%");
        assert_eq!(like_pattern("a_b"), "%a\\_b%");
    }
}
