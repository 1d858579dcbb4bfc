//! Activities: creation (organisers validated with the registry), reading, updating, the
//! lifecycle (schedule, cancel, complete with outcomes) and listings.

use std::collections::BTreeSet;

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use ess_proto::activities::v1 as pb;
use platform::paging::Cursor;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    ActivitiesService, ApiError,
    convert::{self, ViewContext},
};
use crate::{
    domain::{
        Violations,
        activity::{Activity, ActivityFields, RawFields, Status, TransitionError, parse_sessions},
        outcome::Counts,
        registration::parse_id,
    },
    events::activities as ev,
    registry::PartnerCheck,
    store::{activities as store, partner_directory, registrations},
};

fn parse_fields(f: Option<&pb::ActivityFields>, v: &mut Violations) -> Option<ActivityFields> {
    let Some(f) = f else {
        v.push("activity", "is required");
        return None;
    };
    let venue = f.venue.clone().unwrap_or_default();
    ActivityFields::parse(
        RawFields {
            title: &f.title,
            description: &f.description,
            kind: convert::kind_from_proto(f.kind),
            axes: &f.axes,
            publics: f.publics.iter().map(|p| convert::public_from_proto(*p)).collect(),
            campaign: &f.campaign,
            online: venue.online,
            commune_code: &venue.commune_code,
            address: &venue.address,
        },
        v,
    )
}

fn parse_ids(field: &str, ids: &[String], v: &mut Violations) -> Vec<Uuid> {
    ids.iter()
        .enumerate()
        .filter_map(|(i, id)| v.check(format!("{field}[{i}]"), parse_id(id)))
        .collect()
}

fn transition(e: TransitionError) -> ApiError {
    ApiError::precondition("status", e.to_string())
}

/// Loads everything a view needs and builds the views, in the given order.
pub(super) async fn views(conn: &mut PgConnection, activities: &[Activity]) -> Result<Vec<pb::Activity>, ApiError> {
    let partners: Vec<Uuid> = activities
        .iter()
        .flat_map(|a| a.organisers.iter().chain(a.co_organisers.iter()).copied())
        .collect();
    let names = partner_directory::names(conn, &partners).await?;
    let ids: Vec<Uuid> = activities.iter().map(|a| a.id).collect();
    let counts = store::session_counts(conn, &ids).await?;
    let mut out = Vec::with_capacity(activities.len());
    for a in activities {
        let outcome = if a.status == Status::Completed {
            store::outcome(conn, a.id).await?
        } else {
            None
        };
        out.push(convert::activity_to_proto(
            a,
            &ViewContext {
                names: &names,
                counts: &counts,
                outcome: outcome.as_ref(),
            },
        ));
    }
    Ok(out)
}

async fn view(conn: &mut PgConnection, a: &Activity) -> Result<pb::Activity, ApiError> {
    views(conn, std::slice::from_ref(a))
        .await?
        .pop()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("a view per activity")))
}

