//! Terminal output: a progress bar when stderr is a terminal, and always one line per case.
//!
//! indicatif draws nothing when stderr is not a terminal (CI logs), so every finished case is also
//! written as a plain line (`PASS PLT-REG-001 Digest challenge... (12 ms)`), failures with their
//! first failed check, and the run ends with a one-line summary of the verdict counts. The writer
//! is injectable for tests. Text that came from the wire or a case file has its control characters
//! escaped, so a hostile message cannot drive the terminal.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rcs_harness::events::{CaseHeader, Counts, Event, EventSink, RunFinished};
use rcs_harness::verdict::Verdict;

use crate::model::{RunLog, human_duration, truncate_chars};

/// Longest value of a check shown in a case line.
const MAX_VALUE_CHARS: usize = 120;

/// Progress and per-case lines on a terminal (or any writer).
pub struct TerminalReporter {
    out: Box<dyn Write + Send>,
    bar: Option<ProgressBar>,
    progress: bool,
    color: bool,
    log: RunLog,
    error: Option<String>,
}

impl TerminalReporter {
    /// Report to stderr, with a progress bar and colours when stderr is a terminal.
    pub fn stderr() -> Self {
        let tty = io::stderr().is_terminal();
        let mut reporter = Self::new(Box::new(io::stderr()), tty);
        reporter.color = tty;
        reporter
    }

    /// Report to `out`; `progress` draws an indicatif bar on stderr as well.
    pub fn new(out: Box<dyn Write + Send>, progress: bool) -> Self {
        Self {
            out,
            bar: None,
            progress,
            color: false,
            log: RunLog::new(),
            error: None,
        }
    }

    fn start_bar(&mut self, planned: usize) {
        if !self.progress {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(planned as u64), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed:>4} [{bar:40.cyan/blue}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        self.bar = Some(bar);
    }

    fn case_finished(&mut self, key: &str) {
        let line = match self.log.cases().iter().find(|c| c.header.key == key) {
            Some(case) => case_line(
                &case.header,
                case.verdict(),
                case.duration_ms(),
                detail(case),
                self.color,
            ),
            None => return,
        };
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(printable(key, 40));
        }
        self.println(&line);
    }

    fn run_finished(&mut self, run: &RunFinished) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let line = summary_line(&self.log.counts(), run.duration_ms);
        self.println(&line);
    }

    fn println(&mut self, line: &str) {
        let out = &mut self.out;
        let result = match &self.bar {
            Some(bar) => bar.suspend(|| writeln!(out, "{line}")),
            None => writeln!(out, "{line}"),
        };
        if let Err(e) = result.and_then(|()| self.out.flush()) {
            self.error
                .get_or_insert(format!("failed to write to the terminal: {e}"));
        }
    }
}

impl EventSink for TerminalReporter {
    fn event(&mut self, event: &Event) {
        self.log.apply(event);
        match event {
            Event::RunStarted(run) => self.start_bar(run.cases.len()),
            Event::CaseFinished(done) => self.case_finished(&done.case),
            Event::RunFinished(run) => self.run_finished(run),
            _ => {}
        }
    }

    fn finish(&mut self) -> Result<Vec<PathBuf>, String> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(Vec::new()),
        }
    }
}

/// What follows a case line: the first failed check, or the reason for the verdict.
fn detail(case: &crate::model::CaseLog) -> Option<String> {
    let verdict = case.verdict();
    if matches!(verdict, Verdict::Fail | Verdict::KnownDeviation)
        && let Some(check) = case.first_failed_check()
    {
        return Some(format!(
            "{}: expected {}, observed {}",
            printable(&check.rule, MAX_VALUE_CHARS),
            printable(&check.expected, MAX_VALUE_CHARS),
            printable(&check.observed, MAX_VALUE_CHARS)
        ));
    }
    case.reason().map(|r| printable(&r, 2 * MAX_VALUE_CHARS))
}

/// `FAIL PLT-MSG-001 Pager-mode chat is relayed (34 ms): RFC 3862: expected "a", observed "b"`.
pub fn case_line(
    header: &CaseHeader,
    verdict: Verdict,
    duration_ms: f64,
    detail: Option<String>,
    color: bool,
) -> String {
    let (label, ansi) = label(verdict);
    let label = match color {
        true => format!("\u{1b}[{ansi}m{label:<9}\u{1b}[0m"),
        false => format!("{label:<9}"),
    };
    let mut line = format!(
        "{label} {} {} ({})",
        printable(&header.key, 200),
        printable(&header.title, 200),
        human_duration(duration_ms)
    );
    if let Some(detail) = detail.filter(|_| verdict != Verdict::Pass) {
        line.push_str(": ");
        line.push_str(&detail);
    }
    line
}

