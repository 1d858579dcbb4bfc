//! Running the real service binaries (`target/<profile>/registry`...) as child processes, for
//! tests that need separate processes: one trace across services, configuration errors at start,
//! and crashes (kill -9) and restarts in the fault-injection suite.

use std::{collections::HashMap, path::PathBuf, process::Stdio, time::Duration};

use platform::{
    auth::Access,
    testing::{TEST_AUDIENCE, TEST_ISSUER, binaries_dir, free_port, poll_until, test_keys, token},
};
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

/// The auth settings every spawned service gets unless the test sets its own: the test key pair's
/// public half, its issuer and audience, and (for activities) a `service` token for the registry.
pub fn auth_env() -> Vec<(&'static str, String)> {
    vec![
        ("ESS_AUTH_PUBLIC_KEY", test_keys().public_pem.clone()),
        ("ESS_AUTH_ISSUER", TEST_ISSUER.to_owned()),
        ("ESS_AUTH_AUDIENCE", TEST_AUDIENCE.to_owned()),
        ("REGISTRY_TOKEN", token(Access::Service).expose().to_owned()),
    ]
}

/// A service binary running on a free gRPC port; killed when dropped.
pub struct RunningService {
    pub name: String,
    pub grpc_addr: String,
    /// `HTTP_ADDR` (the observatory's dashboard; others ignore it): a free port, never the
    /// default 8080, so that services of parallel tests do not compete for it.
    pub http_addr: String,
    env: HashMap<String, String>,
    child: Option<Child>,
}

impl RunningService {
    /// Starts `name` with `env` (plus `GRPC_ADDR`), and waits until its port accepts connections.
    pub async fn start(name: &str, env: &HashMap<&str, String>) -> Self {
        let mut service = Self {
            name: name.to_owned(),
            grpc_addr: format!("127.0.0.1:{}", free_port()),
            http_addr: format!("127.0.0.1:{}", free_port()),
            env: env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
            child: None,
        };
        service.restart().await;
        service
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// kill -9: no shutdown, no flush, no ack of the message in hand.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Starts the service again (same settings and port) and waits until it listens.
    pub async fn restart(&mut self) {
        self.kill().await;
        let quiet = std::env::var_os("TEST_LOG").is_none();
        let child = Command::new(binary(&self.name))
            .env_clear()
            .envs(auth_env())
            .envs(&self.env)
            .env("GRPC_ADDR", &self.grpc_addr)
            .env("HTTP_ADDR", &self.http_addr)
            .stdout(if quiet { Stdio::null() } else { Stdio::inherit() })
            .stderr(if quiet { Stdio::null() } else { Stdio::inherit() })
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.name));
        self.child = Some(child);
        let addr = self.grpc_addr.clone();
        poll_until(
            Duration::from_secs(30),
            &format!("{} to listen on {addr}", self.name),
            || {
                let addr = addr.clone();
                async move { tokio::net::TcpStream::connect(addr).await.ok().map(|_| ()) }
            },
        )
        .await;
    }

    /// Sends SIGTERM and waits for a clean exit (the service flushes its spans on the way out).
    pub async fn stop(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("the service is running");
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        tokio::time::timeout(Duration::from_secs(15), child.wait())
            .await
            .expect("the service stops within 15 s of SIGTERM")
            .expect("exit status")
    }
}
