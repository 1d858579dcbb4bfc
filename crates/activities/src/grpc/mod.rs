//! The activities service's gRPC API (`ess.activities.v1`): maps proto requests to domain
//! commands, calls the store in one transaction with the outbox, and maps results and errors back
//! to proto and `Status`.
//!
//! - [`activities`]: create, read, update, lifecycle, listings, the iCalendar feed.
//! - [`registrations`]: registrations, waitlist, attendance, erasure.
//! - [`register_queue`]: registrations to one session committed together.
//! - [`practices`]: good-practice sheets.
//! - [`convert`]: proto ⇄ domain.

pub mod activities;
pub mod calendar;
pub mod convert;
pub mod guard;
pub mod practices;
pub mod register_queue;
pub mod registrations;

use std::sync::Arc;

use anyhow::Context as _;
use ess_proto::activities::v1::{self as pb, activities_server::Activities};
use platform::{
    audit::AuditTarget,
    grpc::{FieldViolation, internal, invalid_argument},
    paging::{self, Cursor, PageRequest},
};
use sqlx::PgPool;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

use crate::{
    domain::{Violation, Violations},
    registry::Registry,
    store::{StoreError, partner_directory},
};

/// The handlers' shared state: the pool and the registry client (built once, in `App::build`).
pub struct ActivitiesService {
    pool: PgPool,
    registry: Registry,
    /// Bounds the registration transactions in flight. A burst on one session serialises on its
    /// row lock anyway; without this bound every pooled connection would sit waiting on that lock
    /// and other requests would time out acquiring one. With it, the burst queues here (FIFO)
    /// and the pool stays free for everything else.
    registration_slots: Arc<Semaphore>,
    /// Registrations queued per session and committed in batches (they hold the same slots).
    register_queue: Arc<register_queue::RegisterQueue>,
}

impl ActivitiesService {
    /// `registration_slots`: registration transactions at once (at least 1); keep it below the
    /// pool size.
    pub fn new(pool: PgPool, registry: Registry, registration_slots: usize) -> Self {
        let registration_slots = Arc::new(Semaphore::new(registration_slots.max(1)));
        Self {
            register_queue: register_queue::RegisterQueue::new(pool.clone(), Arc::clone(&registration_slots)),
            pool,
            registry,
            registration_slots,
        }
    }

    /// Waits for a registration slot (see `registration_slots`).
    async fn registration_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.registration_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Unavailable("the service is shutting down"))
    }
}

