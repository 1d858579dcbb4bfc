//! `essctl membership …`, `essctl ptce …` and `essctl initiative …`: calls to the registry's
//! `Membership`, `Ptces` and `Initiatives` services. Spans carry ids only.

use ess_proto::registry::v1::{
    self as pb, initiatives_client::InitiativesClient, membership_client::MembershipClient, ptces_client::PtcesClient,
};
use tracing::{Span, field::Empty};

use super::{
    call, paging,
    registry_cli::{InitiativeCommand, InitiativeKindArg, MembershipCommand, PtceCommand, PtceStatusArg, StageArg},
    registry_view::{self as rview, InitiativeView, MembershipView, PtceView},
    request, transport,
};
use crate::{
    cli::GlobalArgs,
    failure::{Failure, Service},
};

fn span(global: &GlobalArgs, command: &'static str, service: &'static str, method: &'static str) -> Span {
    tracing::info_span!(
        parent: None,
        "essctl registry",
        otel.name = command,
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = Empty,
        server.address = %global.registry_url,
    )
}

fn bad_answer(global: &GlobalArgs, what: &str) -> Failure {
    Failure::BadAnswer {
        service: Service::Registry,
        url: global.registry_url.clone(),
        what: what.to_owned(),
    }
}

/// `essctl membership …`
pub async fn membership(global: &GlobalArgs, command: &MembershipCommand) -> Result<String, Failure> {
    let (url, t) = (global.registry_url.as_str(), global.timeout);
    let mut client = MembershipClient::new(transport(Service::Registry, url, t, global.bearer()?)?);
    const SVC: &str = "ess.registry.v1.Membership";
    let answer = match command {
        MembershipCommand::Show { partner_id } => {
            let span = span(global, "essctl membership show", SVC, "GetMembership");
            let m = pb::GetMembershipRequest {
                partner_id: partner_id.clone(),
            };
            call(Service::Registry, url, t, &span, client.get_membership(request(m, t))).await?
        }
        MembershipCommand::Join {
            partner_id,
            expected_version,
            from,
            college,
            mandant,
        } => {
            let span = span(global, "essctl membership join", SVC, "JoinCress");
            let m = pb::JoinCressRequest {
                partner_id: partner_id.clone(),
                expected_version: *expected_version,
                member_from: from.clone(),
                college: college.clone().unwrap_or_default(),
                mandant: *mandant,
            };
            call(Service::Registry, url, t, &span, client.join_cress(request(m, t))).await?
        }
        MembershipCommand::Leave {
            partner_id,
            expected_version,
            until,
        } => {
            let span = span(global, "essctl membership leave", SVC, "LeaveCress");
            let m = pb::LeaveCressRequest {
                partner_id: partner_id.clone(),
                expected_version: *expected_version,
                member_until: until.clone(),
            };
            call(Service::Registry, url, t, &span, client.leave_cress(request(m, t))).await?
        }
        MembershipCommand::Affiliate {
            partner_id,
            expected_version,
            network,
            from,
            until,
        } => {
            let span = span(global, "essctl membership affiliate", SVC, "AddAffiliation");
            let m = pb::AddAffiliationRequest {
                partner_id: partner_id.clone(),
                expected_version: *expected_version,
                network_id: network.clone(),
                from: from.clone(),
                until: until.clone().unwrap_or_default(),
            };
            call(Service::Registry, url, t, &span, client.add_affiliation(request(m, t))).await?
        }
        MembershipCommand::EndAffiliation {
            partner_id,
            expected_version,
            affiliation,
            until,
        } => {
            let span = span(global, "essctl membership end-affiliation", SVC, "EndAffiliation");
            let m = pb::EndAffiliationRequest {
                partner_id: partner_id.clone(),
                expected_version: *expected_version,
                affiliation_id: affiliation.clone(),
                until: until.clone(),
            };
            call(Service::Registry, url, t, &span, client.end_affiliation(request(m, t))).await?
        }
    };
    rview::membership(&MembershipView::from(answer), global.output)
}

