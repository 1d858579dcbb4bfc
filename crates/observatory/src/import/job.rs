//! One import, end to end: the upload's chunks feed the (blocking) parser through a bounded
//! channel, the parser's batches are written in one transaction that first claims the dataset's
//! `(source, edition)` and deletes its old facts, progress is reported after each batch, and the
//! transaction commits only if the whole file was clean. Memory holds a few chunks and one batch;
//! a SIRENE establishments import also holds its edition's legal units (SIREN → family) and the
//! sums it builds from the establishments (one per commune × family × NA88 division), and writes
//! those sums as facts at the end.

use std::{
    io::{self, Read},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use anyhow::Context as _;
use bytes::{Buf as _, Bytes};
use futures::{Stream, StreamExt as _};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tracing::Instrument as _;

use super::{LineError, ParseError, ParseSummary, parse, sirene::EstablishmentSums};
use crate::{
    domain::dataset::{Edition, Record, Source},
    store::{
        datasets::{self, DatasetRow},
        sirene,
    },
};

/// Chunks buffered between the upload and the parser.
const CHUNK_BUFFER: usize = 8;
/// Batches buffered between the parser and the database.
const BATCH_BUFFER: usize = 2;

/// Limits of one import.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest upload accepted, in bytes.
    pub max_bytes: u64,
    /// Latest year a row may carry.
    pub max_year: i32,
}

/// How far an import has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub bytes_received: u64,
    pub rows_read: u64,
    pub facts_written: u64,
}

/// A finished import.
#[derive(Debug, Clone)]
pub struct Report {
    pub dataset: DatasetRow,
    pub summary: ParseSummary,
    /// An earlier import of the same edition was replaced.
    pub replaced: bool,
}

/// Why an upload's stream failed (as the transport saw it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UploadError(pub String);

/// Why an import did not happen. In every case nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Bad header or rows: the first ones with their line numbers, and how many in all.
    #[error("the file has {total} error(s)")]
    Invalid { errors: Vec<LineError>, total: u64 },
    /// The upload exceeded `Limits::max_bytes`.
    #[error("the upload exceeds {limit} bytes")]
    TooLarge { limit: u64 },
    /// Something must be imported first (the legal units before the establishments), or the
    /// edition does not say its year.
    #[error("{0}")]
    Precondition(String),
    /// The client's stream broke or broke the protocol.
    #[error("the upload failed: {0}")]
    Upload(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Reads the chunks handed over by the async side, blocking the parser's thread between them.
struct ChunkReader {
    current: Bytes,
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Imports `chunks` as the dataset `(source, edition)`, sending progress on `progress` (dropped
/// messages are fine: a client that stopped reading progress still gets its import).
#[tracing::instrument(name = "observatory.import.run", skip_all, fields(ess.dataset.source = %source, ess.dataset.edition = edition.as_str()))]
pub async fn run(
    pool: &PgPool,
    source: Source,
    edition: &Edition,
    limits: Limits,
    chunks: impl Stream<Item = Result<Bytes, UploadError>>,
    progress: mpsc::Sender<Progress>,
) -> Result<Report, ImportError> {
    // An establishments import joins to the legal units of its edition while it reads.
    let (sirene_year, units) = match source {
        Source::SireneEtablissements => {
            let (legal_units, year) = sirene_dependency(pool, edition).await?;
            let mut conn = pool.acquire().await.context("acquire")?;
            let units = sirene::legal_unit_families(&mut conn, legal_units)
                .await
                .context("reading the legal units")?;
            (Some(year), Some(units))
        }
        _ => (None, None),
    };
    let received = Arc::new(AtomicU64::new(0));
    let (bytes_tx, bytes_rx) = mpsc::channel(CHUNK_BUFFER);
    let (batch_tx, mut batch_rx) = mpsc::channel(BATCH_BUFFER);
    let span = tracing::Span::current();
    let parser = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let reader = ChunkReader {
            current: Bytes::new(),
            rx: bytes_rx,
        };
        let mut sums = units.map(|u| (u, EstablishmentSums::default()));
        let mut unexpected = None;
        let parsed = parse(source, limits.max_year, reader, |mut batch| {
            if let Some((units, sums)) = sums.as_mut() {
                // Establishments are summed here, on the parser's thread; the batch goes on
                // without them, for progress.
                for record in batch.records.drain(..) {
                    if let Record::Establishment(e) = record
                        && let Err(err) = sums.add(units, &e)
                    {
                        unexpected = Some(err);
                        return false;
                    }
                }
            }
            batch_tx.blocking_send(batch).is_ok()
        });
        if let Some(e) = unexpected {
            return Err(anyhow::Error::new(e).context("summing the establishments"));
        }
        let facts = sums.map(|(_, s)| s.into_facts());
        Ok((parsed, facts))
    });

    let forward = {
        let received = received.clone();
        async move {
            let mut chunks = std::pin::pin!(chunks);
            while let Some(chunk) = chunks.next().await {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = bytes_tx.send(Err(io::Error::other("upload failed"))).await;
                        return Err(ImportError::Upload(e.0));
                    }
                };
                let total = received.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
                if total > limits.max_bytes {
                    let _ = bytes_tx.send(Err(io::Error::other("upload too large"))).await;
                    return Err(ImportError::TooLarge {
                        limit: limits.max_bytes,
                    });
                }
                if bytes_tx.send(Ok(chunk)).await.is_err() {
                    break; // the parser stopped (a bad header): its error says why
                }
            }
            Ok(())
        }
    };

    let write = async {
        let mut tx = pool.begin().await.context("begin import")?;
        let (dataset_id, replaced) = datasets::begin_import(&mut tx, source, edition)
            .await
            .context("claiming the dataset")?;
        let mut written = 0u64;
        while let Some(batch) = batch_rx.recv().await {
            if batch.errors_so_far == 0 && !batch.records.is_empty() {
                written += batch.records.len() as u64;
                write_batch(&mut tx, dataset_id, batch.records).await?;
            }
            let _ = progress.try_send(Progress {
                bytes_received: received.load(Ordering::Relaxed),
                rows_read: batch.rows_read,
                facts_written: written,
            });
        }
        Ok::<_, anyhow::Error>((tx, dataset_id, replaced))
    };

    let (forwarded, written) = tokio::join!(forward, write.in_current_span());
    let (parsed, establishment_facts) = parser.await.context("the parser task panicked")??;
    forwarded?;
    let (mut tx, dataset_id, replaced) = written?;
    let summary = match parsed {
        Ok(s) => s,
        Err(ParseError::Invalid { errors, total }) => return Err(ImportError::Invalid { errors, total }),
        Err(ParseError::Read(e)) => return Err(ImportError::Upload(e.to_string())),
        Err(ParseError::Abandoned) => return Err(ImportError::Unexpected(anyhow::anyhow!("the writer stopped"))),
    };
    if let (Some(year), Some(facts)) = (sirene_year, establishment_facts) {
        sirene::copy_establishment_facts(&mut tx, dataset_id, year, &facts)
            .await
            .context("writing the establishments' facts")?;
    }
    crate::store::cube::refresh_rollup(&mut tx, dataset_id)
        .await
        .context("summing the facts per territory level")?;
    let dataset = datasets::finish_import(&mut tx, dataset_id, summary.rows as i64)
        .await
        .context("recording the import")?;
    platform::outbox::commit(tx).await.context("commit import")?;
    analyze(pool, source).await;
    tracing::info!(
        rows = summary.rows,
        kept = summary.kept,
        replaced,
        "observatory.dataset.imported"
    );
    Ok(Report {
        dataset,
        summary,
        replaced,
    })
}

