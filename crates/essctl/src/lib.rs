//! `essctl`, the command-line client of the ESS platform. It speaks gRPC (never SQL; only
//! `events tail` and `doctor` read NATS, read-only), runs each command in a root `otel.kind=client` span whose context travels with the call, and
//! prints the answer as a table or as JSON. `essctl health` is also the containers' health check.
//!
//! Layout:
//! - [`cli`]: the clap definition of options and commands (every option also reads an env var).
//! - [`commands`]: one function per command: build the client, call, turn the answer into a view.
//! - [`view`]: serde views of the proto answers (ess-proto carries no serde derives).
//! - [`render`]: views to text, as aligned tables or pretty JSON. Pure, unit tested.
//! - [`failure`]: what can go wrong, and the report printed on stderr. Pure, unit tested.
//!
//! Operator commands (`dlq`, `events tail`, `doctor`, `seed demo`, `completions`) live in
//! `commands::{dlq, events, doctor, seed}`; `events tail` and `doctor` also read NATS directly.

pub mod cli;
pub mod commands;
pub mod failure;
pub mod render;
pub mod view;

use clap::CommandFactory as _;
use cli::{Cli, Command, PartnerCommand, StatsCommand};
use failure::Failure;

/// Runs the command chosen on the command line and returns what to print on stdout.
pub async fn run(cli: &Cli) -> Result<String, Failure> {
    let global = &cli.global;
    match &cli.command {
        Command::Partner(PartnerCommand::Create(args)) => {
            let partner = commands::partner::create(global, args).await?;
            render::partner(&partner, global.output)
        }
        Command::Partner(PartnerCommand::Get(args)) => {
            let partner = commands::partner::get(global, &args.id).await?;
            render::partner(&partner, global.output)
        }
        Command::Partner(command) => commands::partner::run(global, command).await,
        Command::Membership(command) => commands::registry_projects::membership(global, command).await,
        Command::Ptce(command) => commands::registry_projects::ptce(global, command).await,
        Command::Initiative(command) => commands::registry_projects::initiative(global, command).await,
        Command::Sirene(command) => commands::registry_import::run(global, command).await,
        Command::Stats(StatsCommand::PartnersByDepartement) => {
            let stats = commands::stats::partners_by_departement(global).await?;
            render::departements(&stats, global.output)
        }
        Command::Stats(StatsCommand::Partners) => {
            let view = commands::stats::projections(global).await?;
            commands::stats_view::projections(&view, global.output)
        }
        Command::Stats(StatsCommand::Activities) => {
            let view = commands::stats::activities(global).await?;
            commands::stats_view::activities(&view, global.output)
        }
        Command::Stats(StatsCommand::RebuildProjections) => commands::stats::rebuild(global).await,
        Command::Stats(StatsCommand::Import(args)) => {
            let view = commands::stats::import(global, args).await?;
            commands::stats_view::import(&view, global.output)
        }
        Command::Stats(StatsCommand::Datasets) => {
            let list = commands::stats::datasets(global).await?;
            commands::stats_view::datasets(&list, global.output)
        }
        Command::Stats(StatsCommand::Indicators(args)) => {
            let view = commands::stats::indicators(global, args).await?;
            commands::stats_view::indicators(&view, args.measure, global.output)
        }
        Command::Stats(StatsCommand::EssShare(args)) => {
            let view = commands::stats::ess_share(global, args).await?;
            commands::stats_view::shares(&view, global.output)
        }
        Command::Resource(command) => commands::resource::run(global, command).await,
        Command::Activity(command) => commands::activity::run(global, command).await,
        Command::Practice(command) => commands::activity::run_practice(global, command).await,
        Command::Dlq(command) => commands::dlq::run(global, command).await,
        Command::Events(commands::ops_cli::EventsCommand::Tail(args)) => commands::events::tail(global, args).await,
        Command::Doctor(args) => commands::doctor::run(global, args).await,
        Command::Seed(commands::ops_cli::SeedCommand::Demo(args)) => commands::seed::demo(global, args).await,
        Command::Completions(args) => Ok(completions(args.shell)),
        Command::Action(command) => commands::plan::action(global, command).await,
        Command::Report(command) => commands::plan::report(global, command).await,
        Command::Auth(command) => commands::auth::run(command),
        Command::Audit(command) => commands::audit::run(global, command).await,
        Command::Health(args) => {
            let health = commands::health::check(global, &args.targets()).await?;
            let answer = render::health(&health, global.output)?;
            if health.healthy {
                Ok(answer)
            } else {
                Err(Failure::NotServing {
                    answer,
                    services: health.not_serving(),
                })
            }
        }
    }
}

/// The completion script of `essctl` for `shell`, generated from the clap definition (so it
/// follows every new command).
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "essctl", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}
