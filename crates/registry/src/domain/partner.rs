//! A partner of the partnership (an ESS enterprise, a network, a public body...), the description
//! a caller gives of it, and the commands that register and change one.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{
    Violation,
    contact::Contact,
    dates::{Period, parse_optional_date},
    family::{self, EssFamily},
    location::Location,
    nomenclature::{LegalCategory, NafCode},
    search,
    siret::{Siren, Siret},
};

/// Longest accepted name, in characters.
pub const NAME_MAX_CHARS: usize = 200;
/// Longest acronym, in characters.
pub const ACRONYM_MAX_CHARS: usize = 30;
/// Longest street address, in characters.
pub const ADDRESS_MAX_CHARS: usize = 300;
/// At most this many themes, each at most [`THEME_MAX_CHARS`].
pub const MAX_THEMES: usize = 20;
pub const THEME_MAX_CHARS: usize = 60;
/// At most this many contact persons per partner.
pub const MAX_CONTACTS: usize = 20;

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

/// What kind of organisation a partner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartnerKind {
    EssEnterprise,
    Network,
    EmployerOrganisation,
    SupportStructure,
    PublicBody,
    TrainingBody,
    Other,
}

impl PartnerKind {
    pub const ALL: [PartnerKind; 7] = [
        PartnerKind::EssEnterprise,
        PartnerKind::Network,
        PartnerKind::EmployerOrganisation,
        PartnerKind::SupportStructure,
        PartnerKind::PublicBody,
        PartnerKind::TrainingBody,
        PartnerKind::Other,
    ];

    /// Stable key used in the database and in events.
    pub fn key(self) -> &'static str {
        match self {
            PartnerKind::EssEnterprise => "ess_enterprise",
            PartnerKind::Network => "network",
            PartnerKind::EmployerOrganisation => "employer_organisation",
            PartnerKind::SupportStructure => "support_structure",
            PartnerKind::PublicBody => "public_body",
            PartnerKind::TrainingBody => "training_body",
            PartnerKind::Other => "other",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Active partners can be changed and organise activities; archived ones are history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerStatus {
    Active,
    Archived,
}

impl PartnerStatus {
    pub fn key(self) -> &'static str {
        match self {
            PartnerStatus::Active => "active",
            PartnerStatus::Archived => "archived",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "active" => Some(PartnerStatus::Active),
            "archived" => Some(PartnerStatus::Archived),
            _ => None,
        }
    }
}

/// An association's number in the Répertoire national des associations: `W` and 9 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rna(String);

impl Rna {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let rna = raw.trim().to_ascii_uppercase();
        let ok = rna.len() == 10 && rna.starts_with('W') && rna[1..].bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err("must be W followed by 9 digits");
        }
        Ok(Self(rna))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SIRENE headcount bands (`trancheEffectifs*`), see `shared/data/ess_perimeter_notes.md`.
pub const HEADCOUNT_BANDS: &[&str] = &[
    "NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52", "53",
];

/// A SIRENE headcount band with its year, and the exact headcount when known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headcount {
    pub band: Option<String>,
    pub year: Option<i32>,
    pub exact: Option<i32>,
}

impl Headcount {
    pub fn parse(band: &str, year: i32, exact: Option<i32>) -> Result<Self, Vec<Violation>> {
        let mut violations = Vec::new();
        let band = band.trim();
        let band = if band.is_empty() {
            None
        } else if HEADCOUNT_BANDS.contains(&band) {
            Some(band.to_owned())
        } else {
            violations.push(Violation::new(
                "headcount_band",
                "is not a SIRENE headcount band (NN, 00, 01 ... 53)",
            ));
            None
        };
        let year = match year {
            0 => None,
            1970..=2100 => Some(year),
            _ => {
                violations.push(Violation::new("headcount_year", "must be a year between 1970 and 2100"));
                None
            }
        };
        if exact.is_some_and(|n| n < 0) {
            violations.push(Violation::new("headcount", "must not be negative"));
        }
        if violations.is_empty() {
            Ok(Self { band, year, exact })
        } else {
            Err(violations)
        }
    }
}

