//! `ess.registry.v1.Ptces` and `ess.registry.v1.Initiatives`.

use std::collections::HashMap;

use anyhow::Context as _;
use ess_proto::registry::v1 as pb;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use platform::paging::{self, Cursor, PageRequest};

use super::errors::{ChangeError, ReadError};
use crate::{
    domain::{
        Violation,
        dates::{format_date, parse_date},
        initiative::{self, Initiative, InitiativeKind, Stage, StageChange, StageRefused},
        partner::PartnerName,
        ptce::{self, Ptce, PtceRefused, PtceStatus},
    },
    events::projects as ev,
    store::{self, StoreError},
};

/// A page of a list request, or its `page_size`/`page_token` violations.
fn page(page_size: i32, page_token: &str, fingerprint: &[&str]) -> Result<PageRequest, Vec<Violation>> {
    PageRequest::parse(page_size, page_token, paging::fingerprint(fingerprint))
        .map_err(|v| v.into_iter().map(|f| Violation::new(f.field, f.description)).collect())
}

fn uuid(field: &str, raw: &str) -> Result<Uuid, Violation> {
    Uuid::parse_str(raw.trim()).map_err(|_| Violation::new(field, "must be a UUID"))
}

fn invalid(v: Vec<Violation>) -> Result<(), Vec<Violation>> {
    if v.is_empty() { Ok(()) } else { Err(v) }
}

fn themes(raw: &[String]) -> Result<Vec<String>, Violation> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > 60 || t.chars().any(char::is_control) {
            return Err(Violation::new("themes", "each theme must be 1 to 60 characters"));
        }
        if !out.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

fn ptce_status(field: &str, n: i32) -> Result<Option<PtceStatus>, Violation> {
    match pb::PtceStatus::try_from(n) {
        Ok(pb::PtceStatus::Unspecified) => Ok(None),
        Ok(pb::PtceStatus::Emerging) => Ok(Some(PtceStatus::Emerging)),
        Ok(pb::PtceStatus::Active) => Ok(Some(PtceStatus::Active)),
        Ok(pb::PtceStatus::Closed) => Ok(Some(PtceStatus::Closed)),
        Err(_) => Err(Violation::new(field, "is not a known PTCE status")),
    }
}

fn ptce_status_proto(s: PtceStatus) -> pb::PtceStatus {
    match s {
        PtceStatus::Emerging => pb::PtceStatus::Emerging,
        PtceStatus::Active => pb::PtceStatus::Active,
        PtceStatus::Closed => pb::PtceStatus::Closed,
    }
}

fn kind(field: &str, n: i32) -> Result<Option<InitiativeKind>, Violation> {
    match pb::InitiativeKind::try_from(n) {
        Ok(pb::InitiativeKind::Unspecified) => Ok(None),
        Ok(pb::InitiativeKind::SocialInnovation) => Ok(Some(InitiativeKind::SocialInnovation)),
        Ok(pb::InitiativeKind::BusinessCreation) => Ok(Some(InitiativeKind::BusinessCreation)),
        Ok(pb::InitiativeKind::Takeover) => Ok(Some(InitiativeKind::Takeover)),
        Err(_) => Err(Violation::new(field, "is not a known initiative kind")),
    }
}

fn kind_proto(k: InitiativeKind) -> pb::InitiativeKind {
    match k {
        InitiativeKind::SocialInnovation => pb::InitiativeKind::SocialInnovation,
        InitiativeKind::BusinessCreation => pb::InitiativeKind::BusinessCreation,
        InitiativeKind::Takeover => pb::InitiativeKind::Takeover,
    }
}

fn stage(field: &str, n: i32) -> Result<Option<Stage>, Violation> {
    match pb::InitiativeStage::try_from(n) {
        Ok(pb::InitiativeStage::Unspecified) => Ok(None),
        Ok(pb::InitiativeStage::Idea) => Ok(Some(Stage::Idea)),
        Ok(pb::InitiativeStage::Emergence) => Ok(Some(Stage::Emergence)),
        Ok(pb::InitiativeStage::Launch) => Ok(Some(Stage::Launch)),
        Ok(pb::InitiativeStage::Consolidation) => Ok(Some(Stage::Consolidation)),
        Ok(pb::InitiativeStage::Abandoned) => Ok(Some(Stage::Abandoned)),
        Err(_) => Err(Violation::new(field, "is not a known stage")),
    }
}

