//! `ess.registry.v1.Membership`: CRESS membership periods and network affiliations. Each change is
//! a change of the partner (version + 1) with its event, in one transaction.

use anyhow::Context as _;
use ess_proto::registry::v1::{
    AddAffiliationRequest, Affiliation as ProtoAffiliation, EndAffiliationRequest, GetMembershipRequest,
    JoinCressRequest, LeaveCressRequest, MembershipPeriod as ProtoPeriod, MembershipResponse,
    membership_server::Membership,
};
use platform::audit::AuditTarget;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{
    convert,
    errors::{ChangeError, ReadError},
    partners::{load_for_change, save_change},
};
use crate::{
    domain::{
        Violation,
        dates::{Period, format_date, parse_date, parse_optional_date},
        membership::{self, Affiliation, MembershipPeriod},
        partner::{Partner, PartnerId},
    },
    events,
    store::{self, StoreError},
};

pub struct MembershipService {
    pool: PgPool,
}

impl MembershipService {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn id(field: &str, raw: &str) -> Result<PartnerId, Violation> {
    PartnerId::parse(raw).map_err(|r| Violation::new(field, r))
}

/// Collects the results of parsing several fields: every violation, or nothing.
fn all_ok(v: Vec<Violation>) -> Result<(), ChangeError> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(ChangeError::Invalid(v))
    }
}

async fn answer(conn: &mut PgConnection, partner: &Partner) -> Result<MembershipResponse, anyhow::Error> {
    let periods = store::memberships::periods(conn, partner.id)
        .await
        .context("reading the periods")?;
    let affiliations = store::memberships::affiliations(conn, partner.id)
        .await
        .context("reading the affiliations")?;
    Ok(MembershipResponse {
        partner_id: partner.id.0.to_string(),
        version: partner.version,
        cress_member: partner.cress_member,
        periods: periods
            .iter()
            .map(|p| ProtoPeriod {
                member_from: format_date(p.period.from()),
                member_until: convert::date(p.period.until()),
                college: p.college.clone().unwrap_or_default(),
                mandant: p.mandant,
            })
            .collect(),
        affiliations: affiliations
            .iter()
            .map(|(a, name)| ProtoAffiliation {
                id: a.id.to_string(),
                network_id: a.network_id.to_string(),
                network_name: name.clone(),
                from: format_date(a.period.from()),
                until: convert::date(a.period.until()),
            })
            .collect(),
    })
}

