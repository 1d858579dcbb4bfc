//! The public dashboard's territory page, served by the observatory over HTTP: how many pages per
//! second and how fast, against the public `QueryIndicators` call that answers its key figures
//! (the page makes that query and a few more, then renders HTML and SVG).

use anyhow::Context as _;
use ess_proto::observatory::v1::{
    DatasetHeader, Dimension, ImportDatasetRequest, QueryIndicatorsRequest, TerritoryLevel,
    import_dataset_request::Part, observatory_client::ObservatoryClient,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tonic::transport::Endpoint;

use crate::{
    Args,
    load::closed_loop,
    scenarios::{Row, ratio},
    services::Environment,
};

const ESS: &[u8] = include_bytes!("../../observatory/tests/api/fixtures/ess_departement_2023.csv");
const PRIVATE: &[u8] = include_bytes!("../../observatory/tests/api/fixtures/prive_departement_2023.csv");
const PAGE: &str = "/territoires/departement/14";
/// Concurrent browsers.
const CLIENTS: usize = 8;

/// One GET over a fresh connection (as a browser opening the page); fails unless 200.
async fn get(addr: &str, path: &str) -> anyhow::Result<()> {
    let mut socket = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await?;
    let mut raw = Vec::with_capacity(32 * 1024);
    socket.read_to_end(&mut raw).await?;
    anyhow::ensure!(raw.starts_with(b"HTTP/1.1 200"), "the page did not answer 200");
    Ok(())
}

pub async fn pages(args: &Args, env: &Environment) -> anyhow::Result<Vec<Row>> {
    let channel = Endpoint::from_shared(env.observatory.url.clone())?
        .connect()
        .await
        .context("observatory")?;
    let client = ObservatoryClient::new(platform::grpc::with_token(channel, &env.token));
    for (source, file) in [("urssaf-ess-departement", ESS), ("urssaf-prive-departement", PRIVATE)] {
        let messages = vec![
            ImportDatasetRequest {
                part: Some(Part::Header(DatasetHeader {
                    source: source.into(),
                    edition: "2024".into(),
                    size_bytes: file.len() as i64,
                })),
            },
            ImportDatasetRequest {
                part: Some(Part::Chunk(file.to_vec())),
            },
        ];
        let mut answers = client
            .clone()
            .import_dataset(futures::stream::iter(messages))
            .await?
            .into_inner();
        while answers.message().await?.is_some() {}
    }
    let addr = env.dashboard_addr.clone();
    get(&addr, PAGE).await.context("the dashboard page before measuring")?;
    let platform = closed_loop(CLIENTS, args.duration, move |_| {
        let addr = addr.clone();
        async move { get(&addr, PAGE).await }
    })
    .await;
    let baseline = closed_loop(CLIENTS, args.duration, move |_| {
        let mut c = client.clone();
        async move {
            c.query_indicators(QueryIndicatorsRequest {
                year: 2023,
                rows: Dimension::Territory as i32,
                columns: Dimension::Family as i32,
                territory_level: TerritoryLevel::Departement as i32,
                territory_codes: vec!["14".into()],
                compare_year: 0,
                ..Default::default()
            })
            .await?;
            Ok(())
        }
    })
    .await;
    eprintln!(
        "dashboard: {} pages/s (p99 {} ms) / QueryIndicators {} /s",
        platform.rate_per_s, platform.p99_ms, baseline.rate_per_s
    );
    Ok(vec![Row {
        scenario: format!("dashboard territory page, {CLIENTS} clients"),
        platform_path: format!("GET {PAGE} (HTTP, HTML + SVG)"),
        ratio_pct: ratio(&platform, &baseline),
        platform,
        baseline_path: "QueryIndicators of its key figures (gRPC), one of the page's queries".into(),
        baseline: Some(baseline),
        target: "p99 < 100 ms".into(),
    }])
}
