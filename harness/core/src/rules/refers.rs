//! `refers-to`: a traffic rule relating each message it applies to with an earlier one.
//!
//! ```yaml
//! refers-to:
//!   sip: MESSAGE
//!   where: [{ cpim: imdn.Message-ID, equals: "${this.imdn.message-id}" }]
//!   rule: RFC 5438 6.3
//! ```
//!
//! reads "an earlier SIP MESSAGE in the capture has the imdn.Message-ID this message's IMDN
//! names". `${this.<subject key>.<argument>}` is a subject of the message being judged, written
//! as in a check (`this.header.Call-ID`, `this.cpim.imdn.Message-ID`, `this.imdn.message-id`,
//! `this.status`); the `where` filters, filled with those values, choose the earlier message.
//! Earlier means an earlier frame of the capture. Only `this.` references are available: a
//! capture has no actions and no saved values.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::case::check_parse::{CheckUse, parse_check};
use crate::case::model::{Check, MessageFilter, Predicate, Subject};
use crate::case::raw::RawCheck;
use crate::case::refs::interpolate;
use crate::check::predicate::save_value;
use crate::check::{Msg, judge};

/// The root of the references a `refers-to` filter may use.
pub const THIS: &str = "this";

/// A validated `refers-to`.
#[derive(Clone, Debug)]
pub struct RefersTo {
    /// What the earlier message is.
    pub what: MessageFilter,
    /// Which earlier message: filters that may use `${this.…}`.
    pub filter: Vec<Check>,
    /// The clause that requires the reference.
    pub rule: String,
    pub line: usize,
    /// Every `this.…` reference of the filters, and the subject it reads.
    pub this: Vec<(String, Subject)>,
}

/// The subject a `this.<key>[.<argument>]` reference reads; the error says what to write.
pub fn this_subject(reference: &str) -> Result<Subject, String> {
    let rest = reference.strip_prefix("this.").ok_or_else(|| {
        format!("`${{{reference}}}`: rules only know `${{this.…}}`, the message being judged")
    })?;
    let (key, arg) = rest.split_once('.').unwrap_or((rest, ""));
    let mut raw = RawCheck::default();
    let text = || Some(arg.to_owned());
    match key {
        "header" => raw.header = text(),
        "cpim" => raw.cpim = text(),
        "imdn" => raw.imdn = text(),
        "sdp" => raw.sdp = text(),
        "part" => raw.part = text(),
        "query" => raw.query = text(),
        "form" => raw.form = text(),
        "bot" => raw.bot = text(),
        "status" => raw.status = Some(Value::Bool(true)),
        "reason" => raw.reason = Some(Value::Bool(true)),
        "body" => raw.body = Some(Value::Bool(true)),
        "request-uri" => raw.request_uri = Some(Value::Bool(true)),
        other => {
            return Err(format!(
                "`${{{reference}}}`: `{other}` is not a subject; write `this.header.<name>`, `this.cpim.<header>`, `this.imdn.<field>`, `this.sdp.<name>`, `this.part.<type>`, `this.query.<name>`, `this.form.<name>`, `this.bot.<field>`, `this.status`, `this.reason`, `this.body` or `this.request-uri`"
            ));
        }
    }
    let needs_arg = matches!(
        key,
        "header" | "cpim" | "imdn" | "sdp" | "part" | "query" | "form" | "bot"
    );
    if needs_arg == arg.is_empty() {
        return Err(format!(
            "`${{{reference}}}`: `{key}` {}",
            if needs_arg {
                "needs a name after it, e.g. `this.header.Call-ID`"
            } else {
                "takes nothing after it"
            }
        ));
    }
    parse_check(&raw, CheckUse::Save, 0)
        .map(|c| c.subject)
        .map_err(|e| format!("`${{{reference}}}`: {e}"))
}

/// What judging one message's reference found.
#[derive(Clone, Debug, PartialEq)]
pub struct Referral {
    pub what: String,
    pub expected: String,
    pub observed: String,
    pub passed: bool,
}

/// Judge whether `msg` refers to one of `earlier` (frame number and message, capture order).
pub fn judge_refers(refers: &RefersTo, msg: &Msg, earlier: &[(u64, &Msg)]) -> Referral {
    let what = format!(
        "refers to an earlier {}{}",
        refers.what,
        describe(&refers.filter, &BTreeMap::new())
    );
    let mut vars = BTreeMap::new();
    for (name, subject) in &refers.this {
        match save_value(msg, &[msg], subject) {
            Some(v) => {
                vars.insert(name.clone(), v);
            }
            None => {
                return Referral {
                    what,
                    expected: format!("this message has a {subject}"),
                    observed: format!("(no {subject} to refer with)"),
                    passed: false,
                };
            }
        }
    }
    let expected = format!(
        "an earlier {}{}",
        refers.what,
        describe(&refers.filter, &vars)
    );
    let found = earlier.iter().find(|(_, m)| {
        m.protocol() == refers.what.protocol
            && refers.what.accepts(m.method(), m.status())
            && refers
                .filter
                .iter()
                .all(|f| judge(f, m, &vars).is_ok_and(|j| j.passed))
    });
    match found {
        Some((frame, m)) => Referral {
            what,
            expected,
            observed: format!("frame {frame}: {}", m.summary()),
            passed: true,
        },
        None => Referral {
            what,
            expected,
            observed: format!("no earlier {} matches", refers.what),
            passed: false,
        },
    }
}

/// ` where cpim imdn.Message-ID equals X`, with the references filled in when `vars` has them.
fn describe(filter: &[Check], vars: &BTreeMap<String, String>) -> String {
    let fill = |s: &String| interpolate(s, vars).unwrap_or_else(|_| s.clone());
    let parts: Vec<String> = filter
        .iter()
        .map(|c| {
            let p = match &c.predicate {
                Predicate::Equals(s) => format!("equals {}", fill(s)),
                Predicate::NotEquals(s) => format!("differs from {}", fill(s)),
                Predicate::Contains(s) => format!("contains {}", fill(s)),
                Predicate::Matches(s) => format!("matches /{}/", fill(s)),
                Predicate::Exists(true) => "is present".into(),
                Predicate::Exists(false) => "is absent".into(),
                Predicate::OneOf(v) => format!(
                    "is one of {}",
                    v.iter().map(fill).collect::<Vec<_>>().join(", ")
                ),
                other => format!("{other:?}"),
            };
            format!("{} {p}", c.subject)
        })
        .collect();
    match parts.is_empty() {
        true => String::new(),
        false => format!(" where {}", parts.join(" and ")),
    }
}
