//! HTTP messages as checks see them (RFC 9110, RFC 9112), and the subjects that read them.
//!
//! A captured HTTP message is one request or one response, exactly as tapped; [`HttpMessage::parse`]
//! frames it with [`rcs_proto::http`] (a response by the status line; a response to HEAD, which
//! announces a length it does not carry, is read as such when it cannot be read otherwise).
//! Subjects: `header`, `status`, `reason`, `body`, `request-uri` (the target as sent), `query`
//! (a target parameter, percent-decoded), `form` (a multipart/form-data part, RFC 7578), `digest`
//! (HTTP Digest, RFC 7616, as in SIP), `message` (the body: `size`, `sha256`, `text`,
//! `content-type`), and the body readers `xml` and `json` ([`body_xml`], [`body_json`]).
//!
//! Not here: content codings (a gzip body is judged as its bytes), or responses matched to their
//! requests.

use rcs_proto::http::{Request, Response, form};
use rcs_proto::xml_tree;
use sha2::{Digest, Sha256};

use crate::case::model::Subject;
use crate::check::subject::Observed;
use crate::check::xml_path::XmlPath;

/// One parsed HTTP message.
#[derive(Clone, Debug)]
pub enum HttpMessage {
    Request(Request),
    Response(Response),
}

impl HttpMessage {
    /// Parse one whole message; the error completes "failed to ...".
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let parsed = match bytes.starts_with(b"HTTP/") {
            true => Response::parse(bytes.to_vec(), "GET")
                .or_else(|first| Response::parse(bytes.to_vec(), "HEAD").map_err(|_| first))
                .map(Self::Response),
            false => Request::parse(bytes.to_vec()).map(Self::Request),
        };
        parsed.map_err(|e| format!("unparseable HTTP ({} bytes): {e}", bytes.len()))
    }

    pub fn method(&self) -> Option<&str> {
        match self {
            Self::Request(r) => Some(r.method()),
            Self::Response(_) => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Request(_) => None,
            Self::Response(r) => Some(r.status()),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        match self {
            Self::Request(r) => r.header(name),
            Self::Response(r) => r.header(name),
        }
    }

    /// Every value of a header, comma-separated values split.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        let lines: Vec<&str> = match self {
            Self::Request(r) => r.header_values(name).collect(),
            Self::Response(r) => r.header_values(name).collect(),
        };
        lines
            .iter()
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The content, the chunked coding removed.
    pub fn body(&self) -> &[u8] {
        match self {
            Self::Request(r) => r.body(),
            Self::Response(r) => r.body(),
        }
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
    }

    /// `HTTP POST /upload (multipart/form-data, 2048 bytes)`, `HTTP 206 Partial Content
    /// (bytes 0-99/200, 100 bytes)`.
    pub fn summary(&self) -> String {
        let start = match self {
            Self::Request(r) => format!("HTTP {} {}", r.method(), r.target()),
            Self::Response(r) if r.reason().is_empty() => format!("HTTP {}", r.status()),
            Self::Response(r) => format!("HTTP {} {}", r.status(), r.reason()),
        };
        let mut details = Vec::new();
        if let Some(range) = self.header("Content-Range") {
            details.push(range.to_owned());
        }
        if let Some(ct) = self.content_type() {
            details.push(ct.split(';').next().unwrap_or(ct).trim().to_owned());
        }
        if !self.body().is_empty() {
            details.push(format!("{} bytes", self.body().len()));
        }
        match details.is_empty() {
            true => start,
            false => format!("{start} ({})", details.join(", ")),
        }
    }
}

