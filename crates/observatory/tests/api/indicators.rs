//! QueryIndicators, QueryIndicatorsUnsuppressed and GetEssShare over small hand-computed datasets.

use ess_proto::observatory::v1::{
    Cell, Confidentiality, Dimension, GetEssShareRequest, QueryIndicatorsRequest, QueryIndicatorsResponse,
    TerritoryLevel,
};
use rust_decimal::Decimal;
use tonic::Code;

use crate::helpers::{TestApp, spawn_app};

const ESS: &[u8] = include_bytes!("fixtures/ess_departement_2023.csv");
const PRIVATE: &[u8] = include_bytes!("fixtures/prive_departement_2023.csv");

async fn app_with_2023() -> TestApp {
    let app = spawn_app().await;
    app.import_ok("urssaf-ess-departement", "2024", ESS).await;
    app.import_ok("urssaf-prive-departement", "2024", PRIVATE).await;
    app
}

fn by_territory_and_family(codes: &[&str]) -> QueryIndicatorsRequest {
    QueryIndicatorsRequest {
        year: 2023,
        rows: Dimension::Territory as i32,
        columns: Dimension::Family as i32,
        territory_level: TerritoryLevel::Departement as i32,
        territory_codes: codes.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    }
}

fn cell<'a>(t: &'a QueryIndicatorsResponse, row: &str, column: &str) -> &'a Cell {
    let r = t.rows.iter().position(|h| h.label == row).unwrap() as i32;
    let c = t.columns.iter().position(|h| h.label == column).unwrap() as i32;
    t.cells.iter().find(|x| x.row == r && x.column == c).unwrap()
}

fn employees(c: &Cell) -> Decimal {
    c.figures.as_ref().unwrap().employees.parse().unwrap()
}

#[tokio::test]
async fn the_ess_share_of_private_employment_equals_the_hand_calculation() {
    let app = app_with_2023().await;
    let mut client = app.client.clone();
    let deps = client
        .get_ess_share(GetEssShareRequest {
            year: 2023,
            territory_level: TerritoryLevel::Departement as i32,
            territory_codes: vec!["14".into(), "50".into(), "61".into()],
        })
        .await
        .unwrap()
        .into_inner();
    let got: Vec<_> = deps
        .shares
        .iter()
        .map(|s| {
            let t = s.territory.as_ref().unwrap();
            (
                t.label.as_str(),
                s.ess_employees.as_str(),
                s.private_employees.as_str(),
                s.share_percent.as_str(),
            )
        })
        .collect();
    // By hand, rounding half away from zero to 2 decimals:
    //   Calvados: 15234.5 + 3210.25 + 1105 + 987.75 = 20537.5;  20537.5 / 163421 = 12.5672… % → 12.57
    //   Manche:   10020 + 2500.5 + 700 + 150 = 13370.5;        13370.5 / 121337.5 = 11.0192… % → 11.02
    //   Orne:     6100.3 + 1200 + 455.2 + 1944.5 = 9700;        9700 / 80000 = 12.125 % exactly → 12.13
    assert_eq!(
        got,
        [
            ("Calvados", "20537.5", "163421", "12.57"),
            ("Manche", "13370.5", "121337.5", "11.02"),
            ("Orne", "9700", "80000", "12.13"),
        ]
    );

    let former = client
        .get_ess_share(GetEssShareRequest {
            year: 2023,
            territory_level: TerritoryLevel::AncienneRegion as i32,
            territory_codes: vec!["25".into()],
        })
        .await
        .unwrap()
        .into_inner();
    let bn = &former.shares[0];
    // Basse-Normandie: 20537.5 + 13370.5 + 9700 = 43608; 163421 + 121337.5 + 80000 = 364758.5;
    //   43608 / 364758.5 = 11.9553… % → 11.96
    assert_eq!(bn.territory.as_ref().unwrap().label, "Basse-Normandie");
    assert_eq!(
        (
            bn.ess_employees.as_str(),
            bn.private_employees.as_str(),
            bn.share_percent.as_str()
        ),
        ("43608", "364758.5", "11.96")
    );
}

