//! The lossless SIP message model (RFC 3261 7).
//!
//! A [`Message`] keeps the exact bytes it was parsed from (or built into), the start line, the
//! header lines in wire order with their byte spans, and the body range. Header lookup is
//! case-insensitive and treats compact forms as their long forms (RFC 3261 7.3.1, 7.3.3). Typed
//! views of header values (URIs, Via, CSeq, ...) live in their own modules and are parsed on
//! demand. This module does not frame messages on a stream: see `stream`.

use std::ops::Range;

use bytes::Bytes;

use super::error::SipError;
use super::head::parse_head;
use super::names::names_equal;
use super::split::split_values;

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// `Method SP Request-URI SP SIP-Version` (RFC 3261 7.1).
    Request {
        /// The method, as sent.
        method: String,
        /// The Request-URI text, as sent.
        uri: String,
        /// The SIP version, as sent.
        version: String,
    },
    /// `SIP-Version SP Status-Code SP Reason-Phrase` (RFC 3261 7.2).
    Response {
        /// The SIP version, as sent.
        version: String,
        /// The status code.
        status: u16,
        /// The reason phrase, verbatim (may be empty).
        reason: String,
    },
}

/// One header line (possibly folded over several lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name as sent (case and compact form kept).
    pub name: String,
    /// The value, unfolded and trimmed.
    pub value: String,
    /// Byte span in the raw message from the first character of the name to the end of the
    /// last continuation line, excluding the final line end.
    pub span: Range<usize>,
}

/// A SIP request or response, with its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub(crate) raw: Bytes,
    pub(crate) start_line: StartLine,
    pub(crate) start_span: Range<usize>,
    pub(crate) headers: Vec<Header>,
    pub(crate) body: Range<usize>,
}

impl Message {
    /// Parses one complete message, such as a UDP datagram.
    ///
    /// The body is `Content-Length` octets when that header holds a usable number; octets after
    /// it are ignored (RFC 3261 18.3, RFC 4475 3.1.1.8). Without a usable Content-Length, or when
    /// it claims more octets than there are, the body runs to the end; [`Message::validate`]
    /// reports such a Content-Length.
    pub fn parse(bytes: impl Into<Bytes>) -> Result<Self, SipError> {
        let raw = bytes.into();
        let head = parse_head(&raw)?;
        let body = match head.body_start {
            None => raw.len()..raw.len(),
            Some(start) => {
                let declared = head
                    .headers
                    .iter()
                    .filter(|h| names_equal(&h.name, "Content-Length"))
                    .find_map(|h| parse_length(&h.value));
                match declared {
                    Some(len) if len <= raw.len() - start => start..start + len,
                    _ => start..raw.len(),
                }
            }
        };
        Ok(Self {
            raw,
            start_line: head.start_line,
            start_span: head.start_span,
            headers: head.headers,
            body,
        })
    }

    /// Exactly the bytes received or sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The raw bytes, shared.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// The start line.
    pub fn start_line(&self) -> &StartLine {
        &self.start_line
    }

