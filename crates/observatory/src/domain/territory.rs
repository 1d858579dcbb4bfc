//! Territories the observatory reports on. The French names of départements are what the public
//! reads; the codes are INSEE's (Code officiel géographique).

/// French name of a département, for the départements of Normandy and their neighbours the
/// partnership reports on; `None` for others (shown by code only).
pub fn departement_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "14" => "Calvados",
        "27" => "Eure",
        "35" => "Ille-et-Vilaine",
        "50" => "Manche",
        "53" => "Mayenne",
        "61" => "Orne",
        "72" => "Sarthe",
        "76" => "Seine-Maritime",
        "28" => "Eure-et-Loir",
        "75" => "Paris",
        _ => return None,
    })
}

/// A département code as carried by events: 2 or 3 characters, digits or Corsica's 2A/2B.
pub fn is_departement_code(code: &str) -> bool {
    matches!(code.len(), 2 | 3) && code.chars().all(|c| c.is_ascii_digit() || c == 'A' || c == 'B')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_departements_of_basse_normandie_have_their_french_names() {
        assert_eq!(departement_name("14"), Some("Calvados"));
        assert_eq!(departement_name("50"), Some("Manche"));
        assert_eq!(departement_name("61"), Some("Orne"));
        assert_eq!(departement_name("13"), None);
    }

    #[test]
    fn departement_codes_are_checked_for_shape() {
        assert!(is_departement_code("14") && is_departement_code("2A") && is_departement_code("974"));
        assert!(!is_departement_code("") && !is_departement_code("1") && !is_departement_code("14; DROP"));
    }
}