#[tokio::test]
async fn a_small_cell_is_secret_never_zero_and_no_line_leaves_it_alone() {
    let app = app_with_2023().await;
    let t = app
        .client
        .clone()
        .query_indicators(by_territory_and_family(&["14", "50", "61"]))
        .await
        .unwrap()
        .into_inner();
    let manche_fondations = cell(&t, "Manche", "Fondations");
    assert_eq!(manche_fondations.confidentiality, Confidentiality::SecretPrimary as i32);
    assert_eq!(manche_fondations.note, "secret statistique");
    assert!(
        manche_fondations.figures.is_none(),
        "a secret is not shown, not even as zero"
    );
    let (nr, nc) = (t.rows.len() as i32, t.columns.len() as i32);
    for r in 0..nr {
        let n = t.cells.iter().filter(|c| c.row == r && c.figures.is_none()).count();
        assert_ne!(n, 1, "row {r}");
    }
    for c in 0..nc {
        let n = t.cells.iter().filter(|x| x.column == c && x.figures.is_none()).count();
        assert_ne!(n, 1, "column {c}");
    }
    // The grand total is Basse-Normandie's ESS employment, published.
    assert_eq!(employees(cell(&t, "Ensemble", "Ensemble")), Decimal::from(43608));
    assert_eq!(t.rows.last().unwrap().label, "Ensemble");
}

#[tokio::test]
async fn staff_see_the_figures_of_secret_cells_with_their_flags() {
    let app = app_with_2023().await;
    let t = app
        .client
        .clone()
        .query_indicators_unsuppressed(by_territory_and_family(&["14", "50", "61"]))
        .await
        .unwrap()
        .into_inner();
    assert!(t.unsuppressed);
    let c = cell(&t, "Manche", "Fondations");
    assert_eq!(c.confidentiality, Confidentiality::SecretPrimary as i32);
    assert_eq!(employees(c), Decimal::from(150));
}

#[tokio::test]
async fn totals_are_consistent_across_territorial_levels() {
    let app = app_with_2023().await;
    let mut client = app.client.clone();
    let deps = client
        .query_indicators(QueryIndicatorsRequest {
            columns: Dimension::Unspecified as i32,
            ..by_territory_and_family(&["14", "50", "61"])
        })
        .await
        .unwrap()
        .into_inner();
    let former = client
        .query_indicators(QueryIndicatorsRequest {
            columns: Dimension::Unspecified as i32,
            territory_level: TerritoryLevel::AncienneRegion as i32,
            ..by_territory_and_family(&["25"])
        })
        .await
        .unwrap()
        .into_inner();
    let region = client
        .query_indicators(QueryIndicatorsRequest {
            columns: Dimension::Unspecified as i32,
            territory_level: TerritoryLevel::Region as i32,
            ..by_territory_and_family(&[])
        })
        .await
        .unwrap()
        .into_inner();
    let sum_deps = employees(cell(&deps, "Ensemble", "Ensemble"));
    assert_eq!(employees(cell(&former, "Basse-Normandie", "Ensemble")), sum_deps);
    // Normandie = Basse-Normandie + Seine-Maritime (30000 + 8000 + 4000 + 2000).
    assert_eq!(
        employees(cell(&region, "Normandie", "Ensemble")),
        sum_deps + Decimal::from(44000)
    );
}

#[tokio::test]
async fn the_evolution_between_two_years_is_given_per_cell() {
    let app = app_with_2023().await;
    let older = String::from_utf8(ESS.to_vec())
        .unwrap()
        .replace(";2023;", ";2022;")
        .replace("15234.5", "14000");
    app.import_ok("urssaf-ess-departement", "2023", older.as_bytes()).await;
    let t = app
        .client
        .clone()
        .query_indicators(QueryIndicatorsRequest {
            compare_year: 2022,
            ..by_territory_and_family(&["14"])
        })
        .await
        .unwrap()
        .into_inner();
    // 14000 → 15234.5: +8.817… % → +8.8
    assert_eq!(cell(&t, "Calvados", "Associations").employees_evolution_percent, "+8.8");
}

