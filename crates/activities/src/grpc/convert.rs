//! Proto ⇄ domain: enums both ways, timestamps, and the views answered to clients.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ess_proto::activities::v1 as pb;
use uuid::Uuid;

use crate::{
    domain::{
        activity::{Activity, Kind, Public, Status, Venue, paris},
        outcome::Counts,
        registration::{AgeBand, RegistrationStatus, Sex},
    },
    store::registrations::Registration,
};

/// `None` for UNSPECIFIED and for values this version does not know.
pub fn kind_from_proto(v: i32) -> Option<Kind> {
    use pb::ActivityKind as K;
    Some(match K::try_from(v).ok()? {
        K::Unspecified => return None,
        K::Sensibilisation => Kind::Sensibilisation,
        K::Evenement => Kind::Evenement,
        K::Formation => Kind::Formation,
        K::Atelier => Kind::Atelier,
        K::ReunionInstance => Kind::ReunionInstance,
        K::VisiteEntreprise => Kind::VisiteEntreprise,
        K::AccompagnementCollectif => Kind::AccompagnementCollectif,
        K::Other => Kind::Other,
    })
}

pub fn kind_to_proto(k: Kind) -> pb::ActivityKind {
    use pb::ActivityKind as K;
    match k {
        Kind::Sensibilisation => K::Sensibilisation,
        Kind::Evenement => K::Evenement,
        Kind::Formation => K::Formation,
        Kind::Atelier => K::Atelier,
        Kind::ReunionInstance => K::ReunionInstance,
        Kind::VisiteEntreprise => K::VisiteEntreprise,
        Kind::AccompagnementCollectif => K::AccompagnementCollectif,
        Kind::Other => K::Other,
    }
}

const PUBLICS: [(pb::Public, Public); 9] = [
    (pb::Public::Scolaires, Public::Scolaires),
    (pb::Public::Etudiants, Public::Etudiants),
    (pb::Public::DemandeursEmploi, Public::DemandeursEmploi),
    (pb::Public::Salaries, Public::Salaries),
    (pb::Public::PorteursProjet, Public::PorteursProjet),
    (pb::Public::StructuresAccompagnement, Public::StructuresAccompagnement),
    (pb::Public::ElusCollectivites, Public::ElusCollectivites),
    (pb::Public::EmployeursEss, Public::EmployeursEss),
    (pb::Public::GrandPublic, Public::GrandPublic),
];

pub fn public_from_proto(v: i32) -> Option<Public> {
    let p = pb::Public::try_from(v).ok()?;
    PUBLICS.iter().find(|(a, _)| *a == p).map(|(_, b)| *b)
}

pub fn public_to_proto(p: Public) -> pb::Public {
    PUBLICS
        .iter()
        .find(|(_, b)| *b == p)
        .map(|(a, _)| *a)
        .unwrap_or(pb::Public::Unspecified)
}

pub fn sex_from_proto(v: i32) -> Option<Sex> {
    Some(match pb::Sex::try_from(v).ok()? {
        pb::Sex::NotGiven => Sex::NotGiven,
        pb::Sex::F => Sex::F,
        pb::Sex::H => Sex::H,
    })
}

fn sex_to_proto(s: Sex) -> pb::Sex {
    match s {
        Sex::NotGiven => pb::Sex::NotGiven,
        Sex::F => pb::Sex::F,
        Sex::H => pb::Sex::H,
    }
}

pub fn age_from_proto(v: i32) -> Option<AgeBand> {
    Some(match pb::AgeBand::try_from(v).ok()? {
        pb::AgeBand::NotGiven => AgeBand::NotGiven,
        pb::AgeBand::Under26 => AgeBand::Under26,
        pb::AgeBand::From26To49 => AgeBand::From26To49,
        pb::AgeBand::From50 => AgeBand::From50,
    })
}

fn age_to_proto(a: AgeBand) -> pb::AgeBand {
    match a {
        AgeBand::NotGiven => pb::AgeBand::NotGiven,
        AgeBand::Under26 => pb::AgeBand::Under26,
        AgeBand::From26To49 => pb::AgeBand::From26To49,
        AgeBand::From50 => pb::AgeBand::From50,
    }
}

fn status_to_proto(s: Status) -> pb::ActivityStatus {
    match s {
        Status::Draft => pb::ActivityStatus::Draft,
        Status::Scheduled => pb::ActivityStatus::Scheduled,
        Status::Completed => pb::ActivityStatus::Completed,
        Status::Cancelled => pb::ActivityStatus::Cancelled,
    }
}

fn registration_status_to_proto(s: RegistrationStatus) -> pb::RegistrationStatus {
    match s {
        RegistrationStatus::Registered => pb::RegistrationStatus::Registered,
        RegistrationStatus::Waitlisted => pb::RegistrationStatus::Waitlisted,
        RegistrationStatus::Cancelled => pb::RegistrationStatus::Cancelled,
        RegistrationStatus::Attended => pb::RegistrationStatus::Attended,
        RegistrationStatus::NoShow => pb::RegistrationStatus::NoShow,
    }
}

