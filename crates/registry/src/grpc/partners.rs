//! `ess.registry.v1.PartnerRegistry`: partners and their contact persons.

use anyhow::Context as _;
use chrono::{SubsecRound as _, Utc};
use ess_proto::registry::v1::{
    AddContactRequest, AddContactResponse, ArchivePartnerRequest, ArchivePartnerResponse, CreatePartnerRequest,
    CreatePartnerResponse, EraseContactRequest, EraseContactResponse, GetPartnerRequest, GetPartnerResponse,
    ListPartnersRequest, ListPartnersResponse, LookupPartnersRequest, LookupPartnersResponse, Partner as ProtoPartner,
    UpdatePartnerRequest, UpdatePartnerResponse, lookup_partners_request::Key,
    partner_registry_server::PartnerRegistry,
};
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use platform::{
    audit::AuditTarget,
    paging::{self, Cursor, PageRequest},
};

use super::{
    convert,
    errors::{ChangeError, CreatePartnerError, ReadError},
    guard::{self, View},
};
use crate::{
    domain::{
        Violation,
        location::{Departement, commune},
        nomenclature::NafFilter,
        partner::{
            ContactInput, MAX_CONTACTS, NewPartner, Partner, PartnerDetails, PartnerId, PartnerInput, PartnerStatus,
        },
        search,
        siret::{Siren, Siret},
    },
    events,
    store::{
        self, StoreError,
        partners::{ListQuery, LookupKey},
        word_statistics::WordStatistics,
    },
};

/// Page size when the caller gives none, and the most a page of partners may hold (less than the
/// other lists' 500: a partner answer is large).
pub const DEFAULT_PAGE_SIZE: i64 = paging::DEFAULT_PAGE_SIZE;
pub const MAX_PAGE_SIZE: i64 = 200;

pub struct PartnerRegistryService {
    pool: PgPool,
    /// Which words of a text search are rare (read from the database, kept a minute).
    words: WordStatistics,
}

impl PartnerRegistryService {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            words: WordStatistics::default(),
        }
    }
}

