//! What the HTML template shows: plain serialisable views of a run, built from a [`RunLog`].
//!
//! Every string here is raw text; the template escapes it (tera autoescapes `.html` templates).
//! The one exception is [`CaseView::ladder`], SVG markup built by [`super::ladder`], which escapes
//! its own text. Raw messages are cut at [`MAX_SHOWN_BYTES`] and binary ones shown as hex.

use std::collections::BTreeSet;
use std::fmt::Write;

use rcs_harness::events::{ActionDone, CheckOutcome, Direction, Protocol, Transport, Wire};
use rcs_harness::verdict::Verdict;
use serde::Serialize;

use super::diff::{DiffLine, unified_diff};
use super::ladder::{ladder_for_case, ladder_svg};
use crate::dedupe::{Exchange, exchanges};
use crate::model::{CaseLog, RunLog, human_duration};
use crate::names::safe_name;

/// Most bytes of one message shown in the page.
pub const MAX_SHOWN_BYTES: usize = 64 * 1024;

/// Verdicts in the order the page lists them, with their labels.
pub const VERDICTS: [(Verdict, &str); 6] = [
    (Verdict::Pass, "Passed"),
    (Verdict::Fail, "Failed"),
    (Verdict::Error, "Errors"),
    (Verdict::Skip, "Skipped"),
    (Verdict::KnownDeviation, "Known deviations"),
    (Verdict::UnexpectedPass, "Unexpected passes"),
];

#[derive(Serialize)]
pub struct PageView {
    pub run_id: String,
    pub started_at: String,
    pub duration: String,
    pub tool_version: String,
    pub profile: Option<String>,
    pub jobs: usize,
    pub run_failed: bool,
    pub finished: bool,
    pub planned: usize,
    pub executed: usize,
    pub dropped: usize,
    pub verdicts: Vec<VerdictCount>,
    pub suites: Vec<SuiteRow>,
    pub cases: Vec<CaseView>,
}

#[derive(Serialize)]
pub struct VerdictCount {
    pub verdict: &'static str,
    pub label: &'static str,
    pub count: usize,
}

#[derive(Serialize)]
pub struct SuiteRow {
    pub name: String,
    pub total: usize,
    pub counts: Vec<usize>,
}

#[derive(Serialize)]
pub struct CaseView {
    pub key: String,
    pub anchor: String,
    pub id: String,
    pub title: String,
    pub suite: String,
    pub feature: String,
    pub file: String,
    pub refs: Vec<String>,
    pub under_test: String,
    pub under_test_kind: String,
    pub fault: Option<String>,
    pub verdict: &'static str,
    pub duration: String,
    pub reason: Option<String>,
    pub virtual_time: bool,
    /// The carriers bound to the case's symbols, `a = cmcc, b = cucc` (a network variant as
    /// `b = cucc-untrusting (cucc)`); empty without symbols.
    pub carriers: String,
    pub roles: Vec<RoleView>,
    /// Steps in order; checks whose step was never announced come last, under step number 0.
    pub steps: Vec<StepView>,
    pub checks_passed: usize,
    pub checks_failed: usize,
    pub ladder: String,
    pub frames: Vec<FrameView>,
    pub pcap: Option<String>,
    pub dropped: usize,
    /// Lower-case text the filter box searches.
    pub search: String,
}

#[derive(Serialize)]
pub struct RoleView {
    pub name: String,
    pub kind: String,
    pub agent: String,
    pub identity: Option<String>,
    pub addresses: String,
    /// The carrier whose network it belongs to, shown for cases that bind carriers.
    pub carrier: Option<String>,
}

#[derive(Serialize)]
pub struct StepView {
    pub number: usize,
    pub line: usize,
    pub role: Option<String>,
    pub summary: String,
    /// What the action did, as the acting role reported it.
    pub outcome: Option<String>,
    pub checks: Vec<CheckView>,
}

#[derive(Serialize)]
pub struct CheckView {
    pub rule: String,
    pub what: String,
    pub expected: String,
    pub observed: String,
    pub passed: bool,
    pub line: usize,
    pub frame: Option<u64>,
    pub diff: Vec<DiffLine>,
}

#[derive(Serialize)]
pub struct FrameView {
    pub frame: u64,
    pub echo_frame: Option<u64>,
    pub case_ms: String,
    pub route: String,
    pub transport: &'static str,
    pub protocol: &'static str,
    pub src: String,
    pub dst: String,
    pub summary: String,
    pub start_line: String,
    pub rest: String,
    pub failed: bool,
    pub cut_from: Option<usize>,
}

