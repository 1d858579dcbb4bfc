//! Serializable views of the services' answers: what `--output json` prints and what the tables
//! show. Built here from the proto messages, so ess-proto stays free of serde. Empty proto strings
//! (proto3's "not set") become `null`.

use ess_proto::{observatory::v1 as observatory, registry::v1 as registry};
use serde::Serialize;

/// A registry partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
}

impl From<registry::Partner> for PartnerView {
    fn from(p: registry::Partner) -> Self {
        Self {
            id: p.id,
            name: p.name,
            siret: p.siret,
            commune_code: non_empty(p.commune_code),
            postal_code: non_empty(p.postal_code),
            departement_code: non_empty(p.departement_code),
            version: p.version,
            created_at: p.created_at.map(|t| t.to_string()),
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

fn non_empty(s: String) -> Option<String> {
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
        });
        assert_eq!(view.postal_code, None);
        assert_eq!(view.commune_code.as_deref(), Some("14118"));
        assert_eq!(view.created_at.as_deref(), Some("2025-06-15T15:06:40Z"));
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
