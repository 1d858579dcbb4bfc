//! Good-practice sheets (capitalisation): what worked, linked to activities and partners.

use uuid::Uuid;

use super::{Violations, activity::Axis, bounded_text, registration::parse_id};

#[derive(Debug, Clone)]
pub struct NewPractice {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub activity_ids: Vec<Uuid>,
    pub partner_ids: Vec<Uuid>,
    pub axis: Axis,
    pub tags: Vec<String>,
}

pub struct RawPractice<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub activity_ids: &'a [String],
    pub partner_ids: &'a [String],
    pub axis: i32,
    pub tags: &'a [String],
}

impl NewPractice {
    pub fn parse(raw: RawPractice<'_>) -> Result<Self, Violations> {
        let mut v = Violations::default();
        let title = v.check("title", bounded_text(raw.title, 200, false));
        let summary = v.check("summary", bounded_text(raw.summary, 1_000, true));
        let body = v.check("body", bounded_text(raw.body, 50_000, true));
        let axis = v.check("axis", Axis::parse(raw.axis));
        let activity_ids: Vec<_> = raw
            .activity_ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| v.check(format!("activity_ids[{i}]"), parse_id(id)))
            .collect();
        let partner_ids: Vec<_> = raw
            .partner_ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| v.check(format!("partner_ids[{i}]"), parse_id(id)))
            .collect();
        let mut tags: Vec<_> = raw
            .tags
            .iter()
            .enumerate()
            .filter_map(|(i, t)| v.check(format!("tags[{i}]"), bounded_text(t, 50, false)))
            .map(|t| t.to_lowercase())
            .collect();
        tags.sort();
        tags.dedup();
        match (title, summary, body, axis) {
            (Some(title), Some(summary), Some(body), Some(axis)) if v.is_empty() => Ok(Self {
                title,
                summary,
                body,
                activity_ids,
                partner_ids,
                axis,
                tags,
            }),
            _ => Err(v),
        }
    }
}
