//! Arguments of the registry commands: `essctl partner update|archive|list|lookup|contact`,
//! `essctl membership …`, `essctl ptce …`, `essctl initiative …` and `essctl sirene import`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::paging::PageArgs;

/// A partner kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    EssEnterprise,
    Network,
    EmployerOrganisation,
    SupportStructure,
    PublicBody,
    TrainingBody,
    Other,
}

/// An ESS family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FamilyArg {
    Association,
    Cooperative,
    Mutuelle,
    Fondation,
    SocieteCommercialeEss,
    HorsEss,
}

/// The SIRENE ESS flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EssFlagArg {
    /// O: the unit declared itself ESS.
    Yes,
    /// N.
    No,
}

/// The optional description of a partner, shared by `partner create` and `partner update`
/// (on update, a given option replaces the value; an absent one keeps it).
#[derive(Debug, Clone, Default, Args)]
pub struct PartnerDetailsArgs {
    /// What kind of organisation (default on create: other).
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Short name (at most 30 characters).
    #[arg(long)]
    pub acronym: Option<String>,
    /// RNA number of an association (W and 9 digits).
    #[arg(long)]
    pub rna: Option<String>,
    /// INSEE legal category, 4 digits (9220 association déclarée, 5458 SCOP...).
    #[arg(long)]
    pub legal_category: Option<String>,
    /// The SIRENE ESS flag of the legal unit.
    #[arg(long, value_enum)]
    pub sirene_ess: Option<EssFlagArg>,
    /// NAF rév. 2 sub-class (88.99B).
    #[arg(long)]
    pub naf: Option<String>,
    /// Street address.
    #[arg(long)]
    pub address: Option<String>,
    /// SIRENE headcount band (NN, 00, 01 ... 53).
    #[arg(long)]
    pub headcount_band: Option<String>,
    /// Year of the headcount band.
    #[arg(long)]
    pub headcount_year: Option<i32>,
    /// Exact headcount.
    #[arg(long)]
    pub headcount: Option<i32>,
    /// ESUS approval date (YYYY-MM-DD).
    #[arg(long)]
    pub esus_from: Option<String>,
    /// ESUS expiry date (YYYY-MM-DD).
    #[arg(long)]
    pub esus_until: Option<String>,
    /// A theme (repeat for several; on update, replaces the list).
    #[arg(long = "theme")]
    pub themes: Vec<String>,
}

/// `essctl partner update <ID>`: reads the partner, applies the options, writes it back.
#[derive(Debug, Clone, Args)]
pub struct UpdatePartnerArgs {
    /// The partner's id.
    pub id: String,
    /// The version you last read (the update is refused if it changed since); default: the
    /// version read just before the update.
    #[arg(long)]
    pub expected_version: Option<i64>,
    /// New name.
    #[arg(long)]
    pub name: Option<String>,
    /// New INSEE commune code.
    #[arg(long)]
    pub commune: Option<String>,
    /// New postal code.
    #[arg(long)]
    pub postal_code: Option<String>,
    #[command(flatten)]
    pub details: PartnerDetailsArgs,
}

/// `essctl partner archive <ID> --expected-version N`.
#[derive(Debug, Clone, Args)]
pub struct ArchivePartnerArgs {
    pub id: String,
    #[arg(long)]
    pub expected_version: i64,
}

/// `essctl partner list`: filters combine; prints one page and the token of the next.
#[derive(Debug, Clone, Default, Args)]
pub struct ListPartnersArgs {
    /// Accent- and case-insensitive search in name and acronym.
    #[arg(long)]
    pub query: Option<String>,
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    #[arg(long, value_enum)]
    pub family: Option<FamilyArg>,
    /// Département code (14, 50, 61).
    #[arg(long)]
    pub departement: Option<String>,
    /// SIREN of the EPCI.
    #[arg(long)]
    pub epci: Option<String>,
    /// INSEE commune code.
    #[arg(long)]
    pub commune: Option<String>,
    /// NAF section letter or sub-class.
    #[arg(long)]
    pub naf: Option<String>,
    /// Only CRESS members (true) or non-members (false).
    #[arg(long)]
    pub cress_member: Option<bool>,
    /// Only current members of this PTCE (id).
    #[arg(long)]
    pub ptce: Option<String>,
    /// Include archived partners.
    #[arg(long)]
    pub include_archived: bool,
    /// Partners per page (at most 200).
    #[arg(long, default_value_t = 50)]
    pub page_size: i32,
    /// The token printed after the previous page.
    #[arg(long)]
    pub page_token: Option<String>,
}

/// `essctl partner lookup --siren X | --siret Y`.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct LookupArgs {
    #[arg(long)]
    pub siren: Option<String>,
    #[arg(long)]
    pub siret: Option<String>,
}

/// `essctl partner contact …`
#[derive(Debug, Clone, Subcommand)]
pub enum ContactCommand {
    /// Record a contact person (personal data: ask for their consent).
    Add(AddContactArgs),
    /// Erase a contact person on request (nothing of it is kept).
    Erase(EraseContactArgs),
}

