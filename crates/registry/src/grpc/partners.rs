//! `ess.registry.v1.PartnerRegistry`.

use anyhow::Context as _;
use chrono::{SubsecRound as _, Utc};
use ess_proto::registry::v1::{
    CreatePartnerRequest, CreatePartnerResponse, GetPartnerRequest, GetPartnerResponse, Partner as ProtoPartner,
    PartnerStatus, partner_registry_server::PartnerRegistry,
};
use platform::grpc::{FieldViolation, internal, invalid_argument};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::{
    domain::{
        Violation,
        partner::{NewPartner, Partner, PartnerId},
    },
    events,
    store::{self, StoreError},
};

pub struct PartnerRegistryService {
    pool: PgPool,
}

impl PartnerRegistryService {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(thiserror::Error)]
pub enum CreatePartnerError {
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    #[error("a partner already has this SIRET")]
    SiretTaken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl std::fmt::Debug for CreatePartnerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        platform::error::error_chain_fmt(self, f)
    }
}

impl From<CreatePartnerError> for Status {
    fn from(e: CreatePartnerError) -> Self {
        match e {
            CreatePartnerError::Invalid(v) => invalid_argument(to_field_violations(v)),
            CreatePartnerError::SiretTaken => Status::already_exists("a partner already has this SIRET"),
            CreatePartnerError::Unexpected(err) => internal(err),
        }
    }
}

#[derive(thiserror::Error)]
pub enum GetPartnerError {
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    #[error("no partner with this id")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl std::fmt::Debug for GetPartnerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        platform::error::error_chain_fmt(self, f)
    }
}

impl From<GetPartnerError> for Status {
    fn from(e: GetPartnerError) -> Self {
        match e {
            GetPartnerError::Invalid(v) => invalid_argument(to_field_violations(v)),
            GetPartnerError::NotFound => Status::not_found("no partner with this id"),
            GetPartnerError::Unexpected(err) => internal(err),
        }
    }
}

fn to_field_violations(v: Vec<Violation>) -> Vec<FieldViolation> {
    v.into_iter().map(|v| FieldViolation::new(v.field, v.reason)).collect()
}

impl PartnerRegistryService {
    /// Writes the partner and its `PartnerRegistered` event in one transaction.
    #[tracing::instrument(name = "registry.partners.create", skip_all, fields(ess.partner.id))]
    async fn create_partner(&self, req: CreatePartnerRequest) -> Result<ProtoPartner, CreatePartnerError> {
        let new = NewPartner::parse(&req.name, &req.siret, &req.commune_code, &req.postal_code)
            .map_err(CreatePartnerError::Invalid)?;
        let partner = Partner {
            id: PartnerId::new(),
            name: new.name,
            siret: new.siret,
            location: new.location,
            version: 1,
            // PostgreSQL keeps microseconds: answer with what a later read will return.
            created_at: Utc::now().trunc_subsecs(6),
        };
        tracing::Span::current().record("ess.partner.id", partner.id.0.to_string().as_str());

        let mut tx = self.pool.begin().await.context("begin create_partner")?;
        match store::partners::insert(&mut tx, &partner).await {
            Ok(()) => {}
            Err(StoreError::Conflict { constraint }) if constraint == store::partners::SIRET_UNIQUE => {
                return Err(CreatePartnerError::SiretTaken);
            }
            Err(e) => return Err(anyhow::Error::new(e).context("inserting the partner").into()),
        }
        platform::outbox::enqueue(&mut tx, &events::partners::partner_registered(&partner))
            .await
            .context("enqueueing PartnerRegistered")?;
        tx.commit().await.context("commit create_partner")?;
        tracing::info!(ess.partner.id = %partner.id.0, "registry.partner.registered");
        Ok(to_proto(&partner))
    }

    #[tracing::instrument(name = "registry.partners.get", skip_all, fields(ess.partner.id))]
    async fn get_partner(&self, req: GetPartnerRequest) -> Result<ProtoPartner, GetPartnerError> {
        let id = PartnerId::parse(&req.id).map_err(|r| GetPartnerError::Invalid(vec![Violation::new("id", r)]))?;
        tracing::Span::current().record("ess.partner.id", id.0.to_string().as_str());
        let mut conn = self.pool.acquire().await.context("acquire get_partner")?;
        let partner = store::partners::get(&mut conn, id)
            .await
            .context("reading the partner")?
            .ok_or(GetPartnerError::NotFound)?;
        Ok(to_proto(&partner))
    }
}

#[tonic::async_trait]
impl PartnerRegistry for PartnerRegistryService {
    async fn create_partner(
        &self,
        request: Request<CreatePartnerRequest>,
    ) -> Result<Response<CreatePartnerResponse>, Status> {
        let partner = self.create_partner(request.into_inner()).await?;
        Ok(Response::new(CreatePartnerResponse { partner: Some(partner) }))
    }

    async fn get_partner(&self, request: Request<GetPartnerRequest>) -> Result<Response<GetPartnerResponse>, Status> {
        let partner = self.get_partner(request.into_inner()).await?;
        Ok(Response::new(GetPartnerResponse { partner: Some(partner) }))
    }
}

fn to_proto(p: &Partner) -> ProtoPartner {
    ProtoPartner {
        id: p.id.0.to_string(),
        name: p.name.as_str().to_owned(),
        siret: p.siret.as_str().to_owned(),
        commune_code: p.location.commune().map(|c| c.code.clone()).unwrap_or_default(),
        postal_code: p
            .location
            .postal_code()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        departement_code: p.location.departement().as_str().to_owned(),
        version: p.version,
        // Archiving arrives with the full partner model; until then every partner is active.
        status: PartnerStatus::Active as i32,
        created_at: Some(prost_types::Timestamp {
            seconds: p.created_at.timestamp(),
            nanos: p.created_at.timestamp_subsec_nanos() as i32,
        }),
    }
}
