//! `essctl action …` and `essctl report …` against the running observatory: the commands staff
//! type, with their JSON output and the files written to disk.

use clap::Parser as _;
use essctl::cli::Cli;

use crate::{helpers::TestApp, reports::scenario};

async fn essctl(app: &TestApp, args: &[&str]) -> Result<serde_json::Value, String> {
    let url = format!("http://{}", app.addr);
    let token = platform::testing::token(platform::auth::Access::Staff);
    let argv = [
        "essctl",
        "--output",
        "json",
        "--token",
        token.expose(),
        "--observatory-url",
        &url,
    ]
    .into_iter()
    .chain(args.iter().copied());
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let out = essctl::run(&cli).await.map_err(|e| format!("{e:?}"))?;
    serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))
}

#[tokio::test]
async fn staff_record_an_action_follow_its_progress_and_write_a_report_to_disk() {
    let app = crate::helpers::spawn_app().await;
    scenario(&app).await;
    let created = essctl(
        &app,
        &[
            "action",
            "create",
            "--axis",
            "4",
            "--title",
            "Sensibiliser les scolaires",
            "--target",
            "activities_completed:40:2026-01-01:2026-12-31:kind=SENSIBILISATION:public=SCOLAIRES",
            "--target",
            "people_reached:300:2026-01-01:2026-12-31",
        ],
    )
    .await
    .unwrap();
    assert_eq!(created[0]["version"], 1);
    let progress = essctl(&app, &["action", "progress"]).await.unwrap();
    let achieved: Vec<f64> = progress
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["achieved"].as_f64().unwrap())
        .collect();
    assert_eq!(achieved, [1.0, 42.0]);
    let bad = essctl(
        &app,
        &[
            "action",
            "create",
            "--axis",
            "4",
            "--title",
            "x",
            "--target",
            "nothing:1:2026-01-01:2026-01-02",
        ],
    )
    .await
    .unwrap_err();
    assert!(bad.contains("unknown indicator"), "{bad}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let written = essctl(
        &app,
        &[
            "report",
            "render",
            "bilan-annuel",
            "--year",
            "2026",
            "--format",
            "csv",
            "--out",
            out,
        ],
    )
    .await
    .unwrap();
    let files: Vec<String> = written["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    assert!(files.len() >= 8, "{files:?}");
    let key = std::fs::read_to_string(dir.path().join("bilan-annuel-2026-chiffres-cles.csv")).unwrap();
    assert!(key.starts_with("\u{feff}Indicateur;2025;2026;Évolution (%)\r\n"));
    assert!(key.contains("Personnes touchées;20;42;110,0\r\n"), "{key}");

    let published = essctl(
        &app,
        &[
            "report",
            "publish",
            "point-avancement",
            "--from",
            "2026-01-01",
            "--to",
            "2026-06-30",
        ],
    )
    .await
    .unwrap();
    let id = published[0]["id"].as_str().unwrap().to_owned();
    let listed = essctl(&app, &["report", "list"]).await.unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    let got = essctl(&app, &["report", "get", &id, "--out", out]).await.unwrap();
    assert!(
        got["written"][0]
            .as_str()
            .unwrap()
            .ends_with("point-avancement-2026-01-01-2026-06-30.html")
    );

    // The public dashboard shows the plan's progress and the published report.
    let plan = crate::http::get(app.http_addr, "/plan").await;
    assert_eq!(plan.status, 200);
    let plan = plan.text();
    assert!(plan.contains("Sensibiliser les scolaires"), "{plan}");
    assert!(plan.contains("42 sur 300"), "the computed people reached: {plan}");
    let reports = crate::http::get(app.http_addr, "/rapports").await.text();
    assert!(reports.contains(&format!("href=\"/rapports/{id}\"")), "{reports}");
    let file = crate::http::get(app.http_addr, &format!("/rapports/{id}/fichiers/0")).await;
    assert_eq!(file.status, 200);
    assert!(file.text().starts_with("<!DOCTYPE html>"));
    let missing = crate::http::get(app.http_addr, &format!("/rapports/{id}/fichiers/9")).await;
    assert_eq!(missing.status, 404);
}
