//! The URSSAF open-data layouts (`;`-separated, one header row). Column names are the URSSAF's
//! (see `shared/data/ess_perimeter_notes.md`); only the ones listed in `required` are read.
//! Scope of the data: private employers of the general scheme, agriculture and Mayotte excluded.

use super::{ColumnError, Layout, Row, RowOutcome};
use crate::domain::{
    dataset::{Fact, Record, Scope, Source},
    family::{Family, FamilyCell},
    naf::section_of_division,
    territory::{
        BASSE_NORMANDIE, BASSE_NORMANDIE_DEPARTEMENTS, NORMANDIE, departement_of_epci, is_epci_code,
        is_known_departement,
    },
};

/// The layout of a URSSAF source's files (`source` is one of the URSSAF ones; any other gets the
/// département layout, which then refuses its header).
pub fn layout(source: Source, max_year: i32) -> Box<dyn Layout + Send> {
    match source {
        Source::UrssafEssRegionNa88 => Box::new(EssRegionNa88 { max_year }),
        Source::UrssafPriveEpci => Box::new(PriveEpci { max_year }),
        Source::UrssafPriveDepartement => Box::new(PriveDepartement { max_year }),
        _ => Box::new(EssDepartement { max_year }),
    }
}

const MEASURES: [&str; 3] = [
    "nombre_d_etablissements",
    "effectifs_salaries_moyens",
    "masse_salariale",
];

/// ESS by département × family × year.
struct EssDepartement {
    max_year: i32,
}

impl Layout for EssDepartement {
    fn required(&self) -> &'static [&'static str] {
        &[
            "famille_ess",
            "annee",
            "code_region",
            "code_ancienne_region",
            "code_departement",
            "nombre_d_etablissements",
            "effectifs_salaries_moyens",
            "masse_salariale",
        ]
    }

    fn row(&self, row: &Row<'_>) -> Result<RowOutcome, ColumnError> {
        let Some(family) = family(row)? else {
            return Ok(RowOutcome::Skip);
        };
        let (departement, ancienne_region, region) = departement(row)?;
        Ok(RowOutcome::Keep(Record::Fact(Fact {
            scope: Scope::Ess,
            year: row.year("annee", self.max_year)?,
            epci: None,
            departement: Some(departement),
            ancienne_region: Some(ancienne_region),
            region: Some(region),
            family: Some(family),
            na88: None,
            naf_section: None,
            establishments: row.count(MEASURES[0])?,
            employees: row.amount(MEASURES[1])?,
            payroll: row.amount(MEASURES[2])?,
        })))
    }
}

/// ESS by region × family × NA88 sector × year.
struct EssRegionNa88 {
    max_year: i32,
}

impl Layout for EssRegionNa88 {
    fn required(&self) -> &'static [&'static str] {
        &[
            "famille_ess",
            "secteur_na88",
            "annee",
            "code_region",
            "nombre_d_etablissements",
            "effectifs_salaries_moyens",
            "masse_salariale",
        ]
    }

    fn row(&self, row: &Row<'_>) -> Result<RowOutcome, ColumnError> {
        let Some(family) = family(row)? else {
            return Ok(RowOutcome::Skip);
        };
        // "88 Action sociale sans hébergement" or "88": the division is the leading two digits.
        let raw = row.get("secteur_na88");
        let division: String = raw.chars().take_while(|c| c.is_ascii_digit()).collect();
        let section = (division.len() == 2)
            .then(|| section_of_division(&division))
            .flatten()
            .ok_or(("secteur_na88", "unknown NA88 division".to_owned()))?;
        Ok(RowOutcome::Keep(Record::Fact(Fact {
            scope: Scope::Ess,
            year: row.year("annee", self.max_year)?,
            epci: None,
            departement: None,
            ancienne_region: None,
            region: Some(region_code(row, "code_region")?),
            family: Some(family),
            na88: Some(division),
            naf_section: Some(section.to_owned()),
            establishments: row.count(MEASURES[0])?,
            employees: row.amount(MEASURES[1])?,
            payroll: row.amount(MEASURES[2])?,
        })))
    }
}

/// The whole private sector by EPCI × year.
struct PriveEpci {
    max_year: i32,
}

