//! The walking skeleton's path: a partner created in the registry is counted by the observatory.

use std::time::{Duration, Instant};

use ess_proto::{activities::v1::ListKnownPartnersRequest, observatory::v1::CountPartnersByDepartementRequest};
use platform::testing::{nats_url, poll_until};

use crate::helpers::{partner, spawn_platform};

#[tokio::test]
async fn a_partner_created_in_the_registry_is_counted_by_the_observatory_within_two_seconds() {
    let p = spawn_platform(&nats_url()).await;
    let created = p
        .registry
        .clone()
        .create_partner(partner(1, "50129"))
        .await
        .expect("created")
        .into_inner();
    let at = Instant::now();
    assert_eq!(created.partner.unwrap().departement_code, "50");

    poll_until(
        Duration::from_secs(2),
        "the observatory to count the new partner",
        || async { (p.observatory_total().await == 1).then_some(()) },
    )
    .await;
    eprintln!(
        "visible in the observatory {:?} after the registry answered",
        at.elapsed()
    );

    let counts = p
        .observatory
        .clone()
        .count_partners_by_departement(CountPartnersByDepartementRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts.departements.len(), 1);
    assert_eq!(
        (
            counts.departements[0].departement_code.as_str(),
            counts.departements[0].partners
        ),
        ("50", 1)
    );
    assert_eq!(counts.departements[0].departement_name, "Manche");
}

#[tokio::test]
async fn a_refused_partner_never_reaches_the_observatory() {
    let p = spawn_platform(&nats_url()).await;
    let mut bad = partner(2, "14118");
    bad.siret = "73282932000075".into();
    let status = p.registry.clone().create_partner(bad).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    // A valid one after it: once it is counted, the refused one would have been too.
    p.registry.clone().create_partner(partner(3, "61001")).await.unwrap();
    poll_until(Duration::from_secs(5), "the valid partner counted", || async {
        (p.observatory_total().await == 1).then_some(())
    })
    .await;
    let unpublished: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&p.registry_pool)
        .await
        .unwrap();
    assert_eq!(unpublished, 1, "only the valid partner's event was written");
}

#[tokio::test]
async fn the_activities_service_learns_the_names_of_new_partners() {
    let p = spawn_platform(&nats_url()).await;
    let created = p
        .registry
        .clone()
        .create_partner(partner(4, "61001"))
        .await
        .unwrap()
        .into_inner();
    let id = created.partner.unwrap().id;
    let known = poll_until(
        Duration::from_secs(5),
        "the partner in the activities directory",
        || async {
            let list = p
                .activities
                .clone()
                .list_known_partners(ListKnownPartnersRequest::default())
                .await
                .ok()?
                .into_inner();
            list.partners.into_iter().find(|k| k.partner_id == id)
        },
    )
    .await;
    assert_eq!((known.name.as_str(), known.version), ("Coopérative d'essai n°4", 1));
}
