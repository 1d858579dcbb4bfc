//! Builds the activities service and runs it until told to stop: health and reflection, the
//! registry-event consumer, the outbox relay. Used by `main` and by the tests.

use std::{net::SocketAddr, time::Duration};

use platform::{
    backbone::Backbone,
    consumer::{Consumer, ConsumerConfig},
    grpc,
    task::Supervisor,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::{config::Config, events};

/// How long shutdown may take; shorter than compose's default 10 s grace period.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(8);

pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The activities service, connected and bound, not yet serving.
pub struct App {
    backbone: Backbone,
    listener: TcpListener,
}

impl App {
    /// Connects, migrates, ensures the stream and binds the gRPC port.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        // Checked now so that a malformed REGISTRY_URL stops the service at start.
        grpc::channel(&config.registry_url, Duration::from_secs(5))?;
        let backbone = Backbone::connect(&config.common, "activities", &MIGRATIONS).await?;
        let listener = grpc::bind(config.grpc_addr).await?;
        Ok(Self { backbone, listener })
    }

    /// The bound gRPC address (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The database pool (tests inspect it).
    pub fn pool(&self) -> &sqlx::PgPool {
        &self.backbone.pool
    }

    /// Serves until `shutdown` is cancelled or a task fails.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let supervisor = Supervisor::new(shutdown);
        let (reporter, health) = tonic_health::server::health_reporter();
        self.backbone.spawn(&supervisor, reporter, vec![]);

        let registry_events = Consumer::new(
            self.backbone.pool.clone(),
            self.backbone.bus.clone(),
            ConsumerConfig::new(events::registry::DURABLE, events::registry::FILTER),
            events::registry::PartnerDirectoryProjection,
        );
        supervisor.spawn_critical("registry-events", registry_events.run(supervisor.token()));

        let routes = grpc::reflection_routes(Routes::new(health), &[])?;
        supervisor.spawn_critical("grpc", grpc::serve(self.listener, routes, supervisor.token()));

        tracing::info!("activities.started");
        let outcome = supervisor.wait(SHUTDOWN_DEADLINE).await;
        self.backbone.pool.close().await;
        outcome
    }
}
