//! Turns views into the text printed on stdout: a key/value table for one record, a column table
//! for lists, or pretty JSON. Widths count characters, so accented names stay aligned.

use serde::Serialize;

use crate::{
    cli::Output,
    failure::Failure,
    view::{DepartementStatsView, HealthStatus, HealthView, PartnerView},
};

/// Shown in tables for a value that is not set.
const NONE: &str = "-";

/// One partner, as a key/value table or JSON.
pub fn partner(p: &PartnerView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(p),
        Output::Table => {
            let mut rows = vec![
                ("id", p.id.clone()),
                ("name", p.name.clone()),
                ("siret", p.siret.clone()),
                ("commune", or_none(p.commune_code.as_deref())),
                ("postal code", or_none(p.postal_code.as_deref())),
                ("departement", or_none(p.departement_code.as_deref())),
                ("version", p.version.to_string()),
                ("created at", or_none(p.created_at.as_deref())),
            ];
            rows.extend(crate::commands::registry_view::partner_details_rows(&p.details));
            Ok(key_value_table(&rows))
        }
    }
}

/// Partner counts per département, as a column table with a total line, or JSON.
pub fn departements(stats: &DepartementStatsView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(stats),
        Output::Table => {
            let mut rows: Vec<Vec<String>> = stats
                .departements
                .iter()
                .map(|d| {
                    vec![
                        d.departement_code.clone(),
                        or_none(d.departement_name.as_deref()),
                        d.partners.to_string(),
                    ]
                })
                .collect();
            rows.push(vec![String::new(), "total".to_owned(), stats.total.to_string()]);
            Ok(column_table(
                &["DEP", "NAME", "PARTNERS"],
                &rows,
                &[Align::Left, Align::Left, Align::Right],
            ))
        }
    }
}

/// One line per service, `registry  http://127.0.0.1:50051  SERVING`, without a header (easy to
/// read in `docker inspect` and to grep), or JSON.
pub fn health(view: &HealthView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(view),
        Output::Table => {
            let rows: Vec<Vec<String>> = view
                .services
                .iter()
                .map(|s| {
                    let status = match (s.status, &s.reason) {
                        (HealthStatus::Unreachable, Some(reason)) => format!("UNREACHABLE ({reason})"),
                        (status, _) => status.name().to_owned(),
                    };
                    vec![s.service.key().to_owned(), s.url.clone(), status]
                })
                .collect();
            Ok(aligned_rows(&rows, &[]))
        }
    }
}

pub fn json<T: Serialize>(value: &T) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Local(anyhow::Error::new(e).context("encoding the answer as JSON")))?;
    text.push('\n');
    Ok(text)
}

fn or_none(value: Option<&str>) -> String {
    value.unwrap_or(NONE).to_owned()
}

/// Keys left-aligned in one column, values after two spaces.
pub fn key_value_table(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    rows.iter().map(|(k, v)| format!("{k:<width$}  {v}\n")).collect()
}

/// How a column's cells sit in its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A header line and rows, columns two spaces apart, no trailing spaces. A row shorter than the
/// header leaves its last cells empty; cells past the header are dropped.
pub fn column_table(headers: &[&str], rows: &[Vec<String>], align: &[Align]) -> String {
    let mut lines = Vec::with_capacity(rows.len() + 1);
    lines.push(headers.iter().map(|&h| h.to_owned()).collect());
    lines.extend_from_slice(rows);
    aligned_rows(&lines, align)
}

