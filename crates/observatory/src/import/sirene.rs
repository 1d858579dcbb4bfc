//! The SIRENE stock layouts (INSEE, comma-separated, camelCase headers read case-insensitively).
//! Legal units (`StockUniteLegale`) are kept when they are in the ESS perimeter
//! (`domain::perimeter`); establishments (`StockEtablissement`) when they are active, in a
//! commune of Basse-Normandie, with a NAF rév. 2 activity inside the perimeter. Establishments
//! are then joined to their legal unit's family and summed per commune × family × NA88 division
//! as they are read ([`EstablishmentSums`]), so that only the facts reach the database.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{ColumnError, Layout, Row, RowOutcome};
use crate::domain::{
    dataset::{Establishment, LegalUnit, Record},
    family::Family,
    headcount,
    naf::section_of_division,
    perimeter::{family_of, is_excluded_activity, normalise_naf},
    territory::commune_of_basse_normandie,
};

/// The legal units of one edition by SIREN: the family their establishments count in. A SIREN is
/// nine digits, so it fits a `u32`: some 16 bytes a unit, 25 MB for the 1.5 million legal units of
/// the ESS perimeter in France.
#[derive(Debug, Default)]
pub struct LegalUnitFamilies(HashMap<u32, Family>);

impl LegalUnitFamilies {
    /// From `(siren, family)` pairs. A SIREN given twice keeps its last family (INSEE's stock has
    /// one row per SIREN); a SIREN that is not nine digits is left out (`sirene_legal_units`
    /// checks them, so none is).
    pub fn new(units: impl IntoIterator<Item = (String, Family)>) -> Self {
        Self(
            units
                .into_iter()
                .filter_map(|(siren, family)| Some((siren_number(&siren)?, family)))
                .collect(),
        )
    }

    /// Adds one legal unit (see [`LegalUnitFamilies::new`]).
    pub fn insert(&mut self, siren: &str, family: Family) {
        if let Some(n) = siren_number(siren) {
            self.0.insert(n, family);
        }
    }

    /// The family of `siren`'s legal unit, when it is in the ESS perimeter of the edition.
    pub fn family(&self, siren: &str) -> Option<Family> {
        self.0.get(&siren_number(siren)?).copied()
    }

    /// Legal units held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn siren_number(siren: &str) -> Option<u32> {
    (siren.len() == 9 && siren.bytes().all(|b| b.is_ascii_digit()))
        .then(|| siren.parse().ok())
        .flatten()
}

/// One fact of a SIRENE establishments import: the establishments of one commune × family × NA88
/// division, their estimated employees, and the largest one's (for the dominance rule). Borrowed
/// from [`EstablishmentFacts`], so that writing a whole stock's facts allocates nothing per fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstablishmentFact<'a> {
    pub commune: &'a str,
    pub epci: &'static str,
    pub departement: &'static str,
    pub family: Family,
    pub na88: &'a str,
    pub naf_section: &'static str,
    pub establishments: i64,
    pub employees: Decimal,
    pub largest_employees: Decimal,
}

/// The facts of an import, sorted by commune, NA88 division and family (the order of the
/// `facts_commune` index); some 48 bytes a fact.
#[derive(Debug)]
pub struct EstablishmentFacts(Vec<(FactKey, Sum)>);

impl EstablishmentFacts {
    /// Facts held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The facts in order, with their territories and NAF section.
    pub fn iter(&self) -> impl Iterator<Item = Result<EstablishmentFact<'_>, UnexpectedCode>> {
        self.0.iter().map(|(k, s)| {
            let commune = std::str::from_utf8(&k.commune).map_err(|_| UnexpectedCode)?;
            let na88 = std::str::from_utf8(&k.na88).map_err(|_| UnexpectedCode)?;
            let (departement, epci) = commune_of_basse_normandie(commune).ok_or(UnexpectedCode)?;
            Ok(EstablishmentFact {
                commune,
                epci,
                departement,
                family: k.family,
                na88,
                naf_section: section_of_division(na88).ok_or(UnexpectedCode)?,
                establishments: s.establishments,
                employees: s.employees,
                largest_employees: s.largest,
            })
        })
    }
}

/// Compact key of a fact: communes of Basse-Normandie are five ASCII characters, NA88 divisions
/// two; 8 bytes instead of two heap strings, so that the sums of a whole stock stay small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct FactKey {
    commune: [u8; 5],
    na88: [u8; 2],
    family: Family,
}

#[derive(Debug, Clone, Default)]
struct Sum {
    establishments: i64,
    employees: Decimal,
    largest: Decimal,
}

