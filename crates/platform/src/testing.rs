//! Test support shared by the services' test suites: a fresh database per test, a unique stream
//! and subject prefix per test on the real NATS, throwaway `nats-server` processes for outage
//! tests, and polling with a deadline instead of sleeping. Everything is cleaned up on drop, even
//! when the test panics.
//!
//! Settings: `TEST_DATABASE_URL` (an admin connection, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), `TEST_NATS_URL` (default
//! `nats://127.0.0.1:4222`), `NATS_SERVER_BIN` (default `nats-server` on the PATH), `TEST_LOG=1`
//! to see the services' logs.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    future::Future,
    net::TcpListener as StdListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use sqlx::{Connection as _, PgConnection};
use uuid::Uuid;

use crate::{
    auth::{Access, KeyPairPem, TokenIssuer, generate_key_pair},
    config::{AuthArgs, CommonArgs, LogFormat, NatsArgs, TelemetryArgs},
    grpc::{AuthChannel, with_token},
    limits::LimitsArgs,
    secret::Secret,
};

/// Issuer and audience of the test tokens (the services under test expect them).
pub const TEST_ISSUER: &str = "ess-test";
pub const TEST_AUDIENCE: &str = "ess";

/// The key pair of this test process, made once: services under test verify with its public
/// half, [`token`] signs with its private half.
pub fn test_keys() -> &'static KeyPairPem {
    static KEYS: OnceLock<KeyPairPem> = OnceLock::new();
    KEYS.get_or_init(|| generate_key_pair().expect("an Ed25519 key pair"))
}

/// The issuer signing with [`test_keys`].
pub fn test_issuer() -> TokenIssuer {
    TokenIssuer::new(&test_keys().private_pem, TEST_ISSUER, TEST_AUDIENCE).expect("the test key signs")
}

/// Auth settings verifying [`token`]'s tokens.
pub fn auth_args() -> AuthArgs {
    AuthArgs {
        public_key_file: None,
        public_key: Some(test_keys().public_pem.clone()),
        issuer: TEST_ISSUER.into(),
        audience: TEST_AUDIENCE.into(),
    }
}

/// A token valid for an hour, for `access` (subject `test-<role>`).
pub fn token(access: Access) -> Secret {
    test_issuer()
        .issue(&format!("test-{}", access.role()), access, Duration::from_secs(3600))
        .expect("signing a test token")
}

/// The auth a server under test enforces: [`token`]'s tokens against `table` (and the
/// platform's own table), without an audit database.
pub fn test_auth(table: &'static [crate::access::MethodAccess]) -> crate::access::Auth {
    let verifier = crate::auth::TokenVerifier::from_args(&auth_args()).expect("the test key verifies");
    crate::access::Auth::new(
        verifier,
        crate::access::AccessTable::new([crate::access::PLATFORM_ACCESS, table]),
        None,
    )
}

/// `channel` with an admin token on every call: what the existing tests use.
pub fn admin(channel: tonic::transport::Channel) -> AuthChannel {
    with_token(channel, &token(Access::Admin))
}

/// `channel` with a token for `access` on every call.
pub fn with_access(access: Access, channel: tonic::transport::Channel) -> AuthChannel {
    with_token(channel, &token(access))
}

/// The admin URL used to create and drop test databases.
pub fn admin_database_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The shared NATS server tests use (each with its own stream and prefix).
pub fn nats_url() -> String {
    std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// Installs a log subscriber when `TEST_LOG` is set; tests are silent otherwise.
pub fn init_test_logging() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(
                    std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
                ))
                .with_test_writer()
                .try_init();
        }
    });
}

/// A database created for one test (`<service>_t_<uuid>`), dropped when this value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create(service: &str) -> Self {
        let admin = admin_database_url();
        let name = format!("{service}_t_{}", Uuid::now_v7().simple());
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at TEST_DATABASE_URL={admin}: {e}"));
        // The name is ours (service name + uuid), never user input.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin.clone());
        eprintln!("test database: {name}");
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        run_cleanup(async move {
            let mut conn = PgConnection::connect(&admin_database_url()).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await?;
            anyhow::Ok(())
        });
    }
}

