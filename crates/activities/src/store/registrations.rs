//! The `registrations` table, and the session row lock that keeps capacity exact: every change
//! to a session's registrations first takes `SELECT … FOR UPDATE` on the session, so concurrent
//! registrations are counted one after the other.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{StoreError, classify};
use crate::domain::{
    activity::{Public, Status},
    registration::{AgeBand, NewRegistration, RegistrationStatus, Sex},
};

/// The unique index refusing the same email twice on one session (cancelled ones aside).
pub const EMAIL_ONCE: &str = "registrations_email_once";

/// A session, locked for the rest of the transaction.
#[derive(Debug, Clone)]
pub struct LockedSession {
    pub id: Uuid,
    pub activity_id: Uuid,
    pub activity_status: Status,
    pub capacity: i32,
    pub end: DateTime<Utc>,
}

/// Locks the session row (`FOR UPDATE`); `None` if there is no such session.
#[tracing::instrument(name = "activities.store.lock_session", skip_all, fields(ess.session.id = %id))]
pub async fn lock_session(conn: &mut PgConnection, id: Uuid) -> Result<Option<LockedSession>, StoreError> {
    let row: Option<(Uuid, Uuid, i32, DateTime<Utc>)> =
        sqlx::query_as("SELECT id, activity_id, capacity, ends_at FROM sessions WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((id, activity_id, capacity, end)) = row else {
        return Ok(None);
    };
    let status: String = sqlx::query_scalar("SELECT status FROM activities WHERE id = $1")
        .bind(activity_id)
        .fetch_one(&mut *conn)
        .await?;
    let activity_status = Status::from_key(&status).ok_or(StoreError::Corrupt {
        table: "activities",
        reason: "unknown status".into(),
    })?;
    Ok(Some(LockedSession {
        id,
        activity_id,
        activity_status,
        capacity,
        end,
    }))
}

/// A session's registration counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionCounts {
    /// Seat holders: registered, attended and no-show.
    pub seated: i32,
    pub waitlisted: i32,
    pub attended: i32,
    pub no_show: i32,
    pub cancelled: i32,
}

pub async fn counts(conn: &mut PgConnection, session: Uuid) -> Result<SessionCounts, StoreError> {
    let (seated, waitlisted, attended, no_show, cancelled): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status IN ('registered', 'attended', 'no_show')), \
                count(*) FILTER (WHERE status = 'waitlisted'), \
                count(*) FILTER (WHERE status = 'attended'), \
                count(*) FILTER (WHERE status = 'no_show'), \
                count(*) FILTER (WHERE status = 'cancelled') \
         FROM registrations WHERE session_id = $1",
    )
    .bind(session)
    .fetch_one(conn)
    .await?;
    Ok(SessionCounts {
        seated: seated as i32,
        waitlisted: waitlisted as i32,
        attended: attended as i32,
        no_show: no_show as i32,
        cancelled: cancelled as i32,
    })
}

/// +1 on the session's event version; returns the new version.
pub async fn bump_session_version(conn: &mut PgConnection, session: Uuid) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("UPDATE sessions SET version = version + 1 WHERE id = $1 RETURNING version")
            .bind(session)
            .fetch_one(conn)
            .await?,
    )
}

#[tracing::instrument(name = "activities.store.insert_registration", skip_all, fields(ess.registration.id = %id))]
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    activity_id: Uuid,
    r: &NewRegistration,
    status: RegistrationStatus,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO registrations (id, session_id, activity_id, name, email, organisation_id, public, sex, age_band, \
         consent, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10)",
    )
    .bind(id)
    .bind(r.session_id)
    .bind(activity_id)
    .bind(&r.name)
    .bind(r.email.as_str())
    .bind(r.organisation)
    .bind(r.public.key())
    .bind(r.sex.key())
    .bind(r.age_band.key())
    .bind(status.key())
    .execute(conn)
    .await
    .map_err(classify)?;
    Ok(())
}

/// A registration as read back, with what listings show of its activity.
#[derive(Debug, Clone)]
pub struct Registration {
    pub id: Uuid,
    pub activity_id: Uuid,
    pub session_id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub organisation: Option<Uuid>,
    pub public: Public,
    pub sex: Sex,
    pub age_band: AgeBand,
    pub status: RegistrationStatus,
    pub erased: bool,
    pub session_start: DateTime<Utc>,
    pub activity_title: String,
}

type Row = (
    Uuid,
    Uuid,
    Uuid,
    Option<String>,
    Option<String>,
    Option<Uuid>,
    String,
    String,
    String,
    String,
    bool,
    DateTime<Utc>,
    String,
);

