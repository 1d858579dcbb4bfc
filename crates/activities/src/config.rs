//! The activities service's settings: the shared ones, its gRPC address and the registry's.

use std::net::SocketAddr;

use clap::Parser;
use platform::{config::CommonArgs, secret::Secret};

/// Events and awareness activities of the ESS platform.
#[derive(Debug, Clone, Parser)]
#[command(name = "activities", version, about)]
pub struct Config {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Address the gRPC server listens on.
    #[arg(long, env = "GRPC_ADDR", default_value = "0.0.0.0:50052")]
    pub grpc_addr: SocketAddr,

    /// gRPC URL of the registry (organisers are validated there).
    #[arg(long, env = "REGISTRY_URL", default_value = "http://127.0.0.1:50051")]
    pub registry_url: String,

    /// This service's own bearer token for the registry (role `service`: it may only look
    /// partners up by id). Issue one with `essctl auth issue --role service --subject activities`.
    #[arg(long, env = "REGISTRY_TOKEN", hide_env_values = true)]
    pub registry_token: Secret,
}