fn ptce_status(s: PtceStatusArg) -> pb::PtceStatus {
    match s {
        PtceStatusArg::Emerging => pb::PtceStatus::Emerging,
        PtceStatusArg::Active => pb::PtceStatus::Active,
        PtceStatusArg::Closed => pb::PtceStatus::Closed,
    }
}

/// `essctl ptce …`
pub async fn ptce(global: &GlobalArgs, command: &PtceCommand) -> Result<String, Failure> {
    let (url, t) = (global.registry_url.as_str(), global.timeout);
    let mut client = PtcesClient::new(transport(Service::Registry, url, t, global.bearer()?)?);
    const SVC: &str = "ess.registry.v1.Ptces";
    let answer = match command {
        PtceCommand::List(page) => {
            let span = span(global, "essctl ptce list", SVC, "ListPtces");
            let (rows, next) = paging::fetch(page, |page_token| {
                let (mut client, span) = (client.clone(), span.clone());
                let m = pb::ListPtcesRequest {
                    page_size: page.page_size,
                    page_token,
                };
                async move {
                    let r = call(Service::Registry, url, t, &span, client.list_ptces(request(m, t))).await?;
                    Ok((r.ptces, r.next_page_token))
                }
            })
            .await?;
            let list: Vec<PtceView> = rows.into_iter().map(PtceView::from).collect();
            return Ok(paging::with_next(
                rview::ptces(&list, global.output)?,
                &next,
                global.output,
            ));
        }
        PtceCommand::Get { id } => {
            let span = span(global, "essctl ptce get", SVC, "GetPtce");
            let m = pb::GetPtceRequest { id: id.clone() };
            call(Service::Registry, url, t, &span, client.get_ptce(request(m, t))).await?
        }
        PtceCommand::Create {
            name,
            territory,
            lead,
            themes,
            status,
        } => {
            let span = span(global, "essctl ptce create", SVC, "CreatePtce");
            let m = pb::CreatePtceRequest {
                name: name.clone(),
                territory: territory.clone(),
                lead_partner_id: lead.clone(),
                themes: themes.clone(),
                status: status.map(ptce_status).unwrap_or(pb::PtceStatus::Unspecified) as i32,
            };
            call(Service::Registry, url, t, &span, client.create_ptce(request(m, t))).await?
        }
        PtceCommand::Join {
            id,
            expected_version,
            partner,
            on,
        } => {
            let span = span(global, "essctl ptce join", SVC, "JoinPtce");
            let m = pb::JoinPtceRequest {
                ptce_id: id.clone(),
                expected_version: *expected_version,
                partner_id: partner.clone(),
                joined_on: on.clone(),
            };
            call(Service::Registry, url, t, &span, client.join_ptce(request(m, t))).await?
        }
        PtceCommand::Leave {
            id,
            expected_version,
            partner,
            on,
        } => {
            let span = span(global, "essctl ptce leave", SVC, "LeavePtce");
            let m = pb::LeavePtceRequest {
                ptce_id: id.clone(),
                expected_version: *expected_version,
                partner_id: partner.clone(),
                left_on: on.clone(),
            };
            call(Service::Registry, url, t, &span, client.leave_ptce(request(m, t))).await?
        }
        PtceCommand::Status {
            id,
            expected_version,
            status,
        } => {
            let span = span(global, "essctl ptce status", SVC, "SetPtceStatus");
            let m = pb::SetPtceStatusRequest {
                ptce_id: id.clone(),
                expected_version: *expected_version,
                status: ptce_status(*status) as i32,
            };
            call(Service::Registry, url, t, &span, client.set_ptce_status(request(m, t))).await?
        }
    };
    let ptce = answer
        .ptce
        .ok_or_else(|| bad_answer(global, "the answer holds no PTCE"))?;
    rview::ptce(&PtceView::from(ptce), global.output)
}

