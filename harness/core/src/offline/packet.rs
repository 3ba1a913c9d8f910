//! Decoding one captured frame down to its UDP datagram or TCP segment.
//!
//! Link layers: Ethernet II with any number (up to four) of 802.1Q / 802.1ad VLAN tags, Linux
//! cooked capture v1 (SLL) and v2 (SLL2), raw IPv4/IPv6, and BSD loopback (`NULL` in host byte
//! order, `LOOP` in network byte order). Network layers: IPv4 (RFC 791) and IPv6 (RFC 8200),
//! skipping IPv6 extension headers. Transport: UDP (RFC 768) and TCP (RFC 9293) headers.
//!
//! Lengths are taken from the IP and UDP headers, so Ethernet padding never reaches a payload.
//! IP fragments are not reassembled: they are reported as [`Skip::Fragment`]. Checksums are not
//! verified (captures taken on the sending host carry offloaded, unfinished checksums). Every read
//! is bounds-checked: a short or malformed frame is a [`Skip`], never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use pcap_parser::Linktype;

/// A transport-layer packet taken from a frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Packet<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Segment<'a>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    Udp(&'a [u8]),
    Tcp(TcpSegment<'a>),
}

/// The fields of a TCP segment that reassembly needs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TcpSegment<'a> {
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// Why a frame yields no UDP or TCP packet.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Skip {
    /// A link type this reader does not decode.
    Linktype(i32),
    /// Not IP (ARP, LLDP...), or an IP protocol other than UDP and TCP.
    Other,
    /// An IPv4 or IPv6 fragment.
    Fragment,
    /// A header runs past the end of the captured bytes, or its lengths are inconsistent.
    Malformed(&'static str),
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];
const MAX_VLAN_TAGS: usize = 4;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;

/// LINKTYPE_ values from the tcpdump registry.
mod linktype {
    pub const NULL: i32 = 0;
    pub const ETHERNET: i32 = 1;
    /// LINKTYPE_RAW, and the DLT_RAW values some systems write instead.
    pub const RAW: [i32; 3] = [101, 12, 14];
    pub const LOOP: i32 = 108;
    pub const LINUX_SLL: i32 = 113;
    pub const IPV4: i32 = 228;
    pub const IPV6: i32 = 229;
    pub const LINUX_SLL2: i32 = 276;
}

/// Decodes a frame captured with `linktype`.
pub(crate) fn decode(linktype: Linktype, frame: &[u8]) -> Result<Packet<'_>, Skip> {
    match linktype.0 {
        linktype::ETHERNET => ethernet(frame),
        linktype::LINUX_SLL => by_ethertype(be16(frame, 14)?, tail(frame, 16)?),
        linktype::LINUX_SLL2 => by_ethertype(be16(frame, 0)?, tail(frame, 20)?),
        linktype::NULL | linktype::LOOP => ip_any(tail(frame, 4)?),
        linktype::IPV4 => ipv4(frame),
        linktype::IPV6 => ipv6(frame),
        other if linktype::RAW.contains(&other) => ip_any(frame),
        other => Err(Skip::Linktype(other)),
    }
}

fn ethernet(frame: &[u8]) -> Result<Packet<'_>, Skip> {
    let mut at = 12;
    let mut ethertype = be16(frame, at)?;
    for _ in 0..MAX_VLAN_TAGS {
        if !ETHERTYPE_VLAN.contains(&ethertype) {
            break;
        }
        at += 4;
        ethertype = be16(frame, at)?;
    }
    by_ethertype(ethertype, tail(frame, at + 2)?)
}

fn by_ethertype(ethertype: u16, rest: &[u8]) -> Result<Packet<'_>, Skip> {
    match ethertype {
        ETHERTYPE_IPV4 => ipv4(rest),
        ETHERTYPE_IPV6 => ipv6(rest),
        _ => Err(Skip::Other),
    }
}

/// An IP packet of either version, told apart by its version nibble (the loopback family values
/// differ between systems, the version nibble does not).
fn ip_any(packet: &[u8]) -> Result<Packet<'_>, Skip> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => ipv4(packet),
        Some(6) => ipv6(packet),
        Some(_) => Err(Skip::Other),
        None => Err(Skip::Malformed("empty IP packet")),
    }
}

