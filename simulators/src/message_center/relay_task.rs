//! The MSRP relay of the message center: for each anchored call, a task that opens the sessions
//! of both legs on the message center's [`MsrpStack`] and relays between them (RFC 4975; the
//! decisions are `session_relay`'s).
//!
//! [`Relays`] runs the B2BUA's [`Command`]s. `Open` spawns the task of a call: it opens both
//! sessions at once (each active or passive as negotiated; a passive one waits at most the
//! stack's bound), then forwards every chunk and REPORT from one leg to the other in arrival
//! order. `Close` (even one that comes while the sessions are still opening: they open first)
//! makes it relay what is still arriving until both legs have been quiet for
//! [`DRAIN_IDLE`] (at most [`DRAIN_MAX`]), close both sessions and report the call closed, so
//! the B2BUA's BYE follows what was relayed. A task whose sessions cannot be opened reports the
//! call closed too. MSRP runs on real time; nothing outlives [`Relays::shutdown`].

use std::collections::HashMap;
use std::time::Duration;

use rcs_proto::msrp::SessionEvent;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use super::config::Faults;
use super::session_relay::{Command, Forwarder, LegMedia, Report, rechunk};
use crate::msrp::{MsrpSession, MsrpStack};

/// How long both legs must be quiet before a closing call's sessions are closed.
pub const DRAIN_IDLE: Duration = Duration::from_millis(200);

/// The longest a closing call relays before its sessions are closed anyway.
pub const DRAIN_MAX: Duration = Duration::from_secs(2);

/// How long the relay waits for an event before looking at its close signal again.
const POLL: Duration = Duration::from_secs(3600);

/// One relay task.
#[derive(Debug)]
struct Running {
    close: Option<oneshot::Sender<()>>,
    task: AbortHandle,
}

/// The relay tasks of one message center.
#[derive(Debug)]
pub struct Relays {
    stack: Option<MsrpStack>,
    faults: Faults,
    running: HashMap<u64, Running>,
    closed: mpsc::UnboundedSender<u64>,
}

impl Relays {
    /// Relays on `stack` with the MSRP faults among `faults`; the receiver gets the calls whose
    /// sessions are closed.
    pub fn new(stack: Option<MsrpStack>, faults: Faults) -> (Self, mpsc::UnboundedReceiver<u64>) {
        let (closed, closed_rx) = mpsc::unbounded_channel();
        let relays = Self {
            stack,
            faults,
            running: HashMap::new(),
            closed,
        };
        (relays, closed_rx)
    }

    /// Runs one command of the B2BUA.
    pub fn apply(&mut self, command: Command) {
        self.running.retain(|_, r| !r.task.is_finished());
        match command {
            Command::Open { call, a, b } => self.open(call, *a, *b),
            Command::Close { call } => match self.running.get_mut(&call) {
                Some(Running {
                    close: close @ Some(_),
                    ..
                }) => {
                    if let Some(close) = close.take() {
                        let _ = close.send(());
                    }
                }
                Some(_) => {}
                None => {
                    let _ = self.closed.send(call);
                }
            },
        }
    }

    fn open(&mut self, call: u64, a: LegMedia, b: LegMedia) {
        let Some(stack) = self.stack.clone() else {
            tracing::warn!(call, "no MSRP stack: the sessions cannot be relayed");
            let _ = self.closed.send(call);
            return;
        };
        let (close, close_rx) = oneshot::channel();
        let relay = Relay {
            call,
            forward_ab: Forwarder::new(&self.faults),
            forward_ba: Forwarder::new(&self.faults),
            max_chunk: (b.max_chunk, a.max_chunk),
        };
        let closed = self.closed.clone();
        let task = tokio::spawn(async move {
            relay.run(stack, a, b, close_rx).await;
            let _ = closed.send(call);
        });
        let running = Running {
            close: Some(close),
            task: task.abort_handle(),
        };
        self.running.insert(call, running);
    }

    /// Stops every relay task.
    pub fn shutdown(&mut self) {
        for (_, running) in self.running.drain() {
            running.task.abort();
        }
    }
}

/// The relay of one call.
struct Relay {
    call: u64,
    forward_ab: Forwarder,
    forward_ba: Forwarder,
    /// The largest chunk forwarded onto leg B, and onto leg A (see [`LegMedia::max_chunk`]).
    max_chunk: (Option<usize>, Option<usize>),
}

impl Relay {
    async fn run(
        mut self,
        stack: MsrpStack,
        a: LegMedia,
        b: LegMedia,
        mut close: oneshot::Receiver<()>,
    ) {
        let call = self.call;
        let opening = async {
            tokio::join!(
                stack.open(a.config(), a.setup, a.tls),
                stack.open(b.config(), b.setup, b.tls),
            )
        };
        tokio::pin!(opening);
        // A close while the legs are opening (the sender's BYE can come before the other leg's
        // connection is up) still lets them open, within the stack's bounds, and drains them:
        // what the first leg already took is relayed before the BYE goes on.
        let mut closing = false;
        let (leg_a, leg_b) = tokio::select! {
            opened = &mut opening => opened,
            _ = &mut close => {
                closing = true;
                opening.await
            }
        };
        let (leg_a, leg_b) = match (leg_a, leg_b) {
            (Ok(leg_a), Ok(leg_b)) => (leg_a, leg_b),
            (leg_a, leg_b) => {
                for result in [leg_a, leg_b] {
                    match result {
                        Ok(session) => session.close().await,
                        Err(err) => tracing::warn!(call, "failed to open a session leg: {err}"),
                    }
                }
                return;
            }
        };
        tracing::info!(call, a = %leg_a.local_uri(), b = %leg_b.local_uri(), "relaying MSRP");
        if !closing {
            loop {
                tokio::select! {
                    event = leg_a.next_event(POLL) => self.relay(event, Direction::AToB, &leg_b).await,
                    event = leg_b.next_event(POLL) => self.relay(event, Direction::BToA, &leg_a).await,
                    _ = &mut close => break,
                }
            }
        }
        self.drain(&leg_a, &leg_b).await;
        leg_a.close().await;
        leg_b.close().await;
        tracing::info!(call, "MSRP sessions closed");
    }

