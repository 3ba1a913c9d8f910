//! The URI-list document `application/resource-lists+xml` (RFC 4826 §3) with the `copyControl`
//! attribute of RFC 5364, as sent with `Content-Disposition: recipient-list` to create a group
//! (RFC 5366, protocols.md §6.1), add participants by REFER (§6.3) or send to a list.
//!
//! [`ResourceLists::parse`] matches elements by namespace URI
//! (`urn:ietf:params:xml:ns:resource-lists`, any prefix) and reads `cp:copyControl` only in
//! `urn:ietf:params:xml:ns:copycontrol`; namespaces are case-sensitive, so the
//! `urn:ietf:params:xml:ns:copyControl` some stacks declare leaves the attribute unread
//! ([`Entry::copy_control`] is then `None`, which a check can flag). Nested lists are kept;
//! `entry-ref` and `external` are ignored; each `entry` needs a `uri`. DOCTYPE and external
//! entities are refused; 1 MiB and 10 000 elements at most. [`ResourceLists::to_xml`] writes the canonical
//! layout with both namespaces declared.

use crate::xml_tree::{
    Element, Limits, XmlError, XmlWriter, keyword_enum, parse_keyword, parse_root,
};

/// The namespace of the document.
pub const RESOURCE_LISTS_NS: &str = "urn:ietf:params:xml:ns:resource-lists";

/// The namespace of the `copyControl` attribute (RFC 5364).
pub const COPY_CONTROL_NS: &str = "urn:ietf:params:xml:ns:copycontrol";

/// The content type of the document.
pub const RESOURCE_LISTS_CONTENT_TYPE: &str = "application/resource-lists+xml";

/// The caps: 1 MiB and 10 000 elements, so that a list of nearly 10 000 recipients fits.
pub const RESOURCE_LISTS_LIMITS: Limits = Limits {
    max_bytes: 1024 * 1024,
    ..Limits::DEFAULT
};

const DOC: &str = "resource-lists";
const NS: &str = RESOURCE_LISTS_NS;

keyword_enum! {
    /// `cp:copyControl`: how the recipient appears to the others (RFC 5364 §4).
    CopyControl {
        /// `to`.
        To = "to",
        /// `cc`.
        Cc = "cc",
        /// `bcc`: hidden from the others.
        Bcc = "bcc",
    }
}

/// A resource-lists document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceLists {
    /// The top-level `list` elements.
    pub lists: Vec<List>,
}

/// A `list`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List {
    /// The `name` attribute.
    pub name: Option<String>,
    /// `display-name`.
    pub display_name: Option<String>,
    /// The `entry` elements.
    pub entries: Vec<Entry>,
    /// Nested `list` elements.
    pub lists: Vec<List>,
}

/// An `entry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `uri`.
    pub uri: String,
    /// `display-name`.
    pub display_name: Option<String>,
    /// `cp:copyControl`.
    pub copy_control: Option<CopyControl>,
}

impl ResourceLists {
    /// One list of `to` recipients, as a group creation or REFER sends (protocols.md §6.1).
    pub fn recipients<'a>(uris: impl IntoIterator<Item = &'a str>) -> Self {
        let entries = uris
            .into_iter()
            .map(|uri| Entry {
                uri: uri.to_owned(),
                display_name: None,
                copy_control: Some(CopyControl::To),
            })
            .collect();
        Self {
            lists: vec![List {
                entries,
                ..List::default()
            }],
        }
    }

    /// Every entry, depth first, in document order.
    pub fn entries(&self) -> Vec<&Entry> {
        let mut out = Vec::new();
        self.lists.iter().for_each(|l| l.collect(&mut out));
        out
    }

    /// Every entry URI, depth first, in document order.
    pub fn uris(&self) -> Vec<&str> {
        self.entries().into_iter().map(|e| e.uri.as_str()).collect()
    }

    /// Parses a resource-lists document; see the module docs for what is checked.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse_root(xml, DOC, &RESOURCE_LISTS_LIMITS, NS, DOC)?;
        let lists = root
            .children_named(NS, "list")
            .map(list)
            .collect::<Result<_, _>>()?;
        Ok(Self { lists })
    }

    /// The document in the canonical layout.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open(DOC, &[("xmlns", NS), ("xmlns:cp", COPY_CONTROL_NS)]);
        self.lists.iter().for_each(|l| write_list(&mut w, l));
        w.close(DOC);
        w.finish()
    }
}

impl List {
    fn collect<'a>(&'a self, out: &mut Vec<&'a Entry>) {
        out.extend(&self.entries);
        self.lists.iter().for_each(|l| l.collect(out));
    }
}

fn list(e: &Element) -> Result<List, XmlError> {
    Ok(List {
        name: e.attr("name").map(str::to_owned),
        display_name: e.child_text(NS, "display-name").map(str::to_owned),
        entries: e
            .children_named(NS, "entry")
            .map(entry)
            .collect::<Result<_, _>>()?,
        lists: e
            .children_named(NS, "list")
            .map(list)
            .collect::<Result<_, _>>()?,
    })
}

fn entry(e: &Element) -> Result<Entry, XmlError> {
    let copy_control = e
        .attr_ns(COPY_CONTROL_NS, "copyControl")
        .map(|v| {
            parse_keyword(
                v,
                "entry@cp:copyControl",
                "to, cc or bcc",
                CopyControl::from_keyword,
            )
        })
        .transpose()?;
    Ok(Entry {
        uri: e.required_attr("uri", "entry")?.to_owned(),
        display_name: e.child_text(NS, "display-name").map(str::to_owned),
        copy_control,
    })
}

fn write_list(w: &mut XmlWriter, list: &List) {
    let attrs: Vec<_> = list.name.iter().map(|n| ("name", n.as_str())).collect();
    w.open("list", &attrs);
    w.leaf_opt("display-name", list.display_name.as_deref());
    for entry in &list.entries {
        let mut attrs = vec![("uri", entry.uri.as_str())];
        if let Some(cc) = entry.copy_control {
            attrs.push(("cp:copyControl", cc.as_str()));
        }
        match &entry.display_name {
            Some(name) => {
                w.open("entry", &attrs)
                    .leaf("display-name", &[], name)
                    .close("entry");
            }
            None => {
                w.empty("entry", &attrs);
            }
        }
    }
    list.lists.iter().for_each(|l| write_list(w, l));
    w.close("list");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
