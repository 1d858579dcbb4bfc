//! ListPartners (filters, accent-insensitive search, cursor pages) and LookupPartners.

use std::collections::HashSet;

use ess_proto::registry::v1::{
    ArchivePartnerRequest, CreatePartnerRequest, EssFamily, ListPartnersRequest, LookupPartnersRequest, PartnerKind,
    lookup_partners_request::Key,
};
use tonic::Code;

use crate::helpers::{TestApp, fields, siren_from, siret_of, spawn_app};

fn partner(n: u32, name: &str, commune: &str) -> CreatePartnerRequest {
    CreatePartnerRequest {
        name: name.into(),
        siret: siret_of(&siren_from(&format!("{:08}", 10_000_000 + n)), "0001"),
        commune_code: commune.into(),
        ..Default::default()
    }
}

async fn list(app: &TestApp, req: ListPartnersRequest) -> Result<(Vec<String>, String), tonic::Status> {
    let r = app.client.clone().list_partners(req).await?.into_inner();
    Ok((r.partners.into_iter().map(|p| p.name).collect(), r.next_page_token))
}

/// Every page of `req`, following the page tokens; no page is larger than asked.
async fn all_pages(app: &TestApp, req: ListPartnersRequest) -> Vec<String> {
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let (names, next) = list(
            app,
            ListPartnersRequest {
                page_token: token.clone(),
                ..req.clone()
            },
        )
        .await
        .unwrap();
        assert!(names.len() <= req.page_size as usize);
        seen.extend(names);
        if next.is_empty() {
            return seen;
        }
        token = next;
    }
}

