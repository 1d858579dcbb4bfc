//! ListActivities with its filters, and the iCalendar feed (parsed back with the `ical` crate).

use std::io::BufReader;

use ess_proto::activities::v1::{self as pb, GetCalendarRequest, ListActivitiesRequest};
use tonic::Code;

use crate::helpers::{TestApp, in_days, session, spawn_app, ts, valid_activity};

async fn list(app: &TestApp, req: ListActivitiesRequest) -> Vec<String> {
    app.client
        .clone()
        .list_activities(req)
        .await
        .unwrap()
        .into_inner()
        .activities
        .into_iter()
        .map(|a| a.title)
        .collect()
}

/// Three activities: a forum in Caen (14, axes 2-3, Mois de l'ESS), a training in Saint-Lô (50,
/// axis 4), an online workshop (axis 2, another organiser).
async fn three_activities(app: &TestApp) -> (String, String) {
    let coop = app.partner("Coopérative organisatrice").await;
    let other = app.partner("Réseau des Ressourceries").await;
    app.create_activity(valid_activity(&coop)).await.unwrap();

    let mut training = valid_activity(&coop);
    {
        let f = training.activity.as_mut().unwrap();
        f.title = "Formation gouvernance coopérative".into();
        f.kind = pb::ActivityKind::Formation as i32;
        f.axes = vec![4];
        f.publics = vec![pb::Public::Salaries as i32];
        f.campaign = String::new();
        f.venue.as_mut().unwrap().commune_code = "50502".into();
    }
    training.sessions = vec![session(in_days(30, 0), 3, 12)];
    app.create_activity(training).await.unwrap();

    let mut workshop = valid_activity(&other);
    {
        let f = workshop.activity.as_mut().unwrap();
        f.title = "Atelier en ligne : créer sa SCOP".into();
        f.kind = pb::ActivityKind::Atelier as i32;
        f.axes = vec![2];
        f.publics = vec![pb::Public::PorteursProjet as i32];
        f.venue = Some(pb::Venue {
            online: true,
            ..Default::default()
        });
    }
    workshop.sessions = vec![session(in_days(14, 0), 1, 100)];
    app.create_activity(workshop).await.unwrap();
    (coop, other)
}

#[tokio::test]
async fn activities_are_filtered_by_axis_kind_public_departement_campaign_organiser_and_period() {
    let app = spawn_app().await;
    let (coop, other) = three_activities(&app).await;
    let forum = "Forum de l'ESS à Caen";
    let training = "Formation gouvernance coopérative";
    let workshop = "Atelier en ligne : créer sa SCOP";

    assert_eq!(
        list(&app, ListActivitiesRequest::default()).await,
        [forum, workshop, training]
    );
    let by = |f: fn(&mut ListActivitiesRequest)| {
        let mut r = ListActivitiesRequest::default();
        f(&mut r);
        r
    };
    assert_eq!(list(&app, by(|r| r.axis = 2)).await, [forum, workshop]);
    assert_eq!(
        list(&app, by(|r| r.kind = pb::ActivityKind::Formation as i32)).await,
        [training]
    );
    assert_eq!(
        list(&app, by(|r| r.public = pb::Public::PorteursProjet as i32)).await,
        [workshop]
    );
    assert_eq!(list(&app, by(|r| r.departement_code = "50".into())).await, [training]);
    assert_eq!(
        list(&app, by(|r| r.campaign = "Mois de l'ESS 2026".into())).await,
        [forum, workshop]
    );
    let r = ListActivitiesRequest {
        organiser_id: other,
        ..Default::default()
    };
    assert_eq!(list(&app, r).await, [workshop]);
    let r = ListActivitiesRequest {
        organiser_id: coop,
        from: Some(ts(in_days(20, 0))),
        to: Some(ts(in_days(40, 0))),
        ..Default::default()
    };
    assert_eq!(list(&app, r).await, [training]);
}

#[tokio::test]
async fn a_bad_filter_is_invalid_argument() {
    let app = spawn_app().await;
    let status = app
        .client
        .clone()
        .list_activities(ListActivitiesRequest {
            axis: 9,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

fn parse_ics(ics: &str) -> ical::parser::ical::component::IcalCalendar {
    let mut parser = ical::IcalParser::new(BufReader::new(ics.as_bytes()));
    let cal = parser.next().expect("one calendar").expect("a valid iCalendar");
    assert!(parser.next().is_none(), "exactly one VCALENDAR");
    cal
}

fn prop<'a>(props: &'a [ical::property::Property], name: &str) -> Option<&'a str> {
    props.iter().find(|p| p.name == name).and_then(|p| p.value.as_deref())
}

#[tokio::test]
async fn the_campaign_feed_is_valid_icalendar_with_one_event_per_session_of_scheduled_activities() {
    let app = spawn_app().await;
    let coop = app.partner("Coopérative organisatrice").await;
    let mut req = valid_activity(&coop);
    req.sessions = vec![session(in_days(7, 0), 2, 20), session(in_days(8, 0), 2, 20)];
    let forum = app.create_activity(req).await.unwrap();
    app.schedule(&forum.id).await.unwrap();
    // A draft of the same campaign stays out of the feed.
    app.create_activity(valid_activity(&coop)).await.unwrap();

    let ics = app
        .client
        .clone()
        .get_calendar(GetCalendarRequest {
            campaign: "Mois de l'ESS 2026".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .ics;
    assert!(ics.contains("\r\n"), "lines end with CRLF");
    let cal = parse_ics(&ics);
    assert_eq!(prop(&cal.properties, "VERSION"), Some("2.0"));
    assert!(prop(&cal.properties, "PRODID").is_some());
    assert_eq!(cal.events.len(), 2);
    let first = &cal.events[0].properties;
    assert_eq!(
        prop(first, "UID"),
        Some(format!("{}@activites.ess-basse-normandie.fr", forum.sessions[0].id).as_str())
    );
    assert!(prop(first, "SUMMARY").unwrap().starts_with("Forum de l"));
    assert!(prop(first, "DTSTAMP").is_some());
    let start = prop(first, "DTSTART").unwrap();
    assert!(start.ends_with('Z') && start.len() == 16, "UTC date-time: {start}");
    let description = prop(first, "DESCRIPTION").unwrap();
    assert!(description.contains("Événement / forum / conférence"), "{description}");
    assert!(description.contains("Étudiants"), "{description}");
    assert!(prop(first, "LOCATION").unwrap().contains("14118"));
}

#[tokio::test]
async fn the_departement_feed_holds_only_that_departements_activities() {
    let app = spawn_app().await;
    let coop = app.partner("Coopérative organisatrice").await;
    let caen = app.create_activity(valid_activity(&coop)).await.unwrap();
    app.schedule(&caen.id).await.unwrap();
    let mut req = valid_activity(&coop);
    req.activity.as_mut().unwrap().venue.as_mut().unwrap().commune_code = "61001".into();
    let orne = app.create_activity(req).await.unwrap();
    app.schedule(&orne.id).await.unwrap();

    let ics = app
        .client
        .clone()
        .get_calendar(GetCalendarRequest {
            departement_code: "61".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .ics;
    let cal = parse_ics(&ics);
    assert_eq!(cal.events.len(), 1);
    assert!(
        prop(&cal.events[0].properties, "UID")
            .unwrap()
            .starts_with(&orne.sessions[0].id)
    );
}
