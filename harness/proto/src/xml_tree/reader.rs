//! The namespace-resolving reader: quick-xml `NsReader` events folded into an [`Element`] tree,
//! with the caps of [`Limits`] checked as the document is read.

use quick_xml::XmlVersion;
use quick_xml::escape::{EscapeError, resolve_predefined_entity};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

use super::{Attribute, Element, Limits, XmlError};

/// Parses a whole document into its root element; see the module docs for what is refused.
/// `doc` names the document type in errors (e.g. `file-info`).
pub fn parse(xml: &[u8], doc: &'static str, limits: &Limits) -> Result<Element, XmlError> {
    if xml.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            doc,
            size: xml.len(),
            max: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(xml).map_err(|_| XmlError::NotUtf8(doc))?;
    Builder {
        doc,
        limits,
        stack: Vec::new(),
        root: None,
        elements: 0,
    }
    .run(NsReader::from_str(text))
}

/// The tree under construction.
struct Builder<'l> {
    doc: &'static str,
    limits: &'l Limits,
    stack: Vec<Element>,
    root: Option<Element>,
    elements: usize,
}

impl Builder<'_> {
    fn run(mut self, mut reader: NsReader<&[u8]>) -> Result<Element, XmlError> {
        loop {
            let (ns, event) = match reader.read_resolved_event() {
                Ok((ns, event)) => (self.namespace(&ns), event),
                Err(e) => return Err(self.malformed(e.to_string())),
            };
            match event {
                Event::Start(e) => {
                    let element = self.element(&reader, ns, &e)?;
                    self.stack.push(element);
                }
                Event::Empty(e) => {
                    let element = self.element(&reader, ns, &e)?;
                    self.stack.push(element);
                    self.close()?;
                }
                Event::End(_) => self.close()?,
                Event::Text(t) => self.text(&t.xml10_content()),
                Event::CData(c) => self.text(&c.xml10_content()),
                Event::GeneralRef(r) => self.text(&self.reference(&r)?),
                Event::DocType(_) => return Err(XmlError::Doctype(self.doc)),
                Event::Eof => break,
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
        }
        if !self.stack.is_empty() {
            return Err(self.malformed("the document ends inside an element".into()));
        }
        match self.root.take() {
            Some(root) => Ok(root),
            None => Err(self.malformed_static("the document has no element")),
        }
    }

    /// A new element from a start tag, after the element, depth and attribute caps.
    fn element(
        &mut self,
        reader: &NsReader<&[u8]>,
        ns: Result<Option<String>, String>,
        start: &BytesStart<'_>,
    ) -> Result<Element, XmlError> {
        if self.root.is_some() {
            return Err(self.malformed_static("a second root element follows the first"));
        }
        self.elements += 1;
        self.check(
            self.elements > self.limits.max_elements,
            "elements",
            self.limits.max_elements,
        )?;
        let depth = self.stack.len() + 1;
        self.check(
            depth > self.limits.max_depth,
            "levels of nesting",
            self.limits.max_depth,
        )?;
        let name = start.local_name().into_inner().to_owned();
        let namespace = ns.map_err(|prefix| self.undeclared(&name, &prefix))?;
        let mut attributes = Vec::new();
        for (n, attr) in start.attributes().enumerate() {
            let max = self.limits.max_attributes;
            self.check(n >= max, "attributes on one element", max)?;
            let attr = attr.map_err(|e| self.malformed(e.to_string()))?;
            let key = attr.key;
            if key.as_namespace_binding().is_some() {
                continue;
            }
            let (attr_ns, local) = reader.resolver().resolve_attribute(key);
            let local = local.into_inner().to_owned();
            let attr_ns = self.namespace(&attr_ns);
            attributes.push(Attribute {
                namespace: attr_ns.map_err(|prefix| self.undeclared(&local, &prefix))?,
                value: self.attribute_value(&attr)?,
                name: local,
            });
        }
        Ok(Element {
            namespace,
            name,
            attributes,
            ..Element::default()
        })
    }

    fn attribute_value(
        &self,
        attr: &quick_xml::events::attributes::Attribute<'_>,
    ) -> Result<String, XmlError> {
        match attr.normalized_value(XmlVersion::Implicit1_0) {
            Ok(v) => Ok(v.into_owned()),
            Err(quick_xml::Error::Escape(EscapeError::UnrecognizedEntity(_, entity))) => {
                Err(XmlError::Entity {
                    doc: self.doc,
                    entity,
                })
            }
            Err(e) => Err(self.malformed(e.to_string())),
        }
    }

    /// The namespace URI of a resolved name, or the undeclared prefix.
    fn namespace(&self, ns: &ResolveResult<'_>) -> Result<Option<String>, String> {
        match ns {
            ResolveResult::Bound(Namespace(uri)) => Ok(Some((*uri).to_owned())),
            ResolveResult::Unbound => Ok(None),
            ResolveResult::Unknown(prefix) => Err(prefix.clone()),
        }
    }

    fn undeclared(&self, local: &str, prefix: &str) -> XmlError {
        self.malformed(format!(
            "{local} uses the undeclared namespace prefix {prefix:?}"
        ))
    }

    /// Ends the innermost element and attaches it to its parent, or makes it the root.
    fn close(&mut self) -> Result<(), XmlError> {
        let element = self
            .stack
            .pop()
            .ok_or_else(|| self.malformed_static("an end tag has no start tag"))?;
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(element),
            None => self.root = Some(element),
        }
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if let Some(element) = self.stack.last_mut() {
            element.text.push_str(text);
        }
    }

    /// A character reference or one of the five predefined entities; anything else is refused.
    fn reference(&self, r: &BytesRef<'_>) -> Result<String, XmlError> {
        let name: &str = r.as_ref();
        if r.is_char_ref() {
            return match r.resolve_char_ref() {
                Ok(Some(c)) => Ok(c.to_string()),
                _ => Err(self.malformed(format!("&{name}; is not a valid character"))),
            };
        }
        resolve_predefined_entity(name)
            .map(str::to_owned)
            .ok_or_else(|| XmlError::Entity {
                doc: self.doc,
                entity: name.to_owned(),
            })
    }

    fn check(&self, over: bool, what: &'static str, max: usize) -> Result<(), XmlError> {
        match over {
            true => Err(XmlError::OverLimit {
                doc: self.doc,
                what,
                max,
            }),
            false => Ok(()),
        }
    }

    fn malformed(&self, reason: String) -> XmlError {
        XmlError::Malformed {
            doc: self.doc,
            reason,
        }
    }

    fn malformed_static(&self, reason: &str) -> XmlError {
        self.malformed(reason.to_owned())
    }
}
