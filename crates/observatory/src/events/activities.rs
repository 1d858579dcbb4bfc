//! Projection of `ess.activities.*` events (durable consumer `observatory-activities`): activities
//! by axis, kind, public, département, campaign and status, and the people they reached by sex,
//! age band and public; registration counts per session (and the organisations registrants came
//! from); published practice sheets. Flags are ignored.

use ess_proto::events::v1::{
    ActivityCancelled, ActivityCompleted, ActivityCreated, ActivityScheduled, ActivitySummary, ActivityUpdated,
    AttendanceCounts, EventMeta, PracticePublished, RegistrationChanged,
};
use platform::consumer::{Handler, HandlerError, InboundEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{date_of, occurred_on};
use crate::store::{
    activities::{self, ActivityFacts, Attendance},
    projects::{self, PracticeFacts, SessionCounts},
};

/// Durable consumer name (the stream's only consumer of `activities.>` in this service).
pub const DURABLE: &str = "observatory-activities";
/// Subjects it reads (under the deployment prefix).
pub const FILTER: &str = "activities.>";

pub const ACTIVITY_CREATED: &str = "ess.events.v1.ActivityCreated";
pub const ACTIVITY_UPDATED: &str = "ess.events.v1.ActivityUpdated";
pub const ACTIVITY_SCHEDULED: &str = "ess.events.v1.ActivityScheduled";
pub const ACTIVITY_CANCELLED: &str = "ess.events.v1.ActivityCancelled";
pub const ACTIVITY_COMPLETED: &str = "ess.events.v1.ActivityCompleted";
pub const REGISTRATION_CHANGED: &str = "ess.events.v1.RegistrationChanged";
pub const PRACTICE_PUBLISHED: &str = "ess.events.v1.PracticePublished";

/// Applies activities events to the observatory's projections.
pub struct ActivitiesProjection;

impl Handler for ActivitiesProjection {
    async fn handle(&self, tx: &mut PgConnection, event: &InboundEvent) -> Result<(), HandlerError> {
        let p = &event.payload[..];
        match event.event_type.as_str() {
            ACTIVITY_CREATED => {
                let m = decode::<ActivityCreated>(p, "ActivityCreated")?;
                activities::upsert(
                    tx,
                    &facts("ActivityCreated", m.meta.as_ref(), m.activity.as_ref(), None)?,
                )
                .await?;
            }
            ACTIVITY_UPDATED => {
                // An update changes the description only: status and outcome counts stay.
                let m = decode::<ActivityUpdated>(p, "ActivityUpdated")?;
                let f = facts("ActivityUpdated", m.meta.as_ref(), m.activity.as_ref(), None)?;
                activities::upsert(tx, &ActivityFacts { status: None, ..f }).await?;
            }
            ACTIVITY_SCHEDULED => {
                let m = decode::<ActivityScheduled>(p, "ActivityScheduled")?;
                let f = facts("ActivityScheduled", m.meta.as_ref(), m.activity.as_ref(), None)?;
                activities::upsert(
                    tx,
                    &ActivityFacts {
                        status: Some("scheduled"),
                        ..f
                    },
                )
                .await?;
            }
            ACTIVITY_COMPLETED => {
                let m = decode::<ActivityCompleted>(p, "ActivityCompleted")?;
                let outcome = m.outcome.as_ref().map(attendance);
                let f = facts("ActivityCompleted", m.meta.as_ref(), m.activity.as_ref(), outcome)?;
                activities::upsert(
                    tx,
                    &ActivityFacts {
                        status: Some("completed"),
                        ..f
                    },
                )
                .await?;
            }
            ACTIVITY_CANCELLED => {
                let m = decode::<ActivityCancelled>(p, "ActivityCancelled")?;
                let version = version(m.meta.as_ref(), "ActivityCancelled")?;
                let id = Uuid::parse_str(&m.activity_id)
                    .map_err(|_| HandlerError::Poison("ActivityCancelled.activity_id is not a UUID".into()))?;
                activities::cancel(tx, id, version).await?;
            }
            REGISTRATION_CHANGED => {
                let m = decode::<RegistrationChanged>(p, "RegistrationChanged")?;
                let uuid = |raw: &str, field: &str| {
                    Uuid::parse_str(raw)
                        .map_err(|_| HandlerError::Poison(format!("RegistrationChanged.{field} is not a UUID")))
                };
                let counts = SessionCounts {
                    session_id: uuid(&m.session_id, "session_id")?,
                    activity_id: uuid(&m.activity_id, "activity_id")?,
                    version: version(m.meta.as_ref(), "RegistrationChanged")?,
                    capacity: m.capacity,
                    registered: m.registered,
                    waitlisted: m.waitlisted,
                    attended: m.attended,
                    no_show: m.no_show,
                    cancelled: m.cancelled,
                    organisation_id: Some(m.organisation_id).filter(|o| !o.is_empty()),
                };
                projects::set_session_counts(tx, &counts).await?;
            }
            PRACTICE_PUBLISHED => {
                let m = decode::<PracticePublished>(p, "PracticePublished")?;
                let practice = PracticeFacts {
                    practice_id: Uuid::parse_str(&m.practice_id)
                        .map_err(|_| HandlerError::Poison("PracticePublished.practice_id is not a UUID".into()))?,
                    version: version(m.meta.as_ref(), "PracticePublished")?,
                    published_on: occurred_on(m.meta.as_ref())
                        .ok_or_else(|| HandlerError::Poison("PracticePublished without occurred_at".into()))?,
                    title: m.title,
                    axis: (1..=5).contains(&m.axis).then_some(m.axis),
                    partner_ids: m.partner_ids,
                };
                projects::upsert_practice(tx, &practice).await?;
            }
            other => tracing::debug!(event_type = other, "observatory.activities.ignored_event"),
        }
        Ok(())
    }
}

fn decode<M: prost::Message + Default>(payload: &[u8], name: &str) -> Result<M, HandlerError> {
    M::decode(payload).map_err(|e| HandlerError::Poison(format!("undecodable {name}: {e}")))
}

fn version(meta: Option<&EventMeta>, name: &str) -> Result<i64, HandlerError> {
    let meta = meta.ok_or_else(|| HandlerError::Poison(format!("{name} without meta")))?;
    if meta.aggregate_version < 1 {
        return Err(HandlerError::Poison(format!("{name} with a version below 1")));
    }
    Ok(meta.aggregate_version)
}

fn attendance(c: &AttendanceCounts) -> Attendance {
    let mut by_public: Vec<(String, i32)> = c.by_public.iter().map(|(k, v)| (k.clone(), (*v).max(0))).collect();
    by_public.sort();
    Attendance {
        total: c.total.max(0),
        female: c.female.max(0),
        male: c.male.max(0),
        sex_not_given: c.sex_not_given.max(0),
        under_26: c.under_26.max(0),
        age_26_49: c.age_26_49.max(0),
        age_50_and_over: c.age_50_and_over.max(0),
        age_not_given: c.age_not_given.max(0),
        by_public,
    }
}

/// The facts of an event carrying an `ActivitySummary`, with status "draft" (the caller sets the
/// status its event type means).
fn facts(
    name: &str,
    meta: Option<&EventMeta>,
    summary: Option<&ActivitySummary>,
    attendance: Option<Attendance>,
) -> Result<ActivityFacts, HandlerError> {
    let version = version(meta, name)?;
    let a = summary.ok_or_else(|| HandlerError::Poison(format!("{name} without activity")))?;
    let activity_id = Uuid::parse_str(&a.activity_id)
        .map_err(|_| HandlerError::Poison(format!("{name}.activity.activity_id is not a UUID")))?;
    let text = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    Ok(ActivityFacts {
        activity_id,
        version,
        status: Some("draft"),
        kind: text(&a.kind),
        axes: a.axes.clone(),
        publics: a.publics.clone(),
        campaign: text(&a.campaign),
        departement_code: text(&a.departement_code),
        starts_on: a
            .sessions
            .iter()
            .filter_map(|s| s.start.as_ref().and_then(date_of))
            .min(),
        partner_ids: a
            .organiser_ids
            .iter()
            .chain(&a.co_organiser_ids)
            .filter(|p| !p.is_empty())
            .cloned()
            .collect(),
        attendance,
    })
}
