//! NATS least privilege with the deployment's users and permissions: a service's credentials may
//! publish its own events but not another service's, nor dead letters or API calls that are not
//! its own; and the services still work under them (the registry publishes, the observatory
//! consumes, acks, dead-letters and replays its dead letters).

use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use ess_proto::{
    observatory::v1::{
        CountPartnersByDepartementRequest, RebuildProjectionsRequest, observatory_client::ObservatoryClient,
    },
    platform::v1::{ListDeadLettersRequest, ReplayDeadLettersRequest, dead_letters_client::DeadLettersClient},
    registry::v1::{CreatePartnerRequest, partner_registry_client::PartnerRegistryClient},
};
use platform::{
    bus::headers,
    config::CommonArgs,
    testing::{TestDatabase, init_test_logging, poll_until},
};
use tokio_util::sync::CancellationToken;

use crate::{
    secured_nats::SecuredNats,
    support::{admin_channel, common},
};

/// Settings of a service on `db`, logged in to `nats` as `user`.
fn settings(nats: &SecuredNats, user: &str, db: &TestDatabase) -> CommonArgs {
    common(db.url.clone(), nats.nats_args(), nats.credentials(user))
}

/// Waits for the server to report a permission violation naming `subject`.
async fn violation(errors: &mut tokio::sync::mpsc::UnboundedReceiver<async_nats::ServerError>, subject: &str) {
    let error = tokio::time::timeout(Duration::from_secs(5), errors.recv())
        .await
        .unwrap_or_else(|_| panic!("the server did not refuse a publish on {subject}"))
        .expect("an error event");
    let text = error.to_string();
    assert!(
        text.contains("Permissions Violation") && text.contains(subject),
        "unexpected server error: {text}"
    );
}

