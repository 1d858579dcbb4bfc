//! Imported datasets: where they come from (source), which edition, and the facts they hold.
//! A dataset is identified by `(source, edition)`; importing the same pair again replaces it.

use std::fmt;

use rust_decimal::Decimal;

use super::family::Family;

/// The files the observatory knows how to import. The source fixes the file's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// URSSAF open data, ESS by département × family × year (`;`-separated).
    UrssafEssDepartement,
    /// URSSAF open data, ESS by region × family × NA88 sector × year.
    UrssafEssRegionNa88,
    /// URSSAF open data, the whole private sector by EPCI × year (the ESS share's denominator).
    UrssafPriveEpci,
    /// URSSAF open data, the whole private sector by département × year.
    UrssafPriveDepartement,
    /// SIRENE `StockUniteLegale`: the legal units of the ESS perimeter (import before the
    /// establishments of the same edition).
    SireneUnitesLegales,
    /// SIRENE `StockEtablissement`, joined to the legal units of the same edition: active ESS
    /// establishments of Basse-Normandie, employees estimated from headcount bands.
    SireneEtablissements,
}

/// Why a source code was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error(
        "unknown source (expected urssaf-ess-departement, urssaf-ess-region-na88, urssaf-prive-epci, urssaf-prive-departement, sirene-unites-legales or sirene-etablissements)"
    )]
    Unknown,
}

impl Source {
    /// Every source, in the order lists show them.
    pub const ALL: [Source; 6] = [
        Source::UrssafEssDepartement,
        Source::UrssafEssRegionNa88,
        Source::UrssafPriveEpci,
        Source::UrssafPriveDepartement,
        Source::SireneUnitesLegales,
        Source::SireneEtablissements,
    ];

    /// The stable code (database, gRPC, `essctl --source`).
    pub fn code(self) -> &'static str {
        match self {
            Source::UrssafEssDepartement => "urssaf-ess-departement",
            Source::UrssafEssRegionNa88 => "urssaf-ess-region-na88",
            Source::UrssafPriveEpci => "urssaf-prive-epci",
            Source::UrssafPriveDepartement => "urssaf-prive-departement",
            Source::SireneUnitesLegales => "sirene-unites-legales",
            Source::SireneEtablissements => "sirene-etablissements",
        }
    }

    /// A French description for tables.
    pub fn label(self) -> &'static str {
        match self {
            Source::UrssafEssDepartement => "URSSAF — ESS par département et famille",
            Source::UrssafEssRegionNa88 => "URSSAF — ESS par région et secteur NA88",
            Source::UrssafPriveEpci => "URSSAF — ensemble du secteur privé par EPCI",
            Source::UrssafPriveDepartement => "URSSAF — ensemble du secteur privé par département",
            Source::SireneUnitesLegales => "SIRENE — unités légales de l'ESS",
            Source::SireneEtablissements => "SIRENE — établissements de l'ESS (effectifs estimés)",
        }
    }

    /// From a code.
    pub fn parse(raw: &str) -> Result<Source, SourceError> {
        Source::ALL
            .into_iter()
            .find(|s| s.code() == raw.trim())
            .ok_or(SourceError::Unknown)
    }

    /// Whether the source counts the ESS (else the whole private sector).
    pub fn scope(self) -> Scope {
        match self {
            Source::UrssafEssDepartement
            | Source::UrssafEssRegionNa88
            | Source::SireneUnitesLegales
            | Source::SireneEtablissements => Scope::Ess,
            Source::UrssafPriveEpci | Source::UrssafPriveDepartement => Scope::Private,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The edition of a dataset ("2024", "2025-03"): 1 to 32 characters among letters, digits, `.`,
/// `_` and `-`, so that it is safe in file names and logs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edition(String);

/// Why an edition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditionError {
    #[error("must be 1 to 32 characters among letters, digits, '.', '_' and '-'")]
    Format,
}

impl Edition {
    /// Checks the shape.
    pub fn parse(raw: &str) -> Result<Edition, EditionError> {
        let raw = raw.trim();
        let ok = (1..=32).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        ok.then(|| Edition(raw.to_owned())).ok_or(EditionError::Format)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The year the edition starts with ("2025-01" → 2025), if it does. SIRENE stock files are
    /// snapshots: their facts take this year.
    pub fn year(&self) -> Option<i32> {
        let digits = self.0.get(..4)?;
        let rest = &self.0[4..];
        (digits.bytes().all(|b| b.is_ascii_digit()) && (rest.is_empty() || rest.starts_with(['-', '.', '_'])))
            .then(|| digits.parse().ok())
            .flatten()
    }
}

/// Whether a fact counts ESS establishments or the whole private sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Ess,
    Private,
}

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::Ess => "ess",
            Scope::Private => "private",
        }
    }
}

/// First year of the URSSAF series (its open data start in 1998).
pub const FIRST_YEAR: i32 = 1998;

/// One line of an imported table, once checked: a count of establishments, their average employees
/// and payroll, at the finest place, family and sector the file gives. Coarser levels are sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub scope: Scope,
    pub year: i32,
    pub epci: Option<String>,
    pub departement: Option<String>,
    pub ancienne_region: Option<String>,
    pub region: Option<String>,
    pub family: Option<Family>,
    /// NA88 division (2 digits) and its NAF section letter.
    pub na88: Option<String>,
    pub naf_section: Option<String>,
    pub establishments: i64,
    /// Average salaried headcount (effectifs salariés moyens), exact decimal.
    pub employees: Decimal,
    /// Payroll in euros (masse salariale), exact decimal.
    pub payroll: Decimal,
}

/// A legal unit of the ESS perimeter, from `StockUniteLegale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalUnit {
    pub siren: String,
    pub family: Family,
}

/// An active establishment in the observatory's territory with an activity inside the perimeter,
/// from `StockEtablissement` (its legal unit decides whether it is ESS, at the join).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Establishment {
    pub siren: String,
    pub commune: String,
    pub epci: String,
    pub departement: String,
    /// NA88 division and NAF section of its activity.
    pub na88: String,
    pub naf_section: String,
    /// Estimated from the headcount band (see `domain::headcount`).
    pub employees: Decimal,
}

/// What a checked row becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Fact(Fact),
    LegalUnit(LegalUnit),
    Establishment(Establishment),
}
