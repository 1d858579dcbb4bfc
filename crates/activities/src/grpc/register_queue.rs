//! Registrations to one session, committed together. Every registration of a session needs that
//! session's row lock (capacity) until its commit, so one at a time they cost a commit (an fsync)
//! each, one after the other. Here the requests for a session queue up in arrival order, and one
//! task per busy session commits what the queue holds in one transaction: lock the session, place
//! each person (seat while there is one, else waitlist), insert them, store the counts, write
//! one event per registration, commit. A burst costs one commit per batch instead of one per person.
//!
//! The row lock stays the guarantee (another replica of the service takes it too); the queue only
//! decides who waits where. A batch that fails is retried one registration at a time, so that each
//! caller gets its own answer (the same email twice: only that one gets ALREADY_EXISTS).

use std::{
    collections::{HashMap, hash_map::Entry},
    sync::{Arc, Mutex},
};

use anyhow::Context as _;
use chrono::Utc;
use platform::telemetry::TraceHeaders;
use sqlx::PgPool;
use tokio::sync::{Semaphore, oneshot};
use tracing::Instrument as _;
use uuid::Uuid;

use super::ApiError;
use crate::{
    domain::{
        activity::Status,
        registration::{NewRegistration, RegistrationStatus},
    },
    events::activities::{self as ev, RegistrationChange, RegistrationFact},
    store::{StoreError, registrations as store},
};

/// At most this many registrations in one transaction (one statement inserts them, one their events).
const MAX_BATCH: usize = 128;

/// A registration waiting for its session's next commit.
struct Pending {
    id: Uuid,
    new: NewRegistration,
    /// The request's trace context: its event continues that trace.
    trace: TraceHeaders,
    reply: oneshot::Sender<Result<store::Registration, ApiError>>,
}

/// The per-session queues of registrations (see the module's comment).
pub struct RegisterQueue {
    pool: PgPool,
    /// The service's registration slots: each batch transaction holds one (see `ActivitiesService`).
    slots: Arc<Semaphore>,
    /// Waiting registrations by session. A session is here while a task commits its queue; a
    /// request that finds no entry creates it and starts that task. Std mutex: held for a push or
    /// a take, never across an await.
    pending: Mutex<HashMap<Uuid, Vec<Pending>>>,
}

