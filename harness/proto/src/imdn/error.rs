//! Errors of the IMDN parser. Each message completes the sentence "failed to ...".

use crate::cpim::CpimError;

/// Why an IMDN could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImdnError {
    /// The document exceeds [`super::MAX_IMDN_SIZE`].
    #[error("parse the IMDN document: {size} bytes exceed the cap of {max}")]
    TooLarge {
        /// The document size.
        size: usize,
        /// The cap.
        max: usize,
    },

    /// The document is not UTF-8.
    #[error("parse the IMDN document: it is not UTF-8")]
    NotUtf8,

    /// The XML is not well formed.
    #[error("parse the IMDN document: {0}")]
    Xml(String),

    /// The document has a DOCTYPE declaration (ROB-BODY-004).
    #[error(
        "parse the IMDN document: a DOCTYPE declaration is refused, it could define external entities"
    )]
    Doctype,

    /// The document refers to an entity other than XML's five predefined ones.
    #[error("parse the IMDN document: entity &{0}; is not one of XML's predefined entities")]
    Entity(String),

    /// The root element is not `{urn:ietf:params:xml:ns:imdn}imdn`.
    #[error(
        "match the IMDN root: expected imdn in namespace urn:ietf:params:xml:ns:imdn, found {0}"
    )]
    WrongRoot(String),

    /// A required element is absent or empty.
    #[error("find the {0} element of the IMDN")]
    MissingElement(&'static str),

    /// A status element this notification type does not define.
    #[error("parse the {element} status: {status:?} is not defined for it")]
    UnknownStatus {
        /// `delivery-notification` or `display-notification`.
        element: &'static str,
        /// The status element's local name.
        status: String,
    },

    /// The document has no single delivery or display notification.
    #[error("parse the IMDN notification: {0}")]
    Notification(String),

    /// The CPIM message does not carry an IMDN.
    #[error("parse the IMDN: the CPIM content type is {0:?}, not message/imdn+xml")]
    NotImdn(Option<String>),

    /// The CPIM body could not be decoded.
    #[error(transparent)]
    Cpim(#[from] CpimError),
}
