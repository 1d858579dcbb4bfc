//! Indicator tables already computed (sums, margins and secret statistique), kept in memory per
//! dataset import so that the same question is answered without summing and suppressing again.
//!
//! A dataset is immutable between imports, and every import bumps its `revision` in the same
//! transaction that replaces its facts (`store::datasets::begin_import`). Entries are keyed by
//! `(dataset id, revision, query)`, and the dataset row is read afresh for every query: once a
//! re-import has committed, every query looks for the new revision, so no entry of the replaced
//! import is ever served again (they age out). A reader that read the old revision just before the
//! commit and the new facts just after stores them under the old key, which nobody asks for any
//! more: stale entries cost memory, never a wrong answer.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use uuid::Uuid;

use crate::domain::{
    cube::{Dimension, IndicatorTable},
    territory::TerritoryLevel,
};

/// What identifies a computed table: the import it was computed from and the query's shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableKey {
    pub dataset_id: Uuid,
    pub revision: i64,
    pub year: i32,
    pub rows: Dimension,
    pub columns: Option<Dimension>,
    pub level: TerritoryLevel,
    pub codes: Vec<String>,
    pub families: Vec<String>,
}

/// A bounded cache of indicator tables, least recently used out first. The bound is in cells
/// (a commune × NA88 table of the whole territory is a hundred thousand cells, a département ×
/// family one is twenty), so memory stays bounded whatever the mix of queries.
#[derive(Debug)]
pub struct TableCache {
    max_cells: usize,
    /// A std mutex: held only to look up or insert, never across an `.await`.
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<TableKey, Entry>,
    cells: usize,
    clock: u64,
}

#[derive(Debug)]
struct Entry {
    table: Arc<IndicatorTable>,
    last_used: u64,
}

impl TableCache {
    /// A cache holding at most `max_cells` cells in all (0: nothing is kept).
    pub fn new(max_cells: usize) -> Self {
        Self {
            max_cells,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The table computed for `key`, if still held.
    pub fn get(&self, key: &TableKey) -> Option<Arc<IndicatorTable>> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let entry = inner.entries.get_mut(key)?;
        entry.last_used = now;
        Some(entry.table.clone())
    }

    /// Keeps `table` for `key`, evicting the least recently used tables to stay within the bound.
    /// A table larger than the whole bound is not kept.
    pub fn insert(&self, key: TableKey, table: Arc<IndicatorTable>) {
        let size = table.cells.len();
        if size > self.max_cells {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.entries.remove(&key) {
            inner.cells -= old.table.cells.len();
        }
        while inner.cells + size > self.max_cells {
            // Linear scan: a few hundred entries at most, and only when the cache is full.
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.cells -= e.table.cells.len();
            }
        }
        inner.clock += 1;
        let last_used = inner.clock;
        inner.cells += size;
        inner.entries.insert(key, Entry { table, last_used });
    }

    /// Tables held (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no table is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the map consistent (every update is a single
        // insert or remove), so a poisoned lock is still safe to use.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cube::{CubeCell, Figures};

    fn key(revision: i64, code: &str) -> TableKey {
        TableKey {
            dataset_id: Uuid::nil(),
            revision,
            year: 2025,
            rows: Dimension::Territory(TerritoryLevel::Departement),
            columns: Some(Dimension::Family),
            level: TerritoryLevel::Departement,
            codes: vec![code.to_owned()],
            families: vec![],
        }
    }

    /// A 1 × 1 table: 4 cells with its margins.
    fn table() -> Arc<IndicatorTable> {
        Arc::new(IndicatorTable::build(
            Dimension::Territory(TerritoryLevel::Departement),
            Some(Dimension::Family),
            &[CubeCell {
                row: "14".into(),
                column: "associations".into(),
                figures: Figures {
                    establishments: 10,
                    ..Figures::default()
                },
            }],
        ))
    }

    #[test]
    fn another_revision_of_the_same_dataset_is_a_miss() {
        let cache = TableCache::new(100);
        cache.insert(key(1, "14"), table());
        assert!(cache.get(&key(1, "14")).is_some());
        assert!(cache.get(&key(2, "14")).is_none());
    }

    #[test]
    fn the_least_recently_used_table_leaves_first_when_the_cells_run_out() {
        let cache = TableCache::new(8); // two 4-cell tables
        cache.insert(key(1, "14"), table());
        cache.insert(key(1, "50"), table());
        assert!(cache.get(&key(1, "14")).is_some()); // "50" is now the oldest
        cache.insert(key(1, "61"), table());
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&key(1, "50")).is_none());
        assert!(cache.get(&key(1, "14")).is_some() && cache.get(&key(1, "61")).is_some());
    }

    #[test]
    fn a_cache_of_zero_cells_keeps_nothing() {
        let cache = TableCache::new(0);
        cache.insert(key(1, "14"), table());
        assert!(cache.is_empty());
    }
}
