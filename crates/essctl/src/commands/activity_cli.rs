//! The command line of `essctl activity …` and `essctl practice …`: activities, sessions,
//! registrations, attendance, outcomes, calendars and good-practice sheets. Times are given in
//! Europe/Paris local time (`2026-11-12T09:00`), the way organisers think of them.

use clap::{Args, Subcommand, ValueEnum};

use super::paging::PageArgs;

/// `essctl activity ...`
#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// Create a draft activity; every organiser is checked with the registry.
    Create(CreateActivityArgs),
    /// Show one activity with its sessions and counts.
    Get(IdArg),
    /// Replace the descriptive fields of a draft or scheduled activity.
    Update(UpdateActivityArgs),
    /// Announce a draft activity: registrations open.
    Schedule(IdArg),
    /// Cancel a draft or scheduled activity (its history is kept).
    Cancel(IdArg),
    /// Complete a scheduled activity once its last session has ended.
    Complete(CompleteActivityArgs),
    /// List activities, filtered.
    List(ListActivitiesArgs),
    /// Print the iCalendar feed of a campaign or a département.
    Calendar(CalendarArgs),
    /// Register a person to a session.
    Register(RegisterArgs),
    /// Cancel a registration (the first waitlisted person is promoted).
    CancelRegistration(IdArg),
    /// Mark registrations of one session as attended (or no-show).
    CheckIn(CheckInArgs),
    /// List a session's registrations.
    Registrations(PagedIdArgs),
    /// Erase a registrant's name and email (counts stay).
    Erase(IdArg),
    /// Registrations of the people of one partner organisation.
    Participation(PagedIdArgs),
    /// The registry partners the activities service knows (its copy, fed by registry events).
    KnownPartners(PageArgs),
}

/// `essctl practice ...`
#[derive(Debug, Subcommand)]
pub enum PracticeCommand {
    /// Write a draft good-practice sheet.
    Create(CreatePracticeArgs),
    /// Publish a sheet.
    Publish(IdArg),
    /// List sheets.
    List(ListPracticesArgs),
}

/// One id.
#[derive(Debug, Clone, Args)]
pub struct IdArg {
    /// The id (a UUID).
    pub id: String,
}

/// One id and the page of its list.
#[derive(Debug, Clone, Args)]
pub struct PagedIdArgs {
    /// The id (a UUID).
    pub id: String,
    #[command(flatten)]
    pub page: PageArgs,
}

/// Activity kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Sensibilisation,
    /// Événement, forum, conférence.
    Evenement,
    Formation,
    Atelier,
    ReunionInstance,
    VisiteEntreprise,
    AccompagnementCollectif,
    Other,
}

/// Target publics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PublicArg {
    Scolaires,
    Etudiants,
    DemandeursEmploi,
    Salaries,
    PorteursProjet,
    StructuresAccompagnement,
    ElusCollectivites,
    EmployeursEss,
    GrandPublic,
}

/// Sex, for gender-equality figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SexArg {
    F,
    H,
}

/// Age bands, for youth figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgeBandArg {
    #[value(name = "under-26")]
    Under26,
    #[value(name = "26-49")]
    From26To49,
    #[value(name = "50-plus")]
    From50,
}

/// The descriptive fields of an activity.
#[derive(Debug, Clone, Args)]
pub struct ActivityFieldsArgs {
    /// Title (1 to 200 characters).
    #[arg(long)]
    pub title: String,
    /// Description.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Kind of activity.
    #[arg(long, value_enum)]
    pub kind: KindArg,
    /// Axis of the agreement served (1 to 5); repeat for several.
    #[arg(long = "axis", required = true)]
    pub axes: Vec<i32>,
    /// Target public; repeat for several.
    #[arg(long = "public", value_enum)]
    pub publics: Vec<PublicArg>,
    /// Campaign, e.g. "Mois de l'ESS 2026".
    #[arg(long, default_value = "")]
    pub campaign: String,
    /// Held online (no commune or address).
    #[arg(long, conflicts_with_all = ["commune", "address"])]
    pub online: bool,
    /// INSEE code of the commune where it takes place.
    #[arg(long, required_unless_present = "online")]
    pub commune: Option<String>,
    /// Address of the venue.
    #[arg(long, required_unless_present = "online")]
    pub address: Option<String>,
}

/// `essctl activity create`.
#[derive(Debug, Clone, Args)]
pub struct CreateActivityArgs {
    #[command(flatten)]
    pub fields: ActivityFieldsArgs,
    /// Organiser (registry partner id); repeat for several.
    #[arg(long = "organiser", required = true)]
    pub organisers: Vec<String>,
    /// Co-organiser (registry partner id); repeat for several.
    #[arg(long = "co-organiser")]
    pub co_organisers: Vec<String>,
    /// A session as START/END/CAPACITY in Europe/Paris time, e.g.
    /// 2026-11-12T09:00/2026-11-12T11:00/30; repeat for several.
    #[arg(long = "session", required = true)]
    pub sessions: Vec<String>,
}

