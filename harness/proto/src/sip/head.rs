//! The head of a SIP message: start line and header lines (RFC 3261 7.1, 7.2, 7.3).
//!
//! Parsing here is lenient, like a robust proxy: runs of whitespace in the Request-Line are
//! accepted, bare LF line ends are accepted, CRLFs before the start line are skipped (RFC 3261
//! 7.5), folded header lines are unfolded, and a head that is not closed by an empty line runs to
//! the end of the input. What strict grammar would reject is reported by `validate`, which reads
//! the raw bytes again. This module does not interpret header values.

use std::ops::Range;

use super::error::SipError;
use super::message::{Header, StartLine};

/// The most header lines one message may carry.
pub const MAX_HEADERS: usize = 512;

/// The parsed head of a message.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) start_line: StartLine,
    /// Byte span of the start line (without its line end).
    pub(crate) start_span: Range<usize>,
    pub(crate) headers: Vec<Header>,
    /// Offset just after the empty line ending the head; `None` if the input ends first.
    pub(crate) body_start: Option<usize>,
}

/// Parses the start line and header lines of `raw`.
pub(crate) fn parse_head(raw: &[u8]) -> Result<Head, SipError> {
    let mut pos = raw
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .ok_or(SipError::Empty)?;
    let (start_end, next) = next_line(raw, pos);
    let start_span = pos..start_end;
    let start_line = parse_start_line(&raw[start_span.clone()])?;
    pos = next;

    let mut headers = Vec::new();
    let mut current: Option<(Range<usize>, usize)> = None;
    let mut line_no = 1;
    let body_start = loop {
        if pos >= raw.len() {
            break None;
        }
        line_no += 1;
        let (end, next) = next_line(raw, pos);
        let line = &raw[pos..end];
        if line.is_empty() {
            break Some(next);
        }
        if is_wsp(line[0]) {
            match current.as_mut() {
                Some((span, _)) => span.end = end,
                None => {
                    return Err(SipError::HeaderLine {
                        line: line_no,
                        detail: "continuation line before any header".into(),
                    });
                }
            }
        } else {
            if let Some((span, at)) = current.take() {
                push_header(&mut headers, raw, span, at)?;
            }
            current = Some((pos..end, line_no));
        }
        pos = next;
    };
    if let Some((span, at)) = current {
        push_header(&mut headers, raw, span, at)?;
    }
    Ok(Head {
        start_line,
        start_span,
        headers,
        body_start,
    })
}

/// Finds the end of the line starting at `pos`: (end of its content, start of the next line).
pub(crate) fn next_line(raw: &[u8], pos: usize) -> (usize, usize) {
    match memchr::memchr(b'\n', raw.get(pos..).unwrap_or_default()) {
        Some(i) => {
            let lf = pos + i;
            let end = if lf > pos && raw[lf - 1] == b'\r' {
                lf - 1
            } else {
                lf
            };
            (end, lf + 1)
        }
        None => (raw.len(), raw.len()),
    }
}

fn push_header(
    headers: &mut Vec<Header>,
    raw: &[u8],
    span: Range<usize>,
    line: usize,
) -> Result<(), SipError> {
    if headers.len() >= MAX_HEADERS {
        return Err(SipError::TooManyHeaders { max: MAX_HEADERS });
    }
    let bytes = &raw[span.clone()];
    let colon = memchr::memchr(b':', bytes).ok_or_else(|| SipError::HeaderLine {
        line,
        detail: "no colon after the header name".into(),
    })?;
    let name = trim_wsp_end(&bytes[..colon]);
    if name.is_empty() || !name.iter().all(|b| is_token_char(*b)) {
        return Err(SipError::HeaderLine {
            line,
            detail: format!(
                "header name {:?} is not a token",
                String::from_utf8_lossy(name)
            ),
        });
    }
    headers.push(Header {
        name: String::from_utf8_lossy(name).into_owned(),
        value: normalize_value(&bytes[colon + 1..]),
        span,
    });
    Ok(())
}

/// Unfolds a raw header value: each line break and the whitespace after it become one SP
/// (RFC 3261 7.3.1), then leading and trailing whitespace is trimmed.
pub(crate) fn normalize_value(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\r' || ch == '\n' {
            while chars
                .next_if(|c| matches!(c, '\r' | '\n' | ' ' | '\t'))
                .is_some()
            {}
            out.push(' ');
        } else {
            out.push(ch);
        }
    }
    out.trim_matches([' ', '\t']).to_owned()
}

fn parse_start_line(line: &[u8]) -> Result<StartLine, SipError> {
    let text = String::from_utf8_lossy(line);
    let is_response = text
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
    if is_response {
        parse_status_line(&text)
    } else {
        parse_request_line(&text)
    }
}

