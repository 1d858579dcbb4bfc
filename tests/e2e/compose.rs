//! `docker-compose.yml` kept true without a Docker engine: every service container is configured
//! only with settings its binary accepts (read from the binaries' own clap definitions), gets the
//! ones it requires, and publishes and health-checks the port it listens on.

use std::collections::BTreeSet;

use clap::CommandFactory as _;
use yaml_rust2::{Yaml, YamlLoader};

fn compose() -> Yaml {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docker-compose.yml");
    let text = std::fs::read_to_string(&path).expect("docker-compose.yml at the repository root");
    YamlLoader::load_from_str(&text).expect("valid YAML").remove(0)
}

fn accepted_env(cmd: &clap::Command) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut accepted = BTreeSet::new();
    let mut required = BTreeSet::new();
    for arg in cmd.get_arguments() {
        if let Some(env) = arg.get_env() {
            let env = env.to_string_lossy().into_owned();
            if arg.is_required_set() {
                required.insert(env.clone());
            }
            accepted.insert(env);
        }
    }
    (accepted, required)
}

#[test]
fn every_service_container_gets_settings_its_binary_accepts_and_listens_where_it_is_checked() {
    let doc = compose();
    let services = [
        ("registry", registry::Config::command(), "--registry-url"),
        ("activities", activities::Config::command(), "--activities-url"),
        // The observatory's binary reads `Settings` (Config + import limits + dashboard).
        (
            "observatory",
            observatory::config::Settings::command(),
            "--observatory-url",
        ),
    ];
    for (name, cmd, url_flag) in services {
        let svc = &doc["services"][name];
        assert!(!svc.is_badvalue(), "{name} is missing from docker-compose.yml");
        assert_eq!(svc["command"][0].as_str(), Some(name), "{name} runs its own binary");

        let env = svc["environment"]
            .as_hash()
            .unwrap_or_else(|| panic!("{name} has an environment map"));
        let given: BTreeSet<String> = env.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect();
        let (accepted, required) = accepted_env(&cmd);
        let unknown: Vec<_> = given.difference(&accepted).collect();
        assert!(
            unknown.is_empty(),
            "{name}: compose sets {unknown:?}, which its binary does not read"
        );
        let missing: Vec<_> = required.difference(&given).collect();
        assert!(
            missing.is_empty(),
            "{name}: compose does not set the required {missing:?}"
        );

        let addr = env[&Yaml::String("GRPC_ADDR".into())].as_str().expect("GRPC_ADDR");
        let port = addr.rsplit_once(':').map(|(_, p)| p).expect("GRPC_ADDR has a port");
        let published: Vec<&str> = svc["ports"]
            .as_vec()
            .expect("ports")
            .iter()
            .filter_map(Yaml::as_str)
            .collect();
        assert!(
            published.iter().any(|p| p.ends_with(&format!(":{port}"))),
            "{name} listens on {port} but publishes {published:?}"
        );

        let check: Vec<&str> = svc["healthcheck"]["test"]
            .as_vec()
            .expect("healthcheck")
            .iter()
            .filter_map(Yaml::as_str)
            .collect();
        let url = check
            .iter()
            .position(|a| *a == url_flag)
            .map(|i| check[i + 1])
            .expect("the check names the URL");
        assert_eq!(
            url,
            format!("http://127.0.0.1:{port}"),
            "{name}'s health check targets its own port"
        );
        assert!(
            check.contains(&"essctl") && check.contains(&"health") && check.contains(&name),
            "{check:?}"
        );

        for dep in ["postgres", "nats"] {
            assert_eq!(
                svc["depends_on"][dep]["condition"].as_str(),
                Some("service_healthy"),
                "{name} waits for a healthy {dep}"
            );
        }
    }
}

#[test]
fn no_credential_is_written_in_the_compose_file() {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docker-compose.yml"))
        .unwrap();
    for line in text.lines().filter(|l| l.contains("postgres://")) {
        assert!(
            line.contains("${ESS_") && line.contains("_PASSWORD:?"),
            "a database URL with a literal password: {line}"
        );
    }
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("NATS_PASSWORD:") || l.contains("_PASSWORD: "))
    {
        let value = line.split_once(':').map(|(_, v)| v.trim()).unwrap_or_default();
        assert!(value.starts_with("${ESS_"), "a literal password: {line}");
    }
}

/// The environment variables `essctl seed demo` reads: the global ones and the command's own.
fn seed_demo_env() -> BTreeSet<String> {
    let cli = essctl::cli::Cli::command();
    let (mut accepted, _) = accepted_env(&cli);
    let demo = cli
        .find_subcommand("seed")
        .and_then(|seed| seed.find_subcommand("demo"))
        .expect("essctl seed demo exists");
    accepted.extend(accepted_env(demo).0);
    accepted
}

#[test]
fn the_one_shot_seed_runs_essctl_after_the_services_are_healthy_and_can_be_switched_off() {
    let doc = compose();
    let seed = &doc["services"]["seed"];
    assert!(
        !seed.is_badvalue(),
        "the seed service is missing from docker-compose.yml"
    );
    let command: Vec<&str> = seed["command"]
        .as_vec()
        .expect("command")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(command, ["essctl", "seed", "demo"]);
    assert_eq!(seed["restart"].as_str(), Some("no"), "a one-shot is not restarted");

    let env = seed["environment"].as_hash().expect("an environment map");
    let given: BTreeSet<String> = env.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect();
    let accepted = seed_demo_env();
    let unknown: Vec<_> = given.difference(&accepted).collect();
    assert!(
        unknown.is_empty(),
        "seed: compose sets {unknown:?}, which essctl does not read"
    );
    assert_eq!(
        env[&Yaml::String("ESS_SEED_DEMO".into())].as_str(),
        Some("${ESS_SEED_DEMO:-true}"),
        "on by default, switched off by ESS_SEED_DEMO=false"
    );

    for (service, variable) in [
        ("registry", "REGISTRY_URL"),
        ("activities", "ACTIVITIES_URL"),
        ("observatory", "OBSERVATORY_URL"),
    ] {
        assert_eq!(
            seed["depends_on"][service]["condition"].as_str(),
            Some("service_healthy"),
            "the seed waits for a healthy {service}"
        );
        let addr = doc["services"][service]["environment"]["GRPC_ADDR"]
            .as_str()
            .expect("GRPC_ADDR");
        let port = addr.rsplit_once(':').map(|(_, p)| p).expect("a port");
        assert_eq!(
            env[&Yaml::String(variable.into())].as_str(),
            Some(format!("http://{service}:{port}").as_str()),
            "the seed calls the {service} where it listens"
        );
    }
}
