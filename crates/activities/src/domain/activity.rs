//! An activity (awareness action, event, training...) and its sessions, the command that creates
//! one, and its lifecycle: draft → scheduled → completed | cancelled.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use uuid::Uuid;

use super::{Violations, bounded_text};

/// Kinds of activity of the agreement's action plan. `key` is stored and published; `label` is
/// what people read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Sensibilisation,
    Evenement,
    Formation,
    Atelier,
    ReunionInstance,
    VisiteEntreprise,
    AccompagnementCollectif,
    Other,
}

/// (kind, stored key, French label): the one table of kinds.
const KINDS: &[(Kind, &str, &str)] = &[
    (Kind::Sensibilisation, "SENSIBILISATION", "Sensibilisation"),
    (Kind::Evenement, "EVENEMENT", "Événement / forum / conférence"),
    (Kind::Formation, "FORMATION", "Formation"),
    (Kind::Atelier, "ATELIER", "Atelier"),
    (Kind::ReunionInstance, "REUNION_INSTANCE", "Réunion d'instance"),
    (Kind::VisiteEntreprise, "VISITE_ENTREPRISE", "Visite d'entreprise"),
    (
        Kind::AccompagnementCollectif,
        "ACCOMPAGNEMENT_COLLECTIF",
        "Accompagnement collectif",
    ),
    (Kind::Other, "OTHER", "Autre"),
];

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Sensibilisation,
        Kind::Evenement,
        Kind::Formation,
        Kind::Atelier,
        Kind::ReunionInstance,
        Kind::VisiteEntreprise,
        Kind::AccompagnementCollectif,
        Kind::Other,
    ];

    fn row(self) -> &'static (Kind, &'static str, &'static str) {
        KINDS.iter().find(|r| r.0 == self).expect("KINDS lists every kind")
    }

    pub fn key(self) -> &'static str {
        self.row().1
    }

    pub fn label(self) -> &'static str {
        self.row().2
    }

    pub fn from_key(key: &str) -> Option<Self> {
        KINDS.iter().find(|r| r.1 == key).map(|r| r.0)
    }
}

/// Target publics of the agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Public {
    Scolaires,
    Etudiants,
    DemandeursEmploi,
    Salaries,
    PorteursProjet,
    StructuresAccompagnement,
    ElusCollectivites,
    EmployeursEss,
    GrandPublic,
}

const PUBLICS: &[(Public, &str, &str)] = &[
    (Public::Scolaires, "SCOLAIRES", "Scolaires"),
    (Public::Etudiants, "ETUDIANTS", "Étudiants"),
    (Public::DemandeursEmploi, "DEMANDEURS_EMPLOI", "Demandeurs d'emploi"),
    (Public::Salaries, "SALARIES", "Salariés"),
    (Public::PorteursProjet, "PORTEURS_PROJET", "Porteurs de projet"),
    (
        Public::StructuresAccompagnement,
        "STRUCTURES_ACCOMPAGNEMENT",
        "Structures d'accompagnement",
    ),
    (Public::ElusCollectivites, "ELUS_COLLECTIVITES", "Élus et collectivités"),
    (Public::EmployeursEss, "EMPLOYEURS_ESS", "Employeurs de l'ESS"),
    (Public::GrandPublic, "GRAND_PUBLIC", "Grand public"),
];

impl Public {
    pub const ALL: [Public; 9] = [
        Public::Scolaires,
        Public::Etudiants,
        Public::DemandeursEmploi,
        Public::Salaries,
        Public::PorteursProjet,
        Public::StructuresAccompagnement,
        Public::ElusCollectivites,
        Public::EmployeursEss,
        Public::GrandPublic,
    ];

    fn row(self) -> &'static (Public, &'static str, &'static str) {
        PUBLICS
            .iter()
            .find(|r| r.0 == self)
            .expect("PUBLICS lists every public")
    }

    pub fn key(self) -> &'static str {
        self.row().1
    }

    pub fn label(self) -> &'static str {
        self.row().2
    }

    pub fn from_key(key: &str) -> Option<Self> {
        PUBLICS.iter().find(|r| r.1 == key).map(|r| r.0)
    }
}

/// An axis of the DIRECCTE/CRESS agreement, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Axis(u8);

