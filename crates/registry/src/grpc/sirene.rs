//! `ess.registry.v1.SireneImport`: a bidirectional stream. CSV chunks come in; parsing runs on
//! blocking threads (CPU work off the runtime) fed through bounded channels, so memory stays
//! bounded whatever the file size; kept rows are COPY'd to staging tables in batches; one
//! set-based merge makes the partners; progress, bad rows and a summary go back as they happen.

use std::{
    io::Read,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use anyhow::Context as _;
use bytes::Bytes;
use ess_proto::registry::v1::{
    ImportSireneProgress, ImportSireneRequest, SireneBadRow, SireneFile, SireneFileProgress, SireneImportSummary,
    import_sirene_progress::Event, import_sirene_request::Part, sirene_import_server::SireneImport,
};
use platform::grpc::{FieldViolation, internal, invalid_argument};
use sqlx::{PgConnection, PgPool};
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument as _;

use crate::{
    domain::sirene::{self, ESTABLISHMENT_REQUIRED, EstablishmentRow, Header, UNIT_REQUIRED},
    events, store,
};

/// Départements kept when the caller names none: Calvados, Manche, Orne.
pub const DEFAULT_DEPARTEMENTS: [&str; 3] = ["14", "50", "61"];
/// Rows per COPY batch.
const BATCH: usize = 1_000;
/// A progress message every so many lines.
const PROGRESS_EVERY: i64 = 50_000;
/// Bad rows reported one by one at most (all are counted in the summary).
const MAX_REPORTED_BAD_ROWS: i64 = 1_000;
/// Changed partners loaded at once to build their events.
const EVENT_BATCH: usize = 500;

pub struct SireneImportService {
    pool: PgPool,
    max_bytes: u64,
}

impl SireneImportService {
    /// An import service that refuses uploads of more than `max_bytes` (both files together).
    pub fn new(pool: PgPool, max_bytes: u64) -> Self {
        Self { pool, max_bytes }
    }
}

/// The refusal of an upload past the limit. Nothing is written: the import's one transaction is
/// rolled back.
fn too_large(max_bytes: u64) -> Status {
    Status::resource_exhausted(format!(
        "the SIRENE files exceed the import limit of {max_bytes} bytes (REGISTRY_MAX_IMPORT_BYTES); nothing was imported"
    ))
}

type Progress = Result<ImportSireneProgress, Status>;

#[tonic::async_trait]
impl SireneImport for SireneImportService {
    type ImportSireneStream = Pin<Box<dyn Stream<Item = Progress> + Send + 'static>>;

    async fn import_sirene(
        &self,
        request: Request<Streaming<ImportSireneRequest>>,
    ) -> Result<Response<Self::ImportSireneStream>, Status> {
        let mut inbound = request.into_inner();
        let departements = match inbound.message().await? {
            Some(ImportSireneRequest {
                part: Some(Part::Start(start)),
            }) => parse_departements(&start.departements)?,
            _ => {
                return Err(invalid_argument(vec![FieldViolation::new(
                    "start",
                    "the first message must be the start message",
                )]));
            }
        };
        let (tx, rx) = mpsc::channel::<Progress>(64);
        let pool = self.pool.clone();
        let max_bytes = self.max_bytes;
        let span = tracing::info_span!(
            "registry.sirene.import",
            units = tracing::field::Empty,
            created = tracing::field::Empty
        );
        // Request-scoped: it ends with the import (or when the caller goes away and sends fail).
        tokio::spawn(
            async move {
                if let Err(status) = run(pool, inbound, departements, max_bytes, tx.clone()).await {
                    let _ = tx.send(Err(status)).await;
                }
            }
            .instrument(span),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

fn parse_departements(raw: &[String]) -> Result<Vec<String>, Status> {
    if raw.is_empty() {
        return Ok(DEFAULT_DEPARTEMENTS.iter().map(|d| (*d).to_owned()).collect());
    }
    let mut out = Vec::new();
    for (i, d) in raw.iter().enumerate() {
        let d = d.trim();
        if !DEFAULT_DEPARTEMENTS.contains(&d) {
            return Err(invalid_argument(vec![FieldViolation::new(
                format!("start.departements[{i}]"),
                "the registry knows the communes of 14, 50 and 61 only",
            )]));
        }
        if !out.iter().any(|x| x == d) {
            out.push(d.to_owned());
        }
    }
    Ok(out)
}

/// A `Read` over the chunks of one file, fed from the async side (blocking thread only).
struct ChunkReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// What a parser thread sends back.
enum Parsed<T> {
    Rows(Vec<T>),
    Bad { line: i64, reason: String },
    Progress { lines: i64, kept: i64 },
}

/// Why a file cannot be read at all.
#[derive(Debug)]
enum FileError {
    Header(String),
    Io(anyhow::Error),
}

/// Reads one CSV file row by row; returns (lines, kept).
fn parse_file<T: Send + 'static>(
    reader: ChunkReader,
    required: &'static [&'static str],
    row: impl Fn(&Header, &csv::StringRecord) -> Result<Option<T>, String>,
    out: mpsc::Sender<Parsed<T>>,
) -> Result<(i64, i64), FileError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let header = match csv.headers() {
        Ok(h) if h.is_empty() => return Err(FileError::Header("the file is empty".into())),
        Ok(h) => Header::parse(h.iter(), required).map_err(|e| FileError::Header(e.to_string()))?,
        Err(e) => {
            return Err(match e.kind() {
                csv::ErrorKind::Utf8 { .. } => FileError::Header("the header is not valid UTF-8".into()),
                csv::ErrorKind::Io(_) => FileError::Io(anyhow::Error::new(e).context("reading the header")),
                _ => FileError::Header("the header cannot be read as CSV".into()),
            });
        }
    };
    let (mut lines, mut kept) = (0i64, 0i64);
    let mut batch = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    // `send` fails only when the importer gave up: stop reading then.
    let send = |msg: Parsed<T>| out.blocking_send(msg).is_ok();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                lines += 1;
                let line = record.position().map(|p| p.line() as i64).unwrap_or(lines + 1);
                match row(&header, &record) {
                    Ok(Some(item)) => {
                        kept += 1;
                        batch.push(item);
                        if batch.len() == BATCH && !send(Parsed::Rows(std::mem::take(&mut batch))) {
                            return Ok((lines, kept));
                        }
                    }
                    Ok(None) => {}
                    Err(reason) => {
                        if !send(Parsed::Bad { line, reason }) {
                            return Ok((lines, kept));
                        }
                    }
                }
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::Utf8 { pos, .. } => {
                    lines += 1;
                    let line = pos.as_ref().map(|p| p.line() as i64).unwrap_or(lines + 1);
                    if !send(Parsed::Bad {
                        line,
                        reason: "not valid UTF-8".into(),
                    }) {
                        return Ok((lines, kept));
                    }
                }
                csv::ErrorKind::Io(_) => return Err(FileError::Io(anyhow::Error::new(e).context("reading the file"))),
                _ => {
                    lines += 1;
                    if !send(Parsed::Bad {
                        line: lines + 1,
                        reason: "not a CSV record".into(),
                    }) {
                        return Ok((lines, kept));
                    }
                }
            },
        }
        if lines % PROGRESS_EVERY == 0 && !send(Parsed::Progress { lines, kept }) {
            return Ok((lines, kept));
        }
    }
    if !batch.is_empty() {
        send(Parsed::Rows(batch));
    }
    Ok((lines, kept))
}

