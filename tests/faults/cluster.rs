//! Scale-out: a three-node NATS cluster with the stream replicated three times, two replicas of
//! each service sharing their databases and durable consumer; one NATS node and one observatory
//! replica are killed during load, and the projections still converge to the ground truth.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use async_nats::jetstream::stream;
use ess_e2e::workload::write_partners;
use platform::{
    config::NatsArgs,
    testing::{TestDatabase, free_port, init_test_logging, poll_until},
};

use crate::deployment::Deployment;

struct Node {
    port: u16,
    cluster_port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

/// Three `nats-server` processes routed to each other on loopback.
struct NatsCluster {
    nodes: Vec<Node>,
}

impl NatsCluster {
    async fn start() -> Self {
        let mut nodes: Vec<Node> = (0..3)
            .map(|_| Node {
                port: free_port(),
                cluster_port: free_port(),
                store: tempfile::tempdir().expect("store"),
                child: None,
            })
            .collect();
        let routes: Vec<String> = nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.cluster_port))
            .collect();
        let bin = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".into());
        for (i, node) in nodes.iter_mut().enumerate() {
            let child = Command::new(&bin)
                .args([
                    "-a",
                    "127.0.0.1",
                    "-p",
                    &node.port.to_string(),
                    "-js",
                    "-n",
                    &format!("ess-node-{i}"),
                ])
                .arg("-sd")
                .arg(node.store.path())
                .args([
                    "--cluster_name",
                    "ess-test",
                    "--cluster",
                    &format!("nats://127.0.0.1:{}", node.cluster_port),
                ])
                .args(["--routes", &routes.join(",")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {bin} (NATS_SERVER_BIN): {e}"));
            node.child = Some(child);
        }
        Self { nodes }
    }

    fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

#[tokio::test]
async fn two_replicas_per_service_on_a_three_node_cluster_survive_a_node_and_a_replica_dying() {
    init_test_logging();
    let mut cluster = NatsCluster::start().await;
    let id = uuid::Uuid::now_v7().simple().to_string();
    let nats = NatsArgs {
        url: cluster.urls(),
        stream: format!("ESS_T_{id}"),
        subject_prefix: format!("t{id}"),
        duplicate_window: Duration::from_secs(120),
        replicas: 3,
    };
    // The stream can only be created once the cluster has elected its meta leader.
    let first = format!("nats://127.0.0.1:{}", cluster.nodes[0].port);
    poll_until(
        Duration::from_secs(90),
        "the cluster to accept an R3 stream",
        || async {
            let client = async_nats::connect(first.as_str()).await.ok()?;
            let js = async_nats::jetstream::new(client);
            js.create_or_update_stream(stream::Config {
                name: nats.stream.clone(),
                subjects: vec![format!("{}.>", nats.subject_prefix)],
                storage: stream::StorageType::File,
                duplicate_window: nats.duplicate_window,
                num_replicas: 3,
                description: Some("Every event of the ESS platform".to_owned()),
                ..Default::default()
            })
            .await
            .ok()
            .map(|_| ())
        },
    )
    .await;

    let (reg, obs) = (
        TestDatabase::create("registry").await,
        TestDatabase::create("observatory").await,
    );
    let mut d = Deployment::start(&reg.url, &obs.url, &nats, 2).await;
    let writers = tokio::spawn({
        let urls = [d.registries[0].url(), d.registries[1].url()];
        async move {
            let (a, b) = tokio::join!(
                write_partners(&urls[0], 2, Duration::from_secs(8), 800, 5),
                write_partners(&urls[1], 2, Duration::from_secs(8), 800, 6)
            );
            let mut ledger = a;
            ledger.acked.extend(b.acked);
            ledger.unknown += b.unknown;
            ledger.refused += b.refused;
            for (k, v) in b.codes {
                *ledger.codes.entry(k).or_default() += v;
            }
            ledger
        }
    });
    d.wait_count(
        &d.observatory_db,
        "SELECT count(*) FROM partner_projection",
        100,
        "consumption under way",
    )
    .await;
    cluster.kill(2);
    d.observatories[0].kill().await;
    let before = d.registry_partners().await;
    d.wait_count(
        &d.registry_db,
        "SELECT count(*) FROM partners",
        before + 100,
        "writes after the failures",
    )
    .await;

    let ledger = writers.await.unwrap();
    d.check(&ledger).await;
}
