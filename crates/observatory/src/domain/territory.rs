//! Territories the observatory reports on. The French names of départements are what the public
//! reads; the codes are INSEE's (Code officiel géographique).

use std::{collections::BTreeMap, sync::LazyLock};

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

/// Code of the former region (ancienne région, before 2016) Basse-Normandie: Calvados (14),
/// Manche (50) and Orne (61). Source: INSEE, Code officiel géographique 2015.
pub const BASSE_NORMANDIE: &str = "25";
/// Départements of the former region Basse-Normandie.
pub const BASSE_NORMANDIE_DEPARTEMENTS: [&str; 3] = ["14", "50", "61"];
/// Code of the region Normandie (since 2016), which holds Basse-Normandie.
pub const NORMANDIE: &str = "28";

/// Whether `code` is a département of the Code officiel géographique: 01–95 without 20, Corsica's
/// 2A and 2B, and the overseas départements 971–976.
pub fn is_known_departement(code: &str) -> bool {
    match code {
        "2A" | "2B" => true,
        _ if code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()) => {
            matches!(code.parse::<u8>(), Ok(n) if (1..=95).contains(&n) && n != 20)
        }
        _ if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => {
            matches!(code.parse::<u16>(), Ok(n) if (971..=976).contains(&n))
        }
        _ => false,
    }
}

/// French name of a former region (the two Normandies), else `None`.
pub fn ancienne_region_name(code: &str) -> Option<&'static str> {
    Some(match code {
        BASSE_NORMANDIE => "Basse-Normandie",
        "23" => "Haute-Normandie",
        _ => return None,
    })
}

/// French name of a region (only Normandie and its neighbours), else `None`.
pub fn region_name(code: &str) -> Option<&'static str> {
    Some(match code {
        NORMANDIE => "Normandie",
        "11" => "Île-de-France",
        "24" => "Centre-Val de Loire",
        "32" => "Hauts-de-France",
        "52" => "Pays de la Loire",
        "53" => "Bretagne",
        _ => return None,
    })
}

static COMMUNES_CSV: &str = include_str!("../../data/communes_basse_normandie.csv");

/// EPCI (SIREN) → its département, for the EPCIs of Basse-Normandie whose communes all lie in one
/// département. Source: `data/communes_basse_normandie.csv` (COG 2026, EPCI membership 2025).
static EPCI_DEPARTEMENTS: LazyLock<BTreeMap<String, Option<String>>> = LazyLock::new(|| {
    let mut map: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(COMMUNES_CSV.as_bytes());
    for record in reader.records().flatten() {
        if let (Some(dep), Some(epci)) = (record.get(2), record.get(3)) {
            map.entry(epci.to_owned())
                .and_modify(|known| {
                    if known.as_deref() != Some(dep) {
                        *known = None; // spans two départements
                    }
                })
                .or_insert_with(|| Some(dep.to_owned()));
        }
    }
    map
});

/// Commune (INSEE code) → (département, EPCI), for the communes of Basse-Normandie.
static COMMUNES: LazyLock<BTreeMap<String, (String, String)>> = LazyLock::new(|| {
    let mut reader = csv::Reader::from_reader(COMMUNES_CSV.as_bytes());
    reader
        .records()
        .flatten()
        .filter_map(|r| Some((r.get(0)?.to_owned(), (r.get(2)?.to_owned(), r.get(3)?.to_owned()))))
        .collect()
});

/// The département and EPCI of a commune of Basse-Normandie (COG 2026, EPCI 2025); `None` for a
/// commune outside it.
pub fn commune_of_basse_normandie(code: &str) -> Option<(&'static str, &'static str)> {
    COMMUNES.get(code).map(|(d, e)| (d.as_str(), e.as_str()))
}

/// The département of an EPCI of Basse-Normandie, `None` when unknown or spanning several.
pub fn departement_of_epci(epci: &str) -> Option<&'static str> {
    EPCI_DEPARTEMENTS.get(epci).and_then(|d| d.as_deref())
}

/// Whether `code` looks like an EPCI's SIREN (9 digits).
pub fn is_epci_code(code: &str) -> bool {
    code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The levels the observatory aggregates to, finest first. Totals are consistent across levels
/// because every level is a sum of the same stored facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TerritoryLevel {
    Commune,
    Epci,
    Departement,
    /// The former region (Basse-Normandie = 14 + 50 + 61).
    AncienneRegion,
    Region,
}

impl TerritoryLevel {
    /// The French name of a territory of this level, when we know it.
    pub fn name(self, code: &str) -> Option<&'static str> {
        match self {
            TerritoryLevel::Departement => departement_name(code),
            TerritoryLevel::AncienneRegion => ancienne_region_name(code),
            TerritoryLevel::Region => region_name(code),
            TerritoryLevel::Commune | TerritoryLevel::Epci => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn communes_of_basse_normandie_know_their_departement_and_epci() {
        assert_eq!(commune_of_basse_normandie("14047").map(|c| c.0), Some("14")); // Bayeux
        assert_eq!(commune_of_basse_normandie("75056"), None);
    }

    #[test]
    fn epcis_of_basse_normandie_know_their_departement() {
        assert_eq!(departement_of_epci("241400555"), Some("14")); // CC de Bayeux Intercom
        assert_eq!(departement_of_epci("999999999"), None);
    }

    #[test]
    fn known_departements_follow_the_cog() {
        for code in ["01", "14", "2A", "2B", "50", "61", "95", "971", "976"] {
            assert!(is_known_departement(code), "{code}");
        }
        for code in ["00", "20", "96", "99", "970", "977", "1", "14 ", "XX"] {
            assert!(!is_known_departement(code), "{code}");
        }
    }

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
