//! Search keys: text folded so that "theatre" finds "Théâtre" and "OEUVRE" finds "Œuvre".
//! The same fold is applied to what is stored and to what is searched, in Rust, so the database
//! needs no `unaccent` dictionary. The folded words are indexed as they are (`search_words`, a
//! word index): a search finds the names in which the folded query starts at a word.

use unicode_normalization::{UnicodeNormalization as _, char::is_combining_mark};

/// Lower case, accents removed (NFD then combining marks dropped), ligatures expanded, runs of
/// whitespace and punctuation collapsed to one space, trimmed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    // Lower case after the decomposition, and marks dropped after lower-casing: "ẞ" lowers to
    // "ß" and "İ" to "i" + a combining dot, which must fold like the lower-case letters do.
    let letters = text
        .nfd()
        .flat_map(char::to_lowercase)
        .filter(|c| !is_combining_mark(*c));
    for c in letters {
        let expanded: &str = match c {
            'œ' => "oe",
            'æ' => "ae",
            'ß' => "ss",
            _ => "",
        };
        if !expanded.is_empty() || c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            if expanded.is_empty() {
                out.push(c);
            } else {
                out.push_str(expanded);
            }
        } else {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accents_case_and_punctuation_do_not_matter() {
        assert_eq!(fold("Théâtre de l'Œuvre"), "theatre de l oeuvre");
        assert!(fold("Association des Amis du Théâtre").contains(&fold("THEATRE")));
        assert_eq!(fold("  SCOP -- Égalité  "), "scop egalite");
        assert_eq!(fold(""), "");
        assert_eq!(fold("GROẞE STRAẞE"), "grosse strasse");
        assert_eq!(fold("İZMİR"), "izmir");
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }
    }
}
