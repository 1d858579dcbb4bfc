//! The activities binary: wiring only.

use clap::Parser as _;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = activities::Config::parse();
    let telemetry = platform::telemetry::init(&config.common.telemetry, "activities")?;
    let outcome = run(config).await;
    if let Err(e) = &outcome {
        tracing::error!(error = ?e, "activities.stopped_with_error");
    }
    telemetry.shutdown().await;
    outcome
}

async fn run(config: activities::Config) -> anyhow::Result<()> {
    let app = activities::App::build(&config).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(platform::task::cancel_on_signal(shutdown.clone()));
    app.run(shutdown).await
}
