//! Statistical confidentiality (secret statistique) on a two-way table with its margins: primary
//! suppression of sensitive cells, then secondary suppression until no suppressed cell can be
//! recomputed from the published cells, row totals, column totals and grand total.
//!
//! Rules (loi n° 51-711 du 7 juin 1951; the URSSAF and INSEE apply the same two):
//! - frequency: a cell built from 1 or 2 establishments ([`MIN_ESTABLISHMENTS`] = 3) is sensitive;
//! - dominance: a cell where one establishment holds more than 85 % ([`DOMINANCE_PERCENT`]) of the
//!   value is sensitive, when establishment-level data tell us the largest contribution.
//!
//! An empty cell (no establishment, value zero) is a structural zero: it holds nobody's data, so it
//! is published as zero and never sensitive.
//!
//! Secondary suppression. Look at the table with its margins as a bipartite graph: one node per
//! row (the totals row included), one per column (the totals column included), one edge per
//! suppressed cell. Every row and column is a linear equation (cells sum to the margin), so a
//! suppressed cell can be recomputed exactly when its edge is a *bridge* of that graph, and cannot
//! when it lies on a cycle (adding +d, -d alternately around the cycle keeps every published figure
//! and every equation, and moves the cell). So we suppress until the graph has no bridge: for each
//! bridge we add the cheapest path of cells (smallest values first, already-suppressed cells free)
//! that closes a cycle through it. A bridgeless graph has no node of degree one: no row or column
//! ever has exactly one suppressed cell, totals included.
//!
//! Not covered: bounds attacks (values are non-negative, so a suppressed cell lies in an interval),
//! and links between different tables or years (the caller publishes one table at a time).

use std::collections::BTreeSet;

/// Fewest establishments a published cell may be built from.
pub const MIN_ESTABLISHMENTS: i64 = 3;
/// Largest share, in percent, one establishment may hold of a published cell's value.
pub const DOMINANCE_PERCENT: i128 = 85;

/// What a cell is built from, for the primary rules. Values are integers in the measure's smallest
/// unit (e.g. hundredths of an employee, cents of payroll): exact sums, no rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CellFacts {
    /// Establishments contributing to the cell.
    pub establishments: i64,
    /// The cell's value (the protected measure).
    pub value: i128,
    /// The largest single establishment's contribution, when establishment-level data exist.
    pub largest: Option<i128>,
}

impl CellFacts {
    /// Sums two cells (margins are sums of cells); the largest contribution is known only when it
    /// is known on both sides, since one establishment belongs to exactly one cell.
    fn add(self, other: CellFacts) -> CellFacts {
        CellFacts {
            establishments: self.establishments + other.establishments,
            value: self.value + other.value,
            largest: match (self.largest, other.largest) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            },
        }
    }

    /// Whether the primary rules forbid publishing this cell.
    pub fn is_sensitive(&self) -> bool {
        if self.establishments == 0 {
            return false; // structural zero: nobody's data
        }
        if self.establishments < MIN_ESTABLISHMENTS {
            return true;
        }
        match self.largest {
            Some(largest) if self.value > 0 => largest * 100 > DOMINANCE_PERCENT * self.value,
            _ => false,
        }
    }
}

/// Why a cell is not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// Published.
    None,
    /// Sensitive itself (frequency or dominance).
    Primary,
    /// Hidden so that a primary cell cannot be recomputed.
    Secondary,
}

impl Secret {
    /// Whether the cell is hidden.
    pub fn is_suppressed(self) -> bool {
        self != Secret::None
    }
}

/// A table of `rows × cols` inner cells, extended with a totals column (index `cols`), a totals row
/// (index `rows`) and the grand total at `(rows, cols)`. Margins are computed from the cells, so
/// they are consistent by construction.
#[derive(Debug, Clone)]
pub struct Table {
    rows: usize,
    cols: usize,
    /// Row-major, `(rows + 1) × (cols + 1)`.
    cells: Vec<CellFacts>,
}

