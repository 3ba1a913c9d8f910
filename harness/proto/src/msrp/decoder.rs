//! The MSRP stream decoder (RFC 4975 §5.1, §7.1, §9): finds where each frame ends in a byte
//! stream, then parses it.
//!
//! It is check-then-parse and sans-IO: [`Decoder::decode`] returns `Ok(None)` until a whole frame
//! is buffered and never consumes a partial one. A frame ends at its end-line, the line
//! `-------` + transaction id + flag that follows the headers (no body) or the CRLF that closes
//! the body. A body may contain dashes, or whole end-lines of other transactions; only the end-line
//! of its own transaction ends it (RFC 4975 §7.1 obliges the sender to pick a transaction id that
//! does not occur in the body).
//!
//! Errors are fatal for the stream: MSRP has no way to find the next frame once framing is lost,
//! so after an error the caller should close the connection.
//!
//! A wrong end-line (ROB-MSRP-001) is reported as [`MsrpError::EndLineMismatch`] when it is
//! certain: right after the headers of a frame without body, or, inside a body, when the foreign
//! end-line is directly followed by a well-formed start line. Otherwise the decoder keeps waiting,
//! up to the size cap, and then reports [`MsrpError::MissingEndLine`].

use bytes::BytesMut;
use memchr::memmem;

use super::parse::{find_crlf, parse_complete, parse_start_line};
use super::{END_LINE_DASHES, Flag, Frame, MsrpError, is_ident};

/// The longest start line accepted (a 32-character id plus a status comment fits easily).
const START_LINE_MAX: usize = 1024;

/// `CRLF` + the end-line dashes: the pattern that may begin an end-line inside a body.
const BODY_END_NEEDLE: &[u8] = b"\r\n-------";

/// Decodes MSRP frames from a byte stream, with a cap on the size of one frame.
#[derive(Debug, Clone)]
pub struct Decoder {
    max: usize,
    /// Where the body search resumes, so bytes that arrive one at a time are not rescanned.
    scan_from: usize,
}

/// Where the header section of a buffered frame ends.
enum Head {
    /// The end-line follows the headers; the frame is this long.
    Complete(usize),
    /// An empty line ends the headers; the body starts here.
    Body(usize),
    /// The header section is not complete yet.
    Incomplete,
}

/// What a `CRLF -------` found inside a body turned out to be.
enum Candidate {
    /// This frame's end-line; the frame ends this many bytes after the CRLF.
    Ours(usize),
    /// The end-line of another transaction, followed by a new start line.
    Foreign(String),
    /// Body content.
    NotEndLine,
    /// More bytes are needed to tell.
    Incomplete,
}

impl Decoder {
    /// A decoder that rejects frames longer than `max` bytes.
    pub fn new(max: usize) -> Self {
        Self { max, scan_from: 0 }
    }

    /// The size cap.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Removes and returns the next complete frame from `buf`, or `Ok(None)` if more bytes are
    /// needed. Bytes of later frames stay in `buf`.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, MsrpError> {
        let checked = self.check(buf);
        if !matches!(checked, Ok(None)) {
            self.scan_from = 0;
        }
        match checked? {
            Some(len) => parse_complete(buf.split_to(len).freeze()).map(Some),
            None => Ok(None),
        }
    }

    /// The length of the first frame in `buf`, once it is complete.
    fn check(&mut self, buf: &[u8]) -> Result<Option<usize>, MsrpError> {
        let Some(start_end) = find_crlf(buf, 0) else {
            check_start_prefix(buf)?;
            return Ok(None);
        };
        if start_end > START_LINE_MAX {
            return Err(MsrpError::StartLine(format!(
                "longer than {START_LINE_MAX} bytes"
            )));
        }
        let (tid, _) = parse_start_line(&buf[..start_end])?;
        let found = match scan_head(buf, start_end + 2, &tid)? {
            Head::Complete(len) => Some(len),
            Head::Body(body_start) => self.scan_body(buf, body_start, &tid)?,
            Head::Incomplete => None,
        };
        match found {
            Some(len) if len > self.max => Err(MsrpError::TooLarge {
                size: len,
                max: self.max,
            }),
            Some(len) => Ok(Some(len)),
            None if buf.len() > self.max => Err(MsrpError::MissingEndLine {
                transaction_id: tid,
                max: self.max,
            }),
            None => Ok(None),
        }
    }

    /// Searches the body for this frame's end-line; returns the frame length when found.
    fn scan_body(
        &mut self,
        buf: &[u8],
        body_start: usize,
        tid: &str,
    ) -> Result<Option<usize>, MsrpError> {
        // Start at the CRLF of the empty line too, tolerating an empty body sent without the CRLF
        // that should close it.
        let from = self.scan_from.max(body_start - 2);
        let mut at = from;
        while let Some(i) = buf.get(at..).and_then(|t| memmem::find(t, BODY_END_NEEDLE)) {
            let crlf = at + i;
            match classify(&buf[crlf + 2..], tid) {
                Candidate::Ours(len) => return Ok(Some(crlf + 2 + len)),
                Candidate::Foreign(found) => {
                    return Err(MsrpError::EndLineMismatch {
                        expected: tid.to_owned(),
                        found,
                    });
                }
                Candidate::NotEndLine => at = crlf + 1,
                Candidate::Incomplete => {
                    self.scan_from = crlf;
                    return Ok(None);
                }
            }
        }
        self.scan_from = buf
            .len()
            .saturating_sub(BODY_END_NEEDLE.len() - 1)
            .max(from);
        Ok(None)
    }
}

