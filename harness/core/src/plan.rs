//! Planning a run: which cases, how many times (clean, or against each fault they claim to detect).

use std::sync::Arc;

use crate::case::Case;

/// One execution of one case.
#[derive(Clone, Debug)]
pub struct Execution {
    pub case: Arc<Case>,
    /// Unique in the run: the id, plus `[fault]` for a fault run.
    pub key: String,
    /// Fault injected into the simulated role under test.
    pub fault: Option<String>,
}

/// Which fault runs to add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Faults {
    /// Clean runs only.
    #[default]
    None,
    /// Each case once clean and once per fault it lists in `detects`.
    Listed,
    /// Only this fault, in the cases that list it.
    Only(String),
}

/// The executions for `cases` whose id matches `filter` (`*` wildcards, case-insensitive).
pub fn plan(cases: &[Arc<Case>], filter: Option<&str>, faults: &Faults) -> Vec<Execution> {
    let mut out = Vec::new();
    for case in cases
        .iter()
        .filter(|c| filter.is_none_or(|f| matches_pattern(f, &c.id)))
    {
        if !matches!(faults, Faults::Only(_)) {
            out.push(Execution {
                case: case.clone(),
                key: case.id.clone(),
                fault: None,
            });
        }
        for d in &case.detects {
            let wanted = match faults {
                Faults::None => false,
                Faults::Listed => true,
                Faults::Only(f) => *f == d.fault,
            };
            if wanted {
                out.push(Execution {
                    case: case.clone(),
                    key: format!("{}[{}]", case.id, d.fault),
                    fault: Some(d.fault.clone()),
                });
            }
        }
    }
    out
}

/// `PLT-REG-*`, `*MSG*`, or a plain substring; case-insensitive. Comma-separated alternatives.
pub fn matches_pattern(pattern: &str, id: &str) -> bool {
    pattern
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .any(|p| {
            let (p, id) = (p.to_ascii_uppercase(), id.to_ascii_uppercase());
            if p.contains('*') {
                wildcard(&p, &id)
            } else {
                id.contains(&p)
            }
        })
}

fn wildcard(p: &str, s: &str) -> bool {
    let parts: Vec<&str> = p.split('*').collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        match s[pos..].find(part) {
            Some(at) if i == 0 && at != 0 => return false,
            Some(at) => pos += at + part.len(),
            None => return false,
        }
    }
    parts
        .last()
        .is_none_or(|last| last.is_empty() || s.ends_with(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches_pattern("PLT-REG-*", "PLT-REG-001"));
        assert!(!matches_pattern("PLT-REG-*", "TRM-REG-001"));
        assert!(matches_pattern("*reg*", "TRM-REG-001"));
        assert!(matches_pattern("cap", "PLT-CAP-002"));
        assert!(matches_pattern("PLT-MSG-001,TRM-*", "TRM-CAP-001"));
        assert!(!matches_pattern("*-001", "PLT-REG-003"));
    }
}
