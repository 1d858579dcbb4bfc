//! The action plan in the database (`plan_actions`, `plan_targets`) and the indicator queries
//! that compute an achieved value from the projections.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

use super::domain::{ActionSpec, Indicator, Period, TargetSpec};

/// A stored action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub id: Uuid,
    pub spec: ActionSpec,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// Why an update did not happen.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("no such action")]
    NotFound,
    #[error("the action is at version {0}")]
    VersionMismatch(i64),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

async fn write_targets(conn: &mut PgConnection, id: Uuid, targets: &[TargetSpec]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM plan_targets WHERE action_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (i, t) in targets.iter().enumerate() {
        sqlx::query(
            "INSERT INTO plan_targets (action_id, position, indicator, activity_kind, public, stage, period_from, \
                 period_to, target) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::float8::numeric)",
        )
        .bind(id)
        .bind(i as i32)
        .bind(t.indicator.code())
        .bind(t.activity_kind.as_deref().unwrap_or(""))
        .bind(t.public.as_deref().unwrap_or(""))
        .bind(t.stage.as_deref().unwrap_or(""))
        .bind(t.period.from)
        .bind(t.period.to)
        .bind(t.target)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts a new action (version 1) with its targets, in the caller's transaction.
pub async fn create(conn: &mut PgConnection, id: Uuid, spec: &ActionSpec) -> Result<Action, sqlx::Error> {
    let updated_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO plan_actions (id, axis, title, description, version) VALUES ($1, $2, $3, $4, 1) \
         RETURNING updated_at",
    )
    .bind(id)
    .bind(spec.axis)
    .bind(&spec.title)
    .bind(&spec.description)
    .fetch_one(&mut *conn)
    .await?;
    write_targets(conn, id, &spec.targets).await?;
    Ok(Action {
        id,
        spec: spec.clone(),
        version: 1,
        updated_at,
    })
}

/// Replaces an action (locked for the transaction), checking `expected_version` when given.
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    spec: &ActionSpec,
    expected_version: Option<i64>,
) -> Result<Action, UpdateError> {
    let current: Option<i64> = sqlx::query_scalar("SELECT version FROM plan_actions WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let current = current.ok_or(UpdateError::NotFound)?;
    if expected_version.is_some_and(|v| v != current) {
        return Err(UpdateError::VersionMismatch(current));
    }
    let updated_at: DateTime<Utc> = sqlx::query_scalar(
        "UPDATE plan_actions SET axis = $2, title = $3, description = $4, version = version + 1, updated_at = now() \
         WHERE id = $1 RETURNING updated_at",
    )
    .bind(id)
    .bind(spec.axis)
    .bind(&spec.title)
    .bind(&spec.description)
    .fetch_one(&mut *conn)
    .await?;
    write_targets(conn, id, &spec.targets).await?;
    Ok(Action {
        id,
        spec: spec.clone(),
        version: current + 1,
        updated_at,
    })
}

/// Actions by (axis, title, id) (one axis, or all with `None`), with their targets; or the one of id
/// `only`. A page: at most `page.1` (all with `None`, for the plan's own pages and reports: a
/// convention has a few dozen actions), after the action `page.0`.
pub async fn list(
    pool: &PgPool,
    axis: Option<i32>,
    only: Option<Uuid>,
    page: Option<(Option<Uuid>, i64)>,
) -> Result<Vec<Action>, sqlx::Error> {
    let (after, limit) = match page {
        Some((after, limit)) => (after, Some(limit)),
        None => (None, None),
    };
    let rows = sqlx::query(
        "SELECT id, axis, title, description, version, updated_at FROM plan_actions \
         WHERE ($1::int IS NULL OR axis = $1) AND ($2::uuid IS NULL OR id = $2) \
           AND ($3::uuid IS NULL OR (axis, title, id) > (SELECT c.axis, c.title, c.id FROM plan_actions c WHERE c.id = $3)) \
         ORDER BY axis, title, id LIMIT $4",
    )
    .bind(axis)
    .bind(only)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<Uuid, _>("id"))
        .collect::<Result<Vec<_>, _>>()?;
    let targets = sqlx::query(
        "SELECT action_id, indicator, activity_kind, public, stage, period_from, period_to, target::float8 AS target \
         FROM plan_targets WHERE action_id = ANY($1) ORDER BY action_id, position",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: Uuid = r.try_get("id")?;
        let mut spec_targets = Vec::new();
        for t in targets
            .iter()
            .filter(|t| t.try_get::<Uuid, _>("action_id").ok() == Some(id))
        {
            let code: String = t.try_get("indicator")?;
            let indicator = Indicator::from_code(&code)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown indicator {code}").into()))?;
            let opt = |c: &str| -> Result<Option<String>, sqlx::Error> {
                Ok(Some(t.try_get::<String, _>(c)?).filter(|s| !s.is_empty()))
            };
            spec_targets.push(TargetSpec {
                indicator,
                activity_kind: opt("activity_kind")?,
                public: opt("public")?,
                stage: opt("stage")?,
                period: Period {
                    from: t.try_get::<NaiveDate, _>("period_from")?,
                    to: t.try_get::<NaiveDate, _>("period_to")?,
                },
                target: t.try_get("target")?,
            });
        }
        out.push(Action {
            id,
            spec: ActionSpec {
                axis: r.try_get("axis")?,
                title: r.try_get("title")?,
                description: r.try_get("description")?,
                targets: spec_targets,
            },
            version: r.try_get("version")?,
            updated_at: r.try_get("updated_at")?,
        });
    }
    Ok(out)
}

