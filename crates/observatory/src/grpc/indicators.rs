//! QueryIndicators (public), QueryIndicatorsUnsuppressed (staff) and GetEssShare: requests are
//! checked into a query, the store sums the facts, the domain builds the table and applies secret
//! statistique, and only then do figures leave the service.

use std::{collections::BTreeMap, sync::Arc};

use anyhow::Context as _;
use ess_proto::observatory::v1 as pb;
use platform::grpc::FieldViolation;
use rust_decimal::Decimal;
use sqlx::PgPool;
use tonic::Status;

use super::datasets::dataset;
use crate::{
    cube_cache::{TableCache, TableKey},
    domain::{
        confidentiality::{MIN_ESTABLISHMENTS, Secret},
        cube::{Dimension, Figures, IndicatorTable, SECRET_LABEL, evolution_percent, share_percent},
        dataset::{FIRST_YEAR, Source},
        family::Family,
        territory::TerritoryLevel,
    },
    store::{
        cube::{self, CubeQuery},
        datasets::{self, DatasetRow},
    },
};

/// Last year a query may ask for (a typo guard, not a business rule).
const LAST_YEAR: i32 = 2200;

/// Why an indicator query failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("invalid query")]
    Invalid(Vec<FieldViolation>),
    #[error("no dataset holds year {0} for this query")]
    NoData(i32),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<QueryError> for Status {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::Invalid(v) => platform::grpc::invalid_argument(v),
            QueryError::NoData(year) => {
                Status::not_found(format!("no imported dataset holds year {year} for this query"))
            }
            QueryError::Unexpected(err) => platform::grpc::internal(err),
        }
    }
}

fn level(raw: i32) -> Option<TerritoryLevel> {
    Some(match pb::TerritoryLevel::try_from(raw).ok()? {
        pb::TerritoryLevel::Unspecified | pb::TerritoryLevel::Departement => TerritoryLevel::Departement,
        pb::TerritoryLevel::Commune => TerritoryLevel::Commune,
        pb::TerritoryLevel::Epci => TerritoryLevel::Epci,
        pb::TerritoryLevel::AncienneRegion => TerritoryLevel::AncienneRegion,
        pb::TerritoryLevel::Region => TerritoryLevel::Region,
    })
}

fn dimension(raw: i32, level: TerritoryLevel) -> Result<Option<Dimension>, ()> {
    Ok(match pb::Dimension::try_from(raw).map_err(|_| ())? {
        pb::Dimension::Unspecified => None,
        pb::Dimension::Territory => Some(Dimension::Territory(level)),
        pb::Dimension::Family => Some(Dimension::Family),
        pb::Dimension::SectorNa88 => Some(Dimension::Na88),
        pb::Dimension::NafSection => Some(Dimension::NafSection),
    })
}

fn year(raw: i32, field: &str, violations: &mut Vec<FieldViolation>) -> i32 {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&raw) {
        violations.push(FieldViolation::new(field, format!("must be a year from {FIRST_YEAR}")));
    }
    raw
}

/// A checked QueryIndicators request.
#[derive(Clone)]
struct Query {
    year: i32,
    compare_year: Option<i32>,
    rows: Dimension,
    columns: Option<Dimension>,
    level: TerritoryLevel,
    codes: Vec<String>,
    families: Vec<String>,
    sources: Vec<Source>,
}

impl TryFrom<pb::QueryIndicatorsRequest> for Query {
    type Error = QueryError;

    fn try_from(r: pb::QueryIndicatorsRequest) -> Result<Self, Self::Error> {
        let mut v = Vec::new();
        let year = year(r.year, "year", &mut v);
        let compare_year = (r.compare_year != 0).then(|| self::year(r.compare_year, "compare_year", &mut v));
        let level = level(r.territory_level).unwrap_or_else(|| {
            v.push(FieldViolation::new("territory_level", "unknown level"));
            TerritoryLevel::Departement
        });
        let rows = match dimension(r.rows, level) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                v.push(FieldViolation::new("rows", "a row dimension is required"));
                None
            }
            Err(()) => {
                v.push(FieldViolation::new("rows", "unknown dimension"));
                None
            }
        };
        let columns = dimension(r.columns, level).unwrap_or_else(|()| {
            v.push(FieldViolation::new("columns", "unknown dimension"));
            None
        });
        if rows.is_some() && rows == columns {
            v.push(FieldViolation::new("columns", "must differ from the row dimension"));
        }
        for (i, f) in r.families.iter().enumerate() {
            if Family::from_code(f).is_none() {
                v.push(FieldViolation::new(format!("families[{i}]"), "unknown ESS family code"));
            }
        }
        let sector = [rows, columns]
            .iter()
            .any(|d| matches!(d, Some(Dimension::Na88 | Dimension::NafSection)));
        let local = matches!(level, TerritoryLevel::Commune | TerritoryLevel::Epci);
        let sources = if r.source.is_empty() {
            if local {
                vec![Source::SireneEtablissements]
            } else if sector {
                vec![Source::UrssafEssRegionNa88, Source::SireneEtablissements]
            } else {
                vec![
                    Source::UrssafEssDepartement,
                    Source::UrssafEssRegionNa88,
                    Source::SireneEtablissements,
                ]
            }
        } else {
            match Source::parse(&r.source) {
                Ok(s) => vec![s],
                Err(e) => {
                    v.push(FieldViolation::new("source", e.to_string()));
                    vec![]
                }
            }
        };
        match rows {
            Some(rows) if v.is_empty() => Ok(Query {
                year,
                compare_year,
                rows,
                columns,
                level,
                codes: r.territory_codes.into_iter().map(|c| c.trim().to_owned()).collect(),
                families: r.families,
                sources,
            }),
            _ => Err(QueryError::Invalid(v)),
        }
    }
}

