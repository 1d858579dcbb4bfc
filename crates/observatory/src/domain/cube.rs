//! The indicator cube as the public sees it: a two-way table (rows × columns, with margins) of
//! establishments, average employees and payroll, under statistical confidentiality; and the ESS
//! share of private employment. Sums are exact decimals; nothing goes through floating point.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::{Decimal, RoundingStrategy, prelude::ToPrimitive as _};

use super::{
    confidentiality::{CellFacts, Secret, Suppression, Table},
    family::Family,
    naf::section_label,
    territory::TerritoryLevel,
};

/// What the rows or columns of a table are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Territory(TerritoryLevel),
    Family,
    /// NA88 division.
    Na88,
    NafSection,
}

impl Dimension {
    /// The French label of a heading code.
    pub fn label(self, code: &str) -> String {
        match self {
            Dimension::Territory(level) => level.name(code).map(str::to_owned).unwrap_or_else(|| code.to_owned()),
            Dimension::Family => Family::from_code(code)
                .map(|f| f.label().to_owned())
                .unwrap_or_else(|| code.to_owned()),
            Dimension::Na88 => format!("NA88 {code}"),
            Dimension::NafSection => section_label(code)
                .map(|l| format!("{code} — {l}"))
                .unwrap_or_else(|| code.to_owned()),
        }
    }

    /// Sort key of a heading code: families in their usual order, codes otherwise.
    fn order(self, code: &str) -> (usize, String) {
        match self {
            Dimension::Family => (
                Family::ALL.iter().position(|f| f.code() == code).unwrap_or(usize::MAX),
                code.to_owned(),
            ),
            _ => (0, code.to_owned()),
        }
    }
}

/// Label of the margins.
pub const TOTAL_LABEL: &str = "Ensemble";
/// What a suppressed cell says, instead of a figure.
pub const SECRET_LABEL: &str = "secret statistique";

/// The sums of one cell of the cube, as read from the facts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Figures {
    pub establishments: i64,
    pub employees: Decimal,
    /// `None` when the source does not give it (SIRENE).
    pub payroll: Option<Decimal>,
    /// Largest single establishment's employees / payroll, when establishment-level data exist.
    pub largest_employees: Option<Decimal>,
    pub largest_payroll: Option<Decimal>,
}

impl Figures {
    fn add(&self, other: &Figures) -> Figures {
        Figures {
            establishments: self.establishments + other.establishments,
            employees: self.employees + other.employees,
            payroll: match (self.payroll, other.payroll) {
                (Some(a), Some(b)) => Some(a + b),
                (a, None) if other.establishments == 0 => a,
                (None, b) if self.establishments == 0 => b,
                _ => None,
            },
            largest_employees: None,
            largest_payroll: None,
        }
    }
}

/// One aggregated cell from the store: its row and column codes and its figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CubeCell {
    pub row: String,
    pub column: String,
    pub figures: Figures,
}

/// A row or column heading; the margins are `total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub code: String,
    pub label: String,
    pub total: bool,
}

/// A table ready to publish: headings (totals last), and for each cell of the extended table its
/// figures and confidentiality flag. The public view drops the figures of suppressed cells.
#[derive(Debug, Clone)]
pub struct IndicatorTable {
    pub rows: Vec<Heading>,
    pub columns: Vec<Heading>,
    /// Row-major over `rows × columns`.
    pub cells: Vec<(Figures, Secret)>,
}

