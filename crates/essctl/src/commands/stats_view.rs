//! Views and tables of the observatory commands: datasets, the indicator table (with "secret
//! statistique" in place of hidden figures), ESS shares and partner projections. Numbers in tables
//! are written the French way (thousands separated by a space, decimal comma).

use ess_proto::observatory::v1 as pb;
use serde::Serialize;

use super::stats_args::MeasureArg;
use crate::{
    cli::Output,
    failure::Failure,
    render::{Align, column_table, key_value_table},
};

/// What a hidden cell says.
pub const SECRET: &str = "secret statistique";

/// One imported dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetView {
    pub id: String,
    pub source: String,
    pub source_label: String,
    pub edition: String,
    pub rows: i64,
    pub facts: i64,
    pub first_year: i32,
    pub last_year: i32,
    pub imported_at: Option<String>,
}

impl From<pb::Dataset> for DatasetView {
    fn from(d: pb::Dataset) -> Self {
        Self {
            id: d.id,
            source: d.source,
            source_label: d.source_label,
            edition: d.edition,
            rows: d.rows,
            facts: d.facts,
            first_year: d.first_year,
            last_year: d.last_year,
            imported_at: d.imported_at.map(|t| t.to_string()),
        }
    }
}

/// The outcome of `essctl stats import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportView {
    pub dataset: Option<DatasetView>,
    pub skipped_rows: i64,
    pub replaced: bool,
}

/// One cell of an indicator table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellView {
    pub row: String,
    pub column: String,
    /// "publié", or "secret statistique".
    pub status: String,
    pub establishments: Option<i64>,
    pub employees: Option<String>,
    pub payroll: Option<String>,
    pub employees_evolution_percent: Option<String>,
}

/// An indicator table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorsView {
    pub year: i32,
    pub dataset: Option<DatasetView>,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// Row-major.
    pub cells: Vec<CellView>,
    pub unsuppressed: bool,
}

impl From<pb::QueryIndicatorsResponse> for IndicatorsView {
    fn from(r: pb::QueryIndicatorsResponse) -> Self {
        let label = |h: &pb::Heading| h.label.clone();
        let rows: Vec<String> = r.rows.iter().map(label).collect();
        let columns: Vec<String> = r.columns.iter().map(label).collect();
        let cells = r
            .cells
            .iter()
            .map(|c| {
                let secret = !c.note.is_empty();
                CellView {
                    row: rows.get(c.row as usize).cloned().unwrap_or_default(),
                    column: columns.get(c.column as usize).cloned().unwrap_or_default(),
                    status: if secret {
                        SECRET.to_owned()
                    } else {
                        "publié".to_owned()
                    },
                    establishments: c.figures.as_ref().map(|f| f.establishments),
                    employees: c.figures.as_ref().map(|f| f.employees.clone()),
                    payroll: c.figures.as_ref().map(|f| f.payroll.clone()),
                    employees_evolution_percent: Some(c.employees_evolution_percent.clone()).filter(|e| !e.is_empty()),
                }
            })
            .collect();
        Self {
            year: r.year,
            dataset: r.dataset.map(DatasetView::from),
            rows,
            columns,
            cells,
            unsuppressed: r.unsuppressed,
        }
    }
}

/// One territory's ESS share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareView {
    pub code: String,
    pub territory: String,
    pub ess_employees: Option<String>,
    pub private_employees: Option<String>,
    pub share_percent: Option<String>,
    pub status: String,
}

/// ESS shares of a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharesView {
    pub year: i32,
    pub shares: Vec<ShareView>,
}

impl From<pb::GetEssShareResponse> for SharesView {
    fn from(r: pb::GetEssShareResponse) -> Self {
        let opt = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        Self {
            year: r.year,
            shares: r
                .shares
                .iter()
                .map(|s| {
                    let t = s.territory.clone().unwrap_or_default();
                    ShareView {
                        code: t.code,
                        territory: t.label,
                        ess_employees: opt(&s.ess_employees),
                        private_employees: opt(&s.private_employees),
                        share_percent: opt(&s.share_percent),
                        status: match (s.note.is_empty(), s.ess_estimated) {
                            (true, false) => "publié".into(),
                            (true, true) => "publié (ESS estimée, SIRENE)".into(),
                            (false, _) => SECRET.into(),
                        },
                    }
                })
                .collect(),
        }
    }
}

/// Partner projections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectionsView {
    pub total: i64,
    pub cress_members: i64,
    pub by_kind: Vec<(String, i64)>,
    pub by_family: Vec<(String, i64)>,
    pub by_departement: Vec<(String, i64)>,
}

impl From<pb::GetPartnerProjectionsResponse> for ProjectionsView {
    fn from(r: pb::GetPartnerProjectionsResponse) -> Self {
        let pairs = |v: Vec<pb::ProjectionCount>| v.into_iter().map(|c| (c.label, c.count)).collect();
        Self {
            total: r.total,
            cress_members: r.cress_members,
            by_kind: pairs(r.by_kind),
            by_family: pairs(r.by_family),
            by_departement: pairs(r.by_departement),
        }
    }
}

