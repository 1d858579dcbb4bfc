//! `essctl activity …` and `essctl practice …`: calls to the activities service. Each command
//! runs in a root client span carrying ids only (never a registrant's name or email), and prints
//! a table or JSON built from the views in [`super::activity_view`].

use chrono::NaiveDateTime;
use chrono_tz::Europe::Paris;
use ess_proto::activities::v1::{self as pb, activities_client::ActivitiesClient};
use tracing::{Span, field::Empty};

use super::{
    Transport,
    activity_cli::{ActivityCommand, ActivityFieldsArgs, AgeBandArg, KindArg, PracticeCommand, PublicArg, SexArg},
    activity_view as view, call, paging, request, transport,
};
use crate::{
    cli::GlobalArgs,
    failure::{Failure, Service},
};

type Client = ActivitiesClient<Transport>;

fn client(global: &GlobalArgs) -> Result<Client, Failure> {
    Ok(ActivitiesClient::new(transport(
        Service::Activities,
        &global.activities_url,
        global.timeout,
        global.bearer()?,
    )?))
}

/// The command's root span, named after the RPC it makes.
fn span(global: &GlobalArgs, method: &'static str) -> Span {
    tracing::info_span!(
        parent: None,
        "essctl activity",
        otel.name = %format!("essctl {method}"),
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.activities.v1.Activities",
        rpc.method = method,
        rpc.grpc.status_code = Empty,
        server.address = %global.activities_url,
    )
}

fn usage(what: impl std::fmt::Display) -> Failure {
    Failure::Local(anyhow::anyhow!("{what}"))
}

/// A Europe/Paris local time (`2026-11-12T09:00` or with seconds) as an instant. A time that
/// does not exist (spring forward) is refused; an ambiguous one (fall back) takes the first.
pub fn paris_time(raw: &str) -> Result<prost_types::Timestamp, Failure> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| usage(format!("{raw:?} is not a date-time like 2026-11-12T09:00")))?;
    let local = naive
        .and_local_timezone(Paris)
        .earliest()
        .ok_or_else(|| usage(format!("{raw:?} does not exist in Europe/Paris (clocks change)")))?;
    Ok(prost_types::Timestamp {
        seconds: local.timestamp(),
        nanos: 0,
    })
}

/// `START/END/CAPACITY`.
pub fn parse_session(raw: &str) -> Result<pb::NewSession, Failure> {
    let parts: Vec<&str> = raw.split('/').collect();
    let [start, end, capacity] = parts[..] else {
        return Err(usage(format!("{raw:?} is not START/END/CAPACITY")));
    };
    Ok(pb::NewSession {
        start: Some(paris_time(start)?),
        end: Some(paris_time(end)?),
        capacity: capacity
            .trim()
            .parse()
            .map_err(|_| usage(format!("capacity {capacity:?} is not a number")))?,
    })
}

pub fn kind(k: KindArg) -> pb::ActivityKind {
    match k {
        KindArg::Sensibilisation => pb::ActivityKind::Sensibilisation,
        KindArg::Evenement => pb::ActivityKind::Evenement,
        KindArg::Formation => pb::ActivityKind::Formation,
        KindArg::Atelier => pb::ActivityKind::Atelier,
        KindArg::ReunionInstance => pb::ActivityKind::ReunionInstance,
        KindArg::VisiteEntreprise => pb::ActivityKind::VisiteEntreprise,
        KindArg::AccompagnementCollectif => pb::ActivityKind::AccompagnementCollectif,
        KindArg::Other => pb::ActivityKind::Other,
    }
}

pub fn public(p: PublicArg) -> pb::Public {
    match p {
        PublicArg::Scolaires => pb::Public::Scolaires,
        PublicArg::Etudiants => pb::Public::Etudiants,
        PublicArg::DemandeursEmploi => pb::Public::DemandeursEmploi,
        PublicArg::Salaries => pb::Public::Salaries,
        PublicArg::PorteursProjet => pb::Public::PorteursProjet,
        PublicArg::StructuresAccompagnement => pb::Public::StructuresAccompagnement,
        PublicArg::ElusCollectivites => pb::Public::ElusCollectivites,
        PublicArg::EmployeursEss => pb::Public::EmployeursEss,
        PublicArg::GrandPublic => pb::Public::GrandPublic,
    }
}

