//! A person's registration to a session, and the facts kept for figures (sex, age band, public)
//! once their name and email are erased.

use uuid::Uuid;

use super::{Violations, activity::Public, bounded_text};

/// An email address: one `@`, a non-empty local part, a dotted domain, no spaces. Stored lowercased
/// so that the same address cannot register twice with different cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let e = raw.trim().to_lowercase();
        let invalid = "must be a valid email address";
        if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid);
        }
        let (local, domain) = e.split_once('@').ok_or(invalid)?;
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if local.is_empty() || local.len() > 64 || !domain.contains('.') || !labels_ok {
            return Err(invalid);
        }
        Ok(Self(e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    NotGiven,
    F,
    H,
}

impl Sex {
    pub fn key(self) -> &'static str {
        match self {
            Self::NotGiven => "not_given",
            Self::F => "F",
            Self::H => "H",
        }
    }

    pub fn from_key(k: &str) -> Option<Self> {
        [Self::NotGiven, Self::F, Self::H].into_iter().find(|s| s.key() == k)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeBand {
    NotGiven,
    Under26,
    From26To49,
    From50,
}

impl AgeBand {
    pub fn key(self) -> &'static str {
        match self {
            Self::NotGiven => "not_given",
            Self::Under26 => "under_26",
            Self::From26To49 => "26_49",
            Self::From50 => "50_and_over",
        }
    }

    pub fn from_key(k: &str) -> Option<Self> {
        [Self::NotGiven, Self::Under26, Self::From26To49, Self::From50]
            .into_iter()
            .find(|s| s.key() == k)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationStatus {
    Registered,
    Waitlisted,
    Cancelled,
    Attended,
    NoShow,
}

impl RegistrationStatus {
    pub fn key(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Waitlisted => "waitlisted",
            Self::Cancelled => "cancelled",
            Self::Attended => "attended",
            Self::NoShow => "no_show",
        }
    }

    pub fn from_key(k: &str) -> Option<Self> {
        [
            Self::Registered,
            Self::Waitlisted,
            Self::Cancelled,
            Self::Attended,
            Self::NoShow,
        ]
        .into_iter()
        .find(|s| s.key() == k)
    }

    /// Whether the person holds a seat (counts against capacity).
    pub fn holds_seat(self) -> bool {
        matches!(self, Self::Registered | Self::Attended | Self::NoShow)
    }
}

/// A valid request to register someone.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub session_id: Uuid,
    pub name: String,
    pub email: Email,
    pub organisation: Option<Uuid>,
    pub public: Public,
    pub sex: Sex,
    pub age_band: AgeBand,
}

/// Raw registration fields (`None` = an unknown enum value).
pub struct RawRegistration<'a> {
    pub session_id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub organisation_id: &'a str,
    pub public: Option<Public>,
    pub sex: Option<Sex>,
    pub age_band: Option<AgeBand>,
    pub consent: bool,
}

impl NewRegistration {
    pub fn parse(raw: RawRegistration<'_>) -> Result<Self, Violations> {
        let mut v = Violations::default();
        let session_id = v.check("session_id", parse_id(raw.session_id));
        let name = v.check("name", bounded_text(raw.name, 200, false));
        let email = v.check("email", Email::parse(raw.email));
        let organisation = if raw.organisation_id.trim().is_empty() {
            Some(None)
        } else {
            v.check("organisation_id", parse_id(raw.organisation_id)).map(Some)
        };
        if raw.public.is_none() {
            v.push("public", "must be one of the target publics");
        }
        if raw.sex.is_none() {
            v.push("sex", "must be F, H or not given");
        }
        if raw.age_band.is_none() {
            v.push("age_band", "must be one of the age bands or not given");
        }
        if !raw.consent {
            v.push("consent", "the person's consent is required");
        }
        match (session_id, name, email, organisation, raw.public, raw.sex, raw.age_band) {
            (
                Some(session_id),
                Some(name),
                Some(email),
                Some(organisation),
                Some(public),
                Some(sex),
                Some(age_band),
            ) if v.is_empty() => Ok(Self {
                session_id,
                name,
                email,
                organisation,
                public,
                sex,
                age_band,
            }),
            _ => Err(v),
        }
    }
}

/// A UUID given in a request.
pub fn parse_id(raw: &str) -> Result<Uuid, &'static str> {
    Uuid::parse_str(raw.trim()).map_err(|_| "must be a UUID")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(
            Email::parse(" Anne.Martin@Exemple.FR ").unwrap().as_str(),
            "anne.martin@exemple.fr"
        );
        for bad in [
            "",
            "anne",
            "anne@",
            "@exemple.fr",
            "anne@exemple",
            "an ne@exemple.fr",
            "a@b..fr",
            "a@-b.fr",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