/// The table `q` asks for, in `year`, from the dataset that answers it: from `cache` when this
/// import of the dataset already answered the same question, else summed and suppressed here.
async fn table(
    pool: &PgPool,
    cache: &TableCache,
    q: &Query,
    year: i32,
) -> Result<Option<(DatasetRow, Arc<IndicatorTable>)>, QueryError> {
    let Some(ds) = datasets::dataset_for(pool, &q.sources, year)
        .await
        .context("choosing the dataset")?
    else {
        return Ok(None);
    };
    let key = TableKey {
        dataset_id: ds.id,
        revision: ds.revision,
        year,
        rows: q.rows,
        columns: q.columns,
        level: q.level,
        codes: q.codes.clone(),
        families: q.families.clone(),
    };
    if let Some(t) = cache.get(&key) {
        return Ok(Some((ds, t)));
    }
    let cells = cube::cells(
        pool,
        &CubeQuery {
            dataset_id: ds.id,
            year,
            rows: q.rows,
            columns: q.columns,
            territory_level: q.level,
            territory_codes: q.codes.clone(),
            families: q.families.clone(),
        },
    )
    .await
    .context("summing the facts")?;
    let (rows, columns) = (q.rows, q.columns);
    // Secondary suppression is CPU work that grows with the table: off the async workers.
    let t = tokio::task::spawn_blocking(move || IndicatorTable::build(rows, columns, &cells))
        .await
        .context("applying secret statistique")?;
    let t = Arc::new(t);
    cache.insert(key, t.clone());
    Ok(Some((ds, t)))
}

fn confidentiality(s: Secret) -> pb::Confidentiality {
    match s {
        Secret::None => pb::Confidentiality::Published,
        Secret::Primary => pb::Confidentiality::SecretPrimary,
        Secret::Secondary => pb::Confidentiality::SecretSecondary,
    }
}

fn figures(f: &Figures) -> pb::Figures {
    pb::Figures {
        establishments: f.establishments,
        employees: f.employees.normalize().to_string(),
        payroll: f.payroll.map(|p| p.normalize().to_string()).unwrap_or_default(),
    }
}

fn heading(h: &crate::domain::cube::Heading) -> pb::Heading {
    pb::Heading {
        code: h.code.clone(),
        label: h.label.clone(),
        total: h.total,
    }
}

fn signed(d: Decimal) -> String {
    if d.is_sign_positive() && !d.is_zero() {
        format!("+{d}")
    } else {
        d.to_string()
    }
}

/// Answers QueryIndicators; `unsuppressed` (staff) keeps the figures of secret cells.
pub async fn query(
    pool: &PgPool,
    cache: &TableCache,
    request: pb::QueryIndicatorsRequest,
    unsuppressed: bool,
) -> Result<pb::QueryIndicatorsResponse, QueryError> {
    let q = Query::try_from(request)?;
    let Some((ds, t)) = table(pool, cache, &q, q.year).await? else {
        return Err(QueryError::NoData(q.year));
    };
    let before = match q.compare_year {
        Some(y) => table(pool, cache, &q, y).await?.map(|(_, t)| t),
        None => None,
    };
    let mut cells = Vec::with_capacity(t.cells.len());
    for (r, rh) in t.rows.iter().enumerate() {
        for (c, ch) in t.columns.iter().enumerate() {
            let (f, secret) = t.at(r, c);
            let visible = unsuppressed || !secret.is_suppressed();
            let evolution = before
                .as_ref()
                .and_then(|b| {
                    let br = if rh.total {
                        Some(b.rows.len() - 1)
                    } else {
                        b.row_of(&rh.code)
                    }?;
                    let bc = if ch.total {
                        Some(b.columns.len() - 1)
                    } else {
                        b.column_of(&ch.code)
                    }?;
                    let (bf, bs) = b.at(br, bc);
                    (unsuppressed || (!bs.is_suppressed() && !secret.is_suppressed()))
                        .then(|| evolution_percent(bf.employees, f.employees))
                        .flatten()
                })
                .map(signed)
                .unwrap_or_default();
            cells.push(pb::Cell {
                row: r as i32,
                column: c as i32,
                confidentiality: confidentiality(*secret) as i32,
                figures: visible.then(|| figures(f)),
                note: if secret.is_suppressed() {
                    SECRET_LABEL.to_owned()
                } else {
                    String::new()
                },
                employees_evolution_percent: evolution,
            });
        }
    }
    Ok(pb::QueryIndicatorsResponse {
        dataset: Some(dataset(&ds)),
        year: q.year,
        rows: t.rows.iter().map(heading).collect(),
        columns: t.columns.iter().map(heading).collect(),
        cells,
        unsuppressed,
    })
}

