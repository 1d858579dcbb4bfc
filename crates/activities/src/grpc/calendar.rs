//! The iCalendar (RFC 5545) feed of a campaign or a département: one VEVENT per session of the
//! scheduled and completed activities (cancelled ones are left out), times in UTC so that no
//! VTIMEZONE is needed, French labels in the description and categories.

use anyhow::Context as _;
use chrono::Utc;
use ess_proto::activities::v1 as pb;
use icalendar::{Calendar, Component as _, Event, EventLike as _, EventStatus};
use platform::paging;

use super::{ActivitiesService, ApiError};
use crate::{
    domain::{
        Violations,
        activity::{Activity, Status, Venue},
    },
    store::activities as store,
};

/// Product identifier of the feed (RFC 5545 PRODID).
const PRODID: &str = "-//CRESS Basse-Normandie//Activites ESS//FR";

impl ActivitiesService {
    #[tracing::instrument(name = "activities.calendar.get", skip_all)]
    pub(super) async fn get_calendar(&self, req: pb::GetCalendarRequest) -> Result<String, ApiError> {
        let campaign = req.campaign.trim();
        let departement = req.departement_code.trim();
        if campaign.is_empty() && departement.is_empty() {
            let mut v = Violations::default();
            v.push("campaign", "a campaign or a departement_code is required");
            return Err(ApiError::invalid(v));
        }
        let filter = store::Filter {
            campaign: (!campaign.is_empty()).then(|| campaign.to_owned()),
            departement: (!departement.is_empty()).then(|| departement.to_owned()),
            statuses: vec![Status::Scheduled, Status::Completed],
            ..store::Filter::default()
        };
        let mut conn = self.pool.acquire().await.context("acquire get_calendar")?;
        // Every page: a calendar holds the whole campaign or departement.
        let mut activities = Vec::new();
        let mut after = None;
        loop {
            let page = store::list(&mut conn, &filter, after, paging::MAX_PAGE_SIZE).await?;
            let full = page.len() as i64 == paging::MAX_PAGE_SIZE;
            after = page
                .last()
                .and_then(|a| Some((a.sessions.iter().map(|s| s.start).min()?, a.id)));
            activities.extend(page);
            if !full || after.is_none() {
                break;
            }
        }
        let name = if campaign.is_empty() {
            format!("Activités ESS — département {departement}")
        } else {
            format!("Activités ESS — {campaign}")
        };
        Ok(render(&name, &activities))
    }
}

/// Renders the feed; pure, so the tests can parse its output.
pub fn render(name: &str, activities: &[Activity]) -> String {
    let mut cal = Calendar::empty();
    cal.append_property(("VERSION", "2.0"));
    cal.append_property(("PRODID", PRODID));
    cal.append_property(("CALSCALE", "GREGORIAN"));
    cal.append_property(("METHOD", "PUBLISH"));
    cal.name(name);
    let now = Utc::now();
    for a in activities {
        let f = &a.fields;
        let axes: Vec<String> = f.axes.iter().map(|x| x.label()).collect();
        let publics: Vec<&str> = f.publics.iter().map(|p| p.label()).collect();
        let mut description = format!("{}\nType : {}\nAxes : {}", f.title, f.kind.label(), axes.join(", "));
        if !publics.is_empty() {
            description.push_str(&format!("\nPublics : {}", publics.join(", ")));
        }
        if let Some(c) = &f.campaign {
            description.push_str(&format!("\nCampagne : {c}"));
        }
        if !f.description.is_empty() {
            description.push_str(&format!("\n\n{}", f.description));
        }
        let location = match &f.venue {
            Venue::Online => "En ligne".to_owned(),
            Venue::Place { commune, address } => format!("{address} ({})", commune.as_str()),
        };
        let count = a.sessions.len();
        for (i, s) in a.sessions.iter().enumerate() {
            let summary = if count > 1 {
                format!("{} (séance {}/{count})", f.title, i + 1)
            } else {
                f.title.clone()
            };
            let mut event = Event::new();
            event
                .uid(&format!("{}@activites.ess-basse-normandie.fr", s.id))
                .timestamp(now)
                .summary(&summary)
                .description(&description)
                .location(&location)
                .starts(s.start)
                .ends(s.end)
                .status(EventStatus::Confirmed)
                .add_property("CATEGORIES", f.kind.label());
            cal.push(event.done());
        }
    }
    cal.done().to_string()
}
