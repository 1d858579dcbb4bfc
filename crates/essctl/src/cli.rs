//! The command line of `essctl`: global options (service addresses, output format, timeout, and
//! telemetry), then `partner create|get`, `stats …` (observatory figures, dataset imports,
//! projections), `health`, and the operator commands (`dlq`, `events`, `doctor`, `seed`,
//! `completions`, defined in `commands::ops_cli`). Every global option can also come from the
//! environment variable named in `--help`.

use std::{path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};
use platform::{
    config::{TelemetryArgs, parse_duration},
    grpc::BearerInterceptor,
    secret::Secret,
};

use crate::failure::{Failure, Service};

/// Command-line client of the ESS platform: talks to the registry, activities and observatory
/// services over gRPC.
#[derive(Debug, Parser)]
#[command(name = "essctl", version, about, propagate_version = true)]
pub struct Cli {
    /// Where the services are, how to print, how long to wait.
    #[command(flatten, next_help_heading = "Global options")]
    pub global: GlobalArgs,

    /// Logs (stderr only) and trace export.
    #[command(flatten, next_help_heading = "Telemetry")]
    pub telemetry: TelemetryArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The telemetry settings this command runs with. `health` exports no spans: it is the
    /// container health check, run every few seconds, so it must not wait on a collector before
    /// exiting nor fill the trace store with probes (the servers do not trace health calls either).
    pub fn telemetry(&self) -> TelemetryArgs {
        let mut telemetry = self.telemetry.clone();
        if matches!(self.command, Command::Health(_) | Command::Completions(_)) {
            telemetry.otlp_endpoint = None;
        }
        // The NATS client logs every connect and close at info: noise on an operator's terminal.
        if !telemetry.log_filter.contains("async_nats") {
            telemetry.log_filter.push_str(",async_nats=warn");
        }
        telemetry
    }
}

/// Options accepted before or after the command (`global = true`).
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// gRPC URL of the partner registry.
    #[arg(
        long,
        env = "REGISTRY_URL",
        value_parser = parse_url,
        default_value = "http://127.0.0.1:50051",
        global = true
    )]
    pub registry_url: String,

    /// gRPC URL of the activities service.
    #[arg(
        long,
        env = "ACTIVITIES_URL",
        value_parser = parse_url,
        default_value = "http://127.0.0.1:50052",
        global = true
    )]
    pub activities_url: String,

    /// gRPC URL of the observatory.
    #[arg(
        long,
        env = "OBSERVATORY_URL",
        value_parser = parse_url,
        default_value = "http://127.0.0.1:50053",
        global = true
    )]
    pub observatory_url: String,

    /// How to print the answer.
    #[arg(long, value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,

    /// Longest wait for a connection and for each answer (e.g. 500ms, 10s, 1m).
    #[arg(long, default_value = "10s", value_parser = parse_duration, global = true)]
    pub timeout: Duration,

    /// Bearer token sent with every call (prefer the ESS_TOKEN variable or a token file: a
    /// command-line argument shows in the process list).
    #[arg(long, env = "ESS_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<Secret>,

    /// File holding the bearer token, when ESS_TOKEN is not set. Default:
    /// ~/.config/essctl/token, if it exists.
    #[arg(long, env = "ESS_TOKEN_FILE", global = true)]
    pub token_file: Option<PathBuf>,

    /// Home directory, to find ~/.config/essctl/token.
    #[arg(long, env = "HOME", hide = true, global = true)]
    pub home: Option<PathBuf>,
}

impl GlobalArgs {
    /// The interceptor adding the token (from --token/ESS_TOKEN, then --token-file/ESS_TOKEN_FILE,
    /// then ~/.config/essctl/token) and the trace context to each call. No token anywhere is not
    /// an error here: health needs none, and the other calls answer UNAUTHENTICATED with a hint.
    pub fn bearer(&self) -> Result<BearerInterceptor, Failure> {
        if let Some(token) = &self.token {
            return Ok(BearerInterceptor::new(token));
        }
        let (path, explicit) = match (&self.token_file, &self.home) {
            (Some(path), _) => (path.clone(), true),
            (None, Some(home)) => (home.join(".config/essctl/token"), false),
            (None, None) => return Ok(BearerInterceptor::anonymous()),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(BearerInterceptor::new(&Secret::new(text.trim()))),
            Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => Ok(BearerInterceptor::anonymous()),
            Err(e) => Err(Failure::Local(
                anyhow::Error::new(e).context(format!("reading the token file {}", path.display())),
            )),
        }
    }

