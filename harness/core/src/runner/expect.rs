//! Judging expectations: waiting for the messages an `expect` names (one, or exactly `count`),
//! judging its checks on them, keeping its `save:` values; and `expect-none`.
//!
//! What is not here: reading subjects and predicates ([`crate::check`]) and the observation log
//! ([`crate::runner::observe`]).

use crate::case::model::Expect;
use crate::check::group::judge_each;
use crate::check::predicate::save_value;
use crate::check::{Msg, judge};
use crate::runner::observe::{Observed, Vantage};

use super::{CaseRun, Ending, Outcome};

impl CaseRun<'_> {
    pub(super) async fn expect(&mut self, step: usize, e: &Expect) -> Result<(), Ending> {
        let line = self.exec.case.steps.get(step).map_or(0, |s| s.line);
        let accept = self.matcher(e);
        let verb = if e.direction == crate::events::Direction::In {
            "arrives at"
        } else {
            "is sent by"
        };
        let vantage = self.vantage(&e.at);
        let wanted = e.count.map_or(1, |n| n as usize);
        let deadline = tokio::time::Instant::now() + e.within.duration;
        let mut found: Vec<Observed> = Vec::new();
        while found.len() < wanted {
            match self
                .log
                .take_until(&vantage, e.direction, deadline, &accept)
                .await
            {
                Some(o) => found.push(o),
                None => break,
            }
        }
        // `count: N` means exactly N: one more within the same window is a failure too.
        let extra = match e.count.is_some() && found.len() == wanted {
            true => {
                self.log
                    .take_until(&vantage, e.direction, deadline, &accept)
                    .await
            }
            false => None,
        };
        let what = match e.count {
            Some(n) => format!("{n} × {} {verb} {} within {}", e.what, e.at, e.within),
            None => format!("{} {verb} {} within {}", e.what, e.at, e.within),
        };
        let (expected, observed, passed, frame) = match (found.first(), &extra) {
            (None, _) => {
                let others = self.log.unconsumed_at(&vantage, e.direction);
                let observed = if others.is_empty() {
                    "nothing".to_owned()
                } else {
                    format!("no match; other messages: {}", others.join(" | "))
                };
                self.check_event(Outcome {
                    step,
                    line,
                    rule: &e.rule,
                    what,
                    expected: expected_count(e),
                    observed,
                    passed: false,
                    frame: None,
                });
                return Err(Ending::Stopped(format!(
                    "step {} (line {line}): no {} {verb} {}",
                    step + 1,
                    e.what,
                    e.at
                )));
            }
            (Some(first), _) if e.count.is_none() => (
                e.what.text.clone(),
                first.summary.clone(),
                true,
                Some(first.frame),
            ),
            (Some(first), None) if found.len() < wanted => (
                expected_count(e),
                format!("only {} arrived: {}", found.len(), frames(&found)),
                false,
                Some(first.frame),
            ),
            (Some(_), Some(more)) => (
                expected_count(e),
                format!(
                    "more than {wanted}: frame {} ({}) arrived within {} after {}",
                    more.frame,
                    more.summary,
                    e.within,
                    frames(&found)
                ),
                false,
                Some(more.frame),
            ),
            (Some(first), None) => (
                expected_count(e),
                format!("{wanted} arrived: {}", frames(&found)),
                true,
                Some(first.frame),
            ),
        };
        self.check_event(Outcome {
            step,
            line,
            rule: &e.rule,
            what,
            expected,
            observed,
            passed,
            frame,
        });
        self.judge_found(step, e, &found)?;
        if found.len() < wanted {
            return Err(Ending::Stopped(format!(
                "step {} (line {line}): only {} of {wanted} {} {verb} {}",
                step + 1,
                found.len(),
                e.what,
                e.at
            )));
        }
        Ok(())
    }

    /// The checks of an expectation on the messages it matched, then its `save:` values.
    fn judge_found(&mut self, step: usize, e: &Expect, found: &[Observed]) -> Result<(), Ending> {
        let matched: Vec<(u64, &Msg)> = found
            .iter()
            .filter_map(|o| o.message.as_deref().map(|m| (o.frame, m)))
            .collect();
        let Some(&(first_frame, first)) = matched.first() else {
            return Ok(());
        };
        for check in &e.checks {
            match judge_each(check, &matched, &self.vars) {
                Ok(g) => self.check_event(Outcome {
                    step,
                    line: check.line,
                    rule: &check.rule,
                    what: g.judgement.what,
                    expected: g.judgement.expected,
                    observed: g.judgement.observed,
                    passed: g.judgement.passed,
                    frame: g.frame,
                }),
                Err(why) => return Err(Ending::Broken(format!("line {}: {why}", check.line))),
            }
        }
        let group: Vec<&Msg> = matched.iter().map(|(_, m)| *m).collect();
        for (name, subject, l) in &e.save {
            match save_value(first, &group, subject) {
                Some(v) => {
                    self.vars.insert(name.clone(), v);
                }
                None => {
                    self.check_event(Outcome {
                        step,
                        line: *l,
                        rule: &e.rule,
                        what: format!("{subject} can be saved as `{name}`"),
                        expected: "present".into(),
                        observed: "(absent or unreadable)".into(),
                        passed: false,
                        frame: Some(first_frame),
                    });
                    // Later steps compare with this value: without it they cannot be judged.
                    return Err(Ending::Stopped(format!(
                        "line {l}: the message has no {subject} to save as `{name}`"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Where to look for the messages of role `at`.
    fn vantage(&self, at: &str) -> Vantage {
        if self.agents.contains_key(at) {
            return Vantage::Role(at.to_owned());
        }
        let peer = self.peers.get(at);
        let addrs = peer
            .map(|p| {
                [p.sip_udp, p.sip_tcp, p.sip_tls]
                    .into_iter()
                    .flatten()
                    .collect()
            })
            .unwrap_or_default();
        Vantage::External(addrs)
    }

    /// Which messages an expectation is about: its protocol and filter, and its `where` filters.
    fn matcher(&self, e: &Expect) -> impl Fn(&Msg) -> bool + use<> {
        let vars = self.vars.clone();
        let filter = e.filter.clone();
        let what = e.what.clone();
        move |m| {
            m.protocol() == what.protocol
                && what.accepts(m.method(), m.status())
                && filter
                    .iter()
                    .all(|f| judge(f, m, &vars).is_ok_and(|j| j.passed))
        }
    }

    pub(super) async fn expect_none(&mut self, step: usize, e: &Expect) -> Result<(), Ending> {
        let line = self.exec.case.steps.get(step).map_or(0, |s| s.line);
        let accept = self.matcher(e);
        let what = format!("no {} at {} for {}", e.what, e.at, e.within);
        let vantage = self.vantage(&e.at);
        match self
            .log
            .take(&vantage, e.direction, e.within.duration, accept)
            .await
        {
            None => self.check_event(Outcome {
                step,
                line,
                rule: &e.rule,
                what,
                expected: "nothing".into(),
                observed: "nothing".into(),
                passed: true,
                frame: None,
            }),
            Some(found) => self.check_event(Outcome {
                step,
                line,
                rule: &e.rule,
                what,
                expected: "nothing".into(),
                observed: found.summary.clone(),
                passed: false,
                frame: Some(found.frame),
            }),
        }
        Ok(())
    }
}

/// What an expectation waits for, with its count: `7 × MSRP SEND`, or `MSRP SEND`.
fn expected_count(e: &Expect) -> String {
    match e.count {
        Some(n) => format!("exactly {n} × {}", e.what),
        None => e.what.text.clone(),
    }
}

/// `frames 3, 5, 7` (at most 12 listed).
fn frames(found: &[Observed]) -> String {
    let mut list: Vec<String> = found.iter().take(12).map(|o| o.frame.to_string()).collect();
    if found.len() > 12 {
        list.push("…".into());
    }
    format!("frame(s) {}", list.join(", "))
}

#[cfg(test)]
#[path = "expect_http_tests.rs"]
mod http_tests;
