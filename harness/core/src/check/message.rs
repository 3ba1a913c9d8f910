//! A captured message as checks see it: a parsed SIP message, MSRP frame or HTTP message.
//!
//! Expectations, filters and traffic rules all read subjects from a [`Msg`]; which protocol it is
//! decides which subjects exist (see [`crate::check::subject`]). Bytes that do not parse give no
//! `Msg`: such a message is never matched, and is shown with why it could not be read.

use rcs_proto::msrp::{Flag, Frame};
use rcs_proto::sip::Message;

use crate::check::http::HttpMessage;
use crate::events::Protocol;

/// One parsed message.
#[derive(Clone, Debug)]
pub enum Msg {
    Sip(Message),
    Msrp(Frame),
    Http(HttpMessage),
}

impl Msg {
    /// Parse captured bytes of `protocol`; the error completes "failed to ..." for the summary.
    pub fn parse(protocol: Protocol, bytes: &[u8]) -> Result<Msg, String> {
        match protocol {
            Protocol::Sip => Message::parse(bytes.to_vec())
                .map(Msg::Sip)
                .map_err(|e| format!("unparseable SIP ({} bytes): {e}", bytes.len())),
            Protocol::Msrp => Frame::parse(bytes)
                .map(Msg::Msrp)
                .map_err(|e| format!("unparseable MSRP ({} bytes): {e}", bytes.len())),
            Protocol::Http => HttpMessage::parse(bytes).map(Msg::Http),
        }
    }

    pub fn protocol(&self) -> Protocol {
        match self {
            Self::Sip(_) => Protocol::Sip,
            Self::Msrp(_) => Protocol::Msrp,
            Self::Http(_) => Protocol::Http,
        }
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        match self {
            Self::Sip(m) => m.method(),
            Self::Msrp(f) => f.method(),
            Self::Http(h) => h.method(),
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Sip(m) => m.status(),
            Self::Msrp(f) => f.status_code(),
            Self::Http(h) => h.status(),
        }
    }

    pub fn as_sip(&self) -> Option<&Message> {
        match self {
            Self::Sip(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_msrp(&self) -> Option<&Frame> {
        match self {
            Self::Msrp(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_http(&self) -> Option<&HttpMessage> {
        match self {
            Self::Http(h) => Some(h),
            _ => None,
        }
    }

    /// One line for reports: the SIP summary, the MSRP start line with what identifies a chunk,
    /// or the HTTP start line with the content's range, type and size.
    pub fn summary(&self) -> String {
        match self {
            Self::Sip(m) => m.summary(),
            Self::Msrp(f) => msrp_summary(f),
            Self::Http(h) => h.summary(),
        }
    }
}

/// `MSRP SEND (Message-ID 87652491, Byte-Range 1-25/25, $)` or `MSRP 200 OK`.
fn msrp_summary(f: &Frame) -> String {
    let start = match (f.method(), f.status_code()) {
        (Some(m), _) => format!("MSRP {m}"),
        (None, Some(code)) => match &f.kind {
            rcs_proto::msrp::FrameKind::Response {
                comment: Some(c), ..
            } => format!("MSRP {code} {c}"),
            _ => format!("MSRP {code}"),
        },
        (None, None) => "MSRP".to_owned(),
    };
    let mut details = Vec::new();
    if let Some(id) = f.message_id() {
        details.push(format!("Message-ID {id}"));
    }
    if let Some(range) = f.header("Byte-Range") {
        details.push(format!("Byte-Range {range}"));
    }
    if let Some(status) = f.header("Status") {
        details.push(format!("Status {status}"));
    }
    if f.flag != Flag::Complete {
        details.push(format!("{}", f.flag.as_byte() as char));
    }
    match details.is_empty() {
        true => start,
        false => format!("{start} ({})", details.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SEND: &str = "MSRP a786hjs2 SEND\r\nTo-Path: msrp://b.example:7394/2s93i93idj;tcp\r\nFrom-Path: msrp://a.example:7777/iau39soe2843z;tcp\r\nMessage-ID: 87652491\r\nByte-Range: 1-5/10\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------a786hjs2+\r\n";

    #[test]
    fn parses_by_protocol_and_summarises() {
        let m = Msg::parse(Protocol::Msrp, SEND.as_bytes()).unwrap();
        assert_eq!((m.method(), m.status()), (Some("SEND"), None));
        assert_eq!(
            m.summary(),
            "MSRP SEND (Message-ID 87652491, Byte-Range 1-5/10, +)"
        );
        let ok = "MSRP a786hjs2 200 OK\r\nTo-Path: msrp://a.example:7777/iau39soe2843z;tcp\r\nFrom-Path: msrp://b.example:7394/2s93i93idj;tcp\r\n-------a786hjs2$\r\n";
        let m = Msg::parse(Protocol::Msrp, ok.as_bytes()).unwrap();
        assert_eq!(
            (m.status(), m.summary().as_str()),
            (Some(200), "MSRP 200 OK")
        );
        let e = Msg::parse(Protocol::Msrp, b"MSRP x SEND\r\n").unwrap_err();
        assert!(e.starts_with("unparseable MSRP (13 bytes)"), "{e}");
        assert!(Msg::parse(Protocol::Sip, SEND.as_bytes()).is_err());
    }

    #[test]
    fn http_requests_and_responses_parse_and_summarise() {
        let post = "POST /upload?tid=abc HTTP/1.1\r\nHost: cs.example\r\nContent-Type: multipart/form-data; boundary=b1\r\nContent-Length: 4\r\n\r\nabcd";
        let m = Msg::parse(Protocol::Http, post.as_bytes()).unwrap();
        assert_eq!((m.method(), m.status()), (Some("POST"), None));
        assert_eq!(m.protocol(), Protocol::Http);
        assert_eq!(
            m.summary(),
            "HTTP POST /upload?tid=abc (multipart/form-data, 4 bytes)"
        );
        let partial = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/10\r\nContent-Length: 4\r\n\r\n0123";
        let m = Msg::parse(Protocol::Http, partial.as_bytes()).unwrap();
        assert_eq!((m.method(), m.status()), (None, Some(206)));
        assert_eq!(
            m.summary(),
            "HTTP 206 Partial Content (bytes 0-3/10, 4 bytes)"
        );
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
        let m = Msg::parse(Protocol::Http, head.as_bytes()).unwrap();
        assert_eq!(m.status(), Some(200), "a response to HEAD carries no body");
        let e = Msg::parse(
            Protocol::Http,
            b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nab",
        )
        .unwrap_err();
        assert!(e.starts_with("unparseable HTTP (40 bytes)"), "{e}");
        assert!(m.as_sip().is_none() && m.as_msrp().is_none() && m.as_http().is_some());
    }
}