#[tokio::test]
async fn a_year_without_data_is_not_found_and_a_bad_query_names_its_fields() {
    let app = app_with_2023().await;
    let mut client = app.client.clone();
    let status = client
        .query_indicators(QueryIndicatorsRequest {
            year: 2019,
            ..by_territory_and_family(&[])
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .query_indicators(QueryIndicatorsRequest {
            year: 1950,
            rows: Dimension::Unspecified as i32,
            families: vec!["syndicats".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    let fields: Vec<String> = platform::grpc::field_violations(&status)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["year", "rows", "families[0]"]);
}

#[tokio::test]
async fn the_public_reads_published_cells_but_never_the_unsuppressed_ones() {
    let app = app_with_2023().await;
    let mut public = ess_proto::observatory::v1::observatory_client::ObservatoryClient::new(
        platform::testing::with_access(platform::auth::Access::Public, app.channel.clone()),
    );
    let t = public
        .query_indicators(by_territory_and_family(&["14", "50", "61"]))
        .await
        .unwrap()
        .into_inner();
    assert!(cell(&t, "Manche", "Fondations").figures.is_none(), "still secret");
    let denied = public
        .query_indicators_unsuppressed(by_territory_and_family(&["14", "50", "61"]))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
}

/// The text of the dashboard's Calvados page cell for the associations' employees.
async fn calvados_associations_on_the_dashboard(app: &TestApp) -> String {
    let html = crate::http::get(app.http_addr, "/territoires/departement/14")
        .await
        .text();
    let at = html
        .find("data-cle=\"associations:salaries\"")
        .expect("the associations cell");
    let start = at + html[at..].find('>').unwrap() + 1;
    html[start..start + html[start..].find('<').unwrap()].to_owned()
}

#[tokio::test]
async fn a_reimported_edition_is_answered_with_its_new_figures_not_the_remembered_ones() {
    let app = app_with_2023().await;
    let mut client = app.client.clone();
    let query = || by_territory_and_family(&["14", "50"]);
    let first = client.query_indicators(query()).await.unwrap().into_inner();
    let again = client.query_indicators(query()).await.unwrap().into_inner();
    assert_eq!(first, again, "the same question gets the same table");
    assert_eq!(
        employees(cell(&first, "Calvados", "Associations")),
        Decimal::new(152345, 1)
    );
    let page_before = calvados_associations_on_the_dashboard(&app).await;
    assert!(page_before.starts_with("15"), "{page_before}");

    let corrected = String::from_utf8(ESS.to_vec()).unwrap().replace("15234.5", "16000");
    let report = app
        .import_ok("urssaf-ess-departement", "2024", corrected.as_bytes())
        .await;
    assert!(report.replaced);

    let after = client.query_indicators(query()).await.unwrap().into_inner();
    assert_eq!(
        employees(cell(&after, "Calvados", "Associations")),
        Decimal::from(16000)
    );
    assert_eq!(
        employees(cell(&after, "Ensemble", "Associations")) - employees(cell(&first, "Ensemble", "Associations")),
        Decimal::new(7655, 1),
        "the margins are the new import's too"
    );
    // The dashboard answers from the same remembered tables: it changes with the import too.
    let page_after = calvados_associations_on_the_dashboard(&app).await;
    assert!(page_after.starts_with("16"), "{page_after}");
}

#[tokio::test]
async fn filters_on_families_and_territories_select_the_same_cells_at_every_level() {
    let app = app_with_2023().await;
    let mut client = app.client.clone();
    let filtered = client
        .query_indicators(QueryIndicatorsRequest {
            families: vec!["associations".into()],
            ..by_territory_and_family(&["50"])
        })
        .await
        .unwrap()
        .into_inner();
    let labels = |hs: &[ess_proto::observatory::v1::Heading]| hs.iter().map(|h| h.label.clone()).collect::<Vec<_>>();
    assert_eq!(labels(&filtered.rows), ["Manche", "Ensemble"]);
    assert_eq!(labels(&filtered.columns), ["Associations", "Ensemble"]);
    let whole = client
        .query_indicators(by_territory_and_family(&[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        employees(cell(&filtered, "Manche", "Associations")),
        employees(cell(&whole, "Manche", "Associations"))
    );
}

#[tokio::test]
async fn an_import_leaves_fresh_planner_statistics_on_the_facts() {
    let app = spawn_app().await;
    app.import_ok("urssaf-ess-departement", "2024", ESS).await;
    let analyzed: Vec<String> = sqlx::query_scalar(
        "SELECT relname::text FROM pg_stat_user_tables \
         WHERE relname IN ('facts', 'facts_rollup') AND last_analyze IS NOT NULL ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(analyzed, ["facts", "facts_rollup"]);
}
