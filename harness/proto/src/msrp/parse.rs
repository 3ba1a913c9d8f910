//! Parsing one complete MSRP frame (RFC 4975 §9): the start line (`req-start` / `resp-start`),
//! the header lines and the body, once the [`super::Decoder`] has found where the frame ends.
//!
//! This module does not search for end-lines in a stream and does not interpret header values.

use bytes::Bytes;

use super::{END_LINE_DASHES, Flag, Frame, FrameKind, MsrpError, is_ident};

/// Parses one complete frame whose extent the decoder established.
///
/// `raw` starts with the start line and ends with the end-line of `transaction_id`.
pub(crate) fn parse_complete(raw: Bytes) -> Result<Frame, MsrpError> {
    let start_end = find_crlf(&raw, 0).ok_or_else(|| start_err("no CRLF"))?;
    let (transaction_id, kind) = parse_start_line(&raw[..start_end])?;
    let end_line_len = END_LINE_DASHES.len() + transaction_id.len() + 3;
    let end_line_start = raw
        .len()
        .checked_sub(end_line_len)
        .ok_or(MsrpError::Truncated)?;
    let flag = raw
        .get(raw.len() - 3)
        .and_then(|b| Flag::from_byte(*b))
        .ok_or_else(|| MsrpError::EndLine("no continuation flag".into()))?;
    let (headers, body_start) = parse_headers(&raw, start_end + 2, end_line_start)?;
    let body = match body_start {
        // The body ends at the CRLF that precedes the end-line.
        Some(start) if end_line_start >= start + 2 => raw.slice(start..end_line_start - 2),
        _ => Bytes::new(),
    };
    Ok(Frame {
        transaction_id,
        kind,
        headers,
        body,
        flag,
        raw,
    })
}

/// The headers of a frame and, when an empty line follows them, where the body starts.
type Head = (Vec<(String, String)>, Option<usize>);

/// Parses the header lines from `pos` up to the empty line or the end-line.
///
/// Returns the headers and, when an empty line was found, where the body starts.
fn parse_headers(raw: &[u8], mut pos: usize, end_line_start: usize) -> Result<Head, MsrpError> {
    let mut headers = Vec::new();
    let mut line_no = 1;
    while pos < end_line_start {
        line_no += 1;
        let eol = find_crlf(raw, pos).ok_or_else(|| MsrpError::header_line(line_no, "no CRLF"))?;
        let line = &raw[pos..eol];
        if line.is_empty() {
            return Ok((headers, Some(eol + 2)));
        }
        headers.push(parse_header_line(line, line_no)?);
        pos = eol + 2;
    }
    Ok((headers, None))
}

/// Parses `Name: value`. The value is trimmed of surrounding spaces and tabs.
fn parse_header_line(line: &[u8], line_no: usize) -> Result<(String, String), MsrpError> {
    let text =
        std::str::from_utf8(line).map_err(|_| MsrpError::header_line(line_no, "not UTF-8"))?;
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| MsrpError::header_line(line_no, format!("{text:?} has no colon")))?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(MsrpError::header_line(
            line_no,
            format!("{name:?} is not a header name"),
        ));
    }
    Ok((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()))
}

/// Parses `MSRP SP transact-id SP (method / status-code [SP comment])`.
pub(crate) fn parse_start_line(line: &[u8]) -> Result<(String, FrameKind), MsrpError> {
    let text = std::str::from_utf8(line).map_err(|_| start_err("not UTF-8"))?;
    let rest = text
        .strip_prefix("MSRP ")
        .ok_or_else(|| start_err("it does not begin with \"MSRP \""))?;
    let (tid, rest) = rest
        .split_once(' ')
        .ok_or_else(|| start_err("nothing follows the transaction id"))?;
    if !is_ident(tid) {
        return Err(MsrpError::Ident {
            what: "transaction id",
            value: tid.to_owned(),
        });
    }
    let kind = match rest.as_bytes().first() {
        Some(b) if b.is_ascii_digit() => parse_status(rest)?,
        _ => parse_method(rest)?,
    };
    Ok((tid.to_owned(), kind))
}

fn parse_status(rest: &str) -> Result<FrameKind, MsrpError> {
    let (code, comment) = match rest.split_once(' ') {
        Some((code, comment)) => (code, Some(comment.to_owned())),
        None => (rest, None),
    };
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(start_err(format!(
            "status code {code:?} is not three digits"
        )));
    }
    let code = code
        .parse()
        .map_err(|_| start_err("status code is not a number"))?;
    Ok(FrameKind::Response { code, comment })
}

fn parse_method(rest: &str) -> Result<FrameKind, MsrpError> {
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(start_err(format!(
            "method {rest:?} is not upper-case letters"
        )));
    }
    Ok(FrameKind::Request {
        method: rest.to_owned(),
    })
}

fn start_err(detail: impl Into<String>) -> MsrpError {
    MsrpError::StartLine(detail.into())
}

/// The index of the next CRLF at or after `from`.
pub(crate) fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let tail = buf.get(from..)?;
    memchr::memmem::find(tail, b"\r\n").map(|i| i + from)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn start_line_request() {
        let (tid, kind) = parse_start_line(b"MSRP a786hjs2 SEND").unwrap();
        assert_eq!(tid, "a786hjs2");
        assert_eq!(
            kind,
            FrameKind::Request {
                method: "SEND".into()
            }
        );
    }

    #[test]
    fn start_line_response_with_and_without_comment() {
        let (_, kind) = parse_start_line(b"MSRP a786hjs2 200 OK").unwrap();
        assert_eq!(
            kind,
            FrameKind::Response {
                code: 200,
                comment: Some("OK".into())
            }
        );
        let (_, kind) = parse_start_line(b"MSRP a786hjs2 481").unwrap();
        assert_eq!(
            kind,
            FrameKind::Response {
                code: 481,
                comment: None
            }
        );
    }

    #[test]
    fn start_line_errors() {
        assert!(matches!(
            parse_start_line(b"msrp a786hjs2 SEND"),
            Err(MsrpError::StartLine(_))
        ));
        assert!(matches!(
            parse_start_line(b"MSRP ab SEND"),
            Err(MsrpError::Ident { .. })
        ));
        assert!(matches!(
            parse_start_line(b"MSRP a786hjs2 send"),
            Err(MsrpError::StartLine(_))
        ));
        assert!(matches!(
            parse_start_line(b"MSRP a786hjs2 20 OK"),
            Err(MsrpError::StartLine(_))
        ));
        assert!(matches!(
            parse_start_line(b"MSRP a786hjs2"),
            Err(MsrpError::StartLine(_))
        ));
    }

    #[test]
    fn header_line_needs_a_colon_and_a_name() {
        assert!(parse_header_line(b"To-Path msrp://x", 2).is_err());
        assert!(parse_header_line(b": value", 2).is_err());
        let (n, v) = parse_header_line(b"Byte-Range:  1-3/3 ", 2).unwrap();
        assert_eq!((n.as_str(), v.as_str()), ("Byte-Range", "1-3/3"));
    }
}
