//! The resource centre through `ess.observatory.v1.Resources`: publish (checked size and type,
//! nothing left behind on refusal, event in the outbox), search, get and download; and the
//! dashboard's resource pages.

use ess_proto::observatory::v1::{
    DownloadResourceRequest, GetResourceRequest, ListResourcesRequest, PublishResourceRequest, Resource,
    ResourceDescription, ResourceKind, TerritoryLevel, download_resource_response, publish_resource_request::Part,
    resources_client::ResourcesClient,
};
use tonic::{Code, Status};

use crate::{
    helpers::{TestApp, spawn_app},
    http,
};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

async fn client(app: &TestApp) -> ResourcesClient<platform::grpc::AuthChannel> {
    ResourcesClient::new(platform::testing::admin(app.channel.clone()))
}

fn study() -> ResourceDescription {
    ResourceDescription {
        title: "Étude sur l'emploi associatif dans le Calvados".into(),
        summary: "Panorama des emplois des associations employeuses.".into(),
        kind: ResourceKind::Etude as i32,
        axis: 2,
        themes: vec!["Emploi".into(), "Vie associative".into()],
        territory_level: TerritoryLevel::Departement as i32,
        territory_code: "14".into(),
        date: "2026-03-15".into(),
        authors: vec!["DREETS Normandie".into(), "CRESS Normandie".into()],
        signing_partner_ids: vec![],
        file_name: "etude-emploi-calvados.pdf".into(),
        content_type: "application/pdf".into(),
    }
}

async fn publish(
    client: &mut ResourcesClient<platform::grpc::AuthChannel>,
    description: ResourceDescription,
    file: &[u8],
) -> Result<Resource, Status> {
    let mut messages = vec![PublishResourceRequest {
        part: Some(Part::Description(description)),
    }];
    messages.extend(file.chunks(1024 * 1024).map(|c| PublishResourceRequest {
        part: Some(Part::Chunk(c.to_vec())),
    }));
    client
        .publish_resource(tokio_stream::iter(messages))
        .await
        .map(|r| r.into_inner().resource.unwrap())
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

async fn nothing_stored(app: &TestApp) {
    assert_eq!(count(app, "SELECT count(*) FROM resources").await, 0);
    assert_eq!(count(app, "SELECT count(*) FROM resource_files").await, 0);
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM outbox WHERE subject LIKE 'observatory.resource.%'"
        )
        .await,
        0
    );
}

fn fields(status: &Status) -> Vec<String> {
    platform::grpc::field_violations(status)
        .into_iter()
        .map(|v| v.field)
        .collect()
}

