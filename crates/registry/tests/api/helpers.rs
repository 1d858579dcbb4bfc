//! `spawn_app()`: the real registry on a free port, with a fresh database and a unique stream.

use std::time::Duration;

use ess_proto::registry::v1::{
    CreatePartnerRequest, Partner, initiatives_client::InitiativesClient, membership_client::MembershipClient,
    partner_registry_client::PartnerRegistryClient, ptces_client::PtcesClient,
    sirene_import_client::SireneImportClient,
};
use platform::testing::{TestDatabase, TestStream, common_args, init_test_logging, nats_url};
use platform::{grpc::AuthChannel, testing::admin};
use registry::{App, Config};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub pool: PgPool,
    pub client: PartnerRegistryClient<AuthChannel>,
    pub membership: MembershipClient<AuthChannel>,
    pub ptces: PtcesClient<AuthChannel>,
    pub initiatives: InitiativesClient<AuthChannel>,
    pub sirene: SireneImportClient<AuthChannel>,
    /// The raw channel, for clients with other tokens (`platform::testing::with_access`).
    pub channel: Channel,
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
        client: PartnerRegistryClient::new(admin(channel.clone())),
        membership: MembershipClient::new(admin(channel.clone())),
        ptces: PtcesClient::new(admin(channel.clone())),
        initiatives: InitiativesClient::new(admin(channel.clone())),
        sirene: SireneImportClient::new(admin(channel.clone())),
        channel,
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
        ..Default::default()
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
            "partner_contacts" => "SELECT count(*) FROM partner_contacts",
            "cress_memberships" => "SELECT count(*) FROM cress_memberships",
            "affiliations" => "SELECT count(*) FROM affiliations",
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

/// The fields named by an INVALID_ARGUMENT status, in order.
pub fn fields(status: &tonic::Status) -> Vec<String> {
    platform::grpc::field_violations(status)
        .into_iter()
        .map(|v| v.field)
        .collect()
}

/// A valid SIRET of the legal unit `siren9` (9 digits, Luhn-valid or not): NIC `nic4` + check digit.
pub fn siret_of(siren9: &str, nic4: &str) -> String {
    let body = format!("{siren9}{nic4}");
    (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|s| luhn(s))
        .expect("one check digit completes any body")
}

/// A Luhn-valid SIREN from 8 digits.
pub fn siren_from(body8: &str) -> String {
    (0..10)
        .map(|d| format!("{body8}{d}"))
        .find(|s| luhn(s))
        .expect("one check digit completes any body")
}

fn luhn(s: &str) -> bool {
    let sum: u32 = s
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl TestApp {
    pub async fn get_partner(&self, id: &str) -> Partner {
        self.client
            .clone()
            .get_partner(ess_proto::registry::v1::GetPartnerRequest { id: id.into() })
            .await
            .expect("the partner exists")
            .into_inner()
            .partner
            .expect("a partner")
    }

    /// Outbox rows of one event type.
    pub async fn outbox_count(&self, event_type: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE event_type = $1")
            .bind(event_type)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Every outbox payload, oldest first (to check that no personal data leaves).
    pub async fn outbox_payloads(&self) -> Vec<Vec<u8>> {
        sqlx::query_scalar("SELECT payload FROM outbox ORDER BY seq")
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }
}
