//! The SIRENE stock layouts (INSEE, comma-separated, camelCase headers read case-insensitively).
//! Legal units (`StockUniteLegale`) are kept when they are in the ESS perimeter
//! (`domain::perimeter`); establishments (`StockEtablissement`) when they are active, in a
//! commune of Basse-Normandie, with a NAF rév. 2 activity inside the perimeter. The join of the
//! two, and the sums, are done by the database (set-based, see `store::sirene`).

use super::{ColumnError, Layout, Row, RowOutcome};
use crate::domain::{
    dataset::{Establishment, LegalUnit, Record},
    headcount,
    naf::section_of_division,
    perimeter::{family_of, is_excluded_activity, normalise_naf},
    territory::commune_of_basse_normandie,
};

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
}
