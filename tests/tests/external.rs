//! Any role can be an external system under test: the standalone simulator `rcs-sim` runs as a
//! separate process, a profile points the harness at it, and the platform cases pass against it,
//! on real time, through the command line; a fault given to that process is caught.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use interop_tests::{binary, workspace};
use rcs_harness::events::Event;
use rcs_harness::verdict::Verdict;

/// `rcs-sim` on an OS-chosen port; killed when dropped.
struct Sim {
    child: Child,
    addr: SocketAddr,
}

impl Sim {
    fn start(extra: &[&str]) -> Sim {
        let mut child = Command::new(binary("rcs-sim"))
            .args(["message-center", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rcs-sim");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the ready line");
        // "rcs-sim message-center listening on udp 127.0.0.1:P tcp 127.0.0.1:P"
        let addr = line
            .split_whitespace()
            .skip_while(|w| *w != "udp")
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected ready line: {line:?}"));
        Sim { child, addr }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each finished execution: its key, verdict and reason.
type Verdicts = Vec<(String, Verdict, Option<String>)>;

fn run_against(sim: &Sim, filter: &str) -> (Option<i32>, Verdicts) {
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("profile.yaml");
    let yaml = format!(
        "name: rcs-sim under test\nroles:\n  message-center: {{ address: {}, transport: udp }}\n",
        sim.addr
    );
    std::fs::write(&profile, yaml).expect("write profile");
    let out_dir = dir.path().join("report");
    let out = Command::new(binary("rcs-interop"))
        .args(["run", "--jobs", "8", "--filter", filter, "--profile"])
        .arg(&profile)
        .arg("--out")
        .arg(&out_dir)
        .current_dir(workspace())
        .output()
        .expect("run rcs-interop");
    let events = rcs_reports::read_events(out_dir.join("events.jsonl")).expect("events.jsonl");
    let verdicts = events
        .into_iter()
        .filter_map(|e| match e {
            Event::CaseFinished(f) => Some((f.case, f.verdict, f.reason)),
            _ => None,
        })
        .collect();
    (out.status.code(), verdicts)
}

#[test]
fn platform_cases_pass_against_rcs_sim_in_another_process() {
    let sim = Sim::start(&[]);
    let (code, verdicts) = run_against(&sim, "PLT-*,ROB-*,TRM-CAP-001");
    let platform: Vec<_> = verdicts
        .iter()
        .filter(|(k, _, _)| !k.starts_with("TRM"))
        .collect();
    assert!(platform.len() >= 11, "{verdicts:?}");
    for (key, verdict, reason) in &platform {
        assert_eq!(*verdict, Verdict::Pass, "{key}: {reason:?}");
    }
    // A terminal case does not apply to a profile whose external system is a message center.
    let trm = verdicts
        .iter()
        .find(|(k, _, _)| k == "TRM-CAP-001")
        .expect("TRM-CAP-001 planned");
    assert_eq!(trm.1, Verdict::Skip, "{trm:?}");
    assert_eq!(code, Some(0));
}

#[test]
fn a_fault_in_the_external_process_is_caught() {
    let sim = Sim::start(&["--fault", "message-center.offline-as-404"]);
    let (code, verdicts) = run_against(&sim, "PLT-CAP-002,PLT-CAP-003");
    let get = |id: &str| verdicts.iter().find(|(k, _, _)| k == id).map(|v| v.1);
    assert_eq!(get("PLT-CAP-002"), Some(Verdict::Fail), "{verdicts:?}");
    assert_eq!(get("PLT-CAP-003"), Some(Verdict::Pass), "{verdicts:?}");
    assert_eq!(code, Some(1), "a conformance failure exits 1");
}
