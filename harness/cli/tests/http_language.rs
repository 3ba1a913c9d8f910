//! HTTP in the case language and in `check`, as a user meets it: located diagnostics for `http:`
//! expectations that cannot be judged, and traffic rules judging the HTTP of a capture (a file
//! upload and a ranged download) that the suite's pcapng writer made.

mod common;

use std::net::SocketAddr;

use common::{rcs_interop, text};
use rcs_harness::events::{Direction, Protocol, Transport, Wire, WireBytes};

#[test]
fn http_expectations_that_cannot_be_judged_are_located() {
    let out = rcs_interop(&["validate", "harness/cli/tests/data/broken/BRK-008.yaml"]);
    let stderr = text(&out.stderr).replace('\\', "/");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    for line in [
        "BRK-008.yaml:11:5: error: an expectation names `sip` or `http`, not both",
        "BRK-008.yaml:12:5: error: bad `http`: `post` is neither an HTTP method in capitals",
        "BRK-008.yaml:21:11: error: `sdp` reads SIP messages, but this names HTTP messages: use it under `sip:`",
        "BRK-008.yaml:22:11: error: `message: chunks` describes MSRP chunks",
        "BRK-008.yaml:23:11: error: bad `xml` path `file-info/@type/data`: `@type` must be the last step",
        "BRK-008.yaml:29:11: error: `form` reads HTTP messages, but this names SIP messages: use it under `http:`",
    ] {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

/// An upload answered with a file-info whose URL is plain http, and a 206 download.
fn wires() -> Vec<Wire> {
    let boundary = "b0";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"File\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    );
    let post = format!(
        "POST /upload HTTP/1.1\r\nHost: cs\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let xml = r#"<file xmlns="urn:gsma:params:xml:ns:rcs:rcs:fthttp"><file-info type="file"><data url="http://cs/f/1" until="2026-12-01T10:00:00Z"/></file-info></file>"#;
    let info = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.gsma.rcs-ft-http+xml\r\nContent-Length: {}\r\n\r\n{xml}",
        xml.len()
    );
    let get = "GET /f/1 HTTP/1.1\r\nHost: cs\r\nRange: bytes=2990-\r\n\r\n".to_owned();
    let partial =
        "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 2990-2999/3000\r\nContent-Length: 10\r\n\r\n0123456789"
            .to_owned();
    let (ue, cs) = (addr("127.0.0.1:40800"), addr("127.0.0.1:45081"));
    [(true, post), (false, info), (true, get), (false, partial)]
        .into_iter()
        .enumerate()
        .map(|(i, (up, bytes))| Wire {
            case: "FT".into(),
            frame: i as u64 + 1,
            time_us: 1_795_483_800_000_000 + i as u64 * 1000,
            case_ms: i as f64,
            role: "alice".into(),
            direction: if up { Direction::Out } else { Direction::In },
            transport: Transport::Tcp,
            protocol: Protocol::Http,
            src: if up { ue } else { cs },
            dst: if up { cs } else { ue },
            summary: String::new(),
            bytes: WireBytes(bytes.into_bytes()),
        })
        .collect()
}

#[test]
fn traffic_rules_judge_the_http_of_a_capture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = dir.path().join("ft.pcapng");
    rcs_reports::pcapng::write_capture(&capture, &rcs_reports::capture_for_case("FT", &wires()))
        .expect("pcapng");
    let out = rcs_interop(&[
        "check",
        capture.to_str().expect("utf-8"),
        "--rules",
        "harness/cli/tests/data/rules-http",
        "--out",
        dir.path().join("out").to_str().expect("utf-8"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let verdict = |rule: &str| {
        stderr
            .lines()
            .find(|l| l.contains(&format!(" {rule} ")))
            .unwrap_or_else(|| panic!("no line for {rule} in:\n{stderr}"))
            .to_owned()
    };
    assert!(verdict("RULE-FT-UPLOAD").starts_with("PASS"), "{stderr}");
    assert!(verdict("RULE-FT-RANGE").starts_with("PASS"), "{stderr}");
    let info = verdict("RULE-FT-INFO");
    assert!(
        info.starts_with("FAIL") && info.contains("RCC.07 3.2.5"),
        "{info}"
    );
}
