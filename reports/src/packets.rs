//! Synthesised packets: the messages of one case as Ethernet frames Wireshark can decode.
//!
//! The harness captures messages, not packets. [`capture_for_case`] rebuilds packets around them:
//! an Ethernet II header, an IPv4 or IPv6 header and a UDP or TCP header with correct lengths and
//! checksums, from the real source and destination addresses and ports of each [`Wire`] event. A
//! message captured at both ends appears once (see [`crate::dedupe`]). For TCP it keeps
//! per-direction sequence and acknowledgement numbers for each connection, opens each connection
//! with SYN, SYN-ACK, ACK the first time it is seen (the first sender is taken as the client),
//! splits messages into segments of at most [`MSS`] bytes, and closes every connection with FIN at
//! the end of the case. Initial sequence numbers are a hash of the connection's addresses, so the
//! output is deterministic. It does not model loss, windows or retransmission timers, and MAC
//! addresses are made up from the IP addresses.

use std::collections::HashMap;
use std::net::SocketAddr;

use rcs_harness::events::{Direction, Transport, Wire};

use crate::dedupe::{Exchange, exchanges};
use crate::frame::{Segment, TcpFields, frame};
use crate::names::fnv1a;

/// Largest TCP payload in one synthesised segment (a 1500-byte MTU less IP, TCP and timestamps).
pub const MSS: usize = 1448;
/// Fewest bytes the last segment of a message carries, so that an MSRP end-line (at most 42
/// bytes, RFC 4975 §9) never straddles two segments: Wireshark's MSRP dissector looks for it in
/// one segment and calls the message malformed otherwise.
const MIN_LAST_SEGMENT: usize = 64;
/// Largest message put in a capture; longer ones are cut, and the packet comment says so.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// Largest UDP payload an IPv4 datagram can carry (IPv6 allows 20 bytes more; we use the lower).
const MAX_UDP_PAYLOAD: usize = 65_507;

/// One packet of a capture: when, the Ethernet frame, and the comment Wireshark shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedPacket {
    /// Microseconds since the Unix epoch.
    pub time_us: u64,
    pub data: Vec<u8>,
    pub comment: String,
}

/// The Ethernet frames of one case's messages, in order (see [`capture_for_case`]).
pub fn packets_for_case(wires: &[Wire]) -> Vec<Vec<u8>> {
    let key = wires.first().map_or("", |w| w.case.as_str());
    capture_for_case(key, wires)
        .into_iter()
        .map(|p| p.data)
        .collect()
}

/// The packets of one case execution, with a comment on each naming the case, frame and role.
pub fn capture_for_case(key: &str, wires: &[Wire]) -> Vec<CapturedPacket> {
    let mut capture = Capture::default();
    for exchange in exchanges(wires) {
        capture.message(key, &exchange);
    }
    capture.close_all(key);
    capture.packets
}

/// TCP state of one connection; index 0 is client to server, 1 is server to client.
struct Connection {
    client: SocketAddr,
    server: SocketAddr,
    next_seq: [u32; 2],
    last_frame: u64,
    last_role: String,
}

#[derive(Default)]
struct Capture {
    packets: Vec<CapturedPacket>,
    connections: Vec<Connection>,
    by_pair: HashMap<(SocketAddr, SocketAddr), usize>,
    last_time_us: u64,
}

impl Capture {
    fn message(&mut self, key: &str, exchange: &Exchange<'_>) {
        let wire = exchange.first;
        self.last_time_us = self.last_time_us.max(wire.time_us);
        let mut comment = base_comment(key, wire);
        if let Some(echo) = exchange.echo {
            comment.push_str(&format!(
                " (also frame {} / {} {})",
                echo.frame,
                echo.role,
                direction(echo.direction)
            ));
        }
        let mut payload = wire.bytes.0.as_slice();
        let limit = match wire.transport {
            Transport::Udp => MAX_UDP_PAYLOAD,
            Transport::Tcp | Transport::Tls => MAX_MESSAGE_BYTES,
        };
        if payload.len() > limit {
            comment.push_str(&format!("; cut from {} bytes", payload.len()));
            payload = payload.get(..limit).unwrap_or(payload);
        }
        match wire.transport {
            Transport::Udp => {
                let segment = Segment {
                    src: wire.src,
                    dst: wire.dst,
                    tcp: None,
                    payload,
                };
                self.push(wire.time_us, &segment, comment);
            }
            Transport::Tcp => self.tcp_message(wire, payload, &comment),
            // TLS is written as the plaintext the harness read or wrote, on the real TCP ports.
            Transport::Tls => {
                let comment = format!("{comment}; TLS, decrypted by the harness");
                self.tcp_message(wire, payload, &comment)
            }
        }
    }

