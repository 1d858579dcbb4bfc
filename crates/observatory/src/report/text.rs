//! Text helpers of the reports: XML escaping and French number notation. (`charts.rs` keeps its
//! own private copies, so that the chart module stands alone.)

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
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
pub fn french_number(value: f64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers_and_escaping() {
        assert_eq!(french_number(0.0), "0");
        assert_eq!(french_number(1234567.0), "1\u{202f}234\u{202f}567");
        assert_eq!(french_number(12.345), "12,35");
        assert_eq!(french_number(-3.0), "-3");
        assert_eq!(escape("<a href='x'>&</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
    }
}
