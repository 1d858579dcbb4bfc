//! The dashboard's pages on the partnership itself: the action plan with each target's progress
//! (achieved values computed from the projections, as `ActionPlan.GetProgress` computes them), and
//! the published reports with their files to open or download.

use std::fmt::Write as _;

use axum::{
    extract::{Path, State},
    http::header,
    response::{Html, IntoResponse, Response},
};
use uuid::Uuid;

use super::{
    WebError, WebState,
    layout::{escape, page},
};
use crate::{
    charts,
    plan::{domain::percent, store as plan_store},
    report::{Format, Kind, store as report_store},
};

/// The agreement's five axes, as the convention names them.
const AXES: [&str; 5] = [
    "Axe 1 — Structurer l'ESS",
    "Axe 2 — Emploi",
    "Axe 3 — Développement économique (PTCE, innovation sociale)",
    "Axe 4 — Promotion et sensibilisation",
    "Axe 5 — Observation",
];

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::BilanAnnuel => "Bilan annuel de la convention",
        Kind::PointAvancement => "Point d'avancement",
        Kind::Panorama => "Panorama de l'ESS",
    }
}

fn format_label(format: Format) -> &'static str {
    match format {
        Format::Html => "page web",
        Format::Markdown => "Markdown",
        Format::Csv => "tableaux CSV",
    }
}

/// `/plan`: every action per axis, each target with its progress bar and figures in a table.
pub async fn plan(State(state): State<WebState>) -> Result<Html<String>, WebError> {
    let actions = plan_store::list(&state.pool, None, None, None)
        .await
        .map_err(anyhow::Error::from)?;
    let mut main = String::from(
        "<h1>Plan d'action de la convention</h1><p>Les actions de la convention par axe et leurs objectifs. \
         Les valeurs atteintes sont calculées à partir des activités réalisées, des PTCE, des initiatives et \
         des fiches de bonnes pratiques enregistrées ; une activité annulée ne compte jamais.</p>",
    );
    if actions.is_empty() {
        main.push_str("<p>Aucune action n'est encore enregistrée.</p>");
    }
    for (index, axis_title) in AXES.iter().enumerate() {
        let axis = index as i32 + 1;
        let of_axis: Vec<_> = actions.iter().filter(|a| a.spec.axis == axis).collect();
        if of_axis.is_empty() {
            continue;
        }
        let _ = write!(main, "<section><h2>{}</h2>", escape(axis_title));
        for action in of_axis {
            let _ = write!(main, "<h3>{}</h3>", escape(&action.spec.title));
            if !action.spec.description.is_empty() {
                let _ = write!(main, "<p>{}</p>", escape(&action.spec.description));
            }
            let mut table = String::from(
                "<table><caption>Objectifs et valeurs atteintes</caption><thead><tr><th scope=\"col\">Objectif</th>\
                 <th scope=\"col\">Période</th><th scope=\"col\">Cible</th><th scope=\"col\">Atteint</th>\
                 <th scope=\"col\">Avancement</th></tr></thead><tbody>",
            );
            for target in &action.spec.targets {
                let achieved = plan_store::achieved(&state.pool, target)
                    .await
                    .map_err(anyhow::Error::from)?;
                let label = target.label();
                main.push_str(&charts::progress_bar(&label, achieved, target.target));
                let _ = write!(
                    table,
                    "<tr><th scope=\"row\">{}</th><td>du {} au {}</td><td>{}</td><td>{}</td><td>{} %</td></tr>",
                    escape(&label),
                    target.period.from.format("%d/%m/%Y"),
                    target.period.to.format("%d/%m/%Y"),
                    target.target,
                    achieved,
                    percent(achieved, target.target).round()
                );
            }
            table.push_str("</tbody></table>");
            main.push_str(&table);
        }
        main.push_str("</section>");
    }
    Ok(Html(page("Plan d'action", &main)))
}

/// `/rapports`: the published reports, newest first, with their files.
pub async fn list(State(state): State<WebState>) -> Result<Html<String>, WebError> {
    // The newest page of the largest size: more than the partnership publishes in years.
    let reports = report_store::list(&state.pool, None, platform::paging::MAX_PAGE_SIZE)
        .await
        .map_err(anyhow::Error::from)?;
    let mut main = String::from(
        "<h1>Rapports publiés</h1><p>Les bilans, points d'avancement et panoramas de l'ESS publiés par le \
         partenariat. Les chiffres y respectent le secret statistique.</p>",
    );
    if reports.is_empty() {
        main.push_str("<p>Aucun rapport publié pour l'instant.</p>");
    } else {
        main.push_str("<ul class=\"resources\">");
        for r in &reports {
            let _ = write!(
                main,
                "<li><h2><a href=\"/rapports/{id}\">{title}</a></h2><p>{kind} — du {from} au {to} — {format}, \
                 publié le {at}</p></li>",
                id = r.id,
                title = escape(&r.title),
                kind = kind_label(r.kind),
                from = r.period_from.format("%d/%m/%Y"),
                to = r.period_to.format("%d/%m/%Y"),
                format = format_label(r.format),
                at = r.published_at.format("%d/%m/%Y"),
            );
        }
        main.push_str("</ul>");
    }
    Ok(Html(page("Rapports publiés", &main)))
}

/// `/rapports/{id}`: the report's files.
pub async fn files(State(state): State<WebState>, Path(id): Path<String>) -> Result<Html<String>, WebError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let (report, files) = report_store::get(&state.pool, id)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or(WebError::NotFound)?;
    let mut main = format!(
        "<h1>{}</h1><p>{} — du {} au {}</p><ul>",
        escape(&report.title),
        kind_label(report.kind),
        report.period_from.format("%d/%m/%Y"),
        report.period_to.format("%d/%m/%Y")
    );
    for (index, file) in files.iter().enumerate() {
        let _ = write!(
            main,
            "<li><a href=\"/rapports/{id}/fichiers/{index}\">{}</a></li>",
            escape(&file.name)
        );
    }
    main.push_str("</ul>");
    Ok(Html(page(&report.title, &main)))
}

/// `/rapports/{id}/fichiers/{n}`: one file of a report. HTML reports open in the browser (they
/// are self-contained); Markdown and CSV download.
pub async fn file(
    State(state): State<WebState>,
    Path((id, index)): Path<(String, usize)>,
) -> Result<Response, WebError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let (report, files) = report_store::get(&state.pool, id)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or(WebError::NotFound)?;
    let file = files.into_iter().nth(index).ok_or(WebError::NotFound)?;
    // Names are made by the renderer from fixed slugs and dates: ASCII letters, digits, '-', '.'.
    let safe: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = match report.format {
        Format::Html => format!("inline; filename=\"{safe}\""),
        Format::Markdown | Format::Csv => format!("attachment; filename=\"{safe}\""),
    };
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        file.content,
    )
        .into_response())
}
