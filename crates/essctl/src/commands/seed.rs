//! `essctl seed demo`: loads the plan of [`super::seed_data`] through the services' public gRPC
//! APIs, converging rather than appending — what exists is found again (partners by SIRET, PTCEs,
//! initiatives, activities, practices and plan actions by their unique demo names, registrations
//! by email, datasets by source and edition, reports by kind, period and format) and only what is
//! missing is created, so running it twice
//! creates nothing the second time, and a run interrupted half-way is completed by the next.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use ess_proto::{
    activities::v1::{self as apb, activities_client::ActivitiesClient},
    observatory::v1::{
        self as opb, DatasetHeader, ImportDatasetRequest, action_plan_client::ActionPlanClient,
        import_dataset_request::Part, import_dataset_response::Event, observatory_client::ObservatoryClient,
        reports_client::ReportsClient,
    },
    registry::v1::{
        self as rpb, initiatives_client::InitiativesClient, lookup_partners_request::Key,
        membership_client::MembershipClient, partner_registry_client::PartnerRegistryClient, ptces_client::PtcesClient,
    },
};
use serde::Serialize;
use tracing::{Instrument as _, Span, field::Empty};

use super::{
    Transport,
    activity::paris_time,
    call,
    ops_cli::SeedDemoArgs,
    paging, request,
    seed_data::{self, DemoActivity, DemoPlan, Lifecycle},
    transport,
};
use crate::{
    cli::{GlobalArgs, Output},
    failure::{Failure, Service},
    render::{self, Align},
};

/// How many of each thing the demo holds, and how many this run created.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeedCount {
    /// In the demo after this run (found + created).
    pub total: usize,
    /// Created by this run.
    pub created: usize,
}

/// What `seed demo` did, per kind of record.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeedReport {
    /// The seed used.
    pub seed: u64,
    /// Registry partners.
    pub partners: SeedCount,
    /// CRESS memberships.
    pub memberships: SeedCount,
    /// Network affiliations.
    pub affiliations: SeedCount,
    /// PTCEs.
    pub ptces: SeedCount,
    /// PTCE memberships.
    pub ptce_members: SeedCount,
    /// Initiatives.
    pub initiatives: SeedCount,
    /// Initiative stage changes (after the creation stage).
    pub stage_changes: SeedCount,
    /// Activities.
    pub activities: SeedCount,
    /// Activities completed with their attendance counts.
    pub completed: SeedCount,
    /// Registrations.
    pub registrations: SeedCount,
    /// Good-practice sheets.
    pub practices: SeedCount,
    /// Observatory datasets.
    pub datasets: SeedCount,
    /// Actions of the agreement's plan.
    pub actions: SeedCount,
    /// Published reports.
    pub reports: SeedCount,
    /// Activities whose sessions have not ended yet, left scheduled instead of completed.
    pub not_yet_completable: Vec<String>,
}

impl SeedCount {
    fn found(&mut self) {
        self.total += 1;
    }
    fn created(&mut self) {
        self.total += 1;
        self.created += 1;
    }
}

struct Seeder<'a> {
    global: &'a GlobalArgs,
    root: Span,
    registry: PartnerRegistryClient<Transport>,
    membership: MembershipClient<Transport>,
    ptces: PtcesClient<Transport>,
    initiatives: InitiativesClient<Transport>,
    activities: ActivitiesClient<Transport>,
    observatory: ObservatoryClient<Transport>,
    action_plan: ActionPlanClient<Transport>,
    reports: ReportsClient<Transport>,
    report: SeedReport,
}

/// Loads the demo for `args.seed` and prints what exists and what was created.
pub async fn demo(global: &GlobalArgs, args: &SeedDemoArgs) -> Result<String, Failure> {
    if !args.enabled {
        return Ok("demo seeding is switched off (ESS_SEED_DEMO=false): nothing done\n".to_owned());
    }
    let plan = seed_data::plan(args.seed, args.partners as usize);
    let root = tracing::info_span!(
        parent: None,
        "essctl seed demo",
        otel.kind = "client",
        otel.status_code = Empty,
        ess.seed = args.seed,
    );
    let registry = transport(
        Service::Registry,
        &global.registry_url,
        global.timeout,
        global.bearer()?,
    )?;
    let observatory = transport(
        Service::Observatory,
        &global.observatory_url,
        global.timeout,
        global.bearer()?,
    )?;
    let mut seeder = Seeder {
        global,
        root: root.clone(),
        registry: PartnerRegistryClient::new(registry.clone()),
        membership: MembershipClient::new(registry.clone()),
        ptces: PtcesClient::new(registry.clone()),
        initiatives: InitiativesClient::new(registry),
        activities: ActivitiesClient::new(transport(
            Service::Activities,
            &global.activities_url,
            global.timeout,
            global.bearer()?,
        )?),
        observatory: ObservatoryClient::new(observatory.clone()),
        action_plan: ActionPlanClient::new(observatory.clone()),
        reports: ReportsClient::new(observatory),
        report: SeedReport {
            seed: args.seed,
            ..Default::default()
        },
    };
    let outcome = seeder.run(&plan).instrument(root.clone()).await;
    if outcome.is_err() {
        root.record("otel.status_code", "ERROR");
    }
    outcome?;
    render_report(&seeder.report, global.output)
}