impl ActivitiesService {
    /// Parses, validates every organiser with the registry, then writes the draft activity and its
    /// `ActivityCreated` event in one transaction.
    #[tracing::instrument(name = "activities.activities.create", skip_all, fields(ess.activity.id))]
    pub(super) async fn create_activity(&self, req: pb::CreateActivityRequest) -> Result<pb::Activity, ApiError> {
        let mut v = Violations::default();
        let fields = parse_fields(req.activity.as_ref(), &mut v);
        if req.organiser_ids.is_empty() {
            v.push("organiser_ids", "at least one organiser is required");
        }
        let organisers = parse_ids("organiser_ids", &req.organiser_ids, &mut v);
        let co_organisers = parse_ids("co_organiser_ids", &req.co_organiser_ids, &mut v);
        let raw_sessions: Vec<_> = req
            .sessions
            .iter()
            .map(|s| {
                (
                    convert::time_from_proto(s.start.as_ref()),
                    convert::time_from_proto(s.end.as_ref()),
                    s.capacity,
                )
            })
            .collect();
        let sessions = parse_sessions(&raw_sessions, &mut v);
        let (Some(fields), Some(sessions)) = (fields, sessions) else {
            return Err(ApiError::invalid(v));
        };
        if !v.is_empty() {
            return Err(ApiError::invalid(v));
        }
        let mut organisers: Vec<Uuid> = organisers;
        dedup_keep_order(&mut organisers);
        let mut co_organisers: Vec<Uuid> = co_organisers.into_iter().filter(|c| !organisers.contains(c)).collect();
        dedup_keep_order(&mut co_organisers);

        // Never accept an organiser the registry has not vouched for.
        let mut known = Vec::new();
        let fields_of = organisers
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("organiser_ids[{i}]"), *p))
            .chain(
                co_organisers
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("co_organiser_ids[{i}]"), *p)),
            );
        for (field, partner) in fields_of {
            match self.registry.check_partner(partner).await {
                Ok(PartnerCheck::Active { name, version }) => known.push((partner, name, version)),
                Ok(PartnerCheck::Archived) => {
                    return Err(ApiError::precondition(
                        field,
                        "this partner is archived in the registry",
                    ));
                }
                Ok(PartnerCheck::Unknown) => {
                    return Err(ApiError::precondition(field, "no registry partner has this id"));
                }
                Err(_) => return Err(ApiError::Unavailable("the registry cannot validate the organisers now")),
            }
        }

        let activity = Activity {
            id: Uuid::now_v7(),
            fields,
            organisers,
            co_organisers,
            sessions,
            status: Status::Draft,
            flag: None,
            version: 1,
        };
        tracing::Span::current().record("ess.activity.id", activity.id.to_string().as_str());
        let mut tx = self.pool.begin().await.context("begin create_activity")?;
        for (partner, name, version) in &known {
            partner_directory::upsert(&mut tx, *partner, name, *version)
                .await
                .context("refreshing the partner directory")?;
        }
        store::insert(&mut tx, &activity).await?;
        platform::outbox::enqueue(&mut tx, &ev::activity_created(&activity))
            .await
            .context("enqueueing ActivityCreated")?;
        let view = view(&mut tx, &activity).await?;
        platform::outbox::commit(tx).await.context("commit create_activity")?;
        tracing::info!(ess.activity.id = %activity.id, "activities.activity.created");
        Ok(view)
    }

    #[tracing::instrument(name = "activities.activities.get", skip_all, fields(ess.activity.id))]
    pub(super) async fn get_activity(&self, req: pb::GetActivityRequest) -> Result<pb::Activity, ApiError> {
        let id = parse_id(&req.id).map_err(|r| ApiError::invalid_field("id", r))?;
        tracing::Span::current().record("ess.activity.id", id.to_string().as_str());
        let mut conn = self.pool.acquire().await.context("acquire get_activity")?;
        let a = store::get(&mut conn, id, false)
            .await?
            .ok_or(ApiError::NotFound("activity"))?;
        view(&mut conn, &a).await
    }

    #[tracing::instrument(name = "activities.activities.update", skip_all, fields(ess.activity.id))]
    pub(super) async fn update_activity(&self, req: pb::UpdateActivityRequest) -> Result<pb::Activity, ApiError> {
        let mut v = Violations::default();
        let id = v.check("id", parse_id(&req.id));
        let fields = parse_fields(req.activity.as_ref(), &mut v);
        let (Some(id), Some(fields)) = (id, fields) else {
            return Err(ApiError::invalid(v));
        };
        tracing::Span::current().record("ess.activity.id", id.to_string().as_str());
        let mut tx = self.pool.begin().await.context("begin update_activity")?;
        let mut a = store::get(&mut tx, id, true)
            .await?
            .ok_or(ApiError::NotFound("activity"))?;
        if req.expected_version != 0 && req.expected_version != a.version {
            return Err(ApiError::Stale { current: a.version });
        }
        a.check_editable().map_err(transition)?;
        a.fields = fields;
        a.version += 1;
        store::update_fields(&mut tx, id, &a.fields, a.version).await?;
        platform::outbox::enqueue(&mut tx, &ev::activity_updated(&a))
            .await
            .context("enqueueing ActivityUpdated")?;
        let view = view(&mut tx, &a).await?;
        platform::outbox::commit(tx).await.context("commit update_activity")?;
        Ok(view)
    }

    #[tracing::instrument(name = "activities.activities.schedule", skip_all, fields(ess.activity.id))]
    pub(super) async fn schedule_activity(&self, req: pb::ActivityTransitionRequest) -> Result<pb::Activity, ApiError> {
        self.transition(&req.id, |a| a.schedule(), ev::activity_scheduled).await
    }

    #[tracing::instrument(name = "activities.activities.cancel", skip_all, fields(ess.activity.id))]
    pub(super) async fn cancel_activity(&self, req: pb::ActivityTransitionRequest) -> Result<pb::Activity, ApiError> {
        self.transition(&req.id, |a| a.cancel(), ev::activity_cancelled).await
    }

    /// A lifecycle step: lock the activity, ask the domain, write the status and its event.
    async fn transition(
        &self,
        raw_id: &str,
        step: impl FnOnce(&Activity) -> Result<Status, TransitionError>,
        event: impl FnOnce(&Activity) -> platform::outbox::NewEvent,
    ) -> Result<pb::Activity, ApiError> {
        let id = parse_id(raw_id).map_err(|r| ApiError::invalid_field("id", r))?;
        tracing::Span::current().record("ess.activity.id", id.to_string().as_str());
        let mut tx = self.pool.begin().await.context("begin activity transition")?;
        let mut a = store::get(&mut tx, id, true)
            .await?
            .ok_or(ApiError::NotFound("activity"))?;
        a.status = step(&a).map_err(transition)?;
        a.version += 1;
        store::set_status(&mut tx, id, a.status, a.version).await?;
        platform::outbox::enqueue(&mut tx, &event(&a))
            .await
            .context("enqueueing the transition event")?;
        let view = view(&mut tx, &a).await?;
        platform::outbox::commit(tx)
            .await
            .context("commit activity transition")?;
        tracing::info!(ess.activity.id = %a.id, status = a.status.key(), "activities.activity.transitioned");
        Ok(view)
    }

    /// Completes a scheduled activity whose last session has ended. Attendance comes from the
    /// registrations (ATTENDED), plus counts entered for sessions without registrations.
    #[tracing::instrument(name = "activities.activities.complete", skip_all, fields(ess.activity.id))]
    pub(super) async fn complete_activity(&self, req: pb::CompleteActivityRequest) -> Result<pb::Activity, ApiError> {
        let id = parse_id(&req.id).map_err(|r| ApiError::invalid_field("id", r))?;
        tracing::Span::current().record("ess.activity.id", id.to_string().as_str());
        let mut tx = self.pool.begin().await.context("begin complete_activity")?;
        let mut a = store::get(&mut tx, id, true)
            .await?
            .ok_or(ApiError::NotFound("activity"))?;
        a.status = a.complete(Utc::now()).map_err(transition)?;

        let with_registrations: BTreeSet<Uuid> = registrations::sessions_with_registrations(&mut tx, id)
            .await?
            .into_iter()
            .collect();
        let mut v = Violations::default();
        let mut outcome = Counts::default();
        let mut seen = BTreeSet::new();
        for (i, entry) in req.entered.iter().enumerate() {
            let field = format!("entered[{i}]");
            let Some(session) = v.check(format!("{field}.session_id"), parse_id(&entry.session_id)) else {
                continue;
            };
            if !a.sessions.iter().any(|s| s.id == session) {
                v.push(format!("{field}.session_id"), "is not a session of this activity");
                continue;
            }
            if with_registrations.contains(&session) {
                v.push(
                    format!("{field}.session_id"),
                    "this session has registrations: its counts come from them",
                );
                continue;
            }
            if !seen.insert(session) {
                v.push(format!("{field}.session_id"), "is given twice");
                continue;
            }
            let counts_field = format!("{field}.counts");
            let Some(raw) = entry.counts.as_ref() else {
                v.push(counts_field, "is required");
                continue;
            };
            match convert::counts_from_proto(raw) {
                Err(j) => v.push(
                    format!("{counts_field}.by_public[{j}].public"),
                    "must be one of the target publics",
                ),
                Ok(c) => {
                    if let Some(c) = c.check(&counts_field, &mut v) {
                        outcome.add(&c);
                    }
                }
            }
        }
        if !v.is_empty() {
            return Err(ApiError::invalid(v));
        }
        for (_, sex, age, public) in registrations::attendees(&mut tx, id).await? {
            outcome.add_person(sex, age, public);
        }
        a.version += 1;
        store::set_status(&mut tx, id, a.status, a.version).await?;
        store::insert_outcome(&mut tx, id, &outcome).await?;
        platform::outbox::enqueue(&mut tx, &ev::activity_completed(&a, &outcome))
            .await
            .context("enqueueing ActivityCompleted")?;
        let view = view(&mut tx, &a).await?;
        platform::outbox::commit(tx).await.context("commit complete_activity")?;
        tracing::info!(ess.activity.id = %a.id, attendees = outcome.total, "activities.activity.completed");
        Ok(view)
    }

    #[tracing::instrument(name = "activities.activities.list", skip_all)]
    pub(super) async fn list_activities(
        &self,
        req: pb::ListActivitiesRequest,
    ) -> Result<pb::ListActivitiesResponse, ApiError> {
        let filter = parse_filter(&req)?;
        // The filters as parsed, so equal requests give equal fingerprints.
        let filters = format!("{filter:?}");
        let page = super::page(req.page_size, &req.page_token, &["activities", &filters])?;
        let after = match &page.after {
            None => None,
            Some(c) => Some((
                DateTime::parse_from_rfc3339(&c.key)
                    .map_err(|_| ApiError::invalid_field("page_token", "is not a page token of this service"))?
                    .with_timezone(&Utc),
                c.id,
            )),
        };
        let mut conn = self.pool.acquire().await.context("acquire list_activities")?;
        let mut activities = store::list(&mut conn, &filter, after, page.limit()).await?;
        let next_page_token = page.finish(&mut activities, |a| Cursor {
            key: a
                .sessions
                .iter()
                .map(|s| s.start)
                .min()
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true))
                .unwrap_or_default(),
            id: a.id,
        });
        Ok(pb::ListActivitiesResponse {
            activities: views(&mut conn, &activities).await?,
            next_page_token,
        })
    }
}

