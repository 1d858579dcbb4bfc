//! `essctl partner …`: calls to the registry's `PartnerRegistry` service. Spans carry the partner
//! id only, never a name, a SIRET (a sole trader's SIRET identifies a person) or a contact.

use ess_proto::registry::v1::{
    self as pb, CreatePartnerRequest, GetPartnerRequest, Partner, lookup_partners_request::Key,
    partner_registry_client::PartnerRegistryClient,
};
use tracing::{Span, field::Empty};

use super::{
    Transport, call,
    registry_cli::{ContactCommand, EssFlagArg, FamilyArg, KindArg, ListPartnersArgs, PartnerDetailsArgs},
    registry_view::{self as rview, PartnerPageView},
    request, transport,
};
use crate::{
    cli::{CreatePartnerArgs, GlobalArgs, PartnerCommand},
    failure::{Failure, Service},
    render,
    view::PartnerView,
};

type Client = PartnerRegistryClient<Transport>;

fn client(global: &GlobalArgs) -> Result<Client, Failure> {
    Ok(PartnerRegistryClient::new(transport(
        Service::Registry,
        &global.registry_url,
        global.timeout,
        global.bearer()?,
    )?))
}

/// The command's root span, named after the RPC it makes.
fn span(global: &GlobalArgs, command: &'static str, method: &'static str) -> Span {
    tracing::info_span!(
        parent: None,
        "essctl partner",
        otel.name = command,
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.registry.v1.PartnerRegistry",
        rpc.method = method,
        rpc.grpc.status_code = Empty,
        server.address = %global.registry_url,
        ess.partner.id = Empty,
    )
}

pub fn kind(k: KindArg) -> pb::PartnerKind {
    match k {
        KindArg::EssEnterprise => pb::PartnerKind::EssEnterprise,
        KindArg::Network => pb::PartnerKind::Network,
        KindArg::EmployerOrganisation => pb::PartnerKind::EmployerOrganisation,
        KindArg::SupportStructure => pb::PartnerKind::SupportStructure,
        KindArg::PublicBody => pb::PartnerKind::PublicBody,
        KindArg::TrainingBody => pb::PartnerKind::TrainingBody,
        KindArg::Other => pb::PartnerKind::Other,
    }
}

fn family(f: FamilyArg) -> pb::EssFamily {
    match f {
        FamilyArg::Association => pb::EssFamily::Association,
        FamilyArg::Cooperative => pb::EssFamily::Cooperative,
        FamilyArg::Mutuelle => pb::EssFamily::Mutuelle,
        FamilyArg::Fondation => pb::EssFamily::Fondation,
        FamilyArg::SocieteCommercialeEss => pb::EssFamily::SocieteCommercialeEss,
        FamilyArg::HorsEss => pb::EssFamily::HorsEss,
    }
}

fn flag(f: EssFlagArg) -> pb::SireneEssFlag {
    match f {
        EssFlagArg::Yes => pb::SireneEssFlag::Yes,
        EssFlagArg::No => pb::SireneEssFlag::No,
    }
}

/// The create request the command line describes (every option but the identity is optional).
pub fn create_request(args: &CreatePartnerArgs) -> CreatePartnerRequest {
    let d = &args.details;
    CreatePartnerRequest {
        name: args.name.clone(),
        siret: args.siret.clone(),
        commune_code: args.commune.clone().unwrap_or_default(),
        postal_code: args.postal_code.clone().unwrap_or_default(),
        siren: args.siren.clone().unwrap_or_default(),
        kind: d.kind.map(kind).unwrap_or(pb::PartnerKind::Unspecified) as i32,
        acronym: d.acronym.clone().unwrap_or_default(),
        rna: d.rna.clone().unwrap_or_default(),
        legal_category: d.legal_category.clone().unwrap_or_default(),
        sirene_ess: d.sirene_ess.map(flag).unwrap_or(pb::SireneEssFlag::Unspecified) as i32,
        naf_code: d.naf.clone().unwrap_or_default(),
        address_line: d.address.clone().unwrap_or_default(),
        headcount_band: d.headcount_band.clone().unwrap_or_default(),
        headcount_year: d.headcount_year.unwrap_or_default(),
        headcount: d.headcount,
        esus: esus(d, None),
        themes: d.themes.clone(),
        contacts: vec![],
    }
}

fn esus(d: &PartnerDetailsArgs, current: Option<&pb::EsusApproval>) -> Option<pb::EsusApproval> {
    let from = d.esus_from.clone().or_else(|| current.map(|c| c.approved_on.clone()));
    let until = d.esus_until.clone().or_else(|| current.map(|c| c.expires_on.clone()));
    match (from, until) {
        (None, None) => None,
        (from, until) => Some(pb::EsusApproval {
            approved_on: from.unwrap_or_default(),
            expires_on: until.unwrap_or_default(),
        }),
    }
}

