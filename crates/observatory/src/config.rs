//! The observatory's settings: the shared ones plus its gRPC address ([`Config`]) and the import
//! limits ([`ImportArgs`]). Read once in `main` through [`Settings`].

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

/// Limits of dataset imports. Kept apart from [`Config`] so that code building a `Config` by hand
/// (the cross-service tests) keeps compiling; `App::build` uses the defaults.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// Largest dataset file accepted by ImportDataset, in bytes (a national SIRENE stock file is a
    /// few GB; URSSAF tables are a few MB).
    #[arg(long, env = "OBSERVATORY_MAX_IMPORT_BYTES", default_value_t = DEFAULT_MAX_IMPORT_BYTES)]
    pub max_import_bytes: u64,
}

/// 8 GiB.
pub const DEFAULT_MAX_IMPORT_BYTES: u64 = 8 * 1024 * 1024 * 1024;

impl Default for ImportArgs {
    fn default() -> Self {
        Self {
            max_import_bytes: DEFAULT_MAX_IMPORT_BYTES,
        }
    }
}

/// Everything `main` reads: the service's [`Config`] and the [`ImportArgs`].
#[derive(Debug, Clone, Parser)]
#[command(
    name = "observatory",
    version,
    about = "The regional ESS observatory of the ESS platform."
)]
pub struct Settings {
    #[command(flatten)]
    pub config: Config,
    #[command(flatten)]
    pub imports: ImportArgs,
}
