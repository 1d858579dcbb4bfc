//! The activities binary: wiring only.

use clap::Parser as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = activities::Config::parse();
    let telemetry = config.common.telemetry.clone();
    platform::host::main("activities", &telemetry, |shutdown| async move {
        activities::App::build(&config).await?.run(shutdown).await
    })
    .await
}
