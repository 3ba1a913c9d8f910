//! Building CPIM messages (RFC 3862 §2) in the layout 5G Messaging clients send (protocols.md
//! §4.3, §4.4, §4.7).
//!
//! Message headers come out in the order they were given; content headers as Content-Type, then
//! the others in order, then a Content-Length the builder computes unless told not to. The builder
//! does not check what it is given, so malformed messages can be built on purpose.

use base64::Engine;

/// Builds a CPIM message.
#[derive(Debug, Clone)]
pub struct CpimBuilder {
    headers: Vec<(String, String)>,
    content_type: Option<String>,
    content_headers: Vec<(String, String)>,
    body: Vec<u8>,
    content_length: bool,
}

impl Default for CpimBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl CpimBuilder {
    /// An empty message that will carry a Content-Length.
    pub fn new() -> Self {
        Self {
            headers: Vec::new(),
            content_type: None,
            content_headers: Vec::new(),
            body: Vec::new(),
            content_length: true,
        }
    }

    /// Appends `From`; a bare URI is put in angle brackets.
    pub fn from(self, address: &str) -> Self {
        self.header("From", &bracket(address))
    }

    /// Appends `To`; a bare URI is put in angle brackets.
    pub fn to(self, address: &str) -> Self {
        self.header("To", &bracket(address))
    }

    /// Appends `DateTime`.
    pub fn datetime(self, value: &str) -> Self {
        self.header("DateTime", value)
    }

    /// Appends `NS: prefix <urn>` (or `NS: <urn>` for an empty prefix).
    pub fn ns(self, prefix: &str, urn: &str) -> Self {
        let value = match prefix {
            "" => format!("<{urn}>"),
            _ => format!("{prefix} <{urn}>"),
        };
        self.header("NS", &value)
    }

    /// Appends any message header, such as `imdn.Message-ID`.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the content's Content-Type.
    pub fn content_type(mut self, value: &str) -> Self {
        self.content_type = Some(value.to_owned());
        self
    }

    /// Appends a content header after Content-Type.
    pub fn content_header(mut self, name: &str, value: &str) -> Self {
        self.content_headers
            .push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the content as it goes on the wire.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the content base64-encoded, with `Content-Transfer-Encoding: base64`, as the China
    /// Rust client sends it (protocols.md §4.4).
    pub fn body_base64(self, content: &[u8]) -> Self {
        let encoded = base64::engine::general_purpose::STANDARD.encode(content);
        self.content_header("Content-Transfer-Encoding", "base64")
            .body(encoded)
    }

    /// Leaves out the computed Content-Length (add one by hand to spell it differently).
    pub fn without_content_length(mut self) -> Self {
        self.content_length = false;
        self
    }

    /// The message bytes.
    pub fn build(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        for (name, value) in &self.headers {
            push_line(&mut out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        if let Some(content_type) = &self.content_type {
            push_line(&mut out, "Content-Type", content_type);
        }
        for (name, value) in &self.content_headers {
            push_line(&mut out, name, value);
        }
        if self.content_length {
            push_line(&mut out, "Content-Length", &self.body.len().to_string());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

fn push_line(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `<uri>` unless the value already has angle brackets.
fn bracket(address: &str) -> String {
    match address.contains('<') {
        true => address.to_owned(),
        false => format!("<{address}>"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cpim::CpimMessage;

    #[test]
    fn layout_and_order() {
        let bytes = CpimBuilder::new()
            .from("sip:a@x")
            .to("\"Bob\" <sip:b@x>")
            .ns("imdn", "urn:ietf:params:imdn")
            .header("imdn.Message-ID", "m1")
            .datetime("2025-03-01T10:00:00.000+08:00")
            .content_type("text/plain;charset=UTF-8")
            .content_header("Content-Disposition", "render")
            .body("hi")
            .build();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "From: <sip:a@x>\r\n\
             To: \"Bob\" <sip:b@x>\r\n\
             NS: imdn <urn:ietf:params:imdn>\r\n\
             imdn.Message-ID: m1\r\n\
             DateTime: 2025-03-01T10:00:00.000+08:00\r\n\
             \r\n\
             Content-Type: text/plain;charset=UTF-8\r\n\
             Content-Disposition: render\r\n\
             Content-Length: 2\r\n\
             \r\n\
             hi"
        );
    }

    #[test]
    fn base64_body_round_trips() {
        let text = "你好，5G消息".as_bytes();
        let bytes = CpimBuilder::new()
            .from("sip:a@x")
            .to("sip:b@x")
            .datetime("2025-03-01T10:00:00Z")
            .content_type("text/plain;charset=UTF-8")
            .body_base64(text)
            .build();
        let message = CpimMessage::parse(&bytes).unwrap();
        assert_eq!(
            message.content_header("content-transfer-encoding"),
            Some("base64")
        );
        assert_eq!(message.decoded_body().unwrap(), text);
        assert!(message.validate().is_empty(), "{:?}", message.validate());
    }

    #[test]
    fn content_length_can_be_left_out_or_respelled() {
        let bytes = CpimBuilder::new()
            .content_type("text/plain")
            .content_header("Content-length", "3")
            .without_content_length()
            .body("abc")
            .build();
        let message = CpimMessage::parse(&bytes).unwrap();
        assert_eq!(message.content_headers().len(), 2);
        assert_eq!(message.content_header("Content-Length"), Some("3"));
    }

    #[test]
    fn default_namespace_declaration() {
        let bytes = CpimBuilder::new().ns("", "urn:x").build();
        assert!(bytes.starts_with(b"NS: <urn:x>\r\n"));
    }
}
