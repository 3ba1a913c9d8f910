//! The capture reader on HTTP/1.1: a hand-built pcapng with a file upload (POST with a
//! multipart/form-data body split over segments, a file-info answer) and a ranged download (GET,
//! a chunked 206) on one TCP connection, read into Wire events that the checks then judge.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use rcs_harness::case::model::{Check, Predicate, Subject};
use rcs_harness::check::{Msg, judge};
use rcs_harness::events::{Protocol, Transport};
use rcs_harness::offline::read_capture_bytes;

const BOUNDARY: &str = "QmFzZTY0";

fn post() -> Vec<u8> {
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"tid\"\r\n\r\nf81d4fae\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"File\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\n0123456789\r\n--{BOUNDARY}--\r\n"
    );
    format!(
        "POST /upload?tid=f81d4fae HTTP/1.1\r\nHost: 10.0.0.9:8080\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn file_info() -> Vec<u8> {
    let xml = r#"<?xml version="1.0"?><file xmlns="urn:gsma:params:xml:ns:rcs:rcs:fthttp"><file-info type="file"><file-size>10</file-size><data url="http://10.0.0.9:8080/f/2" until="2026-12-01T10:00:00Z"/></file-info></file>"#;
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.gsma.rcs-ft-http+xml\r\nContent-Length: {}\r\n\r\n{xml}",
        xml.len()
    )
    .into_bytes()
}

const GET: &[u8] = b"GET /f/2 HTTP/1.1\r\nHost: 10.0.0.9:8080\r\nRange: bytes=4-\r\n\r\n";
const PARTIAL: &[u8] = b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-9/10\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n4567\r\n2\r\n89\r\n0\r\n\r\n";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Ethernet + IPv4 + TCP (20-byte header, PSH|ACK), checksums zero.
fn tcp_frame(src: &str, dst: &str, seq: u32, payload: &[u8]) -> Vec<u8> {
    let (SocketAddr::V4(src), SocketAddr::V4(dst)) = (addr(src), addr(dst)) else {
        panic!("IPv4 only");
    };
    let mut tcp = src.port().to_be_bytes().to_vec();
    tcp.extend_from_slice(&dst.port().to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend_from_slice(payload);
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0];
    f.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src.ip().octets());
    f.extend_from_slice(&dst.ip().octets());
    f.extend_from_slice(&tcp);
    f
}

/// A little-endian pcapng: section header, one Ethernet interface, enhanced packet blocks.
fn pcapng(packets: &[Vec<u8>]) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let len = (12 + body.len()) as u32;
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&len.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0A0D_0D0A, &shb);
    let mut idb = 1u16.to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&65535u32.to_le_bytes());
    block(&mut out, 1, &idb);
    for (i, data) in packets.iter().enumerate() {
        let ts = 1_700_000_000_000_000u64 + i as u64 * 1000;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(data);
        epb.resize(epb.len().next_multiple_of(4), 0);
        block(&mut out, 6, &epb);
    }
    out
}

const UE: &str = "10.0.0.1:40001";
const CS: &str = "10.0.0.9:8080";

fn capture() -> Vec<u8> {
    let post = post();
    let (head, rest) = post.split_at(60);
    let mut up = 1000u32;
    let mut down = 5000u32;
    let mut packets = Vec::new();
    let mut send = |from_ue: bool, bytes: &[u8], packets: &mut Vec<Vec<u8>>| {
        let (src, dst, seq) = match from_ue {
            true => (UE, CS, &mut up),
            false => (CS, UE, &mut down),
        };
        packets.push(tcp_frame(src, dst, *seq, bytes));
        *seq += bytes.len() as u32;
    };
    send(true, head, &mut packets);
    send(true, rest, &mut packets);
    send(false, &file_info(), &mut packets);
    send(true, GET, &mut packets);
    send(false, &PARTIAL[..50], &mut packets);
    send(false, &PARTIAL[50..], &mut packets);
    pcapng(&packets)
}

