//! Splitting one message into SEND chunks (RFC 4975 §5.1, §7.1.1).
//!
//! Every chunk carries the same Message-ID and a Byte-Range `start-end/total` with the total known;
//! all chunks but the last end in `+`, the last in `$`. An empty message becomes one chunk with
//! Byte-Range `1-0/0`. Paths, report headers and transaction ids are the caller's: the chunks come
//! back as [`FrameBuilder`]s.

use bytes::Bytes;

use super::{ByteRange, Flag, FrameBuilder, MsrpError, is_ident};

/// Splits `payload` into SEND chunks of at most `chunk_size` bytes.
///
/// `transaction_id(i)` names the transaction of chunk `i` (0-based). The Message-ID must be an RFC
/// 4975 `ident`; the transaction ids are not checked, so faulty ones can be produced on purpose.
pub fn chunk(
    message_id: &str,
    content_type: &str,
    payload: &[u8],
    chunk_size: usize,
    mut transaction_id: impl FnMut(usize) -> String,
) -> Result<Vec<FrameBuilder>, MsrpError> {
    if chunk_size == 0 {
        return Err(MsrpError::ChunkSize);
    }
    if !is_ident(message_id) {
        return Err(MsrpError::Ident {
            what: "Message-ID",
            value: message_id.to_owned(),
        });
    }
    let payload = Bytes::copy_from_slice(payload);
    let total = payload.len() as u64;
    let count = payload.len().div_ceil(chunk_size).max(1);
    let chunks = (0..count)
        .map(|i| {
            let start = i * chunk_size;
            let end = (start + chunk_size).min(payload.len());
            let range = ByteRange {
                start: start as u64 + 1,
                end: Some(end as u64),
                total: Some(total),
            };
            let flag = match i + 1 == count {
                true => Flag::Complete,
                false => Flag::Continue,
            };
            FrameBuilder::request(&transaction_id(i), "SEND")
                .header("Message-ID", message_id)
                .header("Byte-Range", range.to_string())
                .body(content_type, payload.slice(start..end))
                .flag(flag)
        })
        .collect();
    Ok(chunks)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msrp::Frame;

    fn frames(payload: &[u8], size: usize) -> Vec<Frame> {
        chunk("msg0001", "text/plain", payload, size, |i| {
            format!("tid{i:05}")
        })
        .unwrap()
        .into_iter()
        .map(|b| {
            b.to_path("msrp://b:2/s;tcp")
                .from_path("msrp://a:1/s;tcp")
                .build()
        })
        .collect()
    }

    #[test]
    fn ranges_and_flags() {
        let frames = frames(b"abcdefghij", 4);
        let ranges: Vec<_> = frames
            .iter()
            .map(|f| f.header("Byte-Range").unwrap())
            .collect();
        assert_eq!(ranges, ["1-4/10", "5-8/10", "9-10/10"]);
        let flags: Vec<_> = frames.iter().map(|f| f.flag).collect();
        assert_eq!(flags, [Flag::Continue, Flag::Continue, Flag::Complete]);
        assert_eq!(frames[2].body, &b"ij"[..]);
        assert_eq!(frames[1].transaction_id, "tid00001");
        assert!(frames.iter().all(|f| f.message_id() == Some("msg0001")));
    }

    #[test]
    fn exact_multiple_has_no_empty_tail() {
        let frames = frames(b"abcdefgh", 4);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].header("Byte-Range"), Some("5-8/8"));
    }

    #[test]
    fn empty_message_is_one_empty_chunk() {
        let frames = frames(b"", 10);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].header("Byte-Range"), Some("1-0/0"));
        assert_eq!(frames[0].flag, Flag::Complete);
        // The Content-Type forces the body section even when the body is empty.
        assert!(
            frames[0]
                .as_bytes()
                .ends_with(b"text/plain\r\n\r\n\r\n-------tid00000$\r\n")
        );
    }

    #[test]
    fn bad_arguments() {
        assert_eq!(
            chunk("msg0001", "text/plain", b"x", 0, |_| String::new()).unwrap_err(),
            MsrpError::ChunkSize
        );
        assert!(matches!(
            chunk("m", "text/plain", b"x", 1, |_| String::new()),
            Err(MsrpError::Ident { .. })
        ));
    }
}
