//! Views and tables of the registry commands (partners' full description, lists, memberships,
//! PTCEs, initiatives, SIRENE import summaries). Contacts are shown to the user who asked; they
//! never go into spans or logs.

use ess_proto::registry::v1 as pb;
use serde::Serialize;

use crate::{
    cli::Output,
    failure::Failure,
    render::{Align, column_table, key_value_table},
    view::{PartnerView, non_empty},
};

/// Shown in tables for a value that is not set.
const NONE: &str = "-";

fn or_none(v: Option<&str>) -> String {
    v.unwrap_or(NONE).to_owned()
}

fn json<T: Serialize>(value: &T) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Local(anyhow::Error::new(e).context("encoding the answer as JSON")))?;
    text.push('\n');
    Ok(text)
}

/// The proto enum name without its prefix, in lower case (`ESS_ENTERPRISE` → `ess_enterprise`).
fn enum_key(name: &str, prefix: &str) -> Option<String> {
    let key = name.strip_prefix(prefix).unwrap_or(name).to_ascii_lowercase();
    (key != "unspecified").then_some(key)
}

/// Everything about a partner beyond its identity and place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PartnerDetailsView {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub acronym: Option<String>,
    pub siren: Option<String>,
    pub rna: Option<String>,
    pub legal_category: Option<String>,
    pub sirene_ess: Option<String>,
    pub ess_family: Option<String>,
    pub naf_code: Option<String>,
    pub naf_section: Option<String>,
    pub epci_code: Option<String>,
    pub address_line: Option<String>,
    pub headcount_band: Option<String>,
    pub headcount_year: Option<i32>,
    pub headcount: Option<i32>,
    pub esus_approved_on: Option<String>,
    pub esus_expires_on: Option<String>,
    pub themes: Vec<String>,
    pub cress_member: bool,
    pub contacts: Vec<ContactView>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactView {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub consent: bool,
}

impl From<&pb::Partner> for PartnerDetailsView {
    fn from(p: &pb::Partner) -> Self {
        let esus = p.esus.clone().unwrap_or_default();
        Self {
            status: pb::PartnerStatus::try_from(p.status)
                .ok()
                .and_then(|s| enum_key(s.as_str_name(), "PARTNER_STATUS_")),
            kind: pb::PartnerKind::try_from(p.kind)
                .ok()
                .and_then(|k| enum_key(k.as_str_name(), "PARTNER_KIND_")),
            acronym: non_empty(p.acronym.clone()),
            siren: non_empty(p.siren.clone()),
            rna: non_empty(p.rna.clone()),
            legal_category: non_empty(p.legal_category.clone()),
            sirene_ess: pb::SireneEssFlag::try_from(p.sirene_ess)
                .ok()
                .and_then(|f| enum_key(f.as_str_name(), "SIRENE_ESS_FLAG_")),
            ess_family: pb::EssFamily::try_from(p.ess_family)
                .ok()
                .and_then(|f| enum_key(f.as_str_name(), "ESS_FAMILY_")),
            naf_code: non_empty(p.naf_code.clone()),
            naf_section: non_empty(p.naf_section.clone()),
            epci_code: non_empty(p.epci_code.clone()),
            address_line: non_empty(p.address_line.clone()),
            headcount_band: non_empty(p.headcount_band.clone()),
            headcount_year: (p.headcount_year != 0).then_some(p.headcount_year),
            headcount: p.headcount,
            esus_approved_on: non_empty(esus.approved_on),
            esus_expires_on: non_empty(esus.expires_on),
            themes: p.themes.clone(),
            cress_member: p.cress_member,
            contacts: p
                .contacts
                .iter()
                .map(|c| ContactView {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    role: non_empty(c.role.clone()),
                    email: non_empty(c.email.clone()),
                    phone: non_empty(c.phone.clone()),
                    consent: c.consent,
                })
                .collect(),
            updated_at: p.updated_at.map(|t| t.to_string()),
        }
    }
}

