//! `ess.observatory.v1.ActionPlan`: proto ⇄ checked actions, each change committed with its
//! `PlanActionChanged` event through the outbox; progress computed from the projections.

use anyhow::Context as _;
use chrono::Utc;
use ess_proto::{
    events::v1::{EventMeta, PlanActionChanged},
    observatory::v1::{self as pb, action_plan_server::ActionPlan},
};
use platform::{
    grpc::{FieldViolation, invalid_argument},
    outbox::{self, NewEvent},
    paging::{self, Cursor, PageRequest},
};
use prost::Message as _;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{
    domain::{self, ActionSpec, Indicator, RawTarget, TargetSpec},
    store::{self, Action, UpdateError},
};
use crate::grpc::timestamp;

pub const ACTION_CREATED: (&str, &str) = ("observatory.action.created", "ess.events.v1.PlanActionChanged");
pub const ACTION_UPDATED: (&str, &str) = ("observatory.action.updated", "ess.events.v1.PlanActionChanged");

pub struct ActionPlanService {
    pool: PgPool,
}

impl ActionPlanService {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn indicator_of(raw: i32) -> Option<Indicator> {
    Some(match pb::Indicator::try_from(raw).ok()? {
        pb::Indicator::Unspecified => return None,
        pb::Indicator::ActivitiesCompleted => Indicator::ActivitiesCompleted,
        pb::Indicator::PeopleReached => Indicator::PeopleReached,
        pb::Indicator::WomenReached => Indicator::WomenReached,
        pb::Indicator::MenReached => Indicator::MenReached,
        pb::Indicator::Under26Reached => Indicator::Under26Reached,
        pb::Indicator::JobSeekersReached => Indicator::JobSeekersReached,
        pb::Indicator::PtcesCreated => Indicator::PtcesCreated,
        pb::Indicator::InitiativesReachingStage => Indicator::InitiativesReachingStage,
        pb::Indicator::PartnersInvolved => Indicator::PartnersInvolved,
        pb::Indicator::PracticesPublished => Indicator::PracticesPublished,
    })
}

fn indicator_to_pb(i: Indicator) -> pb::Indicator {
    match i {
        Indicator::ActivitiesCompleted => pb::Indicator::ActivitiesCompleted,
        Indicator::PeopleReached => pb::Indicator::PeopleReached,
        Indicator::WomenReached => pb::Indicator::WomenReached,
        Indicator::MenReached => pb::Indicator::MenReached,
        Indicator::Under26Reached => pb::Indicator::Under26Reached,
        Indicator::JobSeekersReached => pb::Indicator::JobSeekersReached,
        Indicator::PtcesCreated => pb::Indicator::PtcesCreated,
        Indicator::InitiativesReachingStage => pb::Indicator::InitiativesReachingStage,
        Indicator::PartnersInvolved => pb::Indicator::PartnersInvolved,
        Indicator::PracticesPublished => pb::Indicator::PracticesPublished,
    }
}

fn raw_targets(targets: &[pb::Target]) -> Vec<RawTarget> {
    targets
        .iter()
        .map(|t| RawTarget {
            indicator: indicator_of(t.indicator),
            activity_kind: t.activity_kind.clone(),
            public: t.public.clone(),
            stage: t.stage.clone(),
            period_from: t.period_from.clone(),
            period_to: t.period_to.clone(),
            target: t.target,
        })
        .collect()
}

pub fn target_to_pb(t: &TargetSpec) -> pb::Target {
    pb::Target {
        indicator: indicator_to_pb(t.indicator) as i32,
        activity_kind: t.activity_kind.clone().unwrap_or_default(),
        public: t.public.clone().unwrap_or_default(),
        stage: t.stage.clone().unwrap_or_default(),
        period_from: t.period.from.to_string(),
        period_to: t.period.to.to_string(),
        target: t.target,
        label: t.label(),
    }
}

fn action_to_pb(a: &Action) -> pb::PlanAction {
    pb::PlanAction {
        id: a.id.to_string(),
        axis: a.spec.axis,
        title: a.spec.title.clone(),
        description: a.spec.description.clone(),
        targets: a.spec.targets.iter().map(target_to_pb).collect(),
        version: a.version,
        updated_at: Some(timestamp(a.updated_at)),
    }
}

fn event(a: &Action, (subject, event_type): (&'static str, &'static str)) -> NewEvent {
    let event_id = Uuid::now_v7();
    let payload = PlanActionChanged {
        meta: Some(EventMeta {
            event_id: event_id.to_string(),
            occurred_at: Some(timestamp(Utc::now())),
            aggregate_id: a.id.to_string(),
            aggregate_version: a.version,
        }),
        action_id: a.id.to_string(),
        axis: a.spec.axis,
        title: a.spec.title.clone(),
        targets: a.spec.targets.len() as i32,
    }
    .encode_to_vec();
    NewEvent {
        event_id,
        subject,
        event_type,
        aggregate_id: a.id.to_string(),
        aggregate_version: a.version,
        payload,
    }
}

fn parse_id(raw: &str, field: &str) -> Result<Uuid, Status> {
    Uuid::parse_str(raw.trim()).map_err(|_| invalid_argument(vec![FieldViolation::new(field, "must be a UUID")]))
}

fn spec(axis: i32, title: &str, description: &str, targets: &[pb::Target]) -> Result<ActionSpec, Status> {
    domain::action(axis, title, description, &raw_targets(targets)).map_err(invalid_argument)
}

/// Progress of every target of `actions`, computed now.
pub async fn progress(pool: &PgPool, actions: &[Action]) -> anyhow::Result<Vec<pb::TargetProgress>> {
    let mut out = Vec::new();
    for a in actions {
        for t in &a.spec.targets {
            let achieved = store::achieved(pool, t).await.context("computing an indicator")?;
            out.push(pb::TargetProgress {
                action_id: a.id.to_string(),
                action_title: a.spec.title.clone(),
                axis: a.spec.axis,
                target: Some(target_to_pb(t)),
                achieved,
                percent: domain::percent(achieved, t.target),
            });
        }
    }
    Ok(out)
}

#[tonic::async_trait]
impl ActionPlan for ActionPlanService {
    #[tracing::instrument(name = "observatory.plan.create", skip_all, fields(ess.action.id))]
    async fn create_action(
        &self,
        request: Request<pb::CreateActionRequest>,
    ) -> Result<Response<pb::PlanAction>, Status> {
        let r = request.into_inner();
        let spec = spec(r.axis, &r.title, &r.description, &r.targets)?;
        let id = Uuid::now_v7();
        tracing::Span::current().record("ess.action.id", tracing::field::display(id));
        let action = async {
            let mut tx = self.pool.begin().await?;
            let action = store::create(&mut tx, id, &spec).await?;
            outbox::enqueue(&mut tx, &event(&action, ACTION_CREATED)).await?;
            platform::outbox::commit(tx).await?;
            Ok::<_, sqlx::Error>(action)
        }
        .await
        .context("recording the action")
        .map_err(platform::grpc::internal)?;
        tracing::info!(
            axis = action.spec.axis,
            targets = action.spec.targets.len(),
            "observatory.plan.action_created"
        );
        Ok(Response::new(action_to_pb(&action)))
    }

