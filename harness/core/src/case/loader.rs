//! Loading case files: YAML to a validated [`Case`], or every problem found with its location.
//!
//! Serde catches shape errors (unknown keys, wrong types) with line and column; this module then checks
//! what serde cannot: that roles exist, that each check has one subject and one predicate, that the
//! actions, settings and faults are ones the simulators know, and that every fault a case claims to
//! detect is caught by a check that names its rule.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use crate::agent::AgentFactory;
use crate::case::carriers::{CarrierRef, Symbol};
use crate::case::check_parse::{CheckUse, parse_check};
use crate::case::duration::CaseDuration;
use crate::case::error::CaseError;
use crate::case::model::{
    Case, Check, Detect, Expect, MessageFilter, RoleDecl, Step, StepKind, Subject, Suite,
};
use crate::case::raw::{RawCase, RawCheck, RawExpect, RawRole, RawStep};
use crate::case::refs;
use crate::case::suggest::hint;
use crate::events::{Direction, Protocol, Transport};
use crate::role::RoleKind;

/// Largest case file read.
const MAX_CASE_BYTES: u64 = 1 << 20;

/// Find every `*.yaml` case file under the given files and folders, sorted; `profiles/` and `rules/` folders are skipped.
pub fn find_case_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CaseError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)
                .map_err(|e| CaseError::new(p, 0, 0, format!("failed to read folder: {e}")))?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(CaseError::new(p, 0, 0, "no such file or folder"));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n != "profiles" && n != "rules")
            {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Load and validate one case file.
pub fn load_case(path: &Path, factory: &dyn AgentFactory) -> Result<Case, Vec<CaseError>> {
    let source = read_source(path).map_err(|e| vec![e])?;
    parse_case(path, &source, factory)
        .map_err(|errors| errors.into_iter().map(|e| e.with_source(&source)).collect())
}

fn read_source(path: &Path) -> Result<String, CaseError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| CaseError::new(path, 0, 0, format!("failed to read: {e}")))?;
    if meta.len() > MAX_CASE_BYTES {
        return Err(CaseError::new(
            path,
            0,
            0,
            format!("file is {} bytes; case files are at most 1 MiB", meta.len()),
        ));
    }
    std::fs::read_to_string(path)
        .map_err(|e| CaseError::new(path, 0, 0, format!("failed to read as UTF-8: {e}")))
}

/// Validate a case from its text (the path is for messages and the id/folder rules).
pub fn parse_case(
    path: &Path,
    source: &str,
    factory: &dyn AgentFactory,
) -> Result<Case, Vec<CaseError>> {
    let raw: RawCase = serde_saphyr::from_str(source).map_err(|e| vec![yaml_error(path, &e)])?;
    Validator {
        path,
        source,
        factory,
        errors: Vec::new(),
    }
    .case(raw)
}

/// A serde-saphyr error as a located CaseError, with did-you-mean for unknown keys. Cases,
/// profiles and rules all report their YAML errors through this.
pub(crate) fn yaml_error(path: &Path, e: &serde_saphyr::Error) -> CaseError {
    let (line, column) = e
        .location()
        .map(|l| (l.line() as usize, l.column() as usize))
        .unwrap_or((0, 0));
    let full = e.to_string();
    let message = full.lines().next().unwrap_or("invalid YAML").to_owned();
    let message = strip_location_prefix(&message);
    let mut err = CaseError::new(path, line, column, message.clone());
    if let Some(h) = unknown_field_hint(&message) {
        err = err.with_hint(h);
    }
    err
}

fn strip_location_prefix(message: &str) -> String {
    // serde-saphyr may prefix "error: " and "line N column M: "; the location is kept separately.
    let m = message.strip_prefix("error: ").unwrap_or(message);
    match m.find(": ") {
        Some(i) if m[..i].starts_with("line ") => m[i + 2..].to_owned(),
        _ => m.to_owned(),
    }
}

/// `unknown field `chekcs`, expected one of `a`, `b`` -> `did you mean `checks`?`
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.split("unknown field").nth(1)?;
    let word = rest.split('`').nth(1)?;
    let list = rest.split("expected one of").nth(1)?;
    let candidates: Vec<&str> = list
        .split(',')
        .map(|c| c.trim().trim_matches('`'))
        .filter(|c| !c.is_empty())
        .collect();
    Some(crate::case::suggest::hint(word, candidates.iter().copied()))
}