impl Axis {
    pub fn parse(n: i32) -> Result<Self, &'static str> {
        match u8::try_from(n) {
            Ok(a @ 1..=5) => Ok(Self(a)),
            _ => Err("must be an axis of the agreement, 1 to 5"),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// French label, for calendars and exports.
    pub fn label(self) -> String {
        format!("Axe {}", self.0)
    }
}

/// At least one axis, no repeats, sorted.
pub fn parse_axes(raw: &[i32], v: &mut Violations) -> Option<Vec<Axis>> {
    if raw.is_empty() {
        v.push("activity.axes", "at least one axis is required");
        return None;
    }
    let mut axes = Vec::new();
    let mut ok = true;
    for (i, n) in raw.iter().enumerate() {
        match Axis::parse(*n) {
            Ok(a) => axes.push(a),
            Err(e) => {
                v.push(format!("activity.axes[{i}]"), e);
                ok = false;
            }
        }
    }
    axes.sort();
    axes.dedup();
    ok.then_some(axes)
}

/// An INSEE commune code (`14118`, `2A004`) and the département it lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneCode(String);

impl CommuneCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let c = raw.trim().to_ascii_uppercase();
        let b = c.as_bytes();
        let ok = b.len() == 5
            && b[0].is_ascii_digit()
            && (b[1].is_ascii_digit() || (b[0] == b'2' && (b[1] == b'A' || b[1] == b'B')))
            && b[2..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Self(c))
        } else {
            Err("must be an INSEE commune code (5 characters)")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The département code: 3 characters overseas (97x), else 2.
    pub fn departement(&self) -> &str {
        if self.0.starts_with("97") {
            &self.0[..3]
        } else {
            &self.0[..2]
        }
    }
}

/// Where an activity takes place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Venue {
    Online,
    Place { commune: CommuneCode, address: String },
}

impl Venue {
    pub fn parse(online: bool, commune: &str, address: &str, v: &mut Violations) -> Option<Self> {
        if online {
            return Some(Self::Online);
        }
        let commune = v.check("activity.venue.commune_code", CommuneCode::parse(commune));
        let address = v.check("activity.venue.address", bounded_text(address, 300, false));
        Some(Self::Place {
            commune: commune?,
            address: address?,
        })
    }

    pub fn departement(&self) -> Option<&str> {
        match self {
            Self::Online => None,
            Self::Place { commune, .. } => Some(commune.departement()),
        }
    }
}

/// The descriptive fields of an activity (what `UpdateActivity` replaces).
#[derive(Debug, Clone)]
pub struct ActivityFields {
    pub title: String,
    pub description: String,
    pub kind: Kind,
    pub axes: Vec<Axis>,
    pub publics: Vec<Public>,
    pub campaign: Option<String>,
    pub venue: Venue,
}

/// Raw descriptive fields, as mapped from the request (`None` kind/public = unknown value).
pub struct RawFields<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub kind: Option<Kind>,
    pub axes: &'a [i32],
    pub publics: Vec<Option<Public>>,
    pub campaign: &'a str,
    pub online: bool,
    pub commune_code: &'a str,
    pub address: &'a str,
}

impl ActivityFields {
    pub fn parse(raw: RawFields<'_>, v: &mut Violations) -> Option<Self> {
        let title = v.check("activity.title", bounded_text(raw.title, 200, false));
        let description = if raw.description.trim().is_empty() {
            Some(String::new())
        } else {
            v.check("activity.description", bounded_text(raw.description, 10_000, true))
        };
        let kind = raw.kind;
        if kind.is_none() {
            v.push("activity.kind", "must be one of the activity kinds");
        }
        let axes = parse_axes(raw.axes, v);
        let mut publics = Vec::new();
        let mut publics_ok = true;
        for (i, p) in raw.publics.iter().enumerate() {
            match p {
                Some(p) => publics.push(*p),
                None => {
                    v.push(format!("activity.publics[{i}]"), "must be one of the target publics");
                    publics_ok = false;
                }
            }
        }
        publics.sort();
        publics.dedup();
        let campaign = if raw.campaign.trim().is_empty() {
            Some(None)
        } else {
            v.check("activity.campaign", bounded_text(raw.campaign, 120, false))
                .map(Some)
        };
        let venue = Venue::parse(raw.online, raw.commune_code, raw.address, v);
        Some(Self {
            title: title?,
            description: description?,
            kind: kind?,
            axes: axes?,
            publics: publics_ok.then_some(publics)?,
            campaign: campaign?,
            venue: venue?,
        })
    }
}

/// One session: a start before its end, a capacity of at least one seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub capacity: i32,
}

impl Session {
    pub fn has_ended(&self, now: DateTime<Utc>) -> bool {
        self.end <= now
    }
}

/// Start and end in Europe/Paris, RFC 3339 with offset.
pub fn paris(t: DateTime<Utc>) -> String {
    t.with_timezone(&Paris).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// A session as requested: start and end (absent when missing or out of range), capacity.
pub type RawSession = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, i32);

