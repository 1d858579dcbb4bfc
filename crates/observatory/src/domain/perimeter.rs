//! The statistical perimeter of the ESS, in one table-driven place: which INSEE legal categories
//! make which ESS family, when the SIRENE ESS flag adds a commercial ESS company, and which
//! activities are excluded.
//!
//! Source: INSEE's method (perimeter by legal category, minus some activities, in families), as
//! reconstructed from the labels of the INSEE nomenclature of *catégories juridiques* (level III,
//! September 2022, `data/insee_categories_juridiques.csv`) in `shared/data/ess_perimeter_notes.md`:
//! INSEE's own category → family table is not public. Categories the notes mark as doubtful are
//! left out and listed below, so that correcting the table is a one-line change.
//! - left out: 9224 (association d'avocats), 9240 (congrégation: religious, excluded by NAF
//!   94.91Z anyway), 6411 (société d'assurance à forme mutuelle), 6100 (caisse d'épargne et de
//!   prévoyance).
//! - commercial ESS companies (loi n° 2014-856, art. 1 II) have no category of their own: any
//!   other category with `economieSocialeSolidaireUniteLegale = O` (e.g. SCOP or SCIC as SAS).

use super::family::Family;

/// Legal category (4 digits) → ESS family.
pub const LEGAL_CATEGORY_FAMILIES: &[(&str, Family)] = &[
    // Associations
    ("9210", Family::Associations),
    ("9220", Family::Associations),
    ("9221", Family::Associations),
    ("9222", Family::Associations),
    ("9223", Family::Associations),
    ("9230", Family::Associations),
    ("9260", Family::Associations),
    // Fondations
    ("9300", Family::Fondations),
    // Mutuelles
    ("8210", Family::Mutuelles),
    ("8250", Family::Mutuelles),
    ("8290", Family::Mutuelles),
    // Coopératives: categories whose label names a cooperative form
    ("5191", Family::Cooperatives),
    ("5192", Family::Cooperatives),
    ("5193", Family::Cooperatives),
    ("5194", Family::Cooperatives),
    ("5195", Family::Cooperatives),
    ("5196", Family::Cooperatives),
    ("5203", Family::Cooperatives),
    ("5307", Family::Cooperatives),
    ("5309", Family::Cooperatives),
    ("5432", Family::Cooperatives), // SICA
    ("5532", Family::Cooperatives),
    ("5632", Family::Cooperatives),
    ("6532", Family::Cooperatives),
    ("5443", Family::Cooperatives),
    ("5543", Family::Cooperatives),
    ("5643", Family::Cooperatives),
    ("6543", Family::Cooperatives),
    ("5451", Family::Cooperatives),
    ("5551", Family::Cooperatives),
    ("5651", Family::Cooperatives),
    ("6551", Family::Cooperatives),
    ("5552", Family::Cooperatives),
    ("5652", Family::Cooperatives),
    ("5453", Family::Cooperatives),
    ("5553", Family::Cooperatives),
    ("5653", Family::Cooperatives),
    ("5454", Family::Cooperatives),
    ("5554", Family::Cooperatives),
    ("5654", Family::Cooperatives),
    ("6554", Family::Cooperatives),
    ("5455", Family::Cooperatives),
    ("5555", Family::Cooperatives),
    ("5655", Family::Cooperatives),
    ("5458", Family::Cooperatives), // SCOP
    ("5558", Family::Cooperatives),
    ("5658", Family::Cooperatives),
    ("5459", Family::Cooperatives),
    ("5559", Family::Cooperatives),
    ("5659", Family::Cooperatives),
    ("5460", Family::Cooperatives),
    ("5560", Family::Cooperatives),
    ("5660", Family::Cooperatives),
    ("5547", Family::Cooperatives),
    ("5647", Family::Cooperatives),
    ("6316", Family::Cooperatives), // CUMA
    ("6317", Family::Cooperatives),
    ("6318", Family::Cooperatives),
    ("6558", Family::Cooperatives),
    ("6560", Family::Cooperatives),
    ("6595", Family::Cooperatives),
    ("6596", Family::Cooperatives),
];

/// NAF rév. 2 activities outside the statistical perimeter (INSEE): the whole division 84 (public
/// administration), and these sub-classes: employer and consular bodies, trade unions, religious
/// and political organisations. The exact list is not confirmed in a primary source.
pub const EXCLUDED_NAF_DIVISIONS: &[&str] = &["84"];
pub const EXCLUDED_NAF_SUBCLASSES: &[&str] = &["94.11Z", "94.20Z", "94.91Z", "94.92Z"];

/// The family of a legal unit, from its legal category and its SIRENE ESS flag (`O` = yes);
/// `None` outside the ESS.
pub fn family_of(legal_category: &str, ess_flag: &str) -> Option<Family> {
    LEGAL_CATEGORY_FAMILIES
        .iter()
        .find(|(code, _)| *code == legal_category)
        .map(|(_, f)| *f)
        .or_else(|| (ess_flag.trim() == "O").then_some(Family::SocietesCommerciales))
}

/// A NAF code as SIRENE writes it ("94.99Z"), also accepted without the dot ("9499Z").
pub fn normalise_naf(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let compact: String = raw.chars().filter(|c| *c != '.').collect();
    let ok = compact.len() == 5
        && compact[..4].bytes().all(|b| b.is_ascii_digit())
        && compact.as_bytes()[4].is_ascii_uppercase();
    ok.then(|| format!("{}.{}", &compact[..2], &compact[2..]))
}

/// Whether an establishment's activity (normalised NAF code) is outside the perimeter.
pub fn is_excluded_activity(naf: &str) -> bool {
    EXCLUDED_NAF_DIVISIONS.iter().any(|d| naf.starts_with(d)) || EXCLUDED_NAF_SUBCLASSES.contains(&naf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_category_exists_in_the_insee_nomenclature() {
        let insee = include_str!("../../data/insee_categories_juridiques.csv");
        for (code, _) in LEGAL_CATEGORY_FAMILIES {
            assert!(insee.lines().any(|l| l.starts_with(&format!("{code},"))), "{code}");
        }
    }

    #[test]
    fn families_come_from_the_category_then_from_the_ess_flag() {
        assert_eq!(family_of("9220", "N"), Some(Family::Associations));
        assert_eq!(family_of("5458", ""), Some(Family::Cooperatives));
        assert_eq!(family_of("5710", "O"), Some(Family::SocietesCommerciales));
        assert_eq!(family_of("5710", "N"), None);
        assert_eq!(family_of("9224", ""), None, "doubtful, left out");
    }

    #[test]
    fn excluded_activities_follow_the_table() {
        assert!(is_excluded_activity("84.11Z") && is_excluded_activity("94.20Z"));
        assert!(!is_excluded_activity("94.99Z") && !is_excluded_activity("88.99B"));
        assert_eq!(normalise_naf("9499Z").as_deref(), Some("94.99Z"));
        assert_eq!(normalise_naf("94.99Z").as_deref(), Some("94.99Z"));
        assert_eq!(normalise_naf("94.9"), None);
    }
}
