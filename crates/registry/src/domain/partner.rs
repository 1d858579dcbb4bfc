//! A partner of the partnership (an ESS enterprise, a network, a public body...) and the command
//! that registers one.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Violation, location::Location, siret::Siret};

/// Longest accepted name, in characters.
pub const NAME_MAX_CHARS: usize = 200;

/// A partner's name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerName(String);

impl PartnerName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("must not be empty");
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err("must be at most 200 characters");
        }
        if name.chars().any(char::is_control) {
            return Err("must not contain control characters");
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A partner id (UUIDv7, given by the registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartnerId(pub Uuid);

impl PartnerId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Uuid::parse_str(raw.trim()).map(Self).map_err(|_| "must be a UUID")
    }
}

impl Default for PartnerId {
    fn default() -> Self {
        Self::new()
    }
}

/// A valid request to register a partner.
#[derive(Debug, Clone)]
pub struct NewPartner {
    pub name: PartnerName,
    pub siret: Siret,
    pub location: Location,
}

impl NewPartner {
    /// Parses every field, collecting all violations at once.
    pub fn parse(name: &str, siret: &str, commune_code: &str, postal_code: &str) -> Result<Self, Vec<Violation>> {
        let mut violations = Vec::new();
        let name = PartnerName::parse(name)
            .map_err(|r| violations.push(Violation::new("name", r)))
            .ok();
        let siret = Siret::parse(siret)
            .map_err(|e| violations.push(Violation::new("siret", e.to_string())))
            .ok();
        let location = Location::parse(commune_code, postal_code)
            .map_err(|v| violations.extend(v))
            .ok();
        match (name, siret, location) {
            (Some(name), Some(siret), Some(location)) if violations.is_empty() => Ok(Self { name, siret, location }),
            _ => Err(violations),
        }
    }
}

/// A registered partner.
#[derive(Debug, Clone)]
pub struct Partner {
    pub id: PartnerId,
    pub name: PartnerName,
    pub siret: Siret,
    pub location: Location,
    /// 1 at creation, +1 per change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let violations = NewPartner::parse("  ", "123", "", "").expect_err("three bad fields");
        let fields: Vec<_> = violations.iter().map(|v| v.field).collect();
        assert_eq!(fields, ["name", "siret", "commune_code"]);
        assert!(
            violations.iter().all(|v| !v.reason.contains("123")),
            "reasons never echo the input"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PartnerName::parse("  Coop  ").map(|n| n.0), Ok("Coop".to_owned()));
        assert!(PartnerName::parse(&"é".repeat(200)).is_ok());
        assert!(PartnerName::parse(&"é".repeat(201)).is_err());
        assert!(PartnerName::parse("a\u{0}b").is_err());
    }
}
