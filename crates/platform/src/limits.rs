//! Limits of the gRPC server, so that a slow or huge request cannot starve the others: message
//! sizes, a deadline on every request, a per-connection concurrency cap that sheds the excess with
//! `RESOURCE_EXHAUSTED`, and HTTP/2 keepalive and header limits. Read from the environment with
//! the other shared settings ([`crate::config::CommonArgs`]); `docs/operations.md` ("Limits")
//! explains each one.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use clap::Args;
use tonic::{Status, transport::Server};
use tower::{Layer, Service};

use crate::config::parse_duration;

/// 4 MiB: tonic's own default for decoding, and 16 times the 256 KiB chunks `essctl` streams.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Concurrent requests one connection may have in flight before the next ones are refused.
/// Service-to-service clients (activities → registry) and the bench multiplex up to 128 calls on
/// one connection: the default leaves them room.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;

/// The server's limits.
#[derive(Debug, Clone, Args)]
pub struct LimitsArgs {
    /// Largest gRPC message a service accepts or sends, in bytes. Streamed imports send many
    /// small chunks: this bounds one chunk, not the file.
    #[arg(long = "grpc-max-message-bytes", env = "GRPC_MAX_MESSAGE_BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,

    /// Longest time a request may take until its response starts (streamed responses then flow
    /// freely). A shorter `grpc-timeout` sent by the caller wins. Past it: DEADLINE_EXCEEDED.
    #[arg(long = "grpc-request-timeout", env = "GRPC_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Requests in flight on one connection; the next ones get RESOURCE_EXHAUSTED at once.
    #[arg(long = "grpc-max-concurrent-requests", env = "GRPC_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS)]
    pub max_concurrent_requests: usize,

    /// Interval of HTTP/2 pings to idle connections; a peer that does not answer within
    /// `GRPC_KEEPALIVE_TIMEOUT` is disconnected.
    #[arg(long = "grpc-keepalive-interval", env = "GRPC_KEEPALIVE_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub keepalive_interval: Duration,

    /// See `GRPC_KEEPALIVE_INTERVAL`.
    #[arg(long = "grpc-keepalive-timeout", env = "GRPC_KEEPALIVE_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub keepalive_timeout: Duration,
}

/// Largest header block a client may send (metadata, trace context, a bearer token).
pub const MAX_HEADER_LIST_BYTES: u32 = 64 * 1024;

impl Default for LimitsArgs {
    fn default() -> Self {
        Self {
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
        }
    }
}

impl LimitsArgs {
    /// A server builder with these limits. The concurrency cap sheds load (tonic answers
    /// `RESOURCE_EXHAUSTED` when the connection is at its cap rather than queueing); HTTP/2 lets
    /// more streams open than the cap, so that the excess is refused rather than left waiting in
    /// the client for a stream slot.
    pub fn server(&self) -> Server {
        let concurrency = self.max_concurrent_requests.max(1);
        Server::builder()
            .concurrency_limit_per_connection(concurrency)
            .load_shed(true)
            .max_concurrent_streams(u32::try_from(concurrency.saturating_mul(2)).unwrap_or(u32::MAX))
            .http2_keepalive_interval(Some(self.keepalive_interval))
            .http2_keepalive_timeout(Some(self.keepalive_timeout))
            .tcp_keepalive(Some(Duration::from_secs(60)))
            .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
    }

    /// The per-request layer for these limits.
    pub fn request_layer(&self) -> RequestLimitsLayer {
        RequestLimitsLayer {
            max: self.request_timeout,
        }
    }
}

/// Per request: answers `DEADLINE_EXCEEDED` when a request has not produced its response within
/// the server's maximum (tonic itself also honours the caller's `grpc-timeout` header and answers
/// `CANCELLED` when that shorter deadline passes: the caller has given up by then anyway); and
/// turns tonic's `OUT_OF_RANGE` for a request message over the size limit into
/// `RESOURCE_EXHAUSTED`, the code gRPC specifies for it.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimitsLayer {
    max: Duration,
}

impl<S> Layer<S> for RequestLimitsLayer {
    type Service = RequestLimits<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequestLimits { inner, max: self.max }
    }
}

/// The service made by [`RequestLimitsLayer`].
#[derive(Debug, Clone)]
pub struct RequestLimits<S> {
    inner: S,
    max: Duration,
}

/// Whether `response` is tonic's refusal of a request message over the size limit (a
/// trailers-only response: the status is in the headers).
fn is_oversized_refusal(response: &http::Response<tonic::body::Body>) -> Option<Status> {
    let status = Status::from_header_map(response.headers())?;
    (status.code() == tonic::Code::OutOfRange && status.message().contains("decoded message length too large"))
        .then(|| Status::resource_exhausted(status.message().replace("Error, decoded", "the request")))
}

impl<S, B> Service<http::Request<B>> for RequestLimits<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let path = req.uri().path().to_owned();
        let max = self.max;
        let fut = self.inner.call(req);
        Box::pin(async move {
            match tokio::time::timeout(max, fut).await {
                Ok(Ok(response)) => match is_oversized_refusal(&response) {
                    Some(status) => Ok(status.into_http()),
                    None => Ok(response),
                },
                Ok(Err(e)) => Err(e),
                Err(_) => {
                    tracing::warn!(rpc = %path, timeout = ?max, "platform.grpc.deadline_exceeded");
                    Ok(Status::deadline_exceeded(format!(
                        "the request did not complete within the server's limit of {max:?}"
                    ))
                    .into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        limits: LimitsArgs,
    }

    #[test]
    fn the_clap_defaults_are_the_default_limits() {
        let parsed = Cli::parse_from(["x"]).limits;
        let default = LimitsArgs::default();
        assert_eq!(parsed.max_message_bytes, default.max_message_bytes);
        assert_eq!(parsed.request_timeout, default.request_timeout);
        assert_eq!(parsed.max_concurrent_requests, default.max_concurrent_requests);
        assert_eq!(parsed.keepalive_interval, default.keepalive_interval);
        assert_eq!(parsed.keepalive_timeout, default.keepalive_timeout);
    }
}
