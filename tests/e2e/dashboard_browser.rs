//! The public dashboard in a real browser: the observatory binary runs with a dataset imported,
//! headless Chromium (Debian's `chromium`, installed by `.ci/run`) renders a territory page, and
//! the rendered DOM must hold the SVG charts and exactly the figures the public `QueryIndicators`
//! returns, with no suppressed value anywhere. A screenshot lands in `target/screenshots/`.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use ess_e2e::binaries::RunningService;
use ess_proto::observatory::v1::{
    DatasetHeader, ImportDatasetRequest, QueryIndicatorsResponse, import_dataset_request::Part,
    observatory_client::ObservatoryClient,
};
use observatory::{
    domain::territory::TerritoryLevel,
    web::{layout::french_decimal, territory::key_figures_request},
};
use platform::testing::{TestDatabase, TestStream, nats_url, poll_until};
use tokio::process::Command;
use tonic::transport::Channel;

const ESS: &[u8] = include_bytes!("../../crates/observatory/tests/api/fixtures/ess_departement_2023.csv");
const PRIVATE: &[u8] = include_bytes!("../../crates/observatory/tests/api/fixtures/prive_departement_2023.csv");

/// The flags the brief fixes: no sandbox (CI runs as root), nothing fetched but our page.
fn chromium(profile: &std::path::Path) -> Command {
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stdin(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .kill_on_drop(true);
    cmd
}

async fn run(mut cmd: Command) -> Vec<u8> {
    let output = tokio::time::timeout(Duration::from_secs(90), cmd.output())
        .await
        .expect("chromium answers within 90 s")
        .unwrap_or_else(|e| {
            panic!(
                "cannot run chromium ({e}): install Debian's package (`apt-get install -y chromium`, as .ci/run does)"
            )
        });
    assert!(output.status.success(), "chromium failed: {:?}", output.status);
    output.stdout
}

async fn import(client: &mut ObservatoryClient<platform::grpc::AuthChannel>, source: &str, file: &[u8]) {
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
    let mut stream = client
        .import_dataset(futures::stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    while stream.message().await.unwrap().is_some() {}
}

/// The text of the element carrying `data-cle="key"` in the rendered DOM.
fn cell_text(dom: &str, key: &str) -> String {
    let at = dom
        .find(&format!("data-cle=\"{key}\""))
        .unwrap_or_else(|| panic!("no element {key} on screen"));
    let start = at + dom[at..].find('>').unwrap() + 1;
    let end = start + dom[start..].find('<').unwrap();
    dom[start..end].to_owned()
}

fn cell_of(t: &QueryIndicatorsResponse, r: usize, c: usize) -> &ess_proto::observatory::v1::Cell {
    t.cells
        .iter()
        .find(|x| x.row as usize == r && x.column as usize == c)
        .unwrap()
}

#[tokio::test]
async fn chromium_renders_a_territory_page_with_its_charts_and_the_public_figures_only() {
    let stream = TestStream::new(&nats_url());
    let db = TestDatabase::create("observatory").await;
    let env = HashMap::from([
        ("DATABASE_URL", db.url.clone()),
        ("NATS_URL", stream.nats.url.clone()),
        ("ESS_STREAM", stream.nats.stream.clone()),
        ("ESS_SUBJECT_PREFIX", stream.nats.subject_prefix.clone()),
        ("RUST_LOG", "warn".into()),
    ]);
    let service = RunningService::start("observatory", &env).await;
    let channel = Channel::from_shared(service.url()).unwrap().connect().await.unwrap();
    let mut client = ObservatoryClient::new(platform::testing::admin(channel));
    import(&mut client, "urssaf-ess-departement", ESS).await;
    import(&mut client, "urssaf-prive-departement", PRIVATE).await;
    let http_addr = service.http_addr.clone();
    poll_until(Duration::from_secs(30), "the dashboard to listen", || {
        let addr = http_addr.clone();
        async move { tokio::net::TcpStream::connect(addr).await.ok().map(|_| ()) }
    })
    .await;
    let request = key_figures_request(TerritoryLevel::Departement, "50", 2023, 0);
    let public = client.query_indicators(request.clone()).await.unwrap().into_inner();
    let staff = client
        .query_indicators_unsuppressed(request)
        .await
        .unwrap()
        .into_inner();

    let url = format!("http://{}/territoires/departement/50", service.http_addr);
    let profile = tempfile::tempdir().unwrap();
    let mut dump = chromium(profile.path());
    dump.arg("--dump-dom").arg(&url);
    let dom = String::from_utf8(run(dump).await).unwrap();

    assert!(dom.contains("<h1>Manche (département)</h1>"), "{dom}");
    let svgs = dom.matches("<svg").count();
    assert!(svgs >= 1, "a chart is rendered");
    assert_eq!(
        dom.matches("role=\"img\"").count(),
        svgs,
        "every chart is an image with a title"
    );
    assert!(dom.contains("<rect"), "the bar chart has bars");
    let r = public.rows.iter().position(|h| h.code == "50").unwrap();
    let mut shown = 0;
    for (c, heading) in public.columns.iter().enumerate() {
        let key = if heading.total {
            "ensemble".to_owned()
        } else {
            heading.code.clone()
        };
        match &cell_of(&public, r, c).figures {
            Some(f) => {
                assert_eq!(
                    cell_text(&dom, &format!("{key}:salaries")),
                    french_decimal(&f.employees)
                );
                assert_eq!(cell_text(&dom, &format!("{key}:masse")), french_decimal(&f.payroll));
                assert_eq!(
                    cell_text(&dom, &format!("{key}:etablissements")),
                    french_decimal(&f.establishments.to_string())
                );
                shown += 1;
            }
            None => {
                assert_eq!(cell_text(&dom, &format!("{key}:salaries")), "secret statistique");
                let hidden = cell_of(&staff, r, c).figures.clone().unwrap();
                for value in [&hidden.payroll, &hidden.employees] {
                    assert!(
                        !dom.contains(&format!(">{}<", french_decimal(value)))
                            && !dom.contains(&french_decimal(&hidden.payroll)),
                        "the suppressed value of {key} appears on screen"
                    );
                }
            }
        }
    }
    assert!(shown >= 1, "some figures are public");
    assert!(
        dom.contains("secret statistique"),
        "the fixture has a secret cell in Manche"
    );

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dashboard-departement-50.png");
    let _ = std::fs::remove_file(&file);
    let mut shot = chromium(profile.path());
    shot.arg(format!("--screenshot={}", file.display()))
        .arg("--window-size=1280,2400")
        .arg(&url)
        .stdout(std::process::Stdio::null());
    run(shot).await;
    let png = std::fs::read(&file).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot at {}", file.display());
    service.stop().await;
}
