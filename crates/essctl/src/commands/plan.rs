//! `essctl action …` and `essctl report …`: calls to the observatory's `ActionPlan` and `Reports`
//! services. `report render` and `report get` write the files to disk and print where.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ess_proto::observatory::v1::{self as pb, action_plan_client::ActionPlanClient, reports_client::ReportsClient};
use serde::Serialize;
use tracing::{Span, field::Empty};

use super::{
    call, paging,
    plan_cli::{ActionArgs, ActionCommand, ReportArgs, ReportCommand, ReportFormatArg, ReportKindArg, TargetArg},
    request, transport,
};
use crate::{
    cli::{GlobalArgs, Output},
    failure::{Failure, Service},
    render::{Align, column_table},
};

fn span(global: &GlobalArgs, command: &'static str, service: &'static str, method: &'static str) -> Span {
    tracing::info_span!(
        parent: None,
        "essctl observatory",
        otel.name = command,
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = Empty,
        server.address = %global.observatory_url,
    )
}

fn json<T: Serialize>(value: &T) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Local(anyhow::Error::new(e).context("encoding the answer as JSON")))?;
    text.push('\n');
    Ok(text)
}

fn usage(message: String) -> Failure {
    Failure::Local(anyhow::anyhow!(message))
}

fn target(t: &TargetArg) -> Result<pb::Target, Failure> {
    let indicator = pb::Indicator::from_str_name(&format!("INDICATOR_{}", t.indicator.to_uppercase()))
        .filter(|i| *i != pb::Indicator::Unspecified)
        .ok_or_else(|| {
            usage(format!(
                "unknown indicator {:?} (see essctl action create --help)",
                t.indicator
            ))
        })?;
    Ok(pb::Target {
        indicator: indicator as i32,
        activity_kind: t.kind.clone(),
        public: t.public.clone(),
        stage: t.stage.clone(),
        period_from: t.from.clone(),
        period_to: t.to.clone(),
        target: t.value,
        label: String::new(),
    })
}

fn targets(a: &ActionArgs) -> Result<Vec<pb::Target>, Failure> {
    a.targets.iter().map(target).collect()
}

/// An action as printed.
#[derive(Debug, Serialize)]
pub struct ActionView {
    pub id: String,
    pub axis: i32,
    pub title: String,
    pub version: i64,
    pub targets: Vec<TargetView>,
}

#[derive(Debug, Serialize)]
pub struct TargetView {
    pub indicator: String,
    pub period_from: String,
    pub period_to: String,
    pub target: f64,
}

impl From<pb::PlanAction> for ActionView {
    fn from(a: pb::PlanAction) -> Self {
        Self {
            id: a.id,
            axis: a.axis,
            title: a.title,
            version: a.version,
            targets: a
                .targets
                .into_iter()
                .map(|t| TargetView {
                    indicator: t.label,
                    period_from: t.period_from,
                    period_to: t.period_to,
                    target: t.target,
                })
                .collect(),
        }
    }
}

fn actions_table(actions: &[ActionView], output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return json(&actions);
    }
    let rows: Vec<Vec<String>> = actions
        .iter()
        .flat_map(|a| {
            let head = [a.id.clone(), a.axis.to_string(), a.title.clone(), a.version.to_string()];
            if a.targets.is_empty() {
                return vec![
                    head.into_iter()
                        .chain([String::new(), String::new(), String::new()])
                        .collect(),
                ];
            }
            a.targets
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let head = if i == 0 { head.clone() } else { Default::default() };
                    head.into_iter()
                        .chain([
                            t.indicator.clone(),
                            format!("{} → {}", t.period_from, t.period_to),
                            t.target.to_string(),
                        ])
                        .collect()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(column_table(
        &["ACTION", "AXE", "INTITULÉ", "VERSION", "INDICATEUR", "PÉRIODE", "CIBLE"],
        &rows,
        &[
            Align::Left,
            Align::Right,
            Align::Left,
            Align::Right,
            Align::Left,
            Align::Left,
            Align::Right,
        ],
    ))
}

/// A target's progress as printed.
#[derive(Debug, Serialize)]
pub struct ProgressView {
    pub action_id: String,
    pub action: String,
    pub axis: i32,
    pub indicator: String,
    pub target: f64,
    pub achieved: f64,
    pub percent: f64,
}

fn progress_table(list: &[ProgressView], output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            vec![
                p.axis.to_string(),
                p.action.clone(),
                p.indicator.clone(),
                p.target.to_string(),
                p.achieved.to_string(),
                format!("{:.1} %", p.percent),
            ]
        })
        .collect();
    Ok(column_table(
        &["AXE", "ACTION", "INDICATEUR", "CIBLE", "RÉALISÉ", "AVANCEMENT"],
        &rows,
        &[
            Align::Right,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    ))
}

