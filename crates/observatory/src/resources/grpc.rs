//! `ess.observatory.v1.Resources`: publish (streamed upload, checked whole before anything is
//! written), list/search, get, download (streamed). Proto ⇄ domain here; SQL in `store`.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::NaiveDate;
use ess_proto::observatory::v1::{
    self as pb, DownloadResourceRequest, DownloadResourceResponse, GetResourceRequest, GetResourceResponse,
    ListResourcesRequest, ListResourcesResponse, PublishResourceRequest, PublishResourceResponse,
    download_resource_response, publish_resource_request::Part, resources_server::Resources,
};
use platform::{
    grpc::FieldViolation,
    paging::{self, Cursor, PageRequest},
};
use sqlx::PgPool;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use super::{
    domain::{Axis, ContentType, FileName, NewResource, ResourceKind, ResourceTerritory},
    events,
    store::{self, Filter, ResourceRow},
};
use crate::{domain::territory::TerritoryLevel, grpc::timestamp};

/// Largest chunk a download sends (the gRPC default message limit is 4 MiB).
const CHUNK: usize = 1024 * 1024;
const MAX_TITLE: usize = 300;
const MAX_SUMMARY: usize = 4000;
const MAX_THEMES: usize = 20;
const MAX_THEME: usize = 80;
const MAX_AUTHORS: usize = 20;
const MAX_AUTHOR: usize = 200;

/// Uploads held in memory at once: each may hold up to `max_bytes` until it is checked.
const CONCURRENT_UPLOADS: usize = 4;

pub struct ResourcesService {
    pool: PgPool,
    max_bytes: u64,
    /// Bounds the memory uploads take (`CONCURRENT_UPLOADS` × `max_bytes`); later uploads wait.
    uploads: Arc<Semaphore>,
}

impl ResourcesService {
    /// `max_bytes`: the largest file PublishResource accepts.
    pub fn new(pool: PgPool, max_bytes: u64) -> Self {
        Self {
            pool,
            max_bytes,
            uploads: Arc::new(Semaphore::new(CONCURRENT_UPLOADS)),
        }
    }
}

fn invalid(field: &str, why: impl Into<String>) -> Status {
    platform::grpc::invalid_argument(vec![FieldViolation::new(field, why)])
}

/// The proto kind, `None` for unspecified or unknown.
pub fn kind_from_proto(raw: i32) -> Option<ResourceKind> {
    Some(match pb::ResourceKind::try_from(raw).ok()? {
        pb::ResourceKind::Unspecified => return None,
        pb::ResourceKind::Etude => ResourceKind::Etude,
        pb::ResourceKind::Analyse => ResourceKind::Analyse,
        pb::ResourceKind::NoteStatistique => ResourceKind::NoteStatistique,
        pb::ResourceKind::PositionCommune => ResourceKind::PositionCommune,
        pb::ResourceKind::Guide => ResourceKind::Guide,
    })
}

fn kind_to_proto(kind: ResourceKind) -> pb::ResourceKind {
    match kind {
        ResourceKind::Etude => pb::ResourceKind::Etude,
        ResourceKind::Analyse => pb::ResourceKind::Analyse,
        ResourceKind::NoteStatistique => pb::ResourceKind::NoteStatistique,
        ResourceKind::PositionCommune => pb::ResourceKind::PositionCommune,
        ResourceKind::Guide => pb::ResourceKind::Guide,
    }
}

/// The proto level, `None` for unspecified or unknown.
fn level_from_proto(raw: i32) -> Option<TerritoryLevel> {
    Some(match pb::TerritoryLevel::try_from(raw).ok()? {
        pb::TerritoryLevel::Unspecified => return None,
        pb::TerritoryLevel::Commune => TerritoryLevel::Commune,
        pb::TerritoryLevel::Epci => TerritoryLevel::Epci,
        pb::TerritoryLevel::Departement => TerritoryLevel::Departement,
        pb::TerritoryLevel::AncienneRegion => TerritoryLevel::AncienneRegion,
        pb::TerritoryLevel::Region => TerritoryLevel::Region,
    })
}

