//! `essctl health` against in-process `grpc.health.v1` servers (tonic-health, as the services
//! use it): SERVING passes, NOT_SERVING and a closed port fail, and every line is printed either way.

use std::sync::Once;

use clap::Parser as _;
use essctl::{cli::Cli, failure::Failure};
use platform::config::{LogFormat, TelemetryArgs};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic_health::ServingStatus;

fn init_telemetry() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let args = TelemetryArgs {
            otlp_endpoint: None,
            service_name: None,
            log_filter: "off".into(),
            log_format: LogFormat::Text,
        };
        let guard = platform::telemetry::init(&args, "essctl-test").expect("first and only init");
        // Nothing to flush without an exporter; the provider lives as long as the process.
        std::mem::forget(guard);
    });
}

/// Serves a health service reporting `status` for the whole server until the token is cancelled.
async fn health_server(status: ServingStatus) -> (String, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter.set_service_status("", status).await;
    let token = CancellationToken::new();
    tokio::spawn(platform::grpc::serve(
        listener,
        Routes::new(service),
        platform::testing::test_auth(&[]),
        token.clone(),
    ));
    (url, token)
}

/// A port that was free a moment ago: nothing listens there.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    format!("http://{}", listener.local_addr().expect("bound address"))
}

fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("essctl").chain(args.iter().copied())).expect("valid command line")
}

#[tokio::test]
async fn all_serving_prints_one_line_each_and_succeeds() {
    init_telemetry();
    let (registry, t1) = health_server(ServingStatus::Serving).await;
    let (activities, t2) = health_server(ServingStatus::Serving).await;
    let (observatory, t3) = health_server(ServingStatus::Serving).await;
    let out = essctl::run(&cli(&[
        "--registry-url",
        &registry,
        "--activities-url",
        &activities,
        "--observatory-url",
        &observatory,
        "health",
    ]))
    .await
    .expect("all serving");
    for t in [t1, t2, t3] {
        t.cancel();
    }
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("registry ") && lines[0].ends_with("  SERVING"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("activities ") && lines[1].contains(&activities),
        "{out}"
    );
    assert!(
        lines[2].starts_with("observatory ") && lines[2].ends_with("  SERVING"),
        "{out}"
    );
}

#[tokio::test]
async fn a_service_not_serving_fails_and_still_prints_every_line() {
    init_telemetry();
    let (registry, t1) = health_server(ServingStatus::Serving).await;
    let (observatory, t2) = health_server(ServingStatus::NotServing).await;
    let failure = essctl::run(&cli(&[
        "--registry-url",
        &registry,
        "--observatory-url",
        &observatory,
        "health",
        "registry",
        "observatory",
    ]))
    .await
    .expect_err("the observatory is not serving");
    t1.cancel();
    t2.cancel();
    let answer = failure.answer().expect("lines for stdout");
    assert!(answer.contains("  SERVING\n"), "{answer}");
    assert!(
        answer.ends_with(&format!("observatory  {observatory}  NOT_SERVING\n")),
        "{answer}"
    );
    assert_eq!(failure.report(), "error: not serving: observatory\n");
}

#[tokio::test]
async fn a_closed_port_is_unreachable_with_the_reason() {
    init_telemetry();
    let url = closed_port().await;
    let failure = essctl::run(&cli(&[
        "--activities-url",
        &url,
        "--output",
        "json",
        "health",
        "activities",
    ]))
    .await
    .expect_err("nobody listens");
    let Failure::NotServing { answer, .. } = &failure else {
        panic!("expected NotServing, got {}", failure.report());
    };
    let value: serde_json::Value = serde_json::from_str(answer).expect("JSON");
    assert_eq!(value["healthy"], false);
    assert_eq!(value["services"][0]["service"], "activities");
    assert_eq!(value["services"][0]["status"], "UNREACHABLE");
    let reason = value["services"][0]["reason"].as_str().expect("a reason");
    assert!(reason.starts_with("UNAVAILABLE"), "{reason}");
}

#[tokio::test]
async fn a_server_without_the_health_service_is_unreachable() {
    init_telemetry();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    let token = CancellationToken::new();
    // A gRPC server that serves something else: reflection only.
    let routes = platform::grpc::reflection_routes(Routes::default(), &[tonic_health::pb::FILE_DESCRIPTOR_SET])
        .expect("reflection builds");
    tokio::spawn(platform::grpc::serve(
        listener,
        routes,
        platform::testing::test_auth(&[]),
        token.clone(),
    ));
    let failure = essctl::run(&cli(&["--registry-url", &url, "health", "registry"]))
        .await
        .expect_err("no health service");
    token.cancel();
    let answer = failure.answer().expect("lines for stdout");
    assert!(answer.contains("UNREACHABLE (UNIMPLEMENTED"), "{answer}");
}
