//! The activities service's scenarios: registrations at 500/s on one activity (open loop), and the
//! contention case of 200 people registering at once for 20 seats, where exactly 20 must get a seat
//! and 180 the waitlist.

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use ess_proto::{
    activities::v1::{
        ActivityFields, ActivityKind, ActivityTransitionRequest, AgeBand, CreateActivityRequest, NewSession, Public,
        RegisterRequest, RegistrationStatus, Sex, Venue, activities_client::ActivitiesClient,
    },
    registry::v1::partner_registry_client::PartnerRegistryClient,
};
use futures::future::join_all;
use platform::grpc::AuthChannel;
use tokio::time::Instant;
use tonic::transport::Endpoint;

use crate::{
    Args,
    load::{IN_FLIGHT, figures_of, open_loop},
    scenarios::{Row, request},
    services::Environment,
};

/// The rate issue 9 asks for.
const RATE: f64 = 500.0;

fn timestamp(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

/// Creates and schedules an activity with one session of `capacity` seats; returns the session id.
async fn scheduled_session(
    activities: &mut ActivitiesClient<AuthChannel>,
    organiser: &str,
    title: &str,
    capacity: i32,
) -> anyhow::Result<String> {
    let start = chrono::Utc::now() + chrono::Duration::days(30);
    let activity = activities
        .create_activity(CreateActivityRequest {
            activity: Some(ActivityFields {
                title: title.into(),
                kind: ActivityKind::Sensibilisation as i32,
                axes: vec![4],
                publics: vec![Public::Etudiants as i32],
                venue: Some(Venue {
                    commune_code: "14118".into(),
                    address: "Esplanade de la Paix".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            organiser_ids: vec![organiser.to_owned()],
            sessions: vec![NewSession {
                start: Some(timestamp(start)),
                end: Some(timestamp(start + chrono::Duration::hours(2))),
                capacity,
            }],
            ..Default::default()
        })
        .await
        .context("creating the activity")?
        .into_inner()
        .activity
        .context("no activity in the answer")?;
    activities
        .schedule_activity(ActivityTransitionRequest {
            id: activity.id.clone(),
        })
        .await
        .context("scheduling the activity")?;
    activity
        .sessions
        .first()
        .map(|s| s.id.clone())
        .context("the activity has no session")
}

fn person(session_id: &str, i: u64) -> RegisterRequest {
    RegisterRequest {
        session_id: session_id.to_owned(),
        name: format!("Participant de mesure {i}"),
        email: format!("participant{i}@exemple.invalid"),
        public: Public::Etudiants as i32,
        sex: if i.is_multiple_of(2) { Sex::F } else { Sex::H } as i32,
        age_band: AgeBand::Under26 as i32,
        consent: true,
        ..Default::default()
    }
}

pub async fn run(
    args: &Args,
    env: &Environment,
    registry: &PartnerRegistryClient<AuthChannel>,
) -> anyhow::Result<Vec<Row>> {
    let channel = Endpoint::from_shared(env.activities.url.clone())?
        .connect()
        .await
        .context("activities")?;
    let mut activities = ActivitiesClient::new(platform::grpc::with_token(channel, &env.token));
    let organiser = registry
        .clone()
        .create_partner(request(950, 1))
        .await
        .context("creating the organiser")?
        .into_inner()
        .partner
        .context("no partner in the answer")?
        .id;

    // 500/s on one activity, open loop, for the run's duration.
    let capacity = (RATE * args.duration.as_secs_f64() * 2.0) as i32;
    let session = Arc::new(scheduled_session(&mut activities, &organiser, "Mesure du débit", capacity).await?);
    let (c, s) = (activities.clone(), session.clone());
    let platform = open_loop(RATE, args.duration, IN_FLIGHT, move |i| {
        let (mut c, s) = (c.clone(), s.clone());
        async move {
            c.register(person(&s, i)).await?;
            Ok(())
        }
    })
    .await;
    eprintln!(
        "registrations at {RATE}/s: {} /s, p50 {} ms, p99 {} ms, {} errors",
        platform.rate_per_s, platform.p50_ms, platform.p99_ms, platform.errors
    );
    let mut rows = vec![Row {
        scenario: format!("registrations at {RATE}/s on one activity (open loop)"),
        platform_path: "Register (gRPC; the session's requests queued and committed in batches: seat or waitlist under the session lock, registrations + one event each, one commit)"
            .into(),
        ratio_pct: None,
        platform,
        baseline_path: "—".into(),
        baseline: None,
        target: "500/s sustained".into(),
    }];

    // 200 people at once for 20 seats.
    let session = scheduled_session(&mut activities, &organiser, "Mesure de la concurrence", 20).await?;
    let started = Instant::now();
    let calls = (0..200u64).map(|i| {
        let mut c = activities.clone();
        let request = person(&session, 10_000_000 + i);
        async move {
            let t = Instant::now();
            let status = c
                .register(request)
                .await
                .map(|r| r.into_inner().registration.map(|r| r.status).unwrap_or_default());
            (t.elapsed(), status)
        }
    });
    let outcomes = join_all(calls).await;
    let elapsed = started.elapsed();
    let count = |s: RegistrationStatus| {
        outcomes
            .iter()
            .filter(|(_, r)| r.as_ref().is_ok_and(|st| *st == s as i32))
            .count()
    };
    let (registered, waitlisted) = (
        count(RegistrationStatus::Registered),
        count(RegistrationStatus::Waitlisted),
    );
    let failed = outcomes.iter().filter(|(_, r)| r.is_err()).count();
    let latencies: Vec<u64> = outcomes.iter().map(|(d, _)| d.as_micros() as u64).collect();
    let mut contention = figures_of(&latencies, elapsed.max(Duration::from_micros(1)));
    contention.errors = failed as u64;
    eprintln!("200 for 20 seats: {registered} registered, {waitlisted} waitlisted, {failed} failed");
    anyhow::ensure!(
        registered == 20 && waitlisted == 180,
        "capacity broken under contention: {registered} registered, {waitlisted} waitlisted, {failed} failed"
    );
    rows.push(Row {
        scenario: "200 registrations at once for 20 seats".into(),
        platform_path: format!("Register ×200 concurrently: {registered} registered, {waitlisted} waitlisted"),
        ratio_pct: None,
        platform: contention,
        baseline_path: "—".into(),
        baseline: None,
        target: "exactly 20 registered, 180 waitlisted".into(),
    });
    Ok(rows)
}
