//! Turning a flat check map (`{ header: X, equals: Y, rule: Z }`) into a typed [`Check`].

use serde_json::Value;

use crate::case::model::{Check, FORM_FIELDS, Predicate, Subject};
use crate::case::raw::RawCheck;

/// Where a check appears: it decides whether `rule` and a predicate are required.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckUse {
    /// Under `checks:`: subject, predicate and rule.
    Check,
    /// Under `where:`: subject and predicate; a filter enforces no rule.
    Filter,
    /// Under `save:`: a subject only.
    Save,
}

/// The subject keys, for messages.
const SUBJECTS: &str = "header, feature-tags, status, reason, request-uri, body, cpim, imdn, digest, sdp, part, message, query, form, xml, json, bot";

/// The fields of `message:` (RFC 4975 §7.3.1: the message rebuilt from its chunks).
pub const MESSAGE_FIELDS: [&str; 7] = [
    "complete",
    "size",
    "sha256",
    "text",
    "chunks",
    "largest-chunk",
    "content-type",
];
const PREDICATES: &str = "equals, not-equals, contains, matches, exists, one-of, at-most, at-least, includes, excludes, verifies-with";

/// Parse one check; the error says what to change.
pub fn parse_check(raw: &RawCheck, usage: CheckUse, line: usize) -> Result<Check, String> {
    let (subject, shorthand) = subject(raw)?;
    let mut predicates = predicates(raw)?;
    if let Some(value) = shorthand {
        predicates.push(Predicate::Equals(value));
    }
    let predicate = match (usage, predicates.len()) {
        (CheckUse::Save, 0) => Predicate::Exists(true),
        (CheckUse::Save, _) => {
            return Err("a `save` entry names what to keep; it takes no predicate".into());
        }
        (_, 1) => predicates.remove(0),
        (_, 0) => return Err(format!("a check needs one predicate: one of {PREDICATES}")),
        (_, _) => {
            return Err("a check takes exactly one predicate; split it into two checks".into());
        }
    };
    compatible(&subject, &predicate, raw)?;
    if usage == CheckUse::Filter && matches!(subject, Subject::Message { .. }) {
        return Err("`message` describes all the chunks an expectation matched, so it cannot choose one: filter on `header: Message-ID` instead".into());
    }
    let rule = match (usage, &raw.rule) {
        (CheckUse::Check, Some(r)) if !r.trim().is_empty() => r.trim().to_owned(),
        (CheckUse::Check, _) => {
            return Err(
                "a check needs `rule`: the clause it enforces, e.g. `rule: RFC 3261 10.3`".into(),
            );
        }
        (_, Some(_)) => {
            return Err(
                "`rule` belongs on checks and expectations, not on filters or saved values".into(),
            );
        }
        (_, None) => String::new(),
    };
    Ok(Check {
        subject,
        predicate,
        rule,
        line,
    })
}