fn ipv4(packet: &[u8]) -> Result<Packet<'_>, Skip> {
    let first = byte(packet, 0)?;
    if first >> 4 != 4 {
        return Err(Skip::Malformed("IPv4 version"));
    }
    let header_len = usize::from(first & 0x0f) * 4;
    let total = usize::from(be16(packet, 2)?);
    if header_len < 20 || total < header_len {
        return Err(Skip::Malformed("IPv4 header length"));
    }
    let flags_fragment = be16(packet, 6)?;
    if flags_fragment & 0x3fff != 0 {
        return Err(Skip::Fragment);
    }
    let src = Ipv4Addr::from(quad(packet, 12)?);
    let dst = Ipv4Addr::from(quad(packet, 16)?);
    let body = packet
        .get(header_len..total.min(packet.len()))
        .ok_or(Skip::Malformed("IPv4 header length"))?;
    transport(byte(packet, 9)?, src.into(), dst.into(), body)
}

fn ipv6(packet: &[u8]) -> Result<Packet<'_>, Skip> {
    if byte(packet, 0)? >> 4 != 6 {
        return Err(Skip::Malformed("IPv6 version"));
    }
    let payload_len = usize::from(be16(packet, 4)?);
    let src = Ipv6Addr::from(sixteen(packet, 8)?);
    let dst = Ipv6Addr::from(sixteen(packet, 24)?);
    let payload = tail(packet, 40)?;
    let payload = payload.get(..payload_len).unwrap_or(payload);
    let (next, body) = skip_extensions(byte(packet, 6)?, payload)?;
    transport(next, src.into(), dst.into(), body)
}

/// Walks IPv6 extension headers (RFC 8200 4) to the upper-layer header.
fn skip_extensions(mut next: u8, mut rest: &[u8]) -> Result<(u8, &[u8]), Skip> {
    const HOP_BY_HOP: u8 = 0;
    const ROUTING: u8 = 43;
    const FRAGMENT: u8 = 44;
    const AUTH: u8 = 51;
    const DEST_OPTS: u8 = 60;
    const MOBILITY: u8 = 135;
    for _ in 0..16 {
        let len = match next {
            HOP_BY_HOP | ROUTING | DEST_OPTS | MOBILITY => (usize::from(byte(rest, 1)?) + 1) * 8,
            AUTH => (usize::from(byte(rest, 1)?) + 2) * 4,
            FRAGMENT => return Err(Skip::Fragment),
            upper => return Ok((upper, rest)),
        };
        next = byte(rest, 0)?;
        rest = tail(rest, len)?;
    }
    Err(Skip::Malformed("IPv6 extension header chain"))
}

fn transport<'a>(
    protocol: u8,
    src: IpAddr,
    dst: IpAddr,
    body: &'a [u8],
) -> Result<Packet<'a>, Skip> {
    let src_port = be16(body, 0)?;
    let dst_port = be16(body, 2)?;
    let transport = match protocol {
        PROTO_UDP => udp(body)?,
        PROTO_TCP => tcp(body)?,
        _ => return Err(Skip::Other),
    };
    Ok(Packet {
        src: SocketAddr::new(src, src_port),
        dst: SocketAddr::new(dst, dst_port),
        transport,
    })
}

fn udp(datagram: &[u8]) -> Result<Segment<'_>, Skip> {
    let len = usize::from(be16(datagram, 4)?);
    if len < 8 {
        return Err(Skip::Malformed("UDP length"));
    }
    let payload = tail(datagram, 8)?;
    Ok(Segment::Udp(payload.get(..len - 8).unwrap_or(payload)))
}

fn tcp(segment: &[u8]) -> Result<Segment<'_>, Skip> {
    let seq = u32::from_be_bytes(quad(segment, 4)?);
    let offset_flags = be16(segment, 12)?;
    let header_len = usize::from(offset_flags >> 12) * 4;
    if header_len < 20 {
        return Err(Skip::Malformed("TCP data offset"));
    }
    Ok(Segment::Tcp(TcpSegment {
        seq,
        fin: offset_flags & 0x01 != 0,
        syn: offset_flags & 0x02 != 0,
        rst: offset_flags & 0x04 != 0,
        payload: tail(segment, header_len)?,
    }))
}

fn byte(data: &[u8], at: usize) -> Result<u8, Skip> {
    data.get(at).copied().ok_or(Skip::Malformed("short header"))
}

fn be16(data: &[u8], at: usize) -> Result<u16, Skip> {
    Ok(u16::from_be_bytes([byte(data, at)?, byte(data, at + 1)?]))
}

fn quad(data: &[u8], at: usize) -> Result<[u8; 4], Skip> {
    fixed(data, at)
}

fn sixteen(data: &[u8], at: usize) -> Result<[u8; 16], Skip> {
    fixed(data, at)
}

