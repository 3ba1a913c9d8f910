//! Conformance findings on a parsed CPIM message: what a check may flag without the parser
//! refusing the message.
//!
//! Rules: From and To present and of the form `[display-name] <URI>` (RFC 3862 §4.1, §4.2);
//! DateTime present (RFC 3862 §4.4 makes it optional, RFC 5438 needs it to correlate IMDNs, and
//! protocols.md §4.4 requires it) and RFC 3339 (RFC 3862 §4.4); every `NS` well formed and
//! declared before the headers that use its prefix (RFC 3862 §3.4, ROB-BODY-001); the content
//! has a Content-Type, and a Content-Length, in either spelling, that matches the body.

use std::fmt;

use super::{CpimMessage, Scope, is_rfc3339, parse_ns, split_name};

/// One way a CPIM message departs from the rules the validator checks: From and To present and
/// `[display-name] <URI>`; DateTime present and RFC 3339; every `NS` well formed and declared
/// before the headers that use its prefix; a content Content-Type; a Content-Length (in either
/// spelling) that matches the body; an empty line after the content headers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CpimDeviation {
    /// A required message header is absent.
    MissingHeader {
        /// `From`, `To` or `DateTime`.
        name: &'static str,
    },
    /// From or To is not `[display-name] <URI>`.
    MalformedAddress {
        /// The header name.
        header: String,
        /// Its value.
        value: String,
    },
    /// DateTime is not an RFC 3339 date-time.
    MalformedDateTime {
        /// The value.
        value: String,
    },
    /// An `NS` value is not `[prefix] <URN>`.
    MalformedNamespace {
        /// The value.
        value: String,
    },
    /// A prefixed header whose prefix no `NS` declares (ROB-BODY-001).
    PrefixWithoutNamespace {
        /// The header name, such as `imdn.Message-ID`.
        header: String,
    },
    /// A prefixed header whose `NS` declaration comes only after it.
    PrefixBeforeNamespace {
        /// The header name.
        header: String,
    },
    /// The content has no Content-Type.
    MissingContentType,
    /// The content's Content-Length is not a number.
    MalformedContentLength {
        /// The value.
        value: String,
    },
    /// The content's Content-Length differs from the body size.
    ContentLengthMismatch {
        /// What the header says.
        declared: usize,
        /// The body size in bytes.
        actual: usize,
    },
    /// The content headers run to the end of the input with no empty line after them.
    UnterminatedContentHeaders,
}

impl CpimDeviation {
    /// The clause the deviation breaks.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::MissingHeader { name: "From" } => "RFC 3862 §4.1",
            Self::MissingHeader { name: "To" } => "RFC 3862 §4.2",
            Self::MissingHeader { .. } => "RFC 5438; protocols.md §4.4",
            Self::MalformedAddress { header, .. } if header == "To" => "RFC 3862 §4.2",
            Self::MalformedAddress { .. } => "RFC 3862 §4.1",
            Self::MalformedDateTime { .. } => "RFC 3862 §4.4",
            Self::MalformedNamespace { .. }
            | Self::PrefixWithoutNamespace { .. }
            | Self::PrefixBeforeNamespace { .. } => "RFC 3862 §3.4",
            Self::MissingContentType
            | Self::MalformedContentLength { .. }
            | Self::ContentLengthMismatch { .. }
            | Self::UnterminatedContentHeaders => "RFC 3862 §2.4",
        }
    }
}

