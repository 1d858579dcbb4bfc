//! The observatory binary: wiring only.

use clap::Parser as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = observatory::Config::parse();
    let telemetry = config.common.telemetry.clone();
    platform::host::main("observatory", &telemetry, |shutdown| async move {
        observatory::App::build(&config).await?.run(shutdown).await
    })
    .await
}
