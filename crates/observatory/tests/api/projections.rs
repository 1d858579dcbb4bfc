//! Partner projections from registry events (kind, family, membership, archiving), in any order,
//! and rebuilt from the stream to exactly what was built live.

use std::time::Duration;

use ess_proto::{
    events::v1::{
        ActivityCancelled, ActivityCompleted, ActivityCreated, ActivityScheduled, ActivitySummary, ActivityUpdated,
        AttendanceCounts, EventMeta, MembershipChanged, PartnerArchived, PartnerFacts, PartnerRegistered,
        PartnerUpdated,
    },
    observatory::v1::{
        GetActivityProjectionsRequest, GetActivityProjectionsResponse, GetPartnerProjectionsRequest,
        GetPartnerProjectionsResponse, RebuildProjectionsRequest,
    },
};
use platform::testing::poll_until;
use prost::Message as _;
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

const DEADLINE: Duration = Duration::from_secs(15);

fn meta(partner: Uuid, version: i64) -> Option<EventMeta> {
    Some(EventMeta {
        event_id: Uuid::now_v7().to_string(),
        occurred_at: None,
        aggregate_id: partner.to_string(),
        aggregate_version: version,
    })
}

fn facts(kind: &str, family: &str, member: bool) -> Option<PartnerFacts> {
    Some(PartnerFacts {
        kind: kind.into(),
        ess_family: family.into(),
        cress_member: member,
        status: "active".into(),
        ..Default::default()
    })
}

