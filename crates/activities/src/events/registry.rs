//! Registry events kept in the partner directory (durable consumer `activities-registry`).

use ess_proto::events::v1::PartnerRegistered;
use platform::consumer::{Handler, HandlerError, InboundEvent};
use prost::Message as _;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::partner_directory;

pub const DURABLE: &str = "activities-registry";
pub const FILTER: &str = "registry.>";
pub const PARTNER_REGISTERED: &str = "ess.events.v1.PartnerRegistered";

pub struct PartnerDirectoryProjection;

impl Handler for PartnerDirectoryProjection {
    async fn handle(&self, tx: &mut PgConnection, event: &InboundEvent) -> Result<(), HandlerError> {
        if event.event_type != PARTNER_REGISTERED {
            return Ok(());
        }
        let msg = PartnerRegistered::decode(event.payload.as_ref())
            .map_err(|e| HandlerError::Poison(format!("undecodable PartnerRegistered: {e}")))?;
        let version = msg.meta.map(|m| m.aggregate_version).unwrap_or(0);
        let id = Uuid::parse_str(&msg.partner_id)
            .map_err(|_| HandlerError::Poison("PartnerRegistered.partner_id is not a UUID".into()))?;
        if version < 1 || msg.name.trim().is_empty() {
            return Err(HandlerError::Poison(
                "PartnerRegistered without a version or a name".into(),
            ));
        }
        partner_directory::upsert(tx, id, &msg.name, version).await?;
        Ok(())
    }
}
