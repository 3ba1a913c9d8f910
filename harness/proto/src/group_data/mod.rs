//! The OMA CPM group data management document `application/vnd.oma.cpm-groupdata+xml`: the
//! chairman's request to change a group's subject, icon or roles, and the focus's response
//! (protocols.md §6.3).
//!
//! The root is `cpm-group-management` in `urn:oma:xml:cpm:groupdata:1.0` with a mandatory `id`
//! attribute, holding either a `request` (`target`, `action`, then `data` with the new values:
//! `subject`, `icon-uri`, `participant`, `role`) or a `response` (`responsecode`,
//! `responsetext`). [`GroupData::parse`] matches elements by namespace URI (any prefix), refuses
//! DOCTYPE and external entities and keeps `target` and `action` as written, so a check can flag a
//! value outside the keywords of §6.3. [`GroupData::to_xml`] writes the canonical layout.
//!
//! Not modelled: `file-info` icons and vendor extensions (ignored when read).

use crate::xml_tree::{Element, Limits, XmlError, XmlWriter, parse_number, parse_root};

/// The namespace of the document.
pub const GROUP_DATA_NS: &str = "urn:oma:xml:cpm:groupdata:1.0";

/// The content type of the document.
pub const GROUP_DATA_CONTENT_TYPE: &str = "application/vnd.oma.cpm-groupdata+xml";

/// The caps: 64 KiB, the default element counts.
pub const GROUP_DATA_LIMITS: Limits = Limits {
    max_bytes: 64 * 1024,
    ..Limits::DEFAULT
};

const DOC: &str = "cpm-group-management";
const NS: &str = GROUP_DATA_NS;

/// The values a request's `data` may carry.
const DATA_FIELDS: [&str; 4] = ["subject", "icon-uri", "participant", "role"];

/// A group data management document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupData {
    /// `id`, which pairs a response with its request.
    pub id: String,
    /// The request or the response.
    pub body: GroupDataBody,
}

/// What a document carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupDataBody {
    /// A change asked for.
    Request(GroupRequest),
    /// The focus's answer.
    Response(GroupResponse),
}

/// A `request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRequest {
    /// `target`: `subject`, `icon`, `user-role`...
    pub target: String,
    /// `action`: `set` or `delete`.
    pub action: String,
    /// The children of `data` this module knows, `(name, text)` in document order.
    pub data: Vec<(String, String)>,
}

/// A `response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupResponse {
    /// `responsecode`, an HTTP-like status (200: done).
    pub code: u16,
    /// `responsetext`.
    pub text: Option<String>,
}

impl GroupData {
    /// A request to set the subject.
    pub fn set_subject(id: &str, subject: &str) -> Self {
        Self::request(id, "subject", "set", vec![("subject", subject)])
    }

    /// A request of `action` on `target` with `data`.
    pub fn request(id: &str, target: &str, action: &str, data: Vec<(&str, &str)>) -> Self {
        let data = data
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        Self {
            id: id.to_owned(),
            body: GroupDataBody::Request(GroupRequest {
                target: target.to_owned(),
                action: action.to_owned(),
                data,
            }),
        }
    }

    /// The response to the request `id`.
    pub fn response(id: &str, code: u16, text: &str) -> Self {
        Self {
            id: id.to_owned(),
            body: GroupDataBody::Response(GroupResponse {
                code,
                text: Some(text.to_owned()).filter(|t| !t.is_empty()),
            }),
        }
    }

    /// The request, if this is one.
    pub fn as_request(&self) -> Option<&GroupRequest> {
        match &self.body {
            GroupDataBody::Request(request) => Some(request),
            GroupDataBody::Response(_) => None,
        }
    }

    /// Parses a document; see the module docs for what is checked.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse_root(xml, DOC, &GROUP_DATA_LIMITS, NS, DOC)?;
        let id = root.required_attr("id", DOC)?.trim().to_owned();
        let body = match (root.child(NS, "request"), root.child(NS, "response")) {
            (Some(request), _) => GroupDataBody::Request(read_request(request)?),
            (None, Some(response)) => GroupDataBody::Response(read_response(response)?),
            (None, None) => {
                return Err(XmlError::MissingElement {
                    element: "request",
                    parent: DOC,
                });
            }
        };
        Ok(Self { id, body })
    }

    /// The document in the canonical layout.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open(DOC, &[("xmlns", NS), ("id", &self.id)]);
        match &self.body {
            GroupDataBody::Request(request) => {
                w.open("request", &[])
                    .leaf("target", &[], &request.target)
                    .leaf("action", &[], &request.action);
                if !request.data.is_empty() {
                    w.open("data", &[]);
                    for (name, value) in &request.data {
                        w.leaf(name, &[], value);
                    }
                    w.close("data");
                }
                w.close("request");
            }
            GroupDataBody::Response(response) => {
                w.open("response", &[])
                    .leaf("responsecode", &[], &response.code.to_string())
                    .leaf_opt("responsetext", response.text.as_deref())
                    .close("response");
            }
        }
        w.close(DOC);
        w.finish()
    }
}

impl GroupRequest {
    /// The text of the `data` child `name`.
    pub fn data(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(e: &Element) -> Result<GroupRequest, XmlError> {
    let data = match e.child(NS, "data") {
        Some(data) => data
            .children
            .iter()
            .filter(|c| c.namespace.as_deref() == Some(NS))
            .filter(|c| DATA_FIELDS.contains(&c.name.as_str()))
            .map(|c| (c.name.clone(), c.trimmed().to_owned()))
            .collect(),
        None => Vec::new(),
    };
    Ok(GroupRequest {
        target: e.required_text(NS, "target", "request")?.to_owned(),
        action: e.required_text(NS, "action", "request")?.to_owned(),
        data,
    })
}

fn read_response(e: &Element) -> Result<GroupResponse, XmlError> {
    let code = e.required_text(NS, "responsecode", "response")?;
    Ok(GroupResponse {
        code: parse_number(code, "response/responsecode")?,
        text: e.child_text(NS, "responsetext").map(str::to_owned),
    })
}

#[cfg(test)]
mod tests;
