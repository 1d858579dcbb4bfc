//! UpdatePartner, ArchivePartner and the full partner description at creation.

use ess_proto::{
    events::v1::{PartnerArchived, PartnerRegistered, PartnerUpdated},
    registry::v1::{
        ArchivePartnerRequest, Contact, CreatePartnerRequest, EssFamily, EsusApproval, PartnerKind, PartnerStatus,
        SireneEssFlag, UpdatePartnerRequest,
    },
};
use prost::Message as _;
use tonic::Code;

use crate::helpers::{TestApp, fields, spawn_app, valid_request};

fn full_request() -> CreatePartnerRequest {
    CreatePartnerRequest {
        name: "SCOP Les Ateliers du Bocage".into(),
        siret: "73282932000074".into(),
        siren: "732829320".into(),
        commune_code: "50502".into(),
        kind: PartnerKind::EssEnterprise as i32,
        acronym: "LAB".into(),
        legal_category: "5458".into(),
        sirene_ess: SireneEssFlag::Yes as i32,
        naf_code: "8899B".into(),
        address_line: "12 rue de la Poterne".into(),
        headcount_band: "11".into(),
        headcount_year: 2023,
        headcount: Some(14),
        esus: Some(EsusApproval {
            approved_on: "2022-01-15".into(),
            expires_on: "2027-01-14".into(),
        }),
        themes: vec!["Insertion".into(), "Économie circulaire".into()],
        ..Default::default()
    }
}

fn update_from(p: &ess_proto::registry::v1::Partner) -> UpdatePartnerRequest {
    UpdatePartnerRequest {
        id: p.id.clone(),
        expected_version: p.version,
        name: p.name.clone(),
        commune_code: p.commune_code.clone(),
        postal_code: p.postal_code.clone(),
        kind: p.kind,
        acronym: p.acronym.clone(),
        rna: p.rna.clone(),
        legal_category: p.legal_category.clone(),
        sirene_ess: p.sirene_ess,
        naf_code: p.naf_code.clone(),
        address_line: p.address_line.clone(),
        headcount_band: p.headcount_band.clone(),
        headcount_year: p.headcount_year,
        headcount: p.headcount,
        esus: p.esus.clone(),
        themes: p.themes.clone(),
    }
}

async fn update(app: &TestApp, req: UpdatePartnerRequest) -> Result<ess_proto::registry::v1::Partner, tonic::Status> {
    Ok(app
        .client
        .clone()
        .update_partner(req)
        .await?
        .into_inner()
        .partner
        .unwrap())
}

#[tokio::test]
async fn a_full_description_is_stored_with_derived_family_epci_and_naf_section() {
    let app = spawn_app().await;
    let p = app.create_partner(full_request()).await.expect("created");
    assert_eq!(p.ess_family, EssFamily::Cooperative as i32, "5458 is a SCOP");
    assert_eq!(p.naf_code, "88.99B");
    assert_eq!(p.naf_section, "Q");
    assert_eq!(p.departement_code, "50");
    assert_eq!(p.epci_code, "200066389", "Saint-Lô Agglo");
    assert_eq!(p.siren, "732829320");
    assert_eq!(p.headcount, Some(14));
    assert_eq!(p.status, PartnerStatus::Active as i32);
    assert_eq!(app.get_partner(&p.id).await, p);

    app.wait_published().await;
    let msg = app.last_message("registry.partner.registered").await;
    let event = PartnerRegistered::decode(msg.payload.as_ref()).unwrap();
    let facts = event.facts.expect("facts");
    assert_eq!(event.departement_code, "50");
    assert_eq!(
        (
            facts.kind.as_str(),
            facts.ess_family.as_str(),
            facts.naf_section.as_str()
        ),
        ("ess_enterprise", "cooperative", "Q")
    );
    assert_eq!(
        (facts.legal_category.as_str(), facts.epci_code.as_str()),
        ("5458", "200066389")
    );
    assert!(facts.esus);
}

#[tokio::test]
async fn a_flagged_company_without_a_cooperative_form_is_a_commercial_ess_company() {
    let app = spawn_app().await;
    let p = app
        .create_partner(CreatePartnerRequest {
            legal_category: "5710".into(),
            sirene_ess: SireneEssFlag::Yes as i32,
            ..valid_request()
        })
        .await
        .unwrap();
    assert_eq!(p.ess_family, EssFamily::SocieteCommercialeEss as i32);
}

