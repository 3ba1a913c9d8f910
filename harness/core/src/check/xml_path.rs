//! `xml: <path>`: a small path language over an XML body read with [`rcs_proto::xml_tree`].
//!
//! A path is steps of local names separated by `/`, walked from the root's children (a leading `/`
//! makes the first step the root itself), ending in an element (its trimmed text) or an attribute
//! (`@name`, by local name). Names are matched without namespaces, so a document reads the same
//! whatever prefixes its sender bound. A step may carry one predicate: `[2]` (the second such
//! child, counting from 1) or `[@type=file]` (children whose attribute has that value; quotes
//! optional). `*` matches any name. Every element the path reaches is a value, in document order:
//! a check reads the first, `includes`/`excludes` read them all.
//!
//! Examples (RCC.07 file-info, protocols.md §5): `file-info[@type=file]/data/@url`,
//! `/file/file-info[1]/file-size`.
//!
//! Not here: axes other than children, functions, or namespace-qualified names.

use rcs_proto::xml_tree::Element;

/// The most steps a path may have.
const MAX_STEPS: usize = 32;

/// A parsed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlPath {
    /// The first step names the root.
    absolute: bool,
    steps: Vec<Step>,
    attribute: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Step {
    name: String,
    filter: Option<Filter>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Filter {
    /// 1-based position among the siblings the name matched.
    Position(usize),
    Attribute(String, String),
}

impl XmlPath {
    /// Parse a path; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (absolute, rest) = match text.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if rest.is_empty() {
            return Err("the path is empty: name an element, e.g. `file-info/data/@url`".into());
        }
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() > MAX_STEPS {
            return Err(format!("more than {MAX_STEPS} steps"));
        }
        let mut steps = Vec::new();
        let mut attribute = None;
        for (i, part) in parts.iter().enumerate() {
            if let Some(name) = part.strip_prefix('@') {
                if i + 1 != parts.len() {
                    return Err(format!("`@{name}` must be the last step"));
                }
                check_name(name)?;
                attribute = Some(name.to_owned());
                continue;
            }
            steps.push(step(part)?);
        }
        if absolute && steps.is_empty() {
            return Err("a path starting with `/` names the root element first".into());
        }
        Ok(Self {
            absolute,
            steps,
            attribute,
        })
    }

    /// Every value the path reaches in the document under `root`, in document order.
    pub fn values(&self, root: &Element) -> Vec<String> {
        let mut reached: Vec<&Element> = vec![root];
        let mut steps = self.steps.iter();
        if self.absolute {
            let Some(first) = steps.next() else {
                return Vec::new();
            };
            reached = select(std::slice::from_ref(root), first);
        }
        for step in steps {
            let next: Vec<&Element> = reached
                .iter()
                .flat_map(|e| select(&e.children, step))
                .collect();
            reached = next;
        }
        match &self.attribute {
            None => reached.iter().map(|e| e.trimmed().to_owned()).collect(),
            Some(name) => reached
                .iter()
                .filter_map(|e| e.attributes.iter().find(|a| a.name == *name))
                .map(|a| a.value.clone())
                .collect(),
        }
    }
}

/// The elements among `candidates` that `step` selects.
fn select<'a>(candidates: &'a [Element], step: &Step) -> Vec<&'a Element> {
    let named = candidates
        .iter()
        .filter(|e| step.name == "*" || e.name == step.name);
    match &step.filter {
        None => named.collect(),
        Some(Filter::Position(n)) => named.skip(n - 1).take(1).collect(),
        Some(Filter::Attribute(attr, value)) => named
            .filter(|e| {
                e.attributes
                    .iter()
                    .any(|a| a.name == *attr && a.value == *value)
            })
            .collect(),
    }
}

fn step(part: &str) -> Result<Step, String> {
    let Some((name, rest)) = part.split_once('[') else {
        check_name(part)?;
        return Ok(Step {
            name: part.to_owned(),
            filter: None,
        });
    };
    check_name(name)?;
    let inner = rest
        .strip_suffix(']')
        .ok_or_else(|| format!("`{part}`: a predicate ends with `]`"))?;
    let filter = match inner.strip_prefix('@') {
        Some(test) => {
            let (attr, value) = test
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: write `[@attribute=value]`"))?;
            check_name(attr)?;
            Filter::Attribute(attr.to_owned(), unquote(value).to_owned())
        }
        None => match inner.parse::<usize>() {
            Ok(n) if n >= 1 => Filter::Position(n),
            _ => {
                return Err(format!(
                    "`{part}`: a predicate is a position from 1 (`[2]`) or `[@attribute=value]`"
                ));
            }
        },
    };
    Ok(Step {
        name: name.to_owned(),
        filter: Some(filter),
    })
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|x| x.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// A local name (no prefix) or `*`.
fn check_name(name: &str) -> Result<(), String> {
    let valid = name == "*"
        || (!name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.')));
    match valid {
        true => Ok(()),
        false if name.contains(':') => Err(format!(
            "`{name}`: names are local, without a prefix (namespaces are ignored)"
        )),
        false => Err(format!("`{name}` is not an element or attribute name")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_proto::xml_tree::{Limits, parse};

    const FILE_INFO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<f:file xmlns:f="urn:gsma:params:xml:ns:rcs:rcs:fthttp">
  <f:file-info type="thumbnail">
    <f:file-size>7427</f:file-size>
    <f:data url="https://cs.example/t/1" until="2026-12-01T10:00:00Z"/>
  </f:file-info>
  <f:file-info type="file" file-disposition="attachment">
    <f:file-size>183524</f:file-size>
    <f:file-name>photo.jpg</f:file-name>
    <f:data url="https://cs.example/f/2" until="2026-12-01T10:00:00Z"/>
  </f:file-info>
</f:file>"#;

    fn values(path: &str) -> Vec<String> {
        let root = parse(FILE_INFO.as_bytes(), "file", &Limits::DEFAULT).unwrap();
        XmlPath::parse(path).unwrap().values(&root)
    }

    #[test]
    fn paths_walk_local_names_from_the_root() {
        assert_eq!(
            values("file-info[@type=file]/data/@url"),
            ["https://cs.example/f/2"]
        );
        assert_eq!(
            values("file-info/data/@url"),
            ["https://cs.example/t/1", "https://cs.example/f/2"]
        );
        assert_eq!(values("/file/file-info[2]/file-size"), ["183524"]);
        assert_eq!(values("file-info[@type='file']/file-name"), ["photo.jpg"]);
        assert_eq!(values("*/file-name"), ["photo.jpg"]);
        assert_eq!(values("file-info[1]/@type"), ["thumbnail"]);
        assert!(values("file-info[3]/file-size").is_empty());
        assert!(values("/other/file-info").is_empty());
        assert!(values("file-info/data/@size").is_empty());
    }

    #[test]
    fn bad_paths_say_why() {
        for (path, why) in [
            ("", "empty"),
            ("/", "empty"),
            ("data/@url/x", "last step"),
            ("f:data", "without a prefix"),
            ("data[0]", "position from 1"),
            ("data[@url]", "[@attribute=value]"),
            ("data[1", "ends with `]`"),
            ("/@url", "names the root"),
        ] {
            let e = XmlPath::parse(path).unwrap_err();
            assert!(e.contains(why), "{path}: {e}");
        }
    }
}
