//! The observatory binary: wiring only.

use clap::Parser as _;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = observatory::Config::parse();
    let telemetry = platform::telemetry::init(&config.common.telemetry, "observatory")?;
    let outcome = run(config).await;
    if let Err(e) = &outcome {
        tracing::error!(error = ?e, "observatory.stopped_with_error");
    }
    telemetry.shutdown().await;
    outcome
}

async fn run(config: observatory::Config) -> anyhow::Result<()> {
    let app = observatory::App::build(&config).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(platform::task::cancel_on_signal(shutdown.clone()));
    app.run(shutdown).await
}
