//! The resource centre's public pages: list and search (kind, axis, theme, territory, text),
//! download, and the short lists the home and territory pages show. One query per page.

use std::fmt::Write as _;

use axum::{
    extract::{Path, Query, State},
    http::header,
    response::{Html, IntoResponse, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    WebError, WebState,
    layout::{escape, page},
    places,
};
use crate::resources::{
    domain::{Axis, ResourceKind, ResourceTerritory},
    store::{self, Filter, ResourceRow},
};

/// How many resources a listing shows.
const PAGE_SIZE: i64 = 100;
/// How many the home and territory pages show.
const SHORT_LIST: i64 = 5;

/// The search form's fields (all optional; empty means "any").
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub axe: Option<String>,
    pub theme: Option<String>,
    /// "departement:14", "commune:14118"...
    pub territoire: Option<String>,
    pub q: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn bad(why: &str) -> WebError {
    WebError::BadRequest(why.to_owned())
}

impl SearchQuery {
    fn filter(&self) -> Result<Filter, WebError> {
        let kind = nonempty(&self.kind)
            .map(|k| ResourceKind::from_code(k).ok_or_else(|| bad("Type de ressource inconnu.")))
            .transpose()?;
        let axis = nonempty(&self.axe)
            .map(|a| {
                a.parse::<i32>()
                    .ok()
                    .and_then(Axis::parse)
                    .map(|a| i16::from(a.get()))
                    .ok_or_else(|| bad("L'axe est un nombre de 1 à 5."))
            })
            .transpose()?;
        let territory = nonempty(&self.territoire)
            .map(|t| {
                let (segment, code) = t.split_once(':').ok_or_else(|| bad("Territoire inconnu."))?;
                let level = places::level_of_segment(segment).ok_or_else(|| bad("Territoire inconnu."))?;
                ResourceTerritory::parse(level, code)
                    .map(|t| (t.level(), t.code().to_owned()))
                    .map_err(|_| bad("Territoire inconnu."))
            })
            .transpose()?;
        Ok(Filter {
            kind,
            axis,
            theme: nonempty(&self.theme).map(str::to_owned),
            territory,
            text: nonempty(&self.q).map(str::to_owned),
            limit: PAGE_SIZE,
            after: None,
        })
    }
}

fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} Mo", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} ko", (bytes + 1023) / 1024)
    }
}

fn territory_label(r: &ResourceRow) -> String {
    match ResourceTerritory::parse(r.territory_level, &r.territory_code) {
        Ok(t) => places::name(&t),
        Err(_) => r.territory_code.clone(),
    }
}

/// One resource as a list item: title, kind, date, territory, axis, themes, summary, download.
fn item(r: &ResourceRow) -> String {
    let mut html = format!(
        "<li><article><h3>{}</h3><p>{} — publié le {} — {} — axe {}</p>",
        escape(&r.title),
        escape(r.kind.label()),
        r.published_on.format("%d/%m/%Y"),
        escape(&territory_label(r)),
        r.axis,
    );
    if !r.themes.is_empty() {
        let _ = write!(html, "<p>Thèmes : {}</p>", escape(&r.themes.join(", ")));
    }
    let _ = write!(html, "<p>Auteurs : {}</p>", escape(&r.authors.join(", ")));
    if !r.summary.is_empty() {
        let _ = write!(html, "<p>{}</p>", escape(&r.summary));
    }
    if r.kind == ResourceKind::PositionCommune {
        let _ = write!(html, "<p>Signée par {} partenaire(s).</p>", r.signing_partner_ids.len());
    }
    let _ = write!(
        html,
        "<p><a href=\"/ressources/{}/fichier\" download>Télécharger « {} » ({}, {})</a></p></article></li>",
        r.id,
        escape(&r.file_name),
        r.content_type.label(),
        size(r.size_bytes),
    );
    html
}

fn items(rows: &[ResourceRow]) -> String {
    let mut html = String::from("<ul>");
    for r in rows {
        html.push_str(&item(r));
    }
    html.push_str("</ul>");
    html
}

fn option(value: &str, label: &str, selected: Option<&str>) -> String {
    format!(
        "<option value=\"{}\"{}>{}</option>",
        escape(value),
        if selected == Some(value) { " selected" } else { "" },
        escape(label)
    )
}

