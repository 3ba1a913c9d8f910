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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn invite() -> Message {
        Message::parse(INVITE).unwrap()
    }

    fn response(status: u16, reason: &str) -> Message {
        MessageBuilder::response_to(&invite(), status, reason)
            .to_tag("b7")
            .build()
    }

    /// Runs timers and transmissions from `start` up to `until`, returning the offsets (from
    /// `start`) of every transmission.
    fn drive(client: &mut ClientInvite, start: Instant, until: Duration) -> Vec<Duration> {
        let mut sent = Vec::new();
        let mut now = start;
        loop {
            while client.poll_transmit().is_some() {
                sent.push(now - start);
            }
            match client.poll_timeout() {
                Some(at) if at <= start + until => now = now.max(at),
                _ => return sent,
            }
            client.handle_timeout(now);
        }
    }

    #[test]
    fn timer_a_doubles_without_cap_and_timer_b_fires_at_64_t1() {
        let start = Instant::now();
        let mut client = ClientInvite::new(&invite(), false, Timers::default(), start);
        let sent = drive(&mut client, start, Duration::from_secs(60));
        assert_eq!(sent, [0, 500, 1_500, 3_500, 7_500, 15_500, 31_500].map(ms));
        assert_eq!(client.poll_event(), Some(ClientEvent::Timeout));
        assert_eq!(client.poll_event(), None);
        assert_eq!(client.state(), ClientState::Terminated);
        assert_eq!(client.poll_timeout(), None);
    }

    #[test]
    fn reliable_client_sends_once_and_times_out_on_timer_b() {
        let start = Instant::now();
        let timers = Timers {
            t1: ms(100),
            ..Timers::default()
        };
        let mut client = ClientInvite::new(&invite(), true, timers, start);
        assert_eq!(client.poll_timeout(), Some(start + ms(6_400)));
        let sent = drive(&mut client, start, Duration::from_secs(60));
        assert_eq!(sent, [ms(0)]);
        assert_eq!(client.poll_event(), Some(ClientEvent::Timeout));
    }

    #[test]
    fn provisional_stops_timers_a_and_b_and_2xx_terminates_without_ack() {
        let start = Instant::now();
        let mut client = ClientInvite::new(&invite(), false, Timers::default(), start);
        assert_eq!(client.poll_transmit().as_deref(), Some(INVITE));
        client.handle_timeout(start + ms(500));
        assert_eq!(client.poll_transmit().as_deref(), Some(INVITE));
        client.handle_response(&response(180, "Ringing"), start + ms(600));
        assert_eq!(client.state(), ClientState::Proceeding);
        assert_eq!(client.poll_timeout(), None);
        assert!(drive(&mut client, start + ms(600), Duration::from_secs(60)).is_empty());
        client.handle_response(&response(183, "Session Progress"), start + ms(700));
        client.handle_response(&response(200, "OK"), start + ms(800));
        let events: Vec<_> = std::iter::from_fn(|| client.poll_event()).collect();
        assert_eq!(
            events,
            [
                ClientEvent::Provisional(180),
                ClientEvent::Provisional(183),
                ClientEvent::Final(200)
            ]
        );
        assert_eq!(client.state(), ClientState::Terminated);
        assert_eq!((client.poll_transmit(), client.ack()), (None, None));
        client.handle_response(&response(200, "OK"), start + ms(900));
        assert_eq!(client.poll_event(), None);
    }

    #[test]
    fn non_2xx_is_acked_byte_exact_and_again_for_each_retransmission() {
        let start = Instant::now();
        let mut client = ClientInvite::new(&invite(), false, Timers::default(), start);
        client.poll_transmit();
        let busy = Message::parse(BUSY).unwrap();
        client.handle_response(&busy, start + ms(300));
        assert_eq!(client.poll_event(), Some(ClientEvent::Final(486)));
        assert_eq!(client.state(), ClientState::Completed);
        let ack = client.poll_transmit().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ack),
            String::from_utf8_lossy(ACK_486)
        );
        assert_eq!(client.poll_transmit(), None);
        // A retransmitted 486 gets the same ACK; no new event; a late 2xx is absorbed.
        client.handle_response(&busy, start + ms(800));
        client.handle_response(&response(200, "OK"), start + ms(900));
        assert_eq!(client.poll_transmit(), Some(ack));
        assert_eq!((client.poll_transmit(), client.poll_event()), (None, None));
        // Timer D: 32 s after the first 486, whatever T1 is; no INVITE retransmission.
        assert_eq!(client.poll_timeout(), Some(start + ms(32_300)));
        client.handle_timeout(start + ms(32_299));
        assert_eq!(client.state(), ClientState::Completed);
        client.handle_timeout(start + ms(32_300));
        assert_eq!(client.state(), ClientState::Terminated);
        assert_eq!(client.poll_transmit(), None);
    }

    #[test]
    fn reliable_client_acks_and_terminates_at_once() {
        let start = Instant::now();
        let mut client = ClientInvite::new(&invite(), true, Timers::default(), start);
        client.poll_transmit();
        client.handle_response(&response(100, "Trying"), start);
        client.handle_response(&Message::parse(BUSY).unwrap(), start + ms(10));
        assert_eq!(client.state(), ClientState::Terminated);
        assert_eq!(client.poll_transmit().as_deref(), Some(ACK_486));
        assert_eq!(client.poll_timeout(), None);
    }

    #[test]
    fn requests_and_odd_codes_are_absorbed() {
        let start = Instant::now();
        let mut client = ClientInvite::new(&invite(), false, Timers::default(), start);
        client.poll_transmit();
        client.handle_timeout(start + ms(499));
        client.handle_response(&invite(), start);
        client.handle_response(&response(700, "Odd"), start);
        client.handle_response(&response(99, "Odd"), start);
        assert_eq!(client.poll_transmit(), None);
        assert_eq!(
            (client.poll_event(), client.state()),
            (None, ClientState::Trying)
        );
    }

    #[test]
    fn ack_falls_back_to_the_request_to_and_default_max_forwards() {
        let request = MessageBuilder::request("INVITE", "tel:+8613900000002")
            .header("Via", "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b")
            .header("CSeq", "9 INVITE")
            .header("To", "<tel:+8613900000002>")
            .build();
        let bare = Message::parse(&b"SIP/2.0 603 Decline\r\n\r\n"[..]).unwrap();
        let ack = non_2xx_ack(&request, &bare);
        assert_eq!(
            ack.as_bytes(),
            b"ACK tel:+8613900000002 SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
Max-Forwards: 70\r\nTo: <tel:+8613900000002>\r\nCSeq: 9 ACK\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn lost_486_is_recovered_and_both_sides_end_after_the_ack() {
        use crate::sip::transaction::{InviteServerState, ServerInvite};
        let start = Instant::now();
        let mut client = ClientInvite::new(&invite(), false, Timers::default(), start);
        let mut server = ServerInvite::new(false, Timers::default(), start);
        client.poll_transmit();
        server.send_response(Bytes::from_static(BUSY), 486, start);
        assert_eq!(server.poll_transmit().as_deref(), Some(BUSY)); // lost
        // Timer A and Timer G both fire at T1: the INVITE is answered with the 486 again.
        let t1 = start + ms(500);
        client.handle_timeout(t1);
        server.handle_timeout(t1);
        assert_eq!(client.poll_transmit().as_deref(), Some(INVITE));
        server.handle_request_retransmission(t1);
        let finals: Vec<_> = std::iter::from_fn(|| server.poll_transmit()).collect();
        assert_eq!(finals.len(), 2);
        for response in &finals {
            client.handle_response(&Message::parse(response.clone()).unwrap(), t1);
        }
        assert_eq!(client.poll_event(), Some(ClientEvent::Final(486)));
        assert_eq!(client.poll_event(), None);
        let acks: Vec<_> = std::iter::from_fn(|| client.poll_transmit()).collect();
        assert_eq!(acks, [ACK_486, ACK_486].map(Bytes::from_static));
        server.handle_ack(t1);
        server.handle_ack(t1);
        assert_eq!(server.state(), InviteServerState::Confirmed);
        client.handle_timeout(start + ms(32_500));
        server.handle_timeout(start + ms(5_500));
        assert_eq!(client.state(), ClientState::Terminated);
        assert!(server.is_terminated() && !server.ack_timed_out());
    }

    proptest::proptest! {
        /// Whatever responses arrive and whenever timers run, the client reports at most one
        /// outcome (a final or Timer B), sends only ACKs after it, and nothing once terminated.
        #[test]
        fn any_response_sequence_gives_at_most_one_outcome(
            steps in proptest::collection::vec((0..800u16, 0..4_000u64), 0..40),
            reliable in proptest::bool::ANY,
        ) {
            let start = Instant::now();
            let mut client = ClientInvite::new(&invite(), reliable, Timers::default(), start);
            let mut now = start;
            let mut outcomes = 0;
            for (status, advance) in steps {
                now += ms(advance);
                client.handle_timeout(now);
                client.handle_response(&response(status, "Any"), now);
                let terminated = client.state() == ClientState::Terminated;
                while let Some(sent) = client.poll_transmit() {
                    proptest::prop_assert!(outcomes == 0 || sent.starts_with(b"ACK "));
                }
                while let Some(event) = client.poll_event() {
                    if matches!(event, ClientEvent::Final(_) | ClientEvent::Timeout) {
                        outcomes += 1;
                    }
                }
                proptest::prop_assert!(outcomes <= 1);
                if terminated {
                    proptest::prop_assert_eq!(client.poll_timeout(), None);
                }
            }
        }
    }

    const INVITE: &[u8] = b"INVITE sip:bob@ims.example SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKinv1;rport\r\n\
Max-Forwards: 69\r\n\
Route: <sip:pcscf.ims.example;lr>\r\n\
Route: <sip:scscf.ims.example;lr>\r\n\
From: <sip:alice@ims.example>;tag=a1\r\n\
To: <sip:bob@ims.example>\r\n\
Call-ID: c1@10.0.0.1\r\n\
CSeq: 314 INVITE\r\n\
Contact: <sip:alice@10.0.0.1:5060>\r\n\
Content-Length: 0\r\n\r\n";

    /// A 486 as the UAC receives it: the top Via carries `received`, the To a tag.
    const BUSY: &[u8] = b"SIP/2.0 486 Busy Here\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKinv1;rport=5060;received=192.0.2.7\r\n\
From: <sip:alice@ims.example>;tag=a1\r\n\
To: <sip:bob@ims.example>;tag=b7\r\n\
Call-ID: c1@10.0.0.1\r\n\
CSeq: 314 INVITE\r\n\
Content-Length: 0\r\n\r\n";

    /// RFC 3261 §17.1.1.3: the request's top Via, Route lines, From and Call-ID; the
    /// response's To; CSeq 314 ACK.
    const ACK_486: &[u8] = b"ACK sip:bob@ims.example SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKinv1;rport\r\n\
Max-Forwards: 69\r\n\
Route: <sip:pcscf.ims.example;lr>\r\n\
Route: <sip:scscf.ims.example;lr>\r\n\
From: <sip:alice@ims.example>;tag=a1\r\n\
To: <sip:bob@ims.example>;tag=b7\r\n\
Call-ID: c1@10.0.0.1\r\n\
CSeq: 314 ACK\r\n\
Content-Length: 0\r\n\r\n";
}
