//! `essctl events tail`: reads the JetStream stream with an ephemeral ordered consumer (no acks,
//! nothing left behind) and prints each event decoded from protobuf to JSON. The decoder is
//! driven by the `ess.events.v1` descriptor set and the `Ess-Event-Type` header, so a new event
//! type needs no change here.

use std::{io::Write as _, time::Duration};

use anyhow::Context as _;
use async_nats::{
    HeaderMap,
    jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig},
};
use futures::StreamExt as _;
use platform::bus::headers;
use prost_reflect::{DescriptorPool, DynamicMessage};
use serde::Serialize;
use serde_json::Value;

use super::ops_cli::EventsTailArgs;
use crate::{
    cli::{GlobalArgs, Output},
    failure::Failure,
};

/// Decodes event payloads by their protobuf type name.
pub struct EventDecoder {
    pool: DescriptorPool,
}

impl EventDecoder {
    /// The decoder of every `ess.events.v1` message.
    pub fn new() -> anyhow::Result<Self> {
        let pool = DescriptorPool::decode(ess_proto::EVENTS_DESCRIPTOR_SET)
            .context("decoding the event descriptor set built into essctl")?;
        Ok(Self { pool })
    }

    /// The payload as proto3 JSON, or why it could not be decoded.
    pub fn decode(&self, event_type: &str, payload: &[u8]) -> Result<Value, String> {
        let descriptor = self
            .pool
            .get_message_by_name(event_type)
            .ok_or_else(|| format!("unknown event type {event_type:?} (is essctl older than the services?)"))?;
        let message = DynamicMessage::decode(descriptor, payload)
            .map_err(|e| format!("payload is not a valid {event_type}: {e}"))?;
        serde_json::to_value(&message).map_err(|e| format!("cannot express {event_type} as JSON: {e}"))
    }
}

/// One event as printed.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Stream sequence.
    pub sequence: u64,
    /// When the stream stored it (RFC 3339, UTC).
    pub published: String,
    /// Full subject.
    pub subject: String,
    /// `Ess-Event-Type` header.
    pub event_type: Option<String>,
    /// `Ess-Event-Id` (or `Nats-Msg-Id`) header.
    pub event_id: Option<String>,
    /// The payload as JSON, when it could be decoded.
    pub payload: Option<Value>,
    /// Why the payload could not be decoded.
    pub error: Option<String>,
}

/// Whether an event of `event_type` passes the `--type` filters (none: everything passes).
pub fn type_matches(filters: &[String], event_type: Option<&str>) -> bool {
    if filters.is_empty() {
        return true;
    }
    let Some(full) = event_type else { return false };
    let short = full.rsplit('.').next().unwrap_or(full);
    filters
        .iter()
        .any(|f| f.eq_ignore_ascii_case(full) || f.eq_ignore_ascii_case(short))
}

/// The subject filter with the deployment prefix: `registry.>` → `ess.registry.>`.
pub fn full_filter(prefix: &str, filter: Option<&str>) -> String {
    match filter {
        None => format!("{prefix}.>"),
        Some(f) if f == prefix || f.starts_with(&format!("{prefix}.")) => f.to_owned(),
        Some(f) => format!("{prefix}.{f}"),
    }
}

/// Where to start: `10m` back from `now`, or an RFC 3339 instant.
pub fn start_time(raw: &str, now: time::OffsetDateTime) -> Result<time::OffsetDateTime, String> {
    if let Ok(back) = platform::config::parse_duration(raw) {
        return Ok(now - back);
    }
    let instant = chrono::DateTime::parse_from_rfc3339(raw)
        .map_err(|_| format!("--since {raw:?} is neither a duration (10m, 2h) nor an RFC 3339 instant"))?;
    let nanos = instant
        .timestamp_nanos_opt()
        .ok_or_else(|| format!("--since {raw:?} is out of range"))?;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).map_err(|e| format!("--since {raw:?}: {e}"))
}

fn header(headers: Option<&HeaderMap>, name: &str) -> Option<String> {
    headers?.get(name).map(|v| v.as_str().to_owned())
}

/// Builds the view of one stored message.
pub fn view(decoder: &EventDecoder, message: &async_nats::Message, sequence: u64, published: String) -> EventView {
    let event_type = header(message.headers.as_ref(), headers::EVENT_TYPE);
    let event_id = header(message.headers.as_ref(), headers::EVENT_ID)
        .or_else(|| header(message.headers.as_ref(), headers::MSG_ID));
    let (payload, error) = match event_type.as_deref() {
        Some(t) => match decoder.decode(t, &message.payload) {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(e)),
        },
        None => (None, Some(format!("no {} header", headers::EVENT_TYPE))),
    };
    EventView {
        sequence,
        published,
        subject: message.subject.to_string(),
        event_type,
        event_id,
        payload,
        error,
    }
}

/// One line: JSON for `--output json`, else `SEQ TIME SUBJECT TYPE PAYLOAD`.
pub fn line(event: &EventView, output: Output) -> String {
    match output {
        Output::Json => serde_json::to_string(event).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n",
        Output::Table => {
            let body = match (&event.payload, &event.error) {
                (Some(p), _) => p.to_string(),
                (None, Some(e)) => format!("(undecodable: {e})"),
                (None, None) => String::new(),
            };
            format!(
                "{:>6}  {}  {}  {}  {}\n",
                event.sequence,
                event.published,
                event.subject,
                event.event_type.as_deref().unwrap_or("-"),
                body
            )
        }
    }
}