/// One event: its type and payload (activities events go on `activities.*`, the others on
/// `registry.*`).
pub struct Ev(pub &'static str, pub Vec<u8>);

fn registered(p: Uuid, dep: &str, kind: &str, family: &str, member: bool) -> Ev {
    Ev(
        "ess.events.v1.PartnerRegistered",
        PartnerRegistered {
            meta: meta(p, 1),
            partner_id: p.to_string(),
            name: "Structure".into(),
            commune_code: String::new(),
            departement_code: dep.into(),
            facts: facts(kind, family, member),
        }
        .encode_to_vec(),
    )
}

fn updated(p: Uuid, version: i64, dep: &str, kind: &str, family: &str, member: bool) -> Ev {
    Ev(
        "ess.events.v1.PartnerUpdated",
        PartnerUpdated {
            meta: meta(p, version),
            partner_id: p.to_string(),
            name: "Structure".into(),
            commune_code: String::new(),
            departement_code: dep.into(),
            facts: facts(kind, family, member),
        }
        .encode_to_vec(),
    )
}

fn archived(p: Uuid, version: i64) -> Ev {
    Ev(
        "ess.events.v1.PartnerArchived",
        PartnerArchived {
            meta: meta(p, version),
            partner_id: p.to_string(),
        }
        .encode_to_vec(),
    )
}

fn membership(p: Uuid, version: i64, member: bool) -> Ev {
    Ev(
        "ess.events.v1.MembershipChanged",
        MembershipChanged {
            meta: meta(p, version),
            partner_id: p.to_string(),
            cress_member: member,
            ..Default::default()
        }
        .encode_to_vec(),
    )
}

async fn publish_all(app: &TestApp, events: Vec<Ev>) {
    for Ev(kind, payload) in events {
        let id = Uuid::now_v7();
        let subject = if kind.starts_with("ess.events.v1.Activity") {
            "activities.activity.changed"
        } else {
            "registry.partner.changed"
        };
        app.publish_to(subject, id, &id.to_string(), kind, payload).await;
    }
}

fn summary_of(
    activity: Uuid,
    kind: &str,
    axes: &[i32],
    publics: &[&str],
    dep: &str,
    campaign: &str,
) -> Option<ActivitySummary> {
    Some(ActivitySummary {
        activity_id: activity.to_string(),
        title: "Atelier".into(),
        kind: kind.into(),
        axes: axes.to_vec(),
        publics: publics.iter().map(|p| p.to_string()).collect(),
        campaign: campaign.into(),
        departement_code: dep.into(),
        ..Default::default()
    })
}

fn activity_event(
    kind: &'static str,
    a: Uuid,
    version: i64,
    summary: Option<ActivitySummary>,
    outcome: Option<AttendanceCounts>,
) -> Ev {
    let meta = meta(a, version);
    let payload = match kind {
        "ess.events.v1.ActivityCreated" => ActivityCreated {
            meta,
            activity: summary,
        }
        .encode_to_vec(),
        "ess.events.v1.ActivityUpdated" => ActivityUpdated {
            meta,
            activity: summary,
        }
        .encode_to_vec(),
        "ess.events.v1.ActivityScheduled" => ActivityScheduled {
            meta,
            activity: summary,
        }
        .encode_to_vec(),
        "ess.events.v1.ActivityCompleted" => ActivityCompleted {
            meta,
            activity: summary,
            outcome,
        }
        .encode_to_vec(),
        _ => ActivityCancelled {
            meta,
            activity_id: a.to_string(),
        }
        .encode_to_vec(),
    };
    Ev(kind, payload)
}

/// Three activities: one completed (then its description updated), one scheduled, one cancelled
/// whose events arrive newest first.
pub fn activity_history() -> Vec<Ev> {
    let (x, y, z) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let sx = || summary_of(x, "SENSIBILISATION", &[4], &["SCOLAIRES"], "14", "Mois de l'ESS 2026");
    let outcome = AttendanceCounts {
        total: 30,
        female: 17,
        male: 12,
        sex_not_given: 1,
        under_26: 28,
        age_26_49: 2,
        by_public: [("SCOLAIRES".to_string(), 30)].into_iter().collect(),
        ..Default::default()
    };
    vec![
        activity_event("ess.events.v1.ActivityCreated", x, 1, sx(), None),
        activity_event("ess.events.v1.ActivityScheduled", x, 2, sx(), None),
        activity_event("ess.events.v1.ActivityCompleted", x, 3, sx(), Some(outcome)),
        activity_event("ess.events.v1.ActivityUpdated", x, 4, sx(), None),
        activity_event(
            "ess.events.v1.ActivityCreated",
            y,
            1,
            summary_of(y, "FORMATION", &[2, 3], &["DEMANDEURS_EMPLOI"], "50", ""),
            None,
        ),
        activity_event(
            "ess.events.v1.ActivityScheduled",
            y,
            2,
            summary_of(y, "FORMATION", &[2, 3], &["DEMANDEURS_EMPLOI"], "50", ""),
            None,
        ),
        activity_event("ess.events.v1.ActivityCancelled", z, 2, None, None),
        activity_event(
            "ess.events.v1.ActivityCreated",
            z,
            1,
            summary_of(z, "FORMATION", &[1], &["ELUS"], "61", ""),
            None,
        ),
    ]
}

async fn activity_projections(app: &TestApp) -> GetActivityProjectionsResponse {
    app.client
        .clone()
        .get_activity_projections(GetActivityProjectionsRequest {})
        .await
        .unwrap()
        .into_inner()
}

fn labelled(v: &[ess_proto::observatory::v1::ProjectionCount]) -> Vec<(&str, i64)> {
    v.iter().map(|c| (c.label.as_str(), c.count)).collect()
}

async fn projections(app: &TestApp) -> GetPartnerProjectionsResponse {
    app.client
        .clone()
        .get_partner_projections(GetPartnerProjectionsRequest {})
        .await
        .unwrap()
        .into_inner()
}

/// Total, by kind, by family, by département, CRESS members.
type Summary = (i64, Vec<(String, i64)>, Vec<(String, i64)>, Vec<(String, i64)>, i64);

fn summary(p: &GetPartnerProjectionsResponse) -> Summary {
    let pairs =
        |v: &[ess_proto::observatory::v1::ProjectionCount]| v.iter().map(|c| (c.label.clone(), c.count)).collect();
    (
        p.total,
        pairs(&p.by_kind),
        pairs(&p.by_family),
        pairs(&p.by_departement),
        p.cress_members,
    )
}

/// Four partners: a coop that joins the CRESS, an association that moves to Orne then is
/// archived, a network, and a foundation whose events arrive newest first.
pub fn history() -> (Vec<Ev>, usize) {
    let (a, b, c, d) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let events = vec![
        registered(a, "14", "ess_enterprise", "cooperative", false),
        membership(a, 2, true),
        registered(b, "50", "ess_enterprise", "association", false),
        updated(b, 2, "61", "ess_enterprise", "association", false),
        archived(b, 3),
        registered(c, "14", "network", "association", true),
        // d: newest first; the older ones must not overwrite it.
        updated(d, 3, "61", "ess_enterprise", "fondation", true),
        membership(d, 2, false),
        registered(d, "50", "support_structure", "hors_ess", false),
    ];
    let n = events.len();
    (events, n)
}

fn expected() -> Summary {
    let s = |v: &[(&str, i64)]| v.iter().map(|(l, n)| (l.to_string(), *n)).collect();
    (
        3,
        s(&[("Entreprise de l'ESS", 2), ("Réseau", 1)]),
        s(&[("Associations", 1), ("Coopératives", 1), ("Fondations", 1)]),
        s(&[("Calvados", 2), ("Orne", 1)]),
        3,
    )
}

#[tokio::test]
async fn partners_are_projected_by_kind_family_departement_and_membership_whatever_the_order() {
    let app = spawn_app().await;
    let (events, n) = history();
    publish_all(&app, events).await;
    poll_until(DEADLINE, "every event processed", || async {
        (app.processed().await == n as i64).then_some(())
    })
    .await;
    assert_eq!(summary(&projections(&app).await), expected());
}

#[tokio::test]
async fn rebuilding_every_projection_from_the_stream_gives_exactly_the_live_one() {
    let app = spawn_app().await;
    let (mut events, _) = history();
    events.extend(activity_history());
    let n = events.len();
    publish_all(&app, events).await;
    poll_until(DEADLINE, "every event processed live", || async {
        (app.processed().await == n as i64).then_some(())
    })
    .await;
    let live = projections(&app).await;
    let live_activities = activity_projections(&app).await;
    let live_rows = rows(&app).await;

    let rebuilt = app
        .client
        .clone()
        .rebuild_projections(RebuildProjectionsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rebuilt.consumers, ["observatory-registry", "observatory-activities"]);

    poll_until(DEADLINE, "every event replayed", || async {
        (app.processed().await == n as i64).then_some(())
    })
    .await;
    let again = poll_until(DEADLINE, "the projection rebuilt", || async {
        let p = projections(&app).await;
        (p == live).then_some(p)
    })
    .await;
    assert_eq!(summary(&again), expected());
    assert_eq!(rows(&app).await, live_rows, "row for row, versions included");
    let activities_again = poll_until(DEADLINE, "the activities rebuilt", || async {
        let p = activity_projections(&app).await;
        (p == live_activities).then_some(p)
    })
    .await;
    assert_eq!(activities_again.people_reached, 30);
}

#[tokio::test]
async fn activities_are_projected_by_axis_kind_public_and_people_reached_whatever_the_order() {
    let app = spawn_app().await;
    let events = activity_history();
    let n = events.len() as i64;
    publish_all(&app, events).await;
    poll_until(DEADLINE, "every activity event processed", || async {
        (app.processed().await == n).then_some(())
    })
    .await;
    let p = activity_projections(&app).await;
    assert_eq!(p.activities, 2, "the cancelled one is not counted");
    assert_eq!(
        labelled(&p.by_status),
        [("Annulée", 1), ("Réalisée", 1), ("Programmée", 1)],
        "by status code"
    );
    assert_eq!(
        labelled(&p.by_axis),
        [
            ("Axe 2 — Emploi", 1),
            ("Axe 3 — Développement économique", 1),
            ("Axe 4 — Promotion de l'ESS et de l'entrepreneuriat", 1)
        ]
    );
    assert_eq!(labelled(&p.by_kind), [("Formation", 1), ("Sensibilisation", 1)]);
    assert_eq!(labelled(&p.by_departement), [("Calvados", 1), ("Manche", 1)]);
    assert_eq!(labelled(&p.by_campaign), [("Mois de l'ESS 2026", 1)]);
    assert_eq!(p.people_reached, 30, "the update after completion keeps the counts");
    assert_eq!(
        labelled(&p.people_by_sex),
        [("Femmes", 17), ("Hommes", 12), ("Non renseigné", 1)]
    );
    assert_eq!(labelled(&p.people_by_public), [("Scolaires", 30)]);
}

/// The projection's rows without their timestamps.
type Row = (
    Uuid,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    bool,
    i64,
    i64,
);

async fn rows(app: &TestApp) -> Vec<Row> {
    sqlx::query_as(
        "SELECT partner_id, departement_code, kind, ess_family, archived, cress_member, version, membership_version \
         FROM partner_projection ORDER BY partner_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}
