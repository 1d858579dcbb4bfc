//! The action plan and the reports against the real PostgreSQL and NATS: a scripted scenario of
//! activities (completed, cancelled, out of period), PTCEs, initiatives, registrations and
//! practices is published on the stream; progress must equal what the projections hold; the
//! reports must be well-formed, self-contained, parse back to the same numbers, never show a
//! suppressed cell, and publishing must emit one event.

use std::{collections::BTreeMap, time::Duration};

use ess_proto::{
    events::v1::{
        ActivityCancelled, ActivityCompleted, ActivityCreated, ActivityScheduled, ActivitySummary, AttendanceCounts,
        EventMeta, InitiativeCreated, InitiativeStageChanged, PracticePublished, PtceCreated, PtceMemberJoined,
        RegistrationChanged, ReportPublished, SessionSummary,
    },
    observatory::v1::{
        Confidentiality, CreateActionRequest, Dimension, GetProgressRequest, GetPublishedReportRequest, Indicator,
        ListActionsRequest, ListPublishedReportsRequest, QueryIndicatorsRequest, RenderReportRequest, ReportFile,
        ReportFormat, ReportKind, Target, TerritoryLevel, UpdateActionRequest, action_plan_client::ActionPlanClient,
        reports_client::ReportsClient,
    },
};
use observatory::report::text::french_number;
use platform::{grpc::field_violations, testing::poll_until};
use prost::Message as _;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

const DEADLINE: Duration = Duration::from_secs(20);

fn ts(date: &str) -> prost_types::Timestamp {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    prost_types::Timestamp {
        seconds: d.and_hms_opt(9, 30, 0).unwrap().and_utc().timestamp(),
        nanos: 0,
    }
}

fn meta(aggregate: Uuid, version: i64, on: Option<&str>) -> Option<EventMeta> {
    Some(EventMeta {
        event_id: Uuid::now_v7().to_string(),
        occurred_at: on.map(ts),
        aggregate_id: aggregate.to_string(),
        aggregate_version: version,
    })
}

struct Activity {
    id: Uuid,
    kind: &'static str,
    publics: &'static [&'static str],
    starts: &'static str,
    organisers: Vec<String>,
    co_organisers: Vec<String>,
}

impl Activity {
    fn summary(&self) -> Option<ActivitySummary> {
        Some(ActivitySummary {
            activity_id: self.id.to_string(),
            title: "Action".into(),
            kind: self.kind.into(),
            axes: vec![4],
            publics: self.publics.iter().map(|p| p.to_string()).collect(),
            organiser_ids: self.organisers.clone(),
            co_organiser_ids: self.co_organisers.clone(),
            departement_code: "14".into(),
            sessions: vec![SessionSummary {
                session_id: Uuid::now_v7().to_string(),
                start: Some(ts(self.starts)),
                end: None,
                capacity: 30,
            }],
            ..Default::default()
        })
    }
}

async fn publish(app: &TestApp, subject: &str, event_type: &str, payload: Vec<u8>) {
    let id = Uuid::now_v7();
    app.publish_to(subject, id, &id.to_string(), event_type, payload).await;
}

async fn created_and_completed(app: &TestApp, a: &Activity, outcome: AttendanceCounts) {
    let s = "activities.activity.changed";
    publish(
        app,
        s,
        "ess.events.v1.ActivityCreated",
        ActivityCreated {
            meta: meta(a.id, 1, None),
            activity: a.summary(),
        }
        .encode_to_vec(),
    )
    .await;
    publish(
        app,
        s,
        "ess.events.v1.ActivityCompleted",
        ActivityCompleted {
            meta: meta(a.id, 3, None),
            activity: a.summary(),
            outcome: Some(outcome),
        }
        .encode_to_vec(),
    )
    .await;
}

fn counts(total: i32, female: i32, male: i32, under_26: i32, public: &str) -> AttendanceCounts {
    AttendanceCounts {
        total,
        female,
        male,
        sex_not_given: total - female - male,
        under_26,
        age_26_49: total - under_26,
        by_public: [(public.to_string(), total)].into_iter().collect(),
        ..Default::default()
    }
}

