//! Errors of the SDP codec and of the MSRP media view. Each message completes "failed to ...".

/// What went wrong while parsing SDP or reading its MSRP media section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// The description is larger than the size cap.
    #[error("parse the SDP: {size} bytes exceed the cap of {max}")]
    TooLarge {
        /// The input's size.
        size: usize,
        /// The size cap.
        max: usize,
    },

    /// The description has more lines than the cap.
    #[error("parse the SDP: more than {max} lines")]
    TooManyLines {
        /// The line cap.
        max: usize,
    },

    /// The first line is not `v=0` (RFC 8866 §5.1).
    #[error("parse the SDP: line 1 is {found:?}, not the version line \"v=0\"")]
    Version {
        /// The first line as read (lossily decoded, trimmed to 40 characters).
        found: String,
    },

    /// A line is not `<type>=<value>` with a one-letter type (RFC 8866 §5).
    #[error("parse SDP line {line}: {detail}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        detail: &'static str,
    },

    /// An `m=` line is malformed (RFC 8866 §5.14).
    #[error("parse the m= line (SDP line {line}): {detail}")]
    MediaLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        detail: String,
    },

    /// The description has no `m=message` section (RFC 4975 §8).
    #[error("find an m=message media section")]
    NoMessageMedia,

    /// The `m=message` section's protocol is neither `TCP/MSRP` nor `TCP/TLS/MSRP`.
    #[error(
        "read the m=message section (SDP line {line}): protocol {proto:?} is neither TCP/MSRP nor TCP/TLS/MSRP"
    )]
    Proto {
        /// 1-based line number of the `m=` line.
        line: usize,
        /// The protocol as written.
        proto: String,
    },

    /// No `c=` line applies to the media section (RFC 8866 §5.7).
    #[error("find the c= line of the m=message section (SDP line {line})")]
    NoConnection {
        /// 1-based line number of the `m=` line.
        line: usize,
    },

    /// A `c=` line is not `IN IP4|IP6 <address>`.
    #[error("parse the c= line {value:?}: not \"<nettype> <addrtype> <address>\"")]
    Connection {
        /// The value as written.
        value: String,
    },

    /// A required attribute is absent from the media section.
    #[error("find a={name} in the m=message section (SDP line {line})")]
    MissingAttribute {
        /// The attribute name.
        name: &'static str,
        /// 1-based line number of the `m=` line.
        line: usize,
    },

    /// An attribute value is malformed.
    #[error("parse a={name}:{value}: {detail}")]
    Attribute {
        /// The attribute name.
        name: &'static str,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        detail: String,
    },
}

impl SdpError {
    pub(crate) fn attribute(name: &'static str, value: &str, detail: impl Into<String>) -> Self {
        Self::Attribute {
            name,
            value: value.to_owned(),
            detail: detail.into(),
        }
    }
}
