//! The registry as this service asks it questions: is this partner known and active? One client,
//! built once in `App::build` from `REGISTRY_URL` and shared by the handlers; each call runs in a
//! client span so that the trace continues into the registry (`BearerInterceptor` sends this
//! service's own token, `REGISTRY_TOKEN`, role `service`, and the trace context).

use std::time::Duration;

use ess_proto::registry::v1::{GetPartnerRequest, PartnerStatus, partner_registry_client::PartnerRegistryClient};
use platform::{
    grpc::{AuthChannel, with_token},
    secret::Secret,
};
use tonic::Code;
use tracing::{Instrument as _, field::Empty};
use uuid::Uuid;

/// What the registry says of a would-be organiser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerCheck {
    /// Known and active: its current name and version (to refresh the directory).
    Active {
        name: String,
        version: i64,
    },
    Archived,
    Unknown,
}

/// The registry could not answer: the organiser stays unvalidated and the request is refused.
#[derive(Debug, thiserror::Error)]
#[error("the registry did not answer ({code:?})")]
pub struct RegistryUnavailable {
    pub code: Code,
}

/// A shared client of `ess.registry.v1.PartnerRegistry`.
#[derive(Clone)]
pub struct Registry {
    client: PartnerRegistryClient<AuthChannel>,
    timeout: Duration,
}

impl Registry {
    /// A lazily connected client: a registry that is down shows up as [`RegistryUnavailable`] on
    /// the call, not here. Fails only on a malformed URL.
    pub fn new(url: &str, token: &Secret, timeout: Duration) -> anyhow::Result<Self> {
        let channel = platform::grpc::channel(url, timeout)?;
        Ok(Self {
            client: PartnerRegistryClient::new(with_token(channel, token)),
            timeout,
        })
    }

    /// Asks the registry about `partner`.
    pub async fn check_partner(&self, partner: Uuid) -> Result<PartnerCheck, RegistryUnavailable> {
        let span = tracing::info_span!(
            "grpc.client",
            otel.name = "ess.registry.v1.PartnerRegistry/GetPartner",
            otel.kind = "client",
            rpc.system = "grpc",
            rpc.service = "ess.registry.v1.PartnerRegistry",
            rpc.method = "GetPartner",
            rpc.grpc.status_code = Empty,
            ess.partner.id = %partner,
        );
        let mut request = tonic::Request::new(GetPartnerRequest {
            id: partner.to_string(),
        });
        request.set_timeout(self.timeout);
        let mut client = self.client.clone();
        // Instrumented, not entered: the interceptor runs when the call is first polled.
        let outcome = tokio::time::timeout(self.timeout, client.get_partner(request))
            .instrument(span.clone())
            .await;
        let result = match outcome {
            Err(_elapsed) => Err(Code::DeadlineExceeded),
            Ok(Ok(resp)) => Ok(resp.into_inner().partner),
            Ok(Err(status)) => Err(status.code()),
        };
        match result {
            Ok(Some(p)) => {
                span.record("rpc.grpc.status_code", 0);
                if p.status == PartnerStatus::Archived as i32 {
                    Ok(PartnerCheck::Archived)
                } else {
                    Ok(PartnerCheck::Active {
                        name: p.name,
                        version: p.version,
                    })
                }
            }
            Ok(None) => Err(RegistryUnavailable { code: Code::Internal }),
            Err(code) => {
                span.record("rpc.grpc.status_code", code as i32);
                if code == Code::NotFound {
                    Ok(PartnerCheck::Unknown)
                } else {
                    tracing::warn!(parent: &span, code = ?code, "activities.registry.unavailable");
                    Err(RegistryUnavailable { code })
                }
            }
        }
    }
}
