//! Partner events (`registry.partner.*`).

use ess_proto::events::v1::{EventMeta, PartnerRegistered};
use platform::outbox::NewEvent;
use prost::Message as _;
use uuid::Uuid;

use crate::domain::partner::Partner;

pub const PARTNER_REGISTERED_SUBJECT: &str = "registry.partner.registered";
pub const PARTNER_REGISTERED_TYPE: &str = "ess.events.v1.PartnerRegistered";

pub fn partner_registered(partner: &Partner) -> NewEvent {
    let event_id = Uuid::now_v7();
    let aggregate_id = partner.id.0.to_string();
    let payload = PartnerRegistered {
        meta: Some(meta(event_id, &aggregate_id, partner.version, partner.created_at)),
        partner_id: aggregate_id.clone(),
        name: partner.name.as_str().to_owned(),
        commune_code: partner.location.commune().map(|c| c.code.clone()).unwrap_or_default(),
        departement_code: partner.location.departement().as_str().to_owned(),
    };
    NewEvent {
        event_id,
        subject: PARTNER_REGISTERED_SUBJECT,
        event_type: PARTNER_REGISTERED_TYPE,
        aggregate_id,
        aggregate_version: partner.version,
        payload: payload.encode_to_vec(),
    }
}

fn meta(event_id: Uuid, aggregate_id: &str, version: i64, at: chrono::DateTime<chrono::Utc>) -> EventMeta {
    EventMeta {
        event_id: event_id.to_string(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: at.timestamp(),
            nanos: at.timestamp_subsec_nanos() as i32,
        }),
        aggregate_id: aggregate_id.to_owned(),
        aggregate_version: version,
    }
}
