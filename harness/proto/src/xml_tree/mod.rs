//! A small namespace-resolved element tree shared by the XML documents of 5G Messaging
//! (file-info, reginfo, conference-info, resource-lists, revoke, auto-configuration, group data).
//!
//! [`parse`] reads a whole document with quick-xml's `NsReader` and gives every element and
//! attribute its namespace URI, so documents are matched by URI whatever prefix the sender chose
//! (the check quick-xml's serde layer does not make). It refuses what a conformance tool must not
//! follow: DOCTYPE declarations and entities other than XML's five (no external entity can be
//! fetched, ROB-BODY-004), undeclared prefixes, and documents over the [`Limits`] (bytes, elements,
//! attributes per element, depth). [`XmlWriter`] writes the canonical layout the builders use:
//! an XML declaration, two-space indentation, LF line ends, escaped text and attributes.
//!
//! Not supported: processing instructions and comments are skipped; mixed content keeps only the
//! concatenated text of an element; XML 1.1 line-end rules.

mod error;
mod reader;
mod writer;

pub use error::XmlError;
pub use reader::parse;
pub use writer::XmlWriter;

/// Caps on a document read from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest document accepted, in bytes.
    pub max_bytes: usize,
    /// The most elements in a document.
    pub max_elements: usize,
    /// The deepest nesting of elements (the root is level 1).
    pub max_depth: usize,
    /// The most attributes on one element (namespace declarations included).
    pub max_attributes: usize,
}

impl Limits {
    /// 256 KiB, 10 000 elements, 32 levels, 64 attributes per element.
    pub const DEFAULT: Self = Self {
        max_bytes: 256 * 1024,
        max_elements: 10_000,
        max_depth: 32,
        max_attributes: 64,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// An attribute, its namespace resolved (`None` for an unprefixed attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The namespace URI of a prefixed attribute.
    pub namespace: Option<String>,
    /// The local name.
    pub name: String,
    /// The value, entities resolved and whitespace normalised (XML 1.0 §3.3.3).
    pub value: String,
}

/// An element, its namespace resolved (`None` when in no namespace).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// The namespace URI.
    pub namespace: Option<String>,
    /// The local name.
    pub name: String,
    /// The attributes other than namespace declarations, in document order.
    pub attributes: Vec<Attribute>,
    /// The child elements, in document order.
    pub children: Vec<Element>,
    /// The element's own character data (CDATA included), concatenated.
    pub text: String,
}

impl Element {
    /// Whether this element is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.namespace.as_deref() == Some(ns) && self.name == name
    }

    /// The children named `{ns}name`.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// The first child named `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// The trimmed text of the first child `{ns}name`, when present and not empty.
    pub fn child_text(&self, ns: &str, name: &str) -> Option<&str> {
        self.child(ns, name)
            .map(Element::trimmed)
            .filter(|t| !t.is_empty())
    }

    /// The element's text without leading and trailing whitespace.
    pub fn trimmed(&self) -> &str {
        self.text.trim()
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The value of the attribute `{ns}name`.
    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.as_deref() == Some(ns) && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The first child `{ns}element`, or an error naming it and its parent.
    pub fn required_child(
        &self,
        ns: &str,
        element: &'static str,
        parent: &'static str,
    ) -> Result<&Element, XmlError> {
        self.child(ns, element)
            .ok_or(XmlError::MissingElement { parent, element })
    }

    /// The trimmed, non-empty text of the child `{ns}element`, or an error naming it.
    pub fn required_text(
        &self,
        ns: &str,
        element: &'static str,
        parent: &'static str,
    ) -> Result<&str, XmlError> {
        self.child_text(ns, element)
            .ok_or(XmlError::MissingElement { parent, element })
    }

    /// The non-empty unprefixed attribute `attribute`, or an error naming it.
    pub fn required_attr(
        &self,
        attribute: &'static str,
        element: &'static str,
    ) -> Result<&str, XmlError> {
        self.attr(attribute)
            .filter(|v| !v.trim().is_empty())
            .ok_or(XmlError::MissingAttribute { element, attribute })
    }

    /// `{namespace}name`, or `name in no namespace`, for messages.
    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{{{ns}}}{}", self.name),
            None => format!("{} in no namespace", self.name),
        }
    }

    /// The number of elements in this subtree, this one included.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(Element::count).sum::<usize>()
    }
}

/// Parses `xml` and checks that its root is `{ns}name` (`ns` empty: no namespace).
pub fn parse_root(
    xml: &[u8],
    doc: &'static str,
    limits: &Limits,
    ns: &str,
    name: &str,
) -> Result<Element, XmlError> {
    let root = parse(xml, doc, limits)?;
    let matches = match ns {
        "" => root.namespace.is_none() && root.name == name,
        ns => root.is(ns, name),
    };
    if !matches {
        let expected = match ns {
            "" => format!("{name} in no namespace"),
            ns => format!("{{{ns}}}{name}"),
        };
        return Err(XmlError::WrongRoot {
            doc,
            expected,
            found: root.describe(),
        });
    }
    Ok(root)
}

/// Parses a decimal number, or an error naming the construct.
pub fn parse_number<T: std::str::FromStr>(
    value: &str,
    construct: &'static str,
) -> Result<T, XmlError> {
    value.trim().parse().map_err(|_| XmlError::InvalidValue {
        construct,
        value: value.to_owned(),
        expected: "a decimal number in range",
    })
}

/// Reads a keyword attribute or element, or an error naming the construct and what it may be.
pub fn parse_keyword<T>(
    value: &str,
    construct: &'static str,
    expected: &'static str,
    from_keyword: fn(&str) -> Option<T>,
) -> Result<T, XmlError> {
    from_keyword(value.trim()).ok_or_else(|| XmlError::InvalidValue {
        construct,
        value: value.to_owned(),
        expected,
    })
}

/// An enum of the keywords an attribute or element may take, with `as_str` and `from_keyword`.
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The keyword as written on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// The variant a keyword names, matched exactly.
            pub fn from_keyword(keyword: &str) -> Option<Self> {
                match keyword {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use keyword_enum;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
