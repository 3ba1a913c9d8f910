//! `rcs-interop check CAPTURE`: judge a capture the suite did not make (a vendor's tshark capture)
//! with the traffic rules, and write the same reports as a run.

use std::path::{Path, PathBuf};

use rcs_harness::case::CaseError;
use rcs_harness::events::{Counts, Event, EventSink};
use rcs_harness::offline::read_capture;
use rcs_harness::rules::{Rule, find_rule_files, judge_capture, load_rule};
use rcs_harness::verdict::Verdict;
use rcs_reports::{Fanout, HtmlReport, JsonlWriter, JunitReport, TerminalReporter};

use crate::cases::{load_profile_arg, print_errors};
use crate::exit::Exit;

pub fn check(capture: &Path, rules_dir: Option<&Path>, profile: Option<&Path>, out: &Path) -> Exit {
    let rules_dir = rules_dir.map_or_else(default_rules, Path::to_path_buf);
    let (rules, mut errors) = load_rules(&rules_dir);
    let profile = match load_profile_arg(profile) {
        Ok(p) => p,
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    if let Some(p) = &profile {
        for (id, at) in &p.deviations {
            if !rules.iter().any(|r| &r.id == id) {
                errors.push(CaseError::new(
                    &p.file,
                    at.line,
                    at.column,
                    format!("expected deviation for unknown rule `{id}`"),
                ));
            }
        }
    }
    if !errors.is_empty() {
        print_errors(&errors);
        return Exit::InvalidInput;
    }
    let captured = match read_capture(capture) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::InvalidInput;
        }
    };
    for w in &captured.warnings {
        eprintln!("warning: {}: {w}", capture.display());
    }
    let source = capture.file_name().map_or_else(
        || "capture".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut events = judge_capture(&source, &rules, &captured.wires);
    if let Some(p) = &profile {
        apply_deviations(&mut events, p);
    }
    report(&events, out)
}

fn default_rules() -> PathBuf {
    let here = PathBuf::from("cases/rules");
    if here.is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cases/rules")
}

fn load_rules(dir: &Path) -> (Vec<Rule>, Vec<CaseError>) {
    let files = match find_rule_files(&[dir.to_path_buf()]) {
        Ok(f) => f,
        Err(e) => return (Vec::new(), vec![e]),
    };
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match load_rule(&f) {
            Ok(r) => rules.push(r),
            Err(e) => errors.extend(e),
        }
    }
    (rules, errors)
}

/// A rule the profile expects to fail: failing is a known deviation, passing means the profile is stale.
fn apply_deviations(events: &mut [Event], profile: &rcs_harness::profile::Profile) {
    let mut counts = Counts::default();
    for e in events.iter_mut() {
        match e {
            Event::CaseFinished(f) => {
                if let Some(why) = profile.deviations.get(&f.case) {
                    match f.verdict {
                        Verdict::Fail => {
                            f.verdict = Verdict::KnownDeviation;
                            f.reason = Some(format!("expected deviation: {}", why.value));
                        }
                        Verdict::Pass => {
                            f.verdict = Verdict::UnexpectedPass;
                            f.reason = Some(format!(
                                "listed as an expected deviation (\"{}\") but passed: update the profile",
                                why.value
                            ));
                        }
                        _ => {}
                    }
                }
                counts.add(f.verdict);
            }
            Event::RunFinished(r) => r.counts = counts.clone(),
            _ => {}
        }
    }
}

fn report(events: &[Event], out: &Path) -> Exit {
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("error: failed to create {}: {e}", out.display());
        return Exit::HarnessError;
    }
    let jsonl = match JsonlWriter::create(out.join("events.jsonl")) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("error: failed to create events.jsonl: {e}");
            return Exit::HarnessError;
        }
    };
    let mut sinks = Fanout::new(vec![
        Box::new(jsonl),
        Box::new(JunitReport::new(out.join("junit.xml"))),
        Box::new(HtmlReport::new(out)),
        Box::new(TerminalReporter::stderr()),
    ]);
    let mut counts = Counts::default();
    for e in events {
        if let Event::CaseFinished(f) = e {
            counts.add(f.verdict);
        }
        sinks.event(e);
    }
    let mut outcome = Exit::from_counts(&counts);
    if let Err(e) = sinks.finish() {
        eprintln!("error: {e}");
        outcome = outcome.worst(Exit::HarnessError);
    }
    let index = out.join("index.html");
    println!("{}", std::path::absolute(&index).unwrap_or(index).display());
    outcome
}
