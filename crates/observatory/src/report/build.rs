//! Builds the three reports as documents from the projections, the action plan and the public
//! indicator queries. Nothing here formats text for a file; [`super::render`] does.

use anyhow::Context as _;
use chrono::{Datelike as _, NaiveDate};
use ess_proto::observatory::v1 as pb;
use sqlx::PgPool;

use super::{
    Block, Cell, Chart, Kind, Report, Section, Table,
    data::{self, ActivityFigures},
};
use crate::{
    charts::{Bar, Series},
    cube_cache::TableCache,
    domain::{
        activity::{axis_label, key_label},
        dataset::FIRST_YEAR,
    },
    grpc::indicators::{self, QueryError},
    plan::{
        self,
        domain::{Period, stage_label},
    },
};

/// The départements of Basse-Normandie (the panorama's territory) and the former region's code.
const BASSE_NORMANDIE: [&str; 3] = ["14", "50", "61"];
const ANCIENNE_REGION: &str = "25";

/// How many years the evolution charts cover (the report's year included).
const EVOLUTION_YEARS: i32 = 5;

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn table(slug: &str, caption: impl Into<String>, headers: &[&str], rows: Vec<Vec<Cell>>) -> Block {
    Block::Table(Table {
        slug: slug.to_owned(),
        caption: caption.into(),
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    })
}

fn bars(title: impl Into<String>, pairs: &[(String, i64)], unit: &str) -> Block {
    Block::Chart(Chart::Bars {
        title: title.into(),
        bars: pairs
            .iter()
            .map(|(label, n)| Bar {
                label: label.clone(),
                value: *n as f64,
            })
            .collect(),
        unit: unit.to_owned(),
    })
}

/// `after` against `before` in percent, one decimal; missing without a base.
fn evolution(before: i64, after: i64) -> Cell {
    if before == 0 {
        return Cell::Missing;
    }
    Cell::Number(((after - before) as f64 / before as f64 * 1000.0).round() / 10.0, 1)
}

fn share(part: i64, whole: i64) -> Cell {
    if whole == 0 {
        return Cell::Missing;
    }
    Cell::Number((part as f64 / whole as f64 * 1000.0).round() / 10.0, 1)
}

fn labelled(pairs: &[(String, i64)]) -> Vec<(String, i64)> {
    pairs.iter().map(|(k, n)| (key_label(k), *n)).collect()
}

fn status_label(status: &str) -> String {
    match status {
        "emerging" => "En émergence".into(),
        "active" => "Actif".into(),
        "closed" => "Fermé".into(),
        "" => "Non renseigné".into(),
        other => other.to_owned(),
    }
}

/// The key figures of a period, with the previous period beside them when given.
fn key_figures(
    current: &ActivityFigures,
    extra: &KeyExtras,
    previous: Option<(&ActivityFigures, &KeyExtras)>,
    labels: (&str, &str),
) -> Block {
    let rows_of = |a: &ActivityFigures, e: &KeyExtras| {
        vec![
            ("Actions réalisées", a.completed),
            ("Actions annulées", a.cancelled),
            ("Personnes touchées", a.people),
            ("dont femmes", a.female),
            ("dont hommes", a.male),
            ("dont moins de 26 ans", a.under_26),
            ("Partenaires impliqués", a.partners_involved),
            ("Nouveaux PTCE", e.ptces_created),
            ("Changements d'étape des initiatives", e.stage_changes),
            ("Fiches de bonnes pratiques publiées", e.practices),
        ]
    };
    let now = rows_of(current, extra);
    match previous {
        Some((pa, pe)) => {
            let before = rows_of(pa, pe);
            let rows = now
                .iter()
                .zip(&before)
                .map(|((label, n), (_, b))| vec![text(*label), Cell::Int(*b), Cell::Int(*n), evolution(*b, *n)])
                .collect();
            table(
                "chiffres-cles",
                "Chiffres clés et évolution sur un an",
                &["Indicateur", labels.0, labels.1, "Évolution (%)"],
                rows,
            )
        }
        None => table(
            "chiffres-cles",
            "Chiffres clés de la période",
            &["Indicateur", "Valeur"],
            now.iter().map(|(label, n)| vec![text(*label), Cell::Int(*n)]).collect(),
        ),
    }
}