/// Reads the stream and writes each matching event to stdout as it arrives. Returns the empty
/// string (everything is already printed) or a failure naming the setting to check.
pub async fn tail(global: &GlobalArgs, args: &EventsTailArgs) -> Result<String, Failure> {
    let decoder = EventDecoder::new().map_err(Failure::Local)?;
    let filter = full_filter(&args.nats.subject_prefix, args.subject_filter.as_deref());
    let deliver_policy = match &args.since {
        None => DeliverPolicy::All,
        Some(raw) => DeliverPolicy::ByStartTime {
            start_time: start_time(raw, time::OffsetDateTime::now_utc())
                .map_err(|e| Failure::Local(anyhow::anyhow!(e)))?,
        },
    };
    let options = args.nats_credentials.apply(async_nats::ConnectOptions::new());
    let client = tokio::time::timeout(global.timeout, options.connect(args.nats.url.as_str()))
        .await
        .map_err(|_| {
            local(format!(
                "no answer from NATS at {} within {:?} (check NATS_URL)",
                args.nats.url, global.timeout
            ))
        })?
        .map_err(|e| {
            local(format!(
                "cannot connect to NATS at {} (check NATS_URL): {e}",
                args.nats.url
            ))
        })?;
    let js = jetstream::new(client);
    let stream = js.get_stream(&args.nats.stream).await.map_err(|e| {
        local(format!(
            "no stream {:?} on {} (check ESS_STREAM; the services create it at start): {e}",
            args.nats.stream, args.nats.url
        ))
    })?;
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: filter.clone(),
            deliver_policy,
            ..Default::default()
        })
        .await
        .map_err(|e| local(format!("cannot read {filter} from stream {}: {e}", args.nats.stream)))?;
    let mut pending_at_start = consumer.cached_info().num_pending;
    if pending_at_start == 0 && !args.follow {
        return Ok(String::new());
    }
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| local(format!("cannot read {filter}: {e}")))?;
    let mut printed = 0usize;
    let mut stdout = std::io::stdout();
    loop {
        // Without --follow, an idle stream ends the command even if pending counts were stale.
        let next = if args.follow {
            messages.next().await
        } else {
            match tokio::time::timeout(Duration::from_secs(5).max(global.timeout), messages.next()).await {
                Ok(next) => next,
                Err(_) => break,
            }
        };
        let Some(message) = next else { break };
        let message = message.map_err(|e| local(format!("reading {filter}: {e}")))?;
        let info = message
            .info()
            .map_err(|e| local(format!("a message of {filter} without JetStream metadata: {e}")))?;
        let (sequence, pending) = (info.stream_sequence, info.pending);
        let published = chrono::DateTime::from_timestamp(info.published.unix_timestamp(), info.published.nanosecond())
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default();
        let event = view(&decoder, &message.message, sequence, published);
        if type_matches(&args.event_types, event.event_type.as_deref()) {
            if stdout.write_all(line(&event, global.output).as_bytes()).is_err() {
                break; // stdout closed (`| head`): nothing left to do.
            }
            let _ = stdout.flush();
            printed += 1;
            if args.limit.is_some_and(|limit| printed >= limit) {
                break;
            }
        }
        pending_at_start = pending;
        if !args.follow && pending_at_start == 0 {
            break;
        }
    }
    Ok(String::new())
}

fn local(message: String) -> Failure {
    Failure::Local(anyhow::anyhow!(message))
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    #[test]
    fn any_event_type_of_the_descriptor_set_decodes_to_json() {
        let decoder = EventDecoder::new().expect("descriptor set");
        let meta = ess_proto::events::v1::EventMeta {
            event_id: "0190".into(),
            aggregate_id: "p1".into(),
            aggregate_version: 3,
            occurred_at: None,
        };
        let json = decoder
            .decode("ess.events.v1.EventMeta", &meta.encode_to_vec())
            .expect("decodes");
        assert_eq!(json["aggregateId"], "p1");
        assert_eq!(json["aggregateVersion"], "3");
        assert!(decoder.decode("ess.events.v1.Nope", &[]).is_err());
    }

    #[test]
    fn type_filters_accept_the_short_or_full_name() {
        let filters = vec!["partnerregistered".to_owned()];
        assert!(type_matches(&filters, Some("ess.events.v1.PartnerRegistered")));
        assert!(!type_matches(&filters, Some("ess.events.v1.PartnerArchived")));
        assert!(!type_matches(&filters, None));
        assert!(type_matches(&[], None));
    }

    #[test]
    fn subject_filters_get_the_prefix_once() {
        assert_eq!(full_filter("ess", None), "ess.>");
        assert_eq!(full_filter("ess", Some("registry.>")), "ess.registry.>");
        assert_eq!(full_filter("ess", Some("ess.registry.>")), "ess.registry.>");
    }

    #[test]
    fn since_takes_a_duration_or_an_instant() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_000_000).expect("valid");
        assert_eq!(
            start_time("10m", now).expect("duration").unix_timestamp(),
            1_000_000 - 600
        );
        assert_eq!(
            start_time("1970-01-02T00:00:00Z", now)
                .expect("instant")
                .unix_timestamp(),
            86_400
        );
        assert!(start_time("yesterday", now).is_err());
    }
}