/// The subject, and the `equals` shorthand carried by a valued subject key (`body: "text"`).
fn subject(raw: &RawCheck) -> Result<(Subject, Option<String>), String> {
    let mut found: Vec<(Subject, Option<String>)> = Vec::new();
    if let Some(name) = &raw.header {
        found.push((
            Subject::Header {
                name: name.clone(),
                param: raw.param.clone(),
            },
            None,
        ));
    } else if raw.param.is_some() {
        return Err(
            "`param` goes with `header`: `{ header: Contact, param: expires, ... }`".into(),
        );
    }
    if let Some(header) = &raw.feature_tags {
        found.push((
            Subject::FeatureTags {
                header: header.clone(),
            },
            None,
        ));
    }
    for (value, subj) in [
        (&raw.status, Subject::Status),
        (&raw.reason, Subject::Reason),
        (&raw.request_uri, Subject::RequestUri),
        (&raw.body, Subject::Body),
    ] {
        if let Some(v) = value {
            found.push((subj, shorthand(v)?));
        }
    }
    if let Some(name) = &raw.cpim {
        found.push((Subject::Cpim { name: name.clone() }, None));
    }
    if let Some(field) = &raw.imdn {
        const FIELDS: [&str; 4] = ["message-id", "status", "notification", "datetime"];
        if !FIELDS.contains(&field.as_str()) {
            return Err(format!(
                "unknown IMDN field `{field}`: {}",
                crate::case::suggest::hint(field, FIELDS)
            ));
        }
        found.push((
            Subject::Imdn {
                field: field.clone(),
            },
            None,
        ));
    }
    if let Some(name) = &raw.sdp {
        if name.trim().is_empty() {
            return Err("`sdp` names a value: `path`, `setup`, `accept-types`, `direction`, `proto`, `port`, `max-size`, `connection` or an attribute".into());
        }
        found.push((
            Subject::Sdp {
                name: name.trim().to_owned(),
            },
            None,
        ));
    }
    if let Some(media_type) = &raw.part {
        if !media_type.contains('/') {
            return Err(format!(
                "`part` takes a media type such as `application/sdp`, found `{media_type}`"
            ));
        }
        found.push((
            Subject::Part {
                media_type: media_type.trim().to_owned(),
            },
            None,
        ));
    }
    if let Some(field) = &raw.message {
        if !MESSAGE_FIELDS.contains(&field.as_str()) {
            return Err(format!(
                "unknown `message` field `{field}`: {}",
                crate::case::suggest::hint(field, MESSAGE_FIELDS)
            ));
        }
        found.push((
            Subject::Message {
                field: field.clone(),
            },
            None,
        ));
    }
    if let Some(field) = &raw.bot {
        let field = crate::case::bot_field::BotField::parse(field)?;
        found.push((Subject::Bot { field }, None));
    }
    found.extend(http_subject(raw)?);
    if let Some(what) = &raw.digest {
        if what != "response" {
            return Err(format!("`digest` takes `response`, found `{what}`"));
        }
        found.push((Subject::Digest, None));
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!("a check needs one subject: one of {SUBJECTS}")),
        _ => Err("a check looks at exactly one subject; split it into several checks".into()),
    }
}

/// The subjects of HTTP messages and of XML and JSON bodies: `query`, `form`, `xml`, `json`.
fn http_subject(raw: &RawCheck) -> Result<Vec<(Subject, Option<String>)>, String> {
    let mut found = Vec::new();
    if let Some(name) = &raw.query {
        if name.trim().is_empty() {
            return Err("`query` names a parameter of the request target: `query: tid`".into());
        }
        found.push((
            Subject::Query {
                name: name.trim().to_owned(),
            },
            None,
        ));
    }
    if let Some(text) = &raw.form {
        found.push((form_subject(text.trim())?, None));
    }
    if let Some(path) = &raw.xml {
        crate::check::xml_path::XmlPath::parse(path)
            .map_err(|m| format!("bad `xml` path `{path}`: {m}"))?;
        found.push((
            Subject::Xml {
                path: path.trim().to_owned(),
            },
            None,
        ));
    }
    if let Some(pointer) = &raw.json {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(format!(
                "`json` takes an RFC 6901 pointer starting with `/`, such as `/{pointer}`"
            ));
        }
        found.push((
            Subject::Json {
                pointer: pointer.clone(),
            },
            None,
        ));
    }
    Ok(found)
}

/// `File` (the part's body), or `File.filename`, `File.content-type`, `File.size`, `File.sha256`.
fn form_subject(text: &str) -> Result<Subject, String> {
    if text.is_empty() {
        return Err("`form` names a form part: `form: File`, `form: File.filename`".into());
    }
    let split = text
        .rsplit_once('.')
        .filter(|(name, field)| !name.is_empty() && FORM_FIELDS.contains(field));
    Ok(match split {
        Some((name, field)) => Subject::Form {
            name: name.to_owned(),
            field: Some(field.to_owned()),
        },
        None => Subject::Form {
            name: text.to_owned(),
            field: None,
        },
    })
}

/// `status: true` (or `~`) is a bare subject; `status: 200` means `equals: 200`.
fn shorthand(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null | Value::Bool(true) => Ok(None),
        Value::Bool(false) => Err("a subject key takes a value to compare with, or `true`".into()),
        other => Ok(Some(scalar(other)?)),
    }
}

fn scalar(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("expected a single value, found {other}")),
    }
}

