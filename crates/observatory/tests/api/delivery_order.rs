//! Property: whatever the delivery order, and with any events delivered twice, the projection
//! handlers leave exactly the rows that in-order delivery leaves (version guards make them
//! order-safe and idempotent). Runs the real handlers on the real database, each case in a
//! transaction rolled back afterwards.

use observatory::events::{activities::ActivitiesProjection, registry::RegistryProjection};
use platform::consumer::{Handler as _, InboundEvent};
use proptest::{prelude::*, test_runner::TestRunner};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    helpers::spawn_app,
    projections::{Ev, activity_history, history},
};

type Rows = (Vec<String>, Vec<String>, Vec<String>);

/// Applies `events` in order inside a transaction, reads every projection row, rolls back.
async fn apply_and_read(pool: &PgPool, events: &[(String, Vec<u8>)]) -> Rows {
    let mut tx = pool.begin().await.unwrap();
    for (kind, payload) in events {
        let event = InboundEvent {
            event_id: Uuid::now_v7(),
            subject: String::new(),
            event_type: kind.clone(),
            payload: payload.clone().into(),
        };
        let conn: &mut PgConnection = &mut tx;
        if kind.starts_with("ess.events.v1.Activity") {
            ActivitiesProjection.handle(conn, &event).await.unwrap();
        } else {
            RegistryProjection.handle(conn, &event).await.unwrap();
        }
    }
    let partners = read(
        &mut tx,
        "SELECT concat_ws('|', partner_id, departement_code, kind, ess_family, archived, cress_member, version, \
             status_version, membership_version) \
         FROM partner_projection ORDER BY partner_id",
    )
    .await;
    let activities = read(
        &mut tx,
        "SELECT concat_ws('|', activity_id, version, status_version, outcome_version, status, kind, axes, publics, campaign, \
             departement_code, attendees, female, male, \
             sex_not_given, under_26, age_26_49, age_50_and_over, age_not_given) FROM activity_projection ORDER BY activity_id",
    )
    .await;
    let publics = read(
        &mut tx,
        "SELECT concat_ws('|', activity_id, public, attendees) FROM activity_attendance_by_public ORDER BY activity_id, public",
    )
    .await;
    tx.rollback().await.unwrap();
    (partners, activities, publics)
}

async fn read(conn: &mut PgConnection, sql: &'static str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql).fetch_all(conn).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn any_delivery_order_with_duplicates_yields_the_same_projection() {
    let app = spawn_app().await;
    let (mut events, _) = history();
    events.extend(activity_history());
    let events: Vec<(String, Vec<u8>)> = events.into_iter().map(|Ev(k, p)| (k.to_owned(), p)).collect();
    let in_order = apply_and_read(&app.pool, &events).await;
    assert!(!in_order.0.is_empty() && !in_order.1.is_empty());

    let pool = app.pool.clone();
    let handle = tokio::runtime::Handle::current();
    let n = events.len();
    tokio::task::spawn_blocking(move || {
        let strategy = (
            Just(events.clone()).prop_shuffle(),
            proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 0..=n),
        )
            .prop_flat_map(|(shuffled, dup)| {
                let mut all = shuffled.clone();
                all.extend(dup.into_iter().map(|i| shuffled[i].clone()));
                Just(all).prop_shuffle()
            });
        let mut runner = TestRunner::new(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(48)
        });
        runner
            .run(&strategy, |order| {
                let got = handle.block_on(apply_and_read(&pool, &order));
                prop_assert_eq!(&got, &in_order);
                Ok(())
            })
            .unwrap();
    })
    .await
    .unwrap();
}
