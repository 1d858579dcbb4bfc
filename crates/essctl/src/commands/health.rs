//! `essctl health [SERVICE]...`: asks each service's `grpc.health.v1.Health/Check` about the whole
//! server (service `""`), all services at once. The services report SERVING only while their
//! database and NATS answer, so this is the readiness probe of the containers.

use std::time::Duration;

use platform::grpc::BearerInterceptor;

use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tracing::field::Empty;

use super::{call, request, transport};
use crate::{
    cli::GlobalArgs,
    failure::{Failure, Service, status_summary},
    view::{HealthStatus, HealthView, ServiceHealthView},
};

/// Checks `services` concurrently, each within `--timeout`, so the whole command takes about one
/// timeout at worst. A service that cannot be asked is UNREACHABLE, not a failure of the command:
/// the caller decides from [`HealthView::healthy`]. Fails only on a malformed URL.
pub async fn check(global: &GlobalArgs, services: &[Service]) -> Result<HealthView, Failure> {
    let checks: Vec<_> = services
        .iter()
        .map(|&service| tokio::spawn(check_one(service, global.url(service).to_owned(), global.timeout)))
        .collect();
    let mut views = Vec::with_capacity(checks.len());
    for (check, service) in checks.into_iter().zip(services) {
        let view = check.await.map_err(|e| {
            Failure::Local(anyhow::Error::new(e).context(format!("checking the health of the {}", service.name())))
        })??;
        views.push(view);
    }
    Ok(HealthView::new(views))
}

/// One `Check` call, in its own root span (not exported: see `Cli::telemetry`).
async fn check_one(service: Service, url: String, timeout: Duration) -> Result<ServiceHealthView, Failure> {
    let span = tracing::info_span!(
        parent: None,
        "essctl health",
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "grpc.health.v1.Health",
        rpc.method = "Check",
        rpc.grpc.status_code = Empty,
        server.address = %url,
    );
    let mut client = HealthClient::new(transport(service, &url, timeout, BearerInterceptor::anonymous())?);
    // The empty name asks about the server as a whole, which each service keeps in step with its
    // database and NATS (platform::health).
    let message = HealthCheckRequest { service: String::new() };
    let outcome = call(service, &url, timeout, &span, client.check(request(message, timeout))).await;
    let (status, reason) = match outcome {
        Ok(response) => (HealthStatus::from(response), None),
        Err(Failure::Rpc { status, .. }) => (HealthStatus::Unreachable, Some(status_summary(&status))),
        Err(other) => return Err(other),
    };
    Ok(ServiceHealthView {
        service,
        url,
        status,
        reason,
    })
}