/// The description of a partner as a caller gives it (create and update), with the enums
/// already mapped by the API layer.
#[derive(Debug, Clone, Default)]
pub struct PartnerInput<'a> {
    pub name: &'a str,
    pub commune_code: &'a str,
    pub postal_code: &'a str,
    pub kind: Option<PartnerKind>,
    pub acronym: &'a str,
    pub rna: &'a str,
    pub legal_category: &'a str,
    pub sirene_ess: Option<bool>,
    pub naf_code: &'a str,
    pub address_line: &'a str,
    pub headcount_band: &'a str,
    pub headcount_year: i32,
    pub headcount: Option<i32>,
    pub esus_approved_on: &'a str,
    pub esus_expires_on: &'a str,
    pub themes: &'a [String],
}

/// Everything about a partner that can change, validated; the family is derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerDetails {
    pub name: PartnerName,
    pub kind: PartnerKind,
    pub acronym: Option<String>,
    pub rna: Option<Rna>,
    pub legal_category: Option<LegalCategory>,
    pub sirene_ess: Option<bool>,
    pub family: EssFamily,
    pub naf: Option<NafCode>,
    pub location: Location,
    pub address_line: Option<String>,
    pub headcount: Headcount,
    pub esus: Option<Period>,
    pub themes: Vec<String>,
}

impl PartnerDetails {
    /// Parses every field, collecting all violations at once (in field order).
    pub fn parse(input: &PartnerInput<'_>) -> Result<Self, Vec<Violation>> {
        let mut v = Vec::new();
        let name = PartnerName::parse(input.name)
            .map_err(|r| v.push(Violation::new("name", r)))
            .ok();
        let location = Location::parse(input.commune_code, input.postal_code)
            .map_err(|e| v.extend(e))
            .ok();
        let acronym = bounded_text(input.acronym, ACRONYM_MAX_CHARS)
            .map_err(|r| v.push(Violation::new("acronym", r)))
            .ok()
            .flatten();
        let rna = optional(input.rna, Rna::parse)
            .map_err(|r| v.push(Violation::new("rna", r)))
            .ok()
            .flatten();
        let legal_category = optional(input.legal_category, LegalCategory::parse)
            .map_err(|r| v.push(Violation::new("legal_category", r)))
            .ok()
            .flatten();
        let naf = optional(input.naf_code, NafCode::parse)
            .map_err(|r| v.push(Violation::new("naf_code", r)))
            .ok()
            .flatten();
        let address_line = bounded_text(input.address_line, ADDRESS_MAX_CHARS)
            .map_err(|r| v.push(Violation::new("address_line", r)))
            .ok()
            .flatten();
        let headcount = Headcount::parse(input.headcount_band, input.headcount_year, input.headcount)
            .map_err(|e| v.extend(e))
            .ok();
        let esus = parse_esus(input.esus_approved_on, input.esus_expires_on)
            .map_err(|e| v.extend(e))
            .ok()
            .flatten();
        let themes = parse_themes(input.themes).map_err(|e| v.push(e)).ok();
        match (name, location, headcount, themes) {
            (Some(name), Some(location), Some(headcount), Some(themes)) if v.is_empty() => Ok(Self {
                name,
                kind: input.kind.unwrap_or(PartnerKind::Other),
                acronym,
                rna,
                family: family::derive(legal_category.as_ref(), input.sirene_ess),
                legal_category,
                sirene_ess: input.sirene_ess,
                naf,
                location,
                address_line,
                headcount,
                esus,
                themes,
            }),
            _ => Err(v),
        }
    }

    /// The folded text that name and acronym searches run against.
    pub fn search_text(&self) -> String {
        let mut text = search::fold(self.name.as_str());
        if let Some(a) = &self.acronym {
            text.push(' ');
            text.push_str(&search::fold(a));
        }
        text
    }
}

fn optional<T>(raw: &str, parse: impl Fn(&str) -> Result<T, &'static str>) -> Result<Option<T>, &'static str> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some)
    }
}