/// Figures of a period beyond the activities.
#[derive(Debug, Clone, Default)]
struct KeyExtras {
    ptces_created: i64,
    stage_changes: i64,
    practices: i64,
}

async fn extras(pool: &PgPool, p: Period) -> anyhow::Result<KeyExtras> {
    let ptces_created: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ptce_projection WHERE created_on BETWEEN $1 AND $2")
            .bind(p.from)
            .bind(p.to)
            .fetch_one(pool)
            .await
            .context("counting PTCEs")?;
    let stage_changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM initiative_stage_history WHERE changed_on BETWEEN $1 AND $2 AND from_stage IS NOT NULL",
    )
    .bind(p.from)
    .bind(p.to)
    .fetch_one(pool)
    .await
    .context("counting stage changes")?;
    let practices: i64 =
        sqlx::query_scalar("SELECT count(*) FROM practice_projection WHERE published_on BETWEEN $1 AND $2")
            .bind(p.from)
            .bind(p.to)
            .fetch_one(pool)
            .await
            .context("counting practices")?;
    Ok(KeyExtras {
        ptces_created,
        stage_changes,
        practices,
    })
}

/// The action plan section: per axis, every target whose period meets `p`, target against
/// achieved (computed over the target's own period).
async fn plan_section(pool: &PgPool, p: Period, charts: bool) -> anyhow::Result<Section> {
    let actions = plan::store::list(pool, None, None, None)
        .await
        .context("reading the action plan")?;
    let mut rows = Vec::new();
    let mut blocks = Vec::new();
    for axis in 1..=5 {
        let mut axis_charts = Vec::new();
        for a in actions.iter().filter(|a| a.spec.axis == axis) {
            for t in a
                .spec
                .targets
                .iter()
                .filter(|t| t.period.from <= p.to && t.period.to >= p.from)
            {
                let achieved = plan::store::achieved(pool, t).await.context("computing an indicator")?;
                let label = t.label();
                rows.push(vec![
                    text(axis_label(&axis.to_string())),
                    text(a.spec.title.clone()),
                    text(label.clone()),
                    text(format!(
                        "{} – {}",
                        t.period.from.format("%d/%m/%Y"),
                        t.period.to.format("%d/%m/%Y")
                    )),
                    Cell::Number(t.target, 0),
                    Cell::Number(achieved, 0),
                    Cell::Number(plan::domain::percent(achieved, t.target), 1),
                ]);
                axis_charts.push(Block::Chart(Chart::Progress {
                    label: format!("{} — {label}", a.spec.title),
                    achieved,
                    target: t.target,
                }));
            }
        }
        if charts && !axis_charts.is_empty() {
            blocks.push(Block::Paragraph(axis_label(&axis.to_string())));
            blocks.extend(axis_charts);
        }
    }
    let mut out = Vec::new();
    if rows.is_empty() {
        out.push(Block::Paragraph(
            "Aucune action du plan n'a de cible sur cette période.".into(),
        ));
    } else {
        out.push(Block::Paragraph(
            "Les valeurs réalisées sont calculées à partir des activités enregistrées sur la plateforme \
             (une action annulée ne compte jamais), jamais saisies à la main."
                .into(),
        ));
        out.push(table(
            "plan-action",
            "Actions du plan et avancement des cibles",
            &[
                "Axe",
                "Action",
                "Indicateur",
                "Période",
                "Cible",
                "Réalisé",
                "Avancement (%)",
            ],
            rows,
        ));
        out.extend(blocks);
    }
    Ok(Section {
        title: "Plan d'action : avancement par axe".into(),
        blocks: out,
    })
}