fn stage_proto(s: Stage) -> pb::InitiativeStage {
    match s {
        Stage::Idea => pb::InitiativeStage::Idea,
        Stage::Emergence => pb::InitiativeStage::Emergence,
        Stage::Launch => pb::InitiativeStage::Launch,
        Stage::Consolidation => pb::InitiativeStage::Consolidation,
        Stage::Abandoned => pb::InitiativeStage::Abandoned,
    }
}

impl From<PtceRefused> for ChangeError {
    fn from(r: PtceRefused) -> Self {
        match r {
            PtceRefused::Stale { current } => ChangeError::Stale { current },
            PtceRefused::Closed => ChangeError::Precondition("the PTCE is closed"),
            PtceRefused::AlreadyMember => ChangeError::Precondition("the partner is already a member"),
            PtceRefused::NotMember => ChangeError::Precondition("the partner is not a current member"),
            PtceRefused::Invalid(v) => ChangeError::Invalid(vec![v]),
        }
    }
}

impl From<StageRefused> for ChangeError {
    fn from(r: StageRefused) -> Self {
        match r {
            StageRefused::Stale { current } => ChangeError::Stale { current },
            StageRefused::Final => ChangeError::Precondition("the initiative is consolidated or abandoned"),
            StageRefused::NotNext { .. } => {
                ChangeError::Precondition("only the next stage, or abandoned, can follow the current one")
            }
            StageRefused::Invalid(v) => ChangeError::Invalid(vec![v]),
        }
    }
}

async fn ptce_proto(conn: &mut PgConnection, p: &Ptce) -> Result<pb::Ptce, StoreError> {
    let ids: Vec<Uuid> = p.members.iter().map(|m| m.partner_id).collect();
    let names: HashMap<Uuid, String> = store::ptces::partner_names(conn, &ids).await?.into_iter().collect();
    Ok(pb::Ptce {
        id: p.id.to_string(),
        name: p.name.as_str().to_owned(),
        territory: p.territory.clone(),
        lead_partner_id: p.lead_partner_id.to_string(),
        themes: p.themes.clone(),
        status: ptce_status_proto(p.status) as i32,
        members: p
            .members
            .iter()
            .map(|m| pb::PtceMember {
                partner_id: m.partner_id.to_string(),
                partner_name: names.get(&m.partner_id).cloned().unwrap_or_default(),
                joined_on: format_date(m.period.from()),
                left_on: m.period.until().map(format_date).unwrap_or_default(),
            })
            .collect(),
        version: p.version,
    })
}

fn initiative_proto(i: &Initiative) -> pb::Initiative {
    pb::Initiative {
        id: i.id.to_string(),
        name: i.name.as_str().to_owned(),
        kind: kind_proto(i.kind) as i32,
        holder_id: i.holder_id.to_string(),
        territory: i.territory.clone(),
        stage: stage_proto(i.stage()) as i32,
        history: i
            .history
            .iter()
            .map(|c| pb::StageChange {
                stage: stage_proto(c.stage) as i32,
                on: format_date(c.on),
                note: c.note.clone().unwrap_or_default(),
            })
            .collect(),
        support_partner_ids: i.supports.iter().map(Uuid::to_string).collect(),
        version: i.version,
    }
}

pub struct PtceService {
    pool: PgPool,
}

impl PtceService {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    #[tracing::instrument(name = "registry.ptces.create", skip_all, fields(ess.ptce.id))]
    async fn create(&self, req: pb::CreatePtceRequest) -> Result<pb::Ptce, ChangeError> {
        let mut v = Vec::new();
        let name = PartnerName::parse(&req.name)
            .map_err(|r| v.push(Violation::new("name", r)))
            .ok();
        let territory = ptce::parse_territory(&req.territory).map_err(|e| v.push(e)).ok();
        let lead = uuid("lead_partner_id", &req.lead_partner_id)
            .map_err(|e| v.push(e))
            .ok();
        let themes = themes(&req.themes).map_err(|e| v.push(e)).ok();
        let status = ptce_status("status", req.status).map_err(|e| v.push(e)).ok().flatten();
        invalid(v).map_err(ChangeError::Invalid)?;
        let (Some(name), Some(territory), Some(lead), Some(themes)) = (name, territory, lead, themes) else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let p = Ptce {
            id: Uuid::now_v7(),
            name,
            territory,
            lead_partner_id: lead,
            themes,
            status: status.unwrap_or(PtceStatus::Emerging),
            members: vec![],
            version: 1,
        };
        tracing::Span::current().record("ess.ptce.id", p.id.to_string().as_str());
        let mut tx = self.pool.begin().await.context("begin create_ptce")?;
        if store::initiatives::existing_partners(&mut tx, &[lead])
            .await
            .context("reading the lead partner")?
            .is_empty()
        {
            return Err(ChangeError::NotFound("no lead partner with this id"));
        }
        store::ptces::insert(&mut tx, &p).await.context("inserting the PTCE")?;
        platform::outbox::enqueue(&mut tx, &ev::ptce_created(&p))
            .await
            .context("enqueueing PtceCreated")?;
        let out = ptce_proto(&mut tx, &p).await.context("answering")?;
        platform::outbox::commit(tx).await.context("commit create_ptce")?;
        Ok(out)
    }