fn predicates(raw: &RawCheck) -> Result<Vec<Predicate>, String> {
    let mut p = Vec::new();
    if let Some(v) = &raw.equals {
        p.push(Predicate::Equals(scalar(v)?));
    }
    if let Some(v) = &raw.not_equals {
        p.push(Predicate::NotEquals(scalar(v)?));
    }
    if let Some(v) = &raw.contains {
        p.push(Predicate::Contains(v.clone()));
    }
    if let Some(v) = &raw.matches {
        regex::Regex::new(v)
            .map_err(|e| format!("`matches` is not a valid regular expression: {e}"))?;
        p.push(Predicate::Matches(v.clone()));
    }
    if let Some(v) = raw.exists {
        p.push(Predicate::Exists(v));
    }
    if let Some(v) = &raw.one_of {
        let items = v.iter().map(scalar).collect::<Result<Vec<_>, _>>()?;
        if items.is_empty() {
            return Err("`one-of` needs at least one value".into());
        }
        p.push(Predicate::OneOf(items));
    }
    if let Some(v) = raw.at_most {
        p.push(Predicate::AtMost(v));
    }
    if let Some(v) = raw.at_least {
        p.push(Predicate::AtLeast(v));
    }
    if let Some(v) = &raw.includes {
        p.push(Predicate::Includes(v.to_vec()));
    }
    if let Some(v) = &raw.excludes {
        p.push(Predicate::Excludes(v.to_vec()));
    }
    if let Some(v) = &raw.verifies_with {
        p.push(Predicate::VerifiesWith(v.clone()));
    }
    Ok(p)
}

