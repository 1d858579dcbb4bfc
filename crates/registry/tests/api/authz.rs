//! Object-level access and the audit log: a partner reaches its own record and contacts only, a
//! denial never says whether the partner exists, the activities service sees no contacts, and
//! every write is audited with its subject.

use ess_proto::{
    platform::v1::{ListAuditEntriesRequest, audit_client::AuditClient},
    registry::v1::{
        AddContactRequest, Contact, CreatePartnerRequest, EraseContactRequest, GetMembershipRequest, GetPartnerRequest,
        UpdatePartnerRequest, partner_registry_client::PartnerRegistryClient,
    },
};
use platform::{auth::Access, testing::with_access};
use tonic::Code;
use uuid::Uuid;

use crate::helpers::{TestApp, siren_from, siret_of, spawn_app, valid_request};

fn contact() -> Contact {
    Contact {
        name: "Marie Durand".into(),
        email: "marie.durand@example.org".into(),
        phone: "02 31 00 00 00".into(),
        consent: true,
        ..Default::default()
    }
}

/// Two partners (A and B), each with one contact.
async fn two_partners(app: &TestApp) -> (String, String) {
    let a = app
        .create_partner(CreatePartnerRequest {
            contacts: vec![contact()],
            ..valid_request()
        })
        .await
        .unwrap();
    let b = app
        .create_partner(CreatePartnerRequest {
            name: "Coopérative B".into(),
            siret: siret_of(&siren_from("44306184"), "0004"),
            contacts: vec![contact()],
            ..valid_request()
        })
        .await
        .unwrap();
    (a.id, b.id)
}

fn client_for(app: &TestApp, access: Access) -> PartnerRegistryClient<platform::grpc::AuthChannel> {
    PartnerRegistryClient::new(with_access(access, app.channel.clone()))
}

fn partner(id: &str) -> Access {
    Access::Partner(Uuid::parse_str(id).unwrap())
}