impl MembershipService {
    #[tracing::instrument(name = "registry.membership.join", skip_all, fields(ess.partner.id = %req.partner_id))]
    async fn join(&self, req: JoinCressRequest) -> Result<MembershipResponse, ChangeError> {
        let mut v = Vec::new();
        let pid = id("partner_id", &req.partner_id).map_err(|e| v.push(e)).ok();
        let from = parse_date("member_from", &req.member_from).map_err(|e| v.push(e)).ok();
        let college = membership::parse_college(&req.college)
            .map_err(|e| v.push(e))
            .ok()
            .flatten();
        all_ok(v)?;
        let (Some(pid), Some(from)) = (pid, from) else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let mut tx = self.pool.begin().await.context("begin join_cress")?;
        let mut partner = load_for_change(&mut tx, pid, req.expected_version).await?;
        let periods = store::memberships::periods(&mut tx, pid)
            .await
            .context("reading the periods")?;
        if periods.iter().any(MembershipPeriod::is_open) {
            return Err(ChangeError::Precondition("a membership period is already open"));
        }
        if periods.iter().any(|p| p.period.until().is_some_and(|u| from <= u)) {
            return Err(ChangeError::Invalid(vec![Violation::new(
                "member_from",
                "must be after the end of the previous period",
            )]));
        }
        let period = MembershipPeriod {
            period: Period::new(from, None, "member_until").map_err(|e| ChangeError::Invalid(vec![e]))?,
            college,
            mandant: req.mandant,
        };
        match store::memberships::open(&mut tx, pid, &period).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(ChangeError::Precondition("a membership period is already open"));
            }
            Err(e) => return Err(anyhow::Error::new(e).context("opening the period").into()),
        }
        partner.cress_member = true;
        save_change(&mut tx, &mut partner).await?;
        platform::outbox::enqueue(&mut tx, &events::partners::membership_changed(&partner, &period))
            .await
            .context("enqueueing MembershipChanged")?;
        let out = answer(&mut tx, &partner).await?;
        platform::outbox::commit(tx).await.context("commit join_cress")?;
        Ok(out)
    }

    #[tracing::instrument(name = "registry.membership.leave", skip_all, fields(ess.partner.id = %req.partner_id))]
    async fn leave(&self, req: LeaveCressRequest) -> Result<MembershipResponse, ChangeError> {
        let mut v = Vec::new();
        let pid = id("partner_id", &req.partner_id).map_err(|e| v.push(e)).ok();
        let until = parse_date("member_until", &req.member_until)
            .map_err(|e| v.push(e))
            .ok();
        all_ok(v)?;
        let (Some(pid), Some(until)) = (pid, until) else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let mut tx = self.pool.begin().await.context("begin leave_cress")?;
        let mut partner = load_for_change(&mut tx, pid, req.expected_version).await?;
        let periods = store::memberships::periods(&mut tx, pid)
            .await
            .context("reading the periods")?;
        let open = periods
            .iter()
            .find(|p| p.is_open())
            .ok_or(ChangeError::Precondition("no membership period is open"))?;
        let closed = membership::close(open, until).map_err(|e| ChangeError::Invalid(vec![e]))?;
        store::memberships::close(&mut tx, pid, until)
            .await
            .context("closing the period")?;
        partner.cress_member = false;
        save_change(&mut tx, &mut partner).await?;
        platform::outbox::enqueue(&mut tx, &events::partners::membership_changed(&partner, &closed))
            .await
            .context("enqueueing MembershipChanged")?;
        let out = answer(&mut tx, &partner).await?;
        platform::outbox::commit(tx).await.context("commit leave_cress")?;
        Ok(out)
    }

    #[tracing::instrument(name = "registry.membership.get", skip_all, fields(ess.partner.id = %req.partner_id))]
    async fn get(&self, req: GetMembershipRequest) -> Result<MembershipResponse, ReadError> {
        let pid = id("partner_id", &req.partner_id).map_err(|e| ReadError::Invalid(vec![e]))?;
        let mut conn = self.pool.acquire().await.context("acquire get_membership")?;
        let partner = store::partners::get(&mut conn, pid)
            .await
            .context("reading the partner")?
            .ok_or(ReadError::NotFound("no partner with this id"))?;
        Ok(answer(&mut conn, &partner).await?)
    }

    #[tracing::instrument(name = "registry.membership.add_affiliation", skip_all, fields(ess.partner.id = %req.partner_id))]
    async fn add_affiliation(&self, req: AddAffiliationRequest) -> Result<MembershipResponse, ChangeError> {
        let mut v = Vec::new();
        let pid = id("partner_id", &req.partner_id).map_err(|e| v.push(e)).ok();
        let network = id("network_id", &req.network_id).map_err(|e| v.push(e)).ok();
        let from = parse_date("from", &req.from).map_err(|e| v.push(e)).ok();
        let until = parse_optional_date("until", &req.until)
            .map_err(|e| v.push(e))
            .ok()
            .flatten();
        let period = from.and_then(|f| Period::new(f, until, "until").map_err(|e| v.push(e)).ok());
        if pid.is_some() && pid == network {
            v.push(Violation::new("network_id", "a partner cannot belong to itself"));
        }
        all_ok(v)?;
        let (Some(pid), Some(network), Some(period)) = (pid, network, period) else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let mut tx = self.pool.begin().await.context("begin add_affiliation")?;
        let mut partner = load_for_change(&mut tx, pid, req.expected_version).await?;
        store::partners::get(&mut tx, network)
            .await
            .context("reading the network")?
            .ok_or(ChangeError::NotFound("no network partner with this id"))?;
        let affiliation = Affiliation {
            id: Uuid::now_v7(),
            network_id: network.0,
            period,
        };
        store::memberships::insert_affiliation(&mut tx, pid, &affiliation)
            .await
            .context("inserting the affiliation")?;
        save_change(&mut tx, &mut partner).await?;
        platform::outbox::enqueue(&mut tx, &events::partners::affiliation_changed(&partner, &affiliation))
            .await
            .context("enqueueing AffiliationChanged")?;
        let out = answer(&mut tx, &partner).await?;
        platform::outbox::commit(tx).await.context("commit add_affiliation")?;
        Ok(out)
    }

    #[tracing::instrument(name = "registry.membership.end_affiliation", skip_all, fields(ess.partner.id = %req.partner_id))]
    async fn end_affiliation(&self, req: EndAffiliationRequest) -> Result<MembershipResponse, ChangeError> {
        let mut v = Vec::new();
        let pid = id("partner_id", &req.partner_id).map_err(|e| v.push(e)).ok();
        let aid = Uuid::parse_str(req.affiliation_id.trim())
            .map_err(|_| v.push(Violation::new("affiliation_id", "must be a UUID")))
            .ok();
        let until = parse_date("until", &req.until).map_err(|e| v.push(e)).ok();
        all_ok(v)?;
        let (Some(pid), Some(aid), Some(until)) = (pid, aid, until) else {
            return Err(ChangeError::Invalid(vec![]));
        };
        let mut tx = self.pool.begin().await.context("begin end_affiliation")?;
        let mut partner = load_for_change(&mut tx, pid, req.expected_version).await?;
        let affiliations = store::memberships::affiliations(&mut tx, pid)
            .await
            .context("reading the affiliations")?;
        let (current, _) = affiliations
            .into_iter()
            .find(|(a, _)| a.id == aid)
            .ok_or(ChangeError::NotFound("no such affiliation for this partner"))?;
        if current.period.until().is_some() {
            return Err(ChangeError::Precondition("the affiliation has already ended"));
        }
        let ended = Affiliation {
            period: Period::new(current.period.from(), Some(until), "until")
                .map_err(|e| ChangeError::Invalid(vec![e]))?,
            ..current
        };
        store::memberships::end_affiliation(&mut tx, aid, until)
            .await
            .context("ending the affiliation")?;
        save_change(&mut tx, &mut partner).await?;
        platform::outbox::enqueue(&mut tx, &events::partners::affiliation_changed(&partner, &ended))
            .await
            .context("enqueueing AffiliationChanged")?;
        let out = answer(&mut tx, &partner).await?;
        platform::outbox::commit(tx).await.context("commit end_affiliation")?;
        Ok(out)
    }
}

