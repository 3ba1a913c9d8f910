//! The MSRP frame model (RFC 4975 §5.1, §9): a request or response with its headers, body and
//! end-line flag, plus the exact bytes it was decoded from.
//!
//! Parsing here works on one complete frame whose extent the [`super::Decoder`] already found;
//! this module does not search for end-lines in a stream.

use bytes::{BufMut, Bytes, BytesMut};

use super::{ByteRange, END_LINE_DASHES, MsrpError, MsrpUri, is_ident};

/// The continuation flag that ends the end-line (RFC 4975 §9 `continuation-flag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `$`: the last chunk of the message.
    Complete,
    /// `+`: more chunks of this message follow.
    Continue,
    /// `#`: the sender aborted the message.
    Abort,
}

impl Flag {
    /// The flag as its wire byte.
    pub fn as_byte(self) -> u8 {
        match self {
            Self::Complete => b'$',
            Self::Continue => b'+',
            Self::Abort => b'#',
        }
    }

    /// The flag for a wire byte, if it is one.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            b'$' => Some(Self::Complete),
            b'+' => Some(Self::Continue),
            b'#' => Some(Self::Abort),
            _ => None,
        }
    }
}

/// Whether a frame is a request or a response (RFC 4975 §9 `req-start` / `resp-start`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameKind {
    /// A request such as `SEND` or `REPORT`.
    Request {
        /// The method, upper-case as on the wire.
        method: String,
    },
    /// A transaction response.
    Response {
        /// The three-digit status code.
        code: u16,
        /// The comment after the code (`OK` in `200 OK`), if any.
        comment: Option<String>,
    },
}

/// One MSRP request or response.
///
/// The public fields are the parsed view. [`Frame::as_bytes`] returns the bytes the frame was
/// decoded from (or built as) and does not change when the fields are edited; [`Frame::encode`]
/// serialises the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The transaction id of the start line and end-line.
    pub transaction_id: String,
    /// Request method or response status.
    pub kind: FrameKind,
    /// Header fields in wire order, the Content-Type included.
    pub headers: Vec<(String, String)>,
    /// The body, without the CRLF that precedes the end-line.
    pub body: Bytes,
    /// The continuation flag of the end-line.
    pub flag: Flag,
    raw: Bytes,
}

impl Frame {
    /// Parses exactly one complete frame; bytes after its end-line are an error.
    pub fn parse(bytes: &[u8]) -> Result<Self, MsrpError> {
        let mut buf = BytesMut::from(bytes);
        let frame = super::Decoder::new(bytes.len().max(1))
            .decode(&mut buf)?
            .ok_or(MsrpError::Truncated)?;
        match buf.is_empty() {
            true => Ok(frame),
            false => Err(MsrpError::TrailingBytes(buf.len())),
        }
    }

    /// Builds the model of a frame whose fields are already known, recording `encode()` as raw.
    pub(crate) fn from_parts(
        transaction_id: String,
        kind: FrameKind,
        headers: Vec<(String, String)>,
        body: Bytes,
        flag: Flag,
    ) -> Self {
        let mut frame = Self {
            transaction_id,
            kind,
            headers,
            body,
            flag,
            raw: Bytes::new(),
        };
        frame.raw = frame.encode();
        frame
    }

    /// The bytes this frame was decoded from or built as.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// Serialises the public fields to wire form.
    ///
    /// A body section (empty line, body, CRLF) is written when the body is non-empty or a
    /// Content-Type header is present (RFC 4975 §7.1).
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(128 + self.body.len());
        out.put_slice(b"MSRP ");
        out.put_slice(self.transaction_id.as_bytes());
        match &self.kind {
            FrameKind::Request { method } => {
                out.put_u8(b' ');
                out.put_slice(method.as_bytes());
            }
            FrameKind::Response { code, comment } => {
                out.put_slice(format!(" {code:03}").as_bytes());
                if let Some(comment) = comment {
                    out.put_u8(b' ');
                    out.put_slice(comment.as_bytes());
                }
            }
        }
        out.put_slice(b"\r\n");
        for (name, value) in &self.headers {
            out.put_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if !self.body.is_empty() || self.header("Content-Type").is_some() {
            out.put_slice(b"\r\n");
            out.put_slice(&self.body);
            out.put_slice(b"\r\n");
        }
        out.put_slice(END_LINE_DASHES);
        out.put_slice(self.transaction_id.as_bytes());
        out.put_u8(self.flag.as_byte());
        out.put_slice(b"\r\n");
        out.freeze()
    }

