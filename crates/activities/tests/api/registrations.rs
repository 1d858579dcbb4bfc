//! Register, CancelRegistration, RecordAttendance, EraseRegistrant, ListPartnerParticipation.

use std::collections::HashSet;

use ess_proto::{
    activities::v1::{
        self as pb, ListPartnerParticipationRequest, ListRegistrationsRequest, RecordAttendanceRequest,
        RegistrationIdRequest, RegistrationStatus,
    },
    events::v1::RegistrationChanged,
};
use platform::grpc::field_violations;
use prost::Message as _;
use tonic::Code;

use crate::helpers::{TestApp, registration, spawn_app};

async fn cancel(app: &TestApp, id: &str) -> pb::RegistrationResponse {
    app.client
        .clone()
        .cancel_registration(RegistrationIdRequest { id: id.into() })
        .await
        .unwrap()
        .into_inner()
}

async fn list(app: &TestApp, session: &str) -> Vec<pb::Registration> {
    app.client
        .clone()
        .list_registrations(ListRegistrationsRequest {
            session_id: session.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .registrations
}

#[tokio::test]
async fn registrations_fill_the_seats_then_the_waitlist() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(2).await;
    let s = &a.sessions[0].id;
    let statuses: Vec<i32> = futures_statuses(&app, s, 3).await;
    assert_eq!(
        statuses,
        [
            RegistrationStatus::Registered as i32,
            RegistrationStatus::Registered as i32,
            RegistrationStatus::Waitlisted as i32
        ]
    );
    let session = &app.get(&a.id).await.sessions[0];
    assert_eq!((session.registered, session.waitlisted), (2, 1));
    assert_eq!(app.events("activities.registration.registered").await, 2);
    assert_eq!(app.events("activities.registration.waitlisted").await, 1);
}

async fn futures_statuses(app: &TestApp, s: &str, n: usize) -> Vec<i32> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(app.register(registration(s, i)).await.unwrap().status);
    }
    out
}

#[tokio::test]
async fn two_hundred_concurrent_registrations_for_twenty_seats_give_twenty_registered_and_the_rest_waitlisted() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(20).await;
    let s = a.sessions[0].id.clone();
    let mut tasks = Vec::new();
    for n in 0..200 {
        let client = app.client.clone();
        let req = registration(&s, n);
        tasks.push(tokio::spawn(async move { client.clone().register(req).await }));
    }
    let mut registered = 0;
    let mut waitlisted = 0;
    for t in tasks {
        let r = t.await.unwrap().expect("every registration is accepted").into_inner();
        match RegistrationStatus::try_from(r.registration.unwrap().status).unwrap() {
            RegistrationStatus::Registered => registered += 1,
            RegistrationStatus::Waitlisted => waitlisted += 1,
            other => panic!("unexpected status {other:?}"),
        }
    }
    assert_eq!((registered, waitlisted), (20, 180));
    let session = &app.get(&a.id).await.sessions[0];
    assert_eq!((session.registered, session.waitlisted), (20, 180));

    // Cancellations promote the waitlist in arrival order.
    let all = list(&app, &s).await;
    let waiting: Vec<String> = all
        .iter()
        .filter(|r| r.status == RegistrationStatus::Waitlisted as i32)
        .map(|r| r.id.clone())
        .collect();
    let seated: Vec<String> = all
        .iter()
        .filter(|r| r.status == RegistrationStatus::Registered as i32)
        .map(|r| r.id.clone())
        .collect();
    for (i, id) in seated.iter().take(3).enumerate() {
        let resp = cancel(&app, id).await;
        assert_eq!(resp.registration.unwrap().status, RegistrationStatus::Cancelled as i32);
        let promoted = resp.promoted.expect("a waitlisted person is promoted");
        assert_eq!(promoted.id, waiting[i], "promotion follows arrival order");
        assert_eq!(promoted.status, RegistrationStatus::Registered as i32);
    }
    let session = &app.get(&a.id).await.sessions[0];
    assert_eq!((session.registered, session.waitlisted), (20, 177));
    assert_eq!(app.events("activities.registration.promoted").await, 3);
}

#[tokio::test]
async fn cancelling_a_waitlisted_registration_promotes_nobody() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(1).await;
    let s = &a.sessions[0].id;
    app.register(registration(s, 1)).await.unwrap();
    let w = app.register(registration(s, 2)).await.unwrap();
    let resp = cancel(&app, &w.id).await;
    assert!(resp.promoted.is_none());
}

#[tokio::test]
async fn registering_to_a_cancelled_or_completed_activity_is_failed_precondition() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(10).await;
    app.client
        .clone()
        .cancel_activity(pb::ActivityTransitionRequest { id: a.id.clone() })
        .await
        .unwrap();
    let status = app.register(registration(&a.sessions[0].id, 1)).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);

    let b = app.scheduled_activity(10).await;
    app.move_sessions_to_the_past(&b.id).await;
    app.client
        .clone()
        .complete_activity(pb::CompleteActivityRequest {
            id: b.id.clone(),
            entered: vec![],
        })
        .await
        .unwrap();
    let status = app.register(registration(&b.sessions[0].id, 1)).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(app.count("registrations").await, 0);
    assert_eq!(app.events("activities.registration.registered").await, 0);
}

