//! The home page and the territory pages. Figures are read through `grpc::indicators::query` and
//! `grpc::indicators::ess_share`, the very functions behind the public `QueryIndicators` and
//! `GetEssShare`: secret statistique is applied there, before anything reaches HTML, and a
//! suppressed cell carries no figure to print, only "secret statistique".

use std::{collections::BTreeSet, fmt::Write as _};

use axum::{
    extract::{Path, Query, State},
    response::{Html, Redirect},
};
use ess_proto::observatory::v1 as pb;
use serde::Deserialize;

use super::{
    WebError, WebState,
    layout::{escape, french_decimal, page},
    places::{self, HOME_ANCIENNE_REGION, epcis_of, level_label, level_of_segment},
};
use crate::{
    charts::{Bar, Series, bar_chart, line_chart},
    domain::{
        cube::SECRET_LABEL,
        dataset::Source,
        territory::{BASSE_NORMANDIE_DEPARTEMENTS, NORMANDIE, TerritoryLevel, departement_name},
    },
    grpc::indicators::{self, QueryError},
    resources::domain::ResourceTerritory,
    store::datasets,
};

/// Years the evolution chart goes back at most (one indicator query per year).
const EVOLUTION_YEARS: usize = 6;

/// `?annee=` on a territory page.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    pub annee: Option<String>,
}

/// `?code=` of the commune form.
#[derive(Debug, Deserialize)]
pub struct CommuneQuery {
    pub code: Option<String>,
}

fn proto_level(level: TerritoryLevel) -> pb::TerritoryLevel {
    match level {
        TerritoryLevel::Commune => pb::TerritoryLevel::Commune,
        TerritoryLevel::Epci => pb::TerritoryLevel::Epci,
        TerritoryLevel::Departement => pb::TerritoryLevel::Departement,
        TerritoryLevel::AncienneRegion => pb::TerritoryLevel::AncienneRegion,
        TerritoryLevel::Region => pb::TerritoryLevel::Region,
    }
}

/// The request a territory page makes for its key figures: the territory × ESS family table, as
/// any client of the public `QueryIndicators` would ask it.
pub fn key_figures_request(
    level: TerritoryLevel,
    code: &str,
    year: i32,
    compare_year: i32,
) -> pb::QueryIndicatorsRequest {
    pb::QueryIndicatorsRequest {
        year,
        rows: pb::Dimension::Territory as i32,
        columns: pb::Dimension::Family as i32,
        territory_level: proto_level(level) as i32,
        territory_codes: vec![code.to_owned()],
        compare_year,
        ..Default::default()
    }
}

/// The request for the figures by NAF section.
pub fn sectors_request(level: TerritoryLevel, code: &str, year: i32) -> pb::QueryIndicatorsRequest {
    pb::QueryIndicatorsRequest {
        year,
        rows: pb::Dimension::NafSection as i32,
        territory_level: proto_level(level) as i32,
        territory_codes: vec![code.to_owned()],
        ..Default::default()
    }
}

/// `None` when no dataset holds the year; other errors are the page's.
fn optional<T>(r: Result<T, QueryError>) -> Result<Option<T>, WebError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(QueryError::NoData(_)) => Ok(None),
        Err(QueryError::Invalid(v)) => Err(WebError::Unexpected(anyhow::anyhow!(
            "the dashboard built an invalid indicator query ({} violations)",
            v.len()
        ))),
        Err(QueryError::Unexpected(e)) => Err(WebError::Unexpected(e)),
    }
}

/// The sources a page at this level reads (as `QueryIndicators` chooses them).
fn sources(level: TerritoryLevel) -> &'static [Source] {
    match level {
        TerritoryLevel::Commune | TerritoryLevel::Epci => &[Source::SireneEtablissements],
        _ => &[
            Source::UrssafEssDepartement,
            Source::UrssafEssRegionNa88,
            Source::SireneEtablissements,
        ],
    }
}

