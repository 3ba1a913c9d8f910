//! `rcs-interop run --transport tls` as a user runs it: the cases pass with every role simulated
//! over SIP over TLS, session chat runs its MSRP over TLS too (`msrps:` paths, `TCP/TLS/MSRP`), and
//! the captures (TLS plaintext written on its TCP ports) decode as SIP and MSRP in tshark without a
//! malformed packet.

mod common;

use common::{TSHARK_PREFS, text, tshark_available, workspace};

use std::path::Path;
use std::process::Command;

/// The SIP methods and status lines tshark decodes in `capture`, and its malformed frames.
fn tshark(capture: &Path, filter: &str, field: &str) -> Vec<String> {
    let out = Command::new("tshark")
        .args(TSHARK_PREFS)
        .args(["-n", "-r"])
        .arg(capture)
        .args(["-Y", filter, "-T", "fields", "-e", field])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        capture.display(),
        text(&out.stderr)
    );
    text(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn a_tls_run_passes_and_tshark_decodes_its_sip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("report");
    let out = Command::new(env!("CARGO_BIN_EXE_rcs-interop"))
        .args([
            "run",
            "--transport",
            "tls",
            "--filter",
            "PLT-MSG-001,PLT-REG-001,PLT-MSG-007",
        ])
        .arg("--out")
        .arg(&out_dir)
        .current_dir(workspace())
        .output()
        .expect("run rcs-interop");
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{stdout}",
        text(&out.stderr)
    );
    // Progress lines go to stderr; stdout is left for the report's path.
    let progress = text(&out.stderr);
    for id in ["PLT-MSG-001", "PLT-REG-001", "PLT-MSG-007"] {
        assert!(
            progress
                .lines()
                .any(|l| l.starts_with("PASS") && l.contains(id)),
            "{id} did not pass over tls:\n{progress}"
        );
    }
    let events = std::fs::read_to_string(out_dir.join("events.jsonl")).expect("events.jsonl");
    let wires: Vec<_> = events
        .lines()
        .filter(|l| l.contains("\"event\":\"wire\"") && l.contains("\"protocol\":\"sip\""))
        .collect();
    assert!(!wires.is_empty(), "no SIP recorded");
    assert!(
        wires.iter().all(|l| l.contains("\"transport\":\"tls\"")),
        "every SIP message went over tls"
    );
    let msrp: Vec<_> = events
        .lines()
        .filter(|l| l.contains("\"event\":\"wire\"") && l.contains("\"protocol\":\"msrp\""))
        .collect();
    assert!(
        msrp.len() >= 10,
        "session chat recorded {} MSRP frames",
        msrp.len()
    );
    assert!(
        msrp.iter()
            .all(|l| l.contains("\"transport\":\"tls\"") && l.contains("msrps://")),
        "every MSRP frame went over tls, with msrps paths"
    );
    if !tshark_available() {
        return;
    }
    let capture = out_dir.join("pcap").join("PLT-MSG-001.pcapng");
    let methods = tshark(&capture, "sip.Method", "sip.Method");
    for method in ["REGISTER", "MESSAGE"] {
        assert!(
            methods.iter().any(|m| m == method),
            "tshark shows no {method} in {}: {methods:?}",
            capture.display()
        );
    }
    let capture = out_dir.join("pcap").join("PLT-MSG-007.pcapng");
    let sends = tshark(&capture, "msrp.method == \"SEND\"", "msrp.transaction.id");
    assert!(
        sends.len() >= 10,
        "tshark decodes {} MSRP SENDs in {}",
        sends.len(),
        capture.display()
    );
    let sdp = tshark(&capture, "sdp.media.proto", "sdp.media.proto");
    assert!(
        !sdp.is_empty() && sdp.iter().all(|p| p == "TCP/TLS/MSRP"),
        "SDP offers and answers use TCP/TLS/MSRP: {sdp:?}"
    );
    for case in ["PLT-MSG-001", "PLT-REG-001", "PLT-MSG-007"] {
        let capture = out_dir.join("pcap").join(format!("{case}.pcapng"));
        assert!(
            tshark(&capture, "sip", "frame.number").len() >= 4,
            "tshark sees too little SIP in {}",
            capture.display()
        );
        let malformed = tshark(&capture, "_ws.malformed", "frame.number");
        assert!(
            malformed.is_empty(),
            "malformed frames {malformed:?} in {}",
            capture.display()
        );
    }
}
