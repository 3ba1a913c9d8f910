//! The lossless HTTP/1.1 message model (RFC 9112 §2-§7, RFC 9110 §5-§6).
//!
//! A [`Request`] or [`Response`] keeps exactly the bytes it was read from (or built into), the
//! start line split into its parts, the field lines in wire order with their original case and
//! byte spans, and the body: the content bytes as framed by Content-Length, or, for the chunked
//! coding, the decoded content next to the raw bytes. Field lookup is ASCII case-insensitive.
//! Messages are made by the stream decoder (`stream`), by [`Request::parse`] /
//! [`Response::parse`] for one whole message, or by the builders. This module neither frames
//! nor validates semantics such as Host presence.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use super::error::HttpError;
use super::stream::StreamDecoder;

/// One field line (obsolete folding unfolded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name as sent.
    pub name: String,
    /// The value with OWS trimmed.
    pub value: String,
    /// Byte span of the line(s) in the raw message, line end excluded.
    pub span: Range<usize>,
}

/// What requests and responses share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fields {
    pub(crate) raw: Bytes,
    pub(crate) version: String,
    pub(crate) headers: Vec<Header>,
    /// Length of the header section, empty line included.
    pub(crate) head_len: usize,
    /// The content, decoded from the chunked coding when it was used.
    pub(crate) body: Bytes,
    pub(crate) chunked: bool,
}

/// An HTTP request, with its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) fields: Fields,
}

/// An HTTP response, with its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) fields: Fields,
}

/// Accessors both message kinds have.
macro_rules! field_accessors {
    () => {
        /// Exactly the bytes received or sent (head, framing and body).
        pub fn as_bytes(&self) -> &[u8] {
            &self.fields.raw
        }

        /// The raw bytes, shared.
        pub fn raw(&self) -> &Bytes {
            &self.fields.raw
        }

        /// The raw header section, start line and empty line included.
        pub fn head_bytes(&self) -> &[u8] {
            self.fields
                .raw
                .get(..self.fields.head_len)
                .unwrap_or_default()
        }

        /// The HTTP version as sent, such as `HTTP/1.1`.
        pub fn version(&self) -> &str {
            &self.fields.version
        }

        /// Every field line, in wire order.
        pub fn headers(&self) -> &[Header] {
            &self.fields.headers
        }

        /// The value of the first field line with this name (ASCII case-insensitive).
        pub fn header(&self, name: &str) -> Option<&str> {
            self.fields
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.as_str())
        }

        /// The values of every field line with this name, in order; values are not split at
        /// commas.
        pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
            self.fields
                .headers
                .iter()
                .filter(move |h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.as_str())
        }

        /// The content: the decoded chunks when the chunked coding was used.
        pub fn body(&self) -> &[u8] {
            &self.fields.body
        }

        /// The content, shared.
        pub fn body_bytes(&self) -> &Bytes {
            &self.fields.body
        }

        /// True when the body came in the chunked transfer coding.
        pub fn is_chunked(&self) -> bool {
            self.fields.chunked
        }

        /// The Content-Type value, if any.
        pub fn content_type(&self) -> Option<&str> {
            self.header("Content-Type")
        }

        /// True when the sender asks to close the connection after this message: `Connection:
        /// close`, or HTTP/1.0 without `Connection: keep-alive` (RFC 9112 §9.3).
        pub fn wants_close(&self) -> bool {
            let has = |option: &str| {
                self.header_values("Connection")
                    .flat_map(|v| v.split(','))
                    .any(|o| o.trim().eq_ignore_ascii_case(option))
            };
            has("close") || (self.fields.version == "HTTP/1.0" && !has("keep-alive"))
        }
    };
}

impl Request {
    /// Parses one whole request; bytes after it are an error.
    pub fn parse(bytes: impl Into<Bytes>) -> Result<Self, HttpError> {
        let mut buf = BytesMut::from(bytes.into().as_ref());
        let request = StreamDecoder::default()
            .decode_request(&mut buf)?
            .ok_or(HttpError::Truncated("request"))?;
        match buf.is_empty() {
            true => Ok(request),
            false => Err(HttpError::TrailingBytes(buf.len())),
        }
    }

