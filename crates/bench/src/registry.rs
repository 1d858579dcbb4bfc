//! The registry's scenarios of issue 3, over synthetic SIRENE stocks in INSEE's layout (the real
//! communes, legal categories and NAF codes; valid SIREN and SIRET check digits), each against
//! `COPY` of the same establishments file:
//! - a national stock, shaped like INSEE's files: every département, closed establishments,
//!   mostly companies outside the ESS, so that about a thousand rows become partners;
//! - a worst case, where almost every row becomes a new partner (about 114,000), then the same
//!   files again (the monthly re-import where nothing changed).
//!
//! Then filtered `ListPartners` over those partners, one filter at a time (p99 target 20 ms), at
//! 8 clients and at half of that rate.

use std::{
    io::{BufWriter, Write as _},
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use ess_proto::registry::v1::{
    EssFamily, ImportSireneRequest, ImportSireneStart, ListPartnersRequest, SireneChunk, SireneFile,
    import_sirene_progress::Event, import_sirene_request::Part, partner_registry_client::PartnerRegistryClient,
    sirene_import_client::SireneImportClient,
};
use futures::StreamExt as _;
use platform::grpc::AuthChannel;
use sqlx::PgPool;
use tonic::transport::Endpoint;

use crate::{
    Args,
    load::{IN_FLIGHT, closed_loop, open_loop},
    scenarios::{Row, ratio},
    services::Environment,
    stock::{CHUNK, COMMUNES_CSV, NAF_CSV, column, copy_baseline, luhn_digit, whole},
};

/// Legal units in the generated stock; each has one or two establishments.
const UNITS: u64 = 100_000;
const ESTABLISHMENTS: u64 = 120_000;

/// The national stock: units and establishments of every département. In INSEE's stocks,
/// Calvados, Manche and Orne hold about 2 % of the establishments, and most rows are companies
/// outside the ESS or establishments closed long ago.
const NATIONAL_UNITS: u64 = 600_000;
const NATIONAL_ESTABLISHMENTS: u64 = 1_000_000;

/// Legal categories of the ESS families with their ESS flag (the last one: a commercial ESS company).
const CATEGORIES: [(&str, &str); 6] = [
    ("9220", "O"),
    ("9220", "O"),
    ("9300", "O"),
    ("8210", "O"),
    ("5458", "O"),
    ("5710", "O"),
];

fn siren(u: u64) -> String {
    numbered_siren(30_000_000, u)
}

fn numbered_siren(first: u64, u: u64) -> String {
    let body = format!("{:08}", first + u);
    format!("{body}{}", luhn_digit(&body))
}

fn siret(siren: &str, nic: u64) -> String {
    let body = format!("{siren}{nic:04}");
    format!("{body}{}", luhn_digit(&body))
}

/// One `StockUniteLegale` row of the generated stocks.
struct UnitRow<'a> {
    siren: String,
    name: String,
    acronym: String,
    category: &'a str,
    naf: &'a str,
    state: &'a str,
    ess_flag: &'a str,
}

/// One `StockEtablissement` row of the generated stocks (headcount band 11).
struct EstablishmentRow<'a> {
    siren: String,
    nic: u64,
    state: &'a str,
    commune: String,
    naf: &'a str,
}

/// Writes a pair of stock files in INSEE's layout into `dir`, row `i` of each from its function.
fn write_stock<'a>(
    dir: &Path,
    units: u64,
    unit: impl Fn(u64) -> UnitRow<'a>,
    establishments: u64,
    establishment: impl Fn(u64) -> EstablishmentRow<'a>,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let units_path = dir.join("StockUniteLegale.csv");
    let mut out = BufWriter::new(std::fs::File::create(&units_path)?);
    writeln!(
        out,
        "siren,denominationUniteLegale,sigleUniteLegale,categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,\
         etatAdministratifUniteLegale,economieSocialeSolidaireUniteLegale"
    )?;
    for u in 0..units {
        let r = unit(u);
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            r.siren, r.name, r.acronym, r.category, r.naf, r.state, r.ess_flag
        )?;
    }
    out.flush()?;

    let establishments_path = dir.join("StockEtablissement.csv");
    let mut out = BufWriter::new(std::fs::File::create(&establishments_path)?);
    writeln!(
        out,
        "siren,nic,siret,etatAdministratifEtablissement,codeCommuneEtablissement,activitePrincipaleEtablissement,\
         trancheEffectifsEtablissement"
    )?;
    for e in 0..establishments {
        let r = establishment(e);
        let siret = siret(&r.siren, r.nic);
        writeln!(
            out,
            "{},{:05},{siret},{},{},{},11",
            r.siren, r.nic, r.state, r.commune, r.naf
        )?;
    }
    out.flush()?;
    Ok((units_path, establishments_path))
}