/// The years some dataset of those sources covers. One query.
async fn years(state: &WebState, level: TerritoryLevel) -> Result<BTreeSet<i32>, WebError> {
    // Datasets are a few per source and year: one page of the largest size holds them all.
    let all = datasets::list(&state.pool, None, platform::paging::MAX_PAGE_SIZE)
        .await
        .map_err(|e| WebError::Unexpected(anyhow::Error::new(e).context("listing datasets")))?;
    let wanted = sources(level);
    Ok(all
        .iter()
        .filter(|d| wanted.contains(&d.source))
        .filter_map(|d| Some(d.first_year?..=d.last_year?))
        .flatten()
        .collect())
}

/// The cell at (row, column) of a response.
fn cell(t: &pb::QueryIndicatorsResponse, row: usize, column: usize) -> Option<&pb::Cell> {
    t.cells
        .iter()
        .find(|c| c.row as usize == row && c.column as usize == column)
}

/// A table cell of one measure: the figure, or "secret statistique" when suppressed.
fn td(key: &str, cell: Option<&pb::Cell>, measure: impl Fn(&pb::Figures) -> String) -> String {
    match cell.and_then(|c| c.figures.as_ref()) {
        Some(f) => {
            let value = measure(f);
            let text = if value.is_empty() {
                "–".to_owned()
            } else {
                french_decimal(&value)
            };
            format!("<td class=\"n\" data-cle=\"{}\">{text}</td>", escape(key))
        }
        None if cell.is_some_and(|c| !c.note.is_empty()) => {
            format!("<td class=\"secret\" data-cle=\"{}\">{SECRET_LABEL}</td>", escape(key))
        }
        None => format!("<td data-cle=\"{}\">–</td>", escape(key)),
    }
}

fn employees(f: &pb::Figures) -> f64 {
    f.employees.parse().unwrap_or(f64::NAN)
}

/// `/`: the region, its former region, départements and EPCIs, a commune form, and the newest
/// resources. One query.
pub async fn home(State(state): State<WebState>) -> Result<Html<String>, WebError> {
    let mut main = String::from(
        "<h1>L'économie sociale et solidaire en Normandie</h1>\
         <p>L'observatoire régional de l'ESS publie les chiffres clés de l'économie sociale et solidaire \
         (établissements, salariés, masse salariale, part dans l'emploi privé) pour chaque territoire, \
         ainsi que les études, analyses et positions communes des partenaires.</p>\
         <h2>Territoires</h2><ul>",
    );
    let _ = write!(
        main,
        "<li><a href=\"{}\">Région Normandie</a></li><li><a href=\"{}\">Ancienne région Basse-Normandie</a><ul>",
        places::path(TerritoryLevel::Region, NORMANDIE),
        places::path(TerritoryLevel::AncienneRegion, HOME_ANCIENNE_REGION),
    );
    for dep in BASSE_NORMANDIE_DEPARTEMENTS {
        let name = departement_name(dep).unwrap_or(dep);
        let _ = write!(
            main,
            "<li><a href=\"{}\">{} ({dep})</a></li>",
            places::path(TerritoryLevel::Departement, dep),
            escape(name)
        );
    }
    main.push_str("</ul></li></ul><h2>Intercommunalités</h2>");
    for dep in BASSE_NORMANDIE_DEPARTEMENTS {
        let name = departement_name(dep).unwrap_or(dep);
        let _ = write!(main, "<h3>{}</h3><ul>", escape(name));
        for (code, epci) in epcis_of(dep) {
            let _ = write!(
                main,
                "<li><a href=\"{}\">{}</a></li>",
                places::path(TerritoryLevel::Epci, &code),
                escape(&epci)
            );
        }
        main.push_str("</ul>");
    }
    main.push_str(
        "<h2>Communes</h2><form method=\"get\" action=\"/territoires/commune\">\
         <label for=\"code-commune\">Code INSEE de la commune</label>\
         <input id=\"code-commune\" name=\"code\" inputmode=\"numeric\" pattern=\"[0-9AB]{5}\" required>\
         <button type=\"submit\">Afficher</button></form>",
    );
    main.push_str(&super::resources::latest(&state).await?);
    Ok(Html(page("Accueil", &main)))
}

