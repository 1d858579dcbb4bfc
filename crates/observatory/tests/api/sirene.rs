//! SIRENE stock imports: legal units, then establishments joined to them; employment estimated
//! from headcount bands; the ESS perimeter and the excluded activities.

use ess_proto::observatory::v1::{
    Confidentiality, Dimension, GetEssShareRequest, QueryIndicatorsRequest, TerritoryLevel,
};
use tonic::Code;

use crate::helpers::spawn_app;

const UNITS: &[u8] = include_bytes!("fixtures/sirene_unites_legales.csv");
const ESTABLISHMENTS: &[u8] = include_bytes!("fixtures/sirene_etablissements.csv");

#[tokio::test]
async fn establishments_need_their_legal_units_first() {
    let app = spawn_app().await;
    let status = app
        .import("sirene-etablissements", "2025-01", ESTABLISHMENTS)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("sirene-unites-legales"));
}

#[tokio::test]
async fn ess_establishments_of_the_territory_become_estimated_facts_by_epci_and_family() {
    let app = spawn_app().await;
    let units = app.import_ok("sirene-unites-legales", "2025-01", UNITS).await;
    // 6 units: the ordinary SAS (5710, flag N) is outside the ESS; the union (9220) is kept here,
    // its establishment is excluded by its activity (94.20Z).
    assert_eq!((units.dataset.unwrap().facts, units.skipped_rows), (5, 1));
    let report = app.import_ok("sirene-etablissements", "2025-01", ESTABLISHMENTS).await;
    // Skipped: the closed one, the one in Paris, the union's (94.20Z).
    assert_eq!(report.skipped_rows, 3);

    let t = app
        .client
        .clone()
        .query_indicators_unsuppressed(QueryIndicatorsRequest {
            year: 2025,
            rows: Dimension::Territory as i32,
            columns: Dimension::Family as i32,
            territory_level: TerritoryLevel::Epci as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let labels: Vec<&str> = t.columns.iter().map(|h| h.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Associations",
            "Coopératives",
            "Sociétés commerciales de l'ESS",
            "Ensemble"
        ]
    );
    assert_eq!(t.rows[0].code, "200065597", "Caen la Mer");
    let assoc = &t.cells[0];
    let f = assoc.figures.as_ref().unwrap();
    // Bands 12 (20–49 → 34.5), 01 (1–2 → 1.5), 02 (3–5 → 4): 40 estimated employees, 3 establishments.
    assert_eq!(
        (f.establishments, f.employees.as_str(), f.payroll.as_str()),
        (3, "40", "")
    );
    // One establishment holds 34.5 / 40 = 86 % > 85 %: secret by dominance.
    assert_eq!(assoc.confidentiality, Confidentiality::SecretPrimary as i32);
}

#[tokio::test]
async fn the_ess_share_by_epci_divides_the_sirene_estimate_by_the_private_sector() {
    let app = spawn_app().await;
    app.import_ok("sirene-unites-legales", "2025-01", UNITS).await;
    app.import_ok("sirene-etablissements", "2025-01", ESTABLISHMENTS).await;
    let private = "region;ancienne_region;epci;annee;code_region;code_ancienne_region;code_epci;\
                   nombre_d_etablissements;effectifs_salaries_moyens;masse_salariale\n\
                   Normandie;Basse-Normandie;CU Caen la Mer;2025;28;25;200065597;3000;1984;61000000\n";
    app.import_ok("urssaf-prive-epci", "2026", private.as_bytes()).await;

    let share = app
        .client
        .clone()
        .get_ess_share(GetEssShareRequest {
            year: 2025,
            territory_level: TerritoryLevel::Epci as i32,
            territory_codes: vec![],
        })
        .await
        .unwrap()
        .into_inner();
    let got: Vec<_> = share
        .shares
        .iter()
        .map(|s| {
            (
                s.territory.as_ref().unwrap().code.as_str(),
                s.ess_employees.as_str(),
                s.private_employees.as_str(),
                s.share_percent.as_str(),
                s.ess_estimated,
            )
        })
        .collect();
    // By hand: ESS of Caen la Mer estimated from the bands: associations 34.5 + 1.5 + 4 = 40, the
    // SCOP 7.5 (03: 6–9), the ESS SAS 14.5 (11: 10–19): 62 over 5 establishments (the largest
    // holds 34.5 / 62 = 56 %: published). 62 / 1984 = 3.125 % → 3.13 (half away from zero).
    assert_eq!(got, [("200065597", "62", "1984", "3.13", true)]);
    assert_eq!(share.ess_dataset.unwrap().source, "sirene-etablissements");
    assert_eq!(share.private_dataset.unwrap().source, "urssaf-prive-epci");
}

/// The rollup recomputed in one step from the facts, as `facts_rollup` held it before the
/// two-step build: every level, every sum, the largest contributions.
const ROLLUP_IN_ONE_STEP: &str = "SELECT dataset_id, year, l.level, l.territory, family, na88, naf_section, \
        sum(establishments), sum(employees), sum(payroll), \
        CASE WHEN bool_and(largest_employees IS NOT NULL) THEN max(largest_employees) END, \
        CASE WHEN bool_and(largest_payroll IS NOT NULL) THEN max(largest_payroll) END \
    FROM facts CROSS JOIN LATERAL (VALUES ('epci', epci), ('departement', departement), \
        ('ancienne_region', ancienne_region), ('region', region)) AS l (level, territory) \
    WHERE l.territory IS NOT NULL \
    GROUP BY dataset_id, year, l.level, l.territory, family, na88, naf_section";

async fn rollup_differences(app: &crate::helpers::TestApp) -> (i64, i64) {
    let count = |sql: String| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    (
        count(format!(
            "SELECT count(*) FROM (({ROLLUP_IN_ONE_STEP}) EXCEPT SELECT * FROM facts_rollup) d"
        ))
        .await,
        count(format!(
            "SELECT count(*) FROM (SELECT * FROM facts_rollup EXCEPT ({ROLLUP_IN_ONE_STEP})) d"
        ))
        .await,
    )
}

#[tokio::test]
async fn importing_the_same_sirene_edition_twice_changes_nothing_and_the_rollup_matches_the_facts() {
    let app = spawn_app().await;
    app.import_ok("sirene-unites-legales", "2025-01", UNITS).await;
    app.import_ok("sirene-etablissements", "2025-01", ESTABLISHMENTS).await;
    // A source with payroll and no largest contributions, beside SIRENE's estimates.
    app.import_ok(
        "urssaf-ess-departement",
        "2024",
        include_bytes!("fixtures/ess_departement_2023.csv"),
    )
    .await;
    let facts = app.facts().await;
    let rollup: i64 = sqlx::query_scalar("SELECT count(*) FROM facts_rollup")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(rollup > 0);
    assert_eq!(rollup_differences(&app).await, (0, 0));

    let again = app.import_ok("sirene-etablissements", "2025-01", ESTABLISHMENTS).await;

    assert!(again.replaced);
    assert_eq!(app.facts().await, facts);
    let rollup_again: i64 = sqlx::query_scalar("SELECT count(*) FROM facts_rollup")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rollup_again, rollup);
    assert_eq!(rollup_differences(&app).await, (0, 0));
}