fn json<T: Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Failure::Local(e.into()))
}

/// A decimal written the French way: `15234.5` → `15 234,5`. Anything else is left as it is.
pub fn french_number(raw: &str) -> String {
    let (sign, digits) = match raw.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => (
            raw.strip_prefix('+').map(|_| "+").unwrap_or(""),
            raw.trim_start_matches('+'),
        ),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return raw.to_owned();
    }
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(ch);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// The datasets, one line each.
pub fn datasets(list: &[DatasetView], output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(&list),
        Output::Table => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|d| {
                    vec![
                        d.source.clone(),
                        d.edition.clone(),
                        if d.first_year == 0 {
                            "-".into()
                        } else {
                            format!("{}–{}", d.first_year, d.last_year)
                        },
                        french_number(&d.rows.to_string()),
                        french_number(&d.facts.to_string()),
                        d.imported_at.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            Ok(column_table(
                &["SOURCE", "ÉDITION", "ANNÉES", "LIGNES", "FAITS", "IMPORTÉ LE"],
                &rows,
                &[
                    Align::Left,
                    Align::Left,
                    Align::Left,
                    Align::Right,
                    Align::Right,
                    Align::Left,
                ],
            ))
        }
    }
}

/// The report of an import.
pub fn import(view: &ImportView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(view),
        Output::Table => {
            let d = view.dataset.clone();
            let get = |f: fn(&DatasetView) -> String| d.as_ref().map(f).unwrap_or_default();
            Ok(key_value_table(&[
                ("jeu de données", get(|d| format!("{} {}", d.source, d.edition))),
                ("source", get(|d| d.source_label.clone())),
                ("lignes lues", get(|d| french_number(&d.rows.to_string()))),
                ("faits importés", get(|d| french_number(&d.facts.to_string()))),
                ("lignes de total ignorées", view.skipped_rows.to_string()),
                ("années", get(|d| format!("{}–{}", d.first_year, d.last_year))),
                (
                    "édition remplacée",
                    if view.replaced { "oui".into() } else { "non".into() },
                ),
            ]))
        }
    }
}

/// The indicator table: one line per row heading, one column per column heading, the chosen
/// measure in each cell; hidden cells say "secret statistique" (or, in the staff view, carry a *).
pub fn indicators(view: &IndicatorsView, measure: MeasureArg, output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return json(view);
    }
    let width = view.columns.len();
    let with_evolution = view.cells.iter().any(|c| c.employees_evolution_percent.is_some());
    let mut headers: Vec<String> = vec![String::new()];
    for c in &view.columns {
        headers.push(c.clone());
        if with_evolution {
            headers.push("évol. %".into());
        }
    }
    let rows: Vec<Vec<String>> = view
        .rows
        .iter()
        .enumerate()
        .map(|(r, label)| {
            let mut line = vec![label.clone()];
            for cell in view.cells.iter().skip(r * width).take(width) {
                let secret = cell.status == SECRET;
                let figure = match measure {
                    MeasureArg::Etablissements => cell.establishments.map(|n| n.to_string()),
                    MeasureArg::Effectifs => cell.employees.clone(),
                    MeasureArg::MasseSalariale => cell.payroll.clone(),
                };
                line.push(match (figure, secret) {
                    (Some(f), true) => format!("{}*", french_number(&f)),
                    (Some(f), false) => french_number(&f),
                    (None, _) => SECRET.to_owned(),
                });
                if with_evolution {
                    line.push(
                        cell.employees_evolution_percent
                            .as_deref()
                            .map(french_number)
                            .unwrap_or_else(|| "-".into()),
                    );
                }
            }
            line
        })
        .collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut align = vec![Align::Left];
    align.extend(std::iter::repeat_n(Align::Right, headers.len() - 1));
    let what = match measure {
        MeasureArg::Etablissements => "établissements",
        MeasureArg::Effectifs => "effectifs salariés moyens",
        MeasureArg::MasseSalariale => "masse salariale (€)",
    };
    let source = view
        .dataset
        .as_ref()
        .map(|d| format!(" — {} {}", d.source_label, d.edition))
        .unwrap_or_default();
    let mut text = format!("{} {}{source}\n", what, view.year);
    text.push_str(&column_table(&header_refs, &rows, &align));
    if view.unsuppressed {
        text.push_str("* secret statistique : chiffre réservé aux agents, ne pas publier\n");
    }
    Ok(text)
}

/// ESS shares, one line per territory.
pub fn shares(view: &SharesView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(view),
        Output::Table => {
            let rows: Vec<Vec<String>> = view
                .shares
                .iter()
                .map(|s| {
                    let or_secret =
                        |v: &Option<String>| v.as_deref().map(french_number).unwrap_or_else(|| SECRET.into());
                    vec![
                        s.code.clone(),
                        s.territory.clone(),
                        or_secret(&s.ess_employees),
                        or_secret(&s.private_employees),
                        s.share_percent
                            .as_deref()
                            .map(|p| format!("{} %", french_number(p)))
                            .unwrap_or_else(|| SECRET.into()),
                    ]
                })
                .collect();
            Ok(column_table(
                &[
                    "CODE",
                    "TERRITOIRE",
                    "EFFECTIFS ESS",
                    "EFFECTIFS PRIVÉS",
                    "PART DE L'ESS",
                ],
                &rows,
                &[Align::Left, Align::Left, Align::Right, Align::Right, Align::Right],
            ))
        }
    }
}

