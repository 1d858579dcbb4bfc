//! `essctl stats ...`: figures from the observatory's `Observatory` service: partner counts and
//! projections, dataset imports (with a progress bar), the indicator table, the ESS share.

use anyhow::Context as _;
use ess_proto::observatory::v1::{
    CountPartnersByDepartementRequest, DatasetHeader, Dimension, GetActivityProjectionsRequest, GetEssShareRequest,
    GetPartnerProjectionsRequest, ImportDatasetRequest, ImportDatasetResponse, ListDatasetsRequest,
    QueryIndicatorsRequest, RebuildProjectionsRequest, TerritoryLevel, import_dataset_request::Part,
    import_dataset_response::Event, observatory_client::ObservatoryClient,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Read as _;
use tokio_stream::wrappers::ReceiverStream;
use tracing::{Span, field::Empty};

use super::{
    Transport, call, request,
    stats_args::{DimensionArg, EssShareArgs, ImportArgs, IndicatorsArgs, LevelArg},
    stats_view::{ActivitiesView, DatasetView, ImportView, IndicatorsView, ProjectionsView, SharesView},
    transport,
};
use crate::{
    cli::{GlobalArgs, Output},
    failure::{Failure, Service},
    view::DepartementStatsView,
};

/// Number of registry partners per département, as projected by the observatory.
pub async fn partners_by_departement(global: &GlobalArgs) -> Result<DepartementStatsView, Failure> {
    let url = global.observatory_url.as_str();
    let span = tracing::info_span!(
        parent: None,
        "essctl stats partners-by-departement",
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.observatory.v1.Observatory",
        rpc.method = "CountPartnersByDepartement",
        rpc.grpc.status_code = Empty,
        server.address = %url,
    );
    let mut client = ObservatoryClient::new(transport(Service::Observatory, url, global.timeout, global.bearer()?)?);
    let response = call(
        Service::Observatory,
        url,
        global.timeout,
        &span,
        client.count_partners_by_departement(request(CountPartnersByDepartementRequest {}, global.timeout)),
    )
    .await?;
    Ok(response.into())
}

/// The observatory client and the command's root span.
fn observatory(
    global: &GlobalArgs,
    command: &'static str,
    method: &'static str,
) -> Result<(ObservatoryClient<Transport>, Span), Failure> {
    let url = global.observatory_url.as_str();
    let span = tracing::info_span!(
        parent: None,
        "essctl stats",
        otel.name = command,
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.observatory.v1.Observatory",
        rpc.method = method,
        rpc.grpc.status_code = Empty,
        server.address = %url,
    );
    let client = ObservatoryClient::new(transport(Service::Observatory, url, global.timeout, global.bearer()?)?);
    Ok((client, span))
}

/// Bytes per upload message (well under gRPC's 4 MiB message limit).
const CHUNK_BYTES: usize = 256 * 1024;

/// Uploads a dataset file, showing a progress bar on stderr (when it is a terminal), and returns
/// the server's report. The whole upload has no deadline; each answer must come within --timeout.
pub async fn import(global: &GlobalArgs, args: &ImportArgs) -> Result<ImportView, Failure> {
    let url = global.observatory_url.as_str();
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))
        .map_err(Failure::Local)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let header = ImportDatasetRequest {
        part: Some(Part::Header(DatasetHeader {
            source: args.source.clone(),
            edition: args.edition.clone(),
            size_bytes: size as i64,
        })),
    };
    // Reads the file on a blocking thread, a few chunks ahead of the upload (bounded channel).
    tokio::task::spawn_blocking(move || {
        if tx.blocking_send(header).is_err() {
            return;
        }
        let mut file = file;
        loop {
            let mut buf = vec![0u8; CHUNK_BYTES];
            match file.read(&mut buf) {
                Ok(0) | Err(_) => return, // a read error ends the upload short; the server's count shows it
                Ok(n) => {
                    buf.truncate(n);
                    let chunk = ImportDatasetRequest {
                        part: Some(Part::Chunk(buf)),
                    };
                    if tx.blocking_send(chunk).is_err() {
                        return;
                    }
                }
            }
        }
    });

    let (mut client, span) = observatory(global, "essctl stats import", "ImportDataset")?;
    let bar = if global.output == Output::Table {
        ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // No grpc-timeout on the request: an import of millions of rows takes longer than --timeout.
    let mut stream = call(
        Service::Observatory,
        url,
        global.timeout,
        &span,
        client.import_dataset(tonic::Request::new(ReceiverStream::new(rx))),
    )
    .await?;
    let rpc_failure = |status| Failure::Rpc {
        service: Service::Observatory,
        url: url.to_owned(),
        status,
    };
    let report = loop {
        let next = tokio::time::timeout(global.timeout, stream.message())
            .await
            .map_err(|_| Failure::timed_out(Service::Observatory, url, global.timeout))?;
        match next {
            Ok(Some(ImportDatasetResponse {
                event: Some(Event::Progress(p)),
            })) => {
                bar.set_position(p.bytes_received as u64);
                bar.set_message(format!("{} lignes lues", p.rows_read));
            }
            Ok(Some(ImportDatasetResponse {
                event: Some(Event::Report(r)),
            })) => break r,
            Ok(Some(_)) => continue,
            Ok(None) => {
                bar.abandon();
                return Err(Failure::BadAnswer {
                    service: Service::Observatory,
                    url: url.to_owned(),
                    what: "the import ended without a report".into(),
                });
            }
            Err(status) => {
                bar.abandon();
                return Err(rpc_failure(status));
            }
        }
    };
    bar.finish_and_clear();
    Ok(ImportView {
        dataset: report.dataset.map(DatasetView::from),
        skipped_rows: report.skipped_rows,
        replaced: report.replaced,
    })
}

