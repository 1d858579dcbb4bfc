//! ImportSirene: the stock files in their real column layout, streamed in small chunks.

use ess_proto::registry::v1::{
    EssFamily, ImportSireneProgress, ImportSireneRequest, ImportSireneStart, ListPartnersRequest, PartnerKind,
    SireneChunk, SireneFile, SireneImportSummary, import_sirene_progress::Event, import_sirene_request::Part,
};
use tonic::Code;

use crate::helpers::{TestApp, fields, spawn_app};

const UNITS: &str = include_str!("fixtures/StockUniteLegale_sample.csv");
const ESTABLISHMENTS: &str = include_str!("fixtures/StockEtablissement_sample.csv");

fn chunks(file: SireneFile, data: &[u8], size: usize) -> Vec<ImportSireneRequest> {
    data.chunks(size)
        .map(|c| ImportSireneRequest {
            part: Some(Part::Chunk(SireneChunk {
                file: file as i32,
                data: c.to_vec(),
            })),
        })
        .collect()
}

/// Streams the two files (37-byte chunks: lines span chunks) and collects the answers.
async fn import(
    app: &TestApp,
    units: &[u8],
    establishments: &[u8],
) -> Result<Vec<ImportSireneProgress>, tonic::Status> {
    let mut messages = vec![ImportSireneRequest {
        part: Some(Part::Start(ImportSireneStart { departements: vec![] })),
    }];
    messages.extend(chunks(SireneFile::UnitesLegales, units, 37));
    messages.extend(chunks(SireneFile::Etablissements, establishments, 37));
    let mut stream = app
        .sirene
        .clone()
        .import_sirene(tokio_stream::iter(messages))
        .await?
        .into_inner();
    let mut out = Vec::new();
    while let Some(msg) = stream.message().await? {
        out.push(msg);
    }
    Ok(out)
}

fn summary(progress: &[ImportSireneProgress]) -> SireneImportSummary {
    progress
        .iter()
        .find_map(|p| match &p.event {
            Some(Event::Done(s)) => Some(*s),
            _ => None,
        })
        .expect("a summary")
}

