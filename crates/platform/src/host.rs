//! The shape every service binary shares: connect the backbone and bind the gRPC port
//! ([`Host::bind`]), then serve the service's API beside health, reflection, the outbox relay and
//! whatever consumers it runs, until shutdown ([`Host::run`]); and [`main`], which wraps that in
//! telemetry and signal handling. A service's `App` is a thin layer over this.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use ess_proto::platform::v1::{audit_server::AuditServer, dead_letters_server::DeadLettersServer};
use sqlx::{PgPool, migrate::Migrator};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::{
    access::{AccessTable, Auth, MethodAccess, PLATFORM_ACCESS},
    audit::AuditService,
    auth::TokenVerifier,
    backbone::Backbone,
    config::{CommonArgs, TelemetryArgs},
    consumer::Replay,
    dead_letters::DeadLetterService,
    grpc,
    limits::LimitsArgs,
    task::{self, Supervisor},
};

/// How long shutdown may take: shorter than the 15 s `stop_grace_period` in docker-compose.yml.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(8);

/// What a service exposes besides its own routes.
#[derive(Default)]
pub struct Api {
    /// gRPC service names whose `grpc.health.v1` status follows the database and NATS.
    pub health_services: Vec<&'static str>,
    /// Encoded descriptor sets registered for reflection (the platform's are added).
    pub descriptor_sets: Vec<&'static [u8]>,
    /// Who may call each of the service's methods (the platform's own are added). A method
    /// missing here is refused to everyone.
    pub access: &'static [MethodAccess],
}

/// A service connected to its database and NATS, with its gRPC port bound, not yet serving.
pub struct Host {
    name: &'static str,
    backbone: Backbone,
    listener: TcpListener,
    limits: LimitsArgs,
    verifier: TokenVerifier,
}

impl Host {
    /// Connects and migrates the database, connects NATS and ensures the stream, binds `grpc_addr`.
    pub async fn bind(
        name: &'static str,
        common: &CommonArgs,
        grpc_addr: SocketAddr,
        migrations: &Migrator,
    ) -> anyhow::Result<Self> {
        // The key first: a misconfigured key fails at start, before any connection.
        let verifier = TokenVerifier::from_args(&common.auth)?;
        let backbone = Backbone::connect(common, name, migrations).await?;
        let listener = grpc::bind(grpc_addr).await?;
        Ok(Self {
            name,
            backbone,
            listener,
            limits: common.limits.clone(),
            verifier,
        })
    }

    /// The bound gRPC address (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The database and the bus.
    pub fn backbone(&self) -> &Backbone {
        &self.backbone
    }

    /// The server's limits: a service applies `max_message_bytes` to each of its servers
    /// (`max_decoding_message_size`, `max_encoding_message_size`).
    pub fn limits(&self) -> &LimitsArgs {
        &self.limits
    }

    /// The database pool.
    pub fn pool(&self) -> &PgPool {
        &self.backbone.pool
    }

    /// Serves health, reflection and the routes `add_routes` adds; runs the outbox relay, the
    /// health watcher and the tasks `spawn_tasks` starts (consumers, whose [`Replay`]s it returns:
    /// `DeadLetters` serves their dead letters); until `shutdown` is cancelled or a task fails.
    /// Then closes the pool.
    pub async fn run(
        self,
        shutdown: CancellationToken,
        api: Api,
        add_routes: impl FnOnce(Routes) -> Routes,
        spawn_tasks: impl FnOnce(&Supervisor, &Backbone) -> Vec<Arc<dyn Replay>>,
    ) -> anyhow::Result<()> {
        let supervisor = Supervisor::new(shutdown);
        let (reporter, health) = tonic_health::server::health_reporter();
        self.backbone.spawn(&supervisor, reporter, api.health_services);
        let consumers = spawn_tasks(&supervisor, &self.backbone);

        let dead_letters = DeadLettersServer::new(DeadLetterService::new(self.backbone.bus.clone(), consumers))
            .max_decoding_message_size(self.limits.max_message_bytes)
            .max_encoding_message_size(self.limits.max_message_bytes);
        let audit = AuditServer::new(AuditService::new(self.backbone.pool.clone()))
            .max_decoding_message_size(self.limits.max_message_bytes)
            .max_encoding_message_size(self.limits.max_message_bytes);
        let mut descriptor_sets = api.descriptor_sets;
        descriptor_sets.push(ess_proto::PLATFORM_DESCRIPTOR_SET);
        let routes = add_routes(Routes::new(health).add_service(dead_letters).add_service(audit));
        let routes = grpc::reflection_routes(routes, &descriptor_sets)?;
        let auth = Auth::new(
            self.verifier,
            AccessTable::new([PLATFORM_ACCESS, api.access]),
            Some(self.backbone.pool.clone()),
        );
        supervisor.spawn_critical(
            "grpc",
            grpc::serve_with_limits(self.listener, routes, self.limits.clone(), auth, supervisor.token()),
        );

        tracing::info!(service = self.name, "platform.service.started");
        let outcome = supervisor.wait(SHUTDOWN_DEADLINE).await;
        self.backbone.pool.close().await;
        outcome
    }
}

/// The body of a service's `main`: telemetry first, `run` until SIGTERM/SIGINT (or a failure),
/// the error chain logged once, telemetry flushed last.
pub async fn main<F, Fut>(name: &'static str, telemetry: &TelemetryArgs, run: F) -> anyhow::Result<()>
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let guard = crate::telemetry::init(telemetry, name)?;
    let shutdown = CancellationToken::new();
    tokio::spawn(task::cancel_on_signal(shutdown.clone()));
    let outcome = run(shutdown).await;
    if let Err(e) = &outcome {
        tracing::error!(service = name, error = ?e, "platform.service.stopped_with_error");
    }
    guard.shutdown().await;
    outcome
}
