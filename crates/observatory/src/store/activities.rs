//! `activity_projection`: activities as the observatory sees them (axis, kind, publics,
//! département, campaign, status) and the people they reached. One version guard per kind of fact
//! (description, status, outcome), so any delivery order gives the same row.

use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

/// Outcome counts of a completed activity (by sex, by age band, by public; each adds up to the
/// total).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attendance {
    pub total: i32,
    pub female: i32,
    pub male: i32,
    pub sex_not_given: i32,
    pub under_26: i32,
    pub age_26_49: i32,
    pub age_50_and_over: i32,
    pub age_not_given: i32,
    pub by_public: Vec<(String, i32)>,
}

/// An activity's state as carried by an activities event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFacts {
    pub activity_id: Uuid,
    pub version: i64,
    /// `None`: keep the status the activity has (an update of its description).
    pub status: Option<&'static str>,
    pub kind: Option<String>,
    pub axes: Vec<i32>,
    pub publics: Vec<String>,
    pub campaign: Option<String>,
    pub departement_code: Option<String>,
    /// Start date (UTC) of the first session, if it has any.
    pub starts_on: Option<chrono::NaiveDate>,
    /// Organisers and co-organisers (partner ids): the partners involved.
    pub partner_ids: Vec<String>,
    /// Present on `ActivityCompleted` only; `None` keeps the counts the activity has.
    pub attendance: Option<Attendance>,
}

