//! Projection of `ess.registry.*` events (durable consumer `observatory-registry`).

use ess_proto::events::v1::PartnerRegistered;
use platform::consumer::{Handler, HandlerError, InboundEvent};
use prost::Message as _;
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

/// Applies registry events to the observatory's projections.
pub struct RegistryProjection;

impl Handler for RegistryProjection {
    async fn handle(&self, tx: &mut PgConnection, event: &InboundEvent) -> Result<(), HandlerError> {
        match event.event_type.as_str() {
            PARTNER_REGISTERED => {
                let facts = partner_registered(&event.payload)?;
                partners::upsert(tx, &facts).await?;
                Ok(())
            }
            // Facts this version does not know yet: acknowledged and ignored.
            other => {
                tracing::debug!(event_type = other, "observatory.registry.ignored_event");
                Ok(())
            }
        }
    }
}

/// Decodes and checks a `PartnerRegistered` payload; anything malformed is poison.
fn partner_registered(payload: &[u8]) -> Result<PartnerFacts, HandlerError> {
    let msg = PartnerRegistered::decode(payload)
        .map_err(|e| HandlerError::Poison(format!("undecodable PartnerRegistered: {e}")))?;
    let meta = msg
        .meta
        .ok_or_else(|| HandlerError::Poison("PartnerRegistered without meta".into()))?;
    let partner_id = Uuid::parse_str(&msg.partner_id)
        .map_err(|_| HandlerError::Poison("PartnerRegistered.partner_id is not a UUID".into()))?;
    if !is_departement_code(&msg.departement_code) {
        return Err(HandlerError::Poison(
            "PartnerRegistered.departement_code is malformed".into(),
        ));
    }
    if meta.aggregate_version < 1 {
        return Err(HandlerError::Poison("PartnerRegistered with a version below 1".into()));
    }
    Ok(PartnerFacts {
        partner_id,
        departement_code: msg.departement_code,
        commune_code: Some(msg.commune_code).filter(|c| !c.is_empty()),
        version: meta.aggregate_version,
    })
}

#[cfg(test)]
mod tests {
    use ess_proto::events::v1::EventMeta;

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
        }
        .encode_to_vec();
        let facts = partner_registered(&payload).expect("valid");
        assert_eq!(
            facts,
            PartnerFacts {
                partner_id: id,
                departement_code: "14".into(),
                commune_code: Some("14118".into()),
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
    }
}
