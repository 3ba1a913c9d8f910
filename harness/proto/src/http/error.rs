//! Errors of the HTTP/1.1 codec.

use crate::multipart::MultipartError;
use crate::sip::auth::AuthError;

/// A failure to read or build an HTTP message. The message completes "failed to ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The request line or status line does not follow RFC 9112 §3 / §4.
    #[error("parse the http start line: {0}")]
    StartLine(String),
    /// A header field line does not follow RFC 9112 §5.
    #[error("parse an http header field: {0}")]
    Header(String),
    /// The header section is larger than the cap.
    #[error("read the http header section: more than {max} bytes")]
    HeadTooLarge {
        /// The cap.
        max: usize,
    },
    /// The body is larger than the cap.
    #[error("read the http body: {size} bytes exceed the cap of {max}")]
    BodyTooLarge {
        /// The size declared or read so far.
        size: u64,
        /// The cap.
        max: usize,
    },
    /// Content-Length is not a length, or several disagree (RFC 9112 §6.3 item 5).
    #[error("read the http content-length: {0}")]
    ContentLength(String),
    /// Transfer-Encoding cannot frame the message (RFC 9112 §6.3 item 4).
    #[error("read the http transfer-encoding: {0}")]
    TransferEncoding(String),
    /// The chunked coding is broken (RFC 9112 §7.1).
    #[error("decode the http chunked body: {0}")]
    Chunked(String),
    /// The connection closed before the message was complete.
    #[error("read the http message: the connection closed inside the {0}")]
    Truncated(&'static str),
    /// Bytes were left after a message that should have been whole.
    #[error("parse the http message: {0} bytes follow it")]
    TrailingBytes(usize),
    /// A Range header value is not one this codec serves (RFC 9110 §14.2).
    #[error("parse the http range: {0}")]
    Range(String),
    /// A Content-Range value is malformed (RFC 9110 §14.4).
    #[error("parse the http content-range: {0}")]
    ContentRange(String),
    /// A multipart/form-data part lacks what RFC 7578 §4.2 requires.
    #[error("read the http form-data: {0}")]
    Form(String),
    /// The multipart body itself is broken.
    #[error("read the http form-data: {0}")]
    Multipart(#[from] MultipartError),
    /// Digest authentication failed.
    #[error("authenticate the http request: {0}")]
    Auth(#[from] AuthError),
}