/// `12 passed, 1 failed, 0 errors, 2 skipped, 0 known deviations, 0 unexpected passes in 3.2 s`;
/// a run shorter than a second gives its wall time in milliseconds (`in 32 ms`).
pub fn summary_line(counts: &Counts, duration_ms: f64) -> String {
    let wall = human_duration(duration_ms);
    format!(
        "{} passed, {} failed, {} errors, {} skipped, {} known deviations, {} unexpected passes in {wall}",
        counts.pass,
        counts.fail,
        counts.error,
        counts.skip,
        counts.known_deviation,
        counts.unexpected_pass
    )
}

fn label(verdict: Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Pass => ("PASS", "32"),
        Verdict::Fail => ("FAIL", "1;31"),
        Verdict::Error => ("ERROR", "1;35"),
        Verdict::Skip => ("SKIP", "33"),
        Verdict::KnownDeviation => ("DEVIATION", "36"),
        Verdict::UnexpectedPass => ("XPASS", "1;31"),
    }
}

/// One line of text with control characters escaped (`\r\n` shows as `\r\n`), cut at `max` chars.
fn printable(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    truncate_chars(&out, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::header;
    use rcs_harness::events::{CaseFinished, CheckOutcome, RunStarted};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn finished(key: &str, verdict: Verdict, ms: f64, reason: Option<&str>) -> Event {
        Event::CaseFinished(CaseFinished {
            case: key.into(),
            verdict,
            duration_ms: ms,
            reason: reason.map(Into::into),
        })
    }

    #[test]
    fn prints_one_line_per_case_and_a_summary_without_a_tty() {
        let out = Shared::default();
        let mut reporter = TerminalReporter::new(Box::new(out.clone()), false);
        reporter.event(&Event::RunStarted(RunStarted {
            run_id: "r".into(),
            started_at: "t".into(),
            tool_version: "0.1.0".into(),
            profile: None,
            cases: vec![
                header("A", "platform"),
                header("B", "platform"),
                header("C", "terminal"),
            ],
            jobs: 2,
        }));
        reporter.event(&finished("A", Verdict::Pass, 12.3, None));
        reporter.event(&Event::Check(CheckOutcome {
            case: "B".into(),
            step: 1,
            line: 9,
            rule: "RFC 3862".into(),
            what: "cpim body".into(),
            expected: "\"hi\"".into(),
            observed: "\"\u{1b}[2Jx\r\ny\"".into(),
            passed: false,
            frame: Some(4),
        }));
        reporter.event(&finished("B", Verdict::Fail, 34.0, None));
        reporter.event(&finished(
            "C",
            Verdict::Skip,
            0.0,
            Some("no chatbot capability"),
        ));
        reporter.event(&Event::RunFinished(RunFinished {
            duration_ms: 3210.0,
            counts: Counts::default(),
        }));
        assert_eq!(reporter.finish().unwrap(), Vec::<PathBuf>::new());
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "PASS      A title of A (12 ms)",
                r#"FAIL      B title of B (34 ms): RFC 3862: expected "hi", observed "\u{1b}[2Jx\r\ny""#,
                "SKIP      C title of C (0 ms): no chatbot capability",
                "1 passed, 1 failed, 0 errors, 1 skipped, 0 known deviations, 0 unexpected passes in 3.2 s",
            ]
        );
    }

    #[test]
    fn a_run_under_a_second_reports_milliseconds() {
        let counts = Counts {
            pass: 6,
            ..Counts::default()
        };
        assert_eq!(
            summary_line(&counts, 31.7),
            "6 passed, 0 failed, 0 errors, 0 skipped, 0 known deviations, 0 unexpected passes in 32 ms"
        );
        assert!(summary_line(&counts, f64::NAN).ends_with(" in ? ms"));
    }

    #[test]
    fn colour_wraps_only_the_label() {
        let line = case_line(
            &header("A", "p"),
            Verdict::Fail,
            1.0,
            Some("x".into()),
            true,
        );
        assert_eq!(
            line,
            "\u{1b}[1;31mFAIL     \u{1b}[0m A title of A (1 ms): x"
        );
    }

    #[test]
    fn long_values_are_cut() {
        let text = "a".repeat(500);
        assert_eq!(printable(&text, 10).chars().count(), 11);
    }
}