#[tokio::test]
async fn registering_to_a_session_that_has_ended_is_failed_precondition() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(10).await;
    app.move_sessions_to_the_past(&a.id).await;
    let status = app.register(registration(&a.sessions[0].id, 1)).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(app.count("registrations").await, 0);
}

#[tokio::test]
async fn the_same_email_twice_on_one_session_is_already_exists() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(10).await;
    let s = &a.sessions[0].id;
    app.register(registration(s, 1)).await.unwrap();
    let mut again = registration(s, 2);
    again.email = "PERSONNE1@exemple.fr".into();
    let status = app.register(again).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(app.count("registrations").await, 1);
    assert_eq!(app.events("activities.registration.registered").await, 1);
}

#[tokio::test]
async fn invalid_emails_and_missing_consent_are_invalid_naming_the_fields() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(10).await;
    for bad in ["", "personne", "personne@exemple", "per sonne@exemple.fr"] {
        let mut r = registration(&a.sessions[0].id, 1);
        r.email = bad.into();
        r.consent = false;
        r.public = 77;
        let status = app.register(r).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<_> = field_violations(&status).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["email", "public", "consent"]);
        assert!(
            bad.is_empty() || !status.message().contains(bad),
            "no echo of the input"
        );
    }
    assert_eq!(app.count("registrations").await, 0);
    assert_eq!(app.events("activities.registration.registered").await, 0);
}

#[tokio::test]
async fn check_in_marks_attendance_in_bulk_and_refuses_the_waitlisted() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(2).await;
    let s = a.sessions[0].id.clone();
    let r1 = app.register(registration(&s, 1)).await.unwrap();
    let r2 = app.register(registration(&s, 2)).await.unwrap();
    let w = app.register(registration(&s, 3)).await.unwrap();

    let refused = app
        .client
        .clone()
        .record_attendance(RecordAttendanceRequest {
            session_id: s.clone(),
            registration_ids: vec![r1.id.clone(), w.id.clone()],
            attended: true,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&refused)[0].field, "registration_ids[1]");

    let marked = app
        .client
        .clone()
        .record_attendance(RecordAttendanceRequest {
            session_id: s.clone(),
            registration_ids: vec![r1.id.clone(), r2.id.clone()],
            attended: true,
        })
        .await
        .unwrap()
        .into_inner()
        .registrations;
    assert!(marked.iter().all(|r| r.status == RegistrationStatus::Attended as i32));
    assert_eq!(app.get(&a.id).await.sessions[0].attended, 2);
    let payloads = app.payloads("activities.registration.attended").await;
    let event = RegistrationChanged::decode(payloads[0].as_slice()).unwrap();
    assert_eq!(event.registration_ids, [r1.id, r2.id]);
    assert_eq!(event.attended, 2);
}

#[tokio::test]
async fn erasing_a_registrant_forgets_name_and_email_and_the_counts_stay_right() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(5).await;
    let s = a.sessions[0].id.clone();
    let r = app.register(registration(&s, 1)).await.unwrap();
    app.register(registration(&s, 2)).await.unwrap();

    let erased = app
        .client
        .clone()
        .erase_registrant(RegistrationIdRequest { id: r.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .registration
        .unwrap();
    assert!(erased.erased);
    assert_eq!((erased.name.as_str(), erased.email.as_str()), ("", ""));
    assert_eq!(erased.status, RegistrationStatus::Registered as i32);
    assert_eq!(erased.sex, pb::Sex::F as i32);
    let leftovers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM registrations WHERE id = $1::uuid AND (name IS NOT NULL OR email IS NOT NULL)",
    )
    .bind(&r.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(leftovers, 0);
    assert_eq!(app.get(&a.id).await.sessions[0].registered, 2);
    assert_eq!(app.events("activities.registration.erased").await, 1);
}

#[tokio::test]
async fn no_registration_event_carries_a_name_or_an_email() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(1).await;
    let s = a.sessions[0].id.clone();
    let r = app.register(registration(&s, 1)).await.unwrap();
    app.register(registration(&s, 2)).await.unwrap();
    cancel(&app, &r.id).await;
    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE subject LIKE 'activities.registration.%'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(payloads.len(), 4, "registered, waitlisted, cancelled, promoted");
    for p in payloads {
        let text = String::from_utf8_lossy(&p);
        assert!(
            !text.contains("exemple.fr") && !text.contains("Personne"),
            "no personal data"
        );
        let e = RegistrationChanged::decode(p.as_slice()).unwrap();
        assert_eq!(e.session_id, s);
    }
    let versions: Vec<i64> = sqlx::query_scalar(
        "SELECT aggregate_version FROM outbox WHERE subject LIKE 'activities.registration.%' ORDER BY created_at, event_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let distinct: HashSet<_> = versions.iter().collect();
    assert_eq!(distinct.len(), 4, "each change has its own session version");
}

#[tokio::test]
async fn a_partners_participation_history_lists_its_peoples_registrations() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(5).await;
    let employer = app.partner("Entreprise d'insertion").await;
    let mut r = registration(&a.sessions[0].id, 1);
    r.organisation_id = employer.clone();
    app.register(r).await.unwrap();
    app.register(registration(&a.sessions[0].id, 2)).await.unwrap();
    let history = app
        .client
        .clone()
        .list_partner_participation(ListPartnerParticipationRequest {
            partner_id: employer,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .registrations;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].activity_id, a.id);
    assert_eq!(history[0].activity_title, "Forum de l'ESS à Caen");
}