/// Trimmed free text of at most `max` characters without control characters; empty is absent.
fn bounded_text(raw: &str, max: usize) -> Result<Option<String>, &'static str> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > max {
        return Err("is too long");
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    Ok(Some(text.to_owned()))
}

fn parse_esus(approved_on: &str, expires_on: &str) -> Result<Option<Period>, Vec<Violation>> {
    let from = parse_optional_date("esus.approved_on", approved_on);
    let until = parse_optional_date("esus.expires_on", expires_on);
    match (from, until) {
        (Ok(None), Ok(None)) => Ok(None),
        (Ok(None), Ok(Some(_))) => Err(vec![Violation::new(
            "esus.approved_on",
            "is required when an expiry date is given",
        )]),
        (Ok(Some(from)), Ok(until)) => Period::new(from, until, "esus.expires_on")
            .map(Some)
            .map_err(|e| vec![e]),
        (from, until) => Err([from.err(), until.err()].into_iter().flatten().collect()),
    }
}

/// Trimmed, deduplicated (case-insensitively), in the order given.
fn parse_themes(raw: &[String]) -> Result<Vec<String>, Violation> {
    let mut themes: Vec<String> = Vec::new();
    for t in raw {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > THEME_MAX_CHARS || t.chars().any(char::is_control) {
            return Err(Violation::new("themes", "each theme must be 1 to 60 characters"));
        }
        if !themes.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
            themes.push(t.to_owned());
        }
    }
    if themes.len() > MAX_THEMES {
        return Err(Violation::new("themes", "at most 20 themes"));
    }
    Ok(themes)
}

/// A valid request to register a partner.
#[derive(Debug, Clone)]
pub struct NewPartner {
    pub siret: Siret,
    pub details: PartnerDetails,
    pub contacts: Vec<Contact>,
}

impl NewPartner {
    /// Parses every field, collecting all violations at once: the name's first, then the SIRET's
    /// (and the SIREN it must start with), then the others in field order, then the contacts'
    /// (`contacts[i].email`).
    pub fn parse(
        siret: &str,
        siren: &str,
        input: &PartnerInput<'_>,
        contacts: Vec<ContactInput<'_>>,
    ) -> Result<Self, Vec<Violation>> {
        let mut identity = Vec::new();
        let siret = Siret::parse(siret)
            .map_err(|e| identity.push(Violation::new("siret", e.to_string())))
            .ok();
        if !siren.trim().is_empty() {
            match Siren::parse(siren) {
                Err(e) => identity.push(Violation::new("siren", e.to_string())),
                Ok(siren) => {
                    if siret.as_ref().is_some_and(|s| s.siren() != siren.as_str()) {
                        identity.push(Violation::new("siret", "must start with the given SIREN"));
                    }
                }
            }
        }
        let details = PartnerDetails::parse(input);
        let mut contact_violations = Vec::new();
        if contacts.len() > MAX_CONTACTS {
            contact_violations.push(Violation::new("contacts", "at most 20 contacts"));
        }
        let contacts: Vec<Contact> = contacts
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                c.parse()
                    .map_err(|e| contact_violations.extend(e.into_iter().map(|v| v.under(&format!("contacts[{i}]")))))
                    .ok()
            })
            .collect();
        match (siret, details) {
            (Some(siret), Ok(details)) if identity.is_empty() && contact_violations.is_empty() => Ok(Self {
                siret,
                details,
                contacts,
            }),
            (_, details) => {
                let others = details.err().unwrap_or_default();
                let (name, rest): (Vec<_>, Vec<_>) = others.into_iter().partition(|v| v.field == "name");
                Err(name
                    .into_iter()
                    .chain(identity)
                    .chain(rest)
                    .chain(contact_violations)
                    .collect())
            }
        }
    }
}

/// A contact person as a caller gives it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactInput<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub consent: bool,
}