/// Rows appended to a partner's key/value table.
pub fn partner_details_rows(d: &PartnerDetailsView) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("status", or_none(d.status.as_deref())),
        ("kind", or_none(d.kind.as_deref())),
        ("acronym", or_none(d.acronym.as_deref())),
        ("ess family", or_none(d.ess_family.as_deref())),
        ("legal category", or_none(d.legal_category.as_deref())),
        ("naf", or_none(d.naf_code.as_deref())),
        ("epci", or_none(d.epci_code.as_deref())),
        ("cress member", if d.cress_member { "yes" } else { "no" }.to_owned()),
    ];
    if let Some(a) = &d.address_line {
        rows.push(("address", a.clone()));
    }
    if let Some(b) = &d.headcount_band {
        let year = d.headcount_year.map(|y| format!(" ({y})")).unwrap_or_default();
        rows.push(("headcount band", format!("{b}{year}")));
    }
    if let Some(n) = d.headcount {
        rows.push(("headcount", n.to_string()));
    }
    if let Some(from) = &d.esus_approved_on {
        rows.push((
            "esus",
            format!("{from} → {}", d.esus_expires_on.as_deref().unwrap_or("…")),
        ));
    }
    if !d.themes.is_empty() {
        rows.push(("themes", d.themes.join(", ")));
    }
    for c in &d.contacts {
        let consent = if c.consent { "consent" } else { "no consent" };
        let parts: Vec<&str> = [
            Some(c.name.as_str()),
            c.role.as_deref(),
            c.email.as_deref(),
            c.phone.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        rows.push(("contact", format!("{} ({consent}; id {})", parts.join(", "), c.id)));
    }
    rows
}

/// One page of partners.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerPageView {
    pub partners: Vec<PartnerView>,
    pub next_page_token: Option<String>,
}

pub fn partner_page(page: &PartnerPageView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(page),
        Output::Table => {
            let rows: Vec<Vec<String>> = page
                .partners
                .iter()
                .map(|p| {
                    vec![
                        p.id.clone(),
                        p.name.clone(),
                        p.siret.clone(),
                        or_none(p.departement_code.as_deref()),
                        or_none(p.details.kind.as_deref()),
                        or_none(p.details.ess_family.as_deref()),
                        p.version.to_string(),
                    ]
                })
                .collect();
            let mut text = column_table(
                &["ID", "NAME", "SIRET", "DEP", "KIND", "FAMILY", "VERSION"],
                &rows,
                &[Align::Left; 6],
            );
            if let Some(token) = &page.next_page_token {
                text.push_str(&format!("next page: --page-token {token}\n"));
            }
            Ok(text)
        }
    }
}