/// The worst case: every unit in the ESS, every establishment in Basse-Normandie.
fn generate(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let communes = column(COMMUNES_CSV, 0);
    let nafs = column(NAF_CSV, 0);
    write_stock(
        dir,
        UNITS,
        |u| {
            let (category, ess_flag) = CATEGORIES[(u % CATEGORIES.len() as u64) as usize];
            UnitRow {
                siren: siren(u),
                name: format!("STRUCTURE DE MESURE {u}"),
                acronym: format!("SM{u}"),
                category,
                naf: nafs[(u * 7 % nafs.len() as u64) as usize],
                state: "A",
                ess_flag,
            }
        },
        ESTABLISHMENTS,
        |e| EstablishmentRow {
            siren: siren(e % UNITS),
            nic: 10 + e / UNITS,
            state: if e % 20 == 19 { "F" } else { "A" },
            commune: communes[(e * 31 % communes.len() as u64) as usize].to_owned(),
            naf: nafs[(e * 13 % nafs.len() as u64) as usize],
        },
    )
}

/// A well-mixed number from `n` and a salt (SplitMix64's finaliser), so that the national stock's
/// choices (in the ESS, in Basse-Normandie, closed) do not line up with one another.
fn mix(n: u64, salt: u64) -> u64 {
    let mut z = n.wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The national stock (see [`NATIONAL_ESTABLISHMENTS`]): one unit in twelve is in the ESS and one
/// in ten has ceased; one establishment in 45 is in Basse-Normandie (a real commune), the others
/// in a commune code of another département; four in ten are closed.
fn generate_national(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let communes = column(COMMUNES_CSV, 0);
    let nafs = column(NAF_CSV, 0);
    let elsewhere: Vec<u64> = (1..=95).filter(|d| ![14, 20, 50, 61].contains(d)).collect();
    let siren = |u: u64| numbered_siren(50_000_000, u);
    write_stock(
        dir,
        NATIONAL_UNITS,
        |u| {
            let (category, ess_flag) = if mix(u, 1).is_multiple_of(12) {
                CATEGORIES[(u / 12 % CATEGORIES.len() as u64) as usize]
            } else {
                ("5710", "N")
            };
            UnitRow {
                siren: siren(u),
                name: format!("ENTREPRISE NATIONALE {u}"),
                acronym: String::new(),
                category,
                naf: nafs[(u * 7 % nafs.len() as u64) as usize],
                state: if mix(u, 2).is_multiple_of(10) { "C" } else { "A" },
                ess_flag,
            }
        },
        NATIONAL_ESTABLISHMENTS,
        |e| EstablishmentRow {
            siren: siren(e * 7 % NATIONAL_UNITS),
            nic: 10 + e / NATIONAL_UNITS,
            state: if mix(e, 3) % 10 < 4 { "F" } else { "A" },
            commune: if mix(e, 4).is_multiple_of(45) {
                communes[(e / 45 % communes.len() as u64) as usize].to_owned()
            } else {
                let departement = elsewhere[(e % elsewhere.len() as u64) as usize];
                format!("{departement:02}{:03}", 1 + e % 400)
            },
            naf: nafs[(e * 13 % nafs.len() as u64) as usize],
        },
    )
}

async fn import(
    client: &SireneImportClient<AuthChannel>,
    units: &Path,
    establishments: &Path,
) -> anyhow::Result<(Duration, i64)> {
    let mut messages = vec![ImportSireneRequest {
        part: Some(Part::Start(ImportSireneStart { departements: vec![] })),
    }];
    for (file, path) in [
        (SireneFile::UnitesLegales, units),
        (SireneFile::Etablissements, establishments),
    ] {
        let bytes = tokio::fs::read(path).await?;
        messages.extend(bytes.chunks(CHUNK).map(|c| ImportSireneRequest {
            part: Some(Part::Chunk(SireneChunk {
                file: file as i32,
                data: c.to_vec(),
            })),
        }));
    }
    let started = Instant::now();
    let mut answers = client
        .clone()
        .import_sirene(futures::stream::iter(messages))
        .await
        .context("ImportSirene")?
        .into_inner();
    while let Some(answer) = answers.next().await {
        if let Some(Event::Done(summary)) = answer?.event {
            return Ok((started.elapsed(), summary.created));
        }
    }
    anyhow::bail!("the SIRENE import ended without a summary")
}

/// The filtered listings measured, each with its name.
fn listings() -> Vec<(&'static str, ListPartnersRequest)> {
    let base = ListPartnersRequest {
        page_size: 50,
        ..Default::default()
    };
    vec![
        (
            "by département",
            ListPartnersRequest {
                departement_code: "14".into(),
                ..base.clone()
            },
        ),
        (
            "by text (a name's distinctive part)",
            ListPartnersRequest {
                query: "mesure 4242".into(),
                ..base.clone()
            },
        ),
        (
            "by text (a word every partner has)",
            ListPartnersRequest {
                query: "structure de mesure".into(),
                ..base.clone()
            },
        ),
        (
            "by family and département",
            ListPartnersRequest {
                ess_family: EssFamily::Association as i32,
                departement_code: "50".into(),
                ..base.clone()
            },
        ),
        (
            "by NAF section and département",
            ListPartnersRequest {
                naf: "Q".into(),
                departement_code: "61".into(),
                ..base.clone()
            },
        ),
        (
            "by commune",
            ListPartnersRequest {
                commune_code: "14118".into(),
                ..base.clone()
            },
        ),
        (
            "by family and CRESS membership",
            ListPartnersRequest {
                ess_family: EssFamily::Cooperative as i32,
                cress_member: Some(false),
                ..base
            },
        ),
    ]
}

/// One SIRENE import of `rows` establishment rows as a row of the report, beside the `COPY` of
/// the same establishments file; printed as it is measured.
fn import_row(scenario: String, platform_path: &str, rows: u64, elapsed: Duration, copy: Duration) -> Row {
    let platform = whole(rows, elapsed);
    let baseline = whole(rows, copy);
    eprintln!(
        "{scenario}: {:.2} s, {} rows/s / COPY {:.2} s",
        elapsed.as_secs_f64(),
        platform.rate_per_s,
        copy.as_secs_f64()
    );
    Row {
        scenario,
        platform_path: platform_path.into(),
        ratio_pct: ratio(&platform, &baseline),
        platform,
        baseline_path: "COPY of the same establishments file into a table of text columns".into(),
        baseline: Some(baseline),
        target: "≥ 50,000 rows/s".into(),
    }
}

pub async fn run(args: &Args, env: &Environment, raw: &PgPool) -> anyhow::Result<Vec<Row>> {
    let channel = Endpoint::from_shared(env.registry.url.clone())?
        .connect()
        .await
        .context("registry")?;
    let channel = platform::grpc::with_token(channel, &env.token);
    let sirene = SireneImportClient::new(channel.clone());

    // The national stock, the case of the target.
    let dir = args.out.join("sirene-registry-national");
    let (units, establishments) = tokio::task::spawn_blocking(move || generate_national(&dir)).await??;
    let (elapsed, created) = import(&sirene, &units, &establishments).await?;
    let copy = copy_baseline(raw, "raw_sirene_national", 7, &establishments).await?;
    let mut rows = vec![import_row(
        format!(
            "registry SIRENE import, national stock ({NATIONAL_ESTABLISHMENTS} establishment rows and \
             {NATIONAL_UNITS} units of every département, {created} partners created)"
        ),
        "ImportSirene stream: parse and keep the ESS units and the establishments of 14, 50 and 61, \
         COPY to staging, one set-based upsert, an event per partner",
        NATIONAL_ESTABLISHMENTS,
        elapsed,
        copy,
    )];

    // The worst case: every row a new partner.
    let dir = args.out.join("sirene-registry");
    let (units, establishments) = tokio::task::spawn_blocking(move || generate(&dir)).await??;
    let (elapsed, created) = import(&sirene, &units, &establishments).await?;
    let copy = copy_baseline(raw, "raw_sirene_etablissements", 7, &establishments).await?;
    rows.push(import_row(
        format!("registry SIRENE import ({ESTABLISHMENTS} establishment rows, {created} partners created)"),
        "ImportSirene stream: parse, COPY to staging, one set-based upsert, an event per partner",
        ESTABLISHMENTS,
        elapsed,
        copy,
    ));
    // The monthly case: the next stock file, where almost nothing changed. The same files again:
    // every row parsed, staged and compared, nothing written, no event.
    let (again, created_again) = import(&sirene, &units, &establishments).await?;
    anyhow::ensure!(
        created_again == 0,
        "re-importing the same files created {created_again} partners"
    );
    rows.push(import_row(
        format!("registry SIRENE re-import of the same files ({ESTABLISHMENTS} establishment rows, nothing changed)"),
        "ImportSirene stream: parse, COPY to staging, one set-based upsert that finds nothing to change",
        ESTABLISHMENTS,
        again,
        copy,
    ));

    let partners: i64 = sqlx::query_scalar("SELECT count(*) FROM partners")
        .fetch_one(&PgPool::connect(&env.registry_db).await?)
        .await?;
    // The import's events keep the relay and the observatory busy for a while: measure the
    // listing once the observatory has projected every partner, not against that backlog.
    let observatory = PgPool::connect(&env.observatory_db).await?;
    let drained = Instant::now();
    loop {
        let projected: i64 = sqlx::query_scalar("SELECT count(*) FROM partner_projection")
            .fetch_one(&observatory)
            .await?;
        if projected >= partners || drained.elapsed() > Duration::from_secs(300) {
            eprintln!(
                "observatory projected {projected} of {partners} partners after {:.1} s",
                drained.elapsed().as_secs_f64()
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let client = PartnerRegistryClient::new(channel);
    for (name, request) in listings() {
        let request = Arc::new(request);
        let (c, r) = (client.clone(), request.clone());
        let listing = closed_loop(8, args.duration, move |_| {
            let (mut c, r) = (c.clone(), r.clone());
            async move {
                c.list_partners((*r).clone()).await?;
                Ok(())
            }
        })
        .await;
        // At 8 clients on 2 cores a request mostly waits for the others; at half of that rate
        // the p99 is the listing's own.
        let half = (listing.rate_per_s / 2.0).max(1.0);
        let c = client.clone();
        let at_half = open_loop(half, args.duration, IN_FLIGHT, move |_| {
            let (mut c, r) = (c.clone(), request.clone());
            async move {
                c.list_partners((*r).clone()).await?;
                Ok(())
            }
        })
        .await;
        eprintln!(
            "listing {name} over {partners} partners: {} /s, p99 {} ms; p99 at {half}/s: {} ms",
            listing.rate_per_s, listing.p99_ms, at_half.p99_ms
        );
        for (load, figures) in [
            ("8 clients".to_owned(), listing),
            (format!("open loop at half that rate ({half}/s)"), at_half),
        ] {
            rows.push(Row {
                scenario: format!("ListPartners {name}, over {partners} partners, {load}"),
                platform_path: "ListPartners, first page of 50 (ordered by name)".into(),
                ratio_pct: None,
                platform: figures,
                baseline_path: "—".into(),
                baseline: None,
                target: "p99 < 20 ms".into(),
            });
        }
    }
    Ok(rows)
}