/// Read `subject` from an HTTP message. `list` asks for every value (for `includes`/`excludes`).
pub fn observe(msg: &HttpMessage, subject: &Subject, list: bool) -> Observed {
    match subject {
        Subject::Header { name, param: None } if list => many(msg.header_values(name)),
        Subject::Header { name, param: None } => opt(msg.header(name)),
        Subject::Header {
            name,
            param: Some(p),
        } => match msg.header(name) {
            None => Observed::Absent,
            Some(value) => crate::check::header::param_of(value, p),
        },
        Subject::Status => msg
            .status()
            .map_or(Observed::Absent, |s| Observed::One(s.to_string())),
        Subject::Reason => match msg {
            HttpMessage::Response(r) => Observed::One(r.reason().to_owned()),
            HttpMessage::Request(_) => Observed::Absent,
        },
        Subject::RequestUri => match msg {
            HttpMessage::Request(r) => Observed::One(r.target().to_owned()),
            HttpMessage::Response(_) => Observed::Absent,
        },
        Subject::Query { name } => match msg {
            HttpMessage::Request(r) => r.query_param(name).map_or(Observed::Absent, Observed::One),
            HttpMessage::Response(_) => Observed::Absent,
        },
        Subject::Body if msg.body().is_empty() => Observed::Absent,
        Subject::Body => Observed::One(String::from_utf8_lossy(msg.body()).into_owned()),
        Subject::Digest => opt(msg.header("Authorization")),
        Subject::Form { name, field } => form_part(msg, name, field.as_deref()),
        Subject::Message { field } => body_field(msg.body(), msg.content_type(), field),
        Subject::Xml { path } => body_xml(msg.body(), path, list),
        Subject::Json { pointer } => body_json(msg.body(), pointer, list),
        Subject::Bot { field } => {
            crate::check::bot::observe(crate::check::bot_content::http(msg), field, list)
        }
        Subject::FeatureTags { .. } | Subject::Sdp { .. } | Subject::Part { .. } => {
            Observed::NotApplicable("not a SIP message")
        }
        Subject::Cpim { .. } | Subject::Imdn { .. } => {
            Observed::NotApplicable("not a SIP message or MSRP frame")
        }
    }
}

/// `message: <field>` of a whole body: `size`, `sha256`, `text`, `content-type`.
fn body_field(body: &[u8], content_type: Option<&str>, field: &str) -> Observed {
    match field {
        "size" => Observed::One(body.len().to_string()),
        "sha256" => Observed::One(hex::encode(Sha256::digest(body))),
        "content-type" => opt(content_type),
        "text" => match std::str::from_utf8(body) {
            Ok(text) => Observed::One(text.to_owned()),
            Err(e) => Observed::Unreadable(format!("the body is not UTF-8: {e}")),
        },
        _ => Observed::NotApplicable("an MSRP field: an HTTP body is one piece"),
    }
}

/// A part of a multipart/form-data body, by form name.
fn form_part(msg: &HttpMessage, name: &str, field: Option<&str>) -> Observed {
    let Some(content_type) = msg.content_type() else {
        return Observed::Unreadable("the message has no Content-Type".to_owned());
    };
    let parts = match form::parse(content_type, msg.body()) {
        Ok(parts) => parts,
        Err(e) => return Observed::Unreadable(e.to_string()),
    };
    let Some(part) = form::find(&parts, name) else {
        return Observed::Absent;
    };
    match field {
        None => Observed::One(String::from_utf8_lossy(&part.body).into_owned()),
        Some("filename") => form::form_filename(part).map_or(Observed::Absent, Observed::One),
        Some(other) => body_field(&part.body, part.content_type(), other),
    }
}

/// `xml: <path>` of a body: the first value the path reaches (every value, for a list).
pub fn body_xml(body: &[u8], path: &str, list: bool) -> Observed {
    let path = match XmlPath::parse(path) {
        Ok(p) => p,
        Err(e) => return Observed::Unreadable(format!("bad path: {e}")),
    };
    if body.is_empty() {
        return Observed::Unreadable("the body is empty, not XML".to_owned());
    }
    let root = match xml_tree::parse(body, "body", &xml_tree::Limits::DEFAULT) {
        Ok(root) => root,
        Err(e) => return Observed::Unreadable(e.to_string()),
    };
    let values = path.values(&root);
    match list {
        true => many(values),
        false => values
            .into_iter()
            .next()
            .map_or(Observed::Absent, Observed::One),
    }
}

