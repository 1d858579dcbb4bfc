//! `essctl dlq list|replay`: the dead letters of the services' durable consumers, through the
//! `ess.platform.v1.DeadLetters` service that each service serves for its own consumers.

use ess_proto::platform::v1::{
    DeadLetter, ListDeadLettersRequest, ReplayDeadLettersRequest, dead_letters_client::DeadLettersClient,
};
use serde::Serialize;
use tracing::{Span, field::Empty};

use super::{
    Transport, call,
    ops_cli::{DlqCommand, DlqListArgs, DlqReplayArgs},
    request, transport,
};
use crate::{
    cli::{GlobalArgs, Output},
    failure::{Failure, Service},
    render::{self, Align},
};

type Client = DeadLettersClient<Transport>;

fn client(global: &GlobalArgs, service: Service) -> Result<Client, Failure> {
    Ok(DeadLettersClient::new(transport(
        service,
        global.url(service),
        global.timeout,
        global.bearer()?,
    )?))
}

fn span(global: &GlobalArgs, service: Service, method: &'static str) -> Span {
    tracing::info_span!(
        parent: None,
        "essctl dlq",
        otel.name = %format!("essctl {method}"),
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = "ess.platform.v1.DeadLetters",
        rpc.method = method,
        rpc.grpc.status_code = Empty,
        server.address = %global.url(service),
    )
}

/// Runs `essctl dlq …` and returns what to print.
pub async fn run(global: &GlobalArgs, command: &DlqCommand) -> Result<String, Failure> {
    match command {
        DlqCommand::List(args) => {
            let letters = list(global, args).await?;
            render_list(&letters, global.output)
        }
        DlqCommand::Replay(args) => {
            let replayed = replay(global, args).await?;
            render_replayed(&replayed, global.output)
        }
    }
}

/// The service that runs `consumer`: durable names start with their service's name
/// (`observatory-registry` is the observatory's consumer of registry events).
pub fn service_of(consumer: &str) -> Option<Service> {
    let first = consumer.split('-').next()?;
    Service::ALL.into_iter().find(|s| s.key() == first)
}

fn chosen_service(explicit: Option<Service>, consumer: &str) -> Result<Service, Failure> {
    explicit.or_else(|| service_of(consumer)).ok_or_else(|| {
        Failure::Local(anyhow::anyhow!(
            "cannot tell which service runs the consumer {consumer:?}: give --service registry|activities|observatory"
        ))
    })
}

/// One dead letter, with the service that holds it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterView {
    /// Service whose consumer gave up the message.
    pub service: &'static str,
    /// Stream sequence of the dead letter (what `dlq replay` takes).
    pub sequence: u64,
    /// Durable consumer that gave up.
    pub consumer: String,
    /// Subject the event was first published on.
    pub original_subject: String,
    /// Stream sequence of the original message.
    pub original_sequence: u64,
    /// Event id (kept on replay, so consumers that applied it skip it).
    pub event_id: String,
    /// Protobuf name of the payload.
    pub event_type: String,
    /// Why the consumer gave up.
    pub reason: String,
    /// How many times it was delivered.
    pub deliveries: u32,
    /// When it was dead-lettered (RFC 3339, UTC).
    pub dead_lettered_at: Option<String>,
}

impl DeadLetterView {
    fn new(service: Service, d: DeadLetter) -> Self {
        Self {
            service: service.key(),
            sequence: d.sequence,
            consumer: d.consumer,
            original_subject: d.original_subject,
            original_sequence: d.original_sequence,
            event_id: d.event_id,
            event_type: d.event_type,
            reason: d.reason,
            deliveries: d.deliveries,
            dead_lettered_at: d.dead_lettered_at.and_then(|t| {
                chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            }),
        }
    }
}

/// Lists the dead letters of the service chosen (or of each service in turn).
pub async fn list(global: &GlobalArgs, args: &DlqListArgs) -> Result<Vec<DeadLetterView>, Failure> {
    let services = match (&args.service, &args.consumer) {
        (Some(service), _) => vec![*service],
        (None, Some(consumer)) => vec![chosen_service(None, consumer)?],
        (None, None) => Service::ALL.to_vec(),
    };
    let mut found = Vec::new();
    for service in services {
        let span = span(global, service, "ListDeadLetters");
        let message = ListDeadLettersRequest {
            consumer: args.consumer.clone().unwrap_or_default(),
            limit: args.limit,
        };
        let mut client = client(global, service)?;
        let url = global.url(service);
        let answer = call(
            service,
            url,
            global.timeout,
            &span,
            client.list_dead_letters(request(message, global.timeout)),
        )
        .await?;
        found.extend(answer.dead_letters.into_iter().map(|d| DeadLetterView::new(service, d)));
    }
    Ok(found)
}

/// What `dlq replay` did.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayedView {
    /// The service asked.
    pub service: &'static str,
    /// The consumer whose dead letters were replayed.
    pub consumer: String,
    /// Sequences of the dead letters published again (and removed).
    pub replayed: Vec<u64>,
}

/// Replays the dead letters named (or all of them) of one consumer.
pub async fn replay(global: &GlobalArgs, args: &DlqReplayArgs) -> Result<ReplayedView, Failure> {
    let service = chosen_service(args.service, &args.consumer)?;
    let span = span(global, service, "ReplayDeadLetters");
    let message = ReplayDeadLettersRequest {
        consumer: args.consumer.clone(),
        sequences: args.sequences.clone(),
        all: args.all,
    };
    let mut client = client(global, service)?;
    let answer = call(
        service,
        global.url(service),
        global.timeout,
        &span,
        client.replay_dead_letters(request(message, global.timeout)),
    )
    .await?;
    Ok(ReplayedView {
        service: service.key(),
        consumer: args.consumer.clone(),
        replayed: answer.replayed,
    })
}

fn render_list(letters: &[DeadLetterView], output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return render::json(&letters);
    }
    if letters.is_empty() {
        return Ok("no dead letters\n".to_owned());
    }
    let rows: Vec<Vec<String>> = letters
        .iter()
        .map(|d| {
            vec![
                d.service.to_owned(),
                d.sequence.to_string(),
                d.consumer.clone(),
                d.original_subject.clone(),
                d.event_type.clone(),
                d.deliveries.to_string(),
                d.dead_lettered_at.clone().unwrap_or_else(|| "-".to_owned()),
                d.reason.clone(),
            ]
        })
        .collect();
    Ok(render::column_table(
        &[
            "SERVICE",
            "SEQ",
            "CONSUMER",
            "SUBJECT",
            "TYPE",
            "DELIVERIES",
            "AT",
            "REASON",
        ],
        &rows,
        &[
            Align::Left,
            Align::Right,
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Left,
            Align::Left,
        ],
    ))
}

fn render_replayed(view: &ReplayedView, output: Output) -> Result<String, Failure> {
    if output == Output::Json {
        return render::json(view);
    }
    let sequences: Vec<String> = view.replayed.iter().map(u64::to_string).collect();
    Ok(format!(
        "replayed {} dead letter(s) of {} ({}): {}\n",
        view.replayed.len(),
        view.consumer,
        view.service,
        if sequences.is_empty() {
            "none".to_owned()
        } else {
            sequences.join(", ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consumer_belongs_to_the_service_named_first() {
        assert_eq!(service_of("observatory-registry"), Some(Service::Observatory));
        assert_eq!(service_of("activities-registry"), Some(Service::Activities));
        assert_eq!(service_of("reports-x"), None);
    }
}
