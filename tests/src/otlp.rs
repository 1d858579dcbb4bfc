//! A small OTLP/gRPC trace collector for tests: it listens on a free port, keeps every span it
//! receives with its service name, and lets a test walk parent links across services.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value::Value,
};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

/// One received span, flattened.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    pub service: String,
    pub name: String,
    pub trace_id: Vec<u8>,
    pub span_id: Vec<u8>,
    pub parent_span_id: Vec<u8>,
    /// OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    pub kind: i32,
    pub attributes: HashMap<String, String>,
    /// The whole span as received (events, status, links included), for tests that scan it.
    pub raw: String,
}

#[derive(Clone, Default)]
struct Collector {
    // A std mutex: held only to push or copy, never across an await.
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut received = Vec::new();
        for rs in request.into_inner().resource_spans {
            let service = rs
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
                .and_then(|kv| kv.value.as_ref())
                .and_then(|v| v.value.as_ref())
                .map(value_to_string)
                .unwrap_or_default();
            for ss in rs.scope_spans {
                for s in ss.spans {
                    let raw = format!("{s:?}");
                    received.push(ReceivedSpan {
                        raw,
                        service: service.clone(),
                        name: s.name,
                        trace_id: s.trace_id,
                        span_id: s.span_id,
                        parent_span_id: s.parent_span_id,
                        kind: s.kind,
                        attributes: s
                            .attributes
                            .into_iter()
                            .filter_map(|kv| Some((kv.key, value_to_string(kv.value?.value.as_ref()?))))
                            .collect(),
                    });
                }
            }
        }
        self.spans.lock().expect("span store").extend(received);
        Ok(Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

fn value_to_string(v: &Value) -> String {
    match v {
        Value::StringValue(s) => s.clone(),
        Value::BoolValue(b) => b.to_string(),
        Value::IntValue(i) => i.to_string(),
        Value::DoubleValue(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

/// The running receiver.
pub struct OtlpReceiver {
    pub addr: SocketAddr,
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl OtlpReceiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the OTLP receiver");
        let addr = listener.local_addr().expect("receiver address");
        let collector = Collector::default();
        let spans = collector.spans.clone();
        let server = tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(collector))
                .serve_with_incoming(TcpListenerStream::new(listener))
                .await;
        });
        Self {
            addr,
            spans,
            _server: server,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.spans.lock().expect("span store").clone()
    }
}

/// The chain of ancestors of `span` (itself first) among `spans`, following parent ids.
pub fn ancestry<'a>(span: &'a ReceivedSpan, spans: &'a [ReceivedSpan]) -> Vec<&'a ReceivedSpan> {
    let mut chain = vec![span];
    let mut current = span;
    while !current.parent_span_id.is_empty() {
        match spans
            .iter()
            .find(|s| s.span_id == current.parent_span_id && s.trace_id == current.trace_id)
        {
            Some(parent) if chain.len() < 64 => {
                chain.push(parent);
                current = parent;
            }
            _ => break,
        }
    }
    chain
}