#[tokio::test]
async fn bad_identifiers_and_codes_name_their_field_and_write_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(CreatePartnerRequest, &str)> = vec![
        (
            CreatePartnerRequest {
                siren: "732829321".into(),
                ..valid_request()
            },
            "siren",
        ),
        (
            CreatePartnerRequest {
                siren: "334065695".into(),
                ..valid_request()
            },
            "siret",
        ),
        (
            CreatePartnerRequest {
                legal_category: "9999".into(),
                ..valid_request()
            },
            "legal_category",
        ),
        (
            CreatePartnerRequest {
                naf_code: "99.99Z".into(),
                ..valid_request()
            },
            "naf_code",
        ),
        (
            CreatePartnerRequest {
                commune_code: "75056".into(),
                postal_code: String::new(),
                ..valid_request()
            },
            "commune_code",
        ),
        (
            CreatePartnerRequest {
                name: String::new(),
                ..valid_request()
            },
            "name",
        ),
        (
            CreatePartnerRequest {
                name: "x".repeat(201),
                ..valid_request()
            },
            "name",
        ),
        (
            CreatePartnerRequest {
                rna: "W12345".into(),
                ..valid_request()
            },
            "rna",
        ),
        (
            CreatePartnerRequest {
                esus: Some(EsusApproval {
                    approved_on: "2024-06-01".into(),
                    expires_on: "2024-05-31".into(),
                }),
                ..valid_request()
            },
            "esus.expires_on",
        ),
        (
            CreatePartnerRequest {
                contacts: vec![Contact {
                    name: "Marie Durand".into(),
                    email: "marie.durand@".into(),
                    consent: true,
                    ..Default::default()
                }],
                ..valid_request()
            },
            "contacts[0].email",
        ),
        (
            CreatePartnerRequest {
                contacts: vec![Contact {
                    name: "Marie Durand".into(),
                    phone: "02 31".into(),
                    consent: true,
                    ..Default::default()
                }],
                ..valid_request()
            },
            "contacts[0].phone",
        ),
    ];
    for (req, field) in cases {
        let status = app.create_partner(req).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        assert_eq!(fields(&status), [field]);
        assert!(!status.message().contains("marie"), "no personal data echoed");
    }
    assert_eq!(app.count("partners").await, 0);
    assert_eq!(app.count("partner_contacts").await, 0);
    assert_eq!(app.count("outbox").await, 0);
}

#[tokio::test]
async fn an_update_replaces_the_description_and_publishes_partner_updated_with_the_new_version() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let updated = update(
        &app,
        UpdatePartnerRequest {
            name: "Théâtre du Champ Exquis".into(),
            commune_code: "61001".into(),
            postal_code: String::new(),
            legal_category: "9220".into(),
            ..update_from(&p)
        },
    )
    .await
    .expect("updated");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.departement_code, "61");
    assert_eq!(updated.ess_family, EssFamily::Association as i32);
    assert_eq!(updated.siret, p.siret, "the SIRET does not change");
    assert_eq!(app.get_partner(&p.id).await, updated);

    app.wait_published().await;
    let msg = app.last_message("registry.partner.updated").await;
    let event = PartnerUpdated::decode(msg.payload.as_ref()).unwrap();
    assert_eq!(event.meta.unwrap().aggregate_version, 2);
    assert_eq!(event.departement_code, "61");
    assert_eq!(event.facts.unwrap().ess_family, "association");
}

#[tokio::test]
async fn an_update_that_changes_nothing_writes_nothing() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let same = update(&app, update_from(&p)).await.unwrap();
    assert_eq!(same.version, 1);
    assert_eq!(app.outbox_count("ess.events.v1.PartnerUpdated").await, 0);
}

#[tokio::test]
async fn an_update_with_a_stale_version_is_aborted_and_writes_nothing() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    update(
        &app,
        UpdatePartnerRequest {
            name: "Nouveau nom".into(),
            ..update_from(&p)
        },
    )
    .await
    .unwrap();
    let status = update(
        &app,
        UpdatePartnerRequest {
            name: "Autre nom".into(),
            ..update_from(&p)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::Aborted);
    assert_eq!(app.get_partner(&p.id).await.name, "Nouveau nom");
    assert_eq!(app.outbox_count("ess.events.v1.PartnerUpdated").await, 1);
}

#[tokio::test]
async fn a_bad_update_names_its_fields_and_changes_nothing() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let status = update(
        &app,
        UpdatePartnerRequest {
            name: " ".into(),
            naf_code: "12".into(),
            ..update_from(&p)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["name", "naf_code"]);
    assert_eq!(app.get_partner(&p.id).await.version, 1);
    assert_eq!(app.count("outbox").await, 1);
}

#[tokio::test]
async fn archiving_publishes_partner_archived_and_an_archived_partner_no_longer_changes() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let archived = app
        .client
        .clone()
        .archive_partner(ArchivePartnerRequest {
            id: p.id.clone(),
            expected_version: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .partner
        .unwrap();
    assert_eq!((archived.status, archived.version), (PartnerStatus::Archived as i32, 2));
    app.wait_published().await;
    let msg = app.last_message("registry.partner.archived").await;
    let event = PartnerArchived::decode(msg.payload.as_ref()).unwrap();
    assert_eq!(
        (event.partner_id.as_str(), event.meta.unwrap().aggregate_version),
        (p.id.as_str(), 2)
    );

    let status = update(
        &app,
        UpdatePartnerRequest {
            name: "Trop tard".into(),
            ..update_from(&archived)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    let again = app
        .client
        .clone()
        .archive_partner(ArchivePartnerRequest {
            id: p.id.clone(),
            expected_version: 2,
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(app.count("outbox").await, 2, "registered + archived only");
}

#[tokio::test]
async fn changing_an_unknown_partner_is_not_found() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let status = update(
        &app,
        UpdatePartnerRequest {
            id: uuid::Uuid::now_v7().to_string(),
            ..update_from(&p)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn of_two_concurrent_updates_from_the_same_version_exactly_one_wins() {
    let app = spawn_app().await;
    let p = app.create_partner(valid_request()).await.unwrap();
    let (a, b) = tokio::join!(
        update(
            &app,
            UpdatePartnerRequest {
                name: "Version A".into(),
                ..update_from(&p)
            }
        ),
        update(
            &app,
            UpdatePartnerRequest {
                name: "Version B".into(),
                ..update_from(&p)
            }
        ),
    );
    let outcomes = [a.map(|p| p.version), b.map(|p| p.version)];
    let won: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let lost: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(won, [&2]);
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].code(), Code::Aborted);
    assert_eq!(app.outbox_count("ess.events.v1.PartnerUpdated").await, 1);
}
