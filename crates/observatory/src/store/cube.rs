//! Queries over `facts`: sums by two dimensions for one dataset and year (the indicator cube).
//! Above the commune, queries read `facts_rollup`, the same facts pre-summed per territory level
//! when a dataset is imported ([`refresh_rollup`]).

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

use crate::domain::{
    cube::{CubeCell, Dimension, Figures},
    territory::TerritoryLevel,
};

/// The column of `facts` a dimension groups by. Only these fixed names ever reach the SQL.
fn column(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Territory(level) => territory_column(level),
        Dimension::Family => "family",
        Dimension::Na88 => "na88",
        Dimension::NafSection => "naf_section",
    }
}

/// The column holding a territory level.
pub fn territory_column(level: TerritoryLevel) -> &'static str {
    match level {
        TerritoryLevel::Commune => "commune",
        TerritoryLevel::Epci => "epci",
        TerritoryLevel::Departement => "departement",
        TerritoryLevel::AncienneRegion => "ancienne_region",
        TerritoryLevel::Region => "region",
    }
}

/// What to sum.
#[derive(Debug, Clone)]
pub struct CubeQuery {
    pub dataset_id: Uuid,
    pub year: i32,
    pub rows: Dimension,
    pub columns: Option<Dimension>,
    /// Level of the territory filter (and of a territory dimension).
    pub territory_level: TerritoryLevel,
    /// Empty: every territory.
    pub territory_codes: Vec<String>,
    /// Empty: every family.
    pub families: Vec<String>,
}

/// Memory for the rollup's grouping, for the import's transaction only: with the default 4 MB,
/// PostgreSQL sorts the facts on disk by eight text columns (0.8 s for a SIRENE stock of 330,000
/// facts) instead of hashing them in memory (0.1 s).
const ROLLUP_WORK_MEM: &str = "SET LOCAL work_mem = '64MB'";

/// Rebuilds the pre-summed levels of one dataset from its facts, in the import's transaction.
/// Two steps: the facts are first summed without the commune (a SIRENE stock's 330,000 facts
/// become some 17,000 rows), then those sums are spread over the four levels and summed again.
/// Sums of sums are the same sums, and a largest contribution stays unknown (NULL) as soon as one
/// fact lacks it, at either step.
#[tracing::instrument(name = "observatory.store.refresh_rollup", skip_all)]
pub async fn refresh_rollup(conn: &mut PgConnection, dataset_id: Uuid) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM facts_rollup WHERE dataset_id = $1")
        .bind(dataset_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(ROLLUP_WORK_MEM).execute(&mut *conn).await?;
    let done = sqlx::query(
        "INSERT INTO facts_rollup \
         WITH base AS ( \
             SELECT year, epci, departement, ancienne_region, region, family, na88, naf_section, \
                 sum(establishments) AS establishments, sum(employees) AS employees, sum(payroll) AS payroll, \
                 CASE WHEN bool_and(largest_employees IS NOT NULL) THEN max(largest_employees) END \
                     AS largest_employees, \
                 CASE WHEN bool_and(largest_payroll IS NOT NULL) THEN max(largest_payroll) END AS largest_payroll \
             FROM facts WHERE dataset_id = $1 \
             GROUP BY year, epci, departement, ancienne_region, region, family, na88, naf_section) \
         SELECT $1, year, l.level, l.territory, family, na88, naf_section, sum(establishments), \
             sum(employees), sum(payroll), \
             CASE WHEN bool_and(largest_employees IS NOT NULL) THEN max(largest_employees) END, \
             CASE WHEN bool_and(largest_payroll IS NOT NULL) THEN max(largest_payroll) END \
         FROM base CROSS JOIN LATERAL (VALUES ('epci', epci), ('departement', departement), \
             ('ancienne_region', ancienne_region), ('region', region)) AS l (level, territory) \
         WHERE l.territory IS NOT NULL \
         GROUP BY year, l.level, l.territory, family, na88, naf_section",
    )
    .bind(dataset_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Sums of establishments, employees and payroll per (row, column); the largest contributions are
/// known only when every fact of the cell carries one.
#[tracing::instrument(name = "observatory.store.cube_cells", skip_all, fields(year = q.year))]
pub async fn cells(pool: &PgPool, q: &CubeQuery) -> Result<Vec<CubeCell>, sqlx::Error> {
    // Commune level: the facts themselves. Above: the rollup of that level, where the territory
    // is one column (every territory dimension of a query is at `territory_level`).
    let rollup = q.territory_level != TerritoryLevel::Commune;
    let group_column = |dim: Dimension| match dim {
        Dimension::Territory(_) if rollup => "territory",
        dim => column(dim),
    };
    let row_col = group_column(q.rows);
    let col_col = q.columns.map(group_column);
    let level_col = if rollup {
        "territory"
    } else {
        territory_column(q.territory_level)
    };
    let mut not_null = vec![format!("{row_col} IS NOT NULL"), format!("{level_col} IS NOT NULL")];
    if let Some(c) = col_col {
        not_null.push(format!("{c} IS NOT NULL"));
    }
    // Filters are written only when they filter, so that the statement's plan (generic after a
    // few executions) can use them as index conditions: `cardinality($3) = 0 OR x = ANY($3)`
    // cannot be one, and made every commune query scan all the dataset's facts.
    let mut filters = String::new();
    let mut next = 3;
    if rollup {
        filters.push_str(&format!(" AND level = ${next}"));
        next += 1;
    }
    if !q.territory_codes.is_empty() {
        filters.push_str(&format!(" AND {level_col} = ANY(${next})"));
        next += 1;
    }
    if !q.families.is_empty() {
        filters.push_str(&format!(" AND family = ANY(${next})"));
    }
    let table = if rollup { "facts_rollup" } else { "facts" };
    let col_expr = col_col.unwrap_or("''");
    let sql = format!(
        "SELECT {row_col} AS r, {col_expr} AS c, sum(establishments)::bigint AS n, sum(employees)::text AS e, \
             sum(payroll)::text AS p, \
             CASE WHEN bool_and(largest_employees IS NOT NULL) THEN max(largest_employees)::text END AS le, \
             CASE WHEN bool_and(largest_payroll IS NOT NULL) THEN max(largest_payroll)::text END AS lp \
         FROM {table} WHERE dataset_id = $1 AND year = $2{filters} AND {} \
         GROUP BY 1, 2",
        not_null.join(" AND ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(q.dataset_id).bind(q.year);
    if rollup {
        query = query.bind(territory_column(q.territory_level));
    }
    if !q.territory_codes.is_empty() {
        query = query.bind(&q.territory_codes);
    }
    if !q.families.is_empty() {
        query = query.bind(&q.families);
    }
    let rows = query.fetch_all(pool).await?;
    let dec = |s: Option<String>| -> Result<Option<Decimal>, sqlx::Error> {
        s.map(|s| s.parse::<Decimal>().map_err(|e| sqlx::Error::Decode(Box::new(e))))
            .transpose()
    };
    rows.iter()
        .map(|r| {
            Ok(CubeCell {
                row: r.try_get("r")?,
                column: r.try_get("c")?,
                figures: Figures {
                    establishments: r.try_get("n")?,
                    employees: dec(r.try_get("e")?)?.unwrap_or_default(),
                    payroll: dec(r.try_get("p")?)?,
                    largest_employees: dec(r.try_get("le")?)?,
                    largest_payroll: dec(r.try_get("lp")?)?,
                },
            })
        })
        .collect()
}
