//! One message, once: pairing the two captures of a message that went between two simulated roles.
//!
//! When both ends of a message are simulated, the sender captures it going out and the receiver
//! captures it coming in: two [`Wire`] events for one packet. [`exchanges`] pairs them, so the
//! pcapng and the ladder diagram show the packet once. Two captures pair when they have opposite
//! directions and the same source, destination, transport and bytes; the first one seen is kept.
//! Pairing is one-to-one and in order, so a retransmission (the same bytes sent twice) stays two
//! packets. Nothing here parses the bytes.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use rcs_harness::events::{Direction, Transport, Wire};

/// One packet as it crossed the wire, with the capture that saw it first and, when the other end
/// was simulated too, the capture of the other end.
#[derive(Clone, Copy, Debug)]
pub struct Exchange<'a> {
    pub first: &'a Wire,
    pub echo: Option<&'a Wire>,
}

impl<'a> Exchange<'a> {
    /// The capture made by the sender, if the sender was simulated.
    pub fn sent(&self) -> Option<&'a Wire> {
        self.captures().find(|w| w.direction == Direction::Out)
    }

    /// The capture made by the receiver, if the receiver was simulated.
    pub fn received(&self) -> Option<&'a Wire> {
        self.captures().find(|w| w.direction == Direction::In)
    }

    /// Whether `frame` is the number of either capture.
    pub fn has_frame(&self, frame: u64) -> bool {
        self.captures().any(|w| w.frame == frame)
    }

    fn captures(&self) -> impl Iterator<Item = &'a Wire> {
        std::iter::once(self.first).chain(self.echo)
    }
}

type PacketKey<'a> = (SocketAddr, SocketAddr, Transport, &'a [u8]);

/// The packets of one case, in capture order, each captured message appearing once.
pub fn exchanges(wires: &[Wire]) -> Vec<Exchange<'_>> {
    let mut out: Vec<Exchange<'_>> = Vec::with_capacity(wires.len());
    // Exchanges still waiting for their other capture, per packet and per direction seen.
    let mut waiting: HashMap<(PacketKey<'_>, bool), VecDeque<usize>> = HashMap::new();
    for wire in wires {
        let key = (wire.src, wire.dst, wire.transport, wire.bytes.0.as_slice());
        let is_out = wire.direction == Direction::Out;
        let partner = waiting
            .get_mut(&(key, !is_out))
            .and_then(VecDeque::pop_front);
        match partner.and_then(|index| out.get_mut(index)) {
            Some(exchange) => exchange.echo = Some(wire),
            None => {
                waiting
                    .entry((key, is_out))
                    .or_default()
                    .push_back(out.len());
                out.push(Exchange {
                    first: wire,
                    echo: None,
                });
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rcs_harness::events::{Protocol, WireBytes};

    pub(crate) fn wire(frame: u64, role: &str, direction: Direction, bytes: &str) -> Wire {
        let (a, b): (SocketAddr, SocketAddr) = (
            "127.0.0.1:40102".parse().unwrap(),
            "127.0.0.1:45060".parse().unwrap(),
        );
        let (src, dst) = if bytes.starts_with("SIP/2.0") {
            (b, a)
        } else {
            (a, b)
        };
        Wire {
            case: "C".into(),
            frame,
            time_us: 1_700_000_000_000_000 + frame * 1000,
            case_ms: frame as f64,
            role: role.into(),
            direction,
            transport: Transport::Udp,
            protocol: Protocol::Sip,
            src,
            dst,
            summary: bytes.lines().next().unwrap_or_default().into(),
            bytes: WireBytes(bytes.as_bytes().to_vec()),
        }
    }

    #[test]
    fn out_then_in_of_the_same_packet_is_one_exchange() {
        let wires = [
            wire(1, "alice", Direction::Out, "REGISTER a"),
            wire(2, "mc", Direction::In, "REGISTER a"),
            wire(3, "mc", Direction::Out, "SIP/2.0 401 x"),
            wire(4, "alice", Direction::In, "SIP/2.0 401 x"),
        ];
        let ex = exchanges(&wires);
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[0].first.frame, 1);
        assert_eq!(ex[0].echo.map(|w| w.frame), Some(2));
        assert_eq!(ex[1].sent().map(|w| w.role.as_str()), Some("mc"));
        assert_eq!(ex[1].received().map(|w| w.role.as_str()), Some("alice"));
        assert!(ex[1].has_frame(4) && !ex[1].has_frame(2));
    }

    #[test]
    fn retransmissions_stay_separate_packets() {
        let wires = [
            wire(1, "alice", Direction::Out, "REGISTER a"),
            wire(2, "alice", Direction::Out, "REGISTER a"),
            wire(3, "mc", Direction::In, "REGISTER a"),
        ];
        let ex = exchanges(&wires);
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[0].echo.map(|w| w.frame), Some(3));
        assert!(ex[1].echo.is_none());
    }

    #[test]
    fn different_bytes_or_same_direction_do_not_pair() {
        let wires = [
            wire(1, "alice", Direction::Out, "REGISTER a"),
            wire(2, "mc", Direction::In, "REGISTER b"),
            wire(3, "bob", Direction::In, "REGISTER b"),
        ];
        assert_eq!(exchanges(&wires).len(), 3);
    }

    #[test]
    fn an_in_seen_before_its_out_still_pairs_and_is_kept() {
        let wires = [
            wire(1, "mc", Direction::In, "REGISTER a"),
            wire(2, "alice", Direction::Out, "REGISTER a"),
        ];
        let ex = exchanges(&wires);
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].first.frame, 1);
    }
}