/// `/territoires/commune?code=14118`: the commune form's target.
pub async fn commune_form(Query(q): Query<CommuneQuery>) -> Result<Redirect, WebError> {
    let code = q.code.unwrap_or_default();
    let territory = ResourceTerritory::parse(TerritoryLevel::Commune, &code).map_err(|_| {
        WebError::BadRequest(
            "Ce code n'est pas celui d'une commune de Basse-Normandie (code INSEE à 5 caractères).".into(),
        )
    })?;
    Ok(Redirect::to(&places::path(TerritoryLevel::Commune, territory.code())))
}

/// `/territoires/{level}/{code}?annee=`: key figures by family, ESS share, by sector, evolution.
pub async fn page_handler(
    State(state): State<WebState>,
    Path((segment, code)): Path<(String, String)>,
    Query(q): Query<YearQuery>,
) -> Result<Html<String>, WebError> {
    let level = level_of_segment(&segment).ok_or(WebError::NotFound)?;
    let territory = ResourceTerritory::parse(level, &code).map_err(|_| WebError::NotFound)?;
    let name = places::name(&territory);
    let title = format!("{name} ({})", level_label(level));
    let years = years(&state, level).await?;
    let asked = match q.annee.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(raw) => Some(
            raw.parse::<i32>()
                .ok()
                .filter(|y| years.contains(y))
                .ok_or_else(|| WebError::BadRequest("Aucune donnée n'est disponible pour cette année.".into()))?,
        ),
        None => None,
    };
    let mut main = format!("<h1>{}</h1>", escape(&title));
    let Some(year) = asked.or_else(|| years.last().copied()) else {
        main.push_str("<p>Aucune donnée n'a encore été importée pour ce niveau de territoire.</p>");
        return Ok(Html(page(&title, &main)));
    };
    year_links(&mut main, level, territory.code(), &years, year);

    let compare = if years.contains(&(year - 1)) { year - 1 } else { 0 };
    let key = optional(
        indicators::query(
            &state.pool,
            &state.cube_cache,
            key_figures_request(level, territory.code(), year, compare),
            false,
        )
        .await,
    )?;
    let share = match level {
        TerritoryLevel::Departement | TerritoryLevel::AncienneRegion | TerritoryLevel::Region => optional(
            indicators::ess_share(
                &state.pool,
                &state.cube_cache,
                pb::GetEssShareRequest {
                    year,
                    territory_level: proto_level(level) as i32,
                    territory_codes: vec![territory.code().to_owned()],
                },
            )
            .await,
        )?,
        _ => None,
    };
    render_key_figures(&mut main, &territory, year, compare, key.as_ref(), share.as_ref());

    let sectors = optional(
        indicators::query(
            &state.pool,
            &state.cube_cache,
            sectors_request(level, territory.code(), year),
            false,
        )
        .await,
    )?;
    render_sectors(&mut main, year, sectors.as_ref());

    let mut points = Vec::new();
    for y in years.iter().rev().take(EVOLUTION_YEARS).rev() {
        let t = if *y == year {
            key.clone()
        } else {
            optional(
                indicators::query(
                    &state.pool,
                    &state.cube_cache,
                    key_figures_request(level, territory.code(), *y, 0),
                    false,
                )
                .await,
            )?
        };
        points.push((*y, t.and_then(|t| territory_total(&t, territory.code()))));
    }
    render_evolution(&mut main, &name, &points);
    main.push_str(&super::resources::for_territory(&state, &territory).await?);
    Ok(Html(page(&title, &main)))
}

fn year_links(main: &mut String, level: TerritoryLevel, code: &str, years: &BTreeSet<i32>, year: i32) {
    let _ = write!(main, "<p>Année affichée : <strong>{year}</strong>.");
    if years.len() > 1 {
        main.push_str(" Autres années : ");
        let links: Vec<String> = years
            .iter()
            .filter(|y| **y != year)
            .map(|y| format!("<a href=\"{}?annee={y}\">{y}</a>", places::path(level, code)))
            .collect();
        main.push_str(&links.join(", "));
        main.push('.');
    }
    main.push_str("</p>");
}

/// The territory's row and its total column: (row index, total column index).
fn territory_row(t: &pb::QueryIndicatorsResponse, code: &str) -> Option<usize> {
    t.rows.iter().position(|h| !h.total && h.code == code)
}