struct Validator<'a> {
    path: &'a Path,
    source: &'a str,
    factory: &'a dyn AgentFactory,
    errors: Vec<CaseError>,
}

impl Validator<'_> {
    fn err(&mut self, line: usize, column: usize, message: impl Into<String>) -> &mut CaseError {
        self.errors
            .push(CaseError::new(self.path, line, column, message));
        let last = self.errors.len() - 1;
        &mut self.errors[last]
    }

    /// Line and column of a top-level key, for the scalar fields serde gives no location for.
    fn key(&self, key: &str) -> (usize, usize) {
        let prefix = format!("{key}:");
        self.source
            .lines()
            .position(|l| l.starts_with(&prefix))
            .map_or((1, 1), |i| (i + 1, 1))
    }

    fn err_hint(&mut self, line: usize, column: usize, message: impl Into<String>, h: String) {
        let e = self.err(line, column, message);
        e.hint = Some(h);
    }

    fn case(mut self, raw: RawCase) -> Result<Case, Vec<CaseError>> {
        let suite = self.suite(&raw.suite);
        let feature = self.feature(&raw);
        self.file_name(&raw.id, suite);
        if raw.refs.is_empty() {
            self.err(
                self.key("refs").0,
                1,
                "`refs` is empty: list the clauses this case enforces",
            );
        }
        let transport = raw.transport.as_deref().and_then(|t| self.transport(t));
        for need in &raw.requires {
            if !crate::capability::is_known(need) {
                let (line, col) = self.key("requires");
                self.err_hint(
                    line,
                    col,
                    format!("unknown capability `{need}`"),
                    hint(need, crate::capability::names()),
                );
            }
        }
        let roles = self.roles(&raw);
        if !raw.roles.contains_key(&raw.under_test) {
            let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
            self.err_hint(
                self.key("under-test").0,
                self.key("under-test").1,
                format!("`under-test: {}` is not one of the roles", raw.under_test),
                hint(&raw.under_test, names),
            );
        }
        // `${a.carrier}`: the symbols the roles use are known values from the start.
        let mut saved: BTreeSet<String> = roles
            .iter()
            .flat_map(RoleDecl::symbols)
            .map(|s| s.as_str().to_owned())
            .collect();
        let steps: Vec<Step> = raw
            .steps
            .iter()
            .filter_map(|s| self.step(s, &roles, &mut saved))
            .collect();
        if steps.is_empty() && self.errors.is_empty() {
            self.err(self.key("steps").0, 1, "the case has no steps");
        }
        let under_test_kind = roles
            .iter()
            .find(|r| r.name == raw.under_test)
            .map(|r| r.kind);
        let detects = self.detects(&raw, under_test_kind, &steps);
        match (self.errors.is_empty(), suite) {
            (true, Some(suite)) => Ok(Case {
                id: raw.id,
                title: raw.title,
                suite,
                feature,
                description: raw.description,
                file: self.path.to_owned(),
                under_test: raw.under_test,
                refs: raw.refs,
                transport,
                requires: raw.requires,
                roles,
                steps,
                detects,
            }),
            _ => Err(self.errors),
        }
    }

    fn suite(&mut self, s: &str) -> Option<Suite> {
        let found = Suite::parse(s);
        if found.is_none() {
            self.err_hint(
                self.key("suite").0,
                self.key("suite").1,
                format!("unknown suite `{s}`"),
                hint(s, Suite::ALL.map(Suite::as_str)),
            );
        }
        found
    }

    fn feature(&self, raw: &RawCase) -> String {
        raw.feature.clone().unwrap_or_else(|| {
            self.path
                .parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "general".to_owned())
        })
    }

    /// `cases/<suite>/<feature>/<ID>.yaml`: the file is named after the id and sits in its suite.
    fn file_name(&mut self, id: &str, suite: Option<Suite>) {
        if self.path.file_stem().is_some_and(|s| s != id) {
            self.err(
                self.key("id").0,
                self.key("id").1,
                format!(
                    "the file is named {}, but the case id is `{id}`",
                    self.path.display()
                ),
            )
            .hint = Some(format!("rename the file to {id}.yaml or change `id`"));
        }
        let grandparent = self
            .path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name);
        if let (Some(gp), Some(suite)) = (grandparent.and_then(|g| g.to_str()), suite)
            && Suite::parse(gp).is_some_and(|g| g != suite)
        {
            self.err(
                self.key("suite").0,
                self.key("suite").1,
                format!("a `{}` case sits in the `{gp}` folder", suite.as_str()),
            );
        }
    }

    fn transport(&mut self, t: &str) -> Option<Transport> {
        match t {
            "udp" => Some(Transport::Udp),
            "tcp" => Some(Transport::Tcp),
            "tls" => Some(Transport::Tls),
            other => {
                self.err_hint(
                    self.key("transport").0,
                    self.key("transport").1,
                    format!("unknown transport `{other}`"),
                    hint(other, ["udp", "tcp", "tls"]),
                );
                None
            }
        }
    }

    fn roles(&mut self, raw: &RawCase) -> Vec<RoleDecl> {
        let mut out = Vec::new();
        for (name, spanned) in &raw.roles {
            let (line, col) = loc(spanned);
            let RawRole {
                kind,
                rcs,
                carrier,
                number_from,
                settings,
            } = &spanned.value;
            let Ok(kind) = kind.parse::<RoleKind>() else {
                self.err_hint(
                    line,
                    col,
                    format!("unknown role kind `{kind}` for `{name}`"),
                    hint(kind, RoleKind::ALL.map(RoleKind::as_str)),
                );
                continue;
            };
            if rcs.is_some() && kind != RoleKind::Terminal {
                self.err(
                    line,
                    col,
                    format!("`rcs` applies to terminals; `{name}` is a {kind}"),
                );
            }
            if let Err(e) = self.factory.check_settings(kind, settings) {
                self.err(line, col, format!("bad settings for `{name}`: {e}"));
            }
            if matches!(name.as_str(), "expect" | "expect-none" | "wait") {
                self.err(
                    line,
                    col,
                    format!("`{name}` is a step keyword and cannot name a role"),
                );
            }
            if number_from.is_some() && kind != RoleKind::Terminal {
                self.err(
                    line,
                    col,
                    format!("`number-from` applies to terminals; `{name}` is a {kind}"),
                );
            }
            out.push(RoleDecl {
                name: name.clone(),
                kind,
                rcs: rcs.unwrap_or(true),
                carrier: self.carrier_ref(carrier.as_ref()).unwrap_or_default(),
                number_from: self.carrier_ref(number_from.as_ref()),
                settings: settings.clone(),
                line,
            });
        }
        self.symbol_names(&out);
        out
    }

    /// A `carrier:` or `number-from:` value; an unknown one is an error at its location.
    fn carrier_ref(&mut self, raw: Option<&Spanned<String>>) -> Option<CarrierRef> {
        let raw = raw?;
        let (line, col) = loc(raw);
        match raw.value.parse::<CarrierRef>() {
            Ok(r) => Some(r),
            Err(message) => {
                self.err_hint(
                    line,
                    col,
                    format!("{message} (carriers: cmcc, cucc, ctcc; symbols: a, b, c)"),
                    hint(&raw.value, CarrierRef::WORDS),
                );
                None
            }
        }
    }

    /// In a case with symbols, `${a.carrier}` names the symbol: no role may be called `a`, `b`, `c`.
    fn symbol_names(&mut self, roles: &[RoleDecl]) {
        let used: BTreeSet<Symbol> = roles.iter().flat_map(RoleDecl::symbols).collect();
        if used.is_empty() {
            return;
        }
        for role in roles {
            if Symbol::parse(&role.name).is_some() {
                self.err(
                    role.line,
                    1,
                    format!(
                        "`{}` is a carrier symbol in this case and cannot name a role",
                        role.name
                    ),
                );
            }
        }
    }

    fn step(
        &mut self,
        spanned: &Spanned<RawStep>,
        roles: &[RoleDecl],
        saved: &mut BTreeSet<String>,
    ) -> Option<Step> {
        let (line, col) = loc(spanned);
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        let kind = match &spanned.value {
            RawStep::Act {
                role,
                action,
                params,
            } => {
                let Some(decl) = roles.iter().find(|r| &r.name == role) else {
                    self.err_hint(
                        line,
                        col,
                        format!("`{role}` is neither a role of this case nor a step keyword"),
                        hint(
                            role,
                            names
                                .iter()
                                .copied()
                                .chain(["expect", "expect-none", "wait"]),
                        ),
                    );
                    return None;
                };
                let known: Vec<&str> = self
                    .factory
                    .actions()
                    .iter()
                    .filter(|a| a.kind == decl.kind)
                    .map(|a| a.name)
                    .collect();
                if !known.contains(&action.as_str()) {
                    self.err_hint(
                        line,
                        col,
                        format!("a {} has no action `{action}`", decl.kind),
                        hint(action, known),
                    );
                    return None;
                }
                if let Err(e) = self.factory.check_action(decl.kind, action, params) {
                    self.err(line, col, format!("bad parameters for `{action}`: {e}"));
                }
                self.references(
                    line,
                    col,
                    params.values().filter_map(|v| v.as_str()),
                    &names,
                    saved,
                );
                StepKind::Act {
                    role: role.clone(),
                    action: action.clone(),
                    params: params.clone(),
                }
            }
            RawStep::Expect(e) => {
                StepKind::Expect(self.expect(e, line, col, &names, saved, false)?)
            }
            RawStep::ExpectNone(e) => {
                StepKind::ExpectNone(self.expect(e, line, col, &names, saved, true)?)
            }
            RawStep::Wait(text) => match CaseDuration::parse(text) {
                Ok(d) => StepKind::Wait(d),
                Err(e) => {
                    self.err(line, col, format!("bad `wait`: {e}"));
                    return None;
                }
            },
        };
        Some(Step { line, kind })
    }

    fn expect(
        &mut self,
        e: &RawExpect,
        line: usize,
        col: usize,
        names: &[&str],
        saved: &mut BTreeSet<String>,
        none: bool,
    ) -> Option<Expect> {
        if !names.contains(&e.at.as_str()) {
            self.err_hint(
                line,
                col,
                format!("`at: {}` is not a role of this case", e.at),
                hint(&e.at, names.iter().copied()),
            );
        }
        let what = self.what(e, line, col);
        if let Some(n) = e.count {
            if none {
                self.err(
                    line,
                    col,
                    "`count` belongs on `expect`; `expect-none` already means zero",
                );
            } else if n == 0 {
                self.err_hint(
                    line,
                    col,
                    "`count: 0` can never be met",
                    "write `expect-none` for a message that must not arrive".to_owned(),
                );
            }
        }
        let direction = match e.direction.as_deref() {
            None | Some("in") => Direction::In,
            Some("out") => Direction::Out,
            Some(other) => {
                self.err_hint(
                    line,
                    col,
                    format!("unknown direction `{other}`"),
                    hint(other, ["in", "out"]),
                );
                Direction::In
            }
        };
        let default_within = if none { "500ms" } else { "2s" };
        let within = CaseDuration::parse(e.within.as_deref().unwrap_or(default_within))
            .map_err(|m| self.err(line, col, format!("bad `within`: {m}")))
            .ok();
        if e.rule.trim().is_empty() {
            self.err(
                line,
                col,
                "`rule` is empty: name the clause that requires this message",
            );
        }
        let protocol = what.as_ref().map(|w| w.protocol);
        let filter = self.checks(&e.filter, CheckUse::Filter, names, saved, protocol);
        let checks = self.checks(&e.checks, CheckUse::Check, names, saved, protocol);
        if none && (!checks.is_empty() || !e.save.is_empty()) {
            self.err(
                line,
                col,
                "`expect-none` takes `where` filters but no `checks` or `save`",
            );
        }
        let mut save = Vec::new();
        for (name, raw) in &e.save {
            let (l, c) = loc(raw);
            match parse_check(&raw.value, CheckUse::Save, l) {
                Ok(check) => {
                    if let Some(m) = protocol.and_then(|p| mismatch(&check.subject, p)) {
                        self.err(l, c, format!("bad `save` entry `{name}`: {m}"));
                    }
                    save.push((name.clone(), check.subject, l));
                }
                Err(m) => {
                    self.err(l, c, format!("bad `save` entry `{name}`: {m}"));
                }
            }
            saved.insert(name.clone());
        }
        Some(Expect {
            at: e.at.clone(),
            what: what?,
            count: e.count,
            direction,
            within: within?,
            rule: e.rule.trim().to_owned(),
            filter,
            checks,
            save,
        })
    }

    /// `sip:`, `msrp:` or `http:`: exactly one, parsed.
    fn what(&mut self, e: &RawExpect, line: usize, col: usize) -> Option<MessageFilter> {
        match what(e.sip.as_deref(), e.msrp.as_deref(), e.http.as_deref()) {
            Ok(parsed) => Some(parsed),
            Err(WhatError::Count(0)) => {
                self.err_hint(
                    line,
                    col,
                    "an expectation needs `sip`, `msrp` or `http`: what must arrive",
                    ONE_OF.to_owned(),
                );
                None
            }
            Err(WhatError::Count(_)) => {
                let given: Vec<&str> =
                    [("`sip`", &e.sip), ("`msrp`", &e.msrp), ("`http`", &e.http)]
                        .into_iter()
                        .filter_map(|(k, v)| v.as_ref().map(|_| k))
                        .collect();
                let m = match given.as_slice() {
                    [a, b] => format!("an expectation names {a} or {b}, not both"),
                    _ => "an expectation names one of `sip`, `msrp` and `http`, not all three"
                        .to_owned(),
                };
                self.err_hint(line, col, m, ONE_OF.to_owned());
                None
            }
            Err(WhatError::Bad(m)) => {
                self.err(line, col, m);
                None
            }
        }
    }

    fn checks(
        &mut self,
        raws: &[Spanned<RawCheck>],
        usage: CheckUse,
        names: &[&str],
        saved: &BTreeSet<String>,
        protocol: Option<Protocol>,
    ) -> Vec<Check> {
        let mut out = Vec::new();
        for raw in raws {
            let (line, col) = loc(raw);
            match parse_check(&raw.value, usage, line) {
                Ok(check) if protocol.and_then(|p| mismatch(&check.subject, p)).is_some() => {
                    let m = protocol.and_then(|p| mismatch(&check.subject, p));
                    self.err(line, col, m.unwrap_or_default());
                }
                Ok(check) => {
                    self.references(
                        line,
                        col,
                        refs::predicate_strings(&check.predicate),
                        names,
                        saved,
                    );
                    out.push(check);
                }
                Err(m) => {
                    self.err(line, col, m);
                }
            }
        }
        out
    }

    /// Every `${root...}` must start with a role name or a value saved by an earlier step.
    fn references<'s>(
        &mut self,
        line: usize,
        col: usize,
        strings: impl IntoIterator<Item = &'s str>,
        names: &[&str],
        saved: &BTreeSet<String>,
    ) {
        for s in strings {
            match refs::references(s) {
                Err(m) => {
                    self.err(line, col, m);
                }
                Ok(found) => {
                    for r in found {
                        let root = r.split('.').next().unwrap_or(&r);
                        if !names.contains(&root) && !saved.contains(root) {
                            let known = names
                                .iter()
                                .copied()
                                .chain(saved.iter().map(String::as_str));
                            self.err_hint(line, col, format!("`${{{r}}}` refers to `{root}`, which is neither a role nor a value saved earlier"), hint(root, known));
                        }
                    }
                }
            }
        }
    }

    fn detects(&mut self, raw: &RawCase, kind: Option<RoleKind>, steps: &[Step]) -> Vec<Detect> {
        let catalogue = self.factory.faults();
        let rules: BTreeSet<&str> = steps.iter().flat_map(step_rules).collect();
        let mut out = Vec::new();
        for (fault, rule) in &raw.detects {
            let (line, col) = loc(rule);
            match catalogue.iter().find(|f| f.id == fault) {
                None => self.err_hint(
                    line,
                    col,
                    format!("unknown fault `{fault}`"),
                    hint(fault, catalogue.iter().map(|f| f.id)),
                ),
                Some(spec) if Some(spec.kind) != kind => {
                    self.err(
                        line,
                        col,
                        format!(
                            "fault `{fault}` is a {} fault, but the role under test is a {}",
                            spec.kind,
                            kind.map(|k| k.as_str()).unwrap_or("?")
                        ),
                    );
                }
                Some(_) if !rules.contains(rule.value.trim()) => {
                    self.err(line, col, format!("no check or expectation of this case has `rule: {}`, so nothing can catch `{fault}`", rule.value.trim()));
                }
                Some(_) => out.push(Detect {
                    fault: fault.clone(),
                    rule: rule.value.trim().to_owned(),
                    line,
                }),
            }
        }
        out
    }
}

