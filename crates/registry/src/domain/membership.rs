//! CRESS membership (dated periods, a college, the "mandant" flag) and network affiliations
//! (partner X belongs to network Y between two dates).

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Violation, dates::Period};

/// Longest college name, in characters.
pub const COLLEGE_MAX_CHARS: usize = 100;

/// One CRESS membership period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipPeriod {
    pub period: Period,
    pub college: Option<String>,
    /// The member mandates the CRESS to represent it.
    pub mandant: bool,
}

impl MembershipPeriod {
    /// Whether this period is still open.
    pub fn is_open(&self) -> bool {
        self.period.until().is_none()
    }
}

/// A college name: trimmed, at most 100 characters; empty is none.
pub fn parse_college(raw: &str) -> Result<Option<String>, Violation> {
    let c = raw.trim();
    if c.chars().count() > COLLEGE_MAX_CHARS || c.chars().any(char::is_control) {
        return Err(Violation::new("college", "must be at most 100 characters"));
    }
    Ok((!c.is_empty()).then(|| c.to_owned()))
}

/// Closing date of the open period: not before its start.
pub fn close(open: &MembershipPeriod, until: NaiveDate) -> Result<MembershipPeriod, Violation> {
    Ok(MembershipPeriod {
        period: Period::new(open.period.from(), Some(until), "member_until")?,
        ..open.clone()
    })
}

/// Partner X belongs to network Y.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affiliation {
    pub id: Uuid,
    pub network_id: Uuid,
    pub period: Period,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::parse_date;

    #[test]
    fn a_period_cannot_close_before_it_opened() {
        let open = MembershipPeriod {
            period: Period::new(parse_date("f", "2024-03-01").expect("date"), None, "u").expect("open"),
            college: None,
            mandant: true,
        };
        assert!(open.is_open());
        let v = close(&open, parse_date("u", "2024-02-01").expect("date")).expect_err("before");
        assert_eq!(v.field, "member_until");
        assert!(
            !close(&open, parse_date("u", "2025-01-01").expect("date"))
                .expect("ok")
                .is_open()
        );
        assert!(parse_college(&"x".repeat(101)).is_err());
    }
}
