//! Registrations: capacity and waitlist under the session row lock (registrations to one session
//! are committed together, see [`super::register_queue`]), cancellation with automatic promotion,
//! attendance (one or many), erasure, and participation listings. Spans and logs carry ids only:
//! never a registrant's name or email.

use anyhow::Context as _;
use ess_proto::activities::v1 as pb;
use platform::telemetry::TraceHeaders;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{ActivitiesService, ApiError, convert};
use crate::{
    domain::{
        Violations,
        activity::Status,
        registration::{NewRegistration, RawRegistration, RegistrationStatus, parse_id},
    },
    events::activities::{self as ev, RegistrationChange, RegistrationFact},
    store::registrations::{self as store, LockedSession},
};

/// Bumps the session's version and enqueues one registration event with the counts after it.
async fn publish(
    conn: &mut PgConnection,
    session: &LockedSession,
    fact: RegistrationFact,
    ids: &[Uuid],
    organisation: Option<Uuid>,
) -> Result<(), ApiError> {
    let (version, counts) = store::bump_version_and_recount(conn, session.id).await?;
    platform::outbox::enqueue(
        conn,
        &ev::registration_changed(RegistrationChange {
            fact,
            activity_id: session.activity_id,
            session_id: session.id,
            session_version: version,
            registration_ids: ids,
            capacity: session.capacity,
            counts,
            organisation,
        }),
    )
    .await
    .context("enqueueing RegistrationChanged")?;
    Ok(())
}

async fn read(conn: &mut PgConnection, id: Uuid) -> Result<store::Registration, ApiError> {
    store::get(conn, id).await?.ok_or(ApiError::NotFound("registration"))
}

