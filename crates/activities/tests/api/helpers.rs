//! `spawn_app()`: the real activities service and the real registry on free ports, each with a
//! fresh database, sharing one unique stream (so activities consumes the registry's events).

use std::time::Duration;

use async_nats::HeaderMap;
use chrono::{DateTime, SubsecRound as _, Utc};
use ess_proto::{
    activities::v1::{
        self as pb, Activity, ActivityFields, ActivityKind, CreateActivityRequest, NewSession, Public, RegisterRequest,
        Registration, Venue, activities_client::ActivitiesClient,
    },
    registry::v1::{CreatePartnerRequest, partner_registry_client::PartnerRegistryClient},
};
use platform::{
    auth::Access,
    grpc::AuthChannel,
    testing::{admin, token},
};
use platform::{
    bus::headers,
    testing::{TestDatabase, TestStream, common_args, free_port, init_test_logging, nats_url, poll_until},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct TestApp {
    pub client: ActivitiesClient<AuthChannel>,
    /// The raw channel to activities, for clients with other tokens.
    pub channel: Channel,
    /// Where activities and the registry listen (for essctl).
    pub activities_url: String,
    pub registry_url: String,
    pub registry: PartnerRegistryClient<AuthChannel>,
    pub pool: PgPool,
    pub stream: TestStream,
    shutdown: CancellationToken,
    _dbs: Vec<TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect")
}

/// Activities and the registry, both running.
pub async fn spawn_app() -> TestApp {
    spawn(true).await
}

/// Activities alone, its REGISTRY_URL pointing at a port nobody listens on.
pub async fn spawn_app_without_registry() -> TestApp {
    spawn(false).await
}

async fn spawn(with_registry: bool) -> TestApp {
    init_test_logging();
    let stream = TestStream::new(&nats_url());
    let shutdown = CancellationToken::new();
    let mut dbs = Vec::new();
    let registry_url = if with_registry {
        let db = TestDatabase::create("registry").await;
        let reg = registry::App::build(&registry::Config {
            common: common_args(&db, &stream),
            grpc_addr: "127.0.0.1:0".parse().unwrap(),
        })
        .await
        .expect("the registry builds");
        let addr = reg.local_addr().unwrap();
        tokio::spawn(reg.run(shutdown.clone()));
        dbs.push(db);
        format!("http://{addr}")
    } else {
        format!("http://127.0.0.1:{}", free_port())
    };
    let db = TestDatabase::create("activities").await;
    let app = activities::App::build(&activities::Config {
        common: common_args(&db, &stream),
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
        registry_url: registry_url.clone(),
        registry_token: token(Access::Service),
    })
    .await
    .expect("activities builds");
    let addr = app.local_addr().unwrap();
    let pool = app.pool().clone();
    tokio::spawn(app.run(shutdown.clone()));
    dbs.push(db);
    let registry = PartnerRegistryClient::new(admin(
        Channel::from_shared(registry_url.clone())
            .unwrap()
            .connect_timeout(Duration::from_secs(1))
            .connect_lazy(),
    ));
    let channel = connect(addr).await;
    TestApp {
        client: ActivitiesClient::new(admin(channel.clone())),
        channel,
        activities_url: format!("http://{addr}"),
        registry_url: registry_url.clone(),
        registry,
        pool,
        stream,
        shutdown,
        _dbs: dbs,
    }
}

/// A Luhn-valid SIRET made from `n` (13 digits then the check digit).
pub fn siret(n: u64) -> String {
    let body = format!("{:013}", 7_000_000_000_000 + n);
    for check in 0..10 {
        let candidate = format!("{body}{check}");
        let sum: u32 = candidate
            .chars()
            .rev()
            .enumerate()
            .map(|(i, c)| {
                let d = c.to_digit(10).unwrap();
                if i % 2 == 1 {
                    let dd = d * 2;
                    if dd > 9 { dd - 9 } else { dd }
                } else {
                    d
                }
            })
            .sum();
        if sum.is_multiple_of(10) {
            return candidate;
        }
    }
    unreachable!("one check digit always works")
}

/// A time `days` from now at a whole second.
pub fn in_days(days: i64, hours: i64) -> DateTime<Utc> {
    (Utc::now() + chrono::Duration::days(days) + chrono::Duration::hours(hours)).trunc_subsecs(0)
}

pub fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

pub fn session(start: DateTime<Utc>, hours: i64, capacity: i32) -> NewSession {
    NewSession {
        start: Some(ts(start)),
        end: Some(ts(start + chrono::Duration::hours(hours))),
        capacity,
    }
}

/// A valid activity in Caen, next week, one session of 20 seats.
pub fn valid_activity(organiser: &str) -> CreateActivityRequest {
    CreateActivityRequest {
        activity: Some(ActivityFields {
            title: "Forum de l'ESS à Caen".into(),
            description: "Rencontres avec les entreprises de l'ESS.".into(),
            kind: ActivityKind::Evenement as i32,
            axes: vec![2, 3],
            publics: vec![Public::Etudiants as i32, Public::DemandeursEmploi as i32],
            campaign: "Mois de l'ESS 2026".into(),
            venue: Some(Venue {
                online: false,
                commune_code: "14118".into(),
                address: "Hôtel de ville, esplanade Jean-Marie Louvel".into(),
            }),
        }),
        organiser_ids: vec![organiser.to_owned()],
        co_organiser_ids: vec![],
        sessions: vec![session(in_days(7, 0), 2, 20)],
    }
}

pub fn registration(session_id: &str, n: usize) -> RegisterRequest {
    RegisterRequest {
        session_id: session_id.to_owned(),
        name: format!("Personne {n}"),
        email: format!("personne{n}@exemple.fr"),
        organisation_id: String::new(),
        public: Public::Etudiants as i32,
        sex: pb::Sex::F as i32,
        age_band: pb::AgeBand::Under26 as i32,
        consent: true,
    }
}

impl TestApp {
    /// Registers a partner in the registry; returns its id.
    pub async fn partner(&self, name: &str) -> String {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.registry
            .clone()
            .create_partner(CreatePartnerRequest {
                name: name.into(),
                siret: siret(n),
                commune_code: "14118".into(),
                postal_code: "14000".into(),
                ..Default::default()
            })
            .await
            .expect("partner created")
            .into_inner()
            .partner
            .unwrap()
            .id
    }

    pub async fn create_activity(&self, req: CreateActivityRequest) -> Result<Activity, tonic::Status> {
        Ok(self
            .client
            .clone()
            .create_activity(req)
            .await?
            .into_inner()
            .activity
            .unwrap())
    }

    pub async fn schedule(&self, id: &str) -> Result<Activity, tonic::Status> {
        Ok(self
            .client
            .clone()
            .schedule_activity(pb::ActivityTransitionRequest { id: id.into() })
            .await?
            .into_inner()
            .activity
            .unwrap())
    }

    /// A partner and a scheduled activity it organises with one session of `capacity` seats.
    pub async fn scheduled_activity(&self, capacity: i32) -> Activity {
        let organiser = self.partner("Coopérative organisatrice").await;
        let mut req = valid_activity(&organiser);
        req.sessions[0].capacity = capacity;
        let a = self.create_activity(req).await.unwrap();
        self.schedule(&a.id).await.unwrap()
    }

    pub async fn register(&self, req: RegisterRequest) -> Result<Registration, tonic::Status> {
        Ok(self
            .client
            .clone()
            .register(req)
            .await?
            .into_inner()
            .registration
            .unwrap())
    }

    pub async fn get(&self, id: &str) -> Activity {
        self.client
            .clone()
            .get_activity(pb::GetActivityRequest { id: id.into() })
            .await
            .unwrap()
            .into_inner()
            .activity
            .unwrap()
    }

    pub async fn count(&self, table: &'static str) -> i64 {
        let sql = match table {
            "activities" => "SELECT count(*) FROM activities",
            "sessions" => "SELECT count(*) FROM sessions",
            "registrations" => "SELECT count(*) FROM registrations",
            "outbox" => "SELECT count(*) FROM outbox",
            "practices" => "SELECT count(*) FROM practices",
            other => panic!("unknown table {other}"),
        };
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Outbox rows on one subject.
    pub async fn events(&self, subject: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE subject = $1")
            .bind(subject)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Payloads of the outbox rows on one subject, oldest first.
    pub async fn payloads(&self, subject: &str) -> Vec<Vec<u8>> {
        sqlx::query_scalar("SELECT payload FROM outbox WHERE subject = $1 ORDER BY created_at, event_id")
            .bind(subject)
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    /// Pretends time has passed: moves every session of the activity to end an hour ago.
    pub async fn move_sessions_to_the_past(&self, activity_id: &str) {
        sqlx::query(
            "UPDATE sessions SET starts_at = starts_at - (ends_at - now()) - interval '1 hour', \
             ends_at = now() - interval '1 hour' WHERE activity_id = $1::uuid",
        )
        .bind(activity_id)
        .execute(&self.pool)
        .await
        .unwrap();
    }

    /// Publishes an event on this test's stream as if the registry had (for consumer tests).
    pub async fn publish_registry_event(&self, suffix: &str, event_type: &str, payload: Vec<u8>, event_id: &str) {
        let js = self.stream.jetstream().await;
        let mut h = HeaderMap::new();
        h.insert(headers::MSG_ID, event_id);
        h.insert(headers::EVENT_ID, event_id);
        h.insert(headers::EVENT_TYPE, event_type);
        js.publish_with_headers(self.stream.subject(suffix), h, payload.into())
            .await
            .unwrap()
            .await
            .unwrap();
    }

    /// Waits until `check` on the activity holds.
    pub async fn wait_for_activity(&self, id: &str, what: &str, check: impl Fn(&Activity) -> bool) -> Activity {
        poll_until(Duration::from_secs(10), what, || async {
            let a = self.get(id).await;
            check(&a).then_some(a)
        })
        .await
    }
}
