//! The binaries refuse to start on a missing or malformed setting, and say which.

use std::process::Command;

use ess_e2e::binaries::{auth_env, binary};

/// Runs `name` with the test auth settings (a valid public key, a registry token) and `env`.
fn stderr_of(name: &str, env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(binary(name))
        .env_clear()
        .envs(auth_env())
        .envs(env.iter().copied())
        .output()
        .expect("run the binary");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_service_without_database_url_stops_at_start_naming_it() {
    for name in ["registry", "activities", "observatory"] {
        let (ok, err) = stderr_of(name, &[]);
        assert!(!ok, "{name} must not start");
        assert!(err.contains("DATABASE_URL"), "{name} said: {err}");
    }
}

#[test]
fn a_malformed_grpc_addr_stops_the_service_naming_it() {
    let (ok, err) = stderr_of(
        "registry",
        &[
            ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
            ("GRPC_ADDR", "not-an-address"),
        ],
    );
    assert!(!ok);
    assert!(err.contains("GRPC_ADDR"), "registry said: {err}");
}

#[test]
fn an_unreachable_database_is_reported_without_its_password() {
    let (ok, err) = stderr_of(
        "registry",
        &[("DATABASE_URL", "postgres://ess:s3cret-pw@127.0.0.1:1/ess_registry")],
    );
    assert!(!ok);
    assert!(err.contains("DATABASE_URL"), "registry said: {err}");
    assert!(!err.contains("s3cret-pw"), "the password leaked: {err}");
}

#[test]
fn a_service_without_a_public_key_stops_at_start_naming_the_setting() {
    for name in ["registry", "activities", "observatory"] {
        let out = Command::new(binary(name))
            .env_clear()
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .env("REGISTRY_TOKEN", "x")
            .output()
            .expect("run the binary");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} must not start without a key");
        assert!(err.contains("ESS_AUTH_PUBLIC_KEY_FILE"), "{name} said: {err}");
    }
}

#[test]
fn a_malformed_public_key_stops_the_service_before_it_connects() {
    let (ok, err) = stderr_of(
        "registry",
        &[
            ("DATABASE_URL", "postgres://ess:s3cret-pw@127.0.0.1:1/ess_registry"),
            (
                "ESS_AUTH_PUBLIC_KEY",
                "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
            ),
        ],
    );
    assert!(!ok);
    assert!(err.contains("ESS_AUTH_PUBLIC_KEY"), "registry said: {err}");
    assert!(!err.contains("PostgreSQL"), "the key is checked first: {err}");
}

#[test]
fn activities_without_its_registry_token_stops_at_start_naming_it() {
    let env: Vec<(&str, String)> = auth_env().into_iter().filter(|(k, _)| *k != "REGISTRY_TOKEN").collect();
    let out = Command::new(binary("activities"))
        .env_clear()
        .envs(env)
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .expect("run the binary");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("REGISTRY_TOKEN"), "activities said: {err}");
}
