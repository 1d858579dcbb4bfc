//! The observatory binary: wiring only.

use clap::Parser as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = observatory::config::Settings::parse();
    let telemetry = settings.config.common.telemetry.clone();
    platform::host::main("observatory", &telemetry, |shutdown| async move {
        observatory::App::from_settings(&settings).await?.run(shutdown).await
    })
    .await
}