impl ContactInput<'_> {
    /// A new contact with a fresh id.
    pub fn parse(&self) -> Result<Contact, Vec<Violation>> {
        Contact::parse(
            Uuid::now_v7(),
            self.name,
            self.role,
            self.email,
            self.phone,
            self.consent,
        )
    }
}

/// A registered partner.
#[derive(Debug, Clone)]
pub struct Partner {
    pub id: PartnerId,
    pub siret: Siret,
    pub details: PartnerDetails,
    pub contacts: Vec<Contact>,
    pub status: PartnerStatus,
    /// True while a CRESS membership period is open (kept by the membership use cases).
    pub cress_member: bool,
    /// 1 at creation, +1 per change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a change to a partner is refused before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRefused {
    /// The caller read another version (optimistic concurrency).
    StaleVersion { current: i64 },
    /// Archived partners do not change.
    Archived,
}

impl Partner {
    /// Whether a change based on `expected_version` may apply now: archived first (a stale
    /// caller would only retry into the same wall), then the version.
    pub fn check_change(&self, expected_version: i64) -> Result<(), ChangeRefused> {
        if self.status == PartnerStatus::Archived {
            return Err(ChangeRefused::Archived);
        }
        if self.version != expected_version {
            return Err(ChangeRefused::StaleVersion { current: self.version });
        }
        Ok(())
    }

    /// ESUS approval in force on `day`.
    pub fn esus_on(&self, day: NaiveDate) -> bool {
        self.details.esus.is_some_and(|p| p.covers(day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>() -> PartnerInput<'a> {
        PartnerInput {
            name: "Coop",
            commune_code: "14118",
            ..PartnerInput::default()
        }
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let violations = NewPartner::parse(
            "123",
            "",
            &PartnerInput {
                name: "  ",
                commune_code: "",
                ..input()
            },
            vec![],
        )
        .expect_err("three bad fields");
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["name", "siret", "commune_code"]);
        assert!(
            violations.iter().all(|v| !v.reason.contains("123")),
            "reasons never echo the input"
        );
    }

    #[test]
    fn the_siret_must_start_with_the_given_siren() {
        assert!(NewPartner::parse("73282932000074", "732829320", &input(), vec![]).is_ok());
        let v = NewPartner::parse("73282932000074", "334065695", &input(), vec![]).expect_err("other unit");
        assert_eq!(v[0].field, "siret");
        let v = NewPartner::parse("73282932000074", "732829321", &input(), vec![]).expect_err("bad siren");
        assert_eq!(v[0].field, "siren");
    }

    #[test]
    fn the_family_is_derived_and_codes_are_checked() {
        let ok = PartnerDetails::parse(&PartnerInput {
            legal_category: "9220",
            naf_code: "9499Z",
            rna: "w141000123",
            ..input()
        })
        .expect("valid");
        assert_eq!(ok.family, EssFamily::Association);
        assert_eq!(ok.naf.map(|n| n.section()), Some('S'));
        assert_eq!(ok.rna.map(|r| r.0), Some("W141000123".to_owned()));
        let bad = PartnerDetails::parse(&PartnerInput {
            legal_category: "9999",
            naf_code: "00.00Z",
            rna: "W12",
            headcount_band: "99",
            esus_approved_on: "2024-05-01",
            esus_expires_on: "2024-04-01",
            ..input()
        })
        .expect_err("bad codes");
        let fields: Vec<_> = bad.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["rna", "legal_category", "naf_code", "headcount_band", "esus.expires_on"]
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PartnerName::parse("  Coop  ").map(|n| n.0), Ok("Coop".to_owned()));
        assert!(PartnerName::parse(&"é".repeat(200)).is_ok());
        assert!(PartnerName::parse(&"é".repeat(201)).is_err());
        assert!(PartnerName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn themes_are_trimmed_and_deduplicated() {
        let themes = vec![" Emploi ".to_owned(), "emploi".to_owned(), "Insertion".to_owned()];
        let d = PartnerDetails::parse(&PartnerInput {
            themes: &themes,
            ..input()
        })
        .expect("valid");
        assert_eq!(d.themes, ["Emploi", "Insertion"]);
    }
}
