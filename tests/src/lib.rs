//! Helpers for the end-to-end tests: where the workspace and its binaries are, and an event sink
//! that keeps the whole stream in memory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcs_harness::events::{CheckOutcome, Event, EventSink};
use rcs_harness::verdict::Verdict;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The cases folder.
pub fn cases_dir() -> PathBuf {
    workspace().join("cases")
}

/// Keeps every event; clones share the same log.
#[derive(Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<Event>>>);

impl EventSink for Recorder {
    fn event(&mut self, event: &Event) {
        self.0.lock().expect("recorder lock").push(event.clone());
    }
    fn finish(&mut self) -> Result<Vec<PathBuf>, String> {
        Ok(Vec::new())
    }
}

/// One finished execution, with its checks.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub key: String,
    pub verdict: Verdict,
    pub reason: Option<String>,
    pub checks: Vec<CheckOutcome>,
}

impl Outcome {
    pub fn first_failed(&self) -> Option<&CheckOutcome> {
        self.checks.iter().find(|c| !c.passed)
    }

    /// A readable account for assertion messages.
    pub fn explain(&self) -> String {
        let mut s = format!(
            "{} -> {} ({})",
            self.key,
            self.verdict,
            self.reason.as_deref().unwrap_or("-")
        );
        for c in self.checks.iter().filter(|c| !c.passed) {
            s += &format!(
                "\n    FAILED [{}] {}: expected {}, observed {}",
                c.rule, c.what, c.expected, c.observed
            );
        }
        s
    }
}

impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().expect("recorder lock").clone()
    }

    /// Every finished execution, in finishing order.
    pub fn outcomes(&self) -> Vec<Outcome> {
        let events = self.events();
        events
            .iter()
            .filter_map(|e| match e {
                Event::CaseFinished(f) => Some(Outcome {
                    key: f.case.clone(),
                    verdict: f.verdict,
                    reason: f.reason.clone(),
                    checks: events
                        .iter()
                        .filter_map(|e| match e {
                            Event::Check(c) if c.case == f.case => Some(c.clone()),
                            _ => None,
                        })
                        .collect(),
                }),
                _ => None,
            })
            .collect()
    }
}
