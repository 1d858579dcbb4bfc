//! ImportDataset and ListDatasets: streamed uploads, atomic replacement, line-numbered refusals.

use ess_proto::observatory::v1::{ListDatasetsRequest, import_dataset_response::Event};
use platform::grpc::field_violations;
use tonic::Code;

use crate::helpers::spawn_app;

const ESS: &[u8] = include_bytes!("fixtures/ess_departement_2023.csv");
const HEADER: &str = "region;ancienne_region;departement;champ_ess;famille_ess;annee;code_region;code_ancienne_region;code_departement;nombre_d_etablissements;effectifs_salaries_moyens;masse_salariale\n";

fn row(dep: &str, family: &str, n: &str, employees: &str, payroll: &str) -> String {
    format!("Normandie;Basse-Normandie;X;ESS;{family};2023;28;25;{dep};{n};{employees};{payroll}\n")
}

#[tokio::test]
async fn an_import_streams_progress_then_a_report_and_skips_aggregate_rows() {
    let app = spawn_app().await;
    let messages = app.import("urssaf-ess-departement", "2024", ESS).await.unwrap();
    assert!(matches!(
        messages.first().and_then(|m| m.event.clone()),
        Some(Event::Progress(_))
    ));
    let Some(Event::Report(report)) = messages.last().and_then(|m| m.event.clone()) else {
        panic!("no report");
    };
    let dataset = report.dataset.unwrap();
    assert_eq!((dataset.rows, dataset.facts, report.skipped_rows), (17, 16, 1));
    assert_eq!((dataset.first_year, dataset.last_year), (2023, 2023));
    assert!(!report.replaced);
    assert_eq!(app.facts().await, 16);
}

#[tokio::test]
async fn importing_the_same_edition_twice_changes_nothing() {
    let app = spawn_app().await;
    let first = app.import_ok("urssaf-ess-departement", "2024", ESS).await;
    let again = app.import_ok("urssaf-ess-departement", "2024", ESS).await;
    assert!(again.replaced);
    assert_eq!(first.dataset.unwrap().id, again.dataset.unwrap().id, "same identity");
    assert_eq!(app.facts().await, 16);
    let list = app
        .client
        .clone()
        .list_datasets(ListDatasetsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.datasets.len(), 1);
    assert_eq!(list.datasets[0].source_label, "URSSAF — ESS par département et famille");
}

#[tokio::test]
async fn a_file_with_bad_rows_is_refused_with_line_numbers_and_the_previous_edition_stays() {
    let app = spawn_app().await;
    app.import_ok("urssaf-ess-departement", "2024", ESS).await;
    let bad = format!(
        "{HEADER}{}{}{}{}",
        row("14", "Associations", "10", "100", "1000"),
        row("14", "Coopératives", "-1", "100", "1000"),
        row("99", "Coopératives", "10", "100", "1000"),
        row("14", "Mutuelles", "10", "100", "beaucoup"),
    );
    let status = app
        .import("urssaf-ess-departement", "2024", bad.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&status).into_iter().map(|v| v.field).collect();
    assert_eq!(
        fields,
        [
            "line 3: nombre_d_etablissements",
            "line 4: code_departement",
            "line 5: masse_salariale"
        ]
    );
    assert_eq!(app.facts().await, 16, "the earlier import is untouched");
}

#[tokio::test]
async fn a_wrong_delimiter_a_missing_column_and_invalid_utf8_are_refused_on_their_line() {
    let app = spawn_app().await;
    let comma = HEADER.replace(';', ",");
    let status = app
        .import("urssaf-ess-departement", "a", comma.as_bytes())
        .await
        .unwrap_err();
    assert!(status.message().contains("not ';'-separated"), "{}", status.message());

    let status = app
        .import("urssaf-ess-departement", "b", b"annee;famille_ess\n2023;Associations\n")
        .await
        .unwrap_err();
    let v = field_violations(&status);
    assert_eq!(v[0].field, "line 1");
    assert!(v[0].description.contains("code_departement"));

    let mut file = HEADER.as_bytes().to_vec();
    file.extend_from_slice(row("14", "Associations", "10", "100", "1000").as_bytes());
    file.extend_from_slice(b"Normandie;Basse-Normandie;Calv\xe9dos;ESS;Associations;2023;28;25;14;3;10;100\n");
    let status = app.import("urssaf-ess-departement", "c", &file).await.unwrap_err();
    assert_eq!(field_violations(&status)[0].field, "line 3");
    assert_eq!(app.facts().await, 0, "nothing half-imported");
}

#[tokio::test]
async fn a_bad_header_message_names_the_fields() {
    let app = spawn_app().await;
    let status = app.import("insee-rien", "2024 bis", ESS).await.unwrap_err();
    let fields: Vec<String> = field_violations(&status).into_iter().map(|v| v.field).collect();
    assert_eq!(fields, ["header.source", "header.edition"]);
}

#[tokio::test]
async fn an_upload_announced_larger_than_the_limit_is_refused() {
    let app = spawn_app().await;
    let mut client = app.client.clone();
    let header = ess_proto::observatory::v1::ImportDatasetRequest {
        part: Some(ess_proto::observatory::v1::import_dataset_request::Part::Header(
            ess_proto::observatory::v1::DatasetHeader {
                source: "urssaf-ess-departement".into(),
                edition: "2024".into(),
                size_bytes: 9 * 1024 * 1024 * 1024,
            },
        )),
    };
    let status = client
        .import_dataset(futures::stream::iter([header]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
}

#[tokio::test]
async fn a_reader_never_sees_half_an_import() {
    let app = spawn_app().await;
    app.import_ok("urssaf-ess-departement", "2024", ESS).await;
    let mut big = HEADER.to_owned();
    for i in 0..30_000 {
        big.push_str(&row("14", "Associations", "5", &format!("{}", i % 100), "1000"));
    }
    let pool = app.pool.clone();
    let reader = tokio::spawn(async move {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..400 {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM facts")
                .fetch_one(&pool)
                .await
                .unwrap();
            seen.insert(n);
            if n == 30_000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        seen
    });
    app.import_chunked("urssaf-ess-departement", "2024", big.as_bytes(), 4096)
        .await
        .unwrap();
    let seen = reader.await.unwrap();
    assert!(seen.iter().all(|n| *n == 16 || *n == 30_000), "counts seen: {seen:?}");
    assert_eq!(app.facts().await, 30_000);
}