fn search_form(q: &SearchQuery) -> String {
    let mut kinds = option("", "Tous", nonempty(&q.kind));
    for k in ResourceKind::ALL {
        kinds.push_str(&option(k.code(), k.label(), nonempty(&q.kind)));
    }
    let mut axes = option("", "Tous", nonempty(&q.axe));
    for a in 1..=5 {
        axes.push_str(&option(&a.to_string(), &format!("Axe {a}"), nonempty(&q.axe)));
    }
    let mut territories = option("", "Tous", nonempty(&q.territoire));
    territories.push_str(&option("region:28", "Région Normandie", nonempty(&q.territoire)));
    territories.push_str(&option(
        "ancienne-region:25",
        "Basse-Normandie",
        nonempty(&q.territoire),
    ));
    for (code, name) in [("14", "Calvados"), ("50", "Manche"), ("61", "Orne")] {
        territories.push_str(&option(&format!("departement:{code}"), name, nonempty(&q.territoire)));
    }
    format!(
        "<form method=\"get\" action=\"/ressources\" role=\"search\">\
         <p><label for=\"q\">Rechercher</label><input id=\"q\" name=\"q\" type=\"search\" value=\"{}\"></p>\
         <p><label for=\"type\">Type</label><select id=\"type\" name=\"type\">{kinds}</select>\
         <label for=\"axe\">Axe</label><select id=\"axe\" name=\"axe\">{axes}</select>\
         <label for=\"territoire\">Territoire</label><select id=\"territoire\" name=\"territoire\">{territories}</select>\
         <label for=\"theme\">Thème</label><input id=\"theme\" name=\"theme\" value=\"{}\"></p>\
         <p><button type=\"submit\">Rechercher</button></p></form>",
        escape(nonempty(&q.q).unwrap_or_default()),
        escape(nonempty(&q.theme).unwrap_or_default()),
    )
}

/// `/ressources`: the search form and the matching resources.
pub async fn list(State(state): State<WebState>, Query(q): Query<SearchQuery>) -> Result<Html<String>, WebError> {
    let filter = q.filter()?;
    let rows = store::list(&state.pool, &filter).await?;
    let mut main = String::from(
        "<h1>Centre de ressources</h1><p>Études, analyses, notes statistiques, positions communes et guides \
         publiés par les services de l'État et la CRESS.</p>",
    );
    main.push_str(&search_form(&q));
    let _ = write!(main, "<h2>Résultats ({})</h2>", rows.len());
    if rows.is_empty() {
        main.push_str("<p>Aucune ressource ne correspond à cette recherche.</p>");
    } else {
        main.push_str(&items(&rows));
    }
    Ok(Html(page("Centre de ressources", &main)))
}

/// The newest resources, for the home page.
pub async fn latest(state: &WebState) -> Result<String, WebError> {
    let rows = store::list(
        &state.pool,
        &Filter {
            limit: SHORT_LIST,
            ..Filter::default()
        },
    )
    .await?;
    let mut html = String::from("<h2>Dernières ressources publiées</h2>");
    if rows.is_empty() {
        html.push_str("<p>Aucune ressource publiée pour l'instant.</p>");
    } else {
        html.push_str(&items(&rows));
    }
    html.push_str("<p><a href=\"/ressources\">Tout le centre de ressources</a></p>");
    Ok(html)
}

/// The resources about one territory, for its page.
pub async fn for_territory(state: &WebState, territory: &ResourceTerritory) -> Result<String, WebError> {
    let rows = store::list(
        &state.pool,
        &Filter {
            territory: Some((territory.level(), territory.code().to_owned())),
            limit: SHORT_LIST,
            ..Filter::default()
        },
    )
    .await?;
    let mut html = String::from("<h2>Ressources sur ce territoire</h2>");
    if rows.is_empty() {
        html.push_str("<p>Aucune ressource publiée sur ce territoire.</p>");
    } else {
        html.push_str(&items(&rows));
    }
    let segment = places::segment(territory.level());
    let _ = write!(
        html,
        "<p><a href=\"/ressources?territoire={segment}%3A{}\">Toutes les ressources sur ce territoire</a></p>",
        escape(territory.code())
    );
    Ok(html)
}

/// `/ressources/{id}/fichier`: the file, as an attachment under its published name and type.
pub async fn download(State(state): State<WebState>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let (row, bytes) = store::file(&state.pool, id).await?.ok_or(WebError::NotFound)?;
    // The name passed FileName::parse (no quote, no control character); non-ASCII names also go
    // in the RFC 5987 form.
    let encoded: String = row
        .file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let ascii: String = row
        .file_name
        .chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '_' })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    Ok((
        [
            (header::CONTENT_TYPE, row.content_type.mime().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