    field_accessors!();

    /// The method, as sent (methods are case-sensitive).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target as sent: origin form `/path?query`, absolute form, authority or `*`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path of the target, without the query (for the absolute form, the part after the
    /// authority).
    pub fn path(&self) -> &str {
        let without_query = self
            .target
            .split_once('?')
            .map_or(&*self.target, |(p, _)| p);
        match without_query.split_once("://") {
            Some((_, rest)) => rest
                .find('/')
                .map_or("/", |at| rest.get(at..).unwrap_or("/")),
            None => without_query,
        }
    }

    /// The query of the target, after `?`, if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The first query parameter with this name, percent-decoded (`+` read as a space, as in
    /// form-urlencoded queries); a parameter without `=` gives `""`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query()?.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (query_decode(key) == name).then(|| query_decode(value))
        })
    }
}

impl Response {
    /// Parses one whole response to a `method` request. A body framed by neither
    /// Content-Length nor chunked runs to the end of `bytes` (read until close).
    pub fn parse(bytes: impl Into<Bytes>, method: &str) -> Result<Self, HttpError> {
        let mut buf = BytesMut::from(bytes.into().as_ref());
        let mut decoder = StreamDecoder::default();
        let response = match decoder.decode_response(&mut buf, method)? {
            Some(response) => response,
            None => decoder
                .decode_response_at_eof(&mut buf, method)?
                .ok_or(HttpError::Truncated("response"))?,
        };
        match buf.is_empty() {
            true => Ok(response),
            false => Err(HttpError::TrailingBytes(buf.len())),
        }
    }

    field_accessors!();

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase, verbatim (may be empty).
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// True for 1xx interim responses.
    pub fn is_interim(&self) -> bool {
        self.status < 200
    }
}

/// Percent-decodes a query component, `+` as a space; invalid escapes are kept as sent.
fn query_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_request_keeps_its_bytes_and_reads_its_target() {
        let raw = &b"GET /upload?tid=a%20b&get_upload_info&x=1+2 HTTP/1.1\r\nHOST: cs\r\nAccept: a\r\naccept: b\r\n\r\n"[..];
        let req = Request::parse(raw).unwrap();
        assert_eq!(req.as_bytes(), raw);
        assert_eq!(req.method(), "GET");
        assert_eq!(req.path(), "/upload");
        assert_eq!(req.query_param("tid").as_deref(), Some("a b"));
        assert_eq!(req.query_param("get_upload_info").as_deref(), Some(""));
        assert_eq!(req.query_param("x").as_deref(), Some("1 2"));
        assert_eq!(req.query_param("y"), None);
        assert_eq!(req.header("host"), Some("cs"));
        assert_eq!(req.header_values("ACCEPT").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(req.headers()[0].name, "HOST");
        assert!(req.body().is_empty());
        assert!(!req.wants_close());
    }

    #[test]
    fn an_absolute_target_has_a_path() {
        let req = Request::parse(&b"GET http://cs:80/s/1?a=b HTTP/1.1\r\n\r\n"[..]).unwrap();
        assert_eq!(req.path(), "/s/1");
        let req = Request::parse(&b"OPTIONS * HTTP/1.0\r\n\r\n"[..]).unwrap();
        assert_eq!(req.path(), "*");
        assert!(req.wants_close());
    }

    #[test]
    fn a_response_reads_until_the_end_without_framing() {
        let resp = Response::parse(&b"HTTP/1.1 200 OK\r\n\r\nall of it"[..], "GET").unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.reason(), "OK");
        assert_eq!(resp.body(), b"all of it");
        let err = Request::parse(&b"GET / HTTP/1.1\r\n\r\nextra"[..]).unwrap_err();
        assert_eq!(err, HttpError::TrailingBytes(5));
    }
}
