//! `essctl doctor`: checks what the platform needs, in the order an operator would — each
//! service's gRPC health, NATS, the stream, its durable consumers (pending, redelivered) and dead
//! letters — and says in plain words what is wrong and which address or setting to check.

use std::time::Duration;

use async_nats::jetstream::{self, stream::Stream};
use futures::TryStreamExt as _;
use serde::Serialize;

use super::{health, ops_cli::DoctorArgs};
use crate::{
    cli::{GlobalArgs, Output},
    failure::{Failure, Service},
    view::HealthStatus,
};

/// The durable consumers the services create at start, with the service that runs each.
pub const EXPECTED_CONSUMERS: [(&str, Service); 3] = [
    ("activities-registry", Service::Activities),
    ("observatory-registry", Service::Observatory),
    ("observatory-activities", Service::Observatory),
];

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Works, but worth a look (a lagging consumer, dead letters).
    Warn,
    /// Broken: the platform does not work as it should.
    Fail,
}

/// One check: what was looked at, what was found, what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked (`registry`, `nats`, `stream ESS`, `consumer observatory-registry`).
    pub name: String,
    /// The outcome.
    pub verdict: Verdict,
    /// What was found, in plain words.
    pub detail: String,
    /// What to check or do, when not ok.
    pub hint: Option<String>,
}

impl Check {
    fn new(name: impl Into<String>, verdict: Verdict, detail: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            name: name.into(),
            verdict,
            detail: detail.into(),
            hint,
        }
    }
}

/// Everything `doctor` found.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// True when no check failed (warnings allowed).
    pub healthy: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
}

/// Runs every check and returns the rendered diagnosis; fails (exit 1) when a check failed.
pub async fn run(global: &GlobalArgs, args: &DoctorArgs) -> Result<String, Failure> {
    let diagnosis = diagnose(global, args).await?;
    let answer = render(&diagnosis, global.output)?;
    if diagnosis.healthy {
        Ok(answer)
    } else {
        let failed = diagnosis.checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
        Err(Failure::Unhealthy { answer, failed })
    }
}

/// The checks, without rendering.
pub async fn diagnose(global: &GlobalArgs, args: &DoctorArgs) -> Result<Diagnosis, Failure> {
    let mut checks = Vec::new();
    let health = health::check(global, &Service::ALL).await?;
    for service in &health.services {
        let name = service.service.key();
        let variable = service.service.url_variable();
        checks.push(match service.status {
            HealthStatus::Serving => Check::new(name, Verdict::Ok, format!("SERVING at {}", service.url), None),
            HealthStatus::NotServing => Check::new(
                name,
                Verdict::Fail,
                format!("runs at {} but is NOT_SERVING", service.url),
                Some(
                    "its database or NATS does not answer: check its DATABASE_URL and NATS_URL, and its log".to_owned(),
                ),
            ),
            HealthStatus::Unreachable => Check::new(
                name,
                Verdict::Fail,
                format!(
                    "unreachable at {} ({})",
                    service.url,
                    service.reason.as_deref().unwrap_or("no answer")
                ),
                Some(format!(
                    "is the {} running? check {variable} (here {}), or start it (deploy/run-local.sh start)",
                    service.service.name(),
                    service.url
                )),
            ),
            _ => Check::new(
                name,
                Verdict::Fail,
                format!("answered {:?} at {}", service.status, service.url),
                Some(format!("check {variable} and the service's log")),
            ),
        });
    }
    check_bus(global.timeout, args, &mut checks).await;
    let healthy = checks.iter().all(|c| c.verdict != Verdict::Fail);
    Ok(Diagnosis { healthy, checks })
}

async fn check_bus(timeout: Duration, args: &DoctorArgs, checks: &mut Vec<Check>) {
    let url = &args.nats.url;
    let options = args.nats_credentials.apply(async_nats::ConnectOptions::new());
    let client = match tokio::time::timeout(timeout, options.connect(url.as_str())).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => {
            checks.push(Check::new(
                "nats",
                Verdict::Fail,
                format!("cannot connect to {url}: {e}"),
                Some("is nats-server running with JetStream (-js)? check NATS_URL".to_owned()),
            ));
            return;
        }
        Err(_) => {
            checks.push(Check::new(
                "nats",
                Verdict::Fail,
                format!("no answer from {url} within {timeout:?}"),
                Some("check NATS_URL and that the port is NATS's client port (4222)".to_owned()),
            ));
            return;
        }
    };
    checks.push(Check::new("nats", Verdict::Ok, format!("connected to {url}"), None));
    let js = jetstream::new(client);
    let name = format!("stream {}", args.nats.stream);
    let mut stream = match js.get_stream(&args.nats.stream).await {
        Ok(stream) => stream,
        Err(e) => {
            checks.push(Check::new(
                name,
                Verdict::Fail,
                format!("not found on {url}: {e}"),
                Some(format!(
                    "the services create it at start: is ESS_STREAM ({}) the same as theirs, and is JetStream enabled?",
                    args.nats.stream
                )),
            ));
            return;
        }
    };
    let expected_subjects = format!("{}.>", args.nats.subject_prefix);
    match stream.info().await {
        Ok(info) => {
            let subjects = info.config.subjects.clone();
            let state = &info.state;
            if subjects.contains(&expected_subjects) {
                checks.push(Check::new(
                    name,
                    Verdict::Ok,
                    format!(
                        "{} messages, {} bytes, last sequence {}, subjects {}",
                        state.messages,
                        state.bytes,
                        state.last_sequence,
                        subjects.join(",")
                    ),
                    None,
                ));
            } else {
                checks.push(Check::new(
                    name,
                    Verdict::Fail,
                    format!("covers {} but not {expected_subjects}", subjects.join(",")),
                    Some("ESS_SUBJECT_PREFIX differs between essctl and the services that made the stream".to_owned()),
                ));
            }
        }
        Err(e) => checks.push(Check::new(
            name,
            Verdict::Fail,
            format!("cannot read its state: {e}"),
            Some(format!("check NATS at {url}")),
        )),
    }
    check_consumers(&stream, args, checks).await;
    check_dead_letters(&stream, args, checks).await;
}

