//! The MSRP frame model (RFC 4975 §5.1, §9): a request or response with its headers, body and
//! end-line flag, plus the exact bytes it was decoded from.
//!
//! Parsing lives in `parse.rs`; finding where a frame ends in a stream lives in `decoder.rs`.

use bytes::{BufMut, Bytes, BytesMut};

use super::{ByteRange, END_LINE_DASHES, MsrpError, MsrpUri};

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
    pub(super) raw: Bytes,
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