impl Table {
    /// Builds the table and its margins from `inner[row][col]`. Rows must all have `cols` cells.
    pub fn new(cols: usize, inner: &[Vec<CellFacts>]) -> Table {
        let rows = inner.len();
        let mut cells = vec![CellFacts::default(); (rows + 1) * (cols + 1)];
        for (r, row) in inner.iter().enumerate() {
            for c in 0..cols {
                let mut cell = row.get(c).copied().unwrap_or_default();
                if cell.establishments == 0 {
                    // An empty cell has no contributor, hence no largest one: zero, not unknown.
                    cell.largest = Some(0);
                }
                cells[r * (cols + 1) + c] = cell;
                let rt = r * (cols + 1) + cols;
                cells[rt] = cells[rt].add(cell);
                let ct = rows * (cols + 1) + c;
                cells[ct] = cells[ct].add(cell);
                let gt = rows * (cols + 1) + cols;
                cells[gt] = cells[gt].add(cell);
            }
        }
        Table { rows, cols, cells }
    }

    /// Inner rows (without the totals row).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Inner columns (without the totals column).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The cell at `(r, c)` of the extended table (`r == rows()` is the totals row, `c == cols()`
    /// the totals column).
    pub fn cell(&self, r: usize, c: usize) -> CellFacts {
        self.cells[r * (self.cols + 1) + c]
    }

    /// Applies primary then secondary suppression. The result has one flag per cell of the extended
    /// table, row-major.
    pub fn suppress(&self) -> Suppression {
        let width = self.cols + 1;
        let mut flags: Vec<Secret> = self
            .cells
            .iter()
            .map(|c| {
                if c.is_sensitive() {
                    Secret::Primary
                } else {
                    Secret::None
                }
            })
            .collect();
        // Each round closes a cycle through at least one bridge and only ever adds suppressions, so
        // it ends after at most one round per cell.
        loop {
            let suppressed = |r: usize, c: usize| flags[r * width + c].is_suppressed();
            let Some((r, c)) = find_bridge(self.rows + 1, width, &suppressed) else {
                break;
            };
            for (pr, pc) in self.cheapest_cycle_closing(r, c, &flags) {
                let f = &mut flags[pr * width + pc];
                if *f == Secret::None {
                    *f = Secret::Secondary;
                }
            }
        }
        Suppression {
            rows: self.rows,
            cols: self.cols,
            flags,
        }
    }

    /// Cells of the cheapest path from column `c` back to row `r` that avoids cell `(r, c)`, so that
    /// suppressing them puts `(r, c)` on a cycle. Suppressed cells cost nothing; others cost their
    /// value (plus one, so fewer cells win ties), which hides as little information as possible.
    fn cheapest_cycle_closing(&self, r: usize, c: usize, flags: &[Secret]) -> Vec<(usize, usize)> {
        let (nr, nc) = (self.rows + 1, self.cols + 1);
        // Nodes: rows 0..nr, then columns nr..nr+nc. Dijkstra on the complete bipartite graph.
        let n = nr + nc;
        let mut dist = vec![i128::MAX; n];
        let mut prev = vec![usize::MAX; n];
        let mut done = vec![false; n];
        let start = nr + c;
        dist[start] = 0;
        while let Some(u) = (0..n)
            .filter(|&u| !done[u] && dist[u] != i128::MAX)
            .min_by_key(|&u| dist[u])
        {
            done[u] = true;
            if u == r {
                break;
            }
            let neighbours: Vec<usize> = if u < nr { (nr..n).collect() } else { (0..nr).collect() };
            for v in neighbours {
                let (cr, cc) = if u < nr { (u, v - nr) } else { (v, u - nr) };
                if (cr, cc) == (r, c) || done[v] {
                    continue;
                }
                let idx = cr * nc + cc;
                let cost = if flags[idx].is_suppressed() {
                    0
                } else {
                    self.cells[idx].value.abs() + 1
                };
                let d = dist[u].saturating_add(cost);
                if d < dist[v] {
                    dist[v] = d;
                    prev[v] = u;
                }
            }
        }
        let mut path = Vec::new();
        let mut v = r;
        while v != start && prev[v] != usize::MAX {
            let u = prev[v];
            path.push(if u < nr { (u, v - nr) } else { (v, u - nr) });
            v = u;
        }
        path
    }
}

/// The confidentiality flags of a [`Table`], cell by cell (extended with margins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    rows: usize,
    cols: usize,
    flags: Vec<Secret>,
}

impl Suppression {
    /// The flag of `(r, c)` in the extended table.
    pub fn at(&self, r: usize, c: usize) -> Secret {
        self.flags[r * (self.cols + 1) + c]
    }

    /// Suppressed cells of the extended table, as `(row, col)`.
    pub fn suppressed(&self) -> BTreeSet<(usize, usize)> {
        (0..=self.rows)
            .flat_map(|r| (0..=self.cols).map(move |c| (r, c)))
            .filter(|&(r, c)| self.at(r, c).is_suppressed())
            .collect()
    }
}

