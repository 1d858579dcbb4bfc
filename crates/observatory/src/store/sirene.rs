//! SIRENE imports, set-based: parsed rows are streamed into the database with `COPY` (legal units
//! into `sirene_legal_units`, establishments into a temporary staging table), then one
//! `INSERT … SELECT … JOIN … GROUP BY` turns the establishments into facts per commune × family ×
//! NA88 division, with the largest establishment of each for the dominance rule.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{
    dataset::{Establishment, LegalUnit},
    territory::{BASSE_NORMANDIE, NORMANDIE},
};

/// A text-format COPY field: digits, codes and decimals only ever, but escaped all the same.
fn field(out: &mut String, value: &str) {
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn line(out: &mut String, values: &[&str]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        field(out, v);
    }
    out.push('\n');
}

/// Appends legal units to the dataset with one `COPY`.
#[tracing::instrument(name = "observatory.store.copy_legal_units", skip_all, fields(rows = units.len()))]
pub async fn copy_legal_units(
    conn: &mut PgConnection,
    dataset_id: Uuid,
    units: &[LegalUnit],
) -> Result<(), sqlx::Error> {
    let id = dataset_id.to_string();
    let mut data = String::with_capacity(units.len() * 64);
    for u in units {
        line(&mut data, &[&id, &u.siren, u.family.code()]);
    }
    let mut copy = conn
        .copy_in_raw("COPY sirene_legal_units (dataset_id, siren, family) FROM STDIN")
        .await?;
    copy.send(data.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// Creates the staging table of this transaction's establishments (dropped at commit).
pub async fn create_staging(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "CREATE TEMP TABLE sirene_staging (siren TEXT, commune TEXT, epci TEXT, departement TEXT, na88 TEXT, \
             naf_section TEXT, employees NUMERIC) ON COMMIT DROP",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends establishments to the staging table with one `COPY`.
#[tracing::instrument(name = "observatory.store.copy_establishments", skip_all, fields(rows = rows.len()))]
pub async fn copy_establishments(conn: &mut PgConnection, rows: &[Establishment]) -> Result<(), sqlx::Error> {
    let mut data = String::with_capacity(rows.len() * 64);
    for e in rows {
        let employees = e.employees.to_string();
        line(
            &mut data,
            &[
                &e.siren,
                &e.commune,
                &e.epci,
                &e.departement,
                &e.na88,
                &e.naf_section,
                &employees,
            ],
        );
    }
    let mut copy = conn
        .copy_in_raw("COPY sirene_staging (siren, commune, epci, departement, na88, naf_section, employees) FROM STDIN")
        .await?;
    copy.send(data.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// Turns the staged establishments whose legal unit is in `legal_units` into facts of
/// `dataset_id` for `year`: one row per commune × family × NA88 division, with the count, the
/// estimated employees, the largest establishment's employees, payroll unknown, marked estimated.
/// Returns the number of establishments kept.
#[tracing::instrument(name = "observatory.store.aggregate_establishments", skip_all, fields(year))]
pub async fn aggregate_establishments(
    conn: &mut PgConnection,
    dataset_id: Uuid,
    legal_units: Uuid,
    year: i32,
) -> Result<i64, sqlx::Error> {
    // The staging table is a fresh temporary table: without statistics the planner would join it
    // row by row through the legal units' index instead of hashing.
    sqlx::query("ANALYZE sirene_staging").execute(&mut *conn).await?;
    let kept: i64 = sqlx::query_scalar(
        "WITH inserted AS ( \
             INSERT INTO facts (dataset_id, scope, year, commune, epci, departement, ancienne_region, region, family, \
                 na88, naf_section, establishments, employees, payroll, largest_employees, largest_payroll, estimated) \
             SELECT $1, 'ess', $3, s.commune, s.epci, s.departement, $4, $5, u.family, s.na88, s.naf_section, \
                 count(*), sum(s.employees), NULL, max(s.employees), NULL, true \
             FROM sirene_staging s JOIN sirene_legal_units u ON u.dataset_id = $2 AND u.siren = s.siren \
             GROUP BY s.commune, s.epci, s.departement, u.family, s.na88, s.naf_section \
             RETURNING establishments) \
         SELECT coalesce(sum(establishments), 0)::bigint FROM inserted",
    )
    .bind(dataset_id)
    .bind(legal_units)
    .bind(year)
    // Establishments were kept only in communes of Basse-Normandie (see `import::sirene`).
    .bind(BASSE_NORMANDIE)
    .bind(NORMANDIE)
    .fetch_one(conn)
    .await?;
    Ok(kept)
}
