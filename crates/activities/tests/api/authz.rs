//! Object-level access to registrations: a partner registers people of its own organisation and
//! sees, cancels and counts only its own registrations; another partner's registration, or one that
//! does not exist, is PERMISSION_DENIED alike. The public reads the calendar, nothing else.

use ess_proto::activities::v1::{
    self as pb, GetCalendarRequest, ListPartnerParticipationRequest, ListRegistrationsRequest, RegistrationIdRequest,
    activities_client::ActivitiesClient,
};
use platform::{auth::Access, grpc::AuthChannel, testing::with_access};
use tonic::Code;
use uuid::Uuid;

use crate::helpers::{TestApp, registration, spawn_app};

fn client_for(app: &TestApp, access: Access) -> ActivitiesClient<AuthChannel> {
    ActivitiesClient::new(with_access(access, app.channel.clone()))
}

fn partner(id: &str) -> Access {
    Access::Partner(Uuid::parse_str(id).unwrap())
}

fn from(session: &str, n: usize, organisation: &str) -> pb::RegisterRequest {
    pb::RegisterRequest {
        organisation_id: organisation.to_owned(),
        ..registration(session, n)
    }
}

#[tokio::test]
async fn a_partner_registers_its_own_people_and_sees_only_its_own_registrations() {
    let app = spawn_app().await;
    let activity = app.scheduled_activity(10).await;
    let session = activity.sessions[0].id.clone();
    let (a, b) = (app.partner("Partenaire A").await, app.partner("Partenaire B").await);
    let mut as_a = client_for(&app, partner(&a));
    let mut as_b = client_for(&app, partner(&b));

    let mine = as_a.register(from(&session, 1, &a)).await.unwrap().into_inner();
    let theirs = as_b.register(from(&session, 2, &b)).await.unwrap().into_inner();
    app.register(registration(&session, 3)).await.unwrap();

    let for_someone_else = as_a.register(from(&session, 4, &b)).await.unwrap_err();
    assert_eq!(for_someone_else.code(), Code::PermissionDenied);
    let for_no_one = as_a.register(registration(&session, 5)).await.unwrap_err();
    assert_eq!(for_no_one.code(), Code::PermissionDenied);
    assert_eq!(
        app.count("registrations").await,
        3,
        "nothing written for the refused ones"
    );

    let seen = as_a
        .list_registrations(ListRegistrationsRequest {
            session_id: session.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .registrations;
    let mine_id = mine.registration.unwrap().id;
    assert_eq!(
        seen.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [mine_id.as_str()]
    );
    let all = app
        .client
        .clone()
        .list_registrations(ListRegistrationsRequest {
            session_id: session,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .registrations;
    assert_eq!(all.len(), 3, "staff see everyone");

    let participation_of_b = as_a
        .list_partner_participation(ListPartnerParticipationRequest {
            partner_id: b.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(participation_of_b.code(), Code::PermissionDenied);
    as_a.list_partner_participation(ListPartnerParticipationRequest {
        partner_id: a.clone(),
        ..Default::default()
    })
    .await
    .unwrap();

    let theirs_id = theirs.registration.unwrap().id;
    let cancel_theirs = as_a
        .cancel_registration(RegistrationIdRequest { id: theirs_id })
        .await
        .unwrap_err();
    let cancel_none = as_a
        .cancel_registration(RegistrationIdRequest {
            id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(cancel_theirs.code(), Code::PermissionDenied);
    assert_eq!(
        (cancel_none.code(), cancel_none.message()),
        (cancel_theirs.code(), cancel_theirs.message()),
        "another partner's registration and none at all look the same"
    );
    let cancelled = as_a
        .cancel_registration(RegistrationIdRequest { id: mine_id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        cancelled.registration.unwrap().status,
        pb::RegistrationStatus::Cancelled as i32
    );
}

#[tokio::test]
async fn the_public_reads_the_calendar_and_nothing_else() {
    let app = spawn_app().await;
    let activity = app.scheduled_activity(10).await;
    let mut public = client_for(&app, Access::Public);
    let ics = public
        .get_calendar(GetCalendarRequest {
            campaign: activity.campaign.clone(),
            departement_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .ics;
    assert!(ics.contains("BEGIN:VEVENT"), "{ics}");
    assert!(!ics.contains("personne"), "no registrant in the public feed");
    let listing = public
        .list_activities(pb::ListActivitiesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(listing.code(), Code::PermissionDenied);
    let register = public
        .register(registration(&activity.sessions[0].id, 1))
        .await
        .unwrap_err();
    assert_eq!(register.code(), Code::PermissionDenied);
}