/// Why a request was refused. One enum for the service's RPCs: every one of them fails in these
/// few ways, each mapped once to its `Status` below.
#[derive(thiserror::Error)]
pub enum ApiError {
    /// Field violations: `INVALID_ARGUMENT`, every bad field named, nothing written.
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    #[error("no such {0}")]
    NotFound(&'static str),
    /// Blocked by state (a cancelled activity, an archived organiser): `FAILED_PRECONDITION`, with
    /// the field concerned when there is one.
    #[error("{description}")]
    Precondition { field: String, description: String },
    #[error("{0}")]
    AlreadyExists(&'static str),
    /// The caller's version is not the current one: `ABORTED`.
    #[error("the activity changed since it was read (version {current})")]
    Stale { current: i64 },
    /// A dependency (the registry) did not answer: `UNAVAILABLE`; nothing was written.
    #[error("{0}")]
    Unavailable(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    pub fn invalid(v: Violations) -> Self {
        Self::Invalid(v.0)
    }

    pub fn invalid_field(field: &str, reason: &str) -> Self {
        Self::Invalid(vec![Violation::new(field, reason)])
    }

    pub fn precondition(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Precondition {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        platform::error::error_chain_fmt(self, f)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Unexpected(anyhow::Error::new(e))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(anyhow::Error::new(e))
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Invalid(v) => {
                invalid_argument(v.into_iter().map(|v| FieldViolation::new(v.field, v.reason)).collect())
            }
            ApiError::NotFound(what) => Status::not_found(format!("no such {what}")),
            ApiError::Precondition { field, description } => {
                let mut details = ErrorDetails::new();
                details.add_precondition_failure_violation("STATE", field.clone(), description.clone());
                let message = if field.is_empty() {
                    description
                } else {
                    format!("{field}: {description}")
                };
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            ApiError::AlreadyExists(what) => Status::already_exists(what),
            e @ ApiError::Stale { .. } => Status::aborted(e.to_string()),
            ApiError::Unavailable(what) => Status::unavailable(what),
            ApiError::Unexpected(err) => internal(err),
        }
    }
}

type RpcResult<T> = Result<Response<T>, Status>;

/// The answer of an activity write, naming the activity for the audit log.
fn activity_response(activity: pb::Activity) -> Response<pb::ActivityResponse> {
    let id = activity.id.clone();
    AuditTarget::tag(
        Response::new(pb::ActivityResponse {
            activity: Some(activity),
        }),
        id,
    )
}

/// Parses the `page_size` and `page_token` of a list request (see `platform::paging`).
pub(super) fn page(page_size: i32, page_token: &str, fingerprint: &[&str]) -> Result<PageRequest, ApiError> {
    PageRequest::parse(page_size, page_token, paging::fingerprint(fingerprint)).map_err(|found| {
        let mut v = Violations::default();
        for f in found {
            v.push(f.field, f.description);
        }
        ApiError::invalid(v)
    })
}

/// The cursor of a row known by its id alone (the store finds its sort key).
pub(super) fn id_cursor(id: uuid::Uuid) -> Cursor {
    Cursor { key: String::new(), id }
}

#[tonic::async_trait]
impl Activities for ActivitiesService {
    async fn list_known_partners(
        &self,
        request: Request<pb::ListKnownPartnersRequest>,
    ) -> RpcResult<pb::ListKnownPartnersResponse> {
        let req = request.into_inner();
        let page = page(req.page_size, &req.page_token, &["known_partners"])?;
        let mut rows = partner_directory::list(&self.pool, page.after_key(), page.limit())
            .await
            .context("listing the partner directory")
            .map_err(internal)?;
        let next_page_token = page.finish(&mut rows, |(id, name, _)| Cursor {
            key: name.clone(),
            id: *id,
        });
        let partners = rows
            .into_iter()
            .map(|(id, name, version)| pb::KnownPartner {
                partner_id: id.to_string(),
                name,
                version,
            })
            .collect();
        Ok(Response::new(pb::ListKnownPartnersResponse {
            partners,
            next_page_token,
        }))
    }

    async fn create_activity(&self, request: Request<pb::CreateActivityRequest>) -> RpcResult<pb::ActivityResponse> {
        let activity = self.create_activity(request.into_inner()).await?;
        Ok(activity_response(activity))
    }

    async fn get_activity(&self, request: Request<pb::GetActivityRequest>) -> RpcResult<pb::ActivityResponse> {
        let activity = self.get_activity(request.into_inner()).await?;
        Ok(Response::new(pb::ActivityResponse {
            activity: Some(activity),
        }))
    }

    async fn update_activity(&self, request: Request<pb::UpdateActivityRequest>) -> RpcResult<pb::ActivityResponse> {
        let activity = self.update_activity(request.into_inner()).await?;
        Ok(activity_response(activity))
    }

    async fn schedule_activity(
        &self,
        request: Request<pb::ActivityTransitionRequest>,
    ) -> RpcResult<pb::ActivityResponse> {
        let activity = self.schedule_activity(request.into_inner()).await?;
        Ok(activity_response(activity))
    }

    async fn cancel_activity(
        &self,
        request: Request<pb::ActivityTransitionRequest>,
    ) -> RpcResult<pb::ActivityResponse> {
        let activity = self.cancel_activity(request.into_inner()).await?;
        Ok(activity_response(activity))
    }

    async fn complete_activity(
        &self,
        request: Request<pb::CompleteActivityRequest>,
    ) -> RpcResult<pb::ActivityResponse> {
        let activity = self.complete_activity(request.into_inner()).await?;
        Ok(activity_response(activity))
    }

    async fn list_activities(
        &self,
        request: Request<pb::ListActivitiesRequest>,
    ) -> RpcResult<pb::ListActivitiesResponse> {
        Ok(Response::new(self.list_activities(request.into_inner()).await?))
    }

    async fn get_calendar(&self, request: Request<pb::GetCalendarRequest>) -> RpcResult<pb::GetCalendarResponse> {
        let ics = self.get_calendar(request.into_inner()).await?;
        Ok(Response::new(pb::GetCalendarResponse { ics }))
    }

    async fn register(&self, request: Request<pb::RegisterRequest>) -> RpcResult<pb::RegistrationResponse> {
        guard::same_partner(guard::scope(&request)?, &request.get_ref().organisation_id)?;
        let response = self.register(request.into_inner()).await?;
        let id = response.registration.as_ref().map(|r| r.id.clone()).unwrap_or_default();
        Ok(AuditTarget::tag(Response::new(response), id))
    }

    async fn cancel_registration(
        &self,
        request: Request<pb::RegistrationIdRequest>,
    ) -> RpcResult<pb::RegistrationResponse> {
        self.own_registration(guard::scope(&request)?, &request.get_ref().id)
            .await?;
        let id = request.get_ref().id.clone();
        Ok(AuditTarget::tag(
            Response::new(self.cancel_registration(request.into_inner()).await?),
            id,
        ))
    }

    async fn record_attendance(
        &self,
        request: Request<pb::RecordAttendanceRequest>,
    ) -> RpcResult<pb::RecordAttendanceResponse> {
        Ok(Response::new(self.record_attendance(request.into_inner()).await?))
    }

    async fn list_registrations(
        &self,
        request: Request<pb::ListRegistrationsRequest>,
    ) -> RpcResult<pb::ListRegistrationsResponse> {
        // A partner sees its own people only; the others are not hinted at.
        let own = guard::scope(&request)?;
        Ok(Response::new(self.list_registrations(request.into_inner(), own).await?))
    }

    async fn erase_registrant(
        &self,
        request: Request<pb::RegistrationIdRequest>,
    ) -> RpcResult<pb::RegistrationResponse> {
        let id = request.get_ref().id.clone();
        Ok(AuditTarget::tag(
            Response::new(self.erase_registrant(request.into_inner()).await?),
            id,
        ))
    }

    async fn list_partner_participation(
        &self,
        request: Request<pb::ListPartnerParticipationRequest>,
    ) -> RpcResult<pb::ListRegistrationsResponse> {
        guard::same_partner(guard::scope(&request)?, &request.get_ref().partner_id)?;
        Ok(Response::new(
            self.list_partner_participation(request.into_inner()).await?,
        ))
    }

    async fn create_practice(&self, request: Request<pb::CreatePracticeRequest>) -> RpcResult<pb::PracticeResponse> {
        Ok(Response::new(self.create_practice(request.into_inner()).await?))
    }

    async fn publish_practice(&self, request: Request<pb::PublishPracticeRequest>) -> RpcResult<pb::PracticeResponse> {
        Ok(Response::new(self.publish_practice(request.into_inner()).await?))
    }

    async fn list_practices(&self, request: Request<pb::ListPracticesRequest>) -> RpcResult<pb::ListPracticesResponse> {
        Ok(Response::new(self.list_practices(request.into_inner()).await?))
    }
}