impl RegisterQueue {
    pub fn new(pool: PgPool, slots: Arc<Semaphore>) -> Arc<Self> {
        Arc::new(Self {
            pool,
            slots,
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// Queues the registration `id` and waits for its commit. REGISTERED while the session has
    /// seats, else WAITLISTED, in arrival order. Once queued it is committed even if the caller goes
    /// away (as a request whose commit was under way).
    pub async fn register(
        self: &Arc<Self>,
        id: Uuid,
        new: NewRegistration,
        trace: TraceHeaders,
    ) -> Result<store::Registration, ApiError> {
        let session = new.session_id;
        let (reply, answer) = oneshot::channel();
        let pending = Pending { id, new, trace, reply };
        let start_task = match self.queues().entry(session) {
            Entry::Occupied(mut waiting) => {
                waiting.get_mut().push(pending);
                false
            }
            Entry::Vacant(slot) => {
                slot.insert(vec![pending]);
                true
            }
        };
        if start_task {
            // Its own task, so that a caller going away cannot stop the commits of the others.
            // It ends by itself once the session's queue is empty.
            let span =
                tracing::info_span!(parent: None, "activities.registrations.session_queue", ess.session.id = %session);
            tokio::spawn(Arc::clone(self).drain(session).instrument(span));
        }
        answer
            .await
            .map_err(|_| ApiError::Unexpected(anyhow::anyhow!("the registration queue stopped before answering")))?
    }

    fn queues(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Vec<Pending>>> {
        // A panic while holding this lock cannot leave the map half-changed (push, take, remove),
        // so a poisoned lock is still usable.
        self.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Commits the session's queue, batch after batch, until it is empty; then forgets the session.
    async fn drain(self: Arc<Self>, session: Uuid) {
        // If this task is dropped (runtime shutting down) or panics, the session must not stay
        // marked busy with nobody draining it: the guard removes it, and its callers get an error.
        let mut guard = ForgetOnDrop {
            queue: &self,
            session,
            armed: true,
        };
        loop {
            let batch = {
                let mut queues = self.queues();
                match queues.get_mut(&session) {
                    Some(waiting) if !waiting.is_empty() => {
                        let n = waiting.len().min(MAX_BATCH);
                        waiting.drain(..n).collect::<Vec<_>>()
                    }
                    _ => {
                        // Removed under the lock: a request arriving after this starts a new task.
                        queues.remove(&session);
                        guard.armed = false;
                        return;
                    }
                }
            };
            self.commit(session, batch).await;
        }
    }

    /// Commits one batch and answers its callers; a failed batch of several is retried one by one.
    async fn commit(&self, session: Uuid, batch: Vec<Pending>) {
        let Ok(_slot) = self.slots.clone().acquire_owned().await else {
            for p in batch {
                let _ = p.reply.send(Err(ApiError::Unavailable("the service is shutting down")));
            }
            return;
        };
        match self.transaction(session, &batch).await {
            Ok(done) => {
                for (p, registration) in batch.into_iter().zip(done) {
                    let _ = p.reply.send(Ok(registration));
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some(p) = batch.into_iter().next() {
                    let _ = p.reply.send(Err(e));
                }
            }
            Err(_) => {
                tracing::debug!(ess.session.id = %session, count = batch.len(), "activities.registration.batch_retried_one_by_one");
                for p in batch {
                    let one = std::slice::from_ref(&p);
                    let result = self.transaction(session, one).await.and_then(|mut done| {
                        done.pop()
                            .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("the batch of one returned nothing")))
                    });
                    let _ = p.reply.send(result);
                }
            }
        }
    }

    /// One transaction for `batch` (all of `session`): every registration or none.
    #[tracing::instrument(name = "activities.registrations.commit_batch", skip_all, fields(ess.session.id = %session, count = batch.len()))]
    async fn transaction(&self, session: Uuid, batch: &[Pending]) -> Result<Vec<store::Registration>, ApiError> {
        let mut tx = self.pool.begin().await.context("begin register")?;
        let seats = store::lock_seats(&mut tx, session)
            .await?
            .ok_or(ApiError::NotFound("session"))?;
        let s = &seats.session;
        if s.activity_status != Status::Scheduled {
            return Err(ApiError::precondition(
                "session_id",
                format!("the activity is {}: registrations are closed", s.activity_status.key()),
            ));
        }
        if s.end <= Utc::now() {
            return Err(ApiError::precondition("session_id", "the session has ended"));
        }
        let (mut version, mut counts) = (seats.version, seats.counts);
        let mut rows = Vec::with_capacity(batch.len());
        let mut events = Vec::with_capacity(batch.len());
        for p in batch {
            let (status, fact) = if counts.seated < s.capacity {
                (RegistrationStatus::Registered, RegistrationFact::Registered)
            } else {
                (RegistrationStatus::Waitlisted, RegistrationFact::Waitlisted)
            };
            counts = counts.with(status);
            version += 1;
            rows.push((p.id, &p.new, status));
            let event = ev::registration_changed(RegistrationChange {
                fact,
                activity_id: s.activity_id,
                session_id: s.id,
                session_version: version,
                registration_ids: &[p.id],
                capacity: s.capacity,
                counts,
                organisation: p.new.organisation,
            });
            events.push((event, p.trace.clone()));
        }
        match store::insert_many(&mut tx, s.id, s.activity_id, &rows).await {
            Ok(()) => {}
            Err(StoreError::Conflict { constraint }) if constraint == store::EMAIL_ONCE => {
                return Err(ApiError::AlreadyExists(
                    "this email is already registered to this session",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        store::set_version_and_counts(&mut tx, s.id, version, counts).await?;
        platform::outbox::enqueue_traced(&mut tx, &events)
            .await
            .context("enqueueing RegistrationChanged")?;
        platform::outbox::commit(tx).await.context("commit register")?;
        Ok(rows
            .iter()
            .map(|(id, new, status)| store::Registration {
                id: *id,
                activity_id: s.activity_id,
                session_id: s.id,
                name: Some(new.name.clone()),
                email: Some(new.email.as_str().to_owned()),
                organisation: new.organisation,
                public: new.public,
                sex: new.sex,
                age_band: new.age_band,
                status: *status,
                erased: false,
                session_start: seats.start,
                activity_title: seats.activity_title.clone(),
            })
            .collect())
    }
}

/// Removes a session's queue when its draining task ends early (see `drain`); dropping the
/// waiting replies tells their callers.
struct ForgetOnDrop<'a> {
    queue: &'a RegisterQueue,
    session: Uuid,
    /// Cleared when the task ends normally (it removed the entry itself, under the lock; a later
    /// entry belongs to another task).
    armed: bool,
}

impl Drop for ForgetOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.queue.queues().remove(&self.session);
        }
    }
}