    async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Ptce, ChangeError> {
        store::ptces::get(conn, id, true)
            .await
            .context("reading the PTCE")?
            .ok_or(ChangeError::NotFound("no PTCE with this id"))
    }

    #[tracing::instrument(name = "registry.ptces.join", skip_all, fields(ess.ptce.id = %req.ptce_id))]
    async fn join(&self, req: pb::JoinPtceRequest) -> Result<pb::Ptce, ChangeError> {
        let mut v = Vec::new();
        let id = uuid("ptce_id", &req.ptce_id).map_err(|e| v.push(e)).ok();
        let partner = uuid("partner_id", &req.partner_id).map_err(|e| v.push(e)).ok();
        let on = parse_date("joined_on", &req.joined_on).map_err(|e| v.push(e)).ok();
        invalid(v).map_err(ChangeError::Invalid)?;
        let (Some(id), Some(partner), Some(on)) = (id, partner, on) else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let mut tx = self.pool.begin().await.context("begin join_ptce")?;
        let mut p = Self::load(&mut tx, id).await?;
        let member = p.join(req.expected_version, partner, on)?;
        if store::initiatives::existing_partners(&mut tx, &[partner])
            .await
            .context("reading the partner")?
            .is_empty()
        {
            return Err(ChangeError::NotFound("no partner with this id"));
        }
        store::ptces::join(&mut tx, id, &member)
            .await
            .context("adding the member")?;
        p.members.push(member.clone());
        p.version += 1;
        store::ptces::save(&mut tx, &p).await.context("saving the PTCE")?;
        platform::outbox::enqueue(&mut tx, &ev::ptce_member_joined(&p, &member))
            .await
            .context("enqueueing PtceMemberJoined")?;
        let out = ptce_proto(&mut tx, &p).await.context("answering")?;
        platform::outbox::commit(tx).await.context("commit join_ptce")?;
        Ok(out)
    }

    #[tracing::instrument(name = "registry.ptces.leave", skip_all, fields(ess.ptce.id = %req.ptce_id))]
    async fn leave(&self, req: pb::LeavePtceRequest) -> Result<pb::Ptce, ChangeError> {
        let mut v = Vec::new();
        let id = uuid("ptce_id", &req.ptce_id).map_err(|e| v.push(e)).ok();
        let partner = uuid("partner_id", &req.partner_id).map_err(|e| v.push(e)).ok();
        let on = parse_date("left_on", &req.left_on).map_err(|e| v.push(e)).ok();
        invalid(v).map_err(ChangeError::Invalid)?;
        let (Some(id), Some(partner), Some(on)) = (id, partner, on) else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let mut tx = self.pool.begin().await.context("begin leave_ptce")?;
        let mut p = Self::load(&mut tx, id).await?;
        let left = p.leave(req.expected_version, partner, on)?;
        store::ptces::leave(&mut tx, id, partner, on)
            .await
            .context("closing the membership")?;
        for m in p.members.iter_mut() {
            if m.partner_id == partner && m.period.until().is_none() {
                *m = left.clone();
            }
        }
        p.version += 1;
        store::ptces::save(&mut tx, &p).await.context("saving the PTCE")?;
        platform::outbox::enqueue(&mut tx, &ev::ptce_member_left(&p, &left))
            .await
            .context("enqueueing PtceMemberLeft")?;
        let out = ptce_proto(&mut tx, &p).await.context("answering")?;
        platform::outbox::commit(tx).await.context("commit leave_ptce")?;
        Ok(out)
    }