/// The territory's total employees as the API writes them, `None` when absent or secret.
fn territory_total(t: &pb::QueryIndicatorsResponse, code: &str) -> Option<String> {
    let r = territory_row(t, code)?;
    let c = t.columns.iter().position(|h| h.total)?;
    cell(t, r, c)
        .and_then(|c| c.figures.as_ref())
        .map(|f| f.employees.clone())
}

fn render_key_figures(
    main: &mut String,
    territory: &ResourceTerritory,
    year: i32,
    compare: i32,
    key: Option<&pb::QueryIndicatorsResponse>,
    share: Option<&pb::GetEssShareResponse>,
) {
    main.push_str("<h2>Chiffres clés</h2>");
    let Some((t, r)) = key.and_then(|t| territory_row(t, territory.code()).map(|r| (t, r))) else {
        let _ = write!(
            main,
            "<p>Aucun établissement de l'ESS n'est recensé pour ce territoire en {year}.</p>"
        );
        return;
    };
    let total_col = t
        .columns
        .iter()
        .position(|h| h.total)
        .unwrap_or(t.columns.len().saturating_sub(1));
    let total = cell(t, r, total_col);
    let kpi = |label: &str, key: &str, value: Option<String>| match value {
        Some(v) if !v.is_empty() => format!(
            "<li>{label}<strong data-cle=\"{key}\">{}</strong></li>",
            french_decimal(&v)
        ),
        Some(_) => format!("<li>{label}<strong data-cle=\"{key}\">–</strong></li>"),
        None => format!("<li>{label}<strong class=\"secret\" data-cle=\"{key}\">{SECRET_LABEL}</strong></li>"),
    };
    let figures = total.and_then(|c| c.figures.as_ref());
    main.push_str("<ul class=\"kpi\">");
    main.push_str(&kpi(
        "Établissements employeurs",
        "kpi:etablissements",
        figures.map(|f| f.establishments.to_string()),
    ));
    main.push_str(&kpi(
        "Salariés (effectif moyen)",
        "kpi:salaries",
        figures.map(|f| f.employees.clone()),
    ));
    main.push_str(&kpi(
        "Masse salariale (€)",
        "kpi:masse",
        figures.map(|f| f.payroll.clone()),
    ));
    if let Some(s) = share.and_then(|s| {
        s.shares
            .iter()
            .find(|s| s.territory.as_ref().is_some_and(|h| h.code == territory.code()))
    }) {
        main.push_str(&kpi(
            "Part de l'ESS dans l'emploi privé (%)",
            "kpi:part",
            (!s.share_percent.is_empty() || s.note.is_empty()).then(|| s.share_percent.clone()),
        ));
    }
    main.push_str("</ul>");

    let mut table = format!(
        "<table><caption>Chiffres clés de l'ESS par famille, {year}</caption><thead><tr>\
         <th scope=\"col\">Famille</th><th scope=\"col\">Établissements</th>\
         <th scope=\"col\">Salariés (effectif moyen)</th><th scope=\"col\">Masse salariale (€)</th>"
    );
    if compare > 0 {
        let _ = write!(
            table,
            "<th scope=\"col\">Évolution des salariés depuis {compare} (%)</th>"
        );
    }
    table.push_str("</tr></thead><tbody>");
    let mut bars = Vec::new();
    for (c, h) in t.columns.iter().enumerate() {
        let key = if h.total { "ensemble".to_owned() } else { h.code.clone() };
        let x = cell(t, r, c);
        let _ = write!(
            table,
            "<tr data-famille=\"{}\"><th scope=\"row\">{}</th>{}{}{}",
            escape(&key),
            escape(&h.label),
            td(&format!("{key}:etablissements"), x, |f| f.establishments.to_string()),
            td(&format!("{key}:salaries"), x, |f| f.employees.clone()),
            td(&format!("{key}:masse"), x, |f| f.payroll.clone()),
        );
        if compare > 0 {
            let evolution = x.map(|c| c.employees_evolution_percent.clone()).unwrap_or_default();
            let _ = write!(
                table,
                "<td class=\"n\" data-cle=\"{}:evolution\">{}</td>",
                escape(&key),
                if evolution.is_empty() {
                    "–".to_owned()
                } else {
                    french_decimal(&evolution)
                }
            );
        }
        table.push_str("</tr>");
        if let (false, Some(f)) = (h.total, x.and_then(|c| c.figures.as_ref())) {
            bars.push(Bar {
                label: h.label.clone(),
                value: employees(f),
            });
        }
    }
    table.push_str("</tbody></table>");
    let _ = write!(
        main,
        "<figure>{}<figcaption>Salariés par famille de l'ESS en {year} ; le tableau ci-dessous donne les mêmes \
         chiffres (les familles sous secret statistique n'apparaissent pas sur le graphique).</figcaption></figure>{table}",
        bar_chart(&format!("Salariés de l'ESS par famille, {year}"), &bars, "salariés")
    );
    if let Some(source) = t.dataset.as_ref() {
        let _ = write!(
            main,
            "<p>Source : {} (édition {}).</p>",
            escape(&source.source_label),
            escape(&source.edition)
        );
    }
}