fn step_rules(step: &Step) -> Vec<&str> {
    match &step.kind {
        StepKind::Expect(e) | StepKind::ExpectNone(e) => std::iter::once(e.rule.as_str())
            .chain(e.checks.iter().map(|c| c.rule.as_str()))
            .collect(),
        _ => Vec::new(),
    }
}

/// How to name what an expectation waits for.
const ONE_OF: &str = "write `sip: MESSAGE` (a SIP method, status or class), `msrp: SEND` (SEND, REPORT, AUTH, a status or class) or `http: POST` (an HTTP method, status or class)";

/// Why `sip:`/`msrp:`/`http:` do not name one filter.
pub(crate) enum WhatError {
    /// How many of the three were given, when not exactly one.
    Count(usize),
    /// The one given does not parse.
    Bad(String),
}

/// The filter of exactly one of `sip`, `msrp`, `http`.
pub(crate) fn what(
    sip: Option<&str>,
    msrp: Option<&str>,
    http: Option<&str>,
) -> Result<MessageFilter, WhatError> {
    match (sip, msrp, http) {
        (Some(s), None, None) => {
            MessageFilter::parse(s).map_err(|m| WhatError::Bad(format!("bad `sip`: {m}")))
        }
        (None, Some(m), None) => {
            MessageFilter::parse_msrp(m).map_err(|m| WhatError::Bad(format!("bad `msrp`: {m}")))
        }
        (None, None, Some(h)) => {
            MessageFilter::parse_http(h).map_err(|m| WhatError::Bad(format!("bad `http`: {m}")))
        }
        _ => Err(WhatError::Count(
            [sip, msrp, http].iter().filter(|x| x.is_some()).count(),
        )),
    }
}

