//! What the import scenarios share: the reference data the synthetic SIRENE stocks are drawn from
//! (the observatory's copies of INSEE's communes and NAF codes), SIRET check digits, the `COPY`
//! baseline of a generated file, and the figures of a whole import.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use sqlx::PgPool;

use crate::load::Figures;

pub static COMMUNES_CSV: &str = include_str!("../../observatory/data/communes_basse_normandie.csv");
pub static NAF_CSV: &str = include_str!("../../observatory/data/naf_rev2_sous_classes.csv");

/// Bytes per streamed chunk, for the services and for `COPY` alike.
pub const CHUNK: usize = 256 * 1024;

/// Column `index` of a reference CSV (codes only: no quoted commas before them).
pub fn column(csv: &'static str, index: usize) -> Vec<&'static str> {
    csv.lines().skip(1).filter_map(|l| l.split(',').nth(index)).collect()
}

/// The Luhn check digit that makes `body` followed by it valid (SIREN, SIRET).
pub fn luhn_digit(body: &str) -> u32 {
    (0..10)
        .find(|d| {
            let sum: u32 = format!("{body}{d}")
                .bytes()
                .rev()
                .enumerate()
                .map(|(k, b)| {
                    let v = u32::from(b - b'0');
                    if k % 2 == 1 {
                        if v * 2 > 9 { v * 2 - 9 } else { v * 2 }
                    } else {
                        v
                    }
                })
                .sum();
            sum.is_multiple_of(10)
        })
        .unwrap_or(0)
}

/// `COPY` of the CSV file at `path` (with its header line) into a new table `table` of
/// `columns` text columns, through the same driver as the services. Returns the time it took.
pub async fn copy_baseline(raw: &PgPool, table: &str, columns: usize, path: &Path) -> anyhow::Result<Duration> {
    let list: Vec<String> = (1..=columns).map(|i| format!("c{i} TEXT")).collect();
    // Table names and column counts are the scenarios' own constants.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {table} ({})",
        list.join(", ")
    )))
    .execute(raw)
    .await?;
    let bytes = tokio::fs::read(path).await?;
    let started = Instant::now();
    let mut conn = raw.acquire().await?;
    let mut copy = conn
        .copy_in_raw(&format!("COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)"))
        .await?;
    for chunk in bytes.chunks(CHUNK) {
        copy.send(chunk).await?;
    }
    copy.finish().await?;
    Ok(started.elapsed())
}

/// A whole import is one operation: its rate is rows per second, its latency the elapsed time.
pub fn whole(rows: u64, elapsed: Duration) -> Figures {
    let ms = (elapsed.as_secs_f64() * 100_000.0).round() / 100.0;
    Figures {
        ops: rows,
        errors: 0,
        rate_per_s: (rows as f64 / elapsed.as_secs_f64()).round(),
        p50_ms: ms,
        p99_ms: ms,
        max_ms: ms,
    }
}
