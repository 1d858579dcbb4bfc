//! The `activities`, `activity_organisers`, `sessions` and `activity_outcomes` tables.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;
use crate::domain::{
    Violations,
    activity::{Activity, ActivityFields, CommuneCode, Kind, Public, Session, Status, Venue, parse_axes},
    outcome::Counts,
};

/// Writes a new activity with its organisers and sessions.
#[tracing::instrument(name = "activities.store.insert_activity", skip_all, fields(ess.activity.id = %a.id))]
pub async fn insert(conn: &mut PgConnection, a: &Activity) -> Result<(), StoreError> {
    let f = &a.fields;
    let (commune, address) = venue_columns(&f.venue);
    sqlx::query(
        "INSERT INTO activities (id, title, description, kind, axes, publics, campaign, online, commune_code, address, \
         departement_code, status, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(a.id)
    .bind(&f.title)
    .bind(&f.description)
    .bind(f.kind.key())
    .bind(axes_column(f))
    .bind(publics_column(f))
    .bind(f.campaign.as_deref())
    .bind(matches!(f.venue, Venue::Online))
    .bind(commune)
    .bind(address)
    .bind(f.venue.departement())
    .bind(a.status.key())
    .bind(a.version)
    .execute(&mut *conn)
    .await?;
    let organisers = a
        .organisers
        .iter()
        .map(|p| (p, false))
        .chain(a.co_organisers.iter().map(|p| (p, true)));
    for (position, (partner, co)) in organisers.enumerate() {
        sqlx::query(
            "INSERT INTO activity_organisers (activity_id, partner_id, co_organiser, position) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(a.id)
        .bind(partner)
        .bind(co)
        .bind(position as i32)
        .execute(&mut *conn)
        .await?;
    }
    for s in &a.sessions {
        sqlx::query("INSERT INTO sessions (id, activity_id, starts_at, ends_at, capacity) VALUES ($1, $2, $3, $4, $5)")
            .bind(s.id)
            .bind(a.id)
            .bind(s.start)
            .bind(s.end)
            .bind(s.capacity)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn venue_columns(v: &Venue) -> (Option<&str>, Option<&str>) {
    match v {
        Venue::Online => (None, None),
        Venue::Place { commune, address } => (Some(commune.as_str()), Some(address.as_str())),
    }
}

fn axes_column(f: &ActivityFields) -> Vec<i16> {
    f.axes.iter().map(|a| i16::from(a.get())).collect()
}

fn publics_column(f: &ActivityFields) -> Vec<String> {
    f.publics.iter().map(|p| p.key().to_owned()).collect()
}

/// Replaces the descriptive fields and sets the new version.
#[tracing::instrument(name = "activities.store.update_activity", skip_all, fields(ess.activity.id = %id))]
pub async fn update_fields(
    conn: &mut PgConnection,
    id: Uuid,
    f: &ActivityFields,
    version: i64,
) -> Result<(), StoreError> {
    let (commune, address) = venue_columns(&f.venue);
    sqlx::query(
        "UPDATE activities SET title = $2, description = $3, kind = $4, axes = $5, publics = $6, campaign = $7, \
         online = $8, commune_code = $9, address = $10, departement_code = $11, version = $12, updated_at = now() \
         WHERE id = $1",
    )
    .bind(id)
    .bind(&f.title)
    .bind(&f.description)
    .bind(f.kind.key())
    .bind(axes_column(f))
    .bind(publics_column(f))
    .bind(f.campaign.as_deref())
    .bind(matches!(f.venue, Venue::Online))
    .bind(commune)
    .bind(address)
    .bind(f.venue.departement())
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
}

#[tracing::instrument(name = "activities.store.set_status", skip_all, fields(ess.activity.id = %id))]
pub async fn set_status(conn: &mut PgConnection, id: Uuid, status: Status, version: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE activities SET status = $2, version = $3, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(status.key())
        .bind(version)
        .execute(conn)
        .await?;
    Ok(())
}

type ActivityRow = (
    Uuid,
    String,
    String,
    String,
    Vec<i16>,
    Vec<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    i64,
);

type SessionRow = (Uuid, Uuid, DateTime<Utc>, DateTime<Utc>, i32);
type OutcomeRow = (i32, i32, i32, i32, i32, i32, i32, i32);

/// Reads one activity; `lock` takes its row for the rest of the transaction (lifecycle changes).
#[tracing::instrument(name = "activities.store.get_activity", skip_all, fields(ess.activity.id = %id))]
pub async fn get(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Activity>, StoreError> {
    let row: Option<ActivityRow> = if lock {
        sqlx::query_as(
            "SELECT a.id, a.title, a.description, a.kind, a.axes, a.publics, a.campaign, a.online, a.commune_code, \
             a.address, a.status, a.flag, a.version FROM activities a WHERE a.id = $1 FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    } else {
        sqlx::query_as(
            "SELECT a.id, a.title, a.description, a.kind, a.axes, a.publics, a.campaign, a.online, a.commune_code, \
             a.address, a.status, a.flag, a.version FROM activities a WHERE a.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    };
    match row {
        None => Ok(None),
        Some(row) => Ok(complete(conn, vec![row]).await?.pop()),
    }
}

/// Filters of [`list`]; `None` matches everything.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub axis: Option<i16>,
    pub kind: Option<Kind>,
    pub public: Option<Public>,
    pub departement: Option<String>,
    pub campaign: Option<String>,
    pub organiser: Option<Uuid>,
    /// Only these statuses (all when empty).
    pub statuses: Vec<Status>,
}

/// Activities matching every filter, by (first session start, id): at most `limit`, after the
/// (first start as RFC 3339, id) `after` when given.
#[tracing::instrument(name = "activities.store.list_activities", skip_all, fields(limit))]
pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Activity>, StoreError> {
    let statuses: Vec<&str> = f.statuses.iter().map(|s| s.key()).collect();
    let rows: Vec<ActivityRow> = sqlx::query_as(
        "SELECT a.id, a.title, a.description, a.kind, a.axes, a.publics, a.campaign, a.online, a.commune_code, \
         a.address, a.status, a.flag, a.version FROM activities a \
         WHERE ($1::timestamptz IS NULL OR EXISTS (SELECT 1 FROM sessions s WHERE s.activity_id = a.id AND s.ends_at > $1)) \
           AND ($2::timestamptz IS NULL OR EXISTS (SELECT 1 FROM sessions s WHERE s.activity_id = a.id AND s.starts_at < $2)) \
           AND ($3::smallint IS NULL OR $3 = ANY(a.axes)) \
           AND ($4::text IS NULL OR a.kind = $4) \
           AND ($5::text IS NULL OR $5 = ANY(a.publics)) \
           AND ($6::text IS NULL OR a.departement_code = $6) \
           AND ($7::text IS NULL OR a.campaign = $7) \
           AND ($8::uuid IS NULL OR EXISTS (SELECT 1 FROM activity_organisers o WHERE o.activity_id = a.id AND o.partner_id = $8)) \
           AND (cardinality($9::text[]) = 0 OR a.status = ANY($9)) \
           AND ($10::timestamptz IS NULL OR \
                ((SELECT min(starts_at) FROM sessions s WHERE s.activity_id = a.id), a.id) > ($10, $11)) \
         ORDER BY (SELECT min(starts_at) FROM sessions s WHERE s.activity_id = a.id), a.id LIMIT $12",
    )
    .bind(f.from)
    .bind(f.to)
    .bind(f.axis)
    .bind(f.kind.map(|k| k.key()))
    .bind(f.public.map(|p| p.key()))
    .bind(f.departement.as_deref())
    .bind(f.campaign.as_deref())
    .bind(f.organiser)
    .bind(&statuses)
    .bind(after.map(|(t, _)| t))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    complete(conn, rows).await
}

/// Loads organisers and sessions of the rows and parses everything back into domain values.
async fn complete(conn: &mut PgConnection, rows: Vec<ActivityRow>) -> Result<Vec<Activity>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let organisers: Vec<(Uuid, Uuid, bool)> = sqlx::query_as(
        "SELECT activity_id, partner_id, co_organiser FROM activity_organisers WHERE activity_id = ANY($1) \
         ORDER BY activity_id, position",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let sessions: Vec<SessionRow> = sqlx::query_as(
        "SELECT activity_id, id, starts_at, ends_at, capacity FROM sessions WHERE activity_id = ANY($1) \
         ORDER BY activity_id, starts_at",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let corrupt = |reason: String| StoreError::Corrupt {
        table: "activities",
        reason,
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (id, title, description, kind, axes, publics, campaign, online, commune, address, status, flag, version) =
            r;
        let mut v = Violations::default();
        let axes = parse_axes(&axes.iter().map(|a| i32::from(*a)).collect::<Vec<_>>(), &mut v);
        let kind = Kind::from_key(&kind);
        let publics: Option<Vec<Public>> = publics.iter().map(|p| Public::from_key(p)).collect();
        let venue = if online {
            Some(Venue::Online)
        } else {
            match (commune.as_deref().map(CommuneCode::parse), address) {
                (Some(Ok(commune)), Some(address)) => Some(Venue::Place { commune, address }),
                _ => None,
            }
        };
        let (Some(axes), Some(kind), Some(publics), Some(venue), Some(status)) =
            (axes, kind, publics, venue, Status::from_key(&status))
        else {
            return Err(corrupt(format!("activity {id} does not parse")));
        };
        out.push(Activity {
            id,
            fields: ActivityFields {
                title,
                description,
                kind,
                axes,
                publics,
                campaign,
                venue,
            },
            organisers: organisers.iter().filter(|o| o.0 == id && !o.2).map(|o| o.1).collect(),
            co_organisers: organisers.iter().filter(|o| o.0 == id && o.2).map(|o| o.1).collect(),
            sessions: sessions
                .iter()
                .filter(|s| s.0 == id)
                .map(|s| Session {
                    id: s.1,
                    start: s.2,
                    end: s.3,
                    capacity: s.4,
                })
                .collect(),
            status,
            flag,
            version,
        });
    }
    Ok(out)
}

/// Per session: (registered incl. attended and no-show, waitlisted, attended), as the session
/// rows keep them (`store::registrations` changes them with the registrations): a view does not
/// count the registrations.
pub async fn session_counts(
    conn: &mut PgConnection,
    activity_ids: &[Uuid],
) -> Result<HashMap<Uuid, (i32, i32, i32)>, StoreError> {
    let rows: Vec<(Uuid, i32, i32, i32)> =
        sqlx::query_as("SELECT id, seated, waitlisted, attended FROM sessions WHERE activity_id = ANY($1)")
            .bind(activity_ids)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(s, r, w, a)| (s, (r, w, a))).collect())
}

/// Writes the outcome of a completed activity.
pub async fn insert_outcome(conn: &mut PgConnection, id: Uuid, c: &Counts) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO activity_outcomes (activity_id, total, female, male, sex_not_given, under_26, age_26_49, \
         age_50_and_over, age_not_given) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(c.total)
    .bind(c.female)
    .bind(c.male)
    .bind(c.sex_not_given)
    .bind(c.under_26)
    .bind(c.age_26_49)
    .bind(c.age_50_and_over)
    .bind(c.age_not_given)
    .execute(&mut *conn)
    .await?;
    for (p, n) in &c.by_public {
        sqlx::query("INSERT INTO activity_outcome_publics (activity_id, public, attendees) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(p.key())
            .bind(n)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The outcome of a completed activity, if any.
pub async fn outcome(conn: &mut PgConnection, id: Uuid) -> Result<Option<Counts>, StoreError> {
    let row: Option<OutcomeRow> = sqlx::query_as(
        "SELECT total, female, male, sex_not_given, under_26, age_26_49, age_50_and_over, age_not_given \
         FROM activity_outcomes WHERE activity_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let publics: Vec<(String, i32)> =
        sqlx::query_as("SELECT public, attendees FROM activity_outcome_publics WHERE activity_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let mut by_public = BTreeMap::new();
    for (p, n) in publics {
        let p = Public::from_key(&p).ok_or_else(|| StoreError::Corrupt {
            table: "activity_outcome_publics",
            reason: "unknown public".into(),
        })?;
        by_public.insert(p, n);
    }
    Ok(Some(Counts {
        total: r.0,
        female: r.1,
        male: r.2,
        sex_not_given: r.3,
        under_26: r.4,
        age_26_49: r.5,
        age_50_and_over: r.6,
        age_not_given: r.7,
        by_public,
    }))
}

/// Flags the draft or scheduled activities, with a session still to come, whose only organiser
/// is `partner`; returns their ids and new versions.
#[tracing::instrument(name = "activities.store.flag_sole_organiser", skip_all, fields(ess.partner.id = %partner))]
pub async fn flag_sole_organiser(
    conn: &mut PgConnection,
    partner: Uuid,
    reason: &str,
) -> Result<Vec<(Uuid, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE activities a SET flag = $2, version = a.version + 1, updated_at = now() \
         WHERE a.status IN ('draft', 'scheduled') AND a.flag IS DISTINCT FROM $2 \
           AND EXISTS (SELECT 1 FROM sessions s WHERE s.activity_id = a.id AND s.ends_at > now()) \
           AND (SELECT array_agg(o.partner_id) FROM activity_organisers o WHERE o.activity_id = a.id) = ARRAY[$1::uuid] \
         RETURNING a.id, a.version",
    )
    .bind(partner)
    .bind(reason)
    .fetch_all(conn)
    .await?)
}
