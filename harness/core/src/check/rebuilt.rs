//! `message: <field>`: the MSRP message rebuilt from the chunks an expectation matched
//! (RFC 4975 §7.3.1), with [`rcs_proto::msrp::Reassembler`].
//!
//! The message is the one of the first matched SEND: every matched SEND sharing its Message-ID is
//! given to the reassembler in arrival order. `complete` is true when the chunks cover bytes 1 to
//! the total with no gap and a chunk ends in `$`; `size`, `sha256` (lowercase hex), `text` (UTF-8)
//! describe the rebuilt content and read as unreadable while the message is incomplete; `chunks`
//! counts the chunks; `largest-chunk` is the most content bytes one chunk carried (the body between
//! the blank line and the end-line, §7.1), so `at-most: N` checks that no chunk exceeds a
//! negotiated or configured chunk size; `content-type` is that of the first chunk carrying one.
//!
//! What is not here: REPORT or response judging, which are ordinary subjects of single frames.

use rcs_proto::msrp::{Flag, Frame, Reassembler};
use sha2::{Digest, Sha256};

use crate::check::message::Msg;
use crate::check::subject::Observed;

/// The most content rebuilt for one check.
const MAX_REBUILT_BYTES: usize = 64 << 20;

/// Read `field` of the message the first MSRP SEND of `group` belongs to.
pub fn observe(group: &[&Msg], field: &str) -> Observed {
    let sends: Vec<&Frame> = group
        .iter()
        .filter_map(|m| m.as_msrp())
        .filter(|f| f.method() == Some("SEND"))
        .collect();
    let Some(first) = sends.first() else {
        return Observed::Unreadable("no MSRP SEND was matched".to_owned());
    };
    let Some(id) = first.message_id() else {
        return Observed::Unreadable("the first SEND has no Message-ID".to_owned());
    };
    let chunks: Vec<&Frame> = sends
        .iter()
        .copied()
        .filter(|f| f.message_id() == Some(id))
        .collect();
    let rebuilt = rebuild(&chunks);
    match field {
        "chunks" => Observed::One(chunks.len().to_string()),
        "largest-chunk" => chunks
            .iter()
            .map(|f| f.body.len())
            .max()
            .map_or(Observed::Absent, |n| Observed::One(n.to_string())),
        "complete" => Observed::One(rebuilt.is_ok().to_string()),
        "content-type" => chunks
            .iter()
            .find_map(|f| f.content_type())
            .map_or(Observed::Absent, |ct| Observed::One(ct.to_owned())),
        _ => match rebuilt {
            Err(why) => Observed::Unreadable(why),
            Ok(content) => content_field(&content, field),
        },
    }
}

/// The whole content of the message `frame` is a chunk of: the frame's own body when it carries
/// all of it (no Byte-Range, or `1-<n>/<n>`, and ends in `$`), else the message rebuilt from the
/// SENDs of `group` that share its Message-ID; the error says why it is incomplete.
pub(crate) fn whole_content(frame: &Frame, group: &[&Msg]) -> Result<Vec<u8>, String> {
    let whole = match frame.byte_range() {
        Ok(None) => true,
        Ok(Some(r)) => r.start == 1 && r.total == Some(frame.body.len() as u64),
        Err(e) => return Err(e.to_string()),
    };
    if whole && frame.flag == Flag::Complete {
        return Ok(frame.body.to_vec());
    }
    let Some(id) = frame.message_id() else {
        return Err("the chunk has no Message-ID to find the others by".to_owned());
    };
    let chunks: Vec<&Frame> = group
        .iter()
        .filter_map(|m| m.as_msrp())
        .filter(|f| f.method() == Some("SEND") && f.message_id() == Some(id))
        .collect();
    rebuild(&chunks)
}

fn content_field(content: &[u8], field: &str) -> Observed {
    match field {
        "size" => Observed::One(content.len().to_string()),
        "sha256" => Observed::One(hex::encode(Sha256::digest(content))),
        _ => match std::str::from_utf8(content) {
            Ok(text) => Observed::One(text.to_owned()),
            Err(e) => Observed::Unreadable(format!("the message is not UTF-8: {e}")),
        },
    }
}