fn fixed<const N: usize>(data: &[u8], at: usize) -> Result<[u8; N], Skip> {
    data.get(at..at + N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or(Skip::Malformed("short header"))
}

fn tail(data: &[u8], at: usize) -> Result<&[u8], Skip> {
    data.get(at..).ok_or(Skip::Malformed("short header"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// IPv4 header (20 bytes) + UDP header + payload, with `extra` bytes of link padding.
    fn ipv4_udp(payload: &[u8], fragment: u16) -> Vec<u8> {
        let total = (20 + 8 + payload.len()) as u16;
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0, 1]);
        p.extend_from_slice(&fragment.to_be_bytes());
        p.extend_from_slice(&[64, PROTO_UDP, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(&5060u16.to_be_bytes());
        p.extend_from_slice(&5070u16.to_be_bytes());
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }

    fn ethernet_frame(ethertypes: &[u16], ip: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        for (i, t) in ethertypes.iter().enumerate() {
            f.extend_from_slice(&t.to_be_bytes());
            if i + 1 < ethertypes.len() {
                f.extend_from_slice(&[0, 7]);
            }
        }
        f.extend_from_slice(ip);
        f.extend_from_slice(&[0; 6]);
        f
    }

    #[test]
    fn ethernet_with_two_vlan_tags_and_padding_gives_the_udp_payload() {
        let frame = ethernet_frame(&[0x88a8, 0x8100, ETHERTYPE_IPV4], &ipv4_udp(b"hi", 0));
        let packet = decode(Linktype(linktype::ETHERNET), &frame).unwrap();
        assert_eq!(packet.src, "10.0.0.1:5060".parse().unwrap());
        assert_eq!(packet.dst, "10.0.0.2:5070".parse().unwrap());
        assert_eq!(packet.transport, Segment::Udp(b"hi"));
    }

    #[test]
    fn ipv4_fragments_are_skipped() {
        let more_fragments = ipv4_udp(b"x", 0x2000);
        assert_eq!(
            decode(Linktype(linktype::IPV4), &more_fragments),
            Err(Skip::Fragment)
        );
        let later_fragment = ipv4_udp(b"x", 0x0010);
        assert_eq!(
            decode(Linktype(linktype::IPV4), &later_fragment),
            Err(Skip::Fragment)
        );
        let dont_fragment = ipv4_udp(b"x", 0x4000);
        assert!(decode(Linktype(linktype::IPV4), &dont_fragment).is_ok());
    }

    #[test]
    fn ipv6_destination_options_are_skipped_and_fragments_reported() {
        let mut p = vec![0x60, 0, 0, 0];
        let udp = [0x13, 0xc4, 0x13, 0xce, 0, 10, 0, 0, b'o', b'k'];
        p.extend_from_slice(&((8 + udp.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[60, 64]);
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(&[PROTO_UDP, 0, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(&udp);
        let packet = decode(Linktype(linktype::IPV6), &p).unwrap();
        assert_eq!(packet.dst, "[::1]:5070".parse().unwrap());
        assert_eq!(packet.transport, Segment::Udp(b"ok"));
        p[6] = 44;
        assert_eq!(decode(Linktype(linktype::IPV6), &p), Err(Skip::Fragment));
    }

    #[test]
    fn loopback_and_cooked_headers_are_stripped() {
        let ip = ipv4_udp(b"z", 0);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        assert!(decode(Linktype(linktype::NULL), &null).is_ok());
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        sll.extend_from_slice(&ip);
        assert!(decode(Linktype(linktype::LINUX_SLL), &sll).is_ok());
        let mut sll2 = ETHERTYPE_IPV4.to_be_bytes().to_vec();
        sll2.extend_from_slice(&[0; 18]);
        sll2.extend_from_slice(&ip);
        assert!(decode(Linktype(linktype::LINUX_SLL2), &sll2).is_ok());
        assert_eq!(decode(Linktype(147), &ip), Err(Skip::Linktype(147)));
    }

    #[test]
    fn every_prefix_of_a_frame_is_handled_without_panic() {
        let frame = ethernet_frame(&[0x8100, ETHERTYPE_IPV4], &ipv4_udp(b"payload", 0));
        for len in 0..frame.len() {
            let _ = decode(Linktype(linktype::ETHERNET), &frame[..len]);
        }
        assert!(matches!(
            decode(Linktype(linktype::ETHERNET), &frame[..20]),
            Err(Skip::Malformed(_))
        ));
    }
}