    #[tracing::instrument(name = "registry.ptces.set_status", skip_all, fields(ess.ptce.id = %req.ptce_id))]
    async fn set_status(&self, req: pb::SetPtceStatusRequest) -> Result<pb::Ptce, ChangeError> {
        let mut v = Vec::new();
        let id = uuid("ptce_id", &req.ptce_id).map_err(|e| v.push(e)).ok();
        let status = match ptce_status("status", req.status) {
            Ok(Some(s)) => Some(s),
            Ok(None) => {
                v.push(Violation::new("status", "is required"));
                None
            }
            Err(e) => {
                v.push(e);
                None
            }
        };
        invalid(v).map_err(ChangeError::Invalid)?;
        let (Some(id), Some(status)) = (id, status) else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let mut tx = self.pool.begin().await.context("begin set_ptce_status")?;
        let mut p = Self::load(&mut tx, id).await?;
        p.can_change_status(req.expected_version)?;
        if p.status == status {
            return Ok(ptce_proto(&mut tx, &p).await.context("answering")?);
        }
        p.status = status;
        p.version += 1;
        store::ptces::save(&mut tx, &p).await.context("saving the PTCE")?;
        platform::outbox::enqueue(&mut tx, &ev::ptce_status_changed(&p))
            .await
            .context("enqueueing PtceStatusChanged")?;
        let out = ptce_proto(&mut tx, &p).await.context("answering")?;
        platform::outbox::commit(tx).await.context("commit set_ptce_status")?;
        Ok(out)
    }

    async fn get(&self, req: pb::GetPtceRequest) -> Result<pb::Ptce, ReadError> {
        let id = uuid("id", &req.id).map_err(|e| ReadError::Invalid(vec![e]))?;
        let mut conn = self.pool.acquire().await.context("acquire get_ptce")?;
        let p = store::ptces::get(&mut conn, id, false)
            .await
            .context("reading the PTCE")?
            .ok_or(ReadError::NotFound("no PTCE with this id"))?;
        Ok(ptce_proto(&mut conn, &p).await.context("answering")?)
    }

    async fn list(&self, req: pb::ListPtcesRequest) -> Result<pb::ListPtcesResponse, ReadError> {
        let page = page(req.page_size, &req.page_token, &["ptces"]).map_err(ReadError::Invalid)?;
        let mut conn = self.pool.acquire().await.context("acquire list_ptces")?;
        let mut all = store::ptces::list(&mut conn, page.after_key(), page.limit())
            .await
            .context("listing PTCEs")?;
        let next_page_token = page.finish(&mut all, |p| Cursor {
            key: p.name.as_str().to_owned(),
            id: p.id,
        });
        let mut ptces = Vec::with_capacity(all.len());
        for p in &all {
            ptces.push(ptce_proto(&mut conn, p).await.context("answering")?);
        }
        Ok(pb::ListPtcesResponse { ptces, next_page_token })
    }
}

#[tonic::async_trait]
impl pb::ptces_server::Ptces for PtceService {
    async fn create_ptce(&self, r: Request<pb::CreatePtceRequest>) -> Result<Response<pb::PtceResponse>, Status> {
        let ptce = self.create(r.into_inner()).await?;
        Ok(Response::new(pb::PtceResponse { ptce: Some(ptce) }))
    }

    async fn get_ptce(&self, r: Request<pb::GetPtceRequest>) -> Result<Response<pb::PtceResponse>, Status> {
        let ptce = self.get(r.into_inner()).await?;
        Ok(Response::new(pb::PtceResponse { ptce: Some(ptce) }))
    }

    async fn list_ptces(&self, r: Request<pb::ListPtcesRequest>) -> Result<Response<pb::ListPtcesResponse>, Status> {
        Ok(Response::new(self.list(r.into_inner()).await?))
    }

    async fn join_ptce(&self, r: Request<pb::JoinPtceRequest>) -> Result<Response<pb::PtceResponse>, Status> {
        let ptce = self.join(r.into_inner()).await?;
        Ok(Response::new(pb::PtceResponse { ptce: Some(ptce) }))
    }

    async fn leave_ptce(&self, r: Request<pb::LeavePtceRequest>) -> Result<Response<pb::PtceResponse>, Status> {
        let ptce = self.leave(r.into_inner()).await?;
        Ok(Response::new(pb::PtceResponse { ptce: Some(ptce) }))
    }

