//! Actions of the plan and their targets, parsed and checked at the edge: an axis from 1 to 5, a
//! title, and targets whose indicator comes from a closed list, with the filters that indicator
//! accepts, a period and a value above zero.

use chrono::NaiveDate;
use ess_proto::activities::v1::{ActivityKind, Public};
use platform::grpc::FieldViolation;

use crate::domain::activity::key_label;

/// What a target measures. Activities count when completed (never when cancelled) and their first
/// session starts within the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    ActivitiesCompleted,
    PeopleReached,
    WomenReached,
    MenReached,
    Under26Reached,
    JobSeekersReached,
    PtcesCreated,
    InitiativesReachingStage,
    PartnersInvolved,
    PracticesPublished,
}

impl Indicator {
    pub const ALL: [Indicator; 10] = [
        Indicator::ActivitiesCompleted,
        Indicator::PeopleReached,
        Indicator::WomenReached,
        Indicator::MenReached,
        Indicator::Under26Reached,
        Indicator::JobSeekersReached,
        Indicator::PtcesCreated,
        Indicator::InitiativesReachingStage,
        Indicator::PartnersInvolved,
        Indicator::PracticesPublished,
    ];

    /// Stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Indicator::ActivitiesCompleted => "activities_completed",
            Indicator::PeopleReached => "people_reached",
            Indicator::WomenReached => "women_reached",
            Indicator::MenReached => "men_reached",
            Indicator::Under26Reached => "under_26_reached",
            Indicator::JobSeekersReached => "job_seekers_reached",
            Indicator::PtcesCreated => "ptces_created",
            Indicator::InitiativesReachingStage => "initiatives_reaching_stage",
            Indicator::PartnersInvolved => "partners_involved",
            Indicator::PracticesPublished => "practices_published",
        }
    }

    pub fn from_code(code: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.code() == code)
    }

    /// French label, without filters.
    pub fn label(self) -> &'static str {
        match self {
            Indicator::ActivitiesCompleted => "Actions réalisées",
            Indicator::PeopleReached => "Personnes touchées",
            Indicator::WomenReached => "Femmes touchées",
            Indicator::MenReached => "Hommes touchés",
            Indicator::Under26Reached => "Jeunes de moins de 26 ans touchés",
            Indicator::JobSeekersReached => "Demandeurs d'emploi touchés",
            Indicator::PtcesCreated => "Nouveaux PTCE créés",
            Indicator::InitiativesReachingStage => "Initiatives atteignant l'étape",
            Indicator::PartnersInvolved => "Partenaires impliqués",
            Indicator::PracticesPublished => "Fiches de bonnes pratiques publiées",
        }
    }

    fn accepts_kind(self) -> bool {
        self == Indicator::ActivitiesCompleted
    }

    fn accepts_public(self) -> bool {
        matches!(self, Indicator::ActivitiesCompleted | Indicator::PeopleReached)
    }
}

/// Stages of an initiative, as the registry names them.
pub const STAGES: [&str; 5] = ["idea", "emergence", "launch", "consolidation", "abandoned"];

/// French label of an initiative stage.
pub fn stage_label(stage: &str) -> &str {
    match stage {
        "idea" => "Idée",
        "emergence" => "Émergence",
        "launch" => "Lancement",
        "consolidation" => "Consolidation",
        "abandoned" => "Abandon",
        other => other,
    }
}

/// An inclusive date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The calendar year `year`, if it is a real one.
    pub fn year(year: i32) -> Option<Period> {
        Some(Period {
            from: NaiveDate::from_ymd_opt(year, 1, 1)?,
            to: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }
}

/// A checked target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    pub indicator: Indicator,
    pub activity_kind: Option<String>,
    pub public: Option<String>,
    pub stage: Option<String>,
    pub period: Period,
    pub target: f64,
}

impl TargetSpec {
    /// French label with its filters: "Actions réalisées — Sensibilisation — public Scolaires".
    pub fn label(&self) -> String {
        let mut label = self.indicator.label().to_owned();
        if let Some(stage) = &self.stage {
            label = format!("{label} « {} »", stage_label(stage));
        }
        if let Some(kind) = &self.activity_kind {
            label = format!("{label} — {}", key_label(kind));
        }
        if let Some(public) = &self.public {
            label = format!("{label} — public {}", key_label(public));
        }
        label
    }
}

/// A target as it arrives (the proto's fields), before checking.
#[derive(Debug, Clone, Default)]
pub struct RawTarget {
    pub indicator: Option<Indicator>,
    pub activity_kind: String,
    pub public: String,
    pub stage: String,
    pub period_from: String,
    pub period_to: String,
    pub target: f64,
}

/// A checked action (its targets in order).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionSpec {
    pub axis: i32,
    pub title: String,
    pub description: String,
    pub targets: Vec<TargetSpec>,
}

/// Most targets an action may carry (a typo guard).
pub const MAX_TARGETS: usize = 50;

fn date(raw: &str, field: &str, v: &mut Vec<FieldViolation>) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            v.push(FieldViolation::new(field, "must be a date YYYY-MM-DD"));
            None
        }
    }
}

fn option(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_uppercase())
}

