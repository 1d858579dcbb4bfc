//! Reading dataset files: a streamed CSV reader that finds columns by header name (extra and
//! reordered columns are fine), checks every row, and hands checked facts over in batches. It is
//! synchronous (run it under `spawn_blocking`) and holds one batch at a time, so memory stays
//! bounded whatever the file's size. Bad rows are collected with their line numbers; the caller
//! writes nothing unless the whole file is clean.
//!
//! Layout:
//! - [`urssaf`]: the URSSAF open-data layouts (ESS by département, ESS by region × NA88, private
//!   sector by EPCI or département).
//! - [`sirene`]: the SIRENE stock files (legal units, then establishments).
//! - [`job`]: one import end to end (upload → parser → one transaction), with progress.

pub mod job;
pub mod sirene;
pub mod urssaf;

/// The layout of a source's files.
pub fn layout(source: Source, max_year: i32) -> Box<dyn Layout + Send> {
    match source {
        Source::SireneUnitesLegales => Box::new(sirene::LegalUnits),
        Source::SireneEtablissements => Box::new(sirene::Establishments),
        urssaf => urssaf::layout(urssaf, max_year),
    }
}

use std::{collections::HashMap, io::Read};

use rust_decimal::Decimal;

use crate::domain::dataset::{Record, Source};

/// Facts handed over per batch (one multi-row insert each).
pub const BATCH_ROWS: usize = 5_000;
/// Bad rows reported in detail; the rest are only counted.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// One bad row (or the header, line 1): where, which column, and why, without echoing the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The column concerned, when one is.
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, column {c}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Why a file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The header or some rows are wrong; `total` counts them all, `errors` lists the first ones.
    #[error("{total} error(s) in the file, first: {}", errors.first().map(ToString::to_string).unwrap_or_default())]
    Invalid { errors: Vec<LineError>, total: u64 },
    /// Reading the upload failed (the client went away, the upload was too large).
    #[error("reading the upload failed")]
    Read(#[source] std::io::Error),
    /// The receiver of the batches went away (the import was abandoned).
    #[error("the import was abandoned")]
    Abandoned,
}

/// What a clean file held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseSummary {
    /// Data rows read.
    pub rows: u64,
    /// Rows kept.
    pub kept: u64,
    /// Rows skipped: aggregate rows (totals the observatory recomputes itself), or units outside
    /// the ESS perimeter or the territory.
    pub skipped: u64,
}

/// One batch of checked records and how far the file has been read.
#[derive(Debug)]
pub struct Batch {
    pub records: Vec<Record>,
    /// Data rows read so far (good or bad).
    pub rows_read: u64,
    /// Bad rows so far: once non-zero, the caller should stop writing.
    pub errors_so_far: u64,
}

/// What a layout does with one row: a record to keep, or a row to skip (an aggregate row, a
/// unit outside the ESS perimeter or outside the observatory's territory).
pub enum RowOutcome {
    Keep(Record),
    Skip,
}

/// A bad value: the column and why.
pub type ColumnError = (&'static str, String);

/// The columns of a row, found by header name.
pub struct Row<'a> {
    index: &'a HashMap<&'static str, usize>,
    fields: Vec<&'a str>,
}

