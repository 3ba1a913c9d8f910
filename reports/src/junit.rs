//! `junit.xml`: one `<testsuite>` per suite, one `<testcase>` per case execution, for CI.
//!
//! The mapping of verdicts: pass is a success; fail and unexpected-pass are `<failure>`; error is
//! `<error>`; skip is `<skipped>` with its reason; a known deviation is a success whose
//! `<system-out>` says which deviation it was. A failure's message is the first failed check,
//! `rule: what: expected X, observed Y`, and its text lists every failed check. XML escaping and
//! the removal of characters XML cannot hold are done by quick-junit. Planned cases that never
//! started are not executions and are left out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use rcs_harness::events::{Event, EventSink};
use rcs_harness::verdict::Verdict;

use crate::model::{CaseLog, RunLog, describe_check};

/// Suites in the order they appear in `junit.xml`; others follow alphabetically.
const SUITE_ORDER: [&str; 4] = ["platform", "terminal", "interworking", "robustness"];

/// Gathers the run and writes `junit.xml` at finish.
pub struct JunitReport {
    path: PathBuf,
    log: RunLog,
}

impl JunitReport {
    /// A report that will be written to `path` (normally `<out>/junit.xml`).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            log: RunLog::new(),
        }
    }

    /// The report as XML.
    pub fn render(&self) -> Result<String, String> {
        build_report(&self.log)
            .to_string()
            .map_err(|e| format!("failed to serialise junit report: {e}"))
    }
}

impl EventSink for JunitReport {
    fn event(&mut self, event: &Event) {
        self.log.apply(event);
    }

    fn finish(&mut self) -> Result<Vec<PathBuf>, String> {
        let xml = self.render()?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("failed to create {}: {e}", dir.display()))?;
        }
        std::fs::write(&self.path, xml)
            .map_err(|e| format!("failed to write {}: {e}", self.path.display()))?;
        Ok(vec![self.path.clone()])
    }
}

fn build_report(log: &RunLog) -> Report {
    let mut report = Report::new("rcs-interop");
    if let Some(run) = &log.finished {
        report.set_time(seconds(run.duration_ms));
    }
    let mut suites: BTreeMap<(usize, &str), TestSuite> = BTreeMap::new();
    for case in log.executed() {
        let name = case.header.suite.as_str();
        let rank = SUITE_ORDER
            .iter()
            .position(|s| *s == name)
            .unwrap_or(SUITE_ORDER.len());
        suites
            .entry((rank, name))
            .or_insert_with(|| TestSuite::new(name))
            .add_test_case(test_case(case));
    }
    report.add_test_suites(suites.into_values());
    report
}

fn test_case(case: &CaseLog) -> TestCase {
    let header = &case.header;
    let name = match header.title.is_empty() {
        true => header.key.clone(),
        false => format!("{} {}", header.key, header.title),
    };
    let mut test = TestCase::new(name, status(case));
    test.set_classname(format!("{}.{}", header.suite, header.feature))
        .set_time(seconds(case.duration_ms()))
        .set_assertions(case.checks.len());
    for clause in &header.refs {
        test.add_property(Property::new("ref", clause));
    }
    let under_test = match header.under_test_kind.is_empty() {
        true => header.under_test.clone(),
        false => format!("{} ({})", header.under_test, header.under_test_kind),
    };
    test.add_property(Property::new("under_test", under_test));
    if let Some(fault) = &header.fault {
        test.add_property(Property::new("fault", fault));
    }
    if !header.file.is_empty() {
        test.add_property(Property::new("file", &header.file));
    }
    if case.verdict() == Verdict::KnownDeviation {
        test.set_system_out(known_deviation_note(case));
    }
    test
}

fn status(case: &CaseLog) -> TestCaseStatus {
    let reason = case.reason();
    match case.verdict() {
        Verdict::Pass | Verdict::KnownDeviation => TestCaseStatus::success(),
        Verdict::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.unwrap_or_else(|| "not applicable".to_owned()));
            status
        }
        Verdict::Error => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(reason.unwrap_or_else(|| "error in the harness".to_owned()))
                .set_type("error");
            status
        }
        Verdict::Fail => failure(case, "fail", reason),
        Verdict::UnexpectedPass => {
            let message = "unexpected pass: listed as a known deviation in the profile, but \
                           every check held; the profile is stale";
            failure(
                case,
                "unexpected-pass",
                Some(reason.unwrap_or_else(|| message.to_owned())),
            )
        }
    }
}

fn failure(case: &CaseLog, ty: &str, reason: Option<String>) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let message = case
        .first_failed_check()
        .filter(|_| ty == "fail")
        .map(describe_check)
        .or(reason)
        .unwrap_or_else(|| "the case failed".to_owned());
    status.set_message(message).set_type(ty);
    let text = failed_checks_text(case);
    if !text.is_empty() {
        status.set_description(text);
    }
    status
}

