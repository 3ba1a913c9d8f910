//! Turning decoded packets into [`Wire`] events: one reassembler and framer per TCP direction,
//! frame numbers in the order messages complete, and warnings summarised per kind rather than per
//! packet, so a capture full of unrelated traffic gives a short list.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;

use super::capture::RawPacket;
use super::framing::{self, Framed, StreamFramer};
use super::packet::{self, Packet, Segment, Skip, TcpSegment};
use super::reassembly::{Pushed, Reassembler};
use super::{CAPTURE_CASE, Captured};
use crate::events::{Direction, Transport, Wire, WireBytes};

/// Cap on the TCP directions followed at once.
const MAX_FLOWS: usize = 100_000;

/// One direction of a TCP connection.
#[derive(Default)]
struct Flow {
    reassembler: Reassembler,
    framer: StreamFramer,
}

/// Counts of things skipped, reported once each at the end.
#[derive(Default)]
struct Skipped {
    linktypes: BTreeSet<i32>,
    fragments: u64,
    malformed: u64,
    cut: u64,
    other_udp: u64,
    flows_over_cap: u64,
}

#[derive(Default)]
pub(crate) struct Collector {
    first_us: Option<i64>,
    wires: Vec<Wire>,
    flows: HashMap<(SocketAddr, SocketAddr), Flow>,
    skipped: Skipped,
    warnings: Vec<String>,
}

impl Collector {
    /// Takes one captured frame, in capture order.
    pub(crate) fn packet(&mut self, raw: &RawPacket<'_>) {
        let first_us = *self.first_us.get_or_insert(raw.time_us);
        let packet = match packet::decode(raw.linktype, raw.data) {
            Ok(packet) => packet,
            Err(skip) => return self.skip(skip),
        };
        if raw.cut {
            self.skipped.cut += 1;
        }
        let stamp = Stamp {
            time_us: raw.time_us,
            first_us,
        };
        match &packet.transport {
            Segment::Udp(payload) => self.udp(&packet, payload, stamp),
            Segment::Tcp(segment) => self.tcp(&packet, segment, stamp),
        }
    }

    /// The wires, and the warnings about everything that was skipped or left incomplete.
    pub(crate) fn finish(mut self) -> Captured {
        let mut flows: Vec<_> = self.flows.iter().collect();
        flows.sort_by_key(|(key, _)| **key);
        let mut ignored = 0;
        for ((src, dst), flow) in flows {
            ignored += u64::from(flow.framer.is_ignored());
            if let Some((at, waiting)) = flow.reassembler.gap() {
                self.warnings.push(format!(
                    "TCP {src} -> {dst}: a segment is missing from the capture at stream byte {at}; \
                     the {waiting} bytes captured after it were not read"
                ));
            } else if flow.framer.leftover() > 0 && !flow.framer.is_ignored() {
                self.warnings.push(format!(
                    "TCP {src} -> {dst}: the last {} bytes (after stream byte {}) are not a whole message",
                    flow.framer.leftover(),
                    flow.reassembler.delivered() - flow.framer.leftover() as u64
                ));
            }
        }
        self.summarise(ignored);
        Captured {
            wires: self.wires,
            warnings: self.warnings,
        }
    }

    fn udp(&mut self, packet: &Packet<'_>, payload: &[u8], stamp: Stamp) {
        match framing::datagram(payload, [packet.src.port(), packet.dst.port()]) {
            Some(framed) => self.emit(packet, Transport::Udp, framed, stamp),
            None => self.skipped.other_udp += u64::from(!payload.is_empty()),
        }
    }

    fn tcp(&mut self, packet: &Packet<'_>, segment: &TcpSegment<'_>, stamp: Stamp) {
        let key = (packet.src, packet.dst);
        if !self.flows.contains_key(&key) && self.flows.len() >= MAX_FLOWS {
            self.skipped.flows_over_cap += 1;
            return;
        }
        let flow = self.flows.entry(key).or_default();
        let mut data = Vec::new();
        match flow.reassembler.push(segment, &mut data) {
            Pushed::Data => {}
            Pushed::NewConnection => flow.framer = StreamFramer::default(),
            Pushed::Stopped => self.warnings.push(format!(
                "TCP {} -> {}: too many bytes wait behind a segment missing from the capture; the stream is no longer read",
                packet.src, packet.dst
            )),
        }
        let mut framed = Vec::new();
        flow.framer.push(&data, &mut framed);
        for message in framed {
            self.emit(packet, Transport::Tcp, message, stamp);
        }
    }