impl fmt::Display for CpimDeviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader { name } => write!(f, "the {name} header is missing"),
            Self::MalformedAddress { header, value } => {
                write!(f, "{header} {value:?} is not [display-name] <URI>")
            }
            Self::MalformedDateTime { value } => {
                write!(f, "DateTime {value:?} is not an RFC 3339 date-time")
            }
            Self::MalformedNamespace { value } => write!(f, "NS {value:?} is not [prefix] <URN>"),
            Self::PrefixWithoutNamespace { header } => {
                write!(f, "{header} uses a prefix that no NS header declares")
            }
            Self::PrefixBeforeNamespace { header } => {
                write!(
                    f,
                    "{header} comes before the NS header that declares its prefix"
                )
            }
            Self::MissingContentType => f.write_str("the content has no Content-Type"),
            Self::MalformedContentLength { value } => {
                write!(f, "Content-Length {value:?} is not a number")
            }
            Self::ContentLengthMismatch { declared, actual } => {
                write!(
                    f,
                    "Content-Length says {declared} bytes but the body has {actual}"
                )
            }
            Self::UnterminatedContentHeaders => {
                f.write_str("no empty line follows the content headers")
            }
        }
    }
}

impl CpimMessage {
    /// Every departure from the rules listed on [`CpimDeviation`], in a stable order: addresses,
    /// DateTime, namespaces, content.
    pub fn validate(&self) -> Vec<CpimDeviation> {
        let mut found = Vec::new();
        self.check_addresses(&mut found);
        self.check_datetime(&mut found);
        self.check_namespaces(&mut found);
        self.check_content(&mut found);
        found
    }

    fn check_addresses(&self, found: &mut Vec<CpimDeviation>) {
        for name in ["From", "To"] {
            let values = self.header_values(name);
            if values.is_empty() {
                found.push(CpimDeviation::MissingHeader { name });
            }
            found.extend(values.into_iter().filter(|v| !is_address(v)).map(|v| {
                CpimDeviation::MalformedAddress {
                    header: name.to_owned(),
                    value: v.to_owned(),
                }
            }));
        }
    }

    fn check_datetime(&self, found: &mut Vec<CpimDeviation>) {
        match self.header("DateTime") {
            None => found.push(CpimDeviation::MissingHeader { name: "DateTime" }),
            Some(v) if !is_rfc3339(v) => found.push(CpimDeviation::MalformedDateTime {
                value: v.to_owned(),
            }),
            Some(_) => {}
        }
    }

    fn check_namespaces(&self, found: &mut Vec<CpimDeviation>) {
        let mut scope = Scope::default();
        for (header, value) in self.headers() {
            if header == "NS" {
                if parse_ns(value).is_none() {
                    found.push(CpimDeviation::MalformedNamespace {
                        value: value.clone(),
                    });
                }
                scope.declare(value);
                continue;
            }
            let (Some(prefix), _) = split_name(header) else {
                continue;
            };
            if scope.resolve(Some(prefix)).is_some() {
                continue;
            }
            let declared_later = self.namespaces().iter().any(|(p, _)| p == prefix);
            let header = header.clone();
            found.push(match declared_later {
                true => CpimDeviation::PrefixBeforeNamespace { header },
                false => CpimDeviation::PrefixWithoutNamespace { header },
            });
        }
    }

    fn check_content(&self, found: &mut Vec<CpimDeviation>) {
        if self.content_type().is_none() {
            found.push(CpimDeviation::MissingContentType);
        }
        if let Some(value) = self.content_header("Content-Length") {
            match value.trim().parse::<usize>() {
                Ok(declared) if declared != self.body().len() => {
                    found.push(CpimDeviation::ContentLengthMismatch {
                        declared,
                        actual: self.body().len(),
                    });
                }
                Ok(_) => {}
                Err(_) => found.push(CpimDeviation::MalformedContentLength {
                    value: value.to_owned(),
                }),
            }
        }
        if !self.content_terminated() {
            found.push(CpimDeviation::UnterminatedContentHeaders);
        }
    }
}

/// `[display-name] <URI>` with a non-empty URI.
fn is_address(value: &str) -> bool {
    let Some(open) = value.find('<') else {
        return false;
    };
    value[open + 1..]
        .strip_suffix('>')
        .is_some_and(|uri| !uri.is_empty() && !uri.contains(['<', '>']))
}