/// A timestamp given in a request; `None` when absent or out of range.
pub fn time_from_proto(t: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    let t = t?;
    DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?)
}

pub fn time_to_proto(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

pub fn counts_from_proto(c: &pb::OutcomeCounts) -> Result<Counts, usize> {
    let mut by_public = std::collections::BTreeMap::new();
    for (i, pc) in c.by_public.iter().enumerate() {
        let p = public_from_proto(pc.public).ok_or(i)?;
        *by_public.entry(p).or_default() += pc.count;
    }
    Ok(Counts {
        total: c.total,
        female: c.female,
        male: c.male,
        sex_not_given: c.sex_not_given,
        under_26: c.under_26,
        age_26_49: c.age_26_49,
        age_50_and_over: c.age_50_and_over,
        age_not_given: c.age_not_given,
        by_public,
    })
}

pub fn counts_to_proto(c: &Counts) -> pb::OutcomeCounts {
    pb::OutcomeCounts {
        total: c.total,
        female: c.female,
        male: c.male,
        sex_not_given: c.sex_not_given,
        under_26: c.under_26,
        age_26_49: c.age_26_49,
        age_50_and_over: c.age_50_and_over,
        age_not_given: c.age_not_given,
        by_public: c
            .by_public
            .iter()
            .map(|(p, n)| pb::PublicCount {
                public: public_to_proto(*p) as i32,
                count: *n,
            })
            .collect(),
    }
}

/// What a view needs besides the activity: organiser names, per-session counts, the outcome.
pub struct ViewContext<'a> {
    pub names: &'a HashMap<Uuid, String>,
    pub counts: &'a HashMap<Uuid, (i32, i32, i32)>,
    pub outcome: Option<&'a Counts>,
}

pub fn activity_to_proto(a: &Activity, ctx: &ViewContext<'_>) -> pb::Activity {
    let f = &a.fields;
    let organiser = |id: &Uuid, co: bool| pb::Organiser {
        partner_id: id.to_string(),
        name: ctx.names.get(id).cloned().unwrap_or_default(),
        co_organiser: co,
    };
    let venue = match &f.venue {
        Venue::Online => pb::Venue {
            online: true,
            ..Default::default()
        },
        Venue::Place { commune, address } => pb::Venue {
            online: false,
            commune_code: commune.as_str().to_owned(),
            address: address.clone(),
        },
    };
    pb::Activity {
        id: a.id.to_string(),
        title: f.title.clone(),
        description: f.description.clone(),
        kind: kind_to_proto(f.kind) as i32,
        axes: f.axes.iter().map(|x| i32::from(x.get())).collect(),
        publics: f.publics.iter().map(|p| public_to_proto(*p) as i32).collect(),
        organisers: a
            .organisers
            .iter()
            .map(|o| organiser(o, false))
            .chain(a.co_organisers.iter().map(|o| organiser(o, true)))
            .collect(),
        campaign: f.campaign.clone().unwrap_or_default(),
        departement_code: f.venue.departement().unwrap_or_default().to_owned(),
        venue: Some(venue),
        sessions: a
            .sessions
            .iter()
            .map(|s| {
                let (registered, waitlisted, attended) = ctx.counts.get(&s.id).copied().unwrap_or_default();
                pb::Session {
                    id: s.id.to_string(),
                    start: Some(time_to_proto(s.start)),
                    end: Some(time_to_proto(s.end)),
                    capacity: s.capacity,
                    start_local: paris(s.start),
                    end_local: paris(s.end),
                    registered,
                    waitlisted,
                    attended,
                }
            })
            .collect(),
        status: status_to_proto(a.status) as i32,
        version: a.version,
        flag: a.flag.clone().unwrap_or_default(),
        outcome: ctx.outcome.map(counts_to_proto),
    }
}

pub fn registration_to_proto(r: &Registration) -> pb::Registration {
    pb::Registration {
        id: r.id.to_string(),
        activity_id: r.activity_id.to_string(),
        session_id: r.session_id.to_string(),
        name: r.name.clone().unwrap_or_default(),
        email: r.email.clone().unwrap_or_default(),
        organisation_id: r.organisation.map(|o| o.to_string()).unwrap_or_default(),
        public: public_to_proto(r.public) as i32,
        sex: sex_to_proto(r.sex) as i32,
        age_band: age_to_proto(r.age_band) as i32,
        status: registration_status_to_proto(r.status) as i32,
        erased: r.erased,
        session_start: Some(time_to_proto(r.session_start)),
        activity_title: r.activity_title.clone(),
    }
}
