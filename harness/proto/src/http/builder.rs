//! Building HTTP/1.1 messages (RFC 9112 §3, §4, §6).
//!
//! [`RequestBuilder`] and [`ResponseBuilder`] write the start line, the field lines in the order
//! given (CR and LF inside names and values replaced by spaces, so every field stays on its
//! line), and the body. They add `Content-Length` last unless the caller set Content-Length or
//! Transfer-Encoding: on a response always, except 1xx, 204 and 304 (RFC 9110 §8.6); on a request
//! when it has content or its method is POST, PUT or PATCH (a GET without content carries none).
//! With [`ResponseBuilder::chunked`] / [`RequestBuilder::chunked`] the body is written in the
//! chunked coding instead. They add nothing else: no Host, Date or Server.
//! `build` reads the bytes back with the decoder, so what is built is what a peer would read.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::HttpError;
use super::message::{Request, Response};

/// Field lines and body shared by both builders.
#[derive(Debug, Clone, Default)]
struct Parts {
    headers: Vec<(String, String)>,
    body: Bytes,
    chunk_size: Option<usize>,
}

impl Parts {
    fn has(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// Writes `start` and everything after it; `length` says whether Content-Length is due.
    fn write(&self, start: &str, length: bool) -> Bytes {
        let clean = |s: &str| s.replace(['\r', '\n'], " ");
        let mut out = BytesMut::with_capacity(start.len() + 256 + self.body.len());
        out.put_slice(clean(start).as_bytes());
        out.put_slice(b"\r\n");
        for (name, value) in &self.headers {
            out.put_slice(format!("{}: {}\r\n", clean(name), clean(value)).as_bytes());
        }
        let framed = self.has("Content-Length") || self.has("Transfer-Encoding");
        match self.chunk_size {
            Some(size) if !framed => {
                out.put_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                write_chunks(&mut out, &self.body, size);
                return out.freeze();
            }
            _ if length && !framed => {
                out.put_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
            }
            _ => {}
        }
        out.put_slice(b"\r\n");
        out.put_slice(&self.body);
        out.freeze()
    }
}

/// The body in chunks of `size` bytes (at least 1), the last chunk and no trailers.
fn write_chunks(out: &mut BytesMut, body: &[u8], size: usize) {
    for chunk in body.chunks(size.max(1)) {
        out.put_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.put_slice(chunk);
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"0\r\n\r\n");
}

/// Builds a [`Request`] field by field.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    method: String,
    target: String,
    version: String,
    parts: Parts,
}

impl RequestBuilder {
    /// Starts `method target HTTP/1.1`.
    pub fn new(method: &str, target: &str) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            version: "HTTP/1.1".to_owned(),
            parts: Parts::default(),
        }
    }

    /// Uses another version string, such as `HTTP/1.0`.
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_owned();
        self
    }

    /// Appends a field line, as given.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.parts.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the content.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.parts.body = body.into();
        self
    }

    /// Sends the content in the chunked coding, `size` bytes a chunk.
    pub fn chunked(mut self, size: usize) -> Self {
        self.parts.chunk_size = Some(size);
        self
    }

    /// The bytes to send.
    pub fn to_bytes(&self) -> Bytes {
        let start = format!("{} {} {}", self.method, self.target, self.version);
        let length =
            !self.parts.body.is_empty() || ["POST", "PUT", "PATCH"].contains(&self.method.as_str());
        self.parts.write(&start, length)
    }

    /// The request, read back from its bytes.
    pub fn build(&self) -> Result<Request, HttpError> {
        Request::parse(self.to_bytes())
    }
}

/// Builds a [`Response`] field by field.
#[derive(Debug, Clone)]
pub struct ResponseBuilder {
    status: u16,
    reason: String,
    version: String,
    parts: Parts,
}

impl ResponseBuilder {
    /// Starts `HTTP/1.1 status reason`.
    pub fn new(status: u16, reason: &str) -> Self {
        Self {
            status,
            reason: reason.to_owned(),
            version: "HTTP/1.1".to_owned(),
            parts: Parts::default(),
        }
    }

    /// Uses another version string, such as `HTTP/1.0`.
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_owned();
        self
    }

    /// Appends a field line, as given.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.parts.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the content.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.parts.body = body.into();
        self
    }

    /// Sends the content in the chunked coding, `size` bytes a chunk.
    pub fn chunked(mut self, size: usize) -> Self {
        self.parts.chunk_size = Some(size);
        self
    }

    /// The bytes to send.
    pub fn to_bytes(&self) -> Bytes {
        let start = format!("{} {:03} {}", self.version, self.status, self.reason);
        let length = self.status >= 200 && self.status != 204 && self.status != 304;
        self.parts.write(&start, length)
    }

    /// The response, read back from its bytes (as the answer to a GET).
    pub fn build(&self) -> Result<Response, HttpError> {
        Response::parse(self.to_bytes(), "GET")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn content_length_follows_rfc_9110_8_6() {
        let get = RequestBuilder::new("GET", "/")
            .header("Host", "cs")
            .build()
            .unwrap();
        assert_eq!(get.as_bytes(), b"GET / HTTP/1.1\r\nHost: cs\r\n\r\n");
        let post = RequestBuilder::new("POST", "/upload").build().unwrap();
        assert_eq!(post.header("Content-Length"), Some("0"));
        let put = RequestBuilder::new("PUT", "/d")
            .body(&b"abc"[..])
            .build()
            .unwrap();
        assert_eq!(
            put.as_bytes(),
            b"PUT /d HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
        );
        let no_content = ResponseBuilder::new(204, "No Content").build().unwrap();
        assert_eq!(no_content.as_bytes(), b"HTTP/1.1 204 No Content\r\n\r\n");
        let ok = ResponseBuilder::new(200, "OK").build().unwrap();
        assert_eq!(
            ok.as_bytes(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn a_chunked_response_decodes_to_its_body() {
        let resp = ResponseBuilder::new(200, "OK")
            .header("Content-Type", "text/plain")
            .body(&b"hello world"[..])
            .chunked(4)
            .build()
            .unwrap();
        assert!(resp.is_chunked());
        assert_eq!(resp.body(), b"hello world");
        assert!(
            resp.as_bytes()
                .ends_with(b"4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\n\r\n")
        );
        assert_eq!(
            resp.head_bytes(),
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
    }

    #[test]
    fn line_breaks_in_values_cannot_inject_fields() {
        let req = RequestBuilder::new("GET", "/")
            .header("X", "a\r\nEvil: 1")
            .build()
            .unwrap();
        assert_eq!(req.header("Evil"), None);
        assert_eq!(req.header("X"), Some("a  Evil: 1"));
    }
}