    async fn set_ptce_status(
        &self,
        r: Request<pb::SetPtceStatusRequest>,
    ) -> Result<Response<pb::PtceResponse>, Status> {
        let ptce = self.set_status(r.into_inner()).await?;
        Ok(Response::new(pb::PtceResponse { ptce: Some(ptce) }))
    }
}

pub struct InitiativeService {
    pool: PgPool,
}

impl InitiativeService {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    #[tracing::instrument(name = "registry.initiatives.create", skip_all, fields(ess.initiative.id))]
    async fn create(&self, req: pb::CreateInitiativeRequest) -> Result<pb::Initiative, ChangeError> {
        let mut v = Vec::new();
        let name = PartnerName::parse(&req.name)
            .map_err(|r| v.push(Violation::new("name", r)))
            .ok();
        let kind = match kind("kind", req.kind) {
            Ok(Some(k)) => Some(k),
            Ok(None) => {
                v.push(Violation::new("kind", "is required"));
                None
            }
            Err(e) => {
                v.push(e);
                None
            }
        };
        let holder = uuid("holder_id", &req.holder_id).map_err(|e| v.push(e)).ok();
        let territory = ptce::parse_territory(&req.territory).map_err(|e| v.push(e)).ok();
        let first = stage("stage", req.stage).map_err(|e| v.push(e)).ok().flatten();
        let since = parse_date("since", &req.since).map_err(|e| v.push(e)).ok();
        let note = initiative::parse_note(&req.note).map_err(|e| v.push(e)).ok().flatten();
        let mut supports = Vec::new();
        for (i, raw) in req.support_partner_ids.iter().enumerate() {
            match uuid(&format!("support_partner_ids[{i}]"), raw) {
                Ok(id) if !supports.contains(&id) => supports.push(id),
                Ok(_) => {}
                Err(e) => v.push(e),
            }
        }
        invalid(v).map_err(ChangeError::Invalid)?;
        let (Some(name), Some(kind), Some(holder), Some(territory), Some(since)) =
            (name, kind, holder, territory, since)
        else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let i = Initiative {
            id: Uuid::now_v7(),
            name,
            kind,
            holder_id: holder,
            territory,
            history: vec![StageChange {
                stage: first.unwrap_or(Stage::Idea),
                on: since,
                note,
            }],
            supports,
            version: 1,
        };
        tracing::Span::current().record("ess.initiative.id", i.id.to_string().as_str());
        let mut tx = self.pool.begin().await.context("begin create_initiative")?;
        let mut wanted = i.supports.clone();
        wanted.push(holder);
        let found = store::initiatives::existing_partners(&mut tx, &wanted)
            .await
            .context("reading the partners")?;
        if wanted.iter().any(|id| !found.contains(id)) {
            return Err(ChangeError::NotFound(
                "no partner with one of these ids (holder or support)",
            ));
        }
        store::initiatives::insert(&mut tx, &i)
            .await
            .context("inserting the initiative")?;
        platform::outbox::enqueue(&mut tx, &ev::initiative_created(&i))
            .await
            .context("enqueueing InitiativeCreated")?;
        platform::outbox::commit(tx).await.context("commit create_initiative")?;
        Ok(initiative_proto(&i))
    }

    #[tracing::instrument(name = "registry.initiatives.change_stage", skip_all, fields(ess.initiative.id = %req.id))]
    async fn change_stage(&self, req: pb::ChangeInitiativeStageRequest) -> Result<pb::Initiative, ChangeError> {
        let mut v = Vec::new();
        let id = uuid("id", &req.id).map_err(|e| v.push(e)).ok();
        let to = match stage("stage", req.stage) {
            Ok(Some(s)) => Some(s),
            Ok(None) => {
                v.push(Violation::new("stage", "is required"));
                None
            }
            Err(e) => {
                v.push(e);
                None
            }
        };
        let on = parse_date("on", &req.on).map_err(|e| v.push(e)).ok();
        let note = initiative::parse_note(&req.note).map_err(|e| v.push(e)).ok().flatten();
        invalid(v).map_err(ChangeError::Invalid)?;
        let (Some(id), Some(to), Some(on)) = (id, to, on) else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let mut tx = self.pool.begin().await.context("begin change_stage")?;
        let mut i = store::initiatives::get(&mut tx, id, true)
            .await
            .context("reading the initiative")?
            .ok_or(ChangeError::NotFound("no initiative with this id"))?;
        let change = StageChange { stage: to, on, note };
        i.change_stage(req.expected_version, change.clone())?;
        let from = i.stage();
        i.history.push(change);
        i.version += 1;
        store::initiatives::append_stage(&mut tx, &i)
            .await
            .context("recording the stage")?;
        platform::outbox::enqueue(&mut tx, &ev::initiative_stage_changed(&i, from))
            .await
            .context("enqueueing InitiativeStageChanged")?;
        platform::outbox::commit(tx).await.context("commit change_stage")?;
        Ok(initiative_proto(&i))
    }

