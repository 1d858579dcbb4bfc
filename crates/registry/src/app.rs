//! Builds the registry from its configuration and runs it until told to stop. Used by `main` and
//! by the tests, so that tests run exactly what production runs.

use std::net::SocketAddr;

use ess_proto::registry::v1::{
    initiatives_server::{self, InitiativesServer},
    membership_server::{self, MembershipServer},
    partner_registry_server::{PartnerRegistryServer, SERVICE_NAME},
    ptces_server::{self, PtcesServer},
    sirene_import_server::{self, SireneImportServer},
};
use platform::host::{Api, Host};
use tokio_util::sync::CancellationToken;

use crate::{
    config::{Config, ImportArgs},
    grpc::{
        membership::MembershipService,
        partners::PartnerRegistryService,
        projects::{InitiativeService, PtceService},
        sirene::SireneImportService,
    },
};

pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A registry connected to its database and NATS, with its port bound, not yet serving.
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
        let host = Host::bind("registry", &config.common, config.grpc_addr, &MIGRATIONS).await?;
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

    /// Serves gRPC and publishes the outbox until `shutdown` is cancelled or a task fails.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let pool = self.host.pool().clone();
        // Every server refuses messages over the configured size (RESOURCE_EXHAUSTED, nothing read).
        let max = self.host.limits().max_message_bytes;
        let partners = PartnerRegistryServer::new(PartnerRegistryService::new(pool.clone()))
            .max_decoding_message_size(max)
            .max_encoding_message_size(max);
        let membership = MembershipServer::new(MembershipService::new(pool.clone()))
            .max_decoding_message_size(max)
            .max_encoding_message_size(max);
        let ptces = PtcesServer::new(PtceService::new(pool.clone()))
            .max_decoding_message_size(max)
            .max_encoding_message_size(max);
        let initiatives = InitiativesServer::new(InitiativeService::new(pool.clone()))
            .max_decoding_message_size(max)
            .max_encoding_message_size(max);
        let sirene = SireneImportServer::new(SireneImportService::new(pool, self.imports.max_import_bytes))
            .max_decoding_message_size(max)
            .max_encoding_message_size(max);
        let api = Api {
            health_services: vec![
                SERVICE_NAME,
                membership_server::SERVICE_NAME,
                ptces_server::SERVICE_NAME,
                initiatives_server::SERVICE_NAME,
                sirene_import_server::SERVICE_NAME,
            ],
            descriptor_sets: vec![ess_proto::REGISTRY_DESCRIPTOR_SET],
            access: crate::access::ACCESS,
        };
        self.host
            .run(
                shutdown,
                api,
                |routes| {
                    routes
                        .add_service(partners)
                        .add_service(membership)
                        .add_service(ptces)
                        .add_service(initiatives)
                        .add_service(sirene)
                },
                // The registry consumes no events.
                |_, _| vec![],
            )
            .await
    }
}
