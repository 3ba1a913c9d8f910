//! The command line, as a user runs it: diagnostics for broken case files, exit codes, the report
//! folder, and captures that tshark decodes without a malformed packet.

mod common;

use common::{TSHARK_PREFS, cases_dir, rcs_interop, text, tshark_available};

use std::path::Path;
use std::process::Command;

#[test]
fn broken_case_files_are_reported_with_location_hint_and_exit_code_3() {
    let out = rcs_interop(&["validate", "harness/cli/tests/data/broken"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let expected = [
        (
            "BRK-001.yaml:15:7: error: unknown field `chekcs`",
            "did you mean `checks`?",
        ),
        (
            "BRK-002.yaml:10:5: error: `alcie` is neither a role of this case nor a step keyword",
            "did you mean `alice`?",
        ),
        (
            "BRK-002.yaml:11:5: error: a terminal has no action `regsiter`",
            "did you mean `register`?",
        ),
        (
            "BRK-002.yaml:12:5: error: `at: bob` is not a role of this case",
            "",
        ),
        (
            "BRK-003.yaml:8:7: error: unknown role kind `message-centre` for `mc`",
            "did you mean `message-center`?",
        ),
        ("BRK-003.yaml:11:5: error: bad `sip`: `ok` is neither", ""),
        ("BRK-003.yaml:16:11: error: a check needs one predicate", ""),
        (
            "BRK-003.yaml:18:40: error: unknown fault `message-center.accept-wrong-digests`",
            "did you mean `message-center.accept-wrong-digest`?",
        ),
        (
            "BRK-004.yaml:4:5: error: invalid type: sequence, expected an action name",
            "",
        ),
        (
            "BRK-006.yaml:3:1: error: invalid indentation in multiline quoted scalar",
            "",
        ),
        (
            "BRK-005.yaml:13:28: error: no check or expectation of this case has `rule: RFC 2617 3.2.1`",
            "",
        ),
    ];
    for (line, hint) in expected {
        let found = stderr
            .lines()
            .position(|l| l.replace('\\', "/").contains(line));
        let Some(at) = found else {
            panic!("missing diagnostic `{line}` in:\n{stderr}")
        };
        if !hint.is_empty() {
            let block: String = stderr
                .lines()
                .skip(at)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                block.contains(hint),
                "diagnostic `{line}` lacks hint `{hint}`:\n{block}"
            );
        }
    }
    assert!(stderr.contains("0 valid case(s)"), "{stderr}");
}

#[test]
fn every_committed_case_is_valid_and_listed() {
    let out = rcs_interop(&["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed = text(&rcs_interop(&["list"]).stdout);
    let files = rcs_harness::case::find_case_files(&[cases_dir()]).expect("cases");
    for f in &files {
        let id = f.file_stem().and_then(|s| s.to_str()).expect("file name");
        assert!(listed.contains(id), "`list` lacks {id}:\n{listed}");
    }
    let faults = text(&rcs_interop(&["list", "--faults"]).stdout);
    assert!(
        faults.contains("message-center.omit-p-associated-uri"),
        "{faults}"
    );
}

#[test]
fn a_broken_case_does_not_stop_the_others_and_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("report");
    let good = cases_dir().join("platform/cap/PLT-CAP-003.yaml");
    let args = [
        "run",
        good.to_str().expect("utf-8"),
        "harness/cli/tests/data/broken/BRK-002.yaml",
        "--out",
        out_dir.to_str().expect("utf-8"),
    ];
    let out = rcs_interop(&args);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let events = rcs_reports::read_events(out_dir.join("events.jsonl")).expect("events");
    let passed = events.iter().any(|e| matches!(e, rcs_harness::events::Event::CaseFinished(f) if f.case == "PLT-CAP-003" && f.verdict == rcs_harness::verdict::Verdict::Pass));
    assert!(passed, "the valid case ran and passed");
}

#[test]
fn the_main_job_writes_every_report_and_tshark_decodes_every_capture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("report");
    let out = rcs_interop(&[
        "run",
        "--jobs",
        "4",
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{stdout}",
        text(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.ends_with("index.html") && Path::new(last).exists(),
        "last line is the report path: {last}"
    );
    for f in ["index.html", "junit.xml", "events.jsonl"] {
        assert!(
            out_dir
                .join(f)
                .metadata()
                .map(|m| m.len() > 0)
                .unwrap_or(false),
            "{f} missing"
        );
    }
    // Every report is a function of the event log: rebuilding from it gives the same JUnit.
    let rebuilt = dir.path().join("rebuilt");
    let again = rcs_interop(&[
        "report",
        out_dir.join("events.jsonl").to_str().expect("utf-8"),
        "--out",
        rebuilt.to_str().expect("utf-8"),
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let junit = |d: &Path| std::fs::read_to_string(d.join("junit.xml")).expect("junit.xml");
    assert_eq!(junit(&out_dir), junit(&rebuilt));
    let captures: Vec<_> = std::fs::read_dir(out_dir.join("pcap"))
        .expect("pcap folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    // One capture per execution: a case with carrier symbols runs once per carrier binding.
    let cases: Vec<_> = rcs_harness::case::find_case_files(&[cases_dir()])
        .expect("cases")
        .iter()
        .map(|f| {
            let case = rcs_harness::case::load_case(f, &rcs_simulators::Simulators);
            std::sync::Arc::new(case.expect("valid case"))
        })
        .collect();
    let executions = rcs_harness::plan::plan(&cases, None, &rcs_harness::plan::Faults::None);
    assert!(
        executions.len() > cases.len(),
        "symbol cases run per binding"
    );
    assert_eq!(
        captures.len(),
        executions.len(),
        "one capture per execution"
    );
    if !tshark_available() {
        return;
    }
    // The SIP messages each case exchanged, from the event log (an auto-configuration case may
    // have none: it is all HTTP).
    let events = std::fs::read_to_string(out_dir.join("events.jsonl")).expect("events.jsonl");
    let mut sip_per_case = std::collections::BTreeMap::<String, usize>::new();
    for line in events.lines() {
        let event: serde_json::Value = serde_json::from_str(line).expect("an event");
        if event["event"] == "wire" && event["protocol"] == "sip" {
            let case = event["case"].as_str().unwrap_or_default().to_owned();
            *sip_per_case.entry(case).or_default() += 1;
        }
    }
    for cap in &captures {
        let malformed = Command::new("tshark")
            .args(TSHARK_PREFS)
            .args(["-n", "-r"])
            .arg(cap)
            .args(["-Y", "_ws.malformed || _ws.expert.severity == error"])
            .output()
            .expect("tshark");
        assert!(
            malformed.status.success(),
            "tshark failed on {}: {}",
            cap.display(),
            text(&malformed.stderr)
        );
        assert_eq!(
            text(&malformed.stdout).trim(),
            "",
            "malformed packets in {}",
            cap.display()
        );
        let sip = Command::new("tshark")
            .args(TSHARK_PREFS)
            .args(["-n", "-r"])
            .arg(cap)
            .args(["-Y", "sip", "-T", "fields", "-e", "frame.number"])
            .output()
            .expect("tshark");
        let case = cap.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let logged = sip_per_case.get(case).copied().unwrap_or(0);
        let decoded = text(&sip.stdout).lines().count();
        assert!(
            decoded >= logged.min(2),
            "tshark decodes {decoded} SIP frames in {}, the case logged {logged} SIP messages",
            cap.display()
        );
    }
}

#[test]
fn a_conformance_failure_exits_1_and_a_bad_profile_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("report");
    let out = rcs_interop(&[
        "run",
        "--filter",
        "PLT-CAP-002",
        "--faults",
        "message-center.offline-as-404",
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("FAIL") && stderr.contains("PLT-CAP-002[message-center.offline-as-404]"),
        "{stderr}"
    );

    let profile = dir.path().join("profile.yaml");
    std::fs::write(
        &profile,
        "name: lab\nroles:\n  message-centre: { address: 127.0.0.1:5060 }\n",
    )
    .expect("write");
    let out = rcs_interop(&[
        "run",
        "--profile",
        profile.to_str().expect("utf-8"),
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("profile.yaml:3:") && stderr.contains("did you mean `message-center`?"),
        "{stderr}"
    );
}
