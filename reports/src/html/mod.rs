//! `index.html`: one self-contained page for a run.
//!
//! [`HtmlReport`] gathers the events and, at finish, renders the run summary, counts per verdict
//! and per suite, a filterable list of case executions, and for each case its header, steps,
//! checks (with a unified diff for each failed one), a ladder diagram and the raw messages. The
//! template, stylesheet and script are compiled in and inlined: the page makes no external fetch
//! and works offline from `file://`. Everything from the wire or a case file is escaped: tera
//! autoescapes the `.html` template, and [`ladder`] escapes the SVG text it writes.

pub mod diff;
pub mod ladder;
pub mod matrix_page;
pub mod view;

use std::path::PathBuf;

use rcs_harness::events::{Event, EventSink};
use tera::{Context, Tera};

use crate::matrix::Matrix;
use crate::model::RunLog;

const TEMPLATE: &str = include_str!("../../templates/index.html");
const STYLE: &str = include_str!("../../assets/report.css");
const SCRIPT: &str = include_str!("../../assets/filter.js");

/// Gathers the run and writes `<out_dir>/index.html` at finish, and `matrix.html` with
/// `matrix.json` when some execution bound carriers.
pub struct HtmlReport {
    dir: PathBuf,
    log: RunLog,
}

impl HtmlReport {
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: out_dir.into(),
            log: RunLog::new(),
        }
    }

    /// The page for the events seen so far.
    pub fn render(&self) -> Result<String, String> {
        render_page(&self.log)
    }
}

impl EventSink for HtmlReport {
    fn event(&mut self, event: &Event) {
        self.log.apply(event);
    }

    fn finish(&mut self) -> Result<Vec<PathBuf>, String> {
        let html = self.render()?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("failed to create {}: {e}", self.dir.display()))?;
        let path = self.dir.join("index.html");
        std::fs::write(&path, html)
            .map_err(|e| format!("failed to write {}: {e}", path.display()))?;
        let mut written = vec![path];
        if let Some(matrix) = Matrix::of(&self.log) {
            written.extend(matrix_page::write(&self.dir, &self.log, &matrix, STYLE)?);
        }
        Ok(written)
    }
}

/// Render the page for `log`.
pub fn render_page(log: &RunLog) -> Result<String, String> {
    let mut tera = Tera::new();
    tera.add_raw_template("index.html", TEMPLATE)
        .map_err(|e| format!("failed to load the html template: {e}"))?;
    let mut context = Context::new();
    context.insert("page", &view::page(log));
    context.insert("matrix", &Matrix::of(log));
    context.insert("style", STYLE);
    context.insert("script", SCRIPT);
    tera.render("index.html", &context)
        .map_err(|e| format!("failed to render the html report: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::header;
    use rcs_harness::events::{CaseFinished, CaseStarted, CheckOutcome, RunStarted};
    use rcs_harness::verdict::Verdict;

    #[test]
    fn an_empty_run_renders() {
        let html = render_page(&RunLog::new()).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external fetch"
        );
    }

    #[test]
    fn case_text_is_escaped_and_counted() {
        let mut log = RunLog::new();
        let mut h = header("K<1>", "platform");
        h.title = "<script>alert(1)</script>".into();
        log.apply(&Event::RunStarted(RunStarted {
            run_id: "run-1".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            tool_version: "0.1.0".into(),
            profile: Some("profiles/\"vendor\".yaml".into()),
            cases: vec![h.clone()],
            jobs: 1,
        }));
        log.apply(&Event::CaseStarted(CaseStarted {
            key: h.key.clone(),
            header: h.clone(),
            roles: vec![],
            virtual_time: true,
            carriers: Default::default(),
            networks: Default::default(),
        }));
        log.apply(&Event::Check(CheckOutcome {
            case: h.key.clone(),
            step: 0,
            line: 3,
            rule: "RFC 3261".into(),
            what: "status".into(),
            expected: "200".into(),
            observed: "\"><img src=x onerror=alert(1)>".into(),
            passed: false,
            frame: None,
        }));
        log.apply(&Event::CaseFinished(CaseFinished {
            case: h.key.clone(),
            verdict: Verdict::Fail,
            duration_ms: 3.0,
            reason: None,
        }));
        let html = render_page(&log).unwrap();
        assert!(!html.contains("<script>alert(1)"), "title escaped");
        assert!(!html.contains("<img src=x"), "observed value escaped");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
                || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        );
        assert!(html.contains(r#"data-count-fail="1""#), "fail counted");
        assert!(
            html.contains("-200") && html.contains("+&quot;&gt;&lt;img"),
            "diff shown escaped"
        );
    }
}
