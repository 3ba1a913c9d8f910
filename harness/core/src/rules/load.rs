//! Loading rule files, with the same located diagnostics as case files.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::case::CaseError;
use crate::case::check_parse::{CheckUse, parse_check};
use crate::case::model::{Check, SipFilter};
use crate::case::raw::RawCheck;
use crate::rules::Rule;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    id: String,
    title: String,
    refs: Vec<String>,
    applies_to: Spanned<RawAppliesTo>,
    checks: Vec<Spanned<RawCheck>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAppliesTo {
    sip: String,
    #[serde(default, rename = "where")]
    filter: Vec<Spanned<RawCheck>>,
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
    let (line, col) = (
        raw.applies_to.referenced.line() as usize,
        raw.applies_to.referenced.column() as usize,
    );
    let sip = SipFilter::parse(&raw.applies_to.value.sip)
        .map_err(|m| errors.push(CaseError::new(path, line, col, format!("bad `sip`: {m}"))))
        .ok();
    let filter = checks(
        path,
        &raw.applies_to.value.filter,
        CheckUse::Filter,
        &mut errors,
    );
    let checks = checks(path, &raw.checks, CheckUse::Check, &mut errors);
    if checks.is_empty() && errors.is_empty() {
        errors.push(CaseError::new(path, 1, 1, "the rule has no checks"));
    }
    for c in checks.iter().chain(&filter) {
        for s in crate::case::refs::predicate_strings(&c.predicate) {
            if s.contains("${") {
                errors.push(CaseError::new(
                    path,
                    c.line,
                    1,
                    "rules judge a capture alone: `${...}` values are not available",
                ));
            }
        }
    }
    match (errors.is_empty(), sip) {
        (true, Some(sip)) => Ok(Rule {
            id: raw.id,
            title: raw.title,
            file: path.to_owned(),
            refs: raw.refs,
            sip,
            filter,
            checks,
        }),
        _ => Err(errors),
    }
}

fn checks(
    path: &Path,
    raws: &[Spanned<RawCheck>],
    usage: CheckUse,
    errors: &mut Vec<CaseError>,
) -> Vec<Check> {
    let mut out = Vec::new();
    for raw in raws {
        let (line, col) = (
            raw.referenced.line() as usize,
            raw.referenced.column() as usize,
        );
        match parse_check(&raw.value, usage, line) {
            Ok(c) => out.push(c),
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
}
