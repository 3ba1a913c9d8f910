//! The case clock: real, or virtual when every role of a case is simulated.
//!
//! Virtual time flows like real time, and the runner can also make it jump: a `wait: 61s` step takes
//! microseconds, and every simulator timer that the jump passes fires at once. Between jumps timers
//! fire as they would on a real clock (a UDP retransmission after 500 ms really comes 500 ms later),
//! and network I/O is real, so waits for a message stay bounded by real time. With an external system
//! under test the clock is only real, because the SUT's timers are.
//!
//! Sans-IO state machines take [`Clock::now`] as their `now`: an [`Instant`] that is the case's start
//! plus the (real or virtual) time elapsed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// A cheap, cloneable handle on one case's clock.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    Real {
        start: Instant,
    },
    Virtual {
        start: Instant,
        /// Total of every jump so far.
        skipped: Mutex<Duration>,
        /// Publishes `skipped` after each jump.
        jumps: watch::Sender<Duration>,
    },
}

impl Clock {
    /// A clock that follows real time.
    pub fn real() -> Self {
        Self {
            inner: Arc::new(Inner::Real {
                start: Instant::now(),
            }),
        }
    }

    /// A clock that moves only when [`Clock::advance`] is called.
    pub fn virtual_time() -> Self {
        let (jumps, _) = watch::channel(Duration::ZERO);
        Self {
            inner: Arc::new(Inner::Virtual {
                start: Instant::now(),
                skipped: Mutex::new(Duration::ZERO),
                jumps,
            }),
        }
    }

    pub fn is_virtual(&self) -> bool {
        matches!(*self.inner, Inner::Virtual { .. })
    }

    /// Time since the case started.
    pub fn elapsed(&self) -> Duration {
        match &*self.inner {
            Inner::Real { start } => start.elapsed(),
            Inner::Virtual { start, skipped, .. } => start.elapsed() + *lock(skipped),
        }
    }

    /// The current instant on this clock.
    pub fn now(&self) -> Instant {
        match &*self.inner {
            Inner::Real { start } | Inner::Virtual { start, .. } => *start + self.elapsed(),
        }
    }

    /// Wait until `deadline` on this clock.
    pub async fn sleep_until(&self, deadline: Instant) {
        match &*self.inner {
            Inner::Real { .. } => tokio::time::sleep_until(deadline.into()).await,
            Inner::Virtual { start, jumps, .. } => {
                let mut rx = jumps.subscribe();
                loop {
                    // The real instant at which `deadline` comes, given the jumps made so far.
                    let skipped = *rx.borrow_and_update();
                    let due = deadline.checked_sub(skipped).unwrap_or(*start);
                    if due <= Instant::now() {
                        return;
                    }
                    tokio::select! {
                        () = tokio::time::sleep_until(due.into()) => return,
                        changed = rx.changed() => {
                            if changed.is_err() {
                                // The clock is gone with its case.
                                return;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Wait for `duration` on this clock.
    pub async fn sleep(&self, duration: Duration) {
        self.sleep_until(self.now() + duration).await;
    }

    /// Move time forward by `by`. On a real clock this really waits.
    pub async fn advance(&self, by: Duration) {
        match &*self.inner {
            Inner::Real { .. } => tokio::time::sleep(by).await,
            Inner::Virtual { skipped, jumps, .. } => {
                let total = {
                    let mut s = lock(skipped);
                    *s += by;
                    *s
                };
                jumps.send_replace(total);
                // Let the tasks whose timers just fired run before the case goes on.
                for _ in 0..8 {
                    tokio::task::yield_now().await;
                }
            }
        }
    }
}

fn lock(m: &Mutex<Duration>) -> std::sync::MutexGuard<'_, Duration> {
    // A poisoned lock still holds a valid Duration.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn virtual_time_jumps_and_wakes_sleepers() {
        let clock = Clock::virtual_time();
        let before = std::time::Instant::now();
        let c = clock.clone();
        let sleeper = tokio::spawn(async move {
            c.sleep(Duration::from_secs(120)).await;
            c.elapsed()
        });
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(60)).await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(61)).await;
        let woke_at = sleeper.await.unwrap();
        assert!(
            woke_at >= Duration::from_secs(121) && woke_at < Duration::from_secs(126),
            "{woke_at:?}"
        );
        assert!(
            before.elapsed() < Duration::from_secs(5),
            "virtual time must not really wait"
        );
    }

    #[tokio::test]
    async fn now_follows_elapsed() {
        let clock = Clock::virtual_time();
        let t0 = clock.now();
        clock.advance(Duration::from_millis(1500)).await;
        let moved = clock.now() - t0;
        assert!(
            moved >= Duration::from_millis(1500) && moved < Duration::from_secs(5),
            "{moved:?}"
        );
        assert!(clock.is_virtual());
        assert!(!Clock::real().is_virtual());
    }

    #[tokio::test]
    async fn virtual_time_also_flows_between_jumps() {
        let clock = Clock::virtual_time();
        let before = clock.elapsed();
        clock.sleep(Duration::from_millis(30)).await;
        assert!(clock.elapsed() - before >= Duration::from_millis(30));
    }
}
