//! `rcs-interop check`: verdicts on captures, both a dumpcap capture of third-party traffic
//! (Kamailio relaying for the simulated terminals, committed under tests/data/captures) and captures
//! the suite itself writes, including one of a faulty message center.

mod common;

use common::{rcs_interop, text};

fn verdict_line<'a>(stderr: &'a str, rule: &str) -> &'a str {
    stderr
        .lines()
        .find(|l| l.contains(&format!(" {rule} ")))
        .unwrap_or_else(|| panic!("no line for {rule} in:\n{stderr}"))
}

#[test]
fn a_dumpcap_capture_of_kamailio_is_judged_plain_and_gzipped() {
    for capture in ["kamailio-relay.pcapng", "kamailio-relay.pcapng.gz"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = format!("harness/cli/tests/data/captures/{capture}");
        let out = rcs_interop(&["check", &path, "--out", dir.path().to_str().expect("utf-8")]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        for rule in [
            "RULE-REG-401",
            "RULE-REG-200",
            "RULE-REG-REQ",
            "RULE-MSG-CPM",
            "RULE-IMDN",
        ] {
            assert!(
                verdict_line(&stderr, rule).starts_with("PASS"),
                "{capture}: {}",
                verdict_line(&stderr, rule)
            );
        }
        assert!(dir.path().join("index.html").exists() && dir.path().join("junit.xml").exists());
    }
}

#[test]
fn a_suite_capture_of_a_faulty_message_center_fails_the_rule_it_breaks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run");
    let out = rcs_interop(&[
        "run",
        "--filter",
        "PLT-REG-003",
        "--faults",
        "message-center.omit-p-associated-uri",
        "--out",
        run_dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let pcaps: Vec<_> = std::fs::read_dir(run_dir.join("pcap"))
        .expect("pcap")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(pcaps.len(), 1);
    let check_dir = dir.path().join("check");
    let out = rcs_interop(&[
        "check",
        pcaps[0].to_str().expect("utf-8"),
        "--out",
        check_dir.to_str().expect("utf-8"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = verdict_line(&stderr, "RULE-REG-200");
    assert!(
        line.starts_with("FAIL") && line.contains("RFC 7315 4.1"),
        "{line}"
    );
    assert!(verdict_line(&stderr, "RULE-REG-401").starts_with("PASS"));
    assert!(
        verdict_line(&stderr, "RULE-MSG-CPM").starts_with("SKIP"),
        "no chat in a registration case"
    );
}

#[test]
fn an_unsupported_file_is_a_clear_input_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bogus = dir.path().join("trace.gif");
    std::fs::write(&bogus, b"GIF89a not a capture").expect("write");
    let out = rcs_interop(&[
        "check",
        bogus.to_str().expect("utf-8"),
        "--out",
        dir.path().to_str().expect("utf-8"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("not a pcap, pcapng or gzip capture"),
        "{stderr}"
    );
}
