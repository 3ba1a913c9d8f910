//! Errors of the CPIM parser. Each message completes the sentence "failed to ...".

/// Why a CPIM message could not be parsed or its body decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CpimError {
    /// The message exceeds [`super::MAX_CPIM_SIZE`].
    #[error("parse the CPIM message: {size} bytes exceed the cap of {max}")]
    TooLarge {
        /// The message size.
        size: usize,
        /// The cap.
        max: usize,
    },

    /// A header line ends in LF without CR.
    #[error("parse line {line} of {section}: it ends in a bare LF, CRLF is required")]
    BareLf {
        /// The section the line belongs to.
        section: &'static str,
        /// 1-based line number from the start of the CPIM message.
        line: usize,
    },

    /// A header line is malformed.
    #[error("parse line {line} of {section}: {detail}")]
    HeaderLine {
        /// The section the line belongs to.
        section: &'static str,
        /// 1-based line number from the start of the CPIM message.
        line: usize,
        /// What is wrong with it.
        detail: String,
    },

    /// The input ends before the empty line that closes a header section.
    #[error("find the empty line that ends {0}")]
    MissingEmptyLine(&'static str),

    /// The body claims base64 but is not.
    #[error("decode the base64 body: {0}")]
    Base64(String),

    /// The body uses a transfer encoding this parser does not undo.
    #[error("decode the body: Content-Transfer-Encoding {0:?} is not supported")]
    UnsupportedEncoding(String),
}