fn public_key(raw: &str) -> Result<pb::Public, Failure> {
    use clap::ValueEnum as _;
    PublicArg::from_str(raw, true)
        .map(public)
        .map_err(|_| usage(format!("{raw:?} is not a public (scolaires, etudiants, ...)")))
}

fn fields(f: &ActivityFieldsArgs) -> pb::ActivityFields {
    pb::ActivityFields {
        title: f.title.clone(),
        description: f.description.clone(),
        kind: kind(f.kind) as i32,
        axes: f.axes.clone(),
        publics: f.publics.iter().map(|p| public(*p) as i32).collect(),
        campaign: f.campaign.clone(),
        venue: Some(pb::Venue {
            online: f.online,
            commune_code: f.commune.clone().unwrap_or_default(),
            address: f.address.clone().unwrap_or_default(),
        }),
    }
}

fn activity(a: Option<pb::Activity>, global: &GlobalArgs) -> Result<pb::Activity, Failure> {
    a.ok_or_else(|| Failure::BadAnswer {
        service: Service::Activities,
        url: global.activities_url.clone(),
        what: "the answer holds no activity".to_owned(),
    })
}

/// Runs one `essctl activity` command; returns what to print.
pub async fn run(global: &GlobalArgs, command: &ActivityCommand) -> Result<String, Failure> {
    let (url, t, out) = (global.activities_url.as_str(), global.timeout, global.output);
    let mut c = client(global)?;
    let s = Service::Activities;
    match command {
        ActivityCommand::Create(args) => {
            let sessions = args
                .sessions
                .iter()
                .map(|s| parse_session(s))
                .collect::<Result<_, _>>()?;
            let message = pb::CreateActivityRequest {
                activity: Some(fields(&args.fields)),
                organiser_ids: args.organisers.clone(),
                co_organiser_ids: args.co_organisers.clone(),
                sessions,
            };
            let span = span(global, "CreateActivity");
            let r = call(s, url, t, &span, c.create_activity(request(message, t))).await?;
            view::activity(&activity(r.activity, global)?, out)
        }
        ActivityCommand::Get(id) => {
            let span = span(global, "GetActivity");
            let message = pb::GetActivityRequest { id: id.id.clone() };
            let r = call(s, url, t, &span, c.get_activity(request(message, t))).await?;
            view::activity(&activity(r.activity, global)?, out)
        }
        ActivityCommand::Update(args) => {
            let span = span(global, "UpdateActivity");
            let message = pb::UpdateActivityRequest {
                id: args.id.clone(),
                expected_version: args.expected_version,
                activity: Some(fields(&args.fields)),
            };
            let r = call(s, url, t, &span, c.update_activity(request(message, t))).await?;
            view::activity(&activity(r.activity, global)?, out)
        }
        ActivityCommand::Schedule(id) => {
            let span = span(global, "ScheduleActivity");
            let message = pb::ActivityTransitionRequest { id: id.id.clone() };
            let r = call(s, url, t, &span, c.schedule_activity(request(message, t))).await?;
            view::activity(&activity(r.activity, global)?, out)
        }
        ActivityCommand::Cancel(id) => {
            let span = span(global, "CancelActivity");
            let message = pb::ActivityTransitionRequest { id: id.id.clone() };
            let r = call(s, url, t, &span, c.cancel_activity(request(message, t))).await?;
            view::activity(&activity(r.activity, global)?, out)
        }
        ActivityCommand::Complete(args) => {
            let mut entered = Vec::new();
            if let Some(session) = &args.session {
                let by_public = args
                    .public_counts
                    .iter()
                    .map(|pc| {
                        let (p, n) = pc
                            .split_once('=')
                            .ok_or_else(|| usage(format!("{pc:?} is not PUBLIC=COUNT")))?;
                        Ok(pb::PublicCount {
                            public: public_key(p)? as i32,
                            count: n.parse().map_err(|_| usage(format!("{n:?} is not a count")))?,
                        })
                    })
                    .collect::<Result<_, Failure>>()?;
                entered.push(pb::SessionOutcome {
                    session_id: session.clone(),
                    counts: Some(pb::OutcomeCounts {
                        total: args.total,
                        female: args.female,
                        male: args.male,
                        sex_not_given: args.sex_not_given,
                        under_26: args.under_26,
                        age_26_49: args.age_26_49,
                        age_50_and_over: args.age_50_plus,
                        age_not_given: args.age_not_given,
                        by_public,
                    }),
                });
            }
            let span = span(global, "CompleteActivity");
            let message = pb::CompleteActivityRequest {
                id: args.id.clone(),
                entered,
            };
            let r = call(s, url, t, &span, c.complete_activity(request(message, t))).await?;
            view::activity(&activity(r.activity, global)?, out)
        }
        ActivityCommand::List(args) => {
            let filter = pb::ListActivitiesRequest {
                from: args.from.as_deref().map(paris_time).transpose()?,
                to: args.to.as_deref().map(paris_time).transpose()?,
                axis: args.axis.unwrap_or(0),
                kind: args.kind.map(|k| kind(k) as i32).unwrap_or(0),
                public: args.public.map(|p| public(p) as i32).unwrap_or(0),
                departement_code: args.departement.clone().unwrap_or_default(),
                campaign: args.campaign.clone().unwrap_or_default(),
                organiser_id: args.organiser.clone().unwrap_or_default(),
                page_size: args.page.page_size,
                ..Default::default()
            };
            let span = span(global, "ListActivities");
            let (rows, next) = paging::fetch(&args.page, |page_token| {
                let (mut c, span) = (c.clone(), span.clone());
                let message = pb::ListActivitiesRequest {
                    page_token,
                    ..filter.clone()
                };
                async move {
                    let r = call(s, url, t, &span, c.list_activities(request(message, t))).await?;
                    Ok((r.activities, r.next_page_token))
                }
            })
            .await?;
            Ok(paging::with_next(view::activities(&rows, out)?, &next, out))
        }
        ActivityCommand::Calendar(args) => {
            let message = pb::GetCalendarRequest {
                campaign: args.campaign.clone().unwrap_or_default(),
                departement_code: args.departement.clone().unwrap_or_default(),
            };
            let span = span(global, "GetCalendar");
            let r = call(s, url, t, &span, c.get_calendar(request(message, t))).await?;
            Ok(r.ics)
        }
        ActivityCommand::Register(args) => {
            let message = pb::RegisterRequest {
                session_id: args.session.clone(),
                name: args.name.clone(),
                email: args.email.clone(),
                organisation_id: args.organisation.clone().unwrap_or_default(),
                public: public(args.public) as i32,
                sex: match args.sex {
                    None => pb::Sex::NotGiven,
                    Some(SexArg::F) => pb::Sex::F,
                    Some(SexArg::H) => pb::Sex::H,
                } as i32,
                age_band: match args.age_band {
                    None => pb::AgeBand::NotGiven,
                    Some(AgeBandArg::Under26) => pb::AgeBand::Under26,
                    Some(AgeBandArg::From26To49) => pb::AgeBand::From26To49,
                    Some(AgeBandArg::From50) => pb::AgeBand::From50,
                } as i32,
                consent: args.consent,
            };
            let span = span(global, "Register");
            let r = call(s, url, t, &span, c.register(request(message, t))).await?;
            view::registration_response(r, out)
        }
        ActivityCommand::CancelRegistration(id) => {
            let span = span(global, "CancelRegistration");
            let message = pb::RegistrationIdRequest { id: id.id.clone() };
            let r = call(s, url, t, &span, c.cancel_registration(request(message, t))).await?;
            view::registration_response(r, out)
        }
        ActivityCommand::CheckIn(args) => {
            let message = pb::RecordAttendanceRequest {
                session_id: args.session.clone(),
                registration_ids: args.registrations.clone(),
                attended: !args.no_show,
            };
            let span = span(global, "RecordAttendance");
            let r = call(s, url, t, &span, c.record_attendance(request(message, t))).await?;
            view::registrations(&r.registrations, out)
        }
        ActivityCommand::Registrations(args) => {
            let span = span(global, "ListRegistrations");
            let (rows, next) = paging::fetch(&args.page, |page_token| {
                let (mut c, span) = (c.clone(), span.clone());
                let message = pb::ListRegistrationsRequest {
                    session_id: args.id.clone(),
                    page_size: args.page.page_size,
                    page_token,
                };
                async move {
                    let r = call(s, url, t, &span, c.list_registrations(request(message, t))).await?;
                    Ok((r.registrations, r.next_page_token))
                }
            })
            .await?;
            Ok(paging::with_next(view::registrations(&rows, out)?, &next, out))
        }
        ActivityCommand::Erase(id) => {
            let span = span(global, "EraseRegistrant");
            let message = pb::RegistrationIdRequest { id: id.id.clone() };
            let r = call(s, url, t, &span, c.erase_registrant(request(message, t))).await?;
            view::registration_response(r, out)
        }
        ActivityCommand::Participation(args) => {
            let span = span(global, "ListPartnerParticipation");
            let (rows, next) = paging::fetch(&args.page, |page_token| {
                let (mut c, span) = (c.clone(), span.clone());
                let message = pb::ListPartnerParticipationRequest {
                    partner_id: args.id.clone(),
                    page_size: args.page.page_size,
                    page_token,
                };
                async move {
                    let r = call(s, url, t, &span, c.list_partner_participation(request(message, t))).await?;
                    Ok((r.registrations, r.next_page_token))
                }
            })
            .await?;
            Ok(paging::with_next(view::registrations(&rows, out)?, &next, out))
        }
        ActivityCommand::KnownPartners(page) => {
            let span = span(global, "ListKnownPartners");
            let (rows, next) = paging::fetch(page, |page_token| {
                let (mut c, span) = (c.clone(), span.clone());
                let message = pb::ListKnownPartnersRequest {
                    page_size: page.page_size,
                    page_token,
                };
                async move {
                    let r = call(s, url, t, &span, c.list_known_partners(request(message, t))).await?;
                    Ok((r.partners, r.next_page_token))
                }
            })
            .await?;
            Ok(paging::with_next(
                super::ops_view::known_partners(&rows, out)?,
                &next,
                out,
            ))
        }
    }
}

