//! The non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8), sans-IO: the request
//! arrives, the transaction user's responses are queued for sending, retransmitted requests are
//! answered with the last response, and Timer J (64*T1 on unreliable transports, zero on
//! reliable ones) ends the Completed state. The caller matches requests to the transaction
//! with [`super::TransactionKey`]; this file is a child module of `transaction.rs`.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::Timers;

/// The states of a non-INVITE server transaction (RFC 3261 Figure 8).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum ServerState {
    /// The request arrived; the transaction user has not answered yet.
    Trying,
    /// A provisional response was sent.
    Proceeding,
    /// A final response was sent; request retransmissions are answered with it until Timer J.
    Completed,
    /// The transaction is over.
    Terminated,
}

/// A non-INVITE server transaction (RFC 3261 §17.2.2).
#[derive(Debug)]
pub struct ServerNonInvite {
    reliable: bool,
    timers: Timers,
    state: ServerState,
    /// The last response sent, repeated for each retransmitted request.
    last_response: Option<Bytes>,
    transmits: VecDeque<Bytes>,
    timer_j: Option<Instant>,
}

impl ServerNonInvite {
    /// Creates the transaction for a request that just arrived (in Trying, no timer runs).
    pub fn new(reliable: bool, timers: Timers, _now: Instant) -> Self {
        Self {
            reliable,
            timers,
            state: ServerState::Trying,
            last_response: None,
            transmits: VecDeque::new(),
            timer_j: None,
        }
    }

    /// Feeds a retransmission of the request: in Proceeding and Completed the last response
    /// is queued again; in Trying and Terminated it is absorbed.
    pub fn handle_request_retransmission(&mut self, _now: Instant) {
        if !matches!(self.state, ServerState::Proceeding | ServerState::Completed) {
            return;
        }
        if let Some(response) = &self.last_response {
            self.transmits.push_back(response.clone());
        }
    }

    /// Queues `response` from the transaction user, whose code is `status`.
    ///
    /// A 1xx moves to Proceeding; a 2xx-6xx moves to Completed and starts Timer J (64*T1 on
    /// unreliable transports; on reliable ones the transaction terminates at once, the response
    /// still queued). Responses in Completed or Terminated and codes outside 100-699 are
    /// discarded (§17.2.2).
    pub fn send_response(&mut self, response: Bytes, status: u16, now: Instant) {
        if !matches!(self.state, ServerState::Trying | ServerState::Proceeding) {
            return;
        }
        self.state = match status {
            100..=199 => ServerState::Proceeding,
            200..=699 if self.reliable => ServerState::Terminated,
            200..=699 => {
                self.timer_j = Some(now + self.timers.transaction_timeout());
                ServerState::Completed
            }
            _ => return,
        };
        self.transmits.push_back(response.clone());
        self.last_response = Some(response);
    }

    /// The bytes to put on the wire now.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// Fires Timer J when due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timer_j.is_some_and(|deadline| deadline <= now) {
            self.timer_j = None;
            self.state = ServerState::Terminated;
        }
    }

    /// The pending timer (J), if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer_j
    }

    /// The current state.
    pub fn state(&self) -> ServerState {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn server_answers_retransmissions_only_once_it_has_a_response() {
        let now = Instant::now();
        let mut server = ServerNonInvite::new(false, Timers::default(), now);
        server.handle_request_retransmission(now);
        assert_eq!(server.poll_transmit(), None);
        server.send_response(Bytes::from_static(b"100"), 100, now);
        server.handle_request_retransmission(now);
        assert_eq!(server.poll_transmit().as_deref(), Some(&b"100"[..]));
        assert_eq!(server.poll_transmit().as_deref(), Some(&b"100"[..]));
        server.send_response(Bytes::from_static(b"200"), 200, now);
        server.send_response(Bytes::from_static(b"500"), 500, now);
        server.handle_request_retransmission(now);
        assert_eq!(server.poll_transmit().as_deref(), Some(&b"200"[..]));
        assert_eq!(server.poll_transmit().as_deref(), Some(&b"200"[..]));
        assert_eq!(server.poll_transmit(), None);
        let timer_j = now + Duration::from_secs(32);
        assert_eq!(server.poll_timeout(), Some(timer_j));
        server.handle_timeout(timer_j - Duration::from_millis(1));
        assert_eq!(server.state(), ServerState::Completed);
        server.handle_timeout(timer_j);
        server.handle_request_retransmission(timer_j);
        assert_eq!(server.state(), ServerState::Terminated);
        assert_eq!(server.poll_transmit(), None);
    }

    #[test]
    fn reliable_server_terminates_on_its_final_response() {
        let now = Instant::now();
        let mut server = ServerNonInvite::new(true, Timers::default(), now);
        server.send_response(Bytes::from_static(b"bad"), 700, now);
        assert_eq!(
            (server.state(), server.poll_transmit()),
            (ServerState::Trying, None)
        );
        server.send_response(Bytes::from_static(b"202"), 202, now);
        assert_eq!(server.state(), ServerState::Terminated);
        assert_eq!(server.poll_timeout(), None);
        assert_eq!(server.poll_transmit().as_deref(), Some(&b"202"[..]));
        server.handle_request_retransmission(now);
        assert_eq!(server.poll_transmit(), None);
    }
}
