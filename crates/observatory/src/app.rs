//! Builds the observatory from its configuration and runs it until told to stop: gRPC API,
//! registry-event consumer, outbox relay, health. Used by `main` and by the tests.

use std::net::SocketAddr;

use ess_proto::observatory::v1::observatory_server::{ObservatoryServer, SERVICE_NAME};
use platform::{
    consumer::{Consumer, ConsumerConfig},
    host::{Api, Host},
};
use tokio_util::sync::CancellationToken;

use crate::{
    config::{Config, ImportArgs},
    events,
    grpc::ObservatoryService,
};

pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An observatory connected to its database and NATS, with its port bound, not yet serving.
pub struct App {
    host: Host,
    imports: ImportArgs,
}

impl App {
    /// Connects, migrates, ensures the stream and binds the gRPC port; default import limits.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with(config, &ImportArgs::default()).await
    }

    /// [`App::build`] with explicit import limits.
    pub async fn build_with(config: &Config, imports: &ImportArgs) -> anyhow::Result<Self> {
        let host = Host::bind("observatory", &config.common, config.grpc_addr, &MIGRATIONS).await?;
        Ok(Self {
            host,
            imports: imports.clone(),
        })
    }

    /// The bound gRPC address (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        self.host.local_addr()
    }

    /// The database pool (tests inspect it).
    pub fn pool(&self) -> &sqlx::PgPool {
        self.host.pool()
    }

    /// Serves gRPC and consumes events until `shutdown` is cancelled or a task fails.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let observatory = ObservatoryServer::new(ObservatoryService::new(
            self.host.pool().clone(),
            self.imports.clone(),
            self.host.backbone().bus.clone(),
        ));
        let api = Api {
            health_services: vec![SERVICE_NAME],
            descriptor_sets: vec![ess_proto::OBSERVATORY_DESCRIPTOR_SET],
            consumers: vec![events::registry::DURABLE],
            access: crate::access::ACCESS,
        };
        let consumers = |supervisor: &platform::task::Supervisor, backbone: &platform::backbone::Backbone| {
            let registry_events = Consumer::new(
                backbone.pool.clone(),
                backbone.bus.clone(),
                ConsumerConfig::new(events::registry::DURABLE, events::registry::FILTER),
                events::registry::RegistryProjection,
            );
            supervisor.spawn_critical("registry-events", registry_events.run(supervisor.token()));
            let activities_events = Consumer::new(
                backbone.pool.clone(),
                backbone.bus.clone(),
                ConsumerConfig::new(events::activities::DURABLE, events::activities::FILTER),
                events::activities::ActivitiesProjection,
            );
            supervisor.spawn_critical("activities-events", activities_events.run(supervisor.token()));
        };
        self.host
            .run(shutdown, api, |routes| routes.add_service(observatory), consumers)
            .await
    }
}