/// Completed activities whose first session starts within the period (`a` is activity_projection).
const COMPLETED_IN: &str = "a.status = 'completed' AND a.starts_on BETWEEN $1 AND $2";

/// The value `t` has reached, computed from the projections now.
#[tracing::instrument(name = "observatory.plan.achieved", skip_all, fields(indicator = t.indicator.code()))]
pub async fn achieved(pool: &PgPool, t: &TargetSpec) -> Result<f64, sqlx::Error> {
    let kind = t.activity_kind.as_deref().unwrap_or("");
    let public = t.public.as_deref().unwrap_or("");
    let stage = t.stage.as_deref().unwrap_or("");
    let people = |column: &str| {
        format!("SELECT coalesce(sum(a.{column}), 0)::float8 FROM activity_projection a WHERE {COMPLETED_IN}")
    };
    let by_public = format!(
        "SELECT coalesce(sum(b.attendees), 0)::float8 FROM activity_attendance_by_public b \
         JOIN activity_projection a USING (activity_id) WHERE {COMPLETED_IN} AND b.public = $3"
    );
    let sql = match t.indicator {
        Indicator::ActivitiesCompleted => format!(
            "SELECT count(*)::float8 FROM activity_projection a WHERE {COMPLETED_IN} \
             AND ($3 = '' OR a.kind = $3) AND ($4 = '' OR $4 = ANY(a.publics))"
        ),
        Indicator::PeopleReached if !public.is_empty() => by_public.replace("$3", "$4"),
        Indicator::PeopleReached => people("attendees"),
        Indicator::WomenReached => people("female"),
        Indicator::MenReached => people("male"),
        Indicator::Under26Reached => people("under_26"),
        Indicator::JobSeekersReached => by_public.replace("$3", "'DEMANDEURS_EMPLOI'"),
        Indicator::PtcesCreated => {
            "SELECT count(*)::float8 FROM ptce_projection WHERE created_on BETWEEN $1 AND $2".to_owned()
        }
        Indicator::InitiativesReachingStage => "SELECT count(DISTINCT initiative_id)::float8 \
             FROM initiative_stage_history WHERE to_stage = $5 AND changed_on BETWEEN $1 AND $2"
            .to_owned(),
        Indicator::PartnersInvolved => format!(
            "SELECT count(DISTINCT p)::float8 FROM ( \
                 SELECT unnest(a.partner_ids) AS p FROM activity_projection a WHERE {COMPLETED_IN} \
                 UNION SELECT o.organisation_id FROM registration_organisations o \
                 JOIN activity_projection a USING (activity_id) WHERE {COMPLETED_IN}) t"
        ),
        Indicator::PracticesPublished => {
            "SELECT count(*)::float8 FROM practice_projection WHERE published_on BETWEEN $1 AND $2".to_owned()
        }
    };
    // Every query takes the same five parameters; each uses those it needs (Postgres must still
    // know their types, hence the no-op casts).
    let sql = format!("WITH _params AS (SELECT $3::text, $4::text, $5::text) {sql}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(t.period.from)
        .bind(t.period.to)
        .bind(kind)
        .bind(public)
        .bind(stage)
        .fetch_one(pool)
        .await
}
