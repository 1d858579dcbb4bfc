//! Projection of `ess.registry.*` events (durable consumer `observatory-registry`): partners by
//! kind, ESS family, département and CRESS membership. Unknown event types are acknowledged and
//! ignored; a malformed payload is poison (dead-lettered at once).

use ess_proto::events::v1::{EventMeta, MembershipChanged, PartnerArchived, PartnerRegistered, PartnerUpdated};
use platform::consumer::{Handler, HandlerError, InboundEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    domain::territory::is_departement_code,
    store::partners::{self, PartnerFacts},
};

/// Durable consumer name; also the key in `processed_events` and the dead-letter subject's tail.
pub const DURABLE: &str = "observatory-registry";
/// Subjects it reads (under the deployment prefix).
pub const FILTER: &str = "registry.>";

pub const PARTNER_REGISTERED: &str = "ess.events.v1.PartnerRegistered";
pub const PARTNER_UPDATED: &str = "ess.events.v1.PartnerUpdated";
pub const PARTNER_ARCHIVED: &str = "ess.events.v1.PartnerArchived";
pub const MEMBERSHIP_CHANGED: &str = "ess.events.v1.MembershipChanged";

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
            // Facts this version does not know yet: acknowledged and ignored.
            other => {
                tracing::debug!(event_type = other, "observatory.registry.ignored_event");
            }
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
