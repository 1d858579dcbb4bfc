//! Projections of PTCEs, initiatives (with their dated stage history), registrations per session
//! and published practice sheets. Every write is guarded by the aggregate version, so a replayed or
//! older event changes nothing and any delivery order gives the same rows.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

/// A `PtceCreated`.
#[derive(Debug, Clone)]
pub struct PtceFacts {
    pub ptce_id: Uuid,
    pub version: i64,
    pub name: String,
    pub territory: String,
    pub status: String,
    pub created_on: Option<NaiveDate>,
}

pub async fn upsert_ptce(conn: &mut PgConnection, f: &PtceFacts) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ptce_projection AS p (ptce_id, version, status_version, name, territory, status, created_on) \
         VALUES ($1, $2, $2, $3, $4, $5, $6) \
         ON CONFLICT (ptce_id) DO UPDATE SET \
             name = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.name ELSE p.name END, \
             territory = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.territory ELSE p.territory END, \
             created_on = coalesce(p.created_on, EXCLUDED.created_on), \
             status = CASE WHEN p.status_version < EXCLUDED.status_version THEN EXCLUDED.status ELSE p.status END, \
             version = GREATEST(p.version, EXCLUDED.version), \
             status_version = GREATEST(p.status_version, EXCLUDED.status_version)",
    )
    .bind(f.ptce_id)
    .bind(f.version)
    .bind(&f.name)
    .bind(&f.territory)
    .bind(&f.status)
    .bind(f.created_on)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_ptce_status(
    conn: &mut PgConnection,
    ptce_id: Uuid,
    status: &str,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ptce_projection AS p (ptce_id, version, status_version, status) VALUES ($1, 0, $2, $3) \
         ON CONFLICT (ptce_id) DO UPDATE SET status = EXCLUDED.status, status_version = EXCLUDED.status_version \
         WHERE p.status_version < EXCLUDED.status_version",
    )
    .bind(ptce_id)
    .bind(version)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}

/// A member joined (`left_on` None) or left a PTCE; the latest version for the pair wins.
pub async fn set_ptce_member(
    conn: &mut PgConnection,
    ptce_id: Uuid,
    partner_id: &str,
    version: i64,
    joined_on: Option<NaiveDate>,
    left_on: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ptce_member_projection AS m (ptce_id, partner_id, version, joined_on, left_on) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (ptce_id, partner_id) DO UPDATE SET version = EXCLUDED.version, \
             joined_on = coalesce(EXCLUDED.joined_on, m.joined_on), left_on = EXCLUDED.left_on \
         WHERE m.version < EXCLUDED.version",
    )
    .bind(ptce_id)
    .bind(partner_id)
    .bind(version)
    .bind(joined_on)
    .bind(left_on)
    .execute(conn)
    .await?;
    Ok(())
}

/// An `InitiativeCreated`.
#[derive(Debug, Clone)]
pub struct InitiativeFacts {
    pub initiative_id: Uuid,
    pub version: i64,
    pub kind: String,
    pub territory: String,
    pub stage: String,
    pub since: Option<NaiveDate>,
    pub created_on: Option<NaiveDate>,
}

