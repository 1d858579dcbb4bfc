//! The observatory's gRPC API (`ess.observatory.v1`): proto ⇄ domain, errors ⇄ `Status`. No SQL
//! here; figures leave only through the confidentiality rules of `domain::cube`.
//!
//! Layout: [`datasets`] (imports, list), [`indicators`] (the cube, ESS share), and the partner
//! projections below.

pub mod datasets;
pub mod indicators;

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use ess_proto::observatory::v1::{
    CountPartnersByDepartementRequest, CountPartnersByDepartementResponse, DepartementCount,
    GetActivityProjectionsRequest, GetActivityProjectionsResponse, GetEssShareRequest, GetEssShareResponse,
    GetPartnerProjectionsRequest, GetPartnerProjectionsResponse, ImportDatasetRequest, ListDatasetsRequest,
    ListDatasetsResponse, ProjectionCount, QueryIndicatorsRequest, QueryIndicatorsResponse, RebuildProjectionsRequest,
    RebuildProjectionsResponse, observatory_server::Observatory,
};
use platform::bus::EventBus;
use sqlx::PgPool;
use tonic::{Request, Response, Status, Streaming};

use crate::{
    config::ImportArgs,
    cube_cache::TableCache,
    domain::{
        activity::{attendance_label, axis_label, key_label, status_label},
        partner::{family_label, kind_label},
        territory::departement_name,
    },
    store,
};

pub struct ObservatoryService {
    pool: PgPool,
    imports: ImportArgs,
    /// To recreate the durable consumers on a rebuild.
    bus: EventBus,
    /// Indicator tables already computed, shared with the dashboard.
    cube_cache: Arc<TableCache>,
}

impl ObservatoryService {
    pub fn new(pool: PgPool, imports: ImportArgs, bus: EventBus, cube_cache: Arc<TableCache>) -> Self {
        Self {
            pool,
            imports,
            bus,
            cube_cache,
        }
    }
}

fn counts(rows: Vec<(String, i64)>, label: impl Fn(&str) -> String) -> Vec<ProjectionCount> {
    rows.into_iter()
        .map(|(code, count)| ProjectionCount {
            label: label(&code),
            code,
            count,
        })
        .collect()
}

/// A time as a protobuf timestamp.
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
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

    type ImportDatasetStream = datasets::ImportStream;

    async fn import_dataset(
        &self,
        request: Request<Streaming<ImportDatasetRequest>>,
    ) -> Result<Response<Self::ImportDatasetStream>, Status> {
        datasets::import(self.pool.clone(), self.imports.clone(), request.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_datasets(
        &self,
        request: Request<ListDatasetsRequest>,
    ) -> Result<Response<ListDatasetsResponse>, Status> {
        datasets::list(&self.pool, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn query_indicators(
        &self,
        request: Request<QueryIndicatorsRequest>,
    ) -> Result<Response<QueryIndicatorsResponse>, Status> {
        Ok(Response::new(
            indicators::query(&self.pool, &self.cube_cache, request.into_inner(), false).await?,
        ))
    }

    async fn query_indicators_unsuppressed(
        &self,
        request: Request<QueryIndicatorsRequest>,
    ) -> Result<Response<QueryIndicatorsResponse>, Status> {
        // Staff and admin only: declared in `crate::access`, enforced by the auth layer.
        Ok(Response::new(
            indicators::query(&self.pool, &self.cube_cache, request.into_inner(), true).await?,
        ))
    }

    async fn get_ess_share(
        &self,
        request: Request<GetEssShareRequest>,
    ) -> Result<Response<GetEssShareResponse>, Status> {
        Ok(Response::new(
            indicators::ess_share(&self.pool, &self.cube_cache, request.into_inner()).await?,
        ))
    }

    async fn get_partner_projections(
        &self,
        _request: Request<GetPartnerProjectionsRequest>,
    ) -> Result<Response<GetPartnerProjectionsResponse>, Status> {
        let c = store::partners::counts(&self.pool)
            .await
            .context("reading the partner projections")
            .map_err(platform::grpc::internal)?;
        Ok(Response::new(GetPartnerProjectionsResponse {
            total: c.total,
            by_kind: counts(c.by_kind, |k| kind_label(k).to_owned()),
            by_family: counts(c.by_family, |f| family_label(f).to_owned()),
            by_departement: counts(c.by_departement, |d| departement_name(d).unwrap_or(d).to_owned()),
            cress_members: c.cress_members,
        }))
    }

    async fn get_activity_projections(
        &self,
        _request: Request<GetActivityProjectionsRequest>,
    ) -> Result<Response<GetActivityProjectionsResponse>, Status> {
        let c = store::activities::counts(&self.pool)
            .await
            .context("reading the activity projections")
            .map_err(platform::grpc::internal)?;
        Ok(Response::new(GetActivityProjectionsResponse {
            activities: c.total,
            by_status: counts(c.by_status, |s| status_label(s).to_owned()),
            by_axis: counts(c.by_axis, axis_label),
            by_kind: counts(c.by_kind, key_label),
            by_public: counts(c.by_public, key_label),
            by_departement: counts(c.by_departement, |d| departement_name(d).unwrap_or(d).to_owned()),
            by_campaign: counts(c.by_campaign, |k| k.to_owned()),
            people_reached: c.people,
            people_by_sex: counts(c.people_by_sex, |k| attendance_label(k).to_owned()),
            people_by_age: counts(c.people_by_age, |k| attendance_label(k).to_owned()),
            people_by_public: counts(c.people_by_public, key_label),
        }))
    }

    async fn rebuild_projections(
        &self,
        _request: Request<RebuildProjectionsRequest>,
    ) -> Result<Response<RebuildProjectionsResponse>, Status> {
        // Staff and admin only: declared in `crate::access`, enforced by the auth layer.
        let consumers = crate::events::rebuild(&self.pool, &self.bus)
            .await
            .map_err(platform::grpc::internal)?;
        Ok(Response::new(RebuildProjectionsResponse { consumers }))
    }
}
