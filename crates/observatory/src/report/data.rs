//! The figures a report reads from the projections for a period. Activities belong to a period by
//! the start date of their first session; "carried out" means completed (a cancelled activity
//! never counts); people reached are the attendees of completed activities.

use chrono::{Datelike as _, NaiveDate};
use sqlx::{PgPool, Row as _};

use crate::plan::domain::Period;

/// Activities and people reached over a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityFigures {
    pub completed: i64,
    /// Draft or scheduled (not yet carried out).
    pub planned: i64,
    pub cancelled: i64,
    /// Completed activities by kind, by public (an activity counts once per public it targets),
    /// by axis (once per axis).
    pub by_kind: Vec<(String, i64)>,
    pub by_public: Vec<(String, i64)>,
    pub by_axis: Vec<(i32, i64)>,
    pub people: i64,
    pub female: i64,
    pub male: i64,
    pub sex_not_given: i64,
    pub under_26: i64,
    pub age_26_49: i64,
    pub age_50_and_over: i64,
    pub age_not_given: i64,
    pub people_by_public: Vec<(String, i64)>,
    /// Distinct partners organising, co-organising or registering for completed activities.
    pub partners_involved: i64,
    /// Registrations of the sessions of completed activities: registered, attended, no-shows.
    pub registered: i64,
    pub attended: i64,
    pub no_show: i64,
}

async fn pairs<K>(pool: &PgPool, sql: &str, p: Period) -> Result<Vec<(K, i64)>, sqlx::Error>
where
    K: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(p.from)
        .bind(p.to)
        .fetch_all(pool)
        .await?;
    rows.iter().map(|r| Ok((r.try_get("k")?, r.try_get("n")?))).collect()
}

const IN_PERIOD: &str = "a.starts_on BETWEEN $1 AND $2";
const DONE: &str = "a.status = 'completed' AND a.starts_on BETWEEN $1 AND $2";

