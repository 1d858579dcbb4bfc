//! The command line of `essctl action …` (the agreement's action plan) and `essctl report …`
//! (the partnership's reports): clap definitions only.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::paging::PageArgs;

/// `essctl action …`
#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Record an action of the plan with its target indicators.
    Create(ActionArgs),
    /// Replace an action's axis, title, description and targets.
    Update {
        /// The action's id.
        id: String,
        /// Refuse the update unless the action is at this version.
        #[arg(long)]
        expected_version: Option<i64>,
        #[command(flatten)]
        action: ActionArgs,
    },
    /// The actions, by axis.
    List {
        /// Only this axis (1 to 5).
        #[arg(long)]
        axis: Option<i32>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Target against achieved for every target (of one action, or all).
    Progress {
        /// Only this action.
        #[arg(long)]
        action: Option<String>,
    },
}

/// An action's content.
#[derive(Debug, Clone, Args)]
pub struct ActionArgs {
    /// Axis of the agreement, 1 to 5.
    #[arg(long)]
    pub axis: i32,
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// A target, `INDICATOR:VALUE:FROM:TO[:kind=K][:public=P][:stage=S]`, e.g.
    /// `activities_completed:40:2026-01-01:2026-12-31:kind=SENSIBILISATION:public=SCOLAIRES`.
    /// Indicators: activities_completed, people_reached, women_reached, men_reached,
    /// under_26_reached, job_seekers_reached, ptces_created, initiatives_reaching_stage,
    /// partners_involved, practices_published. Repeat for several targets.
    #[arg(long = "target", value_parser = parse_target)]
    pub targets: Vec<TargetArg>,
}

/// A target as typed on the command line (checked again by the server).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetArg {
    pub indicator: String,
    pub value: f64,
    pub from: String,
    pub to: String,
    pub kind: String,
    pub public: String,
    pub stage: String,
}

/// Parses `INDICATOR:VALUE:FROM:TO[:key=value…]`.
pub fn parse_target(raw: &str) -> Result<TargetArg, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let [indicator, value, from, to, rest @ ..] = parts.as_slice() else {
        return Err("expected INDICATOR:VALUE:FROM:TO[:kind=K][:public=P][:stage=S]".into());
    };
    let value: f64 = value
        .parse()
        .map_err(|_| format!("the target value {value:?} is not a number"))?;
    let mut t = TargetArg {
        indicator: indicator.to_string(),
        value,
        from: from.to_string(),
        to: to.to_string(),
        kind: String::new(),
        public: String::new(),
        stage: String::new(),
    };
    for filter in rest {
        match filter.split_once('=') {
            Some(("kind", v)) => t.kind = v.to_owned(),
            Some(("public", v)) => t.public = v.to_owned(),
            Some(("stage", v)) => t.stage = v.to_owned(),
            _ => return Err(format!("unknown filter {filter:?} (kind=, public=, stage=)")),
        }
    }
    Ok(t)
}

/// `essctl report …`
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Render a report and write its files into a directory.
    Render {
        #[command(flatten)]
        report: ReportArgs,
        /// Directory to write the files into (created if missing).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Render a report and publish it (stored by the observatory, announced by an event).
    Publish(ReportArgs),
    /// Published reports, newest first.
    List(PageArgs),
    /// Write the files of a published report into a directory.
    Get {
        id: String,
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// Which report, for when, in which format.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[arg(value_enum)]
    pub kind: ReportKindArg,
    /// Year (bilan-annuel, panorama).
    #[arg(long)]
    pub year: Option<i32>,
    /// First day, YYYY-MM-DD (point-avancement).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (point-avancement).
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormatArg::Html)]
    pub format: ReportFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportKindArg {
    /// Bilan annuel de la convention.
    BilanAnnuel,
    /// Point d'avancement, for a date range.
    PointAvancement,
    /// Panorama de l'ESS (public figures, secret statistique applied).
    Panorama,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    Html,
    Md,
    Csv,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_their_filters() {
        let t = parse_target("activities_completed:40:2026-01-01:2026-12-31:kind=SENSIBILISATION:public=SCOLAIRES")
            .expect("valid");
        assert_eq!(
            (t.indicator.as_str(), t.value, t.kind.as_str()),
            ("activities_completed", 40.0, "SENSIBILISATION")
        );
        assert!(parse_target("people_reached:many:2026-01-01:2026-12-31").is_err());
        assert!(parse_target("people_reached:3:2026-01-01:2026-12-31:colour=red").is_err());
        assert!(parse_target("people_reached:3").is_err());
    }
}
