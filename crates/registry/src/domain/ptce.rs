//! PTCEs (pôles territoriaux de coopération économique): a name, a territory, a lead partner,
//! member partners with join and leave dates, themes and a status.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Violation, dates::Period, partner::PartnerName};

/// Where a PTCE is in its life. Closed is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtceStatus {
    Emerging,
    Active,
    Closed,
}

impl PtceStatus {
    pub fn key(self) -> &'static str {
        match self {
            PtceStatus::Emerging => "emerging",
            PtceStatus::Active => "active",
            PtceStatus::Closed => "closed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [PtceStatus::Emerging, PtceStatus::Active, PtceStatus::Closed]
            .into_iter()
            .find(|s| s.key() == key)
    }
}

/// One membership of a partner in a PTCE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtceMember {
    pub partner_id: Uuid,
    pub period: Period,
}

/// A PTCE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ptce {
    pub id: Uuid,
    pub name: PartnerName,
    pub territory: String,
    pub lead_partner_id: Uuid,
    pub themes: Vec<String>,
    pub status: PtceStatus,
    pub members: Vec<PtceMember>,
    pub version: i64,
}

/// Why a PTCE change is refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PtceRefused {
    Stale { current: i64 },
    Closed,
    AlreadyMember,
    NotMember,
    Invalid(Violation),
}

impl Ptce {
    fn check(&self, expected_version: i64) -> Result<(), PtceRefused> {
        if self.status == PtceStatus::Closed {
            return Err(PtceRefused::Closed);
        }
        if self.version != expected_version {
            return Err(PtceRefused::Stale { current: self.version });
        }
        Ok(())
    }

    fn current(&self, partner: Uuid) -> Option<&PtceMember> {
        self.members
            .iter()
            .find(|m| m.partner_id == partner && m.period.until().is_none())
    }

    /// A partner joins; it must not be a current member, nor join before it last left.
    pub fn join(&self, expected_version: i64, partner: Uuid, on: NaiveDate) -> Result<PtceMember, PtceRefused> {
        self.check(expected_version)?;
        if self.current(partner).is_some() {
            return Err(PtceRefused::AlreadyMember);
        }
        let overlaps = self
            .members
            .iter()
            .any(|m| m.partner_id == partner && m.period.until().is_some_and(|u| on <= u));
        if overlaps {
            return Err(PtceRefused::Invalid(Violation::new(
                "joined_on",
                "must be after the partner last left",
            )));
        }
        Ok(PtceMember {
            partner_id: partner,
            period: Period::new(on, None, "left_on").map_err(PtceRefused::Invalid)?,
        })
    }

    /// A current member leaves, not before it joined.
    pub fn leave(&self, expected_version: i64, partner: Uuid, on: NaiveDate) -> Result<PtceMember, PtceRefused> {
        self.check(expected_version)?;
        let current = self.current(partner).ok_or(PtceRefused::NotMember)?;
        Ok(PtceMember {
            partner_id: partner,
            period: Period::new(current.period.from(), Some(on), "left_on").map_err(PtceRefused::Invalid)?,
        })
    }

    /// Whether the status may change: closed PTCEs stay closed.
    pub fn can_change_status(&self, expected_version: i64) -> Result<(), PtceRefused> {
        self.check(expected_version)
    }
}

/// A territory in words: 1 to 200 characters.
pub fn parse_territory(raw: &str) -> Result<String, Violation> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(Violation::new("territory", "must be 1 to 200 characters"));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::parse_date;

    fn ptce() -> Ptce {
        Ptce {
            id: Uuid::now_v7(),
            name: PartnerName::parse("PTCE du Bocage").expect("name"),
            territory: "Bocage".into(),
            lead_partner_id: Uuid::now_v7(),
            themes: vec![],
            status: PtceStatus::Active,
            members: vec![],
            version: 1,
        }
    }

    #[test]
    fn members_join_once_and_leave_after_joining() {
        let d = |s| parse_date("d", s).expect("date");
        let mut p = ptce();
        let partner = Uuid::now_v7();
        let m = p.join(1, partner, d("2024-01-01")).expect("joins");
        p.members.push(m);
        assert_eq!(p.join(1, partner, d("2024-02-01")), Err(PtceRefused::AlreadyMember));
        assert!(matches!(p.leave(1, partner, d("2023-12-31")), Err(PtceRefused::Invalid(v)) if v.field == "left_on"));
        assert!(p.leave(1, partner, d("2024-12-31")).is_ok());
        assert_eq!(p.leave(1, Uuid::now_v7(), d("2024-12-31")), Err(PtceRefused::NotMember));
        assert_eq!(
            p.join(2, Uuid::now_v7(), d("2024-12-31")),
            Err(PtceRefused::Stale { current: 1 })
        );
        p.status = PtceStatus::Closed;
        assert_eq!(p.can_change_status(1), Err(PtceRefused::Closed));
    }
}