/// Routes the caller's chunks to the file they belong to; all units first, then establishments.
/// Past `max_bytes` in all, it sets `over_limit` and stops: the parsers then see the files end, and
/// the import reports the limit instead of what they make of the cut files.
async fn feed(
    mut inbound: Streaming<ImportSireneRequest>,
    units: mpsc::Sender<Bytes>,
    establishments: mpsc::Sender<Bytes>,
    max_bytes: u64,
    over_limit: Arc<AtomicBool>,
) -> Result<(), Status> {
    let mut units = Some(units);
    let mut total: u64 = 0;
    while let Some(msg) = inbound.message().await? {
        let Some(Part::Chunk(chunk)) = msg.part else {
            return Err(invalid_argument(vec![FieldViolation::new(
                "start",
                "only the first message may be a start",
            )]));
        };
        total = total.saturating_add(chunk.data.len() as u64);
        if total > max_bytes {
            over_limit.store(true, Ordering::SeqCst);
            return Err(too_large(max_bytes));
        }
        match SireneFile::try_from(chunk.file) {
            Ok(SireneFile::UnitesLegales) => {
                let Some(tx) = &units else {
                    return Err(invalid_argument(vec![FieldViolation::new(
                        "chunk.file",
                        "StockUniteLegale chunks must all come before StockEtablissement ones",
                    )]));
                };
                // A closed receiver means the import stopped; its error is reported there.
                if tx.send(Bytes::from(chunk.data)).await.is_err() {
                    return Ok(());
                }
            }
            Ok(SireneFile::Etablissements) => {
                units = None; // closes the units file
                if establishments.send(Bytes::from(chunk.data)).await.is_err() {
                    return Ok(());
                }
            }
            _ => {
                return Err(invalid_argument(vec![FieldViolation::new(
                    "chunk.file",
                    "must be UNITES_LEGALES or ETABLISSEMENTS",
                )]));
            }
        }
    }
    Ok(())
}

/// Counters of one import.
#[derive(Default)]
struct Counts {
    bad: i64,
}