/// Every failed check, one per line, with where it is in the case file and the frame it read.
fn failed_checks_text(case: &CaseLog) -> String {
    let mut text = String::new();
    for check in case.failed_checks() {
        text.push_str(&format!(
            "{}:{}: {}",
            case.header.file,
            check.line,
            describe_check(check)
        ));
        if let Some(frame) = check.frame {
            text.push_str(&format!(" (frame {frame})"));
        }
        text.push('\n');
    }
    text
}

fn known_deviation_note(case: &CaseLog) -> String {
    let mut note = format!(
        "known deviation: {}\n",
        case.reason()
            .unwrap_or_else(|| "listed in the profile".to_owned())
    );
    note.push_str(&failed_checks_text(case));
    note
}

fn seconds(ms: f64) -> Duration {
    match ms.is_finite() && ms > 0.0 {
        true => Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX),
        false => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::header;
    use rcs_harness::events::{CaseFinished, CaseStarted, CheckOutcome, RunStarted};

    fn run(cases: &[(&str, &str, Verdict, Option<&str>)]) -> String {
        let mut report = JunitReport::new("junit.xml");
        report.event(&Event::RunStarted(RunStarted {
            run_id: "r".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            tool_version: "0.1.0".into(),
            profile: None,
            cases: cases.iter().map(|(k, s, ..)| header(k, s)).collect(),
            jobs: 1,
        }));
        for (key, suite, verdict, reason) in cases {
            report.event(&Event::CaseStarted(CaseStarted {
                key: (*key).into(),
                header: header(key, suite),
                roles: vec![],
                virtual_time: true,
                carriers: Default::default(),
                networks: Default::default(),
            }));
            if *verdict == Verdict::Fail {
                report.event(&Event::Check(CheckOutcome {
                    case: (*key).into(),
                    step: 2,
                    line: 14,
                    rule: "RFC 3862 3".into(),
                    what: "cpim body".into(),
                    expected: "\"hello\"".into(),
                    observed: "\"<b>\u{1b}[31m\"".into(),
                    passed: false,
                    frame: Some(6),
                }));
            }
            report.event(&Event::CaseFinished(CaseFinished {
                case: (*key).into(),
                verdict: *verdict,
                duration_ms: 1500.0,
                reason: reason.map(Into::into),
            }));
        }
        report.render().unwrap()
    }

    #[test]
    fn verdicts_map_to_junit_elements() {
        let xml = run(&[
            ("RB-1", "robustness", Verdict::Pass, None),
            ("PLT-1", "platform", Verdict::Fail, None),
            (
                "PLT-2",
                "platform",
                Verdict::Error,
                Some("simulator did not bind"),
            ),
            (
                "TRM-1",
                "terminal",
                Verdict::Skip,
                Some("no chatbot capability"),
            ),
            (
                "TRM-2",
                "terminal",
                Verdict::KnownDeviation,
                Some("vendor bug 12"),
            ),
            ("TRM-3", "terminal", Verdict::UnexpectedPass, None),
        ]);
        let platform = xml.find(r#"<testsuite name="platform""#).unwrap();
        let terminal = xml.find(r#"<testsuite name="terminal""#).unwrap();
        let robustness = xml.find(r#"<testsuite name="robustness""#).unwrap();
        assert!(platform < terminal && terminal < robustness, "{xml}");
        assert!(
            xml.contains(r#"name="PLT-1 title of PLT-1" classname="platform.reg""#),
            "{xml}"
        );
        assert!(xml.contains(r#"time="1.500""#), "{xml}");
        assert!(
            xml.contains(r#"message="RFC 3862 3: cpim body: expected &quot;hello&quot;, observed &quot;&lt;b&gt;&quot;""#),
            "{xml}"
        );
        assert!(xml.contains("cases/platform/reg/PLT-1.yaml:14:"), "{xml}");
        assert!(
            xml.contains(r#"<error message="simulator did not bind" type="error""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<skipped message="no chatbot capability""#),
            "{xml}"
        );
        assert!(xml.contains("known deviation: vendor bug 12"), "{xml}");
        assert!(
            xml.contains("unexpected pass: listed as a known deviation"),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<property name="ref" value="RFC 3261 10.3""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<property name="under_test" value="mc (message-center)""#),
            "{xml}"
        );
        assert!(
            !xml.contains('\u{1b}'),
            "escape characters must not reach the xml"
        );
        assert!(
            xml.contains(
                r#"<testsuite name="terminal" tests="3" skipped="1" errors="0" failures="1""#
            ),
            "{xml}"
        );
    }
}
