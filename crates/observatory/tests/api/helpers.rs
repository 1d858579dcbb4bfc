//! `spawn_app()`: the real observatory on a free port with a fresh database and a unique stream,
//! plus a publisher that plays the registry.

use async_nats::{HeaderMap, jetstream::message::PublishMessage};
use ess_proto::{
    events::v1::{EventMeta, PartnerRegistered},
    observatory::v1::{
        CountPartnersByDepartementRequest, CountPartnersByDepartementResponse, DatasetHeader, ImportDatasetRequest,
        ImportDatasetResponse, ImportReport, import_dataset_request::Part, import_dataset_response::Event,
        observatory_client::ObservatoryClient,
    },
};
use observatory::{App, Config};
use platform::{
    bus::headers,
    testing::{TestDatabase, TestStream, common_args, init_test_logging, nats_url},
};
use platform::{grpc::AuthChannel, testing::admin};
use prost::Message as _;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use uuid::Uuid;

pub struct TestApp {
    /// The gRPC address, for the clients of the other services (ActionPlan, Reports).
    pub addr: std::net::SocketAddr,
    pub pool: PgPool,
    /// The public dashboard (HTTP).
    pub http_addr: std::net::SocketAddr,
    pub client: ObservatoryClient<AuthChannel>,
    /// The raw channel, for clients with other tokens.
    pub channel: Channel,
    pub stream: TestStream,
    pub jetstream: async_nats::jetstream::Context,
    shutdown: CancellationToken,
    _db: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    init_test_logging();
    let db = TestDatabase::create("observatory").await;
    let stream = TestStream::new(&nats_url());
    let config = Config {
        common: common_args(&db, &stream),
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
    };
    let app = App::build(&config).await.expect("the observatory builds");
    let addr = app.local_addr().unwrap();
    let http_addr = app.http_addr().unwrap();
    let pool = app.pool().clone();
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run(shutdown.clone()));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect");
    let jetstream = stream.jetstream().await;
    TestApp {
        addr,
        pool,
        http_addr,
        client: ObservatoryClient::new(admin(channel.clone())),
        channel,
        stream,
        jetstream,
        shutdown,
        _db: db,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A `PartnerRegistered` as the registry would publish it.
pub struct Registered {
    pub event_id: Uuid,
    pub partner_id: Uuid,
    pub departement: &'static str,
    pub version: i64,
}

impl Registered {
    pub fn new(departement: &'static str) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            partner_id: Uuid::now_v7(),
            departement,
            version: 1,
        }
    }

    pub fn payload(&self) -> Vec<u8> {
        PartnerRegistered {
            meta: Some(EventMeta {
                event_id: self.event_id.to_string(),
                occurred_at: None,
                aggregate_id: self.partner_id.to_string(),
                aggregate_version: self.version,
            }),
            partner_id: self.partner_id.to_string(),
            name: "Une coopérative".into(),
            commune_code: String::new(),
            departement_code: self.departement.into(),
            facts: None,
        }
        .encode_to_vec()
    }
}

impl TestApp {
    /// Uploads `file` as `(source, edition)` in chunks of `chunk` bytes; returns every message the
    /// server streamed back, or the status that ended the stream.
    pub async fn import_chunked(
        &self,
        source: &str,
        edition: &str,
        file: &[u8],
        chunk: usize,
    ) -> Result<Vec<ImportDatasetResponse>, tonic::Status> {
        let mut messages = vec![ImportDatasetRequest {
            part: Some(Part::Header(DatasetHeader {
                source: source.into(),
                edition: edition.into(),
                size_bytes: file.len() as i64,
            })),
        }];
        for piece in file.chunks(chunk.max(1)) {
            messages.push(ImportDatasetRequest {
                part: Some(Part::Chunk(piece.to_vec())),
            });
        }
        let mut stream = self
            .client
            .clone()
            .import_dataset(futures::stream::iter(messages))
            .await?
            .into_inner();
        let mut out = Vec::new();
        while let Some(m) = stream.message().await? {
            out.push(m);
        }
        Ok(out)
    }

    /// [`TestApp::import_chunked`] with 64-byte chunks (so that rows straddle chunks).
    pub async fn import(
        &self,
        source: &str,
        edition: &str,
        file: &[u8],
    ) -> Result<Vec<ImportDatasetResponse>, tonic::Status> {
        self.import_chunked(source, edition, file, 64).await
    }

    /// The final report of a successful import.
    pub async fn import_ok(&self, source: &str, edition: &str, file: &[u8]) -> ImportReport {
        let messages = self.import(source, edition, file).await.expect("the import succeeds");
        match messages.last().and_then(|m| m.event.clone()) {
            Some(Event::Report(r)) => r,
            other => panic!("the last message is not a report: {other:?}"),
        }
    }

    pub async fn facts(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM facts")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Publishes on `registry.partner.registered` with the given message id.
    pub async fn publish(&self, event_id: Uuid, msg_id: &str, event_type: &str, payload: Vec<u8>) {
        self.publish_to("registry.partner.registered", event_id, msg_id, event_type, payload)
            .await;
    }

    /// Publishes on `subject` (under the test's prefix) with the given message id.
    pub async fn publish_to(&self, subject: &str, event_id: Uuid, msg_id: &str, event_type: &str, payload: Vec<u8>) {
        let mut h = HeaderMap::new();
        h.insert(headers::EVENT_ID, event_id.to_string().as_str());
        h.insert(headers::EVENT_TYPE, event_type);
        let ack = self
            .jetstream
            .send_publish(
                self.stream.subject(subject),
                PublishMessage::build()
                    .payload(payload.into())
                    .headers(h)
                    .message_id(msg_id),
            )
            .await
            .unwrap();
        ack.await.unwrap();
    }

    pub async fn publish_registered(&self, e: &Registered) {
        self.publish(
            e.event_id,
            &e.event_id.to_string(),
            "ess.events.v1.PartnerRegistered",
            e.payload(),
        )
        .await;
    }

    pub async fn counts(&self) -> CountPartnersByDepartementResponse {
        self.client
            .clone()
            .count_partners_by_departement(CountPartnersByDepartementRequest {})
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn processed(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM processed_events")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}
