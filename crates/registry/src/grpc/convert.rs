//! proto ⇄ domain for partners: enum numbers, timestamps, dates, and the `Partner` message.

use chrono::{DateTime, NaiveDate, Utc};
use ess_proto::registry::v1 as pb;

use crate::domain::{
    Violation,
    dates::format_date,
    family::EssFamily,
    partner::{Partner, PartnerKind, PartnerStatus},
};

/// 0 (unspecified) is `None`; an unknown number is a violation of `field`.
pub fn kind(field: &str, n: i32) -> Result<Option<PartnerKind>, Violation> {
    use pb::PartnerKind as K;
    Ok(match K::try_from(n) {
        Ok(K::Unspecified) => None,
        Ok(K::EssEnterprise) => Some(PartnerKind::EssEnterprise),
        Ok(K::Network) => Some(PartnerKind::Network),
        Ok(K::EmployerOrganisation) => Some(PartnerKind::EmployerOrganisation),
        Ok(K::SupportStructure) => Some(PartnerKind::SupportStructure),
        Ok(K::PublicBody) => Some(PartnerKind::PublicBody),
        Ok(K::TrainingBody) => Some(PartnerKind::TrainingBody),
        Ok(K::Other) => Some(PartnerKind::Other),
        Err(_) => return Err(Violation::new(field, "is not a known partner kind")),
    })
}

pub fn kind_to_proto(k: PartnerKind) -> pb::PartnerKind {
    match k {
        PartnerKind::EssEnterprise => pb::PartnerKind::EssEnterprise,
        PartnerKind::Network => pb::PartnerKind::Network,
        PartnerKind::EmployerOrganisation => pb::PartnerKind::EmployerOrganisation,
        PartnerKind::SupportStructure => pb::PartnerKind::SupportStructure,
        PartnerKind::PublicBody => pb::PartnerKind::PublicBody,
        PartnerKind::TrainingBody => pb::PartnerKind::TrainingBody,
        PartnerKind::Other => pb::PartnerKind::Other,
    }
}

pub fn family(field: &str, n: i32) -> Result<Option<EssFamily>, Violation> {
    use pb::EssFamily as F;
    Ok(match F::try_from(n) {
        Ok(F::Unspecified) => None,
        Ok(F::Association) => Some(EssFamily::Association),
        Ok(F::Cooperative) => Some(EssFamily::Cooperative),
        Ok(F::Mutuelle) => Some(EssFamily::Mutuelle),
        Ok(F::Fondation) => Some(EssFamily::Fondation),
        Ok(F::SocieteCommercialeEss) => Some(EssFamily::SocieteCommercialeEss),
        Ok(F::HorsEss) => Some(EssFamily::HorsEss),
        Err(_) => return Err(Violation::new(field, "is not a known ESS family")),
    })
}

pub fn family_to_proto(f: EssFamily) -> pb::EssFamily {
    match f {
        EssFamily::Association => pb::EssFamily::Association,
        EssFamily::Cooperative => pb::EssFamily::Cooperative,
        EssFamily::Mutuelle => pb::EssFamily::Mutuelle,
        EssFamily::Fondation => pb::EssFamily::Fondation,
        EssFamily::SocieteCommercialeEss => pb::EssFamily::SocieteCommercialeEss,
        EssFamily::HorsEss => pb::EssFamily::HorsEss,
    }
}

pub fn sirene_ess(field: &str, n: i32) -> Result<Option<bool>, Violation> {
    match pb::SireneEssFlag::try_from(n) {
        Ok(pb::SireneEssFlag::Unspecified) => Ok(None),
        Ok(pb::SireneEssFlag::Yes) => Ok(Some(true)),
        Ok(pb::SireneEssFlag::No) => Ok(Some(false)),
        Err(_) => Err(Violation::new(field, "is not a known SIRENE ESS flag")),
    }
}

pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

pub fn date(d: Option<NaiveDate>) -> String {
    d.map(format_date).unwrap_or_default()
}

/// The whole partner; contacts only when they were read (GetPartner and the change RPCs).
pub fn partner(p: &Partner) -> pb::Partner {
    let d = &p.details;
    pb::Partner {
        id: p.id.0.to_string(),
        name: d.name.as_str().to_owned(),
        siret: p.siret.as_str().to_owned(),
        commune_code: d.location.commune().map(|c| c.code.clone()).unwrap_or_default(),
        postal_code: d
            .location
            .postal_code()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        departement_code: d.location.departement().as_str().to_owned(),
        version: p.version,
        created_at: Some(timestamp(p.created_at)),
        status: match p.status {
            PartnerStatus::Active => pb::PartnerStatus::Active,
            PartnerStatus::Archived => pb::PartnerStatus::Archived,
        } as i32,
        kind: kind_to_proto(d.kind) as i32,
        acronym: d.acronym.clone().unwrap_or_default(),
        siren: p.siret.siren().to_owned(),
        rna: d.rna.as_ref().map(|r| r.as_str().to_owned()).unwrap_or_default(),
        legal_category: d
            .legal_category
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        sirene_ess: match d.sirene_ess {
            None => pb::SireneEssFlag::Unspecified,
            Some(true) => pb::SireneEssFlag::Yes,
            Some(false) => pb::SireneEssFlag::No,
        } as i32,
        ess_family: family_to_proto(d.family) as i32,
        naf_code: d.naf.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default(),
        naf_section: d.naf.as_ref().map(|n| n.section().to_string()).unwrap_or_default(),
        address_line: d.address_line.clone().unwrap_or_default(),
        epci_code: d.location.commune().map(|c| c.epci_siren.clone()).unwrap_or_default(),
        headcount_band: d.headcount.band.clone().unwrap_or_default(),
        headcount_year: d.headcount.year.unwrap_or_default(),
        headcount: d.headcount.exact,
        esus: d.esus.map(|e| pb::EsusApproval {
            approved_on: format_date(e.from()),
            expires_on: date(e.until()),
        }),
        themes: d.themes.clone(),
        contacts: p
            .contacts
            .iter()
            .map(|c| pb::Contact {
                id: c.id.to_string(),
                name: c.name.clone(),
                role: c.role.clone().unwrap_or_default(),
                email: c.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
                phone: c.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
                consent: c.consent,
            })
            .collect(),
        cress_member: p.cress_member,
        updated_at: Some(timestamp(p.updated_at)),
    }
}
