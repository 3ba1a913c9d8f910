//! Stopping a group of tasks and waiting until every one has stopped.
//!
//! A [`ShutdownTrigger`] hands out [`Shutdown`] listeners; each task holds one and returns when
//! [`Shutdown::recv`] resolves. [`ShutdownTrigger::shutdown`] signals every listener and waits
//! until all of them are dropped, so no task outlives its endpoint or its case.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

/// How long a shutdown waits for tasks to notice before giving up on them.
const GRACE: Duration = Duration::from_secs(5);

/// Held by each task: tells it when to stop. Dropping it tells the trigger the task is gone.
#[derive(Clone, Debug)]
pub struct Shutdown {
    signal: watch::Receiver<bool>,
    _alive: mpsc::Sender<()>,
}

impl Shutdown {
    /// Resolves once the shutdown is signalled (at once if it already was).
    pub async fn recv(&mut self) {
        // An error means the trigger is gone, which is a shutdown too.
        let _ = self.signal.wait_for(|stop| *stop).await;
    }

    /// Whether the shutdown has been signalled.
    pub fn is_shutdown(&self) -> bool {
        *self.signal.borrow()
    }
}

/// Owned by whoever stops the tasks.
#[derive(Debug)]
pub struct ShutdownTrigger {
    signal: watch::Sender<bool>,
    alive_tx: mpsc::Sender<()>,
    alive_rx: mpsc::Receiver<()>,
}

impl Default for ShutdownTrigger {
    fn default() -> Self {
        Self::new()
    }
}

impl ShutdownTrigger {
    /// A trigger with no listeners yet.
    pub fn new() -> Self {
        let (signal, _) = watch::channel(false);
        let (alive_tx, alive_rx) = mpsc::channel(1);
        Self {
            signal,
            alive_tx,
            alive_rx,
        }
    }

    /// A listener for one more task.
    pub fn listener(&self) -> Shutdown {
        Shutdown {
            signal: self.signal.subscribe(),
            _alive: self.alive_tx.clone(),
        }
    }

    /// Signals every listener and waits (at most a few seconds) until all are dropped.
    pub async fn shutdown(self) {
        let Self {
            signal,
            alive_tx,
            mut alive_rx,
        } = self;
        signal.send_replace(true);
        drop(alive_tx);
        if tokio::time::timeout(GRACE, alive_rx.recv()).await.is_err() {
            tracing::warn!("tasks still running {GRACE:?} after shutdown");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_waits_for_every_listener() {
        let trigger = ShutdownTrigger::new();
        let (tx, mut rx) = mpsc::unbounded_channel();
        for n in 0..3 {
            let mut listener = trigger.listener();
            let tx = tx.clone();
            tokio::spawn(async move {
                listener.recv().await;
                assert!(listener.is_shutdown());
                tx.send(n).unwrap();
            });
        }
        drop(tx);
        trigger.shutdown().await;
        let mut stopped = Vec::new();
        while let Some(n) = rx.recv().await {
            stopped.push(n);
        }
        stopped.sort();
        assert_eq!(stopped, [0, 1, 2]);
    }
}
