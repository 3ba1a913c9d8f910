//! Judging one check on every message an expectation with `count: N` matched, as one result.
//!
//! A per-message check passes when it passes on each message; its result names the first frame
//! that fails (or, when all pass, the frames and what each showed). A `message:` check on MSRP
//! describes the rebuilt message and is judged once, on the first frame (on HTTP it reads each
//! message's body). With a single message the result
//! is exactly that message's judgement.

use std::collections::BTreeMap;

use crate::case::model::{Check, Subject};
use crate::check::message::Msg;
use crate::check::predicate::{Judgement, judge_in};

/// Most frames listed in one result's observed text.
const MAX_LISTED: usize = 8;

/// One check judged over the matched messages, and the frame it points at.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupJudgement {
    pub judgement: Judgement,
    pub frame: Option<u64>,
}

/// Judge `check` on each of `matched` (frame number and message, in arrival order).
pub fn judge_each(
    check: &Check,
    matched: &[(u64, &Msg)],
    vars: &BTreeMap<String, String>,
) -> Result<GroupJudgement, String> {
    let group: Vec<&Msg> = matched.iter().map(|(_, m)| *m).collect();
    let Some(&(first_frame, first)) = matched.first() else {
        return Err("no message to judge".to_owned());
    };
    let rebuilt = matches!(check.subject, Subject::Message { .. }) && first.as_msrp().is_some();
    if matched.len() == 1 || rebuilt {
        return Ok(GroupJudgement {
            judgement: judge_in(check, first, &group, vars)?,
            frame: Some(first_frame),
        });
    }
    let mut each = Vec::with_capacity(matched.len());
    for (frame, msg) in matched {
        each.push((*frame, judge_in(check, msg, &group, vars)?));
    }
    Ok(aggregate(each))
}

fn aggregate(each: Vec<(u64, Judgement)>) -> GroupJudgement {
    let total = each.len();
    let failed: Vec<&(u64, Judgement)> = each.iter().filter(|(_, j)| !j.passed).collect();
    let base = &each[0].1;
    let what = format!("{} (each of {total} messages)", base.what);
    match failed.first() {
        Some((frame, j)) => GroupJudgement {
            judgement: Judgement {
                what,
                expected: j.expected.clone(),
                observed: format!(
                    "{} of {total} fail; frame {frame}: {}{}",
                    failed.len(),
                    j.observed,
                    other_frames(&failed)
                ),
                passed: false,
            },
            frame: Some(*frame),
        },
        None => GroupJudgement {
            judgement: Judgement {
                what,
                expected: base.expected.clone(),
                observed: listing(&each),
                passed: true,
            },
            frame: Some(each[0].0),
        },
    }
}

/// `; also frames 9, 11` for the failures after the first.
fn other_frames(failed: &[&(u64, Judgement)]) -> String {
    if failed.len() < 2 {
        return String::new();
    }
    let frames: Vec<String> = failed[1..]
        .iter()
        .take(MAX_LISTED)
        .map(|(f, _)| f.to_string())
        .collect();
    let more = if failed.len() - 1 > MAX_LISTED {
        ", …"
    } else {
        ""
    };
    format!("; also frame(s) {}{more}", frames.join(", "))
}

/// `frame 3: x; frame 5: y; …` for a passing check.
fn listing(each: &[(u64, Judgement)]) -> String {
    let mut parts: Vec<String> = each
        .iter()
        .take(MAX_LISTED)
        .map(|(f, j)| format!("frame {f}: {}", j.observed))
        .collect();
    if each.len() > MAX_LISTED {
        parts.push(format!("… {} more", each.len() - MAX_LISTED));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::model::Predicate;
    use crate::events::Protocol;

    fn chunk(range: &str, body: &str, flag: char) -> Msg {
        let tid = format!("tid{}", range.replace(['-', '/'], "x"));
        let text = format!(
            "MSRP {tid} SEND\r\nTo-Path: msrp://b.example:7394/s1;tcp\r\nFrom-Path: msrp://a.example:7777/s2;tcp\r\nMessage-ID: M1abc\r\nByte-Range: {range}\r\nContent-Type: text/plain\r\n\r\n{body}\r\n-------{tid}{flag}\r\n"
        );
        Msg::parse(Protocol::Msrp, text.as_bytes()).unwrap()
    }

    fn check(subject: Subject, predicate: Predicate) -> Check {
        Check {
            subject,
            predicate,
            rule: "RFC 4975 9".into(),
            line: 12,
        }
    }

    #[test]
    fn every_message_must_pass_and_the_first_failure_is_named() {
        let a = chunk("1-5/10", "hello", '+');
        let b = chunk("6-10/11", "world", '$');
        let matched = [(3, &a), (5, &b)];
        let range = check(
            Subject::Header {
                name: "Byte-Range".into(),
                param: None,
            },
            Predicate::Matches("^[0-9]+-[0-9]+/10$".into()),
        );
        let g = judge_each(&range, &matched, &BTreeMap::new()).unwrap();
        assert!(!g.judgement.passed);
        assert_eq!(g.frame, Some(5));
        assert_eq!(g.judgement.observed, "1 of 2 fail; frame 5: 6-10/11");
        assert!(g.judgement.what.ends_with("(each of 2 messages)"));
        let id = check(
            Subject::Header {
                name: "Message-ID".into(),
                param: None,
            },
            Predicate::Equals("M1abc".into()),
        );
        let g = judge_each(&id, &matched, &BTreeMap::new()).unwrap();
        assert!(g.judgement.passed);
        assert_eq!(g.judgement.observed, "frame 3: M1abc; frame 5: M1abc");
    }

    #[test]
    fn message_checks_are_judged_once_over_the_group() {
        let a = chunk("1-5/10", "hello", '+');
        let b = chunk("6-10/10", "world", '$');
        let size = check(
            Subject::Message {
                field: "size".into(),
            },
            Predicate::Equals("10".into()),
        );
        let g = judge_each(&size, &[(3, &a), (5, &b)], &BTreeMap::new()).unwrap();
        assert!(g.judgement.passed, "{g:?}");
        assert_eq!((g.frame, g.judgement.observed.as_str()), (Some(3), "10"));
        let g = judge_each(&size, &[(3, &a)], &BTreeMap::new()).unwrap();
        assert!(!g.judgement.passed);
        assert!(g.judgement.observed.contains("incomplete"), "{g:?}");
    }
}