/// The page for the run gathered in `log`.
pub fn page(log: &RunLog) -> PageView {
    let counts = log.counts();
    let per_verdict = |v: Verdict, c: &rcs_harness::events::Counts| match v {
        Verdict::Pass => c.pass,
        Verdict::Fail => c.fail,
        Verdict::Error => c.error,
        Verdict::Skip => c.skip,
        Verdict::KnownDeviation => c.known_deviation,
        Verdict::UnexpectedPass => c.unexpected_pass,
    };
    let started = log.started.as_ref();
    PageView {
        run_id: started.map_or_else(String::new, |r| r.run_id.clone()),
        started_at: started.map_or_else(String::new, |r| r.started_at.clone()),
        duration: log.finished.as_ref().map_or_else(
            || "unfinished".to_owned(),
            |r| human_duration(r.duration_ms),
        ),
        tool_version: started.map_or_else(String::new, |r| r.tool_version.clone()),
        profile: started.and_then(|r| r.profile.clone()),
        jobs: started.map_or(0, |r| r.jobs),
        run_failed: log.executed().any(|c| c.verdict().fails_run()),
        finished: log.finished.is_some(),
        planned: started.map_or(0, |r| r.cases.len()),
        executed: counts.total(),
        dropped: log.dropped + log.cases().iter().map(|c| c.dropped).sum::<usize>(),
        verdicts: VERDICTS
            .iter()
            .map(|(v, label)| VerdictCount {
                verdict: v.as_str(),
                label,
                count: per_verdict(*v, &counts),
            })
            .collect(),
        suites: suites(log, per_verdict),
        cases: log.executed().map(case_view).collect(),
    }
}

fn suites(
    log: &RunLog,
    per_verdict: impl Fn(Verdict, &rcs_harness::events::Counts) -> usize,
) -> Vec<SuiteRow> {
    let mut rows: Vec<(String, rcs_harness::events::Counts)> = Vec::new();
    for case in log.executed() {
        let name = &case.header.suite;
        let index = match rows.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                rows.push((name.clone(), Default::default()));
                rows.len() - 1
            }
        };
        if let Some((_, counts)) = rows.get_mut(index) {
            counts.add(case.verdict());
        }
    }
    rows.into_iter()
        .map(|(name, counts)| SuiteRow {
            name,
            total: counts.total(),
            counts: VERDICTS
                .iter()
                .map(|(v, _)| per_verdict(*v, &counts))
                .collect(),
        })
        .collect()
}

/// `registered, 200 OK` plus the values the action made available, e.g. `status=200`.
fn outcome_text(done: &ActionDone) -> String {
    let values: Vec<String> = done
        .values
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    match (done.summary.is_empty(), values.is_empty()) {
        (_, true) => done.summary.clone(),
        (true, false) => values.join(" "),
        (false, false) => format!("{} ({})", done.summary, values.join(" ")),
    }
}

