//! CreateActivity, GetActivity, UpdateActivity and the lifecycle (schedule, cancel, complete).

use ess_proto::{
    activities::v1::{
        self as pb, ActivityStatus, CompleteActivityRequest, OutcomeCounts, PublicCount, SessionOutcome,
        UpdateActivityRequest,
    },
    events::v1::{ActivityCompleted, ActivityCreated},
    registry::v1::ArchivePartnerRequest,
};
use platform::grpc::field_violations;
use prost::Message as _;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use crate::helpers::{TestApp, in_days, registration, session, spawn_app, spawn_app_without_registry, valid_activity};

fn fields(status: &Status) -> Vec<String> {
    field_violations(status).into_iter().map(|v| v.field).collect()
}

fn precondition_subjects(status: &Status) -> Vec<String> {
    status
        .get_details_precondition_failure()
        .map(|p| p.violations.into_iter().map(|v| v.subject).collect())
        .unwrap_or_default()
}

async fn assert_nothing_written(app: &TestApp) {
    assert_eq!(app.count("activities").await, 0, "no activity written");
    assert_eq!(app.count("sessions").await, 0, "no session written");
    assert_eq!(app.count("outbox").await, 0, "no event");
}

#[tokio::test]
async fn a_created_activity_is_a_draft_with_its_organiser_name_and_can_be_read_back() {
    let app = spawn_app().await;
    let organiser = app.partner("Coopérative organisatrice").await;
    let created = app.create_activity(valid_activity(&organiser)).await.expect("created");
    assert_eq!(created.status, ActivityStatus::Draft as i32);
    assert_eq!(created.version, 1);
    assert_eq!(created.departement_code, "14");
    assert_eq!(created.organisers[0].name, "Coopérative organisatrice");
    assert_eq!(created.sessions.len(), 1);
    assert!(created.sessions[0].start_local.ends_with("+01:00") || created.sessions[0].start_local.ends_with("+02:00"));
    assert_eq!(app.get(&created.id).await, created);
}

#[tokio::test]
async fn creating_an_activity_enqueues_activity_created_without_personal_data() {
    let app = spawn_app().await;
    let organiser = app.partner("Coopérative organisatrice").await;
    let created = app.create_activity(valid_activity(&organiser)).await.unwrap();
    let payloads = app.payloads("activities.activity.created").await;
    assert_eq!(payloads.len(), 1);
    let event = ActivityCreated::decode(payloads[0].as_slice()).unwrap();
    let meta = event.meta.unwrap();
    assert_eq!(
        (meta.aggregate_id.as_str(), meta.aggregate_version),
        (created.id.as_str(), 1)
    );
    let summary = event.activity.unwrap();
    assert_eq!(summary.kind, "EVENEMENT");
    assert_eq!(summary.axes, [2, 3]);
    assert_eq!(summary.organiser_ids, [organiser]);
    assert_eq!(summary.departement_code, "14");
    assert_eq!(summary.sessions[0].capacity, 20);
}

async fn invalid(app: &TestApp, change: impl FnOnce(&mut pb::CreateActivityRequest)) -> Vec<String> {
    let organiser = app.partner("Coopérative organisatrice").await;
    let mut req = valid_activity(&organiser);
    change(&mut req);
    let status = app.create_activity(req).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_nothing_written(app).await;
    fields(&status)
}

fn fields_of(req: &mut pb::CreateActivityRequest) -> &mut pb::ActivityFields {
    req.activity.as_mut().unwrap()
}

#[tokio::test]
async fn an_activity_without_an_axis_is_invalid_naming_the_axes() {
    let app = spawn_app().await;
    assert_eq!(invalid(&app, |r| fields_of(r).axes.clear()).await, ["activity.axes"]);
}

#[tokio::test]
async fn an_axis_outside_one_to_five_is_invalid() {
    let app = spawn_app().await;
    assert_eq!(
        invalid(&app, |r| fields_of(r).axes = vec![2, 6]).await,
        ["activity.axes[1]"]
    );
}

#[tokio::test]
async fn an_unknown_kind_or_public_is_invalid() {
    let app = spawn_app().await;
    let got = invalid(&app, |r| {
        fields_of(r).kind = 42;
        fields_of(r).publics = vec![pb::Public::Salaries as i32, 99];
    })
    .await;
    assert_eq!(got, ["activity.kind", "activity.publics[1]"]);
}

#[tokio::test]
async fn a_session_ending_before_it_starts_is_invalid() {
    let app = spawn_app().await;
    let got = invalid(&app, |r| {
        let s = &mut r.sessions[0];
        std::mem::swap(&mut s.start, &mut s.end);
    })
    .await;
    assert_eq!(got, ["sessions[0].end"]);
}