/// Why a subject cannot be read from messages of `protocol`, if it cannot.
pub(crate) fn mismatch(subject: &Subject, protocol: Protocol) -> Option<String> {
    if let (Subject::Message { field }, Protocol::Http) = (subject, protocol)
        && matches!(field.as_str(), "complete" | "chunks" | "largest-chunk")
    {
        return Some(format!(
            "`message: {field}` describes MSRP chunks; an HTTP body has `size`, `sha256`, `text` and `content-type`"
        ));
    }
    if subject.applies_to(protocol) {
        return None;
    }
    let key = subject.key();
    let this = match protocol {
        Protocol::Sip => "SIP messages",
        Protocol::Msrp => "MSRP frames",
        Protocol::Http => "HTTP messages",
    };
    let reads = match subject.protocols() {
        [Protocol::Sip] => "SIP messages",
        [Protocol::Msrp, Protocol::Http] => "MSRP chunks",
        [Protocol::Http] => "HTTP messages",
        [Protocol::Sip, Protocol::Msrp] => "SIP messages and MSRP frames",
        _ => "SIP and HTTP requests",
    };
    let under: Vec<&str> = subject
        .protocols()
        .iter()
        .map(|p| match p {
            Protocol::Sip => "`sip:`",
            Protocol::Msrp => "`msrp:`",
            Protocol::Http => "`http:`",
        })
        .collect();
    Some(format!(
        "`{key}` reads {reads}, but this names {this}: use it under {}",
        under.join(" or ")
    ))
}

fn loc<T>(s: &Spanned<T>) -> (usize, usize) {
    (s.referenced.line() as usize, s.referenced.column() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_lose_their_location_prefix_and_gain_a_hint() {
        let m = strip_location_prefix(
            "error: line 15 column 7: unknown field `chekcs`, expected one of at, sip, checks, save",
        );
        assert_eq!(
            m,
            "unknown field `chekcs`, expected one of at, sip, checks, save"
        );
        assert_eq!(
            unknown_field_hint(&m).as_deref(),
            Some("did you mean `checks`?")
        );
        assert_eq!(
            unknown_field_hint("unknown field `x`, expected `a` or `b`"),
            None
        );
    }
}

#[cfg(test)]
#[path = "loader_tests.rs"]
mod session_tests;

#[cfg(test)]
#[path = "carrier_loader_tests.rs"]
mod carrier_tests;
