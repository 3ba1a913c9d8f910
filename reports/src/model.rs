//! The run as the reporters see it: events of interleaved cases gathered per case execution.
//!
//! [`RunLog`] folds the event stream into one [`CaseLog`] per case execution, in the planned order,
//! so the JUnit, HTML and terminal reporters share one view of a run. It keeps every event of a case
//! up to fixed caps, and counts what it dropped, so a runaway case cannot exhaust memory. It does
//! not interpret wire bytes: messages stay as captured.

use std::collections::{BTreeMap, HashMap};

use rcs_harness::events::{
    ActionDone, CaseFinished, CaseHeader, CheckOutcome, Counts, Event, RoleBinding, RunFinished,
    RunStarted, StepStarted, Wire,
};
use rcs_harness::verdict::Verdict;

/// Most case executions one run may hold.
pub const MAX_CASES: usize = 100_000;
/// Most wire messages, steps and checks kept for one case execution.
pub const MAX_ITEMS_PER_CASE: usize = 20_000;

/// Everything known about a run so far.
#[derive(Debug, Default)]
pub struct RunLog {
    pub started: Option<RunStarted>,
    pub finished: Option<RunFinished>,
    cases: Vec<CaseLog>,
    by_key: HashMap<String, usize>,
    /// Events dropped because a cap was reached.
    pub dropped: usize,
}

/// One case execution: its header, how its roles were played, and what happened.
#[derive(Clone, Debug)]
pub struct CaseLog {
    pub header: CaseHeader,
    /// True once a `CaseStarted` was seen (planned cases may never start).
    pub started: bool,
    pub roles: Vec<RoleBinding>,
    pub virtual_time: bool,
    /// The carrier bound to each symbol of the case (`a` → `cmcc`); empty without symbols.
    pub carriers: BTreeMap<String, String>,
    /// The network bound to each symbol when some is a profile's variant (`b` → `cucc-untrusting`);
    /// empty otherwise.
    pub networks: BTreeMap<String, String>,
    pub steps: Vec<StepStarted>,
    /// What each action step did, as the acting role reported it.
    pub actions: Vec<ActionDone>,
    pub wires: Vec<Wire>,
    pub checks: Vec<CheckOutcome>,
    pub finished: Option<CaseFinished>,
    /// Events of this case dropped because a cap was reached.
    pub dropped: usize,
}

impl RunLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fold one event into the log.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::RunStarted(run) => self.run_started(run),
            Event::CaseStarted(started) => {
                if let Some(case) = self.case_mut(&started.key, Some(&started.header)) {
                    case.header = started.header.clone();
                    case.started = true;
                    case.roles = started.roles.clone();
                    case.virtual_time = started.virtual_time;
                    case.carriers = started.carriers.clone();
                    case.networks = started.networks.clone();
                }
            }
            Event::StepStarted(step) => self.push(&step.case, |c| &mut c.steps, step),
            Event::ActionDone(done) => self.push(&done.case, |c| &mut c.actions, done),
            Event::Wire(wire) => self.push(&wire.case, |c| &mut c.wires, wire),
            Event::Check(check) => self.push(&check.case, |c| &mut c.checks, check),
            Event::CaseFinished(done) => {
                if let Some(case) = self.case_mut(&done.case, None) {
                    case.finished = Some(done.clone());
                }
            }
            Event::RunFinished(run) => self.finished = Some(run.clone()),
        }
    }

    /// Case executions in planned order, then unplanned ones in the order they appeared.
    pub fn cases(&self) -> &[CaseLog] {
        &self.cases
    }

    /// Case executions that started.
    pub fn executed(&self) -> impl Iterator<Item = &CaseLog> {
        self.cases
            .iter()
            .filter(|c| c.started || c.finished.is_some())
    }

    /// Executions per verdict, counted from the cases themselves; an unfinished case counts as an
    /// error.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for case in self.executed() {
            counts.add(case.verdict());
        }
        counts
    }

    fn run_started(&mut self, run: &RunStarted) {
        self.started = Some(run.clone());
        for header in &run.cases {
            self.case_mut(&header.key, Some(header));
        }
    }

    fn push<T: Clone>(&mut self, key: &str, field: fn(&mut CaseLog) -> &mut Vec<T>, item: &T) {
        let Some(case) = self.case_mut(key, None) else {
            return;
        };
        let list = field(case);
        if list.len() < MAX_ITEMS_PER_CASE {
            list.push(item.clone());
        } else {
            case.dropped += 1;
        }
    }

    /// The case with this key, created (from the header, or a bare one) when first seen.
    fn case_mut(&mut self, key: &str, header: Option<&CaseHeader>) -> Option<&mut CaseLog> {
        if let Some(&index) = self.by_key.get(key) {
            return self.cases.get_mut(index);
        }
        if self.cases.len() >= MAX_CASES {
            self.dropped += 1;
            return None;
        }
        let header = header.cloned().unwrap_or_else(|| bare_header(key));
        self.by_key.insert(key.to_owned(), self.cases.len());
        self.cases.push(CaseLog::new(header));
        self.cases.last_mut()
    }
}

