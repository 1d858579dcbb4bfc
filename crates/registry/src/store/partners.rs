//! The `partners` table and its `partner_contacts`. Rows read back go through the domain parsers.

use chrono::{DateTime, NaiveDate, Utc};
use platform::outbox::NewEvent;
use sqlx::{
    Connection as _, PgConnection, Postgres, QueryBuilder, Row as _, postgres::PgRow, query_builder::Separated,
};
use uuid::Uuid;

use super::{StoreError, classify, word_statistics::WordStatistics};
use crate::domain::{
    contact::{Contact, Email, Phone},
    dates::Period,
    family::EssFamily,
    location::Location,
    nomenclature::{LegalCategory, NafCode, NafFilter},
    partner::{Headcount, Partner, PartnerDetails, PartnerId, PartnerKind, PartnerName, PartnerStatus, Rna},
    siret::{Siren, Siret},
};

/// Name of the constraint that keeps SIRETs unique.
pub const SIRET_UNIQUE: &str = "partners_siret_key";

const COLUMNS: &str = "id, name, siret, commune_code, postal_code, version, created_at, updated_at, kind, acronym, \
     rna, legal_category, sirene_ess, ess_family, naf_code, address_line, headcount_band, headcount_year, headcount, \
     esus_from, esus_until, themes, status, cress_member";

/// The partner's changeable columns, in the order [`push_state`] binds them. One list for the
/// insert and the update, so that the two statements cannot drift apart.
const STATE_COLUMNS: &str = "name, commune_code, postal_code, departement_code, epci_code, kind, acronym, rna, \
     legal_category, sirene_ess, ess_family, naf_code, naf_section, address_line, headcount_band, headcount_year, \
     headcount, esus_from, esus_until, themes, status, cress_member, search_text, version, updated_at";

/// Binds the partner's changeable state, in the order of [`STATE_COLUMNS`].
fn push_state(values: &mut Separated<'_, Postgres, &str>, partner: &Partner) {
    let d = &partner.details;
    values
        .push_bind(d.name.as_str())
        .push_bind(d.location.commune().map(|c| c.code.as_str()))
        .push_bind(d.location.postal_code().map(|p| p.as_str()))
        .push_bind(d.location.departement().as_str())
        .push_bind(d.location.commune().map(|c| c.epci_siren.as_str()))
        .push_bind(d.kind.key())
        .push_bind(d.acronym.as_deref())
        .push_bind(d.rna.as_ref().map(Rna::as_str))
        .push_bind(d.legal_category.as_ref().map(LegalCategory::as_str))
        .push_bind(d.sirene_ess)
        .push_bind(d.family.key())
        .push_bind(d.naf.as_ref().map(NafCode::as_str))
        .push_bind(d.naf.as_ref().map(|n| n.section().to_string()))
        .push_bind(d.address_line.as_deref())
        .push_bind(d.headcount.band.as_deref())
        .push_bind(d.headcount.year)
        .push_bind(d.headcount.exact)
        .push_bind(d.esus.map(|p| p.from()))
        .push_bind(d.esus.and_then(|p| p.until()))
        .push_bind(&d.themes)
        .push_bind(partner.status.key())
        .push_bind(partner.cress_member)
        .push_bind(d.search_text())
        .push_bind(partner.version)
        .push_bind(partner.updated_at);
}

