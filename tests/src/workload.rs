//! The fault-injection workload and its checker. Writers create partners through the registry's
//! gRPC API and keep a ledger of what they were told; the checker waits for the system to settle,
//! then compares every projection with the ground truth: each acknowledged write reflected exactly
//! once, nothing else but writes whose outcome was reported unknown.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use ess_proto::registry::v1::{CreatePartnerRequest, partner_registry_client::PartnerRegistryClient};
use platform::testing::poll_until;
use sqlx::PgPool;
use tonic::Code;

/// Communes spread over the three départements.
const COMMUNES: [&str; 3] = ["14118", "50129", "61001"];

/// What the clients were told.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    /// Partners the registry acknowledged: id → département.
    pub acked: HashMap<String, String>,
    /// Writes refused for a reason that means "not done" (invalid, already exists...).
    pub refused: usize,
    /// Writes whose outcome is unknown (UNAVAILABLE, deadline, transport error): done or not.
    pub unknown: usize,
    /// Codes seen, for the report.
    pub codes: HashMap<String, usize>,
}

/// Runs `writers` concurrent clients against `registry_url` for `duration` (at most `max_writes`
/// in all), each creating partners with unique SIRETs. `seed` keeps SIRETs unique across calls.
pub async fn write_partners(
    registry_url: &str,
    writers: u32,
    duration: Duration,
    max_writes: u32,
    seed: u32,
) -> Ledger {
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    write_partners_into(ledger, registry_url, writers, duration, max_writes, seed).await
}