impl CaseLog {
    fn new(header: CaseHeader) -> Self {
        Self {
            header,
            started: false,
            roles: Vec::new(),
            virtual_time: false,
            carriers: BTreeMap::new(),
            networks: BTreeMap::new(),
            steps: Vec::new(),
            actions: Vec::new(),
            wires: Vec::new(),
            checks: Vec::new(),
            finished: None,
            dropped: 0,
        }
    }

    /// The verdict; a case that started but never finished is an error of the harness.
    pub fn verdict(&self) -> Verdict {
        self.finished.as_ref().map_or(Verdict::Error, |f| f.verdict)
    }

    /// Why the verdict is what it is.
    pub fn reason(&self) -> Option<String> {
        match &self.finished {
            Some(done) => done.reason.clone(),
            None => Some("case did not finish: the run stopped before it".to_owned()),
        }
    }

    pub fn duration_ms(&self) -> f64 {
        self.finished.as_ref().map_or(0.0, |f| f.duration_ms)
    }

    pub fn failed_checks(&self) -> impl Iterator<Item = &CheckOutcome> {
        self.checks.iter().filter(|c| !c.passed)
    }

    pub fn first_failed_check(&self) -> Option<&CheckOutcome> {
        self.failed_checks().next()
    }
}

/// `rule: what: expected X, observed Y`, the one-line account of a check.
pub fn describe_check(check: &CheckOutcome) -> String {
    format!(
        "{}: {}: expected {}, observed {}",
        check.rule, check.what, check.expected, check.observed
    )
}

/// `3.2 s` or `12 ms`: a duration for people.
pub fn human_duration(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "? ms".to_owned();
    }
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// A header for a case the run did not announce, so its events still have a home.
fn bare_header(key: &str) -> CaseHeader {
    CaseHeader {
        key: key.to_owned(),
        id: key.to_owned(),
        title: String::new(),
        suite: "unplanned".to_owned(),
        feature: "unplanned".to_owned(),
        file: String::new(),
        refs: Vec::new(),
        under_test: String::new(),
        under_test_kind: String::new(),
        fault: None,
    }
}

/// Shorten text to at most `max` characters, marking the cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn header(key: &str, suite: &str) -> CaseHeader {
        CaseHeader {
            key: key.into(),
            id: key.into(),
            title: format!("title of {key}"),
            suite: suite.into(),
            feature: "reg".into(),
            file: format!("cases/{suite}/reg/{key}.yaml"),
            refs: vec!["RFC 3261 10.3".into()],
            under_test: "mc".into(),
            under_test_kind: "message-center".into(),
            fault: None,
        }
    }

    fn finished(key: &str, verdict: Verdict) -> Event {
        Event::CaseFinished(CaseFinished {
            case: key.into(),
            verdict,
            duration_ms: 5.0,
            reason: None,
        })
    }

    #[test]
    fn planned_order_is_kept_and_unfinished_cases_are_errors() {
        let mut log = RunLog::new();
        log.apply(&Event::RunStarted(RunStarted {
            run_id: "r".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            tool_version: "0.1.0".into(),
            profile: None,
            cases: vec![header("B", "platform"), header("A", "terminal")],
            jobs: 2,
        }));
        log.apply(&finished("A", Verdict::Pass));
        log.apply(&finished("Z", Verdict::Fail));
        let keys: Vec<_> = log.cases().iter().map(|c| c.header.key.as_str()).collect();
        assert_eq!(keys, ["B", "A", "Z"]);
        assert_eq!(log.cases()[2].header.suite, "unplanned");
        let counts = log.counts();
        assert_eq!((counts.pass, counts.fail, counts.error), (1, 1, 0));
        assert_eq!(log.cases()[0].verdict(), Verdict::Error);
        assert!(log.cases()[0].reason().unwrap().contains("did not finish"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(12.4), "12 ms");
        assert_eq!(human_duration(999.0), "999 ms");
        assert_eq!(human_duration(3210.0), "3.2 s");
        assert_eq!(human_duration(12_345.0), "12.3 s");
        assert_eq!(human_duration(f64::NAN), "? ms");
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate_chars("短信消息", 2), "短信…");
        assert_eq!(truncate_chars("abc", 3), "abc");
    }
}