    fn tcp_message(&mut self, wire: &Wire, payload: &[u8], comment: &str) {
        let index = self.connection(wire, comment);
        let Some(conn) = self.connections.get_mut(index) else {
            return;
        };
        conn.last_frame = wire.frame;
        conn.last_role.clone_from(&wire.role);
        let dir = usize::from(wire.src != conn.client);
        let chunks = segments(payload);
        let total = chunks.len();
        let mut segments = Vec::with_capacity(total);
        for (i, chunk) in chunks.into_iter().enumerate() {
            let fields = TcpFields {
                seq: conn.next_seq[dir],
                ack: Some(conn.next_seq[1 - dir]),
                syn: false,
                fin: false,
                psh: i + 1 == total,
            };
            conn.next_seq[dir] = conn.next_seq[dir].wrapping_add(chunk.len() as u32);
            segments.push((fields, chunk));
        }
        for (i, (fields, chunk)) in segments.into_iter().enumerate() {
            let mut text = comment.to_owned();
            if total > 1 {
                text.push_str(&format!("; segment {}/{total}", i + 1));
            }
            let segment = Segment {
                src: wire.src,
                dst: wire.dst,
                tcp: Some(fields),
                payload: chunk,
            };
            self.push(wire.time_us, &segment, text);
        }
    }

    /// The connection this message belongs to, opened with a handshake when first seen.
    fn connection(&mut self, wire: &Wire, comment: &str) -> usize {
        let known = self
            .by_pair
            .get(&(wire.src, wire.dst))
            .or_else(|| self.by_pair.get(&(wire.dst, wire.src)));
        if let Some(&index) = known {
            return index;
        }
        let (client, server) = (wire.src, wire.dst);
        let isn = [initial_seq(client, server), initial_seq(server, client)];
        let note = format!("{comment}; tcp handshake (synthesised)");
        let handshake = [
            (client, server, isn[0], None, true),
            (server, client, isn[1], Some(isn[0].wrapping_add(1)), true),
            (
                client,
                server,
                isn[0].wrapping_add(1),
                Some(isn[1].wrapping_add(1)),
                false,
            ),
        ];
        for (src, dst, seq, ack, syn) in handshake {
            let fields = TcpFields {
                seq,
                ack,
                syn,
                fin: false,
                psh: false,
            };
            let segment = Segment {
                src,
                dst,
                tcp: Some(fields),
                payload: &[],
            };
            self.push(wire.time_us, &segment, note.clone());
        }
        let index = self.connections.len();
        self.connections.push(Connection {
            client,
            server,
            next_seq: [isn[0].wrapping_add(1), isn[1].wrapping_add(1)],
            last_frame: wire.frame,
            last_role: wire.role.clone(),
        });
        self.by_pair.insert((client, server), index);
        index
    }

    /// FIN from the client, FIN from the server, and the last ACK, for every connection.
    fn close_all(&mut self, key: &str) {
        let connections = std::mem::take(&mut self.connections);
        for conn in connections {
            let note = format!(
                "case {key} / frame {} / {} close; tcp close (synthesised)",
                conn.last_frame, conn.last_role
            );
            let [c, s] = conn.next_seq;
            let close = [
                (conn.client, conn.server, c, s, true),
                (conn.server, conn.client, s, c.wrapping_add(1), true),
                (
                    conn.client,
                    conn.server,
                    c.wrapping_add(1),
                    s.wrapping_add(1),
                    false,
                ),
            ];
            for (src, dst, seq, ack, fin) in close {
                let fields = TcpFields {
                    seq,
                    ack: Some(ack),
                    syn: false,
                    fin,
                    psh: false,
                };
                let segment = Segment {
                    src,
                    dst,
                    tcp: Some(fields),
                    payload: &[],
                };
                self.push(self.last_time_us, &segment, note.clone());
            }
        }
    }