fn search(q: &str) -> ListPartnersRequest {
    ListPartnersRequest {
        query: q.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn text_search_ignores_accents_and_case_in_name_and_acronym() {
    let app = spawn_app().await;
    app.create_partner(partner(1, "Théâtre du Champ Exquis", "14118"))
        .await
        .unwrap();
    app.create_partner(CreatePartnerRequest {
        acronym: "URSCOP".into(),
        ..partner(2, "Union régionale des Scop", "14118")
    })
    .await
    .unwrap();
    app.create_partner(partner(3, "Coopérative 100%_bio", "50129"))
        .await
        .unwrap();

    assert_eq!(
        list(&app, search("theatre")).await.unwrap().0,
        ["Théâtre du Champ Exquis"]
    );
    assert_eq!(
        list(&app, search("CHAMP EXQUIS")).await.unwrap().0,
        ["Théâtre du Champ Exquis"]
    );
    assert_eq!(
        list(&app, search("urscop")).await.unwrap().0,
        ["Union régionale des Scop"]
    );
    assert_eq!(
        list(&app, search("regionale")).await.unwrap().0,
        ["Union régionale des Scop"]
    );
    assert_eq!(
        list(&app, search("100% BIO")).await.unwrap().0,
        ["Coopérative 100%_bio"]
    );
    assert!(
        list(&app, search("bio_coop")).await.unwrap().0.is_empty(),
        "no wildcard"
    );
}

#[tokio::test]
async fn a_search_matches_from_the_start_of_a_word() {
    let app = spawn_app().await;
    app.create_partner(partner(1, "Théâtre du Champ Exquis", "14118"))
        .await
        .unwrap();
    assert_eq!(
        list(&app, search("théâtre du ch")).await.unwrap().0,
        ["Théâtre du Champ Exquis"],
        "the last word may be cut short"
    );
    for q in ["atre", "exquis champ", "theatre champ"] {
        assert!(
            list(&app, search(q)).await.unwrap().0.is_empty(),
            "{q:?} is not a run of word beginnings of the name"
        );
    }
}

/// Inserts "Association sportive 0000" … in SQL (half in the Calvados, half in the Manche), as
/// many as `count`: more than the word index is asked for (1,000), faster than through the API.
async fn insert_sports_clubs(app: &TestApp, count: u32) {
    let (mut ids, mut names, mut sirets, mut communes, mut departements, mut folded) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for n in 0..count {
        let name = format!("Association sportive {n:04}");
        folded.push(format!("association sportive {n:04}"));
        names.push(name);
        ids.push(uuid::Uuid::now_v7());
        sirets.push(siret_of(&siren_from(&format!("{:08}", 20_000_000 + n)), "0001"));
        let (commune, departement) = if n % 2 == 0 { ("14118", "14") } else { ("50129", "50") };
        communes.push(commune.to_owned());
        departements.push(departement.to_owned());
    }
    sqlx::query(
        "INSERT INTO partners (id, name, siret, commune_code, departement_code, version, search_text) \
         SELECT id, name, siret, commune, departement, 1, folded \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
             AS t (id, name, siret, commune, departement, folded)",
    )
    .bind(&ids)
    .bind(&names)
    .bind(&sirets)
    .bind(&communes)
    .bind(&departements)
    .bind(&folded)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// Words the statistics know to be common are searched by walking the name order; a rare word
/// through the word index: same answers, same pages.
#[tokio::test]
async fn a_common_word_is_searched_in_name_order_with_filters_and_pages() {
    let app = spawn_app().await;
    let count = 1_200;
    insert_sports_clubs(&app, count).await;
    sqlx::query("ANALYZE partners").execute(&app.pool).await.unwrap();

    let seen = all_pages(
        &app,
        ListPartnersRequest {
            query: "association SPORT".into(),
            departement_code: "50".into(),
            page_size: 200,
            ..Default::default()
        },
    )
    .await;
    let expected: Vec<String> = (0..count)
        .filter(|n| n % 2 == 1)
        .map(|n| format!("Association sportive {n:04}"))
        .collect();
    assert_eq!(seen, expected, "every partner of the Manche once, in name order");

    let (rare, _) = list(&app, search("sportive 0042")).await.unwrap();
    assert_eq!(rare, ["Association sportive 0042"]);
}

/// Before any statistics, every word is taken for rare: the word index finds more candidates than
/// it is asked for, and the search falls back to the name order.
#[tokio::test]
async fn a_common_word_is_found_without_statistics() {
    let app = spawn_app().await;
    insert_sports_clubs(&app, 1_200).await;

    let (first, token) = list(&app, search("sportive")).await.unwrap();
    let expected: Vec<String> = (0..50).map(|n| format!("Association sportive {n:04}")).collect();
    assert_eq!(first, expected);
    assert!(!token.is_empty(), "more pages follow");
}

/// sqlx binds strings as `text`, and a `char(n)` column compared with `text` is cast first and
/// loses its index (the look-up by SIRET read every partner; the NAF section × département index
/// went unused). So no column of the registry is `char(n)`.
#[tokio::test]
async fn no_column_is_fixed_length_text() {
    let app = spawn_app().await;
    let fixed: Vec<String> = sqlx::query_scalar(
        "SELECT table_name || '.' || column_name FROM information_schema.columns \
         WHERE table_schema = current_schema() AND data_type = 'character'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(fixed.is_empty(), "char(n) columns: {fixed:?}");
}

#[tokio::test]
async fn filters_combine_on_territory_kind_family_and_naf() {
    let app = spawn_app().await;
    app.create_partner(CreatePartnerRequest {
        kind: PartnerKind::Network as i32,
        legal_category: "9220".into(),
        naf_code: "94.99Z".into(),
        ..partner(1, "Réseau A", "14118")
    })
    .await
    .unwrap();
    app.create_partner(CreatePartnerRequest {
        legal_category: "5458".into(),
        naf_code: "88.99B".into(),
        ..partner(2, "Scop B", "50129")
    })
    .await
    .unwrap();
    app.create_partner(partner(3, "Structure C", "61001")).await.unwrap();

    let names = |req| async { list(&app, req).await.unwrap().0 };
    assert_eq!(
        names(ListPartnersRequest {
            departement_code: "50".into(),
            ..Default::default()
        })
        .await,
        ["Scop B"]
    );
    assert_eq!(
        names(ListPartnersRequest {
            kind: PartnerKind::Network as i32,
            ..Default::default()
        })
        .await,
        ["Réseau A"]
    );
    assert_eq!(
        names(ListPartnersRequest {
            ess_family: EssFamily::Cooperative as i32,
            ..Default::default()
        })
        .await,
        ["Scop B"]
    );
    assert_eq!(
        names(ListPartnersRequest {
            naf: "S".into(),
            ..Default::default()
        })
        .await,
        ["Réseau A"]
    );
    assert_eq!(
        names(ListPartnersRequest {
            naf: "8899B".into(),
            ..Default::default()
        })
        .await,
        ["Scop B"]
    );
    assert_eq!(
        names(ListPartnersRequest {
            commune_code: "61001".into(),
            ..Default::default()
        })
        .await,
        ["Structure C"]
    );
    assert_eq!(
        names(ListPartnersRequest {
            epci_code: "200066389".into(),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        names(ListPartnersRequest {
            ess_family: EssFamily::HorsEss as i32,
            departement_code: "61".into(),
            ..Default::default()
        })
        .await,
        ["Structure C"]
    );
}

#[tokio::test]
async fn pages_walk_every_partner_once_in_name_order_and_archived_ones_are_left_out() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for n in 0..7 {
        let p = app
            .create_partner(partner(n, &format!("Partenaire {}", 7 - n), "14118"))
            .await
            .unwrap();
        ids.push(p.id);
    }
    app.client
        .clone()
        .archive_partner(ArchivePartnerRequest {
            id: ids[0].clone(),
            expected_version: 1,
        })
        .await
        .unwrap();

    let seen = all_pages(
        &app,
        ListPartnersRequest {
            page_size: 2,
            ..Default::default()
        },
    )
    .await;
    let expected: Vec<String> = (1..=6).map(|n| format!("Partenaire {n}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 6);

    let (all, _) = list(
        &app,
        ListPartnersRequest {
            include_archived: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 7);
}

#[tokio::test]
async fn malformed_or_foreign_page_tokens_are_invalid_argument_on_page_token() {
    let app = spawn_app().await;
    for n in 0..3 {
        app.create_partner(partner(n, &format!("Coop {n}"), "14118"))
            .await
            .unwrap();
    }
    let (_, token) = list(
        &app,
        ListPartnersRequest {
            page_size: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!token.is_empty());

    let foreign = list(
        &app,
        ListPartnersRequest {
            page_size: 1,
            page_token: token.clone(),
            departement_code: "50".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(foreign.code(), Code::InvalidArgument);
    assert_eq!(fields(&foreign), ["page_token"]);

    for bad in [
        "garbage!",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &token[..token.len() - 2],
    ] {
        let status = list(
            &app,
            ListPartnersRequest {
                page_token: bad.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{bad}");
        assert_eq!(fields(&status), ["page_token"]);
    }
}

#[tokio::test]
async fn page_sizes_are_capped_and_bad_filters_are_named() {
    let app = spawn_app().await;
    app.create_partner(partner(1, "Coop", "14118")).await.unwrap();
    let (names, next) = list(
        &app,
        ListPartnersRequest {
            page_size: 100_000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((names.len(), next.as_str()), (1, ""));
    let status = list(
        &app,
        ListPartnersRequest {
            departement_code: "20".into(),
            naf: "ZZ".into(),
            commune_code: "99999".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(&status), ["departement_code", "commune_code", "naf"]);
}

#[tokio::test]
async fn partners_are_found_by_siren_and_by_siret() {
    let app = spawn_app().await;
    let siren = siren_from("33406569");
    let head = app
        .create_partner(CreatePartnerRequest {
            siret: siret_of(&siren, "0001"),
            ..partner(0, "Siège", "14118")
        })
        .await
        .unwrap();
    app.create_partner(CreatePartnerRequest {
        siret: siret_of(&siren, "0002"),
        ..partner(0, "Antenne", "50129")
    })
    .await
    .unwrap();
    app.create_partner(partner(9, "Autre", "14118")).await.unwrap();

    let lookup = |key| async {
        app.client
            .clone()
            .lookup_partners(LookupPartnersRequest { key: Some(key) })
            .await
    };
    let by_siren = lookup(Key::Siren(siren.clone())).await.unwrap().into_inner().partners;
    assert_eq!(by_siren.len(), 2);
    let by_siret = lookup(Key::Siret(head.siret.clone()))
        .await
        .unwrap()
        .into_inner()
        .partners;
    assert_eq!(
        by_siret.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        [head.id.as_str()]
    );
    let bad = lookup(Key::Siren("123456789".into())).await.unwrap_err();
    assert_eq!(
        (bad.code(), fields(&bad)),
        (Code::InvalidArgument, vec!["siren".to_owned()])
    );
}
