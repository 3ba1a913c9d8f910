//! Reading captures into Wire events: hand-built pcap and pcapng files (both byte orders, both
//! timestamp precisions, several interfaces, gzip), real dumpcap captures from
//! `tests/captures/` (see `record.sh` there), TCP reassembly through the whole reader, and
//! inputs that are not captures at all.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use rcs_harness::events::{Direction, Protocol, Transport, Wire};
use rcs_harness::offline::{CaptureError, Captured, read_capture, read_capture_bytes};

const OPTIONS: &[u8] =
    b"OPTIONS sip:bob@example.com SIP/2.0\r\nCall-ID: u1\r\nContent-Length: 0\r\n\r\n";
const OK: &[u8] = b"SIP/2.0 200 OK\r\nCall-ID: u1\r\nContent-Length: 0\r\n\r\n";
const MESSAGE_1: &[u8] =
    b"MESSAGE sip:bob@example.com SIP/2.0\r\nCall-ID: t1\r\nContent-Length: 5\r\n\r\nfirst";
const MESSAGE_2: &[u8] = b"MESSAGE tel:+8613800000000 SIP/2.0\r\nCall-ID: t2\r\nl: 6\r\n\r\nsecond";
const SEND: &[u8] = b"MSRP a786hjs2 SEND\r\nTo-Path: msrp://10.0.0.2:7394/s;tcp\r\n\
From-Path: msrp://10.0.0.1:40000/c;tcp\r\nMessage-ID: 87652491\r\nByte-Range: 1-11/11\r\n\
Content-Type: text/plain\r\n\r\nhello world\r\n-------a786hjs2$\r\n";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Ethernet + IPv4 + UDP, checksums zero.
fn udp_frame(src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
    let (src, dst) = (addr(src), addr(dst));
    let mut udp = ports(src, dst);
    udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    ethernet_ipv4(src, dst, 17, &udp)
}

/// TCP flags.
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;
const FIN_ACK: u8 = 0x11;

/// Ethernet + IPv4 + TCP (20-byte header), checksums zero.
fn tcp_frame(src: &str, dst: &str, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (src, dst) = (addr(src), addr(dst));
    let mut tcp = ports(src, dst);
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend_from_slice(payload);
    ethernet_ipv4(src, dst, 6, &tcp)
}

fn ports(src: SocketAddr, dst: SocketAddr) -> Vec<u8> {
    let mut p = src.port().to_be_bytes().to_vec();
    p.extend_from_slice(&dst.port().to_be_bytes());
    p
}

fn ethernet_ipv4(src: SocketAddr, dst: SocketAddr, protocol: u8, body: &[u8]) -> Vec<u8> {
    let (SocketAddr::V4(src), SocketAddr::V4(dst)) = (src, dst) else {
        panic!("IPv4 only");
    };
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&((20 + body.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, protocol, 0, 0]);
    f.extend_from_slice(&src.ip().octets());
    f.extend_from_slice(&dst.ip().octets());
    f.extend_from_slice(body);
    f
}

