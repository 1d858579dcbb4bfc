//! The `registrations` table, and the session row lock that keeps capacity exact: every change
//! to a session's registrations first takes `SELECT … FOR UPDATE` on the session, so concurrent
//! registrations are counted one after the other. The session row also keeps the registration
//! counts (changed under that lock), so deciding seat or waitlist never counts the registrations.

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
    Ok(lock_seats(conn, id).await?.map(|s| s.session))
}

/// A locked session with what a registration needs: its counts and version as they stand, and
/// what the answer shows of it.
#[derive(Debug, Clone)]
pub struct SessionSeats {
    pub session: LockedSession,
    pub start: DateTime<Utc>,
    pub activity_title: String,
    /// The session's event version (+1 per registration change).
    pub version: i64,
    pub counts: SessionCounts,
}

type SeatsRow = (
    Uuid,
    Uuid,
    String,
    String,
    i32,
    DateTime<Utc>,
    DateTime<Utc>,
    i64,
    i32,
    i32,
    i32,
    i32,
    i32,
);

/// Locks the session row (`FOR UPDATE`, the activity is only read) and reads its counts, in one
/// round trip; `None` if there is no such session.
#[tracing::instrument(name = "activities.store.lock_seats", skip_all, fields(ess.session.id = %id))]
pub async fn lock_seats(conn: &mut PgConnection, id: Uuid) -> Result<Option<SessionSeats>, StoreError> {
    let row: Option<SeatsRow> = sqlx::query_as(
        "SELECT s.id, s.activity_id, a.status, a.title, s.capacity, s.starts_at, s.ends_at, s.version, \
                s.seated, s.waitlisted, s.attended, s.no_show, s.cancelled \
         FROM sessions s JOIN activities a ON a.id = s.activity_id WHERE s.id = $1 FOR UPDATE OF s",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((
        id,
        activity_id,
        status,
        title,
        capacity,
        start,
        end,
        version,
        seated,
        waitlisted,
        attended,
        no_show,
        cancelled,
    )) = row
    else {
        return Ok(None);
    };
    let activity_status = Status::from_key(&status).ok_or(StoreError::Corrupt {
        table: "activities",
        reason: "unknown status".into(),
    })?;
    Ok(Some(SessionSeats {
        session: LockedSession {
            id,
            activity_id,
            activity_status,
            capacity,
            end,
        },
        start,
        activity_title: title,
        version,
        counts: SessionCounts {
            seated,
            waitlisted,
            attended,
            no_show,
            cancelled,
        },
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

impl SessionCounts {
    /// The counts after one more registration with `status`.
    pub fn with(mut self, status: RegistrationStatus) -> Self {
        match status {
            RegistrationStatus::Registered => self.seated += 1,
            RegistrationStatus::Waitlisted => self.waitlisted += 1,
            RegistrationStatus::Attended => {
                self.seated += 1;
                self.attended += 1;
            }
            RegistrationStatus::NoShow => {
                self.seated += 1;
                self.no_show += 1;
            }
            RegistrationStatus::Cancelled => self.cancelled += 1,
        }
        self
    }
}

/// Stores a locked session's version and counts after registrations the caller inserted.
pub async fn set_version_and_counts(
    conn: &mut PgConnection,
    session: Uuid,
    version: i64,
    c: SessionCounts,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sessions SET version = $2, seated = $3, waitlisted = $4, attended = $5, no_show = $6, cancelled = $7 \
         WHERE id = $1",
    )
    .bind(session)
    .bind(version)
    .bind(c.seated)
    .bind(c.waitlisted)
    .bind(c.attended)
    .bind(c.no_show)
    .bind(c.cancelled)
    .execute(conn)
    .await?;
    Ok(())
}

/// +1 on a locked session's event version, and its counts recounted from its registrations (after
/// a cancellation, a promotion, attendance: rarer than registrations, so counting is fine there);
/// returns the new version and counts.
pub async fn bump_version_and_recount(
    conn: &mut PgConnection,
    session: Uuid,
) -> Result<(i64, SessionCounts), StoreError> {
    let (version, seated, waitlisted, attended, no_show, cancelled): (i64, i32, i32, i32, i32, i32) = sqlx::query_as(
        "UPDATE sessions s SET version = s.version + 1, seated = c.seated, waitlisted = c.waitlisted, \
                attended = c.attended, no_show = c.no_show, cancelled = c.cancelled \
         FROM (SELECT count(*) FILTER (WHERE status IN ('registered', 'attended', 'no_show'))::int AS seated, \
                      count(*) FILTER (WHERE status = 'waitlisted')::int AS waitlisted, \
                      count(*) FILTER (WHERE status = 'attended')::int AS attended, \
                      count(*) FILTER (WHERE status = 'no_show')::int AS no_show, \
                      count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled \
               FROM registrations WHERE session_id = $1) c \
         WHERE s.id = $1 \
         RETURNING s.version, s.seated, s.waitlisted, s.attended, s.no_show, s.cancelled",
    )
    .bind(session)
    .fetch_one(conn)
    .await?;
    Ok((
        version,
        SessionCounts {
            seated,
            waitlisted,
            attended,
            no_show,
            cancelled,
        },
    ))
}

/// Inserts registrations of one session in the given order (their arrival order: `seq` follows
/// it, and the waitlist is promoted in that order). A second live registration of an email on the
/// session is refused as `Conflict` on [`EMAIL_ONCE`], and then nothing is inserted.
#[tracing::instrument(name = "activities.store.insert_registrations", skip_all, fields(ess.session.id = %session, count = rows.len()))]
pub async fn insert_many(
    conn: &mut PgConnection,
    session: Uuid,
    activity_id: Uuid,
    rows: &[(Uuid, &NewRegistration, RegistrationStatus)],
) -> Result<(), StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.1.name.as_str()).collect();
    let emails: Vec<&str> = rows.iter().map(|r| r.1.email.as_str()).collect();
    let organisations: Vec<Option<Uuid>> = rows.iter().map(|r| r.1.organisation).collect();
    let publics: Vec<&str> = rows.iter().map(|r| r.1.public.key()).collect();
    let sexes: Vec<&str> = rows.iter().map(|r| r.1.sex.key()).collect();
    let ages: Vec<&str> = rows.iter().map(|r| r.1.age_band.key()).collect();
    let statuses: Vec<&str> = rows.iter().map(|r| r.2.key()).collect();
    sqlx::query(
        "INSERT INTO registrations (id, session_id, activity_id, name, email, organisation_id, public, sex, age_band, \
         consent, status) \
         SELECT r.id, $9, $10, r.name, r.email, r.organisation, r.public, r.sex, r.age_band, true, r.status \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[]) \
             WITH ORDINALITY AS r (id, name, email, organisation, public, sex, age_band, status, ord) \
         ORDER BY r.ord",
    )
    .bind(ids)
    .bind(names)
    .bind(emails)
    .bind(organisations)
    .bind(publics)
    .bind(sexes)
    .bind(ages)
    .bind(statuses)
    .bind(session)
    .bind(activity_id)
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
