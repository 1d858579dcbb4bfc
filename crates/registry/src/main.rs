//! The registry binary: wiring only.

use clap::Parser as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = registry::config::Settings::parse();
    let telemetry = settings.config.common.telemetry.clone();
    platform::host::main("registry", &telemetry, |shutdown| async move {
        registry::App::build_with(&settings.config, &settings.imports)
            .await?
            .run(shutdown)
            .await
    })
    .await
}
