//! The benchmark program: starts the real services (release binaries) on fresh databases and a
//! fresh stream, drives their real paths, measures the raw substrate (PostgreSQL through the same
//! driver, NATS JetStream) in the same run, and prints the figures with their ratios.
//!
//! Run: `cargo build --release --workspace --bins && cargo run --release -p bench` (see
//! BENCHMARKS.md). Latency under a fixed rate is measured open-loop from each request's intended
//! start time, so a stall is charged to every request it delays (no coordinated omission).

mod dashboard;
mod load;
mod machine;
mod observatory;
mod registrations;
mod registry;
mod report;
mod scenarios;
mod services;
mod stock;

use std::{path::PathBuf, time::Duration};

use clap::Parser;

/// Benchmarks of the ESS platform against raw PostgreSQL and NATS.
#[derive(Debug, Parser)]
#[command(name = "bench", version, about)]
pub struct Args {
    /// Admin connection used to create (and drop) the benchmark databases.
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    /// NATS server with JetStream.
    #[arg(long, env = "BENCH_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// Directory holding the release binaries of the services.
    #[arg(long, default_value = "target/release")]
    pub binaries: PathBuf,
    /// Length of each measured run.
    #[arg(long, default_value = "5", value_parser = parse_secs)]
    pub duration: Duration,
    /// Run only these scenarios (write, read, pipeline, import, registrations, dashboard, registry;
    /// `read` needs the partners `write` creates). Default: all. `import` (the observatory's SIRENE
    /// import) includes the indicator queries; `registry` (its SIRENE import) the filtered listing.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Where bench.md and bench.json are written.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
    /// Which scenarios: `all` (the default: write, read, pipeline, memory) or `report` (issue 6:
    /// the observatory renders a year's report over thousands of activities; writes report.md).
    #[arg(long, default_value = "all", value_parser = ["all", "report"])]
    pub scenario: String,
}

fn parse_secs(raw: &str) -> Result<Duration, String> {
    raw.parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("expected a number of seconds, got {raw:?}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let machine = machine::describe(&args).await?;
    eprintln!("machine: {}", serde_json::to_string(&machine)?);
    let env = services::Environment::start(&args).await?;
    if args.scenario == "report" {
        let outcome = report::run(&args, &env).await;
        env.stop().await;
        return outcome;
    }
    let outcome = scenarios::run_all(&args, &env).await;
    env.stop().await;
    let results = outcome?;

    let markdown = scenarios::markdown(&machine, &results);
    println!("{markdown}");
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("bench.md"), &markdown)?;
    let json = serde_json::json!({ "machine": machine, "results": results });
    std::fs::write(args.out.join("bench.json"), serde_json::to_string_pretty(&json)?)?;
    eprintln!("written: {} and bench.json", args.out.join("bench.md").display());
    Ok(())
}
