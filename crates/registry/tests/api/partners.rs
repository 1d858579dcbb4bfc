//! CreatePartner and GetPartner.

use ess_proto::{
    events::v1::PartnerRegistered,
    registry::v1::{CreatePartnerRequest, GetPartnerRequest},
};
use platform::{bus::headers, grpc::field_violations};
use prost::Message as _;
use tonic::Code;

use crate::helpers::{spawn_app, valid_request};

#[tokio::test]
async fn a_created_partner_can_be_read_back() {
    let app = spawn_app().await;
    let created = app.create_partner(valid_request()).await.expect("created");
    assert_eq!(created.name, "Association des Amis du Théâtre");
    assert_eq!(created.departement_code, "14");
    assert_eq!(created.version, 1);

    let read = app
        .client
        .clone()
        .get_partner(GetPartnerRequest { id: created.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.partner, Some(created));
}

#[tokio::test]
async fn creating_a_partner_publishes_partner_registered_through_the_outbox() {
    let app = spawn_app().await;
    let created = app.create_partner(valid_request()).await.unwrap();
    app.wait_published().await;

    let msg = app.last_message("registry.partner.registered").await;
    let event = PartnerRegistered::decode(msg.payload.as_ref()).expect("a PartnerRegistered payload");
    let meta = event.meta.expect("meta");
    assert_eq!(event.partner_id, created.id);
    assert_eq!(event.departement_code, "14");
    assert_eq!(event.commune_code, "14118");
    assert_eq!(
        (meta.aggregate_id.as_str(), meta.aggregate_version),
        (created.id.as_str(), 1)
    );
    assert_eq!(
        msg.headers.get(headers::MSG_ID).map(|v| v.as_str()),
        Some(meta.event_id.as_str())
    );
    assert_eq!(
        msg.headers.get(headers::EVENT_TYPE).map(|v| v.as_str()),
        Some("ess.events.v1.PartnerRegistered")
    );
}

#[tokio::test]
async fn a_bad_siret_is_invalid_argument_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let status = app
        .create_partner(CreatePartnerRequest {
            siret: "73282932000075".into(),
            ..valid_request()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<_> = field_violations(&status).into_iter().map(|v| v.field).collect();
    assert_eq!(fields, ["siret"]);
    assert_eq!(app.count("partners").await, 0);
    assert_eq!(app.count("outbox").await, 0);
    assert_eq!(app.stream_messages().await, 0, "no event published");
}

#[tokio::test]
async fn every_bad_field_is_reported_in_one_answer() {
    let app = spawn_app().await;
    let status = app
        .create_partner(CreatePartnerRequest {
            name: " ".into(),
            siret: "12".into(),
            commune_code: "75056".into(),
            postal_code: "1400".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<_> = field_violations(&status).into_iter().map(|v| v.field).collect();
    assert_eq!(fields, ["name", "siret", "commune_code", "postal_code"]);
    assert!(!status.message().contains("75056"), "messages do not echo input");
    assert_eq!(app.count("partners").await, 0);
}

#[tokio::test]
async fn la_postes_establishments_pass_by_the_digit_sum_rule() {
    let app = spawn_app().await;
    let p = app
        .create_partner(CreatePartnerRequest {
            siret: "35600000049837".into(),
            ..valid_request()
        })
        .await
        .expect("a La Poste SIRET whose digits sum to a multiple of 5");
    assert_eq!(p.siret, "35600000049837");
}

#[tokio::test]
async fn a_siret_already_registered_is_already_exists_and_writes_nothing() {
    let app = spawn_app().await;
    app.create_partner(valid_request()).await.unwrap();
    let status = app
        .create_partner(CreatePartnerRequest {
            name: "Another name".into(),
            siret: "732 829 320 00074".into(),
            ..valid_request()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(app.count("partners").await, 1);
    assert_eq!(app.count("outbox").await, 1);
}

#[tokio::test]
async fn reading_an_unknown_partner_is_not_found_and_a_malformed_id_is_invalid() {
    let app = spawn_app().await;
    let missing = app
        .client
        .clone()
        .get_partner(GetPartnerRequest {
            id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let malformed = app
        .client
        .clone()
        .get_partner(GetPartnerRequest { id: "42".into() })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&malformed)[0].field, "id");
}

#[tokio::test]
async fn a_corrupt_row_gives_a_bare_internal_error() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    // Passes the table's CHECK (14 digits) but not the domain's check digit.
    sqlx::query("UPDATE partners SET siret = '73282932000075' WHERE id = $1::uuid")
        .bind(&p.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let status = app
        .client
        .clone()
        .get_partner(GetPartnerRequest { id: p.id })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal);
    assert!(
        !status.message().contains("siret"),
        "the cause stays in the log: {}",
        status.message()
    );
}
