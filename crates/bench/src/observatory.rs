//! The observatory's scenarios: a SIRENE stock import (one million establishments, synthetic but
//! shaped like INSEE's files, over the real communes and NAF codes of the reference data) against
//! `COPY` of the same file, then indicator cube queries with statistical confidentiality against
//! the same aggregation in plain SQL.

use std::{
    io::{BufWriter, Write as _},
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use ess_proto::observatory::v1::{
    DatasetHeader, Dimension, ImportDatasetRequest, QueryIndicatorsRequest, TerritoryLevel,
    import_dataset_request::Part, import_dataset_response::Event, observatory_client::ObservatoryClient,
};
use futures::StreamExt as _;
use platform::grpc::AuthChannel;
use sqlx::PgPool;
use tonic::transport::Endpoint;
use uuid::Uuid;

use crate::{
    Args,
    load::closed_loop,
    scenarios::Row,
    services::Environment,
    stock::{CHUNK, COMMUNES_CSV, NAF_CSV, column, copy_baseline, whole},
};

/// Size of the generated establishments file (issue 9: one million rows).
const ESTABLISHMENTS: u64 = 1_000_000;
/// Legal units: a fifth as many, so units have several establishments as in the real stock.
const UNITS: u64 = ESTABLISHMENTS / 5;
const EDITION: &str = "2025-01";
const YEAR: i32 = 2025;

/// Legal categories with the ESS flag they carry: associations, a foundation, mutuals, a SCOP, a
/// commercial company with the ESS flag, and a commercial company outside the ESS.
const CATEGORIES: [(&str, &str); 8] = [
    ("9220", ""),
    ("9220", ""),
    ("9220", ""),
    ("9300", ""),
    ("8210", ""),
    ("5458", "O"),
    ("5710", "O"),
    ("5710", "N"),
];
const BANDS: [&str; 9] = ["NN", "00", "01", "02", "03", "11", "12", "21", "22"];

/// A small deterministic generator (xorshift), so every run imports the same files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Writes `StockUniteLegale` and `StockEtablissement` files under `dir`.
fn generate(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let communes = column(COMMUNES_CSV, 0);
    let nafs = column(NAF_CSV, 0);
    anyhow::ensure!(!communes.is_empty() && !nafs.is_empty(), "reference data missing");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    let units_path = dir.join("StockUniteLegale.csv");
    let mut units = BufWriter::new(std::fs::File::create(&units_path)?);
    writeln!(
        units,
        "siren,denominationUniteLegale,categorieJuridiqueUniteLegale,economieSocialeSolidaireUniteLegale"
    )?;
    for u in 0..UNITS {
        let (category, flag) = rng.pick(&CATEGORIES);
        writeln!(units, "{:09},Unité de mesure {u},{category},{flag}", 100_000_000 + u)?;
    }
    units.flush()?;

    let establishments_path = dir.join("StockEtablissement.csv");
    let mut out = BufWriter::new(std::fs::File::create(&establishments_path)?);
    writeln!(
        out,
        "siren,nic,siret,etatAdministratifEtablissement,codeCommuneEtablissement,activitePrincipaleEtablissement,trancheEffectifsEtablissement"
    )?;
    for e in 0..ESTABLISHMENTS {
        let siren = 100_000_000 + e % UNITS;
        let nic = e / UNITS + 1;
        let state = if rng.next().is_multiple_of(20) { "F" } else { "A" };
        writeln!(
            out,
            "{siren:09},{nic:05},{siren:09}{nic:05},{state},{},{},{}",
            rng.pick(&communes),
            rng.pick(&nafs),
            rng.pick(&BANDS)
        )?;
    }
    out.flush()?;
    Ok((units_path, establishments_path))
}

/// Streams one file through `ImportDataset` and waits for its report. Returns the elapsed time.
async fn import(client: &ObservatoryClient<AuthChannel>, source: &str, path: &Path) -> anyhow::Result<Duration> {
    let bytes = tokio::fs::read(path).await?;
    let mut requests = vec![ImportDatasetRequest {
        part: Some(Part::Header(DatasetHeader {
            source: source.into(),
            edition: EDITION.into(),
            size_bytes: bytes.len() as i64,
        })),
    }];
    requests.extend(bytes.chunks(CHUNK).map(|c| ImportDatasetRequest {
        part: Some(Part::Chunk(c.to_vec())),
    }));
    let started = Instant::now();
    let mut responses = client
        .clone()
        .import_dataset(futures::stream::iter(requests))
        .await
        .with_context(|| format!("importing {source}"))?
        .into_inner();
    while let Some(response) = responses.next().await {
        if let Some(Event::Report(_)) = response?.event {
            return Ok(started.elapsed());
        }
    }
    anyhow::bail!("the {source} import ended without a report")
}

/// One cube query: its gRPC form and the same aggregation in SQL (as `store::cube` builds it).
struct CubeQuery {
    name: &'static str,
    request: QueryIndicatorsRequest,
    sql: &'static str,
    codes: Vec<String>,
}

fn cube_queries(communes: &[&str]) -> Vec<CubeQuery> {
    let request =
        |rows: Dimension, columns: Dimension, level: TerritoryLevel, codes: &[String]| QueryIndicatorsRequest {
            year: YEAR,
            rows: rows as i32,
            columns: columns as i32,
            territory_level: level as i32,
            territory_codes: codes.to_vec(),
            source: "sirene-etablissements".into(),
            ..Default::default()
        };
    let some_communes: Vec<String> = communes.iter().step_by(97).map(|c| (*c).to_owned()).collect();
    let sums = "sum(establishments)::bigint, sum(employees)::text, sum(payroll)::text, \
                CASE WHEN bool_and(largest_employees IS NOT NULL) THEN max(largest_employees)::text END";
    vec![
        CubeQuery {
            name: "département × famille",
            request: request(
                Dimension::Territory,
                Dimension::Family,
                TerritoryLevel::Departement,
                &[],
            ),
            sql: leak(format!(
                "SELECT departement, family, {sums} FROM facts WHERE dataset_id = $1 AND year = $2 \
                 AND departement IS NOT NULL AND family IS NOT NULL \
                 AND (cardinality($3::text[]) = 0 OR departement = ANY($3)) GROUP BY 1, 2"
            )),
            codes: vec![],
        },
        CubeQuery {
            name: "EPCI × famille",
            request: request(Dimension::Territory, Dimension::Family, TerritoryLevel::Epci, &[]),
            sql: leak(format!(
                "SELECT epci, family, {sums} FROM facts WHERE dataset_id = $1 AND year = $2 \
                 AND epci IS NOT NULL AND family IS NOT NULL \
                 AND (cardinality($3::text[]) = 0 OR epci = ANY($3)) GROUP BY 1, 2"
            )),
            codes: vec![],
        },
        CubeQuery {
            name: "section NAF × famille, région",
            request: request(Dimension::NafSection, Dimension::Family, TerritoryLevel::Region, &[]),
            sql: leak(format!(
                "SELECT naf_section, family, {sums} FROM facts WHERE dataset_id = $1 AND year = $2 \
                 AND naf_section IS NOT NULL AND region IS NOT NULL AND family IS NOT NULL \
                 AND (cardinality($3::text[]) = 0 OR region = ANY($3)) GROUP BY 1, 2"
            )),
            codes: vec![],
        },
        CubeQuery {
            name: "communes choisies × NA88",
            request: request(
                Dimension::Territory,
                Dimension::SectorNa88,
                TerritoryLevel::Commune,
                &some_communes,
            ),
            sql: leak(format!(
                "SELECT commune, na88, {sums} FROM facts WHERE dataset_id = $1 AND year = $2 \
                 AND commune IS NOT NULL AND na88 IS NOT NULL \
                 AND (cardinality($3::text[]) = 0 OR commune = ANY($3)) GROUP BY 1, 2"
            )),
            codes: some_communes,
        },
    ]
}

/// sqlx 0.9 wants `&'static str` for a query; the four statements live for the whole run.
fn leak(sql: String) -> &'static str {
    Box::leak(sql.into_boxed_str())
}

