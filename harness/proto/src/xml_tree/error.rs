//! Errors of the XML documents. Each message completes the sentence "failed to ...".

/// Why an XML document could not be read or did not have the required shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The document exceeds [`super::Limits::max_bytes`].
    #[error("read the {doc} document: {size} bytes exceed the cap of {max}")]
    TooLarge {
        /// The document read.
        doc: &'static str,
        /// The document size.
        size: usize,
        /// The cap.
        max: usize,
    },

    /// The document is not UTF-8.
    #[error("read the {0} document: it is not UTF-8")]
    NotUtf8(&'static str),

    /// The XML is not well formed, or not namespace-well-formed.
    #[error("read the {doc} document: {reason}")]
    Malformed {
        /// The document read.
        doc: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// The document has a DOCTYPE declaration (ROB-BODY-004).
    #[error(
        "read the {0} document: a DOCTYPE declaration is refused, it could define external entities"
    )]
    Doctype(&'static str),

    /// The document refers to an entity other than XML's five predefined ones.
    #[error("read the {doc} document: entity &{entity}; is not one of XML's predefined entities")]
    Entity {
        /// The document read.
        doc: &'static str,
        /// The entity name.
        entity: String,
    },

    /// More elements, attributes or nesting than [`super::Limits`] allows.
    #[error("read the {doc} document: more than {max} {what}")]
    OverLimit {
        /// The document read.
        doc: &'static str,
        /// `elements`, `attributes on one element` or `levels of nesting`.
        what: &'static str,
        /// The cap.
        max: usize,
    },

    /// The root element is not the one the document type requires.
    #[error("match the {doc} root: expected {expected}, found {found}")]
    WrongRoot {
        /// The document read.
        doc: &'static str,
        /// `{namespace}name` expected.
        expected: String,
        /// What was found.
        found: String,
    },

    /// A required element is absent or empty.
    #[error("find the {element} element in {parent}")]
    MissingElement {
        /// The parent element's name.
        parent: &'static str,
        /// The missing element's name.
        element: &'static str,
    },

    /// A required attribute is absent or empty.
    #[error("find the {attribute} attribute of {element}")]
    MissingAttribute {
        /// The element's name.
        element: &'static str,
        /// The missing attribute's name.
        attribute: &'static str,
    },

    /// An element or attribute value outside its grammar.
    #[error("parse {construct}: {value:?} is not {expected}")]
    InvalidValue {
        /// The element or attribute, e.g. `file-size` or `registration@state`.
        construct: &'static str,
        /// The value found.
        value: String,
        /// What it should be.
        expected: &'static str,
    },

    /// An element occurs more or fewer times than allowed.
    #[error("count the {construct} elements: found {found}, expected {expected}")]
    Count {
        /// The element (with a qualifier such as `file-info type="file"`).
        construct: &'static str,
        /// How many were found.
        found: usize,
        /// The allowed number, in words.
        expected: &'static str,
    },
}
