//! The audit log: every write RPC that passed the auth layer leaves one row in the service's own
//! database (`audit_log`, a platform migration): who (token subject and role), what (method, and
//! the object id when the handler names it with [`AuditTarget`]), when, and the outcome. The row
//! is handed by [`crate::access::AuthLayer`] to a [`Recorder`] once the handler has answered, and
//! written in batches, not in the handler's transaction: an audit failure is logged and never
//! undoes the write.
//! `ess.platform.v1.Audit` serves the log to staff.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use ess_proto::platform::v1::{AuditEntry, ListAuditEntriesRequest, ListAuditEntriesResponse, audit_server};
use sqlx::PgPool;
use tonic::{Code, Request, Response, Status};
use uuid::Uuid;

use crate::{
    auth::Principal,
    grpc::{FieldViolation, internal, invalid_argument},
};

const DEFAULT_PAGE_SIZE: i64 = 50;
const MAX_PAGE_SIZE: i64 = 500;

/// The object a write touched, for the audit entry. A handler puts it into its response's
/// extensions (`response.extensions_mut().insert(AuditTarget(id))`); the layer reads it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTarget(pub String);

impl AuditTarget {
    /// Wraps `response` with `id` as its audited object.
    pub fn tag<T>(mut response: Response<T>, id: impl ToString) -> Response<T> {
        response.extensions_mut().insert(AuditTarget(id.to_string()));
        response
    }
}

/// Entries waiting to be written; past this, writers wait for the recorder (backpressure, never
/// a dropped entry).
const QUEUE: usize = 4096;
/// Most entries written by one statement.
const BATCH: usize = 512;

/// One write to record.
#[derive(Debug, Clone)]
struct Entry {
    subject: String,
    role: &'static str,
    partner_id: Option<Uuid>,
    method: String,
    object_id: Option<String>,
    outcome: &'static str,
}

/// Writes audit entries in batches from a background task: each write RPC hands its entry over
/// and answers at once, and the task writes whatever has gathered in one `INSERT … UNNEST` (one
/// commit for many writes, instead of a second commit per write: at 32 concurrent writers the
/// per-write insert halved the write rate). An entry is therefore written a few milliseconds
/// after its answer; a crash in between loses it, as a crash between a write's commit and its
/// audit insert always could.
#[derive(Debug, Clone)]
pub struct Recorder {
    queue: tokio::sync::mpsc::Sender<Entry>,
}

impl Recorder {
    /// Starts the writing task on `pool`; it ends when every clone of the recorder is dropped.
    pub fn spawn(pool: PgPool) -> Self {
        let (queue, mut entries) = tokio::sync::mpsc::channel::<Entry>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while entries.recv_many(&mut batch, BATCH).await > 0 {
                if let Err(e) = insert(&pool, &batch).await {
                    tracing::error!(entries = batch.len(), error = ?e, "platform.audit.write_failed");
                }
                batch.clear();
            }
        });
        Self { queue }
    }

    /// Records one write. A write that failed because the database is out of reach
    /// (`UNAVAILABLE`) changed nothing, and its entry could not be written either: it is logged
    /// (`platform.audit.not_recorded`) instead.
    pub async fn record(&self, who: &Principal, method: &str, object_id: Option<&str>, outcome: Code) {
        if outcome == Code::Unavailable {
            tracing::warn!(method, role = who.role().as_str(), "platform.audit.not_recorded");
            return;
        }
        let entry = Entry {
            subject: who.subject().to_owned(),
            role: who.role().as_str(),
            partner_id: who.partner_id(),
            method: method.to_owned(),
            object_id: object_id.map(str::to_owned),
            outcome: code_name(outcome),
        };
        if self.queue.send(entry).await.is_err() {
            tracing::error!(method, "platform.audit.write_failed");
        }
    }
}