    async fn get(&self, req: pb::GetInitiativeRequest) -> Result<pb::Initiative, ReadError> {
        let id = uuid("id", &req.id).map_err(|e| ReadError::Invalid(vec![e]))?;
        let mut conn = self.pool.acquire().await.context("acquire get_initiative")?;
        let i = store::initiatives::get(&mut conn, id, false)
            .await
            .context("reading the initiative")?
            .ok_or(ReadError::NotFound("no initiative with this id"))?;
        Ok(initiative_proto(&i))
    }

    async fn list(&self, req: pb::ListInitiativesRequest) -> Result<pb::ListInitiativesResponse, ReadError> {
        let mut v = Vec::new();
        let holder = match req.holder_id.trim() {
            "" => None,
            raw => uuid("holder_id", raw).map_err(|e| v.push(e)).ok(),
        };
        let kind = kind("kind", req.kind).map_err(|e| v.push(e)).ok().flatten();
        let stage = stage("stage", req.stage).map_err(|e| v.push(e)).ok().flatten();
        let fingerprint = [
            "initiatives".to_owned(),
            holder.map(|h| h.to_string()).unwrap_or_default(),
            kind.map(|k| k.key().to_owned()).unwrap_or_default(),
            stage.map(|s| s.key().to_owned()).unwrap_or_default(),
        ];
        let fingerprint: Vec<&str> = fingerprint.iter().map(String::as_str).collect();
        let page = page(req.page_size, &req.page_token, &fingerprint);
        if let Err(e) = &page {
            v.extend(e.iter().cloned());
        }
        invalid(v).map_err(ReadError::Invalid)?;
        let page = page.map_err(ReadError::Invalid)?;
        let mut conn = self.pool.acquire().await.context("acquire list_initiatives")?;
        // Newest first: ids are UUIDv7, so the id alone is the order.
        let before = page.after.as_ref().map(|c| c.id);
        let mut all = store::initiatives::list(&mut conn, holder, kind, stage, before, page.limit())
            .await
            .context("listing initiatives")?;
        let next_page_token = page.finish(&mut all, |i| Cursor {
            key: String::new(),
            id: i.id,
        });
        Ok(pb::ListInitiativesResponse {
            initiatives: all.iter().map(initiative_proto).collect(),
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl pb::initiatives_server::Initiatives for InitiativeService {
    async fn create_initiative(
        &self,
        r: Request<pb::CreateInitiativeRequest>,
    ) -> Result<Response<pb::InitiativeResponse>, Status> {
        let initiative = self.create(r.into_inner()).await?;
        Ok(Response::new(pb::InitiativeResponse {
            initiative: Some(initiative),
        }))
    }

    async fn get_initiative(
        &self,
        r: Request<pb::GetInitiativeRequest>,
    ) -> Result<Response<pb::InitiativeResponse>, Status> {
        let initiative = self.get(r.into_inner()).await?;
        Ok(Response::new(pb::InitiativeResponse {
            initiative: Some(initiative),
        }))
    }

    async fn list_initiatives(
        &self,
        r: Request<pb::ListInitiativesRequest>,
    ) -> Result<Response<pb::ListInitiativesResponse>, Status> {
        Ok(Response::new(self.list(r.into_inner()).await?))
    }

    async fn change_initiative_stage(
        &self,
        r: Request<pb::ChangeInitiativeStageRequest>,
    ) -> Result<Response<pb::InitiativeResponse>, Status> {
        let initiative = self.change_stage(r.into_inner()).await?;
        Ok(Response::new(pb::InitiativeResponse {
            initiative: Some(initiative),
        }))
    }
}
