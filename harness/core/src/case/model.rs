//! The typed case: what the runner executes, after the loader has checked everything it can.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::case::duration::CaseDuration;
use crate::events::{Direction, Transport};
use crate::role::RoleKind;

/// Test suites, each a folder under `cases/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Suite {
    Platform,
    Terminal,
    Interworking,
    Robustness,
}

impl Suite {
    pub const ALL: [Suite; 4] = [
        Self::Platform,
        Self::Terminal,
        Self::Interworking,
        Self::Robustness,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Terminal => "terminal",
            Self::Interworking => "interworking",
            Self::Robustness => "robustness",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A validated case.
#[derive(Clone, Debug)]
pub struct Case {
    pub id: String,
    pub title: String,
    pub suite: Suite,
    pub feature: String,
    pub description: Option<String>,
    pub file: PathBuf,
    pub under_test: String,
    pub refs: Vec<String>,
    pub transport: Option<Transport>,
    pub requires: Vec<String>,
    pub roles: Vec<RoleDecl>,
    pub steps: Vec<Step>,
    pub detects: Vec<Detect>,
}

impl Case {
    pub fn role(&self, name: &str) -> Option<&RoleDecl> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// Kind of the role under test.
    pub fn under_test_kind(&self) -> RoleKind {
        self.role(&self.under_test)
            .map(|r| r.kind)
            .unwrap_or(RoleKind::MessageCenter)
    }
}

#[derive(Clone, Debug)]
pub struct RoleDecl {
    pub name: String,
    pub kind: RoleKind,
    /// For terminals: has a 5G Messaging subscription.
    pub rcs: bool,
    pub settings: Map<String, Value>,
    pub line: usize,
}

/// A fault the case must catch, and the rule of the check that must catch it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detect {
    pub fault: String,
    pub rule: String,
    pub line: usize,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub line: usize,
    pub kind: StepKind,
}

#[derive(Clone, Debug)]
pub enum StepKind {
    Act {
        role: String,
        action: String,
        params: Map<String, Value>,
    },
    Expect(Expect),
    ExpectNone(Expect),
    Wait(CaseDuration),
}

impl Step {
    /// One line for reports.
    pub fn summary(&self) -> String {
        match &self.kind {
            StepKind::Act {
                role,
                action,
                params,
            } if params.is_empty() => format!("{role}: {action}"),
            StepKind::Act {
                role,
                action,
                params,
            } => {
                format!("{role}: {action} {}", Value::Object(params.clone()))
            }
            StepKind::Expect(e) => format!("expect {} at {} within {}", e.sip.text, e.at, e.within),
            StepKind::ExpectNone(e) => {
                format!("expect no {} at {} for {}", e.sip.text, e.at, e.within)
            }
            StepKind::Wait(d) => format!("wait {d}"),
        }
    }