/// Establishments joined to their legal unit's family and summed per commune × family × NA88
/// division while the file is read: what `INSERT … SELECT … JOIN … GROUP BY` over a staging table
/// did, without sending every establishment to the database first. Memory grows with the facts
/// (at most communes × families × divisions), not with the file.
#[derive(Debug, Default)]
pub struct EstablishmentSums {
    sums: HashMap<FactKey, Sum>,
    /// Establishments whose legal unit is outside the perimeter (or not in the edition).
    outside: u64,
}

/// An establishment the parser kept but whose codes are not of the expected shape; the parser
/// only keeps communes of Basse-Normandie and NAF rév. 2 codes, so this is a bug, not bad input.
#[derive(Debug, thiserror::Error)]
#[error("an establishment kept by the parser has an unexpected commune or NA88 code")]
pub struct UnexpectedCode;

impl EstablishmentSums {
    /// Adds `e` to its fact when its legal unit is in `units`; returns whether it was.
    pub fn add(&mut self, units: &LegalUnitFamilies, e: &Establishment) -> Result<bool, UnexpectedCode> {
        let Some(family) = units.family(&e.siren) else {
            self.outside += 1;
            return Ok(false);
        };
        let key = FactKey {
            commune: e.commune.as_bytes().try_into().map_err(|_| UnexpectedCode)?,
            na88: e.na88.as_bytes().try_into().map_err(|_| UnexpectedCode)?,
            family,
        };
        let sum = self.sums.entry(key).or_default();
        sum.establishments += 1;
        sum.employees += e.employees;
        sum.largest = sum.largest.max(e.employees);
        Ok(true)
    }

    /// Establishments left out because their legal unit is not in the perimeter.
    pub fn outside(&self) -> u64 {
        self.outside
    }

    /// The facts, sorted.
    pub fn into_facts(self) -> EstablishmentFacts {
        let mut sums: Vec<(FactKey, Sum)> = self.sums.into_iter().collect();
        sums.sort_unstable_by_key(|(k, _)| *k);
        EstablishmentFacts(sums)
    }
}

fn siren(row: &Row<'_>) -> Result<String, ColumnError> {
    let s = row.get("siren");
    if s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(("siren", "is not a SIREN (9 digits)".into()))
    }
}

/// `StockUniteLegale`.
pub struct LegalUnits;

impl Layout for LegalUnits {
    fn delimiter(&self) -> u8 {
        b','
    }

    fn required(&self) -> &'static [&'static str] {
        &[
            "siren",
            "categoriejuridiqueunitelegale",
            "economiesocialesolidaireunitelegale",
        ]
    }

    fn row(&self, row: &Row<'_>) -> Result<RowOutcome, ColumnError> {
        let siren = siren(row)?;
        let category = row.get("categoriejuridiqueunitelegale");
        if !(category.len() == 4 && category.bytes().all(|b| b.is_ascii_digit())) {
            return Err((
                "categorieJuridiqueUniteLegale",
                "is not a legal category (4 digits)".into(),
            ));
        }
        let flag = row.get("economiesocialesolidaireunitelegale");
        if !matches!(flag, "" | "O" | "N") {
            return Err(("economieSocialeSolidaireUniteLegale", "must be O, N or empty".into()));
        }
        Ok(match family_of(category, flag) {
            Some(family) => RowOutcome::Keep(Record::LegalUnit(LegalUnit { siren, family })),
            None => RowOutcome::Skip,
        })
    }
}

/// `StockEtablissement`.
pub struct Establishments;

impl Layout for Establishments {
    fn delimiter(&self) -> u8 {
        b','
    }

