//! Running the real service binaries (`target/<profile>/registry`...) as child processes, for
//! tests that need separate processes: one trace across services, configuration errors at start.

use std::{collections::HashMap, path::PathBuf, process::Stdio, time::Duration};

use platform::testing::{binaries_dir, free_port, poll_until};
use tokio::process::{Child, Command};

/// Path of a workspace binary; panics with the command to run when it has not been built.
pub fn binary(name: &str) -> PathBuf {
    let path = binaries_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first (`cargo build --workspace --bins`, as the README's test command does)",
        path.display()
    );
    path
}

/// A service binary running on a free gRPC port; killed when dropped.
pub struct RunningService {
    pub grpc_addr: String,
    child: Child,
}

impl RunningService {
    /// Starts `name` with `env` (plus `GRPC_ADDR`), and waits until its port accepts connections.
    pub async fn start(name: &str, env: &HashMap<&str, String>) -> Self {
        let grpc_addr = format!("127.0.0.1:{}", free_port());
        let quiet = std::env::var_os("TEST_LOG").is_none();
        let child = Command::new(binary(name))
            .env_clear()
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("GRPC_ADDR", &grpc_addr)
            .stdout(if quiet { Stdio::null() } else { Stdio::inherit() })
            .stderr(if quiet { Stdio::null() } else { Stdio::inherit() })
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        let addr = grpc_addr.clone();
        poll_until(
            Duration::from_secs(30),
            &format!("{name} to listen on {grpc_addr}"),
            || {
                let addr = addr.clone();
                async move { tokio::net::TcpStream::connect(addr).await.ok().map(|_| ()) }
            },
        )
        .await;
        Self { grpc_addr, child }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// Sends SIGTERM and waits for a clean exit (the service flushes its spans on the way out).
    pub async fn stop(mut self) -> std::process::ExitStatus {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("the service stops within 15 s of SIGTERM")
            .expect("exit status")
    }
}
