//! Queries over `facts`: sums by two dimensions for one dataset and year (the indicator cube).

use rust_decimal::Decimal;
use sqlx::{PgPool, Row as _};
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

/// Sums of establishments, employees and payroll per (row, column); the largest contributions are
/// known only when every fact of the cell carries one.
#[tracing::instrument(name = "observatory.store.cube_cells", skip_all, fields(year = q.year))]
pub async fn cells(pool: &PgPool, q: &CubeQuery) -> Result<Vec<CubeCell>, sqlx::Error> {
    let row_col = column(q.rows);
    let col_col = q.columns.map(column);
    let level_col = territory_column(q.territory_level);
    let col_expr = col_col.unwrap_or("''");
    let mut not_null = vec![format!("{row_col} IS NOT NULL"), format!("{level_col} IS NOT NULL")];
    if let Some(c) = col_col {
        not_null.push(format!("{c} IS NOT NULL"));
    }
    let sql = format!(
        "SELECT {row_col} AS r, {col_expr} AS c, sum(establishments)::bigint AS n, sum(employees)::text AS e, \
             sum(payroll)::text AS p, \
             CASE WHEN bool_and(largest_employees IS NOT NULL) THEN max(largest_employees)::text END AS le, \
             CASE WHEN bool_and(largest_payroll IS NOT NULL) THEN max(largest_payroll)::text END AS lp \
         FROM facts WHERE dataset_id = $1 AND year = $2 AND {} \
             AND (cardinality($3::text[]) = 0 OR {level_col} = ANY($3)) \
             AND (cardinality($4::text[]) = 0 OR family = ANY($4)) \
         GROUP BY 1, 2",
        not_null.join(" AND ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(q.dataset_id)
        .bind(q.year)
        .bind(&q.territory_codes)
        .bind(&q.families)
        .fetch_all(pool)
        .await?;
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
