//! The PostgreSQL pool and migrations. Every service database holds the platform's tables
//! (outbox, processed events: `crates/platform/migrations`) beside the service's own schema; both
//! sets run as one ordered list in one `_sqlx_migrations` table.

use std::time::Duration;

use anyhow::Context as _;
use sqlx::{
    ConnectOptions as _, Connection as _, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::secret::Secret;

/// The platform's own migrations (versions below any service's timestamped ones).
pub static PLATFORM_MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// A pooled connection idle for longer than this is pinged before it is handed out, and replaced
/// if the database dropped it. A busy service reuses its connections within milliseconds and
/// skips that round trip. (sqlx's default pings on every acquire, and sqlx always pings on
/// release: three round trips for a one-statement write.) HikariCP does the same, with 500 ms.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Connects the pool; fails naming `DATABASE_URL` (but not printing it) when the database does not
/// answer.
pub async fn connect(url: &Secret, max_connections: u32) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url
        .expose()
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    let options = options.log_statements(tracing::log::LevelFilter::Debug);
    let where_ = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("?")
    );
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {where_} (DATABASE_URL)"))
}

/// Applies the platform's migrations and then the service's, in version order.
pub async fn migrate(pool: &PgPool, service: &Migrator) -> anyhow::Result<()> {
    let all = PLATFORM_MIGRATIONS.iter().chain(service.iter()).cloned().collect();
    Migrator::with_migrations(all)
        .run(pool)
        .await
        .context("applying database migrations")
}
