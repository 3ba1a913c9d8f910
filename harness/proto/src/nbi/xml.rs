//! What the CMCC documents share: reading children that senders write unqualified or in the
//! root's namespace, reading a `bodyText` byte-exact (XML line-end normalisation would turn the
//! CRLF of a multipart body held in CDATA into LF), and writing with CDATA sections.

use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::xml_tree::{Element, Limits, parse_root};

use super::{MAX_BODY, MAX_DESTINATIONS, NbiError};

/// The caps on a CMCC document: [`MAX_BODY`] bytes, room for [`MAX_DESTINATIONS`] addresses.
pub(crate) const LIMITS: Limits = Limits {
    max_bytes: MAX_BODY,
    max_elements: 2 * MAX_DESTINATIONS + 200,
    max_depth: 16,
    max_attributes: 64,
};

/// Parses a document whose root is `{ns}root`.
pub(crate) fn parse(
    xml: &[u8],
    doc: &'static str,
    ns: &str,
    root: &str,
) -> Result<Element, NbiError> {
    parse_root(xml, doc, &LIMITS, ns, root).map_err(|e| NbiError::new(doc, e.to_string()))
}

/// Whether `child` is one of `names` and unqualified or in the namespace of `parent`.
fn matches(parent: &Element, child: &Element, names: &[&str]) -> bool {
    names.contains(&child.name.as_str())
        && (child.namespace.is_none() || child.namespace == parent.namespace)
}

/// The first child named one of `names`.
pub(crate) fn kid<'a>(parent: &'a Element, names: &[&str]) -> Option<&'a Element> {
    parent.children.iter().find(|c| matches(parent, c, names))
}

/// The trimmed text of the first child named one of `names`, when not empty.
pub(crate) fn text(parent: &Element, names: &[&str]) -> Option<String> {
    kid(parent, names)
        .map(|c| c.trimmed().to_owned())
        .filter(|t| !t.is_empty())
}