    #[tracing::instrument(name = "observatory.plan.update", skip_all, fields(ess.action.id))]
    async fn update_action(
        &self,
        request: Request<pb::UpdateActionRequest>,
    ) -> Result<Response<pb::PlanAction>, Status> {
        let r = request.into_inner();
        let id = parse_id(&r.id, "id")?;
        tracing::Span::current().record("ess.action.id", tracing::field::display(id));
        let spec = spec(r.axis, &r.title, &r.description, &r.targets)?;
        let expected = (r.expected_version != 0).then_some(r.expected_version);
        let mut tx = self
            .pool
            .begin()
            .await
            .context("begin")
            .map_err(platform::grpc::internal)?;
        let action = match store::update(&mut tx, id, &spec, expected).await {
            Ok(a) => a,
            Err(UpdateError::NotFound) => return Err(Status::not_found("no action has this id")),
            Err(UpdateError::VersionMismatch(v)) => {
                return Err(Status::failed_precondition(format!(
                    "the action is at version {v}, not expected_version"
                )));
            }
            Err(UpdateError::Db(e)) => return Err(platform::grpc::internal(anyhow::Error::new(e))),
        };
        async {
            outbox::enqueue(&mut tx, &event(&action, ACTION_UPDATED)).await?;
            platform::outbox::commit(tx).await
        }
        .await
        .context("recording the update")
        .map_err(platform::grpc::internal)?;
        Ok(Response::new(action_to_pb(&action)))
    }

    async fn list_actions(
        &self,
        request: Request<pb::ListActionsRequest>,
    ) -> Result<Response<pb::ListActionsResponse>, Status> {
        let r = request.into_inner();
        let axis = r.axis;
        let mut v = Vec::new();
        if !(0..=5).contains(&axis) {
            v.push(FieldViolation::new("axis", "must be 1 to 5, or 0 for every axis"));
        }
        let page = PageRequest::parse(
            r.page_size,
            &r.page_token,
            paging::fingerprint(&["actions", &axis.to_string()]),
        );
        if let Err(e) = &page {
            v.extend(e.iter().cloned());
        }
        if !v.is_empty() {
            return Err(invalid_argument(v));
        }
        let page = page.map_err(invalid_argument)?;
        let mut actions = store::list(
            &self.pool,
            (axis != 0).then_some(axis),
            None,
            Some((page.after.as_ref().map(|c| c.id), page.limit())),
        )
        .await
        .context("listing actions")
        .map_err(platform::grpc::internal)?;
        let next_page_token = page.finish(&mut actions, |a| Cursor {
            key: String::new(),
            id: a.id,
        });
        Ok(Response::new(pb::ListActionsResponse {
            actions: actions.iter().map(action_to_pb).collect(),
            next_page_token,
        }))
    }

    async fn get_progress(
        &self,
        request: Request<pb::GetProgressRequest>,
    ) -> Result<Response<pb::GetProgressResponse>, Status> {
        let r = request.into_inner();
        let only = if r.action_id.trim().is_empty() {
            None
        } else {
            Some(parse_id(&r.action_id, "action_id")?)
        };
        let actions = store::list(&self.pool, None, only, None)
            .await
            .context("reading actions")
            .map_err(platform::grpc::internal)?;
        if only.is_some() && actions.is_empty() {
            return Err(Status::not_found("no action has this id"));
        }
        let progress = progress(&self.pool, &actions).await.map_err(platform::grpc::internal)?;
        Ok(Response::new(pb::GetProgressResponse { progress }))
    }
}
