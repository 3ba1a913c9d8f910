//! A captured message as checks see it: a parsed SIP message or a parsed MSRP frame.
//!
//! Expectations, filters and traffic rules all read subjects from a [`Msg`]; which protocol it is
//! decides which subjects exist (see [`crate::check::subject`]). Bytes that do not parse give no
//! `Msg`: such a message is never matched, and is shown with why it could not be read.

use rcs_proto::msrp::{Flag, Frame};
use rcs_proto::sip::Message;

use crate::events::Protocol;

/// One parsed message.
#[derive(Clone, Debug)]
pub enum Msg {
    Sip(Message),
    Msrp(Frame),
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
            Protocol::Http => Err("HTTP is not judged by checks".to_owned()),
        }
    }

    pub fn protocol(&self) -> Protocol {
        match self {
            Self::Sip(_) => Protocol::Sip,
            Self::Msrp(_) => Protocol::Msrp,
        }
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        match self {
            Self::Sip(m) => m.method(),
            Self::Msrp(f) => f.method(),
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Sip(m) => m.status(),
            Self::Msrp(f) => f.status_code(),
        }
    }

    pub fn as_sip(&self) -> Option<&Message> {
        match self {
            Self::Sip(m) => Some(m),
            Self::Msrp(_) => None,
        }
    }

    pub fn as_msrp(&self) -> Option<&Frame> {
        match self {
            Self::Sip(_) => None,
            Self::Msrp(f) => Some(f),
        }
    }

    /// One line for reports: the SIP summary, or the MSRP start line with what identifies a chunk.
    pub fn summary(&self) -> String {
        match self {
            Self::Sip(m) => m.summary(),
            Self::Msrp(f) => msrp_summary(f),
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
}