fn render_sectors(main: &mut String, year: i32, sectors: Option<&pb::QueryIndicatorsResponse>) {
    main.push_str("<h2>Par secteur d'activité</h2>");
    let Some(t) = sectors.filter(|t| t.rows.iter().any(|h| !h.total)) else {
        main.push_str("<p>Pas de données par secteur d'activité pour ce territoire et cette année.</p>");
        return;
    };
    let mut table = format!(
        "<table><caption>Salariés de l'ESS par secteur (section NAF), {year}</caption><thead><tr>\
         <th scope=\"col\">Secteur</th><th scope=\"col\">Établissements</th><th scope=\"col\">Salariés</th>\
         </tr></thead><tbody>"
    );
    let mut bars = Vec::new();
    for (r, h) in t.rows.iter().enumerate() {
        let key = if h.total {
            "secteurs-ensemble".to_owned()
        } else {
            format!("secteur-{}", h.code)
        };
        let x = cell(t, r, 0);
        let _ = write!(
            table,
            "<tr><th scope=\"row\">{}</th>{}{}</tr>",
            escape(&h.label),
            td(&format!("{key}:etablissements"), x, |f| f.establishments.to_string()),
            td(&format!("{key}:salaries"), x, |f| f.employees.clone()),
        );
        if let (false, Some(f)) = (h.total, x.and_then(|c| c.figures.as_ref())) {
            bars.push(Bar {
                label: h.label.clone(),
                value: employees(f),
            });
        }
    }
    table.push_str("</tbody></table>");
    let _ = write!(
        main,
        "<figure>{}<figcaption>Salariés par secteur ; mêmes chiffres dans le tableau ci-dessous.</figcaption></figure>{table}",
        bar_chart(&format!("Salariés de l'ESS par secteur, {year}"), &bars, "salariés")
    );
}

fn render_evolution(main: &mut String, name: &str, points: &[(i32, Option<String>)]) {
    main.push_str("<h2>Évolution</h2>");
    if points.iter().filter(|(_, v)| v.is_some()).count() < 2 {
        main.push_str("<p>Une seule année est disponible : pas encore d'évolution à montrer.</p>");
        return;
    }
    let series = [Series {
        label: name.to_owned(),
        points: points
            .iter()
            .filter_map(|(y, v)| Some((*y, v.as_deref()?.parse::<f64>().ok()?)))
            .collect(),
    }];
    let mut table = String::from(
        "<table><caption>Salariés de l'ESS par année</caption><thead><tr><th scope=\"col\">Année</th>\
         <th scope=\"col\">Salariés</th></tr></thead><tbody>",
    );
    for (y, v) in points {
        let text = match v {
            Some(v) => french_decimal(v),
            None => format!("<span class=\"secret\">{SECRET_LABEL} ou non disponible</span>"),
        };
        let _ = write!(table, "<tr><th scope=\"row\">{y}</th><td class=\"n\">{text}</td></tr>");
    }
    table.push_str("</tbody></table>");
    let _ = write!(
        main,
        "<figure>{}<figcaption>Évolution des salariés de l'ESS ; mêmes chiffres dans le tableau ci-dessous.</figcaption></figure>{table}",
        line_chart("Salariés de l'ESS par année", &series, "salariés")
    );
}
