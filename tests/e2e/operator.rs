//! The operator commands of `essctl` against the real services: `events tail` decodes what a
//! service published, `doctor` notices a stopped service, `seed demo` converges, and dead letters
//! go round `dlq list` → fix → `dlq replay`.

use std::time::Duration;

use platform::testing::poll_until;
use serde_json::Value;

use crate::cluster::Cluster;

const ORNE_SIRET: &str = "73282932000074";

#[tokio::test]
async fn events_tail_prints_a_registered_partner_decoded_from_protobuf() {
    let cluster = Cluster::start(None).await;
    let created = cluster
        .essctl_json(&[
            "partner",
            "create",
            "--name",
            "Coopérative du tail (démo)",
            "--siret",
            ORNE_SIRET,
            "--commune",
            "14118",
        ])
        .await;
    let id = created["id"].as_str().expect("an id").to_owned();

    // The relay publishes after the commit: wait until the event is in the stream.
    let line = poll_until(
        Duration::from_secs(20),
        "the PartnerRegistered event in the stream",
        || {
            let cluster = &cluster;
            let id = id.clone();
            async move {
                let out = cluster
                    .essctl_ok(&["--output", "json", "events", "tail", "--type", "PartnerRegistered"])
                    .await;
                out.lines().find(|l| l.contains(&id)).map(str::to_owned)
            }
        },
    )
    .await;
    let event: Value = serde_json::from_str(&line).expect("one JSON object per line");
    assert_eq!(event["event_type"], "ess.events.v1.PartnerRegistered");
    assert_eq!(
        event["subject"],
        format!("{}.registry.partner.registered", cluster.stream.nats.subject_prefix)
    );
    assert_eq!(event["payload"]["partnerId"], id.as_str());
    assert_eq!(event["payload"]["communeCode"], "14118");
    assert_eq!(event["payload"]["meta"]["aggregateVersion"], "1");
    assert!(event["error"].is_null());

    // Filters: another type prints nothing; a subject filter outside the registry neither.
    let other = cluster
        .essctl_ok(&["events", "tail", "--type", "ActivityCompleted"])
        .await;
    assert!(other.is_empty(), "{other}");
    let observatory = cluster
        .essctl_ok(&["events", "tail", "--subject-filter", "activities.>"])
        .await;
    assert!(observatory.is_empty(), "{observatory}");
}

#[tokio::test]
async fn doctor_says_everything_answers_then_names_a_stopped_service_and_what_to_check() {
    let mut cluster = Cluster::start(None).await;
    // The durable consumers appear once each service has started its consumers.
    poll_until(Duration::from_secs(20), "doctor to report everything healthy", || {
        let cluster = &cluster;
        async move { cluster.essctl(&["doctor"]).await.status.success().then_some(()) }
    })
    .await;
    let healthy = cluster.essctl_json(&["doctor"]).await;
    assert_eq!(healthy["healthy"], true);
    let names: Vec<&str> = healthy["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for expected in [
        "registry",
        "activities",
        "observatory",
        "nats",
        "consumer observatory-registry",
        "consumer observatory-activities",
        "consumer activities-registry",
        "dead letters",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }

    cluster.activities.kill().await;
    let out = cluster.essctl(&["doctor"]).await;
    assert_eq!(out.status.code(), Some(1), "a stopped service is a failure");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("FAIL  activities"))
        .unwrap_or_else(|| panic!("no FAIL line for activities in:\n{text}"));
    assert!(line.contains(&cluster.activities.url()), "{line}");
    assert!(
        text.contains("check ACTIVITIES_URL"),
        "the hint names the setting:\n{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("ok    registry")),
        "the others are still fine:\n{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("check(s) failed"));
}

