//! Finding, loading, listing and validating case files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcs_harness::agent::AgentFactory;
use rcs_harness::case::{Case, CaseError, find_case_files, load_case};
use rcs_harness::plan::matches_pattern;
use rcs_harness::profile::{Profile, load_profile};
use rcs_simulators::Simulators;

use crate::exit::Exit;

/// The cases folder: `./cases`, or the one beside this binary's workspace.
pub fn default_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if !paths.is_empty() {
        return paths.to_vec();
    }
    let here = PathBuf::from("cases");
    if here.is_dir() {
        return vec![here];
    }
    vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cases")]
}

/// Load every case; the valid ones, and every problem of the others.
pub fn load_all(paths: &[PathBuf], factory: &dyn AgentFactory) -> (Vec<Arc<Case>>, Vec<CaseError>) {
    let files = match find_case_files(&default_paths(paths)) {
        Ok(f) => f,
        Err(e) => return (Vec::new(), vec![e]),
    };
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match load_case(&f, factory) {
            Ok(c) => cases.push(Arc::new(c)),
            Err(e) => errors.extend(e),
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    for c in &cases {
        if let Some(first) = seen.insert(c.id.clone(), c.file.clone()) {
            errors.push(CaseError::new(
                &c.file,
                1,
                1,
                format!("case id `{}` is also used by {}", c.id, first.display()),
            ));
        }
    }
    (cases, errors)
}

pub fn print_errors(errors: &[CaseError]) {
    for e in errors {
        eprintln!("{e}\n");
    }
}

pub fn load_profile_arg(path: Option<&Path>) -> Result<Option<Arc<Profile>>, Vec<CaseError>> {
    path.map(|p| load_profile(p).map(Arc::new)).transpose()
}

pub fn list(paths: &[PathBuf], filter: Option<&str>, faults: bool, actions: bool) -> Exit {
    let factory = Simulators;
    if faults {
        for f in factory.faults() {
            println!("{:<48} {}", f.id, f.description);
        }
        return Exit::Pass;
    }
    if actions {
        for a in factory.actions() {
            println!("{:<16} {:<14} {}", a.kind.as_str(), a.name, a.description);
        }
        return Exit::Pass;
    }
    let (cases, errors) = load_all(paths, &factory);
    for c in cases
        .iter()
        .filter(|c| filter.is_none_or(|f| matches_pattern(f, &c.id)))
    {
        println!(
            "{:<14} {:<12} {:<16} {}",
            c.id,
            c.suite.as_str(),
            c.under_test_kind().as_str(),
            c.title
        );
    }
    print_errors(&errors);
    if errors.is_empty() {
        Exit::Pass
    } else {
        Exit::InvalidInput
    }
}

pub fn validate(paths: &[PathBuf], profile: Option<&Path>) -> Exit {
    let factory = Simulators;
    let (cases, mut errors) = load_all(paths, &factory);
    match load_profile_arg(profile) {
        Err(e) => errors.extend(e),
        Ok(Some(p)) => errors.extend(p.check_against(&cases, &factory)),
        Ok(None) => {}
    }
    print_errors(&errors);
    let files = cases.len()
        + errors
            .iter()
            .map(|e| &e.file)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
    eprintln!(
        "{} valid case(s), {} problem(s) in {} file(s) checked",
        cases.len(),
        errors.len(),
        files
    );
    if errors.is_empty() {
        Exit::Pass
    } else {
        Exit::InvalidInput
    }
}