#[tokio::test]
async fn each_service_publishes_only_its_own_subjects_and_consumers_still_consume_ack_and_dead_letter() {
    init_test_logging();
    let nats = SecuredNats::start().await;

    // A wrong password is refused.
    let wrong = platform::nats_auth::NatsCredentials::new("registry", "not-the-password")
        .apply(async_nats::ConnectOptions::new().max_reconnects(0))
        .connect(nats.url().as_str())
        .await;
    assert!(
        wrong.is_err() || {
            // Some client versions report the refusal after connecting: nothing may be published then.
            let client = wrong.unwrap();
            client.flush().await.is_err()
        },
        "a wrong password is refused"
    );

    // The services, each with its own credentials.
    let (reg_db, obs_db) = (
        TestDatabase::create("registry").await,
        TestDatabase::create("observatory").await,
    );
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let registry = registry::App::build(&registry::Config {
        common: settings(&nats, "registry", &reg_db),
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
    })
    .await
    .expect("the registry starts with its own NATS user");
    let registry_url = format!("http://{}", registry.local_addr().unwrap());
    tokio::spawn(registry.run(shutdown.clone()));
    let observatory = observatory::App::build(&observatory::Config {
        common: settings(&nats, "observatory", &obs_db),
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
    })
    .await
    .expect("the observatory starts with its own NATS user");
    let observatory_url = format!("http://{}", observatory.local_addr().unwrap());
    tokio::spawn(observatory.run(shutdown.clone()));

    // The registry publishes its events; the observatory consumes them.
    PartnerRegistryClient::new(admin_channel(registry_url.clone()).await)
        .create_partner(CreatePartnerRequest {
            name: "Coopérative d'essai".into(),
            siret: "73282932000074".into(),
            commune_code: "14118".into(),
            postal_code: "14000".into(),
            ..Default::default()
        })
        .await
        .expect("the partner is created");
    let mut stats = ObservatoryClient::new(admin_channel(observatory_url.clone()).await);
    poll_until(
        Duration::from_secs(20),
        "the observatory to project the partner",
        || {
            let mut stats = stats.clone();
            async move {
                let counts = stats
                    .count_partners_by_departement(CountPartnersByDepartementRequest {})
                    .await
                    .ok()?
                    .into_inner();
                (counts.total == 1).then_some(())
            }
        },
    )
    .await;

    // An undecodable event on the registry's subject (the registry's credentials may publish
    // there) is dead-lettered by the observatory, which can then list it.
    let (registry_client, mut registry_errors) = nats.client("registry").await;
    let js = jetstream::new(registry_client.clone());
    let mut h = HeaderMap::new();
    h.insert(headers::EVENT_ID, uuid::Uuid::now_v7().to_string().as_str());
    h.insert(headers::EVENT_TYPE, "ess.events.v1.PartnerRegistered");
    js.publish_with_headers("ess.registry.partner.registered", h, vec![0xff, 0xff, 0xff].into())
        .await
        .expect("the registry may publish on its own subjects")
        .await
        .expect("and JetStream stores it");
    let mut dead_letters = DeadLettersClient::new(admin_channel(observatory_url).await);
    let lister = dead_letters.clone();
    let dead_letters_now = move |n: usize| {
        let dead_letters = lister.clone();
        move || {
            let mut dead_letters = dead_letters.clone();
            async move {
                let list = dead_letters
                    .list_dead_letters(ListDeadLettersRequest {
                        consumer: "observatory-registry".into(),
                        limit: 10,
                    })
                    .await
                    .ok()?
                    .into_inner()
                    .dead_letters;
                (list.len() == n).then_some(list)
            }
        }
    };
    let poisoned = poll_until(
        Duration::from_secs(20),
        "the poison event to be dead-lettered",
        dead_letters_now(1),
    )
    .await
    .remove(0);
    // The observatory's other consumer is administered too.
    let none = dead_letters
        .list_dead_letters(ListDeadLettersRequest {
            consumer: "observatory-activities".into(),
            limit: 10,
        })
        .await
        .expect("every consumer of the observatory has its dead letters listed")
        .into_inner()
        .dead_letters;
    assert!(none.is_empty(), "{none:?}");
    // Replaying it fails again (it can never be decoded), and it is kept.
    let refused = dead_letters
        .replay_dead_letters(ReplayDeadLettersRequest {
            consumer: "observatory-registry".into(),
            sequences: vec![poisoned.sequence],
            all: false,
        })
        .await
        .expect_err("an undecodable dead letter still fails");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("kept"), "{}", refused.message());

    // A valid event the observatory cannot store until a fix ("no partner of the Manche") is
    // dead-lettered, then replayed once the fix is in: the observatory applies it itself, which
    // its credentials allow (it may not publish on the registry's subject).
    let observatory_db = sqlx::PgPool::connect(&obs_db.url).await.unwrap();
    sqlx::raw_sql("ALTER TABLE partner_projection ADD CONSTRAINT fault_no_manche CHECK (departement_code <> '50')")
        .execute(&observatory_db)
        .await
        .unwrap();
    PartnerRegistryClient::new(admin_channel(registry_url.clone()).await)
        .create_partner(CreatePartnerRequest {
            name: "Association de la Manche".into(),
            siret: "73282932000108".into(),
            commune_code: "50129".into(),
            postal_code: "50100".into(),
            ..Default::default()
        })
        .await
        .expect("the second partner is created");
    let failed = poll_until(
        Duration::from_secs(30),
        "the Manche partner to be dead-lettered",
        dead_letters_now(2),
    )
    .await
    .into_iter()
    .find(|d| d.sequence != poisoned.sequence)
    .unwrap();
    sqlx::raw_sql("ALTER TABLE partner_projection DROP CONSTRAINT fault_no_manche")
        .execute(&observatory_db)
        .await
        .unwrap();
    let replayed = dead_letters
        .replay_dead_letters(ReplayDeadLettersRequest {
            consumer: "observatory-registry".into(),
            sequences: vec![failed.sequence],
            all: false,
        })
        .await
        .expect("the replay works under the observatory's credentials")
        .into_inner()
        .replayed;
    assert_eq!(replayed, [failed.sequence]);
    let counts = stats
        .count_partners_by_departement(CountPartnersByDepartementRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts.total, 2, "the replayed partner is projected at once");
    let left = dead_letters_now(1)().await.expect("only the poison event is left");
    assert_eq!(left[0].sequence, poisoned.sequence);

    // Its acks went through: nothing stays pending on its consumer.
    let (admin, _) = nats.client("admin").await;
    let admin_js = jetstream::new(admin);
    poll_until(Duration::from_secs(20), "the observatory's acks", || {
        let admin_js = admin_js.clone();
        async move {
            let stream = admin_js.get_stream("ESS").await.ok()?;
            let mut consumer = stream
                .get_consumer::<jetstream::consumer::pull::Config>("observatory-registry")
                .await
                .ok()?;
            let info = consumer.info().await.ok()?;
            (info.num_ack_pending == 0 && info.num_pending == 0 && info.delivered.stream_sequence >= 3).then_some(())
        }
    })
    .await;

    // RebuildProjections (which deletes the observatory's durable consumers) works under its
    // credentials: the projection comes back from the stream.
    let consumers = stats
        .rebuild_projections(RebuildProjectionsRequest {})
        .await
        .expect("the observatory rebuilds its projections")
        .into_inner()
        .consumers;
    assert!(consumers.contains(&"observatory-registry".to_owned()), "{consumers:?}");
    poll_until(Duration::from_secs(30), "the rebuilt projection", || {
        let (mut stats, admin_js) = (stats.clone(), admin_js.clone());
        async move {
            // The deleted consumer is recreated from the start of the stream.
            let stream = admin_js.get_stream("ESS").await.ok()?;
            let mut consumer = stream
                .get_consumer::<jetstream::consumer::pull::Config>("observatory-registry")
                .await
                .ok()?;
            let info = consumer.info().await.ok()?;
            let counts = stats
                .count_partners_by_departement(CountPartnersByDepartementRequest {})
                .await
                .ok()?
                .into_inner();
            (counts.total == 2 && info.num_pending == 0).then_some(())
        }
    })
    .await;

    // What the registry's credentials may not do: another service's events, another
    // consumer's dead letters, the stream's deletion, another consumer's acks.
    for subject in [
        "ess.activities.activity.created",
        "ess.observatory.anything",
        "ess.dlq.observatory-registry",
        "$JS.API.STREAM.DELETE.ESS",
        "$JS.ACK.ESS.observatory-registry.1.1.1.1.1",
    ] {
        registry_client.publish(subject, "forged".into()).await.unwrap();
        registry_client.flush().await.unwrap();
        violation(&mut registry_errors, subject).await;
    }
    // Nor the observatory's on the registry's subjects.
    let (observatory_client, mut observatory_errors) = nats.client("observatory").await;
    observatory_client
        .publish("ess.registry.partner.registered", "forged".into())
        .await
        .unwrap();
    observatory_client.flush().await.unwrap();
    violation(&mut observatory_errors, "ess.registry.partner.registered").await;

    // The refused messages are not in the stream.
    let stream = admin_js.get_stream("ESS").await.unwrap();
    for subject in ["ess.activities.activity.created", "ess.observatory.anything"] {
        assert!(
            stream.get_last_raw_message_by_subject(subject).await.is_err(),
            "{subject} holds a message"
        );
    }
    let info = admin_js.get_stream("ESS").await.unwrap().info().await.unwrap().clone();
    assert!(
        info.config.subjects == ["ess.>"],
        "the stream is intact: {:?}",
        info.config.subjects
    );
}

#[tokio::test]
async fn a_service_with_a_wrong_nats_password_stops_at_start_naming_the_setting_but_not_the_password() {
    let nats = SecuredNats::start().await;
    let db = TestDatabase::create("registry").await;
    let wrong = "pWrongPasswordMustNotBePrinted";
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(ess_e2e::binaries::binary("registry"))
            .env_clear()
            // Valid auth settings: the start goes as far as the NATS login.
            .envs(ess_e2e::binaries::auth_env())
            .env("DATABASE_URL", &db.url)
            .env("NATS_URL", nats.url())
            .env("NATS_USER", "registry")
            .env("NATS_PASSWORD", wrong)
            .env("GRPC_ADDR", "127.0.0.1:0")
            .output(),
    )
    .await
    .expect("the service gives up instead of retrying forever")
    .unwrap();
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("NATS_USER"), "{text}");
    assert!(!text.contains(wrong), "the password is printed: {text}");
}
