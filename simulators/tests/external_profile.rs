//! Any role can be an external system under test: `rcs-sim` runs as a separate process, a profile
//! file points the harness at it, and the platform cases pass against it on real time; a fault given
//! to that process is caught; a terminal case does not apply and is skipped with its reason.

#![allow(clippy::unwrap_used)]

mod rcs_sim_support;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rcs_harness::case::{find_case_files, load_case};
use rcs_harness::events::{Event, EventSink};
use rcs_harness::plan::{Faults, plan};
use rcs_harness::profile::load_profile;
use rcs_harness::runner::{RunOptions, run_all};
use rcs_harness::verdict::Verdict;
use rcs_simulators::Simulators;

use rcs_sim_support::Sim;

/// Each finished execution: its key, verdict and reason.
type Finished = Vec<(String, Verdict, Option<String>)>;

#[derive(Clone, Default)]
struct Verdicts(Arc<Mutex<Finished>>);

impl EventSink for Verdicts {
    fn event(&mut self, event: &Event) {
        if let Event::CaseFinished(f) = event {
            self.0
                .lock()
                .unwrap()
                .push((f.case.clone(), f.verdict, f.reason.clone()));
        }
    }
    fn finish(&mut self) -> Result<Vec<std::path::PathBuf>, String> {
        Ok(Vec::new())
    }
}

impl Verdicts {
    fn of(&self, key: &str) -> Option<Verdict> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|v| v.1)
    }
}

/// Run the cases matching `filter` with a profile file that names `sim` as the message center.
async fn run_against(sim: &Sim, filter: &str) -> Verdicts {
    let dir = tempfile::tempdir().unwrap();
    let profile_path = dir.path().join("profile.yaml");
    let yaml = format!(
        "name: rcs-sim under test\nroles:\n  message-center: {{ address: {}, transport: udp }}\n",
        sim.addr
    );
    std::fs::write(&profile_path, yaml).unwrap();
    let profile = load_profile(&profile_path).unwrap();
    let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    let cases: Vec<_> = find_case_files(&[cases_dir])
        .unwrap()
        .iter()
        .map(|f| Arc::new(load_case(f, &Simulators).unwrap()))
        .collect();
    let executions = plan(&cases, Some(filter), &Faults::None);
    let mut verdicts = Verdicts::default();
    let options = RunOptions {
        jobs: 8,
        ..RunOptions::default()
    };
    run_all(
        executions,
        Arc::new(Simulators),
        Some(Arc::new(profile)),
        &options,
        &mut verdicts,
    )
    .await;
    verdicts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_cases_pass_against_rcs_sim_in_another_process() {
    let sim = Sim::start(&[]);
    let verdicts = run_against(&sim, "PLT-*,ROB-*,TRM-CAP-001").await;
    let all = verdicts.0.lock().unwrap().clone();
    let platform: Vec<_> = all
        .iter()
        .filter(|(k, _, _)| !k.starts_with("TRM"))
        .collect();
    assert!(platform.len() >= 11, "{all:?}");
    for (key, verdict, reason) in &platform {
        assert_eq!(*verdict, Verdict::Pass, "{key}: {reason:?}");
    }
    // A terminal case does not apply to a profile whose external system is a message center.
    assert_eq!(verdicts.of("TRM-CAP-001"), Some(Verdict::Skip), "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_in_the_external_process_is_caught() {
    let sim = Sim::start(&["--fault", "message-center.offline-as-404"]);
    let verdicts = run_against(&sim, "PLT-CAP-002,PLT-CAP-003").await;
    assert_eq!(verdicts.of("PLT-CAP-002"), Some(Verdict::Fail));
    assert_eq!(verdicts.of("PLT-CAP-003"), Some(Verdict::Pass));
}