    fn emit(&mut self, packet: &Packet<'_>, transport: Transport, framed: Framed, stamp: Stamp) {
        self.wires.push(Wire {
            case: CAPTURE_CASE.to_owned(),
            frame: self.wires.len() as u64 + 1,
            time_us: u64::try_from(stamp.time_us).unwrap_or(0),
            case_ms: stamp.time_us.saturating_sub(stamp.first_us) as f64 / 1000.0,
            role: String::new(),
            direction: Direction::Out,
            transport,
            protocol: framed.protocol,
            src: packet.src,
            dst: packet.dst,
            summary: framed.summary,
            bytes: WireBytes(framed.bytes),
        });
    }

    fn skip(&mut self, skip: Skip) {
        match skip {
            Skip::Linktype(linktype) => {
                self.skipped.linktypes.insert(linktype);
            }
            Skip::Fragment => self.skipped.fragments += 1,
            Skip::Malformed(_) => self.skipped.malformed += 1,
            Skip::Other => {}
        }
    }

    fn summarise(&mut self, ignored_streams: u64) {
        let s = &self.skipped;
        let mut notes = Vec::new();
        if !s.linktypes.is_empty() {
            notes.push(format!(
                "skipped packets of unsupported link types {:?} (supported: Ethernet, Linux cooked SLL and SLL2, raw IP, BSD loopback)",
                s.linktypes
            ));
        }
        let counted = [
            (s.fragments, "IP fragments (fragments are not reassembled)"),
            (s.malformed, "packets with malformed or truncated headers"),
            (s.other_udp, "UDP datagrams that carry no SIP"),
            (
                ignored_streams,
                "TCP stream directions that carry neither SIP, MSRP nor HTTP, or whose framing failed",
            ),
            (
                s.flows_over_cap,
                "TCP segments past the cap on connections followed",
            ),
        ];
        if s.cut > 0 {
            notes.push(format!(
                "{} packets were cut short by the snap length: their messages may be incomplete",
                s.cut
            ));
        }
        for (count, what) in counted {
            if count > 0 {
                notes.push(format!("ignored {count} {what}"));
            }
        }
        self.warnings.append(&mut notes);
    }
}

/// When a packet was captured, and when the capture's first packet was.
#[derive(Clone, Copy)]
struct Stamp {
    time_us: i64,
    first_us: i64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use pcap_parser::Linktype;

    use super::*;

    /// A raw IPv4 packet carrying UDP from 10.0.0.1:5060 to 10.0.0.2:`dst_port`.
    fn ipv4_udp(dst_port: u16, fragment: u16, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&((28 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(&fragment.to_be_bytes());
        p.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x13, 0xc4]);
        p.extend_from_slice(&dst_port.to_be_bytes());
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }

    fn raw(time_us: i64, data: &[u8]) -> RawPacket<'_> {
        RawPacket {
            linktype: Linktype(228),
            time_us,
            data,
            cut: false,
        }
    }

    #[test]
    fn wires_are_numbered_and_timed_from_the_first_packet() {
        let mut c = Collector::default();
        let dns = ipv4_udp(53, 0, b"\x12\x34binary");
        let sip = ipv4_udp(
            40000,
            0,
            b"SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n",
        );
        let fragment = ipv4_udp(5060, 0x2000, b"MESSAGE");
        c.packet(&raw(1_000_000, &dns));
        c.packet(&raw(1_002_500, &sip));
        c.packet(&raw(1_003_000, &fragment));
        c.packet(&raw(1_004_000, &sip));
        let captured = c.finish();
        let frames: Vec<_> = captured
            .wires
            .iter()
            .map(|w| (w.frame, w.case_ms))
            .collect();
        assert_eq!(frames, [(1, 2.5), (2, 4.0)]);
        assert_eq!(captured.wires[0].summary, "180 Ringing");
        assert_eq!(captured.wires[0].dst, "10.0.0.2:40000".parse().unwrap());
        assert_eq!(
            captured.warnings,
            [
                "ignored 1 IP fragments (fragments are not reassembled)",
                "ignored 1 UDP datagrams that carry no SIP",
            ]
        );
    }
}
