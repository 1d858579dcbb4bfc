//! The observatory's settings: the shared ones plus its gRPC address ([`Config`]), the import
//! limits ([`ImportArgs`]), the dashboard and resource centre ([`WebArgs`]) and the indicator
//! cache ([`CubeArgs`]). Read once in `main`
//! through [`Settings`].

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

/// The public dashboard (HTTP) and the resource centre. Kept apart from [`Config`] for the same
/// reason as [`ImportArgs`]; `App::build` serves the dashboard on an ephemeral loopback port.
#[derive(Debug, Clone, clap::Args)]
pub struct WebArgs {
    /// Address the public dashboard (HTTP, server-rendered pages) listens on.
    #[arg(long, env = "HTTP_ADDR", default_value = "0.0.0.0:8080")]
    pub http_addr: SocketAddr,

    /// Largest file accepted by PublishResource (resource centre), in bytes. Larger uploads are
    /// refused with INVALID_ARGUMENT and nothing is stored.
    #[arg(long, env = "OBSERVATORY_MAX_RESOURCE_BYTES", default_value_t = DEFAULT_MAX_RESOURCE_BYTES)]
    pub max_resource_bytes: u64,
}

/// 10 MiB: studies and statistical notes are PDFs of a few MB; the file is kept in PostgreSQL.
pub const DEFAULT_MAX_RESOURCE_BYTES: u64 = 10 * 1024 * 1024;

impl WebArgs {
    /// What code building an `App` by hand gets: the dashboard on a free loopback port (so that
    /// tests running side by side never compete for 8080), the default upload limit.
    pub fn ephemeral() -> Self {
        Self {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            max_resource_bytes: DEFAULT_MAX_RESOURCE_BYTES,
        }
    }
}

/// The indicator cube's cache of computed tables (see `cube_cache`). Kept apart from [`Config`]
/// for the same reason as [`ImportArgs`]; `App::build` uses the default.
#[derive(Debug, Clone, clap::Args)]
pub struct CubeArgs {
    /// Cells (margins included, about 100 bytes each) of computed indicator tables kept in memory,
    /// per dataset import; 0 turns the cache off.
    #[arg(long, env = "OBSERVATORY_CUBE_CACHE_CELLS", default_value_t = DEFAULT_CUBE_CACHE_CELLS)]
    pub cube_cache_cells: usize,
}

/// Some 20 MB: thousands of département or EPCI tables, or two whole-territory commune × NA88 ones.
pub const DEFAULT_CUBE_CACHE_CELLS: usize = 200_000;

impl Default for CubeArgs {
    fn default() -> Self {
        Self {
            cube_cache_cells: DEFAULT_CUBE_CACHE_CELLS,
        }
    }
}

/// Everything `main` reads: the service's [`Config`], the [`ImportArgs`], the [`WebArgs`] and the
/// [`CubeArgs`].
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
    #[command(flatten)]
    pub web: WebArgs,
    #[command(flatten)]
    pub cube: CubeArgs,
}