/// Microseconds, as PostgreSQL keeps them: answers equal what a later read returns.
fn now() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The partner fields that `CreatePartnerRequest` and `UpdatePartnerRequest` share (two proto
/// messages with the same field names), as a `PartnerInput`; violations of the enum fields go to
/// `$violations`. `$esus` is the request's `esus` (or its default), which the input borrows.
macro_rules! partner_input {
    ($req:expr, $esus:expr, $violations:expr) => {{
        let kind = convert::kind("kind", $req.kind)
            .map_err(|e| $violations.push(e))
            .ok()
            .flatten();
        let sirene_ess = convert::sirene_ess("sirene_ess", $req.sirene_ess)
            .map_err(|e| $violations.push(e))
            .ok()
            .flatten();
        PartnerInput {
            name: &$req.name,
            commune_code: &$req.commune_code,
            postal_code: &$req.postal_code,
            kind,
            acronym: &$req.acronym,
            rna: &$req.rna,
            legal_category: &$req.legal_category,
            sirene_ess,
            naf_code: &$req.naf_code,
            address_line: &$req.address_line,
            headcount_band: &$req.headcount_band,
            headcount_year: $req.headcount_year,
            headcount: $req.headcount,
            esus_approved_on: &$esus.approved_on,
            esus_expires_on: &$esus.expires_on,
            themes: &$req.themes,
        }
    }};
}

fn parse_id(field: &str, raw: &str) -> Result<PartnerId, Violation> {
    PartnerId::parse(raw).map_err(|r| Violation::new(field, r))
}

/// Loads and locks the partner, and checks that a change based on `expected_version` may apply.
pub(super) async fn load_for_change(
    conn: &mut PgConnection,
    id: PartnerId,
    expected_version: i64,
) -> Result<Partner, ChangeError> {
    let partner = store::partners::get_for_update(conn, id)
        .await
        .context("reading the partner")?
        .ok_or(ChangeError::NotFound("no partner with this id"))?;
    partner.check_change(expected_version)?;
    Ok(partner)
}

/// Records a change: version + 1, now, written.
pub(super) async fn save_change(conn: &mut PgConnection, partner: &mut Partner) -> Result<(), ChangeError> {
    partner.version += 1;
    partner.updated_at = now();
    store::partners::save(conn, partner)
        .await
        .context("saving the partner")?;
    Ok(())
}

impl PartnerRegistryService {
    /// Writes the partner, its contacts and its `PartnerRegistered` event in one statement.
    #[tracing::instrument(name = "registry.partners.create", skip_all, fields(ess.partner.id))]
    async fn create_partner(&self, req: CreatePartnerRequest) -> Result<ProtoPartner, CreatePartnerError> {
        let mut early = Vec::new();
        let esus = req.esus.clone().unwrap_or_default();
        let input = partner_input!(req, esus, early);
        let contacts = req
            .contacts
            .iter()
            .map(|c| ContactInput {
                name: &c.name,
                role: &c.role,
                email: &c.email,
                phone: &c.phone,
                consent: c.consent,
            })
            .collect();
        let parsed = NewPartner::parse(&req.siret, &req.siren, &input, contacts);
        let new = match parsed {
            Ok(new) if early.is_empty() => new,
            Ok(_) => return Err(CreatePartnerError::Invalid(early)),
            Err(mut v) => {
                v.extend(early);
                return Err(CreatePartnerError::Invalid(v));
            }
        };
        let at = now();
        let partner = Partner {
            id: PartnerId::new(),
            siret: new.siret,
            details: new.details,
            contacts: new.contacts,
            status: PartnerStatus::Active,
            cress_member: false,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        tracing::Span::current().record("ess.partner.id", partner.id.0.to_string().as_str());

        let event = events::partners::partner_registered(&partner);
        let mut conn = self.pool.acquire().await.context("acquire create_partner")?;
        match store::partners::register(&mut conn, &partner, &event).await {
            Ok(()) => platform::outbox::wake_relays(),
            Err(StoreError::Conflict { constraint }) if constraint == store::partners::SIRET_UNIQUE => {
                return Err(CreatePartnerError::SiretTaken);
            }
            Err(e) => return Err(anyhow::Error::new(e).context("registering the partner").into()),
        }
        tracing::info!(ess.partner.id = %partner.id.0, "registry.partner.registered");
        Ok(convert::partner(&partner))
    }

    #[tracing::instrument(name = "registry.partners.get", skip_all, fields(ess.partner.id))]
    async fn get_partner(&self, req: GetPartnerRequest) -> Result<ProtoPartner, ReadError> {
        let id = parse_id("id", &req.id).map_err(|v| ReadError::Invalid(vec![v]))?;
        tracing::Span::current().record("ess.partner.id", id.0.to_string().as_str());
        let mut conn = self.pool.acquire().await.context("acquire get_partner")?;
        let partner = store::partners::get(&mut conn, id)
            .await
            .context("reading the partner")?
            .ok_or(ReadError::NotFound("no partner with this id"))?;
        Ok(convert::partner(&partner))
    }

    /// Replaces the details; an update that changes nothing writes nothing and publishes nothing.
    #[tracing::instrument(name = "registry.partners.update", skip_all, fields(ess.partner.id = %req.id))]
    async fn update_partner(&self, req: UpdatePartnerRequest) -> Result<ProtoPartner, ChangeError> {
        let mut v = Vec::new();
        let id = parse_id("id", &req.id).map_err(|e| v.push(e)).ok();
        let esus = req.esus.clone().unwrap_or_default();
        let input = partner_input!(req, esus, v);
        let details = PartnerDetails::parse(&input).map_err(|e| v.extend(e)).ok();
        let (Some(id), Some(details)) = (id, details) else {
            return Err(ChangeError::Invalid(v));
        };
        if !v.is_empty() {
            return Err(ChangeError::Invalid(v));
        }
        let mut tx = self.pool.begin().await.context("begin update_partner")?;
        let mut partner = load_for_change(&mut tx, id, req.expected_version).await?;
        if partner.details == details {
            return Ok(convert::partner(&partner));
        }
        partner.details = details;
        save_change(&mut tx, &mut partner).await?;
        platform::outbox::enqueue(&mut tx, &events::partners::partner_updated(&partner))
            .await
            .context("enqueueing PartnerUpdated")?;
        platform::outbox::commit(tx).await.context("commit update_partner")?;
        tracing::info!(ess.partner.id = %partner.id.0, version = partner.version, "registry.partner.updated");
        Ok(convert::partner(&partner))
    }

    #[tracing::instrument(name = "registry.partners.archive", skip_all, fields(ess.partner.id = %req.id))]
    async fn archive_partner(&self, req: ArchivePartnerRequest) -> Result<ProtoPartner, ChangeError> {
        let id = parse_id("id", &req.id).map_err(|v| ChangeError::Invalid(vec![v]))?;
        let mut tx = self.pool.begin().await.context("begin archive_partner")?;
        let mut partner = load_for_change(&mut tx, id, req.expected_version).await?;
        partner.status = PartnerStatus::Archived;
        save_change(&mut tx, &mut partner).await?;
        platform::outbox::enqueue(&mut tx, &events::partners::partner_archived(&partner))
            .await
            .context("enqueueing PartnerArchived")?;
        platform::outbox::commit(tx).await.context("commit archive_partner")?;
        tracing::info!(ess.partner.id = %partner.id.0, "registry.partner.archived");
        Ok(convert::partner(&partner))
    }

    #[tracing::instrument(name = "registry.partners.lookup", skip_all)]
    async fn lookup_partners(&self, req: LookupPartnersRequest) -> Result<Vec<ProtoPartner>, ReadError> {
        let invalid = |field: &'static str, e: String| ReadError::Invalid(vec![Violation::new(field, e)]);
        let key = match req.key {
            Some(Key::Siren(raw)) => LookupKey::Siren(Siren::parse(&raw).map_err(|e| invalid("siren", e.to_string()))?),
            Some(Key::Siret(raw)) => LookupKey::Siret(Siret::parse(&raw).map_err(|e| invalid("siret", e.to_string()))?),
            None => return Err(invalid("key", "a SIREN or a SIRET is required".into())),
        };
        let mut conn = self.pool.acquire().await.context("acquire lookup_partners")?;
        let found = store::partners::lookup(&mut conn, &key)
            .await
            .context("looking partners up")?;
        Ok(found.iter().map(convert::partner).collect())
    }

    #[tracing::instrument(name = "registry.partners.list", skip_all, fields(count))]
    async fn list_partners(&self, req: ListPartnersRequest) -> Result<ListPartnersResponse, ReadError> {
        let (mut query, fingerprint) = list_query(&req).map_err(ReadError::Invalid)?;
        let page = PageRequest::parse_with(
            req.page_size,
            &req.page_token,
            fingerprint,
            DEFAULT_PAGE_SIZE,
            MAX_PAGE_SIZE,
        )
        .map_err(|found| {
            ReadError::Invalid(
                found
                    .into_iter()
                    .map(|f| Violation::new(f.field, f.description))
                    .collect(),
            )
        })?;
        query.after = page.after_key();
        query.limit = page.limit();
        let mut conn = self.pool.acquire().await.context("acquire list_partners")?;
        let mut rows = store::partners::list(&mut conn, &query, &self.words)
            .await
            .context("listing partners")?;
        let next_page_token = page.finish(&mut rows, |(last, key)| Cursor {
            key: key.clone(),
            id: last.id.0,
        });
        tracing::Span::current().record("count", rows.len());
        Ok(ListPartnersResponse {
            partners: rows.iter().map(|(p, _)| convert::partner(p)).collect(),
            next_page_token,
        })
    }

    #[tracing::instrument(name = "registry.partners.add_contact", skip_all, fields(ess.partner.id = %req.partner_id, ess.contact.id))]
    async fn add_contact(&self, req: AddContactRequest) -> Result<AddContactResponse, ChangeError> {
        let mut v = Vec::new();
        let id = parse_id("partner_id", &req.partner_id).map_err(|e| v.push(e)).ok();
        let c = req.contact.unwrap_or_default();
        let contact = ContactInput {
            name: &c.name,
            role: &c.role,
            email: &c.email,
            phone: &c.phone,
            consent: c.consent,
        }
        .parse()
        .map_err(|e| v.extend(e.into_iter().map(|x| x.under("contact"))))
        .ok();
        let (Some(id), Some(contact)) = (id, contact) else {
            return Err(ChangeError::Invalid(v));
        };
        tracing::Span::current().record("ess.contact.id", contact.id.to_string().as_str());
        let mut tx = self.pool.begin().await.context("begin add_contact")?;
        let mut partner = load_for_change(&mut tx, id, req.expected_version).await?;
        if partner.contacts.len() >= MAX_CONTACTS {
            return Err(ChangeError::Precondition(
                "the partner has the most contacts allowed (20)",
            ));
        }
        store::partners::insert_contact(&mut tx, id, &contact)
            .await
            .context("inserting the contact")?;
        let contact_id = contact.id.to_string();
        partner.contacts.push(contact);
        save_change(&mut tx, &mut partner).await?;
        platform::outbox::enqueue(&mut tx, &events::partners::partner_updated(&partner))
            .await
            .context("enqueueing PartnerUpdated")?;
        platform::outbox::commit(tx).await.context("commit add_contact")?;
        Ok(AddContactResponse {
            partner: Some(convert::partner(&partner)),
            contact_id,
        })
    }

    /// Erasure on request: allowed whatever the partner's state or version.
    #[tracing::instrument(name = "registry.partners.erase_contact", skip_all, fields(ess.partner.id = %req.partner_id, ess.contact.id = %req.contact_id))]
    async fn erase_contact(&self, req: EraseContactRequest) -> Result<ProtoPartner, ChangeError> {
        let mut v = Vec::new();
        let id = parse_id("partner_id", &req.partner_id).map_err(|e| v.push(e)).ok();
        let contact = Uuid::parse_str(req.contact_id.trim())
            .map_err(|_| v.push(Violation::new("contact_id", "must be a UUID")))
            .ok();
        let (Some(id), Some(contact)) = (id, contact) else {
            return Err(ChangeError::Invalid(v));
        };
        let mut tx = self.pool.begin().await.context("begin erase_contact")?;
        let mut partner = store::partners::get_for_update(&mut tx, id)
            .await
            .context("reading the partner")?
            .ok_or(ChangeError::NotFound("no partner with this id"))?;
        if !store::partners::delete_contact(&mut tx, id, contact)
            .await
            .context("deleting the contact")?
        {
            return Err(ChangeError::NotFound("no such contact for this partner"));
        }
        partner.contacts.retain(|c| c.id != contact);
        save_change(&mut tx, &mut partner).await?;
        platform::outbox::enqueue(&mut tx, &events::partners::partner_updated(&partner))
            .await
            .context("enqueueing PartnerUpdated")?;
        platform::outbox::commit(tx).await.context("commit erase_contact")?;
        tracing::info!(ess.partner.id = %partner.id.0, "registry.contact.erased");
        Ok(convert::partner(&partner))
    }
}

/// The store query and the page-token fingerprint of a list request's filters (normalised, so
/// `q=Théâtre` and `q=theatre` share tokens).
fn list_query(req: &ListPartnersRequest) -> Result<(ListQuery, u64), Vec<Violation>> {
    let mut v = Vec::new();
    let text = Some(search::fold(&req.query)).filter(|t| !t.is_empty());
    let kind = convert::kind("kind", req.kind).map_err(|e| v.push(e)).ok().flatten();
    let family = convert::family("ess_family", req.ess_family)
        .map_err(|e| v.push(e))
        .ok()
        .flatten();
    let departement = match req.departement_code.trim() {
        "" => None,
        d => Departement::parse(d)
            .map(|d| d.as_str().to_owned())
            .ok_or_else(|| v.push(Violation::new("departement_code", "is not a département code")))
            .ok(),
    };
    let epci = match req.epci_code.trim() {
        "" => None,
        e if e.len() == 9 && e.bytes().all(|b| b.is_ascii_digit()) => Some(e.to_owned()),
        _ => {
            v.push(Violation::new("epci_code", "must be the 9-digit SIREN of an EPCI"));
            None
        }
    };
    let commune_code = match req.commune_code.trim() {
        "" => None,
        c if commune(c).is_some() => Some(c.to_owned()),
        _ => {
            v.push(Violation::new(
                "commune_code",
                "is not the INSEE code of a commune of Calvados, Manche or Orne",
            ));
            None
        }
    };
    let naf = match req.naf.trim() {
        "" => None,
        n => NafFilter::parse(n).map_err(|r| v.push(Violation::new("naf", r))).ok(),
    };
    let ptce = match req.ptce_id.trim() {
        "" => None,
        raw => Uuid::parse_str(raw)
            .map_err(|_| v.push(Violation::new("ptce_id", "must be a UUID")))
            .ok(),
    };
    if !v.is_empty() {
        return Err(v);
    }
    let naf_key = match &naf {
        Some(NafFilter::Section(s)) => s.to_string(),
        Some(NafFilter::Code(c)) => c.as_str().to_owned(),
        None => String::new(),
    };
    let cress = req.cress_member.map(|m| m.to_string()).unwrap_or_default();
    let ptce_key = ptce.map(|p| p.to_string()).unwrap_or_default();
    let fingerprint = paging::fingerprint(&[
        "registry.partners.v1",
        text.as_deref().unwrap_or(""),
        kind.map(|k| k.key()).unwrap_or(""),
        family.map(|f| f.key()).unwrap_or(""),
        departement.as_deref().unwrap_or(""),
        epci.as_deref().unwrap_or(""),
        commune_code.as_deref().unwrap_or(""),
        &naf_key,
        &cress,
        &ptce_key,
        if req.include_archived { "all" } else { "active" },
    ]);
    Ok((
        ListQuery {
            text,
            kind,
            family,
            departement,
            epci,
            commune: commune_code,
            naf,
            cress_member: req.cress_member,
            ptce,
            include_archived: req.include_archived,
            after: None,
            limit: DEFAULT_PAGE_SIZE,
        },
        fingerprint,
    ))
}

#[tonic::async_trait]
impl PartnerRegistry for PartnerRegistryService {
    async fn create_partner(
        &self,
        request: Request<CreatePartnerRequest>,
    ) -> Result<Response<CreatePartnerResponse>, Status> {
        let partner = self.create_partner(request.into_inner()).await?;
        let id = partner.id.clone();
        Ok(AuditTarget::tag(
            Response::new(CreatePartnerResponse { partner: Some(partner) }),
            id,
        ))
    }

    async fn get_partner(&self, request: Request<GetPartnerRequest>) -> Result<Response<GetPartnerResponse>, Status> {
        let view = guard::partner(&request, &request.get_ref().id)?;
        let mut partner = self.get_partner(request.into_inner()).await?;
        if view == View::WithoutContacts {
            partner.contacts.clear();
        }
        Ok(Response::new(GetPartnerResponse { partner: Some(partner) }))
    }

    async fn update_partner(
        &self,
        request: Request<UpdatePartnerRequest>,
    ) -> Result<Response<UpdatePartnerResponse>, Status> {
        guard::partner(&request, &request.get_ref().id)?;
        let id = request.get_ref().id.clone();
        let partner = self.update_partner(request.into_inner()).await?;
        Ok(AuditTarget::tag(
            Response::new(UpdatePartnerResponse { partner: Some(partner) }),
            id,
        ))
    }

    async fn archive_partner(
        &self,
        request: Request<ArchivePartnerRequest>,
    ) -> Result<Response<ArchivePartnerResponse>, Status> {
        let id = request.get_ref().id.clone();
        let partner = self.archive_partner(request.into_inner()).await?;
        Ok(AuditTarget::tag(
            Response::new(ArchivePartnerResponse { partner: Some(partner) }),
            id,
        ))
    }

    async fn lookup_partners(
        &self,
        request: Request<LookupPartnersRequest>,
    ) -> Result<Response<LookupPartnersResponse>, Status> {
        let partners = self.lookup_partners(request.into_inner()).await?;
        Ok(Response::new(LookupPartnersResponse { partners }))
    }

    async fn list_partners(
        &self,
        request: Request<ListPartnersRequest>,
    ) -> Result<Response<ListPartnersResponse>, Status> {
        Ok(Response::new(self.list_partners(request.into_inner()).await?))
    }

    async fn add_contact(&self, request: Request<AddContactRequest>) -> Result<Response<AddContactResponse>, Status> {
        guard::partner(&request, &request.get_ref().partner_id)?;
        let id = request.get_ref().partner_id.clone();
        Ok(AuditTarget::tag(
            Response::new(self.add_contact(request.into_inner()).await?),
            id,
        ))
    }

    async fn erase_contact(
        &self,
        request: Request<EraseContactRequest>,
    ) -> Result<Response<EraseContactResponse>, Status> {
        guard::partner(&request, &request.get_ref().partner_id)?;
        let id = request.get_ref().partner_id.clone();
        let partner = self.erase_contact(request.into_inner()).await?;
        Ok(AuditTarget::tag(
            Response::new(EraseContactResponse { partner: Some(partner) }),
            id,
        ))
    }
}
