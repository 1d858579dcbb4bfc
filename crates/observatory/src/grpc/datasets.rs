//! ImportDataset and ListDatasets: proto ⇄ import job, errors ⇄ `Status`.

use std::pin::Pin;

use bytes::Bytes;
use ess_proto::observatory::v1::{
    Dataset, ImportDatasetRequest, ImportDatasetResponse, ImportProgress, ImportReport, ListDatasetsRequest,
    ListDatasetsResponse, import_dataset_request::Part, import_dataset_response::Event,
};
use futures::{Stream, StreamExt as _};
use platform::{
    grpc::FieldViolation,
    paging::{self, Cursor, PageRequest},
};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};
use tracing::Instrument as _;

use super::timestamp;
use crate::{
    config::ImportArgs,
    domain::dataset::{Edition, Source},
    import::{
        MAX_REPORTED_ERRORS,
        job::{self, ImportError, Limits, UploadError},
    },
    store::datasets::DatasetRow,
};

/// The server stream of ImportDataset.
pub type ImportStream = Pin<Box<dyn Stream<Item = Result<ImportDatasetResponse, Status>> + Send>>;

impl From<ImportError> for Status {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Invalid { errors, total } => {
                let mut violations: Vec<FieldViolation> = errors
                    .into_iter()
                    .map(|e| {
                        let field = match e.column {
                            Some(c) => format!("line {}: {c}", e.line),
                            None => format!("line {}", e.line),
                        };
                        FieldViolation::new(field, e.message)
                    })
                    .collect();
                if total > violations.len() as u64 {
                    let more = total - violations.len() as u64;
                    violations.push(FieldViolation::new(
                        "file",
                        format!("{more} more bad row(s) not listed (only the first {MAX_REPORTED_ERRORS} are)"),
                    ));
                }
                platform::grpc::invalid_argument(violations)
            }
            ImportError::TooLarge { limit } => {
                Status::resource_exhausted(format!("the file exceeds the import limit of {limit} bytes"))
            }
            ImportError::Precondition(reason) => Status::failed_precondition(reason),
            ImportError::Upload(reason) => platform::grpc::invalid_argument(vec![FieldViolation::new("chunk", reason)]),
            ImportError::Unexpected(err) => platform::grpc::internal(err),
        }
    }
}

/// Reads the header message, then runs the import in a task of its own, streaming progress and
/// the final report (or the error) back.
pub async fn import(
    pool: PgPool,
    limits: ImportArgs,
    mut inbound: Streaming<ImportDatasetRequest>,
) -> Result<ImportStream, Status> {
    let header = match inbound.message().await? {
        Some(ImportDatasetRequest {
            part: Some(Part::Header(h)),
        }) => h,
        _ => {
            return Err(platform::grpc::invalid_argument(vec![FieldViolation::new(
                "header",
                "the first message must carry the dataset header",
            )]));
        }
    };
    let mut violations = Vec::new();
    let source =
        Source::parse(&header.source).map_err(|e| violations.push(FieldViolation::new("header.source", e.to_string())));
    let edition = Edition::parse(&header.edition)
        .map_err(|e| violations.push(FieldViolation::new("header.edition", e.to_string())));
    let (Ok(source), Ok(edition)) = (source, edition) else {
        return Err(platform::grpc::invalid_argument(violations));
    };
    let limits = Limits {
        max_bytes: limits.max_import_bytes,
        max_year: chrono::Datelike::year(&chrono::Utc::now()),
    };
    if header.size_bytes > 0 && header.size_bytes as u64 > limits.max_bytes {
        return Err(ImportError::TooLarge {
            limit: limits.max_bytes,
        }
        .into());
    }

    let chunks = inbound.map(|m| match m {
        Ok(ImportDatasetRequest {
            part: Some(Part::Chunk(bytes)),
        }) => Ok(Bytes::from(bytes)),
        Ok(_) => Err(UploadError("only file chunks may follow the header".into())),
        Err(status) => Err(UploadError(format!("the upload stream failed: {}", status.message()))),
    });
    let (out_tx, out_rx) = mpsc::channel(16);
    let (progress_tx, mut progress_rx) = mpsc::channel::<job::Progress>(16);
    // The import belongs to this request: it ends with its report or error, and a client that goes
    // away only stops the progress messages (the import still finishes or rolls back).
    tokio::spawn(
        async move {
            let forward_progress = {
                let out = out_tx.clone();
                async move {
                    while let Some(p) = progress_rx.recv().await {
                        let msg = ImportDatasetResponse {
                            event: Some(Event::Progress(ImportProgress {
                                bytes_received: p.bytes_received as i64,
                                rows_read: p.rows_read as i64,
                                facts_written: p.facts_written as i64,
                            })),
                        };
                        let _ = out.send(Ok(msg)).await;
                    }
                }
            };
            let (result, ()) = tokio::join!(
                job::run(&pool, source, &edition, limits, chunks, progress_tx),
                forward_progress
            );
            let last = result.map_err(Status::from).map(|report| ImportDatasetResponse {
                event: Some(Event::Report(ImportReport {
                    dataset: Some(dataset(&report.dataset)),
                    skipped_rows: report.summary.skipped as i64,
                    replaced: report.replaced,
                })),
            });
            let _ = out_tx.send(last).await;
        }
        .in_current_span(),
    );
    Ok(Box::pin(ReceiverStream::new(out_rx)))
}

/// One page of the datasets, by source then edition.
pub async fn list(pool: &PgPool, req: ListDatasetsRequest) -> Result<ListDatasetsResponse, Status> {
    let page = PageRequest::parse(req.page_size, &req.page_token, paging::fingerprint(&["datasets"]))
        .map_err(platform::grpc::invalid_argument)?;
    let mut rows = crate::store::datasets::list(pool, page.after.as_ref().map(|c| c.id), page.limit())
        .await
        .map_err(|e| platform::grpc::internal(anyhow::Error::new(e).context("listing datasets")))?;
    let next_page_token = page.finish(&mut rows, |d| Cursor {
        key: String::new(),
        id: d.id,
    });
    Ok(ListDatasetsResponse {
        datasets: rows.iter().map(dataset).collect(),
        next_page_token,
    })
}

/// A stored dataset as proto.
pub fn dataset(d: &DatasetRow) -> Dataset {
    Dataset {
        id: d.id.to_string(),
        source: d.source.code().to_owned(),
        source_label: d.source.label().to_owned(),
        edition: d.edition.clone(),
        rows: d.rows_read,
        facts: d.facts,
        first_year: d.first_year.unwrap_or_default(),
        last_year: d.last_year.unwrap_or_default(),
        imported_at: Some(timestamp(d.imported_at)),
    }
}
