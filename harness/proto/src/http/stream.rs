//! Framing HTTP/1.1 messages on a byte stream (RFC 9112 §6.3, §7.1).
//!
//! [`StreamDecoder`] checks that the buffer holds a whole message before taking it off (the
//! mini-redis pattern). It finds the empty line that ends the header section (empty lines before
//! a message are skipped, RFC 9112 §2.2), then frames the body in the order of RFC 9112 §6.3:
//!
//! 1. a response to HEAD, and a 1xx, 204 or 304 response, has no body;
//! 2. `Transfer-Encoding` whose last coding is `chunked` frames by chunks; a request carrying
//!    Content-Length too is refused (§6.3 item 3 lets a server reject it, which closes the
//!    smuggling door); a request whose last coding is not chunked is refused, a response with
//!    one reads until close;
//! 3. `Content-Length` (several equal values accepted, differing ones refused) frames by length;
//! 4. otherwise a request has no body and a response reads until the connection closes: the
//!    caller hands the rest over with [`StreamDecoder::decode_response_at_eof`].
//!
//! Caps: the header section (and the trailer section) at 64 KiB, the body at 16 MiB unless set.
//! After an error the stream cannot be resynchronised: the connection should be closed. The
//! decoder neither reads sockets nor answers `Expect: 100-continue` (it tells, with
//! [`StreamDecoder::expects_continue`]) nor handles CONNECT tunnels (a 2xx to CONNECT is framed
//! like any other response).

use bytes::{Bytes, BytesMut};

use super::chunked::Chunked;
use super::error::HttpError;
use super::head::{Head, Kind, StartLine, parse_head};
use super::message::{Fields, Request, Response};

/// Default cap on the header section: 64 KiB.
pub const DEFAULT_MAX_HEAD: usize = 64 * 1024;

/// Default cap on a body: 16 MiB.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// How the body of the message being read is delimited.
#[derive(Debug, Clone)]
enum Framing {
    Empty,
    Length(usize),
    Chunked(Chunked),
    UntilClose,
}

/// A message whose header section has been read.
#[derive(Debug, Clone)]
struct Pending {
    head: Head,
    head_len: usize,
    framing: Framing,
}

/// Splits a byte stream into HTTP requests (on a server) or responses (on a client).
///
/// A decoder belongs to one connection's read buffer: it remembers how far it has searched and
/// the message whose body is still arriving, so feeding a message byte by byte costs linear time.
#[derive(Debug, Clone)]
pub struct StreamDecoder {
    max_head: usize,
    max_body: usize,
    scanned: usize,
    pending: Option<Pending>,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_BODY)
    }
}

impl StreamDecoder {
    /// A decoder that refuses bodies larger than `max_body` bytes.
    pub fn new(max_body: usize) -> Self {
        Self {
            max_head: DEFAULT_MAX_HEAD,
            max_body,
            scanned: 0,
            pending: None,
        }
    }

    /// The same decoder with another cap on the header section.
    pub fn with_max_head(mut self, max_head: usize) -> Self {
        self.max_head = max_head;
        self
    }