fn case_view(case: &CaseLog) -> CaseView {
    let h = &case.header;
    let anchor = safe_name(&h.key);
    let failed_frames: BTreeSet<u64> = case.failed_checks().filter_map(|c| c.frame).collect();
    let (lanes, arrows) = ladder_for_case(case, &failed_frames);
    let exchanges = exchanges(&case.wires);
    let mut steps: Vec<StepView> = case
        .steps
        .iter()
        .map(|s| StepView {
            number: s.index + 1,
            line: s.line,
            role: s.role.clone(),
            summary: s.summary.clone(),
            outcome: case
                .actions
                .iter()
                .find(|a| a.index == s.index)
                .map(outcome_text),
            checks: Vec::new(),
        })
        .collect();
    let mut other_checks = Vec::new();
    for check in &case.checks {
        match steps.iter_mut().find(|s| s.number == check.step + 1) {
            Some(step) => step.checks.push(check_view(check)),
            None => other_checks.push(check_view(check)),
        }
    }
    if !other_checks.is_empty() {
        steps.push(StepView {
            number: 0,
            line: 0,
            role: None,
            summary: "checks outside any step".to_owned(),
            outcome: None,
            checks: other_checks,
        });
    }
    let search = [&h.key, &h.title, &h.suite, &h.feature, &h.under_test]
        .iter()
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    CaseView {
        key: h.key.clone(),
        id: h.id.clone(),
        title: h.title.clone(),
        suite: h.suite.clone(),
        feature: h.feature.clone(),
        file: h.file.clone(),
        refs: h.refs.clone(),
        under_test: h.under_test.clone(),
        under_test_kind: h.under_test_kind.clone(),
        fault: h.fault.clone(),
        verdict: case.verdict().as_str(),
        duration: human_duration(case.duration_ms()),
        reason: case.reason(),
        virtual_time: case.virtual_time,
        carriers: case
            .carriers
            .iter()
            .map(|(symbol, carrier)| match case.networks.get(symbol) {
                // A profile's network variant: its name, then the carrier it varies.
                Some(network) if network != carrier => {
                    format!("{symbol} = {network} ({carrier})")
                }
                _ => format!("{symbol} = {carrier}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        roles: case
            .roles
            .iter()
            .map(|r| role_view(r, !case.carriers.is_empty()))
            .collect(),
        steps,
        checks_passed: case.checks.iter().filter(|c| c.passed).count(),
        checks_failed: case.failed_checks().count(),
        ladder: ladder_svg(&anchor, &lanes, &arrows),
        frames: exchanges
            .iter()
            .map(|e| {
                frame_view(
                    e,
                    &lanes_route(&lanes, &arrows, e.first.frame),
                    &failed_frames,
                )
            })
            .collect(),
        pcap: (!case.wires.is_empty()).then(|| format!("pcap/{anchor}.pcapng")),
        dropped: case.dropped,
        search,
        anchor,
    }
}

fn role_view(role: &rcs_harness::events::RoleBinding, with_carrier: bool) -> RoleView {
    let addresses = [("udp", role.sip_udp), ("tcp", role.sip_tcp)]
        .iter()
        .filter_map(|(t, a)| a.map(|a| format!("{a}/{t}")))
        .collect::<Vec<_>>()
        .join(", ");
    RoleView {
        name: role.name.clone(),
        kind: role.kind.clone(),
        agent: role.agent.clone(),
        identity: role.identity.clone(),
        addresses,
        carrier: role.carrier.clone().filter(|_| with_carrier),
    }
}

fn check_view(check: &CheckOutcome) -> CheckView {
    CheckView {
        rule: check.rule.clone(),
        what: check.what.clone(),
        expected: check.expected.clone(),
        observed: check.observed.clone(),
        passed: check.passed,
        line: check.line,
        frame: check.frame,
        diff: match check.passed {
            true => Vec::new(),
            false => unified_diff(&check.expected, &check.observed),
        },
    }
}

/// `alice → mc`, from the ladder's lanes for the arrow of `frame`.
fn lanes_route(
    lanes: &[super::ladder::Lane],
    arrows: &[super::ladder::Arrow],
    frame: u64,
) -> String {
    let name = |i: usize| lanes.get(i).map_or("?", |l| l.name.as_str());
    arrows
        .iter()
        .find(|a| a.frame == frame)
        .map(|a| format!("{} → {}", name(a.from), name(a.to)))
        .unwrap_or_default()
}

fn frame_view(exchange: &Exchange<'_>, route: &str, failed: &BTreeSet<u64>) -> FrameView {
    let wire = exchange.first;
    let (text, cut_from) = shown_text(wire);
    let (start_line, rest) = match text.split_once('\n') {
        Some((first, rest)) => (first.to_owned(), rest.to_owned()),
        None => (text, String::new()),
    };
    FrameView {
        frame: wire.frame,
        echo_frame: exchange.echo.map(|e| e.frame),
        case_ms: format!("{:.1} ms", wire.case_ms),
        route: route.to_owned(),
        transport: match wire.transport {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        },
        protocol: match wire.protocol {
            Protocol::Sip => "SIP",
            Protocol::Msrp => "MSRP",
            Protocol::Http => "HTTP",
        },
        src: wire.src.to_string(),
        dst: wire.dst.to_string(),
        summary: wire.summary.clone(),
        start_line,
        rest,
        failed: failed.iter().any(|f| exchange.has_frame(*f)),
        cut_from,
    }
    .with_direction_hint(wire.direction)
}

impl FrameView {
    /// A capture with no route (an unknown peer) still says which way it went.
    fn with_direction_hint(mut self, direction: Direction) -> Self {
        if self.route.is_empty() {
            self.route = match direction {
                Direction::In => "in".to_owned(),
                Direction::Out => "out".to_owned(),
            };
        }
        self
    }
}

/// The message as text with line ends unified, or a hex dump when it is not UTF-8.
fn shown_text(wire: &Wire) -> (String, Option<usize>) {
    let bytes = &wire.bytes.0;
    let cut_from = (bytes.len() > MAX_SHOWN_BYTES).then_some(bytes.len());
    let shown = bytes.get(..MAX_SHOWN_BYTES).unwrap_or(bytes);
    let text = match std::str::from_utf8(shown) {
        Ok(text) => text.replace("\r\n", "\n"),
        // A cut inside a character is still text.
        Err(e) if cut_from.is_some() && e.error_len().is_none() => {
            String::from_utf8_lossy(shown).replace("\r\n", "\n")
        }
        Err(_) => hex_dump(shown),
    };
    (text, cut_from)
}

fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::from("(not UTF-8: hex dump)\n");
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}  ", i * 16);
        for b in chunk {
            let _ = write!(out, "{b:02x} ");
        }
        out.push_str(&"   ".repeat(16 - chunk.len()));
        out.extend(chunk.iter().map(|&b| match b {
            0x20..=0x7e => char::from(b),
            _ => '.',
        }));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedupe::tests::wire;
    use rcs_harness::events::WireBytes;

    #[test]
    fn binary_messages_show_as_hex_and_long_ones_are_cut() {
        let mut w = wire(1, "alice", Direction::Out, "x");
        w.bytes = WireBytes(vec![0xff, b'A', 0x00]);
        let (text, cut) = shown_text(&w);
        assert_eq!(cut, None);
        assert_eq!(
            text.lines().nth(1),
            Some(format!("00000000  ff 41 00 {}.A.", "   ".repeat(13)).as_str())
        );
        w.bytes = WireBytes("é".repeat(MAX_SHOWN_BYTES).into_bytes());
        let (text, cut) = shown_text(&w);
        assert_eq!(cut, Some(2 * MAX_SHOWN_BYTES));
        assert!(text.starts_with("éé") && text.len() == MAX_SHOWN_BYTES);
    }
}