#[tokio::test]
async fn a_published_pdf_is_listed_downloaded_byte_for_byte_and_announced_through_the_outbox() {
    let app = spawn_app().await;
    let mut client = client(&app).await;

    let published = publish(&mut client, study(), PDF).await.unwrap();

    assert_eq!(published.size_bytes, PDF.len() as i64);
    assert_eq!(published.kind_label, "Étude");
    let (subject, aggregate): (String, String) =
        sqlx::query_as("SELECT subject, aggregate_id FROM outbox WHERE subject = 'observatory.resource.published'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (subject.as_str(), aggregate),
        ("observatory.resource.published", published.id.clone())
    );

    let got = client
        .get_resource(GetResourceRequest {
            id: published.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .resource
        .unwrap();
    assert_eq!(got.description, published.description);

    let mut stream = client
        .download_resource(DownloadResourceRequest {
            id: published.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    let mut header = None;
    while let Some(m) = stream.message().await.unwrap() {
        match m.part.unwrap() {
            download_resource_response::Part::Resource(r) => header = Some(r),
            download_resource_response::Part::Chunk(c) => bytes.extend(c),
        }
    }
    assert_eq!(header.unwrap().id, published.id);
    assert_eq!(bytes, PDF);

    let page = http::get(app.http_addr, &format!("/ressources/{}/fichier", published.id)).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("application/pdf"));
    assert!(
        page.header("content-disposition")
            .unwrap()
            .contains("etude-emploi-calvados.pdf")
    );
    assert_eq!(page.body, PDF);
}

#[tokio::test]
async fn an_oversized_upload_is_refused_as_invalid_and_leaves_nothing_behind() {
    let app = spawn_app().await;
    let mut client = client(&app).await;
    let mut big = PDF.to_vec();
    big.resize(observatory::config::DEFAULT_MAX_RESOURCE_BYTES as usize + 1, b' ');

    let status = publish(&mut client, study(), &big).await.unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["chunk"]);
    assert!(
        status.message().contains("larger than the limit"),
        "{}",
        status.message()
    );
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_file_whose_bytes_do_not_match_its_declared_type_is_refused_and_leaves_nothing_behind() {
    let app = spawn_app().await;
    let mut client = client(&app).await;

    let not_a_pdf = publish(&mut client, study(), b"<html>surprise</html>")
        .await
        .unwrap_err();
    let csv = ResourceDescription {
        kind: ResourceKind::NoteStatistique as i32,
        file_name: "chiffres.csv".into(),
        content_type: "text/csv".into(),
        ..study()
    };
    let binary_csv = publish(&mut client, csv.clone(), b"a;b\n\x00\x01\xff\xfe")
        .await
        .unwrap_err();
    let empty = publish(&mut client, csv, b"").await.unwrap_err();

    for status in [&not_a_pdf, &binary_csv, &empty] {
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(status), ["description.content_type"]);
    }
    assert!(not_a_pdf.message().contains("not a PDF"), "{}", not_a_pdf.message());
    assert!(
        binary_csv.message().contains("not UTF-8 text"),
        "{}",
        binary_csv.message()
    );
    nothing_stored(&app).await;
}

#[tokio::test]
async fn every_bad_field_of_a_description_is_reported_at_once() {
    let app = spawn_app().await;
    let mut client = client(&app).await;
    let bad = ResourceDescription {
        title: " ".into(),
        kind: ResourceKind::PositionCommune as i32,
        axis: 9,
        territory_code: "99".into(),
        date: "15/03/2026".into(),
        authors: vec![],
        file_name: "../secret.pdf".into(),
        content_type: "application/x-msdownload".into(),
        ..study()
    };

    let status = publish(&mut client, bad, PDF).await.unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    let mut got = fields(&status);
    got.sort();
    assert_eq!(
        got,
        [
            "description.authors",
            "description.axis",
            "description.content_type",
            "description.date",
            "description.file_name",
            "description.signing_partner_ids",
            "description.territory_code",
            "description.title",
        ]
    );
    nothing_stored(&app).await;
}

#[tokio::test]
async fn resources_are_found_by_kind_axis_theme_territory_and_text_whatever_the_case_and_accents() {
    let app = spawn_app().await;
    let mut client = client(&app).await;
    let study = publish(&mut client, study(), PDF).await.unwrap();
    let position = publish(
        &mut client,
        ResourceDescription {
            title: "Position commune pour l'égalité femmes-hommes".into(),
            summary: String::new(),
            kind: ResourceKind::PositionCommune as i32,
            axis: 4,
            themes: vec!["Égalité".into()],
            territory_level: TerritoryLevel::Region as i32,
            territory_code: "28".into(),
            signing_partner_ids: vec![uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string()],
            file_name: "position.csv".into(),
            content_type: "text/csv".into(),
            ..self::study()
        },
        "partenaire;engagement\nCRESS;parité\n".as_bytes(),
    )
    .await
    .unwrap();
    let ids = |resources: Vec<Resource>| resources.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let mut search =
        async |request: ListResourcesRequest| ids(client.list_resources(request).await.unwrap().into_inner().resources);

    assert_eq!(search(ListResourcesRequest::default()).await.len(), 2);
    assert_eq!(
        search(ListResourcesRequest {
            kind: ResourceKind::PositionCommune as i32,
            ..Default::default()
        })
        .await,
        vec![position.id.clone()]
    );
    assert_eq!(
        search(ListResourcesRequest {
            axis: 2,
            ..Default::default()
        })
        .await,
        vec![study.id.clone()]
    );
    assert_eq!(
        search(ListResourcesRequest {
            theme: "egalite".into(),
            ..Default::default()
        })
        .await,
        vec![position.id.clone()]
    );
    assert_eq!(
        search(ListResourcesRequest {
            territory_level: TerritoryLevel::Departement as i32,
            territory_code: "14".into(),
            ..Default::default()
        })
        .await,
        vec![study.id.clone()]
    );
    assert_eq!(
        search(ListResourcesRequest {
            text: "EMPLOI associatif calvados".into(),
            ..Default::default()
        })
        .await,
        vec![study.id.clone()]
    );
    assert_eq!(
        search(ListResourcesRequest {
            text: "ÉGALITÉ".into(),
            ..Default::default()
        })
        .await,
        vec![position.id.clone()]
    );
    assert!(
        search(ListResourcesRequest {
            text: "100%".into(),
            ..Default::default()
        })
        .await
        .is_empty()
    );

    let page = http::get(app.http_addr, "/ressources?q=egalite&type=position_commune").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains("Position commune pour l&#39;égalité femmes-hommes"),
        "{html}"
    );
    assert!(!html.contains("emploi associatif dans le Calvados"));
    assert!(html.contains(&format!("/ressources/{}/fichier", position.id)));
    assert!(html.contains("Signée par 2 partenaire(s)."));
}

#[tokio::test]
async fn an_unknown_resource_is_not_found() {
    let app = spawn_app().await;
    let mut client = client(&app).await;
    let status = client
        .get_resource(GetResourceRequest {
            id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let bad = client
        .get_resource(GetResourceRequest { id: "nope".into() })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let page = http::get(app.http_addr, &format!("/ressources/{}/fichier", uuid::Uuid::now_v7())).await;
    assert_eq!(page.status, 404);
}
