//! Writes a [`Report`] as files: one self-contained HTML page (semantic HTML, inline SVG charts
//! with text alternatives, inline CSS, no script, no link, no external resource; also well-formed
//! XML), one Markdown page (charts become their figures in words), or one CSV per table.
//!
//! CSV: `;`-separated, UTF-8 with a byte-order mark (so that a French spreadsheet opens it as
//! UTF-8), French headers, integers without separators and decimals with a decimal comma
//! (`12,5`); a suppressed cell says `secret statistique`, a missing one `n.d.`.

use std::fmt::Write as _;

use super::text::{escape, french_number};
use super::{Block, Cell, Chart, Format, MISSING, Report, SECRET, Table};
use crate::charts::{bar_chart, line_chart, progress_bar};

/// A rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub content_type: &'static str,
    pub content: Vec<u8>,
}

/// Renders `report` in `format`.
#[tracing::instrument(name = "observatory.report.render", skip_all, fields(format = format.code()))]
pub fn render(report: &Report, format: Format) -> Vec<File> {
    let stem = report.file_stem();
    match format {
        Format::Html => vec![File {
            name: format!("{stem}.html"),
            content_type: format.content_type(),
            content: html(report).into_bytes(),
        }],
        Format::Markdown => vec![File {
            name: format!("{stem}.md"),
            content_type: format.content_type(),
            content: markdown(report).into_bytes(),
        }],
        Format::Csv => report
            .tables()
            .map(|t| File {
                name: format!("{stem}-{}.csv", t.slug),
                content_type: format.content_type(),
                content: csv(t),
            })
            .collect(),
    }
}

