//! HTTP Wire events in the pcapng and the HTML ladder: a file-transfer upload (POST with a
//! multipart/form-data body larger than one segment, a file-info answer) and a ranged download
//! (GET, a chunked 206) between a terminal and a content server on ports Wireshark does not
//! associate with HTTP. tshark decodes them as HTTP when told to, with no malformed frame.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use rcs_harness::events::{Direction, Protocol, Transport, Wire, WireBytes};
use rcs_reports::capture_for_case;

mod common;

/// The content server's port: not one tshark tries HTTP on by default.
const CS_PORT: u16 = 45080;
const BOUNDARY: &str = "ft-QmFzZTY0";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn upload() -> Vec<u8> {
    let file: String = (0..3000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"tid\"\r\n\r\nf81d4fae\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"File\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\n{file}\r\n--{BOUNDARY}--\r\n"
    );
    format!(
        "POST /upload?tid=f81d4fae HTTP/1.1\r\nHost: 127.0.0.1:{CS_PORT}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn file_info() -> Vec<u8> {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><file xmlns="urn:gsma:params:xml:ns:rcs:rcs:fthttp"><file-info type="file"><file-size>3000</file-size><data url="http://127.0.0.1:{CS_PORT}/f/2" until="2026-12-01T10:00:00Z"/></file-info></file>"#
    );
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.gsma.rcs-ft-http+xml\r\nContent-Length: {}\r\n\r\n{xml}",
        xml.len()
    )
    .into_bytes()
}

fn download() -> Vec<u8> {
    format!("GET /f/2 HTTP/1.1\r\nHost: 127.0.0.1:{CS_PORT}\r\nRange: bytes=2990-\r\n\r\n")
        .into_bytes()
}

const PARTIAL: &[u8] = b"HTTP/1.1 206 Partial Content\r\nContent-Type: text/plain\r\nContent-Range: bytes 2990-2999/3000\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nklmnop\r\n4\r\nqrst\r\n0\r\n\r\n";

/// The four messages, each captured at the terminal.
pub fn wires() -> Vec<Wire> {
    let (ue, cs) = ("127.0.0.1:40712".to_owned(), format!("127.0.0.1:{CS_PORT}"));
    let messages = [
        (Direction::Out, upload(), "HTTP POST /upload?tid=f81d4fae"),
        (Direction::In, file_info(), "HTTP 200 OK"),
        (Direction::Out, download(), "HTTP GET /f/2"),
        (Direction::In, PARTIAL.to_vec(), "HTTP 206 Partial Content"),
    ];
    messages
        .into_iter()
        .enumerate()
        .map(|(i, (direction, bytes, summary))| {
            let (src, dst) = match direction {
                Direction::Out => (&ue, &cs),
                Direction::In => (&cs, &ue),
            };
            Wire {
                case: "PLT-FT-001".into(),
                frame: i as u64 + 1,
                time_us: 1_795_483_800_000_000 + i as u64 * 1000,
                case_ms: i as f64,
                role: "alice".into(),
                direction,
                transport: Transport::Tcp,
                protocol: Protocol::Http,
                src: addr(src),
                dst: addr(dst),
                summary: summary.into(),
                bytes: WireBytes(bytes),
            }
        })
        .collect()
}

fn tshark(path: &Path, extra: &[&str], args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(extra)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The content server's ports, as the destinations of HTTP requests: what `-d` needs.
fn http_server_ports(wires: &[Wire]) -> Vec<u16> {
    let mut ports: Vec<u16> = wires
        .iter()
        .filter(|w| w.protocol == Protocol::Http && !w.bytes.0.starts_with(b"HTTP/"))
        .map(|w| w.dst.port())
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Write the capture of the four wires and check that tshark, given `decode`, sees each message
/// as HTTP with nothing malformed.
fn assert_http_decoded(decode: &[String]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ft.pcapng");
    rcs_reports::pcapng::write_capture(&path, &capture_for_case("PLT-FT-001", &wires())).unwrap();
    let decode: Vec<&str> = decode.iter().map(String::as_str).collect();
    assert_eq!(tshark(&path, &decode, &["-Y", "_ws.malformed"]), "");
    let fields = tshark(
        &path,
        &decode,
        &[
            "-Y",
            "http",
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "http.request.method",
            "-e",
            "http.response.code",
            "-e",
            "mime_multipart.header.content-disposition",
            "-e",
            "http.transfer_encoding",
        ],
    );
    let rows: Vec<&str> = fields.lines().collect();
    assert_eq!(
        rows,
        [
            "POST||form-data;name=\"tid\",form-data;name=\"File\";filename=\"notes.txt\"|",
            "|200||",
            "GET|||",
            "|206||chunked",
        ],
        "decoded with {decode:?}"
    );
}

fn have_tshark() -> bool {
    let found = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "tshark required in CI");
        eprintln!("notice: tshark is not installed; skipping the checks that need it");
    }
    found
}

#[test]
fn tshark_decodes_http_on_the_ports_of_the_events() {
    if !have_tshark() {
        return;
    }
    let ports = http_server_ports(&wires());
    assert_eq!(ports, [CS_PORT]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ft.pcapng");
    rcs_reports::pcapng::write_capture(&path, &capture_for_case("PLT-FT-001", &wires())).unwrap();
    let off = ["--disable-heuristic", "http_tcp"];
    assert_eq!(
        tshark(&path, &off, &["-Y", "http"]),
        "",
        "without the heuristic or Decode As, port {CS_PORT} is plain TCP"
    );
    // Decode As, and the HTTP heuristic off so that only `-d` can make it HTTP.
    let mut decode = vec!["--disable-heuristic".to_owned(), "http_tcp".to_owned()];
    for port in ports {
        decode.push("-d".into());
        decode.push(format!("tcp.port=={port},http"));
    }
    assert_http_decoded(&decode);
}

#[test]
fn tshark_decodes_http_with_its_tcp_heuristic() {
    if !have_tshark() {
        return;
    }
    assert_http_decoded(&["--enable-heuristic".to_owned(), "http_tcp".to_owned()]);
}

#[test]
fn the_ladder_draws_http_arrows_with_method_and_status() {
    use rcs_harness::events::Event;
    use rcs_reports::{EventSink, HtmlReport};
    let mut events = common::fixture_events();
    let at = events
        .iter()
        .position(|e| matches!(e, Event::CaseFinished(f) if f.case == common::REG))
        .unwrap();
    let first = events
        .iter()
        .filter_map(|e| match e {
            Event::Wire(w) if w.case == common::REG => Some(w.frame),
            _ => None,
        })
        .max()
        .unwrap();
    for (i, mut w) in wires().into_iter().enumerate() {
        w.case = common::REG.into();
        w.frame = first + 1 + i as u64;
        w.summary = rcs_harness::check::Msg::parse(Protocol::Http, &w.bytes.0)
            .unwrap()
            .summary();
        events.insert(at + i, Event::Wire(w));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut report = HtmlReport::new(dir.path());
    for e in &events {
        report.event(e);
    }
    report.finish().unwrap();
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    for label in [
        "HTTP POST /upload?tid=f81d4fa",
        "HTTP 200 OK (application/vnd",
        "HTTP GET /f/2",
        "HTTP 206 Partial Content (byt",
        "HTTP/1.1 206 Partial Content",
        "Content-Disposition: form-data; name=&quot;File&quot;",
    ] {
        assert!(html.contains(label), "the report lacks {label:?}");
    }
}