    /// The URL `service` is called at.
    pub fn url(&self, service: Service) -> &str {
        match service {
            Service::Registry => &self.registry_url,
            Service::Activities => &self.activities_url,
            Service::Observatory => &self.observatory_url,
        }
    }
}

/// Accepts `http://host:port` only, so a typo is a usage error (exit 2) rather than a failed
/// call. Plaintext only: the services listen without TLS, and tonic is built without it here.
pub fn parse_url(raw: &str) -> Result<String, String> {
    let rest = raw
        .strip_prefix("http://")
        .ok_or_else(|| format!("expected http://host:port, got {raw:?}"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.starts_with(':') {
        return Err(format!("no host in {raw:?} (expected http://host:port)"));
    }
    Ok(raw.to_owned())
}

/// Output format of the answer on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned, human-readable columns.
    Table,
    /// Pretty-printed JSON, for scripts (`jq`).
    Json,
}

/// The commands, grouped by subject.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Partners of the registry.
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// Figures from the observatory.
    #[command(subcommand)]
    Stats(StatsCommand),
    /// Events and awareness activities: sessions, registrations, attendance, outcomes.
    #[command(subcommand)]
    Activity(crate::commands::activity_cli::ActivityCommand),
    /// Good-practice sheets (capitalisation).
    #[command(subcommand)]
    Practice(crate::commands::activity_cli::PracticeCommand),
    /// CRESS membership and network affiliations of partners.
    #[command(subcommand)]
    Membership(crate::commands::registry_cli::MembershipCommand),
    /// PTCEs (pôles territoriaux de coopération économique) and their members.
    #[command(subcommand)]
    Ptce(crate::commands::registry_cli::PtceCommand),
    /// Social-innovation, creation and takeover initiatives and their stages.
    #[command(subcommand)]
    Initiative(crate::commands::registry_cli::InitiativeCommand),
    /// The INSEE SIRENE stock files.
    #[command(subcommand)]
    Sirene(crate::commands::registry_cli::SireneCommand),
    /// The observatory's resource centre: studies, analyses, notes, common positions, guides.
    #[command(subcommand)]
    Resource(crate::commands::resource::ResourceCommand),
    /// The agreement's action plan: actions per axis, targets, progress computed by the observatory.
    #[command(subcommand)]
    Action(crate::commands::plan_cli::ActionCommand),
    /// The partnership's reports (bilan annuel, point d'avancement, panorama de l'ESS).
    #[command(subcommand)]
    Report(crate::commands::plan_cli::ReportCommand),
    /// Ask services whether they are SERVING (grpc.health.v1); exit 0 only if all of them are.
    Health(HealthArgs),
    /// Dead letters of the services' consumers: list them, replay them.
    #[command(subcommand)]
    Dlq(crate::commands::ops_cli::DlqCommand),
    /// The event stream (NATS JetStream), decoded to JSON.
    #[command(subcommand)]
    Events(crate::commands::ops_cli::EventsCommand),
    /// Check the services, NATS, the stream and its consumers; say what is wrong and what to check.
    Doctor(crate::commands::ops_cli::DoctorArgs),
    /// Demo data.
    #[command(subcommand)]
    Seed(crate::commands::ops_cli::SeedCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(crate::commands::ops_cli::CompletionsArgs),
    /// The audit log of a service's writes (staff).
    #[command(subcommand)]
    Audit(crate::commands::audit::AuditCommand),
    /// Key pairs and bearer tokens (no service is called).
    #[command(subcommand)]
    Auth(crate::commands::auth::AuthCommand),
}

/// `essctl partner ...`
#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Register a partner; prints it with the id the registry gave it.
    Create(CreatePartnerArgs),
    /// Show one partner by id.
    Get(GetPartnerArgs),
    /// Change a partner's description (optimistic concurrency: --expected-version).
    Update(crate::commands::registry_cli::UpdatePartnerArgs),
    /// Archive a partner (kept for history, no longer changeable).
    Archive(crate::commands::registry_cli::ArchivePartnerArgs),
    /// List partners, filtered and searched, one page at a time.
    List(crate::commands::registry_cli::ListPartnersArgs),
    /// Find partners by SIREN (every establishment) or SIRET.
    Lookup(crate::commands::registry_cli::LookupArgs),
    /// Contact persons of a partner.
    #[command(subcommand)]
    Contact(crate::commands::registry_cli::ContactCommand),
}

