//! The activities service's gRPC API (`ess.activities.v1`).

use anyhow::Context as _;
use ess_proto::activities::v1::{
    KnownPartner, ListKnownPartnersRequest, ListKnownPartnersResponse, activities_server::Activities,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::store::partner_directory;

pub struct ActivitiesService {
    pool: PgPool,
}

impl ActivitiesService {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[tonic::async_trait]
impl Activities for ActivitiesService {
    async fn list_known_partners(
        &self,
        _request: Request<ListKnownPartnersRequest>,
    ) -> Result<Response<ListKnownPartnersResponse>, Status> {
        let rows = partner_directory::list(&self.pool)
            .await
            .context("listing the partner directory")
            .map_err(platform::grpc::internal)?;
        let partners = rows
            .into_iter()
            .map(|(id, name, version)| KnownPartner {
                partner_id: id.to_string(),
                name,
                version,
            })
            .collect();
        Ok(Response::new(ListKnownPartnersResponse { partners }))
    }
}