/// The update request: the partner as read, with the options given on the command line applied.
pub fn update_request(current: &Partner, args: &super::registry_cli::UpdatePartnerArgs) -> pb::UpdatePartnerRequest {
    let d = &args.details;
    let pick = |given: &Option<String>, now: &str| given.clone().unwrap_or_else(|| now.to_owned());
    pb::UpdatePartnerRequest {
        id: current.id.clone(),
        expected_version: args.expected_version.unwrap_or(current.version),
        name: pick(&args.name, &current.name),
        commune_code: pick(&args.commune, &current.commune_code),
        postal_code: pick(&args.postal_code, &current.postal_code),
        kind: d.kind.map(|k| kind(k) as i32).unwrap_or(current.kind),
        acronym: pick(&d.acronym, &current.acronym),
        rna: pick(&d.rna, &current.rna),
        legal_category: pick(&d.legal_category, &current.legal_category),
        sirene_ess: d.sirene_ess.map(|f| flag(f) as i32).unwrap_or(current.sirene_ess),
        naf_code: pick(&d.naf, &current.naf_code),
        address_line: pick(&d.address, &current.address_line),
        headcount_band: pick(&d.headcount_band, &current.headcount_band),
        headcount_year: d.headcount_year.unwrap_or(current.headcount_year),
        headcount: d.headcount.or(current.headcount),
        esus: esus(d, current.esus.as_ref()),
        themes: if d.themes.is_empty() {
            current.themes.clone()
        } else {
            d.themes.clone()
        },
    }
}

/// Registers a partner and returns it as the registry stored it.
pub async fn create(global: &GlobalArgs, args: &CreatePartnerArgs) -> Result<PartnerView, Failure> {
    let span = span(global, "essctl partner create", "CreatePartner");
    let message = create_request(args);
    let response = call(
        Service::Registry,
        &global.registry_url,
        global.timeout,
        &span,
        client(global)?.create_partner(request(message, global.timeout)),
    )
    .await?;
    let partner = required(response.partner, &global.registry_url)?;
    span.record("ess.partner.id", partner.id.as_str());
    Ok(partner.into())
}

/// Reads one partner by id.
pub async fn get(global: &GlobalArgs, id: &str) -> Result<PartnerView, Failure> {
    Ok(read(global, id).await?.into())
}

async fn read(global: &GlobalArgs, id: &str) -> Result<Partner, Failure> {
    let span = span(global, "essctl partner get", "GetPartner");
    span.record("ess.partner.id", id);
    let message = GetPartnerRequest { id: id.to_owned() };
    let response = call(
        Service::Registry,
        &global.registry_url,
        global.timeout,
        &span,
        client(global)?.get_partner(request(message, global.timeout)),
    )
    .await?;
    required(response.partner, &global.registry_url)
}

