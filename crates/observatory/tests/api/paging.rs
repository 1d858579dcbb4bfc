//! Pages of ListDatasets and ListActions: every dataset once, by source then edition; page sizes defaulted,
//! clamped or refused; bad tokens refused on `page_token`.

use ess_proto::observatory::v1::{
    CreateActionRequest, ListActionsRequest, ListDatasetsRequest, action_plan_client::ActionPlanClient,
};
use platform::grpc::field_violations;
use tonic::Code;

use crate::helpers::{TestApp, spawn_app};

const ESS: &[u8] = include_bytes!("fixtures/ess_departement_2023.csv");

async fn page(app: &TestApp, page_size: i32, page_token: &str) -> Result<(Vec<String>, String), tonic::Status> {
    let r = app
        .client
        .clone()
        .list_datasets(ListDatasetsRequest {
            page_size,
            page_token: page_token.into(),
        })
        .await?
        .into_inner();
    Ok((
        r.datasets
            .into_iter()
            .map(|d| format!("{} {}", d.source, d.edition))
            .collect(),
        r.next_page_token,
    ))
}

fn fields(status: &tonic::Status) -> Vec<String> {
    field_violations(status).into_iter().map(|v| v.field).collect()
}

#[tokio::test]
async fn dataset_pages_return_every_dataset_once_in_order_even_when_one_is_imported_meanwhile() {
    let app = spawn_app().await;
    for edition in ["2022", "2020", "2024", "2021", "2023"] {
        app.import_ok("urssaf-ess-departement", edition, ESS).await;
    }
    let (mut seen, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let (names, next) = page(&app, 2, &token).await.unwrap();
        assert!(names.len() <= 2);
        seen.extend(names);
        pages += 1;
        if next.is_empty() {
            break;
        }
        token = next;
    }
    let want: Vec<String> = (2020..=2024).map(|y| format!("urssaf-ess-departement {y}")).collect();
    assert_eq!(seen, want);
    assert_eq!(pages, 3);

    // An edition imported behind the cursor is not seen; one ahead is seen once.
    let (first, token) = page(&app, 2, "").await.unwrap();
    app.import_ok("urssaf-ess-departement", "2019", ESS).await;
    app.import_ok("urssaf-ess-departement", "2025", ESS).await;
    let (mut rest, mut token) = (Vec::new(), token);
    while !token.is_empty() {
        let (names, next) = page(&app, 2, &token).await.unwrap();
        rest.extend(names);
        token = next;
    }
    assert_eq!(first, want[..2]);
    let mut want_rest = want[2..].to_vec();
    want_rest.push("urssaf-ess-departement 2025".into());
    assert_eq!(rest, want_rest);

    assert_eq!(page(&app, 0, "").await.unwrap().0.len(), 7);
    assert_eq!(page(&app, 10_000, "").await.unwrap().0.len(), 7);
}

#[tokio::test]
async fn bad_page_sizes_and_tokens_are_invalid_argument_naming_the_field() {
    let app = spawn_app().await;
    let negative = page(&app, -1, "").await.unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    assert_eq!(fields(&negative), ["page_size"]);
    let garbage = page(&app, 2, "garbage token").await.unwrap_err();
    assert_eq!(garbage.code(), Code::InvalidArgument);
    assert_eq!(fields(&garbage), ["page_token"]);
}

#[tokio::test]
async fn action_pages_go_by_axis_then_title_without_gaps_or_repeats_and_keep_the_axis_filter() {
    let app = spawn_app().await;
    let mut plan = ActionPlanClient::new(platform::testing::admin(app.channel.clone()));
    for (axis, title) in [(3, "Charlie"), (1, "Bravo"), (2, "Alpha"), (1, "Alpha"), (3, "Alpha")] {
        plan.create_action(CreateActionRequest {
            axis,
            title: title.into(),
            description: String::new(),
            targets: Vec::new(),
        })
        .await
        .unwrap();
    }
    let walk = |axis: i32| {
        let mut plan = plan.clone();
        async move {
            let (mut seen, mut token) = (Vec::new(), String::new());
            loop {
                let r = plan
                    .list_actions(ListActionsRequest {
                        axis,
                        page_size: 2,
                        page_token: token,
                    })
                    .await
                    .unwrap()
                    .into_inner();
                assert!(r.actions.len() <= 2);
                seen.extend(r.actions.into_iter().map(|a| format!("{} {}", a.axis, a.title)));
                if r.next_page_token.is_empty() {
                    return seen;
                }
                token = r.next_page_token;
            }
        }
    };
    assert_eq!(walk(0).await, ["1 Alpha", "1 Bravo", "2 Alpha", "3 Alpha", "3 Charlie"]);
    assert_eq!(walk(3).await, ["3 Alpha", "3 Charlie"]);

    // A token of the axis-3 list is refused for the whole plan (other filters).
    let r = plan
        .list_actions(ListActionsRequest {
            axis: 3,
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let foreign = plan
        .list_actions(ListActionsRequest {
            axis: 0,
            page_size: 1,
            page_token: r.next_page_token,
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&foreign), ["page_token"]);
    let negative = plan
        .list_actions(ListActionsRequest {
            axis: 0,
            page_size: -1,
            page_token: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&negative), ["page_size"]);
}
