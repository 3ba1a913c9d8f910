//! The CSeq header (RFC 3261 20.16, 8.1.1.5): `1*DIGIT LWS Method`.
//!
//! The sequence number must be below 2^31 (RFC 3261 8.1.1.5 and 12.2.1.1); larger values are
//! errors (RFC 4475 3.1.2.4, 3.1.2.5). Leading zeros and folded whitespace are accepted (RFC 4475
//! 3.1.1.1). This module does not track sequence numbers across a dialog.

use super::error::SipError;
use super::head::is_token_char;
use super::message::Message;

/// The largest CSeq sequence number RFC 3261 allows: 2^31 - 1.
pub const MAX_CSEQ: u32 = (1 << 31) - 1;

/// A parsed CSeq value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// The sequence number.
    pub seq: u32,
    /// The method, as sent.
    pub method: String,
}

impl CSeq {
    /// Parses a CSeq value.
    pub fn parse(text: &str) -> Result<Self, SipError> {
        let err = |detail: String| SipError::header("CSeq", detail);
        let text = text.trim();
        let split = text
            .find([' ', '\t'])
            .ok_or_else(|| err(format!("{text:?} lacks a method")))?;
        let (number, method) = (&text[..split], text[split..].trim_start());
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(format!("sequence number {number:?} is not decimal")));
        }
        let seq = parse_bounded(number, MAX_CSEQ)
            .ok_or_else(|| err(format!("sequence number {number} exceeds 2^31-1")))?;
        if method.is_empty() || !method.bytes().all(is_token_char) {
            return Err(err(format!("method {method:?} is not a token")));
        }
        Ok(Self {
            seq,
            method: method.to_owned(),
        })
    }
}

/// Parses decimal digits (leading zeros allowed) no larger than `max`.
pub(crate) fn parse_bounded(digits: &str, max: u32) -> Option<u32> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 10 {
        return None;
    }
    let value = significant.parse::<u64>().unwrap_or(0);
    u32::try_from(value).ok().filter(|v| *v <= max)
}

impl Message {
    /// The CSeq of the message (the first CSeq line).
    pub fn cseq(&self) -> Result<CSeq, SipError> {
        CSeq::parse(self.header("CSeq").ok_or(SipError::MissingHeader("CSeq"))?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_leading_zeros_and_lws() {
        let cseq = CSeq::parse("0009   INVITE").unwrap();
        assert_eq!(
            cseq,
            CSeq {
                seq: 9,
                method: "INVITE".into()
            }
        );
        assert_eq!(CSeq::parse("0 REGISTER").unwrap().seq, 0);
        assert_eq!(CSeq::parse("2147483647 MESSAGE").unwrap().seq, MAX_CSEQ);
    }

    #[test]
    fn overlarge_numbers_are_errors() {
        for text in [
            "2147483648 INVITE",
            "36893488147419103232 REGISTER",
            "9292394834772304023312 OPTIONS",
        ] {
            let err = CSeq::parse(text).unwrap_err();
            assert!(err.to_string().contains("exceeds 2^31-1"), "{err}");
        }
    }

    #[test]
    fn malformed() {
        for text in ["INVITE", "1", "-1 INVITE", "1 IN VITE", "x1 INVITE", ""] {
            assert!(CSeq::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn from_message() {
        let msg = Message::parse(&b"SIP/2.0 200 OK\r\ncseq: 0009\r\n  INVITE\r\n\r\n"[..]).unwrap();
        assert_eq!(msg.cseq().unwrap().method, "INVITE");
        let msg = Message::parse(&b"SIP/2.0 200 OK\r\n\r\n"[..]).unwrap();
        assert_eq!(msg.cseq().unwrap_err(), SipError::MissingHeader("CSeq"));
    }
}