/// `essctl partner create`: the registry checks every field and reports all violations at once.
#[derive(Debug, Clone, Args)]
pub struct CreatePartnerArgs {
    /// Name of the partner (1 to 200 characters).
    #[arg(long)]
    pub name: String,

    /// SIRET: 14 digits, spaces allowed.
    #[arg(long)]
    pub siret: String,

    /// INSEE code of the partner's commune (Calvados, Manche or Orne), e.g. 14118.
    /// At least one of --commune and --postal-code is required.
    #[arg(long)]
    pub commune: Option<String>,

    /// Postal code (5 digits), e.g. 14000. Must agree with --commune when both are given.
    #[arg(long)]
    pub postal_code: Option<String>,

    /// SIREN of the legal unit: the SIRET must start with it.
    #[arg(long)]
    pub siren: Option<String>,

    /// Kind, codes, headcount, ESUS approval, themes.
    #[command(flatten)]
    pub details: crate::commands::registry_cli::PartnerDetailsArgs,
}

/// `essctl partner get <ID>`.
#[derive(Debug, Clone, Args)]
pub struct GetPartnerArgs {
    /// The partner's id (a UUID, as printed by `partner create`).
    pub id: String,
}

/// `essctl stats ...`
#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Number of registry partners per département, as the observatory counts them.
    PartnersByDepartement,
    /// Partners by kind, ESS family and département, and CRESS members (live projections).
    Partners,
    /// Activities by status, axis, kind, public, département and campaign, and people reached.
    Activities,
    /// Rebuild every projection by replaying the event stream from its start.
    RebuildProjections,
    /// Import a dataset file (URSSAF CSV, `;`-separated), with a progress bar.
    Import(crate::commands::stats_args::ImportArgs),
    /// List the imported datasets.
    Datasets,
    /// A table of ESS indicators (establishments, employees, payroll) under secret statistique.
    Indicators(crate::commands::stats_args::IndicatorsArgs),
    /// Share of the ESS in private employment, per territory.
    EssShare(crate::commands::stats_args::EssShareArgs),
}

/// `essctl health [SERVICE]...`: the container health check, also handy by hand.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// Services to check, each at its --<service>-url; all three when none is given.
    #[arg(value_enum, value_name = "SERVICE")]
    pub services: Vec<Service>,
}

