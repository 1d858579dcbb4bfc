//! The three service binaries as separate processes on one test stream, each with its own fresh
//! database, and `essctl` run against them with the same settings an operator would export.

use std::{collections::HashMap, process::Output};

use ess_e2e::{
    binaries::{RunningService, binary},
    otlp::OtlpReceiver,
};
use platform::testing::{TestDatabase, TestStream, nats_url};

pub struct Cluster {
    pub registry: RunningService,
    pub activities: RunningService,
    pub observatory: RunningService,
    pub stream: TestStream,
    pub dbs: [TestDatabase; 3],
    otlp_endpoint: Option<String>,
}

fn env_for(db: &TestDatabase, stream: &TestStream, otlp: Option<&OtlpReceiver>) -> HashMap<&'static str, String> {
    let mut env = HashMap::from([
        ("DATABASE_URL", db.url.clone()),
        ("NATS_URL", stream.nats.url.clone()),
        ("ESS_STREAM", stream.nats.stream.clone()),
        ("ESS_SUBJECT_PREFIX", stream.nats.subject_prefix.clone()),
        ("RUST_LOG", "warn".into()),
    ]);
    if let Some(otlp) = otlp {
        env.insert("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint());
        // Export every 100 ms instead of 5 s, so the test does not wait.
        env.insert("OTEL_BSP_SCHEDULE_DELAY", "100".into());
    }
    env
}

impl Cluster {
    /// Starts registry, observatory and activities (which validates organisers with the registry).
    pub async fn start(otlp: Option<&OtlpReceiver>) -> Self {
        let stream = TestStream::new(&nats_url());
        let dbs = [
            TestDatabase::create("registry").await,
            TestDatabase::create("activities").await,
            TestDatabase::create("observatory").await,
        ];
        let registry = RunningService::start("registry", &env_for(&dbs[0], &stream, otlp)).await;
        let observatory = RunningService::start("observatory", &env_for(&dbs[2], &stream, otlp)).await;
        let mut env = env_for(&dbs[1], &stream, otlp);
        env.insert("REGISTRY_URL", registry.url());
        let activities = RunningService::start("activities", &env).await;
        Self {
            registry,
            activities,
            observatory,
            stream,
            dbs,
            otlp_endpoint: otlp.map(OtlpReceiver::endpoint),
        }
    }

    /// Runs `essctl ARGS` with the cluster's addresses and NATS settings in its environment only.
    pub async fn essctl(&self, args: &[&str]) -> Output {
        let mut command = tokio::process::Command::new(binary("essctl"));
        command
            .env_clear()
            .env(
                "ESS_TOKEN",
                platform::testing::token(platform::auth::Access::Admin).expose(),
            )
            .env("REGISTRY_URL", self.registry.url())
            .env("ACTIVITIES_URL", self.activities.url())
            .env("OBSERVATORY_URL", self.observatory.url())
            .env("NATS_URL", &self.stream.nats.url)
            .env("ESS_STREAM", &self.stream.nats.stream)
            .env("ESS_SUBJECT_PREFIX", &self.stream.nats.subject_prefix)
            .env("RUST_LOG", "warn")
            .args(args);
        if let Some(endpoint) = &self.otlp_endpoint {
            command
                .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
                .env("OTEL_BSP_SCHEDULE_DELAY", "100");
        }
        command.output().await.expect("run essctl")
    }

    /// `essctl ARGS` that must succeed; returns its stdout.
    pub async fn essctl_ok(&self, args: &[&str]) -> String {
        let out = self.essctl(args).await;
        assert!(
            out.status.success(),
            "essctl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// `essctl --output json ARGS`, parsed.
    pub async fn essctl_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let text = self.essctl_ok(&all).await;
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("essctl {args:?} printed no JSON ({e}): {text}"))
    }
}
