//! `essctl activity …` against the running service: the commands an organiser types, from
//! creation to completion, with their JSON output.

use clap::Parser as _;
use essctl::cli::Cli;

use crate::helpers::{TestApp, spawn_app};

async fn essctl(app: &TestApp, args: &[&str]) -> Result<serde_json::Value, String> {
    let token = platform::testing::token(platform::auth::Access::Staff);
    let argv = [
        "essctl",
        "--token",
        token.expose(),
        "--output",
        "json",
        "--activities-url",
        &app.activities_url,
        "--registry-url",
        &app.registry_url,
    ]
    .into_iter()
    .chain(args.iter().copied());
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let out = essctl::run(&cli).await.map_err(|e| format!("{e:?}"))?;
    serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))
}

#[tokio::test]
async fn an_organiser_runs_an_activity_from_the_command_line() {
    let app = spawn_app().await;
    let coop = app.partner("Coopérative organisatrice").await;
    let created = essctl(
        &app,
        &[
            "activity",
            "create",
            "--title",
            "Atelier découverte de l'ESS",
            "--kind",
            "atelier",
            "--axis",
            "2",
            "--public",
            "scolaires",
            "--organiser",
            &coop,
            "--campaign",
            "Mois de l'ESS 2026",
            "--commune",
            "14118",
            "--address",
            "Lycée Malherbe",
            "--session",
            "2030-11-12T09:00/2030-11-12T11:00/2",
        ],
    )
    .await
    .unwrap();
    assert_eq!(created["status"], "draft");
    assert_eq!(
        created["sessions"][0]["start"], "2030-11-12T09:00:00+01:00",
        "Paris time round-trips"
    );
    assert_eq!(created["organisers"][0]["name"], "Coopérative organisatrice");
    let id = created["id"].as_str().unwrap().to_owned();
    let session = created["sessions"][0]["id"].as_str().unwrap().to_owned();

    let scheduled = essctl(&app, &["activity", "schedule", &id]).await.unwrap();
    assert_eq!(scheduled["status"], "scheduled");
    let mut ids = Vec::new();
    for n in 0..3 {
        let email = format!("eleve{n}@exemple.fr");
        let r = essctl(
            &app,
            &[
                "activity",
                "register",
                &session,
                "--name",
                "Élève",
                "--email",
                &email,
                "--public",
                "scolaires",
                "--sex",
                "f",
                "--age-band",
                "under-26",
                "--consent",
            ],
        )
        .await
        .unwrap();
        ids.push((
            r[0]["id"].as_str().unwrap().to_owned(),
            r[0]["status"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(
        ids.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>(),
        ["registered", "registered", "waitlisted"]
    );
    let cancelled = essctl(&app, &["activity", "cancel-registration", &ids[0].0])
        .await
        .unwrap();
    assert_eq!(
        cancelled[1]["id"],
        ids[2].0.as_str(),
        "the waitlisted person is promoted"
    );

    let checked = essctl(&app, &["activity", "check-in", &session, &ids[1].0, &ids[2].0])
        .await
        .unwrap();
    assert_eq!(checked.as_array().unwrap().len(), 2);
    let listed = essctl(&app, &["activity", "list", "--campaign", "Mois de l'ESS 2026"])
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], id.as_str());

    let missing_consent = essctl(
        &app,
        &[
            "activity",
            "register",
            &session,
            "--name",
            "X",
            "--email",
            "x@exemple.fr",
            "--public",
            "scolaires",
        ],
    )
    .await
    .unwrap_err();
    assert!(missing_consent.contains("consent"), "{missing_consent}");
}
