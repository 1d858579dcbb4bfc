//! Settings for services under test that do not use a `TestDatabase` of their own (a database
//! made by the deployment's script) or that log in to a secured NATS.

use platform::{
    config::{CommonArgs, LogFormat, NatsArgs, TelemetryArgs},
    grpc::AuthChannel,
    limits::LimitsArgs,
    nats_auth::NatsCredentials,
    secret::Secret,
};

pub fn common(database_url: String, nats: NatsArgs, nats_credentials: NatsCredentials) -> CommonArgs {
    CommonArgs {
        database_url: Secret::new(database_url),
        database_max_connections: 4,
        nats,
        nats_credentials,
        telemetry: TelemetryArgs {
            otlp_endpoint: None,
            service_name: None,
            log_filter: "warn".into(),
            log_format: LogFormat::Text,
        },
        limits: LimitsArgs::default(),
        auth: platform::testing::auth_args(),
    }
}

/// A connection to `url` whose calls carry an admin token (every call but health and reflection
/// needs one).
pub async fn admin_channel(url: impl Into<String>) -> AuthChannel {
    let channel = tonic::transport::Channel::from_shared(url.into())
        .unwrap()
        .connect()
        .await
        .unwrap();
    platform::testing::admin(channel)
}
