//! `ess.observatory.v1.Reports`: render a report (files returned), publish it (stored with its
//! `ReportPublished` event in one transaction), list and get published reports.

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use ess_proto::{
    events::v1::{EventMeta, ReportPublished},
    observatory::v1::{self as pb, reports_server::Reports},
};
use platform::{
    grpc::{FieldViolation, invalid_argument},
    outbox::{self, NewEvent},
    paging::{self, Cursor, PageRequest},
};
use prost::Message as _;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{
    Format, Kind, build,
    render::{self, File},
    store::{self, Published},
};
use crate::{domain::dataset::FIRST_YEAR, grpc::timestamp, plan::domain::Period};

pub const REPORT_PUBLISHED: (&str, &str) = ("observatory.report.published", "ess.events.v1.ReportPublished");

/// Longest date range a Point d'avancement may cover (a typo guard).
const MAX_RANGE_DAYS: i64 = 3 * 366;
const LAST_YEAR: i32 = 2200;

pub struct ReportsService {
    pool: PgPool,
}

impl ReportsService {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// A checked render request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderSpec {
    pub kind: Kind,
    pub period: Period,
    pub format: Format,
}

fn kind_of(raw: i32) -> Option<Kind> {
    match pb::ReportKind::try_from(raw).ok()? {
        pb::ReportKind::Unspecified => None,
        pb::ReportKind::BilanAnnuel => Some(Kind::BilanAnnuel),
        pb::ReportKind::PointAvancement => Some(Kind::PointAvancement),
        pb::ReportKind::Panorama => Some(Kind::Panorama),
    }
}

fn kind_to_pb(k: Kind) -> pb::ReportKind {
    match k {
        Kind::BilanAnnuel => pb::ReportKind::BilanAnnuel,
        Kind::PointAvancement => pb::ReportKind::PointAvancement,
        Kind::Panorama => pb::ReportKind::Panorama,
    }
}

fn format_of(raw: i32) -> Option<Format> {
    match pb::ReportFormat::try_from(raw).ok()? {
        pb::ReportFormat::Unspecified => None,
        pb::ReportFormat::Html => Some(Format::Html),
        pb::ReportFormat::Markdown => Some(Format::Markdown),
        pb::ReportFormat::Csv => Some(Format::Csv),
    }
}

fn format_to_pb(f: Format) -> pb::ReportFormat {
    match f {
        Format::Html => pb::ReportFormat::Html,
        Format::Markdown => pb::ReportFormat::Markdown,
        Format::Csv => pb::ReportFormat::Csv,
    }
}

/// Checks a render request: a kind, a format, and a year (bilan, panorama) or a date range (point).
pub fn parse(r: &pb::RenderReportRequest) -> Result<RenderSpec, Vec<FieldViolation>> {
    let mut v = Vec::new();
    let kind = kind_of(r.kind);
    if kind.is_none() {
        v.push(FieldViolation::new(
            "kind",
            "must be bilan annuel, point d'avancement or panorama",
        ));
    }
    let format = format_of(r.format);
    if format.is_none() {
        v.push(FieldViolation::new("format", "must be html, markdown or csv"));
    }
    let date =
        |raw: &str, field: &str, v: &mut Vec<FieldViolation>| match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                v.push(FieldViolation::new(field, "must be a date YYYY-MM-DD"));
                None
            }
        };
    let period = match kind {
        Some(Kind::PointAvancement) => {
            let from = date(&r.from, "from", &mut v);
            let to = date(&r.to, "to", &mut v);
            match (from, to) {
                (Some(from), Some(to)) if to < from => {
                    v.push(FieldViolation::new("to", "must not be before from"));
                    None
                }
                (Some(from), Some(to)) if (to - from).num_days() > MAX_RANGE_DAYS => {
                    v.push(FieldViolation::new("to", "the range may cover at most three years"));
                    None
                }
                (Some(from), Some(to)) => Some(Period { from, to }),
                _ => None,
            }
        }
        Some(_) => {
            if (FIRST_YEAR..=LAST_YEAR).contains(&r.year) {
                Period::year(r.year)
            } else {
                v.push(FieldViolation::new("year", format!("must be a year from {FIRST_YEAR}")));
                None
            }
        }
        None => None,
    };
    match (kind, period, format) {
        (Some(kind), Some(period), Some(format)) if v.is_empty() => Ok(RenderSpec { kind, period, format }),
        _ => Err(v),
    }
}

/// Builds and renders a report now.
pub async fn render_files(pool: &PgPool, spec: RenderSpec) -> anyhow::Result<(String, Vec<File>)> {
    let report = build::build(pool, spec.kind, spec.period, Utc::now().date_naive()).await?;
    Ok((report.title.clone(), render::render(&report, spec.format)))
}

fn file_to_pb(f: File) -> pb::ReportFile {
    pb::ReportFile {
        name: f.name,
        content_type: f.content_type.to_owned(),
        content: f.content,
    }
}