/// Partner projections as three small tables.
pub fn projections(view: &ProjectionsView, output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return json(view);
    }
    let table = |title: &str, pairs: &[(String, i64)]| {
        let rows: Vec<Vec<String>> = pairs.iter().map(|(l, n)| vec![l.clone(), n.to_string()]).collect();
        column_table(&[title, "PARTENAIRES"], &rows, &[Align::Left, Align::Right])
    };
    Ok(format!(
        "partenaires actifs : {}  dont adhérents CRESS : {}\n\n{}\n{}\n{}",
        view.total,
        view.cress_members,
        table("TYPE", &view.by_kind),
        table("FAMILLE", &view.by_family),
        table("DÉPARTEMENT", &view.by_departement),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(french_number("15234.5"), "15 234,5");
        assert_eq!(french_number("163421"), "163 421");
        assert_eq!(french_number("12.57"), "12,57");
        assert_eq!(french_number("+8.8"), "+8,8");
        assert_eq!(french_number("-1234"), "-1 234");
        assert_eq!(french_number("n/a"), "n/a");
    }

    #[test]
    fn a_secret_cell_says_so_and_never_shows_zero() {
        let cell = |status: &str, employees: Option<&str>| CellView {
            row: "Manche".into(),
            column: "Fondations".into(),
            status: status.into(),
            establishments: None,
            employees: employees.map(str::to_owned),
            payroll: None,
            employees_evolution_percent: None,
        };
        let view = IndicatorsView {
            year: 2023,
            dataset: None,
            rows: vec!["Manche".into()],
            columns: vec!["Fondations".into(), "Associations".into()],
            cells: vec![cell(SECRET, None), cell("publié", Some("10020"))],
            unsuppressed: false,
        };
        let text = indicators(&view, MeasureArg::Effectifs, Output::Table).unwrap();
        assert!(text.contains("secret statistique") && text.contains("10 020"), "{text}");
        assert!(!text.contains(" 0\n"));
    }
}

/// Activity projections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivitiesView {
    pub activities: i64,
    pub by_status: Vec<(String, i64)>,
    pub by_axis: Vec<(String, i64)>,
    pub by_kind: Vec<(String, i64)>,
    pub by_public: Vec<(String, i64)>,
    pub by_departement: Vec<(String, i64)>,
    pub by_campaign: Vec<(String, i64)>,
    pub people_reached: i64,
    pub people_by_sex: Vec<(String, i64)>,
    pub people_by_age: Vec<(String, i64)>,
    pub people_by_public: Vec<(String, i64)>,
}

impl From<pb::GetActivityProjectionsResponse> for ActivitiesView {
    fn from(r: pb::GetActivityProjectionsResponse) -> Self {
        let pairs = |v: Vec<pb::ProjectionCount>| v.into_iter().map(|c| (c.label, c.count)).collect();
        Self {
            activities: r.activities,
            by_status: pairs(r.by_status),
            by_axis: pairs(r.by_axis),
            by_kind: pairs(r.by_kind),
            by_public: pairs(r.by_public),
            by_departement: pairs(r.by_departement),
            by_campaign: pairs(r.by_campaign),
            people_reached: r.people_reached,
            people_by_sex: pairs(r.people_by_sex),
            people_by_age: pairs(r.people_by_age),
            people_by_public: pairs(r.people_by_public),
        }
    }
}

/// Activity projections as small tables, one per breakdown.
pub fn activities(view: &ActivitiesView, output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return json(view);
    }
    let table = |title: &str, count: &str, pairs: &[(String, i64)]| {
        let rows: Vec<Vec<String>> = pairs.iter().map(|(l, n)| vec![l.clone(), n.to_string()]).collect();
        column_table(&[title, count], &rows, &[Align::Left, Align::Right])
    };
    Ok([
        format!(
            "actions (hors annulées) : {}  personnes touchées : {}\n",
            view.activities, view.people_reached
        ),
        table("STATUT", "ACTIONS", &view.by_status),
        table("AXE", "ACTIONS", &view.by_axis),
        table("TYPE", "ACTIONS", &view.by_kind),
        table("PUBLIC", "ACTIONS", &view.by_public),
        table("DÉPARTEMENT", "ACTIONS", &view.by_departement),
        table("CAMPAGNE", "ACTIONS", &view.by_campaign),
        table("SEXE", "PERSONNES", &view.people_by_sex),
        table("ÂGE", "PERSONNES", &view.people_by_age),
        table("PUBLIC", "PERSONNES", &view.people_by_public),
    ]
    .join("\n"))
}
