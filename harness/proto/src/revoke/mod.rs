//! The revoke request `application/vnd.gsma.rcsrevoke+xml` a sender or chatbot platform sends in
//! a pager-mode MESSAGE to withdraw a message not yet delivered (protocols.md §4.9).
//!
//! The body's root and namespace are **not verified** (protocols.md §4.9 and §15 list it as a
//! gap). This module follows the simulator default of §4.9:
//! `<rcsrevoke xmlns="urn:gsma:params:xml:ns:rcs:rcs:revoke"><Message-ID>…</Message-ID>
//! <action>revoke</action></rcsrevoke>`, and, as §4.9 asks, takes the namespace as a parameter
//! ([`Revoke::parse_in`], [`Revoke::to_xml_in`]). Elements are matched by namespace URI, whatever
//! the prefix; unknown elements are ignored; `Message-ID` and `action` are required; DOCTYPE and
//! external entities are refused.
//!
//! Not modelled: the revoke result notification on the SIP side (also a gap of §15).

use crate::xml_tree::{Limits, XmlError, XmlWriter, parse_root};

/// The default namespace of the document (protocols.md §4.9, a simulator default).
pub const REVOKE_NS: &str = "urn:gsma:params:xml:ns:rcs:rcs:revoke";

/// The content type of the document.
pub const REVOKE_CONTENT_TYPE: &str = "application/vnd.gsma.rcsrevoke+xml";

/// The caps: 16 KiB, 100 elements.
pub const REVOKE_LIMITS: Limits = Limits {
    max_bytes: 16 * 1024,
    max_elements: 100,
    ..Limits::DEFAULT
};

const DOC: &str = "rcsrevoke";

/// A revoke request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoke {
    /// `Message-ID`: the `imdn.Message-ID` of the message to revoke.
    pub message_id: String,
    /// `action`, `revoke` in every request seen.
    pub action: String,
}

impl Revoke {
    /// A request to revoke this message.
    pub fn new(message_id: &str) -> Self {
        Self {
            message_id: message_id.to_owned(),
            action: "revoke".to_owned(),
        }
    }

    /// Parses a request in the default namespace [`REVOKE_NS`].
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        Self::parse_in(xml, REVOKE_NS)
    }

    /// Parses a request whose elements are in the namespace `ns`.
    pub fn parse_in(xml: &[u8], ns: &str) -> Result<Self, XmlError> {
        let root = parse_root(xml, DOC, &REVOKE_LIMITS, ns, DOC)?;
        Ok(Self {
            message_id: root.required_text(ns, "Message-ID", DOC)?.to_owned(),
            action: root.required_text(ns, "action", DOC)?.to_owned(),
        })
    }

    /// The request in the default namespace, in the layout of protocols.md §4.9.
    pub fn to_xml(&self) -> String {
        self.to_xml_in(REVOKE_NS)
    }

    /// The request with its elements in the namespace `ns`.
    pub fn to_xml_in(&self, ns: &str) -> String {
        let mut w = XmlWriter::new();
        w.open(DOC, &[("xmlns", ns)])
            .leaf("Message-ID", &[], &self.message_id)
            .leaf("action", &[], &self.action)
            .close(DOC);
        w.finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
