//! `rcs-sim message-center` as a separate process on an OS-chosen port, for the tests that treat it
//! as an external system under test, and a run of the committed cases with a profile pointing at it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use rcs_harness::case::{Case, find_case_files, load_case};
use rcs_harness::events::{Event, EventSink};
use rcs_harness::plan::{Faults, plan};
use rcs_harness::profile::load_profile;
use rcs_harness::runner::{RunOptions, run_all};
use rcs_harness::verdict::Verdict;
use rcs_simulators::Simulators;

/// The running process and the address it announced; killed when dropped.
pub struct Sim {
    child: Child,
    pub addr: SocketAddr,
    /// Its SIP over TLS address, when started with `--tls`.
    pub tls: Option<SocketAddr>,
}

impl Sim {
    pub fn start(extra: &[&str]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rcs-sim"))
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
        // "rcs-sim message-center listening on udp 127.0.0.1:P tcp 127.0.0.1:P [tls 127.0.0.1:Q]"
        let after = |word: &str| -> Option<SocketAddr> {
            line.split_whitespace()
                .skip_while(|w| *w != word)
                .nth(1)
                .and_then(|a| a.parse().ok())
        };
        let addr = after("udp").unwrap_or_else(|| panic!("unexpected ready line: {line:?}"));
        Sim {
            child,
            addr,
            tls: after("tls"),
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Event>>>);

impl EventSink for Log {
    fn event(&mut self, event: &Event) {
        self.0.lock().unwrap().push(event.clone());
    }
    fn finish(&mut self) -> Result<Vec<std::path::PathBuf>, String> {
        Ok(Vec::new())
    }
}

impl Log {
    pub fn verdict(&self, key: &str) -> (Verdict, String) {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find_map(|e| match e {
                Event::CaseFinished(f) if f.case == key => {
                    Some((f.verdict, f.reason.clone().unwrap_or_default()))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("{key} did not finish"))
    }

    /// Every finished execution: its key, verdict and reason.
    pub fn finished(&self) -> Vec<(String, Verdict, Option<String>)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::CaseFinished(f) => Some((f.case.clone(), f.verdict, f.reason.clone())),
                _ => None,
            })
            .collect()
    }

    pub fn json(&self) -> String {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

pub fn committed_cases() -> Vec<Arc<Case>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    find_case_files(&[dir])
        .unwrap()
        .iter()
        .map(|f| Arc::new(load_case(f, &Simulators).unwrap()))
        .collect()
}

pub async fn run(cases: &[Arc<Case>], filter: &str, profile_yaml: &str) -> Log {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.yaml");
    std::fs::write(&path, profile_yaml).unwrap();
    let profile = load_profile(&path).unwrap();
    assert!(profile.check_against(cases, &Simulators).is_empty());
    let mut log = Log::default();
    let options = RunOptions {
        jobs: 4,
        ..RunOptions::default()
    };
    run_all(
        plan(cases, Some(filter), &Faults::None),
        Arc::new(Simulators),
        Some(Arc::new(profile)),
        &options,
        &mut log,
    )
    .await;
    log
}
