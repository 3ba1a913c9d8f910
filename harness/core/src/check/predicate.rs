//! Judging one check on one message: expected, observed, and whether they agree.

use std::collections::BTreeMap;

use rcs_proto::sip::auth::Credentials;

use crate::case::model::{Check, Predicate, Subject};
use crate::case::refs::interpolate;
use crate::check::message::Msg;
use crate::check::subject::{Observed, observe_in, tag_set};

/// The result of judging a check.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    pub what: String,
    pub expected: String,
    pub observed: String,
    pub passed: bool,
}

/// Judge `check` on `msg`, filling `${...}` from `vars`. A reference with no value is a case error.
pub fn judge(
    check: &Check,
    msg: &Msg,
    vars: &BTreeMap<String, String>,
) -> Result<Judgement, String> {
    judge_in(check, msg, &[msg], vars)
}

/// Judge `check` on `msg`, one of the messages `group` an expectation matched (for `message:`).
pub fn judge_in(
    check: &Check,
    msg: &Msg,
    group: &[&Msg],
    vars: &BTreeMap<String, String>,
) -> Result<Judgement, String> {
    let predicate = fill(&check.predicate, vars)?;
    let list = matches!(predicate, Predicate::Includes(_) | Predicate::Excludes(_));
    let observed = observe_in(msg, group, &check.subject, list);
    let set_semantics = matches!(check.subject, Subject::FeatureTags { .. });
    let (expected, passed) = match &predicate {
        Predicate::Equals(e) if set_semantics => {
            (format!("the set {e}"), as_set(&observed) == tag_set(e))
        }
        Predicate::Equals(e) => (e.clone(), one(&observed) == Some(e.as_str())),
        Predicate::NotEquals(e) => (
            format!("anything but {e:?}"),
            matches!(&observed, Observed::One(o) if o != e) || observed == Observed::Absent,
        ),
        Predicate::Contains(e) => (
            format!("contains {e:?}"),
            text(&observed).is_some_and(|o| o.contains(e.as_str())),
        ),
        Predicate::Matches(re) => {
            let re = regex::Regex::new(re).map_err(|e| format!("bad regular expression: {e}"))?;
            (
                format!("matches /{re}/"),
                one(&observed).is_some_and(|o| re.is_match(o)),
            )
        }
        Predicate::Exists(true) => (
            "present".to_owned(),
            matches!(observed, Observed::One(_) | Observed::Many(_)),
        ),
        Predicate::Exists(false) => ("absent".to_owned(), observed == Observed::Absent),
        Predicate::OneOf(v) => (
            format!("one of {}", v.join(", ")),
            one(&observed).is_some_and(|o| v.iter().any(|x| x == o)),
        ),
        Predicate::AtMost(n) => (
            format!("at most {n}"),
            number(&observed).is_some_and(|o| o <= *n),
        ),
        Predicate::AtLeast(n) => (
            format!("at least {n}"),
            number(&observed).is_some_and(|o| o >= *n),
        ),
        Predicate::Includes(items) => {
            let have = as_set(&observed);
            let missing: Vec<&String> = items
                .iter()
                .filter(|i| !have.contains(i.as_str()))
                .collect();
            (
                format!("includes {}", items.join("; ")),
                missing.is_empty() && !items.is_empty(),
            )
        }
        Predicate::Excludes(items) => {
            let have = as_set(&observed);
            (
                format!("excludes {}", items.join("; ")),
                !items.iter().any(|i| have.contains(i.as_str())),
            )
        }
        Predicate::VerifiesWith(password) => {
            let method = msg.method().unwrap_or("REGISTER");
            let verdict = match one(&observed).map(Credentials::parse) {
                None => Err("no Authorization header".to_owned()),
                Some(Err(e)) => Err(e.to_string()),
                Some(Ok(c)) => c.verify(method, password).map_err(|e| e.to_string()),
            };
            let observed_text = match &verdict {
                Ok(()) => format!("{} (verifies)", observed.describe()),
                Err(why) => format!("{} ({why})", observed.describe()),
            };
            return Ok(Judgement {
                what: format!("{} is correct for the subscriber's password", check.subject),
                expected: "a response that the harness recomputes to the same value".into(),
                observed: observed_text,
                passed: verdict.is_ok(),
            });
        }
    };
    Ok(Judgement {
        // Described as the case wrote it (`${alice.sent.body}`), not with the value filled in.
        what: format!("{} {}", check.subject, describe(&check.predicate)),
        expected,
        observed: observed.describe(),
        passed,
    })
}

/// The predicate with references filled in.
fn fill(p: &Predicate, vars: &BTreeMap<String, String>) -> Result<Predicate, String> {
    let f = |s: &String| interpolate(s, vars);
    let all = |v: &Vec<String>| {
        v.iter()
            .map(|s| interpolate(s, vars))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match p {
        Predicate::Equals(s) => Predicate::Equals(f(s)?),
        Predicate::NotEquals(s) => Predicate::NotEquals(f(s)?),
        Predicate::Contains(s) => Predicate::Contains(f(s)?),
        Predicate::Matches(s) => Predicate::Matches(f(s)?),
        Predicate::VerifiesWith(s) => Predicate::VerifiesWith(f(s)?),
        Predicate::OneOf(v) => Predicate::OneOf(all(v)?),
        Predicate::Includes(v) => Predicate::Includes(all(v)?),
        Predicate::Excludes(v) => Predicate::Excludes(all(v)?),
        other => other.clone(),
    })
}

fn describe(p: &Predicate) -> String {
    match p {
        Predicate::Equals(e) => format!("equals {e:?}"),
        Predicate::NotEquals(e) => format!("differs from {e:?}"),
        Predicate::Contains(e) => format!("contains {e:?}"),
        Predicate::Matches(e) => format!("matches /{e}/"),
        Predicate::Exists(true) => "is present".into(),
        Predicate::Exists(false) => "is absent".into(),
        Predicate::OneOf(v) => format!("is one of {}", v.join(", ")),
        Predicate::AtMost(n) => format!("is at most {n}"),
        Predicate::AtLeast(n) => format!("is at least {n}"),
        Predicate::Includes(v) => format!("includes {}", v.join("; ")),
        Predicate::Excludes(v) => format!("excludes {}", v.join("; ")),
        Predicate::VerifiesWith(_) => "verifies".into(),
    }
}

fn one(o: &Observed) -> Option<&str> {
    match o {
        Observed::One(s) => Some(s),
        _ => None,
    }
}

fn text(o: &Observed) -> Option<String> {
    match o {
        Observed::One(s) => Some(s.clone()),
        Observed::Many(v) => Some(v.join(", ")),
        _ => None,
    }
}

fn number(o: &Observed) -> Option<f64> {
    one(o).and_then(|s| s.trim().parse().ok())
}

fn as_set(o: &Observed) -> std::collections::BTreeSet<String> {
    match o {
        Observed::Many(v) => v.iter().map(|s| s.trim().to_owned()).collect(),
        Observed::One(s) => tag_set(s),
        _ => Default::default(),
    }
}

/// Read a subject as one text value, for `save:` (and `${this.…}` in traffic rules).
pub fn save_value(msg: &Msg, group: &[&Msg], subject: &Subject) -> Option<String> {
    match observe_in(msg, group, subject, false) {
        Observed::One(s) => Some(s),
        Observed::Many(v) => Some(v.join("; ")),
        Observed::Absent | Observed::Unreadable(_) | Observed::NotApplicable(_) => None,
    }
}