fn parse(r: Row) -> Result<Registration, StoreError> {
    let corrupt = || StoreError::Corrupt {
        table: "registrations",
        reason: format!("registration {} does not parse", r.0),
    };
    Ok(Registration {
        public: Public::from_key(&r.6).ok_or_else(corrupt)?,
        sex: Sex::from_key(&r.7).ok_or_else(corrupt)?,
        age_band: AgeBand::from_key(&r.8).ok_or_else(corrupt)?,
        status: RegistrationStatus::from_key(&r.9).ok_or_else(corrupt)?,
        id: r.0,
        activity_id: r.1,
        session_id: r.2,
        name: r.3,
        email: r.4,
        organisation: r.5,
        erased: r.10,
        session_start: r.11,
        activity_title: r.12,
    })
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Registration>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT r.id, r.activity_id, r.session_id, r.name, r.email, r.organisation_id, r.public, r.sex, \
         r.age_band, r.status, r.erased_at IS NOT NULL, s.starts_at, a.title \
         FROM registrations r JOIN sessions s ON s.id = r.session_id JOIN activities a ON a.id = r.activity_id \
         WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(parse).transpose()
}

/// A session's registrations in arrival order.
///
/// Only the people of `organisation` when given. At most `limit`, after the registration `after`
/// (arrival order never changes).
pub async fn list_for_session(
    conn: &mut PgConnection,
    session: Uuid,
    organisation: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Registration>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.id, r.activity_id, r.session_id, r.name, r.email, r.organisation_id, r.public, r.sex, \
         r.age_band, r.status, r.erased_at IS NOT NULL, s.starts_at, a.title \
         FROM registrations r JOIN sessions s ON s.id = r.session_id JOIN activities a ON a.id = r.activity_id \
         WHERE r.session_id = $1 AND ($4::uuid IS NULL OR r.organisation_id = $4) \
           AND ($2::uuid IS NULL OR r.seq > (SELECT c.seq FROM registrations c WHERE c.id = $2)) \
         ORDER BY r.seq LIMIT $3",
    )
    .bind(session)
    .bind(after)
    .bind(limit)
    .bind(organisation)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(parse).collect()
}

/// Registrations of people of one organisation, newest session first.
///
/// At most `limit`, after the registration `after`.
pub async fn list_for_organisation(
    conn: &mut PgConnection,
    partner: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Registration>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.id, r.activity_id, r.session_id, r.name, r.email, r.organisation_id, r.public, r.sex, \
         r.age_band, r.status, r.erased_at IS NOT NULL, s.starts_at, a.title \
         FROM registrations r JOIN sessions s ON s.id = r.session_id JOIN activities a ON a.id = r.activity_id \
         WHERE r.organisation_id = $1 \
           AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM registrations c JOIN sessions cs ON cs.id = c.session_id \
                WHERE c.id = $2 AND (s.starts_at < cs.starts_at OR (s.starts_at = cs.starts_at AND r.seq > c.seq)))) \
         ORDER BY s.starts_at DESC, r.seq LIMIT $3",
    )
    .bind(partner)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(parse).collect()
}

pub async fn set_status(conn: &mut PgConnection, id: Uuid, status: RegistrationStatus) -> Result<(), StoreError> {
    sqlx::query("UPDATE registrations SET status = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(status.key())
        .execute(conn)
        .await?;
    Ok(())
}

/// The first waitlisted registration of the session, in arrival order.
pub async fn first_waitlisted(conn: &mut PgConnection, session: Uuid) -> Result<Option<Uuid>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM registrations WHERE session_id = $1 AND status = 'waitlisted' ORDER BY seq LIMIT 1",
    )
    .bind(session)
    .fetch_optional(conn)
    .await?)
}

/// Forgets the registrant's name and email; the rest stays for the figures.
#[tracing::instrument(name = "activities.store.erase_registrant", skip_all, fields(ess.registration.id = %id))]
pub async fn erase(conn: &mut PgConnection, id: Uuid) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE registrations SET name = NULL, email = NULL, erased_at = now(), updated_at = now() \
         WHERE id = $1 AND erased_at IS NULL",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Attendees of an activity, for its outcome: (session, sex, age band, public).
pub async fn attendees(
    conn: &mut PgConnection,
    activity: Uuid,
) -> Result<Vec<(Uuid, Sex, AgeBand, Public)>, StoreError> {
    let rows: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "SELECT session_id, sex, age_band, public FROM registrations WHERE activity_id = $1 AND status = 'attended'",
    )
    .bind(activity)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(
            |(s, sex, age, public)| match (Sex::from_key(&sex), AgeBand::from_key(&age), Public::from_key(&public)) {
                (Some(sex), Some(age), Some(public)) => Ok((s, sex, age, public)),
                _ => Err(StoreError::Corrupt {
                    table: "registrations",
                    reason: "attendee does not parse".into(),
                }),
            },
        )
        .collect()
}

/// Sessions of an activity that have at least one registration (in any status).
pub async fn sessions_with_registrations(conn: &mut PgConnection, activity: Uuid) -> Result<Vec<Uuid>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT DISTINCT session_id FROM registrations WHERE activity_id = $1")
            .bind(activity)
            .fetch_all(conn)
            .await?,
    )
}
