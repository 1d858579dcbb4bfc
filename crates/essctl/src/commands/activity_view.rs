//! Views of the activities service's answers (serde, for `--output json`) and their tables.
//! Enum values print as their lowercase keys (`evenement`, `grand_public`), the same words the
//! command line takes.

use ess_proto::activities::v1 as pb;
use serde::Serialize;

use crate::{
    cli::Output,
    failure::Failure,
    render::{Align, column_table, key_value_table},
};

/// An enum's proto name without its prefix, lowercased: `ACTIVITY_KIND_EVENEMENT` → `evenement`.
fn key(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix).to_lowercase()
}

fn kind_key(v: i32) -> String {
    pb::ActivityKind::try_from(v)
        .map(|k| key(k.as_str_name(), "ACTIVITY_KIND_"))
        .unwrap_or_else(|_| v.to_string())
}

fn public_key(v: i32) -> String {
    pb::Public::try_from(v)
        .map(|k| key(k.as_str_name(), "PUBLIC_"))
        .unwrap_or_else(|_| v.to_string())
}

fn status_key(v: i32) -> String {
    pb::ActivityStatus::try_from(v)
        .map(|k| key(k.as_str_name(), "ACTIVITY_STATUS_"))
        .unwrap_or_else(|_| v.to_string())
}

fn registration_status_key(v: i32) -> String {
    pb::RegistrationStatus::try_from(v)
        .map(|k| key(k.as_str_name(), "REGISTRATION_STATUS_"))
        .unwrap_or_else(|_| v.to_string())
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn json<T: Serialize>(value: &T) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Local(anyhow::Error::new(e).context("encoding the answer as JSON")))?;
    text.push('\n');
    Ok(text)
}

#[derive(Debug, Serialize)]
pub struct ActivityView {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub kind: String,
    pub axes: Vec<i32>,
    pub publics: Vec<String>,
    pub organisers: Vec<OrganiserView>,
    pub campaign: Option<String>,
    pub online: bool,
    pub commune_code: Option<String>,
    pub address: Option<String>,
    pub departement_code: Option<String>,
    pub sessions: Vec<SessionView>,
    pub status: String,
    pub version: i64,
    pub flag: Option<String>,
    pub outcome: Option<OutcomeView>,
}

#[derive(Debug, Serialize)]
pub struct OrganiserView {
    pub partner_id: String,
    pub name: Option<String>,
    pub co_organiser: bool,
}

#[derive(Debug, Serialize)]
pub struct SessionView {
    pub id: String,
    /// Europe/Paris, RFC 3339.
    pub start: String,
    pub end: String,
    pub capacity: i32,
    pub registered: i32,
    pub waitlisted: i32,
    pub attended: i32,
}

#[derive(Debug, Serialize)]
pub struct OutcomeView {
    pub total: i32,
    pub female: i32,
    pub male: i32,
    pub sex_not_given: i32,
    pub under_26: i32,
    pub age_26_49: i32,
    pub age_50_and_over: i32,
    pub age_not_given: i32,
    pub by_public: Vec<(String, i32)>,
}

impl From<&pb::Activity> for ActivityView {
    fn from(a: &pb::Activity) -> Self {
        let venue = a.venue.clone().unwrap_or_default();
        Self {
            id: a.id.clone(),
            title: a.title.clone(),
            description: non_empty(&a.description),
            kind: kind_key(a.kind),
            axes: a.axes.clone(),
            publics: a.publics.iter().map(|p| public_key(*p)).collect(),
            organisers: a
                .organisers
                .iter()
                .map(|o| OrganiserView {
                    partner_id: o.partner_id.clone(),
                    name: non_empty(&o.name),
                    co_organiser: o.co_organiser,
                })
                .collect(),
            campaign: non_empty(&a.campaign),
            online: venue.online,
            commune_code: non_empty(&venue.commune_code),
            address: non_empty(&venue.address),
            departement_code: non_empty(&a.departement_code),
            sessions: a
                .sessions
                .iter()
                .map(|s| SessionView {
                    id: s.id.clone(),
                    start: s.start_local.clone(),
                    end: s.end_local.clone(),
                    capacity: s.capacity,
                    registered: s.registered,
                    waitlisted: s.waitlisted,
                    attended: s.attended,
                })
                .collect(),
            status: status_key(a.status),
            version: a.version,
            flag: non_empty(&a.flag),
            outcome: a.outcome.as_ref().map(|o| OutcomeView {
                total: o.total,
                female: o.female,
                male: o.male,
                sex_not_given: o.sex_not_given,
                under_26: o.under_26,
                age_26_49: o.age_26_49,
                age_50_and_over: o.age_50_and_over,
                age_not_given: o.age_not_given,
                by_public: o.by_public.iter().map(|p| (public_key(p.public), p.count)).collect(),
            }),
        }
    }
}