/// Parses the sessions of one activity: each valid, none overlapping another.
pub fn parse_sessions(raw: &[RawSession], v: &mut Violations) -> Option<Vec<Session>> {
    if raw.is_empty() {
        v.push("sessions", "at least one session is required");
        return None;
    }
    let before = v.0.len();
    let mut sessions = Vec::new();
    for (i, (start, end, capacity)) in raw.iter().enumerate() {
        if start.is_none() {
            v.push(format!("sessions[{i}].start"), "is required");
        }
        if end.is_none() {
            v.push(format!("sessions[{i}].end"), "is required");
        }
        if *capacity < 1 {
            v.push(format!("sessions[{i}].capacity"), "must be at least 1");
        }
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                v.push(format!("sessions[{i}].end"), "must be after the start");
            } else if *capacity >= 1 {
                sessions.push((
                    i,
                    Session {
                        id: Uuid::now_v7(),
                        start: *s,
                        end: *e,
                        capacity: *capacity,
                    },
                ));
            }
        }
    }
    for (a, (i, s)) in sessions.iter().enumerate() {
        for (j, t) in sessions.iter().skip(a + 1) {
            if s.start < t.end && t.start < s.end {
                v.push(format!("sessions[{j}].start"), format!("overlaps session {i}"));
                let _ = i;
            }
        }
    }
    (v.0.len() == before).then(|| sessions.into_iter().map(|(_, s)| s).collect())
}

/// The lifecycle of an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Scheduled,
    Completed,
    Cancelled,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_key(k: &str) -> Option<Self> {
        [Self::Draft, Self::Scheduled, Self::Completed, Self::Cancelled]
            .into_iter()
            .find(|s| s.key() == k)
    }
}

/// Why a lifecycle step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the activity is {0}, not a draft")]
    NotDraft(&'static str),
    #[error("the activity is {0}: it can no longer be changed")]
    Closed(&'static str),
    #[error("only a scheduled activity can be completed (it is {0})")]
    NotScheduled(&'static str),
    #[error("the activity's last session has not ended yet")]
    NotOver,
}

/// An activity as stored.
#[derive(Debug, Clone)]
pub struct Activity {
    pub id: Uuid,
    pub fields: ActivityFields,
    pub organisers: Vec<Uuid>,
    pub co_organisers: Vec<Uuid>,
    pub sessions: Vec<Session>,
    pub status: Status,
    pub flag: Option<String>,
    pub version: i64,
}

impl Activity {
    pub fn schedule(&self) -> Result<Status, TransitionError> {
        match self.status {
            Status::Draft => Ok(Status::Scheduled),
            s => Err(TransitionError::NotDraft(s.key())),
        }
    }

    pub fn cancel(&self) -> Result<Status, TransitionError> {
        match self.status {
            Status::Draft | Status::Scheduled => Ok(Status::Cancelled),
            s => Err(TransitionError::Closed(s.key())),
        }
    }

    /// Completing needs a scheduled activity whose last session has ended at `now`.
    pub fn complete(&self, now: DateTime<Utc>) -> Result<Status, TransitionError> {
        if self.status != Status::Scheduled {
            return Err(TransitionError::NotScheduled(self.status.key()));
        }
        if self.sessions.iter().any(|s| !s.has_ended(now)) {
            return Err(TransitionError::NotOver);
        }
        Ok(Status::Completed)
    }

    pub fn check_editable(&self) -> Result<(), TransitionError> {
        match self.status {
            Status::Draft | Status::Scheduled => Ok(()),
            s => Err(TransitionError::Closed(s.key())),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn t(h: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(2026, 11, 12, h, 0, 0).unwrap())
    }

    #[test]
    fn overlapping_sessions_are_refused_and_touching_ones_accepted() {
        let mut v = Violations::default();
        assert!(parse_sessions(&[(t(9), t(11), 10), (t(10), t(12), 10)], &mut v).is_none());
        assert_eq!(v.0[0].field, "sessions[1].start");
        let mut v = Violations::default();
        assert_eq!(
            parse_sessions(&[(t(9), t(11), 10), (t(11), t(12), 10)], &mut v).map(|s| s.len()),
            Some(2)
        );
    }

    #[test]
    fn axes_are_one_to_five() {
        for n in 1..=5 {
            assert!(Axis::parse(n).is_ok());
        }
        for n in [0, 6, -1] {
            assert!(Axis::parse(n).is_err());
        }
    }

    #[test]
    fn communes_give_their_departement() {
        assert_eq!(CommuneCode::parse("14118").unwrap().departement(), "14");
        assert_eq!(CommuneCode::parse("97101").unwrap().departement(), "971");
        assert!(CommuneCode::parse("1411").is_err());
    }

    #[test]
    fn paris_times_follow_daylight_saving() {
        assert_eq!(paris(t(9).unwrap()), "2026-11-12T10:00:00+01:00");
        let summer = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
        assert_eq!(paris(summer), "2026-06-01T11:00:00+02:00");
    }
}