/// Import and indicator rows.
pub async fn run(args: &Args, env: &Environment, raw: &PgPool, observatory_db: &PgPool) -> anyhow::Result<Vec<Row>> {
    let dir = args.out.join("sirene");
    let started = Instant::now();
    let (units_path, establishments_path) = tokio::task::spawn_blocking(move || generate(&dir)).await??;
    eprintln!("sirene files generated in {:.1} s", started.elapsed().as_secs_f64());

    let channel = Endpoint::from_shared(env.observatory.url.clone())?
        .connect()
        .await
        .context("observatory")?;
    let client = ObservatoryClient::new(platform::grpc::with_token(channel, &env.token))
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024);

    let units_time = import(&client, "sirene-unites-legales", &units_path).await?;
    let import_time = import(&client, "sirene-etablissements", &establishments_path).await?;
    let copy_time = copy_baseline(raw, "raw_etablissements", 7, &establishments_path).await?;
    let platform = whole(ESTABLISHMENTS, import_time);
    let baseline = whole(ESTABLISHMENTS, copy_time);
    eprintln!(
        "import: units {:.1} s; establishments {:.1} s ({} rows/s) / COPY {:.1} s ({} rows/s)",
        units_time.as_secs_f64(),
        import_time.as_secs_f64(),
        platform.rate_per_s,
        copy_time.as_secs_f64(),
        baseline.rate_per_s
    );
    let mut rows = vec![Row {
        scenario: "import, SIRENE establishments (1,000,000 rows)".into(),
        platform_path: "ImportDataset stream: parse, perimeter, join to the legal units and sum in memory, COPY of \
                        the facts, rollup, atomic replace, ANALYZE"
            .into(),
        ratio_pct: crate::scenarios::ratio(&platform, &baseline),
        platform,
        baseline_path: "COPY of the same CSV file into a table of text columns".into(),
        baseline: Some(baseline),
        target: "≥ 50 % of COPY; ≥ 100,000 rows/s".into(),
    }];

    let dataset_id: Uuid =
        sqlx::query_scalar("SELECT id FROM datasets WHERE source = 'sirene-etablissements' AND edition = $1")
            .bind(EDITION)
            .fetch_one(observatory_db)
            .await
            .context("the imported dataset")?;
    let facts: i64 = sqlx::query_scalar("SELECT count(*) FROM facts WHERE dataset_id = $1")
        .bind(dataset_id)
        .fetch_one(observatory_db)
        .await?;
    let communes = column(COMMUNES_CSV, 0);
    let queries = Arc::new(cube_queries(&communes));
    let (c, q1) = (client.clone(), queries.clone());
    let platform = closed_loop(8, args.duration, move |i| {
        let (mut c, q) = (c.clone(), q1.clone());
        async move {
            let query = &q[(i as usize) % q.len()];
            c.query_indicators(query.request.clone()).await?;
            Ok(())
        }
    })
    .await;
    let (pool, q2) = (observatory_db.clone(), queries.clone());
    let baseline = closed_loop(8, args.duration, move |i| {
        let (pool, q) = (pool.clone(), q2.clone());
        async move {
            let query = &q[(i as usize) % q.len()];
            sqlx::query(query.sql)
                .bind(dataset_id)
                .bind(YEAR)
                .bind(&query.codes)
                .fetch_all(&pool)
                .await?;
            Ok(())
        }
    })
    .await;
    let names: Vec<&str> = queries.iter().map(|q| q.name).collect();
    eprintln!(
        "indicators over {facts} facts: platform {} /s p99 {} ms / SQL {} /s p99 {} ms",
        platform.rate_per_s, platform.p99_ms, baseline.rate_per_s, baseline.p99_ms
    );
    rows.push(Row {
        scenario: format!("indicators, 8 clients, cube of 1 M establishments ({facts} facts)"),
        platform_path: format!(
            "QueryIndicators with confidentiality (primary + secondary suppression; computed tables cached \
             per dataset import, so after the first round the cache answers), in turn: {}",
            names.join(", ")
        ),
        ratio_pct: crate::scenarios::ratio(&platform, &baseline),
        platform,
        baseline_path: "the same GROUP BY on the facts table, same driver".into(),
        baseline: Some(baseline),
        target: "p99 < 50 ms".into(),
    });
    Ok(rows)
}
