//! The `configure` action, the configuration step before `register`, and the re-fetch when the
//! configuration's validity runs out (protocols.md §2.1; TRM-CFG-001..005).
//!
//! The `config-server` setting names the server: a role name (that message center's
//! configuration server, found by its SIP address for the role's transport) or an
//! `http(s)://IP:port/path` URL. Without it the terminal has no configuration phase.
//! `configure { otp? }` sends one request unless the terminal may not (disabled by version -1/-2,
//! 403, or a 503's Retry-After not passed: `status` then says `disabled`, `no-service` or
//! `deferred` and nothing is sent); its outputs are `status` (the HTTP status or that word),
//! `outcome`, `version`, `validity` and `pcscf`. `register` with a server set and no
//! configuration configures first, and sends no REGISTER while none is held or RCS is disabled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rcs_harness::agent::ActionOutput;
use rcs_harness::clock::Clock;
use tokio::task::JoinHandle;

use super::actions::Output;
use super::autoconfig::{Blocked, ConfigUrl, Outcome};
use super::core::Core;
use super::faults::Fault;
use super::params::{self, ConfigureParams};

/// `configure`.
pub(crate) async fn configure(
    core: &Arc<Core>,
    p: ConfigureParams,
) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let (out, summary) = run(core, p.otp.as_deref(), false, wait).await?;
    Ok(out.finish(summary))
}

/// Before a REGISTER: `Some` output when no REGISTER may go out, after configuring if needed.
pub(crate) async fn before_register(core: &Arc<Core>) -> Result<Option<ActionOutput>, String> {
    if core.settings.config_server.is_none() {
        return Ok(None);
    }
    let ignore = core.faults.has(Fault::ConfigRegistersWhenDisabled);
    if let Some(blocked) = core.autoconfig.blocked(core.clock.now()) {
        if blocked != Blocked::Deferred && ignore {
            return Ok(None);
        }
        let out = Output::new(blocked.word().to_owned());
        return Ok(Some(
            out.finish(format!("no REGISTER: RCS {}", blocked.word())),
        ));
    }
    if core.autoconfig.configured() {
        return Ok(None);
    }
    let (out, summary) = run(core, None, false, params::DEFAULT_TIMEOUT).await?;
    let disabled = core.autoconfig.blocked(core.clock.now()) == Some(Blocked::Disabled);
    if core.autoconfig.configured() || (disabled && ignore) {
        return Ok(None);
    }
    Ok(Some(out.finish(format!(
        "no REGISTER: not configured ({summary})"
    ))))
}

/// One configuration round: the gates, the request, what the answer did, the validity timer.
async fn run(
    core: &Arc<Core>,
    otp: Option<&str>,
    refetch: bool,
    wait: Duration,
) -> Result<(Output, String), String> {
    let now = core.clock.now();
    let early = core.faults.has(Fault::ConfigRetriesEarly);
    match core.autoconfig.blocked(now) {
        Some(Blocked::Deferred) if early => {}
        Some(blocked) => {
            let out = Output::new(blocked.word().to_owned());
            return Ok((
                out,
                format!("no configuration request: RCS {}", blocked.word()),
            ));
        }
        None => {}
    }
    let (server, path) = server(core)?;
    let query = core
        .autoconfig
        .query(&core.subscriber, otp, refetch, &core.faults);
    let target = format!("{path}?{query}");
    let (response, outcome) = core.autoconfig.fetch(server, &target, now, wait).await?;
    let mut out = Output::new(response.status().to_string());
    out.set("version", &core.autoconfig.version().to_string());
    if let Some(pcscf) = core.autoconfig.pcscf() {
        out.set("pcscf", &pcscf.to_string());
    }
    let word = match &outcome {
        Outcome::Configured { version, validity } => {
            out.set("validity", &validity.to_string());
            schedule_refetch(core, *validity);
            format!("configured, version {version}, validity {validity} s")
        }
        Outcome::Reset => "configuration reset".to_owned(),
        Outcome::Disabled(v) => {
            core.autoconfig.set_refetch(None);
            format!("RCS disabled (version {v})")
        }
        Outcome::OtpRequested => "OTP requested".to_owned(),
        Outcome::RetryAfter(secs) => format!("retry after {secs:?} s"),
        Outcome::Forbidden => "no service (403)".to_owned(),
        Outcome::Failed(why) => format!("not configured: {why}"),
    };
    out.set("outcome", &word);
    let summary = format!("GET configuration from {}: {word}", server.0);
    Ok((out, summary))
}

/// Fetches again with the version held once `validity` seconds have passed on the case clock.
fn schedule_refetch(core: &Arc<Core>, validity: u64) {
    if validity == 0 {
        core.autoconfig.set_refetch(None);
        return;
    }
    let task_core = core.clone();
    let task = validity_timer(&core.clock, Duration::from_secs(validity), async move {
        // A failed re-fetch leaves the configuration as it was; the wire shows what happened.
        let _ = Box::pin(run(&task_core, None, true, params::DEFAULT_TIMEOUT)).await;
    });
    core.autoconfig.set_refetch(Some(task));
}

/// Spawns `work` to run once `validity` has passed on `clock`, counted from now.
///
/// The deadline is taken when the timer is armed, not when the task first runs: a spawned task
/// may first be polled only after the case clock has jumped (a `wait` step right after the
/// answer), and a validity counted from then would run out one jump too late.
fn validity_timer<F>(clock: &Clock, validity: Duration, work: F) -> JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let due = clock.now() + validity;
    let clock = clock.clone();
    tokio::spawn(async move {
        clock.sleep_until(due).await;
        work.await;
    })
}

/// The server's address, whether it speaks HTTPS, and the path to request.
fn server(core: &Core) -> Result<((SocketAddr, bool), String), String> {
    let setting = core
        .settings
        .config_server
        .as_deref()
        .ok_or("the terminal has no config-server setting")?;
    if let Some(url) = ConfigUrl::parse(setting)? {
        return Ok(((url.addr, url.tls), url.path));
    }
    let peer = core
        .peers
        .get(setting)
        .ok_or_else(|| format!("config-server `{setting}` is no role of the case"))?;
    let sip = peer
        .sip_addr(core.local.transport)
        .ok_or_else(|| format!("`{setting}` has no SIP address"))?;
    let found = crate::message_center::config_server_at(sip)
        .ok_or_else(|| format!("`{setting}` runs no configuration server"))?;
    Ok((found, "/".to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// The validity runs from the answer, even when the timer task first runs after a jump.
    #[tokio::test]
    async fn the_validity_timer_counts_from_when_it_is_armed() {
        let clock = Clock::virtual_time();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = fired.clone();
        let task = validity_timer(&clock, Duration::from_secs(60), async move {
            flag.store(true, Ordering::SeqCst);
        });
        // On this single-threaded runtime the task has not run yet: the jump comes first.
        clock.advance(Duration::from_secs(30)).await;
        assert!(!fired.load(Ordering::SeqCst), "fired after 30 s of 60");
        clock.advance(Duration::from_secs(30)).await;
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .expect("the timer fires once 60 s have passed")
            .unwrap();
        assert!(fired.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn the_validity_timer_waits_out_the_validity() {
        let clock = Clock::virtual_time();
        let task = validity_timer(&clock, Duration::from_secs(60), async {});
        clock.advance(Duration::from_secs(59)).await;
        tokio::task::yield_now().await;
        assert!(!task.is_finished());
        clock.advance(Duration::from_secs(1)).await;
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .unwrap()
            .unwrap();
    }
}