/// `json: <pointer>` of a body (RFC 6901): a string as is, other scalars as JSON text, objects
/// and arrays as compact JSON (an array's items, for a list).
pub fn body_json(body: &[u8], pointer: &str, list: bool) -> Observed {
    let doc: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Observed::Unreadable(format!("the body is not JSON: {e}")),
    };
    let Some(value) = doc.pointer(pointer) else {
        return Observed::Absent;
    };
    match (value, list) {
        (serde_json::Value::Array(items), true) => many(items.iter().map(json_text).collect()),
        (v, _) => Observed::One(json_text(v)),
    }
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn many(values: Vec<String>) -> Observed {
    match values.is_empty() {
        true => Observed::Absent,
        false => Observed::Many(values),
    }
}

fn opt(v: Option<&str>) -> Observed {
    v.map_or(Observed::Absent, |s| Observed::One(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rcs_proto::http::{RequestBuilder, ResponseBuilder};

    use super::*;
    use crate::case::model::{Check, Predicate};
    use crate::check::judge;
    use crate::check::message::Msg;
    use crate::events::Protocol;

    const FILE: &[u8] = b"\x89PNG\r\n\x1a\n fake image bytes";

    fn upload() -> Msg {
        let parts = [
            form::field("tid", None, "f81d4fae"),
            form::file("File", "photo.png", "image/png", FILE.to_vec()),
        ];
        let (content_type, body) = form::build(&parts, "b0undary");
        let bytes = RequestBuilder::new("POST", "/upload?tid=f81d4fae&name=caf%C3%A9+1")
            .header("Host", "cs.example")
            .header("Content-Type", &content_type)
            .header(
                "Authorization",
                "Digest username=\"alice\", realm=\"cs\", nonce=\"n\", uri=\"/upload\", response=\"00\"",
            )
            .body(body)
            .to_bytes();
        Msg::parse(Protocol::Http, &bytes).unwrap()
    }

    fn file_info() -> Msg {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?><file xmlns="urn:gsma:params:xml:ns:rcs:rcs:fthttp"><file-info type="file"><file-size>19</file-size><data url="https://cs.example/f/2" until="2026-12-01T10:00:00Z"/></file-info></file>"#;
        let bytes = ResponseBuilder::new(200, "OK")
            .header("Content-Type", "application/vnd.gsma.rcs-ft-http+xml")
            .body(xml.as_bytes().to_vec())
            .chunked(40)
            .to_bytes();
        Msg::parse(Protocol::Http, &bytes).unwrap()
    }

    fn json() -> Msg {
        let body = r#"{"messages":[{"id":"m1","n":3},{"id":"m2"}],"ok":true}"#;
        let bytes = ResponseBuilder::new(201, "Created")
            .header("Content-Type", "application/json")
            .body(body.as_bytes().to_vec())
            .to_bytes();
        Msg::parse(Protocol::Http, &bytes).unwrap()
    }

    fn check(subject: Subject, predicate: Predicate) -> Check {
        Check {
            subject,
            predicate,
            rule: "RFC 9110".into(),
            line: 1,
        }
    }

    fn passes(msg: &Msg, subject: Subject, predicate: Predicate) -> bool {
        judge(&check(subject, predicate), msg, &BTreeMap::new())
            .unwrap()
            .passed
    }

    fn eq(v: &str) -> Predicate {
        Predicate::Equals(v.into())
    }

    fn form_field(name: &str, field: Option<&str>) -> Subject {
        Subject::Form {
            name: name.into(),
            field: field.map(str::to_owned),
        }
    }

    #[test]
    fn request_subjects() {
        let m = upload();
        let query = |n: &str| Subject::Query { name: n.into() };
        assert!(passes(&m, query("tid"), eq("f81d4fae")));
        assert!(passes(&m, query("name"), eq("café 1")), "percent-decoded");
        assert!(!passes(&m, query("tid"), eq("other")));
        assert!(passes(&m, query("missing"), Predicate::Exists(false)));
        assert!(passes(
            &m,
            Subject::RequestUri,
            Predicate::Contains("/upload?".into())
        ));
        assert!(!passes(&m, Subject::Status, Predicate::Exists(true)));
        let header = Subject::Header {
            name: "host".into(),
            param: None,
        };
        assert!(passes(&m, header, eq("cs.example")));
        let boundary = Subject::Header {
            name: "Content-Type".into(),
            param: Some("boundary".into()),
        };
        assert!(passes(&m, boundary, eq("b0undary")));
        assert!(passes(
            &m,
            Subject::Digest,
            Predicate::Contains("username=\"alice\"".into())
        ));
    }

    #[test]
    fn form_parts() {
        let m = upload();
        assert!(passes(&m, form_field("tid", None), eq("f81d4fae")));
        assert!(passes(
            &m,
            form_field("File", Some("filename")),
            eq("photo.png")
        ));
        assert!(!passes(
            &m,
            form_field("File", Some("filename")),
            eq("x.png")
        ));
        assert!(passes(
            &m,
            form_field("File", Some("content-type")),
            eq("image/png")
        ));
        assert!(passes(
            &m,
            form_field("File", Some("size")),
            eq(&FILE.len().to_string())
        ));
        let sha = hex::encode(Sha256::digest(FILE));
        assert!(passes(&m, form_field("File", Some("sha256")), eq(&sha)));
        assert!(passes(
            &m,
            form_field("Thumbnail", None),
            Predicate::Exists(false)
        ));
        let o = observe(
            file_info().as_http().unwrap(),
            &form_field("File", None),
            false,
        );
        assert!(
            matches!(o, Observed::Unreadable(ref why) if why.contains("form-data")),
            "{o:?}"
        );
    }

    #[test]
    fn xml_json_and_message_of_a_body() {
        let m = file_info();
        let xml = |p: &str| Subject::Xml { path: p.into() };
        assert!(passes(
            &m,
            xml("file-info[@type=file]/data/@url"),
            eq("https://cs.example/f/2")
        ));
        assert!(passes(&m, xml("/file/file-info/file-size"), eq("19")));
        assert!(!passes(&m, xml("file-info/file-size"), eq("20")));
        assert!(passes(
            &m,
            xml("file-info/file-name"),
            Predicate::Exists(false)
        ));
        let size = Subject::Message {
            field: "size".into(),
        };
        let body_len = m.as_http().unwrap().body().len().to_string();
        assert!(
            passes(&m, size.clone(), eq(&body_len)),
            "the chunked coding is removed"
        );
        let sha = Subject::Message {
            field: "sha256".into(),
        };
        let digest = hex::encode(Sha256::digest(m.as_http().unwrap().body()));
        assert!(passes(&m, sha.clone(), eq(&digest)));
        assert!(!passes(&upload(), sha, eq(&digest)));
        let j = json();
        let json = |p: &str| Subject::Json { pointer: p.into() };
        assert!(passes(&j, json("/messages/1/id"), eq("m2")));
        assert!(passes(&j, json("/messages/0/n"), eq("3")));
        assert!(passes(&j, json("/ok"), eq("true")));
        assert!(!passes(&j, json("/messages/0/id"), eq("m2")));
        assert!(passes(&j, json("/nope"), Predicate::Exists(false)));
        assert!(passes(&j, Subject::Reason, eq("Created")));
        let o = observe(m.as_http().unwrap(), &json("/a"), false);
        assert!(
            matches!(o, Observed::Unreadable(ref why) if why.contains("not JSON")),
            "{o:?}"
        );
        let chunks = Subject::Message {
            field: "chunks".into(),
        };
        assert!(!passes(&m, chunks, Predicate::Exists(true)));
    }

    #[test]
    fn http_subjects_on_sip_and_msrp_are_not_applicable() {
        let sip = Msg::parse(
            Protocol::Sip,
            b"MESSAGE sip:b@x SIP/2.0\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\":\"b\"}",
        )
        .unwrap();
        let o = crate::check::subject::observe(&sip, &form_field("File", None), false);
        assert_eq!(o.describe(), "(not an HTTP message)");
        let json = Subject::Json {
            pointer: "/a".into(),
        };
        assert!(passes(&sip, json, eq("b")), "body readers read any body");
    }
}