impl Seeder<'_> {
    fn span(&self, service: Service, rpc_service: &'static str, method: &'static str) -> Span {
        tracing::info_span!(
            parent: &self.root,
            "essctl seed call",
            otel.name = %format!("{rpc_service}/{method}"),
            otel.kind = "client",
            otel.status_code = Empty,
            rpc.system = "grpc",
            rpc.service = rpc_service,
            rpc.method = method,
            rpc.grpc.status_code = Empty,
            server.address = %self.global.url(service),
        )
    }

    /// Every page of a list RPC under one span: `message` builds a page's request from its token,
    /// `send` calls the RPC, `rows` splits the answer into its rows and the next page's token.
    async fn every_page<C, M, R, T, Fut>(
        &self,
        service: Service,
        (rpc_service, method): (&'static str, &'static str),
        client: &C,
        message: impl Fn(String) -> M,
        send: impl Fn(C, tonic::Request<M>) -> Fut,
        rows: impl Fn(R) -> (Vec<T>, String),
    ) -> Result<Vec<T>, Failure>
    where
        C: Clone,
        Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
    {
        let (url, t) = (self.global.url(service).to_owned(), self.global.timeout);
        let span = self.span(service, rpc_service, method);
        let rows = &rows;
        paging::all(|page_token| {
            let pending = send(client.clone(), request(message(page_token), t));
            let (span, url) = (span.clone(), url.clone());
            async move { call(service, &url, t, &span, pending).await.map(rows) }
        })
        .await
    }

    async fn run(&mut self, plan: &DemoPlan) -> Result<(), Failure> {
        let mut partners = Vec::with_capacity(plan.partners.len());
        let mut versions = HashMap::new();
        for p in &plan.partners {
            let (id, version) = self.partner(p).await?;
            versions.insert(id.clone(), version);
            partners.push(id);
        }
        self.memberships(plan, &partners, &mut versions).await?;
        self.ptces(plan, &partners).await?;
        self.initiatives(plan, &partners).await?;
        let activities = self.activities(plan, &partners).await?;
        self.practices(plan, &partners, &activities).await?;
        self.datasets(plan).await?;
        self.actions(plan).await?;
        // Last: the report covers everything above.
        self.reports(plan).await?;
        Ok(())
    }

    /// The partner's id and version: found by SIRET, or created.
    async fn partner(&mut self, p: &seed_data::DemoPartner) -> Result<(String, i64), Failure> {
        let (url, t) = (self.global.registry_url.clone(), self.global.timeout);
        const SVC: &str = "ess.registry.v1.PartnerRegistry";
        let span = self.span(Service::Registry, SVC, "LookupPartners");
        let message = rpb::LookupPartnersRequest {
            key: Some(Key::Siret(p.siret.clone())),
        };
        let found = call(
            Service::Registry,
            &url,
            t,
            &span,
            self.registry.lookup_partners(request(message, t)),
        )
        .await?;
        if let Some(existing) = found.partners.into_iter().next() {
            self.report.partners.found();
            return Ok((existing.id, existing.version));
        }
        let a = &p.archetype;
        let message = rpb::CreatePartnerRequest {
            name: p.name.clone(),
            siret: p.siret.clone(),
            commune_code: p.commune.code.to_owned(),
            kind: a.kind as i32,
            acronym: p.acronym.clone(),
            siren: p.siren.clone(),
            rna: p.rna.clone(),
            legal_category: a.legal_category.to_owned(),
            sirene_ess: match a.ess_flag {
                None => rpb::SireneEssFlag::Unspecified,
                Some(true) => rpb::SireneEssFlag::Yes,
                Some(false) => rpb::SireneEssFlag::No,
            } as i32,
            naf_code: a.naf.to_owned(),
            address_line: p.address.clone(),
            headcount_band: p.headcount_band.to_owned(),
            headcount_year: 2024,
            esus: p.esus_from.as_ref().map(|from| rpb::EsusApproval {
                approved_on: from.clone(),
                expires_on: String::new(),
            }),
            themes: a.themes.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        };
        let span = self.span(Service::Registry, SVC, "CreatePartner");
        let created = call(
            Service::Registry,
            &url,
            t,
            &span,
            self.registry.create_partner(request(message, t)),
        )
        .await?
        .partner
        .ok_or_else(|| bad_answer(Service::Registry, &url, "CreatePartner returned no partner"))?;
        self.report.partners.created();
        Ok((created.id, created.version))
    }

    async fn memberships(
        &mut self,
        plan: &DemoPlan,
        partners: &[String],
        versions: &mut HashMap<String, i64>,
    ) -> Result<(), Failure> {
        let (url, t) = (self.global.registry_url.clone(), self.global.timeout);
        const SVC: &str = "ess.registry.v1.Membership";
        let mut state: HashMap<String, rpb::MembershipResponse> = HashMap::new();
        let wanted: HashSet<usize> = plan
            .memberships
            .iter()
            .map(|m| m.partner)
            .chain(plan.affiliations.iter().map(|a| a.partner))
            .collect();
        let mut wanted: Vec<usize> = wanted.into_iter().collect();
        wanted.sort_unstable();
        for i in wanted {
            let span = self.span(Service::Registry, SVC, "GetMembership");
            let message = rpb::GetMembershipRequest {
                partner_id: partners[i].clone(),
            };
            let m = call(
                Service::Registry,
                &url,
                t,
                &span,
                self.membership.get_membership(request(message, t)),
            )
            .await?;
            versions.insert(partners[i].clone(), m.version);
            state.insert(partners[i].clone(), m);
        }
        for m in &plan.memberships {
            let id = &partners[m.partner];
            if state.get(id).is_some_and(|s| !s.periods.is_empty()) {
                self.report.memberships.found();
                continue;
            }
            let span = self.span(Service::Registry, SVC, "JoinCress");
            let message = rpb::JoinCressRequest {
                partner_id: id.clone(),
                expected_version: versions.get(id).copied().unwrap_or(1),
                member_from: m.from.clone(),
                college: m.college.to_owned(),
                mandant: m.mandant,
            };
            let answer = call(
                Service::Registry,
                &url,
                t,
                &span,
                self.membership.join_cress(request(message, t)),
            )
            .await?;
            versions.insert(id.clone(), answer.version);
            self.report.memberships.created();
        }
        for a in &plan.affiliations {
            let (id, network) = (&partners[a.partner], &partners[a.network]);
            if state
                .get(id)
                .is_some_and(|s| s.affiliations.iter().any(|x| &x.network_id == network))
            {
                self.report.affiliations.found();
                continue;
            }
            let span = self.span(Service::Registry, SVC, "AddAffiliation");
            let message = rpb::AddAffiliationRequest {
                partner_id: id.clone(),
                expected_version: versions.get(id).copied().unwrap_or(1),
                network_id: network.clone(),
                from: a.from.clone(),
                until: String::new(),
            };
            let answer = call(
                Service::Registry,
                &url,
                t,
                &span,
                self.membership.add_affiliation(request(message, t)),
            )
            .await?;
            versions.insert(id.clone(), answer.version);
            self.report.affiliations.created();
        }
        Ok(())
    }

    async fn ptces(&mut self, plan: &DemoPlan, partners: &[String]) -> Result<(), Failure> {
        let (url, t) = (self.global.registry_url.clone(), self.global.timeout);
        const SVC: &str = "ess.registry.v1.Ptces";
        let existing = self
            .every_page(
                Service::Registry,
                (SVC, "ListPtces"),
                &self.ptces,
                |page_token| rpb::ListPtcesRequest {
                    page_size: 500,
                    page_token,
                },
                |mut client, r| async move { client.list_ptces(r).await },
                |r| (r.ptces, r.next_page_token),
            )
            .await?;
        for p in &plan.ptces {
            let mut ptce = match existing.iter().find(|x| x.name == p.name) {
                Some(found) => {
                    self.report.ptces.found();
                    found.clone()
                }
                None => {
                    let span = self.span(Service::Registry, SVC, "CreatePtce");
                    let message = rpb::CreatePtceRequest {
                        name: p.name.clone(),
                        territory: p.territory.to_owned(),
                        lead_partner_id: partners[p.lead].clone(),
                        themes: p.themes.iter().map(|s| (*s).to_owned()).collect(),
                        status: if p.active {
                            rpb::PtceStatus::Active
                        } else {
                            rpb::PtceStatus::Emerging
                        } as i32,
                    };
                    let created = call(
                        Service::Registry,
                        &url,
                        t,
                        &span,
                        self.ptces.create_ptce(request(message, t)),
                    )
                    .await?
                    .ptce
                    .ok_or_else(|| bad_answer(Service::Registry, &url, "CreatePtce returned no PTCE"))?;
                    self.report.ptces.created();
                    created
                }
            };
            for (member, joined_on) in &p.members {
                let id = &partners[*member];
                if ptce.members.iter().any(|m| &m.partner_id == id) {
                    self.report.ptce_members.found();
                    continue;
                }
                let span = self.span(Service::Registry, SVC, "JoinPtce");
                let message = rpb::JoinPtceRequest {
                    ptce_id: ptce.id.clone(),
                    expected_version: ptce.version,
                    partner_id: id.clone(),
                    joined_on: joined_on.clone(),
                };
                ptce = call(
                    Service::Registry,
                    &url,
                    t,
                    &span,
                    self.ptces.join_ptce(request(message, t)),
                )
                .await?
                .ptce
                .ok_or_else(|| bad_answer(Service::Registry, &url, "JoinPtce returned no PTCE"))?;
                self.report.ptce_members.created();
            }
        }
        Ok(())
    }

    async fn initiatives(&mut self, plan: &DemoPlan, partners: &[String]) -> Result<(), Failure> {
        let (url, t) = (self.global.registry_url.clone(), self.global.timeout);
        const SVC: &str = "ess.registry.v1.Initiatives";
        for i in &plan.initiatives {
            let holder = &partners[i.holder];
            let existing = self
                .every_page(
                    Service::Registry,
                    (SVC, "ListInitiatives"),
                    &self.initiatives,
                    |page_token| rpb::ListInitiativesRequest {
                        holder_id: holder.clone(),
                        page_size: 500,
                        page_token,
                        ..Default::default()
                    },
                    |mut client, r| async move { client.list_initiatives(r).await },
                    |r| (r.initiatives, r.next_page_token),
                )
                .await?
                .into_iter()
                .find(|x| x.name == i.name);
            let Some((first_stage, first_date)) = i.stages.first() else {
                continue;
            };
            let mut initiative = match existing {
                Some(found) => {
                    self.report.initiatives.found();
                    found
                }
                None => {
                    let span = self.span(Service::Registry, SVC, "CreateInitiative");
                    let message = rpb::CreateInitiativeRequest {
                        name: i.name.clone(),
                        kind: i.kind as i32,
                        holder_id: holder.clone(),
                        territory: i.territory.clone(),
                        stage: *first_stage as i32,
                        since: first_date.clone(),
                        note: "Donnée de démonstration (synthétique)".to_owned(),
                        support_partner_ids: i.supports.iter().map(|s| partners[*s].clone()).collect(),
                    };
                    let created = call(
                        Service::Registry,
                        &url,
                        t,
                        &span,
                        self.initiatives.create_initiative(request(message, t)),
                    )
                    .await?
                    .initiative
                    .ok_or_else(|| bad_answer(Service::Registry, &url, "CreateInitiative returned no initiative"))?;
                    self.report.initiatives.created();
                    created
                }
            };
            for (stage, on) in i.stages.iter().skip(1) {
                if initiative.history.iter().any(|h| h.stage == *stage as i32) {
                    self.report.stage_changes.found();
                    continue;
                }
                let span = self.span(Service::Registry, SVC, "ChangeInitiativeStage");
                let message = rpb::ChangeInitiativeStageRequest {
                    id: initiative.id.clone(),
                    expected_version: initiative.version,
                    stage: *stage as i32,
                    on: on.clone(),
                    note: String::new(),
                };
                initiative = call(
                    Service::Registry,
                    &url,
                    t,
                    &span,
                    self.initiatives.change_initiative_stage(request(message, t)),
                )
                .await?
                .initiative
                .ok_or_else(|| bad_answer(Service::Registry, &url, "ChangeInitiativeStage returned no initiative"))?;
                self.report.stage_changes.created();
            }
        }
        Ok(())
    }

    /// Creates and advances the activities; returns their ids in plan order.
    async fn activities(&mut self, plan: &DemoPlan, partners: &[String]) -> Result<Vec<String>, Failure> {
        const SVC: &str = "ess.activities.v1.Activities";
        let existing: HashMap<String, apb::Activity> = self
            .every_page(
                Service::Activities,
                (SVC, "ListActivities"),
                &self.activities,
                |page_token| apb::ListActivitiesRequest {
                    page_size: 500,
                    page_token,
                    ..Default::default()
                },
                |mut client, r| async move { client.list_activities(r).await },
                |r| (r.activities, r.next_page_token),
            )
            .await?
            .into_iter()
            .map(|a| (a.title.clone(), a))
            .collect();
        let mut ids = Vec::with_capacity(plan.activities.len());
        for planned in &plan.activities {
            let mut activity = match existing.get(&planned.title) {
                Some(found) => {
                    self.report.activities.found();
                    found.clone()
                }
                None => {
                    let created = self.create_activity(planned, partners).await?;
                    self.report.activities.created();
                    created
                }
            };
            ids.push(activity.id.clone());
            let status = |a: &apb::Activity| apb::ActivityStatus::try_from(a.status).unwrap_or_default();
            match planned.lifecycle {
                Lifecycle::Draft => {}
                Lifecycle::Cancelled => {
                    if matches!(
                        status(&activity),
                        apb::ActivityStatus::Draft | apb::ActivityStatus::Scheduled
                    ) {
                        activity = self.transition(&activity.id, "CancelActivity").await?;
                    }
                }
                Lifecycle::Scheduled => {
                    if status(&activity) == apb::ActivityStatus::Draft {
                        activity = self.transition(&activity.id, "ScheduleActivity").await?;
                    }
                    if status(&activity) == apb::ActivityStatus::Scheduled {
                        self.register(planned, &activity, partners).await?;
                    }
                }
                Lifecycle::Completed => {
                    if status(&activity) == apb::ActivityStatus::Draft {
                        activity = self.transition(&activity.id, "ScheduleActivity").await?;
                    }
                    match status(&activity) {
                        apb::ActivityStatus::Completed => self.report.completed.found(),
                        apb::ActivityStatus::Scheduled => self.complete(planned, &activity).await?,
                        _ => {}
                    }
                }
            }
        }
        Ok(ids)
    }

    async fn create_activity(&mut self, a: &DemoActivity, partners: &[String]) -> Result<apb::Activity, Failure> {
        let (url, t) = (self.global.activities_url.clone(), self.global.timeout);
        let sessions = a
            .sessions
            .iter()
            .map(|s| {
                Ok(apb::NewSession {
                    start: Some(paris_time(&s.start)?),
                    end: Some(paris_time(&s.end)?),
                    capacity: s.capacity,
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        let message = apb::CreateActivityRequest {
            activity: Some(apb::ActivityFields {
                title: a.title.clone(),
                description: a.description.clone(),
                kind: a.kind,
                axes: a.axes.clone(),
                publics: a.publics.clone(),
                campaign: a.campaign.to_owned(),
                venue: Some(apb::Venue {
                    online: a.commune.is_none(),
                    commune_code: a.commune.map(|c| c.code.to_owned()).unwrap_or_default(),
                    address: a.address.clone(),
                }),
            }),
            organiser_ids: a.organisers.iter().map(|i| partners[*i].clone()).collect(),
            co_organiser_ids: a.co_organisers.iter().map(|i| partners[*i].clone()).collect(),
            sessions,
        };
        let span = self.span(Service::Activities, "ess.activities.v1.Activities", "CreateActivity");
        call(
            Service::Activities,
            &url,
            t,
            &span,
            self.activities.create_activity(request(message, t)),
        )
        .await?
        .activity
        .ok_or_else(|| bad_answer(Service::Activities, &url, "CreateActivity returned no activity"))
    }

    async fn transition(&mut self, id: &str, method: &'static str) -> Result<apb::Activity, Failure> {
        let (url, t) = (self.global.activities_url.clone(), self.global.timeout);
        let span = self.span(Service::Activities, "ess.activities.v1.Activities", method);
        let message = request(apb::ActivityTransitionRequest { id: id.to_owned() }, t);
        let answer = match method {
            "CancelActivity" => {
                call(
                    Service::Activities,
                    &url,
                    t,
                    &span,
                    self.activities.cancel_activity(message),
                )
                .await?
            }
            _ => {
                call(
                    Service::Activities,
                    &url,
                    t,
                    &span,
                    self.activities.schedule_activity(message),
                )
                .await?
            }
        };
        answer
            .activity
            .ok_or_else(|| bad_answer(Service::Activities, &url, "the transition returned no activity"))
    }

    /// The planned session matching a stored one (same start).
    fn session_index(planned: &DemoActivity, session: &apb::Session) -> Option<usize> {
        planned.sessions.iter().position(|s| {
            paris_time(&s.start)
                .ok()
                .zip(session.start.as_ref())
                .is_some_and(|(a, b)| a.seconds == b.seconds)
        })
    }

    async fn register(
        &mut self,
        planned: &DemoActivity,
        activity: &apb::Activity,
        partners: &[String],
    ) -> Result<(), Failure> {
        let (url, t) = (self.global.activities_url.clone(), self.global.timeout);
        const SVC: &str = "ess.activities.v1.Activities";
        let now = Utc::now().timestamp();
        for session in &activity.sessions {
            let Some(index) = Self::session_index(planned, session) else {
                continue;
            };
            // The demo's calendar is fixed (same seed, same demo); once a planned session has
            // ended, registering to it is refused, so it is left without registrations.
            if session.end.as_ref().is_none_or(|end| end.seconds <= now) {
                continue;
            }
            let present: HashSet<String> = self
                .every_page(
                    Service::Activities,
                    (SVC, "ListRegistrations"),
                    &self.activities,
                    |page_token| apb::ListRegistrationsRequest {
                        session_id: session.id.clone(),
                        page_size: 500,
                        page_token,
                    },
                    |mut client, r| async move { client.list_registrations(r).await },
                    |r| (r.registrations, r.next_page_token),
                )
                .await?
                .into_iter()
                .map(|r| r.email)
                .collect();
            for r in planned.registrations.iter().filter(|r| r.session == index) {
                if present.contains(&r.email) {
                    self.report.registrations.found();
                    continue;
                }
                let span = self.span(Service::Activities, SVC, "Register");
                let message = apb::RegisterRequest {
                    session_id: session.id.clone(),
                    name: r.name.clone(),
                    email: r.email.clone(),
                    organisation_id: r.organisation.map(|i| partners[i].clone()).unwrap_or_default(),
                    public: r.public,
                    sex: r.sex,
                    age_band: r.age_band,
                    consent: true,
                };
                call(
                    Service::Activities,
                    &url,
                    t,
                    &span,
                    self.activities.register(request(message, t)),
                )
                .await?;
                self.report.registrations.created();
            }
        }
        Ok(())
    }

    async fn complete(&mut self, planned: &DemoActivity, activity: &apb::Activity) -> Result<(), Failure> {
        let (url, t) = (self.global.activities_url.clone(), self.global.timeout);
        let now = Utc::now().timestamp();
        if activity
            .sessions
            .iter()
            .any(|s| s.end.as_ref().is_none_or(|e| e.seconds > now))
        {
            self.report.not_yet_completable.push(planned.title.clone());
            return Ok(());
        }
        let entered = activity
            .sessions
            .iter()
            .filter_map(|s| {
                let counts = planned.outcomes.get(Self::session_index(planned, s)?)?;
                Some(apb::SessionOutcome {
                    session_id: s.id.clone(),
                    counts: Some(apb::OutcomeCounts {
                        total: counts.total,
                        female: counts.female,
                        male: counts.male,
                        sex_not_given: counts.sex_not_given,
                        under_26: counts.under_26,
                        age_26_49: counts.age_26_49,
                        age_50_and_over: counts.age_50_plus,
                        age_not_given: counts.age_not_given,
                        by_public: counts
                            .by_public
                            .iter()
                            .map(|(public, count)| apb::PublicCount {
                                public: *public,
                                count: *count,
                            })
                            .collect(),
                    }),
                })
            })
            .collect();
        let span = self.span(Service::Activities, "ess.activities.v1.Activities", "CompleteActivity");
        let message = apb::CompleteActivityRequest {
            id: activity.id.clone(),
            entered,
        };
        call(
            Service::Activities,
            &url,
            t,
            &span,
            self.activities.complete_activity(request(message, t)),
        )
        .await?;
        self.report.completed.created();
        Ok(())
    }

    async fn practices(&mut self, plan: &DemoPlan, partners: &[String], activities: &[String]) -> Result<(), Failure> {
        let (url, t) = (self.global.activities_url.clone(), self.global.timeout);
        const SVC: &str = "ess.activities.v1.Activities";
        let existing = self
            .every_page(
                Service::Activities,
                (SVC, "ListPractices"),
                &self.activities,
                |page_token| apb::ListPracticesRequest {
                    published_only: false,
                    page_size: 500,
                    page_token,
                },
                |mut client, r| async move { client.list_practices(r).await },
                |r| (r.practices, r.next_page_token),
            )
            .await?;
        for p in &plan.practices {
            let practice = match existing.iter().find(|x| x.title == p.title) {
                Some(found) => {
                    self.report.practices.found();
                    found.clone()
                }
                None => {
                    let span = self.span(Service::Activities, SVC, "CreatePractice");
                    let message = apb::CreatePracticeRequest {
                        title: p.title.clone(),
                        summary: p.summary.clone(),
                        body: p.body.clone(),
                        activity_ids: p.activities.iter().map(|i| activities[*i].clone()).collect(),
                        partner_ids: p.partners.iter().map(|i| partners[*i].clone()).collect(),
                        axis: p.axis,
                        tags: p.tags.iter().map(|s| (*s).to_owned()).collect(),
                    };
                    let created = call(
                        Service::Activities,
                        &url,
                        t,
                        &span,
                        self.activities.create_practice(request(message, t)),
                    )
                    .await?
                    .practice
                    .ok_or_else(|| bad_answer(Service::Activities, &url, "CreatePractice returned no practice"))?;
                    self.report.practices.created();
                    created
                }
            };
            if p.published && practice.status == apb::PracticeStatus::Draft as i32 {
                let span = self.span(Service::Activities, SVC, "PublishPractice");
                let message = apb::PublishPracticeRequest { id: practice.id };
                call(
                    Service::Activities,
                    &url,
                    t,
                    &span,
                    self.activities.publish_practice(request(message, t)),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn datasets(&mut self, plan: &DemoPlan) -> Result<(), Failure> {
        let (url, t) = (self.global.observatory_url.clone(), self.global.timeout);
        const SVC: &str = "ess.observatory.v1.Observatory";
        let existing = self
            .every_page(
                Service::Observatory,
                (SVC, "ListDatasets"),
                &self.observatory,
                |page_token| opb::ListDatasetsRequest {
                    page_size: 500,
                    page_token,
                },
                |mut client, r| async move { client.list_datasets(r).await },
                |r| (r.datasets, r.next_page_token),
            )
            .await?;
        for d in &plan.datasets {
            if existing.iter().any(|x| x.source == d.source && x.edition == d.edition) {
                self.report.datasets.found();
                continue;
            }
            let messages = vec![
                ImportDatasetRequest {
                    part: Some(Part::Header(DatasetHeader {
                        source: d.source.to_owned(),
                        edition: d.edition.to_owned(),
                        size_bytes: i64::try_from(d.csv.len()).unwrap_or(0),
                    })),
                },
                ImportDatasetRequest {
                    part: Some(Part::Chunk(d.csv.as_bytes().to_vec())),
                },
            ];
            let span = self.span(Service::Observatory, SVC, "ImportDataset");
            let mut answers = call(
                Service::Observatory,
                &url,
                t,
                &span,
                self.observatory
                    .import_dataset(request(tokio_stream::iter(messages), t)),
            )
            .await?;
            let mut reported = false;
            loop {
                match tokio::time::timeout(t, answers.message()).await {
                    Err(_) => return Err(Failure::timed_out(Service::Observatory, &url, t)),
                    Ok(Err(status)) => {
                        return Err(Failure::Rpc {
                            service: Service::Observatory,
                            url,
                            status,
                        });
                    }
                    Ok(Ok(None)) => break,
                    Ok(Ok(Some(answer))) => {
                        if matches!(answer.event, Some(Event::Report(_))) {
                            reported = true;
                        }
                    }
                }
            }
            if !reported {
                return Err(bad_answer(
                    Service::Observatory,
                    &url,
                    "ImportDataset ended without its report",
                ));
            }
            self.report.datasets.created();
        }
        Ok(())
    }

    async fn actions(&mut self, plan: &DemoPlan) -> Result<(), Failure> {
        let (url, t) = (self.global.observatory_url.clone(), self.global.timeout);
        const SVC: &str = "ess.observatory.v1.ActionPlan";
        let existing = self
            .every_page(
                Service::Observatory,
                (SVC, "ListActions"),
                &self.action_plan,
                |page_token| opb::ListActionsRequest {
                    axis: 0,
                    page_size: 500,
                    page_token,
                },
                |mut client, r| async move { client.list_actions(r).await },
                |r| (r.actions, r.next_page_token),
            )
            .await?;
        for a in &plan.actions {
            if existing.iter().any(|x| x.title == a.title) {
                self.report.actions.found();
                continue;
            }
            let span = self.span(Service::Observatory, SVC, "CreateAction");
            let message = opb::CreateActionRequest {
                axis: a.axis,
                title: a.title.clone(),
                description: a.description.clone(),
                targets: a
                    .targets
                    .iter()
                    .map(|g| opb::Target {
                        indicator: g.indicator,
                        activity_kind: g.activity_kind.to_owned(),
                        public: g.public.to_owned(),
                        stage: String::new(),
                        period_from: g.period_from.to_owned(),
                        period_to: g.period_to.to_owned(),
                        target: g.target,
                        label: String::new(),
                    })
                    .collect(),
            };
            call(
                Service::Observatory,
                &url,
                t,
                &span,
                self.action_plan.create_action(request(message, t)),
            )
            .await?;
            self.report.actions.created();
        }
        Ok(())
    }

    /// Publishes the plan's reports that are not published yet (same kind, period and format).
    async fn reports(&mut self, plan: &DemoPlan) -> Result<(), Failure> {
        let (url, t) = (self.global.observatory_url.clone(), self.global.timeout);
        const SVC: &str = "ess.observatory.v1.Reports";
        let existing = self
            .every_page(
                Service::Observatory,
                (SVC, "ListPublishedReports"),
                &self.reports,
                |page_token| opb::ListPublishedReportsRequest {
                    page_size: 500,
                    page_token,
                },
                |mut client, r| async move { client.list_published_reports(r).await },
                |r| (r.reports, r.next_page_token),
            )
            .await?;
        for r in &plan.reports {
            let year_start = format!("{}-01-01", r.year);
            if existing
                .iter()
                .any(|x| x.kind == r.kind && x.format == r.format && x.period_from == year_start)
            {
                self.report.reports.found();
                continue;
            }
            let span = self.span(Service::Observatory, SVC, "PublishReport");
            let message = opb::RenderReportRequest {
                kind: r.kind,
                year: r.year,
                from: String::new(),
                to: String::new(),
                format: r.format,
            };
            call(
                Service::Observatory,
                &url,
                t,
                &span,
                self.reports.publish_report(request(message, t)),
            )
            .await?;
            self.report.reports.created();
        }
        Ok(())
    }
}

fn bad_answer(service: Service, url: &str, what: &str) -> Failure {
    Failure::BadAnswer {
        service,
        url: url.to_owned(),
        what: what.to_owned(),
    }
}

fn render_report(report: &SeedReport, output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return render::json(report);
    }
    let rows: Vec<Vec<String>> = [
        ("partenaires", &report.partners),
        ("adhésions CRESS", &report.memberships),
        ("affiliations à un réseau", &report.affiliations),
        ("PTCE", &report.ptces),
        ("membres de PTCE", &report.ptce_members),
        ("initiatives", &report.initiatives),
        ("changements d'étape", &report.stage_changes),
        ("activités", &report.activities),
        ("activités terminées (bilan saisi)", &report.completed),
        ("inscriptions", &report.registrations),
        ("fiches bonnes pratiques", &report.practices),
        ("jeux de données (URSSAF synthétiques)", &report.datasets),
        ("actions du plan de la convention", &report.actions),
        ("rapports publiés", &report.reports),
    ]
    .iter()
    .map(|(name, c)| vec![(*name).to_owned(), c.total.to_string(), c.created.to_string()])
    .collect();
    let mut out = format!(
        "Démo synthétique (seed {}) : données fictives, libellées « {} ».\n",
        report.seed,
        seed_data::DEMO
    );
    out.push_str(&render::column_table(
        &["DONNÉES", "TOTAL", "CRÉÉES"],
        &rows,
        &[Align::Left, Align::Right, Align::Right],
    ));
    for title in &report.not_yet_completable {
        out.push_str(&format!(
            "pas encore terminée (ses séances ne sont pas finies) : {title}\n"
        ));
    }
    Ok(out)
}