#[tokio::test]
async fn a_partner_reads_its_own_record_with_contacts_and_not_another_partners() {
    let app = spawn_app().await;
    let (a, b) = two_partners(&app).await;
    let mut as_a = client_for(&app, partner(&a));

    let own = as_a.get_partner(GetPartnerRequest { id: a.clone() }).await.unwrap();
    assert_eq!(own.into_inner().partner.unwrap().contacts.len(), 1);

    let other = as_a.get_partner(GetPartnerRequest { id: b.clone() }).await.unwrap_err();
    let missing = as_a
        .get_partner(GetPartnerRequest {
            id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied);
    assert_eq!(
        (missing.code(), missing.message()),
        (other.code(), other.message()),
        "another partner and no partner at all look the same"
    );
}

#[tokio::test]
async fn a_partner_edits_its_own_record_and_contacts_and_never_another_partners() {
    let app = spawn_app().await;
    let (a, b) = two_partners(&app).await;
    let mut as_a = client_for(&app, partner(&a));
    let contacts_before = app.count("partner_contacts").await;

    let add_to_b = as_a
        .add_contact(AddContactRequest {
            partner_id: b.clone(),
            expected_version: 1,
            contact: Some(contact()),
        })
        .await
        .unwrap_err();
    assert_eq!(add_to_b.code(), Code::PermissionDenied);
    let update_b = as_a
        .update_partner(UpdatePartnerRequest {
            id: b.clone(),
            expected_version: 1,
            name: "Prise de contrôle".into(),
            commune_code: "14118".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(update_b.code(), Code::PermissionDenied);
    let erase_b = as_a
        .erase_contact(EraseContactRequest {
            partner_id: b.clone(),
            contact_id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(erase_b.code(), Code::PermissionDenied);
    assert_eq!(app.count("partner_contacts").await, contacts_before, "nothing written");

    let added = as_a
        .add_contact(AddContactRequest {
            partner_id: a.clone(),
            expected_version: 1,
            contact: Some(contact()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.partner.unwrap().contacts.len(), 2);
}

#[tokio::test]
async fn membership_of_another_partner_is_denied_to_a_partner() {
    let app = spawn_app().await;
    let (a, b) = two_partners(&app).await;
    let mut membership = ess_proto::registry::v1::membership_client::MembershipClient::new(with_access(
        partner(&a),
        app.channel.clone(),
    ));
    let denied = membership
        .get_membership(GetMembershipRequest { partner_id: b })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    membership
        .get_membership(GetMembershipRequest { partner_id: a })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_activities_service_looks_partners_up_without_their_contacts() {
    let app = spawn_app().await;
    let (a, _) = two_partners(&app).await;
    let mut service = client_for(&app, Access::Service);
    let seen = service.get_partner(GetPartnerRequest { id: a }).await.unwrap();
    let seen = seen.into_inner().partner.unwrap();
    assert!(seen.contacts.is_empty(), "no personal data for a machine lookup");
    let create = service.create_partner(valid_request()).await.unwrap_err();
    assert_eq!(create.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_write_shows_up_in_the_audit_log_with_its_subject_and_outcome() {
    let app = spawn_app().await;
    let (a, b) = two_partners(&app).await;
    // A refused write is audited too.
    let _ = client_for(&app, partner(&a))
        .update_partner(UpdatePartnerRequest {
            id: b.clone(),
            expected_version: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();

    let mut audit = AuditClient::new(with_access(Access::Staff, app.channel.clone()));
    // Entries are written in batches just after the answers: wait for the three.
    platform::testing::poll_until(std::time::Duration::from_secs(10), "the audit entries", || {
        let mut audit = audit.clone();
        async move {
            let listed = audit
                .list_audit_entries(ListAuditEntriesRequest::default())
                .await
                .ok()?
                .into_inner();
            (listed.entries.len() >= 3).then_some(())
        }
    })
    .await;
    let created = audit
        .list_audit_entries(ListAuditEntriesRequest {
            subject: "test-admin".into(),
            method: "ess.registry.v1.PartnerRegistry".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut ids: Vec<&str> = created.entries.iter().map(|e| e.object_id.as_str()).collect();
    ids.sort();
    let mut expected = vec![a.as_str(), b.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(created.entries.iter().all(|e| e.role == "admin"
        && e.outcome == "OK"
        && e.method == "/ess.registry.v1.PartnerRegistry/CreatePartner"));

    let refused = audit
        .list_audit_entries(ListAuditEntriesRequest {
            subject: "test-partner".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.entries.len(), 1);
    assert_eq!(refused.entries[0].outcome, "PERMISSION_DENIED");
    assert_eq!(refused.entries[0].partner_id, a);

    // Paging: one entry per page, newest first, until the token runs out.
    let first = audit
        .list_audit_entries(ListAuditEntriesRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.entries.len(), 1);
    let second = audit
        .list_audit_entries(ListAuditEntriesRequest {
            page_size: 1,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(second.entries[0].id < first.entries[0].id);

    let partners_may_not_read_it = AuditClient::new(with_access(partner(&a), app.channel.clone()))
        .list_audit_entries(ListAuditEntriesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(partners_may_not_read_it.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn reads_are_not_audited_and_tokens_are_required() {
    let app = spawn_app().await;
    let (a, _) = two_partners(&app).await;
    client_for(&app, Access::Staff)
        .get_partner(GetPartnerRequest { id: a.clone() })
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE method LIKE '%GetPartner'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);

    let anonymous = PartnerRegistryClient::new(app.channel.clone())
        .get_partner(GetPartnerRequest { id: a.clone() })
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let garbage = PartnerRegistryClient::new(platform::grpc::with_token(
        app.channel.clone(),
        &platform::secret::Secret::new("not-a-token"),
    ))
    .get_partner(GetPartnerRequest { id: a })
    .await
    .unwrap_err();
    assert_eq!(garbage.code(), Code::Unauthenticated);
    assert!(!garbage.message().contains("not-a-token"), "the token is never echoed");
}
