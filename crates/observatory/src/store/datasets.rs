//! `datasets` and `facts`: imported statistics. An import runs in one transaction that claims the
//! `(source, edition)` row, deletes its old facts and writes the new ones, so a reader sees the old
//! figures or the new ones, never a mix; two imports of the same edition wait for each other.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool, Row as _, postgres::PgRow};
use uuid::Uuid;

use crate::domain::dataset::{Edition, Fact, Source};

/// A dataset as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetRow {
    pub id: Uuid,
    pub source: Source,
    pub edition: String,
    pub rows_read: i64,
    pub facts: i64,
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub imported_at: DateTime<Utc>,
    /// Bumped by every import of `(source, edition)`: what was computed from one import is keyed by
    /// `(id, revision)`, so a re-import never serves figures of the import it replaced.
    pub revision: i64,
}

fn dataset(row: &PgRow) -> Result<DatasetRow, sqlx::Error> {
    let source: String = row.try_get("source")?;
    Ok(DatasetRow {
        id: row.try_get("id")?,
        source: Source::parse(&source).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        edition: row.try_get("edition")?,
        rows_read: row.try_get("rows_read")?,
        facts: row.try_get("facts")?,
        first_year: row.try_get("first_year")?,
        last_year: row.try_get("last_year")?,
        imported_at: row.try_get("imported_at")?,
        revision: row.try_get("revision")?,
    })
}

const COLUMNS: &str = "id, source, edition, rows_read, facts, first_year, last_year, imported_at, revision";

/// Claims `(source, edition)` for an import in `conn`'s transaction (the row stays locked until
/// commit) and deletes its previous facts. Returns the dataset id and whether it existed.
#[tracing::instrument(name = "observatory.store.begin_import", skip_all, fields(ess.dataset.source = %source))]
pub async fn begin_import(
    conn: &mut PgConnection,
    source: Source,
    edition: &Edition,
) -> Result<(Uuid, bool), sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO datasets (id, source, edition) VALUES ($1, $2, $3) \
         ON CONFLICT (source, edition) DO UPDATE SET revision = datasets.revision + 1 \
         RETURNING id, (xmax <> 0) AS replaced",
    )
    .bind(Uuid::now_v7())
    .bind(source.code())
    .bind(edition.as_str())
    .fetch_one(&mut *conn)
    .await?;
    let id: Uuid = row.try_get("id")?;
    sqlx::query("DELETE FROM facts WHERE dataset_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sirene_legal_units WHERE dataset_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok((id, row.try_get("replaced")?))
}

/// Writes one batch of facts with a single multi-row insert (arrays unnested server-side).
#[tracing::instrument(name = "observatory.store.insert_facts", skip_all, fields(rows = facts.len()))]
pub async fn insert_facts(conn: &mut PgConnection, dataset_id: Uuid, facts: &[Fact]) -> Result<(), sqlx::Error> {
    let text = |f: fn(&Fact) -> Option<String>| facts.iter().map(f).collect::<Vec<_>>();
    let dec = |f: fn(&Fact) -> Decimal| facts.iter().map(|x| f(x).to_string()).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO facts (dataset_id, scope, year, epci, departement, ancienne_region, region, family, na88, \
             naf_section, establishments, employees, payroll) \
         SELECT $1, scope, year, epci, departement, ancienne_region, region, family, na88, naf_section, \
             establishments, employees::numeric, payroll::numeric \
         FROM UNNEST($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
             $9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[]) \
             AS t(scope, year, epci, departement, ancienne_region, region, family, na88, naf_section, \
                  establishments, employees, payroll)",
    )
    .bind(dataset_id)
    .bind(facts.iter().map(|f| f.scope.code()).collect::<Vec<_>>())
    .bind(facts.iter().map(|f| f.year).collect::<Vec<_>>())
    .bind(text(|f| f.epci.clone()))
    .bind(text(|f| f.departement.clone()))
    .bind(text(|f| f.ancienne_region.clone()))
    .bind(text(|f| f.region.clone()))
    .bind(text(|f| f.family.map(|x| x.code().to_owned())))
    .bind(text(|f| f.na88.clone()))
    .bind(text(|f| f.naf_section.clone()))
    .bind(facts.iter().map(|f| f.establishments).collect::<Vec<_>>())
    .bind(dec(|f| f.employees))
    .bind(dec(|f| f.payroll))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the import's counts and years; called last, in the import's transaction.
#[tracing::instrument(name = "observatory.store.finish_import", skip_all)]
pub async fn finish_import(
    conn: &mut PgConnection,
    dataset_id: Uuid,
    rows_read: i64,
) -> Result<DatasetRow, sqlx::Error> {
    let sql = format!(
        "UPDATE datasets d SET rows_read = $2, imported_at = now(), facts = s.n, first_year = s.y0, last_year = s.y1 \
         FROM (SELECT (SELECT count(*) FROM facts WHERE dataset_id = $1) \
                    + (SELECT count(*) FROM sirene_legal_units WHERE dataset_id = $1) AS n, \
                  min(year) AS y0, max(year) AS y1 FROM facts WHERE dataset_id = $1) s \
         WHERE d.id = $1 RETURNING {}",
        COLUMNS
            .split(", ")
            .map(|c| format!("d.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(dataset_id)
        .bind(rows_read)
        .fetch_one(conn)
        .await?;
    dataset(&row)
}

/// The dataset `(source, edition)`, if imported.
#[tracing::instrument(name = "observatory.store.find_dataset", skip_all)]
pub async fn find(
    conn: &mut PgConnection,
    source: Source,
    edition: &Edition,
) -> Result<Option<DatasetRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM datasets WHERE source = $1 AND edition = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(source.code())
        .bind(edition.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(dataset).transpose()
}

/// Every dataset, by source then edition.
#[tracing::instrument(name = "observatory.store.list_datasets", skip_all)]
///
/// At most `limit`, after the dataset `after` (datasets are never deleted, so its id finds its place).
pub async fn list(pool: &PgPool, after: Option<Uuid>, limit: i64) -> Result<Vec<DatasetRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM datasets \
         WHERE $1::uuid IS NULL OR (source, edition, id) > (SELECT c.source, c.edition, c.id FROM datasets c WHERE c.id = $1) \
         ORDER BY source, edition, id LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter().map(dataset).collect()
}

/// The dataset to answer from: among `sources` (in order of preference), the latest edition whose
/// years cover `year`.
#[tracing::instrument(name = "observatory.store.dataset_for", skip_all, fields(year))]
pub async fn dataset_for(pool: &PgPool, sources: &[Source], year: i32) -> Result<Option<DatasetRow>, sqlx::Error> {
    let codes: Vec<&str> = sources.iter().map(|s| s.code()).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM datasets WHERE source = ANY($1) AND first_year <= $2 AND last_year >= $2 \
         ORDER BY array_position($1, source), edition DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&codes)
        .bind(year)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(dataset).transpose()
}