/// Refreshes the planner's statistics of the tables an import rewrote. A bulk import changes them
/// faster than autovacuum notices: without statistics, the indicator queries' plans scanned every
/// fact of the dataset (150 ms) instead of a few index pages (1 ms). The import has committed, so a
/// failure here is logged and the figures stay right, only slower to query until autovacuum runs.
async fn analyze(pool: &PgPool, source: Source) {
    let sql = match source {
        Source::SireneUnitesLegales => "ANALYZE sirene_legal_units",
        _ => "ANALYZE facts, facts_rollup",
    };
    if let Err(e) = sqlx::query(sql).execute(pool).await {
        tracing::warn!(error = ?e, "observatory.dataset.analyze_failed");
    }
}

/// The legal units an establishments import joins to (same edition), and the year its facts take.
async fn sirene_dependency(pool: &PgPool, edition: &Edition) -> Result<(uuid::Uuid, i32), ImportError> {
    let Some(year) = edition.year() else {
        return Err(ImportError::Precondition(
            "a SIRENE edition starts with the stock's year (e.g. 2025-01)".into(),
        ));
    };
    let mut conn = pool.acquire().await.context("acquire")?;
    let units = datasets::find(&mut conn, Source::SireneUnitesLegales, edition)
        .await
        .context("looking up the legal units")?;
    match units {
        Some(u) => Ok((u.id, year)),
        None => Err(ImportError::Precondition(format!(
            "import the legal units (source sirene-unites-legales) of edition {} first",
            edition.as_str()
        ))),
    }
}

/// Writes one batch with the store function of its kind of record.
async fn write_batch(
    conn: &mut sqlx::PgConnection,
    dataset_id: uuid::Uuid,
    records: Vec<Record>,
) -> anyhow::Result<()> {
    let (mut facts, mut units) = (Vec::new(), Vec::new());
    for r in records {
        match r {
            Record::Fact(f) => facts.push(f),
            Record::LegalUnit(u) => units.push(u),
            // Summed on the parser's thread (see `run`), never handed over.
            Record::Establishment(_) => {}
        }
    }
    if !facts.is_empty() {
        datasets::insert_facts(conn, dataset_id, &facts)
            .await
            .context("writing facts")?;
    }
    if !units.is_empty() {
        sirene::copy_legal_units(conn, dataset_id, &units)
            .await
            .context("copying legal units")?;
    }
    Ok(())
}
