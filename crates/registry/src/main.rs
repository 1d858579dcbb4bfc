//! The registry binary: wiring only.

use clap::Parser as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = registry::Config::parse();
    let telemetry = config.common.telemetry.clone();
    platform::host::main("registry", &telemetry, |shutdown| async move {
        registry::App::build(&config).await?.run(shutdown).await
    })
    .await
}