fn level_to_proto(level: TerritoryLevel) -> pb::TerritoryLevel {
    match level {
        TerritoryLevel::Commune => pb::TerritoryLevel::Commune,
        TerritoryLevel::Epci => pb::TerritoryLevel::Epci,
        TerritoryLevel::Departement => pb::TerritoryLevel::Departement,
        TerritoryLevel::AncienneRegion => pb::TerritoryLevel::AncienneRegion,
        TerritoryLevel::Region => pb::TerritoryLevel::Region,
    }
}

/// Checks every field of a description, collecting every violation (field paths under
/// `description.`).
pub fn parse_description(d: pb::ResourceDescription) -> Result<NewResource, Vec<FieldViolation>> {
    let mut v = Vec::new();
    let mut bad = |field: &str, why: &str| v.push(FieldViolation::new(format!("description.{field}"), why));
    let title = d.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        bad("title", "required, at most 300 characters");
    }
    let summary = d.summary.trim().to_owned();
    if summary.chars().count() > MAX_SUMMARY {
        bad("summary", "at most 4000 characters");
    }
    let kind = kind_from_proto(d.kind);
    if kind.is_none() {
        bad(
            "kind",
            "required: étude, analyse, note statistique, position commune or guide",
        );
    }
    let axis = Axis::parse(d.axis);
    if axis.is_none() {
        bad("axis", "must be an axis of the agreement, 1 to 5");
    }
    let themes: Vec<String> = d.themes.iter().map(|t| t.trim().to_owned()).collect();
    if themes.len() > MAX_THEMES || themes.iter().any(|t| t.is_empty() || t.chars().count() > MAX_THEME) {
        bad("themes", "at most 20 themes of 1 to 80 characters each");
    }
    let territory = match level_from_proto(d.territory_level) {
        Some(level) => ResourceTerritory::parse(level, &d.territory_code)
            .map_err(|e| bad("territory_code", &e.to_string()))
            .ok(),
        None => {
            bad(
                "territory_level",
                "required: region, former region, département, EPCI or commune",
            );
            None
        }
    };
    let date = NaiveDate::parse_from_str(d.date.trim(), "%Y-%m-%d").ok();
    if date.is_none() {
        bad("date", "required, as YYYY-MM-DD");
    }
    let authors: Vec<String> = d.authors.iter().map(|a| a.trim().to_owned()).collect();
    if authors.is_empty()
        || authors.len() > MAX_AUTHORS
        || authors.iter().any(|a| a.is_empty() || a.chars().count() > MAX_AUTHOR)
    {
        bad("authors", "1 to 20 authors of 1 to 200 characters each");
    }
    let mut signing = Vec::new();
    for (i, raw) in d.signing_partner_ids.iter().enumerate() {
        match Uuid::parse_str(raw.trim()) {
            Ok(id) => signing.push(id),
            Err(_) => v.push(FieldViolation::new(
                format!("description.signing_partner_ids[{i}]"),
                "not a partner id (UUID)",
            )),
        }
    }
    let mut bad = |field: &str, why: &str| v.push(FieldViolation::new(format!("description.{field}"), why));
    match kind {
        Some(ResourceKind::PositionCommune) if d.signing_partner_ids.is_empty() => {
            bad(
                "signing_partner_ids",
                "a common position names the partners that sign it",
            );
        }
        Some(k) if k != ResourceKind::PositionCommune && !d.signing_partner_ids.is_empty() => {
            bad("signing_partner_ids", "only a common position has signing partners");
        }
        _ => {}
    }
    let file_name = FileName::parse(&d.file_name)
        .map_err(|e| bad("file_name", &e.to_string()))
        .ok();
    let content_type = ContentType::parse(&d.content_type);
    if content_type.is_none() {
        bad(
            "content_type",
            "unsupported type: PDF, CSV, text, Markdown, PNG, JPEG, OpenDocument or Office Open XML",
        );
    }
    match (kind, axis, territory, date, file_name, content_type) {
        (Some(kind), Some(axis), Some(territory), Some(date), Some(file_name), Some(content_type)) if v.is_empty() => {
            Ok(NewResource {
                kind,
                title,
                summary,
                axis,
                themes,
                territory,
                date,
                authors,
                signing_partner_ids: signing,
                file_name,
                content_type,
            })
        }
        _ => Err(v),
    }
}

