//! Arguments of the observatory commands under `essctl stats` (datasets, indicators, ESS share,
//! projections).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// `essctl stats import`: upload one dataset file.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Which layout the file has: urssaf-ess-departement, urssaf-ess-region-na88,
    /// urssaf-prive-epci or urssaf-prive-departement.
    #[arg(long)]
    pub source: String,
    /// Edition of the dataset ("2024"); importing an edition again replaces it.
    #[arg(long)]
    pub edition: String,
    /// The `;`-separated CSV file.
    pub file: PathBuf,
}

/// A dimension of the indicator table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DimensionArg {
    /// Territories at --level.
    Territory,
    /// ESS families.
    Family,
    /// NA88 divisions.
    Na88,
    /// NAF sections.
    Section,
}

/// A territorial level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    Commune,
    Epci,
    Departement,
    /// Former region (25 = Basse-Normandie).
    AncienneRegion,
    Region,
}

/// The measure shown in the table view (JSON carries all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MeasureArg {
    /// Number of establishments.
    Etablissements,
    /// Average salaried headcount.
    Effectifs,
    /// Payroll in euros.
    MasseSalariale,
}

/// `essctl stats indicators`: a table of the ESS cube under secret statistique.
#[derive(Debug, Clone, Args)]
pub struct IndicatorsArgs {
    /// Year of the figures.
    #[arg(long)]
    pub year: i32,
    /// What the rows are.
    #[arg(long, value_enum, default_value_t = DimensionArg::Territory)]
    pub rows: DimensionArg,
    /// What the columns are (none: one "Ensemble" column).
    #[arg(long, value_enum)]
    pub columns: Option<DimensionArg>,
    /// Territorial level of the rows/columns and of --territory.
    #[arg(long, value_enum, default_value_t = LevelArg::Departement)]
    pub level: LevelArg,
    /// Keep only these territories (repeat, or comma-separate: 14,50,61).
    #[arg(long, value_delimiter = ',')]
    pub territory: Vec<String>,
    /// Keep only these families (associations, cooperatives, mutuelles, fondations,
    /// societes_commerciales).
    #[arg(long, value_delimiter = ',')]
    pub family: Vec<String>,
    /// Dataset source to read (default: the first that can answer).
    #[arg(long)]
    pub source: Option<String>,
    /// Also show the evolution of employees since this year.
    #[arg(long)]
    pub compare_year: Option<i32>,
    /// Measure shown in the table.
    #[arg(long, value_enum, default_value_t = MeasureArg::Effectifs)]
    pub measure: MeasureArg,
    /// STAFF ONLY: show the figures of cells under secret statistique (marked with *). Never
    /// publish this output.
    #[arg(long)]
    pub unsuppressed: bool,
}

/// `essctl stats ess-share`: ESS share of private employment per territory.
#[derive(Debug, Clone, Args)]
pub struct EssShareArgs {
    /// Year of the figures.
    #[arg(long)]
    pub year: i32,
    /// EPCI (ESS employees estimated from SIRENE), département, former region or region.
    #[arg(long, value_enum, default_value_t = LevelArg::Departement)]
    pub level: LevelArg,
    /// Keep only these territories (repeat, or comma-separate).
    #[arg(long, value_delimiter = ',')]
    pub territory: Vec<String>,
}
