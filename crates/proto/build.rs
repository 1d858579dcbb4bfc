//! Compiles every `.proto` under the workspace's `proto/` with protox (pure Rust, no `protoc`),
//! generates prost messages and tonic clients/servers, and writes the encoded descriptor set that
//! the services register for gRPC server reflection.

use std::{env, path::PathBuf};

use prost::Message;

const PROTOS: &[&str] = &[
    "ess/events/v1/events.proto",
    "ess/registry/v1/registry.proto",
    "ess/observatory/v1/observatory.proto",
];

/// Services and their API file, for the per-service reflection descriptor sets.
const SERVICES: &[(&str, &str)] = &[
    ("registry", "ess/registry/v1/registry.proto"),
    ("observatory", "ess/observatory/v1/observatory.proto"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    println!("cargo:rerun-if-changed={}", root.display());

    let out = PathBuf::from(env::var("OUT_DIR")?);
    // One descriptor set per service, so that reflection lists only what that service serves.
    for (service, proto) in SERVICES {
        let fds = protox::compile([proto], [&root])?;
        std::fs::write(out.join(format!("{service}_descriptor.bin")), fds.encode_to_vec())?;
    }

    let fds = protox::compile(PROTOS, [&root])?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
