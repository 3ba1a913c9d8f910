//! Errors of the SIP codec.
//!
//! Every variant names the construct at fault, and its message completes the phrase
//! "failed to ...", so a report can print `failed to {error}`.

/// An error raised while framing, parsing or interpreting a SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    /// The input held no start line at all (empty, or only CRLFs).
    #[error("parse the start line: the message is empty")]
    Empty,

    /// The Request-Line or Status-Line is malformed.
    #[error("parse the start line: {0}")]
    StartLine(String),

    /// The Status-Code of a Status-Line is not a number that fits.
    #[error("parse the status code {0:?}: not a three-digit number")]
    StatusCode(String),

    /// A header line has no colon, or its name is not a token.
    #[error("parse header line {line}: {detail}")]
    HeaderLine {
        /// One-based line number within the message.
        line: usize,
        /// What is wrong.
        detail: String,
    },

    /// The message has more header lines than the codec accepts.
    #[error("parse the header section: more than {max} header lines")]
    TooManyHeaders {
        /// The cap.
        max: usize,
    },

    /// The message, or the part of it received so far, exceeds the size cap.
    #[error("frame the message: {size} bytes exceed the cap of {max}")]
    TooLarge {
        /// Bytes seen.
        size: usize,
        /// The cap.
        max: usize,
    },

    /// A stream-framed message carries no Content-Length (RFC 3261 18.3).
    #[error("frame the message: Content-Length is required on a stream transport")]
    MissingContentLength,

    /// The Content-Length value cannot be used to frame the body.
    #[error("parse Content-Length: {0}")]
    ContentLength(String),

    /// A URI does not follow RFC 3261 19.1 / RFC 3966 grammar.
    #[error("parse the URI {uri:?}: {detail}")]
    Uri {
        /// The text that was parsed.
        uri: String,
        /// What is wrong.
        detail: String,
    },

    /// A header required for the operation is absent.
    #[error("find the {0} header")]
    MissingHeader(&'static str),

    /// A header value does not follow its grammar.
    #[error("parse the {header} header: {detail}")]
    Header {
        /// The header name, in its long form.
        header: &'static str,
        /// What is wrong.
        detail: String,
    },

    /// A feature tag parameter (RFC 3840) is malformed.
    #[error("parse the feature tag {tag}: {detail}")]
    FeatureTag {
        /// The tag name as sent.
        tag: String,
        /// What is wrong.
        detail: String,
    },
}

impl SipError {
    pub(crate) fn header(header: &'static str, detail: impl Into<String>) -> Self {
        Self::Header {
            header,
            detail: detail.into(),
        }
    }

    pub(crate) fn uri(uri: &str, detail: impl Into<String>) -> Self {
        Self::Uri {
            uri: uri.to_owned(),
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_complete_failed_to() {
        let err = SipError::Header {
            header: "CSeq",
            detail: "sequence number exceeds 2^31-1".into(),
        };
        assert_eq!(
            format!("failed to {err}"),
            "failed to parse the CSeq header: sequence number exceeds 2^31-1"
        );
        let err = SipError::TooLarge { size: 10, max: 5 };
        assert_eq!(
            err.to_string(),
            "frame the message: 10 bytes exceed the cap of 5"
        );
    }
}
