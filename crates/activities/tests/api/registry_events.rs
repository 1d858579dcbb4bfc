//! Reactions to registry events: renamed organisers show their new name, an archived partner's
//! future activities where it is the only organiser are flagged (not cancelled); unknown event
//! types are ignored.

use ess_proto::{
    activities::v1::{ActivityStatus, ListActivitiesRequest},
    events::v1::{ActivityFlagged, EventMeta, PartnerUpdated},
    registry::v1::ArchivePartnerRequest,
};
use prost::Message as _;

use crate::helpers::{spawn_app, valid_activity};

#[tokio::test]
async fn a_renamed_partner_shows_its_new_name_in_listings() {
    let app = spawn_app().await;
    let coop = app.partner("Coopérative organisatrice").await;
    let a = app.create_activity(valid_activity(&coop)).await.unwrap();

    // An event type activities does not know comes first: it is ignored.
    let unknown_id = uuid::Uuid::now_v7().to_string();
    app.publish_registry_event(
        "registry.partner.audited",
        "ess.events.v1.PartnerAudited",
        vec![1, 2, 3],
        &unknown_id,
    )
    .await;
    let event_id = uuid::Uuid::now_v7().to_string();
    let renamed = PartnerUpdated {
        meta: Some(EventMeta {
            event_id: event_id.clone(),
            occurred_at: None,
            aggregate_id: coop.clone(),
            aggregate_version: 100,
        }),
        partner_id: coop.clone(),
        name: "Coopérative renommée".into(),
        commune_code: "14118".into(),
        departement_code: "14".into(),
        facts: None,
    };
    app.publish_registry_event(
        "registry.partner.updated",
        "ess.events.v1.PartnerUpdated",
        renamed.encode_to_vec(),
        &event_id,
    )
    .await;
    app.wait_for_activity(&a.id, "the organiser's new name", |a| {
        a.organisers[0].name == "Coopérative renommée"
    })
    .await;
    let listed = app
        .client
        .clone()
        .list_activities(ListActivitiesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .activities;
    assert_eq!(listed[0].organisers[0].name, "Coopérative renommée");
}

#[tokio::test]
async fn archiving_a_partner_flags_its_future_activities_where_it_is_the_only_organiser() {
    let app = spawn_app().await;
    let coop = app.partner("Coopérative organisatrice").await;
    let friend = app.partner("Association amie").await;
    let alone = app.create_activity(valid_activity(&coop)).await.unwrap();
    app.schedule(&alone.id).await.unwrap();
    let mut shared = valid_activity(&coop);
    shared.co_organiser_ids = vec![friend];
    let shared = app.create_activity(shared).await.unwrap();
    let past = app.create_activity(valid_activity(&coop)).await.unwrap();
    app.move_sessions_to_the_past(&past.id).await;

    app.registry
        .clone()
        .archive_partner(ArchivePartnerRequest {
            id: coop.clone(),
            expected_version: 1,
        })
        .await
        .expect("archived in the registry");

    let flagged = app
        .wait_for_activity(&alone.id, "the activity to be flagged", |a| !a.flag.is_empty())
        .await;
    assert_eq!(flagged.flag, "organiser_archived");
    assert_eq!(flagged.status, ActivityStatus::Scheduled as i32, "not cancelled");
    assert_eq!(flagged.version, 3);
    assert_eq!(app.get(&shared.id).await.flag, "", "it has another organiser");
    assert_eq!(app.get(&past.id).await.flag, "", "it is over");
    let payloads = app.payloads("activities.activity.flagged").await;
    assert_eq!(payloads.len(), 1);
    let event = ActivityFlagged::decode(payloads[0].as_slice()).unwrap();
    assert_eq!(
        (event.activity_id.as_str(), event.partner_id.as_str()),
        (alone.id.as_str(), coop.as_str())
    );
}