/// Statuses of a session's registrations in arrival order, straight from the table.
async fn statuses_in_arrival_order(app: &TestApp, session: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT status FROM registrations WHERE session_id = $1::uuid ORDER BY seq")
        .bind(session)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn concurrent_registrations_and_cancellations_never_exceed_capacity_and_promote_in_arrival_order() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(10).await;
    let s = a.sessions[0].id.clone();
    let mut first = Vec::new();
    for n in 0..10 {
        first.push(app.register(registration(&s, n)).await.unwrap().id);
    }

    // 60 registrations and 6 cancellations of seat holders, all at once.
    let mut registering = Vec::new();
    for n in 100..160 {
        let client = app.client.clone();
        let req = registration(&s, n);
        registering.push(tokio::spawn(async move { client.clone().register(req).await }));
    }
    let mut cancelling = Vec::new();
    for id in first.iter().take(6) {
        let client = app.client.clone();
        let id = id.clone();
        cancelling.push(tokio::spawn(async move {
            client.clone().cancel_registration(RegistrationIdRequest { id }).await
        }));
    }
    for t in registering {
        t.await.unwrap().expect("every registration is accepted");
    }
    let mut promoted = 0;
    for t in cancelling {
        let r = t.await.unwrap().expect("every cancellation is accepted").into_inner();
        promoted += usize::from(r.promoted.is_some());
    }

    // Seats are full (the waitlist is not empty), never beyond capacity, and nobody waits behind a
    // later arrival who holds a seat.
    let statuses = statuses_in_arrival_order(&app, &s).await;
    let live: Vec<&String> = statuses.iter().filter(|st| *st != "cancelled").collect();
    assert_eq!(live.len(), 64);
    assert_eq!(live.iter().filter(|st| **st == "registered").count(), 10);
    let first_waiting = live.iter().position(|st| *st == "waitlisted").unwrap();
    assert!(
        live[first_waiting..].iter().all(|st| *st == "waitlisted"),
        "seats go in arrival order: {live:?}"
    );
    let session = &app.get(&a.id).await.sessions[0];
    assert_eq!((session.registered, session.waitlisted), (10, 54));

    // Every event saw at most `capacity` seats, and the session's versions follow one another.
    let mut versions = Vec::new();
    for subject in ["registered", "waitlisted", "cancelled", "promoted"] {
        for p in app.payloads(&format!("activities.registration.{subject}")).await {
            let e = RegistrationChanged::decode(p.as_slice()).unwrap();
            assert!(e.registered <= e.capacity, "{} seats of {}", e.registered, e.capacity);
            versions.push(e.meta.unwrap().aggregate_version);
        }
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=(70 + 6 + promoted as i64)).collect::<Vec<_>>());

    // The counts kept on the session are the counts of its registrations.
    let kept: (i32, i32, i32) =
        sqlx::query_as("SELECT seated, waitlisted, cancelled FROM sessions WHERE id = $1::uuid")
            .bind(&s)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(kept, (10, 54, 6));
}

#[tokio::test]
async fn the_same_email_twice_in_one_burst_refuses_one_of_them_and_nobody_else() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(5).await;
    let s = a.sessions[0].id.clone();
    let mut tasks = Vec::new();
    for n in 0..30 {
        let client = app.client.clone();
        let mut req = registration(&s, n);
        if n == 29 {
            req.email = "personne3@exemple.fr".into();
        }
        tasks.push(tokio::spawn(async move { client.clone().register(req).await }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap().map(|_| ()).map_err(|s| s.code()));
    }
    assert_eq!(codes.iter().filter(|c| c.is_ok()).count(), 29);
    assert_eq!(codes.iter().filter(|c| **c == Err(Code::AlreadyExists)).count(), 1);
    let statuses = statuses_in_arrival_order(&app, &s).await;
    assert_eq!(statuses.iter().filter(|st| *st == "registered").count(), 5);
    assert_eq!(statuses.iter().filter(|st| *st == "waitlisted").count(), 24);
    assert_eq!(app.events("activities.registration.registered").await, 5);
    assert_eq!(app.events("activities.registration.waitlisted").await, 24);
}