/// Inserts or updates the activity unless a newer version is known; on completion, replaces its
/// outcome counts. Returns whether the row changed.
#[tracing::instrument(name = "observatory.store.upsert_activity", skip_all, fields(ess.activity.id = %f.activity_id, ess.aggregate.version = f.version))]
pub async fn upsert(conn: &mut PgConnection, f: &ActivityFacts) -> Result<bool, sqlx::Error> {
    let has_attendance = f.attendance.is_some();
    let a = f.attendance.clone().unwrap_or_default();
    let keep = |c: &str| {
        format!("{c} = CASE WHEN p.outcome_version < EXCLUDED.outcome_version THEN EXCLUDED.{c} ELSE p.{c} END")
    };
    let counts = [
        "attendees",
        "female",
        "male",
        "sex_not_given",
        "under_26",
        "age_26_49",
        "age_50_and_over",
        "age_not_given",
    ]
    .map(keep)
    .join(", ");
    let describe = |c: &str| format!("{c} = CASE WHEN p.version < EXCLUDED.version THEN EXCLUDED.{c} ELSE p.{c} END");
    let description = [
        "kind",
        "axes",
        "publics",
        "campaign",
        "departement_code",
        "starts_on",
        "partner_ids",
    ]
    .map(describe)
    .join(", ");
    // $3 NULL (an update): no status, status_version 0; $17 false: no outcome, outcome_version 0.
    let sql = format!(
        "INSERT INTO activity_projection AS p (activity_id, version, status_version, outcome_version, status, kind, axes, \
             publics, campaign, departement_code, attendees, female, male, sex_not_given, under_26, age_26_49, \
             age_50_and_over, age_not_given, starts_on, partner_ids) \
         VALUES ($1, $2, CASE WHEN $3::text IS NULL THEN 0 ELSE $2 END, CASE WHEN $17 THEN $2 ELSE 0 END, \
             coalesce($3, 'draft'), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $18, $19) \
         ON CONFLICT (activity_id) DO UPDATE SET {description}, {counts}, \
             status = CASE WHEN p.status_version < EXCLUDED.status_version THEN EXCLUDED.status ELSE p.status END, \
             version = GREATEST(p.version, EXCLUDED.version), \
             status_version = GREATEST(p.status_version, EXCLUDED.status_version), \
             outcome_version = GREATEST(p.outcome_version, EXCLUDED.outcome_version), \
             updated_at = now() \
         WHERE p.version < EXCLUDED.version OR p.status_version < EXCLUDED.status_version \
             OR p.outcome_version < EXCLUDED.outcome_version"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(f.activity_id)
        .bind(f.version)
        .bind(f.status)
        .bind(&f.kind)
        .bind(&f.axes)
        .bind(&f.publics)
        .bind(&f.campaign)
        .bind(&f.departement_code)
        .bind(a.total)
        .bind(a.female)
        .bind(a.male)
        .bind(a.sex_not_given)
        .bind(a.under_26)
        .bind(a.age_26_49)
        .bind(a.age_50_and_over)
        .bind(a.age_not_given)
        .bind(has_attendance)
        .bind(f.starts_on)
        .bind(&f.partner_ids)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 || !has_attendance {
        return Ok(done.rows_affected() == 1);
    }
    // Replace the counts by public only if this event's outcome is the one the row now holds.
    let current: i64 = sqlx::query_scalar("SELECT outcome_version FROM activity_projection WHERE activity_id = $1")
        .bind(f.activity_id)
        .fetch_one(&mut *conn)
        .await?;
    if current != f.version {
        return Ok(true);
    }
    sqlx::query("DELETE FROM activity_attendance_by_public WHERE activity_id = $1")
        .bind(f.activity_id)
        .execute(&mut *conn)
        .await?;
    if !a.by_public.is_empty() {
        let (publics, counts): (Vec<String>, Vec<i32>) = a.by_public.into_iter().unzip();
        sqlx::query(
            "INSERT INTO activity_attendance_by_public (activity_id, public, attendees) \
             SELECT $1, p, n FROM UNNEST($2::text[], $3::int[]) AS t(p, n)",
        )
        .bind(f.activity_id)
        .bind(publics)
        .bind(counts)
        .execute(conn)
        .await?;
    }
    Ok(true)
}

/// Marks the activity cancelled at `version` (guard `status_version`; a placeholder row, without
/// description, if it is not known yet).
#[tracing::instrument(name = "observatory.store.cancel_activity", skip_all, fields(ess.activity.id = %activity_id, ess.aggregate.version = version))]
pub async fn cancel(conn: &mut PgConnection, activity_id: Uuid, version: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO activity_projection AS p (activity_id, version, status_version, status) VALUES ($1, 0, $2, 'cancelled') \
         ON CONFLICT (activity_id) DO UPDATE SET status = 'cancelled', status_version = EXCLUDED.status_version, \
             updated_at = now() \
         WHERE p.status_version < EXCLUDED.status_version",
    )
    .bind(activity_id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts of activities (not cancelled) and of people reached (completed activities).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivityCounts {
    pub total: i64,
    pub by_status: Vec<(String, i64)>,
    pub by_axis: Vec<(String, i64)>,
    pub by_kind: Vec<(String, i64)>,
    pub by_public: Vec<(String, i64)>,
    pub by_departement: Vec<(String, i64)>,
    pub by_campaign: Vec<(String, i64)>,
    /// People reached: total, then by sex, age band and public.
    pub people: i64,
    pub people_by_sex: Vec<(String, i64)>,
    pub people_by_age: Vec<(String, i64)>,
    pub people_by_public: Vec<(String, i64)>,
}

async fn pairs(pool: &PgPool, sql: &'static str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    rows.iter().map(|r| Ok((r.try_get("k")?, r.try_get("n")?))).collect()
}

/// Reads every activity projection.
#[tracing::instrument(name = "observatory.store.activity_counts", skip_all)]
pub async fn counts(pool: &PgPool) -> Result<ActivityCounts, sqlx::Error> {
    let by_status = pairs(
        pool,
        "SELECT status AS k, count(*) AS n FROM activity_projection GROUP BY 1 ORDER BY 1",
    )
    .await?;
    let row = sqlx::query(
        "SELECT count(*) FILTER (WHERE status <> 'cancelled') AS total, \
             coalesce(sum(attendees) FILTER (WHERE status = 'completed'), 0)::bigint AS people, \
             coalesce(sum(female) FILTER (WHERE status = 'completed'), 0)::bigint AS female, \
             coalesce(sum(male) FILTER (WHERE status = 'completed'), 0)::bigint AS male, \
             coalesce(sum(sex_not_given) FILTER (WHERE status = 'completed'), 0)::bigint AS sex_not_given, \
             coalesce(sum(under_26) FILTER (WHERE status = 'completed'), 0)::bigint AS under_26, \
             coalesce(sum(age_26_49) FILTER (WHERE status = 'completed'), 0)::bigint AS age_26_49, \
             coalesce(sum(age_50_and_over) FILTER (WHERE status = 'completed'), 0)::bigint AS age_50_and_over, \
             coalesce(sum(age_not_given) FILTER (WHERE status = 'completed'), 0)::bigint AS age_not_given \
         FROM activity_projection",
    )
    .fetch_one(pool)
    .await?;
    let get = |c: &str| row.try_get::<i64, _>(c);
    Ok(ActivityCounts {
        total: get("total")?,
        by_status,
        by_axis: pairs(
            pool,
            "SELECT a::text AS k, count(*) AS n FROM activity_projection, unnest(axes) AS a \
             WHERE status <> 'cancelled' GROUP BY a ORDER BY a",
        )
        .await?,
        by_kind: pairs(
            pool,
            "SELECT coalesce(kind, '') AS k, count(*) AS n FROM activity_projection WHERE status <> 'cancelled' GROUP BY 1 ORDER BY 1",
        )
        .await?,
        by_public: pairs(
            pool,
            "SELECT p AS k, count(*) AS n FROM activity_projection, unnest(publics) AS p \
             WHERE status <> 'cancelled' GROUP BY p ORDER BY p",
        )
        .await?,
        by_departement: pairs(
            pool,
            "SELECT coalesce(departement_code, '') AS k, count(*) AS n FROM activity_projection \
             WHERE status <> 'cancelled' GROUP BY 1 ORDER BY 1",
        )
        .await?,
        by_campaign: pairs(
            pool,
            "SELECT campaign AS k, count(*) AS n FROM activity_projection \
             WHERE status <> 'cancelled' AND campaign IS NOT NULL GROUP BY 1 ORDER BY 1",
        )
        .await?,
        people: get("people")?,
        people_by_sex: vec![
            ("female".into(), get("female")?),
            ("male".into(), get("male")?),
            ("not_given".into(), get("sex_not_given")?),
        ],
        people_by_age: vec![
            ("under_26".into(), get("under_26")?),
            ("26_49".into(), get("age_26_49")?),
            ("50_and_over".into(), get("age_50_and_over")?),
            ("not_given".into(), get("age_not_given")?),
        ],
        people_by_public: pairs(
            pool,
            "SELECT b.public AS k, sum(b.attendees)::bigint AS n FROM activity_attendance_by_public b \
             JOIN activity_projection p USING (activity_id) WHERE p.status = 'completed' GROUP BY 1 ORDER BY 1",
        )
        .await?,
    })
}
