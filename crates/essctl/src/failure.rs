//! What can make a command fail, and the report printed on stderr: which service, at which
//! address, the gRPC code and message, one line per field violation, and a hint when the fix is
//! likely outside the request (service down, too slow).

use std::{fmt::Write as _, time::Duration};

use clap::ValueEnum;
use platform::grpc::FieldViolation;
use tonic::{Code, Status};

/// One of the platform's services, as the CLI names it to the user. On the command line
/// (`essctl health activities`) it is spelled as [`Service::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Service {
    /// The partner registry.
    Registry,
    /// The activities service.
    Activities,
    /// The observatory.
    Observatory,
}

impl Service {
    /// Every service, in port order (the default of `essctl health`).
    pub const ALL: [Service; 3] = [Service::Registry, Service::Activities, Service::Observatory];

    /// One-word name, as typed on the command line and printed by `essctl health`.
    pub fn key(self) -> &'static str {
        match self {
            Service::Registry => "registry",
            Service::Activities => "activities",
            Service::Observatory => "observatory",
        }
    }

    /// Name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Service::Registry => "registry",
            Service::Activities => "activities service",
            Service::Observatory => "observatory",
        }
    }

    /// Environment variable (and, in kebab case, option) that holds its URL.
    pub fn url_variable(self) -> &'static str {
        match self {
            Service::Registry => "REGISTRY_URL",
            Service::Activities => "ACTIVITIES_URL",
            Service::Observatory => "OBSERVATORY_URL",
        }
    }
}

/// Why a command failed. Every variant turns into a report naming what to look at.
#[derive(Debug)]
pub enum Failure {
    /// The call ended with a non-OK status (or no answer within the timeout).
    Rpc {
        /// Who was called.
        service: Service,
        /// At which URL.
        url: String,
        /// What came back.
        status: Status,
    },
    /// The service answered OK but without what the contract promises (e.g. no partner).
    BadAnswer {
        /// Who answered.
        service: Service,
        /// At which URL.
        url: String,
        /// What was missing or wrong.
        what: String,
    },
    /// Anything before or after the call: a malformed URL, output that could not be encoded.
    Local(anyhow::Error),
    /// `essctl health` found services that are not SERVING. Its lines still go to stdout (a script
    /// reading `--output json` wants them most when something is down); the exit code says 1.
    NotServing {
        /// The rendered health lines, for stdout.
        answer: String,
        /// The services that did not answer SERVING, in the order checked.
        services: Vec<Service>,
    },
    /// `essctl doctor` found something broken. Its diagnosis still goes to stdout.
    Unhealthy {
        /// The rendered diagnosis, for stdout.
        answer: String,
        /// How many checks failed.
        failed: usize,
    },
}

impl Failure {
    /// A call that got no answer within `timeout`, reported like the server's own deadline.
    pub fn timed_out(service: Service, url: &str, timeout: Duration) -> Self {
        Failure::Rpc {
            service,
            url: url.to_owned(),
            status: Status::deadline_exceeded(format!("no answer within {timeout:?}")),
        }
    }

    /// The text for stderr, ending with a newline.
    pub fn report(&self) -> String {
        match self {
            Failure::Rpc { service, url, status } => rpc_report(
                *service,
                url,
                status.code(),
                &status_message(status),
                &platform::grpc::field_violations(status),
            ),
            Failure::BadAnswer { service, url, what } => {
                format!(
                    "error: the {} at {url} gave an unusable answer: {what}\n",
                    service.name()
                )
            }
            Failure::Local(err) => format!("error: {err:#}\n"),
            Failure::NotServing { services, .. } => {
                let names: Vec<&str> = services.iter().map(|s| s.key()).collect();
                format!("error: not serving: {}\n", names.join(", "))
            }
            Failure::Unhealthy { failed, .. } => format!("error: {failed} check(s) failed (see above)\n"),
        }
    }

    /// What goes to stdout despite the failure: the health lines of [`Failure::NotServing`].
    pub fn answer(&self) -> Option<&str> {
        match self {
            Failure::NotServing { answer, .. } | Failure::Unhealthy { answer, .. } => Some(answer),
            _ => None,
        }
    }
}

/// A failed call in one line, `CODE: message: causes` (for `essctl health`'s UNREACHABLE reason).
pub fn status_summary(status: &Status) -> String {
    let message = status_message(status);
    if message.is_empty() {
        code_name(status.code()).to_owned()
    } else {
        format!("{}: {message}", code_name(status.code()))
    }
}

/// The status message followed by its transport-level causes (for `UNAVAILABLE`, tonic puts
/// "connection refused" in the source chain, not in the message).
fn status_message(status: &Status) -> String {
    let mut message = status.message().to_owned();
    let mut cause = std::error::Error::source(status);
    while let Some(err) = cause {
        let text = err.to_string();
        if !message.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
        cause = err.source();
    }
    message
}

/// Formats a failed call: one headline, one line per violation, an optional hint.
pub fn rpc_report(service: Service, url: &str, code: Code, message: &str, violations: &[FieldViolation]) -> String {
    let mut out = format!(
        "error: call to the {} at {url} failed: {}",
        service.name(),
        code_name(code)
    );
    if !message.is_empty() {
        let _ = write!(out, ": {message}");
    }
    out.push('\n');
    for v in violations {
        let _ = writeln!(out, "  - {}: {}", v.field, v.description);
    }
    if let Some(hint) = hint(service, code) {
        let _ = writeln!(out, "hint: {hint}");
    }
    out
}