    /// The first header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        match &self.kind {
            FrameKind::Request { method } => Some(method),
            FrameKind::Response { .. } => None,
        }
    }

    /// The status code of a response.
    pub fn status_code(&self) -> Option<u16> {
        match &self.kind {
            FrameKind::Request { .. } => None,
            FrameKind::Response { code, .. } => Some(*code),
        }
    }

    /// The raw To-Path value.
    pub fn to_path(&self) -> Option<&str> {
        self.header("To-Path")
    }

    /// The raw From-Path value.
    pub fn from_path(&self) -> Option<&str> {
        self.header("From-Path")
    }

    /// The To-Path parsed into URIs, first hop first.
    pub fn to_path_uris(&self) -> Result<Vec<MsrpUri>, MsrpError> {
        MsrpUri::parse_path(self.to_path().ok_or(MsrpError::MissingHeader("To-Path"))?)
    }

    /// The From-Path parsed into URIs, previous hop first.
    pub fn from_path_uris(&self) -> Result<Vec<MsrpUri>, MsrpError> {
        MsrpUri::parse_path(
            self.from_path()
                .ok_or(MsrpError::MissingHeader("From-Path"))?,
        )
    }

    /// The Message-ID value.
    pub fn message_id(&self) -> Option<&str> {
        self.header("Message-ID")
    }

    /// The Content-Type value.
    pub fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
    }

    /// The Byte-Range, parsed; `Ok(None)` when the header is absent.
    pub fn byte_range(&self) -> Result<Option<ByteRange>, MsrpError> {
        self.header("Byte-Range").map(ByteRange::parse).transpose()
    }
}

/// Parses one complete frame whose extent the decoder established.
///
/// `raw` starts with the start line and ends with the end-line of `transaction_id`.
pub(crate) fn parse_complete(raw: Bytes) -> Result<Frame, MsrpError> {
    let start_end = find_crlf(&raw, 0).ok_or_else(|| start_err("no CRLF"))?;
    let (transaction_id, kind) = parse_start_line(&raw[..start_end])?;
    let end_line_len = END_LINE_DASHES.len() + transaction_id.len() + 3;
    let end_line_start = raw
        .len()
        .checked_sub(end_line_len)
        .ok_or(MsrpError::Truncated)?;
    let flag = raw
        .get(raw.len() - 3)
        .and_then(|b| Flag::from_byte(*b))
        .ok_or_else(|| MsrpError::EndLine("no continuation flag".into()))?;
    let (headers, body_start) = parse_headers(&raw, start_end + 2, end_line_start)?;
    let body = match body_start {
        // The body ends at the CRLF that precedes the end-line.
        Some(start) if end_line_start >= start + 2 => raw.slice(start..end_line_start - 2),
        _ => Bytes::new(),
    };
    Ok(Frame {
        transaction_id,
        kind,
        headers,
        body,
        flag,
        raw,
    })
}

/// The headers of a frame and, when an empty line follows them, where the body starts.
type Head = (Vec<(String, String)>, Option<usize>);

/// Parses the header lines from `pos` up to the empty line or the end-line.
///
/// Returns the headers and, when an empty line was found, where the body starts.
fn parse_headers(raw: &[u8], mut pos: usize, end_line_start: usize) -> Result<Head, MsrpError> {
    let mut headers = Vec::new();
    let mut line_no = 1;
    while pos < end_line_start {
        line_no += 1;
        let eol = find_crlf(raw, pos).ok_or_else(|| MsrpError::header_line(line_no, "no CRLF"))?;
        let line = &raw[pos..eol];
        if line.is_empty() {
            return Ok((headers, Some(eol + 2)));
        }
        headers.push(parse_header_line(line, line_no)?);
        pos = eol + 2;
    }
    Ok((headers, None))
}

/// Parses `Name: value`. The value is trimmed of surrounding spaces and tabs.
fn parse_header_line(line: &[u8], line_no: usize) -> Result<(String, String), MsrpError> {
    let text =
        std::str::from_utf8(line).map_err(|_| MsrpError::header_line(line_no, "not UTF-8"))?;
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| MsrpError::header_line(line_no, format!("{text:?} has no colon")))?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(MsrpError::header_line(
            line_no,
            format!("{name:?} is not a header name"),
        ));
    }
    Ok((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()))
}

