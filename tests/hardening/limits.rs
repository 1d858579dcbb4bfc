//! The servers' limits, in process against the real PostgreSQL and NATS: a message over the size
//! limit, a flood of slow requests on one connection, the server's deadline, and imports over
//! their size limit.

use std::time::Duration;

use ess_proto::{
    observatory::v1::{
        DatasetHeader, ImportDatasetRequest, ListDatasetsRequest, import_dataset_request,
        observatory_client::ObservatoryClient,
    },
    registry::v1::{
        CreatePartnerRequest, ImportSireneRequest, ImportSireneStart, ListPartnersRequest, SireneChunk, SireneFile,
        import_sirene_request::Part, partner_registry_client::PartnerRegistryClient,
        sirene_import_client::SireneImportClient,
    },
};
use platform::{
    grpc::AuthChannel,
    limits::LimitsArgs,
    testing::{TestDatabase, TestStream, admin, common_args, init_test_logging, nats_url},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::{Code, transport::Channel};

use crate::support::admin_channel;

const UNITS: &str = include_str!("../../crates/registry/tests/api/fixtures/StockUniteLegale_sample.csv");
const ESTABLISHMENTS: &str = include_str!("../../crates/registry/tests/api/fixtures/StockEtablissement_sample.csv");
const URSSAF: &[u8] = include_bytes!("../../crates/observatory/tests/api/fixtures/ess_departement_2023.csv");

/// A registry on a free port with these limits; stopped when dropped.
struct Registry {
    addr: std::net::SocketAddr,
    pool: PgPool,
    shutdown: CancellationToken,
    _db: TestDatabase,
    _stream: TestStream,
}

impl Registry {
    async fn start(limits: LimitsArgs, max_import_bytes: u64) -> Self {
        init_test_logging();
        let db = TestDatabase::create("registry").await;
        let stream = TestStream::new(&nats_url());
        let mut common = common_args(&db, &stream);
        common.limits = limits;
        let config = registry::Config {
            common,
            grpc_addr: "127.0.0.1:0".parse().unwrap(),
        };
        let imports = registry::config::ImportArgs { max_import_bytes };
        let app = registry::App::build_with(&config, &imports).await.unwrap();
        let addr = app.local_addr().unwrap();
        let pool = app.pool().clone();
        let shutdown = CancellationToken::new();
        tokio::spawn(app.run(shutdown.clone()));
        Self {
            addr,
            pool,
            shutdown,
            _db: db,
            _stream: stream,
        }
    }

    /// A new connection (each `connect` opens its own HTTP/2 connection), with an admin token on
    /// every call so that the calls pass authentication and reach the limit under test (clones
    /// share the connection).
    async fn connect(&self) -> AuthChannel {
        admin(
            Channel::from_shared(format!("http://{}", self.addr))
                .unwrap()
                .connect()
                .await
                .unwrap(),
        )
    }

    async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn partner(name: String) -> CreatePartnerRequest {
    CreatePartnerRequest {
        name,
        siret: "73282932000074".into(),
        commune_code: "14118".into(),
        postal_code: "14000".into(),
        ..Default::default()
    }
}

/// An ImportSirene call whose request stream never sends its first message: the server holds it
/// (and its slot on the connection) until its deadline.
async fn slow_import(channel: AuthChannel) -> Result<(), tonic::Status> {
    SireneImportClient::new(channel)
        .import_sirene(futures::stream::pending::<ImportSireneRequest>())
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused_with_resource_exhausted_and_nothing_is_written() {
    let limits = LimitsArgs {
        max_message_bytes: 64 * 1024,
        ..LimitsArgs::default()
    };
    let registry = Registry::start(limits, 1 << 30).await;
    let mut client = PartnerRegistryClient::new(registry.connect().await);

    let status = client
        .create_partner(partner("x".repeat(200 * 1024)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("too large"), "{status:?}");
    assert_eq!(registry.count("SELECT count(*) FROM partners").await, 0);

    // The connection and the service are fine: a normal request goes through.
    client
        .create_partner(partner("Coopérative d'essai".into()))
        .await
        .expect("a small request is served");
}

#[tokio::test]
async fn a_flood_of_slow_requests_on_one_connection_is_shed_and_another_connection_is_still_served() {
    let limits = LimitsArgs {
        max_concurrent_requests: 4,
        request_timeout: Duration::from_secs(60),
        ..LimitsArgs::default()
    };
    let registry = Registry::start(limits, 1 << 30).await;
    let flooded = registry.connect().await;

    // Fill the connection's slots with calls that do not finish. A probe may hold a slot when a
    // slow call arrives and get that one shed: start it again until the probe is the one refused.
    let mut slow: Vec<tokio::task::JoinHandle<Result<(), tonic::Status>>> = Vec::new();
    let mut client = PartnerRegistryClient::new(flooded.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let refused = loop {
        slow.retain(|call| !call.is_finished());
        while slow.len() < 4 {
            slow.push(tokio::spawn(slow_import(flooded.clone())));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Err(status) = client.list_partners(ListPartnersRequest::default()).await
            && status.code() == Code::ResourceExhausted
        {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no request was shed within 10 s"
        );
    };
    assert!(refused.message().contains("Too many active requests"), "{refused:?}");
    // Refused quickly: the shedding does not wait for a slot.
    let status = tokio::time::timeout(
        Duration::from_secs(5),
        client.list_partners(ListPartnersRequest::default()),
    )
    .await
    .expect("a shed request is answered, not left hanging")
    .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);

    // Another connection is not affected.
    let mut other = PartnerRegistryClient::new(registry.connect().await);
    tokio::time::timeout(
        Duration::from_secs(5),
        other.list_partners(ListPartnersRequest::default()),
    )
    .await
    .expect("another connection is served")
    .expect("and its request succeeds");

    for call in &slow {
        assert!(!call.is_finished(), "the slow calls still hold their slots");
    }
    for call in slow {
        call.abort();
    }
}

#[tokio::test]
async fn a_request_past_the_server_deadline_gets_deadline_exceeded_and_frees_its_slot() {
    let limits = LimitsArgs {
        max_concurrent_requests: 1,
        request_timeout: Duration::from_millis(500),
        ..LimitsArgs::default()
    };
    let registry = Registry::start(limits, 1 << 30).await;
    let channel = registry.connect().await;
    let status = slow_import(channel.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    // The slot is free again.
    PartnerRegistryClient::new(channel)
        .list_partners(ListPartnersRequest::default())
        .await
        .expect("the connection serves again after the deadline");
}

#[tokio::test]
async fn the_callers_shorter_grpc_timeout_is_honoured_and_frees_the_slot() {
    let limits = LimitsArgs {
        max_concurrent_requests: 1,
        request_timeout: Duration::from_secs(60),
        ..LimitsArgs::default()
    };
    let registry = Registry::start(limits, 1 << 30).await;
    let channel = registry.connect().await;
    let mut request = tonic::Request::new(futures::stream::pending::<ImportSireneRequest>());
    request.set_timeout(Duration::from_millis(300));
    let status = tokio::time::timeout(
        Duration::from_secs(10),
        SireneImportClient::new(channel.clone()).import_sirene(request),
    )
    .await
    .expect("the call ends with the caller's deadline, not the server's 60 s")
    .unwrap_err();
    assert!(
        matches!(status.code(), Code::Cancelled | Code::DeadlineExceeded),
        "{status:?}"
    );
    // The one slot of the connection is free again.
    PartnerRegistryClient::new(channel)
        .list_partners(ListPartnersRequest::default())
        .await
        .expect("the connection serves again");
}

#[tokio::test]
async fn a_sirene_upload_over_the_import_limit_is_refused_and_leaves_nothing_behind() {
    // The units file fits; the establishments file takes the upload past the limit.
    let limit = (UNITS.len() + ESTABLISHMENTS.len() / 2) as u64;
    let registry = Registry::start(LimitsArgs::default(), limit).await;
    let mut messages = vec![ImportSireneRequest {
        part: Some(Part::Start(ImportSireneStart { departements: vec![] })),
    }];
    for (file, data) in [
        (SireneFile::UnitesLegales, UNITS.as_bytes()),
        (SireneFile::Etablissements, ESTABLISHMENTS.as_bytes()),
    ] {
        messages.extend(data.chunks(100).map(|c| ImportSireneRequest {
            part: Some(Part::Chunk(SireneChunk {
                file: file as i32,
                data: c.to_vec(),
            })),
        }));
    }
    let mut client = SireneImportClient::new(registry.connect().await);
    let outcome = async {
        let mut stream = client.import_sirene(tokio_stream::iter(messages)).await?.into_inner();
        while stream.message().await?.is_some() {}
        Ok::<_, tonic::Status>(())
    }
    .await;
    let status = outcome.expect_err("the import is refused");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("REGISTRY_MAX_IMPORT_BYTES"), "{status:?}");
    assert_eq!(registry.count("SELECT count(*) FROM partners").await, 0);
    assert_eq!(registry.count("SELECT count(*) FROM outbox").await, 0);

    // Within the limit, the same files import.
    let registry = Registry::start(LimitsArgs::default(), (UNITS.len() + ESTABLISHMENTS.len()) as u64).await;
    let mut messages = vec![ImportSireneRequest {
        part: Some(Part::Start(ImportSireneStart { departements: vec![] })),
    }];
    for (file, data) in [
        (SireneFile::UnitesLegales, UNITS.as_bytes()),
        (SireneFile::Etablissements, ESTABLISHMENTS.as_bytes()),
    ] {
        messages.push(ImportSireneRequest {
            part: Some(Part::Chunk(SireneChunk {
                file: file as i32,
                data: data.to_vec(),
            })),
        });
    }
    let mut stream = SireneImportClient::new(registry.connect().await)
        .import_sirene(tokio_stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    while stream.message().await.unwrap().is_some() {}
    assert!(registry.count("SELECT count(*) FROM partners").await > 0);
}

#[tokio::test]
async fn a_dataset_upload_over_the_import_limit_is_refused_and_leaves_nothing_behind() {
    init_test_logging();
    let db = TestDatabase::create("observatory").await;
    let stream = TestStream::new(&nats_url());
    let config = observatory::Config {
        common: common_args(&db, &stream),
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
    };
    let imports = observatory::config::ImportArgs {
        max_import_bytes: (URSSAF.len() / 2) as u64,
    };
    let app = observatory::App::build_with(&config, &imports).await.unwrap();
    let (addr, pool) = (app.local_addr().unwrap(), app.pool().clone());
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run(shutdown.clone()));
    let _stop = shutdown.drop_guard();
    let mut client = ObservatoryClient::new(admin_channel(format!("http://{addr}")).await);

    // The size is not announced (0): the server counts what comes.
    let mut messages = vec![ImportDatasetRequest {
        part: Some(import_dataset_request::Part::Header(DatasetHeader {
            source: "urssaf-ess-departement".into(),
            edition: "2024".into(),
            size_bytes: 0,
        })),
    }];
    messages.extend(URSSAF.chunks(128).map(|c| ImportDatasetRequest {
        part: Some(import_dataset_request::Part::Chunk(c.to_vec())),
    }));
    let outcome = async {
        let mut stream = client.import_dataset(tokio_stream::iter(messages)).await?.into_inner();
        while stream.message().await?.is_some() {}
        Ok::<_, tonic::Status>(())
    }
    .await;
    let status = outcome.expect_err("the upload is refused");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let facts: i64 = sqlx::query_scalar("SELECT count(*) FROM facts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(facts, 0, "nothing half-imported");
    let datasets = client
        .list_datasets(ListDatasetsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(datasets.datasets.is_empty(), "{datasets:?}");
}