async fn insert(pool: &PgPool, batch: &[Entry]) -> anyhow::Result<()> {
    let column = |f: fn(&Entry) -> Option<String>| batch.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO audit_log (subject, role, partner_id, method, object_id, outcome) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[])",
    )
    .bind(column(|e| Some(e.subject.clone())))
    .bind(column(|e| Some(e.role.to_owned())))
    .bind(batch.iter().map(|e| e.partner_id).collect::<Vec<_>>())
    .bind(column(|e| Some(e.method.clone())))
    .bind(column(|e| e.object_id.clone()))
    .bind(column(|e| Some(e.outcome.to_owned())))
    .execute(pool)
    .await
    .context("inserting audit entries")?;
    Ok(())
}

/// The canonical upper-case name of a gRPC code (`PERMISSION_DENIED`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// `ess.platform.v1.Audit` over a service's database.
pub struct AuditService {
    pool: PgPool,
}

impl AuditService {
    /// Serves the audit log stored in `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: DateTime<Utc>,
    subject: String,
    role: String,
    partner_id: Option<Uuid>,
    method: String,
    object_id: Option<String>,
    outcome: String,
}

fn timestamp(field: &str, t: Option<prost_types::Timestamp>) -> Result<Option<DateTime<Utc>>, FieldViolation> {
    t.map(|t| {
        u32::try_from(t.nanos)
            .ok()
            .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
            .ok_or_else(|| FieldViolation::new(field, "is not a valid timestamp"))
    })
    .transpose()
}

#[tonic::async_trait]
impl audit_server::Audit for AuditService {
    async fn list_audit_entries(
        &self,
        request: Request<ListAuditEntriesRequest>,
    ) -> Result<Response<ListAuditEntriesResponse>, Status> {
        let req = request.into_inner();
        let mut violations = Vec::new();
        let since = timestamp("since", req.since).unwrap_or_else(|v| {
            violations.push(v);
            None
        });
        let until = timestamp("until", req.until).unwrap_or_else(|v| {
            violations.push(v);
            None
        });
        let before = if req.page_token.is_empty() {
            None
        } else {
            match req.page_token.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    violations.push(FieldViolation::new("page_token", "is not a token this service gave"));
                    None
                }
            }
        };
        if !violations.is_empty() {
            return Err(invalid_argument(violations));
        }
        let limit = match i64::from(req.page_size) {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, at, subject, role, partner_id, method, object_id, outcome FROM audit_log
             WHERE ($1::text IS NULL OR subject = $1)
               AND ($2::text IS NULL OR method = $2 OR method LIKE '/' || $2 || '/%')
               AND ($3::timestamptz IS NULL OR at >= $3)
               AND ($4::timestamptz IS NULL OR at < $4)
               AND ($5::bigint IS NULL OR id < $5)
               AND ($6::text IS NULL OR object_id = $6)
             ORDER BY id DESC LIMIT $7",
        )
        .bind(opt(&req.subject))
        .bind(opt(req.method.trim_start_matches('/')).map(|m| if m.contains('/') { format!("/{m}") } else { m }))
        .bind(since)
        .bind(until)
        .bind(before)
        .bind(opt(&req.object_id))
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await
        .context("reading the audit log")
        .map_err(internal)?;
        let more = rows.len() as i64 > limit;
        let entries: Vec<AuditEntry> = rows
            .into_iter()
            .take(limit as usize)
            .map(|r| AuditEntry {
                id: r.id,
                at: Some(prost_types::Timestamp {
                    seconds: r.at.timestamp(),
                    nanos: r.at.timestamp_subsec_nanos() as i32,
                }),
                subject: r.subject,
                role: r.role,
                partner_id: r.partner_id.map(|p| p.to_string()).unwrap_or_default(),
                method: r.method,
                object_id: r.object_id.unwrap_or_default(),
                outcome: r.outcome,
            })
            .collect();
        let next_page_token = match (more, entries.last()) {
            (true, Some(last)) => last.id.to_string(),
            _ => String::new(),
        };
        Ok(Response::new(ListAuditEntriesResponse {
            entries,
            next_page_token,
        }))
    }
}
