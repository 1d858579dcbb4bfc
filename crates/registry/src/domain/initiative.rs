//! Initiatives (social innovation, business creation, takeover such as a conversion into a SCOP):
//! a holder, a territory, support structures, and a dated stage history that only moves forward
//! (idea → emergence → launch → consolidation), or ends as abandoned.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Violation, partner::PartnerName};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitiativeKind {
    SocialInnovation,
    BusinessCreation,
    Takeover,
}

impl InitiativeKind {
    pub fn key(self) -> &'static str {
        match self {
            InitiativeKind::SocialInnovation => "social_innovation",
            InitiativeKind::BusinessCreation => "business_creation",
            InitiativeKind::Takeover => "takeover",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [
            InitiativeKind::SocialInnovation,
            InitiativeKind::BusinessCreation,
            InitiativeKind::Takeover,
        ]
        .into_iter()
        .find(|k| k.key() == key)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Idea,
    Emergence,
    Launch,
    Consolidation,
    Abandoned,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Idea,
        Stage::Emergence,
        Stage::Launch,
        Stage::Consolidation,
        Stage::Abandoned,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Stage::Idea => "idea",
            Stage::Emergence => "emergence",
            Stage::Launch => "launch",
            Stage::Consolidation => "consolidation",
            Stage::Abandoned => "abandoned",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The stage that follows, if any.
    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Idea => Some(Stage::Emergence),
            Stage::Emergence => Some(Stage::Launch),
            Stage::Launch => Some(Stage::Consolidation),
            Stage::Consolidation | Stage::Abandoned => None,
        }
    }

    /// Consolidated and abandoned initiatives do not move any more.
    pub fn is_final(self) -> bool {
        self.next().is_none()
    }
}

/// One dated step of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageChange {
    pub stage: Stage,
    pub on: NaiveDate,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initiative {
    pub id: Uuid,
    pub name: PartnerName,
    pub kind: InitiativeKind,
    pub holder_id: Uuid,
    pub territory: String,
    /// Oldest first; never empty.
    pub history: Vec<StageChange>,
    pub supports: Vec<Uuid>,
    pub version: i64,
}

/// Why a stage change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageRefused {
    Stale { current: i64 },
    Final,
    NotNext { current: Stage },
    Invalid(Violation),
}

impl Initiative {
    pub fn stage(&self) -> Stage {
        self.history.last().map(|c| c.stage).unwrap_or(Stage::Idea)
    }

    /// The next stage or abandoned, on a day not before the current stage's.
    pub fn change_stage(&self, expected_version: i64, change: StageChange) -> Result<(), StageRefused> {
        let current = self.stage();
        if current.is_final() {
            return Err(StageRefused::Final);
        }
        if self.version != expected_version {
            return Err(StageRefused::Stale { current: self.version });
        }
        if change.stage != Stage::Abandoned && current.next() != Some(change.stage) {
            return Err(StageRefused::NotNext { current });
        }
        if self.history.last().is_some_and(|last| change.on < last.on) {
            return Err(StageRefused::Invalid(Violation::new(
                "on",
                "must not be before the current stage's date",
            )));
        }
        Ok(())
    }
}

/// A note: at most 2,000 characters; empty is none.
pub fn parse_note(raw: &str) -> Result<Option<String>, Violation> {
    let n = raw.trim();
    if n.chars().count() > 2000 {
        return Err(Violation::new("note", "must be at most 2000 characters"));
    }
    Ok((!n.is_empty()).then(|| n.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::parse_date;

    fn at(stage: Stage, on: &str) -> StageChange {
        StageChange {
            stage,
            on: parse_date("on", on).expect("date"),
            note: None,
        }
    }

    #[test]
    fn stages_move_one_step_forward_or_to_abandoned_and_then_stop() {
        let mut i = Initiative {
            id: Uuid::now_v7(),
            name: PartnerName::parse("Reprise en SCOP").expect("name"),
            kind: InitiativeKind::Takeover,
            holder_id: Uuid::now_v7(),
            territory: "Caen".into(),
            history: vec![at(Stage::Idea, "2024-01-10")],
            supports: vec![],
            version: 1,
        };
        assert!(i.change_stage(1, at(Stage::Emergence, "2024-02-01")).is_ok());
        assert_eq!(
            i.change_stage(1, at(Stage::Launch, "2024-02-01")),
            Err(StageRefused::NotNext { current: Stage::Idea })
        );
        assert!(matches!(
            i.change_stage(1, at(Stage::Emergence, "2023-12-31")),
            Err(StageRefused::Invalid(v)) if v.field == "on"
        ));
        assert_eq!(
            i.change_stage(0, at(Stage::Emergence, "2024-02-01")),
            Err(StageRefused::Stale { current: 1 })
        );
        i.history.push(at(Stage::Abandoned, "2024-03-01"));
        assert_eq!(
            i.change_stage(1, at(Stage::Emergence, "2024-04-01")),
            Err(StageRefused::Final)
        );
    }
}
