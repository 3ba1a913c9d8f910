//! Typed views of single-value headers: From, To (RFC 3261 20.20, 20.39), Expires (20.19),
//! Content-Length (20.14), Max-Forwards (20.22).
//!
//! Each view reads the first line of its header and parses it on demand; several lines of a
//! single-value header are reported by `validate`, not here. Via, CSeq and Contact have their own
//! modules.

use super::cseq::parse_bounded;
use super::error::SipError;
use super::message::{Message, parse_length};
use super::name_addr::NameAddr;

impl Message {
    /// The From header as a name-addr.
    pub fn from_header(&self) -> Result<NameAddr, SipError> {
        let value = self.header("From").ok_or(SipError::MissingHeader("From"))?;
        NameAddr::parse_for(value, "From")
    }

    /// The To header as a name-addr.
    pub fn to_header(&self) -> Result<NameAddr, SipError> {
        let value = self.header("To").ok_or(SipError::MissingHeader("To"))?;
        NameAddr::parse_for(value, "To")
    }

    /// The Expires header in seconds (0 to 2^32-1); `None` if absent.
    pub fn expires(&self) -> Result<Option<u32>, SipError> {
        self.header("Expires")
            .map(|value| {
                parse_bounded(value, u32::MAX).ok_or_else(|| {
                    SipError::header("Expires", format!("{value:?} is not 0 to 2^32-1 seconds"))
                })
            })
            .transpose()
    }

    /// The Content-Length header; `None` if absent. Several lines must agree.
    pub fn content_length(&self) -> Result<Option<usize>, SipError> {
        let mut found = None;
        for value in self.header_all("Content-Length") {
            let len = parse_length(value)
                .ok_or_else(|| SipError::ContentLength(format!("{value:?} is not a length")))?;
            if found.is_some_and(|earlier| earlier != len) {
                return Err(SipError::ContentLength(
                    "several Content-Length values disagree".into(),
                ));
            }
            found = Some(len);
        }
        Ok(found)
    }

    /// The Max-Forwards header (0 to 255); `None` if absent.
    pub fn max_forwards(&self) -> Result<Option<u8>, SipError> {
        self.header("Max-Forwards")
            .map(|value| {
                parse_bounded(value, 255)
                    .and_then(|v| u8::try_from(v).ok())
                    .ok_or_else(|| {
                        SipError::header("Max-Forwards", format!("{value:?} is not 0 to 255"))
                    })
            })
            .transpose()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn msg(head: &str) -> Message {
        Message::parse(format!("OPTIONS sip:x SIP/2.0\r\n{head}\r\n").into_bytes()).unwrap()
    }

    #[test]
    fn from_and_to() {
        let m = msg("f: \"Alice\" <sip:alice@x>;tag=1\r\nTo: sip:bob@x\r\n");
        assert_eq!(m.from_header().unwrap().tag(), Some("1"));
        assert_eq!(
            m.from_header().unwrap().display_name.as_deref(),
            Some("Alice")
        );
        assert_eq!(m.to_header().unwrap().tag(), None);
        assert_eq!(
            msg("").to_header().unwrap_err(),
            SipError::MissingHeader("To")
        );
    }

    #[test]
    fn scalars() {
        let m = msg("Expires: 600000\r\nMax-Forwards: 0068\r\nl: 0\r\n");
        assert_eq!(m.expires().unwrap(), Some(600_000));
        assert_eq!(m.max_forwards().unwrap(), Some(68));
        assert_eq!(m.content_length().unwrap(), Some(0));
        let m = msg("Expires: 10000000000000000000000\r\nMax-Forwards: 300\r\nl: -999\r\n");
        assert!(m.expires().is_err());
        assert!(m.max_forwards().is_err());
        assert!(m.content_length().is_err());
        let m = msg("Content-Length: 13\r\nContent-Length: 5\r\n");
        assert!(m.content_length().is_err());
        assert_eq!(msg("").expires().unwrap(), None);
    }
}
