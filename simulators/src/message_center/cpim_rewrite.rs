//! The `message-center.rewrite-cpim-body` fault: a relayed CPIM body serialised anew instead of
//! passed on byte-identical (RFC 3862 3; PLT-MSG-001 requires the body unchanged).
//!
//! The rewrite keeps every header and the content, only in another order: the `From` and `To`
//! lines of the CPIM message headers trade places, as a server that parses and re-serialises
//! CPIM might do. No rule of CPIM itself is broken, so only the byte-identity check can tell.

/// The CPIM body with its `From` and `To` header lines swapped: the same content, serialised
/// differently (the `message-center.rewrite-cpim-body` fault). A body without both lines gets
/// an extra `Subject` header instead.
pub fn reserialised(body: &[u8]) -> Vec<u8> {
    let head_end = find(body, b"\r\n\r\n").unwrap_or(body.len());
    let (head, rest) = body.split_at(head_end);
    let mut lines = split_crlf(head);
    let starts = |line: &[u8], name: &[u8]| {
        line.get(..name.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(name))
    };
    let from = lines.iter().position(|l| starts(l, b"From:"));
    let to = lines.iter().position(|l| starts(l, b"To:"));
    let mut out = match (from, to) {
        (Some(f), Some(t)) => {
            lines.swap(f, t);
            lines.join(b"\r\n".as_slice())
        }
        _ => [b"Subject: relayed\r\n".as_slice(), head].concat(),
    };
    out.extend_from_slice(rest);
    out
}

/// Splits on CRLF.
fn split_crlf(mut text: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    while let Some(at) = find(text, b"\r\n") {
        let (line, after) = text.split_at(at);
        lines.push(line);
        text = after.get(2..).unwrap_or_default();
    }
    lines.push(text);
    lines
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::cpim::CpimMessage;

    use super::*;

    #[test]
    fn from_and_to_trade_places_and_nothing_else_changes() {
        let body = b"NS: imdn <urn:ietf:params:imdn>\r\nFrom: <sip:a@x>\r\nimdn.Message-ID: m\r\n\
To: <sip:b@x>\r\n\r\nContent-Type: text/plain\r\n\r\nFrom: in the content";
        let out = reserialised(body);
        let expected =
            b"NS: imdn <urn:ietf:params:imdn>\r\nTo: <sip:b@x>\r\nimdn.Message-ID: m\r\n\
From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\n\r\nFrom: in the content";
        assert_eq!(out, expected);
        let cpim = CpimMessage::parse(&out).unwrap();
        assert_eq!(cpim.header("From"), Some("<sip:a@x>"));
        assert_eq!(cpim.imdn_message_id(), Some("m"));
    }

    #[test]
    fn a_body_without_from_and_to_gets_a_header_more() {
        let out = reserialised(b"Subject: x\r\n\r\nhi");
        assert_eq!(out, b"Subject: relayed\r\nSubject: x\r\n\r\nhi");
        assert_eq!(reserialised(b""), b"Subject: relayed\r\n");
    }
}
