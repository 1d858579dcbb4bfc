//! The registry's settings: the shared ones plus its gRPC address ([`Config`]) and the import
//! limits ([`ImportArgs`]). Read once in `main` through [`Settings`].

use std::net::SocketAddr;

use clap::Parser;
use platform::config::CommonArgs;

/// The partner registry of the ESS platform.
#[derive(Debug, Clone, Parser)]
#[command(name = "registry", version, about)]
pub struct Config {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Address the gRPC server listens on.
    #[arg(long, env = "GRPC_ADDR", default_value = "0.0.0.0:50051")]
    pub grpc_addr: SocketAddr,
}

/// Limits of the SIRENE import. Kept apart from [`Config`] so that code building a `Config` by
/// hand (the tests) keeps compiling; `App::build` uses the defaults.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// Largest upload accepted by ImportSirene, in bytes, both files together (the national
    /// StockUniteLegale and StockEtablissement files are about 10 GB together).
    #[arg(long, env = "REGISTRY_MAX_IMPORT_BYTES", default_value_t = DEFAULT_MAX_IMPORT_BYTES)]
    pub max_import_bytes: u64,
}

/// 16 GiB.
pub const DEFAULT_MAX_IMPORT_BYTES: u64 = 16 * 1024 * 1024 * 1024;

impl Default for ImportArgs {
    fn default() -> Self {
        Self {
            max_import_bytes: DEFAULT_MAX_IMPORT_BYTES,
        }
    }
}

/// Everything `main` reads: the service's [`Config`] and the [`ImportArgs`].
#[derive(Debug, Clone, Parser)]
#[command(name = "registry", version, about = "The partner registry of the ESS platform.")]
pub struct Settings {
    #[command(flatten)]
    pub config: Config,
    #[command(flatten)]
    pub imports: ImportArgs,
}