/// Locks the session of registration `id` (all changes to a session's registrations go through
/// this lock), then reads the registration.
async fn lock_by_registration(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<(LockedSession, store::Registration), ApiError> {
    let before = read(conn, id).await?;
    let session = store::lock_session(conn, before.session_id)
        .await?
        .ok_or(ApiError::NotFound("session"))?;
    Ok((session, read(conn, id).await?))
}

impl ActivitiesService {
    /// REGISTERED while the session has seats, else WAITLISTED, in arrival order. The request
    /// joins its session's queue; the queue commits what it holds in one transaction under the
    /// session's row lock, so capacity holds and a burst costs one commit per batch.
    #[tracing::instrument(name = "activities.registrations.register", skip_all, fields(ess.session.id, ess.registration.id))]
    pub(super) async fn register(&self, req: pb::RegisterRequest) -> Result<pb::RegistrationResponse, ApiError> {
        let new = NewRegistration::parse(RawRegistration {
            session_id: &req.session_id,
            name: &req.name,
            email: &req.email,
            organisation_id: &req.organisation_id,
            public: convert::public_from_proto(req.public),
            sex: convert::sex_from_proto(req.sex),
            age_band: convert::age_from_proto(req.age_band),
            consent: req.consent,
        })
        .map_err(ApiError::invalid)?;
        tracing::Span::current().record("ess.session.id", new.session_id.to_string().as_str());
        let id = Uuid::now_v7();
        tracing::Span::current().record("ess.registration.id", id.to_string().as_str());
        let registration = self.register_queue.register(id, new, TraceHeaders::current()).await?;
        tracing::info!(ess.registration.id = %id, status = registration.status.key(), "activities.registration.recorded");
        Ok(pb::RegistrationResponse {
            registration: Some(convert::registration_to_proto(&registration)),
            promoted: None,
        })
    }

    /// Cancels a registration; a seat it held goes to the first waitlisted person, in arrival order.
    #[tracing::instrument(name = "activities.registrations.cancel", skip_all, fields(ess.registration.id))]
    pub(super) async fn cancel_registration(
        &self,
        req: pb::RegistrationIdRequest,
    ) -> Result<pb::RegistrationResponse, ApiError> {
        let id = parse_id(&req.id).map_err(|r| ApiError::invalid_field("id", r))?;
        tracing::Span::current().record("ess.registration.id", id.to_string().as_str());
        let _slot = self.registration_slot().await?;
        let mut tx = self.pool.begin().await.context("begin cancel_registration")?;
        let (session, registration) = lock_by_registration(&mut tx, id).await?;
        if session.activity_status == Status::Completed {
            return Err(ApiError::precondition("id", "the activity is completed"));
        }
        match registration.status {
            RegistrationStatus::Registered | RegistrationStatus::Waitlisted => {}
            other => {
                return Err(ApiError::precondition(
                    "id",
                    format!("the registration is {}: it cannot be cancelled", other.key()),
                ));
            }
        }
        store::set_status(&mut tx, id, RegistrationStatus::Cancelled).await?;
        publish(
            &mut tx,
            &session,
            RegistrationFact::Cancelled,
            &[id],
            registration.organisation,
        )
        .await?;
        let mut promoted = None;
        if registration.status == RegistrationStatus::Registered
            && session.activity_status == Status::Scheduled
            && let Some(next) = store::first_waitlisted(&mut tx, session.id).await?
        {
            store::set_status(&mut tx, next, RegistrationStatus::Registered).await?;
            let next = read(&mut tx, next).await?;
            publish(
                &mut tx,
                &session,
                RegistrationFact::Promoted,
                &[next.id],
                next.organisation,
            )
            .await?;
            tracing::info!(ess.registration.id = %next.id, "activities.registration.promoted");
            promoted = Some(convert::registration_to_proto(&next));
        }
        let registration = read(&mut tx, id).await?;
        platform::outbox::commit(tx)
            .await
            .context("commit cancel_registration")?;
        Ok(pb::RegistrationResponse {
            registration: Some(convert::registration_to_proto(&registration)),
            promoted,
        })
    }

    /// Marks registrations of one session ATTENDED (or NO_SHOW): all of them, or none.
    #[tracing::instrument(name = "activities.registrations.attendance", skip_all, fields(ess.session.id, count = req.registration_ids.len()))]
    pub(super) async fn record_attendance(
        &self,
        req: pb::RecordAttendanceRequest,
    ) -> Result<pb::RecordAttendanceResponse, ApiError> {
        let mut v = Violations::default();
        let session_id = v.check("session_id", parse_id(&req.session_id));
        if req.registration_ids.is_empty() {
            v.push("registration_ids", "at least one registration is required");
        }
        let ids: Vec<Uuid> = req
            .registration_ids
            .iter()
            .enumerate()
            .filter_map(|(i, r)| v.check(format!("registration_ids[{i}]"), parse_id(r)))
            .collect();
        let Some(session_id) = session_id.filter(|_| v.is_empty()) else {
            return Err(ApiError::invalid(v));
        };
        tracing::Span::current().record("ess.session.id", session_id.to_string().as_str());
        let _slot = self.registration_slot().await?;
        let mut tx = self.pool.begin().await.context("begin record_attendance")?;
        let session = store::lock_session(&mut tx, session_id)
            .await?
            .ok_or(ApiError::NotFound("session"))?;
        if session.activity_status != Status::Scheduled {
            return Err(ApiError::precondition(
                "session_id",
                format!("the activity is {}", session.activity_status.key()),
            ));
        }
        let status = if req.attended {
            RegistrationStatus::Attended
        } else {
            RegistrationStatus::NoShow
        };
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let r = store::get(&mut tx, *id).await?;
            match r {
                Some(r) if r.session_id == session_id && r.status.holds_seat() => {}
                Some(r) if r.session_id == session_id => {
                    v.push(
                        format!("registration_ids[{i}]"),
                        format!("the registration is {}", r.status.key()),
                    );
                }
                _ => v.push(
                    format!("registration_ids[{i}]"),
                    "is not a registration of this session",
                ),
            }
        }
        if !v.is_empty() {
            return Err(ApiError::invalid(v));
        }
        for id in &ids {
            store::set_status(&mut tx, *id, status).await?;
            out.push(convert::registration_to_proto(&read(&mut tx, *id).await?));
        }
        let fact = if req.attended {
            RegistrationFact::Attended
        } else {
            RegistrationFact::NoShow
        };
        publish(&mut tx, &session, fact, &ids, None).await?;
        platform::outbox::commit(tx).await.context("commit record_attendance")?;
        Ok(pb::RecordAttendanceResponse { registrations: out })
    }

    #[tracing::instrument(name = "activities.registrations.list", skip_all, fields(ess.session.id))]
    /// `own`: a partner's own organisation, whose people alone it may see (`None`: staff, all).
    pub(super) async fn list_registrations(
        &self,
        req: pb::ListRegistrationsRequest,
        own: Option<Uuid>,
    ) -> Result<pb::ListRegistrationsResponse, ApiError> {
        let id = parse_id(&req.session_id).map_err(|r| ApiError::invalid_field("session_id", r))?;
        tracing::Span::current().record("ess.session.id", id.to_string().as_str());
        let scope = own.map(|o| o.to_string()).unwrap_or_default();
        let page = super::page(
            req.page_size,
            &req.page_token,
            &["registrations", &id.to_string(), &scope],
        )?;
        let mut conn = self.pool.acquire().await.context("acquire list_registrations")?;
        let after = page.after.as_ref().map(|c| c.id);
        let mut rows = store::list_for_session(&mut conn, id, own, after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |r| super::id_cursor(r.id));
        Ok(pb::ListRegistrationsResponse {
            registrations: rows.iter().map(convert::registration_to_proto).collect(),
            next_page_token,
        })
    }

    /// Forgets the registrant's name and email. Status, sex, age band and public stay, so every
    /// count stays right.
    #[tracing::instrument(name = "activities.registrations.erase", skip_all, fields(ess.registration.id))]
    pub(super) async fn erase_registrant(
        &self,
        req: pb::RegistrationIdRequest,
    ) -> Result<pb::RegistrationResponse, ApiError> {
        let id = parse_id(&req.id).map_err(|r| ApiError::invalid_field("id", r))?;
        tracing::Span::current().record("ess.registration.id", id.to_string().as_str());
        let _slot = self.registration_slot().await?;
        let mut tx = self.pool.begin().await.context("begin erase_registrant")?;
        let (session, registration) = lock_by_registration(&mut tx, id).await?;
        if !registration.erased {
            store::erase(&mut tx, id).await?;
            publish(&mut tx, &session, RegistrationFact::Erased, &[id], None).await?;
        }
        let registration = read(&mut tx, id).await?;
        platform::outbox::commit(tx).await.context("commit erase_registrant")?;
        tracing::info!(ess.registration.id = %id, "activities.registration.erased");
        Ok(pb::RegistrationResponse {
            registration: Some(convert::registration_to_proto(&registration)),
            promoted: None,
        })
    }

    #[tracing::instrument(name = "activities.registrations.partner_history", skip_all, fields(ess.partner.id))]
    pub(super) async fn list_partner_participation(
        &self,
        req: pb::ListPartnerParticipationRequest,
    ) -> Result<pb::ListRegistrationsResponse, ApiError> {
        let id = parse_id(&req.partner_id).map_err(|r| ApiError::invalid_field("partner_id", r))?;
        tracing::Span::current().record("ess.partner.id", id.to_string().as_str());
        let page = super::page(
            req.page_size,
            &req.page_token,
            &["partner_participation", &id.to_string()],
        )?;
        let mut conn = self
            .pool
            .acquire()
            .await
            .context("acquire list_partner_participation")?;
        let mut rows =
            store::list_for_organisation(&mut conn, id, page.after.as_ref().map(|c| c.id), page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |r| super::id_cursor(r.id));
        Ok(pb::ListRegistrationsResponse {
            registrations: rows.iter().map(convert::registration_to_proto).collect(),
            next_page_token,
        })
    }
}
