//! The `file-resume-info` document of a resumed FT-HTTP upload (protocols.md §5.1): the byte
//! range the content server already holds and the URL to PUT the rest to.

use crate::xml_tree::{Element, XmlError, XmlWriter, parse, parse_number};

use super::{FT_HTTP_LIMITS, FT_HTTP_NS};

const DOC: &str = "file-resume-info";

/// A `file-resume-info` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeInfo {
    /// `file-range@start`, the first byte held (0-based).
    pub start: u64,
    /// `file-range@end`, the last byte held (inclusive).
    pub end: u64,
    /// `data@url`, where the remaining bytes are PUT.
    pub url: String,
}

impl ResumeInfo {
    /// Parses the document; the root may be in no namespace or in the fthttp namespace.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse(xml, DOC, &FT_HTTP_LIMITS)?;
        let ns = match root.namespace.as_deref() {
            None => "",
            Some(FT_HTTP_NS) => FT_HTTP_NS,
            Some(_) => return Err(wrong_root(&root)),
        };
        if root.name != DOC {
            return Err(wrong_root(&root));
        }
        let range = child(&root, ns, "file-range")?;
        let start = parse_number(
            range.required_attr("start", "file-range")?,
            "file-range@start",
        )?;
        let end: u64 = parse_number(range.required_attr("end", "file-range")?, "file-range@end")?;
        if end < start {
            return Err(XmlError::InvalidValue {
                construct: "file-range@end",
                value: end.to_string(),
                expected: "at least file-range@start",
            });
        }
        let url = child(&root, ns, "data")?.required_attr("url", "data")?;
        Ok(Self {
            start,
            end,
            url: url.to_owned(),
        })
    }

    /// The document in the layout of protocols.md §5.1, no namespace.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        let (start, end) = (self.start.to_string(), self.end.to_string());
        w.open(DOC, &[])
            .empty("file-range", &[("start", &start), ("end", &end)])
            .empty("data", &[("url", &self.url)])
            .close(DOC);
        w.finish()
    }

    /// The offset the upload resumes from: the byte after `end`.
    pub fn resume_offset(&self) -> u64 {
        self.end.saturating_add(1)
    }
}

/// A child in the root's namespace (or in none).
fn child<'a>(root: &'a Element, ns: &str, name: &'static str) -> Result<&'a Element, XmlError> {
    root.children
        .iter()
        .find(|c| c.namespace.as_deref().unwrap_or("") == ns && c.name == name)
        .ok_or(XmlError::MissingElement {
            parent: DOC,
            element: name,
        })
}

fn wrong_root(root: &Element) -> XmlError {
    XmlError::WrongRoot {
        doc: DOC,
        expected: format!("{DOC} in no namespace or in {FT_HTTP_NS}"),
        found: root.describe(),
    }
}