/// Advice for the codes whose cause is usually the environment rather than the request.
fn hint(service: Service, code: Code) -> Option<String> {
    match code {
        Code::Unavailable => Some(format!(
            "is the {} running? check {} / run deploy/run-local.sh",
            service.name(),
            service.url_variable()
        )),
        Code::DeadlineExceeded => Some(format!(
            "the {} is slow or stuck: retry with a longer --timeout, or look at its log",
            service.name()
        )),
        Code::Unimplemented => Some(format!(
            "does {} point at the {}? the server there does not know this call",
            service.url_variable(),
            service.name()
        )),
        Code::Unauthenticated => Some(
            "no valid token: set ESS_TOKEN, or put the token in ~/.config/essctl/token (or --token-file); \
             an admin issues one with `essctl auth issue`; an expired token must be issued again"
                .to_owned(),
        ),
        Code::PermissionDenied => Some(format!(
            "your token's role (or partner) may not do this on the {}; ask an admin for a token with \
             the right role",
            service.name()
        )),
        _ => None,
    }
}

/// The canonical gRPC name of a code (`INVALID_ARGUMENT`), as grpcurl and the docs spell it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_lists_each_violation_on_its_own_line() {
        let report = rpc_report(
            Service::Registry,
            "http://127.0.0.1:50051",
            Code::InvalidArgument,
            "invalid request: siret: fails the check digit; name: is empty",
            &[
                FieldViolation::new("siret", "fails the check digit"),
                FieldViolation::new("name", "is empty"),
            ],
        );
        assert_eq!(
            report,
            "error: call to the registry at http://127.0.0.1:50051 failed: INVALID_ARGUMENT: \
             invalid request: siret: fails the check digit; name: is empty\n  \
             - siret: fails the check digit\n  \
             - name: is empty\n"
        );
    }

    #[test]
    fn unavailable_hints_at_the_service_url_variable_and_run_local() {
        let report = rpc_report(
            Service::Observatory,
            "http://127.0.0.1:50053",
            Code::Unavailable,
            "tcp connect error",
            &[],
        );
        assert!(report.contains("observatory at http://127.0.0.1:50053 failed: UNAVAILABLE: tcp connect error"));
        assert!(
            report.ends_with("hint: is the observatory running? check OBSERVATORY_URL / run deploy/run-local.sh\n")
        );
    }

    #[test]
    fn not_found_needs_no_hint() {
        let report = rpc_report(
            Service::Registry,
            "http://r",
            Code::NotFound,
            "no partner with this id",
            &[],
        );
        assert_eq!(
            report,
            "error: call to the registry at http://r failed: NOT_FOUND: no partner with this id\n"
        );
    }

    #[test]
    fn an_empty_message_leaves_no_dangling_colon() {
        let report = rpc_report(Service::Activities, "http://a", Code::Internal, "", &[]);
        assert_eq!(
            report,
            "error: call to the activities service at http://a failed: INTERNAL\n"
        );
    }

    #[test]
    fn a_timeout_reads_as_deadline_exceeded_with_a_hint() {
        let report = Failure::timed_out(Service::Registry, "http://r", Duration::from_millis(1500)).report();
        assert!(report.contains("DEADLINE_EXCEEDED: no answer within 1.5s"), "{report}");
        assert!(report.contains("--timeout"), "{report}");
    }

    #[test]
    fn statuses_with_bad_request_details_report_their_violations() {
        let status = platform::grpc::invalid_argument(vec![FieldViolation::new("postal_code", "is not 5 digits")]);
        let report = Failure::Rpc {
            service: Service::Registry,
            url: "http://r".into(),
            status,
        }
        .report();
        assert!(report.contains("\n  - postal_code: is not 5 digits\n"), "{report}");
    }

    #[test]
    fn not_serving_names_the_services_on_stderr_and_keeps_the_lines_for_stdout() {
        let failure = Failure::NotServing {
            answer: "activities  http://a  NOT_SERVING\n".into(),
            services: vec![Service::Activities, Service::Observatory],
        };
        assert_eq!(failure.report(), "error: not serving: activities, observatory\n");
        assert_eq!(failure.answer(), Some("activities  http://a  NOT_SERVING\n"));
    }

    #[test]
    fn other_failures_print_nothing_on_stdout() {
        assert_eq!(
            Failure::timed_out(Service::Registry, "http://r", Duration::from_secs(1)).answer(),
            None
        );
    }

    #[test]
    fn a_status_summary_starts_with_the_code_name() {
        assert_eq!(
            status_summary(&Status::unavailable("tcp connect error")),
            "UNAVAILABLE: tcp connect error"
        );
        assert_eq!(status_summary(&Status::unimplemented("")), "UNIMPLEMENTED");
    }

    #[test]
    fn service_keys_are_the_command_line_spellings() {
        for service in Service::ALL {
            let value = service.to_possible_value().expect("no variant is skipped");
            assert_eq!(value.get_name(), service.key());
        }
    }

    #[test]
    fn code_names_follow_the_grpc_spelling() {
        assert_eq!(code_name(Code::AlreadyExists), "ALREADY_EXISTS");
        assert_eq!(code_name(Code::FailedPrecondition), "FAILED_PRECONDITION");
    }
}
