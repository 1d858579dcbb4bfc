//! PTCEs (members with dates) and initiatives (stage history).

use ess_proto::{
    events::v1::{InitiativeStageChanged, PtceMemberLeft},
    registry::v1::{
        ChangeInitiativeStageRequest, CreateInitiativeRequest, CreatePartnerRequest, CreatePtceRequest, InitiativeKind,
        InitiativeStage, JoinPtceRequest, LeavePtceRequest, ListPartnersRequest, Partner, PtceStatus,
        SetPtceStatusRequest,
    },
};
use prost::Message as _;
use tonic::Code;

use crate::helpers::{TestApp, fields, siren_from, siret_of, spawn_app, valid_request};

async fn partner(app: &TestApp, n: u32, name: &str) -> Partner {
    app.create_partner(CreatePartnerRequest {
        name: name.into(),
        siret: siret_of(&siren_from(&format!("{:08}", 20_000_000 + n)), "0001"),
        ..valid_request()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_ptce_gains_and_loses_members_with_dates_and_events() {
    let app = spawn_app().await;
    let lead = partner(&app, 1, "Pôle Coop").await;
    let member = partner(&app, 2, "Ressourcerie").await;
    let mut ptces = app.ptces.clone();
    let ptce = ptces
        .create_ptce(CreatePtceRequest {
            name: "PTCE du Pays d'Auge".into(),
            territory: "Pays d'Auge".into(),
            lead_partner_id: lead.id.clone(),
            themes: vec!["Réemploi".into()],
            status: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .ptce
        .unwrap();
    assert_eq!((ptce.status, ptce.version), (PtceStatus::Emerging as i32, 1));

    let joined = ptces
        .join_ptce(JoinPtceRequest {
            ptce_id: ptce.id.clone(),
            expected_version: 1,
            partner_id: member.id.clone(),
            joined_on: "2023-05-01".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .ptce
        .unwrap();
    assert_eq!(joined.members[0].partner_name, "Ressourcerie");

    let in_ptce = app
        .client
        .clone()
        .list_partners(ListPartnersRequest {
            ptce_id: ptce.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .partners;
    assert_eq!(
        in_ptce.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Ressourcerie"]
    );

    let twice = ptces
        .join_ptce(JoinPtceRequest {
            ptce_id: ptce.id.clone(),
            expected_version: 2,
            partner_id: member.id.clone(),
            joined_on: "2023-06-01".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);

    let reversed = ptces
        .leave_ptce(LeavePtceRequest {
            ptce_id: ptce.id.clone(),
            expected_version: 2,
            partner_id: member.id.clone(),
            left_on: "2023-04-30".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&reversed), ["left_on"]);

    let left = ptces
        .leave_ptce(LeavePtceRequest {
            ptce_id: ptce.id.clone(),
            expected_version: 2,
            partner_id: member.id.clone(),
            left_on: "2025-01-31".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .ptce
        .unwrap();
    assert_eq!(left.members[0].left_on, "2025-01-31");
    app.wait_published().await;
    let msg = app.last_message("registry.ptce.member_left").await;
    let event = PtceMemberLeft::decode(msg.payload.as_ref()).unwrap();
    assert_eq!(
        (event.partner_id.as_str(), event.meta.unwrap().aggregate_version),
        (member.id.as_str(), 3)
    );

    let stale = ptces
        .set_ptce_status(SetPtceStatusRequest {
            ptce_id: ptce.id.clone(),
            expected_version: 1,
            status: PtceStatus::Active as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    ptces
        .set_ptce_status(SetPtceStatusRequest {
            ptce_id: ptce.id.clone(),
            expected_version: 3,
            status: PtceStatus::Closed as i32,
        })
        .await
        .unwrap();
    let closed = ptces
        .join_ptce(JoinPtceRequest {
            ptce_id: ptce.id.clone(),
            expected_version: 4,
            partner_id: lead.id.clone(),
            joined_on: "2025-06-01".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(closed.code(), Code::FailedPrecondition);
    assert_eq!(app.outbox_count("ess.events.v1.PtceCreated").await, 1);
}

#[tokio::test]
async fn a_ptce_needs_a_name_a_territory_and_a_known_lead() {
    let app = spawn_app().await;
    let bad = app
        .ptces
        .clone()
        .create_ptce(CreatePtceRequest {
            name: String::new(),
            territory: String::new(),
            lead_partner_id: "nope".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&bad), ["name", "territory", "lead_partner_id"]);
    let unknown = app
        .ptces
        .clone()
        .create_ptce(CreatePtceRequest {
            name: "PTCE".into(),
            territory: "Cotentin".into(),
            lead_partner_id: uuid::Uuid::now_v7().to_string(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(app.count("outbox").await, 0);
}

#[tokio::test]
async fn an_initiative_moves_forward_one_stage_at_a_time_with_a_dated_history() {
    let app = spawn_app().await;
    let holder = partner(&app, 1, "Menuiserie Lebrun").await;
    let support = partner(&app, 2, "URSCOP Normandie").await;
    let mut initiatives = app.initiatives.clone();
    let created = initiatives
        .create_initiative(CreateInitiativeRequest {
            name: "Transmission de la menuiserie en SCOP".into(),
            kind: InitiativeKind::Takeover as i32,
            holder_id: holder.id.clone(),
            territory: "Vire Normandie".into(),
            stage: 0,
            since: "2024-02-01".into(),
            note: "Premier rendez-vous".into(),
            support_partner_ids: vec![support.id.clone()],
        })
        .await
        .unwrap()
        .into_inner()
        .initiative
        .unwrap();
    assert_eq!(created.stage, InitiativeStage::Idea as i32);

    let change = |stage: InitiativeStage, version: i64, on: &str| ChangeInitiativeStageRequest {
        id: created.id.clone(),
        expected_version: version,
        stage: stage as i32,
        on: on.into(),
        note: String::new(),
    };
    let skipped = initiatives
        .change_initiative_stage(change(InitiativeStage::Launch, 1, "2024-03-01"))
        .await
        .unwrap_err();
    assert_eq!(skipped.code(), Code::FailedPrecondition);
    let backdated = initiatives
        .change_initiative_stage(change(InitiativeStage::Emergence, 1, "2024-01-01"))
        .await
        .unwrap_err();
    assert_eq!(fields(&backdated), ["on"]);
    let emerged = initiatives
        .change_initiative_stage(change(InitiativeStage::Emergence, 1, "2024-03-01"))
        .await
        .unwrap()
        .into_inner()
        .initiative
        .unwrap();
    assert_eq!(emerged.history.len(), 2);
    assert_eq!(emerged.history[0].note, "Premier rendez-vous");
    let stale = initiatives
        .change_initiative_stage(change(InitiativeStage::Launch, 1, "2024-04-01"))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    initiatives
        .change_initiative_stage(change(InitiativeStage::Abandoned, 2, "2024-05-01"))
        .await
        .unwrap();
    let after_end = initiatives
        .change_initiative_stage(change(InitiativeStage::Launch, 3, "2024-06-01"))
        .await
        .unwrap_err();
    assert_eq!(after_end.code(), Code::FailedPrecondition);

    app.wait_published().await;
    let msg = app.last_message("registry.initiative.stage_changed").await;
    let event = InitiativeStageChanged::decode(msg.payload.as_ref()).unwrap();
    assert_eq!(
        (event.from_stage.as_str(), event.to_stage.as_str()),
        ("emergence", "abandoned")
    );
    assert_eq!(event.meta.unwrap().aggregate_version, 3);
}

#[tokio::test]
async fn an_initiative_needs_known_partners_and_valid_fields() {
    let app = spawn_app().await;
    let bad = app
        .initiatives
        .clone()
        .create_initiative(CreateInitiativeRequest {
            name: "x".repeat(201),
            since: "hier".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&bad), ["name", "kind", "holder_id", "territory", "since"]);
    let unknown = app
        .initiatives
        .clone()
        .create_initiative(CreateInitiativeRequest {
            name: "Tiers-lieu".into(),
            kind: InitiativeKind::SocialInnovation as i32,
            holder_id: uuid::Uuid::now_v7().to_string(),
            territory: "Flers".into(),
            since: "2024-01-01".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(app.count("outbox").await, 0);
}