/// Checks one target; violations name `targets[i].<field>`.
fn target(i: usize, raw: &RawTarget, v: &mut Vec<FieldViolation>) -> Option<TargetSpec> {
    let field = |name: &str| format!("targets[{i}].{name}");
    let before = v.len();
    let indicator = raw.indicator;
    if indicator.is_none() {
        v.push(FieldViolation::new(
            field("indicator"),
            "must be one of the listed indicators",
        ));
    }
    let kind = option(&raw.activity_kind);
    if let Some(k) = &kind {
        if ActivityKind::from_str_name(&format!("ACTIVITY_KIND_{k}")).is_none() || k == "UNSPECIFIED" {
            v.push(FieldViolation::new(field("activity_kind"), "unknown activity kind"));
        } else if indicator.is_some_and(|i| !i.accepts_kind()) {
            v.push(FieldViolation::new(
                field("activity_kind"),
                "only the completed-activities indicator filters by kind",
            ));
        }
    }
    let public = option(&raw.public);
    if let Some(p) = &public {
        if Public::from_str_name(&format!("PUBLIC_{p}")).is_none() || p == "UNSPECIFIED" {
            v.push(FieldViolation::new(field("public"), "unknown public"));
        } else if indicator.is_some_and(|i| !i.accepts_public()) {
            v.push(FieldViolation::new(
                field("public"),
                "only the completed-activities and people-reached indicators filter by public",
            ));
        }
    }
    let stage = Some(raw.stage.trim().to_lowercase()).filter(|s| !s.is_empty());
    match (&stage, indicator) {
        (Some(s), _) if !STAGES.contains(&s.as_str()) => {
            v.push(FieldViolation::new(
                field("stage"),
                format!("must be one of {}", STAGES.join(", ")),
            ));
        }
        (None, Some(Indicator::InitiativesReachingStage)) => {
            v.push(FieldViolation::new(field("stage"), "required by this indicator"));
        }
        (Some(_), Some(i)) if i != Indicator::InitiativesReachingStage => {
            v.push(FieldViolation::new(
                field("stage"),
                "only the initiatives indicator takes a stage",
            ));
        }
        _ => {}
    }
    let from = date(&raw.period_from, &field("period_from"), v);
    let to = date(&raw.period_to, &field("period_to"), v);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        v.push(FieldViolation::new(
            field("period_to"),
            "must not be before period_from",
        ));
    }
    if !(raw.target.is_finite() && raw.target > 0.0 && raw.target < 1e12) {
        v.push(FieldViolation::new(field("target"), "must be a number above zero"));
    }
    if v.len() != before {
        return None;
    }
    Some(TargetSpec {
        indicator: indicator?,
        activity_kind: kind,
        public,
        stage,
        period: Period { from: from?, to: to? },
        target: raw.target,
    })
}

/// Checks an action; every violation is reported at once.
pub fn action(
    axis: i32,
    title: &str,
    description: &str,
    targets: &[RawTarget],
) -> Result<ActionSpec, Vec<FieldViolation>> {
    let mut v = Vec::new();
    if !(1..=5).contains(&axis) {
        v.push(FieldViolation::new("axis", "must be an axis of the agreement, 1 to 5"));
    }
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 300 {
        v.push(FieldViolation::new("title", "must be 1 to 300 characters"));
    }
    if description.chars().count() > 5000 {
        v.push(FieldViolation::new("description", "must be at most 5000 characters"));
    }
    if targets.len() > MAX_TARGETS {
        v.push(FieldViolation::new("targets", format!("at most {MAX_TARGETS} targets")));
    }
    let checked: Vec<Option<TargetSpec>> = targets.iter().enumerate().map(|(i, t)| target(i, t, &mut v)).collect();
    if !v.is_empty() {
        return Err(v);
    }
    Ok(ActionSpec {
        axis,
        title: title.to_owned(),
        description: description.trim().to_owned(),
        targets: checked.into_iter().flatten().collect(),
    })
}

/// Achieved as a percentage of the target, one decimal.
pub fn percent(achieved: f64, target: f64) -> f64 {
    if target <= 0.0 {
        return 0.0;
    }
    (achieved / target * 1000.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(indicator: Indicator) -> RawTarget {
        RawTarget {
            indicator: Some(indicator),
            period_from: "2026-01-01".into(),
            period_to: "2026-12-31".into(),
            target: 40.0,
            ..RawTarget::default()
        }
    }

    #[test]
    fn a_good_action_parses_and_labels_its_targets() {
        let a = action(
            4,
            " Sensibiliser les scolaires ",
            "",
            &[RawTarget {
                activity_kind: "sensibilisation".into(),
                public: "SCOLAIRES".into(),
                ..raw(Indicator::ActivitiesCompleted)
            }],
        )
        .expect("valid");
        assert_eq!(a.title, "Sensibiliser les scolaires");
        assert_eq!(
            a.targets[0].label(),
            "Actions réalisées — Sensibilisation — public Scolaires"
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = RawTarget {
            period_to: "2025-01-01".into(),
            target: 0.0,
            public: "MARTIENS".into(),
            ..raw(Indicator::PtcesCreated)
        };
        let v = action(9, "", "", &[bad, raw(Indicator::InitiativesReachingStage)]).expect_err("invalid");
        let fields: Vec<&str> = v.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "axis",
                "title",
                "targets[0].public",
                "targets[0].period_to",
                "targets[0].target",
                "targets[1].stage"
            ]
        );
    }

    #[test]
    fn percent_has_one_decimal() {
        assert_eq!(percent(1.0, 3.0), 33.3);
        assert_eq!(percent(45.0, 40.0), 112.5);
    }
}
