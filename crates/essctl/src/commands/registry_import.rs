//! `essctl sirene import`: streams the two SIRENE stock files to the registry's `ImportSirene`
//! (units first, then establishments), with a progress bar on stderr, and prints the summary and
//! the bad rows the registry reported.

use std::{io::Read as _, path::Path, time::Duration};

use anyhow::Context as _;
use ess_proto::registry::v1::{
    ImportSireneRequest, ImportSireneStart, SireneChunk, SireneFile, import_sirene_progress::Event,
    import_sirene_request::Part, sirene_import_client::SireneImportClient,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio_stream::wrappers::ReceiverStream;
use tracing::field::Empty;

use super::{
    call,
    registry_cli::{SireneCommand, SireneImportArgs},
    registry_view::{self as rview, BadRowView, SireneImportView},
    transport,
};
use crate::{
    cli::{GlobalArgs, Output},
    failure::{Failure, Service},
};

/// Bytes per upload message (well under gRPC's 4 MiB message limit).
const CHUNK_BYTES: usize = 256 * 1024;
/// The registry merges everything once both files are read, which can take minutes on the
/// national files: wait that long between two answers, even with a shorter --timeout.
const MIN_ANSWER_WAIT: Duration = Duration::from_secs(600);

pub async fn run(global: &GlobalArgs, command: &SireneCommand) -> Result<String, Failure> {
    match command {
        SireneCommand::Import(args) => rview::sirene_import(&import(global, args).await?, global.output),
    }
}

fn open(path: &Path) -> Result<(std::fs::File, u64), Failure> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening {}", path.display()))
        .map_err(Failure::Local)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((file, size))
}

/// Uploads both files and collects the registry's report.
pub async fn import(global: &GlobalArgs, args: &SireneImportArgs) -> Result<SireneImportView, Failure> {
    let url = global.registry_url.as_str();
    let (units, units_size) = open(&args.units)?;
    let (establishments, etab_size) = open(&args.establishments)?;
    let bar = if global.output == Output::Table {
        ProgressBar::with_draw_target(Some(units_size + etab_size), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let start = ImportSireneRequest {
        part: Some(Part::Start(ImportSireneStart {
            departements: args.departements.clone(),
        })),
    };
    let uploaded = bar.clone();
    // Reads the files on a blocking thread, a few chunks ahead of the upload (bounded channel).
    tokio::task::spawn_blocking(move || {
        if tx.blocking_send(start).is_err() {
            return;
        }
        for (file, kind) in [
            (units, SireneFile::UnitesLegales),
            (establishments, SireneFile::Etablissements),
        ] {
            let mut file = file;
            loop {
                let mut buf = vec![0u8; CHUNK_BYTES];
                match file.read(&mut buf) {
                    // A read error ends the file short; the registry's counts show it.
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        buf.truncate(n);
                        uploaded.inc(n as u64);
                        let chunk = ImportSireneRequest {
                            part: Some(Part::Chunk(SireneChunk {
                                file: kind as i32,
                                data: buf,
                            })),
                        };
                        if tx.blocking_send(chunk).is_err() {
                            return;
                        }
                    }
                }
            }
        }
    });

    let span = tracing::info_span!(
        parent: None,
        "essctl sirene import",
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.registry.v1.SireneImport",
        rpc.method = "ImportSirene",
        rpc.grpc.status_code = Empty,
        server.address = %url,
    );
    let mut client = SireneImportClient::new(transport(Service::Registry, url, global.timeout, global.bearer()?)?);
    // No grpc-timeout on the request: an import of the national files takes longer than --timeout.
    let mut stream = call(
        Service::Registry,
        url,
        global.timeout,
        &span,
        client.import_sirene(tonic::Request::new(ReceiverStream::new(rx))),
    )
    .await?;
    let wait = global.timeout.max(MIN_ANSWER_WAIT);
    let mut view = SireneImportView::default();
    loop {
        let next = tokio::time::timeout(wait, stream.message())
            .await
            .map_err(|_| Failure::timed_out(Service::Registry, url, wait))?;
        match next {
            Ok(Some(msg)) => match msg.event {
                Some(Event::Progress(p)) => {
                    let file = file_name(p.file);
                    bar.set_message(format!("{file}: {} lignes lues, {} retenues", p.lines, p.kept));
                }
                Some(Event::BadRow(b)) => view.reported.push(BadRowView {
                    file: file_name(b.file).to_owned(),
                    line: b.line,
                    reason: b.reason,
                }),
                Some(Event::Done(s)) => {
                    view.units_read = s.units_read;
                    view.units_kept = s.units_kept;
                    view.establishments_read = s.establishments_read;
                    view.establishments_kept = s.establishments_kept;
                    view.created = s.created;
                    view.updated = s.updated;
                    view.unchanged = s.unchanged;
                    view.archived = s.archived;
                    view.bad_rows = s.bad_rows;
                    bar.finish_and_clear();
                    return Ok(view);
                }
                None => continue,
            },
            Ok(None) => {
                bar.abandon();
                return Err(Failure::BadAnswer {
                    service: Service::Registry,
                    url: url.to_owned(),
                    what: "the import ended without a summary".into(),
                });
            }
            Err(status) => {
                bar.abandon();
                return Err(Failure::Rpc {
                    service: Service::Registry,
                    url: url.to_owned(),
                    status,
                });
            }
        }
    }
}

fn file_name(n: i32) -> &'static str {
    match SireneFile::try_from(n) {
        Ok(SireneFile::UnitesLegales) => "StockUniteLegale",
        Ok(SireneFile::Etablissements) => "StockEtablissement",
        _ => "?",
    }
}
