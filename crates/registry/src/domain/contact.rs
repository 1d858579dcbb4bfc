//! Contact persons of a partner: the only personal data the registry holds. Each has a consent
//! flag and can be erased on request; none of it goes into events, spans or logs, and the
//! violations below never echo a value.

use uuid::Uuid;

use super::Violation;

/// Longest name, role or email accepted, in characters.
const MAX_CHARS: usize = 200;

/// An email address: one `@`, a non-empty local part, a domain with a dot, no spaces.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim();
        let Some((local, domain)) = email.split_once('@') else {
            return Err("must be an email address");
        };
        let ok = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && email.chars().count() <= MAX_CHARS
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err("must be an email address");
        }
        Ok(Self(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A French phone number, stored as `0X XX XX XX XX`: 10 digits starting with 0, or +33 / 0033
/// and 9 digits; spaces, dots and dashes are accepted as separators.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        const REASON: &str = "must be a French phone number (0X XX XX XX XX or +33 X XX XX XX XX)";
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
        let national = if let Some(rest) = compact.strip_prefix("+33").or_else(|| compact.strip_prefix("0033")) {
            format!("0{rest}")
        } else {
            compact
        };
        if national.len() != 10
            || !national.starts_with('0')
            || national.as_bytes()[1] == b'0'
            || !national.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(REASON);
        }
        let pairs: Vec<&str> = (0..5).map(|i| &national[2 * i..2 * i + 2]).collect();
        Ok(Self(pairs.join(" ")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact person.
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: Uuid,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub consent: bool,
}

impl std::fmt::Debug for Contact {
    // Personal data: only the id is printable.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Contact({})", self.id)
    }
}

impl Contact {
    /// Parses a contact; violations name `name`, `role`, `email`, `phone` (callers prefix them).
    pub fn parse(
        id: Uuid,
        name: &str,
        role: &str,
        email: &str,
        phone: &str,
        consent: bool,
    ) -> Result<Self, Vec<Violation>> {
        let mut violations = Vec::new();
        let name = name.trim();
        if name.is_empty() {
            violations.push(Violation::new("name", "must not be empty"));
        } else if name.chars().count() > MAX_CHARS || name.chars().any(char::is_control) {
            violations.push(Violation::new(
                "name",
                "must be at most 200 characters, without control characters",
            ));
        }
        let role = role.trim();
        if role.chars().count() > MAX_CHARS || role.chars().any(char::is_control) {
            violations.push(Violation::new(
                "role",
                "must be at most 200 characters, without control characters",
            ));
        }
        let email = optional(email, Email::parse)
            .map_err(|r| violations.push(Violation::new("email", r)))
            .ok()
            .flatten();
        let phone = optional(phone, Phone::parse)
            .map_err(|r| violations.push(Violation::new("phone", r)))
            .ok()
            .flatten();
        if !violations.is_empty() {
            return Err(violations);
        }
        Ok(Self {
            id,
            name: name.to_owned(),
            role: (!role.is_empty()).then(|| role.to_owned()),
            email,
            phone,
            consent,
        })
    }
}

fn optional<T>(raw: &str, parse: impl Fn(&str) -> Result<T, &'static str>) -> Result<Option<T>, &'static str> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("marie@cress-normandie.org").is_ok());
        for bad in ["marie", "@x.fr", "marie@x", "marie@@x.fr", "ma rie@x.fr", "marie@x..fr"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_are_normalised_to_pairs() {
        assert_eq!(
            Phone::parse("02.31.00.00.00").map(|p| p.0),
            Ok("02 31 00 00 00".to_owned())
        );
        assert_eq!(
            Phone::parse("+33 6 12 34 56 78").map(|p| p.0),
            Ok("06 12 34 56 78".to_owned())
        );
        for bad in ["0231", "12 34 56 78 90", "00 31 00 00 00", "02 31 00 00 0a"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn violations_never_echo_the_personal_data() {
        let v = Contact::parse(Uuid::now_v7(), "", "", "jean.dupont", "0612", true).expect_err("bad");
        let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "phone"]);
        assert!(
            v.iter()
                .all(|v| !v.reason.contains("dupont") && !v.reason.contains("0612"))
        );
    }
}
