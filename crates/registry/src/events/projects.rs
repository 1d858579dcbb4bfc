//! PTCE and initiative events (`registry.ptce.*`, `registry.initiative.*`). The aggregate is the
//! PTCE or the initiative, with its version after the change. Free-text notes are not published.

use chrono::Utc;
use ess_proto::events::v1::{
    EventMeta, InitiativeCreated, InitiativeStageChanged, PtceCreated, PtceMemberJoined, PtceMemberLeft,
    PtceStatusChanged,
};
use platform::outbox::NewEvent;
use prost::Message;
use uuid::Uuid;

use crate::domain::{
    dates::format_date,
    initiative::{Initiative, Stage},
    ptce::{Ptce, PtceMember},
};

pub const PTCE_CREATED: (&str, &str) = ("registry.ptce.created", "ess.events.v1.PtceCreated");
pub const PTCE_MEMBER_JOINED: (&str, &str) = ("registry.ptce.member_joined", "ess.events.v1.PtceMemberJoined");
pub const PTCE_MEMBER_LEFT: (&str, &str) = ("registry.ptce.member_left", "ess.events.v1.PtceMemberLeft");
pub const PTCE_STATUS_CHANGED: (&str, &str) = ("registry.ptce.status_changed", "ess.events.v1.PtceStatusChanged");
pub const INITIATIVE_CREATED: (&str, &str) = ("registry.initiative.created", "ess.events.v1.InitiativeCreated");
pub const INITIATIVE_STAGE_CHANGED: (&str, &str) = (
    "registry.initiative.stage_changed",
    "ess.events.v1.InitiativeStageChanged",
);

fn build(
    (subject, event_type): (&'static str, &'static str),
    aggregate: Uuid,
    version: i64,
    payload: impl FnOnce(EventMeta) -> Vec<u8>,
) -> NewEvent {
    let event_id = Uuid::now_v7();
    let now = Utc::now();
    let meta = EventMeta {
        event_id: event_id.to_string(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: now.timestamp(),
            nanos: now.timestamp_subsec_nanos() as i32,
        }),
        aggregate_id: aggregate.to_string(),
        aggregate_version: version,
    };
    NewEvent {
        event_id,
        subject,
        event_type,
        aggregate_id: aggregate.to_string(),
        aggregate_version: version,
        payload: payload(meta),
    }
}

pub fn ptce_created(p: &Ptce) -> NewEvent {
    build(PTCE_CREATED, p.id, p.version, |meta| {
        PtceCreated {
            meta: Some(meta),
            ptce_id: p.id.to_string(),
            name: p.name.as_str().to_owned(),
            territory: p.territory.clone(),
            lead_partner_id: p.lead_partner_id.to_string(),
            themes: p.themes.clone(),
            status: p.status.key().to_owned(),
        }
        .encode_to_vec()
    })
}

pub fn ptce_member_joined(p: &Ptce, m: &PtceMember) -> NewEvent {
    build(PTCE_MEMBER_JOINED, p.id, p.version, |meta| {
        PtceMemberJoined {
            meta: Some(meta),
            ptce_id: p.id.to_string(),
            partner_id: m.partner_id.to_string(),
            joined_on: format_date(m.period.from()),
        }
        .encode_to_vec()
    })
}

pub fn ptce_member_left(p: &Ptce, m: &PtceMember) -> NewEvent {
    build(PTCE_MEMBER_LEFT, p.id, p.version, |meta| {
        PtceMemberLeft {
            meta: Some(meta),
            ptce_id: p.id.to_string(),
            partner_id: m.partner_id.to_string(),
            left_on: m.period.until().map(format_date).unwrap_or_default(),
        }
        .encode_to_vec()
    })
}

pub fn ptce_status_changed(p: &Ptce) -> NewEvent {
    build(PTCE_STATUS_CHANGED, p.id, p.version, |meta| {
        PtceStatusChanged {
            meta: Some(meta),
            ptce_id: p.id.to_string(),
            status: p.status.key().to_owned(),
        }
        .encode_to_vec()
    })
}

pub fn initiative_created(i: &Initiative) -> NewEvent {
    build(INITIATIVE_CREATED, i.id, i.version, |meta| {
        InitiativeCreated {
            meta: Some(meta),
            initiative_id: i.id.to_string(),
            kind: i.kind.key().to_owned(),
            holder_id: i.holder_id.to_string(),
            territory: i.territory.clone(),
            stage: i.stage().key().to_owned(),
            since: i.history.last().map(|c| format_date(c.on)).unwrap_or_default(),
            support_partner_ids: i.supports.iter().map(Uuid::to_string).collect(),
        }
        .encode_to_vec()
    })
}

pub fn initiative_stage_changed(i: &Initiative, from: Stage) -> NewEvent {
    build(INITIATIVE_STAGE_CHANGED, i.id, i.version, |meta| {
        InitiativeStageChanged {
            meta: Some(meta),
            initiative_id: i.id.to_string(),
            from_stage: from.key().to_owned(),
            to_stage: i.stage().key().to_owned(),
            on: i.history.last().map(|c| format_date(c.on)).unwrap_or_default(),
        }
        .encode_to_vec()
    })
}