/// Records a created initiative; its initial stage opens the stage history (dated `since`, else
/// the day of the event).
pub async fn upsert_initiative(conn: &mut PgConnection, f: &InitiativeFacts) -> Result<(), sqlx::Error> {
    if let Some(on) = f.since.or(f.created_on)
        && !f.stage.is_empty()
    {
        sqlx::query(
            "INSERT INTO initiative_stage_history (initiative_id, version, from_stage, to_stage, changed_on) \
             VALUES ($1, $2, NULL, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(f.initiative_id)
        .bind(f.version)
        .bind(&f.stage)
        .bind(on)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO initiative_projection AS i (initiative_id, version, kind, territory, stage, since, created_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (initiative_id) DO UPDATE SET kind = EXCLUDED.kind, territory = EXCLUDED.territory, \
             created_on = EXCLUDED.created_on, \
             stage = CASE WHEN i.version < EXCLUDED.version THEN EXCLUDED.stage ELSE i.stage END, \
             since = CASE WHEN i.version < EXCLUDED.version THEN EXCLUDED.since ELSE i.since END, \
             version = GREATEST(i.version, EXCLUDED.version)",
    )
    .bind(f.initiative_id)
    .bind(f.version)
    .bind(&f.kind)
    .bind(&f.territory)
    .bind(&f.stage)
    .bind(f.since)
    .bind(f.created_on)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a stage change in the history (once per version) and moves the current stage if this
/// is the newest fact known.
pub async fn change_initiative_stage(
    conn: &mut PgConnection,
    initiative_id: Uuid,
    version: i64,
    from_stage: &str,
    to_stage: &str,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO initiative_stage_history (initiative_id, version, from_stage, to_stage, changed_on) \
         VALUES ($1, $2, NULLIF($3, ''), $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(initiative_id)
    .bind(version)
    .bind(from_stage)
    .bind(to_stage)
    .bind(on)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO initiative_projection AS i (initiative_id, version, stage, since) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (initiative_id) DO UPDATE SET stage = EXCLUDED.stage, since = EXCLUDED.since, \
             version = EXCLUDED.version \
         WHERE i.version < EXCLUDED.version",
    )
    .bind(initiative_id)
    .bind(version)
    .bind(to_stage)
    .bind(on)
    .execute(conn)
    .await?;
    Ok(())
}

/// A session's registration counts after a change.
#[derive(Debug, Clone)]
pub struct SessionCounts {
    pub session_id: Uuid,
    pub activity_id: Uuid,
    pub version: i64,
    pub capacity: i32,
    pub registered: i32,
    pub waitlisted: i32,
    pub attended: i32,
    pub no_show: i32,
    pub cancelled: i32,
    pub organisation_id: Option<String>,
}

pub async fn set_session_counts(conn: &mut PgConnection, c: &SessionCounts) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO registration_projection AS r (session_id, activity_id, version, capacity, registered, \
             waitlisted, attended, no_show, cancelled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (session_id) DO UPDATE SET version = EXCLUDED.version, capacity = EXCLUDED.capacity, \
             registered = EXCLUDED.registered, waitlisted = EXCLUDED.waitlisted, attended = EXCLUDED.attended, \
             no_show = EXCLUDED.no_show, cancelled = EXCLUDED.cancelled \
         WHERE r.version < EXCLUDED.version",
    )
    .bind(c.session_id)
    .bind(c.activity_id)
    .bind(c.version)
    .bind(c.capacity)
    .bind(c.registered.max(0))
    .bind(c.waitlisted.max(0))
    .bind(c.attended.max(0))
    .bind(c.no_show.max(0))
    .bind(c.cancelled.max(0))
    .execute(&mut *conn)
    .await?;
    if let Some(org) = &c.organisation_id {
        sqlx::query("INSERT INTO registration_organisations (activity_id, organisation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(c.activity_id)
            .bind(org)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// A `PracticePublished`.
#[derive(Debug, Clone)]
pub struct PracticeFacts {
    pub practice_id: Uuid,
    pub version: i64,
    pub title: String,
    pub axis: Option<i32>,
    pub partner_ids: Vec<String>,
    pub published_on: NaiveDate,
}

pub async fn upsert_practice(conn: &mut PgConnection, f: &PracticeFacts) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO practice_projection AS p (practice_id, version, title, axis, partner_ids, published_on) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (practice_id) DO UPDATE SET version = EXCLUDED.version, title = EXCLUDED.title, \
             axis = EXCLUDED.axis, partner_ids = EXCLUDED.partner_ids, published_on = EXCLUDED.published_on \
         WHERE p.version < EXCLUDED.version",
    )
    .bind(f.practice_id)
    .bind(f.version)
    .bind(&f.title)
    .bind(f.axis)
    .bind(&f.partner_ids)
    .bind(f.published_on)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every table of this module, emptied by a rebuild.
pub const TABLES: [&str; 7] = [
    "registration_projection",
    "registration_organisations",
    "ptce_projection",
    "ptce_member_projection",
    "initiative_projection",
    "initiative_stage_history",
    "practice_projection",
];
