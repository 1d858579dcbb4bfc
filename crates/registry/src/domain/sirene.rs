//! Rows of the INSEE SIRENE stock files (`StockUniteLegale`, `StockEtablissement`), read by header
//! name, turned into what the registry keeps: ESS legal units, and active establishments of the
//! chosen départements. Pure: the import streams CSV records through these functions.

use std::collections::HashMap;

use super::{
    family::{self, EssFamily},
    location::{Location, commune},
    nomenclature::{LegalCategory, NafCode},
    partner::{HEADCOUNT_BANDS, PartnerName, Rna},
    search,
    siret::{Siren, Siret},
};

/// Columns an import cannot do without, per file.
pub const UNIT_REQUIRED: &[&str] = &[
    "siren",
    "denominationUniteLegale",
    "categorieJuridiqueUniteLegale",
    "economieSocialeSolidaireUniteLegale",
];
pub const ESTABLISHMENT_REQUIRED: &[&str] = &[
    "siren",
    "siret",
    "etatAdministratifEtablissement",
    "codeCommuneEtablissement",
];

/// Where each column is, by name; unknown and reordered columns are fine.
#[derive(Debug, Clone)]
pub struct Header(HashMap<String, usize>);

/// Why a header is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the header is not comma-separated (found ';'): export the file with commas")]
    Semicolons,
    #[error("missing required column {0}")]
    Missing(&'static str),
}

impl Header {
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>, required: &[&'static str]) -> Result<Self, HeaderError> {
        let map: HashMap<String, usize> = names
            .into_iter()
            .enumerate()
            // A UTF-8 byte-order mark may precede the first name.
            .map(|(i, n)| (n.trim().trim_start_matches('\u{feff}').to_owned(), i))
            .collect();
        if let Some(&missing) = required.iter().find(|c| !map.contains_key(**c)) {
            if map.len() == 1 && map.keys().any(|k| k.contains(';')) {
                return Err(HeaderError::Semicolons);
            }
            return Err(HeaderError::Missing(missing));
        }
        Ok(Self(map))
    }

    /// The trimmed value of `column` in `record`, empty when the column or the value is absent.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> &'r str {
        self.0
            .get(column)
            .and_then(|&i| record.get(i))
            .map(str::trim)
            .unwrap_or("")
    }
}

/// An ESS legal unit, as staged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SireneUnit {
    pub siren: String,
    pub name: String,
    pub acronym: Option<String>,
    /// `identifiantAssociationUniteLegale`, when it is a well-formed RNA number (others are ignored).
    pub rna: Option<Rna>,
    pub legal_category: String,
    pub sirene_ess: Option<bool>,
    pub family: EssFamily,
    pub naf: Option<NafCode>,
    pub search_text: String,
}

/// Reads one `StockUniteLegale` row: `Ok(None)` for a unit outside the ESS or ceased.
pub fn unit(h: &Header, r: &csv::StringRecord) -> Result<Option<SireneUnit>, String> {
    if h.get(r, "etatAdministratifUniteLegale") == "C" {
        return Ok(None);
    }
    let flag = match h.get(r, "economieSocialeSolidaireUniteLegale") {
        "O" => Some(true),
        "N" => Some(false),
        "" => None,
        _ => return Err("economieSocialeSolidaireUniteLegale must be O, N or empty".into()),
    };
    let category = LegalCategory::parse(h.get(r, "categorieJuridiqueUniteLegale"))
        .map_err(|e| format!("categorieJuridiqueUniteLegale {e}"))?;
    let family = family::derive(Some(&category), flag);
    if !family.is_ess() {
        return Ok(None);
    }
    let siren = Siren::parse(h.get(r, "siren")).map_err(|e| format!("siren {e}"))?;
    let raw_name = match h.get(r, "denominationUniteLegale") {
        "" => h.get(r, "nomUniteLegale"),
        name => name,
    };
    let name = PartnerName::parse(raw_name).map_err(|e| format!("denominationUniteLegale {e}"))?;
    let acronym = Some(h.get(r, "sigleUniteLegale"))
        .filter(|s| !s.is_empty() && s.chars().count() <= 30)
        .map(str::to_owned);
    let naf = match h.get(r, "activitePrincipaleUniteLegale") {
        "" => None,
        n => NafCode::parse(n).ok(),
    };
    let mut search_text = search::fold(name.as_str());
    if let Some(a) = &acronym {
        search_text.push(' ');
        search_text.push_str(&search::fold(a));
    }
    Ok(Some(SireneUnit {
        siren: siren.as_str().to_owned(),
        name: name.as_str().to_owned(),
        acronym,
        rna: Rna::parse(h.get(r, "identifiantAssociationUniteLegale")).ok(),
        legal_category: category.as_str().to_owned(),
        sirene_ess: flag,
        family,
        naf,
        search_text,
    }))
}

/// An active establishment of a chosen département, as staged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SireneEstablishment {
    pub siren: String,
    pub siret: String,
    pub location: Location,
    pub naf: Option<NafCode>,
    pub headcount_band: Option<String>,
    pub headcount_year: Option<i32>,
}

/// One `StockEtablissement` row of the départements: an active establishment (a partner to
/// create or update) or a closed one (its partner, if active, is archived).
#[derive(Debug, Clone, PartialEq)]
pub enum EstablishmentRow {
    Active(SireneEstablishment),
    Closed { siret: String },
}

