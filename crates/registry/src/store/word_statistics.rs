//! How many partners a word of a text search is likely to match, from what `ANALYZE` keeps about
//! the word index's column (`pg_stats.most_common_elems` of `partners.search_words`). A text
//! search asks the word index for its rarest word only: the index builds a bitmap of every
//! partner a word prefix matches before it returns one, so "mesure 4242" costs 12 partners
//! through "4242" and 114,000 through "mesure". PostgreSQL's own planner cannot tell (it
//! estimates every prefix at 2 % of the table), hence this.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sqlx::{PgConnection, Row as _};

use super::StoreError;

/// A prefix shorter than this may spread over many words that the statistics do not list, so it
/// is never taken for a rare word.
const MIN_RARE_WORD_CHARS: usize = 3;

/// How long the statistics read from the database are used. They change when `ANALYZE` runs
/// (autovacuum, or the end of a SIRENE import), and a stale figure only makes one search slower.
const REFRESH_AFTER: Duration = Duration::from_secs(60);

/// The most common words of the partners' folded names and the share of partners holding each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WordFrequencies {
    /// Partners in the table when the statistics were taken.
    partners: f64,
    /// (word, share of partners), sorted by word.
    words: Vec<(String, f64)>,
}

impl WordFrequencies {
    /// Statistics over `partners` rows; `words` in any order.
    pub fn new(partners: f64, mut words: Vec<(String, f64)>) -> Self {
        words.sort_by(|a, b| a.0.cmp(&b.0));
        Self {
            partners: partners.max(0.0),
            words,
        }
    }

    /// Partners holding a word that starts with `prefix`, as far as the statistics know: a word
    /// they do not list counts as none (it is rarer than every word they list).
    pub fn estimated_matches(&self, prefix: &str) -> f64 {
        let first = self.words.partition_point(|(w, _)| w.as_str() < prefix);
        let share: f64 = self.words[first..]
            .iter()
            .take_while(|(w, _)| w.starts_with(prefix))
            .map(|(_, share)| share)
            .sum();
        share.min(1.0) * self.partners
    }

    /// The word of a folded query to ask the word index for: the one with the fewest estimated
    /// matches (the longest among equals), when that is at most `cap` partners. `None` when every
    /// word is common, or too short to tell.
    pub fn rarest_word<'q>(&self, folded: &'q str, cap: f64) -> Option<&'q str> {
        folded
            .split(' ')
            .filter(|w| w.chars().count() >= MIN_RARE_WORD_CHARS)
            .map(|w| (self.estimated_matches(w), w))
            .filter(|(matches, _)| *matches <= cap)
            .min_by(|(a, wa), (b, wb)| a.total_cmp(b).then(wb.len().cmp(&wa.len())))
            .map(|(_, w)| w)
    }
}

/// Reads the statistics of `partners.search_words`; empty when the table was never analysed.
async fn load(conn: &mut PgConnection) -> Result<WordFrequencies, StoreError> {
    // `most_common_elem_freqs` ends with three figures about the column (lowest and highest
    // frequency, share of empty values) after one share per word: `zip` stops at the words.
    let row = sqlx::query(
        "SELECT c.reltuples::float8 AS partners, \
                s.most_common_elems::text::text[] AS words, \
                s.most_common_elem_freqs::float8[] AS shares \
         FROM pg_class c \
         LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = 'partners' \
              AND s.attname = 'search_words' \
         WHERE c.oid = 'partners'::regclass",
    )
    .fetch_one(conn)
    .await?;
    let words: Option<Vec<String>> = row.try_get("words")?;
    let shares: Option<Vec<f64>> = row.try_get("shares")?;
    let words = words
        .unwrap_or_default()
        .into_iter()
        .zip(shares.unwrap_or_default())
        .collect();
    Ok(WordFrequencies::new(row.try_get("partners")?, words))
}

/// Statistics and when they were read.
type Snapshot = (Instant, Arc<WordFrequencies>);

/// The statistics, read again once they are older than [`REFRESH_AFTER`]. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct WordStatistics {
    latest: Arc<Mutex<Option<Snapshot>>>,
}

impl WordStatistics {
    /// The current statistics, read through `conn` when those in hand are missing or old.
    pub async fn current(&self, conn: &mut PgConnection) -> Result<Arc<WordFrequencies>, StoreError> {
        if let Ok(latest) = self.latest.lock()
            && let Some((read_at, words)) = latest.as_ref()
            && read_at.elapsed() < REFRESH_AFTER
        {
            return Ok(words.clone());
        }
        let words = Arc::new(load(conn).await?);
        if let Ok(mut latest) = self.latest.lock() {
            *latest = Some((Instant::now(), words.clone()));
        }
        Ok(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> WordFrequencies {
        WordFrequencies::new(
            100_000.0,
            vec![
                ("structure".into(), 0.9),
                ("de".into(), 0.95),
                ("mesure".into(), 0.5),
                ("mesures".into(), 0.2),
                ("sport".into(), 0.004),
            ],
        )
    }

    #[test]
    fn a_prefix_adds_up_every_listed_word_it_begins() {
        let s = stats();
        assert_eq!(s.estimated_matches("mesure"), 70_000.0);
        assert_eq!(s.estimated_matches("mes"), 70_000.0);
        assert_eq!(s.estimated_matches("sport"), 400.0);
        assert_eq!(s.estimated_matches("4242"), 0.0);
        assert_eq!(WordFrequencies::default().estimated_matches("mesure"), 0.0);
    }

    #[test]
    fn the_rarest_long_enough_word_is_chosen_under_the_cap() {
        let s = stats();
        assert_eq!(s.rarest_word("structure de mesure 4242", 1000.0), Some("4242"));
        assert_eq!(s.rarest_word("mesure sport", 1000.0), Some("sport"));
        assert_eq!(s.rarest_word("mesure sport", 100.0), None, "every word is common");
        assert_eq!(s.rarest_word("structure de", 1000.0), None);
        assert_eq!(s.rarest_word("de 42", 1000.0), None, "too short to tell");
        assert_eq!(s.rarest_word("", 1000.0), None);
        assert_eq!(
            WordFrequencies::default().rarest_word("club theatre", 1000.0),
            Some("theatre"),
            "without statistics, the longest word"
        );
    }
}
