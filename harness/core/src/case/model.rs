//! The typed case: what the runner executes, after the loader has checked everything it can.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::case::carriers::{CarrierRef, Symbol};
use crate::case::duration::CaseDuration;
use crate::events::{Direction, Protocol, Transport};
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

    /// The carrier symbols the roles use, sorted, each once: a case with symbols runs once per
    /// binding of them to carriers.
    pub fn symbols(&self) -> Vec<Symbol> {
        let mut out: Vec<Symbol> = self.roles.iter().flat_map(RoleDecl::symbols).collect();
        out.sort();
        out.dedup();
        out
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
    /// The carrier whose network the role belongs to (`carrier:`; China Mobile when not said).
    pub carrier: CarrierRef,
    /// For terminals: the carrier whose number range the number comes from, when it is not the
    /// carrier's own (`number-from:`, a ported number).
    pub number_from: Option<CarrierRef>,
    pub settings: Map<String, Value>,
    pub line: usize,
}

impl RoleDecl {
    /// The symbols this role names, in `carrier:` then `number-from:` order.
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        [Some(self.carrier), self.number_from]
            .into_iter()
            .flatten()
            .filter_map(CarrierRef::symbol)
    }
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
            StepKind::Expect(e) => match e.count {
                Some(n) => format!("expect {n} × {} at {} within {}", e.what, e.at, e.within),
                None => format!("expect {} at {} within {}", e.what, e.at, e.within),
            },
            StepKind::ExpectNone(e) => {
                format!("expect no {} at {} for {}", e.what, e.at, e.within)
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
    /// What arrives: `sip: MESSAGE` or `msrp: SEND`.
    pub what: MessageFilter,
    /// `count: N`: exactly N matching messages within `within`; `None` is the first match only.
    pub count: Option<u32>,
    pub direction: Direction,
    pub within: CaseDuration,
    pub rule: String,
    pub filter: Vec<Check>,
    pub checks: Vec<Check>,
    pub save: Vec<(String, Subject, usize)>,
}

/// Which messages an expectation or rule is about: `sip: MESSAGE`, `sip: 200|202`, `msrp: SEND`,
/// `msrp: 2xx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageFilter {
    pub protocol: Protocol,
    pub text: String,
    pub alternatives: Vec<MessageMatch>,
}

/// The filters of SIP are the filters of MSRP: the same shape, another protocol.
pub type SipFilter = MessageFilter;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageMatch {
    Method(String),
    Status(u16),
    /// A class such as `4xx`: the hundreds digit.
    Class(u16),
}

/// The MSRP request methods (RFC 4975 §7.1, §7.1.2; RFC 4976 §5 for AUTH).
pub const MSRP_METHODS: [&str; 3] = ["SEND", "REPORT", "AUTH"];

impl MessageFilter {
    /// A SIP filter: methods in capitals, status codes 100-699, classes 1xx-6xx.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::parse_for(Protocol::Sip, text)
    }

    /// An MSRP filter: SEND, REPORT or AUTH, status codes 200-599 (RFC 4975 §10), classes 2xx-5xx.
    pub fn parse_msrp(text: &str) -> Result<Self, String> {
        Self::parse_for(Protocol::Msrp, text)
    }

    /// An HTTP filter: methods in capitals (`POST`, `GET`), status codes 100-599 (RFC 9110 §15),
    /// classes 1xx-5xx.
    pub fn parse_http(text: &str) -> Result<Self, String> {
        Self::parse_for(Protocol::Http, text)
    }

    pub fn parse_for(protocol: Protocol, text: &str) -> Result<Self, String> {
        let alternatives = text
            .split('|')
            .map(|alt| parse_alternative(protocol, alt.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            protocol,
            text: text.trim().to_owned(),
            alternatives,
        })
    }

    /// Whether a message with this method (requests) or status (responses) matches.
    pub fn accepts(&self, method: Option<&str>, status: Option<u16>) -> bool {
        self.alternatives.iter().any(|m| match (m, method, status) {
            (MessageMatch::Method(x), Some(method), _) => x == method,
            (MessageMatch::Status(x), _, Some(status)) => *x == status,
            (MessageMatch::Class(x), _, Some(status)) => status / 100 == *x,
            _ => false,
        })
    }

    /// `SIP`, `MSRP` or `HTTP`.
    pub fn protocol_name(&self) -> &'static str {
        match self.protocol {
            Protocol::Msrp => "MSRP",
            Protocol::Http => "HTTP",
            Protocol::Sip => "SIP",
        }
    }
}

