//! Activity, registration and practice events (`activities.<aggregate>.<fact>`). Payloads carry
//! ids, titles, labels and counts: never a registrant's name or email.

use chrono::{DateTime, Utc};
use ess_proto::events::v1::{
    ActivityCancelled, ActivityCompleted, ActivityCreated, ActivityFlagged, ActivityScheduled, ActivitySummary,
    ActivityUpdated, AttendanceCounts, EventMeta, PracticePublished, RegistrationChanged, SessionSummary,
};
use platform::outbox::NewEvent;
use prost::Message;
use uuid::Uuid;

use crate::{
    domain::{
        activity::{Activity, Venue},
        outcome::Counts,
    },
    store::{practices::Practice, registrations::SessionCounts},
};

pub const ACTIVITY_CREATED: &str = "activities.activity.created";
pub const ACTIVITY_UPDATED: &str = "activities.activity.updated";
pub const ACTIVITY_SCHEDULED: &str = "activities.activity.scheduled";
pub const ACTIVITY_CANCELLED: &str = "activities.activity.cancelled";
pub const ACTIVITY_COMPLETED: &str = "activities.activity.completed";
pub const ACTIVITY_FLAGGED: &str = "activities.activity.flagged";
pub const PRACTICE_PUBLISHED: &str = "activities.practice.published";

/// A change to a session's registrations; each is its own subject `activities.registration.<fact>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationFact {
    Registered,
    Waitlisted,
    Cancelled,
    Promoted,
    Attended,
    NoShow,
    Erased,
}

impl RegistrationFact {
    pub fn subject(self) -> &'static str {
        match self {
            Self::Registered => "activities.registration.registered",
            Self::Waitlisted => "activities.registration.waitlisted",
            Self::Cancelled => "activities.registration.cancelled",
            Self::Promoted => "activities.registration.promoted",
            Self::Attended => "activities.registration.attended",
            Self::NoShow => "activities.registration.no_show",
            Self::Erased => "activities.registration.erased",
        }
    }

    fn name(self) -> &'static str {
        self.subject().rsplit('.').next().unwrap_or_default()
    }
}

fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

fn meta(event_id: Uuid, aggregate_id: Uuid, version: i64) -> EventMeta {
    EventMeta {
        event_id: event_id.to_string(),
        occurred_at: Some(timestamp(Utc::now())),
        aggregate_id: aggregate_id.to_string(),
        aggregate_version: version,
    }
}

fn event(
    subject: &'static str,
    type_name: &'static str,
    aggregate: Uuid,
    version: i64,
    payload: Vec<u8>,
    id: Uuid,
) -> NewEvent {
    NewEvent {
        event_id: id,
        subject,
        event_type: type_name,
        aggregate_id: aggregate.to_string(),
        aggregate_version: version,
        payload,
    }
}

pub fn summary(a: &Activity) -> ActivitySummary {
    let f = &a.fields;
    let (online, commune) = match &f.venue {
        Venue::Online => (true, String::new()),
        Venue::Place { commune, .. } => (false, commune.as_str().to_owned()),
    };
    ActivitySummary {
        activity_id: a.id.to_string(),
        title: f.title.clone(),
        kind: f.kind.key().to_owned(),
        axes: f.axes.iter().map(|x| i32::from(x.get())).collect(),
        publics: f.publics.iter().map(|p| p.key().to_owned()).collect(),
        organiser_ids: a.organisers.iter().map(Uuid::to_string).collect(),
        co_organiser_ids: a.co_organisers.iter().map(Uuid::to_string).collect(),
        campaign: f.campaign.clone().unwrap_or_default(),
        online,
        commune_code: commune,
        departement_code: f.venue.departement().unwrap_or_default().to_owned(),
        sessions: a
            .sessions
            .iter()
            .map(|s| SessionSummary {
                session_id: s.id.to_string(),
                start: Some(timestamp(s.start)),
                end: Some(timestamp(s.end)),
                capacity: s.capacity,
            })
            .collect(),
    }
}

pub fn activity_created(a: &Activity) -> NewEvent {
    let id = Uuid::now_v7();
    let payload = ActivityCreated {
        meta: Some(meta(id, a.id, a.version)),
        activity: Some(summary(a)),
    };
    event(
        ACTIVITY_CREATED,
        "ess.events.v1.ActivityCreated",
        a.id,
        a.version,
        payload.encode_to_vec(),
        id,
    )
}

pub fn activity_updated(a: &Activity) -> NewEvent {
    let id = Uuid::now_v7();
    let payload = ActivityUpdated {
        meta: Some(meta(id, a.id, a.version)),
        activity: Some(summary(a)),
    };
    event(
        ACTIVITY_UPDATED,
        "ess.events.v1.ActivityUpdated",
        a.id,
        a.version,
        payload.encode_to_vec(),
        id,
    )
}

