//! The session keys of the case language, as a user meets them: located diagnostics for
//! expectations that cannot be judged, and `refers-to` traffic rules on a real capture.

mod common;

use common::{rcs_interop, text};

#[test]
fn session_expectations_that_cannot_be_judged_are_located() {
    let out = rcs_interop(&["validate", "harness/cli/tests/data/broken/BRK-007.yaml"]);
    let stderr = text(&out.stderr).replace('\\', "/");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    for line in [
        "BRK-007.yaml:12:5: error: an expectation names `sip` or `msrp`, not both",
        "BRK-007.yaml:19:11: error: `sdp` reads SIP messages, but this names MSRP frames",
        "BRK-007.yaml:20:11: error: unknown `message` field `sha1`",
        "BRK-007.yaml:26:11: error: `message` reads MSRP chunks, but this names SIP messages",
    ] {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
}

#[test]
fn every_imdn_of_the_kamailio_capture_refers_to_an_earlier_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = rcs_interop(&[
        "check",
        "harness/cli/tests/data/captures/kamailio-relay.pcapng",
        "--out",
        dir.path().to_str().expect("utf-8"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains(" RULE-IMDN-REF "))
        .unwrap_or_else(|| panic!("no RULE-IMDN-REF in:\n{stderr}"));
    assert!(line.starts_with("PASS"), "{line}");
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).expect("events");
    let referrals = events
        .lines()
        .filter(|l| l.contains("\"case\":\"RULE-IMDN-REF\"") && l.contains("\"event\":\"check\""))
        .count();
    assert!(referrals >= 2, "every IMDN is judged: {referrals}");
}