fn bad_rows(progress: &[ImportSireneProgress]) -> Vec<(i32, i64)> {
    progress
        .iter()
        .filter_map(|p| match &p.event {
            Some(Event::BadRow(b)) => Some((b.file, b.line)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn ess_units_with_an_establishment_in_the_three_departements_become_partners() {
    let app = spawn_app().await;
    let progress = import(&app, UNITS.as_bytes(), ESTABLISHMENTS.as_bytes())
        .await
        .expect("imported");
    let s = summary(&progress);
    assert_eq!((s.units_read, s.units_kept), (6, 4));
    assert_eq!((s.establishments_read, s.establishments_kept), (7, 4));
    assert_eq!((s.created, s.updated, s.unchanged, s.bad_rows), (3, 0, 0, 2));
    assert_eq!(
        bad_rows(&progress),
        [
            (SireneFile::UnitesLegales as i32, 5),
            (SireneFile::Etablissements as i32, 7)
        ]
    );

    let partners = app
        .client
        .clone()
        .list_partners(ListPartnersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .partners;
    let summary: Vec<(&str, &str, i32)> = partners
        .iter()
        .map(|p| (p.name.as_str(), p.departement_code.as_str(), p.ess_family))
        .collect();
    assert_eq!(
        summary,
        [
            ("CUMA DE LA VALLEE", "61", EssFamily::Cooperative as i32),
            (
                "SCOP LES ATELIERS, BOCAGE",
                "50",
                EssFamily::SocieteCommercialeEss as i32
            ),
            ("THEATRE DU CHAMP EXQUIS", "14", EssFamily::Association as i32),
        ]
    );
    let theatre = &partners[2];
    assert_eq!(
        (theatre.naf_code.as_str(), theatre.headcount_band.as_str()),
        ("90.01Z", "03")
    );
    assert_eq!((theatre.acronym.as_str(), theatre.rna.as_str()), ("TCE", "W141000123"));
    let found = app
        .client
        .clone()
        .list_partners(ListPartnersRequest {
            query: "tce".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .partners;
    assert_eq!(found.len(), 1, "the acronym is searchable");
    assert_eq!(app.outbox_count("ess.events.v1.PartnerRegistered").await, 3);
}

#[tokio::test]
async fn importing_the_same_files_again_changes_nothing_and_publishes_nothing() {
    let app = spawn_app().await;
    import(&app, UNITS.as_bytes(), ESTABLISHMENTS.as_bytes()).await.unwrap();
    let again = summary(&import(&app, UNITS.as_bytes(), ESTABLISHMENTS.as_bytes()).await.unwrap());
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3));
    assert_eq!(app.count("partners").await, 3);
    assert_eq!(app.count("outbox").await, 3);

    let renamed = UNITS.replace("THEATRE DU CHAMP EXQUIS", "THEATRE DU CHAMP EXQUIS SCENE CONVENTIONNEE");
    let third = summary(
        &import(&app, renamed.as_bytes(), ESTABLISHMENTS.as_bytes())
            .await
            .unwrap(),
    );
    assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 2));
    assert_eq!(app.outbox_count("ess.events.v1.PartnerUpdated").await, 1);
}

#[tokio::test]
async fn a_missing_column_a_wrong_delimiter_or_a_non_utf8_header_is_invalid_argument_and_writes_nothing() {
    let app = spawn_app().await;
    let without_siren = UNITS.replacen("siren,", "identifiant,", 1);
    let status = import(&app, without_siren.as_bytes(), ESTABLISHMENTS.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["unites_legales"]);
    assert!(
        status.message().contains("missing required column siren"),
        "{}",
        status.message()
    );

    let semicolons = ESTABLISHMENTS.replace(',', ";");
    let status = import(&app, UNITS.as_bytes(), semicolons.as_bytes()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["etablissements"]);
    assert!(status.message().contains("comma"), "{}", status.message());

    let mut latin1 = b"siren,d\xe9nomination\n".to_vec();
    latin1.extend_from_slice(b"1,2\n");
    let status = import(&app, &latin1, ESTABLISHMENTS.as_bytes()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("UTF-8"), "{}", status.message());

    assert_eq!(app.count("partners").await, 0);
    assert_eq!(app.count("outbox").await, 0);
}

#[tokio::test]
async fn a_row_that_is_not_utf8_is_reported_with_its_line_and_the_import_goes_on() {
    let app = spawn_app().await;
    let mut units = UNITS.as_bytes().to_vec();
    units.extend_from_slice(b"812345676,O,,1989,,,,,,A,,CAF\xc9 ASSOCIATIF,,9220,,,,O,,\n");
    let progress = import(&app, &units, ESTABLISHMENTS.as_bytes()).await.unwrap();
    assert!(bad_rows(&progress).contains(&(SireneFile::UnitesLegales as i32, 8)));
    assert_eq!(summary(&progress).created, 3);
}

#[tokio::test]
async fn chunks_out_of_order_or_no_start_message_are_refused() {
    let app = spawn_app().await;
    let no_start = chunks(SireneFile::UnitesLegales, UNITS.as_bytes(), 100);
    let status = match app.sirene.clone().import_sirene(tokio_stream::iter(no_start)).await {
        Err(status) => status,
        Ok(response) => response.into_inner().message().await.unwrap_err(),
    };
    assert_eq!(status.code(), Code::InvalidArgument);

    let mut messages = vec![ImportSireneRequest {
        part: Some(Part::Start(ImportSireneStart { departements: vec![] })),
    }];
    messages.extend(chunks(SireneFile::Etablissements, ESTABLISHMENTS.as_bytes(), 100));
    messages.extend(chunks(SireneFile::UnitesLegales, UNITS.as_bytes(), 100));
    let mut stream = app
        .sirene
        .clone()
        .import_sirene(tokio_stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    let status = loop {
        match stream.message().await {
            Err(status) => break status,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the import should fail"),
        }
    };
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(app.count("partners").await, 0);
}

#[tokio::test]
async fn an_imported_update_keeps_what_the_registry_owns_and_publishes_partner_updated() {
    let app = spawn_app().await;
    let mine = app
        .create_partner(ess_proto::registry::v1::CreatePartnerRequest {
            name: "Les Ateliers du Bocage".into(),
            siret: "82345678500018".into(),
            commune_code: "50129".into(),
            kind: PartnerKind::Network as i32,
            acronym: "ADB".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let s = summary(&import(&app, UNITS.as_bytes(), ESTABLISHMENTS.as_bytes()).await.unwrap());
    assert_eq!((s.created, s.updated), (2, 1));

    let after = app.get_partner(&mine.id).await;
    assert_eq!(after.name, "SCOP LES ATELIERS, BOCAGE");
    assert_eq!(
        (after.kind, after.acronym.as_str()),
        (PartnerKind::Network as i32, "ADB")
    );
    assert_eq!((after.version, after.legal_category.as_str()), (2, "5710"));
    let found = app
        .client
        .clone()
        .list_partners(ListPartnersRequest {
            query: "adb".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .partners;
    assert_eq!(found.len(), 1, "the registry's acronym stays searchable");
    assert_eq!(app.outbox_count("ess.events.v1.PartnerUpdated").await, 1);
}

#[tokio::test]
async fn a_partner_whose_establishment_sirene_lists_as_closed_is_archived_once() {
    let app = spawn_app().await;
    // 81234567600025 is closed (état F) in the sample stock; its SIREN's other establishment is active.
    let closed = app
        .create_partner(ess_proto::registry::v1::CreatePartnerRequest {
            name: "Café associatif, antenne du port".into(),
            siret: "81234567600025".into(),
            commune_code: "14118".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let s = summary(&import(&app, UNITS.as_bytes(), ESTABLISHMENTS.as_bytes()).await.unwrap());
    assert_eq!(s.archived, 1);

    let after = app.get_partner(&closed.id).await;
    assert_eq!(after.status, ess_proto::registry::v1::PartnerStatus::Archived as i32);
    assert_eq!(after.version, 2);
    assert_eq!(app.outbox_count("ess.events.v1.PartnerArchived").await, 1);

    let again = summary(&import(&app, UNITS.as_bytes(), ESTABLISHMENTS.as_bytes()).await.unwrap());
    assert_eq!(again.archived, 0, "an archived partner stays archived, once");
    assert_eq!(app.outbox_count("ess.events.v1.PartnerArchived").await, 1);
}
