//! Builds the activities service and runs it until told to stop: health and reflection, the
//! activities API, the registry-event consumer, the outbox relay. Used by `main` and by the tests.

use std::{net::SocketAddr, time::Duration};

use ess_proto::activities::v1::activities_server::{ActivitiesServer, SERVICE_NAME};
use platform::{
    consumer::{Consumer, ConsumerConfig},
    host::{Api, Host},
};
use tokio_util::sync::CancellationToken;

use crate::{config::Config, events, grpc::ActivitiesService, registry::Registry};

pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The activities service, connected and bound, not yet serving.
pub struct App {
    host: Host,
    registry: Registry,
    /// Half the pool: registration bursts queue in the service, not on the pool.
    registration_slots: usize,
}

/// Longest wait for the registry (connection, then each answer) when validating organisers.
const REGISTRY_TIMEOUT: Duration = Duration::from_secs(5);

impl App {
    /// Connects, migrates, ensures the stream and binds the gRPC port.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        // Built once and shared; a malformed REGISTRY_URL stops the service at start.
        let registry = Registry::new(&config.registry_url, &config.registry_token, REGISTRY_TIMEOUT)?;
        let host = Host::bind("activities", &config.common, config.grpc_addr, &MIGRATIONS).await?;
        let registration_slots = (config.common.database_max_connections as usize / 2).max(1);
        Ok(Self {
            host,
            registry,
            registration_slots,
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

    /// Serves until `shutdown` is cancelled or a task fails.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let activities = ActivitiesServer::new(ActivitiesService::new(
            self.host.pool().clone(),
            self.registry,
            self.registration_slots,
        ))
        .max_decoding_message_size(self.host.limits().max_message_bytes)
        .max_encoding_message_size(self.host.limits().max_message_bytes);
        let api = Api {
            health_services: vec![SERVICE_NAME],
            descriptor_sets: vec![ess_proto::ACTIVITIES_DESCRIPTOR_SET],
            access: crate::access::ACCESS,
        };
        let consumers = |supervisor: &platform::task::Supervisor, backbone: &platform::backbone::Backbone| {
            let registry_events = Consumer::new(
                backbone.pool.clone(),
                backbone.bus.clone(),
                ConsumerConfig::new(events::registry::DURABLE, events::registry::FILTER),
                events::registry::PartnerDirectoryProjection,
            );
            let replay = registry_events.replay();
            supervisor.spawn_critical("registry-events", registry_events.run(supervisor.token()));
            vec![replay]
        };
        self.host
            .run(shutdown, api, |routes| routes.add_service(activities), consumers)
            .await
    }
}
