//! Building SIP messages (RFC 3261 7, 8.1.1, 8.2.6).
//!
//! [`MessageBuilder`] writes exactly what it is told, in the order it is told, with CRLF line
//! ends and `Name: value` header lines, and appends `Content-Length` last unless one was set.
//! It does not add Via, Max-Forwards or tags on its own, and it does not check that names and
//! values are well formed: simulators use it to send deliberate deviations too. Values must not
//! contain line breaks unless a folded header is wanted.

use std::ops::Range;

use bytes::{BufMut, Bytes, BytesMut};

use super::head::normalize_value;
use super::message::{Header, Message, StartLine};
use super::names::names_equal;
use super::split::separator_positions;

/// Builds a [`Message`] header by header.
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    start_line: StartLine,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl MessageBuilder {
    /// Starts a request `method uri SIP/2.0`.
    pub fn request(method: &str, uri: &str) -> Self {
        Self::new(StartLine::Request {
            method: method.to_owned(),
            uri: uri.to_owned(),
            version: "SIP/2.0".to_owned(),
        })
    }

    /// Starts a response `SIP/2.0 status reason`.
    pub fn response(status: u16, reason: &str) -> Self {
        Self::new(StartLine::Response {
            version: "SIP/2.0".to_owned(),
            status,
            reason: reason.to_owned(),
        })
    }

    /// Starts a response to `req`, copying every Via (in order), From, To, Call-ID and CSeq
    /// (RFC 3261 8.2.6.2).
    pub fn response_to(req: &Message, status: u16, reason: &str) -> Self {
        let mut builder = Self::response(status, reason);
        for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
            for value in req.header_all(name) {
                builder = builder.header(name, value);
            }
        }
        builder
    }

    /// Appends a header line, as given.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Removes every line of this header (case-insensitive, compact forms equal long forms).
    pub fn remove_header(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !names_equal(n, name));
        self
    }

    /// Replaces the first line of this header in place, or appends it.
    pub fn set_header(mut self, name: &str, value: &str) -> Self {
        match self.headers.iter_mut().find(|(n, _)| names_equal(n, name)) {
            Some(slot) => *slot = (name.to_owned(), value.to_owned()),
            None => self.headers.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Adds `;tag=` to the first To header if it has no tag parameter.
    pub fn to_tag(mut self, tag: &str) -> Self {
        if let Some((_, value)) = self.headers.iter_mut().find(|(n, _)| names_equal(n, "To"))
            && !has_tag(value)
        {
            value.push_str(";tag=");
            value.push_str(tag);
        }
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(self, content_type: &str, body: impl Into<Bytes>) -> Self {
        let mut builder = self.set_header("Content-Type", content_type);
        builder.body = body.into();
        builder
    }

    /// Writes the message. Content-Length is appended last unless a Content-Length header was
    /// set explicitly (even a wrong one, on purpose).
    pub fn build(mut self) -> Message {
        if !self
            .headers
            .iter()
            .any(|(n, _)| names_equal(n, "Content-Length"))
        {
            let len = self.body.len().to_string();
            self.headers.push(("Content-Length".to_owned(), len));
        }
        let mut out = BytesMut::new();
        out.put_slice(start_line_text(&self.start_line).as_bytes());
        let start_span = 0..out.len();
        out.put_slice(b"\r\n");
        let mut headers = Vec::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let from = out.len();
            out.put_slice(name.as_bytes());
            out.put_slice(b": ");
            out.put_slice(value.as_bytes());
            headers.push(Header {
                name: name.clone(),
                value: normalize_value(value.as_bytes()),
                span: from..out.len(),
            });
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"\r\n");
        let body: Range<usize> = out.len()..out.len() + self.body.len();
        out.put_slice(&self.body);
        Message {
            raw: out.freeze(),
            start_line: self.start_line,
            start_span,
            headers,
            body,
        }
    }

    fn new(start_line: StartLine) -> Self {
        Self {
            start_line,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
}

fn start_line_text(start: &StartLine) -> String {
    match start {
        StartLine::Request {
            method,
            uri,
            version,
        } => format!("{method} {uri} {version}"),
        StartLine::Response {
            version,
            status,
            reason,
        } => format!("{version} {status} {reason}"),
    }
}

/// True if a To/From value carries a `tag` header parameter (after the URI).
pub(crate) fn has_tag(value: &str) -> bool {
    let params_from = value.rfind('>').unwrap_or_default();
    let params = &value[params_from..];
    separator_positions(params, b';').into_iter().any(|at| {
        let name = params[at + 1..]
            .split(['=', ';'])
            .next()
            .unwrap_or_default()
            .trim();
        name.eq_ignore_ascii_case("tag")
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn builds_exact_bytes() {
        let msg = MessageBuilder::request("MESSAGE", "sip:bob@x")
            .header("Via", "SIP/2.0/TCP a;branch=z9hG4bK1")
            .header("To", "<sip:bob@x>")
            .body("text/plain", &b"hi"[..])
            .build();
        assert_eq!(
            msg.as_bytes(),
            b"MESSAGE sip:bob@x SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\n\
To: <sip:bob@x>\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
        );
        assert_eq!(Message::parse(msg.raw().clone()).unwrap(), msg);
    }

    #[test]
    fn response_to_copies_dialog_headers() {
        let req = Message::parse(
            &b"OPTIONS sip:x SIP/2.0\r\nv: SIP/2.0/UDP a\r\nVia: SIP/2.0/UDP b\r\n\
f: <sip:a@x>;tag=1\r\nt: <sip:b@x>\r\ni: c1\r\nCSeq: 7 OPTIONS\r\nMax-Forwards: 70\r\n\r\n"[..],
        )
        .unwrap();
        let resp = MessageBuilder::response_to(&req, 200, "OK")
            .to_tag("srv")
            .build();
        let names: Vec<_> = resp.headers().iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Via",
                "Via",
                "From",
                "To",
                "Call-ID",
                "CSeq",
                "Content-Length"
            ]
        );
        assert_eq!(resp.header("To"), Some("<sip:b@x>;tag=srv"));
        assert_eq!(resp.header_all("Via"), ["SIP/2.0/UDP a", "SIP/2.0/UDP b"]);
        assert_eq!(resp.header("Max-Forwards"), None);
        assert_eq!(resp.summary(), "200 OK");
    }

    #[test]
    fn to_tag_keeps_existing_tag() {
        let msg = MessageBuilder::response(200, "OK")
            .header("t", "sip:b@x;TAG=a")
            .to_tag("b")
            .build();
        assert_eq!(msg.header("To"), Some("sip:b@x;TAG=a"));
        assert!(!has_tag("<sip:b@x;tag=1>"));
        assert!(has_tag("\"a;tag=x\" <sip:b@x>; tag = 2"));
        assert!(!has_tag("\"a;tag=x\" <sip:b@x>"));
    }

    #[test]
    fn set_remove_and_explicit_content_length() {
        let msg = MessageBuilder::request("INFO", "sip:x")
            .header("Subject", "a")
            .header("X", "1")
            .set_header("s", "b")
            .set_header("Content-Length", "99")
            .header("Y", "2")
            .remove_header("x")
            .build();
        let lines: Vec<_> = msg
            .headers()
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        assert_eq!(lines, [("s", "b"), ("Content-Length", "99"), ("Y", "2")]);
        assert_eq!(msg.body(), b"");
    }

    #[test]
    fn empty_reason_keeps_separator() {
        let msg = MessageBuilder::response(100, "").build();
        assert!(msg.as_bytes().starts_with(b"SIP/2.0 100 \r\n"));
        assert_eq!(Message::parse(msg.raw().clone()).unwrap(), msg);
    }
}
