//! Small inline SVG charts for the dashboard and the reports: horizontal bars, lines over years and
//! a progress bar. Hand-written on purpose: three chart shapes are fewer lines than wiring a plotting
//! crate (plotters and the like bring font loading and a raster stack we do not want), and the SVG
//! stays self-contained: no script, no font fetched, `role="img"` with a `<title>` for screen readers.
//! Pages put the same figures in a table beside each chart (the text alternative).

use std::fmt::Write as _;

/// One bar: a label and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// One line: a label and its (year, value) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(i32, f64)>,
}

/// Colours that stay distinct for the common forms of colour blindness (Okabe–Ito palette).
const PALETTE: [&str; 6] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

/// Escapes text for SVG/HTML element content and attribute values.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number the French way: thousands separated by a narrow no-break space, decimal comma, at
/// most `decimals` decimals (trailing zeros dropped). Non-finite values print as "–".
fn format_number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    let raw = format!("{:.*}", decimals, value.abs());
    let (int, frac) = raw.split_once('.').unwrap_or((raw.as_str(), ""));
    let frac = frac.trim_end_matches('0');
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202F}');
        }
        grouped.push(ch);
    }
    let sign = if value < 0.0 && (!int.trim_start_matches('0').is_empty() || !frac.is_empty()) {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

fn with_unit(value: f64, unit: &str) -> String {
    let n = format_number(value, 1);
    if unit.is_empty() { n } else { format!("{n} {unit}") }
}

/// A horizontal bar chart: one row per bar, its label on the left, its value at the bar's end.
/// Negative values are drawn as zero-length bars (the value still prints).
pub fn bar_chart(title: &str, bars: &[Bar], unit: &str) -> String {
    const LABEL_W: f64 = 220.0;
    const BAR_W: f64 = 300.0;
    const ROW_H: f64 = 26.0;
    const TOP: f64 = 30.0;
    let width = LABEL_W + BAR_W + 130.0;
    let height = TOP + ROW_H * bars.len() as f64 + 10.0;
    let max = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let mut svg = open(title, width, height);
    let _ = write!(
        svg,
        r#"<text x="0" y="18" font-size="14" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let len = if max > 0.0 && bar.value.is_finite() {
            (bar.value.max(0.0) / max) * BAR_W
        } else {
            0.0
        };
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty:.1}" font-size="12" text-anchor="end">{label}</text><rect x="{LABEL_W}" y="{y:.1}" width="{len:.1}" height="{h:.1}" fill="{fill}"/><text x="{vx:.1}" y="{ty:.1}" font-size="12">{value}</text>"#,
            lx = LABEL_W - 6.0,
            ty = y + 15.0,
            label = escape(&bar.label),
            h = ROW_H - 8.0,
            fill = PALETTE[0],
            vx = LABEL_W + len + 6.0,
            value = escape(&with_unit(bar.value, unit)),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A line chart over years: one polyline per series, points marked, x axis by year, legend below.
pub fn line_chart(title: &str, series: &[Series], unit: &str) -> String {
    const LEFT: f64 = 90.0;
    const PLOT_W: f64 = 460.0;
    const TOP: f64 = 34.0;
    const PLOT_H: f64 = 200.0;
    let legend_h = 18.0 * series.len() as f64;
    let width = LEFT + PLOT_W + 40.0;
    let height = TOP + PLOT_H + 40.0 + legend_h;
    let points = || {
        series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(_, v)| v.is_finite())
    };
    let (min_year, max_year) = points().fold((i32::MAX, i32::MIN), |(lo, hi), (y, _)| (lo.min(*y), hi.max(*y)));
    let max_value = points().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let min_value = points().map(|(_, v)| *v).fold(0.0_f64, f64::min);
    let span_years = if min_year < max_year {
        f64::from(max_year) - f64::from(min_year)
    } else {
        1.0
    };
    let span_values = if max_value > min_value {
        max_value - min_value
    } else {
        1.0
    };
    let x = |year: i32| LEFT + (f64::from(year) - f64::from(min_year)) / span_years * PLOT_W;
    let y = |v: f64| TOP + PLOT_H - (v - min_value) / span_values * PLOT_H;

    let mut svg = open(title, width, height);
    let _ = write!(
        svg,
        r##"<text x="0" y="18" font-size="14" font-weight="bold">{}</text><line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" stroke="#555"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}" stroke="#555"/>"##,
        escape(title),
        b = TOP + PLOT_H,
        r = LEFT + PLOT_W,
    );
    if min_year <= max_year {
        for (v, anchor_y) in [(max_value, y(max_value)), (min_value, y(min_value))] {
            let _ = write!(
                svg,
                r#"<text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end">{label}</text>"#,
                tx = LEFT - 6.0,
                ty = anchor_y + 4.0,
                label = escape(&with_unit(v, unit)),
            );
        }
        for year in min_year..=max_year {
            let _ = write!(
                svg,
                r#"<text x="{tx:.1}" y="{ty}" font-size="11" text-anchor="middle">{year}</text>"#,
                tx = x(year),
                ty = TOP + PLOT_H + 16.0,
            );
        }
    }
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let mut pts: Vec<&(i32, f64)> = s.points.iter().filter(|(_, v)| v.is_finite()).collect();
        pts.sort_by_key(|(year, _)| *year);
        let path: Vec<String> = pts
            .iter()
            .map(|(yr, v)| format!("{:.1},{:.1}", x(*yr), y(*v)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        for (yr, v) in pts {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"#,
                x(*yr),
                y(*v)
            );
        }
        let ly = TOP + PLOT_H + 34.0 + 18.0 * i as f64;
        let _ = write!(
            svg,
            r#"<rect x="{LEFT}" y="{ry:.1}" width="12" height="12" fill="{colour}"/><text x="{tx}" y="{ty:.1}" font-size="12">{label}</text>"#,
            ry = ly - 10.0,
            tx = LEFT + 18.0,
            ty = ly,
            label = escape(&s.label),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A progress bar: `achieved` against `target`, the fill capped at the full width (an overshoot
/// still prints its true percentage). A zero target reads "objectif non défini".
pub fn progress_bar(label: &str, achieved: f64, target: f64) -> String {
    const W: f64 = 400.0;
    let ratio = if target > 0.0 && achieved.is_finite() {
        Some(achieved / target)
    } else {
        None
    };
    let fill = ratio.map(|r| r.clamp(0.0, 1.0) * W).unwrap_or(0.0);
    let text = match ratio {
        Some(r) => format!(
            "{} / {} ({} %)",
            format_number(achieved, 1),
            format_number(target, 1),
            format_number(r * 100.0, 0)
        ),
        None => format!("{} (objectif non défini)", format_number(achieved, 1)),
    };
    let title = format!("{label} : {text}");
    let mut svg = open(&title, W + 10.0, 48.0);
    let _ = write!(
        svg,
        r##"<text x="0" y="14" font-size="12">{}</text><rect x="0" y="22" width="{W}" height="16" fill="#e6e6e6" stroke="#555"/><rect x="0" y="22" width="{fill:.1}" height="16" fill="{colour}"/>"##,
        escape(&title),
        colour = PALETTE[2],
    );
    svg.push_str("</svg>");
    svg
}

fn open(title: &str, width: f64, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif"><title>{}</title>"#,
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_the_french_way() {
        assert_eq!(format_number(1234567.0, 0), "1\u{202F}234\u{202F}567");
        assert_eq!(format_number(15234.5, 2), "15\u{202F}234,5");
        assert_eq!(format_number(-3.26, 1), "-3,3");
        assert_eq!(format_number(0.0, 2), "0");
        assert_eq!(format_number(f64::NAN, 2), "–");
    }

    #[test]
    fn a_bar_chart_is_an_accessible_svg_with_escaped_labels() {
        let svg = bar_chart(
            "Salariés <par> famille",
            &[
                Bar {
                    label: "Associations & co".into(),
                    value: 10.0,
                },
                Bar {
                    label: "Fondations".into(),
                    value: 5.0,
                },
            ],
            "salariés",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title>Salariés &lt;par&gt; famille</title>"));
        assert!(svg.contains("Associations &amp; co"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(r#"width="300.0""#) && svg.contains(r#"width="150.0""#));
    }

    #[test]
    fn a_line_chart_draws_one_polyline_per_series_and_survives_no_points() {
        let svg = line_chart(
            "Évolution",
            &[
                Series {
                    label: "Calvados".into(),
                    points: vec![(2022, 10.0), (2023, 12.0)],
                },
                Series {
                    label: "Manche".into(),
                    points: vec![(2023, 8.0)],
                },
            ],
            "",
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 3);
        let empty = line_chart("Vide", &[], "");
        assert!(empty.contains("<title>Vide</title>") && empty.ends_with("</svg>"));
    }

    #[test]
    fn a_progress_bar_caps_its_fill_but_prints_the_overshoot() {
        let svg = progress_bar("Sessions", 60.0, 40.0);
        assert!(svg.contains(r#"width="400.0""#));
        assert!(svg.contains("(150 %)"));
        assert!(progress_bar("Rien", 3.0, 0.0).contains("objectif non défini"));
    }
}