fn activities_section(a: &ActivityFigures, full: bool) -> Section {
    let mut blocks = vec![Block::Paragraph(format!(
        "{} actions réalisées, {} programmées ou en préparation, {} annulées (les actions annulées ne sont \
         comptées nulle part).",
        a.completed, a.planned, a.cancelled
    ))];
    let kinds = labelled(&a.by_kind);
    blocks.push(table(
        "activites-par-type",
        "Actions réalisées par type",
        &["Type d'action", "Actions réalisées"],
        kinds
            .iter()
            .map(|(k, n)| vec![text(k.clone()), Cell::Int(*n)])
            .collect(),
    ));
    blocks.push(bars("Actions réalisées par type", &kinds, "actions"));
    let people_by_public: std::collections::BTreeMap<&str, i64> =
        a.people_by_public.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    blocks.push(table(
        "activites-par-public",
        "Actions réalisées et personnes touchées par public",
        &["Public", "Actions réalisées", "Personnes touchées"],
        a.by_public
            .iter()
            .map(|(k, n)| {
                vec![
                    text(key_label(k)),
                    Cell::Int(*n),
                    Cell::Int(people_by_public.get(k.as_str()).copied().unwrap_or_default()),
                ]
            })
            .collect(),
    ));
    if full {
        blocks.push(table(
            "activites-par-axe",
            "Actions réalisées par axe de la convention",
            &["Axe", "Actions réalisées"],
            a.by_axis
                .iter()
                .map(|(axis, n)| vec![text(axis_label(&axis.to_string())), Cell::Int(*n)])
                .collect(),
        ));
    }
    Section {
        title: "Actions réalisées".into(),
        blocks,
    }
}

fn people_section(a: &ActivityFigures, full: bool) -> Section {
    let sexes = [
        ("Femmes", a.female),
        ("Hommes", a.male),
        ("Non renseigné", a.sex_not_given),
    ];
    let ages = [
        ("Moins de 26 ans", a.under_26),
        ("26 à 49 ans", a.age_26_49),
        ("50 ans et plus", a.age_50_and_over),
        ("Non renseigné", a.age_not_given),
    ];
    let rows = |items: &[(&str, i64)]| {
        items
            .iter()
            .map(|(k, n)| vec![text(*k), Cell::Int(*n), share(*n, a.people)])
            .collect::<Vec<_>>()
    };
    let to_pairs = |items: &[(&str, i64)]| items.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect::<Vec<_>>();
    let mut blocks = vec![
        Block::Paragraph(format!(
            "{} personnes touchées par les actions réalisées (égalité femmes-hommes et jeunesse : voir la \
             répartition ci-dessous).",
            a.people
        )),
        table(
            "personnes-par-sexe",
            "Personnes touchées par sexe",
            &["Sexe", "Personnes", "Part (%)"],
            rows(&sexes),
        ),
        bars("Personnes touchées par sexe", &to_pairs(&sexes), "personnes"),
        table(
            "personnes-par-age",
            "Personnes touchées par tranche d'âge",
            &["Tranche d'âge", "Personnes", "Part (%)"],
            rows(&ages),
        ),
        bars("Personnes touchées par tranche d'âge", &to_pairs(&ages), "personnes"),
    ];
    if full {
        blocks.push(Block::Paragraph(format!(
            "Inscriptions aux séances des actions réalisées : {} inscrits, {} présents, {} absents. {} partenaires \
             impliqués (organisateurs, co-organisateurs et structures des inscrits).",
            a.registered, a.attended, a.no_show, a.partners_involved
        )));
    }
    Section {
        title: "Personnes touchées".into(),
        blocks,
    }
}

async fn projects_section(pool: &PgPool, p: Period) -> anyhow::Result<Section> {
    let ptces = data::ptces(pool, p).await.context("reading PTCEs")?;
    let init = data::initiatives(pool, p).await.context("reading initiatives")?;
    let reached: std::collections::BTreeMap<&str, i64> =
        init.reached_in_period.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    let current: std::collections::BTreeMap<&str, i64> = init.by_stage.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    let stages = plan::domain::STAGES;
    Ok(Section {
        title: "PTCE et initiatives accompagnés".into(),
        blocks: vec![
            Block::Paragraph(format!(
                "{} PTCE suivis ; {} initiatives suivies.",
                ptces.len(),
                init.followed
            )),
            table(
                "ptce",
                "Pôles territoriaux de coopération économique (PTCE)",
                &[
                    "PTCE",
                    "Territoire",
                    "Statut",
                    "Créé le",
                    "Membres",
                    "Entrées",
                    "Sorties",
                ],
                ptces
                    .iter()
                    .map(|t| {
                        vec![
                            text(if t.name.is_empty() { "Sans nom" } else { t.name.as_str() }),
                            text(t.territory.clone()),
                            text(status_label(&t.status)),
                            t.created_on
                                .map(|d| text(d.format("%d/%m/%Y").to_string()))
                                .unwrap_or(Cell::Missing),
                            Cell::Int(t.members),
                            Cell::Int(t.joined),
                            Cell::Int(t.left),
                        ]
                    })
                    .collect(),
            ),
            table(
                "initiatives-par-etape",
                "Initiatives par étape",
                &[
                    "Étape",
                    "Initiatives à cette étape",
                    "Ont atteint l'étape sur la période",
                ],
                stages
                    .iter()
                    .map(|s| {
                        vec![
                            text(stage_label(s)),
                            Cell::Int(current.get(s).copied().unwrap_or_default()),
                            Cell::Int(reached.get(s).copied().unwrap_or_default()),
                        ]
                    })
                    .collect(),
            ),
        ],
    })
}