/// `essctl action …`
pub async fn action(global: &GlobalArgs, command: &ActionCommand) -> Result<String, Failure> {
    let (url, t) = (global.observatory_url.as_str(), global.timeout);
    let mut client = ActionPlanClient::new(transport(Service::Observatory, url, t, global.bearer()?)?);
    const SVC: &str = "ess.observatory.v1.ActionPlan";
    let o = Service::Observatory;
    match command {
        ActionCommand::Create(a) => {
            let m = pb::CreateActionRequest {
                axis: a.axis,
                title: a.title.clone(),
                description: a.description.clone(),
                targets: targets(a)?,
            };
            let span = span(global, "essctl action create", SVC, "CreateAction");
            let r = call(o, url, t, &span, client.create_action(request(m, t))).await?;
            actions_table(&[r.into()], global.output)
        }
        ActionCommand::Update {
            id,
            expected_version,
            action: a,
        } => {
            let m = pb::UpdateActionRequest {
                id: id.clone(),
                axis: a.axis,
                title: a.title.clone(),
                description: a.description.clone(),
                targets: targets(a)?,
                expected_version: expected_version.unwrap_or_default(),
            };
            let span = span(global, "essctl action update", SVC, "UpdateAction");
            let r = call(o, url, t, &span, client.update_action(request(m, t))).await?;
            actions_table(&[r.into()], global.output)
        }
        ActionCommand::List { axis, page } => {
            let span = span(global, "essctl action list", SVC, "ListActions");
            let (rows, next) = paging::fetch(page, |page_token| {
                let (mut client, span) = (client.clone(), span.clone());
                let m = pb::ListActionsRequest {
                    axis: axis.unwrap_or_default(),
                    page_size: page.page_size,
                    page_token,
                };
                async move {
                    let r = call(o, url, t, &span, client.list_actions(request(m, t))).await?;
                    Ok((r.actions, r.next_page_token))
                }
            })
            .await?;
            let list: Vec<ActionView> = rows.into_iter().map(ActionView::from).collect();
            Ok(paging::with_next(
                actions_table(&list, global.output)?,
                &next,
                global.output,
            ))
        }
        ActionCommand::Progress { action } => {
            let m = pb::GetProgressRequest {
                action_id: action.clone().unwrap_or_default(),
            };
            let span = span(global, "essctl action progress", SVC, "GetProgress");
            let r = call(o, url, t, &span, client.get_progress(request(m, t))).await?;
            let list: Vec<ProgressView> = r
                .progress
                .into_iter()
                .map(|p| {
                    let target = p.target.unwrap_or_default();
                    ProgressView {
                        action_id: p.action_id,
                        action: p.action_title,
                        axis: p.axis,
                        indicator: target.label,
                        target: target.target,
                        achieved: p.achieved,
                        percent: p.percent,
                    }
                })
                .collect();
            progress_table(&list, global.output)
        }
    }
}

fn render_request(a: &ReportArgs) -> pb::RenderReportRequest {
    pb::RenderReportRequest {
        kind: match a.kind {
            ReportKindArg::BilanAnnuel => pb::ReportKind::BilanAnnuel,
            ReportKindArg::PointAvancement => pb::ReportKind::PointAvancement,
            ReportKindArg::Panorama => pb::ReportKind::Panorama,
        } as i32,
        year: a.year.unwrap_or_default(),
        from: a.from.clone().unwrap_or_default(),
        to: a.to.clone().unwrap_or_default(),
        format: match a.format {
            ReportFormatArg::Html => pb::ReportFormat::Html,
            ReportFormatArg::Md => pb::ReportFormat::Markdown,
            ReportFormatArg::Csv => pb::ReportFormat::Csv,
        } as i32,
    }
}

