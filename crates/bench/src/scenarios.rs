//! The scenarios of issue 9: write, read, event pipeline and memory here; import and indicators in
//! `observatory`. Each platform figure is printed beside its substrate baseline measured in the same run.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::pull, stream};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use ess_proto::registry::v1::{
    CreatePartnerRequest, GetPartnerRequest, partner_registry_client::PartnerRegistryClient,
};
use futures::StreamExt as _;
use platform::grpc::AuthChannel;
use serde::Serialize;
use sqlx::{PgPool, postgres::PgPoolOptions};
use tonic::transport::Endpoint;
use uuid::Uuid;

use crate::{
    Args,
    load::{Figures, closed_loop, figures_of, open_loop},
    machine::Machine,
    services::Environment,
};

/// Same pool size as the registry's default (DATABASE_MAX_CONNECTIONS).
const POOL: u32 = 16;
const COMMUNES: [&str; 3] = ["14118", "50129", "61001"];

#[derive(Debug, Serialize)]
pub struct Row {
    pub scenario: String,
    pub platform_path: String,
    pub platform: Figures,
    pub baseline_path: String,
    pub baseline: Option<Figures>,
    /// Platform rate as a percentage of the baseline rate.
    pub ratio_pct: Option<f64>,
    pub target: String,
}

#[derive(Debug, Serialize)]
pub struct Memory {
    pub service: String,
    pub idle_rss_mib: f64,
    pub peak_rss_mib: f64,
}

#[derive(Debug, Serialize)]
pub struct Results {
    pub rows: Vec<Row>,
    pub memory: Vec<Memory>,
}

pub fn ratio(p: &Figures, b: &Figures) -> Option<f64> {
    (b.rate_per_s > 0.0).then(|| (p.rate_per_s / b.rate_per_s * 1000.0).round() / 10.0)
}

/// A valid SIRET unique to (`scenario`, `i`): 3 digits of scenario, 10 of counter, Luhn digit.
fn siret(scenario: u32, i: u64) -> String {
    let body = format!("{scenario:03}{i:010}");
    format!("{body}{}", crate::stock::luhn_digit(&body))
}

pub fn request(scenario: u32, i: u64) -> CreatePartnerRequest {
    CreatePartnerRequest {
        name: format!("Structure de mesure {scenario}-{i}"),
        siret: siret(scenario, i),
        commune_code: COMMUNES[(i % 3) as usize].to_owned(),
        ..Default::default()
    }
}

async fn pool(url: &str) -> anyhow::Result<PgPool> {
    Ok(PgPoolOptions::new().max_connections(POOL).connect(url).await?)
}

pub async fn run_all(args: &Args, env: &Environment) -> anyhow::Result<Results> {
    let idle: Vec<(f64, f64)> = [&env.registry, &env.observatory, &env.activities]
        .iter()
        .map(|s| s.memory_mib())
        .collect();
    let channel = Endpoint::from_shared(env.registry.url.clone())?
        .connect()
        .await
        .context("registry")?;
    let client = PartnerRegistryClient::new(platform::grpc::with_token(channel, &env.token));
    let raw = pool(&env.raw_db).await?;
    sqlx::raw_sql(
        "CREATE TABLE raw_partners (id UUID PRIMARY KEY, name TEXT NOT NULL, siret CHAR(14) NOT NULL UNIQUE, \
         commune_code TEXT, departement_code TEXT NOT NULL, version BIGINT NOT NULL, created_at TIMESTAMPTZ NOT NULL)",
    )
    .execute(&raw)
    .await?;
    let registry_db = pool(&env.registry_db).await?;
    let observatory_db = pool(&env.observatory_db).await?;

    let mut rows = Vec::new();
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    if wanted("write") {
        rows.extend(write(args, &client, &raw).await?);
    }
    if wanted("read") {
        rows.extend(read(args, &client, &registry_db).await?);
    }
    if wanted("pipeline") {
        rows.extend(pipeline(args, env, &client, &registry_db, &observatory_db).await?);
    }
    if wanted("import") {
        rows.extend(crate::observatory::run(args, env, &raw, &observatory_db).await?);
    }
    if wanted("registrations") {
        rows.extend(crate::registrations::run(args, env, &client).await?);
    }
    if wanted("dashboard") {
        rows.extend(crate::dashboard::pages(args, env).await?);
    }
    // Last: its 100,000 new partners become as many events for the observatory to consume.
    if wanted("registry") {
        rows.extend(crate::registry::run(args, env, &raw).await?);
    }

    let memory = [&env.registry, &env.observatory, &env.activities]
        .iter()
        .zip(idle)
        .map(|(s, (idle_rss, _))| Memory {
            service: s.name.to_owned(),
            idle_rss_mib: idle_rss,
            peak_rss_mib: s.memory_mib().1,
        })
        .collect();
    Ok(Results { rows, memory })
}

