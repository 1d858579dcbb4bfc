//! Object-level access to partner records, after the role check of the access table: staff see
//! every partner; a partner only its own record (and its contacts); the `service` role (the
//! activities service) looks a partner up without its contacts. A partner naming another partner
//! gets `PERMISSION_DENIED` before anything is read, so the answer never says whether it exists.

use platform::auth::{Access, Principal};
use tonic::{Request, Status};
use uuid::Uuid;

/// What the caller may see of the partner it named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The whole record, contacts included.
    Full,
    /// The record without contact persons (personal data).
    WithoutContacts,
}

/// Checks that the caller of `request` may read or change the partner `raw_id` names.
pub fn partner<T>(request: &Request<T>, raw_id: &str) -> Result<View, Status> {
    decide(&Principal::of(request)?, raw_id)
}

fn decide(who: &Principal, raw_id: &str) -> Result<View, Status> {
    match who.access() {
        Access::Admin | Access::Staff => Ok(View::Full),
        Access::Service => Ok(View::WithoutContacts),
        Access::Partner(own) if Uuid::parse_str(raw_id.trim()).is_ok_and(|id| id == own) => Ok(View::Full),
        Access::Partner(_) | Access::Public => Err(Status::permission_denied(
            "a partner token gives access to its own partner record only",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partner_reaches_its_own_record_only() {
        let own = Uuid::now_v7();
        let who = Principal::new("p", Access::Partner(own));
        assert_eq!(decide(&who, &own.to_string()).ok(), Some(View::Full));
        assert_eq!(decide(&who, &format!(" {own} ")).ok(), Some(View::Full));
        let other = decide(&who, &Uuid::now_v7().to_string()).unwrap_err();
        assert_eq!(other.code(), tonic::Code::PermissionDenied);
        assert_eq!(
            decide(&who, "not-a-uuid").unwrap_err().code(),
            tonic::Code::PermissionDenied
        );
    }

    #[test]
    fn staff_see_everything_and_services_see_no_contacts() {
        let id = Uuid::now_v7().to_string();
        assert_eq!(decide(&Principal::new("s", Access::Staff), &id).ok(), Some(View::Full));
        assert_eq!(decide(&Principal::new("a", Access::Admin), &id).ok(), Some(View::Full));
        assert_eq!(
            decide(&Principal::new("x", Access::Service), &id).ok(),
            Some(View::WithoutContacts)
        );
        assert!(decide(&Principal::new("u", Access::Public), &id).is_err());
    }
}
