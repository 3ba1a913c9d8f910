//! Judging one check on one message: expected, observed, and whether they agree.
//!
//! A header on several lines ([`Observed::Each`]) is judged line by line: `equals`, `contains`,
//! `matches`, `one-of`, `at-most`, `at-least` and `exists: true` pass when some line passes;
//! `not-equals` and `exists: false` pass when no line is (or has) the value, so each is the
//! complement of its positive twin. `includes`/`excludes` read every value of every line at once.
//! `save:` keeps the first line.

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
    let (expected, passed) = match (&predicate, &observed) {
        (Predicate::VerifiesWith(password), _) => {
            return Ok(verify(check, msg, &observed, password));
        }
        (_, Observed::Each(values)) if !list => per_line(&predicate, values, set_semantics)?,
        _ => verdict(&predicate, &observed, set_semantics)?,
    };
    Ok(Judgement {
        // Described as the case wrote it (`${alice.sent.body}`), not with the value filled in.
        what: format!("{} {}", check.subject, describe(&check.predicate)),
        expected,
        observed: observed.describe(),
        passed,
    })
}

/// A predicate judged on each line of a repeated header: some line passes, or for `not-equals`
/// and `exists: false`, every line does.
fn per_line(
    predicate: &Predicate,
    values: &[String],
    set_semantics: bool,
) -> Result<(String, bool), String> {
    let mut verdicts = Vec::with_capacity(values.len());
    for v in values {
        verdicts.push(verdict(
            predicate,
            &Observed::One(v.clone()),
            set_semantics,
        )?);
    }
    let expected = verdicts.first().map(|(e, _)| e.clone()).unwrap_or_default();
    Ok(match predicate {
        Predicate::NotEquals(_) | Predicate::Exists(false) => (
            format!("on every line: {expected}"),
            verdicts.iter().all(|(_, p)| *p),
        ),
        _ => (
            format!("on some line: {expected}"),
            verdicts.iter().any(|(_, p)| *p),
        ),
    })
}

/// What `predicate` expects, and whether `observed` meets it (all but `verifies-with`).
fn verdict(
    predicate: &Predicate,
    observed: &Observed,
    set_semantics: bool,
) -> Result<(String, bool), String> {
    Ok(match predicate {
        Predicate::Equals(e) if set_semantics => {
            (format!("the set {e}"), as_set(observed) == tag_set(e))
        }
        Predicate::Equals(e) => (e.clone(), one(observed) == Some(e.as_str())),
        Predicate::NotEquals(e) => (
            format!("anything but {e:?}"),
            matches!(observed, Observed::One(o) if o != e) || *observed == Observed::Absent,
        ),
        Predicate::Contains(e) => (
            format!("contains {e:?}"),
            text(observed).is_some_and(|o| o.contains(e.as_str())),
        ),
        Predicate::Matches(re) => {
            let re = regex::Regex::new(re).map_err(|e| format!("bad regular expression: {e}"))?;
            (
                format!("matches /{re}/"),
                one(observed).is_some_and(|o| re.is_match(o)),
            )
        }
        Predicate::Exists(true) => (
            "present".to_owned(),
            matches!(
                observed,
                Observed::One(_) | Observed::Many(_) | Observed::Each(_)
            ),
        ),
        Predicate::Exists(false) => ("absent".to_owned(), *observed == Observed::Absent),
        Predicate::OneOf(v) => (
            format!("one of {}", v.join(", ")),
            one(observed).is_some_and(|o| v.iter().any(|x| x == o)),
        ),
        Predicate::AtMost(n) => (
            format!("at most {n}"),
            number(observed).is_some_and(|o| o <= *n),
        ),
        Predicate::AtLeast(n) => (
            format!("at least {n}"),
            number(observed).is_some_and(|o| o >= *n),
        ),
        Predicate::Includes(items) => {
            let have = as_set(observed);
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
            let have = as_set(observed);
            (
                format!("excludes {}", items.join("; ")),
                !items.iter().any(|i| have.contains(i.as_str())),
            )
        }
        Predicate::VerifiesWith(_) => ("verifies".to_owned(), false),
    })
}

