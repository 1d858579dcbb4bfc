//! One function per command: open a client on a lazy channel, make the call inside the command's
//! root span, and turn the answer into a view. Shared here: clients and the call wrapper.

pub mod activity;
pub mod activity_cli;
pub mod activity_view;
pub mod audit;
pub mod auth;
pub mod dlq;
pub mod doctor;
pub mod events;
pub mod health;
pub mod ops_cli;
pub mod ops_view;
pub mod paging;
pub mod partner;
pub mod plan;
pub mod plan_cli;
pub mod registry_cli;
pub mod registry_import;
pub mod registry_projects;
pub mod registry_view;
pub mod resource;
pub mod seed;
pub mod seed_data;
pub mod stats;
pub mod stats_args;
pub mod stats_view;

use std::{future::Future, time::Duration};

use anyhow::Context as _;
use platform::grpc::BearerInterceptor;
use tonic::{Response, Status, service::interceptor::InterceptedService, transport::Channel};
use tracing::{Instrument as _, Span};

use crate::failure::{Failure, Service};

/// A lazily connected channel to `service` at `url`. Fails only on a malformed URL; an
/// unreachable service shows up as `UNAVAILABLE` on the call. Clients wrap it with
/// `TraceContextInterceptor` so each call carries the command span's `traceparent`.
pub fn channel(service: Service, url: &str, timeout: Duration) -> Result<Channel, Failure> {
    platform::grpc::channel(url, timeout)
        .with_context(|| format!("--{} / {}", option_name(service), service.url_variable()))
        .map_err(Failure::Local)
}

/// What every client of essctl is built on: a channel to one service and the interceptor every
/// call goes through, which adds the bearer token and the trace context.
pub type Transport = InterceptedService<Channel, BearerInterceptor>;

/// The [`Transport`] to `service` at `url` with `bearer` (see `GlobalArgs::bearer`): every gRPC
/// client in essctl is built from this.
pub fn transport(
    service: Service,
    url: &str,
    timeout: Duration,
    bearer: BearerInterceptor,
) -> Result<Transport, Failure> {
    Ok(InterceptedService::new(channel(service, url, timeout)?, bearer))
}

fn option_name(service: Service) -> &'static str {
    match service {
        Service::Registry => "registry-url",
        Service::Activities => "activities-url",
        Service::Observatory => "observatory-url",
    }
}

/// How much longer than our own deadline the server is told to keep working. Our timer must win
/// the race: a tonic server that hits the `grpc-timeout` it was sent answers `CANCELLED`, which
/// would hide the real story (DEADLINE_EXCEEDED, raise --timeout).
const SERVER_DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// A request carrying a gRPC deadline just past `timeout`, so the server stops working on it soon
/// after we stop waiting.
pub fn request<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(timeout.saturating_add(SERVER_DEADLINE_MARGIN));
    request
}

/// Awaits `call` inside `span` (so the interceptor injects its context) for at most `timeout`, and
/// records the outcome on the span following OpenTelemetry's RPC conventions.
pub async fn call<T>(
    service: Service,
    url: &str,
    timeout: Duration,
    span: &Span,
    call: impl Future<Output = Result<Response<T>, Status>>,
) -> Result<T, Failure> {
    let outcome = tokio::time::timeout(timeout, call.instrument(span.clone())).await;
    let status = match outcome {
        Ok(Ok(response)) => {
            span.record("rpc.grpc.status_code", 0);
            return Ok(response.into_inner());
        }
        Ok(Err(status)) => status,
        Err(_elapsed) => {
            return Err(record_failure(span, Failure::timed_out(service, url, timeout)));
        }
    };
    Err(record_failure(
        span,
        Failure::Rpc {
            service,
            url: url.to_owned(),
            status,
        },
    ))
}

fn record_failure(span: &Span, failure: Failure) -> Failure {
    if let Failure::Rpc { status, .. } = &failure {
        span.record("rpc.grpc.status_code", status.code() as i32);
        span.record("otel.status_code", "ERROR");
    }
    failure
}