    fn required(&self) -> &'static [&'static str] {
        &[
            "siren",
            "etatadministratifetablissement",
            "codecommuneetablissement",
            "activiteprincipaleetablissement",
            "trancheeffectifsetablissement",
        ]
    }

    fn row(&self, row: &Row<'_>) -> Result<RowOutcome, ColumnError> {
        let siren = siren(row)?;
        if row.get("etatadministratifetablissement") != "A" {
            return Ok(RowOutcome::Skip); // closed
        }
        let Some((departement, epci)) = commune_of_basse_normandie(row.get("codecommuneetablissement")) else {
            return Ok(RowOutcome::Skip); // outside the territory
        };
        // Old establishments may carry a NAF rév. 1 code: outside what we can classify.
        let Some(naf) = normalise_naf(row.get("activiteprincipaleetablissement")) else {
            return Ok(RowOutcome::Skip);
        };
        if is_excluded_activity(&naf) {
            return Ok(RowOutcome::Skip);
        }
        let na88 = naf[..2].to_owned();
        let Some(section) = section_of_division(&na88) else {
            return Ok(RowOutcome::Skip);
        };
        let employees = headcount::estimate(row.get("trancheeffectifsetablissement"))
            .map_err(|e| ("trancheEffectifsEtablissement", e.to_string()))?;
        Ok(RowOutcome::Keep(Record::Establishment(Establishment {
            siren,
            commune: row.get("codecommuneetablissement").to_owned(),
            epci: epci.to_owned(),
            departement: departement.to_owned(),
            na88,
            naf_section: section.to_owned(),
            employees,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ParseError, parse};
    use crate::domain::{dataset::Source, family::Family};

    use super::*;

    fn records(source: Source, text: &str) -> Result<Vec<Record>, ParseError> {
        let mut out = Vec::new();
        parse(source, 2025, text.as_bytes(), |b| {
            out.extend(b.records);
            true
        })
        .map(|_| out)
    }

    #[test]
    fn legal_units_keep_the_ess_perimeter_only() {
        let text = "siren,denominationUniteLegale,categorieJuridiqueUniteLegale,economieSocialeSolidaireUniteLegale\n\
                    775672272,Une association,9220,O\n\
                    552032534,Une société,5710,N\n\
                    356000000,Une SCOP SAS,5710,O\n";
        let got = records(Source::SireneUnitesLegales, text).unwrap();
        assert_eq!(
            got,
            [
                Record::LegalUnit(LegalUnit {
                    siren: "775672272".into(),
                    family: Family::Associations
                }),
                Record::LegalUnit(LegalUnit {
                    siren: "356000000".into(),
                    family: Family::SocietesCommerciales
                }),
            ]
        );
    }

    #[test]
    fn establishments_keep_active_ones_of_the_territory_outside_excluded_activities() {
        let text = "siren,siret,etatAdministratifEtablissement,codeCommuneEtablissement,activitePrincipaleEtablissement,trancheEffectifsEtablissement\n\
                    775672272,77567227200011,A,14118,88.99B,12\n\
                    775672272,77567227200029,F,14118,88.99B,12\n\
                    775672272,77567227200037,A,75056,88.99B,12\n\
                    775672272,77567227200045,A,14118,94.20Z,12\n\
                    775672272,77567227200052,A,50129,85.3K,01\n";
        let got = records(Source::SireneEtablissements, text).unwrap();
        assert_eq!(got.len(), 1);
        let Record::Establishment(e) = &got[0] else {
            panic!("an establishment")
        };
        assert_eq!(
            (e.departement.as_str(), e.na88.as_str(), e.naf_section.as_str()),
            ("14", "88", "Q")
        );
        assert_eq!(e.employees, rust_decimal::Decimal::new(345, 1));
    }

    #[test]
    fn an_unknown_band_is_an_error_on_its_line() {
        let text = "siren,etatAdministratifEtablissement,codeCommuneEtablissement,activitePrincipaleEtablissement,trancheEffectifsEtablissement\n\
                    775672272,A,14118,88.99B,77\n";
        match records(Source::SireneEtablissements, text) {
            Err(ParseError::Invalid { errors, .. }) => assert_eq!(errors[0].line, 2),
            other => panic!("{other:?}"),
        }
    }

    fn establishment(siren: &str, commune: &str, na88: &str, employees: i64) -> Establishment {
        Establishment {
            siren: siren.into(),
            commune: commune.into(),
            epci: String::new(),
            departement: String::new(),
            na88: na88.into(),
            naf_section: String::new(),
            employees: rust_decimal::Decimal::from(employees),
        }
    }

    #[test]
    fn establishments_are_summed_per_commune_family_and_division_of_their_legal_unit() {
        let units = LegalUnitFamilies::new([
            ("775672272".to_owned(), Family::Associations),
            ("356000000".to_owned(), Family::Cooperatives),
        ]);
        let mut sums = EstablishmentSums::default();
        let kept: Vec<bool> = [
            establishment("775672272", "14118", "88", 30),
            establishment("775672272", "14118", "88", 5),
            establishment("356000000", "14118", "88", 2),
            establishment("552032534", "14118", "88", 100), // not an ESS legal unit
            establishment("775672272", "50129", "85", 1),
        ]
        .iter()
        .map(|e| sums.add(&units, e).unwrap())
        .collect();
        assert_eq!(kept, [true, true, true, false, true]);
        assert_eq!(sums.outside(), 1);
        let all = sums.into_facts();
        let facts: Vec<EstablishmentFact<'_>> = all.iter().collect::<Result<_, _>>().unwrap();
        let got: Vec<_> = facts
            .iter()
            .map(|f| {
                (
                    f.commune,
                    f.family,
                    f.na88,
                    f.establishments,
                    f.employees,
                    f.largest_employees,
                )
            })
            .collect();
        let d = rust_decimal::Decimal::from;
        assert_eq!(
            got,
            [
                ("14118", Family::Associations, "88", 2, d(35), d(30)),
                ("14118", Family::Cooperatives, "88", 1, d(2), d(2)),
                ("50129", Family::Associations, "85", 1, d(1), d(1)),
            ]
        );
        assert_eq!((facts[0].departement, facts[0].naf_section), ("14", "Q"));
        assert_eq!(facts[2].departement, "50");
    }
}
