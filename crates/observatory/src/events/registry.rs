//! Projection of `ess.registry.*` events (durable consumer `observatory-registry`): partners by
//! kind, ESS family, département and CRESS membership; PTCEs and their members; initiatives and
//! their dated stage history. Unknown event types are acknowledged and
//! ignored; a malformed payload is poison (dead-lettered at once).

use ess_proto::events::v1::{
    EventMeta, InitiativeCreated, InitiativeStageChanged, MembershipChanged, PartnerArchived, PartnerRegistered,
    PartnerUpdated, PtceCreated, PtceMemberJoined, PtceMemberLeft, PtceStatusChanged,
};
use platform::consumer::{Handler, HandlerError, InboundEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{occurred_on, text_date};
use crate::{
    domain::territory::is_departement_code,
    store::{
        partners::{self, PartnerFacts},
        projects::{self, InitiativeFacts, PtceFacts},
    },
};

/// Durable consumer name; also the key in `processed_events` and the dead-letter subject's tail.
pub const DURABLE: &str = "observatory-registry";
/// Subjects it reads (under the deployment prefix).
pub const FILTER: &str = "registry.>";

pub const PARTNER_REGISTERED: &str = "ess.events.v1.PartnerRegistered";
pub const PARTNER_UPDATED: &str = "ess.events.v1.PartnerUpdated";
pub const PARTNER_ARCHIVED: &str = "ess.events.v1.PartnerArchived";
pub const MEMBERSHIP_CHANGED: &str = "ess.events.v1.MembershipChanged";
pub const PTCE_CREATED: &str = "ess.events.v1.PtceCreated";
pub const PTCE_MEMBER_JOINED: &str = "ess.events.v1.PtceMemberJoined";
pub const PTCE_MEMBER_LEFT: &str = "ess.events.v1.PtceMemberLeft";
pub const PTCE_STATUS_CHANGED: &str = "ess.events.v1.PtceStatusChanged";
pub const INITIATIVE_CREATED: &str = "ess.events.v1.InitiativeCreated";
pub const INITIATIVE_STAGE_CHANGED: &str = "ess.events.v1.InitiativeStageChanged";

/// Applies registry events to the observatory's projections.
pub struct RegistryProjection;

impl Handler for RegistryProjection {
    async fn handle(&self, tx: &mut PgConnection, event: &InboundEvent) -> Result<(), HandlerError> {
        match event.event_type.as_str() {
            PARTNER_REGISTERED => {
                partners::upsert(tx, &partner_registered(&event.payload)?).await?;
            }
            PARTNER_UPDATED => {
                partners::upsert(tx, &partner_updated(&event.payload)?).await?;
            }
            PARTNER_ARCHIVED => {
                let msg = decode::<PartnerArchived>(&event.payload, "PartnerArchived")?;
                let version = version(msg.meta.as_ref(), "PartnerArchived")?;
                partners::archive(tx, uuid(&msg.partner_id, "PartnerArchived")?, version).await?;
            }
            MEMBERSHIP_CHANGED => {
                let msg = decode::<MembershipChanged>(&event.payload, "MembershipChanged")?;
                let version = version(msg.meta.as_ref(), "MembershipChanged")?;
                let id = uuid(&msg.partner_id, "MembershipChanged")?;
                partners::set_membership(tx, id, msg.cress_member, version).await?;
            }
            PTCE_CREATED
            | PTCE_MEMBER_JOINED
            | PTCE_MEMBER_LEFT
            | PTCE_STATUS_CHANGED
            | INITIATIVE_CREATED
            | INITIATIVE_STAGE_CHANGED => project(tx, event).await?,
            // Facts this version does not know yet: acknowledged and ignored.
            other => {
                tracing::debug!(event_type = other, "observatory.registry.ignored_event");
            }
        }
        Ok(())
    }
}

/// PTCE and initiative events.
async fn project(tx: &mut PgConnection, event: &InboundEvent) -> Result<(), HandlerError> {
    let p = &event.payload[..];
    let id = |raw: &str, name: &str| {
        Uuid::parse_str(raw).map_err(|_| HandlerError::Poison(format!("{name} carries an id that is not a UUID")))
    };
    match event.event_type.as_str() {
        PTCE_CREATED => {
            let m = decode::<PtceCreated>(p, "PtceCreated")?;
            let f = PtceFacts {
                ptce_id: id(&m.ptce_id, "PtceCreated")?,
                version: version(m.meta.as_ref(), "PtceCreated")?,
                created_on: occurred_on(m.meta.as_ref()),
                name: m.name,
                territory: m.territory,
                status: m.status,
            };
            projects::upsert_ptce(tx, &f).await?;
        }
        PTCE_STATUS_CHANGED => {
            let m = decode::<PtceStatusChanged>(p, "PtceStatusChanged")?;
            let v = version(m.meta.as_ref(), "PtceStatusChanged")?;
            projects::set_ptce_status(tx, id(&m.ptce_id, "PtceStatusChanged")?, &m.status, v).await?;
        }
        PTCE_MEMBER_JOINED => {
            let m = decode::<PtceMemberJoined>(p, "PtceMemberJoined")?;
            let v = version(m.meta.as_ref(), "PtceMemberJoined")?;
            let on = text_date(&m.joined_on, "PtceMemberJoined.joined_on")?.or(occurred_on(m.meta.as_ref()));
            let ptce = id(&m.ptce_id, "PtceMemberJoined")?;
            projects::set_ptce_member(tx, ptce, &m.partner_id, v, on, None).await?;
        }
        PTCE_MEMBER_LEFT => {
            let m = decode::<PtceMemberLeft>(p, "PtceMemberLeft")?;
            let v = version(m.meta.as_ref(), "PtceMemberLeft")?;
            let on = text_date(&m.left_on, "PtceMemberLeft.left_on")?
                .or(occurred_on(m.meta.as_ref()))
                .ok_or_else(|| HandlerError::Poison("PtceMemberLeft without a date".into()))?;
            let ptce = id(&m.ptce_id, "PtceMemberLeft")?;
            projects::set_ptce_member(tx, ptce, &m.partner_id, v, None, Some(on)).await?;
        }
        INITIATIVE_CREATED => {
            let m = decode::<InitiativeCreated>(p, "InitiativeCreated")?;
            let f = InitiativeFacts {
                initiative_id: id(&m.initiative_id, "InitiativeCreated")?,
                version: version(m.meta.as_ref(), "InitiativeCreated")?,
                since: text_date(&m.since, "InitiativeCreated.since")?,
                created_on: occurred_on(m.meta.as_ref()),
                kind: m.kind,
                territory: m.territory,
                stage: m.stage,
            };
            projects::upsert_initiative(tx, &f).await?;
        }
        INITIATIVE_STAGE_CHANGED => {
            let m = decode::<InitiativeStageChanged>(p, "InitiativeStageChanged")?;
            let v = version(m.meta.as_ref(), "InitiativeStageChanged")?;
            let on = text_date(&m.on, "InitiativeStageChanged.on")?
                .or(occurred_on(m.meta.as_ref()))
                .ok_or_else(|| HandlerError::Poison("InitiativeStageChanged without a date".into()))?;
            let initiative = id(&m.initiative_id, "InitiativeStageChanged")?;
            projects::change_initiative_stage(tx, initiative, v, &m.from_stage, &m.to_stage, on).await?;
        }
        _ => {}
    }
    Ok(())
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

fn uuid(raw: &str, name: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(raw).map_err(|_| HandlerError::Poison(format!("{name}.partner_id is not a UUID")))
}

/// The shared shape of `PartnerRegistered` and `PartnerUpdated` (whole state after the change).
struct PartnerState<'a> {
    name: &'static str,
    meta: Option<&'a EventMeta>,
    partner_id: &'a str,
    commune_code: &'a str,
    departement_code: &'a str,
    facts: Option<&'a ess_proto::events::v1::PartnerFacts>,
}

fn facts(s: PartnerState<'_>) -> Result<PartnerFacts, HandlerError> {
    let version = version(s.meta, s.name)?;
    let partner_id = uuid(s.partner_id, s.name)?;
    if !is_departement_code(s.departement_code) {
        return Err(HandlerError::Poison(format!(
            "{}.departement_code is malformed",
            s.name
        )));
    }
    let text = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    Ok(PartnerFacts {
        partner_id,
        departement_code: s.departement_code.to_owned(),
        commune_code: text(s.commune_code),
        kind: s.facts.and_then(|f| text(&f.kind)),
        ess_family: s.facts.and_then(|f| text(&f.ess_family)),
        cress_member: s.facts.map(|f| f.cress_member),
        archived: s.facts.is_some_and(|f| f.status == "archived"),
        version,
    })
}

/// Decodes and checks a `PartnerRegistered` payload; anything malformed is poison.
fn partner_registered(payload: &[u8]) -> Result<PartnerFacts, HandlerError> {
    let msg = decode::<PartnerRegistered>(payload, "PartnerRegistered")?;
    facts(PartnerState {
        name: "PartnerRegistered",
        meta: msg.meta.as_ref(),
        partner_id: &msg.partner_id,
        commune_code: &msg.commune_code,
        departement_code: &msg.departement_code,
        facts: msg.facts.as_ref(),
    })
}

/// Decodes and checks a `PartnerUpdated` payload.
fn partner_updated(payload: &[u8]) -> Result<PartnerFacts, HandlerError> {
    let msg = decode::<PartnerUpdated>(payload, "PartnerUpdated")?;
    facts(PartnerState {
        name: "PartnerUpdated",
        meta: msg.meta.as_ref(),
        partner_id: &msg.partner_id,
        commune_code: &msg.commune_code,
        departement_code: &msg.departement_code,
        facts: msg.facts.as_ref(),
    })
}

#[cfg(test)]
mod tests {
    use ess_proto::events::v1::EventMeta;
    use prost::Message as _;

    use super::*;

    #[test]
    fn a_well_formed_payload_becomes_facts() {
        let id = Uuid::now_v7();
        let payload = PartnerRegistered {
            meta: Some(EventMeta {
                event_id: Uuid::now_v7().to_string(),
                occurred_at: None,
                aggregate_id: id.to_string(),
                aggregate_version: 1,
            }),
            partner_id: id.to_string(),
            name: "Coop".into(),
            commune_code: "14118".into(),
            departement_code: "14".into(),
            facts: Some(ess_proto::events::v1::PartnerFacts {
                kind: "ess_enterprise".into(),
                ess_family: "cooperative".into(),
                cress_member: true,
                status: "active".into(),
                ..Default::default()
            }),
        }
        .encode_to_vec();
        let facts = partner_registered(&payload).expect("valid");
        assert_eq!(
            facts,
            PartnerFacts {
                partner_id: id,
                departement_code: "14".into(),
                commune_code: Some("14118".into()),
                kind: Some("ess_enterprise".into()),
                ess_family: Some("cooperative".into()),
                cress_member: Some(true),
                archived: false,
                version: 1
            }
        );
    }

    #[test]
    fn garbage_is_poison_not_a_retry() {
        assert!(matches!(
            partner_registered(b"\xff\xff\xff not protobuf"),
            Err(HandlerError::Poison(_))
        ));
        assert!(matches!(partner_registered(&[]), Err(HandlerError::Poison(_))));
        assert!(matches!(partner_updated(&[]), Err(HandlerError::Poison(_))));
    }
}
