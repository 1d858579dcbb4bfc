//! Serializable views of the services' answers: what `--output json` prints and what the tables
//! show. Built here from the proto messages, so ess-proto stays free of serde. Empty proto strings
//! (proto3's "not set") become `null`.

use ess_proto::{observatory::v1 as observatory, registry::v1 as registry};
use serde::Serialize;
use tonic_health::pb::{HealthCheckResponse, health_check_response::ServingStatus};

use crate::failure::Service;

/// A registry partner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PartnerView {
    /// UUID given by the registry.
    pub id: String,
    /// Name as registered.
    pub name: String,
    /// 14 digits, normalised.
    pub siret: String,
    /// INSEE commune code, when one was given.
    pub commune_code: Option<String>,
    /// Postal code, when one was given.
    pub postal_code: Option<String>,
    /// Département derived by the registry.
    pub departement_code: Option<String>,
    /// Optimistic-concurrency version (1 at creation).
    pub version: i64,
    /// Creation time, RFC 3339 in UTC.
    pub created_at: Option<String>,
    /// The rest of the description (kind, family, codes, contacts...): see the registry proto.
    #[serde(flatten)]
    pub details: crate::commands::registry_view::PartnerDetailsView,
}

impl From<registry::Partner> for PartnerView {
    fn from(p: registry::Partner) -> Self {
        let details = crate::commands::registry_view::PartnerDetailsView::from(&p);
        Self {
            id: p.id,
            name: p.name,
            siret: p.siret,
            commune_code: non_empty(p.commune_code),
            postal_code: non_empty(p.postal_code),
            departement_code: non_empty(p.departement_code),
            version: p.version,
            created_at: p.created_at.map(|t| t.to_string()),
            details,
        }
    }
}

/// Partners per département, as counted by the observatory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepartementStatsView {
    /// One row per département, sorted by code.
    pub departements: Vec<DepartementCountView>,
    /// Sum over all départements.
    pub total: i64,
}

/// One département's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepartementCountView {
    /// "14", "50", "61"...
    pub departement_code: String,
    /// French name ("Calvados"), when known.
    pub departement_name: Option<String>,
    /// Number of partners.
    pub partners: i64,
}

impl From<observatory::CountPartnersByDepartementResponse> for DepartementStatsView {
    fn from(r: observatory::CountPartnersByDepartementResponse) -> Self {
        Self {
            departements: r
                .departements
                .into_iter()
                .map(|d| DepartementCountView {
                    departement_code: d.departement_code,
                    departement_name: non_empty(d.departement_name),
                    partners: d.partners,
                })
                .collect(),
            total: r.total,
        }
    }
}

/// What `essctl health` found, service by service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthView {
    /// True when every checked service answered SERVING (the exit code is 0).
    pub healthy: bool,
    /// One entry per checked service, in the order checked.
    pub services: Vec<ServiceHealthView>,
}

impl HealthView {
    /// Gathers the answers; `healthy` follows from them.
    pub fn new(services: Vec<ServiceHealthView>) -> Self {
        Self {
            healthy: services.iter().all(|s| s.status == HealthStatus::Serving),
            services,
        }
    }

    /// The services that are not SERVING, in the order checked.
    pub fn not_serving(&self) -> Vec<Service> {
        self.services
            .iter()
            .filter(|s| s.status != HealthStatus::Serving)
            .map(|s| s.service)
            .collect()
    }
}

/// One service's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceHealthView {
    /// Which service, serialized as its key (`registry`, `activities`, `observatory`).
    #[serde(serialize_with = "service_key")]
    pub service: Service,
    /// Where it was asked.
    pub url: String,
    /// What it answered.
    pub status: HealthStatus,
    /// Why it could not be asked (UNREACHABLE only): the gRPC code and message.
    pub reason: Option<String>,
}

/// A `grpc.health.v1` serving status, or UNREACHABLE when the call itself failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthStatus {
    /// Ready: its database and NATS answer.
    Serving,
    /// Up, but its database or NATS does not answer (or it is stopping).
    NotServing,
    /// The server answered UNKNOWN, or a value this client does not know.
    Unknown,
    /// The server does not know the service asked about.
    ServiceUnknown,
    /// No answer: refused, timed out, or the call failed (see the reason).
    Unreachable,
}