/// A membership history.
#[derive(Debug, Clone, Serialize)]
pub struct MembershipView {
    pub partner_id: String,
    pub version: i64,
    pub cress_member: bool,
    pub periods: Vec<PeriodView>,
    pub affiliations: Vec<AffiliationView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodView {
    pub member_from: String,
    pub member_until: Option<String>,
    pub college: Option<String>,
    pub mandant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AffiliationView {
    pub id: String,
    pub network_id: String,
    pub network_name: String,
    pub from: String,
    pub until: Option<String>,
}

impl From<pb::MembershipResponse> for MembershipView {
    fn from(m: pb::MembershipResponse) -> Self {
        Self {
            partner_id: m.partner_id,
            version: m.version,
            cress_member: m.cress_member,
            periods: m
                .periods
                .into_iter()
                .map(|p| PeriodView {
                    member_from: p.member_from,
                    member_until: non_empty(p.member_until),
                    college: non_empty(p.college),
                    mandant: p.mandant,
                })
                .collect(),
            affiliations: m
                .affiliations
                .into_iter()
                .map(|a| AffiliationView {
                    id: a.id,
                    network_id: a.network_id,
                    network_name: a.network_name,
                    from: a.from,
                    until: non_empty(a.until),
                })
                .collect(),
        }
    }
}

pub fn membership(m: &MembershipView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(m),
        Output::Table => {
            let mut text = key_value_table(&[
                ("partner", m.partner_id.clone()),
                ("version", m.version.to_string()),
                ("cress member", if m.cress_member { "yes" } else { "no" }.to_owned()),
            ]);
            let periods: Vec<Vec<String>> = m
                .periods
                .iter()
                .map(|p| {
                    vec![
                        p.member_from.clone(),
                        or_none(p.member_until.as_deref()),
                        or_none(p.college.as_deref()),
                        if p.mandant { "yes" } else { "no" }.to_owned(),
                    ]
                })
                .collect();
            text.push('\n');
            text.push_str(&column_table(&["FROM", "UNTIL", "COLLEGE", "MANDANT"], &periods, &[]));
            if !m.affiliations.is_empty() {
                let rows: Vec<Vec<String>> = m
                    .affiliations
                    .iter()
                    .map(|a| {
                        vec![
                            a.id.clone(),
                            a.network_name.clone(),
                            a.from.clone(),
                            or_none(a.until.as_deref()),
                        ]
                    })
                    .collect();
                text.push('\n');
                text.push_str(&column_table(&["AFFILIATION", "NETWORK", "FROM", "UNTIL"], &rows, &[]));
            }
            Ok(text)
        }
    }
}

/// A PTCE.
#[derive(Debug, Clone, Serialize)]
pub struct PtceView {
    pub id: String,
    pub name: String,
    pub territory: String,
    pub lead_partner_id: String,
    pub themes: Vec<String>,
    pub status: Option<String>,
    pub version: i64,
    pub members: Vec<PtceMemberView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PtceMemberView {
    pub partner_id: String,
    pub partner_name: String,
    pub joined_on: String,
    pub left_on: Option<String>,
}

impl From<pb::Ptce> for PtceView {
    fn from(p: pb::Ptce) -> Self {
        Self {
            status: pb::PtceStatus::try_from(p.status)
                .ok()
                .and_then(|s| enum_key(s.as_str_name(), "PTCE_STATUS_")),
            id: p.id,
            name: p.name,
            territory: p.territory,
            lead_partner_id: p.lead_partner_id,
            themes: p.themes,
            version: p.version,
            members: p
                .members
                .into_iter()
                .map(|m| PtceMemberView {
                    partner_id: m.partner_id,
                    partner_name: m.partner_name,
                    joined_on: m.joined_on,
                    left_on: non_empty(m.left_on),
                })
                .collect(),
        }
    }
}

pub fn ptce(p: &PtceView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(p),
        Output::Table => {
            let mut text = key_value_table(&[
                ("id", p.id.clone()),
                ("name", p.name.clone()),
                ("territory", p.territory.clone()),
                ("lead partner", p.lead_partner_id.clone()),
                ("status", or_none(p.status.as_deref())),
                ("themes", p.themes.join(", ")),
                ("version", p.version.to_string()),
            ]);
            if !p.members.is_empty() {
                let rows: Vec<Vec<String>> = p
                    .members
                    .iter()
                    .map(|m| {
                        vec![
                            m.partner_id.clone(),
                            m.partner_name.clone(),
                            m.joined_on.clone(),
                            or_none(m.left_on.as_deref()),
                        ]
                    })
                    .collect();
                text.push('\n');
                text.push_str(&column_table(&["MEMBER", "NAME", "JOINED", "LEFT"], &rows, &[]));
            }
            Ok(text)
        }
    }
}

pub fn ptces(list: &[PtceView], output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(&list),
        Output::Table => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|p| {
                    vec![
                        p.id.clone(),
                        p.name.clone(),
                        p.territory.clone(),
                        or_none(p.status.as_deref()),
                        p.members.iter().filter(|m| m.left_on.is_none()).count().to_string(),
                    ]
                })
                .collect();
            Ok(column_table(
                &["ID", "NAME", "TERRITORY", "STATUS", "MEMBERS"],
                &rows,
                &[Align::Left, Align::Left, Align::Left, Align::Left, Align::Right],
            ))
        }
    }
}

