//! Builds the registry from its configuration and runs it until told to stop. Used by `main` and
//! by the tests, so that tests run exactly what production runs.

use std::{net::SocketAddr, time::Duration};

use ess_proto::registry::v1::partner_registry_server::{PartnerRegistryServer, SERVICE_NAME};
use platform::{backbone::Backbone, grpc, task::Supervisor};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::{config::Config, grpc::partners::PartnerRegistryService};

/// How long shutdown may take; shorter than compose's default 10 s grace period.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(8);

pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A registry connected to its database and NATS, with its port bound, not yet serving.
pub struct App {
    backbone: Backbone,
    listener: TcpListener,
}

impl App {
    /// Connects, migrates, ensures the stream and binds the gRPC port.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let backbone = Backbone::connect(&config.common, "registry", &MIGRATIONS).await?;
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

    /// Serves gRPC and publishes the outbox until `shutdown` is cancelled or a task fails.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let supervisor = Supervisor::new(shutdown);
        let (reporter, health) = tonic_health::server::health_reporter();
        self.backbone.spawn(&supervisor, reporter, vec![SERVICE_NAME]);

        let routes = Routes::new(health).add_service(PartnerRegistryServer::new(PartnerRegistryService::new(
            self.backbone.pool.clone(),
        )));
        let routes = grpc::reflection_routes(routes, &[ess_proto::REGISTRY_DESCRIPTOR_SET])?;
        supervisor.spawn_critical("grpc", grpc::serve(self.listener, routes, supervisor.token()));

        tracing::info!("registry.started");
        let outcome = supervisor.wait(SHUTDOWN_DEADLINE).await;
        self.backbone.pool.close().await;
        outcome
    }
}
