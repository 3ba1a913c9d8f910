//! The gateway's I/O loop: messages in, timers on the case clock, transmissions out.
//!
//! One task per gateway owns the relay [`Core`]: it takes each [`Incoming`] from the endpoint,
//! learns its neighbours when the agent hears of them, sleeps on the case [`Clock`] until the
//! core's next timer, and sends what the core returns. The core's MSRP relay commands go to
//! [`Relays`], whose reports of closed sessions come back to the core. A relayed request that cannot be sent is
//! reported back to the core, which answers upstream.

use std::collections::VecDeque;
use std::time::Instant;

use rcs_harness::clock::Clock;
use tokio::sync::mpsc;

use super::peers::Peers;
use super::relay::{Core, Transmit};
use crate::message_center::relay_task::Relays;
use crate::net::{Incoming, Shutdown, SipEndpoint};

/// Runs until shutdown or until the endpoint closes.
pub(super) async fn run(
    mut core: Core,
    endpoint: SipEndpoint,
    (mut incoming, mut learned): (mpsc::Receiver<Incoming>, mpsc::UnboundedReceiver<Peers>),
    (mut relays, mut closed): (Relays, mpsc::UnboundedReceiver<u64>),
    clock: Clock,
    mut shutdown: Shutdown,
) {
    loop {
        let deadline = core.poll_timeout();
        let out = tokio::select! {
            _ = shutdown.recv() => break,
            Some(peers) = learned.recv() => {
                core.set_peers(peers);
                Vec::new()
            }
            item = incoming.recv() => match item {
                None => break,
                Some(item) => {
                    tracing::debug!(src = %item.src, "{}", String::from_utf8_lossy(&item.bytes));
                    core.handle(item, clock.now())
                }
            },
            Some(call) = closed.recv() => core.relay_closed(call, clock.now()),
            _ = sleep(&clock, deadline) => core.handle_timeout(clock.now()),
        };
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
        let sent = endpoint
            .send(&transmit.bytes, transmit.transport, transmit.dst)
            .await;
        if let Err(err) = sent {
            tracing::warn!(dst = %transmit.dst, "failed to {err}");
            if let Some(branch) = &transmit.branch {
                queue.extend(core.transport_error(branch, clock.now()));
            }
        }
    }
}