async fn practices_section(pool: &PgPool, p: Period) -> anyhow::Result<Section> {
    let list = data::practices(pool, p).await.context("reading practices")?;
    let mut blocks = vec![Block::Paragraph(format!(
        "{} fiches de bonnes pratiques publiées sur la période.",
        list.len()
    ))];
    blocks.extend(
        list.iter()
            .map(|(on, title)| Block::Paragraph(format!("{} — {title}", on.format("%d/%m/%Y")))),
    );
    Ok(Section {
        title: "Capitalisation : fiches de bonnes pratiques".into(),
        blocks,
    })
}

/// *Bilan annuel de la convention* for `year`.
#[tracing::instrument(name = "observatory.report.bilan", skip(pool))]
pub async fn bilan_annuel(pool: &PgPool, year: i32, produced_on: NaiveDate) -> anyhow::Result<Report> {
    let p = Period::year(year).context("the year has no calendar")?;
    let before = Period::year(year - 1).context("the previous year has no calendar")?;
    let current = data::activities(pool, p).await.context("reading activities")?;
    let previous = data::activities(pool, before).await.context("reading activities")?;
    let (extra, extra_before) = (extras(pool, p).await?, extras(pool, before).await?);
    let yearly = data::yearly(pool, year - EVOLUTION_YEARS + 1, year)
        .await
        .context("reading the evolution")?;
    let evolution = Section {
        title: "Évolution sur cinq ans".into(),
        blocks: vec![
            Block::Chart(Chart::Lines {
                title: "Actions réalisées et personnes touchées par an".into(),
                series: vec![
                    Series {
                        label: "Actions réalisées".into(),
                        points: yearly.iter().map(|(y, n, _)| (*y, *n as f64)).collect(),
                    },
                    Series {
                        label: "Personnes touchées".into(),
                        points: yearly.iter().map(|(y, _, people)| (*y, *people as f64)).collect(),
                    },
                ],
                unit: String::new(),
            }),
            table(
                "evolution",
                "Actions réalisées et personnes touchées par an",
                &["Année", "Actions réalisées", "Personnes touchées"],
                yearly
                    .iter()
                    .map(|(y, n, people)| vec![text(y.to_string()), Cell::Int(*n), Cell::Int(*people)])
                    .collect(),
            ),
        ],
    };
    Ok(Report {
        kind: Kind::BilanAnnuel,
        title: format!("Bilan annuel de la convention — {year}"),
        period: p,
        produced_on,
        introduction: vec![
            "Bilan des actions menées au titre de la convention de partenariat pour l'économie sociale et \
             solidaire en Basse-Normandie, axe par axe, avec l'évolution par rapport à l'année précédente."
                .into(),
        ],
        sections: vec![
            Section {
                title: "Synthèse".into(),
                blocks: vec![key_figures(
                    &current,
                    &extra,
                    Some((&previous, &extra_before)),
                    (&(year - 1).to_string(), &year.to_string()),
                )],
            },
            plan_section(pool, p, true).await?,
            activities_section(&current, true),
            people_section(&current, true),
            projects_section(pool, p).await?,
            practices_section(pool, p).await?,
            evolution,
        ],
    })
}

/// *Point d'avancement* for a date range: the same, short, without comparison.
#[tracing::instrument(name = "observatory.report.point", skip(pool))]
pub async fn point_avancement(pool: &PgPool, p: Period, produced_on: NaiveDate) -> anyhow::Result<Report> {
    let current = data::activities(pool, p).await.context("reading activities")?;
    let extra = extras(pool, p).await?;
    Ok(Report {
        kind: Kind::PointAvancement,
        title: "Point d'avancement de la convention".into(),
        period: p,
        produced_on,
        introduction: vec!["Où en est la convention sur la période : à présenter en séance.".into()],
        sections: vec![
            Section {
                title: "Synthèse".into(),
                blocks: vec![key_figures(&current, &extra, None, ("", ""))],
            },
            plan_section(pool, p, true).await?,
            activities_section(&current, false),
            people_section(&current, false),
        ],
    })
}