/// Reads the activity figures of `p`.
#[tracing::instrument(name = "observatory.report.activity_figures", skip_all, fields(from = %p.from, to = %p.to))]
pub async fn activities(pool: &PgPool, p: Period) -> Result<ActivityFigures, sqlx::Error> {
    let totals = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FILTER (WHERE status = 'completed') AS completed, \
             count(*) FILTER (WHERE status IN ('draft', 'scheduled')) AS planned, \
             count(*) FILTER (WHERE status = 'cancelled') AS cancelled, \
             coalesce(sum(attendees) FILTER (WHERE status = 'completed'), 0)::bigint AS people, \
             coalesce(sum(female) FILTER (WHERE status = 'completed'), 0)::bigint AS female, \
             coalesce(sum(male) FILTER (WHERE status = 'completed'), 0)::bigint AS male, \
             coalesce(sum(sex_not_given) FILTER (WHERE status = 'completed'), 0)::bigint AS sex_not_given, \
             coalesce(sum(under_26) FILTER (WHERE status = 'completed'), 0)::bigint AS under_26, \
             coalesce(sum(age_26_49) FILTER (WHERE status = 'completed'), 0)::bigint AS age_26_49, \
             coalesce(sum(age_50_and_over) FILTER (WHERE status = 'completed'), 0)::bigint AS age_50_and_over, \
             coalesce(sum(age_not_given) FILTER (WHERE status = 'completed'), 0)::bigint AS age_not_given \
         FROM activity_projection a WHERE {IN_PERIOD}"
    )))
    .bind(p.from)
    .bind(p.to)
    .fetch_one(pool)
    .await?;
    let registrations = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT coalesce(sum(r.registered), 0)::bigint AS registered, coalesce(sum(r.attended), 0)::bigint AS attended, \
             coalesce(sum(r.no_show), 0)::bigint AS no_show \
         FROM registration_projection r JOIN activity_projection a USING (activity_id) WHERE {DONE}"
    )))
    .bind(p.from)
    .bind(p.to)
    .fetch_one(pool)
    .await?;
    let partners: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(DISTINCT p) FROM ( \
             SELECT unnest(a.partner_ids) AS p FROM activity_projection a WHERE {DONE} \
             UNION SELECT o.organisation_id FROM registration_organisations o \
             JOIN activity_projection a USING (activity_id) WHERE {DONE}) t"
    )))
    .bind(p.from)
    .bind(p.to)
    .fetch_one(pool)
    .await?;
    let get = |c: &str| totals.try_get::<i64, _>(c);
    let reg = |c: &str| registrations.try_get::<i64, _>(c);
    Ok(ActivityFigures {
        completed: get("completed")?,
        planned: get("planned")?,
        cancelled: get("cancelled")?,
        by_kind: pairs(
            pool,
            &format!(
                "SELECT coalesce(a.kind, '') AS k, count(*) AS n FROM activity_projection a WHERE {DONE} \
                 GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
            p,
        )
        .await?,
        by_public: pairs(
            pool,
            &format!(
                "SELECT pub AS k, count(*) AS n FROM activity_projection a, unnest(a.publics) AS pub WHERE {DONE} \
                 GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
            p,
        )
        .await?,
        by_axis: pairs(
            pool,
            &format!(
                "SELECT ax AS k, count(*) AS n FROM activity_projection a, unnest(a.axes) AS ax WHERE {DONE} \
                 GROUP BY 1 ORDER BY 1"
            ),
            p,
        )
        .await?,
        people: get("people")?,
        female: get("female")?,
        male: get("male")?,
        sex_not_given: get("sex_not_given")?,
        under_26: get("under_26")?,
        age_26_49: get("age_26_49")?,
        age_50_and_over: get("age_50_and_over")?,
        age_not_given: get("age_not_given")?,
        people_by_public: pairs(
            pool,
            &format!(
                "SELECT b.public AS k, sum(b.attendees)::bigint AS n FROM activity_attendance_by_public b \
                 JOIN activity_projection a USING (activity_id) WHERE {DONE} GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
            p,
        )
        .await?,
        partners_involved: partners,
        registered: reg("registered")?,
        attended: reg("attended")?,
        no_show: reg("no_show")?,
    })
}

/// Completed activities and people reached per year, from `first` to `last`.
pub async fn yearly(pool: &PgPool, first: i32, last: i32) -> Result<Vec<(i32, i64, i64)>, sqlx::Error> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(first, 1, 1),
        NaiveDate::from_ymd_opt(last, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT extract(year FROM starts_on)::int AS y, count(*) AS n, coalesce(sum(attendees), 0)::bigint AS people \
         FROM activity_projection WHERE status = 'completed' AND starts_on BETWEEN $1 AND $2 GROUP BY 1",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut found = std::collections::BTreeMap::new();
    for r in &rows {
        found.insert(
            r.try_get::<i32, _>("y")?,
            (r.try_get::<i64, _>("n")?, r.try_get::<i64, _>("people")?),
        );
    }
    Ok((from.year()..=to.year())
        .map(|y| {
            let (n, people) = found.get(&y).copied().unwrap_or_default();
            (y, n, people)
        })
        .collect())
}

/// A PTCE as a report lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PtceLine {
    pub name: String,
    pub territory: String,
    pub status: String,
    pub created_on: Option<NaiveDate>,
    /// Members at the end of the period.
    pub members: i64,
    /// Members who joined / left within the period.
    pub joined: i64,
    pub left: i64,
}

/// PTCEs known at the end of the period (created then or before, or of unknown date).
pub async fn ptces(pool: &PgPool, p: Period) -> Result<Vec<PtceLine>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT coalesce(t.name, '') AS name, coalesce(t.territory, '') AS territory, coalesce(t.status, '') AS status, \
             t.created_on, \
             count(m.partner_id) FILTER (WHERE (m.joined_on IS NULL OR m.joined_on <= $2) \
                 AND (m.left_on IS NULL OR m.left_on > $2)) AS members, \
             count(m.partner_id) FILTER (WHERE m.joined_on BETWEEN $1 AND $2) AS joined, \
             count(m.partner_id) FILTER (WHERE m.left_on BETWEEN $1 AND $2) AS left_ \
         FROM ptce_projection t LEFT JOIN ptce_member_projection m USING (ptce_id) \
         WHERE t.created_on IS NULL OR t.created_on <= $2 \
         GROUP BY t.ptce_id ORDER BY 1, t.ptce_id",
    )
    .bind(p.from)
    .bind(p.to)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PtceLine {
                name: r.try_get("name")?,
                territory: r.try_get("territory")?,
                status: r.try_get("status")?,
                created_on: r.try_get("created_on")?,
                members: r.try_get("members")?,
                joined: r.try_get("joined")?,
                left: r.try_get("left_")?,
            })
        })
        .collect()
}

/// Initiatives: how many are followed (known at the end of the period), by current stage, and the
/// stage changes within the period (stage reached → number of initiatives).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InitiativeFigures {
    pub followed: i64,
    pub by_stage: Vec<(String, i64)>,
    pub reached_in_period: Vec<(String, i64)>,
}

pub async fn initiatives(pool: &PgPool, p: Period) -> Result<InitiativeFigures, sqlx::Error> {
    let by_stage: Vec<(String, i64)> = pairs(
        pool,
        "SELECT coalesce(stage, '') AS k, count(*) AS n FROM initiative_projection \
         WHERE (created_on IS NULL OR created_on <= $2) AND $1::date IS NOT NULL GROUP BY 1 ORDER BY 1",
        p,
    )
    .await?;
    Ok(InitiativeFigures {
        followed: by_stage.iter().map(|(_, n)| n).sum(),
        by_stage,
        reached_in_period: pairs(
            pool,
            "SELECT to_stage AS k, count(DISTINCT initiative_id) AS n FROM initiative_stage_history \
             WHERE changed_on BETWEEN $1 AND $2 GROUP BY 1 ORDER BY 1",
            p,
        )
        .await?,
    })
}

/// Titles of the practice sheets published within the period, oldest first.
pub async fn practices(pool: &PgPool, p: Period) -> Result<Vec<(NaiveDate, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT published_on, title FROM practice_projection WHERE published_on BETWEEN $1 AND $2 \
         ORDER BY published_on, title",
    )
    .bind(p.from)
    .bind(p.to)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("published_on")?, r.try_get("title")?)))
        .collect()
}