async fn write(args: &Args, client: &PartnerRegistryClient<AuthChannel>, raw: &PgPool) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for concurrency in [1usize, 8, 32, 128] {
        let scenario = 100 + concurrency as u32;
        let c = client.clone();
        let platform = closed_loop(concurrency, args.duration, move |i| {
            let mut c = c.clone();
            async move {
                c.create_partner(request(scenario, i)).await?;
                Ok(())
            }
        })
        .await;
        let pool = raw.clone();
        let baseline = closed_loop(concurrency, args.duration, move |i| {
            let pool = pool.clone();
            async move {
                let r = request(scenario, i);
                sqlx::query(
                    "INSERT INTO raw_partners (id, name, siret, commune_code, departement_code, version, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 1, now())",
                )
                .bind(Uuid::now_v7())
                .bind(r.name)
                .bind(r.siret)
                .bind(&r.commune_code)
                .bind(&r.commune_code[..2])
                .execute(&pool)
                .await?;
                Ok(())
            }
        })
        .await;
        eprintln!(
            "write x{concurrency}: platform {:?} / raw {:?}",
            platform.rate_per_s, baseline.rate_per_s
        );
        rows.push(Row {
            scenario: format!("write, {concurrency} clients"),
            platform_path: "CreatePartner (gRPC, row + outbox event in one transaction, relay publishing)".into(),
            ratio_pct: ratio(&platform, &baseline),
            platform,
            baseline_path: "one-row INSERT + commit, same driver and pool size".into(),
            baseline: Some(baseline),
            target: if concurrency == 32 {
                "≥ 50 % of raw".into()
            } else {
                String::new()
            },
        });
    }
    Ok(rows)
}