    /// The role acting or observing.
    pub fn role(&self) -> Option<&str> {
        match &self.kind {
            StepKind::Act { role, .. } => Some(role),
            StepKind::Expect(e) | StepKind::ExpectNone(e) => Some(&e.at),
            StepKind::Wait(_) => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Expect {
    pub at: String,
    pub sip: SipFilter,
    pub direction: Direction,
    pub within: CaseDuration,
    pub rule: String,
    pub filter: Vec<Check>,
    pub checks: Vec<Check>,
    pub save: Vec<(String, Subject, usize)>,
}

/// Which SIP messages an expectation is about: `MESSAGE`, `200|202`, `4xx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipFilter {
    pub text: String,
    pub alternatives: Vec<SipMatch>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SipMatch {
    Method(String),
    Status(u16),
    /// A class such as `4xx`: the hundreds digit.
    Class(u16),
}

impl SipFilter {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut alternatives = Vec::new();
        for alt in text.split('|').map(str::trim) {
            let m = if let Ok(code) = alt.parse::<u16>() {
                if !(100..=699).contains(&code) {
                    return Err(format!("status `{alt}` is not between 100 and 699"));
                }
                SipMatch::Status(code)
            } else if alt.len() == 3 && alt.ends_with("xx") {
                let d = alt[..1]
                    .parse::<u16>()
                    .ok()
                    .filter(|d| (1..=6).contains(d))
                    .ok_or_else(|| format!("`{alt}` is not a status class such as `4xx`"))?;
                SipMatch::Class(d)
            } else if !alt.is_empty() && alt.bytes().all(|b| b.is_ascii_uppercase() || b == b'-') {
                SipMatch::Method(alt.to_owned())
            } else {
                return Err(format!(
                    "`{alt}` is neither a SIP method in capitals (MESSAGE), a status (200) nor a class (4xx)"
                ));
            };
            alternatives.push(m);
        }
        Ok(Self {
            text: text.trim().to_owned(),
            alternatives,
        })
    }

    /// Whether a message with this method (requests) or status (responses) matches.
    pub fn accepts(&self, method: Option<&str>, status: Option<u16>) -> bool {
        self.alternatives.iter().any(|m| match (m, method, status) {
            (SipMatch::Method(x), Some(method), _) => x == method,
            (SipMatch::Status(x), _, Some(status)) => *x == status,
            (SipMatch::Class(x), _, Some(status)) => status / 100 == *x,
            _ => false,
        })
    }
}

/// A check: what to look at, what it must be, and the clause that says so.
#[derive(Clone, Debug)]
pub struct Check {
    pub subject: Subject,
    pub predicate: Predicate,
    pub rule: String,
    pub line: usize,
}

/// What a check looks at in a SIP message.
#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    Header { name: String, param: Option<String> },
    FeatureTags { header: String },
    Status,
    Reason,
    RequestUri,
    Body,
    Cpim { name: String },
    Imdn { field: String },
    Digest,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Header { name, param: None } => write!(f, "header {name}"),
            Self::Header {
                name,
                param: Some(p),
            } => write!(f, "parameter {p} of header {name}"),
            Self::FeatureTags { header } => write!(f, "feature tags of {header}"),
            Self::Status => f.write_str("status code"),
            Self::Reason => f.write_str("reason phrase"),
            Self::RequestUri => f.write_str("Request-URI"),
            Self::Body => f.write_str("body"),
            Self::Cpim { name } => write!(f, "CPIM {name}"),
            Self::Imdn { field } => write!(f, "IMDN {field}"),
            Self::Digest => f.write_str("digest response"),
        }
    }
}

/// What the subject must satisfy. Strings may hold `${...}` references, filled in at run time.
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    Equals(String),
    NotEquals(String),
    Contains(String),
    Matches(String),
    Exists(bool),
    OneOf(Vec<String>),
    AtMost(f64),
    AtLeast(f64),
    Includes(Vec<String>),
    Excludes(Vec<String>),
    VerifiesWith(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_filter_alternatives() {
        let f = SipFilter::parse("200|202").unwrap();
        assert!(f.accepts(None, Some(202)));
        assert!(!f.accepts(None, Some(404)));
        assert!(!f.accepts(Some("MESSAGE"), None));
        let f = SipFilter::parse("480 | 408").unwrap();
        assert!(f.accepts(None, Some(408)));
        let f = SipFilter::parse("4xx").unwrap();
        assert!(f.accepts(None, Some(404)) && !f.accepts(None, Some(500)));
        let f = SipFilter::parse("MESSAGE").unwrap();
        assert!(f.accepts(Some("MESSAGE"), None) && !f.accepts(Some("OPTIONS"), None));
    }

    #[test]
    fn sip_filter_rejects_nonsense() {
        assert!(SipFilter::parse("message").is_err());
        assert!(SipFilter::parse("99").is_err());
        assert!(SipFilter::parse("7xx").is_err());
        assert!(SipFilter::parse("200|").is_err());
    }
}
