//! Test support for the transaction tests: a client and a server transaction driven as a
//! pair on a simulated clock, over a link the test controls (latency, drop, duplicate). The
//! server's transaction user answers each new request at once (`auto_answer`) or when the test
//! says (`respond`). Nothing sleeps: time jumps to the next timer or delivery.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{ClientEvent, ClientNonInvite, ServerNonInvite, ServerState, Timers};

/// Which way a datagram travels.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(super) enum Direction {
    ToServer,
    ToClient,
}

/// What the link does with one datagram.
pub(super) enum Fate {
    Deliver,
    Drop,
    Duplicate,
}

/// A client and a server transaction over an unreliable link, on a simulated clock.
pub(super) struct Pair {
    pub(super) start: Instant,
    pub(super) now: Instant,
    reliable: bool,
    timers: Timers,
    pub(super) client: ClientNonInvite,
    /// Created when the first request arrives.
    pub(super) server: Option<ServerNonInvite>,
    /// The status the server's transaction user answers a new request with, at once.
    pub(super) auto_answer: Option<u16>,
    /// One-way latency.
    pub(super) delay: Duration,
    pub(super) fate: Box<dyn FnMut(Direction) -> Fate>,
    in_flight: Vec<(Instant, Direction, Bytes)>,
    /// Everything put on the wire: offset from `start`, direction, bytes.
    sent: Vec<(Duration, Direction, Bytes)>,
    pub(super) client_events: Vec<(Duration, ClientEvent)>,
    pub(super) server_requests: usize,
}

impl Pair {
    pub(super) fn new(reliable: bool) -> Self {
        Self::with_timers(reliable, Timers::default())
    }

    pub(super) fn with_timers(reliable: bool, timers: Timers) -> Self {
        let start = Instant::now();
        let request = Bytes::from_static(REQUEST);
        Self {
            start,
            now: start,
            reliable,
            timers,
            client: ClientNonInvite::new(request, reliable, timers, start),
            server: None,
            auto_answer: None,
            delay: Duration::ZERO,
            fate: Box::new(|_| Fate::Deliver),
            in_flight: Vec::new(),
            sent: Vec::new(),
            client_events: Vec::new(),
            server_requests: 0,
        }
    }

    /// Runs every transmission, delivery and timer due within `duration`, in time order.
    pub(super) fn drive_for(&mut self, duration: Duration) {
        let until = self.now + duration;
        loop {
            self.flush();
            let next = [
                self.client.poll_timeout(),
                self.server.as_ref().and_then(ServerNonInvite::poll_timeout),
                self.in_flight.iter().map(|(at, _, _)| *at).min(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(at) if at <= until => self.now = self.now.max(at),
                _ => break,
            }
            self.deliver();
            self.client.handle_timeout(self.now);
            if let Some(server) = &mut self.server {
                server.handle_timeout(self.now);
            }
        }
        self.now = until;
    }

    /// The server's transaction user answers now.
    pub(super) fn respond(&mut self, status: u16) {
        let server = self.server.as_mut().unwrap();
        server.send_response(response(status), status, self.now);
        self.flush();
    }

    fn deliver(&mut self) {
        let now = self.now;
        let (due, later) = self.in_flight.drain(..).partition(|(at, _, _)| *at <= now);
        self.in_flight = later;
        for (_, direction, bytes) in due {
            match direction {
                Direction::ToServer => self.server_receive(),
                Direction::ToClient => self.client.handle_response(status_of(&bytes), now),
            }
        }
    }

    fn server_receive(&mut self) {
        if let Some(server) = &mut self.server {
            return server.handle_request_retransmission(self.now);
        }
        let mut server = ServerNonInvite::new(self.reliable, self.timers, self.now);
        if let Some(status) = self.auto_answer {
            server.send_response(response(status), status, self.now);
        }
        self.server = Some(server);
        self.server_requests += 1;
    }

    fn flush(&mut self) {
        while let Some(bytes) = self.client.poll_transmit() {
            self.send(Direction::ToServer, bytes);
        }
        while let Some(bytes) = self
            .server
            .as_mut()
            .and_then(ServerNonInvite::poll_transmit)
        {
            self.send(Direction::ToClient, bytes);
        }
        while let Some(event) = self.client.poll_event() {
            self.client_events.push((self.now - self.start, event));
        }
    }

    fn send(&mut self, direction: Direction, bytes: Bytes) {
        self.sent
            .push((self.now - self.start, direction, bytes.clone()));
        let copies = match (self.fate)(direction) {
            Fate::Deliver => 1,
            Fate::Drop => 0,
            Fate::Duplicate => 2,
        };
        for _ in 0..copies {
            self.in_flight
                .push((self.now + self.delay, direction, bytes.clone()));
        }
    }

    pub(super) fn server_state(&self) -> ServerState {
        self.server.as_ref().unwrap().state()
    }

    pub(super) fn sent_times(&self, direction: Direction) -> Vec<Duration> {
        self.sent_in(direction).map(|(at, _)| at).collect()
    }

    pub(super) fn sent_bytes(&self, direction: Direction) -> Vec<Bytes> {
        self.sent_in(direction).map(|(_, bytes)| bytes).collect()
    }

    fn sent_in(&self, direction: Direction) -> impl Iterator<Item = (Duration, Bytes)> {
        self.sent
            .iter()
            .filter(move |(_, sent, _)| *sent == direction)
            .map(|(at, _, bytes)| (*at, bytes.clone()))
    }
}

fn response(status: u16) -> Bytes {
    Bytes::from(format!(
        "SIP/2.0 {status} Whatever\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKpair\r\n\
         CSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n"
    ))
}

fn status_of(response: &[u8]) -> u16 {
    std::str::from_utf8(&response[8..11])
        .unwrap()
        .parse()
        .unwrap()
}

pub(super) fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

pub(super) fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

const REQUEST: &[u8] = b"MESSAGE sip:bob@example.com SIP/2.0\r\n\
    Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKpair\r\nCSeq: 1 MESSAGE\r\n\
    Content-Length: 0\r\n\r\n";
