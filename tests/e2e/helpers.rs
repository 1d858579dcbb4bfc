//! The registry and the observatory in process, sharing one test stream, each with its own
//! fresh database.

use std::time::Duration;

use ess_proto::{
    activities::v1::activities_client::ActivitiesClient,
    observatory::v1::{CountPartnersByDepartementRequest, observatory_client::ObservatoryClient},
    registry::v1::{CreatePartnerRequest, partner_registry_client::PartnerRegistryClient},
};
use platform::testing::{TestDatabase, TestStream, common_args, init_test_logging};
use platform::{
    auth::Access,
    grpc::AuthChannel,
    testing::{admin, token},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct Platform {
    pub registry: PartnerRegistryClient<AuthChannel>,
    pub observatory: ObservatoryClient<AuthChannel>,
    pub registry_addr: std::net::SocketAddr,
    pub observatory_addr: std::net::SocketAddr,
    pub activities_addr: std::net::SocketAddr,
    pub registry_pool: PgPool,
    pub observatory_pool: PgPool,
    pub activities: ActivitiesClient<AuthChannel>,
    _stream: TestStream,
    shutdown: CancellationToken,
    _dbs: [TestDatabase; 3],
}

/// Starts the registry and the observatory on `nats_url` with a unique stream.
pub async fn spawn_platform(nats_url: &str) -> Platform {
    init_test_logging();
    let stream = TestStream::new(nats_url);
    let (reg_db, obs_db, act_db) = (
        TestDatabase::create("registry").await,
        TestDatabase::create("observatory").await,
        TestDatabase::create("activities").await,
    );
    let shutdown = CancellationToken::new();
    let any_port = "127.0.0.1:0".parse().unwrap();

    let reg = registry::App::build(&registry::Config {
        common: common_args(&reg_db, &stream),
        grpc_addr: any_port,
    })
    .await
    .unwrap();
    let registry_addr = reg.local_addr().unwrap();
    let registry_pool = reg.pool().clone();
    tokio::spawn(reg.run(shutdown.clone()));

    let obs = observatory::App::build(&observatory::Config {
        common: common_args(&obs_db, &stream),
        grpc_addr: any_port,
    })
    .await
    .unwrap();
    let obs_addr = obs.local_addr().unwrap();
    let observatory_pool = obs.pool().clone();
    tokio::spawn(obs.run(shutdown.clone()));

    let act = activities::App::build(&activities::Config {
        common: common_args(&act_db, &stream),
        grpc_addr: any_port,
        registry_url: format!("http://{registry_addr}"),
        registry_token: token(Access::Service),
    })
    .await
    .unwrap();
    let activities_addr = act.local_addr().unwrap();
    tokio::spawn(act.run(shutdown.clone()));

    Platform {
        registry: PartnerRegistryClient::new(admin(connect(registry_addr).await)),
        observatory: ObservatoryClient::new(admin(connect(obs_addr).await)),
        registry_addr,
        observatory_addr: obs_addr,
        activities_addr,
        registry_pool,
        observatory_pool,
        activities: ActivitiesClient::new(admin(connect(activities_addr).await)),
        _stream: stream,
        shutdown,
        _dbs: [reg_db, obs_db, act_db],
    }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap()
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Platform {
    pub async fn observatory_total(&self) -> i64 {
        self.observatory
            .clone()
            .count_partners_by_departement(CountPartnersByDepartementRequest {})
            .await
            .map(|r| r.into_inner().total)
            .unwrap_or(-1)
    }
}

/// A valid partner; `n` makes the SIRET unique (Luhn digit computed).
pub fn partner(n: u32, commune: &str) -> CreatePartnerRequest {
    CreatePartnerRequest {
        name: format!("Coopérative d'essai n°{n}"),
        siret: luhn_siret(&format!("9{:012}", n)),
        commune_code: commune.into(),
        postal_code: String::new(),
        ..Default::default()
    }
}

/// Appends the Luhn check digit to 13 digits.
pub fn luhn_siret(body: &str) -> String {
    (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|s| {
            let sum: u32 = s
                .bytes()
                .rev()
                .enumerate()
                .map(|(i, b)| {
                    let d = u32::from(b - b'0');
                    if i % 2 == 1 {
                        if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                    } else {
                        d
                    }
                })
                .sum();
            sum.is_multiple_of(10)
        })
        .expect("one digit completes any body")
}
