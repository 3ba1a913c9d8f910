//! The signals that stop `rcs-sim`: SIGTERM or Ctrl-C, listened for from the moment [`Stop`] is
//! installed, so one that arrives before the simulator announces itself is not lost. It does
//! not decide what stopping means; each mode shuts its simulator down itself.

/// SIGTERM or Ctrl-C.
pub(crate) struct Stop {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Stop {
    pub(crate) fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for the next signal.
    #[cfg(unix)]
    pub(crate) async fn recv(&mut self) -> std::io::Result<()> {
        tokio::select! {
            _ = self.terminate.recv() => Ok(()),
            _ = self.interrupt.recv() => Ok(()),
        }
    }

    /// Waits for the next signal.
    #[cfg(not(unix))]
    pub(crate) async fn recv(&mut self) -> std::io::Result<()> {
        tokio::signal::ctrl_c().await
    }
}
