//! CreatePractice, PublishPractice, ListPractices.

use ess_proto::{
    activities::v1::{CreatePracticeRequest, ListPracticesRequest, PracticeStatus, PublishPracticeRequest},
    events::v1::PracticePublished,
};
use platform::grpc::field_violations;
use prost::Message as _;
use tonic::Code;

use crate::helpers::{spawn_app, valid_activity};

#[tokio::test]
async fn a_published_practice_sheet_is_listed_and_announced() {
    let app = spawn_app().await;
    let coop = app.partner("Coopérative organisatrice").await;
    let a = app.create_activity(valid_activity(&coop)).await.unwrap();
    let sheet = app
        .client
        .clone()
        .create_practice(CreatePracticeRequest {
            title: "Un forum co-organisé avec les missions locales".into(),
            summary: "Ce qui a marché.".into(),
            body: "Préparer les stands avec les jeunes.\nInviter les employeurs.".into(),
            activity_ids: vec![a.id.clone()],
            partner_ids: vec![coop.clone()],
            axis: 3,
            tags: vec!["Jeunesse".into(), "forum".into()],
        })
        .await
        .unwrap()
        .into_inner()
        .practice
        .unwrap();
    assert_eq!(sheet.status, PracticeStatus::Draft as i32);
    assert_eq!(sheet.tags, ["forum", "jeunesse"]);
    let published_only = ListPracticesRequest {
        published_only: true,
        ..Default::default()
    };
    let listed = app
        .client
        .clone()
        .list_practices(published_only.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.practices.is_empty(), "a draft is not public");

    let published = app
        .client
        .clone()
        .publish_practice(PublishPracticeRequest { id: sheet.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .practice
        .unwrap();
    assert_eq!(published.status, PracticeStatus::Published as i32);
    let listed = app
        .client
        .clone()
        .list_practices(published_only)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.practices.len(), 1);
    let payloads = app.payloads("activities.practice.published").await;
    let event = PracticePublished::decode(payloads[0].as_slice()).unwrap();
    assert_eq!((event.practice_id.as_str(), event.axis), (sheet.id.as_str(), 3));
    assert_eq!(event.activity_ids, [a.id]);

    let twice = app
        .client
        .clone()
        .publish_practice(PublishPracticeRequest { id: sheet.id })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn a_practice_without_an_axis_or_with_an_unknown_activity_is_invalid() {
    let app = spawn_app().await;
    let status = app
        .client
        .clone()
        .create_practice(CreatePracticeRequest {
            title: "Titre".into(),
            summary: "Résumé".into(),
            body: "Corps".into(),
            axis: 0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].field, "axis");
    let status = app
        .client
        .clone()
        .create_practice(CreatePracticeRequest {
            title: "Titre".into(),
            summary: "Résumé".into(),
            body: "Corps".into(),
            axis: 1,
            activity_ids: vec![uuid::Uuid::now_v7().to_string()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(field_violations(&status)[0].field, "activity_ids[0]");
    assert_eq!(app.count("practices").await, 0);
}