/// The trimmed, non-empty texts of every child named one of `names`, in order.
pub(crate) fn texts(parent: &Element, names: &[&str]) -> Vec<String> {
    parent
        .children
        .iter()
        .filter(|c| matches(parent, c, names))
        .map(|c| c.trimmed().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

/// A required text, or an error naming the element.
pub(crate) fn required(
    parent: &Element,
    name: &'static str,
    doc: &'static str,
) -> Result<String, NbiError> {
    text(parent, &[name]).ok_or_else(|| NbiError::new(doc, format!("{name} is missing")))
}

/// A `true` / `false` element (case-insensitive), absent → `None`.
pub(crate) fn flag(
    parent: &Element,
    name: &'static str,
    doc: &'static str,
) -> Result<Option<bool>, NbiError> {
    match text(parent, &[name]) {
        None => Ok(None),
        Some(t) if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(t) if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(t) => Err(NbiError::new(
            doc,
            format!("{name} {t:?} is not true or false"),
        )),
    }
}

/// The content of the first element at `path` (local names from the root), byte-exact: CDATA
/// sections and text as written, entities resolved, no line-end normalisation. When a CDATA
/// section is present, whitespace-only text around it (indentation) is dropped. `None` when no
/// element is at `path`. Call on a document [`parse`] accepted.
pub(crate) fn raw_text(
    xml: &[u8],
    path: &[&str],
    doc: &'static str,
) -> Result<Option<String>, NbiError> {
    let bad = |e: String| NbiError::new(doc, e);
    let source = std::str::from_utf8(xml).map_err(|_| bad("it is not UTF-8".into()))?;
    let mut reader = Reader::from_str(source);
    let mut stack: Vec<String> = Vec::new();
    let mut pieces: Vec<(bool, String)> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| bad(e.to_string()))?;
        let at_path = stack.iter().map(String::as_str).eq(path.iter().copied());
        match event {
            Event::Start(e) => {
                stack.push(e.local_name().into_inner().to_owned());
            }
            Event::Empty(e) => {
                let name = e.local_name().into_inner().to_owned();
                let here = stack.iter().map(String::as_str).chain([name.as_str()]);
                if here.eq(path.iter().copied()) {
                    return Ok(Some(String::new()));
                }
            }
            Event::End(_) if at_path => return Ok(Some(join(pieces))),
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) if at_path => pieces.push((false, t.into_inner().into_owned())),
            Event::CData(c) if at_path => pieces.push((true, c.into_inner().into_owned())),
            Event::GeneralRef(r) if at_path => {
                let name: &str = r.as_ref();
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => resolve_predefined_entity(name)
                        .unwrap_or_default()
                        .to_owned(),
                };
                pieces.push((false, resolved));
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

fn join(pieces: Vec<(bool, String)>) -> String {
    let cdata = pieces.iter().any(|(is_cdata, _)| *is_cdata);
    pieces
        .into_iter()
        .filter(|(is_cdata, s)| !cdata || *is_cdata || !s.trim().is_empty())
        .map(|(_, s)| s)
        .collect()
}

/// A writer in the layout of protocols.md §8.1: XML declaration, two-space indentation, LF line
/// ends, text escaped (`"` as `&quot;`), bodies in CDATA sections.
pub(crate) struct Doc {
    out: String,
    depth: usize,
}

impl Doc {
    pub(crate) fn new() -> Self {
        Self {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            depth: 0,
        }
    }

    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            self.out.push_str(&format!(" {key}=\"{}\"", escape(*value)));
        }
        self.out.push_str(">\n");
        self.depth += 1;
        self
    }

    pub(crate) fn close(&mut self, name: &str) -> &mut Self {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str(&format!("</{name}>\n"));
        self
    }

    pub(crate) fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.indent();
        self.out
            .push_str(&format!("<{name}>{}</{name}>\n", escape(text)));
        self
    }

    pub(crate) fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, text);
        }
        self
    }

    pub(crate) fn leaves(&mut self, name: &str, texts: &[String]) -> &mut Self {
        for text in texts {
            self.leaf(name, text);
        }
        self
    }

    pub(crate) fn flag(&mut self, name: &str, value: Option<bool>) -> &mut Self {
        self.leaf_opt(name, value.map(|v| if v { "true" } else { "false" }))
    }

    /// `<name><![CDATA[text]]></name>`; a `]]>` inside is split across two sections.
    pub(crate) fn cdata(&mut self, name: &str, text: &str) -> &mut Self {
        self.indent();
        let body = text.replace("]]>", "]]]]><![CDATA[>");
        self.out
            .push_str(&format!("<{name}><![CDATA[{body}]]></{name}>\n"));
        self
    }

    pub(crate) fn finish(&self) -> Vec<u8> {
        self.out.clone().into_bytes()
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DOC: &str = "test";

    #[test]
    fn raw_text_keeps_cdata_crlf_and_drops_indentation() {
        let xml = "<a><b>\n  <![CDATA[x\r\ny]]>\n</b></a>";
        let got = raw_text(xml.as_bytes(), &["a", "b"], DOC).unwrap();
        assert_eq!(got.as_deref(), Some("x\r\ny"));
    }

    #[test]
    fn raw_text_resolves_entities_and_finds_nested_paths() {
        let xml = "<m:a xmlns:m=\"urn:x\"><c><b>no</b></c><b>a&lt;b&#x41;</b></m:a>";
        let got = raw_text(xml.as_bytes(), &["a", "b"], DOC).unwrap();
        assert_eq!(got.as_deref(), Some("a<bA"));
        let nested = raw_text(xml.as_bytes(), &["a", "c", "b"], DOC).unwrap();
        assert_eq!(nested.as_deref(), Some("no"));
        assert_eq!(raw_text(xml.as_bytes(), &["a", "z"], DOC).unwrap(), None);
        let empty = raw_text(b"<a><b/></a>", &["a", "b"], DOC).unwrap();
        assert_eq!(empty.as_deref(), Some(""));
    }

    #[test]
    fn cdata_end_marker_is_split_and_reads_back() {
        let mut doc = Doc::new();
        doc.open("a", &[]).cdata("b", "x]]>y\r\n").close("a");
        let xml = doc.finish();
        let got = raw_text(&xml, &["a", "b"], DOC).unwrap();
        assert_eq!(got.as_deref(), Some("x]]>y\r\n"));
    }

    #[test]
    fn children_unqualified_or_in_the_root_namespace() {
        let xml = b"<r xmlns=\"urn:x\"><k>1</k><o:k xmlns:o=\"urn:other\">2</o:k></r>";
        let root = parse(xml, DOC, "urn:x", "r").unwrap();
        assert_eq!(texts(&root, &["k"]), ["1"]);
        let err = flag(&root, "k", DOC).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to read test: k \"1\" is not true or false"
        );
    }
}