#[tokio::test]
async fn seeding_the_demo_twice_creates_nothing_the_second_time() {
    let cluster = Cluster::start(None).await;
    let args = ["seed", "demo", "--seed", "42", "--partners", "25"];
    let first = cluster.essctl_json(&args).await;
    let second = cluster.essctl_json(&args).await;

    let kinds = [
        "partners",
        "memberships",
        "affiliations",
        "ptces",
        "ptce_members",
        "initiatives",
        "stage_changes",
        "activities",
        "completed",
        "registrations",
        "practices",
        "datasets",
        "actions",
        "reports",
    ];
    for kind in kinds {
        assert!(first[kind]["total"].as_u64().unwrap() > 0, "{kind}: {first}");
        assert_eq!(first[kind]["created"], first[kind]["total"], "{kind}: a fresh start");
        assert_eq!(second[kind]["total"], first[kind]["total"], "{kind}: same demo");
        assert_eq!(second[kind]["created"], 0, "{kind}: nothing duplicated");
    }
    assert_eq!(first["partners"]["total"], 25);

    // What the services hold agrees with the report.
    let partners = cluster
        .essctl_json(&["partner", "list", "--query", "démo", "--page-size", "200"])
        .await;
    let listed = partners["partners"].as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(listed, 25, "{partners}");
    let activities = cluster.essctl_json(&["activity", "list"]).await;
    let listed = activities.as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(Some(listed as u64), first["activities"]["total"].as_u64());
    let datasets = cluster.essctl_json(&["stats", "datasets"]).await;
    let editions: Vec<&str> = datasets
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|d| d["edition"].as_str())
        .collect();
    assert_eq!(editions, ["demo-synthetique", "demo-synthetique"], "{datasets}");
    // The action plan's progress is computed from the rest of the demo.
    let progress = cluster.essctl_json(&["action", "progress"]).await;
    let targets = progress.as_array().expect("a list");
    assert_eq!(targets.len(), 9, "{progress}");
    assert!(
        targets.iter().all(|t| t["achieved"].as_f64().is_some_and(|a| a > 0.0)),
        "every target of the demo plan has made progress: {progress}"
    );
    let reports = cluster.essctl_json(&["report", "list"]).await;
    assert_eq!(reports.as_array().map(Vec::len), Some(1), "{reports}");
}

#[tokio::test]
async fn a_poisoned_event_is_listed_then_replayed_once_the_cause_is_fixed() {
    let cluster = Cluster::start(None).await;
    let observatory_db = sqlx::PgPool::connect(&cluster.dbs[2].url).await.unwrap();
    // The "bug": the observatory cannot store partners of the Orne until a fix is deployed.
    sqlx::raw_sql("ALTER TABLE partner_projection ADD CONSTRAINT fault_no_orne CHECK (departement_code <> '61')")
        .execute(&observatory_db)
        .await
        .unwrap();
    let partner = cluster
        .essctl_json(&[
            "partner",
            "create",
            "--name",
            "Association d'Alençon (démo)",
            "--siret",
            ORNE_SIRET,
            "--commune",
            "61001",
        ])
        .await;
    let id = partner["id"].as_str().expect("an id").to_owned();

    let letters = poll_until(Duration::from_secs(60), "the Orne partner dead-lettered", || {
        let cluster = &cluster;
        async move {
            let v = cluster.essctl_json(&["dlq", "list"]).await;
            (v.as_array()?.len() == 1).then_some(v)
        }
    })
    .await;
    let letter = &letters[0];
    assert_eq!(letter["service"], "observatory");
    assert_eq!(letter["consumer"], "observatory-registry");
    assert_eq!(letter["event_type"], "ess.events.v1.PartnerRegistered");
    assert!(letter["reason"].as_str().unwrap().contains("fault_no_orne"), "{letter}");
    let table = cluster
        .essctl_ok(&["dlq", "list", "--consumer", "observatory-registry"])
        .await;
    assert!(
        table.contains("observatory-registry") && table.contains("PartnerRegistered"),
        "{table}"
    );
    let none = cluster.essctl_json(&["dlq", "list", "--service", "activities"]).await;
    assert_eq!(none.as_array().map(Vec::len), Some(0));

    // The fix, then the replay of that one sequence.
    sqlx::raw_sql("ALTER TABLE partner_projection DROP CONSTRAINT fault_no_orne")
        .execute(&observatory_db)
        .await
        .unwrap();
    let sequence = letter["sequence"].as_u64().expect("a sequence").to_string();
    let replayed = cluster
        .essctl_json(&["dlq", "replay", "--consumer", "observatory-registry", &sequence])
        .await;
    assert_eq!(replayed["replayed"], serde_json::json!([letter["sequence"]]));

    poll_until(
        Duration::from_secs(20),
        "the replayed partner in the observatory",
        || {
            let db = &observatory_db;
            let id = id.clone();
            async move {
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM partner_projection WHERE partner_id::text = $1")
                    .bind(&id)
                    .fetch_one(db)
                    .await
                    .ok()?;
                (n == 1).then_some(())
            }
        },
    )
    .await;
    let left = cluster.essctl_json(&["dlq", "list"]).await;
    assert_eq!(
        left.as_array().map(Vec::len),
        Some(0),
        "replayed letters are removed: {left}"
    );
}

#[tokio::test]
async fn completions_cover_the_operator_commands() {
    let out = tokio::process::Command::new(ess_e2e::binaries::binary("essctl"))
        .args(["completions", "bash"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    for word in ["doctor", "dlq", "events", "seed", "known-partners"] {
        assert!(script.contains(word), "{word} missing from the bash completions");
    }
}