/// A published figure from a cube cell: its value, or secret.
fn cube_cell(cell: Option<&pb::Cell>, value: impl Fn(&pb::Figures) -> Option<f64>, decimals: u8) -> Cell {
    let Some(cell) = cell else { return Cell::Missing };
    if cell.confidentiality != pb::Confidentiality::Published as i32 {
        return Cell::Secret;
    }
    match cell.figures.as_ref().and_then(value) {
        Some(v) => Cell::Number(v, decimals),
        None => Cell::Missing,
    }
}

fn parse(s: &str) -> Option<f64> {
    if s.is_empty() { None } else { s.parse().ok() }
}

/// The public indicator table, or `None` when no dataset holds the year.
async fn public_table(
    pool: &PgPool,
    request: pb::QueryIndicatorsRequest,
) -> anyhow::Result<Option<pb::QueryIndicatorsResponse>> {
    // Reports are rare and read each table once: no cache (a cache of zero cells keeps nothing).
    match indicators::query(pool, &TableCache::new(0), request, false).await {
        Ok(r) => Ok(Some(r)),
        Err(QueryError::NoData(_)) => Ok(None),
        Err(QueryError::Invalid(v)) => Err(anyhow::anyhow!("invalid indicator query: {v:?}")),
        Err(QueryError::Unexpected(e)) => Err(e),
    }
}

/// A one-way table (rows × the "Ensemble" column) as report rows: establishments, employees,
/// payroll and evolution of employees; secret cells stay secret.
fn one_way_rows(t: &pb::QueryIndicatorsResponse) -> Vec<Vec<Cell>> {
    let ncols = t.columns.len();
    let total_col = ncols.saturating_sub(1);
    t.rows
        .iter()
        .enumerate()
        .map(|(r, h)| {
            let cell = t.cells.get(r * ncols + total_col);
            let evolution = match cell {
                Some(c) if c.confidentiality != pb::Confidentiality::Published as i32 => Cell::Secret,
                Some(c) => parse(&c.employees_evolution_percent).map_or(Cell::Missing, |v| Cell::Number(v, 1)),
                None => Cell::Missing,
            };
            vec![
                text(h.label.clone()),
                cube_cell(cell, |f| Some(f.establishments as f64), 0),
                cube_cell(cell, |f| parse(&f.employees), 0),
                cube_cell(cell, |f| parse(&f.payroll), 0),
                evolution,
            ]
        })
        .collect()
}

/// Bars of the published rows (the total excluded); secret rows are named in the description.
fn published_bars(t: &pb::QueryIndicatorsResponse, title: &str) -> Vec<Block> {
    let ncols = t.columns.len();
    let total_col = ncols.saturating_sub(1);
    let mut bars = Vec::new();
    let mut secret = Vec::new();
    for (r, h) in t.rows.iter().enumerate().filter(|(_, h)| !h.total) {
        match t.cells.get(r * ncols + total_col) {
            Some(c) if c.confidentiality == pb::Confidentiality::Published as i32 => {
                if let Some(v) = c.figures.as_ref().and_then(|f| parse(&f.employees)) {
                    bars.push(Bar {
                        label: h.label.clone(),
                        value: v,
                    });
                }
            }
            _ => secret.push(h.label.clone()),
        }
    }
    let mut out = vec![Block::Chart(Chart::Bars {
        title: title.to_owned(),
        bars,
        unit: "salariés".into(),
    })];
    if !secret.is_empty() {
        out.push(Block::Paragraph(format!(
            "Non représentés (secret statistique) : {}.",
            secret.join(", ")
        )));
    }
    out
}

const ONE_WAY_HEADERS: [&str; 5] = [
    "",
    "Établissements",
    "Salariés (effectifs moyens)",
    "Masse salariale (€)",
    "Évolution des salariés sur un an (%)",
];

