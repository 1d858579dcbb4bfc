//! Small inline SVG charts for the reports and the public pages: horizontal bars, lines over years
//! and a progress bar against a target. Each chart is an `<svg role="img">` with a `<title>` and a
//! `<desc>` that states every figure in words, so a screen reader (or a reader without images)
//! gets the same information; no script, no font or style fetched from anywhere. Meant to be
//! inlined in HTML, so the `<svg>` carries no namespace URL (HTML parsers put it in the SVG
//! namespace themselves).
//!
//! Hand-written rather than a plotting crate: these three shapes are a few dozen lines each, and a
//! library (plotters & co.) would bring fonts, image back-ends and much more code than the charts.

use std::fmt::Write as _;

/// One bar: a label and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// One line: a label and its points (year, value).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(i32, f64)>,
}

const WIDTH: f64 = 640.0;
const COLOURS: [&str; 6] = ["#1d4f91", "#c0392b", "#2e7d32", "#8e44ad", "#d35400", "#16697a"];

/// Escapes text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
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

/// A value in French notation: thousands separated by a narrow no-break space, decimal comma, at
/// most two decimals (trailing zeros dropped).
fn french_number(value: f64) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    let hundredths = (value.abs() * 100.0).round() as u64;
    let negative = value < 0.0 && hundredths > 0;
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(d);
    }
    let sign = if negative { "-" } else { "" };
    match frac {
        0 => format!("{sign}{grouped}"),
        f if f % 10 == 0 => format!("{sign}{grouped},{}", f / 10),
        f => format!("{sign}{grouped},{f:02}"),
    }
}

fn with_unit(value: f64, unit: &str) -> String {
    if unit.is_empty() {
        french_number(value)
    } else {
        format!("{} {unit}", french_number(value))
    }
}

fn open(out: &mut String, title: &str, desc: &str, height: f64) {
    let _ = write!(
        out,
        "<svg role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\
         <title>{}</title><desc>{}</desc>",
        escape(title),
        escape(desc)
    );
}

/// Horizontal bars, one per entry, with the value written at the end of each bar.
pub fn bar_chart(title: &str, bars: &[Bar], unit: &str) -> String {
    let row = 24.0;
    let top = 28.0;
    let label_width = 220.0;
    let value_width = 150.0;
    let plot = WIDTH - label_width - value_width;
    let height = top + row * bars.len().max(1) as f64 + 8.0;
    let max = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let desc = if bars.is_empty() {
        "Aucune donnée.".to_owned()
    } else {
        bars.iter()
            .map(|b| format!("{} : {}", b.label, with_unit(b.value, unit)))
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    let mut out = String::new();
    open(&mut out, title, &desc, height);
    let _ = write!(
        out,
        "<text x=\"0\" y=\"16\" font-weight=\"bold\">{}</text>",
        escape(title)
    );
    if bars.is_empty() {
        let _ = write!(out, "<text x=\"0\" y=\"{}\">Aucune donnée</text>", top + 16.0);
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let w = if max > 0.0 && b.value.is_finite() {
            (b.value.max(0.0) / max * plot).max(1.0)
        } else {
            0.0
        };
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{rx}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\" fill=\"{fill}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\">{value}</text>",
            x = label_width - 6.0,
            ty = y + 15.0,
            label = escape(&b.label),
            rx = label_width,
            h = row - 6.0,
            fill = COLOURS[0],
            vx = label_width + w + 4.0,
            value = escape(&with_unit(b.value, unit)),
        );
    }
    out.push_str("</svg>");
    out
}