/// The scripted scenario (2026 unless said otherwise):
/// - A1 awareness session for pupils, completed (30 people: 18 women, 12 men, all under 26), by P1;
/// - A2 workshop for job seekers, completed (12 people: 5 women, 7 men, 2 under 26), by P2 with
///   P1, one registrant from P3;
/// - A3 awareness session for pupils, scheduled then cancelled: counts nowhere;
/// - A4 awareness session for pupils completed in 2025 (20 people): outside 2026;
/// - one PTCE created, one initiative created at "idea" in 2025 and launched in 2026, one
///   practice sheet published.
pub async fn scenario(app: &TestApp) {
    let (p1, p2, p3) = (
        Uuid::now_v7().to_string(),
        Uuid::now_v7().to_string(),
        Uuid::now_v7().to_string(),
    );
    let a1 = Activity {
        id: Uuid::now_v7(),
        kind: "SENSIBILISATION",
        publics: &["SCOLAIRES"],
        starts: "2026-03-10",
        organisers: vec![p1.clone()],
        co_organisers: vec![],
    };
    let a2 = Activity {
        id: Uuid::now_v7(),
        kind: "ATELIER",
        publics: &["DEMANDEURS_EMPLOI"],
        starts: "2026-05-04",
        organisers: vec![p2.clone()],
        co_organisers: vec![p1.clone()],
    };
    let a3 = Activity {
        id: Uuid::now_v7(),
        kind: "SENSIBILISATION",
        publics: &["SCOLAIRES"],
        starts: "2026-04-01",
        organisers: vec![p2.clone()],
        co_organisers: vec![],
    };
    let a4 = Activity {
        id: Uuid::now_v7(),
        kind: "SENSIBILISATION",
        publics: &["SCOLAIRES"],
        starts: "2025-11-20",
        organisers: vec![p1.clone()],
        co_organisers: vec![],
    };
    created_and_completed(app, &a1, counts(30, 18, 12, 30, "SCOLAIRES")).await;
    created_and_completed(app, &a2, counts(12, 5, 7, 2, "DEMANDEURS_EMPLOI")).await;
    created_and_completed(app, &a4, counts(20, 10, 10, 20, "SCOLAIRES")).await;
    let s = "activities.activity.changed";
    publish(
        app,
        s,
        "ess.events.v1.ActivityScheduled",
        ActivityScheduled {
            meta: meta(a3.id, 2, None),
            activity: a3.summary(),
        }
        .encode_to_vec(),
    )
    .await;
    publish(
        app,
        s,
        "ess.events.v1.ActivityCancelled",
        ActivityCancelled {
            meta: meta(a3.id, 3, None),
            activity_id: a3.id.to_string(),
        }
        .encode_to_vec(),
    )
    .await;
    let session = Uuid::now_v7();
    publish(
        app,
        "activities.registration.attended",
        "ess.events.v1.RegistrationChanged",
        RegistrationChanged {
            meta: meta(session, 4, None),
            activity_id: a2.id.to_string(),
            session_id: session.to_string(),
            registration_ids: vec![Uuid::now_v7().to_string()],
            change: "attended".into(),
            capacity: 30,
            registered: 14,
            attended: 12,
            no_show: 2,
            organisation_id: p3.clone(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .await;
    let practice = Uuid::now_v7();
    publish(
        app,
        "activities.practice.published",
        "ess.events.v1.PracticePublished",
        PracticePublished {
            meta: meta(practice, 1, Some("2026-07-01")),
            practice_id: practice.to_string(),
            title: "Sensibiliser au lycée".into(),
            axis: 4,
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .await;
    let ptce = Uuid::now_v7();
    publish(
        app,
        "registry.ptce.created",
        "ess.events.v1.PtceCreated",
        PtceCreated {
            meta: meta(ptce, 1, Some("2026-02-01")),
            ptce_id: ptce.to_string(),
            name: "Pôle du Bessin".into(),
            territory: "Bessin".into(),
            lead_partner_id: p1.clone(),
            status: "emerging".into(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .await;
    publish(
        app,
        "registry.ptce.member_joined",
        "ess.events.v1.PtceMemberJoined",
        PtceMemberJoined {
            meta: meta(ptce, 2, Some("2026-02-03")),
            ptce_id: ptce.to_string(),
            partner_id: p2.clone(),
            joined_on: "2026-02-03".into(),
        }
        .encode_to_vec(),
    )
    .await;
    let initiative = Uuid::now_v7();
    publish(
        app,
        "registry.initiative.created",
        "ess.events.v1.InitiativeCreated",
        InitiativeCreated {
            meta: meta(initiative, 1, Some("2025-12-01")),
            initiative_id: initiative.to_string(),
            kind: "business_creation".into(),
            holder_id: p2.clone(),
            territory: "Caen".into(),
            stage: "idea".into(),
            since: "2025-12-01".into(),
            support_partner_ids: vec![],
        }
        .encode_to_vec(),
    )
    .await;
    publish(
        app,
        "registry.initiative.stage_changed",
        "ess.events.v1.InitiativeStageChanged",
        InitiativeStageChanged {
            meta: meta(initiative, 2, Some("2026-06-15")),
            initiative_id: initiative.to_string(),
            from_stage: "idea".into(),
            to_stage: "launch".into(),
            on: "2026-06-15".into(),
        }
        .encode_to_vec(),
    )
    .await;
    // Every event applied: 8 activity events, a registration, a practice, 4 registry events.
    poll_until(DEADLINE, "the scenario is projected", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        (n == 14).then_some(())
    })
    .await;
}

async fn clients(
    app: &TestApp,
) -> (
    ActionPlanClient<platform::grpc::AuthChannel>,
    ReportsClient<platform::grpc::AuthChannel>,
) {
    let channel = platform::testing::admin(app.channel.clone());
    (ActionPlanClient::new(channel.clone()), ReportsClient::new(channel))
}

fn target(indicator: Indicator, kind: &str, public: &str, stage: &str, value: f64) -> Target {
    Target {
        indicator: indicator as i32,
        activity_kind: kind.into(),
        public: public.into(),
        stage: stage.into(),
        period_from: "2026-01-01".into(),
        period_to: "2026-12-31".into(),
        target: value,
        label: String::new(),
    }
}

/// The targets of the scenario's plan and what each must have achieved.
fn targets() -> Vec<(Target, f64)> {
    vec![
        (
            target(Indicator::ActivitiesCompleted, "SENSIBILISATION", "SCOLAIRES", "", 40.0),
            1.0,
        ),
        (target(Indicator::ActivitiesCompleted, "", "", "", 10.0), 2.0),
        (target(Indicator::PeopleReached, "", "", "", 300.0), 42.0),
        (target(Indicator::PeopleReached, "", "SCOLAIRES", "", 100.0), 30.0),
        (target(Indicator::WomenReached, "", "", "", 150.0), 23.0),
        (target(Indicator::MenReached, "", "", "", 150.0), 19.0),
        (target(Indicator::Under26Reached, "", "", "", 100.0), 32.0),
        (target(Indicator::JobSeekersReached, "", "", "", 300.0), 12.0),
        (target(Indicator::PtcesCreated, "", "", "", 2.0), 1.0),
        (target(Indicator::InitiativesReachingStage, "", "", "launch", 4.0), 1.0),
        (target(Indicator::PartnersInvolved, "", "", "", 30.0), 3.0),
        (target(Indicator::PracticesPublished, "", "", "", 5.0), 1.0),
    ]
}

#[tokio::test]
async fn progress_equals_what_the_projections_hold_and_a_cancelled_activity_never_counts() {
    let app = spawn_app().await;
    scenario(&app).await;
    let (mut plan, _) = clients(&app).await;
    let expected = targets();
    let action = plan
        .create_action(CreateActionRequest {
            axis: 4,
            title: "Promouvoir l'ESS auprès des jeunes et des demandeurs d'emploi".into(),
            description: String::new(),
            targets: expected.iter().map(|(t, _)| t.clone()).collect(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(action.version, 1);
    assert_eq!(action.targets.len(), expected.len());
    let progress = plan
        .get_progress(GetProgressRequest {
            action_id: action.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .progress;
    let achieved: Vec<f64> = progress.iter().map(|p| p.achieved).collect();
    assert_eq!(achieved, expected.iter().map(|(_, a)| *a).collect::<Vec<_>>());
    assert_eq!(progress[0].percent, 2.5);
    assert_eq!(progress[2].percent, 14.0);

    // The same figures, read straight from the projections.
    let (people, women, completed): (i64, i64, i64) = sqlx::query_as(
        "SELECT sum(attendees)::bigint, sum(female)::bigint, count(*) FROM activity_projection \
         WHERE status = 'completed' AND starts_on BETWEEN '2026-01-01' AND '2026-12-31'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (people as f64, women as f64, completed as f64),
        (achieved[2], achieved[4], achieved[1])
    );
    let cancelled: i64 = sqlx::query_scalar("SELECT count(*) FROM activity_projection WHERE status = 'cancelled'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        cancelled, 1,
        "the cancelled activity is projected, and yet counts nowhere"
    );

    // Bad input names the field and writes nothing.
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM plan_actions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let err = plan
        .create_action(CreateActionRequest {
            axis: 7,
            title: "x".into(),
            description: String::new(),
            targets: vec![Target {
                period_to: "2025-01-01".into(),
                ..target(Indicator::InitiativesReachingStage, "", "", "", 0.0)
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&err).into_iter().map(|v| v.field).collect();
    assert_eq!(
        fields,
        ["axis", "targets[0].stage", "targets[0].period_to", "targets[0].target"]
    );
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM plan_actions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after);

    // An update replaces the targets and bumps the version; a stale version is refused.
    let updated = plan
        .update_action(UpdateActionRequest {
            id: action.id.clone(),
            axis: 2,
            title: "Emploi".into(),
            description: "Demandeurs d'emploi".into(),
            targets: vec![expected[7].0.clone()],
            expected_version: 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((updated.version, updated.targets.len()), (2, 1));
    let stale = plan
        .update_action(UpdateActionRequest {
            id: action.id.clone(),
            axis: 2,
            title: "Emploi".into(),
            description: String::new(),
            targets: vec![],
            expected_version: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition);
    let listed = plan
        .list_actions(ListActionsRequest {
            axis: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .actions;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].targets[0].label, "Demandeurs d'emploi touchés");
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE event_type = 'ess.events.v1.PlanActionChanged'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(events, 2, "one event per recorded change, none for refused ones");
}

fn request(kind: ReportKind, format: ReportFormat) -> RenderReportRequest {
    RenderReportRequest {
        kind: kind as i32,
        year: 2026,
        from: "2026-01-01".into(),
        to: "2026-06-30".into(),
        format: format as i32,
    }
}

async fn render(reports: &mut ReportsClient<platform::grpc::AuthChannel>, r: RenderReportRequest) -> Vec<ReportFile> {
    reports.render_report(r).await.unwrap().into_inner().files
}

/// Parses a report CSV (BOM, `;`) into its header and rows.
fn parse_csv(file: &ReportFile) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::str::from_utf8(&file.content).unwrap();
    let body = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (headers, rows)
}

fn csv_named<'a>(files: &'a [ReportFile], suffix: &str) -> &'a ReportFile {
    files.iter().find(|f| f.name.ends_with(suffix)).unwrap_or_else(|| {
        panic!(
            "no file {suffix} among {:?}",
            files.iter().map(|f| &f.name).collect::<Vec<_>>()
        )
    })
}

fn row_value(rows: &[Vec<String>], label: &str, column: usize) -> String {
    rows.iter()
        .find(|r| r[0] == label)
        .unwrap_or_else(|| panic!("no row {label}"))[column]
        .clone()
}

/// Checks a page is well-formed XML with no script, no link and no external resource.
fn assert_self_contained(html: &str) {
    assert!(!html.contains("http"), "no URL of any kind");
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("<img"));
    let xml = html.trim_start_matches("<!DOCTYPE html>\n");
    let doc = roxmltree::Document::parse(xml).expect("well-formed");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "html");
    assert_eq!(root.attribute("lang"), Some("fr"));
    for svg in doc.descendants().filter(|n| n.has_tag_name("svg")) {
        assert_eq!(svg.attribute("role"), Some("img"));
        assert!(
            svg.children().any(|c| c.has_tag_name("title")),
            "every chart has a title"
        );
        assert!(
            svg.children().any(|c| c.has_tag_name("desc")),
            "every chart has its figures in words"
        );
    }
    assert!(doc.descendants().any(|n| n.has_tag_name("main")));
}

#[tokio::test]
async fn reports_are_self_contained_and_their_csv_parses_back_to_the_projected_numbers() {
    let app = spawn_app().await;
    scenario(&app).await;
    let (mut plan, mut reports) = clients(&app).await;
    plan.create_action(CreateActionRequest {
        axis: 4,
        title: "Sensibiliser les scolaires".into(),
        description: String::new(),
        targets: vec![targets()[0].0.clone(), targets()[2].0.clone()],
    })
    .await
    .unwrap();

    for kind in [
        ReportKind::BilanAnnuel,
        ReportKind::PointAvancement,
        ReportKind::Panorama,
    ] {
        let html = render(&mut reports, request(kind, ReportFormat::Html)).await;
        assert_eq!(html.len(), 1);
        assert_eq!(html[0].content_type, "text/html; charset=utf-8");
        let page = std::str::from_utf8(&html[0].content).unwrap();
        assert_self_contained(page);
        // `ESS_REPORT_DUMP=DIR` keeps the pages, e.g. for a screenshot:
        // `chromium --headless --screenshot=bilan.png --window-size=1000,3000 DIR/bilan-annuel-2026.html`.
        if let Ok(dir) = std::env::var("ESS_REPORT_DUMP") {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(std::path::Path::new(&dir).join(&html[0].name), page).unwrap();
        }
        if kind == ReportKind::Panorama {
            assert!(
                page.contains("Aucune donnée importée"),
                "without datasets, the panorama says so"
            );
        } else {
            assert!(page.contains("<table>") && page.contains("<svg role=\"img\""));
        }
        let md = render(&mut reports, request(kind, ReportFormat::Markdown)).await;
        assert!(std::str::from_utf8(&md[0].content).unwrap().starts_with("# "));
    }

    let csv = render(&mut reports, request(ReportKind::BilanAnnuel, ReportFormat::Csv)).await;
    assert!(
        csv.iter()
            .all(|f| f.name.starts_with("bilan-annuel-2026-") && f.name.ends_with(".csv"))
    );
    let (headers, rows) = parse_csv(csv_named(&csv, "-chiffres-cles.csv"));
    assert_eq!(headers, ["Indicateur", "2025", "2026", "Évolution (%)"]);
    assert_eq!(row_value(&rows, "Actions réalisées", 2), "2");
    assert_eq!(row_value(&rows, "Actions réalisées", 1), "1");
    assert_eq!(row_value(&rows, "Actions réalisées", 3), "100,0");
    assert_eq!(row_value(&rows, "Actions annulées", 2), "1");
    assert_eq!(row_value(&rows, "Personnes touchées", 2), "42");
    assert_eq!(row_value(&rows, "Personnes touchées", 1), "20");
    assert_eq!(row_value(&rows, "dont moins de 26 ans", 2), "32");
    assert_eq!(row_value(&rows, "Partenaires impliqués", 2), "3");
    assert_eq!(row_value(&rows, "Nouveaux PTCE", 2), "1");
    assert_eq!(row_value(&rows, "Changements d'étape des initiatives", 2), "1");
    assert_eq!(row_value(&rows, "Fiches de bonnes pratiques publiées", 2), "1");

    let (_, sexes) = parse_csv(csv_named(&csv, "-personnes-par-sexe.csv"));
    assert_eq!(row_value(&sexes, "Femmes", 1), "23");
    assert_eq!(row_value(&sexes, "Femmes", 2), "54,8");
    let (_, kinds) = parse_csv(csv_named(&csv, "-activites-par-type.csv"));
    assert_eq!(
        kinds,
        [
            vec!["Atelier".to_owned(), "1".to_owned()],
            vec!["Sensibilisation".to_owned(), "1".to_owned()]
        ]
    );
    let (_, publics) = parse_csv(csv_named(&csv, "-activites-par-public.csv"));
    assert_eq!(row_value(&publics, "Demandeurs emploi", 2), "12");
    let (_, stages) = parse_csv(csv_named(&csv, "-initiatives-par-etape.csv"));
    assert_eq!(row_value(&stages, "Lancement", 2), "1");

    // The plan's table holds the progress the ActionPlan service computes.
    let progress = plan
        .get_progress(GetProgressRequest::default())
        .await
        .unwrap()
        .into_inner()
        .progress;
    let (plan_headers, plan_rows) = parse_csv(csv_named(&csv, "-plan-action.csv"));
    assert_eq!(plan_headers[5], "Réalisé");
    let from_csv: BTreeMap<String, (String, String)> = plan_rows
        .iter()
        .map(|r| (r[2].clone(), (r[5].clone(), r[6].clone())))
        .collect();
    for p in &progress {
        let t = p.target.as_ref().unwrap();
        assert_eq!(
            from_csv.get(&t.label),
            Some(&(format!("{}", p.achieved), format!("{:.1}", p.percent).replace('.', ","))),
            "{}",
            t.label
        );
    }

    // A bad request names its field.
    let err = reports
        .render_report(RenderReportRequest {
            to: "2025-01-01".into(),
            ..request(ReportKind::PointAvancement, ReportFormat::Unspecified)
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&err).into_iter().map(|v| v.field).collect();
    assert_eq!(fields, ["format", "to"]);
}

const ESS: &[u8] = include_bytes!("fixtures/ess_departement_2023.csv");
const PRIVATE: &[u8] = include_bytes!("fixtures/prive_departement_2023.csv");

/// Every cell text of a page: HTML `<td>`s, Markdown table cells, CSV fields.
fn cells_of(file: &ReportFile) -> Vec<String> {
    let text = std::str::from_utf8(&file.content).unwrap();
    if file.name.ends_with(".csv") {
        let (h, rows) = parse_csv(file);
        return h.into_iter().chain(rows.into_iter().flatten()).collect();
    }
    if file.name.ends_with(".md") {
        return text
            .lines()
            .filter(|l| l.starts_with('|'))
            .flat_map(|l| {
                l.trim_matches('|')
                    .split(" | ")
                    .map(|c| c.trim().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    text.split("<td")
        .skip(1)
        .filter_map(|s| Some(s.split_once('>')?.1.split_once("</td>")?.0.to_owned()))
        .collect()
}

#[tokio::test]
async fn no_suppressed_cell_appears_in_the_panorama_in_any_format() {
    let app = spawn_app().await;
    app.import_ok("urssaf-ess-departement", "2024", ESS).await;
    app.import_ok("urssaf-prive-departement", "2024", PRIVATE).await;
    let (_, mut reports) = clients(&app).await;

    // What staff see: the figures of every suppressed cell of the tables the panorama shows.
    let mut secrets = Vec::new();
    for (rows, columns) in [
        (Dimension::Territory, Dimension::Family),
        (Dimension::Family, Dimension::Unspecified),
    ] {
        let t = app
            .client
            .clone()
            .query_indicators_unsuppressed(QueryIndicatorsRequest {
                year: 2023,
                rows: rows as i32,
                columns: columns as i32,
                territory_level: TerritoryLevel::Departement as i32,
                territory_codes: vec!["14".into(), "50".into(), "61".into()],
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for c in t
            .cells
            .iter()
            .filter(|c| c.confidentiality != Confidentiality::Published as i32)
        {
            let employees: f64 = c.figures.as_ref().unwrap().employees.parse().unwrap();
            secrets.push(employees.round());
        }
    }
    assert!(
        secrets.len() >= 4,
        "the dataset triggers primary and secondary suppression"
    );

    let mut saw_secret = 0;
    for format in [ReportFormat::Html, ReportFormat::Markdown, ReportFormat::Csv] {
        let files = render(
            &mut reports,
            RenderReportRequest {
                year: 2023,
                ..request(ReportKind::Panorama, format)
            },
        )
        .await;
        for f in &files {
            if let (Ok(dir), ReportFormat::Html) = (std::env::var("ESS_REPORT_DUMP"), format) {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(std::path::Path::new(&dir).join(&f.name), &f.content).unwrap();
            }
            let cells = cells_of(f);
            for secret in &secrets {
                let shown = [french_number(*secret), format!("{secret}")];
                assert!(
                    !cells.iter().any(|c| shown.contains(c)),
                    "{}: a suppressed figure ({secret}) is shown",
                    f.name
                );
            }
            assert!(!cells.iter().any(|c| c.is_empty()), "{}: no blank cell", f.name);
            saw_secret += cells.iter().filter(|c| c.as_str() == "secret statistique").count();
        }
        if format == ReportFormat::Csv {
            let (headers, rows) = parse_csv(csv_named(&files, "-territoires-familles.csv"));
            let fondations = headers.iter().position(|h| h == "Fondations").unwrap();
            assert_eq!(row_value(&rows, "Manche", fondations), "secret statistique");
            let (_, shares) = parse_csv(csv_named(&files, "-part-ess-departements.csv"));
            assert_eq!(row_value(&shares, "Calvados", 3), "12,57");
        }
    }
    assert!(
        saw_secret >= 3 * 4,
        "every format says secret statistique where a cell is suppressed"
    );
}

#[tokio::test]
async fn publishing_stores_the_report_and_emits_one_event() {
    let app = spawn_app().await;
    scenario(&app).await;
    let (_, mut reports) = clients(&app).await;
    let published = reports
        .publish_report(request(ReportKind::PointAvancement, ReportFormat::Csv))
        .await
        .unwrap()
        .into_inner();
    assert!(!published.files.is_empty());
    assert_eq!(published.period_from, "2026-01-01");

    let listed = reports
        .list_published_reports(ListPublishedReportsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .reports;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, published.id);
    assert!(listed[0].files.is_empty(), "the list carries no file contents");
    let got = reports
        .get_published_report(GetPublishedReportRequest {
            id: published.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut files = published.files.clone();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(got.files, files);
    assert_eq!(got.format, ReportFormat::Csv as i32);
    let missing = reports
        .get_published_report(GetPublishedReportRequest {
            id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // One event in the outbox, relayed once to the stream.
    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE event_type = 'ess.events.v1.ReportPublished'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(payloads.len(), 1);
    let event = ReportPublished::decode(&payloads[0][..]).unwrap();
    assert_eq!(event.report_id, published.id);
    assert_eq!(event.kind, "point_avancement");
    assert_eq!(event.file_names.len(), published.files.len());
    let stream = app.jetstream.get_stream(&app.stream.nats.stream).await.unwrap();
    let subject = app.stream.subject("observatory.report.published");
    poll_until(DEADLINE, "the event is on the stream", || {
        let stream = stream.clone();
        let subject = subject.clone();
        async move {
            let info = stream.info_with_subjects(subject.clone()).await.ok()?;
            let mut n = 0;
            let mut subjects = info;
            while let Some(Ok((s, count))) = futures::StreamExt::next(&mut subjects).await {
                if s == subject {
                    n += count;
                }
            }
            (n == 1).then_some(())
        }
    })
    .await;
}

/// Every projection the reports read, row for row (without the `updated_at` bookkeeping).
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for table in [
        "activity_projection",
        "activity_attendance_by_public",
        "registration_projection",
        "registration_organisations",
        "ptce_projection",
        "ptce_member_projection",
        "initiative_projection",
        "initiative_stage_history",
        "practice_projection",
    ] {
        let rows: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT coalesce(string_agg(j::text, E'\\n' ORDER BY j::text), '') \
             FROM (SELECT to_jsonb(t) - 'updated_at' AS j FROM {table} t) s"
        )))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        out.push(format!("{table}:\n{rows}"));
    }
    out
}

#[tokio::test]
async fn rebuilding_gives_the_same_projections_and_the_same_progress() {
    let app = spawn_app().await;
    scenario(&app).await;
    let (mut plan, _) = clients(&app).await;
    plan.create_action(CreateActionRequest {
        axis: 3,
        title: "Tout".into(),
        description: String::new(),
        targets: targets().into_iter().map(|(t, _)| t).collect(),
    })
    .await
    .unwrap();
    let progress = || {
        let mut plan = plan.clone();
        async move {
            plan.get_progress(GetProgressRequest::default())
                .await
                .unwrap()
                .into_inner()
                .progress
                .iter()
                .map(|p| p.achieved)
                .collect::<Vec<_>>()
        }
    };
    let live = snapshot(&app).await;
    let live_progress = progress().await;
    assert_eq!(live_progress, targets().iter().map(|(_, a)| *a).collect::<Vec<_>>());
    assert!(
        live.iter().all(|t| t.contains('{')),
        "every projection holds rows: {live:?}"
    );

    app.client
        .clone()
        .rebuild_projections(ess_proto::observatory::v1::RebuildProjectionsRequest {})
        .await
        .unwrap();
    poll_until(DEADLINE, "the projections rebuilt from the stream", || async {
        (snapshot(&app).await == live).then_some(())
    })
    .await;
    assert_eq!(progress().await, live_progress);
}