async fn report_bad(
    progress: &mpsc::Sender<Progress>,
    counts: &mut Counts,
    file: SireneFile,
    line: i64,
    reason: String,
) {
    counts.bad += 1;
    if counts.bad <= MAX_REPORTED_BAD_ROWS {
        let _ = progress
            .send(Ok(ImportSireneProgress {
                event: Some(Event::BadRow(SireneBadRow {
                    file: file as i32,
                    line,
                    reason,
                })),
            }))
            .await;
    }
}

async fn report_progress(progress: &mpsc::Sender<Progress>, file: SireneFile, lines: i64, kept: i64) {
    let _ = progress
        .send(Ok(ImportSireneProgress {
            event: Some(Event::Progress(SireneFileProgress {
                file: file as i32,
                lines,
                kept,
            })),
        }))
        .await;
}

fn file_error(file: SireneFile, e: FileError) -> Status {
    let field = match file {
        SireneFile::UnitesLegales => "unites_legales",
        _ => "etablissements",
    };
    match e {
        FileError::Header(reason) => invalid_argument(vec![FieldViolation::new(field, reason)]),
        FileError::Io(err) => internal(err),
    }
}

async fn run(
    pool: PgPool,
    inbound: Streaming<ImportSireneRequest>,
    departements: Vec<String>,
    max_bytes: u64,
    progress: mpsc::Sender<Progress>,
) -> Result<(), Status> {
    let (units_tx, units_rx) = mpsc::channel::<Bytes>(4);
    let (etab_tx, etab_rx) = mpsc::channel::<Bytes>(4);
    let over_limit = Arc::new(AtomicBool::new(false));
    let feeder = tokio::spawn(feed(inbound, units_tx, etab_tx, max_bytes, over_limit.clone()));
    // A file cut short by the limit may fail to parse: the limit is the reason to report.
    let file_error = |file, e| {
        if over_limit.load(Ordering::SeqCst) {
            too_large(max_bytes)
        } else {
            file_error(file, e)
        }
    };
    let started = std::time::Instant::now();
    let mut tx = pool.begin().await.context("begin sirene import").map_err(internal)?;
    store::sirene::create_staging(&mut tx).await.map_err(internal)?;
    let mut counts = Counts::default();

    // StockUniteLegale: keep the ESS units.
    let (out, mut rx) = mpsc::channel(4);
    let reader = ChunkReader {
        rx: units_rx,
        current: Bytes::new(),
    };
    let parser = tokio::task::spawn_blocking(move || parse_file(reader, UNIT_REQUIRED, sirene::unit, out));
    let mut copy = store::sirene::start_units(&mut tx).await.map_err(internal)?;
    while let Some(msg) = rx.recv().await {
        match msg {
            Parsed::Rows(rows) => store::sirene::send_units(&mut copy, &rows).await.map_err(internal)?,
            Parsed::Bad { line, reason } => {
                report_bad(&progress, &mut counts, SireneFile::UnitesLegales, line, reason).await;
            }
            Parsed::Progress { lines, kept } => {
                report_progress(&progress, SireneFile::UnitesLegales, lines, kept).await
            }
        }
    }
    copy.finish()
        .await
        .context("finishing COPY import_units")
        .map_err(internal)?;
    let (units_read, units_kept) = parser
        .await
        .context("the units parser")
        .map_err(internal)?
        .map_err(|e| file_error(SireneFile::UnitesLegales, e))?;
    report_progress(&progress, SireneFile::UnitesLegales, units_read, units_kept).await;

    // StockEtablissement: keep the active establishments of the départements.
    let (out, mut rx) = mpsc::channel(4);
    let reader = ChunkReader {
        rx: etab_rx,
        current: Bytes::new(),
    };
    let deps = departements.clone();
    let parser = tokio::task::spawn_blocking(move || {
        parse_file(
            reader,
            ESTABLISHMENT_REQUIRED,
            move |h, r| sirene::establishment(h, r, &deps),
            out,
        )
    });
    let mut closed_rows = 0i64;
    let mut copy = store::sirene::start_establishments(&mut tx).await.map_err(internal)?;
    while let Some(msg) = rx.recv().await {
        match msg {
            Parsed::Rows(rows) => {
                let (mut active, mut closed) = (Vec::with_capacity(rows.len()), Vec::new());
                for row in rows {
                    match row {
                        EstablishmentRow::Active(e) => active.push(e),
                        EstablishmentRow::Closed { siret } => closed.push(siret),
                    }
                }
                closed_rows += closed.len() as i64;
                store::sirene::send_establishments(&mut copy, &active, &closed)
                    .await
                    .map_err(internal)?;
            }
            Parsed::Bad { line, reason } => {
                report_bad(&progress, &mut counts, SireneFile::Etablissements, line, reason).await;
            }
            Parsed::Progress { lines, kept } => {
                report_progress(&progress, SireneFile::Etablissements, lines, kept).await
            }
        }
    }
    copy.finish()
        .await
        .context("finishing COPY import_establishments")
        .map_err(internal)?;
    let (etab_read, etab_kept) = parser
        .await
        .context("the establishments parser")
        .map_err(internal)?
        .map_err(|e| file_error(SireneFile::Etablissements, e))?;
    // The parser kept active and closed establishments; the summary counts the active ones.
    let etab_kept = etab_kept - closed_rows;
    report_progress(&progress, SireneFile::Etablissements, etab_read, etab_kept).await;
    feeder.await.context("the chunk feeder").map_err(internal)??;

    // Where the time goes, for the operator's log: reading and staging, merging, events, commit.
    let staged = started.elapsed();
    let merged = store::sirene::merge(&mut tx).await.map_err(internal)?;
    let merging = started.elapsed() - staged;
    let (created, updated) = publish(&mut tx, &merged.changed).await.map_err(internal)?;
    let archived = archive_closed(&mut tx).await.map_err(internal)?;
    let eventing = started.elapsed() - staged - merging;
    platform::outbox::commit(tx)
        .await
        .context("commit sirene import")
        .map_err(internal)?;
    let committing = started.elapsed() - staged - merging - eventing;
    // A bulk import can change the table's shape faster than autovacuum notices: without fresh
    // statistics the planner sorts every partner of a département for a page of 50; and the rows
    // left in the word index's pending list (up to 4 MB, scanned linearly by every text
    // search until autovacuum comes) made text searches 10 times slower. VACUUM does both.
    if created + updated > 0
        && let Err(e) = sqlx::query("VACUUM (ANALYZE) partners").execute(&pool).await
    {
        tracing::warn!(error = ?e, "registry.sirene.vacuum_failed");
    }
    tracing::Span::current()
        .record("units", units_kept)
        .record("created", created);
    tracing::info!(
        created,
        updated,
        archived,
        bad_rows = counts.bad,
        staging_ms = staged.as_millis() as u64,
        merge_ms = merging.as_millis() as u64,
        events_ms = eventing.as_millis() as u64,
        commit_ms = committing.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "registry.sirene.imported"
    );
    let _ = progress
        .send(Ok(ImportSireneProgress {
            event: Some(Event::Done(SireneImportSummary {
                units_read,
                units_kept,
                establishments_read: etab_read,
                establishments_kept: etab_kept,
                created,
                updated,
                unchanged: merged.matched - created - updated,
                bad_rows: counts.bad,
                archived,
            })),
        }))
        .await;
    Ok(())
}

