//! grpc.health.v1 and reflection.

use std::time::Duration;

use platform::testing::poll_until;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_registry_reports_serving_once_its_database_and_nats_answer() {
    let app = spawn_app().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    for service in ["", "ess.registry.v1.PartnerRegistry"] {
        poll_until(Duration::from_secs(5), "SERVING", || {
            let mut health = health.clone();
            async move {
                let r = health
                    .check(HealthCheckRequest {
                        service: service.into(),
                    })
                    .await
                    .ok()?;
                (r.into_inner().status == ServingStatus::Serving as i32).then_some(())
            }
        })
        .await;
    }
    let unknown = health
        .check(HealthCheckRequest { service: "nope".into() })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}
