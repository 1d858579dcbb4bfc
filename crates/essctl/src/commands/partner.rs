//! `essctl partner create|get`: calls to the registry's `PartnerRegistry` service. Spans carry the
//! partner id only, never the name or SIRET (a sole trader's SIRET identifies a person).

use ess_proto::registry::v1::{
    CreatePartnerRequest, GetPartnerRequest, Partner, partner_registry_client::PartnerRegistryClient,
};
use tracing::field::Empty;

use platform::grpc::TraceContextInterceptor;

use super::{call, channel, request};
use crate::{
    cli::{CreatePartnerArgs, GlobalArgs},
    failure::{Failure, Service},
    view::PartnerView,
};

/// Registers a partner and returns it as the registry stored it.
pub async fn create(global: &GlobalArgs, args: &CreatePartnerArgs) -> Result<PartnerView, Failure> {
    let url = global.registry_url.as_str();
    let span = tracing::info_span!(
        parent: None,
        "essctl partner create",
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.registry.v1.PartnerRegistry",
        rpc.method = "CreatePartner",
        rpc.grpc.status_code = Empty,
        server.address = %url,
        ess.partner.id = Empty,
    );
    let mut client = PartnerRegistryClient::with_interceptor(
        channel(Service::Registry, url, global.timeout)?,
        TraceContextInterceptor,
    );
    let message = CreatePartnerRequest {
        name: args.name.clone(),
        siret: args.siret.clone(),
        commune_code: args.commune.clone().unwrap_or_default(),
        postal_code: args.postal_code.clone().unwrap_or_default(),
    };
    let response = call(
        Service::Registry,
        url,
        global.timeout,
        &span,
        client.create_partner(request(message, global.timeout)),
    )
    .await?;
    let partner = required(response.partner, url)?;
    span.record("ess.partner.id", partner.id.as_str());
    Ok(partner.into())
}

/// Reads one partner by id.
pub async fn get(global: &GlobalArgs, id: &str) -> Result<PartnerView, Failure> {
    let url = global.registry_url.as_str();
    let span = tracing::info_span!(
        parent: None,
        "essctl partner get",
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.registry.v1.PartnerRegistry",
        rpc.method = "GetPartner",
        rpc.grpc.status_code = Empty,
        server.address = %url,
        ess.partner.id = %id,
    );
    let mut client = PartnerRegistryClient::with_interceptor(
        channel(Service::Registry, url, global.timeout)?,
        TraceContextInterceptor,
    );
    let message = GetPartnerRequest { id: id.to_owned() };
    let response = call(
        Service::Registry,
        url,
        global.timeout,
        &span,
        client.get_partner(request(message, global.timeout)),
    )
    .await?;
    Ok(required(response.partner, url)?.into())
}

/// The contract promises a partner in every OK answer; its absence is the server's bug.
fn required(partner: Option<Partner>, url: &str) -> Result<Partner, Failure> {
    partner.ok_or_else(|| Failure::BadAnswer {
        service: Service::Registry,
        url: url.to_owned(),
        what: "the answer holds no partner".to_owned(),
    })
}
