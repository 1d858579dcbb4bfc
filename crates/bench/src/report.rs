//! Scenario `report` (issue 6): the observatory renders the *Bilan annuel* over a year with
//! thousands of activities (and the *Point d'avancement*, and the bilan as CSV), through its real
//! gRPC path. The projections are seeded straight into the observatory's database with set-based
//! SQL (what thousands of consumed events would have left there): the figure measured is the
//! rendering — indicator queries, plan progress, HTML/SVG or CSV writing — not event intake.
//! Target: under 1 s per report.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use ess_proto::observatory::v1::{RenderReportRequest, ReportFormat, ReportKind, reports_client::ReportsClient};
use sqlx::postgres::PgPoolOptions;
use tonic::transport::Endpoint;

use crate::{Args, services::Environment};

/// Activities seeded per year (2025 and 2026).
const ACTIVITIES_PER_YEAR: i64 = 5_000;
/// Renders measured per report (after one warm-up).
const RUNS: usize = 10;

async fn seed(url: &str) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new().max_connections(2).connect(url).await?;
    let statements = [
        format!(
            "INSERT INTO activity_projection (activity_id, version, status_version, outcome_version, status, kind, \
                 axes, publics, departement_code, attendees, female, male, sex_not_given, under_26, age_26_49, \
                 age_50_and_over, age_not_given, starts_on, partner_ids) \
             SELECT gen_random_uuid(), 3, 3, 3, \
                 CASE WHEN i % 5 = 0 THEN 'cancelled' WHEN i % 7 = 0 THEN 'scheduled' ELSE 'completed' END, \
                 (ARRAY['SENSIBILISATION','EVENEMENT','FORMATION','ATELIER','VISITE_ENTREPRISE'])[1 + i % 5], \
                 ARRAY[1 + i % 5], ARRAY[(ARRAY['SCOLAIRES','DEMANDEURS_EMPLOI','GRAND_PUBLIC','SALARIES'])[1 + i % 4]], \
                 (ARRAY['14','50','61'])[1 + i % 3], \
                 20 + i % 30, (20 + i % 30) / 2, (20 + i % 30) - (20 + i % 30) / 2, 0, \
                 (20 + i % 30) / 3, (20 + i % 30) - (20 + i % 30) / 3, 0, 0, \
                 date '2025-01-01' + (i % 730)::int, ARRAY[md5((i % 400)::text), md5((i % 97)::text)] \
             FROM generate_series(1, {}) AS i",
            2 * ACTIVITIES_PER_YEAR
        ),
        "INSERT INTO activity_attendance_by_public (activity_id, public, attendees) \
         SELECT activity_id, publics[1], attendees FROM activity_projection WHERE status = 'completed'"
            .to_owned(),
        "INSERT INTO registration_projection (session_id, activity_id, version, capacity, registered, attended, no_show) \
         SELECT gen_random_uuid(), activity_id, 5, 60, attendees + 2, attendees, 2 FROM activity_projection \
         WHERE status = 'completed'"
            .to_owned(),
        "INSERT INTO ptce_projection (ptce_id, version, status_version, name, territory, status, created_on) \
         SELECT gen_random_uuid(), 1, 1, 'PTCE ' || i, 'Territoire ' || (i % 12), 'active', \
             date '2024-01-01' + (i * 5)::int FROM generate_series(1, 200) AS i"
            .to_owned(),
        "INSERT INTO ptce_member_projection (ptce_id, partner_id, version, joined_on) \
         SELECT ptce_id, md5(ptce_id::text || m), 1 + m, created_on + m FROM ptce_projection, generate_series(1, 8) AS m"
            .to_owned(),
        "INSERT INTO initiative_projection (initiative_id, version, kind, territory, stage, since, created_on) \
         SELECT gen_random_uuid(), 2, 'business_creation', 'Caen', 'launch', date '2025-01-01' + (i % 700)::int, \
             date '2024-06-01' + (i % 500)::int FROM generate_series(1, 500) AS i"
            .to_owned(),
        "INSERT INTO initiative_stage_history (initiative_id, version, from_stage, to_stage, changed_on) \
         SELECT initiative_id, 1, NULL, 'idea', created_on FROM initiative_projection \
         UNION ALL SELECT initiative_id, 2, 'idea', 'launch', since FROM initiative_projection"
            .to_owned(),
        "INSERT INTO practice_projection (practice_id, version, title, axis, published_on) \
         SELECT gen_random_uuid(), 1, 'Fiche ' || i, 1 + i % 5, date '2025-01-01' + (i * 2)::int \
         FROM generate_series(1, 300) AS i"
            .to_owned(),
        "INSERT INTO plan_actions (id, axis, title, version) \
         SELECT gen_random_uuid(), 1 + i % 5, 'Action ' || i, 1 FROM generate_series(1, 10) AS i"
            .to_owned(),
        "INSERT INTO plan_targets (action_id, position, indicator, public, period_from, period_to, target) \
         SELECT id, t, (ARRAY['activities_completed','people_reached','women_reached','under_26_reached', \
                 'job_seekers_reached','partners_involved','ptces_created','practices_published'])[1 + t], \
             '', date '2026-01-01', date '2026-12-31', 100 + t \
         FROM plan_actions, generate_series(0, 7) AS t"
            .to_owned(),
        "ANALYZE".to_owned(),
    ];
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .context("seeding the projections")?;
    }
    pool.close().await;
    Ok(())
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// Seeds, renders each report `RUNS` times, prints and writes `report.md`.
pub async fn run(args: &Args, env: &Environment) -> anyhow::Result<()> {
    let started = Instant::now();
    seed(&env.observatory_db).await?;
    eprintln!(
        "report: seeded {} activities in {:?}",
        2 * ACTIVITIES_PER_YEAR,
        started.elapsed()
    );
    let channel = Endpoint::from_shared(env.observatory.url.clone())?
        .connect()
        .await
        .context("observatory")?;
    let mut client =
        ReportsClient::new(platform::grpc::with_token(channel, &env.token)).max_decoding_message_size(64 * 1024 * 1024);
    let cases = [
        ("Bilan annuel 2026, HTML", ReportKind::BilanAnnuel, ReportFormat::Html),
        ("Bilan annuel 2026, CSV", ReportKind::BilanAnnuel, ReportFormat::Csv),
        (
            "Point d'avancement S1 2026, HTML",
            ReportKind::PointAvancement,
            ReportFormat::Html,
        ),
    ];
    let mut lines = vec![
        format!(
            "| report ({} activities per year, 2 years) | p50 ms | max ms | bytes | target |",
            ACTIVITIES_PER_YEAR
        ),
        "|---|---:|---:|---:|---|".to_owned(),
    ];
    for (name, kind, format) in cases {
        let request = RenderReportRequest {
            kind: kind as i32,
            year: 2026,
            from: "2026-01-01".into(),
            to: "2026-06-30".into(),
            format: format as i32,
        };
        let warm = client.render_report(request.clone()).await?.into_inner();
        let bytes: usize = warm.files.iter().map(|f| f.content.len()).sum();
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let t = Instant::now();
            client.render_report(request.clone()).await?;
            times.push(t.elapsed());
        }
        times.sort();
        let (p50, max) = (times[RUNS / 2], times[RUNS - 1]);
        let verdict = if max < Duration::from_secs(1) {
            "< 1 s: met"
        } else {
            "< 1 s: MISSED"
        };
        lines.push(format!(
            "| {name} | {} | {} | {bytes} | {verdict} |",
            millis(p50),
            millis(max)
        ));
    }
    let table = lines.join("\n") + "\n";
    println!("{table}");
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("report.md"), &table)?;
    eprintln!("written: {}", args.out.join("report.md").display());
    Ok(())
}
