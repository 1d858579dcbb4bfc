//! Object-level access to registrations, after the role check of the access table: staff see and
//! change every registration; a partner registers people of its own organisation only, cancels
//! and lists only registrations whose organisation is its partner id. A partner naming someone
//! else's object gets `PERMISSION_DENIED`, also when the object does not exist, so the answer never
//! says which.

use anyhow::Context as _;
use platform::auth::Principal;
use tonic::{Request, Status};
use uuid::Uuid;

use super::ActivitiesService;
use crate::store::registrations as store;

fn denied() -> Status {
    Status::permission_denied("a partner token gives access to its own organisation's registrations only")
}

/// The partner a request is limited to: `None` for staff and admins.
pub fn scope<T>(request: &Request<T>) -> Result<Option<Uuid>, Status> {
    let who = Principal::of(request)?;
    if who.is_staff() {
        return Ok(None);
    }
    // The access table lets only staff and partners reach the object-checked methods.
    who.partner_id().map(Some).ok_or_else(denied)
}

/// Checks that `raw_id` names `own` (a partner acting for its own organisation).
pub fn same_partner(own: Option<Uuid>, raw_id: &str) -> Result<(), Status> {
    match own {
        None => Ok(()),
        Some(own) if Uuid::parse_str(raw_id.trim()).is_ok_and(|id| id == own) => Ok(()),
        Some(_) => Err(denied()),
    }
}

impl ActivitiesService {
    /// Checks that the registration `raw_id` belongs to `own`'s organisation (staff: always).
    pub(super) async fn own_registration(&self, own: Option<Uuid>, raw_id: &str) -> Result<(), Status> {
        let Some(own) = own else { return Ok(()) };
        let Ok(id) = Uuid::parse_str(raw_id.trim()) else {
            return Err(denied());
        };
        let mut conn = self
            .pool
            .acquire()
            .await
            .context("acquire own_registration")
            .map_err(platform::grpc::internal)?;
        let registration = store::get(&mut conn, id)
            .await
            .context("reading the registration")
            .map_err(platform::grpc::internal)?;
        match registration {
            Some(r) if r.organisation == Some(own) => Ok(()),
            _ => Err(denied()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partner_acts_for_its_own_organisation_only() {
        let own = Uuid::now_v7();
        assert!(same_partner(Some(own), &own.to_string()).is_ok());
        assert!(same_partner(None, "").is_ok());
        assert_eq!(
            same_partner(Some(own), &Uuid::now_v7().to_string()).unwrap_err().code(),
            tonic::Code::PermissionDenied
        );
        assert!(same_partner(Some(own), "").is_err());
    }
}