/// A stored resource as the API shows it.
pub fn resource(r: &ResourceRow) -> pb::Resource {
    pb::Resource {
        id: r.id.to_string(),
        description: Some(pb::ResourceDescription {
            title: r.title.clone(),
            summary: r.summary.clone(),
            kind: kind_to_proto(r.kind) as i32,
            axis: i32::from(r.axis),
            themes: r.themes.clone(),
            territory_level: level_to_proto(r.territory_level) as i32,
            territory_code: r.territory_code.clone(),
            date: r.published_on.format("%Y-%m-%d").to_string(),
            authors: r.authors.clone(),
            signing_partner_ids: r.signing_partner_ids.iter().map(Uuid::to_string).collect(),
            file_name: r.file_name.clone(),
            content_type: r.content_type.mime().to_owned(),
        }),
        size_bytes: r.size_bytes,
        published_at: Some(timestamp(r.created_at)),
        kind_label: r.kind.label().to_owned(),
    }
}

fn resource_id(raw: &str) -> Result<Uuid, Status> {
    Uuid::parse_str(raw.trim()).map_err(|_| invalid("id", "not a resource id (UUID)"))
}

/// Checks a list request into a store filter and its page (`limit` is the older name of
/// `page_size`, read when `page_size` is 0).
pub fn filter(r: &ListResourcesRequest) -> Result<(Filter, PageRequest), Status> {
    let mut v = Vec::new();
    let kind = match r.kind {
        0 => None,
        raw => {
            let k = kind_from_proto(raw);
            if k.is_none() {
                v.push(FieldViolation::new("kind", "unknown kind"));
            }
            k
        }
    };
    let axis = match r.axis {
        0 => None,
        raw => {
            let a = Axis::parse(raw).map(|a| i16::from(a.get()));
            if a.is_none() {
                v.push(FieldViolation::new("axis", "must be 1 to 5 (0: every axis)"));
            }
            a
        }
    };
    let territory = match (level_from_proto(r.territory_level), r.territory_code.trim()) {
        (None, "") => None,
        (Some(level), code) if !code.is_empty() => Some((level, code.to_owned())),
        _ => {
            v.push(FieldViolation::new(
                "territory_code",
                "a territory filter needs both a level and a code",
            ));
            None
        }
    };
    if !(0..=paging::MAX_PAGE_SIZE).contains(&i64::from(r.limit)) {
        v.push(FieldViolation::new("limit", "must be 1 to 500 (0: 50)"));
    }
    let theme = Some(r.theme.trim().to_owned()).filter(|t| !t.is_empty());
    let text = Some(r.text.trim().to_owned()).filter(|t| !t.is_empty());
    let filters = format!("{kind:?}|{axis:?}|{theme:?}|{territory:?}|{text:?}");
    let page_size = if r.page_size == 0 { r.limit.max(0) } else { r.page_size };
    let page = PageRequest::parse(page_size, &r.page_token, paging::fingerprint(&["resources", &filters]))
        .map_err(|e| v.extend(e))
        .ok();
    let page = match page {
        Some(page) if v.is_empty() => page,
        _ => return Err(platform::grpc::invalid_argument(v)),
    };
    Ok((
        Filter {
            kind,
            axis,
            theme,
            territory,
            text,
            limit: page.limit(),
            after: page.after.as_ref().map(|c| c.id),
        },
        page,
    ))
}

/// Publishes a checked resource and its bytes, with its event, in one transaction.
pub async fn publish(pool: &PgPool, new: &NewResource, bytes: &[u8]) -> anyhow::Result<ResourceRow> {
    let id = Uuid::now_v7();
    let mut tx = pool.begin().await.context("begin publish_resource")?;
    let created_at = store::insert(&mut tx, id, new, bytes)
        .await
        .context("storing the resource")?;
    let event = events::resource_published(id, new, bytes.len() as i64, created_at);
    platform::outbox::enqueue(&mut tx, &event)
        .await
        .context("writing the resource_published event")?;
    platform::outbox::commit(tx).await.context("commit publish_resource")?;
    tracing::info!(ess.resource.id = %id, size_bytes = bytes.len(), "observatory.resource.published");
    Ok(ResourceRow {
        id,
        kind: new.kind,
        title: new.title.clone(),
        summary: new.summary.clone(),
        axis: i16::from(new.axis.get()),
        themes: new.themes.clone(),
        territory_level: new.territory.level(),
        territory_code: new.territory.code().to_owned(),
        published_on: new.date,
        authors: new.authors.clone(),
        signing_partner_ids: new.signing_partner_ids.clone(),
        file_name: new.file_name.as_str().to_owned(),
        content_type: new.content_type,
        size_bytes: bytes.len() as i64,
        created_at,
    })
}