    /// Relays what still arrives until both legs are quiet.
    async fn drain(&mut self, leg_a: &MsrpSession, leg_b: &MsrpSession) {
        let draining = async {
            loop {
                let event = tokio::select! {
                    event = leg_a.next_event(DRAIN_IDLE) => event.map(|e| (e, Direction::AToB)),
                    event = leg_b.next_event(DRAIN_IDLE) => event.map(|e| (e, Direction::BToA)),
                };
                let Some((event, direction)) = event else {
                    return;
                };
                let to = match direction {
                    Direction::AToB => leg_b,
                    Direction::BToA => leg_a,
                };
                self.relay(Some(event), direction, to).await;
            }
        };
        let _ = tokio::time::timeout(DRAIN_MAX, draining).await;
    }

    async fn relay(&mut self, event: Option<SessionEvent>, direction: Direction, to: &MsrpSession) {
        let (forwarder, max_chunk) = match direction {
            Direction::AToB => (&mut self.forward_ab, self.max_chunk.0),
            Direction::BToA => (&mut self.forward_ba, self.max_chunk.1),
        };
        match event {
            Some(SessionEvent::Chunk(chunk)) => {
                for chunk in forwarder.chunk(chunk) {
                    let pieces = match max_chunk {
                        Some(max) => rechunk(chunk, max),
                        None => vec![chunk],
                    };
                    for piece in pieces {
                        to.forward_chunk(&piece).await;
                    }
                }
            }
            Some(SessionEvent::Report {
                message_id,
                status,
                byte_range,
            }) => {
                let report = Report {
                    message_id,
                    byte_range,
                    status,
                };
                if let Some(report) = forwarder.report(&report) {
                    to.send_report(&report.message_id, report.byte_range, report.status)
                        .await;
                }
            }
            Some(other) => tracing::debug!(call = self.call, ?direction, "msrp: {other:?}"),
            None => {}
        }
    }
}

/// Which way a relayed frame goes.
#[derive(Clone, Copy, Debug)]
enum Direction {
    AToB,
    BToA,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use rcs_harness::agent::WireTap;
    use rcs_harness::clock::Clock;
    use rcs_proto::msrp::{MsrpUri, SendOptions, SessionConfig};
    use rcs_proto::sdp::Setup;

    use super::*;

    async fn stack(role: &str) -> MsrpStack {
        // Nothing reads the capture: a tap ignores a receiver that is gone.
        let (tx, _) = mpsc::unbounded_channel();
        let tap = WireTap::new(role, Clock::real(), tx);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        MsrpStack::start(ip, None, tap, Clock::real())
            .await
            .unwrap()
    }

    /// The message center's passive leg towards `remote`.
    fn leg(local: MsrpUri, remote: MsrpUri) -> Box<LegMedia> {
        Box::new(LegMedia {
            local,
            remote: vec![remote],
            accept_types: Vec::new(),
            accept_wrapped_types: Vec::new(),
            max_size: None,
            setup: Setup::Passive,
            tls: false,
            max_chunk: None,
        })
    }

    /// The sender's BYE can close the call before the callee's leg is up: what the caller's leg
    /// took is still relayed once it is.
    #[tokio::test]
    async fn a_close_while_a_leg_is_opening_still_relays_what_arrived() {
        let (mc, alice, bob) = (stack("mc").await, stack("alice").await, stack("bob").await);
        let (alice_uri, bob_uri) = (alice.new_local_uri(false), bob.new_local_uri(false));
        let (mc_a, mc_b) = (mc.new_local_uri(false), mc.new_local_uri(false));
        let (mut relays, mut closed) = Relays::new(Some(mc.clone()), Faults::default());
        relays.apply(Command::Open {
            call: 7,
            a: leg(mc_a.clone(), alice_uri.clone()),
            b: leg(mc_b.clone(), bob_uri.clone()),
        });
        let config = SessionConfig::new(alice_uri, vec![mc_a]);
        let caller = alice.open(config, Setup::Active, false).await.unwrap();
        let id = caller
            .send("text/plain", b"hello", SendOptions::default())
            .await
            .unwrap();
        let answered = caller.next_event(Duration::from_secs(5)).await.unwrap();
        assert!(
            matches!(&answered, SessionEvent::Answered { message_id, status: 200 } if *message_id == id),
            "{answered:?}"
        );
        relays.apply(Command::Close { call: 7 });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let config = SessionConfig::new(bob_uri, vec![mc_b]);
        let callee = bob.open(config, Setup::Active, false).await.unwrap();
        let received = callee.next_event(Duration::from_secs(5)).await.unwrap();
        assert!(
            matches!(&received, SessionEvent::Received { body, .. } if body == b"hello"),
            "{received:?}"
        );
        let call = tokio::time::timeout(Duration::from_secs(5), closed.recv()).await;
        assert_eq!(call.unwrap(), Some(7));
        relays.shutdown();
    }
}