    /// True while a request whose header section asks `Expect: 100-continue` (RFC 9110
    /// §10.1.1) waits for its body: a server may then send `100 Continue`.
    pub fn expects_continue(&self) -> bool {
        let Some(pending) = &self.pending else {
            return false;
        };
        let waits = matches!(pending.framing, Framing::Length(1..) | Framing::Chunked(_));
        let is_request = matches!(pending.head.start, StartLine::Request { .. });
        waits
            && is_request
            && pending.head.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case("Expect")
                    && h.value.eq_ignore_ascii_case("100-continue")
            })
    }

    /// Takes the next whole request off the front of `buf`; `Ok(None)` when more bytes are
    /// needed.
    pub fn decode_request(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, HttpError> {
        let Some(decoded) = self.decode(buf, Kind::Request, "")? else {
            return Ok(None);
        };
        let StartLine::Request {
            method,
            target,
            version,
        } = decoded.head.start.clone()
        else {
            return Err(HttpError::StartLine(
                "a status line where a request was due".into(),
            ));
        };
        Ok(Some(Request {
            method,
            target,
            fields: decoded.into_fields(version),
        }))
    }

    /// Takes the next whole response to a `method` request off the front of `buf`; `Ok(None)`
    /// when more bytes are needed (always, for a response read until close).
    pub fn decode_response(
        &mut self,
        buf: &mut BytesMut,
        method: &str,
    ) -> Result<Option<Response>, HttpError> {
        let Some(decoded) = self.decode(buf, Kind::Response, method)? else {
            return Ok(None);
        };
        response(decoded).map(Some)
    }

    /// Once the peer has closed the connection: the response whose body ran until the close,
    /// `Ok(None)` if nothing was left, or [`HttpError::Truncated`] naming what was cut short.
    pub fn decode_response_at_eof(
        &mut self,
        buf: &mut BytesMut,
        method: &str,
    ) -> Result<Option<Response>, HttpError> {
        if let Some(done) = self.decode_response(buf, method)? {
            return Ok(Some(done));
        }
        let Some(pending) = self.pending.take() else {
            self.scanned = 0;
            return match buf.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                true => Ok(None),
                false => Err(HttpError::Truncated("header section")),
            };
        };
        self.scanned = 0;
        match pending.framing {
            Framing::UntilClose => {
                let raw = buf.split().freeze();
                let body = raw.slice(pending.head_len.min(raw.len())..);
                response(Decoded {
                    head: pending.head,
                    head_len: pending.head_len,
                    raw,
                    body,
                    chunked: false,
                })
                .map(Some)
            }
            Framing::Chunked(c) if c.in_trailers() => Err(HttpError::Truncated("trailer section")),
            Framing::Chunked(_) => Err(HttpError::Truncated("chunked body")),
            Framing::Empty | Framing::Length(_) => Err(HttpError::Truncated("body")),
        }
    }

    /// The head, raw bytes, content and chunked flag of the next whole message.
    fn decode(
        &mut self,
        buf: &mut BytesMut,
        kind: Kind,
        method: &str,
    ) -> Result<Option<Decoded>, HttpError> {
        if self.scanned > buf.len() {
            // Not the buffer this decoder was reading: start over.
            self.scanned = 0;
            self.pending = None;
        }
        if self.pending.is_none() && !self.read_head(buf, kind, method)? {
            return Ok(None);
        }
        let Some(pending) = self.pending.as_mut() else {
            return Ok(None);
        };
        let total = match &mut pending.framing {
            Framing::Empty => pending.head_len,
            Framing::Length(len) => pending.head_len + *len,
            Framing::Chunked(chunked) => {
                match chunked.advance(buf, self.max_body, self.max_head)? {
                    Some(total) => total,
                    None => return Ok(None),
                }
            }
            Framing::UntilClose => {
                let size = buf.len().saturating_sub(pending.head_len);
                if size > self.max_body {
                    return Err(self.body_too_large(size as u64));
                }
                return Ok(None);
            }
        };
        if buf.len() < total {
            buf.reserve(total - buf.len());
            return Ok(None);
        }
        let Some(pending) = self.pending.take() else {
            return Ok(None);
        };
        self.scanned = 0;
        let raw = buf.split_to(total).freeze();
        let (body, chunked) = match pending.framing {
            Framing::Chunked(chunked) => (chunked.body.freeze(), true),
            _ => (raw.slice(pending.head_len..), false),
        };
        Ok(Some(Decoded {
            head: pending.head,
            head_len: pending.head_len,
            raw,
            body,
            chunked,
        }))
    }

    /// Reads the header section once it is whole; false when more bytes are needed.
    fn read_head(
        &mut self,
        buf: &mut BytesMut,
        kind: Kind,
        method: &str,
    ) -> Result<bool, HttpError> {
        if self.scanned == 0 {
            let skip = buf
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(buf.len());
            let _ = buf.split_to(skip);
        }
        let from = self.scanned.saturating_sub(2);
        let Some(head_len) = find_head_end(buf, from) else {
            if buf.len() > self.max_head {
                return Err(HttpError::HeadTooLarge { max: self.max_head });
            }
            self.scanned = buf.len();
            return Ok(false);
        };
        if head_len > self.max_head {
            return Err(HttpError::HeadTooLarge { max: self.max_head });
        }
        self.scanned = head_len;
        let head = parse_head(buf.get(..head_len).unwrap_or_default(), kind)?;
        let framing = self.framing(&head, head_len, method)?;
        self.pending = Some(Pending {
            head,
            head_len,
            framing,
        });
        Ok(true)
    }

    /// RFC 9112 §6.3, in its order.
    fn framing(&self, head: &Head, head_len: usize, method: &str) -> Result<Framing, HttpError> {
        let is_request = matches!(head.start, StartLine::Request { .. });
        if let StartLine::Response { status, .. } = head.start
            && (method.eq_ignore_ascii_case("HEAD")
                || status < 200
                || status == 204
                || status == 304)
        {
            return Ok(Framing::Empty);
        }
        let codings = list_values(head, "Transfer-Encoding");
        let length = content_length(head)?;
        if let Some(last) = codings.last() {
            if !last.eq_ignore_ascii_case("chunked") {
                return match is_request {
                    true => Err(HttpError::TransferEncoding(format!(
                        "the last coding of a request is {last:?}, not chunked"
                    ))),
                    false => Ok(Framing::UntilClose),
                };
            }
            if codings
                .iter()
                .filter(|c| c.eq_ignore_ascii_case("chunked"))
                .count()
                > 1
            {
                return Err(HttpError::TransferEncoding(
                    "chunked is applied twice".into(),
                ));
            }
            if is_request && length.is_some() {
                return Err(HttpError::TransferEncoding(
                    "a request with both transfer-encoding and content-length".into(),
                ));
            }
            return Ok(Framing::Chunked(Chunked::new(head_len)));
        }
        match length {
            Some(len) if len > self.max_body as u64 => Err(self.body_too_large(len)),
            Some(len) => Ok(Framing::Length(usize::try_from(len).unwrap_or(usize::MAX))),
            None if is_request => Ok(Framing::Empty),
            None => Ok(Framing::UntilClose),
        }
    }

    fn body_too_large(&self, size: u64) -> HttpError {
        HttpError::BodyTooLarge {
            size,
            max: self.max_body,
        }
    }
}

