//! `essctl audit list`: the audit log of one service (who wrote what, when, with which outcome),
//! newest first, one page at a time. Staff and admins only.

use clap::{Args, Subcommand};
use ess_proto::platform::v1::{AuditEntry, ListAuditEntriesRequest, audit_client::AuditClient};
use serde::Serialize;
use tracing::field::Empty;

use super::{call, request, transport};
use crate::{
    cli::{GlobalArgs, Output},
    failure::{Failure, Service},
    render::{Align, column_table},
};

/// `essctl audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List audit entries of one service, newest first.
    List(ListAuditArgs),
}

/// `essctl audit list`
#[derive(Debug, Args)]
pub struct ListAuditArgs {
    /// Whose log: every service keeps the audit of its own writes.
    #[arg(long, value_enum, default_value = "registry")]
    pub service: Service,
    /// Only this token subject.
    #[arg(long)]
    pub subject: Option<String>,
    /// Only this method (`CreatePartner` needs its service: `ess.registry.v1.PartnerRegistry/CreatePartner`)
    /// or gRPC service (`ess.registry.v1.PartnerRegistry`).
    #[arg(long)]
    pub method: Option<String>,
    /// Only this object id.
    #[arg(long)]
    pub object: Option<String>,
    /// Entries per page (default 50, at most 500).
    #[arg(long, default_value_t = 50)]
    pub page_size: u32,
    /// The `next page` token printed by the previous page.
    #[arg(long)]
    pub page_token: Option<String>,
}

/// One entry, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryView {
    pub id: i64,
    pub at: String,
    pub subject: String,
    pub role: String,
    pub partner_id: String,
    pub method: String,
    pub object_id: String,
    pub outcome: String,
}

impl From<AuditEntry> for EntryView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            at: e
                .at
                .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            subject: e.subject,
            role: e.role,
            partner_id: e.partner_id,
            method: e.method,
            object_id: e.object_id,
            outcome: e.outcome,
        }
    }
}

/// A page of entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageView {
    pub entries: Vec<EntryView>,
    pub next_page_token: String,
}

/// Runs an `audit` command; returns what to print.
pub async fn run(global: &GlobalArgs, command: &AuditCommand) -> Result<String, Failure> {
    let AuditCommand::List(args) = command;
    let page = list(global, args).await?;
    render(&page, global.output)
}

async fn list(global: &GlobalArgs, args: &ListAuditArgs) -> Result<PageView, Failure> {
    let url = global.url(args.service);
    let span = tracing::info_span!(
        parent: None,
        "essctl audit",
        otel.name = "essctl audit list",
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.platform.v1.Audit",
        rpc.method = "ListAuditEntries",
        rpc.grpc.status_code = Empty,
        server.address = %url,
    );
    let mut client = AuditClient::new(transport(args.service, url, global.timeout, global.bearer()?)?);
    let message = ListAuditEntriesRequest {
        subject: args.subject.clone().unwrap_or_default(),
        method: args.method.clone().unwrap_or_default(),
        object_id: args.object.clone().unwrap_or_default(),
        page_size: args.page_size,
        page_token: args.page_token.clone().unwrap_or_default(),
        ..Default::default()
    };
    let answer = call(
        args.service,
        url,
        global.timeout,
        &span,
        client.list_audit_entries(request(message, global.timeout)),
    )
    .await?;
    Ok(PageView {
        entries: answer.entries.into_iter().map(EntryView::from).collect(),
        next_page_token: answer.next_page_token,
    })
}

fn render(page: &PageView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => serde_json::to_string_pretty(page)
            .map(|s| s + "\n")
            .map_err(|e| Failure::Local(e.into())),
        Output::Table => {
            let rows: Vec<Vec<String>> = page
                .entries
                .iter()
                .map(|e| {
                    vec![
                        e.at.clone(),
                        e.subject.clone(),
                        e.role.clone(),
                        e.method.clone(),
                        e.object_id.clone(),
                        e.outcome.clone(),
                    ]
                })
                .collect();
            let mut text = column_table(
                &["QUAND", "QUI", "RÔLE", "MÉTHODE", "OBJET", "RÉSULTAT"],
                &rows,
                &[Align::Left],
            );
            if !page.next_page_token.is_empty() {
                text.push_str(&format!("next page: --page-token {}\n", page.next_page_token));
            }
            Ok(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_prints_one_line_per_entry_and_the_next_token() {
        let page = PageView {
            entries: vec![EntryView {
                id: 7,
                at: "2026-11-27T03:00:00+00:00".into(),
                subject: "alice".into(),
                role: "staff".into(),
                partner_id: String::new(),
                method: "/ess.registry.v1.PartnerRegistry/CreatePartner".into(),
                object_id: "0190".into(),
                outcome: "OK".into(),
            }],
            next_page_token: "7".into(),
        };
        let text = render(&page, Output::Table).unwrap_or_default();
        assert!(text.contains("alice"), "{text}");
        assert!(text.ends_with("next page: --page-token 7\n"), "{text}");
    }
}