/// `verifies-with`: the harness recomputes the digest response with the subscriber's password.
fn verify(check: &Check, msg: &Msg, observed: &Observed, password: &str) -> Judgement {
    let method = msg.method().unwrap_or("REGISTER");
    let verdict = match one(observed).map(Credentials::parse) {
        None => Err("no Authorization header".to_owned()),
        Some(Err(e)) => Err(e.to_string()),
        Some(Ok(c)) => c.verify(method, password).map_err(|e| e.to_string()),
    };
    let observed_text = match &verdict {
        Ok(()) => format!("{} (verifies)", observed.describe()),
        Err(why) => format!("{} ({why})", observed.describe()),
    };
    Judgement {
        what: format!("{} is correct for the subscriber's password", check.subject),
        expected: "a response that the harness recomputes to the same value".into(),
        observed: observed_text,
        passed: verdict.is_ok(),
    }
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
        Observed::Many(v) | Observed::Each(v) => v.iter().map(|s| s.trim().to_owned()).collect(),
        Observed::One(s) => tag_set(s),
        _ => Default::default(),
    }
}

/// Read a subject as one text value, for `save:` (and `${this.…}` in traffic rules).
pub fn save_value(msg: &Msg, group: &[&Msg], subject: &Subject) -> Option<String> {
    match observe_in(msg, group, subject, false) {
        Observed::One(s) => Some(s),
        Observed::Many(v) => Some(v.join("; ")),
        Observed::Each(v) => v.first().cloned(),
        Observed::Absent | Observed::Unreadable(_) | Observed::NotApplicable(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An INVITE with Accept-Contact on two lines (RFC 3261 §7.3.1) and a charging vector.
    fn invite() -> Msg {
        let text = "INVITE sip:b@x SIP/2.0\nAccept-Contact: *;+g.oma.sip-im\nAccept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg\";explicit\nP-Charging-Vector: icid-value=Ab12;orig-ioi=cmcc.example\nExpires: 60\nContent-Length: 0\n\n";
        Msg::parse(
            crate::events::Protocol::Sip,
            text.replace('\n', "\r\n").as_bytes(),
        )
        .unwrap()
    }

    fn judged(name: &str, param: Option<&str>, predicate: Predicate) -> bool {
        let check = Check {
            subject: Subject::Header {
                name: name.into(),
                param: param.map(str::to_owned),
            },
            predicate,
            rule: "RFC 3261 7.3.1".into(),
            line: 1,
        };
        judge(&check, &invite(), &BTreeMap::new()).unwrap().passed
    }

    #[test]
    fn a_repeated_header_is_judged_on_every_line() {
        let ac = |p| judged("Accept-Contact", None, p);
        assert!(
            ac(Predicate::Contains("oma.cpm.largemsg".into())),
            "second line"
        );
        assert!(ac(Predicate::Contains("oma.sip-im".into())), "first line");
        assert!(!ac(Predicate::Contains("chatbot".into())));
        assert!(ac(Predicate::Equals("*;+g.oma.sip-im".into())));
        assert!(
            !ac(Predicate::NotEquals("*;+g.oma.sip-im".into())),
            "one line equals"
        );
        assert!(ac(Predicate::NotEquals("*".into())));
        assert!(ac(Predicate::Matches("largemsg\";explicit$".into())));
        assert!(!ac(Predicate::Matches(
            "^\\*;\\+g.oma.sip-im;explicit".into()
        )));
        assert!(ac(Predicate::Exists(true)));
        assert!(!ac(Predicate::Exists(false)));
        assert!(!judged(
            "Reject-Contact",
            None,
            Predicate::Contains("x".into())
        ));
        assert!(judged("Reject-Contact", None, Predicate::Exists(false)));
        assert!(judged(
            "Accept-Contact",
            Some("explicit"),
            Predicate::Exists(true)
        ));
        assert!(ac(Predicate::Includes(vec!["*;+g.oma.sip-im".into()])));
        assert!(judged("Expires", None, Predicate::AtMost(60.0)));
    }

    #[test]
    fn a_charging_vector_parameter_includes_the_first_item() {
        let pcv =
            |p: &str, e: &str| judged("P-Charging-Vector", Some(p), Predicate::Equals(e.into()));
        assert!(pcv("icid-value", "Ab12"));
        assert!(pcv("orig-ioi", "cmcc.example"));
        assert!(!pcv("icid-value", "Ab13"));
    }
}
