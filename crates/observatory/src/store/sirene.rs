//! SIRENE imports: legal units are streamed into `sirene_legal_units` with `COPY`; an
//! establishments import reads them back (SIREN → family), joins and sums its establishments while
//! parsing (`import::sirene::EstablishmentSums`), and writes only the facts, per commune × family ×
//! NA88 division, with one `COPY`. (Staging the million establishments and joining them in SQL
//! took 4 to 5 s of a 1 M-row import; the join in memory takes a fraction of a second.)

use futures::TryStreamExt as _;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    domain::{
        dataset::LegalUnit,
        family::Family,
        territory::{BASSE_NORMANDIE, NORMANDIE},
    },
    import::sirene::{EstablishmentFacts, LegalUnitFamilies},
};

/// NULL in COPY's text format (written as is, never escaped).
const NULL: &str = "\\N";

/// A text-format COPY field: digits, codes and decimals only ever, but escaped all the same.
fn field(out: &mut String, value: &str) {
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn line(out: &mut String, values: &[&str]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        if *v == NULL {
            out.push_str(NULL);
        } else {
            field(out, v);
        }
    }
    out.push('\n');
}

/// Appends legal units to the dataset with one `COPY`.
#[tracing::instrument(name = "observatory.store.copy_legal_units", skip_all, fields(rows = units.len()))]
pub async fn copy_legal_units(
    conn: &mut PgConnection,
    dataset_id: Uuid,
    units: &[LegalUnit],
) -> Result<(), sqlx::Error> {
    let id = dataset_id.to_string();
    let mut data = String::with_capacity(units.len() * 64);
    for u in units {
        line(&mut data, &[&id, &u.siren, u.family.code()]);
    }
    let mut copy = conn
        .copy_in_raw("COPY sirene_legal_units (dataset_id, siren, family) FROM STDIN")
        .await?;
    copy.send(data.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// The legal units of dataset `legal_units` (an edition of `StockUniteLegale`) with their family,
/// for the establishments import of the same edition to join to while it reads.
#[tracing::instrument(name = "observatory.store.legal_unit_families", skip_all)]
pub async fn legal_unit_families(conn: &mut PgConnection, legal_units: Uuid) -> Result<LegalUnitFamilies, sqlx::Error> {
    // Streamed into the map: a national stock has over a million units, never held twice.
    let mut rows =
        sqlx::query_as::<_, (String, String)>("SELECT siren, family FROM sirene_legal_units WHERE dataset_id = $1")
            .bind(legal_units)
            .fetch(conn);
    let mut units = LegalUnitFamilies::default();
    while let Some((siren, family)) = rows.try_next().await? {
        let family = Family::from_code(&family).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown family code in sirene_legal_units: {family}").into())
        })?;
        units.insert(&siren, family);
    }
    Ok(units)
}

/// Rows sent per `COPY` message.
const COPY_ROWS: usize = 10_000;

/// Writes the facts of a SIRENE establishments import (`dataset_id`, `year`) with one `COPY`:
/// scope ESS, in Basse-Normandie (Normandie), payroll unknown, employees estimated. Returns the
/// number of establishments they count.
#[tracing::instrument(name = "observatory.store.copy_establishment_facts", skip_all, fields(rows = facts.len()))]
pub async fn copy_establishment_facts(
    conn: &mut PgConnection,
    dataset_id: Uuid,
    year: i32,
    facts: &EstablishmentFacts,
) -> Result<i64, sqlx::Error> {
    let (id, year) = (dataset_id.to_string(), year.to_string());
    let mut copy = conn
        .copy_in_raw(
            "COPY facts (dataset_id, scope, year, commune, epci, departement, ancienne_region, region, family, \
                 na88, naf_section, establishments, employees, payroll, largest_employees, largest_payroll, \
                 estimated) FROM STDIN",
        )
        .await?;
    let mut kept = 0;
    let mut data = String::with_capacity(COPY_ROWS * 128);
    let mut in_message = 0;
    for f in facts.iter() {
        let f = f.map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        kept += f.establishments;
        let (n, employees, largest) = (
            f.establishments.to_string(),
            f.employees.to_string(),
            f.largest_employees.to_string(),
        );
        line(
            &mut data,
            &[
                &id,
                "ess",
                &year,
                f.commune,
                f.epci,
                f.departement,
                BASSE_NORMANDIE,
                NORMANDIE,
                f.family.code(),
                f.na88,
                f.naf_section,
                &n,
                &employees,
                NULL,
                &largest,
                NULL,
                "t",
            ],
        );
        in_message += 1;
        if in_message == COPY_ROWS {
            copy.send(std::mem::take(&mut data).into_bytes()).await?;
            data.reserve(COPY_ROWS * 128);
            in_message = 0;
        }
    }
    if !data.is_empty() {
        copy.send(data.into_bytes()).await?;
    }
    copy.finish().await?;
    Ok(kept)
}