/// An initiative.
#[derive(Debug, Clone, Serialize)]
pub struct InitiativeView {
    pub id: String,
    pub name: String,
    pub kind: Option<String>,
    pub holder_id: String,
    pub territory: String,
    pub stage: Option<String>,
    pub history: Vec<StageView>,
    pub support_partner_ids: Vec<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageView {
    pub stage: Option<String>,
    pub on: String,
    pub note: Option<String>,
}

fn stage_key(n: i32) -> Option<String> {
    pb::InitiativeStage::try_from(n)
        .ok()
        .and_then(|s| enum_key(s.as_str_name(), "INITIATIVE_STAGE_"))
}

impl From<pb::Initiative> for InitiativeView {
    fn from(i: pb::Initiative) -> Self {
        Self {
            kind: pb::InitiativeKind::try_from(i.kind)
                .ok()
                .and_then(|k| enum_key(k.as_str_name(), "INITIATIVE_KIND_")),
            stage: stage_key(i.stage),
            id: i.id,
            name: i.name,
            holder_id: i.holder_id,
            territory: i.territory,
            history: i
                .history
                .into_iter()
                .map(|h| StageView {
                    stage: stage_key(h.stage),
                    on: h.on,
                    note: non_empty(h.note),
                })
                .collect(),
            support_partner_ids: i.support_partner_ids,
            version: i.version,
        }
    }
}

pub fn initiative(i: &InitiativeView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(i),
        Output::Table => {
            let mut text = key_value_table(&[
                ("id", i.id.clone()),
                ("name", i.name.clone()),
                ("kind", or_none(i.kind.as_deref())),
                ("holder", i.holder_id.clone()),
                ("territory", i.territory.clone()),
                ("stage", or_none(i.stage.as_deref())),
                ("supports", i.support_partner_ids.join(", ")),
                ("version", i.version.to_string()),
            ]);
            let rows: Vec<Vec<String>> = i
                .history
                .iter()
                .map(|h| vec![h.on.clone(), or_none(h.stage.as_deref()), or_none(h.note.as_deref())])
                .collect();
            text.push('\n');
            text.push_str(&column_table(&["ON", "STAGE", "NOTE"], &rows, &[]));
            Ok(text)
        }
    }
}

pub fn initiatives(list: &[InitiativeView], output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(&list),
        Output::Table => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|i| {
                    vec![
                        i.id.clone(),
                        i.name.clone(),
                        or_none(i.kind.as_deref()),
                        or_none(i.stage.as_deref()),
                        i.territory.clone(),
                    ]
                })
                .collect();
            Ok(column_table(&["ID", "NAME", "KIND", "STAGE", "TERRITORY"], &rows, &[]))
        }
    }
}

/// What a SIRENE import did, with the bad rows it reported.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SireneImportView {
    pub units_read: i64,
    pub units_kept: i64,
    pub establishments_read: i64,
    pub establishments_kept: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// Partners archived because their establishment closed.
    pub archived: i64,
    pub bad_rows: i64,
    pub reported: Vec<BadRowView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BadRowView {
    pub file: String,
    pub line: i64,
    pub reason: String,
}

pub fn sirene_import(v: &SireneImportView, output: Output) -> Result<String, Failure> {
    match output {
        Output::Json => json(v),
        Output::Table => {
            let mut text = key_value_table(&[
                ("units read", v.units_read.to_string()),
                ("ESS units", v.units_kept.to_string()),
                ("establishments read", v.establishments_read.to_string()),
                ("establishments kept", v.establishments_kept.to_string()),
                ("partners created", v.created.to_string()),
                ("partners updated", v.updated.to_string()),
                ("partners unchanged", v.unchanged.to_string()),
                ("partners archived (establishment closed)", v.archived.to_string()),
                ("bad rows", v.bad_rows.to_string()),
            ]);
            if !v.reported.is_empty() {
                let rows: Vec<Vec<String>> = v
                    .reported
                    .iter()
                    .map(|b| vec![b.file.clone(), b.line.to_string(), b.reason.clone()])
                    .collect();
                text.push('\n');
                text.push_str(&column_table(
                    &["FILE", "LINE", "REASON"],
                    &rows,
                    &[Align::Left, Align::Right, Align::Left],
                ));
            }
            Ok(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names_become_lower_case_keys_and_unspecified_none() {
        let p = pb::Partner {
            kind: pb::PartnerKind::EssEnterprise as i32,
            ess_family: pb::EssFamily::SocieteCommercialeEss as i32,
            ..Default::default()
        };
        let d = PartnerDetailsView::from(&p);
        assert_eq!(d.kind.as_deref(), Some("ess_enterprise"));
        assert_eq!(d.ess_family.as_deref(), Some("societe_commerciale_ess"));
        assert_eq!(d.status, None);
    }

    #[test]
    fn a_page_prints_the_next_token() {
        let page = PartnerPageView {
            partners: vec![PartnerView {
                id: "1".into(),
                name: "Théâtre".into(),
                siret: "73282932000074".into(),
                departement_code: Some("14".into()),
                version: 2,
                ..Default::default()
            }],
            next_page_token: Some("abc".into()),
        };
        let text = partner_page(&page, Output::Table).expect("renders");
        assert_eq!(
            text,
            "ID  NAME     SIRET           DEP  KIND  FAMILY  VERSION\n\
             1   Théâtre  73282932000074  14   -     -       2\n\
             next page: --page-token abc\n"
        );
    }
}
