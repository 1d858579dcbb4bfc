//! NAF rév. 2 reference: the section letter of each NA88 division (2-digit NAF division), read
//! once from `data/naf_rev2_sous_classes.csv` (INSEE, `naf2008_liste_n5.xls` and
//! `int_courts_naf_rev_2.xls`; see `data/README.md`).

use std::{collections::BTreeMap, sync::LazyLock};

static NAF_CSV: &str = include_str!("../../data/naf_rev2_sous_classes.csv");

/// Division ("88") → section letter ("Q"), from the sub-classes file.
static DIVISIONS: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| {
    let mut map = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(NAF_CSV.as_bytes());
    for record in reader.records().flatten() {
        if let (Some(code), Some(section)) = (record.get(0), record.get(2))
            && let Some(division) = code.get(..2)
        {
            map.insert(division.to_owned(), section.to_owned());
        }
    }
    map
});

/// The section letter of an NA88 division, `None` when the division does not exist.
pub fn section_of_division(division: &str) -> Option<&'static str> {
    DIVISIONS.get(division).map(String::as_str)
}

/// French label of a NAF section (INSEE, NAF rév. 2, niveau 1).
pub fn section_label(section: &str) -> Option<&'static str> {
    Some(match section {
        "A" => "Agriculture, sylviculture et pêche",
        "B" => "Industries extractives",
        "C" => "Industrie manufacturière",
        "D" => "Production et distribution d'électricité, de gaz, de vapeur et d'air conditionné",
        "E" => "Production et distribution d'eau ; assainissement, gestion des déchets et dépollution",
        "F" => "Construction",
        "G" => "Commerce ; réparation d'automobiles et de motocycles",
        "H" => "Transports et entreposage",
        "I" => "Hébergement et restauration",
        "J" => "Information et communication",
        "K" => "Activités financières et d'assurance",
        "L" => "Activités immobilières",
        "M" => "Activités spécialisées, scientifiques et techniques",
        "N" => "Activités de services administratifs et de soutien",
        "O" => "Administration publique",
        "P" => "Enseignement",
        "Q" => "Santé humaine et action sociale",
        "R" => "Arts, spectacles et activités récréatives",
        "S" => "Autres activités de services",
        "T" => "Activités des ménages en tant qu'employeurs",
        "U" => "Activités extra-territoriales",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisions_map_to_their_sections() {
        assert_eq!(section_of_division("88"), Some("Q"));
        assert_eq!(section_of_division("01"), Some("A"));
        assert_eq!(section_of_division("94"), Some("S"));
        assert_eq!(section_of_division("04"), None);
        assert_eq!(section_label("Q"), Some("Santé humaine et action sociale"));
    }
}