/// Runs one `essctl practice` command; returns what to print.
pub async fn run_practice(global: &GlobalArgs, command: &PracticeCommand) -> Result<String, Failure> {
    let (url, t, out) = (global.activities_url.as_str(), global.timeout, global.output);
    let mut c = client(global)?;
    let s = Service::Activities;
    let (practices, next) = match command {
        PracticeCommand::Create(args) => {
            let message = pb::CreatePracticeRequest {
                title: args.title.clone(),
                summary: args.summary.clone(),
                body: args.body.clone(),
                activity_ids: args.activities.clone(),
                partner_ids: args.partners.clone(),
                axis: args.axis,
                tags: args.tags.clone(),
            };
            let span = span(global, "CreatePractice");
            let r = call(s, url, t, &span, c.create_practice(request(message, t))).await?;
            (r.practice.into_iter().collect(), String::new())
        }
        PracticeCommand::Publish(id) => {
            let span = span(global, "PublishPractice");
            let message = pb::PublishPracticeRequest { id: id.id.clone() };
            let r = call(s, url, t, &span, c.publish_practice(request(message, t))).await?;
            (r.practice.into_iter().collect(), String::new())
        }
        PracticeCommand::List(args) => {
            let span = span(global, "ListPractices");
            paging::fetch(&args.page, |page_token| {
                let (mut c, span) = (c.clone(), span.clone());
                let message = pb::ListPracticesRequest {
                    published_only: args.published,
                    page_size: args.page.page_size,
                    page_token,
                };
                async move {
                    let r = call(s, url, t, &span, c.list_practices(request(message, t))).await?;
                    Ok((r.practices, r.next_page_token))
                }
            })
            .await?
        }
    };
    Ok(paging::with_next(view::practices(&practices, out)?, &next, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paris_times_follow_daylight_saving() {
        // 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer.
        assert_eq!(paris_time("2026-11-12T09:00").unwrap().seconds % 86_400, 8 * 3600);
        assert_eq!(paris_time("2026-06-12T09:00:00").unwrap().seconds % 86_400, 7 * 3600);
        assert!(paris_time("2026-03-29T02:30").is_err(), "does not exist");
        assert!(paris_time("12/11/2026").is_err());
    }

    #[test]
    fn sessions_are_start_end_capacity() {
        let s = parse_session("2026-11-12T09:00/2026-11-12T11:00/30").unwrap();
        assert_eq!(s.capacity, 30);
        assert_eq!(s.end.unwrap().seconds - s.start.unwrap().seconds, 7200);
        assert!(parse_session("2026-11-12T09:00/30").is_err());
    }
}
