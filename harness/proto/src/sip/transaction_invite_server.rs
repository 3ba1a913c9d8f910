//! The INVITE server transaction (RFC 3261 §17.2.1, Figure 7) with the 2xx retransmissions of
//! §13.3.1.4 and the "Accepted" state of RFC 6026, sans-IO.
//!
//! [`ServerInvite`] starts in Proceeding: whether and when to send `100 Trying` is the
//! caller's choice (a 100 is sent with [`ServerInvite::send_response`] like any provisional).
//! A retransmitted INVITE is answered with the last provisional response. A 2xx moves to
//! Accepted, where the 2xx is sent again at T1, doubling up to T2 (whatever the transport,
//! §13.3.1.4) until [`ServerInvite::handle_ack`] or 64*T1, when [`ServerInvite::ack_timed_out`]
//! tells the transaction user to end the session with BYE. A 300-699 moves to Completed:
//! Timer G retransmits it (unreliable transports only), the ACK moves to Confirmed, Timer H
//! (64*T1) gives up waiting for it, and Timer I (T4 unreliable, zero reliable) terminates.
//!
//! The caller matches requests and ACKs to the transaction; matching the ACK of a 2xx (a
//! request of its own, §17.2.3) is its job too. CANCEL and transport errors are not handled.
//! This file is a child module of `transaction.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::Timers;

/// The states of an INVITE server transaction (RFC 3261 Figure 7, RFC 6026 Figure 5).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum InviteServerState {
    /// The INVITE arrived; no final response yet.
    Proceeding,
    /// A 2xx was sent; it is retransmitted until the ACK arrives or 64*T1 passes.
    Accepted,
    /// A 300-699 was sent; it is retransmitted until the ACK arrives or Timer H fires.
    Completed,
    /// The ACK for the 300-699 arrived; later ACKs are absorbed until Timer I.
    Confirmed,
    /// The transaction is over.
    Terminated,
}

/// An INVITE server transaction (RFC 3261 §17.2.1 and §13.3.1.4).
#[derive(Debug)]
pub struct ServerInvite {
    reliable: bool,
    timers: Timers,
    state: InviteServerState,
    /// The last response sent: a provisional in Proceeding, else the final.
    last_response: Option<Bytes>,
    transmits: VecDeque<Bytes>,
    /// Timer G in Completed, the §13.3.1.4 2xx timer in Accepted: deadline and interval.
    retransmit: Option<(Instant, Duration)>,
    /// Timer H in Completed, the 64*T1 limit of §13.3.1.4 in Accepted.
    give_up: Option<Instant>,
    timer_i: Option<Instant>,
    ack_timed_out: bool,
}

impl ServerInvite {
    /// Creates the transaction for an INVITE that just arrived (in Proceeding, no timer runs).
    pub fn new(reliable: bool, timers: Timers, _now: Instant) -> Self {
        Self {
            reliable,
            timers,
            state: InviteServerState::Proceeding,
            last_response: None,
            transmits: VecDeque::new(),
            retransmit: None,
            give_up: None,
            timer_i: None,
            ack_timed_out: false,
        }
    }

    /// Queues `response` from the transaction user, whose code is `status`.
    ///
    /// 1xx keeps Proceeding; 2xx moves to Accepted; 300-699 moves to Completed. Responses
    /// after the final one and codes outside 100-699 are discarded.
    pub fn send_response(&mut self, response: Bytes, status: u16, now: Instant) {
        if self.state != InviteServerState::Proceeding {
            return;
        }
        let give_up = now + self.timers.t1.saturating_mul(64);
        match status {
            100..=199 => {}
            200..=299 => {
                self.state = InviteServerState::Accepted;
                self.retransmit = Some((now + self.timers.t1, self.timers.t1));
                self.give_up = Some(give_up);
            }
            300..=699 => {
                self.state = InviteServerState::Completed;
                self.retransmit = (!self.reliable).then(|| (now + self.timers.t1, self.timers.t1));
                self.give_up = Some(give_up);
            }
            _ => return,
        }
        self.transmits.push_back(response.clone());
        self.last_response = Some(response);
    }

