//! The INVITE client transaction (RFC 3261 §17.1.1, Figure 5), sans-IO.
//!
//! [`ClientInvite`] sends the INVITE, retransmits it on Timer A (unreliable transports only:
//! T1, then doubling without a cap) while no response has arrived, and gives up on Timer B
//! (64*T1) in that state. A 1xx stops both timers (Proceeding). A 2xx terminates the
//! transaction at once: the transaction user acknowledges it end to end through its dialog
//! (§13.2.2.4), and re-acknowledges any 2xx retransmission itself. A 300-699 moves to
//! Completed: the transaction builds the ACK of §17.1.1.3 from the request and the response,
//! sends it, sends it again for every retransmission of the final response, and terminates on
//! Timer D (32 s unreliable, zero reliable). A zero timer terminates at once.
//!
//! States reuse [`ClientState`], with [`ClientState::Trying`] standing for Figure 5's
//! "Calling". CANCEL, transport errors (§17.1.4) and the RFC 6026 "Accepted" state are not
//! implemented here. This file is a child module of `transaction.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{ClientEvent, ClientState, Timers};
use crate::sip::{Message, MessageBuilder};

/// Timer D on unreliable transports (RFC 3261 Table 4: at least 32 s).
const TIMER_D: Duration = Duration::from_secs(32);

/// An INVITE client transaction (RFC 3261 §17.1.1).
#[derive(Debug)]
pub struct ClientInvite {
    request: Message,
    reliable: bool,
    state: ClientState,
    transmits: VecDeque<Bytes>,
    events: VecDeque<ClientEvent>,
    /// The ACK for the non-2xx final response, once one arrived.
    ack: Option<Bytes>,
    /// Timer A: its deadline and the interval that led to it.
    timer_a: Option<(Instant, Duration)>,
    timer_b: Option<Instant>,
    timer_d: Option<Instant>,
}

impl ClientInvite {
    /// Starts the transaction for `request`, queueing its first transmission.
    ///
    /// Timer B starts now; Timer A only when the transport is not `reliable`.
    pub fn new(request: &Message, reliable: bool, timers: Timers, now: Instant) -> Self {
        Self {
            request: request.clone(),
            reliable,
            state: ClientState::Trying,
            transmits: VecDeque::from([request.raw().clone()]),
            events: VecDeque::new(),
            ack: None,
            timer_a: (!reliable).then(|| (now + timers.t1, timers.t1)),
            timer_b: Some(now + timers.transaction_timeout()),
            timer_d: None,
        }
    }

    /// The bytes to put on the wire now: the INVITE, its retransmissions, and ACKs.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// Feeds a response of this transaction (the caller matched it, §17.1.3).
    ///
    /// 1xx moves Calling to Proceeding; 2xx terminates; 300-699 moves to Completed and sends
    /// the ACK. In Completed each retransmitted 300-699 is answered with the same ACK. Other
    /// responses, requests and codes outside 100-699 are absorbed.
    pub fn handle_response(&mut self, response: &Message, now: Instant) {
        let Some(status) = response.status() else {
            return;
        };
        match (self.state, status) {
            (ClientState::Trying | ClientState::Proceeding, 100..=199) => {
                self.state = ClientState::Proceeding;
                self.timer_a = None;
                self.timer_b = None;
                self.events.push_back(ClientEvent::Provisional(status));
            }
            (ClientState::Trying | ClientState::Proceeding, 200..=299) => {
                self.events.push_back(ClientEvent::Final(status));
                self.terminate();
            }
            (ClientState::Trying | ClientState::Proceeding, 300..=699) => {
                self.events.push_back(ClientEvent::Final(status));
                self.complete(response, now);
            }
            (ClientState::Completed, 300..=699) => {
                if let Some(ack) = &self.ack {
                    self.transmits.push_back(ack.clone());
                }
            }
            _ => {}
        }
    }

    /// Fires the timers due at `now`: A retransmits, B times out, D terminates.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timer_b.is_some_and(|deadline| deadline <= now) {
            self.events.push_back(ClientEvent::Timeout);
            self.transmits.clear();
            self.terminate();
            return;
        }
        if let Some((deadline, interval)) = self.timer_a
            && deadline <= now
        {
            let next = interval.saturating_mul(2);
            self.transmits.push_back(self.request.raw().clone());
            self.timer_a = Some((now + next, next));
        }
        if self.timer_d.is_some_and(|deadline| deadline <= now) {
            self.terminate();
        }
    }

    /// The earliest pending timer (A, B or D).
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.timer_a.map(|(deadline, _)| deadline),
            self.timer_b,
            self.timer_d,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next event for the transaction user.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The current state ([`ClientState::Trying`] is Figure 5's "Calling").
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// The ACK sent for the non-2xx final response, once there is one.
    pub fn ack(&self) -> Option<&Bytes> {
        self.ack.as_ref()
    }

    fn complete(&mut self, response: &Message, now: Instant) {
        let ack = non_2xx_ack(&self.request, response).raw().clone();
        self.transmits.push_back(ack.clone());
        self.ack = Some(ack);
        self.state = ClientState::Completed;
        self.timer_a = None;
        self.timer_b = None;
        match self.reliable {
            true => self.terminate(),
            false => self.timer_d = Some(now + TIMER_D),
        }
    }

    fn terminate(&mut self) {
        self.state = ClientState::Terminated;
        self.timer_a = None;
        self.timer_b = None;
        self.timer_d = None;
    }
}

/// The ACK for a 300-699 response (RFC 3261 §17.1.1.3): the request's Request-URI, its top Via
/// only, Max-Forwards (70 if the request had none), its Route lines, From and Call-ID, the
/// response's To (with its tag), and the request's CSeq number with the method ACK.
pub fn non_2xx_ack(request: &Message, response: &Message) -> Message {
    let mut ack = MessageBuilder::request("ACK", request.request_uri().unwrap_or_default());
    if let Some(via) = request.header_values("Via").first() {
        ack = ack.header("Via", via);
    }
    ack = ack.header(
        "Max-Forwards",
        request.header("Max-Forwards").unwrap_or("70"),
    );
    for route in request.header_all("Route") {
        ack = ack.header("Route", route);
    }
    let to = response.header("To").or_else(|| request.header("To"));
    let seq = request
        .header("CSeq")
        .and_then(|cseq| cseq.split_whitespace().next())
        .unwrap_or("0");
    for (name, value) in [
        ("From", request.header("From")),
        ("To", to),
        ("Call-ID", request.call_id()),
    ] {
        if let Some(value) = value {
            ack = ack.header(name, value);
        }
    }
    ack.header("CSeq", &format!("{seq} ACK")).build()
}
