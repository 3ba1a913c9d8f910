//! SIP client and server transactions (RFC 3261 §17), sans-IO.
//!
//! [`ClientNonInvite`] and [`ServerNonInvite`] are state machines that never read a clock,
//! sleep or touch a socket. Time is always an argument: the caller sends what `poll_transmit`
//! returns, calls `handle_timeout` at `poll_timeout`, and feeds in what arrives. Timers follow
//! RFC 3261 §17.1.2.2 and Table 4: E (retransmit, doubling from T1 up to T2, every T2 once a
//! provisional arrived; unreliable transports only), F (64*T1, timeout), K (T4 unreliable, zero
//! reliable) and J (64*T1 unreliable, zero reliable). A zero timer terminates at once. The
//! server transaction lives in the child module `transaction_server.rs`; the INVITE transactions
//! ([`ClientInvite`], §17.1.1, and [`ServerInvite`], §17.2.1 with the 2xx retransmission of
//! §13.3.1.4) in `transaction_invite.rs` and `transaction_invite_server.rs`.
//!
//! [`TransactionKey`] is the §17.1.3 / §17.2.3 matching key. Messages are opaque bytes: the
//! caller parses them and passes the status code. CANCEL, transport errors (§17.1.4, §17.2.4) and
//! the RFC 4320 changes are not implemented here.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

#[path = "transaction_server.rs"]
mod server;
pub use server::{ServerNonInvite, ServerState};

#[path = "transaction_invite.rs"]
mod invite;
pub use invite::{ClientInvite, non_2xx_ack};

#[path = "transaction_invite_server.rs"]
mod invite_server;
pub use invite_server::{InviteServerState, ServerInvite};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "transaction_pair.rs"]
mod pair;

/// The timer values of RFC 3261 §17.1.1.1 and Table 4.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Timers {
    /// RTT estimate: the first retransmission interval (default 500 ms).
    pub t1: Duration,
    /// The longest retransmission interval of a non-INVITE request (default 4 s).
    pub t2: Duration,
    /// The longest time a message stays in the network (default 5 s).
    pub t4: Duration,
}

impl Timers {
    /// Timer F and Timer J on unreliable transports: 64*T1.
    fn transaction_timeout(&self) -> Duration {
        self.t1.saturating_mul(64)
    }
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

/// The states of a non-INVITE client transaction (RFC 3261 Figure 6).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum ClientState {
    /// The request was sent; no response yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived; retransmitted finals are absorbed until Timer K.
    Completed,
    /// The transaction is over.
    Terminated,
}

/// What a client transaction reports to its transaction user.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum ClientEvent {
    /// A 1xx response arrived (every one is reported, RFC 3261 §17.1.2.2).
    Provisional(u16),
    /// The first 2xx-6xx response arrived.
    Final(u16),
    /// Timer F fired before a final response arrived.
    Timeout,
}

/// A non-INVITE client transaction (RFC 3261 §17.1.2).
#[derive(Debug)]
pub struct ClientNonInvite {
    request: Bytes,
    reliable: bool,
    timers: Timers,
    state: ClientState,
    /// Copies of the request waiting for [`ClientNonInvite::poll_transmit`].
    pending_sends: usize,
    events: VecDeque<ClientEvent>,
    /// Timer E: its deadline and the interval that led to it.
    timer_e: Option<(Instant, Duration)>,
    timer_f: Option<Instant>,
    timer_k: Option<Instant>,
}

impl ClientNonInvite {
    /// Starts the transaction for `request`, queueing its first transmission.
    ///
    /// Timer F starts now; Timer E only when the transport is not `reliable`.
    pub fn new(request: Bytes, reliable: bool, timers: Timers, now: Instant) -> Self {
        Self {
            request,
            reliable,
            timers,
            state: ClientState::Trying,
            pending_sends: 1,
            events: VecDeque::new(),
            timer_e: (!reliable).then(|| (now + timers.t1, timers.t1)),
            timer_f: Some(now + timers.transaction_timeout()),
            timer_k: None,
        }
    }