/// Answers GetEssShare: ESS employees (all families) over private employees, per territory (by
/// EPCI, the ESS employees are SIRENE's estimate, flagged as such). The
/// ESS figure obeys the same secret as the territory × family table; a private figure built from
/// fewer than 3 establishments hides the share too.
pub async fn ess_share(
    pool: &PgPool,
    cache: &TableCache,
    request: pb::GetEssShareRequest,
) -> Result<pb::GetEssShareResponse, QueryError> {
    let mut v = Vec::new();
    let year = year(request.year, "year", &mut v);
    // URSSAF publishes ESS figures by département; below, the numerator is the SIRENE estimate.
    let (level, ess_source, private_source, estimated) = match level(request.territory_level) {
        Some(l @ (TerritoryLevel::Departement | TerritoryLevel::AncienneRegion | TerritoryLevel::Region)) => {
            (l, Source::UrssafEssDepartement, Source::UrssafPriveDepartement, false)
        }
        Some(TerritoryLevel::Epci) => (
            TerritoryLevel::Epci,
            Source::SireneEtablissements,
            Source::UrssafPriveEpci,
            true,
        ),
        _ => {
            v.push(FieldViolation::new(
                "territory_level",
                "must be EPCI, département, former region or region",
            ));
            (
                TerritoryLevel::Departement,
                Source::UrssafEssDepartement,
                Source::UrssafPriveDepartement,
                false,
            )
        }
    };
    if !v.is_empty() {
        return Err(QueryError::Invalid(v));
    }
    let ess_q = Query {
        year,
        compare_year: None,
        rows: Dimension::Territory(level),
        columns: Some(Dimension::Family),
        level,
        codes: request.territory_codes.iter().map(|c| c.trim().to_owned()).collect(),
        families: vec![],
        sources: vec![ess_source],
    };
    let private_q = Query {
        columns: None,
        sources: vec![private_source],
        ..ess_q.clone()
    };
    let (Some((ess_ds, ess)), Some((private_ds, private))) = (
        table(pool, cache, &ess_q, year).await?,
        table(pool, cache, &private_q, year).await?,
    ) else {
        return Err(QueryError::NoData(year));
    };
    let private_by_code: BTreeMap<&str, &Figures> = private
        .rows
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.total)
        .map(|(r, h)| (h.code.as_str(), &private.at(r, private.columns.len() - 1).0))
        .collect();
    let total_col = ess.columns.len() - 1;
    let shares = ess
        .rows
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.total)
        .filter_map(|(r, h)| {
            let private = private_by_code.get(h.code.as_str())?;
            let (ess_f, secret) = ess.at(r, total_col);
            let small_private = private.establishments > 0 && private.establishments < MIN_ESTABLISHMENTS;
            let secret = if small_private && !secret.is_suppressed() {
                Secret::Primary
            } else {
                *secret
            };
            let published = !secret.is_suppressed();
            Some(pb::EssShare {
                territory: Some(heading(h)),
                confidentiality: confidentiality(secret) as i32,
                ess_employees: if published {
                    ess_f.employees.normalize().to_string()
                } else {
                    String::new()
                },
                private_employees: if published {
                    private.employees.normalize().to_string()
                } else {
                    String::new()
                },
                share_percent: if published {
                    share_percent(ess_f.employees, private.employees)
                        .map(|d| format!("{d:.2}"))
                        .unwrap_or_default()
                } else {
                    String::new()
                },
                note: if published {
                    String::new()
                } else {
                    SECRET_LABEL.to_owned()
                },
                ess_estimated: estimated,
            })
        })
        .collect();
    Ok(pb::GetEssShareResponse {
        year,
        shares,
        ess_dataset: Some(dataset(&ess_ds)),
        private_dataset: Some(dataset(&private_ds)),
    })
}