fn french_date(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn period_text(report: &Report) -> String {
    format!(
        "Période du {} au {}",
        french_date(report.period.from),
        french_date(report.period.to)
    )
}

/// A number with `decimals` decimals, decimal comma, no thousands separator (CSV).
fn plain_number(value: f64, decimals: u8) -> String {
    format!("{value:.prec$}", prec = usize::from(decimals)).replace('.', ",")
}

/// A number for reading: thousands grouped, decimal comma.
fn display_number(value: f64, decimals: u8) -> String {
    if decimals == 0 {
        return french_number(value.round());
    }
    let s = plain_number(value.abs(), decimals);
    let (int, frac) = s.split_once(',').unwrap_or((&s, ""));
    let int: f64 = int.parse().unwrap_or_default();
    let sign = if value < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    format!("{sign}{},{frac}", french_number(int))
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(t) => t.clone(),
        Cell::Int(n) => french_number(*n as f64),
        Cell::Number(v, d) => display_number(*v, *d),
        Cell::Secret => SECRET.to_owned(),
        Cell::Missing => MISSING.to_owned(),
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;\
color:#1a1a1a;line-height:1.5}h1{color:#1d4f91}table{border-collapse:collapse;margin:1rem 0}\
caption{font-weight:bold;text-align:left;padding:.3rem 0}th,td{border:1px solid #999;padding:.25rem .5rem}\
th[scope=row]{text-align:left;font-weight:normal}\
td.n{text-align:right;font-variant-numeric:tabular-nums}td.secret{font-style:italic;color:#6b3a00}\
figure{margin:1rem 0}svg{max-width:100%;height:auto}";

/// The HTML page (also well-formed XML: every element closed, every text escaped).
pub fn html(report: &Report) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{title}</title><style>{STYLE}</style></head><body><header><h1>{title}</h1>\
         <p>{period}. Produit le {produced}.</p></header><main>",
        title = escape(&report.title),
        period = escape(&period_text(report)),
        produced = french_date(report.produced_on),
    );
    for p in &report.introduction {
        let _ = write!(out, "<p>{}</p>", escape(p));
    }
    for (i, section) in report.sections.iter().enumerate() {
        let _ = write!(
            out,
            "<section aria-labelledby=\"s{i}\"><h2 id=\"s{i}\">{}</h2>",
            escape(&section.title)
        );
        for block in &section.blocks {
            match block {
                Block::Paragraph(p) => {
                    let _ = write!(out, "<p>{}</p>", escape(p));
                }
                Block::Table(t) => html_table(&mut out, t),
                Block::Chart(c) => {
                    let _ = write!(out, "<figure>{}</figure>", svg(c));
                }
            }
        }
        out.push_str("</section>");
    }
    out.push_str(
        "</main><footer><p>Observatoire régional de l'ESS — chiffres issus des projections de la plateforme \
         et des données statistiques importées ; les cellules « secret statistique » ne sont pas publiées.</p>\
         </footer></body></html>\n",
    );
    out
}

fn svg(c: &Chart) -> String {
    match c {
        Chart::Bars { title, bars, unit } => bar_chart(title, bars, unit),
        Chart::Lines { title, series, unit } => line_chart(title, series, unit),
        Chart::Progress {
            label,
            achieved,
            target,
        } => progress_bar(label, *achieved, *target),
    }
}

fn html_table(out: &mut String, t: &Table) {
    let _ = write!(out, "<table><caption>{}</caption><thead><tr>", escape(&t.caption));
    for h in &t.headers {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let text = escape(&cell_text(c));
            if i == 0 {
                let _ = write!(out, "<th scope=\"row\">{text}</th>");
                continue;
            }
            let class = match c {
                Cell::Int(_) | Cell::Number(..) => " class=\"n\"",
                Cell::Secret => " class=\"secret\"",
                _ => "",
            };
            let _ = write!(out, "<td{class}>{text}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown page: tables as pipe tables, charts as their figures in words.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", report.title);
    let _ = writeln!(
        out,
        "{}. Produit le {}.\n",
        period_text(report),
        french_date(report.produced_on)
    );
    for p in &report.introduction {
        let _ = writeln!(out, "{p}\n");
    }
    for section in &report.sections {
        let _ = writeln!(out, "## {}\n", section.title);
        for block in &section.blocks {
            match block {
                Block::Paragraph(p) => {
                    let _ = writeln!(out, "{p}\n");
                }
                Block::Table(t) => {
                    let _ = writeln!(out, "**{}**\n", md_escape(&t.caption));
                    let _ = writeln!(
                        out,
                        "| {} |",
                        t.headers.iter().map(|h| md_escape(h)).collect::<Vec<_>>().join(" | ")
                    );
                    let align: Vec<&str> = (0..t.headers.len())
                        .map(|i| if i == 0 { "---" } else { "---:" })
                        .collect();
                    let _ = writeln!(out, "| {} |", align.join(" | "));
                    for row in &t.rows {
                        let cells: Vec<String> = row.iter().map(|c| md_escape(&cell_text(c))).collect();
                        let _ = writeln!(out, "| {} |", cells.join(" | "));
                    }
                    out.push('\n');
                }
                Block::Chart(c) => {
                    let _ = writeln!(out, "*{}*\n", md_escape(&chart_words(c)));
                }
            }
        }
    }
    out
}

/// A chart's title and figures in words (the Markdown stand-in for the SVG).
fn chart_words(c: &Chart) -> String {
    let unit = |u: &str| if u.is_empty() { String::new() } else { format!(" {u}") };
    match c {
        Chart::Bars { title, bars, unit: u } => format!(
            "Graphique — {title} : {}",
            bars.iter()
                .map(|b| format!("{} {}{}", b.label, french_number(b.value), unit(u)))
                .collect::<Vec<_>>()
                .join(" ; ")
        ),
        Chart::Lines { title, series, unit: u } => format!(
            "Graphique — {title} : {}",
            series
                .iter()
                .map(|s| format!(
                    "{} ({})",
                    s.label,
                    s.points
                        .iter()
                        .map(|(y, v)| format!("{y} : {}{}", french_number(*v), unit(u)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .collect::<Vec<_>>()
                .join(" ; ")
        ),
        Chart::Progress {
            label,
            achieved,
            target,
        } => format!(
            "Avancement — {label} : {} sur {}",
            french_number(*achieved),
            french_number(*target)
        ),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One table as CSV (BOM, `;`, CRLF line ends, decimal comma).
pub fn csv(t: &Table) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let line = |fields: Vec<String>| fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(";") + "\r\n";
    out.push_str(&line(t.headers.clone()));
    for row in &t.rows {
        out.push_str(&line(
            row.iter()
                .map(|c| match c {
                    Cell::Int(n) => n.to_string(),
                    Cell::Number(v, d) => plain_number(*v, *d),
                    other => cell_text(other),
                })
                .collect(),
        ));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::{
        plan::domain::Period,
        report::{Kind, Section},
    };

    fn report() -> Report {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        Report {
            kind: Kind::PointAvancement,
            title: "Point d'avancement <test>".into(),
            period: Period {
                from: d(1, 1),
                to: d(6, 30),
            },
            produced_on: d(7, 1),
            introduction: vec!["Intro & co".into()],
            sections: vec![Section {
                title: "Activités".into(),
                blocks: vec![Block::Table(Table {
                    slug: "activites".into(),
                    caption: "Activités; par type".into(),
                    headers: vec!["Type".into(), "Nombre".into(), "Part (%)".into(), "Salariés".into()],
                    rows: vec![vec![
                        Cell::Text("Atelier".into()),
                        Cell::Int(1234),
                        Cell::Number(12.5, 1),
                        Cell::Secret,
                    ]],
                })],
            }],
        }
    }

    #[test]
    fn csv_has_a_bom_semicolons_and_a_decimal_comma() {
        let files = render(&report(), Format::Csv);
        assert_eq!(files[0].name, "point-avancement-2026-01-01-2026-06-30-activites.csv");
        let text = String::from_utf8(files[0].content.clone()).expect("utf-8");
        assert_eq!(
            text,
            "\u{feff}Type;Nombre;Part (%);Salariés\r\nAtelier;1234;12,5;secret statistique\r\n"
        );
    }

    #[test]
    fn html_escapes_and_marks_secret_cells() {
        let page = html(&report());
        assert!(page.contains("<title>Point d&#39;avancement &lt;test&gt;</title>"));
        assert!(page.contains("<td class=\"secret\">secret statistique</td>"));
        assert!(page.contains("<td class=\"n\">1\u{202f}234</td>"));
        assert!(page.contains("<td class=\"n\">12,5</td>"));
        assert!(!page.contains("<script") && !page.contains("http"));
        let md = markdown(&report());
        assert!(md.contains("| Atelier | 1\u{202f}234 | 12,5 | secret statistique |"));
    }
}
