//! `essctl resource publish|list|get|download`: the observatory's resource centre
//! (`ess.observatory.v1.Resources`). Publishing streams the file in chunks; downloading writes it
//! to `--out` and prints where.

use std::{io::Read as _, path::PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use ess_proto::observatory::v1::{
    DownloadResourceRequest, GetResourceRequest, ListResourcesRequest, PublishResourceRequest, Resource,
    ResourceDescription, ResourceKind, TerritoryLevel, download_resource_response, publish_resource_request::Part,
    resources_client::ResourcesClient,
};
use serde_json::json;
use tracing::{Span, field::Empty};

use super::{
    Transport, call,
    paging::{self, PageArgs},
    request, transport,
};
use crate::{
    cli::{GlobalArgs, Output},
    failure::{Failure, Service},
    render::{Align, column_table, key_value_table},
};

/// `essctl resource ...`
#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// Publish a resource with its file (at most the server's limit, 10 MiB by default; the bytes
    /// must match --content-type).
    Publish(PublishArgs),
    /// List and search resources (newest first).
    List(ListArgs),
    /// Show one resource.
    Get(IdArgs),
    /// Download a resource's file to --out.
    Download(DownloadArgs),
}

/// Kind of resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Etude,
    Analyse,
    NoteStatistique,
    PositionCommune,
    Guide,
}

impl KindArg {
    fn proto(self) -> ResourceKind {
        match self {
            KindArg::Etude => ResourceKind::Etude,
            KindArg::Analyse => ResourceKind::Analyse,
            KindArg::NoteStatistique => ResourceKind::NoteStatistique,
            KindArg::PositionCommune => ResourceKind::PositionCommune,
            KindArg::Guide => ResourceKind::Guide,
        }
    }
}

/// Territory level of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TerritoryArg {
    Region,
    AncienneRegion,
    Departement,
    Epci,
    Commune,
}

impl TerritoryArg {
    fn proto(self) -> TerritoryLevel {
        match self {
            TerritoryArg::Region => TerritoryLevel::Region,
            TerritoryArg::AncienneRegion => TerritoryLevel::AncienneRegion,
            TerritoryArg::Departement => TerritoryLevel::Departement,
            TerritoryArg::Epci => TerritoryLevel::Epci,
            TerritoryArg::Commune => TerritoryLevel::Commune,
        }
    }
}

/// `essctl resource publish`.
#[derive(Debug, Clone, Args)]
pub struct PublishArgs {
    /// The file to attach (PDF, CSV, text, Markdown, PNG, JPEG, OpenDocument, Office Open XML).
    #[arg(long)]
    pub file: PathBuf,
    /// Its MIME type, checked against the bytes (default: from the extension).
    #[arg(long)]
    pub content_type: Option<String>,
    #[arg(long, value_enum)]
    pub kind: KindArg,
    /// Title (1 to 300 characters).
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub summary: String,
    /// Axis of the agreement, 1 to 5.
    #[arg(long)]
    pub axis: i32,
    /// A theme (repeat for several).
    #[arg(long = "theme")]
    pub themes: Vec<String>,
    /// Level of the territory the resource is about.
    #[arg(long, value_enum)]
    pub territory_level: TerritoryArg,
    /// Its code: "28" (region), "25" (Basse-Normandie), "14", an EPCI SIREN or a commune code.
    #[arg(long)]
    pub territory: String,
    /// Publication date, YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
    /// An author (repeat for several; at least one).
    #[arg(long = "author")]
    pub authors: Vec<String>,
    /// Registry id of a signing partner (common positions only; repeat for several).
    #[arg(long = "signing-partner")]
    pub signing_partners: Vec<String>,
    /// Name the file is downloaded under (default: the file's own name).
    #[arg(long)]
    pub file_name: Option<String>,
}

/// `essctl resource list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    #[arg(long)]
    pub axis: Option<i32>,
    #[arg(long)]
    pub theme: Option<String>,
    /// Territory filter: level and code together.
    #[arg(long, value_enum, requires = "territory")]
    pub territory_level: Option<TerritoryArg>,
    #[arg(long, requires = "territory_level")]
    pub territory: Option<String>,
    /// Words that must all appear (case and accents ignored).
    #[arg(long)]
    pub text: Option<String>,
    /// Older name of --page-size (used when --page-size is not given).
    #[arg(long, default_value_t = 50)]
    pub limit: i32,
    #[command(flatten)]
    pub page: PageArgs,
}

/// `essctl resource get <ID>`.
#[derive(Debug, Clone, Args)]
pub struct IdArgs {
    pub id: String,
}

