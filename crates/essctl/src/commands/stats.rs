//! `essctl stats ...`: figures from the observatory's `Observatory` service.

use ess_proto::observatory::v1::{CountPartnersByDepartementRequest, observatory_client::ObservatoryClient};
use tracing::field::Empty;

use platform::grpc::TraceContextInterceptor;

use super::{call, channel, request};
use crate::{
    cli::GlobalArgs,
    failure::{Failure, Service},
    view::DepartementStatsView,
};

/// Number of registry partners per département, as projected by the observatory.
pub async fn partners_by_departement(global: &GlobalArgs) -> Result<DepartementStatsView, Failure> {
    let url = global.observatory_url.as_str();
    let span = tracing::info_span!(
        parent: None,
        "essctl stats partners-by-departement",
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.observatory.v1.Observatory",
        rpc.method = "CountPartnersByDepartement",
        rpc.grpc.status_code = Empty,
        server.address = %url,
    );
    let mut client = ObservatoryClient::with_interceptor(
        channel(Service::Observatory, url, global.timeout)?,
        TraceContextInterceptor,
    );
    let response = call(
        Service::Observatory,
        url,
        global.timeout,
        &span,
        client.count_partners_by_departement(request(CountPartnersByDepartementRequest {}, global.timeout)),
    )
    .await?;
    Ok(response.into())
}
