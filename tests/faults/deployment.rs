//! A registry and an observatory (real binaries) on a given NATS and databases, with the
//! handles the scenarios need to break things and the checker needs to look.

use std::{collections::HashMap, time::Duration};

use ess_e2e::{
    binaries::RunningService,
    workload::{Ledger, Report, Sources, settle_and_check},
};
use platform::{config::NatsArgs, testing::poll_until};
use sqlx::PgPool;

pub const SETTLE: Duration = Duration::from_secs(90);

pub fn service_env(database_url: &str, nats: &NatsArgs) -> HashMap<&'static str, String> {
    HashMap::from([
        ("DATABASE_URL", database_url.to_owned()),
        ("NATS_URL", nats.url.clone()),
        ("ESS_STREAM", nats.stream.clone()),
        ("ESS_SUBJECT_PREFIX", nats.subject_prefix.clone()),
        ("ESS_STREAM_REPLICAS", nats.replicas.to_string()),
        ("RUST_LOG", "warn".into()),
    ])
}

pub struct Deployment {
    pub registries: Vec<RunningService>,
    pub observatories: Vec<RunningService>,
    pub registry_db: PgPool,
    pub observatory_db: PgPool,
    pub nats: NatsArgs,
}

impl Deployment {
    /// Starts `replicas` registries and observatories sharing their databases and durable consumer.
    pub async fn start(registry_url: &str, observatory_url: &str, nats: &NatsArgs, replicas: usize) -> Self {
        let mut registries = Vec::new();
        let mut observatories = Vec::new();
        for _ in 0..replicas {
            registries.push(RunningService::start("registry", &service_env(registry_url, nats)).await);
            observatories.push(RunningService::start("observatory", &service_env(observatory_url, nats)).await);
        }
        Self {
            registries,
            observatories,
            registry_db: pool(registry_url).await,
            observatory_db: pool(observatory_url).await,
            nats: nats.clone(),
        }
    }

    pub fn registry_url(&self) -> String {
        self.registries[0].url()
    }

    /// Waits until `sql` (a count) reaches `at_least` on `pool`.
    pub async fn wait_count(&self, pool: &PgPool, sql: &'static str, at_least: i64, what: &str) {
        poll_until(Duration::from_secs(90), what, || async {
            let n: i64 = sqlx::query_scalar(sql).fetch_one(pool).await.ok()?;
            (n >= at_least).then_some(())
        })
        .await;
    }

    pub async fn registry_partners(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM partners")
            .fetch_one(&self.registry_db)
            .await
            .unwrap_or(0)
    }

    pub async fn check(&self, ledger: &Ledger) -> Report {
        let client = async_nats::connect(first_url(&self.nats.url))
            .await
            .expect("checker's NATS connection");
        let js = async_nats::jetstream::new(client);
        let sources = Sources {
            registry: &self.registry_db,
            observatory: &self.observatory_db,
            jetstream: &js,
            stream: &self.nats.stream,
            subject_prefix: &self.nats.subject_prefix,
        };
        settle_and_check(ledger, &sources, SETTLE).await
    }
}

pub fn first_url(urls: &str) -> String {
    urls.split(',').next().unwrap_or(urls).to_owned()
}

async fn pool(url: &str) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_lazy(url)
        .expect("checker pool")
}
