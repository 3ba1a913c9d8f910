//! Keeping the terminal registered: the refresh before expiry and what follows a REGISTER
//! (protocols.md §2.5 rules 1, 4 and 6, §12; TS 24.229 5.1.1.4; RFC 5626 4.2).
//!
//! [`register`] runs the REGISTER dance of `outgoing` and then takes care of what a 2xx asks
//! for: with the `refresh-registration` setting, a refresh is due at the granted expiry less
//! 600 s when more than 1200 s were granted, else at half of it ([`refresh_after`]), counted
//! from when the REGISTER dance started; it is slept on the case clock, so on virtual time a
//! `wait` runs it at once. The refresh is an ordinary
//! REGISTER of the same registration (same Call-ID, Contact, `+sip.instance` and `reg-id`).
//! With the `subscribe-reg` setting the terminal then subscribes to its own reg event (see
//! `reg_subscription`). A de-registration, or a NOTIFY that ends the binding, cancels the
//! refresh. The `no-reregistration` fault never arms it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::core::Core;
use super::faults::Fault;
use super::outgoing::RegisterSent;
use super::params::DEFAULT_TIMEOUT;
use super::reg_subscription;
use super::register::is_success;

/// Most background tasks (refresh timers, subscriptions) remembered for shutdown.
const MAX_TASKS: usize = 16;

/// When to refresh a registration granted for `granted` seconds (protocols.md §12).
pub(crate) fn refresh_after(granted: u32) -> Duration {
    let secs = match granted > 1200 {
        true => granted - 600,
        false => granted / 2,
    };
    Duration::from_secs(u64::from(secs))
}

/// What the keeper remembers between REGISTERs.
#[derive(Debug, Default)]
struct Kept {
    /// Bumped by every REGISTER and every ended binding: a timer armed before is stale.
    generation: u64,
    /// The expiry and password of the last successful registration, for refreshes.
    requested: Option<u32>,
    password: Option<String>,
    tasks: Vec<JoinHandle<()>>,
}

/// The registration's background work.
#[derive(Debug, Default)]
pub(crate) struct RegKeeper(Mutex<Kept>);

impl RegKeeper {
    fn lock(&self) -> MutexGuard<'_, Kept> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the armed refresh (the binding is gone).
    pub(crate) fn cancel_refresh(&self) {
        let mut kept = self.lock();
        kept.generation = kept.generation.wrapping_add(1);
    }

    /// The expiry and password to register again with.
    pub(crate) fn credentials(&self, core: &Core) -> (u32, String) {
        let kept = self.lock();
        let requested = kept.requested.unwrap_or(core.settings.requested_expires);
        let password = kept
            .password
            .clone()
            .unwrap_or_else(|| core.subscriber.password.clone());
        (requested, password)
    }

    fn spawn(&self, task: JoinHandle<()>) {
        let mut kept = self.lock();
        kept.tasks.retain(|t| !t.is_finished());
        if kept.tasks.len() >= MAX_TASKS {
            tracing::warn!("too many registration tasks; the oldest is stopped");
            let oldest = kept.tasks.remove(0);
            oldest.abort();
        }
        kept.tasks.push(task);
    }

    /// Stops every background task (the terminal shuts down).
    pub(crate) fn stop(&self) {
        for task in self.lock().tasks.drain(..) {
            task.abort();
        }
    }
}

/// REGISTER with `expires`, then arm the refresh and the reg subscription a 2xx asks for.
pub(crate) async fn register(
    core: &Arc<Core>,
    expires: u32,
    password: &str,
    wait: Duration,
) -> Result<RegisterSent, String> {
    // The refresh counts from when the REGISTER left, not from when the 200 was read.
    let started = core.clock.now();
    let sent = core.register(expires, password, wait).await?;
    let ok = sent.outcome.response().is_some_and(is_success);
    let generation = {
        let mut kept = core.keeper.lock();
        kept.generation = kept.generation.wrapping_add(1);
        if ok && expires > 0 {
            kept.requested = Some(expires);
            kept.password = Some(password.to_owned());
        }
        kept.generation
    };
    if !ok || expires == 0 {
        return Ok(sent);
    }
    let granted = core.state().registration.expires;
    if let Some(granted) = granted
        && core.settings.refresh_registration
        && !core.faults.has(Fault::NoReregistration)
    {
        let due = started + refresh_after(granted);
        let task = tokio::spawn(refresh(core.clone(), generation, due));
        core.keeper.spawn(task);
    }
    if core.settings.subscribe_reg && !reg_subscription::is_subscribed(core) {
        let task = tokio::spawn(reg_subscription::subscribe(core.clone()));
        core.keeper.spawn(task);
    }
    Ok(sent)
}

/// Sleeps until `due` on the case clock and refreshes, unless a newer REGISTER came first.
/// Boxed: the refresh registers, and a registration arms the next refresh.
fn refresh(
    core: Arc<Core>,
    generation: u64,
    due: std::time::Instant,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        core.clock.sleep_until(due).await;
        if core.keeper.lock().generation != generation {
            return;
        }
        let (requested, password) = core.keeper.credentials(&core);
        tracing::info!(role = %core.role, "refreshing the registration");
        match register(&core, requested, &password, DEFAULT_TIMEOUT).await {
            Ok(sent) => {
                let status = sent.outcome.status();
                tracing::info!(role = %core.role, %status, "registration refreshed");
            }
            Err(error) => tracing::warn!(role = %core.role, %error, "refresh not sent"),
        }
    })
}

/// Registers again after the network ended the binding (RFC 3680 `deactivated`).
pub(crate) async fn reregister(core: Arc<Core>) {
    let (requested, password) = core.keeper.credentials(&core);
    match register(&core, requested, &password, DEFAULT_TIMEOUT).await {
        Ok(sent) => {
            tracing::info!(role = %core.role, status = %sent.outcome.status(), "registered again")
        }
        Err(error) => tracing::warn!(role = %core.role, %error, "re-registration not sent"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_follows_the_3gpp_rule() {
        assert_eq!(refresh_after(3600), Duration::from_secs(3000));
        assert_eq!(refresh_after(1201), Duration::from_secs(601));
        assert_eq!(refresh_after(1200), Duration::from_secs(600));
        assert_eq!(refresh_after(60), Duration::from_secs(30));
        assert_eq!(refresh_after(1), Duration::ZERO);
    }
}