/// Parses `MSRP SP transact-id SP (method / status-code [SP comment])`.
pub(crate) fn parse_start_line(line: &[u8]) -> Result<(String, FrameKind), MsrpError> {
    let text = std::str::from_utf8(line).map_err(|_| start_err("not UTF-8"))?;
    let rest = text
        .strip_prefix("MSRP ")
        .ok_or_else(|| start_err("it does not begin with \"MSRP \""))?;
    let (tid, rest) = rest
        .split_once(' ')
        .ok_or_else(|| start_err("nothing follows the transaction id"))?;
    if !is_ident(tid) {
        return Err(MsrpError::Ident {
            what: "transaction id",
            value: tid.to_owned(),
        });
    }
    let kind = match rest.as_bytes().first() {
        Some(b) if b.is_ascii_digit() => parse_status(rest)?,
        _ => parse_method(rest)?,
    };
    Ok((tid.to_owned(), kind))
}

fn parse_status(rest: &str) -> Result<FrameKind, MsrpError> {
    let (code, comment) = match rest.split_once(' ') {
        Some((code, comment)) => (code, Some(comment.to_owned())),
        None => (rest, None),
    };
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(start_err(format!(
            "status code {code:?} is not three digits"
        )));
    }
    let code = code
        .parse()
        .map_err(|_| start_err("status code is not a number"))?;
    Ok(FrameKind::Response { code, comment })
}

fn parse_method(rest: &str) -> Result<FrameKind, MsrpError> {
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(start_err(format!(
            "method {rest:?} is not upper-case letters"
        )));
    }
    Ok(FrameKind::Request {
        method: rest.to_owned(),
    })
}

fn start_err(detail: impl Into<String>) -> MsrpError {
    MsrpError::StartLine(detail.into())
}

/// The index of the next CRLF at or after `from`.
pub(crate) fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let tail = buf.get(from..)?;
    memchr::memmem::find(tail, b"\r\n").map(|i| i + from)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn start_line_request() {
        let (tid, kind) = parse_start_line(b"MSRP a786hjs2 SEND").unwrap();
        assert_eq!(tid, "a786hjs2");
        assert_eq!(
            kind,
            FrameKind::Request {
                method: "SEND".into()
            }
        );
    }

    #[test]
    fn start_line_response_with_and_without_comment() {
        let (_, kind) = parse_start_line(b"MSRP a786hjs2 200 OK").unwrap();
        assert_eq!(
            kind,
            FrameKind::Response {
                code: 200,
                comment: Some("OK".into())
            }
        );
        let (_, kind) = parse_start_line(b"MSRP a786hjs2 481").unwrap();
        assert_eq!(
            kind,
            FrameKind::Response {
                code: 481,
                comment: None
            }
        );
    }

    #[test]
    fn start_line_errors() {
        assert!(matches!(
            parse_start_line(b"msrp a786hjs2 SEND"),
            Err(MsrpError::StartLine(_))
        ));
        assert!(matches!(
            parse_start_line(b"MSRP ab SEND"),
            Err(MsrpError::Ident { .. })
        ));
        assert!(matches!(
            parse_start_line(b"MSRP a786hjs2 send"),
            Err(MsrpError::StartLine(_))
        ));
        assert!(matches!(
            parse_start_line(b"MSRP a786hjs2 20 OK"),
            Err(MsrpError::StartLine(_))
        ));
        assert!(matches!(
            parse_start_line(b"MSRP a786hjs2"),
            Err(MsrpError::StartLine(_))
        ));
    }

    #[test]
    fn header_line_needs_a_colon_and_a_name() {
        assert!(parse_header_line(b"To-Path msrp://x", 2).is_err());
        assert!(parse_header_line(b": value", 2).is_err());
        let (n, v) = parse_header_line(b"Byte-Range:  1-3/3 ", 2).unwrap();
        assert_eq!((n.as_str(), v.as_str()), ("Byte-Range", "1-3/3"));
    }

    #[test]
    fn encode_without_body_has_no_empty_line() {
        let frame = Frame::from_parts(
            "abcd1234".into(),
            FrameKind::Response {
                code: 200,
                comment: Some("OK".into()),
            },
            vec![("To-Path".into(), "msrp://a:1/s;tcp".into())],
            Bytes::new(),
            Flag::Complete,
        );
        assert_eq!(
            frame.as_bytes(),
            b"MSRP abcd1234 200 OK\r\nTo-Path: msrp://a:1/s;tcp\r\n-------abcd1234$\r\n"
        );
    }

    #[test]
    fn flag_bytes_round_trip() {
        for flag in [Flag::Complete, Flag::Continue, Flag::Abort] {
            assert_eq!(Flag::from_byte(flag.as_byte()), Some(flag));
        }
        assert_eq!(Flag::from_byte(b'!'), None);
    }
}
