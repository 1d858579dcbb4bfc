//! What the figures were measured on: cores, memory, CPU, and the versions of the substrate.

use anyhow::Context as _;
use serde::Serialize;
use sqlx::Connection as _;

use crate::Args;

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_gib: f64,
    pub cpu: String,
    pub postgres: String,
    pub nats: String,
    pub date: String,
}

pub async fn describe(args: &Args) -> anyhow::Result<Machine> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split(':').nth(1)))
        .unwrap_or("unknown")
        .trim()
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    let mut conn = sqlx::PgConnection::connect(&args.database_url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {}", args.database_url))?;
    let postgres: String = sqlx::query_scalar("SHOW server_version").fetch_one(&mut conn).await?;
    let client = async_nats::connect(args.nats_url.as_str())
        .await
        .with_context(|| format!("connecting to NATS at {}", args.nats_url))?;
    Ok(Machine {
        cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        memory_gib: (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        cpu,
        postgres,
        nats: client.server_info().version,
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
    })
}