fn compatible(subject: &Subject, predicate: &Predicate, raw: &RawCheck) -> Result<(), String> {
    match (subject, predicate) {
        (Subject::Digest, Predicate::VerifiesWith(_) | Predicate::Exists(_)) => Ok(()),
        (Subject::Digest, _) => Err("`digest: response` is checked with `verifies-with: <password>`".into()),
        (_, Predicate::VerifiesWith(_)) => Err("`verifies-with` goes with `digest: response`".into()),
        (Subject::Header { param: Some(_), .. }, Predicate::Includes(_) | Predicate::Excludes(_)) => {
            Err("`includes`/`excludes` compare lists: use them on a header or feature tags, not a parameter".into())
        }
        _ if raw.param.is_some() && raw.header.is_none() => Err("`param` goes with `header`".into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(f: impl FnOnce(&mut RawCheck)) -> RawCheck {
        let mut r = RawCheck::default();
        f(&mut r);
        r
    }

    #[test]
    fn flat_check_becomes_typed() {
        let r = raw(|r| {
            r.header = Some("WWW-Authenticate".into());
            r.param = Some("qop".into());
            r.equals = Some(Value::String("auth".into()));
            r.rule = Some("RFC 2617 3.2.1".into());
        });
        let c = parse_check(&r, CheckUse::Check, 7).unwrap();
        assert_eq!(
            c.subject,
            Subject::Header {
                name: "WWW-Authenticate".into(),
                param: Some("qop".into())
            }
        );
        assert_eq!(c.predicate, Predicate::Equals("auth".into()));
        assert_eq!((c.rule.as_str(), c.line), ("RFC 2617 3.2.1", 7));
    }

    #[test]
    fn valued_subject_is_equals_shorthand() {
        let r = raw(|r| {
            r.body = Some(Value::String("${alice.sent.body}".into()));
            r.rule = Some("RFC 3428 4".into());
        });
        let c = parse_check(&r, CheckUse::Check, 1).unwrap();
        assert_eq!(c.predicate, Predicate::Equals("${alice.sent.body}".into()));
    }

    #[test]
    fn session_subjects_parse() {
        let sdp = raw(|r| {
            r.sdp = Some("accept-types".into());
            r.includes = Some(crate::case::raw::OneOrMany::One("message/cpim".into()));
            r.rule = Some("RFC 4975 8.6".into());
        });
        let c = parse_check(&sdp, CheckUse::Check, 3).unwrap();
        assert_eq!(
            c.subject,
            Subject::Sdp {
                name: "accept-types".into()
            }
        );
        assert_eq!(c.subject.protocols(), [crate::events::Protocol::Sip]);
        let msg = raw(|r| {
            r.message = Some("complete".into());
            r.equals = Some(Value::Bool(true));
            r.rule = Some("RFC 4975 7.3.1".into());
        });
        let c = parse_check(&msg, CheckUse::Check, 4).unwrap();
        assert_eq!(
            c.subject,
            Subject::Message {
                field: "complete".into()
            }
        );
        assert_eq!(c.predicate, Predicate::Equals("true".into()));
        let part = raw(|r| {
            r.part = Some("application/sdp".into());
            r.contains = Some("m=message".into());
        });
        let c = parse_check(&part, CheckUse::Filter, 5).unwrap();
        assert_eq!(
            c.subject,
            Subject::Part {
                media_type: "application/sdp".into()
            }
        );
    }

    #[test]
    fn errors_say_what_to_change() {
        let no_rule = raw(|r| {
            r.header = Some("To".into());
            r.exists = Some(true);
        });
        assert!(
            parse_check(&no_rule, CheckUse::Check, 1)
                .unwrap_err()
                .contains("needs `rule`")
        );
        assert!(parse_check(&no_rule, CheckUse::Filter, 1).is_ok());
        let two = raw(|r| {
            r.header = Some("To".into());
            r.cpim = Some("From".into());
            r.exists = Some(true);
        });
        assert!(
            parse_check(&two, CheckUse::Filter, 1)
                .unwrap_err()
                .contains("exactly one subject")
        );
        let none = raw(|r| r.header = Some("To".into()));
        assert!(
            parse_check(&none, CheckUse::Filter, 1)
                .unwrap_err()
                .contains("one predicate")
        );
        assert!(parse_check(&none, CheckUse::Save, 1).is_ok());
        let bad_re = raw(|r| {
            r.header = Some("To".into());
            r.matches = Some("(".into());
        });
        assert!(
            parse_check(&bad_re, CheckUse::Filter, 1)
                .unwrap_err()
                .contains("regular expression")
        );
        let unknown = raw(|r| {
            r.message = Some("sha1".into());
            r.exists = Some(true);
        });
        let e = parse_check(&unknown, CheckUse::Save, 1).unwrap_err();
        assert!(e.contains("unknown `message` field `sha1`"), "{e}");
        let filter = raw(|r| {
            r.message = Some("size".into());
            r.equals = Some(Value::from(10));
        });
        assert!(
            parse_check(&filter, CheckUse::Filter, 1)
                .unwrap_err()
                .contains("cannot choose one")
        );
        let part = raw(|r| {
            r.part = Some("sdp".into());
            r.exists = Some(true);
        });
        assert!(
            parse_check(&part, CheckUse::Filter, 1)
                .unwrap_err()
                .contains("media type")
        );
        let digest = raw(|r| {
            r.digest = Some("response".into());
            r.equals = Some(Value::String("x".into()));
        });
        assert!(
            parse_check(&digest, CheckUse::Filter, 1)
                .unwrap_err()
                .contains("verifies-with")
        );
    }

    #[test]
    fn http_subjects_parse() {
        let query = raw(|r| {
            r.query = Some("tid".into());
            r.exists = Some(true);
        });
        let c = parse_check(&query, CheckUse::Filter, 1).unwrap();
        assert_eq!(c.subject, Subject::Query { name: "tid".into() });
        let form = |text: &str| {
            let r = raw(|r| {
                r.form = Some(text.into());
                r.exists = Some(true);
            });
            parse_check(&r, CheckUse::Filter, 1).map(|c| c.subject)
        };
        assert_eq!(
            form("File.filename").unwrap(),
            Subject::Form {
                name: "File".into(),
                field: Some("filename".into())
            }
        );
        assert_eq!(
            form("my.field").unwrap(),
            Subject::Form {
                name: "my.field".into(),
                field: None
            },
            "a dot before an unknown field is part of the name"
        );
        assert!(form("").unwrap_err().contains("names a form part"));
        let xml = |path: &str| {
            let r = raw(|r| {
                r.xml = Some(path.into());
                r.exists = Some(true);
            });
            parse_check(&r, CheckUse::Filter, 1).map(|c| c.subject)
        };
        assert_eq!(
            xml("file-info[@type=file]/data/@url").unwrap(),
            Subject::Xml {
                path: "file-info[@type=file]/data/@url".into()
            }
        );
        assert!(xml("data/@url/x").unwrap_err().contains("bad `xml` path"));
        let json = |pointer: &str| {
            let r = raw(|r| {
                r.json = Some(pointer.into());
                r.exists = Some(true);
            });
            parse_check(&r, CheckUse::Filter, 1).map(|c| c.subject)
        };
        assert!(json("/a/0").is_ok());
        assert!(json("a/0").unwrap_err().contains("`/a/0`"));
        let two = raw(|r| {
            r.query = Some("tid".into());
            r.form = Some("tid".into());
            r.exists = Some(true);
        });
        assert!(
            parse_check(&two, CheckUse::Filter, 1)
                .unwrap_err()
                .contains("exactly one subject")
        );
    }
}