/// Rejects a buffer that cannot be the beginning of a start line.
fn check_start_prefix(buf: &[u8]) -> Result<(), MsrpError> {
    let n = buf.len().min(5);
    if buf[..n] != b"MSRP "[..n] {
        return Err(MsrpError::StartLine(
            "it does not begin with \"MSRP \"".into(),
        ));
    }
    if buf.len() > START_LINE_MAX {
        return Err(MsrpError::StartLine(format!(
            "no CRLF within {START_LINE_MAX} bytes"
        )));
    }
    Ok(())
}

/// Walks the header lines from `pos` to the empty line or the end-line.
fn scan_head(buf: &[u8], mut pos: usize, tid: &str) -> Result<Head, MsrpError> {
    while let Some(eol) = find_crlf(buf, pos) {
        let line = &buf[pos..eol];
        if line.is_empty() {
            return Ok(Head::Body(eol + 2));
        }
        if line.starts_with(END_LINE_DASHES) {
            check_end_line(line, tid)?;
            return Ok(Head::Complete(eol + 2));
        }
        pos = eol + 2;
    }
    Ok(Head::Incomplete)
}

/// Checks an end-line (without its CRLF) against the transaction id.
fn check_end_line(line: &[u8], tid: &str) -> Result<(), MsrpError> {
    let rest = &line[END_LINE_DASHES.len()..];
    let Some((flag, id)) = rest.split_last() else {
        return Err(MsrpError::EndLine("no transaction id".into()));
    };
    if Flag::from_byte(*flag).is_none() {
        return Err(MsrpError::EndLine(format!(
            "{:?} does not end in $, + or #",
            String::from_utf8_lossy(line)
        )));
    }
    if id != tid.as_bytes() {
        return Err(MsrpError::EndLineMismatch {
            expected: tid.to_owned(),
            found: String::from_utf8_lossy(id).into_owned(),
        });
    }
    Ok(())
}

/// Decides what the `-------` at the start of `after` is. `after` runs to the end of the buffer.
fn classify(after: &[u8], tid: &str) -> Candidate {
    let rest = &after[END_LINE_DASHES.len()..];
    // The longest end-line tail: a 32-character id, a flag and CRLF.
    let Some(eol) = memmem::find(&rest[..rest.len().min(36)], b"\r\n") else {
        let plausible = rest.len() < 36 && rest.iter().all(|b| is_line_byte(*b));
        return match plausible {
            true => Candidate::Incomplete,
            false => Candidate::NotEndLine,
        };
    };
    let Some((flag, id)) = rest[..eol].split_last() else {
        return Candidate::NotEndLine;
    };
    if Flag::from_byte(*flag).is_none() {
        return Candidate::NotEndLine;
    }
    if id == tid.as_bytes() {
        return Candidate::Ours(END_LINE_DASHES.len() + eol + 2);
    }
    match std::str::from_utf8(id) {
        Ok(id) if is_ident(id) => classify_follower(&rest[eol + 2..], id),
        _ => Candidate::NotEndLine,
    }
}

/// A foreign end-line counts as one only when a well-formed start line follows it.
fn classify_follower(next: &[u8], id: &str) -> Candidate {
    let n = next.len().min(5);
    if next[..n] != b"MSRP "[..n] {
        return Candidate::NotEndLine;
    }
    match find_crlf(next, 0) {
        Some(eol) if parse_start_line(&next[..eol]).is_ok() => Candidate::Foreign(id.to_owned()),
        Some(_) => Candidate::NotEndLine,
        None if next.len() < START_LINE_MAX => Candidate::Incomplete,
        None => Candidate::NotEndLine,
    }
}

