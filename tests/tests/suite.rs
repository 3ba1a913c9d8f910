//! Every case passes against the clean simulators, and fails against every fault it lists, at the
//! check that names the fault's rule: over UDP and over TCP.

use std::sync::Arc;

use interop_tests::{Recorder, cases_dir};
use rcs_harness::case::{Case, find_case_files, load_case};
use rcs_harness::events::Transport;
use rcs_harness::plan::{Faults, plan};
use rcs_harness::runner::{RunOptions, run_all};
use rcs_harness::verdict::Verdict;
use rcs_simulators::Simulators;

fn all_cases() -> Vec<Arc<Case>> {
    let factory = Simulators;
    let files = find_case_files(&[cases_dir()]).expect("cases folder");
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match load_case(&f, &factory) {
            Ok(c) => cases.push(Arc::new(c)),
            Err(e) => errors.extend(e.into_iter().map(|e| e.to_string())),
        }
    }
    assert!(
        errors.is_empty(),
        "invalid case files:\n{}",
        errors.join("\n")
    );
    cases
}

async fn run(transport: Transport) {
    let cases = all_cases();
    let executions = plan(&cases, None, &Faults::Listed);
    let fault_runs = executions.iter().filter(|e| e.fault.is_some()).count();
    assert!(cases.len() >= 17, "the suite has {} cases", cases.len());
    assert!(
        cases.iter().all(|c| !c.detects.is_empty()),
        "every case must list the faults it detects"
    );
    let mut recorder = Recorder::default();
    let options = RunOptions {
        jobs: 4,
        transport,
        ..RunOptions::default()
    };
    run_all(
        executions.clone(),
        Arc::new(Simulators),
        None,
        &options,
        &mut recorder,
    )
    .await;
    let outcomes = recorder.outcomes();
    assert_eq!(
        outcomes.len(),
        executions.len(),
        "every execution finishes once"
    );

    let mut problems = Vec::new();
    for exec in &executions {
        let Some(o) = outcomes.iter().find(|o| o.key == exec.key) else {
            problems.push(format!("{}: no outcome", exec.key));
            continue;
        };
        match &exec.fault {
            None if o.verdict != Verdict::Pass => {
                problems.push(format!("clean run must pass: {}", o.explain()))
            }
            None => {}
            Some(fault) => {
                let rule = &exec
                    .case
                    .detects
                    .iter()
                    .find(|d| &d.fault == fault)
                    .expect("listed fault")
                    .rule;
                match (o.verdict, o.first_failed()) {
                    (Verdict::Fail, Some(first)) if &first.rule == rule => {}
                    (Verdict::Fail, Some(first)) => problems.push(format!(
                        "{}: failed first at rule `{}`, but `{fault}` should be caught by `{rule}`\n{}",
                        exec.key,
                        first.rule,
                        o.explain()
                    )),
                    _ => problems.push(format!("fault run must fail at `{rule}`: {}", o.explain())),
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} executions ({fault_runs} fault runs) went wrong:\n{}",
        problems.len(),
        executions.len(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_passes_clean_and_fails_against_each_fault_over_udp() {
    run(Transport::Udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_passes_clean_and_fails_against_each_fault_over_tcp() {
    run(Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_passes_clean_and_fails_against_each_fault_over_tls() {
    run(Transport::Tls).await;
}

/// A fault no case lists is a simulator deviation nothing shows the suite can catch.
#[test]
fn every_fault_of_the_catalogue_is_detected_by_a_case() {
    use rcs_harness::agent::AgentFactory;
    let cases = all_cases();
    let undetected: Vec<_> = Simulators
        .faults()
        .into_iter()
        .filter(|f| {
            !cases
                .iter()
                .any(|c| c.detects.iter().any(|d| d.fault == f.id))
        })
        .map(|f| f.id)
        .collect();
    assert!(
        undetected.is_empty(),
        "faults no case detects: {}",
        undetected.join(", ")
    );
}