impl std::fmt::Display for MessageFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.protocol_name(), self.text)
    }
}

fn parse_alternative(protocol: Protocol, alt: &str) -> Result<MessageMatch, String> {
    let (codes, classes) = match protocol {
        Protocol::Msrp => (200..=599, 2..=5),
        Protocol::Http => (100..=599, 1..=5),
        Protocol::Sip => (100..=699, 1..=6),
    };
    if let Ok(code) = alt.parse::<u16>() {
        if !codes.contains(&code) {
            return Err(format!(
                "status `{alt}` is not between {} and {}",
                codes.start(),
                codes.end()
            ));
        }
        return Ok(MessageMatch::Status(code));
    }
    if alt.len() == 3 && alt.ends_with("xx") {
        return alt[..1]
            .parse::<u16>()
            .ok()
            .filter(|d| classes.contains(d))
            .map(MessageMatch::Class)
            .ok_or_else(|| format!("`{alt}` is not a status class such as `4xx`"));
    }
    match protocol {
        Protocol::Msrp if MSRP_METHODS.contains(&alt) => Ok(MessageMatch::Method(alt.to_owned())),
        Protocol::Msrp => Err(format!(
            "`{alt}` is neither an MSRP method (SEND, REPORT, AUTH), a status (200) nor a class (4xx)"
        )),
        _ if !alt.is_empty() && alt.bytes().all(|b| b.is_ascii_uppercase() || b == b'-') => {
            Ok(MessageMatch::Method(alt.to_owned()))
        }
        Protocol::Http => Err(format!(
            "`{alt}` is neither an HTTP method in capitals (POST, GET), a status (200) nor a class (4xx)"
        )),
        _ => Err(format!(
            "`{alt}` is neither a SIP method in capitals (MESSAGE), a status (200) nor a class (4xx)"
        )),
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

/// What a check looks at in a SIP message, an MSRP frame or an HTTP message.
#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    Header {
        name: String,
        param: Option<String>,
    },
    FeatureTags {
        header: String,
    },
    Status,
    Reason,
    RequestUri,
    Body,
    Cpim {
        name: String,
    },
    Imdn {
        field: String,
    },
    Digest,
    /// A value of the SDP offer or answer in a SIP body (RFC 4566; RFC 4975 §8 for MSRP media).
    Sdp {
        name: String,
    },
    /// The body of one part of a multipart SIP body (RFC 2046 5.1), by media type.
    Part {
        media_type: String,
    },
    /// The MSRP message rebuilt from every chunk an expectation matched (RFC 4975 §7.3.1), or
    /// the body of an HTTP message.
    Message {
        field: String,
    },
    /// A query parameter of an HTTP request target, percent-decoded (RFC 3986 §3.4).
    Query {
        name: String,
    },
    /// A part of a multipart/form-data HTTP body (RFC 7578) by form name: its body as text, or
    /// one of [`FORM_FIELDS`] of it.
    Form {
        name: String,
        field: Option<String>,
    },
    /// An element's text, or an attribute (last step `@name`), of the XML body, by local names
    /// from the root: `file-info[@type=file]/data/@url`.
    Xml {
        path: String,
    },
    /// A value of the JSON body by RFC 6901 pointer: `/messages/0/id`.
    Json {
        pointer: String,
    },
    /// A field of the chatbot content (protocols.md §7.2-§7.5): the CPIM inner content of a SIP
    /// MESSAGE or MSRP SEND, or what an HTTP body carries.
    Bot {
        field: crate::case::bot_field::BotField,
    },
}

/// What `form: <name>.<field>` reads of a form part besides its body.
pub const FORM_FIELDS: [&str; 4] = ["filename", "content-type", "size", "sha256"];