/// `essctl activity update`.
#[derive(Debug, Clone, Args)]
pub struct UpdateActivityArgs {
    /// The activity's id.
    pub id: String,
    /// The version you read (refused if it changed since); 0 skips the check.
    #[arg(long, default_value_t = 0)]
    pub expected_version: i64,
    #[command(flatten)]
    pub fields: ActivityFieldsArgs,
}

/// `essctl activity complete`: attendance comes from the registrations; for a session without
/// registrations, give its counts with --session and the count options.
#[derive(Debug, Clone, Args)]
pub struct CompleteActivityArgs {
    /// The activity's id.
    pub id: String,
    /// Session (id) without registrations whose counts are given below.
    #[arg(long)]
    pub session: Option<String>,
    /// Attendees of that session.
    #[arg(long, requires = "session", default_value_t = 0)]
    pub total: i32,
    /// Women among them.
    #[arg(long, default_value_t = 0)]
    pub female: i32,
    /// Men among them.
    #[arg(long, default_value_t = 0)]
    pub male: i32,
    /// Sex not given.
    #[arg(long, default_value_t = 0)]
    pub sex_not_given: i32,
    /// Under 26.
    #[arg(long, default_value_t = 0)]
    pub under_26: i32,
    /// 26 to 49.
    #[arg(long, default_value_t = 0)]
    pub age_26_49: i32,
    /// 50 and over.
    #[arg(long, default_value_t = 0)]
    pub age_50_plus: i32,
    /// Age not given.
    #[arg(long, default_value_t = 0)]
    pub age_not_given: i32,
    /// Attendees per public as PUBLIC=COUNT (e.g. scolaires=30); repeat for several.
    #[arg(long = "public-count")]
    pub public_counts: Vec<String>,
}

/// `essctl activity list`.
#[derive(Debug, Clone, Args)]
pub struct ListActivitiesArgs {
    #[command(flatten)]
    pub page: PageArgs,
    /// With a session ending after this Europe/Paris time (2026-11-01T00:00).
    #[arg(long)]
    pub from: Option<String>,
    /// With a session starting before this Europe/Paris time.
    #[arg(long)]
    pub to: Option<String>,
    /// Serving this axis.
    #[arg(long)]
    pub axis: Option<i32>,
    /// Of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// For this public.
    #[arg(long, value_enum)]
    pub public: Option<PublicArg>,
    /// In this département (14, 50, 61).
    #[arg(long)]
    pub departement: Option<String>,
    /// Of this campaign.
    #[arg(long)]
    pub campaign: Option<String>,
    /// Organised or co-organised by this partner.
    #[arg(long)]
    pub organiser: Option<String>,
}

/// `essctl activity calendar`: prints text/calendar, e.g. `> mois-ess.ics`.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = true)]
pub struct CalendarArgs {
    /// Campaign.
    #[arg(long)]
    pub campaign: Option<String>,
    /// Département.
    #[arg(long)]
    pub departement: Option<String>,
}

/// `essctl activity register`.
#[derive(Debug, Clone, Args)]
pub struct RegisterArgs {
    /// The session's id.
    pub session: String,
    /// The person's name.
    #[arg(long)]
    pub name: String,
    /// The person's email.
    #[arg(long)]
    pub email: String,
    /// Their organisation (a registry partner id).
    #[arg(long)]
    pub organisation: Option<String>,
    /// Their public category.
    #[arg(long, value_enum)]
    pub public: PublicArg,
    /// Sex, if they gave it.
    #[arg(long, value_enum)]
    pub sex: Option<SexArg>,
    /// Age band, if they gave it.
    #[arg(long, value_enum)]
    pub age_band: Option<AgeBandArg>,
    /// The person consents to the processing of their data (required).
    #[arg(long)]
    pub consent: bool,
}

/// `essctl activity check-in SESSION REGISTRATION...`.
#[derive(Debug, Clone, Args)]
pub struct CheckInArgs {
    /// The session's id.
    pub session: String,
    /// Registration ids.
    #[arg(required = true)]
    pub registrations: Vec<String>,
    /// Record them as no-shows instead.
    #[arg(long)]
    pub no_show: bool,
}

/// `essctl practice create`.
#[derive(Debug, Clone, Args)]
pub struct CreatePracticeArgs {
    /// Title.
    #[arg(long)]
    pub title: String,
    /// Summary.
    #[arg(long)]
    pub summary: String,
    /// Body.
    #[arg(long)]
    pub body: String,
    /// Axis (1 to 5).
    #[arg(long)]
    pub axis: i32,
    /// Linked activity id; repeat for several.
    #[arg(long = "activity")]
    pub activities: Vec<String>,
    /// Linked partner id; repeat for several.
    #[arg(long = "partner")]
    pub partners: Vec<String>,
    /// Tag; repeat for several.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
}

/// `essctl practice list`.
#[derive(Debug, Clone, Args)]
pub struct ListPracticesArgs {
    #[command(flatten)]
    pub page: PageArgs,
    /// Published sheets only.
    #[arg(long)]
    pub published: bool,
}
