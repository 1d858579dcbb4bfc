//! `essctl` against an in-process fake registry: the answer is rendered, the call carries the
//! command span's `traceparent`, and each kind of failure gives the report a user needs.

use std::{
    sync::{Arc, Mutex, Once},
    time::Duration,
};

use clap::Parser as _;
use ess_proto::registry::v1::{
    self as registry, CreatePartnerRequest, CreatePartnerResponse, GetPartnerRequest, GetPartnerResponse, Partner,
    partner_registry_server::{PartnerRegistry, PartnerRegistryServer},
};
use essctl::cli::Cli;
use platform::{
    access::{MethodAccess, roles},
    auth::Access,
    config::{LogFormat, TelemetryArgs},
    grpc::FieldViolation,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, service::Routes};

/// Answers like the registry, and remembers the `traceparent` of each call.
#[derive(Clone, Default)]
struct FakeRegistry {
    traceparents: Arc<Mutex<Vec<Option<String>>>>,
}

#[tonic::async_trait]
impl PartnerRegistry for FakeRegistry {
    async fn create_partner(
        &self,
        request: Request<CreatePartnerRequest>,
    ) -> Result<Response<CreatePartnerResponse>, Status> {
        let traceparent = request
            .metadata()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.traceparents.lock().expect("not poisoned").push(traceparent);
        let r = request.into_inner();
        if r.siret != "73282932000074" {
            return Err(platform::grpc::invalid_argument(vec![FieldViolation::new(
                "siret",
                "fails the check digit",
            )]));
        }
        Ok(Response::new(CreatePartnerResponse {
            partner: Some(Partner {
                id: "0190a1b2-0000-7000-8000-000000000001".into(),
                name: r.name,
                siret: r.siret,
                commune_code: r.commune_code,
                postal_code: r.postal_code,
                departement_code: "14".into(),
                version: 1,
                created_at: Some(prost_types::Timestamp {
                    seconds: 1_750_000_000,
                    nanos: 0,
                }),
                ..Default::default()
            }),
        }))
    }

