//! One test per fault, each against its own stream, databases and (where it breaks them) its own
//! NATS server or PostgreSQL.

use std::time::Duration;

use async_nats::{HeaderMap, jetstream::message::PublishMessage};
use std::sync::{Arc, Mutex};

use ess_e2e::{
    postgres::PrivatePostgres,
    workload::{Ledger, luhn_siret, write_partners, write_partners_into},
};
use ess_proto::{
    platform::v1::{ListDeadLettersRequest, ReplayDeadLettersRequest, dead_letters_client::DeadLettersClient},
    registry::v1::{CreatePartnerRequest, partner_registry_client::PartnerRegistryClient},
};
use platform::testing::{NatsServer, TestDatabase, TestStream, init_test_logging, nats_url, poll_until};

use crate::deployment::Deployment;

const WRITERS: u32 = 4;
const WRITE_FOR: Duration = Duration::from_secs(8);
const MAX_WRITES: u32 = 1600;

#[tokio::test]
async fn nats_killed_during_writes_and_consumption_loses_nothing() {
    init_test_logging();
    let mut nats = NatsServer::start().await;
    let stream = TestStream::new(&nats.url());
    let (reg, obs) = (
        TestDatabase::create("registry").await,
        TestDatabase::create("observatory").await,
    );
    let d = Deployment::start(&reg.url, &obs.url, &stream.nats, 1).await;

    let writers = tokio::spawn({
        let url = d.registry_url();
        async move { write_partners(&url, WRITERS, WRITE_FOR, MAX_WRITES, 1).await }
    });
    d.wait_count(
        &d.observatory_db,
        "SELECT count(*) FROM partner_projection",
        50,
        "consumption under way",
    )
    .await;
    nats.kill();
    let before = d.registry_partners().await;
    d.wait_count(
        &d.registry_db,
        "SELECT count(*) FROM partners",
        before + 100,
        "writes while NATS is down",
    )
    .await;
    nats.restart().await;

    let ledger = writers.await.unwrap();
    let report = d.check(&ledger).await;
    assert!(report.acked > 0 && report.applied as usize >= report.acked);
}

#[tokio::test]
async fn a_consumer_killed_mid_batch_resumes_without_loss_or_double_count() {
    init_test_logging();
    let stream = TestStream::new(&nats_url());
    let (reg, obs) = (
        TestDatabase::create("registry").await,
        TestDatabase::create("observatory").await,
    );
    let mut d = Deployment::start(&reg.url, &obs.url, &stream.nats, 1).await;

    let writers = tokio::spawn({
        let url = d.registry_url();
        async move { write_partners(&url, WRITERS, WRITE_FOR, MAX_WRITES, 2).await }
    });
    d.wait_count(
        &d.observatory_db,
        "SELECT count(*) FROM partner_projection",
        100,
        "consumption under way",
    )
    .await;
    d.observatories[0].kill().await;
    let before = d.registry_partners().await;
    d.wait_count(
        &d.registry_db,
        "SELECT count(*) FROM partners",
        before + 100,
        "writes while the consumer is dead",
    )
    .await;
    d.observatories[0].restart().await;

    let ledger = writers.await.unwrap();
    d.check(&ledger).await;
}

#[tokio::test]
async fn a_postgres_crash_during_writes_loses_nothing_acknowledged() {
    init_test_logging();
    let pg = PrivatePostgres::start().await;
    let registry_url = pg.create_database("registry").await;
    let stream = TestStream::new(&nats_url());
    let obs = TestDatabase::create("observatory").await;
    let d = Deployment::start(&registry_url, &obs.url, &stream.nats, 1).await;

    let live = Arc::new(Mutex::new(Ledger::default()));
    let writers = tokio::spawn({
        let (url, live) = (d.registry_url(), live.clone());
        async move { write_partners_into(live, &url, WRITERS, Duration::from_secs(16), MAX_WRITES, 3).await }
    });
    d.wait_count(&d.registry_db, "SELECT count(*) FROM partners", 100, "writes under way")
        .await;
    pg.crash();
    poll_until(
        Duration::from_secs(30),
        "a write refused as UNAVAILABLE while the database is down",
        || async { live.lock().unwrap().codes.contains_key("Unavailable").then_some(()) },
    )
    .await;
    pg.restart().await;

    let ledger = writers.await.unwrap();
    assert!(
        ledger.codes.keys().all(|c| c == "OK" || c == "Unavailable"),
        "failed writes are reported as UNAVAILABLE, not as something else: {:?}",
        ledger.codes
    );
    let acked_before_end = ledger.acked.len();
    d.check(&ledger).await;
    assert!(acked_before_end > 100);
}

