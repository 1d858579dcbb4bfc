//! `grpc.health.v1`: a service reports SERVING only while its database and NATS answer, so that
//! compose and load balancers never route to an instance that cannot do its work.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic_health::{ServingStatus, server::HealthReporter};

/// How often reachability is checked.
const CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// How long a database ping may take before the service counts as not serving.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Keeps the health status of `""` (the whole server) and of each name in `services` in step with
/// the reachability of PostgreSQL and NATS, until `token` is cancelled; then reports NOT_SERVING.
pub async fn watch(
    reporter: HealthReporter,
    services: Vec<&'static str>,
    pool: PgPool,
    nats: async_nats::Client,
    token: CancellationToken,
) -> anyhow::Result<()> {
    let mut last: Option<bool> = None;
    loop {
        let db_ok = matches!(
            tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(&pool)).await,
            Ok(Ok(_))
        );
        let nats_ok = nats.connection_state() == async_nats::connection::State::Connected;
        let ready = db_ok && nats_ok;
        if last != Some(ready) {
            if ready {
                tracing::info!("platform.health.serving");
            } else {
                tracing::warn!(database = db_ok, nats = nats_ok, "platform.health.not_serving");
            }
            set_all(&reporter, &services, ready).await;
            last = Some(ready);
        }
        if !crate::task::sleep_or_cancel(CHECK_INTERVAL, &token).await {
            set_all(&reporter, &services, false).await;
            return Ok(());
        }
    }
}

async fn set_all(reporter: &HealthReporter, services: &[&'static str], ready: bool) {
    let status = if ready {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    reporter.set_service_status("", status).await;
    for name in services {
        reporter.set_service_status(*name, status).await;
    }
}
