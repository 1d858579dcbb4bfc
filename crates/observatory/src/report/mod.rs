//! The partnership's reports, rendered from the projections, the action plan and the indicator
//! cube, in French: *Bilan annuel de la convention*, *Point d'avancement*, *Panorama de l'ESS*.
//!
//! A report is first built as a document ([`Report`]: sections of paragraphs, tables and charts,
//! [`build`]), then written in a format ([`render`]: one self-contained HTML page, Markdown, or
//! one CSV per table). Figures of the cube reach a report only through the public indicator
//! queries, so a suppressed cell can only ever be [`Cell::Secret`] ("secret statistique").
//!
//! Layout: [`data`] (queries over the projections), [`build`], [`render`], [`store`] (published
//! reports), [`grpc`] (`ess.observatory.v1.Reports`).

pub mod build;
pub mod data;
pub mod grpc;
pub mod render;
pub mod store;
pub mod text;

use chrono::NaiveDate;

use crate::{
    charts::{Bar, Series},
    plan::domain::Period,
};

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BilanAnnuel,
    PointAvancement,
    Panorama,
}

impl Kind {
    /// Stable code, as stored and carried by events.
    pub fn code(self) -> &'static str {
        match self {
            Kind::BilanAnnuel => "bilan_annuel",
            Kind::PointAvancement => "point_avancement",
            Kind::Panorama => "panorama",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        [Kind::BilanAnnuel, Kind::PointAvancement, Kind::Panorama]
            .into_iter()
            .find(|k| k.code() == code)
    }

    /// Start of file names.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::BilanAnnuel => "bilan-annuel",
            Kind::PointAvancement => "point-avancement",
            Kind::Panorama => "panorama-ess",
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    Csv,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "md",
            Format::Csv => "csv",
        }
    }

    pub fn from_code(code: &str) -> Option<Format> {
        [Format::Html, Format::Markdown, Format::Csv]
            .into_iter()
            .find(|f| f.code() == code)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// A report as a document, before any format.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub kind: Kind,
    pub title: String,
    pub period: Period,
    /// The day it was produced.
    pub produced_on: NaiveDate,
    /// Short paragraphs under the title (what the figures are, where they come from).
    pub introduction: Vec<String>,
    pub sections: Vec<Section>,
}

impl Report {
    /// Every table, in order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.sections.iter().flat_map(|s| {
            s.blocks.iter().filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
        })
    }

    /// The base of the file names: `bilan-annuel-2026`, `point-avancement-2026-01-01-2026-06-30`.
    pub fn file_stem(&self) -> String {
        match self.kind {
            Kind::BilanAnnuel | Kind::Panorama => format!("{}-{}", self.kind.slug(), self.period.from.format("%Y")),
            Kind::PointAvancement => format!("{}-{}-{}", self.kind.slug(), self.period.from, self.period.to),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(String),
    Table(Table),
    Chart(Chart),
}

/// A table: its CSV file takes `slug`; the first column is the row heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub slug: String,
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A number shown with this many decimals.
    Number(f64, u8),
    /// A figure under statistical confidentiality: never a number, never blank.
    Secret,
    /// Not available (no data for the comparison, no denominator…).
    Missing,
}

/// What a cell under statistical confidentiality says.
pub const SECRET: &str = crate::domain::cube::SECRET_LABEL;
/// What a cell without a figure says.
pub const MISSING: &str = "n.d.";

#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Bars {
        title: String,
        bars: Vec<Bar>,
        unit: String,
    },
    Lines {
        title: String,
        series: Vec<Series>,
        unit: String,
    },
    Progress {
        label: String,
        achieved: f64,
        target: f64,
    },
}