    fn push(&mut self, time_us: u64, segment: &Segment<'_>, comment: String) {
        if let Some(data) = frame(segment) {
            self.packets.push(CapturedPacket {
                time_us,
                data,
                comment,
            });
        }
    }
}

fn base_comment(key: &str, wire: &Wire) -> String {
    format!(
        "case {key} / frame {} / {} {}",
        wire.frame,
        wire.role,
        direction(wire.direction)
    )
}

fn direction(direction: Direction) -> &'static str {
    match direction {
        Direction::In => "in",
        Direction::Out => "out",
    }
}

fn initial_seq(from: SocketAddr, to: SocketAddr) -> u32 {
    fnv1a(format!("{from}>{to}").as_bytes()) as u32
}

/// Splits a message into segments of at most [`MSS`] bytes, the last one at least
/// [`MIN_LAST_SEGMENT`] long when the message is longer than one segment.
fn segments(payload: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = payload.chunks(MSS).collect();
    let short = out.last().is_some_and(|last| last.len() < MIN_LAST_SEGMENT);
    if out.len() > 1 && short {
        let tail = out.len() - 2;
        let start = tail * MSS;
        let cut = payload.len() - MIN_LAST_SEGMENT;
        out.truncate(tail);
        out.extend([&payload[start..cut], &payload[cut..]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_segment_holds_at_least_an_end_line() {
        for len in [
            0,
            1,
            MSS,
            MSS + 1,
            2 * MSS + 10,
            3 * MSS + 63,
            3 * MSS + 64,
            5000,
        ] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let parts = segments(&payload);
            assert_eq!(parts.concat(), payload, "{len}");
            assert!(parts.iter().all(|p| p.len() <= MSS), "{len}");
            if parts.len() > 1 {
                assert!(parts.last().unwrap().len() >= MIN_LAST_SEGMENT, "{len}");
            }
        }
    }
    use crate::frame::tests::{Seen, parse};
    use rcs_harness::events::{Protocol, WireBytes};

    fn wire(
        frame: u64,
        direction: Direction,
        t: Transport,
        src: &str,
        dst: &str,
        body: &[u8],
    ) -> Wire {
        Wire {
            case: "K".into(),
            frame,
            time_us: 1_000_000 * frame,
            case_ms: frame as f64,
            role: if direction == Direction::Out {
                "alice"
            } else {
                "mc"
            }
            .into(),
            direction,
            transport: t,
            protocol: Protocol::Sip,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            summary: String::new(),
            bytes: WireBytes(body.to_vec()),
        }
    }

    const A: &str = "192.0.2.1:40102";
    const B: &str = "198.51.100.7:45060";

    #[test]
    fn udp_keeps_real_addresses_and_pairs_captures() {
        let msg = b"MESSAGE sip:bob@example.com SIP/2.0\r\n\r\n";
        let wires = [
            wire(1, Direction::Out, Transport::Udp, A, B, msg),
            wire(2, Direction::In, Transport::Udp, A, B, msg),
        ];
        let packets = capture_for_case("K", &wires);
        assert_eq!(packets.len(), 1);
        assert_eq!(
            packets[0].comment,
            "case K / frame 1 / alice out (also frame 2 / mc in)"
        );
        assert_eq!(packets[0].time_us, 1_000_000);
        let seen = parse(&packets[0].data);
        assert_eq!(
            (seen.src, seen.dst),
            (A.parse().unwrap(), B.parse().unwrap())
        );
        assert_eq!(seen.payload, msg);
        assert_eq!(packets_for_case(&wires), vec![packets[0].data.clone()]);
    }

    #[test]
    fn tcp_opens_segments_and_closes_with_consistent_numbers() {
        let big = vec![b'x'; 2 * MSS + 10];
        let wires = [
            wire(1, Direction::Out, Transport::Tcp, A, B, b"REGISTER one"),
            wire(2, Direction::Out, Transport::Tcp, B, A, b"SIP/2.0 200 OK"),
            wire(3, Direction::Out, Transport::Tcp, A, B, &big),
        ];
        let packets = capture_for_case("K", &wires);
        let seen: Vec<Seen> = packets.iter().map(|p| parse(&p.data)).collect();
        // 3 handshake + 1 + 1 + 3 segments + 3 close.
        assert_eq!(seen.len(), 11);
        let tcp: Vec<_> = seen.iter().map(|s| s.tcp.unwrap()).collect();
        let (c0, s0) = (tcp[0].0, tcp[1].0);
        assert!(tcp[0].2 && tcp[1].2 && !tcp[2].2, "SYN, SYN-ACK, ACK");
        assert_eq!(tcp[1].1, c0.wrapping_add(1));
        assert_eq!(
            (tcp[2].0, tcp[2].1),
            (c0.wrapping_add(1), s0.wrapping_add(1))
        );
        assert_eq!(tcp[3].0, c0.wrapping_add(1));
        assert_eq!(
            tcp[4],
            (s0.wrapping_add(1), c0.wrapping_add(13), false, false, true)
        );
        let lens: Vec<usize> = seen[5..8].iter().map(|s| s.payload.len()).collect();
        assert_eq!(lens, [MSS, MSS + 10 - MIN_LAST_SEGMENT, MIN_LAST_SEGMENT]);
        assert_eq!(tcp[6].0, tcp[5].0.wrapping_add(MSS as u32));
        assert!(!tcp[5].4 && tcp[7].4, "PSH only on the last segment");
        let joined: Vec<u8> = seen[5..8].iter().flat_map(|s| s.payload.clone()).collect();
        assert_eq!(joined, big);
        assert!(
            packets[6].comment.ends_with("; segment 2/3"),
            "{}",
            packets[6].comment
        );
        let client_end = tcp[7].0.wrapping_add(MIN_LAST_SEGMENT as u32);
        assert_eq!(
            tcp[8],
            (client_end, s0.wrapping_add(15), false, true, false)
        );
        assert_eq!(tcp[9].1, client_end.wrapping_add(1));
        assert_eq!(tcp[10].0, client_end.wrapping_add(1));
        assert!(packets[10].comment.contains("tcp close"));
        assert!(
            packets[0]
                .comment
                .starts_with("case K / frame 1 / alice out; tcp handshake")
        );
    }

    #[test]
    fn ipv6_and_mixed_families_build_valid_frames() {
        let v6a = "[2001:db8::1]:40000";
        let v6b = "[2001:db8::2]:5060";
        let wires = [
            wire(1, Direction::Out, Transport::Udp, v6a, v6b, b"OPTIONS"),
            wire(2, Direction::Out, Transport::Tcp, A, v6b, b"OPTIONS"),
        ];
        let seen: Vec<Seen> = packets_for_case(&wires).iter().map(|p| parse(p)).collect();
        assert_eq!(seen[0].dst, v6b.parse().unwrap());
        assert_eq!(seen.len(), 1 + 3 + 1 + 3);
        assert_eq!(seen[4].payload, b"OPTIONS");
    }

    #[test]
    fn oversized_datagrams_are_cut_not_dropped() {
        let huge = vec![b'y'; MAX_UDP_PAYLOAD + 100];
        let packets =
            capture_for_case("K", &[wire(1, Direction::Out, Transport::Udp, A, B, &huge)]);
        assert_eq!(packets.len(), 1);
        assert!(
            packets[0]
                .comment
                .ends_with(&format!("; cut from {} bytes", huge.len()))
        );
        assert_eq!(parse(&packets[0].data).payload.len(), MAX_UDP_PAYLOAD);
    }

    #[test]
    fn empty_input_gives_no_packets() {
        assert!(packets_for_case(&[]).is_empty());
    }
}
