//! `spawn_app()`: the real registry on a free port, with a fresh database and a unique stream.

use std::time::Duration;

use ess_proto::registry::v1::{CreatePartnerRequest, Partner, partner_registry_client::PartnerRegistryClient};
use platform::testing::{TestDatabase, TestStream, common_args, init_test_logging, nats_url};
use registry::{App, Config};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub pool: PgPool,
    pub client: PartnerRegistryClient<Channel>,
    pub stream: TestStream,
    shutdown: CancellationToken,
    _db: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    init_test_logging();
    let db = TestDatabase::create("registry").await;
    let stream = TestStream::new(&nats_url());
    let config = Config {
        common: common_args(&db, &stream),
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
    };
    let app = App::build(&config).await.expect("the registry builds");
    let addr = app.local_addr().unwrap();
    let pool = app.pool().clone();
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run(shutdown.clone()));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect");
    TestApp {
        addr,
        pool,
        client: PartnerRegistryClient::new(channel),
        stream,
        shutdown,
        _db: db,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A valid request: a Caen association with a Luhn-valid SIRET.
pub fn valid_request() -> CreatePartnerRequest {
    CreatePartnerRequest {
        name: "Association des Amis du Théâtre".into(),
        siret: "73282932000074".into(),
        commune_code: "14118".into(),
        postal_code: "14000".into(),
    }
}

impl TestApp {
    pub async fn create_partner(&self, req: CreatePartnerRequest) -> Result<Partner, tonic::Status> {
        let resp = self.client.clone().create_partner(req).await?;
        Ok(resp.into_inner().partner.expect("a created partner is returned"))
    }

    pub async fn count(&self, table: &'static str) -> i64 {
        let sql = match table {
            "partners" => "SELECT count(*) FROM partners",
            "outbox" => "SELECT count(*) FROM outbox",
            other => panic!("unknown table {other}"),
        };
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Messages in this test's stream (all subjects).
    pub async fn stream_messages(&self) -> u64 {
        let js = self.stream.jetstream().await;
        let mut s = js.get_stream(&self.stream.nats.stream).await.unwrap();
        s.info().await.unwrap().state.messages
    }

    /// Waits until the outbox is empty of unpublished rows.
    pub async fn wait_published(&self) {
        platform::testing::poll_until(Duration::from_secs(10), "the relay to publish the outbox", || async {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                .fetch_one(&self.pool)
                .await
                .unwrap();
            (n == 0).then_some(())
        })
        .await;
    }

    /// The message ids stored under `suffix`.
    pub async fn last_message(&self, suffix: &str) -> async_nats::jetstream::message::StreamMessage {
        let js = self.stream.jetstream().await;
        let s = js.get_stream(&self.stream.nats.stream).await.unwrap();
        s.get_last_raw_message_by_subject(&self.stream.subject(suffix))
            .await
            .expect("a message on the subject")
    }
}
