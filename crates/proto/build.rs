//! Compiles every `.proto` under the workspace's `proto/` with protox (pure Rust, no `protoc`),
//! generates prost messages and tonic clients/servers, and writes one encoded descriptor set per
//! service (`<service>_descriptor.bin`, its API files and their imports) for server reflection.
//! New `.proto` files are picked up without editing this file.

use std::{
    env,
    path::{Path, PathBuf},
};

use prost::Message;

/// Services whose API lives under `proto/ess/<service>/` (`platform`: served by every service;
/// `events`: the event payloads, for decoders such as `essctl events tail`).
const SERVICES: &[&str] = &["registry", "activities", "observatory", "platform", "events"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    println!("cargo:rerun-if-changed={}", root.display());
    let out = PathBuf::from(env::var("OUT_DIR")?);

    for service in SERVICES {
        let files = protos_under(&root, &root.join("ess").join(service))?;
        let fds = protox::compile(&files, [&root])?;
        std::fs::write(out.join(format!("{service}_descriptor.bin")), fds.encode_to_vec())?;
    }

    let all = protos_under(&root, &root.join("ess"))?;
    let fds = protox::compile(&all, [&root])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}

/// Every `.proto` below `dir`, as paths relative to `root`, sorted.
fn protos_under(root: &Path, dir: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "proto") {
                found.push(path.strip_prefix(root)?.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    Ok(found)
}
