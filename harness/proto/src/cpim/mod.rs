//! The CPIM message format (RFC 3862): the `message/cpim` wrapper of every 5G Messaging chat
//! message and IMDN.
//!
//! Layout (RFC 3862 §2, protocols.md §4.4): CPIM message headers, an empty line, the MIME headers
//! of the content, an empty line, the content. [`CpimMessage`] keeps the raw bytes and parses both
//! header sections in wire order. CPIM header names are case-sensitive (RFC 3862 §3.1), MIME ones
//! are not; [`CpimMessage::prefixed`] resolves namespaced headers such as `imdn.Message-ID` through
//! their `NS` declarations (RFC 3862 §3.4), whatever prefix the sender chose.
//!
//! Parsing is strict only where the structure is at stake: every line of both header sections
//! must end in CRLF (a bare LF is an error naming the line), header lines need a colon, and the
//! input is capped at 1 MiB. Everything a conformance check may want to flag without refusing the
//! message (missing From/To/DateTime, an imdn header without NS, a wrong Content-Length, rcsjta's
//! `Content-length` spelling is accepted) is reported by [`CpimMessage::validate`].
//!
//! Not here: the character escape mechanism of RFC 3862 §2.3 and header-name parameters
//! (`Subject:;lang=fr`), which stay in the value as written; signatures and encryption.

mod builder;
mod datetime;
mod error;
mod validate;

use base64::Engine;

pub use builder::CpimBuilder;
pub use datetime::is_rfc3339;
pub use error::CpimError;
pub use validate::CpimDeviation;

/// The largest CPIM message accepted.
pub const MAX_CPIM_SIZE: usize = 1 << 20;

/// The namespace of the IMDN headers (RFC 5438).
pub const IMDN_NS: &str = "urn:ietf:params:imdn";

/// The default namespace of unprefixed CPIM headers (RFC 3862 §3.4).
pub const CPIM_HEADERS_NS: &str = "urn:ietf:params:cpim-headers:";

/// The most header lines accepted in one section.
const MAX_HEADERS: usize = 256;

/// Name of the first section, for error messages.
const MESSAGE_HEADERS: &str = "the CPIM message headers";

/// Name of the second section, for error messages.
const CONTENT_HEADERS: &str = "the MIME content headers";

/// A parsed CPIM message with its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpimMessage {
    raw: Vec<u8>,
    headers: Vec<(String, String)>,
    content_headers: Vec<(String, String)>,
    body_start: usize,
    content_terminated: bool,
}

impl CpimMessage {
    /// Parses a CPIM message.
    pub fn parse(bytes: &[u8]) -> Result<Self, CpimError> {
        if bytes.len() > MAX_CPIM_SIZE {
            return Err(CpimError::TooLarge {
                size: bytes.len(),
                max: MAX_CPIM_SIZE,
            });
        }
        let mut cursor = Cursor::new(bytes);
        let (headers, terminated) = read_section(&mut cursor, MESSAGE_HEADERS)?;
        if !terminated {
            return Err(CpimError::MissingEmptyLine(MESSAGE_HEADERS));
        }
        let (content_headers, content_terminated) = read_section(&mut cursor, CONTENT_HEADERS)?;
        Ok(Self {
            raw: bytes.to_vec(),
            headers,
            content_headers,
            body_start: cursor.pos,
            content_terminated,
        })
    }

    /// The message as received or built.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The CPIM message headers, in wire order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first message header with exactly this name (CPIM names are case-sensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, |n| n == name)
    }

    /// The first message header with this name compared case-insensitively.
    pub fn header_ci(&self, name: &str) -> Option<&str> {
        find(&self.headers, |n| n.eq_ignore_ascii_case(name))
    }

    /// Every message header with exactly this name (To and cc may repeat).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The `NS` declarations as (prefix, URN), in wire order; the prefix is empty for a default
    /// namespace declaration. Malformed declarations are left out ([`Self::validate`] names them).
    pub fn namespaces(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "NS")
            .filter_map(|(_, v)| parse_ns(v))
            .map(|(p, u)| (p.to_owned(), u.to_owned()))
            .collect()
    }

    /// The first header named `name` in namespace `ns_urn`, resolving prefixes through the `NS`
    /// declarations that precede the header (RFC 3862 §3.4). A prefixed header with no such
    /// declaration before it is not found (ROB-BODY-001).
    pub fn prefixed(&self, ns_urn: &str, name: &str) -> Option<&str> {
        let mut scope = Scope::default();
        for (header, value) in &self.headers {
            if header == "NS" {
                scope.declare(value);
                continue;
            }
            let (prefix, local) = split_name(header);
            if local == name && scope.resolve(prefix) == Some(ns_urn) {
                return Some(value);
            }
        }
        None
    }

    /// The `imdn.Message-ID` (RFC 5438), found by namespace.
    pub fn imdn_message_id(&self) -> Option<&str> {
        self.prefixed(IMDN_NS, "Message-ID")
    }

    /// The notifications requested by `imdn.Disposition-Notification`, such as
    /// `["positive-delivery", "display"]`; empty when none are requested.
    pub fn disposition_notification(&self) -> Vec<String> {
        self.prefixed(IMDN_NS, "Disposition-Notification")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The MIME headers of the content, in wire order (folded lines unfolded).
    pub fn content_headers(&self) -> &[(String, String)] {
        &self.content_headers
    }

    /// The first content header with this name, compared case-insensitively (MIME rules).
    pub fn content_header(&self, name: &str) -> Option<&str> {
        find(&self.content_headers, |n| n.eq_ignore_ascii_case(name))
    }

    /// The content's Content-Type.
    pub fn content_type(&self) -> Option<&str> {
        self.content_header("Content-Type")
    }

    /// The content exactly as on the wire.
    pub fn body(&self) -> &[u8] {
        self.raw.get(self.body_start..).unwrap_or_default()
    }

    /// The content with its Content-Transfer-Encoding undone: base64 is decoded (line breaks and
    /// other whitespace ignored); 7bit, 8bit, binary or no encoding return the body unchanged.
    pub fn decoded_body(&self) -> Result<Vec<u8>, CpimError> {
        let encoding = self
            .content_header("Content-Transfer-Encoding")
            .map(str::trim);
        match encoding {
            None => Ok(self.body().to_vec()),
            Some(e)
                if ["7bit", "8bit", "binary"]
                    .iter()
                    .any(|k| e.eq_ignore_ascii_case(k)) =>
            {
                Ok(self.body().to_vec())
            }
            Some(e) if e.eq_ignore_ascii_case("base64") => decode_base64(self.body()),
            Some(e) => Err(CpimError::UnsupportedEncoding(e.to_owned())),
        }
    }

    /// Whether the content headers ended with an empty line (they may instead run to the end of
    /// an empty message).
    pub(crate) fn content_terminated(&self) -> bool {
        self.content_terminated
    }
}

