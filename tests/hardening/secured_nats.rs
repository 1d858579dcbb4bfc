//! A `nats-server` of the test's own, on a free port, with the deployment's users and permissions
//! (`deploy/nats-users.conf`, copied beside a small main file that sets the port and the store)
//! and a fresh password for each user, passed through the environment as in production.

use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    time::Duration,
};

use platform::{
    config::NatsArgs,
    nats_auth::NatsCredentials,
    testing::{free_port, poll_until},
};
use uuid::Uuid;

/// The users of deploy/nats-users.conf and the environment variable holding each password.
pub const USERS: [(&str, &str); 4] = [
    ("registry", "NATS_REGISTRY_PASSWORD"),
    ("activities", "NATS_ACTIVITIES_PASSWORD"),
    ("observatory", "NATS_OBSERVATORY_PASSWORD"),
    ("admin", "NATS_ADMIN_PASSWORD"),
];

pub struct SecuredNats {
    pub port: u16,
    passwords: HashMap<&'static str, String>,
    _dir: tempfile::TempDir,
    child: Child,
}

impl SecuredNats {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nats-users.conf");
        std::fs::copy(&deploy, dir.path().join("nats-users.conf")).expect("deploy/nats-users.conf");
        let port = free_port();
        let store = dir.path().join("jetstream");
        std::fs::write(
            dir.path().join("nats.conf"),
            format!(
                "listen: 127.0.0.1:{port}\njetstream {{\n    store_dir: \"{}\"\n}}\ninclude nats-users.conf\n",
                store.display()
            ),
        )
        .unwrap();
        let passwords: HashMap<&'static str, String> = USERS
            .iter()
            // A letter first: nats-server parses a `$VAR` value, and one starting with digits
            // may be read as a number (docs/operations.md).
            .map(|(user, _)| (*user, format!("p{}", Uuid::new_v4().simple())))
            .collect();
        let bin = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".into());
        let mut command = Command::new(&bin);
        command
            .arg("-c")
            .arg(dir.path().join("nats.conf"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (user, var) in USERS {
            command.env(var, &passwords[user]);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin} (NATS_SERVER_BIN): {e}"));
        let server = Self {
            port,
            passwords,
            _dir: dir,
            child,
        };
        let (url, admin) = (server.url(), server.credentials("admin"));
        poll_until(
            Duration::from_secs(10),
            "the secured nats-server to accept the admin",
            || {
                let (url, admin) = (url.clone(), admin.clone());
                async move {
                    admin
                        .apply(async_nats::ConnectOptions::new())
                        .connect(url.as_str())
                        .await
                        .ok()
                        .map(|_| ())
                }
            },
        )
        .await;
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn password(&self, user: &str) -> &str {
        &self.passwords[user]
    }

    pub fn credentials(&self, user: &str) -> NatsCredentials {
        NatsCredentials::new(user, self.password(user))
    }

    /// The deployment's stream and prefix (the permissions name them) on this server.
    pub fn nats_args(&self) -> NatsArgs {
        NatsArgs {
            url: self.url(),
            stream: "ESS".into(),
            subject_prefix: "ess".into(),
            duplicate_window: Duration::from_secs(120),
            replicas: 1,
        }
    }

    /// A client logged in as `user`, whose server errors (permission violations) arrive on the
    /// returned channel.
    pub async fn client(
        &self,
        user: &str,
    ) -> (
        async_nats::Client,
        tokio::sync::mpsc::UnboundedReceiver<async_nats::ServerError>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let client = self
            .credentials(user)
            .apply(async_nats::ConnectOptions::new().event_callback(move |event| {
                let tx = tx.clone();
                async move {
                    if let async_nats::Event::ServerError(e) = event {
                        let _ = tx.send(e);
                    }
                }
            }))
            .connect(self.url().as_str())
            .await
            .unwrap_or_else(|e| panic!("{user} logs in: {e}"));
        (client, rx)
    }
}

impl Drop for SecuredNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
