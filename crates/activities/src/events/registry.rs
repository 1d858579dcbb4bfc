//! Registry events (durable consumer `activities-registry`): the partner directory follows
//! registrations and renames (organiser names in listings follow), and an archived partner's
//! future activities where it is the only organiser are flagged — never silently cancelled.
//! Other registry event types are ignored.

use ess_proto::events::v1::{PartnerArchived, PartnerRegistered, PartnerUpdated};
use platform::consumer::{Handler, HandlerError, InboundEvent};
use prost::Message as _;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    events::activities::activity_flagged,
    store::{activities, partner_directory},
};

pub const DURABLE: &str = "activities-registry";
pub const FILTER: &str = "registry.>";
pub const PARTNER_REGISTERED: &str = "ess.events.v1.PartnerRegistered";
pub const PARTNER_UPDATED: &str = "ess.events.v1.PartnerUpdated";
pub const PARTNER_ARCHIVED: &str = "ess.events.v1.PartnerArchived";

/// The flag set on an activity whose only organiser was archived.
pub const ORGANISER_ARCHIVED: &str = "organiser_archived";

pub struct PartnerDirectoryProjection;

fn poison(what: &str) -> HandlerError {
    HandlerError::Poison(what.to_owned())
}

fn partner_id(raw: &str, event: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(raw).map_err(|_| poison(&format!("{event}.partner_id is not a UUID")))
}

/// Applies a name at a version (registered or updated), guarded so an older version never wins.
async fn apply_name(
    tx: &mut PgConnection,
    event: &str,
    id: &str,
    name: &str,
    version: Option<i64>,
) -> Result<(), HandlerError> {
    let id = partner_id(id, event)?;
    let version = version.unwrap_or(0);
    if version < 1 || name.trim().is_empty() {
        return Err(poison(&format!("{event} without a version or a name")));
    }
    partner_directory::upsert(tx, id, name, version).await?;
    Ok(())
}

impl Handler for PartnerDirectoryProjection {
    async fn handle(&self, tx: &mut PgConnection, event: &InboundEvent) -> Result<(), HandlerError> {
        match event.event_type.as_str() {
            PARTNER_REGISTERED => {
                let msg = PartnerRegistered::decode(event.payload.as_ref())
                    .map_err(|e| HandlerError::Poison(format!("undecodable PartnerRegistered: {e}")))?;
                let version = msg.meta.map(|m| m.aggregate_version);
                apply_name(tx, "PartnerRegistered", &msg.partner_id, &msg.name, version).await
            }
            PARTNER_UPDATED => {
                let msg = PartnerUpdated::decode(event.payload.as_ref())
                    .map_err(|e| HandlerError::Poison(format!("undecodable PartnerUpdated: {e}")))?;
                let version = msg.meta.map(|m| m.aggregate_version);
                apply_name(tx, "PartnerUpdated", &msg.partner_id, &msg.name, version).await
            }
            PARTNER_ARCHIVED => {
                let msg = PartnerArchived::decode(event.payload.as_ref())
                    .map_err(|e| HandlerError::Poison(format!("undecodable PartnerArchived: {e}")))?;
                let partner = partner_id(&msg.partner_id, "PartnerArchived")?;
                partner_directory::mark_archived(tx, partner).await?;
                let flagged = activities::flag_sole_organiser(tx, partner, ORGANISER_ARCHIVED)
                    .await
                    .map_err(|e| HandlerError::Transient(anyhow::Error::new(e)))?;
                for (activity, version) in flagged {
                    platform::outbox::enqueue(tx, &activity_flagged(activity, version, ORGANISER_ARCHIVED, partner))
                        .await?;
                    tracing::info!(ess.activity.id = %activity, ess.partner.id = %partner, "activities.activity.flagged");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