/// A whole message, before it is typed.
struct Decoded {
    head: Head,
    head_len: usize,
    raw: Bytes,
    body: Bytes,
    chunked: bool,
}

impl Decoded {
    fn into_fields(self, version: String) -> Fields {
        Fields {
            raw: self.raw,
            version,
            headers: self.head.headers,
            head_len: self.head_len,
            body: self.body,
            chunked: self.chunked,
        }
    }
}

fn response(decoded: Decoded) -> Result<Response, HttpError> {
    let StartLine::Response {
        version,
        status,
        reason,
    } = decoded.head.start.clone()
    else {
        return Err(HttpError::StartLine(
            "a request line where a response was due".into(),
        ));
    };
    Ok(Response {
        status,
        reason,
        fields: decoded.into_fields(version),
    })
}

/// The end of the header section (after its empty line), searching from `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let rest = buf.get(from..)?;
    memchr::memchr_iter(b'\n', rest).find_map(|i| {
        let at = from + i;
        match (buf.get(at + 1), buf.get(at + 2)) {
            (Some(b'\n'), _) => Some(at + 2),
            (Some(b'\r'), Some(b'\n')) => Some(at + 3),
            _ => None,
        }
    })
}

/// The comma-separated elements of every field line with this name (RFC 9110 §5.6.1).
fn list_values<'a>(head: &'a Head, name: &str) -> Vec<&'a str> {
    head.headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .flat_map(|h| h.value.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The Content-Length, if any; every value must be digits and all must agree.
fn content_length(head: &Head) -> Result<Option<u64>, HttpError> {
    let mut found: Option<u64> = None;
    let values = head
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("Content-Length"))
        .flat_map(|h| h.value.split(','))
        .map(str::trim);
    for value in values {
        let digits = !value.is_empty() && value.len() <= 19;
        let len = match digits && value.bytes().all(|b| b.is_ascii_digit()) {
            true => value.parse::<u64>().ok(),
            false => None,
        }
        .ok_or_else(|| HttpError::ContentLength(format!("{value:?} is not a length")))?;
        if found.is_some_and(|earlier| earlier != len) {
            return Err(HttpError::ContentLength("several values disagree".into()));
        }
        found = Some(len);
    }
    Ok(found)
}