    /// The bytes to put on the wire now: the first send, then each retransmission.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.pending_sends = self.pending_sends.checked_sub(1)?;
        Some(self.request.clone())
    }

    /// Fires the timers due at `now`: E retransmits, F times out, K terminates.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timer_f.is_some_and(|deadline| deadline <= now) {
            self.events.push_back(ClientEvent::Timeout);
            self.pending_sends = 0;
            self.terminate();
            return;
        }
        if let Some((deadline, interval)) = self.timer_e
            && deadline <= now
        {
            let next = match self.state {
                ClientState::Proceeding => self.timers.t2,
                _ => interval.saturating_mul(2).min(self.timers.t2),
            };
            self.pending_sends += 1;
            self.timer_e = Some((now + next, next));
        }
        if self.timer_k.is_some_and(|deadline| deadline <= now) {
            self.terminate();
        }
    }

    /// Feeds a response of this transaction with its `status` code.
    ///
    /// 1xx moves Trying to Proceeding; the first 2xx-6xx moves to Completed. Responses in
    /// Completed or Terminated (retransmitted finals) and codes outside 100-699 are absorbed.
    pub fn handle_response(&mut self, status: u16, now: Instant) {
        if !matches!(self.state, ClientState::Trying | ClientState::Proceeding) {
            return;
        }
        match status {
            100..=199 => {
                self.state = ClientState::Proceeding;
                self.events.push_back(ClientEvent::Provisional(status));
            }
            200..=699 => {
                self.state = ClientState::Completed;
                self.events.push_back(ClientEvent::Final(status));
                self.timer_e = None;
                self.timer_f = None;
                match self.reliable {
                    true => self.terminate(),
                    false => self.timer_k = Some(now + self.timers.t4),
                }
            }
            _ => {}
        }
    }

    /// The next event for the transaction user.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The earliest pending timer (E, F or K).
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.timer_e.map(|(deadline, _)| deadline),
            self.timer_f,
            self.timer_k,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The current state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    fn terminate(&mut self) {
        self.state = ClientState::Terminated;
        self.timer_e = None;
        self.timer_f = None;
        self.timer_k = None;
    }
}

/// The key matching a message to its transaction (RFC 3261 §17.1.3 for responses, §17.2.3 for
/// requests): the top Via `branch`, its sent-by (`host[:port]`) and the method (from CSeq for
/// responses). Matching ACK to an INVITE transaction is out of scope.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct TransactionKey {
    /// The branch, starting with the magic cookie `z9hG4bK`.
    pub branch: String,
    /// The sent-by, with ASCII letters lowercased (host names are case-insensitive).
    pub sent_by: String,
    /// The method, case-sensitive like every SIP method.
    pub method: String,
}

impl TransactionKey {
    /// Builds a key, or `None` when `branch` is not an RFC 3261 transaction identifier: it
    /// lacks the magic cookie (compared exactly) or is nothing but the cookie (RFC 4475
    /// §3.2.1, `badbranch`). Such requests need the RFC 2543 matching rules instead.
    pub fn new(branch: &str, sent_by: &str, method: &str) -> Option<Self> {
        match branch.strip_prefix(MAGIC_COOKIE) {
            None | Some("") => None,
            Some(_) => Some(Self {
                branch: branch.to_owned(),
                sent_by: sent_by.to_ascii_lowercase(),
                method: method.to_owned(),
            }),
        }
    }
}