fn passes(msg: &Msg, subject: Subject, predicate: Predicate) -> bool {
    let check = Check {
        subject,
        predicate,
        rule: "RFC 9110".into(),
        line: 1,
    };
    judge(&check, msg, &BTreeMap::new()).unwrap().passed
}

#[test]
fn http_over_tcp_becomes_wire_events_the_checks_judge() {
    let captured = read_capture_bytes(&capture()).unwrap();
    assert!(captured.warnings.is_empty(), "{:?}", captured.warnings);
    let summaries: Vec<&str> = captured.wires.iter().map(|w| w.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "HTTP POST /upload?tid=f81d4fae (multipart/form-data, 201 bytes)",
            "HTTP 200 OK (application/vnd.gsma.rcs-ft-http+xml, 207 bytes)",
            "HTTP GET /f/2",
            "HTTP 206 Partial Content (bytes 4-9/10, 6 bytes)",
        ]
    );
    for w in &captured.wires {
        assert_eq!((w.protocol, w.transport), (Protocol::Http, Transport::Tcp));
    }
    assert_eq!(captured.wires[0].bytes.0, post());
    assert_eq!(captured.wires[3].bytes.0, PARTIAL);
    assert_eq!(
        (captured.wires[1].src, captured.wires[1].dst),
        (addr(CS), addr(UE))
    );
    let msgs: Vec<Msg> = captured
        .wires
        .iter()
        .map(|w| Msg::parse(w.protocol, &w.bytes.0).unwrap())
        .collect();
    let file = Subject::Form {
        name: "File".into(),
        field: Some("filename".into()),
    };
    assert!(passes(
        &msgs[0],
        file,
        Predicate::Equals("notes.txt".into())
    ));
    let url = Subject::Xml {
        path: "file-info[@type=file]/data/@url".into(),
    };
    assert!(passes(
        &msgs[1],
        url,
        Predicate::Equals("http://10.0.0.9:8080/f/2".into())
    ));
    let text = Subject::Message {
        field: "text".into(),
    };
    assert!(passes(
        &msgs[3],
        text.clone(),
        Predicate::Equals("456789".into())
    ));
    assert!(!passes(
        &msgs[3],
        text,
        Predicate::Equals("0123456789".into())
    ));
}

#[test]
fn a_response_cut_by_the_capture_is_a_warning() {
    let packets = vec![
        tcp_frame(UE, CS, 1, GET),
        tcp_frame(CS, UE, 1, &PARTIAL[..60]),
    ];
    let captured = read_capture_bytes(&pcapng(&packets)).unwrap();
    assert_eq!(captured.wires.len(), 1);
    assert!(
        captured
            .warnings
            .iter()
            .any(|w| w.contains("10.0.0.9:8080 -> 10.0.0.1:40001")
                && w.contains("not a whole message")),
        "{:?}",
        captured.warnings
    );
}

#[test]
fn traffic_rules_judge_the_http_of_a_capture() {
    use rcs_harness::events::Event;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("RULE-HTTP-FORM.yaml");
    std::fs::write(
        &path,
        "id: RULE-HTTP-FORM\ntitle: uploads name their file\nrefs: [RFC 7578 4.2]\napplies-to: { http: POST }\nchecks:\n  - { form: File.filename, exists: true, rule: RFC 7578 4.2 }\n  - { form: File.content-type, equals: text/plain, rule: RFC 7578 4.4 }\n",
    )
    .unwrap();
    let rule = rcs_harness::rules::load_rule(&path).unwrap();
    let wire = rcs_harness::offline::read_capture_bytes(&capture())
        .unwrap()
        .wires;
    let events = rcs_harness::rules::judge_capture("http.pcapng", &[rule], &wire);
    let checks: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Check(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(checks.len(), 2, "{checks:#?}");
    assert!(
        checks.iter().all(|c| c.passed && c.frame == Some(1)),
        "{checks:#?}"
    );
}