fn parse_status_line(text: &str) -> Result<StartLine, SipError> {
    let (version, rest) = text
        .split_once(' ')
        .ok_or_else(|| SipError::StartLine("status line has no status code".into()))?;
    let rest = rest.trim_start_matches(' ');
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SipError::StatusCode(code.to_owned()));
    }
    let status = code
        .parse::<u16>()
        .map_err(|_| SipError::StatusCode(code.to_owned()))?;
    Ok(StartLine::Response {
        version: version.to_owned(),
        status,
        reason: reason.to_owned(),
    })
}

fn parse_request_line(text: &str) -> Result<StartLine, SipError> {
    let trimmed = text.trim_matches([' ', '\t']);
    let (method, rest) = trimmed
        .split_once([' ', '\t'])
        .ok_or_else(|| SipError::StartLine("request line has no Request-URI".into()))?;
    let (uri, version) = rest
        .rsplit_once([' ', '\t'])
        .ok_or_else(|| SipError::StartLine("request line has no SIP version".into()))?;
    let uri = uri.trim_matches([' ', '\t']);
    if uri.is_empty() {
        return Err(SipError::StartLine(
            "request line has no Request-URI".into(),
        ));
    }
    let is_sip = version
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
    if !is_sip {
        return Err(SipError::StartLine(format!(
            "request line ends in {version:?}, not a SIP version"
        )));
    }
    Ok(StartLine::Request {
        method: method.to_owned(),
        uri: uri.to_owned(),
        version: version.to_owned(),
    })
}

fn trim_wsp_end(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., last] = bytes {
        if !is_wsp(*last) {
            break;
        }
        bytes = rest;
    }
    bytes
}

pub(crate) fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `token` characters of RFC 3261 25.1.
pub(crate) fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_and_trims() {
        assert_eq!(normalize_value(b"  a\r\n  b\r\n\tc  "), "a b c");
        assert_eq!(normalize_value(b"\r\n sip:x ;tag=1"), "sip:x ;tag=1");
        assert_eq!(normalize_value(b"a  b"), "a  b");
    }

    #[test]
    fn request_line_lenient() {
        let head = parse_head(b"INVITE  sip:a@b  SIP/2.0\r\n\r\n").unwrap();
        assert_eq!(
            head.start_line,
            StartLine::Request {
                method: "INVITE".into(),
                uri: "sip:a@b".into(),
                version: "SIP/2.0".into()
            }
        );
        assert_eq!(head.body_start, Some(28));
    }

    #[test]
    fn status_line_keeps_reason_verbatim() {
        let head = parse_head(b"SIP/2.0 480 Temporarily  Unavailable \r\n").unwrap();
        assert_eq!(
            head.start_line,
            StartLine::Response {
                version: "SIP/2.0".into(),
                status: 480,
                reason: "Temporarily  Unavailable ".into()
            }
        );
        assert_eq!(head.body_start, None);
    }

    #[test]
    fn rejects_bad_heads() {
        assert_eq!(parse_head(b"\r\n\r\n").unwrap_err(), SipError::Empty);
        assert!(matches!(
            parse_head(b"SIP/2.0 4294967301 big\r\n"),
            Err(SipError::StatusCode(_))
        ));
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\n\r\n"),
            Err(SipError::StartLine(_))
        ));
        assert!(matches!(
            parse_head(b"OPTIONS sip:a SIP/2.0\r\nno colon here\r\n\r\n"),
            Err(SipError::HeaderLine { line: 2, .. })
        ));
        assert!(matches!(
            parse_head(b"OPTIONS sip:a SIP/2.0\r\n folded: first\r\n\r\n"),
            Err(SipError::HeaderLine { line: 2, .. })
        ));
        assert!(matches!(
            parse_head(b"OPTIONS sip:a SIP/2.0\r\nBad Name: x\r\n\r\n"),
            Err(SipError::HeaderLine { line: 2, .. })
        ));
    }

    #[test]
    fn header_spans_cover_folded_lines() {
        let raw = b"OPTIONS sip:a SIP/2.0\r\nTo :\r\n sip:b\r\nl: 0\r\n\r\n";
        let head = parse_head(raw).unwrap();
        assert_eq!(head.headers.len(), 2);
        assert_eq!(head.headers[0].name, "To");
        assert_eq!(head.headers[0].value, "sip:b");
        assert_eq!(&raw[head.headers[0].span.clone()], b"To :\r\n sip:b");
        assert_eq!(&raw[head.headers[1].span.clone()], b"l: 0");
    }

    #[test]
    fn header_count_is_capped() {
        let mut raw = b"OPTIONS sip:a SIP/2.0\r\n".to_vec();
        for _ in 0..=MAX_HEADERS {
            raw.extend_from_slice(b"X: y\r\n");
        }
        assert_eq!(
            parse_head(&raw).unwrap_err(),
            SipError::TooManyHeaders { max: MAX_HEADERS }
        );
    }
}