pub fn activity_scheduled(a: &Activity) -> NewEvent {
    let id = Uuid::now_v7();
    let payload = ActivityScheduled {
        meta: Some(meta(id, a.id, a.version)),
        activity: Some(summary(a)),
    };
    event(
        ACTIVITY_SCHEDULED,
        "ess.events.v1.ActivityScheduled",
        a.id,
        a.version,
        payload.encode_to_vec(),
        id,
    )
}

pub fn activity_cancelled(a: &Activity) -> NewEvent {
    let id = Uuid::now_v7();
    let payload = ActivityCancelled {
        meta: Some(meta(id, a.id, a.version)),
        activity_id: a.id.to_string(),
    };
    event(
        ACTIVITY_CANCELLED,
        "ess.events.v1.ActivityCancelled",
        a.id,
        a.version,
        payload.encode_to_vec(),
        id,
    )
}

pub fn attendance_counts(c: &Counts) -> AttendanceCounts {
    AttendanceCounts {
        total: c.total,
        female: c.female,
        male: c.male,
        sex_not_given: c.sex_not_given,
        under_26: c.under_26,
        age_26_49: c.age_26_49,
        age_50_and_over: c.age_50_and_over,
        age_not_given: c.age_not_given,
        by_public: c.by_public.iter().map(|(p, n)| (p.key().to_owned(), *n)).collect(),
    }
}

pub fn activity_completed(a: &Activity, outcome: &Counts) -> NewEvent {
    let id = Uuid::now_v7();
    let payload = ActivityCompleted {
        meta: Some(meta(id, a.id, a.version)),
        activity: Some(summary(a)),
        outcome: Some(attendance_counts(outcome)),
    };
    event(
        ACTIVITY_COMPLETED,
        "ess.events.v1.ActivityCompleted",
        a.id,
        a.version,
        payload.encode_to_vec(),
        id,
    )
}

pub fn activity_flagged(activity: Uuid, version: i64, reason: &str, partner: Uuid) -> NewEvent {
    let id = Uuid::now_v7();
    let payload = ActivityFlagged {
        meta: Some(meta(id, activity, version)),
        activity_id: activity.to_string(),
        reason: reason.to_owned(),
        partner_id: partner.to_string(),
    };
    event(
        ACTIVITY_FLAGGED,
        "ess.events.v1.ActivityFlagged",
        activity,
        version,
        payload.encode_to_vec(),
        id,
    )
}

/// A registration change of one session (its own aggregate and version), with the counts after it.
pub struct RegistrationChange<'a> {
    pub fact: RegistrationFact,
    pub activity_id: Uuid,
    pub session_id: Uuid,
    pub session_version: i64,
    pub registration_ids: &'a [Uuid],
    pub capacity: i32,
    pub counts: SessionCounts,
    pub organisation: Option<Uuid>,
}

pub fn registration_changed(c: RegistrationChange<'_>) -> NewEvent {
    let id = Uuid::now_v7();
    let payload = RegistrationChanged {
        meta: Some(meta(id, c.session_id, c.session_version)),
        activity_id: c.activity_id.to_string(),
        session_id: c.session_id.to_string(),
        registration_ids: c.registration_ids.iter().map(Uuid::to_string).collect(),
        change: c.fact.name().to_owned(),
        capacity: c.capacity,
        registered: c.counts.seated,
        waitlisted: c.counts.waitlisted,
        attended: c.counts.attended,
        no_show: c.counts.no_show,
        cancelled: c.counts.cancelled,
        organisation_id: c.organisation.map(|o| o.to_string()).unwrap_or_default(),
    };
    event(
        c.fact.subject(),
        "ess.events.v1.RegistrationChanged",
        c.session_id,
        c.session_version,
        payload.encode_to_vec(),
        id,
    )
}

pub fn practice_published(p: &Practice) -> NewEvent {
    let id = Uuid::now_v7();
    let payload = PracticePublished {
        meta: Some(meta(id, p.id, p.version)),
        practice_id: p.id.to_string(),
        title: p.sheet.title.clone(),
        axis: i32::from(p.sheet.axis.get()),
        activity_ids: p.sheet.activity_ids.iter().map(Uuid::to_string).collect(),
        partner_ids: p.sheet.partner_ids.iter().map(Uuid::to_string).collect(),
        tags: p.sheet.tags.clone(),
    };
    event(
        PRACTICE_PUBLISHED,
        "ess.events.v1.PracticePublished",
        p.id,
        p.version,
        payload.encode_to_vec(),
        id,
    )
}