/// The branch prefix of RFC 3261 §8.1.1.7.
const MAGIC_COOKIE: &str = "z9hG4bK";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::pair::{Direction, Fate, Pair, ms, secs};
    use super::*;

    #[test]
    fn timer_e_doubles_up_to_t2_and_timer_f_fires_at_64_t1() {
        let mut pair = Pair::new(false);
        pair.fate = Box::new(|direction| match direction {
            Direction::ToServer => Fate::Drop,
            Direction::ToClient => Fate::Deliver,
        });
        pair.drive_for(secs(60));
        assert_eq!(
            pair.sent_times(Direction::ToServer),
            [
                0, 500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500
            ]
            .map(ms)
        );
        assert_eq!(pair.client_events, [(secs(32), ClientEvent::Timeout)]);
        assert_eq!(pair.client.state(), ClientState::Terminated);
        assert_eq!(pair.client.poll_timeout(), None);
    }

    #[test]
    fn custom_timers_scale_the_schedule() {
        let mut pair = Pair::with_timers(
            false,
            Timers {
                t1: ms(100),
                t2: ms(400),
                t4: secs(1),
            },
        );
        pair.fate = Box::new(|_| Fate::Drop);
        pair.drive_for(secs(60));
        let sent = pair.sent_times(Direction::ToServer);
        assert_eq!(sent[..6], [0, 100, 300, 700, 1_100, 1_500].map(ms));
        assert_eq!(sent.last(), Some(&ms(6_300)));
        assert_eq!(pair.client_events, [(ms(6_400), ClientEvent::Timeout)]);
    }

    #[test]
    fn reliable_client_never_retransmits() {
        let mut pair = Pair::new(true);
        pair.fate = Box::new(|_| Fate::Drop);
        pair.drive_for(secs(60));
        assert_eq!(pair.sent_times(Direction::ToServer), [ms(0)]);
        assert_eq!(pair.client_events, [(secs(32), ClientEvent::Timeout)]);
    }

    #[test]
    fn provisional_moves_client_to_proceeding_and_timer_e_runs_at_t2() {
        let mut pair = Pair::new(false);
        pair.delay = ms(10);
        pair.auto_answer = Some(100);
        pair.drive_for(secs(9));
        assert_eq!(pair.client.state(), ClientState::Proceeding);
        // E was armed in Trying for T1; once Proceeding, each firing re-arms it with T2.
        assert_eq!(
            pair.sent_times(Direction::ToServer),
            [0, 500, 4_500, 8_500].map(ms)
        );
        // The server answers each retransmission with its last response, 100 again.
        let provisional = ClientEvent::Provisional(100);
        assert_eq!(
            pair.client_events,
            [20, 520, 4_520, 8_520].map(|at| (ms(at), provisional))
        );
        pair.respond(200);
        pair.drive_for(secs(1));
        assert_eq!(
            pair.client_events.last(),
            Some(&(ms(9_010), ClientEvent::Final(200)))
        );
        assert_eq!(pair.client.state(), ClientState::Completed);
        assert_eq!(pair.sent_times(Direction::ToServer).len(), 4);
    }

    #[test]
    fn dropped_final_is_recovered_by_answering_the_retransmitted_request() {
        let mut pair = Pair::new(false);
        pair.delay = ms(10);
        pair.auto_answer = Some(200);
        let mut dropped = false;
        pair.fate = Box::new(move |direction| match direction {
            Direction::ToClient if !dropped => {
                dropped = true;
                Fate::Drop
            }
            _ => Fate::Deliver,
        });
        pair.drive_for(secs(2));
        assert_eq!(pair.sent_times(Direction::ToServer), [0, 500].map(ms));
        let finals = pair.sent_bytes(Direction::ToClient);
        assert_eq!(finals.len(), 2);
        assert_eq!(finals[0], finals[1]);
        assert_eq!(pair.sent_times(Direction::ToClient), [10, 510].map(ms));
        assert_eq!(pair.client_events, [(ms(520), ClientEvent::Final(200))]);
        assert_eq!(pair.server_requests, 1);
    }

    #[test]
    fn duplicated_and_delayed_finals_give_one_event() {
        let mut pair = Pair::new(false);
        pair.delay = ms(700);
        pair.auto_answer = Some(486);
        pair.fate = Box::new(|_| Fate::Duplicate);
        pair.drive_for(secs(3));
        // E fires at 500 ms, before the first final arrives at 1.4 s.
        assert_eq!(pair.sent_times(Direction::ToServer), [0, 500].map(ms));
        assert_eq!(pair.client_events, [(ms(1_400), ClientEvent::Final(486))]);
        let finals = pair.sent_bytes(Direction::ToClient);
        assert_eq!(finals.len(), 4);
        assert!(finals.iter().all(|bytes| *bytes == finals[0]));
        assert_eq!(pair.server_requests, 1);
    }

    #[test]
    fn timers_k_and_j_terminate_unreliable_transactions() {
        let mut pair = Pair::new(false);
        pair.delay = ms(10);
        pair.auto_answer = Some(200);
        pair.drive_for(ms(20));
        assert_eq!(pair.client.state(), ClientState::Completed);
        assert_eq!(pair.client.poll_timeout(), Some(pair.start + ms(5_020)));
        let server = pair.server.as_ref().unwrap();
        assert_eq!(server.state(), ServerState::Completed);
        assert_eq!(server.poll_timeout(), Some(pair.start + ms(32_010)));
        pair.drive_for(ms(5_000) - ms(1));
        assert_eq!(pair.client.state(), ClientState::Completed);
        pair.drive_for(ms(1));
        assert_eq!(pair.client.state(), ClientState::Terminated);
        pair.drive_for(secs(27) - ms(10) - ms(1));
        assert_eq!(pair.server_state(), ServerState::Completed);
        pair.drive_for(ms(1));
        assert_eq!(pair.server_state(), ServerState::Terminated);
        assert_eq!(pair.now, pair.start + ms(32_010));
    }

    #[test]
    fn reliable_transactions_terminate_on_the_final_response() {
        let mut pair = Pair::new(true);
        pair.delay = ms(10);
        pair.auto_answer = Some(200);
        pair.drive_for(secs(1));
        assert_eq!(pair.client_events, [(ms(20), ClientEvent::Final(200))]);
        assert_eq!(pair.client.state(), ClientState::Terminated);
        assert_eq!(pair.server_state(), ServerState::Terminated);
        assert_eq!(pair.sent_times(Direction::ToClient), [ms(10)]);
        assert_eq!(pair.client.poll_timeout(), None);
    }

    #[test]
    fn client_ignores_early_timeouts_and_late_responses() {
        let now = Instant::now();
        let request = Bytes::from_static(b"MESSAGE");
        let mut client = ClientNonInvite::new(request.clone(), false, Timers::default(), now);
        assert_eq!(client.poll_transmit(), Some(request));
        client.handle_timeout(now + ms(499));
        assert_eq!(client.poll_transmit(), None);
        client.handle_response(99, now);
        client.handle_response(700, now);
        assert_eq!(
            (client.poll_event(), client.state()),
            (None, ClientState::Trying)
        );
        client.handle_response(404, now + ms(100));
        client.handle_response(180, now + ms(101));
        client.handle_response(200, now + ms(102));
        assert_eq!(client.poll_event(), Some(ClientEvent::Final(404)));
        assert_eq!(client.poll_event(), None);
        client.handle_timeout(now + ms(600));
        assert_eq!(client.poll_transmit(), None);
        assert_eq!(client.poll_timeout(), Some(now + ms(5_100)));
    }

    #[test]
    fn transaction_keys_need_the_magic_cookie() {
        // RFC 4475 §3.2.1 badbranch: `branch=z9hG4bK` and nothing else.
        assert_eq!(TransactionKey::new("z9hG4bK", "192.0.2.1", "OPTIONS"), None);
        assert_eq!(
            TransactionKey::new("1234abcd", "192.0.2.1", "OPTIONS"),
            None
        );
        assert_eq!(
            TransactionKey::new("Z9HG4BK1", "192.0.2.1", "OPTIONS"),
            None
        );
        let key = TransactionKey::new("z9hG4bK7f3a01", "UE.Example:5060", "REGISTER").unwrap();
        assert_eq!(key.sent_by, "ue.example:5060");
        assert_eq!(
            TransactionKey::new("z9hG4bK7f3a01", "ue.example:5060", "REGISTER"),
            Some(key.clone())
        );
        assert_ne!(
            TransactionKey::new("z9hG4bK7f3a01", "ue.example:5060", "MESSAGE"),
            Some(key)
        );
    }

    proptest! {
        /// Whatever the link does, the client reports exactly one outcome, transmits nothing
        /// after it, and is terminated within 40 s (64*T1, plus T4, plus the longest delay).
        #[test]
        fn any_link_gives_exactly_one_outcome(
            fates in proptest::collection::vec(0..3u8, 0..40),
            delay_ms in 0..3_000u64,
        ) {
            let mut pair = Pair::new(false);
            pair.delay = ms(delay_ms);
            pair.auto_answer = Some(200);
            let mut fates = fates.into_iter();
            pair.fate = Box::new(move |_| match fates.next() {
                Some(0) => Fate::Drop,
                Some(1) => Fate::Duplicate,
                _ => Fate::Deliver,
            });
            pair.drive_for(secs(40));
            prop_assert_eq!(pair.client.state(), ClientState::Terminated);
            let [(at, outcome)] = pair.client_events[..] else {
                return Err(TestCaseError::fail(format!("events {:?}", pair.client_events)));
            };
            prop_assert!(matches!(outcome, ClientEvent::Final(200) | ClientEvent::Timeout));
            let last_send = *pair.sent_times(Direction::ToServer).last().unwrap();
            prop_assert!(last_send <= at);
        }
    }
}
