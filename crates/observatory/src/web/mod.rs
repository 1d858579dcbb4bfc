//! The public dashboard: server-rendered French HTML over HTTP (axum), beside the gRPC API. Home,
//! a page per territory with its key figures and charts, the resource centre with downloads, and
//! `/healthz`. Figures come from the same functions as the public `QueryIndicators` and
//! `GetEssShare`, so a suppressed cell reads "secret statistique" here exactly as it does there.
//! No script, no external resource: one inline stylesheet, inline SVG charts.
//!
//! Layout: [`layout`] (page shell, escaping, French numbers), [`places`] (territory names and
//! URLs), [`territory`] (home and territory pages), [`resources`] (resource centre), [`reports`]
//! (the action plan with its progress, and the published reports).

pub mod layout;
pub mod places;
pub mod reports;
pub mod resources;
pub mod territory;

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use axum::{
    Router,
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
    serve::ListenerExt as _,
};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::cube_cache::TableCache;

/// What every handler needs.
#[derive(Clone)]
pub struct WebState {
    pub pool: PgPool,
    /// Shared with the gRPC API: both answer from the same computed tables.
    pub cube_cache: Arc<TableCache>,
}

/// Why a page could not be served. The public reads a fixed French text; the log gets the chain.
#[derive(Debug)]
pub enum WebError {
    NotFound,
    BadRequest(String),
    Unexpected(anyhow::Error),
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        WebError::Unexpected(e)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "Cette page n'existe pas.".to_owned()),
            WebError::BadRequest(why) => (StatusCode::BAD_REQUEST, why),
            WebError::Unexpected(err) => {
                tracing::error!(error = ?err, "observatory.web.failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Une erreur interne empêche d'afficher cette page. Réessayez plus tard.".to_owned(),
                )
            }
        };
        let body = layout::page(
            "Erreur",
            &format!(
                "<h1>Erreur</h1><p>{}</p><p><a href=\"/\">Retour à l'accueil</a></p>",
                layout::escape(&text)
            ),
        );
        (status, Html(body)).into_response()
    }
}

/// The dashboard's routes.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(territory::home))
        .route("/territoires/commune", get(territory::commune_form))
        .route("/territoires/{level}/{code}", get(territory::page_handler))
        .route("/ressources", get(resources::list))
        .route("/ressources/{id}/fichier", get(resources::download))
        .route("/plan", get(reports::plan))
        .route("/rapports", get(reports::list))
        .route("/rapports/{id}", get(reports::files))
        .route("/rapports/{id}/fichiers/{index}", get(reports::file))
        .route("/healthz", get(healthz))
        .fallback(|| async { WebError::NotFound })
        .layer(axum::middleware::from_fn(trace))
        .with_state(state)
}

/// One `otel.kind=server` span per request, with its method, path and status (no query string:
/// the search box is free text).
async fn trace(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let span = tracing::info_span!(
        "observatory.web.request",
        otel.kind = "server",
        http.request.method = %request.method(),
        url.path = %request.uri().path(),
        http.response.status_code = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    response
}

/// `/healthz`: 200 "ok" when the database answers, 503 otherwise.
async fn healthz(axum::extract::State(state): axum::extract::State<WebState>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.pool).await {
        Ok(_) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ok",
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = ?e, "observatory.web.unhealthy");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Binds the dashboard's port. Port 0 picks a free port.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on HTTP_ADDR={addr}"))
}

/// Serves the dashboard until `shutdown` is cancelled, then lets in-flight requests finish.
pub async fn serve(listener: TcpListener, state: WebState, shutdown: CancellationToken) -> anyhow::Result<()> {
    // TCP_NODELAY, as for the gRPC servers (platform::grpc): no Nagle delay on a response's last write.
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(error = %e, "observatory.web.nodelay_failed");
        }
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .context("HTTP dashboard server")
}