/// [`write_partners`] into a ledger the caller can watch while the writers run.
pub async fn write_partners_into(
    ledger: Arc<Mutex<Ledger>>,
    registry_url: &str,
    writers: u32,
    duration: Duration,
    max_writes: u32,
    seed: u32,
) -> Ledger {
    let deadline = Instant::now() + duration;
    let per_writer = max_writes / writers.max(1);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (url, ledger) = (registry_url.to_owned(), ledger.clone());
        tasks.push(tokio::spawn(async move {
            let channel = tonic::transport::Endpoint::from_shared(url)
                .expect("registry url")
                .connect_timeout(Duration::from_secs(1))
                .connect_lazy();
            let mut client = PartnerRegistryClient::new(platform::testing::admin(channel));
            for i in 0..per_writer {
                if Instant::now() >= deadline {
                    break;
                }
                let n = seed * 1_000_000 + w * 100_000 + i;
                let commune = COMMUNES[(n % 3) as usize];
                let request = CreatePartnerRequest {
                    name: format!("Structure d'essai {n}"),
                    siret: luhn_siret(&format!("8{n:012}")),
                    commune_code: commune.to_owned(),
                    ..Default::default()
                };
                // Longer than the service's 5 s pool acquire timeout, so that a database outage
                // comes back as the service's answer (UNAVAILABLE), not as our own deadline.
                let mut req = tonic::Request::new(request);
                req.set_timeout(Duration::from_secs(8));
                let outcome = tokio::time::timeout(Duration::from_secs(9), client.create_partner(req)).await;
                record(&ledger, outcome);
                // A writer that keeps failing (dependency down) should not spin.
                tokio::task::yield_now().await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer task");
    }
    ledger.lock().expect("ledger").clone()
}

type CallOutcome = Result<
    Result<tonic::Response<ess_proto::registry::v1::CreatePartnerResponse>, tonic::Status>,
    tokio::time::error::Elapsed,
>;

fn record(ledger: &Mutex<Ledger>, outcome: CallOutcome) {
    let mut l = ledger.lock().expect("ledger");
    match outcome {
        Ok(Ok(resp)) => {
            let p = resp.into_inner().partner.expect("a partner");
            l.acked.insert(p.id, p.departement_code);
            *l.codes.entry("OK".into()).or_default() += 1;
        }
        Ok(Err(status)) => {
            *l.codes.entry(format!("{:?}", status.code())).or_default() += 1;
            match status.code() {
                Code::InvalidArgument | Code::AlreadyExists | Code::FailedPrecondition => l.refused += 1,
                _ => l.unknown += 1,
            }
        }
        Err(_elapsed) => {
            *l.codes.entry("client timeout".into()).or_default() += 1;
            l.unknown += 1;
        }
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

/// Where the checker looks.
pub struct Sources<'a> {
    pub registry: &'a PgPool,
    pub observatory: &'a PgPool,
    pub jetstream: &'a async_nats::jetstream::Context,
    pub stream: &'a str,
    pub subject_prefix: &'a str,
}

/// The checker's counts, printed at the end of each scenario.
#[derive(Debug)]
pub struct Report {
    pub acked: usize,
    pub unknown: usize,
    pub committed: usize,
    pub events_written: i64,
    pub events_in_stream: u64,
    pub deliveries: u64,
    pub redelivered: u64,
    pub applied: i64,
    pub duplicates: i64,
    pub retried: i64,
    pub dead_lettered: i64,
}

const CONSUMER: &str = "observatory-registry";

/// Waits (up to `deadline`) for every committed event to be published and applied, then checks
/// the projections against the ground truth and returns the counts. Panics on any mismatch.
pub async fn settle_and_check(ledger: &Ledger, src: &Sources<'_>, deadline: Duration) -> Report {
    let events_written: i64 = scalar(src.registry, "SELECT count(*) FROM outbox").await;
    poll_until(
        deadline,
        "every committed event published and applied by the observatory",
        || async {
            let unpublished: i64 = scalar(src.registry, "SELECT count(*) FROM outbox WHERE published_at IS NULL").await;
            let written: i64 = scalar(src.registry, "SELECT count(*) FROM outbox").await;
            let applied: i64 = scalar(
                src.observatory,
                "SELECT count(*) FROM processed_events WHERE consumer = 'observatory-registry'",
            )
            .await;
            (unpublished == 0 && applied >= written).then_some(())
        },
    )
    .await;

    // Ground truth: what the registry committed; every acknowledged write is in it.
    let committed = ids(src.registry, "SELECT id::text FROM partners").await;
    let projected = ids(src.observatory, "SELECT partner_id::text FROM partner_projection").await;
    let missing: Vec<_> = ledger.acked.keys().filter(|id| !committed.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged partners missing from the registry: {missing:?}"
    );
    let extra = committed.len() - ledger.acked.len();
    assert!(
        extra <= ledger.unknown,
        "{extra} committed partners were never acknowledged, but only {} outcomes were unknown",
        ledger.unknown
    );
    assert_eq!(
        projected, committed,
        "the observatory's projection differs from what the registry committed"
    );

    let applied: i64 = scalar(
        src.observatory,
        "SELECT count(*) FROM processed_events WHERE consumer = 'observatory-registry'",
    )
    .await;
    let events_written_now: i64 = scalar(src.registry, "SELECT count(*) FROM outbox").await;
    assert_eq!(applied, events_written_now, "each event applied exactly once");
    assert!(events_written_now >= events_written);

    let stream = src.jetstream.get_stream(src.stream).await.expect("stream");
    let subject = format!("{}.registry.>", src.subject_prefix);
    let mut subjects = stream.info_with_subjects(subject).await.expect("subjects");
    let mut events_in_stream = 0u64;
    use futures::StreamExt as _;
    while let Some(entry) = subjects.next().await {
        events_in_stream += entry.expect("subject count").1 as u64;
    }
    let consumer: async_nats::jetstream::consumer::PullConsumer =
        stream.get_consumer(CONSUMER).await.expect("durable consumer");
    let info = consumer.cached_info();
    let deliveries = info.delivered.consumer_sequence;
    let stat = |column: &'static str| async move {
        let sql = match column {
            "duplicates" => {
                "SELECT coalesce(sum(duplicates), 0)::bigint FROM consumer_stats WHERE consumer = 'observatory-registry'"
            }
            "retried" => {
                "SELECT coalesce(sum(retried), 0)::bigint FROM consumer_stats WHERE consumer = 'observatory-registry'"
            }
            _ => {
                "SELECT coalesce(sum(dead_lettered), 0)::bigint FROM consumer_stats WHERE consumer = 'observatory-registry'"
            }
        };
        scalar(src.observatory, sql).await
    };
    let report = Report {
        acked: ledger.acked.len(),
        unknown: ledger.unknown,
        committed: committed.len(),
        events_written: events_written_now,
        events_in_stream,
        deliveries,
        redelivered: deliveries.saturating_sub(events_in_stream),
        applied,
        duplicates: stat("duplicates").await,
        retried: stat("retried").await,
        dead_lettered: stat("dead_lettered").await,
    };
    eprintln!(
        "checker: clients acked {} / unknown {} / codes {:?}; committed {}; events written {}, in stream {}, \
         delivered {} (redelivered {}), applied {}, deduplicated {}, retried {}, dead-lettered {}",
        report.acked,
        report.unknown,
        ledger.codes,
        report.committed,
        report.events_written,
        report.events_in_stream,
        report.deliveries,
        report.redelivered,
        report.applied,
        report.duplicates,
        report.retried,
        report.dead_lettered
    );
    report
}

async fn scalar(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect("checker query")
}

async fn ids(pool: &PgPool, sql: &'static str) -> BTreeSet<String> {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(pool)
        .await
        .expect("checker query")
        .into_iter()
        .collect()
}