#[tokio::test]
async fn two_overlapping_sessions_of_one_activity_are_invalid() {
    let app = spawn_app().await;
    let got = invalid(&app, |r| {
        r.sessions = vec![session(in_days(7, 0), 2, 10), session(in_days(7, 1), 2, 10)];
    })
    .await;
    assert_eq!(got, ["sessions[1].start"]);
}

#[tokio::test]
async fn a_capacity_of_zero_or_less_is_invalid() {
    let app = spawn_app().await;
    let got = invalid(&app, |r| {
        r.sessions = vec![session(in_days(7, 0), 1, 0), session(in_days(8, 0), 1, -5)];
    })
    .await;
    assert_eq!(got, ["sessions[0].capacity", "sessions[1].capacity"]);
}

#[tokio::test]
async fn every_bad_field_is_reported_in_one_answer_without_echoing_input() {
    let app = spawn_app().await;
    let got = invalid(&app, |r| {
        fields_of(r).title = "  ".into();
        fields_of(r).axes.clear();
        fields_of(r).venue.as_mut().unwrap().commune_code = "ZZ".into();
        r.organiser_ids = vec!["not-a-uuid".into()];
    })
    .await;
    assert_eq!(
        got,
        [
            "activity.title",
            "activity.axes",
            "activity.venue.commune_code",
            "organiser_ids[0]"
        ]
    );
}