    /// Feeds a retransmission of the INVITE: in Proceeding the last provisional (if any) is
    /// queued again, in Completed the final response (§17.2.1). In Accepted it is absorbed
    /// (RFC 6026 §8.5), as in Confirmed and Terminated.
    pub fn handle_request_retransmission(&mut self, _now: Instant) {
        if !matches!(
            self.state,
            InviteServerState::Proceeding | InviteServerState::Completed
        ) {
            return;
        }
        if let Some(response) = &self.last_response {
            self.transmits.push_back(response.clone());
        }
    }

    /// Feeds an ACK: in Accepted it ends the 2xx retransmissions and the transaction; in
    /// Completed it moves to Confirmed and starts Timer I. Otherwise it is absorbed.
    pub fn handle_ack(&mut self, now: Instant) {
        match self.state {
            InviteServerState::Accepted => self.terminate(),
            InviteServerState::Completed => {
                self.state = InviteServerState::Confirmed;
                self.retransmit = None;
                self.give_up = None;
                match self.reliable {
                    true => self.terminate(),
                    false => self.timer_i = Some(now + self.timers.t4),
                }
            }
            _ => {}
        }
    }

    /// Fires the timers due at `now`: retransmissions (G, 2xx), give-up (H, 64*T1) and I.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.give_up.is_some_and(|deadline| deadline <= now) {
            self.ack_timed_out = true;
            self.terminate();
            return;
        }
        if let Some((deadline, interval)) = self.retransmit
            && deadline <= now
        {
            let next = interval.saturating_mul(2).min(self.timers.t2);
            if let Some(response) = &self.last_response {
                self.transmits.push_back(response.clone());
            }
            self.retransmit = Some((now + next, next));
        }
        if self.timer_i.is_some_and(|deadline| deadline <= now) {
            self.terminate();
        }
    }

    /// The earliest pending timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.retransmit.map(|(deadline, _)| deadline),
            self.give_up,
            self.timer_i,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The bytes to put on the wire now.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// The current state.
    pub fn state(&self) -> InviteServerState {
        self.state
    }

    /// True once the transaction is over.
    pub fn is_terminated(&self) -> bool {
        self.state == InviteServerState::Terminated
    }

    /// True when no ACK arrived for the final response within 64*T1: for a 2xx the session
    /// should be ended with BYE (§13.3.1.4); for a 300-699 Timer H fired (§17.2.1).
    pub fn ack_timed_out(&self) -> bool {
        self.ack_timed_out
    }

    fn terminate(&mut self) {
        self.state = InviteServerState::Terminated;
        self.retransmit = None;
        self.give_up = None;
        self.timer_i = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn bytes(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    /// Runs timers from `start` up to `until` (offsets), returning each transmission's offset
    /// and bytes.
    fn drive(server: &mut ServerInvite, start: Instant, until: Duration) -> Vec<(u64, Bytes)> {
        let mut sent = Vec::new();
        let mut now = start;
        loop {
            while let Some(out) = server.poll_transmit() {
                let offset = u64::try_from((now - start).as_millis()).unwrap_or(u64::MAX);
                sent.push((offset, out));
            }
            match server.poll_timeout() {
                Some(at) if at <= start + until => now = now.max(at),
                _ => return sent,
            }
            server.handle_timeout(now);
        }
    }

    fn times(sent: &[(u64, Bytes)]) -> Vec<u64> {
        sent.iter().map(|(at, _)| *at).collect()
    }

    #[test]
    fn retransmitted_invite_gets_the_last_provisional() {
        let now = Instant::now();
        let mut server = ServerInvite::new(false, Timers::default(), now);
        server.handle_request_retransmission(now);
        assert_eq!(server.poll_transmit(), None);
        server.send_response(bytes("100"), 100, now);
        server.send_response(bytes("180"), 180, now);
        assert_eq!(server.poll_transmit(), Some(bytes("100")));
        assert_eq!(server.poll_transmit(), Some(bytes("180")));
        server.handle_request_retransmission(now);
        assert_eq!(server.poll_transmit(), Some(bytes("180")));
        assert_eq!(server.poll_transmit(), None);
        assert_eq!(server.state(), InviteServerState::Proceeding);
        assert_eq!(server.poll_timeout(), None);
    }

    #[test]
    fn two_hundred_is_retransmitted_doubling_to_t2_until_the_ack() {
        let start = Instant::now();
        let mut server = ServerInvite::new(true, Timers::default(), start);
        server.send_response(bytes("200"), 200, start);
        assert_eq!(server.state(), InviteServerState::Accepted);
        let sent = drive(&mut server, start, ms(10_000));
        assert_eq!(times(&sent), [0, 500, 1_500, 3_500, 7_500]);
        assert!(sent.iter().all(|(_, out)| *out == bytes("200")));
        // RFC 6026 §8.5: a retransmitted INVITE is absorbed; later responses are discarded.
        server.handle_request_retransmission(start + ms(10_000));
        server.send_response(bytes("500"), 500, start + ms(10_000));
        assert_eq!(server.poll_transmit(), None);
        assert_eq!(server.poll_timeout(), Some(start + ms(11_500)));
        server.handle_ack(start + ms(10_000));
        assert!(server.is_terminated());
        assert!(!server.ack_timed_out());
        assert_eq!(server.poll_timeout(), None);
    }

    #[test]
    fn two_hundred_without_ack_times_out_at_64_t1() {
        let start = Instant::now();
        let mut server = ServerInvite::new(false, Timers::default(), start);
        server.send_response(bytes("200"), 200, start);
        let sent = drive(&mut server, start, ms(60_000));
        assert_eq!(
            times(&sent),
            [
                0, 500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500
            ]
        );
        assert!(server.ack_timed_out());
        assert!(server.is_terminated());
        server.handle_ack(start + ms(60_000));
        assert_eq!(server.state(), InviteServerState::Terminated);
    }

    #[test]
    fn unreliable_non_2xx_timer_g_ack_then_timer_i() {
        let start = Instant::now();
        let mut server = ServerInvite::new(false, Timers::default(), start);
        server.send_response(bytes("100"), 100, start);
        server.send_response(bytes("486"), 486, start + ms(100));
        assert_eq!(server.state(), InviteServerState::Completed);
        let sent = drive(&mut server, start, ms(2_000));
        assert_eq!(times(&sent), [0, 0, 600, 1_600]);
        assert_eq!(sent[3].1, bytes("486"));
        server.handle_request_retransmission(start + ms(2_000));
        assert_eq!(server.poll_transmit(), Some(bytes("486")));
        server.handle_ack(start + ms(2_000));
        assert_eq!(server.state(), InviteServerState::Confirmed);
        // Timer I: T4 after the ACK; further ACKs and INVITEs are absorbed.
        assert_eq!(server.poll_timeout(), Some(start + ms(7_000)));
        server.handle_ack(start + ms(3_000));
        server.handle_request_retransmission(start + ms(3_000));
        assert_eq!(server.poll_transmit(), None);
        assert!(drive(&mut server, start + ms(2_000), ms(10_000)).is_empty());
        assert!(server.is_terminated());
        assert!(!server.ack_timed_out());
    }

    #[test]
    fn reliable_non_2xx_has_no_timer_g_and_ends_on_ack_or_timer_h() {
        let start = Instant::now();
        let mut acked = ServerInvite::new(true, Timers::default(), start);
        acked.send_response(bytes("603"), 603, start);
        assert_eq!(acked.poll_timeout(), Some(start + ms(32_000)));
        acked.handle_ack(start + ms(50));
        assert!(acked.is_terminated());
        assert_eq!(acked.poll_transmit(), Some(bytes("603")));

        let mut silent = ServerInvite::new(true, Timers::default(), start);
        silent.send_response(bytes("603"), 603, start);
        assert_eq!(times(&drive(&mut silent, start, ms(60_000))), [0]);
        assert!(silent.is_terminated());
        assert!(silent.ack_timed_out());
    }

    #[test]
    fn odd_codes_and_early_timeouts_change_nothing() {
        let start = Instant::now();
        let mut server = ServerInvite::new(false, Timers::default(), start);
        server.send_response(bytes("700"), 700, start);
        server.send_response(bytes("99"), 99, start);
        server.handle_ack(start);
        assert_eq!(
            (server.poll_transmit(), server.state()),
            (None, InviteServerState::Proceeding)
        );
        server.send_response(bytes("404"), 404, start);
        server.poll_transmit();
        server.handle_timeout(start + ms(499));
        assert_eq!(server.poll_transmit(), None);
        server.handle_timeout(start + ms(500));
        assert_eq!(server.poll_transmit(), Some(bytes("404")));
    }
}