/// A unique stream (`ESS_T_<uuid>`) and subject prefix (`t<uuid>`) on a NATS server, deleted on
/// drop.
pub struct TestStream {
    pub nats: NatsArgs,
}

impl TestStream {
    pub fn new(url: &str) -> Self {
        let id = Uuid::now_v7().simple().to_string();
        Self {
            nats: NatsArgs {
                url: url.to_owned(),
                stream: format!("ESS_T_{id}"),
                subject_prefix: format!("t{id}"),
                duplicate_window: Duration::from_secs(120),
                replicas: 1,
            },
        }
    }

    /// Full subject under this test's prefix.
    pub fn subject(&self, suffix: &str) -> String {
        format!("{}.{}", self.nats.subject_prefix, suffix)
    }

    /// A JetStream context on this stream's server.
    pub async fn jetstream(&self) -> async_nats::jetstream::Context {
        let client = async_nats::connect(self.nats.url.as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot reach NATS at {} (TEST_NATS_URL): {e}", self.nats.url));
        async_nats::jetstream::new(client)
    }
}

impl Drop for TestStream {
    fn drop(&mut self) {
        let (url, stream) = (self.nats.url.clone(), self.nats.stream.clone());
        run_cleanup(async move {
            let client = async_nats::ConnectOptions::new()
                .connection_timeout(Duration::from_secs(2))
                .connect(url.as_str())
                .await?;
            let _ = async_nats::jetstream::new(client).delete_stream(&stream).await;
            anyhow::Ok(())
        });
    }
}

/// Settings for a service under test: its database, this test's stream, quiet telemetry.
pub fn common_args(database: &TestDatabase, stream: &TestStream) -> CommonArgs {
    CommonArgs {
        database_url: Secret::new(database.url.clone()),
        database_max_connections: 8,
        nats: stream.nats.clone(),
        nats_credentials: crate::nats_auth::NatsCredentials::default(),
        telemetry: TelemetryArgs {
            otlp_endpoint: None,
            service_name: None,
            log_filter: "warn".into(),
            log_format: LogFormat::Text,
        },
        auth: auth_args(),
        limits: LimitsArgs::default(),
    }
}

/// A `nats-server` of the test's own, with JetStream, on a free port and a temporary store, so
/// that a test can stop and restart the broker.
pub struct NatsServer {
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

impl NatsServer {
    pub async fn start() -> Self {
        let mut server = Self {
            port: free_port(),
            store: tempfile::tempdir().expect("temporary directory for the NATS store"),
            child: None,
        };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: no goodbye to clients) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts (again) on the same port and store, and waits until it accepts connections.
    pub async fn restart(&mut self) {
        self.kill();
        let bin = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".into());
        let child = Command::new(&bin)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin} (NATS_SERVER_BIN): {e}"));
        self.child = Some(child);
        let url = self.url();
        poll_until(
            Duration::from_secs(10),
            "the test nats-server to accept connections",
            || {
                let url = url.clone();
                async move { async_nats::connect(url.as_str()).await.ok().map(|_| ()) }
            },
        )
        .await;
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP port free at the time of the call.
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// Calls `check` until it returns `Some`, or panics after `deadline` saying what was awaited.
pub async fn poll_until<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if start.elapsed() > deadline {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The directory holding the workspace's built binaries (`target/debug`), found from the test
/// executable's own path (`target/debug/deps/<test>`).
pub fn binaries_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test executable");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|p| p.to_path_buf())
        .expect("the test executable lives in target/<profile>/deps")
}

/// Runs a cleanup future to completion on a thread of its own (drop may run outside a runtime,
/// or inside one that is unwinding). Failures are printed, never panicked on.
fn run_cleanup<F>(fut: F)
where
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(fut)
    });
    match handle.join() {
        Ok(Err(e)) => eprintln!("test cleanup failed: {e:#}"),
        Err(_) => eprintln!("test cleanup panicked"),
        Ok(Ok(())) => {}
    }
}
