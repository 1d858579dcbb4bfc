//! What the resource centre publishes: `observatory.resource.published`, written to the outbox in
//! the transaction that stores the resource. Ids and codes only (no authors' names).

use chrono::{DateTime, Utc};
use ess_proto::events::v1::{EventMeta, ResourcePublished};
use platform::outbox::NewEvent;
use prost::Message as _;
use uuid::Uuid;

use super::domain::{NewResource, level_code};
use crate::grpc::timestamp;

pub const RESOURCE_PUBLISHED_SUBJECT: &str = "observatory.resource.published";
pub const RESOURCE_PUBLISHED_TYPE: &str = "ess.events.v1.ResourcePublished";

/// The event of a resource published at `at` (a resource is never changed: version 1).
pub fn resource_published(id: Uuid, r: &NewResource, size_bytes: i64, at: DateTime<Utc>) -> NewEvent {
    let event_id = Uuid::now_v7();
    let payload = ResourcePublished {
        meta: Some(EventMeta {
            event_id: event_id.to_string(),
            occurred_at: Some(timestamp(at)),
            aggregate_id: id.to_string(),
            aggregate_version: 1,
        }),
        resource_id: id.to_string(),
        kind: r.kind.code().to_owned(),
        axis: i32::from(r.axis.get()),
        themes: r.themes.clone(),
        territory_level: level_code(r.territory.level()).to_owned(),
        territory_code: r.territory.code().to_owned(),
        content_type: r.content_type.mime().to_owned(),
        size_bytes,
        signing_partner_ids: r.signing_partner_ids.iter().map(Uuid::to_string).collect(),
    };
    NewEvent {
        event_id,
        subject: RESOURCE_PUBLISHED_SUBJECT,
        event_type: RESOURCE_PUBLISHED_TYPE,
        aggregate_id: id.to_string(),
        aggregate_version: 1,
        payload: payload.encode_to_vec(),
    }
}