impl<'a> Row<'a> {
    /// The trimmed text of a required column (its presence was checked on the header).
    pub fn get(&self, column: &'static str) -> &'a str {
        self.index
            .get(column)
            .and_then(|&i| self.fields.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    /// A non-negative whole count (`nombre_d_etablissements`).
    pub fn count(&self, column: &'static str) -> Result<i64, ColumnError> {
        let raw = strip_spaces(self.get(column));
        if raw.is_empty() {
            return Err((column, "is empty".into()));
        }
        let n: i64 = raw.parse().map_err(|_| (column, "is not a whole number".to_owned()))?;
        if n < 0 {
            return Err((column, "must not be negative".into()));
        }
        Ok(n)
    }

    /// A non-negative exact decimal (`effectifs_salaries_moyens`, `masse_salariale`); a decimal
    /// comma is accepted, as French exports write it.
    pub fn amount(&self, column: &'static str) -> Result<Decimal, ColumnError> {
        let raw = strip_spaces(self.get(column)).replace(',', ".");
        if raw.is_empty() {
            return Err((column, "is empty".into()));
        }
        if !raw.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
            return Err((column, "is not a number".into()));
        }
        let d: Decimal = raw.parse().map_err(|_| (column, "is not a number".to_owned()))?;
        if d.is_sign_negative() && !d.is_zero() {
            return Err((column, "must not be negative".into()));
        }
        Ok(d.normalize())
    }

    /// A year between 1998 (start of the URSSAF series) and `max_year`.
    pub fn year(&self, column: &'static str, max_year: i32) -> Result<i32, ColumnError> {
        let raw = self.get(column);
        let y: i32 = raw.parse().map_err(|_| (column, "is not a year".to_owned()))?;
        if !(crate::domain::dataset::FIRST_YEAR..=max_year).contains(&y) {
            return Err((
                column,
                format!(
                    "year out of range (expected {} to {max_year})",
                    crate::domain::dataset::FIRST_YEAR
                ),
            ));
        }
        Ok(y)
    }
}

fn strip_spaces(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect()
}

/// A file layout: its delimiter, its required columns and how one row becomes a record.
pub trait Layout {
    /// The field delimiter (`;` for the URSSAF, `,` for SIRENE).
    fn delimiter(&self) -> u8 {
        b';'
    }
    /// Columns that must be in the header, in lower case (others are ignored).
    fn required(&self) -> &'static [&'static str];
    /// Checks one row.
    fn row(&self, row: &Row<'_>) -> Result<RowOutcome, ColumnError>;
}

/// Reads `input` as a file of `source`'s layout, calling `sink` with each batch
/// (which returns `false` to stop). Returns the summary if every row is clean.
pub fn parse(
    source: Source,
    max_year: i32,
    input: impl Read,
    mut sink: impl FnMut(Batch) -> bool,
) -> Result<ParseSummary, ParseError> {
    let layout = layout(source, max_year);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(layout.delimiter())
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let header = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(read_failure(e, 1)),
    };
    let index = header_index(&header, layout.required(), layout.delimiter())?;

    let mut summary = ParseSummary::default();
    let mut errors: Vec<LineError> = Vec::new();
    let mut total_errors = 0u64;
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let mut record = csv::ByteRecord::new();
    let report = |e: LineError, errors: &mut Vec<LineError>, total: &mut u64| {
        *total += 1;
        if errors.len() < MAX_REPORTED_ERRORS {
            errors.push(e);
        }
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        summary.rows += 1;
                        let msg = format!("has {len} fields, the header has {expected_len}");
                        report(
                            LineError {
                                line,
                                column: None,
                                message: msg,
                            },
                            &mut errors,
                            &mut total_errors,
                        );
                        continue;
                    }
                    _ => return Err(read_failure(e, line)),
                }
            }
        }
        summary.rows += 1;
        let line = record.position().map(|p| p.line()).unwrap_or(summary.rows + 1);
        let fields: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
        let Ok(fields) = fields else {
            let e = LineError {
                line,
                column: None,
                message: "is not valid UTF-8".into(),
            };
            report(e, &mut errors, &mut total_errors);
            continue;
        };
        match layout.row(&Row { index: &index, fields }) {
            Ok(RowOutcome::Keep(record)) => {
                summary.kept += 1;
                if total_errors == 0 {
                    batch.push(record);
                }
            }
            Ok(RowOutcome::Skip) => summary.skipped += 1,
            Err((column, message)) => {
                let e = LineError {
                    line,
                    column: Some(column.to_owned()),
                    message,
                };
                report(e, &mut errors, &mut total_errors);
            }
        }
        if batch.len() >= BATCH_ROWS || (total_errors > 0 && summary.rows.is_multiple_of(BATCH_ROWS as u64)) {
            let records = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
            if !sink(Batch {
                records,
                rows_read: summary.rows,
                errors_so_far: total_errors,
            }) {
                return Err(ParseError::Abandoned);
            }
        }
    }
    if total_errors > 0 {
        return Err(ParseError::Invalid {
            errors,
            total: total_errors,
        });
    }
    if !batch.is_empty()
        && !sink(Batch {
            records: batch,
            rows_read: summary.rows,
            errors_so_far: 0,
        })
    {
        return Err(ParseError::Abandoned);
    }
    Ok(summary)
}

/// Finds each required column by its (trimmed, lower-cased) header name; a missing one, an
/// undecodable header or a header that looks split on another delimiter is a line-1 error.
fn header_index(
    header: &csv::ByteRecord,
    required: &'static [&'static str],
    delimiter: u8,
) -> Result<HashMap<&'static str, usize>, ParseError> {
    let invalid = |message: String| ParseError::Invalid {
        errors: vec![LineError {
            line: 1,
            column: None,
            message,
        }],
        total: 1,
    };
    let names: Vec<String> = match header.iter().map(std::str::from_utf8).collect::<Result<Vec<_>, _>>() {
        Ok(names) => names
            .iter()
            .map(|n| n.trim().trim_start_matches('\u{feff}').to_lowercase())
            .collect(),
        Err(_) => return Err(invalid("the header is not valid UTF-8".into())),
    };
    let others = [b';', b',', b'\t'].into_iter().filter(|d| *d != delimiter);
    if names.len() == 1 && others.clone().any(|d| names[0].contains(d as char)) {
        return Err(invalid(format!(
            "the header has a single column: the file is not '{}'-separated",
            delimiter as char
        )));
    }
    let mut index = HashMap::new();
    let mut missing = Vec::new();
    for &column in required {
        match names.iter().position(|n| n == column) {
            Some(i) => {
                index.insert(column, i);
            }
            None => missing.push(column),
        }
    }
    if !missing.is_empty() {
        return Err(invalid(format!("missing column(s): {}", missing.join(", "))));
    }
    Ok(index)
}

fn read_failure(e: csv::Error, line: u64) -> ParseError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ParseError::Read(io),
        other => ParseError::Invalid {
            errors: vec![LineError {
                line,
                column: None,
                message: format!("unreadable CSV: {other:?}"),
            }],
            total: 1,
        },
    }
}
