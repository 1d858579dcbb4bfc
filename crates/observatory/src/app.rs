//! Builds the observatory from its configuration and runs it until told to stop: gRPC API,
//! registry-event consumer, outbox relay, health. Used by `main` and by the tests.

use std::{net::SocketAddr, time::Duration};

use ess_proto::observatory::v1::observatory_server::{ObservatoryServer, SERVICE_NAME};
use platform::{
    backbone::Backbone,
    consumer::{Consumer, ConsumerConfig},
    grpc,
    task::Supervisor,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::{config::Config, events, grpc::ObservatoryService};

/// How long shutdown may take; shorter than compose's default 10 s grace period.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(8);

pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An observatory connected to its database and NATS, with its port bound, not yet serving.
pub struct App {
    backbone: Backbone,
    listener: TcpListener,
}

impl App {
    /// Connects, migrates, ensures the stream and binds the gRPC port.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let backbone = Backbone::connect(&config.common, "observatory", &MIGRATIONS).await?;
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

    /// Serves gRPC and consumes events until `shutdown` is cancelled or a task fails.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let supervisor = Supervisor::new(shutdown);
        let (reporter, health) = tonic_health::server::health_reporter();
        self.backbone.spawn(&supervisor, reporter, vec![SERVICE_NAME]);

        let registry_events = Consumer::new(
            self.backbone.pool.clone(),
            self.backbone.bus.clone(),
            ConsumerConfig::new(events::registry::DURABLE, events::registry::FILTER),
            events::registry::RegistryProjection,
        );
        supervisor.spawn_critical("registry-events", registry_events.run(supervisor.token()));

        let routes = Routes::new(health).add_service(ObservatoryServer::new(ObservatoryService::new(
            self.backbone.pool.clone(),
        )));
        let routes = grpc::reflection_routes(routes, &[ess_proto::OBSERVATORY_DESCRIPTOR_SET])?;
        supervisor.spawn_critical("grpc", grpc::serve(self.listener, routes, supervisor.token()));

        tracing::info!("observatory.started");
        let outcome = supervisor.wait(SHUTDOWN_DEADLINE).await;
        self.backbone.pool.close().await;
        outcome
    }
}
