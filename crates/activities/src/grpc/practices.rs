//! Good-practice sheets: created as drafts, published once (`PracticePublished`).

use anyhow::Context as _;
use ess_proto::activities::v1 as pb;
use uuid::Uuid;

use super::{ActivitiesService, ApiError};
use crate::{
    domain::{
        Violations,
        practice::{NewPractice, RawPractice},
        registration::parse_id,
    },
    events::activities as ev,
    store::practices::{self as store, Practice},
};

fn to_proto(p: &Practice) -> pb::Practice {
    pb::Practice {
        id: p.id.to_string(),
        title: p.sheet.title.clone(),
        summary: p.sheet.summary.clone(),
        body: p.sheet.body.clone(),
        activity_ids: p.sheet.activity_ids.iter().map(Uuid::to_string).collect(),
        partner_ids: p.sheet.partner_ids.iter().map(Uuid::to_string).collect(),
        axis: i32::from(p.sheet.axis.get()),
        tags: p.sheet.tags.clone(),
        status: if p.published {
            pb::PracticeStatus::Published
        } else {
            pb::PracticeStatus::Draft
        } as i32,
        version: p.version,
    }
}

impl ActivitiesService {
    #[tracing::instrument(name = "activities.practices.create", skip_all, fields(ess.practice.id))]
    pub(super) async fn create_practice(
        &self,
        req: pb::CreatePracticeRequest,
    ) -> Result<pb::PracticeResponse, ApiError> {
        let sheet = NewPractice::parse(RawPractice {
            title: &req.title,
            summary: &req.summary,
            body: &req.body,
            activity_ids: &req.activity_ids,
            partner_ids: &req.partner_ids,
            axis: req.axis,
            tags: &req.tags,
        })
        .map_err(ApiError::invalid)?;
        let mut tx = self.pool.begin().await.context("begin create_practice")?;
        let known = store::known_activities(&mut tx, &sheet.activity_ids).await?;
        let mut v = Violations::default();
        for (i, id) in sheet.activity_ids.iter().enumerate() {
            if !known.contains(id) {
                v.push(format!("activity_ids[{i}]"), "is not a known activity");
            }
        }
        if !v.is_empty() {
            return Err(ApiError::invalid(v));
        }
        let id = Uuid::now_v7();
        tracing::Span::current().record("ess.practice.id", id.to_string().as_str());
        store::insert(&mut tx, id, &sheet).await?;
        platform::outbox::commit(tx).await.context("commit create_practice")?;
        Ok(pb::PracticeResponse {
            practice: Some(to_proto(&Practice {
                id,
                sheet,
                published: false,
                version: 1,
            })),
        })
    }

    #[tracing::instrument(name = "activities.practices.publish", skip_all, fields(ess.practice.id))]
    pub(super) async fn publish_practice(
        &self,
        req: pb::PublishPracticeRequest,
    ) -> Result<pb::PracticeResponse, ApiError> {
        let id = parse_id(&req.id).map_err(|r| ApiError::invalid_field("id", r))?;
        tracing::Span::current().record("ess.practice.id", id.to_string().as_str());
        let mut tx = self.pool.begin().await.context("begin publish_practice")?;
        let mut p = store::get(&mut tx, id, true)
            .await?
            .ok_or(ApiError::NotFound("practice"))?;
        if p.published {
            return Err(ApiError::precondition("id", "the sheet is already published"));
        }
        p.published = true;
        p.version += 1;
        store::publish(&mut tx, id, p.version).await?;
        platform::outbox::enqueue(&mut tx, &ev::practice_published(&p))
            .await
            .context("enqueueing PracticePublished")?;
        platform::outbox::commit(tx).await.context("commit publish_practice")?;
        Ok(pb::PracticeResponse {
            practice: Some(to_proto(&p)),
        })
    }

    #[tracing::instrument(name = "activities.practices.list", skip_all)]
    pub(super) async fn list_practices(
        &self,
        req: pb::ListPracticesRequest,
    ) -> Result<pb::ListPracticesResponse, ApiError> {
        let published = if req.published_only { "published" } else { "all" };
        let page = super::page(req.page_size, &req.page_token, &["practices", published])?;
        let mut conn = self.pool.acquire().await.context("acquire list_practices")?;
        let mut rows = store::list(
            &mut conn,
            req.published_only,
            page.after.as_ref().map(|c| c.id),
            page.limit(),
        )
        .await?;
        let next_page_token = page.finish(&mut rows, |p| super::id_cursor(p.id));
        Ok(pb::ListPracticesResponse {
            practices: rows.iter().map(to_proto).collect(),
            next_page_token,
        })
    }
}