impl Layout for PriveEpci {
    fn required(&self) -> &'static [&'static str] {
        &[
            "annee",
            "code_region",
            "code_ancienne_region",
            "code_epci",
            "nombre_d_etablissements",
            "effectifs_salaries_moyens",
            "masse_salariale",
        ]
    }

    fn row(&self, row: &Row<'_>) -> Result<RowOutcome, ColumnError> {
        let epci = row.get("code_epci");
        if !is_epci_code(epci) {
            return Err(("code_epci", "is not an EPCI SIREN (9 digits)".into()));
        }
        Ok(RowOutcome::Keep(Record::Fact(Fact {
            scope: Scope::Private,
            year: row.year("annee", self.max_year)?,
            epci: Some(epci.to_owned()),
            departement: departement_of_epci(epci).map(str::to_owned),
            ancienne_region: Some(region_code(row, "code_ancienne_region")?),
            region: Some(region_code(row, "code_region")?),
            family: None,
            na88: None,
            naf_section: None,
            establishments: row.count(MEASURES[0])?,
            employees: row.amount(MEASURES[1])?,
            payroll: row.amount(MEASURES[2])?,
        })))
    }
}

/// The whole private sector by département × year (same columns as the ESS table, without the
/// family).
struct PriveDepartement {
    max_year: i32,
}

impl Layout for PriveDepartement {
    fn required(&self) -> &'static [&'static str] {
        &[
            "annee",
            "code_region",
            "code_ancienne_region",
            "code_departement",
            "nombre_d_etablissements",
            "effectifs_salaries_moyens",
            "masse_salariale",
        ]
    }

    fn row(&self, row: &Row<'_>) -> Result<RowOutcome, ColumnError> {
        let (departement, ancienne_region, region) = departement(row)?;
        Ok(RowOutcome::Keep(Record::Fact(Fact {
            scope: Scope::Private,
            year: row.year("annee", self.max_year)?,
            epci: None,
            departement: Some(departement),
            ancienne_region: Some(ancienne_region),
            region: Some(region),
            family: None,
            na88: None,
            naf_section: None,
            establishments: row.count(MEASURES[0])?,
            employees: row.amount(MEASURES[1])?,
            payroll: row.amount(MEASURES[2])?,
        })))
    }
}

/// The row's family, `None` for an aggregate row.
fn family(row: &Row<'_>) -> Result<Option<Family>, ColumnError> {
    match Family::parse_cell(row.get("famille_ess")) {
        Ok(FamilyCell::Family(f)) => Ok(Some(f)),
        Ok(FamilyCell::Aggregate) => Ok(None),
        Err(e) => Err(("famille_ess", e.to_string())),
    }
}

/// Département, former region and region, checked against each other for Basse-Normandie.
fn departement(row: &Row<'_>) -> Result<(String, String, String), ColumnError> {
    let dep = row.get("code_departement");
    // Exports sometimes drop the leading zero of 01–09.
    let dep = if dep.len() == 1 {
        format!("0{dep}")
    } else {
        dep.to_owned()
    };
    if !is_known_departement(&dep) {
        return Err(("code_departement", "unknown département code".into()));
    }
    let ancienne = region_code(row, "code_ancienne_region")?;
    let region = region_code(row, "code_region")?;
    if BASSE_NORMANDIE_DEPARTEMENTS.contains(&dep.as_str()) && (ancienne != BASSE_NORMANDIE || region != NORMANDIE) {
        return Err((
            "code_ancienne_region",
            format!("départements 14, 50 and 61 belong to former region {BASSE_NORMANDIE} and region {NORMANDIE}"),
        ));
    }
    Ok((dep, ancienne, region))
}