/// Bytes that can appear in an unfinished end-line tail.
fn is_line_byte(b: u8) -> bool {
    super::is_ident_char(b) || matches!(b, b'$' | b'#' | b'\r')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8]) -> Result<Vec<Frame>, MsrpError> {
        let mut decoder = Decoder::new(64 * 1024);
        let mut buf = BytesMut::from(bytes);
        let mut frames = Vec::new();
        while let Some(frame) = decoder.decode(&mut buf)? {
            frames.push(frame);
        }
        assert!(
            buf.is_empty(),
            "left over: {:?}",
            String::from_utf8_lossy(&buf)
        );
        Ok(frames)
    }

    #[test]
    fn frame_without_body() {
        let wire = b"MSRP abcd1234 200 OK\r\nTo-Path: msrp://a:1/s;tcp\r\n-------abcd1234$\r\n";
        let frames = decode_all(wire).unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].as_bytes(), wire);
        assert!(frames[0].body.is_empty());
    }

    #[test]
    fn body_with_fake_end_lines() {
        let body = "-------abcd1234\r\n-------abcd12345$\r\n-------zzzz$\r\nnot a start line\r\n--------abcd1234$";
        let wire = format!(
            "MSRP abcd1234 SEND\r\nMessage-ID: m123\r\nContent-Type: text/plain\r\n\r\n{body}\r\n-------abcd1234+\r\n"
        );
        let frames = decode_all(wire.as_bytes()).unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].body, body.as_bytes());
        assert_eq!(frames[0].flag, Flag::Continue);
    }

    #[test]
    fn two_frames_back_to_back() {
        let a = b"MSRP aaaa1 SEND\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------aaaa1$\r\n";
        let b = b"MSRP bbbb2 200 OK\r\n-------bbbb2$\r\n";
        let frames = decode_all(&[&a[..], &b[..]].concat()).unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].body, &b"hi"[..]);
        assert_eq!(frames[1].status_code(), Some(200));
    }

    #[test]
    fn empty_body_with_and_without_closing_crlf() {
        let proper = b"MSRP aaaa1 SEND\r\nContent-Type: text/plain\r\n\r\n\r\n-------aaaa1$\r\n";
        let sloppy = b"MSRP aaaa1 SEND\r\nContent-Type: text/plain\r\n\r\n-------aaaa1$\r\n";
        for wire in [&proper[..], &sloppy[..]] {
            let frames = decode_all(wire).unwrap();
            assert!(frames[0].body.is_empty());
        }
    }

    #[test]
    fn end_line_mismatch_without_body() {
        let wire = b"MSRP abcd1234 200 OK\r\nTo-Path: msrp://a:1/s;tcp\r\n-------wxyz9876$\r\n";
        assert_eq!(
            decode_all(wire).unwrap_err(),
            MsrpError::EndLineMismatch {
                expected: "abcd1234".into(),
                found: "wxyz9876".into()
            }
        );
    }

    #[test]
    fn end_line_mismatch_before_next_frame() {
        let wire = b"MSRP abcd1234 SEND\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------wxyz9876$\r\nMSRP next0001 SEND\r\n";
        assert!(matches!(
            decode_all(wire),
            Err(MsrpError::EndLineMismatch { found, .. }) if found == "wxyz9876"
        ));
    }

    #[test]
    fn missing_end_line_hits_the_cap() {
        let mut decoder = Decoder::new(100);
        let mut buf =
            BytesMut::from(&b"MSRP abcd1234 SEND\r\nContent-Type: text/plain\r\n\r\n"[..]);
        assert_eq!(decoder.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(&[b'x'; 100]);
        assert!(matches!(
            decoder.decode(&mut buf),
            Err(MsrpError::MissingEndLine { max: 100, .. })
        ));
    }

    #[test]
    fn complete_frame_over_the_cap() {
        let wire =
            b"MSRP abcd1234 SEND\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------abcd1234$\r\n";
        let mut decoder = Decoder::new(wire.len() - 1);
        let mut buf = BytesMut::from(&wire[..]);
        assert!(matches!(
            decoder.decode(&mut buf),
            Err(MsrpError::TooLarge { .. })
        ));
    }

    #[test]
    fn garbage_is_rejected_early() {
        let mut buf = BytesMut::from(&b"GET / HTTP/1.1"[..]);
        assert!(matches!(
            Decoder::new(1000).decode(&mut buf),
            Err(MsrpError::StartLine(_))
        ));
        let mut buf = BytesMut::from(&b"MSR"[..]);
        assert_eq!(Decoder::new(1000).decode(&mut buf).unwrap(), None);
    }

    #[test]
    fn end_line_without_flag() {
        let wire = b"MSRP abcd1234 200 OK\r\n-------abcd1234\r\n";
        assert!(matches!(decode_all(wire), Err(MsrpError::EndLine(_))));
    }

    #[test]
    fn frame_parse_rejects_trailing_and_truncated_input() {
        let wire = b"MSRP abcd1234 200 OK\r\n-------abcd1234$\r\n";
        assert!(Frame::parse(wire).is_ok());
        assert_eq!(
            Frame::parse(&[&wire[..], b"x"].concat()),
            Err(MsrpError::TrailingBytes(1))
        );
        assert_eq!(
            Frame::parse(&wire[..wire.len() - 1]),
            Err(MsrpError::Truncated)
        );
    }
}
