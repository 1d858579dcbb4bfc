//! NATS unreachable during writes: the registry keeps accepting partners, reports NOT_SERVING,
//! and once NATS is back every event arrives and each partner is counted once.

use std::time::Duration;

use platform::testing::{NatsServer, poll_until};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::helpers::{partner, spawn_platform};

const COMMUNES: [&str; 3] = ["14118", "50502", "61001"];

#[tokio::test]
async fn partners_created_while_nats_is_down_are_all_counted_once_it_is_back() {
    let mut nats = NatsServer::start().await;
    let p = spawn_platform(&nats.url()).await;
    p.registry.clone().create_partner(partner(100, "14118")).await.unwrap();
    poll_until(Duration::from_secs(5), "the first partner counted", || async {
        (p.observatory_total().await == 1).then_some(())
    })
    .await;

    nats.kill();
    for n in 0..9u32 {
        p.registry
            .clone()
            .create_partner(partner(n, COMMUNES[n as usize % 3]))
            .await
            .expect("creating a partner does not need NATS");
    }
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(&p.registry_pool)
        .await
        .unwrap();
    assert_eq!(waiting, 9, "the events wait in the registry's outbox");
    let health = HealthClient::new(
        tonic::transport::Channel::from_shared(format!("http://{}", p.registry_addr))
            .unwrap()
            .connect()
            .await
            .unwrap(),
    );
    poll_until(
        Duration::from_secs(10),
        "the registry to report NOT_SERVING without NATS",
        || {
            let mut health = health.clone();
            async move {
                let s = health
                    .check(HealthCheckRequest { service: String::new() })
                    .await
                    .ok()?
                    .into_inner()
                    .status;
                (s == ServingStatus::NotServing as i32).then_some(())
            }
        },
    )
    .await;

    nats.restart().await;
    poll_until(
        Duration::from_secs(45),
        "all ten partners counted after NATS came back",
        || async { (p.observatory_total().await == 10).then_some(()) },
    )
    .await;
    let processed: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&p.observatory_pool)
        .await
        .unwrap();
    let projected: i64 = sqlx::query_scalar("SELECT count(*) FROM partner_projection")
        .fetch_one(&p.observatory_pool)
        .await
        .unwrap();
    assert_eq!((processed, projected), (10, 10), "each partner applied exactly once");
}
