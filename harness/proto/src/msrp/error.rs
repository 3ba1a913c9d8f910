//! Errors of the MSRP codecs. Each message completes the sentence "failed to ...".

/// What went wrong while decoding, parsing, chunking or reassembling MSRP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MsrpError {
    /// The start line (RFC 4975 §9 `req-start` / `resp-start`) is malformed.
    #[error("parse the MSRP start line: {0}")]
    StartLine(String),

    /// A transaction id or Message-ID is not an RFC 4975 §9 `ident`.
    #[error(
        "parse the {what} {value:?}: not 4 to 32 characters of ALPHANUM and .-+%= starting with ALPHANUM"
    )]
    Ident {
        /// `transaction id` or `Message-ID`.
        what: &'static str,
        /// The offending value.
        value: String,
    },

    /// A header line is malformed.
    #[error("parse MSRP header line {line}: {detail}")]
    HeaderLine {
        /// 1-based line number within the frame (the start line is line 1).
        line: usize,
        /// What is wrong with it.
        detail: String,
    },

    /// The end-line repeats a different transaction id than the start line (ROB-MSRP-001).
    #[error("match the end-line: it carries transaction id {found:?}, the start line {expected:?}")]
    EndLineMismatch {
        /// The transaction id of the start line.
        expected: String,
        /// The transaction id of the end-line.
        found: String,
    },

    /// An end-line has no valid continuation flag.
    #[error("parse the end-line: {0}")]
    EndLine(String),

    /// No end-line was found within the size cap.
    #[error("find the end-line of transaction {transaction_id:?} within {max} bytes")]
    MissingEndLine {
        /// The transaction id whose end-line is missing.
        transaction_id: String,
        /// The size cap.
        max: usize,
    },

    /// A complete frame is larger than the size cap.
    #[error("frame the MSRP message: {size} bytes exceed the cap of {max}")]
    TooLarge {
        /// The frame's size.
        size: usize,
        /// The size cap.
        max: usize,
    },

    /// Bytes follow the single frame given to [`crate::msrp::Frame::parse`].
    #[error("parse the MSRP frame: {0} bytes follow its end-line")]
    TrailingBytes(usize),

    /// More bytes are needed to complete the frame given to [`crate::msrp::Frame::parse`].
    #[error("parse the MSRP frame: the input ends before the end-line")]
    Truncated,

    /// A Byte-Range value is malformed or inconsistent (ROB-MSRP-002).
    #[error("parse Byte-Range {value:?}: {detail}")]
    ByteRange {
        /// The header value.
        value: String,
        /// What is wrong with it.
        detail: &'static str,
    },

    /// An MSRP URI is malformed.
    #[error("parse the MSRP URI {uri:?}: {detail}")]
    Uri {
        /// The URI text.
        uri: String,
        /// What is wrong with it.
        detail: &'static str,
    },

    /// A header the operation needs is absent.
    #[error("find the {0} header")]
    MissingHeader(&'static str),

    /// A chunk size of zero was asked for.
    #[error("chunk the message: the chunk size must be at least 1 byte")]
    ChunkSize,

    /// A frame given to the reassembler is not a SEND request.
    #[error("reassemble the message: only SEND requests carry message content")]
    NotSend,

    /// A chunk does not fit its message (ROB-MSRP-002, ROB-MSRP-006).
    #[error("reassemble message {message_id:?}: {detail}")]
    Reassembly {
        /// The Message-ID of the message being reassembled.
        message_id: String,
        /// What is wrong.
        detail: String,
    },
}

impl MsrpError {
    pub(crate) fn header_line(line: usize, detail: impl Into<String>) -> Self {
        Self::HeaderLine {
            line,
            detail: detail.into(),
        }
    }

    pub(crate) fn reassembly(message_id: &str, detail: impl Into<String>) -> Self {
        Self::Reassembly {
            message_id: message_id.to_owned(),
            detail: detail.into(),
        }
    }
}