    async fn get_partner(&self, request: Request<GetPartnerRequest>) -> Result<Response<GetPartnerResponse>, Status> {
        if request.get_ref().id == "slow" {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        Err(Status::not_found("no partner with this id"))
    }

    async fn update_partner(
        &self,
        _: Request<registry::UpdatePartnerRequest>,
    ) -> Result<Response<registry::UpdatePartnerResponse>, Status> {
        Err(Status::unimplemented("not faked"))
    }

    async fn archive_partner(
        &self,
        _: Request<registry::ArchivePartnerRequest>,
    ) -> Result<Response<registry::ArchivePartnerResponse>, Status> {
        Err(Status::unimplemented("not faked"))
    }

    async fn lookup_partners(
        &self,
        _: Request<registry::LookupPartnersRequest>,
    ) -> Result<Response<registry::LookupPartnersResponse>, Status> {
        Err(Status::unimplemented("not faked"))
    }

    async fn list_partners(
        &self,
        _: Request<registry::ListPartnersRequest>,
    ) -> Result<Response<registry::ListPartnersResponse>, Status> {
        Err(Status::unimplemented("not faked"))
    }

    async fn add_contact(
        &self,
        _: Request<registry::AddContactRequest>,
    ) -> Result<Response<registry::AddContactResponse>, Status> {
        Err(Status::unimplemented("not faked"))
    }

    async fn erase_contact(
        &self,
        _: Request<registry::EraseContactRequest>,
    ) -> Result<Response<registry::EraseContactResponse>, Status> {
        Err(Status::unimplemented("not faked"))
    }
}

/// The tracing subscriber is global: install it once per test process. No exporter is set, but
/// spans still get real trace ids, which is what propagation needs.
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

/// Serves a fake registry on a free port until the token is cancelled.
async fn fake_registry() -> (String, FakeRegistry, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    let fake = FakeRegistry::default();
    let token = CancellationToken::new();
    let routes = Routes::new(PartnerRegistryServer::new(fake.clone()));
    tokio::spawn(platform::grpc::serve(
        listener,
        routes,
        platform::testing::test_auth(FAKE_ACCESS),
        token.clone(),
    ));
    (url, fake, token)
}

/// The fake registry's access: staff create, partners read (as in the registry's table).
const FAKE_ACCESS: &[MethodAccess] = &[
    MethodAccess::write("/ess.registry.v1.PartnerRegistry/CreatePartner", roles::STAFF),
    MethodAccess::read("/ess.registry.v1.PartnerRegistry/GetPartner", roles::STAFF_AND_PARTNERS),
];

/// The command line with a staff token in front (as ESS_TOKEN would give it).
fn cli(args: &[&str]) -> Cli {
    let token = platform::testing::token(Access::Staff);
    cli_with(&["--token", token.expose()], args)
}

fn cli_with(before: &[&str], args: &[&str]) -> Cli {
    Cli::try_parse_from(
        std::iter::once("essctl")
            .chain(before.iter().copied())
            .chain(args.iter().copied()),
    )
    .expect("valid command line")
}

#[tokio::test]
async fn a_call_without_a_token_is_refused_with_a_hint() {
    init_telemetry();
    let (url, _fake, token) = fake_registry().await;
    let empty = tempfile::NamedTempFile::new().expect("a temporary file");
    let path = empty.path().to_string_lossy().into_owned();
    let failure = essctl::run(&cli_with(
        &["--token-file", &path],
        &["--registry-url", &url, "partner", "get", "0190"],
    ))
    .await
    .expect_err("refused");
    token.cancel();
    let report = failure.report();
    assert!(report.contains("UNAUTHENTICATED"), "{report}");
    assert!(report.contains("ESS_TOKEN"), "{report}");
}

#[tokio::test]
async fn a_role_that_may_not_call_is_refused_with_a_hint() {
    init_telemetry();
    let (url, _fake, token) = fake_registry().await;
    let public = platform::testing::token(Access::Public);
    let failure = essctl::run(&cli_with(
        &["--token", public.expose()],
        &["--registry-url", &url, "partner", "get", "0190"],
    ))
    .await
    .expect_err("refused");
    token.cancel();
    let report = failure.report();
    assert!(report.contains("PERMISSION_DENIED"), "{report}");
    assert!(report.contains("right role"), "{report}");
}

#[tokio::test]
async fn create_prints_the_partner_and_sends_the_command_span_traceparent() {
    init_telemetry();
    let (url, fake, token) = fake_registry().await;
    let out = essctl::run(&cli(&[
        "--registry-url",
        &url,
        "partner",
        "create",
        "--name",
        "Coop Test",
        "--siret",
        "73282932000074",
        "--commune",
        "14118",
    ]))
    .await
    .expect("created");
    token.cancel();

    assert!(
        out.contains("id              0190a1b2-0000-7000-8000-000000000001\n"),
        "{out}"
    );
    assert!(out.contains("postal code     -\n"), "{out}");
    let seen = fake.traceparents.lock().expect("not poisoned").clone();
    let traceparent = seen[0].clone().expect("the call carried a traceparent");
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!(
        (parts[0], parts[1].len(), parts[2].len()),
        ("00", 32, 16),
        "{traceparent}"
    );
    assert_ne!(parts[1], "0".repeat(32), "a real trace id");
}

#[tokio::test]
async fn create_in_json_gives_machine_readable_output() {
    init_telemetry();
    let (url, _fake, token) = fake_registry().await;
    let out = essctl::run(&cli(&[
        "--registry-url",
        &url,
        "--output",
        "json",
        "partner",
        "create",
        "--name",
        "Coop Test",
        "--siret",
        "73282932000074",
        "--postal-code",
        "14000",
    ]))
    .await
    .expect("created");
    token.cancel();

    let value: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(value["postal_code"], "14000");
    assert_eq!(value["commune_code"], serde_json::Value::Null);
    assert_eq!(value["created_at"], "2025-06-15T15:06:40Z");
}

#[tokio::test]
async fn an_invalid_request_reports_each_field_violation() {
    init_telemetry();
    let (url, _fake, token) = fake_registry().await;
    let failure = essctl::run(&cli(&[
        "--registry-url",
        &url,
        "partner",
        "create",
        "--name",
        "X",
        "--siret",
        "73282932000075",
        "--commune",
        "14118",
    ]))
    .await
    .expect_err("the registry refuses it");
    token.cancel();

    let report = failure.report();
    assert!(
        report.starts_with(&format!(
            "error: call to the registry at {url} failed: INVALID_ARGUMENT"
        )),
        "{report}"
    );
    assert!(report.contains("\n  - siret: fails the check digit\n"), "{report}");
}

#[tokio::test]
async fn a_missing_partner_reports_not_found() {
    init_telemetry();
    let (url, _fake, token) = fake_registry().await;
    let failure = essctl::run(&cli(&["--registry-url", &url, "partner", "get", "0190"]))
        .await
        .expect_err("not found");
    token.cancel();
    assert!(
        failure.report().contains("failed: NOT_FOUND: no partner with this id"),
        "{}",
        failure.report()
    );
}

#[tokio::test]
async fn a_slow_service_hits_the_timeout() {
    init_telemetry();
    let (url, _fake, token) = fake_registry().await;
    let failure = essctl::run(&cli(&[
        "--registry-url",
        &url,
        "--timeout",
        "300ms",
        "partner",
        "get",
        "slow",
    ]))
    .await
    .expect_err("too slow");
    token.cancel();
    let report = failure.report();
    assert!(report.contains("DEADLINE_EXCEEDED"), "{report}");
    assert!(report.contains("--timeout"), "{report}");
}

#[tokio::test]
async fn a_service_that_is_down_reports_unavailable_with_a_hint() {
    init_telemetry();
    // A port that was free a moment ago: nothing listens there.
    let url = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        format!("http://{}", listener.local_addr().expect("bound address"))
    };
    let failure = essctl::run(&cli(&["--registry-url", &url, "partner", "get", "0190"]))
        .await
        .expect_err("nobody listens");
    let report = failure.report();
    assert!(
        report.contains(&format!("registry at {url} failed: UNAVAILABLE")),
        "{report}"
    );
    assert!(
        report.contains("hint: is the registry running? check REGISTRY_URL / run deploy/run-local.sh"),
        "{report}"
    );
}
