//! The message center's I/O loop: messages in, timers on the case clock, transmissions out.
//!
//! One task per message center owns the [`Core`]: it takes each [`Incoming`] from the endpoint,
//! sleeps on the case [`Clock`] until the core's next timer (so virtual time fires timers at
//! once when the runner advances it), and sends what the core returns. A relayed request that
//! cannot be sent is reported back to the core, which answers upstream. The core's MSRP relay
//! commands go to [`Relays`], whose reports of closed sessions come back to the core. Every
//! message is logged with one line, and in full at debug level.

use std::collections::VecDeque;
use std::time::Instant;

use rcs_harness::clock::Clock;
use tokio::sync::mpsc;

use super::actions::{self, Command};
use super::proxy::Transmit;
use super::relay_task::Relays;
use super::service::Core;
use crate::net::{Incoming, Shutdown, SipEndpoint};

/// Runs until shutdown or until the endpoint closes.
pub(super) async fn run(
    mut core: Core,
    endpoint: SipEndpoint,
    (mut incoming, mut commands): (mpsc::Receiver<Incoming>, mpsc::Receiver<Command>),
    (mut relays, mut closed): (Relays, mpsc::UnboundedReceiver<u64>),
    clock: Clock,
    mut shutdown: Shutdown,
) {
    loop {
        let deadline = core.poll_timeout();
        let out = tokio::select! {
            _ = shutdown.recv() => break,
            item = incoming.recv() => match item {
                None => break,
                Some(item) => {
                    log_incoming(&item);
                    core.handle(item, clock.now())
                }
            },
            Some(call) = closed.recv() => core.relay_closed(call, clock.now()),
            Some(command) = commands.recv() => actions::run(&mut core, command, clock.now()),
            _ = sleep(&clock, deadline) => core.handle_timeout(clock.now()),
        };
        core.apply_focus_commands();
        send_all(&mut core, &endpoint, out, &clock).await;
        while let Some(command) = core.poll_command() {
            relays.apply(command);
        }
    }
    relays.shutdown();
}

async fn sleep(clock: &Clock, deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => clock.sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn send_all(core: &mut Core, endpoint: &SipEndpoint, out: Vec<Transmit>, clock: &Clock) {
    let mut queue = VecDeque::from(out);
    while let Some(transmit) = queue.pop_front() {
        let first_line = first_line(&transmit.bytes);
        match endpoint
            .send(&transmit.bytes, transmit.transport, transmit.dst)
            .await
        {
            Ok(()) => {
                tracing::info!(dst = %transmit.dst, transport = ?transmit.transport, "-> {first_line}");
                tracing::debug!("{}", String::from_utf8_lossy(&transmit.bytes));
            }
            Err(err) => {
                tracing::warn!("{first_line}: failed to {err}");
                if let Some(branch) = &transmit.branch {
                    queue.extend(core.transport_error(branch, clock.now()));
                }
            }
        }
    }
}

fn log_incoming(item: &Incoming) {
    let summary = match &item.message {
        Ok(message) => first_line(message.as_bytes()),
        Err(err) => format!("unparseable ({} bytes): failed to {err}", item.bytes.len()),
    };
    tracing::info!(src = %item.src, transport = ?item.transport, "<- {summary}");
    tracing::debug!("{}", String::from_utf8_lossy(&item.bytes));
}

/// The start line, for a log line.
fn first_line(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|b| *b == b'\r' || *b == b'\n')
        .unwrap_or(bytes.len())
        .min(200);
    String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).into_owned()
}