/// A bridge of the bipartite graph whose edges are the suppressed cells (rows `0..nr`, columns
/// `0..nc`), if any. Tarjan's lowlink, iterative; the graph is small (a table's cells).
fn find_bridge(nr: usize, nc: usize, suppressed: &dyn Fn(usize, usize) -> bool) -> Option<(usize, usize)> {
    let n = nr + nc;
    let adj: Vec<Vec<usize>> = (0..n)
        .map(|u| {
            if u < nr {
                (0..nc).filter(|&c| suppressed(u, c)).map(|c| nr + c).collect()
            } else {
                (0..nr).filter(|&r| suppressed(r, u - nr)).collect()
            }
        })
        .collect();
    let mut disc = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut time = 0;
    for root in 0..n {
        if disc[root] != usize::MAX {
            continue;
        }
        // Stack of (node, parent, next neighbour index).
        let mut stack = vec![(root, usize::MAX, 0usize)];
        disc[root] = time;
        low[root] = time;
        time += 1;
        while let Some(&mut (u, parent, ref mut i)) = stack.last_mut() {
            if *i < adj[u].len() {
                let v = adj[u][*i];
                *i += 1;
                if v == parent {
                    continue; // simple graph: one edge per (row, column) pair
                }
                if disc[v] == usize::MAX {
                    disc[v] = time;
                    low[v] = time;
                    time += 1;
                    stack.push((v, u, 0));
                } else {
                    low[u] = low[u].min(disc[v]);
                }
            } else {
                stack.pop();
                if parent != usize::MAX {
                    low[parent] = low[parent].min(low[u]);
                    if low[u] > disc[parent] {
                        return Some(if parent < nr {
                            (parent, u - nr)
                        } else {
                            (u, parent - nr)
                        });
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cell(establishments: i64, value: i128) -> CellFacts {
        CellFacts {
            establishments,
            value,
            largest: None,
        }
    }

    #[test]
    fn fewer_than_three_establishments_is_sensitive_but_an_empty_cell_is_not() {
        assert!(cell(1, 10).is_sensitive() && cell(2, 10).is_sensitive());
        assert!(!cell(3, 10).is_sensitive());
        assert!(!cell(0, 0).is_sensitive());
    }

    #[test]
    fn one_establishment_over_85_percent_is_sensitive() {
        let dominated = CellFacts {
            establishments: 10,
            value: 100,
            largest: Some(86),
        };
        let at_limit = CellFacts {
            largest: Some(85),
            ..dominated
        };
        assert!(dominated.is_sensitive());
        assert!(!at_limit.is_sensitive());
    }

    #[test]
    fn a_single_sensitive_cell_takes_three_others_with_it() {
        let table = Table::new(
            3,
            &[
                vec![cell(10, 100), cell(2, 5), cell(10, 80)],
                vec![cell(10, 90), cell(10, 70), cell(10, 60)],
            ],
        );
        let s = table.suppress();
        assert_eq!(s.at(0, 1), Secret::Primary);
        assert_eq!(s.suppressed().len(), 4, "a 2 × 2 rectangle: {:?}", s.suppressed());
        for r in 0..=2 {
            let in_row = (0..=3).filter(|&c| s.at(r, c).is_suppressed()).count();
            assert!(in_row != 1, "row {r}");
        }
        // The cheapest partner cells are chosen: column 2 row 0 (80) is cheaper than column 0 (100).
        assert!(s.at(0, 2).is_suppressed() && s.at(1, 1).is_suppressed() && s.at(1, 2).is_suppressed());
    }

    #[test]
    fn a_table_without_sensitive_cells_is_published_whole() {
        let table = Table::new(2, &[vec![cell(5, 10), cell(7, 20)], vec![cell(3, 1), cell(4, 2)]]);
        assert!(table.suppress().suppressed().is_empty());
    }

    /// A witness that `(r, c)` cannot be recomputed: a cycle of suppressed cells through it, found
    /// by a search independent of the suppression code (breadth-first, without the cell's edge).
    fn cycle_through(s: &Suppression, nr: usize, nc: usize, r: usize, c: usize) -> Option<Vec<(usize, usize)>> {
        let n = nr + nc;
        let mut prev = vec![usize::MAX; n];
        let mut seen = vec![false; n];
        let mut queue = std::collections::VecDeque::from([nr + c]);
        seen[nr + c] = true;
        while let Some(u) = queue.pop_front() {
            let next: Vec<(usize, (usize, usize))> = if u < nr {
                (0..nc).map(|cc| (nr + cc, (u, cc))).collect()
            } else {
                (0..nr).map(|rr| (rr, (rr, u - nr))).collect()
            };
            for (v, (cr, cc)) in next {
                if seen[v] || (cr, cc) == (r, c) || !s.at(cr, cc).is_suppressed() {
                    continue;
                }
                seen[v] = true;
                prev[v] = u;
                queue.push_back(v);
            }
        }
        if !seen[r] {
            return None;
        }
        let mut cells = vec![(r, c)];
        let mut v = r;
        while v != nr + c {
            let u = prev[v];
            cells.push(if u < nr { (u, v - nr) } else { (v, u - nr) });
            v = u;
        }
        Some(cells)
    }

    fn tables() -> impl Strategy<Value = (usize, Vec<Vec<CellFacts>>)> {
        (1usize..6, 1usize..6).prop_flat_map(|(rows, cols)| {
            let cell = (0i64..8, 0i128..1000, proptest::bool::ANY).prop_map(|(n, v, dominated)| {
                if n == 0 {
                    return CellFacts {
                        establishments: 0,
                        value: 0,
                        largest: Some(0),
                    };
                }
                let value = v + n as i128; // every establishment contributes at least 1
                let largest = if dominated {
                    value - (n as i128 - 1)
                } else {
                    (value + n as i128 - 1) / n as i128
                };
                CellFacts {
                    establishments: n,
                    value,
                    largest: Some(largest),
                }
            });
            (
                Just(cols),
                proptest::collection::vec(proptest::collection::vec(cell, cols), rows),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn every_sensitive_cell_is_suppressed_and_none_can_be_recomputed((cols, inner) in tables()) {
            let table = Table::new(cols, &inner);
            let s = table.suppress();
            let (nr, nc) = (table.rows() + 1, cols + 1);
            for r in 0..nr {
                for c in 0..nc {
                    if table.cell(r, c).is_sensitive() {
                        prop_assert_eq!(s.at(r, c), Secret::Primary);
                    }
                }
            }
            for r in 0..nr {
                let in_row = (0..nc).filter(|&c| s.at(r, c).is_suppressed()).count();
                prop_assert!(in_row != 1, "row {} has exactly one suppressed cell", r);
            }
            for c in 0..nc {
                let in_col = (0..nr).filter(|&r| s.at(r, c).is_suppressed()).count();
                prop_assert!(in_col != 1, "column {} has exactly one suppressed cell", c);
            }
            for (r, c) in s.suppressed() {
                let cycle = cycle_through(&s, nr, nc, r, c);
                prop_assert!(cycle.is_some(), "cell ({}, {}) is recomputable", r, c);
                // The witness: another table, equal on every published cell, whose rows and columns
                // still add up to their totals, but with a different value in (r, c).
                let cycle = cycle.unwrap_or_default();
                let mut alt: Vec<Vec<i128>> = (0..nr).map(|rr| (0..nc).map(|cc| table.cell(rr, cc).value).collect()).collect();
                for (k, &(cr, cc)) in cycle.iter().enumerate() {
                    // Inner cells and the grand total take one sign, margins the other, alternating
                    // along the cycle: each row/column equation keeps its balance.
                    let margin = (cr == nr - 1) ^ (cc == nc - 1);
                    let step = if k % 2 == 0 { 1 } else { -1 };
                    alt[cr][cc] += if margin { -step } else { step };
                }
                for (rr, row) in alt.iter().enumerate() {
                    let inner: i128 = row[..nc - 1].iter().sum();
                    prop_assert_eq!(inner, row[nc - 1], "row {} of the alternative", rr);
                }
                for cc in 0..nc {
                    let inner: i128 = alt[..nr - 1].iter().map(|row| row[cc]).sum();
                    prop_assert_eq!(inner, alt[nr - 1][cc], "column {} of the alternative", cc);
                }
                for (rr, row) in alt.iter().enumerate() {
                    for (cc, value) in row.iter().enumerate() {
                        if !s.at(rr, cc).is_suppressed() {
                            prop_assert_eq!(*value, table.cell(rr, cc).value);
                        }
                    }
                }
                prop_assert_ne!(alt[r][c], table.cell(r, c).value);
            }
        }
    }
}