/// Rows in columns two spaces apart, no trailing spaces; the first row sets the number of
/// columns (a shorter row leaves its last cells empty, cells past it are dropped). Columns
/// without an entry in `align` are left-aligned.
pub fn aligned_rows(rows: &[Vec<String>], align: &[Align]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mut widths: Vec<usize> = first.iter().map(|c| c.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let padded: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let cell = cells.next().unwrap_or("");
                match align.get(i).copied().unwrap_or(Align::Left) {
                    Align::Left => format!("{cell:<w$}"),
                    Align::Right => format!("{cell:>w$}"),
                }
            })
            .collect();
        let mut text = padded.join("  ").trim_end().to_owned();
        text.push('\n');
        text
    };
    rows.iter()
        .map(|row| line(&mut row.iter().map(String::as_str)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        failure::Service,
        view::{DepartementCountView, ServiceHealthView},
    };

    fn coop() -> PartnerView {
        PartnerView {
            id: "0190a1b2-0000-7000-8000-000000000001".into(),
            name: "Coopérative Test".into(),
            siret: "73282932000074".into(),
            commune_code: Some("14118".into()),
            postal_code: None,
            departement_code: Some("14".into()),
            version: 1,
            created_at: Some("2025-06-15T15:06:40Z".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_partner_table_aligns_values_and_marks_missing_ones() {
        let text = partner(&coop(), Output::Table).expect("renders");
        assert_eq!(
            text,
            "id              0190a1b2-0000-7000-8000-000000000001\n\
             name            Coopérative Test\n\
             siret           73282932000074\n\
             commune         14118\n\
             postal code     -\n\
             departement     14\n\
             version         1\n\
             created at      2025-06-15T15:06:40Z\n\
             status          -\n\
             kind            -\n\
             acronym         -\n\
             ess family      -\n\
             legal category  -\n\
             naf             -\n\
             epci            -\n\
             cress member    no\n"
        );
    }

    #[test]
    fn a_partner_in_json_has_nulls_for_missing_values() {
        let text = partner(&coop(), Output::Json).expect("renders");
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["siret"], "73282932000074");
        assert_eq!(value["postal_code"], serde_json::Value::Null);
        assert_eq!(value["version"], 1);
        assert!(text.ends_with("}\n"));
    }

    fn stats() -> DepartementStatsView {
        DepartementStatsView {
            departements: vec![
                DepartementCountView {
                    departement_code: "14".into(),
                    departement_name: Some("Calvados".into()),
                    partners: 12,
                },
                DepartementCountView {
                    departement_code: "61".into(),
                    departement_name: None,
                    partners: 3,
                },
            ],
            total: 15,
        }
    }

    #[test]
    fn departement_counts_are_right_aligned_with_a_total_line() {
        let text = departements(&stats(), Output::Table).expect("renders");
        assert_eq!(
            text,
            "DEP  NAME      PARTNERS\n\
             14   Calvados        12\n\
             61   -                3\n\
             \x20    total           15\n"
        );
    }

    #[test]
    fn departement_counts_in_json_keep_the_proto_field_names() {
        let text = departements(&stats(), Output::Json).expect("renders");
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["total"], 15);
        assert_eq!(value["departements"][0]["departement_name"], "Calvados");
        assert_eq!(value["departements"][1]["departement_name"], serde_json::Value::Null);
    }

    #[test]
    fn an_empty_count_still_prints_the_header_and_total() {
        let empty = DepartementStatsView {
            departements: vec![],
            total: 0,
        };
        let text = departements(&empty, Output::Table).expect("renders");
        assert_eq!(text, "DEP  NAME   PARTNERS\n     total         0\n");
    }

    #[test]
    fn column_widths_count_characters_not_bytes() {
        let text = column_table(
            &["A", "B"],
            &[vec!["é".into(), "x".into()], vec!["ab".into(), "y".into()]],
            &[Align::Left, Align::Left],
        );
        assert_eq!(text, "A   B\né   x\nab  y\n");
    }

    fn one_down() -> HealthView {
        HealthView::new(vec![
            ServiceHealthView {
                service: Service::Registry,
                url: "http://127.0.0.1:50051".into(),
                status: HealthStatus::Serving,
                reason: None,
            },
            ServiceHealthView {
                service: Service::Activities,
                url: "http://127.0.0.1:50052".into(),
                status: HealthStatus::NotServing,
                reason: None,
            },
            ServiceHealthView {
                service: Service::Observatory,
                url: "http://observatory:50053".into(),
                status: HealthStatus::Unreachable,
                reason: Some("UNAVAILABLE: tcp connect error".into()),
            },
        ])
    }

    #[test]
    fn health_prints_one_aligned_line_per_service_without_a_header() {
        let text = health(&one_down(), Output::Table).expect("renders");
        assert_eq!(
            text,
            "registry     http://127.0.0.1:50051    SERVING\n\
             activities   http://127.0.0.1:50052    NOT_SERVING\n\
             observatory  http://observatory:50053  UNREACHABLE (UNAVAILABLE: tcp connect error)\n"
        );
    }

    #[test]
    fn health_of_one_service_is_a_single_line() {
        let view = HealthView::new(vec![ServiceHealthView {
            service: Service::Registry,
            url: "http://127.0.0.1:50051".into(),
            status: HealthStatus::Serving,
            reason: None,
        }]);
        let text = health(&view, Output::Table).expect("renders");
        assert_eq!(text, "registry  http://127.0.0.1:50051  SERVING\n");
    }

    #[test]
    fn health_in_json_names_services_and_statuses_as_printed() {
        let text = health(&one_down(), Output::Json).expect("renders");
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["healthy"], false);
        assert_eq!(value["services"][0]["service"], "registry");
        assert_eq!(value["services"][0]["status"], "SERVING");
        assert_eq!(value["services"][0]["reason"], serde_json::Value::Null);
        assert_eq!(value["services"][1]["status"], "NOT_SERVING");
        assert_eq!(value["services"][2]["url"], "http://observatory:50053");
        assert_eq!(value["services"][2]["status"], "UNREACHABLE");
        assert_eq!(value["services"][2]["reason"], "UNAVAILABLE: tcp connect error");
    }

    #[test]
    fn no_rows_render_as_nothing() {
        assert_eq!(aligned_rows(&[], &[]), "");
    }
}
