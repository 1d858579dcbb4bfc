//! The public dashboard over HTTP: territory pages show exactly what the public QueryIndicators
//! answers (secret cells read "secret statistique", their figures appear nowhere), pages are French
//! and self-contained, and `/healthz` answers.

use ess_proto::observatory::v1::{QueryIndicatorsRequest, QueryIndicatorsResponse};
use observatory::web::{layout::french_decimal, territory::key_figures_request};

use crate::{
    helpers::{TestApp, spawn_app},
    http,
};

const ESS: &[u8] = include_bytes!("fixtures/ess_departement_2023.csv");
const PRIVATE: &[u8] = include_bytes!("fixtures/prive_departement_2023.csv");

async fn app_with_2023() -> TestApp {
    let app = spawn_app().await;
    app.import_ok("urssaf-ess-departement", "2024", ESS).await;
    app.import_ok("urssaf-prive-departement", "2024", PRIVATE).await;
    app
}

/// The text of the element carrying `data-cle="key"`.
fn cell_text(html: &str, key: &str) -> Option<String> {
    let at = html.find(&format!("data-cle=\"{key}\""))?;
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find('<')?;
    Some(html[start..end].to_owned())
}

async fn query(app: &TestApp, request: QueryIndicatorsRequest, unsuppressed: bool) -> QueryIndicatorsResponse {
    let mut client = app.client.clone();
    if unsuppressed {
        client
            .query_indicators_unsuppressed(request)
            .await
            .unwrap()
            .into_inner()
    } else {
        client.query_indicators(request).await.unwrap().into_inner()
    }
}

#[tokio::test]
async fn a_departement_page_shows_the_public_figures_and_no_suppressed_value() {
    let app = app_with_2023().await;
    let request = key_figures_request(
        observatory::domain::territory::TerritoryLevel::Departement,
        "50",
        2023,
        0,
    );
    let public = query(&app, request.clone(), false).await;
    let staff = query(&app, request, true).await;

    let page = http::get(app.http_addr, "/territoires/departement/50").await;

    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("<h1>Manche (département)</h1>"), "{html}");
    let r = public.rows.iter().position(|h| h.code == "50").unwrap();
    let mut secrets = 0;
    for (c, heading) in public.columns.iter().enumerate() {
        let key = if heading.total {
            "ensemble".to_owned()
        } else {
            heading.code.clone()
        };
        let cell = public
            .cells
            .iter()
            .find(|x| x.row as usize == r && x.column as usize == c)
            .unwrap();
        let shown = cell_text(&html, &format!("{key}:salaries")).unwrap();
        match &cell.figures {
            Some(f) => {
                assert_eq!(shown, french_decimal(&f.employees), "{key}");
                assert_eq!(
                    cell_text(&html, &format!("{key}:masse")).unwrap(),
                    french_decimal(&f.payroll)
                );
                assert_eq!(
                    cell_text(&html, &format!("{key}:etablissements")).unwrap(),
                    french_decimal(&f.establishments.to_string())
                );
            }
            None => {
                secrets += 1;
                assert_eq!(shown, "secret statistique", "{key}");
                let hidden = staff
                    .cells
                    .iter()
                    .find(|x| x.row as usize == r && x.column as usize == c)
                    .and_then(|x| x.figures.clone())
                    .unwrap();
                assert!(
                    !html.contains(&french_decimal(&hidden.payroll)),
                    "the payroll of the secret cell {key} leaks"
                );
                assert!(
                    !html.contains(&format!(">{}<", french_decimal(&hidden.employees))),
                    "the employees of the secret cell {key} leak"
                );
            }
        }
    }
    assert!(secrets >= 1, "Manche's foundations (2 establishments) are secret");
    assert_eq!(html.matches("<svg").count(), html.matches("role=\"img\"").count());
    assert!(html.matches("<svg").count() >= 1);
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(cell_text(&html, "kpi:part").is_some(), "the ESS share is shown");
}

#[tokio::test]
async fn the_home_page_links_every_territory_level_and_health_answers() {
    let app = app_with_2023().await;

    let home = http::get(app.http_addr, "/").await;
    let health = http::get(app.http_addr, "/healthz").await;
    let unknown = http::get(app.http_addr, "/territoires/departement/00").await;
    let region = http::get(app.http_addr, "/territoires/region/28").await;
    let commune = http::get(app.http_addr, "/territoires/commune?code=14118").await;

    assert_eq!(home.status, 200);
    let html = home.text();
    for link in [
        "/territoires/region/28",
        "/territoires/ancienne-region/25",
        "/territoires/departement/14",
        "/territoires/departement/50",
        "/territoires/departement/61",
        "/territoires/epci/241400555",
    ] {
        assert!(html.contains(&format!("href=\"{link}\"")), "{link}");
    }
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));
    assert_eq!(unknown.status, 404);
    assert_eq!(region.status, 200);
    assert!(region.text().contains("<h1>Normandie (région)</h1>"));
    assert_eq!(commune.status, 303);
    assert_eq!(commune.header("location"), Some("/territoires/commune/14118"));
}

#[tokio::test]
async fn with_two_years_a_page_shows_the_evolution_line_and_the_change_of_each_family() {
    let app = app_with_2023().await;
    let year_before = String::from_utf8(ESS.to_vec())
        .unwrap()
        .replace(";2023;", ";2022;")
        .replace("15234.5", "15000");
    app.import_ok("urssaf-ess-departement", "2023", year_before.as_bytes())
        .await;
    let request = key_figures_request(
        observatory::domain::territory::TerritoryLevel::Departement,
        "14",
        2023,
        2022,
    );
    let public = query(&app, request, false).await;

    let html = http::get(app.http_addr, "/territoires/departement/14").await.text();
    let older = http::get(app.http_addr, "/territoires/departement/14?annee=2022").await;
    let missing = http::get(app.http_addr, "/territoires/departement/14?annee=1999").await;

    let r = public.rows.iter().position(|h| h.code == "14").unwrap();
    let c = public.columns.iter().position(|h| h.code == "associations").unwrap();
    let cell = public
        .cells
        .iter()
        .find(|x| x.row as usize == r && x.column as usize == c)
        .unwrap();
    assert_eq!(cell.employees_evolution_percent, "+1.6");
    assert_eq!(cell_text(&html, "associations:evolution").unwrap(), "+1,6");
    assert!(html.contains("Évolution des salariés depuis 2022 (%)"));
    assert_eq!(html.matches("<polyline").count(), 1, "one evolution line");
    assert!(html.contains("<th scope=\"row\">2022</th>") && html.contains("<th scope=\"row\">2023</th>"));
    assert_eq!(older.status, 200);
    assert!(older.text().contains("Année affichée : <strong>2022</strong>"));
    assert_eq!(missing.status, 400);
}