/// The value of the first header whose name satisfies `pred`.
fn find(headers: &[(String, String)], pred: impl Fn(&str) -> bool) -> Option<&str> {
    headers
        .iter()
        .find(|(n, _)| pred(n))
        .map(|(_, v)| v.as_str())
}

/// Splits `prefix.Name`; a name without a dot has no prefix.
pub(crate) fn split_name(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((prefix, local)) => (Some(prefix), local),
        None => (None, name),
    }
}

/// Parses an `NS` value: `[prefix SP] <urn>`.
pub(crate) fn parse_ns(value: &str) -> Option<(&str, &str)> {
    let value = value.trim();
    let open = value.find('<')?;
    let urn = value[open..].strip_prefix('<')?.strip_suffix('>')?;
    let prefix = value[..open].trim();
    let prefix_ok = prefix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (prefix_ok && !urn.is_empty() && !urn.contains(['<', '>'])).then_some((prefix, urn))
}

/// The namespace bindings in force at one point of the header section.
#[derive(Default)]
pub(crate) struct Scope<'a> {
    bound: Vec<(&'a str, &'a str)>,
    default: Option<&'a str>,
}

impl<'a> Scope<'a> {
    /// Applies one `NS` value; malformed ones are ignored.
    pub(crate) fn declare(&mut self, value: &'a str) {
        match parse_ns(value) {
            Some(("", urn)) => self.default = Some(urn),
            Some(binding) => self.bound.push(binding),
            None => {}
        }
    }

    /// The URN a prefix stands for here; no prefix means the default namespace.
    pub(crate) fn resolve(&self, prefix: Option<&str>) -> Option<&'a str> {
        match prefix {
            None => Some(self.default.unwrap_or(CPIM_HEADERS_NS)),
            Some(p) => self
                .bound
                .iter()
                .rev()
                .find(|(b, _)| *b == p)
                .map(|(_, u)| *u),
        }
    }
}

fn decode_base64(body: &[u8]) -> Result<Vec<u8>, CpimError> {
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| CpimError::Base64(e.to_string()))
}

/// Walks CRLF-terminated lines.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            pos: 0,
            line: 0,
        }
    }

    /// The next line without its CRLF, and whether it had one; `None` at the end of input.
    fn next_line(&mut self, section: &'static str) -> Result<Option<(&'a [u8], bool)>, CpimError> {
        let rest = &self.bytes[self.pos..];
        if rest.is_empty() {
            return Ok(None);
        }
        self.line += 1;
        let Some(lf) = memchr::memchr(b'\n', rest) else {
            self.pos = self.bytes.len();
            return Ok(Some((rest, false)));
        };
        if lf == 0 || rest[lf - 1] != b'\r' {
            return Err(CpimError::BareLf {
                section,
                line: self.line,
            });
        }
        self.pos += lf + 1;
        Ok(Some((&rest[..lf - 1], true)))
    }
}

/// Reads header lines up to an empty line. Returns the headers and whether the empty line was
/// found (rather than the end of input).
fn read_section(
    cursor: &mut Cursor<'_>,
    section: &'static str,
) -> Result<(Vec<(String, String)>, bool), CpimError> {
    let mut headers: Vec<(String, String)> = Vec::new();
    while let Some((line, terminated)) = cursor.next_line(section)? {
        if line.is_empty() && terminated {
            return Ok((headers, true));
        }
        let err = |detail: &str| CpimError::HeaderLine {
            section,
            line: cursor.line,
            detail: detail.to_owned(),
        };
        let text = std::str::from_utf8(line).map_err(|_| err("not UTF-8"))?;
        match (text.starts_with([' ', '\t']), headers.last_mut()) {
            (true, Some(last)) if section == CONTENT_HEADERS => {
                last.1.push(' ');
                last.1.push_str(text.trim());
            }
            (true, _) => return Err(err("a folded line continues no MIME header")),
            (false, _) => headers.push(parse_header_line(text).map_err(err)?),
        }
        if headers.len() > MAX_HEADERS {
            return Err(err("too many header lines"));
        }
        if !terminated {
            break;
        }
    }
    Ok((headers, false))
}

/// Parses `Name: value`; the value is trimmed of spaces and tabs.
fn parse_header_line(text: &str) -> Result<(String, String), &'static str> {
    let (name, value) = text.split_once(':').ok_or("no colon")?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the header name is empty or has spaces or controls");
    }
    if value.contains('\r') {
        return Err("a CR inside the line");
    }
    Ok((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
