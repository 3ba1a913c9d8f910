//! Synthesised Ethernet frames: one IP packet around one UDP datagram or TCP segment.
//!
//! [`frame`] writes an Ethernet II header, an IPv4 or IPv6 header (IPv4 addresses are mapped to
//! IPv6 when a packet mixes families) and a UDP or TCP header, with lengths and checksums computed
//! by etherparse. MAC addresses are locally administered ones made up from the IP addresses. It
//! keeps no state: sequence numbers and flags come from [`crate::packets`].

use std::net::{IpAddr, SocketAddr};

use etherparse::PacketBuilder;

use crate::names::fnv1a;

const TTL: u8 = 64;
const WINDOW: u16 = 65_535;

/// The addresses and TCP fields of one packet.
pub(crate) struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub tcp: Option<TcpFields>,
    pub payload: &'a [u8],
}

#[derive(Clone, Copy)]
pub(crate) struct TcpFields {
    pub seq: u32,
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub psh: bool,
}

/// Build one Ethernet frame; `None` only if the payload does not fit an IP packet.
pub(crate) fn frame(segment: &Segment<'_>) -> Option<Vec<u8>> {
    let (src_ip, dst_ip) = (segment.src.ip(), segment.dst.ip());
    let ether = PacketBuilder::ethernet2(mac(src_ip), mac(dst_ip));
    let ip = match (src_ip, dst_ip) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ether.ipv4(s.octets(), d.octets(), TTL),
        (s, d) => ether.ipv6(v6(s), v6(d), TTL),
    };
    let (sport, dport) = (segment.src.port(), segment.dst.port());
    let mut out = Vec::new();
    let written = match segment.tcp {
        None => ip.udp(sport, dport).write(&mut out, segment.payload),
        Some(f) => {
            let mut tcp = ip.tcp(sport, dport, f.seq, WINDOW);
            if f.syn {
                tcp = tcp.syn();
            }
            if f.fin {
                tcp = tcp.fin();
            }
            if f.psh {
                tcp = tcp.psh();
            }
            if let Some(ack) = f.ack {
                tcp = tcp.ack(ack);
            }
            tcp.write(&mut out, segment.payload)
        }
    };
    written.ok().map(|()| out)
}

/// A locally administered MAC address made from the IP address.
fn mac(ip: IpAddr) -> [u8; 6] {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            [0x02, 0x00, a, b, c, d]
        }
        IpAddr::V6(v6) => {
            let [_, _, _, a, b, c, d, e] = fnv1a(&v6.octets()).to_be_bytes();
            [0x02, a, b, c, d, e]
        }
    }
}

/// IPv6 form of an address, mapping IPv4 when a packet mixes families.
fn v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use etherparse::{NetHeaders, PacketHeaders, TransportHeader};

    /// Parsed view of one frame, with its checksums verified.
    pub(crate) struct Seen {
        pub src: SocketAddr,
        pub dst: SocketAddr,
        pub tcp: Option<(u32, u32, bool, bool, bool)>,
        pub payload: Vec<u8>,
    }

    pub(crate) fn parse(data: &[u8]) -> Seen {
        let h = PacketHeaders::from_ethernet_slice(data).unwrap();
        let payload = h.payload.slice();
        let (src_ip, dst_ip, ip_len): (IpAddr, IpAddr, usize) = match h.net.as_ref().unwrap() {
            NetHeaders::Ipv4(ip, _) => {
                assert_eq!(ip.header_checksum, ip.calc_header_checksum());
                (
                    ip.source.into(),
                    ip.destination.into(),
                    usize::from(ip.total_len),
                )
            }
            NetHeaders::Ipv6(ip, _) => (
                ip.source.into(),
                ip.destination.into(),
                usize::from(ip.payload_length) + 40,
            ),
            NetHeaders::Arp(_) => panic!("arp"),
        };
        assert_eq!(ip_len, data.len() - 14, "ip length covers the frame");
        let (ports, tcp) = match (h.transport.as_ref().unwrap(), h.net.as_ref().unwrap()) {
            (TransportHeader::Udp(u), net) => {
                let sum = match net {
                    NetHeaders::Ipv4(ip, _) => u.calc_checksum_ipv4(ip, payload).unwrap(),
                    NetHeaders::Ipv6(ip, _) => u.calc_checksum_ipv6(ip, payload).unwrap(),
                    NetHeaders::Arp(_) => unreachable!(),
                };
                assert_eq!(u.checksum, sum);
                assert_eq!(usize::from(u.length), payload.len() + 8);
                ((u.source_port, u.destination_port), None)
            }
            (TransportHeader::Tcp(t), net) => {
                let sum = match net {
                    NetHeaders::Ipv4(ip, _) => t.calc_checksum_ipv4(ip, payload).unwrap(),
                    NetHeaders::Ipv6(ip, _) => t.calc_checksum_ipv6(ip, payload).unwrap(),
                    NetHeaders::Arp(_) => unreachable!(),
                };
                assert_eq!(t.checksum, sum);
                let flags = (
                    t.sequence_number,
                    t.acknowledgment_number,
                    t.syn,
                    t.fin,
                    t.psh,
                );
                ((t.source_port, t.destination_port), Some(flags))
            }
            _ => panic!("unexpected transport"),
        };
        Seen {
            src: SocketAddr::new(src_ip, ports.0),
            dst: SocketAddr::new(dst_ip, ports.1),
            tcp,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn udp_over_ipv4_has_valid_lengths_and_checksums() {
        let segment = Segment {
            src: "192.0.2.1:40102".parse().unwrap(),
            dst: "198.51.100.7:45060".parse().unwrap(),
            tcp: None,
            payload: b"OPTIONS sip:mc SIP/2.0\r\n\r\n",
        };
        let data = frame(&segment).unwrap();
        assert_eq!(
            &data[..6],
            &[0x02, 0x00, 198, 51, 100, 7],
            "destination MAC from the IP"
        );
        let seen = parse(&data);
        assert_eq!((seen.src, seen.dst), (segment.src, segment.dst));
        assert_eq!(seen.payload, segment.payload);
        assert!(seen.tcp.is_none());
    }

    #[test]
    fn tcp_flags_and_numbers_are_written() {
        let segment = Segment {
            src: "[2001:db8::1]:40000".parse().unwrap(),
            dst: "[2001:db8::2]:5060".parse().unwrap(),
            tcp: Some(TcpFields {
                seq: 7,
                ack: Some(9),
                syn: true,
                fin: false,
                psh: true,
            }),
            payload: b"",
        };
        assert_eq!(
            parse(&frame(&segment).unwrap()).tcp,
            Some((7, 9, true, false, true))
        );
    }

    #[test]
    fn a_datagram_too_large_for_ip_is_refused_not_panicked_on() {
        let payload = vec![0u8; 70_000];
        let segment = Segment {
            src: "192.0.2.1:1".parse().unwrap(),
            dst: "192.0.2.2:2".parse().unwrap(),
            tcp: None,
            payload: &payload,
        };
        assert!(frame(&segment).is_none());
    }
}