#[tokio::test]
async fn an_unknown_organiser_is_failed_precondition_and_nothing_is_written() {
    let app = spawn_app().await;
    let status = app
        .create_activity(valid_activity(&uuid::Uuid::now_v7().to_string()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subjects(&status), ["organiser_ids[0]"]);
    assert_nothing_written(&app).await;
}

#[tokio::test]
async fn an_archived_co_organiser_is_failed_precondition() {
    let app = spawn_app().await;
    let organiser = app.partner("Coopérative organisatrice").await;
    let archived = app.partner("Association dissoute").await;
    app.registry
        .clone()
        .archive_partner(ArchivePartnerRequest {
            id: archived.clone(),
            expected_version: 1,
        })
        .await
        .expect("archived in the registry");
    let mut req = valid_activity(&organiser);
    req.co_organiser_ids = vec![archived];
    let status = app.create_activity(req).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(precondition_subjects(&status), ["co_organiser_ids[0]"]);
    assert_nothing_written(&app).await;
}

#[tokio::test]
async fn with_the_registry_unreachable_creation_is_unavailable_and_nothing_is_written() {
    let app = spawn_app_without_registry().await;
    let status = app
        .create_activity(valid_activity(&uuid::Uuid::now_v7().to_string()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_nothing_written(&app).await;
}

#[tokio::test]
async fn the_lifecycle_goes_draft_scheduled_cancelled_and_keeps_the_history() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(20).await;
    assert_eq!(a.status, ActivityStatus::Scheduled as i32);
    assert_eq!(a.version, 2);
    app.register(registration(&a.sessions[0].id, 1)).await.unwrap();

    let cancelled = app
        .client
        .clone()
        .cancel_activity(pb::ActivityTransitionRequest { id: a.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .activity
        .unwrap();
    assert_eq!(cancelled.status, ActivityStatus::Cancelled as i32);
    assert_eq!(cancelled.sessions[0].registered, 1, "registrations are kept");
    assert_eq!(app.events("activities.activity.scheduled").await, 1);
    assert_eq!(app.events("activities.activity.cancelled").await, 1);

    let again = app.schedule(&a.id).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn an_update_replaces_the_fields_and_a_stale_version_is_aborted() {
    let app = spawn_app().await;
    let organiser = app.partner("Coopérative organisatrice").await;
    let a = app.create_activity(valid_activity(&organiser)).await.unwrap();
    let mut fields = valid_activity(&organiser).activity.unwrap();
    fields.title = "Forum de l'ESS — édition 2026".into();
    fields.axes = vec![4];
    let updated = app
        .client
        .clone()
        .update_activity(UpdateActivityRequest {
            id: a.id.clone(),
            expected_version: 1,
            activity: Some(fields.clone()),
        })
        .await
        .unwrap()
        .into_inner()
        .activity
        .unwrap();
    assert_eq!(
        (updated.title.as_str(), updated.axes.as_slice(), updated.version),
        ("Forum de l'ESS — édition 2026", &[4][..], 2)
    );
    assert_eq!(app.events("activities.activity.updated").await, 1);

    let stale = app
        .client
        .clone()
        .update_activity(UpdateActivityRequest {
            id: a.id.clone(),
            expected_version: 1,
            activity: Some(fields),
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(app.events("activities.activity.updated").await, 1);
}

async fn complete(app: &TestApp, id: &str, entered: Vec<SessionOutcome>) -> Result<pb::Activity, Status> {
    Ok(app
        .client
        .clone()
        .complete_activity(CompleteActivityRequest { id: id.into(), entered })
        .await?
        .into_inner()
        .activity
        .unwrap())
}

#[tokio::test]
async fn completing_before_the_last_session_ended_is_failed_precondition_and_writes_nothing() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(20).await;
    let status = complete(&app, &a.id, vec![]).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(app.get(&a.id).await.status, ActivityStatus::Scheduled as i32);
    assert_eq!(app.events("activities.activity.completed").await, 0);
}

fn class_of_30() -> OutcomeCounts {
    OutcomeCounts {
        total: 30,
        female: 16,
        male: 14,
        sex_not_given: 0,
        under_26: 30,
        by_public: vec![PublicCount {
            public: pb::Public::Scolaires as i32,
            count: 30,
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn entered_counts_for_a_session_without_registrations_become_the_outcome() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(30).await;
    app.move_sessions_to_the_past(&a.id).await;
    let done = complete(
        &app,
        &a.id,
        vec![SessionOutcome {
            session_id: a.sessions[0].id.clone(),
            counts: Some(class_of_30()),
        }],
    )
    .await
    .expect("completed");
    assert_eq!(done.status, ActivityStatus::Completed as i32);
    assert_eq!(done.outcome.as_ref().unwrap().total, 30);

    let payloads = app.payloads("activities.activity.completed").await;
    let event = ActivityCompleted::decode(payloads[0].as_slice()).unwrap();
    let outcome = event.outcome.unwrap();
    assert_eq!(
        (outcome.total, outcome.female, outcome.male, outcome.under_26),
        (30, 16, 14, 30)
    );
    assert_eq!(outcome.by_public.get("SCOLAIRES"), Some(&30));
}

#[tokio::test]
async fn outcome_counts_that_do_not_add_up_are_invalid_and_nothing_changes() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(30).await;
    app.move_sessions_to_the_past(&a.id).await;
    let mut counts = class_of_30();
    counts.male = 10;
    let status = complete(
        &app,
        &a.id,
        vec![SessionOutcome {
            session_id: a.sessions[0].id.clone(),
            counts: Some(counts),
        }],
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["entered[0].counts.female"]);
    assert_eq!(app.get(&a.id).await.status, ActivityStatus::Scheduled as i32);
    assert_eq!(app.events("activities.activity.completed").await, 0);
}

#[tokio::test]
async fn outcomes_are_derived_from_attendance_by_sex_age_and_public() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(10).await;
    let s = a.sessions[0].id.clone();
    let mut ids = Vec::new();
    for (n, (sex, age)) in [
        (pb::Sex::F, pb::AgeBand::Under26),
        (pb::Sex::H, pb::AgeBand::From26To49),
        (pb::Sex::NotGiven, pb::AgeBand::NotGiven),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = registration(&s, n);
        r.sex = sex as i32;
        r.age_band = age as i32;
        ids.push(app.register(r).await.unwrap().id);
    }
    app.client
        .clone()
        .record_attendance(pb::RecordAttendanceRequest {
            session_id: s.clone(),
            registration_ids: ids[..2].to_vec(),
            attended: true,
        })
        .await
        .unwrap();
    app.move_sessions_to_the_past(&a.id).await;
    let done = complete(&app, &a.id, vec![]).await.unwrap();
    let o = done.outcome.unwrap();
    assert_eq!((o.total, o.female, o.male, o.sex_not_given), (2, 1, 1, 0));
    assert_eq!((o.under_26, o.age_26_49, o.age_50_and_over), (1, 1, 0));
    assert_eq!(
        o.by_public,
        [PublicCount {
            public: pb::Public::Etudiants as i32,
            count: 2
        }]
    );

    // Counts for a session that has registrations are refused: they come from the registrations.
    let b = app.scheduled_activity(5).await;
    app.register(registration(&b.sessions[0].id, 9)).await.unwrap();
    app.move_sessions_to_the_past(&b.id).await;
    let status = complete(
        &app,
        &b.id,
        vec![SessionOutcome {
            session_id: b.sessions[0].id.clone(),
            counts: Some(class_of_30()),
        }],
    )
    .await
    .unwrap_err();
    assert_eq!(fields(&status), ["entered[0].session_id"]);
}
