//! `essctl resource` against the real observatory binary: a file published from disk is listed,
//! downloaded back byte for byte, offered on the dashboard; a mistyped file is refused with the
//! field named and a failing exit status.

use std::{collections::HashMap, path::Path, process::Output};

use ess_e2e::binaries::{RunningService, binary};
use platform::testing::{TestDatabase, TestStream, nats_url};

async fn essctl(observatory: &RunningService, args: &[&str]) -> Output {
    tokio::process::Command::new(binary("essctl"))
        .env_clear()
        .env(
            "ESS_TOKEN",
            platform::testing::token(platform::auth::Access::Staff).expose(),
        )
        .arg("--observatory-url")
        .arg(observatory.url())
        .args(args)
        .output()
        .await
        .expect("run essctl")
}

fn publish_args<'a>(file: &'a str, title: &'a str) -> Vec<&'a str> {
    vec![
        "resource",
        "publish",
        "--file",
        file,
        "--kind",
        "note-statistique",
        "--title",
        title,
        "--axis",
        "3",
        "--theme",
        "Emploi",
        "--territory-level",
        "ancienne-region",
        "--territory",
        "25",
        "--date",
        "2026-02-01",
        "--author",
        "DREETS Normandie",
    ]
}

#[tokio::test]
async fn a_resource_published_with_essctl_is_listed_and_downloads_back_byte_for_byte() {
    let stream = TestStream::new(&nats_url());
    let db = TestDatabase::create("observatory").await;
    let env = HashMap::from([
        ("DATABASE_URL", db.url.clone()),
        ("NATS_URL", stream.nats.url.clone()),
        ("ESS_STREAM", stream.nats.stream.clone()),
        ("ESS_SUBJECT_PREFIX", stream.nats.subject_prefix.clone()),
        ("RUST_LOG", "warn".into()),
    ]);
    let observatory = RunningService::start("observatory", &env).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("emploi-2025.csv");
    std::fs::write(&csv, "département;salariés\nCalvados;20537,5\n").unwrap();
    let csv_path = csv.to_str().unwrap();

    let published = essctl(&observatory, &publish_args(csv_path, "Note sur l'emploi")).await;
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );
    let shown = String::from_utf8(published.stdout).unwrap();
    let field = |name: &str| {
        shown
            .lines()
            .find_map(|l| l.strip_prefix(name).filter(|rest| rest.starts_with(' ')))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_else(|| panic!("no {name} in {shown}"))
    };
    let id = field("id");
    assert_eq!(
        field("file"),
        format!(
            "emploi-2025.csv (text/csv, {} bytes)",
            std::fs::metadata(&csv).unwrap().len()
        )
    );

    let listed = essctl(&observatory, &["resource", "list", "--text", "NOTE emploi"]).await;
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&id));

    let out = dir.path().join("copie.csv");
    let downloaded = essctl(
        &observatory,
        &["resource", "download", &id, "--out", out.to_str().unwrap()],
    )
    .await;
    assert!(
        downloaded.status.success(),
        "{}",
        String::from_utf8_lossy(&downloaded.stderr)
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&csv).unwrap());
    assert!(String::from_utf8_lossy(&downloaded.stdout).contains("copie.csv"));

    let fake = dir.path().join("faux.pdf");
    std::fs::write(&fake, b"not a pdf at all").unwrap();
    let refused = essctl(&observatory, &publish_args(fake.to_str().unwrap(), "Faux PDF")).await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("INVALID_ARGUMENT") && stderr.contains("description.content_type"),
        "{stderr}"
    );
    let listed = essctl(&observatory, &["resource", "list"]).await;
    let rows = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(
        rows.lines().count(),
        2,
        "a header and one resource: the refused file left nothing\n{rows}"
    );
    assert!(Path::new(&out).exists());
}