impl Subject {
    /// The protocols whose messages have this subject.
    pub fn protocols(&self) -> &'static [Protocol] {
        use Protocol::{Http, Msrp, Sip};
        match self {
            Self::Header { .. } | Self::Status | Self::Reason | Self::Body => &[Sip, Msrp, Http],
            Self::Xml { .. } | Self::Json { .. } | Self::Bot { .. } => &[Sip, Msrp, Http],
            Self::Cpim { .. } | Self::Imdn { .. } => &[Sip, Msrp],
            Self::RequestUri | Self::Digest => &[Sip, Http],
            Self::FeatureTags { .. } | Self::Sdp { .. } | Self::Part { .. } => &[Sip],
            Self::Message { .. } => &[Msrp, Http],
            Self::Query { .. } | Self::Form { .. } => &[Http],
        }
    }

    /// Whether messages of `protocol` have this subject.
    pub fn applies_to(&self, protocol: Protocol) -> bool {
        self.protocols().contains(&protocol)
    }

    /// The case-file key of this subject, for diagnostics.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Header { .. } => "header",
            Self::FeatureTags { .. } => "feature-tags",
            Self::Status => "status",
            Self::Reason => "reason",
            Self::RequestUri => "request-uri",
            Self::Body => "body",
            Self::Cpim { .. } => "cpim",
            Self::Imdn { .. } => "imdn",
            Self::Digest => "digest",
            Self::Sdp { .. } => "sdp",
            Self::Part { .. } => "part",
            Self::Message { .. } => "message",
            Self::Query { .. } => "query",
            Self::Form { .. } => "form",
            Self::Xml { .. } => "xml",
            Self::Json { .. } => "json",
            Self::Bot { .. } => "bot",
        }
    }
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
            Self::Sdp { name } => write!(f, "SDP {name}"),
            Self::Part { media_type } => write!(f, "{media_type} part"),
            Self::Message { field } => write!(f, "message {field}"),
            Self::Query { name } => write!(f, "query parameter {name}"),
            Self::Form { name, field: None } => write!(f, "form part {name}"),
            Self::Form {
                name,
                field: Some(x),
            } => write!(f, "{x} of form part {name}"),
            Self::Xml { path } => write!(f, "XML {path}"),
            Self::Json { pointer } => write!(f, "JSON {pointer}"),
            Self::Bot { field } => write!(f, "chatbot {field}"),
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
    fn msrp_filter_methods_and_codes() {
        let f = MessageFilter::parse_msrp("SEND|REPORT").unwrap();
        assert_eq!(f.protocol, Protocol::Msrp);
        assert!(f.accepts(Some("REPORT"), None) && !f.accepts(Some("AUTH"), None));
        let f = MessageFilter::parse_msrp("2xx").unwrap();
        assert!(f.accepts(None, Some(200)) && !f.accepts(None, Some(481)));
        assert_eq!(f.to_string(), "MSRP 2xx");
        assert!(
            MessageFilter::parse_msrp("MESSAGE")
                .unwrap_err()
                .contains("SEND, REPORT, AUTH")
        );
        assert!(MessageFilter::parse_msrp("180").is_err());
        assert!(MessageFilter::parse_msrp("6xx").is_err());
    }

    #[test]
    fn http_filter_methods_and_codes() {
        let f = MessageFilter::parse_http("POST|GET").unwrap();
        assert_eq!(f.protocol, Protocol::Http);
        assert!(f.accepts(Some("GET"), None) && !f.accepts(Some("PUT"), None));
        let f = MessageFilter::parse_http("206|2xx").unwrap();
        assert!(f.accepts(None, Some(206)) && f.accepts(None, Some(201)));
        assert!(!f.accepts(None, Some(416)));
        assert_eq!(f.to_string(), "HTTP 206|2xx");
        assert!(
            MessageFilter::parse_http("post")
                .unwrap_err()
                .contains("HTTP method")
        );
        assert!(MessageFilter::parse_http("600").is_err());
        assert!(MessageFilter::parse_http("6xx").is_err());
    }

    #[test]
    fn subjects_know_their_protocols() {
        let form = Subject::Form {
            name: "File".into(),
            field: None,
        };
        assert!(form.applies_to(Protocol::Http) && !form.applies_to(Protocol::Sip));
        let message = Subject::Message {
            field: "sha256".into(),
        };
        assert!(message.applies_to(Protocol::Http) && !message.applies_to(Protocol::Sip));
        assert!(Subject::RequestUri.applies_to(Protocol::Http));
        assert!(!Subject::RequestUri.applies_to(Protocol::Msrp));
        let sdp = Subject::Sdp {
            name: "path".into(),
        };
        assert!(!sdp.applies_to(Protocol::Http));
    }

    #[test]
    fn sip_filter_rejects_nonsense() {
        assert!(SipFilter::parse("message").is_err());
        assert!(SipFilter::parse("99").is_err());
        assert!(SipFilter::parse("7xx").is_err());
        assert!(SipFilter::parse("200|").is_err());
    }
}
