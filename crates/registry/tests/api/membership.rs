//! CRESS membership periods and network affiliations.

use ess_proto::{
    events::v1::MembershipChanged,
    registry::v1::{
        AddAffiliationRequest, ArchivePartnerRequest, CreatePartnerRequest, EndAffiliationRequest, JoinCressRequest,
        LeaveCressRequest, ListPartnersRequest,
    },
};
use prost::Message as _;
use tonic::Code;

use crate::helpers::{fields, siren_from, siret_of, spawn_app, valid_request};

fn join(partner_id: &str, version: i64, from: &str) -> JoinCressRequest {
    JoinCressRequest {
        partner_id: partner_id.into(),
        expected_version: version,
        member_from: from.into(),
        college: "Réseaux et fédérations".into(),
        mandant: true,
    }
}

#[tokio::test]
async fn joining_and_leaving_the_cress_keeps_a_history_and_publishes_membership_changed() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let joined = app
        .membership
        .clone()
        .join_cress(join(&p.id, 1, "2021-01-01"))
        .await
        .unwrap()
        .into_inner();
    assert!(joined.cress_member);
    assert_eq!(joined.version, 2);
    assert!(app.get_partner(&p.id).await.cress_member);

    let members = app
        .client
        .clone()
        .list_partners(ListPartnersRequest {
            cress_member: Some(true),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .partners;
    assert_eq!(members.len(), 1);

    let early = app
        .membership
        .clone()
        .leave_cress(LeaveCressRequest {
            partner_id: p.id.clone(),
            expected_version: 2,
            member_until: "2020-12-31".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (early.code(), fields(&early)),
        (Code::InvalidArgument, vec!["member_until".to_owned()])
    );

    let left = app
        .membership
        .clone()
        .leave_cress(LeaveCressRequest {
            partner_id: p.id.clone(),
            expected_version: 2,
            member_until: "2024-12-31".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!left.cress_member);
    assert_eq!(left.periods.len(), 1);
    assert_eq!(
        (
            left.periods[0].member_from.as_str(),
            left.periods[0].member_until.as_str()
        ),
        ("2021-01-01", "2024-12-31")
    );

    app.wait_published().await;
    let msg = app.last_message("registry.membership.changed").await;
    let event = MembershipChanged::decode(msg.payload.as_ref()).unwrap();
    assert!(!event.cress_member);
    assert_eq!(event.meta.unwrap().aggregate_version, 3);
    assert!(event.mandant);

    let overlapping = app
        .membership
        .clone()
        .join_cress(join(&p.id, 3, "2024-06-01"))
        .await
        .unwrap_err();
    assert_eq!(fields(&overlapping), ["member_from"]);
}

#[tokio::test]
async fn a_second_open_period_or_an_archived_partner_is_a_failed_precondition() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    app.membership
        .clone()
        .join_cress(join(&p.id, 1, "2021-01-01"))
        .await
        .unwrap();
    let twice = app
        .membership
        .clone()
        .join_cress(join(&p.id, 2, "2022-01-01"))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    app.client
        .clone()
        .archive_partner(ArchivePartnerRequest {
            id: p.id.clone(),
            expected_version: 2,
        })
        .await
        .unwrap();
    let archived = app
        .membership
        .clone()
        .leave_cress(LeaveCressRequest {
            partner_id: p.id.clone(),
            expected_version: 3,
            member_until: "2024-12-31".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(archived.code(), Code::FailedPrecondition);
    assert_eq!(app.count("cress_memberships").await, 1);
}

#[tokio::test]
async fn a_partner_belongs_to_a_network_between_two_dates() {
    let app = spawn_app().await;
    let member = app.create_partner(valid_request()).await.unwrap();
    let network = app
        .create_partner(CreatePartnerRequest {
            name: "Fédération régionale".into(),
            siret: siret_of(&siren_from("33406569"), "0001"),
            ..valid_request()
        })
        .await
        .unwrap();
    let added = app
        .membership
        .clone()
        .add_affiliation(AddAffiliationRequest {
            partner_id: member.id.clone(),
            expected_version: 1,
            network_id: network.id.clone(),
            from: "2020-03-01".into(),
            until: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.affiliations.len(), 1);
    assert_eq!(added.affiliations[0].network_name, "Fédération régionale");

    let reversed = app
        .membership
        .clone()
        .end_affiliation(EndAffiliationRequest {
            partner_id: member.id.clone(),
            expected_version: 2,
            affiliation_id: added.affiliations[0].id.clone(),
            until: "2019-01-01".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&reversed), ["until"]);
    let ended = app
        .membership
        .clone()
        .end_affiliation(EndAffiliationRequest {
            partner_id: member.id.clone(),
            expected_version: 2,
            affiliation_id: added.affiliations[0].id.clone(),
            until: "2025-06-30".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ended.affiliations[0].until, "2025-06-30");
    assert_eq!(app.outbox_count("ess.events.v1.AffiliationChanged").await, 2);

    let selfish = app
        .membership
        .clone()
        .add_affiliation(AddAffiliationRequest {
            partner_id: member.id.clone(),
            expected_version: 3,
            network_id: member.id.clone(),
            from: "2020-03-01".into(),
            until: "2019-01-01".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&selfish), ["until", "network_id"]);
}