/// The whole content, or why the chunks do not make a complete message.
fn rebuild(chunks: &[&Frame]) -> Result<Vec<u8>, String> {
    let mut reassembler = Reassembler::new(MAX_REBUILT_BYTES);
    for chunk in chunks {
        if chunk.flag == Flag::Abort {
            return Err("the sender aborted the message (a chunk ends in `#`)".to_owned());
        }
        match reassembler.accept(chunk) {
            Err(e) => return Err(format!("failed to reassemble: {e}")),
            Ok(Some(content)) if chunks.iter().any(|c| c.flag == Flag::Complete) => {
                return Ok(content);
            }
            Ok(Some(_)) => return Err("every byte arrived, but no chunk ends in `$`".to_owned()),
            Ok(None) => {}
        }
    }
    let received: usize = chunks.iter().map(|c| c.body.len()).sum();
    let total = chunks
        .iter()
        .find_map(|c| c.byte_range().ok().flatten().and_then(|r| r.total))
        .map_or_else(|| "an unknown total".to_owned(), |t| t.to_string());
    Err(format!(
        "the message is incomplete: {} chunk(s), {received} of {total} bytes",
        chunks.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Protocol;

    fn chunk(id: &str, range: &str, body: &str, flag: char) -> Msg {
        // A transaction id per chunk, from the range (ids hold no `/`).
        let tid = format!("tid{}", range.replace(['-', '/'], "x"));
        let text = format!(
            "MSRP {tid} SEND\r\nTo-Path: msrp://b.example:7394/s1;tcp\r\nFrom-Path: msrp://a.example:7777/s2;tcp\r\nMessage-ID: {id}\r\nByte-Range: {range}\r\nContent-Type: text/plain\r\n\r\n{body}\r\n-------{tid}{flag}\r\n"
        );
        Msg::parse(Protocol::Msrp, text.as_bytes()).unwrap()
    }

    #[test]
    fn chunks_in_any_order_rebuild_the_message() {
        let a = chunk("M1abc", "1-5/10", "hello", '+');
        let b = chunk("M1abc", "6-10/10", "world", '$');
        let other = chunk("M2abc", "1-3/3", "xyz", '$');
        let group = [&b, &other, &a];
        let id_first = [&a, &other, &b];
        assert_eq!(observe(&id_first, "complete"), Observed::One("true".into()));
        assert_eq!(
            observe(&id_first, "text"),
            Observed::One("helloworld".into())
        );
        assert_eq!(observe(&id_first, "size"), Observed::One("10".into()));
        assert_eq!(observe(&id_first, "chunks"), Observed::One("2".into()));
        let long = chunk("M1abc", "6-12/12", "world!!", '$');
        let bigger = chunk("M2abc", "1-10/10", "0123456789", '$');
        assert_eq!(
            observe(&[&a, &bigger, &long], "largest-chunk"),
            Observed::One("7".into()),
            "the longest chunk of the message, not of another message"
        );
        assert_eq!(
            observe(&id_first, "sha256"),
            Observed::One(hex::encode(Sha256::digest(b"helloworld")))
        );
        assert_eq!(
            observe(&id_first, "content-type"),
            Observed::One("text/plain".into())
        );
        assert_eq!(observe(&group, "text"), Observed::One("helloworld".into()));
    }

    #[test]
    fn a_gap_or_an_abort_is_incomplete() {
        let a = chunk("M1abc", "1-5/10", "hello", '+');
        let gap = [&a];
        assert_eq!(observe(&gap, "complete"), Observed::One("false".into()));
        assert!(
            matches!(observe(&gap, "size"), Observed::Unreadable(w) if w.contains("1 chunk(s), 5 of 10 bytes")),
            "{:?}",
            observe(&gap, "size")
        );
        let aborted = chunk("M1abc", "6-10/10", "world", '#');
        assert_eq!(
            observe(&[&a, &aborted], "complete"),
            Observed::One("false".into())
        );
        let sip = Msg::parse(
            Protocol::Sip,
            b"MESSAGE sip:b@x SIP/2.0\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
        assert!(matches!(observe(&[&sip], "size"), Observed::Unreadable(_)));
    }
}
