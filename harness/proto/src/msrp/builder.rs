//! Building MSRP requests and responses (RFC 4975 §7.1, §7.2).
//!
//! The builder writes To-Path and From-Path first, then the other headers in the order given, then
//! Content-Type last, as RFC 4975 §7.1 requires when there is a body. It does not validate: a
//! conformance tool must be able to build the malformed frames its robustness cases send.

use bytes::Bytes;

use super::{Flag, Frame, FrameKind};

/// Builds a [`Frame`].
#[derive(Debug, Clone)]
pub struct FrameBuilder {
    transaction_id: String,
    kind: FrameKind,
    to_path: Option<String>,
    from_path: Option<String>,
    headers: Vec<(String, String)>,
    content_type: Option<String>,
    body: Bytes,
    flag: Flag,
}

impl FrameBuilder {
    /// A request such as `SEND` or `REPORT`, flagged complete (`$`) until told otherwise.
    pub fn request(transaction_id: &str, method: &str) -> Self {
        Self::with_kind(
            transaction_id,
            FrameKind::Request {
                method: method.to_owned(),
            },
        )
    }

    /// The transaction response to `request` (RFC 4975 §7.2): same transaction id, To-Path set to
    /// the first URI of the request's From-Path (the previous hop) and From-Path to the first URI
    /// of its To-Path (this hop). Responses carry no body and end in `$`.
    pub fn response_to(request: &Frame, code: u16, comment: Option<&str>) -> Self {
        let first = |path: Option<&str>| {
            path.and_then(|p| p.split_ascii_whitespace().next())
                .map(str::to_owned)
        };
        let mut builder = Self::with_kind(
            &request.transaction_id,
            FrameKind::Response {
                code,
                comment: comment.map(str::to_owned),
            },
        );
        builder.to_path = first(request.from_path());
        builder.from_path = first(request.to_path());
        builder
    }

    fn with_kind(transaction_id: &str, kind: FrameKind) -> Self {
        Self {
            transaction_id: transaction_id.to_owned(),
            kind,
            to_path: None,
            from_path: None,
            headers: Vec::new(),
            content_type: None,
            body: Bytes::new(),
            flag: Flag::Complete,
        }
    }

    /// Replaces the transaction id.
    pub fn transaction_id(mut self, transaction_id: &str) -> Self {
        transaction_id.clone_into(&mut self.transaction_id);
        self
    }

    /// Sets the To-Path (one URI or several separated by spaces).
    pub fn to_path(mut self, path: impl Into<String>) -> Self {
        self.to_path = Some(path.into());
        self
    }

    /// Sets the From-Path.
    pub fn from_path(mut self, path: impl Into<String>) -> Self {
        self.from_path = Some(path.into());
        self
    }

    /// Appends a header, after the paths and before Content-Type.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.content_type = Some(content_type.to_owned());
        self.body = body.into();
        self
    }

    /// Sets the end-line flag.
    pub fn flag(mut self, flag: Flag) -> Self {
        self.flag = flag;
        self
    }

    /// Builds the frame; its raw bytes are its encoding.
    pub fn build(self) -> Frame {
        let paths = [("To-Path", self.to_path), ("From-Path", self.from_path)];
        let mut headers: Vec<(String, String)> = paths
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)))
            .collect();
        headers.extend(self.headers);
        if let Some(content_type) = self.content_type {
            headers.push(("Content-Type".to_owned(), content_type));
        }
        Frame::from_parts(
            self.transaction_id,
            self.kind,
            headers,
            self.body,
            self.flag,
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msrp::Decoder;
    use bytes::BytesMut;
    use proptest::prelude::*;

    #[test]
    fn request_puts_paths_first_and_content_type_last() {
        let frame = FrameBuilder::request("a786hjs2", "SEND")
            .header("Message-ID", "87652491")
            .body("text/plain", &b"hi"[..])
            .to_path("msrp://b:2/s2;tcp")
            .from_path("msrp://a:1/s1;tcp")
            .flag(Flag::Continue)
            .build();
        assert_eq!(
            frame.as_bytes(),
            &b"MSRP a786hjs2 SEND\r\n\
               To-Path: msrp://b:2/s2;tcp\r\n\
               From-Path: msrp://a:1/s1;tcp\r\n\
               Message-ID: 87652491\r\n\
               Content-Type: text/plain\r\n\
               \r\n\
               hi\r\n\
               -------a786hjs2+\r\n"[..]
        );
    }

    #[test]
    fn response_swaps_the_paths() {
        let request = FrameBuilder::request("tx000001", "SEND")
            .to_path("msrp://me:2/mine;tcp")
            .from_path("msrp://relay:9/r;tcp msrp://peer:1/theirs;tcp")
            .build();
        let response = FrameBuilder::response_to(&request, 200, Some("OK")).build();
        assert_eq!(response.transaction_id, "tx000001");
        assert_eq!(response.to_path(), Some("msrp://relay:9/r;tcp"));
        assert_eq!(response.from_path(), Some("msrp://me:2/mine;tcp"));
        assert_eq!(response.status_code(), Some(200));
        assert!(response.body.is_empty());
        assert_eq!(response.flag, Flag::Complete);
    }

    #[test]
    fn built_frames_decode_to_themselves() {
        let frame = FrameBuilder::request("x1y2z3w4", "REPORT")
            .to_path("msrp://a:1/s;tcp")
            .from_path("msrp://b:2/t;tcp")
            .header("Message-ID", "m0001")
            .header("Byte-Range", "1-10/10")
            .header("Status", "000 200 OK")
            .build();
        assert_eq!(Frame::parse(frame.as_bytes()).unwrap(), frame);
    }

    /// Bodies drawn from the bytes end-lines are made of, so look-alikes are frequent.
    fn tricky_body() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop::sample::select(&b"-\r\n$+#abcdMSRP "[..]);
        prop::collection::vec(byte, 0..120)
    }

    proptest! {
        #[test]
        fn built_frames_decode_whole_and_split(
            body in tricky_body(),
            flag in prop::sample::select(&[Flag::Complete, Flag::Continue, Flag::Abort][..]),
            at in any::<prop::sample::Index>(),
        ) {
            let tid = "abcd";
            // The sender must keep its own end-line out of the body (RFC 4975 §7.1), and a
            // foreign end-line followed by a start line is read as ROB-MSRP-001.
            let text = String::from_utf8_lossy(&body);
            prop_assume!(!text.contains("-------abcd") && !text.contains("MSRP "));
            let frame = FrameBuilder::request(tid, "SEND")
                .to_path("msrp://b:2/s;tcp")
                .from_path("msrp://a:1/s;tcp")
                .body("text/plain", body.clone())
                .flag(flag)
                .build();
            prop_assert_eq!(&Frame::parse(frame.as_bytes()).unwrap(), &frame);
            let wire = frame.as_bytes();
            let (head, tail) = wire.split_at(at.index(wire.len() + 1));
            let mut decoder = Decoder::new(1024);
            let mut buf = BytesMut::from(head);
            let first = decoder.decode(&mut buf).unwrap();
            buf.extend_from_slice(tail);
            let decoded = match first {
                Some(frame) => frame,
                None => decoder.decode(&mut buf).unwrap().unwrap(),
            };
            prop_assert_eq!(decoded.body, body);
            prop_assert!(buf.is_empty());
        }
    }
}
