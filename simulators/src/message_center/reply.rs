//! Responses the message center writes itself (RFC 3261 8.2.6), and fresh random identifiers.
//!
//! Every response copies Via, From, To, Call-ID and CSeq from its request and adds a To tag when
//! the request had none (RFC 3261 8.2.6.2). A `400 Bad Request` carries a `Warning: 399` header
//! (RFC 3261 20.43) naming the construct at fault, so the sender and the report see why.

use rcs_proto::sip::{Message, MessageBuilder};

/// The longest Warning text written, in bytes.
const MAX_WARNING_TEXT: usize = 200;

/// A response to `request`, with a To tag.
pub fn response(request: &Message, status: u16, reason: &str) -> MessageBuilder {
    MessageBuilder::response_to(request, status, reason).to_tag(&token(8))
}

/// `400 Bad Request` with `Warning: 399 <agent> "<construct>: <detail>"`.
pub fn bad_request(request: &Message, agent: &str, construct: &str, detail: &str) -> Message {
    response(request, 400, "Bad Request")
        .header(
            "Warning",
            &warning(agent, &format!("{construct}: {detail}")),
        )
        .build()
}

/// A `Warning: 399` value whose text is made safe for a quoted-string.
pub fn warning(agent: &str, text: &str) -> String {
    let mut safe = String::with_capacity(text.len().min(MAX_WARNING_TEXT));
    for ch in text.chars() {
        if safe.len() + ch.len_utf8() > MAX_WARNING_TEXT {
            break;
        }
        match ch {
            '"' => safe.push('\''),
            '\\' => safe.push('/'),
            c if c.is_control() => safe.push(' '),
            c => safe.push(c),
        }
    }
    format!("399 {agent} \"{safe}\"")
}

/// `len` random lowercase hex digits (tags, branches, nonces).
pub fn token(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        out.push_str(&format!("{:016x}", rand::random::<u64>()));
    }
    out.truncate(len);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const REQUEST: &[u8] = b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:x>\r\nCall-ID: c\r\nCSeq: 7 OPTIONS\r\nMax-Forwards: 70\r\n\r\n";

    #[test]
    fn a_response_copies_the_dialog_headers_and_tags_to() {
        let req = Message::parse(REQUEST).unwrap();
        let resp = response(&req, 200, "OK").build();
        assert_eq!(resp.header("Via"), req.header("Via"));
        assert_eq!(resp.header("CSeq"), Some("7 OPTIONS"));
        assert_eq!(resp.to_header().unwrap().tag().unwrap().len(), 8);
    }

    #[test]
    fn bad_request_names_the_construct_in_a_safe_warning() {
        let req = Message::parse(REQUEST).unwrap();
        let resp = bad_request(&req, "mc.example", "CSeq", "\"abc\" is not\r\na number");
        assert_eq!(resp.status(), Some(400));
        assert_eq!(
            resp.header("Warning"),
            Some("399 mc.example \"CSeq: 'abc' is not  a number\"")
        );
        assert!(resp.validate().is_empty(), "{:?}", resp.validate());
    }

    #[test]
    fn tokens_are_hex_of_the_asked_length() {
        let t = token(20);
        assert_eq!(t.len(), 20);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(token(16), token(16));
    }
}
