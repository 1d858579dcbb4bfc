//! Pages of ListPtces and ListInitiatives: every row once, in order, across pages; page sizes
//! defaulted, clamped or refused; foreign or damaged tokens refused on `page_token`.

use ess_proto::registry::v1::{
    CreateInitiativeRequest, CreatePartnerRequest, CreatePtceRequest, InitiativeKind, InitiativeStage,
    ListInitiativesRequest, ListPtcesRequest, Partner,
};
use tonic::Code;

use crate::helpers::{TestApp, fields, siren_from, siret_of, spawn_app, valid_request};

async fn partner(app: &TestApp, n: u32) -> Partner {
    app.create_partner(CreatePartnerRequest {
        name: format!("Porteur {n}"),
        siret: siret_of(&siren_from(&format!("{:08}", 30_000_000 + n)), "0001"),
        ..valid_request()
    })
    .await
    .unwrap()
}

async fn create_ptce(app: &TestApp, name: &str, lead: &Partner) {
    app.ptces
        .clone()
        .create_ptce(CreatePtceRequest {
            name: name.into(),
            territory: "Calvados".into(),
            lead_partner_id: lead.id.clone(),
            themes: Vec::new(),
            status: 0,
        })
        .await
        .unwrap();
}

async fn ptce_page(app: &TestApp, page_size: i32, page_token: &str) -> Result<(Vec<String>, String), tonic::Status> {
    let r = app
        .ptces
        .clone()
        .list_ptces(ListPtcesRequest {
            page_size,
            page_token: page_token.into(),
        })
        .await?
        .into_inner();
    Ok((r.ptces.into_iter().map(|p| p.name).collect(), r.next_page_token))
}

async fn walk_ptces(app: &TestApp, page_size: i32) -> (Vec<String>, usize) {
    let (mut all, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let (names, next) = ptce_page(app, page_size, &token).await.unwrap();
        assert!(names.len() <= page_size as usize, "{names:?}");
        all.extend(names);
        pages += 1;
        if next.is_empty() {
            return (all, pages);
        }
        token = next;
    }
}

#[tokio::test]
async fn ptce_pages_return_every_ptce_once_in_name_order_even_when_some_are_added_meanwhile() {
    let app = spawn_app().await;
    let lead = partner(&app, 1).await;
    for name in ["PTCE Echo", "PTCE Alpha", "PTCE Delta", "PTCE Charlie", "PTCE Bravo"] {
        create_ptce(&app, name, &lead).await;
    }
    let (all, pages) = walk_ptces(&app, 2).await;
    assert_eq!(
        all,
        ["PTCE Alpha", "PTCE Bravo", "PTCE Charlie", "PTCE Delta", "PTCE Echo"]
    );
    assert_eq!(pages, 3);

    // A row added behind the cursor is not seen again, one added ahead is seen once.
    let (first, token) = ptce_page(&app, 2, "").await.unwrap();
    assert_eq!(first, ["PTCE Alpha", "PTCE Bravo"]);
    create_ptce(&app, "PTCE Aardvark", &lead).await;
    create_ptce(&app, "PTCE Foxtrot", &lead).await;
    let mut rest = Vec::new();
    let mut token = token;
    while !token.is_empty() {
        let (names, next) = ptce_page(&app, 2, &token).await.unwrap();
        rest.extend(names);
        token = next;
    }
    assert_eq!(rest, ["PTCE Charlie", "PTCE Delta", "PTCE Echo", "PTCE Foxtrot"]);

    // 0: the default page (50) holds them all; 10 000 is clamped, not refused.
    let (all, next) = ptce_page(&app, 0, "").await.unwrap();
    assert_eq!((all.len(), next.as_str()), (7, ""));
    let (all, next) = ptce_page(&app, 10_000, "").await.unwrap();
    assert_eq!((all.len(), next.as_str()), (7, ""));
}

#[tokio::test]
async fn bad_page_sizes_and_tokens_are_invalid_argument_naming_the_field() {
    let app = spawn_app().await;
    let negative = ptce_page(&app, -1, "").await.unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    assert_eq!(fields(&negative), ["page_size"]);
    let garbage = ptce_page(&app, 2, "not-a-token!").await.unwrap_err();
    assert_eq!(garbage.code(), Code::InvalidArgument);
    assert_eq!(fields(&garbage), ["page_token"]);

    // A real token of another list is refused too.
    let lead = partner(&app, 2).await;
    for name in ["A", "B", "C"] {
        create_ptce(&app, name, &lead).await;
    }
    let (_, ptce_token) = ptce_page(&app, 1, "").await.unwrap();
    assert!(!ptce_token.is_empty());
    let foreign = app
        .initiatives
        .clone()
        .list_initiatives(ListInitiativesRequest {
            page_token: ptce_token,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::InvalidArgument);
    assert_eq!(fields(&foreign), ["page_token"]);
}

#[tokio::test]
async fn initiative_pages_go_newest_first_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let holder = partner(&app, 3).await;
    let mut created = Vec::new();
    for n in 0..5 {
        let i = app
            .initiatives
            .clone()
            .create_initiative(CreateInitiativeRequest {
                name: format!("Initiative {n}"),
                kind: InitiativeKind::SocialInnovation as i32,
                holder_id: holder.id.clone(),
                territory: "Caen".into(),
                stage: InitiativeStage::Emergence as i32,
                since: "2024-01-15".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .initiative
            .unwrap();
        created.push(i.id);
    }
    created.reverse();
    let (mut seen, mut token) = (Vec::new(), String::new());
    loop {
        let r = app
            .initiatives
            .clone()
            .list_initiatives(ListInitiativesRequest {
                holder_id: holder.id.clone(),
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.initiatives.len() <= 2);
        seen.extend(r.initiatives.into_iter().map(|i| i.id));
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
    }
    assert_eq!(seen, created);
}
