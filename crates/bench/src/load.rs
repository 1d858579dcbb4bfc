//! Load generators. Closed loop: `concurrency` workers issue requests back to back (throughput).
//! Open loop: requests start on a fixed schedule whatever happens to the earlier ones, and each
//! latency counts from the scheduled start (coordinated omission corrected).

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::sync::{Mutex, Semaphore};

#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub ops: u64,
    pub errors: u64,
    pub rate_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Figures {
    pub fn from(hist: &Histogram<u64>, ops: u64, errors: u64, elapsed: Duration) -> Self {
        let ms = |us: u64| (us as f64 / 1000.0 * 100.0).round() / 100.0;
        Self {
            ops,
            errors,
            rate_per_s: (ops as f64 / elapsed.as_secs_f64()).round(),
            p50_ms: ms(hist.value_at_quantile(0.50)),
            p99_ms: ms(hist.value_at_quantile(0.99)),
            max_ms: ms(hist.max()),
        }
    }
}

fn histogram() -> Histogram<u64> {
    // Microseconds up to 60 s, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Runs `op(i)` from `concurrency` workers for `duration`.
pub async fn closed_loop<F, Fut>(concurrency: usize, duration: Duration, op: F) -> Figures
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let hist = Arc::new(Mutex::new(histogram()));
    let start = Instant::now();
    let deadline = start + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (op, next, errors, hist) = (op.clone(), next.clone(), errors.clone(), hist.clone());
        workers.push(tokio::spawn(async move {
            let mut local = histogram();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                if op(i).await.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                let _ = local.record(t.elapsed().as_micros() as u64);
            }
            let _ = hist.lock().await.add(&local);
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let elapsed = start.elapsed();
    let hist = hist.lock().await;
    let errors = errors.load(Ordering::Relaxed);
    Figures::from(&hist, hist.len().saturating_sub(errors), errors, elapsed)
}

/// Requests an open loop keeps in flight at most: below the services' per-connection limit
/// (`GRPC_MAX_CONCURRENT_REQUESTS`, 256), past which they shed load with `RESOURCE_EXHAUSTED`.
/// A request that waits for a slot is still timed from its scheduled start.
pub const IN_FLIGHT: usize = 200;

/// Starts `op(i)` at `rate` per second for `duration`, at most `max_in_flight` at once.
pub async fn open_loop<F, Fut>(rate: f64, duration: Duration, max_in_flight: usize, op: F) -> Figures
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let op = Arc::new(op);
    let errors = Arc::new(AtomicU64::new(0));
    let hist = Arc::new(std::sync::Mutex::new(histogram()));
    let permits = Arc::new(Semaphore::new(max_in_flight));
    let interval = Duration::from_secs_f64(1.0 / rate);
    let total = (duration.as_secs_f64() * rate) as u64;
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled).await;
        let permit = permits.clone().acquire_owned().await;
        let (op, errors, hist) = (op.clone(), errors.clone(), hist.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            if op(i).await.is_err() {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            let latency = scheduled.elapsed().as_micros() as u64;
            if let Ok(mut h) = hist.lock() {
                let _ = h.record(latency);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed();
    let errors = errors.load(Ordering::Relaxed);
    let hist = hist.lock().map(|h| h.clone()).unwrap_or_else(|_| histogram());
    Figures::from(&hist, total.saturating_sub(errors), errors, elapsed)
}

/// Percentiles of a set of latencies given in microseconds.
pub fn figures_of(latencies_us: &[u64], elapsed: Duration) -> Figures {
    let mut h = histogram();
    for l in latencies_us {
        let _ = h.record((*l).max(1));
    }
    Figures::from(&h, latencies_us.len() as u64, 0, elapsed)
}
