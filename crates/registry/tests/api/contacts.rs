//! Contact persons: recorded with consent, erased on request, never in events.

use ess_proto::registry::v1::{AddContactRequest, Contact, CreatePartnerRequest, EraseContactRequest};
use tonic::Code;

use crate::helpers::{fields, spawn_app, valid_request};

fn marie() -> Contact {
    Contact {
        name: "Marie Durand".into(),
        role: "Directrice".into(),
        email: "marie.durand@example.org".into(),
        phone: "02 31 00 00 00".into(),
        consent: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn contacts_are_recorded_erased_on_request_and_never_published() {
    let app = spawn_app().await;
    let p = app
        .create_partner(CreatePartnerRequest {
            contacts: vec![marie()],
            ..valid_request()
        })
        .await
        .unwrap();
    assert_eq!(p.contacts.len(), 1);
    assert_eq!(p.contacts[0].phone, "02 31 00 00 00");

    let added = app
        .client
        .clone()
        .add_contact(AddContactRequest {
            partner_id: p.id.clone(),
            expected_version: 1,
            contact: Some(Contact {
                name: "Paul Martin".into(),
                email: "paul@example.org".into(),
                phone: "+33 6 12 34 56 78".into(),
                consent: false,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let partner = added.partner.unwrap();
    assert_eq!((partner.version, partner.contacts.len()), (2, 2));
    assert_eq!(partner.contacts[1].phone, "06 12 34 56 78");

    let erased = app
        .client
        .clone()
        .erase_contact(EraseContactRequest {
            partner_id: p.id.clone(),
            contact_id: p.contacts[0].id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .partner
        .unwrap();
    assert_eq!(erased.version, 3);
    assert_eq!(erased.contacts.len(), 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT name FROM partner_contacts")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, ["Paul Martin"]);

    for payload in app.outbox_payloads().await {
        let text = String::from_utf8_lossy(&payload);
        for personal in ["Marie", "Durand", "marie.durand", "Paul", "paul@", "02 31", "06 12"] {
            assert!(!text.contains(personal), "an event carries {personal}");
        }
    }
    assert_eq!(app.outbox_count("ess.events.v1.PartnerUpdated").await, 2);
}

#[tokio::test]
async fn a_malformed_contact_names_its_fields_and_writes_nothing() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let status = app
        .client
        .clone()
        .add_contact(AddContactRequest {
            partner_id: p.id.clone(),
            expected_version: 1,
            contact: Some(Contact {
                email: "pas-un-email".into(),
                phone: "123".into(),
                ..marie()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["contact.email", "contact.phone"]);
    assert!(!status.message().contains("pas-un-email"));
    assert_eq!(app.count("partner_contacts").await, 0);
    assert_eq!(app.count("outbox").await, 1);
}

#[tokio::test]
async fn adding_a_contact_with_a_stale_version_is_aborted() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let status = app
        .client
        .clone()
        .add_contact(AddContactRequest {
            partner_id: p.id.clone(),
            expected_version: 7,
            contact: Some(marie()),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Aborted);
    assert_eq!(app.count("partner_contacts").await, 0);
}

#[tokio::test]
async fn erasing_an_unknown_contact_is_not_found() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let status = app
        .client
        .clone()
        .erase_contact(EraseContactRequest {
            partner_id: p.id,
            contact_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(app.count("outbox").await, 1);
}