/// Writes a new partner, its contacts and its `PartnerRegistered` event in one statement: one
/// round trip, one implicit transaction (the write path's cost is mostly round trips). Call it on
/// a connection that is not in a transaction, then wake the relays.
#[tracing::instrument(name = "registry.store.register_partner", skip_all, fields(ess.partner.id = %partner.id.0))]
pub async fn register(conn: &mut PgConnection, partner: &Partner, event: &NewEvent) -> Result<(), StoreError> {
    let mut b = QueryBuilder::new(format!(
        "WITH change AS (INSERT INTO partners (id, siret, created_at, {STATE_COLUMNS}) VALUES ("
    ));
    let mut values = b.separated(", ");
    values
        .push_bind(partner.id.0)
        .push_bind(partner.siret.as_str())
        .push_bind(partner.created_at);
    push_state(&mut values, partner);
    b.push(") RETURNING id)");
    if !partner.contacts.is_empty() {
        let cs = &partner.contacts;
        b.push(
            ", contacts AS (INSERT INTO partner_contacts (id, partner_id, name, role, email, phone, consent) \
             SELECT c.id, ",
        )
        .push_bind(partner.id.0)
        .push(", c.name, c.role, c.email, c.phone, c.consent FROM UNNEST(")
        .push_bind(cs.iter().map(|c| c.id).collect::<Vec<_>>())
        .push("::uuid[], ")
        .push_bind(cs.iter().map(|c| c.name.as_str()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(cs.iter().map(|c| c.role.as_deref()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(
            cs.iter()
                .map(|c| c.email.as_ref().map(Email::as_str))
                .collect::<Vec<_>>(),
        )
        .push("::text[], ")
        .push_bind(
            cs.iter()
                .map(|c| c.phone.as_ref().map(Phone::as_str))
                .collect::<Vec<_>>(),
        )
        .push("::text[], ")
        .push_bind(cs.iter().map(|c| c.consent).collect::<Vec<_>>())
        .push("::bool[]) AS c (id, name, role, email, phone, consent))");
    }
    platform::outbox::push_enqueue(&mut b, event, "change");
    b.build().execute(conn).await.map_err(classify)?;
    Ok(())
}

/// Writes every changeable column of `partner` (its details, status, membership flag, version).
#[tracing::instrument(name = "registry.store.save_partner", skip_all, fields(ess.partner.id = %partner.id.0))]
pub async fn save(conn: &mut PgConnection, partner: &Partner) -> Result<(), StoreError> {
    let mut b = QueryBuilder::new(format!("UPDATE partners SET ({STATE_COLUMNS}) = ("));
    push_state(&mut b.separated(", "), partner);
    b.push(") WHERE id = ").push_bind(partner.id.0);
    b.build().execute(conn).await.map_err(classify)?;
    Ok(())
}

#[tracing::instrument(name = "registry.store.insert_contact", skip_all, fields(ess.partner.id = %partner.0, ess.contact.id = %contact.id))]
pub async fn insert_contact(conn: &mut PgConnection, partner: PartnerId, contact: &Contact) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO partner_contacts (id, partner_id, name, role, email, phone, consent) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(contact.id)
        .bind(partner.0)
        .bind(&contact.name)
        .bind(contact.role.as_deref())
        .bind(contact.email.as_ref().map(Email::as_str))
        .bind(contact.phone.as_ref().map(Phone::as_str))
        .bind(contact.consent)
        .execute(conn)
        .await
        .map_err(classify)?;
    Ok(())
}

/// Deletes the contact (erasure: nothing of it stays). Returns whether it existed.
#[tracing::instrument(name = "registry.store.delete_contact", skip_all, fields(ess.partner.id = %partner.0, ess.contact.id = %contact))]
pub async fn delete_contact(conn: &mut PgConnection, partner: PartnerId, contact: Uuid) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM partner_contacts WHERE id = $1 AND partner_id = $2")
        .bind(contact)
        .bind(partner.0)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Reads one partner with its contacts.
#[tracing::instrument(name = "registry.store.get_partner", skip_all, fields(ess.partner.id = %id.0))]
pub async fn get(conn: &mut PgConnection, id: PartnerId) -> Result<Option<Partner>, StoreError> {
    read_one(conn, id, false).await
}

/// Reads one partner and locks its row until the transaction ends, so that the version checked
/// is the version replaced.
#[tracing::instrument(name = "registry.store.get_partner_for_update", skip_all, fields(ess.partner.id = %id.0))]
pub async fn get_for_update(conn: &mut PgConnection, id: PartnerId) -> Result<Option<Partner>, StoreError> {
    read_one(conn, id, true).await
}

async fn read_one(conn: &mut PgConnection, id: PartnerId, lock: bool) -> Result<Option<Partner>, StoreError> {
    // One round trip: the partner's row joined with its contacts (one row per contact, or one
    // row with NULL contact columns), instead of a second query for the contacts.
    let lock = if lock { "FOR UPDATE OF partners" } else { "" };
    let sql = format!(
        "SELECT p.*, c.id AS contact_id, c.name AS contact_name, c.role AS contact_role, c.email AS contact_email, \
         c.phone AS contact_phone, c.consent AS contact_consent \
         FROM (SELECT {COLUMNS} FROM partners WHERE id = $1 {lock}) p \
         LEFT JOIN partner_contacts c ON c.partner_id = p.id ORDER BY c.created_at, c.id"
    );
    // Built from constants only.
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let mut partner = from_row(first)?;
    partner.contacts = rows
        .iter()
        .filter_map(|r| match r.try_get::<Option<Uuid>, _>("contact_id") {
            Ok(Some(contact_id)) => Some(contact_from_row(contact_id, r)),
            Ok(None) => None,
            Err(e) => Some(Err(e.into())),
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(partner))
}

fn contact_from_row(id: Uuid, r: &PgRow) -> Result<Contact, StoreError> {
    let get = |c: &str| -> Result<Option<String>, StoreError> { Ok(r.try_get(c)?) };
    let name: String = r.try_get("contact_name")?;
    Contact::parse(
        id,
        &name,
        &get("contact_role")?.unwrap_or_default(),
        &get("contact_email")?.unwrap_or_default(),
        &get("contact_phone")?.unwrap_or_default(),
        r.try_get("contact_consent")?,
    )
    .map_err(|v| corrupt("partner_contacts", format!("{} invalid field(s)", v.len())))
}

/// What a look-up searches by: a SIREN (every establishment of the unit) or a SIRET (at most one).
#[derive(Debug, Clone)]
pub enum LookupKey {
    Siren(Siren),
    Siret(Siret),
}

/// Partners by SIREN or SIRET, without contacts, in SIRET order.
#[tracing::instrument(name = "registry.store.lookup_partners", skip_all)]
pub async fn lookup(conn: &mut PgConnection, key: &LookupKey) -> Result<Vec<Partner>, StoreError> {
    // A SIREN is the range of the SIRETs it starts, read from the SIRETs' unique index.
    let (first, last) = match key {
        LookupKey::Siren(siren) => (format!("{}00000", siren.as_str()), format!("{}99999", siren.as_str())),
        LookupKey::Siret(siret) => (siret.as_str().to_owned(), siret.as_str().to_owned()),
    };
    let sql = format!("SELECT {COLUMNS} FROM partners WHERE siret BETWEEN $1 AND $2 ORDER BY siret");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(first)
        .bind(last)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// What a list asks for; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Folded text (domain::search::fold), found where it occurs in the folded name and acronym
    /// from the start of a word ("champ exq" finds "Théâtre du Champ Exquis", "atre" does not).
    pub text: Option<String>,
    pub kind: Option<PartnerKind>,
    pub family: Option<EssFamily>,
    pub departement: Option<String>,
    pub epci: Option<String>,
    pub commune: Option<String>,
    pub naf: Option<NafFilter>,
    pub cress_member: Option<bool>,
    /// Current members of this PTCE.
    pub ptce: Option<Uuid>,
    pub include_archived: bool,
    /// Start after this (search_text, id).
    pub after: Option<(String, Uuid)>,
    pub limit: i64,
}

/// A text search whose words are all common first walks this many partners per row asked for,
/// in name order: the first matches in name order are the page, found there.
const TEXT_WALK_PER_ROW: i64 = 40;

/// The word index is asked for at most this many candidates. Fewer: the page is sorted from
/// them. More: the text is common enough for a walk of the name order to fill the page quickly.
const TEXT_CANDIDATES: i64 = 1000;

/// One page of partners (without contacts) ordered by (search_text, id), with the sort key of each.
/// `words` tells a text search which of its words is rare.
#[tracing::instrument(name = "registry.store.list_partners", skip_all, fields(limit = q.limit, text_path))]
pub async fn list(
    conn: &mut PgConnection,
    q: &ListQuery,
    words: &WordStatistics,
) -> Result<Vec<(Partner, String)>, StoreError> {
    let Some(text) = &q.text else {
        let mut b = QueryBuilder::new("");
        push_page(&mut b, "partners", "true", q);
        return fetch_page(b, conn).await;
    };
    let rare_word = words
        .current(conn)
        .await?
        .rarest_word(text, TEXT_CANDIDATES as f64)
        .map(str::to_owned);
    // The planner cannot estimate word prefixes (it takes 2 % of the table whatever the words),
    // so the list chooses the plan itself and is not offered the word index nor a scan and sort
    // of the whole table; `partners_matching` keeps its own settings.
    let mut tx = conn.begin().await?;
    sqlx::raw_sql("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await?;
    let span = tracing::Span::current();
    let page = if let Some(word) = rare_word {
        // A rare word: its candidates from the word index, the other words checked on them.
        span.record("text_path", "rare word");
        fetch_page(candidates_page(&word, q), &mut tx).await?
    } else {
        // 1. Common words: the first partners in name order (with the other filters), searched
        // for the text.
        let walk = ListQuery {
            text: None,
            limit: q.limit * TEXT_WALK_PER_ROW,
            ..q.clone()
        };
        let mut b = QueryBuilder::new("SELECT * FROM (");
        push_page(&mut b, "partners", "true", &walk);
        b.push(") p WHERE true");
        push_text(&mut b, text);
        b.push(format!(" ORDER BY search_text, id LIMIT {}", q.limit));
        let page = fetch_page(b, &mut tx).await?;
        if page.len() as i64 == q.limit {
            span.record("text_path", "common words");
            page
        } else {
            // 2. Rarer together than each word is: through the word index, every word.
            span.record("text_path", "rare together");
            fetch_page(candidates_page(text, q), &mut tx).await?
        }
    };
    tx.commit().await?;
    Ok(page)
}

/// The page sorted from the partners the word index finds for `words` (folded words, each the
/// start of a word), when they are at most [`TEXT_CANDIDATES`]; else the page from a walk of the
/// name order. Both pages are written; the one whose condition on the candidates' count is false
/// is never run (a one-time filter).
fn candidates_page(words: &str, q: &ListQuery) -> QueryBuilder<Postgres> {
    let rare = format!("(SELECT count(*) FROM hits) <= {TEXT_CANDIDATES}");
    let mut b = QueryBuilder::new("WITH hits AS MATERIALIZED (SELECT * FROM partners_matching(");
    b.push_bind(prefix_query(words))
        .push(format!("::tsquery, {})) ", TEXT_CANDIDATES + 1))
        .push("SELECT * FROM ((");
    push_page(&mut b, "hits", &rare, q);
    b.push(") UNION ALL (");
    push_page(&mut b, "partners", &format!("NOT {rare}"), q);
    b.push(")) page ORDER BY search_text, id");
    b
}

/// The folded query occurs in the folded name and acronym from the start of a word.
fn push_text(b: &mut QueryBuilder<Postgres>, folded: &str) {
    b.push(" AND (' ' || search_text) LIKE ")
        .push_bind(format!("% {}%", escape_like(folded)));
}

async fn fetch_page(
    mut b: QueryBuilder<Postgres>,
    conn: &mut PgConnection,
) -> Result<Vec<(Partner, String)>, StoreError> {
    let rows = b.build().fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((from_row(r)?, r.try_get::<String, _>("search_text")?)))
        .collect()
}

/// `SELECT … FROM {table} p WHERE {condition} … ORDER BY … LIMIT …` with every filter of the query.
fn push_page(b: &mut QueryBuilder<Postgres>, table: &str, condition: &str, q: &ListQuery) {
    b.push(format!(
        "SELECT {COLUMNS}, search_text FROM {table} p WHERE {condition}"
    ));
    if !q.include_archived {
        b.push(" AND status = 'active'");
    }
    if let Some(text) = &q.text {
        push_text(b, text);
    }
    if let Some(kind) = q.kind {
        b.push(" AND kind = ").push_bind(kind.key());
    }
    if let Some(family) = q.family {
        b.push(" AND ess_family = ").push_bind(family.key());
    }
    if let Some(d) = &q.departement {
        b.push(" AND departement_code = ").push_bind(d.clone());
    }
    if let Some(e) = &q.epci {
        b.push(" AND epci_code = ").push_bind(e.clone());
    }
    if let Some(c) = &q.commune {
        b.push(" AND commune_code = ").push_bind(c.clone());
    }
    match &q.naf {
        Some(NafFilter::Section(s)) => {
            b.push(" AND naf_section = ").push_bind(s.to_string());
        }
        Some(NafFilter::Code(c)) => {
            b.push(" AND naf_code = ").push_bind(c.as_str().to_owned());
        }
        None => {}
    }
    if let Some(m) = q.cress_member {
        b.push(" AND cress_member = ").push_bind(m);
    }
    if let Some(ptce) = q.ptce {
        b.push(" AND EXISTS (SELECT 1 FROM ptce_members m WHERE m.partner_id = p.id AND m.left_on IS NULL AND m.ptce_id = ")
            .push_bind(ptce)
            .push(")");
    }
    if let Some((key, id)) = &q.after {
        b.push(" AND (search_text, id) > (")
            .push_bind(key.clone())
            .push(", ")
            .push_bind(*id)
            .push(")");
    }
    // The limit is written into the statement, not bound: with `LIMIT $n`, the generic plan of a
    // prepared statement cannot know the page is small and sorts every matching row instead of
    // walking an index in order (150 ms instead of 2 ms over 100,000 partners). It is our own
    // clamped integer, never text from the request.
    b.push(format!(" ORDER BY search_text, id LIMIT {}", q.limit));
}

/// The word-index query of a folded text: every word, as the beginning of a word
/// (`'mesure':* & '4242':*`). Folded words hold only letters and digits, so quoting them is enough.
fn prefix_query(folded: &str) -> String {
    folded
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| format!("'{w}':*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// `%`, `_` and `\` match themselves.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn corrupt(table: &'static str, reason: String) -> StoreError {
    StoreError::Corrupt { table, reason }
}

/// Rows go back through the domain parsers: a row that fails them is corrupt, never a panic.
fn from_row(row: &PgRow) -> Result<Partner, StoreError> {
    let bad = |what: &str| corrupt("partners", format!("{what} fails the domain rules"));
    let text = |c: &str| -> Result<Option<String>, StoreError> { Ok(row.try_get::<Option<String>, _>(c)?) };
    let id: Uuid = row.try_get("id")?;
    let name: String = row.try_get("name")?;
    let siret: String = row.try_get("siret")?;
    let kind: String = row.try_get("kind")?;
    let family: String = row.try_get("ess_family")?;
    let status: String = row.try_get("status")?;
    let esus_from: Option<NaiveDate> = row.try_get("esus_from")?;
    let esus_until: Option<NaiveDate> = row.try_get("esus_until")?;
    let legal_category = text("legal_category")?
        .map(|c| LegalCategory::parse(&c).map_err(|_| bad("legal_category")))
        .transpose()?;
    let details = PartnerDetails {
        name: PartnerName::parse(&name).map_err(|_| bad("name"))?,
        kind: PartnerKind::from_key(&kind).ok_or_else(|| bad("kind"))?,
        acronym: text("acronym")?,
        rna: text("rna")?
            .map(|r| Rna::parse(&r).map_err(|_| bad("rna")))
            .transpose()?,
        legal_category,
        sirene_ess: row.try_get("sirene_ess")?,
        family: EssFamily::from_key(&family).ok_or_else(|| bad("ess_family"))?,
        naf: text("naf_code")?
            .map(|n| NafCode::parse(&n).map_err(|_| bad("naf_code")))
            .transpose()?,
        location: Location::parse(
            text("commune_code")?.as_deref().unwrap_or(""),
            text("postal_code")?.as_deref().unwrap_or(""),
        )
        .map_err(|_| bad("location"))?,
        address_line: text("address_line")?,
        headcount: Headcount {
            band: text("headcount_band")?,
            year: row.try_get("headcount_year")?,
            exact: row.try_get("headcount")?,
        },
        esus: match esus_from {
            Some(from) => Some(Period::new(from, esus_until, "esus").map_err(|_| bad("esus"))?),
            None => None,
        },
        themes: row.try_get("themes")?,
    };
    let created_at: DateTime<Utc> = row.try_get("created_at")?;
    Ok(Partner {
        id: PartnerId(id),
        siret: Siret::parse(&siret).map_err(|_| bad("siret"))?,
        details,
        contacts: Vec::new(),
        status: PartnerStatus::from_key(&status).ok_or_else(|| bad("status"))?,
        cress_member: row.try_get("cress_member")?,
        version: row.try_get("version")?,
        created_at,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Partners by id (without contacts), for the events of a bulk change.
pub async fn get_many(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Partner>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM partners WHERE id = ANY($1)");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ids).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// Rewrites the search texts that differ (after a bulk change that could not fold them in SQL),
/// in one statement.
pub async fn set_search_texts(conn: &mut PgConnection, texts: &[(PartnerId, String)]) -> Result<(), StoreError> {
    if texts.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = texts.iter().map(|(id, _)| id.0).collect();
    let folded: Vec<&str> = texts.iter().map(|(_, t)| t.as_str()).collect();
    sqlx::query(
        "UPDATE partners p SET search_text = t.text FROM UNNEST($1::uuid[], $2::text[]) AS t (id, text) \
         WHERE p.id = t.id AND p.search_text <> t.text",
    )
    .bind(ids)
    .bind(folded)
    .execute(conn)
    .await?;
    Ok(())
}
