//! The observatory's gRPC API (`ess.observatory.v1`), answered from its projections.

use anyhow::Context as _;
use ess_proto::observatory::v1::{
    CountPartnersByDepartementRequest, CountPartnersByDepartementResponse, DepartementCount,
    observatory_server::Observatory,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::{domain::territory::departement_name, store};

pub struct ObservatoryService {
    pool: PgPool,
}

impl ObservatoryService {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[tonic::async_trait]
impl Observatory for ObservatoryService {
    async fn count_partners_by_departement(
        &self,
        _request: Request<CountPartnersByDepartementRequest>,
    ) -> Result<Response<CountPartnersByDepartementResponse>, Status> {
        let rows = store::partners::count_by_departement(&self.pool)
            .await
            .context("counting partners by département")
            .map_err(platform::grpc::internal)?;
        let total = rows.iter().map(|(_, n)| n).sum();
        let departements = rows
            .into_iter()
            .map(|(code, partners)| DepartementCount {
                departement_name: departement_name(&code).unwrap_or_default().to_owned(),
                departement_code: code,
                partners,
            })
            .collect();
        Ok(Response::new(CountPartnersByDepartementResponse {
            departements,
            total,
        }))
    }
}