/// Reads one `StockEtablissement` row: `Ok(None)` when outside the départements or neither active
/// nor closed (`F`, fermé).
pub fn establishment(
    h: &Header,
    r: &csv::StringRecord,
    departements: &[String],
) -> Result<Option<EstablishmentRow>, String> {
    let state = h.get(r, "etatAdministratifEtablissement");
    if state != "A" && state != "F" {
        return Ok(None);
    }
    let code = h.get(r, "codeCommuneEtablissement");
    let in_scope = departements.iter().any(|d| code.starts_with(d.as_str()));
    if !in_scope {
        return Ok(None);
    }
    let siret = Siret::parse(h.get(r, "siret")).map_err(|e| format!("siret {e}"))?;
    if siret.siren() != h.get(r, "siren") {
        return Err("siret does not start with siren".into());
    }
    if state == "F" {
        return Ok(Some(EstablishmentRow::Closed {
            siret: siret.as_str().to_owned(),
        }));
    }
    if commune(code).is_none() {
        return Err("codeCommuneEtablissement is not a current commune of the département".into());
    }
    // A postal code that disagrees with the commune (a CEDEX...) is dropped, not fatal.
    let location = Location::parse(code, h.get(r, "codePostalEtablissement"))
        .or_else(|_| Location::parse(code, ""))
        .map_err(|_| "codeCommuneEtablissement is not valid".to_owned())?;
    let naf = match h.get(r, "activitePrincipaleEtablissement") {
        "" => None,
        n => NafCode::parse(n).ok(),
    };
    let band = Some(h.get(r, "trancheEffectifsEtablissement"))
        .filter(|b| HEADCOUNT_BANDS.contains(b))
        .map(str::to_owned);
    let year = h.get(r, "anneeEffectifsEtablissement").parse::<i32>().ok();
    Ok(Some(EstablishmentRow::Active(SireneEstablishment {
        siren: siret.siren().to_owned(),
        siret: siret.as_str().to_owned(),
        location,
        naf,
        headcount_band: band,
        headcount_year: year.filter(|y| (1970..=2100).contains(y)),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(fields.to_vec())
    }

    #[test]
    fn headers_are_read_by_name_and_missing_columns_named() {
        let h = Header::parse(
            [
                "economieSocialeSolidaireUniteLegale",
                "siren",
                "extra",
                "categorieJuridiqueUniteLegale",
                "denominationUniteLegale",
            ],
            UNIT_REQUIRED,
        )
        .expect("reordered and extra columns are fine");
        let u = unit(&h, &record(&["N", "732829320", "x", "9220", "Les Amis"]))
            .expect("valid")
            .expect("an association is ESS");
        assert_eq!((u.family, u.name.as_str()), (EssFamily::Association, "Les Amis"));
        assert_eq!(
            Header::parse(["siren", "denominationUniteLegale"], UNIT_REQUIRED).unwrap_err(),
            HeaderError::Missing("categorieJuridiqueUniteLegale")
        );
        assert_eq!(
            Header::parse(["siren;siret;x"], ESTABLISHMENT_REQUIRED).unwrap_err(),
            HeaderError::Semicolons
        );
    }

    #[test]
    fn units_outside_the_ess_are_skipped_and_bad_ones_reported() {
        let h = Header::parse(UNIT_REQUIRED.iter().copied(), UNIT_REQUIRED).expect("header");
        assert_eq!(unit(&h, &record(&["732829320", "SARL X", "5499", "N"])), Ok(None));
        assert!(
            unit(&h, &record(&["732829320", "SAS Y", "5710", "O"]))
                .expect("ok")
                .is_some()
        );
        assert!(
            unit(&h, &record(&["732829321", "Asso", "9220", ""])).is_err(),
            "bad SIREN"
        );
        assert!(
            unit(&h, &record(&["732829320", "Asso", "9999", ""])).is_err(),
            "bad category"
        );
    }

    #[test]
    fn establishments_of_the_departements_are_kept_active_or_closed() {
        let h = Header::parse(ESTABLISHMENT_REQUIRED.iter().copied(), ESTABLISHMENT_REQUIRED).expect("header");
        let deps = vec!["14".to_owned(), "50".to_owned(), "61".to_owned()];
        let Some(EstablishmentRow::Active(e)) =
            establishment(&h, &record(&["732829320", "73282932000074", "A", "14118"]), &deps).expect("valid")
        else {
            panic!("an active establishment is kept");
        };
        assert_eq!(e.location.departement().as_str(), "14");
        assert_eq!(
            establishment(&h, &record(&["732829320", "73282932000074", "F", "14118"]), &deps),
            Ok(Some(EstablishmentRow::Closed {
                siret: "73282932000074".into()
            }))
        );
        assert_eq!(
            establishment(&h, &record(&["732829320", "73282932000074", "F", "75056"]), &deps),
            Ok(None),
            "closed outside the départements: nothing to do"
        );
        assert_eq!(
            establishment(&h, &record(&["732829320", "73282932000074", "A", "75056"]), &deps),
            Ok(None)
        );
        assert!(establishment(&h, &record(&["732829320", "73282932000075", "A", "14118"]), &deps).is_err());
        assert!(establishment(&h, &record(&["732829320", "73282932000074", "A", "14999"]), &deps).is_err());
    }
}