impl IndicatorTable {
    /// Builds the table from aggregated cells, computes the margins, and applies secret
    /// statistique on each measure (establishments: frequency rule; employees and payroll:
    /// frequency and dominance). A cell hidden for one measure is hidden for all: the union of
    /// the suppressions is still safe, since a cell on a cycle of one pattern stays on it.
    pub fn build(rows_dim: Dimension, cols_dim: Option<Dimension>, cells: &[CubeCell]) -> IndicatorTable {
        let sorted = |dim: Dimension, codes: BTreeSet<&str>| {
            let mut v: Vec<String> = codes.into_iter().map(str::to_owned).collect();
            v.sort_by_key(|c| dim.order(c));
            v
        };
        let row_codes = sorted(rows_dim, cells.iter().map(|c| c.row.as_str()).collect());
        let col_codes = match cols_dim {
            Some(dim) => sorted(dim, cells.iter().map(|c| c.column.as_str()).collect()),
            None => vec![String::new()],
        };
        let by_key: BTreeMap<(&str, &str), &Figures> = cells
            .iter()
            .map(|c| ((c.row.as_str(), c.column.as_str()), &c.figures))
            .collect();
        let (nr, nc) = (row_codes.len(), col_codes.len());
        let mut figures = vec![Figures::default(); (nr + 1) * (nc + 1)];
        let mut inner: [Vec<Vec<CellFacts>>; 3] = Default::default();
        for (r, rc) in row_codes.iter().enumerate() {
            let mut row: [Vec<CellFacts>; 3] = Default::default();
            for (c, cc) in col_codes.iter().enumerate() {
                let f = by_key
                    .get(&(rc.as_str(), cc.as_str()))
                    .map(|f| (*f).clone())
                    .unwrap_or_default();
                let n = f.establishments;
                row[0].push(CellFacts {
                    establishments: n,
                    value: n as i128,
                    largest: None,
                });
                row[1].push(CellFacts {
                    establishments: n,
                    value: units(f.employees),
                    largest: f.largest_employees.map(units),
                });
                row[2].push(CellFacts {
                    establishments: n,
                    value: f.payroll.map(units).unwrap_or_default(),
                    largest: f.largest_payroll.map(units),
                });
                let w = nc + 1;
                figures[r * w + nc] = figures[r * w + nc].add(&f);
                figures[nr * w + c] = figures[nr * w + c].add(&f);
                figures[nr * w + nc] = figures[nr * w + nc].add(&f);
                figures[r * w + c] = f;
            }
            for (m, cells) in row.into_iter().enumerate() {
                inner[m].push(cells);
            }
        }
        let suppressions: Vec<Suppression> = inner.iter().map(|t| Table::new(nc, t).suppress()).collect();
        let cells = figures
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let (r, c) = (i / (nc + 1), i % (nc + 1));
                let flags = suppressions.iter().map(|s| s.at(r, c));
                let secret = if flags.clone().any(|s| s == Secret::Primary) {
                    Secret::Primary
                } else if flags.into_iter().any(|s| s == Secret::Secondary) {
                    Secret::Secondary
                } else {
                    Secret::None
                };
                (f, secret)
            })
            .collect();
        let headings = |dim: Option<Dimension>, codes: Vec<String>| {
            let mut h: Vec<Heading> = match dim {
                Some(dim) => codes
                    .into_iter()
                    .map(|code| Heading {
                        label: dim.label(&code),
                        code,
                        total: false,
                    })
                    .collect(),
                None => Vec::new(),
            };
            h.push(Heading {
                code: String::new(),
                label: TOTAL_LABEL.to_owned(),
                total: true,
            });
            h
        };
        let rows = headings(Some(rows_dim), row_codes);
        // Without a column dimension, the single column is the total itself: keep one column of
        // inner cells so that the margin mechanics stay the same, labelled "Ensemble".
        let columns = match cols_dim {
            Some(_) => headings(cols_dim, col_codes),
            None => vec![
                Heading {
                    code: String::new(),
                    label: TOTAL_LABEL.to_owned(),
                    total: false,
                },
                Heading {
                    code: String::new(),
                    label: TOTAL_LABEL.to_owned(),
                    total: true,
                },
            ],
        };
        IndicatorTable { rows, columns, cells }
    }

    /// The figures and flag at `(r, c)`.
    pub fn at(&self, r: usize, c: usize) -> &(Figures, Secret) {
        &self.cells[r * self.columns.len() + c]
    }

    /// The row of code `code` (not the total), if any.
    pub fn row_of(&self, code: &str) -> Option<usize> {
        self.rows.iter().position(|h| !h.total && h.code == code)
    }

    /// The column of code `code` (not the total), if any.
    pub fn column_of(&self, code: &str) -> Option<usize> {
        self.columns.iter().position(|h| !h.total && h.code == code)
    }
}

/// A measure in ten-thousandths, as an integer for the confidentiality rules (exact for the
/// decimals the URSSAF publishes; beyond four decimals, rounding cannot change a 3 / 85 % test in
/// any realistic table).
fn units(d: Decimal) -> i128 {
    (d * Decimal::from(10_000)).trunc().to_i128().unwrap_or(i128::MAX)
}

/// ESS employees as a percentage of private employees, rounded half away from zero to 2 decimals;
/// `None` without a denominator.
pub fn share_percent(ess: Decimal, private: Decimal) -> Option<Decimal> {
    if private.is_zero() {
        return None;
    }
    let share = ess.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(private)?;
    Some(share.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
}

/// Evolution from `before` to `after` in percent, 1 decimal, half away from zero; `None` when
/// `before` is zero.
pub fn evolution_percent(before: Decimal, after: Decimal) -> Option<Decimal> {
    if before.is_zero() {
        return None;
    }
    let e = (after - before)
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(before)?;
    Some(e.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(row: &str, column: &str, n: i64, employees: i64) -> CubeCell {
        CubeCell {
            row: row.into(),
            column: column.into(),
            figures: Figures {
                establishments: n,
                employees: Decimal::from(employees),
                payroll: Some(Decimal::from(employees * 30_000)),
                ..Figures::default()
            },
        }
    }

    #[test]
    fn margins_add_up_and_a_small_cell_is_secret_with_its_partners() {
        let t = IndicatorTable::build(
            Dimension::Territory(TerritoryLevel::Departement),
            Some(Dimension::Family),
            &[
                cell("14", "associations", 100, 5000),
                cell("14", "fondations", 2, 40),
                cell("50", "associations", 80, 4000),
                cell("50", "fondations", 4, 90),
            ],
        );
        assert_eq!(
            t.rows.iter().map(|h| h.label.as_str()).collect::<Vec<_>>(),
            ["Calvados", "Manche", "Ensemble"]
        );
        assert_eq!(
            t.columns.iter().map(|h| h.label.as_str()).collect::<Vec<_>>(),
            ["Associations", "Fondations", "Ensemble"]
        );
        assert_eq!(t.at(2, 2).0.employees, Decimal::from(9130));
        assert_eq!(t.at(0, 1).1, Secret::Primary);
        let hidden = t.cells.iter().filter(|(_, s)| *s != Secret::None).count();
        assert_eq!(hidden, 4);
    }

    #[test]
    fn shares_round_half_away_from_zero() {
        assert_eq!(
            share_percent(Decimal::from(1), Decimal::from(8)),
            Some(Decimal::new(1250, 2))
        );
        assert_eq!(
            share_percent(Decimal::from(1), Decimal::from(3)),
            Some(Decimal::new(3333, 2))
        );
        assert_eq!(
            share_percent(Decimal::from(2), Decimal::from(3)),
            Some(Decimal::new(6667, 2))
        );
        assert_eq!(share_percent(Decimal::from(1), Decimal::ZERO), None);
        assert_eq!(
            evolution_percent(Decimal::from(200), Decimal::from(207)),
            Some(Decimal::new(35, 1))
        );
    }
}