/// A libpcap file: `big` picks the byte order, `nanos` the timestamp precision.
fn pcap(linktype: u32, big: bool, nanos: bool, packets: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let w32 = |out: &mut Vec<u8>, v: u32| match big {
        true => out.extend_from_slice(&v.to_be_bytes()),
        false => out.extend_from_slice(&v.to_le_bytes()),
    };
    let mut out = Vec::new();
    w32(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    let version: [u16; 2] = [2, 4];
    for v in version {
        match big {
            true => out.extend_from_slice(&v.to_be_bytes()),
            false => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
    for v in [0, 0, 65535, linktype] {
        w32(&mut out, v);
    }
    for (time_us, data) in packets {
        w32(&mut out, (time_us / 1_000_000) as u32);
        let fraction = time_us % 1_000_000;
        w32(
            &mut out,
            if nanos { fraction * 1000 } else { fraction } as u32,
        );
        w32(&mut out, data.len() as u32);
        w32(&mut out, data.len() as u32);
        out.extend_from_slice(data);
    }
    out
}

/// A little-endian pcapng block: type, length, body (padded), length.
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let len = (12 + padded) as u32;
    let mut b = kind.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(8 + padded, 0);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// A pcapng file with one interface per `(linktype, if_tsresol)` and packets naming them.
fn pcapng(interfaces: &[(u16, u8)], packets: &[(u32, u64, Vec<u8>)]) -> Vec<u8> {
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut out = block(0x0a0d_0d0a, &shb);
    for (linktype, tsresol) in interfaces {
        let mut idb = linktype.to_le_bytes().to_vec();
        idb.extend_from_slice(&[0, 0, 0, 0, 4, 0]);
        idb.extend_from_slice(&[9, 0, 1, 0, *tsresol, 0, 0, 0, 0, 0, 0, 0]);
        out.extend(block(1, &idb));
    }
    for (if_id, ticks, data) in packets {
        let mut epb = if_id.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(*ticks as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(data);
        out.extend(block(6, &epb));
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

const T0: u64 = 1_767_225_600_000_000;
const A: &str = "10.0.0.1:40000";
const B: &str = "10.0.0.2:5060";
const M: &str = "10.0.0.2:7394";

/// SIP over UDP; SIP over TCP with two messages in one segment and one split over two; MSRP over
/// TCP split over two segments.
fn mixed_packets() -> Vec<(u64, Vec<u8>)> {
    let mut two = MESSAGE_1.to_vec();
    two.extend_from_slice(OPTIONS);
    let (head, tail) = MESSAGE_2.split_at(30);
    let (send_a, send_b) = SEND.split_at(70);
    let frames = vec![
        udp_frame(A, B, OPTIONS),
        udp_frame(B, A, OK),
        tcp_frame("10.0.0.1:40001", B, 1000, SYN, b""),
        tcp_frame(B, "10.0.0.1:40001", 5000, SYN | ACK, b""),
        tcp_frame("10.0.0.1:40001", B, 1001, PSH_ACK, &two),
        tcp_frame("10.0.0.1:40001", B, 1001 + two.len() as u32, PSH_ACK, head),
        tcp_frame("10.0.0.1:40001", B, 1031 + two.len() as u32, PSH_ACK, tail),
        tcp_frame(A, M, 7, PSH_ACK, send_a),
        tcp_frame(A, M, 77, PSH_ACK, send_b),
        tcp_frame(A, M, 7 + SEND.len() as u32, FIN_ACK, b""),
    ];
    frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| (T0 + 1500 * i as u64, f))
        .collect()
}

type Expected<'a> = (
    Transport,
    Protocol,
    &'a str,
    &'a str,
    &'a [u8],
    &'a str,
    u64,
);

fn expected_mixed() -> Vec<Expected<'static>> {
    vec![
        (
            Transport::Udp,
            Protocol::Sip,
            A,
            B,
            OPTIONS,
            "OPTIONS sip:bob@example.com",
            0,
        ),
        (Transport::Udp, Protocol::Sip, B, A, OK, "200 OK", 1500),
        (
            Transport::Tcp,
            Protocol::Sip,
            "10.0.0.1:40001",
            B,
            MESSAGE_1,
            "MESSAGE sip:bob@example.com",
            6000,
        ),
        (
            Transport::Tcp,
            Protocol::Sip,
            "10.0.0.1:40001",
            B,
            OPTIONS,
            "OPTIONS sip:bob@example.com",
            6000,
        ),
        (
            Transport::Tcp,
            Protocol::Sip,
            "10.0.0.1:40001",
            B,
            MESSAGE_2,
            "MESSAGE tel:+8613800000000",
            9000,
        ),
        (
            Transport::Tcp,
            Protocol::Msrp,
            A,
            M,
            SEND,
            "MSRP a786hjs2 SEND",
            12000,
        ),
    ]
}

fn assert_wires(captured: &Captured, expected: &[Expected<'_>], t0: u64) {
    let got: Vec<_> = captured
        .wires
        .iter()
        .map(|w| (w.frame, w.summary.as_str()))
        .collect();
    assert_eq!(
        captured.wires.len(),
        expected.len(),
        "{got:?} {:?}",
        captured.warnings
    );
    for (i, (wire, e)) in captured.wires.iter().zip(expected).enumerate() {
        let (transport, protocol, src, dst, bytes, summary, after_us) = *e;
        assert_eq!(wire.frame, i as u64 + 1);
        assert_eq!(wire.case, "capture");
        assert_eq!(wire.role, "");
        assert_eq!(wire.direction, Direction::Out);
        assert_eq!(
            (wire.transport, wire.protocol),
            (transport, protocol),
            "frame {}",
            i + 1
        );
        assert_eq!(
            (wire.src, wire.dst),
            (addr(src), addr(dst)),
            "frame {}",
            i + 1
        );
        assert_eq!(wire.bytes.0, bytes, "frame {}", i + 1);
        assert_eq!(wire.summary, summary);
        assert_eq!(wire.time_us, t0 + after_us, "frame {}", i + 1);
        assert_eq!(wire.case_ms, after_us as f64 / 1000.0);
    }
}

#[test]
fn pcap_in_both_byte_orders_and_precisions_gives_the_same_wires() {
    for (big, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        let file = pcap(1, big, nanos, &mixed_packets());
        let captured = read_capture_bytes(&file).unwrap();
        assert_wires(&captured, &expected_mixed(), T0);
        assert_eq!(
            captured.warnings,
            Vec::<String>::new(),
            "big {big} nanos {nanos}"
        );
    }
}

#[test]
fn gzip_compressed_pcap_is_read() {
    let file = gzip(&pcap(1, false, false, &mixed_packets()));
    assert_wires(&read_capture_bytes(&file).unwrap(), &expected_mixed(), T0);
}

#[test]
fn pcapng_interfaces_keep_their_own_link_type_and_resolution() {
    // Interface 0: Ethernet in microseconds; interface 1: raw IP in nanoseconds.
    let packets: Vec<_> = mixed_packets()
        .into_iter()
        .enumerate()
        .map(|(i, (t, frame))| match i % 2 {
            0 => (0, t, frame),
            _ => (1, t * 1000, frame[14..].to_vec()),
        })
        .collect();
    let file = pcapng(&[(1, 6), (101, 9)], &packets);
    let captured = read_capture_bytes(&file).unwrap();
    assert_wires(&captured, &expected_mixed(), T0);
    assert_wires(
        &read_capture_bytes(&gzip(&file)).unwrap(),
        &expected_mixed(),
        T0,
    );
}

#[test]
fn out_of_order_and_retransmitted_segments_are_reassembled() {
    let mut stream = MESSAGE_1.to_vec();
    stream.extend_from_slice(MESSAGE_2);
    let c = "10.0.0.1:40002";
    let at = |n: usize| 100 + n as u32;
    let frames = [
        tcp_frame(c, B, 99, SYN, b""),
        tcp_frame(c, B, at(40), PSH_ACK, &stream[40..90]),
        tcp_frame(c, B, at(0), PSH_ACK, &stream[..20]),
        tcp_frame(c, B, at(0), PSH_ACK, &stream[..20]),
        tcp_frame(c, B, at(10), PSH_ACK, &stream[10..45]),
        tcp_frame(c, B, at(90), PSH_ACK, &stream[90..]),
        tcp_frame(c, B, at(60), PSH_ACK, &stream[60..100]),
    ];
    let packets: Vec<_> = frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| (T0 + i as u64, f))
        .collect();
    let captured = read_capture_bytes(&pcap(1, false, false, &packets)).unwrap();
    let expected: Vec<Expected<'_>> = vec![
        (
            Transport::Tcp,
            Protocol::Sip,
            c,
            B,
            MESSAGE_1,
            "MESSAGE sip:bob@example.com",
            4,
        ),
        (
            Transport::Tcp,
            Protocol::Sip,
            c,
            B,
            MESSAGE_2,
            "MESSAGE tel:+8613800000000",
            5,
        ),
    ];
    assert_wires(&captured, &expected, T0);
    assert!(captured.warnings.is_empty(), "{:?}", captured.warnings);
}

#[test]
fn a_missing_segment_stops_the_stream_with_a_warning() {
    let c = "10.0.0.1:40003";
    let frames = [
        tcp_frame(c, B, 1, PSH_ACK, &MESSAGE_1[..10]),
        tcp_frame(c, B, 21, PSH_ACK, &MESSAGE_1[20..]),
    ];
    let packets: Vec<_> = frames.into_iter().map(|f| (T0, f)).collect();
    let captured = read_capture_bytes(&pcap(1, false, false, &packets)).unwrap();
    assert!(captured.wires.is_empty());
    assert_eq!(captured.warnings.len(), 1, "{:?}", captured.warnings);
    assert!(
        captured.warnings[0].contains("missing from the capture at stream byte 10"),
        "{:?}",
        captured.warnings
    );
}

fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/captures")
}

fn summaries(wires: &[Wire]) -> Vec<(Transport, Protocol, String)> {
    wires
        .iter()
        .map(|w| (w.transport, w.protocol, w.summary.clone()))
        .collect()
}

#[test]
fn a_real_dumpcap_pcapng_with_two_interfaces_is_read() {
    let captured = read_capture(&captures_dir().join("loopback-sip-msrp.pcapng")).unwrap();
    assert!(captured.warnings.is_empty(), "{:?}", captured.warnings);
    let (udp, tcp, sip, msrp) = (
        Transport::Udp,
        Transport::Tcp,
        Protocol::Sip,
        Protocol::Msrp,
    );
    let s = |t: &str| t.to_owned();
    assert_eq!(
        summaries(&captured.wires),
        vec![
            (udp, sip, s("OPTIONS sip:bob@example.com")),
            (udp, sip, s("200 OK")),
            (tcp, sip, s("MESSAGE sip:bob@example.com")),
            (tcp, sip, s("MESSAGE sip:bob@example.com")),
            (tcp, sip, s("MESSAGE tel:+8613800000000")),
            (tcp, sip, s("200 OK")),
            (tcp, sip, s("200 OK")),
            (tcp, sip, s("200 OK")),
            (tcp, msrp, s("MSRP a786hjs2 SEND")),
            (tcp, msrp, s("MSRP a786hjs2 200 OK")),
        ]
    );
    let w = &captured.wires;
    assert_eq!(
        (w[0].src, w[0].dst),
        (addr("127.0.0.1:35070"), addr("127.0.0.1:35060"))
    );
    assert_eq!(
        (w[5].src, w[5].dst),
        (addr("127.0.0.1:35061"), addr("127.0.0.1:35071"))
    );
    assert_eq!(
        (w[8].src, w[8].dst),
        (addr("127.0.0.1:35072"), addr("127.0.0.1:35062"))
    );
    assert!(
        w[4].bytes
            .0
            .ends_with(b"\r\n\r\nthird, split over two segments")
    );
    assert!(w[8].bytes.0.starts_with(b"MSRP a786hjs2 SEND\r\n"));
    assert!(
        w[8].bytes
            .0
            .ends_with(b"hello world\r\n-------a786hjs2$\r\n")
    );
    assert_eq!(w[9].bytes.0.len(), 122);
    assert!(w.windows(2).all(|p| p[0].time_us <= p[1].time_us));
    assert_eq!(w[0].case_ms, 0.0);
    assert!(
        w[4].case_ms > w[3].case_ms,
        "the split message completes later"
    );
}

#[test]
fn real_dumpcap_pcap_its_gzip_and_its_nanosecond_copy_agree() {
    let dir = captures_dir();
    let plain = read_capture(&dir.join("loopback-sip-udp.pcap")).unwrap();
    assert_eq!(
        summaries(&plain.wires),
        vec![
            (
                Transport::Udp,
                Protocol::Sip,
                "OPTIONS sip:bob@example.com".to_owned()
            ),
            (Transport::Udp, Protocol::Sip, "200 OK".to_owned()),
        ]
    );
    assert!(
        plain.wires[1]
            .bytes
            .0
            .starts_with(b"SIP/2.0 200 OK\r\nVia: ")
    );
    for other in ["loopback-sip-udp.pcap.gz", "loopback-sip-udp-nsec.pcap"] {
        assert_eq!(read_capture(&dir.join(other)).unwrap(), plain, "{other}");
    }
}

#[test]
fn unknown_formats_are_errors_that_name_the_magic() {
    let e = read_capture_bytes(b"GIF89a....").unwrap_err();
    assert_eq!(
        e.to_string(),
        "failed to read the capture: not a pcap, pcapng or gzip capture (it starts with 0x47494638)"
    );
    let e = read_capture_bytes(&gzip(b"plain text")).unwrap_err();
    assert!(
        matches!(e, CaptureError::UnknownFormat { gzip: true, .. }),
        "{e}"
    );
    let e = read_capture_bytes(b"").unwrap_err();
    assert!(e.to_string().contains("it is empty"), "{e}");
    let e = read_capture(&captures_dir().join("no-such-file.pcap")).unwrap_err();
    assert!(matches!(e, CaptureError::Io { .. }), "{e}");
    let e = read_capture_bytes(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "failed to read the capture: its pcap file header is truncated"
    );
}

#[test]
fn truncated_files_keep_what_was_read_and_warn() {
    let file = pcap(1, false, false, &mixed_packets());
    let cut = read_capture_bytes(&file[..file.len() - 3]).unwrap();
    assert_eq!(cut.wires.len(), 6, "the FIN packet is the one lost");
    assert!(
        cut.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        cut.warnings
    );
    let zipped = gzip(&file);
    let cut = read_capture_bytes(&zipped[..zipped.len() / 2]).unwrap();
    assert!(
        cut.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        cut.warnings
    );
    for len in 0..file.len() {
        let _ = read_capture_bytes(&file[..len]);
    }
    let ng = pcapng(
        &[(1, 6)],
        &[
            (0, T0, udp_frame(A, B, OPTIONS)),
            (3, T0, udp_frame(A, B, OK)),
        ],
    );
    for len in 0..ng.len() {
        let _ = read_capture_bytes(&ng[..len]);
    }
    let orphan = read_capture_bytes(&ng).unwrap();
    assert_eq!(orphan.wires[0].bytes.0, OPTIONS);
    assert_eq!(orphan.wires.len(), 1);
    assert!(
        orphan.warnings[0].contains("interface 3"),
        "{:?}",
        orphan.warnings
    );
}

#[test]
fn blocks_larger_than_the_first_buffer_are_read() {
    let big = vec![0u8; 300 * 1024];
    let ng = pcapng(
        &[(1, 6)],
        &[(0, T0, big), (0, T0 + 1, udp_frame(A, B, OPTIONS))],
    );
    let captured = read_capture_bytes(&ng).unwrap();
    assert!(captured.warnings.is_empty(), "{:?}", captured.warnings);
    assert_eq!(captured.wires.len(), 1);
    assert_eq!(captured.wires[0].time_us, T0 + 1);
}

#[test]
fn random_and_mutated_inputs_never_panic() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let seeds = [
        pcap(1, false, false, &mixed_packets()),
        pcapng(&[(1, 6), (113, 9)], &[(0, T0, udp_frame(A, B, OPTIONS))]),
    ];
    for round in 0..600 {
        let mut input = seeds[round % 2].clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() as usize) % input.len();
            input[at] = next() as u8;
        }
        let _ = read_capture_bytes(&input);
        let random: Vec<u8> = (0..next() % 200).map(|_| next() as u8).collect();
        let _ = read_capture_bytes(&random);
    }
}