impl HealthStatus {
    /// The name printed in tables, as the proto spells it.
    pub fn name(self) -> &'static str {
        match self {
            HealthStatus::Serving => "SERVING",
            HealthStatus::NotServing => "NOT_SERVING",
            HealthStatus::Unknown => "UNKNOWN",
            HealthStatus::ServiceUnknown => "SERVICE_UNKNOWN",
            HealthStatus::Unreachable => "UNREACHABLE",
        }
    }
}

impl From<HealthCheckResponse> for HealthStatus {
    fn from(r: HealthCheckResponse) -> Self {
        match ServingStatus::try_from(r.status) {
            Ok(ServingStatus::Serving) => HealthStatus::Serving,
            Ok(ServingStatus::NotServing) => HealthStatus::NotServing,
            Ok(ServingStatus::ServiceUnknown) => HealthStatus::ServiceUnknown,
            Ok(ServingStatus::Unknown) | Err(_) => HealthStatus::Unknown,
        }
    }
}

fn service_key<S: serde::Serializer>(service: &Service, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(service.key())
}

pub(crate) fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_proto_strings_become_none_and_the_timestamp_rfc3339() {
        let view = PartnerView::from(registry::Partner {
            id: "0190a1b2-0000-7000-8000-000000000001".into(),
            name: "Coop Test".into(),
            siret: "73282932000074".into(),
            commune_code: "14118".into(),
            postal_code: String::new(),
            departement_code: "14".into(),
            version: 1,
            created_at: Some(prost_types::Timestamp {
                seconds: 1_750_000_000,
                nanos: 0,
            }),
            ..Default::default()
        });
        assert_eq!(view.postal_code, None);
        assert_eq!(view.commune_code.as_deref(), Some("14118"));
        assert_eq!(view.created_at.as_deref(), Some("2025-06-15T15:06:40Z"));
    }

    #[test]
    fn health_statuses_map_from_the_proto_and_unknown_values_read_as_unknown() {
        let status = |n: i32| HealthStatus::from(HealthCheckResponse { status: n });
        assert_eq!(status(ServingStatus::Serving as i32), HealthStatus::Serving);
        assert_eq!(status(ServingStatus::NotServing as i32), HealthStatus::NotServing);
        assert_eq!(
            status(ServingStatus::ServiceUnknown as i32),
            HealthStatus::ServiceUnknown
        );
        assert_eq!(status(ServingStatus::Unknown as i32), HealthStatus::Unknown);
        assert_eq!(status(42), HealthStatus::Unknown);
    }

    fn service(service: Service, status: HealthStatus) -> ServiceHealthView {
        ServiceHealthView {
            service,
            url: "http://x".into(),
            status,
            reason: None,
        }
    }

    #[test]
    fn health_is_good_only_when_every_service_is_serving() {
        let all_up = HealthView::new(vec![
            service(Service::Registry, HealthStatus::Serving),
            service(Service::Observatory, HealthStatus::Serving),
        ]);
        assert!(all_up.healthy);
        assert!(all_up.not_serving().is_empty());

        let one_down = HealthView::new(vec![
            service(Service::Registry, HealthStatus::Serving),
            service(Service::Activities, HealthStatus::Unknown),
            service(Service::Observatory, HealthStatus::Unreachable),
        ]);
        assert!(!one_down.healthy);
        assert_eq!(one_down.not_serving(), [Service::Activities, Service::Observatory]);
    }

    #[test]
    fn unknown_departement_names_become_none() {
        let view = DepartementStatsView::from(observatory::CountPartnersByDepartementResponse {
            departements: vec![observatory::DepartementCount {
                departement_code: "99".into(),
                departement_name: String::new(),
                partners: 2,
            }],
            total: 2,
        });
        assert_eq!(view.departements[0].departement_name, None);
        assert_eq!(view.total, 2);
    }
}
