//! What every service connects to at start and runs beside its own API: the migrated database
//! pool, the event bus with its stream, the outbox relay and the health watcher. A service's
//! `App::build` calls [`Backbone::connect`]; its `App::run` calls [`Backbone::spawn`].

use sqlx::{PgPool, migrate::Migrator};
use tonic_health::server::HealthReporter;

use crate::{
    bus::EventBus,
    config::CommonArgs,
    db, health,
    outbox::{Relay, RelayConfig},
    task::Supervisor,
};

/// The database and the bus of one service.
#[derive(Clone)]
pub struct Backbone {
    /// Pool over the service's own database, migrated.
    pub pool: PgPool,
    /// NATS connection and stream.
    pub bus: EventBus,
}

impl Backbone {
    /// Connects PostgreSQL and applies migrations (the platform's, then `migrations`), connects
    /// NATS and creates or updates the stream. Each failure names the setting to check.
    pub async fn connect(args: &CommonArgs, service: &str, migrations: &Migrator) -> anyhow::Result<Self> {
        let pool = db::connect(&args.database_url, args.database_max_connections).await?;
        db::migrate(&pool, migrations).await?;
        let bus = EventBus::connect_as(&args.nats, &args.nats_credentials, service).await?;
        bus.ensure_stream(&args.nats).await?;
        Ok(Self { pool, bus })
    }

    /// Spawns the outbox relay and the health watcher under `supervisor`. `services` are the
    /// gRPC service names whose health follows the database and NATS.
    pub fn spawn(&self, supervisor: &Supervisor, reporter: HealthReporter, services: Vec<&'static str>) {
        let relay = Relay::new(self.pool.clone(), self.bus.clone(), RelayConfig::default());
        supervisor.spawn_critical("outbox-relay", relay.run(supervisor.token()));
        supervisor.spawn_critical(
            "health",
            health::watch(
                reporter,
                services,
                self.pool.clone(),
                self.bus.client.clone(),
                supervisor.token(),
            ),
        );
    }
}
