//! gRPC plumbing shared by the services and their clients: the server (one trace span per RPC,
//! child of the caller's `traceparent`; health; reflection; graceful stop), a client interceptor
//! that injects the current trace context, and the mapping of errors to `tonic::Status`.

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::{
    Code, Status,
    metadata::{MetadataKey, MetadataMap, MetadataValue},
    service::{Interceptor, Routes},
    transport::{Channel, Endpoint},
};
use tonic_types::{ErrorDetails, StatusExt as _};
use tower::{Layer, Service};
use tracing::{Instrument as _, Span, field::Empty};

use crate::{
    limits::LimitsArgs,
    telemetry::{self, HttpHeaderExtractor},
};

/// One violated rule of a request: the proto field path (`partner.siret`) and why, in words that
/// never echo the submitted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Proto field path, e.g. `siret` or `sessions[1].start`.
    pub field: String,
    /// What is wrong, e.g. `fails the SIRET check digit`.
    pub description: String,
}

impl FieldViolation {
    /// Builds a violation.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// `INVALID_ARGUMENT` listing every violation, both in the message (readable with grpcurl) and as
/// `google.rpc.BadRequest` details (readable by programs).
pub fn invalid_argument(violations: Vec<FieldViolation>) -> Status {
    let message = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ");
    let mut details = ErrorDetails::new();
    for v in violations {
        details.add_bad_request_violation(v.field, v.description);
    }
    Status::with_error_details(Code::InvalidArgument, format!("invalid request: {message}"), details)
}

/// An unexpected failure, as the caller should see it: `UNAVAILABLE` when the cause is the
/// database being out of reach (retrying later may work; the write did not happen, or its outcome
/// is unknown if the connection died during the commit), `INTERNAL` otherwise. Both carry a fixed
/// message; the cause chain is logged here, once, and never sent.
pub fn internal(err: anyhow::Error) -> Status {
    if is_unavailable(&err) {
        tracing::warn!(error = ?err, "platform.grpc.dependency_unavailable");
        return Status::unavailable("temporarily unavailable: the service cannot reach its database; retry later");
    }
    tracing::error!(error = ?err, "platform.grpc.internal_error");
    Status::internal("internal error; the cause is in the service log")
}

/// Whether a cause in the chain means "the database is out of reach" rather than a bug: lost or
/// refused connections, an exhausted or closed pool, or the server shutting down or starting
/// (SQLSTATE class 08, 57P01-57P03).
fn is_unavailable(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| match cause.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed) => {
            true
        }
        Some(sqlx::Error::Database(db)) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")),
        _ => cause.downcast_ref::<std::io::Error>().is_some(),
    })
}

/// Reads the field violations back from a status (for clients and tests).
pub fn field_violations(status: &Status) -> Vec<FieldViolation> {
    status
        .get_details_bad_request()
        .map(|br| {
            br.field_violations
                .into_iter()
                .map(|v| FieldViolation {
                    field: v.field,
                    description: v.description,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reflection services (v1 and v1alpha, so every grpcurl version works) for the given encoded
/// descriptor sets.
pub fn reflection_routes(routes: Routes, descriptor_sets: &[&'static [u8]]) -> anyhow::Result<Routes> {
    let mut v1 = tonic_reflection::server::Builder::configure();
    let mut v1alpha = tonic_reflection::server::Builder::configure();
    for set in descriptor_sets {
        v1 = v1.register_encoded_file_descriptor_set(set);
        v1alpha = v1alpha.register_encoded_file_descriptor_set(set);
    }
    Ok(routes
        .add_service(v1.build_v1().context("building the reflection service (v1)")?)
        .add_service(
            v1alpha
                .build_v1alpha()
                .context("building the reflection service (v1alpha)")?,
        ))
}

/// Binds the gRPC listener. Port 0 picks a free port (tests read it back from the listener).
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on GRPC_ADDR={addr}"))
}

/// Serves `routes` on `listener` until `shutdown` is cancelled, then stops accepting and lets
/// in-flight RPCs finish. Every RPC but health and reflection runs in a server span and passes
/// `auth` (token, role against the access table, audit of writes: see [`crate::access`]).
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    auth: crate::access::Auth,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    serve_with_limits(listener, routes, LimitsArgs::default(), auth, shutdown).await
}

/// [`serve`] under `limits` (see [`crate::limits`]): deadlines, per-connection load shedding,
/// HTTP/2 keepalive and header limits. Message sizes are set per service, where the service is
/// built ([`crate::host::Host::limits`]). The trace layer is outside, so that shed and refused
/// calls still show up as spans; shedding comes before authentication, so that a flood costs no
/// signature checks.
pub async fn serve_with_limits(
    listener: TcpListener,
    routes: Routes,
    limits: LimitsArgs,
    auth: crate::access::Auth,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    limits
        .server()
        .layer(GrpcTraceLayer)
        .layer(limits.request_layer())
        .layer(crate::access::AuthLayer::new(auth))
        .add_routes(routes)
        .serve_with_incoming_shutdown(without_delay(listener), shutdown.cancelled_owned())
        .await
        .context("gRPC server")
}

/// The listener's connections with `TCP_NODELAY`. Tonic sets it only on the listeners it binds
/// itself; on ours, Nagle's algorithm held a response's last small write until the client's
/// delayed ACK (up to 40 ms), which showed as a floor under small responses' latencies.
fn without_delay(listener: TcpListener) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use futures::StreamExt as _;
    TcpListenerStream::new(listener).map(|accepted| {
        if let Ok(stream) = &accepted
            && let Err(e) = stream.set_nodelay(true)
        {
            tracing::warn!(error = %e, "platform.grpc.nodelay_failed");
        }
        accepted
    })
}

/// Tower layer opening one `otel.kind=server` span per RPC, named like
/// `ess.registry.v1.PartnerRegistry/CreatePartner`, child of the incoming `traceparent`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcTraceLayer;

impl<S> Layer<S> for GrpcTraceLayer {
    type Service = GrpcTrace<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcTrace { inner }
    }
}

/// The service made by [`GrpcTraceLayer`].
#[derive(Debug, Clone)]
pub struct GrpcTrace<S> {
    inner: S,
}

impl<S, B, RB> Service<http::Request<B>> for GrpcTrace<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let path = req.uri().path().trim_start_matches('/').to_owned();
        // Health probes and reflection would flood the traces; they get no span.
        if path.starts_with("grpc.health.") || path.starts_with("grpc.reflection.") {
            return Box::pin(self.inner.call(req));
        }
        let (service, method) = path.split_once('/').unwrap_or((path.as_str(), ""));
        let span = tracing::info_span!(
            "grpc.server",
            otel.name = %path,
            otel.kind = "server",
            otel.status_code = Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = Empty,
            enduser.role = Empty,
        );
        telemetry::set_parent(&span, &HttpHeaderExtractor(req.headers()));
        let fut = self.inner.call(req).instrument(span.clone());
        Box::pin(async move {
            let result = fut.await;
            if let Ok(resp) = &result {
                // tonic sends an error as a trailers-only response: grpc-status is then a header.
                // Without it, the call succeeded (status 0 comes in the trailers).
                let code = resp
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .unwrap_or(0);
                span.record("rpc.grpc.status_code", code);
                if is_server_error(code) {
                    span.record("otel.status_code", "ERROR");
                }
            }
            result
        })
    }
}

