//! The system under test: fresh databases and a fresh stream, the release binaries of the
//! registry and the observatory as child processes, and a raw database for the baselines.
//! Everything is removed at the end.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use sqlx::Connection as _;

use crate::Args;

pub struct Service {
    pub name: &'static str,
    pub url: String,
    child: Child,
}

impl Service {
    /// Resident and peak resident memory (VmRSS, VmHWM) in MiB, from /proc.
    pub fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok())
                .map(|kib| (kib / 1024.0 * 10.0).round() / 10.0)
                .unwrap_or(0.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

pub struct Environment {
    pub registry: Service,
    pub observatory: Service,
    pub activities: Service,
    /// The observatory's public dashboard (HTTP), on a free port rather than 8080.
    pub dashboard_addr: String,
    pub registry_db: String,
    pub observatory_db: String,
    pub raw_db: String,
    pub nats_url: String,
    pub stream: String,
    pub prefix: String,
    /// A staff token signed with this run's own key pair (the services get its public half).
    pub token: platform::secret::Secret,
    admin: String,
    databases: Vec<String>,
}

impl Environment {
    pub async fn start(args: &Args) -> anyhow::Result<Self> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let names = ["registry", "observatory", "raw", "activities"].map(|s| format!("bench_{s}_{id}"));
        let mut admin = sqlx::PgConnection::connect(&args.database_url).await?;
        for name in &names {
            // Names are ours (fixed words and a uuid).
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut admin)
                .await?;
        }
        let base = args
            .database_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or_default();
        let url = |name: &str| format!("{base}/{name}");
        let (stream, prefix) = (format!("BENCH_{id}"), format!("bench{id}"));
        // Auth is always on: the run makes its own key pair, and the calls carry a staff token.
        let keys = platform::auth::generate_key_pair()?;
        let token = platform::auth::TokenIssuer::new(&keys.private_pem, "ess-auth", "ess")?.issue(
            "bench",
            platform::auth::Access::Staff,
            std::time::Duration::from_secs(24 * 3600),
        )?;
        // The activities service's own token for its organiser checks at the registry.
        let service_token = platform::auth::TokenIssuer::new(&keys.private_pem, "ess-auth", "ess")?.issue(
            "activities",
            platform::auth::Access::Service,
            std::time::Duration::from_secs(24 * 3600),
        )?;
        let env = |db: &str, port: u16| {
            vec![
                ("DATABASE_URL".to_owned(), url(db)),
                ("NATS_URL".to_owned(), args.nats_url.clone()),
                ("ESS_STREAM".to_owned(), stream.clone()),
                ("ESS_SUBJECT_PREFIX".to_owned(), prefix.clone()),
                ("GRPC_ADDR".to_owned(), format!("127.0.0.1:{port}")),
                // BENCH_SERVICE_LOG (e.g. `warn,registry=info`) shows the services' own figures.
                (
                    "RUST_LOG".to_owned(),
                    std::env::var("BENCH_SERVICE_LOG").unwrap_or_else(|_| "warn".to_owned()),
                ),
                ("ESS_AUTH_PUBLIC_KEY".to_owned(), keys.public_pem.clone()),
            ]
        };
        let registry = spawn(args, "registry", env(&names[0], free_port()?)).await?;
        let dashboard_addr = format!("127.0.0.1:{}", free_port()?);
        let mut observatory_env = env(&names[1], free_port()?);
        observatory_env.push(("HTTP_ADDR".to_owned(), dashboard_addr.clone()));
        // `OBSERVATORY_CUBE_CACHE_CELLS=0 bench --only import` measures the indicator queries
        // without the observatory's table cache (the bench asks the same questions in turn).
        if let Ok(cells) = std::env::var("OBSERVATORY_CUBE_CACHE_CELLS") {
            observatory_env.push(("OBSERVATORY_CUBE_CACHE_CELLS".to_owned(), cells));
        }
        let observatory = spawn(args, "observatory", observatory_env).await?;
        let mut activities_env = env(&names[3], free_port()?);
        activities_env.push(("REGISTRY_URL".to_owned(), registry.url.clone()));
        activities_env.push(("REGISTRY_TOKEN".to_owned(), service_token.expose().to_owned()));
        let activities = spawn(args, "activities", activities_env).await?;
        Ok(Self {
            dashboard_addr,
            registry,
            observatory,
            activities,
            registry_db: url(&names[0]),
            observatory_db: url(&names[1]),
            raw_db: url(&names[2]),
            nats_url: args.nats_url.clone(),
            stream,
            prefix,
            token,
            admin: args.database_url.clone(),
            databases: names.to_vec(),
        })
    }

    pub async fn stop(mut self) {
        for s in [&mut self.registry, &mut self.observatory, &mut self.activities] {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
        if let Ok(client) = async_nats::connect(self.nats_url.as_str()).await {
            let _ = async_nats::jetstream::new(client).delete_stream(&self.stream).await;
        }
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin).await {
            for name in &self.databases {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await;
            }
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn spawn(args: &Args, name: &'static str, env: Vec<(String, String)>) -> anyhow::Result<Service> {
    let bin = args.binaries.join(name);
    anyhow::ensure!(
        bin.exists(),
        "{} is missing: run `cargo build --release --workspace --bins` first",
        bin.display()
    );
    let addr = env
        .iter()
        .find(|(k, _)| k == "GRPC_ADDR")
        .map(|(_, v)| v.clone())
        .context("GRPC_ADDR")?;
    let child = Command::new(&bin)
        .env_clear()
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let started = Instant::now();
    while tokio::net::TcpStream::connect(&addr).await.is_err() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "{name} did not listen on {addr} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Service {
        name,
        url: format!("http://{addr}"),
        child,
    })
}
