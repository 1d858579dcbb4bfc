//! The observatory's settings: the shared ones plus its gRPC address. Read once in `main`.

use std::net::SocketAddr;

use clap::Parser;
use platform::config::CommonArgs;

/// The regional ESS observatory of the ESS platform.
#[derive(Debug, Clone, Parser)]
#[command(name = "observatory", version, about)]
pub struct Config {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Address the gRPC server listens on.
    #[arg(long, env = "GRPC_ADDR", default_value = "0.0.0.0:50053")]
    pub grpc_addr: SocketAddr,
}
