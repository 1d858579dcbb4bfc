//! The ESS family of a legal unit, derived from its INSEE legal category and the SIRENE ESS flag
//! (`economieSocialeSolidaireUniteLegale`). The one place where this mapping lives.
//!
//! Source: INSEE's official category → family table is not published in a form we could find;
//! [`FAMILY_BY_LEGAL_CATEGORY`] is the reconstruction from the category labels of the INSEE
//! nomenclature (September 2022) documented in `shared/data/ess_perimeter_notes.md` ("The ESS
//! perimeter: what is known, and what is not"). Categories the notes call doubtful are left out
//! (9224 lawyers' associations, 9240 congregations, 6411 mutual insurance companies, 6100 caisses
//! d'épargne): such a unit is ESS only if SIRENE flags it. Any other category with the flag `O` is
//! a commercial ESS company (loi n° 2014-856, art. 1 II). The statistical perimeter's NAF
//! exclusions (84, 94.11Z, 94.20Z, 94.91Z, 94.92Z) are the observatory's business, not applied here:
//! the registry records what an organisation is.

use super::nomenclature::LegalCategory;

/// The ESS families of the observatory's tables, plus "outside the ESS".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EssFamily {
    Association,
    Cooperative,
    Mutuelle,
    Fondation,
    SocieteCommercialeEss,
    HorsEss,
}

impl EssFamily {
    pub const ALL: [EssFamily; 6] = [
        EssFamily::Association,
        EssFamily::Cooperative,
        EssFamily::Mutuelle,
        EssFamily::Fondation,
        EssFamily::SocieteCommercialeEss,
        EssFamily::HorsEss,
    ];

    /// Stable key used in the database and in events.
    pub fn key(self) -> &'static str {
        match self {
            EssFamily::Association => "association",
            EssFamily::Cooperative => "cooperative",
            EssFamily::Mutuelle => "mutuelle",
            EssFamily::Fondation => "fondation",
            EssFamily::SocieteCommercialeEss => "societe_commerciale_ess",
            EssFamily::HorsEss => "hors_ess",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    /// Whether the family belongs to the ESS.
    pub fn is_ess(self) -> bool {
        self != EssFamily::HorsEss
    }
}

/// Legal categories (INSEE level III codes) whose form alone puts a unit in an ESS family.
pub const FAMILY_BY_LEGAL_CATEGORY: &[(EssFamily, &[&str])] = &[
    (
        EssFamily::Association,
        &["9210", "9220", "9221", "9222", "9223", "9230", "9260"],
    ),
    (EssFamily::Fondation, &["9300"]),
    (EssFamily::Mutuelle, &["8210", "8250", "8290"]),
    (
        EssFamily::Cooperative,
        &[
            "5191", "5192", "5193", "5194", "5195", "5196", "5203", "5307", "5309", // banks, SICA...
            "5432", "5532", "5632", "6532", // SICA
            "5443", "5543", "5643", "6543", //
            "5451", "5551", "5651", "6551", //
            "5552", "5652", //
            "5453", "5553", "5653", //
            "5454", "5554", "5654", "6554", //
            "5455", "5555", "5655", //
            "5458", "5558", "5658", // SCOP
            "5459", "5559", "5659", //
            "5460", "5560", "5660", //
            "5547", "5647", //
            "6316", "6317", "6318", "6558", "6560", "6595", "6596", // CUMA, agricultural cooperatives
        ],
    ),
];

/// The family of a unit: by its legal category when the table names it, else a commercial ESS
/// company when SIRENE flags it (`sirene_ess == Some(true)`), else outside the ESS.
pub fn derive(legal_category: Option<&LegalCategory>, sirene_ess: Option<bool>) -> EssFamily {
    let by_category = legal_category.and_then(|c| {
        FAMILY_BY_LEGAL_CATEGORY
            .iter()
            .find(|(_, codes)| codes.contains(&c.as_str()))
            .map(|(family, _)| *family)
    });
    match (by_category, sirene_ess) {
        (Some(family), _) => family,
        (None, Some(true)) => EssFamily::SocieteCommercialeEss,
        (None, _) => EssFamily::HorsEss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(code: &str) -> LegalCategory {
        LegalCategory::parse(code).expect("in the nomenclature")
    }

    #[test]
    fn every_category_of_the_table_is_in_the_nomenclature_once() {
        let mut seen = std::collections::HashSet::new();
        for (_, codes) in FAMILY_BY_LEGAL_CATEGORY {
            for code in *codes {
                assert!(LegalCategory::parse(code).is_ok(), "{code}");
                assert!(seen.insert(*code), "{code} twice");
            }
        }
    }

    #[test]
    fn families_follow_the_category_then_the_flag() {
        assert_eq!(derive(Some(&cat("9220")), None), EssFamily::Association);
        assert_eq!(derive(Some(&cat("9300")), Some(false)), EssFamily::Fondation);
        assert_eq!(derive(Some(&cat("5458")), None), EssFamily::Cooperative);
        assert_eq!(derive(Some(&cat("8210")), None), EssFamily::Mutuelle);
        // A SCOP under SAS form has no cooperative category: only the flag says it is ESS.
        assert_eq!(derive(Some(&cat("5710")), Some(true)), EssFamily::SocieteCommercialeEss);
        assert_eq!(derive(Some(&cat("5710")), Some(false)), EssFamily::HorsEss);
        assert_eq!(derive(None, None), EssFamily::HorsEss);
        assert_eq!(
            derive(Some(&cat("9240")), None),
            EssFamily::HorsEss,
            "doubtful: left out"
        );
    }

    #[test]
    fn keys_round_trip() {
        for f in EssFamily::ALL {
            assert_eq!(EssFamily::from_key(f.key()), Some(f));
        }
    }
}