#[tokio::test]
async fn duplicate_publishes_and_duplicate_deliveries_change_nothing() {
    init_test_logging();
    let stream = TestStream::new(&nats_url());
    let (reg, obs) = (
        TestDatabase::create("registry").await,
        TestDatabase::create("observatory").await,
    );
    let d = Deployment::start(&reg.url, &obs.url, &stream.nats, 1).await;
    let ledger = write_partners(&d.registry_url(), WRITERS, Duration::from_secs(3), 400, 4).await;
    let first = d.check(&ledger).await;
    let events = first.events_in_stream;

    // Duplicate publishes: every registry event again, under a new Nats-Msg-Id (past JetStream's
    // dedupe), with the same event id.
    let js = stream.jetstream().await;
    let s = js.get_stream(&stream.nats.stream).await.unwrap();
    for seq in 1..=s.cached_info().state.last_sequence {
        let Ok(msg) = s.get_raw_message(seq).await else {
            continue;
        };
        if !msg.subject.contains(".registry.") {
            continue;
        }
        let mut headers: HeaderMap = msg.headers.clone();
        headers.insert("Nats-Msg-Id", format!("duplicate-{seq}").as_str());
        let ack = js
            .send_publish(
                msg.subject.to_string(),
                PublishMessage::build().payload(msg.payload.clone()).headers(headers),
            )
            .await
            .unwrap();
        ack.await.unwrap();
    }
    // Duplicate deliveries: the durable consumer is deleted under the running observatory, which
    // recreates it from the start of the stream and so receives everything again.
    s.delete_consumer("observatory-registry").await.unwrap();

    let consumer_idle = || async {
        let mut c: async_nats::jetstream::consumer::PullConsumer = s.get_consumer("observatory-registry").await.ok()?;
        let info = c.info().await.ok()?;
        (info.num_pending == 0 && info.num_ack_pending == 0).then_some(())
    };
    poll_until(
        Duration::from_secs(60),
        "the recreated consumer to drain the stream",
        || async {
            let dups: i64 = sqlx::query_scalar("SELECT coalesce(sum(duplicates), 0)::bigint FROM consumer_stats")
                .fetch_one(&d.observatory_db)
                .await
                .ok()?;
            // At least the redelivery of originals and copies; the copies may also have reached the
            // old consumer before it was deleted.
            if dups < 2 * events as i64 {
                return None;
            }
            consumer_idle().await
        },
    )
    .await;
    let second = d.check(&ledger).await;
    assert_eq!(second.applied, first.applied, "no duplicate was applied");
    assert!(
        second.duplicates >= 2 * events as i64,
        "{} duplicates for {events} events",
        second.duplicates
    );
}

#[tokio::test]
async fn a_poisoned_message_is_dead_lettered_and_applied_once_replayed_after_the_fix() {
    init_test_logging();
    let stream = TestStream::new(&nats_url());
    let (reg, obs) = (
        TestDatabase::create("registry").await,
        TestDatabase::create("observatory").await,
    );
    let d = Deployment::start(&reg.url, &obs.url, &stream.nats, 1).await;
    // The "bug": the observatory cannot store partners of the Orne until a fix is deployed.
    sqlx::raw_sql("ALTER TABLE partner_projection ADD CONSTRAINT fault_no_orne CHECK (departement_code <> '61')")
        .execute(&d.observatory_db)
        .await
        .unwrap();

    let mut client = PartnerRegistryClient::new(platform::testing::admin(
        tonic::transport::Channel::from_shared(d.registry_url())
            .unwrap()
            .connect()
            .await
            .unwrap(),
    ));
    let mut ledger = Ledger::default();
    for n in 0..30u32 {
        let commune = if n % 10 == 5 {
            "61001"
        } else if n % 2 == 0 {
            "14118"
        } else {
            "50129"
        };
        let req = CreatePartnerRequest {
            name: format!("Structure {n}"),
            siret: luhn_siret(&format!("7{:012}", 7_000_000 + n)),
            commune_code: commune.into(),
            ..Default::default()
        };
        let p = client.create_partner(req).await.unwrap().into_inner().partner.unwrap();
        ledger.acked.insert(p.id, p.departement_code);
    }
    poll_until(
        Duration::from_secs(60),
        "the 3 Orne partners dead-lettered and the 27 others applied",
        || async {
            let dead: i64 = sqlx::query_scalar("SELECT coalesce(sum(dead_lettered), 0)::bigint FROM consumer_stats")
                .fetch_one(&d.observatory_db)
                .await
                .ok()?;
            let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM partner_projection")
                .fetch_one(&d.observatory_db)
                .await
                .ok()?;
            (dead == 3 && applied == 27).then_some(())
        },
    )
    .await;

    let mut admin = DeadLettersClient::new(platform::testing::admin(
        tonic::transport::Channel::from_shared(d.observatories[0].url())
            .unwrap()
            .connect()
            .await
            .unwrap(),
    ));
    let listed = admin
        .list_dead_letters(ListDeadLettersRequest {
            consumer: "observatory-registry".into(),
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .dead_letters;
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .all(|l| l.reason.contains("fault_no_orne") && l.deliveries == 5),
        "{listed:?}"
    );

    // The fix, then the replay.
    sqlx::raw_sql("ALTER TABLE partner_projection DROP CONSTRAINT fault_no_orne")
        .execute(&d.observatory_db)
        .await
        .unwrap();
    let replayed = admin
        .replay_dead_letters(ReplayDeadLettersRequest {
            consumer: "observatory-registry".into(),
            sequences: vec![],
            all: true,
        })
        .await
        .unwrap()
        .into_inner()
        .replayed;
    assert_eq!(replayed.len(), 3);

    let report = d.check(&ledger).await;
    assert_eq!(report.dead_lettered, 3);
    let left = admin
        .list_dead_letters(ListDeadLettersRequest {
            consumer: String::new(),
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .dead_letters;
    assert!(left.is_empty(), "replayed dead letters are removed: {left:?}");
}