/// Archives the partners whose establishment closed and enqueues PartnerArchived for each.
async fn archive_closed(conn: &mut PgConnection) -> anyhow::Result<i64> {
    let ids = store::sirene::archive_closed(conn).await?;
    for chunk in ids.chunks(EVENT_BATCH) {
        let partners = store::partners::get_many(conn, chunk)
            .await
            .context("reading the archived partners")?;
        let archived: Vec<_> = partners.iter().map(events::partners::partner_archived).collect();
        platform::outbox::enqueue_many(conn, &archived)
            .await
            .context("enqueueing PartnerArchived")?;
    }
    Ok(ids.len() as i64)
}

/// Folds the search text and enqueues PartnerRegistered / PartnerUpdated for each changed partner.
async fn publish(conn: &mut PgConnection, changed: &[(uuid::Uuid, bool)]) -> anyhow::Result<(i64, i64)> {
    let (mut created, mut updated) = (0, 0);
    for chunk in changed.chunks(EVENT_BATCH) {
        let ids: Vec<uuid::Uuid> = chunk.iter().map(|(id, _)| *id).collect();
        let partners = store::partners::get_many(conn, &ids)
            .await
            .context("reading the merged partners")?;
        let inserted: std::collections::HashSet<uuid::Uuid> =
            chunk.iter().filter(|(_, ins)| *ins).map(|(id, _)| *id).collect();
        // New rows got their folded text from staging; an update keeps the registry's own
        // acronym when SIRENE has none, so fold again from the stored state.
        let refolded: Vec<_> = partners
            .iter()
            .filter(|p| !inserted.contains(&p.id.0))
            .map(|p| (p.id, p.details.search_text()))
            .collect();
        store::partners::set_search_texts(conn, &refolded)
            .await
            .context("folding the search texts")?;
        let batch: Vec<_> = partners
            .iter()
            .map(|p| {
                if inserted.contains(&p.id.0) {
                    created += 1;
                    events::partners::partner_registered(p)
                } else {
                    updated += 1;
                    events::partners::partner_updated(p)
                }
            })
            .collect();
        platform::outbox::enqueue_many(conn, &batch)
            .await
            .context("enqueueing the partner events")?;
    }
    Ok((created, updated))
}