async fn read(
    args: &Args,
    client: &PartnerRegistryClient<AuthChannel>,
    registry_db: &PgPool,
) -> anyhow::Result<Vec<Row>> {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM partners LIMIT 2000")
        .fetch_all(registry_db)
        .await?;
    anyhow::ensure!(!ids.is_empty(), "the write scenario created no partner");
    let ids = Arc::new(ids);
    let (c, i1) = (client.clone(), ids.clone());
    let platform = closed_loop(32, args.duration, move |i| {
        let (mut c, id) = (c.clone(), i1[(i as usize) % i1.len()]);
        async move {
            c.get_partner(GetPartnerRequest { id: id.to_string() }).await?;
            Ok(())
        }
    })
    .await;
    let (pool, i2) = (registry_db.clone(), ids.clone());
    let baseline = closed_loop(32, args.duration, move |i| {
        let (pool, id) = (pool.clone(), i2[(i as usize) % i2.len()]);
        async move {
            sqlx::query(
                "SELECT id, name, siret, commune_code, postal_code, version, created_at FROM partners WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await?;
            Ok(())
        }
    })
    .await;
    let half = (platform.rate_per_s / 2.0).max(1.0);
    let (c, i3) = (client.clone(), ids.clone());
    let at_half = open_loop(half, args.duration, crate::load::IN_FLIGHT, move |i| {
        let (mut c, id) = (c.clone(), i3[(i as usize) % i3.len()]);
        async move {
            c.get_partner(GetPartnerRequest { id: id.to_string() }).await?;
            Ok(())
        }
    })
    .await;
    eprintln!(
        "read: platform {} / raw {}; p99 at {half}/s: {} ms",
        platform.rate_per_s, baseline.rate_per_s, at_half.p99_ms
    );
    Ok(vec![
        Row {
            scenario: "read, 32 clients".into(),
            platform_path: "GetPartner (gRPC)".into(),
            ratio_pct: ratio(&platform, &baseline),
            platform,
            baseline_path: "the same SELECT by id, same driver and pool size".into(),
            baseline: Some(baseline),
            target: "≥ 60 % of raw".into(),
        },
        Row {
            scenario: format!("read at half the maximum rate ({half}/s, open loop)"),
            platform_path: "GetPartner (gRPC)".into(),
            platform: at_half,
            baseline_path: String::new(),
            baseline: None,
            ratio_pct: None,
            target: "p99 < 5 ms".into(),
        },
    ])
}

/// Commit-to-projection latencies of the partners whose SIRET starts with `scenario`'s digits.
async fn projection_latencies(
    scenario: u32,
    registry_db: &PgPool,
    observatory_db: &PgPool,
) -> anyhow::Result<(Vec<u64>, Duration)> {
    let prefix = format!("{scenario:03}%");
    let created: Vec<(Uuid, DateTime<Utc>)> = sqlx::query_as("SELECT id, created_at FROM partners WHERE siret LIKE $1")
        .bind(&prefix)
        .fetch_all(registry_db)
        .await?;
    let ids: Vec<Uuid> = created.iter().map(|(id, _)| *id).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let projected: HashMap<Uuid, DateTime<Utc>> = loop {
        let rows: Vec<(Uuid, DateTime<Utc>)> =
            sqlx::query_as("SELECT partner_id, updated_at FROM partner_projection WHERE partner_id = ANY($1)")
                .bind(&ids)
                .fetch_all(observatory_db)
                .await?;
        if rows.len() == ids.len() {
            break rows.into_iter().collect();
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{} of {} events projected after 120 s",
            rows.len(),
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let latencies: Vec<u64> = created
        .iter()
        .filter_map(|(id, at)| {
            projected
                .get(id)
                .map(|p| (*p - *at).num_microseconds().unwrap_or(0).max(0) as u64)
        })
        .collect();
    let first = created.iter().map(|(_, at)| *at).min().unwrap_or_default();
    let last = projected.values().max().copied().unwrap_or_default();
    Ok((latencies, (last - first).to_std().unwrap_or_default()))
}

async fn pipeline(
    args: &Args,
    env: &Environment,
    client: &PartnerRegistryClient<AuthChannel>,
    registry_db: &PgPool,
    observatory_db: &PgPool,
) -> anyhow::Result<Vec<Row>> {
    // Latency at a fixed 1,000 events per second.
    let c = client.clone();
    let sent = open_loop(1000.0, args.duration, crate::load::IN_FLIGHT, move |i| {
        let mut c = c.clone();
        async move {
            c.create_partner(request(900, i)).await?;
            Ok(())
        }
    })
    .await;
    let (latencies, span) = projection_latencies(900, registry_db, observatory_db).await?;
    let at_1000 = figures_of(&latencies, span);
    eprintln!(
        "pipeline at 1000/s: p50 {} ms, p99 {} ms ({} errors)",
        at_1000.p50_ms, at_1000.p99_ms, sent.errors
    );

    // Maximum sustained: writes as fast as 32 clients go, until the projection has caught up.
    let c = client.clone();
    closed_loop(32, args.duration, move |i| {
        let mut c = c.clone();
        async move {
            c.create_partner(request(901, i)).await?;
            Ok(())
        }
    })
    .await;
    let (latencies, span) = projection_latencies(901, registry_db, observatory_db).await?;
    let sustained = figures_of(&latencies, span);
    let baseline = raw_jetstream(env, latencies.len().max(5000), 120).await?;
    eprintln!(
        "pipeline sustained {} ev/s / raw JetStream {} msg/s",
        sustained.rate_per_s, baseline.rate_per_s
    );

    Ok(vec![
        Row {
            scenario: "event pipeline at 1,000 events/s (open loop)".into(),
            platform_path: "registry commit → outbox → relay → JetStream → observatory projection committed".into(),
            platform: at_1000,
            baseline_path: String::new(),
            baseline: None,
            ratio_pct: None,
            target: "p50 < 10 ms, p99 < 50 ms".into(),
        },
        Row {
            scenario: "event pipeline, maximum sustained".into(),
            platform_path: "first commit → last projection, writes from 32 clients".into(),
            ratio_pct: ratio(&sustained, &baseline),
            platform: sustained,
            baseline_path:
                "JetStream publish (async, acked) + durable pull consume with explicit acks, 120-byte payloads".into(),
            baseline: Some(baseline),
            target: "≥ 30 % of raw".into(),
        },
    ])
}

/// Raw JetStream: publish `n` messages with pipelined acks while a durable consumer acks them.
async fn raw_jetstream(env: &Environment, n: usize, payload_size: usize) -> anyhow::Result<Figures> {
    let client = async_nats::connect(env.nats_url.as_str()).await?;
    let js = jetstream::new(client);
    let name = format!("{}_RAW", env.stream);
    let subject = format!("{}raw.events", env.prefix);
    let stream = js
        .create_stream(stream::Config {
            name: name.clone(),
            subjects: vec![subject.clone()],
            ..Default::default()
        })
        .await?;
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some("raw".into()),
            ..Default::default()
        })
        .await?;
    let payload = Bytes::from(vec![b'x'; payload_size]);
    let start = Instant::now();
    let consume = tokio::spawn(async move {
        let mut messages = consumer.messages().await?;
        let mut seen = 0;
        while seen < n {
            let Some(m) = messages.next().await else { break };
            m.map_err(|e| anyhow::anyhow!("{e}"))?
                .ack()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            seen += 1;
        }
        anyhow::Ok(Instant::now())
    });
    let mut pending = Vec::with_capacity(512);
    for i in 0..n {
        pending.push(js.publish(subject.clone(), payload.clone()).await?);
        if pending.len() == 512 || i + 1 == n {
            for ack in pending.drain(..) {
                ack.await?;
            }
        }
    }
    let done = tokio::time::timeout(Duration::from_secs(120), consume).await???;
    let elapsed = done - start;
    let _ = js.delete_stream(&name).await;
    Ok(Figures {
        ops: n as u64,
        errors: 0,
        rate_per_s: (n as f64 / elapsed.as_secs_f64()).round(),
        p50_ms: 0.0,
        p99_ms: 0.0,
        max_ms: 0.0,
    })
}

pub fn markdown(machine: &Machine, results: &Results) -> String {
    let mut out = format!(
        "Machine: {} cores, {} GiB, {}; PostgreSQL {}, NATS {}; {}.\n\n\
         | scenario | platform rate /s | p50 ms | p99 ms | baseline rate /s | ratio | target |\n|---|---|---|---|---|---|---|\n",
        machine.cores, machine.memory_gib, machine.cpu, machine.postgres, machine.nats, machine.date
    );
    for r in &results.rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.platform.rate_per_s,
            r.platform.p50_ms,
            r.platform.p99_ms,
            r.baseline
                .as_ref()
                .map(|b| b.rate_per_s.to_string())
                .unwrap_or_else(|| "—".into()),
            r.ratio_pct.map(|p| format!("{p} %")).unwrap_or_else(|| "—".into()),
            r.target
        ));
    }
    out.push_str("\n| service | idle RSS MiB | peak RSS MiB | target |\n|---|---|---|---|\n");
    for m in &results.memory {
        out.push_str(&format!(
            "| {} | {} | {} | < 50 idle, < 200 under load |\n",
            m.service, m.idle_rss_mib, m.peak_rss_mib
        ));
    }
    out.push_str("\nPaths:\n");
    for r in &results.rows {
        out.push_str(&format!("- {}: {}", r.scenario, r.platform_path));
        if !r.baseline_path.is_empty() {
            out.push_str(&format!(" — baseline: {}", r.baseline_path));
        }
        out.push('\n');
    }
    out
}
