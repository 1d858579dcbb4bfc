//! Pages of ListActivities and ListRegistrations: every row once, in order, across pages (ties on
//! the first session broken by id); page sizes defaulted, clamped or refused; bad tokens refused.

use ess_proto::activities::v1::{self as pb, ListActivitiesRequest, ListRegistrationsRequest};
use platform::grpc::field_violations;
use tonic::Code;

use crate::helpers::{TestApp, in_days, registration, session, spawn_app, valid_activity};

fn fields(status: &tonic::Status) -> Vec<String> {
    field_violations(status).into_iter().map(|v| v.field).collect()
}

async fn activity_page(
    app: &TestApp,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<pb::Activity>, String), tonic::Status> {
    let r = app
        .client
        .clone()
        .list_activities(ListActivitiesRequest {
            page_size,
            page_token: page_token.into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok((r.activities, r.next_page_token))
}

async fn registration_page(
    app: &TestApp,
    session_id: &str,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<pb::Registration>, String), tonic::Status> {
    let r = app
        .client
        .clone()
        .list_registrations(ListRegistrationsRequest {
            session_id: session_id.into(),
            page_size,
            page_token: page_token.into(),
        })
        .await?
        .into_inner();
    Ok((r.registrations, r.next_page_token))
}

#[tokio::test]
async fn activity_pages_return_every_activity_once_by_first_session_then_id() {
    let app = spawn_app().await;
    let coop = app.partner("Coopérative organisatrice").await;
    // Days 9, 3, 5, 3, 7: two activities share their first session start.
    for (n, day) in [9, 3, 5, 3, 7].into_iter().enumerate() {
        let mut req = valid_activity(&coop);
        req.activity.as_mut().unwrap().title = format!("Activité {n}");
        req.sessions = vec![session(in_days(day, 0), 2, 20)];
        app.create_activity(req).await.unwrap();
    }
    // One page holding them all is the reference order: by first session start, then id.
    let (reference, next) = activity_page(&app, 500, "").await.unwrap();
    assert_eq!(next, "");
    let order: Vec<(i64, String)> = reference
        .iter()
        .map(|a| (a.sessions[0].start.as_ref().unwrap().seconds, a.id.clone()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    let expected: Vec<String> = reference.into_iter().map(|a| a.id).collect();
    assert_eq!(expected.len(), 5);

    let (mut seen, mut token) = (Vec::new(), String::new());
    loop {
        let (page, next) = activity_page(&app, 2, &token).await.unwrap();
        assert!(page.len() <= 2, "{page:?}");
        seen.extend(page.into_iter().map(|a| a.id));
        if next.is_empty() {
            break;
        }
        token = next;
    }
    assert_eq!(seen, expected);

    // One added ahead of the cursor shows up once; one behind it does not come back.
    let (first, token) = activity_page(&app, 2, "").await.unwrap();
    let mut early = valid_activity(&coop);
    early.sessions = vec![session(in_days(1, 0), 2, 20)];
    app.create_activity(early).await.unwrap();
    let mut late = valid_activity(&coop);
    late.sessions = vec![session(in_days(20, 0), 2, 20)];
    let late = app.create_activity(late).await.unwrap();
    let (mut rest, mut token) = (Vec::new(), token);
    while !token.is_empty() {
        let (page, next) = activity_page(&app, 2, &token).await.unwrap();
        rest.extend(page.into_iter().map(|a| a.id));
        token = next;
    }
    let mut want: Vec<String> = expected[2..].to_vec();
    want.push(late.id);
    assert_eq!(first.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), expected[..2]);
    assert_eq!(rest, want);

    let (all, next) = activity_page(&app, 0, "").await.unwrap();
    assert_eq!((all.len(), next.as_str()), (7, ""));
    let (all, next) = activity_page(&app, 10_000, "").await.unwrap();
    assert_eq!((all.len(), next.as_str()), (7, ""));
}

#[tokio::test]
async fn registration_pages_return_every_registration_once_in_arrival_order() {
    let app = spawn_app().await;
    let a = app.scheduled_activity(3).await;
    let s = a.sessions[0].id.clone();
    let mut expected = Vec::new();
    for n in 0..5 {
        expected.push(app.register(registration(&s, n)).await.unwrap().id);
    }
    let (mut seen, mut token) = (Vec::new(), String::new());
    loop {
        let (page, next) = registration_page(&app, &s, 2, &token).await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.into_iter().map(|r| r.id));
        if next.is_empty() {
            break;
        }
        token = next;
    }
    assert_eq!(seen, expected);

    // Registering meanwhile: the newcomer comes last, nobody twice.
    let (first, token) = registration_page(&app, &s, 3, "").await.unwrap();
    let newcomer = app.register(registration(&s, 9)).await.unwrap().id;
    let (rest, next) = registration_page(&app, &s, 3, &token).await.unwrap();
    assert_eq!(next, "");
    let ids: Vec<String> = first.iter().chain(rest.iter()).map(|r| r.id.clone()).collect();
    let mut want = expected.clone();
    want.push(newcomer);
    assert_eq!(ids, want);

    assert_eq!(registration_page(&app, &s, 0, "").await.unwrap().0.len(), 6);
    assert_eq!(registration_page(&app, &s, 10_000, "").await.unwrap().0.len(), 6);

    // A token of this session is refused for another session (other filters).
    let (_, token) = registration_page(&app, &s, 1, "").await.unwrap();
    let other = app.scheduled_activity(3).await;
    let foreign = registration_page(&app, &other.sessions[0].id, 1, &token)
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::InvalidArgument);
    assert_eq!(fields(&foreign), ["page_token"]);
}

#[tokio::test]
async fn bad_page_sizes_and_tokens_are_invalid_argument_naming_the_field() {
    let app = spawn_app().await;
    let negative = activity_page(&app, -5, "").await.unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    assert_eq!(fields(&negative), ["page_size"]);
    let garbage = activity_page(&app, 2, "%%garbage%%").await.unwrap_err();
    assert_eq!(garbage.code(), Code::InvalidArgument);
    assert_eq!(fields(&garbage), ["page_token"]);

    let a = app.scheduled_activity(3).await;
    let s = a.sessions[0].id.clone();
    let negative = registration_page(&app, &s, -1, "").await.unwrap_err();
    assert_eq!(fields(&negative), ["page_size"]);
    let garbage = registration_page(&app, &s, 2, "AAAAAAAA").await.unwrap_err();
    assert_eq!(garbage.code(), Code::InvalidArgument);
    assert_eq!(fields(&garbage), ["page_token"]);
}
