//! The page shell every dashboard page shares (French, one inline stylesheet, a skip link, a
//! header and a footer), HTML escaping, and French number formatting of exact decimal strings.

/// Escapes text for HTML element content and attribute values.
pub fn escape(raw: &str) -> String {
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

/// An exact decimal ("15234.5", "-3.4", "+2.0") written the French way: digits grouped by three
/// with a narrow no-break space, a decimal comma. No rounding: what the API says is what shows.
/// Anything that is not a plain decimal is returned escaped as it came.
pub fn french_decimal(raw: &str) -> String {
    let (sign, digits) = match raw.strip_prefix(['-', '+']) {
        Some(rest) => (&raw[..1], rest),
        None => ("", raw),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return escape(raw);
    }
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 * 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202F}');
        }
        grouped.push(ch);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.5}\
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}\
header{border-bottom:3px solid #0072B2}header p{margin:.5rem 0}\
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}\
a{color:#00527f}a:focus{outline:3px solid #E69F00}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff}\
table{border-collapse:collapse;margin:1rem 0;min-width:50%}\
caption{text-align:left;font-weight:bold;margin-bottom:.3rem}\
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
.secret{font-style:italic;color:#595959}\
.kpi{display:flex;flex-wrap:wrap;gap:1rem;padding:0;list-style:none}\
.kpi li{border:1px solid #999;padding:.5rem 1rem;min-width:10rem}\
.kpi strong{display:block;font-size:1.4rem}\
figure{margin:1rem 0}svg{max-width:100%;height:auto}\
form{margin:1rem 0}label{margin-right:.3rem}input,select,button{font:inherit;margin-right:1rem}\
footer{border-top:1px solid #999;margin-top:2rem;font-size:.9rem}";

/// A whole page: `<title>` is `title` followed by the site's name; `main` is trusted HTML.
pub fn page(title: &str, main: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — Observatoire régional de l'ESS</title><style>{STYLE}</style></head>\
         <body><a class=\"skip\" href=\"#contenu\">Aller au contenu</a>\
         <header><p><strong>Observatoire régional de l'ESS — Normandie</strong></p>\
         <nav aria-label=\"Navigation principale\"><ul><li><a href=\"/\">Accueil</a></li>\
         <li><a href=\"/territoires/ancienne-region/25\">Basse-Normandie</a></li>\
         <li><a href=\"/plan\">Plan d'action</a></li>\
         <li><a href=\"/rapports\">Rapports publiés</a></li>\
         <li><a href=\"/ressources\">Centre de ressources</a></li></ul></nav></header>\
         <main id=\"contenu\">{main}</main>\
         <footer><p>Sources : URSSAF (données ESS et secteur privé), INSEE (SIRENE). Les cellules \
         couvrant moins de 3 établissements, ou dont un établissement représente plus de 85 % de la \
         valeur, sont masquées (« secret statistique »), ainsi que celles qui permettraient de les \
         recalculer.</p></footer></body></html>",
        title = escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_the_french_way_without_rounding() {
        assert_eq!(french_decimal("15234.5"), "15\u{202F}234,5");
        assert_eq!(french_decimal("380862500"), "380\u{202F}862\u{202F}500");
        assert_eq!(french_decimal("-3.25"), "-3,25");
        assert_eq!(french_decimal("+12.0"), "+12,0");
        assert_eq!(french_decimal("987"), "987");
        assert_eq!(french_decimal("<b>"), "&lt;b&gt;");
    }

    #[test]
    fn a_page_is_french_and_fetches_nothing() {
        let html = page("Accueil", "<h1>Accueil</h1>");
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
        assert_eq!(html.matches("<style>").count(), 1);
    }
}