fn organisers_text(v: &ActivityView) -> String {
    v.organisers
        .iter()
        .map(|o| {
            let name = o.name.clone().unwrap_or_else(|| o.partner_id.clone());
            if o.co_organiser { format!("{name} (co)") } else { name }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One activity: key/value lines, then its sessions as a table.
pub fn activity(a: &pb::Activity, output: Output) -> Result<String, Failure> {
    let v = ActivityView::from(a);
    if output == Output::Json {
        return json(&v);
    }
    let venue = if v.online {
        "online".to_owned()
    } else {
        format!(
            "{} ({})",
            v.address.clone().unwrap_or_default(),
            v.commune_code.clone().unwrap_or_default()
        )
    };
    let mut rows = vec![
        ("id", v.id.clone()),
        ("title", v.title.clone()),
        ("kind", v.kind.clone()),
        ("axes", v.axes.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")),
        ("publics", v.publics.join(", ")),
        ("organisers", organisers_text(&v)),
        ("campaign", v.campaign.clone().unwrap_or_else(|| "-".into())),
        ("venue", venue),
        ("status", v.status.clone()),
        ("version", v.version.to_string()),
    ];
    if let Some(flag) = &v.flag {
        rows.push(("flag", flag.clone()));
    }
    if let Some(o) = &v.outcome {
        rows.push((
            "outcome",
            format!(
                "{} attendees (F {}, H {}, n.c. {}; <26 {}, 26-49 {}, 50+ {})",
                o.total, o.female, o.male, o.sex_not_given, o.under_26, o.age_26_49, o.age_50_and_over
            ),
        ));
    }
    let mut text = key_value_table(&rows);
    let sessions: Vec<Vec<String>> = v
        .sessions
        .iter()
        .map(|s| {
            vec![
                s.id.clone(),
                s.start.clone(),
                s.end.clone(),
                s.capacity.to_string(),
                s.registered.to_string(),
                s.waitlisted.to_string(),
                s.attended.to_string(),
            ]
        })
        .collect();
    text.push('\n');
    text.push_str(&column_table(
        &[
            "SESSION",
            "START",
            "END",
            "SEATS",
            "REGISTERED",
            "WAITLISTED",
            "ATTENDED",
        ],
        &sessions,
        &[
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    ));
    Ok(text)
}

/// A list of activities, one line each.
pub fn activities(list: &[pb::Activity], output: Output) -> Result<String, Failure> {
    let views: Vec<ActivityView> = list.iter().map(ActivityView::from).collect();
    if output == Output::Json {
        return json(&views);
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.id.clone(),
                v.sessions.first().map(|s| s.start.clone()).unwrap_or_default(),
                v.title.clone(),
                v.kind.clone(),
                v.departement_code.clone().unwrap_or_else(|| "-".into()),
                v.status.clone(),
                organisers_text(v),
            ]
        })
        .collect();
    Ok(column_table(
        &["ID", "FIRST SESSION", "TITLE", "KIND", "DEP", "STATUS", "ORGANISERS"],
        &rows,
        &[],
    ))
}

#[derive(Debug, Serialize)]
pub struct RegistrationView {
    pub id: String,
    pub activity_id: String,
    pub activity_title: String,
    pub session_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub organisation_id: Option<String>,
    pub public: String,
    pub status: String,
    pub erased: bool,
}

impl From<&pb::Registration> for RegistrationView {
    fn from(r: &pb::Registration) -> Self {
        Self {
            id: r.id.clone(),
            activity_id: r.activity_id.clone(),
            activity_title: r.activity_title.clone(),
            session_id: r.session_id.clone(),
            name: non_empty(&r.name),
            email: non_empty(&r.email),
            organisation_id: non_empty(&r.organisation_id),
            public: public_key(r.public),
            status: registration_status_key(r.status),
            erased: r.erased,
        }
    }
}

/// Registrations, one line each.
pub fn registrations(list: &[pb::Registration], output: Output) -> Result<String, Failure> {
    let views: Vec<RegistrationView> = list.iter().map(RegistrationView::from).collect();
    if output == Output::Json {
        return json(&views);
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.id.clone(),
                v.status.clone(),
                v.name
                    .clone()
                    .unwrap_or_else(|| if v.erased { "(erased)".into() } else { "-".into() }),
                v.email.clone().unwrap_or_else(|| "-".into()),
                v.public.clone(),
                v.activity_title.clone(),
            ]
        })
        .collect();
    Ok(column_table(
        &["ID", "STATUS", "NAME", "EMAIL", "PUBLIC", "ACTIVITY"],
        &rows,
        &[],
    ))
}

/// A registration, and the one promoted from the waitlist if any.
pub fn registration_response(r: pb::RegistrationResponse, output: Output) -> Result<String, Failure> {
    let list: Vec<pb::Registration> = r.registration.into_iter().chain(r.promoted).collect();
    registrations(&list, output)
}

#[derive(Debug, Serialize)]
pub struct PracticeView {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub axis: i32,
    pub tags: Vec<String>,
    pub activity_ids: Vec<String>,
    pub partner_ids: Vec<String>,
    pub status: String,
}

/// Good-practice sheets, one line each.
pub fn practices(list: &[pb::Practice], output: Output) -> Result<String, Failure> {
    let views: Vec<PracticeView> = list
        .iter()
        .map(|p| PracticeView {
            id: p.id.clone(),
            title: p.title.clone(),
            summary: p.summary.clone(),
            axis: p.axis,
            tags: p.tags.clone(),
            activity_ids: p.activity_ids.clone(),
            partner_ids: p.partner_ids.clone(),
            status: pb::PracticeStatus::try_from(p.status)
                .map(|s| key(s.as_str_name(), "PRACTICE_STATUS_"))
                .unwrap_or_default(),
        })
        .collect();
    if output == Output::Json {
        return json(&views);
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.id.clone(),
                v.status.clone(),
                v.axis.to_string(),
                v.title.clone(),
                v.tags.join(", "),
            ]
        })
        .collect();
    Ok(column_table(&["ID", "STATUS", "AXIS", "TITLE", "TAGS"], &rows, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_print_as_lowercase_keys() {
        assert_eq!(kind_key(pb::ActivityKind::Evenement as i32), "evenement");
        assert_eq!(public_key(pb::Public::GrandPublic as i32), "grand_public");
        assert_eq!(status_key(pb::ActivityStatus::Scheduled as i32), "scheduled");
    }
}