async fn check_consumers(stream: &Stream, args: &DoctorArgs, checks: &mut Vec<Check>) {
    let consumers: Vec<_> = match stream.consumers().try_collect().await {
        Ok(list) => list,
        Err(e) => {
            checks.push(Check::new(
                "consumers",
                Verdict::Fail,
                format!("cannot list the consumers of {}: {e}", args.nats.stream),
                None,
            ));
            return;
        }
    };
    for (durable, service) in EXPECTED_CONSUMERS {
        let name = format!("consumer {durable}");
        let Some(info) = consumers.iter().find(|c| c.name == durable) else {
            checks.push(Check::new(
                name,
                Verdict::Fail,
                "does not exist",
                Some(format!(
                    "the {} creates it at start: is it running on this NATS_URL with ESS_STREAM={}?",
                    service.name(),
                    args.nats.stream
                )),
            ));
            continue;
        };
        let detail = format!(
            "{} pending, {} awaiting ack, {} redelivered",
            info.num_pending, info.num_ack_pending, info.num_redelivered
        );
        let check = if info.num_pending > args.max_pending {
            Check::new(
                name,
                Verdict::Warn,
                format!("lagging: {detail}"),
                Some(format!(
                    "the {} is behind: look at its log and at its database (DATABASE_URL)",
                    service.name()
                )),
            )
        } else if info.num_redelivered > 0 {
            Check::new(
                name,
                Verdict::Warn,
                detail,
                Some(format!(
                    "messages are being retried: the {} log says why (essctl dlq list --consumer {durable})",
                    service.name()
                )),
            )
        } else {
            Check::new(name, Verdict::Ok, detail, None)
        };
        checks.push(check);
    }
}

async fn check_dead_letters(stream: &Stream, args: &DoctorArgs, checks: &mut Vec<Check>) {
    let filter = format!("{}.dlq.>", args.nats.subject_prefix);
    let counts: Result<Vec<(String, usize)>, _> = match stream.info_with_subjects(&filter).await {
        Ok(subjects) => subjects.try_collect().await,
        Err(e) => {
            checks.push(Check::new(
                "dead letters",
                Verdict::Warn,
                format!("cannot count them: {e}"),
                None,
            ));
            return;
        }
    };
    match counts {
        Ok(counts) if counts.iter().all(|(_, n)| *n == 0) => {
            checks.push(Check::new("dead letters", Verdict::Ok, "none", None));
        }
        Ok(counts) => {
            let mut parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} on {s}")).collect();
            parts.sort();
            checks.push(Check::new(
                "dead letters",
                Verdict::Warn,
                parts.join(", "),
                Some("see them with `essctl dlq list`; after fixing the cause, `essctl dlq replay`".to_owned()),
            ));
        }
        Err(e) => checks.push(Check::new(
            "dead letters",
            Verdict::Warn,
            format!("cannot count them: {e}"),
            None,
        )),
    }
}

/// The diagnosis as lines (`ok`, `WARN`, `FAIL`, with hints) or JSON.
pub fn render(diagnosis: &Diagnosis, output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return crate::render::json(diagnosis);
    }
    let width = diagnosis
        .checks
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for check in &diagnosis.checks {
        let verdict = match check.verdict {
            Verdict::Ok => "ok  ",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        };
        let pad = width - check.name.chars().count();
        out.push_str(&format!(
            "{verdict}  {}{}  {}\n",
            check.name,
            " ".repeat(pad),
            check.detail
        ));
        if let Some(hint) = &check.hint {
            out.push_str(&format!("      {}  → {hint}\n", " ".repeat(width)));
        }
    }
    out.push_str(if diagnosis.healthy {
        "everything needed answers\n"
    } else {
        "something is wrong: see FAIL above\n"
    });
    Ok(out)
}