    /// The raw text of the start line (without its line end), lossily decoded.
    pub fn start_line_text(&self) -> String {
        String::from_utf8_lossy(self.raw.get(self.start_span.clone()).unwrap_or_default())
            .into_owned()
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start_line, StartLine::Request { .. })
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        match &self.start_line {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI text of a request.
    pub fn request_uri(&self) -> Option<&str> {
        match &self.start_line {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match &self.start_line {
            StartLine::Response { status, .. } => Some(*status),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase of a response, verbatim.
    pub fn reason(&self) -> Option<&str> {
        match &self.start_line {
            StartLine::Response { reason, .. } => Some(reason),
            StartLine::Request { .. } => None,
        }
    }

    /// The SIP version of the start line, as sent.
    pub fn version(&self) -> &str {
        match &self.start_line {
            StartLine::Request { version, .. } | StartLine::Response { version, .. } => version,
        }
    }

    /// Every header line in wire order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The value of the first header line with this name (compact forms equal long forms).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| names_equal(&h.name, name))
            .map(|h| h.value.as_str())
    }

    /// The values of every header line with this name, one per line, in wire order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|h| names_equal(&h.name, name))
            .map(|h| h.value.as_str())
            .collect()
    }

    /// Every value of this header: all its lines, each split on commas outside quotes and `<>`.
    /// Empty elements are skipped.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.header_all(name)
            .into_iter()
            .flat_map(split_values)
            .collect()
    }

    /// The body octets.
    pub fn body(&self) -> &[u8] {
        self.raw.get(self.body.clone()).unwrap_or_default()
    }

    /// The body octets, shared.
    pub fn body_bytes(&self) -> Bytes {
        self.raw.slice(self.body.clone())
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Option<&str> {
        self.header("Call-ID")
    }

    /// A one-line description for reports: `MESSAGE sip:bob@x` or `200 OK`.
    pub fn summary(&self) -> String {
        match &self.start_line {
            StartLine::Request { method, uri, .. } => format!("{method} {uri}"),
            StartLine::Response { status, reason, .. } => {
                format!("{status} {reason}").trim_end().to_owned()
            }
        }
    }
}

/// Parses a Content-Length value: decimal digits only.
pub(crate) fn parse_length(value: &str) -> Option<usize> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:bob@x SIP/2.0\r\n\
v: SIP/2.0/TCP a;branch=z9hG4bK1\r\n\
Via: SIP/2.0/TCP b;branch=z9hG4bK2, SIP/2.0/UDP c\r\n\
i: abc@x\r\n\
SUBJECT: hello,\r\n world\r\n\
Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aa,urn%3Ab\"\r\n\
l: 5\r\n\
\r\n\
hello trailing";

    #[test]
    fn lookup_is_case_and_compact_insensitive() {
        let msg = Message::parse(MSG).unwrap();
        assert_eq!(msg.call_id(), Some("abc@x"));
        assert_eq!(msg.header("call-id"), Some("abc@x"));
        assert_eq!(msg.header("s"), Some("hello, world"));
        assert_eq!(
            msg.header_all("VIA"),
            vec![
                "SIP/2.0/TCP a;branch=z9hG4bK1",
                "SIP/2.0/TCP b;branch=z9hG4bK2, SIP/2.0/UDP c"
            ]
        );
        assert_eq!(msg.header_values("v").len(), 3);
        assert_eq!(msg.header_values("a").len(), 1);
        assert_eq!(msg.header("Contact"), None);
    }

    #[test]
    fn body_follows_content_length() {
        let msg = Message::parse(MSG).unwrap();
        assert_eq!(msg.body(), b"hello");
        assert_eq!(msg.as_bytes(), MSG);
        assert_eq!(msg.summary(), "MESSAGE sip:bob@x");
        assert!(msg.is_request());
        assert_eq!(msg.method(), Some("MESSAGE"));
        assert_eq!(msg.request_uri(), Some("sip:bob@x"));
        assert_eq!(msg.status(), None);
    }

    #[test]
    fn body_without_content_length_runs_to_end() {
        let msg = Message::parse(&b"SIP/2.0 200 OK\r\nX: y\r\n\r\nabc"[..]).unwrap();
        assert_eq!(msg.body(), b"abc");
        assert_eq!(msg.summary(), "200 OK");
        assert_eq!(msg.status(), Some(200));
        assert_eq!(msg.reason(), Some("OK"));
        assert_eq!(msg.method(), None);
    }

    #[test]
    fn overlong_content_length_is_lenient() {
        let msg = Message::parse(&b"SIP/2.0 200 OK\r\nContent-Length: 99\r\n\r\nabc"[..]).unwrap();
        assert_eq!(msg.body(), b"abc");
        let msg = Message::parse(&b"SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\nabc"[..]).unwrap();
        assert_eq!(msg.body(), b"abc");
    }

    #[test]
    fn unterminated_head_has_empty_body() {
        let msg = Message::parse(&b"SIP/2.0 100 \r\nCall-ID: x"[..]).unwrap();
        assert_eq!(msg.body(), b"");
        assert_eq!(msg.reason(), Some(""));
        assert_eq!(msg.summary(), "100");
        assert_eq!(msg.call_id(), Some("x"));
    }

    #[test]
    fn header_spans_point_into_raw() {
        let msg = Message::parse(MSG).unwrap();
        let subject = &msg.headers()[3];
        assert_eq!(&MSG[subject.span.clone()], b"SUBJECT: hello,\r\n world");
        assert_eq!(msg.start_line_text(), "MESSAGE sip:bob@x SIP/2.0");
    }
}