/// Writes the files into `dir` (a file name from the server never leaves the directory).
fn write_files(dir: &Path, files: &[pb::ReportFile]) -> Result<Vec<PathBuf>, Failure> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating {}", dir.display()))
        .map_err(Failure::Local)?;
    let mut written = Vec::new();
    for f in files {
        let name = Path::new(&f.name)
            .file_name()
            .filter(|n| !n.is_empty() && f.name != "." && f.name != "..")
            .ok_or_else(|| usage(format!("the server sent a file without a usable name: {:?}", f.name)))?;
        let path = dir.join(name);
        std::fs::write(&path, &f.content)
            .with_context(|| format!("writing {}", path.display()))
            .map_err(Failure::Local)?;
        written.push(path);
    }
    Ok(written)
}

/// A published report as printed.
#[derive(Debug, Serialize)]
pub struct PublishedView {
    pub id: String,
    pub title: String,
    pub period_from: String,
    pub period_to: String,
    pub format: String,
    pub files: Vec<String>,
}

fn format_name(raw: i32) -> String {
    match pb::ReportFormat::try_from(raw) {
        Ok(pb::ReportFormat::Html) => "html",
        Ok(pb::ReportFormat::Markdown) => "md",
        Ok(pb::ReportFormat::Csv) => "csv",
        _ => "?",
    }
    .to_owned()
}

impl From<pb::PublishedReport> for PublishedView {
    fn from(p: pb::PublishedReport) -> Self {
        Self {
            format: format_name(p.format),
            id: p.id,
            title: p.title,
            period_from: p.period_from,
            period_to: p.period_to,
            files: p.files.into_iter().map(|f| f.name).collect(),
        }
    }
}

fn published_table(list: &[PublishedView], output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            vec![
                p.id.clone(),
                p.title.clone(),
                format!("{} → {}", p.period_from, p.period_to),
                p.format.clone(),
                p.files.join(", "),
            ]
        })
        .collect();
    Ok(column_table(
        &["RAPPORT", "TITRE", "PÉRIODE", "FORMAT", "FICHIERS"],
        &rows,
        &[],
    ))
}

fn written_list(paths: &[PathBuf], output: Output) -> Result<String, Failure> {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    if output == Output::Json {
        return json(&serde_json::json!({ "written": names }));
    }
    Ok(names.iter().map(|n| format!("écrit : {n}\n")).collect())
}

/// `essctl report …`
pub async fn report(global: &GlobalArgs, command: &ReportCommand) -> Result<String, Failure> {
    let (url, t) = (global.observatory_url.as_str(), global.timeout);
    let mut client = ReportsClient::new(transport(Service::Observatory, url, t, global.bearer()?)?);
    const SVC: &str = "ess.observatory.v1.Reports";
    let o = Service::Observatory;
    match command {
        ReportCommand::Render { report, out } => {
            let span = span(global, "essctl report render", SVC, "RenderReport");
            let r = call(
                o,
                url,
                t,
                &span,
                client.render_report(request(render_request(report), t)),
            )
            .await?;
            written_list(&write_files(out, &r.files)?, global.output)
        }
        ReportCommand::Publish(report) => {
            let span = span(global, "essctl report publish", SVC, "PublishReport");
            let r = call(
                o,
                url,
                t,
                &span,
                client.publish_report(request(render_request(report), t)),
            )
            .await?;
            published_table(&[r.into()], global.output)
        }
        ReportCommand::List(page) => {
            let span = span(global, "essctl report list", SVC, "ListPublishedReports");
            let (rows, next) = paging::fetch(page, |page_token| {
                let (mut client, span) = (client.clone(), span.clone());
                let m = pb::ListPublishedReportsRequest {
                    page_size: page.page_size,
                    page_token,
                };
                async move {
                    let r = call(o, url, t, &span, client.list_published_reports(request(m, t))).await?;
                    Ok((r.reports, r.next_page_token))
                }
            })
            .await?;
            let list: Vec<PublishedView> = rows.into_iter().map(PublishedView::from).collect();
            Ok(paging::with_next(
                published_table(&list, global.output)?,
                &next,
                global.output,
            ))
        }
        ReportCommand::Get { id, out } => {
            let span = span(global, "essctl report get", SVC, "GetPublishedReport");
            let m = pb::GetPublishedReportRequest { id: id.clone() };
            let r = call(o, url, t, &span, client.get_published_report(request(m, t))).await?;
            written_list(&write_files(out, &r.files)?, global.output)
        }
    }
}
