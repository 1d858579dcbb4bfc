//! Builds the observatory from its configuration and runs it until told to stop: gRPC API,
//! registry-event consumer, outbox relay, health, and the public dashboard over HTTP. Used by
//! `main` and by the tests.

use std::{net::SocketAddr, sync::Arc};

use ess_proto::observatory::v1::{
    action_plan_server::ActionPlanServer,
    observatory_server::{ObservatoryServer, SERVICE_NAME},
    reports_server::ReportsServer,
};
use platform::{
    consumer::{Consumer, ConsumerConfig},
    host::{Api, Host},
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::{Config, CubeArgs, ImportArgs, Settings, WebArgs},
    cube_cache::TableCache,
    events,
    grpc::ObservatoryService,
    plan::grpc::ActionPlanService,
    report::grpc::ReportsService,
    resources::grpc::ResourcesService,
    web::{self, WebState},
};
use ess_proto::observatory::v1::resources_server::{ResourcesServer, SERVICE_NAME as RESOURCES_SERVICE_NAME};

pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An observatory connected to its database and NATS, with its port bound, not yet serving.
pub struct App {
    host: Host,
    imports: ImportArgs,
    web: WebArgs,
    cube: CubeArgs,
    /// The dashboard's bound port.
    http: TcpListener,
}

impl App {
    /// Connects, migrates, ensures the stream and binds the gRPC port; default import limits.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with(config, &ImportArgs::default()).await
    }

    /// [`App::build`] with explicit import limits (the dashboard on an ephemeral loopback port).
    pub async fn build_with(config: &Config, imports: &ImportArgs) -> anyhow::Result<Self> {
        Self::build_full(config, imports, &WebArgs::ephemeral()).await
    }

    /// Everything `main` reads: also binds the dashboard on `HTTP_ADDR`.
    pub async fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mut app = Self::build_full(&settings.config, &settings.imports, &settings.web).await?;
        app.cube = settings.cube.clone();
        Ok(app)
    }

    /// [`App::build`] with explicit import limits and dashboard settings.
    pub async fn build_full(config: &Config, imports: &ImportArgs, web: &WebArgs) -> anyhow::Result<Self> {
        let host = Host::bind("observatory", &config.common, config.grpc_addr, &MIGRATIONS).await?;
        let http = web::bind(web.http_addr).await?;
        Ok(Self {
            host,
            imports: imports.clone(),
            web: web.clone(),
            cube: CubeArgs::default(),
            http,
        })
    }

    /// The bound address of the dashboard (useful with port 0).
    pub fn http_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.http.local_addr()?)
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
        let cube_cache = Arc::new(TableCache::new(self.cube.cube_cache_cells));
        let observatory = ObservatoryServer::new(ObservatoryService::new(
            self.host.pool().clone(),
            self.imports.clone(),
            self.host.backbone().bus.clone(),
            cube_cache.clone(),
        ))
        .max_decoding_message_size(self.host.limits().max_message_bytes)
        .max_encoding_message_size(self.host.limits().max_message_bytes);
        let resources = ResourcesServer::new(ResourcesService::new(
            self.host.pool().clone(),
            self.web.max_resource_bytes,
        ))
        .max_decoding_message_size(self.host.limits().max_message_bytes)
        .max_encoding_message_size(self.host.limits().max_message_bytes);
        let action_plan = ActionPlanServer::new(ActionPlanService::new(self.host.pool().clone()));
        let reports = ReportsServer::new(ReportsService::new(self.host.pool().clone()));
        let http = self.http;
        let web_state = WebState {
            pool: self.host.pool().clone(),
            cube_cache,
        };
        let api = Api {
            health_services: vec![
                SERVICE_NAME,
                RESOURCES_SERVICE_NAME,
                ess_proto::observatory::v1::action_plan_server::SERVICE_NAME,
                ess_proto::observatory::v1::reports_server::SERVICE_NAME,
            ],
            descriptor_sets: vec![ess_proto::OBSERVATORY_DESCRIPTOR_SET],
            access: crate::access::ACCESS,
        };
        let consumers = |supervisor: &platform::task::Supervisor, backbone: &platform::backbone::Backbone| {
            let registry_events = Consumer::new(
                backbone.pool.clone(),
                backbone.bus.clone(),
                ConsumerConfig::new(events::registry::DURABLE, events::registry::FILTER),
                events::registry::RegistryProjection,
            );
            let registry_replay = registry_events.replay();
            supervisor.spawn_critical("registry-events", registry_events.run(supervisor.token()));
            let activities_events = Consumer::new(
                backbone.pool.clone(),
                backbone.bus.clone(),
                ConsumerConfig::new(events::activities::DURABLE, events::activities::FILTER),
                events::activities::ActivitiesProjection,
            );
            let activities_replay = activities_events.replay();
            supervisor.spawn_critical("activities-events", activities_events.run(supervisor.token()));
            supervisor.spawn_critical("http", web::serve(http, web_state, supervisor.token()));
            vec![registry_replay, activities_replay]
        };
        self.host
            .run(
                shutdown,
                api,
                |routes| {
                    routes
                        .add_service(observatory)
                        .add_service(resources)
                        .add_service(action_plan)
                        .add_service(reports)
                },
                consumers,
            )
            .await
    }
}