#[tonic::async_trait]
impl Membership for MembershipService {
    async fn join_cress(&self, request: Request<JoinCressRequest>) -> Result<Response<MembershipResponse>, Status> {
        let id = request.get_ref().partner_id.clone();
        Ok(AuditTarget::tag(
            Response::new(self.join(request.into_inner()).await?),
            id,
        ))
    }

    async fn leave_cress(&self, request: Request<LeaveCressRequest>) -> Result<Response<MembershipResponse>, Status> {
        let id = request.get_ref().partner_id.clone();
        Ok(AuditTarget::tag(
            Response::new(self.leave(request.into_inner()).await?),
            id,
        ))
    }

    async fn get_membership(
        &self,
        request: Request<GetMembershipRequest>,
    ) -> Result<Response<MembershipResponse>, Status> {
        super::guard::partner(&request, &request.get_ref().partner_id)?;
        Ok(Response::new(self.get(request.into_inner()).await?))
    }

    async fn add_affiliation(
        &self,
        request: Request<AddAffiliationRequest>,
    ) -> Result<Response<MembershipResponse>, Status> {
        let id = request.get_ref().partner_id.clone();
        Ok(AuditTarget::tag(
            Response::new(self.add_affiliation(request.into_inner()).await?),
            id,
        ))
    }

    async fn end_affiliation(
        &self,
        request: Request<EndAffiliationRequest>,
    ) -> Result<Response<MembershipResponse>, Status> {
        let id = request.get_ref().partner_id.clone();
        Ok(AuditTarget::tag(
            Response::new(self.end_affiliation(request.into_inner()).await?),
            id,
        ))
    }
}