pub(super) fn parse_filter(req: &pb::ListActivitiesRequest) -> Result<store::Filter, ApiError> {
    let mut v = Violations::default();
    let axis = match req.axis {
        0 => None,
        n => v
            .check("axis", crate::domain::activity::Axis::parse(n))
            .map(|a| i16::from(a.get())),
    };
    let kind = match req.kind {
        0 => None,
        k => {
            let kind = convert::kind_from_proto(k);
            if kind.is_none() {
                v.push("kind", "must be one of the activity kinds");
            }
            kind
        }
    };
    let public = match req.public {
        0 => None,
        p => {
            let public = convert::public_from_proto(p);
            if public.is_none() {
                v.push("public", "must be one of the target publics");
            }
            public
        }
    };
    let organiser = if req.organiser_id.trim().is_empty() {
        None
    } else {
        v.check("organiser_id", parse_id(&req.organiser_id))
    };
    let from = req.from.as_ref().and_then(|t| convert::time_from_proto(Some(t)));
    let to = req.to.as_ref().and_then(|t| convert::time_from_proto(Some(t)));
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
    {
        v.push("to", "must be after from");
    }
    let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    if !v.is_empty() {
        return Err(ApiError::invalid(v));
    }
    Ok(store::Filter {
        from,
        to,
        axis,
        kind,
        public,
        departement: text(&req.departement_code),
        campaign: text(&req.campaign),
        organiser,
        statuses: Vec::new(),
    })
}

fn dedup_keep_order(ids: &mut Vec<Uuid>) {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
}
