//! Any role can be an external system under test: `rcs-sim` runs as a separate process, a profile
//! file points the harness at it, and the platform cases pass against it on real time; a fault given
//! to that process is caught; a terminal case does not apply and is skipped with its reason.

#![allow(clippy::unwrap_used)]

mod rcs_sim_support;

use rcs_harness::role::RoleKind;
use rcs_harness::verdict::Verdict;

use rcs_sim_support::{Log, Sim, committed_cases, run};

/// Capabilities the profile of a separately run rcs-sim does not declare.
const NOT_DECLARED: [&str; 4] = [
    "store-and-forward-expiry",
    "ims-aka",
    "ft-http",
    "billing-export",
];

/// Run the cases matching `filter` with a profile file that names `sim` as the message center.
async fn run_against(sim: &Sim, filter: &str) -> Log {
    // A separate rcs-sim process keeps its own settings, whatever a case sets for its message
    // center: the 7-day retention (so store-and-forward expiry, PLT-MSG-004, cannot be shown),
    // MD5 digest (not IMS AKA), and a content server and billing export whose addresses only its
    // own process knows. The profile declares every other capability.
    let capabilities: Vec<_> = rcs_harness::capability::names()
        .filter(|c| !NOT_DECLARED.contains(c))
        .collect();
    let yaml = format!(
        "name: rcs-sim under test\ncapabilities: [{}]\nroles:\n  message-center: {{ address: {}, transport: udp }}\n",
        capabilities.join(", "),
        sim.addr
    );
    run(&committed_cases(), filter, &yaml).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_cases_pass_against_rcs_sim_in_another_process() {
    let sim = Sim::start(&[]);
    let verdicts = run_against(&sim, "PLT-*,ROB-*,TRM-CAP-001").await;
    let all = verdicts.finished();
    let platform: Vec<_> = all
        .iter()
        .filter(|(k, _, _)| !k.starts_with("TRM"))
        .collect();
    assert!(platform.len() >= 30, "{all:?}");
    let cases = committed_cases();
    let wrong: Vec<_> = platform
        .iter()
        .filter(|(key, verdict, _)| {
            // A case that tests another platform role (the chatbot platform) stays simulated.
            let needs_undeclared = cases.iter().find(|c| c.id == *key).is_some_and(|c| {
                c.under_test_kind() != RoleKind::MessageCenter
                    || c.requires
                        .iter()
                        .any(|r| NOT_DECLARED.contains(&r.as_str()))
            });
            let expected = if needs_undeclared {
                Verdict::Skip
            } else {
                Verdict::Pass
            };
            *verdict != expected
        })
        .collect();
    assert!(wrong.is_empty(), "unexpected verdicts: {wrong:?}");
    // A terminal case does not apply to a profile whose external system is a message center.
    assert_eq!(verdicts.verdict("TRM-CAP-001").0, Verdict::Skip, "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_in_the_external_process_is_caught() {
    let sim = Sim::start(&["--fault", "message-center.offline-as-404"]);
    let verdicts = run_against(&sim, "PLT-CAP-002,PLT-CAP-003").await;
    assert_eq!(verdicts.verdict("PLT-CAP-002").0, Verdict::Fail);
    assert_eq!(verdicts.verdict("PLT-CAP-003").0, Verdict::Pass);
}