/// Lines over years, one colour per series, with a legend and the first and last years marked.
pub fn line_chart(title: &str, series: &[Series], unit: &str) -> String {
    let height = 260.0;
    let (left, right, top, bottom) = (60.0, 160.0, 30.0, 30.0);
    let points = series.iter().flat_map(|s| s.points.iter());
    let (mut min_year, mut max_year, mut max) = (i32::MAX, i32::MIN, 0.0_f64);
    for &(year, value) in points {
        min_year = min_year.min(year);
        max_year = max_year.max(year);
        if value.is_finite() {
            max = max.max(value);
        }
    }
    let desc = if min_year > max_year {
        "Aucune donnée.".to_owned()
    } else {
        series
            .iter()
            .map(|s| {
                let pts = s
                    .points
                    .iter()
                    .map(|(y, v)| format!("{y} : {}", with_unit(*v, unit)))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{} — {pts}", s.label)
            })
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    let mut out = String::new();
    open(&mut out, title, &desc, height);
    let _ = write!(
        out,
        "<text x=\"0\" y=\"16\" font-weight=\"bold\">{}</text>",
        escape(title)
    );
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let _ = write!(
        out,
        "<line x1=\"{left}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#555\"/>\
         <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{y0}\" stroke=\"#555\"/>\
         <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{max_label}</text>\
         <text x=\"{lx}\" y=\"{y0}\" text-anchor=\"end\">0</text>",
        y0 = top + plot_h,
        x1 = left + plot_w,
        lx = left - 4.0,
        ty = top + 4.0,
        max_label = escape(&french_number(max)),
    );
    if min_year <= max_year {
        let span = f64::from((max_year - min_year).max(1));
        let x = |year: i32| left + f64::from(year - min_year) / span * plot_w;
        let y = |value: f64| top + plot_h - if max > 0.0 { value.max(0.0) / max * plot_h } else { 0.0 };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{yl}\" text-anchor=\"middle\">{min_year}</text>",
            x(min_year),
            yl = height - 10.0
        );
        if max_year != min_year {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{yl}\" text-anchor=\"middle\">{max_year}</text>",
                x(max_year),
                yl = height - 10.0
            );
        }
        for (i, s) in series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let mut pts: Vec<(i32, f64)> = s.points.iter().copied().filter(|(_, v)| v.is_finite()).collect();
            pts.sort_by_key(|(year, _)| *year);
            let path = pts
                .iter()
                .map(|&(year, v)| format!("{:.1},{:.1}", x(year), y(v)))
                .collect::<Vec<_>>()
                .join(" ");
            let _ = write!(
                out,
                "<polyline points=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>"
            );
            for &(year, v) in &pts {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"/>",
                    x(year),
                    y(v)
                );
            }
            let ly = top + 16.0 * i as f64;
            let _ = write!(
                out,
                "<rect x=\"{lx}\" y=\"{ry}\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
                 <text x=\"{tx}\" y=\"{ty}\">{label}</text>",
                lx = left + plot_w + 10.0,
                ry = ly,
                tx = left + plot_w + 24.0,
                ty = ly + 9.0,
                label = escape(&s.label),
            );
        }
    } else {
        let _ = write!(out, "<text x=\"{left}\" y=\"{}\">Aucune donnée</text>", top + 20.0);
    }
    out.push_str("</svg>");
    out
}

/// A bar filled to `achieved / target` (capped at the full width; the text gives the real ratio).
pub fn progress_bar(label: &str, achieved: f64, target: f64) -> String {
    let percent = if target > 0.0 && achieved.is_finite() {
        achieved / target * 100.0
    } else {
        0.0
    };
    let text = format!(
        "{label} : {} sur {} ({} %)",
        french_number(achieved),
        french_number(target),
        french_number(percent)
    );
    let mut out = String::new();
    open(&mut out, label, &text, 44.0);
    let full = WIDTH - 2.0;
    let filled = (percent.clamp(0.0, 100.0) / 100.0 * full).max(0.0);
    let colour = if percent >= 100.0 { COLOURS[2] } else { COLOURS[0] };
    let _ = write!(
        out,
        "<text x=\"0\" y=\"14\">{}</text>\
         <rect x=\"1\" y=\"20\" width=\"{full}\" height=\"18\" fill=\"#e6e6e6\" stroke=\"#555\"/>\
         <rect x=\"1\" y=\"20\" width=\"{filled:.1}\" height=\"18\" fill=\"{colour}\"/>",
        escape(&text)
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_carry_their_title_and_figures_in_words() {
        let svg = bar_chart(
            "Activités <par> type",
            &[
                Bar {
                    label: "Atelier".into(),
                    value: 12.0,
                },
                Bar {
                    label: "Forum".into(),
                    value: 1234.5,
                },
            ],
            "",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title>Activités &lt;par&gt; type</title>"));
        assert!(svg.contains("Forum : 1\u{202f}234,5"));
        let line = line_chart(
            "Évolution",
            &[Series {
                label: "Emplois".into(),
                points: vec![(2022, 10.0), (2023, 12.0)],
            }],
            "salariés",
        );
        assert!(line.contains("2022 : 10 salariés"));
        assert!(progress_bar("Séances", 30.0, 40.0).contains("30 sur 40 (75 %)"));
    }

    #[test]
    fn french_numbers() {
        assert_eq!(french_number(0.0), "0");
        assert_eq!(french_number(1234567.0), "1\u{202f}234\u{202f}567");
        assert_eq!(french_number(12.345), "12,35");
        assert_eq!(french_number(12.5), "12,5");
        assert_eq!(french_number(0.05), "0,05");
        assert_eq!(french_number(-3.0), "-3");
    }
}