/// A region or former-region code: 2 digits.
fn region_code(row: &Row<'_>, column: &'static str) -> Result<String, ColumnError> {
    let raw = row.get(column);
    if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err((column, "is not a region code (2 digits)".into()))
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::super::{LineError, ParseError, parse};
    use super::*;

    const HEADER: &str = "region;ancienne_region;departement;champ_ess;famille_ess;annee;code_region;code_ancienne_region;code_departement;nombre_d_etablissements;effectifs_salaries_moyens;masse_salariale\n";

    fn run(source: Source, text: &[u8]) -> Result<Vec<Fact>, ParseError> {
        let mut facts = Vec::new();
        parse(source, 2025, text, |b| {
            facts.extend(b.records.into_iter().filter_map(|r| match r {
                Record::Fact(f) => Some(f),
                _ => None,
            }));
            true
        })
        .map(|_| facts)
    }

    fn errors(result: Result<Vec<Fact>, ParseError>) -> Vec<LineError> {
        match result {
            Err(ParseError::Invalid { errors, .. }) => errors,
            other => panic!("expected an invalid file, got {other:?}"),
        }
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_with_extra_ones() {
        let text = "masse_salariale;extra;effectifs_salaries_moyens;nombre_d_etablissements;code_departement;code_ancienne_region;code_region;annee;famille_ess\n\
                    1234,5;x;10,25;3;14;25;28;2023;Coopératives\n\
                    999;x;5;2;14;25;28;2023;Ensemble ESS\n";
        let facts = run(Source::UrssafEssDepartement, text.as_bytes()).unwrap();
        assert_eq!(facts.len(), 1, "the aggregate row is skipped");
        assert_eq!(facts[0].family, Some(Family::Cooperatives));
        assert_eq!(facts[0].employees, Decimal::new(1025, 2));
        assert_eq!(facts[0].payroll, Decimal::new(12345, 1));
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_numbers() {
        let text = format!(
            "{HEADER}Normandie;Basse-Normandie;Calvados;ESS;Associations;2023;28;25;14;-3;10;100\n\
             Normandie;Basse-Normandie;Calvados;ESS;Associations;2023;28;25;14;3;dix;100\n\
             Normandie;Basse-Normandie;X;ESS;Associations;2023;28;25;99;3;10;100\n\
             Normandie;Basse-Normandie;Calvados;ESS;Syndicats;2023;28;25;14;3;10;100\n\
             Normandie;Basse-Normandie;Calvados;ESS;Associations;1990;28;25;14;3;10;100\n"
        );
        let errs = errors(run(Source::UrssafEssDepartement, text.as_bytes()));
        let got: Vec<_> = errs
            .iter()
            .map(|e| (e.line, e.column.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "nombre_d_etablissements".into()),
                (3, "effectifs_salaries_moyens".into()),
                (4, "code_departement".into()),
                (5, "famille_ess".into()),
                (6, "annee".into()),
            ]
        );
        assert!(errs[4].message.contains("out of range"));
    }

    #[test]
    fn a_missing_column_is_named() {
        let errs = errors(run(
            Source::UrssafEssDepartement,
            b"annee;famille_ess\n2023;Associations\n",
        ));
        assert_eq!(errs[0].line, 1);
        assert!(errs[0].message.contains("code_departement") && errs[0].message.contains("masse_salariale"));
    }

    #[test]
    fn a_comma_separated_file_is_recognised() {
        let errs = errors(run(Source::UrssafEssDepartement, HEADER.replace(';', ",").as_bytes()));
        assert!(errs[0].message.contains("not ';'-separated"), "{}", errs[0].message);
    }

    #[test]
    fn invalid_utf8_is_reported_on_its_line() {
        let mut text = HEADER.as_bytes().to_vec();
        text.extend_from_slice(b"Normandie;Basse-Normandie;Calvados;ESS;Associations;2023;28;25;14;3;10;100\n");
        text.extend_from_slice(b"Normandie;Basse-Normandie;Calv\xe9dos;ESS;Associations;2023;28;25;14;3;10;100\n");
        let errs = errors(run(Source::UrssafEssDepartement, &text));
        assert_eq!(
            errs,
            [LineError {
                line: 3,
                column: None,
                message: "is not valid UTF-8".into()
            }]
        );
    }

    #[test]
    fn a_row_with_a_missing_field_is_reported() {
        let text = format!("{HEADER}Normandie;Basse-Normandie;Calvados;ESS;Associations;2023;28;25;14;3;10\n");
        let errs = errors(run(Source::UrssafEssDepartement, text.as_bytes()));
        assert_eq!(errs[0].line, 2);
        assert!(errs[0].message.contains("fields"));
    }

    #[test]
    fn na88_rows_take_their_section() {
        let text = "region;champ_ess;famille_ess;secteur_na88;annee;code_region;nombre_d_etablissements;effectifs_salaries_moyens;masse_salariale\n\
                    Normandie;ESS;Associations;88 Action sociale sans hébergement;2023;28;40;300;9000000\n\
                    Normandie;ESS;Associations;04 Rien;2023;28;40;300;9000000\n";
        let errs = errors(run(Source::UrssafEssRegionNa88, text.as_bytes()));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 3);
        let ok = run(
            Source::UrssafEssRegionNa88,
            text.lines().take(2).collect::<Vec<_>>().join("\n").as_bytes(),
        )
        .unwrap();
        assert_eq!(ok[0].naf_section.as_deref(), Some("Q"));
    }

    #[test]
    fn private_epci_rows_find_their_departement() {
        let text = "region;ancienne_region;epci;annee;code_region;code_ancienne_region;code_epci;nombre_d_etablissements;effectifs_salaries_moyens;masse_salariale\n\
                    Normandie;Basse-Normandie;CC de Bayeux Intercom;2023;28;25;241400555;800;6000;150000000\n";
        let facts = run(Source::UrssafPriveEpci, text.as_bytes()).unwrap();
        assert_eq!(facts[0].departement.as_deref(), Some("14"));
        assert_eq!(facts[0].scope, Scope::Private);
    }
}