type DownloadStream = tokio_stream::Iter<std::vec::IntoIter<Result<DownloadResourceResponse, Status>>>;

#[tonic::async_trait]
impl Resources for ResourcesService {
    async fn publish_resource(
        &self,
        request: Request<Streaming<PublishResourceRequest>>,
    ) -> Result<Response<PublishResourceResponse>, Status> {
        // Staff and admin only: declared in `crate::access`, enforced by the auth layer.
        let mut inbound = request.into_inner();
        let description = match inbound.message().await? {
            Some(PublishResourceRequest {
                part: Some(Part::Description(d)),
            }) => d,
            _ => return Err(invalid("description", "the first message must carry the description")),
        };
        let new = parse_description(description).map_err(platform::grpc::invalid_argument)?;
        let _permit = self
            .uploads
            .acquire()
            .await
            .map_err(|_| Status::unavailable("the service is shutting down"))?;
        // Nothing is written before the whole file is in hand and checked: a refused upload
        // leaves nothing behind.
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(message) = inbound.message().await? {
            match message.part {
                Some(Part::Chunk(chunk)) => {
                    if (bytes.len() + chunk.len()) as u64 > self.max_bytes {
                        return Err(invalid(
                            "chunk",
                            format!("the file is larger than the limit of {} bytes", self.max_bytes),
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                _ => return Err(invalid("chunk", "only file chunks may follow the description")),
            }
        }
        new.content_type.check(&bytes).map_err(|e| {
            invalid(
                "description.content_type",
                format!("declared {}, but {e}", new.content_type.mime()),
            )
        })?;
        let row = publish(&self.pool, &new, &bytes)
            .await
            .map_err(platform::grpc::internal)?;
        Ok(Response::new(PublishResourceResponse {
            resource: Some(resource(&row)),
        }))
    }

    async fn list_resources(
        &self,
        request: Request<ListResourcesRequest>,
    ) -> Result<Response<ListResourcesResponse>, Status> {
        let (filter, page) = filter(request.get_ref())?;
        let mut rows = store::list(&self.pool, &filter)
            .await
            .map_err(platform::grpc::internal)?;
        let next_page_token = page.finish(&mut rows, |r| Cursor {
            key: String::new(),
            id: r.id,
        });
        Ok(Response::new(ListResourcesResponse {
            resources: rows.iter().map(resource).collect(),
            next_page_token,
        }))
    }

    async fn get_resource(
        &self,
        request: Request<GetResourceRequest>,
    ) -> Result<Response<GetResourceResponse>, Status> {
        let id = resource_id(&request.get_ref().id)?;
        match store::get(&self.pool, id).await.map_err(platform::grpc::internal)? {
            Some(row) => Ok(Response::new(GetResourceResponse {
                resource: Some(resource(&row)),
            })),
            None => Err(Status::not_found("no resource has this id")),
        }
    }

    type DownloadResourceStream = DownloadStream;

    async fn download_resource(
        &self,
        request: Request<DownloadResourceRequest>,
    ) -> Result<Response<Self::DownloadResourceStream>, Status> {
        let id = resource_id(&request.get_ref().id)?;
        let Some((row, bytes)) = store::file(&self.pool, id).await.map_err(platform::grpc::internal)? else {
            return Err(Status::not_found("no resource has this id"));
        };
        let mut messages = vec![Ok(DownloadResourceResponse {
            part: Some(download_resource_response::Part::Resource(resource(&row))),
        })];
        messages.extend(bytes.chunks(CHUNK).map(|c| {
            Ok(DownloadResourceResponse {
                part: Some(download_resource_response::Part::Chunk(c.to_vec())),
            })
        }));
        Ok(Response::new(tokio_stream::iter(messages)))
    }
}
