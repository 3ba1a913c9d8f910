//! Loading rule files, with the same located diagnostics as case files.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::case::CaseError;
use crate::case::check_parse::{CheckUse, parse_check};
use crate::case::loader::{WhatError, mismatch};
use crate::case::model::{Check, MessageFilter, Subject};
use crate::case::raw::RawCheck;
use crate::events::Protocol;
use crate::rules::Rule;
use crate::rules::refers::{RefersTo, this_subject};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    id: String,
    title: String,
    refs: Vec<String>,
    applies_to: Spanned<RawAppliesTo>,
    #[serde(default)]
    checks: Vec<Spanned<RawCheck>>,
    #[serde(default)]
    refers_to: Option<Spanned<RawRefersTo>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAppliesTo {
    #[serde(default)]
    sip: Option<String>,
    #[serde(default)]
    msrp: Option<String>,
    #[serde(default)]
    http: Option<String>,
    #[serde(default, rename = "where")]
    filter: Vec<Spanned<RawCheck>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRefersTo {
    #[serde(default)]
    sip: Option<String>,
    #[serde(default)]
    msrp: Option<String>,
    #[serde(default)]
    http: Option<String>,
    #[serde(default, rename = "where")]
    filter: Vec<Spanned<RawCheck>>,
    rule: String,
}

/// Every `*.yaml` under the rule folders, sorted.
pub fn find_rule_files(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, CaseError> {
    let mut out = Vec::new();
    for dir in dirs {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            CaseError::new(dir, 0, 0, format!("failed to read the rules folder: {e}"))
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Load and validate one rule file.
pub fn load_rule(path: &Path) -> Result<Rule, Vec<CaseError>> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| vec![CaseError::new(path, 0, 0, format!("failed to read: {e}"))])?;
    parse_rule(path, &source).map_err(|v| v.into_iter().map(|e| e.with_source(&source)).collect())
}

pub fn parse_rule(path: &Path, source: &str) -> Result<Rule, Vec<CaseError>> {
    let raw: RawRule = serde_saphyr::from_str(source)
        .map_err(|e| vec![crate::case::loader::yaml_error(path, &e)])?;
    let mut errors = Vec::new();
    if path.file_stem().is_some_and(|s| s != raw.id.as_str()) {
        errors.push(CaseError::new(
            path,
            1,
            1,
            format!(
                "the file is named {}, but the rule id is `{}`",
                path.display(),
                raw.id
            ),
        ));
    }
    if raw.refs.is_empty() {
        errors.push(CaseError::new(
            path,
            1,
            1,
            "`refs` is empty: list the clauses this rule enforces",
        ));
    }
    let (line, col) = loc(&raw.applies_to);
    let applies = &raw.applies_to.value;
    let messages = what(
        applies.sip.as_deref(),
        applies.msrp.as_deref(),
        applies.http.as_deref(),
    )
    .map_err(|m| errors.push(CaseError::new(path, line, col, m)))
    .ok();
    let protocol = messages.as_ref().map(|m| m.protocol);
    let filter = checks(
        path,
        &applies.filter,
        CheckUse::Filter,
        protocol,
        &mut errors,
    );
    let checks = checks(path, &raw.checks, CheckUse::Check, protocol, &mut errors);
    for c in checks.iter().chain(&filter) {
        no_references(path, c, protocol, &mut errors);
    }
    let refers_to = raw
        .refers_to
        .as_ref()
        .and_then(|r| refers_to(path, r, &mut errors));
    if checks.is_empty() && raw.refers_to.is_none() && errors.is_empty() {
        errors.push(CaseError::new(
            path,
            1,
            1,
            "the rule has neither `checks` nor `refers-to`",
        ));
    }
    match (errors.is_empty(), messages) {
        (true, Some(messages)) => Ok(Rule {
            id: raw.id,
            title: raw.title,
            file: path.to_owned(),
            refs: raw.refs,
            messages,
            filter,
            checks,
            refers_to,
        }),
        _ => Err(errors),
    }
}

/// `sip:`, `msrp:` or `http:`, exactly one, parsed.
fn what(
    sip: Option<&str>,
    msrp: Option<&str>,
    http: Option<&str>,
) -> Result<MessageFilter, String> {
    crate::case::loader::what(sip, msrp, http).map_err(|e| match e {
        WhatError::Bad(m) => m,
        WhatError::Count(0) => {
            "name the messages with `sip: MESSAGE`, `msrp: SEND` or `http: POST`".into()
        }
        WhatError::Count(2) if http.is_none() => "name `sip` or `msrp`, not both".into(),
        WhatError::Count(_) => "name one of `sip`, `msrp` and `http`, not several".into(),
    })
}

/// Rules judge a capture alone: no `${...}` outside `refers-to`, and no rebuilt messages.
fn no_references(path: &Path, c: &Check, protocol: Option<Protocol>, errors: &mut Vec<CaseError>) {
    if crate::case::refs::predicate_strings(&c.predicate)
        .iter()
        .any(|s| s.contains("${"))
    {
        errors.push(CaseError::new(
            path,
            c.line,
            1,
            "rules judge a capture alone: `${...}` values are not available (`${this.…}` is, in `refers-to`)",
        ));
    }
    if matches!(c.subject, Subject::Message { .. }) && protocol == Some(Protocol::Msrp) {
        errors.push(CaseError::new(
            path,
            c.line,
            1,
            "`message` reads the chunks a case expectation matched; rules judge one frame at a time",
        ));
    }
}

fn refers_to(
    path: &Path,
    raw: &Spanned<RawRefersTo>,
    errors: &mut Vec<CaseError>,
) -> Option<RefersTo> {
    let (line, col) = loc(raw);
    let r = &raw.value;
    let what = what(r.sip.as_deref(), r.msrp.as_deref(), r.http.as_deref())
        .map_err(|m| {
            errors.push(CaseError::new(
                path,
                line,
                col,
                format!("in `refers-to`: {m}"),
            ))
        })
        .ok()?;
    if r.rule.trim().is_empty() {
        errors.push(CaseError::new(
            path,
            line,
            col,
            "`refers-to` needs `rule`: the clause that requires the reference",
        ));
    }
    let filter = checks(
        path,
        &r.filter,
        CheckUse::Filter,
        Some(what.protocol),
        errors,
    );
    let mut this = Vec::new();
    for c in &filter {
        for s in crate::case::refs::predicate_strings(&c.predicate) {
            match crate::case::refs::references(s) {
                Err(m) => errors.push(CaseError::new(path, c.line, 1, m)),
                Ok(found) => {
                    for name in found {
                        match this_subject(&name) {
                            Ok(subject) => this.push((name, subject)),
                            Err(m) => errors.push(CaseError::new(path, c.line, 1, m)),
                        }
                    }
                }
            }
        }
    }
    Some(RefersTo {
        what,
        filter,
        rule: r.rule.trim().to_owned(),
        line,
        this,
    })
}

fn loc<T>(s: &Spanned<T>) -> (usize, usize) {
    (s.referenced.line() as usize, s.referenced.column() as usize)
}

fn checks(
    path: &Path,
    raws: &[Spanned<RawCheck>],
    usage: CheckUse,
    protocol: Option<Protocol>,
    errors: &mut Vec<CaseError>,
) -> Vec<Check> {
    let mut out = Vec::new();
    for raw in raws {
        let (line, col) = loc(raw);
        match parse_check(&raw.value, usage, line) {
            Ok(c) => match protocol.and_then(|p| mismatch(&c.subject, p)) {
                Some(m) => errors.push(CaseError::new(path, line, col, m)),
                None => out.push(c),
            },
            Err(m) => errors.push(CaseError::new(path, line, col, m)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_parses_and_refuses_references() {
        let ok = "id: R1\ntitle: t\nrefs: [RFC 3261]\napplies-to: { sip: \"401\", where: [{ header: CSeq, contains: REGISTER }] }\nchecks:\n  - { header: WWW-Authenticate, param: realm, exists: true, rule: RFC 2617 3.2.1 }\n";
        let r = parse_rule(Path::new("R1.yaml"), ok).unwrap();
        assert_eq!((r.filter.len(), r.checks.len()), (1, 1));
        let bad = ok.replace("exists: true", "equals: \"${mc.domain}\"");
        let errs = parse_rule(Path::new("R1.yaml"), &bad).unwrap_err();
        assert!(errs[0].message.contains("not available"), "{errs:?}");
        assert_eq!(errs[0].line, 6);
        let errs = parse_rule(
            Path::new("R1.yaml"),
            &ok.replace("applies-to", "applies_to"),
        )
        .unwrap_err();
        assert!(errs[0].message.contains("unknown field"), "{errs:?}");
    }

    #[test]
    fn refers_to_and_msrp_rules_are_validated() {
        let ok = "id: R1\ntitle: t\nrefs: [RFC 5438]\napplies-to: { sip: MESSAGE }\nrefers-to:\n  sip: MESSAGE\n  where: [{ cpim: imdn.Message-ID, equals: \"${this.imdn.message-id}\" }]\n  rule: RFC 5438 6.3\n";
        let r = parse_rule(Path::new("R1.yaml"), ok).unwrap();
        let refers = r.refers_to.unwrap();
        assert_eq!(refers.this.len(), 1);
        assert_eq!(
            refers.this[0].1,
            Subject::Imdn {
                field: "message-id".into()
            }
        );
        assert!(r.checks.is_empty());
        let errs =
            parse_rule(Path::new("R1.yaml"), &ok.replace("this.imdn", "this.imdnx")).unwrap_err();
        assert!(
            errs[0].message.contains("`imdnx` is not a subject"),
            "{errs:?}"
        );
        assert_eq!(errs[0].line, 7);
        let errs = parse_rule(
            Path::new("R1.yaml"),
            &ok.replace("${this.imdn.message-id}", "${alice.uri}"),
        )
        .unwrap_err();
        assert!(
            errs[0].message.contains("only know `${this.…}`"),
            "{errs:?}"
        );
        let errs = parse_rule(
            Path::new("R1.yaml"),
            &ok.replace("  rule: RFC 5438 6.3\n", ""),
        )
        .unwrap_err();
        assert!(errs[0].message.contains("missing field `rule`"), "{errs:?}");
        let both = "id: R1\ntitle: t\nrefs: [RFC 4975]\napplies-to: { sip: MESSAGE, msrp: SEND }\nchecks:\n  - { header: To-Path, exists: true, rule: RFC 4975 }\n";
        let errs = parse_rule(Path::new("R1.yaml"), both).unwrap_err();
        assert!(errs[0].message.contains("not both"), "{errs:?}");
        assert_eq!((errs[0].line, errs[0].column), (4, 13));
        let wrong = "id: R1\ntitle: t\nrefs: [RFC 4975]\napplies-to: { msrp: SEND }\nchecks:\n  - { sdp: setup, exists: true, rule: RFC 4975 }\n  - { message: size, exists: true, rule: RFC 4975 }\n";
        let errs = parse_rule(Path::new("R1.yaml"), wrong).unwrap_err();
        assert!(
            errs[0].message.contains("`sdp` reads SIP messages"),
            "{errs:?}"
        );
        assert!(errs[1].message.contains("one frame at a time"), "{errs:?}");
    }

    #[test]
    fn http_rules_read_http_subjects() {
        let ok = "id: R1\ntitle: t\nrefs: [RFC 7578]\napplies-to: { http: POST, where: [{ query: tid, exists: true }] }\nchecks:\n  - { form: File.filename, exists: true, rule: RFC 7578 4.2 }\n  - { message: size, at-most: 1000, rule: RCC.07 3.2.5 }\n";
        let r = parse_rule(Path::new("R1.yaml"), ok).unwrap();
        assert_eq!(r.messages.protocol, Protocol::Http);
        assert_eq!((r.filter.len(), r.checks.len()), (1, 2));
        let wrong = ok.replace("form: File.filename", "sdp: setup");
        let errs = parse_rule(Path::new("R1.yaml"), &wrong).unwrap_err();
        assert!(
            errs[0].message.contains("but this names HTTP messages"),
            "{errs:?}"
        );
        assert_eq!(errs[0].line, 6);
        let both = ok.replace("{ http: POST,", "{ http: POST, sip: MESSAGE,");
        let errs = parse_rule(Path::new("R1.yaml"), &both).unwrap_err();
        assert!(errs[0].message.contains("not several"), "{errs:?}");
    }

    #[test]
    fn chatbot_rules_read_the_bot_subject() {
        let ok = "id: R1\ntitle: t\nrefs: [RCC.07 3.6.10]\napplies-to: { msrp: SEND, where: [{ bot: content-type, equals: application/vnd.gsma.botsuggestion.response.v1.0+json }] }\nchecks:\n  - { bot: valid, equals: true, rule: RCC.07 3.6.10 }\nrefers-to:\n  sip: MESSAGE\n  where: [{ bot: suggestion.1.postback, equals: \"${this.bot.response.postback}\" }]\n  rule: RCC.07 3.6.10\n";
        let r = parse_rule(Path::new("R1.yaml"), ok).unwrap();
        let refers = r.refers_to.unwrap();
        assert_eq!(refers.this[0].0, "this.bot.response.postback");
        assert_eq!(refers.this[0].1.key(), "bot");
        let typo = ok.replace("bot: valid", "bot: vaild");
        let errs = parse_rule(Path::new("R1.yaml"), &typo).unwrap_err();
        assert_eq!((errs[0].line, errs[0].column), (6, 5));
        assert!(
            errs[0].message.contains("did you mean `valid`?"),
            "{errs:?}"
        );
        let bad_ref = ok.replace("this.bot.response.postback", "this.bot.respons.postback");
        let errs = parse_rule(Path::new("R1.yaml"), &bad_ref).unwrap_err();
        assert!(
            errs[0]
                .message
                .contains("`${this.bot.respons.postback}`: unknown `bot` field"),
            "{errs:?}"
        );
    }
}