fn one_way_headers(first: &'static str) -> Vec<&'static str> {
    let mut h = ONE_WAY_HEADERS.to_vec();
    h[0] = first;
    h
}

/// *Panorama de l'ESS* for `year`: public figures only (secret statistique applied).
#[tracing::instrument(name = "observatory.report.panorama", skip(pool))]
pub async fn panorama(pool: &PgPool, year: i32, produced_on: NaiveDate) -> anyhow::Result<Report> {
    let p = Period::year(year).context("the year has no calendar")?;
    let mut sections = Vec::new();
    let request = |rows: pb::Dimension, columns: pb::Dimension| pb::QueryIndicatorsRequest {
        year,
        rows: rows as i32,
        columns: columns as i32,
        territory_level: pb::TerritoryLevel::Departement as i32,
        territory_codes: BASSE_NORMANDIE.map(str::to_owned).to_vec(),
        compare_year: if year > FIRST_YEAR { year - 1 } else { 0 },
        ..Default::default()
    };

    // The weight of the ESS in private employment, per département and for the former region.
    let mut share_blocks = Vec::new();
    for level in [pb::TerritoryLevel::Departement, pb::TerritoryLevel::AncienneRegion] {
        let share = indicators::ess_share(
            pool,
            &TableCache::new(0),
            pb::GetEssShareRequest {
                year,
                territory_level: level as i32,
                territory_codes: match level {
                    pb::TerritoryLevel::Departement => BASSE_NORMANDIE.map(str::to_owned).to_vec(),
                    _ => vec![ANCIENNE_REGION.to_owned()],
                },
            },
        )
        .await;
        let share = match share {
            Ok(s) => s,
            Err(QueryError::NoData(_)) => continue,
            Err(QueryError::Invalid(v)) => anyhow::bail!("invalid share query: {v:?}"),
            Err(QueryError::Unexpected(e)) => return Err(e),
        };
        let rows: Vec<Vec<Cell>> = share
            .shares
            .iter()
            .map(|s| {
                let published = s.confidentiality == pb::Confidentiality::Published as i32;
                let num = |v: &str, d| {
                    if !published {
                        Cell::Secret
                    } else {
                        parse(v).map_or(Cell::Missing, |v| Cell::Number(v, d))
                    }
                };
                vec![
                    text(s.territory.as_ref().map(|t| t.label.clone()).unwrap_or_default()),
                    num(&s.ess_employees, 0),
                    num(&s.private_employees, 0),
                    num(&s.share_percent, 2),
                ]
            })
            .collect();
        let bars: Vec<Bar> = share
            .shares
            .iter()
            .filter(|s| s.confidentiality == pb::Confidentiality::Published as i32)
            .filter_map(|s| {
                Some(Bar {
                    label: s.territory.as_ref()?.label.clone(),
                    value: parse(&s.share_percent)?,
                })
            })
            .collect();
        let slug = if level == pb::TerritoryLevel::Departement {
            "part-ess-departements"
        } else {
            "part-ess-basse-normandie"
        };
        share_blocks.push(table(
            slug,
            format!("Part de l'ESS dans l'emploi salarié privé en {year}"),
            &[
                "Territoire",
                "Salariés de l'ESS",
                "Salariés du privé",
                "Part de l'ESS (%)",
            ],
            rows,
        ));
        share_blocks.push(Block::Chart(Chart::Bars {
            title: format!("Part de l'ESS dans l'emploi privé en {year}"),
            bars,
            unit: "%".into(),
        }));
    }
    if share_blocks.is_empty() {
        share_blocks.push(Block::Paragraph(format!(
            "Aucune donnée importée ne permet de calculer la part de l'ESS en {year}."
        )));
    }
    sections.push(Section {
        title: "Poids de l'ESS dans l'emploi privé".into(),
        blocks: share_blocks,
    });

    // By family and by territory × family.
    let mut family_blocks = Vec::new();
    if let Some(t) = public_table(pool, request(pb::Dimension::Family, pb::Dimension::Unspecified)).await? {
        family_blocks.push(table(
            "familles",
            format!("L'ESS par famille en {year}"),
            &one_way_headers("Famille"),
            one_way_rows(&t),
        ));
        family_blocks.extend(published_bars(&t, &format!("Salariés de l'ESS par famille en {year}")));
    }
    if let Some(t) = public_table(pool, request(pb::Dimension::Territory, pb::Dimension::Family)).await? {
        let ncols = t.columns.len();
        let headers: Vec<String> = std::iter::once("Territoire".to_owned())
            .chain(t.columns.iter().map(|c| c.label.clone()))
            .collect();
        let rows = t
            .rows
            .iter()
            .enumerate()
            .map(|(r, h)| {
                std::iter::once(text(h.label.clone()))
                    .chain((0..ncols).map(|c| cube_cell(t.cells.get(r * ncols + c), |f| parse(&f.employees), 0)))
                    .collect()
            })
            .collect();
        family_blocks.push(Block::Table(Table {
            slug: "territoires-familles".into(),
            caption: format!("Salariés de l'ESS par département et par famille en {year}"),
            headers,
            rows,
        }));
    }
    if family_blocks.is_empty() {
        family_blocks.push(Block::Paragraph(format!("Aucune donnée importée pour {year}.")));
    }
    sections.push(Section {
        title: "Familles de l'ESS et territoires".into(),
        blocks: family_blocks,
    });

    // By sector (the URSSAF table by region × NA88).
    let sector = public_table(
        pool,
        pb::QueryIndicatorsRequest {
            territory_level: pb::TerritoryLevel::Region as i32,
            territory_codes: vec![],
            ..request(pb::Dimension::SectorNa88, pb::Dimension::Unspecified)
        },
    )
    .await?;
    sections.push(Section {
        title: "Secteurs d'activité".into(),
        blocks: match sector {
            Some(t) => {
                let mut b = vec![table(
                    "secteurs",
                    format!("L'ESS par secteur (NA88) en {year}"),
                    &one_way_headers("Secteur"),
                    one_way_rows(&t),
                )];
                b.extend(published_bars(&t, &format!("Salariés de l'ESS par secteur en {year}")));
                b
            }
            None => vec![Block::Paragraph(format!(
                "Aucune donnée sectorielle importée pour {year}."
            ))],
        },
    });

    // Evolution of ESS employees by family over five years (published figures only).
    let mut series: Vec<Series> = Vec::new();
    for y in (year - EVOLUTION_YEARS + 1).max(FIRST_YEAR)..=year {
        let Some(t) = public_table(
            pool,
            pb::QueryIndicatorsRequest {
                year: y,
                compare_year: 0,
                ..request(pb::Dimension::Family, pb::Dimension::Unspecified)
            },
        )
        .await?
        else {
            continue;
        };
        let ncols = t.columns.len();
        for (r, h) in t.rows.iter().enumerate() {
            let Some(c) = t.cells.get(r * ncols + ncols.saturating_sub(1)) else {
                continue;
            };
            if c.confidentiality != pb::Confidentiality::Published as i32 {
                continue;
            }
            let Some(v) = c.figures.as_ref().and_then(|f| parse(&f.employees)) else {
                continue;
            };
            match series.iter_mut().find(|s| s.label == h.label) {
                Some(s) => s.points.push((y, v)),
                None => series.push(Series {
                    label: h.label.clone(),
                    points: vec![(y, v)],
                }),
            }
        }
    }
    sections.push(Section {
        title: "Évolution".into(),
        blocks: vec![Block::Chart(Chart::Lines {
            title: "Salariés de l'ESS par famille (chiffres publiables)".into(),
            series,
            unit: "salariés".into(),
        })],
    });

    Ok(Report {
        kind: Kind::Panorama,
        title: format!("Panorama de l'ESS en Basse-Normandie — {year}"),
        period: p,
        produced_on,
        introduction: vec![
            "Poids de l'économie sociale et solidaire par territoire, famille et secteur, d'après les données \
             URSSAF importées par l'observatoire. Les cellules couvrant moins de trois établissements, ou dominées \
             par un seul, sont couvertes par le secret statistique, ainsi que celles qui permettraient de les \
             recalculer."
                .into(),
        ],
        sections,
    })
}

/// Builds the report of `kind` for its period.
pub async fn build(pool: &PgPool, kind: Kind, period: Period, produced_on: NaiveDate) -> anyhow::Result<Report> {
    match kind {
        Kind::BilanAnnuel => bilan_annuel(pool, period.from.year(), produced_on).await,
        Kind::PointAvancement => point_avancement(pool, period, produced_on).await,
        Kind::Panorama => panorama(pool, period.from.year(), produced_on).await,
    }
}