/// The other `partner` commands, answered as text.
pub async fn run(global: &GlobalArgs, command: &PartnerCommand) -> Result<String, Failure> {
    let url = global.registry_url.as_str();
    let t = global.timeout;
    match command {
        PartnerCommand::Create(args) => render::partner(&create(global, args).await?, global.output),
        PartnerCommand::Get(args) => render::partner(&get(global, &args.id).await?, global.output),
        PartnerCommand::Update(args) => {
            let current = read(global, &args.id).await?;
            let span = span(global, "essctl partner update", "UpdatePartner");
            span.record("ess.partner.id", args.id.as_str());
            let message = update_request(&current, args);
            let r = call(
                Service::Registry,
                url,
                t,
                &span,
                client(global)?.update_partner(request(message, t)),
            )
            .await?;
            render::partner(&required(r.partner, url)?.into(), global.output)
        }
        PartnerCommand::Archive(args) => {
            let span = span(global, "essctl partner archive", "ArchivePartner");
            span.record("ess.partner.id", args.id.as_str());
            let message = pb::ArchivePartnerRequest {
                id: args.id.clone(),
                expected_version: args.expected_version,
            };
            let r = call(
                Service::Registry,
                url,
                t,
                &span,
                client(global)?.archive_partner(request(message, t)),
            )
            .await?;
            render::partner(&required(r.partner, url)?.into(), global.output)
        }
        PartnerCommand::List(args) => {
            let span = span(global, "essctl partner list", "ListPartners");
            let r = call(
                Service::Registry,
                url,
                t,
                &span,
                client(global)?.list_partners(request(list_request(args), t)),
            )
            .await?;
            let page = PartnerPageView {
                partners: r.partners.into_iter().map(PartnerView::from).collect(),
                next_page_token: Some(r.next_page_token).filter(|t| !t.is_empty()),
            };
            rview::partner_page(&page, global.output)
        }
        PartnerCommand::Lookup(args) => {
            let span = span(global, "essctl partner lookup", "LookupPartners");
            let key = match (&args.siren, &args.siret) {
                (Some(siren), _) => Key::Siren(siren.clone()),
                (None, Some(siret)) => Key::Siret(siret.clone()),
                (None, None) => Key::Siren(String::new()),
            };
            let message = pb::LookupPartnersRequest { key: Some(key) };
            let r = call(
                Service::Registry,
                url,
                t,
                &span,
                client(global)?.lookup_partners(request(message, t)),
            )
            .await?;
            let page = PartnerPageView {
                partners: r.partners.into_iter().map(PartnerView::from).collect(),
                next_page_token: None,
            };
            rview::partner_page(&page, global.output)
        }
        PartnerCommand::Contact(ContactCommand::Add(args)) => {
            let span = span(global, "essctl partner contact add", "AddContact");
            span.record("ess.partner.id", args.partner_id.as_str());
            let message = pb::AddContactRequest {
                partner_id: args.partner_id.clone(),
                expected_version: args.expected_version,
                contact: Some(pb::Contact {
                    id: String::new(),
                    name: args.name.clone(),
                    role: args.role.clone().unwrap_or_default(),
                    email: args.email.clone().unwrap_or_default(),
                    phone: args.phone.clone().unwrap_or_default(),
                    consent: args.consent,
                }),
            };
            let r = call(
                Service::Registry,
                url,
                t,
                &span,
                client(global)?.add_contact(request(message, t)),
            )
            .await?;
            render::partner(&required(r.partner, url)?.into(), global.output)
        }
        PartnerCommand::Contact(ContactCommand::Erase(args)) => {
            let span = span(global, "essctl partner contact erase", "EraseContact");
            span.record("ess.partner.id", args.partner_id.as_str());
            let message = pb::EraseContactRequest {
                partner_id: args.partner_id.clone(),
                contact_id: args.contact_id.clone(),
            };
            let r = call(
                Service::Registry,
                url,
                t,
                &span,
                client(global)?.erase_contact(request(message, t)),
            )
            .await?;
            render::partner(&required(r.partner, url)?.into(), global.output)
        }
    }
}

/// The list request the command line describes.
pub fn list_request(args: &ListPartnersArgs) -> pb::ListPartnersRequest {
    pb::ListPartnersRequest {
        page_size: args.page_size,
        page_token: args.page_token.clone().unwrap_or_default(),
        query: args.query.clone().unwrap_or_default(),
        kind: args.kind.map(kind).unwrap_or(pb::PartnerKind::Unspecified) as i32,
        ess_family: args.family.map(family).unwrap_or(pb::EssFamily::Unspecified) as i32,
        departement_code: args.departement.clone().unwrap_or_default(),
        epci_code: args.epci.clone().unwrap_or_default(),
        commune_code: args.commune.clone().unwrap_or_default(),
        naf: args.naf.clone().unwrap_or_default(),
        cress_member: args.cress_member,
        include_archived: args.include_archived,
        ptce_id: args.ptce.clone().unwrap_or_default(),
    }
}

/// The contract promises a partner in every OK answer; its absence is the server's bug.
fn required(partner: Option<Partner>, url: &str) -> Result<Partner, Failure> {
    partner.ok_or_else(|| Failure::BadAnswer {
        service: Service::Registry,
        url: url.to_owned(),
        what: "the answer holds no partner".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::registry_cli::UpdatePartnerArgs;

    #[test]
    fn an_update_keeps_what_the_command_line_does_not_change() {
        let current = Partner {
            id: "p1".into(),
            name: "Coop".into(),
            commune_code: "14118".into(),
            legal_category: "9220".into(),
            themes: vec!["Emploi".into()],
            version: 4,
            esus: Some(pb::EsusApproval {
                approved_on: "2022-01-01".into(),
                expires_on: String::new(),
            }),
            ..Default::default()
        };
        let args = UpdatePartnerArgs {
            id: "p1".into(),
            expected_version: None,
            name: Some("Coop nouvelle".into()),
            commune: None,
            postal_code: None,
            details: PartnerDetailsArgs {
                esus_until: Some("2027-01-01".into()),
                ..Default::default()
            },
        };
        let r = update_request(&current, &args);
        assert_eq!((r.name.as_str(), r.commune_code.as_str()), ("Coop nouvelle", "14118"));
        assert_eq!((r.expected_version, r.legal_category.as_str()), (4, "9220"));
        assert_eq!(r.themes, ["Emploi"]);
        let esus = r.esus.expect("kept and extended");
        assert_eq!(
            (esus.approved_on.as_str(), esus.expires_on.as_str()),
            ("2022-01-01", "2027-01-01")
        );
    }
}