fn published_to_pb(p: &Published, files: Vec<File>) -> pb::PublishedReport {
    pb::PublishedReport {
        id: p.id.to_string(),
        kind: kind_to_pb(p.kind) as i32,
        title: p.title.clone(),
        period_from: p.period_from.to_string(),
        period_to: p.period_to.to_string(),
        format: format_to_pb(p.format) as i32,
        published_at: Some(timestamp(p.published_at)),
        files: files.into_iter().map(file_to_pb).collect(),
    }
}

fn event(p: &Published, files: &[File]) -> NewEvent {
    let event_id = Uuid::now_v7();
    let payload = ReportPublished {
        meta: Some(EventMeta {
            event_id: event_id.to_string(),
            occurred_at: Some(timestamp(p.published_at)),
            aggregate_id: p.id.to_string(),
            aggregate_version: 1,
        }),
        report_id: p.id.to_string(),
        kind: p.kind.code().to_owned(),
        title: p.title.clone(),
        format: p.format.code().to_owned(),
        period_from: p.period_from.to_string(),
        period_to: p.period_to.to_string(),
        file_names: files.iter().map(|f| f.name.clone()).collect(),
    }
    .encode_to_vec();
    NewEvent {
        event_id,
        subject: REPORT_PUBLISHED.0,
        event_type: REPORT_PUBLISHED.1,
        aggregate_id: p.id.to_string(),
        aggregate_version: 1,
        payload,
    }
}

#[tonic::async_trait]
impl Reports for ReportsService {
    #[tracing::instrument(name = "observatory.reports.render", skip_all)]
    async fn render_report(
        &self,
        request: Request<pb::RenderReportRequest>,
    ) -> Result<Response<pb::RenderReportResponse>, Status> {
        let spec = parse(request.get_ref()).map_err(invalid_argument)?;
        let (title, files) = render_files(&self.pool, spec).await.map_err(platform::grpc::internal)?;
        Ok(Response::new(pb::RenderReportResponse {
            title,
            period_from: spec.period.from.to_string(),
            period_to: spec.period.to.to_string(),
            files: files.into_iter().map(file_to_pb).collect(),
        }))
    }

    #[tracing::instrument(name = "observatory.reports.publish", skip_all, fields(ess.report.id))]
    async fn publish_report(
        &self,
        request: Request<pb::RenderReportRequest>,
    ) -> Result<Response<pb::PublishedReport>, Status> {
        let spec = parse(request.get_ref()).map_err(invalid_argument)?;
        let (title, files) = render_files(&self.pool, spec).await.map_err(platform::grpc::internal)?;
        let p = Published {
            id: Uuid::now_v7(),
            kind: spec.kind,
            title,
            period_from: spec.period.from,
            period_to: spec.period.to,
            format: spec.format,
            published_at: Utc::now(),
        };
        tracing::Span::current().record("ess.report.id", tracing::field::display(p.id));
        async {
            let mut tx = self.pool.begin().await?;
            store::insert(&mut tx, &p, &files).await?;
            outbox::enqueue(&mut tx, &event(&p, &files)).await?;
            platform::outbox::commit(tx).await
        }
        .await
        .context("storing the published report")
        .map_err(platform::grpc::internal)?;
        tracing::info!(
            kind = p.kind.code(),
            format = p.format.code(),
            files = files.len(),
            "observatory.report.published"
        );
        Ok(Response::new(published_to_pb(&p, files)))
    }

    async fn list_published_reports(
        &self,
        request: Request<pb::ListPublishedReportsRequest>,
    ) -> Result<Response<pb::ListPublishedReportsResponse>, Status> {
        let r = request.into_inner();
        let page = PageRequest::parse(r.page_size, &r.page_token, paging::fingerprint(&["published_reports"]))
            .map_err(invalid_argument)?;
        let mut list = store::list(&self.pool, page.after.as_ref().map(|c| c.id), page.limit())
            .await
            .context("listing published reports")
            .map_err(platform::grpc::internal)?;
        let next_page_token = page.finish(&mut list, |p| Cursor {
            key: String::new(),
            id: p.id,
        });
        Ok(Response::new(pb::ListPublishedReportsResponse {
            reports: list.iter().map(|p| published_to_pb(p, Vec::new())).collect(),
            next_page_token,
        }))
    }

    async fn get_published_report(
        &self,
        request: Request<pb::GetPublishedReportRequest>,
    ) -> Result<Response<pb::PublishedReport>, Status> {
        let id = Uuid::parse_str(request.get_ref().id.trim())
            .map_err(|_| invalid_argument(vec![FieldViolation::new("id", "must be a UUID")]))?;
        match store::get(&self.pool, id)
            .await
            .context("reading a published report")
            .map_err(platform::grpc::internal)?
        {
            Some((p, files)) => Ok(Response::new(published_to_pb(&p, files))),
            None => Err(Status::not_found("no published report has this id")),
        }
    }
}