/// `essctl resource download <ID> --out FILE`.
#[derive(Debug, Clone, Args)]
pub struct DownloadArgs {
    pub id: String,
    /// Where to write the file (a directory: the resource's own file name inside it).
    #[arg(long)]
    pub out: PathBuf,
}

/// Bytes per upload message (well under gRPC's 4 MiB message limit).
const CHUNK_BYTES: usize = 1024 * 1024;

type Client = ResourcesClient<Transport>;

fn client(global: &GlobalArgs, command: &'static str, method: &'static str) -> Result<(Client, Span), Failure> {
    let url = global.observatory_url.as_str();
    let span = tracing::info_span!(
        parent: None,
        "essctl resource",
        otel.name = command,
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.observatory.v1.Resources",
        rpc.method = method,
        rpc.grpc.status_code = Empty,
        server.address = %url,
    );
    let client = ResourcesClient::new(transport(Service::Observatory, url, global.timeout, global.bearer()?)?);
    Ok((client, span))
}

fn content_type_of(path: &std::path::Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => return None,
    })
}

fn local(e: anyhow::Error) -> Failure {
    Failure::Local(e)
}

/// Runs a `resource` command and returns what to print.
pub async fn run(global: &GlobalArgs, command: &ResourceCommand) -> Result<String, Failure> {
    let url = global.observatory_url.as_str();
    match command {
        ResourceCommand::Publish(args) => {
            let mut bytes = Vec::new();
            std::fs::File::open(&args.file)
                .and_then(|mut f| f.read_to_end(&mut bytes))
                .with_context(|| format!("reading {}", args.file.display()))
                .map_err(local)?;
            let content_type = match &args.content_type {
                Some(t) => t.clone(),
                None => content_type_of(&args.file)
                    .context("cannot tell the file's type from its extension: give --content-type")
                    .map_err(local)?
                    .to_owned(),
            };
            let file_name = match &args.file_name {
                Some(n) => n.clone(),
                None => args
                    .file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            let description = ResourceDescription {
                title: args.title.clone(),
                summary: args.summary.clone(),
                kind: args.kind.proto() as i32,
                axis: args.axis,
                themes: args.themes.clone(),
                territory_level: args.territory_level.proto() as i32,
                territory_code: args.territory.clone(),
                date: args.date.clone(),
                authors: args.authors.clone(),
                signing_partner_ids: args.signing_partners.clone(),
                file_name,
                content_type,
            };
            let mut messages = vec![PublishResourceRequest {
                part: Some(Part::Description(description)),
            }];
            messages.extend(bytes.chunks(CHUNK_BYTES).map(|c| PublishResourceRequest {
                part: Some(Part::Chunk(c.to_vec())),
            }));
            let (mut client, span) = client(global, "essctl resource publish", "PublishResource")?;
            let response = call(
                Service::Observatory,
                url,
                global.timeout,
                &span,
                client.publish_resource(request(tokio_stream::iter(messages), global.timeout)),
            )
            .await?;
            let resource = response.resource.ok_or_else(|| bad_answer(url, "no resource"))?;
            one(&resource, global.output)
        }
        ResourceCommand::List(args) => {
            let (client, span) = client(global, "essctl resource list", "ListResources")?;
            let filter = ListResourcesRequest {
                kind: args.kind.map(|k| k.proto() as i32).unwrap_or_default(),
                axis: args.axis.unwrap_or_default(),
                theme: args.theme.clone().unwrap_or_default(),
                territory_level: args.territory_level.map(|l| l.proto() as i32).unwrap_or_default(),
                territory_code: args.territory.clone().unwrap_or_default(),
                text: args.text.clone().unwrap_or_default(),
                limit: args.limit,
                page_size: args.page.page_size,
                page_token: String::new(),
            };
            let (rows, next) = paging::fetch(&args.page, |page_token| {
                let (mut client, span) = (client.clone(), span.clone());
                let message = ListResourcesRequest {
                    page_token,
                    ..filter.clone()
                };
                async move {
                    let r = call(
                        Service::Observatory,
                        url,
                        global.timeout,
                        &span,
                        client.list_resources(request(message, global.timeout)),
                    )
                    .await?;
                    Ok((r.resources, r.next_page_token))
                }
            })
            .await?;
            Ok(paging::with_next(many(&rows, global.output)?, &next, global.output))
        }
        ResourceCommand::Get(args) => {
            let (mut client, span) = client(global, "essctl resource get", "GetResource")?;
            let response = call(
                Service::Observatory,
                url,
                global.timeout,
                &span,
                client.get_resource(request(GetResourceRequest { id: args.id.clone() }, global.timeout)),
            )
            .await?;
            let resource = response.resource.ok_or_else(|| bad_answer(url, "no resource"))?;
            one(&resource, global.output)
        }
        ResourceCommand::Download(args) => {
            let (mut client, span) = client(global, "essctl resource download", "DownloadResource")?;
            let mut stream = call(
                Service::Observatory,
                url,
                global.timeout,
                &span,
                client.download_resource(request(DownloadResourceRequest { id: args.id.clone() }, global.timeout)),
            )
            .await?;
            let mut resource = None;
            let mut bytes = Vec::new();
            loop {
                let message = tokio::time::timeout(global.timeout, stream.message())
                    .await
                    .map_err(|_| Failure::timed_out(Service::Observatory, url, global.timeout))?
                    .map_err(|status| Failure::Rpc {
                        service: Service::Observatory,
                        url: url.to_owned(),
                        status,
                    })?;
                match message.and_then(|m| m.part) {
                    Some(download_resource_response::Part::Resource(r)) => resource = Some(r),
                    Some(download_resource_response::Part::Chunk(c)) => bytes.extend(c),
                    None => break,
                }
            }
            let resource = resource.ok_or_else(|| bad_answer(url, "no resource description"))?;
            let path = if args.out.is_dir() {
                let name = resource
                    .description
                    .as_ref()
                    .map(|d| d.file_name.clone())
                    .filter(|n| !n.is_empty() && !n.contains(['/', '\\']) && n != ".." && n != ".")
                    .unwrap_or_else(|| resource.id.clone());
                args.out.join(name)
            } else {
                args.out.clone()
            };
            std::fs::write(&path, &bytes)
                .with_context(|| format!("writing {}", path.display()))
                .map_err(local)?;
            match global.output {
                Output::Json => to_json(&json!({ "id": resource.id, "path": path, "size_bytes": bytes.len() })),
                Output::Table => Ok(format!("{} bytes written to {}\n", bytes.len(), path.display())),
            }
        }
    }
}

fn bad_answer(url: &str, what: &str) -> Failure {
    Failure::BadAnswer {
        service: Service::Observatory,
        url: url.to_owned(),
        what: what.to_owned(),
    }
}

fn value(r: &Resource) -> serde_json::Value {
    let d = r.description.clone().unwrap_or_default();
    json!({
        "id": r.id,
        "title": d.title,
        "summary": d.summary,
        "kind": r.kind_label,
        "axis": d.axis,
        "themes": d.themes,
        "territory_level": TerritoryLevel::try_from(d.territory_level).map(|l| l.as_str_name()).unwrap_or_default(),
        "territory_code": d.territory_code,
        "date": d.date,
        "authors": d.authors,
        "signing_partner_ids": d.signing_partner_ids,
        "file_name": d.file_name,
        "content_type": d.content_type,
        "size_bytes": r.size_bytes,
    })
}

fn to_json(v: &serde_json::Value) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(v)
        .map_err(|e| Failure::Local(anyhow::Error::new(e).context("encoding the answer as JSON")))?;
    text.push('\n');
    Ok(text)
}