/// Every imported dataset.
pub async fn datasets(global: &GlobalArgs) -> Result<Vec<DatasetView>, Failure> {
    let (client, span) = observatory(global, "essctl stats datasets", "ListDatasets")?;
    let url = global.observatory_url.as_str();
    // A few datasets per source and year: every page, always.
    let rows = super::paging::all(|page_token| {
        let (mut client, span) = (client.clone(), span.clone());
        let message = ListDatasetsRequest {
            page_size: 500,
            page_token,
        };
        async move {
            let r = call(
                Service::Observatory,
                url,
                global.timeout,
                &span,
                client.list_datasets(request(message, global.timeout)),
            )
            .await?;
            Ok((r.datasets, r.next_page_token))
        }
    })
    .await?;
    Ok(rows.into_iter().map(DatasetView::from).collect())
}

fn level(l: LevelArg) -> TerritoryLevel {
    match l {
        LevelArg::Commune => TerritoryLevel::Commune,
        LevelArg::Epci => TerritoryLevel::Epci,
        LevelArg::Departement => TerritoryLevel::Departement,
        LevelArg::AncienneRegion => TerritoryLevel::AncienneRegion,
        LevelArg::Region => TerritoryLevel::Region,
    }
}

fn dimension(d: Option<DimensionArg>) -> Dimension {
    match d {
        None => Dimension::Unspecified,
        Some(DimensionArg::Territory) => Dimension::Territory,
        Some(DimensionArg::Family) => Dimension::Family,
        Some(DimensionArg::Na88) => Dimension::SectorNa88,
        Some(DimensionArg::Section) => Dimension::NafSection,
    }
}

/// The indicator table (public view, or the staff view with --unsuppressed).
pub async fn indicators(global: &GlobalArgs, args: &IndicatorsArgs) -> Result<IndicatorsView, Failure> {
    let method = if args.unsuppressed {
        "QueryIndicatorsUnsuppressed"
    } else {
        "QueryIndicators"
    };
    let (mut client, span) = observatory(global, "essctl stats indicators", method)?;
    let url = global.observatory_url.as_str();
    let message = QueryIndicatorsRequest {
        year: args.year,
        rows: dimension(Some(args.rows)) as i32,
        columns: dimension(args.columns) as i32,
        territory_level: level(args.level) as i32,
        territory_codes: args.territory.clone(),
        families: args.family.clone(),
        source: args.source.clone().unwrap_or_default(),
        compare_year: args.compare_year.unwrap_or_default(),
    };
    let r = if args.unsuppressed {
        call(
            Service::Observatory,
            url,
            global.timeout,
            &span,
            client.query_indicators_unsuppressed(request(message, global.timeout)),
        )
        .await?
    } else {
        call(
            Service::Observatory,
            url,
            global.timeout,
            &span,
            client.query_indicators(request(message, global.timeout)),
        )
        .await?
    };
    Ok(r.into())
}

/// ESS shares of private employment.
pub async fn ess_share(global: &GlobalArgs, args: &EssShareArgs) -> Result<SharesView, Failure> {
    let (mut client, span) = observatory(global, "essctl stats ess-share", "GetEssShare")?;
    let url = global.observatory_url.as_str();
    let message = GetEssShareRequest {
        year: args.year,
        territory_level: level(args.level) as i32,
        territory_codes: args.territory.clone(),
    };
    let r = call(
        Service::Observatory,
        url,
        global.timeout,
        &span,
        client.get_ess_share(request(message, global.timeout)),
    )
    .await?;
    Ok(r.into())
}

/// Partner projections.
pub async fn projections(global: &GlobalArgs) -> Result<ProjectionsView, Failure> {
    let (mut client, span) = observatory(global, "essctl stats partners", "GetPartnerProjections")?;
    let url = global.observatory_url.as_str();
    let r = call(
        Service::Observatory,
        url,
        global.timeout,
        &span,
        client.get_partner_projections(request(GetPartnerProjectionsRequest {}, global.timeout)),
    )
    .await?;
    Ok(r.into())
}

/// Rebuilds the projections from the stream; returns the consumers recreated.
pub async fn rebuild(global: &GlobalArgs) -> Result<String, Failure> {
    let (mut client, span) = observatory(global, "essctl stats rebuild-projections", "RebuildProjections")?;
    let url = global.observatory_url.as_str();
    let r = call(
        Service::Observatory,
        url,
        global.timeout,
        &span,
        client.rebuild_projections(request(RebuildProjectionsRequest {}, global.timeout)),
    )
    .await?;
    Ok(format!(
        "projections vidées ; rejeu du flux depuis le début par : {}\n",
        r.consumers.join(", ")
    ))
}

/// Activity projections.
pub async fn activities(global: &GlobalArgs) -> Result<ActivitiesView, Failure> {
    let (mut client, span) = observatory(global, "essctl stats activities", "GetActivityProjections")?;
    let url = global.observatory_url.as_str();
    let r = call(
        Service::Observatory,
        url,
        global.timeout,
        &span,
        client.get_activity_projections(request(GetActivityProjectionsRequest {}, global.timeout)),
    )
    .await?;
    Ok(r.into())
}