impl HealthArgs {
    /// The services to check: as given, without repeats, or all of them when none is given.
    pub fn targets(&self) -> Vec<Service> {
        if self.services.is_empty() {
            return Service::ALL.to_vec();
        }
        let mut targets = Vec::with_capacity(self.services.len());
        for &service in &self.services {
            if !targets.contains(&service) {
                targets.push(service);
            }
        }
        targets
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_are_accepted_after_the_command() {
        let cli = Cli::try_parse_from([
            "essctl",
            "partner",
            "get",
            "0190",
            "--output",
            "json",
            "--timeout",
            "2s",
            "--registry-url",
            "http://x:1",
        ])
        .expect("valid command line");
        assert_eq!(cli.global.output, Output::Json);
        assert_eq!(cli.global.timeout, Duration::from_secs(2));
        assert_eq!(cli.global.registry_url, "http://x:1");
        assert!(
            matches!(cli.command, Command::Partner(PartnerCommand::Get(GetPartnerArgs { ref id })) if id == "0190")
        );
    }

    #[test]
    fn create_takes_optional_commune_and_postal_code() {
        let cli = Cli::try_parse_from([
            "essctl",
            "partner",
            "create",
            "--name",
            "Coop Test",
            "--siret",
            "73282932000074",
            "--postal-code",
            "14000",
        ])
        .expect("valid command line");
        let Command::Partner(PartnerCommand::Create(args)) = cli.command else {
            panic!("expected partner create");
        };
        assert_eq!(args.commune, None);
        assert_eq!(args.postal_code.as_deref(), Some("14000"));
    }

    #[test]
    fn registry_commands_parse_their_options() {
        let cli = Cli::try_parse_from([
            "essctl",
            "partner",
            "list",
            "--query",
            "théâtre",
            "--family",
            "cooperative",
            "--cress-member",
            "true",
        ])
        .expect("valid list");
        let Command::Partner(PartnerCommand::List(args)) = cli.command else {
            panic!("expected partner list");
        };
        assert_eq!(
            (args.query.as_deref(), args.cress_member, args.page_size),
            (Some("théâtre"), Some(true), 50)
        );
        let lookup = Cli::try_parse_from(["essctl", "partner", "lookup", "--siren", "1", "--siret", "2"]);
        assert_eq!(lookup.expect_err("one key only").exit_code(), 2);
        let import = Cli::try_parse_from([
            "essctl",
            "sirene",
            "import",
            "--units",
            "u.csv",
            "--establishments",
            "e.csv",
            "--departement",
            "14",
        ])
        .expect("valid import");
        assert!(matches!(import.command, Command::Sirene(_)));
        let stage = Cli::try_parse_from([
            "essctl",
            "initiative",
            "stage",
            "id",
            "--expected-version",
            "2",
            "launch",
            "--on",
            "2024-01-01",
        ]);
        assert!(stage.is_ok());
    }

    #[test]
    fn create_without_a_siret_is_a_usage_error() {
        let err = Cli::try_parse_from(["essctl", "partner", "create", "--name", "X"]).expect_err("siret is required");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn service_urls_need_a_scheme_and_a_host() {
        assert_eq!(
            parse_url("http://127.0.0.1:50051"),
            Ok("http://127.0.0.1:50051".to_owned())
        );
        assert!(parse_url("http://registry.internal:50051").is_ok());
        assert!(parse_url("https://registry.example:443").is_err());
        assert!(parse_url("127.0.0.1:50051").is_err());
        assert!(parse_url("http://").is_err());
        assert!(parse_url("http://:50051").is_err());
    }

    fn health_targets(args: &[&str]) -> Vec<Service> {
        let cli =
            Cli::try_parse_from(std::iter::once("essctl").chain(args.iter().copied())).expect("valid command line");
        let Command::Health(health) = cli.command else {
            panic!("expected health");
        };
        health.targets()
    }

    #[test]
    fn health_without_arguments_checks_all_three_services() {
        assert_eq!(health_targets(&["health"]), Service::ALL);
    }

    #[test]
    fn health_checks_the_named_services_once_each_in_order() {
        assert_eq!(
            health_targets(&["health", "observatory", "registry", "observatory"]),
            [Service::Observatory, Service::Registry]
        );
    }

    #[test]
    fn health_of_an_unknown_service_is_a_usage_error() {
        let err = Cli::try_parse_from(["essctl", "health", "nats"]).expect_err("not one of ours");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn health_exports_no_spans_but_other_commands_do() {
        let endpoint = ["--otlp-endpoint", "http://collector:4317"];
        let health = Cli::try_parse_from(["essctl", endpoint[0], endpoint[1], "health"]).expect("valid");
        assert_eq!(health.telemetry().otlp_endpoint, None);
        let stats = Cli::try_parse_from(["essctl", endpoint[0], endpoint[1], "stats", "partners-by-departement"])
            .expect("valid");
        assert_eq!(
            stats.telemetry().otlp_endpoint.as_deref(),
            Some("http://collector:4317")
        );
    }

    #[test]
    fn each_service_is_called_at_its_own_url() {
        let cli =
            Cli::try_parse_from(["essctl", "--activities-url", "http://activities:50052", "health"]).expect("valid");
        assert_eq!(cli.global.url(Service::Registry), "http://127.0.0.1:50051");
        assert_eq!(cli.global.url(Service::Activities), "http://activities:50052");
        assert_eq!(cli.global.url(Service::Observatory), "http://127.0.0.1:50053");
    }

    #[test]
    fn an_unknown_output_format_is_a_usage_error() {
        let err = Cli::try_parse_from(["essctl", "--output", "yaml", "stats", "partners-by-departement"])
            .expect_err("yaml is not a format");
        assert_eq!(err.exit_code(), 2);
    }
}