fn one(r: &Resource, output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return to_json(&value(r));
    }
    let d = r.description.clone().unwrap_or_default();
    let mut rows = vec![
        ("id", r.id.clone()),
        ("title", d.title),
        ("kind", r.kind_label.clone()),
        ("axis", d.axis.to_string()),
        ("themes", d.themes.join(", ")),
        ("territory", d.territory_code),
        ("date", d.date),
        ("authors", d.authors.join(", ")),
        (
            "file",
            format!("{} ({}, {} bytes)", d.file_name, d.content_type, r.size_bytes),
        ),
    ];
    if !d.signing_partner_ids.is_empty() {
        rows.push(("signed by", d.signing_partner_ids.join(", ")));
    }
    if !d.summary.is_empty() {
        rows.push(("summary", d.summary));
    }
    Ok(key_value_table(&rows))
}

fn many(resources: &[Resource], output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return to_json(&serde_json::Value::Array(resources.iter().map(value).collect()));
    }
    let rows: Vec<Vec<String>> = resources
        .iter()
        .map(|r| {
            let d = r.description.clone().unwrap_or_default();
            vec![
                r.id.clone(),
                d.date,
                r.kind_label.clone(),
                d.axis.to_string(),
                d.territory_code,
                d.title,
            ]
        })
        .collect();
    Ok(column_table(
        &["id", "date", "kind", "axis", "territory", "title"],
        &rows,
        &[Align::Left, Align::Left, Align::Left, Align::Right],
    ))
}