#[derive(Debug, Clone, Args)]
pub struct AddContactArgs {
    /// The partner's id.
    pub partner_id: String,
    #[arg(long)]
    pub expected_version: i64,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub role: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    /// The person agreed to be recorded and contacted.
    #[arg(long)]
    pub consent: bool,
}

#[derive(Debug, Clone, Args)]
pub struct EraseContactArgs {
    pub partner_id: String,
    pub contact_id: String,
}

/// `essctl membership …`: CRESS membership and network affiliations.
#[derive(Debug, Clone, Subcommand)]
pub enum MembershipCommand {
    /// A partner's membership history and affiliations.
    Show { partner_id: String },
    /// Open a CRESS membership period.
    Join {
        partner_id: String,
        #[arg(long)]
        expected_version: i64,
        /// YYYY-MM-DD.
        #[arg(long)]
        from: String,
        #[arg(long)]
        college: Option<String>,
        /// The member mandates the CRESS to represent it.
        #[arg(long)]
        mandant: bool,
    },
    /// Close the open CRESS membership period.
    Leave {
        partner_id: String,
        #[arg(long)]
        expected_version: i64,
        /// YYYY-MM-DD.
        #[arg(long)]
        until: String,
    },
    /// Record that a partner belongs to a network (another partner).
    Affiliate {
        partner_id: String,
        #[arg(long)]
        expected_version: i64,
        #[arg(long)]
        network: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        until: Option<String>,
    },
    /// End an affiliation.
    EndAffiliation {
        partner_id: String,
        #[arg(long)]
        expected_version: i64,
        #[arg(long)]
        affiliation: String,
        #[arg(long)]
        until: String,
    },
}

/// A PTCE status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PtceStatusArg {
    Emerging,
    Active,
    Closed,
}

/// `essctl ptce …`
#[derive(Debug, Clone, Subcommand)]
pub enum PtceCommand {
    /// Create a PTCE around a lead partner.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        territory: String,
        #[arg(long)]
        lead: String,
        #[arg(long = "theme")]
        themes: Vec<String>,
        #[arg(long, value_enum)]
        status: Option<PtceStatusArg>,
    },
    /// One PTCE with its members.
    Get { id: String },
    /// Every PTCE.
    List(PageArgs),
    /// A partner joins.
    Join {
        id: String,
        #[arg(long)]
        expected_version: i64,
        #[arg(long)]
        partner: String,
        #[arg(long)]
        on: String,
    },
    /// A partner leaves.
    Leave {
        id: String,
        #[arg(long)]
        expected_version: i64,
        #[arg(long)]
        partner: String,
        #[arg(long)]
        on: String,
    },
    /// Change the status (closed is final).
    Status {
        id: String,
        #[arg(long)]
        expected_version: i64,
        #[arg(value_enum)]
        status: PtceStatusArg,
    },
}

/// An initiative kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitiativeKindArg {
    SocialInnovation,
    BusinessCreation,
    Takeover,
}

/// An initiative stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StageArg {
    Idea,
    Emergence,
    Launch,
    Consolidation,
    Abandoned,
}

/// `essctl initiative …`
#[derive(Debug, Clone, Subcommand)]
pub enum InitiativeCommand {
    /// Record an initiative.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        kind: InitiativeKindArg,
        /// The holder partner's id.
        #[arg(long)]
        holder: String,
        #[arg(long)]
        territory: String,
        #[arg(long, value_enum)]
        stage: Option<StageArg>,
        /// When it reached that stage (YYYY-MM-DD).
        #[arg(long)]
        since: String,
        #[arg(long)]
        note: Option<String>,
        /// A support structure's partner id (repeat for several).
        #[arg(long = "support")]
        supports: Vec<String>,
    },
    /// One initiative with its stage history.
    Get { id: String },
    /// Initiatives, newest first.
    List {
        #[arg(long)]
        holder: Option<String>,
        #[arg(long, value_enum)]
        kind: Option<InitiativeKindArg>,
        #[arg(long, value_enum)]
        stage: Option<StageArg>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Move to the next stage, or to abandoned.
    Stage {
        id: String,
        #[arg(long)]
        expected_version: i64,
        #[arg(value_enum)]
        stage: StageArg,
        #[arg(long)]
        on: String,
        #[arg(long)]
        note: Option<String>,
    },
}

/// `essctl sirene …`
#[derive(Debug, Clone, Subcommand)]
pub enum SireneCommand {
    /// Import the INSEE stock files: ESS units with an active establishment in the départements
    /// become (or update) partners. Shows a progress bar; bad rows are listed with their line.
    Import(SireneImportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SireneImportArgs {
    /// StockUniteLegale CSV.
    #[arg(long)]
    pub units: PathBuf,
    /// StockEtablissement CSV.
    #[arg(long)]
    pub establishments: PathBuf,
    /// Département to keep (repeat; default 14, 50 and 61).
    #[arg(long = "departement")]
    pub departements: Vec<String>,
}
