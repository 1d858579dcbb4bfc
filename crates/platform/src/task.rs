//! Supervised long-lived tasks and shutdown. Every task that must keep running (gRPC server,
//! relay, consumers, health watcher) is spawned through [`Supervisor::spawn_critical`]: if one ends
//! before shutdown, with an error or not, the whole service stops (and compose restarts it) instead
//! of limping on without it.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// Owns the service's tasks and the token that stops them.
#[derive(Clone)]
pub struct Supervisor {
    root: CancellationToken,
    tracker: TaskTracker,
    /// Set when a critical task ended on its own: the service then exits with an error.
    failed: Arc<AtomicBool>,
}

impl Supervisor {
    /// A supervisor whose tasks stop when `root` is cancelled (by a signal, a test, or a task dying).
    pub fn new(root: CancellationToken) -> Self {
        Self {
            root,
            tracker: TaskTracker::new(),
            failed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The token tasks watch; cancelled at shutdown.
    pub fn token(&self) -> CancellationToken {
        self.root.clone()
    }

    /// Spawns a task that must run until shutdown. Its ending early, or with an error, is logged
    /// with the whole cause chain and stops the service.
    pub fn spawn_critical<F>(&self, name: &'static str, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let root = self.root.clone();
        let failed = self.failed.clone();
        self.tracker.spawn(async move {
            let outcome = task.await;
            if root.is_cancelled() {
                if let Err(e) = outcome {
                    tracing::warn!(task = name, error = ?e, "platform.task.failed_during_shutdown");
                }
                return;
            }
            match outcome {
                Ok(()) => tracing::error!(task = name, "platform.task.ended_early: stopping the service"),
                Err(e) => tracing::error!(task = name, error = ?e, "platform.task.failed: stopping the service"),
            }
            failed.store(true, Ordering::SeqCst);
            root.cancel();
        });
    }

    /// Waits for shutdown (token cancelled), then for every task to finish, at most `deadline`.
    /// Errors when a critical task had died or the deadline passed.
    pub async fn wait(self, deadline: Duration) -> anyhow::Result<()> {
        self.root.cancelled().await;
        self.tracker.close();
        if tokio::time::timeout(deadline, self.tracker.wait()).await.is_err() {
            anyhow::bail!("tasks still running {deadline:?} after shutdown began");
        }
        if self.failed.load(Ordering::SeqCst) {
            anyhow::bail!("a critical task stopped unexpectedly (see the log above)");
        }
        Ok(())
    }
}

/// Cancels `token` on SIGTERM or SIGINT. Spawn it from `main`.
pub async fn cancel_on_signal(token: CancellationToken) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => tracing::info!("platform.shutdown.sigterm"),
            _ = int.recv() => tracing::info!("platform.shutdown.sigint"),
            _ = token.cancelled() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::select! {
        r = tokio::signal::ctrl_c() => { r?; tracing::info!("platform.shutdown.ctrl_c") }
        _ = token.cancelled() => {}
    }
    token.cancel();
    Ok(())
}

/// Sleeps `delay` unless `token` is cancelled first; returns false when cancelled.
pub async fn sleep_or_cancel(delay: Duration, token: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = token.cancelled() => false,
    }
}

/// Exponential backoff with a cap: `base * 2^(attempt-1)`, at most `cap`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    base.saturating_mul(factor).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        let (b, c) = (Duration::from_millis(100), Duration::from_secs(2));
        assert_eq!(backoff(1, b, c), Duration::from_millis(100));
        assert_eq!(backoff(2, b, c), Duration::from_millis(200));
        assert_eq!(backoff(5, b, c), Duration::from_secs(1) + Duration::from_millis(600));
        assert_eq!(backoff(6, b, c), c);
        assert_eq!(backoff(60, b, c), c);
    }

    #[tokio::test]
    async fn a_task_that_ends_early_stops_the_service_with_an_error() {
        let sup = Supervisor::new(CancellationToken::new());
        let token = sup.token();
        sup.spawn_critical("quits", async { Ok(()) });
        sup.spawn_critical("waits", async move {
            token.cancelled().await;
            Ok(())
        });
        let err = sup
            .wait(Duration::from_secs(5))
            .await
            .expect_err("the early end is reported");
        assert!(err.to_string().contains("critical task"));
    }

    #[tokio::test]
    async fn a_requested_shutdown_is_clean() {
        let sup = Supervisor::new(CancellationToken::new());
        let token = sup.token();
        let t2 = token.clone();
        sup.spawn_critical("waits", async move {
            t2.cancelled().await;
            Ok(())
        });
        token.cancel();
        sup.wait(Duration::from_secs(5)).await.expect("clean shutdown");
    }
}