fn initiative_kind(k: InitiativeKindArg) -> pb::InitiativeKind {
    match k {
        InitiativeKindArg::SocialInnovation => pb::InitiativeKind::SocialInnovation,
        InitiativeKindArg::BusinessCreation => pb::InitiativeKind::BusinessCreation,
        InitiativeKindArg::Takeover => pb::InitiativeKind::Takeover,
    }
}

fn stage(s: StageArg) -> pb::InitiativeStage {
    match s {
        StageArg::Idea => pb::InitiativeStage::Idea,
        StageArg::Emergence => pb::InitiativeStage::Emergence,
        StageArg::Launch => pb::InitiativeStage::Launch,
        StageArg::Consolidation => pb::InitiativeStage::Consolidation,
        StageArg::Abandoned => pb::InitiativeStage::Abandoned,
    }
}

/// `essctl initiative …`
pub async fn initiative(global: &GlobalArgs, command: &InitiativeCommand) -> Result<String, Failure> {
    let (url, t) = (global.registry_url.as_str(), global.timeout);
    let mut client = InitiativesClient::new(transport(Service::Registry, url, t, global.bearer()?)?);
    const SVC: &str = "ess.registry.v1.Initiatives";
    let answer = match command {
        InitiativeCommand::List {
            holder,
            kind,
            stage: at,
            page,
        } => {
            let span = span(global, "essctl initiative list", SVC, "ListInitiatives");
            let (rows, next) = paging::fetch(page, |page_token| {
                let (mut client, span) = (client.clone(), span.clone());
                let m = pb::ListInitiativesRequest {
                    holder_id: holder.clone().unwrap_or_default(),
                    kind: kind.map(initiative_kind).unwrap_or(pb::InitiativeKind::Unspecified) as i32,
                    stage: at.map(stage).unwrap_or(pb::InitiativeStage::Unspecified) as i32,
                    page_size: page.page_size,
                    page_token,
                };
                async move {
                    let r = call(Service::Registry, url, t, &span, client.list_initiatives(request(m, t))).await?;
                    Ok((r.initiatives, r.next_page_token))
                }
            })
            .await?;
            let list: Vec<InitiativeView> = rows.into_iter().map(InitiativeView::from).collect();
            return Ok(paging::with_next(
                rview::initiatives(&list, global.output)?,
                &next,
                global.output,
            ));
        }
        InitiativeCommand::Get { id } => {
            let span = span(global, "essctl initiative get", SVC, "GetInitiative");
            let m = pb::GetInitiativeRequest { id: id.clone() };
            call(Service::Registry, url, t, &span, client.get_initiative(request(m, t))).await?
        }
        InitiativeCommand::Create {
            name,
            kind,
            holder,
            territory,
            stage: first,
            since,
            note,
            supports,
        } => {
            let span = span(global, "essctl initiative create", SVC, "CreateInitiative");
            let m = pb::CreateInitiativeRequest {
                name: name.clone(),
                kind: initiative_kind(*kind) as i32,
                holder_id: holder.clone(),
                territory: territory.clone(),
                stage: first.map(stage).unwrap_or(pb::InitiativeStage::Unspecified) as i32,
                since: since.clone(),
                note: note.clone().unwrap_or_default(),
                support_partner_ids: supports.clone(),
            };
            call(
                Service::Registry,
                url,
                t,
                &span,
                client.create_initiative(request(m, t)),
            )
            .await?
        }
        InitiativeCommand::Stage {
            id,
            expected_version,
            stage: to,
            on,
            note,
        } => {
            let span = span(global, "essctl initiative stage", SVC, "ChangeInitiativeStage");
            let m = pb::ChangeInitiativeStageRequest {
                id: id.clone(),
                expected_version: *expected_version,
                stage: stage(*to) as i32,
                on: on.clone(),
                note: note.clone().unwrap_or_default(),
            };
            call(
                Service::Registry,
                url,
                t,
                &span,
                client.change_initiative_stage(request(m, t)),
            )
            .await?
        }
    };
    let initiative = answer
        .initiative
        .ok_or_else(|| bad_answer(global, "the answer holds no initiative"))?;
    rview::initiative(&InitiativeView::from(initiative), global.output)
}