/// Codes that mean the server failed (OpenTelemetry's RPC conventions): the others are the
/// caller's doing and do not mark the span as an error.
fn is_server_error(code: i32) -> bool {
    matches!(
        Code::from_i32(code),
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

/// Client interceptor adding the current span's `traceparent`/`tracestate` to each call. Calls
/// must be `.instrument(span)`ed: the interceptor runs when the call future is first polled.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceContextInterceptor;

impl Interceptor for TraceContextInterceptor {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        telemetry::inject(&Span::current(), &mut MetadataInjector(request.metadata_mut()));
        Ok(request)
    }
}

/// Client interceptor adding `authorization: Bearer <token>` and then, like
/// [`TraceContextInterceptor`], the current trace context. The token is a [`Secret`]: it never
/// prints.
#[derive(Debug, Clone)]
pub struct BearerInterceptor {
    header: Option<MetadataValue<tonic::metadata::Ascii>>,
}

impl BearerInterceptor {
    /// No token at all: calls reach only health and reflection (the rest answer `UNAUTHENTICATED`).
    pub fn anonymous() -> Self {
        Self { header: None }
    }

    /// Sends `token` with every call. A token that is not valid header text is sent as nothing,
    /// and the server answers `UNAUTHENTICATED`.
    pub fn new(token: &crate::secret::Secret) -> Self {
        let header = MetadataValue::try_from(format!("Bearer {}", token.expose().trim())).ok();
        Self {
            header: header.map(|mut h| {
                h.set_sensitive(true);
                h
            }),
        }
    }
}

impl Interceptor for BearerInterceptor {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        if let Some(h) = &self.header {
            request.metadata_mut().insert("authorization", h.clone());
        }
        TraceContextInterceptor.call(request)
    }
}

/// A channel whose calls carry a bearer token and the trace context.
pub type AuthChannel = tonic::service::interceptor::InterceptedService<Channel, BearerInterceptor>;

/// Wraps `channel` so that every call carries `token`.
pub fn with_token(channel: Channel, token: &crate::secret::Secret) -> AuthChannel {
    tonic::service::interceptor::InterceptedService::new(channel, BearerInterceptor::new(token))
}

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl opentelemetry::propagation::Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (MetadataKey::from_bytes(key.as_bytes()), MetadataValue::try_from(value)) {
            self.0.insert(k, v);
        }
    }
}

/// A lazily connected channel to `url` (`http://host:port`): the first call connects, and a
/// service that is down gives `UNAVAILABLE` on the call rather than failing here.
pub fn channel(url: &str, connect_timeout: Duration) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("{url:?} is not a valid gRPC URL (expected http://host:port)"))?
        .connect_timeout(connect_timeout)
        .connect_lazy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_names_every_field_and_keeps_them_as_details() {
        let status = invalid_argument(vec![
            FieldViolation::new("siret", "fails the check digit"),
            FieldViolation::new("name", "is empty"),
        ]);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("siret: fails the check digit"));
        let fields: Vec<_> = field_violations(&status).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["siret", "name"]);
    }

    #[test]
    fn a_lost_database_is_unavailable_not_internal() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset by peer");
        let err = anyhow::Error::new(sqlx::Error::Io(io)).context("commit create_partner");
        assert_eq!(internal(err).code(), Code::Unavailable);
        let err = anyhow::Error::new(sqlx::Error::PoolTimedOut).context("begin");
        assert_eq!(internal(err).code(), Code::Unavailable);
        assert_eq!(internal(anyhow::anyhow!("a bug")).code(), Code::Internal);
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let status = internal(anyhow::anyhow!("password authentication failed for user x"));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("password"));
    }
}
