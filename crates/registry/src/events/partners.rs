//! Partner events (`registry.partner.*`, `registry.membership.changed`,
//! `registry.affiliation.changed`). The aggregate is always the partner, so every event carries its
//! version after the change. Organisations only: contacts never go into an event.

use chrono::{DateTime, NaiveDate, Utc};
use ess_proto::events::v1::{
    AffiliationChanged, EventMeta, MembershipChanged, PartnerArchived, PartnerFacts, PartnerRegistered, PartnerUpdated,
};
use platform::outbox::NewEvent;
use prost::Message;
use uuid::Uuid;

use crate::domain::{
    dates::format_date,
    membership::{Affiliation, MembershipPeriod},
    partner::Partner,
};

pub const PARTNER_REGISTERED_SUBJECT: &str = "registry.partner.registered";
pub const PARTNER_REGISTERED_TYPE: &str = "ess.events.v1.PartnerRegistered";
pub const PARTNER_UPDATED_SUBJECT: &str = "registry.partner.updated";
pub const PARTNER_UPDATED_TYPE: &str = "ess.events.v1.PartnerUpdated";
pub const PARTNER_ARCHIVED_SUBJECT: &str = "registry.partner.archived";
pub const PARTNER_ARCHIVED_TYPE: &str = "ess.events.v1.PartnerArchived";
pub const MEMBERSHIP_CHANGED_SUBJECT: &str = "registry.membership.changed";
pub const MEMBERSHIP_CHANGED_TYPE: &str = "ess.events.v1.MembershipChanged";
pub const AFFILIATION_CHANGED_SUBJECT: &str = "registry.affiliation.changed";
pub const AFFILIATION_CHANGED_TYPE: &str = "ess.events.v1.AffiliationChanged";

pub fn partner_registered(partner: &Partner) -> NewEvent {
    let (event_id, meta) = meta(partner, partner.created_at);
    let payload = PartnerRegistered {
        meta: Some(meta),
        partner_id: partner.id.0.to_string(),
        name: partner.details.name.as_str().to_owned(),
        commune_code: commune_code(partner),
        departement_code: partner.details.location.departement().as_str().to_owned(),
        facts: Some(facts(partner)),
    };
    event(
        partner,
        event_id,
        PARTNER_REGISTERED_SUBJECT,
        PARTNER_REGISTERED_TYPE,
        &payload,
    )
}

pub fn partner_updated(partner: &Partner) -> NewEvent {
    let (event_id, meta) = meta(partner, partner.updated_at);
    let payload = PartnerUpdated {
        meta: Some(meta),
        partner_id: partner.id.0.to_string(),
        name: partner.details.name.as_str().to_owned(),
        commune_code: commune_code(partner),
        departement_code: partner.details.location.departement().as_str().to_owned(),
        facts: Some(facts(partner)),
    };
    event(
        partner,
        event_id,
        PARTNER_UPDATED_SUBJECT,
        PARTNER_UPDATED_TYPE,
        &payload,
    )
}

pub fn partner_archived(partner: &Partner) -> NewEvent {
    let (event_id, meta) = meta(partner, partner.updated_at);
    let payload = PartnerArchived {
        meta: Some(meta),
        partner_id: partner.id.0.to_string(),
    };
    event(
        partner,
        event_id,
        PARTNER_ARCHIVED_SUBJECT,
        PARTNER_ARCHIVED_TYPE,
        &payload,
    )
}

pub fn membership_changed(partner: &Partner, period: &MembershipPeriod) -> NewEvent {
    let (event_id, meta) = meta(partner, partner.updated_at);
    let payload = MembershipChanged {
        meta: Some(meta),
        partner_id: partner.id.0.to_string(),
        cress_member: partner.cress_member,
        member_from: format_date(period.period.from()),
        member_until: date(period.period.until()),
        college: period.college.clone().unwrap_or_default(),
        mandant: period.mandant,
    };
    event(
        partner,
        event_id,
        MEMBERSHIP_CHANGED_SUBJECT,
        MEMBERSHIP_CHANGED_TYPE,
        &payload,
    )
}

pub fn affiliation_changed(partner: &Partner, a: &Affiliation) -> NewEvent {
    let (event_id, meta) = meta(partner, partner.updated_at);
    let payload = AffiliationChanged {
        meta: Some(meta),
        partner_id: partner.id.0.to_string(),
        network_id: a.network_id.to_string(),
        affiliation_id: a.id.to_string(),
        from: format_date(a.period.from()),
        until: date(a.period.until()),
    };
    event(
        partner,
        event_id,
        AFFILIATION_CHANGED_SUBJECT,
        AFFILIATION_CHANGED_TYPE,
        &payload,
    )
}

fn facts(p: &Partner) -> PartnerFacts {
    let d = &p.details;
    PartnerFacts {
        kind: d.kind.key().to_owned(),
        ess_family: d.family.key().to_owned(),
        legal_category: d
            .legal_category
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        naf_code: d.naf.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default(),
        naf_section: d.naf.as_ref().map(|n| n.section().to_string()).unwrap_or_default(),
        epci_code: d.location.commune().map(|c| c.epci_siren.clone()).unwrap_or_default(),
        cress_member: p.cress_member,
        status: p.status.key().to_owned(),
        siren: p.siret.siren().to_owned(),
        headcount_band: d.headcount.band.clone().unwrap_or_default(),
        headcount_year: d.headcount.year.unwrap_or_default(),
        esus: p.esus_on(Utc::now().date_naive()),
        themes: d.themes.clone(),
        acronym: d.acronym.clone().unwrap_or_default(),
    }
}

fn commune_code(p: &Partner) -> String {
    p.details.location.commune().map(|c| c.code.clone()).unwrap_or_default()
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(format_date).unwrap_or_default()
}

fn meta(partner: &Partner, at: DateTime<Utc>) -> (Uuid, EventMeta) {
    let event_id = Uuid::now_v7();
    let meta = EventMeta {
        event_id: event_id.to_string(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: at.timestamp(),
            nanos: at.timestamp_subsec_nanos() as i32,
        }),
        aggregate_id: partner.id.0.to_string(),
        aggregate_version: partner.version,
    };
    (event_id, meta)
}

fn event(
    partner: &Partner,
    event_id: Uuid,
    subject: &'static str,
    event_type: &'static str,
    payload: &impl Message,
) -> NewEvent {
    NewEvent {
        event_id,
        subject,
        event_type,
        aggregate_id: partner.id.0.to_string(),
        aggregate_version: partner.version,
        payload: payload.encode_to_vec(),
    }
}
